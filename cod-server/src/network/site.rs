//! The network's public site, in French first and English second, rendered on the server and
//! usable without JavaScript: the home page, the map (with its list), the directory, the
//! agenda, a page per place, resident, project and event, and the semantic search. The map,
//! the query builder and the month grid add vendored scripts; every map has its list.

use super::NetworkSite;
use super::data::{
    MAP_MAX_POINTS, Query, month_range, network_name, page_of, parse_query, this_month,
};
use crate::app::{AppState, plain};
use crate::pages::esc;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, TimeZone};
use kommon_network::{Entry, Filter, Kind};
use std::fmt::Write;
use std::sync::Arc;

/// The embedded static files: path under `/assets/`, bytes, media type.
pub const ASSETS: &[(&str, &[u8], &str)] = &[
    (
        "vendor/leaflet/leaflet.js",
        include_bytes!("../../assets/vendor/leaflet/leaflet.js"),
        "text/javascript",
    ),
    (
        "embed/map.js",
        include_bytes!("../../assets/embed/map.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "vendor/leaflet/leaflet.css",
        include_bytes!("../../assets/vendor/leaflet/leaflet.css"),
        "text/css",
    ),
    (
        "vendor/leaflet/images/marker-icon.png",
        include_bytes!("../../assets/vendor/leaflet/images/marker-icon.png"),
        "image/png",
    ),
    (
        "vendor/leaflet/images/marker-icon-2x.png",
        include_bytes!("../../assets/vendor/leaflet/images/marker-icon-2x.png"),
        "image/png",
    ),
    (
        "vendor/leaflet/images/marker-shadow.png",
        include_bytes!("../../assets/vendor/leaflet/images/marker-shadow.png"),
        "image/png",
    ),
    (
        "vendor/leaflet/images/layers.png",
        include_bytes!("../../assets/vendor/leaflet/images/layers.png"),
        "image/png",
    ),
    (
        "vendor/leaflet/images/layers-2x.png",
        include_bytes!("../../assets/vendor/leaflet/images/layers-2x.png"),
        "image/png",
    ),
    (
        "vendor/markercluster/leaflet.markercluster.js",
        include_bytes!("../../assets/vendor/markercluster/leaflet.markercluster.js"),
        "text/javascript",
    ),
    (
        "vendor/markercluster/MarkerCluster.css",
        include_bytes!("../../assets/vendor/markercluster/MarkerCluster.css"),
        "text/css",
    ),
    (
        "vendor/markercluster/MarkerCluster.Default.css",
        include_bytes!("../../assets/vendor/markercluster/MarkerCluster.Default.css"),
        "text/css",
    ),
    (
        "vendor/sparnatural/sparnatural.js",
        include_bytes!("../../assets/vendor/sparnatural/sparnatural.js"),
        "text/javascript",
    ),
    (
        "vendor/sparnatural/sparnatural.css",
        include_bytes!("../../assets/vendor/sparnatural/sparnatural.css"),
        "text/css",
    ),
    (
        "site/map.js",
        include_bytes!("../../assets/site/map.js"),
        "text/javascript",
    ),
    (
        "site/query.js",
        include_bytes!("../../assets/site/query.js"),
        "text/javascript",
    ),
    (
        "site/site.css",
        include_bytes!("../../assets/site/site.css"),
        "text/css",
    ),
    (
        "communes-plaine-commune.geojson",
        include_bytes!("../../assets/communes-plaine-commune.geojson"),
        "application/geo+json",
    ),
    (
        "query-builder.ttl",
        kommon_vocab::QUERY_BUILDER_TTL.as_bytes(),
        "text/turtle; charset=utf-8",
    ),
];

/// The server's network, or a 404 when it runs none.
pub(crate) fn network(state: &AppState) -> Result<Arc<NetworkSite>, Response> {
    state
        .network
        .clone()
        .ok_or_else(|| plain(StatusCode::NOT_FOUND, "this server runs no network"))
}

const NAV: &[(&str, &str, &str)] = &[
    ("/", "Accueil", "Home"),
    ("/carte", "Carte", "Map"),
    ("/annuaire", "Annuaire", "Directory"),
    ("/agenda", "Agenda", "Agenda"),
    ("/benevolat", "Je veux aider", "Volunteer"),
    ("/coup-de-main", "Coup de main", "Get help"),
    ("/relations", "Relations", "Relations"),
    ("/requetes", "Requêtes", "Queries"),
    ("/donnees", "Données ouvertes", "Open data"),
];

/// A page of the public site: its header, navigation, and `body`.
pub(crate) fn site_page(
    state: &AppState,
    net: &NetworkSite,
    current: &str,
    title: &str,
    head: &str,
    body: &str,
) -> Response {
    let name = network_name(state, net);
    let mut nav = String::new();
    for (href, fr, en) in NAV {
        let aria = if *href == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            nav,
            "<li><a href=\"{href}\"{aria}>{fr} <span class=\"en\" lang=\"en\">{en}</span></a></li>"
        );
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} — {}</title><link rel=\"stylesheet\" href=\"/assets/site/site.css\">\
<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Agenda (RSS)\" href=\"/agenda.rss\">\
<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Agenda (Atom)\" href=\"/agenda.atom\">{head}</head>\
<body><a class=\"skip\" href=\"#contenu\">Aller au contenu <span lang=\"en\">(skip to content)</span></a>\
<header><p class=\"brand\"><a href=\"/\">{}</a></p><nav aria-label=\"Navigation principale\"><ul>{nav}</ul></nav></header>\
<main id=\"contenu\">{body}</main>\
<footer><p>Données publiques du réseau, sous licence ouverte : <a href=\"/donnees\">données ouvertes</a>. \
<span class=\"en\" lang=\"en\">Public data of the network, openly licensed.</span></p></footer></body></html>",
        esc(title),
        esc(&name),
        esc(&name),
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

fn problems_html(q: &Query) -> String {
    if q.problems.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<div class=\"problem\" role=\"alert\"><p>Certains filtres n'ont pas pu être lus <span class=\"en\" lang=\"en\">(some filters could not be read)</span> :</p><ul>",
    );
    for p in &q.problems {
        let _ = write!(s, "<li>{}</li>", esc(p));
    }
    s.push_str("</ul></div>");
    s
}

/// The label of a skill, in French.
fn skill_label(net: &NetworkSite, iri: &str) -> String {
    oxrdf::NamedNodeRef::new(iri)
        .ok()
        .and_then(|n| net.skills.get(n))
        .map(|s| s.label_fr.clone())
        .unwrap_or_else(|| iri.rsplit('/').next().unwrap_or(iri).to_owned())
}

fn commune_label(net: &NetworkSite, iri: &str) -> String {
    net.normalizer
        .commune(iri)
        .map(|c| c.label.clone())
        .unwrap_or_else(|| iri.rsplit(['#', '/']).next().unwrap_or(iri).to_owned())
}

fn place_label(net: &NetworkSite, iri: &str) -> String {
    net.index
        .get(iri)
        .map(|e| e.label.clone())
        .unwrap_or_else(|| iri.to_owned())
}

fn date_fr(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(d) => {
            let p = d.with_timezone(&chrono_tz::Europe::Paris);
            const DAYS: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
            format!(
                "{} {} à {}",
                DAYS[p.weekday().num_days_from_monday() as usize],
                p.format("%d/%m/%Y"),
                p.format("%H:%M")
            )
        }
        Err(_) => s.to_owned(),
    }
}

/// One entry as a card of a list.
fn card(state: &AppState, net: &NetworkSite, e: &Entry) -> String {
    let mut s = format!(
        "<li class=\"card {}\"><p class=\"kind\">{}</p><h3><a href=\"{}\">{}</a></h3>",
        e.kind.as_str(),
        esc(kind_one_fr(e.kind)),
        esc(&page_of(state, e)),
        esc(&e.label)
    );
    if let Some(start) = &e.start {
        let _ = write!(
            s,
            "<p class=\"when\"><time datetime=\"{0}\">{1}</time></p>",
            esc(start),
            esc(&date_fr(start))
        );
    }
    if !e.summary.is_empty() {
        let _ = write!(
            s,
            "<p>{}</p>",
            esc(&kommon_network::text::truncate_words(&e.summary, 200))
        );
    }
    if !e.skills.is_empty() {
        s.push_str("<ul class=\"tags\" aria-label=\"Compétences\">");
        for sk in e.skills.iter().take(6) {
            let _ = write!(s, "<li>{}</li>", esc(&skill_label(net, sk)));
        }
        s.push_str("</ul>");
    }
    if !e.places.is_empty() {
        let names: Vec<String> = e.places.iter().map(|p| esc(&place_label(net, p))).collect();
        let _ = write!(s, "<p class=\"where\">{}</p>", names.join(", "));
    }
    s.push_str("</li>");
    s
}

fn kind_one_fr(k: Kind) -> &'static str {
    match k {
        Kind::Place => "Lieu",
        Kind::Resident => "Résident·e",
        Kind::Project => "Projet",
        Kind::Event => "Événement",
        Kind::Call => "Appel à participation",
    }
}

fn cards(state: &AppState, net: &NetworkSite, entries: &[Arc<Entry>]) -> String {
    if entries.is_empty() {
        return "<p>Rien pour l'instant. <span class=\"en\" lang=\"en\">Nothing yet.</span></p>"
            .into();
    }
    let mut s = String::from("<ul class=\"cards\">");
    for e in entries {
        s.push_str(&card(state, net, e));
    }
    s.push_str("</ul>");
    s
}

/// `GET /`: what is on this week, the places, the newest residents.
pub async fn home(State(state): State<AppState>) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(_) => return crate::pages::places_home(&state),
    };
    let name = network_name(&state, &net);
    let now = chrono::Utc::now().timestamp_millis();
    let week = net.index.agenda(
        &Filter {
            kinds: vec![Kind::Event, Kind::Call],
            ..Filter::default()
        },
        now,
        now + 7 * 86_400_000,
        12,
    );
    let all_places = net.index.all_of(Kind::Place);
    let places: Vec<Arc<Entry>> = all_places.iter().take(24).cloned().collect();
    let newest = net.index.newest(Kind::Resident, 8);
    let summary = state
        .federation
        .registry
        .get(&net.slug)
        .ok()
        .flatten()
        .map(|c| c.summary)
        .unwrap_or_default();
    let mut body = format!("<h1>{}</h1>", esc(&name));
    if !summary.is_empty() {
        let _ = write!(body, "<p class=\"lead\">{}</p>", esc(&summary));
    }
    let _ = write!(
        body,
        "<p class=\"stats\">{} lieux, {} résident·es, {} projets, {} événements. \
<span class=\"en\" lang=\"en\">places, residents, projects, events.</span></p>",
        all_places.len(),
        net.index.count(Kind::Resident),
        net.index.count(Kind::Project),
        net.index.count(Kind::Event),
    );
    if let Some(tour) = &net.tour {
        body.push_str(&super::tour::section(tour));
    }
    let _ = write!(
        body,
        "<section><h2>Cette semaine <span class=\"en\" lang=\"en\">This week</span></h2>{}<p><a href=\"/agenda\">Tout l'agenda <span class=\"en\" lang=\"en\">(full agenda)</span></a></p></section>",
        cards(&state, &net, &week)
    );
    let _ = write!(
        body,
        "<section><h2>Les lieux <span class=\"en\" lang=\"en\">The places</span></h2>{}<p><a href=\"/carte?type=place\">Sur la carte <span class=\"en\" lang=\"en\">(on the map)</span></a> · <a href=\"/annuaire?type=place\">Tous les lieux ({}) <span class=\"en\" lang=\"en\">(all places)</span></a></p></section>",
        cards(&state, &net, &places),
        all_places.len()
    );
    let _ = write!(
        body,
        "<section><h2>Nouveaux résident·es <span class=\"en\" lang=\"en\">New residents</span></h2>{}</section>",
        cards(&state, &net, &newest)
    );
    site_page(&state, &net, "/", &name, "", &body)
}

/// The filter form shared by the map, the directory and the agenda: every filter is a GET
/// parameter, so a filtered view is a URL.
fn filter_form(net: &NetworkSite, q: &Query, action: &str, kinds: &[Kind], extra: &str) -> String {
    let mut s = format!(
        "<form class=\"filters\" method=\"get\" action=\"{action}\" role=\"search\">\
<p><label for=\"q\">Rechercher <span class=\"en\" lang=\"en\">Search</span></label> \
<input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" maxlength=\"200\"></p>",
        esc(&q.filter.text)
    );
    if kinds.len() > 1 {
        s.push_str("<fieldset><legend>Type <span class=\"en\" lang=\"en\">Type</span></legend>");
        for k in kinds {
            let checked = if q.filter.kinds.contains(k) {
                " checked"
            } else {
                ""
            };
            let _ = write!(
                s,
                "<label><input type=\"checkbox\" name=\"type\" value=\"{}\"{checked}> {} <span class=\"en\" lang=\"en\">{}</span></label> ",
                k.as_str(),
                k.label_fr(),
                k.label_en()
            );
        }
        s.push_str("</fieldset>");
    }
    // Skills: the nomenclature's tree, indented, the broader first.
    s.push_str("<p><label for=\"skill\">Compétence <span class=\"en\" lang=\"en\">Skill</span></label> <select id=\"skill\" name=\"skill\"><option value=\"\">Toutes / any</option>");
    let mut roots: Vec<&kommon_vocab::Skill> =
        net.skills.iter().filter(|s| s.broader.is_empty()).collect();
    roots.sort_by(|a, b| a.label_fr.cmp(&b.label_fr));
    fn option(
        net: &NetworkSite,
        out: &mut String,
        skill: &kommon_vocab::Skill,
        depth: usize,
        asked: &[String],
    ) {
        let selected = if asked.iter().any(|a| a == skill.iri.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}{}</option>",
            esc(skill.iri.as_str()),
            "\u{a0}\u{a0}".repeat(depth),
            esc(&skill.label_fr)
        );
        if depth < 3 {
            let mut children: Vec<&kommon_vocab::Skill> = skill
                .narrower
                .iter()
                .filter_map(|n| net.skills.get(n.as_ref()))
                .collect();
            children.sort_by(|a, b| a.label_fr.cmp(&b.label_fr));
            for c in children {
                option(net, out, c, depth + 1, asked);
            }
        }
    }
    for r in roots {
        option(net, &mut s, r, 0, &q.skills_asked);
    }
    s.push_str("</select></p>");
    let places = net.index.all_of(Kind::Place);
    if places.len() <= 300 {
        s.push_str("<p><label for=\"place\">Lieu <span class=\"en\" lang=\"en\">Place</span></label> <select id=\"place\" name=\"place\"><option value=\"\">Tous / any</option>");
        for p in &places {
            let selected = if q.filter.places.contains(&p.id) {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                s,
                "<option value=\"{}\"{selected}>{}</option>",
                esc(&p.id),
                esc(&p.label)
            );
        }
        s.push_str("</select></p>");
    } else {
        // Too many places for a list: their name is searched.
        let _ = write!(
            s,
            "<p><label for=\"lieu\">Lieu <span class=\"en\" lang=\"en\">Place</span></label> <input id=\"lieu\" name=\"lieu\" type=\"search\" value=\"{}\" maxlength=\"100\"></p>",
            esc(&q.place_name)
        );
    }
    s.push_str("<p><label for=\"commune\">Commune <span class=\"en\" lang=\"en\">Town</span></label> <select id=\"commune\" name=\"commune\"><option value=\"\">Toutes / any</option>");
    for c in net.normalizer.communes() {
        let selected = if q.filter.communes.contains(&c.iri) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            s,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(&c.iri),
            esc(&c.label)
        );
    }
    s.push_str("</select></p>");
    let themes = net.index.themes();
    if !themes.is_empty() {
        s.push_str("<p><label for=\"theme\">Thème <span class=\"en\" lang=\"en\">Theme</span></label> <select id=\"theme\" name=\"theme\"><option value=\"\">Tous / any</option>");
        for (t, n) in themes.iter().take(100) {
            let selected = if q.filter.themes.contains(t) {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                s,
                "<option value=\"{}\"{selected}>{} ({n})</option>",
                esc(t),
                esc(t)
            );
        }
        s.push_str("</select></p>");
    }
    s.push_str(extra);
    s.push_str("<p><button type=\"submit\">Filtrer <span class=\"en\" lang=\"en\">Filter</span></button> <a href=\"");
    s.push_str(action);
    s.push_str("\">Tout effacer <span class=\"en\" lang=\"en\">(clear)</span></a></p></form>");
    s
}

/// `GET /carte`: the map, with the same results as a list below it.
pub async fn map(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let raw = request.uri().query().unwrap_or("").to_owned();
    let q = parse_query(&net, Some(&raw));
    let view = net.index.map(&q.filter, q.bbox, usize::MAX);
    let list: Vec<Arc<Entry>> = view
        .points
        .iter()
        .take(200)
        .map(|(e, _)| Arc::clone(e))
        .collect();
    let tiles = &state.config.map_tiles;
    let mut body = String::from("<h1>Carte <span class=\"en\" lang=\"en\">Map</span></h1>");
    body.push_str(&problems_html(&q));
    body.push_str(&filter_form(&net, &q, "/carte", &Kind::ALL, ""));
    let _ = write!(
        body,
        "<div id=\"map\" class=\"map\" role=\"region\" aria-label=\"Carte des résultats (la liste ci-dessous donne les mêmes résultats)\" \
data-geojson=\"/api/geojson?{}\" data-tiles=\"{}\" data-attribution=\"{}\" data-max=\"{MAP_MAX_POINTS}\"></div>",
        esc(&raw),
        esc(tiles),
        esc(&state.config.map_attribution),
    );
    let _ = write!(
        body,
        "<section aria-labelledby=\"liste\"><h2 id=\"liste\">Liste des résultats <span class=\"en\" lang=\"en\">Results as a list</span></h2>\
<p id=\"count\" aria-live=\"polite\">{} résultat(s) sur la carte <span class=\"en\" lang=\"en\">result(s) on the map</span>{}</p>{}</section>",
        view.total,
        if view.total > list.len() {
            format!(
                " — les {} premiers ci-dessous, affinez la recherche pour les autres",
                list.len()
            )
        } else {
            String::new()
        },
        cards(&state, &net, &list)
    );
    let head = "<link rel=\"stylesheet\" href=\"/assets/vendor/leaflet/leaflet.css\">\
<link rel=\"stylesheet\" href=\"/assets/vendor/markercluster/MarkerCluster.css\">\
<link rel=\"stylesheet\" href=\"/assets/vendor/markercluster/MarkerCluster.Default.css\">\
<script defer src=\"/assets/vendor/leaflet/leaflet.js\"></script>\
<script defer src=\"/assets/vendor/markercluster/leaflet.markercluster.js\"></script>\
<script defer src=\"/assets/site/map.js\"></script>";
    site_page(&state, &net, "/carte", "Carte", head, &body)
}

fn query_without(raw: &str, drop: &[&str]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            form_urlencoded::parse(raw.as_bytes())
                .filter(|(k, v)| !drop.contains(&k.as_ref()) && !v.is_empty()),
        )
        .finish()
}

/// `GET /annuaire`: full-text search with facets (type, skill, place, commune).
pub async fn directory(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let raw = request.uri().query().unwrap_or("").to_owned();
    let q = parse_query(&net, Some(&raw));
    const PER_PAGE: usize = 30;
    let page = net
        .index
        .search(&q.filter, (q.page - 1) * PER_PAGE, PER_PAGE);
    let mut body =
        String::from("<h1>Annuaire <span class=\"en\" lang=\"en\">Directory</span></h1>");
    body.push_str(&problems_html(&q));
    body.push_str(&filter_form(&net, &q, "/annuaire", &Kind::ALL, ""));
    // Facets: each value is a link that adds it to the current search.
    let base = query_without(&raw, &["page"]);
    let link = |k: &str, v: &str| {
        let mut s = base.clone();
        if !s.is_empty() {
            s.push('&');
        }
        s.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair(k, v)
                .finish(),
        );
        format!("/annuaire?{s}")
    };
    body.push_str("<aside class=\"facets\" aria-label=\"Affiner\"><h2>Affiner <span class=\"en\" lang=\"en\">Refine</span></h2>");
    let mut facet = |title: &str, items: Vec<(String, String, usize)>| {
        if items.is_empty() {
            return;
        }
        let _ = write!(body, "<h3>{title}</h3><ul>");
        for (k, label, n) in items.into_iter().take(12) {
            let _ = write!(
                body,
                "<li><a href=\"{}\">{}</a> ({n})</li>",
                esc(&k),
                esc(&label)
            );
        }
        body.push_str("</ul>");
    };
    facet(
        "Type",
        page.facets
            .kinds
            .iter()
            .map(|(k, n)| (link("type", k.as_str()), k.label_fr().to_owned(), *n))
            .collect(),
    );
    facet(
        "Compétences <span class=\"en\" lang=\"en\">Skills</span>",
        page.facets
            .skills
            .iter()
            .map(|(k, n)| (link("skill", k), skill_label(&net, k), *n))
            .collect(),
    );
    facet(
        "Lieux <span class=\"en\" lang=\"en\">Places</span>",
        page.facets
            .places
            .iter()
            .map(|(k, n)| (link("place", k), place_label(&net, k), *n))
            .collect(),
    );
    facet(
        "Communes <span class=\"en\" lang=\"en\">Towns</span>",
        page.facets
            .communes
            .iter()
            .map(|(k, n)| (link("commune", k), commune_label(&net, k), *n))
            .collect(),
    );
    body.push_str("</aside>");
    let _ = write!(
        body,
        "<section aria-labelledby=\"res\"><h2 id=\"res\">{} résultat(s) <span class=\"en\" lang=\"en\">result(s)</span></h2>{}",
        page.total,
        cards(&state, &net, &page.items)
    );
    let pages = page.total.div_ceil(PER_PAGE);
    if pages > 1 {
        body.push_str("<nav aria-label=\"Pages\"><ul class=\"pager\">");
        if q.page > 1 {
            let _ = write!(
                body,
                "<li><a rel=\"prev\" href=\"/annuaire?{}&amp;page={}\">Précédente <span class=\"en\" lang=\"en\">previous</span></a></li>",
                esc(&base),
                q.page - 1
            );
        }
        let _ = write!(body, "<li>Page {} / {pages}</li>", q.page);
        if q.page < pages {
            let _ = write!(
                body,
                "<li><a rel=\"next\" href=\"/annuaire?{}&amp;page={}\">Suivante <span class=\"en\" lang=\"en\">next</span></a></li>",
                esc(&base),
                q.page + 1
            );
        }
        body.push_str("</ul></nav>");
    }
    body.push_str("</section>");
    site_page(&state, &net, "/annuaire", "Annuaire", "", &body)
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `GET /agenda`: events and calls for participation, as a list and a month grid, with the
/// same filter as iCalendar, RSS and Atom.
pub async fn agenda(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let raw = request.uri().query().unwrap_or("").to_owned();
    let q = parse_query(&net, Some(&raw));
    let (y, m) = q.month.unwrap_or_else(this_month);
    let (from, to) = month_range(y, m);
    let mut f = q.filter.clone();
    if f.kinds.is_empty() {
        f.kinds = vec![Kind::Event, Kind::Call];
    }
    let entries = net.index.agenda(&f, from, to, 2_000);
    let month_name = format!("{} {y}", MONTHS[(m - 1) as usize]);
    let base = query_without(&raw, &["month", "page"]);
    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let amp = if base.is_empty() { "" } else { "&amp;" };
    let mut body = format!(
        "<h1>Agenda — {month_name}</h1><p class=\"en\" lang=\"en\">Events and calls for participation</p>"
    );
    body.push_str(&problems_html(&q));
    body.push_str(&filter_form(
        &net,
        &q,
        "/agenda",
        &[Kind::Event, Kind::Call],
        &format!("<input type=\"hidden\" name=\"month\" value=\"{y:04}-{m:02}\">"),
    ));
    let feed_query = if base.is_empty() {
        String::new()
    } else {
        format!("?{}", esc(&base))
    };
    let _ = write!(
        body,
        "<nav aria-label=\"Mois\"><ul class=\"pager\"><li><a href=\"/agenda?{b}{amp}month={py:04}-{pm:02}\">← {}</a></li><li><a href=\"/agenda?{b}{amp}month={ny:04}-{nm:02}\">{} →</a></li></ul></nav>\
<p class=\"feeds\">S'abonner à cette sélection <span class=\"en\" lang=\"en\">(subscribe to this selection)</span> : \
<a href=\"/agenda.ics{fq}\">iCalendar</a> · <a href=\"/agenda.rss{fq}\">RSS</a> · <a href=\"/agenda.atom{fq}\">Atom</a></p>",
        MONTHS[(pm - 1) as usize],
        MONTHS[(nm - 1) as usize],
        b = esc(&base),
        fq = feed_query,
    );
    // The month grid: a table, Monday first, each day listing its events.
    let paris = chrono_tz::Europe::Paris;
    let first = paris.with_ymd_and_hms(y, m, 1, 12, 0, 0).earliest();
    let days_in_month = ((to - from) / 86_400_000 + 1).clamp(28, 31) as u32;
    let days_in_month = (28..=31)
        .rev()
        .find(|d| *d <= days_in_month && chrono::NaiveDate::from_ymd_opt(y, m, *d).is_some())
        .unwrap_or(28);
    if let Some(first) = first {
        let offset = first.weekday().num_days_from_monday();
        let _ = write!(
            body,
            "<table class=\"month\"><caption>{month_name}</caption><thead><tr>"
        );
        for d in ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."] {
            let _ = write!(body, "<th scope=\"col\">{d}</th>");
        }
        body.push_str("</tr></thead><tbody><tr>");
        for _ in 0..offset {
            body.push_str("<td></td>");
        }
        for day in 1..=days_in_month {
            let col = (offset + day - 1) % 7;
            if col == 0 && day > 1 {
                body.push_str("</tr><tr>");
            }
            let _ = write!(body, "<td><span class=\"day\">{day}</span>");
            let todays: Vec<&Arc<Entry>> = entries
                .iter()
                .filter(|e| {
                    e.start
                        .as_deref()
                        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                        .is_some_and(|d| {
                            let p = d.with_timezone(&paris);
                            p.year() == y && p.month() == m && p.day() == day
                        })
                })
                .collect();
            if !todays.is_empty() {
                body.push_str("<ul>");
                for e in todays.iter().take(4) {
                    let _ = write!(
                        body,
                        "<li><a href=\"{}\">{}</a></li>",
                        esc(&page_of(&state, e)),
                        esc(&e.label)
                    );
                }
                if todays.len() > 4 {
                    let _ = write!(body, "<li>+{}</li>", todays.len() - 4);
                }
                body.push_str("</ul>");
            }
            body.push_str("</td>");
        }
        body.push_str("</tr></tbody></table>");
    }
    // The list, by pages of 100 (the grid above shows the whole month).
    const PER_PAGE: usize = 100;
    let pages = entries.len().div_ceil(PER_PAGE).max(1);
    let shown: Vec<Arc<Entry>> = entries
        .iter()
        .skip((q.page.min(pages) - 1) * PER_PAGE)
        .take(PER_PAGE)
        .cloned()
        .collect();
    let _ = write!(
        body,
        "<section aria-labelledby=\"list\"><h2 id=\"list\">Liste <span class=\"en\" lang=\"en\">List</span> ({})</h2>{}",
        entries.len(),
        cards(&state, &net, &shown)
    );
    if pages > 1 {
        let here = format!("{}{amp}month={y:04}-{m:02}", esc(&base));
        body.push_str("<nav aria-label=\"Pages de la liste\"><ul class=\"pager\">");
        if q.page > 1 {
            let _ = write!(
                body,
                "<li><a rel=\"prev\" href=\"/agenda?{here}&amp;page={}#list\">Précédente <span class=\"en\" lang=\"en\">previous</span></a></li>",
                q.page - 1
            );
        }
        let _ = write!(body, "<li>Page {} / {pages}</li>", q.page.min(pages));
        if q.page < pages {
            let _ = write!(
                body,
                "<li><a rel=\"next\" href=\"/agenda?{here}&amp;page={}#list\">Suivante <span class=\"en\" lang=\"en\">next</span></a></li>",
                q.page + 1
            );
        }
        body.push_str("</ul></nav>");
    }
    body.push_str("</section>");
    site_page(
        &state,
        &net,
        "/agenda",
        &format!("Agenda — {month_name}"),
        "",
        &body,
    )
}

/// `GET /fiche?id=IRI`: the page of a place, resident, project or event, with links to its
/// own site and to the source data.
pub async fn entry_page(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let id = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let Some(e) = net.index.get(&id) else {
        return plain(
            StatusCode::NOT_FOUND,
            "cette fiche n'existe pas (ou plus) / there is no such entry (any more)",
        );
    };
    let mut body = format!(
        "<p class=\"kind\">{}</p><h1>{}</h1>",
        kind_one_fr(e.kind),
        esc(&e.label)
    );
    if let Some(img) = &e.image {
        let _ = write!(body, "<img class=\"photo\" src=\"{}\" alt=\"\">", esc(img));
    }
    if !e.summary.is_empty() {
        let _ = write!(body, "<p class=\"lead\">{}</p>", esc(&e.summary));
    }
    body.push_str("<dl>");
    if let Some(s) = &e.start {
        let _ = write!(
            body,
            "<dt>Quand <span class=\"en\" lang=\"en\">(when)</span></dt><dd><time datetime=\"{0}\">{1}</time>",
            esc(s),
            esc(&date_fr(s))
        );
        if let Some(end) = &e.end {
            let _ = write!(
                body,
                " — <time datetime=\"{0}\">{1}</time>",
                esc(end),
                esc(&date_fr(end))
            );
        }
        body.push_str("</dd>");
    }
    if !e.address.is_empty() {
        let _ = write!(
            body,
            "<dt>Adresse <span class=\"en\" lang=\"en\">(address)</span></dt><dd>{}</dd>",
            esc(&e.address)
        );
    }
    if let Some(c) = &e.commune {
        let _ = write!(
            body,
            "<dt>Commune</dt><dd>{}</dd>",
            esc(&commune_label(&net, c))
        );
    }
    if !e.skills.is_empty() {
        let labels: Vec<String> = e
            .skills
            .iter()
            .map(|s| {
                format!(
                    "<a href=\"/annuaire?skill={}\">{}</a>",
                    esc(&form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()),
                    esc(&skill_label(&net, s))
                )
            })
            .collect();
        let _ = write!(
            body,
            "<dt>Compétences <span class=\"en\" lang=\"en\">(skills)</span></dt><dd>{}</dd>",
            labels.join(", ")
        );
    }
    if !e.places.is_empty() {
        let links: Vec<String> = e
            .places
            .iter()
            .map(|p| match net.index.get(p) {
                Some(pe) => format!(
                    "<a href=\"{}\">{}</a>",
                    esc(&page_of(&state, &pe)),
                    esc(&pe.label)
                ),
                None => esc(p),
            })
            .collect();
        let label = if e.kind == Kind::Resident {
            "Résident·e de"
        } else {
            "Proposé par"
        };
        let _ = write!(
            body,
            "<dt>{label} <span class=\"en\" lang=\"en\">(at)</span></dt><dd>{}</dd>",
            links.join(", ")
        );
    }
    if let Some(w) = &e.website {
        let _ = write!(
            body,
            "<dt>Site web <span class=\"en\" lang=\"en\">(website)</span></dt><dd><a href=\"{0}\" rel=\"external\">{0}</a></dd>",
            esc(w)
        );
    }
    let _ = write!(
        body,
        "<dt>Données source <span class=\"en\" lang=\"en\">(source data)</span></dt><dd><a href=\"{0}\" rel=\"external\">{0}</a></dd>",
        esc(&e.id)
    );
    if let Some(d) = &e.derived_from {
        let _ = write!(
            body,
            "<dt>Original <span class=\"en\" lang=\"en\">(original)</span></dt><dd><a href=\"{0}\" rel=\"external\">{0}</a></dd>",
            esc(d)
        );
    }
    body.push_str("</dl>");
    if !e.description.is_empty() {
        let _ = write!(
            body,
            "<section><h2>Description</h2><p>{}</p></section>",
            esc(&e.description).replace('\n', "<br>")
        );
    }
    if e.kind == Kind::Place {
        let listed = net.index.listed_by(&e.id);
        for (kind, fr, en) in [
            (Kind::Resident, "Résident·es", "Residents"),
            (Kind::Project, "Projets", "Projects"),
            (Kind::Event, "Événements", "Events"),
        ] {
            let mut of: Vec<Arc<Entry>> =
                listed.iter().filter(|x| x.kind == kind).cloned().collect();
            of.sort_by_cached_key(|x| kommon_network::text::fold(&x.label));
            if !of.is_empty() {
                let total = of.len();
                of.truncate(48);
                let more = if total > of.len() {
                    format!(
                        "<p><a href=\"/annuaire?type={}&amp;place={}\">Les {total} <span class=\"en\" lang=\"en\">(all of them)</span></a></p>",
                        kind.as_str(),
                        esc(&form_urlencoded::byte_serialize(e.id.as_bytes()).collect::<String>())
                    )
                } else {
                    String::new()
                };
                let _ = write!(
                    body,
                    "<section><h2>{fr} <span class=\"en\" lang=\"en\">{en}</span> ({total})</h2>{}{more}</section>",
                    cards(&state, &net, &of)
                );
            }
        }
    }
    if let Some(p) = net.index.point_of(&e) {
        let _ = write!(
            body,
            "<p><a href=\"/carte?bbox={},{},{},{}\">Voir sur la carte <span class=\"en\" lang=\"en\">(see on the map)</span></a></p>",
            p.lon - 0.01,
            p.lat - 0.01,
            p.lon + 0.01,
            p.lat + 0.01
        );
    }
    site_page(&state, &net, "", &e.label, "", &body)
}

/// `GET /relations`: who is resident where, and who works with whom, as lists (the graph's
/// accessible form) and as a diagram.
pub async fn relations(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let q = parse_query(&net, request.uri().query());
    let mut body = String::from(
        "<h1>Relations <span class=\"en\" lang=\"en\">Relations</span></h1>\
<p>Qui est résident·e où, et qui se retrouve dans plusieurs lieux. <span class=\"en\" lang=\"en\">Who is resident where, and who is found in several places.</span></p>",
    );
    // Thirty places a page: a national network's relations are read place by place.
    const PER_PAGE: usize = 30;
    let all_places = net.index.all_of(Kind::Place);
    let pages = all_places.len().div_ceil(PER_PAGE).max(1);
    let page = q.page.min(pages);
    let places: Vec<Arc<Entry>> = all_places
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .cloned()
        .collect();
    if pages > 1 {
        let _ = write!(
            body,
            "<p>Lieux {} à {} sur {} <span class=\"en\" lang=\"en\">(places {}–{} of {})</span>.</p>",
            (page - 1) * PER_PAGE + 1,
            (page - 1) * PER_PAGE + places.len(),
            all_places.len(),
            (page - 1) * PER_PAGE + 1,
            (page - 1) * PER_PAGE + places.len(),
            all_places.len()
        );
    }
    let intro_len = body.len();
    let mut shared: Vec<Arc<Entry>> = Vec::new();
    for p in &places {
        let mut residents: Vec<Arc<Entry>> = net
            .index
            .listed_by(&p.id)
            .into_iter()
            .filter(|e| e.kind == Kind::Resident)
            .collect();
        residents.sort_by_cached_key(|x| kommon_network::text::fold(&x.label));
        let _ = write!(
            body,
            "<section><h2><a href=\"{}\">{}</a> — {} résident·es</h2><ul>",
            esc(&page_of(&state, p)),
            esc(&p.label),
            residents.len()
        );
        for r in residents.iter().filter(|r| r.places.len() > 1) {
            if !shared.iter().any(|s| s.id == r.id) && shared.len() < 500 {
                shared.push(Arc::clone(r));
            }
        }
        for r in residents.iter().take(12) {
            let _ = write!(
                body,
                "<li><a href=\"{}\">{}</a></li>",
                esc(&page_of(&state, r)),
                esc(&r.label)
            );
        }
        body.push_str("</ul>");
        if residents.len() > 12 {
            let _ = write!(
                body,
                "<p><a href=\"/annuaire?type=resident&amp;place={}\">Les {} résident·es <span class=\"en\" lang=\"en\">(all residents)</span></a></p>",
                esc(&form_urlencoded::byte_serialize(p.id.as_bytes()).collect::<String>()),
                residents.len()
            );
        }
        body.push_str("</section>");
    }
    body.insert_str(intro_len, &relations_svg(&state, &places, &shared));
    if !shared.is_empty() {
        body.push_str("<section><h2>Dans plusieurs lieux <span class=\"en\" lang=\"en\">In several places</span></h2><ul>");
        for r in &shared {
            let names: Vec<String> = r
                .places
                .iter()
                .map(|p| esc(&place_label(&net, p)))
                .collect();
            let _ = write!(
                body,
                "<li><a href=\"{}\">{}</a> : {}</li>",
                esc(&page_of(&state, r)),
                esc(&r.label),
                names.join(", ")
            );
        }
        body.push_str("</ul></section>");
    }
    body.push_str(&value_chains(&state, &net).await);
    if pages > 1 {
        body.push_str("<nav aria-label=\"Pages\"><ul class=\"pager\">");
        if page > 1 {
            let _ = write!(
                body,
                "<li><a rel=\"prev\" href=\"/relations?page={}\">Précédente <span class=\"en\" lang=\"en\">previous</span></a></li>",
                page - 1
            );
        }
        let _ = write!(body, "<li>Page {page} / {pages}</li>");
        if page < pages {
            let _ = write!(
                body,
                "<li><a rel=\"next\" href=\"/relations?page={}\">Suivante <span class=\"en\" lang=\"en\">next</span></a></li>",
                page + 1
            );
        }
        body.push_str("</ul></nav>");
    }
    site_page(&state, &net, "/relations", "Relations", "", &body)
}

/// Value chains: the partnerships, supplies and support the members' documents declare
/// (`kommon:partnerOf`, `kommon:supplies`, `kommon:supports`, any sub-property of
/// `kommon:valueChainRelation` but the residencies listed above), and who takes part in which
/// project, read from the public store.
async fn value_chains(state: &AppState, net: &Arc<NetworkSite>) -> String {
    use kommon_rdf::{QueryOptions, QueryOutcome};
    // The declared relations, and who takes part in which project (`pair:involves`).
    const QUERY: &str = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX kommon: <https://w3id.org/kommon/ns#>
PREFIX pair: <http://virtual-assembly.org/ontologies/pair#>
SELECT ?a ?p ?b ?label WHERE {
  {
    ?p rdfs:subPropertyOf+ kommon:valueChainRelation .
    FILTER(?p != kommon:hosts)
    ?a ?p ?b .
    OPTIONAL { ?p rdfs:label ?label FILTER(lang(?label) = \"fr\") }
  } UNION {
    ?b a pair:Project ; pair:involves ?a .
    BIND(pair:involves AS ?p)
    BIND(\"participe au projet\" AS ?label)
  }
} LIMIT 500";
    let store = net.records.store().clone();
    let rows = tokio::task::spawn_blocking(move || {
        let options = QueryOptions {
            default_graph_as_union: true,
            timeout: Some(std::time::Duration::from_secs(5)),
            max_results: Some(500),
            ..QueryOptions::default()
        };
        match store.query(QUERY, &options) {
            Ok(QueryOutcome::Solutions { rows, .. }) => rows,
            Ok(_) => Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "reading value chains");
                Vec::new()
            }
        }
    })
    .await
    .unwrap_or_default();
    let iri = |t: &Option<oxrdf::Term>| match t {
        Some(oxrdf::Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    };
    let mut items = String::new();
    for row in &rows {
        let (Some(a), Some(p), Some(b)) = (iri(&row[0]), iri(&row[1]), iri(&row[2])) else {
            continue;
        };
        let label = match row.get(3) {
            Some(Some(oxrdf::Term::Literal(l))) => l.value().to_owned(),
            _ => p.rsplit(['#', '/']).next().unwrap_or(&p).to_owned(),
        };
        let name = |id: &str| match net.index.get(id) {
            Some(e) => format!(
                "<a href=\"{}\">{}</a>",
                esc(&page_of(state, &e)),
                esc(&e.label)
            ),
            None => format!("<a href=\"{0}\" rel=\"external\">{0}</a>", esc(id)),
        };
        let _ = write!(
            items,
            "<li>{} — {} — {}</li>",
            name(&a),
            esc(&label),
            name(&b)
        );
    }
    if items.is_empty() {
        return "<section><h2>Chaînes de valeur <span class=\"en\" lang=\"en\">Value chains</span></h2>\
<p>Aucun partenariat ni approvisionnement déclaré pour l'instant. <span class=\"en\" lang=\"en\">No partnership or supply declared yet.</span></p></section>"
            .into();
    }
    format!(
        "<section><h2>Chaînes de valeur <span class=\"en\" lang=\"en\">Value chains</span></h2><ul>{items}</ul></section>"
    )
}

/// The relations as a diagram: the places on a circle, sized by their number of residents;
/// the residents of several places between them, linked to each. The lists below say the same.
fn relations_svg(state: &AppState, places: &[Arc<Entry>], shared: &[Arc<Entry>]) -> String {
    if places.is_empty() {
        return String::new();
    }
    let net = state.network.as_ref();
    let (w, h, cx, cy, r) = (720.0_f64, 460.0_f64, 360.0_f64, 230.0_f64, 170.0_f64);
    let n = places.len() as f64;
    let mut at: std::collections::HashMap<&str, (f64, f64)> = std::collections::HashMap::new();
    let mut s = format!(
        "<figure><svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-labelledby=\"rel-title rel-desc\">\
<title id=\"rel-title\">Relations entre les lieux et leurs résident·es</title>\
<desc id=\"rel-desc\">{} lieux ; {} résident·es dans plusieurs lieux. La liste qui suit donne les mêmes relations.</desc>",
        places.len(),
        shared.len()
    );
    for (i, p) in places.iter().enumerate() {
        let a = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
        let (x, y) = if places.len() == 1 {
            (cx, cy)
        } else {
            (cx + r * a.cos(), cy + r * a.sin())
        };
        at.insert(p.id.as_str(), (x, y));
    }
    for e in shared {
        let points: Vec<(f64, f64)> = e
            .places
            .iter()
            .filter_map(|p| at.get(p.as_str()).copied())
            .collect();
        if points.is_empty() {
            continue;
        }
        let mx = points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64;
        let my = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
        // Toward the centre, so that people between the same places do not overlap the line.
        let (x, y) = (mx + (cx - mx) * 0.25, my + (cy - my) * 0.25);
        for (px, py) in &points {
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{px:.1}\" y2=\"{py:.1}\" stroke=\"#6b7c93\" stroke-width=\"1.5\"/>"
            );
        }
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#e37400\"><title>{}</title></circle>",
            esc(&e.label)
        );
    }
    for p in places {
        let Some(&(x, y)) = at.get(p.id.as_str()) else {
            continue;
        };
        let residents = net.map_or(0, |n| {
            n.index
                .listed_by(&p.id)
                .iter()
                .filter(|e| e.kind == Kind::Resident)
                .count()
        });
        let radius = 12.0 + (residents as f64).sqrt() * 4.0;
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius:.1}\" fill=\"#12355b\"><title>{} — {residents} résident·es</title></circle>\
<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"14\" fill=\"#1d1d1d\">{}</text>",
            esc(&p.label),
            y + radius + 16.0,
            esc(&p.label)
        );
    }
    s.push_str("</svg><figcaption>En bleu les lieux (taille : nombre de résident·es), en orange les résident·es de plusieurs lieux. <span class=\"en\" lang=\"en\">Places in blue, residents of several places in orange.</span></figcaption></figure>");
    s
}

/// `GET /requetes`: the visual query builder (Sparnatural) and a raw SPARQL editor whose
/// results are rendered on the server, so it works without JavaScript.
pub async fn queries(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let query = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v.into_owned());
    let default = "PREFIX pair: <http://virtual-assembly.org/ontologies/pair#>\nPREFIX kommon: <https://w3id.org/kommon/ns#>\nSELECT ?lieu ?nom WHERE {\n  ?lieu a pair:PhysicalPlace ; pair:label ?nom .\n} ORDER BY ?nom LIMIT 100";
    let text = query.clone().unwrap_or_else(|| default.to_owned());
    let mut body = String::from(
        "<h1>Requêtes <span class=\"en\" lang=\"en\">Queries</span></h1>\
<p>Interrogez les données publiques du réseau. <span class=\"en\" lang=\"en\">Query the network's public data.</span> \
Point d'accès SPARQL <span class=\"en\" lang=\"en\">(SPARQL endpoint)</span> : <code>/sparql</code>.</p>\
<section><h2>Constructeur visuel <span class=\"en\" lang=\"en\">Visual query builder</span></h2>\
<p class=\"help\">Choisissez ce que vous cherchez, puis précisez. Nécessite JavaScript ; l'éditeur ci-dessous fonctionne sans. \
<span class=\"en\" lang=\"en\">Needs JavaScript; the editor below works without.</span></p>\
<spar-natural src=\"/assets/query-builder.ttl\" endpoint=\"/sparql\" lang=\"fr\" defaultLang=\"fr\" distinct=\"true\" limit=\"500\"></spar-natural>\
<div id=\"builder-results\" aria-live=\"polite\"></div></section>",
    );
    let _ = write!(
        body,
        "<section><h2>Éditeur SPARQL <span class=\"en\" lang=\"en\">SPARQL editor</span></h2>\
<form method=\"get\" action=\"/requetes\"><p><label for=\"query\">Requête <span class=\"en\" lang=\"en\">Query</span></label></p>\
<textarea id=\"query\" name=\"query\" rows=\"10\" cols=\"80\" spellcheck=\"false\">{}</textarea>\
<p><button type=\"submit\">Exécuter <span class=\"en\" lang=\"en\">Run</span></button></p></form>",
        esc(&text)
    );
    if let Some(qtext) = query {
        body.push_str(&run_query(&net, &qtext).await);
    }
    body.push_str("</section>");
    let head = "<link rel=\"stylesheet\" href=\"/assets/vendor/sparnatural/sparnatural.css\">\
<script defer src=\"/assets/vendor/sparnatural/sparnatural.js\"></script>\
<script defer src=\"/assets/site/query.js\"></script>";
    site_page(&state, &net, "/requetes", "Requêtes", head, &body)
}

/// Runs a SELECT or ASK on the public store and renders the answer as a table.
async fn run_query(net: &NetworkSite, text: &str) -> String {
    use kommon_rdf::{QueryOptions, QueryOutcome};
    if text.len() > 64 * 1024 {
        return "<p class=\"problem\" role=\"alert\">La requête est trop longue (64 Kio au plus). <span class=\"en\" lang=\"en\">The query is too long.</span></p>".into();
    }
    let store = net.records.store().clone();
    let text = text.to_owned();
    let outcome = tokio::task::spawn_blocking(move || {
        let options = QueryOptions {
            default_graph_as_union: true,
            timeout: Some(std::time::Duration::from_secs(10)),
            max_results: Some(1_000),
            ..QueryOptions::default()
        };
        match store.query(&text, &options) {
            Ok(QueryOutcome::Solutions { variables, rows }) => {
                let mut s = format!("<table class=\"results\"><caption>{} ligne(s) <span class=\"en\" lang=\"en\">row(s)</span></caption><thead><tr>", rows.len());
                for v in &variables {
                    let _ = write!(s, "<th scope=\"col\">{}</th>", esc(v.as_str()));
                }
                s.push_str("</tr></thead><tbody>");
                for row in rows.iter().take(1_000) {
                    s.push_str("<tr>");
                    for cell in row {
                        let v = match cell {
                            Some(oxrdf::Term::NamedNode(n)) => format!("<a href=\"{0}\">{0}</a>", esc(n.as_str())),
                            Some(oxrdf::Term::Literal(l)) => esc(l.value()),
                            Some(t) => esc(&t.to_string()),
                            None => String::new(),
                        };
                        let _ = write!(s, "<td>{v}</td>");
                    }
                    s.push_str("</tr>");
                }
                s.push_str("</tbody></table>");
                s
            }
            Ok(QueryOutcome::Boolean(b)) => format!("<p>Réponse <span class=\"en\" lang=\"en\">(answer)</span> : <strong>{}</strong></p>", if b { "oui / yes" } else { "non / no" }),
            Ok(QueryOutcome::Graph(triples)) => format!("<p>{} triplet(s). Pour les graphes, utilisez <code>/sparql</code>. <span class=\"en\" lang=\"en\">For graphs, use /sparql.</span></p>", triples.len()),
            Err(e) => format!("<p class=\"problem\" role=\"alert\">{}</p>", esc(&e.to_string())),
        }
    })
    .await;
    outcome.unwrap_or_else(|_| "<p class=\"problem\" role=\"alert\">La requête a échoué. <span class=\"en\" lang=\"en\">The query failed.</span></p>".into())
}

/// `GET /donnees`: what the open data is and where to get it.
pub async fn open_data(State(state): State<AppState>) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let body = "<h1>Données ouvertes <span class=\"en\" lang=\"en\">Open data</span></h1>\
<p>Tout ce que les lieux membres ont validé est public et réutilisable. Chaque objet garde sa provenance (<code>prov:wasDerivedFrom</code>). \
<span class=\"en\" lang=\"en\">Everything the member places approved is public and reusable; each object keeps its provenance.</span></p>\
<ul>\
<li>Point d'accès SPARQL 1.1 <span class=\"en\" lang=\"en\">(SPARQL endpoint)</span> : <code>/sparql</code> (GET ou POST, 10 s et 10 000 résultats au plus)</li>\
<li>GeoJSON : <a href=\"/api/geojson\">/api/geojson</a> (filtres <code>type</code>, <code>skill</code>, <code>place</code>, <code>commune</code>, <code>theme</code>, <code>q</code>, <code>bbox</code>=ouest,sud,est,nord)</li>\
<li>Agenda : <a href=\"/agenda.ics\">iCalendar</a>, <a href=\"/agenda.rss\">RSS</a>, <a href=\"/agenda.atom\">Atom</a> (mêmes filtres, et <code>month</code>=AAAA-MM)</li>\
<li>Export complet <span class=\"en\" lang=\"en\">(full dump)</span> : <a href=\"/donnees/public.ttl\">Turtle</a>, <a href=\"/donnees/public.jsonld\">JSON-LD</a>, <a href=\"/donnees/public.nq\">N-Quads</a></li>\
<li>Vocabulaire <span class=\"en\" lang=\"en\">(vocabulary)</span> : <a href=\"/assets/query-builder.ttl\">configuration du constructeur de requêtes</a></li>\
</ul>";
    site_page(&state, &net, "/donnees", "Données ouvertes", "", body)
}
