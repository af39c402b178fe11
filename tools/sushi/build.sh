#!/usr/bin/env bash
# Compiles the FSH profiles of fhir-discharge with the pinned SUSHI, offline:
#
#   bash tools/sushi/build.sh [PROJECT_DIR]        (default: profiles/)
#
# 1. installs tools/sushi/node_modules with `npm ci` if missing or older than package-lock.json
#    (npm ci checks every tarball's sha512 against package-lock.json; the only network use);
# 2. rebuilds ~/.fhir/packages/hl7.fhir.r4.core#4.0.1 from the integrity-checked
#    hl7.fhir.r4.examples@4.0.1 tarball (setup-fhir-cache.mjs; $FHIR_HOME overrides ~);
# 3. runs `sushi build --snapshot` on PROJECT_DIR with no network: inside an empty network
#    namespace (`unshare -n`, or `unshare -rn` unprivileged) when the kernel allows it, and in any
#    case with every HTTP(S) request of SUSHI and its package loader sent to a closed loopback port
#    (HTTPS_PROXY / HTTP_PROXY / FPL_REGISTRY) and npm set offline, so nothing is fetched;
# 4. fails on any SUSHI error or warning not listed in PROJECT_DIR/sushi-ignoreWarnings.txt, or
#    on a StructureDefinition without a snapshot; SUSHI writes to a scratch folder, and only a
#    build that passes replaces PROJECT_DIR/fsh-generated;
# 5. writes PROJECT_DIR/fsh-generated/.fsh-digest (fsh-digest.mjs), which the tests compare.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
project="$(cd "${1:-$root/profiles}" && pwd)"

command -v node >/dev/null || { echo "build.sh: node is required (Node >= 20)" >&2; exit 1; }

# 1. Node dependencies (pinned, integrity-checked by npm ci).
stamp="$here/node_modules/.package-lock.json"
if [[ ! -x "$here/node_modules/.bin/sushi" || ! -f "$stamp" || "$here/package-lock.json" -nt "$stamp" ]]; then
  echo "build.sh: installing SUSHI (npm ci, integrity checked against package-lock.json)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi

# 2. The FHIR R4 core package in the FHIR package cache.
node "$here/setup-fhir-cache.mjs"

# 3. SUSHI, offline.
dead="http://127.0.0.1:9"  # discard port: nothing listens, so every request fails at once
offline_env=(
  env
  "HTTPS_PROXY=$dead" "https_proxy=$dead" "HTTP_PROXY=$dead" "http_proxy=$dead" "NO_PROXY=" "no_proxy="
  "FPL_REGISTRY=$dead"
  "npm_config_offline=true" "npm_config_update_notifier=false" "npm_config_logs_max=0"
  "NO_UPDATE_NOTIFIER=1"
)
if [[ -n "${FHIR_HOME:-}" ]]; then offline_env+=("HOME=$FHIR_HOME"); fi
netns=()
if [[ "${SUSHI_NETNS:-auto}" != "0" ]]; then
  if unshare -n true 2>/dev/null; then
    netns=(unshare -n)
  elif unshare -rn true 2>/dev/null; then
    netns=(unshare -rn)
  fi
fi
if ((${#netns[@]})); then
  echo "build.sh: running SUSHI in an empty network namespace (${netns[*]})" >&2
else
  echo "build.sh: no network namespace available; SUSHI's requests go to a closed loopback port" >&2
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
log="$scratch/sushi.log"
status=0
"${netns[@]}" "${offline_env[@]}" "$here/node_modules/.bin/sushi" build "$project" --snapshot \
  --out "$scratch/out" >"$log" 2>&1 || status=$?
# SUSHI's log, without its check for newer releases (the version is pinned on purpose; offline,
# `npm view fsh-sushi version` fails with ENOTCACHED).
grep -v -E 'latest stable|release is version|npm install -g fsh-sushi|You are using SUSHI version|^npm error' \
  "$log" >&2 || true

summary="$(grep -E '[0-9]+ Errors? +[0-9]+ Warnings?' "$log" | tail -n 1 || true)"
errors="$(sed -E 's/.* ([0-9]+) Errors?.*/\1/' <<<"$summary")"
warnings="$(sed -E 's/.* ([0-9]+) Warnings?.*/\1/' <<<"$summary")"
# SUSHI checks for a newer release of itself before it reads sushi-ignoreWarnings.txt, so that
# (offline, expected) warning is discounted here rather than there.
version_check="$(grep -c -E '^warn +Unable to determine the latest version of sushi' "$log" || true)"
if [[ -n "$warnings" ]]; then warnings=$((warnings - version_check)); fi
if [[ "$status" -ne 0 || -z "$summary" || "$errors" != "0" || "$warnings" != "0" ]]; then
  echo "build.sh: SUSHI failed (exit $status; ${errors:-?} errors, ${warnings:-?} warnings)" >&2
  exit 1
fi

# 4. Every StructureDefinition must carry a snapshot.
node -e '
const fs = require("fs"), path = require("path");
const dir = path.join(process.argv[1], "fsh-generated", "resources");
const missing = fs.readdirSync(dir).filter(f => f.startsWith("StructureDefinition-"))
  .filter(f => !(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).snapshot || {}).element);
if (missing.length) { console.error("build.sh: no snapshot in " + missing.join(", ")); process.exit(1); }
' "$scratch/out"
rm -rf "$project/fsh-generated"
cp -R "$scratch/out/fsh-generated" "$project/fsh-generated"

# The pathway as data ships with the package (the core builds its CarePlan and Tasks from it, and
# reads the red-flag screening's items from the Questionnaire).
if [[ "$project" == "$root/profiles" ]]; then
  rm -f "$root"/fhir_discharge/core/pathway/definitions/*.json
  cp "$project"/fsh-generated/resources/{PlanDefinition,ActivityDefinition,Questionnaire}-*.json \
    "$root/fhir_discharge/core/pathway/definitions/"
fi

# 5. Freshness stamp.
node "$here/fsh-digest.mjs" write "$project"
echo "build.sh: compiled $(ls "$project/fsh-generated/resources" | wc -l) resources into $project/fsh-generated/resources" >&2
