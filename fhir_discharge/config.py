"""Settings, from the environment (FHIR_DISCHARGE_*), built once and injected."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FHIR_DISCHARGE_", env_file=None)

    fhir_base_url: str = "http://127.0.0.1:8090/fhir"
    fhir_timeout_seconds: float = 30.0
    # A bearer token for the FHIR server; read from the environment or a secrets file, never logged.
    fhir_bearer_token: SecretStr | None = None
    language: str = "nl-BE"
    max_body_bytes: int = 1_000_000
    # The durable outbox (SQLite file): accepted discharges survive a crash or a FHIR outage.
    outbox_path: str = "var/outbox.sqlite3"
    # How long a discharge request waits for delivery before answering 202 with a status URL.
    sync_wait_seconds: float = 10.0
    # After this many failed deliveries an item is dead-lettered (kept, visible, re-drivable).
    max_delivery_attempts: int = 8
    delivery_base_delay_seconds: float = 1.0
