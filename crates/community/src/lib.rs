//! Community pods: the places of the network (and the network itself), their admins and
//! moderators, and membership — the requests residents send with `Join`, the moderators'
//! decisions, and the résidentothèque of approved residencies.
//!
//! This crate knows nothing of HTTP or HTML: cod-server receives the activities and serves
//! the pages; here are the rules and the records, kept in the server's store in the same
//! transactions as the collections ActivityPub shows (`pending`, `residents`, `decisions`).

#![warn(missing_docs)]

pub mod invitations;
pub mod membership;
pub mod offers;
pub mod registry;

pub use invitations::{
    ImportReport, Invitation, InvitationBook, InvitationError, InvitationStatus, RowProblem,
};
pub use membership::{
    Decision, JoinOutcome, MembershipError, MembershipRequest, Residency, Verdict,
};
pub use registry::{Community, CommunityRegistry, PlaceProfile, RegistryError, Role};
