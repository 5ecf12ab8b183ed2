//! Kommon's network: what a community of places (POT KOMMON, or any other network) keeps of
//! everything its member places approved, and how it serves it.
//!
//! A member place federates its résidentothèque, projects and events; the network re-fetches
//! each object, maps it to PAIR and validates it with the vocabulary's shapes
//! ([`normalize`]), keeps it with its provenance in a public store ([`records`]), and indexes
//! it for the map, the directory and the agenda ([`index`]), which it also serves as GeoJSON,
//! iCalendar, RSS and Atom ([`feeds`]). This crate knows nothing of HTTP or HTML: cod-server
//! fetches and serves.

#![warn(missing_docs)]

pub mod entry;
pub mod feeds;
pub mod index;
pub mod normalize;
pub mod records;
pub mod text;

pub use entry::{Entry, Kind, Point};
pub use index::{BBox, Filter, MapView, NetworkIndex, SearchPage};
pub use normalize::{Normalized, Normalizer, Refusal, Violation};
pub use records::{NetworkRecords, RecordedRefusal};
