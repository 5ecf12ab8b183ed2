"""Drives a Kommon SPARQL endpoint with SPARQLWrapper, a third-party client.

Usage: sparqlwrapper_client.py ENDPOINT_URL [BEARER_TOKEN]

Runs a SELECT (JSON results), an ASK, a CONSTRUCT (Turtle) and, when a token is given, an
update sent as SPARQLWrapper sends them (form POST with `Authorization: Bearer TOKEN`), then
prints OK. Any mismatch raises, so the exit code is non-zero.
"""

import sys

from SPARQLWrapper import GET, JSON, POST, TURTLE, SPARQLWrapper

FOAF_NAME = "http://xmlns.com/foaf/0.1/name"


def main() -> None:
    endpoint = sys.argv[1]
    token = sys.argv[2] if len(sys.argv) > 2 else None

    select = SPARQLWrapper(endpoint)
    select.setMethod(GET)
    select.setReturnFormat(JSON)
    select.setQuery(
        f"SELECT ?name WHERE {{ ?person <{FOAF_NAME}> ?name }} ORDER BY ?name"
    )
    names = [b["name"]["value"] for b in select.queryAndConvert()["results"]["bindings"]]
    assert names == ["Alice", "Bob"], names

    # The same SELECT by POST (form-encoded, as SPARQLWrapper posts queries).
    select.setMethod(POST)
    names = [b["name"]["value"] for b in select.queryAndConvert()["results"]["bindings"]]
    assert names == ["Alice", "Bob"], names

    ask = SPARQLWrapper(endpoint)
    ask.setReturnFormat(JSON)
    ask.setQuery(f'ASK {{ ?person <{FOAF_NAME}> "Alice" }}')
    assert ask.queryAndConvert()["boolean"] is True
    ask.setQuery(f'ASK {{ ?person <{FOAF_NAME}> "Nobody" }}')
    assert ask.queryAndConvert()["boolean"] is False

    construct = SPARQLWrapper(endpoint)
    construct.setReturnFormat(TURTLE)
    construct.setQuery(
        f"CONSTRUCT {{ ?person <{FOAF_NAME}> ?name }} WHERE {{ ?person <{FOAF_NAME}> ?name }}"
    )
    result = construct.query()
    content_type = result.info()["content-type"]
    assert content_type.startswith("text/turtle"), content_type
    turtle = result.convert().decode("utf-8")
    assert '"Alice"' in turtle and '"Bob"' in turtle, turtle

    if token:
        update = SPARQLWrapper(endpoint, updateEndpoint=endpoint)
        update.setMethod(POST)
        update.addCustomHttpHeader("Authorization", f"Bearer {token}")
        update.setQuery(
            "INSERT DATA { GRAPH <http://localhost/carol/profile/card> { "
            f'<http://localhost/carol/profile/card#me> <{FOAF_NAME}> "Carol" }} }}'
        )
        status = update.query().response.status
        assert 200 <= status < 300, status
        select.setMethod(GET)
        names = [
            b["name"]["value"] for b in select.queryAndConvert()["results"]["bindings"]
        ]
        assert names == ["Alice", "Bob", "Carol"], names

    print("OK")


if __name__ == "__main__":
    main()
