"""What the physician's app sends: the code exchange, and a screening of the launch's encounter,
as models (their bodies are read by StrictJsonRoute: size-limited, then checked here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from ...core.record.references import FHIR_ID_MAX_LENGTH, FHIR_ID_PATTERN
from ..body import FhirIdField


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iss: str = Field(max_length=500)
    code: str = Field(min_length=1, max_length=2000)
    code_verifier: str = Field(pattern=r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 4.1
    redirect_uri: str = Field(max_length=500)


# What the page may still name (the app of an earlier release sent them): the launch's own
# server and encounter, or nothing. Anything else is another launch's: refused.
IssQuery = Annotated[str | None, Query(max_length=500)]
EncounterQuery = Annotated[
    str | None, Query(pattern=FHIR_ID_PATTERN, max_length=FHIR_ID_MAX_LENGTH)
]


class Launched(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iss: str | None = Field(default=None, max_length=500)
    encounter: FhirIdField | None = None


class ScreeningAnswers(Launched):
    answers: dict[str, bool]
    screening_id: str = Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )
    # When the screening was authored, as the preview fixed it (its answer's `authored`), so the
    # screening stored at confirm, and the letter, say the moment the preview showed (issue 22,
    # point 4). None: now. A FHIR dateTime to the second, with its zone; the route bounds it.
    authored: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$",
    )
