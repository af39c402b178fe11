"""A TCP proxy on loopback that misbehaves on purpose, between the service and the FHIR server.

- mode "cut": the first `times` POSTs reach the server and are processed; as soon as the
  server starts answering, both connections are closed and the answer is lost.
- mode "hold": POST answers are held back for `hold_seconds` (time to kill the service while
  its delivery is in flight); `landed` is set when the server has answered one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class FaultyProxy:
    def __init__(self, upstream_port: int, mode: str, times: int = 1, hold_seconds: float = 30):
        self.upstream_port = upstream_port
        self.mode = mode
        self.remaining = times
        self.hold_seconds = hold_seconds
        self.cut = 0
        self.landed = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> FaultyProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        def shutdown() -> None:
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.call_soon(self._loop.stop)

        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter):
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        saw_post = asyncio.Event()

        async def client_to_upstream() -> None:
            while data := await client_r.read(65536):
                if b"POST " in data[:16]:
                    saw_post.set()
                up_w.write(data)
                await up_w.drain()
            up_w.close()

        async def upstream_to_client() -> None:
            while data := await up_r.read(65536):
                if saw_post.is_set() and self.remaining > 0:
                    self.landed.set()
                    if self.mode == "cut":
                        self.remaining -= 1
                        self.cut += 1
                        saw_post.clear()
                        raise ConnectionAbortedError
                    await asyncio.sleep(self.hold_seconds)
                client_w.write(data)
                await client_w.drain()

        with contextlib.suppress(Exception):
            await asyncio.gather(client_to_upstream(), upstream_to_client())
        for writer in (client_w, up_w):
            with contextlib.suppress(Exception):
                writer.close()
