"""The only module that speaks HTTP to a FHIR server (httpx).

It reads what a discharge needs, posts the transaction, and turns every failure of the server
or the network into a FhirServerError carrying the server's OperationOutcome (and the server's
Retry-After, when it sent one).

Reads are retried here on transient failures (RetryPolicy); writes are sent once: the discharge
transaction is retried by the outbox (io/delivery.py), whose attempts are durable and counted
(io/retry.py says why).
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..core.letter.document import references_of
from ..core.record.references import parse_reference
from ..errors import (
    FhirServerError,
    FhirServerTimeout,
    InvalidInput,
    UnknownEncounter,
    UnknownResource,
)
from ..types import Resource
from .json_codec import json_bytes
from .retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
# Bounds on what one discharge reads: a patient with more conditions than this is not a
# record we can screen in one request, and we say so instead of silently reading part of it.
MAX_SEARCH_PAGES = 20
SEARCH_PAGE_SIZE = 200
# A letter references some ten resources; a walk that finds far more is not reading a letter.
MAX_DOCUMENT_RESOURCES = 100
# Every read and search asks for the server's current state, not a cached answer (pathway.md:
# the current record, always). HAPI reuses a search's results for 60 s by default: measured on
# HAPI 8.8.0, a screening stored and then searched within that minute was not found; HAPI
# honours this header (tests/integration/test_fresh_reads.py).
FRESH = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class Landed:
    """Where one entry of our transaction landed on the server."""

    resource_type: str
    id: str
    location: str  # as the server gave it: relative or absolute, with or without _history
    created: bool  # False: a resource with the same business identifier already existed

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.id}"


class FhirConnections:
    """The HTTP connections to FHIR servers, made once per app lifespan (web/app.py) and shared by
    every per-call FhirClient of the physician's app and the CDS Hooks service.

    Making an httpx client loads the CA bundle into a TLS context: 20-50 ms of CPU on the event
    loop, even for http:// (benchmarks/README.md, "The latency the physician feels"). Made per
    call, that was half of the service's own time per record. One client, one pool.

    It holds no credential and keeps no cookie: each FhirClient sends its caller's token on its
    own requests (a physician's SMART token, a hook's access token), never on the shared client,
    so one caller's token can never go out with another's request (hazard-log H165)."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.http = httpx.AsyncClient(transport=transport, cookies=_no_cookies())

    def client(
        self,
        base_url: str,
        *,
        timeout: float,
        bearer_token: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> FhirClient:
        """A FhirClient for `base_url` on these connections, with `bearer_token` on its
        requests only. Closing it leaves the connections open."""
        return FhirClient(
            base_url, timeout=timeout, bearer_token=bearer_token, retry=retry, shared=self.http
        )

    async def aclose(self) -> None:
        await self.http.aclose()


class _RefuseCookies(http.cookiejar.DefaultCookiePolicy):
    """No cookie is kept, nor sent: a cookie a FHIR server set for one caller's token would
    otherwise go with the next caller's requests on the shared client."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def _no_cookies() -> http.cookiejar.CookieJar:
    # The jar itself: httpx keeps a CookieJar as given, but copies an httpx.Cookies into a new
    # jar with the default policy (which keeps everything).
    return http.cookiejar.CookieJar(policy=_RefuseCookies())


class FhirClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        bearer_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        auth: httpx.Auth | None = None,
        shared: httpx.AsyncClient | None = None,
    ) -> None:
        """`bearer_token`: a static token. `auth`: any httpx auth flow (e.g. SMART Backend
        Services, which fetches and refreshes its own tokens); it wins over `bearer_token`.
        `shared`: the connections to use (FhirConnections), not this client's to close; else
        this client makes its own (with `transport`, when given)."""
        headers = {"Accept": FHIR_JSON}
        if bearer_token and auth is None:
            headers["Authorization"] = f"Bearer {bearer_token}"
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()  # for reads only
        self.attempts_made = 0  # all requests since creation, retries included (for metrics)
        # Sent with each request, never set on the client: the client may be shared.
        self._base = httpx.URL(self.base_url + "/")
        self._headers = headers
        self._timeout = httpx.Timeout(timeout)
        self._auth = auth
        self._owns_http = shared is None
        # A client of its own keeps no cookies either: a FHIR server's session cookie is never
        # sent back in place of the credentials each request carries (H165).
        self._http = (
            shared
            if shared is not None
            else httpx.AsyncClient(transport=transport, cookies=_no_cookies())
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> FhirClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- reading -------------------------------------------------------------------------

    async def read(self, resource_type: str, resource_id: str) -> Resource | None:
        response = await self._get(f"{resource_type}/{resource_id}", headers=FRESH)
        if response.status_code in (404, 410):
            return None
        _raise_for_status(response, f"read {resource_type}")
        return _json(response)

    async def read_as_sent(
        self, resource_type: str, resource_id: str
    ) -> tuple[bytes, Resource] | None:
        """A read, with the body exactly as the server sent it (the bytes a plain GET gives
        anyone) besides its parsed form; None when the server does not hold it."""
        response = await self._get(f"{resource_type}/{resource_id}", headers=FRESH)
        if response.status_code in (404, 410):
            return None
        _raise_for_status(response, f"read {resource_type}")
        return response.content, _json(response)

    async def search(self, resource_type: str, params: dict[str, str]) -> list[Resource]:
        found: list[Resource] = []
        url: str | None = resource_type
        query: dict[str, str] | None = {**params, "_count": str(SEARCH_PAGE_SIZE)}
        for _ in range(MAX_SEARCH_PAGES):
            if url is None:
                return found
            response = await self._get(url, params=query, headers=FRESH)
            _raise_for_status(response, f"search {resource_type}")
            page = _json(response)
            found += [
                e["resource"]
                for e in page.get("entry") or []
                if (e.get("resource") or {}).get("resourceType") == resource_type
            ]
            url = next(
                (link["url"] for link in page.get("link") or [] if link.get("relation") == "next"),
                None,
            )
            if url is not None:
                url = self._on_this_server(url, f"search {resource_type}")
            query = None
        if url is not None:
            raise FhirServerError(f"search {resource_type}: more than {MAX_SEARCH_PAGES} pages")
        return found

    def _on_this_server(self, link: object, what: str) -> str:
        """A link the server gave (a search's `next` page), as an absolute URL on this very base
        URL: same scheme, host, port and path (or below it), no userinfo. Any other is refused,
        never followed: the request would carry this client's credentials (the service's own
        token, a hook's access token) to whoever the link names."""
        base = httpx.URL(self.base_url + "/")
        try:
            url = base.join(link) if isinstance(link, str) else None
        except (httpx.InvalidURL, ValueError, TypeError):
            url = None
        path = url.path if url is not None else ""
        if (
            url is None
            or url.scheme != base.scheme
            or url.host != base.host
            or url.port != base.port  # None for the scheme's default port, on both sides
            or url.userinfo
            or not (path + "/").startswith(base.path)
            or "/../" in path + "/"
            or "/./" in path + "/"
        ):
            raise FhirServerError(
                f"{what}: the FHIR server's next page is not on its own base URL; not followed"
            )
        return str(url)

    async def read_encounter(self, encounter_id: str) -> Resource:
        encounter = await self.read("Encounter", encounter_id)
        if encounter is None:
            raise UnknownEncounter(f"Encounter/{encounter_id} does not exist on the FHIR server")
        return encounter

    async def read_with_references(
        self,
        resource_type: str,
        resource_id: str,
        accept: Callable[[Resource], bool] = lambda _: True,
    ) -> tuple[Resource, list[Resource]]:
        """A resource and every resource on this server it references, directly or not (what
        `Composition/[id]/$document` gathers). A root that `accept` refuses is "not found",
        and none of its references is followed."""
        root = await self.read(resource_type, resource_id)
        if root is None or not accept(root):
            raise UnknownResource(
                f"{resource_type}/{resource_id} does not exist on the FHIR server"
            )
        found: dict[str, Resource] = {f"{resource_type}/{resource_id}": root}
        frontier = [root]
        while frontier:
            wanted: dict[str, dict[str, str]] = {}
            for resource in frontier:
                for literal in references_of(resource):
                    parsed = parse_reference(literal)
                    if parsed is None or parsed.resource_type is None:
                        continue
                    if parsed.literal not in found:
                        wanted.setdefault(parsed.literal, {"reference": literal})
            if len(found) + len(wanted) > MAX_DOCUMENT_RESOURCES:
                raise InvalidInput(
                    f"{resource_type}/{resource_id} references more than "
                    f"{MAX_DOCUMENT_RESOURCES} resources"
                )
            read = await asyncio.gather(*(self._resolve(r) for r in wanted.values()))
            frontier = []
            for key, fetched in zip(wanted, read, strict=True):
                found[key] = fetched or {}  # {}: not on this server; don't ask again
                if fetched:
                    frontier.append(fetched)
        return root, [r for r in found.values() if r and r is not root]

    async def _resolve(self, reference: Any) -> Resource | None:
        literal = reference.get("reference") if isinstance(reference, dict) else None
        parsed = parse_reference(literal) if isinstance(literal, str) else None
        if parsed is None or parsed.resource_type is None or parsed.id is None:
            return None
        if literal and "://" in literal and not literal.startswith(self.base_url + "/"):
            return None  # on another server: not ours to read
        return await self.read(parsed.resource_type, parsed.id)

    # --- writing -------------------------------------------------------------------------

    async def post_transaction(self, bundle: Resource) -> list[Landed]:
        """Post a transaction Bundle, once; where each entry landed, in the Bundle's order.
        A failure, transient or not, is raised: the outbox decides whether to try again."""
        response = await self._request(
            "POST",
            "",
            content=json_bytes(bundle),
            headers={"Content-Type": FHIR_JSON, "Prefer": "return=minimal"},
        )
        _raise_for_status(response, "transaction")
        answer = _json(response)
        entries = answer.get("entry") or []
        if answer.get("type") != "transaction-response" or len(entries) != len(bundle["entry"]):
            raise FhirServerError("the server's transaction-response does not match the request")
        return [
            _landed(request, entry) for request, entry in zip(bundle["entry"], entries, strict=True)
        ]

    async def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        """A read, retried on transient failures within the policy's bounds: reads have no
        outbox to come back to them, and a caller is waiting."""
        policy = self.retry
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._request("GET", url, **kwargs)
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                failure = _server_failure(response, "GET request")
            except FhirServerError as error:  # not reached, or no answer in time
                failure = error
            wait = policy.delay(attempt, failure.retry_after)
            elapsed = time.monotonic() - started
            if attempt >= policy.attempts or elapsed + wait > policy.total_seconds:
                raise failure
            log.info(
                "FHIR GET attempt %d failed (%s); retrying in %.2f s",
                attempt,
                type(failure).__name__,
                wait,
            )
            await policy.sleep(wait)

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request: the server's answer, whatever its status; a FhirServerError (no
        server_status) when there was none."""
        self.attempts_made += 1
        headers = {**self._headers, **kwargs.pop("headers", {})}
        try:
            return await self._http.request(
                method,
                self._url(url),
                headers=headers,
                timeout=self._timeout,
                auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                **kwargs,
            )
        except httpx.InvalidURL:
            raise InvalidInput("not a URL this FHIR server can be asked for") from None
        except httpx.TimeoutException:
            raise FhirServerTimeout(f"the FHIR server did not answer in time ({method})") from None
        except httpx.HTTPError as error:
            raise FhirServerError(
                f"could not reach the FHIR server ({type(error).__name__})"
            ) from None

    def _url(self, url: str) -> httpx.URL:
        """`url` below this client's base URL, as httpx's own `base_url` merges it (the path
        appended, not resolved); an absolute URL as it is (a search's next page, checked)."""
        merged = httpx.URL(url)
        if merged.is_relative_url:
            return self._base.copy_with(raw_path=self._base.raw_path + merged.raw_path.lstrip(b"/"))
        return merged


def _landed(request_entry: Resource, entry: Resource) -> Landed:
    response = entry.get("response") or {}
    status = str(response.get("status", ""))
    location = response.get("location")
    # HAPI: "201 Created" for a create, "200 OK" when ifNoneExist matched; some servers send
    # the bare code. The location may be relative or absolute, with or without _history.
    code = status.split(" ", 1)[0]
    ref = parse_reference(location.split("?", 1)[0]) if isinstance(location, str) else None
    if code not in ("200", "201") or ref is None or ref.id is None:
        raise FhirServerError(f"unexpected transaction-response entry (status {status!r})")
    # the type of `Type`, `Type?condition` (a conditional update) or `Type/id` (an update)
    expected = str(request_entry["request"]["url"]).split("?", 1)[0].split("/", 1)[0]
    if ref.resource_type != expected:
        raise FhirServerError(f"the server answered a {ref.resource_type} for a {expected}")
    return Landed(str(ref.resource_type), ref.id, str(location), created=code == "201")


def _raise_for_status(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        raise _server_failure(response, what)


def _server_failure(response: httpx.Response, what: str) -> FhirServerError:
    outcome: dict[str, Any] | None = None
    try:
        body = response.json()
        if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
            outcome = body
    except ValueError:
        pass
    log.warning("FHIR server answered %s to %s", response.status_code, what)
    error_type = FhirServerTimeout if response.status_code in (408, 504) else FhirServerError
    retry_after = response.headers.get("retry-after")
    return error_type(
        f"the FHIR server refused the {what} (HTTP {response.status_code})",
        server_status=response.status_code,
        server_outcome=outcome,
        retry_after=parse_retry_after(retry_after) if retry_after else None,
    )


def _json(response: httpx.Response) -> Resource:
    try:
        body = response.json()
    except ValueError:
        raise FhirServerError("the FHIR server answered with something that is not JSON") from None
    if not isinstance(body, dict):
        raise FhirServerError("the FHIR server answered with something that is not a resource")
    return body
