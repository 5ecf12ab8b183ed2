//! The WAC matrix over HTTP: for every kind of agent × kind of resource × mode, the request is
//! allowed exactly when the ACL says so.

mod common;

use common::{DEV, Server, client};
use reqwest::StatusCode;

const APP: &str = "https://app.example/actor";

#[derive(Clone, Copy, Debug)]
enum Mode {
    Read,
    Append,
    Write,
    Control,
}

/// An agent of the matrix: a name, the WebID it authenticates as, the application acting for
/// it, and the modes the ACL grants.
type Agent<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [Mode]);

#[derive(Clone, Copy, Debug)]
enum Kind {
    Container,
    Document,
    File,
}

#[tokio::test]
async fn every_agent_resource_and_mode() {
    let s = Server::start(&["alice"]);
    let c = client();
    let alice = s.webid("alice");
    let bob = "http://people.example/bob#me";
    let dave = "http://people.example/dave#me";
    let carol = "http://people.example/carol#me";
    let owner = |r: reqwest::RequestBuilder| r.header(DEV, &alice);

    // The resources, and a group with Dave in it.
    for (path, ct, body) in [
        (
            "/alice/data/m/doc",
            "text/turtle",
            "<#a> <http://schema.org/name> \"doc\" .",
        ),
        ("/alice/data/groups/team", "text/turtle", ""),
        ("/alice/data/m/pic.png", "image/png", "PNGDATA"),
    ] {
        let body = if path.ends_with("team") {
            format!(
                "<#g> a <http://www.w3.org/2006/vcard/ns#Group>; <http://www.w3.org/2006/vcard/ns#hasMember> <{dave}> ."
            )
        } else {
            body.to_owned()
        };
        let r = owner(c.put(s.url(path)))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{path}");
    }
    let group = s.url("/alice/data/groups/team#g");
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.
         <#owner> a acl:Authorization; acl:agent <{alice}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
         <#bob> a acl:Authorization; acl:agent <{bob}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write.
         <#team> a acl:Authorization; acl:agentGroup <{group}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Append.
         <#members> a acl:Authorization; acl:agentClass acl:AuthenticatedAgent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.
         <#app> a acl:Authorization; acl:agent <{APP}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read."
    );
    let r = owner(c.put(s.url("/alice/data/m/.acl")))
        .header("content-type", "text/turtle")
        .body(acl)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // Who, and what the ACL grants them (Write implies Append).
    let agents: [Agent<'_>; 6] = [
        (
            "owner",
            Some(alice.as_str()),
            None,
            &[Mode::Read, Mode::Append, Mode::Write, Mode::Control],
        ),
        (
            "named agent",
            Some(bob),
            None,
            &[Mode::Read, Mode::Append, Mode::Write],
        ),
        (
            "group member",
            Some(dave),
            None,
            &[Mode::Read, Mode::Append],
        ),
        ("authenticated stranger", Some(carol), None, &[Mode::Read]),
        ("anonymous", None, None, &[]),
        (
            "app acting for the owner",
            Some(alice.as_str()),
            Some(APP),
            &[Mode::Read],
        ),
    ];
    let resources = [
        (Kind::Container, "/alice/data/m/"),
        (Kind::Document, "/alice/data/m/doc"),
        (Kind::File, "/alice/data/m/pic.png"),
    ];
    let mut checked = 0;
    for (who, agent, app, granted) in agents {
        for (kind, path) in resources {
            for mode in [Mode::Read, Mode::Append, Mode::Write, Mode::Control] {
                let url = s.url(path);
                let req = match (mode, kind) {
                    (Mode::Read, _) => c.get(&url),
                    (Mode::Append, Kind::Container) => c
                        .post(&url)
                        .header("content-type", "text/turtle")
                        .body("<#x> <http://schema.org/name> \"posted\" ."),
                    (Mode::Append, Kind::Document) => c
                        .patch(&url)
                        .header("content-type", "application/sparql-update")
                        .body(format!(
                            "INSERT DATA {{ <#x> <http://schema.org/name> \"{who}\" }}"
                        )),
                    // A file cannot be appended to.
                    (Mode::Append, Kind::File) => continue,
                    (Mode::Write, Kind::Container) => {
                        c.put(&url).header("content-type", "text/turtle").body("")
                    }
                    (Mode::Write, Kind::Document) => c
                        .put(&url)
                        .header("content-type", "text/turtle")
                        .body("<#a> <http://schema.org/name> \"doc\" ."),
                    (Mode::Write, Kind::File) => c
                        .put(&url)
                        .header("content-type", "image/png")
                        .body("PNGDATA"),
                    (Mode::Control, _) => c.get(format!("{url}.acl")),
                };
                let req = match agent {
                    Some(a) => req.header(DEV, a),
                    None => req,
                };
                let req = match app {
                    Some(a) => req.header("x-kommon-dev-app", a),
                    None => req,
                };
                let status = req.send().await.unwrap().status();
                let refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
                let allowed = granted
                    .iter()
                    .any(|g| std::mem::discriminant(g) == std::mem::discriminant(&mode));
                assert_eq!(
                    !refused, allowed,
                    "{who} × {kind:?} × {mode:?}: got {status}"
                );
                if refused {
                    // Anonymous requests are told to authenticate; the others are forbidden.
                    let expected = if agent.is_none() {
                        StatusCode::UNAUTHORIZED
                    } else {
                        StatusCode::FORBIDDEN
                    };
                    assert_eq!(status, expected, "{who} × {kind:?} × {mode:?}");
                } else {
                    assert!(
                        status.is_success() || status == StatusCode::NOT_FOUND,
                        "{who} × {kind:?} × {mode:?}: {status}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6 * (3 * 4 - 1));
}
