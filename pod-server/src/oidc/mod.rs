//! pod-server's OpenID provider (Solid-OIDC): residents log into apps with their pod.
//!
//! [`records`] keeps keys, clients, sessions, refresh tokens and consents in the store;
//! [`routes`] answers the protocol (discovery, JWKS, authorization with the login and consent
//! pages, token, registration, revocation, logout); [`pages`] renders the pages in French with
//! English second. The pure parts (PKCE, Client ID Documents, token claims) are
//! `kommon_solid::oidc::issuer`'s. [`Directory`] gives the resource server's verifier this
//! provider's keys and this server's WebIDs from memory, and fetches the others.
//!
//! Pending logins and authorization codes live in memory: they last minutes, and a restart only
//! asks the person to log in again.

pub mod pages;
pub mod records;
pub mod routes;

use crate::fetch::GuardedFetcher;
use crate::pod::Pods;
use futures::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use kommon_rdf::{QuadStore, StoreError};
use kommon_solid::auth::AuthError;
use kommon_solid::oidc::directory::{DocumentFetch, RemoteIssuerDirectory};
use kommon_solid::oidc::dpop::ReplayCache;
use kommon_solid::oidc::issuer::{
    ClientMetadata, is_acceptable_client_url, parse_client_id_document,
};
use kommon_solid::oidc::jose::jwk_set;
use kommon_solid::oidc::verifier::IssuerDirectory;
use parking_lot::{Mutex, RwLock};
use records::{Client, ClientKind, ClientStore, GrantStore, KeyRing, KeyStore};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a login (from the authorization request to the consent) may take.
const INTERACTION_TTL: Duration = Duration::from_secs(30 * 60);
/// How long a dereferenced Client ID Document is reused.
const CLIENT_DOCUMENT_TTL: Duration = Duration::from_secs(300);
/// At most this many logins in progress, so that requests cannot fill memory.
const MAX_PENDING: usize = 50_000;

/// An authorization request waiting for the person to log in and consent.
#[derive(Clone, Debug)]
pub struct Interaction {
    /// The client asking.
    pub client: Client,
    /// Where to send the answer.
    pub redirect_uri: String,
    /// The requested scopes.
    pub scope: String,
    /// The client's state, returned as is.
    pub state: Option<String>,
    /// The client's nonce, put in the ID token.
    pub nonce: Option<String>,
    /// The PKCE challenge (S256).
    pub code_challenge: String,
    /// When the request came.
    pub created: Instant,
}

/// An authorization code, waiting to be exchanged.
#[derive(Clone, Debug)]
pub struct CodeGrant {
    /// The request it answers.
    pub interaction: Interaction,
    /// The resident who consented.
    pub pod: String,
    /// When they logged in, in seconds.
    pub auth_time: i64,
    /// When it was issued.
    pub created: Instant,
}

/// The OpenID provider of a pod-server.
pub struct Provider {
    /// The issuer URL (the server's base URL with a trailing slash).
    pub issuer: String,
    keys: KeyStore,
    ring: RwLock<Arc<KeyRing>>,
    /// Registered clients.
    pub clients: ClientStore,
    /// Sessions, refresh tokens, consents.
    pub grants: GrantStore,
    interactions: Mutex<HashMap<String, Interaction>>,
    codes: Mutex<HashMap<String, CodeGrant>>,
    client_documents: quick_cache::sync::Cache<String, Arc<(ClientMetadata, Instant)>>,
    fetcher: GuardedFetcher,
    /// DPoP proofs already seen at the token endpoint.
    pub replays: ReplayCache,
    /// The parsed keys of recent DPoP proofs (clients reuse theirs).
    pub proof_keys: kommon_solid::oidc::dpop::ProofKeys,
    /// Whether cookies get `Secure` (an https base URL).
    pub secure_cookies: bool,
}

/// Why the provider could not do something.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too many logins in progress.
    #[error("too many logins in progress; try again in a minute")]
    Busy,
}

impl Provider {
    /// The provider of the server at `base` (no trailing slash), its records in `store`.
    pub fn new(store: &QuadStore, base: &str, allow_private: bool) -> Result<Self, StoreError> {
        let keys = KeyStore::new(store);
        let ring = keys.load(false)?;
        Ok(Self {
            issuer: format!("{base}/"),
            keys,
            ring: RwLock::new(Arc::new(ring)),
            clients: ClientStore::new(store),
            grants: GrantStore::new(store),
            interactions: Mutex::new(HashMap::new()),
            codes: Mutex::new(HashMap::new()),
            client_documents: quick_cache::sync::Cache::new(1_000),
            fetcher: GuardedFetcher::new(allow_private),
            replays: ReplayCache::new(200_000),
            proof_keys: kommon_solid::oidc::dpop::ProofKeys::new(10_000),
            secure_cookies: base.starts_with("https://"),
        })
    }

    /// The key ring, rotated first if the current key has served its time.
    pub fn keys(&self) -> Arc<KeyRing> {
        let ring = Arc::clone(&self.ring.read());
        let age = kommon_solid::resource::now_ms().saturating_sub(ring.current_created_ms);
        if age <= records::KEY_ROTATION_MS {
            return ring;
        }
        match self.keys.load(false) {
            Ok(new) => {
                let new = Arc::new(new);
                *self.ring.write() = Arc::clone(&new);
                new
            }
            Err(e) => {
                tracing::error!(error = %e, "rotating the signing key");
                ring
            }
        }
    }

    /// Makes a new signing key now (the old ones stay published).
    pub fn rotate_keys(&self) -> Result<(), StoreError> {
        let new = self.keys.load(true)?;
        *self.ring.write() = Arc::new(new);
        Ok(())
    }

    /// The JWKS.
    pub fn jwks(&self) -> JwkSet {
        let ring = self.keys();
        jwk_set(ring.published.iter().map(|k| k.public_jwk()))
    }

    /// The client named `client_id`: a registered one, or the Client ID Document at that URL.
    pub async fn client(&self, client_id: &str) -> Result<Client, String> {
        if let Ok(Some(c)) = self.clients.get(client_id) {
            return Ok(c);
        }
        if !client_id.starts_with("http://") && !client_id.starts_with("https://") {
            return Err(format!("unknown client_id {client_id}"));
        }
        if !is_acceptable_client_url(client_id) {
            return Err(format!(
                "the client_id {client_id} must be an https URL (http only on localhost)"
            ));
        }
        if let Some(cached) = self.client_documents.get(client_id)
            && cached.1.elapsed() < CLIENT_DOCUMENT_TTL
        {
            return Ok(document_client(cached.0.clone()));
        }
        let fetched = self
            .fetcher
            .get(
                client_id,
                &[
                    ("accept", "application/ld+json, application/json;q=0.9"),
                    // ActivityPods apps compact their actor with the context asked here.
                    (
                        "jsonldcontext",
                        kommon_solid::oidc::issuer::CLIENT_ID_CONTEXT,
                    ),
                ],
                256 * 1024,
            )
            .await
            .map_err(|e| format!("cannot read the client ID document: {e}"))?;
        let metadata = parse_client_id_document(client_id, &fetched.body)?;
        self.client_documents.insert(
            client_id.to_owned(),
            Arc::new((metadata.clone(), Instant::now())),
        );
        Ok(document_client(metadata))
    }

    /// Keeps a pending login; returns its id.
    pub fn start_interaction(&self, interaction: Interaction) -> Result<String, ProviderError> {
        let mut map = self.interactions.lock();
        if map.len() >= MAX_PENDING {
            map.retain(|_, i| i.created.elapsed() < INTERACTION_TTL);
            if map.len() >= MAX_PENDING {
                return Err(ProviderError::Busy);
            }
        }
        let id = records::random_secret();
        map.insert(id.clone(), interaction);
        Ok(id)
    }

    /// A pending login.
    pub fn interaction(&self, id: &str) -> Option<Interaction> {
        let map = self.interactions.lock();
        map.get(id)
            .filter(|i| i.created.elapsed() < INTERACTION_TTL)
            .cloned()
    }

    /// Ends a pending login.
    pub fn finish_interaction(&self, id: &str) -> Option<Interaction> {
        self.interactions.lock().remove(id)
    }

    /// Issues an authorization code.
    pub fn issue_code(&self, grant: CodeGrant) -> Result<String, ProviderError> {
        let mut map = self.codes.lock();
        if map.len() >= MAX_PENDING {
            let ttl = Duration::from_secs(kommon_solid::oidc::issuer::CODE_SECS as u64);
            map.retain(|_, c| c.created.elapsed() < ttl);
            if map.len() >= MAX_PENDING {
                return Err(ProviderError::Busy);
            }
        }
        let code = records::random_secret();
        map.insert(code.clone(), grant);
        Ok(code)
    }

    /// Takes an authorization code (single use); `None` when unknown or expired.
    pub fn take_code(&self, code: &str) -> Option<CodeGrant> {
        let ttl = Duration::from_secs(kommon_solid::oidc::issuer::CODE_SECS as u64);
        self.codes
            .lock()
            .remove(code)
            .filter(|c| c.created.elapsed() < ttl)
    }
}

fn document_client(metadata: ClientMetadata) -> Client {
    Client {
        metadata,
        kind: ClientKind::Document,
        secret_hash: None,
        owner: None,
        created_ms: 0,
    }
}

/// The verifier's view of issuers and WebIDs: this provider and this server's pods from
/// memory and the store, the others fetched.
pub struct Directory {
    provider: Arc<Provider>,
    pods: Pods,
    remote: RemoteIssuerDirectory,
}

/// The guarded HTTP client, as the directory fetches documents.
pub struct GuardedDocuments(pub GuardedFetcher);

impl DocumentFetch for GuardedDocuments {
    fn fetch<'a>(
        &'a self,
        url: &'a str,
        accept: &'a str,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<(String, Vec<u8>), String>> {
        Box::pin(async move {
            self.0
                .get(url, &[("accept", accept)], max_bytes)
                .await
                .map(|f| (f.content_type, f.body.to_vec()))
                .map_err(|e| e.to_string())
        })
    }
}

impl Directory {
    /// A directory answering for `provider` and `pods`.
    pub fn new(provider: Arc<Provider>, pods: Pods, allow_private: bool) -> Self {
        Self {
            provider,
            pods,
            remote: RemoteIssuerDirectory::new(Arc::new(GuardedDocuments(GuardedFetcher::new(
                allow_private,
            )))),
        }
    }
}

impl IssuerDirectory for Directory {
    fn issuer_keys<'a>(&'a self, issuer: &'a str) -> BoxFuture<'a, Result<JwkSet, AuthError>> {
        Box::pin(async move {
            if issuer.trim_end_matches('/') == self.provider.issuer.trim_end_matches('/') {
                return Ok(self.provider.jwks());
            }
            self.remote.issuer_keys(issuer).await
        })
    }

    fn webid_issuers<'a>(
        &'a self,
        webid: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, AuthError>> {
        Box::pin(async move {
            if let Some((name, "")) = self.pods.layout.split(webid) {
                return Ok(if self.pods.accounts.exists(name).unwrap_or(false) {
                    vec![self.provider.issuer.clone()]
                } else {
                    Vec::new()
                });
            }
            self.remote.webid_issuers(webid).await
        })
    }
}
