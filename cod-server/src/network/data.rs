//! The network's open data: the GeoJSON API, the agenda as iCalendar, RSS and Atom, the public
//! SPARQL endpoint, and dumps of the public graph. Every answer allows any origin: the data is
//! public, and other sites are meant to use it.

use super::NetworkSite;
use crate::app::{AppState, plain};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, TimeZone};
use kommon_network::{BBox, Entry, Filter, Kind, feeds};
use std::sync::Arc;

/// Most entries shown apart on the map before they are clustered.
pub const MAP_MAX_POINTS: usize = 800;

/// What a query string asks of the network's data.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// The filter.
    pub filter: Filter,
    /// The map's viewport.
    pub bbox: Option<BBox>,
    /// A month (`2027-06`).
    pub month: Option<(i32, u32)>,
    /// Page number (from 1).
    pub page: usize,
    /// The skills asked for, before their narrower ones were added.
    pub skills_asked: Vec<String>,
    /// What could not be read, told to the user.
    pub problems: Vec<String>,
    /// A place's name searched (`lieu`), when there are too many places for a list.
    pub place_name: String,
}

/// Reads `q`, `type`, `skill`, `place`, `commune`, `theme`, `bbox`, `month` and `page`.
pub fn parse_query(net: &NetworkSite, query: Option<&str>) -> Query {
    let mut q = Query {
        page: 1,
        ..Query::default()
    };
    let raw = query.unwrap_or("");
    if raw.len() > 8 * 1024 {
        q.problems
            .push("la requête est trop longue / the query string is too long".into());
        return q;
    }
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        let v = v.trim().to_owned();
        if v.is_empty() {
            continue;
        }
        match k.as_ref() {
            "q" => q.filter.text = v.chars().take(200).collect(),
            "type" => match Kind::parse(&v) {
                Some(kind) if !q.filter.kinds.contains(&kind) => q.filter.kinds.push(kind),
                Some(_) => {}
                None => q.problems.push(format!("type inconnu / unknown type: {v}")),
            },
            "skill" if q.skills_asked.len() < 20 => {
                q.skills_asked.push(v.clone());
                for s in net.skill_and_narrower(&v) {
                    if !q.filter.skills.contains(&s) {
                        q.filter.skills.push(s);
                    }
                }
            }
            "place" if q.filter.places.len() < 50 => q.filter.places.push(v),
            "lieu" => {
                q.place_name = v.chars().take(100).collect();
                let found = net.index.search(
                    &Filter {
                        text: q.place_name.clone(),
                        kinds: vec![Kind::Place],
                        ..Filter::default()
                    },
                    0,
                    50,
                );
                if found.items.is_empty() {
                    q.problems.push(format!("aucun lieu ne s'appelle ainsi / no place by that name: {v}"));
                    // Nothing must match rather than everything.
                    q.filter.places.push(String::new());
                }
                q.filter.places.extend(found.items.iter().map(|e| e.id.clone()));
            }
            "commune" if q.filter.communes.len() < 50 => q.filter.communes.push(v),
            "theme" if q.filter.themes.len() < 20 => q.filter.themes.push(v),
            "bbox" => match BBox::parse(&v) {
                Some(b) => q.bbox = Some(b),
                None => q.problems.push(format!(
                    "bbox doit être ouest,sud,est,nord en degrés / bbox must be west,south,east,north in degrees: {v}"
                )),
            },
            "month" => match parse_month(&v) {
                Some(m) => q.month = Some(m),
                None => q
                    .problems
                    .push(format!("mois attendu AAAA-MM / month expected as YYYY-MM: {v}")),
            },
            "page" => match v.parse::<usize>() {
                Ok(p) if (1..=10_000).contains(&p) => q.page = p,
                _ => q.problems.push(format!("page invalide / bad page: {v}")),
            },
            _ => {}
        }
    }
    q
}

fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    ((1970..=2200).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

/// The first instant of a month in Paris, and of the next, in ms since the epoch.
pub fn month_range(y: i32, m: u32) -> (i64, i64) {
    let paris = chrono_tz::Europe::Paris;
    let start = |y: i32, m: u32| {
        paris
            .with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .earliest()
            .map(|d| d.timestamp_millis())
            .unwrap_or_default()
    };
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (start(y, m), start(ny, nm))
}

/// The current month in Paris.
pub fn this_month() -> (i32, u32) {
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris);
    (now.year(), now.month())
}

/// The page of an entry on the public site.
pub fn page_of(state: &AppState, e: &Entry) -> String {
    format!(
        "{}/fiche?id={}",
        state.federation.base,
        form_urlencoded::byte_serialize(e.id.as_bytes()).collect::<String>()
    )
}

fn network(state: &AppState) -> Result<Arc<NetworkSite>, Response> {
    state
        .network
        .clone()
        .ok_or_else(|| plain(StatusCode::NOT_FOUND, "this server runs no network"))
}

fn bad_query(q: &Query) -> Option<Response> {
    (!q.problems.is_empty()).then(|| plain(StatusCode::BAD_REQUEST, &q.problems.join("\n")))
}

fn with_cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// `GET /api/geojson`: the map's entries as a GeoJSON `FeatureCollection`, filtered like the
/// map (`type`, `skill`, `place`, `commune`, `theme`, `q`, `bbox` as west,south,east,north).
pub async fn geojson(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let q = parse_query(&net, request.uri().query());
    if let Some(r) = bad_query(&q) {
        return with_cors(r);
    }
    let view = net.index.map(&q.filter, q.bbox, MAP_MAX_POINTS);
    let body = feeds::geojson(&view, &|e| page_of(&state, e));
    with_cors(
        (
            [(header::CONTENT_TYPE, "application/geo+json")],
            body.to_string(),
        )
            .into_response(),
    )
}

/// The dated entries of a query: its month, or from yesterday for a year.
fn agenda_entries(net: &NetworkSite, q: &Query, limit: usize) -> Vec<Arc<Entry>> {
    let mut f = q.filter.clone();
    if f.kinds.is_empty() {
        f.kinds = vec![Kind::Event, Kind::Call];
    }
    let (from, to) = match q.month {
        Some((y, m)) => month_range(y, m),
        None => {
            let now = chrono::Utc::now().timestamp_millis();
            (now - 86_400_000, now + 366 * 86_400_000)
        }
    };
    net.index.agenda(&f, from, to, limit)
}

/// `GET /agenda.ics`: the agenda as iCalendar, for any filter of the agenda page.
pub async fn ical(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let q = parse_query(&net, request.uri().query());
    if let Some(r) = bad_query(&q) {
        return r;
    }
    let entries = agenda_entries(&net, &q, 5_000);
    let name = network_name(&state, &net);
    let body = feeds::icalendar(&entries, &format!("Agenda — {name}"), &|e| {
        page_of(&state, e)
    });
    with_cors(
        (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"agenda.ics\"",
                ),
            ],
            body,
        )
            .into_response(),
    )
}

/// The network community's name.
pub fn network_name(state: &AppState, net: &NetworkSite) -> String {
    state
        .federation
        .registry
        .get(&net.slug)
        .ok()
        .flatten()
        .map(|c| c.name)
        .unwrap_or_else(|| net.slug.clone())
}

/// `GET /agenda.rss` and `GET /agenda.atom`: what is coming, as feeds.
pub async fn feed(State(state): State<AppState>, request: Request) -> Response {
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let atom = request.uri().path().ends_with(".atom");
    let q = parse_query(&net, request.uri().query());
    if let Some(r) = bad_query(&q) {
        return r;
    }
    let entries = agenda_entries(&net, &q, 200);
    let name = format!("Agenda — {}", network_name(&state, &net));
    let base = &state.federation.base;
    let link = |e: &Entry| page_of(&state, e);
    let (body, media) = if atom {
        (
            feeds::atom(&entries, &name, &format!("{base}/agenda.atom"), &link),
            "application/atom+xml; charset=utf-8",
        )
    } else {
        (
            feeds::rss(&entries, &name, &format!("{base}/agenda"), &link),
            "application/rss+xml; charset=utf-8",
        )
    };
    with_cors(([(header::CONTENT_TYPE, media)], body).into_response())
}

/// `/sparql`: the SPARQL 1.1 protocol over the public store (public data only; time and
/// result limits; CORS).
pub async fn sparql(State(state): State<AppState>, request: Request) -> Response {
    match network(&state) {
        Ok(net) => kommon_sparql_protocol::handle(&net.sparql, request).await,
        Err(r) => r,
    }
}

/// `GET /donnees/public.{nq,ttl,jsonld}`: the whole public graph, streamed document by
/// document (N-Quads keeps each document's graph; Turtle and JSON-LD give their union).
pub async fn dump(State(state): State<AppState>, request: Request) -> Response {
    use kommon_rdf::codec::{RdfFormat, serialize_quads, serialize_triples};
    let net = match network(&state) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let path = request.uri().path().to_owned();
    let (format, media, name) = match path.rsplit('.').next() {
        Some("nq") => (RdfFormat::NQuads, "application/n-quads", "kommon-public.nq"),
        Some("ttl") => (
            RdfFormat::Turtle,
            "text/turtle; charset=utf-8",
            "kommon-public.ttl",
        ),
        Some("jsonld") => (
            RdfFormat::JsonLd,
            "application/ld+json",
            "kommon-public.jsonld",
        ),
        _ => {
            return plain(
                StatusCode::NOT_FOUND,
                "dumps are public.nq, public.ttl and public.jsonld",
            );
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(16);
    let store = net.records.store().clone();
    tokio::task::spawn_blocking(move || {
        let json = format == RdfFormat::JsonLd;
        if json && tx.blocking_send(Ok(b"[".to_vec())).is_err() {
            return;
        }
        let mut first = true;
        for doc in store.documents() {
            let Ok(oxrdf::NamedOrBlankNode::NamedNode(name)) = doc else {
                continue;
            };
            let Ok(Some(graph)) = store.get_document(name.as_ref()) else {
                continue;
            };
            let chunk = match format {
                RdfFormat::NQuads => {
                    let quads: Vec<oxrdf::Quad> = graph
                        .iter()
                        .map(|t| t.into_owned().in_graph(name.clone()))
                        .collect();
                    serialize_quads(RdfFormat::NQuads, &quads).ok()
                }
                RdfFormat::JsonLd => {
                    let quads: Vec<oxrdf::Quad> = graph
                        .iter()
                        .map(|t| t.into_owned().in_graph(name.clone()))
                        .collect();
                    kommon_rdf::jsonld::from_rdf(&quads).ok().and_then(|v| {
                        let items = v.as_array().cloned().unwrap_or_default();
                        let mut out = Vec::new();
                        for item in items {
                            if !first {
                                out.push(b',');
                            }
                            first = false;
                            out.extend(serde_json::to_vec(&item).ok()?);
                            out.push(b'\n');
                        }
                        Some(out)
                    })
                }
                _ => {
                    let triples: Vec<oxrdf::Triple> =
                        graph.iter().map(|t| t.into_owned()).collect();
                    serialize_triples(RdfFormat::Turtle, &triples, None).ok()
                }
            };
            if let Some(c) = chunk
                && tx.blocking_send(Ok(c)).is_err()
            {
                return;
            }
        }
        if json {
            let _ = tx.blocking_send(Ok(b"]\n".to_vec()));
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    with_cors(
        (
            [
                (header::CONTENT_TYPE, media.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            Body::from_stream(stream),
        )
            .into_response(),
    )
}

/// `GET /assets/…`: the vendored libraries, the site's script and style, embedded in the
/// binary (no CDN at run time).
pub async fn asset(request: Request) -> Response {
    let path = request.uri().path().trim_start_matches("/assets/");
    let Some((bytes, media)) = super::site::ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, b, m)| (*b, *m))
    else {
        return plain(StatusCode::NOT_FOUND, "no such asset");
    };
    (
        [
            (header::CONTENT_TYPE, media),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}
