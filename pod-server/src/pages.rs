//! The pages people see: the server's home and the sign-up form, in French with English second.

use crate::app::AppState;
use crate::pod::PodError;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message written « French / English », as HTML: the English half marked `lang="en"` so
/// that screen readers pronounce it in English (WCAG 3.1.2).
pub fn bilingual(message: &str) -> String {
    match message.split_once(" / ") {
        Some((fr, en)) => format!(
            "{} <span lang=\"en\" class=\"en\">/ {}</span>",
            escape(fr),
            escape(en)
        ),
        None => escape(message),
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}\
label{display:block;margin-top:1rem;font-weight:600}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;border:1px solid #555;border-radius:4px}\
button{margin-top:1.5rem;font:inherit;padding:.5rem 1.2rem;background:#1d4e89;color:#fff;border:0;border-radius:4px}\
.en{color:#444;font-size:.92em}.error{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdecee}\
.ok{border-left:4px solid #1b7f3b;padding:.5rem 1rem;background:#e8f5ec}code{word-break:break-all}";

/// A whole page in the house style, French first.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    )
}

/// An HTML answer.
pub fn html(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        text,
    )
        .into_response()
}

/// `GET /`: what this server is.
pub async fn home(State(state): State<AppState>) -> Response {
    let base = escape(state.pods.layout.base());
    html(
        StatusCode::OK,
        page(
            "Kommon — serveur de pods",
            &format!(
                "<h1>Kommon — serveur de pods</h1>\
<p>Ce serveur héberge les pods des résidentes et résidents des tiers-lieux de Plaine Commune : \
chaque pod contient le profil, les compétences, les projets et les événements de la personne, \
qui en décide l'accès. Toute application Solid ou compatible ActivityPods peut s'y connecter.</p>\
<p lang=\"en\" class=\"en\">This server hosts the pods of the residents of Plaine Commune's third places. \
Any Solid or ActivityPods-compatible app can use them.</p>\
<p><a href=\"/.account/signup\">Créer mon pod</a> · <a lang=\"en\" href=\"/.account/signup\">Create my pod</a></p>\
<p><a href=\"/.account/pod\">Mon pod (se connecter)</a> · <a lang=\"en\" href=\"/.account/pod\">My pod (log in)</a></p>\
<p class=\"en\">Adresse du serveur / server address : <code>{base}</code></p>"
            ),
        ),
    )
}

/// What the sign-up form sends.
#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

fn signup_page(form: &SignupForm, error: Option<&str>) -> String {
    let error = error
        .map(|e| {
            format!(
                "<div class=\"error\" role=\"alert\"><p>{}</p></div>",
                bilingual(e)
            )
        })
        .unwrap_or_default();
    page(
        "Créer mon pod — Kommon",
        &format!(
            "<h1>Créer mon pod <span lang=\"en\" class=\"en\">/ Create my pod</span></h1>{error}\
<form method=\"post\" action=\"/.account/signup\">\
<label for=\"name\">Nom du pod <span lang=\"en\" class=\"en\">/ pod name</span></label>\
<input id=\"name\" name=\"name\" required minlength=\"2\" maxlength=\"40\" pattern=\"[a-z0-9][a-z0-9_\\-]+\" autocomplete=\"username\" value=\"{}\" aria-describedby=\"name-help\">\
<p id=\"name-help\" class=\"en\">Minuscules sans accent, chiffres, - et _ ; il devient l'adresse de votre pod. \
<span lang=\"en\">Lowercase letters, digits, - and _; it becomes your pod's address.</span></p>\
<label for=\"display_name\">Nom affiché <span lang=\"en\" class=\"en\">/ display name</span></label>\
<input id=\"display_name\" name=\"display_name\" maxlength=\"120\" autocomplete=\"name\" value=\"{}\">\
<label for=\"email\">Courriel (facultatif) <span lang=\"en\" class=\"en\">/ email (optional)</span></label>\
<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" value=\"{}\">\
<label for=\"password\">Mot de passe (8 caractères au moins) <span lang=\"en\" class=\"en\">/ password (8 characters or more)</span></label>\
<input id=\"password\" name=\"password\" type=\"password\" required minlength=\"8\" autocomplete=\"new-password\">\
<label for=\"password_again\">Mot de passe, à nouveau <span lang=\"en\" class=\"en\">/ password again</span></label>\
<input id=\"password_again\" name=\"password_again\" type=\"password\" required minlength=\"8\" autocomplete=\"new-password\">\
<button type=\"submit\">Créer mon pod <span lang=\"en\">/ Create</span></button></form>",
            escape(&form.name),
            escape(&form.display_name),
            escape(&form.email)
        ),
    )
}

/// `GET /.account/signup`.
pub async fn signup_form() -> Response {
    html(StatusCode::OK, signup_page(&SignupForm::default(), None))
}

/// `POST /.account/signup`: creates the pod or shows the form again with what was wrong.
pub async fn signup_submit(
    State(state): State<AppState>,
    Form(form): Form<SignupForm>,
) -> Response {
    if form.password != form.password_again {
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            signup_page(
                &form,
                Some("Les deux mots de passe diffèrent. / The two passwords differ."),
            ),
        );
    }
    let pods = state.pods.clone();
    let name = form.name.trim().to_owned();
    let display = form.display_name.clone();
    let email = form.email.trim().to_owned();
    let password = form.password.clone();
    let result = tokio::task::spawn_blocking(move || {
        let email = (!email.is_empty()).then_some(email.as_str());
        pods.create(&name, &display, &password, email)
    })
    .await;
    match result {
        Ok(Ok(account)) => {
            let webid = state.pods.layout.webid(&account.name);
            let storage = state.pods.layout.storage(&account.name);
            html(
                StatusCode::CREATED,
                page(
                    "Pod créé — Kommon",
                    &format!(
                        "<h1>Votre pod est prêt <span lang=\"en\" class=\"en\">/ Your pod is ready</span></h1>\
<div class=\"ok\" role=\"status\"><p>Bienvenue, {} !</p></div>\
<p>Votre identifiant (WebID) : <a href=\"{w}\"><code>{w}</code></a><br><span lang=\"en\" class=\"en\">Your WebID.</span></p>\
<p>Votre espace de données : <code>{s}</code><br><span lang=\"en\" class=\"en\">Your storage.</span></p>\
<p><a href=\"/.account/pod\">Compléter mon profil</a> · <a lang=\"en\" href=\"/.account/pod\">Complete my profile</a></p>",
                        escape(&account.display_name),
                        w = escape(&webid),
                        s = escape(&storage)
                    ),
                ),
            )
        }
        Ok(Err(PodError::Account(e))) => {
            let status = match e {
                crate::accounts::AccountError::Taken(_) => StatusCode::CONFLICT,
                crate::accounts::AccountError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            html(status, signup_page(&form, Some(&e.to_string())))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "creating a pod");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                signup_page(
                    &form,
                    Some(
                        "Le pod n'a pas pu être créé ; réessayez. / The pod could not be created; try again.",
                    ),
                ),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "creating a pod");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                signup_page(&form, Some("Erreur interne. / Internal error.")),
            )
        }
    }
}
