"""Dependencies: the settings and the FHIR client, made once per app and swappable in tests."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from ..config import Settings
from ..fhir_client import FhirClient


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_fhir_client(request: Request) -> FhirClient:
    return cast(FhirClient, request.app.state.fhir_client)
