"""The CDS card feedback kept in PostgreSQL where the replicas share their outbox there
(io/card_feedback.py; issue 22 point 6): two replicas keep the same outcome once, and each reports
the shared counts. The SQLite store through the app: tests/asgi/test_cds_feedback.py. (The
`postgres_url` fixture starts Debian's PostgreSQL.)"""

from __future__ import annotations

import uuid

from pydantic import SecretStr

from fhir_discharge.config import Settings
from fhir_discharge.io.card_feedback import (
    CardOutcome,
    PostgresCardFeedback,
    SqliteCardFeedback,
    card_feedback_for,
)
from tests.support.postgres import fresh_database


def outcome(reason: str = "clinical-judgement") -> CardOutcome:
    return CardOutcome(
        card=str(uuid.uuid4()),
        outcome="overridden",
        outcome_timestamp="2026-12-07T03:00:00+00:00",
        accepted_suggestions=(),
        reason_system="https://fhir.uzleuven.be/discharge/CodeSystem/cds-override-reason",
        reason_code=reason,
        reason_label=reason,
    )


def test_replicas_sharing_postgresql_keep_an_outcome_once_and_count_it_alike(
    postgres_url: str,
) -> None:
    url = fresh_database(postgres_url)
    first, second = PostgresCardFeedback(url), PostgresCardFeedback(url)
    try:
        same = outcome()
        assert first.record([same, outcome("record-incorrect")], "ehr", 1.0) == 2
        assert second.record([same], "ehr", 2.0) == 0  # sent again, to the other replica
        expected = {("overridden", "clinical-judgement"): 1, ("overridden", "record-incorrect"): 1}
        assert first.counts() == second.counts() == expected
    finally:
        first.close()
        second.close()


def test_the_settings_keep_feedback_where_the_outbox_is(postgres_url: str, tmp_path) -> None:
    shared = card_feedback_for(Settings(outbox_url=SecretStr(fresh_database(postgres_url))))
    local = card_feedback_for(Settings(outbox_path=str(tmp_path / "outbox.sqlite3")))
    try:
        assert isinstance(shared, PostgresCardFeedback)
        assert isinstance(local, SqliteCardFeedback)
    finally:
        shared.close()
        local.close()
