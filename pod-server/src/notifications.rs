//! Solid Notifications: WebSocket and webhook channels on pod resources, as the Solid
//! Notifications Protocol (0.2) and ActivityPods 2.2 describe them.
//!
//! A client reads the storage description (`/.well-known/solid`), which lists the two channel
//! types; it POSTs a subscription (`topic`, and `sendTo` for webhooks) and must be allowed to
//! read the topic. A change to a resource sends `Create`, `Update` or `Delete` to its channels,
//! and `Add` or `Remove` (object: the member) to its container's. WebSocket channels live with
//! their socket; webhook channels are kept in the store and survive restarts; a webhook that
//! answers 4xx or 5xx loses its channel after a few attempts, as ActivityPods does. Deliveries
//! are unsigned JSON-LD.

use crate::app::{AppState, plain};
use crate::fetch::GuardedFetcher;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_rdf::{Keyspace, QuadStore};
use kommon_solid::auth::RequestHead;
use kommon_solid::wac::{self, AccessMode};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The path of the WebSocket channel type.
pub const WEBSOCKET_PATH: &str = "/.notifications/WebSocketChannel2023";
/// The path of the webhook channel type.
pub const WEBHOOK_PATH: &str = "/.notifications/WebhookChannel2023";
const NOTIFY: &str = "http://www.w3.org/ns/solid/notifications#";
/// The contexts of notification messages.
const MESSAGE_CONTEXT: [&str; 2] = [
    "https://www.w3.org/ns/activitystreams",
    "https://www.w3.org/ns/solid/notifications-context/v1",
];
/// At most this many channels per topic and in all, so subscriptions cannot fill memory.
const MAX_PER_TOPIC: usize = 200;
const MAX_CHANNELS: usize = 100_000;
/// How long an unopened WebSocket channel waits for its socket.
const UNOPENED_TTL: Duration = Duration::from_secs(300);

/// The kind of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelType {
    /// Messages over a WebSocket the client opens.
    WebSocket,
    /// Messages POSTed to the client's URL.
    Webhook,
}

impl ChannelType {
    fn name(self) -> &'static str {
        match self {
            Self::WebSocket => "WebSocketChannel2023",
            Self::Webhook => "WebhookChannel2023",
        }
    }
}

/// A subscription.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Channel {
    /// Its id (a URL on this server).
    pub id: String,
    /// Its kind.
    pub kind: ChannelType,
    /// The resource watched.
    pub topic: String,
    /// Where webhooks go.
    pub send_to: Option<String>,
    /// Who subscribed.
    pub agent: Option<String>,
    /// When it was made, milliseconds.
    pub created_ms: u64,
}

/// A change to a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `Create`, `Update`, `Delete`, `Add` or `Remove`.
    pub kind: &'static str,
    /// The topic told.
    pub topic: String,
    /// The resource that changed (the member for `Add` and `Remove`).
    pub object: String,
    /// The new ETag, if any.
    pub state: Option<String>,
}

/// The notification message of a change.
pub fn message(change: &Change) -> serde_json::Value {
    let mut m = serde_json::json!({
        "@context": MESSAGE_CONTEXT,
        "id": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "type": change.kind,
        "object": change.object,
        "published": httpdate_iso(),
    });
    if matches!(change.kind, "Add" | "Remove") {
        m["target"] = serde_json::Value::String(change.topic.clone());
    }
    if let Some(s) = &change.state {
        m["state"] = serde_json::Value::String(s.clone());
    }
    m
}

fn httpdate_iso() -> String {
    kommon_solid::storage::xsd_datetime(kommon_solid::resource::now_ms())
}

/// The changes a successful LDP request made, from its method, target and answer.
pub fn changes_of(
    method: &Method,
    url: &str,
    status: StatusCode,
    location: Option<&str>,
    etag: Option<&str>,
) -> Vec<Change> {
    if !status.is_success() {
        return Vec::new();
    }
    let state = etag.map(str::to_owned);
    let parent = kommon_solid::wac::parent_container(url);
    let mut out = Vec::new();
    let mut push = |kind, topic: &str, object: &str| {
        out.push(Change {
            kind,
            topic: topic.to_owned(),
            object: object.to_owned(),
            state: state.clone(),
        })
    };
    match *method {
        Method::POST => {
            if let Some(created) = location.filter(|_| status == StatusCode::CREATED) {
                push("Create", created, created);
                push("Add", url, created);
            }
        }
        Method::PUT | Method::PATCH => {
            if status == StatusCode::CREATED {
                push("Create", url, url);
                if let Some(p) = &parent {
                    push("Add", p, url);
                }
            } else {
                push("Update", url, url);
            }
        }
        Method::DELETE => {
            push("Delete", url, url);
            if let Some(p) = &parent {
                push("Remove", p, url);
            }
        }
        _ => {}
    }
    out
}

struct Registry {
    channels: HashMap<String, Channel>,
    by_topic: HashMap<String, Vec<String>>,
    sockets: HashMap<String, mpsc::Sender<String>>,
}

/// The channels of a server and the delivery of changes to them.
#[derive(Clone)]
pub struct NotificationHub {
    base: String,
    registry: Arc<RwLock<Registry>>,
    keyspace: Keyspace,
    fetcher: GuardedFetcher,
    /// Webhook failures per channel, to drop channels that keep failing.
    failures: Arc<parking_lot::Mutex<HashMap<String, u32>>>,
}

/// Why a subscription was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SubscriptionError(pub StatusCode, pub String);

#[derive(Deserialize)]
struct SubscriptionRequest {
    #[serde(rename = "type", alias = "@type", default)]
    kind: Option<String>,
    #[serde(alias = "notify:topic", default)]
    topic: Option<serde_json::Value>,
    #[serde(rename = "sendTo", alias = "notify:sendTo", alias = "send_to", default)]
    send_to: Option<serde_json::Value>,
}

fn iri(value: &Option<serde_json::Value>) -> Option<String> {
    match value.as_ref()? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o
            .get("@id")
            .or_else(|| o.get("id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        _ => None,
    }
}

impl NotificationHub {
    /// The hub of the server at `base`, its webhook channels kept in `store`.
    pub fn new(store: &QuadStore, base: &str, allow_private: bool) -> Self {
        let keyspace = store.keyspace("notify-channels");
        let mut registry = Registry {
            channels: HashMap::new(),
            by_topic: HashMap::new(),
            sockets: HashMap::new(),
        };
        for entry in keyspace.scan_prefix(b"") {
            match entry {
                Ok((_, v)) => {
                    if let Ok(c) = serde_json::from_slice::<Channel>(&v) {
                        registry
                            .by_topic
                            .entry(c.topic.clone())
                            .or_default()
                            .push(c.id.clone());
                        registry.channels.insert(c.id.clone(), c);
                    }
                }
                Err(e) => tracing::error!(error = %e, "reading notification channels"),
            }
        }
        Self {
            base: base.to_owned(),
            registry: Arc::new(RwLock::new(registry)),
            keyspace,
            fetcher: GuardedFetcher::new(allow_private),
            failures: Arc::new(parking_lot::Mutex::new(HashMap::new())),
        }
    }

    /// The channel-type URLs, for the storage description.
    pub fn subscription_services(&self) -> [String; 2] {
        [
            format!("{}{WEBSOCKET_PATH}", self.base),
            format!("{}{WEBHOOK_PATH}", self.base),
        ]
    }

    /// Reads a subscription request (JSON-LD, plain or `notify:`-prefixed keys).
    pub fn parse_request(
        kind: ChannelType,
        body: &[u8],
    ) -> Result<(String, Option<String>), SubscriptionError> {
        let bad = |m: &str| SubscriptionError(StatusCode::BAD_REQUEST, m.to_owned());
        let req: SubscriptionRequest = serde_json::from_slice(body).map_err(|e| {
            bad(&format!(
                "the subscription is not JSON-LD of the expected shape: {e}"
            ))
        })?;
        if let Some(t) = &req.kind {
            let t = t.rsplit(['#', ':', '/']).next().unwrap_or_default();
            if t != kind.name() {
                return Err(bad(&format!(
                    "this endpoint makes {} channels, not {t}",
                    kind.name()
                )));
            }
        }
        let topic = iri(&req.topic).ok_or_else(|| bad("the subscription has no topic"))?;
        if url::Url::parse(&topic).is_err() {
            return Err(bad("the topic is not an absolute URL"));
        }
        let send_to = iri(&req.send_to);
        match kind {
            ChannelType::Webhook => {
                let s = send_to
                    .as_deref()
                    .ok_or_else(|| bad("a webhook subscription needs sendTo"))?;
                let ok = url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !ok {
                    return Err(bad("sendTo must be an http(s) URL"));
                }
            }
            ChannelType::WebSocket => {}
        }
        Ok((topic, send_to))
    }

    /// Makes a channel on `topic`.
    pub fn subscribe(
        &self,
        kind: ChannelType,
        topic: &str,
        send_to: Option<String>,
        agent: Option<String>,
    ) -> Result<Channel, SubscriptionError> {
        let path = match kind {
            ChannelType::WebSocket => WEBSOCKET_PATH,
            ChannelType::Webhook => WEBHOOK_PATH,
        };
        let channel = Channel {
            id: format!("{}{path}/{}", self.base, uuid::Uuid::new_v4()),
            kind,
            topic: topic.to_owned(),
            send_to,
            agent,
            created_ms: kommon_solid::resource::now_ms(),
        };
        let mut reg = self.registry.write();
        if reg.channels.len() >= MAX_CHANNELS {
            self.prune_unopened(&mut reg);
            if reg.channels.len() >= MAX_CHANNELS {
                return Err(SubscriptionError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many channels on this server; try again later".to_owned(),
                ));
            }
        }
        let list = reg.by_topic.entry(topic.to_owned()).or_default();
        if list.len() >= MAX_PER_TOPIC {
            return Err(SubscriptionError(
                StatusCode::TOO_MANY_REQUESTS,
                format!("this topic already has {MAX_PER_TOPIC} channels"),
            ));
        }
        list.push(channel.id.clone());
        if kind == ChannelType::Webhook {
            let bytes = serde_json::to_vec(&channel).unwrap_or_default();
            if let Err(e) = self.keyspace.insert(channel.id.as_bytes(), &bytes) {
                tracing::error!(error = %e, "storing a webhook channel");
                return Err(SubscriptionError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the store failed; try again".to_owned(),
                ));
            }
        }
        reg.channels.insert(channel.id.clone(), channel.clone());
        Ok(channel)
    }

    fn prune_unopened(&self, reg: &mut Registry) {
        let now = kommon_solid::resource::now_ms();
        let stale: Vec<String> = reg
            .channels
            .values()
            .filter(|c| {
                c.kind == ChannelType::WebSocket
                    && !reg.sockets.contains_key(&c.id)
                    && now.saturating_sub(c.created_ms) > UNOPENED_TTL.as_millis() as u64
            })
            .map(|c| c.id.clone())
            .collect();
        for id in stale {
            Self::forget(reg, &id);
        }
    }

    fn forget(reg: &mut Registry, id: &str) -> Option<Channel> {
        let c = reg.channels.remove(id)?;
        reg.sockets.remove(id);
        if let Some(list) = reg.by_topic.get_mut(&c.topic) {
            list.retain(|x| x != id);
            if list.is_empty() {
                reg.by_topic.remove(&c.topic);
            }
        }
        Some(c)
    }

    /// Removes a channel.
    pub fn unsubscribe(&self, id: &str) -> Option<Channel> {
        let c = Self::forget(&mut self.registry.write(), id)?;
        if c.kind == ChannelType::Webhook
            && let Err(e) = self.keyspace.remove(id.as_bytes())
        {
            tracing::error!(error = %e, "removing a webhook channel");
        }
        Some(c)
    }

    /// A channel.
    pub fn channel(&self, id: &str) -> Option<Channel> {
        self.registry.read().channels.get(id).cloned()
    }

    /// Tells the channels of each change.
    pub fn publish(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let reg = self.registry.read();
        for change in changes {
            let Some(ids) = reg.by_topic.get(&change.topic) else {
                continue;
            };
            let text = message(change).to_string();
            for id in ids {
                let Some(c) = reg.channels.get(id) else {
                    continue;
                };
                match c.kind {
                    ChannelType::WebSocket => {
                        if let Some(tx) = reg.sockets.get(id) {
                            // A socket that cannot keep up loses messages rather than memory.
                            let _ = tx.try_send(text.clone());
                        }
                    }
                    ChannelType::Webhook => {
                        if let Some(to) = c.send_to.clone() {
                            let hub = self.clone();
                            let id = id.clone();
                            let text = text.clone();
                            tokio::spawn(async move { hub.deliver(&id, &to, text).await });
                        }
                    }
                }
            }
        }
    }

    /// POSTs a message to a webhook, with a few retries; a webhook that keeps refusing loses
    /// its channel.
    async fn deliver(&self, id: &str, to: &str, text: String) {
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(2u64.pow(attempt))).await;
            }
            match self.fetcher.post_json(to, &text).await {
                Ok(status) if status < 400 => {
                    self.failures.lock().remove(id);
                    return;
                }
                Ok(status) if status < 500 => {
                    tracing::info!(channel = %id, status, "the webhook refused: channel removed");
                    self.unsubscribe(id);
                    return;
                }
                Ok(_) | Err(_) => {}
            }
        }
        let failures = {
            let mut f = self.failures.lock();
            let n = f.entry(id.to_owned()).or_insert(0);
            *n += 1;
            *n
        };
        if failures >= 3 {
            tracing::info!(channel = %id, "the webhook keeps failing: channel removed");
            self.unsubscribe(id);
            self.failures.lock().remove(id);
        }
    }

    fn attach(&self, id: &str, tx: mpsc::Sender<String>) -> bool {
        let mut reg = self.registry.write();
        if !reg.channels.contains_key(id) {
            return false;
        }
        reg.sockets.insert(id.to_owned(), tx);
        true
    }
}

/// The JSON-LD description of a channel type.
fn channel_type_description(state: &AppState, kind: ChannelType) -> Response {
    let base = state.pods.layout.base();
    let body = serde_json::json!({
        "@context": ["https://www.w3.org/ns/solid/notification/v1", {"notify": NOTIFY}],
        "id": format!("{base}/.notifications/{}", kind.name()),
        "notify:channelType": format!("notify:{}", kind.name()),
        "channelType": format!("{NOTIFY}{}", kind.name()),
        "notify:feature": ["notify:state"],
        "feature": ["state"],
    });
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        body.to_string(),
    )
        .into_response()
}

fn channel_json(c: &Channel) -> serde_json::Value {
    let mut v = serde_json::json!({
        "@context": ["https://www.w3.org/ns/solid/notification/v1", {"notify": NOTIFY}],
        "id": c.id,
        "type": c.kind.name(),
        "notify:channelType": format!("notify:{}", c.kind.name()),
        "topic": c.topic,
        "notify:topic": c.topic,
    });
    match c.kind {
        ChannelType::WebSocket => {
            let ws = c.id.replacen("http", "ws", 1);
            let receive = ws.replacen(WEBSOCKET_PATH, &format!("{WEBSOCKET_PATH}/socket"), 1);
            v["receiveFrom"] = serde_json::Value::String(receive.clone());
            v["notify:receiveFrom"] = serde_json::Value::String(receive);
        }
        ChannelType::Webhook => {
            if let Some(s) = &c.send_to {
                v["sendTo"] = serde_json::Value::String(s.clone());
                v["notify:sendTo"] = serde_json::Value::String(s.clone());
            }
        }
    }
    v
}

async fn subscribe(
    state: AppState,
    kind: ChannelType,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    if body.len() > 16 * 1024 {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the subscription is larger than 16 KiB",
        );
    }
    let url = format!(
        "{}/.notifications/{}",
        state.pods.layout.base(),
        kind.name()
    );
    let head = RequestHead {
        method: &Method::POST,
        path_and_query: url.trim_start_matches(state.pods.layout.base()),
        url: &url,
        headers: &headers,
        body: &body,
    };
    let credentials = match state.auth.authenticate(&head).await {
        Ok(c) => c,
        Err(e) => return crate::app::unauthorized(&e),
    };
    let (topic, send_to) = match NotificationHub::parse_request(kind, &body) {
        Ok(t) => t,
        Err(e) => return plain(e.0, &e.1),
    };
    let pods = state.pods.clone();
    let requester_creds = credentials.clone();
    let topic_check = topic.clone();
    let allowed = tokio::task::spawn_blocking(move || {
        let exists = pods.resources.meta(&topic_check).ok().flatten().is_some();
        let requester = match &requester_creds {
            Some(c) => c.requester(),
            None => kommon_solid::wac::Requester::Anonymous,
        };
        (
            exists,
            wac::allows(&topic_check, requester, AccessMode::Read, &pods.resources),
        )
    })
    .await;
    match allowed {
        Ok((_, false)) if credentials.is_none() => {
            let mut r = plain(
                StatusCode::UNAUTHORIZED,
                "subscribing to this topic needs authentication",
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("DPoP algs=\"ES256 ES384 RS256 PS256\""),
            );
            return r;
        }
        Ok((_, false)) => {
            return plain(
                StatusCode::FORBIDDEN,
                "you may not read this topic, so you may not watch it",
            );
        }
        Ok((false, true)) => return plain(StatusCode::NOT_FOUND, "the topic does not exist"),
        Ok((true, true)) => {}
        Err(e) => {
            tracing::error!(error = %e, "checking a subscription");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed");
        }
    }
    match state
        .notifications
        .subscribe(kind, &topic, send_to, credentials.map(|c| c.agent))
    {
        Ok(c) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/ld+json")],
            channel_json(&c).to_string(),
        )
            .into_response(),
        Err(e) => plain(e.0, &e.1),
    }
}

/// `GET|POST /.notifications/{WebSocketChannel2023|WebhookChannel2023}`: the channel type's
/// description, or a subscription.
pub async fn channels(
    State(state): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let kind = match name.as_str() {
        "WebSocketChannel2023" => ChannelType::WebSocket,
        "WebhookChannel2023" => ChannelType::Webhook,
        _ => return plain(StatusCode::NOT_FOUND, "no such channel type"),
    };
    if method == Method::POST {
        subscribe(state, kind, headers, body).await
    } else {
        channel_type_description(&state, kind)
    }
}

/// `GET|DELETE /.notifications/WebhookChannel2023/{id}`: a webhook channel; whoever knows its
/// URL may read or delete it (as ActivityPods does: the id is unguessable).
pub async fn webhook_channel(
    State(state): State<AppState>,
    method: Method,
    Path(id): Path<String>,
) -> Response {
    let full = format!("{}{WEBHOOK_PATH}/{id}", state.pods.layout.base());
    let found = if method == Method::DELETE {
        state.notifications.unsubscribe(&full)
    } else {
        state.notifications.channel(&full)
    };
    match (found, method) {
        (None, _) => plain(StatusCode::NOT_FOUND, "no such channel"),
        (Some(_), Method::DELETE) => StatusCode::NO_CONTENT.into_response(),
        (Some(c), _) => (
            [(header::CONTENT_TYPE, "application/ld+json")],
            channel_json(&c).to_string(),
        )
            .into_response(),
    }
}

/// `GET /.notifications/WebSocketChannel2023/socket/{id}`: the WebSocket of a channel.
pub async fn websocket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let full = format!("{}{WEBSOCKET_PATH}/{id}", state.pods.layout.base());
    if state.notifications.channel(&full).is_none() {
        return plain(StatusCode::NOT_FOUND, "no such channel");
    }
    let hub = state.notifications.clone();
    upgrade
        .protocols(["solid-0.1"])
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| serve_socket(hub, full, socket))
}

async fn serve_socket(hub: NotificationHub, id: String, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::channel::<String>(256);
    if !hub.attach(&id, tx) {
        return;
    }
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            incoming = socket.recv() => match incoming {
                // Clients may ping; anything else they send is ignored.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    hub.unsubscribe(&id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_follow_the_method_and_answer() {
        let url = "http://x/alice/data/a";
        let c = changes_of(&Method::PUT, url, StatusCode::CREATED, None, Some("\"1\""));
        assert_eq!(
            c.iter().map(|c| c.kind).collect::<Vec<_>>(),
            ["Create", "Add"]
        );
        assert_eq!(c[1].topic, "http://x/alice/data/");
        let c = changes_of(&Method::PATCH, url, StatusCode::NO_CONTENT, None, None);
        assert_eq!(c.iter().map(|c| c.kind).collect::<Vec<_>>(), ["Update"]);
        let c = changes_of(&Method::DELETE, url, StatusCode::NO_CONTENT, None, None);
        assert_eq!(
            c.iter().map(|c| c.kind).collect::<Vec<_>>(),
            ["Delete", "Remove"]
        );
        let c = changes_of(
            &Method::POST,
            "http://x/alice/data/",
            StatusCode::CREATED,
            Some(url),
            None,
        );
        assert_eq!(
            c.iter()
                .map(|c| (c.kind, c.topic.as_str()))
                .collect::<Vec<_>>(),
            [("Create", url), ("Add", "http://x/alice/data/")]
        );
        assert!(changes_of(&Method::PUT, url, StatusCode::FORBIDDEN, None, None).is_empty());
        assert!(changes_of(&Method::GET, url, StatusCode::OK, None, None).is_empty());
    }

    #[test]
    fn subscription_requests_are_checked() {
        let ok = br#"{"@context":["https://www.w3.org/ns/solid/notification/v1"],"type":"WebhookChannel2023","topic":"http://x/a","sendTo":"http://y/hook"}"#;
        assert!(NotificationHub::parse_request(ChannelType::Webhook, ok).is_ok());
        let prefixed = br#"{"@context":{"notify":"http://www.w3.org/ns/solid/notifications#"},"@type":"notify:WebhookChannel2023","notify:topic":"http://x/a","notify:sendTo":"http://y/hook"}"#;
        assert!(NotificationHub::parse_request(ChannelType::Webhook, prefixed).is_ok());
        for bad in [
            &b"{"[..],
            br#"{"type":"WebhookChannel2023"}"#,
            br#"{"type":"WebhookChannel2023","topic":"http://x/a"}"#,
            br#"{"type":"WebhookChannel2023","topic":"http://x/a","sendTo":"file:///etc/passwd"}"#,
            br#"{"type":"WebSocketChannel2023","topic":"http://x/a","sendTo":"http://y"}"#,
            br#"{"type":"WebhookChannel2023","topic":"relative","sendTo":"http://y"}"#,
        ] {
            let e = NotificationHub::parse_request(ChannelType::Webhook, bad).expect_err("bad");
            assert_eq!(e.0, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn messages_are_activities() {
        let m = message(&Change {
            kind: "Add",
            topic: "http://x/c/".into(),
            object: "http://x/c/a".into(),
            state: None,
        });
        assert_eq!(m["type"], "Add");
        assert_eq!(m["target"], "http://x/c/");
        assert!(
            m["published"]
                .as_str()
                .is_some_and(|p| p.ends_with('Z') && p.len() == 24)
        );
    }
}
