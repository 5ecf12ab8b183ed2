#!/usr/bin/env bash
# Measures the reference server with the whole harness: starts Community Solid Server 7.2.0 on 127.0.0.1 (memory
# backend, public root), lays it out like a Kommon pod, runs run-crud.sh, comunica-query.mjs and rdflib_pod.py
# against it, stops it.
#
#   tests/interop/css-reference.sh [OUT_DIR] [--update-baseline]
#
# Layout on CSS (the same shape Kommon has): WebID document http://127.0.0.1:PORT/kwebid (no fragment) saying
# <.../kwebid> pim:storage <.../kpod/data/>, test container .../kpod/data/crud/ (STORAGE_ROOT), Python checks
# under .../kpod/data/py/. --update-baseline rewrites css-7.2-passing.txt from this run's passed tests.
# Env: KOMMON_CSS_PORT (default 3939), PYTHON (default: .ci/venv/bin/python if present, else python3).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="" UPDATE=0
for a in "$@"; do
    case "$a" in --update-baseline) UPDATE=1 ;; *) OUT="$a" ;; esac
done
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/kommon-css-ref.XXXXXX")}"
mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
PORT="${KOMMON_CSS_PORT:-3939}"
PY="${PYTHON:-}"
[ -n "$PY" ] || { [ -x "$REPO/.ci/venv/bin/python" ] && PY="$REPO/.ci/venv/bin/python"; } || PY=python3

"$HERE/install.sh"
read -r CSS_PID BASE < <(KOMMON_CSS_LOG="$OUT/css.log" "$HERE/start-css.sh" "$PORT")
[ -n "${CSS_PID:-}" ] || { echo "css-reference: CSS did not start" >&2; exit 1; }
stop_css() {
    kill "$CSS_PID" 2>/dev/null || return 0
    for _ in $(seq 1 40); do kill -0 "$CSS_PID" 2>/dev/null || return 0; sleep 0.25; done
    kill -KILL -- "-$CSS_PID" 2>/dev/null || true   # timeout(1) leads its own process group
}
trap stop_css EXIT
B="${BASE%/}"
echo "css-reference: CSS 7.2.0 pid $CSS_PID at $BASE (log $OUT/css.log)"

put() { curl -sS -o /dev/null -w '%{http_code}' -X PUT "$@"; }
c1=$(put "$B/kwebid" -H 'Content-Type: text/turtle' --data-binary "<$B/kwebid> <http://www.w3.org/ns/pim/space#storage> <$B/kpod/data/> .")
c2=$(put "$B/kpod/data/crud/" -H 'Content-Type: text/turtle' -H 'Link: <http://www.w3.org/ns/ldp#BasicContainer>; rel="type"')
[ "$c1" = 201 ] && [ "$c2" = 201 ] || { echo "css-reference: set-up PUTs gave $c1 $c2" >&2; exit 1; }

SERVER_ROOT="$B" ALICE_WEBID="$B/kwebid" STORAGE_ROOT="$B/kpod/data/crud" "$HERE/run-crud.sh" "$OUT/crud.json"

echo "css-reference: comunica-query.mjs $B/kpod/data/ (ldp:contains):"
node "$HERE/comunica-query.mjs" "$B/kpod/data/" 'SELECT ?r WHERE { ?c <http://www.w3.org/ns/ldp#contains> ?r }' \
    | tee "$OUT/comunica.jsonl"
grep -q "\"$B/kpod/data/crud/\"" "$OUT/comunica.jsonl" || { echo "css-reference: comunica listing lacks crud/" >&2; exit 1; }

if "$PY" -c 'import rdflib, requests' 2>/dev/null; then
    "$PY" "$HERE/rdflib_pod.py" "$B/kpod/data/py/"
else
    echo "css-reference: skipped rdflib_pod.py ($PY lacks rdflib/requests: pip install -r tests/requirements.txt)"
fi

if [ "$UPDATE" = 1 ]; then
    node -e 'for (const n of require(process.argv[1]).passed) console.log(n)' "$OUT/crud.json" \
        | LC_ALL=C sort > "$HERE/css-7.2-passing.txt"
    echo "css-reference: wrote $(wc -l < "$HERE/css-7.2-passing.txt") names to $HERE/css-7.2-passing.txt"
fi
echo "css-reference: results in $OUT"
