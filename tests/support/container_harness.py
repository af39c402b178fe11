"""Build and run the service image with shared/container/podman.sh (these machines have no Docker
engine and no registry: podman builds with chroot isolation, and a debootstrapped Debian bookworm
image stands in for python:3.12-slim).

Where things are:
- podman.sh: `<repo's parent>/shared/container/podman.sh`, else
  `$FHIR_DISCHARGE_SHARED_DIR/container/podman.sh`.
- the base image: `$FHIR_DISCHARGE_PYTHON_IMAGE`, default `localhost/python-base:bookworm` (made by
  `podman.sh base`); it is passed as the Dockerfile's PYTHON_IMAGE build argument.
- how a container is reached: `$FHIR_DISCHARGE_CONTAINER_NETWORK`, `publish` (default: port
  127.0.0.1:PORT published to the container's 8080, the image's own CMD and HEALTHCHECK) or `host`
  (the host's network; the CMD is replaced to listen on 127.0.0.1:PORT). `publish` falls back to
  `host` when the container cannot be started with a published port.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import httpx

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = os.environ.get("FHIR_DISCHARGE_PYTHON_IMAGE", "localhost/python-base:bookworm")
APP = "fhir_discharge.web.app:create_app"
IMAGE_PORT = 8080

Network = Literal["publish", "host"]


def shared_dir() -> Path | None:
    for candidate in (REPO.parent / "shared", os.environ.get("FHIR_DISCHARGE_SHARED_DIR")):
        if candidate and (Path(candidate) / "container" / "podman.sh").is_file():
            return Path(candidate)
    return None


def podman(
    *args: str, timeout: float = 600, check: bool = True, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`bash podman.sh ARGS` from the repo root (podman.sh sets this machine's podman config)."""
    shared = shared_dir()
    if shared is None:
        raise RuntimeError("shared/container/podman.sh not found (set FHIR_DISCHARGE_SHARED_DIR)")
    result = subprocess.run(
        ["bash", str(shared / "container" / "podman.sh"), *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        output = (result.stdout + result.stderr)[-4000:]
        raise RuntimeError(f"podman.sh {' '.join(args[:2])} exited {result.returncode}:\n{output}")
    return result


@functools.cache
def podman_available() -> str | None:
    """None when podman and the base image are ready (running `setup` and `base` if needed, which
    can take minutes the first time), else why not, for pytest.skip."""
    if shared_dir() is None:
        return "shared/container/podman.sh not found (set FHIR_DISCHARGE_SHARED_DIR)"
    try:
        podman("setup", timeout=900)
        if BASE_IMAGE.startswith("localhost/"):
            # podman.sh base debootstraps the image under the name in BASE_IMAGE.
            podman("base", timeout=1800, env={"BASE_IMAGE": BASE_IMAGE})
        elif podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
            return f"base image {BASE_IMAGE} is not present (no registry can be reached here)"
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return f"podman is not usable here: {str(error)[-600:]}"
    return None


def build_image(tag: str) -> None:
    """Build the repo's Dockerfile as TAG. `--format docker` keeps the HEALTHCHECK (the OCI image
    format has no place for it). The image TAG named before is removed if the build replaced it."""
    before = _image_id(tag)
    podman(
        "build",
        "--format", "docker",
        "--build-arg", f"PYTHON_IMAGE={BASE_IMAGE}",
        "-t", tag,
        ".",
        timeout=1200,
    )  # fmt: skip
    if before and before != _image_id(tag):
        podman("rmi", before, check=False)


def _image_id(tag: str) -> str | None:
    result = podman("image", "inspect", "--format", "{{.Id}}", tag, check=False)
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def run_container(
    tag: str, port: int, env: Mapping[str, str] | None = None, network: Network | None = None
) -> str:
    """Start TAG detached, serving on http://127.0.0.1:PORT; return the container id.

    Values of ENV reach podman through its own environment (`-e NAME`), so a token is never on a
    command line. The container is not --rm, so its logs outlive a crash; stop_container removes it.
    """
    env = dict(env or {})
    network = network or _network_from_environment()
    env_flags = [flag for name in env for flag in ("-e", name)]
    with tempfile.TemporaryDirectory() as scratch:
        cidfile = Path(scratch) / "cid"
        common = ["-d", "--cidfile", str(cidfile), *env_flags]
        if network == "publish":
            # `container run`, not `run`: podman.sh's `run` adds --network host, which drops -p.
            publish = f"127.0.0.1:{port}:{IMAGE_PORT}"
            args = ["container", "run", *common, "-p", publish, tag]
        else:
            # Host network: the image's CMD would take the host's 8080; listen on 127.0.0.1:PORT.
            # Its HEALTHCHECK probes 8080, so it is off here.
            command = ["uvicorn", APP, "--factory", "--host", "127.0.0.1", "--port", str(port)]
            args = ["run", *common, "--no-healthcheck", tag, *command]
        result = podman(*args, timeout=120, check=False, env=env)
        created = cidfile.read_text().strip() if cidfile.exists() else ""
    if result.returncode != 0 and created:
        stop_container(created)  # created, but it did not start
    if result.returncode != 0 and network == "publish":
        return run_container(tag, port, env, network="host")
    if result.returncode != 0:
        raise RuntimeError(f"podman run failed:\n{(result.stdout + result.stderr)[-4000:]}")
    # stderr may say "unable to get systemd connection to add healthchecks": without systemd podman
    # cannot schedule the HEALTHCHECK; `podman healthcheck run ID` still runs it on demand.
    return created or result.stdout.strip().splitlines()[-1]


def _network_from_environment() -> Network:
    value = os.environ.get("FHIR_DISCHARGE_CONTAINER_NETWORK", "publish")
    if value not in ("publish", "host"):
        raise ValueError(f"FHIR_DISCHARGE_CONTAINER_NETWORK must be publish or host, not {value!r}")
    return "publish" if value == "publish" else "host"


def network_of(container_id: str) -> Network:
    result = podman("inspect", "--format", "{{.HostConfig.NetworkMode}}", container_id, check=False)
    return "host" if result.stdout.strip() == "host" else "publish"


def container_running(container_id: str) -> bool:
    result = podman("inspect", "--format", "{{.State.Running}}", container_id, check=False)
    return result.stdout.strip() == "true"


def container_logs(container_id: str) -> str:
    result = podman("logs", container_id, check=False)
    return result.stdout + result.stderr


def wait_until_healthy(url: str, container_id: str, seconds: float = 60) -> None:
    """Poll URL until it answers 200; fail early, with the container's log, if it exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        if not container_running(container_id):
            raise RuntimeError(f"the container exited:\n{container_logs(container_id)[-4000:]}")
        time.sleep(0.3)
    log = container_logs(container_id)[-4000:]
    raise RuntimeError(f"{url} did not answer 200 in {seconds:.0f} s:\n{log}")


def stop_container(container_id: str) -> None:
    """Stop and remove the container by its id, with its anonymous volume (the outbox)."""
    podman("stop", "-t", "10", container_id, check=False)
    podman("rm", "-f", "-v", container_id, check=False)
