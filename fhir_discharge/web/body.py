"""Reading a request body as FHIR JSON, with every way it can be wrong answered as a 4xx."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import StringConstraints

from ..core.references import FHIR_ID_MAX_LENGTH, FHIR_ID_PATTERN
from ..errors import DischargeError, InvalidInput

_JSON_TYPES = ("application/fhir+json", "application/json")
# Bodies above this are parsed in a worker thread; the usual context Bundle is ~6 kB.
PARSE_INLINE_MAX_BYTES = 64 * 1024

# A FHIR logical id (references.FHIR_ID_PATTERN: never "." or ".."): anything else in a path,
# a query or a request body never reaches the FHIR server.
FhirId = Annotated[str, Path(pattern=FHIR_ID_PATTERN, max_length=FHIR_ID_MAX_LENGTH)]
FhirIdQuery = Annotated[str, Query(pattern=FHIR_ID_PATTERN, max_length=FHIR_ID_MAX_LENGTH)]
FhirIdField = Annotated[
    str, StringConstraints(pattern=FHIR_ID_PATTERN, max_length=FHIR_ID_MAX_LENGTH)
]


class PayloadTooLarge(DischargeError):
    http_status = 413
    issue_code = "too-costly"


class UnsupportedMediaType(DischargeError):
    http_status = 415
    issue_code = "not-supported"


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse_json(raw: bytes | bytearray) -> Any:
    try:
        # NaN and Infinity are not JSON (RFC 8259 section 6), though Python's parser takes them.
        return json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8") from None
    except (ValueError, RecursionError):
        raise InvalidInput("the body is not valid JSON") from None


async def fhir_json_body(request: Request, max_bytes: int) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in _JSON_TYPES:
        raise UnsupportedMediaType("send the body as application/fhir+json")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
    request.state.body_bytes = len(raw)  # what the caller's CPU work on it will cost, roughly
    if len(raw) > PARSE_INLINE_MAX_BYTES:
        # A large body takes tens of ms to parse (1 MB of JSON ~40 ms): off the event loop, so
        # /health and the other requests are answered meanwhile.
        body = await asyncio.to_thread(parse_json, raw)
    else:
        body = parse_json(raw)  # ~35 µs for a usual context Bundle: less than a thread hop
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a FHIR resource (a JSON object)")
    return body
