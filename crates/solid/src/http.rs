//! The Solid Protocol over HTTP: GET, HEAD, OPTIONS, PUT, POST, PATCH and DELETE on RDF
//! documents, containers and binary files, with content negotiation, conditional requests,
//! the `Link`, `WAC-Allow`, `Accept-*` headers, and WAC on every request.
//!
//! [`handle`] is synchronous (the store is), so servers call it on tokio's blocking pool after
//! reading the body and authenticating the requester. It never panics on input and answers
//! every refusal with a status and a plain-text message that says what was wrong.

use crate::auth::Credentials;
use crate::patch::{Patch, PatchError};
use crate::resource::{ResourceKind, ResourceMeta, acl_subject, acl_url, is_acl, is_container};
use crate::storage::{Conditions, Content, Placement, ResourceStore, StorageError, StoredResource};
use crate::wac::{self, AccessMode, Modes, Requester, parent_container};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, header};
use kommon_rdf::codec::{self, ParseError, ParseLimits, RdfFormat};
use kommon_rdf::jsonld::{self, ContextLoader};
use kommon_rdf::model::vocab::{rdf, xsd};
use kommon_rdf::model::{Graph, Literal, NamedNode, Triple, TripleRef};
use kommon_sparql_protocol::conneg::{Offer, available, negotiate_server_first};
use std::sync::Arc;

const LDP: &str = "http://www.w3.org/ns/ldp#";
const PIM_STORAGE: &str = "http://www.w3.org/ns/pim/space#Storage";
const DC_MODIFIED: &str = "http://purl.org/dc/terms/modified";
const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
const ACCEPT_PATCH: &str = "text/n3, application/sparql-update";
const PREFER_MINIMAL: &str = "http://www.w3.org/ns/ldp#PreferMinimalContainer";
/// The header ActivityPods clients use to ask for a compaction context.
pub const JSONLD_CONTEXT_HEADER: &str = "jsonldcontext";

/// Answers an HTTP request.
pub type LdpResponse = Response<Bytes>;

/// A rule mapping a resource URL to another URL (its storage root, its owner's WebID).
pub type UrlRule = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How a server lays out storages and what it allows; built once per server.
#[derive(Clone)]
pub struct LdpOptions {
    /// Largest RDF body, in bytes.
    pub max_rdf_bytes: usize,
    /// Largest binary body, in bytes.
    pub max_binary_bytes: usize,
    /// The JSON-LD contexts the server knows (bundled, plus its own `/.well-known/context.jsonld`).
    pub contexts: ContextLoader,
    /// The contexts JSON-LD answers are compacted with when the client names none.
    pub default_context: Vec<String>,
    /// The storage description resource (`/.well-known/solid`).
    pub storage_description: String,
    /// The storage root a URL belongs to, if any (`http://h/alice/data/x` → `http://h/alice/data/`).
    pub storage_root: UrlRule,
    /// Resources that cannot be replaced or deleted by PUT and DELETE, only patched (a WebID).
    pub protected: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// The owner of the storage a URL is in. The owner always keeps `acl:Control`, so a wrong
    /// ACL can never lock them out of their own pod.
    pub owner: UrlRule,
    /// `default_context` with its documents embedded, for plain `application/ld+json` requests:
    /// generic JSON-LD processors then need to fetch nothing.
    pub inline_context: Option<serde_json::Value>,
}

/// A request as the LDP layer sees it, once the body is read and the requester known.
pub struct LdpRequest<'a> {
    /// The method.
    pub method: &'a Method,
    /// The absolute URL of the resource (no query).
    pub url: &'a str,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: &'a [u8],
    /// The verified requester, `None` when anonymous.
    pub credentials: Option<&'a Credentials>,
}

/// Serves one request on `resources`.
pub fn handle(
    resources: &ResourceStore,
    options: &LdpOptions,
    request: &LdpRequest<'_>,
) -> LdpResponse {
    match try_handle(resources, options, request) {
        Ok(r) => r,
        Err(e) => e.into_response(request),
    }
}

/// An error answer: status, message, and extra headers.
struct Failure {
    status: StatusCode,
    message: String,
    headers: Vec<(HeaderName, String)>,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn into_response(self, request: &LdpRequest<'_>) -> LdpResponse {
        if self.status.is_server_error() {
            tracing::error!(url = request.url, method = %request.method, error = %self.message, "request failed");
        }
        let mut r = text(self.status, &self.message);
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                r.headers_mut().append(name, v);
            }
        }
        r
    }
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        let status = match &e {
            StorageError::NotFound(_) => StatusCode::NOT_FOUND,
            StorageError::Gone(_) => StatusCode::GONE,
            StorageError::Conflict(_) => StatusCode::CONFLICT,
            StorageError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            StorageError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            StorageError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            StorageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            StorageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            StorageError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Failure::new(status, e.to_string())
    }
}

impl From<PatchError> for Failure {
    fn from(e: PatchError) -> Self {
        match e {
            PatchError::Invalid(_) => Failure::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
            PatchError::Syntax(_) => Failure::new(StatusCode::BAD_REQUEST, e.to_string()),
            PatchError::Conflict(_) => Failure::new(StatusCode::CONFLICT, e.to_string()),
            PatchError::UnsupportedFormat(_) => {
                Failure::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, e.to_string())
                    .with(HeaderName::from_static("accept-patch"), ACCEPT_PATCH)
            }
        }
    }
}

fn text(status: StatusCode, message: &str) -> LdpResponse {
    let mut r = Response::new(Bytes::from(format!("{message}\n")));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// What a request may do: the modes of the requester and of the public.
struct Access {
    user: Modes,
    public: Modes,
    authenticated: bool,
}

impl Access {
    fn require(&self, needed: &[AccessMode]) -> Result<(), Failure> {
        if needed.iter().all(|m| self.user.contains(*m)) {
            return Ok(());
        }
        let names: Vec<&str> = needed.iter().map(|m| m.header_name()).collect();
        if self.authenticated {
            Err(Failure::new(
                StatusCode::FORBIDDEN,
                format!(
                    "you are not allowed to {} this resource",
                    names.join(" and ")
                ),
            ))
        } else {
            Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                format!(
                    "authentication is required to {} this resource",
                    names.join(" and ")
                ),
            )
            .with(header::WWW_AUTHENTICATE, "DPoP algs=\"ES256 RS256\"")
            .with(header::WWW_AUTHENTICATE, "Bearer scope=\"openid webid\""))
        }
    }

    fn header(&self) -> String {
        format!(
            "user=\"{}\",public=\"{}\"",
            self.user.header_value(),
            self.public.header_value()
        )
    }
}

fn access(
    resources: &ResourceStore,
    options: &LdpOptions,
    url: &str,
    credentials: Option<&Credentials>,
) -> Access {
    // An ACL document is governed by Control on the resource it describes.
    let (target, acl) = match acl_subject(url) {
        Some(subject) if is_acl(url) => (subject, true),
        _ => (url, false),
    };
    let map = |m: Modes| -> Modes {
        if !acl {
            return m;
        }
        if m.contains(AccessMode::Control) {
            Modes::NONE
                .with(AccessMode::Read)
                .with(AccessMode::Write)
                .with(AccessMode::Control)
        } else {
            Modes::NONE
        }
    };
    let public = map(wac::modes(target, Requester::Anonymous, resources));
    let user = match credentials {
        Some(c) => {
            let mut m = wac::modes(target, c.requester(), resources);
            if c.application.is_none()
                && (options.owner)(target).as_deref() == Some(c.agent.as_str())
            {
                m = m.with(AccessMode::Control);
            }
            map(m)
        }
        None => public,
    };
    Access {
        user,
        public,
        authenticated: credentials.is_some(),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn tag_list(value: Option<&str>) -> Option<Vec<String>> {
    value.map(|v| {
        v.split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    })
}

fn conditions(headers: &HeaderMap) -> Conditions {
    Conditions {
        if_match: tag_list(header_str(headers, "if-match")),
        if_none_match: tag_list(header_str(headers, "if-none-match")),
    }
}

fn try_handle(
    resources: &ResourceStore,
    options: &LdpOptions,
    request: &LdpRequest<'_>,
) -> Result<LdpResponse, Failure> {
    let url = request.url;
    let access = access(resources, options, url, request.credentials);
    let method = request.method;
    let mut response = if method == Method::GET || method == Method::HEAD {
        access.require(&[read_mode(url)])?;
        get(resources, options, request)?
    } else if method == Method::OPTIONS {
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else if method == Method::PUT {
        access.require(&[AccessMode::Write])?;
        put(resources, options, request)?
    } else if method == Method::POST {
        access.require(&[AccessMode::Append])?;
        post(resources, options, request)?
    } else if method == Method::PATCH {
        patch(resources, request, &access)?
    } else if method == Method::DELETE {
        access.require(&[AccessMode::Write])?;
        delete(resources, options, request)?
    } else {
        return Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not supported here"),
        )
        .with(header::ALLOW, allow(url, options)));
    };
    let is_storage_root = (options.storage_root)(url).as_deref() == Some(url);
    let h = response.headers_mut();
    add(h, header::ALLOW, &allow(url, options));
    add(h, HeaderName::from_static("wac-allow"), &access.header());
    add(h, HeaderName::from_static("accept-patch"), ACCEPT_PATCH);
    add(h, HeaderName::from_static("accept-put"), "*/*");
    if is_container(url) {
        add(h, HeaderName::from_static("accept-post"), "*/*");
    }
    let mut links = vec![format!("<{LDP}Resource>; rel=\"type\"")];
    if is_container(url) {
        links.push(format!("<{LDP}Container>; rel=\"type\""));
        links.push(format!("<{LDP}BasicContainer>; rel=\"type\""));
    } else if response.headers().get("x-kommon-binary").is_some() {
        links.push(format!("<{LDP}NonRDFSource>; rel=\"type\""));
    } else {
        links.push(format!("<{LDP}RDFSource>; rel=\"type\""));
    }
    if is_storage_root {
        links.push(format!("<{PIM_STORAGE}>; rel=\"type\""));
    }
    if !is_acl(url) {
        links.push(format!("<{}>; rel=\"acl\"", acl_url(url)));
    }
    links.push(format!(
        "<{}>; rel=\"http://www.w3.org/ns/solid/terms#storageDescription\"",
        options.storage_description
    ));
    let h = response.headers_mut();
    h.remove("x-kommon-binary");
    for l in links {
        if let Ok(v) = HeaderValue::from_str(&l) {
            h.append(header::LINK, v);
        }
    }
    add(h, header::VARY, "Accept, Authorization, Origin");
    Ok(response)
}

fn add(h: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}

fn read_mode(_url: &str) -> AccessMode {
    AccessMode::Read
}

fn allow(url: &str, options: &LdpOptions) -> String {
    let root = (options.storage_root)(url).as_deref() == Some(url)
        || parent_container(url).is_none()
        || (options.protected)(url);
    let mut methods = vec!["OPTIONS", "HEAD", "GET", "PATCH"];
    if !(options.protected)(url) {
        methods.push("PUT");
    }
    if is_container(url) {
        methods.push("POST");
    }
    if !root {
        methods.push("DELETE");
    }
    methods.join(", ")
}

/// The offers for RDF documents, Turtle first (what Solid clients expect by default).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Representation {
    Turtle,
    N3,
    JsonLd,
    ActivityJson,
    NTriples,
    NQuads,
}

const RDF_OFFERS: &[Offer<Representation>] = &[
    Offer {
        value: Representation::Turtle,
        media_types: &["text/turtle", "application/turtle", "application/x-turtle"],
    },
    Offer {
        value: Representation::JsonLd,
        media_types: &["application/ld+json", "application/json"],
    },
    Offer {
        value: Representation::ActivityJson,
        media_types: &["application/activity+json"],
    },
    Offer {
        value: Representation::NTriples,
        media_types: &["application/n-triples"],
    },
    Offer {
        value: Representation::NQuads,
        media_types: &["application/n-quads"],
    },
    Offer {
        value: Representation::N3,
        media_types: &["text/n3"],
    },
];

fn get(
    resources: &ResourceStore,
    options: &LdpOptions,
    request: &LdpRequest<'_>,
) -> Result<LdpResponse, Failure> {
    let url = request.url;
    let Some(stored) = resources.read(url)? else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            format!("no resource at {url}"),
        ));
    };
    let meta = stored.meta.clone();
    let gone = meta.kind == ResourceKind::Tombstone;
    if !gone {
        if let Some(tags) = tag_list(header_str(request.headers, "if-none-match"))
            && tags.iter().any(|t| t == "*" || meta.matches(t))
        {
            return Ok(not_modified(&meta));
        }
        if request.headers.get("if-none-match").is_none()
            && let Some(since) = header_str(request.headers, "if-modified-since")
            && let Ok(since) = httpdate::parse_http_date(since)
            && let Some(modified) = system_time(meta.modified_ms)
            && modified <= since + std::time::Duration::from_millis(999)
        {
            return Ok(not_modified(&meta));
        }
    }
    let mut response = match stored.content {
        Content::Binary {
            bytes,
            content_type,
        } if is_html(&content_type)
            && asks_for_rdf(request.headers)
            && !accepts_html(request.headers) =>
        {
            let html = String::from_utf8_lossy(&bytes);
            let triples = crate::rdfa::extract(&html, url).map_err(|e| {
                Failure::new(
                    StatusCode::NOT_ACCEPTABLE,
                    format!("no RDF could be read from this page: {e}"),
                )
            })?;
            let graph: Graph = triples.into_iter().collect();
            let mut r = represent(&graph, url, options, request.headers)?;
            add(
                r.headers_mut(),
                HeaderName::from_static("x-kommon-binary"),
                "1",
            );
            r
        }
        Content::Binary {
            bytes,
            content_type,
        } => {
            let mut r = Response::new(Bytes::from(bytes));
            add(r.headers_mut(), header::CONTENT_TYPE, &content_type);
            add(
                r.headers_mut(),
                HeaderName::from_static("x-kommon-binary"),
                "1",
            );
            r
        }
        Content::Rdf(graph) => {
            let graph = if meta.kind == ResourceKind::Container {
                container_graph(url, graph, &meta, options, request.headers)
            } else {
                graph
            };
            let mut r = represent(&graph, url, options, request.headers)?;
            if meta.kind == ResourceKind::Container && prefers_minimal(request.headers) {
                add(
                    r.headers_mut(),
                    HeaderName::from_static("preference-applied"),
                    "return=representation",
                );
            }
            r
        }
    };
    if gone {
        // ActivityPub and Linked Data clients (an explicit RDF type in Accept) get 410 and the
        // Tombstone; a plain fetch gets 404, as from any Solid server.
        if !asks_for_rdf(request.headers) {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!("{url} was deleted"),
            ));
        }
        *response.status_mut() = StatusCode::GONE;
        return Ok(response);
    }
    add(response.headers_mut(), header::ETAG, &meta.etag());
    if let Some(t) = system_time(meta.modified_ms) {
        add(
            response.headers_mut(),
            header::LAST_MODIFIED,
            &httpdate::fmt_http_date(t),
        );
    }
    if request.method == Method::HEAD {
        let len = response.body().len();
        *response.body_mut() = Bytes::new();
        add(
            response.headers_mut(),
            header::CONTENT_LENGTH,
            &len.to_string(),
        );
    }
    Ok(response)
}

fn system_time(ms: u64) -> Option<std::time::SystemTime> {
    std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_millis(ms))
}

fn not_modified(meta: &ResourceMeta) -> LdpResponse {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    add(r.headers_mut(), header::ETAG, &meta.etag());
    r
}

fn is_html(content_type: &str) -> bool {
    let essence = crate::resource::media_type_essence(content_type);
    essence == "text/html" || essence == "application/xhtml+xml"
}

fn accepts_html(headers: &HeaderMap) -> bool {
    header_str(headers, "accept").is_some_and(|a| {
        let a = a.to_ascii_lowercase();
        a.contains("text/html") || a.contains("application/xhtml+xml")
    })
}

fn asks_for_rdf(headers: &HeaderMap) -> bool {
    header_str(headers, "accept").is_some_and(|accept| {
        accept.split(',').any(|range| {
            let essence = crate::resource::media_type_essence(range);
            RDF_OFFERS
                .iter()
                .any(|o| o.media_types.contains(&essence.as_str()))
        })
    })
}

fn prefers_minimal(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(PREFER_MINIMAL) && v.contains("return=representation"))
}

fn container_graph(
    url: &str,
    graph: Graph,
    meta: &ResourceMeta,
    options: &LdpOptions,
    headers: &HeaderMap,
) -> Graph {
    let minimal = prefers_minimal(headers);
    let s = NamedNode::new_unchecked(url);
    let mut out: Graph = graph
        .iter()
        .filter(|t| !(minimal && t.predicate.as_str() == crate::storage::LDP_CONTAINS))
        .map(TripleRef::into_owned)
        .collect();
    for class in ["Container", "BasicContainer", "Resource"] {
        out.insert(&Triple::new(
            s.clone(),
            rdf::TYPE,
            NamedNode::new_unchecked(format!("{LDP}{class}")),
        ));
    }
    if (options.storage_root)(url).as_deref() == Some(url) {
        out.insert(&Triple::new(
            s.clone(),
            rdf::TYPE,
            NamedNode::new_unchecked(PIM_STORAGE),
        ));
    }
    out.insert(&Triple::new(
        s,
        NamedNode::new_unchecked(DC_MODIFIED),
        Literal::new_typed_literal(
            crate::storage::xsd_datetime(meta.modified_ms),
            xsd::DATE_TIME,
        ),
    ));
    if !minimal {
        // Members' kinds are known from their URLs, without reading them.
        let members: Vec<String> = graph
            .iter()
            .filter(|t| t.predicate.as_str() == crate::storage::LDP_CONTAINS)
            .filter_map(|t| match t.object {
                kommon_rdf::model::TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                _ => None,
            })
            .collect();
        for m in members {
            let node = NamedNode::new_unchecked(&m);
            out.insert(&Triple::new(
                node.clone(),
                rdf::TYPE,
                NamedNode::new_unchecked(format!("{LDP}Resource")),
            ));
            if is_container(&m) {
                out.insert(&Triple::new(
                    node,
                    rdf::TYPE,
                    NamedNode::new_unchecked(format!("{LDP}Container")),
                ));
            }
        }
    }
    out
}

/// The context a client asked for with `JsonLdContext`: the context IRIs to compact with (known
/// ones only: nothing is ever fetched), a loader that knows any inline context objects, and the
/// `@context` value to write in the answer (the client's own, inline objects included).
struct RequestedContext {
    iris: Vec<String>,
    loader: ContextLoader,
    output: Option<serde_json::Value>,
}

/// Reads the `JsonLdContext` header: a context IRI, an inline context object, or a JSON array of
/// both, as ActivityPods clients send it; without it, the server's default context.
fn requested_context(
    options: &LdpOptions,
    headers: &HeaderMap,
) -> Result<RequestedContext, Failure> {
    let Some(value) = header_str(headers, JSONLD_CONTEXT_HEADER) else {
        return Ok(RequestedContext {
            iris: options.default_context.clone(),
            loader: options.contexts.clone(),
            output: None,
        });
    };
    let value = value.trim();
    let bad = |m: String| Failure::new(StatusCode::BAD_REQUEST, format!("JsonLdContext: {m}"));
    let items: Vec<serde_json::Value> = if value.starts_with(['[', '{', '"']) {
        match serde_json::from_str::<serde_json::Value>(value) {
            Ok(serde_json::Value::Array(items)) => items,
            Ok(other) => vec![other],
            Err(e) => return Err(bad(format!("not valid JSON: {e}"))),
        }
    } else {
        vec![serde_json::Value::String(value.to_owned())]
    };
    if items.is_empty() || items.len() > 16 {
        return Err(bad("give between 1 and 16 contexts".into()));
    }
    let mut loader = options.contexts.clone();
    let mut iris = Vec::new();
    for (n, item) in items.iter().enumerate() {
        match item {
            serde_json::Value::String(iri) => {
                if !loader.knows(iri) {
                    return Err(bad(format!(
                        "{iri} is not a context this server knows (contexts are never fetched)"
                    )));
                }
                iris.push(iri.clone());
            }
            serde_json::Value::Object(_) => {
                let iri = format!("urn:kommon:request-context:{n}");
                loader = loader
                    .with_context(&iri, &item.to_string())
                    .map_err(|e| bad(e.to_string()))?;
                iris.push(iri);
            }
            _ => return Err(bad("each context is an IRI or an object".into())),
        }
    }
    let output = if items.len() == 1 {
        items.into_iter().next()
    } else {
        Some(serde_json::Value::Array(items))
    };
    Ok(RequestedContext {
        iris,
        loader,
        output,
    })
}

fn represent(
    graph: &Graph,
    url: &str,
    options: &LdpOptions,
    headers: &HeaderMap,
) -> Result<LdpResponse, Failure> {
    let accept = header_str(headers, "accept");
    let Some(repr) = negotiate_server_first(accept, RDF_OFFERS) else {
        return Err(Failure::new(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "this resource is available as {}",
                available(RDF_OFFERS).join(", ")
            ),
        ));
    };
    let triples: Vec<Triple> = graph.iter().map(TripleRef::into_owned).collect();
    let (bytes, content_type) = match repr {
        Representation::Turtle | Representation::N3 => (
            codec::serialize_triples(RdfFormat::Turtle, &sorted(triples), None)
                .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
            if repr == Representation::N3 {
                "text/n3; charset=utf-8"
            } else {
                "text/turtle"
            },
        ),
        Representation::NTriples | Representation::NQuads => (
            codec::serialize_triples(RdfFormat::NTriples, &sorted(triples), None)
                .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
            if repr == Representation::NQuads {
                "application/n-quads"
            } else {
                "application/n-triples"
            },
        ),
        Representation::JsonLd | Representation::ActivityJson => {
            let context = requested_context(options, headers)?;
            let refs: Vec<&str> = context.iris.iter().map(String::as_str).collect();
            let mut value = jsonld::compact_triples(&triples, Some(url), &refs, &context.loader)
                .map_err(|e| {
                    Failure::new(StatusCode::BAD_REQUEST, format!("JsonLdContext: {e}"))
                })?;
            if let Some(output) = context.output
                && let Some(obj) = value.as_object_mut()
            {
                obj.insert("@context".to_owned(), output);
            }
            let plain = repr == Representation::JsonLd
                && header_str(headers, JSONLD_CONTEXT_HEADER).is_none()
                && !header_str(headers, "accept").is_some_and(|a| a.contains("activitystreams"));
            if plain
                && let Some(inline) = &options.inline_context
                && let Some(obj) = value.as_object_mut()
            {
                obj.insert("@context".to_owned(), inline.clone());
            }
            let bytes = serde_json::to_vec(&value)
                .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let ct = if repr == Representation::ActivityJson {
                "application/activity+json"
            } else if refs.first() == Some(&AS_CONTEXT) {
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
            } else {
                "application/ld+json"
            };
            (bytes, ct)
        }
    };
    let mut r = Response::new(Bytes::from(bytes));
    add(r.headers_mut(), header::CONTENT_TYPE, content_type);
    Ok(r)
}

fn sorted(mut triples: Vec<Triple>) -> Vec<Triple> {
    // A stable order: the same document always serialises to the same bytes.
    triples.sort_by_cached_key(|t| t.to_string());
    triples
}

/// The media type of a request body; `None` when there is no body.
fn body_type<'a>(request: &'a LdpRequest<'_>) -> Result<Option<&'a str>, Failure> {
    let ct = header_str(request.headers, "content-type").map(str::trim);
    match ct {
        Some(ct) if !ct.is_empty() => Ok(Some(ct)),
        _ if request.body.is_empty() => Ok(None),
        _ => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "a request with a body needs a Content-Type header",
        )),
    }
}

/// Reads a body as the content of `url`: RDF when its media type is an RDF syntax (and always
/// for containers and ACLs), bytes otherwise.
fn read_content(
    options: &LdpOptions,
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Content, StorageError> {
    // `text/plain` is text here, not N-Triples: people store notes as plain text.
    let format = content_type
        .filter(|ct| crate::resource::media_type_essence(ct) != "text/plain")
        .and_then(RdfFormat::from_media_type);
    let must_be_rdf = is_container(url) || is_acl(url);
    match (format, content_type) {
        (Some(format), _) => {
            if body.len() > options.max_rdf_bytes {
                return Err(StorageError::TooLarge(format!(
                    "an RDF document may be at most {} bytes",
                    options.max_rdf_bytes
                )));
            }
            let limits = ParseLimits {
                max_bytes: options.max_rdf_bytes,
                ..ParseLimits::default()
            };
            let triples = codec::parse_graph(format, body, Some(url), &limits, &options.contexts)
                .map_err(|e| match e {
                ParseError::TooLarge(m) => StorageError::TooLarge(m),
                other => StorageError::BadRequest(other.to_string()),
            })?;
            Ok(Content::Rdf(triples.into_iter().collect()))
        }
        (None, None) if must_be_rdf || body.is_empty() => Ok(Content::Rdf(Graph::new())),
        (None, Some(ct)) if must_be_rdf => Err(StorageError::BadRequest(format!(
            "{ct} is not an RDF syntax this server reads; use text/turtle or application/ld+json"
        ))),
        (None, ct) => {
            if body.len() > options.max_binary_bytes {
                return Err(StorageError::TooLarge(format!(
                    "a file may be at most {} bytes",
                    options.max_binary_bytes
                )));
            }
            Ok(Content::Binary {
                bytes: body.to_vec(),
                content_type: ct.unwrap_or("application/octet-stream").to_owned(),
            })
        }
    }
}

fn put(
    resources: &ResourceStore,
    options: &LdpOptions,
    request: &LdpRequest<'_>,
) -> Result<LdpResponse, Failure> {
    let url = request.url;
    if (options.protected)(url) {
        return Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "this resource cannot be replaced; change it with PATCH",
        )
        .with(header::ALLOW, allow(url, options)));
    }
    let ct = body_type(request)?;
    let content = read_content(options, url, ct, request.body)?;
    let outcome = resources.put(
        url,
        content,
        &conditions(request.headers),
        Placement::default(),
    )?;
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::RESET_CONTENT
    };
    add(r.headers_mut(), header::ETAG, &outcome.meta.etag());
    if outcome.created {
        add(r.headers_mut(), header::LOCATION, url);
    }
    Ok(r)
}

fn post(
    resources: &ResourceStore,
    options: &LdpOptions,
    request: &LdpRequest<'_>,
) -> Result<LdpResponse, Failure> {
    let url = request.url;
    if !is_container(url) {
        // Tell apart "no such container" from "not a container".
        return match resources.meta(url)? {
            Some(m) if m.exists() => Err(Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST creates resources in containers; this is not a container",
            )
            .with(header::ALLOW, allow(url, options))),
            _ => Err(Failure::new(
                StatusCode::NOT_FOUND,
                format!("no container at {url}"),
            )),
        };
    }
    let as_container = request
        .headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|l| {
            l.contains("rel=\"type\"") || l.contains("rel=type")
        } && (l.contains("ldp#BasicContainer>") || l.contains("ldp#Container>")));
    let ct = body_type(request)?;
    // Slugs may arrive as raw UTF-8 or percent-encoded; both are read.
    let slug = request.headers.get("slug").map(|v| {
        let raw = String::from_utf8_lossy(v.as_bytes()).into_owned();
        percent_encoding::percent_decode_str(&raw)
            .decode_utf8_lossy()
            .into_owned()
    });
    let slug = slug.as_deref();
    let root = (options.storage_root)(url);
    let body = request.body;
    let outcome = resources.create_in(
        url,
        slug,
        as_container,
        |new_url| read_content(options, new_url, ct, body),
        root.as_deref(),
    )?;
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::CREATED;
    add(r.headers_mut(), header::LOCATION, &outcome.url);
    add(r.headers_mut(), header::ETAG, &outcome.meta.etag());
    Ok(r)
}

fn patch(
    resources: &ResourceStore,
    request: &LdpRequest<'_>,
    access: &Access,
) -> Result<LdpResponse, Failure> {
    let url = request.url;
    let Some(ct) = body_type(request)? else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "PATCH needs a body: an N3 Patch (text/n3) or a SPARQL Update",
        ));
    };
    let patch = Patch::parse(ct, request.body, url)?;
    let needed: Vec<AccessMode> = AccessMode::ALL
        .into_iter()
        .filter(|m| patch.modes().contains(*m) && *m != AccessMode::Control)
        .collect();
    // Write implies Append: a patch that only appends is allowed with either.
    let needed: Vec<AccessMode> =
        if needed == [AccessMode::Append] && access.user.contains(AccessMode::Write) {
            vec![AccessMode::Write]
        } else {
            needed
        };
    access.require(&needed)?;
    let outcome = resources.patch(url, &conditions(request.headers), |graph, _exists| {
        patch.apply(graph).map_err(|e| match e {
            PatchError::Conflict(m) => StorageError::Conflict(m),
            PatchError::Invalid(m) => StorageError::Unprocessable(m),
            PatchError::Syntax(m) | PatchError::UnsupportedFormat(m) => StorageError::BadRequest(m),
        })
    })?;
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::RESET_CONTENT
    };
    add(r.headers_mut(), header::ETAG, &outcome.meta.etag());
    Ok(r)
}

fn delete(
    resources: &ResourceStore,
    options: &LdpOptions,
    request: &LdpRequest<'_>,
) -> Result<LdpResponse, Failure> {
    let url = request.url;
    let root_acl =
        acl_subject(url).is_some_and(|s| (options.storage_root)(s).as_deref() == Some(s));
    if (options.storage_root)(url).as_deref() == Some(url)
        || parent_container(url).is_none()
        || root_acl
        || (options.protected)(url)
    {
        return Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "this resource cannot be deleted",
        )
        .with(header::ALLOW, allow(url, options)));
    }
    resources.delete(url, &conditions(request.headers))?;
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    Ok(r)
}

/// Reads a stored resource's graph for other components (the pod's pages, the WebID).
pub fn graph_of(stored: &StoredResource) -> Option<&Graph> {
    match &stored.content {
        Content::Rdf(g) => Some(g),
        Content::Binary { .. } => None,
    }
}
