//! Solid Notifications over real HTTP: a webhook receiver and a WebSocket client get the
//! changes of the resources they subscribed to; subscriptions need read access.

mod common;

use common::{DEV, Server, client};
use futures::StreamExt;
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// A webhook receiver on loopback: every body it gets, and the status it answers.
async fn receiver(status: u16) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let store = Arc::clone(&store);
            async move {
                if let Ok(v) = serde_json::from_str(&body) {
                    store.lock().await.push(v);
                }
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://127.0.0.1:{port}/hook"), got)
}

async fn subscribe(
    s: &Server,
    kind: &str,
    agent: Option<&str>,
    body: serde_json::Value,
) -> reqwest::Response {
    let mut r = client()
        .post(s.url(&format!("/.notifications/{kind}")))
        .header("content-type", "application/ld+json")
        .body(body.to_string());
    if let Some(a) = agent {
        r = r.header(DEV, a);
    }
    r.send().await.unwrap()
}

async fn put(s: &Server, owner: &str, path: &str, body: &str) -> StatusCode {
    client()
        .put(s.url(path))
        .header(DEV, owner)
        .header("content-type", "text/turtle")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
}

async fn wait_for(got: &Arc<Mutex<Vec<serde_json::Value>>>, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        let v = got.lock().await.clone();
        if v.len() >= n {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    got.lock().await.clone()
}

#[tokio::test]
async fn the_storage_description_advertises_both_channel_types() {
    let s = Server::start(&[]);
    let d: serde_json::Value = client()
        .get(s.url("/.well-known/solid"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subs = d["notify:subscription"].as_array().expect("a list");
    assert!(subs.contains(&s.url("/.notifications/WebSocketChannel2023").into()));
    assert!(subs.contains(&s.url("/.notifications/WebhookChannel2023").into()));
    let t: serde_json::Value = client()
        .get(s.url("/.notifications/WebhookChannel2023"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["notify:channelType"], "notify:WebhookChannel2023");
}

#[tokio::test]
async fn a_webhook_gets_resource_and_container_changes() {
    let s = Server::start(&["alice"]);
    let owner = s.webid("alice");
    let doc = "/alice/data/note";
    assert_eq!(
        put(&s, &owner, doc, "<#a> <http://schema.org/name> \"un\".").await,
        StatusCode::CREATED
    );
    let (hook, got) = receiver(200).await;
    for topic in [s.url(doc), s.url("/alice/data/")] {
        let r = subscribe(
            &s,
            "WebhookChannel2023",
            Some(&owner),
            serde_json::json!({
                "@context": {"notify": "http://www.w3.org/ns/solid/notifications#"},
                "@type": "notify:WebhookChannel2023", "notify:topic": topic, "notify:sendTo": hook,
            }),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let c: serde_json::Value = r.json().await.unwrap();
        assert_eq!(c["notify:topic"], topic.as_str());
    }
    assert_eq!(
        put(&s, &owner, doc, "<#a> <http://schema.org/name> \"deux\".").await,
        StatusCode::RESET_CONTENT
    );
    let posted = client()
        .post(s.url("/alice/data/"))
        .header(DEV, &owner)
        .header("content-type", "text/turtle")
        .header("slug", "nouvelle")
        .body("<#b> <http://schema.org/name> \"trois\".")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::CREATED);
    let created = posted.headers()["location"].to_str().unwrap().to_owned();
    let got = wait_for(&got, 2).await;
    let update = got
        .iter()
        .find(|m| m["type"] == "Update")
        .expect("an Update");
    assert_eq!(update["object"], s.url(doc));
    let add = got.iter().find(|m| m["type"] == "Add").expect("an Add");
    assert_eq!(add["object"], created.as_str());
    assert_eq!(add["target"], s.url("/alice/data/"));
}

#[tokio::test]
async fn a_websocket_gets_the_changes_of_its_topic() {
    let s = Server::start(&["alice"]);
    let owner = s.webid("alice");
    let doc = "/alice/data/agenda";
    assert_eq!(
        put(&s, &owner, doc, "<#a> <http://schema.org/name> \"un\".").await,
        StatusCode::CREATED
    );
    let r = subscribe(
        &s,
        "WebSocketChannel2023",
        Some(&owner),
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/solid/notification/v1"],
            "type": "WebSocketChannel2023", "topic": s.url(doc),
        }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: serde_json::Value = r.json().await.unwrap();
    let receive = c["receiveFrom"].as_str().expect("receiveFrom");
    assert!(receive.starts_with("ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(receive)
        .await
        .expect("the socket opens");
    // The socket is attached once the upgrade is done; give the server a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        put(&s, &owner, doc, "<#a> <http://schema.org/name> \"deux\".").await,
        StatusCode::RESET_CONTENT
    );
    let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("a message within 5 s")
        .expect("a message")
        .expect("no error");
    let m: serde_json::Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
    assert_eq!(m["type"], "Update");
    assert_eq!(m["object"], s.url(doc));
    assert!(m["state"].as_str().is_some(), "the new ETag");
    let d = client()
        .delete(s.url(doc))
        .header(DEV, &owner)
        .send()
        .await
        .unwrap();
    assert!(d.status().is_success());
    let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let m: serde_json::Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
    assert_eq!(m["type"], "Delete");
    // An unknown socket id.
    let r = tokio_tungstenite::connect_async(
        s.url("/.notifications/WebSocketChannel2023/socket/nope")
            .replacen("http", "ws", 1),
    )
    .await;
    assert!(r.is_err());
}

#[tokio::test]
async fn subscriptions_need_read_access_and_a_valid_request() {
    let s = Server::start(&["alice", "bob"]);
    let owner = s.webid("alice");
    let topic = s.url("/alice/data/profile");
    let (hook, _) = receiver(200).await;
    let body = serde_json::json!({"type": "WebhookChannel2023", "topic": topic, "sendTo": hook});
    assert_eq!(
        subscribe(&s, "WebhookChannel2023", None, body.clone())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        subscribe(
            &s,
            "WebhookChannel2023",
            Some(&s.webid("bob")),
            body.clone()
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let missing = serde_json::json!({"type": "WebhookChannel2023", "topic": s.url("/alice/data/nothing-here"), "sendTo": hook});
    assert_eq!(
        subscribe(&s, "WebhookChannel2023", Some(&owner), missing)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for bad in [
        serde_json::json!({"type": "WebhookChannel2023", "topic": topic}),
        serde_json::json!({"type": "WebhookChannel2023", "topic": topic, "sendTo": "file:///etc/passwd"}),
        serde_json::json!({"type": "WebSocketChannel2023", "topic": topic, "sendTo": hook}),
        serde_json::json!([1, 2]),
    ] {
        let r = subscribe(&s, "WebhookChannel2023", Some(&owner), bad.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(!r.text().await.unwrap().is_empty());
    }
    let r = client()
        .post(s.url("/.notifications/WebhookChannel2023"))
        .header(DEV, &owner)
        .body(vec![b' '; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_webhook_that_refuses_loses_its_channel() {
    let s = Server::start(&["alice"]);
    let owner = s.webid("alice");
    let doc = "/alice/data/x";
    assert_eq!(
        put(&s, &owner, doc, "<#a> <http://schema.org/name> \"un\".").await,
        StatusCode::CREATED
    );
    let (hook, got) = receiver(410).await;
    let c: serde_json::Value = subscribe(
        &s,
        "WebhookChannel2023",
        Some(&owner),
        serde_json::json!({
            "type": "WebhookChannel2023", "topic": s.url(doc), "sendTo": hook,
        }),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        client().get(&id).send().await.unwrap().status(),
        StatusCode::OK
    );
    put(&s, &owner, doc, "<#a> <http://schema.org/name> \"deux\".").await;
    wait_for(&got, 1).await;
    let mut gone = false;
    for _ in 0..50 {
        if client().get(&id).send().await.unwrap().status() == StatusCode::NOT_FOUND {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the channel was removed after the 410");
}
