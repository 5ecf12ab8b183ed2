//! Kommon's JSON-LD context with the ActivityStreams context: a resident profile, a place and an
//! event expand to the same graph as their Turtle twins, and compact and expand back to it.

use kommon_rdf::codec::{self, ParseLimits, RdfFormat};
use kommon_rdf::jsonld::{self, ContextLoader, JsonLdLimits};
use kommon_rdf::model::dataset::CanonicalizationAlgorithm;
use kommon_rdf::model::{Dataset, GraphName, Quad, Triple};
use std::path::Path;

const AS: &str = "https://www.w3.org/ns/activitystreams";

fn example(path: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../vocab/examples")
            .join(path),
    )
    .unwrap()
}

/// Canonical N-Quads lines, so that a difference prints readably.
fn canonical(quads: impl IntoIterator<Item = Quad>) -> Vec<String> {
    // Doubles in canonical lexical form: JSON-LD writes 48.9283 as "4.89283E1", the same value.
    let quads = quads.into_iter().map(|mut q| {
        if let kommon_rdf::model::Term::Literal(l) = &q.object
            && l.datatype() == kommon_rdf::model::vocab::xsd::DOUBLE
            && let Ok(v) = l.value().parse::<oxsdatatypes::Double>()
        {
            q.object = kommon_rdf::model::Literal::from(v).into();
        }
        q
    });
    let mut d: Dataset = quads.collect();
    d.canonicalize(CanonicalizationAlgorithm::Unstable);
    let mut lines: Vec<String> = d.iter().map(|q| q.to_string()).collect();
    lines.sort();
    lines
}

#[test]
fn examples_round_trip_through_the_context() {
    let loader = ContextLoader::bundled();
    assert!(
        loader.knows(kommon_vocab::CONTEXT_IRI),
        "Kommon's context must be bundled"
    );
    for (json, ttl, root) in [
        (
            "jsonld/resident-profile.jsonld",
            "valid/resident-profile.ttl",
            true,
        ),
        ("jsonld/place.jsonld", "valid/place.ttl", true),
        ("jsonld/event.jsonld", "valid/event.ttl", true),
    ] {
        let text = example(json);
        let from_json = jsonld::to_rdf(&text, None, &loader, &JsonLdLimits::default()).unwrap();
        let from_ttl = codec::parse(
            RdfFormat::Turtle,
            example(ttl).as_bytes(),
            None,
            &ParseLimits::default(),
            &loader,
        )
        .unwrap();
        assert_eq!(
            canonical(from_json.clone()),
            canonical(from_ttl),
            "{json} and {ttl} differ"
        );
        let triples: Vec<Triple> = from_json
            .iter()
            .map(|q| Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone()))
            .collect();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let id = value["id"].as_str().map(str::to_owned);
        let compacted = jsonld::compact_triples(
            &triples,
            if root { id.as_deref() } else { None },
            &[AS, kommon_vocab::CONTEXT_IRI],
            &loader,
        )
        .unwrap();
        assert_eq!(
            compacted["@context"],
            serde_json::json!([AS, kommon_vocab::CONTEXT_IRI]),
            "{json}"
        );
        let again = jsonld::to_rdf(
            &compacted.to_string(),
            None,
            &loader,
            &JsonLdLimits::default(),
        )
        .unwrap();
        assert_eq!(
            canonical(again),
            canonical(from_json.clone()),
            "{json} does not survive compaction:\n{compacted:#}"
        );
        assert!(
            from_json
                .iter()
                .all(|q| q.graph_name == GraphName::DefaultGraph)
        );
    }
}

#[test]
fn compaction_gives_the_keys_activitypods_clients_read() {
    let loader = ContextLoader::bundled();
    let ttl = r#"
        @prefix pim: <http://www.w3.org/ns/pim/space#> .
        @prefix solid: <http://www.w3.org/ns/solid/terms#> .
        @prefix as: <https://www.w3.org/ns/activitystreams#> .
        @prefix ldp: <http://www.w3.org/ns/ldp#> .
        <https://pod.example/awa> a as:Person ;
            pim:storage <https://pod.example/awa/data> ;
            solid:oidcIssuer <https://pod.example> ;
            ldp:inbox <https://pod.example/awa/inbox> ;
            as:outbox <https://pod.example/awa/outbox> ;
            as:preferredUsername "awa" .
    "#;
    let quads = codec::parse(
        RdfFormat::Turtle,
        ttl.as_bytes(),
        None,
        &ParseLimits::default(),
        &loader,
    )
    .unwrap();
    let triples: Vec<Triple> = quads
        .into_iter()
        .map(|q| Triple::new(q.subject, q.predicate, q.object))
        .collect();
    let v = jsonld::compact_triples(
        &triples,
        Some("https://pod.example/awa"),
        &[AS, kommon_vocab::CONTEXT_IRI],
        &loader,
    )
    .unwrap();
    assert_eq!(v["pim:storage"], "https://pod.example/awa/data", "{v:#}");
    assert_eq!(v["solid:oidcIssuer"], "https://pod.example", "{v:#}");
    assert_eq!(v["inbox"], "https://pod.example/awa/inbox", "{v:#}");
    assert_eq!(v["outbox"], "https://pod.example/awa/outbox", "{v:#}");
    assert_eq!(v["preferredUsername"], "awa");
    assert_eq!(v["type"], "Person");
}

#[test]
fn unknown_remote_contexts_are_refused_without_network() {
    let loader = ContextLoader::bundled();
    let doc = r#"{"@context": "https://evil.example/context.jsonld", "name": "x"}"#;
    let err = jsonld::to_rdf(doc, None, &loader, &JsonLdLimits::default()).unwrap_err();
    assert!(
        matches!(err, jsonld::JsonLdError::UnknownContext(ref iri) if iri == "https://evil.example/context.jsonld"),
        "{err}"
    );
    // Through the codec, as an LDP PUT would: a 4xx-class error, nothing parsed.
    let err = codec::parse(
        RdfFormat::JsonLd,
        doc.as_bytes(),
        None,
        &ParseLimits::default(),
        &loader,
    )
    .unwrap_err();
    assert!(err.to_string().contains("evil.example"), "{err}");
}
