//! HTTP message signatures as the fediverse and ActivityPods use them.
//!
//! Requests are signed in the draft-cavage style Mastodon established: `algorithm="rsa-sha256"`
//! (or `hs2019`), signed headers `(request-target) host date` plus `digest` when there is a body,
//! `keyId` naming the actor's key (`https://h/alice#main-key`). Verification follows Mastodon's
//! rules: `(request-target)`, `host` and `date` must be signed, and `digest` when the request has
//! a body; the date may be up to 12 hours old and 1 hour in the future. RFC 9421 signatures come
//! with the federation issue.
//!
//! Why `http-signature-normalization`: it is the parser and signing-string builder that
//! activitypub_federation uses, so we verify exactly what the federation crate signs; the RSA
//! arithmetic comes from RustCrypto's `rsa` (the same 0.9 line the federation crate uses).

#![warn(missing_docs)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderName, HeaderValue};
use http_signature_normalization::Config;
use http_signature_normalization::verify::{Algorithm, DeprecatedAlgorithm};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use thiserror::Error;

/// How old a signed `Date` may be (Mastodon's window).
pub const MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// How far in the future a signed `Date` may be (clock skew).
pub const MAX_SKEW: Duration = Duration::from_secs(3600);

/// Why a signature could not be made or was not accepted.
#[derive(Debug, Error)]
pub enum SignatureError {
    /// The `Signature` header is missing or cannot be parsed.
    #[error("the Signature header is malformed: {0}")]
    Malformed(String),
    /// A header that must be signed is not.
    #[error("the signature must cover the header {0}")]
    Unsigned(String),
    /// The algorithm is not one we verify.
    #[error("unsupported signature algorithm {0}")]
    Algorithm(String),
    /// The signed `Date` is too old or too far in the future.
    #[error("the signed Date is {0}")]
    Date(String),
    /// The `Digest` header does not match the body.
    #[error("the Digest header does not match the body")]
    Digest,
    /// The key could not be read.
    #[error("invalid key: {0}")]
    Key(String),
    /// The signature does not verify with the key.
    #[error("the signature does not verify with the key {0}")]
    Invalid(String),
}

/// An RSA key pair of an actor, as PEM text (PKCS#8 private key, SPKI public key).
#[derive(Clone, Debug)]
pub struct KeyPair {
    /// The private key, PKCS#8 PEM.
    pub private_pem: String,
    /// The public key, SPKI PEM (`publicKeyPem` in actor documents).
    pub public_pem: String,
}

/// Generates an RSA-2048 key pair.
pub fn generate_key_pair() -> Result<KeyPair, SignatureError> {
    let mut rng = rand::thread_rng();
    let private =
        RsaPrivateKey::new(&mut rng, 2048).map_err(|e| SignatureError::Key(e.to_string()))?;
    let public = RsaPublicKey::from(&private);
    Ok(KeyPair {
        private_pem: private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| SignatureError::Key(e.to_string()))?
            .to_string(),
        public_pem: public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| SignatureError::Key(e.to_string()))?,
    })
}

/// The `Digest` header value of a body (`SHA-256=<base64>`).
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
}

/// Checks a `Digest` header against the body. Only SHA-256 is accepted; several digests
/// separated by commas are allowed if the SHA-256 one matches.
pub fn verify_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let expected = BASE64.encode(Sha256::digest(body));
    for part in header.split(',') {
        let part = part.trim();
        if let Some((alg, value)) = part.split_once('=')
            && alg.eq_ignore_ascii_case("sha-256")
        {
            return if value == expected {
                Ok(())
            } else {
                Err(SignatureError::Digest)
            };
        }
    }
    Err(SignatureError::Digest)
}

fn config() -> Config {
    Config::new().mastodon_compat().set_expiration(MAX_AGE)
}

/// Signs a request in place: adds `Date` and `Host` (from `host`) when absent, `Digest` when
/// there is a body, and the `Signature` header, with the RSA key `private_pem` under `key_id`.
pub fn sign_request(
    method: &str,
    path_and_query: &str,
    host: &str,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    private_pem: &str,
) -> Result<(), SignatureError> {
    let key = RsaPrivateKey::from_pkcs8_pem(private_pem)
        .map_err(|e| SignatureError::Key(e.to_string()))?;
    if !headers.contains_key(http::header::DATE) {
        let date = httpdate::fmt_http_date(SystemTime::now());
        headers.insert(http::header::DATE, header_value(&date)?);
    }
    if !headers.contains_key(http::header::HOST) {
        headers.insert(http::header::HOST, header_value(host)?);
    }
    let mut signed: Vec<&str> = vec!["host", "date"];
    if let Some(body) = body {
        headers.insert(
            HeaderName::from_static("digest"),
            header_value(&digest_header(body))?,
        );
        signed.push("digest");
    }
    let mut map = BTreeMap::new();
    for name in &signed {
        let value = headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SignatureError::Unsigned((*name).to_owned()))?;
        map.insert((*name).to_owned(), value.to_owned());
    }
    let signer = SigningKey::<Sha256>::new(key);
    let header = config()
        .begin_sign(method, path_and_query, map)
        .map_err(|e| SignatureError::Malformed(e.to_string()))?
        .sign(key_id.to_owned(), |signing_string| {
            Ok::<_, SignatureError>(
                BASE64.encode(signer.sign(signing_string.as_bytes()).to_bytes()),
            )
        })?
        .signature_header();
    // The crate writes `hs2019`; Mastodon and ActivityPods expect to be told RSA-SHA256.
    let header = header.replacen("algorithm=\"hs2019\"", "algorithm=\"rsa-sha256\"", 1);
    headers.insert(HeaderName::from_static("signature"), header_value(&header)?);
    Ok(())
}

fn header_value(s: &str) -> Result<HeaderValue, SignatureError> {
    HeaderValue::from_str(s).map_err(|e| SignatureError::Malformed(e.to_string()))
}

/// A parsed signature whose key is still to be found: [`SignedRequest::key_id`] says which.
#[derive(Debug)]
pub struct SignedRequest {
    key_id: String,
    signing_string: String,
    signature: String,
    covers_digest: bool,
}

impl SignedRequest {
    /// Parses the `Signature` header of a request and checks what Mastodon checks before
    /// looking at the key: the covered headers, the algorithm and the date. `has_body` says
    /// whether the request carries a body (then `digest` must be signed).
    pub fn parse(
        method: &str,
        path_and_query: &str,
        headers: &HeaderMap,
        has_body: bool,
    ) -> Result<Self, SignatureError> {
        let signature = headers
            .get("signature")
            .ok_or_else(|| SignatureError::Malformed("no Signature header".into()))?
            .to_str()
            .map_err(|_| SignatureError::Malformed("the header is not ASCII".into()))?;
        let covered = signature
            .split(',')
            .find_map(|p| p.trim().strip_prefix("headers="))
            .map(|h| h.trim_matches('"').to_ascii_lowercase())
            .unwrap_or_else(|| "date".into());
        let covered: Vec<&str> = covered.split_whitespace().collect();
        for required in ["(request-target)", "host", "date"] {
            if !covered.contains(&required) {
                return Err(SignatureError::Unsigned(required.to_owned()));
            }
        }
        let covers_digest = covered.contains(&"digest");
        if has_body && !covers_digest {
            return Err(SignatureError::Unsigned("digest".into()));
        }
        // Only the covered headers (and the signature itself) take part in the signing string.
        let mut map = BTreeMap::new();
        for (name, value) in headers {
            let name = name.as_str();
            if name != "signature" && !covered.contains(&name) {
                continue;
            }
            if let Ok(v) = value.to_str() {
                // Repeated headers are joined as the draft says.
                map.entry(name.to_owned())
                    .and_modify(|old: &mut String| {
                        old.push_str(", ");
                        old.push_str(v);
                    })
                    .or_insert_with(|| v.to_owned());
            }
        }
        if let Some(date) = map.get("date") {
            let date = httpdate::parse_http_date(date)
                .map_err(|_| SignatureError::Date(format!("not an HTTP date: {date}")))?;
            let now = SystemTime::now();
            if date > now + MAX_SKEW {
                return Err(SignatureError::Date("in the future".into()));
            }
            if date + MAX_AGE < now {
                return Err(SignatureError::Date("too old".into()));
            }
        }
        let unverified = config()
            .begin_verify(method, path_and_query, map)
            .map_err(|e| SignatureError::Malformed(e.to_string()))?;
        match unverified.algorithm() {
            None
            | Some(Algorithm::Hs2019)
            | Some(Algorithm::Deprecated(DeprecatedAlgorithm::RsaSha256)) => {}
            Some(other) => return Err(SignatureError::Algorithm(format!("{other:?}"))),
        }
        Ok(Self {
            key_id: unverified.key_id().to_owned(),
            signing_string: unverified.signing_string().to_owned(),
            signature: unverified.signature().to_owned(),
            covers_digest,
        })
    }

    /// The `keyId` of the signature, such as `https://h/alice#main-key`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The actor the key belongs to by ActivityPods' rule: the `keyId` without its fragment.
    pub fn actor_id(&self) -> &str {
        self.key_id.split('#').next().unwrap_or_default()
    }

    /// Whether the `Digest` header is covered (then the caller checks it against the body).
    pub fn covers_digest(&self) -> bool {
        self.covers_digest
    }

    /// Verifies the signature with the actor's public key (SPKI or PKCS#1 PEM).
    pub fn verify(&self, public_pem: &str) -> Result<(), SignatureError> {
        self.verify_with(&VerificationKey::from_pem(public_pem)?)
    }

    /// Verifies the signature with an already parsed key (servers keep keys parsed).
    pub fn verify_with(&self, key: &VerificationKey) -> Result<(), SignatureError> {
        let bytes = BASE64
            .decode(&self.signature)
            .map_err(|_| SignatureError::Malformed("the signature is not base64".into()))?;
        key.verify(self.signing_string.as_bytes(), &bytes)
            .map_err(|_| SignatureError::Invalid(self.key_id.clone()))
    }
}

/// A public RSA key ready to verify signatures.
///
/// Verification goes through aws-lc-rs (already in the build for TLS), several times faster than
/// the pure-Rust arithmetic of `rsa`, which matters when every request of a busy server is signed;
/// `rsa` still parses the PEM and signs.
#[derive(Clone, Debug)]
pub struct VerificationKey {
    pkcs1_der: Vec<u8>,
}

impl VerificationKey {
    /// Parses a public key in SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
    pub fn from_pem(public_pem: &str) -> Result<Self, SignatureError> {
        use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
        let key = RsaPublicKey::from_public_key_pem(public_pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(public_pem))
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        let der = key
            .to_pkcs1_der()
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(Self {
            pkcs1_der: der.as_bytes().to_vec(),
        })
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), ()> {
        use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.pkcs1_der)
            .verify(message, signature)
            .map_err(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(body: Option<&[u8]>, key: &KeyPair) -> HeaderMap {
        let mut headers = HeaderMap::new();
        sign_request(
            "POST",
            "/alice/inbox",
            "pods.example",
            &mut headers,
            body,
            "https://pods.example/bob#main-key",
            &key.private_pem,
        )
        .unwrap();
        headers
    }

    #[test]
    fn round_trip_and_tampering() {
        let key = generate_key_pair().unwrap();
        let body = br#"{"type":"Follow"}"#;
        let headers = signed(Some(body), &key);
        let req = SignedRequest::parse("POST", "/alice/inbox", &headers, true).unwrap();
        assert_eq!(req.actor_id(), "https://pods.example/bob");
        assert!(req.covers_digest());
        req.verify(&key.public_pem).unwrap();
        verify_digest(headers["digest"].to_str().unwrap(), body).unwrap();
        assert!(matches!(
            verify_digest(headers["digest"].to_str().unwrap(), b"other"),
            Err(SignatureError::Digest)
        ));
        // Another path: the signing string differs.
        let other = SignedRequest::parse("POST", "/carol/inbox", &headers, true).unwrap();
        assert!(matches!(
            other.verify(&key.public_pem),
            Err(SignatureError::Invalid(_))
        ));
        // Another key.
        let stranger = generate_key_pair().unwrap();
        assert!(req.verify(&stranger.public_pem).is_err());
    }

    #[test]
    fn mastodon_rules() {
        let key = generate_key_pair().unwrap();
        // A body without a signed digest is refused.
        let headers = signed(None, &key);
        assert!(matches!(
            SignedRequest::parse("POST", "/alice/inbox", &headers, true),
            Err(SignatureError::Unsigned(h)) if h == "digest"
        ));
        // An old date is refused.
        let mut old = HeaderMap::new();
        old.insert(
            http::header::DATE,
            HeaderValue::from_str(&httpdate::fmt_http_date(
                SystemTime::now() - Duration::from_secs(13 * 3600),
            ))
            .unwrap(),
        );
        sign_request("GET", "/x", "h", &mut old, None, "k", &key.private_pem).unwrap();
        assert!(matches!(
            SignedRequest::parse("GET", "/x", &old, false),
            Err(SignatureError::Date(_))
        ));
        // Garbage.
        let mut bad = HeaderMap::new();
        bad.insert("signature", HeaderValue::from_static("nonsense"));
        assert!(SignedRequest::parse("GET", "/x", &bad, false).is_err());
        let mut missing_host = HeaderMap::new();
        missing_host.insert(
            "signature",
            HeaderValue::from_static(
                r#"keyId="k",algorithm="rsa-sha256",headers="(request-target) date",signature="AAAA""#,
            ),
        );
        assert!(matches!(
            SignedRequest::parse("GET", "/x", &missing_host, false),
            Err(SignatureError::Unsigned(h)) if h == "host"
        ));
    }
}
