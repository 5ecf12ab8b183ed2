//! The quad store: a term dictionary and six quad indexes in one fjall keyspace, one named graph
//! per document.
//!
//! Everything lives in a single keyspace, each kind of entry under its own leading byte. A
//! document, the dictionary entries for its new terms and any entries of other components (a
//! delivery queue, an inbox log) go into one fjall write batch, which fjall applies atomically
//! and recovers atomically after a crash. Writers are serialised by one mutex, which keeps id
//! allocation and the diff of a replaced document exact; readers never take it and read from a
//! snapshot, so a query or a document read sees every write wholly or not at all.

use crate::encoding::{
    DEFAULT_GRAPH_ID, decode_term, encode_term, read_four_ids, read_id, term_hash, write_id,
};
use crate::error::StoreError;
use fjall::Readable;
use oxrdf::{
    BlankNode, Graph, GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Quad,
    Term, Triple,
};
use parking_lot::{Mutex, MutexGuard};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) const HASH_TO_ID: u8 = 0x01;
pub(crate) const ID_TO_TERM: u8 = 0x02;
pub(crate) const GRAPHS: u8 = 0x20;
const META: u8 = 0x30;
const KEYSPACE: u8 = 0x40;

const FORMAT_KEY: &[u8] = &[META, b'f'];
const FORMAT_VERSION: &[u8] = b"kommon-store-2";

/// One of the six quad indexes: the order in which it lays out subject (0), predicate (1),
/// object (2) and graph (3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    pub tag: u8,
    pub order: [usize; 4],
}

pub(crate) const SPOG: Index = Index {
    tag: 0x10,
    order: [0, 1, 2, 3],
};
pub(crate) const POSG: Index = Index {
    tag: 0x11,
    order: [1, 2, 0, 3],
};
pub(crate) const OSPG: Index = Index {
    tag: 0x12,
    order: [2, 0, 1, 3],
};
pub(crate) const GSPO: Index = Index {
    tag: 0x13,
    order: [3, 0, 1, 2],
};
pub(crate) const GPOS: Index = Index {
    tag: 0x14,
    order: [3, 1, 2, 0],
};
pub(crate) const GOSP: Index = Index {
    tag: 0x15,
    order: [3, 2, 0, 1],
};
pub(crate) const ALL_INDEXES: [Index; 6] = [SPOG, POSG, OSPG, GSPO, GPOS, GOSP];

impl Index {
    /// The index whose key starts with exactly the bound positions, so a pattern is one prefix scan.
    pub(crate) fn for_pattern(bound: [bool; 4]) -> Index {
        match bound {
            [_, _, _, false] => match (bound[0], bound[1], bound[2]) {
                (true, _, false) | (true, true, true) | (false, false, false) => SPOG,
                (false, true, _) => POSG,
                (_, false, true) => OSPG,
            },
            [s, p, o, true] => match (s, p, o) {
                (false, false, false) | (true, false, false) | (true, true, false) => GSPO,
                (false, true, _) => GPOS,
                (_, false, true) => GOSP,
                (true, true, true) => GSPO,
            },
        }
    }

    pub(crate) fn key(&self, quad: &[u64; 4], out: &mut Vec<u8>) {
        out.clear();
        out.push(self.tag);
        for &pos in &self.order {
            write_id(out, quad[pos]);
        }
    }

    /// Decodes a key of this index back into (s, p, o, g) order.
    pub(crate) fn decode(&self, key: &[u8]) -> Result<[u64; 4], StoreError> {
        let ids = read_four_ids(key.get(1..).unwrap_or_default())?;
        let mut quad = [0u64; 4];
        for (i, &pos) in self.order.iter().enumerate() {
            quad[pos] = ids[i];
        }
        Ok(quad)
    }
}

/// Tuning of a store; the defaults suit a laptop and the tests.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Bytes of fjall's block cache. With the write buffers, keeps resident memory bounded.
    pub cache_capacity: u64,
    /// Bytes of the memtable kept before it is flushed to disk.
    pub write_buffer_bytes: u64,
    /// Terms kept decoded in memory (each way: id to term, term to id).
    pub term_cache_entries: usize,
    /// Whether every commit waits for `fdatasync`. Without it a commit reaches the operating
    /// system before returning, which survives the process being killed but not a power loss
    /// of the last moment; [`QuadStore::flush`] syncs on demand.
    pub sync_commits: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_capacity: 128 * 1024 * 1024,
            write_buffer_bytes: 64 * 1024 * 1024,
            term_cache_entries: 500_000,
            sync_commits: false,
        }
    }
}

/// What a write did to a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DocumentChange {
    /// Triples that were added.
    pub inserted: usize,
    /// Triples that were removed.
    pub removed: usize,
    /// Whether the document existed before the write.
    pub existed: bool,
}

/// A Linked Data store: one fjall database holding documents as named graphs.
///
/// Cloning is cheap and gives another handle on the same store.
#[derive(Clone)]
pub struct QuadStore {
    inner: Arc<StoreInner>,
}

pub(crate) struct StoreInner {
    db: fjall::Database,
    ks: fjall::Keyspace,
    writer: Mutex<()>,
    next_id: AtomicU64,
    sync_commits: bool,
    caches: Arc<TermCaches>,
}

/// In-memory caches of the dictionary. A term's id never changes once committed (ids are never
/// reused), so both mappings can be cached without invalidation, whatever snapshot reads them.
pub(crate) struct TermCaches {
    terms: quick_cache::sync::Cache<u64, Term>,
    ids: quick_cache::sync::Cache<[u8; 16], u64>,
}

/// Reads of the store, either of its latest state or of a snapshot; all lookups go through it.
#[derive(Clone)]
pub(crate) struct Reader {
    ks: fjall::Keyspace,
    snapshot: Option<fjall::Snapshot>,
    caches: Arc<TermCaches>,
}

/// The nice value of fjall's flush and compaction threads: they run on the CPU the requests leave
/// free, so that a compaction does not add its milliseconds to the answers being served (on two
/// cores it would otherwise take one of them from the server). Sustained saturation delays
/// compactions until fjall's own write stalls make room.
const BACKGROUND_NICENESS: i32 = 19;

impl QuadStore {
    /// Opens (or creates) a store in the folder `path`.
    pub fn open(path: impl AsRef<Path>, options: &StoreOptions) -> Result<Self, StoreError> {
        let builder = fjall::Database::builder(path.as_ref()).cache_size(options.cache_capacity);
        Self::from_builder(builder, options)
    }

    /// A store that lives in a temporary folder removed when the last handle is dropped.
    pub fn temporary() -> Result<Self, StoreError> {
        // A fresh, randomly named folder: a name built from the process id could meet a folder
        // left behind by an earlier process that had the same id and never dropped its store.
        let dir = tempfile::Builder::new()
            .prefix("kommon-store-")
            .tempdir()
            .map_err(fjall::Error::from)?
            .keep();
        let builder = fjall::Database::builder(&dir)
            .temporary(true)
            .cache_size(16 * 1024 * 1024);
        let options = StoreOptions {
            cache_capacity: 16 * 1024 * 1024,
            write_buffer_bytes: 8 * 1024 * 1024,
            term_cache_entries: 10_000,
            sync_commits: false,
        };
        Self::from_builder(builder, &options)
    }

    fn from_builder(
        builder: fjall::DatabaseBuilder<fjall::Database>,
        options: &StoreOptions,
    ) -> Result<Self, StoreError> {
        let db = builder.worker_niceness(BACKGROUND_NICENESS).open()?;
        let memtable_bytes = options.write_buffer_bytes.max(1024 * 1024);
        let ks = db.keyspace("store", move || {
            fjall::KeyspaceCreateOptions::default().max_memtable_size(memtable_bytes)
        })?;
        match ks.get(FORMAT_KEY)? {
            Some(v) if v.as_ref() == FORMAT_VERSION => {}
            Some(v) => {
                return Err(StoreError::Corrupted(format!(
                    "this folder holds a store of format {:?}, expected {:?}",
                    String::from_utf8_lossy(&v),
                    String::from_utf8_lossy(FORMAT_VERSION)
                )));
            }
            None => {
                ks.insert(FORMAT_KEY, FORMAT_VERSION)?;
            }
        }
        let next_id = match ks.prefix([ID_TO_TERM]).next_back() {
            Some(entry) => {
                let k = entry.key()?;
                read_id(&k[1..])?.0 + 1
            }
            None => 1,
        };
        Ok(Self {
            inner: Arc::new(StoreInner {
                db,
                ks,
                writer: Mutex::new(()),
                next_id: AtomicU64::new(next_id.max(1)),
                sync_commits: options.sync_commits,
                caches: Arc::new(TermCaches {
                    terms: quick_cache::sync::Cache::new(options.term_cache_entries.max(16)),
                    ids: quick_cache::sync::Cache::new(options.term_cache_entries.max(16)),
                }),
            }),
        })
    }

    pub(crate) fn inner(&self) -> &StoreInner {
        &self.inner
    }

    /// Runs `f` inside one write transaction: everything it writes is applied atomically when it
    /// returns `Ok`, and nothing is applied when it returns `Err`.
    pub fn transaction<T, E>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let guard = self.inner.writer.lock();
        let mut tx = Transaction {
            store: self,
            reader: self.inner.live(),
            _guard: guard,
            pending: PendingChanges::default(),
            keyspace_writes: Vec::new(),
        };
        let value = f(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Replaces the document `graph` with `triples`, atomically. Blank nodes are scoped to the
    /// document, so two documents' `_:b0` never meet.
    pub fn put_document(
        &self,
        graph: NamedNodeRef<'_>,
        triples: impl IntoIterator<Item = Triple>,
    ) -> Result<DocumentChange, StoreError> {
        self.transaction(|tx| tx.put_document(graph, triples))
    }

    /// Removes a document; returns whether it existed.
    pub fn remove_document(&self, graph: NamedNodeRef<'_>) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.remove_document(graph))
    }

    /// Reads a whole document, or `None` if there is no such document.
    pub fn get_document(&self, graph: NamedNodeRef<'_>) -> Result<Option<Graph>, StoreError> {
        // One snapshot for the whole read: the document is wholly old or wholly new.
        let reader = self.inner.snapshot();
        let Some(gid) = reader.lookup(&Term::NamedNode(graph.into_owned()))? else {
            return Ok(None);
        };
        if !reader.graph_exists(gid)? {
            return Ok(None);
        }
        let mut out = Graph::new();
        for quad in reader.scan_ids([None, None, None, Some(gid)]) {
            let [s, p, o, _] = quad?;
            out.insert(&Triple::new(
                reader.subject(s)?,
                reader.named_node(p)?,
                reader.term(o)?,
            ));
        }
        Ok(Some(out))
    }

    /// Whether a document (a named graph, possibly empty) exists.
    pub fn contains_document(&self, graph: NamedNodeRef<'_>) -> Result<bool, StoreError> {
        let reader = self.inner.live();
        match reader.lookup(&Term::NamedNode(graph.into_owned()))? {
            Some(gid) => reader.graph_exists(gid),
            None => Ok(false),
        }
    }

    /// The names of all documents, in no particular order.
    pub fn documents(&self) -> impl Iterator<Item = Result<NamedOrBlankNode, StoreError>> + '_ {
        let reader = self.inner.snapshot();
        self.inner.ks.prefix([GRAPHS]).map(move |entry| {
            let k = entry.key()?;
            let (gid, _) = read_id(&k[1..])?;
            match reader.term(gid)? {
                Term::NamedNode(n) => Ok(n.into()),
                Term::BlankNode(b) => Ok(b.into()),
                Term::Literal(_) => Err(StoreError::Corrupted("a literal names a graph".into())),
            }
        })
    }

    /// All quads matching a pattern, `None` meaning any; for the graph, `Some(GraphNameRef::DefaultGraph)`
    /// is the default graph and `None` any graph including it.
    pub fn quads_for_pattern(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
        graph: Option<GraphNameRef<'_>>,
    ) -> Result<Vec<Quad>, StoreError> {
        let mut bound = [None; 4];
        for (slot, term) in bound.iter_mut().zip([subject, predicate, object]) {
            if let Some(term) = term {
                match self.lookup(term)? {
                    Some(id) => *slot = Some(id),
                    None => return Ok(Vec::new()),
                }
            }
        }
        match graph {
            Some(GraphNameRef::DefaultGraph) => bound[3] = Some(DEFAULT_GRAPH_ID),
            Some(GraphNameRef::NamedNode(n)) => match self.lookup(&n.into_owned().into())? {
                Some(id) => bound[3] = Some(id),
                None => return Ok(Vec::new()),
            },
            Some(GraphNameRef::BlankNode(b)) => match self.lookup(&b.into_owned().into())? {
                Some(id) => bound[3] = Some(id),
                None => return Ok(Vec::new()),
            },
            None => {}
        }
        let reader = self.inner.snapshot();
        reader.scan_ids(bound).map(|q| reader.quad(q?)).collect()
    }

    /// Number of quads in the store (a full scan: for tests and tools, not request paths).
    pub fn len(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for entry in self.inner.ks.prefix([SPOG.tag]) {
            entry.key()?;
            n += 1;
        }
        Ok(n)
    }

    /// Whether the store holds no quad.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        match self.inner.ks.prefix([SPOG.tag]).next() {
            Some(entry) => {
                entry.key()?;
                Ok(false)
            }
            None => Ok(true),
        }
    }

    /// Writes everything to disk (`fsync`) before returning.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.persist(fjall::PersistMode::SyncAll)?;
        Ok(())
    }

    /// Compacts the store's files into as few as possible, so that scans read fewer of them.
    /// Worth running after a bulk load; background compaction does the same work gradually.
    pub fn optimize(&self) -> Result<(), StoreError> {
        self.inner.ks.major_compact()?;
        Ok(())
    }

    /// Waits until the store's background flushes and compactions are done (or `limit` passes),
    /// so that a benchmark or a backup does not measure or copy a store in motion.
    pub fn wait_for_background_work(&self, limit: std::time::Duration) {
        let start = std::time::Instant::now();
        while (self.inner.db.outstanding_flushes() > 0 || self.inner.db.active_compactions() > 0)
            && start.elapsed() < limit
        {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Number of on-disk tables, for tools that report on the store's shape.
    pub fn table_count(&self) -> usize {
        self.inner.ks.table_count()
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.disk_space()?)
    }

    /// Writes raw entries (a restore), in batches; the caller reopens the store to serve it.
    pub(crate) fn raw_load(&self, entries: &[(&[u8], &[u8])]) -> Result<(), StoreError> {
        let _guard = self.inner.writer.lock();
        for chunk in entries.chunks(10_000) {
            let mut batch = self.inner.db.batch();
            for (k, v) in chunk {
                batch.insert(&self.inner.ks, *k, *v);
            }
            batch.commit()?;
        }
        Ok(())
    }

    /// A named keyspace for another component's own entries (a queue, a log), written atomically
    /// with documents through [`Transaction::keyspace_insert`].
    pub fn keyspace(&self, name: &str) -> Keyspace {
        Keyspace {
            ks: self.inner.ks.clone(),
            prefix: keyspace_prefix(name),
        }
    }

    /// The id of a term if the dictionary knows it.
    pub(crate) fn lookup(&self, term: &Term) -> Result<Option<u64>, StoreError> {
        self.inner.live().lookup(term)
    }

    /// Checks that every index holds the same quads and every id resolves to a term: the
    /// invariant a crash must never break.
    pub fn check_consistency(&self) -> Result<usize, StoreError> {
        let reader = self.inner.snapshot();
        let mut reference: Option<HashSet<[u64; 4]>> = None;
        for index in ALL_INDEXES {
            let mut set = HashSet::new();
            for entry in reader.prefix([index.tag]) {
                let k = entry.key()?;
                set.insert(index.decode(&k)?);
            }
            match &reference {
                None => reference = Some(set),
                Some(r) => {
                    if r != &set {
                        return Err(StoreError::Corrupted(format!(
                            "index {:#x} disagrees with the subject index ({} vs {} quads)",
                            index.tag,
                            set.len(),
                            r.len()
                        )));
                    }
                }
            }
        }
        let quads = reference.unwrap_or_default();
        for q in &quads {
            for &id in q {
                if id != DEFAULT_GRAPH_ID {
                    reader.term(id)?;
                }
            }
            if q[3] != DEFAULT_GRAPH_ID && !reader.graph_exists(q[3])? {
                return Err(StoreError::Corrupted(format!(
                    "graph {} holds quads but is not registered",
                    q[3]
                )));
            }
        }
        Ok(quads.len())
    }
}

impl StoreInner {
    /// Reads of the latest committed state (what a writer, holding the lock, builds on).
    pub(crate) fn live(&self) -> Reader {
        Reader {
            ks: self.ks.clone(),
            snapshot: None,
            caches: self.caches.clone(),
        }
    }

    /// Reads of one consistent moment, for queries and document reads.
    pub(crate) fn snapshot(&self) -> Reader {
        Reader {
            ks: self.ks.clone(),
            snapshot: Some(self.db.snapshot()),
            caches: self.caches.clone(),
        }
    }
}

impl Reader {
    fn get(&self, key: &[u8]) -> Result<Option<fjall::Slice>, StoreError> {
        Ok(match &self.snapshot {
            Some(s) => s.get(&self.ks, key)?,
            None => self.ks.get(key)?,
        })
    }

    fn contains_key(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(match &self.snapshot {
            Some(s) => s.contains_key(&self.ks, key)?,
            None => self.ks.contains_key(key)?,
        })
    }

    pub(crate) fn prefix(&self, prefix: impl AsRef<[u8]>) -> fjall::Iter {
        match &self.snapshot {
            Some(s) => s.prefix(&self.ks, prefix),
            None => self.ks.prefix(prefix),
        }
    }

    pub(crate) fn lookup(&self, term: &Term) -> Result<Option<u64>, StoreError> {
        let mut buf = Vec::with_capacity(64);
        encode_term(term, &mut buf);
        self.lookup_encoded(&buf)
    }

    pub(crate) fn lookup_encoded(&self, encoded: &[u8]) -> Result<Option<u64>, StoreError> {
        let hash = term_hash(encoded);
        if let Some(id) = self.caches.ids.get(&hash) {
            return Ok(Some(id));
        }
        let mut key = [0u8; 17];
        key[0] = HASH_TO_ID;
        key[1..].copy_from_slice(&hash);
        match self.get(&key)? {
            Some(v) => {
                let id = read_id(&v)?.0;
                self.caches.ids.insert(hash, id);
                Ok(Some(id))
            }
            None => Ok(None),
        }
    }

    pub(crate) fn term(&self, id: u64) -> Result<Term, StoreError> {
        if let Some(t) = self.caches.terms.get(&id) {
            return Ok(t);
        }
        let mut key = Vec::with_capacity(10);
        key.push(ID_TO_TERM);
        write_id(&mut key, id);
        match self.get(&key)? {
            Some(v) => {
                let term = decode_term(&v)?;
                self.caches.terms.insert(id, term.clone());
                Ok(term)
            }
            None => Err(StoreError::Corrupted(format!("unknown term id {id}"))),
        }
    }

    fn subject(&self, id: u64) -> Result<NamedOrBlankNode, StoreError> {
        match self.term(id)? {
            Term::NamedNode(n) => Ok(n.into()),
            Term::BlankNode(b) => Ok(b.into()),
            Term::Literal(_) => Err(StoreError::Corrupted("a literal as subject".into())),
        }
    }

    fn named_node(&self, id: u64) -> Result<NamedNode, StoreError> {
        match self.term(id)? {
            Term::NamedNode(n) => Ok(n),
            _ => Err(StoreError::Corrupted(
                "a predicate that is not an IRI".into(),
            )),
        }
    }

    fn graph_name(&self, id: u64) -> Result<GraphName, StoreError> {
        if id == DEFAULT_GRAPH_ID {
            return Ok(GraphName::DefaultGraph);
        }
        match self.term(id)? {
            Term::NamedNode(n) => Ok(n.into()),
            Term::BlankNode(b) => Ok(b.into()),
            Term::Literal(_) => Err(StoreError::Corrupted("a literal names a graph".into())),
        }
    }

    pub(crate) fn quad(&self, ids: [u64; 4]) -> Result<Quad, StoreError> {
        Ok(Quad::new(
            self.subject(ids[0])?,
            self.named_node(ids[1])?,
            self.term(ids[2])?,
            self.graph_name(ids[3])?,
        ))
    }

    pub(crate) fn graph_exists(&self, gid: u64) -> Result<bool, StoreError> {
        if gid == DEFAULT_GRAPH_ID {
            return Ok(true);
        }
        let mut key = vec![GRAPHS];
        write_id(&mut key, gid);
        self.contains_key(&key)
    }

    pub(crate) fn contains_quad(&self, quad: &[u64; 4]) -> Result<bool, StoreError> {
        let mut key = Vec::with_capacity(40);
        SPOG.key(quad, &mut key);
        self.contains_key(&key)
    }

    /// Scans the quads matching the bound ids (in s, p, o, g order) with one prefix scan.
    pub(crate) fn scan_ids(
        &self,
        bound: [Option<u64>; 4],
    ) -> impl Iterator<Item = Result<[u64; 4], StoreError>> + use<> {
        let index = Index::for_pattern(bound.map(|b| b.is_some()));
        let mut prefix = vec![index.tag];
        for &pos in &index.order {
            match bound[pos] {
                Some(id) => write_id(&mut prefix, id),
                None => break,
            }
        }
        self.prefix(prefix).map(move |entry| {
            let k = entry.key()?;
            index.decode(&k)
        })
    }
}

/// Changes buffered by a transaction, in id space.
#[derive(Default)]
pub(crate) struct PendingChanges {
    /// `true` for an insertion, `false` for a removal.
    pub quads: HashMap<[u64; 4], bool>,
    /// Terms first seen in this transaction.
    pub new_terms: HashMap<[u8; 16], u64>,
    pub new_term_values: HashMap<u64, Term>,
    /// `true` when the graph is created, `false` when dropped.
    pub graphs: HashMap<u64, bool>,
    /// Graphs that have pending quad changes.
    pub touched_graphs: HashSet<u64>,
}

/// A write transaction: see [`QuadStore::transaction`].
pub struct Transaction<'s> {
    store: &'s QuadStore,
    pub(crate) reader: Reader,
    _guard: MutexGuard<'s, ()>,
    pub(crate) pending: PendingChanges,
    keyspace_writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl<'s> Transaction<'s> {
    /// The id of `term`, allocating one if the store has never seen it.
    pub(crate) fn intern(&mut self, term: &Term) -> Result<u64, StoreError> {
        let mut buf = Vec::with_capacity(64);
        encode_term(term, &mut buf);
        let hash = term_hash(&buf);
        if let Some(&id) = self.pending.new_terms.get(&hash) {
            return Ok(id);
        }
        if let Some(id) = self.reader.lookup_encoded(&buf)? {
            return Ok(id);
        }
        let id = self.store.inner.next_id.fetch_add(1, Ordering::SeqCst);
        self.pending.new_terms.insert(hash, id);
        self.pending.new_term_values.insert(id, term.clone());
        Ok(id)
    }

    /// The id of a term without allocating: `None` when neither the store nor this transaction
    /// has seen it.
    pub(crate) fn lookup(&self, term: &Term) -> Result<Option<u64>, StoreError> {
        let mut buf = Vec::with_capacity(64);
        encode_term(term, &mut buf);
        if let Some(&id) = self.pending.new_terms.get(&term_hash(&buf)) {
            return Ok(Some(id));
        }
        self.reader.lookup_encoded(&buf)
    }

    pub(crate) fn term(&self, id: u64) -> Result<Term, StoreError> {
        match self.pending.new_term_values.get(&id) {
            Some(t) => Ok(t.clone()),
            None => self.reader.term(id),
        }
    }

    fn graph_id(&mut self, graph: &GraphName) -> Result<u64, StoreError> {
        match graph {
            GraphName::DefaultGraph => Ok(DEFAULT_GRAPH_ID),
            GraphName::NamedNode(n) => self.intern(&n.clone().into()),
            GraphName::BlankNode(b) => self.intern(&b.clone().into()),
        }
    }

    /// Whether a named graph exists as seen from inside this transaction.
    pub(crate) fn graph_exists_id(&self, gid: u64) -> Result<bool, StoreError> {
        if let Some(&created) = self.pending.graphs.get(&gid) {
            return Ok(created);
        }
        self.reader.graph_exists(gid)
    }

    /// Whether a named graph exists as seen from inside this transaction.
    pub fn graph_exists(&self, graph: &GraphName) -> Result<bool, StoreError> {
        let gid = match graph {
            GraphName::DefaultGraph => return Ok(true),
            GraphName::NamedNode(n) => self.lookup(&n.clone().into())?,
            GraphName::BlankNode(b) => self.lookup(&b.clone().into())?,
        };
        match gid {
            Some(gid) => self.graph_exists_id(gid),
            None => Ok(false),
        }
    }

    /// Creates an empty named graph (no-op if it exists); returns whether it was created.
    pub fn create_graph(&mut self, graph: &GraphName) -> Result<bool, StoreError> {
        let gid = self.graph_id(graph)?;
        if gid == DEFAULT_GRAPH_ID || self.graph_exists_id(gid)? {
            return Ok(false);
        }
        self.pending.graphs.insert(gid, true);
        Ok(true)
    }

    /// The quads of a graph as seen from inside this transaction, in id space.
    pub(crate) fn graph_quads(&self, gid: u64) -> Result<Vec<[u64; 4]>, StoreError> {
        let mut out = Vec::new();
        for q in self.reader.scan_ids([None, None, None, Some(gid)]) {
            let q = q?;
            if self.pending.quads.get(&q) != Some(&false) {
                out.push(q);
            }
        }
        for (q, &inserted) in &self.pending.quads {
            if inserted && q[3] == gid && !self.reader.contains_quad(q)? {
                out.push(*q);
            }
        }
        Ok(out)
    }

    /// Inserts a quad (its blank nodes as given); returns whether it was new.
    pub fn insert(&mut self, quad: &Quad) -> Result<bool, StoreError> {
        let ids = [
            self.intern(&quad.subject.clone().into())?,
            self.intern(&quad.predicate.clone().into())?,
            self.intern(&quad.object)?,
            self.graph_id(&quad.graph_name)?,
        ];
        self.insert_ids(ids)
    }

    pub(crate) fn insert_ids(&mut self, ids: [u64; 4]) -> Result<bool, StoreError> {
        self.pending.touched_graphs.insert(ids[3]);
        if ids[3] != DEFAULT_GRAPH_ID && !self.graph_exists_id(ids[3])? {
            self.pending.graphs.insert(ids[3], true);
        }
        match self.pending.quads.get(&ids) {
            Some(true) => Ok(false),
            Some(false) => {
                self.pending.quads.remove(&ids);
                Ok(true)
            }
            None => {
                if self.reader.contains_quad(&ids)? {
                    Ok(false)
                } else {
                    self.pending.quads.insert(ids, true);
                    Ok(true)
                }
            }
        }
    }

    /// Removes a quad; returns whether it was there.
    pub fn remove(&mut self, quad: &Quad) -> Result<bool, StoreError> {
        let mut ids = [0u64; 4];
        let terms: [Term; 3] = [
            quad.subject.clone().into(),
            quad.predicate.clone().into(),
            quad.object.clone(),
        ];
        for (slot, term) in ids.iter_mut().zip(terms.iter()) {
            match self.lookup(term)? {
                Some(id) => *slot = id,
                None => return Ok(false),
            }
        }
        ids[3] = match &quad.graph_name {
            GraphName::DefaultGraph => DEFAULT_GRAPH_ID,
            GraphName::NamedNode(n) => match self.lookup(&n.clone().into())? {
                Some(id) => id,
                None => return Ok(false),
            },
            GraphName::BlankNode(b) => match self.lookup(&b.clone().into())? {
                Some(id) => id,
                None => return Ok(false),
            },
        };
        self.remove_ids(ids)
    }

    pub(crate) fn remove_ids(&mut self, ids: [u64; 4]) -> Result<bool, StoreError> {
        self.pending.touched_graphs.insert(ids[3]);
        match self.pending.quads.get(&ids) {
            Some(true) => {
                self.pending.quads.remove(&ids);
                Ok(true)
            }
            Some(false) => Ok(false),
            None => {
                if self.reader.contains_quad(&ids)? {
                    self.pending.quads.insert(ids, false);
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
        }
    }

    /// Removes every triple of a graph but keeps the graph; returns how many were removed.
    pub fn clear_graph(&mut self, graph: &GraphName) -> Result<usize, StoreError> {
        let gid = match graph {
            GraphName::DefaultGraph => DEFAULT_GRAPH_ID,
            GraphName::NamedNode(n) => match self.lookup(&n.clone().into())? {
                Some(id) => id,
                None => return Ok(0),
            },
            GraphName::BlankNode(b) => match self.lookup(&b.clone().into())? {
                Some(id) => id,
                None => return Ok(0),
            },
        };
        let quads = self.graph_quads(gid)?;
        let n = quads.len();
        for q in quads {
            self.remove_ids(q)?;
        }
        Ok(n)
    }

    /// Removes a graph and its triples; returns whether it existed.
    pub fn drop_graph(&mut self, graph: &GraphName) -> Result<bool, StoreError> {
        let existed = self.graph_exists(graph)?;
        self.clear_graph(graph)?;
        if let Some(gid) = match graph {
            GraphName::DefaultGraph => None,
            GraphName::NamedNode(n) => self.lookup(&n.clone().into())?,
            GraphName::BlankNode(b) => self.lookup(&b.clone().into())?,
        } && existed
        {
            self.pending.graphs.insert(gid, false);
        }
        Ok(existed)
    }

    /// The named graphs that exist as seen from inside this transaction.
    pub(crate) fn named_graph_ids(&self) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::new();
        for entry in self.reader.prefix([GRAPHS]) {
            let k = entry.key()?;
            let gid = read_id(&k[1..])?.0;
            if self.pending.graphs.get(&gid) != Some(&false) {
                out.push(gid);
            }
        }
        for (&gid, &created) in &self.pending.graphs {
            if created && !self.reader.graph_exists(gid)? {
                out.push(gid);
            }
        }
        Ok(out)
    }

    /// Replaces a document, scoping its blank nodes to it (see [`QuadStore::put_document`]).
    pub fn put_document(
        &mut self,
        graph: NamedNodeRef<'_>,
        triples: impl IntoIterator<Item = Triple>,
    ) -> Result<DocumentChange, StoreError> {
        let gid = self.intern(&graph.into_owned().into())?;
        // A graph whose name this transaction has just added to the dictionary can only exist
        // if this transaction created it: no read needed (this is most of a bulk load).
        let existed = if self.pending.new_term_values.contains_key(&gid) {
            self.pending.graphs.get(&gid) == Some(&true)
        } else {
            self.graph_exists_id(gid)?
        };
        let old: HashSet<[u64; 4]> = if existed {
            self.graph_quads(gid)?.into_iter().collect()
        } else {
            HashSet::new()
        };
        let scope = BlankNodeScope::new(graph.as_str());
        let mut new = HashSet::new();
        for triple in triples {
            let s = match triple.subject {
                NamedOrBlankNode::BlankNode(b) => Term::BlankNode(scope.scoped(&b)),
                other => other.into(),
            };
            let o = match triple.object {
                Term::BlankNode(b) => Term::BlankNode(scope.scoped(&b)),
                other => other,
            };
            let ids = [
                self.intern(&s)?,
                self.intern(&triple.predicate.into())?,
                self.intern(&o)?,
                gid,
            ];
            new.insert(ids);
        }
        let mut change = DocumentChange {
            existed,
            ..DocumentChange::default()
        };
        // With nothing else pending, `old` is exactly the committed graph: the diff can be written
        // without one existence check per quad, which is what makes loading fast.
        let fast = !self.pending.touched_graphs.contains(&gid);
        self.pending.touched_graphs.insert(gid);
        for q in old.difference(&new) {
            if fast {
                self.pending.quads.insert(*q, false);
            } else {
                self.remove_ids(*q)?;
            }
            change.removed += 1;
        }
        for q in new.difference(&old) {
            if fast {
                self.pending.quads.insert(*q, true);
            } else {
                self.insert_ids(*q)?;
            }
            change.inserted += 1;
        }
        if !existed {
            self.pending.graphs.insert(gid, true);
        }
        Ok(change)
    }

    /// Removes a document and its triples; returns whether it existed.
    pub fn remove_document(&mut self, graph: NamedNodeRef<'_>) -> Result<bool, StoreError> {
        self.drop_graph(&GraphName::NamedNode(graph.into_owned()))
    }

    /// Reads a whole document as this transaction sees it (its own writes included), or `None`
    /// when there is no such document. Read-modify-write (a PATCH) reads through this, under the
    /// writer lock, so no other write can slip in between.
    pub fn document(&self, graph: NamedNodeRef<'_>) -> Result<Option<Graph>, StoreError> {
        let Some(gid) = self.lookup(&Term::NamedNode(graph.into_owned()))? else {
            return Ok(None);
        };
        if !self.graph_exists_id(gid)? {
            return Ok(None);
        }
        let mut out = Graph::new();
        for [s, p, o, _] in self.graph_quads(gid)? {
            let subject = match self.term(s)? {
                Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
                Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
                Term::Literal(_) => {
                    return Err(StoreError::Corrupted("a literal is a subject".into()));
                }
            };
            let Term::NamedNode(predicate) = self.term(p)? else {
                return Err(StoreError::Corrupted("a predicate is not an IRI".into()));
            };
            out.insert(&Triple::new(subject, predicate, self.term(o)?));
        }
        Ok(Some(out))
    }

    /// The value under `key` in the keyspace `name`, as this transaction sees it.
    pub fn keyspace_get(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut k = keyspace_prefix(name);
        k.extend_from_slice(key);
        if let Some((_, v)) = self.keyspace_writes.iter().rev().find(|(wk, _)| *wk == k) {
            return Ok(v.clone());
        }
        Ok(self.store.inner.ks.get(k)?.map(|v| v.to_vec()))
    }

    /// Writes `value` under `key` in the keyspace `name`, with the rest of the transaction.
    pub fn keyspace_insert(&mut self, name: &str, key: &[u8], value: &[u8]) {
        let mut k = keyspace_prefix(name);
        k.extend_from_slice(key);
        self.keyspace_writes.push((k, Some(value.to_vec())));
    }

    /// Removes `key` from the keyspace `name`, with the rest of the transaction.
    pub fn keyspace_remove(&mut self, name: &str, key: &[u8]) {
        let mut k = keyspace_prefix(name);
        k.extend_from_slice(key);
        self.keyspace_writes.push((k, None));
    }

    fn commit(self) -> Result<(), StoreError> {
        let inner = &self.store.inner;
        let ks = &inner.ks;
        let writes = self.pending.new_terms.len() * 2
            + self.pending.quads.len() * ALL_INDEXES.len()
            + self.pending.graphs.len()
            + self.keyspace_writes.len();
        if writes == 0 {
            return Ok(());
        }
        let mut batch = inner.db.batch();
        if inner.sync_commits {
            batch = batch.durability(Some(fjall::PersistMode::SyncData));
        } else {
            // Into the operating system's buffers before returning: a killed process loses
            // nothing that was committed.
            batch = batch.durability(Some(fjall::PersistMode::Buffer));
        }
        // Entries go to the batch in key order: the memtable is a skip list, and sorted inserts
        // walk it with far better locality than the hash order of the pending maps.
        let mut entries: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(writes);
        for (hash, id) in &self.pending.new_terms {
            let mut k = Vec::with_capacity(17);
            k.push(HASH_TO_ID);
            k.extend_from_slice(hash);
            let mut v = Vec::with_capacity(9);
            write_id(&mut v, *id);
            entries.push((k, Some(v)));
            let mut k = Vec::with_capacity(10);
            k.push(ID_TO_TERM);
            write_id(&mut k, *id);
            let mut v = Vec::with_capacity(64);
            if let Some(term) = self.pending.new_term_values.get(id) {
                encode_term(term, &mut v);
            }
            entries.push((k, Some(v)));
        }
        for (quad, &inserted) in &self.pending.quads {
            for index in ALL_INDEXES {
                let mut k = Vec::with_capacity(37);
                index.key(quad, &mut k);
                entries.push((k, inserted.then(Vec::new)));
            }
        }
        for (&gid, &created) in &self.pending.graphs {
            let mut k = vec![GRAPHS];
            write_id(&mut k, gid);
            entries.push((k, created.then(Vec::new)));
        }
        // A key written twice in one transaction keeps its last value: one write per key, since a
        // batch gives all its entries the same sequence number and could apply either.
        let mut written = HashSet::new();
        let mut last_writes: Vec<_> = self
            .keyspace_writes
            .into_iter()
            .rev()
            .filter(|(k, _)| written.insert(k.clone()))
            .collect();
        last_writes.reverse();
        entries.extend(last_writes);
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (k, v) in entries {
            match v {
                Some(v) => batch.insert(ks, k, v),
                None => batch.remove(ks, k),
            }
        }
        batch.commit()?;
        // Committed: the new terms can be served from memory from now on.
        for (hash, id) in self.pending.new_terms {
            inner.caches.ids.insert(hash, id);
        }
        Ok(())
    }
}

fn keyspace_prefix(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 2);
    k.push(KEYSPACE);
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k
}

/// Renames blank nodes so they belong to one document: the same label in the same document
/// always gives the same node, and never the node of another document.
pub(crate) struct BlankNodeScope {
    key: (u64, u64),
}

impl BlankNodeScope {
    pub(crate) fn new(scope: &str) -> Self {
        let h = term_hash(scope.as_bytes());
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        a.copy_from_slice(&h[..8]);
        b.copy_from_slice(&h[8..]);
        Self {
            key: (u64::from_le_bytes(a), u64::from_le_bytes(b)),
        }
    }

    pub(crate) fn scoped(&self, node: &BlankNode) -> BlankNode {
        use siphasher::sip128::{Hasher128, SipHasher13};
        use std::hash::Hasher;
        let mut hasher = SipHasher13::new_with_keys(self.key.0, self.key.1);
        hasher.write(node.as_str().as_bytes());
        BlankNode::new_from_unique_id(hasher.finish128().as_u128())
    }
}

/// A named keyspace of another component, stored beside the documents (see [`QuadStore::keyspace`]).
#[derive(Clone)]
pub struct Keyspace {
    ks: fjall::Keyspace,
    prefix: Vec<u8>,
}

impl Keyspace {
    /// The value under `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        Ok(self.ks.get(k)?.map(|v| v.to_vec()))
    }

    /// Writes one entry on its own (atomic for that entry).
    pub fn insert(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        self.ks.insert(k, value)?;
        Ok(())
    }

    /// Removes one entry on its own; returns whether it existed.
    pub fn remove(&self, key: &[u8]) -> Result<bool, StoreError> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(key);
        let existed = self.ks.contains_key(&k)?;
        self.ks.remove(k)?;
        Ok(existed)
    }

    /// The entries with `start <= key < end`, in key order, keys without the keyspace prefix
    /// (reverse the iterator for the newest first when keys are sequence numbers).
    pub fn scan_range(
        &self,
        start: &[u8],
        end: &[u8],
    ) -> impl DoubleEndedIterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + use<> {
        let mut a = self.prefix.clone();
        a.extend_from_slice(start);
        let mut b = self.prefix.clone();
        b.extend_from_slice(end);
        let skip = self.prefix.len();
        self.ks.range(a..b).map(move |entry| {
            let (k, v) = entry.into_inner()?;
            Ok((k[skip..].to_vec(), v.to_vec()))
        })
    }

    /// The entries whose key starts with `prefix`, in key order, keys without the keyspace prefix.
    pub fn scan_prefix(
        &self,
        prefix: &[u8],
    ) -> impl DoubleEndedIterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + use<> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(prefix);
        let skip = self.prefix.len();
        self.ks.prefix(k).map(move |entry| {
            let (k, v) = entry.into_inner()?;
            Ok((k[skip..].to_vec(), v.to_vec()))
        })
    }
}

/// What a bulk load wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BulkLoadStats {
    /// Documents written by the bulk path.
    pub documents: u64,
    /// Quads written by the bulk path.
    pub quads: u64,
    /// Documents that already existed, replaced through ordinary transactions afterwards.
    pub replaced: u64,
}

impl QuadStore {
    /// Loads many new documents at once, much faster than one transaction per batch: the index
    /// entries are sorted in memory and handed to the storage engine as ready-made tables, which
    /// it registers atomically at the end (a crash before that leaves the store as it was).
    /// Documents that already exist are replaced afterwards through ordinary transactions, so
    /// the result is always that of `put_document` on each. Memory grows with the load (about
    /// 100 bytes per quad): meant for imports and restores, not for request paths.
    pub fn bulk_load<E: From<StoreError>>(
        &self,
        documents: impl IntoIterator<Item = Result<(NamedNode, Vec<Triple>), E>>,
    ) -> Result<BulkLoadStats, E> {
        let mut stats = BulkLoadStats::default();
        let mut existing: Vec<(NamedNode, Vec<Triple>)> = Vec::new();
        {
            let _guard = self.inner.writer.lock();
            let reader = self.inner.live();
            let mut new_ids: HashMap<[u8; 16], u64> = HashMap::new();
            let mut new_terms: Vec<Vec<u8>> = Vec::new();
            let first_id = self.inner.next_id.load(Ordering::SeqCst);
            let mut quads: Vec<[u64; 4]> = Vec::new();
            let mut graphs: Vec<u64> = Vec::new();
            let mut loaded: HashSet<u64> = HashSet::new();
            let mut buf = Vec::with_capacity(128);
            let mut intern = |term: &Term| -> Result<u64, StoreError> {
                buf.clear();
                encode_term(term, &mut buf);
                let hash = term_hash(&buf);
                if let Some(&id) = new_ids.get(&hash) {
                    return Ok(id);
                }
                if let Some(id) = reader.lookup_encoded(&buf)? {
                    return Ok(id);
                }
                let id = first_id + new_terms.len() as u64;
                new_terms.push(buf.clone());
                new_ids.insert(hash, id);
                Ok(id)
            };
            for document in documents {
                let (graph, triples) = document?;
                let gid = intern(&Term::NamedNode(graph.clone()))?;
                let fresh = gid >= first_id;
                // A document that exists, or that appears twice in the input, is replaced
                // afterwards by an ordinary put, which keeps `put_document`'s meaning.
                if (!fresh && reader.graph_exists(gid)?) || !loaded.insert(gid) {
                    existing.push((graph, triples));
                    continue;
                }
                graphs.push(gid);
                let scope = BlankNodeScope::new(graph.as_str());
                for triple in triples {
                    let s = match triple.subject {
                        NamedOrBlankNode::BlankNode(b) => Term::BlankNode(scope.scoped(&b)),
                        other => other.into(),
                    };
                    let o = match triple.object {
                        Term::BlankNode(b) => Term::BlankNode(scope.scoped(&b)),
                        other => other,
                    };
                    quads.push([
                        intern(&s)?,
                        intern(&triple.predicate.into())?,
                        intern(&o)?,
                        gid,
                    ]);
                }
                stats.documents += 1;
            }
            quads.sort_unstable();
            quads.dedup();
            stats.quads = quads.len() as u64;
            graphs.sort_unstable();
            graphs.dedup();
            let mut hashes: Vec<([u8; 16], u64)> = new_ids.into_iter().collect();
            hashes.sort_unstable();
            // One sorted stream of every entry, in key order: dictionary (0x01, 0x02), the six
            // indexes (0x10..0x15), the graph registry (0x20).
            let mut ingestion = self.inner.ks.start_ingestion().map_err(StoreError::from)?;
            let mut key = Vec::with_capacity(40);
            let mut value = Vec::with_capacity(16);
            for (hash, id) in &hashes {
                key.clear();
                key.push(HASH_TO_ID);
                key.extend_from_slice(hash);
                value.clear();
                write_id(&mut value, *id);
                ingestion
                    .write(key.as_slice(), value.as_slice())
                    .map_err(StoreError::from)?;
            }
            for (i, encoded) in new_terms.iter().enumerate() {
                key.clear();
                key.push(ID_TO_TERM);
                write_id(&mut key, first_id + i as u64);
                ingestion
                    .write(key.as_slice(), encoded.as_slice())
                    .map_err(StoreError::from)?;
            }
            let mut permuted: Vec<[u64; 4]> = Vec::with_capacity(quads.len());
            for index in ALL_INDEXES {
                permuted.clear();
                permuted.extend(quads.iter().map(|q| index.order.map(|pos| q[pos])));
                permuted.sort_unstable();
                for p in &permuted {
                    key.clear();
                    key.push(index.tag);
                    for id in p {
                        write_id(&mut key, *id);
                    }
                    ingestion
                        .write(key.as_slice(), [])
                        .map_err(StoreError::from)?;
                }
            }
            for gid in &graphs {
                key.clear();
                key.push(GRAPHS);
                write_id(&mut key, *gid);
                ingestion
                    .write(key.as_slice(), [])
                    .map_err(StoreError::from)?;
            }
            ingestion.finish().map_err(StoreError::from)?;
            self.inner
                .next_id
                .store(first_id + new_terms.len() as u64, Ordering::SeqCst);
        }
        for (graph, triples) in existing {
            self.put_document(graph.as_ref(), triples)?;
            stats.replaced += 1;
        }
        Ok(stats)
    }
}
