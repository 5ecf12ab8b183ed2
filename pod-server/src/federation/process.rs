//! The inbox worker: drains the durable inbox queue in order, puts each activity in the inboxes
//! of the local actors it is for, and applies its side effects in the same transaction as that
//! insertion, so a crash between the two cannot apply an effect twice or lose it. An activity
//! already in an actor's inbox is skipped: processing is idempotent per actor, whatever route
//! (personal inbox, shared inbox, a retry after a crash) brought it twice.

use super::Federation;
use crate::app::AppState;
use kommon_activitypub::addressing;
use kommon_activitypub::collection;
use kommon_activitypub::delivery::{DeliveryQueue, DeliveryTarget, next_seq};
use kommon_activitypub::inbox::ReceivedActivity;
use kommon_activitypub::json;
use kommon_rdf::StoreError;
use serde_json::{Value, json};
use std::time::Duration;

/// Starts the worker (once, when the server starts).
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let fed = state.federation.clone();
        loop {
            let q = fed.inbox_queue.clone();
            let batch = tokio::task::spawn_blocking(move || q.next_batch(64)).await;
            let batch = match batch {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "reading the inbox queue");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "reading the inbox queue");
                    continue;
                }
            };
            if batch.is_empty() {
                fed.inbox_queue.wait(Duration::from_secs(1)).await;
                continue;
            }
            for (key, received) in batch {
                if let Err(e) = process(&state, &received).await {
                    // Store failures are retried with the next pass; the entry stays queued.
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

/// The local actors (pod names) an activity is for.
fn recipients(state: &AppState, r: &ReceivedActivity) -> Vec<String> {
    let fed = &state.federation;
    if r.inbox != fed.shared_inbox() {
        return fed
            .layout
            .split(&r.inbox)
            .map(|(name, _)| vec![name.to_owned()])
            .unwrap_or_default();
    }
    let mut names: Vec<String> = Vec::new();
    let signer_followers = format!("{}/followers", r.signer.trim_end_matches('/'));
    for id in addressing::addressees(&r.activity) {
        if let Some(name) = fed.local_actor(&id) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
            continue;
        }
        // Sent to the signer's followers (or publicly): its local followers get it.
        let followers_addressed = id == signer_followers
            || fed
                .actors_followers_hint(&r.signer)
                .is_some_and(|f| f == id);
        if followers_addressed {
            for follower in fed
                .collections
                .all(&super::followed_by(&r.signer))
                .flatten()
            {
                if let Some(name) = fed.local_actor(&follower)
                    && !names.iter().any(|n| n == name)
                {
                    names.push(name.to_owned());
                }
            }
        }
    }
    // A Follow, Accept or Undo names its local target as object rather than in `to`.
    if names.is_empty()
        && let Some(name) = r
            .activity
            .get("object")
            .and_then(json::id_of)
            .and_then(|o| fed.local_actor(o))
    {
        names.push(name.to_owned());
    }
    names.retain(|n| state.pods.accounts.exists(n).unwrap_or(false));
    names
}

impl Federation {
    /// The followers collection of a remote actor, if its document is cached.
    fn actors_followers_hint(&self, actor: &str) -> Option<String> {
        self.actors.cached(actor).and_then(|a| a.followers)
    }
}

/// The embedded activity an activity's `object` names, from the activity itself or the store.
fn object_activity(fed: &Federation, activity: &Value) -> Option<Value> {
    match activity.get("object")? {
        v @ Value::Object(_) => Some(v.clone()),
        Value::String(id) => fed.activity(id).ok().flatten(),
        _ => None,
    }
}

/// Processes one received activity for each local actor it is for.
async fn process(state: &AppState, r: &ReceivedActivity) -> Result<(), StoreError> {
    let fed = &state.federation;
    let names = recipients(state, r);
    if names.is_empty() {
        tracing::debug!(activity = %r.id, "no local recipient");
        return Ok(());
    }
    let is_follow = json::has_type(&r.activity, "Follow");
    // The follower's inbox for the Accept (its document was fetched to check the signature).
    let follower_target = if is_follow && fed.local_actor(&r.signer).is_none() {
        Some(match fed.actors.actor(&r.signer, false).await {
            Ok(a) => DeliveryTarget::Inbox(a.inbox),
            Err(_) => DeliveryTarget::Actor(r.signer.clone()),
        })
    } else {
        None
    };
    let activity_json = serde_json::to_vec(&r.activity).unwrap_or_default();
    let names_for_notice = names.clone();
    let state2 = state.clone();
    let r2 = r.clone();
    let (hosts, local) = tokio::task::spawn_blocking(move || {
        let fed = &state2.federation;
        let mut hosts = Vec::new();
        let mut local: Vec<ReceivedActivity> = Vec::new();
        fed.store.transaction(|tx| -> Result<(), StoreError> {
            DeliveryQueue::store_activity(tx, &r2.id, &activity_json);
            for name in &names {
                let webid = fed.layout.webid(name);
                let inbox = fed.collection(name, "inbox");
                if !collection::add(tx, &inbox, &r2.id, next_seq())? {
                    continue;
                }
                let a = &r2.activity;
                let object_id = a.get("object").and_then(json::id_of).unwrap_or_default();
                if json::has_type(a, "Follow") && object_id == webid {
                    collection::add(
                        tx,
                        &fed.collection(name, "followers"),
                        &r2.signer,
                        next_seq(),
                    )?;
                    // Residents' accounts are open: every Follow is accepted at once.
                    let accept_id = fed.new_activity_id(name);
                    let accept = json!({
                        "@context": kommon_activitypub::AS_CONTEXT,
                        "id": accept_id,
                        "type": "Accept",
                        "actor": webid,
                        "object": a,
                        "to": [r2.signer],
                    });
                    let bytes = serde_json::to_vec(&accept).unwrap_or_default();
                    collection::add(tx, &fed.collection(name, "outbox"), &accept_id, next_seq())?;
                    match &follower_target {
                        Some(t) => hosts.extend(DeliveryQueue::enqueue(
                            tx,
                            &accept_id,
                            &bytes,
                            &webid,
                            std::slice::from_ref(t),
                        )),
                        None => {
                            DeliveryQueue::store_activity(tx, &accept_id, &bytes);
                            local.push(ReceivedActivity {
                                id: accept_id.clone(),
                                signer: webid.clone(),
                                inbox: format!("{}/inbox", r2.signer),
                                activity: accept,
                                received_ms: kommon_activitypub::delivery::now_ms(),
                            });
                        }
                    }
                } else if json::has_type(a, "Undo") {
                    let Some(inner) = object_activity(fed, a) else {
                        continue;
                    };
                    // Only the actor of an activity may undo it.
                    if inner.get("actor").and_then(json::id_of) != Some(r2.signer.as_str()) {
                        continue;
                    }
                    if json::has_type(&inner, "Follow")
                        && inner.get("object").and_then(json::id_of) == Some(webid.as_str())
                    {
                        collection::remove(tx, &fed.collection(name, "followers"), &r2.signer)?;
                    }
                } else if json::has_type(a, "Accept") || json::has_type(a, "Reject") {
                    let Some(inner) = object_activity(fed, a) else {
                        continue;
                    };
                    if json::has_type(&inner, "Follow")
                        && inner.get("actor").and_then(json::id_of) == Some(webid.as_str())
                        && inner.get("object").and_then(json::id_of) == Some(r2.signer.as_str())
                    {
                        let following = fed.collection(name, "following");
                        let followed_by = super::followed_by(&r2.signer);
                        if json::has_type(a, "Accept") {
                            collection::add(tx, &following, &r2.signer, next_seq())?;
                            collection::add(tx, &followed_by, &webid, next_seq())?;
                        } else {
                            collection::remove(tx, &following, &r2.signer)?;
                            collection::remove(tx, &followed_by, &webid)?;
                        }
                    }
                } else if json::has_type(a, "Delete") && object_id == r2.signer {
                    // The actor is gone: it follows and is followed no more.
                    collection::remove(tx, &fed.collection(name, "followers"), &r2.signer)?;
                    collection::remove(tx, &fed.collection(name, "following"), &r2.signer)?;
                    collection::remove(tx, &super::followed_by(&r2.signer), &webid)?;
                }
            }
            Ok(())
        })?;
        Ok::<_, StoreError>((hosts, local))
    })
    .await
    .map_err(|e| StoreError::Corrupted(format!("the inbox worker failed: {e}")))??;
    fed.deliverer.wake(&hosts);
    for l in local {
        fed.inbox_queue.accept(&l)?;
    }
    // Apps watching an inbox (ActivityPods' live updates) are told of the new item.
    let changes: Vec<crate::notifications::Change> = names_for_notice
        .iter()
        .map(|name| crate::notifications::Change {
            kind: "Add",
            topic: fed.collection(name, "inbox"),
            object: r.id.clone(),
            state: None,
        })
        .collect();
    state.notifications.publish(&changes);
    Ok(())
}
