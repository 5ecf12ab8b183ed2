//! The provider's pages: log in, consent to an application, errors, logged out. French first,
//! English second; they work without JavaScript.

use super::Interaction;
use crate::app::AppState;
use crate::pages::{escape, html, page};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// The page of a request that cannot go back to the application.
pub fn error_page(status: StatusCode, french: &str, english: &str) -> Response {
    html(
        status,
        page(
            "Connexion impossible — Kommon",
            &format!(
                "<h1>Connexion impossible <span lang=\"en\" class=\"en\">/ Cannot log in</span></h1>\
<div class=\"error\" role=\"alert\"><p>{}</p><p lang=\"en\" class=\"en\">{}</p></div>",
                escape(french),
                escape(english)
            ),
        ),
    )
}

/// The name to show for the application of a request.
fn app_name(interaction: &Interaction) -> String {
    let m = &interaction.client.metadata;
    m.client_name.clone().unwrap_or_else(|| {
        url::Url::parse(&m.client_id)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| m.client_id.clone())
    })
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The pages hold a form that grants access: no other site may frame them.
    r.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("DENY"));
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    r
}

fn app_block(interaction: &Interaction) -> String {
    let m = &interaction.client.metadata;
    let back = url::Url::parse(&interaction.redirect_uri)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    format!(
        "<p>L'application <strong>{name}</strong> demande à se connecter avec votre pod.<br>\
<span lang=\"en\" class=\"en\">The application <strong>{name}</strong> asks to log in with your pod.</span></p>\
<p class=\"en\">Identifiant de l'application / application id : <code>{id}</code><br>\
Elle vous renverra vers / it will send you back to : <code>{back}</code></p>",
        name = escape(&app_name(interaction)),
        id = escape(&m.client_id),
        back = escape(&back)
    )
}

/// The login page of a pending request.
pub fn login_page(
    id: &str,
    interaction: &Interaction,
    failed_username: Option<&str>,
    status: StatusCode,
) -> Response {
    let error = match failed_username {
        Some(_) => "<div class=\"error\" role=\"alert\"><p>Nom de pod ou mot de passe incorrect. \
<span lang=\"en\">Wrong pod name or password.</span></p></div>"
            .to_owned(),
        None => String::new(),
    };
    no_store(html(
        status,
        page(
            &format!("Se connecter à {} — Kommon", app_name(interaction)),
            &format!(
                "<h1>Se connecter <span lang=\"en\" class=\"en\">/ Log in</span></h1>{app}{error}\
<form method=\"post\" action=\"/.oidc/auth/{id}\">\
<label for=\"username\">Nom du pod <span lang=\"en\" class=\"en\">/ pod name</span></label>\
<input id=\"username\" name=\"username\" required autocomplete=\"username\" value=\"{user}\">\
<label for=\"password\">Mot de passe <span lang=\"en\" class=\"en\">/ password</span></label>\
<input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
<button type=\"submit\" name=\"action\" value=\"login\">Se connecter <span lang=\"en\">/ Log in</span></button></form>\
<p><a href=\"/.account/signup\">Pas encore de pod ? En créer un</a> · <a lang=\"en\" href=\"/.account/signup\">No pod yet? Create one</a></p>",
                app = app_block(interaction),
                id = escape(id),
                user = escape(failed_username.unwrap_or_default())
            ),
        ),
    ))
}

fn scope_items(scope: &str) -> String {
    scope
        .split_whitespace()
        .filter_map(|s| {
            let (fr, en) = match s {
                "openid" => ("vous identifier", "identify you"),
                "webid" => (
                    "connaître votre WebID, l'adresse publique de votre profil",
                    "know your WebID, your profile's public address",
                ),
                "profile" => ("lire votre nom affiché", "read your display name"),
                "offline_access" => (
                    "garder l'accès à votre pod en votre absence (jetons de rafraîchissement)",
                    "stay connected while you are away (refresh tokens)",
                ),
                _ => return None,
            };
            Some(format!(
                "<li>{} <span lang=\"en\" class=\"en\">/ {}</span></li>",
                escape(fr),
                escape(en)
            ))
        })
        .collect()
}

/// The consent page of a pending request, for the resident of `pod`.
pub fn consent_page(state: &AppState, id: &str, interaction: &Interaction, pod: &str) -> Response {
    let webid = state.pods.layout.webid(pod);
    no_store(html(
        StatusCode::OK,
        page(
            &format!("Autoriser {} — Kommon", app_name(interaction)),
            &format!(
                "<h1>Autoriser l'application ? <span lang=\"en\" class=\"en\">/ Allow the application?</span></h1>{app}\
<p>Connecté·e en tant que <code>{webid}</code>. <span lang=\"en\" class=\"en\">Logged in as this WebID.</span></p>\
<p>Si vous acceptez, elle pourra :<br><span lang=\"en\" class=\"en\">If you allow it, it may:</span></p><ul>{scopes}\
<li>lire et modifier, en votre nom, les données de votre pod auxquelles vous avez accès \
<span lang=\"en\" class=\"en\">/ read and change, on your behalf, the data of your pod you have access to</span></li></ul>\
<p>Vous pourrez lui retirer cet accès à tout moment. <span lang=\"en\" class=\"en\">You can revoke this access at any time.</span></p>\
<form method=\"post\" action=\"/.oidc/auth/{id}\">\
<button type=\"submit\" name=\"decision\" value=\"allow\">Autoriser <span lang=\"en\">/ Allow</span></button> \
<button type=\"submit\" name=\"decision\" value=\"deny\" style=\"background:#5a5a5a\">Refuser <span lang=\"en\">/ Deny</span></button>\
</form>",
                app = app_block(interaction),
                webid = escape(&webid),
                scopes = scope_items(&interaction.scope),
                id = escape(id)
            ),
        ),
    ))
}

/// The page after a logout that goes nowhere else.
pub fn logged_out_page() -> Response {
    no_store(html(
        StatusCode::OK,
        page(
            "Déconnecté·e — Kommon",
            "<h1>Vous êtes déconnecté·e <span lang=\"en\" class=\"en\">/ You are logged out</span></h1>\
<div class=\"ok\" role=\"status\"><p>Votre session sur ce serveur de pods est terminée. \
<span lang=\"en\">Your session on this pod server has ended.</span></p></div><p><a href=\"/\">Accueil / Home</a></p>",
        ),
    ))
}
