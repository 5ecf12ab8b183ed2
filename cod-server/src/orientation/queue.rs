//! The moderators' orientation page of a place: the offers and requests waiting, each with the
//! place's calls ranked for it and the reasons; each open call with the volunteers ranked for
//! it; the calls to write, publish and close; and what the place accepts. Deciding tells the
//! person by email (when the server sends mail) and on their follow-up page.

use super::{STYLE, accessibility_boxes, concept_boxes, place_point, read_form};
use crate::app::{AppState, plain};
use crate::login::redirect;
use crate::pages::{esc, page};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kommon_activitypub::delivery::now_ms;
use kommon_community::{Community, Role};
use kommon_orientation::form::{self as fields_of, Fields};
use kommon_orientation::slots::describe_fr;
use kommon_orientation::{
    CallForVolunteers, CallStatus, HelpRequest, PlaceOrientation, ProfileKind, RequestKind,
    RequestStatus,
};
use serde::Deserialize;

/// The page's query: what was just done, or what went wrong.
#[derive(Deserialize)]
pub struct Shown {
    fait: Option<String>,
    erreur: Option<String>,
}

fn date(ms: u64) -> String {
    let d = kommon_solid::storage::xsd_datetime(ms);
    format!("{} à {}", &d[..10], &d[11..16])
}

fn labels(state: &AppState, iris: &[String]) -> String {
    let o = &state.orientation;
    iris.iter()
        .map(|i| {
            o.skills
                .id(i)
                .map(|id| o.skills.label_fr(id).to_owned())
                .or_else(|| {
                    o.services
                        .id(i)
                        .map(|id| o.services.label_fr(id).to_owned())
                })
                .unwrap_or_else(|| i.clone())
        })
        .map(|l| esc(&l))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_request(state: &AppState, r: &HelpRequest) -> String {
    let mut out = format!(
        "<p><strong>{}</strong>, le {}{}</p>",
        esc(&r.name),
        esc(&date(r.created_ms)),
        if r.minor {
            " · <strong>mineur·e</strong>"
        } else {
            ""
        }
    );
    if !r.text.is_empty() {
        out.push_str(&format!("<blockquote>{}</blockquote>", esc(&r.text)));
    }
    if !r.skills.is_empty() {
        out.push_str(&format!(
            "<p>Compétences : {}</p>",
            labels(state, &r.skills)
        ));
    }
    if !r.services.is_empty() {
        out.push_str(&format!(
            "<p>Service demandé : {}</p>",
            labels(state, &r.services)
        ));
    }
    if let Some(w) = &r.webid {
        out.push_str(&format!(
            "<p>Son pod <span class=\"en\" lang=\"en\">(pod)</span> : <a href=\"{0}\">{0}</a> — accepter sa candidature acceptera d'office sa demande d'adhésion envoyée depuis ce pod.</p>",
            esc(w)
        ));
    }
    if !r.slots.is_empty() {
        let when: Vec<String> = r.slots.iter().map(describe_fr).collect();
        out.push_str(&format!("<p>Disponible {}</p>", esc(&when.join(" ; "))));
    }
    if let Some(c) = &r.commune {
        out.push_str(&format!(
            "<p>Commune : {}{}</p>",
            esc(&state.orientation.commune_label(c)),
            r.max_km
                .map(|k| format!(", jusqu'à {k} km"))
                .unwrap_or_default()
        ));
    }
    if !r.needs.is_empty() {
        let o = &state.orientation;
        let needs: Vec<String> = r
            .needs
            .iter()
            .map(|n| {
                o.accessibility
                    .iter()
                    .find(|c| &c.iri == n)
                    .map(|c| c.fr.clone())
                    .unwrap_or_else(|| n.clone())
            })
            .collect();
        out.push_str(&format!("<p>Besoins : {}</p>", esc(&needs.join(", "))));
    }
    out
}

/// `GET /{slug}/orientation`.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<Shown>,
    headers: HeaderMap,
) -> Response {
    let (session, c) =
        match crate::login::with_role(&state, &headers, &slug, "orientation", Role::Moderator) {
            Ok(v) => v,
            Err(r) => return r,
        };
    let o = &state.orientation;
    let (calls, requests, settings) = match (
        o.desk.calls(&slug),
        o.desk.requests(&slug),
        o.desk.settings(&slug),
    ) {
        (Ok(a), Ok(b), Ok(s)) => (a, b, s),
        _ => {
            return plain(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "the store failed",
            );
        }
    };
    let ctx = o.context();
    let matcher = o.place_matcher(&calls, &requests, place_point(&c));
    let csrf = esc(&session.csrf);
    let mut body = format!(
        "{STYLE}<h1>Orientation — {name}</h1><p class=\"en\" lang=\"en\">Calls for volunteers, offers of help and service requests</p><p><a href=\"/{slug}/moderation\">Modération</a> · <a href=\"/{slug}/benevolat\">Page « Je veux aider »</a> · <a href=\"/{slug}/coup-de-main\">Page « J'ai besoin d'un coup de main »</a></p>",
        name = esc(&c.name),
        slug = esc(&slug),
    );
    if let Some(done) = q.fait {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>",
            esc(&done)
        ));
    }
    if let Some(err) = q.erreur {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            esc(&err)
        ));
    }
    let pending: Vec<&HelpRequest> = requests.iter().filter(|r| r.is_pending()).collect();
    body.push_str(&format!(
        "<h2>En attente ({}) <span class=\"en\" lang=\"en\">Waiting</span></h2>",
        pending.len()
    ));
    if pending.is_empty() {
        body.push_str(
            "<p>Rien n'attend de réponse. <span class=\"en\" lang=\"en\">Nothing waits.</span></p>",
        );
    }
    let open_calls: Vec<&CallForVolunteers> =
        calls.iter().filter(|c| c.is_open(super::today())).collect();
    for r in &pending {
        body.push_str(&format!(
            "<article class=\"call\" id=\"r-{token}\"><h3>{kind}</h3>{desc}",
            token = esc(&r.token),
            kind = match r.kind {
                RequestKind::Volunteer => "Proposition d'aide <span class=\"en\" lang=\"en\">(offer of help)</span>",
                RequestKind::Service => "Demande de service <span class=\"en\" lang=\"en\">(service request)</span>",
                RequestKind::Residency => "Candidature de résident·e <span class=\"en\" lang=\"en\">(application to become a resident)</span>",
            },
            desc = describe_request(&state, r),
        ));
        let mut options = String::new();
        if r.kind == RequestKind::Volunteer {
            let seeker = o.request_profile(r);
            let top = matcher.suggest(ctx, &seeker, &[ProfileKind::Call], 3);
            if top.is_empty() {
                body.push_str("<p>Aucun appel ouvert ne lui correspond. <span class=\"en\" lang=\"en\">No open call fits.</span></p>");
            } else {
                body.push_str("<p>Appels suggérés <span class=\"en\" lang=\"en\">(suggested calls)</span> :</p><ol class=\"why\">");
                for s in &top {
                    body.push_str(&format!(
                        "<li><strong>{}</strong> — {}</li>",
                        esc(&s.name),
                        esc(&s.explain_fr(ctx))
                    ));
                }
                body.push_str("</ol>");
            }
            let mut ordered: Vec<&CallForVolunteers> = top
                .iter()
                .filter_map(|s| open_calls.iter().find(|c| c.id == s.id).copied())
                .collect();
            for c in &open_calls {
                if !ordered.iter().any(|o| o.id == c.id) {
                    ordered.push(c);
                }
            }
            // The call the person answered comes first, if still open.
            if let Some(asked) = &r.call
                && let Some(pos) = ordered.iter().position(|c| &c.id == asked)
            {
                let c = ordered.remove(pos);
                ordered.insert(0, c);
            }
            options = ordered
                .iter()
                .map(|c| {
                    format!(
                        "<option value=\"{}\">{}</option>",
                        esc(&c.id),
                        esc(&c.title)
                    )
                })
                .collect();
            options.push_str("<option value=\"\">Sans appel précis / No particular call</option>");
        }
        if !r.route.is_empty() {
            body.push_str(&format!(
                "{}</article>",
                super::network::route_status(&state, r)
            ));
            continue;
        }
        body.push_str(&format!(
            "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"demande\" value=\"{token}\">{select}<label>Message pour la personne <span class=\"en\" lang=\"en\">(note)</span> <input type=\"text\" name=\"note\" maxlength=\"2000\"></label><button name=\"action\" value=\"accepter\">Accepter <span lang=\"en\">/ Accept</span></button></form>\
<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"demande\" value=\"{token}\"><label>Raison <span class=\"en\" lang=\"en\">(reason, told to the person)</span> <input type=\"text\" name=\"raison\" required maxlength=\"2000\"></label><button name=\"action\" value=\"refuser\">Décliner <span lang=\"en\">/ Decline</span></button></form></article>",
            token = esc(&r.token),
            select = if options.is_empty() {
                String::new()
            } else {
                format!("<label>Pour l'appel <span class=\"en\" lang=\"en\">(for the call)</span> <select name=\"appel\">{options}</select></label>")
            },
        ));
    }
    body.push_str(
        "<h2>Appels à bénévoles <span class=\"en\" lang=\"en\">Calls for volunteers</span></h2>",
    );
    for call in &calls {
        let state_label = match call.status {
            CallStatus::Draft => "brouillon (visible de l'équipe seulement)",
            CallStatus::Published if call.is_open(super::today()) => "publié, ouvert",
            CallStatus::Published => "publié, passé",
            CallStatus::Closed => "clos",
        };
        body.push_str(&format!(
            "<article class=\"call\"><h3>{}</h3><p>{} · {} bénévole(s) retenu(s) sur {}</p>",
            esc(&call.title),
            state_label,
            call.accepted.len(),
            call.wanted
        ));
        if call.is_open(super::today()) {
            let seeker = o.call_profile(call, place_point(&c));
            let top = matcher.suggest(ctx, &seeker, &[ProfileKind::Volunteer], 5);
            if !top.is_empty() {
                body.push_str("<p>Bénévoles suggéré·es <span class=\"en\" lang=\"en\">(suggested volunteers)</span> :</p><ol class=\"why\">");
                for s in &top {
                    body.push_str(&format!(
                        "<li><strong>{name}</strong> — {why} <form method=\"post\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"demande\" value=\"{token}\"><input type=\"hidden\" name=\"appel\" value=\"{call}\"><button name=\"action\" value=\"accepter\">Retenir pour cet appel <span lang=\"en\">/ Accept</span></button></form></li>",
                        name = esc(&s.name),
                        why = esc(&s.explain_fr(ctx)),
                        token = esc(&s.id),
                        call = esc(&call.id),
                    ));
                }
                body.push_str("</ol>");
            }
        }
        let button = match call.status {
            CallStatus::Draft => Some(("publier", "Publier <span lang=\"en\">/ Publish</span>")),
            CallStatus::Published => Some(("clore", "Clore <span lang=\"en\">/ Close</span>")),
            CallStatus::Closed => None,
        };
        if let Some((action, label)) = button {
            body.push_str(&format!(
                "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"appel\" value=\"{}\"><button name=\"action\" value=\"{action}\">{label}</button></form>",
                esc(&call.id)
            ));
        }
        body.push_str("</article>");
    }
    let accepted: Vec<&HelpRequest> = requests
        .iter()
        .filter(|r| matches!(r.status, RequestStatus::Accepted { .. }))
        .collect();
    if !accepted.is_empty() {
        body.push_str(
            "<h2>Personnes acceptées <span class=\"en\" lang=\"en\">Accepted</span></h2><ul>",
        );
        for r in accepted {
            body.push_str(&format!(
                "<li>{} — {}</li>",
                esc(&r.name),
                esc(r.email.as_deref().or(r.actor.as_deref()).unwrap_or(""))
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&new_call_form(&state, &csrf));
    body.push_str(&settings_form(&state, &settings, &csrf));
    page(&format!("Orientation — {}", c.name), &body)
}

fn new_call_form(state: &AppState, csrf: &str) -> String {
    let o = &state.orientation;
    let mut rows = String::new();
    for n in 1..=3 {
        rows.push_str(&format!(
            "<p>Créneau {n} : <label class=\"box\">jour (date ou jour de la semaine) <input type=\"text\" name=\"creneau_jour_{n}\" placeholder=\"2027-03-14 ou samedi\" maxlength=\"20\"></label><label class=\"box\">de <input type=\"time\" name=\"creneau_debut_{n}\"></label><label class=\"box\">à <input type=\"time\" name=\"creneau_fin_{n}\"></label></p>"
        ));
    }
    format!(
        "<h2>Nouvel appel <span class=\"en\" lang=\"en\">New call</span></h2><form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label>Titre <input type=\"text\" name=\"titre\" required maxlength=\"200\"></label>\
<label>Description <textarea name=\"description\" rows=\"4\" required maxlength=\"10000\"></textarea></label>\
{skills}<fieldset><legend>Créneaux <span class=\"en\" lang=\"en\">Time slots</span></legend>{rows}</fieldset>\
<label>Engagement <span class=\"en\" lang=\"en\">(commitment)</span> <input type=\"text\" name=\"engagement\" maxlength=\"300\" placeholder=\"2 h par semaine\"></label>\
<label>Nombre de bénévoles <input type=\"number\" name=\"places\" min=\"1\" max=\"1000\" value=\"1\" required></label>\
<label>Date limite <input type=\"date\" name=\"date_limite\" required></label>\
<label class=\"box\"><input type=\"checkbox\" name=\"mineurs\"> Ouvert aux mineur·es</label>\
{audience}{access}\
<label>Contact (nom) <input type=\"text\" name=\"contact_nom\" maxlength=\"200\"></label>\
<label>Contact (courriel) <input type=\"email\" name=\"contact_email\" required maxlength=\"254\"></label>\
<p><button name=\"action\" value=\"nouvel_appel\">Enregistrer le brouillon <span lang=\"en\">/ Save the draft</span></button></p></form>",
        skills = concept_boxes(
            "competences",
            "Compétences recherchées",
            &o.skill_groups,
            &[],
            None
        ),
        access = accessibility_boxes(o, "accessibilite", "Accessibilité de la mission", &[]),
        audience = {
            let mut a = String::from(
                "<fieldset><legend>Public visé <span class=\"en\" lang=\"en\">Audience</span></legend>",
            );
            for c in &o.audiences {
                a.push_str(&format!(
                    "<label class=\"box\"><input type=\"checkbox\" name=\"public\" value=\"{}\"> {}</label> ",
                    esc(&c.iri),
                    esc(&c.fr)
                ));
            }
            a.push_str("</fieldset>");
            a
        },
    )
}

fn settings_form(state: &AppState, s: &PlaceOrientation, csrf: &str) -> String {
    let o = &state.orientation;
    format!(
        "<h2>Ce que le lieu accepte <span class=\"en\" lang=\"en\">What the place takes</span></h2><form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{services}{skills}\
{hours}<label>Demandes suivies en même temps, au plus <span class=\"en\" lang=\"en\">(capacity)</span> <input type=\"number\" name=\"capacite\" min=\"0\" max=\"10000\" value=\"{cap}\"></label>\
<label>Durée de conservation des demandes, en jours (RGPD) <span class=\"en\" lang=\"en\">(retention)</span> <input type=\"number\" name=\"conservation\" min=\"{min}\" max=\"{max}\" value=\"{days}\"></label>\
<p><button name=\"action\" value=\"reglages\">Enregistrer <span lang=\"en\">/ Save</span></button></p></form>",
        services = concept_boxes(
            "services",
            "Types de demandes de service acceptés",
            &o.service_groups,
            &s.services,
            None
        ),
        skills = concept_boxes(
            "competences",
            "Compétences que les résident·es offrent pour ces services",
            &o.skill_groups,
            &s.skills,
            None
        ),
        hours = super::week_grid(
            "horaires",
            "Horaires d'accueil des demandes <span class=\"en\" lang=\"en\">When the place receives people</span>",
            &super::grid_codes(&s.hours)
        ),
        cap = s.capacity,
        days = s.retention_days,
        min = kommon_orientation::desk::RETENTION_DAYS.0,
        max = kommon_orientation::desk::RETENTION_DAYS.1,
    )
}

fn back(slug: &str, key: &str, text: &str) -> Response {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair(key, text)
        .finish();
    redirect(&format!("/{slug}/orientation?{q}"))
}

/// `POST /{slug}/orientation`: a moderator's decision or a new call.
pub async fn act(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields = match read_form(&headers, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (_, c) = match crate::login::with_role_and_form(
        &state,
        &headers,
        &slug,
        "orientation",
        Role::Moderator,
        fields_of::one(&fields, "csrf"),
    ) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match decide(&state, &c, &fields).await {
        Ok(done) => back(&slug, "fait", &done),
        Err(message) => back(&slug, "erreur", &message),
    }
}

/// A request the network routes is decided by the places it goes to, not by the network's
/// own moderators.
fn not_routed(state: &AppState, slug: &str, token: &str) -> Result<(), String> {
    match state.orientation.desk.request(slug, token) {
        Ok(Some(r)) if !r.route.is_empty() => {
            Err(kommon_orientation::OrientationError::Routed.to_string())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

async fn decide(state: &AppState, c: &Community, fields: &Fields) -> Result<String, String> {
    let o = &state.orientation;
    let slug = &c.slug;
    let today = super::today();
    let call_of = |id: &str| -> Result<CallForVolunteers, String> {
        o.desk
            .call(slug, id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "appel introuvable / no such call".to_owned())
    };
    match fields_of::one(fields, "action") {
        "nouvel_appel" => {
            let id = uuid::Uuid::new_v4().to_string();
            let call = CallForVolunteers::from_form(
                fields,
                &id,
                slug,
                &o.skills,
                &o.call_choices(),
                today,
                now_ms(),
            )
            .map_err(|e| e.to_string())?;
            o.desk.put_call(&call).map_err(|e| e.to_string())?;
            Ok(format!(
                "Brouillon « {} » enregistré : publiez-le quand il est prêt. / Draft saved.",
                call.title
            ))
        }
        "publier" => {
            let call = call_of(fields_of::one(fields, "appel"))?;
            let (call, _) = super::calls::publish(state, c, call)
                .await
                .map_err(|r| r.1)?;
            Ok(format!("« {} » est publié. / Published.", call.title))
        }
        "clore" => {
            let call = super::calls::close(state, c, fields_of::one(fields, "appel"))
                .await
                .map_err(|r| r.1)?;
            Ok(format!("« {} » est clos. / Closed.", call.title))
        }
        "accepter" => {
            let token = fields_of::one(fields, "demande");
            not_routed(state, slug, token)?;
            let call_id = Some(fields_of::one(fields, "appel")).filter(|s| !s.is_empty());
            let (r, call) = o
                .desk
                .accept(
                    slug,
                    token,
                    call_id,
                    fields_of::one(fields, "note"),
                    today,
                    now_ms(),
                )
                .map_err(|e| e.to_string())?;
            if let Some(call) = &call
                && call.status == CallStatus::Closed
                && let Err(e) = super::calls::announce_closed(state, c, call).await
            {
                tracing::warn!(error = %e.1, "announcing a filled call");
            }
            tell_decision(state, c, &r, call.as_ref()).await;
            Ok(match &call {
                Some(call) => format!(
                    "{} est retenu·e pour « {} » et en est prévenu·e. / Accepted.",
                    r.name, call.title
                ),
                None => format!(
                    "La demande de {} est acceptée ; la personne est prévenue. / Accepted.",
                    r.name
                ),
            })
        }
        "refuser" => {
            not_routed(state, slug, fields_of::one(fields, "demande"))?;
            let r = o
                .desk
                .decline(
                    slug,
                    fields_of::one(fields, "demande"),
                    fields_of::one(fields, "raison"),
                    today,
                    now_ms(),
                )
                .map_err(|e| e.to_string())?;
            tell_decision(state, c, &r, None).await;
            Ok(format!(
                "La demande de {} est déclinée ; la personne reçoit la raison. / Declined.",
                r.name
            ))
        }
        "reglages" => {
            let mut s = o.desk.settings(slug).map_err(|e| e.to_string())?;
            let services = fields_of::all(fields, "services", 60);
            o.services.ids(&services).map_err(|e| e.to_string())?;
            let skills = fields_of::all(fields, "competences", 200);
            o.skills.ids(&skills).map_err(|e| e.to_string())?;
            let capacity = fields_of::one(fields, "capacite")
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 10_000)
                .ok_or(
                    "la capacité doit être un nombre de 0 à 10 000 / capacity must be 0 to 10,000",
                )?;
            let (min, max) = kommon_orientation::desk::RETENTION_DAYS;
            let days = fields_of::one(fields, "conservation")
                .parse::<u32>()
                .ok()
                .filter(|d| (min..=max).contains(d))
                .ok_or(format!(
                    "la conservation va de {min} à {max} jours / retention is {min} to {max} days"
                ))?;
            s.hours =
                fields_of::weekly_availability(fields, "horaires").map_err(|e| e.to_string())?;
            s.services = services;
            s.skills = skills;
            s.capacity = capacity;
            s.retention_days = days;
            o.desk.set_settings(slug, &s).map_err(|e| e.to_string())?;
            // Its followers (the network among them) learn what it now takes.
            crate::admin_pages::announce_profile(state, c).await;
            Ok("Réglages enregistrés. / Settings saved.".to_owned())
        }
        _ => Err("action inconnue / unknown action".to_owned()),
    }
}

/// Tells the person what the place decided: by email when they gave one, by `Accept` or
/// `Reject` of their offer when it came from their pod.
async fn tell_decision(
    state: &AppState,
    c: &Community,
    r: &HelpRequest,
    call: Option<&CallForVolunteers>,
) {
    if r.actor.is_some() {
        let contact = if c.profile.contact.is_empty() {
            String::new()
        } else {
            format!(" Contact : {}.", c.profile.contact)
        };
        let (accepted, text) = match &r.status {
            RequestStatus::Accepted { note, .. } => (
                true,
                format!(
                    "{} accepte votre {}{}. {note}{contact}",
                    c.name,
                    super::what(r.kind).0,
                    call.map(|c| format!(" pour « {} »", c.title))
                        .unwrap_or_default()
                ),
            ),
            RequestStatus::Declined { reason, .. } => (false, reason.clone()),
            _ => return,
        };
        super::pods::answer(state, &c.slug, r, accepted, text.trim()).await;
        // Whoever sent it (a pod, or the network relaying the person) tells them.
        return;
    }
    let Some(email) = &r.email else { return };
    let follow = format!("{}/{}/suivi/{}", state.federation.base, c.slug, r.token);
    let (subject, text) = match &r.status {
        RequestStatus::Accepted { note, .. } => (
            format!("{} a accepté votre {}", c.name, super::what(r.kind).0),
            format!(
                "Bonjour {},\n\n{} a accepté votre {}{}.\n{}{}{}\nLe suivi : {follow}\n\n--\nHello, {} accepted your {}. Details: {follow}\n",
                r.name,
                c.name,
                super::what(r.kind).0,
                call.map(|c| format!(" pour l'appel « {} »", c.title))
                    .unwrap_or_default(),
                if note.is_empty() {
                    String::new()
                } else {
                    format!("Message de l'équipe : {note}\n")
                },
                if r.kind == RequestKind::Residency {
                    format!(
                        "Pour entrer dans la résidentothèque, envoyez depuis votre pod{} une demande pour rejoindre {} : elle sera acceptée d'office.\n",
                        r.webid
                            .as_deref()
                            .map(|w| format!(" ({w})"))
                            .unwrap_or_default(),
                        state.federation.community_id(&c.slug)
                    )
                } else {
                    String::new()
                },
                call.map(|c| format!("Contact : {} {}\n", c.contact_name, c.contact_email))
                    .unwrap_or_else(|| if c.profile.contact.is_empty() {
                        String::new()
                    } else {
                        format!("Contact : {}\n", c.profile.contact)
                    }),
                c.name,
                super::what(r.kind).1,
            ),
        ),
        RequestStatus::Declined { reason, .. } => (
            format!("{} : réponse à votre demande", c.name),
            format!(
                "Bonjour {},\n\n{} ne peut pas donner suite : {reason}\nD'autres lieux peuvent vous aider : {}/\nLe suivi : {follow}\n\n--\nHello, {} cannot follow up: {reason}\n",
                r.name, c.name, state.federation.base, c.name,
            ),
        ),
        _ => return,
    };
    crate::notify::tell(state, email, &subject, text);
}
