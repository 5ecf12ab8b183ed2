//! Membership: a resident's `Join` becomes a pending request; a moderator accepts it (a
//! residency is created and the resident listed in the résidentothèque) or refuses it with a
//! reason; the resident may withdraw a pending request (`Undo{Join}`) or leave (`Leave`), and a
//! moderator may end a residency (`Remove`) with a reason told to the resident. Every decision
//! is logged.
//!
//! Each change is made inside the caller's transaction together with the collections
//! ActivityPub shows, so a crash never leaves a request both pending and decided.

use kommon_activitypub::collection;
use kommon_activitypub::delivery::next_seq;
use kommon_rdf::{Keyspace, QuadStore, StoreError, Transaction};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const REQUESTS: &str = "membership-requests";
const PENDING_BY_ACTOR: &str = "membership-pending-by-actor";
const RESIDENCIES: &str = "residencies";
const PAST_RESIDENCIES: &str = "residencies-past";
const DECISIONS: &str = "membership-decisions";

/// A request to join a community, as received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MembershipRequest {
    /// The `Join` activity's id.
    pub id: String,
    /// Who asks.
    pub actor: String,
    /// The community's actor.
    pub community: String,
    /// What they wrote to the moderators (the Join's `content` or `summary`).
    #[serde(default)]
    pub message: String,
    /// When it arrived (ms since the epoch).
    pub received_ms: u64,
}

/// An approved residency: a `kommon:Residency` (a `pair:MembershipAssociation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Residency {
    /// Its IRI.
    pub id: String,
    /// The resident's actor.
    pub member: String,
    /// The community's actor.
    pub community: String,
    /// The role (a concept of `kommon:ResidencyRoles`).
    pub role: String,
    /// Since when (ms since the epoch).
    pub start_ms: u64,
    /// Until when, once ended.
    #[serde(default)]
    pub end_ms: Option<u64>,
    /// The request it came from.
    pub request: String,
}

/// What a moderator decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The request is approved.
    Accepted,
    /// The request is refused, with a reason.
    Refused {
        /// Why.
        reason: String,
    },
    /// A residency was ended by a moderator, with a reason.
    Removed {
        /// Why.
        reason: String,
    },
}

/// One entry of the decisions log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The id of the activity that carried it (`Accept`, `Reject`, `Remove`).
    pub id: String,
    /// The request or residency it is about.
    pub about: String,
    /// The person concerned.
    pub member: String,
    /// The moderator who decided.
    pub moderator: String,
    /// What was decided.
    pub verdict: Verdict,
    /// When (ms since the epoch).
    pub at_ms: u64,
}

/// What became of a `Join`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinOutcome {
    /// It is pending, waiting for a moderator.
    Pending,
    /// A request of the same person is already pending: nothing changed.
    AlreadyPending(String),
    /// The person is already a resident: nothing changed.
    AlreadyResident,
}

/// Why a membership change was refused.
#[derive(Debug, Error)]
pub enum MembershipError {
    /// No such pending request.
    #[error("there is no pending request {0}")]
    NoSuchRequest(String),
    /// The person is not a resident.
    #[error("{0} is not a resident")]
    NotResident(String),
    /// A moderator tried to decide on their own request or residency.
    #[error("nobody decides on their own request")]
    OwnRequest,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<MembershipError> for StoreError {
    fn from(e: MembershipError) -> Self {
        match e {
            MembershipError::Store(s) => s,
            other => StoreError::Corrupted(other.to_string()),
        }
    }
}

fn pair(a: &str, b: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + b.len() + 1);
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

fn get<T: serde::de::DeserializeOwned>(
    tx: &Transaction<'_>,
    ks: &str,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    match tx.keyspace_get(ks, key)? {
        Some(v) => serde_json::from_slice(&v)
            .map(Some)
            .map_err(|e| StoreError::Corrupted(format!("a {ks} record: {e}"))),
        None => Ok(None),
    }
}

fn put<T: Serialize>(tx: &mut Transaction<'_>, ks: &str, key: &[u8], value: &T) {
    if let Ok(v) = serde_json::to_vec(value) {
        tx.keyspace_insert(ks, key, &v);
    }
}

/// The ActivityPub collections of a community actor.
pub fn pending_collection(community: &str) -> String {
    format!("{community}/pending")
}
/// The résidentothèque.
pub fn residents_collection(community: &str) -> String {
    format!("{community}/residents")
}
/// The decisions log.
pub fn decisions_collection(community: &str) -> String {
    format!("{community}/decisions")
}

/// Records a `Join`, unless the person is already a resident or already waiting.
pub fn receive_join(
    tx: &mut Transaction<'_>,
    request: &MembershipRequest,
) -> Result<JoinOutcome, MembershipError> {
    let c = &request.community;
    if tx
        .keyspace_get(RESIDENCIES, &pair(c, &request.actor))?
        .is_some()
    {
        return Ok(JoinOutcome::AlreadyResident);
    }
    if let Some(existing) = tx.keyspace_get(PENDING_BY_ACTOR, &pair(c, &request.actor))? {
        return Ok(JoinOutcome::AlreadyPending(
            String::from_utf8_lossy(&existing).into_owned(),
        ));
    }
    put(tx, REQUESTS, request.id.as_bytes(), request);
    tx.keyspace_insert(
        PENDING_BY_ACTOR,
        &pair(c, &request.actor),
        request.id.as_bytes(),
    );
    collection::add(tx, &pending_collection(c), &request.id, next_seq())?;
    Ok(JoinOutcome::Pending)
}

fn take_pending(
    tx: &mut Transaction<'_>,
    community: &str,
    join_id: &str,
) -> Result<MembershipRequest, MembershipError> {
    let request: MembershipRequest = get(tx, REQUESTS, join_id.as_bytes())?
        .filter(|r: &MembershipRequest| r.community == community)
        .ok_or_else(|| MembershipError::NoSuchRequest(join_id.to_owned()))?;
    if !collection::contains_in(tx, &pending_collection(community), join_id)? {
        return Err(MembershipError::NoSuchRequest(join_id.to_owned()));
    }
    collection::remove(tx, &pending_collection(community), join_id)?;
    tx.keyspace_remove(PENDING_BY_ACTOR, &pair(community, &request.actor));
    Ok(request)
}

/// The person withdraws their pending request (`Undo{Join}`); `false` when there was none of
/// theirs (another person cannot withdraw it).
pub fn withdraw(
    tx: &mut Transaction<'_>,
    community: &str,
    join_id: &str,
    actor: &str,
) -> Result<bool, MembershipError> {
    match get::<MembershipRequest>(tx, REQUESTS, join_id.as_bytes())? {
        Some(r) if r.actor == actor && r.community == community => {
            match take_pending(tx, community, join_id) {
                Ok(_) => Ok(true),
                Err(MembershipError::NoSuchRequest(_)) => Ok(false),
                Err(e) => Err(e),
            }
        }
        _ => Ok(false),
    }
}

/// A moderator decides on a pending request. Accepting creates the residency `residency_id`
/// and lists the person among the residents. The decision is logged under `decision_id`.
#[allow(clippy::too_many_arguments)]
pub fn decide(
    tx: &mut Transaction<'_>,
    community: &str,
    join_id: &str,
    moderator: &str,
    verdict: Verdict,
    decision_id: &str,
    residency_id: &str,
    now_ms: u64,
) -> Result<(MembershipRequest, Decision, Option<Residency>), MembershipError> {
    let request: MembershipRequest = get(tx, REQUESTS, join_id.as_bytes())?
        .ok_or_else(|| MembershipError::NoSuchRequest(join_id.to_owned()))?;
    if request.actor == moderator {
        return Err(MembershipError::OwnRequest);
    }
    let request = take_pending(tx, community, join_id)?;
    let residency = if verdict == Verdict::Accepted {
        let r = Residency {
            id: residency_id.to_owned(),
            member: request.actor.clone(),
            community: community.to_owned(),
            role: format!("{}role-resident", kommon_vocab::ns::KOMMON),
            start_ms: now_ms,
            end_ms: None,
            request: join_id.to_owned(),
        };
        put(tx, RESIDENCIES, &pair(community, &r.member), &r);
        collection::add(tx, &residents_collection(community), &r.member, next_seq())?;
        Some(r)
    } else {
        None
    };
    let decision = Decision {
        id: decision_id.to_owned(),
        about: join_id.to_owned(),
        member: request.actor.clone(),
        moderator: moderator.to_owned(),
        verdict,
        at_ms: now_ms,
    };
    put(tx, DECISIONS, decision_id.as_bytes(), &decision);
    collection::add(
        tx,
        &decisions_collection(community),
        decision_id,
        next_seq(),
    )?;
    Ok((request, decision, residency))
}

fn end_residency(
    tx: &mut Transaction<'_>,
    community: &str,
    member: &str,
    now_ms: u64,
) -> Result<Residency, MembershipError> {
    let mut r: Residency = get(tx, RESIDENCIES, &pair(community, member))?
        .ok_or_else(|| MembershipError::NotResident(member.to_owned()))?;
    tx.keyspace_remove(RESIDENCIES, &pair(community, member));
    collection::remove(tx, &residents_collection(community), member)?;
    r.end_ms = Some(now_ms);
    put(tx, PAST_RESIDENCIES, r.id.as_bytes(), &r);
    Ok(r)
}

/// The resident leaves (`Leave`).
pub fn leave(
    tx: &mut Transaction<'_>,
    community: &str,
    member: &str,
    now_ms: u64,
) -> Result<Residency, MembershipError> {
    end_residency(tx, community, member, now_ms)
}

/// A moderator ends a residency (`Remove`), with a reason.
pub fn remove(
    tx: &mut Transaction<'_>,
    community: &str,
    member: &str,
    moderator: &str,
    reason: &str,
    decision_id: &str,
    now_ms: u64,
) -> Result<(Residency, Decision), MembershipError> {
    if member == moderator {
        return Err(MembershipError::OwnRequest);
    }
    let r = end_residency(tx, community, member, now_ms)?;
    let decision = Decision {
        id: decision_id.to_owned(),
        about: r.id.clone(),
        member: member.to_owned(),
        moderator: moderator.to_owned(),
        verdict: Verdict::Removed {
            reason: reason.to_owned(),
        },
        at_ms: now_ms,
    };
    put(tx, DECISIONS, decision_id.as_bytes(), &decision);
    collection::add(
        tx,
        &decisions_collection(community),
        decision_id,
        next_seq(),
    )?;
    Ok((r, decision))
}

/// Reads membership records (the collections themselves are read with
/// [`kommon_activitypub::collection::Collections`]).
#[derive(Clone)]
pub struct MembershipRecords {
    requests: Keyspace,
    pending_by_actor: Keyspace,
    residencies: Keyspace,
    past: Keyspace,
    decisions: Keyspace,
}

fn read<T: serde::de::DeserializeOwned>(
    ks: &Keyspace,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    match ks.get(key)? {
        Some(v) => serde_json::from_slice(&v)
            .map(Some)
            .map_err(|e| StoreError::Corrupted(format!("a membership record: {e}"))),
        None => Ok(None),
    }
}

impl MembershipRecords {
    /// The records kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            requests: store.keyspace(REQUESTS),
            pending_by_actor: store.keyspace(PENDING_BY_ACTOR),
            residencies: store.keyspace(RESIDENCIES),
            past: store.keyspace(PAST_RESIDENCIES),
            decisions: store.keyspace(DECISIONS),
        }
    }

    /// A request by its `Join` id.
    pub fn request(&self, join_id: &str) -> Result<Option<MembershipRequest>, StoreError> {
        read(&self.requests, join_id.as_bytes())
    }

    /// The id of the `Join` of `actor` waiting in `community`, if one waits.
    pub fn pending_join(&self, community: &str, actor: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .pending_by_actor
            .get(&pair(community, actor))?
            .map(|id| String::from_utf8_lossy(&id).into_owned()))
    }

    /// The current residency of `member` in `community`.
    pub fn residency(
        &self,
        community: &str,
        member: &str,
    ) -> Result<Option<Residency>, StoreError> {
        read(&self.residencies, &pair(community, member))
    }

    /// An ended residency by its id.
    pub fn past_residency(&self, id: &str) -> Result<Option<Residency>, StoreError> {
        read(&self.past, id.as_bytes())
    }

    /// A decision by its id.
    pub fn decision(&self, id: &str) -> Result<Option<Decision>, StoreError> {
        read(&self.decisions, id.as_bytes())
    }

    /// Every current residency of a community.
    pub fn residencies(&self, community: &str) -> Result<Vec<Residency>, StoreError> {
        let mut prefix = community.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for e in self.residencies.scan_prefix(&prefix) {
            let (_, v) = e?;
            if let Ok(r) = serde_json::from_slice(&v) {
                out.push(r);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kommon_activitypub::collection::Collections;

    const C: &str = "https://cod.example/le-6b";
    const ANA: &str = "https://pods.example/ana";
    const MO: &str = "https://pods.example/mo";

    fn join(id: &str, actor: &str) -> MembershipRequest {
        MembershipRequest {
            id: id.into(),
            actor: actor.into(),
            community: C.into(),
            message: "Céramiste, atelier 2".into(),
            received_ms: 1,
        }
    }

    fn tx<T>(
        store: &QuadStore,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, MembershipError>,
    ) -> Result<T, MembershipError> {
        store.transaction(f)
    }

    #[test]
    fn join_approve_leave_and_join_again() {
        let store = QuadStore::temporary().unwrap();
        let colls = Collections::new(&store);
        let records = MembershipRecords::new(&store);
        assert_eq!(
            tx(&store, |t| receive_join(
                t,
                &join("https://pods.example/ana/j1", ANA)
            ))
            .unwrap(),
            JoinOutcome::Pending
        );
        // A second Join while pending changes nothing.
        assert_eq!(
            tx(&store, |t| receive_join(
                t,
                &join("https://pods.example/ana/j2", ANA)
            ))
            .unwrap(),
            JoinOutcome::AlreadyPending("https://pods.example/ana/j1".into())
        );
        assert_eq!(colls.len(&pending_collection(C)).unwrap(), 1);
        // Nobody approves their own request.
        assert!(matches!(
            tx(&store, |t| decide(
                t,
                C,
                "https://pods.example/ana/j1",
                ANA,
                Verdict::Accepted,
                "d0",
                "r0",
                2
            )),
            Err(MembershipError::OwnRequest)
        ));
        let (_, decision, residency) = tx(&store, |t| {
            decide(
                t,
                C,
                "https://pods.example/ana/j1",
                MO,
                Verdict::Accepted,
                "https://cod.example/le-6b/d1",
                "https://cod.example/le-6b/residencies/1",
                3,
            )
        })
        .unwrap();
        assert_eq!(decision.verdict, Verdict::Accepted);
        assert_eq!(residency.unwrap().member, ANA);
        assert_eq!(colls.len(&pending_collection(C)).unwrap(), 0);
        assert!(colls.contains(&residents_collection(C), ANA).unwrap());
        assert_eq!(records.residencies(C).unwrap().len(), 1);
        // Deciding again on the same request is refused.
        assert!(matches!(
            tx(&store, |t| decide(
                t,
                C,
                "https://pods.example/ana/j1",
                MO,
                Verdict::Accepted,
                "d2",
                "r2",
                4
            )),
            Err(MembershipError::NoSuchRequest(_))
        ));
        assert_eq!(
            tx(&store, |t| receive_join(
                t,
                &join("https://pods.example/ana/j3", ANA)
            ))
            .unwrap(),
            JoinOutcome::AlreadyResident
        );
        let ended = tx(&store, |t| leave(t, C, ANA, 5)).unwrap();
        assert_eq!(ended.end_ms, Some(5));
        assert!(records.past_residency(&ended.id).unwrap().is_some());
        assert!(!colls.contains(&residents_collection(C), ANA).unwrap());
        assert!(matches!(
            tx(&store, |t| leave(t, C, ANA, 6)),
            Err(MembershipError::NotResident(_))
        ));
        // Joining again later works.
        assert_eq!(
            tx(&store, |t| receive_join(
                t,
                &join("https://pods.example/ana/j4", ANA)
            ))
            .unwrap(),
            JoinOutcome::Pending
        );
        assert_eq!(colls.len(&decisions_collection(C)).unwrap(), 1);
    }

    #[test]
    fn refuse_withdraw_and_remove() {
        let store = QuadStore::temporary().unwrap();
        let colls = Collections::new(&store);
        tx(&store, |t| receive_join(t, &join("j1", ANA))).unwrap();
        // Someone else cannot withdraw ana's request.
        assert!(!tx(&store, |t| withdraw(t, C, "j1", MO)).unwrap());
        assert!(tx(&store, |t| withdraw(t, C, "j1", ANA)).unwrap());
        assert!(!tx(&store, |t| withdraw(t, C, "j1", ANA)).unwrap());
        assert_eq!(colls.len(&pending_collection(C)).unwrap(), 0);
        tx(&store, |t| receive_join(t, &join("j2", ANA))).unwrap();
        let (_, d, r) = tx(&store, |t| {
            decide(
                t,
                C,
                "j2",
                MO,
                Verdict::Refused {
                    reason: "complet".into(),
                },
                "d1",
                "r1",
                2,
            )
        })
        .unwrap();
        assert!(r.is_none());
        assert_eq!(
            d.verdict,
            Verdict::Refused {
                reason: "complet".into()
            }
        );
        tx(&store, |t| receive_join(t, &join("j3", ANA))).unwrap();
        tx(&store, |t| {
            decide(t, C, "j3", MO, Verdict::Accepted, "d2", "r2", 3)
        })
        .unwrap();
        assert!(matches!(
            tx(&store, |t| remove(t, C, ANA, ANA, "x", "d3", 4)),
            Err(MembershipError::OwnRequest)
        ));
        let (r, d) = tx(&store, |t| {
            remove(t, C, ANA, MO, "départ de l'atelier", "d4", 5)
        })
        .unwrap();
        assert_eq!(r.end_ms, Some(5));
        assert!(matches!(d.verdict, Verdict::Removed { .. }));
        assert_eq!(colls.len(&decisions_collection(C)).unwrap(), 3);
        // A failed decision inside a transaction writes nothing.
        assert!(
            tx(&store, |t| decide(
                t,
                C,
                "nope",
                MO,
                Verdict::Accepted,
                "d5",
                "r5",
                6
            ))
            .is_err()
        );
        assert_eq!(colls.len(&decisions_collection(C)).unwrap(), 3);
    }
}
