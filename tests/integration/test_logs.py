"""The service's logs over a full run: structured, with request ids, no patient data, no token."""

from __future__ import annotations

import json
import logging
import uuid

import httpx

from fhir_discharge.core.codes import SNOMED
from tests.support.factories import add, condition, fresh_record, resource
from tests.support.servers import AUTH, TEST_TOKEN, start_service

NAME = "Zyxwvutsrq"
GIVEN = "Qponmlk"
BIRTH = "1977-07-17"


def test_a_full_run_logs_ids_but_no_patient_data_and_no_token(fhir_base_url, tmp_path):
    record = fresh_record(uuid.uuid4().hex[:10])
    patient = resource(record, "Patient")
    patient["name"] = [{"family": NAME, "given": [GIVEN]}]
    patient["birthDate"] = BIRTH
    refused = fresh_record(uuid.uuid4().hex[:10])
    owner = f"Patient/{resource(refused, 'Patient')['id']}"
    add(refused, condition("flag", SNOMED, "192970008", encounter=False, patient=owner))
    resource(refused, "Patient")["name"] = [{"family": NAME, "given": [GIVEN]}]
    headers = {"Content-Type": "application/fhir+json", **AUTH, "X-Request-Id": "trace-42"}

    service = start_service(fhir_base_url, tmp_path)
    try:
        url = f"{service.url}/Encounter/$lbp-discharge"
        ok = httpx.post(url, json=record, headers=headers, timeout=60)
        assert ok.status_code == 201 and ok.headers["x-request-id"] == "trace-42"
        assert httpx.post(url, json=record, headers=headers, timeout=60).status_code == 200
        no = httpx.post(url, json=refused, headers=headers, timeout=60)
        assert no.status_code == 422, no.text
        bad = {**headers, "Authorization": f"Bearer {TEST_TOKEN}-wrong"}
        assert httpx.post(url, json=record, headers=bad, timeout=60).status_code == 401
        assert httpx.post(url, content=b"{", headers=headers, timeout=60).status_code == 400
        letter = next(p for p in ok.json()["parameter"] if p["name"] == "letter")
        reference = letter["part"][0]["valueReference"]["reference"]
        document = httpx.get(
            f"{service.url}/{reference}/$document", params={"_format": "pdf"}, headers=AUTH
        )
        assert document.status_code == 200
    finally:
        service.stop()

    lines = service.log_path.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(entries) >= 8
    assert all(e["request_id"] for e in entries)
    assert any(e["request_id"] == "trace-42" for e in entries)
    assert any("Encounter/" in e["message"] for e in entries)  # resource ids are there
    text = "\n".join(lines)
    for secret in (NAME, GIVEN, BIRTH, TEST_TOKEN, "Claes", "Maes", "rugpijn", "Janssens"):
        assert secret not in text, f"{secret!r} leaked into the service log"


def test_no_query_value_reaches_a_log_line():
    from fhir_discharge.logs import JsonFormatter, redact_query_values

    assert (
        redact_query_values('127.0.0.1:5 - "GET /app/callback?code=c0de&state=st4te HTTP/1.1" 200')
        == '127.0.0.1:5 - "GET /app/callback?code=…&state=… HTTP/1.1" 200'
    )
    record = logging.LogRecord(
        "any", logging.INFO, __file__, 1, "%s went to %s", ("x", "/a?b=s3cret&c"), None
    )
    message = json.loads(JsonFormatter().format(record))["message"]
    assert message == "x went to /a?b=…&c"


def test_the_access_log_keeps_no_authorization_code_state_or_launch(fhir_base_url, tmp_path):
    code, state, launch = (uuid.uuid4().hex for _ in range(3))
    service = start_service(fhir_base_url, tmp_path)
    try:
        for path, params in (
            ("/app/callback", {"code": code, "state": state}),
            ("/app/launch", {"iss": "http://127.0.0.1:1/fhir", "launch": launch}),
            ("/app/callback", {"error": "access_denied", "state": state}),
        ):
            assert httpx.get(f"{service.url}{path}", params=params).status_code == 200
    finally:
        service.stop()
    log = service.log_path.read_text(encoding="utf-8")
    assert "/app/callback?code=…&state=…" in log  # the access log has the request, its names
    for secret in (code, state, launch):
        assert secret not in log


def test_the_pdfs_font_subsetting_does_not_fill_the_log():
    from fhir_discharge.logs import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging()
        # fontTools' subsetter says each table it cuts at INFO: ~40 lines per letter's PDF.
        assert not logging.getLogger("fontTools.subset").isEnabledFor(logging.INFO)
        assert logging.getLogger("fontTools.subset").isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("fontTools").setLevel(logging.NOTSET)
