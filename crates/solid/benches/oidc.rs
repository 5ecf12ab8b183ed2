//! Solid-OIDC verification speed on one core: `cargo bench -p kommon-solid --bench oidc`.
//!
//! Prints a table of verifications per second, single-threaded: a DPoP-bound access token with
//! a fresh proof for each request (the token's signature and issuer checks cached after the first
//! request, as in a server), the same with the cache defeated (a new token each time), the proof
//! alone, and ActivityPods' bearer ID token. The target of the login issue: at least 20,000 token
//! plus DPoP verifications per second on one core.

use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Method};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use kommon_solid::auth::{AuthError, RequestHead, RequestVerifier};
use kommon_solid::oidc::dpop::{ProofKeys, ReplayCache, verify_proof};
use kommon_solid::oidc::issuer::{TokenSubject, mint_access_token, mint_id_token};
use kommon_solid::oidc::jose::{SigningKey, jwk_set};
use kommon_solid::oidc::verifier::{IssuerDirectory, SolidOidcVerifier, now_secs};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ISSUER: &str = "https://pods.example/";
const WEBID: &str = "https://pods.example/alice";
const URL: &str = "https://pods.example/alice/data/note";

struct Directory(Vec<Jwk>);

impl IssuerDirectory for Directory {
    fn issuer_keys<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<JwkSet, AuthError>> {
        Box::pin(async move { Ok(jwk_set(&self.0)) })
    }
    fn webid_issuers<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<Vec<String>, AuthError>> {
        Box::pin(async move { Ok(vec![ISSUER.to_owned()]) })
    }
}

/// Runs `f` for about `secs` seconds over pre-made inputs; returns operations per second.
fn rate<T>(inputs: &[T], mut f: impl FnMut(&T)) -> f64 {
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < Duration::from_secs(3) && n < inputs.len() {
        f(&inputs[n]);
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let issuer_key = SigningKey::generate().expect("key");
    let client_key = SigningKey::generate().expect("key");
    let verifier =
        SolidOidcVerifier::new(Arc::new(Directory(vec![issuer_key.public_jwk().clone()])));
    let subject = TokenSubject {
        webid: WEBID,
        client_id: "https://app.example/id",
        jkt: Some(client_key.kid()),
        scope: "openid webid",
    };
    let n = 120_000;
    let now = now_secs();
    let token = mint_access_token(&issuer_key, ISSUER, &subject, now).expect("token");
    eprintln!("making {n} proofs and tokens…");
    let proofs: Vec<String> = (0..n)
        .map(|_| client_key.dpop_proof("GET", URL, None, now).expect("proof"))
        .collect();
    let headers = |token: &str, proof: &str| {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("DPoP {token}")).expect("header"),
        );
        h.insert("dpop", HeaderValue::from_str(proof).expect("header"));
        h
    };
    let check = |h: &HeaderMap| {
        let head = RequestHead {
            method: &Method::GET,
            path_and_query: "/alice/data/note",
            url: URL,
            headers: h,
            body: b"",
        };
        let r = futures::executor::block_on(verifier.verify(&head));
        assert!(matches!(r, Some(Ok(_))), "{r:?}");
    };
    let warm: Vec<HeaderMap> = proofs[..20_000]
        .iter()
        .map(|p| headers(&token, p))
        .collect();
    let cached = rate(&warm, &check);
    let fresh_tokens: Vec<HeaderMap> = proofs[20_000..40_000]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = mint_access_token(&issuer_key, ISSUER, &subject, now - (i % 50) as i64)
                .expect("token");
            headers(&t, p)
        })
        .collect();
    let uncached = rate(&fresh_tokens, &check);
    let replays = ReplayCache::new(1_000_000);
    let keys = ProofKeys::new(1000);
    let proof_only = rate(&proofs[40_000..100_000], |p| {
        verify_proof(p, "GET", URL, None, now, &replays, &keys).expect("valid");
    });
    // The floor: aws-lc-rs verifying an ES256 signature, nothing else.
    let raw: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = proofs[100_000..120_000]
        .iter()
        .map(|p| {
            let (message, signature) = p.rsplit_once('.').expect("jws");
            let header: serde_json::Value = serde_json::from_slice(
                &kommon_solid::oidc::jose::b64url_decode(
                    message.split('.').next().expect("header"),
                )
                .expect("b64"),
            )
            .expect("json");
            let b = |k: &str| {
                kommon_solid::oidc::jose::b64url_decode(
                    header["jwk"][k].as_str().expect("coordinate"),
                )
                .expect("b64")
            };
            let mut point = vec![4u8];
            point.extend(b("x"));
            point.extend(b("y"));
            (
                point,
                message.as_bytes().to_vec(),
                kommon_solid::oidc::jose::b64url_decode(signature).expect("b64"),
            )
        })
        .collect();
    let floor = rate(&raw, |(point, message, signature)| {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(message, signature)
            .expect("valid");
    });
    // The same check with the key parsed once, as the server keeps a client's key.
    let parsed = {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
        let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &raw[0].0).expect("key");
        rate(&raw, |(_, message, signature)| {
            key.verify_sig(message, signature).expect("valid");
        })
    };
    let id_subject = TokenSubject {
        jkt: None,
        ..subject.clone()
    };
    let id_token = mint_id_token(&issuer_key, ISSUER, &id_subject, None, None, now).expect("token");
    let bearer: Vec<HeaderMap> = (0..200_000)
        .map(|_| {
            let mut h = HeaderMap::new();
            h.insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {id_token}")).expect("header"),
            );
            h
        })
        .collect();
    let bearer_rate = rate(&bearer, &check);
    println!("| verification (one thread) | per second | target |");
    println!("|---|---:|---|");
    println!(
        "| DPoP access token + fresh proof (token cached after first use) | {cached:.0} | ≥ 20,000 |"
    );
    println!(
        "| DPoP access token + fresh proof, a new token every time (no cache) | {uncached:.0} | (info) |"
    );
    println!("| DPoP proof alone | {proof_only:.0} | (info) |");
    println!("| ActivityPods bearer ID token (cached) | {bearer_rate:.0} | (info) |");
    println!("| anchor: one ES256 signature check by aws-lc-rs alone | {floor:.0} | (floor) |");
    println!(
        "| anchor: the same check with the key parsed once (ParsedPublicKey) | {parsed:.0} | (floor) |"
    );
    println!(
        "| ratio: DPoP request verification / signature check floor (key parsed once) | {:.2}× | |",
        parsed / cached
    );
}
