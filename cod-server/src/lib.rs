//! Kommon's community pod server: each place (and the network) is a community at `/{slug}`, a
//! `Group` actor that receives `Join`, keeps its pending requests and its résidentothèque, and
//! acts through its outbox when a moderator decides.
//!
//! The rules of membership are `kommon-community`'s; the federation machinery (inbox checks,
//! durable queues, delivery, collections) is `kommon-activitypub`'s; this crate is the HTTP
//! side and the wiring.

#![warn(missing_docs)]
// Handlers return a ready `Response` as their error (a refusal is an answer).
#![allow(clippy::result_large_err)]

pub mod admin_pages;
pub mod app;
pub mod cards;
pub mod config;
pub mod export;
pub mod federation;
pub mod forms;
pub mod invitations;
pub mod login;
pub mod moderation;
pub mod moderation_pages;
pub mod network;
pub mod notify;
pub mod offers;
pub mod orientation;
pub mod pages;
pub mod photos;
pub mod publications;
pub mod widgets;
