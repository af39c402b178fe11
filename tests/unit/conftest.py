"""The unit lane: pure code, no server and no socket. Marked `unit` by tests/conftest.py."""

from tests.support.no_sockets import (  # noqa: F401 (hooks of this folder's tests)
    pytest_runtest_call,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)
