//! Where a server keeps the orientation of its places: their calls, the offers and requests
//! they received, and what each place accepts. Decisions change a request and its call in one
//! transaction, so a call is never counted filled by a volunteer whose acceptance was lost.

use crate::call::{CallForVolunteers, CallStatus};
use crate::error::OrientationError;
use crate::request::{HelpRequest, RequestKind, RequestStatus};
use crate::slots::Slot;
use chrono::NaiveDate;
use kommon_rdf::{QuadStore, StoreError, Transaction};
use serde::{Deserialize, Serialize};

const CALLS: &str = "orientation-calls";
const REQUESTS: &str = "orientation-requests";
const SETTINGS: &str = "orientation-settings";
/// The activity a request came or was routed in → its token, so that an `Undo`, an `Accept` or
/// a `Reject` finds its request without reading them all.
const BY_ACTIVITY: &str = "orientation-by-activity";

/// What a place accepts: the kinds of service requests it takes, the skills its residents
/// offer for them, how many requests it can follow at once, its hours, and how long it keeps
/// requests (RGPD).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaceOrientation {
    /// Service types it takes (IRIs); none means it takes no service requests.
    #[serde(default)]
    pub services: Vec<String>,
    /// Skills its residents offer for those services (IRIs).
    #[serde(default)]
    pub skills: Vec<String>,
    /// How many service requests it can have waiting or in progress at once.
    pub capacity: u32,
    /// When it receives people.
    #[serde(default)]
    pub hours: Vec<Slot>,
    /// Days after which a request and the personal data in it are erased.
    pub retention_days: u32,
}

impl Default for PlaceOrientation {
    fn default() -> Self {
        PlaceOrientation {
            services: Vec::new(),
            skills: Vec::new(),
            capacity: 10,
            hours: Vec::new(),
            retention_days: 90,
        }
    }
}

/// Shortest and longest retention a place may set, in days.
pub const RETENTION_DAYS: (u32, u32) = (7, 730);

/// The orientation records of one server.
#[derive(Clone)]
pub struct OrientationDesk {
    store: QuadStore,
}

fn key(slug: &str, id: &str) -> Vec<u8> {
    format!("{slug}/{id}").into_bytes()
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupted(e.to_string()))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupted(e.to_string()))
}

/// Writes a request, and the index entry of the activity it came or was routed in.
fn insert_request(tx: &mut Transaction<'_>, r: &HelpRequest) -> Result<(), StoreError> {
    tx.keyspace_insert(REQUESTS, &key(&r.community, &r.token), &encode(r)?);
    if let Some(a) = &r.activity {
        tx.keyspace_insert(BY_ACTIVITY, &key(&r.community, a), r.token.as_bytes());
    }
    Ok(())
}

/// Forgets the index entries of a request's activities (withdrawn or erased).
fn forget_activities(tx: &mut Transaction<'_>, r: &HelpRequest) {
    for a in r.activity.iter().chain(&r.route_offers).chain(&r.trail) {
        tx.keyspace_remove(BY_ACTIVITY, &key(&r.community, a));
    }
}

/// The pending request `token` of place `slug`, read in `tx`, or why it cannot be decided.
fn pending_in(
    tx: &Transaction<'_>,
    slug: &str,
    token: &str,
) -> Result<HelpRequest, OrientationError> {
    let r: HelpRequest = match tx.keyspace_get(REQUESTS, &key(slug, token))? {
        Some(b) => decode(&b)?,
        None => return Err(OrientationError::NotFound("demande")),
    };
    match r.status {
        RequestStatus::Pending => Ok(r),
        RequestStatus::Withdrawn { .. } => Err(OrientationError::Withdrawn),
        _ => Err(OrientationError::AlreadyDecided),
    }
}

impl OrientationDesk {
    /// The records kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        OrientationDesk {
            store: store.clone(),
        }
    }

    /// What place `slug` accepts (the defaults until its admins say).
    pub fn settings(&self, slug: &str) -> Result<PlaceOrientation, StoreError> {
        match self.store.keyspace(SETTINGS).get(slug.as_bytes())? {
            Some(b) => decode(&b),
            None => Ok(PlaceOrientation::default()),
        }
    }

    /// Saves what place `slug` accepts.
    pub fn set_settings(&self, slug: &str, s: &PlaceOrientation) -> Result<(), StoreError> {
        self.store
            .keyspace(SETTINGS)
            .insert(slug.as_bytes(), &encode(s)?)
    }

    /// Saves a call.
    pub fn put_call(&self, call: &CallForVolunteers) -> Result<(), StoreError> {
        self.store
            .keyspace(CALLS)
            .insert(&key(&call.community, &call.id), &encode(call)?)
    }

    /// Call `id` of place `slug`.
    pub fn call(&self, slug: &str, id: &str) -> Result<Option<CallForVolunteers>, StoreError> {
        self.store
            .keyspace(CALLS)
            .get(&key(slug, id))?
            .map(|b| decode(&b))
            .transpose()
    }

    /// The calls of place `slug`, newest first.
    pub fn calls(&self, slug: &str) -> Result<Vec<CallForVolunteers>, StoreError> {
        let mut out: Vec<CallForVolunteers> = Vec::new();
        for entry in self.store.keyspace(CALLS).scan_prefix(&key(slug, "")) {
            out.push(decode(&entry?.1)?);
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.created_ms));
        Ok(out)
    }

    /// Records a new request.
    pub fn add_request(&self, r: &HelpRequest) -> Result<(), StoreError> {
        self.store.transaction(|tx| insert_request(tx, r))
    }

    /// The request of place `slug` that came or was last routed in `activity`, if any.
    pub fn request_by_activity(
        &self,
        slug: &str,
        activity: &str,
    ) -> Result<Option<HelpRequest>, StoreError> {
        let Some(token) = self.store.keyspace(BY_ACTIVITY).get(&key(slug, activity))? else {
            return Ok(None);
        };
        let token = String::from_utf8_lossy(&token).into_owned();
        // An entry left by an older routing of the same request answers nothing.
        Ok(self
            .request(slug, &token)?
            .filter(|r| r.activity.as_deref() == Some(activity)))
    }

    /// Request `token` of place `slug`.
    pub fn request(&self, slug: &str, token: &str) -> Result<Option<HelpRequest>, StoreError> {
        self.store
            .keyspace(REQUESTS)
            .get(&key(slug, token))?
            .map(|b| decode(&b))
            .transpose()
    }

    /// The requests of place `slug`, oldest first.
    pub fn requests(&self, slug: &str) -> Result<Vec<HelpRequest>, StoreError> {
        let mut out: Vec<HelpRequest> = Vec::new();
        for entry in self.store.keyspace(REQUESTS).scan_prefix(&key(slug, "")) {
            out.push(decode(&entry?.1)?);
        }
        out.sort_by_key(|r| r.created_ms);
        Ok(out)
    }

    /// Whether place `slug` can take one more service request.
    pub fn takes_service_requests(&self, slug: &str) -> Result<bool, StoreError> {
        let settings = self.settings(slug)?;
        if settings.services.is_empty() {
            return Ok(false);
        }
        let waiting = self
            .requests(slug)?
            .iter()
            .filter(|r| r.kind == RequestKind::Service && r.is_pending())
            .count();
        Ok((waiting as u32) < settings.capacity)
    }

    /// Changes a pending request with `decide`, and its call when it names one, atomically.
    fn decide(
        &self,
        slug: &str,
        token: &str,
        call_id: Option<&str>,
        today: NaiveDate,
        decide: impl FnOnce(&mut HelpRequest),
    ) -> Result<(HelpRequest, Option<CallForVolunteers>), OrientationError> {
        self.store.transaction(|tx| {
            let mut r = pending_in(tx, slug, token)?;
            let call = match call_id {
                Some(id) => {
                    let mut c: CallForVolunteers = match tx.keyspace_get(CALLS, &key(slug, id))? {
                        Some(b) => decode(&b)?,
                        None => return Err(OrientationError::NotFound("appel")),
                    };
                    if !c.is_open(today) {
                        return Err(OrientationError::CallClosed);
                    }
                    c.accepted.push(r.token.clone());
                    if c.places_left() == 0 {
                        c.status = CallStatus::Closed;
                    }
                    tx.keyspace_insert(CALLS, &key(slug, id), &encode(&c)?);
                    Some(c)
                }
                None => None,
            };
            decide(&mut r);
            tx.keyspace_insert(REQUESTS, &key(slug, token), &encode(&r)?);
            Ok((r, call))
        })
    }

    /// Accepts a pending request, for call `call_id` when given (the call closes when this
    /// fills it): the request and the call as they now are.
    pub fn accept(
        &self,
        slug: &str,
        token: &str,
        call_id: Option<&str>,
        note: &str,
        today: NaiveDate,
        now_ms: u64,
    ) -> Result<(HelpRequest, Option<CallForVolunteers>), OrientationError> {
        let note: String = note.chars().take(2000).collect();
        let call = call_id.map(str::to_owned);
        self.decide(slug, token, call_id, today, |r| {
            r.status = RequestStatus::Accepted {
                call,
                note,
                at_ms: now_ms,
            }
        })
    }

    /// Declines a pending request with a reason told to the person.
    pub fn decline(
        &self,
        slug: &str,
        token: &str,
        reason: &str,
        today: NaiveDate,
        now_ms: u64,
    ) -> Result<HelpRequest, OrientationError> {
        let reason: String = reason.trim().chars().take(2000).collect();
        if reason.is_empty() {
            return Err(OrientationError::Missing("raison"));
        }
        self.decide(slug, token, None, today, |r| {
            r.status = RequestStatus::Declined {
                reason,
                at_ms: now_ms,
            }
        })
        .map(|(r, _)| r)
    }

    /// Whether place `slug` accepted an application to become a resident from the pod `webid`:
    /// its `Join` from that pod is then accepted without a second decision.
    pub fn pre_approved(&self, slug: &str, webid: &str) -> Result<bool, StoreError> {
        Ok(self.requests(slug)?.iter().any(|r| {
            r.kind == RequestKind::Residency
                && r.webid.as_deref() == Some(webid)
                && matches!(r.status, RequestStatus::Accepted { .. })
        }))
    }

    /// Changes a pending request with `change`, atomically; the request as it now is.
    pub fn update_pending(
        &self,
        slug: &str,
        token: &str,
        change: impl FnOnce(&mut HelpRequest),
    ) -> Result<HelpRequest, OrientationError> {
        self.store.transaction(|tx| {
            let mut r = pending_in(tx, slug, token)?;
            change(&mut r);
            insert_request(tx, &r)?;
            Ok(r)
        })
    }

    /// The person withdraws their request: its personal data is erased at once; a volunteer
    /// accepted for a call frees their place (a call filled reopens, one closed by a moderator
    /// stays closed). Returns the request as it was, and the call when it reopened.
    /// Withdrawing twice changes nothing.
    pub fn withdraw(
        &self,
        slug: &str,
        token: &str,
        today: NaiveDate,
        now_ms: u64,
    ) -> Result<(HelpRequest, Option<CallForVolunteers>), OrientationError> {
        self.store.transaction(|tx| {
            let before: HelpRequest = match tx.keyspace_get(REQUESTS, &key(slug, token))? {
                Some(b) => decode(&b)?,
                None => return Err(OrientationError::NotFound("demande")),
            };
            if matches!(before.status, RequestStatus::Withdrawn { .. }) {
                return Ok((before, None));
            }
            let mut reopened = None;
            if let RequestStatus::Accepted { call: Some(id), .. } = &before.status
                && let Some(b) = tx.keyspace_get(CALLS, &key(slug, id))?
            {
                let mut call: CallForVolunteers = decode(&b)?;
                call.accepted.retain(|t| t != token);
                if call.status == CallStatus::Closed
                    && !call.closed_manually
                    && call.object.is_some()
                    && call.valid_through >= today
                {
                    call.status = CallStatus::Published;
                    reopened = Some(call.clone());
                }
                tx.keyspace_insert(CALLS, &key(slug, id), &encode(&call)?);
            }
            forget_activities(tx, &before);
            let mut r = before.clone();
            r.erase_personal_data();
            r.trail.clear();
            r.status = RequestStatus::Withdrawn { at_ms: now_ms };
            tx.keyspace_insert(REQUESTS, &key(slug, token), &encode(&r)?);
            Ok((before, reopened))
        })
    }

    /// Records another activity that carries request `token` (to erase it with the request).
    pub fn add_to_trail(&self, slug: &str, token: &str, activity: &str) -> Result<(), StoreError> {
        self.store.transaction(|tx| {
            let Some(b) = tx.keyspace_get(REQUESTS, &key(slug, token))? else {
                return Ok(());
            };
            let mut r: HelpRequest = decode(&b)?;
            if !r.trail.iter().any(|t| t == activity) {
                r.trail.push(activity.to_owned());
                tx.keyspace_insert(REQUESTS, &key(slug, token), &encode(&r)?);
            }
            Ok(())
        })
    }

    /// Records a new service request if place `slug` takes such requests and has room for one
    /// more (checked in the same transaction: two at once cannot both take the last place).
    pub fn add_service_request(&self, r: &HelpRequest) -> Result<(), OrientationError> {
        let settings = self.settings(&r.community)?;
        if settings.services.is_empty() {
            return Err(OrientationError::Full);
        }
        let prefix = key(&r.community, "");
        self.store.transaction(|tx| {
            let mut waiting = 0u32;
            for entry in self.store.keyspace(REQUESTS).scan_prefix(&prefix) {
                let q: HelpRequest = decode(&entry?.1)?;
                if q.kind == RequestKind::Service && q.is_pending() {
                    waiting += 1;
                }
            }
            if waiting >= settings.capacity {
                return Err(OrientationError::Full);
            }
            insert_request(tx, r)?;
            Ok(())
        })
    }

    /// Closes call `id` by a moderator's decision, in one transaction (an acceptance at the same
    /// moment is not lost). Returns the call, and whether it was published.
    pub fn close_call(
        &self,
        slug: &str,
        id: &str,
    ) -> Result<(CallForVolunteers, bool), OrientationError> {
        self.store.transaction(|tx| {
            let mut call: CallForVolunteers = match tx.keyspace_get(CALLS, &key(slug, id))? {
                Some(b) => decode(&b)?,
                None => return Err(OrientationError::NotFound("appel")),
            };
            let was_published = call.status == CallStatus::Published;
            call.status = CallStatus::Closed;
            call.closed_manually = true;
            tx.keyspace_insert(CALLS, &key(slug, id), &encode(&call)?);
            Ok((call, was_published))
        })
    }

    /// Erases every request older than its place's retention; the requests erased (their
    /// trails are for the caller to erase). A record that does not read is skipped, not a
    /// reason to erase nothing.
    pub fn erase_expired(&self, now_ms: u64) -> Result<Vec<HelpRequest>, StoreError> {
        let mut expired: Vec<(Vec<u8>, HelpRequest)> = Vec::new();
        let mut retention: std::collections::HashMap<String, u64> = Default::default();
        for entry in self.store.keyspace(REQUESTS).scan_prefix(b"") {
            let (k, v) = entry?;
            let Ok(r) = decode::<HelpRequest>(&v) else {
                tracing::warn!(key = %String::from_utf8_lossy(&k), "a request record that does not read");
                continue;
            };
            let days = match retention.get(&r.community) {
                Some(d) => *d,
                None => {
                    let d = self.settings(&r.community)?.retention_days as u64;
                    retention.insert(r.community.clone(), d);
                    d
                }
            };
            if r.created_ms + days * 86_400_000 < now_ms {
                expired.push((k, r));
            }
        }
        self.store.transaction(|tx| -> Result<(), StoreError> {
            for (k, r) in &expired {
                tx.keyspace_remove(REQUESTS, k);
                forget_activities(tx, r);
            }
            Ok(())
        })?;
        Ok(expired.into_iter().map(|(_, r)| r).collect())
    }
}
