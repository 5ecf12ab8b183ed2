//! The outbox: client-to-server posts of residents (and of apps acting for them), and the
//! activities LDP writes leave there, as ActivityPods does (apps watch the outbox to learn what
//! changed in a pod).
//!
//! A post is answered once the activity, its place in the outbox and one delivery entry per
//! remote inbox are committed in one transaction; local recipients get it in their inbox
//! queue. Side effects on the pod (the object a Create stores, the Tombstone a Delete leaves,
//! the liked and following collections) are made before that commit, through the same LDP
//! layer clients use, so access rules and type containers apply.

use super::Federation;
use crate::app::{AppState, plain};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use kommon_activitypub::addressing;
use kommon_activitypub::collection;
use kommon_activitypub::delivery::{DeliveryQueue, DeliveryTarget, next_seq, now_ms};
use kommon_activitypub::inbox::ReceivedActivity;
use kommon_activitypub::json::{self, Limits};
use kommon_rdf::StoreError;
use kommon_solid::auth::Credentials;
use kommon_solid::http::{LdpRequest, handle};
use serde_json::{Value, json};

/// A change an activity makes to one of the actor's collections, committed with it.
#[derive(Clone)]
pub struct CollectionChange {
    /// The collection.
    pub collection: String,
    /// The item added or removed.
    pub item: String,
    /// Added (`true`) or removed.
    pub add: bool,
}

fn change(collection: String, item: String, add: bool) -> CollectionChange {
    CollectionChange {
        collection,
        item,
        add,
    }
}

/// Why an outbox post was refused.
struct Refusal(StatusCode, String);

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal(status, message.into())
}

/// An RFC 3339 timestamp of now.
fn now_rfc3339() -> String {
    kommon_solid::storage::xsd_datetime(now_ms())
}

/// The type container of an object type (`Note` → `/{name}/data/as/note/`), as ActivityPods
/// names them.
fn type_container(fed: &Federation, name: &str, ty: &str) -> String {
    let local = ty.rsplit(['#', '/', ':']).next().unwrap_or(ty);
    let mut dashed = String::new();
    for (i, c) in local.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                dashed.push('-');
            }
            dashed.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            dashed.push(c);
        }
    }
    if dashed.is_empty() {
        dashed.push_str("object");
    }
    fed.layout.data(name, &format!("as/{dashed}/"))
}

/// Runs an LDP request inside the server as the pod's owner.
fn ldp(
    state: &AppState,
    method: Method,
    url: &str,
    body: &[u8],
    content_type: Option<&str>,
    credentials: &Credentials,
) -> kommon_solid::http::LdpResponse {
    let mut headers = HeaderMap::new();
    if let Some(ct) = content_type
        && let Ok(v) = HeaderValue::from_str(ct)
    {
        headers.insert(header::CONTENT_TYPE, v);
    }
    handle(
        &state.pods.resources,
        &state.ldp,
        &LdpRequest {
            method: &method,
            url,
            headers: &headers,
            body,
            credentials: Some(credentials),
        },
    )
}

/// Addressing drives access, as in ActivityPods: a public object is readable by everyone, and
/// each actor it is addressed to may read it (collections such as followers cannot be named in
/// an ACL; their members read it when it is public).
fn grant_reads(state: &AppState, url: &str, webid: &str, activity: &Value) -> Result<(), Refusal> {
    use kommon_rdf::model::{NamedNode, Triple};
    let acl = kommon_solid::resource::acl_url(url);
    let public = addressing::is_addressed_publicly(activity);
    let mut g = crate::pod::acl_graph(&acl, url, webid, false, public);
    let readers: Vec<String> = addressing::addressees(activity)
        .into_iter()
        .filter(|a| json::is_http_url(a) && !a.ends_with("/followers") && a != webid)
        .collect();
    if !readers.is_empty() {
        let auth = NamedNode::new_unchecked(format!("{acl}#addressees"));
        let n = |s: &str| NamedNode::new_unchecked(s);
        let acl_ns = "http://www.w3.org/ns/auth/acl#";
        g.insert(&Triple::new(
            auth.clone(),
            n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            n(&format!("{acl_ns}Authorization")),
        ));
        g.insert(&Triple::new(
            auth.clone(),
            n(&format!("{acl_ns}accessTo")),
            n(url),
        ));
        g.insert(&Triple::new(
            auth.clone(),
            n(&format!("{acl_ns}mode")),
            n(&format!("{acl_ns}Read")),
        ));
        for r in readers {
            g.insert(&Triple::new(
                auth.clone(),
                n(&format!("{acl_ns}agent")),
                n(&r),
            ));
        }
    }
    state
        .pods
        .resources
        .put(
            &acl,
            kommon_solid::storage::Content::Rdf(g),
            &kommon_solid::storage::Conditions::default(),
            kommon_solid::storage::Placement::UNLISTED,
        )
        .map(|_| ())
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

fn with_context(mut object: Value, context: &Value) -> Value {
    if let Some(o) = object.as_object_mut() {
        o.insert("@context".into(), context.clone());
    }
    object
}

/// Applies an activity's effects on the pod before it is committed; returns the activity as it
/// will be stored and sent.
fn apply(
    state: &AppState,
    name: &str,
    webid: &str,
    mut activity: Value,
    credentials: &Credentials,
) -> Result<(Value, Vec<CollectionChange>), Refusal> {
    let fed = &state.federation;
    let context = activity
        .get("@context")
        .cloned()
        .unwrap_or_else(|| json!(kommon_activitypub::AS_CONTEXT));
    let mut changes: Vec<CollectionChange> = Vec::new();
    let object_id = activity
        .get("object")
        .and_then(json::id_of)
        .map(str::to_owned);
    let own = |id: &str| fed.layout.split(id).is_some_and(|(n, _)| n == name);
    if json::has_type(&activity, "Create") {
        let Some(object) = activity.get("object").filter(|o| o.is_object()).cloned() else {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "Create needs an embedded object",
            ));
        };
        let ty = json::types(&object)
            .first()
            .map(|t| t.to_string())
            .unwrap_or_else(|| "Object".into());
        let container = type_container(fed, name, &ty);
        state
            .pods
            .resources
            .ensure_container(
                &container,
                None,
                kommon_solid::storage::Placement::default(),
            )
            .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let mut object = object;
        if let Some(o) = object.as_object_mut() {
            o.insert("id".into(), json!(""));
            o.insert("attributedTo".into(), json!(webid));
            o.entry("published").or_insert_with(|| json!(now_rfc3339()));
            for key in ["to", "cc", "audience"] {
                if let Some(v) = activity.get(key)
                    && !o.contains_key(key)
                {
                    o.insert(key.into(), v.clone());
                }
            }
        }
        let body = with_context(object.clone(), &context).to_string();
        let r = ldp(
            state,
            Method::POST,
            &container,
            body.as_bytes(),
            Some("application/ld+json"),
            credentials,
        );
        if r.status() != StatusCode::CREATED {
            return Err(refuse(
                if r.status().is_client_error() {
                    r.status()
                } else {
                    StatusCode::BAD_REQUEST
                },
                format!(
                    "the object could not be stored: {}",
                    String::from_utf8_lossy(r.body()).trim()
                ),
            ));
        }
        let location = r
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if let Some(o) = object.as_object_mut() {
            o.insert("id".into(), json!(location));
        }
        grant_reads(state, &location, webid, &activity)?;
        activity["object"] = object;
    } else if json::has_type(&activity, "Update") {
        let Some(object) = activity.get("object").filter(|o| o.is_object()).cloned() else {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "Update needs an embedded object with its id",
            ));
        };
        let id = json::id_of(&object).unwrap_or_default().to_owned();
        if !own(&id) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!("{id} is not in this pod"),
            ));
        }
        let body = with_context(object, &context).to_string();
        let r = ldp(
            state,
            Method::PUT,
            &id,
            body.as_bytes(),
            Some("application/ld+json"),
            credentials,
        );
        if !r.status().is_success() {
            return Err(refuse(
                if r.status().is_client_error() {
                    r.status()
                } else {
                    StatusCode::BAD_REQUEST
                },
                format!(
                    "the object could not be updated: {}",
                    String::from_utf8_lossy(r.body()).trim()
                ),
            ));
        }
    } else if json::has_type(&activity, "Delete") {
        let id = object_id.clone().unwrap_or_default();
        if !own(&id) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                format!("{id} is not in this pod"),
            ));
        }
        let former = match state.pods.resources.read(&id) {
            Ok(Some(kommon_solid::storage::StoredResource {
                content: kommon_solid::storage::Content::Rdf(g),
                ..
            })) => g
                .iter()
                .filter(|t| {
                    t.subject.to_string() == format!("<{id}>")
                        && t.predicate.as_str() == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
                })
                .map(|t| t.object.to_string().trim_matches(['<', '>']).to_owned())
                .collect::<Vec<_>>(),
            Ok(Some(_)) => Vec::new(),
            _ => {
                return Err(refuse(
                    StatusCode::NOT_FOUND,
                    format!("{id} does not exist"),
                ));
            }
        };
        let tombstone = json!({
            "@context": kommon_activitypub::AS_CONTEXT,
            "id": id,
            "type": "Tombstone",
            "formerType": former,
            "deleted": now_rfc3339(),
        });
        let r = ldp(
            state,
            Method::PUT,
            &id,
            tombstone.to_string().as_bytes(),
            Some("application/ld+json"),
            credentials,
        );
        if !r.status().is_success() {
            return Err(refuse(r.status(), "the object could not be deleted"));
        }
        activity["object"] = without_context(tombstone);
    } else if json::has_type(&activity, "Like") {
        let id = object_id
            .clone()
            .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "Like needs an object"))?;
        changes.push(change(fed.collection(name, "liked"), id, true));
    } else if json::has_type(&activity, "Undo") {
        let id = object_id
            .clone()
            .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "Undo needs an object"))?;
        let inner = fed
            .activity(&id)
            .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .ok_or_else(|| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!("{id} is not an activity of this pod"),
                )
            })?;
        if inner.get("actor").and_then(json::id_of) != Some(webid) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "only the actor of an activity may undo it",
            ));
        }
        let target = inner
            .get("object")
            .and_then(json::id_of)
            .unwrap_or_default()
            .to_owned();
        if json::has_type(&inner, "Follow") {
            changes.push(change(
                fed.collection(name, "following"),
                target.clone(),
                false,
            ));
            changes.push(change(super::followed_by(&target), webid.to_owned(), false));
        } else if json::has_type(&inner, "Like") {
            changes.push(change(fed.collection(name, "liked"), target, false));
        }
        // The object sent is the whole activity undone, as peers expect.
        activity["object"] = without_context(inner);
    } else if json::has_type(&activity, "Accept") || json::has_type(&activity, "Reject") {
        if let Some(inner) = activity.get("object").cloned().and_then(|o| {
            if o.is_object() {
                Some(o)
            } else {
                json::id_of(&o).and_then(|id| fed.activity(id).ok().flatten())
            }
        }) && json::has_type(&inner, "Follow")
            && inner.get("object").and_then(json::id_of) == Some(webid)
            && let Some(follower) = inner.get("actor").and_then(json::id_of)
        {
            let add = json::has_type(&activity, "Accept");
            changes.push(change(
                fed.collection(name, "followers"),
                follower.to_owned(),
                add,
            ));
            activity["object"] = without_context(inner.clone());
        }
    } else if json::has_type(&activity, "Add") || json::has_type(&activity, "Remove") {
        let target = activity
            .get("target")
            .and_then(json::id_of)
            .unwrap_or_default()
            .to_owned();
        let object = object_id.clone().unwrap_or_default();
        let tail = fed
            .layout
            .split(&target)
            .filter(|(n, _)| *n == name)
            .map(|(_, t)| t.to_owned());
        if let Some(t) = tail
            && matches!(t.as_str(), "/liked")
            && !object.is_empty()
        {
            changes.push(change(
                target.clone(),
                object,
                json::has_type(&activity, "Add"),
            ));
        }
    }
    Ok((activity, changes))
}

fn without_context(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("@context");
    }
    v
}

/// Where an activity goes: remote inboxes (shared ones when known) and local actors.
async fn targets(
    fed: &Federation,
    name: &str,
    activity: &Value,
) -> (Vec<DeliveryTarget>, Vec<String>) {
    let (remote_ids, local) = addressees(fed, name, activity);
    let remote = fed.actors.delivery_targets(remote_ids).await;
    (remote, local)
}

/// Whom an activity from pod `name` is for: remote actors' ids and local pods' names.
fn addressees(fed: &Federation, name: &str, activity: &Value) -> (Vec<String>, Vec<String>) {
    let webid = fed.layout.webid(name);
    let followers = fed.collection(name, "followers");
    let mut local: Vec<String> = Vec::new();
    let mut actors: Vec<String> = Vec::new();
    for id in addressing::addressees(activity) {
        if id == followers {
            // A count is one key; listing opens a range over the store: most pods have none.
            if fed.collections.len(&followers).unwrap_or(1) > 0 {
                actors.extend(fed.collections.all(&followers).flatten());
            }
        } else {
            actors.push(id);
        }
    }
    let mut remote_ids = Vec::new();
    for id in actors {
        if id == webid {
            continue;
        }
        if let Some(n) = fed.local_actor(&id) {
            if !local.iter().any(|l| l == n) {
                local.push(n.to_owned());
            }
            continue;
        }
        // A local collection or a non-URL addressee: nothing to deliver to.
        if fed.layout.split(&id).is_none() && json::is_http_url(&id) {
            remote_ids.push(id);
        }
    }
    (remote_ids, local)
}

/// Publishes `activity` from pod `name`: in one store transaction, the collection changes
/// its side effects make, its entry in the outbox and its delivery entries; then wakes the
/// delivery workers and hands copies to local recipients. Returns the activity's id.
pub async fn publish(
    state: &AppState,
    name: &str,
    activity: Value,
    changes: Vec<CollectionChange>,
) -> Result<String, StoreError> {
    let ids = publish_all(
        state,
        &[Publication {
            name: name.to_owned(),
            activity,
            changes,
        }],
    )
    .await?;
    Ok(ids.into_iter().next().unwrap_or_default())
}

/// One activity to publish, from pod `name`, with the collection changes its side effects make.
pub struct Publication {
    /// The pod that publishes it.
    pub name: String,
    /// The activity, with its id.
    pub activity: Value,
    /// What its side effects change in collections.
    pub changes: Vec<CollectionChange>,
}

/// Publishes several activities in one store transaction (a group commit: the outbox recorder
/// writes a burst of LDP changes at once rather than one transaction each); their ids.
pub async fn publish_all(
    state: &AppState,
    publications: &[Publication],
) -> Result<Vec<String>, StoreError> {
    let fed = state.federation.clone();
    struct Prepared {
        id: String,
        name: String,
        sent: Value,
        bytes: Vec<u8>,
        remote: Vec<DeliveryTarget>,
        local: Vec<String>,
        changes: Vec<CollectionChange>,
    }
    let mut prepared = Vec::with_capacity(publications.len());
    for p in publications {
        let id = p
            .activity
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let (remote, local) = targets(&fed, &p.name, &p.activity).await;
        let mut sent = p.activity.clone();
        addressing::strip_hidden(&mut sent);
        let bytes = serde_json::to_vec(&sent).unwrap_or_default();
        prepared.push(Prepared {
            id,
            name: p.name.clone(),
            sent,
            bytes,
            remote,
            local,
            changes: p.changes.clone(),
        });
    }
    let fed2 = fed.clone();
    let (prepared, hosts) = tokio::task::spawn_blocking(move || {
        let hosts = fed2
            .store
            .transaction(|tx| -> Result<Vec<String>, StoreError> {
                let mut hosts = Vec::new();
                for p in &prepared {
                    for c in &p.changes {
                        if c.add {
                            collection::add(tx, &c.collection, &c.item, next_seq())?;
                        } else {
                            collection::remove(tx, &c.collection, &c.item)?;
                        }
                    }
                    collection::add(tx, &fed2.collection(&p.name, "outbox"), &p.id, next_seq())?;
                    for h in DeliveryQueue::enqueue(
                        tx,
                        &p.id,
                        &p.bytes,
                        &fed2.layout.webid(&p.name),
                        &p.remote,
                    ) {
                        if !hosts.contains(&h) {
                            hosts.push(h);
                        }
                    }
                }
                Ok(hosts)
            })?;
        Ok::<_, StoreError>((prepared, hosts))
    })
    .await
    .map_err(|e| StoreError::Corrupted(format!("publishing failed: {e}")))??;
    fed.deliverer.wake(&hosts);
    let mut ids = Vec::with_capacity(prepared.len());
    // Committed: a local inbox that cannot take its copy does not stop the others.
    let mut failed = None;
    for p in prepared {
        for n in p.local {
            if let Err(e) = fed.inbox_queue.accept(&ReceivedActivity {
                id: p.id.clone(),
                signer: fed.layout.webid(&p.name),
                inbox: fed.collection(&n, "inbox"),
                activity: p.sent.clone(),
                received_ms: now_ms(),
            }) {
                tracing::error!(error = %e, activity = %p.id, inbox = %n, "handing an activity to a local inbox");
                failed = Some(e);
            }
        }
        ids.push(p.id);
    }
    match failed {
        Some(e) if ids.len() == 1 => Err(e),
        _ => Ok(ids),
    }
}

/// `POST /{name}/outbox`: a resident (or an app acting for them) posts an activity or a bare
/// object; `201 Created` with the activity's id in `Location`.
pub async fn post(
    state: &AppState,
    name: &str,
    body: &[u8],
    credentials: Option<&Credentials>,
) -> Response {
    let webid = state.pods.layout.webid(name);
    let Some(credentials) = credentials else {
        let r = plain(
            StatusCode::UNAUTHORIZED,
            "posting to an outbox needs the owner's credentials",
        );
        return super::routes::with_challenges(r);
    };
    if credentials.agent != webid {
        return plain(
            StatusCode::FORBIDDEN,
            "only the pod's owner may post to its outbox",
        );
    }
    let mut activity = match json::parse_object(body, &Limits::default()) {
        Ok(v) => v,
        Err(e) => {
            return plain(
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
                &e.to_string(),
            );
        }
    };
    if json::types(&activity).is_empty() {
        return plain(StatusCode::BAD_REQUEST, "the activity has no type");
    }
    if let Some(actor) = activity.get("actor").and_then(json::id_of)
        && actor != webid
    {
        return plain(
            StatusCode::FORBIDDEN,
            &format!("the actor must be {webid}, not {actor}"),
        );
    }
    if !json::is_activity(&activity) {
        // A bare object is wrapped in a Create addressed as the object is.
        let mut create = json!({
            "@context": activity.get("@context").cloned().unwrap_or_else(|| json!(kommon_activitypub::AS_CONTEXT)),
            "type": "Create",
        });
        for key in ["to", "cc", "bto", "bcc", "audience"] {
            if let Some(v) = activity.get(key) {
                create[key] = v.clone();
            }
        }
        if let Some(o) = activity.as_object_mut() {
            o.remove("@context");
        }
        create["object"] = activity;
        activity = create;
    }
    let id = state.federation.new_activity_id(name);
    activity["id"] = json!(id);
    activity["actor"] = json!(webid);
    activity["published"] = json!(now_rfc3339());
    if activity.get("@context").is_none() {
        activity["@context"] = json!(kommon_activitypub::AS_CONTEXT);
    }
    let st = state.clone();
    let n = name.to_owned();
    let w = webid.clone();
    let c = credentials.clone();
    let applied = tokio::task::spawn_blocking(move || apply(&st, &n, &w, activity, &c)).await;
    let (activity, changes) = match applied {
        Ok(Ok(v)) => v,
        Ok(Err(Refusal(status, message))) => return plain(status, &message),
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
    };
    match publish(state, name, activity, changes).await {
        Ok(id) => {
            let mut r = plain(StatusCode::CREATED, "created");
            if let Ok(v) = HeaderValue::from_str(&id) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "publishing an activity");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
        }
    }
}

/// Records the activities LDP writes leave in the owner's outbox, as ActivityPods does
/// (`Create`, `Update`, `Delete` of a resource of the storage, addressed to the owner's followers
/// when the resource is public), inside each write's own transaction: the activity, its place in
/// the outbox and its deliveries are committed with the write or not at all, for the price of a
/// few more keys in the same commit. Followers whose inbox is not known yet are queued as actors
/// and resolved by the delivery worker; local followers get their copy after the commit.
pub struct OutboxRecorder {
    fed: Federation,
    /// The resources without this recorder, to read ACLs (is the resource public?).
    resources: kommon_solid::storage::ResourceStore,
}

impl OutboxRecorder {
    /// A recorder for the pods of `fed`, reading ACLs from `resources`.
    pub fn new(fed: Federation, resources: kommon_solid::storage::ResourceStore) -> Self {
        Self { fed, resources }
    }
}

impl kommon_solid::storage::WriteObserver for OutboxRecorder {
    fn prepare(&self, url: &str) -> Option<Box<dyn kommon_solid::storage::ObservedWrite>> {
        let fed = &self.fed;
        let (name, tail) = fed.layout.split(url)?;
        if !tail.starts_with("/data/") || url.ends_with(".acl") {
            return None;
        }
        // The URL as it is: a container's own ACL is `…/c/.acl`, not `…/c.acl`.
        let public = kommon_solid::wac::allows(
            url,
            kommon_solid::wac::Requester::Anonymous,
            kommon_solid::wac::AccessMode::Read,
            &self.resources,
        );
        let webid = fed.layout.webid(name);
        let id = fed.new_activity_id(name);
        let mut activity = json!({
            "@context": kommon_activitypub::AS_CONTEXT,
            "id": id,
            "actor": webid,
            "published": now_rfc3339(),
        });
        if public {
            activity["to"] = json!([addressing::PUBLIC[0]]);
            activity["cc"] = json!([fed.collection(name, "followers")]);
        }
        let (remote_ids, local) = addressees(fed, name, &activity);
        let mut remote: Vec<DeliveryTarget> = Vec::with_capacity(remote_ids.len());
        for actor in remote_ids {
            let target = match fed.actors.known_delivery_inbox(&actor) {
                Some(inbox) => DeliveryTarget::Inbox(inbox),
                None => DeliveryTarget::Actor(actor),
            };
            if !remote.contains(&target) {
                remote.push(target);
            }
        }
        Some(Box::new(OutboxEntry {
            fed: fed.clone(),
            id,
            name: name.to_owned(),
            webid,
            activity,
            remote,
            local,
        }))
    }
}

/// The activity an LDP write will leave in its owner's outbox, made ready before the write's
/// transaction: only its type and object wait for what the write does.
struct OutboxEntry {
    fed: Federation,
    id: String,
    name: String,
    webid: String,
    activity: Value,
    remote: Vec<DeliveryTarget>,
    local: Vec<String>,
}

impl kommon_solid::storage::ObservedWrite for OutboxEntry {
    fn record(
        self: Box<Self>,
        tx: &mut kommon_rdf::Transaction<'_>,
        change: &kommon_solid::storage::ResourceChange<'_>,
    ) -> Result<Option<kommon_solid::storage::AfterCommit>, StoreError> {
        use kommon_solid::storage::ChangeKind;
        let OutboxEntry {
            fed,
            id,
            name,
            webid,
            mut activity,
            remote,
            local,
        } = *self;
        let url = change.url;
        let (kind, object) = match change.kind {
            ChangeKind::Deleted => (
                "Delete",
                json!({"id": url, "type": "Tombstone", "deleted": now_rfc3339()}),
            ),
            ChangeKind::Created | ChangeKind::Updated => {
                let mut object = json!({"id": url});
                if !change.types.is_empty() {
                    object["type"] = json!(change.types);
                }
                let kind = if change.kind == ChangeKind::Created {
                    "Create"
                } else {
                    "Update"
                };
                (kind, object)
            }
        };
        activity["type"] = json!(kind);
        activity["object"] = object;
        let bytes = serde_json::to_vec(&activity)
            .map_err(|e| StoreError::Corrupted(format!("serialising an activity: {e}")))?;
        // The id was made for this activity: no need to look for it in the outbox first.
        collection::append(tx, &fed.collection(&name, "outbox"), &id, next_seq())?;
        let hosts = DeliveryQueue::enqueue(tx, &id, &bytes, &webid, &remote);
        // Local followers' copies are committed with the write too.
        for n in &local {
            kommon_activitypub::inbox::InboxQueue::accept_in(
                tx,
                &ReceivedActivity {
                    id: id.clone(),
                    signer: webid.clone(),
                    inbox: fed.collection(n, "inbox"),
                    activity: activity.clone(),
                    received_ms: now_ms(),
                },
            )?;
        }
        if hosts.is_empty() && local.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(move || {
            // Writes come from request handlers, in the runtime; outside it (never expected)
            // the queued deliveries wait for the next start, which resumes them.
            if tokio::runtime::Handle::try_current().is_ok() {
                fed.deliverer.wake(&hosts);
            }
            if !local.is_empty() {
                fed.inbox_queue.wake();
            }
        })))
    }
}

/// Before a pod is deleted: its actor's `Delete` goes to its followers, those it follows and
/// the places it asked to join, and is delivered while its key still signs (waiting at most
/// `wait`), so that places end the residency and networks forget the person.
pub async fn announce_deletion(
    state: &AppState,
    name: &str,
    wait: std::time::Duration,
) -> Result<(), StoreError> {
    let fed = state.federation.clone();
    let webid = fed.layout.webid(name);
    let mut cc = vec![fed.collection(name, "followers")];
    cc.extend(
        fed.collections
            .all(&fed.collection(name, "following"))
            .flatten(),
    );
    for id in fed
        .collections
        .all(&fed.collection(name, "outbox"))
        .flatten()
    {
        if let Ok(Some(a)) = fed.activity(&id)
            && json::has_type(&a, "Join")
            && let Some(place) = a.get("object").and_then(json::id_of)
            && !cc.iter().any(|c| c == place)
        {
            cc.push(place.to_owned());
        }
    }
    let id = fed.new_activity_id(name);
    let activity = serde_json::json!({
        "@context": kommon_activitypub::AS_CONTEXT,
        "id": id, "type": "Delete", "actor": webid, "object": webid,
        "to": [addressing::PUBLIC[0]], "cc": cc,
    });
    publish(state, name, activity, Vec::new()).await?;
    let queue = fed.deliverer.queue().clone();
    let start = std::time::Instant::now();
    loop {
        let q = queue.clone();
        let id2 = id.clone();
        let left = tokio::task::spawn_blocking(move || -> Result<usize, StoreError> {
            let mut n = 0;
            for host in q.hosts_with_entries()? {
                n += q
                    .pending(&host)?
                    .iter()
                    .filter(|(_, e)| e.activity == id2)
                    .count();
            }
            Ok(n)
        })
        .await
        .map_err(|e| StoreError::Corrupted(e.to_string()))??;
        if left == 0 {
            return Ok(());
        }
        if start.elapsed() > wait {
            tracing::warn!(
                pod = name,
                left,
                "a deleted pod's Delete was not delivered everywhere"
            );
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
