//! The views a place (or the network) lets other sites embed: what each shows, as entries (for
//! the data feeds) and as HTML (for the script's shadow root and the iframe pages).

use crate::app::AppState;
use crate::pages::esc;
use kommon_community::Community;
use kommon_network::{Entry, Kind, Point};
use kommon_orientation::slots::describe_fr;
use std::sync::Arc;

/// A view that can be embedded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The résidentothèque grid.
    Residents,
    /// One resident's card (`?of=WEBID`).
    Resident,
    /// The agenda.
    Agenda,
    /// The map, with its list.
    Map,
    /// The open calls for volunteers.
    Calls,
    /// The form to offer help.
    VolunteerForm,
    /// The form to ask for a service.
    ServiceForm,
    /// The form to apply to become a resident.
    JoinForm,
}

impl View {
    /// Every view, with its path segment.
    pub const ALL: [(View, &'static str); 8] = [
        (View::Residents, "residentotheque"),
        (View::Resident, "resident"),
        (View::Agenda, "agenda"),
        (View::Map, "carte"),
        (View::Calls, "appels"),
        (View::VolunteerForm, "benevolat"),
        (View::ServiceForm, "coup-de-main"),
        (View::JoinForm, "adhesion"),
    ];

    /// The view of a path segment.
    pub fn parse(segment: &str) -> Option<View> {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == segment)
            .map(|(v, _)| *v)
    }

    /// Its path segment.
    pub fn segment(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(v, _)| *v == self)
            .map(|(_, s)| *s)
            .unwrap_or("residentotheque")
    }

    /// Its French and English titles.
    pub fn titles(self) -> (&'static str, &'static str) {
        match self {
            View::Residents => ("Résidentothèque", "Residents"),
            View::Resident => ("Fiche résident·e", "Resident"),
            View::Agenda => ("Agenda", "Agenda"),
            View::Map => ("Carte", "Map"),
            View::Calls => ("Appels à bénévoles", "Calls for volunteers"),
            View::VolunteerForm => ("Proposer mon aide", "Offer help"),
            View::ServiceForm => ("Demander un coup de main", "Ask for help"),
            View::JoinForm => ("Devenir résident·e", "Become a resident"),
        }
    }

    /// Whether it is a form.
    pub fn is_form(self) -> bool {
        matches!(
            self,
            View::VolunteerForm | View::ServiceForm | View::JoinForm
        )
    }

    /// The feeds it offers (file extensions).
    pub fn feeds(self) -> &'static [&'static str] {
        match self {
            View::Agenda | View::Calls => &["json", "jsonld", "ics", "rss", "geojson"],
            View::Residents | View::Map | View::Resident => &["json", "jsonld", "rss", "geojson"],
            View::VolunteerForm | View::ServiceForm | View::JoinForm => &[],
        }
    }
}

/// The page of a resident: `pages` (where residents' pages are, up to the `=` that takes the
/// WebID) and their WebID.
pub fn resident_page(pages: &str, webid: &str) -> String {
    format!(
        "{pages}{}",
        form_urlencoded::byte_serialize(webid.as_bytes()).collect::<String>()
    )
}

/// What a view shows: entries for the feeds, HTML for the page.
pub struct Rendered {
    /// Its title, in French.
    pub title: String,
    /// The entries it lists.
    pub entries: Vec<Arc<Entry>>,
    /// Its HTML (without the page around it).
    pub html: String,
    /// Where residents' pages are: [`resident_page`] adds the WebID.
    pub resident_pages: String,
}

fn place_point(c: &Community) -> Option<Point> {
    crate::orientation::place_point(c)
}

fn empty(fr: &str, en: &str) -> String {
    format!("<p class=\"k-empty\">{fr} <span class=\"en\" lang=\"en\">{en}</span></p>")
}

/// A place's view; `of` names the resident of a card. `None` when there is no such resident.
pub async fn place_view(
    state: &AppState,
    c: &Community,
    view: View,
    of: Option<&str>,
    base: &str,
) -> Option<Rendered> {
    let fed = &state.federation;
    let place_id = fed.community_id(&c.slug);
    let (fr, _) = view.titles();
    let title = format!("{fr} — {}", c.name);
    let resident_pages = format!("{base}/{}/residents/card?of=", c.slug);
    let mut entries: Vec<Arc<Entry>> = Vec::new();
    let mut html = String::new();
    match view {
        View::Residents | View::Resident => {
            let residencies = fed.records.residencies(&place_id).unwrap_or_default();
            let members: Vec<String> = match (view, of) {
                (View::Resident, Some(of)) => {
                    if !residencies.iter().any(|r| r.member == of) {
                        return None;
                    }
                    vec![of.to_owned()]
                }
                (View::Resident, None) => return None,
                _ => residencies.iter().map(|r| r.member.clone()).collect(),
            };
            let cards = crate::cards::cards(state, members).await;
            if cards.is_empty() {
                html.push_str(&empty("Pas encore de résident·e.", "No resident yet."));
            }
            html.push_str("<ul class=\"k-cards\">");
            for card in &cards {
                let mut e = Entry::new(&card.id, Kind::Resident, &card.name);
                e.summary = card.summary.clone();
                e.image = card.icon.clone();
                e.places = vec![place_id.clone()];
                e.point = place_point(c);
                e.themes = card.disciplines.clone();
                entries.push(Arc::new(e));
                let link = resident_page(&resident_pages, &card.id);
                html.push_str(&format!(
                    "<li class=\"k-card\">{photo}<h3><a href=\"{link}\" target=\"_top\">{name}</a></h3>{disc}{skills}<p>{summary}</p></li>",
                    photo = card
                        .icon
                        .as_ref()
                        .map(|u| format!("<img src=\"{}\" alt=\"\" width=\"72\" height=\"72\">", esc(u)))
                        .unwrap_or_default(),
                    link = esc(&link),
                    name = esc(&card.name),
                    disc = if card.disciplines.is_empty() {
                        String::new()
                    } else {
                        format!("<p class=\"k-meta\">{}</p>", esc(&card.disciplines.join(" · ")))
                    },
                    skills = if card.skills.is_empty() {
                        String::new()
                    } else {
                        format!("<p>Savoir-faire : {}</p>", esc(&card.skills.join(", ")))
                    },
                    summary = esc(&card.summary),
                ));
            }
            html.push_str("</ul>");
        }
        View::Agenda | View::Map | View::Calls => {
            if matches!(view, View::Agenda | View::Map) {
                for e in crate::pages::upcoming_events(state, &c.slug) {
                    entries.push(Arc::new(event_entry(&e, c, &place_id)));
                }
            }
            if matches!(view, View::Calls | View::Map) {
                let today = crate::orientation::today();
                for call in state.orientation.desk.calls(&c.slug).unwrap_or_default() {
                    if !call.is_open(today) {
                        continue;
                    }
                    let id = crate::orientation::calls::object_id(state, &call);
                    let mut e = Entry::new(&id, Kind::Call, &call.title);
                    e.description = call.description.clone();
                    e.summary = call
                        .slots
                        .iter()
                        .map(describe_fr)
                        .collect::<Vec<_>>()
                        .join(" ; ");
                    e.skills = call.skills.clone();
                    e.places = vec![place_id.clone()];
                    e.point = place_point(c);
                    e.end = Some(kommon_orientation::call::end_of_day(call.valid_through));
                    e.start = e.end.clone();
                    entries.push(Arc::new(e));
                }
            }
            if view == View::Map {
                let mut e = Entry::new(&place_id, Kind::Place, &c.name);
                e.summary = c.summary.clone();
                e.point = place_point(c);
                e.address = format!(
                    "{}, {} {}",
                    c.profile.street_address, c.profile.postal_code, c.profile.locality
                );
                entries.insert(0, Arc::new(e));
            }
            html.push_str(&list_html(view, &entries, &resident_pages));
        }
        View::VolunteerForm | View::ServiceForm | View::JoinForm => {}
    }
    Some(Rendered {
        title,
        entries,
        html,
        resident_pages,
    })
}

fn event_entry(e: &serde_json::Value, c: &Community, place_id: &str) -> Entry {
    let mut entry = Entry::new(
        e["id"].as_str().unwrap_or_default(),
        Kind::Event,
        e["name"].as_str().unwrap_or_default(),
    );
    entry.description = kommon_network::text::strip_html(e["content"].as_str().unwrap_or_default());
    entry.start = e["startTime"].as_str().map(str::to_owned);
    entry.end = e["endTime"].as_str().map(str::to_owned);
    entry.places = vec![place_id.to_owned()];
    entry.point = match (
        e["location"]["latitude"].as_f64(),
        e["location"]["longitude"].as_f64(),
    ) {
        (Some(lat), Some(lon)) => Some(Point { lat, lon }),
        _ => place_point(c),
    };
    entry.address = e["location"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    entry
}

/// The network's view, from its index.
pub fn network_view(
    state: &AppState,
    net: &crate::network::NetworkSite,
    view: View,
    of: Option<&str>,
    base: &str,
) -> Option<Rendered> {
    let name = state
        .federation
        .registry
        .get(&net.slug)
        .ok()
        .flatten()
        .map(|c| c.name)
        .unwrap_or_default();
    let now = chrono::Utc::now().timestamp_millis();
    let entries: Vec<Arc<Entry>> = match view {
        View::Residents => net.index.newest(Kind::Resident, 60),
        View::Resident => vec![net.index.get(of?).filter(|e| e.kind == Kind::Resident)?],
        View::Agenda => net.index.agenda(
            &kommon_network::Filter {
                kinds: vec![Kind::Event],
                ..Default::default()
            },
            now,
            now + 90 * 86_400_000,
            100,
        ),
        View::Calls => net
            .index
            .all_of(Kind::Call)
            .into_iter()
            .filter(|c| c.end_ms().is_none_or(|e| e >= now))
            .collect(),
        View::Map => net.index.all_of(Kind::Place),
        View::VolunteerForm | View::ServiceForm | View::JoinForm => return None,
    };
    let (fr, _) = view.titles();
    // A resident's page on the network is their entry's page.
    let resident_pages = format!("{base}/fiche?id=");
    let html = list_html(view, &entries, &resident_pages);
    Some(Rendered {
        title: format!("{fr} — {name}"),
        entries,
        html,
        resident_pages,
    })
}

fn date_fr(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(d) => d
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y à %H:%M")
            .to_string(),
        Err(_) => s.to_owned(),
    }
}

/// A list of entries as HTML: their names linked to their pages, when, where, what.
fn list_html(view: View, entries: &[Arc<Entry>], resident_pages: &str) -> String {
    if entries.is_empty() {
        return match view {
            View::Agenda => empty("Aucun événement à venir.", "No upcoming event."),
            View::Calls => empty(
                "Aucun appel ouvert en ce moment.",
                "No open call right now.",
            ),
            _ => empty("Rien à montrer pour l'instant.", "Nothing to show yet."),
        };
    }
    let mut out = String::from("<ul class=\"k-list\">");
    for e in entries {
        let link = if e.kind == Kind::Resident {
            resident_page(resident_pages, &e.id)
        } else {
            e.id.clone()
        };
        let when = match (e.kind, &e.start) {
            (Kind::Event, Some(s)) => format!("<p class=\"k-meta\">le {}</p>", esc(&date_fr(s))),
            (Kind::Call, _) => format!(
                "<p class=\"k-meta\">{}{}</p>",
                esc(&e.summary),
                e.end
                    .as_deref()
                    .map(|d| format!(" · jusqu'au {}", esc(d.get(..10).unwrap_or(d))))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        };
        let action = if e.kind == Kind::Call {
            let local = e.id.rsplit('/').next().unwrap_or_default();
            let place_base = e.id.split("/calls/").next().unwrap_or_default();
            format!(
                "<p><a href=\"{}/benevolat?appel={}#formulaire\" target=\"_top\">Proposer mon aide <span class=\"en\" lang=\"en\">/ Offer my help</span></a></p>",
                esc(place_base),
                esc(local)
            )
        } else {
            String::new()
        };
        let text = if e.kind == Kind::Call {
            e.description.clone()
        } else if !e.summary.is_empty() {
            e.summary.clone()
        } else {
            e.description.clone()
        };
        out.push_str(&format!(
            "<li class=\"k-item\"><h3><a href=\"{}\" target=\"_top\">{}</a></h3>{when}{}<p>{}</p>{action}</li>",
            esc(&link),
            esc(&e.label),
            if e.address.trim_matches([',', ' ']).is_empty() {
                String::new()
            } else {
                format!("<p class=\"k-meta\">{}</p>", esc(e.address.trim_matches([',', ' '])))
            },
            esc(&kommon_network::text::truncate_words(&text, 300)),
        ));
    }
    out.push_str("</ul>");
    out
}
