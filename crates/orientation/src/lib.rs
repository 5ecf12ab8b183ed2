//! Kommon's orientation: calls for volunteers, volunteer offers and service requests, and the
//! engine that matches people to places and actions.
//!
//! [`nomenclature`] prepares the skills and the service types for matching (closeness along the
//! SKOS tree, concepts named in free text); [`slots`] reads and compares time slots; [`matcher`]
//! ranks candidates for a seeker with the reasons in French and English; [`call`] and
//! [`request`] are what places publish and what people send, checked from forms ([`form`]);
//! [`desk`] keeps them. This crate knows nothing of HTTP or HTML: cod-server serves and shows.

#![warn(missing_docs)]

pub mod call;
pub mod desk;
pub mod error;
pub mod form;
pub mod graph;
pub mod matcher;
pub mod nomenclature;
pub mod request;
pub mod slots;

pub use call::{CallForVolunteers, CallStatus};
pub use desk::{OrientationDesk, PlaceOrientation};
pub use error::OrientationError;
pub use matcher::{Context, Matcher, Profile, ProfileKind, Reason, Suggestion};
pub use nomenclature::{Asked, ConceptId, Nomenclature, Relation, UnknownConcept};
pub use request::{HelpRequest, RequestKind, RequestStatus};
pub use slots::{Slot, SlotError};
