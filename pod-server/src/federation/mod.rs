//! Federation for the pods: each resident's WebID is a `Person` actor with an inbox, an outbox,
//! followers, following and liked; the server has a shared inbox and one instance actor
//! (`Application`) that signs its fetches. The protocol work is `kommon-activitypub`'s; this
//! module decides what activities do to pods.
//!
//! - [`routes`]: the HTTP side (inbox posts, collections, activities, the instance actor,
//!   host-meta).
//! - [`process`]: the worker that drains the durable inbox queue and applies side effects
//!   (Follow and its Accept, Undo, Accept, Reject, Delete of an actor).
//! - [`outbox`]: client-to-server posts and the activities LDP writes leave in the outbox.

pub mod outbox;
pub mod process;
pub mod routes;

use crate::pod::{PodLayout, Pods};
use kommon_activitypub::collection::Collections;
use kommon_activitypub::delivery::{
    Backoff, Deliverer, DeliveryOptions, DeliveryQueue, SigningKeys,
};
use kommon_activitypub::guard::GuardedFetcher;
use kommon_activitypub::inbox::{InboxQueue, InboxService, InboxVerifier};
use kommon_activitypub::remote::RemoteActors;
use kommon_http_signatures::SigningKey;
use kommon_rdf::jsonld::ContextLoader;
use kommon_rdf::{QuadStore, StoreError};
use std::sync::Arc;
use std::time::Duration;

pub use kommon_activitypub::instance::InstanceActor;

/// Finds the signing keys of the pods' actors and of the instance actor, parsed once.
pub struct PodSigningKeys {
    pods: Pods,
    instance: Arc<InstanceActor>,
    parsed: quick_cache::sync::Cache<String, Arc<SigningKey>>,
}

impl SigningKeys for PodSigningKeys {
    fn signing_key(&self, actor: &str) -> Result<Option<(String, Arc<SigningKey>)>, String> {
        if actor == self.instance.id {
            return Ok(Some((
                self.instance.key_id(),
                Arc::clone(&self.instance.signing),
            )));
        }
        let Some((name, "")) = self.pods.layout.split(actor) else {
            return Ok(None);
        };
        if let Some(k) = self.parsed.get(name) {
            return Ok(Some((format!("{actor}#main-key"), k)));
        }
        if !self.pods.accounts.exists(name).map_err(|e| e.to_string())? {
            return Ok(None);
        }
        let pair = self.pods.actor_key(name).map_err(|e| e.to_string())?;
        let key = Arc::new(SigningKey::from_pem(&pair.private_pem).map_err(|e| e.to_string())?);
        self.parsed.insert(name.to_owned(), Arc::clone(&key));
        Ok(Some((format!("{actor}#main-key"), key)))
    }
}

/// Everything federation needs, shared by the handlers and the workers.
#[derive(Clone)]
pub struct Federation {
    /// The store (activities, queues and collections live in its keyspaces).
    pub store: QuadStore,
    /// Where pods live.
    pub layout: PodLayout,
    /// Ordered collections.
    pub collections: Collections,
    /// Received activities waiting to be processed.
    pub inbox_queue: InboxQueue,
    /// The inbox's checks and queue.
    pub inbox: InboxService,
    /// The delivery workers.
    pub deliverer: Deliverer,
    /// Remote actors, fetched with signed GETs.
    pub actors: RemoteActors,
    /// The instance actor.
    pub instance: Arc<InstanceActor>,
    /// Finds actors' keys (for the inbox and for every signed request).
    pub keys: Arc<crate::keys::KeyResolver>,
}

impl Federation {
    /// Federation for the pods of `pods`; nothing runs until [`Federation::start`].
    pub fn new(
        store: &QuadStore,
        pods: Pods,
        contexts: &ContextLoader,
        dev: bool,
        backoff_unit: Duration,
    ) -> anyhow::Result<Self> {
        let layout = pods.layout.clone();
        let instance = Arc::new(InstanceActor::load(store, layout.base())?);
        let fetcher = GuardedFetcher::new(dev);
        let actors = RemoteActors::new(fetcher.clone(), Some(instance.signer())).with_store(store);
        let keys = Arc::new(crate::keys::KeyResolver::new(
            pods.clone(),
            actors.clone(),
            Some((instance.id.clone(), instance.keys.public_pem.clone())),
        ));
        let contexts = contexts.clone();
        let verifier = InboxVerifier::new(
            keys.clone(),
            Arc::new(move |iri| {
                contexts.knows(iri) || kommon_activitypub::json::TOLERATED_CONTEXTS.contains(&iri)
            }),
            kommon_activitypub::json::Limits::default(),
        );
        let signing = Arc::new(PodSigningKeys {
            pods,
            instance: Arc::clone(&instance),
            parsed: quick_cache::sync::Cache::new(10_000),
        });
        let deliverer = Deliverer::new(
            DeliveryQueue::new(store),
            fetcher,
            Some(actors.clone()),
            signing,
            DeliveryOptions {
                backoff: Backoff { unit: backoff_unit },
                ..DeliveryOptions::default()
            },
        );
        let inbox_queue = InboxQueue::new(store);
        let inbox = InboxService {
            verifier,
            queue: inbox_queue.clone(),
            deliverer: Some(deliverer.clone()),
        };
        Ok(Self {
            inbox,
            inbox_queue,
            store: store.clone(),
            layout,
            collections: Collections::new(store),
            deliverer,
            actors,
            instance,
            keys,
        })
    }

    /// Starts the inbox worker and resumes deliveries left from before (in the runtime).
    pub fn start(&self, state: crate::app::AppState) {
        self.deliverer.resume();
        process::spawn(state);
    }

    /// The shared inbox.
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.layout.base())
    }

    /// A collection of a pod's actor (`inbox`, `outbox`, `followers`, `following`, `liked`).
    pub fn collection(&self, name: &str, which: &str) -> String {
        self.layout.endpoint(name, which)
    }

    /// The pod name of a local actor id, if it is one.
    pub fn local_actor<'a>(&self, id: &'a str) -> Option<&'a str> {
        match self.layout.split(id) {
            Some((name, "")) => Some(name),
            _ => None,
        }
    }

    /// A new activity id in a pod's actor space.
    pub fn new_activity_id(&self, name: &str) -> String {
        format!(
            "{}/activities/{}",
            self.layout.webid(name),
            uuid::Uuid::new_v4()
        )
    }

    /// The stored JSON of an activity (sent or received).
    pub fn activity(&self, id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(self
            .deliverer
            .queue()
            .activity(id)?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }
}

/// The key of the collection listing the local actors that follow a remote actor (kept when
/// our Follow is accepted), so the shared inbox knows who gets an activity sent to followers.
pub fn followed_by(remote_actor: &str) -> String {
    format!("followed-by {remote_actor}")
}
