//! Delivery that never loses an activity.
//!
//! An outgoing activity and one entry per target inbox are written with
//! [`DeliveryQueue::enqueue`] inside the transaction of the change that caused them, so either
//! both exist or neither does. One worker per remote host (`host:port`) then signs and posts its
//! entries, a few at a time, and removes each only once the host has answered 2xx (or refused
//! it for good with a 4xx that retrying cannot fix). A failed entry waits longer after each
//! attempt (Mastodon's curve, spread over about a week for 16 attempts); a host whose entry
//! exhausts its attempts is marked unavailable and only probed now and then, so it never
//! holds up the others, and resumes as soon as it answers again. Workers find their entries in
//! the store when the server starts: a restart, even a SIGKILL, only repeats the posts that
//! were in flight, which receivers deduplicate by activity id.

use crate::guard::GuardedFetcher;
use kommon_http_signatures::SigningKey;
use kommon_rdf::{Keyspace, QuadStore, StoreError, Transaction};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

const ACTIVITIES: &str = "ap-activities";
const DELIVERIES: &str = "ap-deliveries";
const HOSTS: &str = "ap-hosts";
const DEAD: &str = "ap-dead-deliveries";

/// The number of attempts before an entry is given up and its host marked unavailable.
pub const MAX_ATTEMPTS: u32 = 16;

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A process-wide increasing sequence, from the clock in microseconds so it keeps increasing
/// across restarts: positions in collections and queues.
pub fn next_seq() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// One activity still to be posted to one inbox.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeliveryEntry {
    /// The activity's id (its JSON is kept once, however many inboxes it goes to).
    pub activity: String,
    /// The inbox to post to.
    pub inbox: String,
    /// The local actor whose key signs the post.
    pub signer: String,
    /// Whether `inbox` is still an actor id whose inbox is found when posting (it could not be
    /// fetched when the activity was queued; the post must not be lost for that).
    #[serde(default)]
    pub resolve: bool,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt may be made (ms since the epoch).
    pub next_attempt_ms: u64,
    /// When the entry was queued.
    pub queued_ms: u64,
}

/// Where an activity goes: a known inbox, or an actor whose inbox is found when posting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryTarget {
    /// An inbox URL.
    Inbox(String),
    /// An actor id whose document could not be fetched yet.
    Actor(String),
}

/// What the server knows of a remote host's health.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct HostHealth {
    /// Failed attempts since the last success.
    pub failures: u32,
    /// Whether the host is considered down (it is only probed now and then).
    pub unavailable: bool,
    /// When it was marked unavailable.
    pub unavailable_since_ms: Option<u64>,
    /// The last time it answered a delivery with success.
    pub last_success_ms: Option<u64>,
}

/// The waiting time before attempt `n + 1`, after `n` failures: Mastodon's `n⁴ + 15 s` plus
/// jitter, scaled so 16 attempts span about a week. `unit` is one second in production; tests
/// shrink it to see a week pass in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// The length of one "second" of the schedule.
    pub unit: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            unit: Duration::from_secs(1),
        }
    }
}

impl Backoff {
    /// The delay after `failures` failed attempts (`failures >= 1`).
    pub fn delay(&self, failures: u32) -> Duration {
        let n = u64::from(failures.max(1));
        let n4 = n.pow(4);
        // Cheap jitter from the clock: spreading retries matters, their quality does not.
        let jitter = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::from(d.subsec_nanos()))
            .unwrap_or(0)
            % n4.max(1);
        self.unit.saturating_mul((15 + 2 * n4 + jitter) as u32)
    }

    /// How often an unavailable host is probed.
    pub fn probe_interval(&self) -> Duration {
        self.unit.saturating_mul(3600)
    }
}

fn entry_key(host: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(host.len() + 9);
    k.extend_from_slice(host.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The durable queue of outgoing deliveries.
#[derive(Clone)]
pub struct DeliveryQueue {
    activities: Keyspace,
    deliveries: Keyspace,
    hosts: Keyspace,
    dead: Keyspace,
}

impl DeliveryQueue {
    /// The queue kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            activities: store.keyspace(ACTIVITIES),
            deliveries: store.keyspace(DELIVERIES),
            hosts: store.keyspace(HOSTS),
            dead: store.keyspace(DEAD),
        }
    }

    /// Queues `activity` (its JSON as posted, `bto`/`bcc` already removed) for each target,
    /// signed by `signer`, inside the caller's transaction. Targets are deduplicated; the hosts
    /// to wake once the transaction commits are returned.
    pub fn enqueue(
        tx: &mut Transaction<'_>,
        activity_id: &str,
        activity_json: &[u8],
        signer: &str,
        targets: &[DeliveryTarget],
    ) -> Vec<String> {
        tx.keyspace_insert(ACTIVITIES, activity_id.as_bytes(), activity_json);
        let now = now_ms();
        let mut seen = std::collections::HashSet::new();
        let mut hosts = Vec::new();
        for target in targets {
            let (url, resolve) = match target {
                DeliveryTarget::Inbox(i) => (i, false),
                DeliveryTarget::Actor(a) => (a, true),
            };
            if !seen.insert(url.as_str()) {
                continue;
            }
            let Some(host) = crate::json::authority(url) else {
                continue;
            };
            let entry = DeliveryEntry {
                activity: activity_id.to_owned(),
                inbox: url.clone(),
                resolve,
                signer: signer.to_owned(),
                attempts: 0,
                next_attempt_ms: now,
                queued_ms: now,
            };
            let Ok(value) = serde_json::to_vec(&entry) else {
                continue;
            };
            tx.keyspace_insert(DELIVERIES, &entry_key(&host, next_seq()), &value);
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        hosts
    }

    /// Keeps the JSON of an activity (received, or sent to nobody) in the caller's transaction.
    pub fn store_activity(tx: &mut Transaction<'_>, activity_id: &str, activity_json: &[u8]) {
        tx.keyspace_insert(ACTIVITIES, activity_id.as_bytes(), activity_json);
    }

    /// The JSON of a queued or sent activity.
    pub fn activity(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.activities.get(id.as_bytes())
    }

    /// The entries waiting for `host`, oldest first.
    pub fn pending(&self, host: &str) -> Result<Vec<(Vec<u8>, DeliveryEntry)>, StoreError> {
        let mut prefix = host.as_bytes().to_vec();
        prefix.push(0);
        let mut out = Vec::new();
        for e in self.deliveries.scan_prefix(&prefix) {
            let (k, v) = e?;
            match serde_json::from_slice(&v) {
                Ok(entry) => out.push((k, entry)),
                Err(_) => {
                    // Unreadable entries cannot be delivered; keep them out of the way.
                    self.dead.insert(&k, &v)?;
                    self.deliveries.remove(&k)?;
                }
            }
        }
        Ok(out)
    }

    /// Every host with waiting entries.
    pub fn hosts_with_entries(&self) -> Result<Vec<String>, StoreError> {
        let mut hosts: Vec<String> = Vec::new();
        for e in self.deliveries.scan_prefix(b"") {
            let (k, _) = e?;
            let end = k.iter().position(|b| *b == 0).unwrap_or(k.len());
            let host = String::from_utf8_lossy(&k[..end]).into_owned();
            if hosts.last() != Some(&host) {
                hosts.push(host);
            }
        }
        Ok(hosts)
    }

    /// The number of entries waiting, over all hosts.
    pub fn len(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for e in self.deliveries.scan_prefix(b"") {
            e?;
            n += 1;
        }
        Ok(n)
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.deliveries.scan_prefix(b"").next().is_none())
    }

    /// What is known of a host.
    pub fn health(&self, host: &str) -> Result<HostHealth, StoreError> {
        Ok(self
            .hosts
            .get(host.as_bytes())?
            .and_then(|v| serde_json::from_slice(&v).ok())
            .unwrap_or_default())
    }

    fn set_health(&self, host: &str, health: &HostHealth) -> Result<(), StoreError> {
        let v = serde_json::to_vec(health).unwrap_or_default();
        self.hosts.insert(host.as_bytes(), &v)
    }

    /// Records that a host answered (a delivery succeeded, or it sent us an activity).
    pub fn host_answered(&self, host: &str) -> Result<bool, StoreError> {
        let mut h = self.health(host)?;
        let was_unavailable = h.unavailable;
        if h.failures != 0 || h.unavailable || h.last_success_ms.is_none() {
            h.failures = 0;
            h.unavailable = false;
            h.unavailable_since_ms = None;
            h.last_success_ms = Some(now_ms());
            self.set_health(host, &h)?;
        }
        Ok(was_unavailable)
    }

    /// The entries given up after every attempt failed, by host then age: (host, entry), the
    /// entry `None` when it does not read.
    pub fn dead_letters(&self) -> Result<Vec<(String, Option<DeliveryEntry>)>, StoreError> {
        let mut out = Vec::new();
        for e in self.dead.scan_prefix(b"") {
            let (k, v) = e?;
            let host = k
                .iter()
                .position(|b| *b == 0)
                .map(|i| String::from_utf8_lossy(&k[..i]).into_owned())
                .unwrap_or_default();
            out.push((host, serde_json::from_slice(&v).ok()));
        }
        Ok(out)
    }

    /// Puts the entries given up (those for `host` only, when given) back in the queue with
    /// their attempts reset, and forgets the host's failures; how many. The workers take them
    /// when the server starts or the host is woken.
    pub fn retry_dead(&self, host: Option<&str>) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut retried = 0;
        let mut hosts: Vec<String> = Vec::new();
        for e in self.dead.scan_prefix(b"") {
            let (k, v) = e?;
            let Ok(mut entry) = serde_json::from_slice::<DeliveryEntry>(&v) else {
                continue;
            };
            let entry_host = k
                .iter()
                .position(|b| *b == 0)
                .map(|i| String::from_utf8_lossy(&k[..i]).into_owned())
                .unwrap_or_default();
            if host.is_some_and(|h| h != entry_host) {
                continue;
            }
            entry.attempts = 0;
            entry.next_attempt_ms = now;
            let value =
                serde_json::to_vec(&entry).map_err(|e| StoreError::Corrupted(e.to_string()))?;
            self.deliveries.insert(&k, &value)?;
            self.dead.remove(&k)?;
            if !hosts.contains(&entry_host) {
                hosts.push(entry_host);
            }
            retried += 1;
        }
        for h in hosts {
            self.hosts.remove(h.as_bytes())?;
        }
        Ok(retried)
    }

    /// Entries given up after every attempt failed.
    pub fn dead_count(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for e in self.dead.scan_prefix(b"") {
            e?;
            n += 1;
        }
        Ok(n)
    }
}

/// Finds the signing key of a local actor.
pub trait SigningKeys: Send + Sync {
    /// The `keyId` and parsed key of `actor`, or `None` if it is not a local actor.
    fn signing_key(&self, actor: &str) -> Result<Option<(String, Arc<SigningKey>)>, String>;
}

/// How the workers behave.
#[derive(Clone, Debug)]
pub struct DeliveryOptions {
    /// Posts in flight at once to one host.
    pub per_host: usize,
    /// The retry schedule.
    pub backoff: Backoff,
    /// The largest answer read from an inbox.
    pub max_answer_bytes: usize,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            per_host: 8,
            backoff: Backoff::default(),
            max_answer_bytes: 64 * 1024,
        }
    }
}

/// Counters of what the workers did (for NodeInfo-style statistics and benchmarks).
#[derive(Debug, Default)]
pub struct DeliveryStats {
    /// Posts answered with success.
    pub delivered: AtomicU64,
    /// Posts that failed and will be retried.
    pub retried: AtomicU64,
    /// Entries given up.
    pub given_up: AtomicU64,
}

struct Inner {
    queue: DeliveryQueue,
    fetcher: GuardedFetcher,
    actors: Option<crate::remote::RemoteActors>,
    keys: Arc<dyn SigningKeys>,
    options: DeliveryOptions,
    workers: Mutex<HashMap<String, Arc<Notify>>>,
    stats: DeliveryStats,
}

/// The delivery workers: one per remote host with waiting entries.
#[derive(Clone)]
pub struct Deliverer {
    inner: Arc<Inner>,
}

/// What one post attempt came to.
enum Outcome {
    Delivered,
    Refused(u16),
    Failed(String),
}

impl Deliverer {
    /// The workers' owner; nothing runs until [`Deliverer::resume`] or [`Deliverer::wake`].
    /// `actors` finds the inboxes of targets queued as actor ids.
    pub fn new(
        queue: DeliveryQueue,
        fetcher: GuardedFetcher,
        actors: Option<crate::remote::RemoteActors>,
        keys: Arc<dyn SigningKeys>,
        options: DeliveryOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                queue,
                fetcher,
                actors,
                keys,
                options,
                workers: Mutex::new(HashMap::new()),
                stats: DeliveryStats::default(),
            }),
        }
    }

    /// Starts the workers of every host with entries left from before (needs a tokio runtime):
    /// call once when the server starts.
    pub fn resume(&self) {
        match self.inner.queue.hosts_with_entries() {
            Ok(hosts) => {
                if !hosts.is_empty() {
                    tracing::info!(hosts = hosts.len(), "resuming deliveries left from before");
                }
                self.wake(&hosts);
            }
            Err(e) => tracing::error!(error = %e, "reading the delivery queue"),
        }
    }

    /// The queue.
    pub fn queue(&self) -> &DeliveryQueue {
        &self.inner.queue
    }

    /// What the workers did so far.
    pub fn stats(&self) -> &DeliveryStats {
        &self.inner.stats
    }

    /// Wakes (or starts) the workers of these hosts: call after committing entries for them.
    pub fn wake(&self, hosts: &[String]) {
        let mut workers = self.inner.workers.lock();
        for host in hosts {
            if let Some(n) = workers.get(host) {
                n.notify_one();
                continue;
            }
            let notify = Arc::new(Notify::new());
            workers.insert(host.clone(), Arc::clone(&notify));
            let inner = Arc::clone(&self.inner);
            let host = host.clone();
            tokio::spawn(async move { host_worker(inner, host, notify).await });
        }
    }

    /// Records that a host is alive (it sent us something): an unavailable host resumes.
    pub fn host_seen(&self, host: &str) {
        match self.inner.queue.host_answered(host) {
            Ok(true) => {
                tracing::info!(host, "host is back: resuming its deliveries");
                self.wake(&[host.to_owned()]);
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "recording a host's health"),
        }
    }
}

async fn host_worker(inner: Arc<Inner>, host: String, notify: Arc<Notify>) {
    loop {
        let pending = match inner.queue.pending(&host) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, host, "reading deliveries");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if pending.is_empty() {
            let mut workers = inner.workers.lock();
            // Entries queued between the read and this lock were notified to us: look again.
            if inner
                .queue
                .pending(&host)
                .map(|p| p.is_empty())
                .unwrap_or(true)
            {
                workers.remove(&host);
                return;
            }
            continue;
        }
        let health = inner.queue.health(&host).unwrap_or_default();
        let now = now_ms();
        let mut due: Vec<(Vec<u8>, DeliveryEntry)> = pending
            .iter()
            .filter(|(_, e)| e.next_attempt_ms <= now)
            .cloned()
            .collect();
        if health.unavailable {
            // Only one probe at a time to a host that is down.
            let probe_after = health.unavailable_since_ms.unwrap_or(0)
                + inner.options.backoff.probe_interval().as_millis() as u64;
            if now < probe_after && due.iter().all(|(_, e)| e.attempts > 0) {
                due.clear();
            }
            due.truncate(1);
        }
        if due.is_empty() {
            let next = pending
                .iter()
                .map(|(_, e)| e.next_attempt_ms)
                .min()
                .unwrap_or(now + 1000);
            let mut wait = Duration::from_millis(next.saturating_sub(now).max(1));
            if health.unavailable {
                let probe_after = health.unavailable_since_ms.unwrap_or(0)
                    + inner.options.backoff.probe_interval().as_millis() as u64;
                wait = wait.max(Duration::from_millis(
                    probe_after.saturating_sub(now).max(1),
                ));
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = notify.notified() => {}
            }
            continue;
        }
        use futures::StreamExt;
        let results: Vec<(Vec<u8>, DeliveryEntry, Outcome)> = futures::stream::iter(due)
            .map(|(key, entry)| {
                let inner = Arc::clone(&inner);
                // Each post is a task of its own: signing is CPU work, and posts polled inside
                // this one task would all be signed on one core.
                let task = tokio::spawn(async move {
                    let outcome = post(&inner, &entry).await;
                    (key, entry, outcome)
                });
                async move { task.await.ok() }
            })
            .buffer_unordered(inner.options.per_host.max(1))
            .filter_map(futures::future::ready)
            .collect()
            .await;
        let mut any_success = false;
        let mut failures = 0u32;
        let mut exhausted = false;
        for (key, mut entry, outcome) in results {
            let done = match outcome {
                Outcome::Delivered => {
                    any_success = true;
                    inner.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Outcome::Refused(status) => {
                    // The host is up and said no for good: retrying cannot help.
                    any_success = true;
                    tracing::warn!(host, inbox = %entry.inbox, status, activity = %entry.activity, "delivery refused");
                    true
                }
                Outcome::Failed(why) => {
                    failures += 1;
                    entry.attempts += 1;
                    if entry.attempts >= MAX_ATTEMPTS {
                        exhausted = true;
                        inner.stats.given_up.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(host, inbox = %entry.inbox, why, "delivery given up after {MAX_ATTEMPTS} attempts");
                        if let Ok(v) = serde_json::to_vec(&entry) {
                            let _ = inner.queue.dead.insert(&key, &v);
                        }
                        true
                    } else {
                        inner.stats.retried.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(host, inbox = %entry.inbox, why, attempts = entry.attempts, "delivery failed; will retry");
                        entry.next_attempt_ms = now_ms()
                            + inner.options.backoff.delay(entry.attempts).as_millis() as u64;
                        if let Ok(v) = serde_json::to_vec(&entry)
                            && let Err(e) = inner.queue.deliveries.insert(&key, &v)
                        {
                            tracing::error!(error = %e, "rescheduling a delivery");
                        }
                        false
                    }
                }
            };
            if done && let Err(e) = inner.queue.deliveries.remove(&key) {
                tracing::error!(error = %e, "removing a delivered entry");
            }
        }
        let mut health = inner.queue.health(&host).unwrap_or_default();
        if any_success {
            if health.unavailable {
                tracing::info!(host, "host answers again: resuming its deliveries");
            }
            let _ = inner.queue.host_answered(&host);
        } else if failures > 0 {
            health.failures = health.failures.saturating_add(failures);
            if exhausted && !health.unavailable {
                tracing::warn!(host, "host marked unavailable");
                health.unavailable = true;
            }
            if health.unavailable {
                // A failed probe starts the next probe interval.
                health.unavailable_since_ms = Some(now_ms());
            }
            let _ = inner.queue.set_health(&host, &health);
        }
    }
}

async fn post(inner: &Inner, entry: &DeliveryEntry) -> Outcome {
    let body = match inner.queue.activity(&entry.activity) {
        Ok(Some(b)) => b,
        Ok(None) => return Outcome::Refused(0),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let (key_id, key) = match inner.keys.signing_key(&entry.signer) {
        Ok(Some(k)) => k,
        // The signer is gone (its pod was deleted): nothing can be signed any more.
        Ok(None) => return Outcome::Refused(0),
        Err(e) => return Outcome::Failed(e),
    };
    let inbox = if entry.resolve {
        let Some(actors) = &inner.actors else {
            return Outcome::Refused(0);
        };
        match actors.actor(&entry.inbox, false).await {
            Ok(a) => a.delivery_inbox().to_owned(),
            Err(e) => return Outcome::Failed(e),
        }
    } else {
        entry.inbox.clone()
    };
    let headers = [(
        "content-type".to_owned(),
        "application/activity+json".to_owned(),
    )];
    match inner
        .fetcher
        .send_signed_with(
            "POST",
            &inbox,
            &headers,
            Some(&body),
            &key_id,
            &key,
            inner.options.max_answer_bytes,
        )
        .await
    {
        Ok(r) if (200..300).contains(&r.status) => Outcome::Delivered,
        // 401/403 may be a key the peer has cached stale; 408/429 ask to come back later.
        Ok(r) if matches!(r.status, 401 | 403 | 408 | 429) || r.status >= 500 => {
            Outcome::Failed(format!("answered {}", r.status))
        }
        Ok(r) => Outcome::Refused(r.status),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_spans_about_a_week() {
        let b = Backoff::default();
        let total: Duration = (1..MAX_ATTEMPTS).map(|n| b.delay(n)).sum();
        let days = total.as_secs_f64() / 86400.0;
        assert!((4.0..10.0).contains(&days), "{days} days");
        assert!(b.delay(1) >= Duration::from_secs(17));
        assert!(b.delay(2) > b.delay(1));
    }

    #[test]
    fn enqueue_is_one_entry_per_inbox() {
        let store = QuadStore::temporary().unwrap();
        let q = DeliveryQueue::new(&store);
        let hosts = store
            .transaction(|tx| -> Result<_, StoreError> {
                Ok(DeliveryQueue::enqueue(
                    tx,
                    "https://a/act/1",
                    b"{}",
                    "https://a/alice",
                    &[
                        DeliveryTarget::Inbox("https://b.example/inbox".into()),
                        DeliveryTarget::Inbox("https://b.example/inbox".into()),
                        DeliveryTarget::Actor("https://c.example:8443/u/x".into()),
                        DeliveryTarget::Inbox("not a url".into()),
                    ],
                ))
            })
            .unwrap();
        assert_eq!(hosts, vec!["b.example", "c.example:8443"]);
        assert_eq!(q.len().unwrap(), 2);
        assert_eq!(q.pending("b.example").unwrap().len(), 1);
        assert_eq!(q.hosts_with_entries().unwrap(), hosts);
        assert_eq!(q.activity("https://a/act/1").unwrap().unwrap(), b"{}");
        // A transaction that fails writes nothing.
        let r: Result<(), StoreError> = store.transaction(|tx| {
            DeliveryQueue::enqueue(
                tx,
                "https://a/act/2",
                b"{}",
                "https://a/alice",
                &[DeliveryTarget::Inbox("https://d/inbox".into())],
            );
            Err(StoreError::Corrupted("no".into()))
        });
        assert!(r.is_err());
        assert_eq!(q.len().unwrap(), 2);
        assert!(q.activity("https://a/act/2").unwrap().is_none());
    }

    #[test]
    fn sequences_increase() {
        let a = next_seq();
        let b = next_seq();
        assert!(b > a);
    }
}
