# The two commands of the README. Each sets up what it needs first (idempotent):
#   make demo   local FHIR sandbox + the service on loopback, the example discharged, both stopped
#   make test   the whole test suite, after the bounded mutation run (what .ci/run calls)
#   make mutation   every mutant of the gate and of what the letter states; records the scores
# and, while working: make test-fast (tests/unit and tests/asgi: no server, no browser).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
VALIDATOR := tools/validator/node_modules/.installed
AXE := tools/axe/node_modules/.installed
HAPI_JAR := tools/hapi/target/hapi-fhir-test-server.jar

.PHONY: demo test test-fast mutation setup lint clean chromium debian-tools app

demo: $(INSTALLED)
	$(PY) -m devtools.demo

# The bounded mutation run first (mutation.toml's `bounded` functions, a few minutes; fails below
# the recorded score), then the suite; either failing fails the target, and pytest's summary
# stays the last line.
test: $(INSTALLED) $(VALIDATOR) $(AXE) debian-tools $(HAPI_JAR)
	$(PY) scripts/mutation.py --bounded; mutation=$$?; \
	$(PY) -m pytest; tests=$$?; \
	test $$mutation -eq 0 && test $$tests -eq 0

# Every mutant of the gate and of what the letter states (about an hour on 2 cores); records the
# scores in docs/safety/mutation-score.json and fails on a survivor neither killed nor explained
# in docs/safety/mutation-survivors.toml.
mutation: $(INSTALLED)
	$(PY) scripts/mutation.py --strict --record

# The in-process lanes: pure code and the app in this process (the validator's Node worker and
# pdftotext are used; no server, no socket, no browser), on two pytest-xdist workers (the
# machine's 2 cores; FAST_WORKERS=0 runs them in this one process). The slow tests start first
# (tests/conftest.py) and an idle worker takes queued tests from the other (worksteal); the
# pytest plugins only the integration lane uses (schemathesis, Faker) are not loaded. Then the
# conformance check alone, over every Bundle the workers built (each leaves them in
# FHIR_DISCHARGE_TEST_BUNDLES: tests/support/built_bundles.py). Either failing fails the target.
FAST_WORKERS ?= 2
FAST_PLUGINS := -p no:schemathesis -p no:faker
test-fast: $(INSTALLED) $(VALIDATOR) debian-tools
	bundles=$$(mktemp -d); \
	FHIR_DISCHARGE_TEST_BUNDLES=$$bundles $(PY) -m pytest $(FAST_PLUGINS) \
		-n $(FAST_WORKERS) --dist worksteal tests/unit tests/asgi \
		--ignore=tests/unit/test_conformance.py; lanes=$$?; \
	FHIR_DISCHARGE_TEST_BUNDLES=$$bundles $(PY) -m pytest $(FAST_PLUGINS) \
		tests/unit/test_conformance.py; conformance=$$?; \
	rm -rf $$bundles; test $$lanes -eq 0 && test $$conformance -eq 0

setup: $(INSTALLED) $(VALIDATOR) $(AXE) debian-tools

# The browser the physician's app is tested in: Debian's Chromium, driven by Playwright.
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# What the tests need from Debian besides Chromium: pdftotext (poppler-utils) reads the letter's
# PDF back, so the PDF text checks run instead of skipping.
debian-tools: chromium
	command -v pdftotext >/dev/null || (apt-get update && apt-get install -y poppler-utils)

# The physician's app on loopback: the sandbox (with the example record, unscreened), a test EHR
# (SMART authorization server) and the service; prints the URL of a standalone launch.
app: $(INSTALLED)
	$(PY) -m tests.support.app_stack

lint: $(INSTALLED)
	$(VENV)/bin/ruff check fhir_discharge devtools tests benchmarks scripts
	$(VENV)/bin/ruff format --check fhir_discharge devtools tests benchmarks scripts
	$(VENV)/bin/mypy

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The independent validator the tests use (Node; pinned in its package-lock.json).
$(VALIDATOR): tools/validator/package.json tools/validator/package-lock.json
	cd tools/validator && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# axe-core, injected by the browser tests into each screen of the physician's app (npm; pinned in
# its package-lock.json).
$(AXE): tools/axe/package.json tools/axe/package-lock.json
	cd tools/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) tools/validator/node_modules tools/axe/node_modules

# HAPI FHIR JPA server (R4, H2 in memory, our profiles in its validator) for integration testers:
# built from Maven Central (Java 17 + Maven; tools/hapi/README.md), run in the foreground on
# http://127.0.0.1:8081/fhir until Ctrl-C. HAPI_PORT=... overrides the port.
.PHONY: hapi hapi-build hapi-clean
hapi:
	tools/hapi/run.sh

hapi-build: $(HAPI_JAR)

# build.sh rebuilds only when pom.xml or src/ is newer than the jar.
$(HAPI_JAR): tools/hapi/pom.xml $(shell find tools/hapi/src -type f 2>/dev/null)
	tools/hapi/build.sh

hapi-clean:
	rm -rf tools/hapi/target
