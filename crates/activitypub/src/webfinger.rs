//! Discovery: WebFinger (RFC 7033) answers for `acct:` and URL resources, and host-meta (RFC
//! 6415), which older fediverse software still reads to find the WebFinger template.
//!
//! Mastodon checks the answer backwards: from the actor's `preferredUsername` and host it asks
//! WebFinger again and expects the same actor, so `subject` is always the canonical
//! `acct:name@host` of the actor, whichever resource was asked.

use serde_json::{Value, json};

/// What a WebFinger query names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    /// `acct:name@host` (or `name@host`, as some clients send it).
    Account {
        /// The user part.
        name: String,
        /// The host part, with port.
        host: String,
    },
    /// An http(s) URL, such as an actor id or a profile page.
    Url(String),
}

/// Reads the `resource` parameter.
pub fn parse_resource(resource: &str) -> Result<Resource, String> {
    let resource = resource.trim();
    if resource.len() > 1024 {
        return Err("the resource is longer than 1024 bytes".into());
    }
    if resource.starts_with("http://") || resource.starts_with("https://") {
        return url::Url::parse(resource)
            .map(|u| Resource::Url(u.to_string()))
            .map_err(|_| format!("{resource} is not a URL"));
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (name, host) = acct
        .rsplit_once('@')
        .ok_or_else(|| format!("{resource} is neither acct:name@host nor an http(s) URL"))?;
    if name.is_empty() || host.is_empty() {
        return Err(format!("{resource} has an empty name or host"));
    }
    Ok(Resource::Account {
        name: name.to_owned(),
        host: host.to_ascii_lowercase(),
    })
}

/// The JRD of an actor: `subject` the canonical account, `aliases` its actor id and profile,
/// links `self` (ActivityStreams, both media types) and `profile-page`.
pub fn actor_jrd(account: &str, actor: &str, profile_page: Option<&str>) -> Value {
    let mut aliases = vec![json!(actor)];
    let mut links = vec![
        json!({"rel": "self", "type": "application/activity+json", "href": actor}),
        json!({"rel": "self", "type": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "href": actor}),
    ];
    if let Some(p) = profile_page {
        if p != actor {
            aliases.push(json!(p));
        }
        links.push(
            json!({"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": p}),
        );
    }
    json!({"subject": account, "aliases": aliases, "links": links})
}

/// The host-meta XRD pointing at the WebFinger endpoint of `base` (`https://host`).
pub fn host_meta_xml(base: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{base}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n"
    )
}

/// The host-meta as JSON (`/.well-known/host-meta.json`).
pub fn host_meta_json(base: &str) -> Value {
    json!({"links": [{"rel": "lrdd", "template": format!("{base}/.well-known/webfinger?resource={{uri}}")}]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        assert_eq!(
            parse_resource("acct:alice@Pods.example:8080").unwrap(),
            Resource::Account {
                name: "alice".into(),
                host: "pods.example:8080".into()
            }
        );
        assert_eq!(
            parse_resource("@alice@h").unwrap(),
            Resource::Account {
                name: "alice".into(),
                host: "h".into()
            }
        );
        assert_eq!(
            parse_resource("https://h/alice").unwrap(),
            Resource::Url("https://h/alice".into())
        );
        for bad in [
            "alice",
            "acct:@h",
            "acct:alice@",
            "https://",
            &"a".repeat(2000),
        ] {
            assert!(parse_resource(bad).is_err(), "{bad}");
        }
        let j = actor_jrd("acct:a@h", "https://h/a", Some("https://h/a/profile"));
        assert_eq!(j["links"][0]["href"], "https://h/a");
        assert_eq!(j["aliases"].as_array().unwrap().len(), 2);
        assert!(
            host_meta_xml("https://h").contains("https://h/.well-known/webfinger?resource={uri}")
        );
    }
}
