//! Who sends a request: pluggable verifiers that turn a request's credentials into an agent.
//!
//! A server holds an [`Authenticator`], a list of [`RequestVerifier`]s. Each looks for its own
//! credentials (a `Signature` header, a `DPoP` token, …); the first that finds some decides:
//! they are valid ([`Credentials`]) or not ([`AuthError`], answered with 401). A request with no
//! credentials at all is anonymous. This issue ships HTTP signatures, which ActivityPods accepts
//! on every route, and a development header for tests; Solid-OIDC plugs in the same way.

use crate::wac::Requester;
use futures::future::BoxFuture;
use http::{HeaderMap, Method};
use kommon_http_signatures::{SignedRequest, VerificationKey};
use std::sync::Arc;
use thiserror::Error;

/// How a request was authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// An HTTP signature by an actor's key.
    HttpSignature,
    /// The development header (never in production).
    DevelopmentHeader,
    /// A Solid-OIDC token.
    SolidOidc,
}

/// A verified requester.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The WebID (or actor) of the person or actor making the request.
    pub agent: String,
    /// The application acting for them, if any.
    pub application: Option<String>,
    /// How this was established.
    pub method: AuthMethod,
}

impl Credentials {
    /// The requester as WAC sees it.
    pub fn requester(&self) -> Requester<'_> {
        match &self.application {
            Some(app) => Requester::Application {
                agent: &self.agent,
                application: app,
            },
            None => Requester::Agent(&self.agent),
        }
    }
}

/// Which credentials were refused: it decides the challenge of the 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthErrorKind {
    /// An HTTP signature (or another non-token credential).
    Signature,
    /// A Solid-OIDC or bearer token (`error="invalid_token"`).
    InvalidToken,
    /// A DPoP proof (`error="invalid_dpop_proof"`, RFC 9449 §7.1).
    InvalidDpopProof,
}

/// Why credentials were refused (401).
#[derive(Debug, Error)]
#[error("{message}")]
pub struct AuthError {
    /// What was wrong, for the client.
    pub message: String,
    /// Which credentials.
    pub kind: AuthErrorKind,
}

impl AuthError {
    /// An error with this message, about a signature.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            kind: AuthErrorKind::Signature,
        }
    }

    /// An error about a token.
    pub fn token(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            kind: AuthErrorKind::InvalidToken,
        }
    }

    /// An error about a DPoP proof.
    pub fn dpop(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            kind: AuthErrorKind::InvalidDpopProof,
        }
    }

    /// The `WWW-Authenticate` values of the 401: the scheme that failed names the error, the
    /// others say what else is accepted.
    pub fn challenges(&self) -> Vec<String> {
        // A quoted-string may not hold `"` or `\`; keep the description printable ASCII.
        let description: String = self
            .message
            .chars()
            .map(|c| match c {
                '"' | '\\' => '\'',
                c if c.is_ascii_graphic() || c == ' ' => c,
                _ => '?',
            })
            .take(300)
            .collect();
        let signature = "Signature realm=\"kommon\", headers=\"(request-target) host date digest\"";
        match self.kind {
            AuthErrorKind::Signature => vec![
                signature.to_owned(),
                "DPoP algs=\"ES256 ES384 RS256 PS256\"".to_owned(),
            ],
            AuthErrorKind::InvalidToken => vec![
                format!(
                    "DPoP algs=\"ES256 ES384 RS256 PS256\", error=\"invalid_token\", error_description=\"{description}\""
                ),
                format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
            ],
            AuthErrorKind::InvalidDpopProof => vec![format!(
                "DPoP algs=\"ES256 ES384 RS256 PS256\", error=\"invalid_dpop_proof\", error_description=\"{description}\""
            )],
        }
    }
}

/// What a verifier sees of a request.
#[derive(Debug)]
pub struct RequestHead<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path and query as sent (what signatures cover).
    pub path_and_query: &'a str,
    /// The absolute URL of the request, without query (what DPoP proofs name).
    pub url: &'a str,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body (already read, within the server's limit).
    pub body: &'a [u8],
}

/// One way of authenticating requests.
pub trait RequestVerifier: Send + Sync {
    /// `None` when the request carries none of this verifier's credentials; otherwise whether
    /// they hold.
    fn verify<'a>(
        &'a self,
        head: &'a RequestHead<'a>,
    ) -> BoxFuture<'a, Option<Result<Credentials, AuthError>>>;
}

/// The verifiers of a server, tried in order.
#[derive(Clone, Default)]
pub struct Authenticator {
    verifiers: Vec<Arc<dyn RequestVerifier>>,
}

impl Authenticator {
    /// An authenticator with no verifier: every request is anonymous.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a verifier after the existing ones.
    pub fn with(mut self, verifier: Arc<dyn RequestVerifier>) -> Self {
        self.verifiers.push(verifier);
        self
    }

    /// The requester: `Ok(None)` when anonymous.
    pub async fn authenticate(
        &self,
        head: &RequestHead<'_>,
    ) -> Result<Option<Credentials>, AuthError> {
        for v in &self.verifiers {
            if let Some(result) = v.verify(head).await {
                return result.map(Some);
            }
        }
        Ok(None)
    }
}

/// The development header `X-Kommon-Dev-Agent: <WebID>` (and optionally
/// `X-Kommon-Dev-App: <app IRI>`): whoever sends it is that agent. Only for tests and the
/// demonstrator's set-up on loopback; a server refuses to enable it in production mode.
pub struct DevelopmentHeaderVerifier;

/// The header naming the agent in development mode.
pub const DEV_AGENT_HEADER: &str = "x-kommon-dev-agent";
/// The header naming the application in development mode.
pub const DEV_APP_HEADER: &str = "x-kommon-dev-app";

impl RequestVerifier for DevelopmentHeaderVerifier {
    fn verify<'a>(
        &'a self,
        head: &'a RequestHead<'a>,
    ) -> BoxFuture<'a, Option<Result<Credentials, AuthError>>> {
        Box::pin(async move {
            let agent = head.headers.get(DEV_AGENT_HEADER)?;
            let Ok(agent) = agent.to_str() else {
                return Some(Err(AuthError::new("X-Kommon-Dev-Agent is not ASCII")));
            };
            if url::Url::parse(agent).is_err() {
                return Some(Err(AuthError::new(
                    "X-Kommon-Dev-Agent must be an absolute WebID",
                )));
            }
            let application = head
                .headers
                .get(DEV_APP_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Some(Ok(Credentials {
                agent: agent.to_owned(),
                application,
                method: AuthMethod::DevelopmentHeader,
            }))
        })
    }
}

/// A public key found for a `keyId`.
#[derive(Clone, Debug)]
pub struct PublicKey {
    /// The actor the key belongs to (`owner`).
    pub owner: String,
    /// The key, PEM.
    pub pem: String,
}

/// Finds actors' public keys: local actors from the store, remote ones by a (signed) fetch.
pub trait PublicKeyResolver: Send + Sync {
    /// The key named by `key_id`; `refresh` asks to bypass any cache (a key may have rotated).
    fn public_key<'a>(
        &'a self,
        key_id: &'a str,
        refresh: bool,
    ) -> BoxFuture<'a, Result<Option<PublicKey>, AuthError>>;
}

/// HTTP signatures (draft-cavage with Mastodon's rules, and RFC 9421), as ActivityPods accepts
/// them on every route.
pub struct HttpSignatureVerifier {
    resolver: Arc<dyn PublicKeyResolver>,
    /// Keys parsed once, by their PEM text: parsing costs more than verifying.
    parsed: quick_cache::sync::Cache<String, Arc<VerificationKey>>,
}

impl HttpSignatureVerifier {
    /// A verifier finding keys with `resolver`.
    pub fn new(resolver: Arc<dyn PublicKeyResolver>) -> Self {
        Self {
            resolver,
            parsed: quick_cache::sync::Cache::new(10_000),
        }
    }

    fn parsed(&self, pem: &str) -> Result<Arc<VerificationKey>, AuthError> {
        if let Some(k) = self.parsed.get(pem) {
            return Ok(k);
        }
        let k =
            Arc::new(VerificationKey::from_pem(pem).map_err(|e| AuthError::new(e.to_string()))?);
        self.parsed.insert(pem.to_owned(), Arc::clone(&k));
        Ok(k)
    }

    async fn check(&self, head: &RequestHead<'_>) -> Result<Credentials, AuthError> {
        // The full target URI, query included (RFC 9421 covers it): the URL's origin and the
        // path and query as sent.
        let origin_end = head
            .url
            .find("://")
            .map(|i| {
                i + 3
                    + head.url[i + 3..]
                        .find('/')
                        .unwrap_or(head.url.len() - i - 3)
            })
            .unwrap_or(0);
        let target_uri = format!("{}{}", &head.url[..origin_end], head.path_and_query);
        let signed = SignedRequest::parse_request(
            head.method.as_str(),
            &target_uri,
            head.headers,
            !head.body.is_empty(),
        )
        .map_err(|e| AuthError::new(e.to_string()))?;
        signed
            .check_body(head.headers, head.body)
            .map_err(|e| AuthError::new(e.to_string()))?;
        // One refetch of the key on failure: the actor may have rotated it.
        for refresh in [false, true] {
            let Some(key) = self.resolver.public_key(signed.key_id(), refresh).await? else {
                return Err(AuthError::new(format!(
                    "no public key found for keyId {}",
                    signed.key_id()
                )));
            };
            if signed.verify_with(&*self.parsed(&key.pem)?).is_ok() {
                return Ok(Credentials {
                    agent: key.owner,
                    application: None,
                    method: AuthMethod::HttpSignature,
                });
            }
        }
        Err(AuthError::new(format!(
            "the signature does not verify with the key {}",
            signed.key_id()
        )))
    }
}

impl RequestVerifier for HttpSignatureVerifier {
    fn verify<'a>(
        &'a self,
        head: &'a RequestHead<'a>,
    ) -> BoxFuture<'a, Option<Result<Credentials, AuthError>>> {
        Box::pin(async move {
            head.headers.get("signature")?;
            Some(self.check(head).await)
        })
    }
}
