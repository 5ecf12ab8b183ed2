//! Kommon's orientation: calls for volunteers, volunteer offers and service requests, and the
//! engine that matches people to places and actions.
//!
//! [`nomenclature`] prepares the skills and the service types for matching (closeness along the
//! SKOS tree, concepts named in free text); [`slots`] reads and compares time slots; [`matcher`]
//! ranks candidates for a seeker with the reasons in French and English. This crate knows
//! nothing of HTTP or HTML: cod-server stores, routes and shows.

#![warn(missing_docs)]

pub mod matcher;
pub mod nomenclature;
pub mod slots;

pub use matcher::{Context, Matcher, Profile, ProfileKind, Reason, Suggestion};
pub use nomenclature::{Asked, ConceptId, Nomenclature, Relation, UnknownConcept};
pub use slots::{Slot, SlotError};
