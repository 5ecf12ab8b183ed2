//! The OpenID provider and token verification over real HTTP: the client-credentials and
//! authorization-code flows, refresh, registration, and every refusal the Solid-OIDC resource
//! server must make, with the reason in `WWW-Authenticate`.

mod common;

use common::{Server, client};
use kommon_solid::oidc::jose::{SigningKey, b64url};
use kommon_solid::oidc::verifier::now_secs;
use reqwest::StatusCode;

/// A DPoP-bound access token for the pod's credentials, and the key it is bound to.
async fn client_credentials_token(s: &Server, pod: &str) -> (String, SigningKey) {
    let cc = s.credentials(pod);
    let key = SigningKey::generate().expect("key");
    let token_url = s.url("/.oidc/token");
    let proof = key
        .dpop_proof("POST", &token_url, None, now_secs())
        .expect("proof");
    let r = client()
        .post(&token_url)
        .basic_auth(
            cc["client_id"].as_str().expect("id"),
            cc["client_secret"].as_str(),
        )
        .header("dpop", proof)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "openid webid"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["token_type"], "DPoP");
    assert!(
        body.get("id_token").is_none(),
        "client credentials get no ID token"
    );
    (
        body["access_token"].as_str().expect("token").to_owned(),
        key,
    )
}

async fn get_with(url: &str, token: &str, proof: &str) -> reqwest::Response {
    client()
        .get(url)
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .send()
        .await
        .expect("request")
}

fn challenge(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test]
async fn discovery_has_what_clients_require() {
    let s = Server::start(&[]);
    let d: serde_json::Value = client()
        .get(s.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    assert_eq!(d["issuer"], format!("{}/", s.base));
    for field in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "registration_endpoint",
        "end_session_endpoint",
        "claims_supported",
        "subject_types_supported",
    ] {
        assert!(!d[field].is_null(), "{field}");
    }
    assert!(
        d["scopes_supported"]
            .as_array()
            .expect("list")
            .contains(&"webid".into())
    );
    assert!(
        d["code_challenge_methods_supported"]
            .as_array()
            .expect("list")
            .contains(&"S256".into())
    );
    let jwks: serde_json::Value = client()
        .get(d["jwks_uri"].as_str().expect("url"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
    assert!(jwks["keys"][0].get("d").is_none(), "never the private key");
}

#[tokio::test]
async fn a_dpop_token_reads_the_private_profile_and_refusals_say_why() {
    let s = Server::start_logged(&["alice", "bob"]);
    let (token, key) = client_credentials_token(&s, "alice").await;
    let url = s.url("/alice/data/profile");
    // The owner reads the private profile.
    let proof = key
        .dpop_proof("GET", &url, Some(&token), now_secs())
        .expect("proof");
    let r = get_with(&url, &token, &proof).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", challenge(&r));
    // The same proof again: a replay.
    let r = get_with(&url, &token, &proof).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&r).contains("invalid_dpop_proof") && challenge(&r).contains("replay"));
    // A proof for another URL, another method, another key, or none.
    let cases = [
        (
            key.dpop_proof("GET", &s.url("/bob/data/profile"), None, now_secs()),
            "htu",
        ),
        (key.dpop_proof("PUT", &url, None, now_secs()), "htm"),
        (key.dpop_proof("GET", &url, None, now_secs() - 3600), "iat"),
        (
            SigningKey::generate()
                .expect("key")
                .dpop_proof("GET", &url, None, now_secs()),
            "another key",
        ),
    ];
    for (proof, reason) in cases {
        let r = get_with(&url, &token, &proof.expect("proof")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{reason}");
        assert!(
            challenge(&r).contains(reason),
            "{reason}: {}",
            challenge(&r)
        );
    }
    let r = client()
        .get(&url)
        .header("authorization", format!("DPoP {token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&r).contains("needs a DPoP proof"));
    // The access token as a bearer token.
    let r = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&r).contains("invalid_token"));
    // A token from an issuer the WebID does not list (signed by a key of our own).
    let evil = SigningKey::generate().expect("key");
    let forged = evil
        .sign(
            "at+jwt",
            &serde_json::json!({"iss": "http://localhost:1/", "aud": "solid", "webid": s.webid("alice"),
                "iat": now_secs(), "exp": now_secs() + 600, "cnf": {"jkt": key.kid()}}),
        )
        .expect("token");
    let proof = key
        .dpop_proof("GET", &url, None, now_secs())
        .expect("proof");
    let r = get_with(&url, &forged, &proof).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&r).contains("does not list"), "{}", challenge(&r));
    // A token that claims our issuer but is signed by another key.
    let forged = evil
        .sign(
            "at+jwt",
            &serde_json::json!({"iss": format!("{}/", s.base), "aud": "solid", "webid": s.webid("alice"),
                "iat": now_secs(), "exp": now_secs() + 600, "cnf": {"jkt": key.kid()}}),
        )
        .expect("token");
    let proof = key
        .dpop_proof("GET", &url, None, now_secs())
        .expect("proof");
    let r = get_with(&url, &forged, &proof).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", challenge(&r));
    // Garbage.
    let proof = key
        .dpop_proof("GET", &url, None, now_secs())
        .expect("proof");
    let r = get_with(&url, "not-a-token", &proof).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .get(&url)
        .header("authorization", "DPoP ".to_owned() + &"x".repeat(20_000))
        .send()
        .await
        .expect("request");
    assert!(r.status() == StatusCode::UNAUTHORIZED || r.status().is_client_error());
    // Alice's token gives nothing of Bob's private data.
    let bob = s.url("/bob/data/profile");
    let proof = key
        .dpop_proof("GET", &bob, None, now_secs())
        .expect("proof");
    assert_eq!(
        get_with(&bob, &token, &proof).await.status(),
        StatusCode::FORBIDDEN
    );
    // An empty Authorization header is anonymous.
    let r = client()
        .get(s.url("/alice"))
        .header("authorization", "")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    // No token or secret ever reaches the log.
    let log = s.log_text();
    assert!(!log.is_empty(), "the debug log was captured");
    let secret = s.credentials("alice")["client_secret"]
        .as_str()
        .expect("secret");
    for needle in [
        &token[token.len() - 40..],
        secret,
        &forged[forged.len() - 40..],
    ] {
        assert!(!log.contains(needle), "a secret reached the log");
    }
}

#[tokio::test]
async fn the_token_endpoint_refuses_bad_requests_with_oauth_errors() {
    let s = Server::start(&["alice"]);
    let cc = s.credentials("alice");
    let id = cc["client_id"].as_str().expect("id");
    let token_url = s.url("/.oidc/token");
    let post =
        |form: Vec<(&'static str, String)>, basic: Option<(&str, &str)>, dpop: Option<String>| {
            let mut r = client().post(&token_url).form(&form);
            if let Some((u, p)) = basic {
                r = r.basic_auth(u, Some(p));
            }
            if let Some(d) = dpop {
                r = r.header("dpop", d);
            }
            r.send()
        };
    let cases: Vec<(reqwest::Response, StatusCode, &str)> = vec![
        (
            post(
                vec![("grant_type", "client_credentials".into())],
                Some((id, "wrong")),
                None,
            )
            .await
            .expect("request"),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            post(
                vec![("grant_type", "client_credentials".into())],
                Some(("nobody", "x")),
                None,
            )
            .await
            .expect("request"),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            post(
                vec![],
                Some((id, cc["client_secret"].as_str().expect("secret"))),
                None,
            )
            .await
            .expect("request"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            post(
                vec![("grant_type", "password".into())],
                Some((id, cc["client_secret"].as_str().expect("secret"))),
                None,
            )
            .await
            .expect("request"),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            post(
                vec![("grant_type", "client_credentials".into())],
                Some((id, cc["client_secret"].as_str().expect("secret"))),
                Some(
                    SigningKey::generate()
                        .expect("key")
                        .dpop_proof("POST", &s.url("/elsewhere"), None, now_secs())
                        .expect("proof"),
                ),
            )
            .await
            .expect("request"),
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
        ),
        (
            post(
                vec![
                    ("grant_type", "authorization_code".into()),
                    ("code", "forged".into()),
                    ("client_id", id.into()),
                ],
                Some((id, cc["client_secret"].as_str().expect("secret"))),
                None,
            )
            .await
            .expect("request"),
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
    ];
    for (r, status, error) in cases {
        assert_eq!(r.status(), status, "{error}");
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"], error);
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    let r = client()
        .post(&token_url)
        .body(vec![b'a'; 100_000])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

fn pkce() -> (String, String) {
    use sha2::Digest;
    let verifier =
        b64url(&uuid::Uuid::new_v4().into_bytes()) + &b64url(&uuid::Uuid::new_v4().into_bytes());
    let challenge = b64url(&sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + 8;
    let end = html[start..].find('"').expect("end of action");
    html[start..start + end].to_owned()
}

/// Walks the authorization-code flow for a public client; returns the code.
async fn authorize(s: &Server, client_id: &str, redirect: &str, challenge: &str) -> String {
    let auth = format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20webid%20offline_access&state=xyz&code_challenge={challenge}&code_challenge_method=S256",
        s.url("/.oidc/auth"),
        form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
    );
    let page = client().get(&auth).send().await.expect("auth");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("lang=\"fr\"") && html.contains("Se connecter"));
    let action = s.url(&form_action(&html));
    // A wrong password shows the form again, with the reason.
    let wrong = client()
        .post(&action)
        .form(&[
            ("action", "login"),
            ("username", "alice"),
            ("password", "nope"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.expect("html").contains("incorrect"));
    let login = client()
        .post(&action)
        .form(&[
            ("action", "login"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    assert!(login.text().await.expect("html").contains("Autoriser"));
    // Consent without the session cookie is not consent.
    let forged = client()
        .post(&action)
        .form(&[("decision", "allow")])
        .send()
        .await
        .expect("consent");
    assert_ne!(forged.status(), StatusCode::SEE_OTHER);
    let consent = client()
        .post(&action)
        .header("cookie", &cookie)
        .form(&[("decision", "allow")])
        .send()
        .await
        .expect("consent");
    assert_eq!(consent.status(), StatusCode::SEE_OTHER);
    let location = consent.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(redirect), "{location}");
    let url = url::Url::parse(&location).expect("url");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "xyz");
    assert_eq!(q["iss"], format!("{}/", s.base));
    q["code"].clone()
}

#[tokio::test]
async fn authorization_code_with_pkce_then_refresh() {
    let s = Server::start(&["alice"]);
    let redirect = "http://localhost:9/callback";
    // A public client registered dynamically.
    let reg = client()
        .post(s.url("/.oidc/reg"))
        .json(&serde_json::json!({"client_name": "Essai", "redirect_uris": [redirect], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .expect("registration");
    assert_eq!(reg.status(), StatusCode::CREATED);
    let reg: serde_json::Value = reg.json().await.expect("json");
    let client_id = reg["client_id"].as_str().expect("id").to_owned();
    assert!(reg.get("client_secret").is_none());
    let key = SigningKey::generate().expect("key");
    let token_url = s.url("/.oidc/token");
    let exchange = |form: Vec<(&'static str, String)>, key: &SigningKey| {
        let proof = key
            .dpop_proof("POST", &token_url, None, now_secs())
            .expect("proof");
        client()
            .post(&token_url)
            .header("dpop", proof)
            .form(&form)
            .send()
    };
    // A wrong verifier is refused, and burns the code.
    let (verifier, challenge) = pkce();
    let code = authorize(&s, &client_id, redirect, &challenge).await;
    let r = exchange(
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", redirect.into()),
            ("client_id", client_id.clone()),
            ("code_verifier", pkce().0),
        ],
        &key,
    )
    .await
    .expect("token");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("PKCE"));
    let r = exchange(
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", redirect.into()),
            ("client_id", client_id.clone()),
            ("code_verifier", verifier),
        ],
        &key,
    )
    .await
    .expect("token");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a code is single-use");
    // The whole flow, right.
    let (verifier, challenge) = pkce();
    let code = authorize(&s, &client_id, redirect, &challenge).await;
    let r = exchange(
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", redirect.into()),
            ("client_id", client_id.clone()),
            ("code_verifier", verifier),
        ],
        &key,
    )
    .await
    .expect("token");
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: serde_json::Value = r.json().await.expect("json");
    assert_eq!(tokens["token_type"], "DPoP");
    let id_token = tokens["id_token"].as_str().expect("id token");
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(id_token)
            .expect("jwt")
            .claims;
    assert_eq!(claims["webid"], s.webid("alice"));
    assert_eq!(claims["azp"], client_id.as_str());
    assert!(
        claims["aud"]
            .as_array()
            .expect("aud")
            .contains(&"solid".into())
    );
    assert!(
        claims["aud"]
            .as_array()
            .expect("aud")
            .contains(&client_id.as_str().into())
    );
    // The access token works with DPoP; the ID token as a bearer is the app acting for alice.
    let at = tokens["access_token"].as_str().expect("token");
    let url = s.url("/alice/data/profile");
    let proof = key
        .dpop_proof("GET", &url, Some(at), now_secs())
        .expect("proof");
    assert_eq!(get_with(&url, at, &proof).await.status(), StatusCode::OK);
    let r = client()
        .get(s.url("/alice"))
        .bearer_auth(id_token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    // Refresh, bound to the same key; the old refresh token is spent.
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let other = SigningKey::generate().expect("key");
    let r = exchange(
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh.clone()),
            ("client_id", client_id.clone()),
        ],
        &other,
    )
    .await
    .expect("refresh");
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "another key cannot use it"
    );
    let (verifier, challenge) = pkce();
    let code = authorize(&s, &client_id, redirect, &challenge).await;
    let tokens: serde_json::Value = exchange(
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", redirect.into()),
            ("client_id", client_id.clone()),
            ("code_verifier", verifier),
        ],
        &key,
    )
    .await
    .expect("token")
    .json()
    .await
    .expect("json");
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let r = exchange(
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh.clone()),
            ("client_id", client_id.clone()),
        ],
        &key,
    )
    .await
    .expect("refresh");
    assert_eq!(r.status(), StatusCode::OK);
    let again = exchange(
        vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh),
            ("client_id", client_id.clone()),
        ],
        &key,
    )
    .await
    .expect("refresh");
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "refresh tokens rotate"
    );
}

#[tokio::test]
async fn bad_authorization_requests_never_redirect_to_unchecked_uris() {
    let s = Server::start(&["alice"]);
    let reg: serde_json::Value = client()
        .post(s.url("/.oidc/reg"))
        .json(&serde_json::json!({"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .expect("registration")
        .json()
        .await
        .expect("json");
    let id = reg["client_id"].as_str().expect("id");
    let (_, challenge) = pkce();
    for query in [
        format!(
            "response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid&code_challenge={challenge}&code_challenge_method=S256"
        ),
        format!(
            "response_type=code&client_id=unknown&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&code_challenge={challenge}&code_challenge_method=S256"
        ),
        "response_type=code&client_id=http%3A%2F%2Fapp.example%2Fid&scope=openid".to_owned(),
        "response_type=code".to_owned(),
    ] {
        let r = client()
            .get(format!("{}?{query}", s.url("/.oidc/auth")))
            .send()
            .await
            .expect("auth");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.expect("html").contains("role=\"alert\""));
    }
    // A trusted redirect gets the protocol errors.
    let r = client()
        .get(format!("{}?response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&state=s1", s.url("/.oidc/auth")))
        .send()
        .await
        .expect("auth");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().expect("location");
    assert!(
        location.starts_with("https://app.example/cb?error=invalid_request"),
        "{location}"
    );
    assert!(location.contains("state=s1"));
    // Registration with bad metadata.
    for body in [
        serde_json::json!({}),
        serde_json::json!({"redirect_uris": ["javascript:alert(1)"]}),
        serde_json::json!({"redirect_uris": ["http://app.example/cb"]}),
    ] {
        let r = client()
            .post(s.url("/.oidc/reg"))
            .json(&body)
            .send()
            .await
            .expect("reg");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let r = client()
        .post(s.url("/.oidc/reg"))
        .body("{not json")
        .send()
        .await
        .expect("reg");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn nodeinfo_says_what_the_server_is() {
    let s = Server::start(&["alice", "bob"]);
    let links: serde_json::Value = client()
        .get(s.url("/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let href = links["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1")
        .and_then(|l| l["href"].as_str())
        .expect("a 2.1 link")
        .to_owned();
    let r = client().get(&href).send().await.unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("schema/2.1#")
    );
    let info: serde_json::Value = r.json().await.unwrap();
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "kommon");
    assert_eq!(info["protocols"][0], "activitypub");
    assert_eq!(info["usage"]["users"]["total"], 2);
    let old: serde_json::Value = client()
        .get(s.url("/nodeinfo/2.0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(old["version"], "2.0");
    assert!(
        old["software"].get("repository").is_none(),
        "2.0 has no repository field"
    );
}

/// Another issuer on loopback (its discovery document, its JWKS) and a WebID it serves that
/// names it as `solid:oidcIssuer`: what a resident of another Solid server looks like.
async fn foreign_issuer() -> (String, String, SigningKey) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let issuer = format!("http://127.0.0.1:{port}/");
    let webid = format!("http://127.0.0.1:{port}/profile#me");
    let key = SigningKey::generate().expect("key");
    let jwks = serde_json::json!({"keys": [key.public_jwk()]}).to_string();
    let config =
        serde_json::json!({"issuer": issuer, "jwks_uri": format!("{issuer}jwks")}).to_string();
    let profile = format!("<#me> <http://www.w3.org/ns/solid/terms#oidcIssuer> <{issuer}> .");
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let c = config.clone();
                async move { ([("content-type", "application/json")], c) }
            }),
        )
        .route(
            "/jwks",
            axum::routing::get(move || {
                let j = jwks.clone();
                async move { ([("content-type", "application/json")], j) }
            }),
        )
        .route(
            "/profile",
            axum::routing::get(move || {
                let p = profile.clone();
                async move { ([("content-type", "text/turtle")], p) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (issuer, webid, key)
}

#[tokio::test]
async fn tokens_of_another_issuer_are_verified_through_its_webid_and_keys() {
    let s = Server::start(&["alice"]);
    let (issuer, webid, issuer_key) = foreign_issuer().await;
    // Alice shares a document with the other server's resident.
    let doc = s.url("/alice/data/partage");
    let owner = s.webid("alice");
    client()
        .put(&doc)
        .header(common::DEV, &owner)
        .header("content-type", "text/turtle")
        .body("<#x> <http://schema.org/name> \"partagé\".")
        .send()
        .await
        .unwrap();
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.
         <#o> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <{doc}>; acl:mode acl:Read, acl:Write, acl:Control.
         <#g> a acl:Authorization; acl:agent <{webid}>; acl:accessTo <{doc}>; acl:mode acl:Read."
    );
    let r = client()
        .put(format!("{doc}.acl"))
        .header(common::DEV, &owner)
        .header("content-type", "text/turtle")
        .body(acl)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let client_key = SigningKey::generate().expect("key");
    let token = |claims: serde_json::Value| issuer_key.sign("at+jwt", &claims).expect("token");
    let now = now_secs();
    let base = serde_json::json!({"iss": issuer, "aud": "solid", "webid": webid, "client_id": "https://app.example/id",
        "iat": now, "exp": now + 600, "cnf": {"jkt": client_key.kid()}});
    let good = token(base.clone());
    let proof = client_key
        .dpop_proof("GET", &doc, Some(&good), now_secs())
        .expect("proof");
    let r = get_with(&doc, &good, &proof).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", challenge(&r));
    // Expired, another audience, an issuer the WebID does not name.
    let mut expired = base.clone();
    expired["iat"] = (now - 7200).into();
    expired["exp"] = (now - 3600).into();
    let mut wrong_aud = base.clone();
    wrong_aud["aud"] = "https://other.example".into();
    let mut wrong_iss = base.clone();
    wrong_iss["iss"] = format!("{}/", s.base).into();
    for (claims, reason) in [
        (expired, "expired"),
        (wrong_aud, "audience"),
        (wrong_iss, "does not list"),
    ] {
        let t = token(claims);
        let proof = client_key
            .dpop_proof("GET", &doc, None, now_secs())
            .expect("proof");
        let r = get_with(&doc, &t, &proof).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{reason}");
        assert!(
            challenge(&r).contains(reason),
            "{reason}: {}",
            challenge(&r)
        );
    }
    // The other resident may read, not write.
    let proof = client_key
        .dpop_proof("PUT", &doc, None, now_secs())
        .expect("proof");
    let r = client()
        .put(&doc)
        .header("authorization", format!("DPoP {good}"))
        .header("dpop", proof)
        .header("content-type", "text/turtle")
        .body("<#x> <http://schema.org/name> \"volé\".")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn logout_ends_the_session_and_returns_to_the_app() {
    let s = Server::start(&["alice"]);
    let redirect = "http://localhost:9/callback";
    let reg: serde_json::Value = client()
        .post(s.url("/.oidc/reg"))
        .json(&serde_json::json!({"redirect_uris": [redirect], "post_logout_redirect_uris": ["http://localhost:9/bye"], "token_endpoint_auth_method": "none"}))
        .send().await.unwrap().json().await.unwrap();
    let client_id = reg["client_id"].as_str().unwrap().to_owned();
    let r = client()
        .post(s.url("/.account/login"))
        .form(&[("username", "alice"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = client()
        .get(format!("{}?client_id={client_id}&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A9%2Fbye&state=s2", s.url("/.oidc/session/end")))
        .header("cookie", &cookie)
        .send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "http://localhost:9/bye?state=s2");
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = client()
        .get(s.url("/.account/pod"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session is over");
    // An unregistered target is not followed.
    let r = client()
        .get(format!(
            "{}?client_id={client_id}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            s.url("/.oidc/session/end")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("déconnecté"));
}

fn wf(s: &Server, resource: &str) -> String {
    format!(
        "{}?resource={}",
        s.url("/.well-known/webfinger"),
        form_urlencoded::byte_serialize(resource.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn webfinger_finds_residents_by_account_and_by_webid() {
    let s = Server::start(&["alice"]);
    let host = format!("localhost:{}", s.port);
    for resource in [format!("acct:alice@{host}"), s.webid("alice")] {
        let r = client().get(wf(&s, &resource)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{resource}");
        assert_eq!(r.headers()["content-type"], "application/jrd+json");
        let jrd: serde_json::Value = r.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:alice@{host}"));
        let this = jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .expect("a self link");
        assert_eq!(this["href"], s.webid("alice"));
        assert_eq!(this["type"], "application/activity+json");
    }
    // Mastodon's reverse check: the actor's preferredUsername and host give back the same account.
    let actor: serde_json::Value = client()
        .get(s.webid("alice"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(actor["preferredUsername"], "alice");
    for (resource, status) in [
        (format!("acct:bob@{host}"), StatusCode::NOT_FOUND),
        (
            "acct:alice@elsewhere.example".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        ("acct:alice".to_owned(), StatusCode::BAD_REQUEST),
        (
            "mailto:alice@example.org".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (s.url("/alice/data/profile"), StatusCode::NOT_FOUND),
    ] {
        let r = client().get(wf(&s, &resource)).send().await.unwrap();
        assert_eq!(r.status(), status, "{resource}");
    }
    assert_eq!(
        client()
            .get(s.url("/.well-known/webfinger"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
}
