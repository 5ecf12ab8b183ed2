//! Loading N-Quads into the store, one document per named graph.

use anyhow::{Context, Result};
use kommon_rdf::model::{GraphName, NamedNode, Triple};
use kommon_rdf::{QuadStore, StoreError};
use std::io::BufReader;
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;

/// What a load wrote.
pub struct LoadStats {
    /// Quads read.
    pub quads: u64,
    /// Documents written.
    pub documents: u64,
}

/// A document: its name and its triples.
type Document = (NamedNode, Vec<Triple>);

/// Batches of documents from the parser thread, or the first error it met.
type Batches = Receiver<Result<Vec<Document>, String>>;

/// Documents per transaction: large enough that the per-commit cost vanishes, small enough to
/// keep memory flat.
const DOCUMENTS_PER_TRANSACTION: usize = 2000;

/// Reads an N-Quads file whose quads are grouped by graph on a thread of its own, sending
/// batches of documents, or the first error, while the caller writes the previous batch: both
/// cores stay busy. The thread returns the number of quads read.
fn spawn_parser(path: &Path, batch_size: usize) -> Result<(Batches, JoinHandle<u64>)> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let display = path.display().to_string();
    let (sender, receiver) = std::sync::mpsc::sync_channel(4);
    let handle = std::thread::Builder::new()
        .name("nquads-parser".into())
        .spawn(move || {
            let parser =
                oxttl::NQuadsParser::new().for_reader(BufReader::with_capacity(1 << 20, file));
            let mut quads = 0u64;
            let mut batch: Vec<Document> = Vec::new();
            let mut current: Option<Document> = None;
            for quad in parser {
                quads += 1;
                let quad = match quad {
                    Ok(q) => q,
                    Err(e) => {
                        let _ = sender.send(Err(format!("reading {display}: {e}")));
                        return quads;
                    }
                };
                let GraphName::NamedNode(graph) = quad.graph_name else {
                    let _ = sender.send(Err(format!(
                        "{display}, line {quads}: a quad in the default graph; every document needs a name"
                    )));
                    return quads;
                };
                let triple = Triple::new(quad.subject, quad.predicate, quad.object);
                match &mut current {
                    Some((g, triples)) if *g == graph => triples.push(triple),
                    _ => {
                        if let Some(done) = current.take() {
                            batch.push(done);
                            // A closed channel means the writer stopped on an error it reports.
                            if batch.len() >= batch_size
                                && sender.send(Ok(std::mem::take(&mut batch))).is_err()
                            {
                                return quads;
                            }
                        }
                        current = Some((graph, vec![triple]));
                    }
                }
            }
            batch.extend(current.take());
            let _ = sender.send(Ok(batch));
            quads
        })
        .context("starting the parser thread")?;
    Ok((receiver, handle))
}

/// Loads an N-Quads file whose quads are grouped by graph; each graph replaces the document of
/// that name, atomically per batch of documents. Default-graph quads are refused.
pub fn load_nquads(store: &QuadStore, path: &Path) -> Result<LoadStats> {
    let (receiver, parser) = spawn_parser(path, DOCUMENTS_PER_TRANSACTION)?;
    let mut documents = 0;
    for batch in receiver {
        let batch = batch.map_err(anyhow::Error::msg)?;
        documents += batch.len() as u64;
        store.transaction(|tx| {
            for (graph, triples) in batch {
                tx.put_document(graph.as_ref(), triples)?;
            }
            Ok::<_, StoreError>(())
        })?;
    }
    let quads = parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parser thread panicked"))?;
    Ok(LoadStats { quads, documents })
}

/// Loads an N-Quads file with [`QuadStore::bulk_load`]: parsing on one thread, dictionary and
/// sorting on this one, the result handed to the storage engine as ready-made tables.
pub fn bulk_load_nquads(store: &QuadStore, path: &Path) -> Result<LoadStats> {
    let (receiver, parser) = spawn_parser(path, 1000)?;
    let documents = receiver.into_iter().flat_map(|batch| match batch {
        Ok(docs) => docs.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(e) => vec![Err(LoadError(e))],
    });
    let stats = store
        .bulk_load(documents)
        .map_err(|e| anyhow::anyhow!("{}", e.0))?;
    let quads = parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parser thread panicked"))?;
    Ok(LoadStats {
        quads,
        documents: stats.documents + stats.replaced,
    })
}

/// An error of the bulk loader's input or of the store, as text for the command line.
struct LoadError(String);

impl From<StoreError> for LoadError {
    fn from(e: StoreError) -> Self {
        LoadError(e.to_string())
    }
}
