//! The Solid side of Kommon's pods: LDP resources and containers kept in the quad store,
//! content negotiation, PATCH (N3 Patch and SPARQL Update), ETags and conditional requests,
//! Web Access Control, and the pluggable authentication of requests.
//!
//! [`storage`] keeps resources (one named graph per RDF document, bytes for files, a
//! description per resource) and applies every change in one store transaction; [`wac`]
//! decides who may do what; [`patch`] parses and applies patches; [`auth`] turns credentials
//! into an agent; [`http`] ties them into the Solid Protocol's answers. This crate knows nothing
//! of places or of ActivityPub, and nothing of a particular web framework beyond the `http` types.

#![warn(missing_docs)]

pub mod auth;
pub mod http;
pub mod oidc;
pub mod patch;
pub mod rdfa;
pub mod resource;
pub mod storage;
pub mod wac;
