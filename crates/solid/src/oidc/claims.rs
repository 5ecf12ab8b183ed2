//! The claims of the tokens a Solid-OIDC issuer signs: DPoP-bound access tokens (`at+jwt`) and
//! ID tokens.

use serde::{Deserialize, Serialize};

/// `aud`: one string or a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl Default for Audience {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl Audience {
    /// Whether `value` is one of the audiences.
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Self::One(a) => a == value,
            Self::Many(list) => list.iter().any(|a| a == value),
        }
    }
}

/// `cnf`: the key a token is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The RFC 7638 thumbprint of the client's DPoP key.
    pub jkt: String,
}

/// The claims of an access token or an ID token (the fields Solid-OIDC uses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The issuer.
    pub iss: String,
    /// The subject (for ID tokens the WebID; for access tokens the client or the WebID).
    #[serde(default)]
    pub sub: String,
    /// `solid` for access tokens; the client id and `solid` for ID tokens.
    #[serde(default)]
    pub aud: Audience,
    /// The user's WebID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webid: Option<String>,
    /// The client the access token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The client an ID token was issued to (the application, for ActivityPods).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    /// Issued at, in seconds.
    pub iat: i64,
    /// Expires at, in seconds.
    pub exp: i64,
    /// The token's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The DPoP key the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// The granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client's nonce (ID tokens of the authorization-code flow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user logged in, in seconds (ID tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}
