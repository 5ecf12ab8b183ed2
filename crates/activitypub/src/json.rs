//! Reading activities from untrusted bodies: bounded size and nesting, the shape checks every
//! activity must pass before anything is stored, and helpers to read ids from the compacted
//! ActivityStreams form every fediverse server sends.

use serde_json::Value;
use thiserror::Error;

/// Bounds on an incoming body.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest body accepted, in bytes.
    pub max_bytes: usize,
    /// The deepest nesting of arrays and objects accepted.
    pub max_depth: usize,
}

impl Default for Limits {
    /// 1 MiB (what activitypub_federation accepts) and 32 levels (real activities use fewer
    /// than 8; deep nesting is only ever an attack on recursive parsers).
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 32,
        }
    }
}

/// Why an activity was refused; [`ActivityError::status`] is the HTTP answer.
#[derive(Debug, Error)]
pub enum ActivityError {
    /// The body is larger than the limit.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// The body nests deeper than the limit.
    #[error("the body nests arrays and objects deeper than {0} levels")]
    TooDeep(usize),
    /// The JSON is not an acceptable activity.
    #[error("{0}")]
    Invalid(String),
    /// The activity names a JSON-LD context this server does not know (and never fetches).
    #[error("the activity names the unknown JSON-LD context {0}; contexts are never fetched")]
    UnknownContext(String),
}

impl ActivityError {
    /// The HTTP status: 413 for size, 400 for the rest.
    pub fn status(&self) -> u16 {
        match self {
            ActivityError::TooLarge(_) => 413,
            _ => 400,
        }
    }
}

/// The nesting depth of a JSON text, without parsing it (strings skipped), stopping early
/// beyond `limit`: this runs before serde so hostile nesting never reaches a recursive parser.
pub fn nesting_depth(body: &[u8], limit: usize) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    max = depth;
                    if max > limit {
                        return max;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses a body as one JSON object within `limits`.
pub fn parse_object(body: &[u8], limits: &Limits) -> Result<Value, ActivityError> {
    if body.len() > limits.max_bytes {
        return Err(ActivityError::TooLarge(limits.max_bytes));
    }
    if nesting_depth(body, limits.max_depth) > limits.max_depth {
        return Err(ActivityError::TooDeep(limits.max_depth));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ActivityError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(ActivityError::Invalid(
            "the body is not a JSON object".into(),
        ));
    }
    Ok(value)
}

/// The id of a value that is an IRI or an object with an `id`.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").or_else(|| o.get("@id")).and_then(Value::as_str),
        _ => None,
    }
}

/// The ids under `key`: one IRI, one object, or an array of them.
pub fn ids(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(id_of).map(str::to_owned).collect(),
        Some(one) => id_of(one).map(str::to_owned).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The types of an object (`type` may be a string or an array).
pub fn types(v: &Value) -> Vec<&str> {
    match v.get("type").or_else(|| v.get("@type")) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether `v` has the type `t` (compact name, or the full ActivityStreams IRI).
pub fn has_type(v: &Value, t: &str) -> bool {
    types(v)
        .iter()
        .any(|x| *x == t || x.strip_prefix(crate::AS_NS) == Some(t))
}

/// The activity types this server understands as activities (the rest of the vocabulary are
/// objects: a bare object posted to an outbox is wrapped in a `Create`).
pub const ACTIVITY_TYPES: &[&str] = &[
    "Accept",
    "Add",
    "Announce",
    "Arrive",
    "Block",
    "Create",
    "Delete",
    "Dislike",
    "Flag",
    "Follow",
    "Ignore",
    "Invite",
    "Join",
    "Leave",
    "Like",
    "Listen",
    "Move",
    "Offer",
    "Question",
    "Read",
    "Reject",
    "Remove",
    "TentativeAccept",
    "TentativeReject",
    "Travel",
    "Undo",
    "Update",
    "View",
    "EmojiReact",
];

/// Whether the object is an activity.
pub fn is_activity(v: &Value) -> bool {
    types(v).iter().any(|t| {
        let t = t.strip_prefix(crate::AS_NS).unwrap_or(t);
        ACTIVITY_TYPES.contains(&t)
    })
}

/// Whether `iri` is an absolute http(s) URL, the only ids federation accepts.
pub fn is_http_url(iri: &str) -> bool {
    url::Url::parse(iri).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The host (with port) of a URL, the unit federation trusts: an actor speaks for its host.
pub fn authority(iri: &str) -> Option<String> {
    let u = url::Url::parse(iri).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// Checks the `@context` of an incoming document: every context named by IRI must be one the
/// server knows (`known`), since contexts are never fetched. Inline context objects are fine.
pub fn check_contexts(v: &Value, known: &dyn Fn(&str) -> bool) -> Result<(), ActivityError> {
    let check = |c: &Value| -> Result<(), ActivityError> {
        match c {
            Value::String(iri) if !known(iri) => Err(ActivityError::UnknownContext(iri.clone())),
            Value::String(_) | Value::Object(_) | Value::Null => Ok(()),
            _ => Err(ActivityError::Invalid(
                "@context entries must be IRIs or objects".into(),
            )),
        }
    };
    match v.get("@context") {
        None => Ok(()),
        Some(Value::Array(items)) => items.iter().try_for_each(check),
        Some(one) => check(one),
    }
}

/// Context IRIs that fediverse software names in activities and actors without using their
/// terms for anything an activity means here (keys, proofs, software-specific flags): they are
/// accepted without being loaded, and dropped before the activity is read as RDF.
pub const TOLERATED_CONTEXTS: &[&str] = &[
    "https://w3id.org/security/data-integrity/v1",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/identity/v1",
    "https://www.w3.org/ns/did/v1",
    "https://gotosocial.org/ns",
    "https://purl.archive.org/miscellany",
    "https://joinmobilizon.org/ns",
    "https://funkwhale.audio/ns",
    "http://joinmastodon.org/ns",
    "https://litepub.social/litepub/context.jsonld",
    "https://misskey-hub.net/ns",
    "https://www.w3.org/ns/activitystreams#",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_and_size() {
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert_eq!(nesting_depth(deep.as_bytes(), 100), 40);
        let limits = Limits::default();
        assert!(matches!(
            parse_object(deep.as_bytes(), &limits),
            Err(ActivityError::TooDeep(32))
        ));
        // Brackets inside strings do not count.
        let s = format!(r#"{{"a":"{}"}}"#, "[".repeat(100));
        assert!(parse_object(s.as_bytes(), &limits).is_ok());
        let big = vec![b' '; limits.max_bytes + 1];
        assert_eq!(parse_object(&big, &limits).unwrap_err().status(), 413);
        assert!(matches!(
            parse_object(b"[1]", &limits),
            Err(ActivityError::Invalid(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":", &limits),
            Err(ActivityError::NotJson(_))
        ));
    }

    #[test]
    fn reading_ids() {
        let v = json!({"to": ["https://a/x", {"id": "https://a/y"}, 3], "cc": "https://a/z",
                       "type": ["Create", "https://www.w3.org/ns/activitystreams#Update"]});
        assert_eq!(ids(&v, "to"), vec!["https://a/x", "https://a/y"]);
        assert_eq!(ids(&v, "cc"), vec!["https://a/z"]);
        assert!(ids(&v, "bcc").is_empty());
        assert!(has_type(&v, "Update"));
        assert!(is_activity(&v));
        assert!(!is_activity(&json!({"type": "Note"})));
        assert_eq!(
            authority("https://Pods.example:8443/a").as_deref(),
            Some("pods.example:8443")
        );
        assert!(!is_http_url("urn:x"));
        assert!(!is_http_url("file:///etc/passwd"));
    }

    #[test]
    fn contexts() {
        let known = |c: &str| c == "https://www.w3.org/ns/activitystreams";
        assert!(
            check_contexts(
                &json!({"@context": "https://www.w3.org/ns/activitystreams"}),
                &known
            )
            .is_ok()
        );
        assert!(check_contexts(&json!({"@context": ["https://www.w3.org/ns/activitystreams", {"x": "https://x/"}]}), &known).is_ok());
        assert!(matches!(
            check_contexts(&json!({"@context": "https://evil.example/ctx"}), &known),
            Err(ActivityError::UnknownContext(_))
        ));
        assert!(check_contexts(&json!({"@context": [1]}), &known).is_err());
    }
}
