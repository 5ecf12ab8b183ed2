//! The admins' pages around networks: a place joins a network (`/{slug}/reseaux`), and a
//! network's admins see what each member place's listings became (`/{slug}/ingestion`): what
//! was kept, what was refused and why, and a button to reconcile a place now.

use crate::app::{AppState, plain};
use crate::login::redirect;
use crate::pages::{esc, page};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommon_activitypub::delivery::now_ms;
use kommon_activitypub::json;
use kommon_community::Role;
use kommon_rdf::StoreError;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

const PLACE_NETWORKS: &str = "place-networks";

/// Where a place stands with a network it asked to join.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkMembership {
    /// The network's actor id.
    pub network: String,
    /// `pending`, `accepted` or `refused`.
    pub status: String,
    /// The network's reason, when it gave one.
    #[serde(default)]
    pub reason: String,
    /// The `Join` sent.
    pub join: String,
    /// When it last changed, ms since the epoch.
    pub at_ms: u64,
}

fn key(slug: &str, network: &str) -> Vec<u8> {
    let mut k = slug.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(network.as_bytes());
    k
}

/// The networks place `slug` asked to join.
pub fn memberships(state: &AppState, slug: &str) -> Result<Vec<NetworkMembership>, StoreError> {
    let mut prefix = slug.as_bytes().to_vec();
    prefix.push(0);
    Ok(state
        .federation
        .store
        .keyspace(PLACE_NETWORKS)
        .scan_prefix(&prefix)
        .filter_map(Result::ok)
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect())
}

/// A network answered place `slug`'s `Join` (`accepted` or `refused`), in the inbox worker's
/// transaction; `false` when the place never asked.
pub fn record_answer(
    tx: &mut kommon_rdf::Transaction<'_>,
    slug: &str,
    network: &str,
    accepted: bool,
    reason: &str,
) -> Result<bool, StoreError> {
    let k = key(slug, network);
    let Some(old) = tx.keyspace_get(PLACE_NETWORKS, &k)? else {
        return Ok(false);
    };
    let Ok(mut m) = serde_json::from_slice::<NetworkMembership>(&old) else {
        return Ok(false);
    };
    m.status = if accepted { "accepted" } else { "refused" }.into();
    m.reason = reason.chars().take(2000).collect();
    m.at_ms = now_ms();
    tx.keyspace_insert(
        PLACE_NETWORKS,
        &k,
        &serde_json::to_vec(&m).unwrap_or_default(),
    );
    Ok(true)
}

/// The form of the networks page.
#[derive(Deserialize)]
pub struct JoinForm {
    csrf: String,
    network: String,
    #[serde(default)]
    message: String,
}

/// `GET /{slug}/reseaux`: the networks this place belongs to or asked to join.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (session, c) =
        match crate::login::with_role(&state, &headers, &slug, "reseaux", Role::Admin) {
            Ok(v) => v,
            Err(r) => return r,
        };
    let mut body = format!(
        "<h1>Réseaux — {} <span class=\"en\" lang=\"en\">(networks)</span></h1>\
<p>Un réseau (POT KOMMON ou un autre) publie sur sa carte, son annuaire et son agenda ce que votre lieu a validé. \
<span class=\"en\" lang=\"en\">A network shows on its map, directory and agenda what your place approved.</span></p>",
        esc(&c.name)
    );
    let list = memberships(&state, &slug).unwrap_or_default();
    if list.is_empty() {
        body.push_str("<p>Aucun réseau pour l'instant. <span class=\"en\" lang=\"en\">No network yet.</span></p>");
    } else {
        body.push_str("<table><thead><tr><th scope=\"col\">Réseau</th><th scope=\"col\">État <span class=\"en\" lang=\"en\">(status)</span></th></tr></thead><tbody>");
        for m in &list {
            let status = match m.status.as_str() {
                "accepted" => "membre / member".to_owned(),
                "refused" => format!("refusé / refused : {}", m.reason),
                _ => "demande en attente / request pending".to_owned(),
            };
            let _ = write!(
                body,
                "<tr><td><a href=\"{0}\">{0}</a></td><td>{1}</td></tr>",
                esc(&m.network),
                esc(&status)
            );
        }
        body.push_str("</tbody></table>");
    }
    let _ = write!(
        body,
        "<h2>Rejoindre un réseau <span class=\"en\" lang=\"en\">Join a network</span></h2>\
<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
<p><label for=\"network\">Adresse du réseau <span class=\"en\" lang=\"en\">(network's address)</span></label><br>\
<input id=\"network\" name=\"network\" type=\"url\" required placeholder=\"https://reseau.exemple/pot-kommon\" style=\"width:100%\"></p>\
<p><label for=\"message\">Message aux modérateurs du réseau <span class=\"en\" lang=\"en\">(message)</span></label><br>\
<textarea id=\"message\" name=\"message\" rows=\"3\" style=\"width:100%\"></textarea></p>\
<p><button type=\"submit\">Demander à rejoindre <span class=\"en\" lang=\"en\">Ask to join</span></button></p></form>",
        esc(&session.csrf)
    );
    page("Réseaux", &body)
}

/// `POST /{slug}/reseaux`: sends the place's `Join` to a network.
pub async fn join(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(f): Form<JoinForm>,
) -> Response {
    let (_, _) = match crate::login::with_role_and_form(
        &state,
        &headers,
        &slug,
        "reseaux",
        Role::Admin,
        &f.csrf,
    ) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match ask_to_join(&state, &slug, &f.network, &f.message).await {
        Ok(_) => redirect(&format!("/{slug}/reseaux")),
        Err((status, message)) => plain(status, &message),
    }
}

/// Sends place `slug`'s `Join` to a network and remembers it as pending; the `Join`'s id, or
/// the status and reason of a refusal.
pub async fn ask_to_join(
    state: &AppState,
    slug: &str,
    network: &str,
    message: &str,
) -> Result<String, (StatusCode, String)> {
    let network = network.trim().trim_end_matches('/').to_owned();
    if !json::is_http_url(&network) || network.len() > 2000 {
        return Err((
            StatusCode::BAD_REQUEST,
            "l'adresse du réseau doit être une URL http(s) / the network's address must be an http(s) URL".into(),
        ));
    }
    if message.chars().count() > 2000 {
        return Err((
            StatusCode::BAD_REQUEST,
            "le message : 2000 caractères au plus / the message is at most 2000 characters".into(),
        ));
    }
    let fed = &state.federation;
    // The network must be an actor we can reach, before anything is recorded.
    if let Err(e) = fed.actors.actor(&network, true).await {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("ce réseau est introuvable / this network cannot be reached: {e}"),
        ));
    }
    let join_id = fed.new_id(slug, "activities");
    let m = NetworkMembership {
        network: network.clone(),
        status: "pending".into(),
        reason: String::new(),
        join: join_id.clone(),
        at_ms: now_ms(),
    };
    let failed = |e: String| {
        tracing::error!(error = %e, "sending a place's Join to a network");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request could not be sent".to_owned(),
        )
    };
    fed.store
        .keyspace(PLACE_NETWORKS)
        .insert(
            &key(slug, &network),
            &serde_json::to_vec(&m).unwrap_or_default(),
        )
        .map_err(|e| failed(e.to_string()))?;
    let activity = serde_json::json!({
        "id": join_id, "type": "Join", "object": network, "to": [network],
        "content": message.trim(),
    });
    fed.answer(slug, activity)
        .await
        .map_err(|e| failed(e.to_string()))
}

/// The form of the ingestion page.
#[derive(Deserialize)]
pub struct ReconcileForm {
    csrf: String,
    place: String,
}

/// `GET /{slug}/ingestion`: for the network's moderators, each member place with what was
/// kept and what was refused, with the reason.
pub async fn ingestion(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (session, c) =
        match crate::login::with_role(&state, &headers, &slug, "ingestion", Role::Moderator) {
            Ok(v) => v,
            Err(r) => return r,
        };
    let net = match super::of_community(&state, &slug) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let fed = &state.federation;
    let members = fed
        .records
        .residencies(&fed.community_id(&slug))
        .unwrap_or_default();
    let mut body = format!(
        "<h1>Ingestion — {} <span class=\"en\" lang=\"en\">(what members federate)</span></h1>\
<p>Pour chaque lieu membre : ce que le réseau publie, et ce qu'il a écarté, avec la raison. \
<span class=\"en\" lang=\"en\">For each member place: what the network shows, and what it kept out, with the reason.</span></p>",
        esc(&c.name)
    );
    for m in &members {
        let place = &m.member;
        let label = net
            .index
            .get(place)
            .map(|e| e.label.clone())
            .unwrap_or_else(|| place.clone());
        let listed = net.index.listed_by(place);
        let refusals = net.records.refusals(place).unwrap_or_default();
        let _ = write!(
            body,
            "<section><h2>{}</h2><p>{} fiche(s) publiée(s) <span class=\"en\" lang=\"en\">entries shown</span>, {} refus <span class=\"en\" lang=\"en\">refused</span>.</p>",
            esc(&label),
            listed.len(),
            refusals.len()
        );
        if !refusals.is_empty() {
            body.push_str("<table><thead><tr><th scope=\"col\">Objet</th><th scope=\"col\">Raison <span class=\"en\" lang=\"en\">(reason)</span></th></tr></thead><tbody>");
            for r in &refusals {
                let _ = write!(
                    body,
                    "<tr><td><a href=\"{0}\">{0}</a></td><td>{1}</td></tr>",
                    esc(&r.object),
                    esc(&r.reason.to_string())
                );
            }
            body.push_str("</tbody></table>");
        }
        let _ = write!(
            body,
            "<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"place\" value=\"{}\">\
<button type=\"submit\">Réconcilier maintenant <span class=\"en\" lang=\"en\">Reconcile now</span></button></form></section>",
            esc(&session.csrf),
            esc(place)
        );
    }
    let outsiders: Vec<kommon_network::RecordedRefusal> =
        net.outsiders.lock().iter().cloned().collect();
    if !outsiders.is_empty() {
        body.push_str("<section><h2>Envois de non-membres <span class=\"en\" lang=\"en\">From non-members</span></h2><ul>");
        for r in outsiders {
            let _ = write!(
                body,
                "<li>{} — {}</li>",
                esc(&r.object),
                esc(&r.reason.to_string())
            );
        }
        body.push_str("</ul></section>");
    }
    page("Ingestion", &body)
}

/// `POST /{slug}/ingestion`: reconciles one member place now.
pub async fn reconcile(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(f): Form<ReconcileForm>,
) -> Response {
    let (_, _) = match crate::login::with_role_and_form(
        &state,
        &headers,
        &slug,
        "ingestion",
        Role::Moderator,
        &f.csrf,
    ) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let net = match super::of_community(&state, &slug) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if !super::ingest::is_member(&state, &net, &f.place) {
        return plain(
            StatusCode::BAD_REQUEST,
            "ce lieu n'est pas membre / this place is not a member",
        );
    }
    match super::ingest::reconcile(&state, &net, &f.place, true).await {
        Ok(_) => redirect(&format!("/{slug}/ingestion")),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
