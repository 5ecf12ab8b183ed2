//! The pod's authorization agent: ActivityPods applications are registered as ActivityPods 2.2
//! registers them.
//!
//! The app's actor document doubles as its Client ID Document and its application description:
//! it links access need groups, which list access needs (a shape tree or a class, and access
//! modes) and special rights. When the resident consents (on `/.account/authorize`, or through
//! `POST /.auth-agent/register-app` as the pod frontend of ActivityPods does), the agent makes
//! or reuses the container of each class, grants the app's IRI those modes in the container's
//! ACL, writes the `ApplicationRegistration`, `AccessGrant` and `DataGrant` documents in the pod
//! (readable by the app), and sends `Create{ApplicationRegistration}` to the app's inbox, signed
//! with the resident's key. Removing the app undoes all of it and sends `Delete`.
//!
//! ActivityPods' next release (2.3) drops `DataGrant` and moves its fields to `AccessGrant`;
//! this follows 2.2 and writes the 2.3 fields on the `AccessGrant` as well, so apps of either
//! generation find what they read.

use crate::fetch::GuardedFetcher;
use crate::pod::Pods;
use kommon_rdf::model::vocab::{rdf, xsd};
use kommon_rdf::model::{Graph, Literal, NamedNode, Term, Triple};
use kommon_rdf::{Keyspace, QuadStore, StoreError};
use kommon_solid::resource::acl_url;
use kommon_solid::storage::{Conditions, Content, Placement, StorageError};
use serde::{Deserialize, Serialize};

pub mod routes;

const INTEROP: &str = "http://www.w3.org/ns/solid/interop#";
const APODS: &str = "http://activitypods.org/ns/core#";
const ACL: &str = "http://www.w3.org/ns/auth/acl#";
const ST: &str = "http://www.w3.org/ns/shapetrees#";
const SH: &str = "http://www.w3.org/ns/shacl#";
const AS: &str = "https://www.w3.org/ns/activitystreams#";

/// The largest app document read (actor, access needs, shape trees).
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// At most this many access needs per app: an app cannot make the agent fetch without bound.
const MAX_NEEDS: usize = 32;

/// Why an app could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The app's documents are missing or malformed; the message says which.
    #[error("{0}")]
    BadApp(String),
    /// The request is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// Writing the pod failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One thing an app asks for.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessNeed {
    /// The need's IRI.
    pub uri: String,
    /// The class of the resources.
    pub class: String,
    /// The shape tree it named, if any.
    pub shape_tree: Option<String>,
    /// `acl:Read`, `acl:Write`, `acl:Append`, `acl:Control` (full IRIs).
    pub modes: Vec<String>,
    /// Whether the app cannot work without it.
    pub required: bool,
    /// The group it came from.
    pub group: String,
}

/// What an app is and asks for, read from its documents.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AppDescription {
    /// The app's actor IRI.
    pub uri: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its logo.
    pub thumbnail: Option<String>,
    /// Where to send the resident after registration.
    pub callback: Option<String>,
    /// Its inbox.
    pub inbox: Option<String>,
    /// Its access needs.
    pub needs: Vec<AccessNeed>,
    /// Its special rights (`apods:ReadInbox`…), with whether each is required.
    pub special_rights: Vec<(String, bool)>,
    /// Its access need groups.
    pub groups: Vec<String>,
}

/// A registration, as the agent remembers it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AppRegistration {
    /// The pod.
    pub pod: String,
    /// The app.
    pub app: String,
    /// Its name.
    pub name: String,
    /// The `ApplicationRegistration` document.
    pub registration: String,
    /// The folder of its documents.
    pub folder: String,
    /// The containers granted: (container, class, modes).
    pub containers: Vec<(String, String, Vec<String>)>,
    /// The special rights granted.
    pub special_rights: Vec<String>,
    /// The access needs the resident accepted.
    pub accepted_needs: Vec<String>,
    /// When.
    pub registered_ms: u64,
}

/// Values of a key in a compacted JSON-LD object, under its prefixed, full or bare name: IRIs
/// (strings or `{id}` objects) or plain strings.
fn values(doc: &serde_json::Value, names: &[&str]) -> Vec<String> {
    for name in names {
        let v = &doc[*name];
        let list: Vec<&serde_json::Value> = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        return list
            .into_iter()
            .filter_map(|x| match x {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => o
                    .get("id")
                    .or_else(|| o.get("@id"))
                    .or_else(|| o.get("@value"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                _ => None,
            })
            .collect();
    }
    Vec::new()
}

fn names(prefix: &str, ns: &str, local: &str) -> [String; 3] {
    [
        format!("{prefix}:{local}"),
        format!("{ns}{local}"),
        local.to_owned(),
    ]
}

fn get(doc: &serde_json::Value, prefix: &str, ns: &str, local: &str) -> Vec<String> {
    let n = names(prefix, ns, local);
    values(doc, &[&n[0], &n[1], &n[2]])
}

/// Expands `interop:AccessRequired`, `acl:Read` and the like.
fn expand(value: &str) -> String {
    for (prefix, ns) in [
        ("interop", INTEROP),
        ("acl", ACL),
        ("apods", APODS),
        ("as", AS),
    ] {
        if let Some(local) = value.strip_prefix(&format!("{prefix}:")) {
            return format!("{ns}{local}");
        }
    }
    value.to_owned()
}

/// The namespaces the agent can make containers for, with their prefixes (container paths are
/// `{prefix}/{class-in-kebab-case}/`, as ActivityPods makes them).
const PREFIXES: &[(&str, &str)] = &[
    ("as", "https://www.w3.org/ns/activitystreams#"),
    ("pair", "http://virtual-assembly.org/ontologies/pair#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("schema", "http://schema.org/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("semapps", "http://semapps.org/ns/core#"),
    ("apods", APODS),
    ("interop", INTEROP),
    ("maid", "https://activitypods.org/ns/maid#"),
    ("kommon", "https://w3id.org/kommon/ns#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("org", "http://www.w3.org/ns/org#"),
];

/// The container path (under the storage root) for a class: `as:Event` → `as/event/`.
pub fn container_path(class: &str) -> Option<String> {
    let (prefix, ns) = PREFIXES.iter().find(|(_, ns)| class.starts_with(ns))?;
    let local = &class[ns.len()..];
    if local.is_empty() || !local.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let mut kebab = String::new();
    for (i, c) in local.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    Some(format!("{prefix}/{kebab}/"))
}

/// The class of a shape tree of `shapes.activitypods.org` without fetching it: its path is
/// `shapetrees/{prefix}/{Class}`.
fn known_shape_tree(shape_tree: &str) -> Option<String> {
    let rest = shape_tree.strip_prefix("https://shapes.activitypods.org/shapetrees/")?;
    if rest == "File" {
        return Some("http://semapps.org/ns/core#File".to_owned());
    }
    let (prefix, class) = rest.split_once('/')?;
    let ns = PREFIXES.iter().find(|(p, _)| *p == prefix)?.1;
    Some(format!("{ns}{class}"))
}

/// Reads the documents an app publishes.
pub struct AppReader {
    fetcher: GuardedFetcher,
}

impl AppReader {
    /// A reader fetching with `fetcher`'s guards.
    pub fn new(fetcher: GuardedFetcher) -> Self {
        Self { fetcher }
    }

    async fn json(&self, url: &str) -> Result<serde_json::Value, AppError> {
        let fetched = self
            .fetcher
            .get(
                url,
                &[(
                    "accept",
                    "application/ld+json, application/activity+json;q=0.9, application/json;q=0.8",
                )],
                MAX_DOCUMENT_BYTES,
            )
            .await
            .map_err(|e| AppError::BadApp(e.to_string()))?;
        serde_json::from_slice(&fetched.body)
            .map_err(|e| AppError::BadApp(format!("{url} is not JSON: {e}")))
    }

    async fn triples(&self, url: &str) -> Result<Vec<Triple>, AppError> {
        let fetched = self
            .fetcher
            .get(
                url,
                &[("accept", "text/turtle, application/ld+json;q=0.8")],
                MAX_DOCUMENT_BYTES,
            )
            .await
            .map_err(|e| AppError::BadApp(e.to_string()))?;
        let format = if fetched.content_type.contains("json") {
            kommon_rdf::codec::RdfFormat::JsonLd
        } else {
            kommon_rdf::codec::RdfFormat::Turtle
        };
        let document = url.split('#').next().unwrap_or(url);
        kommon_rdf::codec::parse_graph(
            format,
            &fetched.body,
            Some(document),
            &kommon_rdf::codec::ParseLimits::default(),
            &kommon_rdf::jsonld::ContextLoader::bundled(),
        )
        .map_err(|e| AppError::BadApp(format!("{url} does not parse: {e}")))
    }

    /// The class a shape tree's shape targets.
    async fn shape_tree_class(&self, shape_tree: &str) -> Result<String, AppError> {
        if let Some(c) = known_shape_tree(shape_tree) {
            return Ok(c);
        }
        let object_of = |triples: &[Triple], subject: &str, predicate: &str| {
            triples.iter().find_map(|t| match (&t.subject, &t.object) {
                (kommon_rdf::model::NamedOrBlankNode::NamedNode(s), Term::NamedNode(o))
                    if s.as_str() == subject && t.predicate.as_str() == predicate =>
                {
                    Some(o.as_str().to_owned())
                }
                _ => None,
            })
        };
        let tree = self.triples(shape_tree).await?;
        let shape = object_of(&tree, shape_tree, &format!("{ST}shape")).ok_or_else(|| {
            AppError::BadApp(format!("the shape tree {shape_tree} names no st:shape"))
        })?;
        let shapes = self.triples(&shape).await?;
        object_of(&shapes, &shape, &format!("{SH}targetClass"))
            .ok_or_else(|| AppError::BadApp(format!("the shape {shape} names no sh:targetClass")))
    }

    /// Reads the app at `uri`: its actor, its access need groups and needs.
    pub async fn describe(&self, uri: &str) -> Result<AppDescription, AppError> {
        if !kommon_solid::oidc::issuer::is_acceptable_client_url(uri)
            && !uri.starts_with("https://")
        {
            return Err(AppError::BadRequest(format!(
                "the app {uri} must be an https URL (http only on localhost)"
            )));
        }
        let actor = self.json(uri).await?;
        let id = actor["id"]
            .as_str()
            .or(actor["@id"].as_str())
            .unwrap_or_default();
        if id != uri {
            return Err(AppError::BadApp(format!(
                "the document at {uri} is about {id}, not the app"
            )));
        }
        let types = values(&actor, &["type", "@type"]);
        let is_app = types.iter().any(|t| {
            matches!(
                t.as_str(),
                "Application"
                    | "as:Application"
                    | "interop:Application"
                    | "https://www.w3.org/ns/activitystreams#Application"
                    | "http://www.w3.org/ns/solid/interop#Application"
            )
        });
        if !is_app {
            return Err(AppError::BadApp(format!(
                "{uri} is not an application (its type is not Application)"
            )));
        }
        let first = |v: Vec<String>| v.into_iter().next();
        let name = first(get(&actor, "interop", INTEROP, "applicationName"))
            .or_else(|| actor["name"].as_str().map(str::to_owned))
            .unwrap_or_else(|| uri.to_owned());
        let mut needs = Vec::new();
        let mut special_rights = Vec::new();
        let groups = get(&actor, "interop", INTEROP, "hasAccessNeedGroup");
        for group_uri in groups.iter().take(MAX_NEEDS) {
            let group = self.json(group_uri).await?;
            let group_required = first(get(&group, "interop", INTEROP, "accessNecessity"))
                .map(|n| expand(&n) == format!("{INTEROP}AccessRequired"))
                .unwrap_or(true);
            for right in get(&group, "apods", APODS, "hasSpecialRights") {
                special_rights.push((expand(&right), group_required));
            }
            for need_uri in get(&group, "interop", INTEROP, "hasAccessNeed") {
                if needs.len() >= MAX_NEEDS {
                    return Err(AppError::BadApp(format!(
                        "the app asks for more than {MAX_NEEDS} kinds of data"
                    )));
                }
                let need = self.json(&need_uri).await?;
                let shape_tree = first(get(&need, "interop", INTEROP, "registeredShapeTree"));
                let class = match (
                    &shape_tree,
                    first(get(&need, "apods", APODS, "registeredClass"))
                        .or_else(|| first(get(&need, "interop", INTEROP, "registeredClass"))),
                ) {
                    (_, Some(c)) => expand(&c),
                    (Some(st), None) => self.shape_tree_class(st).await?,
                    (None, None) => {
                        return Err(AppError::BadApp(format!(
                            "the access need {need_uri} names neither a shape tree nor a class"
                        )));
                    }
                };
                let modes: Vec<String> = get(&need, "interop", INTEROP, "accessMode")
                    .iter()
                    .map(|m| expand(m))
                    .filter(|m| {
                        ["Read", "Write", "Append", "Control"]
                            .iter()
                            .any(|x| *m == format!("{ACL}{x}"))
                    })
                    .collect();
                if modes.is_empty() {
                    return Err(AppError::BadApp(format!(
                        "the access need {need_uri} asks for no access mode"
                    )));
                }
                let required = first(get(&need, "interop", INTEROP, "accessNecessity"))
                    .map(|n| expand(&n) == format!("{INTEROP}AccessRequired"))
                    .unwrap_or(group_required);
                needs.push(AccessNeed {
                    uri: need_uri,
                    class,
                    shape_tree,
                    modes,
                    required,
                    group: group_uri.clone(),
                });
            }
        }
        Ok(AppDescription {
            uri: uri.to_owned(),
            name,
            description: first(get(&actor, "interop", INTEROP, "applicationDescription"))
                .or_else(|| actor["summary"].as_str().map(str::to_owned)),
            thumbnail: first(get(&actor, "interop", INTEROP, "applicationThumbnail")),
            callback: first(get(
                &actor,
                "interop",
                INTEROP,
                "hasAuthorizationCallbackEndpoint",
            )),
            inbox: first(get(&actor, "as", AS, "inbox")).or_else(|| {
                first(values(
                    &actor,
                    &["ldp:inbox", "http://www.w3.org/ns/ldp#inbox"],
                ))
            }),
            needs,
            special_rights,
            groups,
        })
    }
}

/// The registrations of a server (`app-registrations`).
#[derive(Clone)]
pub struct AppRegistry {
    keyspace: Keyspace,
}

fn key(pod: &str, app: &str) -> String {
    format!("{pod}\n{app}")
}

fn n(iri: &str) -> Result<NamedNode, AppError> {
    NamedNode::new(iri).map_err(|e| AppError::BadApp(format!("{iri} is not an IRI: {e}")))
}

fn add(g: &mut Graph, s: &NamedNode, p: &str, o: impl Into<Term>) -> Result<(), AppError> {
    g.insert(&Triple::new(s.clone(), n(p)?, o.into()));
    Ok(())
}

fn now_literal() -> Literal {
    let ms = kommon_solid::resource::now_ms();
    Literal::new_typed_literal(kommon_solid::storage::xsd_datetime(ms), xsd::DATE_TIME)
}

impl AppRegistry {
    /// The registrations kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            keyspace: store.keyspace("app-registrations"),
        }
    }

    /// The registration of `app` by the resident of `pod`.
    pub fn get(&self, pod: &str, app: &str) -> Result<Option<AppRegistration>, StoreError> {
        Ok(self
            .keyspace
            .get(key(pod, app).as_bytes())?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Every app the resident of `pod` registered.
    pub fn of_pod(&self, pod: &str) -> Result<Vec<AppRegistration>, StoreError> {
        let mut out = Vec::new();
        for entry in self.keyspace.scan_prefix(format!("{pod}\n").as_bytes()) {
            let (_, v) = entry?;
            if let Ok(r) = serde_json::from_slice(&v) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Registers `app` for the resident of `pod`, granting the needs in `accepted` (all
    /// required needs must be there) and the special rights in `rights`.
    pub fn register(
        &self,
        pods: &Pods,
        pod: &str,
        app: &AppDescription,
        accepted: &[String],
        rights: &[String],
    ) -> Result<AppRegistration, AppError> {
        if let Some(missing) = app
            .needs
            .iter()
            .find(|need| need.required && !accepted.contains(&need.uri))
        {
            return Err(AppError::BadRequest(format!(
                "the access need {} is required by the app",
                missing.uri
            )));
        }
        if let Some((missing, _)) = app
            .special_rights
            .iter()
            .find(|(r, required)| *required && !rights.contains(r))
        {
            return Err(AppError::BadRequest(format!(
                "the special right {missing} is required by the app"
            )));
        }
        // Registering again replaces the previous registration.
        if self.get(pod, &app.uri)?.is_some() {
            self.remove(pods, pod, &app.uri)?;
        }
        let l = &pods.layout;
        let webid = l.webid(pod);
        let rs = &pods.resources;
        let any = Conditions::default();
        let mut containers = Vec::new();
        for need in app.needs.iter().filter(|n| accepted.contains(&n.uri)) {
            let path = container_path(&need.class).ok_or_else(|| {
                AppError::BadApp(format!(
                    "no container can be made for the class {}: its namespace is not known",
                    need.class
                ))
            })?;
            let container = l.data(pod, &path);
            rs.ensure_container(&container, Some(&need.class), Placement::default())?;
            grant_app(pods, &container, &webid, &app.uri, &need.modes, true)?;
            containers.push((container, need.class.clone(), need.modes.clone()));
        }
        // The registration's documents, readable by the app.
        let slug = {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(app.uri.as_bytes());
            digest[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let folder = l.data(pod, &format!("apps/{slug}/"));
        rs.ensure_container(&l.data(pod, "apps/"), None, Placement::default())?;
        rs.ensure_container(&folder, None, Placement::default())?;
        grant_app(
            pods,
            &folder,
            &webid,
            &app.uri,
            &[format!("{ACL}Read")],
            true,
        )?;
        let registration = format!("{folder}registration");
        let grant = format!("{folder}access-grant");
        let agent = l.data(pod, "auth-agent");
        let r = n(&registration)?;
        let mut g = Graph::new();
        add(
            &mut g,
            &r,
            rdf::TYPE.as_str(),
            n(&format!("{INTEROP}ApplicationRegistration"))?,
        )?;
        add(&mut g, &r, &format!("{INTEROP}registeredBy"), n(&webid)?)?;
        add(&mut g, &r, &format!("{INTEROP}registeredWith"), n(&agent)?)?;
        add(&mut g, &r, &format!("{INTEROP}registeredAt"), now_literal())?;
        add(&mut g, &r, &format!("{INTEROP}updatedAt"), now_literal())?;
        add(
            &mut g,
            &r,
            &format!("{INTEROP}registeredAgent"),
            n(&app.uri)?,
        )?;
        add(&mut g, &r, &format!("{INTEROP}hasAccessGrant"), n(&grant)?)?;
        rs.put(&registration, Content::Rdf(g), &any, Placement::default())?;
        let gr = n(&grant)?;
        let mut g = Graph::new();
        add(
            &mut g,
            &gr,
            rdf::TYPE.as_str(),
            n(&format!("{INTEROP}AccessGrant"))?,
        )?;
        add(&mut g, &gr, &format!("{INTEROP}grantedBy"), n(&webid)?)?;
        add(&mut g, &gr, &format!("{INTEROP}grantedAt"), now_literal())?;
        add(&mut g, &gr, &format!("{INTEROP}grantee"), n(&app.uri)?)?;
        for group in &app.groups {
            add(
                &mut g,
                &gr,
                &format!("{INTEROP}hasAccessNeedGroup"),
                n(group)?,
            )?;
        }
        for right in rights {
            add(&mut g, &gr, &format!("{APODS}hasSpecialRights"), n(right)?)?;
        }
        let mut i = 0;
        for need in app.needs.iter().filter(|n| accepted.contains(&n.uri)) {
            i += 1;
            let (container, _, _) = &containers[i - 1];
            let data_grant = format!("{folder}data-grant-{i}");
            let dg = n(&data_grant)?;
            add(&mut g, &gr, &format!("{INTEROP}hasDataGrant"), dg.clone())?;
            // ActivityPods 2.3 reads these on the AccessGrant itself.
            add(
                &mut g,
                &gr,
                &format!("{INTEROP}hasDataRegistration"),
                n(container)?,
            )?;
            let mut d = Graph::new();
            add(
                &mut d,
                &dg,
                rdf::TYPE.as_str(),
                n(&format!("{INTEROP}DataGrant"))?,
            )?;
            add(&mut d, &dg, &format!("{INTEROP}dataOwner"), n(&webid)?)?;
            add(&mut d, &dg, &format!("{INTEROP}grantee"), n(&app.uri)?)?;
            add(
                &mut d,
                &dg,
                &format!("{INTEROP}hasDataRegistration"),
                n(container)?,
            )?;
            add(
                &mut d,
                &dg,
                &format!("{APODS}registeredClass"),
                n(&need.class)?,
            )?;
            if let Some(st) = &need.shape_tree {
                add(
                    &mut d,
                    &dg,
                    &format!("{INTEROP}registeredShapeTree"),
                    n(st)?,
                )?;
            }
            for m in &need.modes {
                add(&mut d, &dg, &format!("{INTEROP}accessMode"), n(m)?)?;
            }
            add(
                &mut d,
                &dg,
                &format!("{INTEROP}scopeOfGrant"),
                n(&format!("{INTEROP}All"))?,
            )?;
            add(
                &mut d,
                &dg,
                &format!("{INTEROP}satisfiesAccessNeed"),
                n(&need.uri)?,
            )?;
            rs.put(&data_grant, Content::Rdf(d), &any, Placement::default())?;
        }
        add(
            &mut g,
            &gr,
            &format!("{INTEROP}scopeOfGrant"),
            n(&format!("{INTEROP}AllFromRegistry"))?,
        )?;
        rs.put(&grant, Content::Rdf(g), &any, Placement::default())?;
        let record = AppRegistration {
            pod: pod.to_owned(),
            app: app.uri.clone(),
            name: app.name.clone(),
            registration,
            folder,
            containers,
            special_rights: rights.to_vec(),
            accepted_needs: accepted.to_vec(),
            registered_ms: kommon_solid::resource::now_ms(),
        };
        self.keyspace.insert(
            key(pod, &app.uri).as_bytes(),
            &serde_json::to_vec(&record).unwrap_or_default(),
        )?;
        Ok(record)
    }

    /// Removes the registration of `app`: its rights on the containers, its documents, the
    /// record. Returns the removed registration.
    pub fn remove(
        &self,
        pods: &Pods,
        pod: &str,
        app: &str,
    ) -> Result<Option<AppRegistration>, AppError> {
        let Some(record) = self.get(pod, app)? else {
            return Ok(None);
        };
        for (container, _, _) in &record.containers {
            revoke_app(pods, container, app)?;
        }
        revoke_app(pods, &record.folder, app)?;
        let rs = &pods.resources;
        let any = Conditions::default();
        let mut doomed = Vec::new();
        for entry in rs.resources_under(&record.folder) {
            let (url, meta) = entry?;
            if meta.exists() && !url.ends_with(".acl") {
                doomed.push(url);
            }
        }
        // Members before their containers.
        doomed.sort_by_key(|u| std::cmp::Reverse(u.len()));
        for url in doomed {
            match rs.delete(&url, &any) {
                Ok(()) | Err(StorageError::NotFound(_)) | Err(StorageError::Gone(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.keyspace.remove(key(pod, app).as_bytes())?;
        Ok(Some(record))
    }
}

/// The authorization of `app` in an ACL document.
fn app_authorization(acl: &str, app: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(app.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{acl}#app-{hex}")
}

/// Gives `app` `modes` on `container` (and its members when `inherit`), in the container's own
/// ACL, made from the owner's full control when it had none.
fn grant_app(
    pods: &Pods,
    container: &str,
    owner: &str,
    app: &str,
    modes: &[String],
    inherit: bool,
) -> Result<(), AppError> {
    let rs = &pods.resources;
    let acl = acl_url(container);
    let mut g = match rs.read(&acl)? {
        Some(stored) if stored.meta.exists() => match stored.content {
            Content::Rdf(g) => g,
            Content::Binary { .. } => Graph::new(),
        },
        // The container inherited its rights: its own ACL starts from the owner's full control.
        _ => crate::pod::acl_graph(&acl, container, owner, true, false),
    };
    let a = n(&app_authorization(&acl, app))?;
    add(
        &mut g,
        &a,
        rdf::TYPE.as_str(),
        n(&format!("{ACL}Authorization"))?,
    )?;
    add(&mut g, &a, &format!("{ACL}agent"), n(app)?)?;
    add(&mut g, &a, &format!("{ACL}accessTo"), n(container)?)?;
    if inherit {
        add(&mut g, &a, &format!("{ACL}default"), n(container)?)?;
    }
    for m in modes {
        add(&mut g, &a, &format!("{ACL}mode"), n(m)?)?;
    }
    rs.put(
        &acl,
        Content::Rdf(g),
        &Conditions::default(),
        Placement::UNLISTED,
    )?;
    Ok(())
}

/// Removes `app`'s authorization from `container`'s ACL.
fn revoke_app(pods: &Pods, container: &str, app: &str) -> Result<(), AppError> {
    let rs = &pods.resources;
    let acl = acl_url(container);
    let Some(stored) = rs.read(&acl)? else {
        return Ok(());
    };
    let Content::Rdf(g) = stored.content else {
        return Ok(());
    };
    let subject = app_authorization(&acl, app);
    let kept: Graph = g
        .iter()
        .filter(|t| !matches!(t.subject, kommon_rdf::model::NamedOrBlankNodeRef::NamedNode(s) if s.as_str() == subject))
        .collect();
    rs.put(
        &acl,
        Content::Rdf(kept),
        &Conditions::default(),
        Placement::UNLISTED,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_named_as_activitypods_names_them() {
        assert_eq!(
            container_path("https://www.w3.org/ns/activitystreams#Event").as_deref(),
            Some("as/event/")
        );
        assert_eq!(
            container_path("http://www.w3.org/ns/solid/interop#ApplicationRegistration").as_deref(),
            Some("interop/application-registration/")
        );
        assert_eq!(
            container_path("http://virtual-assembly.org/ontologies/pair#Project").as_deref(),
            Some("pair/project/")
        );
        assert_eq!(container_path("https://unknown.example/ns#Thing"), None);
        assert_eq!(
            container_path("https://www.w3.org/ns/activitystreams#../x"),
            None
        );
    }

    #[test]
    fn activitypods_shape_trees_are_known() {
        assert_eq!(
            known_shape_tree("https://shapes.activitypods.org/shapetrees/as/Event").as_deref(),
            Some("https://www.w3.org/ns/activitystreams#Event")
        );
        assert_eq!(
            known_shape_tree("https://other.example/shapetrees/as/Event"),
            None
        );
    }

    #[test]
    fn compacted_keys_are_read_in_every_form() {
        let doc = serde_json::json!({
            "interop:hasAccessNeedGroup": ["https://app/g1", {"id": "https://app/g2"}],
            "http://www.w3.org/ns/solid/interop#applicationName": "Appli",
        });
        assert_eq!(
            get(&doc, "interop", INTEROP, "hasAccessNeedGroup"),
            ["https://app/g1", "https://app/g2"]
        );
        assert_eq!(get(&doc, "interop", INTEROP, "applicationName"), ["Appli"]);
        assert_eq!(expand("acl:Read"), format!("{ACL}Read"));
    }
}
