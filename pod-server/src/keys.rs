//! Finding the public key of a signed request: local actors from the store, remote actors by
//! fetching their actor document (never on a private or loopback address outside development).

use crate::pod::Pods;
use futures::future::BoxFuture;
use kommon_solid::auth::{AuthError, PublicKey, PublicKeyResolver};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Resolves `keyId`s for the HTTP signature verifier.
pub struct KeyResolver {
    pods: Pods,
    allow_private: bool,
    client: reqwest::Client,
    cache: Arc<quick_cache::sync::Cache<String, PublicKey>>,
}

impl KeyResolver {
    /// A resolver for the pods of this server; `allow_private` (development) lets it fetch
    /// actors on loopback and private addresses.
    pub fn new(pods: Pods, allow_private: bool) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Kommon pod-server")
            .build()
            .unwrap_or_default();
        Self {
            pods,
            allow_private,
            client,
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
        let host = url.host_str().unwrap_or_default().to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        if !self.allow_private {
            let addrs = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| AuthError::new(format!("cannot resolve {host}: {e}")))?;
            for addr in addrs {
                if is_private(addr.ip()) {
                    return Err(AuthError::new(format!(
                        "{host} is on a private address: keys are not fetched there"
                    )));
                }
            }
        }
        let mut actor_url = url.clone();
        actor_url.set_fragment(None);
        let response = self
            .client
            .get(actor_url.as_str())
            .header(
                "accept",
                "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            )
            .send()
            .await
            .map_err(|e| AuthError::new(format!("cannot fetch {actor_url}: {e}")))?;
        if !response.status().is_success() {
            return Err(AuthError::new(format!(
                "fetching {actor_url} for its key gave {}",
                response.status()
            )));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| AuthError::new(format!("cannot read {actor_url}: {e}")))?;
        if bytes.len() > 1024 * 1024 {
            return Err(AuthError::new("the actor document is larger than 1 MiB"));
        }
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

/// Whether an address is loopback, private, link-local or otherwise not on the public internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_private(a.parse().unwrap()), "{a}");
        }
        for a in ["1.1.1.1", "2a01:4f8::1", "80.67.169.12"] {
            assert!(!is_private(a.parse().unwrap()), "{a}");
        }
    }
}
