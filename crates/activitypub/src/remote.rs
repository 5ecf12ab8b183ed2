//! Remote actors: fetched once with a GET signed by the server's instance actor (peers in
//! authorized-fetch mode answer nothing else), checked (the document's id is the URL it was
//! fetched from, the key belongs to it), and kept in memory for an hour: their inboxes for
//! delivery and their keys for the inbox's signature checks.

use crate::guard::GuardedFetcher;
use crate::inbox::ActorKey;
use kommon_http_signatures::SigningKey;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the server needs of a remote actor.
#[derive(Clone, Debug)]
pub struct RemoteActor {
    /// Its id.
    pub id: String,
    /// Its inbox.
    pub inbox: String,
    /// Its server's shared inbox, if it has one.
    pub shared_inbox: Option<String>,
    /// Its followers collection.
    pub followers: Option<String>,
    /// Its keys: `(keyId, PEM)`.
    pub keys: Vec<(String, String)>,
    /// The document as fetched.
    pub document: Value,
}

impl RemoteActor {
    /// Reads an actor document fetched from `url`.
    pub fn from_document(url: &str, document: Value) -> Result<Self, String> {
        let id = document
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the document at {url} has no id"))?
            .to_owned();
        if id != url && crate::json::authority(&id) != crate::json::authority(url) {
            return Err(format!(
                "the document at {url} claims the id {id} of another host"
            ));
        }
        let inbox = document
            .get("inbox")
            .and_then(crate::json::id_of)
            .filter(|i| crate::json::is_http_url(i))
            .ok_or_else(|| format!("the actor {id} has no inbox"))?
            .to_owned();
        let shared_inbox = document
            .get("endpoints")
            .and_then(|e| e.get("sharedInbox"))
            .and_then(crate::json::id_of)
            .filter(|i| crate::json::is_http_url(i))
            .map(str::to_owned);
        let followers = document
            .get("followers")
            .and_then(crate::json::id_of)
            .map(str::to_owned);
        let keys = match document.get("publicKey") {
            Some(Value::Array(a)) => a.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        }
        .into_iter()
        .filter_map(|k| {
            let key_id = k.get("id")?.as_str()?.to_owned();
            let pem = k.get("publicKeyPem")?.as_str()?.to_owned();
            // A key of another actor does not speak for this one.
            let owner = k.get("owner").and_then(Value::as_str).unwrap_or(&id);
            (owner == id).then_some((key_id, pem))
        })
        .collect();
        Ok(Self {
            id,
            inbox,
            shared_inbox,
            followers,
            keys,
            document,
        })
    }

    /// Where to deliver to this actor, preferring its server's shared inbox.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }
}

/// The key an instance signs its fetches with.
#[derive(Clone)]
pub struct InstanceSigner {
    /// The `keyId`.
    pub key_id: String,
    /// The key.
    pub key: Arc<SigningKey>,
}

/// Fetches and caches remote actors; where they take deliveries is also kept in the store, so
/// a restarted server can address its residents' followers without fetching them all again.
#[derive(Clone)]
pub struct RemoteActors {
    fetcher: GuardedFetcher,
    signer: Option<InstanceSigner>,
    cache: Arc<quick_cache::sync::Cache<String, (RemoteActor, Instant)>>,
    ttl: Duration,
    inboxes: Option<kommon_rdf::Keyspace>,
}

const ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

impl RemoteActors {
    /// A cache fetching with `fetcher`, signing its GETs with `signer` when given.
    pub fn new(fetcher: GuardedFetcher, signer: Option<InstanceSigner>) -> Self {
        Self {
            fetcher,
            signer,
            cache: Arc::new(quick_cache::sync::Cache::new(10_000)),
            ttl: Duration::from_secs(3600),
            inboxes: None,
        }
    }

    /// Keeps the delivery inboxes of fetched actors in `store`.
    pub fn with_store(mut self, store: &kommon_rdf::QuadStore) -> Self {
        self.inboxes = Some(store.keyspace("ap-actor-inboxes"));
        self
    }

    /// Where `id` takes deliveries, if it was ever fetched (memory, then the store).
    pub fn known_delivery_inbox(&self, id: &str) -> Option<String> {
        if let Some((a, _)) = self.cache.get(id) {
            return Some(a.delivery_inbox().to_owned());
        }
        let v = self.inboxes.as_ref()?.get(id.as_bytes()).ok()??;
        String::from_utf8(v).ok()
    }

    /// The guard this cache fetches through.
    pub fn fetcher(&self) -> &GuardedFetcher {
        &self.fetcher
    }

    /// Fetches a JSON document (signed GET when the server has an instance key).
    pub async fn fetch_json(&self, url: &str) -> Result<Value, String> {
        let body = match &self.signer {
            Some(s) => {
                let r = self
                    .fetcher
                    .send_signed_with(
                        "GET",
                        url,
                        &[("accept".to_owned(), ACCEPT.to_owned())],
                        None,
                        &s.key_id,
                        &s.key,
                        1024 * 1024,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if !(200..300).contains(&r.status) {
                    return Err(format!("fetching {url} gave {}", r.status));
                }
                r.body
            }
            None => self
                .fetcher
                .get(url, &[("accept", ACCEPT)], 1024 * 1024)
                .await
                .map_err(|e| e.to_string())?
                .body
                .to_vec(),
        };
        crate::json::parse_object(&body, &crate::json::Limits::default())
            .map_err(|e| format!("{url}: {e}"))
    }

    /// The actor `id`, from the cache unless `refresh` or stale.
    pub async fn actor(&self, id: &str, refresh: bool) -> Result<RemoteActor, String> {
        let id = id.split('#').next().unwrap_or(id);
        if !refresh
            && let Some((a, at)) = self.cache.get(id)
            && at.elapsed() < self.ttl
        {
            return Ok(a);
        }
        let doc = self.fetch_json(id).await?;
        let actor = RemoteActor::from_document(id, doc)?;
        if let Some(ks) = &self.inboxes
            && self.known_delivery_inbox(id).as_deref() != Some(actor.delivery_inbox())
            && let Err(e) = ks.insert(id.as_bytes(), actor.delivery_inbox().as_bytes())
        {
            tracing::warn!(error = %e, "keeping an actor's inbox");
        }
        self.cache
            .insert(id.to_owned(), (actor.clone(), Instant::now()));
        Ok(actor)
    }

    /// The actor `id` if it is cached (no fetch).
    pub fn cached(&self, id: &str) -> Option<RemoteActor> {
        self.cache.get(id).map(|(a, _)| a)
    }

    /// Where to deliver to each of these remote actors: their known (shared) inbox, else
    /// looked up together, a few at a time and briefly; one that is down or slow is queued by
    /// its id and looked up again when delivering, so nothing waits on it and nothing is lost.
    /// Deduplicated (followers on one server share its inbox).
    pub async fn delivery_targets(&self, ids: Vec<String>) -> Vec<crate::delivery::DeliveryTarget> {
        use crate::delivery::DeliveryTarget;
        use futures::StreamExt;
        let mut targets: Vec<DeliveryTarget> = Vec::new();
        let push = |t: DeliveryTarget, targets: &mut Vec<DeliveryTarget>| {
            if !targets.contains(&t) {
                targets.push(t);
            }
        };
        let mut unknown = Vec::new();
        for id in ids {
            match self.known_delivery_inbox(&id) {
                Some(inbox) => push(DeliveryTarget::Inbox(inbox), &mut targets),
                None if !unknown.contains(&id) => unknown.push(id),
                None => {}
            }
        }
        let looked_up: Vec<DeliveryTarget> = futures::stream::iter(unknown)
            .map(|id| async move {
                match tokio::time::timeout(Duration::from_secs(3), self.actor(&id, false)).await {
                    Ok(Ok(a)) => DeliveryTarget::Inbox(a.delivery_inbox().to_owned()),
                    _ => DeliveryTarget::Actor(id),
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        for t in looked_up {
            push(t, &mut targets);
        }
        targets
    }

    /// Forgets a cached actor.
    pub fn forget(&self, id: &str) {
        self.cache.remove(id);
    }

    /// The key `key_id` of a remote actor, as the inbox checks want it.
    pub async fn key(&self, key_id: &str, refresh: bool) -> Result<Option<ActorKey>, String> {
        let url = url::Url::parse(key_id).map_err(|_| format!("keyId {key_id} is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("keyId must be an http(s) URL".into());
        }
        let actor = self.actor(key_id, refresh).await?;
        let one = actor.keys.len() == 1;
        Ok(actor
            .keys
            .iter()
            .find(|(id, _)| id == key_id || one)
            .map(|(_, pem)| ActorKey {
                owner: actor.id.clone(),
                pem: pem.clone(),
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reading_actor_documents() {
        let doc = json!({"id": "https://a.example/u/x", "inbox": "https://a.example/u/x/inbox",
            "endpoints": {"sharedInbox": "https://a.example/inbox"},
            "publicKey": {"id": "https://a.example/u/x#main-key", "owner": "https://a.example/u/x", "publicKeyPem": "P"}});
        let a = RemoteActor::from_document("https://a.example/u/x", doc.clone()).unwrap();
        assert_eq!(a.delivery_inbox(), "https://a.example/inbox");
        assert_eq!(a.keys.len(), 1);
        assert!(RemoteActor::from_document("https://b.example/u/x", doc).is_err());
        let foreign_key = json!({"id": "https://a.example/u/x", "inbox": "https://a.example/i",
            "publicKey": {"id": "https://e/k", "owner": "https://e/other", "publicKeyPem": "P"}});
        assert!(
            RemoteActor::from_document("https://a.example/u/x", foreign_key)
                .unwrap()
                .keys
                .is_empty()
        );
        assert!(
            RemoteActor::from_document(
                "https://a.example/u/x",
                json!({"id": "https://a.example/u/x"})
            )
            .is_err()
        );
    }
}
