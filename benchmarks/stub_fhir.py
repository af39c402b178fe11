"""A fast sink for the throughput benchmark: a tiny FHIR endpoint on loopback.

    .venv/bin/python -m benchmarks.stub_fhir --port 8099

Raw asyncio HTTP/1.1 (keep-alive, Content-Length bodies). `GET /fhir/metadata` answers 200;
any `POST /fhir` answers at once with a valid transaction-response: one "201 Created" entry with
a new id per entry of the posted Bundle, of the type its `request.url` names (the body is
parsed for that only, so the stub follows build_discharge's entries as they change); any search
(`GET /fhir/Type?...`, the reads of what the server holds under a carried record's identifiers
before each transaction, io/server_identity.py) an empty searchset: it holds no one. Used only
by benchmarks/throughput.py, so the service's own cost is what the benchmark measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
from typing import Any

_counter = itertools.count(1)


def transaction_response(body: bytes) -> bytes:
    n = next(_counter)
    try:
        entry_types = [e["request"]["url"].split("?", 1)[0] for e in json.loads(body)["entry"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        entry_types = []
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [
                {
                    "response": {
                        "status": "201 Created",
                        "location": f"{rtype}/stub-{n}-{i}/_history/1",
                    }
                }
                for i, rtype in enumerate(entry_types)
            ],
        },
        separators=(",", ":"),
    ).encode()


EMPTY_SEARCHSET = json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []}).encode()
METADATA = json.dumps(
    {"resourceType": "CapabilityStatement", "status": "active", "fhirVersion": "4.0.1"}
).encode()


def _reply(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/fhir+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class StubProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:  # bounded by the buffer: each pass consumes one whole request or stops
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, path = ([*head.split(" ", 2), "", ""])[:2]
            if method == "POST" and path.rstrip("/") in ("/fhir", ""):
                self.transport.write(_reply("200 OK", transaction_response(body)))
            elif method == "GET" and path.startswith("/fhir/metadata"):
                self.transport.write(_reply("200 OK", METADATA))
            elif method == "GET" and path.startswith("/fhir/") and "?" in path:
                self.transport.write(_reply("200 OK", EMPTY_SEARCHSET))
            else:
                self.transport.write(
                    _reply("404 Not Found", b'{"resourceType":"OperationOutcome"}')
                )


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(StubProtocol, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
