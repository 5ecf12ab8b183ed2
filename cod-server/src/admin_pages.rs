//! The admins' page of a place: its public profile (address, coordinates, opening hours,
//! accessibility, contact, website, ecological practices, equipment) and its moderators. A
//! change is told to the place's followers as an `Update` of the place's actor.

use crate::app::{AppState, community_document, plain};
use crate::login::redirect;
use crate::pages::{esc, page};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommon_activitypub::addressing::PUBLIC;
use kommon_community::{PlaceProfile, Role};
use serde::Deserialize;

fn admin(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
) -> Result<(crate::login::Session, kommon_community::Community), Response> {
    crate::login::with_role(state, headers, slug, "admin", Role::Admin)
}

/// The admin page's query.
#[derive(Deserialize)]
pub struct Shown {
    fait: Option<String>,
    erreur: Option<String>,
}

fn field(id: &str, label: &str, en: &str, value: &str, multiline: bool) -> String {
    if multiline {
        format!(
            "<p><label for=\"{id}\">{label} <span class=\"en\" lang=\"en\">({en})</span></label><br><textarea id=\"{id}\" name=\"{id}\" rows=\"3\" style=\"width:100%;font:inherit\">{}</textarea></p>",
            esc(value)
        )
    } else {
        format!(
            "<p><label for=\"{id}\">{label} <span class=\"en\" lang=\"en\">({en})</span></label><br><input id=\"{id}\" name=\"{id}\" value=\"{}\" style=\"width:100%\"></p>",
            esc(value)
        )
    }
}

/// `GET /{slug}/admin`.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<Shown>,
    headers: HeaderMap,
) -> Response {
    let (session, c) = match admin(&state, &headers, &slug) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = &c.profile;
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut body = format!(
        "<h1>Administration — {} <span class=\"en\" lang=\"en\">(admin)</span></h1>",
        esc(&c.name)
    );
    if let Some(f) = q.fait {
        body.push_str(&format!(
            "<p role=\"status\" style=\"color:#060\">{}</p>",
            esc(&f)
        ));
    }
    if let Some(e) = q.erreur {
        body.push_str(&format!(
            "<p role=\"alert\" style=\"color:#a00\">{}</p>",
            esc(&e)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&session.csrf)
    ));
    body.push_str(&field("name", "Nom du lieu", "name", &c.name, false));
    body.push_str(&field(
        "summary",
        "Présentation",
        "description",
        &c.summary,
        true,
    ));
    body.push_str("<h2>Adresse <span class=\"en\" lang=\"en\">(address)</span></h2>");
    body.push_str(&field(
        "street_address",
        "Rue et numéro",
        "street",
        &p.street_address,
        false,
    ));
    body.push_str(&field(
        "postal_code",
        "Code postal",
        "postal code",
        &p.postal_code,
        false,
    ));
    body.push_str(&field("locality", "Commune", "town", &p.locality, false));
    body.push_str(&field(
        "latitude",
        "Latitude",
        "latitude",
        &num(p.latitude),
        false,
    ));
    body.push_str(&field(
        "longitude",
        "Longitude",
        "longitude",
        &num(p.longitude),
        false,
    ));
    body.push_str("<h2>Accueil <span class=\"en\" lang=\"en\">(visiting)</span></h2>");
    body.push_str(&field(
        "opening_hours",
        "Horaires d’ouverture",
        "opening hours",
        &p.opening_hours,
        true,
    ));
    body.push_str(&field(
        "accessibility",
        "Accessibilité",
        "accessibility",
        &p.accessibility,
        true,
    ));
    body.push_str(&field("contact", "Contact", "contact", &p.contact, false));
    body.push_str(&field("website", "Site web", "website", &p.website, false));
    body.push_str(&field(
        "ecological_practices",
        "Pratiques écologiques",
        "ecological practices",
        &p.ecological_practices,
        true,
    ));
    body.push_str(&field(
        "equipment",
        "Équipements proposés",
        "equipment offered",
        &p.equipment,
        true,
    ));
    body.push_str("<h2>Modération <span class=\"en\" lang=\"en\">(moderators)</span></h2>");
    body.push_str(&field(
        "moderators",
        "WebID des modérateurs, un par ligne",
        "moderators' WebIDs, one per line",
        &c.moderators.join("\n"),
        true,
    ));
    body.push_str(&field(
        "notify_emails",
        "Adresses à prévenir des demandes en attente, une par ligne (jamais publiées)",
        "addresses told of waiting requests, one per line, never published",
        &c.notify_emails.join("\n"),
        true,
    ));
    if !state.notifier.enabled() {
        body.push_str("<p class=\"en\">Ce serveur n'envoie pas d'emails (pas de serveur SMTP configuré) : seul le compte de la page de modération prévient. <span lang=\"en\">This server sends no email (no SMTP server configured).</span></p>");
    }
    body.push_str("<p><button type=\"submit\">Enregistrer <span lang=\"en\">/ Save</span></button></p></form>");
    // Photos: a form of their own (a file), each with its description.
    body.push_str("<h2 id=\"photos\">Photos du lieu <span class=\"en\" lang=\"en\">(photos of the place)</span></h2>");
    let list = crate::photos::photos(&state, &slug);
    if !list.is_empty() {
        body.push_str(
            "<ul style=\"list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem\">",
        );
        for ph in &list {
            body.push_str(&format!(
                "<li><img src=\"{src}\" alt=\"{alt}\" style=\"max-width:12rem;height:auto\"><br>{alt}\
<form method=\"post\" action=\"/{slug}/photos\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"id\" value=\"{id}\">\
<button name=\"action\" value=\"delete\">Retirer <span lang=\"en\">/ Remove</span></button></form></li>",
                src = esc(&crate::photos::url(&state, &slug, ph)),
                alt = esc(&ph.alt),
                slug = esc(&slug),
                csrf = esc(&session.csrf),
                id = esc(&ph.id),
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/{slug}/photos\" enctype=\"multipart/form-data\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<p><label for=\"photo\">Photo (JPEG, PNG ou WebP, 2 Mio au plus) <span class=\"en\" lang=\"en\">(at most 2 MiB)</span></label><br><input id=\"photo\" name=\"photo\" type=\"file\" accept=\"image/jpeg,image/png,image/webp\" required></p>\
<p><label for=\"alt\">Ce que montre la photo, pour qui ne la voit pas <span class=\"en\" lang=\"en\">(what it shows)</span></label><br><input id=\"alt\" name=\"alt\" required maxlength=\"300\" style=\"width:100%\"></p>\
<p><button type=\"submit\">Ajouter la photo <span lang=\"en\">/ Add the photo</span></button></p></form>",
        slug = esc(&slug),
        csrf = esc(&session.csrf),
    ));
    body.push_str(&crate::widgets::snippets(&state, &slug));
    body.push_str(&format!(
        "<p><a href=\"/{0}/moderation\">Modération</a> · <a href=\"/{0}/orientation\">Orientation</a> · <a href=\"/{0}/invitations\">Inviter ses résident·es <span class=\"en\" lang=\"en\">(invite residents)</span></a> · <a href=\"/{0}/reseaux\">Réseaux</a> · <a href=\"/{0}/export\">Exporter les données du lieu <span class=\"en\" lang=\"en\">(export)</span></a> · <a href=\"/{0}\">Page du lieu</a></p>",
        esc(&slug)
    ));
    page(&format!("Administration — {}", c.name), &body)
}

/// The admin form.
#[derive(Deserialize)]
pub struct Edit {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    street_address: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    locality: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    opening_hours: String,
    #[serde(default)]
    accessibility: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    ecological_practices: String,
    #[serde(default)]
    equipment: String,
    #[serde(default)]
    moderators: String,
    #[serde(default)]
    notify_emails: String,
}

/// `POST /{slug}/admin`.
pub async fn save(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(f): Form<Edit>,
) -> Response {
    let (session, mut c) = match admin(&state, &headers, &slug) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = crate::login::check_form(&session, &f.csrf) {
        return r;
    }
    let back_err = |m: &str| {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("erreur", m)
            .finish();
        redirect(&format!("/{slug}/admin?{q}"))
    };
    let coord = |s: &str| -> Result<Option<f64>, ()> {
        let s = s.trim().replace(',', ".");
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<f64>().map(Some).map_err(|_| ())
        }
    };
    let (Ok(latitude), Ok(longitude)) = (coord(&f.latitude), coord(&f.longitude)) else {
        return back_err(
            "Latitude et longitude : des nombres (48.93, 2.35). / Latitude and longitude must be numbers.",
        );
    };
    let profile = PlaceProfile {
        street_address: f.street_address.trim().to_owned(),
        postal_code: f.postal_code.trim().to_owned(),
        locality: f.locality.trim().to_owned(),
        latitude,
        longitude,
        opening_hours: f.opening_hours.trim().to_owned(),
        accessibility: f.accessibility.trim().to_owned(),
        contact: f.contact.trim().to_owned(),
        website: f.website.trim().to_owned(),
        ecological_practices: f.ecological_practices.trim().to_owned(),
        equipment: f.equipment.trim().to_owned(),
    };
    if let Err(e) = profile.check() {
        return back_err(&e.to_string());
    }
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 200 || f.summary.chars().count() > 2000 {
        return back_err(
            "Le nom : 1 à 200 caractères ; la présentation : 2000 au plus. / Name 1–200, description at most 2000 characters.",
        );
    }
    let mut moderators = Vec::new();
    for m in f
        .moderators
        .lines()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        if !kommon_activitypub::json::is_http_url(m) {
            return back_err(&format!(
                "{m} n’est pas un WebID http(s). / {m} is not an http(s) WebID."
            ));
        }
        if !moderators.iter().any(|x| x == m) {
            moderators.push(m.to_owned());
        }
    }
    let mut notify_emails: Vec<String> = Vec::new();
    for a in f
        .notify_emails
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        if !crate::notify::is_email(a) || notify_emails.len() >= 20 {
            return back_err(&format!(
                "{a} n’est pas une adresse email (20 au plus). / {a} is not an email address (at most 20)."
            ));
        }
        if !notify_emails.iter().any(|x| x == a) {
            notify_emails.push(a.to_owned());
        }
    }
    c.notify_emails = notify_emails;
    c.name = name.to_owned();
    c.summary = f.summary.trim().to_owned();
    c.profile = profile;
    c.moderators = moderators;
    if state.federation.registry.save(&c).is_err() {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
    }
    announce_profile(&state, &c).await;
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("fait", "Profil enregistré. / Profile saved.")
        .finish();
    redirect(&format!("/{slug}/admin?{q}"))
}

/// Tells the place's followers (and the network) of its new profile: an `Update` of its actor.
pub async fn announce_profile(state: &AppState, c: &kommon_community::Community) {
    let slug = &c.slug;
    if let Ok(mut actor) = community_document(state, c) {
        if let Some(o) = actor.as_object_mut() {
            o.remove("@context");
        }
        let fed = &state.federation;
        let update = serde_json::json!({
            "@context": [kommon_activitypub::AS_CONTEXT, kommon_activitypub::SECURITY_CONTEXT],
            "type": "Update",
            "object": actor,
            "to": [PUBLIC[0]],
            "cc": [fed.collection(slug, "followers")],
        });
        if let Err(e) = fed.answer(slug, update).await {
            tracing::error!(error = %e, "announcing a place's new profile");
        }
    }
}
