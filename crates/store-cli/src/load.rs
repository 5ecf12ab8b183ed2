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
    let parser = oxttl::NQuadsParser::new().for_reader(BufReader::with_capacity(1 << 20, file));
    let mut stats = LoadStats {
        quads: 0,
        documents: 0,
    };
    let mut batch: Vec<(NamedNode, Vec<Triple>)> = Vec::new();
    let mut current: Option<(NamedNode, Vec<Triple>)> = None;
    for quad in parser {
        let quad = quad.with_context(|| format!("reading {}", path.display()))?;
        stats.quads += 1;
        let GraphName::NamedNode(graph) = quad.graph_name else {
            anyhow::bail!(
                "line {}: a quad in the default graph; every document needs a name",
                stats.quads
            );
        };
        let triple = Triple::new(quad.subject, quad.predicate, quad.object);
        match &mut current {
            Some((g, triples)) if *g == graph => triples.push(triple),
            _ => {
                if let Some(done) = current.take() {
                    batch.push(done);
                    if batch.len() >= DOCUMENTS_PER_TRANSACTION {
                        stats.documents += write(store, &mut batch)?;
                    }
                }
                current = Some((graph, vec![triple]));
            }
        }
    }
    if let Some(done) = current.take() {
        batch.push(done);
    }
    stats.documents += write(store, &mut batch)?;
    Ok(stats)
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
