"""Signing keys published at a JWKS URL (RFC 7517), for the JWTs this service verifies: a system
caller's token (web/security.py), an EHR's CDS Hooks JWT (its own JWKS, or a `jku` listed for
it), a launch's id_token (io/smart_launch.py).

One fetcher per URL, its keys cached (PyJWKClient: fetched again once for a key id it does not
know, so a signer's new key is found). Blocking, as the fetch may be: call it off the event loop.
"""

from __future__ import annotations

import threading
from typing import Any

import jwt


class JwksKeys:
    """The keys of the JWKS URLs asked for, each fetched within `timeout` seconds."""

    def __init__(self, timeout: float = 30) -> None:
        self._timeout = timeout
        self._fetchers: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def _fetcher(self, url: str) -> jwt.PyJWKClient:
        with self._lock:
            fetcher = self._fetchers.get(url)
            if fetcher is None:
                fetcher = jwt.PyJWKClient(url, cache_keys=True, timeout=self._timeout)
                self._fetchers[url] = fetcher
        return fetcher

    def key_for_token(self, url: str, token: str) -> Any:
        """The key at `url` that signed `token` (by its header's `kid`)."""
        return self._fetcher(url).get_signing_key_from_jwt(token).key

    def key_by_id(self, url: str, kid: Any) -> Any:
        """The key at `url` with id `kid`; without one, the only key there (KeyError when it
        holds several)."""
        fetcher = self._fetcher(url)
        if kid is None:
            keys = fetcher.get_signing_keys()
            if len(keys) != 1:
                raise KeyError("kid")
            return keys[0].key
        return fetcher.get_signing_key(str(kid)).key
