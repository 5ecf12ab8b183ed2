//! The public pages, in French first and English second: the list of places and each place's
//! page with its résidentothèque. (The moderation pages come with the moderators' login.)

use crate::app::AppState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_community::Community;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page of the site, in French first.
pub fn page(title: &str, body: &str) -> Response {
    page_with_head(title, "", body)
}

/// A page of the site with more in its head (discovery links).
pub fn page_with_head(title: &str, head: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>{head}\
<style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1d}}a{{color:#0b5394}}.en{{color:#555;font-size:.95em}}ul.cards{{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:1rem}}ul.cards li{{border:1px solid #ccc;border-radius:.5rem;padding:.75rem}}</style></head>\
<body><main>{body}</main></body></html>",
        esc(title)
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// `GET /` on a server that runs no network: the places of this server.
pub fn places_home(state: &AppState) -> Response {
    let communities = state.federation.registry.list().unwrap_or_default();
    let mut body =
        String::from("<h1>Lieux de Kommon</h1><p class=\"en\" lang=\"en\">Kommon places</p>");
    if communities.is_empty() {
        body.push_str(
            "<p>Aucun lieu pour l’instant. <span class=\"en\" lang=\"en\">No place yet.</span></p>",
        );
    } else {
        body.push_str("<ul>");
        for c in &communities {
            body.push_str(&format!(
                "<li><a href=\"/{}\">{}</a></li>",
                esc(&c.slug),
                esc(&c.name)
            ));
        }
        body.push_str("</ul>");
    }
    page("Lieux de Kommon", &body)
}

/// The page of a place, with its résidentothèque.
pub async fn community(state: &AppState, c: &Community) -> Response {
    let fed = &state.federation;
    let community_id = fed.community_id(&c.slug);
    let residencies = fed.records.residencies(&community_id).unwrap_or_default();
    let mut body = format!("<h1>{}</h1>", esc(&c.name));
    if !c.summary.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&c.summary)));
    }
    let photos = crate::photos::photos(state, &c.slug);
    if !photos.is_empty() {
        body.push_str("<ul class=\"photos\" style=\"list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.75rem\">");
        for p in &photos {
            body.push_str(&format!(
                "<li><img src=\"{}\" alt=\"{}\" style=\"max-width:16rem;height:auto;border-radius:.25rem\"></li>",
                esc(&crate::photos::url(state, &c.slug, p)),
                esc(&p.alt)
            ));
        }
        body.push_str("</ul>");
    }
    let p = &c.profile;
    let mut infos = String::new();
    let town = format!("{} {}", p.postal_code, p.locality);
    let address = [p.street_address.as_str(), town.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    for (label, en, value) in [
        ("Adresse", "address", address.as_str()),
        ("Horaires", "opening hours", p.opening_hours.as_str()),
        ("Accessibilité", "accessibility", p.accessibility.as_str()),
        ("Contact", "contact", p.contact.as_str()),
        (
            "Pratiques écologiques",
            "ecological practices",
            p.ecological_practices.as_str(),
        ),
        ("Équipements", "equipment", p.equipment.as_str()),
    ] {
        if !value.is_empty() {
            infos.push_str(&format!(
                "<dt>{label} <span class=\"en\" lang=\"en\">({en})</span></dt><dd>{}</dd>",
                esc(value)
            ));
        }
    }
    if !p.website.is_empty() {
        infos.push_str(&format!("<dt>Site web <span class=\"en\" lang=\"en\">(website)</span></dt><dd><a href=\"{0}\">{0}</a></dd>", esc(&p.website)));
    }
    if !infos.is_empty() {
        body.push_str(&format!("<dl>{infos}</dl>"));
    }
    body.push_str(&format!(
        "<h2>Résidentothèque <span class=\"en\" lang=\"en\">(residents)</span></h2><p>{} résident·e{} <span class=\"en\" lang=\"en\">({} resident{})</span></p>",
        residencies.len(),
        if residencies.len() > 1 { "s" } else { "" },
        residencies.len(),
        if residencies.len() > 1 { "s" } else { "" },
    ));
    let members: Vec<String> = residencies.iter().map(|r| r.member.clone()).collect();
    let c_slug = c.slug.clone();
    let cards = crate::cards::cards(state, members).await;
    if !cards.is_empty() {
        body.push_str("<ul class=\"cards\">");
        for (c, r) in cards.iter().zip(&residencies) {
            let photo = match &c.icon {
                Some(u) => format!(
                    "<img src=\"{}\" alt=\"\" width=\"96\" height=\"96\" style=\"border-radius:50%;object-fit:cover\">",
                    esc(u)
                ),
                None => String::new(),
            };
            let disciplines = if c.disciplines.is_empty() {
                String::new()
            } else {
                format!(
                    "<p><strong>Discipline</strong> <span class=\"en\" lang=\"en\">(field)</span> : {}</p>",
                    esc(&c.disciplines.join(", "))
                )
            };
            let skills = if c.skills.is_empty() {
                disciplines
            } else {
                format!(
                    "{disciplines}<p><strong>Savoir-faire</strong> <span class=\"en\" lang=\"en\">(skills)</span> : {}</p>",
                    esc(&c.skills.join(", "))
                )
            };
            let links: String = c
                .links
                .iter()
                .map(|l| {
                    format!(
                        " <a href=\"{}\" rel=\"nofollow ugc\">{}</a>",
                        esc(l),
                        esc(l
                            .trim_start_matches("https://")
                            .trim_start_matches("http://"))
                    )
                })
                .collect();
            body.push_str(&format!(
                "<li>{photo}<h3><a href=\"/{slug}/residents/card?of={enc}\">{name}</a></h3><p>{summary}</p>{skills}<p>{links}</p><p>résident·e depuis le {since} <span class=\"en\" lang=\"en\">(resident since)</span> · <a href=\"{id}\">son pod<span class=\"en\" lang=\"en\"> / pod</span></a></p></li>",
                slug = esc(&c_slug),
                id = esc(&c.id),
                enc = esc(&form_urlencoded::byte_serialize(c.id.as_bytes()).collect::<String>()),
                name = esc(&c.name),
                summary = esc(&c.summary),
                since = esc(&kommon_solid::storage::xsd_datetime(r.start_ms)[..10]),
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&format!(
        "<p><a href=\"/{0}/benevolat\">Je veux aider <span class=\"en\" lang=\"en\">(volunteer)</span></a> · <a href=\"/{0}/coup-de-main\">J'ai besoin d'un coup de main <span class=\"en\" lang=\"en\">(get help)</span></a></p>",
        esc(&c.slug)
    ));
    let projects = objects_of(state, &c.slug, "projects", 50);
    let authors = crate::cards::cards(
        state,
        projects
            .iter()
            .filter_map(|p| p["attributedTo"].as_str().map(str::to_owned))
            .collect(),
    )
    .await;
    if !projects.is_empty() {
        body.push_str("<h2>Projets <span class=\"en\" lang=\"en\">(projects)</span></h2><ul>");
        for p in &projects {
            let author = p["attributedTo"].as_str().unwrap_or_default();
            body.push_str(&format!(
                "<li><strong>{}</strong>{} {}</li>",
                esc(p["name"].as_str().unwrap_or_default()),
                p["summary"]
                    .as_str()
                    .map(|s| format!(" — {}", esc(s)))
                    .unwrap_or_default(),
                if author.is_empty() {
                    String::new()
                } else {
                    format!(
                        "<a href=\"{0}\">porté par <span class=\"en\" lang=\"en\">(by)</span> {1}</a>",
                        esc(author),
                        esc(authors
                            .iter()
                            .find(|a| a.id == author)
                            .map(|a| a.name.as_str())
                            .unwrap_or(author))
                    )
                },
            ));
        }
        body.push_str("</ul>");
    }
    let events = events_of(state, &c.slug);
    if !events.is_empty() {
        body.push_str(&format!(
            "<h2><a href=\"/{}/agenda\">Agenda</a> <span class=\"en\" lang=\"en\">(events)</span></h2><ul>",
            esc(&c.slug)
        ));
        for e in &events {
            let start = e["startTime"].as_str().unwrap_or_default();
            let place = e["location"]["name"].as_str().unwrap_or_default();
            body.push_str(&format!(
                "<li><strong>{}</strong> — le {} à {}{}</li>",
                esc(e["name"].as_str().unwrap_or_default()),
                esc(start.get(..10).unwrap_or(start)),
                esc(start.get(11..16).unwrap_or("")),
                if place.is_empty() {
                    String::new()
                } else {
                    format!(", {}", esc(place))
                },
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str(&format!(
        "<p>Pour rejoindre ce lieu, envoyez une demande <code>Join</code> depuis votre pod à <code>{}</code>. \
<span class=\"en\" lang=\"en\">To join this place, send a <code>Join</code> from your pod to it.</span></p>",
        esc(&community_id)
    ));
    // oEmbed discovery: pasting the place's address into WordPress shows its résidentothèque.
    let head = format!(
        "<link rel=\"alternate\" type=\"application/json+oembed\" href=\"{}/oembed?url={}\" title=\"{}\">",
        esc(&fed.base),
        esc(&form_urlencoded::byte_serialize(community_id.as_bytes()).collect::<String>()),
        esc(&c.name)
    );
    page_with_head(&c.name, &head, &body)
}

/// The events of a place that have not ended yet, soonest first (for the embedded agenda).
pub fn upcoming_events(state: &AppState, slug: &str) -> Vec<serde_json::Value> {
    let now = chrono::Utc::now();
    events_of(state, slug)
        .into_iter()
        .filter(|e| {
            let end = e["endTime"]
                .as_str()
                .or(e["startTime"].as_str())
                .unwrap_or_default();
            chrono::DateTime::parse_from_rfc3339(end).is_ok_and(|d| d >= now)
        })
        .collect()
}

/// The newest `limit` objects of a place's collection `name` (its projects, its events).
fn objects_of(state: &AppState, slug: &str, name: &str, limit: usize) -> Vec<serde_json::Value> {
    let fed = &state.federation;
    fed.collections
        .page(
            &fed.collection(slug, name),
            kommon_activitypub::collection::PageCursor::First,
            limit,
        )
        .map(|p| {
            p.items
                .iter()
                .filter_map(|(_, id)| crate::publications::object(fed, id).ok().flatten())
                .collect()
        })
        .unwrap_or_default()
}

/// The events of a place (its own and those it accepted from residents), soonest first.
fn events_of(state: &AppState, slug: &str) -> Vec<serde_json::Value> {
    let mut events = objects_of(state, slug, "events", 200);
    events.sort_by(|a, b| a["startTime"].as_str().cmp(&b["startTime"].as_str()));
    events
}

fn when(e: &serde_json::Value) -> String {
    let start = e["startTime"].as_str().unwrap_or_default();
    let end = e["endTime"].as_str().unwrap_or_default();
    let mut s = format!(
        "le {} à {}",
        start.get(..10).unwrap_or(start),
        start.get(11..16).unwrap_or("")
    );
    if let Some(t) = end.get(11..16) {
        s.push_str(&format!(" jusqu’à {t}"));
    }
    s
}

fn text(v: &serde_json::Value) -> String {
    esc(v.as_str().unwrap_or_default())
}

/// `GET /{slug}/agenda`: the place's events.
pub async fn agenda(state: &AppState, c: &Community) -> Response {
    let events = events_of(state, &c.slug);
    let mut body = format!(
        "<h1>Agenda — {} <span class=\"en\" lang=\"en\">(events)</span></h1><p><a href=\"/{}\">Le lieu</a></p>",
        esc(&c.name),
        esc(&c.slug)
    );
    if events.is_empty() {
        body.push_str(
            "<p>Aucun événement prévu. <span class=\"en\" lang=\"en\">No event planned.</span></p>",
        );
    }
    for e in &events {
        body.push_str(&format!(
            "<article><h2><a href=\"{}\">{}</a></h2><p>{}{}</p><p>{}</p></article>",
            text(&e["id"]),
            text(&e["name"]),
            esc(&when(e)),
            e["location"]["name"]
                .as_str()
                .map(|n| format!(", {}", esc(n)))
                .unwrap_or_default(),
            text(&e["content"]),
        ));
    }
    page(&format!("Agenda — {}", c.name), &body)
}

/// The page of one object of the place (an event, a project, news).
pub fn object_page(c: &Community, o: &serde_json::Value) -> Response {
    if o["type"] == "Tombstone" {
        let mut r = page(
            "Supprimé",
            "<h1>Cet élément a été supprimé <span class=\"en\" lang=\"en\">(deleted)</span></h1>",
        );
        *r.status_mut() = StatusCode::GONE;
        return r;
    }
    let name = o["name"].as_str().unwrap_or("(sans titre)");
    let mut body = format!("<h1>{}</h1>", esc(name));
    if o["startTime"].is_string() {
        body.push_str(&format!("<p>{}</p>", esc(&when(o))));
    }
    if let Some(l) = o["location"]["name"].as_str() {
        body.push_str(&format!(
            "<p>Lieu <span class=\"en\" lang=\"en\">(venue)</span> : {}</p>",
            esc(l)
        ));
    }
    body.push_str(&format!("<p>{}</p>", text(&o["content"])));
    if let Some(author) = o["attributedTo"].as_str() {
        body.push_str(&format!(
            "<p>Par <span class=\"en\" lang=\"en\">(by)</span> <a href=\"{0}\">{0}</a></p>",
            esc(author)
        ));
    }
    if let Some(from) = o[crate::offers::DERIVED_FROM].as_str() {
        body.push_str(&format!("<p>D’après <a href=\"{0}\">l’original</a> <span class=\"en\" lang=\"en\">(copied from the original)</span></p>", esc(from)));
    }
    body.push_str(&format!(
        "<p><a href=\"/{}\">{}</a></p>",
        esc(&c.slug),
        esc(&c.name)
    ));
    page(name, &body)
}

/// `GET /{slug}/residents/card?of=WEBID`: one resident's card, from their pod.
pub async fn resident_card(state: &AppState, c: &Community, of: &str) -> Response {
    let community_id = state.federation.community_id(&c.slug);
    let Ok(Some(r)) = state.federation.records.residency(&community_id, of) else {
        let mut r = page(
            "Introuvable",
            "<h1>Cette personne n’est pas résidente du lieu <span class=\"en\" lang=\"en\">(not a resident)</span></h1>",
        );
        *r.status_mut() = StatusCode::NOT_FOUND;
        return r;
    };
    let card = crate::cards::card(state, of).await;
    let mut body = String::new();
    if let Some(u) = &card.icon {
        body.push_str(&format!("<p><img src=\"{}\" alt=\"\" width=\"160\" height=\"160\" style=\"border-radius:50%;object-fit:cover\"></p>", esc(u)));
    }
    body.push_str(&format!(
        "<h1>{}</h1><p>{}</p>",
        esc(&card.name),
        esc(&card.summary)
    ));
    if !card.disciplines.is_empty() {
        body.push_str(&format!(
            "<p><strong>Discipline</strong> <span class=\"en\" lang=\"en\">(field)</span> : {}</p>",
            esc(&card.disciplines.join(", "))
        ));
    }
    if !card.skills.is_empty() {
        body.push_str(&format!(
            "<h2>Savoir-faire <span class=\"en\" lang=\"en\">(skills)</span></h2><ul>{}</ul>",
            card.skills
                .iter()
                .map(|s| format!("<li>{}</li>", esc(s)))
                .collect::<String>()
        ));
    }
    if !card.links.is_empty() {
        body.push_str(&format!(
            "<h2>Liens <span class=\"en\" lang=\"en\">(links)</span></h2><ul>{}</ul>",
            card.links
                .iter()
                .map(|l| format!(
                    "<li><a href=\"{0}\" rel=\"nofollow ugc\">{0}</a></li>",
                    esc(l)
                ))
                .collect::<String>()
        ));
    }
    body.push_str(&format!(
        "<p>Résident·e de <a href=\"/{}\">{}</a> depuis le {} <span class=\"en\" lang=\"en\">(resident since)</span> · <a href=\"{}\">son pod</a></p>",
        esc(&c.slug),
        esc(&c.name),
        esc(kommon_solid::storage::xsd_datetime(r.start_ms).get(..10).unwrap_or_default()),
        esc(of)
    ));
    page(&card.name, &body)
}
