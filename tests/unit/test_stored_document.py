"""The letter as the attested document the transaction stores (core/stored_document.py).

What it holds (the letter first, then all it references, each as the transaction writes it),
that it is self-contained with nothing a FHIR server rewrites inside a transaction, that its
digest says what was attested whatever serialisation a server gives it back in, that it follows
bdl-* and our profile, and that the KMEHR message's PDF is rendered from it, once.
What HAPI FHIR and the sandbox do with it: tests/integration/test_stored_document_servers.py.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core import stored_document
from fhir_discharge.core.gp_message import ehealthbox
from fhir_discharge.core.record.references import parse_reference
from fhir_discharge.core.rendering import render_letter_pdf
from fhir_discharge.core.stored_document import document_base, document_digest
from fhir_discharge.core.transaction import Discharge
from tests.support.contexts import held_by_server
from tests.support.factories import (
    HAPPY_PATH,
    happy_bundle,
    references_in,
    resource,
    with_encounter,
)
from tests.support.fhir_validator import format_issues
from tests.support.site import SITE
from tests.support.validator_fixture import fhir_validator  # noqa: F401 (a fixture)


def carried() -> Discharge:
    return build_discharge(context_from_bundle(happy_bundle()), SITE)


def stored(discharge: Discharge) -> dict[str, Any]:
    assert discharge.document is not None
    return discharge.document.bundle


def entry_of(bundle: dict[str, Any], reference: str) -> dict[str, Any] | None:
    """The document's entry a reference inside it resolves to (R4 Bundle, "Resolving references
    in Bundles": a relative reference against the base of the entry's RESTful fullUrl)."""
    return next(
        (
            e["resource"]
            for e in bundle["entry"]
            if e["fullUrl"] == f"{document_base(SITE.canonicals)}/{reference}"
        ),
        None,
    )


def without_references(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_references(v) for k, v in node.items() if k not in ("reference", "id")}
    if isinstance(node, list):
        return [without_references(v) for v in node]
    return node


# --- what it is -------------------------------------------------------------------------------


def test_the_transaction_stores_the_letter_as_a_document_written_once():
    discharge = carried()
    document = discharge.document
    assert document is not None
    (entry,) = [e for e in discharge.bundle["entry"] if e["resource"]["resourceType"] == "Bundle"]
    assert entry["fullUrl"] == document.urn == discharge.facts.document.literal
    assert entry["resource"] is document.bundle
    # a conditional create on its identifier: a repeat creates nothing
    assert document.bundle["identifier"] == {"system": "urn:ietf:rfc:3986", "value": document.urn}
    assert entry["request"] == {
        "method": "POST",
        "url": "Bundle",
        "ifNoneExist": f"identifier=urn:ietf:rfc:3986|{document.urn}",
    }
    assert document.bundle["meta"] == {"profile": [SITE.canonicals.letter_document_profile]}
    assert document.bundle["type"] == "document"
    # bdl-10: a timestamp, the letter's own time
    assert document.bundle["timestamp"] == discharge.letter["date"] == "2026-11-25T12:40:00+01:00"


def test_the_letter_comes_first_as_written_then_everything_it_references():
    discharge = carried()
    bundle = stored(discharge)
    letter = bundle["entry"][0]["resource"]
    assert letter["resourceType"] == "Composition"  # bdl-11
    assert letter["meta"]["profile"] == [SITE.canonicals.gp_letter_profile]
    # the letter as the transaction writes it: the same content, its references to the
    # document's own entries
    assert without_references(letter) == without_references(discharge.letter)
    assert (
        entry_of(bundle, letter["subject"]["reference"])["name"]
        == (resource(happy_bundle(), "Patient")["name"])
    )
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types == [
        "Composition",
        "Patient",
        "Encounter",
        "Practitioner",  # the author, who attests
        "Organization",  # the custodian
        "Condition",
        "QuestionnaireResponse",  # the screening
        "Task",
        "Task",
        "DocumentReference",  # the brochure
        "CarePlan",
        "Practitioner",  # the GP
    ]
    # each a copy of what the transaction writes (the new resources, the carried record)
    written = {
        json.dumps(without_references(e["resource"]), sort_keys=True)
        for e in discharge.bundle["entry"]
    }
    for entry in bundle["entry"]:
        assert json.dumps(without_references(entry["resource"]), sort_keys=True) in written


def test_it_is_self_contained_with_nothing_a_server_rewrites_in_a_transaction():
    discharge = carried()
    bundle = stored(discharge)
    transaction_urls = {e["fullUrl"] for e in discharge.bundle["entry"]}
    for entry in bundle["entry"]:
        parsed = parse_reference(entry["fullUrl"])
        assert parsed is not None and entry["fullUrl"].startswith(
            f"{document_base(SITE.canonicals)}/"
        )
        # R4: a RESTful fullUrl agrees with the entry's type and id
        assert (parsed.resource_type, parsed.id) == (
            entry["resource"]["resourceType"],
            entry["resource"]["id"],
        )
        assert entry["fullUrl"] not in transaction_urls
    references = list(references_in(bundle["entry"]))
    assert references
    for reference in references:
        assert not reference.startswith(("urn:", "http")), reference  # nothing to rewrite
        assert entry_of(bundle, reference) is not None, reference  # resolves inside
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])  # bdl-7


def test_a_record_read_from_the_server_is_in_it_as_its_content_and_nothing_outside():
    record = happy_bundle()
    # the Patient names an organisation the context does not hold: left out of the document
    resource(record, "Patient")["managingOrganization"] = {"reference": "Organization/elsewhere"}
    resource(record, "Patient")["meta"] = {"versionId": "7", "lastUpdated": "2026-11-25T12:00:00Z"}
    discharge = build_discharge(held_by_server(record), SITE)
    bundle = stored(discharge)
    patient = entry_of(bundle, bundle["entry"][0]["resource"]["subject"]["reference"])
    assert patient is not None
    assert "managingOrganization" not in patient and "meta" not in patient  # the server's meta
    assert patient["name"] == resource(record, "Patient")["name"]
    for reference in references_in(bundle["entry"]):
        assert entry_of(bundle, reference) is not None, reference
    assert not any(r.startswith("Patient/lbp-example") for r in references_in(bundle))


def test_the_same_record_gives_the_same_document_and_another_encounter_another():
    one = json.dumps(stored(carried()), ensure_ascii=False)
    assert json.dumps(stored(carried()), ensure_ascii=False) == one
    other = stored(
        build_discharge(
            context_from_bundle(with_encounter(happy_bundle(), "other-enc", "SPO-2026-000002")),
            SITE,
        )
    )
    mine = json.loads(one)
    assert other["identifier"] != mine["identifier"]
    assert {e["fullUrl"] for e in other["entry"]}.isdisjoint(e["fullUrl"] for e in mine["entry"])


# --- what is attested: the digest -------------------------------------------------------------


def reserialised(node: Any) -> Any:
    """The same content as a server may give it back: other key order, the same XHTML written
    otherwise (HAPI writes `<p/>` for `<p></p>` and `'` for `&#x27;`)."""
    if isinstance(node, dict):
        return {
            k: (
                v.replace("<p></p>", "<p/>").replace("&#x27;", "'").replace("&quot;", '"')
                if k == "div" and isinstance(v, str)
                else reserialised(v)
            )
            for k, v in reversed(list(node.items()))
        }
    if isinstance(node, list):
        return [reserialised(v) for v in node]
    return node


def test_the_digest_holds_through_a_servers_serialisation_and_its_meta():
    bundle = stored(carried())
    bundle["entry"][0]["resource"]["text"]["div"] = bundle["entry"][0]["resource"]["text"][
        "div"
    ].replace("</div>", "<p></p><p>arts&#x27;s &quot;x&quot;</p></div>")
    as_stored = {
        **reserialised(bundle),
        "id": "1019",
        "meta": {"versionId": "1", "lastUpdated": "2026-12-07T06:09:10.979+00:00"},
    }
    assert json.dumps(as_stored) != json.dumps(bundle)
    assert document_digest(as_stored) == document_digest(bundle)


@pytest.mark.parametrize(
    "change",
    ["a birth date", "a word of the letter", "the order of the entries", "an entry's id"],
)
def test_the_digest_changes_with_what_was_attested(change):
    bundle = stored(carried())
    changed = copy.deepcopy(bundle)
    if change == "a birth date":
        patient = next(e for e in changed["entry"] if e["resource"]["resourceType"] == "Patient")
        patient["resource"]["birthDate"] = "1981-03-15"
    elif change == "a word of the letter":
        letter = changed["entry"][0]["resource"]
        letter["text"]["div"] = letter["text"]["div"].replace("Geachte", "Beste")
    elif change == "the order of the entries":
        changed["entry"][1:3] = reversed(changed["entry"][1:3])
    else:
        changed["entry"][1]["resource"]["id"] = "1008"
    assert document_digest(changed) != document_digest(bundle)


# --- conformance ------------------------------------------------------------------------------


def test_it_follows_r4_and_our_profiles(fhir_validator):  # noqa: F811
    for discharge in (carried(), build_discharge(held_by_server(happy_bundle()), SITE)):
        errors = fhir_validator.errors(stored(discharge))
        assert errors == [], format_issues(errors)


def test_our_profile_refuses_entries_a_server_would_rewrite(fhir_validator):  # noqa: F811
    bundle = stored(carried())
    bundle["entry"][1]["fullUrl"] = "urn:uuid:" + bundle["entry"][1]["resource"]["id"]
    messages = [e["message"] for e in fhir_validator.errors(bundle)]
    assert any("lbp-document-own-entries" in m for m in messages), messages


# --- the KMEHR message's PDF is the stored document's -----------------------------------------


def test_the_kmehr_pdf_is_rendered_once_from_the_stored_document(monkeypatch):
    rendered: list[dict[str, Any]] = []

    def counting(document: dict[str, Any], site: Any) -> bytes:
        rendered.append(document)
        return render_letter_pdf(document, site)

    monkeypatch.setattr("fhir_discharge.core.rendering.render_letter_pdf", counting)
    discharge = carried()
    assert len(rendered) == 1  # ~0.2 s of CPU: once per discharge
    assert rendered[0] is stored(discharge)
    assert discharge.gp_message is not None
    assert discharge.gp_message.pdf == render_letter_pdf(stored(discharge), SITE)


def test_a_message_too_large_is_left_out_and_the_document_still_stored(monkeypatch):
    monkeypatch.setattr(ehealthbox, "EHEALTHBOX_MAX_BYTES", 100)
    discharge = carried()
    types = [e["resource"]["resourceType"] for e in discharge.bundle["entry"]]
    assert types[5:9] == ["Communication", "Bundle", "Provenance", "Device"]
    assert discharge.gp_message is None and discharge.document is not None


# --- the dry run, from outside ----------------------------------------------------------------


def test_the_dry_run_of_the_example_carries_the_document_and_a_provenance_of_the_letter():
    """Issue 23's check: `fhir-discharge discharge examples/input/happy-path-bundle.json
    --dry-run` carries a document Bundle (identifier, timestamp, the Composition first) and a
    Provenance whose target holds the letter."""
    command = Path(sys.executable).parent / "fhir-discharge"
    result = subprocess.run(
        [str(command), "discharge", str(HAPPY_PATH), "--dry-run"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    transaction = json.loads(result.stdout)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in transaction["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry)
    ((document,),) = [by_type["Bundle"]]
    bundle = document["resource"]
    assert bundle["type"] == "document"
    assert bundle["identifier"]["system"] and bundle["identifier"]["value"]
    assert bundle["timestamp"] == "2026-11-25T12:40:00+01:00"
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    (letter,) = by_type["Composition"]
    ((provenance,),) = [by_type["Provenance"]]
    targets = [t["reference"] for t in provenance["resource"]["target"]]
    assert letter["fullUrl"] in targets and document["fullUrl"] in targets


def test_a_narrative_that_declares_entities_is_compared_as_written_never_expanded(monkeypatch):
    """The digest parses narratives read back from a FHIR server, which may be hostile: one that
    declares a DTD (no FHIR narrative has one) is never parsed, so no entity is expanded."""
    bundle = stored(carried())
    laughs = (
        '<!DOCTYPE div [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        + "".join(
            f'<!ENTITY {n} "' + f"&{p};" * 10 + '">'
            for p, n in zip("bcdefghi", "cdefghij", strict=True)
        )
        + ']><div xmlns="http://www.w3.org/1999/xhtml">&j;</div>'
    )
    hostile = copy.deepcopy(bundle)
    hostile["entry"][0]["resource"]["text"]["div"] = laughs
    parsed: list[str] = []
    parse = stored_document.ET.fromstring
    monkeypatch.setattr(
        stored_document.ET, "fromstring", lambda text: parsed.append(text) or parse(text)
    )
    assert document_digest(hostile) != document_digest(bundle)
    assert parsed and not any("<!" in text for text in parsed)  # the others were parsed
