//! Moderators log in with their own pod: cod-server is a Solid-OIDC relying party (a public
//! client identified by its Client ID Document, authorization code with PKCE S256). The
//! moderator gives their WebID; their pod's issuer (the WebID's `solid:oidcIssuer`) asks them to
//! log in and consent; the ID token it returns (signature, issuer, audience, expiry checked, and
//! the issuer listed by the WebID) opens a session on this server.

use crate::app::{AppState, plain};
use crate::pages::{esc, page};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use kommon_solid::oidc::verifier::IssuerDirectory;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "kommon_cod_session";
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
const LOGIN_TTL: Duration = Duration::from_secs(600);

/// A login on its way through the issuer.
pub struct PendingLogin {
    issuer: String,
    token_endpoint: String,
    verifier: String,
    webid: String,
    next: String,
    started: Instant,
}

/// A moderator's session on this server.
#[derive(Clone)]
pub struct Session {
    /// Their WebID.
    pub webid: String,
    /// The token the moderation forms carry against cross-site posts.
    pub csrf: String,
    started: Instant,
}

impl Session {
    /// A new session of `webid`, with its own CSRF token (not yet registered: see
    /// [`Sessions`]).
    pub fn new(webid: &str) -> Self {
        Self {
            webid: webid.to_owned(),
            csrf: random_token(),
            started: Instant::now(),
        }
    }
}

/// Logins in progress and open sessions (in memory: a restart asks moderators to log in again).
#[derive(Default)]
pub struct Sessions {
    pending: parking_lot::Mutex<std::collections::HashMap<String, PendingLogin>>,
    open: parking_lot::Mutex<std::collections::HashMap<String, Session>>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // uuid v4 draws from the OS's generator; two of them make 244 random bits.
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    B64.encode(bytes)
}

impl Sessions {
    /// The session a request's cookie names, if it is open.
    pub fn of(&self, headers: &HeaderMap) -> Option<Session> {
        let id = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| {
                c.trim()
                    .strip_prefix(&format!("{COOKIE}="))
                    .map(str::to_owned)
            })?;
        let mut open = self.open.lock();
        match open.get(&id) {
            Some(s) if s.started.elapsed() < SESSION_TTL => Some(s.clone()),
            Some(_) => {
                open.remove(&id);
                None
            }
            None => None,
        }
    }
}

/// The Client ID Document of this server (its URL is its `client_id`).
pub fn client_id(state: &AppState) -> String {
    format!("{}/.oidc/client.jsonld", state.federation.base)
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}/.login/callback", state.federation.base)
}

/// `GET /.oidc/client.jsonld`.
pub async fn client_document(State(state): State<AppState>) -> Response {
    let doc = serde_json::json!({
        "@context": ["https://www.w3.org/ns/solid/oidc-context.jsonld"],
        "client_id": client_id(&state),
        "client_name": "Kommon — modération des lieux",
        "client_uri": format!("{}/", state.federation.base),
        "redirect_uris": [redirect_uri(&state)],
        "post_logout_redirect_uris": [format!("{}/", state.federation.base)],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": "openid webid",
        "token_endpoint_auth_method": "none",
    });
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        doc.to_string(),
    )
        .into_response()
}

/// Only local paths are followed after a login.
fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The query of the login page: where to go afterwards, and an error to show.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    error: Option<String>,
}

fn login_form(next: &str, webid: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p role=\"alert\" style=\"color:#a00\">{}</p>", esc(e)))
        .unwrap_or_default();
    page(
        "Connexion des modérateurs",
        &format!(
            "<h1>Connexion des modérateurs <span class=\"en\" lang=\"en\">(moderators' login)</span></h1>{error}\
<form method=\"post\" action=\"/.login\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
<p><label for=\"webid\">Votre WebID, l’adresse de votre pod <span class=\"en\" lang=\"en\">(your WebID)</span></label><br>\
<input id=\"webid\" name=\"webid\" type=\"url\" required size=\"50\" value=\"{}\" autocomplete=\"url\"></p>\
<p><button type=\"submit\">Se connecter avec mon pod <span lang=\"en\">/ Log in with my pod</span></button></p></form>",
            esc(next),
            esc(webid)
        ),
    )
}

/// `GET /.login`.
pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    login_form(&local_next(q.next.as_deref()), "", q.error.as_deref())
}

/// The login form: the moderator's WebID.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    webid: String,
    next: Option<String>,
}

/// `POST /.login`: finds the WebID's issuer and sends the moderator there.
pub async fn start(State(state): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    let next = local_next(f.next.as_deref());
    let webid = f.webid.trim().to_owned();
    if !kommon_activitypub::json::is_http_url(&webid) || webid.len() > 2048 {
        return login_form(
            &next,
            &webid,
            Some("Ce n’est pas une adresse http(s). / This is not an http(s) address."),
        );
    }
    let issuers = match state.oidc_directory.webid_issuers(&webid).await {
        Ok(i) if !i.is_empty() => i,
        Ok(_) => {
            return login_form(
                &next,
                &webid,
                Some(
                    "Ce WebID n’indique aucun fournisseur d’identité (solid:oidcIssuer). / This WebID names no identity provider.",
                ),
            );
        }
        Err(e) => {
            return login_form(
                &next,
                &webid,
                Some(&format!(
                    "Le WebID n’a pas pu être lu : {} / The WebID could not be read.",
                    e.message
                )),
            );
        }
    };
    let issuer = issuers[0].trim_end_matches('/').to_owned();
    let config = match state
        .fetcher
        .get(
            &format!("{issuer}/.well-known/openid-configuration"),
            &[("accept", "application/json")],
            64 * 1024,
        )
        .await
        .ok()
        .and_then(|f| serde_json::from_slice::<serde_json::Value>(&f.body).ok())
    {
        Some(c) => c,
        None => {
            return login_form(
                &next,
                &webid,
                Some(
                    "Le fournisseur d’identité ne répond pas. / The identity provider does not answer.",
                ),
            );
        }
    };
    let (Some(auth), Some(token)) = (
        config["authorization_endpoint"].as_str(),
        config["token_endpoint"].as_str(),
    ) else {
        return login_form(
            &next,
            &webid,
            Some("Le fournisseur d’identité est incomplet. / The identity provider is incomplete."),
        );
    };
    let state_param = random_token();
    let verifier = random_token();
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    {
        let mut pending = state.sessions.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < LOGIN_TTL);
        if pending.len() > 10_000 {
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many logins in progress: try again in a few minutes",
            );
        }
        pending.insert(
            state_param.clone(),
            PendingLogin {
                issuer: issuer.clone(),
                token_endpoint: token.to_owned(),
                verifier,
                webid: webid.clone(),
                next,
                started: Instant::now(),
            },
        );
    }
    let mut url = match url::Url::parse(auth) {
        Ok(u) => u,
        Err(_) => {
            return login_form(
                "/",
                &webid,
                Some(
                    "Le fournisseur d’identité est incomplet. / The identity provider is incomplete.",
                ),
            );
        }
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id(&state))
        .append_pair("redirect_uri", &redirect_uri(&state))
        .append_pair("scope", "openid webid")
        .append_pair("state", &state_param)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("prompt", "consent");
    redirect(url.as_str())
}

/// A `303 See Other`.
pub fn redirect(to: &str) -> Response {
    let mut r = plain(StatusCode::SEE_OTHER, "redirect");
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// What the issuer sends back: a code (or an error) and our state.
#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /.login/callback`: the code for an ID token, the ID token for a session.
pub async fn callback(State(state): State<AppState>, Query(q): Query<Callback>) -> Response {
    let Some(pending) = q
        .state
        .as_deref()
        .and_then(|s| state.sessions.pending.lock().remove(s))
    else {
        return login_form(
            "/",
            "",
            Some(
                "Cette connexion a expiré ou a déjà servi : recommencez. / This login expired or was already used.",
            ),
        );
    };
    if pending.started.elapsed() > LOGIN_TTL {
        return login_form(
            &pending.next,
            &pending.webid,
            Some("Cette connexion a expiré : recommencez. / This login expired."),
        );
    }
    let Some(code) = q.code else {
        let why = q.error.unwrap_or_else(|| "no code".into());
        return login_form(
            &pending.next,
            &pending.webid,
            Some(&format!("Connexion refusée ({why}). / Login refused.")),
        );
    };
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", &redirect_uri(&state)),
        ("client_id", &client_id(&state)),
        ("code_verifier", &pending.verifier),
    ];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let answer = state
        .fetcher
        .send_form(&pending.token_endpoint, &body, 64 * 1024)
        .await;
    let id_token = match answer
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    {
        Some(v) => v["id_token"].as_str().map(str::to_owned),
        None => None,
    };
    let Some(id_token) = id_token else {
        return login_form(
            &pending.next,
            &pending.webid,
            Some(
                "Le fournisseur d’identité n’a pas donné de jeton. / No token from the identity provider.",
            ),
        );
    };
    let webid = match verify_id_token(&state, &id_token, &pending).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(reason = %e, "refused ID token");
            return login_form(
                &pending.next,
                &pending.webid,
                Some("Le jeton d’identité n’est pas valable. / The ID token is not valid."),
            );
        }
    };
    let id = random_token();
    state.sessions.open.lock().insert(
        id.clone(),
        Session {
            webid,
            csrf: random_token(),
            started: Instant::now(),
        },
    );
    let secure = if state.federation.base.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let mut r = redirect(&pending.next);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        SESSION_TTL.as_secs()
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn verify_id_token(
    state: &AppState,
    token: &str,
    pending: &PendingLogin,
) -> Result<String, String> {
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
    let header = decode_header(token).map_err(|e| e.to_string())?;
    let keys = state
        .oidc_directory
        .issuer_keys(&pending.issuer)
        .await
        .map_err(|e| e.message)?;
    let jwk = keys
        .keys
        .iter()
        .find(|k| header.kid.is_none() || k.common.key_id == header.kid)
        .ok_or("no key of the issuer matches the token")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(header.alg);
    v.set_audience(&[client_id(state)]);
    v.set_issuer(&[pending.issuer.clone(), format!("{}/", pending.issuer)]);
    let claims = decode::<kommon_solid::oidc::claims::TokenClaims>(token, &key, &v)
        .map_err(|e| e.to_string())?
        .claims;
    let webid = claims.webid.unwrap_or(claims.sub);
    let issuers = state
        .oidc_directory
        .webid_issuers(&webid)
        .await
        .map_err(|e| e.message)?;
    if !issuers
        .iter()
        .any(|i| i.trim_end_matches('/') == pending.issuer)
    {
        return Err(format!(
            "{webid} does not name {} as its issuer",
            pending.issuer
        ));
    }
    Ok(webid)
}

/// `POST /.logout`.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(s) = state.sessions.of(&headers) {
        state
            .sessions
            .open
            .lock()
            .retain(|_, o| o.webid != s.webid || o.csrf != s.csrf);
    }
    let mut r = redirect("/");
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("kommon_cod_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    r
}

/// The logged-in person behind a request to one of community `slug`'s private pages (`page` is
/// its path segment: `moderation`, `admin`), if they hold at least `role`; otherwise the answer
/// to give: 404 for no such place, a redirect to the login, or a 403 page saying whose page it is.
pub fn with_role(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    page_name: &str,
    role: kommon_community::Role,
) -> Result<(Session, kommon_community::Community), Response> {
    let community = match state.federation.registry.get(slug) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(plain(
                StatusCode::NOT_FOUND,
                &format!("there is no community {slug}"),
            ));
        }
        Err(_) => return Err(plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")),
    };
    let Some(session) = state.sessions.of(headers) else {
        return Err(redirect(&format!("/.login?next=/{slug}/{page_name}")));
    };
    if community.role_of(&session.webid).is_none_or(|r| r < role) {
        let (who, does) = match role {
            kommon_community::Role::Admin => ("aux admins du lieu", "n’administre pas"),
            kommon_community::Role::Moderator => ("aux modérateurs", "ne modère pas"),
        };
        let mut r = page(
            "Accès réservé",
            &format!(
                "<h1>Accès réservé {who}</h1><p>{} {does} {}. <span class=\"en\" lang=\"en\">This page is for the place's {}.</span></p>",
                esc(&session.webid),
                esc(&community.name),
                if role == kommon_community::Role::Admin {
                    "admins"
                } else {
                    "moderators"
                },
            ),
        );
        *r.status_mut() = StatusCode::FORBIDDEN;
        return Err(r);
    }
    Ok((session, community))
}

/// The answer to a form whose token is not the session's (stale, or posted from another site),
/// if it is not.
pub fn check_form(session: &Session, csrf: &str) -> Result<(), Response> {
    if csrf == session.csrf {
        Ok(())
    } else {
        Err(crate::app::plain(
            axum::http::StatusCode::FORBIDDEN,
            "the form is stale or not from this site: reload the page",
        ))
    }
}

/// [`with_role`] for a posted form: the role, then the form's token.
pub fn with_role_and_form(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    page_name: &str,
    role: kommon_community::Role,
    csrf: &str,
) -> Result<(Session, kommon_community::Community), Response> {
    let (session, community) = with_role(state, headers, slug, page_name, role)?;
    check_form(&session, csrf)?;
    Ok((session, community))
}
