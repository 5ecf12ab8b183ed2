//! Actor documents as fediverse servers read them: residents as `Person`, places and the
//! network as `Group` co-typed as an organization, one instance actor (`Application`) per server
//! for signed fetches. The `@context` names the security vocabulary next to ActivityStreams:
//! without it JSON-LD processors (Fedify, bovine) do not see `publicKey`.

use serde_json::{Value, json};

/// What kind of actor a document describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// A resident.
    Person,
    /// A place or the network: a `Group`, also a `schema:Organization`.
    Group,
    /// The server itself, which signs fetches.
    Application,
}

impl ActorKind {
    /// The `type` value.
    pub fn type_value(self) -> Value {
        match self {
            ActorKind::Person => json!("Person"),
            ActorKind::Group => json!(["Group", "http://schema.org/Organization"]),
            ActorKind::Application => json!("Application"),
        }
    }
}

/// The fields of an actor document.
#[derive(Clone, Debug)]
pub struct ActorDocument {
    /// The actor's id.
    pub id: String,
    /// Its kind.
    pub kind: ActorKind,
    /// Its WebFinger name (`preferredUsername`).
    pub preferred_username: String,
    /// Its display name.
    pub name: String,
    /// A short description (HTML or text).
    pub summary: Option<String>,
    /// An avatar URL and its media type.
    pub icon: Option<(String, String)>,
    /// A page about the actor.
    pub url: Option<String>,
    /// Its inbox.
    pub inbox: String,
    /// Its outbox.
    pub outbox: String,
    /// Its followers collection.
    pub followers: String,
    /// Its following collection.
    pub following: String,
    /// The server's shared inbox.
    pub shared_inbox: String,
    /// Its public key, PEM.
    pub public_key_pem: String,
    /// Whether follows wait for approval.
    pub manually_approves_followers: bool,
    /// The context IRIs beyond ActivityStreams and security v1 (Kommon's).
    pub extra_contexts: Vec<String>,
}

impl ActorDocument {
    /// The `keyId` of the actor's key.
    pub fn key_id(&self) -> String {
        format!("{}#main-key", self.id)
    }

    /// The JSON document.
    pub fn to_json(&self) -> Value {
        let mut context = vec![json!(crate::AS_CONTEXT), json!(crate::SECURITY_CONTEXT)];
        context.extend(self.extra_contexts.iter().map(|c| json!(c)));
        let mut doc = json!({
            "@context": context,
            "id": self.id,
            "type": self.kind.type_value(),
            "preferredUsername": self.preferred_username,
            "name": self.name,
            "inbox": self.inbox,
            "outbox": self.outbox,
            "followers": self.followers,
            "following": self.following,
            "endpoints": {"sharedInbox": self.shared_inbox},
            "manuallyApprovesFollowers": self.manually_approves_followers,
            "publicKey": {
                "id": self.key_id(),
                "owner": self.id,
                "publicKeyPem": self.public_key_pem,
            },
        });
        if let Some(s) = &self.summary {
            doc["summary"] = json!(s);
        }
        if let Some((url, media_type)) = &self.icon {
            doc["icon"] = json!({"type": "Image", "url": url, "mediaType": media_type});
        }
        if let Some(u) = &self.url {
            doc["url"] = json!(u);
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_what_peers_read() {
        let a = ActorDocument {
            id: "https://h/network".into(),
            kind: ActorKind::Group,
            preferred_username: "network".into(),
            name: "Réseau".into(),
            summary: Some("Le réseau".into()),
            icon: Some(("https://h/i.png".into(), "image/png".into())),
            url: Some("https://h/".into()),
            inbox: "https://h/network/inbox".into(),
            outbox: "https://h/network/outbox".into(),
            followers: "https://h/network/followers".into(),
            following: "https://h/network/following".into(),
            shared_inbox: "https://h/inbox".into(),
            public_key_pem: "PEM".into(),
            manually_approves_followers: false,
            extra_contexts: vec![],
        };
        let j = a.to_json();
        assert_eq!(j["@context"][1], crate::SECURITY_CONTEXT);
        assert_eq!(j["publicKey"]["id"], "https://h/network#main-key");
        assert_eq!(j["type"][0], "Group");
        assert_eq!(j["endpoints"]["sharedInbox"], "https://h/inbox");
        assert_eq!(j["icon"]["url"], "https://h/i.png");
    }
}
