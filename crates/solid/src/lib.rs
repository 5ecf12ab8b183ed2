//! The Solid side of Kommon's pods.
//!
//! So far: [`wac`], Web Access Control evaluated over ACL documents held as RDF graphs. The LDP
//! resources and containers, content negotiation and Solid-OIDC verification of the pods issue
//! build on it. This crate knows nothing of places or of ActivityPub.

#![warn(missing_docs)]

pub mod wac;
