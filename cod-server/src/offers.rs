//! Offers of residents' projects and events to a place: authorship is checked when the `Offer`
//! arrives (the object, fetched from the author's server or as embedded, is attributed to the
//! sender, on the sender's host), a moderator accepts or refuses it, and the accepted copy
//! follows its original's `Update` and `Delete`.

use crate::federation::Federation;
use kommon_activitypub::addressing::PUBLIC;
use kommon_activitypub::collection;
use kommon_activitypub::delivery::{next_seq, now_ms};
use kommon_activitypub::json;
use kommon_community::offers::{self, Offer};
use kommon_rdf::StoreError;
use serde_json::{Value, json};

/// The collections a place takes offers into.
pub const TARGETS: &[&str] = &["projects", "events"];

const OBJECTS: &str = "community-objects";
/// `prov:wasDerivedFrom`, as the copy names its original.
pub const DERIVED_FROM: &str = "http://www.w3.org/ns/prov#wasDerivedFrom";

/// The offered object as its author's server gives it (fetched with the instance actor's signed
/// GET), or as embedded in the activity when it cannot be fetched; `Err` with the reason when the
/// sender is not its author.
pub async fn authored_object(
    fed: &Federation,
    activity: &Value,
    signer: &str,
) -> Result<Value, String> {
    let embedded = activity.get("object").filter(|o| o.is_object()).cloned();
    let id = activity
        .get("object")
        .and_then(json::id_of)
        .ok_or("the offer names no object")?
        .to_owned();
    if json::authority(&id) != json::authority(signer) {
        return Err(format!("{id} is not on the sender's server"));
    }
    let object = match fed.actors.fetch_json(&id).await {
        Ok(o) if json::id_of(&o) == Some(id.as_str()) => o,
        _ => embedded
            .ok_or_else(|| format!("{id} cannot be read and was not sent with the offer"))?,
    };
    let authors = json::ids(&object, "attributedTo");
    if !authors.iter().any(|a| a == signer) {
        return Err(format!("{signer} is not the author of {id}"));
    }
    Ok(object)
}

/// The place's copy of an original: its content, a new id, where it comes from.
fn copy_of(fed: &Federation, slug: &str, original: &Value, copy_id: &str, author: &str) -> Value {
    let mut copy = original.clone();
    if let Some(o) = copy.as_object_mut() {
        o.remove("@context");
        o.remove("bto");
        o.remove("bcc");
        o.insert("id".into(), json!(copy_id));
        o.insert(
            DERIVED_FROM.into(),
            json!(json::id_of(original).unwrap_or_default()),
        );
        o.insert("attributedTo".into(), json!(author));
        o.insert("context".into(), json!(fed.community_id(slug)));
        o.insert("to".into(), json!([PUBLIC[0]]));
        o.insert("cc".into(), json!([fed.collection(slug, "followers")]));
    }
    copy
}

/// Accepts a pending offer: the copy is kept and listed; the activities for the community to
/// send (the `Accept` to the author, the `Add` to followers).
pub fn accept(fed: &Federation, slug: &str, offer: &Offer) -> Result<(Value, Value), StoreError> {
    let which = offer
        .target
        .rsplit('/')
        .next()
        .unwrap_or("projects")
        .to_owned();
    let copy_id = fed.new_id(slug, &which);
    let copy = copy_of(fed, slug, &offer.object, &copy_id, &offer.actor);
    let coll = fed.collection(slug, &which);
    let original = json::id_of(&offer.object).unwrap_or_default().to_owned();
    let value = serde_json::to_vec(&copy).unwrap_or_default();
    fed.store.transaction(|tx| -> Result<(), StoreError> {
        tx.keyspace_insert(OBJECTS, copy_id.as_bytes(), &value);
        collection::add(tx, &coll, &copy_id, next_seq())?;
        offers::remember_copy(tx, &original, &copy_id, &coll);
        Ok(())
    })?;
    let offer_activity = fed
        .activity(&offer.id)?
        .unwrap_or_else(|| json!({"id": offer.id, "type": "Offer"}));
    let mut offer_activity = offer_activity;
    if let Some(o) = offer_activity.as_object_mut() {
        o.remove("@context");
    }
    Ok((
        json!({"type": "Accept", "object": offer_activity, "result": copy_id, "to": [offer.actor]}),
        json!({"type": "Add", "object": copy, "target": coll, "to": [PUBLIC[0]], "cc": [fed.collection(slug, "followers")]}),
    ))
}

/// The author updated or deleted an original the place copied: the copy follows; the activity
/// for the community to send to its followers, if any.
pub fn follow_original(
    fed: &Federation,
    slug: &str,
    activity: &Value,
    signer: &str,
    fresh: Option<Value>,
) -> Result<Option<Value>, StoreError> {
    let Some(original) = activity
        .get("object")
        .and_then(json::id_of)
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    let Some((copy_id, coll)) = fed.offers.copy_of(&original)? else {
        return Ok(None);
    };
    if !copy_id.starts_with(&format!("{}/", fed.community_id(slug))) {
        return Ok(None);
    }
    let followers = fed.collection(slug, "followers");
    if json::has_type(activity, "Delete") {
        let tombstone = json!({"id": copy_id, "type": "Tombstone", "deleted": kommon_solid::storage::xsd_datetime(now_ms())});
        let value = serde_json::to_vec(&tombstone).unwrap_or_default();
        fed.store.transaction(|tx| -> Result<(), StoreError> {
            tx.keyspace_insert(OBJECTS, copy_id.as_bytes(), &value);
            collection::remove(tx, &coll, &copy_id)?;
            offers::forget_copy(tx, &original);
            Ok(())
        })?;
        return Ok(Some(
            json!({"type": "Delete", "object": tombstone, "to": [PUBLIC[0]], "cc": [followers]}),
        ));
    }
    let Some(fresh) = fresh else {
        return Ok(None);
    };
    if !json::ids(&fresh, "attributedTo")
        .iter()
        .any(|a| a == signer)
    {
        return Ok(None);
    }
    let copy = copy_of(fed, slug, &fresh, &copy_id, signer);
    fed.store.keyspace(OBJECTS).insert(
        copy_id.as_bytes(),
        &serde_json::to_vec(&copy).unwrap_or_default(),
    )?;
    Ok(Some(
        json!({"type": "Update", "object": copy, "to": [PUBLIC[0]], "cc": [followers]}),
    ))
}
