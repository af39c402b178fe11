"""A small HTTP server on loopback whose answers are a function of the request, and which records
every request it answers: for the tests where a real socket is the point (a FHIR server that
checks a token, a JWKS behind a `jku`, a spy that nothing should reach).

    with StubHttpServer(lambda request: json_reply(200, {"resourceType": "Patient"})) as server:
        ...  # call f"{server.origin}/fhir/Patient/1"
    assert [r.path for r in server.requests] == ["/fhir/Patient/1"]
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class StubRequest:
    method: str
    path: str  # as sent: with its query string
    headers: Message  # looked up without regard to case, as http.server parses them
    body: bytes


@dataclass(frozen=True)
class StubReply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # Content-Length is added


def json_reply(status: int, value: Any, content_type: str = "application/fhir+json") -> StubReply:
    return StubReply(status, json.dumps(value).encode(), {"Content-Type": content_type})


class StubHttpServer:
    """Binds 127.0.0.1 on a free port when made; serves in a thread between `with` and its end,
    then shuts down and joins. Only `methods` are served: any other is answered 501 by
    http.server, unrecorded, as a handler without that `do_` method answers it."""

    def __init__(
        self, answer: Callable[[StubRequest], StubReply], methods: Iterable[str] = ("GET",)
    ) -> None:
        self.requests: list[StubRequest] = []
        requests = self.requests

        def serve(handler: BaseHTTPRequestHandler) -> None:
            length = int(handler.headers.get("Content-Length", 0))
            request = StubRequest(
                handler.command, handler.path, handler.headers, handler.rfile.read(length)
            )
            requests.append(request)
            reply = answer(request)
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)

        def quiet(handler: BaseHTTPRequestHandler, *args: object) -> None:
            pass

        handler = type(
            "StubHandler",
            (BaseHTTPRequestHandler,),
            {"log_message": quiet} | {f"do_{method}": serve for method in methods},
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port: int = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
