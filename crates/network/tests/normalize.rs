//! The normalizer on real documents: the vocabulary's JSON-LD examples, what cod-server and
//! pod-server federate, what Mobilizon sends, and documents the shapes refuse.

use kommon_network::{Kind, Normalizer, Refusal};
use serde_json::json;

fn example(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/../../vocab/examples/jsonld/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_vocabulary_examples_become_entries() {
    let n = Normalizer::bundled().unwrap();
    let ev = example("event.jsonld");
    let out = n
        .document(ev["id"].as_str().unwrap(), &ev, &[], Kind::Event)
        .unwrap();
    assert_eq!(out.entry.label, "Portes ouvertes des ateliers");
    assert_eq!(
        out.entry.start.as_deref(),
        Some("2027-06-12T14:00:00+02:00")
    );
    assert_eq!(
        out.entry.location.as_deref(),
        Some("https://le6b.kommon.example/lieu")
    );
    assert_eq!(
        out.entry.commune.as_deref(),
        Some("https://w3id.org/kommon/ns#commune-saint-denis")
    );
    let r = example("resident-profile.jsonld");
    let out = n
        .document(r["id"].as_str().unwrap(), &r, &[], Kind::Resident)
        .unwrap();
    assert_eq!(out.entry.label, "Amina Benali");
    assert_eq!(out.entry.skills.len(), 3);
    assert_eq!(
        out.entry.website.as_deref(),
        Some("https://amina-ceramique.example")
    );
}

#[test]
fn activitystreams_only_documents_are_mapped() {
    let n = Normalizer::bundled().unwrap();
    // As Mobilizon federates an event, and cod-server a place.
    let ev = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": "https://mobilizon.example/events/1", "type": "Event",
        "name": "Atelier <b>vélo</b>", "content": "<p>Réparez votre vélo &amp; repartez.</p>",
        "startTime": "2027-03-01T10:00:00+01:00", "endTime": "2027-03-01T12:00:00+01:00",
        "location": {"type": "Place", "name": "Le 6B", "latitude": 48.93, "longitude": 2.35},
        "tag": [{"type": "Hashtag", "name": "#vélo"}]
    });
    let out = n
        .document("https://mobilizon.example/events/1", &ev, &[], Kind::Event)
        .unwrap();
    assert_eq!(out.entry.label, "Atelier vélo");
    assert_eq!(out.entry.description, "Réparez votre vélo & repartez.");
    assert_eq!(out.entry.point.map(|p| p.lat), Some(48.93));
    assert_eq!(out.entry.themes, vec!["vélo"]);
    let place = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": "https://cod.example/le6b", "type": "Group", "name": "Le 6B",
        "url": "https://www.le6b.fr",
        "location": {"type": "Place", "name": "Le 6B", "latitude": 48.9245, "longitude": 2.3522}
    });
    let out = n
        .document("https://cod.example/le6b", &place, &[], Kind::Place)
        .unwrap();
    assert_eq!(out.entry.kind, Kind::Place);
    assert_eq!(out.entry.website.as_deref(), Some("https://www.le6b.fr"));
    assert!(out.entry.point.is_some());
}

#[test]
fn what_the_shapes_refuse_says_why() {
    let n = Normalizer::bundled().unwrap();
    let ev = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://c.example/e", "type": "Event", "name": "Sans date"
    });
    let err = n
        .document("https://c.example/e", &ev, &[], Kind::Event)
        .unwrap_err();
    let Refusal::Invalid(v) = &err else {
        panic!("{err:?}")
    };
    assert!(!v.is_empty());
    assert!(err.to_string().contains("date"), "{err}");
    // Ends before it starts.
    let ev = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://c.example/e", "type": "Event", "name": "À l'envers",
        "startTime": "2027-03-01T12:00:00+01:00", "endTime": "2027-03-01T10:00:00+01:00"
    });
    assert!(matches!(
        n.document("https://c.example/e", &ev, &[], Kind::Event),
        Err(Refusal::Invalid(_))
    ));
    // A note announced as an event.
    let note = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://c.example/n", "type": "Note", "content": "bonjour"});
    let err = n
        .document("https://c.example/n", &note, &[], Kind::Event)
        .unwrap_err();
    assert!(matches!(err, Refusal::Unexpected { .. }), "{err:?}");
    assert!(err.to_string().contains("n'est pas un événement"), "{err}");
    // Unknown contexts and broken JSON-LD are unreadable, not a panic.
    let alien = json!({"@context": "https://evil.example/ctx", "id": "https://c.example/x", "type": "Event"});
    assert!(matches!(
        n.document("https://c.example/x", &alien, &[], Kind::Event),
        Err(Refusal::Unreadable(_))
    ));
    assert!(
        n.document("not an iri", &json!({}), &[], Kind::Event)
            .is_err()
    );
}

#[test]
fn communes_are_found_in_addresses() {
    let n = Normalizer::bundled().unwrap();
    let c = n
        .commune_of("6-10 quai de Seine, 93200 Saint-Denis")
        .unwrap();
    assert_eq!(c.insee, "93066");
    let c = n.commune_of("1 rue X, 93450 L'Île-Saint-Denis").unwrap();
    assert_eq!(c.insee, "93039");
    assert!(n.commune_of("Paris").is_none());
}

#[test]
fn contexts_of_proofs_are_dropped_only_when_tolerated() {
    // As Fedify federates an event: identity and data-integrity contexts beside ActivityStreams.
    let ev = json!({
        "@context": ["https://w3id.org/identity/v1", "https://www.w3.org/ns/activitystreams",
                     "https://w3id.org/security/v1", "https://w3id.org/security/data-integrity/v1"],
        "id": "https://peer.example/users/t/events/1", "type": "Event", "name": "Atelier vélo",
        "startTime": "2027-07-01T16:00:00Z", "to": "as:Public"
    });
    let id = "https://peer.example/users/t/events/1";
    let strict = Normalizer::bundled().unwrap();
    assert!(matches!(
        strict.document(id, &ev, &[], Kind::Event),
        Err(Refusal::Unreadable(_))
    ));
    let tolerant = Normalizer::bundled().unwrap().tolerating(&[
        "https://w3id.org/identity/v1",
        "https://w3id.org/security/data-integrity/v1",
    ]);
    let out = tolerant.document(id, &ev, &[], Kind::Event).unwrap();
    assert_eq!(out.entry.label, "Atelier vélo");
}
