"""A real PostgreSQL server for the tests (the Postgres outbox), started once per session.

Uses Debian's server binaries (/usr/lib/postgresql/*/bin); when they are missing and we are
root with apt, installs the `postgresql` package first. Otherwise the tests that need the
server are skipped, saying why. The cluster is made with initdb in a fresh directory, listens
on 127.0.0.1 on a free port (its unix socket in that directory, trust authentication), and is
stopped (pg_ctl stop -m fast) and removed at the end of the session.

PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (made by
the Debian package; created here if missing).
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.sandbox import free_port

DATABASE = "fhir_discharge"
SERVER_USER = "postgres"


def _server_bin() -> Path | None:
    """The newest installed server version's bin directory, if any."""
    found = [
        Path(initdb).parent
        for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if Path(initdb).with_name("pg_ctl").exists()
    ]
    found.sort(key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _install_server() -> str | None:
    """apt-get install postgresql; None when it worked, else why not."""
    if os.geteuid() != 0:
        return "not root, so not installing the postgresql package"
    if shutil.which("apt-get") is None:
        return "no apt-get to install the postgresql package with"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "postgresql"]
    if subprocess.run(install, env=env, capture_output=True).returncode == 0:
        return None
    subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
    answer = subprocess.run(install, env=env, capture_output=True, text=True)
    if answer.returncode == 0:
        return None
    return f"apt-get install postgresql failed: {answer.stderr.strip()[-300:]}"


def _as_server_user(command: list[str]) -> list[str]:
    """The command, run as a non-root user when we are root."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return ["su", SERVER_USER, "-s", "/bin/sh", "-c", shlex.join(command)]


def _server_user() -> None:
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", SERVER_USER],
            check=True,
            capture_output=True,
        )


def _run(command: list[str], cwd: Path) -> None:
    answer = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    if answer.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({answer.returncode}): {answer.stdout}{answer.stderr}"
        )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """postgresql://postgres@127.0.0.1:PORT/fhir_discharge, on a server of this session."""
    pytest.importorskip("psycopg", reason="the [postgres] extra (psycopg) is not installed")
    bin_dir = _server_bin()
    if bin_dir is None:
        why = _install_server()
        bin_dir = _server_bin()
        if bin_dir is None:
            pytest.skip(f"no PostgreSQL server binaries (/usr/lib/postgresql/*/bin): {why}")
    started = time.monotonic()
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as
    # another user that must reach its directory.
    workdir = Path(tempfile.mkdtemp(prefix="fhir-discharge-pg-"))
    if os.geteuid() == 0:
        _server_user()
        shutil.chown(workdir, user=SERVER_USER)
    data = workdir / "data"
    port = free_port()
    _run(
        _as_server_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",  # local and 127.0.0.1 host connections, tests only
                "--encoding=UTF8",
                "--no-instructions",
            ]
        ),
        workdir,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir}"
    _run(
        _as_server_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(workdir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        workdir,
    )
    try:
        _run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                DATABASE,
            ],
            workdir,
        )
        print(f"PostgreSQL up on 127.0.0.1:{port} in {time.monotonic() - started:.1f} s")
        yield f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            cwd=workdir,
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def fresh_database(postgres_url: str) -> str:
    """A new, empty database on the session's server, and its URL: one test's outbox."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"{postgres_url.rsplit('/', 1)[0]}/{name}"
