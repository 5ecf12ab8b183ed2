//! The moderation pages, in French first: a place's pending requests with their messages, to
//! accept or refuse with a reason, and its residents, to remove with a reason. Their forms go
//! through the same path as a moderator's client posting to the community's outbox.

use crate::app::{AppState, plain};
use crate::login::redirect;
use crate::pages::{esc, page};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommon_activitypub::collection::{PAGE_SIZE, PageCursor};
use kommon_community::membership::{pending_collection, residents_collection};
use kommon_solid::auth::{AuthMethod, Credentials};
use serde::Deserialize;

fn date(ms: u64) -> String {
    let d = kommon_solid::storage::xsd_datetime(ms);
    format!("{} à {}", &d[..10], &d[11..16])
}

/// The moderator behind a request, or the answer to give instead (log in, or not yours).
fn moderator(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
) -> Result<(crate::login::Session, kommon_community::Community), Response> {
    crate::login::with_role(
        state,
        headers,
        slug,
        "moderation",
        kommon_community::Role::Moderator,
    )
}

/// The moderation page's query: what was just done, or what went wrong.
#[derive(Deserialize)]
pub struct Shown {
    fait: Option<String>,
    erreur: Option<String>,
}

/// `GET /{slug}/moderation`.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<Shown>,
    headers: HeaderMap,
) -> Response {
    let (session, community) = match moderator(&state, &headers, &slug) {
        Ok(v) => v,
        Err(r) => return r,
    };
    render(&state, &slug, &session, &community, q.fait, q.erreur).await
}

/// The moderation page of `community` for a moderator's `session`.
pub async fn render(
    state: &AppState,
    slug: &str,
    session: &crate::login::Session,
    community: &kommon_community::Community,
    done: Option<String>,
    error: Option<String>,
) -> Response {
    let q = Shown {
        fait: done,
        erreur: error,
    };
    let slug = slug.to_owned();
    let fed = state.federation.clone();
    let community_id = fed.community_id(&slug);
    type Pending = (
        u64,
        Vec<kommon_community::MembershipRequest>,
        Vec<kommon_community::offers::Offer>,
        Vec<kommon_community::Residency>,
    );
    let work = move || -> Result<Pending, kommon_rdf::StoreError> {
        let pending_id = pending_collection(&community_id);
        let total = fed.collections.len(&pending_id)?;
        let page = fed
            .collections
            .page(&pending_id, PageCursor::First, PAGE_SIZE * 5)?;
        let mut requests = Vec::new();
        let mut offers = Vec::new();
        for (_, id) in page.items {
            if let Some(r) = fed.records.request(&id)? {
                requests.push(r);
            } else if let Some(o) = fed.offers.offer(&id)? {
                offers.push(o);
            }
        }
        let _ = residents_collection(&community_id);
        Ok((
            total,
            requests,
            offers,
            fed.records.residencies(&community_id)?,
        ))
    };
    let (total, requests, offers, residencies) = match tokio::task::spawn_blocking(work).await {
        Ok(Ok(v)) => v,
        _ => return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
    };
    let csrf = esc(&session.csrf);
    let mut body = format!(
        "<h1>Modération — {} <span class=\"en\" lang=\"en\">(moderation)</span></h1><p>Connecté·e : {} · <a href=\"/{}\">page du lieu</a> · {}</p>",
        esc(&community.name),
        esc(&session.webid),
        esc(&slug),
        if community.network {
            format!(
                "<a href=\"/{0}/ingestion\">ingestion</a> · <a href=\"/{0}/sources\">sources externes</a> · <a href=\"/\">site public</a>",
                esc(&slug)
            )
        } else {
            format!(
                "<a href=\"/{0}/admin\">administration</a> · <a href=\"/{0}/reseaux\">réseaux</a> · <a href=\"/{0}/orientation\">orientation (bénévolat, demandes)</a>",
                esc(&slug)
            )
        }
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
        "<h2 id=\"demandes\">{total} demande{} en attente <span class=\"en\" lang=\"en\">({total} pending)</span></h2>",
        if total > 1 { "s" } else { "" }
    ));
    for r in &requests {
        body.push_str(&format!(
            "<section style=\"border:1px solid #ccc;border-radius:.5rem;padding:.75rem;margin:.75rem 0\"><h3><a href=\"{a}\">{a}</a></h3><p>reçue le {d}</p><blockquote>{m}</blockquote>\
<form method=\"post\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"object\" value=\"{j}\"><button name=\"action\" value=\"accept\">Accepter <span lang=\"en\">/ Accept</span></button></form>\
<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"object\" value=\"{j}\"><label>Raison du refus <span class=\"en\" lang=\"en\">(reason)</span> <input name=\"reason\" required maxlength=\"2000\"></label> <button name=\"action\" value=\"reject\">Refuser <span lang=\"en\">/ Refuse</span></button></form></section>",
            a = esc(&r.actor),
            d = esc(&date(r.received_ms)),
            m = esc(&r.message),
            j = esc(&r.id),
        ));
    }
    for o in &offers {
        let name = o.object["name"]
            .as_str()
            .or(o.object["summary"].as_str())
            .unwrap_or("(sans titre)");
        let kind = if o.target.ends_with("/events") {
            "un événement"
        } else {
            "un projet"
        };
        body.push_str(&format!(
            "<section style=\"border:1px solid #ccc;border-radius:.5rem;padding:.75rem;margin:.75rem 0\"><h3>{a} propose {kind} : « {n} »</h3><p>reçue le {d} · <a href=\"{oid}\">l'original</a></p><blockquote>{m}</blockquote>\
<form method=\"post\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"object\" value=\"{id}\"><button name=\"action\" value=\"accept\">Accepter <span lang=\"en\">/ Accept</span></button></form>\
<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"object\" value=\"{id}\"><label>Raison du refus <span class=\"en\" lang=\"en\">(reason)</span> <input name=\"reason\" required maxlength=\"2000\"></label> <button name=\"action\" value=\"reject\">Refuser <span lang=\"en\">/ Refuse</span></button></form></section>",
            a = esc(&o.actor),
            n = esc(name),
            d = esc(&date(o.received_ms)),
            oid = esc(kommon_activitypub::json::id_of(&o.object).unwrap_or_default()),
            m = esc(&o.message),
            id = esc(&o.id),
        ));
    }
    body.push_str(&format!(
        "<h2>Résidentothèque : {} résident·e{} <span class=\"en\" lang=\"en\">(residents)</span></h2><ul>",
        residencies.len(),
        if residencies.len() > 1 { "s" } else { "" }
    ));
    for r in &residencies {
        body.push_str(&format!(
            "<li><a href=\"{m}\">{m}</a>, depuis le {d} <form method=\"post\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"object\" value=\"{m}\"><label>Raison <input name=\"reason\" required maxlength=\"2000\"></label> <button name=\"action\" value=\"remove\">Retirer <span lang=\"en\">/ Remove</span></button></form></li>",
            m = esc(&r.member),
            d = esc(&date(r.start_ms)[..10]),
        ));
    }
    body.push_str("</ul><form method=\"post\" action=\"/.logout\"><button>Se déconnecter <span lang=\"en\">/ Log out</span></button></form>");
    page(&format!("Modération — {}", community.name), &body)
}

/// A decision from the moderation page.
#[derive(Deserialize)]
pub struct Act {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    reason: String,
}

/// `POST /{slug}/moderation`: a decision from the page, posted to the outbox's path.
pub async fn act(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(f): Form<Act>,
) -> Response {
    let (session, _) = match moderator(&state, &headers, &slug) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = crate::login::check_form(&session, &f.csrf) {
        return r;
    }
    let activity = match f.action.as_str() {
        "accept" => serde_json::json!({"type": "Accept", "object": f.object}),
        "reject" => serde_json::json!({"type": "Reject", "object": f.object, "content": f.reason}),
        "remove" => {
            serde_json::json!({"type": "Remove", "object": f.object, "target": state.federation.collection(&slug, "residents"), "content": f.reason})
        }
        _ => {
            return plain(
                StatusCode::BAD_REQUEST,
                "action must be accept, reject or remove",
            );
        }
    };
    let credentials = Credentials {
        agent: session.webid.clone(),
        application: None,
        method: AuthMethod::SolidOidc,
    };
    let back = |key: &str, text: &str| {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair(key, text)
            .finish();
        redirect(&format!("/{slug}/moderation?{q}"))
    };
    match crate::moderation::post(
        &state,
        &slug,
        activity.to_string().as_bytes(),
        Some(&credentials),
    )
    .await
    {
        Ok(_) => back(
            "fait",
            match f.action.as_str() {
                "accept" => "Demande acceptée : la personne est prévenue. / Request accepted.",
                "reject" => "Demande refusée : la personne reçoit la raison. / Request refused.",
                _ => "Résidence terminée : la personne reçoit la raison. / Residency ended.",
            },
        ),
        Err(crate::moderation::Refusal(_, message)) => back("erreur", &message),
    }
}
