//! ActivityPub federation for Kommon's servers: actors, discovery, the inbox (S2S) checks and
//! its durable queue, the outbox's addressing, ordered collections with stable paging, and
//! delivery that never loses an activity, behind the guard that keeps servers from fetching
//! private addresses.
//!
//! This crate knows nothing of pods or places: pod-server and cod-server decide what an
//! activity does to their documents. It stands on `activitypub_federation` (LemmyNet's crate,
//! pinned at 0.7.0-beta.14, the line that speaks axum 0.8) for the vocabulary of activity kinds,
//! and uses its in-memory queue as the baseline of the delivery benchmark. What it does not
//! give, this crate does, as the federation notes found with real peers: a durable queue (its
//! queue lives in memory and loses work on restart), RFC 9421 and a key refetch on the inbox,
//! a shared inbox, client-to-server outboxes, and RSA through aws-lc-rs (the `rsa` crate it
//! signs with manages about 400 signatures a second on this hardware, aws-lc-rs several
//! times that: signing is what bounds fan-out).

#![warn(missing_docs)]

pub mod actor;
pub mod addressing;
pub mod collection;
pub mod delivery;
pub mod guard;
pub mod inbox;
pub mod instance;
pub mod json;
pub mod metrics;
pub mod remote;
pub mod webfinger;

/// The ActivityStreams context IRI.
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// The ActivityStreams namespace.
pub const AS_NS: &str = "https://www.w3.org/ns/activitystreams#";
/// The security vocabulary context IRI (`publicKey`, `publicKeyPem`, `owner`).
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
/// The media type of ActivityStreams documents on the wire.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// The activity kinds of the vocabulary, as activitypub_federation names them (so the crate's
/// spelling and ours never drift apart).
pub mod kinds {
    pub use activitypub_federation::kinds::activity::*;
}
