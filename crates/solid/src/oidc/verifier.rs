//! The resource server's side of Solid-OIDC: turns `Authorization: DPoP <token>` (with its
//! `DPoP` proof) and ActivityPods' `Authorization: Bearer <ID token>` into an agent.
//!
//! A token is trusted when it is signed by a key of its issuer's JWKS, its issuer is one the
//! token's WebID lists as `solid:oidcIssuer`, and it has not expired. A DPoP token must also
//! come with a valid proof by the key it is bound to. An ID token sent as a bearer token (what
//! ActivityPods apps do) makes the request one of the application (`azp`) acting for the user:
//! WAC then grants only what both hold, as ActivityPods checks rights against the app.
//!
//! What can be cached is: the issuers' JWKS, the WebIDs' issuer lists, and a token once
//! verified (until it expires, re-checked every few minutes), so a client's second request costs
//! one proof verification. Proofs are never cached: each is single-use.

use super::claims::TokenClaims;
use super::dpop::{ProofKeys, ReplayCache, verify_proof};
use crate::auth::{AuthError, AuthMethod, Credentials, RequestHead, RequestVerifier};
use futures::future::BoxFuture;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Tolerated clock difference with issuers, in seconds.
pub const CLOCK_TOLERANCE_SECS: u64 = 120;
/// The longest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 8192;
/// How long fetched JWKS and WebID issuer lists are trusted.
const DIRECTORY_TTL: Duration = Duration::from_secs(300);
/// How long a verified token is reused before its issuer and WebID are checked again.
const TOKEN_RECHECK: Duration = Duration::from_secs(300);
/// The least time between two fetches of the same JWKS or WebID forced by an unknown key or
/// issuer, so that bad tokens cannot make the server fetch without bound.
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// The signature algorithms accepted on tokens.
const TOKEN_ALGORITHMS: [Algorithm; 8] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Finds what a verifier needs from the web: an issuer's keys and a WebID's issuers. A server
/// answers for its own issuer and WebIDs from memory and the store, and fetches the others.
pub trait IssuerDirectory: Send + Sync {
    /// The JWKS of `issuer` (through its discovery document).
    fn issuer_keys<'a>(&'a self, issuer: &'a str) -> BoxFuture<'a, Result<JwkSet, AuthError>>;
    /// The issuers the profile of `webid` lists as `solid:oidcIssuer`.
    fn webid_issuers<'a>(&'a self, webid: &'a str)
    -> BoxFuture<'a, Result<Vec<String>, AuthError>>;
}

struct IssuerKeys {
    keys: Vec<(Option<String>, DecodingKey)>,
    fetched: Instant,
}

struct WebIdIssuers {
    issuers: Vec<String>,
    fetched: Instant,
}

struct VerifiedToken {
    claims: TokenClaims,
    verified: Instant,
}

/// Solid-OIDC token verification, as a [`RequestVerifier`].
pub struct SolidOidcVerifier {
    directory: Arc<dyn IssuerDirectory>,
    keys: Cache<String, Arc<IssuerKeys>>,
    issuers: Cache<String, Arc<WebIdIssuers>>,
    tokens: Cache<String, Arc<VerifiedToken>>,
    replays: ReplayCache,
    proof_keys: ProofKeys,
}

/// Whether two issuer URLs name the same issuer (a trailing slash does not matter).
fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The current time, in seconds since the epoch.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

enum Scheme {
    Dpop,
    Bearer,
}

impl SolidOidcVerifier {
    /// A verifier finding issuers' keys and WebIDs' issuers through `directory`.
    pub fn new(directory: Arc<dyn IssuerDirectory>) -> Self {
        Self {
            directory,
            keys: Cache::new(1_000),
            issuers: Cache::new(10_000),
            tokens: Cache::new(20_000),
            replays: ReplayCache::new(2_000_000),
            proof_keys: ProofKeys::new(10_000),
        }
    }

    async fn issuer_keys(&self, issuer: &str, refresh: bool) -> Result<Arc<IssuerKeys>, AuthError> {
        if let Some(k) = self.keys.get(issuer) {
            let fresh = k.fetched.elapsed() < DIRECTORY_TTL;
            let may_refetch = k.fetched.elapsed() >= REFETCH_INTERVAL;
            if fresh && !(refresh && may_refetch) {
                return Ok(k);
            }
        }
        let set = self.directory.issuer_keys(issuer).await?;
        let keys = set
            .keys
            .iter()
            .filter_map(|jwk: &Jwk| {
                DecodingKey::from_jwk(jwk)
                    .ok()
                    .map(|k| (jwk.common.key_id.clone(), k))
            })
            .collect();
        let entry = Arc::new(IssuerKeys {
            keys,
            fetched: Instant::now(),
        });
        self.keys.insert(issuer.to_owned(), Arc::clone(&entry));
        Ok(entry)
    }

    async fn webid_lists_issuer(&self, webid: &str, issuer: &str) -> Result<bool, AuthError> {
        let cached = self.issuers.get(webid);
        if let Some(c) = &cached
            && c.fetched.elapsed() < DIRECTORY_TTL
            && (c.issuers.iter().any(|i| same_issuer(i, issuer))
                || c.fetched.elapsed() < REFETCH_INTERVAL)
        {
            return Ok(c.issuers.iter().any(|i| same_issuer(i, issuer)));
        }
        let issuers = self.directory.webid_issuers(webid).await?;
        let listed = issuers.iter().any(|i| same_issuer(i, issuer));
        self.issuers.insert(
            webid.to_owned(),
            Arc::new(WebIdIssuers {
                issuers,
                fetched: Instant::now(),
            }),
        );
        Ok(listed)
    }

    /// Verifies a token's signature, issuer and lifetime (not its binding).
    async fn verify_token(&self, token: &str) -> Result<TokenClaims, AuthError> {
        if let Some(v) = self.tokens.get(token)
            && v.verified.elapsed() < TOKEN_RECHECK
            && v.claims.exp + CLOCK_TOLERANCE_SECS as i64 >= now_secs()
        {
            return Ok(v.claims.clone());
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AuthError::token(format!("the token is not a JWT: {e}")))?;
        if !TOKEN_ALGORITHMS.contains(&header.alg) {
            return Err(AuthError::token(format!(
                "tokens signed with {:?} are not accepted",
                header.alg
            )));
        }
        let unverified: TokenClaims = jsonwebtoken::dangerous::insecure_decode(token)
            .map_err(|e| AuthError::token(format!("the token's claims are malformed: {e}")))?
            .claims;
        let webid = unverified
            .webid
            .as_deref()
            .ok_or_else(|| AuthError::token("the token has no webid claim"))?;
        for (what, url) in [("iss", unverified.iss.as_str()), ("webid", webid)] {
            let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
            if !ok {
                return Err(AuthError::token(format!(
                    "the token's {what} is not an http(s) URL"
                )));
            }
        }
        if !self.webid_lists_issuer(webid, &unverified.iss).await? {
            return Err(AuthError::token(format!(
                "the WebID {webid} does not list {} as its solid:oidcIssuer",
                unverified.iss
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = CLOCK_TOLERANCE_SECS;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iat", "iss"]);
        validation.set_issuer(&[unverified.iss.as_str()]);
        let mut last_error = None;
        for refresh in [false, true] {
            let keys = self.issuer_keys(&unverified.iss, refresh).await?;
            let candidates = keys
                .keys
                .iter()
                .filter(|(kid, _)| match (&header.kid, kid) {
                    (Some(want), Some(have)) => want == have,
                    _ => true,
                });
            for (_, key) in candidates {
                match jsonwebtoken::decode::<TokenClaims>(token, key, &validation) {
                    Ok(data) => {
                        let claims = data.claims;
                        if claims.iat > now_secs() + CLOCK_TOLERANCE_SECS as i64 {
                            return Err(AuthError::token("the token is issued in the future"));
                        }
                        self.tokens.insert(
                            token.to_owned(),
                            Arc::new(VerifiedToken {
                                claims: claims.clone(),
                                verified: Instant::now(),
                            }),
                        );
                        return Ok(claims);
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            // A key we do not know: the issuer may have rotated; fetch its keys once more.
            if last_error.as_ref().is_some_and(|e| {
                !matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature)
            }) {
                break;
            }
        }
        Err(AuthError::token(match last_error {
            Some(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    "the token has expired".to_owned()
                }
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
                    "the token's issuer does not match".to_owned()
                }
                _ => format!("the token does not verify: {e}"),
            },
            None => format!("no key of {} verifies the token", unverified.iss),
        }))
    }

    async fn check(
        &self,
        head: &RequestHead<'_>,
        scheme: Scheme,
        token: &str,
    ) -> Result<Credentials, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::token(format!(
                "the token is longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let claims = self.verify_token(token).await?;
        let webid = claims
            .webid
            .clone()
            .ok_or_else(|| AuthError::token("the token has no webid claim"))?;
        match scheme {
            Scheme::Dpop => {
                if !claims.aud.contains("solid") {
                    return Err(AuthError::token("the token's audience is not \"solid\""));
                }
                let Some(cnf) = &claims.cnf else {
                    return Err(AuthError::token(
                        "the token is not bound to a DPoP key (no cnf.jkt): send it as Bearer only if it is an ID token",
                    ));
                };
                let proof = head
                    .headers
                    .get("dpop")
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| AuthError::dpop("a DPoP token needs a DPoP proof header"))?;
                let verified = verify_proof(
                    proof,
                    head.method.as_str(),
                    head.url,
                    Some(token),
                    now_secs(),
                    &self.replays,
                    &self.proof_keys,
                )
                .map_err(|e| AuthError::dpop(e.to_string()))?;
                if verified.jkt != cnf.jkt {
                    return Err(AuthError::dpop(
                        "the DPoP proof is signed by another key than the one the token is bound to",
                    ));
                }
                Ok(Credentials {
                    agent: webid,
                    application: None,
                    method: AuthMethod::SolidOidc,
                })
            }
            Scheme::Bearer => {
                // ActivityPods apps send their ID token: its azp is the application.
                let Some(azp) = claims.azp.clone().filter(|a| claims.aud.contains(a)) else {
                    return Err(AuthError::token(
                        "a bearer token must be an ID token whose aud names its azp; access tokens go with Authorization: DPoP",
                    ));
                };
                if claims.client_id.is_some() {
                    return Err(AuthError::token(
                        "this is an access token: send it with Authorization: DPoP and a DPoP proof",
                    ));
                }
                Ok(Credentials {
                    agent: webid,
                    application: Some(azp),
                    method: AuthMethod::SolidOidc,
                })
            }
        }
    }
}

impl RequestVerifier for SolidOidcVerifier {
    fn verify<'a>(
        &'a self,
        head: &'a RequestHead<'a>,
    ) -> BoxFuture<'a, Option<Result<Credentials, AuthError>>> {
        Box::pin(async move {
            let value = head.headers.get(http::header::AUTHORIZATION)?;
            let Ok(value) = value.to_str() else {
                return Some(Err(AuthError::token(
                    "the Authorization header is not ASCII",
                )));
            };
            let value = value.trim();
            // Some clients send an empty Authorization header on anonymous requests.
            if value.is_empty() {
                return None;
            }
            let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
            let scheme = if scheme.eq_ignore_ascii_case("dpop") {
                Scheme::Dpop
            } else if scheme.eq_ignore_ascii_case("bearer") {
                Scheme::Bearer
            } else {
                // Another verifier's scheme (`Signature`), or none we know.
                return None;
            };
            let token = token.trim();
            if token.is_empty() {
                return Some(Err(AuthError::token(
                    "the Authorization header has no token",
                )));
            }
            Some(self.check(head, scheme, token).await)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::issuer::{TokenSubject, mint_access_token, mint_id_token};
    use crate::oidc::jose::{SigningKey, jwk_set};
    use http::{HeaderMap, HeaderValue, Method};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const ISSUER: &str = "https://pods.example/";
    const WEBID: &str = "https://pods.example/alice";
    const URL: &str = "https://pods.example/alice/data/x";

    struct Directory {
        keys: Vec<Jwk>,
        issuers: Vec<String>,
        fetches: AtomicUsize,
    }

    impl IssuerDirectory for Directory {
        fn issuer_keys<'a>(&'a self, issuer: &'a str) -> BoxFuture<'a, Result<JwkSet, AuthError>> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if same_issuer(issuer, ISSUER) {
                    Ok(jwk_set(&self.keys))
                } else {
                    Err(AuthError::token("unknown issuer"))
                }
            })
        }
        fn webid_issuers<'a>(
            &'a self,
            _webid: &'a str,
        ) -> BoxFuture<'a, Result<Vec<String>, AuthError>> {
            Box::pin(async move { Ok(self.issuers.clone()) })
        }
    }

    struct Fixture {
        issuer_key: SigningKey,
        client_key: SigningKey,
        verifier: SolidOidcVerifier,
    }

    fn fixture() -> Fixture {
        let issuer_key = SigningKey::generate().expect("key");
        let directory = Directory {
            keys: vec![issuer_key.public_jwk().clone()],
            issuers: vec![ISSUER.to_owned()],
            fetches: AtomicUsize::new(0),
        };
        Fixture {
            issuer_key,
            client_key: SigningKey::generate().expect("key"),
            verifier: SolidOidcVerifier::new(Arc::new(directory)),
        }
    }

    fn access_token(f: &Fixture, issuer: &str, iat: i64) -> String {
        let subject = TokenSubject {
            webid: WEBID,
            client_id: "https://app.example/id",
            jkt: Some(f.client_key.kid()),
            scope: "openid webid",
        };
        mint_access_token(&f.issuer_key, issuer, &subject, iat).expect("token")
    }

    fn run(
        f: &Fixture,
        method: &Method,
        url: &str,
        headers: HeaderMap,
    ) -> Option<Result<Credentials, AuthError>> {
        let head = RequestHead {
            method,
            path_and_query: "/alice/data/x",
            url,
            headers: &headers,
            body: b"",
        };
        futures::executor::block_on(f.verifier.verify(&head))
    }

    fn dpop_headers(token: &str, proof: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("DPoP {token}")).expect("header"),
        );
        h.insert("dpop", HeaderValue::from_str(proof).expect("header"));
        h
    }

    #[test]
    fn a_dpop_token_with_its_proof_is_the_user() {
        let f = fixture();
        let at = access_token(&f, ISSUER, now_secs());
        for _ in 0..2 {
            let proof = f
                .client_key
                .dpop_proof("GET", URL, None, now_secs())
                .expect("proof");
            let c = run(&f, &Method::GET, URL, dpop_headers(&at, &proof))
                .expect("ours")
                .expect("valid");
            assert_eq!(c.agent, WEBID);
            assert_eq!(c.application, None);
        }
    }

    #[test]
    fn bad_tokens_and_proofs_are_refused_with_a_reason() {
        let f = fixture();
        let now = now_secs();
        let good = access_token(&f, ISSUER, now);
        let expired = access_token(&f, ISSUER, now - 10_000);
        let wrong_issuer = access_token(&f, "https://evil.example/", now);
        let other_key = SigningKey::generate().expect("key");
        let wrong_aud = other_key
            .sign(
                "at+jwt",
                &serde_json::json!({"iss": ISSUER, "aud": "other", "webid": WEBID, "iat": now, "exp": now + 60, "cnf": {"jkt": f.client_key.kid()}}),
            )
            .expect("token");
        let unsigned_aud = f
            .issuer_key
            .sign(
                "at+jwt",
                &serde_json::json!({"iss": ISSUER, "aud": "other", "webid": WEBID, "iat": now, "exp": now + 60, "cnf": {"jkt": f.client_key.kid()}}),
            )
            .expect("token");
        let proof = |m: &str, u: &str| f.client_key.dpop_proof(m, u, None, now).expect("proof");
        let cases: Vec<(String, String, &str)> = vec![
            (expired, proof("GET", URL), "expired"),
            (wrong_issuer, proof("GET", URL), "does not list"),
            (wrong_aud, proof("GET", URL), "no key"),
            (unsigned_aud, proof("GET", URL), "audience"),
            (good.clone(), proof("POST", URL), "htm"),
            (
                good.clone(),
                proof("GET", "https://pods.example/bob/data/x"),
                "htu",
            ),
            (
                good.clone(),
                other_key.dpop_proof("GET", URL, None, now).expect("proof"),
                "another key",
            ),
            ("not.a.token".to_owned(), proof("GET", URL), "not a JWT"),
        ];
        for (token, proof, reason) in cases {
            let e = run(&f, &Method::GET, URL, dpop_headers(&token, &proof))
                .expect("ours")
                .expect_err(reason);
            assert!(e.message.contains(reason), "{reason}: {}", e.message);
        }
        // A replayed proof.
        let p = proof("GET", URL);
        run(&f, &Method::GET, URL, dpop_headers(&good, &p))
            .expect("ours")
            .expect("first");
        let e = run(&f, &Method::GET, URL, dpop_headers(&good, &p))
            .expect("ours")
            .expect_err("replay");
        assert!(e.message.contains("replay"));
        // No proof at all.
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("DPoP {good}")).expect("header"),
        );
        assert!(run(&f, &Method::GET, URL, h).expect("ours").is_err());
    }

    #[test]
    fn an_id_token_as_bearer_is_the_app_acting_for_the_user() {
        let f = fixture();
        let subject = TokenSubject {
            webid: WEBID,
            client_id: "https://app.example/app",
            jkt: None,
            scope: "openid webid",
        };
        let id =
            mint_id_token(&f.issuer_key, ISSUER, &subject, None, None, now_secs()).expect("token");
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {id}")).expect("header"),
        );
        let c = run(&f, &Method::GET, URL, h).expect("ours").expect("valid");
        assert_eq!(c.agent, WEBID);
        assert_eq!(c.application.as_deref(), Some("https://app.example/app"));
        // An access token is never a bearer token.
        let at = access_token(&f, ISSUER, now_secs());
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {at}")).expect("header"),
        );
        assert!(run(&f, &Method::GET, URL, h).expect("ours").is_err());
    }

    #[test]
    fn empty_and_foreign_headers_are_not_ours() {
        let f = fixture();
        for value in ["", "   ", "Signature keyId=\"x\""] {
            let mut h = HeaderMap::new();
            h.insert(
                "authorization",
                HeaderValue::from_str(value).expect("header"),
            );
            assert!(run(&f, &Method::GET, URL, h).is_none(), "{value:?}");
        }
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("DPoP"));
        assert!(run(&f, &Method::GET, URL, h).expect("ours").is_err());
    }
}
