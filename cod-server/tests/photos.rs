//! Photos of a place: an admin adds them with a description through the admin page's form
//! (multipart, as a browser sends it); they show on the place's page, in its actor's `image`,
//! and are served with their type; what is not an image, too large, or undescribed is refused.

mod common;

use common::*;
use serde_json::Value;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[tokio::test(flavor = "multi_thread")]
async fn admins_add_described_photos_that_the_place_shows_and_publishes() {
    let pods = start_pods(&["mo"]);
    let cod = start_cod(&[("le-6b", "Le 6B", &format!("{}/mo", pods.base))]);
    let place = format!("{}/le-6b", cod.base);
    let http = browser();
    let cookie = log_in_to(&http, &cod.base, &pods.base, "mo", "/le-6b/admin").await;
    let csrf = csrf_of(&http, &cookie, &format!("{place}/admin")).await;
    let upload = |bytes: Vec<u8>, alt: &'static str| {
        let (http, cookie, csrf, url) = (
            http.clone(),
            cookie.clone(),
            csrf.clone(),
            format!("{place}/photos"),
        );
        async move {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf)
                .text("alt", alt)
                .part(
                    "photo",
                    reqwest::multipart::Part::bytes(bytes)
                        .file_name("p.png")
                        .mime_str("image/png")
                        .unwrap(),
                );
            http.post(url)
                .header("cookie", cookie)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    // Refused: not an image (whatever it claims), no description, too large.
    let r = upload(b"<script>alert(1)</script>".to_vec(), "Un faux").await;
    assert_eq!(r.status(), 415, "{}", r.text().await.unwrap_or_default());
    let r = upload(PNG.to_vec(), "").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("décrivez"));
    let mut big = PNG.to_vec();
    big.resize(3 * 1024 * 1024, 0);
    let r = upload(big, "Trop grande").await;
    assert_eq!(r.status(), 413);
    // Without the form's token: refused.
    let form = reqwest::multipart::Form::new()
        .text("csrf", "wrong")
        .text("alt", "x")
        .part("photo", reqwest::multipart::Part::bytes(PNG.to_vec()));
    let r = http
        .post(format!("{place}/photos"))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Accepted.
    let r = upload(PNG.to_vec(), "La cour du 6B, ateliers ouverts").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let page = client()
        .get(&place)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("alt=\"La cour du 6B, ateliers ouverts\""),
        "{page}"
    );
    let actor: Value = get_as(&place).await;
    let image = &actor["image"][0];
    assert_eq!(image["name"], "La cour du 6B, ateliers ouverts");
    let url = image["url"].as_str().unwrap().to_owned();
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    // Anonymous visitors cannot add or remove photos: they are asked to log in.
    let form = reqwest::multipart::Form::new()
        .text("alt", "Intrus")
        .part("photo", reqwest::multipart::Part::bytes(PNG.to_vec()));
    let r = http
        .post(format!("{place}/photos"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/.login"), "{to}");
    // Removed: gone from the page and the actor.
    let id = url.rsplit('/').next().unwrap().to_owned();
    let r = http
        .post(format!("{place}/photos"))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "delete"),
            ("id", id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(client().get(&url).send().await.unwrap().status(), 404);
    let actor: Value = get_as(&place).await;
    assert!(actor.get("image").is_none(), "{actor}");
}
