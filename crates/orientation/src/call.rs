//! Calls for volunteers: written by a place's moderators, public once published, closed when
//! filled or past their date, federated as ActivityStreams `Page` objects that are also
//! `kommon:CallForVolunteers` (a `schema:JobPosting` with `employmentType` "VOLUNTEER"), so that
//! fediverse software shows a page and Linked Data tools read a job posting.

use crate::error::OrientationError;
use crate::form::{self, Fields};
use crate::nomenclature::Nomenclature;
use crate::slots::{self, Slot};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where a call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// Seen by the moderators only.
    Draft,
    /// Public, federated, open to volunteers until filled or past.
    Published,
    /// Closed by a moderator, or filled.
    Closed,
}

/// A call for volunteers of a place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallForVolunteers {
    /// Its local id.
    pub id: String,
    /// The place's slug.
    pub community: String,
    /// Title.
    pub title: String,
    /// What the mission is.
    pub description: String,
    /// Skills sought (nomenclature IRIs).
    pub skills: Vec<String>,
    /// When: dated or weekly slots.
    pub slots: Vec<Slot>,
    /// The commitment asked, in words ("2 h par semaine pendant 3 mois").
    pub commitment: String,
    /// How many volunteers are wanted.
    pub wanted: u32,
    /// Open to people under 18.
    pub minors: bool,
    /// Accessibility features of the mission (`kommon:access-…` IRIs).
    pub accessibility: Vec<String>,
    /// Who the mission is for (`kommon:audience-…` IRIs).
    #[serde(default)]
    pub audience: Vec<String>,
    /// Who volunteers talk to.
    pub contact_name: String,
    /// Their email.
    pub contact_email: String,
    /// Last day to volunteer.
    pub valid_through: NaiveDate,
    /// Where it stands.
    pub status: CallStatus,
    /// The published object's IRI, once published.
    #[serde(default)]
    pub object: Option<String>,
    /// The requests accepted for it.
    #[serde(default)]
    pub accepted: Vec<String>,
    /// Closed by a moderator (not by being filled): a volunteer leaving does not reopen it.
    #[serde(default)]
    pub closed_manually: bool,
    /// When it was written, ms since the epoch.
    pub created_ms: u64,
}

/// The lists a call's fields are checked against, besides the skills.
pub struct CallChoices<'a> {
    /// Accessibility feature IRIs.
    pub accessibility: &'a [String],
    /// Audience IRIs.
    pub audiences: &'a [String],
}

/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 10_000;

impl CallForVolunteers {
    /// A call from a moderator's form, checked: title, description, known skills and
    /// accessibility features, slots that can be, a number wanted from 1 to 1000, a contact
    /// email, a last day not before today.
    pub fn from_form(
        fields: &Fields,
        id: &str,
        community: &str,
        skills: &Nomenclature,
        choices: &CallChoices<'_>,
        today: NaiveDate,
        now_ms: u64,
    ) -> Result<Self, OrientationError> {
        let accessibility = choices.accessibility;
        if let Some(bad) = form::all(fields, "public", 20)
            .iter()
            .find(|a| !choices.audiences.contains(a))
        {
            return Err(OrientationError::UnknownValue(
                "public visé",
                bad.chars().take(120).collect(),
            ));
        }
        let title = form::text(fields, "titre", "titre", MAX_TITLE, true)?;
        let description = form::text(fields, "description", "description", MAX_DESCRIPTION, true)?;
        let skill_iris = form::all(fields, "competences", 30);
        skills.ids(&skill_iris)?;
        let features = form::all(fields, "accessibilite", 30);
        if let Some(bad) = features.iter().find(|f| !accessibility.contains(f)) {
            return Err(OrientationError::UnknownValue(
                "accessibilité",
                bad.chars().take(120).collect(),
            ));
        }
        let valid_through = match form::one(fields, "date_limite") {
            "" => return Err(OrientationError::Missing("date limite")),
            d => slots::parse_date(d)?,
        };
        if valid_through < today {
            return Err(OrientationError::Past("date limite"));
        }
        let slots = form::slot_rows(fields, "creneau", 6, Some(today), Some(valid_through))?;
        slots::check_all(&slots)?;
        let wanted: u32 = match form::one(fields, "places").parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(OrientationError::OutOfRange(
                    "nombre de bénévoles",
                    1.0,
                    1000.0,
                ));
            }
        };
        let contact_email = form::text(fields, "contact_email", "courriel de contact", 254, true)?;
        if !crate::request::looks_like_email(&contact_email) {
            return Err(OrientationError::BadEmail(
                contact_email.chars().take(80).collect(),
            ));
        }
        Ok(CallForVolunteers {
            id: id.to_owned(),
            community: community.to_owned(),
            title,
            description,
            skills: skill_iris,
            slots,
            commitment: form::text(fields, "engagement", "engagement", 300, false)?,
            wanted,
            minors: form::checked(fields, "mineurs"),
            accessibility: features,
            audience: form::all(fields, "public", 20),
            contact_name: form::text(fields, "contact_nom", "nom du contact", 200, false)?,
            contact_email,
            valid_through,
            status: CallStatus::Draft,
            object: None,
            accepted: Vec::new(),
            closed_manually: false,
            created_ms: now_ms,
        })
    }

    /// A call from an ActivityStreams object a moderator's client posts to the place's outbox
    /// (the shape [`CallForVolunteers::to_object`] writes), checked like the form.
    pub fn from_object(
        o: &Value,
        id: &str,
        community: &str,
        skills: &Nomenclature,
        choices: &CallChoices<'_>,
        today: NaiveDate,
        now_ms: u64,
    ) -> Result<Self, OrientationError> {
        use crate::request::{iris_of, slot_of, values};
        let text = |keys: &[&str]| -> String {
            values(o, keys)
                .into_iter()
                .find_map(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let description = match text(&["schema:description"]) {
            d if !d.is_empty() => d,
            _ => kommon_network::text::strip_html(&text(&["content"])),
        };
        let contact = o.get("schema:applicationContact");
        let contact_text = |k: &str| {
            contact
                .and_then(|c| c.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let mut fields: Vec<(String, String)> = vec![
            ("titre".into(), text(&["name", "schema:name"])),
            ("description".into(), description),
            ("engagement".into(), text(&["schema:workHours"])),
            ("contact_nom".into(), contact_text("schema:name")),
            ("contact_email".into(), contact_text("schema:email")),
            (
                "places".into(),
                o.get("schema:totalJobOpenings")
                    .and_then(|v| v.as_u64())
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ),
            (
                "date_limite".into(),
                text(&["schema:validThrough"]).chars().take(10).collect(),
            ),
        ];
        if o.get("kommon:minorsAccepted").and_then(|v| v.as_bool()) == Some(true) {
            fields.push(("mineurs".into(), "on".into()));
        }
        for (key, name) in [
            ("schema:skills", "competences"),
            ("kommon:accessibilityFeature", "accessibilite"),
            ("kommon:targetAudience", "public"),
        ] {
            for iri in iris_of(o, &[key], 30) {
                fields.push((name.into(), iri));
            }
        }
        let mut call = Self::from_form(&fields, id, community, skills, choices, today, now_ms)?;
        let schedules = values(o, &["kommon:timeSlot"]);
        if schedules.len() > slots::MAX_SLOTS {
            return Err(slots::SlotError::TooMany(slots::MAX_SLOTS).into());
        }
        call.slots = schedules
            .into_iter()
            .map(slot_of)
            .collect::<Result<_, _>>()?;
        Ok(call)
    }

    /// Whether volunteers can still be taken: published, not filled, not past.
    pub fn is_open(&self, today: NaiveDate) -> bool {
        self.status == CallStatus::Published
            && (self.accepted.len() as u32) < self.wanted
            && self.valid_through >= today
    }

    /// Places left.
    pub fn places_left(&self) -> u32 {
        self.wanted.saturating_sub(self.accepted.len() as u32)
    }

    /// The ActivityStreams object the place publishes (without id, actor or addressing, which
    /// publishing adds). `place` is the place's actor IRI; `location` its `Place` object.
    pub fn to_object(
        &self,
        place: &str,
        location: Option<Value>,
        closed_at: Option<&str>,
    ) -> Value {
        let schedule: Vec<Value> = self.slots.iter().map(schedule_of).collect();
        let mut o = json!({
            "type": ["Page", "kommon:CallForVolunteers"],
            "name": self.title,
            "schema:name": self.title,
            "content": paragraphs(&self.description),
            "schema:description": self.description,
            "schema:employmentType": "VOLUNTEER",
            "schema:skills": self.skills,
            "schema:hiringOrganization": place,
            "schema:jobLocation": place,
            "schema:totalJobOpenings": self.wanted,
            "schema:validThrough": closed_at.map(str::to_owned).unwrap_or_else(|| end_of_day(self.valid_through)),
            "kommon:timeSlot": schedule,
            "kommon:minorsAccepted": self.minors,
            "kommon:accessibilityFeature": self.accessibility,
            "kommon:targetAudience": self.audience,
            "schema:applicationContact": {
                "type": "schema:ContactPoint",
                "schema:name": if self.contact_name.is_empty() { "Bénévolat" } else { &self.contact_name },
                "schema:email": self.contact_email,
            },
        });
        if !self.commitment.is_empty() {
            o["schema:workHours"] = json!(self.commitment);
        }
        if let Some(l) = location {
            o["location"] = l;
        }
        o
    }
}

/// The `@context` of a call: ActivityStreams, then the prefixes and coercions of the terms a
/// call uses, inline, so that any fediverse server reads it without fetching a context of ours.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "kommon": "https://w3id.org/kommon/ns#",
            "kskill": "https://w3id.org/kommon/skills/",
            "schema": "http://schema.org/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "schema:skills": {"@type": "@id"},
            "schema:hiringOrganization": {"@type": "@id"},
            "schema:jobLocation": {"@type": "@id"},
            "schema:byDay": {"@type": "@id"},
            "kommon:accessibilityFeature": {"@type": "@id"},
            "kommon:targetAudience": {"@type": "@id"},
            "kommon:commune": {"@type": "@id"},
            "kommon:requestType": {"@type": "@id"},
            "schema:validThrough": {"@type": "xsd:dateTime"},
            "schema:startDate": {"@type": "xsd:date"},
            "schema:endDate": {"@type": "xsd:date"},
            "schema:startTime": {"@type": "xsd:time"},
            "schema:endTime": {"@type": "xsd:time"},
            "schema:totalJobOpenings": {"@type": "xsd:integer"}
        }
    ])
}

fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape(p.trim()).replace('\n', "<br>")))
        .collect()
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// 23:59:59 of `day` in Paris, as an `xsd:dateTime` with its offset.
pub fn end_of_day(day: NaiveDate) -> String {
    let t = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    match chrono_tz::Europe::Paris.from_local_datetime(&t).earliest() {
        Some(d) => d.to_rfc3339(),
        None => format!("{}T23:59:59+01:00", day),
    }
}

const SCHEMA_DAYS: [&str; 7] = [
    "schema:Monday",
    "schema:Tuesday",
    "schema:Wednesday",
    "schema:Thursday",
    "schema:Friday",
    "schema:Saturday",
    "schema:Sunday",
];

/// A slot as a `schema:Schedule`.
pub fn schedule_of(slot: &Slot) -> Value {
    let (start, end) = slot.hours();
    let mut s = json!({
        "type": "schema:Schedule",
        "schema:startTime": start.format("%H:%M:%S").to_string(),
        "schema:endTime": end.format("%H:%M:%S").to_string(),
        "schema:scheduleTimezone": "Europe/Paris",
    });
    match slot {
        Slot::Dated { date, .. } => {
            s["schema:startDate"] = json!(date.to_string());
            s["schema:endDate"] = json!(date.to_string());
        }
        Slot::Weekly {
            days, from, until, ..
        } => {
            s["schema:byDay"] = json!(
                days.iter()
                    .map(|d| SCHEMA_DAYS[d.num_days_from_monday() as usize])
                    .collect::<Vec<_>>()
            );
            s["schema:repeatFrequency"] = json!("P1W");
            if let Some(f) = from {
                s["schema:startDate"] = json!(f.to_string());
            }
            if let Some(u) = until {
                s["schema:endDate"] = json!(u.to_string());
            }
        }
    }
    s
}
