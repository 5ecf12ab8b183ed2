#!/usr/bin/env bash
# The demonstrator's speed: seeded from an empty folder (target: under 60 s after the release
# build), then each server's start on the existing data (target: under 1 s), RUNS times each.
# Usage: bench/demo_start.sh [RUNS]   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cargo build --release -p kommon-demo >/dev/null 2>&1
bin=target/release/kommon-demo
data="$(mktemp -d)/demo"
base=$((20000 + RANDOM % 20000))
trap 'kill ${pid:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$(dirname "$data")"' EXIT

# Starts the demonstrator, waits for its two ready lines, prints them, stops it.
start() {
  local log
  log="$(mktemp)"
  "$bin" --data "$data" --port-base "$base" "$@" >"$log" 2>/dev/null &
  pid=$!
  for _ in $(seq 1 1200); do
    grep -q "servers listening after" "$log" && break
    sleep 0.1
  done
  grep -o "prêt en [0-9.]* s" "$log" | head -1
  grep -o "servers listening after : .*" "$log" | head -1
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
}

echo "| run | seeded from empty (s) | servers listening, fresh | restart: servers listening |"
echo "|---|---:|---|---|"
for i in $(seq 1 "$runs"); do
  fresh="$(start --reset)"
  again="$(start)"
  seeded="$(echo "$fresh" | head -1 | grep -o '[0-9.]*')"
  echo "| $i | $seeded | $(echo "$fresh" | tail -1 | sed 's/servers listening after : //') | $(echo "$again" | tail -1 | sed 's/servers listening after : //') |"
done
