//! Offers: a resident offers something of theirs (a project, an event) to a place's collection
//! with `Offer{object, target}`; a moderator accepts it (the place keeps a copy that says where
//! it comes from, `prov:wasDerivedFrom`, and lists it in the collection) or refuses it. The
//! author's later `Update` refreshes the copy and their `Delete` removes it. Only the author of
//! an object may offer it.

use kommon_activitypub::collection;
use kommon_activitypub::delivery::next_seq;
use kommon_rdf::{Keyspace, QuadStore, StoreError, Transaction};
use serde::{Deserialize, Serialize};

const OFFERS: &str = "offers";
const COPIES: &str = "offer-copies";

/// An offer waiting for a moderator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The `Offer` activity's id.
    pub id: String,
    /// Who offers (the author).
    pub actor: String,
    /// The community's actor.
    pub community: String,
    /// The collection it is offered to.
    pub target: String,
    /// The offered object as the author's server gives it.
    pub object: serde_json::Value,
    /// What the author wrote to the moderators.
    #[serde(default)]
    pub message: String,
    /// When it arrived.
    pub received_ms: u64,
}

/// Records an offer as pending (in the community's `pending` collection, with the Joins).
pub fn receive(tx: &mut Transaction<'_>, offer: &Offer) -> Result<bool, StoreError> {
    if tx.keyspace_get(OFFERS, offer.id.as_bytes())?.is_some() {
        return Ok(false);
    }
    let v = serde_json::to_vec(offer).map_err(|e| StoreError::Corrupted(e.to_string()))?;
    tx.keyspace_insert(OFFERS, offer.id.as_bytes(), &v);
    collection::add(
        tx,
        &crate::membership::pending_collection(&offer.community),
        &offer.id,
        next_seq(),
    )?;
    Ok(true)
}

/// Takes a pending offer out of the pending list (to accept or refuse it); `None` if it is not
/// pending in this community.
pub fn take(
    tx: &mut Transaction<'_>,
    community: &str,
    offer_id: &str,
) -> Result<Option<Offer>, StoreError> {
    let Some(v) = tx.keyspace_get(OFFERS, offer_id.as_bytes())? else {
        return Ok(None);
    };
    let offer: Offer =
        serde_json::from_slice(&v).map_err(|e| StoreError::Corrupted(e.to_string()))?;
    let pending = crate::membership::pending_collection(community);
    if offer.community != community || !collection::remove(tx, &pending, offer_id)? {
        return Ok(None);
    }
    Ok(Some(offer))
}

/// Remembers that `copy` (in `collection`) was made from `original`.
pub fn remember_copy(tx: &mut Transaction<'_>, original: &str, copy: &str, collection_id: &str) {
    let v = serde_json::json!({"copy": copy, "collection": collection_id}).to_string();
    tx.keyspace_insert(COPIES, original.as_bytes(), v.as_bytes());
}

/// Forgets a copy (its original was deleted).
pub fn forget_copy(tx: &mut Transaction<'_>, original: &str) {
    tx.keyspace_remove(COPIES, original.as_bytes());
}

/// Reads offers and copies.
#[derive(Clone)]
pub struct OfferRecords {
    offers: Keyspace,
    copies: Keyspace,
}

impl OfferRecords {
    /// The records kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            offers: store.keyspace(OFFERS),
            copies: store.keyspace(COPIES),
        }
    }

    /// An offer by its id.
    pub fn offer(&self, id: &str) -> Result<Option<Offer>, StoreError> {
        Ok(self
            .offers
            .get(id.as_bytes())?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// The copy made from `original` and its collection, if any.
    pub fn copy_of(&self, original: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self.copies.get(original.as_bytes())?.and_then(|v| {
            let j: serde_json::Value = serde_json::from_slice(&v).ok()?;
            Some((
                j["copy"].as_str()?.to_owned(),
                j["collection"].as_str()?.to_owned(),
            ))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_then_taken_once() {
        let store = QuadStore::temporary().unwrap();
        let o = Offer {
            id: "https://p/ana/o1".into(),
            actor: "https://p/ana".into(),
            community: "https://c/le-6b".into(),
            target: "https://c/le-6b/projects".into(),
            object: serde_json::json!({"id": "https://p/ana/x"}),
            message: String::new(),
            received_ms: 1,
        };
        assert!(store.transaction(|tx| receive(tx, &o)).unwrap());
        assert!(!store.transaction(|tx| receive(tx, &o)).unwrap());
        assert!(
            store
                .transaction(|tx| take(tx, "https://c/other", &o.id))
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store
                .transaction(|tx| take(tx, &o.community, &o.id))
                .unwrap(),
            Some(o.clone())
        );
        assert!(
            store
                .transaction(|tx| take(tx, &o.community, &o.id))
                .unwrap()
                .is_none()
        );
        store
            .transaction(|tx| -> Result<(), StoreError> {
                remember_copy(
                    tx,
                    "https://p/ana/x",
                    "https://c/le-6b/projects/1",
                    "https://c/le-6b/projects",
                );
                Ok(())
            })
            .unwrap();
        let r = OfferRecords::new(&store);
        assert_eq!(
            r.copy_of("https://p/ana/x").unwrap().unwrap().0,
            "https://c/le-6b/projects/1"
        );
        assert!(r.offer(&o.id).unwrap().is_some());
    }
}
