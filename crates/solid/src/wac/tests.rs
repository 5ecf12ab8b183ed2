//! The WAC matrix: every agent kind × resource kind × mode, allowed exactly when the ACL says so.

use super::*;
use std::collections::HashMap;

const PREFIXES: &str = "@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n";

fn graph(ttl: &str) -> Graph {
    oxttl::TurtleParser::new()
        .with_base_iri("https://pod.example/alice/.acl")
        .unwrap()
        .for_slice(format!("{PREFIXES}{ttl}").as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .into_iter()
        .collect()
}

struct Pod {
    acls: HashMap<String, Graph>,
    groups: HashMap<String, Graph>,
}

impl AclSource for Pod {
    fn acl_of(&self, resource: &str) -> Option<std::sync::Arc<Graph>> {
        self.acls.get(resource).cloned().map(std::sync::Arc::new)
    }
    fn group(&self, group: &str) -> Option<std::sync::Arc<Graph>> {
        self.groups.get(group).cloned().map(std::sync::Arc::new)
    }
}

const ALICE: &str = "https://pod.example/alice#me";
const BOB: &str = "https://pod.example/bob#me";
const CAROL: &str = "https://other.example/carol#me";
const APP: &str = "https://app.example/actor";

fn pod() -> Pod {
    let mut acls = HashMap::new();
    acls.insert(
        "https://pod.example/alice/".to_owned(),
        graph(&format!(
            "<#owner> a acl:Authorization ; acl:agent <{ALICE}> ; acl:accessTo <https://pod.example/alice/> ; acl:default <https://pod.example/alice/> ; acl:mode acl:Read, acl:Write, acl:Control .
             <#app> a acl:Authorization ; acl:agent <{APP}> ; acl:default <https://pod.example/alice/> ; acl:mode acl:Read ."
        )),
    );
    acls.insert(
        "https://pod.example/alice/public/".to_owned(),
        graph(&format!(
            "<#owner> a acl:Authorization ; acl:agent <{ALICE}> ; acl:accessTo <https://pod.example/alice/public/> ; acl:default <https://pod.example/alice/public/> ; acl:mode acl:Read, acl:Write, acl:Control .
             <#public> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:accessTo <https://pod.example/alice/public/> ; acl:default <https://pod.example/alice/public/> ; acl:mode acl:Read ."
        )),
    );
    acls.insert(
        "https://pod.example/alice/inbox/".to_owned(),
        graph(&format!(
            "<#owner> a acl:Authorization ; acl:agent <{ALICE}> ; acl:accessTo <https://pod.example/alice/inbox/> ; acl:default <https://pod.example/alice/inbox/> ; acl:mode acl:Read, acl:Write, acl:Control .
             <#post> a acl:Authorization ; acl:agentClass acl:AuthenticatedAgent ; acl:accessTo <https://pod.example/alice/inbox/> ; acl:mode acl:Append ."
        )),
    );
    acls.insert(
        "https://pod.example/alice/shared/".to_owned(),
        graph(&format!(
            "<#owner> a acl:Authorization ; acl:agent <{ALICE}> ; acl:accessTo <https://pod.example/alice/shared/> ; acl:default <https://pod.example/alice/shared/> ; acl:mode acl:Read, acl:Write, acl:Control .
             <#friends> a acl:Authorization ; acl:agentGroup <https://pod.example/alice/groups/friends#g> ; acl:default <https://pod.example/alice/shared/> ; acl:mode acl:Read, acl:Write ."
        )),
    );
    // A resource with its own ACL: inheritance stops there, even for the owner.
    acls.insert(
        "https://pod.example/alice/shared/secret".to_owned(),
        graph(&format!(
            "<#only> a acl:Authorization ; acl:agent <{ALICE}> ; acl:accessTo <https://pod.example/alice/shared/secret> ; acl:mode acl:Read ."
        )),
    );
    let mut groups = HashMap::new();
    groups.insert(
        "https://pod.example/alice/groups/friends".to_owned(),
        graph(&format!(
            "<https://pod.example/alice/groups/friends#g> a vcard:Group ; vcard:hasMember <{BOB}> ."
        )),
    );
    Pod { acls, groups }
}

fn letters(m: Modes) -> String {
    [
        (AccessMode::Read, 'R'),
        (AccessMode::Write, 'W'),
        (AccessMode::Append, 'A'),
        (AccessMode::Control, 'C'),
    ]
    .iter()
    .map(|(mode, c)| if m.contains(*mode) { *c } else { '-' })
    .collect()
}

#[test]
fn the_matrix_matches_the_acls() {
    let pod = pod();
    let resources = [
        ("root container", "https://pod.example/alice/"),
        ("private document", "https://pod.example/alice/data/notes"),
        ("public container", "https://pod.example/alice/public/"),
        (
            "public document",
            "https://pod.example/alice/public/photo.jpg",
        ),
        (
            "nested public document",
            "https://pod.example/alice/public/a/b/c.ttl",
        ),
        ("inbox container", "https://pod.example/alice/inbox/"),
        ("inbox item", "https://pod.example/alice/inbox/1"),
        ("shared document", "https://pod.example/alice/shared/plan"),
        (
            "document with its own ACL",
            "https://pod.example/alice/shared/secret",
        ),
        ("outside the pod", "https://pod.example/"),
    ];
    let requesters = [
        ("anonymous", Requester::Anonymous),
        ("owner", Requester::Agent(ALICE)),
        ("friend", Requester::Agent(BOB)),
        ("stranger", Requester::Agent(CAROL)),
        (
            "app for owner",
            Requester::Application {
                agent: ALICE,
                application: APP,
            },
        ),
        (
            "app for stranger",
            Requester::Application {
                agent: CAROL,
                application: APP,
            },
        ),
    ];
    // Expected modes, one row per resource, one column per requester (R W A C).
    let expected = [
        ["----", "RWAC", "----", "----", "----", "----"],
        ["----", "RWAC", "----", "----", "R---", "----"],
        // What everyone may read, an application may read for anyone.
        ["R---", "RWAC", "R---", "R---", "R---", "R---"],
        ["R---", "RWAC", "R---", "R---", "R---", "R---"],
        ["R---", "RWAC", "R---", "R---", "R---", "R---"],
        // Any authenticated agent may post to the inbox, through an application too.
        ["----", "RWAC", "--A-", "--A-", "--A-", "--A-"],
        ["----", "RWAC", "----", "----", "----", "----"],
        ["----", "RWAC", "RWA-", "----", "----", "----"],
        ["----", "R---", "----", "----", "----", "----"],
        ["----", "----", "----", "----", "----", "----"],
    ];
    let mut failures = Vec::new();
    for ((rname, resource), row) in resources.iter().zip(expected.iter()) {
        for ((aname, requester), want) in requesters.iter().zip(row.iter()) {
            let got = letters(modes(resource, *requester, &pod));
            if got != *want {
                failures.push(format!("{aname} on {rname}: expected {want}, got {got}"));
            }
            for mode in AccessMode::ALL {
                assert_eq!(
                    allows(resource, *requester, mode, &pod),
                    modes(resource, *requester, &pod).contains(mode)
                );
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn write_implies_append_and_headers_list_modes() {
    let m = Modes::NONE.with(AccessMode::Read).with(AccessMode::Write);
    assert!(m.contains(AccessMode::Append));
    assert_eq!(m.header_value(), "read write append");
    assert_eq!(Modes::NONE.header_value(), "");
}

#[test]
fn containers_of_a_path() {
    assert_eq!(
        parent_container("https://h.example/a/b/c").as_deref(),
        Some("https://h.example/a/b/")
    );
    assert_eq!(
        parent_container("https://h.example/a/b/").as_deref(),
        Some("https://h.example/a/")
    );
    assert_eq!(
        parent_container("https://h.example/a").as_deref(),
        Some("https://h.example/")
    );
    assert_eq!(parent_container("https://h.example/"), None);
    assert_eq!(parent_container("https://h.example"), None);
    assert_eq!(parent_container("not an iri"), None);
}

#[test]
fn no_acl_anywhere_allows_nothing() {
    let empty = Pod {
        acls: HashMap::new(),
        groups: HashMap::new(),
    };
    assert_eq!(
        modes("https://pod.example/x", Requester::Agent(ALICE), &empty),
        Modes::NONE
    );
}
