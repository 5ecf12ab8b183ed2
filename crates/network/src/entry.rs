//! What the network keeps of each thing a member place approved: an [`Entry`], the few fields the
//! map, the directory and the agenda need, read from the validated PAIR graph.

use serde::{Deserialize, Serialize};

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A member place (a tiers-lieu).
    Place,
    /// A resident of a member place (a person, a company, a collective).
    Resident,
    /// A project a place approved.
    Project,
    /// An event a place approved or published.
    Event,
    /// A call for volunteers or for participation.
    Call,
}

impl Kind {
    /// Every kind, in the order the site lists them.
    pub const ALL: [Kind; 5] = [
        Kind::Place,
        Kind::Resident,
        Kind::Project,
        Kind::Event,
        Kind::Call,
    ];

    /// The name used in URLs and in the GeoJSON API (`place`, `resident`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Place => "place",
            Kind::Resident => "resident",
            Kind::Project => "project",
            Kind::Event => "event",
            Kind::Call => "call",
        }
    }

    /// The kind named `s` in a URL.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The French label, plural.
    pub fn label_fr(self) -> &'static str {
        match self {
            Kind::Place => "Lieux",
            Kind::Resident => "Résident·es",
            Kind::Project => "Projets",
            Kind::Event => "Événements",
            Kind::Call => "Appels à participation",
        }
    }

    /// The English label, plural.
    pub fn label_en(self) -> &'static str {
        match self {
            Kind::Place => "Places",
            Kind::Resident => "Residents",
            Kind::Project => "Projects",
            Kind::Event => "Events",
            Kind::Call => "Calls for participation",
        }
    }
}

/// A point on the map, in WGS 84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl Point {
    /// Great-circle distance to another point, in km (haversine on a 6,371 km sphere: within
    /// a few metres at the scale of a territory).
    pub fn distance_km(&self, other: &Point) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = la2 - la1;
        let dlon = (other.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * 6371.0 * h.sqrt().min(1.0).asin()
    }
}

/// One thing the network shows: a place, a resident, a project, an event or a call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its IRI: the document the network fetched (at the member place, or the resident's pod).
    pub id: String,
    /// What it is.
    pub kind: Kind,
    /// Its name.
    pub label: String,
    /// Its short description.
    #[serde(default)]
    pub summary: String,
    /// Its longer description (plain text).
    #[serde(default)]
    pub description: String,
    /// Its own website, for the "see their site" link.
    #[serde(default)]
    pub website: Option<String>,
    /// A picture.
    #[serde(default)]
    pub image: Option<String>,
    /// The member places that listed it (a resident may live in several places).
    #[serde(default)]
    pub places: Vec<String>,
    /// The original it was copied from (`prov:wasDerivedFrom`), when the place holds a copy.
    #[serde(default)]
    pub derived_from: Option<String>,
    /// Where it is; residents, projects and events without one are shown at their place's.
    #[serde(default)]
    pub point: Option<Point>,
    /// The place (a member place's IRI) it happens at, when it names one.
    #[serde(default)]
    pub location: Option<String>,
    /// The postal address, one line.
    #[serde(default)]
    pub address: String,
    /// The commune (a `kommon:commune-…` IRI).
    #[serde(default)]
    pub commune: Option<String>,
    /// Skills (IRIs of the nomenclature).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Themes (free tags).
    #[serde(default)]
    pub themes: Vec<String>,
    /// For a place: the kinds of service requests it takes (`kommon:ServiceType` IRIs).
    #[serde(default)]
    pub services: Vec<String>,
    /// Start, as written (`xsd:dateTime` with its offset).
    #[serde(default)]
    pub start: Option<String>,
    /// End, as written.
    #[serde(default)]
    pub end: Option<String>,
    /// When the network last stored it, in ms since the epoch.
    #[serde(default)]
    pub updated_ms: u64,
}

impl Entry {
    /// An entry with only its id, kind and name.
    pub fn new(id: &str, kind: Kind, label: &str) -> Self {
        Entry {
            id: id.to_owned(),
            kind,
            label: label.to_owned(),
            summary: String::new(),
            description: String::new(),
            website: None,
            image: None,
            places: Vec::new(),
            derived_from: None,
            point: None,
            location: None,
            address: String::new(),
            commune: None,
            skills: Vec::new(),
            themes: Vec::new(),
            services: Vec::new(),
            start: None,
            end: None,
            updated_ms: 0,
        }
    }

    /// The start in ms since the epoch.
    pub fn start_ms(&self) -> Option<i64> {
        self.start.as_deref().and_then(parse_datetime_ms)
    }

    /// The end in ms since the epoch (the start when there is no end).
    pub fn end_ms(&self) -> Option<i64> {
        self.end
            .as_deref()
            .and_then(parse_datetime_ms)
            .or_else(|| self.start_ms())
    }
}

/// Milliseconds since the epoch of an `xsd:dateTime` with an offset (RFC 3339).
pub fn parse_datetime_ms(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.timestamp_millis())
}
