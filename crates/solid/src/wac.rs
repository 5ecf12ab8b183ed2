//! Web Access Control (<https://solidproject.org/TR/wac>): which modes an agent has on a
//! resource, from the ACL documents of the resource and of its containers.
//!
//! The effective ACL of a resource is its own ACL document if it has one, with the
//! authorizations whose `acl:accessTo` is the resource; otherwise the ACL of the nearest
//! container that has one, with the authorizations whose `acl:default` is that container. An
//! authorization applies to an agent named by `acl:agent`, to everyone (`acl:agentClass
//! foaf:Agent`), to every authenticated agent (`acl:agentClass acl:AuthenticatedAgent`) and to
//! the members of a group (`acl:agentGroup`, a `vcard:Group` with `vcard:hasMember`). `acl:Write`
//! implies `acl:Append`.
//!
//! Applications act for a person, as in ActivityPods: the rights are checked against the
//! application's IRI as well, and the request gets the modes that both the person and the
//! application hold. A person's own WebID alone (no application) gets the person's modes.

use oxrdf::vocab::rdf;
use oxrdf::{Graph, NamedNode, NamedNodeRef, NamedOrBlankNode, TermRef};
use std::collections::HashSet;
use std::sync::Arc;

const ACL: &str = "http://www.w3.org/ns/auth/acl#";
const FOAF_AGENT: &str = "http://xmlns.com/foaf/0.1/Agent";
const VCARD_HAS_MEMBER: &str = "http://www.w3.org/2006/vcard/ns#hasMember";

/// An access mode of WAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessMode {
    /// Read the resource.
    Read,
    /// Change or delete the resource.
    Write,
    /// Add to the resource without removing anything.
    Append,
    /// Read and change the resource's ACL.
    Control,
}

impl AccessMode {
    /// Every mode, in a stable order.
    pub const ALL: [AccessMode; 4] = [Self::Read, Self::Write, Self::Append, Self::Control];

    fn bit(self) -> u8 {
        match self {
            Self::Read => 1,
            Self::Write => 2,
            Self::Append => 4,
            Self::Control => 8,
        }
    }

    fn from_iri(iri: &str) -> Option<Self> {
        Some(match iri.strip_prefix(ACL)? {
            "Read" => Self::Read,
            "Write" => Self::Write,
            "Append" => Self::Append,
            "Control" => Self::Control,
            _ => return None,
        })
    }

    /// The name used in the `WAC-Allow` header.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Append => "append",
            Self::Control => "control",
        }
    }
}

/// A set of access modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Modes(u8);

impl Modes {
    /// No mode at all.
    pub const NONE: Modes = Modes(0);

    /// Whether the set holds `mode`.
    pub fn contains(self, mode: AccessMode) -> bool {
        self.0 & mode.bit() != 0
    }

    /// The set with `mode` added (and Append with Write).
    pub fn with(self, mode: AccessMode) -> Modes {
        let mut bits = self.0 | mode.bit();
        if mode == AccessMode::Write {
            bits |= AccessMode::Append.bit();
        }
        Modes(bits)
    }

    fn intersection(self, other: Modes) -> Modes {
        Modes(self.0 & other.0)
    }

    /// The modes, for a `WAC-Allow` header value such as `read write append`.
    pub fn header_value(self) -> String {
        AccessMode::ALL
            .iter()
            .filter(|m| self.contains(**m))
            .map(|m| m.header_name())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Who makes a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requester<'a> {
    /// Nobody authenticated.
    Anonymous,
    /// A person (or an actor) authenticated by their WebID.
    Agent(&'a str),
    /// An application acting for a person.
    Application {
        /// The person's WebID.
        agent: &'a str,
        /// The application's IRI (its actor, or its client id).
        application: &'a str,
    },
}

/// Where ACL documents and groups come from: the pod's store in a server, a map in tests.
pub trait AclSource {
    /// The ACL document governing exactly `resource`, if it has one.
    fn acl_of(&self, resource: &str) -> Option<Arc<Graph>>;
    /// The members of a group document (`vcard:hasMember`), if the group can be read.
    fn group(&self, group: &str) -> Option<Arc<Graph>>;
}

/// The container of a resource by its path (`https://h/a/b` → `https://h/a/`,
/// `https://h/a/` → `https://h/`); `None` for the root of the origin.
pub fn parent_container(resource: &str) -> Option<String> {
    let scheme_end = resource.find("://")? + 3;
    let path_start = resource[scheme_end..].find('/')? + scheme_end;
    let trimmed = resource.strip_suffix('/').unwrap_or(resource);
    if trimmed.len() <= path_start {
        return None;
    }
    let cut = trimmed.rfind('/')?;
    if cut < path_start {
        return None;
    }
    Some(trimmed[..=cut].to_owned())
}

/// The modes `requester` has on `resource`.
pub fn modes(resource: &str, requester: Requester<'_>, source: &impl AclSource) -> Modes {
    let Some((acl, governed, inherited)) = effective_acl(resource, source) else {
        // No ACL anywhere: nothing is allowed (a pod always has a root ACL).
        return Modes::NONE;
    };
    let predicate = if inherited { "default" } else { "accessTo" };
    match requester {
        Requester::Anonymous => granted(&acl, &governed, predicate, None, source),
        Requester::Agent(agent) => granted(&acl, &governed, predicate, Some(agent), source),
        Requester::Application { agent, application } => {
            granted(&acl, &governed, predicate, Some(agent), source).intersection(granted(
                &acl,
                &governed,
                predicate,
                Some(application),
                source,
            ))
        }
    }
}

/// Whether `requester` may use `mode` on `resource`.
pub fn allows(
    resource: &str,
    requester: Requester<'_>,
    mode: AccessMode,
    source: &impl AclSource,
) -> bool {
    modes(resource, requester, source).contains(mode)
}

/// The ACL that applies to `resource`: the graph, the resource it was written for, and whether
/// it is inherited from a container.
fn effective_acl(resource: &str, source: &impl AclSource) -> Option<(Arc<Graph>, String, bool)> {
    if let Some(acl) = source.acl_of(resource) {
        return Some((acl, resource.to_owned(), false));
    }
    let mut current = parent_container(resource);
    // Paths are short; the bound only guards against a malformed IRI looping.
    for _ in 0..256 {
        let container = current?;
        if let Some(acl) = source.acl_of(&container) {
            return Some((acl, container, true));
        }
        current = parent_container(&container);
    }
    None
}

fn granted(
    acl: &Graph,
    governed: &str,
    predicate: &str,
    agent: Option<&str>,
    source: &impl AclSource,
) -> Modes {
    let authorization = NamedNode::new_unchecked(format!("{ACL}Authorization"));
    let target_predicate = NamedNode::new_unchecked(format!("{ACL}{predicate}"));
    let governed = NamedNode::new_unchecked(governed);
    let mut modes = Modes::NONE;
    let authorizations: HashSet<NamedOrBlankNode> = acl
        .subjects_for_predicate_object(rdf::TYPE, &authorization)
        .map(|s| s.into_owned())
        .collect();
    for auth in authorizations {
        if !acl.contains(oxrdf::TripleRef::new(
            &auth,
            &target_predicate,
            governed.as_ref(),
        )) {
            continue;
        }
        if !applies_to(acl, &auth, agent, source) {
            continue;
        }
        for m in acl.objects_for_subject_predicate(&auth, acl_term("mode").as_ref()) {
            if let TermRef::NamedNode(n) = m
                && let Some(mode) = AccessMode::from_iri(n.as_str())
            {
                modes = modes.with(mode);
            }
        }
    }
    modes
}

fn acl_term(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ACL}{local}"))
}

fn applies_to(
    acl: &Graph,
    auth: &NamedOrBlankNode,
    agent: Option<&str>,
    source: &impl AclSource,
) -> bool {
    for class in acl.objects_for_subject_predicate(auth, acl_term("agentClass").as_ref()) {
        if let TermRef::NamedNode(c) = class {
            if c.as_str() == FOAF_AGENT {
                return true;
            }
            if c.as_str() == format!("{ACL}AuthenticatedAgent") && agent.is_some() {
                return true;
            }
        }
    }
    let Some(agent) = agent else {
        return false;
    };
    let agent_node = NamedNodeRef::new_unchecked(agent);
    if acl.contains(oxrdf::TripleRef::new(
        auth,
        acl_term("agent").as_ref(),
        agent_node,
    )) {
        return true;
    }
    let has_member = NamedNode::new_unchecked(VCARD_HAS_MEMBER);
    for group in acl.objects_for_subject_predicate(auth, acl_term("agentGroup").as_ref()) {
        if let TermRef::NamedNode(g) = group {
            // A group may be described in the ACL itself or in its own document.
            let group_doc = source.group(g.as_str().split('#').next().unwrap_or_default());
            let in_acl = acl.contains(oxrdf::TripleRef::new(g, has_member.as_ref(), agent_node));
            let in_doc = group_doc.is_some_and(|d| {
                d.contains(oxrdf::TripleRef::new(g, has_member.as_ref(), agent_node))
            });
            if in_acl || in_doc {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
