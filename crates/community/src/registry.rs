//! The communities a cod-server hosts, each at `/{slug}`, with the people who run it.

use kommon_rdf::{Keyspace, QuadStore, StoreError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const COMMUNITIES: &str = "communities";

/// Slugs a community may not take: they are the server's own paths.
pub const RESERVED_SLUGS: &[&str] = &[
    "inbox", "actor", "nodeinfo", "admin", "api", "static", "assets", "health", "login", "logout",
    "about", "help", "search", "agenda", "map", "network",
];

/// What someone may do in a community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Decides on requests and offers.
    Moderator,
    /// Edits the profile and names moderators; also a moderator.
    Admin,
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
