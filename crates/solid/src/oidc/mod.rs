//! Solid-OIDC: the issuer's pure parts (discovery, PKCE, Client ID Documents, token minting)
//! and the resource server's verification of DPoP-bound access tokens and of ActivityPods'
//! bearer ID tokens.
//!
//! [`jose`] holds keys and thumbprints, [`dpop`] the proofs and their replay cache,
//! [`claims`] the token claims, [`issuer`] what an issuer computes, [`verifier`] the
//! [`RequestVerifier`](crate::auth::RequestVerifier) every Kommon server plugs in.

pub mod claims;
pub mod directory;
pub mod dpop;
pub mod issuer;
pub mod jose;
pub mod verifier;
