//! Receiving activities: the checks every post to an inbox passes before it is accepted, and
//! the durable inbox queue it is written to before the `202`.
//!
//! The order of the checks is the order of their cost and of the answers peers rely on: size
//! (413), the HTTP signature and digest (401, which makes Fedify fall back from RFC 9421 to
//! draft-cavage), the JSON and the activity's shape (400), the signer speaking for the actor
//! and for the objects it claims (401 and 400). Only then is anything written: the activity
//! and the inboxes it reached, in one transaction with its id marked as seen, so a redelivery
//! is answered `202` without being queued twice. A worker of the server drains the queue.

use crate::json::{self, ActivityError, Limits};
use futures::future::BoxFuture;
use kommon_http_signatures::{SignedRequest, VerificationKey};
use kommon_rdf::{Keyspace, QuadStore, StoreError, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use thiserror::Error;
use tokio::sync::Notify;

const QUEUE: &str = "ap-inbox-queue";
const SEEN: &str = "ap-inbox-seen";

/// A public key found for a `keyId`.
#[derive(Clone, Debug)]
pub struct ActorKey {
    /// The actor the key belongs to (its `owner`).
    pub owner: String,
    /// The key, PEM.
    pub pem: String,
}

/// Finds actors' public keys: local ones from the store, remote ones by a (signed) fetch.
pub trait ActorKeys: Send + Sync {
    /// The key named by `key_id`; `refresh` bypasses caches (the key may have been rotated).
    fn actor_key<'a>(
        &'a self,
        key_id: &'a str,
        refresh: bool,
    ) -> BoxFuture<'a, Result<Option<ActorKey>, String>>;
}

/// Why a post to an inbox was refused; [`InboxError::status`] is the answer.
#[derive(Debug, Error)]
pub enum InboxError {
    /// The signature is missing, malformed, stale, or does not verify; or the signer may not
    /// speak for the activity's actor.
    #[error("{0}")]
    Unauthorized(String),
    /// The body is not an acceptable activity.
    #[error(transparent)]
    Activity(#[from] ActivityError),
    /// The store failed.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
}

impl InboxError {
    /// The HTTP status: 401, 400, 413, or 500 when the store failed.
    pub fn status(&self) -> u16 {
        match self {
            InboxError::Unauthorized(_) => 401,
            InboxError::Activity(e) => e.status(),
            InboxError::Store(_) => 500,
        }
    }
}

/// What a post to an inbox looks like to the checks.
pub struct InboxPost<'a> {
    /// The method (POST).
    pub method: &'a str,
    /// The full URL the post was addressed to, query included.
    pub target_uri: &'a str,
    /// The headers.
    pub headers: &'a http::HeaderMap,
    /// The body.
    pub body: &'a [u8],
}

/// An activity that passed the checks, as queued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReceivedActivity {
    /// The activity's id.
    pub id: String,
    /// The actor whose signature was verified (the activity's actor).
    pub signer: String,
    /// The inbox it was posted to (an actor's, or the shared inbox).
    pub inbox: String,
    /// The activity as received.
    pub activity: Value,
    /// When it was received (ms since the epoch).
    pub received_ms: u64,
}

/// Verifies posts to inboxes.
#[derive(Clone)]
pub struct InboxVerifier {
    keys: Arc<dyn ActorKeys>,
    parsed: Arc<quick_cache::sync::Cache<String, Arc<VerificationKey>>>,
    known_context: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    limits: Limits,
}

impl InboxVerifier {
    /// A verifier finding keys with `keys`; `known_context` says which context IRIs are
    /// accepted (contexts are never fetched).
    pub fn new(
        keys: Arc<dyn ActorKeys>,
        known_context: Arc<dyn Fn(&str) -> bool + Send + Sync>,
        limits: Limits,
    ) -> Self {
        Self {
            keys,
            parsed: Arc::new(quick_cache::sync::Cache::new(10_000)),
            known_context,
            limits,
        }
    }

    /// The limits bodies are held to.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn parsed(&self, pem: &str) -> Result<Arc<VerificationKey>, InboxError> {
        if let Some(k) = self.parsed.get(pem) {
            return Ok(k);
        }
        let k = Arc::new(
            VerificationKey::from_pem(pem)
                .map_err(|e| InboxError::Unauthorized(format!("the actor's key: {e}")))?,
        );
        self.parsed.insert(pem.to_owned(), Arc::clone(&k));
        Ok(k)
    }

    /// Runs every check on a post; the activity and its verified signer when it passes.
    pub async fn verify(&self, post: &InboxPost<'_>) -> Result<(Value, String), InboxError> {
        if post.body.len() > self.limits.max_bytes {
            return Err(ActivityError::TooLarge(self.limits.max_bytes).into());
        }
        if !post.headers.contains_key("signature") {
            return Err(InboxError::Unauthorized(
                "the post is not signed: inboxes take HTTP-signed activities only".into(),
            ));
        }
        let signed = SignedRequest::parse_request(post.method, post.target_uri, post.headers, true)
            .map_err(|e| InboxError::Unauthorized(e.to_string()))?;
        signed
            .check_body(post.headers, post.body)
            .map_err(|e| InboxError::Unauthorized(e.to_string()))?;
        let activity = json::parse_object(post.body, &self.limits)?;
        let (id, actor) = check_shape(&activity)?;
        json::check_contexts(&activity, &*self.known_context)?;
        // The signer must be the actor: one refetch of its key if the signature fails, since
        // the actor may have rotated it.
        let mut signer = None;
        for refresh in [false, true] {
            let key = self
                .keys
                .actor_key(signed.key_id(), refresh)
                .await
                .map_err(|e| {
                    InboxError::Unauthorized(format!("cannot find the signer's key: {e}"))
                })?
                .ok_or_else(|| {
                    InboxError::Unauthorized(format!("no key found for keyId {}", signed.key_id()))
                })?;
            if signed.verify_with(&*self.parsed(&key.pem)?).is_ok() {
                signer = Some(key.owner);
                break;
            }
        }
        let signer = signer.ok_or_else(|| {
            InboxError::Unauthorized(format!(
                "the signature does not verify with the key {}",
                signed.key_id()
            ))
        })?;
        if signer != actor {
            return Err(InboxError::Unauthorized(format!(
                "the activity's actor {actor} is not the signer {signer}"
            )));
        }
        check_origins(&activity, &id, &actor)?;
        Ok((activity, signer))
    }
}

/// The id and actor every activity must have.
fn check_shape(activity: &Value) -> Result<(String, String), ActivityError> {
    let id = activity
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| ActivityError::Invalid("the activity has no id".into()))?;
    if !json::is_http_url(id) || id.len() > 2048 {
        return Err(ActivityError::Invalid(format!(
            "the activity's id {id} is not an http(s) URL"
        )));
    }
    if json::types(activity).is_empty() {
        return Err(ActivityError::Invalid("the activity has no type".into()));
    }
    if !json::is_activity(activity) {
        return Err(ActivityError::Invalid(format!(
            "{} is not an activity type",
            json::types(activity).join(", ")
        )));
    }
    let actors = json::ids(activity, "actor");
    let [actor] = actors.as_slice() else {
        return Err(ActivityError::Invalid(
            "the activity must name exactly one actor".into(),
        ));
    };
    if !json::is_http_url(actor) {
        return Err(ActivityError::Invalid(format!(
            "the actor {actor} is not an http(s) URL"
        )));
    }
    Ok((id.to_owned(), actor.clone()))
}

/// An actor speaks for its own host only: the activity's id, and the id of an object it
/// creates, updates or deletes, must be on the actor's host. (Announce, Like, Follow… name
/// other hosts' objects by nature.)
fn check_origins(activity: &Value, id: &str, actor: &str) -> Result<(), ActivityError> {
    let host = json::authority(actor);
    if json::authority(id) != host {
        return Err(ActivityError::Invalid(format!(
            "the activity {id} is not on its actor's host"
        )));
    }
    if ["Create", "Update", "Delete"]
        .iter()
        .any(|t| json::has_type(activity, t))
    {
        let Some(object) = activity.get("object").and_then(json::id_of) else {
            return Err(ActivityError::Invalid(
                "the activity has no object id".into(),
            ));
        };
        if json::authority(object) != host {
            return Err(ActivityError::Invalid(format!(
                "the object {object} is not on its actor's host: an actor can only create, update or delete its own objects"
            )));
        }
        if let Some(attributed) = activity.get("object").and_then(|o| o.get("attributedTo")) {
            for a in json::ids(&serde_json::json!({ "a": attributed }), "a") {
                if json::authority(&a) != host {
                    return Err(ActivityError::Invalid(format!(
                        "the object is attributed to {a}, on another host than its actor"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Whether an activity was queued or had been received before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Queued for processing.
    Queued,
    /// The same activity already reached this inbox: nothing was written.
    Duplicate,
}

/// The durable queue of received activities.
#[derive(Clone)]
pub struct InboxQueue {
    store: QuadStore,
    queue: Keyspace,
    notify: Arc<Notify>,
}

fn seen_key(id: &str, inbox: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + inbox.len() + 1);
    k.extend_from_slice(id.as_bytes());
    k.push(0);
    k.extend_from_slice(inbox.as_bytes());
    k
}

impl InboxQueue {
    /// The queue kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            store: store.clone(),
            queue: store.keyspace(QUEUE),
            notify: Arc::new(Notify::new()),
        }
    }

    /// Writes a verified activity to the queue, unless the same activity id already reached
    /// the same inbox; durable (in the operating system's hands) when this returns.
    pub fn accept(&self, received: &ReceivedActivity) -> Result<Accepted, StoreError> {
        let accepted = self.store.transaction(|tx| Self::accept_in(tx, received))?;
        if accepted == Accepted::Queued {
            self.wake();
        }
        Ok(accepted)
    }

    /// [`InboxQueue::accept`] inside the caller's transaction (a local copy committed with what
    /// made it); call [`InboxQueue::wake`] once that transaction is committed.
    pub fn accept_in(
        tx: &mut Transaction<'_>,
        received: &ReceivedActivity,
    ) -> Result<Accepted, StoreError> {
        let seen = seen_key(&received.id, &received.inbox);
        if tx.keyspace_get(SEEN, &seen)?.is_some() {
            return Ok(Accepted::Duplicate);
        }
        let value = serde_json::to_vec(received)
            .map_err(|e| StoreError::Corrupted(format!("encoding an activity: {e}")))?;
        let seq = crate::delivery::next_seq();
        tx.keyspace_insert(SEEN, &seen, &received.received_ms.to_be_bytes());
        tx.keyspace_insert(QUEUE, &seq.to_be_bytes(), &value);
        Ok(Accepted::Queued)
    }

    /// Tells the inbox worker that activities wait.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Up to `n` queued activities, oldest first, with their queue keys.
    pub fn next_batch(&self, n: usize) -> Result<Vec<(Vec<u8>, ReceivedActivity)>, StoreError> {
        let mut out = Vec::new();
        for e in self.queue.scan_prefix(b"").take(n) {
            let (k, v) = e?;
            match serde_json::from_slice(&v) {
                Ok(r) => out.push((k, r)),
                Err(e) => {
                    tracing::error!(error = %e, "dropping an unreadable inbox entry");
                    self.queue.remove(&k)?;
                }
            }
        }
        Ok(out)
    }

    /// Removes a processed entry.
    pub fn done(&self, key: &[u8]) -> Result<(), StoreError> {
        self.queue.remove(key).map(|_| ())
    }

    /// The number of entries waiting.
    pub fn len(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for e in self.queue.scan_prefix(b"") {
            e?;
            n += 1;
        }
        Ok(n)
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.queue.scan_prefix(b"").next().is_none())
    }

    /// Waits until something is accepted (or a timeout passes: the caller polls anyway).
    pub async fn wait(&self, timeout: std::time::Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

/// Reads a request body of at most `limit` bytes. A larger one is refused (`None`), but read on
/// and thrown away up to `drain` bytes first, so the sender is still listening when the `413`
/// comes (closing on a client that is still writing breaks its pipe before it reads the answer);
/// beyond `drain` the connection is not worth keeping. `declared` is the `Content-Length`.
pub async fn read_bounded<B>(
    body: B,
    declared: Option<usize>,
    limit: usize,
    drain: usize,
) -> Option<bytes::Bytes>
where
    B: http_body::Body<Data = bytes::Bytes> + Unpin,
{
    use http_body_util::BodyExt;
    let mut body = body;
    let mut kept = bytes::BytesMut::new();
    let mut seen = 0usize;
    let too_large = declared.is_some_and(|n| n > limit);
    if declared.is_some_and(|n| n > drain) {
        return None;
    }
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return None };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > drain {
            return None;
        }
        if !too_large && seen <= limit {
            kept.extend_from_slice(&data);
        }
    }
    (!too_large && seen <= limit).then(|| kept.freeze())
}

/// The answer to a post to an inbox: `202`, or a refusal and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxAnswer {
    /// The HTTP status.
    pub status: u16,
    /// What to tell the sender.
    pub message: String,
}

/// The inbox side of a server: the checks, the durable queue, and the news that a sender's
/// host is alive (its deliveries resume if it was marked unavailable).
#[derive(Clone)]
pub struct InboxService {
    /// The checks.
    pub verifier: InboxVerifier,
    /// The durable queue.
    pub queue: InboxQueue,
    /// The delivery workers, told when a host is heard from.
    pub deliverer: Option<crate::delivery::Deliverer>,
}

impl InboxService {
    /// Reads a post's body within the inbox's limit (see [`read_bounded`]; a body declared or
    /// found larger is drained up to eight times the limit); `None` means `413`.
    pub async fn read_body<B>(&self, headers: &http::HeaderMap, body: B) -> Option<bytes::Bytes>
    where
        B: http_body::Body<Data = bytes::Bytes> + Unpin,
    {
        let limit = self.verifier.limits().max_bytes;
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        read_bounded(body, declared, limit, 8 * limit).await
    }

    /// Checks a post to `inbox` and queues it durably; the answer to give.
    pub async fn receive(&self, post: &InboxPost<'_>, inbox: &str) -> InboxAnswer {
        let (activity, signer) = match self.verifier.verify(post).await {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(status = e.status(), reason = %e, "inbox post refused");
                if e.status() >= 500 {
                    tracing::error!(reason = %e, "inbox");
                    return InboxAnswer {
                        status: 500,
                        message: "the store failed".into(),
                    };
                }
                return InboxAnswer {
                    status: e.status(),
                    message: e.to_string(),
                };
            }
        };
        let received = ReceivedActivity {
            id: activity
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            signer: signer.clone(),
            inbox: inbox.to_owned(),
            activity,
            received_ms: crate::delivery::now_ms(),
        };
        let queue = self.queue.clone();
        match tokio::task::spawn_blocking(move || queue.accept(&received)).await {
            Ok(Ok(_)) => {
                if let (Some(d), Some(host)) = (&self.deliverer, json::authority(&signer)) {
                    d.host_seen(&host);
                }
                InboxAnswer {
                    status: 202,
                    message: "accepted".into(),
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "queueing an activity");
                InboxAnswer {
                    status: 500,
                    message: "the store failed".into(),
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "queueing an activity");
                InboxAnswer {
                    status: 500,
                    message: "the request failed".into(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        let ok = json!({"id": "https://a.example/1", "type": "Follow", "actor": "https://a.example/u", "object": "https://b/x"});
        assert!(check_shape(&ok).is_ok());
        for bad in [
            json!({"type": "Follow", "actor": "https://a.example/u"}),
            json!({"id": "urn:x", "type": "Follow", "actor": "https://a.example/u"}),
            json!({"id": "https://a.example/1", "actor": "https://a.example/u"}),
            json!({"id": "https://a.example/1", "type": "Note", "actor": "https://a.example/u"}),
            json!({"id": "https://a.example/1", "type": "Follow"}),
            json!({"id": "https://a.example/1", "type": "Follow", "actor": ["https://a/u", "https://a/v"]}),
        ] {
            assert!(check_shape(&bad).is_err(), "{bad}");
        }
        let create = |obj: Value| json!({"id": "https://a.example/1", "type": "Create", "actor": "https://a.example/u", "object": obj});
        assert!(
            check_origins(
                &create(json!({"id": "https://a.example/n"})),
                "https://a.example/1",
                "https://a.example/u"
            )
            .is_ok()
        );
        assert!(
            check_origins(
                &create(json!({"id": "https://b.example/n"})),
                "https://a.example/1",
                "https://a.example/u"
            )
            .is_err()
        );
        assert!(
            check_origins(
                &create(
                    json!({"id": "https://a.example/n", "attributedTo": "https://b.example/v"})
                ),
                "https://a.example/1",
                "https://a.example/u"
            )
            .is_err()
        );
        assert!(
            check_origins(
                &create(json!({"id": "https://a.example/n"})),
                "https://b.example/1",
                "https://a.example/u"
            )
            .is_err()
        );
        let announce = json!({"id": "https://a.example/1", "type": "Announce", "actor": "https://a.example/u", "object": "https://b.example/n"});
        assert!(check_origins(&announce, "https://a.example/1", "https://a.example/u").is_ok());
    }

    #[tokio::test]
    async fn bodies_are_bounded_and_drained() {
        use http_body_util::Full;
        let body = |n: usize| Full::new(bytes::Bytes::from(vec![b'x'; n]));
        assert_eq!(
            read_bounded(body(10), Some(10), 10, 100)
                .await
                .unwrap()
                .len(),
            10
        );
        assert_eq!(
            read_bounded(body(10), None, 10, 100).await.unwrap().len(),
            10
        );
        assert!(read_bounded(body(11), None, 10, 100).await.is_none());
        assert!(read_bounded(body(50), Some(50), 10, 100).await.is_none());
        // Declared far beyond what is worth draining: refused without reading.
        assert!(read_bounded(body(1), Some(1000), 10, 100).await.is_none());
    }

    #[test]
    fn queue_deduplicates_per_inbox() {
        let store = QuadStore::temporary().unwrap();
        let q = InboxQueue::new(&store);
        let r = ReceivedActivity {
            id: "https://a/1".into(),
            signer: "https://a/u".into(),
            inbox: "https://h/alice/inbox".into(),
            activity: json!({}),
            received_ms: 1,
        };
        assert_eq!(q.accept(&r).unwrap(), Accepted::Queued);
        assert_eq!(q.accept(&r).unwrap(), Accepted::Duplicate);
        let mut other = r.clone();
        other.inbox = "https://h/bob/inbox".into();
        assert_eq!(q.accept(&other).unwrap(), Accepted::Queued);
        let batch = q.next_batch(10).unwrap();
        assert_eq!(batch.len(), 2);
        q.done(&batch[0].0).unwrap();
        assert_eq!(q.len().unwrap(), 1);
        // Processed entries stay seen.
        assert_eq!(q.accept(&r).unwrap(), Accepted::Duplicate);
    }
}
