"""CDS Hooks JWTs already used (io/seen_tokens.py): a replay is refused within the token's
lifetime, in one process's memory, and across replicas sharing the PostgreSQL database (the
fixture starts Debian's PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pydantic import SecretStr

from fhir_discharge.config import Settings
from fhir_discharge.io.seen_tokens import MemorySeenTokens, PostgresSeenTokens, seen_tokens_for
from tests.support.postgres import fresh_database

NOW = 1_000_000.0


def test_in_memory_a_token_is_first_used_once_until_it_expires() -> None:
    seen = MemorySeenTokens()
    assert seen.first_use("ehr", "a", NOW + 60, NOW)
    assert not seen.first_use("ehr", "a", NOW + 60, NOW + 1)  # replayed
    assert seen.first_use("other-ehr", "a", NOW + 60, NOW + 1)  # jti is per issuer
    assert seen.first_use("ehr", "a", NOW + 200, NOW + 61)  # expired: forgotten


def test_replicas_sharing_postgresql_refuse_a_token_replayed_to_another(postgres_url: str) -> None:
    url = fresh_database(postgres_url)
    first, second = PostgresSeenTokens(url), PostgresSeenTokens(url)  # two replicas
    try:
        assert first.first_use("ehr", "a", NOW + 60, NOW)
        assert not second.first_use("ehr", "a", NOW + 60, NOW + 1)  # the other replica knows
        assert not first.first_use("ehr", "a", NOW + 60, NOW + 2)
        assert second.first_use("other-ehr", "a", NOW + 60, NOW + 2)
        assert second.first_use("ehr", "a", NOW + 200, NOW + 61)  # expired: a new use
    finally:
        first.close()
        second.close()


def test_the_same_token_at_two_replicas_at_once_is_first_at_one_only(postgres_url: str) -> None:
    url = fresh_database(postgres_url)
    replicas = [PostgresSeenTokens(url) for _ in range(4)]
    try:
        for n in range(20):
            with ThreadPoolExecutor(max_workers=4) as pool:
                firsts = list(
                    pool.map(lambda r: r.first_use("ehr", f"t{n}", NOW + 60, NOW), replicas)
                )
            assert firsts.count(True) == 1, (n, firsts)
    finally:
        for replica in replicas:
            replica.close()


def test_the_settings_choose_the_shared_store_where_the_outbox_is_shared(
    postgres_url: str,
) -> None:
    assert isinstance(seen_tokens_for(Settings()), MemorySeenTokens)
    shared = seen_tokens_for(Settings(outbox_url=SecretStr(fresh_database(postgres_url))))
    try:
        assert isinstance(shared, PostgresSeenTokens)
    finally:
        shared.close()


def test_the_app_shares_the_store_where_its_outbox_is_shared(postgres_url: str) -> None:
    from fastapi.testclient import TestClient

    from fhir_discharge.web.app import create_app

    settings = Settings(
        outbox_url=SecretStr(fresh_database(postgres_url)),
        cds_clients={"https://ehr.example": {"jku_allowed": ["https://ehr.example/jwks"]}},
    )
    app = create_app(settings)
    with TestClient(app):
        assert isinstance(app.state.cds_authenticator.seen_tokens, PostgresSeenTokens)
