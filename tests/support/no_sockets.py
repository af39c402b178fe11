"""The in-process lanes (tests/unit, tests/asgi) open no network socket: a test that connects to
or binds an internet address fails, naming it, and belongs in tests/integration.

Their conftest.py files take these hooks; they wrap each test's setup, call and teardown (a
module-scoped fixture is set up inside its first test's setup, so it is held too). Unix sockets
stay allowed: an event loop wakes itself through a socketpair.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

_INTERNET = (socket.AF_INET, socket.AF_INET6)


class SocketInInProcessLane(RuntimeError):
    """A test of tests/unit or tests/asgi reached for the network."""


def _refusing(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def refuse(self: socket.socket, address: Any, *args: Any) -> Any:
        if self.family in _INTERNET:
            raise SocketInInProcessLane(
                f"socket.{name}({address!r}) in an in-process lane: a test that needs a server "
                "on loopback belongs in tests/integration"
            )
        return real(self, address, *args)

    return refuse


@contextmanager
def no_network_sockets() -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    try:
        for name in ("connect", "connect_ex", "bind"):
            patch.setattr(socket.socket, name, _refusing(name, getattr(socket.socket, name)))
        yield
    finally:
        patch.undo()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None]:
    with no_network_sockets():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    with no_network_sockets():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None]:
    with no_network_sockets():
        yield
