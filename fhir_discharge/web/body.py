"""Reading a request body as FHIR JSON, with every way it can be wrong answered as a 4xx."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import HTTPException, Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import StringConstraints

from ..core.record.references import FHIR_ID_MAX_LENGTH, FHIR_ID_PATTERN
from ..errors import DischargeError, InvalidInput

_JSON_TYPES = ("application/fhir+json", "application/json")
# Bodies above this are parsed in a worker thread; the usual context Bundle is ~6 kB.
PARSE_INLINE_MAX_BYTES = 64 * 1024
# A body FastAPI parses into a model (the physician app's: a screening is ~1 kB) is read whole
# before it is parsed, on the event loop: this much at most.
MODEL_BODY_MAX_BYTES = 64 * 1024

# A FHIR logical id (references.FHIR_ID_PATTERN: never "." or ".."): anything else in a path,
# a query or a request body never reaches the FHIR server.
FhirId = Annotated[str, Path(pattern=FHIR_ID_PATTERN, max_length=FHIR_ID_MAX_LENGTH)]
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


# A \uD800-\uDFFF escape: a half of a surrogate pair. Python's parser makes a lone one a string
# that cannot be written back as UTF-8 (every answer naming it would fail, a 500), though a
# pair is one character. Only a body with such an escape is looked at whole.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def parse_json(raw: bytes | bytearray) -> Any:
    """The body as JSON (RFC 8259): UTF-8, no NaN or Infinity, no lone surrogate; InvalidInput
    (400) otherwise. Every JSON body the service reads is parsed here (StrictJsonRoute)."""
    try:
        # NaN and Infinity are not JSON (RFC 8259 section 6), though Python's parser takes them.
        value = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8") from None
    except (ValueError, RecursionError):
        raise InvalidInput("the body is not valid JSON") from None
    if _SURROGATE_ESCAPE.search(raw):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(
                "the body is not valid JSON: a lone surrogate (\\uD800-\\uDFFF)"
            ) from None
        except RecursionError:
            raise InvalidInput("the body is not valid JSON") from None
    return value


# FHIR R4 datatypes, "string": strings SHOULD NOT contain code points below 32 other than
# U+0009 (tab), U+000A (line feed) and U+000D (carriage return). The service makes that a MUST
# for what it is sent: XML 1.0 (the KMEHR message, FHIR's own XML) cannot carry them at all, and
# a control character in a name or an identifier is no part of what the record means (a bell in
# a family name prints as nothing and matches no one). Neither the R4B models nor the compiled
# structure check refuse them (both take R4B's pattern `[ \r\n\t\S]+`, where \S is any
# non-space), hence this check.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _not_fhir_json_at(node: Any) -> tuple[str, str] | None:
    """Where `node` holds what FHIR JSON may not, and what: an empty object, a null object member
    (a null inside an array is FHIR's, beside a primitive's extensions; an empty array is let
    through, as the R4B models read it as absent and nothing carries it on), or a string with a
    control character. Iterative, one walk: ~40 µs for the usual record."""
    control = _CONTROL_CHARACTER.search
    stack: list[tuple[Any, str]] = [(node, "")]
    while stack:
        current, path = stack.pop()
        is_object = type(current) is dict
        if is_object and not current:
            return path, "null or empty is not a value"
        for key, value in current.items() if is_object else enumerate(current):
            kind = type(value)
            if kind is str:
                if (found := control(value)) is not None:
                    return (
                        f"{path}.{key}" if path else str(key),
                        f"a control character (U+{ord(found.group()):04X}) is not allowed in "
                        "a FHIR string",
                    )
            elif kind is dict or kind is list:
                stack.append((value, f"{path}.{key}" if path else str(key)))
            elif value is None and is_object:
                return f"{path}.{key}" if path else str(key), "null or empty is not a value"
    return None


def check_fhir_json(resource: Any, where: str) -> None:
    """InvalidInput (400) for what FHIR JSON may not hold, anywhere in a FHIR resource the
    service was sent: an empty object or a null member (FHIR R4 "JSON Format" has neither), a
    string with a control character (below). The structure check lets all three through (the
    compiled subset and the R4B models take an empty object as absent, the R4B models a null
    too, and both take the control characters), and the record carried with the letter would
    keep them: an invalid transaction, a letter or a KMEHR message that cannot say them."""
    if isinstance(resource, dict):
        found = _not_fhir_json_at(resource)
        if found is not None:
            where_found, problem = found
            rtype = str(resource.get("resourceType", "resource"))[:40]
            at = ".".join(p for p in (rtype, where_found) if p)
            raise InvalidInput(f"{where}: invalid {rtype} at {at}: {problem}")


class StrictJsonRequest(Request):
    """A request whose JSON, as FastAPI reads it for a model-typed body, is parse_json's, from
    at most MODEL_BODY_MAX_BYTES (413 beyond)."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MODEL_BODY_MAX_BYTES:
                raise HTTPException(413, f"the body is larger than {MODEL_BODY_MAX_BYTES} bytes")
            raw = bytearray()
            async for chunk in self.stream():
                raw += chunk
                if len(raw) > MODEL_BODY_MAX_BYTES:
                    raise HTTPException(
                        413, f"the body is larger than {MODEL_BODY_MAX_BYTES} bytes"
                    )
            self._body = bytes(raw)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """The route class of every router: a body FastAPI parses into a model is parsed as the raw
    bodies are (parse_json), so no body reaches a handler with a lone surrogate or NaN.
    FastAPI answers a body it could not parse with a 400 (app.py: an OperationOutcome)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict


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
