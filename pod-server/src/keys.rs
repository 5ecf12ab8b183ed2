//! Finding the public key of a signed request: local actors from the store, remote actors by
//! fetching their actor document (never on a private or loopback address outside development).

use crate::fetch::GuardedFetcher;
use crate::pod::Pods;
use futures::future::BoxFuture;
use kommon_solid::auth::{AuthError, PublicKey, PublicKeyResolver};
use std::sync::Arc;

/// Resolves `keyId`s for the HTTP signature verifier.
pub struct KeyResolver {
    pods: Pods,
    fetcher: GuardedFetcher,
    cache: Arc<quick_cache::sync::Cache<String, PublicKey>>,
}

impl KeyResolver {
    /// A resolver for the pods of this server; `allow_private` (development) lets it fetch
    /// actors on loopback and private addresses.
    pub fn new(pods: Pods, allow_private: bool) -> Self {
        Self {
            pods,
            fetcher: GuardedFetcher::new(allow_private),
            cache: Arc::new(quick_cache::sync::Cache::new(10_000)),
        }
    }

    async fn local(&self, key_id: &str) -> Result<Option<Option<PublicKey>>, AuthError> {
        let actor = key_id.split('#').next().unwrap_or_default();
        let Some((name, tail)) = self.pods.layout.split(actor) else {
            return Ok(None);
        };
        if !tail.is_empty() {
            return Ok(Some(None));
        }
        let name = name.to_owned();
        let pods = self.pods.clone();
        let actor = actor.to_owned();
        let found = tokio::task::spawn_blocking(move || {
            if !pods.accounts.exists(&name).unwrap_or(false) {
                return None;
            }
            pods.actor_key(&name).ok().map(|k| PublicKey {
                owner: actor,
                pem: k.public_pem,
            })
        })
        .await
        .map_err(|e| AuthError::new(format!("key lookup failed: {e}")))?;
        Ok(Some(found))
    }

    async fn remote(&self, key_id: &str) -> Result<Option<PublicKey>, AuthError> {
        let url = url::Url::parse(key_id)
            .map_err(|_| AuthError::new(format!("keyId {key_id} is not a URL")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AuthError::new("keyId must be an http(s) URL"));
        }
        let mut actor_url = url.clone();
        actor_url.set_fragment(None);
        let fetched = self
            .fetcher
            .get(
                actor_url.as_str(),
                &[(
                    "accept",
                    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                )],
                1024 * 1024,
            )
            .await
            .map_err(|e| AuthError::new(e.to_string()))?;
        let bytes = fetched.body;
        let doc: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| AuthError::new(format!("the actor document is not JSON: {e}")))?;
        let actor_id = doc["id"].as_str().unwrap_or(actor_url.as_str()).to_owned();
        let keys = match &doc["publicKey"] {
            serde_json::Value::Array(a) => a.clone(),
            serde_json::Value::Null => Vec::new(),
            other => vec![other.clone()],
        };
        for k in keys {
            let id = k["id"].as_str().unwrap_or_default();
            if id == key_id || keys_len_one(&doc) {
                let Some(pem) = k["publicKeyPem"].as_str() else {
                    continue;
                };
                let owner = k["owner"].as_str().unwrap_or(&actor_id).to_owned();
                // The key must belong to an actor of the same origin as the keyId.
                let same_origin = url::Url::parse(&owner).is_ok_and(|o| o.origin() == url.origin());
                if !same_origin {
                    return Err(AuthError::new(
                        "the key's owner is on another origin than its keyId",
                    ));
                }
                return Ok(Some(PublicKey {
                    owner,
                    pem: pem.to_owned(),
                }));
            }
        }
        Ok(None)
    }
}

fn keys_len_one(doc: &serde_json::Value) -> bool {
    !doc["publicKey"].is_array()
}

impl PublicKeyResolver for KeyResolver {
    fn public_key<'a>(
        &'a self,
        key_id: &'a str,
        refresh: bool,
    ) -> BoxFuture<'a, Result<Option<PublicKey>, AuthError>> {
        Box::pin(async move {
            if let Some(local) = self.local(key_id).await? {
                return Ok(local);
            }
            if !refresh && let Some(k) = self.cache.get(key_id) {
                return Ok(Some(k));
            }
            let found = self.remote(key_id).await?;
            if let Some(k) = &found {
                self.cache.insert(key_id.to_owned(), k.clone());
            }
            Ok(found)
        })
    }
}
