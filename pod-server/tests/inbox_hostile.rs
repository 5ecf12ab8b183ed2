//! A corpus of hostile posts to an inbox: bad and missing signatures, replayed dates, digest
//! mismatches, forged actors, activities claiming other hosts' objects, huge and deeply nested
//! bodies, unknown contexts; each signed both ways (draft-cavage and RFC 9421) where a signature
//! is involved. Every one gets the right 4xx with a message, and nothing reaches the inbox.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{DEV, Server, client, free_port};
use http::{HeaderMap, HeaderValue};
use kommon_http_signatures::{KeyPair, SigningKey, generate_key_pair, sign_request};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Remote actors served by the test itself (pod-server fetches them on loopback in dev mode).
struct Remote {
    port: u16,
    mallory: KeyPair,
    eve: KeyPair,
    docs: Arc<Mutex<HashMap<String, String>>>,
}

impl Remote {
    fn base(&self) -> String {
        format!("http://localhost:{}", self.port)
    }
    fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base())
    }
    /// Serves `name`'s actor document with this key from now on (a key rotation).
    fn publish(&self, name: &str, key: &KeyPair) {
        let id = self.actor(name);
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": name,
            "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": key.public_pem}
        });
        self.docs
            .lock()
            .unwrap()
            .insert(format!("/users/{name}"), doc.to_string());
    }
}

async fn serve_remote() -> Remote {
    let port = free_port();
    let docs: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let served = Arc::clone(&docs);
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let doc = served.lock().unwrap().get(uri.path()).cloned();
        async move {
            match doc {
                Some(body) => (
                    axum::http::StatusCode::OK,
                    [("content-type", "application/activity+json")],
                    body,
                ),
                None => (
                    axum::http::StatusCode::NOT_FOUND,
                    [("content-type", "text/plain")],
                    "no such actor".to_owned(),
                ),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    let remote = Remote {
        port,
        mallory: generate_key_pair().unwrap(),
        eve: generate_key_pair().unwrap(),
        docs,
    };
    remote.publish("mallory", &remote.mallory);
    remote.publish("eve", &remote.eve);
    remote
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scheme {
    Cavage,
    Rfc9421,
}

/// How to spoil a signature.
#[derive(Clone, Debug)]
enum Spoil {
    None,
    Unsigned,
    Garbage(&'static str),
    OtherKey,
    DateOffset(i64),
    DigestMismatch,
    DigestMissing,
    Uncovered(&'static str),
    Algorithm(&'static str),
    KeyId(String),
    OtherPath,
}

struct Post {
    label: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn http_date(offset: i64) -> String {
    let t = if offset >= 0 {
        SystemTime::now() + Duration::from_secs(offset as u64)
    } else {
        SystemTime::now() - Duration::from_secs((-offset) as u64)
    };
    httpdate::fmt_http_date(t)
}

/// Signs a post to `path` on `host` as `key_id` with `key`, spoiled as asked.
#[allow(clippy::too_many_arguments)]
fn signed(
    scheme: Scheme,
    host: &str,
    path: &str,
    body: &[u8],
    key_id: &str,
    key: &KeyPair,
    other: &KeyPair,
    spoil: &Spoil,
) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/activity+json"),
    );
    if matches!(spoil, Spoil::Unsigned) {
        return h;
    }
    if let Spoil::Garbage(g) = spoil {
        h.insert("signature", HeaderValue::from_static(g));
        if scheme == Scheme::Rfc9421 {
            h.insert("signature-input", HeaderValue::from_static(g));
        }
        return h;
    }
    let signing_key = if matches!(spoil, Spoil::OtherKey) {
        other
    } else {
        key
    };
    let key_id = match spoil {
        Spoil::KeyId(k) => k.clone(),
        _ => key_id.to_owned(),
    };
    let sign_path = if matches!(spoil, Spoil::OtherPath) {
        "/bob/inbox"
    } else {
        path
    };
    let offset = match spoil {
        Spoil::DateOffset(o) => *o,
        _ => 0,
    };
    match scheme {
        Scheme::Cavage => {
            h.insert("date", HeaderValue::from_str(&http_date(offset)).unwrap());
            let sign_body: Option<&[u8]> = match spoil {
                Spoil::Uncovered("digest") => None,
                _ => Some(body),
            };
            sign_request(
                "POST",
                sign_path,
                host,
                &mut h,
                sign_body,
                &key_id,
                &signing_key.private_pem,
            )
            .unwrap();
            match spoil {
                Spoil::DigestMismatch => {
                    h.insert(
                        "digest",
                        HeaderValue::from_static(
                            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                        ),
                    );
                }
                Spoil::DigestMissing => {
                    h.remove("digest");
                }
                Spoil::Uncovered(header) if *header != "digest" => {
                    let sig = h["signature"]
                        .to_str()
                        .unwrap()
                        .replace(&format!(" {header}"), "")
                        .replace(&format!("{header} "), "");
                    h.insert("signature", HeaderValue::from_str(&sig).unwrap());
                }
                Spoil::Algorithm(alg) => {
                    let sig = h["signature"].to_str().unwrap().replace("rsa-sha256", alg);
                    h.insert("signature", HeaderValue::from_str(&sig).unwrap());
                }
                _ => {}
            }
        }
        Scheme::Rfc9421 => {
            let mut digest = format!("sha-256=:{}:", B64.encode(Sha256::digest(body)));
            if matches!(spoil, Spoil::DigestMismatch) {
                digest = "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:".into();
            }
            if !matches!(spoil, Spoil::DigestMissing) {
                h.insert("content-digest", HeaderValue::from_str(&digest).unwrap());
            }
            let mut components = vec!["@method", "@target-uri", "@authority", "content-digest"];
            if let Spoil::Uncovered(c) = spoil {
                let c = if *c == "digest" { "content-digest" } else { c };
                components.retain(|x| *x != c);
            }
            let alg = match spoil {
                Spoil::Algorithm(a) => a.to_string(),
                _ => "rsa-v1_5-sha256".into(),
            };
            let created = if matches!(spoil, Spoil::Uncovered("date")) {
                String::new()
            } else {
                format!(";created={}", now_secs() + offset)
            };
            let list = components
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(" ");
            let params = format!("({list}){created};keyid=\"{key_id}\";alg=\"{alg}\"");
            let target = format!("http://{host}{sign_path}");
            let mut base = String::new();
            for c in &components {
                let v = match *c {
                    "@method" => "POST".to_owned(),
                    "@target-uri" => target.clone(),
                    "@authority" => host.to_owned(),
                    "content-digest" => digest.clone(),
                    other => other.to_owned(),
                };
                base.push_str(&format!("\"{c}\": {v}\n"));
            }
            base.push_str(&format!("\"@signature-params\": {params}"));
            let sk = SigningKey::from_pem(&signing_key.private_pem).unwrap();
            let sig = B64.encode(sk.sign(base.as_bytes()).unwrap());
            h.insert(
                "signature-input",
                HeaderValue::from_str(&format!("sig1={params}")).unwrap(),
            );
            h.insert(
                "signature",
                HeaderValue::from_str(&format!("sig1=:{sig}:")).unwrap(),
            );
        }
    }
    h
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_inbox_posts_get_the_right_4xx_and_store_nothing() {
    let remote = serve_remote().await;
    let s = Server::start(&["alice"]);
    let host = format!("localhost:{}", s.port);
    let path = "/alice/inbox";
    let mallory = remote.actor("mallory");
    let eve = remote.actor("eve");
    let rb = remote.base();
    let follow = |id: &str, actor: &str| {
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Follow",
               "actor": actor, "object": s.webid("alice")})
    };
    let good = follow(&format!("{rb}/activities/1"), &mallory);
    let good_bytes = good.to_string().into_bytes();

    let mut posts: Vec<(Post, u16)> = Vec::new();
    let mk_key_id = format!("{mallory}#main-key");
    let add_signed =
        |posts: &mut Vec<(Post, u16)>, label: String, body: Vec<u8>, spoil: Spoil, status: u16| {
            for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
                let headers = signed(
                    scheme,
                    &host,
                    path,
                    &body,
                    &mk_key_id,
                    &remote.mallory,
                    &remote.eve,
                    &spoil,
                );
                posts.push((
                    Post {
                        label: format!("{label} ({scheme:?})"),
                        headers,
                        body: body.clone(),
                    },
                    status,
                ));
            }
        };

    // Signatures (401): missing, malformed, wrong key, replayed or future dates, digests,
    // uncovered components, algorithms, unreachable or foreign keys, another path.
    add_signed(
        &mut posts,
        "unsigned".into(),
        good_bytes.clone(),
        Spoil::Unsigned,
        401,
    );
    for g in [
        "nonsense",
        "keyId=\"x\"",
        "sig1=:AAAA:",
        "keyId=\"k\",signature=\"!!!\"",
        "keyId=\"k\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"AAAA\"",
        "sig1=(\"@method\"",
        "\"unterminated",
        "a=b, c=d, e",
    ] {
        add_signed(
            &mut posts,
            format!("garbage signature {g}"),
            good_bytes.clone(),
            Spoil::Garbage(g),
            401,
        );
    }
    add_signed(
        &mut posts,
        "signed with another key".into(),
        good_bytes.clone(),
        Spoil::OtherKey,
        401,
    );
    for offset in [
        -13 * 3600,
        -24 * 3600,
        -400 * 86400,
        2 * 3600,
        86400,
        30 * 86400,
    ] {
        add_signed(
            &mut posts,
            format!("date off by {offset} s"),
            good_bytes.clone(),
            Spoil::DateOffset(offset),
            401,
        );
    }
    add_signed(
        &mut posts,
        "digest mismatch".into(),
        good_bytes.clone(),
        Spoil::DigestMismatch,
        401,
    );
    add_signed(
        &mut posts,
        "digest missing".into(),
        good_bytes.clone(),
        Spoil::DigestMissing,
        401,
    );
    // What each standard requires covered: draft-cavage the digest, host, date and target;
    // RFC 9421 the content digest, the method, the target URI and `created`.
    for (scheme, components) in [
        (
            Scheme::Cavage,
            ["digest", "host", "date", "(request-target)"],
        ),
        (
            Scheme::Rfc9421,
            ["digest", "@method", "@target-uri", "date"],
        ),
    ] {
        for c in components {
            let headers = signed(
                scheme,
                &host,
                path,
                &good_bytes,
                &mk_key_id,
                &remote.mallory,
                &remote.eve,
                &Spoil::Uncovered(c),
            );
            posts.push((
                Post {
                    label: format!("{c} not covered ({scheme:?})"),
                    headers,
                    body: good_bytes.clone(),
                },
                401,
            ));
        }
    }
    for alg in ["hmac-sha256", "ecdsa-p256-sha256", "rsa-sha1"] {
        add_signed(
            &mut posts,
            format!("algorithm {alg}"),
            good_bytes.clone(),
            Spoil::Algorithm(alg),
            401,
        );
    }
    for k in [
        format!("http://localhost:{}/users/nobody#main-key", remote.port),
        format!("http://localhost:{}/users/x#main-key", free_port()),
        "urn:key:1".to_owned(),
        "not a url".to_owned(),
        format!("{eve}#main-key"),
    ] {
        add_signed(
            &mut posts,
            format!("keyId {k}"),
            good_bytes.clone(),
            Spoil::KeyId(k),
            401,
        );
    }
    add_signed(
        &mut posts,
        "signed for another inbox".into(),
        good_bytes.clone(),
        Spoil::OtherPath,
        401,
    );
    // Forged actor: mallory signs an activity claiming to be eve's.
    let forged = follow(&format!("{rb}/activities/2"), &eve)
        .to_string()
        .into_bytes();
    add_signed(&mut posts, "forged actor".into(), forged, Spoil::None, 401);

    // Bodies (400, 413), properly signed by mallory.
    let other = "https://elsewhere.example";
    let bodies: Vec<(&str, Vec<u8>, u16)> = vec![
        ("not JSON", b"{\"type\": Follow".to_vec(), 400),
        ("a JSON array", b"[1,2,3]".to_vec(), 400),
        ("a JSON string", b"\"Follow\"".to_vec(), 400),
        ("an empty object", b"{}".to_vec(), 400),
        ("no id", json!({"type": "Follow", "actor": mallory, "object": s.webid("alice")}).to_string().into_bytes(), 400),
        ("id not a URL", json!({"id": "urn:x:1", "type": "Follow", "actor": mallory}).to_string().into_bytes(), 400),
        ("id on another host", follow(&format!("{other}/a/1"), &mallory).to_string().into_bytes(), 400),
        ("id of 3000 bytes", follow(&format!("{rb}/{}", "a".repeat(3000)), &mallory).to_string().into_bytes(), 400),
        ("no type", json!({"id": format!("{rb}/a/3"), "actor": mallory}).to_string().into_bytes(), 400),
        ("a Note, not an activity", json!({"id": format!("{rb}/a/4"), "type": "Note", "actor": mallory}).to_string().into_bytes(), 400),
        ("no actor", json!({"id": format!("{rb}/a/5"), "type": "Follow"}).to_string().into_bytes(), 400),
        ("two actors", json!({"id": format!("{rb}/a/6"), "type": "Follow", "actor": [mallory, eve]}).to_string().into_bytes(), 400),
        ("actor not a URL", json!({"id": format!("{rb}/a/7"), "type": "Follow", "actor": "mallory"}).to_string().into_bytes(), 400),
        ("Create of another host's object", json!({"id": format!("{rb}/a/8"), "type": "Create", "actor": mallory, "object": {"id": format!("{other}/n/1"), "type": "Note"}}).to_string().into_bytes(), 400),
        ("Update of another host's object", json!({"id": format!("{rb}/a/9"), "type": "Update", "actor": mallory, "object": {"id": format!("{other}/n/1"), "type": "Note"}}).to_string().into_bytes(), 400),
        ("Delete of another host's object", json!({"id": format!("{rb}/a/10"), "type": "Delete", "actor": mallory, "object": format!("{other}/n/1")}).to_string().into_bytes(), 400),
        ("Delete of alice", json!({"id": format!("{rb}/a/11"), "type": "Delete", "actor": mallory, "object": s.webid("alice")}).to_string().into_bytes(), 400),
        ("object attributed to another host", json!({"id": format!("{rb}/a/12"), "type": "Create", "actor": mallory, "object": {"id": format!("{rb}/n/2"), "type": "Note", "attributedTo": format!("{other}/u")}}).to_string().into_bytes(), 400),
        ("Create without an object", json!({"id": format!("{rb}/a/13"), "type": "Create", "actor": mallory}).to_string().into_bytes(), 400),
        ("unknown context", json!({"@context": "https://evil.example/context.jsonld", "id": format!("{rb}/a/14"), "type": "Follow", "actor": mallory}).to_string().into_bytes(), 400),
        ("unknown context in a list", json!({"@context": ["https://www.w3.org/ns/activitystreams", "http://127.0.0.1:9/ctx"], "id": format!("{rb}/a/15"), "type": "Follow", "actor": mallory}).to_string().into_bytes(), 400),
        ("context of numbers", json!({"@context": [1, 2], "id": format!("{rb}/a/16"), "type": "Follow", "actor": mallory}).to_string().into_bytes(), 400),
        ("nested 40 deep", {
            let mut v = json!("x");
            for _ in 0..40 { v = json!({"a": v}); }
            json!({"id": format!("{rb}/a/17"), "type": "Follow", "actor": mallory, "object": v}).to_string().into_bytes()
        }, 400),
        ("nested 10,000 arrays", ("[".repeat(10_000) + &"]".repeat(10_000)).into_bytes(), 400),
        ("1.5 MiB", {
            let filler = "x".repeat(1536 * 1024);
            json!({"id": format!("{rb}/a/18"), "type": "Follow", "actor": mallory, "content": filler}).to_string().into_bytes()
        }, 413),
        ("invalid UTF-8", vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'], 400),
    ];
    for (label, body, status) in bodies {
        add_signed(&mut posts, label.to_owned(), body, Spoil::None, status);
    }
    assert!(posts.len() >= 100, "{} posts", posts.len());

    let c = client();
    for (post, expected) in &posts {
        let mut req = c.post(s.url(path)).body(post.body.clone());
        for (k, v) in &post.headers {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        assert_eq!(status, *expected, "{}: {text}", post.label);
        assert!(
            !text.trim().is_empty(),
            "{}: the answer says nothing",
            post.label
        );
    }
    // Nothing was stored: alice's inbox is empty once the worker had time to run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let inbox = |c: reqwest::Client| {
        let url = s.url("/alice/inbox");
        let who = s.webid("alice");
        async move {
            let v: Value = c
                .get(url)
                .header(DEV, who)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["totalItems"].as_u64().unwrap()
        }
    };
    assert_eq!(inbox(c.clone()).await, 0);
    // The same harness with nothing spoiled is accepted: the refusals were for the spoils.
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let body = follow(&format!("{rb}/activities/ok-{scheme:?}"), &mallory)
            .to_string()
            .into_bytes();
        let headers = signed(
            scheme,
            &host,
            path,
            &body,
            &mk_key_id,
            &remote.mallory,
            &remote.eve,
            &Spoil::None,
        );
        let mut req = c.post(s.url(path)).body(body);
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        assert_eq!(req.send().await.unwrap().status(), 202, "{scheme:?}");
    }
    let start = std::time::Instant::now();
    while inbox(c.clone()).await < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the good posts were not processed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Authorized fetch: an activity that is not public is read only with a signature of its actor
/// or of an addressee.
#[tokio::test(flavor = "multi_thread")]
async fn activities_that_are_not_public_need_a_signed_get_of_an_addressee() {
    let remote = serve_remote().await;
    let s = Server::start(&["alice"]);
    let c = client();
    let mallory = remote.actor("mallory");
    let r = c
        .post(s.url("/alice/outbox"))
        .header(DEV, s.webid("alice"))
        .body(
            json!({"type": "Announce", "object": "https://example.org/x", "to": [mallory]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.headers()["location"].to_str().unwrap().to_owned();
    let path = id.strip_prefix(&s.base).unwrap().to_owned();
    let host = format!("localhost:{}", s.port);
    let get = |key_id: String, key: String| {
        let mut h = HeaderMap::new();
        sign_request("GET", &path, &host, &mut h, None, &key_id, &key).unwrap();
        let mut req = c.get(&id).header("accept", "application/activity+json");
        for (k, v) in &h {
            req = req.header(k, v);
        }
        req.send()
    };
    assert_eq!(c.get(&id).send().await.unwrap().status(), 401);
    let r = get(
        format!("{mallory}#main-key"),
        remote.mallory.private_pem.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["id"], id.as_str());
    let eve = remote.actor("eve");
    let r = get(format!("{eve}#main-key"), remote.eve.private_pem.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A signature by mallory's key under eve's name does not pass for either.
    let r = get(
        format!("{eve}#main-key"),
        remote.mallory.private_pem.clone(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
}

/// A peer that rotated its key is believed after one refetch of its actor document.
#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_is_fetched_again_once() {
    let remote = serve_remote().await;
    let s = Server::start(&["alice"]);
    let host = format!("localhost:{}", s.port);
    let mallory = remote.actor("mallory");
    let key_id = format!("{mallory}#main-key");
    let c = client();
    let post = |id: &str, key: &KeyPair| {
        let body = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/activities/{id}", remote.base()),
                          "type": "Follow", "actor": mallory, "object": s.webid("alice")})
        .to_string()
        .into_bytes();
        let h = signed(
            Scheme::Cavage,
            &host,
            "/alice/inbox",
            &body,
            &key_id,
            key,
            key,
            &Spoil::None,
        );
        let mut req = c.post(s.url("/alice/inbox")).body(body);
        for (k, v) in &h {
            req = req.header(k, v);
        }
        req.send()
    };
    // The first post makes the server fetch and cache mallory's key.
    assert_eq!(post("r1", &remote.mallory).await.unwrap().status(), 202);
    // Mallory rotates: the cached key fails, the document is fetched again, the post passes.
    let rotated = generate_key_pair().unwrap();
    remote.publish("mallory", &rotated);
    assert_eq!(post("r2", &rotated).await.unwrap().status(), 202);
    // The old key no longer passes, even after the refetch.
    assert_eq!(post("r3", &remote.mallory).await.unwrap().status(), 401);
}
