//! Orientation in a place's community pod: its calls for volunteers, the offers of help and
//! the service requests it receives, its moderators' queue with ranked suggestions, and the
//! public pages « Je veux aider » and « J'ai besoin d'un coup de main ». The records and the
//! matching are `kommon-orientation`'s; this module serves them.

pub mod calls;
pub mod network;
pub mod pods;
pub mod public;
pub mod queue;

use crate::app::{AppState, plain};
use crate::pages::esc;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::NaiveDate;
use kommon_network::Point;
use kommon_orientation::form::{PARTS_OF_DAY, WEEK};
use kommon_orientation::{
    CallForVolunteers, Context, HelpRequest, Matcher, Nomenclature, OrientationDesk, Profile,
    ProfileKind,
};
use kommon_vocab::{SkillScheme, normalize};
use std::collections::HashMap;

/// Largest form accepted, and how much of a larger one is read and dropped before the 413.
const MAX_FORM_BYTES: usize = 64 * 1024;
const DRAIN_BYTES: usize = 1024 * 1024;

/// A concept with its labels, for forms and pages.
#[derive(Clone, Debug)]
pub struct Choice {
    /// Its IRI.
    pub iri: String,
    /// French label.
    pub fr: String,
    /// English label.
    pub en: String,
}

/// The orientation of a server's places: records, nomenclatures, and the lists forms offer.
pub struct Orientation {
    /// Calls, requests and settings.
    pub desk: OrientationDesk,
    /// Skills, prepared for matching.
    pub skills: Nomenclature,
    /// Service types, prepared for matching.
    pub services: Nomenclature,
    /// Skills grouped under their top concept, for the forms.
    pub skill_groups: Vec<(Choice, Vec<Choice>)>,
    /// Service types grouped under their top concept.
    pub service_groups: Vec<(Choice, Vec<Choice>)>,
    /// The communes, with the centre used for distances.
    pub communes: Vec<(Choice, Option<Point>)>,
    /// Accessibility features.
    pub accessibility: Vec<Choice>,
    /// Audiences a call may be for.
    pub audiences: Vec<Choice>,
    audience_iris: Vec<String>,
    /// The network's candidates, when this server runs a network.
    pub network: parking_lot::Mutex<Option<std::sync::Arc<network::NetworkCandidates>>>,
    /// Held while the network's candidates are rebuilt, so that one rebuild runs at a time.
    pub rebuilding: tokio::sync::Mutex<()>,
    /// When each address was last sent a confirmation, so that the open forms cannot make the
    /// server mail someone over and over.
    emailed: parking_lot::Mutex<HashMap<String, std::time::Instant>>,
    /// Forms received per place in the current minute, against floods.
    pub flood: parking_lot::Mutex<HashMap<String, (std::time::Instant, u32)>>,
    commune_iris: Vec<String>,
    accessibility_iris: Vec<String>,
}

fn groups(scheme: &SkillScheme) -> Vec<(Choice, Vec<Choice>)> {
    let choice = |s: &kommon_vocab::Skill| Choice {
        iri: s.iri.as_str().to_owned(),
        fr: s.label_fr.clone(),
        en: s.label_en.clone(),
    };
    let mut tops: Vec<(Choice, Vec<Choice>)> = scheme
        .iter()
        .filter(|s| s.broader.is_empty())
        .map(|top| {
            let mut under: Vec<Choice> = scheme
                .with_narrower(top.iri.as_ref())
                .into_iter()
                .skip(1)
                .map(choice)
                .collect();
            under.sort_by_key(|c| normalize(&c.fr));
            (choice(top), under)
        })
        .collect();
    tops.sort_by_key(|(t, _)| normalize(&t.fr));
    tops
}

/// The centre of each commune of the bundled outline file (the mean of its outline's
/// points: close enough to its middle for distances at the scale of a territory).
fn commune_centres() -> HashMap<String, Point> {
    let Some(bytes) = crate::network::site::ASSETS
        .iter()
        .find(|(p, _, _)| p.ends_with("communes-plaine-commune.geojson"))
        .map(|(_, b, _)| *b)
    else {
        return HashMap::new();
    };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for f in doc["features"].as_array().into_iter().flatten() {
        let name = f["properties"]["nom"].as_str().unwrap_or_default();
        let mut points = Vec::new();
        let mut stack = vec![&f["geometry"]["coordinates"]];
        while let Some(v) = stack.pop() {
            match v.as_array() {
                Some(a) if a.len() == 2 && a[0].is_f64() => {
                    if let (Some(lon), Some(lat)) = (a[0].as_f64(), a[1].as_f64()) {
                        points.push((lat, lon));
                    }
                }
                Some(a) => stack.extend(a.iter()),
                None => {}
            }
        }
        if !points.is_empty() {
            let n = points.len() as f64;
            out.insert(
                normalize(name),
                Point {
                    lat: points.iter().map(|p| p.0).sum::<f64>() / n,
                    lon: points.iter().map(|p| p.1).sum::<f64>() / n,
                },
            );
        }
    }
    out
}

impl Orientation {
    /// The orientation of the places kept in `store`.
    pub fn new(store: &kommon_rdf::QuadStore) -> anyhow::Result<Self> {
        let skill_scheme = SkillScheme::bundled()?;
        let service_scheme = SkillScheme::service_types()?;
        let in_scheme = |name: &str| {
            SkillScheme::from_turtle_in_scheme(
                kommon_vocab::ONTOLOGY_TTL,
                &format!("{}{name}", kommon_vocab::ns::KOMMON),
            )
        };
        let centres = commune_centres();
        let mut communes: Vec<(Choice, Option<Point>)> = in_scheme("Communes")?
            .iter()
            .map(|c| {
                (
                    Choice {
                        iri: c.iri.as_str().to_owned(),
                        fr: c.label_fr.clone(),
                        en: c.label_en.clone(),
                    },
                    centres.get(&normalize(&c.label_fr)).copied(),
                )
            })
            .collect();
        communes.sort_by_key(|(c, _)| normalize(&c.fr));
        let mut accessibility: Vec<Choice> = in_scheme("AccessibilityFeatures")?
            .iter()
            .map(|c| Choice {
                iri: c.iri.as_str().to_owned(),
                fr: c.label_fr.clone(),
                en: c.label_en.clone(),
            })
            .collect();
        accessibility.sort_by_key(|c| normalize(&c.fr));
        let audiences: Vec<Choice> = in_scheme("Audiences")?
            .iter()
            .map(|c| Choice {
                iri: c.iri.as_str().to_owned(),
                fr: c.label_fr.clone(),
                en: c.label_en.clone(),
            })
            .collect();
        Ok(Orientation {
            audience_iris: audiences.iter().map(|c| c.iri.clone()).collect(),
            audiences,
            desk: OrientationDesk::new(store),
            skills: Nomenclature::new(&skill_scheme),
            services: Nomenclature::new(&service_scheme),
            skill_groups: groups(&skill_scheme),
            service_groups: groups(&service_scheme),
            commune_iris: communes.iter().map(|(c, _)| c.iri.clone()).collect(),
            communes,
            accessibility_iris: accessibility.iter().map(|c| c.iri.clone()).collect(),
            accessibility,
            flood: parking_lot::Mutex::default(),
            emailed: parking_lot::Mutex::default(),
            network: parking_lot::Mutex::default(),
            rebuilding: tokio::sync::Mutex::new(()),
        })
    }

    /// What requests may name.
    pub fn choices(&self) -> kommon_orientation::request::Choices<'_> {
        kommon_orientation::request::Choices {
            skills: &self.skills,
            services: &self.services,
            communes: &self.commune_iris,
            accessibility: &self.accessibility_iris,
        }
    }

    /// Whether a confirmation may go to `address` now: one an hour at most.
    pub fn may_email(&self, address: &str) -> bool {
        let mut emailed = self.emailed.lock();
        let now = std::time::Instant::now();
        emailed.retain(|_, t| now.duration_since(*t) < std::time::Duration::from_secs(3600));
        let key = address.trim().to_lowercase();
        if emailed.contains_key(&key) {
            return false;
        }
        emailed.insert(key, now);
        true
    }

    /// The accessibility feature IRIs.
    pub fn accessibility_iris(&self) -> &[String] {
        &self.accessibility_iris
    }

    /// What a call's fields may name.
    pub fn call_choices(&self) -> kommon_orientation::call::CallChoices<'_> {
        kommon_orientation::call::CallChoices {
            accessibility: &self.accessibility_iris,
            audiences: &self.audience_iris,
        }
    }

    /// The matching context for today.
    pub fn context(&self) -> Context<'_> {
        Context {
            skills: &self.skills,
            services: &self.services,
            today: today(),
        }
    }

    /// The centre of a commune.
    pub fn commune_point(&self, iri: &str) -> Option<Point> {
        self.communes
            .iter()
            .find(|(c, _)| c.iri == iri)
            .and_then(|(_, p)| *p)
    }

    /// The French label of a commune.
    pub fn commune_label(&self, iri: &str) -> String {
        self.communes
            .iter()
            .find(|(c, _)| c.iri == iri)
            .map(|(c, _)| c.fr.clone())
            .unwrap_or_else(|| iri.to_owned())
    }

    /// A call as a candidate of the matching, at its place.
    pub fn call_profile(&self, call: &CallForVolunteers, place: Option<Point>) -> Profile {
        let mut p = Profile::new(&call.id, ProfileKind::Call, &call.title);
        p.skills = self
            .skills
            .known_ids(call.skills.iter().map(String::as_str))
            .into_iter()
            .map(|concept| kommon_orientation::Asked {
                concept,
                said: None,
            })
            .collect();
        p.slots = call.slots.clone();
        p.point = place;
        p.place = Some(call.community.clone());
        p.minors_welcome = call.minors;
        p.provides = call.accessibility.clone();
        p.open = call.is_open(today());
        p
    }

    /// A person's offer or request as a seeker (or, for a call, a candidate).
    pub fn request_profile(&self, r: &HelpRequest) -> Profile {
        let kind = match r.kind {
            kommon_orientation::RequestKind::Volunteer => ProfileKind::Volunteer,
            kommon_orientation::RequestKind::Service
            | kommon_orientation::RequestKind::Residency => ProfileKind::Request,
        };
        let mut p = Profile::new(&r.token, kind, &r.name);
        p.skills = self.skills.asked(&r.skills, &r.text).unwrap_or_default();
        p.services = self
            .services
            .asked(&r.services, &r.text)
            .unwrap_or_default();
        p.slots = r.slots.clone();
        p.point = r
            .point
            .map(|(lat, lon)| Point { lat, lon })
            .or_else(|| r.commune.as_deref().and_then(|c| self.commune_point(c)));
        p.max_km = r.max_km;
        p.commune = r.commune.clone();
        p.preferred_communes = r.commune.iter().cloned().collect();
        p.minor = r.minor;
        p.needs = r.needs.clone();
        p.open = r.is_pending();
        p
    }

    /// A matcher over a place's open calls and pending offers.
    pub fn place_matcher(
        &self,
        calls: &[CallForVolunteers],
        requests: &[HelpRequest],
        place: Option<Point>,
    ) -> Matcher {
        let mut m = Matcher::new(&self.skills, &self.services);
        for c in calls.iter().filter(|c| c.is_open(today())) {
            m.add(self.call_profile(c, place));
        }
        for r in requests
            .iter()
            .filter(|r| r.is_pending() && r.kind == kommon_orientation::RequestKind::Volunteer)
        {
            m.add(self.request_profile(r));
        }
        m
    }
}

/// Erases, every `every`, the requests older than their place's retention.
pub fn spawn_erasure(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            let desk = state.orientation.desk.clone();
            let now = kommon_activitypub::delivery::now_ms();
            match tokio::task::spawn_blocking(move || desk.erase_expired(now)).await {
                Ok(Ok(erased)) if erased.is_empty() => {}
                Ok(Ok(erased)) => {
                    for r in &erased {
                        erase_trail(&state, &r.trail).await;
                    }
                    tracing::info!(
                        erased = erased.len(),
                        "requests past their retention erased"
                    );
                }
                Ok(Err(e)) => tracing::error!(error = %e, "erasing old requests"),
                Err(e) => tracing::error!(error = %e, "erasing old requests"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Erases what the activities that carried a request say (the `Offer`, the answers): their
/// object becomes a `Tombstone` and their texts go, so that no inbox or outbox of this server
/// keeps the personal data of a request withdrawn or past its retention.
pub async fn erase_trail(state: &AppState, trail: &[String]) {
    if trail.is_empty() {
        return;
    }
    let fed = state.federation.clone();
    let ids = trail.to_vec();
    let done = tokio::task::spawn_blocking(move || -> Result<(), kommon_rdf::StoreError> {
        for id in ids {
            let Some(mut a) = fed.activity(&id)? else {
                continue;
            };
            let former = a
                .get("object")
                .and_then(|o| o.get("type"))
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            let object_id = a
                .get("object")
                .and_then(kommon_activitypub::json::id_of)
                .map(str::to_owned);
            a["object"] =
                serde_json::json!({"type": "Tombstone", "formerType": former, "id": object_id});
            if let Some(o) = a.as_object_mut() {
                for k in ["content", "summary", "url", "name"] {
                    o.remove(k);
                }
            }
            let bytes = serde_json::to_vec(&a).unwrap_or_default();
            fed.store
                .transaction(|tx| -> Result<(), kommon_rdf::StoreError> {
                    kommon_activitypub::delivery::DeliveryQueue::store_activity(tx, &id, &bytes);
                    Ok(())
                })?;
        }
        Ok(())
    })
    .await;
    if !matches!(done, Ok(Ok(()))) {
        tracing::error!("erasing the activities of a request");
    }
}

/// What a request is called, in French and English.
pub fn what(kind: kommon_orientation::RequestKind) -> (&'static str, &'static str) {
    match kind {
        kommon_orientation::RequestKind::Volunteer => ("proposition d'aide", "offer of help"),
        kommon_orientation::RequestKind::Service => ("demande", "request"),
        kommon_orientation::RequestKind::Residency => ("candidature", "application"),
    }
}

/// Today in Paris.
pub fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}

/// The place's position, from its profile.
pub fn place_point(c: &kommon_community::Community) -> Option<Point> {
    Some(Point {
        lat: c.profile.latitude?,
        lon: c.profile.longitude?,
    })
}

/// A posted form's fields, read within 64 KiB (a larger body is read on and dropped, then
/// refused with 413, so the browser still hears the answer).
pub async fn read_form(
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<Vec<(String, String)>, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let Some(bytes) =
        kommon_activitypub::inbox::read_bounded(body, declared, MAX_FORM_BYTES, DRAIN_BYTES).await
    else {
        return Err(plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "le formulaire dépasse 64 Kio / the form is larger than 64 KiB",
        ));
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "envoyez le formulaire en application/x-www-form-urlencoded / send the form as application/x-www-form-urlencoded",
        ));
    }
    Ok(form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// Checkboxes for the concepts of `groups`, one fieldset per top concept, `ticked` ticked.
pub fn concept_boxes(
    name: &str,
    legend: &str,
    groups: &[(Choice, Vec<Choice>)],
    ticked: &[String],
    only: Option<&[String]>,
) -> String {
    let mut out = format!("<fieldset class=\"concepts\"><legend>{legend}</legend>");
    for (top, under) in groups {
        let shown: Vec<&Choice> = std::iter::once(top)
            .chain(under.iter())
            .filter(|c| only.is_none_or(|o| o.contains(&c.iri)))
            .collect();
        if shown.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "<details><summary>{} <span class=\"en\" lang=\"en\">{}</span></summary>",
            esc(&top.fr),
            esc(&top.en)
        ));
        for c in shown {
            out.push_str(&format!(
                "<label class=\"box\"><input type=\"checkbox\" name=\"{name}\" value=\"{}\"{}> {}</label> ",
                esc(&c.iri),
                if ticked.contains(&c.iri) { " checked" } else { "" },
                esc(&c.fr)
            ));
        }
        out.push_str("</details>");
    }
    out.push_str("</fieldset>");
    out
}

/// The `day-part` codes (`sa-matin`) of weekly slots that are parts of the day.
pub fn grid_codes(slots: &[kommon_orientation::Slot]) -> Vec<String> {
    let mut out = Vec::new();
    for s in slots {
        if let kommon_orientation::Slot::Weekly { days, start, .. } = s
            && let Some((part, ..)) = PARTS_OF_DAY
                .iter()
                .find(|p| chrono::NaiveTime::from_hms_opt(p.3.0, p.3.1, 0).as_ref() == Some(start))
        {
            for d in days {
                out.push(format!(
                    "{}-{part}",
                    kommon_orientation::slots::day_code(*d)
                ));
            }
        }
    }
    out
}

/// A table of checkboxes, days by parts of the day (`sa-matin`), `ticked` ticked.
pub fn availability_grid(name: &str) -> String {
    week_grid(
        name,
        "Mes disponibilités chaque semaine <span class=\"en\" lang=\"en\">My weekly availability</span>",
        &[],
    )
}

/// The same table with its legend and ticked boxes.
pub fn week_grid(name: &str, legend: &str, ticked: &[String]) -> String {
    let mut out = format!(
        "<fieldset><legend>{legend}</legend><table class=\"grid\"><thead><tr><th scope=\"col\"><span class=\"sr\">Jour</span></th>{}</tr></thead><tbody>",
        PARTS_OF_DAY
            .iter()
            .map(|(_, fr, en, ..)| format!(
                "<th scope=\"col\">{fr} <span class=\"en\" lang=\"en\">{en}</span></th>"
            ))
            .collect::<String>()
    );
    for (_, code, day) in WEEK {
        out.push_str(&format!("<tr><th scope=\"row\">{day}</th>"));
        for (part, fr, ..) in PARTS_OF_DAY {
            let checked = if ticked.iter().any(|t| *t == format!("{code}-{part}")) {
                " checked"
            } else {
                ""
            };
            out.push_str(&format!(
                "<td><input type=\"checkbox\" name=\"{name}\" value=\"{code}-{part}\" aria-label=\"{day} {fr}\"{checked}></td>"
            ));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></fieldset>");
    out
}

/// A select of the communes.
pub fn commune_select(o: &Orientation, name: &str, label: &str) -> String {
    let mut out = format!(
        "<label>{label} <select name=\"{name}\"><option value=\"\">— Je préfère ne pas dire / Rather not say —</option>"
    );
    for (c, _) in &o.communes {
        out.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            esc(&c.iri),
            esc(&c.fr)
        ));
    }
    out.push_str("</select></label>");
    out
}

/// Checkboxes of accessibility features.
pub fn accessibility_boxes(o: &Orientation, name: &str, legend: &str, ticked: &[String]) -> String {
    let mut out = format!("<fieldset><legend>{legend}</legend>");
    for c in &o.accessibility {
        out.push_str(&format!(
            "<label class=\"box\"><input type=\"checkbox\" name=\"{name}\" value=\"{}\"{}> {}</label> ",
            esc(&c.iri),
            if ticked.contains(&c.iri) { " checked" } else { "" },
            esc(&c.fr)
        ));
    }
    out.push_str("</fieldset>");
    out
}

/// The styles the orientation pages add to the site's.
pub const STYLE: &str = "<style>fieldset{margin:1rem 0;border:1px solid #bbb;border-radius:.4rem}label{display:block;margin:.4rem 0}label.box{display:inline-block;margin:.2rem .8rem .2rem 0}input[type=text],input[type=email],input[type=number],input[type=date],input[type=time],select,textarea{font:inherit;padding:.3rem;max-width:100%}textarea{width:100%}table.grid td{text-align:center}.sr{position:absolute;left:-10000px}.why{color:#234;font-size:.95em}.call{border:1px solid #ccc;border-radius:.5rem;padding:.75rem;margin:.75rem 0}.notice{background:#eef6ee;border-left:4px solid #2a7a2a;padding:.5rem 1rem}.error{background:#fbeaea;border-left:4px solid #a02020;padding:.5rem 1rem}button{font:inherit;padding:.3rem .8rem}</style>";

/// A page with an error box, and the status that says what was wrong.
pub fn refused(status: u16, title: &str, message: &str, back: &str) -> Response {
    let mut r = crate::pages::page(
        title,
        &format!(
            "{STYLE}<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p><p><a href=\"{}\">Revenir au formulaire <span class=\"en\" lang=\"en\">/ Back to the form</span></a></p>",
            esc(title),
            esc(message),
            esc(back)
        ),
    );
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    r
}
