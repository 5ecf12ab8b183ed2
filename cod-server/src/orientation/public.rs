//! The public side of a place's orientation, in French first: « Je veux aider » (its open
//! calls and a form to offer help), « J'ai besoin d'un coup de main » (a form for the services
//! it takes), a call's page, and the follow-up page where a person sees what the place
//! decided and can withdraw at any time.

use super::{
    STYLE, accessibility_boxes, availability_grid, commune_select, concept_boxes, read_form,
    refused,
};
use crate::app::{AppState, plain};
use crate::login::redirect;
use crate::pages::{esc, page};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommon_activitypub::delivery::now_ms;
use kommon_community::Community;
use kommon_orientation::slots::describe_fr;
use kommon_orientation::{CallForVolunteers, HelpRequest, RequestKind, RequestStatus};
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Most forms a place takes in a minute, whoever sends them: a flood is refused with 429.
const FORMS_PER_MINUTE: u32 = 30;

/// The place `slug` (not a network), or the 404 to answer.
pub(crate) fn community(state: &AppState, slug: &str) -> Result<Community, Response> {
    match state.federation.registry.get(slug) {
        Ok(Some(c)) if !c.network => Ok(c),
        Ok(_) => Err(plain(
            StatusCode::NOT_FOUND,
            &format!("il n'y a pas de lieu « {slug} » ici / there is no place {slug} here"),
        )),
        Err(_) => Err(plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")),
    }
}

/// Whether place `slug` may take one more form this minute.
pub(crate) fn within_rate(state: &AppState, slug: &str) -> bool {
    let mut flood = state.orientation.flood.lock();
    let now = Instant::now();
    let entry = flood.entry(slug.to_owned()).or_insert((now, 0));
    if now.duration_since(entry.0) > Duration::from_secs(60) {
        *entry = (now, 0);
    }
    entry.1 += 1;
    entry.1 <= FORMS_PER_MINUTE
}

fn skills_of(state: &AppState, iris: &[String]) -> String {
    let o = &state.orientation;
    iris.iter()
        .filter_map(|i| o.skills.id(i))
        .map(|id| esc(o.skills.label_fr(id)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn retention_notice(state: &AppState, c: &Community) -> String {
    let days = state
        .orientation
        .desk
        .settings(&c.slug)
        .map(|s| s.retention_days)
        .unwrap_or(90);
    format!(
        "<p><small>Vos réponses ne sont vues que par l'équipe de {name}, qui s'en sert pour vous répondre ; elles sont effacées au bout de {days} jours, ou dès que vous retirez votre demande (lien de suivi). Votre adresse n'est transmise à personne d'autre. <span class=\"en\" lang=\"en\">Only {name}'s team sees your answers, to reply to you; they are erased after {days} days, or as soon as you withdraw (follow-up link). Your address is passed to no one else.</span></small></p>",
        name = esc(&c.name)
    )
}

fn call_card(state: &AppState, call: &CallForVolunteers, link: &str) -> String {
    let when: Vec<String> = call.slots.iter().map(describe_fr).collect();
    format!(
        "<article class=\"call\"><h3><a href=\"{url}\">{title}</a></h3><p>{desc}</p>{skills}{when}<p>{left} place{s} restante{s} sur {wanted} · jusqu'au {until}{minors}</p>{link}</article>",
        url = esc(&super::calls::object_id(state, call)),
        title = esc(&call.title),
        desc = esc(&call.description.chars().take(400).collect::<String>()),
        skills = if call.skills.is_empty() {
            String::new()
        } else {
            format!(
                "<p>Compétences recherchées <span class=\"en\" lang=\"en\">(skills)</span> : {}</p>",
                skills_of(state, &call.skills)
            )
        },
        when = if when.is_empty() {
            String::new()
        } else {
            format!(
                "<p>Quand <span class=\"en\" lang=\"en\">(when)</span> : {}</p>",
                esc(&when.join(" ; "))
            )
        },
        left = call.places_left(),
        s = if call.places_left() > 1 { "s" } else { "" },
        wanted = call.wanted,
        until = call.valid_through.format("%d/%m/%Y"),
        minors = if call.minors {
            " · ouvert aux mineur·es"
        } else {
            ""
        },
        link = link,
    )
}

/// The query of the « Je veux aider » page: the call the person came from.
#[derive(Deserialize)]
pub struct Wanted {
    appel: Option<String>,
}

/// `GET /{slug}/benevolat`: the place's open calls and the form to offer help.
pub async fn volunteer_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<Wanted>,
) -> Response {
    let c = match community(&state, &slug) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let o = &state.orientation;
    let calls: Vec<CallForVolunteers> = o
        .desk
        .calls(&slug)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.is_open(super::today()))
        .collect();
    let chosen = q
        .appel
        .as_deref()
        .and_then(|id| calls.iter().find(|c| c.id == id));
    let mut body = format!(
        "{STYLE}<h1>Je veux aider — {name}</h1><p class=\"en\" lang=\"en\">I want to help — {name}</p><p>Donnez un peu de votre temps à {name} : choisissez un appel ci-dessous, ou dites ce que vous savez faire et quand vous êtes libre ; l'équipe vous répond. <span class=\"en\" lang=\"en\">Pick a call below, or tell what you can do and when you are free; the team answers you.</span></p><h2>Appels à bénévoles <span class=\"en\" lang=\"en\">Calls for volunteers</span></h2>",
        name = esc(&c.name)
    );
    if calls.is_empty() {
        body.push_str("<p>Aucun appel ouvert en ce moment : proposez votre aide quand même. <span class=\"en\" lang=\"en\">No open call right now: offer your help anyway.</span></p>");
    }
    for call in &calls {
        body.push_str(&call_card(
            &state,
            call,
            &format!(
                "<p><a href=\"/{}/benevolat?appel={}#formulaire\">Proposer mon aide pour cet appel <span class=\"en\" lang=\"en\">/ Offer my help for this call</span></a></p>",
                esc(&slug),
                esc(&call.id)
            ),
        ));
    }
    body.push_str(&format!(
        "<h2 id=\"formulaire\">Proposer mon aide <span class=\"en\" lang=\"en\">Offer my help</span></h2>{chosen}<form method=\"post\" action=\"/{slug}/benevolat\">{hidden}\
<label>Prénom ou nom <span class=\"en\" lang=\"en\">(name)</span> <input type=\"text\" name=\"nom\" required maxlength=\"120\" autocomplete=\"name\"></label>\
<label>Courriel <span class=\"en\" lang=\"en\">(email)</span> <input type=\"email\" name=\"courriel\" required maxlength=\"254\" autocomplete=\"email\"></label>\
<label>Ce que je sais faire, ce que j'aimerais faire <span class=\"en\" lang=\"en\">(what I can do)</span> <textarea name=\"message\" rows=\"4\" maxlength=\"4000\"></textarea></label>\
{skills}{grid}{commune}\
<label>Distance maximale <span class=\"en\" lang=\"en\">(how far I can go)</span> <select name=\"distance\"><option value=\"\">Peu importe / Any</option><option value=\"1\">1 km</option><option value=\"3\">3 km</option><option value=\"5\">5 km</option><option value=\"10\">10 km</option></select></label>\
<label class=\"box\"><input type=\"checkbox\" name=\"mineur\"> J'ai moins de 18 ans <span class=\"en\" lang=\"en\">(I am under 18)</span></label>\
{needs}\
<label class=\"box\"><input type=\"checkbox\" name=\"consentement\" required> J'accepte que {name} conserve ces informations pour me répondre et me mettre en relation <span class=\"en\" lang=\"en\">(I agree that {name} keeps this information to answer me)</span></label>\
<p><button>Envoyer <span lang=\"en\">/ Send</span></button></p></form>{notice}",
        slug = esc(&slug),
        name = esc(&c.name),
        chosen = chosen
            .map(|call| format!("<p class=\"notice\">Pour l'appel « {} » <span class=\"en\" lang=\"en\">(for this call)</span></p>", esc(&call.title)))
            .unwrap_or_default(),
        hidden = chosen
            .map(|call| format!("<input type=\"hidden\" name=\"appel\" value=\"{}\">", esc(&call.id)))
            .unwrap_or_default(),
        skills = concept_boxes("competences", "Mes compétences <span class=\"en\" lang=\"en\">My skills</span>", &o.skill_groups, &[], None),
        grid = availability_grid("dispo"),
        commune = commune_select(o, "commune", "Ma commune <span class=\"en\" lang=\"en\">(my town)</span>"),
        needs = accessibility_boxes(o, "besoins", "J'ai besoin de <span class=\"en\" lang=\"en\">I need</span>", &[]),
        notice = retention_notice(&state, &c),
    ));
    body.push_str(&format!(
        "<p><a href=\"/{}\">{}</a></p>",
        esc(&slug),
        esc(&c.name)
    ));
    page(&format!("Je veux aider — {}", c.name), &body)
}

/// `GET /{slug}/coup-de-main`: the form to ask the place for a service.
pub async fn service_page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let c = match community(&state, &slug) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let o = &state.orientation;
    let settings = o.desk.settings(&slug).unwrap_or_default();
    let mut body = format!(
        "{STYLE}<h1>J'ai besoin d'un coup de main — {name}</h1><p class=\"en\" lang=\"en\">I need a hand — {name}</p>",
        name = esc(&c.name)
    );
    if !o.desk.takes_service_requests(&slug).unwrap_or(false) {
        body.push_str(&format!(
            "<p class=\"notice\">{} ne prend pas de nouvelles demandes en ce moment. <span class=\"en\" lang=\"en\">This place takes no new requests right now.</span></p><p><a href=\"/{}\">{}</a></p>",
            esc(&c.name),
            esc(&slug),
            esc(&c.name)
        ));
        return page(&format!("Coup de main — {}", c.name), &body);
    }
    // The services the place takes, and those under them.
    let mut offered: Vec<String> = Vec::new();
    for s in &settings.services {
        if let Some(id) = o.services.id(s) {
            for (n, closeness) in o.services.neighbours(id) {
                let narrower = matches!(
                    o.services.closeness(id, *n).1,
                    Some(
                        kommon_orientation::Relation::Narrower
                            | kommon_orientation::Relation::Exact
                    )
                );
                if narrower && *closeness > 0.0 {
                    offered.push(o.services.iri(*n).to_owned());
                }
            }
        }
    }
    body.push_str(&format!(
        "<p>Dites ce dont vous avez besoin et quand vous êtes disponible : l'équipe de {name} vous répond, ou vous oriente vers quelqu'un qui peut vous aider. <span class=\"en\" lang=\"en\">Say what you need and when you are free: the team answers or points you to someone who can help.</span></p>\
<form method=\"post\" action=\"/{slug}/coup-de-main\">\
<label>Prénom ou nom <span class=\"en\" lang=\"en\">(name)</span> <input type=\"text\" name=\"nom\" required maxlength=\"120\" autocomplete=\"name\"></label>\
<label>Courriel <span class=\"en\" lang=\"en\">(email)</span> <input type=\"email\" name=\"courriel\" required maxlength=\"254\" autocomplete=\"email\"></label>\
<label>Ma demande <span class=\"en\" lang=\"en\">(what I need)</span> <textarea name=\"message\" rows=\"4\" maxlength=\"4000\" required></textarea></label>\
{services}{grid}{commune}{needs}\
<label class=\"box\"><input type=\"checkbox\" name=\"consentement\" required> J'accepte que {name} conserve ces informations pour me répondre <span class=\"en\" lang=\"en\">(I agree that {name} keeps this information to answer me)</span></label>\
<p><button>Envoyer <span lang=\"en\">/ Send</span></button></p></form>{notice}<p><a href=\"/{slug}\">{name}</a></p>",
        slug = esc(&slug),
        name = esc(&c.name),
        services = concept_boxes("services", "Le service dont j'ai besoin <span class=\"en\" lang=\"en\">The service I need</span>", &o.service_groups, &[], Some(&offered)),
        grid = availability_grid("dispo"),
        commune = commune_select(o, "commune", "Ma commune <span class=\"en\" lang=\"en\">(my town)</span>"),
        needs = accessibility_boxes(o, "besoins", "J'ai besoin de <span class=\"en\" lang=\"en\">I need</span>", &[]),
        notice = retention_notice(&state, &c),
    ));
    page(&format!("Coup de main — {}", c.name), &body)
}

/// Why a form was not taken: the status, a title and the message, in French then English.
pub struct NotTaken(pub u16, pub &'static str, pub String);

/// Records what a public form of place `c` sent (the place's pages or an embedded form):
/// checked, within the flood limit and the place's capacity; the person told by email and the
/// moderators notified. The follow-up token.
pub async fn take_form(
    state: &AppState,
    c: &Community,
    kind: RequestKind,
    fields: &[(String, String)],
) -> Result<String, NotTaken> {
    let slug = &c.slug;
    if !within_rate(state, slug) {
        return Err(NotTaken(
            429,
            "Trop de demandes",
            "Trop de formulaires reçus en une minute : réessayez dans un moment. / Too many forms in a minute: try again shortly.".into(),
        ));
    }
    let o = &state.orientation;
    // Whether a service request fits the place's capacity is checked where it is recorded.
    let token = uuid::Uuid::new_v4().simple().to_string();
    let request = HelpRequest::from_form(fields, kind, &token, slug, &o.choices(), now_ms())
        .map_err(|e| NotTaken(e.status(), "Le formulaire n'est pas complet", e.to_string()))?;
    if let Some(call) = &request.call
        && !o
            .desk
            .call(slug, call)
            .ok()
            .flatten()
            .is_some_and(|c| c.is_open(super::today()))
    {
        return Err(NotTaken(
            409,
            "Appel clos",
            "Cet appel n'accepte plus de bénévoles : proposez votre aide sans le choisir. / This call takes no more volunteers.".into(),
        ));
    }
    let added = match kind {
        RequestKind::Service => o.desk.add_service_request(&request),
        RequestKind::Volunteer | RequestKind::Residency => {
            o.desk.add_request(&request).map_err(Into::into)
        }
    };
    match added {
        Ok(()) => {}
        Err(kommon_orientation::OrientationError::Store(e)) => {
            tracing::error!(error = %e, "recording a request");
            return Err(NotTaken(500, "Erreur", "the store failed".into()));
        }
        Err(e) => return Err(NotTaken(e.status(), "Demande non prise", e.to_string())),
    }
    let follow = format!("{}/{slug}/suivi/{token}", state.federation.base);
    // The confirmation says nothing the sender wrote (the form is open to anyone: no relay
    // for their words), and one address gets at most one an hour.
    if let Some(email) = &request.email
        && state.orientation.may_email(email)
    {
        let (what, what_en) = super::what(kind);
        crate::notify::tell(
            state,
            email,
            &format!("{} : votre demande est bien reçue", c.name),
            format!(
                "Bonjour,\n\n{name} a bien reçu votre {what}. Vous pouvez suivre la réponse, ou retirer votre demande à tout moment, ici :\n{follow}\n\nSi vous n'avez rien demandé, ignorez ce message : sans suite de votre part, la demande sera effacée.\n\n--\nHello, {name} received your {what_en}. Follow it or withdraw it here: {follow}\n",
                name = c.name,
            ),
        );
    }
    crate::notify::pending_changed(state, slug);
    Ok(token)
}

async fn submit(
    state: AppState,
    slug: String,
    headers: HeaderMap,
    body: Body,
    kind: RequestKind,
) -> Response {
    let c = match community(&state, &slug) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let back = match kind {
        RequestKind::Volunteer => format!("/{slug}/benevolat"),
        RequestKind::Service => format!("/{slug}/coup-de-main"),
        RequestKind::Residency => format!("/embed/{slug}/adhesion"),
    };
    let fields = match read_form(&headers, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    match take_form(&state, &c, kind, &fields).await {
        Ok(token) => redirect(&format!("/{slug}/suivi/{token}?nouveau=1")),
        Err(NotTaken(500, _, m)) => plain(StatusCode::INTERNAL_SERVER_ERROR, &m),
        Err(NotTaken(status, title, message)) => refused(status, title, &message, &back),
    }
}

/// `POST /{slug}/benevolat`: an offer of help.
pub async fn volunteer_submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    submit(state, slug, headers, body, RequestKind::Volunteer).await
}

/// `POST /{slug}/coup-de-main`: a service request.
pub async fn service_submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    submit(state, slug, headers, body, RequestKind::Service).await
}

/// The follow-up page's query.
#[derive(Deserialize)]
pub struct Followed {
    nouveau: Option<String>,
}

fn valid_token(token: &str) -> bool {
    token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit())
}

/// `GET /{slug}/suivi/{token}`: what the place decided, and the button to withdraw.
pub async fn follow_page(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    Query(q): Query<Followed>,
) -> Response {
    // A network's requests are followed here too.
    let c = match state.federation.registry.get(&slug) {
        Ok(Some(c)) => c,
        _ => return plain(StatusCode::NOT_FOUND, "there is no such place"),
    };
    let found = if valid_token(&token) {
        state.orientation.desk.request(&slug, &token).ok().flatten()
    } else {
        None
    };
    let days = state
        .orientation
        .desk
        .settings(&slug)
        .map(|s| s.retention_days)
        .unwrap_or(90);
    let Some(r) = found else {
        let mut resp = page(
            "Demande introuvable",
            &format!(
                "{STYLE}<h1>Demande introuvable <span class=\"en\" lang=\"en\">(not found)</span></h1><p>Ce lien ne correspond à aucune demande de {name} : elle a peut-être été effacée, {days} jours après son envoi. <span class=\"en\" lang=\"en\">No request of {name} has this link: it may have been erased {days} days after it was sent.</span></p>",
                name = esc(&c.name)
            ),
        );
        *resp.status_mut() = StatusCode::NOT_FOUND;
        return resp;
    };
    let mut body = format!(
        "{STYLE}<h1>Suivi de votre {what} — {name}</h1><p class=\"en\" lang=\"en\">Your {what_en} — {name}</p>",
        what = super::what(r.kind).0,
        what_en = super::what(r.kind).1,
        name = esc(&c.name)
    );
    if q.nouveau.is_some() {
        body.push_str("<p class=\"notice\" role=\"status\">Merci, c'est envoyé. Gardez ce lien pour suivre la réponse. <span class=\"en\" lang=\"en\">Thank you, it is sent. Keep this link to follow the answer.</span></p>");
    }
    let call_title = |id: &str| {
        state
            .orientation
            .desk
            .call(&slug, id)
            .ok()
            .flatten()
            .map(|c| c.title)
            .unwrap_or_default()
    };
    let status = match &r.status {
        RequestStatus::Pending => format!(
            "<p><strong>En attente</strong> : pas encore de réponse. <span class=\"en\" lang=\"en\">Waiting: no answer yet.</span></p>{}",
            super::network::route_status(&state, &r)
        ),
        RequestStatus::Accepted { call, note, .. } => format!(
            "<p class=\"notice\"><strong>Acceptée</strong>{} <span class=\"en\" lang=\"en\">Accepted.</span></p>{}{}",
            call.as_deref().map(|id| format!(" pour l'appel « {} ».", esc(&call_title(id)))).unwrap_or_else(|| ".".into()),
            if note.is_empty() { String::new() } else { format!("<p>Message de l'équipe <span class=\"en\" lang=\"en\">(from the team)</span> : {}</p>", esc(note)) },
            contact_of(&state, &c, &r),
        ),
        RequestStatus::Declined { reason, .. } => format!(
            "<p><strong>Non retenue</strong> <span class=\"en\" lang=\"en\">(declined)</span> : {}</p><p>D'autres lieux peuvent vous aider : <a href=\"/\">voir les lieux</a>. <span class=\"en\" lang=\"en\">Other places may help.</span></p>",
            esc(reason)
        ),
        RequestStatus::Withdrawn { .. } => "<p><strong>Retirée</strong> : vos informations ont été effacées. <span class=\"en\" lang=\"en\">Withdrawn: your information was erased.</span></p>".to_owned(),
    };
    body.push_str(&status);
    if !matches!(r.status, RequestStatus::Withdrawn { .. }) {
        body.push_str(&format!(
            "<h2>Ce que vous avez envoyé <span class=\"en\" lang=\"en\">What you sent</span></h2><p>{}</p>{}",
            esc(&r.text),
            if r.skills.is_empty() { String::new() } else { format!("<p>Compétences : {}</p>", skills_of(&state, &r.skills)) },
        ));
        body.push_str(&format!(
            "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"retirer\"><p><button>Retirer ma demande et effacer mes informations <span lang=\"en\">/ Withdraw and erase my information</span></button></p></form><p><small>Sans retrait, vos informations sont effacées {days} jours après l'envoi. <span class=\"en\" lang=\"en\">Otherwise they are erased {days} days after sending.</span></small></p>"
        ));
    }
    page(&format!("Suivi — {}", c.name), &body)
}

/// The place's contact for an accepted person: the call's contact, or the place's (for a
/// request the network routed, the accepting place's answer already gives its contact).
fn contact_of(state: &AppState, c: &Community, r: &HelpRequest) -> String {
    if !r.route.is_empty() {
        return String::new();
    }
    let call = match &r.status {
        RequestStatus::Accepted { call: Some(id), .. } => {
            state.orientation.desk.call(&c.slug, id).ok().flatten()
        }
        _ => None,
    };
    let contact = call
        .map(|call| format!("{} {}", call.contact_name, call.contact_email))
        .unwrap_or_else(|| c.profile.contact.clone());
    if contact.trim().is_empty() {
        String::new()
    } else {
        format!(
            "<p>Contact : {} <span class=\"en\" lang=\"en\">(who to talk to)</span></p>",
            esc(contact.trim())
        )
    }
}

/// `POST /{slug}/suivi/{token}`: the person withdraws.
pub async fn follow_act(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !matches!(state.federation.registry.get(&slug), Ok(Some(_))) {
        return plain(StatusCode::NOT_FOUND, "there is no such place");
    }
    let fields = match read_form(&headers, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if kommon_orientation::form::one(&fields, "action") != "retirer" {
        return plain(StatusCode::BAD_REQUEST, "action must be retirer");
    }
    if !valid_token(&token) {
        return plain(StatusCode::NOT_FOUND, "no such request");
    }
    match state
        .orientation
        .desk
        .withdraw(&slug, &token, super::today(), now_ms())
    {
        Ok((before, reopened)) => {
            if !matches!(before.status, RequestStatus::Withdrawn { .. }) {
                super::erase_trail(&state, &before.trail).await;
                super::network::withdrawn(&state, &slug, &before).await;
            }
            if let Some(call) = reopened
                && let Ok(Some(c)) = state.federation.registry.get(&slug)
                && let Err(e) = super::calls::announce_reopened(&state, &c, &call).await
            {
                tracing::warn!(error = %e.1, "announcing a call reopened");
            }
            redirect(&format!("/{slug}/suivi/{token}"))
        }
        Err(e) => plain(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
            &e.to_string(),
        ),
    }
}

/// A call's public page (its object IRI asked for in HTML).
pub fn call_page(state: &AppState, c: &Community, o: &Value) -> Response {
    let local = o["id"]
        .as_str()
        .and_then(|id| id.rsplit('/').next())
        .unwrap_or_default();
    let call = state.orientation.desk.call(&c.slug, local).ok().flatten();
    let Some(call) = call else {
        return crate::pages::object_page(c, o);
    };
    let open = call.is_open(super::today());
    let link = if open {
        format!(
            "<p><a href=\"/{}/benevolat?appel={}#formulaire\">Proposer mon aide pour cet appel <span class=\"en\" lang=\"en\">/ Offer my help</span></a></p>",
            esc(&c.slug),
            esc(&call.id)
        )
    } else {
        "<p class=\"notice\">Cet appel est clos. <span class=\"en\" lang=\"en\">This call is closed.</span></p>".to_owned()
    };
    let mut body = format!(
        "{STYLE}<h1>{}</h1><p class=\"en\" lang=\"en\">Appel à bénévoles / Call for volunteers — {}</p>",
        esc(&call.title),
        esc(&c.name)
    );
    body.push_str(&call_card(state, &call, &link));
    body.push_str(&format!(
        "<h2>La mission <span class=\"en\" lang=\"en\">The mission</span></h2><p>{}</p>{}",
        esc(&call.description).replace('\n', "<br>"),
        if call.commitment.is_empty() {
            String::new()
        } else {
            format!(
                "<p>Engagement <span class=\"en\" lang=\"en\">(commitment)</span> : {}</p>",
                esc(&call.commitment)
            )
        },
    ));
    body.push_str(&format!(
        "<p><a href=\"/{}\">{}</a></p>",
        esc(&c.slug),
        esc(&c.name)
    ));
    page(&call.title, &body)
}
