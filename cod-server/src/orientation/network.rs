//! Orientation on the network: « Je veux aider » ranks the open calls and the places of every
//! member for what a person says they can do; « J'ai besoin d'un coup de main » ranks the
//! places that take the service asked and the residents who offer it, and routes a request
//! sent from there to the best places in turn, under their control: the network sends it to
//! the first as an `Offer`; its moderators accept (the person is told, with the place's
//! contact) or decline (it goes to the next place); the person can withdraw at any time
//! (`Undo` to the place that has it).

use super::{
    STYLE, accessibility_boxes, availability_grid, commune_select, concept_boxes, read_form,
    refused,
};
use crate::app::AppState;
use crate::login::redirect;
use crate::network::NetworkSite;
use crate::pages::esc;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kommon_activitypub::delivery::now_ms;
use kommon_activitypub::inbox::ReceivedActivity;
use kommon_activitypub::json;
use kommon_network::{Entry, Kind};
use kommon_orientation::form::{self as form, Fields};
use kommon_orientation::{
    Asked, HelpRequest, Matcher, OrientationError, Profile, ProfileKind, RequestKind,
    RequestStatus, Suggestion,
};
use kommon_rdf::StoreError;
use serde_json::{Value, json};
use std::sync::Arc;

/// How many places a request is routed to, at most, one after the other.
const ROUTE_LENGTH: usize = 3;

/// The network's candidates, rebuilt when its index changes.
pub struct NetworkCandidates {
    generation: u64,
    built: std::time::Instant,
    matcher: Matcher,
}

/// How stale the network's candidates may be: a busy network changes its index every few
/// seconds, and rebuilding for 150,000 residents takes a tenth of a second or more.
const REBUILD_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

fn asked(ids: Vec<kommon_orientation::ConceptId>) -> Vec<Asked> {
    ids.into_iter()
        .map(|concept| Asked {
            concept,
            said: None,
        })
        .collect()
}

/// The candidates of the network: its open calls, its places (with what they take and what
/// their residents can do) and its residents.
fn build(state: &AppState, net: &NetworkSite) -> NetworkCandidates {
    let o = &state.orientation;
    let generation = net.index.generation();
    let mut m = Matcher::new(&o.skills, &o.services);
    let now = now_ms() as i64;
    let residents = net.index.all_of(Kind::Resident);
    for place in net.index.all_of(Kind::Place) {
        let mut p = Profile::new(&place.id, ProfileKind::Place, &place.label);
        let mut skills: Vec<&str> = place.skills.iter().map(String::as_str).collect();
        for r in residents.iter().filter(|r| r.places.contains(&place.id)) {
            skills.extend(r.skills.iter().map(String::as_str));
        }
        p.skills = asked(o.skills.known_ids(skills));
        p.services = asked(
            o.services
                .known_ids(place.services.iter().map(String::as_str)),
        );
        p.point = net.index.point_of(&place);
        p.place = Some(place.id.clone());
        p.commune = place.commune.clone();
        if let Ok(Some(g)) = net
            .records
            .store()
            .get_document(oxrdf::NamedNodeRef::new_unchecked(&place.id))
        {
            p.slots = kommon_orientation::graph::opening_hours(&g, &place.id);
        }
        m.add(p);
    }
    for r in &residents {
        let mut p = Profile::new(&r.id, ProfileKind::Resident, &r.label);
        p.skills = asked(o.skills.known_ids(r.skills.iter().map(String::as_str)));
        p.point = net.index.point_of(r);
        p.place = r.places.first().cloned();
        p.commune = r.commune.clone();
        m.add(p);
    }
    for call in net.index.all_of(Kind::Call) {
        if call.end_ms().is_some_and(|end| end < now) {
            continue;
        }
        let mut p = Profile::new(&call.id, ProfileKind::Call, &call.label);
        p.skills = asked(o.skills.known_ids(call.skills.iter().map(String::as_str)));
        p.point = net.index.point_of(&call);
        p.place = call.places.first().cloned();
        p.commune = call.commune.clone();
        if let Ok(Some(g)) = net
            .records
            .store()
            .get_document(oxrdf::NamedNodeRef::new_unchecked(&call.id))
        {
            p.slots = kommon_orientation::graph::time_slots(&g, &call.id);
            p.minors_welcome = kommon_orientation::graph::minors_accepted(&g, &call.id);
            p.provides = kommon_orientation::graph::accessibility(&g, &call.id);
        }
        m.add(p);
    }
    NetworkCandidates {
        generation,
        built: std::time::Instant::now(),
        matcher: m,
    }
}

/// The network's candidates, as of its index now.
async fn candidates(state: &AppState, net: &Arc<NetworkSite>) -> Arc<NetworkCandidates> {
    let fresh_enough = || {
        let cached = state.orientation.network.lock();
        cached
            .as_ref()
            .filter(|c| c.generation == net.index.generation() || c.built.elapsed() < REBUILD_AFTER)
            .cloned()
    };
    if let Some(c) = fresh_enough() {
        return c;
    }
    // One rebuild at a time: searches that arrive meanwhile wait for it and take its result.
    let _rebuilding = state.orientation.rebuilding.lock().await;
    if let Some(c) = fresh_enough() {
        return c;
    }
    // Built off the request workers.
    let (s, n) = (state.clone(), net.clone());
    let fresh = match tokio::task::spawn_blocking(move || Arc::new(build(&s, &n))).await {
        Ok(c) => c,
        Err(_) => Arc::new(build(state, net)),
    };
    *state.orientation.network.lock() = Some(fresh.clone());
    fresh
}

/// What a person searches for: the fields of the search form, as a seeker.
fn seeker(
    state: &AppState,
    net: &NetworkSite,
    fields: &Fields,
    kind: ProfileKind,
) -> Result<Profile, OrientationError> {
    let o = &state.orientation;
    let text = form::text(fields, "message", "message", 4000, false)?;
    let mut p = Profile::new("seeker", kind, "");
    p.skills = o
        .skills
        .asked(&form::all(fields, "competences", 30), &text)?;
    p.services = o
        .services
        .asked(&form::all(fields, "services", 30), &text)?;
    let mut slots = form::weekly_availability(fields, "dispo")?;
    slots.extend(form::slot_rows(fields, "date", 3, None, None)?);
    kommon_orientation::slots::check_all(&slots)?;
    p.slots = slots;
    match form::one(fields, "commune") {
        "" => {}
        c if o.choices().communes.iter().any(|k| k == c) => {
            p.point = o.commune_point(c);
            p.commune = Some(c.to_owned());
            p.preferred_communes = vec![c.to_owned()];
        }
        c => {
            return Err(OrientationError::UnknownValue(
                "commune",
                c.chars().take(120).collect(),
            ));
        }
    }
    p.max_km = match form::one(fields, "distance") {
        "" => None,
        d => match d.parse::<f64>() {
            Ok(km) if (0.1..=100.0).contains(&km) => Some(km),
            _ => return Err(OrientationError::OutOfRange("distance (km)", 0.1, 100.0)),
        },
    };
    p.minor = form::checked(fields, "mineur");
    p.preferred_places = form::all(fields, "lieux", 20);
    if let Some(bad) = p
        .preferred_places
        .iter()
        .find(|l| net.index.get(l).is_none_or(|e| e.kind != Kind::Place))
    {
        return Err(OrientationError::UnknownValue(
            "lieux",
            bad.chars().take(120).collect(),
        ));
    }
    p.needs = form::all(fields, "besoins", 30);
    if let Some(bad) = p.needs.iter().find(|n| !o.accessibility_iris().contains(n)) {
        return Err(OrientationError::UnknownValue(
            "accessibilité",
            bad.chars().take(120).collect(),
        ));
    }
    Ok(p)
}

fn query_fields(raw: Option<String>) -> Fields2 {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .take(200)
        .collect()
}

type Fields2 = Vec<(String, String)>;

fn results(state: &AppState, net: &NetworkSite, list: &[Suggestion], what: &str) -> String {
    let ctx = state.orientation.context();
    if list.is_empty() {
        return format!(
            "<p>Aucun {what} ne correspond pour l'instant. <span class=\"en\" lang=\"en\">Nothing fits yet.</span></p>"
        );
    }
    let mut out = String::from("<ol class=\"why\">");
    for s in list {
        let entry: Option<Arc<Entry>> = net.index.get(&s.id);
        let (href, action) = match s.kind {
            ProfileKind::Call => (s.id.clone(), "Proposer mon aide / Offer my help"),
            ProfileKind::Place => (
                format!("{}/benevolat", s.id),
                "Voir le lieu / See the place",
            ),
            _ => (
                format!(
                    "/fiche?id={}",
                    form_urlencoded::byte_serialize(s.id.as_bytes()).collect::<String>()
                ),
                "Voir la fiche / See the card",
            ),
        };
        let place = entry
            .as_ref()
            .and_then(|e| e.places.first())
            .and_then(|p| net.index.get(p))
            .filter(|_| s.kind != ProfileKind::Place)
            .map(|p| format!(" — {}", esc(&p.label)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<li><strong>{}</strong>{place}<br>{} <span class=\"en\" lang=\"en\">({})</span><br><a href=\"{}\">{action}</a></li>",
            esc(&s.name),
            esc(&s.explain_fr(ctx)),
            esc(&s.explain_en(ctx)),
            esc(&href),
        ));
    }
    out.push_str("</ol>");
    out
}

fn search_form(
    state: &AppState,
    net: &NetworkSite,
    action: &str,
    services: bool,
    fields: &Fields,
) -> String {
    let o = &state.orientation;
    let chosen = form::all(fields, "lieux", 20);
    let mut places = String::from(
        "<fieldset><legend>Les lieux où j'aimerais aller <span class=\"en\" lang=\"en\">Places I would like to go to</span></legend>",
    );
    for p in net.index.all_of(Kind::Place) {
        places.push_str(&format!(
            "<label class=\"box\"><input type=\"checkbox\" name=\"lieux\" value=\"{}\"{}> {}</label> ",
            esc(&p.id),
            if chosen.contains(&p.id) { " checked" } else { "" },
            esc(&p.label)
        ));
    }
    places.push_str("</fieldset>");
    format!(
        "<form method=\"get\" action=\"{action}\" role=\"search\"><label>{label} <textarea name=\"message\" rows=\"3\" maxlength=\"4000\">{text}</textarea></label>{concepts}{grid}{commune}\
{places}<label>Distance maximale <span class=\"en\" lang=\"en\">(how far)</span> <select name=\"distance\"><option value=\"\">Peu importe / Any</option><option value=\"1\">1 km</option><option value=\"3\">3 km</option><option value=\"5\">5 km</option><option value=\"10\">10 km</option></select></label>{minor}{needs}\
<p><button>Voir ce qui me correspond <span lang=\"en\">/ See what fits</span></button></p></form>",
        label = if services {
            "Ce dont j'ai besoin <span class=\"en\" lang=\"en\">(what I need)</span>"
        } else {
            "Ce que je sais faire <span class=\"en\" lang=\"en\">(what I can do)</span>"
        },
        text = esc(form::one(fields, "message")),
        concepts = if services {
            concept_boxes(
                "services",
                "Le service dont j'ai besoin <span class=\"en\" lang=\"en\">The service I need</span>",
                &o.service_groups,
                &form::all(fields, "services", 30),
                None,
            )
        } else {
            concept_boxes(
                "competences",
                "Mes compétences <span class=\"en\" lang=\"en\">My skills</span>",
                &o.skill_groups,
                &form::all(fields, "competences", 30),
                None,
            )
        },
        grid = availability_grid("dispo"),
        commune = commune_select(
            o,
            "commune",
            "Ma commune <span class=\"en\" lang=\"en\">(my town)</span>"
        ),
        minor = if services {
            ""
        } else {
            "<label class=\"box\"><input type=\"checkbox\" name=\"mineur\"> J'ai moins de 18 ans <span class=\"en\" lang=\"en\">(I am under 18)</span></label>"
        },
        needs = accessibility_boxes(
            o,
            "besoins",
            "J'ai besoin de <span class=\"en\" lang=\"en\">I need</span>",
            &form::all(fields, "besoins", 30)
        ),
    )
}

fn has_criteria(fields: &Fields) -> bool {
    ["message", "competences", "services", "dispo", "commune"]
        .iter()
        .any(|k| !form::one(fields, k).is_empty())
}

/// `GET /benevolat` on the network: the calls and places that fit what a person can do.
pub async fn volunteer(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let net = match crate::network::site::network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let fields = query_fields(raw);
    let mut body = format!(
        "{STYLE}<h1>Je veux aider</h1><p class=\"lead\">Dites ce que vous savez faire et quand vous êtes libre : voici les appels à bénévoles et les lieux du réseau qui vous correspondent, et pourquoi. Rien n'est enregistré. <span class=\"en\" lang=\"en\">Say what you can do and when you are free: here are the calls and places that fit, and why. Nothing is recorded.</span></p>{}",
        search_form(&state, &net, "/benevolat", false, &fields)
    );
    let mut status = 200;
    if has_criteria(&fields) {
        match seeker(&state, &net, &fields, ProfileKind::Volunteer) {
            Ok(p) => {
                let c = candidates(&state, &net).await;
                let ctx = state.orientation.context();
                let calls = c.matcher.suggest(ctx, &p, &[ProfileKind::Call], 10);
                let places = c.matcher.suggest(ctx, &p, &[ProfileKind::Place], 5);
                body.push_str(&format!(
                    "<h2>Appels à bénévoles <span class=\"en\" lang=\"en\">Calls for volunteers</span></h2>{}<h2>Lieux <span class=\"en\" lang=\"en\">Places</span></h2>{}",
                    results(&state, &net, &calls, "appel"),
                    results(&state, &net, &places, "lieu"),
                ));
            }
            Err(e) => {
                status = e.status();
                body.push_str(&format!(
                    "<p class=\"error\" role=\"alert\">{}</p>",
                    esc(&e.to_string())
                ));
            }
        }
    }
    let mut r =
        crate::network::site::site_page(&state, &net, "/benevolat", "Je veux aider", "", &body);
    *r.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    r
}

/// `GET /coup-de-main` on the network: the places that take the service asked and the
/// residents who offer it; and the form that sends the request to the best places in turn.
pub async fn help(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let net = match crate::network::site::network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let fields = query_fields(raw);
    let mut body = format!(
        "{STYLE}<h1>J'ai besoin d'un coup de main</h1><p class=\"lead\">Dites ce dont vous avez besoin : voici les lieux du réseau qui peuvent vous aider et les résident·es qui savent le faire. Vous pouvez ensuite envoyer votre demande : elle va au lieu le mieux placé, puis au suivant s'il ne peut pas. <span class=\"en\" lang=\"en\">Say what you need: here are the places and residents who can help. Then send your request: it goes to the best place, then the next one if it cannot.</span></p>{}",
        search_form(&state, &net, "/coup-de-main", true, &fields)
    );
    let mut status = 200;
    if has_criteria(&fields) {
        match seeker(&state, &net, &fields, ProfileKind::Request) {
            Ok(p) => {
                let c = candidates(&state, &net).await;
                let ctx = state.orientation.context();
                let places = c.matcher.suggest(ctx, &p, &[ProfileKind::Place], 5);
                let residents = c.matcher.suggest(ctx, &p, &[ProfileKind::Resident], 8);
                body.push_str(&format!(
                    "<h2>Lieux <span class=\"en\" lang=\"en\">Places</span></h2>{}<h2>Résident·es <span class=\"en\" lang=\"en\">Residents</span></h2>{}",
                    results(&state, &net, &places, "lieu"),
                    results(&state, &net, &residents, "résident·e"),
                ));
                if places.iter().any(|s| takes_request(&net, &s.id)) {
                    body.push_str(&send_form(&state, &net, &fields));
                }
            }
            Err(e) => {
                status = e.status();
                body.push_str(&format!(
                    "<p class=\"error\" role=\"alert\">{}</p>",
                    esc(&e.to_string())
                ));
            }
        }
    }
    let mut r =
        crate::network::site::site_page(&state, &net, "/coup-de-main", "Coup de main", "", &body);
    *r.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    r
}

/// How many places the « coup de main » page shows (and a request may be routed to).
const SHOWN_PLACES: usize = 5;

/// Whether a member place takes the service asked (the same, a broader or a narrower one);
/// any service request when the person named no service.
fn takes_service(state: &AppState, net: &NetworkSite, place: &str, seeker: &Profile) -> bool {
    let Some(p) = net.index.get(place) else {
        return false;
    };
    if seeker.services.is_empty() {
        return !p.services.is_empty();
    }
    let n = &state.orientation.services;
    seeker.services.iter().any(|asked| {
        p.services.iter().filter_map(|s| n.id(s)).any(|offered| {
            matches!(
                n.closeness(asked.concept, offered).1,
                Some(
                    kommon_orientation::Relation::Exact
                        | kommon_orientation::Relation::Broader
                        | kommon_orientation::Relation::Narrower
                )
            )
        })
    })
}

/// Whether a member place says it takes service requests.
fn takes_request(net: &NetworkSite, place: &str) -> bool {
    net.index.get(place).is_some_and(|p| !p.services.is_empty())
}

fn send_form(state: &AppState, net: &NetworkSite, fields: &Fields) -> String {
    let mut hidden = String::new();
    for (k, v) in fields.iter().filter(|(k, _)| {
        [
            "message", "services", "dispo", "commune", "distance", "besoins", "lieux",
        ]
        .contains(&k.as_str())
    }) {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        ));
    }
    let days = state
        .orientation
        .desk
        .settings(&net.slug)
        .map(|s| s.retention_days)
        .unwrap_or(90);
    format!(
        "<h2 id=\"envoyer\">Envoyer ma demande <span class=\"en\" lang=\"en\">Send my request</span></h2><form method=\"post\" action=\"/coup-de-main\">{hidden}\
<label>Prénom ou nom <span class=\"en\" lang=\"en\">(name)</span> <input type=\"text\" name=\"nom\" required maxlength=\"120\" autocomplete=\"name\"></label>\
<label>Courriel <span class=\"en\" lang=\"en\">(email)</span> <input type=\"email\" name=\"courriel\" required maxlength=\"254\" autocomplete=\"email\"></label>\
<label class=\"box\"><input type=\"checkbox\" name=\"consentement\" required> J'accepte que le réseau conserve ma demande et la transmette, avec mon nom et mon courriel, aux lieux ci-dessus l'un après l'autre jusqu'à ce que l'un d'eux l'accepte <span class=\"en\" lang=\"en\">(I agree that the network keeps my request and passes it, with my name and email, to the places above one after the other until one accepts)</span></label>\
<p><button>Envoyer <span lang=\"en\">/ Send</span></button></p></form><p><small>Le réseau efface votre demande au bout de {days} jours ; chaque lieu qui la reçoit l'efface au bout de la durée qu'il affiche sur sa page « coup de main ». Tous l'effacent dès que vous la retirez (lien de suivi). <span class=\"en\" lang=\"en\">The network erases it after {days} days, each place after the time shown on its page; all erase it as soon as you withdraw.</span></small></p>"
    )
}

/// `POST /coup-de-main` on the network: the request is kept and sent to the best place.
pub async fn send(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let net = match crate::network::site::network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let back = "/coup-de-main";
    let fields = match read_form(&headers, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !super::public::within_rate(&state, &net.slug) {
        return refused(
            429,
            "Trop de demandes",
            "Trop de formulaires reçus en une minute : réessayez dans un moment. / Too many forms in a minute.",
            back,
        );
    }
    let o = &state.orientation;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut request = match HelpRequest::from_form(
        &fields,
        RequestKind::Service,
        &token,
        &net.slug,
        &o.choices(),
        now_ms(),
    ) {
        Ok(r) => r,
        Err(e) => {
            return refused(
                e.status(),
                "Le formulaire n'est pas complet",
                &e.to_string(),
                back,
            );
        }
    };
    let seeker = match seeker(&state, &net, &fields, ProfileKind::Request) {
        Ok(p) => p,
        Err(e) => {
            return refused(
                e.status(),
                "Le formulaire n'est pas complet",
                &e.to_string(),
                back,
            );
        }
    };
    let c = candidates(&state, &net).await;
    request.route = c
        .matcher
        // Among the places the person saw (the consent names them), those that take it.
        .suggest(o.context(), &seeker, &[ProfileKind::Place], SHOWN_PLACES)
        .into_iter()
        .filter(|s| takes_service(&state, &net, &s.id, &seeker))
        .take(ROUTE_LENGTH)
        .map(|s| s.id)
        .collect();
    if request.route.is_empty() {
        return refused(
            409,
            "Aucun lieu",
            "Aucun lieu du réseau ne prend ce type de demande pour l'instant. / No place of the network takes this kind of request yet.",
            back,
        );
    }
    if let Err(e) = o.desk.add_request(&request) {
        tracing::error!(error = %e, "recording a request");
        return crate::app::plain(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "the store failed",
        );
    }
    if let Err(e) = route_to(&state, &net, &token, 0).await {
        tracing::error!(error = %e, "routing a request");
    }
    let follow = format!("{}/{}/suivi/{token}", state.federation.base, net.slug);
    // Nothing the sender wrote in the email, and one an hour per address: the form is open.
    if let Some(email) = &request.email
        && o.may_email(email)
    {
        crate::notify::tell(
            &state,
            email,
            "Votre demande est bien reçue",
            format!(
                "Bonjour,\n\nVotre demande est bien reçue et transmise au lieu le mieux placé pour y répondre. Vous pouvez la suivre, ou la retirer, ici :\n{follow}\n\nSi vous n'avez rien demandé, retirez-la avec ce lien.\n\n--\nHello, your request was received and sent to the best place. Follow or withdraw it here: {follow}\n"
            ),
        );
    }
    redirect(&format!("/{}/suivi/{token}?nouveau=1", net.slug))
}

/// Sends request `token` to the place at `at` of its route, as an `Offer` of a
/// `kommon:ServiceRequest` carrying the person's contact (they consented).
async fn route_to(
    state: &AppState,
    net: &NetworkSite,
    token: &str,
    at: usize,
) -> Result<(), StoreError> {
    let fed = &state.federation;
    let activity_id = fed.new_id(&net.slug, "activities");
    let desk = &state.orientation.desk;
    let r = match desk.update_pending(&net.slug, token, |r| {
        r.route_at = at;
        r.activity = Some(activity_id.clone());
        r.trail.push(activity_id.clone());
        r.route_offers.push(activity_id.clone());
    }) {
        Ok(r) => r,
        Err(OrientationError::Store(e)) => return Err(e),
        Err(_) => return Ok(()),
    };
    let Some(place) = r.route.get(at).cloned() else {
        return Ok(());
    };
    let schedules: Vec<Value> = r
        .slots
        .iter()
        .map(kommon_orientation::call::schedule_of)
        .collect();
    let offer = json!({
        "@context": [kommon_activitypub::AS_CONTEXT, kommon_vocab::CONTEXT_IRI],
        "id": activity_id,
        "type": "Offer",
        "to": [place],
        "target": place,
        "object": {
            "type": "kommon:ServiceRequest",
            "content": r.text,
            "kommon:requestType": r.services,
            "schema:skills": r.skills,
            "kommon:commune": r.commune,
            "kommon:availability": schedules,
            "schema:contactPoint": {
                "type": "schema:ContactPoint",
                "schema:name": r.name,
                "schema:email": r.email,
            },
        },
    });
    fed.answer(&net.slug, offer).await?;
    // Withdrawn while it was being sent: the place is told at once, and the copy here erased.
    if desk
        .request(&net.slug, token)?
        .is_some_and(|now| matches!(now.status, RequestStatus::Withdrawn { .. }))
    {
        let undo = json!({"type": "Undo", "object": activity_id, "to": [place]});
        fed.answer(&net.slug, undo).await?;
        super::erase_trail(state, std::slice::from_ref(&activity_id)).await;
    }
    Ok(())
}

/// A place's `Accept` or `Reject` of a request the network routed to it: accepted, the
/// person is told with the place's answer; declined, it goes to the next place, or, when none
/// is left, the person is told. Whether it was one.
pub async fn answered(
    state: &AppState,
    slug: &str,
    r: &ReceivedActivity,
) -> Result<bool, StoreError> {
    let a = &r.activity;
    let accepted = json::has_type(a, "Accept");
    if !accepted && !json::has_type(a, "Reject") {
        return Ok(false);
    }
    let Some(offer) = a.get("object").and_then(json::id_of) else {
        return Ok(false);
    };
    let desk = &state.orientation.desk;
    let Some(request) = desk
        .request_by_activity(slug, offer)?
        .filter(|q| q.route.get(q.route_at) == Some(&r.signer))
    else {
        return Ok(false);
    };
    let Some(net) = state.network.clone().filter(|n| n.slug == slug) else {
        return Ok(false);
    };
    let place_name = net
        .index
        .get(&r.signer)
        .map(|p| p.label.clone())
        .unwrap_or_else(|| r.signer.clone());
    let said: String = a
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(2000)
        .collect();
    let follow = format!("{}/{slug}/suivi/{}", state.federation.base, request.token);
    desk.add_to_trail(slug, &request.token, &r.id)?;
    if accepted {
        let note = format!("{place_name} : {said}");
        match desk.accept(slug, &request.token, None, &note, super::today(), now_ms()) {
            Ok((r, _)) => {
                if let Some(email) = &r.email {
                    crate::notify::tell(
                        state,
                        email,
                        &format!("{place_name} a accepté votre demande"),
                        format!(
                            "Bonjour {},\n\n{place_name} a accepté votre demande.\n{said}\n\nLe suivi : {follow}\n\n--\nHello, {place_name} accepted your request. {follow}\n",
                            r.name
                        ),
                    );
                }
            }
            Err(OrientationError::Store(e)) => return Err(e),
            Err(e) => tracing::info!(error = %e, "an answer to a request already decided"),
        }
        return Ok(true);
    }
    let next = request.route_at + 1;
    if next < request.route.len() {
        route_to(state, &net, &request.token, next).await?;
    } else {
        let reason = format!(
            "Aucun des lieux sollicités n'a pu répondre. Dernière réponse, de {place_name} : {said}"
        );
        match desk.decline(slug, &request.token, &reason, super::today(), now_ms()) {
            Ok(r) => {
                if let Some(email) = &r.email {
                    crate::notify::tell(
                        state,
                        email,
                        "Réponse à votre demande",
                        format!(
                            "Bonjour {},\n\n{reason}\n\nLe suivi : {follow}\n\n--\nHello, none of the places could answer. {follow}\n",
                            r.name
                        ),
                    );
                }
            }
            Err(OrientationError::Store(e)) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(true)
}

/// The person withdraws a routed request: the place that has it is told (`Undo`).
pub async fn withdrawn(state: &AppState, slug: &str, before: &HelpRequest) {
    // Every place it went to, the ones that declined or accepted too: each erases its copy.
    for (offer, place) in before.route_offers.iter().zip(&before.route) {
        let undo = json!({"type": "Undo", "object": offer, "to": [place]});
        if let Err(e) = state.federation.answer(slug, undo).await {
            tracing::error!(error = %e, "telling a place a request was withdrawn");
        }
    }
}

/// What the follow-up page says of a request the network routes.
pub fn route_status(state: &AppState, r: &HelpRequest) -> String {
    if r.route.is_empty() || r.status != RequestStatus::Pending {
        return String::new();
    }
    let name = |iri: &str| {
        state
            .network
            .as_ref()
            .and_then(|n| n.index.get(iri))
            .map(|e| e.label.clone())
            .unwrap_or_else(|| iri.to_owned())
    };
    format!(
        "<p>Transmise à <strong>{}</strong> (lieu {} sur {}). <span class=\"en\" lang=\"en\">Sent to this place; the next one gets it if it cannot help.</span></p>",
        esc(&r.route.get(r.route_at).map(|p| name(p)).unwrap_or_default()),
        r.route_at + 1,
        r.route.len()
    )
}
