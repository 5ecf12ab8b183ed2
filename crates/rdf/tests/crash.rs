//! Crash consistency: a child process writes documents (and a keyspace entry with each, in the
//! same transaction) and is killed with SIGKILL at random moments, over and over. After each
//! restart every document must be wholly old or wholly new, its keyspace entry must agree with
//! it, and the six indexes must agree with each other.

use kommon_rdf::model::{Literal, NamedNode, Triple};
use kommon_rdf::{QuadStore, StoreError, StoreOptions};
use std::process::{Command, Stdio};
use std::time::Duration;

const DOCS: u64 = 12;
const TRIPLES_PER_DOC: u64 = 25;
const CHILD_ENV: &str = "KOMMON_CRASH_CHILD_DIR";

fn doc_iri(k: u64) -> NamedNode {
    NamedNode::new_unchecked(format!("https://pod.example/doc{k}"))
}

fn options() -> StoreOptions {
    StoreOptions {
        cache_capacity: 16 * 1024 * 1024,
        ..StoreOptions::default()
    }
}

/// The writer: runs only when the parent starts this binary with the child variable set.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = QuadStore::open(&dir, &options()).unwrap();
    let mut generation: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    loop {
        generation += 1;
        let k = generation % DOCS;
        let doc = doc_iri(k);
        let gen_literal = Literal::from(generation.to_string());
        let triples: Vec<Triple> = (0..TRIPLES_PER_DOC)
            .map(|i| {
                Triple::new(
                    NamedNode::new_unchecked(format!("{}#t{i}", doc.as_str())),
                    NamedNode::new_unchecked("https://ex.example/generation"),
                    gen_literal.clone(),
                )
            })
            .collect();
        store
            .transaction(|tx| {
                tx.put_document(doc.as_ref(), triples)?;
                tx.keyspace_insert(
                    "generations",
                    &k.to_be_bytes(),
                    generation.to_string().as_bytes(),
                );
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
}

fn check(dir: &std::path::Path) -> usize {
    let store = QuadStore::open(dir, &options()).expect("the store must reopen after a crash");
    store.check_consistency().expect("indexes must agree");
    let keyspace = store.keyspace("generations");
    let mut present = 0;
    for k in 0..DOCS {
        let doc = store.get_document(doc_iri(k).as_ref()).unwrap();
        let recorded = keyspace
            .get(&k.to_be_bytes())
            .unwrap()
            .map(|v| String::from_utf8(v).unwrap());
        match doc {
            None => assert!(
                recorded.is_none(),
                "doc{k}: keyspace entry without document"
            ),
            Some(g) => {
                present += 1;
                assert_eq!(g.len() as u64, TRIPLES_PER_DOC, "doc{k} is partly written");
                let gens: std::collections::HashSet<String> = g
                    .iter()
                    .map(|t| match t.object {
                        kommon_rdf::model::TermRef::Literal(l) => l.value().to_owned(),
                        _ => panic!("unexpected object"),
                    })
                    .collect();
                assert_eq!(gens.len(), 1, "doc{k} mixes generations {gens:?}");
                assert_eq!(
                    recorded.as_ref(),
                    gens.iter().next(),
                    "doc{k} and its keyspace entry disagree"
                );
            }
        }
    }
    present
}

#[test]
fn documents_survive_sigkill_wholly_old_or_wholly_new() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let rounds: u32 = std::env::var("KOMMON_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    // A small deterministic generator for the kill delays (no extra dependency).
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut max_present = 0;
    for round in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(20 + seed % 120);
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        // SIGKILL: no destructor, no flush, no chance to finish a write.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child exited on its own"
        );
        max_present = max_present.max(check(dir.path()));
    }
    assert!(max_present > 0, "the child never got to write a document");
}

const BULK_CHILD_ENV: &str = "KOMMON_CRASH_BULK_CHILD_DIR";
const BULK_DOCS: u64 = 20;

/// The bulk writer: loads batches of new documents with `bulk_load`, forever.
#[test]
fn crash_bulk_child() {
    let Ok(dir) = std::env::var(BULK_CHILD_ENV) else {
        return;
    };
    let store = QuadStore::open(&dir, &options()).unwrap();
    let mut generation: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    loop {
        generation += 1;
        let docs: Vec<Result<(NamedNode, Vec<Triple>), StoreError>> = (0..BULK_DOCS)
            .map(|i| {
                let doc =
                    NamedNode::new_unchecked(format!("https://pod.example/bulk/{generation}/{i}"));
                let triples = (0..TRIPLES_PER_DOC)
                    .map(|t| {
                        Triple::new(
                            NamedNode::new_unchecked(format!("{}#t{t}", doc.as_str())),
                            NamedNode::new_unchecked("https://ex.example/batch"),
                            Literal::from(generation.to_string()),
                        )
                    })
                    .collect();
                Ok((doc, triples))
            })
            .collect();
        store.bulk_load(docs).unwrap();
    }
}

#[test]
fn bulk_loads_survive_sigkill_all_or_nothing() {
    if std::env::var(CHILD_ENV).is_ok() || std::env::var(BULK_CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let rounds: u32 = std::env::var("KOMMON_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        / 10;
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut batches_seen = 0;
    for round in 0..rounds.max(8) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_bulk_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(BULK_CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(40 + seed % 160));
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        assert!(
            !child.wait().unwrap().success(),
            "round {round}: the child exited on its own"
        );
        let store = QuadStore::open(dir.path(), &options()).expect("the store must reopen");
        store.check_consistency().expect("indexes must agree");
        let mut per_batch: std::collections::HashMap<String, u64> =
            std::collections::HashMap::new();
        for quad in store
            .quads_for_pattern(
                None,
                Some(&NamedNode::new_unchecked("https://ex.example/batch").into()),
                None,
                None,
            )
            .unwrap()
        {
            if let kommon_rdf::model::Term::Literal(l) = &quad.object {
                *per_batch.entry(l.value().to_owned()).or_default() += 1;
            }
        }
        for (batch, n) in &per_batch {
            assert_eq!(
                *n,
                BULK_DOCS * TRIPLES_PER_DOC,
                "batch {batch} is partly loaded"
            );
        }
        batches_seen = batches_seen.max(per_batch.len());
        drop(store);
    }
    assert!(batches_seen > 0, "the child never completed a bulk load");
}
