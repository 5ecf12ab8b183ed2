#!/usr/bin/env bash
# Installs the Node side of the interop harness from the committed lockfiles (npm registry only, no git URLs,
# no install scripts). Idempotent: a tree whose package.json + package-lock.json + Node major are unchanged
# since its last successful install is left alone (≈0.1 s).
#
#   tests/interop/node_modules       @comunica/query-sparql 4.5.0, @inrupt/solid-client 3.0.0 (+ -authn-node 4.0.0),
#                                    autocannon 7.15.0, rdflib 2.4.0, playwright-core, axe-core (package.json here)
#   tests/interop/crud/node_modules  solid-crud-tests 5.2.0 + jest 26 toolchain (crud/package.json)
#   tests/interop/css/node_modules   @solid/community-server 7.2.0, the reference server (css/package.json; a tree
#                                    of its own: Components.js cannot start next to Comunica 4, see start-css.sh)
#   tests/interop/fediverse/node_modules  @fedify/fedify 2.3.6 (fedify-peer.mjs) and activitypub-testing 0.16.1, the
#                                    ActivityPub peers (fediverse/package.json; Fedify declares Node >= 22, so npm
#                                    warns EBADENGINE on Node 20: harmless, fedify-peer.mjs carries the shim it needs)
#   tests/interop/crud/suite/        the suite's test/, jest.config.js, tsconfig.json copied out of
#                                    node_modules (jest 26 never collects tests under node_modules/)
#
# Usage: tests/interop/install.sh [--force]      (Python clients: pip install -r tests/requirements.txt)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

command -v node >/dev/null || { echo "install.sh: node not found (need Node >= 20)" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 1; }
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
    echo "install.sh: Node $(node --version) is too old (need >= 20)" >&2; exit 1
fi

# Belt and braces next to the .npmrc files: husky@4 must never touch the repository's .git/hooks.
export HUSKY_SKIP_INSTALL=1 HUSKY=0 npm_config_ignore_scripts=true

install_tree() {   # $1 = folder holding package.json + package-lock.json
    local dir="$1" stamp want
    stamp="$dir/node_modules/.kommon-install-stamp"
    want="$( { echo "node$NODE_MAJOR"; cat "$dir/package.json" "$dir/package-lock.json"; } | sha256sum | cut -d' ' -f1)"
    if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    echo "install.sh: npm ci in $dir ..." >&2
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
}

install_tree "$HERE"
install_tree "$HERE/crud"
install_tree "$HERE/css"
install_tree "$HERE/fediverse"

# solid-crud-tests runs from a copy of its package folder (tests and fixtures are read relative to the cwd).
SRC="$HERE/crud/node_modules/solid-crud-tests"
DST="$HERE/crud/suite"
# The copy's stamp also names this script's own changes to it, so a change here rebuilds the copy.
SUITE_STAMP="$(cat "$HERE/crud/node_modules/.kommon-install-stamp") awaited-cleanup"
if [ "$FORCE" = 1 ] || [ ! -f "$DST/.stamp" ] || [ "$(cat "$DST/.stamp")" != "$SUITE_STAMP" ]; then
    rm -rf "$DST"
    mkdir -p "$DST"
    cp -R "$SRC/test" "$SRC/jest.config.js" "$SRC/tsconfig.json" "$DST/"
    # The suite's afterAll hooks start the recursive clean-up of the shared test folder without
    # returning its promise, so on a fast server the next block's PUT of the same file name
    # (update.test.ts reuses exists4.ttl) can be deleted under its feet. Returning the promise
    # makes jest wait for the clean-up; no assertion changes.
    sed -i 's/^\([[:space:]]*\)recursiveDelete(testFolderUrl, authFetcher);/\1return recursiveDelete(testFolderUrl, authFetcher);/' "$DST"/test/surface/*.ts
    echo "$SUITE_STAMP" > "$DST/.stamp"
fi

v() { node -p "require('$1/package.json').version"; }
echo "install.sh: ok: solid-crud-tests $(v "$SRC") (jest $(v "$HERE/crud/node_modules/jest"), jest-runner $(v "$HERE/crud/node_modules/jest-runner")), @comunica/query-sparql $(v "$HERE/node_modules/@comunica/query-sparql"), @solid/community-server $(v "$HERE/css/node_modules/@solid/community-server"), autocannon $(v "$HERE/node_modules/autocannon"), rdflib $(v "$HERE/node_modules/rdflib"), @fedify/fedify $(v "$HERE/fediverse/node_modules/@fedify/fedify"), activitypub-testing $(v "$HERE/fediverse/node_modules/activitypub-testing")"
