//! A [SPARQL 1.1 Protocol](https://www.w3.org/TR/sparql11-protocol/) endpoint over Kommon's
//! [`QuadStore`], as a reusable axum handler.
//!
//! Queries come by GET (`?query=`) or POST (`application/x-www-form-urlencoded` with `query=`,
//! or `application/sparql-query`), with `default-graph-uri` and `named-graph-uri` replacing the
//! query's own `FROM` and `FROM NAMED`. Updates come by POST only (form `update=`, or
//! `application/sparql-update`, with `using-graph-uri` and `using-named-graph-uri`), and only
//! when the endpoint's [`UpdateAuthorizer`] lets them through: by default every update is
//! refused. What a requester may read is decided per request by a [`ReadableHook`].
//!
//! SELECT and ASK answers are SPARQL results in JSON (the default), XML, CSV or TSV; CONSTRUCT
//! and DESCRIBE answers are Turtle (the default), N-Triples, JSON-LD or RDF/XML, chosen from the
//! `Accept` header with its q-values (406 with the list of available types when none fits).
//! Errors are `text/plain` with a status that says whose fault it is; a syntax error is a 400
//! that gives the line and column. Every answer allows any origin (CORS).
//!
//! The store is blocking (sled, and spareval's results are not `Send`), so parsing, the hooks,
//! evaluation and serialisation all run on tokio's blocking pool.
//!
//! Mount it with [`router`] (at `/sparql`), or anywhere with [`method_router`], or call
//! [`handle`] from a handler of your own (a pod picks its store, then calls it).

#![warn(missing_docs)]

pub mod conneg;
mod error;
mod request;

pub use error::{ProtocolError, UpdateRefusal, sparql_status};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use conneg::{GRAPH_OFFERS, GraphFormat, RESULTS_OFFERS, available, negotiate};
use kommon_rdf::codec::serialize_triples;
use kommon_rdf::{
    QuadStore, QueryOptions, QueryOutcome, ReadableGraphs, SparqlError, UpdateOptions, parse_query,
    parse_update,
};
use oxrdf::Triple;
use request::{Operation, QueryRequest, UpdateRequest, apply_dataset, apply_using};
use sparesults::{QueryResultsFormat, QueryResultsSerializer};
use spargebra::Query;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::cors::{Any, CorsLayer};

/// Decides, from the request's head (headers, and extensions set by an authentication
/// middleware), which graphs the requester may read. It runs on the blocking pool, so it may
/// read the store.
pub type ReadableHook = Arc<dyn Fn(&Parts) -> ReadableGraphs + Send + Sync>;

/// Decides, from the request's head, whether the requester may update the store, and how
/// (time limit, base IRI, `LOAD` fetcher). It runs on the blocking pool, before the update is
/// parsed, so a refused requester learns nothing about the store.
pub type UpdateAuthorizer =
    Arc<dyn Fn(&Parts) -> Result<UpdateOptions, UpdateRefusal> + Send + Sync>;

/// The default [`ReadableHook`]: everyone may read every graph.
pub fn read_all() -> ReadableHook {
    Arc::new(|_| ReadableGraphs::All)
}

/// The default [`UpdateAuthorizer`]: every update is refused, with 401 (challenge `Bearer`)
/// when the request has no `Authorization` header and 403 when it has one.
pub fn deny_updates() -> UpdateAuthorizer {
    Arc::new(|parts| {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            Err(UpdateRefusal::Forbidden(
                "this endpoint does not accept updates".into(),
            ))
        } else {
            Err(UpdateRefusal::Unauthenticated {
                challenge: "Bearer".into(),
            })
        }
    })
}

/// How an endpoint answers: limits, the default graph, and the hooks that decide who may read
/// and who may update.
#[derive(Clone)]
pub struct EndpointOptions {
    /// Longest evaluation time of a query (`None`: no limit). Default 30 s.
    pub timeout: Option<Duration>,
    /// Most rows (SELECT) or triples (CONSTRUCT, DESCRIBE) in an answer. Default 1,000,000.
    pub max_results: Option<usize>,
    /// Most groups of unrelated patterns a query may join (a cross product), which no time
    /// limit can stop once computed in memory. Default 2.
    pub max_independent_patterns: Option<usize>,
    /// Largest request body, and largest query string, in bytes. Default 1 MiB.
    pub max_body_bytes: usize,
    /// Whether a query without a dataset (no `FROM`, no `default-graph-uri`) sees the union of
    /// the readable named graphs as its default graph. Default `true`, since every document of
    /// a Kommon store is a named graph.
    pub default_graph_as_union: bool,
    /// Base IRI for relative IRIs in queries, and in updates whose authorizer gives none.
    pub base_iri: Option<String>,
    /// Which graphs a requester may read. Default [`read_all`].
    pub readable: ReadableHook,
    /// Whether and how a requester may update. Default [`deny_updates`].
    pub update_authorizer: UpdateAuthorizer,
}

impl Default for EndpointOptions {
    fn default() -> Self {
        let query = QueryOptions::default();
        Self {
            timeout: query.timeout,
            max_results: query.max_results,
            max_independent_patterns: Some(2),
            max_body_bytes: 1024 * 1024,
            default_graph_as_union: true,
            base_iri: None,
            readable: read_all(),
            update_authorizer: deny_updates(),
        }
    }
}

impl fmt::Debug for EndpointOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointOptions")
            .field("timeout", &self.timeout)
            .field("max_results", &self.max_results)
            .field("max_independent_patterns", &self.max_independent_patterns)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("default_graph_as_union", &self.default_graph_as_union)
            .field("base_iri", &self.base_iri)
            .finish_non_exhaustive()
    }
}

/// A SPARQL endpoint: the store it answers from and how it answers. Cloning is cheap.
#[derive(Clone)]
pub struct SparqlEndpoint {
    /// The store queried and updated.
    pub store: QuadStore,
    /// Limits and hooks.
    pub options: EndpointOptions,
}

impl SparqlEndpoint {
    /// An endpoint over `store` with the default options (read by all, updated by none).
    pub fn new(store: QuadStore) -> Self {
        Self {
            store,
            options: EndpointOptions::default(),
        }
    }

    /// The same endpoint with other options.
    #[must_use]
    pub fn with_options(mut self, options: EndpointOptions) -> Self {
        self.options = options;
        self
    }
}

impl fmt::Debug for SparqlEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SparqlEndpoint")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The CORS policy of the endpoint: any origin, methods GET, POST and OPTIONS, request headers
/// `Content-Type`, `Accept` and `Authorization`; preflights are cached for a day.
pub fn cors_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        .max_age(Duration::from_secs(86_400))
}

/// A router with the endpoint at `/sparql` (GET, HEAD, POST, OPTIONS, with CORS).
pub fn router(endpoint: SparqlEndpoint) -> Router {
    Router::new().route("/sparql", method_router(endpoint))
}

/// The endpoint as a method router, with CORS, to mount at any path of any router:
/// `Router::new().route("/data/sparql", method_router(endpoint))`.
pub fn method_router<S>(endpoint: SparqlEndpoint) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    axum::routing::get(sparql_handler)
        .post(sparql_handler)
        .options(sparql_handler)
        .layer(cors_layer())
        .with_state(endpoint)
}

/// The axum handler of the endpoint, for every method, with the endpoint as its state.
pub async fn sparql_handler(State(endpoint): State<SparqlEndpoint>, request: Request) -> Response {
    handle(&endpoint, request).await
}

/// Answers one SPARQL protocol request (GET, HEAD, POST or OPTIONS) from `endpoint`. Never
/// panics: every failure is an HTTP answer. CORS headers are not added here; see
/// [`cors_layer`].
pub async fn handle(endpoint: &SparqlEndpoint, request: Request) -> Response {
    match try_handle(endpoint, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

const ALLOW: &str = "GET, HEAD, POST, OPTIONS";
const ACCEPT_POST: &str =
    "application/sparql-query, application/sparql-update, application/x-www-form-urlencoded";

async fn try_handle(
    endpoint: &SparqlEndpoint,
    request: Request,
) -> Result<Response, ProtocolError> {
    let (parts, body) = request.into_parts();
    if parts.method == Method::OPTIONS {
        return Ok((
            StatusCode::NO_CONTENT,
            [
                (header::ALLOW, ALLOW),
                (HeaderName::from_static("accept-post"), ACCEPT_POST),
            ],
        )
            .into_response());
    }
    let operation = request::read_operation(&parts, body, endpoint.options.max_body_bytes).await?;
    let endpoint = endpoint.clone();
    let task = tokio::task::spawn_blocking(move || match operation {
        Operation::Query(query) => run_query(&endpoint, &parts, query),
        Operation::Update(update) => run_update(&endpoint, &parts, update),
    });
    match task.await {
        Ok(result) => result,
        Err(e) => {
            tracing::error!("a SPARQL request's task failed: {e}");
            Err(ProtocolError::Internal)
        }
    }
}

/// The `Accept` header, its several lines joined.
fn accept_header(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The format an answer will be written in.
#[derive(Clone, Copy, Debug)]
enum AnswerFormat {
    Results(QueryResultsFormat),
    Graph(GraphFormat),
}

fn query_form(query: &Query) -> &'static str {
    match query {
        Query::Select { .. } => "SELECT",
        Query::Construct { .. } => "CONSTRUCT",
        Query::Describe { .. } => "DESCRIBE",
        Query::Ask { .. } => "ASK",
    }
}

fn run_query(
    endpoint: &SparqlEndpoint,
    parts: &Parts,
    request: QueryRequest,
) -> Result<Response, ProtocolError> {
    let options = &endpoint.options;
    let mut query = parse_query(&request.text, options.base_iri.as_deref())?;
    apply_dataset(&mut query, request.default_graphs, request.named_graphs);
    // Negotiate before evaluating, so an unacceptable request costs nothing.
    let accept = accept_header(&parts.headers);
    let format = match &query {
        Query::Select { .. } | Query::Ask { .. } => negotiate(accept.as_deref(), RESULTS_OFFERS)
            .map(AnswerFormat::Results)
            .ok_or_else(|| ProtocolError::NotAcceptable(available(RESULTS_OFFERS)))?,
        Query::Construct { .. } | Query::Describe { .. } => {
            negotiate(accept.as_deref(), GRAPH_OFFERS)
                .map(AnswerFormat::Graph)
                .ok_or_else(|| ProtocolError::NotAcceptable(available(GRAPH_OFFERS)))?
        }
    };
    let query_options = QueryOptions {
        readable: (options.readable)(parts),
        default_graph_as_union: options.default_graph_as_union,
        timeout: options.timeout,
        max_results: options.max_results,
        max_independent_patterns: options.max_independent_patterns,
    };
    let start = Instant::now();
    let outcome = endpoint
        .store
        .query_parsed(&query, &query_options)
        .inspect_err(|e| match e {
            SparqlError::Timeout(limit) => {
                tracing::warn!(
                    "a SPARQL {} query ran out of its {limit:?}",
                    query_form(&query)
                );
            }
            SparqlError::Busy => {
                tracing::warn!("SPARQL query refused: busy with timed-out queries")
            }
            _ => {}
        })?;
    tracing::debug!(
        form = query_form(&query),
        elapsed_ms = start.elapsed().as_millis(),
        "SPARQL query answered"
    );
    let (content_type, body) = match (format, outcome) {
        (AnswerFormat::Results(format), outcome) => {
            (format.media_type(), write_results(format, outcome)?)
        }
        (AnswerFormat::Graph(format), QueryOutcome::Graph(triples)) => {
            (format.content_type(), write_graph(format, &triples)?)
        }
        (AnswerFormat::Graph(_), _) => {
            tracing::error!("a CONSTRUCT or DESCRIBE query did not give a graph");
            return Err(ProtocolError::Internal);
        }
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::VARY, HeaderValue::from_static("Accept")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

fn write_results(
    format: QueryResultsFormat,
    outcome: QueryOutcome,
) -> Result<Vec<u8>, ProtocolError> {
    let serializer = QueryResultsSerializer::from_format(format);
    let failed = |e: std::io::Error| {
        tracing::error!("writing SPARQL results as {}: {e}", format.media_type());
        ProtocolError::Serialization(format.media_type())
    };
    match outcome {
        QueryOutcome::Boolean(value) => serializer
            .serialize_boolean_to_writer(Vec::new(), value)
            .map_err(failed),
        QueryOutcome::Solutions { variables, rows } => {
            let mut writer = serializer
                .serialize_solutions_to_writer(Vec::new(), variables.clone())
                .map_err(failed)?;
            for row in &rows {
                writer
                    .serialize(
                        variables
                            .iter()
                            .zip(row)
                            .filter_map(|(v, t)| t.as_ref().map(|t| (v.as_ref(), t.as_ref()))),
                    )
                    .map_err(failed)?;
            }
            writer.finish().map_err(failed)
        }
        QueryOutcome::Graph(_) => {
            tracing::error!("a SELECT or ASK query gave a graph");
            Err(ProtocolError::Internal)
        }
    }
}

fn write_graph(format: GraphFormat, triples: &[Triple]) -> Result<Vec<u8>, ProtocolError> {
    match format {
        GraphFormat::Rdf(rdf) => serialize_triples(rdf, triples, None).map_err(|e| {
            tracing::error!("writing a SPARQL graph answer as {}: {e}", rdf.media_type());
            ProtocolError::Serialization(rdf.media_type())
        }),
        GraphFormat::RdfXml => {
            let failed = |e: std::io::Error| {
                tracing::error!("writing a SPARQL graph answer as RDF/XML: {e}");
                ProtocolError::Serialization("application/rdf+xml")
            };
            let mut writer = oxrdfxml::RdfXmlSerializer::new().for_writer(Vec::new());
            for t in triples {
                writer.serialize_triple(t).map_err(failed)?;
            }
            writer.finish().map_err(failed)
        }
    }
}

fn run_update(
    endpoint: &SparqlEndpoint,
    parts: &Parts,
    request: UpdateRequest,
) -> Result<Response, ProtocolError> {
    let mut options = (endpoint.options.update_authorizer)(parts)?;
    if options.base_iri.is_none() {
        options.base_iri.clone_from(&endpoint.options.base_iri);
    }
    let mut update = parse_update(&request.text, options.base_iri.as_deref())?;
    apply_using(
        &mut update,
        &request.using_graphs,
        &request.using_named_graphs,
    )?;
    let summary = endpoint.store.update_parsed(&update, &options)?;
    tracing::info!(
        inserted = summary.inserted,
        removed = summary.removed,
        "SPARQL update applied"
    );
    Ok((
        StatusCode::NO_CONTENT,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response())
}
