//! The endpoint's errors and the HTTP answers they become.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_rdf::SparqlError;
use thiserror::Error;

/// Why an update was refused by the endpoint's update authorizer.
#[derive(Clone, Debug, Error)]
pub enum UpdateRefusal {
    /// The request carries no (usable) credentials: answered 401 with `WWW-Authenticate` set to
    /// `challenge` (for example `Bearer realm="kommon"` or `DPoP algs="ES256"`).
    #[error("authentication is required to update this store")]
    Unauthenticated {
        /// The value of the `WWW-Authenticate` header.
        challenge: String,
    },
    /// The requester is known but may not update: answered 403 with this message.
    #[error("{0}")]
    Forbidden(String),
}

/// Why a SPARQL protocol request failed; each variant becomes one HTTP status with a
/// `text/plain; charset=utf-8` body that says what went wrong.
#[derive(Debug, Error)]
pub enum ProtocolError {
    /// The request is malformed (missing or repeated parameter, invalid IRI, body not UTF-8): 400.
    #[error("{0}")]
    BadRequest(String),
    /// The method is not GET, HEAD, POST or OPTIONS: 405.
    #[error("the SPARQL endpoint accepts GET, POST and OPTIONS")]
    MethodNotAllowed,
    /// The POST body has a content type the protocol does not define: 415.
    #[error(
        "unsupported content type {0}: send application/sparql-query, application/sparql-update or application/x-www-form-urlencoded"
    )]
    UnsupportedMediaType(String),
    /// No format of the answer is acceptable to the client: 406, listing the available types.
    #[error("none of the requested media types is available; available: {}", .0.join(", "))]
    NotAcceptable(Vec<&'static str>),
    /// The body is larger than the endpoint's limit (in bytes): 413.
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// The query string is larger than the endpoint's limit (in bytes): 414.
    #[error("the query string is longer than the limit of {0} bytes; send the query by POST")]
    UriTooLong(usize),
    /// The update authorizer refused the update: 401 or 403.
    #[error(transparent)]
    UpdateRefused(#[from] UpdateRefusal),
    /// Parsing or evaluating the request failed; the status depends on the error (see
    /// [`sparql_status`]).
    #[error(transparent)]
    Sparql(#[from] SparqlError),
    /// The answer could not be written in the negotiated format: 500 (detail logged, not sent).
    #[error("the answer could not be written as {0}")]
    Serialization(&'static str),
    /// Anything else on the server's side: 500 (detail logged, not sent).
    #[error("internal server error")]
    Internal,
}

/// The HTTP status of a SPARQL error.
///
/// Syntax errors, results over the size limit (the client should add a LIMIT), evaluation
/// errors, and update errors about graphs (`CREATE` of an existing graph, `DROP` of a missing
/// one) are the client's: 400. A refused `LOAD` is 403. A query over its time limit is 503
/// (the service could not answer in the time it grants; retrying the same query will not help,
/// so no `Retry-After`); a server still winding down timed-out queries is 503 with
/// `Retry-After`. A failed `LOAD` fetch is 502. A store failure is 500.
pub fn sparql_status(error: &SparqlError) -> StatusCode {
    match error {
        SparqlError::Syntax { .. }
        | SparqlError::TooManyResults(_)
        | SparqlError::TooComplex(_)
        | SparqlError::GraphExists(_)
        | SparqlError::GraphMissing(_)
        | SparqlError::Evaluation(_) => StatusCode::BAD_REQUEST,
        SparqlError::LoadRefused => StatusCode::FORBIDDEN,
        SparqlError::Timeout(_) | SparqlError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        SparqlError::LoadFailed(..) => StatusCode::BAD_GATEWAY,
        SparqlError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds a client is asked to wait when the server is busy with timed-out queries.
const BUSY_RETRY_AFTER_SECONDS: &str = "5";

impl ProtocolError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::UpdateRefused(UpdateRefusal::Unauthenticated { .. }) => StatusCode::UNAUTHORIZED,
            Self::UpdateRefused(UpdateRefusal::Forbidden(_)) => StatusCode::FORBIDDEN,
            Self::Sparql(e) => sparql_status(e),
            Self::Serialization(_) | Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ProtocolError {
    fn into_response(self) -> Response {
        let status = self.status();
        // Store failures carry details (paths, states) that are logged, never sent.
        let body = match &self {
            Self::Sparql(SparqlError::Store(e)) => {
                tracing::error!("SPARQL request failed in the store: {e}");
                String::from("internal server error\n")
            }
            other => format!("{other}\n"),
        };
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match &self {
            Self::MethodNotAllowed => {
                headers.insert(
                    header::ALLOW,
                    HeaderValue::from_static("GET, HEAD, POST, OPTIONS"),
                );
            }
            Self::UpdateRefused(UpdateRefusal::Unauthenticated { challenge }) => {
                let value = HeaderValue::from_str(challenge)
                    .unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
            Self::Sparql(SparqlError::Busy) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(BUSY_RETRY_AFTER_SECONDS),
                );
            }
            Self::PayloadTooLarge(_) | Self::UriTooLong(_) => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answer(error: ProtocolError) -> (StatusCode, axum::http::HeaderMap) {
        let response = error.into_response();
        (response.status(), response.headers().clone())
    }

    #[test]
    fn statuses_and_headers() {
        let (status, headers) = answer(SparqlError::Busy.into());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers[header::RETRY_AFTER], BUSY_RETRY_AFTER_SECONDS);
        let (status, headers) = answer(SparqlError::Timeout(Duration::from_secs(1)).into());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!headers.contains_key(header::RETRY_AFTER));
        assert_eq!(
            answer(SparqlError::TooManyResults(10).into()).0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            answer(SparqlError::LoadRefused.into()).0,
            StatusCode::FORBIDDEN
        );
        let store = SparqlError::Store(kommon_rdf::StoreError::Corrupted("secret".into()));
        let response = ProtocolError::from(store).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let (status, headers) = answer(ProtocolError::MethodNotAllowed);
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(headers.contains_key(header::ALLOW));
        let (status, headers) = answer(
            UpdateRefusal::Unauthenticated {
                challenge: "DPoP algs=\"ES256\"".into(),
            }
            .into(),
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "DPoP algs=\"ES256\"");
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    }

    #[tokio::test]
    async fn store_details_are_not_sent() {
        let store = SparqlError::Store(kommon_rdf::StoreError::Corrupted("secret".into()));
        let response = ProtocolError::from(store).into_response();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap_or_default();
        assert_eq!(&body[..], b"internal server error\n");
    }
}
