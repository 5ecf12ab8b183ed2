//! Widgets: a place's views inside another site. A real browser (tests/interop/widgets.mjs)
//! loads a page that looks like the place's own website, from another origin, embedding each
//! view with the script, as iframes and through oEmbed; forms sent from there land in the
//! place's moderation queue. The data feeds are read as their formats; bad input is refused
//! with a reason; `embed.js` stays under 15 kB gzipped.

mod common;

use common::*;
use serde_json::{Value, json};
use std::process::Command;

async fn get(url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_place_s_views_work_inside_another_site_three_ways() {
    let pods = start_pods(&["mo", "ana", "zoe"]);
    // No tile server on the test machine: the map shows its points without a background.
    let cod = start_cod_with(
        &[("le-6b", "Le 6B", &format!("{}/mo", pods.base))],
        &[],
        &["--map-tiles", ""],
    );
    let place = format!("{}/le-6b", cod.base);
    let mo = token(&pods, "mo").await;
    let outbox = format!("{place}/outbox");
    // A resident, an event and a call, through the real protocols.
    let join = resident_posts(
        &pods,
        "ana",
        json!({"type": "Join", "object": place, "to": [place]}),
    )
    .await;
    eventually("ana's request", || async {
        ids(&mo.get(&format!("{place}/pending?page=true")).await)
            .contains(&join)
            .then_some(())
    })
    .await;
    assert_eq!(
        mo.post(&outbox, json!({"type": "Accept", "object": join}))
            .await
            .status(),
        201
    );
    let next_week = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%dT18:00:00+01:00")
        .to_string();
    let r = mo
        .post(&outbox, json!({"type": "Event", "name": "Atelier ouvert de sérigraphie", "startTime": next_week, "content": "Venez imprimer."}))
        .await;
    assert_eq!(r.status(), 201);
    let http = browser();
    let cookie = log_in_to(&http, &cod.base, &pods.base, "mo", "/le-6b/orientation").await;
    let page = format!("{place}/orientation");
    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let r = post_form(
        &http,
        &cookie,
        &page,
        &page,
        &[
            ("action", "nouvel_appel"),
            ("titre", "Bancs du jardin"),
            ("description", "Construire des bancs."),
            ("competences", "https://w3id.org/kommon/skills/menuiserie"),
            ("places", "2"),
            ("date_limite", until.as_str()),
            ("contact_email", "benevolat@le6b.example"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let queue = page_text(&http, &page, &cookie).await;
    let call_id = between(&queue, "name=\"appel\" value=\"", "\"").to_owned();
    let r = post_form(
        &http,
        &cookie,
        &page,
        &page,
        &[("action", "publier"), ("appel", &call_id)],
    )
    .await;
    assert!(r.headers()["location"].to_str().unwrap().contains("fait="));

    // The admin page gives the snippets.
    let admin = page_text(&http, &format!("{place}/admin"), &cookie).await;
    assert!(
        admin.contains("&lt;kommon-residents")
            && admin.contains("/embed/le-6b/agenda")
            && admin.contains("embed.js"),
        "{admin}"
    );

    // The data of each view, with CORS, read as their formats.
    let (status, body, headers) = get(&format!("{}/embed/le-6b/agenda.json", cod.base)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], "*");
    let j: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(j["items"][0]["label"], "Atelier ouvert de sérigraphie");
    let (_, body, _) = get(&format!("{}/embed/le-6b/agenda.ics", cod.base)).await;
    assert!(
        body.contains("BEGIN:VCALENDAR") && body.contains("SUMMARY:Atelier ouvert de sérigraphie"),
        "{body}"
    );
    let (_, body, _) = get(&format!("{}/embed/le-6b/appels.rss", cod.base)).await;
    assert!(
        body.contains("<rss") && body.contains("Bancs du jardin"),
        "{body}"
    );
    let (_, body, _) = get(&format!("{}/embed/le-6b/appels.jsonld", cod.base)).await;
    let j: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(j["type"], "Collection");
    assert_eq!(j["items"][0]["name"], "Bancs du jardin");
    let (_, body, _) = get(&format!("{}/embed/le-6b/residentotheque.json", cod.base)).await;
    assert!(body.contains(&format!("{}/ana", pods.base)), "{body}");
    let (_, body, _) = get(&format!("{}/embed/le-6b/carte.geojson", cod.base)).await;
    let j: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(j["type"], "FeatureCollection");

    // A resident's card as a view of its own.
    let ana = form_urlencoded::byte_serialize(format!("{}/ana", pods.base).as_bytes())
        .collect::<String>();
    let (status, body, _) = get(&format!("{}/embed/le-6b/resident?of={ana}", cod.base)).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<title>Fiche résident·e — Le 6B</title>") && body.contains(">ana<"),
        "{body}"
    );
    // oEmbed answers what the specification requires.
    let place_url = form_urlencoded::byte_serialize(place.as_bytes()).collect::<String>();
    let (status, body, _) = get(&format!("{}/oembed?url={place_url}&maxwidth=500", cod.base)).await;
    assert_eq!(status, 200, "{body}");
    let o: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (o["version"].as_str(), o["type"].as_str()),
        (Some("1.0"), Some("rich"))
    );
    assert_eq!(o["width"], 500);
    assert!(
        o["html"]
            .as_str()
            .unwrap()
            .contains("title=\"Résidentothèque — Le 6B\"")
    );

    // Bad input: clear errors.
    for (url, status, says) in [
        (
            format!("{}/embed/nulle-part/agenda", cod.base),
            404,
            "pas de lieu",
        ),
        (
            format!("{}/embed/le-6b/nimporte", cod.base),
            404,
            "residentotheque, resident, agenda",
        ),
        (
            format!("{}/embed/le-6b/agenda.pdf", cod.base),
            404,
            "json, jsonld, ics, rss, geojson",
        ),
        (
            format!(
                "{}/embed/le-6b/resident?of=https%3A%2F%2Fnobody.example%2Fx",
                cod.base
            ),
            404,
            "pas de résident",
        ),
        (
            format!("{}/oembed?url={place_url}&maxwidth=beaucoup", cod.base),
            400,
            "maxwidth",
        ),
        (
            format!("{}/oembed?url={place_url}&maxheight=-3", cod.base),
            400,
            "maxheight",
        ),
        (
            format!("{}/oembed?url={place_url}&format=xml", cod.base),
            501,
            "not implemented",
        ),
        (
            format!("{}/oembed?url=https%3A%2F%2Fevil.example%2Fle-6b", cod.base),
            404,
            "own pages",
        ),
        (format!("{}/oembed", cod.base), 400, "url is required"),
    ] {
        let (s, body, _) = get(&url).await;
        assert_eq!(s, status, "{url}: {body}");
        assert!(body.contains(says), "{url}: {body}");
    }
    let r = client()
        .post(format!("{}/embed/le-6b/benevolat?fragment=1", cod.base))
        .form(&[
            ("nom", "X"),
            ("courriel", "x@example.org"),
            ("message", "menuiserie"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(r.text().await.unwrap().contains("sans votre accord"));

    // embed.js is small.
    let js = client()
        .get(format!("{}/embed.js", cod.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("embed.js");
    std::fs::write(&file, &js).unwrap();
    let gz = Command::new("gzip")
        .arg("-9c")
        .arg(&file)
        .output()
        .unwrap()
        .stdout
        .len();
    println!("embed.js: {} bytes, {gz} gzipped", js.len());
    assert!(gz <= 15 * 1024, "embed.js is {gz} bytes gzipped");

    // In a real browser, from another origin.
    let interop = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop");
    let browser = interop.join("node_modules/playwright-core").exists()
        && std::path::Path::new("/usr/bin/chromium").exists();
    if !browser {
        assert!(
            std::env::var("KOMMON_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "playwright-core or chromium missing"
        );
        eprintln!("skipped: no browser");
        return;
    }
    let config = json!({
        "server": cod.base, "place": "le-6b", "placeName": "Le 6B",
        "expect": {"residents": "ana", "agenda": "Atelier ouvert de sérigraphie", "calls": "Bancs du jardin"},
        "out": dir.path(),
    });
    let out = Command::new("node")
        .arg(interop.join("widgets.mjs"))
        .arg(config.to_string())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "widgets.mjs: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    println!("first render (ms): {}", report["renderMs"]);
    // The forms landed in the moderation queue.
    let queue = page_text(&http, &page, &cookie).await;
    assert!(
        queue.contains("Inès du site") && queue.contains("Omar de l&#39;iframe"),
        "{queue}"
    );
    // Applying to become a resident from the place's website: the place accepts the
    // application in its queue, and the Join later sent from that pod is accepted at once.
    let zoe = format!("{}/zoe", pods.base);
    let adhesion = format!("{}/embed/le-6b/adhesion", cod.base);
    let r = client()
        .post(format!("{adhesion}?fragment=1"))
        .form(&[
            ("nom", "Zoé"),
            ("courriel", "zoe@example.org"),
            ("message", "Céramiste, je cherche un atelier."),
            ("webid", "javascript:alert(1)"),
            ("consentement", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("adresse du pod"));
    let r = client()
        .post(format!("{adhesion}?fragment=1"))
        .form(&[
            ("nom", "Zoé"),
            ("courriel", "zoe@example.org"),
            ("message", "Céramiste, je cherche un atelier."),
            ("webid", zoe.as_str()),
            ("consentement", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Merci"));
    let queue = page_text(&http, &page, &cookie).await;
    let application = between(&queue, "Candidature de résident·e", "</article>").to_owned();
    assert!(
        application.contains("Zoé") && application.contains(&zoe),
        "{queue}"
    );
    let token = between(&application, "name=\"demande\" value=\"", "\"").to_owned();
    let r = post_form(
        &http,
        &cookie,
        &page,
        &page,
        &[
            ("action", "accepter"),
            ("demande", &token),
            ("note", "Bienvenue !"),
        ],
    )
    .await;
    assert!(r.headers()["location"].to_str().unwrap().contains("fait="));
    resident_posts(
        &pods,
        "zoe",
        json!({"type": "Join", "object": place, "to": [place]}),
    )
    .await;
    eventually(
        "zoe among the residents without a second decision",
        || async {
            let residents: Value = get_json(format!("{place}/residents?page=true")).await;
            ids(&residents).contains(&zoe).then_some(())
        },
    )
    .await;

    // A flood of forms is cut short, with the reason.
    let mut limited = None;
    for _ in 0..40 {
        let r = client()
            .post(format!("{}/embed/le-6b/benevolat?fragment=1", cod.base))
            .form(&[
                ("nom", "X"),
                ("courriel", "x@example.org"),
                ("message", "menuiserie"),
            ])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = Some(r.text().await.unwrap());
            break;
        }
    }
    assert!(limited.is_some_and(|t| t.contains("Trop de formulaires")));
    // The iframe pages pass axe on their own too.
    axe_pages(&json!([
        {"name": "embed-residents", "url": format!("{}/embed/le-6b/residentotheque", cod.base)},
        {"name": "embed-agenda", "url": format!("{}/embed/le-6b/agenda", cod.base)},
        {"name": "embed-calls", "url": format!("{}/embed/le-6b/appels", cod.base)},
        {"name": "embed-map", "url": format!("{}/embed/le-6b/carte", cod.base)},
        {"name": "embed-form", "url": format!("{}/embed/le-6b/benevolat", cod.base)},
        {"name": "embed-help", "url": format!("{}/embed/le-6b/coup-de-main", cod.base)},
        {"name": "embed-join", "url": format!("{}/embed/le-6b/adhesion", cod.base)},
    ]));
}
