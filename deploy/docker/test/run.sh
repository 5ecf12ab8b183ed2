#!/usr/bin/env bash
# End-to-end check of deploy/docker on one machine, without public DNS or certificates: builds
# the image (from prebuilt binaries with KOMMON_BIN_DIR=DIR, else from source), brings the four
# roles up under the names *.kommon.test, and checks what README.md promises. Every request goes
# to 127.0.0.1 (curl --resolve) or stays inside the compose network. Needs a Docker engine with
# BuildKit, a compose (DOCKER / COMPOSE override the commands), curl, and ports 80, 443, 3000,
# 4000 and 4100 free on the host. KEEP=1 leaves the containers and volumes up at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-docker}
COMPOSE=${COMPOSE:-docker compose}
work=$(mktemp -d)
export KOMMON_TEST_CA_FILE=$work/ca.crt
: >"$KOMMON_TEST_CA_FILE"
base=(--env-file test/test.env -f compose.yaml -f test/compose.test.yaml)
c() { $COMPOSE "${base[@]}" "$@"; }
cf() { $COMPOSE "${base[@]}" -f test/compose.federation.yaml "$@"; }
pass=0
fail=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
		pass=$((pass + 1))
	else
		echo "FAIL $what"
		fail=$((fail + 1))
	fi
}
K=(--cacert "$work/ca.crt" --max-time 20 -sS)
for h in pods lieux reseau; do K+=(--resolve "$h.kommon.test:443:127.0.0.1"); done
get() { curl "${K[@]}" "$@"; }
code() { curl "${K[@]}" -o /dev/null -w '%{http_code}' "$@"; }
contains() { grep -q -- "$2" <<<"$1"; }
healthy() { # SERVICE…: wait (at most 120 s) until Docker reports each one healthy
	local s st
	for s in "$@"; do
		for _ in $(seq 1 60); do
			st=$($DOCKER inspect -f '{{.State.Health.Status}}' "$(c ps -q "$s")" 2>/dev/null || true)
			[ "$st" = healthy ] && break
			sleep 2
		done
		[ "$st" = healthy ] || return 1
	done
}
finish() {
	if [ "${KEEP:-}" != 1 ]; then c down -v --remove-orphans >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap finish EXIT

echo "== images"
if [ -n "${KOMMON_BIN_DIR:-}" ]; then
	DOCKER_BUILDKIT=1 $DOCKER build -q --build-arg KOMMON_BINARIES=prebuilt \
		-f Dockerfile -t kommon:test "$KOMMON_BIN_DIR"
else
	DOCKER_BUILDKIT=1 $DOCKER build -q -f Dockerfile -t kommon:test ../..
fi
DOCKER_BUILDKIT=1 $DOCKER build -q -f test/Dockerfile.caddy -t kommon-test-caddy:latest test
c down -v --remove-orphans >/dev/null 2>&1 || true

echo "== Caddy first: its local authority signs the test certificates, the servers trust it"
c up -d --no-deps caddy
for _ in $(seq 1 30); do
	$DOCKER exec "$(c ps -q caddy)" cat /data/caddy/pki/authorities/local/root.crt >"$work/ca.crt" 2>/dev/null && break
	sleep 1
done
check "Caddy made its local authority" grep -q 'BEGIN CERTIFICATE' "$work/ca.crt"

echo "== pods and communities, created with the CLI in the containers (servers stopped)"
out=$(c run --rm -T -e KOMMON_POD_PASSWORD='claire-test-password' pods \
	pod-server create-pod claire --display-name Claire 2>/dev/null)
check "create-pod claire: $out" contains "$out" '"webid":"https://pods.kommon.test/claire"'
out=$(printf 'bruno-test-password\n' | c run --rm -T pods pod-server create-pod bruno 2>/dev/null)
check "create-pod bruno (password on standard input)" contains "$out" '"webid":"https://pods.kommon.test/bruno"'
out=$(c run --rm -T lieux cod-server create-community le-6b --name "Le 6B" \
	--admin https://pods.kommon.test/claire 2>/dev/null)
check "create-community le-6b: $out" contains "$out" '"id":"https://lieux.kommon.test/le-6b"'
out=$(c run --rm -T reseau cod-server create-community pot-kommon --name "POT KOMMON" \
	--admin https://pods.kommon.test/claire --network 2>/dev/null)
check "create-community pot-kommon --network: $out" contains "$out" '"id":"https://reseau.kommon.test/pot-kommon"'

echo "== first start"
c up -d
check "the three servers are healthy (Docker HEALTHCHECK on /health)" healthy pods lieux reseau
for p in 3000 4000 4100; do
	check "/health on the host's loopback, port $p" test "$(curl -sS --max-time 5 "http://127.0.0.1:$p/health")" = ok
	check "/metrics on the host's loopback, port $p" contains "$(curl -sS --max-time 5 "http://127.0.0.1:$p/metrics")" kommon_http_requests_total
done
for h in pods lieux reseau; do
	check "https://$h.kommon.test/health through Caddy (TLS, HTTP/2)" \
		test "$(curl "${K[@]}" -o /dev/null -w '%{http_code} %{http_version}' "https://$h.kommon.test/health")" = "200 2"
	check "https://$h.kommon.test/metrics is 404 through Caddy" test "$(code "https://$h.kommon.test/metrics")" = 404
done
webid=$(get -H 'Accept: text/turtle' https://pods.kommon.test/claire)
check "claire's WebID answers in Turtle, with https ids" contains "$webid" '<https://pods.kommon.test/claire> dc:created'
check "claire's WebID names her storage" contains "$webid" 'pim:storage <https://pods.kommon.test/claire/data/>'
check "claire's WebID names the OIDC issuer" contains "$webid" 'solid:oidcIssuer <https://pods.kommon.test/>'
check "WebFinger finds claire" contains "$(get 'https://pods.kommon.test/.well-known/webfinger?resource=acct:claire@pods.kommon.test')" '"href":"https://pods.kommon.test/claire"'
check "the place's actor answers" contains "$(get -H 'Accept: application/activity+json' https://lieux.kommon.test/le-6b)" '"id":"https://lieux.kommon.test/le-6b"'
check "the network's public site answers" contains "$(get https://reseau.kommon.test/)" '<title>POT KOMMON'
cookie=$(get -D - -o /dev/null -H 'Origin: https://pods.kommon.test' --data-urlencode username=claire \
	--data-urlencode password=claire-test-password https://pods.kommon.test/.account/login | grep -i '^set-cookie:' || true)
check "login sets a Secure cookie: ${cookie%%=*}=…" contains "$cookie" '; Secure'
check "no development mode: X-Kommon-Dev-Agent is ignored (401)" \
	test "$(code -H 'X-Kommon-Dev-Agent: https://pods.kommon.test/claire' https://pods.kommon.test/claire/data/)" = 401
check "the servers run as uid 10001" test "$(c exec -T pods id -u)" = 10001
check "the root file system is read-only" bash -c "! $COMPOSE ${base[*]} exec -T lieux touch /usr/local/bin/x 2>/dev/null"
check "docker compose exec runs the CLI" contains "$(c exec -T reseau cod-server --version)" 'cod-server '

echo "== the guard against private addresses is on"
jar=$work/bruno.jar
get -c "$jar" -o /dev/null -H 'Origin: https://pods.kommon.test' --data-urlencode username=bruno \
	--data-urlencode password=bruno-test-password https://pods.kommon.test/.account/login
get -b "$jar" -o /dev/null -H 'Origin: https://pods.kommon.test' --data-urlencode place=https://lieux.kommon.test/le-6b \
	--data-urlencode message=Bonjour https://pods.kommon.test/.account/join
why=
for _ in $(seq 1 20); do
	why=$(c logs --no-color pods 2>&1 | grep 'delivery failed; will retry' | grep 'lieux.kommon.test' | tail -1 || true)
	[ -n "$why" ] && break
	sleep 1
done
echo "     pod-server: ${why#*| }"
check "pod-server does not deliver to lieux.kommon.test, a private address here (retries later)" test -n "$why"
check "le-6b received no Join" bash -c "! $COMPOSE ${base[*]} logs --no-color lieux 2>&1 | grep -q 'actor=https://pods.kommon.test/bruno'"

echo "== backups with the CLI (servers stopped); restores into an empty folder and a new volume"
mkdir -p "$work/backups"
chown 10001:10001 "$work/backups" 2>/dev/null || chmod 0777 "$work/backups"
c stop lieux reseau
out=$(c run --rm -T -v "$work/backups:/backups" lieux cod-server backup /backups/lieux.backup 2>/dev/null)
check "cod-server backup (place): $out" contains "$out" '"entries"'
out=$(c run --rm -T -v "$work/backups:/backups" reseau cod-server backup /backups/reseau.backup 2>/dev/null)
check "cod-server backup (network): $out" test -s "$work/backups/reseau.backup.network"
out=$(c run --rm -T -v "$work/backups:/backups" lieux cod-server restore /backups/lieux.backup --data /tmp/restored 2>/dev/null)
check "cod-server restore into an empty folder: $out" contains "$out" '"entries"'
c rm -f -s reseau
$DOCKER volume rm kommontest_reseau >/dev/null
out=$(c run --rm -T -v "$work/backups:/backups" reseau cod-server restore /backups/reseau.backup 2>/dev/null)
check "cod-server restore (network, with FILE.network) into a new volume: $out" contains "$out" '"network_entries"'
c up -d lieux reseau
check "healthy after the restore" healthy lieux reseau
check "the restored network's site and community answer" test "$(code https://reseau.kommon.test/) $(code -H 'Accept: application/activity+json' https://reseau.kommon.test/pot-kommon)" = "200 200"
c stop pods
out=$(c run --rm -T -v "$work/backups:/backups" pods pod-server backup /backups/pods.backup 2>/dev/null)
check "pod-server backup: $out" contains "$out" '"entries"'
check "pod-server stopped cleanly on SIGTERM (exit 0)" test "$($DOCKER inspect -f '{{.State.ExitCode}}' "$(c ps -q pods)")" = 0
c start pods
check "healthy again after the backups" healthy pods

echo "== upgrade: new containers, same volumes"
c up -d --force-recreate
check "healthy after recreating the containers" healthy pods lieux reseau
check "claire's WebID survives" contains "$(get -H 'Accept: text/turtle' https://pods.kommon.test/claire)" '<https://pods.kommon.test/claire> dc:created'
check "le-6b survives" test "$(code -H 'Accept: application/activity+json' https://lieux.kommon.test/le-6b)" = 200

echo "== federation through Caddy (TEST ONLY: development mode, test CA; see compose.federation.yaml)"
cf up -d
check "healthy in development mode" healthy pods lieux reseau
get -c "$jar" -o /dev/null -H 'Origin: https://pods.kommon.test' --data-urlencode username=bruno \
	--data-urlencode password=bruno-test-password https://pods.kommon.test/.account/login
check "bruno asks to join le-6b from his pod" contains "$(get -b "$jar" -H 'Origin: https://pods.kommon.test' \
	--data-urlencode place=https://lieux.kommon.test/le-6b --data-urlencode message=Bonjour \
	https://pods.kommon.test/.account/join)" 'Demande envoyée'
seen=
for _ in $(seq 1 30); do
	seen=$(cf logs --no-color lieux 2>&1 | grep 'join community=le-6b actor=https://pods.kommon.test/bruno' | tail -1 || true)
	[ -n "$seen" ] && break
	sleep 2
done
echo "     cod-server: ${seen#*| }"
check "the Join reached le-6b, pending moderation (pods → Caddy → lieux: TLS, signed)" test -n "$seen"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
