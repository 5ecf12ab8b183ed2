//! The communities a cod-server hosts, each at `/{slug}`, with the people who run it.

use kommon_rdf::{Keyspace, QuadStore, StoreError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const COMMUNITIES: &str = "communities";

/// Slugs a community may not take: they are the server's own paths.
pub const RESERVED_SLUGS: &[&str] = &[
    "inbox",
    "actor",
    "nodeinfo",
    "admin",
    "api",
    "static",
    "assets",
    "health",
    "login",
    "logout",
    "about",
    "help",
    "search",
    "agenda",
    "map",
    "network",
    "carte",
    "annuaire",
    "fiche",
    "relations",
    "requetes",
    "donnees",
    "sparql",
    "feeds",
];

/// What someone may do in a community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Decides on requests and offers.
    Moderator,
    /// Edits the profile and names moderators; also a moderator.
    Admin,
}

/// What a place tells the public about itself, edited by its admins.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaceProfile {
    /// Street and number.
    #[serde(default)]
    pub street_address: String,
    /// Postal code.
    #[serde(default)]
    pub postal_code: String,
    /// Town.
    #[serde(default)]
    pub locality: String,
    /// Latitude, WGS 84.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude, WGS 84.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// Opening hours, as people write them.
    #[serde(default)]
    pub opening_hours: String,
    /// Accessibility for the public (step-free access, toilets, languages…).
    #[serde(default)]
    pub accessibility: String,
    /// How to reach the place (email, phone).
    #[serde(default)]
    pub contact: String,
    /// Its own website.
    #[serde(default)]
    pub website: String,
    /// Its ecological practices.
    #[serde(default)]
    pub ecological_practices: String,
    /// Equipment it offers (workshops, machines, rooms).
    #[serde(default)]
    pub equipment: String,
}

impl PlaceProfile {
    /// Checks the profile: bounded texts, coordinates in range, an http(s) website.
    pub fn check(&self) -> Result<(), RegistryError> {
        let bad = |m: &str| Err(RegistryError::BadSlug(m.to_owned()));
        for (name, v, max) in [
            ("street address", &self.street_address, 200),
            ("postal code", &self.postal_code, 20),
            ("town", &self.locality, 100),
            ("opening hours", &self.opening_hours, 1000),
            ("accessibility", &self.accessibility, 2000),
            ("contact", &self.contact, 300),
            ("website", &self.website, 500),
            ("ecological practices", &self.ecological_practices, 2000),
            ("equipment", &self.equipment, 2000),
        ] {
            if v.chars().count() > max {
                return bad(&format!("the {name} is longer than {max} characters"));
            }
        }
        if self.latitude.is_some_and(|l| !(-90.0..=90.0).contains(&l)) {
            return bad("the latitude must be between -90 and 90");
        }
        if self
            .longitude
            .is_some_and(|l| !(-180.0..=180.0).contains(&l))
        {
            return bad("the longitude must be between -180 and 180");
        }
        if !self.website.is_empty() && !kommon_activitypub::json::is_http_url(&self.website) {
            return bad("the website must be an http(s) address");
        }
        Ok(())
    }
}

/// A place (or the network) hosted by a cod-server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Community {
    /// Its path segment.
    pub slug: String,
    /// Its name, such as « Le 6B ».
    pub name: String,
    /// A short description.
    #[serde(default)]
    pub summary: String,
    /// The WebIDs of its admins.
    pub admins: Vec<String>,
    /// The WebIDs of its moderators (admins moderate too).
    #[serde(default)]
    pub moderators: Vec<String>,
    /// When it was created (ms since the epoch).
    pub created_ms: u64,
    /// What it tells the public about itself.
    #[serde(default)]
    pub profile: PlaceProfile,
    /// Whether it is a network: its members are places, and the server serves its public
    /// site (map, directory, agenda, semantic search).
    #[serde(default)]
    pub network: bool,
    /// Where to tell the moderators that requests are waiting (never shown to the public).
    #[serde(default)]
    pub notify_emails: Vec<String>,
}

impl Community {
    /// The strongest role of `webid` here, if any.
    pub fn role_of(&self, webid: &str) -> Option<Role> {
        if self.admins.iter().any(|a| a == webid) {
            Some(Role::Admin)
        } else if self.moderators.iter().any(|m| m == webid) {
            Some(Role::Moderator)
        } else {
            None
        }
    }

    /// Whether `webid` may decide on requests.
    pub fn may_moderate(&self, webid: &str) -> bool {
        self.role_of(webid).is_some()
    }
}

/// Why a community could not be created or read.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// The slug is not acceptable.
    #[error("{0}")]
    BadSlug(String),
    /// Another community has it.
    #[error("the slug {0} is taken")]
    Taken(String),
    /// An admin is not a WebID.
    #[error("{0} is not an http(s) WebID")]
    BadWebId(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a slug: 2 to 40 lowercase letters, digits and dashes, starting with a letter.
pub fn check_slug(slug: &str) -> Result<(), RegistryError> {
    let ok_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(2..=40).contains(&slug.len())
        || !ok_chars
        || !slug.as_bytes()[0].is_ascii_lowercase()
        || slug.ends_with('-')
    {
        return Err(RegistryError::BadSlug(format!(
            "{slug:?}: a slug is 2 to 40 lowercase letters, digits and dashes, starting with a letter"
        )));
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Err(RegistryError::BadSlug(format!("{slug} is reserved")));
    }
    Ok(())
}

/// The communities of a server.
#[derive(Clone)]
pub struct CommunityRegistry {
    communities: Keyspace,
}

impl CommunityRegistry {
    /// The registry kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            communities: store.keyspace(COMMUNITIES),
        }
    }

    /// Creates a community with its first admin.
    pub fn create(
        &self,
        slug: &str,
        name: &str,
        admin: &str,
        now_ms: u64,
    ) -> Result<Community, RegistryError> {
        check_slug(slug)?;
        if !kommon_activitypub::json::is_http_url(admin) {
            return Err(RegistryError::BadWebId(admin.to_owned()));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(RegistryError::BadSlug(
                "the name must be 1 to 200 characters".into(),
            ));
        }
        if self.communities.get(slug.as_bytes())?.is_some() {
            return Err(RegistryError::Taken(slug.to_owned()));
        }
        let c = Community {
            slug: slug.to_owned(),
            name: name.to_owned(),
            summary: String::new(),
            admins: vec![admin.to_owned()],
            moderators: Vec::new(),
            created_ms: now_ms,
            profile: PlaceProfile::default(),
            network: false,
            notify_emails: Vec::new(),
        };
        self.save(&c)?;
        Ok(c)
    }

    /// Writes a community's record.
    pub fn save(&self, c: &Community) -> Result<(), RegistryError> {
        let v = serde_json::to_vec(c)
            .map_err(|e| StoreError::Corrupted(format!("encoding a community: {e}")))?;
        self.communities.insert(c.slug.as_bytes(), &v)?;
        Ok(())
    }

    /// The community at `slug`.
    pub fn get(&self, slug: &str) -> Result<Option<Community>, RegistryError> {
        Ok(match self.communities.get(slug.as_bytes())? {
            Some(v) => Some(
                serde_json::from_slice(&v)
                    .map_err(|e| StoreError::Corrupted(format!("a community record: {e}")))?,
            ),
            None => None,
        })
    }

    /// Every community, by slug.
    pub fn list(&self) -> Result<Vec<Community>, RegistryError> {
        let mut out = Vec::new();
        for e in self.communities.scan_prefix(b"") {
            let (_, v) = e?;
            if let Ok(c) = serde_json::from_slice(&v) {
                out.push(c);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_roles() {
        for ok in ["le-6b", "phares", "la-main", "pot-kommon2"] {
            check_slug(ok).unwrap();
        }
        for bad in [
            "",
            "a",
            "Le6B",
            "6b",
            "le 6b",
            "inbox",
            "actor",
            "x-",
            &"a".repeat(41),
            "é",
        ] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        let store = QuadStore::temporary().unwrap();
        let r = CommunityRegistry::new(&store);
        let mut c = r
            .create("le-6b", "Le 6B", "https://pods.example/ana", 1)
            .unwrap();
        assert!(matches!(
            r.create("le-6b", "Autre", "https://pods.example/bo", 2),
            Err(RegistryError::Taken(_))
        ));
        assert!(matches!(
            r.create("phares", "PHARES", "ana", 2),
            Err(RegistryError::BadWebId(_))
        ));
        c.moderators.push("https://pods.example/mo".into());
        r.save(&c).unwrap();
        let c = r.get("le-6b").unwrap().unwrap();
        assert_eq!(c.role_of("https://pods.example/ana"), Some(Role::Admin));
        assert_eq!(c.role_of("https://pods.example/mo"), Some(Role::Moderator));
        assert!(!c.may_moderate("https://pods.example/resident"));
        assert_eq!(r.list().unwrap().len(), 1);
    }
}
