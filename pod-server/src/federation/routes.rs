//! The HTTP side of federation: inbox posts (personal and shared), the actors' collections in
//! pages, activities by id, the instance actor, and host-meta.

use crate::app::{AppState, plain};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_activitypub::addressing;
use kommon_activitypub::collection::{self, PAGE_SIZE, PageCursor};
use kommon_activitypub::inbox::{InboxAnswer, InboxPost};
use kommon_activitypub::{ACTIVITY_JSON, json as apjson};
use kommon_solid::auth::Credentials;
use serde_json::Value;

/// An ActivityStreams answer.
pub fn activity_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, ACTIVITY_JSON),
            (header::VARY, "Accept, Authorization, Signature"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST` to an inbox: checked, written durably, `202`; `owner` is the pod whose inbox it is
/// (`None` for the shared inbox).
pub async fn receive(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    owner: Option<&str>,
) -> Response {
    let fed = &state.federation;
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let target_uri = format!("{}{}", fed.layout.base(), path_and_query);
    let post = InboxPost {
        method: parts.method.as_str(),
        target_uri: &target_uri,
        headers: &parts.headers,
        body,
    };
    let inbox = match owner {
        Some(name) => fed.collection(name, "inbox"),
        None => fed.shared_inbox(),
    };
    answer(fed.inbox.receive(&post, &inbox).await)
}

/// The HTTP answer of an inbox post: `202`, or the refusal with its message (and, for a 401,
/// how to sign).
pub fn answer(a: InboxAnswer) -> Response {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = plain(status, &a.message);
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Signature realm=\"kommon\",headers=\"(request-target) host date digest\"",
            ),
        );
    }
    r
}

/// Reads an inbox body: at most the inbox's limit (413 beyond it, without reading it all).
pub async fn read_inbox_body(
    state: &AppState,
    parts: &Parts,
    body: Body,
) -> Result<bytes::Bytes, Response> {
    let limit = state.federation.inbox.verifier.limits().max_bytes;
    state
        .federation
        .inbox
        .read_body(&parts.headers, body)
        .await
        .ok_or_else(|| {
            plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than {limit} bytes"),
            )
        })
}

/// `POST /inbox` (and `/actor/inbox`): the shared inbox.
pub async fn shared_inbox(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_inbox_body(&state, &parts, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    receive(&state, &parts, &body, None).await
}

/// A 401 that says how to authenticate, as the LDP layer's do (Solid-OIDC, ActivityPods'
/// bearer token).
pub fn with_challenges(mut r: Response) -> Response {
    for c in ["DPoP algs=\"ES256 RS256\"", "Bearer scope=\"openid webid\""] {
        r.headers_mut()
            .append(header::WWW_AUTHENTICATE, HeaderValue::from_static(c));
    }
    r
}

/// Whether the requester is the pod's owner (or an app acting for the owner).
fn is_owner(credentials: Option<&Credentials>, webid: &str) -> bool {
    credentials.is_some_and(|c| c.agent == webid)
}

/// Whether the requester may read a stored activity: public ones for everyone, the others for
/// their actor and their addressees.
fn may_read(activity: &Value, credentials: Option<&Credentials>) -> bool {
    if addressing::is_addressed_publicly(activity) {
        return true;
    }
    let Some(c) = credentials else {
        return false;
    };
    activity.get("actor").and_then(apjson::id_of) == Some(c.agent.as_str())
        || addressing::addressees(activity).contains(&c.agent)
}

fn without_context(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("@context");
    }
    v
}

/// `GET` of a pod actor's collection (`inbox`, `outbox`, `followers`, `following`, `liked`).
pub async fn collection_get(
    state: &AppState,
    name: &str,
    which: &str,
    query: Option<&str>,
    credentials: Option<&Credentials>,
) -> Response {
    let fed = state.federation.clone();
    let webid = fed.layout.webid(name);
    if which == "inbox" && !is_owner(credentials, &webid) {
        return match credentials {
            None => with_challenges(plain(
                StatusCode::UNAUTHORIZED,
                "the inbox is for its owner: authenticate",
            )),
            Some(_) => plain(StatusCode::FORBIDDEN, "the inbox is for its owner only"),
        };
    }
    let cursor = match PageCursor::from_query(query) {
        Ok(c) => c,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e),
    };
    let id = fed.collection(name, which);
    let credentials = credentials.cloned();
    let which = which.to_owned();
    let work = move || -> Result<Value, kommon_rdf::StoreError> {
        if cursor == PageCursor::Summary {
            let total = fed.collections.len(&id)?;
            return Ok(collection::collection_document(&id, total, Some(&webid)));
        }
        let page = fed.collections.page(&id, cursor, PAGE_SIZE)?;
        let items = if matches!(which.as_str(), "inbox" | "outbox") {
            let mut out = Vec::new();
            for (_, item) in &page.items {
                if let Some(a) = fed.activity(item)?
                    && may_read(&a, credentials.as_ref())
                {
                    out.push(without_context(a));
                }
            }
            out
        } else {
            page.items
                .iter()
                .map(|(_, i)| Value::String(i.clone()))
                .collect()
        };
        Ok(collection::page_document(&id, cursor, &page, items))
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(doc)) => activity_json(StatusCode::OK, &doc),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "reading a collection");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
        }
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
    }
}

/// `GET` of an activity by its id (`/{name}/activities/{uuid}`).
pub async fn activity_get(
    state: &AppState,
    url: &str,
    credentials: Option<&Credentials>,
) -> Response {
    match state.federation.activity(url) {
        Ok(Some(a)) if may_read(&a, credentials) => activity_json(StatusCode::OK, &a),
        Ok(Some(_)) if credentials.is_none() => with_challenges(plain(
            StatusCode::UNAUTHORIZED,
            "this activity is not public: authenticate",
        )),
        Ok(Some(_)) => plain(
            StatusCode::FORBIDDEN,
            "this activity is not addressed to you",
        ),
        Ok(None) => plain(StatusCode::NOT_FOUND, "no such activity"),
        Err(e) => {
            tracing::error!(error = %e, "reading an activity");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
        }
    }
}

pub use kommon_activitypub::instance::INSTANCE_NAME;

/// The instance actor's document.
pub fn instance_document(state: &AppState) -> Value {
    let fed = &state.federation;
    fed.instance.document(
        fed.layout.base(),
        "Kommon",
        "Le serveur de pods Kommon / the Kommon pod server",
        &fed.shared_inbox(),
    )
}

/// `GET /actor`: the instance actor.
pub async fn instance_actor(State(state): State<AppState>) -> Response {
    activity_json(StatusCode::OK, &instance_document(&state))
}

/// `GET /actor/{collection}`: the instance actor's collections (it posts and follows nothing).
pub async fn instance_collection(
    State(state): State<AppState>,
    axum::extract::Path(which): axum::extract::Path<String>,
    uri: axum::http::Uri,
) -> Response {
    if !matches!(which.as_str(), "outbox" | "followers" | "following") {
        return plain(StatusCode::NOT_FOUND, "no such collection");
    }
    let id = format!("{}/{which}", state.federation.instance.id);
    let doc = match PageCursor::from_query(uri.query()) {
        Ok(PageCursor::Summary) => {
            collection::collection_document(&id, 0, Some(&state.federation.instance.id))
        }
        Ok(c) => collection::page_document(&id, c, &collection::Page::default(), vec![]),
        Err(e) => return plain(StatusCode::BAD_REQUEST, &e),
    };
    activity_json(StatusCode::OK, &doc)
}

/// `GET /.well-known/host-meta`.
pub async fn host_meta(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        kommon_activitypub::webfinger::host_meta_xml(state.federation.layout.base()),
    )
        .into_response()
}

/// `GET /.well-known/host-meta.json`.
pub async fn host_meta_json(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        kommon_activitypub::webfinger::host_meta_json(state.federation.layout.base()).to_string(),
    )
        .into_response()
}
