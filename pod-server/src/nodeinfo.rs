//! Discovery: NodeInfo 2.1 and 2.0 (what this server is, for fediverse crawlers and for
//! ActivityPods app frontends, which wait for it before they show anything) and WebFinger (who
//! `@name@host` is).

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

/// The query of a WebFinger lookup.
#[derive(serde::Deserialize, Default)]
pub struct WebFingerQuery {
    #[serde(default)]
    resource: Option<String>,
}

/// The pod a WebFinger resource names: `acct:name@host` (host as in the base URL, port
/// included) or the WebID itself.
pub fn webfinger_pod(
    state: &AppState,
    resource: &str,
) -> Result<String, (axum::http::StatusCode, String)> {
    use axum::http::StatusCode;
    let base = url::Url::parse(state.pods.layout.base())
        .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "bad base URL".to_owned()))?;
    let host = match base.port() {
        Some(p) => format!("{}:{p}", base.host_str().unwrap_or_default()),
        None => base.host_str().unwrap_or_default().to_owned(),
    };
    let name = if let Some(acct) = resource.strip_prefix("acct:") {
        let acct = acct.trim_start_matches('@');
        let (name, at) = acct.rsplit_once('@').ok_or((
            StatusCode::BAD_REQUEST,
            format!("{resource} is not acct:name@host"),
        ))?;
        if !at.eq_ignore_ascii_case(&host) {
            return Err((
                StatusCode::NOT_FOUND,
                format!("{at} is not this server ({host})"),
            ));
        }
        name.to_owned()
    } else if resource.starts_with("http://") || resource.starts_with("https://") {
        match state.pods.layout.split(resource) {
            Some((name, "")) => name.to_owned(),
            _ => {
                return Err((
                    StatusCode::NOT_FOUND,
                    format!("{resource} is not a WebID of this server"),
                ));
            }
        }
    } else {
        return Err((
            StatusCode::BAD_REQUEST,
            "resource must be acct:name@host or a WebID".to_owned(),
        ));
    };
    match state.pods.accounts.exists(&name) {
        Ok(true) => Ok(name),
        Ok(false) => Err((
            StatusCode::NOT_FOUND,
            format!("there is no pod named {name}"),
        )),
        Err(e) => {
            tracing::error!(error = %e, "reading accounts");
            Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "the store failed".to_owned(),
            ))
        }
    }
}

/// `GET /.well-known/webfinger?resource=…`: the JRD of a pod's actor, so that fediverse servers
/// find `@name@host` (the `self` link is the WebID, whose `preferredUsername` is the name, so
/// Mastodon's reverse check holds).
pub async fn webfinger(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<WebFingerQuery>,
) -> Response {
    let Some(resource) = q.resource.filter(|r| !r.is_empty() && r.len() <= 2048) else {
        return crate::app::plain(axum::http::StatusCode::BAD_REQUEST, "resource is missing");
    };
    let instance = &state.federation.instance.id;
    let is_instance = resource == *instance
        || resource
            .strip_prefix("acct:")
            .and_then(|a| a.split_once('@'))
            .is_some_and(|(n, h)| {
                n == crate::federation::routes::INSTANCE_NAME
                    && Some(h.to_ascii_lowercase())
                        == kommon_activitypub::json::authority(state.pods.layout.base())
            });
    if is_instance {
        let host =
            kommon_activitypub::json::authority(state.pods.layout.base()).unwrap_or_default();
        let body = kommon_activitypub::webfinger::actor_jrd(
            &format!("acct:{}@{host}", crate::federation::routes::INSTANCE_NAME),
            instance,
            Some(&format!("{}/", state.pods.layout.base())),
        );
        return (
            [
                (header::CONTENT_TYPE, "application/jrd+json"),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            body.to_string(),
        )
            .into_response();
    }
    let name = match webfinger_pod(&state, &resource) {
        Ok(n) => n,
        Err((status, message)) => return crate::app::plain(status, &message),
    };
    let webid = state.pods.layout.webid(&name);
    let base = url::Url::parse(state.pods.layout.base()).ok();
    let host = base
        .as_ref()
        .map(|b| match b.port() {
            Some(p) => format!("{}:{p}", b.host_str().unwrap_or_default()),
            None => b.host_str().unwrap_or_default().to_owned(),
        })
        .unwrap_or_default();
    let body = serde_json::json!({
        "subject": format!("acct:{name}@{host}"),
        "aliases": [webid],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": webid},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": webid},
            {"rel": "http://openid.net/specs/connect/1.0/issuer", "href": state.oidc.issuer},
        ],
    });
    (
        [
            (header::CONTENT_TYPE, "application/jrd+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body.to_string(),
    )
        .into_response()
}
