#!/usr/bin/env bash
# fediverse-pasture 0.2.25 (helge, funfedi.dev) as an offline ActivityPub peer for the federation tests.
#
#   pasture.sh verify ACTOR_URI PORT
#       Starts verify_actor on localhost:PORT, asks it to check ACTOR_URI (an http(s) actor id or an
#       acct: URI, resolved with WebFinger over http) and prints its JSON verdict on stdout:
#       {"result": {"alice"|"bob"|"claire"|"dean"|"emily"|"frank": {"get_actor": bool, "post_inbox": bool},
#                   "webfinger": bool},
#        "messages": "<a JSON *string* holding {\"steps\": [log lines]}>"}
#   pasture.sh send TARGET PORT TEXT [send options: --mention --include_cc --verbose ...]
#       Starts one_actor (http://localhost:PORT/actor) and has it send a signed Create{Note} with TEXT to
#       TARGET (actor URL or acct:user@host:port); prints send's output and exits with its status.
#
# Env: KOMMON_PYTHON (default .ci/venv/bin/python, which .ci/run fills from tests/requirements.txt),
#      PASTURE_TIMEOUT (seconds for the whole run, default 120), PASTURE_REQUEST_TIMEOUT (verify_actor's
#      per-request timeout, default 10), PASTURE_KEEP=1 keeps the temp dir (data.toml, server.log).
# Exit: 0 with the result on stdout; 1 if the pasture server or the check itself failed (server log on
# stderr); 2 on usage errors.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${KOMMON_PYTHON:-$HERE/../../.ci/venv/bin/python}"
LIMIT="${PASTURE_TIMEOUT:-120}"

usage() { echo "usage: pasture.sh verify ACTOR_URI PORT | send TARGET PORT TEXT [send options]" >&2; exit 2; }
[ $# -ge 3 ] || usage
CMD="$1" TARGET="$2" PORT="$3"
shift 3
"$PY" -c 'import fediverse_pasture' 2>/dev/null \
    || { echo "pasture.sh: fediverse_pasture not importable with $PY (pip install -r tests/requirements.txt)" >&2; exit 2; }

# Both apps write data.toml (fresh RSA keys) and bovine's JSON-LD cache into the current directory, so
# each run gets its own.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pasture.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ "${PASTURE_KEEP:-}" = 1 ]; then echo "pasture.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "pasture.sh: $*" >&2; sed 's/^/  server| /' "$WORK/server.log" | tail -40 >&2; exit 1; }

# The pasture apps hard-code host="0.0.0.0" in Quart.run; this bootstrap pins them to loopback, then runs
# the module as `python -m` would (argv: MODULE ARGS...).
LOOPBACK='import runpy, sys, quart
run = quart.Quart.run
quart.Quart.run = lambda self, *a, **kw: run(self, *a, **{**kw, "host": "127.0.0.1"})
runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)'

start_server() {   # $1 = probe path, then the module and its arguments
    local probe="$1"; shift
    # Otherwise the probe below could be answered by whatever already holds the port.
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
        echo "pasture.sh: port $PORT is already in use" >&2; exit 1
    fi
    (cd "$WORK" && exec timeout "$LIMIT" "$PY" -c "$LOOPBACK" "$@" >"$WORK/server.log" 2>&1) &
    SERVER_PID=$!
    for _ in $(seq 150); do
        curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT$probe" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || fail "$1 exited before answering on port $PORT"
        sleep 0.2
    done
    fail "$1 did not answer on port $PORT within 30 s"
}

case "$CMD" in
verify)
    [ $# -eq 0 ] || usage
    start_server /static/styles.css fediverse_pasture.verify_actor --port "$PORT" --domain "localhost:$PORT" \
        --timeout "${PASTURE_REQUEST_TIMEOUT:-10}"
    # The app answers JSON only when Accept contains "json"; otherwise it renders HTML.
    OUT="$(timeout "$LIMIT" curl -sS --fail-with-body -G -H 'Accept: application/json' \
        --data-urlencode "actor_uri=$TARGET" "http://localhost:$PORT/")" || fail "verify request failed: $OUT"
    printf '%s\n' "$OUT"
    ;;
send)
    [ $# -ge 1 ] || usage
    TEXT="$1"; shift
    start_server /actor fediverse_pasture.one_actor --port "$PORT"
    # send reads the actor's keys from data.toml, so it runs in the server's directory.
    set +e
    (cd "$WORK" && timeout "$LIMIT" "$PY" -m fediverse_pasture.send --domain "http://localhost:$PORT" \
        --text "$TEXT" "$@" "$TARGET")
    STATUS=$?
    set -e
    [ "$STATUS" = 0 ] || fail "send exited with $STATUS"
    ;;
*) usage ;;
esac
