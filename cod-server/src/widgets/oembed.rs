//! oEmbed (https://oembed.com): pasting the address of a place's page, of one of its views or
//! of a call into WordPress or any oEmbed consumer shows the view. `GET /oembed?url=…` answers
//! a `rich` response whose `html` is the view's iframe; pages link to it for discovery.

use super::{cors, views::View};
use crate::app::{AppState, plain};
use crate::pages::esc;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

fn bad(status: StatusCode, message: &str) -> Response {
    cors(plain(status, message))
}

/// `GET /oembed?url=…&format=json&maxwidth=…&maxheight=…`.
pub async fn answer(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let q: Vec<(String, String)> = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .take(20)
        .collect();
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    // The specification: only JSON here; XML is "not implemented" (501).
    match get("format") {
        None | Some("json") => {}
        Some("xml") => {
            return bad(
                StatusCode::NOT_IMPLEMENTED,
                "format xml is not implemented: ask for json",
            );
        }
        Some(_) => return bad(StatusCode::BAD_REQUEST, "format must be json"),
    }
    let size = |k: &str| -> Result<Option<u32>, Response> {
        match get(k) {
            None | Some("") => Ok(None),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (50..=10_000).contains(&n) => Ok(Some(n)),
                _ => Err(bad(
                    StatusCode::BAD_REQUEST,
                    &format!("{k} must be a whole number of pixels from 50 to 10000"),
                )),
            },
        }
    };
    let (max_w, max_h) = match (size("maxwidth"), size("maxheight")) {
        (Ok(w), Ok(h)) => (w, h),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let Some(url) = get("url").filter(|u| !u.is_empty()) else {
        return bad(StatusCode::BAD_REQUEST, "url is required");
    };
    let base = &state.federation.base;
    let Some(path) = url
        .strip_prefix(base.as_str())
        .filter(|p| p.starts_with('/'))
    else {
        return bad(
            StatusCode::NOT_FOUND,
            "this server shows only its own pages",
        );
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    // /{slug}, /{slug}/{view}, /embed/{slug}/{view}, /{slug}/calls/{id}.
    let (slug, view) = match parts.as_slice() {
        ["embed", slug, view] => (*slug, View::parse(view)),
        [slug] => (*slug, Some(View::Residents)),
        [slug, "calls", _] | [slug, "benevolat"] => (*slug, Some(View::Calls)),
        [slug, "agenda"] => (*slug, Some(View::Agenda)),
        [slug, "coup-de-main"] => (*slug, Some(View::ServiceForm)),
        [slug, view] => (*slug, View::parse(view)),
        _ => (path, None),
    };
    let Some(view) = view else {
        return bad(StatusCode::NOT_FOUND, "no view of Kommon at this address");
    };
    let Ok(Some(c)) = state.federation.registry.get(slug) else {
        return bad(StatusCode::NOT_FOUND, "no such place");
    };
    let width = max_w.unwrap_or(640).min(960);
    let height = max_h.unwrap_or(520).min(1200);
    let (fr, _) = view.titles();
    let title = format!("{fr} — {}", c.name);
    let src = format!("{base}/embed/{slug}/{}", view.segment());
    let html = format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"{width}\" height=\"{height}\" style=\"border:0;max-width:100%\" loading=\"lazy\" data-kommon></iframe>",
        esc(&src),
        esc(&title)
    );
    cors(
        (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({
                "version": "1.0",
                "type": "rich",
                "title": title,
                "provider_name": "Kommon",
                "provider_url": base,
                "author_name": c.name,
                "author_url": state.federation.community_id(slug),
                "cache_age": 3600,
                "html": html,
                "width": width,
                "height": height,
            })
            .to_string(),
        )
            .into_response(),
    )
}
