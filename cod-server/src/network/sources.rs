//! Federating in: the network's admins follow an external actor (another Kommon network, a
//! Mobilizon group, a Gancio instance, any ActivityPub actor that publishes `Event`s) and its
//! public events reach the agenda once a moderator has accepted them.
//!
//! A source's events wait in a list on `/{network}/sources` (imported events are never
//! published unseen); accepted ones are ingested like a member's (signed re-fetch, PAIR
//! mapping, shapes, provenance), and then follow their source's `Update` and `Delete`.

use super::NetworkSite;
use crate::app::{AppState, plain};
use crate::login::redirect;
use crate::pages::{esc, page};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommon_activitypub::delivery::now_ms;
use kommon_activitypub::inbox::ReceivedActivity;
use kommon_activitypub::json;
use kommon_community::Role;
use kommon_rdf::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write;
use std::sync::Arc;

const SOURCES: &str = "network-sources";
const IMPORTS: &str = "network-imports";

/// Most events of one source waiting for a decision: a source cannot flood the list.
const MAX_WAITING: usize = 500;

/// An external actor the network follows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The actor's id.
    pub actor: String,
    /// Its name, as its actor document says.
    pub name: String,
    /// `requested`, `following` or `refused`.
    pub status: String,
    /// When it was added, ms since the epoch.
    pub added_ms: u64,
}

/// An event of a source waiting for a moderator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// The source.
    pub source: String,
    /// The event's id.
    pub id: String,
    /// Its name, as announced (the accepted event is fetched again).
    pub name: String,
    /// Its start, as announced.
    #[serde(default)]
    pub start: String,
    /// When it arrived.
    pub received_ms: u64,
}

fn key2(a: &str, b: &str) -> Vec<u8> {
    let mut k = a.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

/// The sources the network follows.
pub fn sources(state: &AppState) -> Vec<Source> {
    state
        .federation
        .store
        .keyspace(SOURCES)
        .scan_prefix(b"")
        .filter_map(Result::ok)
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

fn source(state: &AppState, actor: &str) -> Option<Source> {
    state
        .federation
        .store
        .keyspace(SOURCES)
        .get(actor.as_bytes())
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_slice(&v).ok())
}

/// Whether the network follows `actor` as a source.
pub fn is_followed(state: &AppState, actor: &str) -> bool {
    source(state, actor).is_some()
}

fn save_source(state: &AppState, s: &Source) -> Result<(), StoreError> {
    state.federation.store.keyspace(SOURCES).insert(
        s.actor.as_bytes(),
        &serde_json::to_vec(s).unwrap_or_default(),
    )
}

fn imports(state: &AppState) -> Vec<Import> {
    let mut v: Vec<Import> = state
        .federation
        .store
        .keyspace(IMPORTS)
        .scan_prefix(b"")
        .filter_map(Result::ok)
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect();
    v.sort_by_key(|i| std::cmp::Reverse(i.received_ms));
    v
}

/// The event an activity of a source carries: a `Create`, `Update` or `Announce` of an
/// `Event` (embedded or by id), or an `Announce` of a `Create` of one.
fn event_of(a: &Value) -> Option<(String, Value)> {
    let o = a.get("object")?;
    if let Some(inner) = o.as_object().map(|_| o)
        && (json::has_type(inner, "Create") || json::has_type(inner, "Update"))
    {
        return event_of(inner);
    }
    let id = json::id_of(o)?.to_owned();
    Some((id, o.clone()))
}

/// An activity from an actor that is not a member: a followed source's events, or its answer
/// to the network's `Follow`. Returns whether it was a source's.
pub async fn receive(
    state: &AppState,
    net: &Arc<NetworkSite>,
    r: &ReceivedActivity,
) -> Result<bool, StoreError> {
    let Some(mut src) = source(state, &r.signer) else {
        return Ok(false);
    };
    let a = &r.activity;
    if json::has_type(a, "Accept") || json::has_type(a, "Reject") {
        src.status = if json::has_type(a, "Accept") {
            "following"
        } else {
            "refused"
        }
        .into();
        save_source(state, &src)?;
        return Ok(true);
    }
    let Some((id, embedded)) = event_of(a) else {
        return Ok(true);
    };
    if !json::is_http_url(&id) {
        return Ok(true);
    }
    if json::has_type(a, "Delete") {
        state
            .federation
            .store
            .keyspace(IMPORTS)
            .remove(&key2(&src.actor, &id))?;
        super::ingest::unlist(net, &src.actor, &id).await?;
        return Ok(true);
    }
    // Already accepted: it follows its source.
    if net
        .index
        .get(&id)
        .is_some_and(|e| e.places.contains(&src.actor))
    {
        super::ingest::ingest_external(state, net, &src.actor, &id).await?;
        return Ok(true);
    }
    let is_event = json::has_type(&embedded, "Event") || !embedded.is_object();
    if !is_event {
        return Ok(true);
    }
    let waiting = state
        .federation
        .store
        .keyspace(IMPORTS)
        .scan_prefix(&key2(&src.actor, ""))
        .count();
    if waiting >= MAX_WAITING {
        tracing::warn!(source = %src.actor, "too many events waiting: ignored");
        return Ok(true);
    }
    let import = Import {
        source: src.actor.clone(),
        id: id.clone(),
        name: embedded["name"]
            .as_str()
            .unwrap_or(&id)
            .chars()
            .take(200)
            .collect(),
        start: embedded["startTime"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect(),
        received_ms: now_ms(),
    };
    state.federation.store.keyspace(IMPORTS).insert(
        &key2(&src.actor, &id),
        &serde_json::to_vec(&import).unwrap_or_default(),
    )?;
    Ok(true)
}

/// The form of the sources page.
#[derive(Deserialize)]
pub struct SourceForm {
    csrf: String,
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    id: String,
}

/// `GET /{network}/sources`: the followed sources and the events waiting for a decision.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (session, c) =
        match crate::login::with_role(&state, &headers, &slug, "sources", Role::Moderator) {
            Ok(v) => v,
            Err(r) => return r,
        };
    let net = match super::of_community(&state, &slug) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let csrf = esc(&session.csrf);
    let mut body = format!(
        "<h1>Sources externes — {} <span class=\"en\" lang=\"en\">(external sources)</span></h1>\
<p>Le réseau peut suivre un autre réseau Kommon, un groupe Mobilizon, une instance Gancio… Leurs événements publics \
attendent ici qu'un·e modérateur·ice les accepte dans l'agenda. <span class=\"en\" lang=\"en\">Their public events wait here for a moderator.</span></p>",
        esc(&c.name)
    );
    let list = sources(&state);
    if !list.is_empty() {
        body.push_str("<table><thead><tr><th scope=\"col\">Source</th><th scope=\"col\">État <span class=\"en\" lang=\"en\">(status)</span></th></tr></thead><tbody>");
        for s in &list {
            let status = match s.status.as_str() {
                "following" => "suivie / followed",
                "refused" => "refusée par la source / refused by the source",
                _ => "demande envoyée / requested",
            };
            let _ = write!(
                body,
                "<tr><td><a href=\"{0}\">{1}</a></td><td>{2}</td></tr>",
                esc(&s.actor),
                esc(&s.name),
                status
            );
        }
        body.push_str("</tbody></table>");
        for s in &list {
            let refused = net.records.refusals(&s.actor).unwrap_or_default();
            if refused.is_empty() {
                continue;
            }
            let _ = write!(
                body,
                "<h3>Écartés de {} <span class=\"en\" lang=\"en\">(kept out)</span></h3><ul>",
                esc(&s.name)
            );
            for r in refused.iter().take(50) {
                let _ = write!(
                    body,
                    "<li><a href=\"{0}\">{0}</a> — {1}</li>",
                    esc(&r.object),
                    esc(&r.reason.to_string())
                );
            }
            body.push_str("</ul>");
        }
    }
    let _ = write!(
        body,
        "<h2>Suivre une source <span class=\"en\" lang=\"en\">Follow a source</span></h2>\
<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"action\" value=\"follow\">\
<p><label for=\"actor\">Adresse de l'acteur ActivityPub <span class=\"en\" lang=\"en\">(actor's address)</span></label><br>\
<input id=\"actor\" name=\"actor\" type=\"url\" required style=\"width:100%\"></p>\
<p><button type=\"submit\">Suivre <span class=\"en\" lang=\"en\">Follow</span></button></p></form>"
    );
    let waiting = imports(&state);
    let _ = write!(
        body,
        "<h2>Événements en attente <span class=\"en\" lang=\"en\">Events waiting</span> ({})</h2>",
        waiting.len()
    );
    if waiting.is_empty() {
        body.push_str("<p>Aucun. <span class=\"en\" lang=\"en\">None.</span></p>");
    } else {
        body.push_str("<ul>");
        for i in waiting.iter().take(200) {
            let _ = write!(
                body,
                "<li><a href=\"{id}\">{name}</a> {start} — {src}\
<form method=\"post\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"source\" value=\"{srcv}\"><input type=\"hidden\" name=\"id\" value=\"{id}\">\
<button name=\"action\" value=\"accept\">Publier <span class=\"en\" lang=\"en\">Publish</span></button> \
<button name=\"action\" value=\"discard\">Écarter <span class=\"en\" lang=\"en\">Discard</span></button></form></li>",
                id = esc(&i.id),
                name = esc(&i.name),
                start = esc(&i.start),
                src = esc(&i.source),
                srcv = esc(&i.source),
            );
        }
        body.push_str("</ul>");
    }
    page("Sources externes", &body)
}

/// `POST /{network}/sources`: follow a source, publish or discard a waiting event.
pub async fn act(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(f): Form<SourceForm>,
) -> Response {
    let (session, c) = match crate::login::with_role_and_form(
        &state,
        &headers,
        &slug,
        "sources",
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
    match f.action.as_str() {
        "follow" => {
            if c.role_of(&session.webid) != Some(Role::Admin) {
                return plain(
                    StatusCode::FORBIDDEN,
                    "seuls les admins du réseau ajoutent une source / only the network's admins add a source",
                );
            }
            let actor = f.actor.trim().to_owned();
            if !json::is_http_url(&actor) || actor.len() > 2000 {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "l'adresse doit être une URL http(s) / the address must be an http(s) URL",
                );
            }
            if super::ingest::is_member(&state, &net, &actor) {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "ce lieu est déjà membre du réseau / this place is already a member",
                );
            }
            let doc = match state.federation.actors.actor(&actor, true).await {
                Ok(a) => a.document,
                Err(e) => {
                    return plain(
                        StatusCode::BAD_REQUEST,
                        &format!("cet acteur est introuvable / this actor cannot be reached: {e}"),
                    );
                }
            };
            let s = Source {
                actor: actor.clone(),
                name: doc["name"]
                    .as_str()
                    .or(doc["preferredUsername"].as_str())
                    .unwrap_or(&actor)
                    .chars()
                    .take(200)
                    .collect(),
                status: "requested".into(),
                added_ms: now_ms(),
            };
            if save_source(&state, &s).is_err() {
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
            }
            let follow = json!({"type": "Follow", "object": actor, "to": [actor]});
            if let Err(e) = state.federation.answer(&slug, follow).await {
                tracing::error!(error = %e, "following a source");
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the request could not be sent",
                );
            }
        }
        "accept" | "discard" => {
            let k = key2(&f.source, &f.id);
            let ks = state.federation.store.keyspace(IMPORTS);
            match ks.get(&k) {
                Ok(Some(_)) => {}
                _ => return plain(StatusCode::NOT_FOUND, "no such event waiting"),
            }
            if ks.remove(&k).is_err() {
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
            }
            if f.action == "accept"
                && let Err(e) = super::ingest::ingest_external(&state, &net, &f.source, &f.id).await
            {
                return plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
            }
        }
        _ => return plain(StatusCode::BAD_REQUEST, "unknown action"),
    }
    redirect(&format!("/{slug}/sources"))
}
