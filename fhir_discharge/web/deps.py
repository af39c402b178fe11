"""Dependencies: the settings, the FHIR client, the deliverer and the terminology server, made
once per app.

Routers declare parameters with the `...Dep` aliases below (FastAPI's `Annotated` idiom), so each
dependency is spelled once. They are `async def` although they do not await: FastAPI runs a plain
`def` dependency in its thread pool, a thread hop per dependency per request (~0.25 ms each here).
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from ..config import Settings
from ..io.delivery import Deliverer
from ..io.fhir_client import FhirClient
from ..io.terminology import TerminologyServer


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_fhir_client(request: Request) -> FhirClient:
    return cast(FhirClient, request.app.state.fhir_client)


async def get_deliverer(request: Request) -> Deliverer:
    return cast(Deliverer, request.app.state.deliverer)


async def get_terminology_server(request: Request) -> TerminologyServer | None:
    """The configured terminology server (io/terminology.py); None without one."""
    return cast(TerminologyServer | None, request.app.state.terminology_server)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[FhirClient, Depends(get_fhir_client)]
DelivererDep = Annotated[Deliverer, Depends(get_deliverer)]
TerminologyDep = Annotated[TerminologyServer | None, Depends(get_terminology_server)]
