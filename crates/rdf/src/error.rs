//! Errors at the boundary of the rdf crate.

use thiserror::Error;

/// An error of the quad store itself: the disk, or data that does not decode.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The underlying fjall database failed (I/O, or a poisoned state after a crash).
    #[error("storage error: {0}")]
    Storage(#[from] fjall::Error),
    /// Bytes in the store do not decode: the folder was damaged or written by another version.
    #[error("corrupted store: {0}")]
    Corrupted(String),
    /// The caller asked for something the store refuses (for example, a write with a forbidden term).
    #[error("{0}")]
    Invalid(String),
}
