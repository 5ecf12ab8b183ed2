//! Loading N-Quads into the store, one document per named graph.

use anyhow::{Context, Result};
use kommon_rdf::model::{GraphName, NamedNode, Triple};
use kommon_rdf::{QuadStore, StoreError};
use std::io::BufReader;
use std::path::Path;

/// What a load wrote.
pub struct LoadStats {
    /// Quads read.
    pub quads: u64,
    /// Documents written.
    pub documents: u64,
}

/// Documents per transaction: large enough that sled's batch overhead vanishes, small enough
/// to keep memory flat.
const DOCUMENTS_PER_TRANSACTION: usize = 2000;

/// Loads an N-Quads file whose quads are grouped by graph; each graph replaces the document of
/// that name, atomically per batch of documents. Default-graph quads are refused.
pub fn load_nquads(store: &QuadStore, path: &Path) -> Result<LoadStats> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    // Parsing and writing overlap: one thread reads the file into batches of documents while
    // this one writes them, which keeps both cores busy on a two-core machine.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<(NamedNode, Vec<Triple>)>>(4);
    let display = path.display().to_string();
    let parser = std::thread::Builder::new()
        .name("nquads-parser".into())
        .spawn(move || -> Result<u64> {
            let parser =
                oxttl::NQuadsParser::new().for_reader(BufReader::with_capacity(1 << 20, file));
            let mut quads = 0u64;
            let mut batch: Vec<(NamedNode, Vec<Triple>)> = Vec::new();
            let mut current: Option<(NamedNode, Vec<Triple>)> = None;
            for quad in parser {
                let quad = quad.with_context(|| format!("reading {display}"))?;
                quads += 1;
                let GraphName::NamedNode(graph) = quad.graph_name else {
                    anyhow::bail!(
                        "line {quads}: a quad in the default graph; every document needs a name"
                    );
                };
                let triple = Triple::new(quad.subject, quad.predicate, quad.object);
                match &mut current {
                    Some((g, triples)) if *g == graph => triples.push(triple),
                    _ => {
                        if let Some(done) = current.take() {
                            batch.push(done);
                            if batch.len() >= DOCUMENTS_PER_TRANSACTION
                                && sender.send(std::mem::take(&mut batch)).is_err()
                            {
                                // The writer stopped on an error; it reports it.
                                return Ok(quads);
                            }
                        }
                        current = Some((graph, vec![triple]));
                    }
                }
            }
            if let Some(done) = current.take() {
                batch.push(done);
            }
            if !batch.is_empty() {
                let _ = sender.send(batch);
            }
            Ok(quads)
        })
        .context("starting the parser thread")?;
    let mut documents = 0;
    let mut write_error = None;
    for mut batch in receiver {
        match write(store, &mut batch) {
            Ok(n) => documents += n,
            Err(e) => {
                write_error = Some(e);
                break;
            }
        }
    }
    let quads = parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parser thread panicked"))??;
    if let Some(e) = write_error {
        return Err(e);
    }
    Ok(LoadStats { quads, documents })
}

fn write(store: &QuadStore, batch: &mut Vec<(NamedNode, Vec<Triple>)>) -> Result<u64> {
    let n = batch.len() as u64;
    store.transaction(|tx| {
        for (graph, triples) in batch.drain(..) {
            tx.put_document(graph.as_ref(), triples)?;
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(n)
}

/// Loads an N-Quads file with [`QuadStore::bulk_load`]: parsing on one thread, dictionary and
/// sorting on this one, the result handed to the storage engine as ready-made tables.
pub fn bulk_load_nquads(store: &QuadStore, path: &Path) -> Result<LoadStats> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let (sender, receiver) =
        std::sync::mpsc::sync_channel::<Result<Vec<(NamedNode, Vec<Triple>)>, String>>(8);
    let parser = std::thread::Builder::new()
        .name("nquads-parser".into())
        .spawn(move || {
            let parser =
                oxttl::NQuadsParser::new().for_reader(BufReader::with_capacity(1 << 20, file));
            let mut line = 0u64;
            let mut batch: Vec<(NamedNode, Vec<Triple>)> = Vec::new();
            let mut current: Option<(NamedNode, Vec<Triple>)> = None;
            for quad in parser {
                line += 1;
                let quad = match quad {
                    Ok(q) => q,
                    Err(e) => {
                        let _ = sender.send(Err(e.to_string()));
                        return;
                    }
                };
                let GraphName::NamedNode(graph) = quad.graph_name else {
                    let _ = sender.send(Err(format!(
                        "line {line}: a quad in the default graph; every document needs a name"
                    )));
                    return;
                };
                let triple = Triple::new(quad.subject, quad.predicate, quad.object);
                match &mut current {
                    Some((g, triples)) if *g == graph => triples.push(triple),
                    _ => {
                        if let Some(done) = current.take() {
                            batch.push(done);
                            if batch.len() >= 1000
                                && sender.send(Ok(std::mem::take(&mut batch))).is_err()
                            {
                                return;
                            }
                        }
                        current = Some((graph, vec![triple]));
                    }
                }
            }
            if let Some(done) = current.take() {
                batch.push(done);
            }
            let _ = sender.send(Ok(batch));
        })
        .context("starting the parser thread")?;
    let documents = receiver.into_iter().flat_map(|chunk| match chunk {
        Ok(docs) => docs.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(e) => vec![Err(LoadError(e))],
    });
    let stats = store
        .bulk_load(documents)
        .map_err(|e| anyhow::anyhow!("{}", e.0))?;
    parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parser thread panicked"))?;
    Ok(LoadStats {
        quads: stats.quads,
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
