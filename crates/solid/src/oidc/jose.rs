//! JSON Web Keys and signed tokens: the ES256 keys an issuer signs with, JWK thumbprints, and
//! the decoding of compact JWS.
//!
//! Why `jsonwebtoken` (with its aws-lc-rs backend): it is the most used JWT crate, it parses
//! JWKs and computes RFC 7638 thumbprints, and its aws-lc-rs backend is the crypto library the
//! rest of the server (TLS, HTTP signatures) already links, so no second P-256 implementation is
//! built. Keys are generated with aws-lc-rs directly, as PKCS#8 documents the store keeps.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use thiserror::Error;

/// Why a key could not be made or used.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The PKCS#8 document is not a P-256 key.
    #[error("not a P-256 PKCS#8 key: {0}")]
    InvalidKey(String),
    /// Signing failed (the system's random source).
    #[error("signing failed: {0}")]
    Signing(String),
}

/// base64url without padding, as JOSE writes it.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; `None` when it is not.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()
}

/// The RFC 7638 SHA-256 thumbprint of a public key (what `cnf.jkt` holds).
pub fn thumbprint(jwk: &Jwk) -> Option<String> {
    jwk.thumbprint(ThumbprintHash::SHA256).ok()
}

/// `base64url(SHA-256(access token))`, the `ath` claim of a DPoP proof.
pub fn access_token_hash(token: &str) -> String {
    use sha2::Digest;
    b64url(&sha2::Sha256::digest(token.as_bytes()))
}

/// An ES256 signing key of an issuer, named by its thumbprint (`kid`).
pub struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    encoding: EncodingKey,
    public: Jwk,
}

impl std::fmt::Debug for SigningKey {
    // Never print the private key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh P-256 key.
    pub fn generate() -> Result<Self, KeyError> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// The key stored as this PKCS#8 document.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        let encoding = EncodingKey::from_ec_der(der);
        let mut public = Jwk::from_encoding_key(&encoding, Algorithm::ES256)
            .map_err(|e| KeyError::InvalidKey(e.to_string()))?;
        let kid = thumbprint(&public)
            .ok_or_else(|| KeyError::InvalidKey("no thumbprint for the key".to_owned()))?;
        public.common.key_id = Some(kid.clone());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self {
            kid,
            pkcs8: der.to_vec(),
            encoding,
            public,
        })
    }

    /// The key's id: its thumbprint.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The PKCS#8 document, to store.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public half, as published in the JWKS.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// A compact JWS of `claims` with this key, typed `typ` (`at+jwt`, `JWT`).
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError::Signing(e.to_string()))
    }

    /// A DPoP proof made with this key (for clients and tests: the proof's header carries the
    /// public key).
    pub fn dpop_proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        iat: i64,
    ) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".to_owned());
        let mut jwk = self.public.clone();
        jwk.common.key_id = None;
        jwk.common.public_key_use = None;
        header.jwk = Some(jwk);
        let mut claims = serde_json::json!({
            "htm": method,
            "htu": url,
            "iat": iat,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        if let Some(at) = access_token {
            claims["ath"] = serde_json::Value::String(access_token_hash(at));
        }
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| KeyError::Signing(e.to_string()))
    }
}

/// The JWKS document of a list of public keys.
pub fn jwk_set<'a>(keys: impl IntoIterator<Item = &'a Jwk>) -> JwkSet {
    JwkSet {
        keys: keys.into_iter().cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_pkcs8_and_keeps_its_kid() {
        let k = SigningKey::generate().expect("key");
        let again = SigningKey::from_pkcs8(k.pkcs8()).expect("key");
        assert_eq!(k.kid(), again.kid());
        assert_eq!(k.kid().len(), 43, "a SHA-256 thumbprint in base64url");
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(SigningKey::from_pkcs8(b"not a key").is_err());
    }

    #[test]
    fn the_thumbprint_follows_rfc_7638() {
        // RFC 7638 §3.1's example is RSA; this EC vector comes from RFC 9449 §6.1's example key.
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC",
            "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
            "crv": "P-256"
        }))
        .expect("jwk");
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
        );
    }

    #[test]
    fn the_access_token_hash_matches_rfc_9449() {
        // RFC 9449 §7.1: the ath of the example access token.
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
