//! What the provider keeps in the store: its signing keys, registered clients, login sessions,
//! refresh tokens and the consents residents gave to applications.
//!
//! Secrets (client secrets, session ids, refresh tokens) are kept only as SHA-256 hashes: they
//! are long random strings, so a fast hash is enough, and a copy of the store reveals none.

use kommon_rdf::{Keyspace, QuadStore, StoreError};
use kommon_solid::oidc::issuer::{ClientMetadata, ID_TOKEN_SECS};
use kommon_solid::oidc::jose::{SigningKey, b64url, b64url_decode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A fresh random secret: 32 bytes, base64url.
pub fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    b64url(&bytes)
}

/// The stored form of a secret.
pub fn secret_hash(secret: &str) -> String {
    use sha2::Digest;
    b64url(&sha2::Sha256::digest(secret.as_bytes()))
}

fn now_ms() -> u64 {
    kommon_solid::resource::now_ms()
}

/// How long a signing key signs before a new one takes over.
pub const KEY_ROTATION_MS: u64 = 30 * 24 * 3600 * 1000;

#[derive(Serialize, Deserialize)]
struct StoredKey {
    pkcs8: String,
    created_ms: u64,
}

/// The issuer's keys: the newest signs, the older ones stay published while tokens they signed
/// may still be presented.
pub struct KeyRing {
    /// The key that signs.
    pub current: Arc<SigningKey>,
    /// Every key still published, the current one first.
    pub published: Vec<Arc<SigningKey>>,
    /// When the current key was made.
    pub current_created_ms: u64,
}

/// The provider's keys in the store (`oidc-keys`).
#[derive(Clone)]
pub struct KeyStore {
    keyspace: Keyspace,
}

impl KeyStore {
    /// The keys kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            keyspace: store.keyspace("oidc-keys"),
        }
    }

    /// The key ring, making a first key or a new one when the current is older than
    /// [`KEY_ROTATION_MS`] (or when `force` asks to rotate now); keys too old to have signed a
    /// live token are dropped.
    pub fn load(&self, force: bool) -> Result<KeyRing, StoreError> {
        let mut keys: Vec<(u64, Arc<SigningKey>, Vec<u8>)> = Vec::new();
        for entry in self.keyspace.scan_prefix(b"") {
            let (k, v) = entry?;
            let Ok(stored) = serde_json::from_slice::<StoredKey>(&v) else {
                tracing::warn!(kid = %String::from_utf8_lossy(&k), "unreadable signing key skipped");
                continue;
            };
            let Some(der) = b64url_decode(&stored.pkcs8) else {
                continue;
            };
            match SigningKey::from_pkcs8(&der) {
                Ok(key) => keys.push((stored.created_ms, Arc::new(key), k)),
                Err(e) => tracing::warn!(error = %e, "unusable signing key skipped"),
            }
        }
        keys.sort_by_key(|k| std::cmp::Reverse(k.0));
        let now = now_ms();
        let stale = keys
            .first()
            .is_none_or(|(created, _, _)| now.saturating_sub(*created) > KEY_ROTATION_MS);
        if force || stale {
            let key = SigningKey::generate()
                .map_err(|e| StoreError::Corrupted(format!("cannot make a signing key: {e}")))?;
            let stored = StoredKey {
                pkcs8: b64url(key.pkcs8()),
                created_ms: now,
            };
            let bytes = serde_json::to_vec(&stored).unwrap_or_default();
            self.keyspace.insert(key.kid().as_bytes(), &bytes)?;
            keys.insert(0, (now, Arc::new(key), Vec::new()));
            tracing::info!("new signing key for the OpenID provider");
        }
        // A key retired at the time its successor was made may have signed ID tokens until then.
        let keep_ms = (ID_TOKEN_SECS as u64 + 24 * 3600) * 1000;
        let mut published = Vec::new();
        let mut successor_created = None::<u64>;
        for (created, key, stored_key) in &keys {
            let retired_at = successor_created.unwrap_or(u64::MAX);
            if retired_at == u64::MAX || now.saturating_sub(retired_at) < keep_ms {
                published.push(Arc::clone(key));
            } else if !stored_key.is_empty() {
                self.keyspace.remove(stored_key)?;
            }
            successor_created = Some(*created);
        }
        let (current_created_ms, current) = keys
            .first()
            .map(|(c, k, _)| (*c, Arc::clone(k)))
            .ok_or_else(|| StoreError::Corrupted("no signing key".to_owned()))?;
        Ok(KeyRing {
            current,
            published,
            current_created_ms,
        })
    }
}

/// How a client authenticates at the token endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientKind {
    /// Client credentials a resident made: they act as the resident.
    Credentials,
    /// Registered dynamically (RFC 7591).
    Dynamic,
    /// A Client ID Document, dereferenced (never stored).
    Document,
}

/// A client the provider knows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Client {
    /// Its metadata.
    pub metadata: ClientMetadata,
    /// How it was registered.
    pub kind: ClientKind,
    /// The hash of its secret; `None` for public clients.
    pub secret_hash: Option<String>,
    /// The pod whose resident it acts for (client credentials).
    pub owner: Option<String>,
    /// When it was registered.
    pub created_ms: u64,
}

/// Registered clients (`oidc-clients`).
#[derive(Clone)]
pub struct ClientStore {
    keyspace: Keyspace,
}

impl ClientStore {
    /// The clients kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            keyspace: store.keyspace("oidc-clients"),
        }
    }

    /// A registered client.
    pub fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        Ok(self
            .keyspace
            .get(client_id.as_bytes())?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Registers `client`.
    pub fn put(&self, client: &Client) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(client).unwrap_or_default();
        self.keyspace
            .insert(client.metadata.client_id.as_bytes(), &bytes)
    }

    /// Removes a client; whether it existed.
    pub fn remove(&self, client_id: &str) -> Result<bool, StoreError> {
        self.keyspace.remove(client_id.as_bytes())
    }

    /// The client credentials made by the resident of `pod`.
    pub fn credentials_of(&self, pod: &str) -> Result<Vec<Client>, StoreError> {
        let mut out = Vec::new();
        for entry in self.keyspace.scan_prefix(b"") {
            let (_, v) = entry?;
            if let Ok(c) = serde_json::from_slice::<Client>(&v)
                && c.kind == ClientKind::Credentials
                && c.owner.as_deref() == Some(pod)
            {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Makes client credentials for the resident of `pod`, named `label`; returns the client
    /// id and the secret (shown once, never stored).
    pub fn create_credentials(
        &self,
        pod: &str,
        label: &str,
    ) -> Result<(String, String), StoreError> {
        let slug: String = label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .take(40)
            .collect();
        let slug = if slug.is_empty() {
            "client".to_owned()
        } else {
            slug
        };
        let client_id = format!("{slug}_{}", uuid::Uuid::new_v4());
        let secret = random_secret();
        self.put(&Client {
            metadata: ClientMetadata {
                client_id: client_id.clone(),
                client_name: Some(label.to_owned()),
                redirect_uris: Vec::new(),
                post_logout_redirect_uris: Vec::new(),
                client_uri: None,
                logo_uri: None,
            },
            kind: ClientKind::Credentials,
            secret_hash: Some(secret_hash(&secret)),
            owner: Some(pod.to_owned()),
            created_ms: now_ms(),
        })?;
        Ok((client_id, secret))
    }
}

/// A resident logged in in a browser.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    /// The pod name.
    pub pod: String,
    /// When they logged in.
    pub created_ms: u64,
    /// When the session ends.
    pub expires_ms: u64,
}

/// How long a login lasts in a browser.
pub const SESSION_MS: u64 = 14 * 24 * 3600 * 1000;

/// A refresh token's grant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefreshGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The pod name of the resident.
    pub pod: String,
    /// The granted scopes.
    pub scope: String,
    /// The DPoP key it is bound to (public clients must prove it again).
    pub jkt: Option<String>,
    /// When the resident logged in.
    pub auth_time: i64,
    /// When it expires.
    pub expires_ms: u64,
}

/// A resident's consent to an application.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Consent {
    /// The pod name.
    pub pod: String,
    /// The client.
    pub client_id: String,
    /// Its name when consent was given.
    pub client_name: Option<String>,
    /// The scopes consented to.
    pub scope: String,
    /// When.
    pub granted_ms: u64,
}

/// Sessions, refresh tokens and consents, each in its keyspace.
#[derive(Clone)]
pub struct GrantStore {
    sessions: Keyspace,
    refresh: Keyspace,
    consents: Keyspace,
}

impl GrantStore {
    /// The grants kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            sessions: store.keyspace("oidc-sessions"),
            refresh: store.keyspace("oidc-refresh"),
            consents: store.keyspace("oidc-consents"),
        }
    }

    /// Opens a session for the resident of `pod`; returns the cookie value.
    pub fn open_session(&self, pod: &str) -> Result<String, StoreError> {
        let id = random_secret();
        let now = now_ms();
        let s = Session {
            pod: pod.to_owned(),
            created_ms: now,
            expires_ms: now + SESSION_MS,
        };
        self.sessions.insert(
            secret_hash(&id).as_bytes(),
            &serde_json::to_vec(&s).unwrap_or_default(),
        )?;
        Ok(id)
    }

    /// The live session of a cookie value.
    pub fn session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let key = secret_hash(id);
        let Some(v) = self.sessions.get(key.as_bytes())? else {
            return Ok(None);
        };
        match serde_json::from_slice::<Session>(&v) {
            Ok(s) if s.expires_ms > now_ms() => Ok(Some(s)),
            _ => {
                self.sessions.remove(key.as_bytes())?;
                Ok(None)
            }
        }
    }

    /// Ends a session.
    pub fn close_session(&self, id: &str) -> Result<(), StoreError> {
        self.sessions.remove(secret_hash(id).as_bytes()).map(|_| ())
    }

    /// Issues a refresh token for `grant`.
    pub fn issue_refresh(&self, grant: &RefreshGrant) -> Result<String, StoreError> {
        let token = random_secret();
        self.refresh.insert(
            secret_hash(&token).as_bytes(),
            &serde_json::to_vec(grant).unwrap_or_default(),
        )?;
        Ok(token)
    }

    /// Takes a refresh token (single use: it is removed); `None` when unknown or expired.
    pub fn take_refresh(&self, token: &str) -> Result<Option<RefreshGrant>, StoreError> {
        let key = secret_hash(token);
        let Some(v) = self.refresh.get(key.as_bytes())? else {
            return Ok(None);
        };
        self.refresh.remove(key.as_bytes())?;
        Ok(serde_json::from_slice::<RefreshGrant>(&v)
            .ok()
            .filter(|g| g.expires_ms > now_ms()))
    }

    /// Revokes a refresh token.
    pub fn revoke_refresh(&self, token: &str) -> Result<(), StoreError> {
        self.refresh
            .remove(secret_hash(token).as_bytes())
            .map(|_| ())
    }

    /// Revokes every refresh token of `pod` given to `client_id`.
    pub fn revoke_client(&self, pod: &str, client_id: &str) -> Result<(), StoreError> {
        let mut doomed = Vec::new();
        for entry in self.refresh.scan_prefix(b"") {
            let (k, v) = entry?;
            if let Ok(g) = serde_json::from_slice::<RefreshGrant>(&v)
                && g.pod == pod
                && g.client_id == client_id
            {
                doomed.push(k);
            }
        }
        for k in doomed {
            self.refresh.remove(&k)?;
        }
        self.consents
            .remove(consent_key(pod, client_id).as_bytes())?;
        Ok(())
    }

    /// Records a consent.
    pub fn record_consent(&self, consent: &Consent) -> Result<(), StoreError> {
        self.consents.insert(
            consent_key(&consent.pod, &consent.client_id).as_bytes(),
            &serde_json::to_vec(consent).unwrap_or_default(),
        )
    }

    /// The consent of `pod` to `client_id`.
    pub fn consent(&self, pod: &str, client_id: &str) -> Result<Option<Consent>, StoreError> {
        Ok(self
            .consents
            .get(consent_key(pod, client_id).as_bytes())?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Every consent of `pod`.
    pub fn consents_of(&self, pod: &str) -> Result<Vec<Consent>, StoreError> {
        let mut out = Vec::new();
        for entry in self.consents.scan_prefix(format!("{pod}\n").as_bytes()) {
            let (_, v) = entry?;
            if let Ok(c) = serde_json::from_slice(&v) {
                out.push(c);
            }
        }
        Ok(out)
    }
}

fn consent_key(pod: &str, client_id: &str) -> String {
    format!("{pod}\n{client_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_rotate_and_old_ones_stay_published() {
        let store = QuadStore::temporary().expect("store");
        let keys = KeyStore::new(&store);
        let first = keys.load(false).expect("ring");
        let again = keys.load(false).expect("ring");
        assert_eq!(
            first.current.kid(),
            again.current.kid(),
            "no rotation before its time"
        );
        let rotated = keys.load(true).expect("ring");
        assert_ne!(first.current.kid(), rotated.current.kid());
        assert_eq!(
            rotated.published.len(),
            2,
            "the old key still verifies its tokens"
        );
    }

    #[test]
    fn refresh_tokens_are_single_use() {
        let store = QuadStore::temporary().expect("store");
        let grants = GrantStore::new(&store);
        let t = grants
            .issue_refresh(&RefreshGrant {
                client_id: "c".into(),
                pod: "alice".into(),
                scope: "openid".into(),
                jkt: None,
                auth_time: 0,
                expires_ms: now_ms() + 1000,
            })
            .expect("token");
        assert!(grants.take_refresh(&t).expect("read").is_some());
        assert!(grants.take_refresh(&t).expect("read").is_none());
    }

    #[test]
    fn sessions_open_and_close() {
        let store = QuadStore::temporary().expect("store");
        let grants = GrantStore::new(&store);
        let id = grants.open_session("alice").expect("session");
        assert_eq!(
            grants.session(&id).expect("read").map(|s| s.pod).as_deref(),
            Some("alice")
        );
        grants.close_session(&id).expect("close");
        assert!(grants.session(&id).expect("read").is_none());
        assert!(grants.session("forged").expect("read").is_none());
    }
}
