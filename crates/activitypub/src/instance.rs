//! The server's own actor (`Application`), which signs the server's fetches: peers in
//! authorized-fetch mode (Mastodon's secure mode, bovine, GoToSocial) answer nothing else. Its
//! key is made on first start and kept in the store.

use kommon_http_signatures::{KeyPair, SigningKey, generate_key_pair};
use kommon_rdf::{QuadStore, StoreError};
use std::sync::Arc;

/// The instance actor.
pub struct InstanceActor {
    /// Its id (`{base}/actor`).
    pub id: String,
    /// Its key pair.
    pub keys: KeyPair,
    /// Its parsed signing key.
    pub signing: Arc<SigningKey>,
}

impl InstanceActor {
    /// The instance actor of the server at `base`.
    pub fn load(store: &QuadStore, base: &str) -> Result<Self, StoreError> {
        let ks = store.keyspace("instance-actor");
        let bad = |e: String| StoreError::Corrupted(format!("the instance actor's key: {e}"));
        let keys = match ks.get(b"key")? {
            Some(v) => {
                let j: serde_json::Value =
                    serde_json::from_slice(&v).map_err(|e| bad(e.to_string()))?;
                KeyPair {
                    private_pem: j["private"].as_str().unwrap_or_default().to_owned(),
                    public_pem: j["public"].as_str().unwrap_or_default().to_owned(),
                }
            }
            None => {
                let k = generate_key_pair().map_err(|e| bad(e.to_string()))?;
                let j = serde_json::json!({"private": k.private_pem, "public": k.public_pem});
                ks.insert(b"key", j.to_string().as_bytes())?;
                k
            }
        };
        let signing =
            Arc::new(SigningKey::from_pem(&keys.private_pem).map_err(|e| bad(e.to_string()))?);
        Ok(Self {
            id: format!("{base}/actor"),
            keys,
            signing,
        })
    }

    /// The `keyId` of its key.
    pub fn key_id(&self) -> String {
        format!("{}#main-key", self.id)
    }

    /// Its signer, for [`crate::remote::RemoteActors`].
    pub fn signer(&self) -> crate::remote::InstanceSigner {
        crate::remote::InstanceSigner {
            key_id: self.key_id(),
            key: Arc::clone(&self.signing),
        }
    }

    /// Its actor document, for a server called `name` at `base`.
    pub fn document(
        &self,
        base: &str,
        name: &str,
        summary: &str,
        shared_inbox: &str,
    ) -> serde_json::Value {
        crate::actor::ActorDocument {
            id: self.id.clone(),
            kind: crate::actor::ActorKind::Application,
            preferred_username: INSTANCE_NAME.into(),
            name: name.into(),
            summary: Some(summary.into()),
            icon: None,
            url: Some(format!("{base}/")),
            inbox: format!("{}/inbox", self.id),
            outbox: format!("{}/outbox", self.id),
            followers: format!("{}/followers", self.id),
            following: format!("{}/following", self.id),
            shared_inbox: shared_inbox.into(),
            public_key_pem: self.keys.public_pem.clone(),
            manually_approves_followers: true,
            extra_contexts: vec![],
        }
        .to_json()
    }
}

/// The instance actor's WebFinger name (`acct:actor@host`; reserved for everyone else).
pub const INSTANCE_NAME: &str = "actor";
