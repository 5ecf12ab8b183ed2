//! The quad store's document model: atomic replacement, blank node scoping, transactions that
//! span documents and keyspaces, and patterns over every index.

use kommon_rdf::model::{
    BlankNode, GraphName, GraphNameRef, Literal, NamedNode, NamedNodeRef, Quad, Term, Triple,
};
use kommon_rdf::{QuadStore, StoreError, StoreOptions};

fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap()
}

fn t(s: &str, p: &str, o: impl Into<Term>) -> Triple {
    Triple::new(iri(s), iri(p), o)
}

const NAME: &str = "http://xmlns.com/foaf/0.1/name";
const KNOWS: &str = "http://xmlns.com/foaf/0.1/knows";

#[test]
fn put_replaces_a_document_and_get_returns_it() {
    let store = QuadStore::temporary().unwrap();
    let doc = iri("https://pod.example/awa");
    let first = store
        .put_document(
            doc.as_ref(),
            vec![t("https://pod.example/awa#me", NAME, Literal::from("Awa"))],
        )
        .unwrap();
    assert_eq!(
        (first.inserted, first.removed, first.existed),
        (1, 0, false)
    );
    let second = store
        .put_document(
            doc.as_ref(),
            vec![
                t("https://pod.example/awa#me", NAME, Literal::from("Awa D.")),
                t(
                    "https://pod.example/awa#me",
                    KNOWS,
                    iri("https://pod.example/leo#me"),
                ),
            ],
        )
        .unwrap();
    assert_eq!(
        (second.inserted, second.removed, second.existed),
        (2, 1, true)
    );
    let g = store.get_document(doc.as_ref()).unwrap().unwrap();
    assert_eq!(g.len(), 2);
    assert!(g.contains(&t(
        "https://pod.example/awa#me",
        NAME,
        Literal::from("Awa D.")
    )));
    assert!(store.contains_document(doc.as_ref()).unwrap());
    assert_eq!(store.len().unwrap(), 2);
    assert!(store.remove_document(doc.as_ref()).unwrap());
    assert!(store.get_document(doc.as_ref()).unwrap().is_none());
    assert!(!store.remove_document(doc.as_ref()).unwrap());
    assert!(store.is_empty().unwrap());
    assert_eq!(store.check_consistency().unwrap(), 0);
}

#[test]
fn an_empty_document_exists() {
    let store = QuadStore::temporary().unwrap();
    let doc = iri("https://pod.example/empty");
    store.put_document(doc.as_ref(), vec![]).unwrap();
    assert!(store.contains_document(doc.as_ref()).unwrap());
    assert_eq!(store.get_document(doc.as_ref()).unwrap().unwrap().len(), 0);
    let docs: Vec<_> = store.documents().collect::<Result<_, _>>().unwrap();
    assert_eq!(docs.len(), 1);
}

#[test]
fn blank_nodes_are_scoped_to_their_document() {
    let store = QuadStore::temporary().unwrap();
    let b = BlankNode::new("b0").unwrap();
    for doc in ["https://a.example/doc", "https://b.example/doc"] {
        store
            .put_document(
                NamedNodeRef::new(doc).unwrap(),
                vec![Triple::new(b.clone(), iri(NAME), Literal::from(doc))],
            )
            .unwrap();
    }
    let subjects: std::collections::HashSet<_> = store
        .quads_for_pattern(None, Some(&iri(NAME).into()), None, None)
        .unwrap()
        .into_iter()
        .map(|q| q.subject)
        .collect();
    assert_eq!(subjects.len(), 2, "two documents' _:b0 must be two nodes");
    // Putting the same document again keeps the same node: the diff is empty.
    let again = store
        .put_document(
            NamedNodeRef::new("https://a.example/doc").unwrap(),
            vec![Triple::new(
                b.clone(),
                iri(NAME),
                Literal::from("https://a.example/doc"),
            )],
        )
        .unwrap();
    assert_eq!((again.inserted, again.removed), (0, 0));
}

#[test]
fn a_transaction_spans_documents_and_keyspaces() {
    let store = QuadStore::temporary().unwrap();
    store
        .transaction(|tx| {
            tx.put_document(
                NamedNodeRef::new("https://pod.example/outbox/1").unwrap(),
                vec![t(
                    "https://pod.example/outbox/1",
                    NAME,
                    Literal::from("Join"),
                )],
            )?;
            tx.put_document(
                NamedNodeRef::new("https://pod.example/outbox/2").unwrap(),
                vec![t(
                    "https://pod.example/outbox/2",
                    NAME,
                    Literal::from("Offer"),
                )],
            )?;
            tx.keyspace_insert("delivery", b"0001", b"https://cod.example/inbox");
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert_eq!(store.len().unwrap(), 2);
    let queue = store.keyspace("delivery");
    assert_eq!(
        queue.get(b"0001").unwrap().as_deref(),
        Some(&b"https://cod.example/inbox"[..])
    );
    assert_eq!(queue.scan_prefix(b"").count(), 1);
    // Another keyspace does not see it.
    assert_eq!(store.keyspace("deliver").scan_prefix(b"").count(), 0);
}

#[derive(Debug)]
struct Refused;
impl From<StoreError> for Refused {
    fn from(_: StoreError) -> Self {
        Refused
    }
}

#[test]
fn a_failed_transaction_writes_nothing() {
    let store = QuadStore::temporary().unwrap();
    let result = store.transaction(|tx| {
        tx.put_document(
            NamedNodeRef::new("https://pod.example/doc").unwrap(),
            vec![t("https://pod.example/doc", NAME, Literal::from("x"))],
        )?;
        tx.keyspace_insert("delivery", b"k", b"v");
        Err::<(), _>(Refused)
    });
    assert!(result.is_err());
    assert!(store.is_empty().unwrap());
    assert!(
        !store
            .contains_document(NamedNodeRef::new("https://pod.example/doc").unwrap())
            .unwrap()
    );
    assert_eq!(store.keyspace("delivery").get(b"k").unwrap(), None);
    // Ids allocated by the aborted transaction leave no dangling dictionary entry.
    assert_eq!(store.check_consistency().unwrap(), 0);
}

#[test]
fn patterns_with_every_combination_of_bound_positions() {
    let store = QuadStore::temporary().unwrap();
    let mut all = Vec::new();
    for g in 0..3 {
        let graph = iri(&format!("https://ex.example/g{g}"));
        let mut triples = Vec::new();
        for s in 0..3 {
            for p in 0..2 {
                for o in 0..2 {
                    let tr = t(
                        &format!("https://ex.example/s{s}"),
                        &format!("https://ex.example/p{p}"),
                        iri(&format!("https://ex.example/o{o}")),
                    );
                    all.push(tr.clone().in_graph(graph.clone()));
                    triples.push(tr);
                }
            }
        }
        store.put_document(graph.as_ref(), triples).unwrap();
    }
    let default_quad = Quad::new(
        iri("https://ex.example/s0"),
        iri("https://ex.example/p0"),
        iri("https://ex.example/o0"),
        GraphName::DefaultGraph,
    );
    store
        .transaction(|tx| tx.insert(&default_quad).map(|_| ()))
        .unwrap();
    all.push(default_quad);
    let s: Term = iri("https://ex.example/s1").into();
    let p: Term = iri("https://ex.example/p0").into();
    let o: Term = iri("https://ex.example/o1").into();
    let g = iri("https://ex.example/g2");
    for mask in 0..16u8 {
        let bs = (mask & 1 != 0).then_some(&s);
        let bp = (mask & 2 != 0).then_some(&p);
        let bo = (mask & 4 != 0).then_some(&o);
        let bg = (mask & 8 != 0).then_some(GraphNameRef::NamedNode(g.as_ref()));
        let mut got = store.quads_for_pattern(bs, bp, bo, bg).unwrap();
        let mut expected: Vec<Quad> = all
            .iter()
            .filter(|q| {
                bs.is_none_or(|s| &Term::from(q.subject.clone()) == s)
                    && bp.is_none_or(|p| &Term::from(q.predicate.clone()) == p)
                    && bo.is_none_or(|o| &q.object == o)
                    && bg.is_none_or(|g| q.graph_name.as_ref() == g)
            })
            .cloned()
            .collect();
        got.sort_by_key(|q| q.to_string());
        expected.sort_by_key(|q| q.to_string());
        assert_eq!(got, expected, "pattern mask {mask:04b}");
    }
    let in_default = store
        .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
        .unwrap();
    assert_eq!(in_default.len(), 1);
    assert_eq!(store.check_consistency().unwrap(), all.len());
}

#[test]
fn a_store_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = QuadStore::open(dir.path(), &StoreOptions::default()).unwrap();
        store
            .put_document(
                NamedNodeRef::new("https://pod.example/a").unwrap(),
                vec![t("https://pod.example/a", NAME, Literal::from("A"))],
            )
            .unwrap();
        store.flush().unwrap();
    }
    let store = QuadStore::open(dir.path(), &StoreOptions::default()).unwrap();
    // New terms after reopening get fresh ids, never reusing one.
    store
        .put_document(
            NamedNodeRef::new("https://pod.example/b").unwrap(),
            vec![t("https://pod.example/b", NAME, Literal::from("B"))],
        )
        .unwrap();
    assert_eq!(
        store
            .get_document(NamedNodeRef::new("https://pod.example/a").unwrap())
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .get_document(NamedNodeRef::new("https://pod.example/b").unwrap())
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.check_consistency().unwrap(), 2);
}

#[test]
fn put_replaces_what_the_same_transaction_wrote_before() {
    let store = QuadStore::temporary().unwrap();
    let doc = iri("https://pod.example/new-in-tx");
    store
        .transaction(|tx| {
            tx.insert(
                &t(
                    "https://pod.example/new-in-tx#a",
                    NAME,
                    Literal::from("first"),
                )
                .in_graph(doc.clone()),
            )?;
            tx.put_document(
                doc.as_ref(),
                vec![t(
                    "https://pod.example/new-in-tx#b",
                    NAME,
                    Literal::from("second"),
                )],
            )?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let g = store.get_document(doc.as_ref()).unwrap().unwrap();
    assert_eq!(g.len(), 1, "{g}");
    assert!(g.contains(&t(
        "https://pod.example/new-in-tx#b",
        NAME,
        Literal::from("second")
    )));
    assert_eq!(store.check_consistency().unwrap(), 1);
    // Two puts of the same new document in one transaction: the second wins.
    let other = iri("https://pod.example/twice");
    store
        .transaction(|tx| {
            tx.put_document(
                other.as_ref(),
                vec![t("https://pod.example/twice#x", NAME, Literal::from("1"))],
            )?;
            tx.put_document(
                other.as_ref(),
                vec![t("https://pod.example/twice#x", NAME, Literal::from("2"))],
            )?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let g = store.get_document(other.as_ref()).unwrap().unwrap();
    assert_eq!(g.len(), 1);
    assert!(g.contains(&t("https://pod.example/twice#x", NAME, Literal::from("2"))));
    assert_eq!(store.check_consistency().unwrap(), 2);
}

#[test]
fn bulk_load_gives_what_put_document_gives() {
    let doc = |i: usize, v: &str| -> (NamedNode, Vec<Triple>) {
        let g = iri(&format!("https://pod.example/bulk{i}"));
        let b = BlankNode::new("addr").unwrap();
        (
            g.clone(),
            vec![
                t(g.as_str(), NAME, Literal::from(v)),
                t(g.as_str(), KNOWS, iri("https://pod.example/bulk0")),
                Triple::new(b.clone(), iri(NAME), Literal::from(format!("{v} street"))),
                Triple::new(g.clone(), iri("https://ex.example/address"), b),
            ],
        )
    };
    let bulk = QuadStore::temporary().unwrap();
    let reference = QuadStore::temporary().unwrap();
    // An existing document, written before the bulk load.
    for store in [&bulk, &reference] {
        let (g, triples) = doc(1, "old");
        store.put_document(g.as_ref(), triples).unwrap();
    }
    let input: Vec<(NamedNode, Vec<Triple>)> = vec![
        doc(0, "a"),
        doc(1, "replaced"),
        doc(2, "b"),
        doc(2, "b twice, the second wins"),
        doc(3, "c"),
    ];
    let stats = bulk
        .bulk_load(input.clone().into_iter().map(Ok::<_, StoreError>))
        .unwrap();
    assert_eq!((stats.documents, stats.replaced), (3, 2));
    for (g, triples) in input {
        reference.put_document(g.as_ref(), triples).unwrap();
    }
    let mut a: Vec<String> = bulk
        .quads_for_pattern(None, None, None, None)
        .unwrap()
        .iter()
        .map(|q| q.to_string())
        .collect();
    let mut b: Vec<String> = reference
        .quads_for_pattern(None, None, None, None)
        .unwrap()
        .iter()
        .map(|q| q.to_string())
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(
        bulk.check_consistency().unwrap(),
        reference.check_consistency().unwrap()
    );
    // Writes after a bulk load allocate new ids that do not collide.
    bulk.put_document(
        NamedNodeRef::new("https://pod.example/after").unwrap(),
        vec![t("https://pod.example/after", NAME, Literal::from("after"))],
    )
    .unwrap();
    assert_eq!(
        bulk.get_document(NamedNodeRef::new("https://pod.example/after").unwrap())
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        bulk.get_document(NamedNodeRef::new("https://pod.example/bulk3").unwrap())
            .unwrap()
            .unwrap()
            .len(),
        4
    );
    bulk.check_consistency().unwrap();
}

/// A key written several times in one transaction keeps the last value (a counter updated per
/// item, as collections do), and a removal after an insert wins.
#[test]
fn keyspace_key_written_twice_in_one_transaction_keeps_the_last_write() {
    let store = QuadStore::temporary().unwrap();
    store
        .transaction(|tx| -> Result<(), StoreError> {
            for i in 0u64..50 {
                tx.keyspace_insert("counts", b"c", &i.to_be_bytes());
            }
            tx.keyspace_insert("counts", b"gone", b"x");
            tx.keyspace_remove("counts", b"gone");
            Ok(())
        })
        .unwrap();
    let ks = store.keyspace("counts");
    assert_eq!(ks.get(b"c").unwrap().unwrap(), 49u64.to_be_bytes());
    assert!(ks.get(b"gone").unwrap().is_none());
}
