//! The OpenID provider's routes: discovery, JWKS, authorization (login and consent pages),
//! token, dynamic registration, revocation and logout.
//!
//! Protocol errors follow OAuth 2.0: at the token and registration endpoints a JSON body
//! `{"error", "error_description"}`; at the authorization endpoint a redirect with `error` to
//! the client, except when the client or its redirect URI cannot be trusted, which get a page
//! (never a redirect to an unchecked URI). Secrets and tokens are never logged.

use super::pages;
use super::records::{Client, ClientKind, Consent, RefreshGrant, secret_hash};
use super::{CodeGrant, Interaction, Provider, ProviderError};
use crate::app::AppState;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kommon_solid::oidc::dpop::verify_proof;
use kommon_solid::oidc::issuer::{
    ClientMetadata, REFRESH_TOKEN_SECS, TOKEN_PATH, TokenSubject, discovery_document,
    is_acceptable_redirect_uri, mint_access_token, mint_id_token, pkce_s256_matches,
};
use kommon_solid::oidc::verifier::now_secs;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Instant;

/// The cookie holding a resident's login session.
pub const SESSION_COOKIE: &str = "kommon_session";

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

/// An OAuth error answer.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        serde_json::json!({"error": error, "error_description": description}),
    )
}

fn store_failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "OpenID provider store");
    oauth_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the server's store failed; try again",
    )
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(state): State<AppState>) -> Response {
    json(StatusCode::OK, discovery_document(&state.oidc.issuer))
}

/// `GET /.oidc/jwks`.
pub async fn jwks(State(state): State<AppState>) -> Response {
    let set = state.oidc.jwks();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        serde_json::to_string(&set).unwrap_or_default(),
    )
        .into_response()
}

/// The parameters of an authorization request.
#[derive(Deserialize, Default, Debug)]
pub struct AuthorizationQuery {
    #[serde(default)]
    response_type: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    code_challenge_method: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
}

/// The cookie value of the session, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The resident logged in on this browser, if any.
pub fn session_pod(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let id = session_cookie(headers)?;
    state.oidc.grants.session(&id).ok().flatten().map(|s| s.pod)
}

/// The `Set-Cookie` value opening a session.
pub fn session_set_cookie(provider: &Provider, id: &str) -> String {
    let secure = if provider.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        super::records::SESSION_MS / 1000
    )
}

/// The `Set-Cookie` value ending a session.
pub fn session_clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The redirect carrying an answer (`code` or `error`) back to the client.
fn answer_client(
    provider: &Provider,
    redirect_uri: &str,
    state: Option<&str>,
    params: &[(&str, &str)],
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "L'adresse de retour de l'application n'est pas valide.",
            "The application's redirect URI is not valid.",
        );
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &provider.issuer);
    }
    redirect(url.as_str())
}

/// `GET /.oidc/auth`: checks the request, then shows the login page, the consent page, or
/// answers at once when the resident already consented.
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AuthorizationQuery>,
) -> Response {
    let provider = &state.oidc;
    let Some(client_id) = q.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "La demande ne nomme pas d'application (client_id manquant).",
            "The request names no application (client_id is missing).",
        );
    };
    let client = match provider.client(client_id).await {
        Ok(c) => c,
        Err(e) => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                &format!("L'application ne peut pas être identifiée : {e}"),
                &format!("The application cannot be identified: {e}"),
            );
        }
    };
    let redirect_uri = match q.redirect_uri.as_deref() {
        Some(r) if client.metadata.redirect_uris.iter().any(|u| u == r) => r.to_owned(),
        Some(_) => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                "L'adresse de retour demandée n'est pas celle que l'application a déclarée : la connexion est refusée.",
                "The redirect_uri is not one the application registered: the login is refused.",
            );
        }
        None if client.metadata.redirect_uris.len() == 1 => {
            client.metadata.redirect_uris[0].clone()
        }
        None => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                "La demande ne dit pas où renvoyer la réponse (redirect_uri manquant).",
                "The request has no redirect_uri.",
            );
        }
    };
    let st = q.state.as_deref();
    if q.response_type.as_deref() != Some("code") {
        return answer_client(
            provider,
            &redirect_uri,
            st,
            &[
                ("error", "unsupported_response_type"),
                ("error_description", "only response_type=code is supported"),
            ],
        );
    }
    let scope = q.scope.clone().unwrap_or_default();
    if !scope.split_whitespace().any(|s| s == "openid") {
        return answer_client(
            provider,
            &redirect_uri,
            st,
            &[
                ("error", "invalid_scope"),
                ("error_description", "the scope must include openid"),
            ],
        );
    }
    let challenge = match (
        q.code_challenge.as_deref(),
        q.code_challenge_method.as_deref(),
    ) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => c.to_owned(),
        _ => {
            return answer_client(
                provider,
                &redirect_uri,
                st,
                &[
                    ("error", "invalid_request"),
                    (
                        "error_description",
                        "PKCE is required: code_challenge with code_challenge_method=S256",
                    ),
                ],
            );
        }
    };
    let scope: String = scope
        .split_whitespace()
        .filter(|s| matches!(*s, "openid" | "webid" | "profile" | "offline_access"))
        .collect::<Vec<_>>()
        .join(" ");
    let interaction = Interaction {
        client,
        redirect_uri,
        scope,
        state: q.state.clone(),
        nonce: q.nonce.clone(),
        code_challenge: challenge,
        created: Instant::now(),
    };
    let prompt = q.prompt.clone().unwrap_or_default();
    let session = session_pod(&state, &headers);
    if let Some(pod) = &session
        && !prompt
            .split_whitespace()
            .any(|p| p == "consent" || p == "login")
        && let Ok(Some(consent)) = provider
            .grants
            .consent(pod, &interaction.client.metadata.client_id)
        && interaction
            .scope
            .split_whitespace()
            .all(|s| consent.scope.split_whitespace().any(|c| c == s))
    {
        return grant_code(&state, interaction, pod);
    }
    if session.is_none() && prompt.split_whitespace().any(|p| p == "none") {
        return answer_client(
            provider,
            &interaction.redirect_uri.clone(),
            interaction.state.as_deref(),
            &[("error", "login_required")],
        );
    }
    let id = match provider.start_interaction(interaction.clone()) {
        Ok(id) => id,
        Err(e) => {
            return pages::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                &e.to_string(),
                "Too many logins in progress.",
            );
        }
    };
    match session {
        Some(pod) if !prompt.split_whitespace().any(|p| p == "login") => {
            pages::consent_page(&state, &id, &interaction, &pod)
        }
        _ => pages::login_page(&id, &interaction, None, StatusCode::OK),
    }
}

fn grant_code(state: &AppState, interaction: Interaction, pod: &str) -> Response {
    let provider = &state.oidc;
    let redirect_uri = interaction.redirect_uri.clone();
    let client_state = interaction.state.clone();
    let code = provider.issue_code(CodeGrant {
        interaction,
        pod: pod.to_owned(),
        auth_time: now_secs(),
        created: Instant::now(),
    });
    match code {
        Ok(code) => answer_client(
            provider,
            &redirect_uri,
            client_state.as_deref(),
            &[("code", &code)],
        ),
        Err(ProviderError::Busy) => answer_client(
            provider,
            &redirect_uri,
            client_state.as_deref(),
            &[("error", "temporarily_unavailable")],
        ),
        Err(e) => store_failed(e),
    }
}

/// What the login and consent forms send.
#[derive(Deserialize, Default)]
pub struct InteractionForm {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /.oidc/auth/{interaction}`: the login form, then the consent form.
pub async fn interact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<InteractionForm>,
) -> Response {
    let provider = state.oidc.clone();
    let Some(interaction) = provider.interaction(&id) else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "Cette demande de connexion a expiré ou a déjà servi : recommencez depuis l'application.",
            "This login request has expired or was already used: start again from the application.",
        );
    };
    if form.action.as_deref() == Some("login") {
        let checked = crate::account::check_password(&state, &form.username, &form.password).await;
        let Some(pod) = checked else {
            return pages::login_page(
                &id,
                &interaction,
                Some(form.username.trim()),
                StatusCode::UNAUTHORIZED,
            );
        };
        let session = match provider.grants.open_session(&pod) {
            Ok(s) => s,
            Err(e) => return store_failed(e),
        };
        let mut r = pages::consent_page(&state, &id, &interaction, &pod);
        if let Ok(v) = HeaderValue::from_str(&session_set_cookie(&provider, &session)) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        return r;
    }
    // The consent needs the session opened by the login, in this browser.
    let Some(pod) = session_pod(&state, &headers) else {
        return pages::login_page(&id, &interaction, None, StatusCode::UNAUTHORIZED);
    };
    let Some(interaction) = provider.finish_interaction(&id) else {
        return pages::error_page(
            StatusCode::BAD_REQUEST,
            "Cette demande de connexion a déjà servi.",
            "This login request was already used.",
        );
    };
    match form.decision.as_deref() {
        Some("allow") => {
            let consent = Consent {
                pod: pod.clone(),
                client_id: interaction.client.metadata.client_id.clone(),
                client_name: interaction.client.metadata.client_name.clone(),
                scope: interaction.scope.clone(),
                granted_ms: kommon_solid::resource::now_ms(),
            };
            if let Err(e) = provider.grants.record_consent(&consent) {
                return store_failed(e);
            }
            grant_code(&state, interaction, &pod)
        }
        _ => answer_client(
            &provider,
            &interaction.redirect_uri,
            interaction.state.as_deref(),
            &[
                ("error", "access_denied"),
                ("error_description", "the resident refused"),
            ],
        ),
    }
}

/// The client named and authenticated at the token endpoint.
struct TokenClient {
    client: Client,
    /// Whether it proved a secret (confidential client).
    authenticated: bool,
}

async fn token_client(
    provider: &Provider,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<TokenClient, Response> {
    let invalid = |d: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", d);
    let mut id = form.get("client_id").cloned();
    let mut secret = form.get("client_secret").cloned();
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| invalid("the Basic credentials are not base64"))?;
        let (i, s) = decoded
            .split_once(':')
            .ok_or_else(|| invalid("the Basic credentials have no ':'"))?;
        let decode = |x: &str| {
            percent_decode(x).ok_or_else(|| invalid("the Basic credentials are badly encoded"))
        };
        id = Some(decode(i)?);
        secret = Some(decode(s)?);
    }
    let id = id.ok_or_else(|| invalid("no client_id"))?;
    let client = provider.client(&id).await.map_err(|e| invalid(&e))?;
    match (&client.secret_hash, secret) {
        (Some(hash), Some(s)) if *hash == secret_hash(&s) => Ok(TokenClient {
            client,
            authenticated: true,
        }),
        (Some(_), _) => Err(invalid("the client secret is wrong or missing")),
        (None, _) => Ok(TokenClient {
            client,
            authenticated: false,
        }),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    // application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks for Basic credentials.
    let plus = s.replace('+', " ");
    form_urlencoded::parse(format!("x={}", plus.replace('&', "%26")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// `POST /.oidc/token`.
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let provider = state.oidc.clone();
    if body.len() > 16 * 1024 {
        return oauth_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the request is larger than 16 KiB",
        );
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let client = match token_client(&provider, &headers, &form).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // A DPoP proof binds the tokens to the client's key.
    let jkt = match headers.get("dpop").and_then(|v| v.to_str().ok()) {
        Some(proof) => {
            let url = format!("{}{TOKEN_PATH}", provider.issuer);
            match verify_proof(
                proof,
                "POST",
                &url,
                None,
                now_secs(),
                &provider.replays,
                &provider.proof_keys,
            ) {
                Ok(p) => Some(p.jkt),
                Err(e) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_dpop_proof",
                        &e.to_string(),
                    );
                }
            }
        }
        None => None,
    };
    let grant_type = form
        .get("grant_type")
        .map(String::as_str)
        .unwrap_or_default();
    let (pod, scope, auth_time, nonce) = match grant_type {
        "authorization_code" => {
            let Some(code) = form.get("code").and_then(|c| provider.take_code(c)) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code is unknown, expired or already used",
                );
            };
            let i = &code.interaction;
            if i.client.metadata.client_id != client.client.metadata.client_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code was issued to another client",
                );
            }
            if form.get("redirect_uri") != Some(&i.redirect_uri) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri differs from the authorization request's",
                );
            }
            let verifier = form
                .get("code_verifier")
                .map(String::as_str)
                .unwrap_or_default();
            if !pkce_s256_matches(verifier, &i.code_challenge) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code_verifier does not match the code_challenge (PKCE S256)",
                );
            }
            (
                code.pod.clone(),
                i.scope.clone(),
                code.auth_time,
                i.nonce.clone(),
            )
        }
        "refresh_token" => {
            let token = form
                .get("refresh_token")
                .map(String::as_str)
                .unwrap_or_default();
            let grant = match provider.grants.take_refresh(token) {
                Ok(Some(g)) => g,
                Ok(None) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "the refresh token is unknown, expired or already used",
                    );
                }
                Err(e) => return store_failed(e),
            };
            if grant.client_id != client.client.metadata.client_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token was issued to another client",
                );
            }
            if grant.jkt.is_some() && grant.jkt != jkt {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token is bound to another DPoP key",
                );
            }
            (grant.pod, grant.scope, grant.auth_time, None)
        }
        "client_credentials" => {
            let owner = match (&client.client.kind, &client.client.owner) {
                (ClientKind::Credentials, Some(owner)) if client.authenticated => owner.clone(),
                _ => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "unauthorized_client",
                        "client_credentials is only for the credentials a resident made",
                    );
                }
            };
            // The resident may have deleted the pod since.
            if !state.pods.accounts.exists(&owner).unwrap_or(false) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the pod of these credentials no longer exists",
                );
            }
            (owner, "openid webid".to_owned(), now_secs(), None)
        }
        "" => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is missing",
            );
        }
        other => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("grant_type {other} is not supported"),
            );
        }
    };
    let webid = state.pods.layout.webid(&pod);
    let client_id = client.client.metadata.client_id.clone();
    let subject = TokenSubject {
        webid: &webid,
        client_id: &client_id,
        jkt: jkt.as_deref(),
        scope: &scope,
    };
    let keys = provider.keys();
    let now = now_secs();
    let Ok(access) = mint_access_token(&keys.current, &provider.issuer, &subject, now) else {
        return store_failed("signing the access token");
    };
    let mut answer = serde_json::json!({
        "access_token": access,
        "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" },
        "expires_in": kommon_solid::oidc::issuer::ACCESS_TOKEN_SECS,
        "scope": scope,
    });
    if grant_type != "client_credentials" {
        match mint_id_token(
            &keys.current,
            &provider.issuer,
            &subject,
            nonce.as_deref(),
            Some(auth_time),
            now,
        ) {
            Ok(id) => answer["id_token"] = serde_json::Value::String(id),
            Err(e) => return store_failed(e),
        }
        if scope.split_whitespace().any(|s| s == "offline_access") {
            let grant = RefreshGrant {
                client_id: client_id.clone(),
                pod: pod.clone(),
                scope: scope.clone(),
                // A confidential client proves itself with its secret; a public one with its key.
                jkt: if client.authenticated {
                    None
                } else {
                    jkt.clone()
                },
                auth_time,
                expires_ms: kommon_solid::resource::now_ms() + REFRESH_TOKEN_SECS as u64 * 1000,
            };
            match provider.grants.issue_refresh(&grant) {
                Ok(t) => answer["refresh_token"] = serde_json::Value::String(t),
                Err(e) => return store_failed(e),
            }
        }
    }
    json(StatusCode::OK, answer)
}

/// `POST /.oidc/token/revocation` (RFC 7009): revokes a refresh token; always 200.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if let Err(r) = token_client(&state.oidc, &headers, &form).await {
        return r;
    }
    if let Some(t) = form.get("token")
        && let Err(e) = state.oidc.grants.revoke_refresh(t)
    {
        return store_failed(e);
    }
    StatusCode::OK.into_response()
}

/// `POST /.oidc/reg`: dynamic client registration (RFC 7591).
pub async fn register(State(state): State<AppState>, body: Bytes) -> Response {
    if body.len() > 32 * 1024 {
        return oauth_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_client_metadata",
            "the metadata is larger than 32 KiB",
        );
    }
    let Ok(meta) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "the body is not JSON",
        );
    };
    let strings = |key: &str| -> Vec<String> {
        match &meta[key] {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let redirect_uris = strings("redirect_uris");
    if redirect_uris.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris is required",
        );
    }
    if let Some(bad) = redirect_uris
        .iter()
        .find(|u| !is_acceptable_redirect_uri(u))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            &format!("{bad} is not acceptable (https, or http on localhost)"),
        );
    }
    let public = meta["token_endpoint_auth_method"].as_str() == Some("none");
    let client_id = uuid::Uuid::new_v4().to_string();
    let secret = (!public).then(super::records::random_secret);
    let name = meta["client_name"]
        .as_str()
        .map(|s| s.chars().take(120).collect::<String>());
    let client = Client {
        metadata: ClientMetadata {
            client_id: client_id.clone(),
            client_name: name.clone(),
            redirect_uris: redirect_uris.clone(),
            post_logout_redirect_uris: strings("post_logout_redirect_uris")
                .into_iter()
                .filter(|u| is_acceptable_redirect_uri(u))
                .collect(),
            client_uri: meta["client_uri"].as_str().map(str::to_owned),
            logo_uri: meta["logo_uri"].as_str().map(str::to_owned),
        },
        kind: ClientKind::Dynamic,
        secret_hash: secret.as_deref().map(secret_hash),
        owner: None,
        created_ms: kommon_solid::resource::now_ms(),
    };
    if let Err(e) = state.oidc.clients.put(&client) {
        return store_failed(e);
    }
    let mut answer = serde_json::json!({
        "client_id": client_id,
        "client_id_issued_at": now_secs(),
        "client_name": name,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": client.metadata.post_logout_redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": if public { "none" } else { "client_secret_basic" },
        "id_token_signed_response_alg": "ES256",
    });
    if let Some(s) = secret {
        answer["client_secret"] = serde_json::Value::String(s);
        answer["client_secret_expires_at"] = serde_json::Value::from(0);
    }
    json(StatusCode::CREATED, answer)
}

/// The parameters of a logout.
#[derive(Deserialize, Default)]
pub struct LogoutQuery {
    #[serde(default)]
    id_token_hint: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    post_logout_redirect_uri: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// `GET|POST /.oidc/session/end`: ends the browser's session; goes back to the client when it
/// names a post-logout URI it registered.
pub async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Response {
    if let Some(id) = session_cookie(&headers)
        && let Err(e) = state.oidc.grants.close_session(&id)
    {
        return store_failed(e);
    }
    // The client: named, or the azp of an ID token we signed.
    let client_id = q.client_id.clone().or_else(|| {
        let hint = q.id_token_hint.as_deref()?;
        let claims: kommon_solid::oidc::claims::TokenClaims =
            jsonwebtoken::dangerous::insecure_decode(hint).ok()?.claims;
        (claims.iss == state.oidc.issuer)
            .then_some(claims.azp)
            .flatten()
    });
    let target = match (&q.post_logout_redirect_uri, client_id) {
        (Some(uri), Some(client_id)) => match state.oidc.client(&client_id).await {
            Ok(c)
                if c.metadata
                    .post_logout_redirect_uris
                    .iter()
                    .any(|u| u == uri) =>
            {
                Some(uri.clone())
            }
            _ => None,
        },
        _ => None,
    };
    let mut r = match target {
        Some(uri) => {
            let mut url = url::Url::parse(&uri)
                .unwrap_or_else(|_| url::Url::parse("about:blank").expect("static URL"));
            if let Some(s) = &q.state {
                url.query_pairs_mut().append_pair("state", s);
            }
            redirect(url.as_str())
        }
        None => pages::logged_out_page(),
    };
    if let Ok(v) = HeaderValue::from_str(&session_clear_cookie()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
