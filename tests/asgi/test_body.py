"""Request bodies: a large one is parsed off the event loop, and refused as a small one is."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from fhir_discharge.config import Settings
from fhir_discharge.web import body
from tests.support.factories import happy_bundle
from tests.support.in_process import in_process_app

TOKEN = "body-" + uuid.uuid4().hex
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/fhir+json"}
DISCHARGE = "/Encounter/$lbp-discharge"


def no_fhir_server(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})


def app(tmp_path: Path) -> Any:
    settings = Settings(outbox_path=str(tmp_path / "outbox.sqlite3"), api_tokens=[TOKEN])
    return in_process_app(settings, no_fhir_server)


def large_bundle() -> bytes:
    # The shape: a Bundle of many empty entries, above the inline parsing limit.
    entries = [{}] * (body.PARSE_INLINE_MAX_BYTES // 3 + 1)
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


def test_health_answers_while_a_large_body_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsing = threading.Event()
    health_answered = threading.Event()
    answered_while_parsing: list[bool] = []
    real_parse = body.parse_json

    def parse_until_health_answers(raw: bytes | bytearray) -> Any:
        parsing.set()
        # On the event loop this wait would hold /health back until it gave up: False.
        answered_while_parsing.append(health_answered.wait(timeout=10))
        return real_parse(raw)

    monkeypatch.setattr(body, "parse_json", parse_until_health_answers)
    with app(tmp_path) as client, ThreadPoolExecutor(max_workers=1) as pool:
        posting = pool.submit(client.post, DISCHARGE, content=large_bundle(), headers=HEADERS)
        assert parsing.wait(timeout=30)
        assert client.get("/health").status_code == 200
        health_answered.set()
        answer = posting.result(timeout=60)
    assert answered_while_parsing == [True]
    assert answer.status_code == 400  # no Encounter in it: refused after parsing, as before


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"{" + b" " * body.PARSE_INLINE_MAX_BYTES + b'"resourceType": ', "not valid JSON"),
        (b'{"resourceType": "Bundle", "x": "\xff' + b" " * body.PARSE_INLINE_MAX_BYTES, "UTF-8"),
        (b"[" + b"1," * body.PARSE_INLINE_MAX_BYTES + b"1]", "a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"n": ' + b"9" * 5000 + b"}" + b" " * body.PARSE_INLINE_MAX_BYTES, "not valid JSON"),
    ],
    ids=["truncated", "not-utf8", "not-an-object", "too-deep", "huge-number"],
)
def test_a_large_malformed_body_is_refused_as_a_small_one(
    tmp_path: Path, raw: bytes, said: str
) -> None:
    assert len(raw) > body.PARSE_INLINE_MAX_BYTES  # the worker-thread path
    with app(tmp_path) as client:
        answer = client.post(DISCHARGE, content=raw, headers=HEADERS)
    assert answer.status_code == 400
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert said in json.dumps(outcome)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_refused(tmp_path: Path, constant: str) -> None:
    """RFC 8259 has no NaN or Infinity; Python's parser takes them unless told not to, and a
    value that cannot be written back as JSON must not reach the transaction."""
    raw = (
        '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": '
        '{"resourceType": "Observation", "status": "final", "code": {"text": "t"}, '
        f'"valueQuantity": {{"value": {constant}}}}}}}]}}'
    ).encode()
    with app(tmp_path) as client:
        answer = client.post(DISCHARGE, content=raw, headers=HEADERS)
    assert answer.status_code == 400
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "not valid JSON" in outcome["issue"][0]["diagnostics"]


def test_a_big_context_bundle_is_checked_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The usual context Bundle (~6 kB) is checked inline (cheaper than a thread hop); a big one
    in a worker thread, whatever its number of entries (one entry can be as big as the body)."""
    import asyncio

    from fhir_discharge.web.operation import routes

    sent_to_threads: list[str] = []
    real_to_thread = asyncio.to_thread

    async def recording_to_thread(function: Any, /, *args: Any, **kwargs: Any) -> Any:
        sent_to_threads.append(getattr(function, "__name__", repr(function)))
        return await real_to_thread(function, *args, **kwargs)

    monkeypatch.setattr(routes.asyncio, "to_thread", recording_to_thread)
    small = happy_bundle()
    big = happy_bundle()
    # One more entry, of a type the discharge ignores (with a warning), as big as 20 kB.
    big["entry"].append({"resource": {"resourceType": "Basic", "code": {"text": "x" * 20_000}}})
    assert len(json.dumps(small)) < routes.CONTEXT_INLINE_MAX_BYTES < len(json.dumps(big))
    with app(tmp_path) as client:
        for bundle in (small, big):
            answer = client.post(
                DISCHARGE, params={"_dry-run": "true"}, content=json.dumps(bundle), headers=HEADERS
            )
            assert answer.status_code == 200, answer.text
    assert sent_to_threads.count("checked_context") == 1


def large_hook() -> bytes:
    """A CDS Hooks call whose prefetch is ~0.9 MB: the patient's many Conditions (the issue's
    shape: checking it took 1-4 s on the event loop)."""
    record = happy_bundle()
    patient = next(
        e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    encounter = next(
        e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == "Encounter"
    )
    condition = next(
        e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == "Condition"
    )
    conditions = [{**condition, "id": f"c{n}"} for n in range(950)]
    hook = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/dr",
            "patientId": patient["id"],
            "encounterId": encounter["id"],
        },
        "prefetch": {
            "patient": patient,
            "encounter": encounter,
            "conditions": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": c} for c in conditions],
            },
        },
    }
    raw = json.dumps(hook).encode()
    assert 500_000 < len(raw) < 1_000_000
    return raw


def test_health_answers_while_a_large_prefetch_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir_discharge.web.cds_hooks import prefetch

    checking = threading.Event()
    health_answered = threading.Event()
    answered_while_checking: list[bool] = []
    real_read_prefetch = prefetch.read_prefetch

    def check_until_health_answers(hook: Any) -> Any:
        checking.set()
        # On the event loop this wait would hold /health back until it gave up: False.
        answered_while_checking.append(health_answered.wait(timeout=10))
        return real_read_prefetch(hook)

    monkeypatch.setattr(prefetch, "read_prefetch", check_until_health_answers)
    with app(tmp_path) as client, ThreadPoolExecutor(max_workers=1) as pool:
        posting = pool.submit(
            client.post, "/cds-services/lbp-discharge", content=large_hook(), headers=HEADERS
        )
        assert checking.wait(timeout=30)
        assert client.get("/health").status_code == 200
        health_answered.set()
        answer = posting.result(timeout=120)
    assert answered_while_checking == [True]
    # The prefetch lacks the screening and the rest, and there is no fhirServer: 412.
    assert answer.status_code == 412, answer.text


# --- control characters (FHIR R4 datatypes, "string") ------------------------------------------

CONTROLS = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f"]


def with_family_name(record: dict[str, Any], family: str) -> dict[str, Any]:
    patient = next(
        e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["name"][0]["family"] = family
    return record


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_control_character_in_a_context_bundle_is_400(tmp_path: Path, control: str) -> None:
    record = with_family_name(happy_bundle(), f"Jans{control}sens")
    with app(tmp_path) as client:
        answer = client.post(
            DISCHARGE, params={"_dry-run": "true"}, content=json.dumps(record), headers=HEADERS
        )
    assert answer.status_code == 400, answer.text
    said = answer.json()["issue"][0]["diagnostics"]
    assert f"a control character (U+{ord(control):04X}) is not allowed in a FHIR string" in said
    assert ".resource.name.0.family" in said  # where, never the value


def test_a_control_character_in_a_bare_encounter_is_400_before_any_read(tmp_path: Path) -> None:
    encounter = next(
        e["resource"]
        for e in happy_bundle()["entry"]
        if e["resource"]["resourceType"] == "Encounter"
    )
    encounter["identifier"][0]["value"] = "SPO\x01-1"
    with app(tmp_path) as client:  # its FHIR server answers 404 to anything: not asked
        answer = client.post(DISCHARGE, content=json.dumps(encounter), headers=HEADERS)
    assert answer.status_code == 400, answer.text
    assert "Encounter.identifier.0.value" in answer.json()["issue"][0]["diagnostics"]


def test_tab_line_feed_and_carriage_return_are_allowed(tmp_path: Path) -> None:
    record = with_family_name(happy_bundle(), "Jans\tsens\r\n")
    with app(tmp_path) as client:
        answer = client.post(
            DISCHARGE, params={"_dry-run": "true"}, content=json.dumps(record), headers=HEADERS
        )
    assert answer.status_code == 200, answer.text


def test_a_control_character_in_a_cds_hooks_prefetch_is_400(tmp_path: Path) -> None:
    record = happy_bundle()
    patient, encounter = (
        next(e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == kind)
        for kind in ("Patient", "Encounter")
    )
    encounter["reasonCode"] = [{"text": "rugpijn\x0c"}]
    hook = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/dr",
            "patientId": patient["id"],
            "encounterId": encounter["id"],
        },
        "prefetch": {"patient": patient, "encounter": encounter},
    }
    with app(tmp_path) as client:
        answer = client.post(
            "/cds-services/lbp-discharge", content=json.dumps(hook), headers=HEADERS
        )
    assert answer.status_code == 400, answer.text
    said = answer.json()["issue"][0]["diagnostics"]
    assert said.startswith("prefetch.encounter: invalid Encounter at Encounter.reasonCode.0.text")
    assert "U+000C" in said


def test_the_structure_check_alone_would_take_a_control_character() -> None:
    """Why the body check is the control: R4B's own pattern for a string (`[ \\r\\n\\t\\S]+`) and
    the compiled subset built from it take a control character."""
    from fhir_discharge.core.record.context import check_with_models
    from fhir_discharge.core.record.structure import conforms

    record = with_family_name(happy_bundle(), "Jans\x07sens")
    assert conforms(record)
    check_with_models(record, "body")  # no error
    with pytest.raises(Exception, match="U\\+0007"):
        body.check_fhir_json(record, "body")
