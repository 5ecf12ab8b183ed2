//! Kommon's pod server: residents' Solid pods, many per server, laid out as ActivityPods lays
//! them out, served over the Solid Protocol with Web Access Control.
//!
//! The binary's `serve` runs [`app::router`]; `create-pod` calls [`pod::Pods::create`]. The LDP
//! work itself is `kommon-solid`'s; this crate adds accounts, the pod layout, the actor's keys,
//! the sign-up pages and the pod's SPARQL endpoint.

#![warn(missing_docs)]
// Handlers return a ready `Response` as their error (a refusal is an answer): boxing it would
// only add an allocation to every refusal.
#![allow(clippy::result_large_err)]

pub mod account;
pub mod accounts;
pub mod app;
pub mod apps;
pub mod config;
pub mod federation;
pub use kommon_activitypub::guard as fetch;
pub mod keys;
pub mod nodeinfo;
pub mod notifications;
pub mod oidc;
pub mod pages;
pub mod pod;
pub mod proxy;
