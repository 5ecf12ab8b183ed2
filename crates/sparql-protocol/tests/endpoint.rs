//! The endpoint over real HTTP: the router on 127.0.0.1:0, a temporary store with a few
//! documents, and reqwest (and SPARQLWrapper) as clients.

use axum::http::header;
use kommon_rdf::model::{Literal, NamedNode, Triple, vocab::rdf};
use kommon_rdf::{QuadStore, ReadableGraphs, UpdateOptions};
use kommon_sparql_protocol::{EndpointOptions, SparqlEndpoint, UpdateRefusal, router};
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const ALICE_CARD: &str = "http://localhost/alice/profile/card";
const BOB_CARD: &str = "http://localhost/bob/profile/card";
const NOTE: &str = "http://localhost/alice/notes/1";
const JSON_RESULTS: &str = "application/sparql-results+json";
const FORM: &str = "application/x-www-form-urlencoded";

const NAMES: &str =
    "SELECT ?name WHERE { ?person <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name";
const CONSTRUCT_NAMES: &str = "CONSTRUCT { ?person <http://xmlns.com/foaf/0.1/name> ?name } \
     WHERE { ?person <http://xmlns.com/foaf/0.1/name> ?name }";

fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).expect("a valid IRI")
}

fn foaf(local: &str) -> NamedNode {
    iri(&format!("{FOAF}{local}"))
}

/// A temporary store with two profiles and a note: 8 triples in 3 documents.
fn store() -> QuadStore {
    let store = QuadStore::temporary().expect("a temporary store");
    let alice = iri(&format!("{ALICE_CARD}#me"));
    let bob = iri(&format!("{BOB_CARD}#me"));
    let person = foaf("Person");
    store
        .put_document(
            iri(ALICE_CARD).as_ref(),
            [
                Triple::new(alice.clone(), rdf::TYPE, person.clone()),
                Triple::new(alice.clone(), foaf("name"), Literal::from("Alice")),
                Triple::new(alice.clone(), foaf("knows"), bob.clone()),
            ],
        )
        .expect("Alice's card");
    store
        .put_document(
            iri(BOB_CARD).as_ref(),
            [
                Triple::new(bob.clone(), rdf::TYPE, person),
                Triple::new(bob.clone(), foaf("name"), Literal::from("Bob")),
            ],
        )
        .expect("Bob's card");
    let note = iri(NOTE);
    store
        .put_document(
            note.as_ref(),
            [
                Triple::new(
                    note.clone(),
                    iri("http://purl.org/dc/terms/title"),
                    Literal::from("Hello, \"world\"\tand a tab"),
                ),
                Triple::new(
                    note.clone(),
                    iri("https://www.w3.org/ns/activitystreams#content"),
                    Literal::new_language_tagged_literal("Bonjour", "fr").expect("a language tag"),
                ),
                Triple::new(
                    note.clone(),
                    iri("https://www.w3.org/ns/activitystreams#attributedTo"),
                    alice,
                ),
            ],
        )
        .expect("the note");
    store
}

/// Serves the router over `store` on a free port; returns the endpoint's URL.
async fn serve_store(store: QuadStore, options: EndpointOptions) -> String {
    let app = router(SparqlEndpoint { store, options });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("the bound address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("the server runs");
    });
    format!("http://{addr}/sparql")
}

async fn serve(options: EndpointOptions) -> String {
    serve_store(store(), options).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client")
}

fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn get(url: &str, pairs: &[(&str, &str)], accept: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("{url}?{}", encode(pairs)));
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    request.send().await.expect("a response")
}

async fn query(url: &str, text: &str, accept: &str) -> reqwest::Response {
    get(url, &[("query", text)], Some(accept)).await
}

async fn text(response: reqwest::Response) -> String {
    response.text().await.expect("a body")
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The values of `variable` in a SPARQL JSON results document.
fn json_values(body: &str, variable: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON results");
    json["results"]["bindings"]
        .as_array()
        .expect("bindings")
        .iter()
        .map(|b| b[variable]["value"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn names(url: &str) -> Vec<String> {
    let response = query(url, NAMES, JSON_RESULTS).await;
    assert_eq!(response.status(), StatusCode::OK);
    json_values(&text(response).await, "name")
}

#[tokio::test]
async fn get_and_both_posts_give_the_same_json_results() {
    let url = serve(EndpointOptions::default()).await;
    let by_get = query(&url, NAMES, JSON_RESULTS).await;
    assert_eq!(by_get.status(), StatusCode::OK);
    assert_eq!(content_type(&by_get), JSON_RESULTS);
    let by_get = text(by_get).await;

    let by_form = client()
        .post(&url)
        .header(header::CONTENT_TYPE, FORM)
        .body(encode(&[("query", NAMES)]))
        .send()
        .await
        .expect("a response");
    assert_eq!(by_form.status(), StatusCode::OK);
    assert_eq!(content_type(&by_form), JSON_RESULTS);
    let by_form = text(by_form).await;

    let direct = client()
        .post(&url)
        .header(
            header::CONTENT_TYPE,
            "application/sparql-query; charset=UTF-8",
        )
        .body(NAMES)
        .send()
        .await
        .expect("a response");
    assert_eq!(direct.status(), StatusCode::OK);
    let direct = text(direct).await;

    assert_eq!(json_values(&by_get, "name"), ["Alice", "Bob"]);
    assert_eq!(by_get, by_form);
    assert_eq!(by_get, direct);

    // No Accept header at all: JSON, the default.
    let plain = client()
        .get(format!("{url}?{}", encode(&[("query", NAMES)])))
        .send()
        .await
        .expect("a response");
    assert_eq!(content_type(&plain), JSON_RESULTS);
    assert_eq!(text(plain).await, by_get);
}

#[tokio::test]
async fn xml_csv_and_tsv_by_accept() {
    let url = serve(EndpointOptions::default()).await;
    let xml = query(&url, NAMES, "application/sparql-results+xml").await;
    assert_eq!(xml.status(), StatusCode::OK);
    assert_eq!(content_type(&xml), "application/sparql-results+xml");
    let xml = text(xml).await;
    assert!(xml.contains("<variable name=\"name\"/>"), "{xml}");
    assert!(xml.contains("<literal>Alice</literal>"), "{xml}");

    let csv = query(&url, NAMES, "text/csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(content_type(&csv).starts_with("text/csv"));
    assert_eq!(text(csv).await, "name\r\nAlice\r\nBob\r\n");

    let tsv = query(&url, NAMES, "text/tab-separated-values").await;
    assert!(content_type(&tsv).starts_with("text/tab-separated-values"));
    assert_eq!(text(tsv).await, "?name\n\"Alice\"\n\"Bob\"\n");

    // q-values: the client prefers TSV to CSV, and both to anything else.
    let tsv = query(
        &url,
        NAMES,
        "text/csv;q=0.5, text/tab-separated-values, */*;q=0.1",
    )
    .await;
    assert!(content_type(&tsv).starts_with("text/tab-separated-values"));

    // Escapes in a literal survive the trip through CSV and JSON.
    let title = "SELECT ?t WHERE { ?n <http://purl.org/dc/terms/title> ?t }";
    let csv = text(query(&url, title, "text/csv").await).await;
    assert_eq!(csv, "t\r\n\"Hello, \"\"world\"\"\tand a tab\"\r\n");
    let json = text(query(&url, title, JSON_RESULTS).await).await;
    assert_eq!(json_values(&json, "t"), ["Hello, \"world\"\tand a tab"]);
}

#[tokio::test]
async fn ask_answers_a_boolean() {
    let url = serve(EndpointOptions::default()).await;
    let yes = query(
        &url,
        "ASK { ?p <http://xmlns.com/foaf/0.1/name> \"Alice\" }",
        JSON_RESULTS,
    )
    .await;
    assert_eq!(yes.status(), StatusCode::OK);
    let yes: serde_json::Value = serde_json::from_str(&text(yes).await).expect("JSON");
    assert_eq!(yes["boolean"], serde_json::Value::Bool(true));
    let no = query(
        &url,
        "ASK { ?p <http://xmlns.com/foaf/0.1/name> \"Zoe\" }",
        JSON_RESULTS,
    )
    .await;
    let no: serde_json::Value = serde_json::from_str(&text(no).await).expect("JSON");
    assert_eq!(no["boolean"], serde_json::Value::Bool(false));
    let xml = query(&url, "ASK { ?p ?q ?o }", "application/sparql-results+xml").await;
    assert!(text(xml).await.contains("<boolean>true</boolean>"));
}

#[tokio::test]
async fn construct_as_turtle_and_n_triples() {
    let url = serve(EndpointOptions::default()).await;
    let turtle = query(&url, CONSTRUCT_NAMES, "text/turtle").await;
    assert_eq!(turtle.status(), StatusCode::OK);
    assert!(content_type(&turtle).starts_with("text/turtle"));
    let turtle = text(turtle).await;
    assert!(turtle.contains("\"Alice\""), "{turtle}");
    assert!(turtle.contains("foaf:name"), "{turtle}");

    // Turtle is the default for graphs.
    let default = query(&url, CONSTRUCT_NAMES, "*/*").await;
    assert!(content_type(&default).starts_with("text/turtle"));

    let nt = query(&url, CONSTRUCT_NAMES, "application/n-triples").await;
    assert_eq!(nt.status(), StatusCode::OK);
    assert_eq!(content_type(&nt), "application/n-triples");
    let nt = text(nt).await;
    let mut lines: Vec<&str> = nt.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "<http://localhost/alice/profile/card#me> <http://xmlns.com/foaf/0.1/name> \"Alice\" .",
            "<http://localhost/bob/profile/card#me> <http://xmlns.com/foaf/0.1/name> \"Bob\" .",
        ]
    );

    let describe = query(
        &url,
        "DESCRIBE <http://localhost/bob/profile/card#me>",
        "application/n-triples",
    )
    .await;
    assert_eq!(describe.status(), StatusCode::OK);
    assert_eq!(text(describe).await.lines().count(), 2);

    let rdfxml = query(&url, CONSTRUCT_NAMES, "application/rdf+xml").await;
    assert_eq!(content_type(&rdfxml), "application/rdf+xml");
    assert!(text(rdfxml).await.contains(">Alice<"));
}

/// JSON-LD answers go through `kommon_rdf::jsonld`. While that module is a placeholder whose
/// serialiser always fails, the endpoint must answer a clean 500; once it works, a 200 with the
/// names in it.
#[tokio::test]
async fn construct_as_json_ld() {
    let url = serve(EndpointOptions::default()).await;
    let response = query(&url, CONSTRUCT_NAMES, "application/ld+json").await;
    let jsonld_works = kommon_rdf::jsonld::from_rdf(&[]).is_ok();
    if !jsonld_works {
        eprintln!("NOTE: kommon_rdf::jsonld::from_rdf fails: checking only the 500 answer");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            text(response).await.trim(),
            "the answer could not be written as application/ld+json"
        );
        return;
    }
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/ld+json");
    let body = text(response).await;
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON-LD is JSON");
    assert!(body.contains("Alice") && body.contains("Bob"), "{json}");
}

#[tokio::test]
async fn syntax_errors_are_400_with_line_and_column() {
    let url = serve(EndpointOptions::default()).await;
    let response = query(&url, "SELECT ?s WHERE {\n  ?s ?p \n}", JSON_RESULTS).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&response), "text/plain; charset=utf-8");
    let body = text(response).await;
    assert!(
        body.starts_with("SPARQL syntax error at line 3, column "),
        "{body}"
    );

    // The same by direct POST, and for an update.
    let response = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .body("SELECT * WHERE { ?s ?p ?o ")
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("at line 1, column"));
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let url = serve(EndpointOptions::default()).await;
    let missing = get(&url, &[], None).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert!(text(missing).await.contains("missing parameter"));

    let update_by_get = get(&url, &[("update", "CLEAR ALL")], None).await;
    assert_eq!(update_by_get.status(), StatusCode::BAD_REQUEST);
    assert!(text(update_by_get).await.contains("must be sent by POST"));

    let twice = get(&url, &[("query", "ASK {}"), ("query", "ASK {}")], None).await;
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);

    let both = client()
        .post(&url)
        .header(header::CONTENT_TYPE, FORM)
        .body(encode(&[("query", "ASK {}"), ("update", "CLEAR ALL")]))
        .send()
        .await
        .expect("a response");
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);

    let bad_iri = get(
        &url,
        &[("query", "ASK {}"), ("default-graph-uri", "not an iri")],
        None,
    )
    .await;
    assert_eq!(bad_iri.status(), StatusCode::BAD_REQUEST);
    assert!(text(bad_iri).await.contains("default-graph-uri"));

    let not_utf8 = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .body(vec![b'A', b'S', b'K', 0xff])
        .send()
        .await
        .expect("a response");
    assert_eq!(not_utf8.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let url = serve(EndpointOptions::default()).await;
    let response = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(NAMES)
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(text(response).await.contains("application/sparql-query"));

    let none = client()
        .post(&url)
        .body(NAMES)
        .send()
        .await
        .expect("a response");
    assert_eq!(none.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn unacceptable_accept_is_406_with_the_available_types() {
    let url = serve(EndpointOptions::default()).await;
    let response = query(&url, NAMES, "text/html").await;
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
    let body = text(response).await;
    for media_type in [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ] {
        assert!(body.contains(media_type), "{body}");
    }
    let response = query(&url, CONSTRUCT_NAMES, "application/sparql-results+json").await;
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
    let body = text(response).await;
    for media_type in [
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
    ] {
        assert!(body.contains(media_type), "{body}");
    }
    // q=0 excludes a type.
    let response = query(&url, NAMES, "application/sparql-results+json;q=0").await;
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let url = serve(EndpointOptions::default()).await;
    // Over the default limit of 1 MiB: a query padded with a long comment.
    let mut big = String::from("ASK {}\n#");
    big.push_str(&"x".repeat(2 * 1024 * 1024));
    let response = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .body(big.clone())
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text(response).await.contains("1048576 bytes"));

    // A configured limit, and a form body.
    let small = serve(EndpointOptions {
        max_body_bytes: 1000,
        ..EndpointOptions::default()
    })
    .await;
    let response = client()
        .post(&small)
        .header(header::CONTENT_TYPE, FORM)
        .body(encode(&[("query", &big[..5000])]))
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let response = client()
        .post(&small)
        .header(header::CONTENT_TYPE, FORM)
        .body(encode(&[("query", &big[..900])]))
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
}

const INSERT_CAROL: &str = "INSERT DATA { GRAPH <http://localhost/carol/profile/card> { \
     <http://localhost/carol/profile/card#me> <http://xmlns.com/foaf/0.1/name> \"Carol\" } }";

#[tokio::test]
async fn updates_are_refused_by_default() {
    let url = serve(EndpointOptions::default()).await;
    let anonymous = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .body(INSERT_CAROL)
        .send()
        .await
        .expect("a response");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let with_token = client()
        .post(&url)
        .header(header::CONTENT_TYPE, FORM)
        .header(header::AUTHORIZATION, "Bearer test")
        .body(encode(&[("update", INSERT_CAROL)]))
        .send()
        .await
        .expect("a response");
    assert_eq!(with_token.status(), StatusCode::FORBIDDEN);
    assert_eq!(names(&url).await, ["Alice", "Bob"]);
}

/// Lets updates through for `Authorization: Bearer test` only.
fn test_token_authorizer() -> kommon_sparql_protocol::UpdateAuthorizer {
    Arc::new(|parts| {
        match parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            Some("Bearer test") => Ok(UpdateOptions {
                timeout: Some(Duration::from_secs(10)),
                ..UpdateOptions::default()
            }),
            Some(_) => Err(UpdateRefusal::Forbidden("wrong token".into())),
            None => Err(UpdateRefusal::Unauthenticated {
                challenge: "Bearer realm=\"test\"".into(),
            }),
        }
    })
}

#[tokio::test]
async fn updates_pass_an_authorizer_and_are_then_visible() {
    let url = serve(EndpointOptions {
        update_authorizer: test_token_authorizer(),
        ..EndpointOptions::default()
    })
    .await;
    let wrong = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .header(header::AUTHORIZATION, "Bearer nope")
        .body(INSERT_CAROL)
        .send()
        .await
        .expect("a response");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(text(wrong).await.trim(), "wrong token");

    let anonymous = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .body(INSERT_CAROL)
        .send()
        .await
        .expect("a response");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some("Bearer realm=\"test\"")
    );

    let ok = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .header(header::AUTHORIZATION, "Bearer test")
        .body(INSERT_CAROL)
        .send()
        .await
        .expect("a response");
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(names(&url).await, ["Alice", "Bob", "Carol"]);

    // By form, with using-graph-uri restricting the WHERE to Bob's card.
    let rename = "DELETE { GRAPH ?g { ?p <http://xmlns.com/foaf/0.1/name> ?n } } \
                  INSERT { GRAPH ?g { ?p <http://xmlns.com/foaf/0.1/name> \"Robert\" } } \
                  WHERE { GRAPH ?g { ?p <http://xmlns.com/foaf/0.1/name> ?n } }";
    let ok = client()
        .post(&url)
        .header(header::CONTENT_TYPE, FORM)
        .header(header::AUTHORIZATION, "Bearer test")
        .body(encode(&[
            ("update", rename),
            ("using-named-graph-uri", BOB_CARD),
        ]))
        .send()
        .await
        .expect("a response");
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(names(&url).await, ["Alice", "Carol", "Robert"]);

    // A syntax error in an allowed update is still a 400 with its position.
    let bad = client()
        .post(&url)
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .header(header::AUTHORIZATION, "Bearer test")
        .body("INSERT DATA {\n <a> }")
        .send()
        .await
        .expect("a response");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(text(bad).await.contains("at line 2, column"));
}

#[tokio::test]
async fn dataset_parameters_are_honoured() {
    let url = serve(EndpointOptions::default()).await;
    let alice_only = get(
        &url,
        &[("query", NAMES), ("default-graph-uri", ALICE_CARD)],
        Some(JSON_RESULTS),
    )
    .await;
    assert_eq!(alice_only.status(), StatusCode::OK);
    assert_eq!(json_values(&text(alice_only).await, "name"), ["Alice"]);

    // The protocol's dataset replaces the query's FROM.
    let from_bob = "SELECT ?name FROM <http://localhost/bob/profile/card> \
                    WHERE { ?p <http://xmlns.com/foaf/0.1/name> ?name }";
    let overridden = get(
        &url,
        &[("query", from_bob), ("default-graph-uri", ALICE_CARD)],
        Some(JSON_RESULTS),
    )
    .await;
    assert_eq!(json_values(&text(overridden).await, "name"), ["Alice"]);
    let own_from = query(&url, from_bob, JSON_RESULTS).await;
    assert_eq!(json_values(&text(own_from).await, "name"), ["Bob"]);

    // Two default graphs merge.
    let both = client()
        .post(&url)
        .header(header::CONTENT_TYPE, FORM)
        .body(encode(&[
            ("query", NAMES),
            ("default-graph-uri", ALICE_CARD),
            ("default-graph-uri", BOB_CARD),
        ]))
        .send()
        .await
        .expect("a response");
    assert_eq!(json_values(&text(both).await, "name"), ["Alice", "Bob"]);

    // named-graph-uri: only those graphs for GRAPH, and an empty default graph.
    let graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }";
    let named = client()
        .post(format!(
            "{url}?{}",
            encode(&[("named-graph-uri", BOB_CARD)])
        ))
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .body(graphs)
        .send()
        .await
        .expect("a response");
    assert_eq!(json_values(&text(named).await, "g"), [BOB_CARD]);
    let empty_default = get(
        &url,
        &[("query", NAMES), ("named-graph-uri", BOB_CARD)],
        Some(JSON_RESULTS),
    )
    .await;
    assert!(json_values(&text(empty_default).await, "name").is_empty());
}

#[tokio::test]
async fn the_readable_hook_hides_graphs() {
    let url = serve(EndpointOptions {
        readable: Arc::new(|parts| {
            if parts.headers.contains_key(header::AUTHORIZATION) {
                ReadableGraphs::All
            } else {
                ReadableGraphs::Only {
                    graphs: vec![NamedNode::new_unchecked(ALICE_CARD)],
                    default_graph: false,
                }
            }
        }),
        ..EndpointOptions::default()
    })
    .await;
    assert_eq!(names(&url).await, ["Alice"]);
    let with_auth = client()
        .get(format!("{url}?{}", encode(&[("query", NAMES)])))
        .header(header::AUTHORIZATION, "Bearer anything")
        .send()
        .await
        .expect("a response");
    assert_eq!(
        json_values(&text(with_auth).await, "name"),
        ["Alice", "Bob"]
    );
}

#[tokio::test]
async fn cors_preflight_and_simple_requests() {
    let url = serve(EndpointOptions::default()).await;
    let preflight = client()
        .request(reqwest::Method::OPTIONS, &url)
        .header(header::ORIGIN, "https://app.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type, authorization",
        )
        .send()
        .await
        .expect("a response");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let headers = preflight.headers();
    let get_header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(get_header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let methods = get_header(header::ACCESS_CONTROL_ALLOW_METHODS);
    assert!(
        methods.contains("post") && methods.contains("get"),
        "{methods}"
    );
    let allowed = get_header(header::ACCESS_CONTROL_ALLOW_HEADERS);
    assert!(
        allowed.contains("content-type") && allowed.contains("authorization"),
        "{allowed}"
    );

    let simple = client()
        .get(format!("{url}?{}", encode(&[("query", NAMES)])))
        .header(header::ORIGIN, "https://app.example")
        .send()
        .await
        .expect("a response");
    assert_eq!(simple.status(), StatusCode::OK);
    assert_eq!(
        simple
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );

    // Errors carry CORS headers too, so a browser can read them.
    let error = client()
        .get(format!("{url}?{}", encode(&[("query", "SELECT")])))
        .header(header::ORIGIN, "https://app.example")
        .send()
        .await
        .expect("a response");
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert!(
        error
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );

    // tower-http answers every OPTIONS as a preflight, even one without an Origin.
    let options = client()
        .request(reqwest::Method::OPTIONS, &url)
        .send()
        .await
        .expect("a response");
    assert!(options.status().is_success(), "{}", options.status());
}

#[tokio::test]
async fn a_runaway_query_is_stopped_at_the_time_limit() {
    let url = serve(EndpointOptions {
        timeout: Some(Duration::from_millis(200)),
        max_results: None,
        // The guard against cross products is off here, to test the time limit itself.
        max_independent_patterns: None,
        ..EndpointOptions::default()
    })
    .await;
    // The cross product of the store's 8 triples with itself 6 times, sorted: 262,144 rows of
    // 18 variables, about 30 s of work without a limit. Not more: spareval checks for
    // cancellation only when it reads the store, and this query reads it only at the start, so
    // the abandoned worker runs on to the end after the 503 (7 patterns: 6 minutes and 5 GB).
    // That is why the default options refuse such queries before evaluation (next test).
    let mut runaway = String::from("SELECT * WHERE {");
    for i in 0..6 {
        runaway.push_str(&format!(" ?s{i} ?p{i} ?o{i} ."));
    }
    runaway.push_str(" } ORDER BY ?o0 ?o1 ?o2 ?o3 ?o4 ?o5");
    let start = Instant::now();
    let response = query(&url, &runaway, JSON_RESULTS).await;
    let elapsed = start.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(text(response).await.contains("time limit"));
    assert!(
        elapsed < Duration::from_secs(5),
        "answered after {elapsed:?}"
    );
}

#[tokio::test]
async fn cross_products_are_refused_before_evaluation() {
    let url = serve(EndpointOptions::default()).await;
    let mut product = String::from("SELECT (COUNT(*) AS ?n) WHERE {");
    for i in 0..7 {
        product.push_str(&format!(" ?s{i} ?p{i} ?o{i} ."));
    }
    product.push_str(" }");
    let start = Instant::now();
    let response = query(&url, &product, JSON_RESULTS).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("cross product"));
    assert!(start.elapsed() < Duration::from_secs(2));
    // Two unrelated groups stay allowed: a time limit can still stop them.
    let two = query(
        &url,
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 1",
        JSON_RESULTS,
    )
    .await;
    assert_eq!(two.status(), StatusCode::OK);
}

#[tokio::test]
async fn results_over_the_limit_are_400() {
    let url = serve(EndpointOptions {
        max_results: Some(3),
        ..EndpointOptions::default()
    })
    .await;
    let response = query(&url, "SELECT * WHERE { ?s ?p ?o }", JSON_RESULTS).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("add a LIMIT"));
    let limited = query(&url, "SELECT * WHERE { ?s ?p ?o } LIMIT 3", JSON_RESULTS).await;
    assert_eq!(limited.status(), StatusCode::OK);
}

/// SPARQLWrapper, a third-party Python client, against the real endpoint. The interpreter is
/// `$KOMMON_PYTHON` (default `python3`); it must have SPARQLWrapper, or the test fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparqlwrapper_client() {
    let python = std::env::var("KOMMON_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = tokio::process::Command::new(&python)
        .args(["-c", "import SPARQLWrapper"])
        .output()
        .await;
    match probe {
        Ok(out) if out.status.success() => {}
        other => panic!(
            "SPARQLWrapper is not importable with `{python}` ({other:?}). Install it: \
             `python3 -m venv /tmp/spwenv && /tmp/spwenv/bin/pip install -r tests/requirements.txt`, \
             then run the tests with KOMMON_PYTHON=/tmp/spwenv/bin/python (CI does this in .ci/run)."
        ),
    }
    let url = serve(EndpointOptions {
        update_authorizer: test_token_authorizer(),
        ..EndpointOptions::default()
    })
    .await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sparqlwrapper_client.py");
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(&python)
            .args([script, &url, "test"])
            .output(),
    )
    .await
    .expect("the client finishes within 2 minutes")
    .expect("the client runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("OK"),
        "SPARQLWrapper client failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

#[tokio::test]
async fn mounts_elsewhere_with_method_router_and_handle() {
    use axum::extract::{Path, Request, State};
    use axum::response::Response;
    use kommon_sparql_protocol::{handle, method_router};

    // A fixed path, with the endpoint's own state.
    let endpoint = SparqlEndpoint::new(store());
    let app = axum::Router::new().route("/alice/sparql", method_router(endpoint.clone()));

    // A handler of the embedder's own that picks the endpoint, then hands over the request.
    async fn pod_sparql(
        State(endpoint): State<SparqlEndpoint>,
        Path(name): Path<String>,
        request: Request,
    ) -> Response {
        assert_eq!(name, "bob");
        handle(&endpoint, request).await
    }
    let app = app.merge(
        axum::Router::new()
            .route(
                "/{name}/sparql",
                axum::routing::get(pod_sparql).post(pod_sparql),
            )
            .with_state(endpoint),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("the bound address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("the server runs");
    });
    for path in ["alice/sparql", "bob/sparql"] {
        let url = format!("http://{addr}/{path}");
        assert_eq!(names(&url).await, ["Alice", "Bob"]);
    }
    let with_cors = client()
        .get(format!(
            "http://{addr}/alice/sparql?{}",
            encode(&[("query", NAMES)])
        ))
        .header(header::ORIGIN, "https://app.example")
        .send()
        .await
        .expect("a response");
    assert!(
        with_cors
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}
