//! Federation across real processes: pod-servers and real third-party peers on loopback.
//! Fedify 2.3.6 (npm) and fediverse-pasture (PyPI) are installed by `tests/interop/install.sh`
//! and `tests/requirements.txt`; without them these tests are skipped, or fail when
//! `KOMMON_REQUIRE_INTEROP=1` (as in `.ci/run`).

mod common;

use common::{
    DEV, Server, available, client, free_port, get_json, interop_dir, post_outbox, python,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A scripted Fedify peer (`tests/interop/fedify-peer.mjs`), killed when dropped.
struct FedifyPeer {
    child: Child,
    port: u16,
}

impl FedifyPeer {
    fn start() -> Option<Self> {
        let script = interop_dir().join("fedify-peer.mjs");
        if !available(
            "@fedify/fedify (tests/interop/fediverse)",
            interop_dir()
                .join("fediverse/node_modules/@fedify/fedify")
                .exists(),
        ) {
            return None;
        }
        let port = free_port();
        let mut child = Command::new("node")
            .arg(script)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the Fedify peer");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("READY") => break,
                Some(Ok(_)) => continue,
                _ => panic!("the Fedify peer did not start"),
            }
        }
        Some(Self { child, port })
    }

    fn actor(&self) -> String {
        format!("http://localhost:{}/users/tester", self.port)
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = client()
            .post(format!("http://localhost:{}/control/{path}", self.port))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "control {path}: {status} {v}");
        v
    }

    async fn get(&self, path: &str) -> Value {
        client()
            .get(format!("http://localhost:{}/control/{path}", self.port))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The types and ids of the verified activities received so far.
    async fn received(&self) -> Vec<Value> {
        self.get("received")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for FedifyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it returns `Some`, for at most `secs` seconds.
async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A collection of a pod as its owner sees it: `totalItems` and the first page's items.
async fn collection(s: &Server, name: &str, which: &str) -> (u64, Vec<Value>) {
    let owner = s.webid(name);
    let summary = get_json(&s.url(&format!("/{name}/{which}")), Some(&owner)).await;
    let page = get_json(&s.url(&format!("/{name}/{which}?page=true")), Some(&owner)).await;
    (
        summary["totalItems"].as_u64().unwrap_or(0),
        page["orderedItems"].as_array().cloned().unwrap_or_default(),
    )
}

fn has(items: &[Value], f: impl Fn(&Value) -> bool) -> bool {
    items.iter().any(f)
}

#[tokio::test(flavor = "multi_thread")]
async fn fedify_follow_accept_create_undo_both_ways() {
    let Some(peer) = FedifyPeer::start() else {
        return;
    };
    let s = Server::start(&["alice"]);
    let alice = s.webid("alice");
    let tester = peer.actor();

    // Fedify follows alice (RFC 9421 first knock): alice accepts, Fedify verifies the Accept.
    let follow = peer.control("follow", json!({"target": alice})).await;
    let follow_id = follow["id"].as_str().unwrap().to_owned();
    eventually("Fedify to receive alice's Accept", 20, || async {
        has(&peer.received().await, |a| {
            a["type"] == "Accept" && a["objectId"] == follow_id.as_str()
        })
        .then_some(())
    })
    .await;
    let (n, items) = collection(&s, "alice", "followers").await;
    assert_eq!(n, 1);
    assert_eq!(items[0], tester.as_str());

    // Fedify sends a Create{Note} to alice: it lands in her inbox.
    let created = peer
        .control(
            "create",
            json!({"target": alice, "content": "Bonjour Alice"}),
        )
        .await;
    let create_id = created["activityId"].as_str().unwrap().to_owned();
    eventually("the Create in alice's inbox", 20, || async {
        let (_, items) = collection(&s, "alice", "inbox").await;
        has(&items, |a| a["id"] == create_id.as_str()).then_some(())
    })
    .await;

    // alice follows Fedify through her outbox (C2S): Fedify accepts, alice's following has it.
    let alice_follow = post_outbox(
        &s,
        "alice",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
               "object": tester, "to": [tester]}),
    )
    .await;
    eventually("alice's Follow verified by Fedify", 20, || async {
        has(&peer.received().await, |a| {
            a["type"] == "Follow" && a["id"] == alice_follow.as_str()
        })
        .then_some(())
    })
    .await;
    eventually("Fedify in alice's following", 20, || async {
        let (n, items) = collection(&s, "alice", "following").await;
        (n == 1 && items[0] == tester.as_str()).then_some(())
    })
    .await;

    // alice posts a bare Note to her followers: wrapped in a Create, stored in her pod,
    // delivered to Fedify (who follows her) and verified there.
    let create = post_outbox(
        &s,
        "alice",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Note",
               "content": "Salut Fedify", "to": ["https://www.w3.org/ns/activitystreams#Public"],
               "cc": [format!("{alice}/followers")]}),
    )
    .await;
    let received = eventually("alice's Create at Fedify", 20, || async {
        peer.received()
            .await
            .into_iter()
            .find(|a| a["type"] == "Create" && a["id"] == create.as_str())
    })
    .await;
    let note_url = received["objectId"].as_str().unwrap().to_owned();
    assert!(
        note_url.starts_with(&format!("{alice}/data/as/note/"))
            || note_url.starts_with(&format!("{alice}/data/")),
        "{note_url}"
    );
    let note: Value = client()
        .get(&note_url)
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(note.to_string().contains("Salut Fedify"), "{note}");

    // Fedify undoes its Follow: alice has no follower left.
    peer.control("undo-follow", json!({"target": alice})).await;
    eventually("the Undo to remove the follower", 20, || async {
        (collection(&s, "alice", "followers").await.0 == 0).then_some(())
    })
    .await;

    // alice undoes hers: Fedify verifies the Undo and drops her from its followers.
    post_outbox(
        &s,
        "alice",
        json!({"type": "Undo", "object": alice_follow, "to": [tester]}),
    )
    .await;
    eventually("alice gone from Fedify's followers", 20, || async {
        let f = peer.get("followers").await;
        (!f.to_string().contains(&alice)).then_some(())
    })
    .await;
    assert_eq!(collection(&s, "alice", "following").await.0, 0);
}

/// Runs `tests/interop/pasture.sh` with these arguments; its stdout.
fn pasture(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(interop_dir().join("pasture.sh"))
        .args(args)
        .env("KOMMON_PYTHON", python())
        .output()
        .expect("pasture.sh runs");
    assert!(
        out.status.success(),
        "pasture.sh {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pasture_available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import fediverse_pasture"])
        .output()
        .is_ok_and(|o| o.status.success());
    available(
        "fediverse-pasture (pip install -r tests/requirements.txt)",
        ok,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn fediverse_pasture_verifies_a_resident_and_the_instance_actor_and_sends_a_note() {
    if !pasture_available() {
        return;
    }
    let s = Server::start(&["alice"]);
    for actor in [s.webid("alice"), s.url("/actor")] {
        let port = free_port().to_string();
        let out = pasture(&["verify", &actor, &port]);
        let v: Value = serde_json::from_str(&out).expect("verify_actor answers JSON");
        let r = &v["result"];
        // alice and dean post unsigned: refused. The others sign (claire and frank also want
        // our fetch of their actor signed): accepted. WebFinger round-trips.
        for (who, post) in [
            ("alice", false),
            ("bob", true),
            ("claire", true),
            ("dean", false),
            ("emily", true),
            ("frank", true),
        ] {
            assert_eq!(r[who]["get_actor"], true, "{actor} {who}: {v}");
            assert_eq!(r[who]["post_inbox"], post, "{actor} {who}: {v}");
        }
        assert_eq!(r["webfinger"], true, "{actor}: {v}");
    }
    // pasture's `send` delivers a signed Create{Note} to alice.
    let port = free_port().to_string();
    pasture(&["send", &s.webid("alice"), &port, "Bonjour de la pâture"]);
    eventually("pasture's note in alice's inbox", 20, || async {
        let (_, items) = collection(&s, "alice", "inbox").await;
        has(&items, |a| {
            a["type"] == "Create" && a.to_string().contains("Bonjour de la p")
        })
        .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn activitypub_testing_actor_checks_pass() {
    let bin = interop_dir().join("fediverse/node_modules/.bin/activitypub-testing");
    if !available(
        "activitypub-testing (tests/interop/fediverse)",
        bin.exists(),
    ) {
        return;
    }
    let s = Server::start(&["alice"]);
    for actor in [s.webid("alice"), s.url("/actor")] {
        let out = Command::new(&bin)
            .args(["test", "actor", &actor])
            .output()
            .expect("activitypub-testing runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut passed = Vec::new();
        for line in text.lines().filter(|l| l.starts_with('{')) {
            let a: Value = serde_json::from_str(line).expect("an assertion");
            let slug = a["test"]["slug"].as_str().unwrap_or_default().to_owned();
            let outcome = a["result"]["outcome"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert_ne!(outcome, "failed", "{actor}: {slug} failed: {a}");
            if outcome == "passed" {
                passed.push(slug);
            }
        }
        for slug in [
            "actor-must-serve-as2-object-to-get",
            "actor-objects-must-have-inbox-outbox-properties",
            "outbox-must-be-an-orderedcollection",
            "followers-collection-must-be-a-collection",
            "following-collection-must-be-a-collection",
        ] {
            assert!(
                passed.iter().any(|p| p == slug),
                "{actor}: {slug} did not pass: {text}"
            );
        }
    }
}

/// A bovine-herd server over TLS (`tests/interop/bovine-herd.sh`), stopped when dropped.
struct Herd {
    dir: tempfile::TempDir,
    url: String,
    actor: String,
    secret: String,
    cert: String,
}

fn herd_python() -> String {
    std::env::var("KOMMON_HERD_PYTHON").unwrap_or_else(|_| {
        interop_dir()
            .join("../../.ci/venv-herd/bin/python")
            .to_string_lossy()
            .into_owned()
    })
}

impl Herd {
    fn start() -> Option<Self> {
        let ok = Command::new(herd_python())
            .args(["-c", "import bovine_herd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !available(
            "bovine-herd (.ci/venv-herd, tests/requirements-herd.txt)",
            ok,
        ) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let out = Command::new("bash")
            .arg(interop_dir().join("bovine-herd.sh"))
            .args(["start", &port.to_string()])
            .arg(dir.path())
            .env("KOMMON_HERD_PYTHON", herd_python())
            .output()
            .expect("bovine-herd.sh runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "bovine-herd.sh: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{k} ")))
                .unwrap_or_else(|| panic!("no {k} in {text}"))
                .to_owned()
        };
        Some(Self {
            url: format!("https://localhost:{port}"),
            actor: field("ACTOR"),
            secret: field("SECRET"),
            cert: field("CERT"),
            dir,
        })
    }

    fn c2s(&self, args: &[&str]) -> String {
        let out = Command::new(herd_python())
            .arg(interop_dir().join("bovine-c2s.py"))
            .args([self.url.as_str(), self.secret.as_str()])
            .args(args)
            .env("HERD_CERT", &self.cert)
            .output()
            .expect("bovine-c2s.py runs");
        assert!(
            out.status.success(),
            "bovine-c2s.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The herd actor's inbox (ids and types of the stored activities).
    fn inbox(&self) -> Vec<Value> {
        serde_json::from_str(&self.c2s(&["inbox"])).unwrap_or_default()
    }
}

impl Drop for Herd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(interop_dir().join("bovine-herd.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bovine_herd_follows_and_creates_both_ways() {
    let Some(herd) = Herd::start() else {
        return;
    };
    let s = Server::start_env(&["alice"], &[("KOMMON_EXTRA_CA_FILE", &herd.cert)]);
    let alice = s.webid("alice");

    // The herd follows alice (its Follow signed rsa-sha256; its actor needs a signed GET).
    herd.c2s(&[
        "send",
        &json!({"type": "Follow", "object": alice, "to": [alice]}).to_string(),
    ]);
    eventually("the herd among alice's followers", 30, || async {
        let (_, items) = collection(&s, "alice", "followers").await;
        has(&items, |f| *f == herd.actor.as_str()).then_some(())
    })
    .await;
    eventually(
        "alice's Accept verified and stored by the herd",
        30,
        || async { has(&herd.inbox(), |a| a["type"] == "Accept").then_some(()) },
    )
    .await;

    // alice follows the herd through her outbox: the herd verifies and stores the Follow.
    let follow = post_outbox(
        &s,
        "alice",
        json!({"type": "Follow", "object": herd.actor, "to": [herd.actor]}),
    )
    .await;
    eventually("alice's Follow at the herd", 30, || async {
        has(&herd.inbox(), |a| a["id"] == follow.as_str()).then_some(())
    })
    .await;

    // A Create each way, verified by the receiver.
    herd.c2s(&[
        "send",
        &json!({"type": "Create", "to": [alice],
                "object": {"type": "Note", "content": "Bonjour du troupeau", "to": [alice]}})
        .to_string(),
    ]);
    eventually("the herd's Create in alice's inbox", 30, || async {
        let (_, items) = collection(&s, "alice", "inbox").await;
        has(&items, |a| {
            a["type"] == "Create" && a.to_string().contains("Bonjour du troupeau")
        })
        .then_some(())
    })
    .await;
    let create = post_outbox(
        &s,
        "alice",
        json!({"type": "Note", "content": "Salut le troupeau", "to": [herd.actor]}),
    )
    .await;
    eventually("alice's Create at the herd", 30, || async {
        has(&herd.inbox(), |a| a["id"] == create.as_str()).then_some(())
    })
    .await;
}

/// The status of a write by the owner of pod `name`: `method` on `url`, a body of
/// `content_type`, and `extra` headers.
async fn owner_writes(
    s: &Server,
    name: &str,
    method: reqwest::Method,
    url: &str,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> reqwest::StatusCode {
    let mut req = client()
        .request(method, url)
        .header(DEV, s.webid(name))
        .header("content-type", content_type);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.body(body.to_owned()).send().await.unwrap().status()
}

/// Whether the owner of `alice` could PUT `body` (Turtle) at `path`.
async fn owner_puts(s: &Server, path: &str, body: &str) -> bool {
    let url = s.url(path);
    owner_writes(
        s,
        "alice",
        reqwest::Method::PUT,
        &url,
        "text/turtle",
        &[],
        body,
    )
    .await
    .is_success()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ldp_write_and_its_outbox_activity_are_committed_together() {
    use reqwest::Method;
    let s = Server::start(&["alice"]);
    let (before, _) = collection(&s, "alice", "outbox").await;
    let url = s.url("/alice/data/notes/together");
    let note = "<> a <https://www.w3.org/ns/activitystreams#Note> .";
    assert_eq!(
        owner_writes(&s, "alice", Method::PUT, &url, "text/turtle", &[], note).await,
        201
    );
    // No waiting: the activity was committed with the write itself.
    let (after, items) = collection(&s, "alice", "outbox").await;
    assert_eq!(after, before + 1);
    assert_eq!(items[0]["type"], "Create", "{items:?}");
    assert_eq!(items[0]["object"]["id"], url.as_str());
    // Writes that are refused, before or inside their transaction, leave no activity.
    let stale = [("if-match", "\"not-the-current-version\"")];
    let article = "<> a <https://www.w3.org/ns/activitystreams#Article> .";
    assert_eq!(
        owner_writes(
            &s,
            "alice",
            Method::PUT,
            &url,
            "text/turtle",
            &stale,
            article
        )
        .await,
        412
    );
    assert_eq!(
        owner_writes(&s, "alice", Method::PUT, &url, "text/turtle", &[], "<> a").await,
        400
    );
    let absent = "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; \
                  solid:deletes { <> <https://example.org/absent> \"x\" . }.";
    assert_eq!(
        owner_writes(&s, "alice", Method::PATCH, &url, "text/n3", &[], absent).await,
        409
    );
    let (unchanged, _) = collection(&s, "alice", "outbox").await;
    assert_eq!(unchanged, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_container_under_a_public_one_is_not_announced() {
    let s = Server::start(&["alice"]);
    let alice = s.webid("alice");
    let acl = |target: &str, public: bool| {
        let mut t = format!(
            "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
             <#owner> a acl:Authorization; acl:agent <{alice}>; acl:accessTo <{target}>; \
             acl:default <{target}>; acl:mode acl:Read, acl:Write, acl:Control.\n"
        );
        if public {
            t.push_str(&format!(
                "<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>; \
                 acl:accessTo <{target}>; acl:default <{target}>; acl:mode acl:Read.\n"
            ));
        }
        t
    };
    let open = s.url("/alice/data/open/");
    let closed = s.url("/alice/data/open/closed/");
    assert!(owner_puts(&s, "/alice/data/open/", "").await);
    assert!(owner_puts(&s, "/alice/data/open/.acl", &acl(&open, true)).await);
    // Created while it inherits the public ACL of its parent: announced.
    assert!(owner_puts(&s, "/alice/data/open/closed/", "").await);
    assert!(owner_puts(&s, "/alice/data/open/closed/.acl", &acl(&closed, false)).await);
    // Changed once its own ACL keeps it private: not announced.
    let title = "<> <http://purl.org/dc/terms/title> \"private\" .";
    assert!(owner_puts(&s, "/alice/data/open/closed/", title).await);
    let (_, owner_view) = collection(&s, "alice", "outbox").await;
    assert_eq!(owner_view[0]["type"], "Update", "{owner_view:?}");
    assert_eq!(owner_view[0]["object"]["id"], closed.as_str());
    let public_view = get_json(&s.url("/alice/outbox?page=true"), None).await;
    let seen: Vec<(String, String)> = public_view["orderedItems"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            (
                a["type"].as_str().unwrap_or_default().to_owned(),
                a["object"]["id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        seen.contains(&("Create".into(), closed.clone())),
        "{public_view}"
    );
    assert!(
        !seen.contains(&("Update".into(), closed.clone())),
        "{public_view}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ldp_writes_appear_in_the_outbox_as_activitypods_apps_expect() {
    let s = Server::start(&["alice"]);
    let c = client();
    let url = s.url("/alice/data/notes/n1");
    let put = |body: &'static str| {
        c.put(&url)
            .header(DEV, s.webid("alice"))
            .header("content-type", "text/turtle")
            .body(body)
            .send()
    };
    assert_eq!(
        put("<> a <https://www.w3.org/ns/activitystreams#Note> .")
            .await
            .unwrap()
            .status(),
        201
    );
    assert!(put("<> a <https://www.w3.org/ns/activitystreams#Note>; <https://www.w3.org/ns/activitystreams#content> \"v2\" .").await.unwrap().status().is_success());
    let r = c
        .delete(&url)
        .header(DEV, s.webid("alice"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let activities = eventually("three activities in the outbox", 10, || async {
        let (n, items) = collection(&s, "alice", "outbox").await;
        (n >= 3).then_some(items)
    })
    .await;
    // Newest first: Delete (a Tombstone), Update, Create (with the object's type).
    let kinds: Vec<&str> = activities
        .iter()
        .take(3)
        .filter_map(|a| a["type"].as_str())
        .collect();
    assert_eq!(kinds, ["Delete", "Update", "Create"], "{activities:?}");
    assert_eq!(activities[2]["object"]["id"], url.as_str());
    assert!(
        activities[2]["object"]["type"]
            .to_string()
            .contains("activitystreams#Note")
    );
    assert_eq!(activities[0]["object"]["type"], "Tombstone");
    for a in &activities[..3] {
        assert_eq!(a["actor"], s.webid("alice").as_str());
    }
    // The resource was private: anonymous readers of the outbox do not see these activities.
    let page: Value = c
        .get(s.url("/alice/outbox?page=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["orderedItems"].as_array().map(Vec::len),
        Some(0),
        "{page}"
    );
    // Activities have ids that answer: the owner reads one, an anonymous reader is told to log in.
    let id = activities[2]["id"].as_str().unwrap();
    assert_eq!(
        c.get(id)
            .header(DEV, s.webid("alice"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = c.get(id).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    // Collections page with stable cursors.
    for i in 0..25 {
        post_outbox(
            &s,
            "alice",
            json!({"type": "Like", "object": format!("https://example.org/o/{i}")}),
        )
        .await;
    }
    let liked: Value = c
        .get(s.url("/alice/liked"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(liked["totalItems"], 25);
    let first: Value = c
        .get(s.url("/alice/liked?page=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["orderedItems"].as_array().unwrap().len(), 20);
    assert_eq!(first["orderedItems"][0], "https://example.org/o/24");
    let next: Value = c
        .get(first["next"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["orderedItems"].as_array().unwrap().len(), 5);
    assert!(next.get("next").is_none());
    assert_eq!(
        c.get(s.url("/alice/liked?max_id=abc"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    // Posting to someone else's outbox, or anonymously, is refused.
    let r = c
        .post(s.url("/alice/outbox"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(s.url("/alice/outbox"))
        .header(DEV, "http://localhost:1/mallory")
        .body(json!({"type": "Like", "object": "https://x.example/"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    for (body, status) in [
        ("not json", 400),
        ("{}", 400),
        (r#"{"type":"Create"}"#, 400),
        (
            r#"{"type":"Update","object":{"id":"https://elsewhere.example/x","type":"Note"}}"#,
            403,
        ),
        (
            r#"{"type":"Delete","object":"https://elsewhere.example/x"}"#,
            403,
        ),
        (
            r#"{"type":"Undo","object":"https://elsewhere.example/act/1"}"#,
            400,
        ),
        (
            r#"{"type":"Like","actor":"https://elsewhere.example/u","object":"https://x/"}"#,
            403,
        ),
    ] {
        let r = c
            .post(s.url("/alice/outbox"))
            .header(DEV, s.webid("alice"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            status,
            "{body}: {}",
            r.text().await.unwrap_or_default()
        );
    }
}
