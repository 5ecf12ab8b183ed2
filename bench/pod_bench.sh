#!/usr/bin/env bash
# Pod server benchmark: pod-server vs Community Solid Server 7.2.0, side by side, in one run.
# Wrapper around bench/pod_bench.mjs (all options pass through; --help lists them).
#
#   bench/pod_bench.sh                       # full run: 10,000 pods, 4 cases × 2 servers + 2 pod-server
#                                            # Solid-OIDC (DPoP) cases, each (2 s + 10 s)
#   bench/pod_bench.sh --pods 100 --duration 3 --warmup 1 --no-write     # quick check
#
# pod-server cases: anonymous GET/PUT (public resource), HTTP-signature GET/PUT, and Solid-OIDC: client
# credentials from `pod-server create-client` (run before `serve`), a DPoP-bound token from pod-server's
# /.oidc/token, then GET/PUT of an owner-only resource with a fresh DPoP proof per request (pre-generated,
# never reused; --pod-dpop-pool, --pod-dpop-on-the-fly, --skip-pod-dpop). The report gives anonymous
# req/s ÷ DPoP req/s (target ≤ 1.3× for GET) and flags any DPoP request not answered 2xx.
#
# Load generator: wrk (apt install wrk; one thread, about a fifth of autocannon's CPU per request, which
# matters when it shares the two cores with the server) when it is on PATH, else autocannon; --tool picks one.
# Needs: Node >= 20; target/release/pod-server (cargo build --release -p pod-server); autocannon 7.15.0 and
# @solid/community-server 7.2.0, found in tests/interop/{node_modules,css/node_modules} (tests/interop/install.sh)
# or in /tmp/bench-node/node_modules (npm install --prefix /tmp/bench-node autocannon@7.15.0 @solid/community-server@7.2.0)
# or where BENCH_NODE_MODULES / CSS_NODE_MODULES point. Ports 4100-4199 on 127.0.0.1. Writes bench/pod_bench_results.md.
# The whole run is bounded by `timeout` (BENCH_TIMEOUT seconds, default 3600); the script stops every server
# it started and removes its temporary data on exit, on error and on SIGINT/SIGTERM.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BIN="${POD_SERVER_BIN:-$REPO/target/release/pod-server}"

command -v node >/dev/null || { echo "pod_bench.sh: node not found (need Node >= 20)" >&2; exit 2; }
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    echo "pod_bench.sh: Node $(node --version) is too old (need >= 20)" >&2; exit 2
fi
[ -x "$BIN" ] || { echo "pod_bench.sh: $BIN missing: cargo build --release -p pod-server" >&2; exit 2; }
STALE="$(find "$REPO/pod-server" "$REPO/crates" "$REPO/vocab" \( -name '*.rs' -o -name Cargo.toml \) -newer "$BIN" 2>/dev/null | head -n 3 || true)"
if [ -n "$STALE" ]; then
    echo "pod_bench.sh: warning: $BIN is older than" $STALE "— rebuild with cargo build --release -p pod-server" >&2
fi

export POD_SERVER_BIN="$BIN"
exec timeout --kill-after=30 "${BENCH_TIMEOUT:-3600}" node "$HERE/pod_bench.mjs" "$@"
