//! What a place publishes itself: events (in the shape Mobilizon federates: `startTime`,
//! `endTime`, a `location` that is a `Place` with a postal address and coordinates, capacity,
//! join mode) and news (`Note` or `Article`). A moderator posts the object (or `Create`,
//! `Update`, `Delete` of it) to the community's outbox; the community publishes it to the
//! public and its followers, so a Mastodon user who follows the place sees the event.

use crate::federation::Federation;
use crate::moderation::Refusal;
use kommon_activitypub::addressing::PUBLIC;
use kommon_activitypub::collection;
use kommon_activitypub::delivery::{next_seq, now_ms};
use kommon_activitypub::json;
use kommon_rdf::StoreError;
use serde_json::{Value, json};

const OBJECTS: &str = "community-objects";

/// The kinds of object a place publishes, and the collection each goes to.
pub fn collection_of(object: &Value) -> Option<&'static str> {
    if json::has_type(object, "Event") {
        Some("events")
    } else if json::has_type(object, "Note") || json::has_type(object, "Article") {
        Some("news")
    } else if is_call(object) {
        Some("calls")
    } else {
        None
    }
}

/// Whether an object is a call for volunteers (written on the orientation page only).
pub fn is_call(object: &Value) -> bool {
    json::has_type(object, "kommon:CallForVolunteers")
        || json::has_type(object, "https://w3id.org/kommon/ns#CallForVolunteers")
}

fn refuse(message: impl Into<String>) -> Refusal {
    Refusal(400, message.into())
}

fn rfc3339_ok(v: &Value) -> bool {
    // ASCII first: the byte offsets below would otherwise cut a character in two.
    v.as_str().is_some_and(|s| {
        s.is_ascii()
            && s.len() >= 20
            && s.len() <= 40
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[10] == b'T'
            && (s.ends_with('Z') || s[19..].contains(['+', '-']))
    })
}

/// Checks an object a place publishes: what peers need to show it, within bounds.
pub fn check(object: &Value) -> Result<(), Refusal> {
    let text = |k: &str, max: usize| -> Result<(), Refusal> {
        match object.get(k) {
            None => Ok(()),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(()),
            Some(_) => Err(refuse(format!(
                "{k} must be text of at most {max} characters"
            ))),
        }
    };
    text("name", 300)?;
    text("summary", 2000)?;
    text("content", 20_000)?;
    if is_call(object) {
        for k in ["name", "content"] {
            if object
                .get(k)
                .and_then(Value::as_str)
                .is_none_or(|n| n.trim().is_empty())
            {
                return Err(refuse(format!("a call for volunteers needs a {k}")));
            }
        }
    } else if json::has_type(object, "Event") {
        if object
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(|n| n.trim().is_empty())
        {
            return Err(refuse("an event needs a name"));
        }
        if !object.get("startTime").is_some_and(rfc3339_ok) {
            return Err(refuse(
                "an event needs a startTime (RFC 3339, such as 2026-12-05T18:00:00+01:00)",
            ));
        }
        if let Some(end) = object.get("endTime")
            && !rfc3339_ok(end)
        {
            return Err(refuse("endTime must be an RFC 3339 date and time"));
        }
        if let Some(loc) = object.get("location") {
            for (k, range) in [("latitude", 90.0), ("longitude", 180.0)] {
                if let Some(v) = loc.get(k)
                    && v.as_f64().is_none_or(|x| x.abs() > range)
                {
                    return Err(refuse(format!(
                        "location.{k} must be a number within ±{range}"
                    )));
                }
            }
        }
        if let Some(c) = object.get("maximumAttendeeCapacity")
            && c.as_u64().is_none_or(|c| c > 1_000_000)
        {
            return Err(refuse("maximumAttendeeCapacity must be a whole number"));
        }
    } else if object
        .get("content")
        .and_then(Value::as_str)
        .is_none_or(|c| c.trim().is_empty())
    {
        return Err(refuse("news needs content"));
    }
    Ok(())
}

/// The stored object `id`, if this server published it.
pub fn object(fed: &Federation, id: &str) -> Result<Option<Value>, StoreError> {
    Ok(fed
        .store
        .keyspace(OBJECTS)
        .get(id.as_bytes())?
        .and_then(|v| serde_json::from_slice(&v).ok()))
}

fn object_exists(fed: &Federation, id: &str) -> Result<bool, StoreError> {
    Ok(fed.store.keyspace(OBJECTS).get(id.as_bytes())?.is_some())
}

/// Publishes an object (a `Create`, or a bare object), an `Update` or a `Delete` of community
/// `slug`; the activity for the community to send.
pub fn prepare(fed: &Federation, slug: &str, activity: &Value) -> Result<Value, Refusal> {
    let community = fed.community_id(slug);
    let now = kommon_solid::storage::xsd_datetime(now_ms());
    let addressing = json!({"to": [PUBLIC[0]], "cc": [fed.collection(slug, "followers")]});
    let kind = if json::is_activity(activity) {
        json::types(activity)
            .first()
            .map(|t| t.to_string())
            .unwrap_or_default()
    } else {
        "Create".into()
    };
    let store_err = |e: StoreError| Refusal(500, e.to_string());
    match kind.as_str() {
        "Create" => {
            let mut object = if json::is_activity(activity) {
                activity.get("object").cloned().unwrap_or(Value::Null)
            } else {
                activity.clone()
            };
            let Some(which) = collection_of(&object) else {
                return Err(refuse("a place publishes Event, Note or Article objects"));
            };
            check(&object)?;
            // A call keeps the id the orientation desk gave it, under the place's calls.
            let calls = format!("{}/", fed.collection(slug, "calls"));
            let preset = json::id_of(&object)
                .filter(|id| which == "calls" && id.starts_with(&calls))
                .map(str::to_owned);
            let id = match preset {
                Some(id) if object_exists(fed, &id).map_err(store_err)? => {
                    return Err(Refusal(409, format!("{id} is already published")));
                }
                Some(id) => id,
                None => fed.new_id(slug, which),
            };
            if let Some(o) = object.as_object_mut() {
                o.remove("@context");
                o.insert("id".into(), json!(id));
                o.insert("attributedTo".into(), json!(community));
                o.insert("published".into(), json!(now));
                o.insert("to".into(), addressing["to"].clone());
                o.insert("cc".into(), addressing["cc"].clone());
                if which == "events" {
                    o.entry("joinMode").or_insert(json!("free"));
                }
            }
            let coll = fed.collection(slug, which);
            let value = serde_json::to_vec(&object).unwrap_or_default();
            fed.store
                .transaction(|tx| -> Result<(), StoreError> {
                    tx.keyspace_insert(OBJECTS, id.as_bytes(), &value);
                    collection::add(tx, &coll, &id, next_seq())?;
                    Ok(())
                })
                .map_err(store_err)?;
            Ok(
                json!({"type": "Create", "object": object, "to": addressing["to"], "cc": addressing["cc"]}),
            )
        }
        "Update" => {
            let Some(new) = activity.get("object").filter(|o| o.is_object()) else {
                return Err(refuse("Update needs the whole object, with its id"));
            };
            let id = json::id_of(new).unwrap_or_default().to_owned();
            let old = object(fed, &id)
                .map_err(store_err)?
                .ok_or_else(|| Refusal(404, format!("{id} is not an object of this place")))?;
            if old.get("attributedTo").and_then(Value::as_str) != Some(community.as_str()) {
                return Err(Refusal(403, format!("{id} belongs to another place")));
            }
            let mut object = new.clone();
            check(&object)?;
            if let Some(o) = object.as_object_mut() {
                o.remove("@context");
                o.insert("attributedTo".into(), json!(community));
                o.insert("published".into(), old["published"].clone());
                o.insert("updated".into(), json!(now));
                o.insert("to".into(), addressing["to"].clone());
                o.insert("cc".into(), addressing["cc"].clone());
                o.insert("type".into(), old["type"].clone());
            }
            fed.store
                .keyspace(OBJECTS)
                .insert(
                    id.as_bytes(),
                    &serde_json::to_vec(&object).unwrap_or_default(),
                )
                .map_err(store_err)?;
            Ok(
                json!({"type": "Update", "object": object, "to": addressing["to"], "cc": addressing["cc"]}),
            )
        }
        "Delete" => {
            let id = activity
                .get("object")
                .and_then(json::id_of)
                .unwrap_or_default()
                .to_owned();
            let old = object(fed, &id)
                .map_err(store_err)?
                .ok_or_else(|| Refusal(404, format!("{id} is not an object of this place")))?;
            if old.get("attributedTo").and_then(Value::as_str) != Some(community.as_str()) {
                return Err(Refusal(403, format!("{id} belongs to another place")));
            }
            let tombstone =
                json!({"id": id, "type": "Tombstone", "formerType": old["type"], "deleted": now});
            let which = collection_of(&old).unwrap_or("news");
            let coll = fed.collection(slug, which);
            let value = serde_json::to_vec(&tombstone).unwrap_or_default();
            fed.store
                .transaction(|tx| -> Result<(), StoreError> {
                    tx.keyspace_insert(OBJECTS, id.as_bytes(), &value);
                    collection::remove(tx, &coll, &id)?;
                    Ok(())
                })
                .map_err(store_err)?;
            Ok(
                json!({"type": "Delete", "object": tombstone, "to": addressing["to"], "cc": addressing["cc"]}),
            )
        }
        _ => Err(refuse(
            "a moderator posts Accept or Reject of a pending Join, Remove of a resident, or an Event, Note or Article (or Update or Delete of one)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked() {
        let ok =
            json!({"type": "Event", "name": "Atelier", "startTime": "2026-12-05T18:00:00+01:00"});
        assert!(check(&ok).is_ok());
        for bad in [
            json!({"type": "Event", "startTime": "2026-12-05T18:00:00Z"}),
            json!({"type": "Event", "name": "x", "startTime": "demain"}),
            json!({"type": "Event", "name": "x", "startTime": "2026-12-05T18:00:00éééééé"}),
            json!({"type": "Event", "name": "x", "startTime": "ééééééééééééééééééééé"}),
            json!({"type": "Event", "name": "x", "startTime": "2026-12-05T18:00:00Z", "endTime": 3}),
            json!({"type": "Event", "name": "x", "startTime": "2026-12-05T18:00:00Z", "location": {"latitude": 91}}),
            json!({"type": "Event", "name": "x", "startTime": "2026-12-05T18:00:00Z", "maximumAttendeeCapacity": -1}),
            json!({"type": "Event", "name": "x".repeat(301), "startTime": "2026-12-05T18:00:00Z"}),
            json!({"type": "Note"}),
        ] {
            assert!(check(&bad).is_err(), "{bad}");
        }
        assert_eq!(collection_of(&json!({"type": "Article"})), Some("news"));
        assert_eq!(collection_of(&json!({"type": "Person"})), None);
    }
}
