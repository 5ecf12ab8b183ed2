//! Who an activity is for: its audience read from `to`, `cc`, `bto`, `bcc` and `audience`,
//! and the copy that leaves the server, without `bto` and `bcc` (which name hidden recipients
//! and must never be delivered).

use serde_json::Value;

/// The public collection, in its three spellings.
pub const PUBLIC: [&str; 3] = [
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "Public",
];

/// Whether `iri` means "everyone".
pub fn is_public(iri: &str) -> bool {
    PUBLIC.contains(&iri)
}

/// Every addressee of an activity (and of the object it carries), without the public
/// collection, deduplicated, in order.
pub fn addressees(activity: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &Value| {
        for key in ["to", "cc", "bto", "bcc", "audience"] {
            for id in crate::json::ids(v, key) {
                if !is_public(&id) && !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    };
    add(activity);
    if let Some(object) = activity.get("object")
        && object.is_object()
    {
        add(object);
    }
    out
}

/// Whether an activity is addressed to the public collection.
pub fn is_addressed_publicly(activity: &Value) -> bool {
    ["to", "cc", "audience"]
        .iter()
        .any(|k| crate::json::ids(activity, k).iter().any(|id| is_public(id)))
}

/// Removes `bto` and `bcc` from an activity and the object it carries.
pub fn strip_hidden(activity: &mut Value) {
    if let Some(o) = activity.as_object_mut() {
        o.remove("bto");
        o.remove("bcc");
    }
    if let Some(o) = activity.get_mut("object").and_then(Value::as_object_mut) {
        o.remove("bto");
        o.remove("bcc");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addressing() {
        let mut a = json!({
            "to": ["https://www.w3.org/ns/activitystreams#Public", "https://b/u"],
            "cc": "https://a/followers",
            "bto": ["https://c/secret"],
            "object": {"bcc": "https://d/x", "to": "https://b/u"}
        });
        assert_eq!(
            addressees(&a),
            vec![
                "https://b/u",
                "https://a/followers",
                "https://c/secret",
                "https://d/x"
            ]
        );
        assert!(is_addressed_publicly(&a));
        strip_hidden(&mut a);
        assert!(a.get("bto").is_none() && a["object"].get("bcc").is_none());
        assert_eq!(addressees(&a), vec!["https://b/u", "https://a/followers"]);
    }
}
