//! Volunteer offers and service requests from the public: what the person can do or needs,
//! when, where, under which constraints, and how to reach them (an email given with explicit
//! consent, or their pod's actor). Personal data stays with the place that receives it, is
//! shown to its moderators only, and is erased on withdrawal or after the place's retention.

use crate::error::OrientationError;
use crate::form::{self, Fields};
use crate::nomenclature::Nomenclature;
use crate::slots::{self, Slot, SlotError};
use serde::{Deserialize, Serialize};

/// What the person offers or asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// « Je veux aider »: a volunteer offer.
    Volunteer,
    /// « J'ai besoin d'un coup de main »: a service request.
    Service,
    /// « Devenir résident·e »: an application to join the place's résidentothèque.
    Residency,
}

/// Where a request stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum RequestStatus {
    /// Waiting for the place's moderators.
    Pending,
    /// Accepted, for a call when it names one.
    Accepted {
        /// The call (local id) the volunteer was taken for.
        call: Option<String>,
        /// What the moderator added for the person.
        note: String,
        /// When.
        at_ms: u64,
    },
    /// Declined, with the reason told to the person.
    Declined {
        /// Why.
        reason: String,
        /// When.
        at_ms: u64,
    },
    /// Withdrawn by the person; their data is erased.
    Withdrawn {
        /// When.
        at_ms: u64,
    },
}

/// A volunteer offer or a service request received by a place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpRequest {
    /// The secret that names it: the person's follow-up link holds it.
    pub token: String,
    /// The place's slug.
    pub community: String,
    /// Offer or request.
    pub kind: RequestKind,
    /// How the person wants to be called.
    pub name: String,
    /// Their email, when they gave one.
    #[serde(default)]
    pub email: Option<String>,
    /// For an application: the pod (WebID) the person will join from, if they have one.
    #[serde(default)]
    pub webid: Option<String>,
    /// Their pod's actor, when it came as an ActivityPub `Offer`.
    #[serde(default)]
    pub actor: Option<String>,
    /// The `Offer` activity it came in, to answer with `Accept` or `Reject`.
    #[serde(default)]
    pub activity: Option<String>,
    /// What they wrote.
    pub text: String,
    /// Skills ticked (nomenclature IRIs).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Service types ticked.
    #[serde(default)]
    pub services: Vec<String>,
    /// When they are available.
    #[serde(default)]
    pub slots: Vec<Slot>,
    /// Their commune (`kommon:commune-…`), if they said.
    #[serde(default)]
    pub commune: Option<String>,
    /// Where they are (latitude, longitude), when they shared it.
    #[serde(default)]
    pub point: Option<(f64, f64)>,
    /// How far they can go, in km.
    #[serde(default)]
    pub max_km: Option<f64>,
    /// Under 18.
    #[serde(default)]
    pub minor: bool,
    /// Accessibility features they need.
    #[serde(default)]
    pub needs: Vec<String>,
    /// The call they answer, if they came from one.
    #[serde(default)]
    pub call: Option<String>,
    /// The activities this server keeps that carry the request (the `Offer` it came in or was
    /// routed in, the answers): erased with it.
    #[serde(default)]
    pub trail: Vec<String>,
    /// For a request the network routes: the places it goes to, best first.
    #[serde(default)]
    pub route: Vec<String>,
    /// Which of `route` has it now.
    #[serde(default)]
    pub route_at: usize,
    /// The `Offer` sent to each place of `route` so far, in order (to withdraw it from each).
    #[serde(default)]
    pub route_offers: Vec<String>,
    /// When they consented to their data being kept and passed to the place.
    pub consent_ms: u64,
    /// When it arrived.
    pub created_ms: u64,
    /// Where it stands.
    pub status: RequestStatus,
}

/// What a request may name, besides the nomenclatures: the communes and accessibility
/// features of the vocabulary.
pub struct Choices<'a> {
    /// Skills.
    pub skills: &'a Nomenclature,
    /// Service types.
    pub services: &'a Nomenclature,
    /// Commune IRIs.
    pub communes: &'a [String],
    /// Accessibility feature IRIs.
    pub accessibility: &'a [String],
}

/// Whether `s` looks like an email address: one `@`, something before, a dot after, no
/// spaces, within 254 characters (the server's mailer checks it fully before sending).
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
}

/// The values of the first of `keys` present, an array read as its items.
pub fn values<'a>(o: &'a serde_json::Value, keys: &[&str]) -> Vec<&'a serde_json::Value> {
    keys.iter()
        .filter_map(|k| o.get(*k))
        .flat_map(|v| match v {
            serde_json::Value::Array(a) => a.iter().collect::<Vec<_>>(),
            v => vec![v],
        })
        .collect()
}

/// The IRIs of `keys` (strings or objects with an `id`), compact ones of Kommon's context made
/// whole, at most `max`.
pub fn iris_of(o: &serde_json::Value, keys: &[&str], max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values(o, keys) {
        let iri = match v {
            serde_json::Value::String(s) => Some(s.as_str()),
            v => v
                .get("id")
                .or_else(|| v.get("@id"))
                .and_then(|i| i.as_str()),
        };
        if let Some(i) = iri.map(expand)
            && !out.contains(&i)
            && out.len() < max
        {
            out.push(i);
        }
    }
    out
}

/// A compact IRI of Kommon's context (`kskill:menuiserie`, `kommon:commune-stains`) made whole.
fn expand(iri: &str) -> String {
    if let Some(rest) = iri.strip_prefix("kskill:") {
        format!("https://w3id.org/kommon/skills/{rest}")
    } else if let Some(rest) = iri.strip_prefix("kommon:") {
        format!("https://w3id.org/kommon/ns#{rest}")
    } else {
        iri.to_owned()
    }
}

/// A `schema:Schedule` (compacted with Kommon's context) as a slot.
pub fn slot_of(v: &serde_json::Value) -> Result<Slot, OrientationError> {
    let text = |k: &str| {
        v.get(k)
            .or_else(|| v.get(k.trim_start_matches("schema:")))
            .and_then(|x| x.as_str())
            .unwrap_or("")
    };
    let start = slots::parse_time(text("schema:startTime"))?;
    let end = slots::parse_time(text("schema:endTime"))?;
    let date = |k: &str| -> Result<Option<chrono::NaiveDate>, OrientationError> {
        match text(k) {
            "" => Ok(None),
            d => Ok(Some(slots::parse_date(d.get(..10).unwrap_or(d))?)),
        }
    };
    let days: Vec<chrono::Weekday> = values(v, &["schema:byDay", "byDay"])
        .into_iter()
        .filter_map(|d| d.as_str().or_else(|| d.get("id").and_then(|i| i.as_str())))
        .map(|d| {
            slots::parse_day(d.trim_start_matches("schema:")).ok_or_else(|| {
                OrientationError::UnknownValue("schema:byDay", d.chars().take(60).collect())
            })
        })
        .collect::<Result<_, _>>()?;
    let (from, until) = (date("schema:startDate")?, date("schema:endDate")?);
    if days.is_empty() {
        let day = from.ok_or(OrientationError::Missing(
            "schema:startDate ou schema:byDay",
        ))?;
        Ok(Slot::dated(day, start, end)?)
    } else {
        Ok(Slot::weekly(days, start, end, from, until)?)
    }
}

/// Optional `latitude` and `longitude` fields (a "use my position" button fills them): both
/// or neither, within ±90 and ±180.
fn read_point(fields: &Fields) -> Result<Option<(f64, f64)>, OrientationError> {
    let (lat, lon) = (
        form::one(fields, "latitude"),
        form::one(fields, "longitude"),
    );
    if lat.is_empty() && lon.is_empty() {
        return Ok(None);
    }
    let lat = lat
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= 90.0)
        .ok_or(OrientationError::OutOfRange("latitude", -90.0, 90.0))?;
    let lon = lon
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= 180.0)
        .ok_or(OrientationError::OutOfRange("longitude", -180.0, 180.0))?;
    Ok(Some((lat, lon)))
}

impl HelpRequest {
    /// A request from the public form of a place, checked: consent ticked, a name, an email
    /// that reads, something asked (ticked or written), known skills, services, commune and
    /// needs, availability that can be.
    pub fn from_form(
        fields: &Fields,
        kind: RequestKind,
        token: &str,
        community: &str,
        choices: &Choices<'_>,
        now_ms: u64,
    ) -> Result<Self, OrientationError> {
        if !form::checked(fields, "consentement") {
            return Err(OrientationError::MissingConsent);
        }
        let name = form::text(fields, "nom", "prénom ou nom", 120, true)?;
        let email = form::text(fields, "courriel", "courriel", 254, true)?;
        if !looks_like_email(&email) {
            return Err(OrientationError::BadEmail(email.chars().take(80).collect()));
        }
        let text = form::text(fields, "message", "message", 4000, false)?;
        let skills = form::all(fields, "competences", 30);
        choices.skills.ids(&skills)?;
        let services = form::all(fields, "services", 30);
        choices.services.ids(&services)?;
        if kind != RequestKind::Residency
            && skills.is_empty()
            && services.is_empty()
            && choices.skills.find_in_text(&text).is_empty()
            && choices.services.find_in_text(&text).is_empty()
        {
            return Err(OrientationError::NothingAsked);
        }
        if kind == RequestKind::Residency && text.trim().is_empty() {
            return Err(OrientationError::Missing("présentation"));
        }
        let webid = match form::one(fields, "webid") {
            "" => None,
            w if w.len() <= 300
                && (w.starts_with("https://") || w.starts_with("http://"))
                && !w.contains(char::is_whitespace) =>
            {
                Some(w.to_owned())
            }
            w => {
                return Err(OrientationError::UnknownValue(
                    "adresse du pod",
                    w.chars().take(120).collect(),
                ));
            }
        };
        let commune = match form::one(fields, "commune") {
            "" => None,
            c if choices.communes.iter().any(|k| k == c) => Some(c.to_owned()),
            c => {
                return Err(OrientationError::UnknownValue(
                    "commune",
                    c.chars().take(120).collect(),
                ));
            }
        };
        let point = read_point(fields)?;
        let max_km = match form::one(fields, "distance") {
            "" => None,
            d => match d.parse::<f64>() {
                Ok(km) if (0.1..=100.0).contains(&km) => Some(km),
                _ => return Err(OrientationError::OutOfRange("distance (km)", 0.1, 100.0)),
            },
        };
        let needs = form::all(fields, "besoins", 30);
        if let Some(bad) = needs.iter().find(|f| !choices.accessibility.contains(f)) {
            return Err(OrientationError::UnknownValue(
                "accessibilité",
                bad.chars().take(120).collect(),
            ));
        }
        let mut slots = form::weekly_availability(fields, "dispo")?;
        slots.extend(form::slot_rows(fields, "date", 3, None, None)?);
        slots::check_all(&slots)?;
        let call = match form::one(fields, "appel") {
            "" => None,
            c if c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') => {
                Some(c.to_owned())
            }
            _ => return Err(OrientationError::NotFound("appel")),
        };
        Ok(HelpRequest {
            token: token.to_owned(),
            community: community.to_owned(),
            kind,
            name,
            email: Some(email),
            webid,
            actor: None,
            activity: None,
            text,
            skills,
            services,
            slots,
            commune,
            point,
            max_km,
            minor: kind == RequestKind::Volunteer && form::checked(fields, "mineur"),
            needs,
            call,
            trail: Vec::new(),
            route: Vec::new(),
            route_at: 0,
            route_offers: Vec::new(),
            consent_ms: now_ms,
            created_ms: now_ms,
            status: RequestStatus::Pending,
        })
    }

    /// A request sent from a pod as the object of an ActivityPub `Offer` (a
    /// `kommon:VolunteerOffer` or a `kommon:ServiceRequest`, compacted with ActivityStreams' and
    /// Kommon's contexts), checked like a form. Sending it from one's own pod is the consent;
    /// the actor is the contact, and the answer comes back as `Accept` or `Reject`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_offer(
        object: &serde_json::Value,
        activity: &str,
        actor: &str,
        name: &str,
        token: &str,
        community: &str,
        choices: &Choices<'_>,
        now_ms: u64,
    ) -> Result<Self, OrientationError> {
        let types: Vec<String> = values(object, &["type", "@type"])
            .into_iter()
            .filter_map(|t| t.as_str().map(expand))
            .collect();
        let kind = if types.iter().any(|t| t.ends_with("#VolunteerOffer")) {
            RequestKind::Volunteer
        } else if types.iter().any(|t| t.ends_with("#ServiceRequest")) {
            RequestKind::Service
        } else {
            return Err(OrientationError::UnknownValue(
                "type",
                "ni kommon:VolunteerOffer ni kommon:ServiceRequest / neither".into(),
            ));
        };
        let text: String = values(
            object,
            &[
                "content",
                "schema:description",
                "summary",
                "name",
                "schema:name",
            ],
        )
        .into_iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("\n");
        if text.chars().count() > 4000 {
            return Err(OrientationError::TooLong("description", 4000));
        }
        let skills = iris_of(object, &["schema:skills", "skills"], 30);
        choices.skills.ids(&skills)?;
        let services = iris_of(object, &["kommon:requestType"], 30);
        choices.services.ids(&services)?;
        if skills.is_empty()
            && services.is_empty()
            && choices.skills.find_in_text(&text).is_empty()
            && choices.services.find_in_text(&text).is_empty()
        {
            return Err(OrientationError::NothingAsked);
        }
        let commune = iris_of(object, &["kommon:commune"], 1).into_iter().next();
        if let Some(c) = &commune
            && !choices.communes.contains(c)
        {
            return Err(OrientationError::UnknownValue(
                "commune",
                c.chars().take(120).collect(),
            ));
        }
        let schedules = values(object, &["kommon:availability"]);
        if schedules.len() > slots::MAX_SLOTS {
            return Err(SlotError::TooMany(slots::MAX_SLOTS).into());
        }
        let slots = schedules
            .into_iter()
            .map(slot_of)
            .collect::<Result<Vec<_>, _>>()?;
        let minor = object
            .get("kommon:volunteerIsMinor")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        // A request relayed by a network carries the person's contact, given with their
        // consent to pass it to the place that answers.
        let contact = object.get("schema:contactPoint");
        let contact_text = |k: &str| {
            contact
                .and_then(|c| c.get(k))
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let email = match contact_text("schema:email") {
            Some(e) if looks_like_email(e) => Some(e.to_owned()),
            Some(e) => return Err(OrientationError::BadEmail(e.chars().take(80).collect())),
            None => None,
        };
        let name = contact_text("schema:name").unwrap_or(name);
        Ok(HelpRequest {
            token: token.to_owned(),
            community: community.to_owned(),
            kind,
            name: name.chars().take(120).collect(),
            email,
            webid: None,
            actor: Some(actor.to_owned()),
            activity: Some(activity.to_owned()),
            text,
            skills,
            services,
            slots,
            commune,
            point: None,
            max_km: None,
            minor: kind == RequestKind::Volunteer && minor,
            needs: Vec::new(),
            call: None,
            trail: vec![activity.to_owned()],
            route: Vec::new(),
            route_at: 0,
            route_offers: Vec::new(),
            consent_ms: now_ms,
            created_ms: now_ms,
            status: RequestStatus::Pending,
        })
    }

    /// Whether the place still has to decide.
    pub fn is_pending(&self) -> bool {
        self.status == RequestStatus::Pending
    }

    /// Forgets everything personal, keeping only what the follow-up page needs to say it was
    /// withdrawn (or erased).
    pub fn erase_personal_data(&mut self) {
        self.name.clear();
        self.email = None;
        self.webid = None;
        self.actor = None;
        self.activity = None;
        self.text.clear();
        self.skills.clear();
        self.services.clear();
        self.slots.clear();
        self.commune = None;
        self.point = None;
        self.max_km = None;
        self.needs.clear();
    }
}
