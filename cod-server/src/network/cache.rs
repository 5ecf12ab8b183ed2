//! The network's public pages are the same for every visitor and change only when the index
//! does: each answer is kept, keyed by its URL, with the index's generation, and served again
//! until the index changes. Under load (a page linked from a newspaper, a map refreshed by
//! every visitor) the server then answers from memory.

use crate::app::AppState;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest answer kept; larger ones (a year of a national agenda as iCalendar) are computed
/// each time.
const MAX_KEPT_BYTES: usize = 2 * 1024 * 1024;

/// Longest a page is kept even when the index does not change: what depends on the time ("this
/// week") or on the network's own profile is at most this old.
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// A kept answer.
#[derive(Clone)]
pub struct KeptPage {
    generation: u64,
    at: std::time::Instant,
    headers: HeaderMap,
    body: Bytes,
}

/// The cache of public pages.
pub struct PageCache {
    pages: quick_cache::sync::Cache<String, KeptPage>,
}

impl Default for PageCache {
    fn default() -> Self {
        Self {
            pages: quick_cache::sync::Cache::new(4_096),
        }
    }
}

/// Middleware of the public pages: answers from the cache when the index has not changed.
pub async fn public_page(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(net) = state.network.clone() else {
        return next.run(request).await;
    };
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let generation = net.index.generation();
    if let Some(kept) = net.pages.pages.get(&key)
        && kept.generation == generation
        && kept.at.elapsed() < MAX_AGE
    {
        return (StatusCode::OK, kept.headers, kept.body).into_response();
    }
    let response = next.run(request).await;
    // Only whole answers of a known, moderate size are kept; anything else passes through.
    let size = axum::body::HttpBody::size_hint(response.body()).exact();
    if response.status() != StatusCode::OK || size.is_none_or(|n| n as usize > MAX_KEPT_BYTES) {
        return response;
    }
    let (parts, body) = response.into_parts();
    match to_bytes(body, MAX_KEPT_BYTES).await {
        Ok(bytes) => {
            net.pages.pages.insert(
                key,
                KeptPage {
                    generation,
                    at: std::time::Instant::now(),
                    headers: parts.headers.clone(),
                    body: bytes.clone(),
                },
            );
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(e) => {
            tracing::error!(page = %key, error = %e, "reading a public page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be read",
            )
                .into_response()
        }
    }
}
