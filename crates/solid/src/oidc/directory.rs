//! Finding other issuers' keys and the issuers a WebID trusts, over HTTP: what a resource
//! server needs to verify Solid-OIDC tokens of people whose pods live elsewhere (a place's
//! moderators log into its community pod with their own pod's identity).

use super::verifier::IssuerDirectory;
use crate::auth::AuthError;
use futures::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use std::sync::Arc;

/// Fetches documents for the directory: the server's guarded HTTP client (no private
/// addresses outside development, bounded answers), behind a trait so this crate stays free of
/// any particular client.
pub trait DocumentFetch: Send + Sync {
    /// GETs `url` with this `Accept`; its media type (without parameters) and body, at most
    /// `max_bytes`.
    fn fetch<'a>(
        &'a self,
        url: &'a str,
        accept: &'a str,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<(String, Vec<u8>), String>>;
}

/// Issuers and WebIDs read from the web (the verifier caches what this finds).
#[derive(Clone)]
pub struct RemoteIssuerDirectory {
    fetch: Arc<dyn DocumentFetch>,
}

impl RemoteIssuerDirectory {
    /// A directory fetching with `fetch`.
    pub fn new(fetch: Arc<dyn DocumentFetch>) -> Self {
        Self { fetch }
    }
}

impl IssuerDirectory for RemoteIssuerDirectory {
    fn issuer_keys<'a>(&'a self, issuer: &'a str) -> BoxFuture<'a, Result<JwkSet, AuthError>> {
        Box::pin(async move {
            let base = issuer.trim_end_matches('/');
            let (_, config) = self
                .fetch
                .fetch(
                    &format!("{base}/.well-known/openid-configuration"),
                    "application/json",
                    64 * 1024,
                )
                .await
                .map_err(|e| AuthError::token(format!("the issuer's configuration: {e}")))?;
            let config: serde_json::Value = serde_json::from_slice(&config)
                .map_err(|_| AuthError::token("the issuer's configuration is not JSON"))?;
            let jwks_uri = config["jwks_uri"]
                .as_str()
                .ok_or_else(|| AuthError::token("the issuer's configuration has no jwks_uri"))?;
            let (_, jwks) = self
                .fetch
                .fetch(jwks_uri, "application/json", 64 * 1024)
                .await
                .map_err(|e| AuthError::token(format!("the issuer's keys: {e}")))?;
            serde_json::from_slice(&jwks)
                .map_err(|_| AuthError::token("the issuer's JWKS is not a JWK set"))
        })
    }

    fn webid_issuers<'a>(
        &'a self,
        webid: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, AuthError>> {
        Box::pin(async move {
            let document = webid.split('#').next().unwrap_or(webid);
            let (content_type, body) = self
                .fetch
                .fetch(
                    document,
                    "text/turtle, application/ld+json;q=0.9",
                    1024 * 1024,
                )
                .await
                .map_err(|e| AuthError::token(format!("the WebID profile: {e}")))?;
            let format = if content_type.contains("json") {
                kommon_rdf::codec::RdfFormat::JsonLd
            } else {
                kommon_rdf::codec::RdfFormat::Turtle
            };
            let triples = kommon_rdf::codec::parse_graph(
                format,
                &body,
                Some(document),
                &kommon_rdf::codec::ParseLimits::default(),
                &kommon_rdf::jsonld::ContextLoader::bundled(),
            )
            .map_err(|e| AuthError::token(format!("the WebID profile does not parse: {e}")))?;
            Ok(triples
                .into_iter()
                .filter(|t| {
                    t.subject.to_string() == format!("<{webid}>")
                        && t.predicate.as_str() == "http://www.w3.org/ns/solid/terms#oidcIssuer"
                })
                .filter_map(|t| match t.object {
                    kommon_rdf::model::Term::NamedNode(n) => Some(n.into_string()),
                    _ => None,
                })
                .collect())
        })
    }
}
