"""URLs the web layer trusts and the URL it names itself by.

- `trusted_server`: whether a FHIR base URL a caller names (a CDS Hooks request's `fhirServer`,
  a SMART launch's `iss`) is one this service was configured to read from. Compared as parsed
  scheme, host, port and path, never as a string prefix: `http://127.0.0.1:1@localhost/fhir`
  starts with `http://127.0.0.1:` yet is a request to localhost, with "127.0.0.1:1" sent as
  Basic credentials. A URL with userinfo, a query, a fragment or a dot segment is never trusted.
- `public_base_url`: the service's own URL in what it answers (status URLs, the
  CapabilityStatement, the CDS card's app link, the app's redirect URI, the `aud` of CDS Hooks
  JWTs). The configured `public_base_url`; unset, the request's own only for a loopback Host,
  otherwise the address the connection reached. Never a Host header from elsewhere: a client
  could make the service hand out links to a host of its choice.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from fastapi import Request

from ..config import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}
# No whitespace, control characters or backslashes anywhere (parsers disagree about them).
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\\]")


def _parsed(url: str) -> tuple[SplitResult, str, int] | None:
    """The URL split, its lowercase host and its effective port; None when it is not a plain
    http(s) URL with a host and nothing a server could read two ways."""
    if _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if "@" in parts.netloc or parts.query or parts.fragment or "?" in url or "#" in url:
        return None
    segments = unquote(parts.path).split("/")
    if any(segment in (".", "..") for segment in segments):
        return None
    return parts, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def trusted_server(url: str, trusted: Iterable[str]) -> bool:
    """Whether `url` lies under one of `trusted`: a base URL (same scheme, host and port, and
    the same path or one below it) or, for an entry ending in ":" such as `http://127.0.0.1:`,
    that scheme and host on any port."""
    candidate = _parsed(url)
    if candidate is None:
        return False
    parts, host, port = candidate
    path = parts.path.rstrip("/")
    for entry in trusted:
        any_port = entry.endswith(":")
        base = _parsed(entry[:-1] if any_port else entry)
        if base is None:
            continue
        base_parts, base_host, base_port = base
        if base_parts.scheme.lower() != parts.scheme.lower() or base_host != host:
            continue
        if any_port:
            return True
        base_path = base_parts.path.rstrip("/")
        if port == base_port and (path == base_path or path.startswith(base_path + "/")):
            return True
    return False


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def public_base_url(request: Request, settings: Settings) -> str:
    """The service's base URL as callers reach it, without a trailing slash."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    root = str(request.scope.get("root_path") or "").rstrip("/")
    scheme = "https" if request.url.scheme == "https" else "http"
    try:  # rebuilt from the parsed host and port: "evil@127.0.0.1" keeps only 127.0.0.1
        host, port = request.url.hostname or "", request.url.port
    except ValueError:
        host, port = "", None
    if not _is_loopback(host):  # the address the connection reached, not what the client says
        server: Any = request.scope.get("server")
        host, port = (str(server[0]), server[1]) if server and server[1] else ("127.0.0.1", None)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{scheme}://{host}{'' if port in (None, _DEFAULT_PORTS[scheme]) else f':{port}'}{root}"


def public_url_for(request: Request, settings: Settings, name: str, **params: Any) -> str:
    """An absolute URL of one of this service's routes, on its public base URL."""
    path = request.app.url_path_for(name, **params)
    return public_base_url(request, settings) + str(path)
