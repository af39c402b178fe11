"""A stub FHIR server (tests/support/stub_http.py) that serves one record as io/gathering.py
reads it: each resource by `Type/id`, and searches by `patient` or `encounter`. For the tests
where the FHIR server's socket, token or cookies are the point (test_cds_hooks.py: the hook's
bearer token; test_shared_connections.py: one HTTP client across calls); the sandbox is the
FHIR server everywhere else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.stub_http import StubHttpServer, StubReply, StubRequest, json_reply


class RecordFhirServer(StubHttpServer):
    """The record's resources under `{origin}/fhir`. `answer` gives the record's answer to a
    request; a subclass adds what it checks or records around it."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(self.answer)
        self.resources = {
            f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
            for e in record["entry"]
        }
        self.base_url = f"{self.origin}/fhir"

    def answer(self, request: StubRequest) -> StubReply:
        return self.record_answer(request) or not_found()

    def record_answer(self, request: StubRequest) -> StubReply | None:
        """The resource read, or the search's searchset; None for a resource it does not
        hold."""
        url = urlsplit(request.path)
        path = url.path.removeprefix("/fhir/")
        if "/" not in path:  # a search by patient or encounter (io/gathering.py)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            element, value = (
                ("subject", query["patient"])
                if "patient" in query
                else ("encounter", query.get("encounter"))
            )
            found = [
                r
                for r in self.resources.values()
                if r["resourceType"] == path and (r.get(element) or {}).get("reference") == value
            ]
            bundle = {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(found),
                "entry": [{"resource": r, "search": {"mode": "match"}} for r in found],
            }
            return json_reply(200, bundle)
        if path in self.resources:
            return json_reply(200, self.resources[path])
        return None


def not_found() -> StubReply:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found"}],
    }
    return json_reply(404, outcome)
