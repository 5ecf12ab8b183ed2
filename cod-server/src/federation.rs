//! The communities as ActivityPub actors: their keys, the inbox worker that turns `Join`,
//! `Undo`, `Leave` and `Follow` into membership changes, and publishing what a community does.

use crate::app::AppState;
use futures::future::BoxFuture;
use kommon_activitypub::addressing;
use kommon_activitypub::collection::{self, Collections};
use kommon_activitypub::delivery::{
    Backoff, Deliverer, DeliveryOptions, DeliveryQueue, SigningKeys, next_seq, now_ms,
};
use kommon_activitypub::guard::GuardedFetcher;
use kommon_activitypub::inbox::{
    ActorKey, ActorKeys, InboxQueue, InboxService, InboxVerifier, ReceivedActivity,
};
use kommon_activitypub::instance::InstanceActor;
use kommon_activitypub::json;
use kommon_activitypub::remote::RemoteActors;
use kommon_community::membership::{self, MembershipRecords, MembershipRequest};
use kommon_community::{CommunityRegistry, JoinOutcome};
use kommon_http_signatures::{KeyPair, SigningKey, generate_key_pair};
use kommon_rdf::jsonld::ContextLoader;
use kommon_rdf::{Keyspace, QuadStore, StoreError};
use kommon_solid::auth::{AuthError, PublicKey, PublicKeyResolver};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The communities' RSA keys (made when a community is created) and the instance actor's.
pub struct CommunityKeys {
    keys: Keyspace,
    parsed: quick_cache::sync::Cache<String, Arc<SigningKey>>,
    instance: Arc<InstanceActor>,
    base: String,
}

impl CommunityKeys {
    /// The key pair of community `slug`, made on first use.
    pub fn key_pair(&self, slug: &str) -> Result<KeyPair, StoreError> {
        if let Some(v) = self.keys.get(slug.as_bytes())? {
            let j: Value = serde_json::from_slice(&v)
                .map_err(|e| StoreError::Corrupted(format!("a community key: {e}")))?;
            return Ok(KeyPair {
                private_pem: j["private"].as_str().unwrap_or_default().to_owned(),
                public_pem: j["public"].as_str().unwrap_or_default().to_owned(),
            });
        }
        let k = generate_key_pair().map_err(|e| StoreError::Corrupted(e.to_string()))?;
        let j = json!({"private": k.private_pem, "public": k.public_pem});
        self.keys
            .insert(slug.as_bytes(), j.to_string().as_bytes())?;
        Ok(k)
    }

    fn slug_of<'a>(&self, actor: &'a str) -> Option<&'a str> {
        let rest = actor.strip_prefix(&self.base)?.strip_prefix('/')?;
        (!rest.is_empty() && !rest.contains('/')).then_some(rest)
    }
}

impl SigningKeys for CommunityKeys {
    fn signing_key(&self, actor: &str) -> Result<Option<(String, Arc<SigningKey>)>, String> {
        if actor == self.instance.id {
            return Ok(Some((
                self.instance.key_id(),
                Arc::clone(&self.instance.signing),
            )));
        }
        let Some(slug) = self.slug_of(actor) else {
            return Ok(None);
        };
        if let Some(k) = self.parsed.get(slug) {
            return Ok(Some((format!("{actor}#main-key"), k)));
        }
        if self
            .keys
            .get(slug.as_bytes())
            .map_err(|e| e.to_string())?
            .is_none()
        {
            return Ok(None);
        }
        let pair = self.key_pair(slug).map_err(|e| e.to_string())?;
        let key = Arc::new(SigningKey::from_pem(&pair.private_pem).map_err(|e| e.to_string())?);
        self.parsed.insert(slug.to_owned(), Arc::clone(&key));
        Ok(Some((format!("{actor}#main-key"), key)))
    }
}

/// Finds the public keys of signed requests: the communities' and the instance actor's here,
/// the others fetched.
pub struct Keys {
    communities: Arc<CommunityKeys>,
    actors: RemoteActors,
}

impl Keys {
    async fn find(&self, key_id: &str, refresh: bool) -> Result<Option<ActorKey>, String> {
        let actor = key_id.split('#').next().unwrap_or_default();
        if actor == self.communities.instance.id {
            return Ok(Some(ActorKey {
                owner: actor.to_owned(),
                pem: self.communities.instance.keys.public_pem.clone(),
            }));
        }
        if let Some(slug) = self.communities.slug_of(actor) {
            if self
                .communities
                .keys
                .get(slug.as_bytes())
                .map_err(|e| e.to_string())?
                .is_none()
            {
                return Ok(None);
            }
            return self
                .communities
                .key_pair(slug)
                .map(|k| {
                    Some(ActorKey {
                        owner: actor.to_owned(),
                        pem: k.public_pem,
                    })
                })
                .map_err(|e| e.to_string());
        }
        self.actors.key(key_id, refresh).await
    }
}

impl ActorKeys for Keys {
    fn actor_key<'a>(
        &'a self,
        key_id: &'a str,
        refresh: bool,
    ) -> BoxFuture<'a, Result<Option<ActorKey>, String>> {
        Box::pin(self.find(key_id, refresh))
    }
}

impl PublicKeyResolver for Keys {
    fn public_key<'a>(
        &'a self,
        key_id: &'a str,
        refresh: bool,
    ) -> BoxFuture<'a, Result<Option<PublicKey>, AuthError>> {
        Box::pin(async move {
            self.find(key_id, refresh)
                .await
                .map(|k| {
                    k.map(|k| PublicKey {
                        owner: k.owner,
                        pem: k.pem,
                    })
                })
                .map_err(AuthError::new)
        })
    }
}

/// Everything federation needs, shared by the handlers and the workers.
#[derive(Clone)]
pub struct Federation {
    /// The store.
    pub store: QuadStore,
    /// The server's base URL.
    pub base: String,
    /// The communities.
    pub registry: CommunityRegistry,
    /// Membership records.
    pub records: MembershipRecords,
    /// Offers and the copies accepted offers made.
    pub offers: kommon_community::offers::OfferRecords,
    /// Ordered collections.
    pub collections: Collections,
    /// The inbox's checks and queue.
    pub inbox: InboxService,
    /// Received activities waiting to be processed.
    pub inbox_queue: InboxQueue,
    /// The delivery workers.
    pub deliverer: Deliverer,
    /// Remote actors.
    pub actors: RemoteActors,
    /// The instance actor.
    pub instance: Arc<InstanceActor>,
    /// The communities' keys.
    pub community_keys: Arc<CommunityKeys>,
    /// Public keys of signed requests.
    pub keys: Arc<Keys>,
    /// Recent `Join`s per (community, actor), to stop floods.
    joins: Arc<parking_lot::Mutex<RecentJoins>>,
}

/// When each (community, actor) last sent `Join`s, in ms since the epoch.
type RecentJoins = std::collections::HashMap<(String, String), Vec<u64>>;

/// How many `Join`s of one actor a community considers per hour: enough to retry after a
/// withdrawal or a refusal, not enough to flood the moderators.
pub const JOINS_PER_HOUR: usize = 5;

impl Federation {
    /// Federation for the communities of `store`; nothing runs until [`Federation::start`].
    pub fn new(
        store: &QuadStore,
        base: &str,
        dev: bool,
        backoff_unit: Duration,
    ) -> anyhow::Result<Self> {
        let instance = Arc::new(InstanceActor::load(store, base)?);
        let fetcher = GuardedFetcher::new(dev);
        let actors = RemoteActors::new(fetcher.clone(), Some(instance.signer())).with_store(store);
        let community_keys = Arc::new(CommunityKeys {
            keys: store.keyspace("community-keys"),
            parsed: quick_cache::sync::Cache::new(1000),
            instance: Arc::clone(&instance),
            base: base.to_owned(),
        });
        let keys = Arc::new(Keys {
            communities: Arc::clone(&community_keys),
            actors: actors.clone(),
        });
        let contexts = ContextLoader::bundled();
        let verifier = InboxVerifier::new(
            keys.clone(),
            Arc::new(move |iri| contexts.knows(iri) || json::TOLERATED_CONTEXTS.contains(&iri)),
            json::Limits::default(),
        );
        let deliverer = Deliverer::new(
            DeliveryQueue::new(store),
            fetcher,
            Some(actors.clone()),
            community_keys.clone(),
            DeliveryOptions {
                backoff: Backoff { unit: backoff_unit },
                ..DeliveryOptions::default()
            },
        );
        let inbox_queue = InboxQueue::new(store);
        Ok(Self {
            store: store.clone(),
            base: base.to_owned(),
            registry: CommunityRegistry::new(store),
            records: MembershipRecords::new(store),
            offers: kommon_community::offers::OfferRecords::new(store),
            collections: Collections::new(store),
            inbox: InboxService {
                verifier,
                queue: inbox_queue.clone(),
                deliverer: Some(deliverer.clone()),
            },
            inbox_queue,
            deliverer,
            actors,
            instance,
            community_keys,
            keys,
            joins: Arc::default(),
        })
    }

    /// Counts a `Join` of `actor` to `slug`; `false` when the actor is over the hourly limit.
    pub fn admit_join(&self, slug: &str, actor: &str) -> bool {
        let now = now_ms();
        let mut joins = self.joins.lock();
        // Forget those who have been quiet for an hour, so the map stays small.
        if joins.len() > 10_000 {
            joins.retain(|_, times| times.iter().any(|t| now.saturating_sub(*t) < 3_600_000));
        }
        let times = joins
            .entry((slug.to_owned(), actor.to_owned()))
            .or_default();
        times.retain(|t| now.saturating_sub(*t) < 3_600_000);
        if times.len() >= JOINS_PER_HOUR {
            return false;
        }
        times.push(now);
        true
    }

    /// Starts the inbox worker and resumes deliveries (in the runtime).
    pub fn start(&self, state: AppState) {
        self.deliverer.resume();
        spawn_worker(state);
    }

    /// The actor id of a community.
    pub fn community_id(&self, slug: &str) -> String {
        format!("{}/{slug}", self.base)
    }

    /// The slug of a local community actor id, if it is one.
    pub fn slug_of<'a>(&self, id: &'a str) -> Option<&'a str> {
        self.community_keys.slug_of(id)
    }

    /// A collection of a community.
    pub fn collection(&self, slug: &str, which: &str) -> String {
        format!("{}/{slug}/{which}", self.base)
    }

    /// The shared inbox.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// A new id in a community's space (`activities`, `residencies`, …).
    pub fn new_id(&self, slug: &str, kind: &str) -> String {
        format!("{}/{slug}/{kind}/{}", self.base, uuid::Uuid::new_v4())
    }

    /// The stored JSON of an activity (sent or received).
    pub fn activity(&self, id: &str) -> Result<Option<Value>, StoreError> {
        Ok(self
            .deliverer
            .queue()
            .activity(id)?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Publishes what community `slug` does, completing it: its `@context` (ActivityStreams
    /// unless set), an id (unless set), the community as actor, `published` now.
    pub async fn answer(&self, slug: &str, mut activity: Value) -> Result<String, StoreError> {
        if activity.get("@context").is_none() {
            activity["@context"] = json!(kommon_activitypub::AS_CONTEXT);
        }
        if activity.get("id").is_none() {
            activity["id"] = json!(self.new_id(slug, "activities"));
        }
        activity["actor"] = json!(self.community_id(slug));
        activity["published"] = json!(kommon_solid::storage::xsd_datetime(now_ms()));
        self.publish(slug, activity).await
    }

    /// Publishes an activity of community `slug`: stored, in its outbox, queued for its
    /// addressees (its followers expanded) in one transaction, with `changes` to collections.
    pub async fn publish(&self, slug: &str, activity: Value) -> Result<String, StoreError> {
        let community = self.community_id(slug);
        let followers = self.collection(slug, "followers");
        let id = activity["id"].as_str().unwrap_or_default().to_owned();
        let mut remote_ids = Vec::new();
        let mut local: Vec<String> = Vec::new();
        for a in addressing::addressees(&activity) {
            let ids: Vec<String> = if a == followers {
                self.collections.all(&followers).flatten().collect()
            } else {
                vec![a]
            };
            for i in ids {
                if i == community {
                    continue;
                }
                if let Some(s) = self.slug_of(&i) {
                    local.push(s.to_owned());
                } else if json::is_http_url(&i) && !i.starts_with(&format!("{}/", self.base)) {
                    remote_ids.push(i);
                }
            }
        }
        let targets = self.actors.delivery_targets(remote_ids).await;
        let mut sent = activity.clone();
        addressing::strip_hidden(&mut sent);
        let bytes = serde_json::to_vec(&sent).unwrap_or_default();
        let fed = self.clone();
        let id2 = id.clone();
        let outbox = self.collection(slug, "outbox");
        let hosts = tokio::task::spawn_blocking(move || {
            fed.store
                .transaction(|tx| -> Result<Vec<String>, StoreError> {
                    collection::add(tx, &outbox, &id2, next_seq())?;
                    Ok(DeliveryQueue::enqueue(
                        tx, &id2, &bytes, &community, &targets,
                    ))
                })
        })
        .await
        .map_err(|e| StoreError::Corrupted(format!("publishing failed: {e}")))??;
        self.deliverer.wake(&hosts);
        for s in local {
            self.inbox_queue.accept(&ReceivedActivity {
                id: id.clone(),
                signer: self.community_id(slug),
                inbox: self.collection(&s, "inbox"),
                activity: sent.clone(),
                received_ms: now_ms(),
            })?;
        }
        Ok(id)
    }
}

/// Keeps a received activity and lists it in the community's inbox, in the caller's
/// transaction; `false` when it was already there (processed before: nothing more to do).
fn record_received(
    tx: &mut kommon_rdf::Transaction<'_>,
    fed: &Federation,
    slug: &str,
    r: &ReceivedActivity,
) -> Result<bool, StoreError> {
    kommon_activitypub::delivery::DeliveryQueue::store_activity(
        tx,
        &r.id,
        &serde_json::to_vec(&r.activity).unwrap_or_default(),
    );
    collection::add(tx, &fed.collection(slug, "inbox"), &r.id, next_seq())
}

fn spawn_worker(state: AppState) {
    tokio::spawn(async move {
        let fed = state.federation.clone();
        loop {
            let q = fed.inbox_queue.clone();
            let batch = match tokio::task::spawn_blocking(move || q.next_batch(64)).await {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "reading the inbox queue");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(_) => continue,
            };
            if batch.is_empty() {
                fed.inbox_queue.wait(Duration::from_secs(1)).await;
                continue;
            }
            for (key, received) in batch {
                if let Err(e) = process(&state, &received).await {
                    tracing::error!(error = %e, activity = %received.id, "processing an activity");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
                if let Err(e) = fed.inbox_queue.done(&key) {
                    tracing::error!(error = %e, "removing a processed activity");
                }
            }
        }
    });
}

/// An actor's `Delete` of itself: its residencies end, in every community of this server.
async fn actor_deleted(state: &AppState, r: &ReceivedActivity) -> Result<(), StoreError> {
    let fed = state.federation.clone();
    let communities = fed
        .registry
        .list()
        .map_err(|e| StoreError::Corrupted(e.to_string()))?;
    let fed2 = fed.clone();
    let r2 = r.clone();
    let ended: Vec<String> = tokio::task::spawn_blocking(move || {
        fed2.store
            .transaction(|tx| -> Result<Vec<String>, StoreError> {
                let mut ended = Vec::new();
                let mut fresh = false;
                for c in &communities {
                    if record_received(tx, &fed2, &c.slug, &r2)? {
                        fresh = true;
                    }
                    let community = fed2.community_id(&c.slug);
                    match membership::leave(tx, &community, &r2.signer, now_ms()) {
                        Ok(_) => ended.push(c.slug.clone()),
                        Err(kommon_community::MembershipError::NotResident(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                // Already processed (a redelivery): nothing more to say.
                Ok(if fresh { ended } else { Vec::new() })
            })
    })
    .await
    .map_err(|e| StoreError::Corrupted(e.to_string()))??;
    // Whatever invitation named this pod goes with it, in every place.
    for c in fed.registry.list().unwrap_or_default() {
        if let Err(e) = state.invitations.forget(&c.slug, &r.signer) {
            tracing::error!(error = %e, "forgetting the invitation of a deleted pod");
        }
    }
    for slug in ended {
        tracing::info!(community = %slug, actor = %r.signer, "a resident deleted their pod");
        fed.answer(
            &slug,
            json!({
                "type": "Remove", "object": r.signer,
                "target": fed.collection(&slug, "residents"),
                "content": "Le pod de cette personne a été supprimé. / This person's pod was deleted.",
                "to": [addressing::PUBLIC[0]],
                "cc": [fed.collection(&slug, "followers")],
            }),
        )
        .await?;
        if let Some(net) = &state.network
            && net.slug == slug
        {
            crate::network::ingest::dismissed(state, net, &r.signer).await?;
        }
    }
    Ok(())
}

/// The community an activity is for: the inbox's owner, or (shared inbox) the community its
/// object or addressees name.
fn community_of(state: &AppState, r: &ReceivedActivity) -> Option<String> {
    let fed = &state.federation;
    if r.inbox != fed.shared_inbox() {
        let rest = r.inbox.strip_prefix(&format!("{}/", fed.base))?;
        return rest.strip_suffix("/inbox").map(str::to_owned);
    }
    let mut candidates: Vec<String> = r
        .activity
        .get("object")
        .and_then(json::id_of)
        .into_iter()
        .map(str::to_owned)
        .collect();
    candidates.extend(addressing::addressees(&r.activity));
    candidates
        .iter()
        .find_map(|c| fed.slug_of(c).map(str::to_owned))
        .or_else(|| {
            // What a member place (or a followed source) sends its followers names neither the
            // network nor its followers: the network follows them, so it is the network's.
            let net = state.network.as_ref()?;
            (crate::network::ingest::is_member(state, net, &r.signer)
                || crate::network::sources::is_followed(state, &r.signer))
            .then(|| net.slug.clone())
        })
}

/// What a received activity changes; the answers to send (published after the commit).
/// Records a received activity (in the community's inbox, deduplicated) on its own.
async fn record_once(
    fed: &Federation,
    slug: &str,
    r: &ReceivedActivity,
) -> Result<bool, StoreError> {
    let fed2 = fed.clone();
    let (r2, slug2) = (r.clone(), slug.to_owned());
    tokio::task::spawn_blocking(move || {
        fed2.store
            .transaction(|tx| record_received(tx, &fed2, &slug2, &r2))
    })
    .await
    .map_err(|e| StoreError::Corrupted(e.to_string()))?
}

async fn process(state: &AppState, r: &ReceivedActivity) -> Result<(), StoreError> {
    let fed = state.federation.clone();
    let Some(slug) = community_of(state, r) else {
        return Ok(());
    };
    if fed.registry.get(&slug).ok().flatten().is_none() {
        return Ok(());
    }
    // A place's answer to a request the network routed to it.
    if state.network.as_ref().is_some_and(|n| n.slug == slug)
        && crate::orientation::network::answered(state, &slug, r).await?
    {
        record_once(&fed, &slug, r).await?;
        return Ok(());
    }
    if let Some(net) = &state.network
        && crate::network::ingest::concerns_network(net, &slug, &r.activity)
    {
        let fed2 = fed.clone();
        let (r2, slug2) = (r.clone(), slug.clone());
        let fresh = tokio::task::spawn_blocking(move || {
            fed2.store
                .transaction(|tx| record_received(tx, &fed2, &slug2, &r2))
        })
        .await
        .map_err(|e| StoreError::Corrupted(e.to_string()))??;
        if fresh {
            crate::network::ingest::receive(state, net, r).await?;
        }
        return Ok(());
    }
    let community = fed.community_id(&slug);
    let a = r.activity.clone();
    let object_id = a
        .get("object")
        .and_then(json::id_of)
        .unwrap_or_default()
        .to_owned();
    // The inner activity of an Undo: embedded, or one we stored.
    let inner = match a.get("object") {
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(Value::String(id)) => fed.activity(id)?,
        _ => None,
    };
    // An actor deleted itself (a resident deleted their pod): every residency of theirs on this
    // server ends, and each place tells its followers (the network forgets them).
    if json::has_type(&a, "Delete") && object_id == r.signer {
        return actor_deleted(state, r).await;
    }
    // Offers of help and service requests from pods go to the orientation queue.
    if json::has_type(&a, "Offer") && crate::orientation::pods::is_orientation_offer(&a) {
        record_once(&fed, &slug, r).await?;
        return crate::orientation::pods::receive_offer(state, &slug, r).await;
    }
    if json::has_type(&a, "Undo") && crate::orientation::pods::receive_undo(state, &slug, r).await?
    {
        record_once(&fed, &slug, r).await?;
        return Ok(());
    }
    // Offers and their originals' changes: the object is read (a fetch) before the transaction.
    let target = a
        .get("target")
        .and_then(json::id_of)
        .unwrap_or_default()
        .to_owned();
    let offered_to = crate::offers::TARGETS
        .iter()
        .find(|t| target == fed.collection(&slug, t))
        .copied();
    if json::has_type(&a, "Offer") && offered_to.is_some() {
        let answer = match crate::offers::authored_object(&fed, &a, &r.signer).await {
            Ok(object) => {
                let offer = kommon_community::offers::Offer {
                    id: r.id.clone(),
                    actor: r.signer.clone(),
                    community: community.clone(),
                    target: target.clone(),
                    object,
                    message: a
                        .get("content")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .chars()
                        .take(2000)
                        .collect(),
                    received_ms: r.received_ms,
                };
                let fed2 = fed.clone();
                let r2 = r.clone();
                let slug2 = slug.clone();
                tokio::task::spawn_blocking(move || {
                    fed2.store.transaction(|tx| -> Result<(), StoreError> {
                        record_received(tx, &fed2, &slug2, &r2)?;
                        kommon_community::offers::receive(tx, &offer)?;
                        Ok(())
                    })
                })
                .await
                .map_err(|e| StoreError::Corrupted(e.to_string()))??;
                crate::notify::pending_changed(state, &slug);
                None
            }
            Err(why) => {
                tracing::info!(community = %slug, actor = %r.signer, why, "offer refused");
                Some(json!({"type": "Reject", "object": a, "to": [r.signer],
                            "content": format!("Seul·e l'auteur·e peut proposer cet objet. / Only its author may offer it. ({why})")}))
            }
        };
        if let Some(answer) = answer {
            fed.answer(&slug, answer).await?;
        }
        return Ok(());
    }
    if (json::has_type(&a, "Update") || json::has_type(&a, "Delete"))
        && fed.offers.copy_of(&object_id)?.is_some()
        && json::authority(&object_id) == json::authority(&r.signer)
    {
        let fresh = if json::has_type(&a, "Update") {
            crate::offers::authored_object(&fed, &a, &r.signer)
                .await
                .ok()
        } else {
            None
        };
        let fed2 = fed.clone();
        let (slug2, a2, signer) = (slug.clone(), a.clone(), r.signer.clone());
        let answer = tokio::task::spawn_blocking(move || {
            crate::offers::follow_original(&fed2, &slug2, &a2, &signer, fresh)
        })
        .await
        .map_err(|e| StoreError::Corrupted(e.to_string()))??;
        if let Some(answer) = answer {
            fed.answer(&slug, answer).await?;
        }
        return Ok(());
    }
    // FEP-1b12: what a resident sends to the place (a post, its update or deletion) is passed on,
    // unchanged, inside the place's `Announce`, to the place's followers.
    let addressed_to_place = addressing::addressees(&a).contains(&community);
    if addressed_to_place
        && ["Create", "Update", "Delete"]
            .iter()
            .any(|t| json::has_type(&a, t))
        && fed.offers.copy_of(&object_id)?.is_none()
    {
        let resident = fed.records.residency(&community, &r.signer)?.is_some();
        let fed2 = fed.clone();
        let (r2, slug2) = (r.clone(), slug.clone());
        let fresh = tokio::task::spawn_blocking(move || {
            fed2.store
                .transaction(|tx| record_received(tx, &fed2, &slug2, &r2))
        })
        .await
        .map_err(|e| StoreError::Corrupted(e.to_string()))??;
        if fresh && resident {
            let mut inner = a.clone();
            if let Some(o) = inner.as_object_mut() {
                o.remove("@context");
            }
            let announce = json!({
                "type": "Announce",
                "object": inner,
                "to": [addressing::PUBLIC[0]],
                "cc": [fed.collection(&slug, "followers")],
                "audience": community,
            });
            fed.answer(&slug, announce).await?;
        } else if fresh {
            tracing::info!(community = %slug, actor = %r.signer, "a non-resident's post is not announced");
        }
        return Ok(());
    }
    if json::has_type(&a, "Join") && object_id == community && !fed.admit_join(&slug, &r.signer) {
        tracing::warn!(community = %slug, actor = %r.signer, "too many Join requests: ignored");
        return Ok(());
    }
    let joins_here = object_id == community;
    let fed2 = fed.clone();
    let r2 = r.clone();
    let slug2 = slug.clone();
    let answer: Option<Value> = tokio::task::spawn_blocking(move || {
        let fed = &fed2;
        let r = &r2;
        fed.store.transaction(|tx| -> Result<Option<Value>, StoreError> {
            if !record_received(tx, fed, &slug2, r)? {
                return Ok(None);
            }
            let a = &r.activity;
            if json::has_type(a, "Join") && object_id == community {
                let message = a
                    .get("content")
                    .or_else(|| a.get("summary"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .chars()
                    .take(2000)
                    .collect();
                let outcome = membership::receive_join(
                    tx,
                    &MembershipRequest {
                        id: r.id.clone(),
                        actor: r.signer.clone(),
                        community: community.clone(),
                        message,
                        received_ms: r.received_ms,
                    },
                )?;
                tracing::info!(community = %slug2, actor = %r.signer, ?outcome, "join");
                if outcome == JoinOutcome::AlreadyResident {
                    // Say so rather than leave the request unanswered.
                    return Ok(Some(json!({
                        "type": "Accept", "object": a, "to": [r.signer],
                        "content": "Vous êtes déjà résident·e de ce lieu. / You are already a resident of this place."
                    })));
                }
            } else if json::has_type(a, "Undo")
                && let Some(inner) = &inner
                && json::has_type(inner, "Join")
            {
                let join_id = json::id_of(inner).unwrap_or_default();
                membership::withdraw(tx, &community, join_id, &r.signer)?;
            } else if json::has_type(a, "Leave") && object_id == community {
                match membership::leave(tx, &community, &r.signer, now_ms()) {
                    Ok(residency) => {
                        tracing::info!(community = %slug2, residency = %residency.id, "left");
                        // The résidentothèque changed: followers are told.
                        return Ok(Some(json!({
                            "type": "Remove", "object": r.signer,
                            "target": fed.collection(&slug2, "residents"),
                            "to": [addressing::PUBLIC[0]],
                            "cc": [fed.collection(&slug2, "followers"), r.signer],
                        })));
                    }
                    Err(kommon_community::MembershipError::NotResident(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            } else if (json::has_type(a, "Accept") || json::has_type(a, "Reject"))
                && let Some(inner) = &inner
                && json::has_type(inner, "Join")
                && inner.get("actor").and_then(json::id_of) == Some(community.as_str())
                && inner.get("object").and_then(json::id_of) == Some(r.signer.as_str())
            {
                // A network answered this place's request to join it.
                let reason = a.get("content").and_then(Value::as_str).unwrap_or_default();
                let accepted = json::has_type(a, "Accept");
                crate::network::pages::record_answer(tx, &slug2, &r.signer, accepted, reason)?;
                tracing::info!(community = %slug2, network = %r.signer, accepted, "a network answered");
            } else if json::has_type(a, "Follow") && object_id == community {
                collection::add(tx, &fed.collection(&slug2, "followers"), &r.signer, next_seq())?;
                // FEP-1b12: a group accepts its followers at once.
                return Ok(Some(json!({"type": "Accept", "object": a, "to": [r.signer]})));
            } else if json::has_type(a, "Undo")
                && let Some(inner) = &inner
                && json::has_type(inner, "Follow")
                && inner.get("actor").and_then(json::id_of) == Some(r.signer.as_str())
            {
                collection::remove(tx, &fed.collection(&slug2, "followers"), &r.signer)?;
            }
            Ok(None)
        })
    })
    .await
    .map_err(|e| StoreError::Corrupted(format!("the inbox worker failed: {e}")))??;
    let left = answer
        .as_ref()
        .is_some_and(|x| json::has_type(x, "Remove") && json::has_type(&a, "Leave"));
    if json::has_type(&a, "Join") && joins_here && answer.is_none() {
        // The place already accepted this pod's application (from its website's form), or
        // invited this person and they named this pod: the Join completes it, in the name of
        // the place's first admin.
        let invitation = state.invitations.claimed_by(&slug, &r.signer)?;
        if invitation.is_some() || state.orientation.desk.pre_approved(&slug, &r.signer)? {
            crate::invitations::accept_join(state, &slug, &r.id, &r.signer, invitation.as_ref())
                .await;
        } else {
            crate::notify::pending_changed(state, &slug);
        }
    }
    if let Some(answer) = answer {
        fed.answer(&slug, answer).await?;
    }
    if left && let Err(e) = state.invitations.forget(&slug, &r.signer) {
        tracing::error!(error = %e, "forgetting the invitation of a resident who left");
    }
    if left
        && let Some(net) = &state.network
        && net.slug == slug
    {
        crate::network::ingest::dismissed(state, net, &r.signer).await?;
    }
    Ok(())
}
