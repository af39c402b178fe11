# fhir-discharge service image (multi-stage).
#
#   docker build -t fhir-discharge .
#   docker run --rm -p 127.0.0.1:8080:8080 \
#       -e FHIR_DISCHARGE_FHIR_BASE_URL=https://fhir.example.org/fhir fhir-discharge
#
# On machines without a Docker engine or registry access (see shared/container/podman.sh):
#   bash ../shared/container/podman.sh build --format docker \
#       --build-arg PYTHON_IMAGE=localhost/python-base:bookworm -t fhir-discharge .
#   bash ../shared/container/podman.sh run -d -e FHIR_DISCHARGE_FHIR_BASE_URL=... fhir-discharge
#   (`--format docker` keeps the HEALTHCHECK, which podman's default OCI format drops. podman.sh
#   `run` uses host networking: the service takes the host's port 8080. For a published port use
#   `podman.sh container run -d -p 127.0.0.1:18080:8080 ...`, which works here too.)
#
# Both stages MUST use the same base image: the venv in /opt/venv points at the base
# image's interpreter (/usr/local/bin/python3 on python:*-slim, /usr/bin/python3 on Debian).

ARG PYTHON_IMAGE=python:3.12-slim

# ---------------------------------------------------------------------------- build stage
FROM ${PYTHON_IMAGE} AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Runtime dependencies first ([project].dependencies and the `postgres` extra, for replicas
# sharing a PostgreSQL outbox; no sandbox/dev extras), so this
# layer is cached until pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

# Then the project itself, as a wheel. The whole context is copied (.dockerignore trims it) rather
# than named files, because README.md may be absent and podman/buildah rejects unmatched globs.
COPY . .
RUN pip wheel --no-deps --wheel-dir /tmp/dist . \
 && pip install --no-deps /tmp/dist/fhir_discharge-*.whl \
 && python -c "import fhir_discharge" \
 && rm -rf /tmp/dist /tmp/requirements.txt \
 && python -m pip uninstall -y -q pip setuptools

# -------------------------------------------------------------------------- runtime stage
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# Configuration is by environment only (fhir_discharge/config.py, prefix FHIR_DISCHARGE_):
#   FHIR_DISCHARGE_FHIR_BASE_URL          the FHIR server the transaction is posted to
#   FHIR_DISCHARGE_FHIR_TIMEOUT_SECONDS   default 30
#   FHIR_DISCHARGE_FHIR_BEARER_TOKEN      optional; pass it with `-e NAME` or a secret, not in the image
#   FHIR_DISCHARGE_LANGUAGE               default nl-BE
#   FHIR_DISCHARGE_MAX_BODY_BYTES         default 1000000
#   FHIR_DISCHARGE_OUTBOX_PATH            set below; see also SYNC_WAIT_SECONDS, MAX_DELIVERY_ATTEMPTS,
#                                         DELIVERY_BASE_DELAY_SECONDS in config.py
# Several replicas: set FHIR_DISCHARGE_OUTBOX_URL=postgresql://... instead (one shared outbox).
ENV FHIR_DISCHARGE_OUTBOX_PATH=/var/lib/fhir-discharge/outbox.sqlite3

# /app: a root-owned, empty working directory (uvicorn puts its cwd on sys.path; made here
# because WORKDIR may create it owned by the USER). /var/lib/fhir-discharge: the only place the
# service writes, its durable outbox (SQLite).
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app \
 && mkdir /app \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/fhir-discharge

COPY --from=build /opt/venv /opt/venv

# Accepted discharges wait here until the FHIR server has them: in production mount a persistent
# volume (e.g. -v fhir-discharge-outbox:/var/lib/fhir-discharge), or they are lost with the container.
VOLUME ["/var/lib/fhir-discharge"]

WORKDIR /app
USER 10001:10001

EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4).status == 200 else 1)"]

CMD ["uvicorn", "fhir_discharge.web.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8080"]
