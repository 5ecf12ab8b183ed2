//! Kommon's Linked Data store.
//!
//! Every document Kommon keeps (a WebID, an LDP resource, an activity, a collection, the copy of
//! a remote object) is a named graph whose name is its URL, in one [`QuadStore`] per server.
//! The store is dictionary-encoded on fjall with six quad indexes, so any triple or quad pattern
//! is a single prefix scan; writing a document replaces its graph atomically, and a
//! [`Transaction`] can also carry other components' entries (a delivery queue) in the same
//! atomic write. SPARQL 1.1 Query runs through spareval (Oxigraph's evaluator) over the same
//! indexes, restricted to the graphs a requester may read ([`ReadableGraphs`]); SPARQL 1.1
//! Update is applied atomically per request. [`codec`] reads and writes Turtle, TriG,
//! N-Triples, N-Quads and JSON-LD, with bundled JSON-LD contexts only.
//!
//! This crate knows nothing of HTTP: the SPARQL protocol lives in `kommon-sparql-protocol`.
//!
//! Why fjall: a pure-Rust LSM tree with ordered keys, prefix scans, atomic batches and
//! snapshots, which is all the layout needs; it builds without a C toolchain, and measured
//! several times faster and smaller than sled on our data (see `docs/store.md`). Why spareval: it is the
//! SPARQL engine of Oxigraph, passes the W3C suites, and evaluates over any store that can
//! answer quad patterns.

#![warn(missing_docs)]

pub mod backup;
pub mod codec;
mod complexity;
mod dataset;
mod encoding;
mod error;
pub mod jsonld;
mod sparql;
mod store;

pub use dataset::{DatasetView, InternalTerm};
pub use error::StoreError;
pub use sparql::{
    Loader, QueryOptions, QueryOutcome, ReadableGraphs, SparqlError, UpdateOptions, UpdateSummary,
    parse_query, parse_update,
};
pub use store::{BulkLoadStats, DocumentChange, Keyspace, QuadStore, StoreOptions, Transaction};

/// The RDF model types (terms, triples, quads, graphs), re-exported so that users of the store
/// name the same types.
pub use oxrdf as model;
/// The SPARQL algebra, re-exported for callers that inspect a parsed query (its form, its dataset).
pub use spargebra;
