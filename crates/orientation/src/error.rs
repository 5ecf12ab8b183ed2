//! What can be wrong with a call, an offer or a request, said in French then English.

use crate::nomenclature::UnknownConcept;
use crate::slots::SlotError;
use kommon_rdf::StoreError;
use thiserror::Error;

/// A call, an offer or a request that cannot be taken, or a decision that cannot be made.
#[derive(Debug, Error)]
pub enum OrientationError {
    /// A required field is empty.
    #[error("le champ « {0} » est obligatoire / the field \"{0}\" is required")]
    Missing(&'static str),
    /// A field is longer than allowed.
    #[error(
        "le champ « {0} » dépasse {1} caractères / the field \"{0}\" is longer than {1} characters"
    )]
    TooLong(&'static str, usize),
    /// A number out of its range.
    #[error(
        "le champ « {0} » doit être un nombre entre {1} et {2} / the field \"{0}\" must be a number from {1} to {2}"
    )]
    OutOfRange(&'static str, f64, f64),
    /// A date already past.
    #[error("le champ « {0} » est une date passée / the field \"{0}\" is a date in the past")]
    Past(&'static str),
    /// The place takes no more requests for now.
    #[error(
        "ce lieu ne prend pas de nouvelles demandes en ce moment / this place takes no new requests right now"
    )]
    Full,
    /// The request is in the network's hands: the places decide.
    #[error(
        "cette demande est transmise aux lieux : ce sont eux qui décident / this request was sent to the places: they decide"
    )]
    Routed,
    /// The person did not agree to their data being kept.
    #[error(
        "sans votre accord pour que vos coordonnées soient conservées et transmises au lieu, la demande ne peut pas être enregistrée / without your consent to keep your contact details and pass them to the place, the request cannot be recorded"
    )]
    MissingConsent,
    /// An email address that does not read.
    #[error("« {0} » n'est pas une adresse électronique valide / is not a valid email address")]
    BadEmail(String),
    /// A bad time slot.
    #[error(transparent)]
    Slot(#[from] SlotError),
    /// A skill or a service not in the nomenclature.
    #[error("compétence ou service inconnu : {0}")]
    Unknown(#[from] UnknownConcept),
    /// A commune, an accessibility feature or a date that is not one of ours.
    #[error("valeur inconnue pour « {0} » : {1} / unknown value for \"{0}\": {1}")]
    UnknownValue(&'static str, String),
    /// Nothing to go on: neither skills, services nor text naming any.
    #[error(
        "dites ce que vous savez faire ou ce dont vous avez besoin (une compétence, un service ou quelques mots) / say what you can do or what you need (a skill, a service or a few words)"
    )]
    NothingAsked,
    /// The request was withdrawn by the person.
    #[error(
        "cette demande a été retirée par la personne : il n'y a plus rien à décider / this request was withdrawn by the person: there is nothing left to decide"
    )]
    Withdrawn,
    /// The request was already decided.
    #[error("cette demande a déjà reçu une réponse / this request was already answered")]
    AlreadyDecided,
    /// No such call or request here.
    #[error("{0} introuvable / {0} not found")]
    NotFound(&'static str),
    /// The call cannot take anyone now.
    #[error(
        "cet appel n'accepte plus de bénévoles (complet, clos ou passé) / this call takes no more volunteers (filled, closed or past)"
    )]
    CallClosed,
    /// The store failed.
    #[error("le stockage a échoué / the store failed: {0}")]
    Store(#[from] StoreError),
}

impl OrientationError {
    /// The HTTP status that says it: 4xx for what the sender can fix, 500 for the store.
    pub fn status(&self) -> u16 {
        match self {
            OrientationError::NotFound(_) => 404,
            OrientationError::Withdrawn
            | OrientationError::AlreadyDecided
            | OrientationError::CallClosed
            | OrientationError::Full
            | OrientationError::Routed => 409,
            OrientationError::Store(_) => 500,
            _ => 400,
        }
    }
}
