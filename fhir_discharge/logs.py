"""Structured logs: one JSON object a line, each with the request id it belongs to.

What goes into a log message is decided where it is logged: resource ids, outbox ids, HTTP
statuses and error types only; never names, birth dates, free text, tokens or request bodies.
And whatever logger wrote it, a URL's query values never reach the log (`redact_query_values`):
the access log would otherwise keep the app's `/app/callback?code=...&state=...` (an
authorization code and its state) and `/app/launch?launch=...`; the parameter names stay.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")
_QUERY = re.compile(r"\?[^\s\"'<>]+")
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,40}")


def _redacted_query(match: re.Match[str]) -> str:
    parts = []
    for parameter in match.group(0)[1:].split("&"):
        name, has_value, _ = parameter.partition("=")
        name = name if _PARAMETER_NAME.fullmatch(name) else "…"
        parts.append(f"{name}=…" if has_value else name)
    return "?" + "&".join(parts)


def redact_query_values(text: str) -> str:
    """`text` with every URL query's values replaced by "…" (names kept when plain)."""
    return _QUERY.sub(_redacted_query, text) if "?" in text else text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id.get(),
            "message": redact_query_values(record.getMessage()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the type only: no values, no trace
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # fontTools says each table it subsets at INFO: ~40 lines per letter's PDF, no news.
    logging.getLogger("fontTools").setLevel(logging.WARNING)


class RequestIdMiddleware:
    """Takes the caller's X-Request-Id (if it is a plain token) or makes one, and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if given and len(given) <= 64 and set(given) <= _SAFE_ID else uuid.uuid4().hex
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
