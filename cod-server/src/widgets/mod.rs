//! Kommon inside each place's own website: embeddable views of a place (and of the network) —
//! the résidentothèque, a resident's card, the agenda, the map, the open calls, the forms to
//! offer help or ask for a service — three ways: a script (`/embed.js`) that defines custom
//! elements rendering the server's HTML in a shadow root, iframe pages (`/embed/{slug}/{view}`)
//! that size themselves, and oEmbed (`/oembed`). Each view is also data (`.json`, `.jsonld`,
//! `.ics`, `.rss`, `.geojson`) with CORS, for sites that render things themselves.

pub mod oembed;
pub mod views;

use crate::app::{AppState, plain};
use crate::pages::esc;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_network::feeds;
use kommon_orientation::RequestKind;
use std::sync::Arc;
use views::{Rendered, View};

/// The script that defines the custom elements.
const EMBED_JS: &str = include_str!("../../assets/embed/embed.js");

/// `GET /embed.js`.
pub async fn script() -> Response {
    cors(
        (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            EMBED_JS,
        )
            .into_response(),
    )
}

/// Any site may read the views and their data, and send the forms (no cookie is ever used).
pub fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    r
}

/// The look of a view, themed by CSS custom properties (on the custom element, or from the
/// iframe's `couleur`, `texte`, `fond` and `police` parameters).
fn style(scope: &str) -> String {
    format!(
        "<style>{scope}{{--k-accent:var(--kommon-accent,#0b5394);--k-text:var(--kommon-text,#1d1d1d);--k-bg:var(--kommon-background,transparent);--k-font:var(--kommon-font,system-ui,sans-serif);--k-radius:var(--kommon-radius,.5rem);display:block;font-family:var(--k-font);color:var(--k-text);background:var(--k-bg);line-height:1.45}}\
.kommon a{{color:var(--k-accent)}}.kommon h2{{font-size:1.25em;margin:.2em 0 .6em}}.kommon h3{{font-size:1.05em;margin:.2em 0}}.kommon .en{{opacity:.8;font-size:.92em}}\
.k-cards{{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.8rem}}\
.k-card,.k-item{{border:1px solid color-mix(in srgb,var(--k-text) 22%,transparent);border-radius:var(--k-radius);padding:.7rem}}\
.k-card img{{border-radius:50%;object-fit:cover}}.k-list{{list-style:none;padding:0;margin:0;display:grid;gap:.7rem}}.k-meta{{font-size:.92em;opacity:.85;margin:.1em 0}}\
.kommon label{{display:block;margin:.45rem 0}}.kommon label.box{{display:inline-block;margin:.2rem .7rem .2rem 0}}\
.kommon input[type=text],.kommon input[type=email],.kommon textarea,.kommon select{{font:inherit;padding:.3rem;max-width:100%;border:1px solid color-mix(in srgb,var(--k-text) 40%,transparent);border-radius:.3rem}}.kommon textarea{{width:100%}}\
.kommon fieldset{{border:1px solid color-mix(in srgb,var(--k-text) 22%,transparent);border-radius:var(--k-radius);margin:.6rem 0}}\
.kommon button{{font:inherit;padding:.4rem .9rem;background:var(--k-accent);color:#fff;border:0;border-radius:.3rem;cursor:pointer}}\
.k-notice{{border-left:4px solid #2a7a2a;padding:.4rem .8rem;background:color-mix(in srgb,#2a7a2a 10%,transparent)}}.k-error{{border-left:4px solid #a02020;padding:.4rem .8rem;background:color-mix(in srgb,#a02020 10%,transparent)}}\
.k-map{{height:22rem;border-radius:var(--k-radius)}}table.k-grid td{{text-align:center}}</style>"
    )
}

/// A theme value from a query parameter: a colour (`#0a0b0c` or a CSS name of letters) or a
/// font family (letters, digits, spaces, commas, quotes and hyphens), bounded.
fn theme_value(v: &str, font: bool) -> Option<String> {
    let v = v.trim();
    if v.is_empty() || v.len() > 80 {
        return None;
    }
    let ok = if font {
        v.chars()
            .all(|c| c.is_alphanumeric() || " ,'-\"".contains(c))
    } else {
        (v.starts_with('#')
            && (v.len() == 4 || v.len() == 7)
            && v[1..].chars().all(|c| c.is_ascii_hexdigit()))
            || v.chars().all(|c| c.is_ascii_alphabetic())
    };
    ok.then(|| v.to_owned())
}

fn query_pairs(raw: &Option<String>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .take(50)
        .collect()
}

fn param<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

/// A page with the status that says what was wrong, in French and English.
fn not_found(message: &str) -> Response {
    cors(plain(StatusCode::NOT_FOUND, message))
}

enum Owner {
    Place(kommon_community::Community),
    Network(
        Arc<crate::network::NetworkSite>,
        kommon_community::Community,
    ),
}

fn owner(state: &AppState, slug: &str) -> Result<Owner, Response> {
    match state.federation.registry.get(slug) {
        Ok(Some(c)) if c.network => match state.network.clone().filter(|n| n.slug == slug) {
            Some(net) => Ok(Owner::Network(net, c)),
            None => Err(not_found(
                "ce réseau n'est pas servi ici / this network is not served here",
            )),
        },
        Ok(Some(c)) => Ok(Owner::Place(c)),
        Ok(None) => Err(not_found(&format!(
            "il n'y a pas de lieu « {} » ici / there is no place {} here",
            slug.chars().take(60).collect::<String>(),
            slug.chars().take(60).collect::<String>()
        ))),
        Err(_) => Err(plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")),
    }
}

fn unknown_view(segment: &str) -> Response {
    let known: Vec<&str> = View::ALL.iter().map(|(_, s)| *s).collect();
    not_found(&format!(
        "vue inconnue « {} » ; les vues : {} / unknown view; the views: {}",
        segment.chars().take(60).collect::<String>(),
        known.join(", "),
        known.join(", ")
    ))
}

/// `GET /embed/{slug}/{view}` (and `{view}.json`, `.jsonld`, `.ics`, `.rss`, `.geojson`).
pub async fn view(
    State(state): State<AppState>,
    Path((slug, segment)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (name, ext) = match segment.split_once('.') {
        Some((n, e)) => (n, Some(e)),
        None => (segment.as_str(), None),
    };
    let Some(v) = View::parse(name) else {
        return unknown_view(&segment);
    };
    let q = query_pairs(&raw);
    let owner = match owner(&state, &slug) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let base = state.federation.base.clone();
    let of = param(&q, "of");
    let (rendered, c) = match &owner {
        Owner::Place(c) => {
            if v.is_form() {
                (None, c)
            } else {
                (views::place_view(&state, c, v, of, &base).await, c)
            }
        }
        Owner::Network(net, c) => (views::network_view(&state, net, v, of, &base), c),
    };
    if let Some(ext) = ext {
        if !v.feeds().contains(&ext) {
            return not_found(&format!(
                "pas de format « {} » pour cette vue ; les formats : {} / no such format for this view",
                ext.chars().take(20).collect::<String>(),
                v.feeds().join(", ")
            ));
        }
        let Some(r) = rendered else {
            return not_found("rien à cet endroit / nothing here");
        };
        return feed(&state, &r, ext);
    }
    let html = if v.is_form() {
        match &owner {
            Owner::Place(c) => form_html(&state, c, v, None),
            Owner::Network(..) => {
                return not_found(
                    "les formulaires sont ceux des lieux / the forms are the places'",
                );
            }
        }
    } else {
        match &rendered {
            Some(r) => r.html.clone(),
            None => return not_found("pas de résident·e à cette adresse / no such resident"),
        }
    };
    let (fr, en) = v.titles();
    let title = rendered
        .as_ref()
        .map(|r| r.title.clone())
        .unwrap_or_else(|| format!("{fr} — {}", c.name));
    if param(&q, "fragment") == Some("1") {
        let map = if v == View::Map {
            format!(
                "<iframe src=\"{}\" title=\"{}\" style=\"width:100%;height:24rem;border:0\" loading=\"lazy\"></iframe>",
                esc(&format!("{base}/embed/{slug}/carte?carte=seule")),
                esc(&format!("Carte — {}", c.name))
            )
        } else {
            String::new()
        };
        return cors(
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                format!(
                    "{}<div class=\"kommon\" lang=\"fr\"><h2>{} <span class=\"en\" lang=\"en\">{en}</span></h2>{map}{html}</div>",
                    style(":host"),
                    esc(&title)
                ),
            )
                .into_response(),
        );
    }
    page(&state, &slug, v, &title, en, &html, &q, rendered.as_ref())
}

/// A view as a page of its own, for an iframe: a meaningful title, the theme from the query,
/// oEmbed discovery, and a script that tells the parent page its height.
#[allow(clippy::too_many_arguments)]
fn page(
    state: &AppState,
    slug: &str,
    v: View,
    title: &str,
    en: &str,
    html: &str,
    q: &[(String, String)],
    rendered: Option<&Rendered>,
) -> Response {
    let base = &state.federation.base;
    let mut theme = String::new();
    for (key, var, font) in [
        ("couleur", "--kommon-accent", false),
        ("texte", "--kommon-text", false),
        ("fond", "--kommon-background", false),
        ("police", "--kommon-font", true),
    ] {
        if let Some(value) = param(q, key).and_then(|v| theme_value(v, font)) {
            theme.push_str(&format!("{var}:{value};"));
        }
    }
    let self_url = format!("{base}/embed/{slug}/{}", v.segment());
    let oembed = format!(
        "{base}/oembed?url={}",
        form_urlencoded::byte_serialize(self_url.as_bytes()).collect::<String>()
    );
    let only_map = v == View::Map && param(q, "carte") == Some("seule");
    let map = if v == View::Map {
        let tiles = &state.config.map_tiles;
        format!(
            "<div id=\"k-map\" class=\"k-map\" role=\"region\" aria-label=\"{}\" data-geojson=\"{}\" data-tiles=\"{}\" data-attribution=\"{}\"></div>\
<link rel=\"stylesheet\" href=\"/assets/vendor/leaflet/leaflet.css\"><script src=\"/assets/vendor/leaflet/leaflet.js\"></script><script src=\"/assets/embed/map.js\"></script>",
            esc(&format!(
                "{title} (la liste qui suit donne les mêmes lieux)"
            )),
            esc(&format!("{self_url}.geojson")),
            esc(tiles),
            esc(&state.config.map_attribution),
        )
    } else {
        String::new()
    };
    let list = if only_map {
        String::new()
    } else {
        html.to_owned()
    };
    let count = rendered.map(|r| r.entries.len()).unwrap_or(0);
    let doc = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
<link rel=\"alternate\" type=\"application/json+oembed\" href=\"{oembed}\" title=\"{t}\">{style}<style>:root{{{theme}}}body{{margin:0;padding:.5rem}}</style></head>\
<body class=\"kommon\" data-count=\"{count}\"><main><h1 style=\"font-size:1.3em\">{t} <span class=\"en\" lang=\"en\">{en}</span></h1>{map}{list}</main>\
<script>(function(){{function h(){{var b=document.body;parent.postMessage({{kommon:'height',height:Math.ceil(b.getBoundingClientRect().height)+16}},'*')}}addEventListener('load',function(){{h();setTimeout(h,500)}});new ResizeObserver(h).observe(document.body)}})()</script></body></html>",
        t = esc(title),
        style = style(":root"),
        oembed = esc(&oembed),
    );
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], doc).into_response();
    // Made to be framed by any site.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors *"),
    );
    cors(r)
}

/// A form of a place, as HTML; `result` is what answered a form just sent.
fn form_html(
    state: &AppState,
    c: &kommon_community::Community,
    v: View,
    result: Option<&str>,
) -> String {
    let o = &state.orientation;
    let base = &state.federation.base;
    let action = format!("{base}/embed/{}/{}", c.slug, v.segment());
    let mut out = result.unwrap_or_default().to_owned();
    let (intro, extra) = match v {
        View::ServiceForm => {
            if !o.desk.takes_service_requests(&c.slug).unwrap_or(false) {
                out.push_str(&format!(
                    "<p class=\"k-notice\">{} ne prend pas de nouvelles demandes en ce moment. <span class=\"en\" lang=\"en\">No new requests right now.</span></p>",
                    esc(&c.name)
                ));
                return out;
            }
            let settings = o.desk.settings(&c.slug).unwrap_or_default();
            let mut boxes = String::from(
                "<fieldset><legend>Le service dont j'ai besoin <span class=\"en\" lang=\"en\">The service I need</span></legend>",
            );
            for s in &settings.services {
                if let Some(id) = o.services.id(s) {
                    boxes.push_str(&format!(
                        "<label class=\"box\"><input type=\"checkbox\" name=\"services\" value=\"{}\"> {}</label> ",
                        esc(s),
                        esc(o.services.label_fr(id))
                    ));
                }
            }
            boxes.push_str("</fieldset>");
            (
                "Ma demande <span class=\"en\" lang=\"en\">(what I need)</span>",
                boxes,
            )
        }
        View::JoinForm => (
            "Qui je suis, ce que je fais, ce que j'aimerais faire au lieu <span class=\"en\" lang=\"en\">(who I am, what I do)</span>",
            "<label for=\"k-adhesion-webid\">L'adresse de mon pod (WebID), si j'en ai un <span class=\"en\" lang=\"en\">(my pod, if I have one)</span></label><input id=\"k-adhesion-webid\" type=\"url\" name=\"webid\" maxlength=\"300\" placeholder=\"https://…\">".to_owned(),
        ),
        _ => (
            "Ce que je sais faire, ce que j'aimerais faire <span class=\"en\" lang=\"en\">(what I can do)</span>",
            String::new(),
        ),
    };
    let days = o
        .desk
        .settings(&c.slug)
        .map(|s| s.retention_days)
        .unwrap_or(90);
    let id = |n: &str| format!("k-{}-{n}", v.segment());
    out.push_str(&format!(
        "<form method=\"post\" action=\"{action}\" data-kommon-form>\
<label for=\"{i_nom}\">Prénom ou nom <span class=\"en\" lang=\"en\">(name)</span></label><input id=\"{i_nom}\" type=\"text\" name=\"nom\" required maxlength=\"120\" autocomplete=\"name\">\
<label for=\"{i_mail}\">Courriel <span class=\"en\" lang=\"en\">(email)</span></label><input id=\"{i_mail}\" type=\"email\" name=\"courriel\" required maxlength=\"254\" autocomplete=\"email\">\
<label for=\"{i_msg}\">{intro}</label><textarea id=\"{i_msg}\" name=\"message\" rows=\"3\" maxlength=\"4000\" required></textarea>{extra}{grid}{commune}\
<label class=\"box\"><input type=\"checkbox\" name=\"consentement\" required> J'accepte que {name} conserve ces informations pour me répondre <span class=\"en\" lang=\"en\">(I agree that {name} keeps this information to answer me)</span></label>\
<p><button>Envoyer <span lang=\"en\">/ Send</span></button></p>\
<p class=\"k-meta\">Vos réponses ne sont vues que par l'équipe de {name} et sont effacées au bout de {days} jours, ou dès que vous retirez votre demande. <span class=\"en\" lang=\"en\">Only {name}'s team sees them; erased after {days} days or when you withdraw.</span></p></form>",
        i_nom = id("nom"),
        i_mail = id("courriel"),
        i_msg = id("message"),
        name = esc(&c.name),
        grid = crate::orientation::availability_grid("dispo").replace("class=\"grid\"", "class=\"k-grid\""),
        commune = crate::orientation::commune_select(o, "commune", "Ma commune <span class=\"en\" lang=\"en\">(my town)</span>"),
    ));
    out
}

/// `POST /embed/{slug}/{form}`: a form sent from an embedded view; the answer replaces it.
pub async fn submit(
    State(state): State<AppState>,
    Path((slug, segment)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let v = match View::parse(&segment) {
        Some(v) if v.is_form() => v,
        _ => return unknown_view(&segment),
    };
    let c = match crate::orientation::public::community(&state, &slug) {
        Ok(c) => c,
        Err(r) => return cors(r),
    };
    let fields = match crate::orientation::read_form(&headers, body).await {
        Ok(f) => f,
        Err(r) => return cors(r),
    };
    let kind = match v {
        View::ServiceForm => RequestKind::Service,
        View::JoinForm => RequestKind::Residency,
        _ => RequestKind::Volunteer,
    };
    let (status, answer) = match crate::orientation::public::take_form(&state, &c, kind, &fields)
        .await
    {
        Ok(token) => {
            let follow = format!("{}/{slug}/suivi/{token}", state.federation.base);
            (
                StatusCode::OK,
                format!(
                    "<div class=\"k-notice\" role=\"status\"><p>Merci, c'est envoyé à {} : l'équipe vous répond. <span class=\"en\" lang=\"en\">Thank you, it is sent.</span></p><p><a href=\"{}\" target=\"_blank\" rel=\"noopener\">Suivre ma demande, ou la retirer <span class=\"en\" lang=\"en\">/ Follow or withdraw it</span></a></p></div>",
                    esc(&c.name),
                    esc(&follow)
                ),
            )
        }
        Err(crate::orientation::public::NotTaken(status, _, message)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            format!(
                "<p class=\"k-error\" role=\"alert\">{}</p>{}",
                esc(&message),
                form_html(&state, &c, v, None)
            ),
        ),
    };
    let q = query_pairs(&raw);
    let (fr, en) = v.titles();
    let mut r = if param(&q, "fragment") == Some("1") {
        cors(
            (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                format!(
                    "{}<div class=\"kommon\" lang=\"fr\"><h2>{fr} — {} <span class=\"en\" lang=\"en\">{en}</span></h2>{answer}</div>",
                    style(":host"),
                    esc(&c.name)
                ),
            )
                .into_response(),
        )
    } else {
        page(
            &state,
            &slug,
            v,
            &format!("{fr} — {}", c.name),
            en,
            &answer,
            &q,
            None,
        )
    };
    *r.status_mut() = status;
    r
}

/// The copy-paste snippets of the admin page: each view three ways, and its data.
pub fn snippets(state: &AppState, slug: &str) -> String {
    let base = &state.federation.base;
    let mut out = format!(
        "<h2 id=\"integrer\">Intégrer Kommon à votre site <span class=\"en\" lang=\"en\">(embed Kommon in your website)</span></h2>\
<p>Copiez l'un de ces extraits dans votre site (WordPress : un bloc « HTML personnalisé »). Le script s'ajoute une fois par page ; les couleurs et la police se règlent avec les propriétés CSS <code>--kommon-accent</code>, <code>--kommon-text</code>, <code>--kommon-background</code>, <code>--kommon-font</code>. Guide complet : <code>docs/widgets.md</code>. <span class=\"en\" lang=\"en\">Copy one of these into your site; the script once per page.</span></p>\
<pre><code>&lt;script src=\"{b}/embed.js\" defer&gt;&lt;/script&gt;</code></pre><table><thead><tr><th scope=\"col\">Vue</th><th scope=\"col\">Script</th><th scope=\"col\">Iframe</th><th scope=\"col\">oEmbed / données</th></tr></thead><tbody>",
        b = esc(base)
    );
    for (view, element, attrs) in [
        (View::Residents, "kommon-residents", ""),
        (View::Agenda, "kommon-agenda", ""),
        (View::Map, "kommon-map", ""),
        (View::Calls, "kommon-calls", ""),
        (View::VolunteerForm, "kommon-form", " type=\"benevolat\""),
        (View::ServiceForm, "kommon-form", " type=\"coup-de-main\""),
        (View::JoinForm, "kommon-form", " type=\"adhesion\""),
    ] {
        let (fr, _) = view.titles();
        let url = format!("{base}/embed/{slug}/{}", view.segment());
        let data: Vec<String> = view
            .feeds()
            .iter()
            .map(|ext| format!("<a href=\"{0}.{ext}\">{ext}</a>", esc(&url)))
            .collect();
        out.push_str(&format!(
            "<tr><th scope=\"row\">{fr}</th><td><code>&lt;{element} server=\"{b}\" place=\"{s}\"{a}&gt;&lt;/{element}&gt;</code></td>\
<td><code>&lt;iframe src=\"{u}\" title=\"{t}\" data-kommon style=\"width:100%;border:0\"&gt;&lt;/iframe&gt;</code></td><td><code>{u}</code> {d}</td></tr>",
            b = esc(base),
            s = esc(slug),
            a = attrs,
            u = esc(&url),
            t = esc(fr),
            d = data.join(" "),
        ));
    }
    out.push_str("</tbody></table>");
    out
}

/// `OPTIONS /embed/…`: the preflight of a cross-site request.
pub async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// A view's entries in a data format.
fn feed(state: &AppState, r: &Rendered, ext: &str) -> Response {
    let link = |e: &kommon_network::Entry| -> String {
        if e.kind == kommon_network::Kind::Resident {
            views::resident_page(&r.resident_pages, &e.id)
        } else {
            e.id.clone()
        }
    };
    let (media, body) = match ext {
        "json" => (
            "application/json",
            serde_json::json!({"title": r.title, "items": r.entries.iter().map(|e| e.as_ref()).collect::<Vec<_>>()}).to_string(),
        ),
        "jsonld" => ("application/ld+json", jsonld(r).to_string()),
        "ics" => (
            "text/calendar; charset=utf-8",
            feeds::icalendar(&r.entries, &r.title, &link),
        ),
        "rss" => (
            "application/rss+xml; charset=utf-8",
            feeds::rss(&r.entries, &r.title, &state.federation.base, &link),
        ),
        _ => {
            let view = kommon_network::MapView {
                total: r.entries.len(),
                points: r
                    .entries
                    .iter()
                    .filter_map(|e| e.point.map(|p| (e.clone(), p)))
                    .collect(),
                clusters: Vec::new(),
            };
            ("application/geo+json", feeds::geojson(&view, &link).to_string())
        }
    };
    cors(([(header::CONTENT_TYPE, media)], body).into_response())
}

/// A view as an ActivityStreams collection: each entry with its type, name, dates and place.
fn jsonld(r: &Rendered) -> serde_json::Value {
    use kommon_network::Kind;
    let items: Vec<serde_json::Value> = r
        .entries
        .iter()
        .map(|e| {
            let kind = match e.kind {
                Kind::Event => serde_json::json!("Event"),
                Kind::Call => serde_json::json!(["Page", "kommon:CallForVolunteers"]),
                Kind::Place => serde_json::json!(["Place", "pair:Place"]),
                Kind::Project => serde_json::json!(["Document", "pair:Project"]),
                Kind::Resident => serde_json::json!("Person"),
            };
            let mut o = serde_json::json!({"id": e.id, "type": kind, "name": e.label});
            if !e.summary.is_empty() {
                o["summary"] = serde_json::json!(e.summary);
            }
            if !e.description.is_empty() {
                o["content"] = serde_json::json!(e.description);
            }
            if let Some(s) = &e.start {
                o["startTime"] = serde_json::json!(s);
            }
            if let Some(s) = &e.end {
                o["endTime"] = serde_json::json!(s);
            }
            if let Some(p) = e.point {
                o["location"] =
                    serde_json::json!({"type": "Place", "latitude": p.lat, "longitude": p.lon});
            }
            if let Some(i) = &e.image {
                o["icon"] = serde_json::json!(i);
            }
            if !e.skills.is_empty() {
                o["schema:skills"] = serde_json::json!(e.skills);
            }
            o
        })
        .collect();
    serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"kommon": "https://w3id.org/kommon/ns#", "pair": "http://virtual-assembly.org/ontologies/pair#", "schema": "http://schema.org/", "schema:skills": {"@type": "@id"}}],
        "type": "Collection",
        "name": r.title,
        "totalItems": items.len(),
        "items": items,
    })
}
