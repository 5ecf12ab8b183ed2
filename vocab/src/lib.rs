//! The Kommon vocabulary.
//!
//! Every object Kommon stores or federates is described with PAIR, ActivityStreams, schema.org
//! and SKOS, plus the few terms of Kommon's own ontology (`kommon.ttl`). This crate gives those
//! terms as constants (code never spells an IRI of ours by hand), the vocabulary files as
//! embedded strings, and the skills nomenclature as a searchable [`SkillScheme`].

#![warn(missing_docs)]

use oxrdf::NamedNodeRef;

mod skills;
pub use skills::{MatchKind, Skill, SkillMatch, SkillScheme, VocabError, normalize};

/// The Kommon ontology in Turtle.
pub const ONTOLOGY_TTL: &str = include_str!("../kommon.ttl");
/// The skills nomenclature (a SKOS concept scheme) in Turtle.
pub const SKILLS_TTL: &str = include_str!("../skills.ttl");
/// The SHACL shapes that check incoming data, in Turtle.
pub const SHAPES_TTL: &str = include_str!("../shapes.ttl");
/// The configuration of the visual query builder (Sparnatural's SHACL profile), in Turtle.
pub const QUERY_BUILDER_TTL: &str = include_str!("../query-builder.ttl");
/// The JSON-LD context every server serves at `/.well-known/context.jsonld`.
pub const CONTEXT_JSONLD: &str = include_str!("../context.jsonld");

/// The canonical IRI of Kommon's JSON-LD context.
pub const CONTEXT_IRI: &str = "https://w3id.org/kommon/context.jsonld";
/// Where each server serves the context.
pub const CONTEXT_PATH: &str = "/.well-known/context.jsonld";

/// Namespaces of the vocabularies Kommon uses.
pub mod ns {
    /// Kommon's ontology.
    pub const KOMMON: &str = "https://w3id.org/kommon/ns#";
    /// Kommon's skills (concepts are `KSKILL` + slug).
    pub const KSKILL: &str = "https://w3id.org/kommon/skills/";
    /// The skills concept scheme itself.
    pub const SKILL_SCHEME: &str = "https://w3id.org/kommon/skills";
    /// PAIR, the ontology of Archipelago and SemApps.
    pub const PAIR: &str = "http://virtual-assembly.org/ontologies/pair#";
    /// schema.org (http, as the bundled context says).
    pub const SCHEMA: &str = "http://schema.org/";
    /// ActivityStreams 2.0.
    pub const AS: &str = "https://www.w3.org/ns/activitystreams#";
    /// SKOS.
    pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
    /// PROV-O.
    pub const PROV: &str = "http://www.w3.org/ns/prov#";
    /// The W3C organization ontology.
    pub const ORG: &str = "http://www.w3.org/ns/org#";
    /// FOAF.
    pub const FOAF: &str = "http://xmlns.com/foaf/0.1/";
    /// vCard.
    pub const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
    /// Dublin Core terms.
    pub const DC: &str = "http://purl.org/dc/terms/";
    /// SHACL.
    pub const SH: &str = "http://www.w3.org/ns/shacl#";
}

macro_rules! terms {
    ($($(#[$doc:meta])* $name:ident = $local:literal;)*) => {
        $(
            $(#[$doc])*
            pub const $name: NamedNodeRef<'static> =
                NamedNodeRef::new_unchecked(concat!("https://w3id.org/kommon/ns#", $local));
        )*
        /// Every term of Kommon's ontology that code uses, so a test can check each one exists.
        pub const ALL: &[NamedNodeRef<'static>] = &[$($name),*];
    };
}

/// Terms of Kommon's own ontology (`kommon:`).
pub mod kommon {
    use super::NamedNodeRef;

    terms! {
        /// A residency: an actor hosted by a place, with a role and a period (⊑ pair:MembershipAssociation).
        RESIDENCY = "Residency";
        /// A call for volunteers (⊑ schema:JobPosting with employmentType VOLUNTEER).
        CALL_FOR_VOLUNTEERS = "CallForVolunteers";
        /// A request for a service from the public (⊑ schema:Demand).
        SERVICE_REQUEST = "ServiceRequest";
        /// An offer of volunteer help (⊑ schema:Offer).
        VOLUNTEER_OFFER = "VolunteerOffer";
        /// A commune of Plaine Commune (a SKOS concept).
        COMMUNE = "Commune";
        /// An accessibility feature of a place (a SKOS concept).
        ACCESSIBILITY_FEATURE = "AccessibilityFeature";
        /// An ecological practice of a place (a SKOS concept).
        ECOLOGICAL_PRACTICE = "EcologicalPractice";
        /// A kind of equipment a place offers or lends (a SKOS concept).
        EQUIPMENT_TYPE = "EquipmentType";
        /// A kind of service request a place accepts (a SKOS concept).
        SERVICE_TYPE = "ServiceType";
        /// A public a call or a service is meant for (a SKOS concept).
        AUDIENCE = "Audience";
        /// The atelier or room a residency takes place in.
        WORKSPACE = "workspace";
        /// The commune an actor or place is in.
        COMMUNE_PROPERTY = "commune";
        /// An accessibility feature of a place.
        ACCESSIBILITY_FEATURE_PROPERTY = "accessibilityFeature";
        /// The place's page on acceslibre.
        ACCESLIBRE_PAGE = "acceslibrePage";
        /// An ecological practice of a place.
        ECOLOGICAL_PRACTICE_PROPERTY = "ecologicalPractice";
        /// Equipment a place offers.
        EQUIPMENT = "equipment";
        /// Equipment a place lends.
        LENDABLE_EQUIPMENT = "lendableEquipment";
        /// A kind of service request the place accepts.
        ACCEPTS_REQUEST_TYPE = "acceptsRequestType";
        /// The kind of service a request asks for.
        REQUEST_TYPE = "requestType";
        /// The public a call or service is for.
        TARGET_AUDIENCE = "targetAudience";
        /// A time slot of a call for volunteers.
        TIME_SLOT = "timeSlot";
        /// A person's availability (schema:Schedule).
        AVAILABILITY = "availability";
        /// Any value-chain relation between actors shown on the map.
        VALUE_CHAIN_RELATION = "valueChainRelation";
        /// Works with (symmetric).
        PARTNER_OF = "partnerOf";
        /// Supplies goods or services to.
        SUPPLIES = "supplies";
        /// Hosts (a place hosting a resident).
        HOSTS = "hosts";
        /// Supports (funding, mentoring).
        SUPPORTS = "supports";
        /// Whether minors may answer a call.
        MINORS_ACCEPTED = "minorsAccepted";
        /// Whether the volunteer is a minor.
        VOLUNTEER_IS_MINOR = "volunteerIsMinor";
        /// Hours a month a volunteer offers.
        MONTHLY_HOURS = "monthlyHours";
        /// The scheme of residency roles.
        RESIDENCY_ROLES = "ResidencyRoles";
        /// The role "résident·e".
        ROLE_RESIDENT = "role-resident";
        /// The scheme of communes.
        COMMUNES = "Communes";
        /// The scheme of accessibility features.
        ACCESSIBILITY_FEATURES = "AccessibilityFeatures";
        /// The scheme of ecological practices.
        ECOLOGICAL_PRACTICES = "EcologicalPractices";
        /// The scheme of equipment types.
        EQUIPMENT_TYPES = "EquipmentTypes";
        /// The scheme of service types.
        SERVICE_TYPES = "ServiceTypes";
        /// The scheme of audiences.
        AUDIENCES = "Audiences";
    }
}
