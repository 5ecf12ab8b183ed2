//! A resident's pod, laid out as ActivityPods lays it out: the WebID (also the ActivityPub actor)
//! at `/{name}`, the storage root `/{name}/data/`, one container per type at
//! `/{name}/data/{prefix}/{class}/`, flat resources `/{name}/data/{id}`, a vcard profile, public
//! and private type indexes, a preferences file, and the actor's collections.
//!
//! Containers end with `/` (Solid's slash semantics); the forms without it (`/{name}/data`,
//! which ActivityPods uses) redirect to them.

use crate::accounts::{Account, AccountError, AccountStore};
use kommon_http_signatures::{KeyPair, generate_key_pair};
use kommon_rdf::QuadStore;
use kommon_rdf::model::vocab::{rdf, xsd};
use kommon_rdf::model::{BlankNode, Graph, Literal, NamedNode, Triple};
use kommon_solid::resource::acl_url;
use kommon_solid::storage::{
    Conditions, Content, Placement, ResourceStore, StorageError, StoredResource, xsd_datetime,
};
use std::collections::HashSet;
use std::sync::Arc;
use thiserror::Error;

const AS: &str = "https://www.w3.org/ns/activitystreams#";
const LDP: &str = "http://www.w3.org/ns/ldp#";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const PIM: &str = "http://www.w3.org/ns/pim/space#";
const SOLID: &str = "http://www.w3.org/ns/solid/terms#";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const ACL: &str = "http://www.w3.org/ns/auth/acl#";
const SEC: &str = "https://w3id.org/security#";
const DC: &str = "http://purl.org/dc/terms/";
const VOID: &str = "http://rdfs.org/ns/void#";
const INTEROP: &str = "http://www.w3.org/ns/solid/interop#";

/// The containers every pod gets: path under the storage root, class, and whether the class is
/// registered in the public type index (otherwise the private one).
pub const TYPE_CONTAINERS: &[(&str, &str, bool)] = &[
    (
        "vcard/individual/",
        "http://www.w3.org/2006/vcard/ns#Individual",
        false,
    ),
    (
        "pair/project/",
        "http://virtual-assembly.org/ontologies/pair#Project",
        true,
    ),
    (
        "pair/event/",
        "http://virtual-assembly.org/ontologies/pair#Event",
        true,
    ),
    ("semapps/file/", "http://semapps.org/ns/core#File", false),
];

/// Why a pod could not be created.
#[derive(Debug, Error)]
pub enum PodError {
    /// The account is refused.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// Writing the pod failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The actor's key could not be made.
    #[error("could not make the actor's key: {0}")]
    Key(String),
}

/// Where things are, for a server whose base URL is `base` (no trailing slash).
#[derive(Clone, Debug)]
pub struct PodLayout {
    base: String,
}

impl PodLayout {
    /// The layout of a server at `base` (`http://localhost:3000`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The server's base URL, without trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The WebID (and actor) of a pod.
    pub fn webid(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// The storage root of a pod.
    pub fn storage(&self, name: &str) -> String {
        format!("{}/{name}/data/", self.base)
    }

    /// A resource of a pod's storage.
    pub fn data(&self, name: &str, path: &str) -> String {
        format!("{}{path}", self.storage(name))
    }

    /// One of the actor's endpoints (`inbox`, `outbox`, `followers`, `following`, `sparql`).
    pub fn endpoint(&self, name: &str, endpoint: &str) -> String {
        format!("{}/{name}/{endpoint}", self.base)
    }

    /// The pod name a URL belongs to, and the path after `/{name}` (empty for the WebID).
    pub fn split<'a>(&self, url: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = url.strip_prefix(&self.base)?.strip_prefix('/')?;
        let end = rest.find(['/', '.']).unwrap_or(rest.len());
        let (name, tail) = rest.split_at(end);
        if name.is_empty() {
            return None;
        }
        Some((name, tail))
    }

    /// The storage root a URL is in.
    pub fn storage_root(&self, url: &str) -> Option<String> {
        let (name, tail) = self.split(url)?;
        tail.starts_with("/data/").then(|| self.storage(name))
    }

    /// Whether the URL is a pod's WebID or one of its actor endpoints, which PUT and DELETE may
    /// not replace (they are patched, or managed by the server).
    pub fn is_protected(&self, url: &str) -> bool {
        match self.split(url) {
            Some((_, tail)) => matches!(
                tail,
                "" | "/inbox" | "/outbox" | "/followers" | "/following" | "/liked"
            ),
            None => false,
        }
    }
}

fn n(iri: &str) -> NamedNode {
    NamedNode::new_unchecked(iri)
}

fn t(s: &NamedNode, p: &str, o: impl Into<kommon_rdf::model::Term>) -> Triple {
    Triple::new(s.clone(), n(p), o.into())
}

fn lit(s: &str) -> Literal {
    Literal::new_simple_literal(s)
}

/// An ACL document: the owner has every mode on the resource (and, for containers, on what they
/// contain); `public_read` adds read for everyone.
/// The ACL document `acl` of `resource`: full control for `owner` (inherited by members when
/// `container`), and read for everyone when `public_read`.
pub fn acl_graph(
    acl: &str,
    resource: &str,
    owner: &str,
    container: bool,
    public_read: bool,
) -> Graph {
    let mut g = Graph::new();
    let owner_auth = n(&format!("{acl}#owner"));
    g.insert(&t(
        &owner_auth,
        rdf::TYPE.as_str(),
        n(&format!("{ACL}Authorization")),
    ));
    g.insert(&t(&owner_auth, &format!("{ACL}agent"), n(owner)));
    g.insert(&t(&owner_auth, &format!("{ACL}accessTo"), n(resource)));
    if container {
        g.insert(&t(&owner_auth, &format!("{ACL}default"), n(resource)));
    }
    for mode in ["Read", "Write", "Control"] {
        g.insert(&t(
            &owner_auth,
            &format!("{ACL}mode"),
            n(&format!("{ACL}{mode}")),
        ));
    }
    if public_read {
        let public = n(&format!("{acl}#public"));
        g.insert(&t(
            &public,
            rdf::TYPE.as_str(),
            n(&format!("{ACL}Authorization")),
        ));
        g.insert(&t(
            &public,
            &format!("{ACL}agentClass"),
            n(&format!("{FOAF}Agent")),
        ));
        g.insert(&t(&public, &format!("{ACL}accessTo"), n(resource)));
        if container {
            g.insert(&t(&public, &format!("{ACL}default"), n(resource)));
        }
        g.insert(&t(&public, &format!("{ACL}mode"), n(&format!("{ACL}Read"))));
    }
    g
}

/// Creates pods and the actors' keys.
#[derive(Clone)]
pub struct Pods {
    /// The resources of every pod.
    pub resources: ResourceStore,
    /// The accounts.
    pub accounts: AccountStore,
    /// Where things are.
    pub layout: PodLayout,
    keys: kommon_rdf::Keyspace,
    /// Serialises key generation (once per actor), so two first requests make one key.
    key_lock: Arc<std::sync::Mutex<()>>,
    published: Arc<std::sync::Mutex<HashSet<String>>>,
    /// Pods already brought up to the current layout in this process.
    upgraded: Arc<std::sync::Mutex<HashSet<String>>>,
}

impl Pods {
    /// The pods kept in `store`.
    pub fn new(store: &QuadStore, resources: ResourceStore, layout: PodLayout) -> Self {
        Self {
            accounts: AccountStore::new(store),
            keys: store.keyspace("actor-keys"),
            resources,
            layout,
            key_lock: Arc::new(std::sync::Mutex::new(())),
            published: Arc::new(std::sync::Mutex::new(HashSet::new())),
            upgraded: Arc::new(std::sync::Mutex::new(HashSet::new())),
        }
    }

    /// Creates a pod: its documents first, then the account, which is what makes the pod exist;
    /// creation is idempotent, so a crash half-way leaves nothing a new attempt cannot finish.
    pub fn create(
        &self,
        name: &str,
        display_name: &str,
        password: &str,
        email: Option<&str>,
    ) -> Result<Account, PodError> {
        let account = self.accounts.prepare(name, display_name, password, email)?;
        self.write_documents(&account)?;
        self.resources.store().transaction(|tx| {
            tx.keyspace_insert("accounts", name.as_bytes(), &AccountStore::record(&account));
            Ok::<_, StorageError>(())
        })?;
        Ok(account)
    }

    fn write_documents(&self, account: &Account) -> Result<(), PodError> {
        let name = account.name.as_str();
        let l = &self.layout;
        let webid = l.webid(name);
        let storage = l.storage(name);
        let unlisted = Placement::UNLISTED;
        let any = Conditions::default();
        let rs = &self.resources;

        // The storage root, private to the owner.
        rs.ensure_container(&storage, None, unlisted)?;
        rs.put(
            &acl_url(&storage),
            Content::Rdf(acl_graph(&acl_url(&storage), &storage, &webid, true, false)),
            &any,
            unlisted,
        )?;
        // Containers per type.
        for (path, class, _) in TYPE_CONTAINERS {
            rs.ensure_container(&l.data(name, path), Some(class), Placement::default())?;
        }
        // The profile, a flat resource listed in vcard/individual/.
        let profile = l.data(name, "profile");
        let p = n(&profile);
        let mut g = Graph::new();
        g.insert(&t(&p, rdf::TYPE.as_str(), n(&format!("{VCARD}Individual"))));
        g.insert(&t(&p, rdf::TYPE.as_str(), n(&format!("{AS}Profile"))));
        g.insert(&t(&p, &format!("{VCARD}fn"), lit(&account.display_name)));
        g.insert(&t(&p, &format!("{AS}describes"), n(&webid)));
        self.put_flat(&profile, g, &l.data(name, "vcard/individual/"))?;
        // Type indexes and preferences.
        for (doc, public) in [("public-type-index", true), ("private-type-index", false)] {
            let url = l.data(name, doc);
            let s = n(&url);
            let mut g = Graph::new();
            g.insert(&t(&s, rdf::TYPE.as_str(), n(&format!("{SOLID}TypeIndex"))));
            g.insert(&t(
                &s,
                rdf::TYPE.as_str(),
                n(&format!(
                    "{SOLID}{}",
                    if public {
                        "ListedDocument"
                    } else {
                        "UnlistedDocument"
                    }
                )),
            ));
            for (path, class, in_public) in TYPE_CONTAINERS {
                if *in_public != public {
                    continue;
                }
                let local = class
                    .rsplit(['#', '/'])
                    .next()
                    .unwrap_or("type")
                    .to_ascii_lowercase();
                let reg = n(&format!("{url}#{local}"));
                g.insert(&t(&s, &format!("{SOLID}hasTypeRegistration"), reg.clone()));
                g.insert(&t(
                    &reg,
                    rdf::TYPE.as_str(),
                    n(&format!("{SOLID}TypeRegistration")),
                ));
                g.insert(&t(&reg, &format!("{SOLID}forClass"), n(class)));
                g.insert(&t(
                    &reg,
                    &format!("{SOLID}instanceContainer"),
                    n(&l.data(name, path)),
                ));
            }
            rs.put(&url, Content::Rdf(g), &any, Placement::default())?;
            if public {
                rs.put(
                    &acl_url(&url),
                    Content::Rdf(acl_graph(&acl_url(&url), &url, &webid, false, true)),
                    &any,
                    unlisted,
                )?;
            }
        }
        let prefs = l.data(name, "preferences");
        let s = n(&prefs);
        let mut g = Graph::new();
        g.insert(&t(
            &s,
            rdf::TYPE.as_str(),
            n(&format!("{PIM}ConfigurationFile")),
        ));
        g.insert(&t(
            &s,
            &format!("{SOLID}privateTypeIndex"),
            n(&l.data(name, "private-type-index")),
        ));
        rs.put(&prefs, Content::Rdf(g), &any, Placement::default())?;
        self.write_auth_agent(name)?;
        // The actor's collections (filled by federation).
        for (endpoint, public) in [
            ("inbox", false),
            ("outbox", true),
            ("followers", true),
            ("following", true),
        ] {
            let url = l.endpoint(name, endpoint);
            let s = n(&url);
            let mut g = Graph::new();
            g.insert(&t(
                &s,
                rdf::TYPE.as_str(),
                n(&format!("{AS}OrderedCollection")),
            ));
            g.insert(&t(&s, &format!("{AS}attributedTo"), n(&webid)));
            rs.put(&url, Content::Rdf(g), &any, unlisted)?;
            rs.put(
                &acl_url(&url),
                Content::Rdf(acl_graph(&acl_url(&url), &url, &webid, false, public)),
                &any,
                unlisted,
            )?;
        }
        // The WebID last among documents: it links everything above.
        rs.put(
            &webid,
            Content::Rdf(self.webid_graph(account)),
            &any,
            unlisted,
        )?;
        rs.put(
            &acl_url(&webid),
            Content::Rdf(acl_graph(&acl_url(&webid), &webid, &webid, false, true)),
            &any,
            unlisted,
        )?;
        Ok(())
    }

    /// The authorization agent ActivityPods apps look for (public, like the WebID).
    fn write_auth_agent(&self, name: &str) -> Result<(), PodError> {
        let l = &self.layout;
        let webid = l.webid(name);
        let rs = &self.resources;
        let any = Conditions::default();
        let agent = l.data(name, "auth-agent");
        let a = n(&agent);
        let mut g = Graph::new();
        g.insert(&t(
            &a,
            rdf::TYPE.as_str(),
            n(&format!("{INTEROP}AuthorizationAgent")),
        ));
        g.insert(&t(
            &a,
            &format!("{INTEROP}hasAuthorizationRedirectEndpoint"),
            n(&format!("{}/.account/authorize", l.base())),
        ));
        rs.put(&agent, Content::Rdf(g), &any, Placement::default())?;
        rs.put(
            &acl_url(&agent),
            Content::Rdf(acl_graph(&acl_url(&agent), &agent, &webid, false, true)),
            &any,
            Placement::UNLISTED,
        )?;
        Ok(())
    }

    /// Brings a pod made by an older version up to the current layout (the authorization agent,
    /// `endpoints.proxyUrl`); cheap after the first call for a pod.
    pub fn upgrade(&self, name: &str) -> Result<(), PodError> {
        if self
            .upgraded
            .lock()
            .map(|u| u.contains(name))
            .unwrap_or(false)
        {
            return Ok(());
        }
        let l = &self.layout;
        let webid = l.webid(name);
        if !self
            .resources
            .meta(&l.data(name, "auth-agent"))?
            .is_some_and(|m| m.exists())
        {
            self.write_auth_agent(name)?;
        }
        let current = match self.resources.read(&webid)? {
            Some(StoredResource {
                content: Content::Rdf(g),
                ..
            }) => g,
            _ => return Ok(()),
        };
        let up_to_date = [
            format!("{INTEROP}hasAuthorizationAgent"),
            format!("{AS}proxyUrl"),
            format!("{AS}sharedInbox"),
        ]
        .iter()
        .all(|p| current.iter().any(|tr| tr.predicate.as_str() == p));
        if up_to_date {
            if let Ok(mut u) = self.upgraded.lock() {
                u.insert(name.to_owned());
            }
            return Ok(());
        }
        let agent = n(&l.data(name, "auth-agent"));
        let proxy = n(&l.endpoint(name, "proxy"));
        let shared_inbox = n(&format!("{}/inbox", l.base()));
        let liked_url = n(&l.endpoint(name, "liked"));
        let w = n(&webid);
        self.resources
            .patch(&webid, &Conditions::default(), |mut g, exists| {
                if !exists {
                    return Err(StorageError::NotFound(webid.clone()));
                }
                let has_agent = format!("{INTEROP}hasAuthorizationAgent");
                if !g.iter().any(|tr| tr.predicate.as_str() == has_agent) {
                    g.insert(&t(&w, &has_agent, agent.clone()));
                }
                let proxy_url = format!("{AS}proxyUrl");
                let endpoints = g
                    .iter()
                    .find(|tr| tr.predicate.as_str() == format!("{AS}endpoints"))
                    .map(|tr| tr.object.into_owned());
                if let Some(kommon_rdf::model::Term::BlankNode(e)) = endpoints {
                    if !g.iter().any(|tr| tr.predicate.as_str() == proxy_url) {
                        g.insert(&Triple::new(e.clone(), n(&proxy_url), proxy.clone()));
                    }
                    let shared = format!("{AS}sharedInbox");
                    if !g.iter().any(|tr| tr.predicate.as_str() == shared) {
                        g.insert(&Triple::new(e, n(&shared), shared_inbox.clone()));
                    }
                }
                let liked = format!("{AS}liked");
                if !g.iter().any(|tr| tr.predicate.as_str() == liked) {
                    g.insert(&t(&w, &liked, liked_url.clone()));
                }
                Ok(g)
            })?;
        if let Ok(mut u) = self.upgraded.lock() {
            u.insert(name.to_owned());
        }
        Ok(())
    }

    fn put_flat(&self, url: &str, graph: Graph, type_container: &str) -> Result<(), PodError> {
        // Created through the type container, so it is listed there as a POST would list it.
        if self.resources.meta(url)?.is_some_and(|m| m.exists()) {
            self.resources.put(
                url,
                Content::Rdf(graph),
                &Conditions::default(),
                Placement::default(),
            )?;
            return Ok(());
        }
        let slug = url.rsplit('/').next().unwrap_or_default().to_owned();
        let root = self.layout.storage_root(url);
        self.resources.create_in(
            type_container,
            Some(&slug),
            false,
            |_| Ok(Content::Rdf(graph)),
            root.as_deref(),
        )?;
        Ok(())
    }

    /// The WebID document, in the shape ActivityPods clients read.
    fn webid_graph(&self, account: &Account) -> Graph {
        let l = &self.layout;
        let name = account.name.as_str();
        let w = n(&l.webid(name));
        let mut g = Graph::new();
        g.insert(&t(&w, rdf::TYPE.as_str(), n(&format!("{FOAF}Person"))));
        g.insert(&t(&w, rdf::TYPE.as_str(), n(&format!("{AS}Person"))));
        g.insert(&t(&w, &format!("{FOAF}nick"), lit(name)));
        g.insert(&t(&w, &format!("{AS}preferredUsername"), lit(name)));
        g.insert(&t(&w, &format!("{AS}name"), lit(&account.display_name)));
        g.insert(&t(&w, &format!("{FOAF}name"), lit(&account.display_name)));
        g.insert(&t(
            &w,
            &format!("{DC}created"),
            Literal::new_typed_literal(xsd_datetime(account.created_ms), xsd::DATE_TIME),
        ));
        g.insert(&t(&w, &format!("{PIM}storage"), n(&l.storage(name))));
        g.insert(&t(
            &w,
            &format!("{SOLID}oidcIssuer"),
            n(&format!("{}/", l.base())),
        ));
        g.insert(&t(
            &w,
            &format!("{SOLID}publicTypeIndex"),
            n(&l.data(name, "public-type-index")),
        ));
        g.insert(&t(
            &w,
            &format!("{INTEROP}hasAuthorizationAgent"),
            n(&l.data(name, "auth-agent")),
        ));
        g.insert(&t(
            &w,
            &format!("{PIM}preferencesFile"),
            n(&l.data(name, "preferences")),
        ));
        g.insert(&t(
            &w,
            &format!("{LDP}inbox"),
            n(&l.endpoint(name, "inbox")),
        ));
        g.insert(&t(
            &w,
            &format!("{AS}outbox"),
            n(&l.endpoint(name, "outbox")),
        ));
        g.insert(&t(
            &w,
            &format!("{AS}followers"),
            n(&l.endpoint(name, "followers")),
        ));
        g.insert(&t(
            &w,
            &format!("{AS}following"),
            n(&l.endpoint(name, "following")),
        ));
        g.insert(&t(&w, &format!("{AS}url"), n(&l.data(name, "profile"))));
        let endpoints = BlankNode::new_unchecked("endpoints");
        g.insert(&Triple::new(
            w.clone(),
            n(&format!("{AS}endpoints")),
            endpoints.clone(),
        ));
        g.insert(&Triple::new(
            endpoints.clone(),
            n(&format!("{VOID}sparqlEndpoint")),
            n(&l.endpoint(name, "sparql")),
        ));
        g.insert(&Triple::new(
            endpoints.clone(),
            n(&format!("{AS}proxyUrl")),
            n(&l.endpoint(name, "proxy")),
        ));
        g.insert(&Triple::new(
            endpoints,
            n(&format!("{AS}sharedInbox")),
            n(&format!("{}/inbox", l.base())),
        ));
        g.insert(&t(&w, &format!("{AS}liked"), n(&l.endpoint(name, "liked"))));
        g
    }

    /// Deletes a pod: every resource under it (the WebID and documents leave tombstones, so
    /// others learn it is gone), its key and its account; the name stays reserved for a year.
    pub fn delete(&self, name: &str) -> Result<(), PodError> {
        let webid = self.layout.webid(name);
        let mut urls = Vec::new();
        for entry in self.resources.resources_under(&format!("{webid}/")) {
            let (url, meta) = entry?;
            if meta.exists() {
                urls.push(url);
            }
        }
        // Members before their containers; ACL documents last, so nothing is left unguarded.
        // (flat resources live in type containers that are not their URL parents).
        urls.sort_by_key(|u| {
            (
                u.ends_with(".acl"),
                kommon_solid::resource::is_container(u),
                std::cmp::Reverse(u.len()),
            )
        });
        urls.push(acl_url(&webid));
        urls.push(webid.clone());
        let any = Conditions::default();
        for url in urls {
            match self.resources.delete(&url, &any) {
                Ok(()) | Err(StorageError::NotFound(_)) | Err(StorageError::Gone(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.keys
            .remove(name.as_bytes())
            .map_err(StorageError::from)?;
        self.published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        self.accounts.retire(name)?;
        Ok(())
    }

    /// The actor's RSA key pair, made and published in its WebID on first use.
    pub fn actor_key(&self, name: &str) -> Result<KeyPair, PodError> {
        let webid = self.layout.webid(name);
        let key = match self.stored_key(name)? {
            Some(k) => k,
            None => {
                let _guard = self.key_lock.lock().unwrap_or_else(|e| e.into_inner());
                match self.stored_key(name)? {
                    Some(k) => k,
                    None => {
                        let k = generate_key_pair().map_err(|e| PodError::Key(e.to_string()))?;
                        let value =
                            serde_json::json!({"private": k.private_pem, "public": k.public_pem});
                        self.keys
                            .insert(name.as_bytes(), value.to_string().as_bytes())
                            .map_err(StorageError::from)?;
                        k
                    }
                }
            }
        };
        let published = self
            .published
            .lock()
            .map(|p| p.contains(name))
            .unwrap_or(false);
        if !published {
            self.publish_key(&webid, &key)?;
            if let Ok(mut p) = self.published.lock() {
                p.insert(name.to_owned());
            }
        }
        Ok(key)
    }

    fn stored_key(&self, name: &str) -> Result<Option<KeyPair>, PodError> {
        let Some(bytes) = self.keys.get(name.as_bytes()).map_err(StorageError::from)? else {
            return Ok(None);
        };
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| PodError::Key(e.to_string()))?;
        Ok(Some(KeyPair {
            private_pem: v["private"].as_str().unwrap_or_default().to_owned(),
            public_pem: v["public"].as_str().unwrap_or_default().to_owned(),
        }))
    }

    fn publish_key(&self, webid: &str, key: &KeyPair) -> Result<(), PodError> {
        let key_id = n(&format!("{webid}#main-key"));
        let w = n(webid);
        let pem = lit(&key.public_pem);
        self.resources
            .patch(webid, &Conditions::default(), |mut g, exists| {
                if !exists {
                    return Err(StorageError::NotFound(webid.to_owned()));
                }
                if g.contains(&t(&key_id, &format!("{SEC}publicKeyPem"), pem.clone())) {
                    return Ok(g);
                }
                let old: Vec<Triple> = g
                    .iter()
                    .filter(|tr| tr.subject.to_string() == key_id.to_string())
                    .map(|tr| tr.into_owned())
                    .collect();
                for tr in old {
                    g.remove(&tr);
                }
                g.insert(&t(&w, &format!("{SEC}publicKey"), key_id.clone()));
                g.insert(&t(&key_id, &format!("{SEC}owner"), w.clone()));
                g.insert(&t(&key_id, &format!("{SEC}publicKeyPem"), pem.clone()));
                Ok(g)
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let l = PodLayout::new("http://localhost:3000/");
        assert_eq!(l.webid("alice"), "http://localhost:3000/alice");
        assert_eq!(
            l.split("http://localhost:3000/alice/data/x"),
            Some(("alice", "/data/x"))
        );
        assert_eq!(
            l.split("http://localhost:3000/alice.acl"),
            Some(("alice", ".acl"))
        );
        assert_eq!(l.split("http://localhost:3000/alice"), Some(("alice", "")));
        assert_eq!(l.split("http://localhost:3000/"), None);
        assert_eq!(
            l.storage_root("http://localhost:3000/alice/data/a/b")
                .as_deref(),
            Some("http://localhost:3000/alice/data/")
        );
        assert_eq!(l.storage_root("http://localhost:3000/alice/inbox"), None);
        assert!(l.is_protected("http://localhost:3000/alice"));
        assert!(l.is_protected("http://localhost:3000/alice/inbox"));
        assert!(!l.is_protected("http://localhost:3000/alice/data/x"));
    }
}

#[cfg(test)]
mod reopen {
    use super::*;
    use kommon_rdf::StoreOptions;
    use kommon_solid::wac::AclSource;

    #[test]
    fn replacing_the_root_acl_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let layout = PodLayout::new("http://localhost:3904");
        {
            let store = QuadStore::open(dir.path(), &StoreOptions::default()).unwrap();
            let pods = Pods::new(
                &store,
                ResourceStore::new(store.clone(), 100),
                layout.clone(),
            );
            pods.create("zed", "Zed", "zed-secret", None).unwrap();
            store.flush().unwrap();
        }
        let store = QuadStore::open(dir.path(), &StoreOptions::default()).unwrap();
        let rs = ResourceStore::new(store.clone(), 100);
        let before = rs.acl_of("http://localhost:3904/zed/data/").unwrap();
        let n0 = store.check_consistency().unwrap();
        rs.put(
            "http://localhost:3904/zed/data/.acl",
            Content::Rdf((*before).clone()),
            &Conditions::default(),
            Placement::UNLISTED,
        )
        .unwrap();
        assert_eq!(store.check_consistency().unwrap(), n0);
        assert_eq!(
            rs.acl_of("http://localhost:3904/zed/data/").unwrap(),
            before
        );
    }
}

#[cfg(test)]
mod http_put_acl {
    use super::*;
    use crate::app::AppState;
    use crate::config::ServerConfig;
    use kommon_solid::auth::{AuthMethod, Credentials};
    use kommon_solid::http::{LdpRequest, handle};

    #[test]
    fn put_same_acl_over_the_ldp_layer() {
        let dir = tempfile::tempdir().unwrap();
        let store = QuadStore::open(dir.path(), &kommon_rdf::StoreOptions::default()).unwrap();
        let config = ServerConfig {
            data: dir.path().to_owned(),
            listen: "127.0.0.1:3904".parse().unwrap(),
            base_url_arg: None,
            dev: true,
            max_rdf_bytes: 1 << 20,
            max_binary_bytes: 1 << 20,
            cache_mib: 16,
            delivery_backoff_unit_us: 1_000_000,
            extra_ca_file: None,
            base_url: String::new(),
        }
        .resolve();
        let state = AppState::new(store.clone(), config).unwrap();
        state.pods.create("zed", "Zed", "zed-secret", None).unwrap();
        let w = "http://localhost:3904/zed";
        let body = format!(
            "@prefix acl: <http://www.w3.org/ns/auth/acl#>. <#owner> a acl:Authorization; acl:agent <{w}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control."
        );
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", "text/turtle".parse().unwrap());
        let creds = Credentials {
            agent: w.to_owned(),
            application: None,
            method: AuthMethod::DevelopmentHeader,
        };
        let url = "http://localhost:3904/zed/data/.acl";
        let before = store
            .get_document(oxrdf::NamedNodeRef::new_unchecked(url))
            .unwrap();
        let r = handle(
            &state.pods.resources,
            &state.ldp,
            &LdpRequest {
                method: &http::Method::PUT,
                url,
                headers: &headers,
                body: body.as_bytes(),
                credentials: Some(&creds),
            },
        );
        assert_eq!(r.status(), 205);
        let after = store
            .get_document(oxrdf::NamedNodeRef::new_unchecked(url))
            .unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn pods_of_an_older_layout_are_brought_up_to_date() {
        let store = QuadStore::temporary().unwrap();
        let layout = PodLayout::new("http://localhost:3905");
        let pods = Pods::new(
            &store,
            ResourceStore::new(store.clone(), 100),
            layout.clone(),
        );
        pods.create("old", "Old", "old-secret", None).unwrap();
        let webid = layout.webid("old");
        let agent = layout.data("old", "auth-agent");
        // What a pod of the previous version looked like: no agent, no proxy.
        pods.resources
            .patch(&webid, &Conditions::default(), |g, _| {
                Ok(g.iter()
                    .filter(|tr| {
                        !tr.predicate.as_str().ends_with("#hasAuthorizationAgent")
                            && !tr.predicate.as_str().ends_with("#proxyUrl")
                    })
                    .collect())
            })
            .unwrap();
        pods.resources
            .delete(&agent, &Conditions::default())
            .unwrap();
        let fresh = Pods::new(
            &store,
            ResourceStore::new(store.clone(), 100),
            layout.clone(),
        );
        fresh.upgrade("old").unwrap();
        let Some(StoredResource {
            content: Content::Rdf(g),
            ..
        }) = fresh.resources.read(&webid).unwrap()
        else {
            panic!("the WebID");
        };
        for p in ["#hasAuthorizationAgent", "#proxyUrl"] {
            assert!(g.iter().any(|tr| tr.predicate.as_str().ends_with(p)), "{p}");
        }
        assert!(
            fresh
                .resources
                .meta(&agent)
                .unwrap()
                .is_some_and(|m| m.exists())
        );
        // Twice is harmless and writes nothing.
        let etag = fresh.resources.meta(&webid).unwrap().unwrap().etag();
        Pods::new(&store, ResourceStore::new(store.clone(), 100), layout)
            .upgrade("old")
            .unwrap();
        assert_eq!(fresh.resources.meta(&webid).unwrap().unwrap().etag(), etag);
    }
}
