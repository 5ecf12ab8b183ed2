//! Photos of a place, added by its admins with a description for those who cannot see them:
//! shown on the place's page, published in its actor (`image`, as Mastodon and the network
//! read it), served at `/{slug}/photos/{id}`.
//!
//! Only JPEG, PNG and WebP are kept, recognised by their first bytes rather than by what the
//! browser claims; 2 MiB and 8 photos per place at most.

use crate::app::{AppState, plain};
use crate::login::redirect;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_activitypub::delivery::now_ms;
use kommon_community::Role;
use kommon_rdf::StoreError;
use serde::{Deserialize, Serialize};

const PHOTOS: &str = "place-photos";
const PHOTO_BYTES: &str = "place-photo-bytes";

/// Largest photo.
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;
/// Most photos of one place.
pub const MAX_PHOTOS: usize = 8;

/// A photo of a place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// Its id (a path segment).
    pub id: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub media_type: String,
    /// What it shows, for those who cannot see it.
    pub alt: String,
    /// When it was added.
    pub added_ms: u64,
}

fn key(slug: &str, id: &str) -> Vec<u8> {
    let mut k = slug.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

/// The photos of place `slug`, oldest first.
pub fn photos(state: &AppState, slug: &str) -> Vec<Photo> {
    let mut prefix = slug.as_bytes().to_vec();
    prefix.push(0);
    let mut v: Vec<Photo> = state
        .federation
        .store
        .keyspace(PHOTOS)
        .scan_prefix(&prefix)
        .filter_map(Result::ok)
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect();
    v.sort_by_key(|p: &Photo| p.added_ms);
    v
}

/// The bytes of a photo of place `slug`.
pub fn bytes(state: &AppState, slug: &str, id: &str) -> Option<Vec<u8>> {
    state
        .federation
        .store
        .keyspace(PHOTO_BYTES)
        .get(&key(slug, id))
        .ok()
        .flatten()
}

/// The URL of a photo.
pub fn url(state: &AppState, slug: &str, p: &Photo) -> String {
    format!("{}/{slug}/photos/{}", state.federation.base, p.id)
}

/// The media type the bytes are, if an accepted image.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// `GET /{slug}/photos/{id}`.
pub async fn serve(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let ks = state.federation.store.keyspace(PHOTOS);
    let meta: Option<Photo> = ks
        .get(&key(&slug, &id))
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_slice(&v).ok());
    match (meta, bytes(&state, &slug, &id)) {
        (Some(p), Some(b)) => (
            [
                (header::CONTENT_TYPE, p.media_type),
                (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ],
            b,
        )
            .into_response(),
        _ => plain(StatusCode::NOT_FOUND, "no such photo"),
    }
}

fn refuse(status: StatusCode, m: &str) -> Response {
    plain(status, m)
}

/// `POST /{slug}/photos`: an admin adds a photo (multipart: `photo`, `alt`, `csrf`) or deletes
/// one (`action=delete`, `id`).
pub async fn post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers: HeaderMap = parts.headers;
    let (session, c) = match crate::login::with_role(&state, &headers, &slug, "admin", Role::Admin)
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    // A photo too large is read on (up to 16 MiB) and thrown away, so the browser is still
    // listening when the 413 comes.
    let form = match crate::forms::read_upload(
        &headers,
        body,
        "photo",
        MAX_PHOTO_BYTES + 64 * 1024,
        16 * 1024 * 1024,
        "la photo dépasse 2 Mio / the photo is larger than 2 MiB",
    )
    .await
    {
        Ok(f) => f,
        Err(r) => return r,
    };
    let get = |k: &str| form.get(k);
    let photo = form.file.clone();
    if let Err(r) = crate::login::check_form(&session, &get("csrf")) {
        return r;
    }
    let fed = &state.federation;
    if get("action") == "delete" {
        let id = get("id");
        let k = key(&slug, &id);
        let removed = fed.store.transaction(|tx| -> Result<bool, StoreError> {
            let existed = tx.keyspace_get(PHOTOS, &k)?.is_some();
            tx.keyspace_remove(PHOTOS, &k);
            tx.keyspace_remove(PHOTO_BYTES, &k);
            Ok(existed)
        });
        return match removed {
            Ok(true) => {
                announce(&state, &c).await;
                redirect(&format!("/{slug}/admin?fait=Photo%20retir%C3%A9e"))
            }
            Ok(false) => refuse(StatusCode::NOT_FOUND, "no such photo"),
            Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "the store failed"),
        };
    }
    let Some(bytes) = photo.filter(|b| !b.is_empty()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "choisissez une photo / choose a photo",
        );
    };
    if bytes.len() > MAX_PHOTO_BYTES {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "la photo dépasse 2 Mio / the photo is larger than 2 MiB",
        );
    }
    let Some(media_type) = sniff(&bytes) else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "une photo JPEG, PNG ou WebP / a JPEG, PNG or WebP photo",
        );
    };
    let alt = get("alt");
    if alt.is_empty() || alt.chars().count() > 300 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "décrivez la photo en 1 à 300 caractères, pour qui ne la voit pas / describe the photo in 1 to 300 characters, for those who cannot see it",
        );
    }
    if photos(&state, &slug).len() >= MAX_PHOTOS {
        return refuse(
            StatusCode::BAD_REQUEST,
            "8 photos au plus : retirez-en une / at most 8 photos: remove one",
        );
    }
    let p = Photo {
        id: uuid::Uuid::new_v4().to_string(),
        media_type: media_type.to_owned(),
        alt,
        added_ms: now_ms(),
    };
    let k = key(&slug, &p.id);
    let meta = serde_json::to_vec(&p).unwrap_or_default();
    let stored = fed.store.transaction(|tx| -> Result<(), StoreError> {
        tx.keyspace_insert(PHOTO_BYTES, &k, &bytes);
        tx.keyspace_insert(PHOTOS, &k, &meta);
        Ok(())
    });
    if stored.is_err() {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
    }
    announce(&state, &c).await;
    redirect(&format!("/{slug}/admin?fait=Photo%20ajout%C3%A9e"))
}

/// Followers (and the network) learn of the new pictures: an `Update` of the place's actor.
async fn announce(state: &AppState, c: &kommon_community::Community) {
    crate::admin_pages::announce_profile(state, c).await;
}
