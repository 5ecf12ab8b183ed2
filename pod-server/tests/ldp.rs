//! The Solid Protocol against a running pod-server, over HTTP on loopback.

mod common;

use common::{DEV, Server, client};
use reqwest::StatusCode;
use serde_json::Value;

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn put_ttl(s: &Server, path: &str, as_agent: &str, body: &str) -> reqwest::Response {
    client()
        .put(s.url(path))
        .header(DEV, as_agent)
        .header("content-type", "text/turtle")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

fn links(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn webid_is_the_actor_document_activitypods_clients_read() {
    let s = Server::start(&["alice"]);
    let c = client();
    let r = c
        .get(s.webid("alice"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/ld+json")
    );
    let doc: Value = r.json().await.unwrap();
    let base = &s.base;
    assert_eq!(doc["id"], format!("{base}/alice"));
    assert_eq!(doc["pim:storage"], format!("{base}/alice/data/"));
    assert_eq!(doc["solid:oidcIssuer"], format!("{base}/"));
    assert_eq!(
        doc["solid:publicTypeIndex"],
        format!("{base}/alice/data/public-type-index")
    );
    assert_eq!(
        doc["pim:preferencesFile"],
        format!("{base}/alice/data/preferences")
    );
    assert_eq!(doc["inbox"], format!("{base}/alice/inbox"));
    assert_eq!(doc["outbox"], format!("{base}/alice/outbox"));
    assert_eq!(doc["followers"], format!("{base}/alice/followers"));
    assert_eq!(doc["following"], format!("{base}/alice/following"));
    assert_eq!(doc["url"], format!("{base}/alice/data/profile"));
    assert_eq!(doc["preferredUsername"], "alice");
    assert_eq!(
        doc["endpoints"]["void:sparqlEndpoint"],
        format!("{base}/alice/sparql")
    );
    assert_eq!(doc["publicKey"]["owner"], format!("{base}/alice"));
    assert!(
        doc["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("BEGIN PUBLIC KEY")
    );
    let types = doc["type"].as_array().unwrap();
    assert!(types.contains(&Value::from("Person")));

    // The same key on a second read (made once).
    let again: Value = c
        .get(s.webid("alice"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["publicKey"], doc["publicKey"]);

    // The public type index is public and lists the per-type containers.
    let r = c
        .get(s.url("/alice/data/public-type-index"))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ttl = r.text().await.unwrap();
    assert!(ttl.contains("alice/data/pair/project/"), "{ttl}");
    // The profile and the storage are private.
    for path in [
        "/alice/data/profile",
        "/alice/data/",
        "/alice/data/private-type-index",
        "/alice/inbox",
    ] {
        let r = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(r.headers().contains_key("www-authenticate"));
    }
    // The owner reads the profile, listed in vcard/individual/.
    let r = c
        .get(s.url("/alice/data/vcard/individual/"))
        .header(DEV, s.webid("alice"))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("alice/data/profile"));
    // The JSON-LD context is served.
    let ctx: Value = c
        .get(s.url("/.well-known/context.jsonld"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ctx["@context"]["pim"].is_string());
    // `/alice/data` (ActivityPods' form) redirects to the container.
    let r = c
        .get(s.url("/alice/data"))
        .header(DEV, s.webid("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.headers()["location"], s.url("/alice/data/").as_str());
}

#[tokio::test]
async fn crud_conneg_conditions_and_containers() {
    let s = Server::start(&["alice"]);
    let c = client();
    let alice = s.webid("alice");

    // PUT creates intermediate containers.
    let r = put_ttl(
        &s,
        "/alice/data/notes/2026/n1",
        &alice,
        "<#it> <http://schema.org/name> \"Première note\" .",
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let r = c
        .get(s.url("/alice/data/notes/"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let l = links(&r);
    assert!(l.iter().any(|x| x.contains("ldp#BasicContainer")));
    assert!(l.iter().any(|x| x.contains("rel=\"acl\"")));
    assert!(l.iter().any(|x| x.contains("storageDescription")));
    assert_eq!(r.headers()["accept-post"], "*/*");
    assert!(r.text().await.unwrap().contains("notes/2026/"));

    // Content negotiation.
    for (accept, expect) in [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/activity+json", "application/activity+json"),
        ("application/n-triples", "application/n-triples"),
        ("text/n3", "text/n3"),
        ("*/*", "text/turtle"),
    ] {
        let r = c
            .get(s.url("/alice/data/notes/2026/n1"))
            .header(DEV, &alice)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{accept}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(expect),
            "{accept}"
        );
        assert_eq!(
            r.headers()["accept-patch"],
            "text/n3, application/sparql-update"
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("Première note"), "{accept}: {body}");
    }
    let r = c
        .get(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    // JsonLdContext header: a known context is used, an unknown one refused.
    let r = c
        .get(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("accept", "application/ld+json")
        .header("JsonLdContext", "https://schema.org/")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["@context"], "https://schema.org/");
    assert_eq!(v["name"], "Première note");
    // An inline context, as ActivityPods clients may send.
    let r = c
        .get(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("accept", "application/ld+json")
        .header("JsonLdContext", r#"{"nom": "http://schema.org/name"}"#)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["@context"]["nom"], "http://schema.org/name");
    assert_eq!(v["nom"], "Première note");
    for bad in [
        "https://evil.example/ctx",
        "[1, 2]",
        "{not json",
        r#"{"@context": {"@version": 2.5}}"#,
    ] {
        let r = c
            .get(s.url("/alice/data/notes/2026/n1"))
            .header(DEV, &alice)
            .header("accept", "application/ld+json")
            .header("JsonLdContext", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = c
        .get(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("accept", "application/ld+json")
        .header("JsonLdContext", "https://evil.example/ctx")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Conditional requests.
    let r = c
        .get(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = c
        .put(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("content-type", "text/turtle")
        .header("if-none-match", "*")
        .body("<#it> <http://schema.org/name> \"x\" .")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = c
        .put(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("content-type", "text/turtle")
        .header("if-match", "\"bogus\"")
        .body("<#it> <http://schema.org/name> \"x\" .")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = c
        .put(s.url("/alice/data/notes/2026/n1"))
        .header(DEV, &alice)
        .header("content-type", "application/ld+json")
        .header("if-match", &etag)
        .body(r##"{"@context":"https://schema.org/","@id":"#it","name":"Deuxième"}"##)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RESET_CONTENT);

    // Slash semantics and conflicts.
    let r = put_ttl(&s, "/alice/data/notes/2026/n1/", &alice, "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = put_ttl(&s, "/alice/data/notes/2026/n1/child", &alice, "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = c
        .delete(s.url("/alice/data/notes/2026/"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = c
        .delete(s.url("/alice/data/"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);

    // POST with a Slug in an ordinary container; with a container Link.
    let r = c
        .post(s.url("/alice/data/notes/"))
        .header(DEV, &alice)
        .header("content-type", "text/turtle")
        .header("slug", "Réunion du lundi")
        .body("<> <http://schema.org/name> \"Réunion\" .")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.headers()["location"],
        s.url("/alice/data/notes/reunion-du-lundi").as_str()
    );
    let r = c
        .post(s.url("/alice/data/notes/"))
        .header(DEV, &alice)
        .header(
            "link",
            "<http://www.w3.org/ns/ldp#BasicContainer>; rel=\"type\"",
        )
        .header("slug", "archives")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.headers()["location"],
        s.url("/alice/data/notes/archives/").as_str()
    );
    // POST into a type container gives a flat resource.
    let r = c
        .post(s.url("/alice/data/pair/project/"))
        .header(DEV, &alice)
        .header("content-type", "application/ld+json")
        .header("slug", "Jardin partagé")
        .body(r#"{"@context":{"pair":"http://virtual-assembly.org/ontologies/pair#"},"@id":"","@type":"pair:Project","pair:label":"Jardin partagé"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let project = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(project, s.url("/alice/data/jardin-partage"));
    let listing = c
        .get(s.url("/alice/data/pair/project/"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains(&project));
    // Prefer minimal container.
    let r = c
        .get(s.url("/alice/data/pair/project/"))
        .header(DEV, &alice)
        .header(
            "prefer",
            "return=representation; include=\"http://www.w3.org/ns/ldp#PreferMinimalContainer\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["preference-applied"], "return=representation");
    assert!(!r.text().await.unwrap().contains("ldp:contains"));
    // POST to something that is not a container / does not exist.
    let r = c
        .post(s.url("/alice/data/nothing/"))
        .header(DEV, &alice)
        .header("content-type", "text/turtle")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // DELETE leaves a tombstone naming the former type.
    let r = c.delete(&project).header(DEV, &alice).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .get(&project)
        .header(DEV, &alice)
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["type"], "Tombstone");
    assert_eq!(v["formerType"], "pair:Project");
    let listing = c
        .get(s.url("/alice/data/pair/project/"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listing.contains(&project));

    // Binary files keep their media type.
    let png: Vec<u8> = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3, 255];
    let r = c
        .put(s.url("/alice/data/photos/avatar.png"))
        .header(DEV, &alice)
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = c
        .get(s.url("/alice/data/photos/avatar.png"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(links(&r).iter().any(|l| l.contains("NonRDFSource")));
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    // HEAD has the headers and no body.
    let r = c
        .head(s.url("/alice/data/photos/avatar.png"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("etag"));
    assert!(r.bytes().await.unwrap().is_empty());
    // OPTIONS.
    let r = c
        .request(reqwest::Method::OPTIONS, s.url("/alice/data/notes/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.headers()["allow"].to_str().unwrap().contains("POST"));
    // TRACE is not allowed.
    let r = c
        .request(reqwest::Method::TRACE, s.url("/alice/data/notes/"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn patches() {
    let s = Server::start(&["alice"]);
    let c = client();
    let alice = s.webid("alice");
    put_ttl(
        &s,
        "/alice/data/card",
        &alice,
        "<#me> <http://xmlns.com/foaf/0.1/name> \"Alice\" .",
    )
    .await;
    let n3 = "@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.
        _:p a solid:InsertDeletePatch; solid:where { ?me foaf:name \"Alice\" }; solid:deletes { ?me foaf:name \"Alice\" }; solid:inserts { ?me foaf:name \"Alicia\" }.";
    let r = c
        .patch(s.url("/alice/data/card"))
        .header(DEV, &alice)
        .header("content-type", "text/n3")
        .body(n3)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RESET_CONTENT);
    // The where no longer matches: 409.
    let r = c
        .patch(s.url("/alice/data/card"))
        .header(DEV, &alice)
        .header("content-type", "text/n3")
        .body(n3)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // SPARQL Update; deleting an absent triple is 409 and changes nothing.
    let r = c
        .patch(s.url("/alice/data/card"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-update")
        .body("INSERT DATA { <#me> <http://xmlns.com/foaf/0.1/nick> \"ali\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RESET_CONTENT);
    let r = c
        .patch(s.url("/alice/data/card"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-update")
        .body("INSERT DATA { <#me> <http://xmlns.com/foaf/0.1/age> 40 }; DELETE DATA { <#me> <http://xmlns.com/foaf/0.1/name> \"Nobody\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = c
        .get(s.url("/alice/data/card"))
        .header(DEV, &alice)
        .header("accept", "application/n-triples")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("\"Alicia\"") && body.contains("\"ali\"") && !body.contains("age"),
        "{body}"
    );
    // PATCH creates a resource.
    let r = c
        .patch(s.url("/alice/data/new/by-patch"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-update")
        .body("INSERT DATA { <#x> <http://schema.org/name> \"créé\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Unknown formats and malformed patches.
    let r = c
        .patch(s.url("/alice/data/card"))
        .header(DEV, &alice)
        .header("content-type", "application/json-patch+json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.headers().contains_key("accept-patch"));
    for (ct, body, status) in [
        (
            "text/n3",
            "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { ?x <http://a> <http://b> }.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("text/n3", "this is { not n3", StatusCode::BAD_REQUEST),
        (
            "application/sparql-update",
            "DROP ALL",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "application/sparql-update",
            "INSERT DATA {",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = c
            .patch(s.url("/alice/data/card"))
            .header(DEV, &alice)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
    }
    // Containment triples are the server's.
    let r = c
        .patch(s.url("/alice/data/new/"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-update")
        .body(format!(
            "DELETE DATA {{ <{}> <http://www.w3.org/ns/ldp#contains> <{}> }}",
            s.url("/alice/data/new/"),
            s.url("/alice/data/new/by-patch")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn hostile_input_is_refused_and_loses_nothing() {
    let s = Server::start(&["alice"]);
    let c = client();
    let alice = s.webid("alice");
    put_ttl(
        &s,
        "/alice/data/safe",
        &alice,
        "<#a> <http://schema.org/name> \"kept\" .",
    )
    .await;
    // Invalid Turtle: 400 with the position; the old content is intact.
    let r = put_ttl(
        &s,
        "/alice/data/safe",
        &alice,
        "<#a> <http://schema.org/name> \"broken .",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let msg = r.text().await.unwrap();
    assert!(msg.contains("line") && msg.contains("column"), "{msg}");
    // Invalid JSON-LD and an unknown remote context.
    for body in [
        r#"{"@context": "https://evil.example/ctx", "name": "x"}"#,
        "{\"@id\": \"#a\", ",
    ] {
        let r = c
            .put(s.url("/alice/data/safe"))
            .header(DEV, &alice)
            .header("content-type", "application/ld+json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let body = c
        .get(s.url("/alice/data/safe"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("kept"));
    // A body without Content-Type.
    let r = c
        .put(s.url("/alice/data/x"))
        .header(DEV, &alice)
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Path traversal and encoded slashes, sent raw so no client normalises them first.
    for path in [
        "/alice/data/../../bob/data/x",
        "/alice/data/%2e%2e/x",
        "/alice/data/a%2Fb",
        "/alice/data//x",
        "/alice/data/./x",
    ] {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        write!(
            stream,
            "PUT {path} HTTP/1.1\r\nHost: localhost:{}\r\nX-Kommon-Dev-Agent: {alice}\r\nContent-Type: text/turtle\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            s.port
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
    }
    // Oversized bodies.
    let big = vec![b'a'; 17 * 1024 * 1024];
    let r = c
        .put(s.url("/alice/data/big.bin"))
        .header(DEV, &alice)
        .header("content-type", "application/octet-stream")
        .body(big)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // No pod, no resource.
    let r = c.get(s.url("/nobody/data/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // An ACL that is not RDF.
    let r = c
        .put(s.url("/alice/data/safe.acl"))
        .header(DEV, &alice)
        .header("content-type", "image/png")
        .body("xx")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The dev header must name a WebID.
    let r = c
        .get(s.url("/alice/data/safe"))
        .header(DEV, "not a url")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn web_access_control_over_http() {
    let s = Server::start(&["alice", "bob"]);
    let c = client();
    let alice = s.webid("alice");
    let bob = s.webid("bob");
    put_ttl(
        &s,
        "/alice/data/shared/doc",
        &alice,
        "<#a> <http://schema.org/name> \"partagé\" .",
    )
    .await;
    // Bob cannot read it, nor the ACLs.
    let r = c
        .get(s.url("/alice/data/shared/doc"))
        .header(DEV, &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .get(s.url("/alice/data/.acl"))
        .header(DEV, &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .get(s.url("/alice/data/.acl"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Alice gives Bob read and append on the folder, and the public read on one document.
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.
         <#owner> a acl:Authorization; acl:agent <{alice}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
         <#bob> a acl:Authorization; acl:agent <{bob}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Append."
    );
    let r = put_ttl(&s, "/alice/data/shared/.acl", &alice, &acl).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Bob may not write ACLs (Control).
    let r = put_ttl(&s, "/alice/data/shared/.acl", &bob, &acl).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .get(s.url("/alice/data/shared/doc"))
        .header(DEV, &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["wac-allow"], "user=\"read append\",public=\"\"");
    // Append lets Bob POST and insert, not replace or delete.
    let r = c
        .post(s.url("/alice/data/shared/"))
        .header(DEV, &bob)
        .header("content-type", "text/turtle")
        .body("<#b> <http://schema.org/name> \"de Bob\" .")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = c
        .patch(s.url("/alice/data/shared/doc"))
        .header(DEV, &bob)
        .header("content-type", "application/sparql-update")
        .body("INSERT DATA { <#b> <http://schema.org/name> \"ajout\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RESET_CONTENT);
    let r = c
        .patch(s.url("/alice/data/shared/doc"))
        .header(DEV, &bob)
        .header("content-type", "application/sparql-update")
        .body("DELETE DATA { <#b> <http://schema.org/name> \"ajout\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = put_ttl(&s, "/alice/data/shared/doc", &bob, "").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .delete(s.url("/alice/data/shared/doc"))
        .header(DEV, &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Anonymous: 401.
    let r = c.get(s.url("/alice/data/shared/doc")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Publishing one document.
    let r = put_ttl(
        &s,
        "/alice/data/shared/doc.acl",
        &alice,
        &format!(
            "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.
             <#owner> a acl:Authorization; acl:agent <{alice}>; acl:accessTo <doc>; acl:mode acl:Read, acl:Write, acl:Control.
             <#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <doc>; acl:mode acl:Read."
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = c.get(s.url("/alice/data/shared/doc")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["wac-allow"], "user=\"read\",public=\"read\"");
    // Applications acting for Alice get what both hold.
    let app = "https://app.example/actor";
    let r = c
        .get(s.url("/alice/data/shared/.acl"))
        .header(DEV, &alice)
        .header("x-kommon-dev-app", app)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Deleting the document takes its ACL with it.
    let r = c
        .delete(s.url("/alice/data/shared/doc"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .get(s.url("/alice/data/shared/doc.acl"))
        .header(DEV, &alice)
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn http_signatures_authenticate_actors() {
    let s = Server::start(&["alice"]);
    let c = client();
    let alice = s.webid("alice");
    // A remote actor on its own server, as a fediverse peer or an ActivityPods app backend is.
    let key = kommon_http_signatures::generate_key_pair().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let bob = format!("{peer}/actor");
    let actor = serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": bob, "type": "Person", "inbox": format!("{peer}/inbox"),
        "publicKey": {"id": format!("{bob}#main-key"), "owner": bob, "publicKeyPem": key.public_pem},
    });
    let app = axum::Router::new().route(
        "/actor",
        axum::routing::get(move || {
            let actor = actor.clone();
            async move {
                (
                    [("content-type", "application/activity+json")],
                    actor.to_string(),
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    put_ttl(
        &s,
        "/alice/data/for-bob",
        &alice,
        "<#a> <http://schema.org/name> \"pour Bob\" .",
    )
    .await;
    put_ttl(
        &s,
        "/alice/data/for-bob.acl",
        &alice,
        &format!(
            "@prefix acl: <http://www.w3.org/ns/auth/acl#>.
             <#owner> a acl:Authorization; acl:agent <{alice}>; acl:accessTo <for-bob>; acl:mode acl:Read, acl:Write, acl:Control.
             <#bob> a acl:Authorization; acl:agent <{bob}>; acl:accessTo <for-bob>; acl:mode acl:Read, acl:Append."
        ),
    )
    .await;

    let sign = |method: &str, path: &str, body: Option<&[u8]>| {
        let mut headers = http::HeaderMap::new();
        kommon_http_signatures::sign_request(
            method,
            path,
            &format!("localhost:{}", s.port),
            &mut headers,
            body,
            &format!("{bob}#main-key"),
            &key.private_pem,
        )
        .unwrap();
        headers
    };
    let headers = sign("get", "/alice/data/for-bob", None);
    let mut req = c.get(s.url("/alice/data/for-bob"));
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.to_str().unwrap());
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("pour Bob"));
    // A signed PATCH with its digest.
    let body = b"INSERT DATA { <#b> <http://schema.org/name> \"signe\" }";
    let headers = sign("patch", "/alice/data/for-bob", Some(body));
    let mut req = c
        .patch(s.url("/alice/data/for-bob"))
        .header("content-type", "application/sparql-update");
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.to_str().unwrap());
    }
    let r = req.body(body.to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::RESET_CONTENT);
    // A body that does not match the digest: 401.
    let headers = sign("patch", "/alice/data/for-bob", Some(body));
    let mut req = c
        .patch(s.url("/alice/data/for-bob"))
        .header("content-type", "application/sparql-update");
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.to_str().unwrap());
    }
    let r = req
        .body("INSERT DATA { <#c> <http://schema.org/name> \"autre\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A signature for another path: 401.
    let headers = sign("get", "/alice/data/other", None);
    let mut req = c.get(s.url("/alice/data/for-bob"));
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.to_str().unwrap());
    }
    assert_eq!(req.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // Garbage signature header: 401 with a message.
    let r = c
        .get(s.url("/alice/data/for-bob"))
        .header("signature", "keyId=\"x\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pod_sparql_endpoint_answers_the_owner_from_readable_graphs() {
    let s = Server::start(&["alice", "bob"]);
    let c = client();
    let alice = s.webid("alice");
    put_ttl(&s, "/alice/data/p1", &alice, "<#p> a <http://virtual-assembly.org/ontologies/pair#Project> ; <http://virtual-assembly.org/ontologies/pair#label> \"Jardin\" .").await;
    let q = "SELECT ?label WHERE { ?p a <http://virtual-assembly.org/ontologies/pair#Project> ; <http://virtual-assembly.org/ontologies/pair#label> ?label }";
    let r = c
        .post(s.url("/alice/sparql"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-query")
        .header("accept", "application/sparql-results+json")
        .body(q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"]["bindings"][0]["label"]["value"], "Jardin");
    // Containment is queryable, as the SemApps data provider does.
    let r = c
        .post(s.url("/alice/sparql"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-query")
        .body(format!(
            "ASK {{ <{}> <http://www.w3.org/ns/ldp#contains> <{}> }}",
            s.url("/alice/data/"),
            s.url("/alice/data/p1")
        ))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["boolean"], true);
    // Bob's pod is not in Alice's endpoint, and Bob cannot use Alice's endpoint.
    let r = c
        .post(s.url("/alice/sparql"))
        .header(DEV, s.webid("bob"))
        .header("content-type", "application/sparql-query")
        .body(q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(s.url("/alice/sparql"))
        .header("content-type", "application/sparql-query")
        .body(q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(s.url("/alice/sparql"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-query")
        .body("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(!text.contains("/bob"), "{text}");
    // Updates are refused on the pod endpoint (writes go through LDP).
    let r = c
        .post(s.url("/alice/sparql"))
        .header(DEV, &alice)
        .header("content-type", "application/sparql-update")
        .body("INSERT DATA { <http://a> <http://b> <http://c> }")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

#[tokio::test]
async fn signup_page_creates_pods_in_french() {
    let s = Server::start(&["alice"]);
    let c = client();
    let r = c.get(s.url("/.account/signup")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("lang=\"fr\"")
            && html.contains("Créer mon pod")
            && html.contains("Create my pod")
    );
    let form = |name: &str, pw: &str, pw2: &str| {
        vec![
            ("name".to_owned(), name.to_owned()),
            ("display_name".to_owned(), "Camille".to_owned()),
            ("email".to_owned(), "camille@example.org".to_owned()),
            ("password".to_owned(), pw.to_owned()),
            ("password_again".to_owned(), pw2.to_owned()),
        ]
    };
    let r = c
        .post(s.url("/.account/signup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&form("camille", "motdepasse!", "motdepasse!")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.text().await.unwrap().contains(&s.webid("camille")));
    let r = c.get(s.webid("camille")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for (name, pw, pw2, status, needle) in [
        (
            "alice",
            "motdepasse!",
            "motdepasse!",
            StatusCode::CONFLICT,
            "déjà pris",
        ),
        (
            "sparql",
            "motdepasse!",
            "motdepasse!",
            StatusCode::UNPROCESSABLE_ENTITY,
            "réservé",
        ),
        (
            "Bad Name",
            "motdepasse!",
            "motdepasse!",
            StatusCode::UNPROCESSABLE_ENTITY,
            "minuscules",
        ),
        (
            "dominique",
            "court",
            "court",
            StatusCode::UNPROCESSABLE_ENTITY,
            "8 caractères",
        ),
        (
            "dominique",
            "motdepasse!",
            "autre-chose",
            StatusCode::UNPROCESSABLE_ENTITY,
            "diffèrent",
        ),
    ] {
        let r = c
            .post(s.url("/.account/signup"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&form(name, pw, pw2)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{name}");
        let html = r.text().await.unwrap();
        assert!(html.contains(needle), "{name}: {html}");
        // What was typed stays in the form, escaped.
        assert!(html.contains("Camille"));
    }
    let r = c
        .post(s.url("/.account/signup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&form("<script>", "motdepasse!", "motdepasse!")))
        .send()
        .await
        .unwrap();
    assert!(!r.text().await.unwrap().contains("<script>"));
}
