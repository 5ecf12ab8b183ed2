#!/usr/bin/env bash
# The network's public pages under load: p99 at 64 connections (autocannon), at national scale.
#
#   bench/network_pages.sh [DATA.nq]      # default bench-data/network-full-seed42.nq
#
# Loads the data set into a fresh network (cod-server network-import --trusted), serves it, and
# runs autocannon (tests/interop/node_modules, 64 connections, 10 s per page) against the home
# page, the map, a directory search, an agenda month, a place's page and the GeoJSON API of a city
# viewport. Prints a Markdown table. Needs: target/release/cod-server
# (cargo build --release -p cod-server), Node >= 20, tests/interop/install.sh, python3; the data
# from bench/generate_network.py (--scale full, or quick for a tenth).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-bench-data/network-full-seed42.nq}"
BIN=target/release/cod-server
AC=tests/interop/node_modules/.bin/autocannon
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-10}"
PORT="${PORT:-4390}"
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p cod-server" >&2; exit 2; }
[ -x "$AC" ] || { echo "install the interop tools first: tests/interop/install.sh" >&2; exit 2; }
[ -f "$DATA" ] || { echo "no $DATA: python3 bench/generate_network.py --scale full --seed 42 $DATA" >&2; exit 2; }
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
# The imported network is kept beside the data set (DATA.network/), and reused by later runs.
LOADED="${DATA%.nq}.network"
if [ ! -f "$LOADED/imported" ]; then
  rm -rf "$LOADED" "$LOADED/data-network"
  "$BIN" create-community pot-kommon --name "POT KOMMON" --admin https://pods.example/admin --network \
    --data "$LOADED/data" --listen "127.0.0.1:$PORT" > /dev/null
  echo "importing $DATA (once)…" >&2
  "$BIN" network-import "$DATA" --trusted --data "$LOADED/data" --listen "127.0.0.1:$PORT" >&2
  touch "$LOADED/imported"
fi
KOMMON_LOG=warn "$BIN" serve --data "$LOADED/data" --listen "127.0.0.1:$PORT" --map-tiles "" > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 0.5; done
BASE="http://127.0.0.1:$PORT"
PLACE=$(python3 -c 'import urllib.parse;print(urllib.parse.quote("https://cod1.example/le-6b", safe=""))')
echo "| page | first answer ms (computed) | requests/s | p50 ms | p99 ms | target p99 ms |"
echo "|---|---:|---:|---:|---:|---:|"
for page in "/" "/carte?type=place" "/annuaire?q=jardin" "/agenda?month=2026-06" "/fiche?id=$PLACE" \
            "/api/geojson?bbox=2.20,48.83,2.50,49.03"; do
  # The first answer is computed from the index; the load then mostly meets the page cache.
  FIRST=$(curl -s -o /dev/null -w "%{time_total}" "$BASE$page")
  "$AC" -c "$CONNECTIONS" -d "$DURATION" -j "$BASE$page" 2> /dev/null > "$WORK/ac.json"
  python3 - "$page" "$WORK/ac.json" "$FIRST" <<'PY'
import json, sys
page, path, first = sys.argv[1], sys.argv[2], float(sys.argv[3]) * 1000
r = json.load(open(path))
bad = r.get("non2xx", 0) + r.get("errors", 0)
note = f" ({bad} errors)" if bad else ""
print(f"| `{page}`{note} | {first:.0f} | {r['requests']['average']:.0f} | {r['latency']['p50']} | {r['latency']['p99']} | 50 |")
PY
done
