"""The asgi lane: the service in this process (FastAPI's TestClient, httpx's MockTransport), no
server, no socket. Marked `asgi` by tests/conftest.py."""

from tests.support.no_sockets import (  # noqa: F401 (hooks of this folder's tests)
    pytest_runtest_call,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)
