#!/usr/bin/env bash
# Runs solid-crud-tests 5.2.0 (anonymously) against a Solid server and writes a normalised JSON result.
#
#   SERVER_ROOT=http://127.0.0.1:8080 ALICE_WEBID=http://127.0.0.1:8080/alice \
#   STORAGE_ROOT=http://127.0.0.1:8080/alice/data/crud  tests/interop/run-crud.sh OUT.json [extra jest args]
#
# Environment (see README.md for what the suite does with them):
#   SERVER_ROOT   required. Origin of the server, no trailing slash. Also the test-folder base if STORAGE_ROOT is unset.
#   ALICE_WEBID   required. A WebID whose document (anonymously readable) has exactly ONE pim:storage for it;
#                 only fetch-pod-root.test.ts reads it (GET of the document, then GET of that storage).
#   STORAGE_ROOT  optional. Container under which every test folder solid-crud-tests-<ms>/ is created, e.g.
#                 http://HOST/alice/data/crud (trailing slash optional: it is stripped, the suite adds "/").
#                 Must be anonymously readable + writable (append/write) + deletable; nothing is written above it.
#   SKIP_WPS      default 1 (the legacy solid-0.1 websocket "WPS" assertions are skipped, as in the CSS baseline).
#   INCLUDE_MAY   default 1 (runs the optional RDFa conneg tests, as in the CSS baseline).
#   CRUD_TIMEOUT  default 600: seconds before the whole jest run is killed.
#   CRUD_UPSTREAM_CONFIG=1  run with the package's own jest.config.js instead of crud/jest.config.cjs (whose only
#                 change is making rdflib's JSON-LD parser loadable under jest 26; upstream config = the 3 JSON-LD
#                 conneg checks fail on every server).
# Output: OUT.json = {"suite", "server_root", "storage_root", "alice_webid", "total", "passed_count", "failed_count",
#   "skipped_count", "passed": [full test names, sorted], "failed": [{"name", "file", "message"}], "skipped": [...],
#   "jest_json": raw jest --json path, "log": jest console log path}; one summary line on stdout.
# Exit status: 0 whenever the suite ran and OUT.json was written (failures are in the JSON; compare the "passed"
# list with css-7.2-passing.txt), 2 on a usage/harness error (nothing ran, no results).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "run-crud.sh: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: run-crud.sh OUT.json [extra jest args]"
OUT="$1"; shift
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
[ -n "${SERVER_ROOT:-}" ] || die "SERVER_ROOT is not set"
[ -n "${ALICE_WEBID:-}" ] || die "ALICE_WEBID is not set"
SUITE="$HERE/crud/suite"
JEST="$HERE/crud/node_modules/.bin/jest"
[ -x "$JEST" ] && [ -d "$SUITE/test/surface" ] || die "suite not installed: run tests/interop/install.sh first"

export SERVER_ROOT="${SERVER_ROOT%/}"
export STORAGE_ROOT="${STORAGE_ROOT:-$SERVER_ROOT}"
export STORAGE_ROOT="${STORAGE_ROOT%/}"
export ALICE_WEBID
export SKIP_WPS="${SKIP_WPS-1}" INCLUDE_MAY="${INCLUDE_MAY-1}"
[ -n "$SKIP_WPS" ] || unset SKIP_WPS
[ -n "$INCLUDE_MAY" ] || unset INCLUDE_MAY
# Anonymous: with no cookie solid-auth-fetcher's getAuthFetcher() returns plain cross-fetch (no login at all).
unset COOKIE COOKIE_ALICE OIDC_ISSUER WEBID_PROVIDER_GUI SKIP_CONC

mkdir -p "$(dirname "$OUT")"
RAW="${OUT%.json}.jest.json"
LOG="${OUT%.json}.log"
rm -f "$RAW"
START=$(date +%s.%N)
# The suite reads its fixtures relative to the cwd (test/fixtures/...), so jest runs inside the suite copy.
CONFIG=(--config "$HERE/crud/jest.config.cjs")
export CRUD_CONFIG=kommon
if [ -n "${CRUD_UPSTREAM_CONFIG:-}" ]; then CONFIG=(); CRUD_CONFIG=upstream; fi
(cd "$SUITE" && timeout "${CRUD_TIMEOUT:-600}" "$JEST" "${CONFIG[@]}" test/surface/ --ci --json --outputFile="$RAW" "$@") >"$LOG" 2>&1
RC=$?
END=$(date +%s.%N)
[ -s "$RAW" ] || die "jest wrote no results (exit $RC); see $LOG"

node - "$RAW" "$OUT" "$START" "$END" "$LOG" <<'JS' || die "could not summarise $RAW"
const fs = require("fs");
const [raw, out, start, end, log] = process.argv.slice(2);
const j = JSON.parse(fs.readFileSync(raw, "utf8"));
const passed = [], failed = [], skipped = [];
for (const file of j.testResults) {
  const rel = file.name.replace(/^.*\/test\/surface\//, "test/surface/");
  for (const a of file.assertionResults) {
    if (a.status === "passed") passed.push(a.fullName);
    else if (a.status === "failed") failed.push({ name: a.fullName, file: rel,
      message: (a.failureMessages || []).join("\n").split("\n").slice(0, 12).join("\n") });
    else skipped.push(a.fullName);
  }
  // A suite that failed to run at all (e.g. TypeScript error) has no assertions: report it as a failure.
  if (file.assertionResults.length === 0 && file.status === "failed")
    failed.push({ name: `[suite did not run] ${rel}`, file: rel, message: (file.message || "").slice(0, 2000) });
}
passed.sort(); skipped.sort(); failed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const res = {
  suite: "solid-crud-tests@5.2.0",
  server_root: process.env.SERVER_ROOT, storage_root: process.env.STORAGE_ROOT, alice_webid: process.env.ALICE_WEBID,
  jest_config: process.env.CRUD_CONFIG, skip_wps: !!process.env.SKIP_WPS, include_may: !!process.env.INCLUDE_MAY,
  total: passed.length + failed.length + skipped.length,
  passed_count: passed.length, failed_count: failed.length, skipped_count: skipped.length,
  seconds: Math.round((end - start) * 10) / 10,
  passed, failed, skipped, jest_json: raw, log,
};
fs.writeFileSync(out, JSON.stringify(res, null, 2) + "\n");
// Deliberately not the "N passed, N failed" shape, so a CI log reader never takes this for a runner's closing line.
console.log(`solid-crud-tests 5.2.0 against ${res.storage_root}/: passed ${res.passed_count}, failed ${res.failed_count}, ` +
  `skipped ${res.skipped_count} of ${res.total} in ${res.seconds} s; results in ${out}`);
JS
exit 0
