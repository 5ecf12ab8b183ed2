//! LDP resources and containers over the quad store.
//!
//! An RDF resource is the named graph named by its URL; a binary resource is bytes in the
//! `ldp-bin` keyspace; every resource has a [`ResourceMeta`] in the `ldp` keyspace. A container's
//! graph holds its `ldp:contains` triples (so SPARQL sees the containment) and whatever its owner
//! wrote into it. Every change is one store transaction: content, metadata, containment and
//! parent containers are written together or not at all, and the checks (conditions, conflicts)
//! are made under the same writer lock, so two requests never interleave.

use crate::resource::{
    ResourceKind, ResourceMeta, acl_url, is_acl, is_container, now_ms, slash_twin, slugify,
};
use crate::wac::{AclSource, parent_container};
use kommon_rdf::model::vocab::{rdf, xsd};
use kommon_rdf::model::{Graph, Literal, NamedNode, NamedNodeRef, Term, Triple, TripleRef};
use kommon_rdf::{Keyspace, QuadStore, StoreError, Transaction};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use thiserror::Error;

const META: &str = "ldp";
const BINARY: &str = "ldp-bin";
/// `ldp:contains`.
pub const LDP_CONTAINS: &str = "http://www.w3.org/ns/ldp#contains";
const AS: &str = "https://www.w3.org/ns/activitystreams#";

/// Why a storage operation did not happen. Each maps to one HTTP status.
#[derive(Debug, Error)]
pub enum StorageError {
    /// No such resource (404).
    #[error("no resource at {0}")]
    NotFound(String),
    /// The resource was deleted (410).
    #[error("the resource {0} was deleted")]
    Gone(String),
    /// The request conflicts with the state of the resource (409).
    #[error("{0}")]
    Conflict(String),
    /// An `If-Match` or `If-None-Match` condition does not hold (412).
    #[error("the precondition does not hold: {0}")]
    PreconditionFailed(String),
    /// The method cannot apply to this resource (405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The request body or a patch cannot apply (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The body cannot be read (400).
    #[error("{0}")]
    BadRequest(String),
    /// The body is too large (413).
    #[error("{0}")]
    TooLarge(String),
    /// The store failed (500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The content of a resource.
#[derive(Clone, Debug)]
pub enum Content {
    /// RDF triples.
    Rdf(Graph),
    /// Bytes and their media type.
    Binary {
        /// The bytes.
        bytes: Vec<u8>,
        /// Their media type.
        content_type: String,
    },
}

/// A resource as read: its description and content. For a container the graph includes the
/// containment triples; for a tombstone it is the Tombstone.
#[derive(Clone, Debug)]
pub struct StoredResource {
    /// The description.
    pub meta: ResourceMeta,
    /// The content.
    pub content: Content,
}

/// The conditional headers of a write.
#[derive(Clone, Debug, Default)]
pub struct Conditions {
    /// `If-Match`: the entity tags (or `*`) the resource must match.
    pub if_match: Option<Vec<String>>,
    /// `If-None-Match`: the entity tags (or `*`) the resource must not match.
    pub if_none_match: Option<Vec<String>>,
}

impl Conditions {
    fn check(&self, meta: Option<&ResourceMeta>) -> Result<(), StorageError> {
        let current = meta.filter(|m| m.exists());
        if let Some(tags) = &self.if_match {
            let ok = match current {
                None => false,
                Some(m) => tags.iter().any(|t| t.trim() == "*" || m.matches(t)),
            };
            if !ok {
                return Err(StorageError::PreconditionFailed(
                    "If-Match names no current version of the resource".into(),
                ));
            }
        }
        if let Some(tags) = &self.if_none_match
            && let Some(m) = current
            && tags.iter().any(|t| t.trim() == "*" || m.matches(t))
        {
            return Err(StorageError::PreconditionFailed(
                "If-None-Match: the resource exists in that version".into(),
            ));
        }
        Ok(())
    }
}

/// What a write did.
#[derive(Clone, Debug)]
pub struct WriteOutcome {
    /// The resource written.
    pub url: String,
    /// Whether it was created (201) rather than replaced (205/204).
    pub created: bool,
    /// Its new description.
    pub meta: ResourceMeta,
}

/// How a new resource is placed.
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    /// Create missing parent containers (PUT and PATCH do; pod set-up does not need to).
    pub create_parents: bool,
    /// List the resource in its parent container (a pod's WebID and inbox are not listed).
    pub listed: bool,
}

impl Placement {
    /// Where the server puts what it manages itself (ACL documents, a WebID): the parent exists,
    /// and the resource is not listed in it.
    pub const UNLISTED: Placement = Placement {
        create_parents: false,
        listed: false,
    };
}

impl Default for Placement {
    fn default() -> Self {
        Self {
            create_parents: true,
            listed: true,
        }
    }
}

/// What a client's write did to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The resource did not exist (or was a tombstone) and now does.
    Created,
    /// The resource was replaced or patched.
    Updated,
    /// The resource was deleted; a tombstone remains.
    Deleted,
}

/// One resource a write changed, as a [`WriteObserver`] is told of it.
#[derive(Clone, Debug)]
pub struct ResourceChange<'a> {
    /// The resource.
    pub url: &'a str,
    /// What happened to it.
    pub kind: ChangeKind,
    /// Its `rdf:type`s in its own document (for a deletion, the types it had).
    pub types: Vec<String>,
}

/// Work to do once the write's transaction is committed (waking workers, handing copies on).
pub type AfterCommit = Box<dyn FnOnce() + Send>;

/// Told of each resource a write changes, inside the write's own transaction, so that what it
/// records (an activity in the owner's outbox) is committed with the write or not at all, and
/// costs no second transaction.
pub trait WriteObserver: Send + Sync {
    /// Before the write's transaction (outside the store's writer lock, for all but `create_in`,
    /// whose URL is only known inside it): whatever does not depend on what the write finds,
    /// such as reading ACLs; `None` when writes to `url` are of no interest.
    fn prepare(&self, url: &str) -> Option<Box<dyn ObservedWrite>>;
}

/// A write a [`WriteObserver`] prepared for, to record once the write is done.
pub trait ObservedWrite: Send {
    /// Records what `change` means in `tx`; what it returns runs after the commit.
    fn record(
        self: Box<Self>,
        tx: &mut Transaction<'_>,
        change: &ResourceChange<'_>,
    ) -> Result<Option<AfterCommit>, StoreError>;
}

/// LDP resources and containers over a [`QuadStore`], with the ACL documents cached for WAC.
#[derive(Clone)]
pub struct ResourceStore {
    store: QuadStore,
    meta: Keyspace,
    binary: Keyspace,
    acl_cache: Arc<quick_cache::sync::Cache<String, Option<Arc<Graph>>>>,
    last_version: Arc<AtomicU64>,
    /// Bumped (under `acl_forget`) each time an ACL document changes, after its commit: a
    /// reader that loaded an ACL before the change must not put it in the cache after it.
    acl_generation: Arc<AtomicU64>,
    acl_forget: Arc<parking_lot::Mutex<()>>,
    observer: Option<Arc<dyn WriteObserver>>,
}

impl ResourceStore {
    /// Resources kept in `store`; `acl_cache_entries` ACL documents are kept parsed in memory.
    pub fn new(store: QuadStore, acl_cache_entries: usize) -> Self {
        Self {
            meta: store.keyspace(META),
            binary: store.keyspace(BINARY),
            store,
            acl_cache: Arc::new(quick_cache::sync::Cache::new(acl_cache_entries.max(16))),
            last_version: Arc::new(AtomicU64::new(0)),
            acl_generation: Arc::new(AtomicU64::new(0)),
            acl_forget: Arc::new(parking_lot::Mutex::new(())),
            observer: None,
        }
    }

    /// The same resources (same cache), whose `put`, `create_in`, `patch` and `delete` also tell
    /// `observer`: a server gives this one to the handlers of its clients' requests, and keeps
    /// the plain one for what it writes itself.
    pub fn observed_by(&self, observer: Arc<dyn WriteObserver>) -> Self {
        Self {
            observer: Some(observer),
            ..self.clone()
        }
    }

    /// Once a write to `url` is committed: its cached ACL documents are dropped, and no read
    /// that began before the commit may cache the old ones.
    fn forget_acls(&self, url: &str, deleted: bool) {
        let acls = [
            is_acl(url).then(|| url.to_owned()),
            (deleted && !is_acl(url)).then(|| acl_url(url)),
        ];
        if acls.iter().all(Option::is_none) {
            return;
        }
        let _guard = self.acl_forget.lock();
        self.acl_generation.fetch_add(1, Ordering::SeqCst);
        for acl in acls.into_iter().flatten() {
            self.acl_cache.remove(&acl);
        }
    }

    /// What the observer, if any, prepares for a write to `url`.
    fn prepare(&self, url: &str) -> Option<Box<dyn ObservedWrite>> {
        self.observer.as_ref().and_then(|o| o.prepare(url))
    }

    /// Records a change made in `tx` with what was prepared for it.
    fn tell(
        prepared: Option<Box<dyn ObservedWrite>>,
        tx: &mut Transaction<'_>,
        url: &str,
        kind: ChangeKind,
        types: Vec<String>,
    ) -> Result<Option<AfterCommit>, StorageError> {
        match prepared {
            Some(p) => Ok(p.record(tx, &ResourceChange { url, kind, types })?),
            None => Ok(None),
        }
    }

    /// The `rdf:type`s a resource's content gives itself, when a prepared write will tell them.
    fn types_to_tell(
        prepared: &Option<Box<dyn ObservedWrite>>,
        url: &str,
        content: &Content,
    ) -> Vec<String> {
        match (prepared, content) {
            (Some(_), Content::Rdf(graph)) => subject_types(graph, url),
            _ => Vec::new(),
        }
    }

    /// The underlying store.
    pub fn store(&self) -> &QuadStore {
        &self.store
    }

    fn next_version(&self) -> u64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        let mut last = self.last_version.load(Ordering::SeqCst);
        loop {
            let next = now.max(last + 1);
            match self
                .last_version
                .compare_exchange(last, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }

    /// The description of a resource, tombstones included.
    pub fn meta(&self, url: &str) -> Result<Option<ResourceMeta>, StorageError> {
        Ok(self.meta.get(url.as_bytes())?.and_then(|v| decode_meta(&v)))
    }

    fn tx_meta(tx: &Transaction<'_>, url: &str) -> Result<Option<ResourceMeta>, StorageError> {
        Ok(tx
            .keyspace_get(META, url.as_bytes())?
            .and_then(|v| decode_meta(&v)))
    }

    fn put_meta(tx: &mut Transaction<'_>, url: &str, meta: &ResourceMeta) {
        // Serialising a plain struct of strings and numbers cannot fail.
        let bytes = serde_json::to_vec(meta).unwrap_or_default();
        tx.keyspace_insert(META, url.as_bytes(), &bytes);
    }

    /// Reads a resource: `None` when it never existed; tombstones are returned as such.
    pub fn read(&self, url: &str) -> Result<Option<StoredResource>, StorageError> {
        let Some(meta) = self.meta(url)? else {
            return Ok(None);
        };
        let content = match meta.kind {
            ResourceKind::Binary => Content::Binary {
                bytes: self.binary.get(url.as_bytes())?.unwrap_or_default(),
                content_type: meta
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into()),
            },
            ResourceKind::Tombstone => Content::Rdf(tombstone_graph(url, &meta)),
            ResourceKind::Rdf | ResourceKind::Container => Content::Rdf(
                self.store
                    .get_document(node(url)?.as_ref())?
                    .unwrap_or_default(),
            ),
        };
        Ok(Some(StoredResource { meta, content }))
    }

    /// The URLs of the resources a container lists.
    pub fn members(&self, container: &str) -> Result<Vec<String>, StorageError> {
        let Some(graph) = self.store.get_document(node(container)?.as_ref())? else {
            return Ok(Vec::new());
        };
        Ok(members_of(&graph, container))
    }

    /// Every resource whose URL starts with `prefix`, with its description.
    pub fn resources_under(
        &self,
        prefix: &str,
    ) -> impl Iterator<Item = Result<(String, ResourceMeta), StorageError>> + use<> {
        self.meta
            .scan_prefix(prefix.as_bytes())
            .filter_map(|entry| match entry {
                Err(e) => Some(Err(e.into())),
                Ok((k, v)) => {
                    let meta = decode_meta(&v)?;
                    Some(Ok((String::from_utf8_lossy(&k).into_owned(), meta)))
                }
            })
    }

    /// Creates or replaces the resource at `url` (PUT).
    pub fn put(
        &self,
        url: &str,
        content: Content,
        conditions: &Conditions,
        placement: Placement,
    ) -> Result<WriteOutcome, StorageError> {
        let prepared = self.prepare(url);
        let types = Self::types_to_tell(&prepared, url, &content);
        let (outcome, after) = self.store.transaction(|tx| {
            let existing = Self::tx_meta(tx, url)?;
            conditions.check(existing.as_ref())?;
            let outcome = self.write_in(tx, url, content, existing, placement)?;
            let after = Self::tell(prepared, tx, url, change_kind(outcome.created), types)?;
            Ok::<_, StorageError>((outcome, after))
        })?;
        self.forget_acls(url, false);
        if let Some(f) = after {
            f();
        }
        Ok(outcome)
    }

    /// Creates a container (and its missing parents) if it does not exist; with `for_class`,
    /// marks it as the container of that class.
    pub fn ensure_container(
        &self,
        url: &str,
        for_class: Option<&str>,
        placement: Placement,
    ) -> Result<WriteOutcome, StorageError> {
        if !is_container(url) {
            return Err(StorageError::Conflict(format!(
                "{url} is not a container URL"
            )));
        }
        self.store.transaction(|tx| {
            let existing = Self::tx_meta(tx, url)?;
            if let Some(meta) = existing.filter(|m| m.exists()) {
                if for_class.is_some() && meta.for_class.as_deref() != for_class {
                    let mut meta = meta;
                    meta.for_class = for_class.map(str::to_owned);
                    Self::put_meta(tx, url, &meta);
                    return Ok(WriteOutcome {
                        url: url.to_owned(),
                        created: false,
                        meta,
                    });
                }
                return Ok(WriteOutcome {
                    url: url.to_owned(),
                    created: false,
                    meta,
                });
            }
            let mut outcome =
                self.write_in(tx, url, Content::Rdf(Graph::new()), None, placement)?;
            if let Some(class) = for_class {
                outcome.meta.for_class = Some(class.to_owned());
                Self::put_meta(tx, url, &outcome.meta);
            }
            Ok(outcome)
        })
    }

    /// Creates a resource in a container (POST). In a container made for a class the new
    /// resource is flat, directly under `storage_root`, and listed in both; elsewhere it is the
    /// container's URL plus the slug. `as_container` makes the new resource a container.
    pub fn create_in(
        &self,
        container: &str,
        slug: Option<&str>,
        as_container: bool,
        content: impl FnOnce(&str) -> Result<Content, StorageError>,
        storage_root: Option<&str>,
    ) -> Result<WriteOutcome, StorageError> {
        let (outcome, after) = self.store.transaction(|tx| {
            let parent = match Self::tx_meta(tx, container)? {
                None => return Err(StorageError::NotFound(container.to_owned())),
                Some(m) if m.kind == ResourceKind::Tombstone => {
                    return Err(StorageError::NotFound(container.to_owned()));
                }
                Some(m) if m.kind != ResourceKind::Container => {
                    return Err(StorageError::MethodNotAllowed(format!(
                        "{container} is not a container: POST creates resources in containers"
                    )));
                }
                Some(m) => m,
            };
            let flat_root = match (&parent.for_class, storage_root) {
                (Some(_), Some(root)) if !as_container => Some(root),
                _ => None,
            };
            let base = flat_root.unwrap_or(container);
            let stem = slug
                .and_then(slugify)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let mut url = None;
            for n in 0..1000u32 {
                let name = if n == 0 {
                    stem.clone()
                } else {
                    format!("{stem}-{}", n + 1)
                };
                let candidate = if as_container {
                    format!("{base}{name}/")
                } else {
                    format!("{base}{name}")
                };
                // A name is free only if neither form was ever used, tombstones included, so
                // an old link never points at something new.
                if Self::tx_meta(tx, &candidate)?.is_none()
                    && Self::tx_meta(tx, &slash_twin(&candidate))?.is_none()
                {
                    url = Some(candidate);
                    break;
                }
            }
            let url = url.ok_or_else(|| {
                StorageError::Conflict("no free name for this slug; choose another".into())
            })?;
            let content = content(&url)?;
            let content = if as_container {
                match content {
                    Content::Rdf(g) => Content::Rdf(g),
                    Content::Binary { .. } => {
                        return Err(StorageError::Conflict(
                            "a container cannot have a binary body".into(),
                        ));
                    }
                }
            } else {
                content
            };
            let prepared = self.prepare(&url);
            let types = Self::types_to_tell(&prepared, &url, &content);
            let mut outcome = self.write_in(tx, &url, content, None, Placement::default())?;
            if flat_root.is_some() {
                add_containment(tx, container, &url)?;
                outcome.meta.also_in.push(container.to_owned());
                Self::put_meta(tx, &url, &outcome.meta);
                touch(tx, container, self.next_version())?;
            }
            let after = Self::tell(prepared, tx, &url, ChangeKind::Created, types)?;
            Ok((outcome, after))
        })?;
        self.forget_acls(&outcome.url, false);
        if let Some(f) = after {
            f();
        }
        Ok(outcome)
    }

    /// Reads, changes and writes an RDF resource in one transaction (PATCH). `change` gets the
    /// current graph (empty when the resource does not exist) and returns the new one.
    pub fn patch(
        &self,
        url: &str,
        conditions: &Conditions,
        change: impl FnOnce(Graph, bool) -> Result<Graph, StorageError>,
    ) -> Result<WriteOutcome, StorageError> {
        let prepared = self.prepare(url);
        let (outcome, after) = self.store.transaction(|tx| {
            let existing = Self::tx_meta(tx, url)?;
            conditions.check(existing.as_ref())?;
            let exists = existing.as_ref().is_some_and(|m| m.exists());
            if exists && existing.as_ref().map(|m| m.kind) == Some(ResourceKind::Binary) {
                return Err(StorageError::Conflict(
                    "this resource is not RDF: it cannot be patched".into(),
                ));
            }
            let before = if exists {
                tx.document(node(url)?.as_ref())?.unwrap_or_default()
            } else {
                Graph::new()
            };
            let after = change(before, exists)?;
            let after = if is_container(url) {
                // The patch may not touch containment, which the server keeps.
                let before_members: std::collections::BTreeSet<String> =
                    match tx.document(node(url)?.as_ref())? {
                        Some(g) => members_of(&g, url).into_iter().collect(),
                        None => Default::default(),
                    };
                let after_members: std::collections::BTreeSet<String> =
                    members_of(&after, url).into_iter().collect();
                if before_members != after_members {
                    return Err(StorageError::Conflict(
                        "ldp:contains is kept by the server and cannot be patched".into(),
                    ));
                }
                strip_containment(after, url)
            } else {
                after
            };
            let content = Content::Rdf(after);
            let types = Self::types_to_tell(&prepared, url, &content);
            let outcome = self.write_in(tx, url, content, existing, Placement::default())?;
            let after = Self::tell(prepared, tx, url, change_kind(outcome.created), types)?;
            Ok((outcome, after))
        })?;
        self.forget_acls(url, false);
        if let Some(f) = after {
            f();
        }
        Ok(outcome)
    }

    /// Deletes a resource, leaving a tombstone; a container must be empty.
    pub fn delete(&self, url: &str, conditions: &Conditions) -> Result<(), StorageError> {
        let prepared = self.prepare(url);
        let after = self.store.transaction(|tx| {
            let existing = Self::tx_meta(tx, url)?;
            let meta = match existing {
                None => return Err(StorageError::NotFound(url.to_owned())),
                Some(m) if !m.exists() => return Err(StorageError::Gone(url.to_owned())),
                Some(m) => m,
            };
            conditions.check(Some(&meta))?;
            let graph_name = node(url)?;
            let mut former_types = Vec::new();
            if matches!(meta.kind, ResourceKind::Rdf | ResourceKind::Container)
                && let Some(graph) = tx.document(graph_name.as_ref())?
            {
                if meta.kind == ResourceKind::Container && !members_of(&graph, url).is_empty() {
                    return Err(StorageError::Conflict(format!(
                        "the container {url} is not empty: delete what it contains first"
                    )));
                }
                for o in graph.objects_for_subject_predicate(graph_name.as_ref(), rdf::TYPE) {
                    if let kommon_rdf::model::TermRef::NamedNode(n) = o {
                        former_types.push(n.as_str().to_owned());
                    }
                }
            }
            if meta.kind == ResourceKind::Container {
                former_types.push("http://www.w3.org/ns/ldp#BasicContainer".into());
            }
            tx.remove_document(graph_name.as_ref())?;
            tx.keyspace_remove(BINARY, url.as_bytes());
            // The ACL of a deleted resource goes with it (an auxiliary resource).
            let acl = acl_url(url);
            if !is_acl(url) && Self::tx_meta(tx, &acl)?.is_some() {
                tx.remove_document(node(&acl)?.as_ref())?;
                tx.keyspace_remove(META, acl.as_bytes());
                self.acl_cache.remove(&acl);
            }
            if is_acl(url) {
                self.acl_cache.remove(url);
            }
            if !is_acl(url) {
                if let Some(parent) = parent_container(url) {
                    remove_containment(tx, &parent, url)?;
                    if Self::tx_meta(tx, &parent)?.is_some() {
                        touch(tx, &parent, self.next_version())?;
                    }
                }
                for other in &meta.also_in {
                    remove_containment(tx, other, url)?;
                    touch(tx, other, self.next_version())?;
                }
            }
            let tombstone = ResourceMeta {
                kind: ResourceKind::Tombstone,
                content_type: None,
                modified_ms: now_ms(),
                version: self.next_version(),
                size: 0,
                for_class: None,
                also_in: Vec::new(),
                former_types: former_types.clone(),
            };
            Self::put_meta(tx, url, &tombstone);
            Self::tell(prepared, tx, url, ChangeKind::Deleted, former_types)
        })?;
        self.forget_acls(url, true);
        if let Some(f) = after {
            f();
        }
        Ok(())
    }

    /// Writes a resource whose checks passed, with its parents and containment.
    fn write_in(
        &self,
        tx: &mut Transaction<'_>,
        url: &str,
        content: Content,
        existing: Option<ResourceMeta>,
        placement: Placement,
    ) -> Result<WriteOutcome, StorageError> {
        let exists = existing.as_ref().is_some_and(|m| m.exists());
        // Solid's slash semantics: `/x` and `/x/` are never two resources.
        if !exists
            && let Some(twin) = Self::tx_meta(tx, &slash_twin(url))?
            && twin.exists()
        {
            return Err(StorageError::Conflict(format!(
                "{} already exists: a resource and a container cannot share a name",
                slash_twin(url)
            )));
        }
        let kind = match (&content, is_container(url)) {
            (Content::Binary { .. }, true) => {
                return Err(StorageError::Conflict(
                    "a container cannot have a binary body".into(),
                ));
            }
            (Content::Binary { .. }, false) => ResourceKind::Binary,
            (Content::Rdf(_), true) => ResourceKind::Container,
            (Content::Rdf(_), false) => ResourceKind::Rdf,
        };
        if exists
            && let Some(old) = &existing
            && old.kind == ResourceKind::Binary
            && kind == ResourceKind::Rdf
        {
            tx.keyspace_remove(BINARY, url.as_bytes());
        }
        let graph_name = node(url)?;
        let content_type = match &content {
            Content::Binary { content_type, .. } => Some(content_type.clone()),
            Content::Rdf(_) => None,
        };
        let size;
        match content {
            Content::Rdf(graph) => {
                let mut triples: Vec<Triple> = graph.iter().map(TripleRef::into_owned).collect();
                if kind == ResourceKind::Container {
                    if triples.iter().any(|t| {
                        t.predicate.as_str() == LDP_CONTAINS
                            && t.subject.to_string() == format!("<{url}>")
                    }) {
                        return Err(StorageError::Conflict(
                            "ldp:contains is kept by the server and cannot be written".into(),
                        ));
                    }
                    if exists && let Some(old) = tx.document(graph_name.as_ref())? {
                        for m in members_of(&old, url) {
                            triples.push(contains_triple(url, &m)?);
                        }
                    }
                }
                size = triples.len() as u64;
                tx.put_document(graph_name.as_ref(), triples)?;
            }
            Content::Binary { bytes, .. } => {
                size = bytes.len() as u64;
                if exists {
                    tx.remove_document(graph_name.as_ref())?;
                }
                tx.keyspace_insert(BINARY, url.as_bytes(), &bytes);
            }
        }
        let version = self.next_version();
        let mut meta = ResourceMeta {
            kind,
            content_type,
            modified_ms: now_ms(),
            version,
            size,
            for_class: existing
                .as_ref()
                .filter(|m| m.exists())
                .and_then(|m| m.for_class.clone()),
            also_in: existing
                .as_ref()
                .filter(|m| m.exists())
                .map(|m| m.also_in.clone())
                .unwrap_or_default(),
            former_types: Vec::new(),
        };
        if is_acl(url) {
            self.acl_cache.remove(url);
        }
        if !exists && !is_acl(url) && placement.listed {
            self.link_parents(tx, url, placement.create_parents)?;
        }
        Self::put_meta(tx, url, &meta);
        meta.size = size;
        Ok(WriteOutcome {
            url: url.to_owned(),
            created: !exists,
            meta,
        })
    }

    /// Lists a new resource in its parent, creating missing parents up to the nearest existing
    /// container.
    fn link_parents(
        &self,
        tx: &mut Transaction<'_>,
        url: &str,
        create_parents: bool,
    ) -> Result<(), StorageError> {
        let mut child = url.to_owned();
        for _ in 0..64 {
            let Some(parent) = parent_container(&child) else {
                return Err(StorageError::Conflict(format!(
                    "{url} is outside any storage"
                )));
            };
            match Self::tx_meta(tx, &parent)? {
                Some(m) if m.kind == ResourceKind::Container => {
                    add_containment(tx, &parent, &child)?;
                    let mut m = m;
                    m.version = self.next_version();
                    m.modified_ms = now_ms();
                    Self::put_meta(tx, &parent, &m);
                    return Ok(());
                }
                Some(m) if m.exists() => {
                    return Err(StorageError::Conflict(format!(
                        "{parent} is not a container"
                    )));
                }
                _ => {
                    if !create_parents {
                        return Err(StorageError::NotFound(parent));
                    }
                    if let Some(twin) = Self::tx_meta(tx, &slash_twin(&parent))?
                        && twin.exists()
                    {
                        return Err(StorageError::Conflict(format!(
                            "{} is a resource, so {parent} cannot be a container",
                            slash_twin(&parent)
                        )));
                    }
                    if parent_container(&parent).is_none() {
                        return Err(StorageError::Conflict(format!(
                            "{url} is outside any storage"
                        )));
                    }
                    let graph = vec![contains_triple(&parent, &child)?];
                    tx.put_document(node(&parent)?.as_ref(), graph)?;
                    let meta = ResourceMeta {
                        kind: ResourceKind::Container,
                        content_type: None,
                        modified_ms: now_ms(),
                        version: self.next_version(),
                        size: 1,
                        for_class: None,
                        also_in: Vec::new(),
                        former_types: Vec::new(),
                    };
                    Self::put_meta(tx, &parent, &meta);
                    child = parent;
                }
            }
        }
        Err(StorageError::Conflict("the path is too deep".into()))
    }
}

impl AclSource for ResourceStore {
    fn acl_of(&self, resource: &str) -> Option<Arc<Graph>> {
        let acl = acl_url(resource);
        if let Some(cached) = self.acl_cache.get(&acl) {
            return cached;
        }
        let generation = self.acl_generation.load(Ordering::SeqCst);
        // A store failure reads as an ACL that grants nothing, never cached: "no ACL here"
        // would fall back to the parent's, which may grant more.
        let denied = || Some(Arc::new(Graph::new()));
        let graph = match self.meta(&acl) {
            Ok(Some(m)) if m.exists() => match node(&acl)
                .map_err(|_| ())
                .and_then(|n| self.store.get_document(n.as_ref()).map_err(|_| ()))
            {
                Ok(g) => g,
                Err(()) => return denied(),
            },
            Ok(_) => None,
            Err(_) => return denied(),
        };
        let graph = graph.map(Arc::new);
        let _guard = self.acl_forget.lock();
        if self.acl_generation.load(Ordering::SeqCst) == generation {
            self.acl_cache.insert(acl, graph.clone());
        }
        graph
    }

    fn group(&self, group: &str) -> Option<Arc<Graph>> {
        let n = node(group).ok()?;
        self.store
            .get_document(n.as_ref())
            .ok()
            .flatten()
            .map(Arc::new)
    }
}

fn decode_meta(bytes: &[u8]) -> Option<ResourceMeta> {
    serde_json::from_slice(bytes).ok()
}

fn change_kind(created: bool) -> ChangeKind {
    if created {
        ChangeKind::Created
    } else {
        ChangeKind::Updated
    }
}

/// The `rdf:type`s `graph` gives the resource `url` itself.
fn subject_types(graph: &Graph, url: &str) -> Vec<String> {
    let Ok(subject) = NamedNode::new(url) else {
        return Vec::new();
    };
    graph
        .objects_for_subject_predicate(subject.as_ref(), rdf::TYPE)
        .filter_map(|o| match o {
            kommon_rdf::model::TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn node(url: &str) -> Result<NamedNode, StorageError> {
    NamedNode::new(url)
        .map_err(|e| StorageError::Unprocessable(format!("<{url}> is not an IRI: {e}")))
}

fn contains_triple(container: &str, child: &str) -> Result<Triple, StorageError> {
    Ok(Triple::new(
        node(container)?,
        NamedNode::new_unchecked(LDP_CONTAINS),
        node(child)?,
    ))
}

fn members_of(graph: &Graph, container: &str) -> Vec<String> {
    let c = NamedNodeRef::new_unchecked(container);
    graph
        .objects_for_subject_predicate(c, NamedNodeRef::new_unchecked(LDP_CONTAINS))
        .filter_map(|o| match o {
            kommon_rdf::model::TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn strip_containment(graph: Graph, container: &str) -> Graph {
    graph
        .iter()
        .filter(|t| {
            !(t.predicate.as_str() == LDP_CONTAINS
                && matches!(t.subject, kommon_rdf::model::NamedOrBlankNodeRef::NamedNode(n) if n.as_str() == container))
        })
        .map(TripleRef::into_owned)
        .collect()
}

fn add_containment(
    tx: &mut Transaction<'_>,
    container: &str,
    child: &str,
) -> Result<(), StorageError> {
    let t = contains_triple(container, child)?;
    tx.insert(&t.in_graph(node(container)?))?;
    Ok(())
}

fn remove_containment(
    tx: &mut Transaction<'_>,
    container: &str,
    child: &str,
) -> Result<(), StorageError> {
    let t = contains_triple(container, child)?;
    tx.remove(&t.in_graph(node(container)?))?;
    Ok(())
}

fn touch(tx: &mut Transaction<'_>, url: &str, version: u64) -> Result<(), StorageError> {
    if let Some(mut m) = ResourceStore::tx_meta(tx, url)? {
        m.version = version;
        m.modified_ms = now_ms();
        ResourceStore::put_meta(tx, url, &m);
    }
    Ok(())
}

/// The Tombstone a deleted resource answers with (ActivityStreams, with its former types).
pub fn tombstone_graph(url: &str, meta: &ResourceMeta) -> Graph {
    let mut g = Graph::new();
    let s = NamedNode::new_unchecked(url);
    g.insert(&Triple::new(
        s.clone(),
        rdf::TYPE,
        NamedNode::new_unchecked(format!("{AS}Tombstone")),
    ));
    for t in &meta.former_types {
        if let Ok(t) = NamedNode::new(t) {
            g.insert(&Triple::new(
                s.clone(),
                NamedNode::new_unchecked(format!("{AS}formerType")),
                t,
            ));
        }
    }
    g.insert(&Triple::new(
        s,
        NamedNode::new_unchecked(format!("{AS}deleted")),
        Term::Literal(Literal::new_typed_literal(
            xsd_datetime(meta.modified_ms),
            xsd::DATE_TIME,
        )),
    ));
    g
}

/// An `xsd:dateTime` in UTC for milliseconds since the Unix epoch.
pub fn xsd_datetime(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> ResourceStore {
        let rs = ResourceStore::new(QuadStore::temporary().unwrap(), 100);
        rs.ensure_container("http://h/alice/data/", None, Placement::UNLISTED)
            .unwrap();
        rs
    }

    fn ttl(s: &str) -> Graph {
        oxttl::TurtleParser::new()
            .for_slice(s.as_bytes())
            .map(|t| t.unwrap())
            .collect()
    }

    #[test]
    fn dates() {
        assert_eq!(xsd_datetime(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(xsd_datetime(1_795_874_682_238), "2026-11-28T14:04:42.238Z");
    }

    #[test]
    fn put_creates_parents_and_lists() {
        let rs = store();
        let out = rs
            .put(
                "http://h/alice/data/a/b/c",
                Content::Rdf(ttl("<http://x> <http://y> 1 .")),
                &Conditions::default(),
                Placement::default(),
            )
            .unwrap();
        assert!(out.created);
        assert_eq!(
            rs.members("http://h/alice/data/a/b/").unwrap(),
            vec!["http://h/alice/data/a/b/c"]
        );
        assert_eq!(
            rs.members("http://h/alice/data/").unwrap(),
            vec!["http://h/alice/data/a/"]
        );
        // Slash semantics.
        let err = rs
            .put(
                "http://h/alice/data/a/b/c/",
                Content::Rdf(Graph::new()),
                &Conditions::default(),
                Placement::default(),
            )
            .unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)));
        let err = rs
            .put(
                "http://h/alice/data/a/b/c/d",
                Content::Rdf(Graph::new()),
                &Conditions::default(),
                Placement::default(),
            )
            .unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err}");
        // Non-empty container.
        assert!(matches!(
            rs.delete("http://h/alice/data/a/b/", &Conditions::default()),
            Err(StorageError::Conflict(_))
        ));
        rs.delete("http://h/alice/data/a/b/c", &Conditions::default())
            .unwrap();
        assert!(rs.members("http://h/alice/data/a/b/").unwrap().is_empty());
        let tomb = rs.read("http://h/alice/data/a/b/c").unwrap().unwrap();
        assert_eq!(tomb.meta.kind, ResourceKind::Tombstone);
        rs.delete("http://h/alice/data/a/b/", &Conditions::default())
            .unwrap();
    }

    #[test]
    fn conditions() {
        let rs = store();
        let url = "http://h/alice/data/r";
        let none_match = Conditions {
            if_none_match: Some(vec!["*".into()]),
            ..Default::default()
        };
        let first = rs
            .put(
                url,
                Content::Rdf(Graph::new()),
                &none_match,
                Placement::default(),
            )
            .unwrap();
        assert!(matches!(
            rs.put(
                url,
                Content::Rdf(Graph::new()),
                &none_match,
                Placement::default()
            ),
            Err(StorageError::PreconditionFailed(_))
        ));
        let if_match = Conditions {
            if_match: Some(vec![first.meta.etag()]),
            ..Default::default()
        };
        let second = rs
            .put(
                url,
                Content::Rdf(Graph::new()),
                &if_match,
                Placement::default(),
            )
            .unwrap();
        assert_ne!(first.meta.etag(), second.meta.etag());
        assert!(matches!(
            rs.put(
                url,
                Content::Rdf(Graph::new()),
                &if_match,
                Placement::default()
            ),
            Err(StorageError::PreconditionFailed(_))
        ));
    }

    #[test]
    fn type_containers_give_flat_resources() {
        let rs = store();
        rs.ensure_container(
            "http://h/alice/data/pair/project/",
            Some("http://virtual-assembly.org/ontologies/pair#Project"),
            Placement::default(),
        )
        .unwrap();
        let a = rs
            .create_in(
                "http://h/alice/data/pair/project/",
                Some("Jardin partagé"),
                false,
                |_| Ok(Content::Rdf(Graph::new())),
                Some("http://h/alice/data/"),
            )
            .unwrap();
        assert_eq!(a.url, "http://h/alice/data/jardin-partage");
        let b = rs
            .create_in(
                "http://h/alice/data/pair/project/",
                Some("Jardin partagé"),
                false,
                |_| Ok(Content::Rdf(Graph::new())),
                Some("http://h/alice/data/"),
            )
            .unwrap();
        assert_eq!(b.url, "http://h/alice/data/jardin-partage-2");
        let members = rs.members("http://h/alice/data/pair/project/").unwrap();
        assert_eq!(members.len(), 2);
        rs.delete(&a.url, &Conditions::default()).unwrap();
        assert_eq!(
            rs.members("http://h/alice/data/pair/project/").unwrap(),
            vec![b.url.clone()]
        );
        assert!(!rs.members("http://h/alice/data/").unwrap().contains(&a.url));
    }
}

#[cfg(test)]
mod acl_replacement {
    use super::*;

    #[test]
    fn replacing_an_acl_keeps_it_readable() {
        let rs = ResourceStore::new(QuadStore::temporary().unwrap(), 100);
        let p = Placement::UNLISTED;
        rs.ensure_container("http://h/a/data/", None, p).unwrap();
        let g1: Graph = oxttl::TurtleParser::new()
            .with_base_iri("http://h/a/data/.acl")
            .unwrap()
            .for_slice(b"<#o> <http://x/p> <./> .")
            .map(|t| t.unwrap())
            .collect();
        let g2: Graph = oxttl::TurtleParser::new()
            .with_base_iri("http://h/a/data/.acl")
            .unwrap()
            .for_slice(b"<#o> <http://x/p> <./> . <#q> <http://x/p> <./> .")
            .map(|t| t.unwrap())
            .collect();
        rs.put(
            "http://h/a/data/.acl",
            Content::Rdf(g1.clone()),
            &Conditions::default(),
            p,
        )
        .unwrap();
        assert_eq!(*rs.acl_of("http://h/a/data/").unwrap(), g1);
        rs.put(
            "http://h/a/data/.acl",
            Content::Rdf(g2.clone()),
            &Conditions::default(),
            p,
        )
        .unwrap();
        assert_eq!(
            rs.store()
                .get_document(NamedNodeRef::new_unchecked("http://h/a/data/.acl"))
                .unwrap()
                .unwrap(),
            g2
        );
        assert_eq!(*rs.acl_of("http://h/a/data/").unwrap(), g2);
    }
}

#[cfg(test)]
mod reopen {
    use super::*;

    fn acl() -> Graph {
        oxttl::TurtleParser::new()
            .with_base_iri("http://h/a/data/.acl")
            .unwrap()
            .for_slice(b"<#o> <http://x/p> <./> .")
            .map(|t| t.unwrap())
            .collect()
    }

    #[test]
    fn writes_after_reopening_keep_documents() {
        let dir = std::env::temp_dir().join(format!("kommon-reopen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p = Placement::UNLISTED;
        {
            let rs = ResourceStore::new(QuadStore::open(&dir, &Default::default()).unwrap(), 100);
            rs.ensure_container("http://h/a/data/", None, p).unwrap();
            rs.put(
                "http://h/a/data/.acl",
                Content::Rdf(acl()),
                &Conditions::default(),
                p,
            )
            .unwrap();
            rs.store().flush().unwrap();
        }
        let rs = ResourceStore::new(QuadStore::open(&dir, &Default::default()).unwrap(), 100);
        assert_eq!(*rs.acl_of("http://h/a/data/").unwrap(), acl());
        let other: Graph = oxttl::TurtleParser::new()
            .for_slice(b"<http://new/s> <http://new/p> \"brand new\" .")
            .map(|t| t.unwrap())
            .collect();
        rs.put(
            "http://h/a/data/x",
            Content::Rdf(other.clone()),
            &Conditions::default(),
            p,
        )
        .unwrap();
        rs.put(
            "http://h/a/data/.acl",
            Content::Rdf(acl()),
            &Conditions::default(),
            p,
        )
        .unwrap();
        assert_eq!(
            rs.store()
                .get_document(NamedNodeRef::new_unchecked("http://h/a/data/x"))
                .unwrap()
                .unwrap(),
            other
        );
        assert_eq!(*rs.acl_of("http://h/a/data/").unwrap(), acl());
        assert_eq!(rs.store().check_consistency().unwrap(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod observed_writes {
    use super::*;
    use parking_lot::Mutex;

    type Told = Arc<Mutex<Vec<(String, ChangeKind, Vec<String>)>>>;

    /// Records what it is told, in the store's `notes` keyspace, and refuses writes to URLs
    /// that end in `refused`.
    struct Notes {
        told: Told,
        after: Arc<AtomicU64>,
    }

    struct Note(Told, Arc<AtomicU64>);

    impl WriteObserver for Notes {
        fn prepare(&self, url: &str) -> Option<Box<dyn ObservedWrite>> {
            (!url.ends_with(".acl")).then(|| {
                Box::new(Note(Arc::clone(&self.told), Arc::clone(&self.after)))
                    as Box<dyn ObservedWrite>
            })
        }
    }

    impl ObservedWrite for Note {
        fn record(
            self: Box<Self>,
            tx: &mut Transaction<'_>,
            change: &ResourceChange<'_>,
        ) -> Result<Option<AfterCommit>, StoreError> {
            if change.url.ends_with("refused") {
                return Err(StoreError::Corrupted("refused by the observer".into()));
            }
            tx.keyspace_insert("notes", change.url.as_bytes(), b"x");
            self.0
                .lock()
                .push((change.url.to_owned(), change.kind, change.types.clone()));
            let after = self.1;
            Ok(Some(Box::new(move || {
                after.fetch_add(1, Ordering::SeqCst);
            })))
        }
    }

    /// A store with a storage root, the same store observed by [`Notes`], what the notes were
    /// told and how many after-commit closures ran.
    fn observed() -> (ResourceStore, ResourceStore, Told, Arc<AtomicU64>) {
        let plain = ResourceStore::new(QuadStore::temporary().unwrap(), 100);
        plain
            .ensure_container("http://h/a/data/", None, Placement::UNLISTED)
            .unwrap();
        let told = Arc::new(Mutex::new(Vec::new()));
        let after = Arc::new(AtomicU64::new(0));
        let rs = plain.observed_by(Arc::new(Notes {
            told: Arc::clone(&told),
            after: Arc::clone(&after),
        }));
        (plain, rs, told, after)
    }

    #[test]
    fn writes_tell_the_observer_in_their_transaction() {
        let (plain, rs, told, after) = observed();
        let note: Graph = oxttl::TurtleParser::new()
            .with_base_iri("http://h/a/data/n")
            .unwrap()
            .for_slice(b"<> a <http://x/Note> . <#other> a <http://x/Other> .")
            .map(|t| t.unwrap())
            .collect();
        let any = Conditions::default();
        rs.put(
            "http://h/a/data/n",
            Content::Rdf(note.clone()),
            &any,
            Placement::default(),
        )
        .unwrap();
        rs.put(
            "http://h/a/data/n",
            Content::Rdf(note),
            &any,
            Placement::default(),
        )
        .unwrap();
        rs.delete("http://h/a/data/n", &any).unwrap();
        // What the server writes itself, through the plain store, is not told.
        plain
            .put(
                "http://h/a/data/m",
                Content::Rdf(Graph::new()),
                &any,
                Placement::default(),
            )
            .unwrap();
        let told = told.lock().clone();
        let note_type = vec!["http://x/Note".to_owned()];
        assert_eq!(
            told,
            vec![
                (
                    "http://h/a/data/n".into(),
                    ChangeKind::Created,
                    note_type.clone()
                ),
                (
                    "http://h/a/data/n".into(),
                    ChangeKind::Updated,
                    note_type.clone()
                ),
                ("http://h/a/data/n".into(), ChangeKind::Deleted, note_type),
            ]
        );
        assert_eq!(after.load(Ordering::SeqCst), 3);
        let notes = rs.store().keyspace("notes");
        assert!(notes.get(b"http://h/a/data/n").unwrap().is_some());
        assert!(notes.get(b"http://h/a/data/m").unwrap().is_none());
    }

    #[test]
    fn a_refusing_observer_leaves_the_write_undone() {
        let (_, rs, _, after) = observed();
        let r = rs.put(
            "http://h/a/data/refused",
            Content::Rdf(Graph::new()),
            &Conditions::default(),
            Placement::default(),
        );
        assert!(matches!(r, Err(StorageError::Store(_))), "{r:?}");
        assert!(rs.meta("http://h/a/data/refused").unwrap().is_none());
        assert!(rs.members("http://h/a/data/").unwrap().is_empty());
        assert_eq!(after.load(Ordering::SeqCst), 0);
    }
}
