//! What the network keeps on disk: its public store, where every document is public (the
//! copies of what member places approved, with provenance, and the vocabulary), the entries
//! the index is rebuilt from, and the refusals listed for each place's admins.
//!
//! The public store is a store of its own so that the SPARQL endpoint, the dumps and the map
//! read everything in it with no access check, and nothing private can ever leak into them.

use crate::entry::Entry;
use crate::normalize::{Normalized, Refusal};
use kommon_rdf::{Keyspace, QuadStore, StoreError};
use kommon_vocab::ns;
use oxrdf::vocab::xsd;
use oxrdf::{Graph, Literal, NamedNode, Triple};
use serde::{Deserialize, Serialize};

const ENTRIES: &str = "network-entries";
const REFUSALS: &str = "network-refusals";

/// The graph that holds the vocabulary (ontology and skills) in the public store.
pub const VOCABULARY_GRAPH: &str = "https://w3id.org/kommon/ns";

/// A refusal kept for a place's admin page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRefusal {
    /// The member place whose listing was refused.
    pub place: String,
    /// The object refused.
    pub object: String,
    /// Why.
    pub reason: Refusal,
    /// When, in ms since the epoch.
    pub at_ms: u64,
}

/// The network's records. Cloning is cheap.
#[derive(Clone)]
pub struct NetworkRecords {
    store: QuadStore,
    entries: Keyspace,
    refusals: Keyspace,
}

fn prov(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}{local}", ns::PROV))
}

fn refusal_key(place: &str, object: &str) -> Vec<u8> {
    let mut k = place.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(object.as_bytes());
    k
}

impl NetworkRecords {
    /// The records kept in `store` (the network's public store).
    pub fn new(store: &QuadStore) -> Self {
        Self {
            store: store.clone(),
            entries: store.keyspace(ENTRIES),
            refusals: store.keyspace(REFUSALS),
        }
    }

    /// The public store.
    pub fn store(&self) -> &QuadStore {
        &self.store
    }

    /// Writes the vocabulary graph unless it is already the same.
    pub fn publish_vocabulary(&self, vocabulary: &Graph) -> Result<(), StoreError> {
        let name = NamedNode::new_unchecked(VOCABULARY_GRAPH);
        if self.store.get_document(name.as_ref())?.as_ref() == Some(vocabulary) {
            return Ok(());
        }
        self.store
            .put_document(name.as_ref(), vocabulary.iter().map(|t| t.into_owned()))?;
        Ok(())
    }

    /// Stores a validated document and its entry in one transaction, with its provenance:
    /// `prov:wasDerivedFrom` the place's document (`fetched_from`), `prov:generatedAtTime`,
    /// and, for a resident, `kommon:hosts` from each place that lists them. Clears the
    /// place's refusal of it, if any.
    pub fn put(&self, n: &Normalized, fetched_from: &str, now_ms: u64) -> Result<(), StoreError> {
        let id = NamedNode::new(&n.entry.id)
            .map_err(|_| StoreError::Invalid(format!("<{}> is not an IRI", n.entry.id)))?;
        let mut triples = n.triples.clone();
        if let Ok(from) = NamedNode::new(fetched_from)
            && from != id
        {
            triples.push(Triple::new(id.clone(), prov("wasDerivedFrom"), from));
        }
        triples.push(Triple::new(
            id.clone(),
            prov("generatedAtTime"),
            Literal::new_typed_literal(kommon_xsd_datetime(now_ms), xsd::DATE_TIME),
        ));
        let hosts = NamedNode::new_unchecked(format!("{}hosts", ns::KOMMON));
        if n.entry.kind == crate::entry::Kind::Resident {
            for p in &n.entry.places {
                if let Ok(place) = NamedNode::new(p) {
                    triples.push(Triple::new(place, hosts.clone(), id.clone()));
                }
            }
        }
        let mut entry = n.entry.clone();
        entry.updated_ms = now_ms;
        let json = serde_json::to_vec(&entry)
            .map_err(|e| StoreError::Invalid(format!("entry not serialisable: {e}")))?;
        let places = entry.places.clone();
        self.store.transaction(|tx| -> Result<(), StoreError> {
            tx.put_document(id.as_ref(), triples.iter().cloned())?;
            tx.keyspace_insert(ENTRIES, entry.id.as_bytes(), &json);
            for p in &places {
                tx.keyspace_remove(REFUSALS, &refusal_key(p, &entry.id));
            }
            Ok(())
        })
    }

    /// Stores many documents and their entries in one transaction (imports): each as
    /// [`NetworkRecords::put`] would, with the document itself as its source.
    pub fn put_many(&self, docs: &[Normalized], now_ms: u64) -> Result<(), StoreError> {
        let hosts = NamedNode::new_unchecked(format!("{}hosts", ns::KOMMON));
        let generated = Literal::new_typed_literal(kommon_xsd_datetime(now_ms), xsd::DATE_TIME);
        self.store.transaction(|tx| -> Result<(), StoreError> {
            for n in docs {
                let Ok(id) = NamedNode::new(&n.entry.id) else {
                    continue;
                };
                let mut triples = n.triples.clone();
                triples.push(Triple::new(
                    id.clone(),
                    prov("generatedAtTime"),
                    generated.clone(),
                ));
                if n.entry.kind == crate::entry::Kind::Resident {
                    for p in &n.entry.places {
                        if let Ok(place) = NamedNode::new(p) {
                            triples.push(Triple::new(place, hosts.clone(), id.clone()));
                        }
                    }
                }
                let mut entry = n.entry.clone();
                entry.updated_ms = now_ms;
                let json = serde_json::to_vec(&entry)
                    .map_err(|e| StoreError::Invalid(format!("entry not serialisable: {e}")))?;
                tx.put_document(id.as_ref(), triples)?;
                tx.keyspace_insert(ENTRIES, entry.id.as_bytes(), &json);
            }
            Ok(())
        })
    }

    /// Removes a document and its entry; `true` when it was there.
    pub fn remove(&self, id: &str) -> Result<bool, StoreError> {
        let Ok(name) = NamedNode::new(id) else {
            return Ok(false);
        };
        self.store.transaction(|tx| -> Result<bool, StoreError> {
            let existed = tx.keyspace_get(ENTRIES, id.as_bytes())?.is_some();
            tx.remove_document(name.as_ref())?;
            tx.keyspace_remove(ENTRIES, id.as_bytes());
            Ok(existed)
        })
    }

    /// The stored entry `id`.
    pub fn entry(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        Ok(self
            .entries
            .get(id.as_bytes())?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Every stored entry (to rebuild the index at start).
    pub fn entries(&self) -> impl Iterator<Item = Result<Entry, StoreError>> + use<> {
        self.entries.scan_prefix(b"").filter_map(|r| match r {
            Ok((_, v)) => serde_json::from_slice(&v).ok().map(Ok),
            Err(e) => Some(Err(e)),
        })
    }

    /// Remembers that `place`'s `object` was refused, and why.
    pub fn refuse(
        &self,
        place: &str,
        object: &str,
        reason: &Refusal,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let r = RecordedRefusal {
            place: place.to_owned(),
            object: object.to_owned(),
            reason: reason.clone(),
            at_ms: now_ms,
        };
        let json = serde_json::to_vec(&r)
            .map_err(|e| StoreError::Invalid(format!("refusal not serialisable: {e}")))?;
        self.refusals.insert(&refusal_key(place, object), &json)
    }

    /// Forgets a refusal (the object was withdrawn).
    pub fn forget_refusal(&self, place: &str, object: &str) -> Result<(), StoreError> {
        self.refusals
            .remove(&refusal_key(place, object))
            .map(|_| ())
    }

    /// The refusals of `place`'s listings, newest first.
    pub fn refusals(&self, place: &str) -> Result<Vec<RecordedRefusal>, StoreError> {
        let mut prefix = place.as_bytes().to_vec();
        prefix.push(0);
        let mut out: Vec<RecordedRefusal> = self
            .refusals
            .scan_prefix(&prefix)
            .filter_map(|r| r.ok())
            .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.at_ms));
        Ok(out)
    }

    /// Every refusal, for the network's admins.
    pub fn all_refusals(&self) -> Vec<RecordedRefusal> {
        self.refusals
            .scan_prefix(b"")
            .filter_map(|r| r.ok())
            .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
            .collect()
    }
}

/// `xsd:dateTime` in UTC of ms since the epoch.
pub fn kommon_xsd_datetime(ms: u64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms as i64)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
