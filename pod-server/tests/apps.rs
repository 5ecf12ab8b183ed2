//! An ActivityPods app backend registers with a pod the way ActivityPods 2.2 apps do: its actor
//! is its application description, with access need groups; the resident consents; the app is
//! told by a signed `Create` in its inbox, reads its registration and grants, and then reads
//! (and writes) only the containers it was granted, with HTTP signatures by its own key.

mod common;

use axum::http::HeaderMap;
use common::{DEV, Server, client};
use kommon_http_signatures::{
    KeyPair, SignedRequest, VerificationKey, generate_key_pair, sign_request,
};
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

const PAIR_EVENT: &str = "http://virtual-assembly.org/ontologies/pair#Event";

/// What the app's inbox received: (headers, path, body).
type Inbox = Arc<Mutex<Vec<(HeaderMap, String, String)>>>;

struct TestApp {
    uri: String,
    base: String,
    key: KeyPair,
    inbox: Inbox,
}

async fn start_app() -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let uri = format!("{base}/app");
    let key = generate_key_pair().unwrap();
    let ctx = serde_json::json!(["https://www.w3.org/ns/activitystreams", {
        "interop": "http://www.w3.org/ns/solid/interop#", "apods": "http://activitypods.org/ns/core#",
        "oidc": "http://www.w3.org/ns/solid/oidc#", "acl": "http://www.w3.org/ns/auth/acl#"}]);
    let actor = serde_json::json!({
        "@context": ctx, "id": uri, "type": ["Application", "interop:Application"],
        "preferredUsername": "app", "name": "Agenda partagé",
        "interop:applicationName": "Agenda partagé",
        "interop:applicationDescription": "Un agenda pour les tiers-lieux",
        "interop:hasAuthorizationCallbackEndpoint": format!("{base}/registered"),
        "interop:hasAccessNeedGroup": [format!("{base}/needs/required"), format!("{base}/needs/optional")],
        "oidc:redirect_uris": format!("{base}/auth-callback"),
        "inbox": format!("{base}/inbox"), "outbox": format!("{base}/outbox"),
        "publicKey": {"id": format!("{uri}#main-key"), "owner": uri, "publicKeyPem": key.public_pem},
    });
    let required = serde_json::json!({"@context": ctx, "id": format!("{base}/needs/required"), "type": "interop:AccessNeedGroup",
        "interop:accessNecessity": "interop:AccessRequired", "interop:accessScenario": "interop:PersonalAccess",
        "interop:hasAccessNeed": [format!("{base}/needs/events")], "apods:hasSpecialRights": ["apods:ReadInbox"]});
    let optional = serde_json::json!({"@context": ctx, "id": format!("{base}/needs/optional"), "type": "interop:AccessNeedGroup",
        "interop:accessNecessity": "interop:AccessOptional", "interop:hasAccessNeed": [format!("{base}/needs/notes")]});
    let events = serde_json::json!({"@context": ctx, "id": format!("{base}/needs/events"), "type": "interop:AccessNeed",
        "apods:registeredClass": PAIR_EVENT, "interop:accessNecessity": "interop:AccessRequired",
        "interop:accessMode": ["acl:Read", "acl:Write"]});
    let notes = serde_json::json!({"@context": ctx, "id": format!("{base}/needs/notes"), "type": "interop:AccessNeed",
        "interop:registeredShapeTree": format!("{base}/shapetrees/Note"), "interop:accessNecessity": "interop:AccessOptional",
        "interop:accessMode": "acl:Read"});
    let tree = format!(
        "@prefix st: <http://www.w3.org/ns/shapetrees#>. <{base}/shapetrees/Note> a st:ShapeTree; st:shape <{base}/shapes/Note>."
    );
    let shape = format!(
        "@prefix sh: <http://www.w3.org/ns/shacl#>. <{base}/shapes/Note> a sh:NodeShape; sh:targetClass <https://www.w3.org/ns/activitystreams#Note>."
    );
    let inbox: Inbox = Arc::new(Mutex::new(Vec::new()));
    let received = Arc::clone(&inbox);
    let json = |v: serde_json::Value| {
        move || {
            let v = v.clone();
            async move { ([("content-type", "application/ld+json")], v.to_string()) }
        }
    };
    let turtle = |t: String| {
        move || {
            let t = t.clone();
            async move { ([("content-type", "text/turtle")], t) }
        }
    };
    let app = axum::Router::new()
        .route("/app", axum::routing::get(json(actor)))
        .route("/needs/required", axum::routing::get(json(required)))
        .route("/needs/optional", axum::routing::get(json(optional)))
        .route("/needs/events", axum::routing::get(json(events)))
        .route("/needs/notes", axum::routing::get(json(notes)))
        .route("/shapetrees/Note", axum::routing::get(turtle(tree)))
        .route("/shapes/Note", axum::routing::get(turtle(shape)))
        .route(
            "/inbox",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let received = Arc::clone(&received);
                async move {
                    received
                        .lock()
                        .await
                        .push((headers, "/inbox".to_owned(), body));
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        )
        .route(
            "/not-json",
            axum::routing::get(|| async { "<html>hello</html>" }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    TestApp {
        uri,
        base,
        key,
        inbox,
    }
}

impl TestApp {
    /// A request signed by the app's key.
    async fn signed(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&str>,
    ) -> reqwest::Response {
        let u = url::Url::parse(url).unwrap();
        let host = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
        let mut headers = HeaderMap::new();
        if body.is_some() {
            headers.insert("content-type", "text/turtle".parse().unwrap());
        }
        sign_request(
            method.as_str(),
            u.path(),
            &host,
            &mut headers,
            body.map(str::as_bytes),
            &format!("{}#main-key", self.uri),
            &self.key.private_pem,
        )
        .unwrap();
        let mut r = client().request(method, url).headers(headers);
        if let Some(b) = body {
            r = r.body(b.to_owned());
        }
        r.send().await.unwrap()
    }

    async fn wait_inbox(&self, n: usize) -> Vec<(HeaderMap, String, String)> {
        for _ in 0..100 {
            let v = self.inbox.lock().await.clone();
            if v.len() >= n {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.inbox.lock().await.clone()
    }
}

async fn register(s: &Server, pod: &str, body: serde_json::Value) -> reqwest::Response {
    client()
        .post(s.url("/.auth-agent/register-app"))
        .header(DEV, s.webid(pod))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn get_json(app: &TestApp, url: &str) -> serde_json::Value {
    let r = app.signed(reqwest::Method::GET, url, None).await;
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    let r = client()
        .get(url)
        .headers({
            let u = url::Url::parse(url).unwrap();
            let host = format!("{}:{}", u.host_str().unwrap(), u.port().unwrap());
            let mut h = HeaderMap::new();
            h.insert("accept", "application/ld+json".parse().unwrap());
            sign_request(
                "GET",
                u.path(),
                &host,
                &mut h,
                None,
                &format!("{}#main-key", app.uri),
                &app.key.private_pem,
            )
            .unwrap();
            h
        })
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_app_registers_and_reads_only_what_it_was_granted() {
    let s = Server::start(&["alice"]);
    let app = start_app().await;
    let events = s.url("/alice/data/pair/event/");
    // Before: nothing.
    assert_eq!(
        app.signed(reqwest::Method::GET, &events, None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // The WebID leads to the authorization agent, which leads to the consent page.
    let webid: serde_json::Value = client()
        .get(s.webid("alice"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let agent_url = webid["interop:hasAuthorizationAgent"]
        .as_str()
        .expect("interop:hasAuthorizationAgent")
        .to_owned();
    let agent: serde_json::Value = client()
        .get(&agent_url)
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let redirect = agent["interop:hasAuthorizationRedirectEndpoint"]
        .as_str()
        .expect("redirect endpoint");
    let page = client()
        .get(format!("{redirect}?client_id={}", app.uri))
        .header(DEV, s.webid("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Agenda partagé") && html.contains("lang=\"fr\""),
        "the consent page names the app"
    );
    // A required need cannot be refused.
    let r = register(&s, "alice", serde_json::json!({"appUri": app.uri, "acceptedAccessNeeds": [], "acceptedSpecialRights": ["apods:ReadInbox"]})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("required"));
    // The resident accepts the required need only.
    let r = register(
        &s,
        "alice",
        serde_json::json!({
            "appUri": app.uri,
            "acceptedAccessNeeds": [format!("{}/needs/events", app.base)],
            "acceptedSpecialRights": ["http://activitypods.org/ns/core#ReadInbox"],
        }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let registration = r.json::<serde_json::Value>().await.unwrap()["appRegistrationUri"]
        .as_str()
        .unwrap()
        .to_owned();
    // The app is told, by a Create signed with alice's key.
    let received = app.wait_inbox(1).await;
    assert_eq!(received.len(), 1, "a Create reached the app's inbox");
    let (headers, path, body) = &received[0];
    let activity: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(activity["type"], "Create");
    assert_eq!(activity["object"], registration.as_str());
    assert_eq!(activity["actor"], s.webid("alice"));
    let signed = SignedRequest::parse("POST", path, headers, true).unwrap();
    assert_eq!(signed.key_id(), format!("{}#main-key", s.webid("alice")));
    let pem = webid["publicKey"]["publicKeyPem"]
        .as_str()
        .map(str::to_owned);
    let pem = match pem {
        Some(p) => p,
        None => {
            let again: serde_json::Value = client()
                .get(s.webid("alice"))
                .header("accept", "application/ld+json")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            again["publicKey"]["publicKeyPem"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    signed
        .verify_with(&VerificationKey::from_pem(&pem).unwrap())
        .expect("signed by alice");
    // The app reads its registration and grants.
    let reg = get_json(&app, &registration).await;
    assert_eq!(reg["interop:registeredAgent"], app.uri.as_str());
    let grant_url = reg["interop:hasAccessGrant"].as_str().unwrap().to_owned();
    let grant = get_json(&app, &grant_url).await;
    assert_eq!(grant["interop:grantee"], app.uri.as_str());
    let data_grant_url = grant["interop:hasDataGrant"].as_str().unwrap().to_owned();
    let data_grant = get_json(&app, &data_grant_url).await;
    assert_eq!(data_grant["interop:hasDataRegistration"], events.as_str());
    // The agent's Link header tells the app it is registered.
    let r = app.signed(reqwest::Method::GET, &agent_url, None).await;
    let link = r
        .headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(
        link.contains("interop#registeredAgent") && link.contains(&registration),
        "{link}"
    );
    // It reads and writes events…
    assert_eq!(
        app.signed(reqwest::Method::GET, &events, None)
            .await
            .status(),
        StatusCode::OK
    );
    let created = app
        .signed(
            reqwest::Method::PUT,
            &s.url("/alice/data/pair/event/fete"),
            Some("<#e> a <http://virtual-assembly.org/ontologies/pair#Event>."),
        )
        .await;
    assert!(created.status().is_success(), "{}", created.status());
    // …and nothing else: projects, the profile, the optional notes it was not given.
    for url in [
        s.url("/alice/data/pair/project/"),
        s.url("/alice/data/profile"),
        s.url("/alice/data/as/note/"),
    ] {
        let st = app.signed(reqwest::Method::GET, &url, None).await.status();
        assert!(
            st == StatusCode::FORBIDDEN || st == StatusCode::NOT_FOUND,
            "{url}: {st}"
        );
    }
    assert_eq!(
        app.signed(
            reqwest::Method::GET,
            &s.url("/alice/data/pair/project/"),
            None
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    // The app status, as its frontend asks it (the resident's ID token names the app).
    let status: serde_json::Value = client()
        .get(s.url(&format!("/.well-known/app-status?appUri={}", app.uri)))
        .header(DEV, s.webid("alice"))
        .header("x-kommon-dev-app", &app.uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["installed"], true);
    assert_eq!(status["onlineBackend"], true);
    // The resident acting through the app gets only what both may do.
    let through_app = client()
        .get(s.url("/alice/data/profile"))
        .header(DEV, s.webid("alice"))
        .header("x-kommon-dev-app", &app.uri)
        .send()
        .await
        .unwrap();
    assert_eq!(through_app.status(), StatusCode::FORBIDDEN);
    // Removal takes everything back and tells the app.
    let r = client()
        .post(s.url("/.auth-agent/remove-app"))
        .header(DEV, s.webid("alice"))
        .body(serde_json::json!({"appUri": app.uri}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.signed(reqwest::Method::GET, &events, None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let received = app.wait_inbox(2).await;
    let last: serde_json::Value = serde_json::from_str(&received.last().unwrap().2).unwrap();
    assert_eq!(last["type"], "Delete");
    // The owner still has her events.
    let own = client()
        .get(&events)
        .header(DEV, s.webid("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_apps_and_bad_requests_are_refused_clearly() {
    let s = Server::start(&["alice"]);
    let app = start_app().await;
    for (body, expected) in [
        (
            serde_json::json!({"appUri": format!("{}/not-json", app.base), "acceptAllRequirements": true}),
            "not JSON",
        ),
        (
            serde_json::json!({"appUri": format!("{}/needs/events", app.base), "acceptAllRequirements": true}),
            "",
        ),
        (
            serde_json::json!({"appUri": "http://app.example/app", "acceptAllRequirements": true}),
            "https",
        ),
        (serde_json::json!({"nothing": true}), "JSON"),
    ] {
        let r = register(&s, "alice", body.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
        let text = r.text().await.unwrap();
        assert!(text.contains(expected), "{body}: {text}");
    }
    // Nobody, and apps, may not register apps.
    let r = client()
        .post(s.url("/.auth-agent/register-app"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .post(s.url("/.auth-agent/register-app"))
        .header(DEV, s.webid("alice"))
        .header("x-kommon-dev-app", &app.uri)
        .body(serde_json::json!({"appUri": app.uri, "acceptAllRequirements": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Accepting everything also works, and grants the optional notes.
    let r = register(
        &s,
        "alice",
        serde_json::json!({"appUri": app.uri, "acceptAllRequirements": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        app.signed(reqwest::Method::GET, &s.url("/alice/data/as/note/"), None)
            .await
            .status(),
        StatusCode::OK
    );
}

/// A server that answers only requests signed by the WebID's key given at start.
async fn authorized_fetch_server(signer_webid: String) -> String {
    let app = axum::Router::new().route(
        "/private",
        axum::routing::get(move |headers: HeaderMap| {
            let webid = signer_webid.clone();
            async move {
                let Ok(signed) = SignedRequest::parse("GET", "/private", &headers, false) else {
                    return (axum::http::StatusCode::UNAUTHORIZED, "unsigned".to_owned());
                };
                let doc: serde_json::Value = client()
                    .get(&webid)
                    .header("accept", "application/ld+json")
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let pem = doc["publicKey"]["publicKeyPem"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                match VerificationKey::from_pem(&pem).map(|k| signed.verify_with(&k)) {
                    Ok(Ok(())) if signed.key_id().starts_with(&webid) => (
                        axum::http::StatusCode::OK,
                        "secret de la fabrique".to_owned(),
                    ),
                    _ => (
                        axum::http::StatusCode::UNAUTHORIZED,
                        "bad signature".to_owned(),
                    ),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}/private")
}

#[tokio::test]
async fn the_proxy_signs_with_the_residents_key_for_her_only() {
    let s = Server::start(&["alice", "bob"]);
    let target = authorized_fetch_server(s.webid("alice")).await;
    assert_eq!(
        client().get(&target).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let webid: serde_json::Value = client()
        .get(s.webid("alice"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let proxy = webid["endpoints"]["proxyUrl"]
        .as_str()
        .expect("endpoints.proxyUrl")
        .to_owned();
    let form = |id: &str| {
        reqwest::multipart::Form::new()
            .text("id", id.to_owned())
            .text("method", "GET")
            .text("headers", "{\"accept\":\"text/plain\"}")
    };
    let r = client()
        .post(&proxy)
        .header(DEV, s.webid("alice"))
        .multipart(form(&target))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "secret de la fabrique");
    // Nobody else may use alice's proxy.
    assert_eq!(
        client()
            .post(&proxy)
            .multipart(form(&target))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        client()
            .post(&proxy)
            .header(DEV, s.webid("bob"))
            .multipart(form(&target))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    // An app must be registered, and may not reach this server's pods through it.
    let app = start_app().await;
    let through = |id: String| {
        client()
            .post(&proxy)
            .header(DEV, s.webid("alice"))
            .header("x-kommon-dev-app", &app.uri)
            .multipart(form(&id))
            .send()
    };
    assert_eq!(
        through(target.clone()).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        register(
            &s,
            "alice",
            serde_json::json!({"appUri": app.uri, "acceptAllRequirements": true})
        )
        .await
        .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        through(target.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        through(s.url("/bob/data/profile")).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // A malformed form says why.
    let r = client()
        .post(&proxy)
        .header(DEV, s.webid("alice"))
        .header("content-type", "text/plain")
        .body("id=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("multipart"));
}
