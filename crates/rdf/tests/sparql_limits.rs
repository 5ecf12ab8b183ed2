//! Hostile and malformed SPARQL: typed errors with positions, limits that hold, nothing written
//! by a request that fails.

use kommon_rdf::model::{Literal, NamedNode, NamedNodeRef, Triple};
use kommon_rdf::{
    QuadStore, QueryOptions, QueryOutcome, ReadableGraphs, SparqlError, UpdateOptions, parse_query,
};
use std::time::{Duration, Instant};

fn store_with(n: usize) -> QuadStore {
    let store = QuadStore::temporary().unwrap();
    for i in 0..n {
        let doc = format!("https://pod.example/r{i}");
        store
            .put_document(
                NamedNodeRef::new(&doc).unwrap(),
                vec![Triple::new(
                    NamedNode::new_unchecked(format!("{doc}#me")),
                    NamedNode::new_unchecked("http://xmlns.com/foaf/0.1/name"),
                    Literal::from(format!("Résident {i}")),
                )],
            )
            .unwrap();
    }
    store
}

#[test]
fn syntax_errors_say_where() {
    let err = parse_query("SELECT * WHERE {\n  ?s ?p \n}", None).unwrap_err();
    match err {
        SparqlError::Syntax { line, column, .. } => {
            assert_eq!(line, Some(3));
            assert!(column.is_some());
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err_text("SELEC * {}").contains("line 1"));
}

fn err_text(q: &str) -> String {
    parse_query(q, None).unwrap_err().to_string()
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for open in ["(", "{", "["] {
        let close = match open {
            "(" => ")",
            "{" => "}",
            _ => "]",
        };
        let q = format!(
            "SELECT * WHERE {{ FILTER {}1{} }}",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        let err = parse_query(&q, None).unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
    }
    // Brackets inside strings and IRIs do not count.
    let q = format!(
        "SELECT * WHERE {{ ?s ?p \"{}\" . ?s <http://ex.example/{}> ?o }}",
        "(".repeat(1000),
        "(("
    );
    parse_query(&q, None).unwrap();
    // Ordinary nesting parses.
    let q = format!(
        "SELECT * WHERE {{ FILTER {}1{} }}",
        "(".repeat(30),
        ")".repeat(30)
    );
    parse_query(&q, None).unwrap();
}

#[test]
fn queries_that_would_run_forever_stop_at_their_time_limit() {
    let store = store_with(60);
    let options = QueryOptions {
        timeout: Some(Duration::from_millis(300)),
        default_graph_as_union: true,
        ..QueryOptions::default()
    };
    let start = Instant::now();
    let err = store
        .query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h . ?i ?t ?j }",
            &options,
        )
        .unwrap_err();
    assert!(matches!(err, SparqlError::Timeout(_)), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn result_limits_hold() {
    let store = store_with(20);
    let options = QueryOptions {
        max_results: Some(5),
        default_graph_as_union: true,
        ..QueryOptions::default()
    };
    let err = store
        .query("SELECT * WHERE { ?s ?p ?o }", &options)
        .unwrap_err();
    assert!(matches!(err, SparqlError::TooManyResults(5)));
    let ok = store
        .query("SELECT * WHERE { ?s ?p ?o } LIMIT 5", &options)
        .unwrap();
    assert!(matches!(ok, QueryOutcome::Solutions { rows, .. } if rows.len() == 5));
}

#[test]
fn only_readable_graphs_are_visible() {
    let store = store_with(3);
    let options = QueryOptions {
        readable: ReadableGraphs::Only {
            graphs: vec![NamedNode::new_unchecked("https://pod.example/r1")],
            default_graph: false,
        },
        default_graph_as_union: true,
        ..QueryOptions::default()
    };
    for q in [
        "SELECT ?o WHERE { ?s ?p ?o }",
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT ?o WHERE { { GRAPH <https://pod.example/r2> { ?s ?p ?o } } UNION { ?s ?p ?o } }",
    ] {
        match store.query(q, &options).unwrap() {
            QueryOutcome::Solutions { rows, .. } => {
                assert_eq!(rows.len(), 1, "{q}");
                assert_eq!(rows[0][0].as_ref().unwrap().to_string(), "\"Résident 1\"");
            }
            other => panic!("{other:?}"),
        }
    }
    match store
        .query("SELECT ?g WHERE { GRAPH ?g { } }", &options)
        .unwrap()
    {
        QueryOutcome::Solutions { rows, .. } => assert_eq!(rows.len(), 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failing_update_request_writes_nothing() {
    let store = store_with(1);
    let before = store.len().unwrap();
    // The second operation fails (the graph exists), so the first must not be applied.
    let err = store
        .update(
            "INSERT DATA { GRAPH <https://pod.example/new> { <https://a> <https://b> \"c\" } } ; CREATE GRAPH <https://pod.example/r0>",
            &UpdateOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, SparqlError::GraphExists(_)), "{err}");
    assert_eq!(store.len().unwrap(), before);
    assert!(
        !store
            .contains_document(NamedNodeRef::new("https://pod.example/new").unwrap())
            .unwrap()
    );
}

#[test]
fn load_is_refused_unless_allowed() {
    let store = store_with(0);
    let err = store
        .update(
            "LOAD <http://127.0.0.1:1/data.ttl>",
            &UpdateOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, SparqlError::LoadRefused));
    assert!(!err.to_string().is_empty());
    // SILENT turns the refusal into a no-op, as the specification says of LOAD SILENT.
    store
        .update(
            "LOAD SILENT <http://127.0.0.1:1/data.ttl>",
            &UpdateOptions::default(),
        )
        .unwrap();
    assert!(store.is_empty().unwrap());
}

#[test]
fn update_operations_see_earlier_ones_in_the_same_request() {
    let store = store_with(0);
    store
        .update(
            "INSERT DATA { GRAPH <https://g> { <https://s> <https://p> 1 } } ; \
             DELETE { GRAPH <https://g> { ?s <https://p> ?o } } INSERT { GRAPH <https://g> { ?s <https://p> 2 } } WHERE { GRAPH <https://g> { ?s <https://p> ?o } }",
            &UpdateOptions::default(),
        )
        .unwrap();
    match store
        .query(
            "SELECT ?o WHERE { GRAPH <https://g> { ?s ?p ?o } }",
            &QueryOptions::default(),
        )
        .unwrap()
    {
        QueryOutcome::Solutions { rows, .. } => {
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0][0], Some(Literal::from(2).into()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.check_consistency().unwrap(), 1);
}
