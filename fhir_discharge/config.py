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
