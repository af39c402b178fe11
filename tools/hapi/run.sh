#!/usr/bin/env bash
# Builds the HAPI FHIR test server if needed (build.sh) and runs it in the foreground until
# stopped (Ctrl-C / SIGTERM): http://127.0.0.1:${HAPI_PORT:-8081}/fhir, R4, H2 in memory,
# our profiles (profiles/fsh-generated/resources) loaded into its validator.
#
#   HAPI_PORT           port (default 8081); the server binds 127.0.0.1 only
#   HAPI_JAVA_OPTS      JVM options (default: bounded memory, see below)
#   HAPI_CONFORMANCE_DIR the StructureDefinitions/ValueSets/... to load (default: the repository's)
#   HAPI_FHIR_PACKAGES  unpacked FHIR packages whose profiles/ValueSets/CodeSystems the validator
#                       also knows (':'-separated folders, e.g. ~/.fhir/packages/hl7.fhir.be.core#2.1.2/package)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

"$here/build.sh"

export HAPI_PORT="${HAPI_PORT:-8081}"
export HAPI_CONFORMANCE_DIR="${HAPI_CONFORMANCE_DIR:-$repo/profiles/fsh-generated/resources}"
# Heap 768 MB (about 450 MB live after start-up: the R4 definitions, Hibernate, the validator),
# metaspace bounded, serial GC (2 cores; fewer GC threads, smaller footprint). RSS ~0.9-1 GB.
# shellcheck disable=SC2086
exec java ${HAPI_JAVA_OPTS:--Xmx768m -Xss1m -XX:MaxMetaspaceSize=320m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError} \
    -jar "$here/target/hapi-fhir-test-server.jar"
