//! The resident's pod page over real HTTP: log in, edit the profile (with a photo, skills and
//! a commune), make client credentials and use them, revoke an app, export the pod, delete it.

mod common;

use common::{DEV, Server, client};
use reqwest::StatusCode;
use std::io::Read;

const SKILL: &str = "https://w3id.org/kommon/skills/artisanat";

/// Logs in through the form; returns the session cookie.
async fn login(s: &Server, pod: &str, password: &str) -> Option<String> {
    let r = client()
        .post(s.url("/.account/login"))
        .form(&[
            ("username", pod),
            ("password", password),
            ("next", "/.account/pod"),
        ])
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::SEE_OTHER {
        return None;
    }
    assert_eq!(r.headers()["location"], "/.account/pod");
    r.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

async fn page(s: &Server, cookie: &str) -> String {
    let r = client()
        .get(s.url("/.account/pod"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

#[tokio::test]
async fn login_is_needed_and_checked() {
    let s = Server::start(&["alice"]);
    let r = client().get(s.url("/.account/pod")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(login(&s, "alice", "wrong password").await.is_none());
    assert!(login(&s, "nobody", "correct horse battery").await.is_none());
    let cookie = login(&s, "alice", "correct horse battery")
        .await
        .expect("logged in");
    let html = page(&s, &cookie).await;
    assert!(html.contains("lang=\"fr\"") && html.contains("Mon pod"));
    for section in [
        "id=\"profile\"",
        "id=\"apps\"",
        "id=\"credentials\"",
        "id=\"export\"",
        "id=\"delete\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert!(
        html.contains("Artisanat"),
        "skills of the nomenclature are offered"
    );
    assert!(html.contains("Saint-Denis"), "communes are offered");
    // A form from another site is refused even with the cookie.
    let r = client()
        .post(s.url("/.account/credentials"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("label", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Logging out ends the session.
    let r = client()
        .post(s.url("/.account/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client()
        .get(s.url("/.account/pod"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_profile_is_edited_with_a_photo_skills_and_a_commune() {
    let s = Server::start(&["alice"]);
    let cookie = login(&s, "alice", "correct horse battery").await.unwrap();
    let html = page(&s, &cookie).await;
    let commune = html
        .split("<option value=\"")
        .skip(2)
        .find(|o| o.contains("Saint-Denis"))
        .and_then(|o| o.split('"').next())
        .expect("a commune option")
        .to_owned();
    let png = b"\x89PNG\r\n\x1a\n fake but typed as an image".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("name", "Alice Martin")
        .text("bio", "Céramiste au 6B, « terre et feu ».")
        .text(
            "links",
            "https://alice.example\nhttps://atelier.example/alice",
        )
        .text("commune", commune.clone())
        .text("skill", SKILL)
        .text("public", "yes")
        .part(
            "photo",
            reqwest::multipart::Part::bytes(png.clone())
                .file_name("moi.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let r = client()
        .post(s.url("/.account/profile"))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Profil enregistré"));
    // The profile document, public now, in Turtle.
    let ttl = client()
        .get(s.url("/alice/data/profile"))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(ttl.status(), StatusCode::OK, "public after the checkbox");
    let ttl = ttl.text().await.unwrap();
    let commune_local = commune.rsplit('#').next().unwrap().to_owned();
    for expected in [
        "Alice Martin",
        "terre et feu",
        "artisanat",
        &commune_local,
        "https://atelier.example/alice",
    ] {
        assert!(ttl.contains(expected), "{expected} in {ttl}");
    }
    // The photo is stored as a file, with its type, readable like the profile.
    let doc: serde_json::Value = client()
        .get(s.url("/alice/data/profile"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let photo = doc["vcard:photo"]
        .as_str()
        .or(doc["vcard:photo"]["id"].as_str())
        .expect("vcard:photo")
        .to_owned();
    let r = client().get(&photo).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    // The WebID carries the new name.
    let webid: serde_json::Value = client()
        .get(s.webid("alice"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(webid["name"], "Alice Martin");
    // As an actor, for fediverse servers: the description and the picture as an Image.
    let actor: serde_json::Value = client()
        .get(s.webid("alice"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        actor["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("terre et feu"),
        "{actor}"
    );
    assert_eq!(actor["icon"]["type"], "Image", "{actor}");
    assert_eq!(actor["icon"]["url"], photo.as_str(), "{actor}");
    assert_eq!(actor["icon"]["mediaType"], "image/png", "{actor}");
    // Bad input: said, nothing written.
    for (field, value, expected) in [
        ("skill", "https://evil.example/skill", "nomenclature"),
        ("links", "javascript:alert(1)", "http(s)"),
        ("commune", "https://evil.example/commune", "commune"),
        ("bio", &"x".repeat(300), "280"),
        ("name", "", "1 à 200"),
    ] {
        let mut form = reqwest::multipart::Form::new().text("name", "Alice Martin");
        form = if field == "name" {
            reqwest::multipart::Form::new().text("name", value.to_owned())
        } else {
            form.text(field, value.to_owned())
        };
        let r = client()
            .post(s.url("/.account/profile"))
            .header("cookie", &cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let text = r.text().await.unwrap();
        assert!(
            text.contains("role=\"alert\"") && text.contains(expected),
            "{field}: {expected}"
        );
    }
    let after = client()
        .get(s.url("/alice/data/profile"))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        after.contains("terre et feu"),
        "the refused forms changed nothing"
    );
    let not_image = reqwest::multipart::Form::new().text("name", "Alice").part(
        "photo",
        reqwest::multipart::Part::bytes(b"#!/bin/sh".to_vec())
            .file_name("x.sh")
            .mime_str("text/x-sh")
            .unwrap(),
    );
    let r = client()
        .post(s.url("/.account/profile"))
        .header("cookie", &cookie)
        .multipart(not_image)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A new photo, and private again: the former photo is gone, the new one private, and the
    // owner still sees hers on her page.
    let form = reqwest::multipart::Form::new()
        .text("name", "Alice Martin")
        .part(
            "photo",
            reqwest::multipart::Part::bytes(b"\x89PNG second".to_vec())
                .file_name("b.png")
                .mime_str("image/png")
                .unwrap(),
        );
    client()
        .post(s.url("/.account/profile"))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        client()
            .get(s.url("/alice/data/profile"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        client().get(&photo).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let former = client()
        .get(&photo)
        .header(DEV, s.webid("alice"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        former == StatusCode::NOT_FOUND || former == StatusCode::GONE,
        "the former photo: {former}"
    );
    let own = client()
        .get(s.url("/.account/photo"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(own.bytes().await.unwrap().to_vec(), b"\x89PNG second");
    assert_eq!(
        client()
            .get(s.url("/.account/photo"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(page(&s, &cookie).await.contains("src=\"/.account/photo\""));
}

#[tokio::test]
async fn credentials_made_on_the_page_work_and_can_be_deleted() {
    let s = Server::start(&["alice"]);
    let cookie = login(&s, "alice", "correct horse battery").await.unwrap();
    let r = client()
        .post(s.url("/.account/credentials"))
        .header("cookie", &cookie)
        .form(&[("label", "mon-script")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let grab = |id: &str| {
        let start = html.find(&format!("id=\"{id}\">")).expect(id) + id.len() + 6;
        html[start..].split('<').next().unwrap().to_owned()
    };
    let (id, secret) = (grab("client-id"), grab("client-secret"));
    let token = |secret: String| {
        client()
            .post(s.url("/.oidc/token"))
            .basic_auth(id.clone(), Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    assert_eq!(
        token(secret.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    assert!(
        !page(&s, &cookie).await.contains(&secret),
        "the secret is shown once"
    );
    let r = client()
        .post(s.url("/.account/credentials/delete"))
        .header("cookie", &cookie)
        .form(&[("client_id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        token(secret).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let r = client()
        .post(s.url("/.account/credentials"))
        .header("cookie", &cookie)
        .form(&[("label", "pas d'espaces")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_export_holds_every_document_and_file() {
    let s = Server::start(&["alice"]);
    let cookie = login(&s, "alice", "correct horse battery").await.unwrap();
    let owner = s.webid("alice");
    client()
        .put(s.url("/alice/data/notes/jardin"))
        .header(DEV, &owner)
        .header("content-type", "text/turtle")
        .body("<#j> <http://schema.org/name> \"Jardin partagé\".")
        .send()
        .await
        .unwrap();
    client()
        .put(s.url("/alice/data/notes/plan.txt"))
        .header(DEV, &owner)
        .header("content-type", "text/plain")
        .body("plan du potager")
        .send()
        .await
        .unwrap();
    for (format, doc) in [("turtle", "pod.trig"), ("jsonld", "pod.jsonld")] {
        let r = client()
            .get(s.url(&format!("/.account/export?format={format}")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/x-tar");
        let bytes = r.bytes().await.unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut entries = std::collections::HashMap::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            entries.insert(path, content);
        }
        let text = String::from_utf8(entries[doc].clone()).unwrap();
        assert!(text.contains("Jardin partagé"), "{format}");
        assert!(text.contains(&s.url("/alice/data/profile")), "{format}");
        let manifest: serde_json::Value =
            serde_json::from_slice(&entries["manifest.json"]).unwrap();
        let file = manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["url"] == s.url("/alice/data/notes/plan.txt"))
            .expect("the file");
        assert_eq!(entries[file["path"].as_str().unwrap()], b"plan du potager");
    }
    assert_eq!(
        client()
            .get(s.url("/.account/export?format=zip"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        client()
            .get(s.url("/.account/export"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn deleting_the_pod_erases_it_and_keeps_the_name() {
    let s = Server::start(&["alice"]);
    let cookie = login(&s, "alice", "correct horse battery").await.unwrap();
    let r = client()
        .post(s.url("/.account/delete"))
        .header("cookie", &cookie)
        .form(&[("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        client()
            .get(s.webid("alice"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = client()
        .post(s.url("/.account/delete"))
        .header("cookie", &cookie)
        .form(&[("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("supprimé"));
    assert_eq!(
        client()
            .get(s.webid("alice"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(login(&s, "alice", "correct horse battery").await.is_none());
    let r = client()
        .post(s.url("/.account/signup"))
        .form(&[
            ("name", "alice"),
            ("password", "another password"),
            ("password_again", "another password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "the name stays reserved");
}

#[tokio::test]
async fn saving_the_profile_notifies_its_watchers() {
    let s = Server::start(&["alice"]);
    let got = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let store = std::sync::Arc::clone(&got);
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let store = std::sync::Arc::clone(&store);
            async move {
                if let Ok(v) = serde_json::from_str(&body) {
                    store.lock().await.push(v);
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, hook).await });
    let profile = s.url("/alice/data/profile");
    let r = client()
        .post(s.url("/.notifications/WebhookChannel2023"))
        .header(DEV, s.webid("alice"))
        .header("content-type", "application/ld+json")
        .body(serde_json::json!({"type": "WebhookChannel2023", "topic": profile, "sendTo": format!("http://127.0.0.1:{port}/hook")}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = login(&s, "alice", "correct horse battery").await.unwrap();
    let form = reqwest::multipart::Form::new().text("name", "Alice M.");
    let r = client()
        .post(s.url("/.account/profile"))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for _ in 0..100 {
        if !got.lock().await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let got = got.lock().await.clone();
    assert_eq!(
        got.first().map(|m| m["type"].clone()),
        Some("Update".into())
    );
    assert_eq!(got[0]["object"], profile.as_str());
}

#[tokio::test]
async fn an_admin_resets_a_lost_password_from_the_command_line() {
    let mut s = Server::start(&["zed"]);
    assert!(login(&s, "zed", "correct horse battery").await.is_some());
    s.kill9();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pod-server"))
            .args(args)
            .arg("--data")
            .arg(&s.data)
            .output()
            .unwrap()
    };
    let out = run(&[
        "reset-password",
        "nobody",
        "--password",
        "a new secret phrase",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("il n'y a pas de pod"));
    let out = run(&["reset-password", "zed", "--password", "short"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("8"));
    let out = run(&["reset-password", "zed", "--password", "a new secret phrase"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.restart();
    assert!(login(&s, "zed", "correct horse battery").await.is_none());
    assert!(login(&s, "zed", "a new secret phrase").await.is_some());
}
