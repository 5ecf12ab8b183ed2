#!/usr/bin/env python3
"""Python rdflib (7.6.0) + requests against a Solid pod: the checks a Python Linked Data client relies on.

    python tests/interop/rdflib_pod.py http://127.0.0.1:8080/alice/data/py/

BASE_CONTAINER must exist or be creatable by PUT (intermediate containers) and be writable by the caller.
Env KOMMON_AUTH_HEADER="Name: value" (e.g. "X-Kommon-Dev-Agent: http://127.0.0.1:8080/alice") is sent with every
request, both the requests calls and rdflib's own urllib GETs.

Steps (each must pass, else exit 1 with a message naming the step; exit 2 on bad usage):
  1. PUT a Turtle document (text/turtle) under BASE_CONTAINER           -> 2xx
  2. Graph().parse(url): rdflib's own GET with its own Accept (conneg) -> graph isomorphic to what was PUT
  3. GET Accept: application/ld+json -> 200, Content-Type application/ld+json, parses, isomorphic to step 2
  4. PATCH application/sparql-update (DELETE DATA ; INSERT DATA)        -> 2xx
  5. Graph().parse(url) again -> exactly the PUT graph with the patch applied (isomorphic)
  6. DELETE -> 2xx, then GET -> 404 or 410 (410 Gone: a server that keeps tombstones, as Kommon does)
Requirements: tests/requirements.txt (rdflib==7.6.0, requests).
"""
import sys
import time
import urllib.request

try:
    import requests
    import rdflib
    import rdflib.compare
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import FOAF, RDF, XSD
except ImportError as e:  # pragma: no cover
    print(f"rdflib_pod: missing Python package ({e}); pip install -r tests/requirements.txt", file=sys.stderr)
    sys.exit(2)


class Failure(Exception):
    pass


def auth_header():
    raw = __import__("os").environ.get("KOMMON_AUTH_HEADER", "")
    if not raw:
        return None
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        print(f'rdflib_pod: KOMMON_AUTH_HEADER must look like "Name: value", got {raw!r}', file=sys.stderr)
        sys.exit(2)
    return name.strip(), value.strip()


class _AddHeader(urllib.request.BaseHandler):
    """urllib handler adding the auth header to every request rdflib's Graph.parse(url) makes."""

    def __init__(self, name, value):
        self.name, self.value = name, value

    def http_request(self, req):
        req.add_header(self.name, self.value)
        return req

    https_request = http_request


def describe(g):
    return "\n".join(sorted(f"    {s.n3()} {p.n3()} {o.n3()}" for s, p, o in g)) or "    (empty)"


def expect_iso(step, want, got):
    if not rdflib.compare.isomorphic(want, got):
        _, only_want, only_got = rdflib.compare.graph_diff(
            rdflib.compare.to_isomorphic(want), rdflib.compare.to_isomorphic(got))
        raise Failure(f"{step}: graphs differ\n  expected but missing:\n{describe(only_want)}\n"
                      f"  present but not expected:\n{describe(only_got)}")


def status_ok(step, r, codes=None):
    ok = (r.status_code in codes) if codes else (200 <= r.status_code < 300)
    if not ok:
        want = "/".join(map(str, codes)) if codes else "2xx"
        raise Failure(f"{step}: {r.request.method} {r.url} -> {r.status_code} (expected {want}); "
                      f"Content-Type={r.headers.get('Content-Type')!r}; body: {r.text[:300]!r}")


def main(argv):
    if len(argv) != 2 or not argv[1].startswith(("http://", "https://")):
        print("usage: rdflib_pod.py BASE_CONTAINER_URL   (env KOMMON_AUTH_HEADER='Name: value' optional)",
              file=sys.stderr)
        return 2
    base = argv[1] if argv[1].endswith("/") else argv[1] + "/"
    url = f"{base}rdflib-pod-{int(time.time() * 1000)}.ttl"
    hdr = auth_header()
    http = requests.Session()
    if hdr:
        http.headers[hdr[0]] = hdr[1]
        urllib.request.install_opener(urllib.request.build_opener(_AddHeader(*hdr)))

    ex = Namespace(url + "#")
    me = ex.me
    original = Graph()
    original.add((me, RDF.type, FOAF.Person))
    original.add((me, FOAF.name, Literal("Py Alice")))
    original.add((me, FOAF.nick, Literal("alïce \"quoted\"\nline two", lang="en")))
    original.add((me, FOAF.age, Literal(42, datatype=XSD.integer)))
    original.add((me, FOAF.knows, URIRef("http://example.org/bob#me")))
    home = BNode()
    original.add((me, FOAF.based_near, home))
    original.add((home, FOAF.name, Literal("Somewhere")))

    def step(msg):
        print(f"rdflib_pod: ok  {msg}")

    t = time.perf_counter()
    r = http.put(url, data=original.serialize(format="turtle").encode("utf-8"),
                 headers={"Content-Type": "text/turtle"})
    status_ok("1 PUT text/turtle", r)
    step(f"1 PUT {url} -> {r.status_code} ({(time.perf_counter() - t) * 1000:.1f} ms)")

    try:
        g2 = Graph().parse(url)
    except Exception as e:
        raise Failure(f"2 Graph().parse({url}) raised {type(e).__name__}: {e}")
    expect_iso("2 Graph().parse(url) after PUT", original, g2)
    step(f"2 Graph().parse(url) (rdflib conneg) -> {len(g2)} triples, isomorphic to the PUT graph")

    r = http.get(url, headers={"Accept": "application/ld+json"})
    status_ok("3 GET Accept: application/ld+json", r, (200,))
    ctype = r.headers.get("Content-Type", "")
    if not ctype.split(";")[0].strip().lower() == "application/ld+json":
        raise Failure(f"3 GET Accept: application/ld+json: Content-Type is {ctype!r}")
    try:
        g3 = Graph().parse(data=r.text, format="json-ld", publicID=url)
    except Exception as e:
        raise Failure(f"3 JSON-LD body does not parse ({type(e).__name__}: {e}); body: {r.text[:300]!r}")
    expect_iso("3 JSON-LD round trip", g2, g3)
    step(f"3 GET as JSON-LD -> {ctype}, {len(g3)} triples, isomorphic")

    update = (f'DELETE DATA {{ <{me}> <{FOAF.name}> "Py Alice" }} ;\n'
              f'INSERT DATA {{ <{me}> <{FOAF.name}> "Py Alice (patched)" . <{me}> <{FOAF.nick}> "pa" }}')
    r = http.patch(url, data=update.encode("utf-8"), headers={"Content-Type": "application/sparql-update"})
    status_ok("4 PATCH application/sparql-update", r)
    step(f"4 PATCH application/sparql-update -> {r.status_code}")

    expected = Graph()
    for tr in original:
        expected.add(tr)
    expected.remove((me, FOAF.name, Literal("Py Alice")))
    expected.add((me, FOAF.name, Literal("Py Alice (patched)")))
    expected.add((me, FOAF.nick, Literal("pa")))
    try:
        g4 = Graph().parse(url)
    except Exception as e:
        raise Failure(f"5 Graph().parse({url}) after PATCH raised {type(e).__name__}: {e}")
    expect_iso("5 Graph().parse(url) after PATCH", expected, g4)
    step(f"5 Graph().parse(url) after PATCH -> the change is there ({len(g4)} triples)")

    r = http.delete(url)
    status_ok("6 DELETE", r)
    r2 = http.get(url, headers={"Accept": "text/turtle"})
    status_ok("6 GET after DELETE", r2, (404, 410))
    step(f"6 DELETE -> {r.status_code}, then GET -> {r2.status_code}")
    print(f"rdflib_pod: all 6 steps ok against {base} (rdflib {rdflib.__version__}, requests {requests.__version__})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Failure as f:
        print(f"rdflib_pod: FAILED {f}", file=sys.stderr)
        sys.exit(1)
    except requests.RequestException as e:
        print(f"rdflib_pod: FAILED HTTP error: {e}", file=sys.stderr)
        sys.exit(1)
