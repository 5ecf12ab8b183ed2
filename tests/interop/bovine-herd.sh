#!/usr/bin/env bash
# bovine-herd 0.5.19 (helge) as an offline ActivityPub peer that needs HTTPS: its actor ids are https://, its
# actor documents demand a signed GET (authorized fetch), and its actor can be driven client-to-server
# (bovine-c2s.py).
#
#   bovine-herd.sh start PORT DIR
#       Makes a self-signed certificate for localhost in DIR, starts hypercorn over TLS on 127.0.0.1:PORT
#       (sqlite database DIR/bovine.sqlite3, log DIR/herd.log), registers the actor "herd" and gives it a
#       Moo-Auth-1 (Ed25519 did:key) secret. The server keeps running; stdout then holds:
#           ACTOR https://localhost:PORT/endpoints/<random>
#           SECRET z...                     (for bovine-c2s.py)
#           CERT DIR/cert.pem               (trust it: SSL_CERT_FILE for Python, a custom root for Rust)
#           PID <pid>                       (kill it, or `bovine-herd.sh stop DIR`)
#   bovine-herd.sh stop DIR
#
# Env: KOMMON_HERD_PYTHON (default .ci/venv-herd/bin/python, from tests/requirements-herd.txt),
#      HERD_TIMEOUT (seconds the server may live, default 900).
# Exit: 0 ok; 1 the server did not come up or registration failed (log on stderr); 2 usage.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${KOMMON_HERD_PYTHON:-$HERE/../../.ci/venv-herd/bin/python}"

usage() { echo "usage: bovine-herd.sh start PORT DIR | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage

if [ "$1" = stop ]; then
    [ -f "$2/herd.pid" ] && kill "$(cat "$2/herd.pid")" 2>/dev/null || true
    exit 0
fi
[ "$1" = start ] && [ $# -eq 3 ] || usage
PORT="$2"
mkdir -p "$3"
DIR="$(cd "$3" && pwd)"
"$PY" -c 'import bovine_herd, bovine_tool' 2>/dev/null \
    || { echo "bovine-herd.sh: bovine_herd/bovine_tool not importable with $PY (pip install -r tests/requirements-herd.txt)" >&2; exit 2; }
fail() { echo "bovine-herd.sh: $*" >&2; tail -40 "$DIR/herd.log" | sed 's/^/  herd| /' >&2; exit 1; }
if curl -sk -o /dev/null --max-time 2 "https://127.0.0.1:$PORT/"; then
    echo "bovine-herd.sh: port $PORT is already in use" >&2; exit 1
fi

# The actor ids are https://localhost:PORT/..., so the certificate names localhost; peers verify it.
# A throwaway CA and a server certificate it signs: rustls (the Rust side) refuses a self-signed CA
# certificate used as the server's own (CaUsedAsEndEntity), so CERT is the CA to trust.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Kommon test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -keyout "$DIR/ca-key.pem" -out "$DIR/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$DIR/key.pem" -out "$DIR/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$DIR/server.ext"
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca-key.pem" -CAcreateserial \
    -days 2 -extfile "$DIR/server.ext" -out "$DIR/server.pem" 2>/dev/null
# hypercorn serves the chain; clients trust the CA.
cat "$DIR/server.pem" "$DIR/ca.pem" > "$DIR/chain.pem"
cp "$DIR/ca.pem" "$DIR/cert.pem"

# hypercorn needs an importable module; BovineHerd creates the schema on startup (generate_schemas).
cat > "$DIR/herd_app.py" <<'EOF'
from quart import Quart
from bovine_herd import BovineHerd
import bovine.jsonld

# Offline, bovine replaces every JSON-LD context it cannot fetch (security/v1, data-integrity/v1, ...) by
# an empty *list*; pyld 2.0.4 then crashes (IndexError) on an object that embeds such a context, e.g.
# Fedify's Accept, and the activity is dropped. An empty *object* means the same and does not crash.
_fetch = bovine.jsonld.wrapper


def _offline_wrapper(url, options, **kwargs):
    result = _fetch(url, options, **kwargs)
    if result["document"].get("@context") == []:
        result["document"]["@context"] = {}
    return result


bovine.jsonld.wrapper = _offline_wrapper

app = Quart(__name__)
BovineHerd(app, db_url="sqlite://bovine.sqlite3")
EOF

# bovine_tool reads the same database (BOVINE_DB_URL, relative to the cwd), so everything runs in DIR.
cd "$DIR"
export BOVINE_DB_URL="sqlite://bovine.sqlite3"
# setsid + closed stdio: the server outlives this script without holding the caller's pipes.
setsid timeout "${HERD_TIMEOUT:-900}" "$PY" -m hypercorn herd_app:app --bind "127.0.0.1:$PORT" \
    --certfile chain.pem --keyfile key.pem </dev/null >"$DIR/herd.log" 2>&1 &
PID=$!
echo "$PID" > "$DIR/herd.pid"
up=0
for _ in $(seq 150); do
    # Any HTTP answer will do: nodeinfo needs no signature.
    if curl -s -o /dev/null --max-time 2 --cacert cert.pem "https://localhost:$PORT/.well-known/nodeinfo"; then up=1; break; fi
    kill -0 "$PID" 2>/dev/null || fail "hypercorn exited before answering on port $PORT"
    sleep 0.2
done
[ "$up" = 1 ] || { kill "$PID"; fail "hypercorn did not answer on port $PORT within 30 s"; }

reg="$("$PY" -m bovine_tool.register herd --domain "localhost:$PORT" 2>>"$DIR/herd.log")" \
    || { kill "$PID"; fail "bovine_tool.register failed"; }
NAME="$(sed -n 's/^Bovine name: //p' <<<"$reg")"
key="$("$PY" -m bovine_tool.manage "$NAME" --new_did_key 2>>"$DIR/herd.log")" \
    || { kill "$PID"; fail "bovine_tool.manage --new_did_key failed"; }
SECRET="$(sed -n 's/^Your new secret: //p' <<<"$key")"
# `manage NAME` alone prints the actor as its owner sees it; only its id is wanted.
ACTOR="$("$PY" -m bovine_tool.manage "$NAME" 2>>"$DIR/herd.log" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')" \
    || { kill "$PID"; fail "could not read the actor id"; }
[ -n "$NAME" ] && [ -n "$SECRET" ] && [ -n "$ACTOR" ] || { kill "$PID"; fail "registration printed nothing usable"; }

echo "ACTOR $ACTOR"
echo "SECRET $SECRET"
echo "CERT $DIR/cert.pem"
echo "PID $PID"
