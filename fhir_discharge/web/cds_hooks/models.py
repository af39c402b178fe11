"""The CDS Hooks 2.0 request ("Calling a CDS Service") and answers ("CDS Service Response",
"Discovery") of the `encounter-discharge` hook, as models: the request is checked against them
before anything is read; FastAPI checks each answer against them and the OpenAPI document shows
them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ...core.record.references import FHIR_ID_MAX_LENGTH, FHIR_ID_PATTERN
from ...errors import InvalidInput
from ...io.smart import BEARER_TOKEN_PATTERN
from ...types import Resource
from ..body import FhirIdField

# --- the request (CDS Hooks 2.0, "Calling a CDS Service") -------------------------------


class FhirAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")

    # Sent as a bearer token (RFC 6750 b64token): no other character can be in a header.
    access_token: str = Field(pattern=BEARER_TOKEN_PATTERN, max_length=8192)
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None

    @field_validator("token_type")
    @classmethod
    def _bearer(cls, value: str) -> str:
        if value != "Bearer":  # CDS Hooks 2.0: "Fixed value: Bearer"
            raise ValueError("token_type must be 'Bearer'")
        return value

    def __repr__(self) -> str:  # never the token in a log line or a traceback
        return f"FhirAuthorization(subject={self.subject!r}, scope={self.scope!r})"


# encounter-discharge: "userId: The id of the current user. Must be in the format
# [ResourceType]/[id]. For this hook, the user is expected to be of type Practitioner or
# PractitionerRole."
USER_ID_PATTERN: Final = r"^(Practitioner|PractitionerRole)/" + FHIR_ID_PATTERN.removeprefix("^")


class EncounterDischargeContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    userId: str = Field(pattern=USER_ID_PATTERN, max_length=17 + FHIR_ID_MAX_LENGTH)
    patientId: FhirIdField
    encounterId: FhirIdField


class CdsRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    hook: Literal["encounter-discharge"]
    hookInstance: str = Field(json_schema_extra={"format": "uuid"})
    fhirServer: AnyHttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: EncounterDischargeContext
    prefetch: dict[str, Any] | None = None

    @field_validator("hookInstance")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError("hookInstance must be a UUID") from None
        return value

    @model_validator(mode="after")
    def _authorization_needs_server(self) -> CdsRequest:
        # CDS Hooks 2.0: "If fhirAuthorization is provided, this field [fhirServer] is REQUIRED."
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization is given, so fhirServer is required")
        return self

    @property
    def fhir_server(self) -> str | None:
        return str(self.fhirServer).rstrip("/") if self.fhirServer is not None else None


def parse_request(body: dict[str, Any]) -> CdsRequest:
    """The CDS Hooks request, or InvalidInput (400) naming the offending fields only (pydantic's
    messages here carry no input values: no patient data, no token)."""
    try:
        return CdsRequest.model_validate(body)
    except ValidationError as error:
        problems = []
        for e in error.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ())) or "request"
            problems.append(f"{where}: {e.get('msg', 'invalid')}")
        raise InvalidInput(
            "not a valid encounter-discharge request: " + "; ".join(problems)
        ) from None


# --- feedback (CDS Hooks 2.0, "Feedback") ---------------------------------------------------

# One request holds the outcomes of one user's actions: a few cards, never thousands.
MAX_FEEDBACK_ENTRIES: Final = 100


def _uuid_text(value: str, what: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{what} must be a UUID") from None
    return value


class FeedbackCoding(BaseModel):
    model_config = ConfigDict(extra="allow")

    system: str | None = Field(default=None, max_length=256)
    code: str = Field(min_length=1, max_length=64)
    display: str | None = None


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="allow")

    reason: FeedbackCoding | None = None
    userComment: str | None = None  # read, never kept (io/card_feedback.py)


class AcceptedSuggestion(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return _uuid_text(value, "acceptedSuggestions.id")


class FeedbackEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    card: str
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(default=None, max_length=10)
    overrideReason: OverrideReason | None = None
    # "ISO timestamp in UTC when action was taken on card"
    outcomeTimestamp: datetime

    @field_validator("card")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return _uuid_text(value, "card")

    @field_validator("outcomeTimestamp")
    @classmethod
    def _with_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("outcomeTimestamp must say its offset (UTC)")
        return value

    @model_validator(mode="after")
    def _outcome_fields(self) -> FeedbackEntry:
        # "acceptedSuggestions: ... Required for accepted outcomes"; an override reason belongs
        # to an overridden card.
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("an accepted outcome names its acceptedSuggestions")
        if self.outcome == "accepted" and self.overrideReason is not None:
            raise ValueError("an accepted outcome has no overrideReason")
        return self


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    feedback: list[FeedbackEntry] = Field(min_length=1, max_length=MAX_FEEDBACK_ENTRIES)


def parse_feedback(body: dict[str, Any]) -> FeedbackRequest:
    """The feedback request, or InvalidInput (400) naming the offending fields only."""
    try:
        return FeedbackRequest.model_validate(body)
    except ValidationError as error:
        raise InvalidInput("not a valid CDS Hooks feedback: " + _problems(error)) from None


def _problems(error: ValidationError) -> str:
    problems = []
    for e in error.errors()[:5]:
        where = ".".join(str(p) for p in e.get("loc", ())) or "request"
        problems.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(problems)


# --- the response (CDS Hooks 2.0, "CDS Service Response" and "Discovery") -------------------
# What the service answers, as models: FastAPI checks each answer against them and the OpenAPI
# document shows them. No element is ever null (the endpoints leave out what is None).


class CdsResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Coding(CdsResponseModel):
    # CDS Hooks 2.0 "Coding": `display` is required for the override reasons a service gives.
    system: str | None = None
    code: str = Field(min_length=1)
    display: str | None = None


class Source(CdsResponseModel):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Link(CdsResponseModel):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Action(CdsResponseModel):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: Resource | None = None
    resourceId: str | None = None


class Suggestion(CdsResponseModel):
    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Card(CdsResponseModel):
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=139)  # "<140-character summary"
    detail: str | None = None  # GitHub Flavored Markdown
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_behavior_with_suggestions(self) -> Card:
        # CDS Hooks 2.0: "If suggestions are present, selectionBehavior MUST also be provided."
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("a card with suggestions needs selectionBehavior")
        if any(not reason.display for reason in self.overrideReasons or []):
            raise ValueError("an override reason needs its display")
        return self


class CdsResponse(CdsResponseModel):
    cards: list[Card]


class CdsService(CdsResponseModel):
    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class CdsDiscovery(CdsResponseModel):
    services: list[CdsService]


# Request bodies read raw (after the caller is authenticated), named in the OpenAPI document's
# components (app.py).
OPENAPI_REQUEST_MODELS: Final = (CdsRequest, FeedbackRequest)
