//! The authorization agent's routes: the French consent page for apps, the JSON endpoints
//! ActivityPods' pod frontend calls, and the app status apps poll.

use super::{AppDescription, AppError, AppRegistration};
use crate::app::{AppState, plain};
use crate::oidc::routes::{session_pod, session_set_cookie};
use crate::pages::{escape, html, page};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_solid::auth::RequestHead;
use serde::Deserialize;

/// The resident making a request: a browser session, or credentials of the pod's owner acting
/// without an app.
async fn resident(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<String, Response> {
    if let Some(pod) = session_pod(state, headers) {
        return Ok(pod);
    }
    let url = format!("{}{path}", state.pods.layout.base());
    let head = RequestHead {
        method,
        path_and_query: path,
        url: &url,
        headers,
        body,
    };
    match state.auth.authenticate(&head).await {
        Err(e) => Err(crate::app::unauthorized(&e)),
        Ok(None) => Err(plain(
            StatusCode::UNAUTHORIZED,
            "log in as the pod's resident first",
        )),
        Ok(Some(c)) if c.application.is_some() => Err(plain(
            StatusCode::FORBIDDEN,
            "only the resident, not an app, may register apps",
        )),
        Ok(Some(c)) => match state.pods.layout.split(&c.agent) {
            Some((name, "")) if state.pods.accounts.exists(name).unwrap_or(false) => {
                Ok(name.to_owned())
            }
            _ => Err(plain(
                StatusCode::FORBIDDEN,
                "this agent has no pod on this server",
            )),
        },
    }
}

fn app_error(e: &AppError) -> Response {
    match e {
        AppError::BadApp(m) => plain(
            StatusCode::BAD_REQUEST,
            &format!("the app's documents: {m}"),
        ),
        AppError::BadRequest(m) => plain(StatusCode::BAD_REQUEST, m),
        AppError::Storage(e) => {
            tracing::error!(error = %e, "registering an app");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "writing the pod failed")
        }
        AppError::Store(e) => {
            tracing::error!(error = %e, "registering an app");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
        }
    }
}

/// Sends `Create`, `Update` or `Delete` of a registration to the app's inbox, signed with the
/// resident's key; a few attempts, then given up (the app also finds its registration through
/// the authorization agent).
fn tell_app(
    state: &AppState,
    kind: &'static str,
    registration: &AppRegistration,
    inbox: Option<String>,
) {
    let Some(inbox) = inbox else {
        return;
    };
    let state = state.clone();
    let webid = state.pods.layout.webid(&registration.pod);
    let activity = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#{}-{}", registration.registration, kind.to_ascii_lowercase(), uuid::Uuid::new_v4()),
        "type": kind,
        "actor": webid,
        "object": registration.registration,
        "to": registration.app,
    });
    let pod = registration.pod.clone();
    tokio::spawn(async move {
        let pods = state.pods.clone();
        let key = match tokio::task::spawn_blocking(move || pods.actor_key(&pod)).await {
            Ok(Ok(k)) => k,
            _ => {
                tracing::error!("no key to sign the registration activity");
                return;
            }
        };
        let body = activity.to_string();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_secs(2u64.pow(attempt))).await;
            }
            match state
                .fetcher
                .post_signed(
                    &inbox,
                    body.as_bytes(),
                    &format!("{webid}#main-key"),
                    &key.private_pem,
                )
                .await
            {
                Ok(status) if status < 300 => return,
                Ok(status) => {
                    tracing::info!(status, inbox = %inbox, "the app's inbox refused the registration activity")
                }
                Err(e) => tracing::info!(error = %e, "delivering the registration activity"),
            }
        }
    });
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterRequest {
    app_uri: String,
    #[serde(default)]
    accepted_access_needs: Vec<String>,
    #[serde(default)]
    accepted_special_rights: Vec<String>,
    #[serde(default)]
    accept_all_requirements: bool,
}

fn accepted_all(app: &AppDescription) -> (Vec<String>, Vec<String>) {
    (
        app.needs.iter().map(|n| n.uri.clone()).collect(),
        app.special_rights.iter().map(|(r, _)| r.clone()).collect(),
    )
}

async fn register(
    state: &AppState,
    pod: String,
    app_uri: &str,
    needs: Option<Vec<String>>,
    rights: Option<Vec<String>>,
) -> Result<(AppRegistration, AppDescription), AppError> {
    let app = state.app_reader.describe(app_uri).await?;
    let (all_needs, all_rights) = accepted_all(&app);
    let needs = needs.unwrap_or(all_needs);
    let rights = rights.unwrap_or(all_rights);
    let registry = state.apps.clone();
    let pods = state.pods.clone();
    let described = app.clone();
    let record = tokio::task::spawn_blocking(move || {
        registry.register(&pods, &pod, &described, &needs, &rights)
    })
    .await
    .map_err(|e| AppError::BadRequest(format!("the registration failed: {e}")))??;
    tell_app(state, "Create", &record, app.inbox.clone());
    Ok((record, app))
}

/// `POST /.auth-agent/register-app` (ActivityPods 2.2): the resident registers an app.
pub async fn register_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pod = match resident(
        &state,
        &headers,
        &Method::POST,
        "/.auth-agent/register-app",
        &body,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    if body.len() > 64 * 1024 {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request is larger than 64 KiB",
        );
    }
    let req: RegisterRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("the request is not the expected JSON: {e}"),
            );
        }
    };
    let (needs, rights) = if req.accept_all_requirements {
        (None, None)
    } else {
        (
            Some(req.accepted_access_needs),
            Some(req.accepted_special_rights),
        )
    };
    match register(&state, pod, &req.app_uri, needs, rights).await {
        Ok((record, _)) => (
            StatusCode::CREATED,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::LOCATION, record.registration.as_str()),
            ],
            serde_json::json!({"appRegistrationUri": record.registration}).to_string(),
        )
            .into_response(),
        Err(e) => app_error(&e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoveRequest {
    app_uri: String,
}

async fn remove(state: &AppState, pod: String, app_uri: &str) -> Result<bool, AppError> {
    let registry = state.apps.clone();
    let pods = state.pods.clone();
    let app = app_uri.to_owned();
    let removed = tokio::task::spawn_blocking(move || registry.remove(&pods, &pod, &app))
        .await
        .map_err(|e| AppError::BadRequest(format!("the removal failed: {e}")))??;
    let Some(record) = removed else {
        return Ok(false);
    };
    let inbox = state
        .app_reader
        .describe(app_uri)
        .await
        .ok()
        .and_then(|a| a.inbox);
    tell_app(state, "Delete", &record, inbox);
    Ok(true)
}

/// `POST /.auth-agent/remove-app`: the resident removes an app and its rights.
pub async fn remove_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pod = match resident(
        &state,
        &headers,
        &Method::POST,
        "/.auth-agent/remove-app",
        &body,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let req: RemoveRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("the request is not the expected JSON: {e}"),
            );
        }
    };
    match remove(&state, pod, &req.app_uri).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => plain(StatusCode::NOT_FOUND, "this app is not registered"),
        Err(e) => app_error(&e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
/// The query of the app status.
pub struct AppStatusQuery {
    #[serde(default)]
    app_uri: Option<String>,
}

/// `GET /.well-known/app-status?appUri=…`: whether the app is installed for the requester (an
/// app frontend with the resident's ID token).
pub async fn app_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AppStatusQuery>,
) -> Response {
    let path = "/.well-known/app-status";
    let url = format!("{}{path}", state.pods.layout.base());
    let head = RequestHead {
        method: &Method::GET,
        path_and_query: path,
        url: &url,
        headers: &headers,
        body: b"",
    };
    let credentials = match state.auth.authenticate(&head).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return plain(
                StatusCode::UNAUTHORIZED,
                "authenticate with the resident's ID token",
            );
        }
        Err(e) => return crate::app::unauthorized(&e),
    };
    let Some(app) = q.app_uri.or(credentials.application.clone()) else {
        return plain(StatusCode::BAD_REQUEST, "appUri is missing");
    };
    let Some((pod, "")) = state.pods.layout.split(&credentials.agent) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "the requester has no pod on this server",
        );
    };
    let record = match state.apps.get(pod, &app) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "reading app registrations");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
        }
    };
    let described = state.app_reader.describe(&app).await;
    let upgrade_needed = match (&record, &described) {
        (Some(r), Ok(d)) => d
            .needs
            .iter()
            .any(|n| n.required && !r.accepted_needs.contains(&n.uri)),
        _ => false,
    };
    serde_json::json!({
        "onlineBackend": described.is_ok(),
        "installed": record.is_some(),
        "upgradeNeeded": upgrade_needed,
        "webhookChannels": [],
    })
    .to_string()
    .into_response()
}

/// The French names of common classes and modes, for the consent page.
fn class_label(class: &str) -> String {
    let known = [
        (
            "https://www.w3.org/ns/activitystreams#Event",
            "vos événements",
        ),
        (
            "https://www.w3.org/ns/activitystreams#Note",
            "vos notes et messages",
        ),
        ("https://www.w3.org/ns/activitystreams#Image", "vos images"),
        (
            "http://virtual-assembly.org/ontologies/pair#Project",
            "vos projets",
        ),
        (
            "http://virtual-assembly.org/ontologies/pair#Event",
            "vos événements",
        ),
        (
            "http://www.w3.org/2006/vcard/ns#Individual",
            "vos contacts et votre profil",
        ),
        ("http://www.w3.org/2006/vcard/ns#Location", "vos lieux"),
        (
            "http://www.w3.org/2006/vcard/ns#Group",
            "vos groupes de contacts",
        ),
        ("http://semapps.org/ns/core#File", "vos fichiers"),
    ];
    known
        .iter()
        .find(|(c, _)| *c == class)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| {
            format!(
                "les données de type {}",
                class.rsplit(['#', '/']).next().unwrap_or(class)
            )
        })
}

fn mode_label(mode: &str) -> &'static str {
    match mode.rsplit('#').next().unwrap_or_default() {
        "Read" => "lire",
        "Write" => "modifier",
        "Append" => "ajouter",
        "Control" => "partager",
        _ => "utiliser",
    }
}

fn authorize_page(
    app: &AppDescription,
    pod: Option<&str>,
    state: &AppState,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let error = error
        .map(|e| {
            format!(
                "<div class=\"error\" role=\"alert\"><p>{}</p></div>",
                crate::pages::bilingual(e)
            )
        })
        .unwrap_or_default();
    let head = format!(
        "<h1>Installer l'application {name} <span lang=\"en\" class=\"en\">/ Install {name}</span></h1>{error}\
<p>{desc}</p><p class=\"en\">Application : <code>{uri}</code></p>",
        name = escape(&app.name),
        desc = escape(app.description.as_deref().unwrap_or("")),
        uri = escape(&app.uri),
    );
    let action = format!(
        "/.account/authorize?client_id={}",
        form_urlencoded::byte_serialize(app.uri.as_bytes()).collect::<String>()
    );
    let body = match pod {
        None => format!(
            "{head}<p>Connectez-vous à votre pod pour continuer. <span lang=\"en\" class=\"en\">Log in to your pod to go on.</span></p>\
<form method=\"post\" action=\"{action}\">\
<label for=\"username\">Nom du pod <span lang=\"en\" class=\"en\">/ pod name</span></label>\
<input id=\"username\" name=\"username\" required autocomplete=\"username\">\
<label for=\"password\">Mot de passe <span lang=\"en\" class=\"en\">/ password</span></label>\
<input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
<button type=\"submit\" name=\"action\" value=\"login\">Se connecter <span lang=\"en\">/ Log in</span></button></form>",
            action = escape(&action)
        ),
        Some(pod) => {
            let mut items = String::new();
            for need in &app.needs {
                let modes: Vec<&str> = need.modes.iter().map(|m| mode_label(m)).collect();
                let id = format!("need-{}", items.len());
                items.push_str(&format!(
                    "<li><input type=\"checkbox\" id=\"{id}\" name=\"need\" value=\"{v}\" checked{req}> \
<label for=\"{id}\" style=\"display:inline;font-weight:400\">{modes} {what}{required}</label></li>",
                    v = escape(&need.uri),
                    req = if need.required { " disabled" } else { "" },
                    modes = escape(&modes.join(", ")),
                    what = escape(&class_label(&need.class)),
                    required = if need.required { " <em>(indispensable / required)</em>" } else { "" },
                ));
                if need.required {
                    items.push_str(&format!(
                        "<input type=\"hidden\" name=\"need\" value=\"{}\">",
                        escape(&need.uri)
                    ));
                }
            }
            for (right, required) in &app.special_rights {
                let label = right.rsplit(['#', ':']).next().unwrap_or(right);
                items.push_str(&format!(
                    "<li>droit particulier <span lang=\"en\" class=\"en\">/ special right</span> : <code>{}</code>{}<input type=\"hidden\" name=\"right\" value=\"{}\"></li>",
                    escape(label),
                    if *required { " <em>(indispensable / required)</em>" } else { "" },
                    escape(right)
                ));
            }
            format!(
                "{head}<p>Connecté·e en tant que <code>{webid}</code>.</p>\
<form method=\"post\" action=\"{action}\"><fieldset><legend>Si vous l'installez, elle pourra : \
<span lang=\"en\" class=\"en\">If you install it, it may:</span></legend><ul>{items}</ul></fieldset>\
<p>Vous pourrez la désinstaller à tout moment depuis votre pod. <span lang=\"en\" class=\"en\">You can remove it at any time from your pod.</span></p>\
<button type=\"submit\" name=\"decision\" value=\"allow\">Installer <span lang=\"en\">/ Install</span></button> \
<button type=\"submit\" name=\"decision\" value=\"deny\" style=\"background:#5a5a5a\">Refuser <span lang=\"en\">/ Deny</span></button></form>",
                webid = escape(&state.pods.layout.webid(pod)),
                action = escape(&action)
            )
        }
    };
    let mut r = html(
        status,
        page(&format!("Installer {} — Kommon", app.name), &body),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("DENY"));
    r
}

#[derive(Deserialize)]
/// The query of the authorize page.
pub struct AuthorizeQuery {
    #[serde(default)]
    client_id: Option<String>,
}

/// `GET|POST /.account/authorize?client_id=<app>`: the page where the resident installs an app.
pub async fn authorize(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Query(q): Query<AuthorizeQuery>,
    body: Bytes,
) -> Response {
    let Some(app_uri) = q.client_id else {
        return crate::oidc::pages::error_page(
            StatusCode::BAD_REQUEST,
            "Aucune application n'est nommée (client_id manquant).",
            "No application is named (client_id is missing).",
        );
    };
    let app = match state.app_reader.describe(&app_uri).await {
        Ok(a) => a,
        Err(e) => {
            return crate::oidc::pages::error_page(
                StatusCode::BAD_REQUEST,
                &format!("L'application ne peut pas être lue : {e}"),
                &format!("The application cannot be read: {e}"),
            );
        }
    };
    let pod = session_pod(&state, &headers);
    if method != Method::POST {
        return authorize_page(&app, pod.as_deref(), &state, None, StatusCode::OK);
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    if field("action").as_deref() == Some("login") {
        let ok = crate::account::check_password(
            &state,
            &field("username").unwrap_or_default(),
            &field("password").unwrap_or_default(),
        )
        .await;
        let Some(pod) = ok else {
            return authorize_page(
                &app,
                None,
                &state,
                Some("Nom de pod ou mot de passe incorrect. / Wrong pod name or password."),
                StatusCode::UNAUTHORIZED,
            );
        };
        let session = match state.oidc.grants.open_session(&pod) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "opening a session");
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
            }
        };
        let mut r = authorize_page(&app, Some(&pod), &state, None, StatusCode::OK);
        if let Ok(v) = HeaderValue::from_str(&session_set_cookie(&state.oidc, &session)) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
        return r;
    }
    let Some(pod) = pod else {
        return authorize_page(&app, None, &state, None, StatusCode::UNAUTHORIZED);
    };
    if field("decision").as_deref() != Some("allow") {
        return match &app.callback {
            Some(cb) => redirect_to(cb, &[("error", "access_denied")]),
            None => html(
                StatusCode::OK,
                page(
                    "Installation refusée — Kommon",
                    "<h1>Installation refusée <span lang=\"en\" class=\"en\">/ Installation refused</span></h1><p><a href=\"/\">Accueil / Home</a></p>",
                ),
            ),
        };
    }
    let needs: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "need")
        .map(|(_, v)| v.clone())
        .collect();
    let rights: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "right")
        .map(|(_, v)| v.clone())
        .collect();
    match register(&state, pod.clone(), &app.uri, Some(needs), Some(rights)).await {
        Ok((record, app)) => match &app.callback {
            Some(cb) => redirect_to(cb, &[]),
            None => html(
                StatusCode::OK,
                page(
                    "Application installée — Kommon",
                    &format!(
                        "<h1>Application installée <span lang=\"en\" class=\"en\">/ Application installed</span></h1>\
<div class=\"ok\" role=\"status\"><p>{} peut maintenant utiliser votre pod.</p></div><p class=\"en\"><code>{}</code></p>",
                        escape(&app.name),
                        escape(&record.registration)
                    ),
                ),
            ),
        },
        Err(e) => authorize_page(
            &app,
            Some(&pod),
            &state,
            Some(&e.to_string()),
            StatusCode::BAD_REQUEST,
        ),
    }
}

fn redirect_to(url: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut u) = url::Url::parse(url) else {
        return plain(StatusCode::BAD_REQUEST, "the app's callback is not a URL");
    };
    for (k, v) in params {
        u.query_pairs_mut().append_pair(k, v);
    }
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(u.as_str()) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}
