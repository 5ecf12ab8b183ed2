#!/usr/bin/env bash
# Starts the reference server, Community Solid Server 7.2.0, in the background and waits until it answers.
#
#   tests/interop/start-css.sh [PORT] [extra community-solid-server args]     (default port 3939)
#   -> prints "PID BASE_URL" (e.g. "12345 http://127.0.0.1:3939/"); stop it with: kill PID
#
# KOMMON_CSS_HOST (default 127.0.0.1) is the host name in BASE_URL; set it to `localhost` for authenticated requests:
# CSS's access-token verifier only accepts a WebID that is https: or http://localhost:PORT, so with 127.0.0.1 every
# DPoP-bound token is refused (401 "The URI claim could not be verified as secure"). It still binds 127.0.0.1 only.
# Memory backend, default config (WAC, public read/write root), logs at warn to $KOMMON_CSS_LOG (default
# /tmp/kommon-css-PORT.log). Bound to 127.0.0.1 only (bind-lo.cjs; CSS has no host option). Runs under
# `timeout ${KOMMON_CSS_TIMEOUT:-900}` so a forgotten server stops by itself.
# Components.js scans every node_modules folder from its main module path UP to / and cannot load
# tests/interop/node_modules' Comunica 4 components, so CSS gets a main module path outside the repository: a temp
# folder whose node_modules is a symlink to css/node_modules.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${1:-3939}"; [ $# -gt 0 ] && shift
BIN="$HERE/css/node_modules/.bin/community-solid-server"
[ -x "$BIN" ] || { echo "start-css.sh: CSS not installed: run tests/interop/install.sh" >&2; exit 2; }
BASE="http://${KOMMON_CSS_HOST:-127.0.0.1}:$PORT/"
LOG="${KOMMON_CSS_LOG:-/tmp/kommon-css-$PORT.log}"
if curl -s -o /dev/null --max-time 2 "$BASE"; then
    echo "start-css.sh: something already answers on $BASE" >&2; exit 2
fi
MAIN="$(mktemp -d "${TMPDIR:-/tmp}/kommon-css-main.XXXXXX")"
ln -s "$HERE/css/node_modules" "$MAIN/node_modules"
NODE_OPTIONS="--require $HERE/bind-lo.cjs" timeout "${KOMMON_CSS_TIMEOUT:-900}" \
    "$BIN" -m "$MAIN" -p "$PORT" -b "$BASE" -l warn "$@" >"$LOG" 2>&1 </dev/null &
PID=$!
for _ in $(seq 1 120); do
    if curl -s -o /dev/null --max-time 2 "$BASE"; then
        echo "$PID $BASE"
        exit 0
    fi
    if ! kill -0 "$PID" 2>/dev/null; then
        echo "start-css.sh: CSS exited during start-up; log $LOG:" >&2; tail -n 20 "$LOG" >&2; exit 1
    fi
    sleep 0.5
done
echo "start-css.sh: CSS did not answer on $BASE within 60 s; log $LOG" >&2
kill "$PID" 2>/dev/null || true
exit 1
