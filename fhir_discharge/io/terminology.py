"""SNOMED CT descendants of the red flags, asked of a FHIR terminology server.

pathway.md, "SNOMED CT descendants": a red-flag category is its concepts *and their descendants*
(the ValueSets `lbp-red-flag-<linkId>` of profiles/, one is-a filter per SNOMED CT concept). The
gate matches the listed concepts itself (core/terminology.py) but cannot know a descendant
offline. So, with FHIR_DISCHARGE_TERMINOLOGY_SERVER set, this module asks that server about every
SNOMED CT code of the record (by URI or OID, wherever it stands) that the lists do not match, and
hands the gate the answers in `DischargeContext.red_flags_by_terminology_server`.

Which operation, and why: `ValueSet/$validate-code` against our red-flag ValueSets by canonical
URL and version (`url`, `valueSetVersion`), one question per code and category.
- The ValueSets are the definition: the server evaluates what profiles/ publishes (is-a per
  concept), nothing is re-implemented here, and the version pins the definition this release was
  built with.
- It works on HAPI FHIR (SNOMED CT loaded with `$upload-external-code-system`, our ValueSets
  stored and pre-expanded; measured on 8.8.0 in tests/integration/test_terminology_hapi.py), and
  Ontoserver and Snowstorm document it (stored ValueSets with SNOMED CT filters,
  `$validate-code` on them; not tried here). A server that cannot evaluate our ValueSets
  (Snowstorm without ICD-10 loaded, say) fails the controls below: 503, never a silent "no".
- Not the implicit `http://snomed.info/sct?fhir_vs=isa/<concept>` value sets: HAPI 8.8.0 answers
  "Unknown or unusable ValueSet" for them. Not `CodeSystem/$subsumes`: it works on all three, but
  asks per pair (each code of the record × each of the ~150 listed concepts) and would restate the
  ValueSets' meaning here.
- Each code is also asked `CodeSystem/$validate-code` (does the server know it?): a code the
  server does not know, nobody can place; it refuses the discharge (422), like an uncoded fact.

Batched: the questions of one discharge go in one `batch` Bundle (HAPI, Ontoserver), at most
CODES_PER_BATCH codes each. A server that takes no batch at its base (404, 405 or 501; Snowstorm
documents none) is asked with plain GETs instead, at most GETS_IN_FLIGHT at a time (remembered).

Believed only when the server could have meant it: for a ValueSet it cannot evaluate (not loaded,
not yet pre-expanded, another version) HAPI answers `result: false` with an error message, which
reads like "not a red flag". So every batch also asks, per category, about the category's first
listed concept, which must come back `true`; if one does not, nothing of that batch is believed.

Cached: each answer (per code and category, and whether the code is known) is kept in an
in-process LRU for FHIR_DISCHARGE_TERMINOLOGY_CACHE_SECONDS: a discharge whose codes were all
asked before asks nothing. Bounded in time: all requests of one discharge together within
FHIR_DISCHARGE_TERMINOLOGY_DEADLINE_SECONDS.

When the server cannot answer (not reached, a dropped connection, a timeout, a 5xx, an answer it
could not have meant): TerminologyServerUnavailable, 503, before anything is accepted, so nothing
is written. That is the closed-world answer: the record may hold a descendant of a red flag, and a
silent fallback to the listed concepts would write "no red flags were found" without having
looked. Without a configured server the service matches the listed concepts only and says so at
start-up (the residual risk is in docs/safety/hazard-log.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import fields, replace
from typing import Any, Final
from urllib.parse import urlencode

import httpx

from ..config import Settings
from ..core.codes import RED_FLAG_ITEMS, RED_FLAGS, SNOMED
from ..core.pathway.canonicals import VERSION, Canonicals
from ..core.record.context import DischargeContext
from ..core.terminology import RED_FLAG_CODES
from ..errors import (
    Finding,
    IncompleteRecord,
    InvalidInput,
    TerminologyServerUnavailable,
)
from ..types import Resource
from .json_codec import json_bytes

log = logging.getLogger(__name__)

FHIR_JSON: Final = "application/fhir+json"
# SNOMED CT's OID (HL7 v3), as some records write Coding.system (pathway.md, "Every code system").
SNOMED_OID: Final = "urn:oid:2.16.840.1.113883.6.96"
# Who and where, not what: their codings (a qualification, a type of organisation) are not facts
# of the patient's record. Every other resource of the context is walked, whatever its type.
_PEOPLE_AND_PLACES: Final = frozenset(
    {"Patient", "Practitioner", "PractitionerRole", "Organization"}
)
CODES_PER_BATCH: Final = 50  # x 8 questions, + 7 controls: some 400 entries per Bundle at most
BATCHES_IN_FLIGHT: Final = 4
GETS_IN_FLIGHT: Final = 8
# A record with more SNOMED CT codes the lists do not place is not one this service screens in
# one discharge (an ED record holds tens).
MAX_CODES: Final = 1000
# A SNOMED CT identifier has at most 18 digits; a longer "code" (an expression, free text) is not
# sent: the server could not place it anyway.
_MAX_CODE_LENGTH: Final = 100
CACHE_SIZE: Final = 20_000
# Per category, the concept the server must place in it for its answers to be believed: the
# category's first listed SNOMED CT concept (its top concept in codes.py).
CONTROLS: Final[dict[str, str]] = {
    item: next(c.code for c in RED_FLAGS[item] if c.system == SNOMED) for item in RED_FLAG_ITEMS
}

# One question: (code, None) = does the server know the code; (code, linkId) = is the code in
# that red-flag category's ValueSet.
Question = tuple[str, str | None]


def unplaced_snomed_codes(ctx: DischargeContext) -> dict[str, str]:
    """The SNOMED CT codes of the record (snomed_codes) that the red-flag lists do not match:
    what the terminology server is asked about."""
    return {
        code: where
        for code, where in snomed_codes(ctx).items()
        if RED_FLAG_CODES.match(SNOMED, code) is None
    }


def unknown_code_finding(code: str, where: str) -> Finding:
    """The refusal's finding for a SNOMED CT code of `where` (`Type/id`) the terminology server
    does not know: nobody can place it, so the record is incomplete (422), like an uncoded fact.
    Coded, with the values its sentence in each catalogue says (core/i18n/, `findings`)."""
    code = code[:_MAX_CODE_LENGTH]
    return Finding(
        f"SNOMED CT {code} is not known to the terminology server: whether it is a red flag "
        "(or a descendant of one) cannot be told; code it with a concept of the server's "
        "edition, or mark the resource entered-in-error",
        where,
        "code-unknown-to-terminology-server",  # errors.FINDING_DISPLAYS
        {"code": code, "resource": where},
    )


def snomed_codes(ctx: DischargeContext) -> dict[str, str]:
    """Every SNOMED CT code of the record (Coding.system by URI or OID), each with where it was
    first seen (`Type/id`). Every coded position of every resource: a superset of what the gate
    reads, so that no place the gate reads is left unasked."""
    found: dict[str, str] = {}
    for resource in _record(ctx):
        where = f"{resource.get('resourceType')}/{resource.get('id')}"
        for code in _snomed_in(resource):
            found.setdefault(code, where)
    return found


def _record(ctx: DischargeContext) -> list[Resource]:
    """The resources of the context (its fields and its index), once each, people and places
    aside. Read from the dataclass's fields, so a record type added to the context is walked
    without a change here."""
    candidates: list[Any] = list(ctx.index.resources())
    for field in fields(ctx):
        value = getattr(ctx, field.name)
        candidates += list(value) if isinstance(value, tuple) else [value]
    unique = {id(r): r for r in candidates if isinstance(r, dict) and "resourceType" in r}
    return [r for r in unique.values() if r["resourceType"] not in _PEOPLE_AND_PLACES]


def _snomed_in(resource: Resource) -> Iterator[str]:
    stack: list[Any] = [resource]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            system, code = node.get("system"), node.get("code")
            if system in (SNOMED, SNOMED_OID) and isinstance(code, str) and code.strip():
                yield code.strip()
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


class _Answers:
    """The server's answers, least recently used out first, each for `ttl` seconds."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl = ttl
        self.size = size
        self._kept: OrderedDict[Question, tuple[float, bool]] = OrderedDict()

    def get(self, key: Question) -> bool | None:
        kept = self._kept.get(key)
        if kept is None:
            return None
        if kept[0] < time.monotonic():
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        return kept[1]

    def put(self, key: Question, value: bool) -> None:
        if self.ttl <= 0:
            return
        self._kept[key] = (time.monotonic() + self.ttl, value)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


def _questions(code: str) -> list[Question]:
    return [(code, None), *((code, item) for item in RED_FLAG_ITEMS)]


def _url(question: Question, canonicals: Canonicals) -> str:
    code, item = question
    if item is None:
        return "CodeSystem/$validate-code?" + urlencode({"url": SNOMED, "code": code})
    query = {
        "url": canonicals.red_flag_value_set(item),
        "valueSetVersion": VERSION,
        "system": SNOMED,
        "code": code,
    }
    return "ValueSet/$validate-code?" + urlencode(query)


class TerminologyServer:
    """One configured FHIR terminology server, its answers cached (module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        canonical_base: str,
        deadline_seconds: float = 5.0,
        cache_seconds: float = 3600.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # The site's: the red-flag ValueSets are loaded on the server under it (core/site.py).
        self.canonicals = Canonicals(canonical_base)
        self.deadline_seconds = deadline_seconds
        self._answers = _Answers(cache_seconds, CACHE_SIZE)
        self._takes_batches = True  # until the server says it takes none
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            headers={"Accept": FHIR_JSON},
            timeout=deadline_seconds,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> TerminologyServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def red_flags_of(self, ctx: DischargeContext) -> dict[tuple[str, str], str]:
        """(SNOMED CT URI, code) -> red-flag linkId, for each code of the record the server places
        in a category and the lists do not (the first category, in screening order). Raises
        TerminologyServerUnavailable (503) when the server cannot answer in time, and
        IncompleteRecord (422) for codes it does not know."""
        codes = unplaced_snomed_codes(ctx)
        if len(codes) > MAX_CODES:
            raise InvalidInput(
                f"the record holds more than {MAX_CODES} SNOMED CT codes the red-flag lists do "
                "not place: not a record this service screens in one discharge"
            )
        answers: dict[Question, bool] = {}
        unasked: list[str] = []
        for code in codes:
            cached = {q: self._answers.get(q) for q in _questions(code)}
            if any(value is None for value in cached.values()):
                unasked.append(code)
            else:
                answers.update({q: bool(value) for q, value in cached.items()})
        if unasked:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.deadline_seconds):
                    asked = await self._ask(unasked)
            except TimeoutError:
                raise TerminologyServerUnavailable(
                    "the terminology server did not answer within "
                    f"{self.deadline_seconds:g} s whether the record's SNOMED CT codes are "
                    "descendants of a red flag: nothing was written; try again"
                ) from None
            for question, value in asked.items():
                self._answers.put(question, value)
            answers.update(asked)
            log.info(
                "terminology server: %d codes asked (%d from the cache) in %.0f ms",
                len(unasked),
                len(codes) - len(unasked),
                1000 * (time.monotonic() - started),
            )

        placed: dict[tuple[str, str], str] = {}
        unknown: list[Finding] = []
        for code, where in codes.items():
            if not answers[(code, None)]:
                unknown.append(unknown_code_finding(code, where))
                continue
            item = next((i for i in RED_FLAG_ITEMS if answers[(code, i)]), None)
            if item is not None:
                placed[(SNOMED, code)] = item
        if unknown:
            raise IncompleteRecord(
                "SNOMED CT codes of the record are not known to the terminology server", unknown
            )
        return placed

    # --- asking --------------------------------------------------------------------------

    async def _ask(self, codes: list[str]) -> dict[Question, bool]:
        sendable = [c for c in codes if len(c) <= _MAX_CODE_LENGTH]
        answers: dict[Question, bool] = {(c, None): False for c in codes if c not in sendable}
        in_flight = asyncio.Semaphore(BATCHES_IN_FLIGHT)

        async def ask(chunk: list[str]) -> dict[Question, bool]:
            async with in_flight:
                return await self._ask_chunk(chunk)

        chunks = [
            sendable[i : i + CODES_PER_BATCH] for i in range(0, len(sendable), CODES_PER_BATCH)
        ]
        for found in await asyncio.gather(*(ask(chunk) for chunk in chunks)):
            answers.update(found)
        return answers

    async def _ask_chunk(self, codes: list[str]) -> dict[Question, bool]:
        asked = [q for code in codes for q in _questions(code)]
        controls: list[Question] = [(code, item) for item, code in CONTROLS.items()]
        questions = asked + controls
        if self._takes_batches:
            answers = await self._ask_in_batch(questions)
        else:
            answers = await self._ask_one_by_one(questions)
        for question in controls:
            if answers[question] is not True:
                value_set = self.canonicals.red_flag_value_set(str(question[1]))
                raise TerminologyServerUnavailable(
                    "the terminology server does not place the red-flag concepts in their own "
                    f"ValueSet ({value_set}|{VERSION}): it does not "
                    "hold our red-flag ValueSets of this version, or cannot evaluate them yet; "
                    "its answers cannot be believed, nothing was written"
                )
        return {q: answers[q] for q in asked}

    async def _ask_in_batch(self, questions: list[Question]) -> dict[Question, bool]:
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                {"request": {"method": "GET", "url": _url(q, self.canonicals)}} for q in questions
            ],
        }
        response = await self._request(
            "POST", "", content=json_bytes(bundle), headers={"Content-Type": FHIR_JSON}
        )
        if response.status_code in (404, 405, 501):
            # No batch at the server's base (Snowstorm): plain GETs from now on.
            log.info(
                "terminology server takes no batch (HTTP %d): asking one by one",
                response.status_code,
            )
            self._takes_batches = False
            return await self._ask_one_by_one(questions)
        if response.status_code != 200:
            raise _unavailable(f"answered the batch with HTTP {response.status_code}")
        body = _json(response)
        entries = body.get("entry") if body.get("type") == "batch-response" else None
        if not isinstance(entries, list) or len(entries) != len(questions):
            raise _unavailable("answered the batch with something else than its batch-response")
        answers: dict[Question, bool] = {}
        for question, entry in zip(questions, entries, strict=True):
            status = str(((entry or {}).get("response") or {}).get("status", ""))
            if not status.startswith("200"):
                raise _unavailable(f"answered a question of the batch with {status[:20]!r}")
            answers[question] = _result((entry or {}).get("resource"))
        return answers

    async def _ask_one_by_one(self, questions: list[Question]) -> dict[Question, bool]:
        in_flight = asyncio.Semaphore(GETS_IN_FLIGHT)

        async def ask(question: Question) -> bool:
            async with in_flight:
                response = await self._request("GET", _url(question, self.canonicals))
            if response.status_code != 200:
                raise _unavailable(f"answered a question with HTTP {response.status_code}")
            return _result(_json(response))

        found = await asyncio.gather(*(ask(q) for q in questions))
        return dict(zip(questions, found, strict=True))

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise _unavailable("did not answer in time") from None
        except httpx.HTTPError as error:
            raise _unavailable(f"could not be reached ({type(error).__name__})") from None


def _unavailable(what: str) -> TerminologyServerUnavailable:
    log.warning("terminology server %s", what)
    return TerminologyServerUnavailable(
        f"the terminology server {what}: whether the record's SNOMED CT codes are descendants "
        "of a red flag cannot be told, so nothing was written; try again"
    )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise _unavailable("answered with something that is not JSON") from None
    if not isinstance(body, dict):
        raise _unavailable("answered with something that is not a resource")
    return body


def _result(parameters: Any) -> bool:
    """The `result` of a $validate-code answer (a Parameters resource)."""
    if isinstance(parameters, dict) and parameters.get("resourceType") == "Parameters":
        for parameter in parameters.get("parameter") or []:
            if isinstance(parameter, dict) and parameter.get("name") == "result":
                value = parameter.get("valueBoolean")
                if isinstance(value, bool):
                    return value
    raise _unavailable("answered $validate-code without a result")


def terminology_server_from(settings: Settings) -> TerminologyServer | None:
    """The terminology server the settings name; None without one."""
    if settings.terminology_server is None:
        return None
    return TerminologyServer(
        settings.terminology_server,
        canonical_base=settings.site.canonical_base,
        deadline_seconds=settings.terminology_deadline_seconds,
        cache_seconds=settings.terminology_cache_seconds,
    )


def log_terminology_mode(settings: Settings | None) -> None:
    """Once at start-up: whether SNOMED CT descendants are asked of a server, and if not, that
    only the listed concepts are matched (the residual risk, docs/safety/hazard-log.md). None:
    a server was given in code."""
    if settings is not None and settings.terminology_server is None:
        log.warning(
            "FHIR_DISCHARGE_TERMINOLOGY_SERVER is not set: SNOMED CT codes of the record are "
            "matched against the listed red-flag concepts only (core/codes.py), not their "
            "descendants; the physician's screening is the control for the rest "
            "(docs/safety/hazard-log.md, 'No terminology server')"
        )
    else:
        log.info("SNOMED CT descendants of the red flags are asked of the terminology server")


async def with_red_flags_by_terminology_server(
    ctx: DischargeContext, server: TerminologyServer | None
) -> DischargeContext:
    """`ctx` with what the terminology server says of its SNOMED CT codes (unchanged without a
    server)."""
    if server is None:
        return ctx
    return replace(ctx, red_flags_by_terminology_server=await server.red_flags_of(ctx))
