"""Which Composition is the letter this service wrote for an encounter (core/letter_versions.py):
the one rule of the physician's app and the CDS hook (issue 22, point 2)."""

from __future__ import annotations

import dataclasses

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.letter_versions import latest_letter, letter_identifier, letter_versions
from fhir_discharge.core.record.context import DischargeContext
from fhir_discharge.core.record.identity import discharge_key
from fhir_discharge.types import Resource
from tests.support.factories import happy_bundle, resource
from tests.support.site import SITE


def hook_context(bundle: Resource) -> DischargeContext:
    """The record as a hook (or the app) reads it: the EHR's own, nothing carried."""
    return dataclasses.replace(context_from_bundle(bundle), carry_record=False)


def key_of(ctx: DischargeContext) -> str:
    return discharge_key(ctx.encounter, ctx.patient, carried=ctx.carry_record)


def letter_of(ctx: DischargeContext, version: int = 1) -> Resource:
    return build_discharge(dataclasses.replace(ctx, letter_version=version), SITE).letter


def withdrawn(letter: Resource) -> Resource:
    return {**letter, "status": "entered-in-error"}


def test_a_letter_this_service_wrote_for_the_encounter_is_found_by_its_derived_identifier():
    ctx = hook_context(happy_bundle())
    letter = letter_of(ctx)
    assert letter["identifier"] == letter_identifier(key_of(ctx), 1)
    assert latest_letter([letter], key_of(ctx)) is letter
    # a letter with the same text but another identifier is not ours
    foreign = {**letter, "identifier": {"system": "https://ehr.test/letters", "value": "1"}}
    assert latest_letter([foreign], key_of(ctx)) is None
    # nor one withdrawn
    assert latest_letter([withdrawn(letter)], key_of(ctx)) is None
    # another encounter's letter is not this one's
    other = happy_bundle()
    resource(other, "Encounter")["identifier"][0]["value"] = "another-visit"
    assert latest_letter([letter_of(hook_context(other))], key_of(ctx)) is None


def test_the_latest_version_of_the_letter_is_the_one_named():
    ctx = hook_context(happy_bundle())
    first, second = letter_of(ctx), letter_of(ctx, 2)
    assert latest_letter([first, second], key_of(ctx)) is second
    assert latest_letter([second, first], key_of(ctx)) is second  # the order found is no matter
    assert latest_letter([second], key_of(ctx)) is None  # a version 2 without a 1 is none of ours


def test_a_withdrawn_version_keeps_its_number_but_is_no_letter():
    ctx = hook_context(happy_bundle())
    first, second, third = letter_of(ctx), letter_of(ctx, 2), letter_of(ctx, 3)
    # a withdrawn correction: the letter before it stands
    assert latest_letter([first, withdrawn(second)], key_of(ctx)) is first
    # its identifier is taken: the versions go on past it (a correction writes version 3)
    assert letter_versions([first, withdrawn(second)], key_of(ctx)) == [
        [first],
        [withdrawn(second)],
    ]
    assert latest_letter([first, withdrawn(second), third], key_of(ctx)) is third
    assert latest_letter([withdrawn(first), withdrawn(second)], key_of(ctx)) is None
