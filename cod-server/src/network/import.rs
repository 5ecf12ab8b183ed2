//! `cod-server network-import FILE.nq`: fills a network's public store from N-Quads where each
//! document is a named graph (a network's own dump from `/donnees/public.nq`, or a national
//! data set), for a restore or a first load, without going through federation.
//!
//! Residencies (`pair:membershipActor` → `pair:membershipOrganization`) say which places list
//! each resident; events and projects belong to their `location` or `organizer`. By default each
//! document is validated with the shapes and refused ones are counted; `--trusted` skips the
//! shapes (a restore of what the network had already validated).

use super::NetworkSite;
use anyhow::{Context, Result};
use kommon_network::{Kind, Normalized};
use oxrdf::{GraphName, NamedOrBlankNode, Quad, Term, Triple};
use std::collections::HashMap;
use std::io::BufReader;
use std::path::Path;

const PAIR: &str = "http://virtual-assembly.org/ontologies/pair#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Documents read.
    pub documents: u64,
    /// Entries stored, per kind.
    pub stored: HashMap<&'static str, u64>,
    /// Documents the shapes refused.
    pub refused: u64,
    /// Documents that are no entry (residencies, vocabularies, unknown types).
    pub skipped: u64,
    /// Residencies read.
    pub residencies: u64,
}

/// Calls `f` with each document of an N-Quads file: its graph name and triples, in file order
/// (a document is a run of quads of one graph).
fn for_each_document(
    path: &Path,
    mut f: impl FnMut(String, Vec<Triple>) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let parser = oxttl::NQuadsParser::new().for_reader(BufReader::with_capacity(1 << 20, file));
    let mut current: Option<String> = None;
    let mut triples: Vec<Triple> = Vec::new();
    for q in parser {
        let Quad {
            subject,
            predicate,
            object,
            graph_name,
        } = q.with_context(|| format!("reading {}", path.display()))?;
        let GraphName::NamedNode(g) = graph_name else {
            continue;
        };
        if current.as_deref() != Some(g.as_str()) {
            if let Some(done) = current.take() {
                f(done, std::mem::take(&mut triples))?;
            }
            current = Some(g.into_string());
        }
        triples.push(Triple::new(subject, predicate, object));
    }
    if let Some(done) = current {
        f(done, triples)?;
    }
    Ok(())
}

fn iri_of(t: &Term) -> Option<&str> {
    match t {
        Term::NamedNode(n) => Some(n.as_str()),
        _ => None,
    }
}

/// Imports `path` into the network's public store.
pub fn import_nquads(net: &NetworkSite, path: &Path, trusted: bool) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    // First pass: who is resident where.
    let mut residencies: HashMap<String, Vec<String>> = HashMap::new();
    for_each_document(path, |_, triples| {
        let actor = triples
            .iter()
            .find(|t| t.predicate.as_str() == format!("{PAIR}membershipActor"))
            .and_then(|t| iri_of(&t.object));
        let org = triples
            .iter()
            .find(|t| t.predicate.as_str() == format!("{PAIR}membershipOrganization"))
            .and_then(|t| iri_of(&t.object));
        if let (Some(a), Some(o)) = (actor, org) {
            let places = residencies.entry(a.to_owned()).or_default();
            if !places.iter().any(|p| p == o) {
                places.push(o.to_owned());
            }
            report.residencies += 1;
        }
        Ok(())
    })?;
    let now = kommon_activitypub::delivery::now_ms();
    let mut batch: Vec<Normalized> = Vec::with_capacity(1000);
    let flush = |batch: &mut Vec<Normalized>| -> Result<()> {
        if !batch.is_empty() {
            net.records.put_many(batch, now)?;
            batch.clear();
        }
        Ok(())
    };
    for_each_document(path, |id, triples| {
        report.documents += 1;
        let subject = NamedOrBlankNode::NamedNode(oxrdf::NamedNode::new_unchecked(id.clone()));
        let types: Vec<&str> = triples
            .iter()
            .filter(|t| t.subject == subject && t.predicate.as_str() == RDF_TYPE)
            .filter_map(|t| iri_of(&t.object))
            .collect();
        let Some(kind) = net.normalizer.kind_of_types(types.iter().copied()) else {
            report.skipped += 1;
            return Ok(());
        };
        let linked = |p: &str| {
            triples
                .iter()
                .filter(|t| t.subject == subject && t.predicate.as_str() == p)
                .find_map(|t| iri_of(&t.object).map(str::to_owned))
        };
        let places: Vec<String> = match kind {
            Kind::Resident => residencies.get(&id).cloned().unwrap_or_default(),
            Kind::Place => Vec::new(),
            _ => linked("http://schema.org/location")
                .or_else(|| linked("http://schema.org/organizer"))
                .or_else(|| linked(&format!("{PAIR}hasLocation")))
                .into_iter()
                .collect(),
        };
        let read = if trusted {
            net.normalizer.read_trusted(&id, triples, kind)
        } else {
            net.normalizer.triples(&id, triples, kind)
        };
        match read {
            Ok(mut n) => {
                n.entry.places = places;
                *report.stored.entry(kind.as_str()).or_default() += 1;
                batch.push(n);
                if batch.len() >= 1000 {
                    flush(&mut batch)?;
                }
            }
            Err(why) => {
                report.refused += 1;
                if report.refused <= 10 {
                    tracing::warn!(document = %id, reason = %why, "refused");
                }
            }
        }
        Ok(())
    })?;
    flush(&mut batch)?;
    Ok(report)
}
