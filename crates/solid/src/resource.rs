//! What the server knows of a resource besides its content: kind, media type, version, and for
//! deleted resources the types they had. Also the path rules of Solid (trailing slashes,
//! auxiliary `.acl` resources).

use serde::{Deserialize, Serialize};

/// The kind of an LDP resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResourceKind {
    /// An RDF source, kept as a named graph.
    Rdf,
    /// A non-RDF source (a photo, a PDF), kept as bytes with its media type.
    Binary,
    /// A basic container; its URL ends with `/`.
    Container,
    /// A deleted resource: it answers 410 with a Tombstone.
    Tombstone,
}

/// The description of one resource, stored beside its content and written in the same
/// transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceMeta {
    /// What the resource is.
    pub kind: ResourceKind,
    /// The media type of a binary resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Last change, in milliseconds since the Unix epoch.
    pub modified_ms: u64,
    /// A number that changes at every write (the ETag).
    pub version: u64,
    /// Size of the content in bytes (binary) or triples (RDF).
    #[serde(default)]
    pub size: u64,
    /// For a container made for one class (ActivityPods' container per type): the class. Posting
    /// to it gives a flat resource directly under the storage root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_class: Option<String>,
    /// Containers other than the parent by path that list this resource (type containers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
    /// For a tombstone: the `rdf:type`s the resource had.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_types: Vec<String>,
}

impl ResourceMeta {
    /// The strong ETag of the resource, quoted.
    pub fn etag(&self) -> String {
        format!("\"{:x}\"", self.version)
    }

    /// Whether an entity tag from a request names this version. The representation's media
    /// type is not part of our tags, so a tag from a JSON-LD GET guards a Turtle PUT.
    pub fn matches(&self, tag: &str) -> bool {
        let tag = tag.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == self.etag()
    }

    /// Whether the resource is there (not deleted).
    pub fn exists(&self) -> bool {
        self.kind != ResourceKind::Tombstone
    }
}

/// The essence of a media type: lowercase, without parameters (`Text/Turtle; charset=x` →
/// `text/turtle`).
pub fn media_type_essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a URL names a container (ends with `/`).
pub fn is_container(url: &str) -> bool {
    url.ends_with('/')
}

/// Whether a URL names an ACL document (an auxiliary resource).
pub fn is_acl(url: &str) -> bool {
    url.ends_with(".acl")
}

/// The ACL document of a resource (`x` → `x.acl`, `c/` → `c/.acl`).
pub fn acl_url(resource: &str) -> String {
    format!("{resource}.acl")
}

/// The resource an ACL document governs.
pub fn acl_subject(acl: &str) -> Option<&str> {
    acl.strip_suffix(".acl")
}

/// The same URL with the other trailing-slash form (`x` ↔ `x/`).
pub fn slash_twin(url: &str) -> String {
    match url.strip_suffix('/') {
        Some(s) => s.to_owned(),
        None => format!("{url}/"),
    }
}

/// Turns a `Slug` header into a safe last path segment: lowercase letters, digits, `-`, `_`
/// and `.`; accents folded; anything else becomes `-`. `None` when nothing usable remains.
pub fn slugify(slug: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in slug.trim().nfd() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if unicode_normalization::char::is_combining_mark(c) {
            continue;
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(|c| c == '-' || c == '.').to_owned();
    let out: String = out.chars().take(80).collect();
    if out.is_empty() || out.ends_with(".acl") {
        None
    } else {
        Some(out)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Mon Atelier d'été").as_deref(),
            Some("mon-atelier-d-ete")
        );
        assert_eq!(slugify("../../etc/passwd").as_deref(), Some("etc-passwd"));
        assert_eq!(slugify("photo.JPG").as_deref(), Some("photo.jpg"));
        assert_eq!(slugify("x.acl"), None);
        assert_eq!(slugify("///"), None);
        assert_eq!(slugify(""), None);
    }

    #[test]
    fn etags() {
        let meta = ResourceMeta {
            kind: ResourceKind::Rdf,
            content_type: None,
            modified_ms: 0,
            version: 255,
            size: 0,
            for_class: None,
            also_in: vec![],
            former_types: vec![],
        };
        assert_eq!(meta.etag(), "\"ff\"");
        assert!(meta.matches("\"ff\""));
        assert!(meta.matches("W/\"ff\""));
        assert!(!meta.matches("\"fe\""));
    }
}
