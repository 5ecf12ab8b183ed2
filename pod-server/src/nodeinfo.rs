//! NodeInfo 2.1 and 2.0: what this server is, for fediverse crawlers and for ActivityPods app
//! frontends, which wait for it before they show anything.

use crate::app::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The number of pods, counted at most once a minute (a scan of the accounts).
#[derive(Clone, Default)]
pub struct PodCount(Arc<Mutex<Option<(u64, Instant)>>>);

impl PodCount {
    fn get(&self, state: &AppState) -> u64 {
        let mut cached = self.0.lock();
        if let Some((n, at)) = *cached
            && at.elapsed() < Duration::from_secs(60)
        {
            return n;
        }
        let n = state.pods.accounts.names().filter(Result::is_ok).count() as u64;
        *cached = Some((n, Instant::now()));
        n
    }
}

/// `GET /.well-known/nodeinfo`.
pub async fn links(State(state): State<AppState>) -> Response {
    let base = state.pods.layout.base();
    let body = serde_json::json!({
        "links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": format!("{base}/nodeinfo/2.1")},
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0")},
        ]
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn document(state: &AppState, version: &str) -> serde_json::Value {
    let total = state.pod_count.get(state);
    let mut software = serde_json::json!({
        "name": "kommon",
        "version": env!("CARGO_PKG_VERSION"),
    });
    if version == "2.1" {
        software["repository"] = env!("CARGO_PKG_REPOSITORY").into();
        software["homepage"] = state.pods.layout.base().into();
    }
    serde_json::json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": true,
        "usage": {"users": {"total": total}},
        "metadata": {
            "nodeName": "Kommon — pods des tiers-lieux de Plaine Commune",
            "nodeDescription": "Serveur de pods Solid et ActivityPub / Solid and ActivityPub pod server",
            "frontend_url": state.pods.layout.base(),
        },
    })
}

fn answer(state: &AppState, version: &str) -> Response {
    let content_type = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
        ],
        document(state, version).to_string(),
    )
        .into_response()
}

/// `GET /nodeinfo/2.1`.
pub async fn v21(State(state): State<AppState>) -> Response {
    answer(&state, "2.1")
}

/// `GET /nodeinfo/2.0`.
pub async fn v20(State(state): State<AppState>) -> Response {
    answer(&state, "2.0")
}
