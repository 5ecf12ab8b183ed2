//! Ingestion: what member places federate becomes the network's entries.
//!
//! Nothing embedded in an activity is trusted: each object is re-fetched with a signed GET by
//! the instance actor, must live on the member place's server (or be the resident's own actor
//! document), is validated with the vocabulary's shapes, and is kept with its provenance. What
//! fails stays out and is listed, with the reason, on the network's admin page for that place.
//! A reconciliation pass compares each place's collections with the network's copy and
//! repairs what missed activities left behind; it is also how a new member is back-filled.

use super::NetworkSite;
use crate::app::AppState;
use futures::StreamExt;
use kommon_activitypub::delivery::now_ms;
use kommon_activitypub::inbox::ReceivedActivity;
use kommon_activitypub::{addressing, json};
use kommon_network::{Kind, Normalized, RecordedRefusal, Refusal};
use kommon_rdf::StoreError;
use kommon_rdf::codec::{ParseLimits, RdfFormat, parse_graph};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;

/// Most items read from one collection of a place in one pass.
const MAX_ITEMS: usize = 100_000;

/// The collections of a place the network copies, and what their items are.
const COLLECTIONS: [(&str, Kind); 4] = [
    ("residents", Kind::Resident),
    ("events", Kind::Event),
    ("projects", Kind::Project),
    ("calls", Kind::Call),
];

fn network_id(state: &AppState, net: &NetworkSite) -> String {
    state.federation.community_id(&net.slug)
}

/// Whether `actor` is an admitted member of the network.
pub fn is_member(state: &AppState, net: &NetworkSite, actor: &str) -> bool {
    state
        .federation
        .records
        .residency(&network_id(state, net), actor)
        .ok()
        .flatten()
        .is_some()
}

fn refuse(net: &NetworkSite, place: &str, object: &str, why: &Refusal) {
    tracing::info!(place, object, reason = %why, "kept out of the network");
    if let Err(e) = net.records.refuse(place, object, why, now_ms()) {
        tracing::error!(error = %e, "recording a refusal");
    }
}

fn unexpected(fr: String, en: String) -> Refusal {
    Refusal::Unexpected { fr, en }
}

/// Reads, maps and validates a document on the blocking pool: it is CPU work (JSON-LD, shapes)
/// that must not hold up the runtime, and runs in parallel across cores.
async fn normalize(
    net: &Arc<NetworkSite>,
    id: &str,
    doc: Value,
    extra: Vec<oxrdf::Triple>,
    kind: Kind,
) -> Result<Normalized, Refusal> {
    let net = Arc::clone(net);
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || net.normalizer.document(&id, &doc, &extra, kind))
        .await
        .unwrap_or_else(|e| Err(Refusal::Unreadable(format!("the check failed: {e}"))))
}

/// Stores and indexes a normalized document listed by `place`.
async fn keep(
    net: &Arc<NetworkSite>,
    mut n: Normalized,
    place: Option<&str>,
    fetched_from: &str,
) -> Result<(), StoreError> {
    if let Some(p) = place {
        let mut places = net
            .index
            .get(&n.entry.id)
            .map(|e| e.places.clone())
            .unwrap_or_default();
        if !places.iter().any(|x| x == p) {
            places.push(p.to_owned());
        }
        n.entry.places = places;
    }
    let net2 = Arc::clone(net);
    let from = fetched_from.to_owned();
    let entry = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
        let now = now_ms();
        net2.records.put(&n, &from, now)?;
        let mut e = n.entry;
        e.updated_ms = now;
        Ok(e)
    })
    .await
    .map_err(|e| StoreError::Corrupted(e.to_string()))??;
    net.index.insert(entry);
    Ok(())
}

/// Fetches and keeps a member place's own profile.
pub async fn ingest_place(
    state: &AppState,
    net: &Arc<NetworkSite>,
    place: &str,
) -> Result<(), StoreError> {
    let actor = match state.federation.actors.actor(place, true).await {
        Ok(a) => a,
        Err(e) => {
            refuse(net, place, place, &Refusal::Unreadable(e));
            return Ok(());
        }
    };
    match normalize(net, place, actor.document.clone(), Vec::new(), Kind::Place).await {
        Ok(n) => keep(net, n, None, place).await,
        Err(why) => {
            refuse(net, place, place, &why);
            Ok(())
        }
    }
}

/// Fetches and keeps a resident a member place lists: their actor document and, when it is on
/// their own server, their public profile (skills, website).
pub async fn ingest_resident(
    state: &AppState,
    net: &Arc<NetworkSite>,
    place: &str,
    resident: &str,
) -> Result<(), StoreError> {
    let actor = match state.federation.actors.actor(resident, true).await {
        Ok(a) => a,
        Err(e) => {
            refuse(net, place, resident, &Refusal::Unreadable(e));
            return Ok(());
        }
    };
    let mut extra = Vec::new();
    if let Some(profile) = actor.document["url"]
        .as_str()
        .filter(|u| json::is_http_url(u) && json::authority(u) == json::authority(resident))
        && let Ok(f) = state
            .fetcher
            .get(profile, &[("accept", "text/turtle")], 256 * 1024)
            .await
        && let Ok(triples) = parse_graph(
            RdfFormat::Turtle,
            &f.body,
            Some(profile),
            &ParseLimits::default(),
            net.normalizer.contexts(),
        )
    {
        // The profile describes the person as `<profile#me>` or as the actor: both are them.
        let me_profile = format!("{}#me", profile.split('#').next().unwrap_or(profile));
        let subject = oxrdf::NamedNode::new_unchecked(resident);
        extra = triples
            .into_iter()
            .map(|t| match &t.subject {
                oxrdf::NamedOrBlankNode::NamedNode(s)
                    if s.as_str() == me_profile || s.as_str() == profile =>
                {
                    oxrdf::Triple::new(subject.clone(), t.predicate, t.object)
                }
                _ => t,
            })
            .collect();
    }
    tracing::debug!(
        resident,
        profile_triples = extra.len(),
        "resident's profile read"
    );
    match normalize(net, resident, actor.document.clone(), extra, Kind::Resident).await {
        Ok(n) => keep(net, n, Some(place), resident).await,
        Err(why) => {
            refuse(net, place, resident, &why);
            Ok(())
        }
    }
}

/// Fetches and keeps a project or an event a member place lists; it must be on the place's
/// server.
pub async fn ingest_object(
    state: &AppState,
    net: &Arc<NetworkSite>,
    place: &str,
    id: &str,
    kind: Kind,
) -> Result<(), StoreError> {
    if json::authority(id) != json::authority(place) || !json::is_http_url(id) {
        refuse(
            net,
            place,
            id,
            &unexpected(
                format!("<{id}> n'est pas sur le serveur du lieu qui le publie"),
                format!("<{id}> is not on the server of the place that lists it"),
            ),
        );
        return Ok(());
    }
    let doc = match state.federation.actors.fetch_json(id).await {
        Ok(d) if json::id_of(&d) == Some(id) && belongs_to(place, id, &d) => d,
        Ok(d) if json::id_of(&d) == Some(id) => {
            refuse(
                net,
                place,
                id,
                &unexpected(
                    format!("<{id}> n'est ni publié ni copié par le lieu qui le liste"),
                    format!("<{id}> is neither published nor copied by the place that lists it"),
                ),
            );
            return Ok(());
        }
        Ok(_) => {
            refuse(
                net,
                place,
                id,
                &Refusal::Unreadable(format!("the document at {id} has another id")),
            );
            return Ok(());
        }
        Err(e) => {
            refuse(net, place, id, &Refusal::Unreadable(e));
            return Ok(());
        }
    };
    if json::has_type(&doc, "Tombstone") {
        return unlist(net, place, id).await;
    }
    match normalize(net, id, doc, Vec::new(), kind).await {
        // A call filled, closed or past stays at its place, out of the network's lists.
        Ok(n)
            if kind == Kind::Call && n.entry.end_ms().is_some_and(|end| end < now_ms() as i64) =>
        {
            unlist(net, place, id).await
        }
        Ok(n) => keep(net, n, Some(place), id).await,
        Err(why) => {
            refuse(net, place, id, &why);
            Ok(())
        }
    }
}

/// Whether a document is the place's: under its actor's path (how cod-server names what a
/// place publishes and copies), or naming the place as its author or context. Two places may
/// share a server: the same host is not enough.
fn belongs_to(place: &str, id: &str, doc: &Value) -> bool {
    id.starts_with(&format!("{place}/"))
        || ["attributedTo", "context", "audience"]
            .iter()
            .any(|k| json::ids(doc, k).iter().any(|a| a == place))
}

/// Fetches and keeps an event of an external source a moderator accepted (or that follows
/// its source after that): it must be on the source's server or name the source.
pub async fn ingest_external(
    state: &AppState,
    net: &Arc<NetworkSite>,
    source: &str,
    id: &str,
) -> Result<(), StoreError> {
    let doc = match state.federation.actors.fetch_json(id).await {
        Ok(d) if json::id_of(&d) == Some(id) => d,
        Ok(_) => {
            refuse(
                net,
                source,
                id,
                &Refusal::Unreadable(format!("the document at {id} has another id")),
            );
            return Ok(());
        }
        Err(e) => {
            refuse(net, source, id, &Refusal::Unreadable(e));
            return Ok(());
        }
    };
    if json::authority(id) != json::authority(source) && !belongs_to(source, id, &doc) {
        refuse(
            net,
            source,
            id,
            &unexpected(
                format!("<{id}> n'est pas un événement de la source qui l'annonce"),
                format!("<{id}> is not an event of the source that announces it"),
            ),
        );
        return Ok(());
    }
    if json::has_type(&doc, "Tombstone") {
        return unlist(net, source, id).await;
    }
    match normalize(net, id, doc, Vec::new(), Kind::Event).await {
        Ok(n) => keep(net, n, Some(source), id).await,
        Err(why) => {
            refuse(net, source, id, &why);
            Ok(())
        }
    }
}

/// `place` no longer lists `id`: it leaves the network unless another place lists it.
pub async fn unlist(net: &Arc<NetworkSite>, place: &str, id: &str) -> Result<(), StoreError> {
    let net2 = Arc::clone(net);
    let (place, id) = (place.to_owned(), id.to_owned());
    let entry = net.index.get(&id);
    let remaining: Vec<String> = entry
        .as_ref()
        .map(|e| e.places.iter().filter(|p| **p != place).cloned().collect())
        .unwrap_or_default();
    let index = net.index.clone();
    tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
        net2.records.forget_refusal(&place, &id)?;
        let Some(e) = entry else {
            net2.records.remove(&id)?;
            return Ok(());
        };
        if remaining.is_empty() {
            net2.records.remove(&id)?;
            index.remove(&id);
            return Ok(());
        }
        // Still listed elsewhere: the same document, with one place fewer.
        let mut entry = (*e).clone();
        entry.places = remaining;
        let triples: Vec<oxrdf::Triple> = net2
            .records
            .store()
            .get_document(oxrdf::NamedNodeRef::new_unchecked(&id))?
            .map(|g| {
                g.iter()
                    .filter(|t| {
                        !(t.predicate.as_str().ends_with("ns#hosts")
                            && t.subject.to_string() == format!("<{place}>"))
                    })
                    .map(|t| t.into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let n = Normalized {
            entry: entry.clone(),
            triples,
        };
        net2.records.put(&n, &id, now_ms())?;
        index.insert(entry);
        Ok(())
    })
    .await
    .map_err(|e| StoreError::Corrupted(e.to_string()))?
}

fn collection_kind(place: &str, target: &str) -> Option<Kind> {
    COLLECTIONS
        .iter()
        .find(|(name, _)| target == format!("{place}/{name}"))
        .map(|(_, k)| *k)
}

/// An activity a member place sent to the network (it follows the place). Returns whether
/// it was the network's to handle; anything else goes through the community's usual handling.
pub async fn receive(
    state: &AppState,
    net: &Arc<NetworkSite>,
    r: &ReceivedActivity,
) -> Result<bool, StoreError> {
    let a = &r.activity;
    let place = r.signer.as_str();
    let member = is_member(state, net, place);
    if !member && super::sources::receive(state, net, r).await? {
        return Ok(true);
    }
    let handled = ["Add", "Remove", "Create", "Update", "Delete", "Announce"];
    if !handled.iter().any(|t| json::has_type(a, t)) {
        return Ok(false);
    }
    let object_id = a
        .get("object")
        .and_then(json::id_of)
        .unwrap_or_default()
        .to_owned();
    if !member {
        let why = unexpected(
            format!("{place} n'est pas membre du réseau : ce qu'il publie n'y entre pas"),
            format!("{place} is not a member of the network: what it publishes stays out"),
        );
        tracing::info!(actor = place, activity = %r.id, "activity from a non-member refused");
        net.refuse_outsider(RecordedRefusal {
            place: place.to_owned(),
            object: object_id,
            reason: why,
            at_ms: now_ms(),
        });
        return Ok(true);
    }
    let target = a
        .get("target")
        .and_then(json::id_of)
        .unwrap_or_default()
        .to_owned();
    if json::has_type(a, "Add") {
        match collection_kind(place, &target) {
            Some(Kind::Resident) => ingest_resident(state, net, place, &object_id).await?,
            Some(kind) => ingest_object(state, net, place, &object_id, kind).await?,
            None => {}
        }
    } else if json::has_type(a, "Remove") {
        if collection_kind(place, &target).is_some() {
            unlist(net, place, &object_id).await?;
        }
    } else if json::has_type(a, "Update") {
        if object_id == place {
            ingest_place(state, net, place).await?;
        } else if let Some(e) = net
            .index
            .get(&object_id)
            .filter(|e| e.places.iter().any(|p| p == place))
        {
            if e.kind == Kind::Resident {
                ingest_resident(state, net, place, &object_id).await?;
            } else {
                ingest_object(state, net, place, &object_id, e.kind).await?;
            }
        } else if json::authority(&object_id) == json::authority(place)
            && let Some(kind) = dated_kind(a.get("object"))
        {
            ingest_object(state, net, place, &object_id, kind).await?;
        }
    } else if json::has_type(a, "Delete") {
        if object_id == place {
            dismissed(state, net, place).await?;
        } else if net
            .index
            .get(&object_id)
            .is_some_and(|e| e.places.iter().any(|p| p == place))
        {
            // Only what this place lists: another place on the same server cannot unlist it.
            unlist(net, place, &object_id).await?;
        }
    } else if json::has_type(a, "Create") {
        // The place's own events (residents' posts come inside an `Announce`, and stay out).
        if json::authority(&object_id) == json::authority(place)
            && let Some(kind) = dated_kind(a.get("object"))
        {
            ingest_object(state, net, place, &object_id, kind).await?;
        }
    }
    Ok(true)
}

/// The kind of an embedded object the network lists on its own (an event, a call), if any.
fn dated_kind(object: Option<&Value>) -> Option<Kind> {
    let o = object?;
    if crate::publications::is_call(o) {
        Some(Kind::Call)
    } else if json::has_type(o, "Event") || json::has_type(o, "pair:Event") {
        Some(Kind::Event)
    } else if json::has_type(o, "pair:Project") {
        Some(Kind::Project)
    } else {
        None
    }
}

/// The item ids of a place's collection, following its pages (signed GETs).
async fn collection_items(state: &AppState, url: &str) -> Result<Vec<String>, String> {
    let fed = &state.federation;
    let first = fed.actors.fetch_json(url).await?;
    let mut items: Vec<String> = Vec::new();
    let take = |page: &Value, items: &mut Vec<String>| {
        for key in ["orderedItems", "items"] {
            if let Some(list) = page.get(key).and_then(Value::as_array) {
                items.extend(list.iter().filter_map(json::id_of).map(str::to_owned));
            }
        }
    };
    take(&first, &mut items);
    let mut next = match first.get("first") {
        Some(Value::String(u)) => Some(u.clone()),
        Some(p @ Value::Object(_)) => {
            take(p, &mut items);
            p.get("next").and_then(json::id_of).map(str::to_owned)
        }
        _ => None,
    };
    let mut seen = HashSet::new();
    while let Some(url) = next.take() {
        if !seen.insert(url.clone()) || items.len() >= MAX_ITEMS {
            break;
        }
        let page = fed.actors.fetch_json(&url).await?;
        take(&page, &mut items);
        next = page.get("next").and_then(json::id_of).map(str::to_owned);
    }
    items.truncate(MAX_ITEMS);
    Ok(items)
}

/// Compares a member place's collections with the network's copy and repairs the
/// differences: what the place lists and the network lacks is fetched, what the network
/// holds and the place no longer lists is dropped. Returns (fetched, dropped).
pub async fn reconcile(
    state: &AppState,
    net: &Arc<NetworkSite>,
    place: &str,
    refetch_all: bool,
) -> Result<(usize, usize), StoreError> {
    ingest_place(state, net, place).await?;
    let mut fetched = 0;
    let mut listed: HashSet<String> = HashSet::new();
    let mut complete = true;
    for (name, kind) in COLLECTIONS {
        let url = format!("{place}/{name}");
        let items = match collection_items(state, &url).await {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(place, collection = name, error = %e, "reading a member's collection");
                complete = false;
                continue;
            }
        };
        let missing: Vec<String> = items
            .iter()
            .filter(|id| {
                refetch_all
                    || net
                        .index
                        .get(id)
                        .is_none_or(|e| !e.places.iter().any(|p| p == place))
            })
            .cloned()
            .collect();
        listed.extend(items);
        fetched += missing.len();
        let results: Vec<Result<(), StoreError>> = futures::stream::iter(missing)
            .map(|id| async move {
                if kind == Kind::Resident {
                    ingest_resident(state, net, place, &id).await
                } else {
                    ingest_object(state, net, place, &id, kind).await
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        for r in results {
            r?;
        }
    }
    let mut dropped = 0;
    // Only a complete reading of the place's collections may drop anything.
    if complete {
        for e in net.index.listed_by(place) {
            if !listed.contains(&e.id) {
                unlist(net, place, &e.id).await?;
                dropped += 1;
            }
        }
    }
    tracing::info!(place, fetched, dropped, "reconciled");
    Ok((fetched, dropped))
}

/// The network admitted `place`: it follows the place and back-fills what it approved.
pub fn admitted(state: &AppState, place: &str) {
    let Some(net) = state.network.clone() else {
        return;
    };
    let state = state.clone();
    let place = place.to_owned();
    tokio::spawn(async move {
        let follow = json!({
            "type": "Follow", "object": place, "to": [place],
        });
        if let Err(e) = state.federation.answer(&net.slug, follow).await {
            tracing::error!(error = %e, "following a new member");
        }
        if let Err(e) = reconcile(&state, &net, &place, false).await {
            tracing::error!(error = %e, place, "back-filling a new member");
        }
    });
}

/// `place` left the network or was removed: everything only it listed leaves, and the
/// network stops following it.
pub async fn dismissed(
    state: &AppState,
    net: &Arc<NetworkSite>,
    place: &str,
) -> Result<(), StoreError> {
    for e in net.index.listed_by(place) {
        unlist(net, place, &e.id).await?;
    }
    let net2 = Arc::clone(net);
    let p = place.to_owned();
    tokio::task::spawn_blocking(move || net2.records.remove(&p))
        .await
        .map_err(|e| StoreError::Corrupted(e.to_string()))??;
    net.index.remove(place);
    let undo = json!({
        "type": "Undo",
        "object": {"type": "Follow", "actor": network_id(state, net), "object": place},
        "to": [place],
    });
    state.federation.answer(&net.slug, undo).await?;
    Ok(())
}

/// Runs a reconciliation of every member now and then (every `every`), forever.
pub fn spawn_reconciliation(state: AppState, every: std::time::Duration) {
    let Some(net) = state.network.clone() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let members = state
                .federation
                .records
                .residencies(&network_id(&state, &net))
                .unwrap_or_default();
            for m in members {
                if let Err(e) = reconcile(&state, &net, &m.member, false).await {
                    tracing::warn!(error = %e, place = %m.member, "reconciliation");
                }
            }
        }
    });
}

/// Whether an activity goes to the network's ingestion rather than the community's own
/// handling: it is addressed to the network or its followers by a member it follows.
pub fn concerns_network(net: &NetworkSite, slug: &str, a: &Value) -> bool {
    slug == net.slug
        && [
            "Add", "Remove", "Create", "Update", "Delete", "Announce", "Accept", "Reject",
        ]
        .iter()
        .any(|t| json::has_type(a, t))
        && !addressing::addressees(a).is_empty()
}
