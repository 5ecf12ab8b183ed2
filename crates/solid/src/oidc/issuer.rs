//! What a Solid-OIDC issuer needs beyond HTTP: its discovery document, PKCE, the checks on
//! Client ID Documents and redirect URIs, and the minting of access and ID tokens.
//!
//! The routes, the login pages and where clients and keys are kept belong to the server;
//! everything here is pure and tested on its own.

use super::claims::{Audience, Confirmation, TokenClaims};
use super::jose::{KeyError, SigningKey, b64url};
use serde::Deserialize;

/// The path of the authorization endpoint, under the issuer.
pub const AUTHORIZATION_PATH: &str = ".oidc/auth";
/// The path of the token endpoint.
pub const TOKEN_PATH: &str = ".oidc/token";
/// The path of the JWKS.
pub const JWKS_PATH: &str = ".oidc/jwks";
/// The path of dynamic client registration.
pub const REGISTRATION_PATH: &str = ".oidc/reg";
/// The path of RP-initiated logout.
pub const END_SESSION_PATH: &str = ".oidc/session/end";
/// The path of token revocation.
pub const REVOCATION_PATH: &str = ".oidc/token/revocation";
/// The path of the userinfo endpoint.
pub const USERINFO_PATH: &str = ".oidc/me";

/// The JSON-LD context of Client ID Documents.
pub const CLIENT_ID_CONTEXT: &str = "https://www.w3.org/ns/solid/oidc-context.jsonld";

/// Lifetime of access tokens, in seconds (CSS and ActivityPods: one hour).
pub const ACCESS_TOKEN_SECS: i64 = 3600;
/// Lifetime of ID tokens, in seconds. ActivityPods apps use the ID token as their credential
/// until it expires; a week keeps them logged in without a year-long bearer secret.
pub const ID_TOKEN_SECS: i64 = 7 * 24 * 3600;
/// Lifetime of refresh tokens, in seconds.
pub const REFRESH_TOKEN_SECS: i64 = 30 * 24 * 3600;
/// Lifetime of authorization codes, in seconds.
pub const CODE_SECS: i64 = 60;

/// The discovery document (`/.well-known/openid-configuration`) of the issuer at `issuer`
/// (ending with `/`), with every field openid-client, the Inrupt libraries and the Solid-OIDC
/// conformance checks read.
pub fn discovery_document(issuer: &str) -> serde_json::Value {
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZATION_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "registration_endpoint": format!("{issuer}{REGISTRATION_PATH}"),
        "end_session_endpoint": format!("{issuer}{END_SESSION_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOCATION_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "scopes_supported": ["openid", "profile", "offline_access", "webid"],
        "claims_supported": ["sub", "iss", "aud", "azp", "exp", "iat", "auth_time", "nonce", "webid", "client_id", "cnf"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "dpop_signing_alg_values_supported": ["ES256", "ES384", "RS256", "PS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["fr", "en"],
    })
}

/// Whether `verifier` hashes (SHA-256, base64url) to `challenge` (PKCE S256, RFC 7636), and is
/// a well-formed verifier (43 to 128 unreserved characters).
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    use sha2::Digest;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && b64url(&sha2::Sha256::digest(verifier.as_bytes())) == challenge
}

/// Whether `url` may name a client or a redirect: https, or http on a loopback host.
pub fn is_acceptable_client_url(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => {
            matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
                || u.host_str().is_some_and(|h| h.ends_with(".localhost"))
        }
        _ => false,
    }
}

/// Whether `url` may be a redirect URI: an http(s) URL without fragment, or an app's own
/// scheme (`com.example.app:/callback`, RFC 8252).
pub fn is_acceptable_redirect_uri(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    if u.fragment().is_some() {
        return false;
    }
    match u.scheme() {
        "https" => true,
        "http" => is_acceptable_client_url(url),
        // Private-use schemes have a dot (reverse domain name); never javascript: or data:.
        s => s.contains('.'),
    }
}

/// What the issuer keeps of a client: its id, name, where it may send users back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct ClientMetadata {
    /// The client id (a URL for Client ID Documents).
    pub client_id: String,
    /// A name to show the user.
    #[serde(default)]
    pub client_name: Option<String>,
    /// Where authorization responses may go.
    pub redirect_uris: Vec<String>,
    /// Where logout may send the user.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The client's home page.
    #[serde(default)]
    pub client_uri: Option<String>,
    /// Its logo.
    #[serde(default)]
    pub logo_uri: Option<String>,
}

#[derive(Deserialize)]
struct ClientIdDocument {
    #[serde(rename = "@context", default)]
    context: serde_json::Value,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    redirect_uris: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    client_uri: Option<String>,
    #[serde(default)]
    logo_uri: Option<String>,
    // ActivityPods apps publish their actor, compacted with their own context: the OIDC
    // fields are then prefixed.
    #[serde(rename = "oidc:client_name", default)]
    prefixed_client_name: Option<String>,
    #[serde(
        rename = "oidc:redirect_uris",
        default,
        deserialize_with = "one_or_many"
    )]
    prefixed_redirect_uris: Vec<String>,
    #[serde(
        rename = "oidc:post_logout_redirect_uris",
        default,
        deserialize_with = "one_or_many"
    )]
    prefixed_post_logout_redirect_uris: Vec<String>,
    #[serde(rename = "oidc:client_uri", default)]
    prefixed_client_uri: Option<String>,
    #[serde(rename = "oidc:logo_uri", default)]
    prefixed_logo_uri: Option<String>,
    #[serde(rename = "interop:applicationName", default)]
    application_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// Reads the Client ID Document served at `client_id` (Solid-OIDC §5.1): its `client_id` must
/// be that URL, it must list acceptable redirect URIs. The plain JSON form and the
/// ActivityPods form (the app's actor, with `oidc:`-prefixed keys and `id`) are both read.
pub fn parse_client_id_document(client_id: &str, body: &[u8]) -> Result<ClientMetadata, String> {
    let doc: ClientIdDocument = serde_json::from_slice(body)
        .map_err(|e| format!("the client ID document is not JSON of the expected shape: {e}"))?;
    let named = doc.client_id.as_deref().or(doc.id.as_deref());
    if named != Some(client_id) {
        return Err(format!(
            "the client ID document at {client_id} names another client_id ({})",
            named.unwrap_or("none")
        ));
    }
    let has_context = match &doc.context {
        serde_json::Value::String(s) => s == CLIENT_ID_CONTEXT,
        serde_json::Value::Array(a) => a.iter().any(|c| {
            c.as_str() == Some(CLIENT_ID_CONTEXT)
                || c.as_object().is_some_and(|o| o.contains_key("oidc"))
        }),
        serde_json::Value::Object(o) => o.contains_key("oidc"),
        _ => false,
    };
    if !has_context && doc.prefixed_redirect_uris.is_empty() && doc.redirect_uris.is_empty() {
        return Err(
            "the client ID document has no Solid-OIDC context nor redirect_uris".to_owned(),
        );
    }
    let redirect_uris = if doc.redirect_uris.is_empty() {
        doc.prefixed_redirect_uris
    } else {
        doc.redirect_uris
    };
    if redirect_uris.is_empty() {
        return Err("the client ID document lists no redirect_uris".to_owned());
    }
    if let Some(bad) = redirect_uris
        .iter()
        .find(|u| !is_acceptable_redirect_uri(u))
    {
        return Err(format!(
            "the redirect URI {bad} is not acceptable (https, or http on localhost)"
        ));
    }
    let post_logout = if doc.post_logout_redirect_uris.is_empty() {
        doc.prefixed_post_logout_redirect_uris
    } else {
        doc.post_logout_redirect_uris
    };
    Ok(ClientMetadata {
        client_id: client_id.to_owned(),
        client_name: doc
            .client_name
            .or(doc.prefixed_client_name)
            .or(doc.application_name)
            .or(doc.name),
        redirect_uris,
        post_logout_redirect_uris: post_logout
            .into_iter()
            .filter(|u| is_acceptable_redirect_uri(u))
            .collect(),
        client_uri: doc.client_uri.or(doc.prefixed_client_uri),
        logo_uri: doc.logo_uri.or(doc.prefixed_logo_uri),
    })
}

/// Who a token is for.
#[derive(Clone, Debug)]
pub struct TokenSubject<'a> {
    /// The user's WebID.
    pub webid: &'a str,
    /// The client.
    pub client_id: &'a str,
    /// The thumbprint of the client's DPoP key, when the token request carried a proof.
    pub jkt: Option<&'a str>,
    /// The granted scopes.
    pub scope: &'a str,
}

/// A DPoP-bound access token (`at+jwt`) for `subject`, valid from `now`.
pub fn mint_access_token(
    key: &SigningKey,
    issuer: &str,
    subject: &TokenSubject<'_>,
    now: i64,
) -> Result<String, KeyError> {
    let claims = TokenClaims {
        iss: issuer.to_owned(),
        sub: subject.webid.to_owned(),
        aud: Audience::One("solid".to_owned()),
        webid: Some(subject.webid.to_owned()),
        client_id: Some(subject.client_id.to_owned()),
        azp: Some(subject.client_id.to_owned()),
        iat: now,
        exp: now + ACCESS_TOKEN_SECS,
        jti: Some(uuid::Uuid::new_v4().to_string()),
        cnf: subject.jkt.map(|j| Confirmation { jkt: j.to_owned() }),
        scope: Some(subject.scope.to_owned()),
        nonce: None,
        auth_time: None,
    };
    key.sign("at+jwt", &claims)
}

/// An ID token for `subject` (Solid-OIDC §8.1: `aud` holds the client id and `solid`).
pub fn mint_id_token(
    key: &SigningKey,
    issuer: &str,
    subject: &TokenSubject<'_>,
    nonce: Option<&str>,
    auth_time: Option<i64>,
    now: i64,
) -> Result<String, KeyError> {
    let claims = TokenClaims {
        iss: issuer.to_owned(),
        sub: subject.webid.to_owned(),
        aud: Audience::Many(vec![subject.client_id.to_owned(), "solid".to_owned()]),
        webid: Some(subject.webid.to_owned()),
        client_id: None,
        azp: Some(subject.client_id.to_owned()),
        iat: now,
        exp: now + ID_TOKEN_SECS,
        jti: Some(uuid::Uuid::new_v4().to_string()),
        cnf: subject.jkt.map(|j| Confirmation { jkt: j.to_owned() }),
        scope: None,
        nonce: nonce.map(str::to_owned),
        auth_time,
    };
    key.sign("JWT", &claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_follows_rfc_7636() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_s256_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_s256_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
        ));
        assert!(!pkce_s256_matches("short", "whatever"));
    }

    #[test]
    fn client_urls_are_https_or_local_http() {
        assert!(is_acceptable_client_url("https://app.example/id"));
        assert!(is_acceptable_client_url("http://localhost:3001/app"));
        assert!(is_acceptable_client_url("http://127.0.0.1:3001/app"));
        assert!(!is_acceptable_client_url("http://app.example/id"));
        assert!(!is_acceptable_client_url("ftp://app.example/id"));
        assert!(!is_acceptable_redirect_uri("javascript:alert(1)"));
        assert!(!is_acceptable_redirect_uri("https://app.example/cb#frag"));
        assert!(is_acceptable_redirect_uri("org.example.app:/callback"));
    }

    #[test]
    fn client_id_documents_are_checked() {
        let id = "https://app.example/id";
        let good = serde_json::json!({
            "@context": [CLIENT_ID_CONTEXT],
            "client_id": id,
            "client_name": "Appli",
            "redirect_uris": ["https://app.example/cb"],
        });
        let m = parse_client_id_document(id, good.to_string().as_bytes()).expect("valid");
        assert_eq!(m.client_name.as_deref(), Some("Appli"));
        let other = serde_json::json!({"@context": CLIENT_ID_CONTEXT, "client_id": "https://evil.example/id", "redirect_uris": ["https://app.example/cb"]});
        assert!(parse_client_id_document(id, other.to_string().as_bytes()).is_err());
        let no_redirect = serde_json::json!({"@context": CLIENT_ID_CONTEXT, "client_id": id});
        assert!(parse_client_id_document(id, no_redirect.to_string().as_bytes()).is_err());
        let bad_redirect = serde_json::json!({"@context": CLIENT_ID_CONTEXT, "client_id": id, "redirect_uris": "javascript:x"});
        assert!(parse_client_id_document(id, bad_redirect.to_string().as_bytes()).is_err());
        assert!(parse_client_id_document(id, b"<html>").is_err());
    }

    #[test]
    fn activitypods_app_actors_are_client_id_documents() {
        let id = "http://localhost:3001/app";
        let actor = serde_json::json!({
            "@context": ["https://www.w3.org/ns/activitystreams", {"oidc": "http://www.w3.org/ns/solid/oidc#"}],
            "id": id,
            "type": ["Application", "interop:Application"],
            "interop:applicationName": "Exemple",
            "oidc:redirect_uris": "http://localhost:5000/auth-callback",
        });
        let m = parse_client_id_document(id, actor.to_string().as_bytes()).expect("valid");
        assert_eq!(m.redirect_uris, ["http://localhost:5000/auth-callback"]);
        assert_eq!(m.client_name.as_deref(), Some("Exemple"));
    }
}
