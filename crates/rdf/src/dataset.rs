//! The store seen by the SPARQL evaluator: spareval's `QueryableDataset` over the indexes,
//! restricted to the graphs a requester may read, and over the pending changes of a transaction
//! while a SPARQL Update runs.

use crate::encoding::{DEFAULT_GRAPH_ID, encode_term, read_id, term_hash};
use crate::error::StoreError;
use crate::store::{GRAPHS, PendingChanges, Reader};
use oxrdf::Term;
use spareval::{InternalQuad, QueryableDataset};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// A term as the evaluator handles it: an 8-byte id. Below [`FRESH_BASE`] it is the id of a term
/// of the store's dictionary; from it up, the id of a term the store has never seen (a query
/// constant, a computed value), numbered for the duration of one query. A term always gets the
/// same id within a query, so equality of ids is RDF term equality, and the evaluator's hash
/// joins work on plain integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InternalTerm(u64);

/// The first id of terms that are not in the store.
const FRESH_BASE: u64 = 1 << 63;

#[derive(Default)]
struct FreshTerms {
    ids: HashMap<Term, u64>,
    terms: Vec<Term>,
}

/// A read view of the store for one query.
#[derive(Clone)]
pub struct DatasetView<'a> {
    reader: Reader,
    fresh: Rc<RefCell<FreshTerms>>,
    pending: Option<&'a PendingChanges>,
    /// `None`: every graph is readable. Otherwise the ids of the readable graphs
    /// ([`DEFAULT_GRAPH_ID`] for the default graph).
    readable: Option<&'a HashSet<u64>>,
}

impl<'a> DatasetView<'a> {
    pub(crate) fn new(
        reader: Reader,
        pending: Option<&'a PendingChanges>,
        readable: Option<&'a HashSet<u64>>,
    ) -> Self {
        Self {
            reader,
            fresh: Rc::default(),
            pending,
            readable,
        }
    }

    fn is_readable(&self, gid: u64) -> bool {
        self.readable.is_none_or(|r| r.contains(&gid))
    }

    fn graph_exists(&self, gid: u64) -> Result<bool, StoreError> {
        if let Some(p) = self.pending
            && let Some(&created) = p.graphs.get(&gid)
        {
            return Ok(created);
        }
        self.reader.graph_exists(gid)
    }
}

fn id_of(term: Option<&InternalTerm>) -> Result<Option<u64>, ()> {
    match term {
        None => Ok(None),
        // A term the store has never seen matches nothing.
        Some(InternalTerm(id)) if *id >= FRESH_BASE => Err(()),
        Some(InternalTerm(id)) => Ok(Some(*id)),
    }
}

type QuadResult = Result<InternalQuad<InternalTerm>, StoreError>;

fn to_internal(q: [u64; 4]) -> InternalQuad<InternalTerm> {
    InternalQuad {
        subject: InternalTerm(q[0]),
        predicate: InternalTerm(q[1]),
        object: InternalTerm(q[2]),
        graph_name: if q[3] == DEFAULT_GRAPH_ID {
            None
        } else {
            Some(InternalTerm(q[3]))
        },
    }
}

impl<'a> QueryableDataset<'a> for DatasetView<'a> {
    type InternalTerm = InternalTerm;
    type Error = StoreError;

    fn internal_quads_for_pattern(
        &self,
        subject: Option<&InternalTerm>,
        predicate: Option<&InternalTerm>,
        object: Option<&InternalTerm>,
        graph_name: Option<Option<&InternalTerm>>,
    ) -> impl Iterator<Item = QuadResult> + use<'a> {
        let mut bound = [None; 4];
        let mut any_named = false;
        let ids = (|| -> Result<(), ()> {
            bound[0] = id_of(subject)?;
            bound[1] = id_of(predicate)?;
            bound[2] = id_of(object)?;
            match graph_name {
                None => any_named = true,
                Some(None) => bound[3] = Some(DEFAULT_GRAPH_ID),
                Some(Some(g)) => bound[3] = id_of(Some(g))?,
            }
            Ok(())
        })();
        let nothing: Box<dyn Iterator<Item = QuadResult> + 'a> = Box::new(std::iter::empty());
        if ids.is_err() {
            return nothing;
        }
        if let Some(g) = bound[3]
            && !self.is_readable(g)
        {
            return nothing;
        }
        let view = self.clone();
        let committed = self.reader.scan_ids(bound).filter_map(move |q| match q {
            Err(e) => Some(Err(e)),
            Ok(q) => {
                if (any_named && q[3] == DEFAULT_GRAPH_ID) || !view.is_readable(q[3]) {
                    return None;
                }
                if let Some(p) = view.pending
                    && p.quads.get(&q) == Some(&false)
                {
                    return None;
                }
                Some(Ok(to_internal(q)))
            }
        });
        match self.pending {
            Some(p) if !p.quads.is_empty() => {
                let added: Vec<QuadResult> = p
                    .quads
                    .iter()
                    .filter(|(q, inserted)| {
                        **inserted
                            && bound
                                .iter()
                                .zip(q.iter())
                                .all(|(b, id)| b.is_none_or(|b| b == *id))
                            && !(any_named && q[3] == DEFAULT_GRAPH_ID)
                            && self.is_readable(q[3])
                    })
                    .filter_map(|(q, _)| match self.reader.contains_quad(q) {
                        Ok(true) => None,
                        Ok(false) => Some(Ok(to_internal(*q))),
                        Err(e) => Some(Err(e)),
                    })
                    .collect();
                Box::new(committed.chain(added))
            }
            _ => Box::new(committed),
        }
    }

    fn internal_named_graphs(
        &self,
    ) -> impl Iterator<Item = Result<InternalTerm, StoreError>> + use<'a> {
        let view = self.clone();
        let mut out: Vec<Result<InternalTerm, StoreError>> = Vec::new();
        for entry in self.reader.prefix([GRAPHS]) {
            match entry
                .key()
                .map_err(StoreError::from)
                .and_then(|k| Ok(read_id(&k[1..])?.0))
            {
                Ok(gid) => {
                    if view.is_readable(gid) && view.graph_exists(gid).unwrap_or(false) {
                        out.push(Ok(InternalTerm(gid)));
                    }
                }
                Err(e) => out.push(Err(e)),
            }
        }
        if let Some(p) = self.pending {
            for (&gid, &created) in &p.graphs {
                if created
                    && view.is_readable(gid)
                    && !self.reader.graph_exists(gid).unwrap_or(true)
                {
                    out.push(Ok(InternalTerm(gid)));
                }
            }
        }
        out.into_iter()
    }

    fn contains_internal_graph_name(&self, graph_name: &InternalTerm) -> Result<bool, StoreError> {
        match graph_name {
            InternalTerm(gid) if *gid >= FRESH_BASE => Ok(false),
            InternalTerm(gid) => Ok(self.is_readable(*gid) && self.graph_exists(*gid)?),
        }
    }

    fn internalize_term(&self, term: Term) -> Result<InternalTerm, StoreError> {
        let mut buf = Vec::with_capacity(64);
        encode_term(&term, &mut buf);
        if let Some(p) = self.pending
            && let Some(&id) = p.new_terms.get(&term_hash(&buf))
        {
            return Ok(InternalTerm(id));
        }
        if let Some(id) = self.reader.lookup_encoded(&buf)? {
            return Ok(InternalTerm(id));
        }
        let mut fresh = self.fresh.borrow_mut();
        if let Some(&id) = fresh.ids.get(&term) {
            return Ok(InternalTerm(id));
        }
        let id = FRESH_BASE + fresh.terms.len() as u64;
        fresh.terms.push(term.clone());
        fresh.ids.insert(term, id);
        Ok(InternalTerm(id))
    }

    fn externalize_term(&self, term: InternalTerm) -> Result<Term, StoreError> {
        let InternalTerm(id) = term;
        if id >= FRESH_BASE {
            let index = (id - FRESH_BASE) as usize;
            return self
                .fresh
                .borrow()
                .terms
                .get(index)
                .cloned()
                .ok_or_else(|| StoreError::Corrupted(format!("unknown query-local term {index}")));
        }
        if let Some(p) = self.pending
            && let Some(t) = p.new_term_values.get(&id)
        {
            return Ok(t.clone());
        }
        self.reader.term(id)
    }
}
