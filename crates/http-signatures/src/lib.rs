//! HTTP message signatures as the fediverse and ActivityPods use them.
//!
//! Requests are signed in the draft-cavage style Mastodon established: `algorithm="rsa-sha256"`,
//! signed headers `(request-target) host date` plus `digest` when there is a body, `keyId`
//! naming the actor's key (`https://h/alice#main-key`). Verification accepts both draft-cavage
//! (Mastodon's rules: `(request-target)`, `host` and `date` signed, `digest` when the request has
//! a body, the date at most 12 hours old and 1 hour ahead) and RFC 9421 (`Signature-Input`,
//! `@method` and `@target-uri` covered, `created` required, `content-digest` covered on a body,
//! `rsa-v1_5-sha256` or `rsa-pss-sha512`), which Fedify sends first and Mastodon 4.5 verifies.
//!
//! Why these crates: `http-signature-normalization` is the draft-cavage parser and
//! signing-string builder that activitypub_federation uses, so we sign and verify exactly what
//! the federation crate does. The RSA arithmetic is aws-lc-rs, already in the build for TLS:
//! it signs about ten times and verifies about twenty times faster than the pure-Rust `rsa`
//! crate, and signing is what bounds delivery fan-out. RFC 9421 is small enough (one inner
//! list and its parameters) that a focused parser here beats a dependency whose RSA support is
//! behind a young feature.

#![warn(missing_docs)]

mod rfc9421;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
    RSA_PSS_2048_8192_SHA512,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderName, HeaderValue};
use http_signature_normalization::Config;
use http_signature_normalization::verify::{Algorithm, DeprecatedAlgorithm};
use sha2::{Digest as _, Sha256, Sha512};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use thiserror::Error;

/// How old a signed `Date` (or `created`) may be (Mastodon's window).
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
    let key = RsaKeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| SignatureError::Key("RSA key generation failed".into()))?;
    let private = key
        .as_der()
        .map_err(|_| SignatureError::Key("cannot encode the private key".into()))?;
    let public = key
        .public_key()
        .as_der()
        .map_err(|_| SignatureError::Key("cannot encode the public key".into()))?;
    Ok(KeyPair {
        private_pem: pem_encode("PRIVATE KEY", private.as_ref()),
        public_pem: pem_encode("PUBLIC KEY", public.as_ref()),
    })
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER inside the first PEM block and its label.
fn pem_decode(pem: &str) -> Result<(String, Vec<u8>), SignatureError> {
    let pem = pem.trim();
    let begin = pem
        .find("-----BEGIN ")
        .ok_or_else(|| SignatureError::Key("not a PEM block".into()))?;
    let rest = &pem[begin + 11..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| SignatureError::Key("not a PEM block".into()))?;
    let label = rest[..label_end].to_owned();
    let body = &rest[label_end + 5..];
    let end = body
        .find("-----END ")
        .ok_or_else(|| SignatureError::Key("the PEM block has no end".into()))?;
    let b64: String = body[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = BASE64
        .decode(b64)
        .map_err(|_| SignatureError::Key("the PEM block is not base64".into()))?;
    Ok((label, der))
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

/// Checks an RFC 9530 `Content-Digest` header (`sha-256=:…:` or `sha-512=:…:`) against the body.
pub fn verify_content_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut checked = false;
    for member in header.split(',') {
        let Some((alg, value)) = member.trim().split_once('=') else {
            continue;
        };
        let Some(value) = value
            .trim()
            .strip_prefix(':')
            .and_then(|v| v.strip_suffix(':'))
        else {
            return Err(SignatureError::Digest);
        };
        let expected = match alg.trim().to_ascii_lowercase().as_str() {
            "sha-256" => BASE64.encode(Sha256::digest(body)),
            "sha-512" => BASE64.encode(Sha512::digest(body)),
            _ => continue,
        };
        if value != expected {
            return Err(SignatureError::Digest);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SignatureError::Digest)
    }
}

fn config() -> Config {
    Config::new().mastodon_compat().set_expiration(MAX_AGE)
}

/// A private RSA key ready to sign (parsing costs more than a signature: servers keep these).
pub struct SigningKey {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Parses a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM key.
    pub fn from_pem(private_pem: &str) -> Result<Self, SignatureError> {
        let (label, der) = pem_decode(private_pem)?;
        let key = if label == "RSA PRIVATE KEY" {
            RsaKeyPair::from_der(&der)
        } else {
            RsaKeyPair::from_pkcs8(&der)
        }
        .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(Self {
            key,
            rng: SystemRandom::new(),
        })
    }

    /// Signs `message` with RSASSA-PKCS1-v1_5 and SHA-256.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
            .map_err(|_| SignatureError::Key("signing failed".into()))?;
        Ok(signature)
    }
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
    let key = SigningKey::from_pem(private_pem)?;
    sign_request_with(method, path_and_query, host, headers, body, key_id, &key)
}

/// [`sign_request`] with an already parsed key.
pub fn sign_request_with(
    method: &str,
    path_and_query: &str,
    host: &str,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    key_id: &str,
    key: &SigningKey,
) -> Result<(), SignatureError> {
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
    let header = config()
        .begin_sign(method, path_and_query, map)
        .map_err(|e| SignatureError::Malformed(e.to_string()))?
        .sign(key_id.to_owned(), |signing_string| {
            Ok::<_, SignatureError>(BASE64.encode(key.sign(signing_string.as_bytes())?))
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

/// Which standard a request was signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureScheme {
    /// draft-cavage-http-signatures-12 (`Signature: keyId=…,headers=…,signature=…`).
    Cavage,
    /// RFC 9421 HTTP Message Signatures (`Signature-Input` and `Signature`).
    Rfc9421,
}

/// Which digest header the signature covers, to be checked against the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoveredDigest {
    /// None: the request has no body.
    None,
    /// The draft-cavage `Digest` header.
    Digest,
    /// The RFC 9530 `Content-Digest` header.
    ContentDigest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RsaAlgorithm {
    Pkcs1Sha256,
    PssSha512,
}

/// A parsed signature whose key is still to be found: [`SignedRequest::key_id`] says which.
#[derive(Debug)]
pub struct SignedRequest {
    key_id: String,
    message: Vec<u8>,
    signature: Vec<u8>,
    digest: CoveredDigest,
    scheme: SignatureScheme,
    algorithm: RsaAlgorithm,
}

impl SignedRequest {
    /// Parses the signature of a request (RFC 9421 when there is a `Signature-Input` header,
    /// draft-cavage otherwise) and checks what Mastodon checks before looking at the key: the
    /// covered components, the algorithm and the time. `target_uri` is the request's full URL
    /// as the client addressed it; `has_body` says whether the request carries a body (then a
    /// digest must be signed).
    pub fn parse_request(
        method: &str,
        target_uri: &str,
        headers: &HeaderMap,
        has_body: bool,
    ) -> Result<Self, SignatureError> {
        if headers.contains_key("signature-input") {
            return rfc9421::parse(method, target_uri, headers, has_body);
        }
        let path_and_query = match target_uri.find("://") {
            Some(i) => {
                let rest = &target_uri[i + 3..];
                rest.find('/').map(|j| &rest[j..]).unwrap_or("/")
            }
            None => target_uri,
        };
        Self::parse(method, path_and_query, headers, has_body)
    }

    /// Parses a draft-cavage `Signature` header (see [`SignedRequest::parse_request`]).
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
        if signature.len() > 8192 {
            return Err(SignatureError::Malformed(
                "the header is longer than 8192 bytes".into(),
            ));
        }
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
            check_time(date)?;
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
        let signature = BASE64
            .decode(unverified.signature())
            .map_err(|_| SignatureError::Malformed("the signature is not base64".into()))?;
        Ok(Self {
            key_id: unverified.key_id().to_owned(),
            message: unverified.signing_string().as_bytes().to_vec(),
            signature,
            digest: if covers_digest {
                CoveredDigest::Digest
            } else {
                CoveredDigest::None
            },
            scheme: SignatureScheme::Cavage,
            algorithm: RsaAlgorithm::Pkcs1Sha256,
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

    /// Whether a digest header is covered (then [`SignedRequest::check_body`] must pass).
    pub fn covers_digest(&self) -> bool {
        self.digest != CoveredDigest::None
    }

    /// Which digest header is covered.
    pub fn covered_digest(&self) -> CoveredDigest {
        self.digest
    }

    /// Which standard the request was signed with.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// Checks the covered digest header against the body; the body must be covered when the
    /// request has one (checked by parsing).
    pub fn check_body(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
        let name = match self.digest {
            CoveredDigest::None => return Ok(()),
            CoveredDigest::Digest => "digest",
            CoveredDigest::ContentDigest => "content-digest",
        };
        let value = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SignatureError::Unsigned(format!("{name} (it is missing)")))?;
        if self.digest == CoveredDigest::Digest {
            verify_digest(value, body)
        } else {
            verify_content_digest(value, body)
        }
    }

    /// Verifies the signature with the actor's public key (SPKI or PKCS#1 PEM).
    pub fn verify(&self, public_pem: &str) -> Result<(), SignatureError> {
        self.verify_with(&VerificationKey::from_pem(public_pem)?)
    }

    /// Verifies the signature with an already parsed key (servers keep keys parsed).
    pub fn verify_with(&self, key: &VerificationKey) -> Result<(), SignatureError> {
        let result = match self.algorithm {
            RsaAlgorithm::Pkcs1Sha256 => key.pkcs1.verify_sig(&self.message, &self.signature),
            RsaAlgorithm::PssSha512 => key.pss.verify_sig(&self.message, &self.signature),
        };
        result.map_err(|_| SignatureError::Invalid(self.key_id.clone()))
    }
}

/// Refuses times too old or too far ahead.
fn check_time(t: SystemTime) -> Result<(), SignatureError> {
    let now = SystemTime::now();
    if t > now + MAX_SKEW {
        return Err(SignatureError::Date("in the future".into()));
    }
    if t + MAX_AGE < now {
        return Err(SignatureError::Date("too old".into()));
    }
    Ok(())
}

/// A public RSA key ready to verify signatures (parsed once: parsing costs more than verifying).
#[derive(Debug)]
pub struct VerificationKey {
    pkcs1: ParsedPublicKey,
    pss: ParsedPublicKey,
}

impl VerificationKey {
    /// Parses a public key in SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM.
    pub fn from_pem(public_pem: &str) -> Result<Self, SignatureError> {
        let (_, der) = pem_decode(public_pem)?;
        let pkcs1 = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der)
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        let pss = ParsedPublicKey::new(&RSA_PSS_2048_8192_SHA512, &der)
            .map_err(|e| SignatureError::Key(e.to_string()))?;
        Ok(Self { pkcs1, pss })
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
