//! DPoP proofs (RFC 9449): a fresh JWT per request, signed by the key the access token is bound
//! to, naming the request's method and URL.
//!
//! The checks are those of RFC 9449 §4.3 as Solid resource servers apply them: `typ`
//! `dpop+jwt`, an asymmetric algorithm, a public key in the header that verifies the signature,
//! `htm` and `htu` equal to the request's, `iat` within [`PROOF_WINDOW_SECS`] of now, a `jti`
//! never seen before, and `ath` equal to the token's hash when the proof carries one (the
//! Inrupt client sends none).

use super::jose::{access_token_hash, b64url_decode, thumbprint};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use parking_lot::Mutex;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// How far a proof's `iat` may be from now, in seconds, either way.
pub const PROOF_WINDOW_SECS: i64 = 120;

/// The longest proof accepted, in bytes: a proof is a few hundred bytes; an RSA-4096 key in the
/// header makes it about 1.5 KiB.
pub const MAX_PROOF_BYTES: usize = 4096;

/// A verified proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The thumbprint of the proof's key: it must equal the token's `cnf.jkt`.
    pub jkt: String,
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid DPoP proof: {0}")]
pub struct ProofError(pub String);

fn err(message: impl Into<String>) -> ProofError {
    ProofError(message.into())
}

#[derive(Deserialize)]
struct ProofClaims {
    htm: String,
    htu: String,
    iat: i64,
    jti: String,
    #[serde(default)]
    ath: Option<String>,
}

/// The `jti`s of recent proofs, so none is accepted twice. An entry is kept until its proof
/// would be refused as too old anyway; the map is split in shards so concurrent requests rarely
/// wait on each other, and bounded so a flood of proofs cannot exhaust memory.
pub struct ReplayCache {
    shards: Vec<Mutex<HashMap<[u8; 16], i64>>>,
    max_per_shard: usize,
}

impl ReplayCache {
    /// A cache holding at most `capacity` recent proofs.
    pub fn new(capacity: usize) -> Self {
        let n = 32;
        Self {
            shards: (0..n).map(|_| Mutex::new(HashMap::new())).collect(),
            max_per_shard: capacity.div_ceil(n).max(16),
        }
    }

    /// Records `jti` (of a proof issued at `iat`); `Err` when it was seen before, or when the
    /// cache is full of live entries.
    pub fn check_and_insert(
        &self,
        jkt: &str,
        jti: &str,
        iat: i64,
        now: i64,
    ) -> Result<(), ProofError> {
        use sha2::Digest;
        // Keyed by the proof's key as well: two clients choosing the same jti do not collide.
        let mut h = sha2::Sha256::new();
        h.update(jkt.as_bytes());
        h.update([0]);
        h.update(jti.as_bytes());
        let digest = h.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        let shard = &self.shards[usize::from(key[0]) % self.shards.len()];
        let mut map = shard.lock();
        if let Some(expiry) = map.get(&key)
            && *expiry >= now
        {
            return Err(err("this proof's jti was already used (replay)"));
        }
        if map.len() >= self.max_per_shard {
            map.retain(|_, expiry| *expiry >= now);
            if map.len() >= self.max_per_shard {
                return Err(err("too many recent proofs: try again in a minute"));
            }
        }
        map.insert(key, iat + PROOF_WINDOW_SECS);
        Ok(())
    }
}

/// The P-256 keys of recent proofs, parsed, with their thumbprints. A client signs all its
/// proofs with one key: decoding its point, checking it is on the curve and hashing its
/// thumbprint are done once, not at every request (ES256 is what Solid clients use; other
/// algorithms take the general path).
pub struct ProofKeys {
    cache: quick_cache::sync::Cache<String, Arc<ProofKey>>,
}

struct ProofKey {
    key: aws_lc_rs::signature::ParsedPublicKey,
    jkt: String,
}

impl ProofKeys {
    /// A cache of at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(capacity.max(16)),
        }
    }

    /// The parsed key of an ES256 proof's `jwk`, and the name to cache it under once a
    /// signature made with it verifies (`None` when it came from the cache): keys that never
    /// signed anything cannot push real clients' keys out.
    fn es256(
        &self,
        jwk: &serde_json::Value,
    ) -> Result<(Arc<ProofKey>, Option<String>), ProofError> {
        let member = |name: &str| jwk.get(name).and_then(|v| v.as_str()).unwrap_or_default();
        if member("kty") != "EC" || member("crv") != "P-256" {
            return Err(err("an ES256 proof needs an EC P-256 jwk"));
        }
        let (x, y) = (member("x"), member("y"));
        let id = format!("{x}.{y}");
        if let Some(k) = self.cache.get(&id) {
            return Ok((k, None));
        }
        let (Some(xb), Some(yb)) = (b64url_decode(x), b64url_decode(y)) else {
            return Err(err("unusable jwk: x and y must be base64url"));
        };
        if xb.len() != 32 || yb.len() != 32 {
            return Err(err("unusable jwk: x and y must be 32 bytes"));
        }
        let mut point = Vec::with_capacity(65);
        point.push(4);
        point.extend_from_slice(&xb);
        point.extend_from_slice(&yb);
        let key = aws_lc_rs::signature::ParsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
            &point,
        )
        .map_err(|e| err(format!("unusable jwk: {e}")))?;
        let parsed: Jwk =
            serde_json::from_value(jwk.clone()).map_err(|e| err(format!("unusable jwk: {e}")))?;
        let jkt = thumbprint(&parsed).ok_or_else(|| err("no thumbprint for the jwk"))?;
        Ok((Arc::new(ProofKey { key, jkt }), Some(id)))
    }
}

/// `url` without query and fragment, with the default port dropped: what `htu` is compared on.
fn htu_form(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    u.set_query(None);
    u.set_fragment(None);
    Some(u.to_string())
}

/// Verifies `proof` for a request `method url`, presenting `access_token` (when the proof
/// accompanies one). `now` is the current time in seconds.
pub fn verify_proof(
    proof: &str,
    method: &str,
    url: &str,
    access_token: Option<&str>,
    now: i64,
    replays: &ReplayCache,
    keys: &ProofKeys,
) -> Result<VerifiedProof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(err(format!("longer than {MAX_PROOF_BYTES} bytes")));
    }
    let mut parts = proof.split('.');
    let (Some(header_part), Some(payload_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(err("not a compact JWS (three base64url parts)"));
    };
    let raw_header: serde_json::Value = b64url_decode(header_part)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| err("the header is not base64url JSON"))?;
    if raw_header.get("typ").and_then(|t| t.as_str()) != Some("dpop+jwt") {
        return Err(err("typ must be dpop+jwt"));
    }
    if raw_header
        .get("jwk")
        .is_some_and(|jwk| jwk.get("d").is_some() || jwk.get("k").is_some())
    {
        return Err(err("the jwk in the header must be a public key"));
    }
    let (claims, jkt) = if raw_header.get("alg").and_then(|a| a.as_str()) == Some("ES256") {
        let jwk = raw_header
            .get("jwk")
            .ok_or_else(|| err("the header carries no jwk"))?;
        let (key, uncached) = keys.es256(jwk)?;
        let signature =
            b64url_decode(signature_part).ok_or_else(|| err("the signature is not base64url"))?;
        let signed = &proof[..header_part.len() + 1 + payload_part.len()];
        key.key
            .verify_sig(signed.as_bytes(), &signature)
            .map_err(|_| err("InvalidSignature"))?;
        if let Some(id) = uncached {
            keys.cache.insert(id, Arc::clone(&key));
        }
        let claims: ProofClaims = b64url_decode(payload_part)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| err("the claims are not base64url JSON with htm, htu, iat and jti"))?;
        (claims, key.jkt.clone())
    } else {
        verify_other_algorithm(proof)?
    };
    if !claims.htm.eq_ignore_ascii_case(method) {
        return Err(err(format!(
            "htm is {} but the request is {method}",
            claims.htm
        )));
    }
    // Clients send the URL as they requested it: the same text needs no parsing (equal texts
    // normalise alike); only a different spelling is compared in normal form.
    let bare = url.split(['?', '#']).next().unwrap_or(url);
    let same_url = claims.htu == bare
        || matches!((htu_form(&claims.htu), htu_form(url)), (Some(a), Some(b)) if a == b);
    if !same_url {
        return Err(err(format!(
            "htu is {} but the request is for {url}",
            claims.htu
        )));
    }
    if (now - claims.iat).abs() > PROOF_WINDOW_SECS {
        return Err(err(format!(
            "iat is {} s away from the server's clock (at most {PROOF_WINDOW_SECS} s)",
            now - claims.iat
        )));
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err(err("jti must be 1 to 256 characters"));
    }
    if let (Some(ath), Some(token)) = (&claims.ath, access_token)
        && *ath != access_token_hash(token)
    {
        return Err(err("ath does not match the access token"));
    }
    replays.check_and_insert(&jkt, &claims.jti, claims.iat, now)?;
    Ok(VerifiedProof { jkt })
}

/// Checks the signature of a proof signed with another algorithm than ES256 (RS256, PS256,
/// ES384, EdDSA…) with `jsonwebtoken`; its claims and key thumbprint.
fn verify_other_algorithm(proof: &str) -> Result<(ProofClaims, String), ProofError> {
    let header = jsonwebtoken::decode_header(proof).map_err(|e| err(format!("bad header: {e}")))?;
    let alg = header.alg;
    if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        return Err(err("the algorithm must be asymmetric"));
    }
    let jwk = header
        .jwk
        .as_ref()
        .ok_or_else(|| err("the header carries no jwk"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| err(format!("unusable jwk: {e}")))?;
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation)
        .map_err(|e| err(format!("{e}")))?
        .claims;
    let jkt = thumbprint(jwk).ok_or_else(|| err("no thumbprint for the jwk"))?;
    Ok((claims, jkt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::jose::SigningKey;

    const URL: &str = "https://pods.example/alice/data/x";

    fn now() -> i64 {
        1_800_000_000
    }

    #[test]
    fn a_good_proof_verifies_once() {
        let k = SigningKey::generate().expect("key");
        let replays = ReplayCache::new(1000);
        let keys = ProofKeys::new(100);
        let p = k.dpop_proof("GET", URL, Some("tok"), now()).expect("proof");
        let v = verify_proof(&p, "GET", URL, Some("tok"), now(), &replays, &keys).expect("valid");
        assert_eq!(v.jkt, k.kid());
        let again = verify_proof(&p, "GET", URL, Some("tok"), now(), &replays, &keys);
        assert!(again.is_err_and(|e| e.0.contains("replay")));
    }

    #[test]
    fn the_query_and_default_port_do_not_matter() {
        let k = SigningKey::generate().expect("key");
        let replays = ReplayCache::new(1000);
        let keys = ProofKeys::new(100);
        let p = k
            .dpop_proof("GET", "https://pods.example:443/alice/data/x", None, now())
            .expect("proof");
        verify_proof(
            &p,
            "GET",
            &format!("{URL}?a=b"),
            None,
            now(),
            &replays,
            &keys,
        )
        .expect("valid");
    }

    #[test]
    fn wrong_method_url_time_or_token_are_refused() {
        let k = SigningKey::generate().expect("key");
        let replays = ReplayCache::new(1000);
        let keys = ProofKeys::new(100);
        let cases = [
            (
                k.dpop_proof("POST", URL, None, now()),
                "GET",
                URL,
                None,
                "htm",
            ),
            (
                k.dpop_proof("GET", "https://other.example/x", None, now()),
                "GET",
                URL,
                None,
                "htu",
            ),
            (
                k.dpop_proof("GET", URL, None, now() - 600),
                "GET",
                URL,
                None,
                "iat",
            ),
            (
                k.dpop_proof("GET", URL, None, now() + 600),
                "GET",
                URL,
                None,
                "iat",
            ),
            (
                k.dpop_proof("GET", URL, Some("a"), now()),
                "GET",
                URL,
                Some("b"),
                "ath",
            ),
        ];
        for (proof, method, url, token, expected) in cases {
            let proof = proof.expect("proof");
            let e = verify_proof(&proof, method, url, token, now(), &replays, &keys)
                .expect_err("must be refused");
            assert!(e.0.contains(expected), "{expected}: {e}");
        }
    }

    #[test]
    fn malformed_proofs_are_refused_with_a_reason() {
        let replays = ReplayCache::new(1000);
        let keys = ProofKeys::new(100);
        for bad in ["", "a.b.c", "....", &"x".repeat(10_000)] {
            assert!(verify_proof(bad, "GET", URL, None, now(), &replays, &keys).is_err());
        }
        // A proof signed by one key but carrying another in its header.
        let a = SigningKey::generate().expect("key");
        let b = SigningKey::generate().expect("key");
        let pa = a.dpop_proof("GET", URL, None, now()).expect("proof");
        let pb = b.dpop_proof("GET", URL, None, now()).expect("proof");
        let mut parts: Vec<&str> = pa.split('.').collect();
        parts[2] = pb.split('.').nth(2).expect("signature");
        let forged = parts.join(".");
        assert!(verify_proof(&forged, "GET", URL, None, now(), &replays, &keys).is_err());
    }

    #[test]
    fn es256_keys_that_are_not_points_of_the_curve_are_refused() {
        use crate::oidc::jose::b64url;
        let replays = ReplayCache::new(1000);
        let keys = ProofKeys::new(100);
        let zeros = b64url(&[0u8; 32]);
        let ones = b64url(&[1u8; 32]);
        let claims = b64url(
            serde_json::json!({"htm": "GET", "htu": URL, "iat": now(), "jti": "j"})
                .to_string()
                .as_bytes(),
        );
        for (jwk, why) in [
            (
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}),
                "32 bytes",
            ),
            (
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": zeros, "y": zeros}),
                "unusable",
            ),
            (
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": ones, "y": ones}),
                "unusable",
            ),
            (
                serde_json::json!({"kty": "EC", "crv": "P-256", "x": "!!", "y": "??"}),
                "base64url",
            ),
            (
                serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
                "P-256",
            ),
        ] {
            let header = b64url(
                serde_json::json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk})
                    .to_string()
                    .as_bytes(),
            );
            let proof = format!("{header}.{claims}.{}", b64url(&[7u8; 64]));
            let e = verify_proof(&proof, "GET", URL, None, now(), &replays, &keys)
                .expect_err("must be refused");
            assert!(e.0.contains(why), "{why}: {e}");
        }
    }

    #[test]
    fn a_full_cache_refuses_rather_than_grows() {
        let k = SigningKey::generate().expect("key");
        let replays = ReplayCache::new(16 * 32);
        let mut refused = 0;
        for i in 0..(16 * 32 * 4) {
            if replays
                .check_and_insert(k.kid(), &format!("jti-{i}"), now(), now())
                .is_err()
            {
                refused += 1;
            }
        }
        assert!(refused > 0);
        // Once the entries are stale, room comes back.
        replays
            .check_and_insert(k.kid(), "late", now() + 1000, now() + 1000)
            .expect("room after expiry");
    }
}
