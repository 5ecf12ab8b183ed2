//! Reading a SPARQL protocol request: which operation, its text, and its dataset parameters.

use crate::error::ProtocolError;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use futures::StreamExt;
use oxrdf::NamedNode;
use spargebra::algebra::QueryDataset;
use spargebra::{GraphUpdateOperation, Query, Update};
use std::time::Duration;

/// A query with the dataset given by the protocol (`default-graph-uri`, `named-graph-uri`).
#[derive(Debug)]
pub(crate) struct QueryRequest {
    pub(crate) text: String,
    pub(crate) default_graphs: Vec<NamedNode>,
    pub(crate) named_graphs: Vec<NamedNode>,
}

/// An update with the dataset given by the protocol (`using-graph-uri`, `using-named-graph-uri`).
#[derive(Debug)]
pub(crate) struct UpdateRequest {
    pub(crate) text: String,
    pub(crate) using_graphs: Vec<NamedNode>,
    pub(crate) using_named_graphs: Vec<NamedNode>,
}

/// What a request asks for.
#[derive(Debug)]
pub(crate) enum Operation {
    Query(QueryRequest),
    Update(UpdateRequest),
}

/// The protocol's parameters, each possibly repeated.
#[derive(Default)]
struct Params {
    query: Vec<String>,
    update: Vec<String>,
    default_graph: Vec<String>,
    named_graph: Vec<String>,
    using_graph: Vec<String>,
    using_named_graph: Vec<String>,
}

impl Params {
    fn add_encoded(&mut self, encoded: &[u8]) {
        for (name, value) in form_urlencoded::parse(encoded) {
            let list = match name.as_ref() {
                "query" => &mut self.query,
                "update" => &mut self.update,
                "default-graph-uri" => &mut self.default_graph,
                "named-graph-uri" => &mut self.named_graph,
                "using-graph-uri" => &mut self.using_graph,
                "using-named-graph-uri" => &mut self.using_named_graph,
                _ => continue,
            };
            list.push(value.into_owned());
        }
    }

    fn query_request(self, text: String) -> Result<QueryRequest, ProtocolError> {
        Ok(QueryRequest {
            text,
            default_graphs: iris("default-graph-uri", self.default_graph)?,
            named_graphs: iris("named-graph-uri", self.named_graph)?,
        })
    }

    fn update_request(self, text: String) -> Result<UpdateRequest, ProtocolError> {
        Ok(UpdateRequest {
            text,
            using_graphs: iris("using-graph-uri", self.using_graph)?,
            using_named_graphs: iris("using-named-graph-uri", self.using_named_graph)?,
        })
    }

    /// The operation of a GET or of a form POST: exactly one `query` or one `update`.
    fn into_operation(mut self, allow_update: bool) -> Result<Operation, ProtocolError> {
        if !self.update.is_empty() && !allow_update {
            return Err(ProtocolError::BadRequest(
                "SPARQL Update must be sent by POST, not GET".into(),
            ));
        }
        match (self.query.len(), self.update.len()) {
            (1, 0) => {
                let text = self.query.remove(0);
                Ok(Operation::Query(self.query_request(text)?))
            }
            (0, 1) => {
                let text = self.update.remove(0);
                Ok(Operation::Update(self.update_request(text)?))
            }
            (0, 0) if allow_update => Err(ProtocolError::BadRequest(
                "missing parameter: send a SPARQL query as `query=` or an update as `update=`"
                    .into(),
            )),
            (0, 0) => Err(ProtocolError::BadRequest(
                "missing parameter: send a SPARQL query as `?query=`".into(),
            )),
            (q, u) if q > 0 && u > 0 => Err(ProtocolError::BadRequest(
                "a request has either a `query` or an `update` parameter, not both".into(),
            )),
            _ => Err(ProtocolError::BadRequest(
                "the `query` or `update` parameter is given more than once".into(),
            )),
        }
    }

    /// Refuses a `query` or `update` parameter beside a body that is itself the operation.
    fn refuse_operation_params(&self) -> Result<(), ProtocolError> {
        if self.query.is_empty() && self.update.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError::BadRequest(
                "the operation is in the body: the URL must not also have `query` or `update`"
                    .into(),
            ))
        }
    }
}

fn iris(name: &str, values: Vec<String>) -> Result<Vec<NamedNode>, ProtocolError> {
    values
        .into_iter()
        .map(|v| {
            NamedNode::new(v.as_str()).map_err(|e| {
                ProtocolError::BadRequest(format!("{name} is not an absolute IRI: <{v}>: {e}"))
            })
        })
        .collect()
}

fn url_params(parts: &Parts, max_bytes: usize) -> Result<Params, ProtocolError> {
    let mut params = Params::default();
    if let Some(query) = parts.uri.query() {
        if query.len() > max_bytes {
            return Err(ProtocolError::UriTooLong(max_bytes));
        }
        params.add_encoded(query.as_bytes());
    }
    Ok(params)
}

/// The media type of the body, lower-cased, and whether its charset (if any) is UTF-8.
fn content_type(headers: &HeaderMap) -> Result<(String, bool), ProtocolError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(ProtocolError::UnsupportedMediaType("(none)".into()));
    };
    let text = value
        .to_str()
        .map_err(|_| ProtocolError::UnsupportedMediaType("(not readable)".into()))?;
    let parsed: mime::Mime = text
        .parse()
        .map_err(|_| ProtocolError::UnsupportedMediaType(text.to_owned()))?;
    let utf8 = parsed
        .get_param(mime::CHARSET)
        .is_none_or(|c| c.as_str().eq_ignore_ascii_case("utf-8"));
    Ok((parsed.essence_str().to_ascii_lowercase(), utf8))
}

/// Most bytes read and thrown away after a body passes the limit, so that the client, still
/// sending, can read the 413 instead of seeing its connection reset.
const MAX_DRAIN_BYTES: usize = 16 * 1024 * 1024;
/// Longest time spent throwing away such a body.
const MAX_DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads the body, up to `limit` bytes.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ProtocolError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > limit as u64) {
        if declared.is_some_and(|n| n <= MAX_DRAIN_BYTES as u64) {
            drain(stream).await;
        }
        return Err(ProtocolError::PayloadTooLarge(limit));
    }
    let mut out = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ProtocolError::BadRequest(format!("the request body could not be read: {e}"))
        })?;
        if out.len() + chunk.len() > limit {
            drain(stream).await;
            return Err(ProtocolError::PayloadTooLarge(limit));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

async fn drain(mut stream: axum::body::BodyDataStream) {
    let discard = async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > MAX_DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(MAX_DRAIN_TIME, discard).await;
}

fn utf8(body: Vec<u8>) -> Result<String, ProtocolError> {
    String::from_utf8(body)
        .map_err(|_| ProtocolError::BadRequest("the request body is not valid UTF-8".into()))
}

/// Reads the operation of a GET or POST request.
pub(crate) async fn read_operation(
    parts: &Parts,
    body: Body,
    max_bytes: usize,
) -> Result<Operation, ProtocolError> {
    let mut params = url_params(parts, max_bytes)?;
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return params.into_operation(false);
    }
    if parts.method != Method::POST {
        return Err(ProtocolError::MethodNotAllowed);
    }
    let (media_type, utf8_charset) = content_type(&parts.headers)?;
    match media_type.as_str() {
        "application/x-www-form-urlencoded" => {
            let body = read_body(&parts.headers, body, max_bytes).await?;
            params.add_encoded(&body);
            params.into_operation(true)
        }
        "application/sparql-query" | "application/sparql-update" => {
            if !utf8_charset {
                return Err(ProtocolError::UnsupportedMediaType(format!(
                    "{media_type} in a charset other than UTF-8"
                )));
            }
            params.refuse_operation_params()?;
            let text = utf8(read_body(&parts.headers, body, max_bytes).await?)?;
            if media_type == "application/sparql-query" {
                Ok(Operation::Query(params.query_request(text)?))
            } else {
                Ok(Operation::Update(params.update_request(text)?))
            }
        }
        _ => Err(ProtocolError::UnsupportedMediaType(media_type)),
    }
}

/// Gives a query the dataset of the protocol's `default-graph-uri` and `named-graph-uri`, which
/// replaces any `FROM` and `FROM NAMED` of the query itself (SPARQL 1.1 Protocol, 2.1.4). With
/// only `named-graph-uri`, the default graph is empty; with only `default-graph-uri`, there are
/// no named graphs, as with the same clauses in the query.
pub(crate) fn apply_dataset(query: &mut Query, default: Vec<NamedNode>, named: Vec<NamedNode>) {
    if default.is_empty() && named.is_empty() {
        return;
    }
    let (Query::Select { dataset, .. }
    | Query::Construct { dataset, .. }
    | Query::Describe { dataset, .. }
    | Query::Ask { dataset, .. }) = query;
    *dataset = Some(QueryDataset {
        default,
        named: Some(named),
    });
}

/// Gives each DELETE/INSERT operation of an update the dataset of the protocol's
/// `using-graph-uri` and `using-named-graph-uri`. An operation with its own `USING`,
/// `USING NAMED` or `WITH` cannot take them: the request is refused (Protocol, 2.2.3).
pub(crate) fn apply_using(
    update: &mut Update,
    default: &[NamedNode],
    named: &[NamedNode],
) -> Result<(), ProtocolError> {
    if default.is_empty() && named.is_empty() {
        return Ok(());
    }
    for op in &mut update.operations {
        if let GraphUpdateOperation::DeleteInsert { using, .. } = op {
            if using.is_some() {
                return Err(ProtocolError::BadRequest(
                    "the update has USING, USING NAMED or WITH and the request has \
                     using-graph-uri or using-named-graph-uri: give the dataset in one place only"
                        .into(),
                ));
            }
            *using = Some(QueryDataset {
                default: default.to_vec(),
                named: Some(named.to_vec()),
            });
        }
    }
    Ok(())
}
