"""The FHIR client over a real socket (a stub server on loopback): a search's next page is followed
on the same base URL only, with the token, never to another server; and a request imports no
module on its way out."""

from __future__ import annotations

import asyncio

import pytest

from fhir_discharge import FhirServerError
from fhir_discharge.io.fhir_client import FhirClient
from tests.support.stub_http import StubHttpServer, json_reply


def test_a_request_to_the_fhir_server_imports_nothing() -> None:
    """httpcore looks for sniffio on every request (an import); when it is missing, each request
    repeats the failed import, a stat of every sys.path entry: ~2 ms CPU a discharge. With
    sniffio installed (a dependency), requests after the first import nothing."""
    import sys

    capabilities = json_reply(200, {"resourceType": "CapabilityStatement"})

    class ImportRecorder:
        def __init__(self) -> None:
            self.looked_up: list[str] = []

        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            self.looked_up.append(name)
            return None  # let the real finders answer

    recorder = ImportRecorder()

    async def requests(base_url: str) -> None:
        async with FhirClient(base_url) as client:
            await client._request("GET", "metadata")  # first: imports whatever it imports
            sys.meta_path.insert(0, recorder)
            try:
                for _ in range(5):
                    assert (await client._request("GET", "metadata")).status_code == 200
            finally:
                sys.meta_path.remove(recorder)

    with StubHttpServer(lambda request: capabilities) as server:
        asyncio.run(requests(f"{server.origin}/fhir"))
    assert recorder.looked_up == []


# --- a search's next page: followed on the server's own base URL only (issue 18) --------------


def _searchset(*resources: dict, next_url: str | None = None) -> dict:
    bundle: dict = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


CONDITION = {"resourceType": "Condition", "id": "c1"}


@pytest.mark.parametrize("auth", ["bearer", "hook"])
def test_a_next_link_to_another_server_is_not_followed_and_no_token_leaves(auth) -> None:
    """Two real servers on loopback: the FHIR server answers a search with a `next` page on the
    other, which records any Authorization it receives. It receives nothing."""
    with StubHttpServer(lambda request: json_reply(200, _searchset(CONDITION))) as elsewhere:
        first_page = _searchset(CONDITION, next_url=f"{elsewhere.origin}/fhir/Condition?page=2")
        with StubHttpServer(lambda request: json_reply(200, first_page)) as server:
            token = "service-or-hook-token-" + auth

            async def search() -> list[dict]:
                # The service's own static token, or a CDS hook's access token: both are a
                # bearer token on the client (io/hook_gathering.py makes the hook's client so).
                async with FhirClient(f"{server.origin}/fhir", bearer_token=token) as client:
                    return await client.search("Condition", {"patient": "Patient/p1"})

            with pytest.raises(FhirServerError, match="not on its own base URL"):
                asyncio.run(search())
            assert [r.headers.get("Authorization") for r in server.requests] == [f"Bearer {token}"]
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    "next_url",
    [
        "http://127.0.0.1:{other_port}/fhir?page=2",  # another port
        "https://127.0.0.1:{port}/fhir?page=2",  # another scheme
        "http://localhost:{port}/fhir?page=2",  # another host name for the same machine
        "http://127.0.0.1:{port}/other?page=2",  # another path
        "http://127.0.0.1:{port}/fhirx?page=2",
        "http://127.0.0.1:{port}/fhir/../admin?page=2",
        "http://127.0.0.1:{port}/fhir/%2e%2e/admin?page=2",
        "http://user:pw@127.0.0.1:{port}/fhir?page=2",
        "//127.0.0.1:{other_port}/fhir?page=2",
        7,
    ],
)
def test_a_next_link_off_the_base_url_is_refused(next_url) -> None:
    def answer(request):
        link = (
            next_url
            if not isinstance(next_url, str)
            else next_url.format(port=server.port, other_port=server.port + 1)
        )
        return json_reply(200, _searchset(CONDITION, next_url=link))

    with StubHttpServer(answer) as server:

        async def search() -> list[dict]:
            async with FhirClient(f"{server.origin}/fhir", bearer_token="t") as client:
                return await client.search("Condition", {"patient": "Patient/p1"})

        with pytest.raises(FhirServerError):
            asyncio.run(search())
        assert len(server.requests) == 1


@pytest.mark.parametrize(
    "next_url",
    [
        "{origin}/fhir?_getpages=abc&_getpagesoffset=1",  # HAPI's form: the base itself
        "{origin}/fhir/Condition?page=2",
        "Condition?page=2",  # relative to the base
        "{upper}/fhir/Condition?page=2",  # the scheme and host in capitals: the same server
    ],
)
def test_a_next_link_on_the_same_base_url_is_followed_with_the_token(next_url) -> None:
    pages: list[str] = []

    def answer(request):
        pages.append(request.path)
        if len(pages) == 1:
            link = next_url.format(origin=server.origin, upper=server.origin.upper())
            return json_reply(200, _searchset(CONDITION, next_url=link))
        return json_reply(200, _searchset({"resourceType": "Condition", "id": "c2"}))

    with StubHttpServer(answer) as server:

        async def search() -> list[dict]:
            async with FhirClient(f"{server.origin}/fhir", bearer_token="t") as client:
                return await client.search("Condition", {"patient": "Patient/p1"})

        found = asyncio.run(search())
    assert [c["id"] for c in found] == ["c1", "c2"]
    assert [r.headers.get("Authorization") for r in server.requests] == ["Bearer t", "Bearer t"]
