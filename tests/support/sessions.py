"""The physician's app's sessions for tests: one opened as the code exchange opens it, and the
all-clear screening the app stores (tests/integration/test_caller_roles.py,
tests/integration/test_known_gaps.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi.testclient import TestClient

from fhir_discharge.io.app_sessions import AppSession, AppSessions
from tests.support.factories import resource
from tests.support.site import SITE


def launch_ids(record: dict[str, Any]) -> dict[str, str]:
    """The launch context of `record`: its patient, encounter and ED physician."""
    return {
        "patient": resource(record, "Patient")["id"],
        "encounter": resource(record, "Encounter")["id"],
        "physician": resource(record, "Practitioner")["id"],
    }


def open_session(
    client: TestClient, iss: str, record: dict[str, Any], lifetime: float = 300, **bound: str
) -> dict[str, str]:
    """A session of the app as the code exchange opens one: for `record`'s patient and
    encounter (or what `bound` says instead); its bearer header."""
    sessions: AppSessions = client.app.state.app_sessions  # type: ignore[attr-defined]
    launch = {**launch_ids(record), **bound}
    session = AppSession(
        iss=iss,
        patient=launch["patient"],
        encounter=launch["encounter"],
        practitioner=launch["physician"],
        access_token="the-smart-token-" + uuid.uuid4().hex,
        expires=time.time() + lifetime,
    )
    return {"Authorization": f"Bearer {sessions.open(session, time.time())}"}


ALL_CLEAR = {
    **{item.link_id: False for item in SITE.pathway.screening.items},
    "brochure-given": True,
}
