//! A community's own data in one archive, for a place that leaves the server (RGPD
//! portability) or wants its records at hand: what it publishes and what it keeps for its
//! admins alone. The admins download it from `/{slug}/export`; `cod-server export-community`
//! writes the same file.
//!
//! The archive is a tar of JSON files: `manifest.json`, `community.json` (the place as the
//! server records it: name, profile, admins, moderators, addresses for notices), `actor.json`
//! (its ActivityPub actor), `collections/*.json` (each collection with its items in full:
//! residents, projects, events, news, calls, pending requests, decisions, followers, following,
//! outbox), `residencies.json`, `orientation.json` (settings, calls, offers and requests),
//! `invitations.json`, and `photos/` with their descriptions in `photos.json`.

use crate::app::{AppState, plain};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_community::Role;
use serde_json::{Value, json};

/// The collections of a community put in the archive.
const COLLECTIONS: &[&str] = &[
    "residents",
    "projects",
    "events",
    "news",
    "calls",
    "pending",
    "decisions",
    "followers",
    "following",
    "outbox",
];

fn add(tar: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]) -> Result<(), String> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(kommon_activitypub::delivery::now_ms() / 1000);
    h.set_cksum();
    tar.append_data(&mut h, path, bytes)
        .map_err(|e| e.to_string())
}

fn add_json(tar: &mut tar::Builder<Vec<u8>>, path: &str, value: &Value) -> Result<(), String> {
    add(
        tar,
        path,
        &serde_json::to_vec_pretty(value).map_err(|e| e.to_string())?,
    )
}

/// The archive of community `slug`; `Ok(None)` when there is no such community.
pub fn community_archive(state: &AppState, slug: &str) -> Result<Option<Vec<u8>>, String> {
    let fed = &state.federation;
    let Some(c) = fed.registry.get(slug).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let id = fed.community_id(slug);
    let mut tar = tar::Builder::new(Vec::new());
    let mut files = vec!["community.json", "actor.json"]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    add_json(
        &mut tar,
        "community.json",
        &serde_json::to_value(&c).map_err(|e| e.to_string())?,
    )?;
    let actor = crate::app::community_document(state, &c).map_err(|e| e.to_string())?;
    add_json(&mut tar, "actor.json", &actor)?;
    for name in COLLECTIONS {
        let collection = fed.collection(slug, name);
        let mut items = Vec::new();
        for item in fed.collections.all(&collection) {
            let item = item.map_err(|e| e.to_string())?;
            // Objects and activities in full when this server keeps them; other actors by id.
            let full = crate::publications::object(fed, &item)
                .ok()
                .flatten()
                .or_else(|| fed.activity(&item).ok().flatten());
            items.push(full.unwrap_or(Value::String(item)));
        }
        let path = format!("collections/{name}.json");
        add_json(
            &mut tar,
            &path,
            &json!({"id": collection, "type": "OrderedCollection",
                    "totalItems": items.len(), "orderedItems": items}),
        )?;
        files.push(path);
    }
    let residencies = fed.records.residencies(&id).map_err(|e| e.to_string())?;
    add_json(
        &mut tar,
        "residencies.json",
        &serde_json::to_value(&residencies).map_err(|e| e.to_string())?,
    )?;
    let desk = &state.orientation.desk;
    add_json(
        &mut tar,
        "orientation.json",
        &json!({
            "settings": desk.settings(slug).map_err(|e| e.to_string())?,
            "calls": desk.calls(slug).map_err(|e| e.to_string())?,
            "requests": desk.requests(slug).map_err(|e| e.to_string())?,
        }),
    )?;
    // Without their tokens: whoever holds the archive must not be able to claim them.
    let invitations: Vec<Value> = state
        .invitations
        .list(slug)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|i| {
            let mut v = serde_json::to_value(&i).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("token");
            }
            v
        })
        .collect();
    add_json(&mut tar, "invitations.json", &Value::Array(invitations))?;
    files.extend(["residencies.json", "orientation.json", "invitations.json"].map(str::to_owned));
    let mut photos = Vec::new();
    for p in crate::photos::photos(state, slug) {
        if let Some(bytes) = crate::photos::bytes(state, slug, &p.id) {
            let path = format!("photos/{}", p.id);
            add(&mut tar, &path, &bytes)?;
            photos.push(
                json!({"path": path, "media_type": p.media_type, "alt": p.alt,
                               "url": crate::photos::url(state, slug, &p)}),
            );
        }
    }
    add_json(&mut tar, "photos.json", &Value::Array(photos))?;
    files.push("photos.json".into());
    add_json(
        &mut tar,
        "manifest.json",
        &json!({
            "community": id, "slug": slug, "name": c.name,
            "exported": kommon_solid::storage::xsd_datetime(kommon_activitypub::delivery::now_ms()),
            "files": files,
        }),
    )?;
    tar.into_inner().map(Some).map_err(|e| e.to_string())
}

/// `GET /{slug}/export`: the place's archive, for its admins.
pub async fn download(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = crate::login::with_role(&state, &headers, &slug, "export", Role::Admin) {
        return r;
    }
    let s = state.clone();
    let sl = slug.clone();
    match tokio::task::spawn_blocking(move || community_archive(&s, &sl)).await {
        Ok(Ok(Some(bytes))) => (
            [
                (header::CONTENT_TYPE, "application/x-tar".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{slug}.tar\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(Ok(None)) => plain(StatusCode::NOT_FOUND, "there is no such community"),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "exporting a community");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the export failed")
        }
        Err(e) => {
            tracing::error!(error = %e, "exporting a community");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the export failed")
        }
    }
}
