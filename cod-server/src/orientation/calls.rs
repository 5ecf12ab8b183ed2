//! Publishing and closing a place's calls for volunteers: the desk keeps the call and its
//! volunteers; the community publishes it (`Create`, then `Update` when it closes) to the
//! public and its followers, the network among them, which lists it on its map and agenda.

use crate::app::AppState;
use crate::moderation::Refusal;
use kommon_community::Community;
use kommon_orientation::{CallForVolunteers, CallStatus};
use serde_json::{Value, json};

/// The call's object IRI.
pub fn object_id(state: &AppState, call: &CallForVolunteers) -> String {
    format!(
        "{}/{}",
        state.federation.collection(&call.community, "calls"),
        call.id
    )
}

/// The place, as the `location` of its calls.
fn location(c: &Community) -> Option<Value> {
    let p = &c.profile;
    let mut l = json!({"type": "Place", "name": c.name});
    if let (Some(lat), Some(lon)) = (p.latitude, p.longitude) {
        l["latitude"] = json!(lat);
        l["longitude"] = json!(lon);
    }
    if !p.street_address.is_empty() || !p.locality.is_empty() {
        l["address"] = json!({
            "type": "PostalAddress",
            "streetAddress": p.street_address,
            "postalCode": p.postal_code,
            "addressLocality": p.locality,
            "addressCountry": "FR",
        });
    }
    Some(l)
}

/// The object of a call as the place publishes it, with a start (its first slot, or now) and
/// an end (its last day, or when it closed) that calendars and the network's agenda read.
fn object_of(
    state: &AppState,
    c: &Community,
    call: &CallForVolunteers,
    closed_at: Option<&str>,
) -> Value {
    let place = state.federation.community_id(&c.slug);
    let mut o = call.to_object(&place, location(c), closed_at);
    o["id"] = json!(object_id(state, call));
    o["url"] = json!(object_id(state, call));
    let first_day = call
        .slots
        .iter()
        .filter_map(|s| match s {
            kommon_orientation::Slot::Dated { date, .. } => Some(*date),
            kommon_orientation::Slot::Weekly { from, .. } => *from,
        })
        .min()
        .unwrap_or_else(super::today);
    o["startTime"] = json!(format!(
        "{}",
        kommon_orientation::call::end_of_day(first_day).replace("T23:59:59", "T00:00:00")
    ));
    o["endTime"] = o["schema:validThrough"].clone();
    o
}

async fn send(state: &AppState, slug: &str, activity: Value) -> Result<Value, Refusal> {
    let fed = state.federation.clone();
    let slug2 = slug.to_owned();
    let mut prepared =
        tokio::task::spawn_blocking(move || crate::publications::prepare(&fed, &slug2, &activity))
            .await
            .map_err(|_| Refusal(500, "the request failed".into()))??;
    prepared["@context"] = kommon_orientation::call::context();
    state
        .federation
        .answer(slug, prepared.clone())
        .await
        .map_err(|e| Refusal(500, e.to_string()))?;
    Ok(prepared)
}

/// Publishes a draft call in the store (its object, in the place's `calls` collection) without
/// telling anyone; the `Create` to send. What [`publish`] does before sending, and what the
/// demonstrator does before any server runs.
pub fn publish_stored(
    state: &AppState,
    c: &Community,
    call: &mut CallForVolunteers,
) -> Result<Value, Refusal> {
    if call.status != CallStatus::Draft {
        return Err(Refusal(
            409,
            "cet appel est déjà publié ou clos / this call is already published or closed".into(),
        ));
    }
    let object = object_of(state, c, call, None);
    let mut prepared = crate::publications::prepare(
        &state.federation,
        &c.slug,
        &json!({"type": "Create", "object": object}),
    )?;
    prepared["@context"] = kommon_orientation::call::context();
    call.status = CallStatus::Published;
    call.object = Some(object_id(state, call));
    state
        .orientation
        .desk
        .put_call(call)
        .map_err(|e| Refusal(500, e.to_string()))?;
    Ok(prepared)
}

/// Publishes a draft call: public, federated, open to volunteers. The call, and the id of the
/// `Create` that announced it.
pub async fn publish(
    state: &AppState,
    c: &Community,
    call: CallForVolunteers,
) -> Result<(CallForVolunteers, String), Refusal> {
    let (state2, c2, mut call) = (state.clone(), c.clone(), call);
    let (prepared, call) = tokio::task::spawn_blocking(move || {
        publish_stored(&state2, &c2, &mut call).map(|p| (p, call))
    })
    .await
    .map_err(|_| Refusal(500, "the request failed".into()))??;
    let id = state
        .federation
        .answer(&c.slug, prepared)
        .await
        .map_err(|e| Refusal(500, e.to_string()))?;
    Ok((call, id))
}

/// A call a moderator's client posts to the place's outbox (`Create` of a
/// `kommon:CallForVolunteers`, or the bare object): checked like the form, kept by the desk,
/// published at once. The id of the `Create`.
pub async fn create_from_outbox(
    state: &AppState,
    c: &Community,
    activity: &Value,
) -> Result<String, Refusal> {
    let object = if kommon_activitypub::json::is_activity(activity) {
        activity.get("object").cloned().unwrap_or(Value::Null)
    } else {
        activity.clone()
    };
    let o = &state.orientation;
    let call = CallForVolunteers::from_object(
        &object,
        &uuid::Uuid::new_v4().to_string(),
        &c.slug,
        &o.skills,
        &o.call_choices(),
        super::today(),
        kommon_activitypub::delivery::now_ms(),
    )
    .map_err(|e| Refusal(e.status(), e.to_string()))?;
    let (_, id) = publish(state, c, call).await?;
    Ok(id)
}

/// Tells everyone a published call is closed (filled, or closed by a moderator): its end is
/// now. The desk already has it closed.
pub async fn announce_closed(
    state: &AppState,
    c: &Community,
    call: &CallForVolunteers,
) -> Result<(), Refusal> {
    if call.object.is_none() {
        return Ok(());
    }
    let now = kommon_solid::storage::xsd_datetime(kommon_activitypub::delivery::now_ms());
    let object = object_of(state, c, call, Some(&now));
    send(state, &c.slug, json!({"type": "Update", "object": object})).await?;
    Ok(())
}

/// Tells everyone a call reopened (a volunteer withdrew from a filled call): its end is its
/// last day again.
pub async fn announce_reopened(
    state: &AppState,
    c: &Community,
    call: &CallForVolunteers,
) -> Result<(), Refusal> {
    let object = object_of(state, c, call, None);
    send(state, &c.slug, json!({"type": "Update", "object": object})).await?;
    Ok(())
}

/// Closes a call by a moderator's decision.
pub async fn close(
    state: &AppState,
    c: &Community,
    id: &str,
) -> Result<CallForVolunteers, Refusal> {
    let (call, was_published) = state
        .orientation
        .desk
        .close_call(&c.slug, id)
        .map_err(|e| Refusal(e.status(), e.to_string()))?;
    if was_published {
        announce_closed(state, c, &call).await?;
    }
    Ok(call)
}
