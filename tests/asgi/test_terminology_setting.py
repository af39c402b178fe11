"""The service without a terminology server (FHIR_DISCHARGE_TERMINOLOGY_SERVER unset): it says so
once at start-up, asks nothing, and the gate sees the listed concepts only (the app in-process).
The failure modes of a configured one: tests/integration/test_terminology_faults.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fhir_discharge.config import Settings
from fhir_discharge.core.codes import SNOMED
from fhir_discharge.web.app import create_app
from tests.support.factories import add, condition, happy_bundle
from tests.support.servers import AUTH, TEST_TOKEN

NOT_IN_THE_LISTS = "16848101000119100"  # a descendant of 415082004 (tests/support/terminology_hapi)


def test_without_a_server_the_service_says_once_at_start_up_that_it_matches_listed_concepts_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def said() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "fhir_discharge.io.terminology" and r.levelno == logging.WARNING
        ]

    with caplog.at_level(logging.INFO):
        create_app(Settings(api_tokens=[TEST_TOKEN]))
    assert len(said()) == 1
    assert "FHIR_DISCHARGE_TERMINOLOGY_SERVER is not set" in said()[0]
    assert "listed red-flag concepts only" in said()[0]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        create_app(Settings(api_tokens=[TEST_TOKEN], terminology_server="http://127.0.0.1:9/f"))
    assert said() == []


def test_without_a_terminology_server_nothing_is_asked_and_the_context_is_unchanged(
    tmp_path: Path,
) -> None:
    settings = Settings(api_tokens=[TEST_TOKEN], outbox_path=str(tmp_path / "o.sqlite3"))
    bundle = add(happy_bundle(), condition("c2", SNOMED, NOT_IN_THE_LISTS, encounter=False))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.app.state.terminology_server is None  # type: ignore[attr-defined]
        answer = client.post("/Encounter/$lbp-discharge?_dry-run=true", json=bundle, headers=AUTH)
    # The gate sees the listed concepts only: the descendant passes (the residual risk H56).
    assert answer.status_code == 200, answer.text
