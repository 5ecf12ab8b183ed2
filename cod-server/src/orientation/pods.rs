//! Offers of help and service requests sent from a pod: a resident's app posts
//! `Offer{object: kommon:VolunteerOffer | kommon:ServiceRequest}` to the place; it joins the
//! same queue as the forms, and the decision comes back as `Accept` or `Reject` of the offer;
//! `Undo` of the offer withdraws it.

use crate::app::AppState;
use kommon_activitypub::inbox::ReceivedActivity;
use kommon_activitypub::json;
use kommon_orientation::{HelpRequest, OrientationError};
use kommon_rdf::StoreError;
use serde_json::{Value, json};

/// Whether an activity's object is an offer of help or a service request.
pub fn is_orientation_offer(a: &Value) -> bool {
    let Some(o) = a.get("object").filter(|o| o.is_object()) else {
        return false;
    };
    [
        "kommon:VolunteerOffer",
        "kommon:ServiceRequest",
        "https://w3id.org/kommon/ns#VolunteerOffer",
        "https://w3id.org/kommon/ns#ServiceRequest",
    ]
    .iter()
    .any(|t| json::has_type(o, t))
}

/// An `Offer` of help or of a request from a pod, to place `slug`: kept for its moderators,
/// or refused with a `Reject` that says why.
pub async fn receive_offer(
    state: &AppState,
    slug: &str,
    r: &ReceivedActivity,
) -> Result<(), StoreError> {
    let fed = &state.federation;
    let o = &state.orientation;
    let object = r.activity.get("object").cloned().unwrap_or(Value::Null);
    let name = match fed.actors.fetch_json(&r.signer).await {
        Ok(actor) => actor
            .get("name")
            .or_else(|| actor.get("preferredUsername"))
            .and_then(Value::as_str)
            .unwrap_or(&r.signer)
            .to_owned(),
        Err(_) => r.signer.clone(),
    };
    let token = uuid::Uuid::new_v4().simple().to_string();
    let refused =
        |why: String| json!({"type": "Reject", "object": r.id, "to": [r.signer], "content": why});
    let answer = if o.desk.request_by_activity(slug, &r.id)?.is_some() {
        // Delivered twice: already kept.
        None
    } else {
        match HelpRequest::from_offer(
            &object,
            &r.id,
            &r.signer,
            &name,
            &token,
            slug,
            &o.choices(),
            r.received_ms,
        ) {
            Ok(request) => {
                let added = if request.kind == kommon_orientation::RequestKind::Service {
                    o.desk.add_service_request(&request)
                } else {
                    o.desk.add_request(&request).map_err(Into::into)
                };
                match added {
                    Ok(()) => {
                        crate::notify::pending_changed(state, slug);
                        None
                    }
                    Err(OrientationError::Store(e)) => return Err(e),
                    Err(e) => Some(refused(e.to_string())),
                }
            }
            Err(OrientationError::Store(e)) => return Err(e),
            Err(e) => Some(refused(e.to_string())),
        }
    };
    if let Some(answer) = answer {
        fed.answer(slug, answer).await?;
    }
    Ok(())
}

/// `Undo` of an offer kept here, by its sender: withdrawn, its data erased. Whether it was one.
pub async fn receive_undo(
    state: &AppState,
    slug: &str,
    r: &ReceivedActivity,
) -> Result<bool, StoreError> {
    let Some(offer) = r.activity.get("object").and_then(json::id_of) else {
        return Ok(false);
    };
    let desk = &state.orientation.desk;
    let found = desk
        .request_by_activity(slug, offer)?
        .filter(|q| q.actor.as_deref() == Some(r.signer.as_str()));
    let Some(found) = found else {
        return Ok(false);
    };
    match desk.withdraw(slug, &found.token, super::today(), r.received_ms) {
        Ok((before, reopened)) => {
            super::erase_trail(state, &before.trail).await;
            if let Some(call) = reopened
                && let Ok(Some(c)) = state.federation.registry.get(slug)
                && let Err(e) = super::calls::announce_reopened(state, &c, &call).await
            {
                tracing::warn!(error = %e.1, "announcing a call reopened");
            }
            Ok(true)
        }
        Err(OrientationError::NotFound(_)) => Ok(true),
        Err(OrientationError::Store(e)) => Err(e),
        Err(_) => Ok(true),
    }
}

/// Tells a pod's actor what the place decided on their offer.
pub async fn answer(state: &AppState, slug: &str, r: &HelpRequest, accepted: bool, text: &str) {
    let (Some(actor), Some(activity)) = (&r.actor, &r.activity) else {
        return;
    };
    let follow = format!("{}/{slug}/suivi/{}", state.federation.base, r.token);
    let a = json!({
        "type": if accepted { "Accept" } else { "Reject" },
        "object": activity,
        "to": [actor],
        "content": text,
        "url": follow,
    });
    match state.federation.answer(slug, a).await {
        Ok(id) => {
            if let Err(e) = state.orientation.desk.add_to_trail(slug, &r.token, &id) {
                tracing::error!(error = %e, "recording an answer to an offer");
            }
        }
        Err(e) => tracing::error!(error = %e, "answering an offer from a pod"),
    }
}
