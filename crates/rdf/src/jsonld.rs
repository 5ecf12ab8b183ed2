//! JSON-LD codec: JSON-LD → RDF (toRdf), expansion and compaction of untrusted documents, and
//! RDF → JSON-LD (fromRdf, and compacted documents shaped the way ActivityPub and ActivityPods
//! clients read them).
//!
//! Processing goes through the `json-ld` crate (0.21, which passes the W3C expansion,
//! compaction and toRdf suites). Contexts come only from a [`ContextLoader`] that holds bundled
//! or server-supplied documents in memory: a context that is not there is refused with
//! [`JsonLdError::UnknownContext`] and never fetched, because fetching attacker-named URLs while
//! parsing a request body is a server-side request forgery and a latency trap.
//!
//! Untrusted input is checked for size and nesting depth by an iterative scan before any parsing,
//! and the result against the literal and quad limits of [`JsonLdLimits`]. The JSON-LD
//! algorithms recurse on nesting through nested futures (about 130 KiB of stack per level in an
//! unoptimised build), so each call runs on a short-lived worker thread whose stack is sized for
//! the depth the limits allow, whatever thread (a tokio worker, say) calls it.
//!
//! fromRdf is implemented here over `oxrdf` quads (the crate has no tested fromRdf): literals,
//! languages, datatypes, `rdf:type` as `@type` and named graphs are handled; RDF lists are left
//! as `rdf:first` / `rdf:rest` nodes, and `rdf:JSON` literals stay typed strings, which keeps
//! every lexical form intact.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use json_ld::context_processing::Process;
use json_ld::syntax::context::{Context as LdContext, ContextEntry};
use json_ld::syntax::{ErrorCode, IntoJsonWithContext};
use json_ld::{
    Compact, ExpandedDocument, ExtractContext, Iri, IriBuf, JsonLdProcessor, LoadError, Loader,
    Options, RemoteDocument,
};
use json_syntax::Parse;
use oxrdf::{BlankNode, GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term, Triple};
use thiserror::Error;

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

/// How much context text one call may load, in bytes. Each load re-processes a whole context
/// (the schema.org one is 200 kB), and the processor loads again for every node that carries
/// its own `@context`, so a document of many small nodes each naming a big context would
/// otherwise cost far more CPU than its size suggests. 4 MiB is five hundred loads of the
/// ActivityStreams context (a collection page of embedded objects each with its own
/// `@context`), or twenty of schema.org's; measured at about 130 ms in a release build.
const MAX_CONTEXT_BYTES: usize = 4 << 20;

/// How deep [`compact_triples`] nests embedded nodes; deeper chains are emitted as separate
/// top-level nodes, which keeps the (recursive) compaction algorithm's stack bounded.
const MAX_EMBED_DEPTH: usize = 32;

/// Nesting accepted whatever [`JsonLdLimits::max_depth`] says, so that the worker stack stays
/// reasonable (see [`isolated`]).
const HARD_MAX_DEPTH: usize = 512;

/// Worker stack: a base plus a budget per level of JSON nesting. The `json-ld` algorithms
/// recurse once or more per level through nested futures; unoptimised builds were measured at
/// about 130 KiB per nested node object (release builds use far less), so this is twice that.
const STACK_BASE: usize = 2 << 20;
const STACK_PER_LEVEL: usize = 256 << 10;

/// Limits applied to untrusted JSON-LD: input size and nesting are checked before parsing, the
/// literal and quad limits on the produced RDF (or on the expanded form for [`expand`] and
/// [`compact`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonLdLimits {
    /// Largest input, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of JSON arrays and objects.
    pub max_depth: usize,
    /// Longest literal, in bytes.
    pub max_literal_bytes: usize,
    /// Most quads (for expansion and compaction: most property values).
    pub max_quads: usize,
}

impl Default for JsonLdLimits {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 64,
            max_literal_bytes: 64 * 1024,
            max_quads: 100_000,
        }
    }
}

/// Why a JSON-LD document could not be processed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum JsonLdError {
    /// The text is not JSON; `line` and `column` start at 1 (the column counts characters).
    #[error("invalid JSON: {message} (line {line}, column {column})")]
    Syntax {
        /// What is wrong.
        message: String,
        /// Line of the error, from 1.
        line: usize,
        /// Column of the error, from 1.
        column: usize,
    },
    /// The document uses a remote context that is not bundled; it was refused, never fetched.
    #[error("unknown JSON-LD context <{0}>: only bundled contexts are used, none is fetched")]
    UnknownContext(String),
    /// The JSON nests arrays and objects deeper than the limit (carried here).
    #[error("the JSON nests deeper than {0} levels")]
    TooDeep(usize),
    /// A size limit was exceeded; the message names the limit.
    #[error("{0}")]
    TooLarge(String),
    /// Any other JSON-LD processing error; the message says what.
    #[error("invalid JSON-LD: {0}")]
    Invalid(String),
}

/// The contexts the processor may use: bundled ones and those added with
/// [`ContextLoader::with_context`]; anything else is refused, nothing is ever fetched.
/// Cloning is cheap (the parsed documents are shared).
#[derive(Clone)]
pub struct ContextLoader {
    documents: Arc<HashMap<String, Arc<ContextDocument>>>,
}

impl fmt::Debug for ContextLoader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut iris: Vec<&String> = self.documents.keys().collect();
        iris.sort();
        f.debug_struct("ContextLoader")
            .field("contexts", &iris)
            .finish()
    }
}

impl Default for ContextLoader {
    fn default() -> Self {
        Self::bundled()
    }
}

/// A parsed context document and the size of its text (what a load costs).
struct ContextDocument {
    json: json_syntax::Value,
    bytes: usize,
}

/// The bundled context documents and the IRIs each is known under.
const BUNDLED: &[(&str, &[&str])] = &[
    (kommon_vocab::CONTEXT_JSONLD, &[kommon_vocab::CONTEXT_IRI]),
    (
        include_str!("../contexts/activitystreams.jsonld"),
        &[
            "https://www.w3.org/ns/activitystreams",
            "https://www.w3.org/ns/activitystreams.jsonld",
            "http://www.w3.org/ns/activitystreams",
            "http://www.w3.org/ns/activitystreams.jsonld",
        ],
    ),
    (
        include_str!("../contexts/security-v1.jsonld"),
        &["https://w3id.org/security/v1"],
    ),
    (
        include_str!("../contexts/security-v2.jsonld"),
        &["https://w3id.org/security/v2"],
    ),
    (
        include_str!("../contexts/schemaorg.jsonld"),
        &[
            "http://schema.org",
            "https://schema.org",
            "http://schema.org/",
            "https://schema.org/",
            "https://schema.org/docs/jsonldcontext.json",
        ],
    ),
    (
        include_str!("../contexts/joinmastodon.jsonld"),
        &["http://joinmastodon.org/ns"],
    ),
    (
        include_str!("../contexts/solid-notification.jsonld"),
        &["https://www.w3.org/ns/solid/notification/v1"],
    ),
    (
        include_str!("../contexts/webfinger.jsonld"),
        &["https://purl.archive.org/socialweb/webfinger"],
    ),
];

impl ContextLoader {
    /// A loader with the bundled contexts: ActivityStreams, security v1 and v2, schema.org,
    /// Mastodon's `toot` terms, Solid notifications and WebFinger, under their usual IRIs.
    /// They are parsed once per process; later calls share them.
    pub fn bundled() -> Self {
        static BUNDLED_LOADER: OnceLock<ContextLoader> = OnceLock::new();
        BUNDLED_LOADER
            .get_or_init(|| {
                let mut documents = HashMap::new();
                for (text, iris) in BUNDLED {
                    match parse_context_document(text) {
                        Ok(doc) => {
                            for iri in *iris {
                                documents.insert((*iri).to_owned(), Arc::clone(&doc));
                            }
                        }
                        // Only reachable if a bundled file is broken; the test suite checks
                        // that every bundled IRI is known, so this is logged, not fatal.
                        Err(e) => tracing::error!(?iris, error = %e, "bundled JSON-LD context"),
                    }
                }
                ContextLoader {
                    documents: Arc::new(documents),
                }
            })
            .clone()
    }

    /// Adds (or replaces) the context document known under `iri`, such as Kommon's own context
    /// or the alias a server serves at `/.well-known/context.jsonld`. `json` is a context
    /// document (`{"@context": ...}`); a bare context object without `@context` is wrapped.
    pub fn with_context(mut self, iri: &str, json: &str) -> Result<Self, JsonLdError> {
        IriBuf::new(iri.to_owned())
            .map_err(|_| JsonLdError::Invalid(format!("<{iri}> is not an absolute IRI")))?;
        let doc = parse_context_document(json)?;
        Arc::make_mut(&mut self.documents).insert(iri.to_owned(), doc);
        Ok(self)
    }

    /// Whether a context document is known under exactly this IRI.
    pub fn knows(&self, iri: &str) -> bool {
        self.documents.contains_key(iri)
    }

    fn get(&self, iri: &str) -> Option<&Arc<ContextDocument>> {
        self.documents.get(iri)
    }

    /// The `@context` values of the named context documents, to embed in a document for
    /// processors that cannot fetch them (offline, or behind a firewall): an array with one
    /// context object per IRI, `None` if one is unknown.
    pub fn inline(&self, iris: &[&str]) -> Option<serde_json::Value> {
        let mut out = Vec::with_capacity(iris.len());
        for iri in iris {
            let doc = self.get(iri)?;
            let text = doc.json.to_string();
            let value: serde_json::Value = serde_json::from_str(&text).ok()?;
            out.push(value.get("@context")?.clone());
        }
        Some(serde_json::Value::Array(out))
    }
}

/// Parses a context document, wrapping a bare context object, and checks that its `@context`
/// is syntactically a JSON-LD context.
fn parse_context_document(json: &str) -> Result<Arc<ContextDocument>, JsonLdError> {
    let limits = JsonLdLimits::default();
    let value = parse_untrusted(json, &limits)?;
    let value = match value {
        json_syntax::Value::Object(o) if o.get("@context").next().is_none() => {
            let mut wrapper = json_syntax::Object::new();
            wrapper.insert("@context".into(), json_syntax::Value::Object(o));
            json_syntax::Value::Object(wrapper)
        }
        json_syntax::Value::Object(o) => json_syntax::Value::Object(o),
        _ => {
            return Err(JsonLdError::Invalid(
                "a context document must be a JSON object".to_owned(),
            ));
        }
    };
    value
        .clone()
        .into_ld_context()
        .map_err(|e| JsonLdError::Invalid(format!("invalid context document: {e}")))?;
    Ok(Arc::new(ContextDocument {
        json: value,
        bytes: json.len(),
    }))
}

/// The loader handed to the `json-ld` algorithms for one call: it serves the
/// [`ContextLoader`]'s documents, counts loads, and remembers the first refusal so that the
/// caller gets [`JsonLdError::UnknownContext`] however deep the crate nests its error.
struct CallLoader<'a> {
    contexts: &'a ContextLoader,
    loaded_bytes: Cell<usize>,
    failure: Cell<Option<JsonLdError>>,
}

#[derive(Debug, Error)]
#[error("{0}")]
struct Refused(&'static str);

impl<'a> CallLoader<'a> {
    fn new(contexts: &'a ContextLoader) -> Self {
        Self {
            contexts,
            loaded_bytes: Cell::new(0),
            failure: Cell::new(None),
        }
    }

    fn record(&self, error: JsonLdError) {
        let first = self.failure.take();
        self.failure.set(Some(first.unwrap_or(error)));
    }

    /// The error to report for a failed `json-ld` call: a recorded refusal wins over the
    /// crate's (less precise) message; otherwise the JSON-LD error code and the crate's detail,
    /// whose nested wrappers repeat "Expansion failed: ".
    fn error(&self, code: ErrorCode, crate_error: impl fmt::Display) -> JsonLdError {
        if let Some(refusal) = self.failure.take() {
            return refusal;
        }
        let mut detail = crate_error.to_string();
        const REPEATED: &str = "Expansion failed: Expansion failed: ";
        while detail.contains(REPEATED) {
            detail = detail.replace(REPEATED, "Expansion failed: ");
        }
        JsonLdError::Invalid(format!("{code} ({detail})"))
    }
}

impl Loader for CallLoader<'_> {
    async fn load(&self, url: &Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        let Some(doc) = self.contexts.get(url.as_str()) else {
            self.record(JsonLdError::UnknownContext(url.as_str().to_owned()));
            return Err(LoadError::new(
                url.to_owned(),
                Refused("context not bundled"),
            ));
        };
        let loaded = self.loaded_bytes.get().saturating_add(doc.bytes);
        self.loaded_bytes.set(loaded);
        if loaded > MAX_CONTEXT_BYTES {
            self.record(JsonLdError::TooLarge(format!(
                "the document's contexts add up to more than {MAX_CONTEXT_BYTES} bytes"
            )));
            return Err(LoadError::new(url.to_owned(), Refused("too much context")));
        }
        Ok(RemoteDocument::new(
            Some(url.to_owned()),
            None,
            doc.json.clone(),
        ))
    }
}

/// Drives a `json-ld` future to completion on the current thread. The loader is in memory, so
/// the futures never wait on anything; this poll loop (rather than
/// `futures::executor::block_on`) also works when called from inside another executor, where
/// `block_on` panics, and inside a tokio runtime.
fn run<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

/// Runs `work` on a scoped worker thread whose stack fits `depth` levels of nesting.
///
/// The `json-ld` algorithms recurse on document nesting, and the caller's stack (a tokio worker
/// has 2 MiB) is unknown: overflowing it would abort the whole process, so the work gets a
/// stack sized for the depth the limits allow (reserved address space, touched only as used).
/// A panic inside the processor is also contained here and reported as an error.
fn isolated<R: Send>(
    depth: usize,
    work: impl FnOnce() -> Result<R, JsonLdError> + Send,
) -> Result<R, JsonLdError> {
    let stack = STACK_BASE.saturating_add(depth.saturating_mul(STACK_PER_LEVEL));
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("kommon-jsonld".to_owned())
            .stack_size(stack)
            .spawn_scoped(scope, work)
            .map_err(|e| JsonLdError::Invalid(format!("could not start a JSON-LD worker: {e}")))?;
        worker.join().unwrap_or_else(|_| {
            Err(JsonLdError::Invalid(
                "the JSON-LD processor failed unexpectedly on this document".to_owned(),
            ))
        })
    })
}

/// The nesting limit actually applied.
fn max_depth(limits: &JsonLdLimits) -> usize {
    limits.max_depth.min(HARD_MAX_DEPTH)
}

/// Size and nesting checks, by an iterative byte scan, before any parser sees the text.
fn check_shape(json: &str, limits: &JsonLdLimits) -> Result<(), JsonLdError> {
    if json.len() > limits.max_bytes {
        return Err(JsonLdError::TooLarge(format!(
            "the JSON-LD document is {} bytes, over the max_bytes limit of {}",
            json.len(),
            limits.max_bytes
        )));
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth(limits) {
                    return Err(JsonLdError::TooDeep(max_depth(limits)));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Checks and parses untrusted JSON text.
fn parse_untrusted(json: &str, limits: &JsonLdLimits) -> Result<json_syntax::Value, JsonLdError> {
    check_shape(json, limits)?;
    // A byte-order mark is harmless and some clients send one.
    let (text, skipped) = match json.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (json, 0),
    };
    json_syntax::Value::parse_str(text)
        .map(|(value, _)| value)
        .map_err(|e| {
            let (line, column) = line_column(json, e.position() + skipped);
            JsonLdError::Syntax {
                message: e.to_string(),
                line,
                column,
            }
        })
}

fn parse_base(base_iri: Option<&str>) -> Result<Option<IriBuf>, JsonLdError> {
    base_iri
        .map(|b| {
            IriBuf::new(b.to_owned())
                .map_err(|_| JsonLdError::Invalid(format!("base <{b}> is not an absolute IRI")))
        })
        .transpose()
}

/// Processor options: JSON-LD 1.1, deterministic key order, no base for compaction (the
/// crate relativises IRIs against any base it has, whatever `compact_to_relative` says).
fn options() -> Options<IriBuf> {
    Options {
        ordered: true,
        compact_to_relative: false,
        ..Options::default()
    }
}

/// JSON-LD → RDF (the toRdf algorithm). Relative IRIs are resolved against `base_iri`; blank
/// nodes become `oxrdf` blank nodes labelled `b0`, `b1`, … (the same labels for the same
/// document; the store scopes them to it); default-graph triples get
/// [`GraphName::DefaultGraph`].
pub fn to_rdf(
    json: &str,
    base_iri: Option<&str>,
    loader: &ContextLoader,
    limits: &JsonLdLimits,
) -> Result<Vec<Quad>, JsonLdError> {
    check_shape(json, limits)?;
    isolated(max_depth(limits), || {
        to_rdf_inner(json, base_iri, loader, limits)
    })
}

fn to_rdf_inner(
    json: &str,
    base_iri: Option<&str>,
    loader: &ContextLoader,
    limits: &JsonLdLimits,
) -> Result<Vec<Quad>, JsonLdError> {
    let value = parse_untrusted(json, limits)?;
    let base = parse_base(base_iri)?;
    let document = RemoteDocument::new(base, None, value);
    let call = CallLoader::new(loader);
    let generator = rdf_types::generator::Blank::new_with_prefix("b".to_owned());
    let mut rdf = run(document.to_rdf_using(generator, &call, options()))
        .map_err(|e| call.error(e.code(), e))?;

    let mut blanks: HashMap<String, BlankNode> = HashMap::new();
    let mut out = Vec::new();
    for rdf_types::Quad(s, p, o, g) in rdf.cloned_quads() {
        if out.len() >= limits.max_quads {
            return Err(JsonLdError::TooLarge(format!(
                "the JSON-LD document has more than {} quads (max_quads)",
                limits.max_quads
            )));
        }
        // Blank-node predicates (generalized RDF) are not produced with default options.
        let rdf_types::Id::Iri(p) = p else { continue };
        let subject = match s {
            rdf_types::Id::Iri(i) => NamedOrBlankNode::NamedNode(named_node(i.as_str())?),
            rdf_types::Id::Blank(b) => {
                NamedOrBlankNode::BlankNode(blank_node(&mut blanks, b.as_str()))
            }
        };
        let object = match o {
            rdf_types::Term::Id(rdf_types::Id::Iri(i)) => Term::NamedNode(named_node(i.as_str())?),
            rdf_types::Term::Id(rdf_types::Id::Blank(b)) => {
                Term::BlankNode(blank_node(&mut blanks, b.as_str()))
            }
            rdf_types::Term::Literal(l) => {
                if l.value.len() > limits.max_literal_bytes {
                    return Err(literal_too_large(l.value.len(), limits));
                }
                Term::Literal(match l.type_ {
                    rdf_types::LiteralType::Any(dt) if dt.as_str() == XSD_STRING => {
                        Literal::new_simple_literal(l.value)
                    }
                    rdf_types::LiteralType::Any(dt) => {
                        Literal::new_typed_literal(l.value, named_node(dt.as_str())?)
                    }
                    rdf_types::LiteralType::LangString(tag) => {
                        Literal::new_language_tagged_literal(l.value, tag.as_str())
                            .map_err(|e| JsonLdError::Invalid(format!("language tag {tag}: {e}")))?
                    }
                })
            }
        };
        let graph_name = match g {
            None => GraphName::DefaultGraph,
            Some(rdf_types::Id::Iri(i)) => GraphName::NamedNode(named_node(i.as_str())?),
            Some(rdf_types::Id::Blank(b)) => {
                GraphName::BlankNode(blank_node(&mut blanks, b.as_str()))
            }
        };
        out.push(Quad::new(
            subject,
            named_node(p.as_str())?,
            object,
            graph_name,
        ));
    }
    Ok(out)
}

fn literal_too_large(len: usize, limits: &JsonLdLimits) -> JsonLdError {
    JsonLdError::TooLarge(format!(
        "a literal of {len} bytes is over the max_literal_bytes limit of {}",
        limits.max_literal_bytes
    ))
}

fn named_node(iri: &str) -> Result<NamedNode, JsonLdError> {
    NamedNode::new(iri).map_err(|e| JsonLdError::Invalid(format!("IRI <{iri}>: {e}")))
}

/// The `oxrdf` blank node for a `json-ld` label (`_:b0`); a label `oxrdf` would reject gets a
/// fresh node, the same one for every occurrence.
fn blank_node(blanks: &mut HashMap<String, BlankNode>, label: &str) -> BlankNode {
    if let Some(b) = blanks.get(label) {
        return b.clone();
    }
    let id = label.strip_prefix("_:").unwrap_or(label);
    let node = BlankNode::new(id).unwrap_or_default();
    blanks.insert(label.to_owned(), node.clone());
    node
}

/// Expands an untrusted document (relative IRIs resolved against `base_iri`) and checks the
/// literal and statement limits on the result.
fn expand_document(
    json: &str,
    base_iri: Option<&str>,
    call: &CallLoader<'_>,
    limits: &JsonLdLimits,
) -> Result<ExpandedDocument, JsonLdError> {
    let value = parse_untrusted(json, limits)?;
    let base = parse_base(base_iri)?;
    let document = RemoteDocument::new(base, None, value);
    let expanded =
        run(document.expand_using(call, options())).map_err(|e| call.error(e.code(), e))?;
    Ok(expanded)
}

fn expanded_to_json(doc: ExpandedDocument) -> json_syntax::Value {
    json_syntax::Value::Array(
        doc.into_iter()
            .map(|object| object.into_json_with(&()))
            .collect(),
    )
}

/// The literal and statement limits on an expanded document: `@value` strings are literals,
/// and every value of a property counts as one statement. Iterative, like the input scan.
fn check_expanded(value: &json_syntax::Value, limits: &JsonLdLimits) -> Result<(), JsonLdError> {
    let mut statements = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            json_syntax::Value::Array(items) => stack.extend(items.iter()),
            json_syntax::Value::Object(object) => {
                for entry in object.iter() {
                    let key = entry.key.as_str();
                    if key == "@value" {
                        if let json_syntax::Value::String(s) = &entry.value
                            && s.len() > limits.max_literal_bytes
                        {
                            return Err(literal_too_large(s.len(), limits));
                        }
                    } else if !key.starts_with('@') {
                        statements += match &entry.value {
                            json_syntax::Value::Array(items) => items.len(),
                            _ => 1,
                        };
                        if statements > limits.max_quads {
                            return Err(JsonLdError::TooLarge(format!(
                                "the JSON-LD document has more than {} statements (max_quads)",
                                limits.max_quads
                            )));
                        }
                    }
                    stack.push(&entry.value);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Expansion of an untrusted document (relative IRIs resolved against `base_iri`), returned as
/// the expanded JSON-LD array.
pub fn expand(
    json: &str,
    base_iri: Option<&str>,
    loader: &ContextLoader,
    limits: &JsonLdLimits,
) -> Result<serde_json::Value, JsonLdError> {
    check_shape(json, limits)?;
    isolated(max_depth(limits), || {
        let call = CallLoader::new(loader);
        let expanded = expanded_to_json(expand_document(json, base_iri, &call, limits)?);
        check_expanded(&expanded, limits)?;
        Ok(to_serde(expanded))
    })
}

/// Compaction of an untrusted JSON-LD document (relative IRIs resolved against `base_iri`) with
/// the given context IRIs, with the same output rules as [`compact_triples`]: `@context` is the
/// IRI (or array of IRIs), never an embedded context, and IRIs stay absolute.
pub fn compact(
    json: &str,
    base_iri: Option<&str>,
    context: &[&str],
    loader: &ContextLoader,
    limits: &JsonLdLimits,
) -> Result<serde_json::Value, JsonLdError> {
    let ld_context = context_reference(context, loader)?;
    check_shape(json, limits)?;
    isolated(max_depth(limits), || {
        let call = CallLoader::new(loader);
        let expanded = expand_document(json, base_iri, &call, limits)?;
        check_expanded(&expanded_to_json(expanded.clone()), limits)?;
        let compacted = compact_expanded(&expanded, &ld_context, &call)?;
        Ok(finish_compacted(compacted, context))
    })
}

/// The JSON-LD context made of the given IRIs, each of which must be known to the loader.
fn context_reference(context: &[&str], loader: &ContextLoader) -> Result<LdContext, JsonLdError> {
    let mut entries = Vec::with_capacity(context.len());
    for iri in context {
        if !loader.knows(iri) {
            return Err(JsonLdError::UnknownContext((*iri).to_owned()));
        }
        let iri_ref = json_ld::IriRefBuf::new((*iri).to_owned())
            .map_err(|_| JsonLdError::Invalid(format!("<{iri}> is not an IRI")))?;
        entries.push(ContextEntry::IriRef(iri_ref));
    }
    // One IRI is the single-entry form, what `"@context": "iri"` parses to.
    Ok(match <[ContextEntry; 1]>::try_from(entries) {
        Ok([one]) => LdContext::One(one),
        Err(entries) => LdContext::Many(entries),
    })
}

fn compact_expanded(
    expanded: &ExpandedDocument,
    context: &LdContext,
    call: &CallLoader<'_>,
) -> Result<json_syntax::Value, JsonLdError> {
    let opts = options();
    run(async {
        let active = json_ld::Context::<IriBuf>::new(None);
        let processed = context
            .process_full(
                &mut (),
                &active,
                call,
                None,
                opts.context_processing_options(),
                (),
            )
            .await
            .map_err(|e| call.error(e.code(), e))?;
        expanded
            .compact_full(&mut (), processed.as_ref(), call, opts.compaction_options())
            .await
            .map_err(|e| call.error(e.code(), e))
    })
}

/// Puts the context reference(s) as `@context` (first), replacing whatever the crate embedded.
fn finish_compacted(compacted: json_syntax::Value, context: &[&str]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    match context {
        [] => {}
        [one] => {
            out.insert("@context".to_owned(), serde_json::Value::from(*one));
        }
        many => {
            out.insert(
                "@context".to_owned(),
                serde_json::Value::Array(many.iter().map(|i| (*i).into()).collect()),
            );
        }
    }
    match to_serde(compacted) {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k != "@context" {
                    out.insert(k, v);
                }
            }
        }
        serde_json::Value::Null => {}
        // The crate wraps arrays in @graph; anything else would be a bug upstream, and is
        // kept rather than dropped.
        other => {
            out.insert("@graph".to_owned(), other);
        }
    }
    serde_json::Value::Object(out)
}

/// An object of a node map: a node reference or an expanded value object.
enum Obj {
    Ref(String),
    Value(serde_json::Value),
}

/// A node's types and properties, with objects in input order (duplicates removed).
#[derive(Default)]
struct NodeEntry {
    types: Vec<String>,
    properties: BTreeMap<String, Vec<Obj>>,
}

/// Graph name (`None` for the default graph) → subject id → node.
type NodeMap = BTreeMap<Option<String>, BTreeMap<String, NodeEntry>>;

fn subject_id(s: &NamedOrBlankNode) -> String {
    match s {
        NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
        NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}

fn literal_value(l: &Literal) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    o.insert("@value".to_owned(), l.value().into());
    if let Some(lang) = l.language() {
        o.insert("@language".to_owned(), lang.into());
    } else if l.datatype().as_str() != XSD_STRING {
        o.insert("@type".to_owned(), l.datatype().as_str().into());
    }
    serde_json::Value::Object(o)
}

/// Adds one triple to the node map (the fromRdf algorithm with `useRdfType` and
/// `useNativeTypes` false); returns the id of the object when it is a node.
fn add_to_node_map(
    graph: &mut BTreeMap<String, NodeEntry>,
    subject: &NamedOrBlankNode,
    predicate: &NamedNode,
    object: &Term,
) -> Result<Option<String>, JsonLdError> {
    let node = graph.entry(subject_id(subject)).or_default();
    #[allow(unreachable_patterns)] // RDF 1.2 triple terms exist only with oxrdf's rdf-12 feature.
    let (obj, id) = match object {
        Term::NamedNode(n) => (Obj::Ref(n.as_str().to_owned()), Some(n.as_str().to_owned())),
        Term::BlankNode(b) => {
            let id = format!("_:{}", b.as_str());
            (Obj::Ref(id.clone()), Some(id))
        }
        Term::Literal(l) => (Obj::Value(literal_value(l)), None),
        _ => {
            return Err(JsonLdError::Invalid(
                "triple terms cannot be written as JSON-LD".to_owned(),
            ));
        }
    };
    if predicate.as_str() == RDF_TYPE
        && let Obj::Ref(t) = obj
    {
        node.types.push(t);
        return Ok(None);
    }
    node.properties
        .entry(predicate.as_str().to_owned())
        .or_default()
        .push(obj);
    Ok(id)
}

fn obj_to_json(obj: &Obj) -> serde_json::Value {
    match obj {
        Obj::Ref(id) => serde_json::json!({ "@id": id }),
        Obj::Value(v) => v.clone(),
    }
}

/// A flat node object (no embedding).
fn flat_node(id: &str, node: &NodeEntry) -> serde_json::Map<String, serde_json::Value> {
    let mut o = serde_json::Map::new();
    o.insert("@id".to_owned(), id.into());
    if !node.types.is_empty() {
        o.insert(
            "@type".to_owned(),
            serde_json::Value::Array(
                node.types
                    .iter()
                    .map(|t| serde_json::Value::from(t.as_str()))
                    .collect(),
            ),
        );
    }
    for (p, objects) in &node.properties {
        o.insert(p.clone(), objects.iter().map(obj_to_json).collect());
    }
    o
}

/// RDF → expanded JSON-LD (the W3C fromRdf algorithm, `useNativeTypes` and `useRdfType`
/// false): `xsd:string` literals are plain `@value`s, language-tagged ones carry `@language`,
/// others `@type`; `rdf:type` becomes `@type`; a named graph is the `@graph` of the node named
/// like it. Output is ordered by subject. Lists stay as `rdf:first` / `rdf:rest` nodes and
/// `rdf:JSON` literals as typed strings, which round-trips every triple unchanged.
pub fn from_rdf(quads: &[Quad]) -> Result<serde_json::Value, JsonLdError> {
    let mut seen: HashSet<&Quad> = HashSet::with_capacity(quads.len());
    let mut map: NodeMap = BTreeMap::new();
    for q in quads {
        if !seen.insert(q) {
            continue;
        }
        let graph_key = match &q.graph_name {
            GraphName::DefaultGraph => None,
            GraphName::NamedNode(n) => Some(n.as_str().to_owned()),
            GraphName::BlankNode(b) => Some(format!("_:{}", b.as_str())),
        };
        let graph = map.entry(graph_key).or_default();
        add_to_node_map(graph, &q.subject, &q.predicate, &q.object)?;
    }
    let empty = BTreeMap::new();
    let default_graph = map.get(&None).unwrap_or(&empty);
    let mut top: BTreeSet<&str> = default_graph.keys().map(String::as_str).collect();
    top.extend(map.keys().flatten().map(String::as_str));
    let mut result = Vec::with_capacity(top.len());
    for id in top {
        let mut object = match default_graph.get(id) {
            Some(node) => flat_node(id, node),
            None => {
                let mut o = serde_json::Map::new();
                o.insert("@id".to_owned(), id.into());
                o
            }
        };
        if let Some(graph) = map.get(&Some(id.to_owned())) {
            let nodes = graph
                .iter()
                .map(|(sid, node)| serde_json::Value::Object(flat_node(sid, node)))
                .collect();
            object.insert("@graph".to_owned(), serde_json::Value::Array(nodes));
        }
        result.push(serde_json::Value::Object(object));
    }
    Ok(serde_json::Value::Array(result))
}

/// Builds the expanded form of a graph with nodes embedded under their only referrer.
struct Embedder<'a> {
    nodes: &'a BTreeMap<String, NodeEntry>,
    references: HashMap<String, usize>,
    root: Option<&'a str>,
    emitted: HashSet<String>,
}

impl Embedder<'_> {
    /// Nodes referenced exactly once (not through `@type`), other than the root, are written
    /// inside their referrer: blank nodes without `@id` (the ActivityPub shape of `endpoints`
    /// or a blank `publicKey`), named ones with it (a `publicKey` named `#main-key`, the
    /// `object` of an activity).
    fn embeddable(&self, id: &str) -> bool {
        self.references.get(id) == Some(&1) && Some(id) != self.root && self.nodes.contains_key(id)
    }

    fn render(&mut self, id: &str, keep_id: bool, depth: usize) -> serde_json::Value {
        self.emitted.insert(id.to_owned());
        let mut o = serde_json::Map::new();
        let Some(node) = self.nodes.get(id) else {
            o.insert("@id".to_owned(), id.into());
            return serde_json::Value::Object(o);
        };
        if keep_id || !id.starts_with("_:") {
            o.insert("@id".to_owned(), id.into());
        }
        if !node.types.is_empty() {
            o.insert(
                "@type".to_owned(),
                serde_json::Value::Array(
                    node.types
                        .iter()
                        .map(|t| serde_json::Value::from(t.as_str()))
                        .collect(),
                ),
            );
        }
        for (p, objects) in &node.properties {
            let mut values = Vec::with_capacity(objects.len());
            for obj in objects {
                values.push(match obj {
                    Obj::Ref(target)
                        if depth < MAX_EMBED_DEPTH
                            && self.embeddable(target)
                            && !self.emitted.contains(target) =>
                    {
                        self.render(target, false, depth + 1)
                    }
                    other => obj_to_json(other),
                });
            }
            o.insert(p.clone(), serde_json::Value::Array(values));
        }
        serde_json::Value::Object(o)
    }
}

/// RDF → compacted JSON-LD for serving documents. `context` lists the context IRIs (each known
/// to `loader`) to compact with; they become `"@context"` as given (a string if one, an array
/// if several), never an embedded context, and IRIs stay absolute. Every node referenced exactly
/// once is nested under its referrer (blank nodes without `@id`), as ActivityPub clients expect
/// of `publicKey` and `endpoints`. If `root` is a subject, the output is that node object, or
/// `{"@context", "@graph": [root, others…]}` when other top-level nodes remain; nothing is
/// dropped, so `to_rdf` of the output is isomorphic to the input.
pub fn compact_triples(
    triples: &[Triple],
    root: Option<&str>,
    context: &[&str],
    loader: &ContextLoader,
) -> Result<serde_json::Value, JsonLdError> {
    let ld_context = context_reference(context, loader)?;

    let mut seen: HashSet<&Triple> = HashSet::with_capacity(triples.len());
    let mut nodes: BTreeMap<String, NodeEntry> = BTreeMap::new();
    let mut references: HashMap<String, usize> = HashMap::new();
    for t in triples {
        if !seen.insert(t) {
            continue;
        }
        if let Some(target) = add_to_node_map(&mut nodes, &t.subject, &t.predicate, &t.object)? {
            *references.entry(target).or_default() += 1;
        }
    }
    let root = root.filter(|r| nodes.contains_key(*r));
    let mut embedder = Embedder {
        nodes: &nodes,
        references,
        root,
        emitted: HashSet::new(),
    };

    let mut top = Vec::new();
    if let Some(r) = root {
        top.push(embedder.render(r, true, 0));
    }
    let ids: Vec<&String> = nodes.keys().collect();
    for id in &ids {
        if Some(id.as_str()) != root && !embedder.embeddable(id) {
            let referenced = embedder.references.get(id.as_str()).copied().unwrap_or(0) > 0;
            top.push(embedder.render(id, referenced, 0));
        }
    }
    // Whatever is still unwritten sits on a cycle of singly-referenced nodes or past the
    // embedding depth: it goes top level with its @id, which its referrer points to.
    for id in &ids {
        if !embedder.emitted.contains(id.as_str()) {
            top.push(embedder.render(id, true, 0));
        }
    }

    let top = serde_json::Value::Array(top);
    // Embedded nodes nest two JSON levels each (a property array, then the node object).
    isolated(2 * MAX_EMBED_DEPTH + 4, || {
        let call = CallLoader::new(loader);
        let document = RemoteDocument::new(None, None, from_serde(&top));
        let expanded =
            run(document.expand_using(&call, options())).map_err(|e| call.error(e.code(), e))?;
        let compacted = compact_expanded(&expanded, &ld_context, &call)?;
        Ok(finish_compacted(compacted, context))
    })
}

/// `json_syntax` → `serde_json`. Recursion is bounded by the depth checks on input and by
/// [`MAX_EMBED_DEPTH`] on generated documents.
fn to_serde(value: json_syntax::Value) -> serde_json::Value {
    match value {
        json_syntax::Value::Null => serde_json::Value::Null,
        json_syntax::Value::Boolean(b) => serde_json::Value::Bool(b),
        json_syntax::Value::Number(n) => number_to_serde(n.as_str()),
        json_syntax::Value::String(s) => serde_json::Value::String(s.as_str().to_owned()),
        json_syntax::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(to_serde).collect())
        }
        json_syntax::Value::Object(object) => {
            let mut map = serde_json::Map::new();
            for entry in object {
                map.insert(entry.key.as_str().to_owned(), to_serde(entry.value));
            }
            serde_json::Value::Object(map)
        }
    }
}

/// A JSON number as `serde_json` holds it; one it cannot (beyond `f64`) stays a string, since
/// JSON-LD has no use for such numbers and failing on them would be worse.
fn number_to_serde(lexical: &str) -> serde_json::Value {
    if let Ok(n) = lexical.parse::<u64>() {
        return n.into();
    }
    if let Ok(n) = lexical.parse::<i64>() {
        return n.into();
    }
    match lexical
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
    {
        Some(n) => serde_json::Value::Number(n),
        None => serde_json::Value::String(lexical.to_owned()),
    }
}

/// `serde_json` → `json_syntax`, for documents this module generates.
fn from_serde(value: &serde_json::Value) -> json_syntax::Value {
    match value {
        serde_json::Value::Null => json_syntax::Value::Null,
        serde_json::Value::Bool(b) => json_syntax::Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.to_string().parse() {
            Ok(n) => json_syntax::Value::Number(n),
            Err(_) => json_syntax::Value::String(n.to_string().as_str().into()),
        },
        serde_json::Value::String(s) => json_syntax::Value::String(s.as_str().into()),
        serde_json::Value::Array(items) => {
            json_syntax::Value::Array(items.iter().map(from_serde).collect())
        }
        serde_json::Value::Object(map) => {
            let mut object = json_syntax::Object::new();
            for (k, v) in map {
                object.push(k.as_str().into(), from_serde(v));
            }
            json_syntax::Value::Object(object)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::Graph;
    use oxrdf::dataset::CanonicalizationAlgorithm;
    use serde_json::json;

    const AS: &str = "https://www.w3.org/ns/activitystreams";
    const SEC: &str = "https://w3id.org/security/v1";
    const AS_NS: &str = "https://www.w3.org/ns/activitystreams#";
    const SEC_NS: &str = "https://w3id.org/security#";
    const LDP_INBOX: &str = "http://www.w3.org/ns/ldp#inbox";

    fn nn(iri: &str) -> NamedNode {
        NamedNode::new(iri).expect("test IRI")
    }

    fn lit(s: &str) -> Term {
        Literal::new_simple_literal(s).into()
    }

    fn triples_of(quads: &[Quad]) -> Vec<Triple> {
        quads
            .iter()
            .map(|q| {
                assert!(q.graph_name.is_default_graph(), "unexpected graph in {q}");
                Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone())
            })
            .collect()
    }

    fn has(triples: &[Triple], s: &str, p: &str, o: &Term) -> bool {
        triples.iter().any(|t| {
            matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n.as_str() == s)
                && t.predicate.as_str() == p
                && &t.object == o
        })
    }

    fn canonical(triples: &[Triple]) -> Graph {
        let mut g = Graph::new();
        for t in triples {
            g.insert(t);
        }
        g.canonicalize(CanonicalizationAlgorithm::Unstable);
        g
    }

    fn rdf(json: &str, base: Option<&str>) -> Result<Vec<Quad>, JsonLdError> {
        to_rdf(
            json,
            base,
            &ContextLoader::bundled(),
            &JsonLdLimits::default(),
        )
    }

    /// to_rdf(compact_triples(g)) is isomorphic to g.
    fn assert_round_trip(triples: &[Triple], root: Option<&str>, context: &[&str]) {
        let loader = ContextLoader::bundled();
        let compacted = compact_triples(triples, root, context, &loader).expect("compact");
        let text = serde_json::to_string(&compacted).expect("serialise");
        let back = to_rdf(&text, None, &loader, &JsonLdLimits::default()).expect("to_rdf");
        assert_eq!(
            canonical(&triples_of(&back)),
            canonical(triples),
            "round trip changed the graph; compacted: {text}"
        );
    }

    const NOTE: &str = r#"{
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://example.com/notes/1",
        "type": "Note",
        "attributedTo": "https://example.com/users/alice",
        "content": "Hello <b>world</b>",
        "contentMap": {"fr": "Bonjour"},
        "published": "2024-01-02T03:04:05Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"]
    }"#;

    const ACTOR: &str = r#"{
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": "https://example.com/users/alice",
        "type": "Person",
        "preferredUsername": "alice",
        "inbox": "https://example.com/users/alice/inbox",
        "outbox": "https://example.com/users/alice/outbox",
        "publicKey": {
            "id": "https://example.com/users/alice#main-key",
            "owner": "https://example.com/users/alice",
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
        },
        "endpoints": {"sharedInbox": "https://example.com/inbox"}
    }"#;

    #[test]
    fn note_expands_and_converts_to_rdf() {
        let loader = ContextLoader::bundled();
        let expanded = expand(NOTE, None, &loader, &JsonLdLimits::default()).expect("expand");
        let node = &expanded[0];
        assert_eq!(node["@id"], "https://example.com/notes/1");
        assert_eq!(node["@type"], json!([format!("{AS_NS}Note")]));
        assert_eq!(
            node[format!("{AS_NS}attributedTo")],
            json!([{"@id": "https://example.com/users/alice"}])
        );

        let t = triples_of(&rdf(NOTE, None).expect("to_rdf"));
        let note = "https://example.com/notes/1";
        assert!(has(&t, note, RDF_TYPE, &nn(&format!("{AS_NS}Note")).into()));
        assert!(has(
            &t,
            note,
            &format!("{AS_NS}attributedTo"),
            &nn("https://example.com/users/alice").into()
        ));
        assert!(has(
            &t,
            note,
            &format!("{AS_NS}content"),
            &lit("Hello <b>world</b>")
        ));
        assert!(has(
            &t,
            note,
            &format!("{AS_NS}content"),
            &Literal::new_language_tagged_literal("Bonjour", "fr")
                .expect("lang")
                .into()
        ));
        assert!(has(
            &t,
            note,
            &format!("{AS_NS}published"),
            &Literal::new_typed_literal(
                "2024-01-02T03:04:05Z",
                nn("http://www.w3.org/2001/XMLSchema#dateTime")
            )
            .into()
        ));
        assert!(has(
            &t,
            note,
            &format!("{AS_NS}to"),
            &nn(&format!("{AS_NS}Public")).into()
        ));
        assert_eq!(t.len(), 6);
    }

    #[test]
    fn actor_converts_to_rdf_with_key_and_blank_endpoints() {
        let t = triples_of(&rdf(ACTOR, None).expect("to_rdf"));
        let alice = "https://example.com/users/alice";
        let key = "https://example.com/users/alice#main-key";
        assert!(has(
            &t,
            alice,
            RDF_TYPE,
            &nn(&format!("{AS_NS}Person")).into()
        ));
        assert!(has(
            &t,
            alice,
            LDP_INBOX,
            &nn("https://example.com/users/alice/inbox").into()
        ));
        assert!(has(
            &t,
            alice,
            &format!("{AS_NS}preferredUsername"),
            &lit("alice")
        ));
        assert!(has(
            &t,
            alice,
            &format!("{SEC_NS}publicKey"),
            &nn(key).into()
        ));
        assert!(has(&t, key, &format!("{SEC_NS}owner"), &nn(alice).into()));
        assert!(has(
            &t,
            key,
            &format!("{SEC_NS}publicKeyPem"),
            &lit("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n")
        ));
        // endpoints is a blank node carrying sharedInbox.
        let endpoints = t
            .iter()
            .find(|t| t.predicate.as_str() == format!("{AS_NS}endpoints"))
            .map(|t| t.object.clone());
        let Some(Term::BlankNode(b)) = endpoints else {
            panic!("endpoints should be a blank node: {t:?}");
        };
        assert_eq!(b.as_str(), "b0", "blank nodes are labelled b0, b1, …");
        assert!(
            t.iter()
                .any(|t| t.subject == NamedOrBlankNode::BlankNode(b.clone())
                    && t.predicate.as_str() == format!("{AS_NS}sharedInbox")
                    && t.object == nn("https://example.com/inbox").into())
        );
    }

    #[test]
    fn relative_iris_resolve_against_the_base() {
        let json = r#"{"@context": "https://www.w3.org/ns/activitystreams",
            "id": "", "type": "Note", "attributedTo": "../users/alice"}"#;
        let t = triples_of(&rdf(json, Some("https://example.com/notes/1")).expect("to_rdf"));
        assert!(has(
            &t,
            "https://example.com/notes/1",
            &format!("{AS_NS}attributedTo"),
            &nn("https://example.com/users/alice").into()
        ));
        assert!(matches!(
            rdf(json, Some("not a base")),
            Err(JsonLdError::Invalid(_))
        ));
    }

    fn actor_graph() -> Vec<Triple> {
        let alice = nn("https://example.com/users/alice");
        let key = BlankNode::new("k").expect("bnode");
        let endpoints = BlankNode::new("e").expect("bnode");
        vec![
            Triple::new(alice.clone(), nn(RDF_TYPE), nn(&format!("{AS_NS}Person"))),
            Triple::new(
                alice.clone(),
                nn(LDP_INBOX),
                nn("https://example.com/users/alice/inbox"),
            ),
            Triple::new(
                alice.clone(),
                nn(&format!("{AS_NS}outbox")),
                nn("https://example.com/users/alice/outbox"),
            ),
            Triple::new(
                alice.clone(),
                nn(&format!("{AS_NS}preferredUsername")),
                lit("alice"),
            ),
            Triple::new(
                alice.clone(),
                nn(&format!("{SEC_NS}publicKey")),
                key.clone(),
            ),
            Triple::new(key.clone(), nn(&format!("{SEC_NS}owner")), alice.clone()),
            Triple::new(key, nn(&format!("{SEC_NS}publicKeyPem")), lit("PEM")),
            Triple::new(
                alice.clone(),
                nn(&format!("{AS_NS}endpoints")),
                endpoints.clone(),
            ),
            Triple::new(
                endpoints,
                nn(&format!("{AS_NS}sharedInbox")),
                nn("https://example.com/inbox"),
            ),
            Triple::new(
                alice,
                nn(&format!("{AS_NS}to")),
                nn(&format!("{AS_NS}Public")),
            ),
        ]
    }

    #[test]
    fn actor_compacts_to_the_activitypub_shape() {
        let loader = ContextLoader::bundled();
        let g = actor_graph();
        let out = compact_triples(
            &g,
            Some("https://example.com/users/alice"),
            &[AS, SEC],
            &loader,
        )
        .expect("compact");
        assert_eq!(out["@context"], json!([AS, SEC]));
        assert_eq!(out["id"], "https://example.com/users/alice");
        assert_eq!(out["type"], "Person");
        assert_eq!(out["inbox"], "https://example.com/users/alice/inbox");
        assert_eq!(out["outbox"], "https://example.com/users/alice/outbox");
        assert_eq!(out["preferredUsername"], "alice");
        assert_eq!(out["publicKey"]["owner"], "https://example.com/users/alice");
        assert_eq!(out["publicKey"]["publicKeyPem"], "PEM");
        assert!(
            out["publicKey"].get("id").is_none(),
            "blank key has no id: {out}"
        );
        assert_eq!(
            out["endpoints"],
            json!({"sharedInbox": "https://example.com/inbox"})
        );
        assert!(out.get("@graph").is_none());
        // Compaction turns prefixed IRIs in @id positions into compact IRIs (standard JSON-LD).
        assert_eq!(out["to"], "as:Public");
        assert_round_trip(&g, Some("https://example.com/users/alice"), &[AS, SEC]);

        // One context: a string.
        let one = compact_triples(&g, Some("https://example.com/users/alice"), &[AS], &loader)
            .expect("compact");
        assert_eq!(one["@context"], json!(AS));
    }

    #[test]
    fn named_key_is_embedded_with_its_id() {
        let loader = ContextLoader::bundled();
        let t = triples_of(&rdf(ACTOR, None).expect("to_rdf"));
        let out = compact_triples(
            &t,
            Some("https://example.com/users/alice"),
            &[AS, SEC],
            &loader,
        )
        .expect("compact");
        assert_eq!(
            out["publicKey"]["id"],
            "https://example.com/users/alice#main-key"
        );
        assert_eq!(out["publicKey"]["owner"], "https://example.com/users/alice");
        assert_eq!(out["endpoints"]["sharedInbox"], "https://example.com/inbox");
        assert_round_trip(&t, Some("https://example.com/users/alice"), &[AS, SEC]);
    }

    #[test]
    fn other_subjects_go_to_graph_after_the_root() {
        let loader = ContextLoader::bundled();
        let mut g = actor_graph();
        g.push(Triple::new(
            nn("https://example.com/other"),
            nn(&format!("{AS_NS}name")),
            lit("other"),
        ));
        let out = compact_triples(
            &g,
            Some("https://example.com/users/alice"),
            &[AS, SEC],
            &loader,
        )
        .expect("compact");
        let graph = out["@graph"].as_array().expect("@graph");
        assert_eq!(graph.len(), 2);
        assert_eq!(graph[0]["id"], "https://example.com/users/alice");
        assert_eq!(graph[1]["id"], "https://example.com/other");
        assert_round_trip(&g, Some("https://example.com/users/alice"), &[AS, SEC]);
        // Without a root the same data is kept, in subject order.
        assert_round_trip(&g, None, &[AS, SEC]);
        // A root that is not a subject changes nothing.
        assert_round_trip(&g, Some("https://example.com/nobody"), &[AS]);
    }

    const POD_CONTEXT: &str = "https://pod.example/.well-known/context.jsonld";

    fn pod_graph() -> Vec<Triple> {
        let alice = nn("https://pod.example/alice");
        vec![
            Triple::new(alice.clone(), nn(RDF_TYPE), nn(&format!("{AS_NS}Person"))),
            Triple::new(
                alice.clone(),
                nn("http://www.w3.org/ns/pim/space#storage"),
                nn("https://pod.example/alice/data"),
            ),
            Triple::new(
                alice,
                nn("http://www.w3.org/ns/solid/terms#oidcIssuer"),
                nn("https://pod.example"),
            ),
        ]
    }

    #[test]
    fn custom_context_gives_prefixed_keys() {
        let loader = ContextLoader::bundled()
            .with_context(
                POD_CONTEXT,
                r#"{"@context": {"pim": "http://www.w3.org/ns/pim/space#",
                                  "solid": "http://www.w3.org/ns/solid/terms#"}}"#,
            )
            .expect("context");
        assert!(loader.knows(POD_CONTEXT));
        let g = pod_graph();
        let out = compact_triples(
            &g,
            Some("https://pod.example/alice"),
            &[AS, POD_CONTEXT],
            &loader,
        )
        .expect("compact");
        assert_eq!(out["@context"], json!([AS, POD_CONTEXT]));
        // Prefixes alone do not say the values are IRIs, so they are node objects.
        assert_eq!(
            out["pim:storage"],
            json!({"id": "https://pod.example/alice/data"})
        );
        assert_eq!(
            out["solid:oidcIssuer"],
            json!({"id": "https://pod.example"})
        );

        // With "@type": "@id" declared (as ActivityPods' context does) they are plain strings;
        // a bare context object is accepted too.
        let typed = ContextLoader::bundled()
            .with_context(
                POD_CONTEXT,
                r#"{"pim": "http://www.w3.org/ns/pim/space#",
                    "solid": "http://www.w3.org/ns/solid/terms#",
                    "pim:storage": {"@type": "@id"},
                    "solid:oidcIssuer": {"@type": "@id"}}"#,
            )
            .expect("context");
        let out = compact_triples(
            &g,
            Some("https://pod.example/alice"),
            &[AS, POD_CONTEXT],
            &typed,
        )
        .expect("compact");
        assert_eq!(out["pim:storage"], "https://pod.example/alice/data");
        assert_eq!(out["solid:oidcIssuer"], "https://pod.example");
        assert_eq!(out["type"], "Person");

        let back = to_rdf(
            &serde_json::to_string(&out).expect("json"),
            None,
            &typed,
            &JsonLdLimits::default(),
        )
        .expect("to_rdf");
        assert_eq!(canonical(&triples_of(&back)), canonical(&g));
    }

    #[test]
    fn compaction_never_uses_an_unknown_context() {
        let loader = ContextLoader::bundled();
        assert_eq!(
            compact_triples(
                &pod_graph(),
                None,
                &[AS, "https://example.org/ctx"],
                &loader
            ),
            Err(JsonLdError::UnknownContext(
                "https://example.org/ctx".to_owned()
            ))
        );
    }

    #[test]
    fn compact_keeps_iris_absolute() {
        let loader = ContextLoader::bundled();
        let json = r#"{"@context": "https://www.w3.org/ns/activitystreams",
            "id": "", "type": "Note", "attributedTo": "../users/alice",
            "replies": {"id": "replies", "type": "Collection"}}"#;
        let out = compact(
            json,
            Some("https://example.com/notes/1"),
            &[AS],
            &loader,
            &JsonLdLimits::default(),
        )
        .expect("compact");
        assert_eq!(out["@context"], json!(AS));
        assert_eq!(out["id"], "https://example.com/notes/1");
        assert_eq!(out["attributedTo"], "https://example.com/users/alice");
        assert_eq!(out["replies"]["id"], "https://example.com/notes/replies");
    }

    #[test]
    fn schema_org_context_expands() {
        let loader = ContextLoader::bundled();
        for iri in [
            "https://schema.org",
            "http://schema.org/",
            "https://schema.org/docs/jsonldcontext.json",
        ] {
            let json = format!(
                r#"{{"@context": "{iri}", "@type": "Person", "name": "Jane", "url": "https://jane.example"}}"#
            );
            let out = expand(&json, None, &loader, &JsonLdLimits::default()).expect("expand");
            assert_eq!(out[0]["@type"], json!(["http://schema.org/Person"]));
            assert_eq!(
                out[0]["http://schema.org/name"],
                json!([{"@value": "Jane"}])
            );
            assert_eq!(
                out[0]["http://schema.org/url"],
                json!([{"@id": "https://jane.example"}])
            );
        }
    }

    #[test]
    fn every_bundled_iri_is_known() {
        let loader = ContextLoader::bundled();
        for (_, iris) in BUNDLED {
            for iri in *iris {
                assert!(loader.knows(iri), "{iri}");
                let json = format!(r#"{{"@context": "{iri}", "@id": "https://x.example/"}}"#);
                expand(&json, None, &loader, &JsonLdLimits::default())
                    .unwrap_or_else(|e| panic!("{iri}: {e}"));
            }
        }
        assert!(!loader.knows("https://example.org/ctx"));
        // security v2 imports v1 through the loader.
        let json = r#"{"@context": "https://w3id.org/security/v2",
            "id": "https://x.example/k", "publicKeyPem": "PEM"}"#;
        let out = expand(json, None, &loader, &JsonLdLimits::default()).expect("expand");
        assert_eq!(
            out[0][format!("{SEC_NS}publicKeyPem")],
            json!([{"@value": "PEM"}])
        );
    }

    #[test]
    fn unknown_context_is_refused_without_network() {
        let loader = ContextLoader::bundled();
        let limits = JsonLdLimits::default();
        let unknown = JsonLdError::UnknownContext("https://example.org/ctx".to_owned());
        let top = r#"{"@context": "https://example.org/ctx", "name": "x"}"#;
        assert_eq!(to_rdf(top, None, &loader, &limits), Err(unknown.clone()));
        assert_eq!(expand(top, None, &loader, &limits), Err(unknown.clone()));
        assert_eq!(
            compact(top, None, &[AS], &loader, &limits),
            Err(unknown.clone())
        );
        let nested = r#"{"@context": ["https://www.w3.org/ns/activitystreams"],
            "type": "Create", "object": {"@context": "https://example.org/ctx", "name": "x"}}"#;
        assert_eq!(to_rdf(nested, None, &loader, &limits), Err(unknown.clone()));
        let imported = r#"{"@context": {"@import": "https://example.org/ctx"}, "name": "x"}"#;
        assert_eq!(
            to_rdf(imported, None, &loader, &limits),
            Err(unknown.clone())
        );
        let relative = r#"{"@context": "ctx.jsonld", "name": "x"}"#;
        assert_eq!(
            to_rdf(relative, Some("https://example.org/doc"), &loader, &limits),
            Err(JsonLdError::UnknownContext(
                "https://example.org/ctx.jsonld".to_owned()
            ))
        );
        drop(unknown);
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let err = rdf("{\n  \"a\": 1,\n  \"b\" 2\n}", None).expect_err("syntax");
        let JsonLdError::Syntax {
            line,
            column,
            message,
        } = err
        else {
            panic!("expected a syntax error, got {err:?}");
        };
        assert_eq!((line, column), (3, 7), "{message}");
        assert!(matches!(
            rdf("{} x", None),
            Err(JsonLdError::Syntax { line: 1, .. })
        ));
        assert!(matches!(
            rdf("", None),
            Err(JsonLdError::Syntax {
                line: 1,
                column: 1,
                ..
            })
        ));
        assert!(matches!(
            rdf("[\"é\", ]", None),
            Err(JsonLdError::Syntax {
                line: 1,
                column: 7,
                ..
            })
        ));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(rdf(&deep, None), Err(JsonLdError::TooDeep(64)));
        let objects = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
        assert_eq!(rdf(&objects, None), Err(JsonLdError::TooDeep(64)));
        // Brackets inside strings do not count.
        let in_string = format!(
            r#"{{"@id": "https://x.example/", "https://x.example/p": "{}"}}"#,
            "[".repeat(1000)
        );
        assert!(rdf(&in_string, None).is_ok());
    }

    #[test]
    fn limits_are_enforced() {
        let loader = ContextLoader::bundled();
        let big = format!(
            r#"{{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://x.example/", "content": "{}"}}"#,
            "a".repeat(100)
        );
        let small = JsonLdLimits {
            max_literal_bytes: 50,
            ..JsonLdLimits::default()
        };
        for result in [
            to_rdf(&big, None, &loader, &small).map(|_| ()),
            expand(&big, None, &loader, &small).map(|_| ()),
            compact(&big, None, &[AS], &loader, &small).map(|_| ()),
        ] {
            let Err(JsonLdError::TooLarge(message)) = result else {
                panic!("expected TooLarge, got {result:?}");
            };
            assert!(message.contains("max_literal_bytes"), "{message}");
        }

        let few = JsonLdLimits {
            max_quads: 3,
            ..JsonLdLimits::default()
        };
        let Err(JsonLdError::TooLarge(message)) = to_rdf(NOTE, None, &loader, &few) else {
            panic!("expected TooLarge");
        };
        assert!(message.contains("max_quads"), "{message}");

        let tiny = JsonLdLimits {
            max_bytes: 10,
            ..JsonLdLimits::default()
        };
        let Err(JsonLdError::TooLarge(message)) = to_rdf(NOTE, None, &loader, &tiny) else {
            panic!("expected TooLarge");
        };
        assert!(message.contains("max_bytes"), "{message}");

        // A context loaded again and again (once per node here) is cut off.
        let node = format!(r#"{{"@context": "{AS}", "id": "https://x.example/", "name": "n"}}"#);
        let loads = MAX_CONTEXT_BYTES / include_str!("../contexts/activitystreams.jsonld").len();
        let repeated = format!("[{}]", vec![node; loads + 1].join(","));
        let Err(JsonLdError::TooLarge(message)) =
            to_rdf(&repeated, None, &loader, &JsonLdLimits::default())
        else {
            panic!("expected TooLarge");
        };
        assert!(message.contains("contexts"), "{message}");
    }

    /// Documents nested right up to the default limit, in every shape that makes the
    /// algorithms recurse, are processed without overflowing the stack (this test runs on the
    /// test harness's 2 MiB thread, in an unoptimised build).
    #[test]
    fn documents_at_the_depth_limit_are_processed() {
        let loader = ContextLoader::bundled();
        let limits = JsonLdLimits::default();
        let depth = limits.max_depth;
        let nested_to = |open: &str, close: &str, levels: usize, leaf: &str| {
            let mut text = String::new();
            for i in 0..levels {
                text.push_str(&open.replace("{i}", &i.to_string()));
            }
            text.push_str(leaf);
            text.push_str(&close.repeat(levels));
            text
        };
        let nested =
            |open: &str, close: &str, levels: usize| nested_to(open, close, levels, "\"leaf\"");
        let shapes = [
            // Nested node objects.
            format!(
                r#"{{"@context": "{AS}", "id": "https://x.example/top", "object": {}}}"#,
                nested(
                    r#"{"id": "https://x.example/{i}", "object": "#,
                    "}",
                    depth - 1
                )
            ),
            // Nested blank nodes inside arrays.
            format!(
                r#"{{"@context": "{AS}", "object": {}}}"#,
                nested(r#"[{"name": "n", "object": "#, "}]", (depth - 2) / 2)
            ),
            // Nested lists.
            format!(
                r#"{{"@context": {{"l": {{"@id": "https://x.example/l", "@container": "@list"}}}}, "l": {}}}"#,
                nested("[", "]", depth - 1)
            ),
            // Nested arrays.
            format!(
                r#"{{"@id": "https://x.example/", "https://x.example/p": {}}}"#,
                nested("[", "]", depth - 1)
            ),
            // Nested graphs.
            format!(
                r#"{{"@context": "{AS}", "@graph": {}}}"#,
                nested_to(
                    r#"[{"id": "https://x.example/g{i}", "@graph": "#,
                    "}]",
                    (depth - 2) / 2,
                    r#"{"id": "https://x.example/leaf", "name": "n"}"#
                )
            ),
            // A scoped context at every level.
            format!(
                r#"{{"@context": "{AS}", "object": {}}}"#,
                nested(
                    r#"{"@context": {"k{i}": "https://x.example/k{i}"}, "k{i}": "v", "object": "#,
                    "}",
                    (depth - 2) / 2
                )
            ),
        ];
        for json in &shapes {
            let quads = to_rdf(json, None, &loader, &limits)
                .unwrap_or_else(|e| panic!("to_rdf: {e}\n{json}"));
            assert!(!quads.is_empty(), "{json}");
            expand(json, None, &loader, &limits).unwrap_or_else(|e| panic!("expand: {e}"));
            compact(json, None, &[AS], &loader, &limits).unwrap_or_else(|e| panic!("compact: {e}"));
            let triples: Vec<Triple> = quads
                .iter()
                .filter(|q| q.graph_name.is_default_graph())
                .map(|q| Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone()))
                .collect();
            assert_round_trip(&triples, Some("https://x.example/top"), &[AS]);
        }
        // One level more is refused before processing.
        let too_deep = format!("[{}]", shapes[3]);
        assert_eq!(
            to_rdf(&too_deep, None, &loader, &limits),
            Err(JsonLdError::TooDeep(64))
        );
    }

    #[test]
    fn invalid_context_value_is_invalid() {
        let err =
            rdf(r#"{"@context": 42, "@id": "https://x.example/"}"#, None).expect_err("invalid");
        let JsonLdError::Invalid(message) = err else {
            panic!("expected Invalid, got {err:?}");
        };
        assert!(!message.is_empty());
        assert!(matches!(
            rdf(r#"{"@context": {"@version": 2}}"#, None),
            Err(JsonLdError::Invalid(_))
        ));
    }

    #[test]
    fn with_context_checks_its_input() {
        let loader = ContextLoader::bundled();
        assert!(matches!(
            loader.clone().with_context("not an iri", "{}"),
            Err(JsonLdError::Invalid(_))
        ));
        assert!(matches!(
            loader.clone().with_context(POD_CONTEXT, "[1]"),
            Err(JsonLdError::Invalid(_))
        ));
        assert!(matches!(
            loader
                .clone()
                .with_context(POD_CONTEXT, "{\"@context\": 42}"),
            Err(JsonLdError::Invalid(_))
        ));
        assert!(matches!(
            loader.with_context(POD_CONTEXT, "{"),
            Err(JsonLdError::Syntax { .. })
        ));
        // Adding to a clone leaves the shared bundled loader alone.
        assert!(!ContextLoader::bundled().knows(POD_CONTEXT));
    }

    #[test]
    fn works_off_the_main_thread_and_inside_an_executor() {
        fn assert_traits<T: Clone + Send + Sync + 'static>() {}
        assert_traits::<ContextLoader>();
        let loader = ContextLoader::bundled();
        let handle = std::thread::spawn(move || {
            to_rdf(NOTE, None, &loader, &JsonLdLimits::default()).map(|q| q.len())
        });
        assert_eq!(handle.join().expect("thread"), Ok(6));
        // futures::executor::block_on would panic if nested; ours does not.
        let nested = futures::executor::block_on(async { rdf(NOTE, None).map(|q| q.len()) });
        assert_eq!(nested, Ok(6));
    }

    #[test]
    fn from_rdf_follows_the_algorithm() {
        let s = nn("https://x.example/s");
        let g = nn("https://x.example/g");
        let quads = vec![
            Quad::new(
                s.clone(),
                nn(RDF_TYPE),
                nn("https://x.example/T"),
                GraphName::DefaultGraph,
            ),
            Quad::new(
                s.clone(),
                nn("https://x.example/p"),
                lit("plain"),
                GraphName::DefaultGraph,
            ),
            Quad::new(
                s.clone(),
                nn("https://x.example/p"),
                lit("plain"),
                GraphName::DefaultGraph,
            ),
            Quad::new(
                s.clone(),
                nn("https://x.example/p"),
                Literal::new_language_tagged_literal("chat", "fr").expect("lang"),
                GraphName::DefaultGraph,
            ),
            Quad::new(
                s.clone(),
                nn("https://x.example/n"),
                Literal::new_typed_literal("5", nn("http://www.w3.org/2001/XMLSchema#integer")),
                GraphName::DefaultGraph,
            ),
            Quad::new(
                s.clone(),
                nn("https://x.example/b"),
                BlankNode::new("x").expect("bnode"),
                GraphName::DefaultGraph,
            ),
            Quad::new(s.clone(), nn("https://x.example/p"), lit("in g"), g.clone()),
            Quad::new(
                s.clone(),
                nn(RDF_TYPE),
                lit("literal type"),
                GraphName::DefaultGraph,
            ),
        ];
        let out = from_rdf(&quads).expect("from_rdf");
        assert_eq!(
            out,
            json!([
                {
                    "@id": "https://x.example/g",
                    "@graph": [{"@id": "https://x.example/s", "https://x.example/p": [{"@value": "in g"}]}]
                },
                {
                    "@id": "https://x.example/s",
                    "@type": ["https://x.example/T"],
                    "https://x.example/b": [{"@id": "_:x"}],
                    "https://x.example/n": [{"@value": "5", "@type": "http://www.w3.org/2001/XMLSchema#integer"}],
                    "https://x.example/p": [{"@value": "plain"}, {"@value": "chat", "@language": "fr"}],
                    RDF_TYPE: [{"@value": "literal type"}]
                }
            ])
        );
        // And back: the dataset is unchanged (dataset isomorphism, blank nodes included).
        let text = serde_json::to_string(&out).expect("json");
        let back = rdf(&text, None).expect("to_rdf");
        let mut a = oxrdf::Dataset::from_iter(&quads);
        let mut b = oxrdf::Dataset::from_iter(&back);
        a.canonicalize(CanonicalizationAlgorithm::Unstable);
        b.canonicalize(CanonicalizationAlgorithm::Unstable);
        assert_eq!(a, b);
        assert_eq!(from_rdf(&[]).expect("empty"), json!([]));
    }

    #[test]
    fn round_trips_awkward_graphs() {
        let p = nn("https://x.example/p");
        let q = nn("https://x.example/q");
        let a = BlankNode::new("a").expect("bnode");
        let b = BlankNode::new("b").expect("bnode");
        let c = BlankNode::new("c").expect("bnode");
        // A cycle of blank nodes each referenced once, with nothing else.
        let cycle = vec![
            Triple::new(a.clone(), p.clone(), b.clone()),
            Triple::new(b.clone(), p.clone(), a.clone()),
        ];
        assert_round_trip(&cycle, None, &[AS]);
        // A blank node referenced twice, a lone blank subject, and literals of every kind.
        let shared = vec![
            Triple::new(nn("https://x.example/1"), p.clone(), c.clone()),
            Triple::new(nn("https://x.example/2"), p.clone(), c.clone()),
            Triple::new(c.clone(), q.clone(), lit("shared")),
            Triple::new(a.clone(), q.clone(), lit("lone")),
            Triple::new(
                a.clone(),
                q.clone(),
                Literal::new_language_tagged_literal("hi", "en-GB").expect("lang"),
            ),
            Triple::new(
                a.clone(),
                q.clone(),
                Literal::new_typed_literal("1.5", nn("http://www.w3.org/2001/XMLSchema#decimal")),
            ),
            Triple::new(
                a.clone(),
                nn(&format!("{AS_NS}name")),
                Literal::new_language_tagged_literal("nom", "fr").expect("lang"),
            ),
            Triple::new(a, nn(&format!("{AS_NS}published")), lit("not a date")),
        ];
        assert_round_trip(&shared, None, &[AS, SEC]);
        assert_round_trip(&shared, Some("https://x.example/1"), &[AS]);
        assert_round_trip(&shared, None, &[]);
        // A chain longer than the embedding depth, and a self reference.
        let mut chain = Vec::new();
        let mut prev: NamedOrBlankNode = nn("https://x.example/start").into();
        for i in 0..(MAX_EMBED_DEPTH * 2 + 3) {
            let next = BlankNode::new(format!("n{i}")).expect("bnode");
            chain.push(Triple::new(prev.clone(), p.clone(), next.clone()));
            prev = next.into();
        }
        chain.push(Triple::new(prev, q.clone(), lit("end")));
        chain.push(Triple::new(
            nn("https://x.example/start"),
            q,
            nn("https://x.example/start"),
        ));
        assert_round_trip(&chain, Some("https://x.example/start"), &[AS]);
        // The empty graph.
        let empty = compact_triples(&[], None, &[AS], &ContextLoader::bundled()).expect("empty");
        assert_eq!(empty, json!({"@context": AS}));
    }

    #[test]
    fn parsed_activity_round_trips_through_compaction() {
        let create = r#"{
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
                         {"toot": "http://joinmastodon.org/ns#", "sensitive": "as:sensitive"}],
            "id": "https://example.com/activities/1",
            "type": "Create",
            "actor": "https://example.com/users/alice",
            "object": {
                "id": "https://example.com/notes/1",
                "type": "Note",
                "sensitive": false,
                "attributedTo": "https://example.com/users/alice",
                "content": "hi",
                "tag": [{"type": "Mention", "href": "https://example.com/users/bob", "name": "@bob"}]
            }
        }"#;
        let t = triples_of(&rdf(create, None).expect("to_rdf"));
        let out = compact_triples(
            &t,
            Some("https://example.com/activities/1"),
            &[AS],
            &ContextLoader::bundled(),
        )
        .expect("compact");
        assert_eq!(out["object"]["id"], "https://example.com/notes/1");
        assert_eq!(out["object"]["tag"]["type"], "Mention");
        assert_round_trip(&t, Some("https://example.com/activities/1"), &[AS]);
    }
}
