#!/usr/bin/env bash
# Builds tools/hapi/target/hapi-fhir-test-server.jar if it is missing or older than its sources
# (pom.xml, src/); otherwise does nothing. The first build downloads HAPI FHIR and its
# dependencies from Maven Central into ~/.m2 (about 400 MB); later builds run offline.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
jar=target/hapi-fhir-test-server.jar

fresh() { [[ -f $jar ]] && [[ -z "$(find pom.xml src -newer "$jar" -print -quit)" ]]; }

fresh && exit 0
command -v java >/dev/null || { echo "tools/hapi: java not found (Java 17+ needed)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "tools/hapi: mvn not found (Maven 3.8+ needed)" >&2; exit 1; }

# One build at a time (make test and the pytest fixture may both ask for it).
exec 9<"$here"
flock 9
fresh && exit 0

echo "tools/hapi: building $jar (the first build downloads from Maven Central: minutes)" >&2
# Offline first: works as soon as ~/.m2 holds everything, and needs no network at all.
if ! mvn -q -B -o package -DskipTests >/dev/null 2>&1; then
    mvn -q -B package -DskipTests
fi
touch "$jar"
