//! Membership across real processes on loopback: residents on a pod-server join a place on a
//! cod-server through their pods' outboxes; a moderator, authenticated with a Solid-OIDC token
//! of their own pod (DPoP-bound, from the pod-server's provider), decides through the place's
//! outbox; the residents' inboxes receive the answers.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn residents_join_and_moderators_decide_through_the_outbox() {
    let pods = start_pods(&["ana", "mo", "zoe", "bo", "cam", "dan", "eve"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let cod = start_cod(&[
        ("le-6b", "Le 6B", &webid("mo")),
        ("phares", "PHARES", &webid("zoe")),
    ]);
    let place = format!("{}/le-6b", cod.base);
    let outbox = format!("{place}/outbox");
    let pending_url = format!("{place}/pending?page=true");
    let mo = token(&pods, "mo").await;
    let zoe = token(&pods, "zoe").await;

    // The place is a Group actor with the security context, found by WebFinger.
    let actor: Value = get_as(&place).await;
    assert_eq!(actor["type"][0], "Group");
    assert!(
        actor["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("PUBLIC KEY")
    );
    let host = cod.base.trim_start_matches("http://");
    let jrd: Value = client()
        .get(format!(
            "{}/.well-known/webfinger?resource=acct:le-6b@{host}",
            cod.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jrd["links"][0]["href"], place.as_str());

    // ana asks to join from her pod.
    let join = |who: &str| json!({"type": "Join", "object": place, "to": [place], "content": format!("Bonjour, je suis {who}")});
    let ana_join = resident_posts(&pods, "ana", join("ana")).await;
    let pending = eventually("ana's request pending", || async {
        let p = mo.get(&pending_url).await;
        ids(&p).contains(&ana_join).then_some(p)
    })
    .await;
    assert!(pending.to_string().contains("Bonjour, je suis ana"));
    // The pending list is for moderators: anonymous readers are told to log in, others refused.
    assert_eq!(
        client().get(&pending_url).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        zoe.sign(client().get(&pending_url), "GET", &pending_url)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // A moderator of another place has no power here.
    let r = zoe
        .post(&outbox, json!({"type": "Accept", "object": ana_join}))
        .await;
    assert_eq!(r.status(), 403);
    // A second Join while pending changes nothing.
    resident_posts(&pods, "ana", join("ana encore")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ids(&mo.get(&pending_url).await).len(), 1);

    // mo approves: ana's inbox gets the Accept, the résidentothèque lists her.
    let r = mo
        .post(&outbox, json!({"type": "Accept", "object": ana_join}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    eventually("the Accept in ana's inbox", || async {
        inbox(&pods, "ana")
            .await
            .iter()
            .any(|a| a["type"] == "Accept" && a["actor"] == place.as_str())
            .then_some(())
    })
    .await;
    let residents: Value = get_json(format!("{place}/residents?page=true")).await;
    assert_eq!(ids(&residents), vec![webid("ana")]);
    // Her card, a page of its own.
    let card_url = format!("{place}/residents/card?of={}", webid("ana"));
    let card = client().get(&card_url).send().await.unwrap();
    assert_eq!(card.status(), 200);
    assert!(card.text().await.unwrap().contains("Résident·e de"));
    let nobody = client()
        .get(format!("{place}/residents/card?of={}", webid("bo")))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 404);
    let html = client()
        .get(&place)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Résidentothèque") && html.contains(&webid("ana")),
        "{html}"
    );
    assert!(ids(&mo.get(&pending_url).await).is_empty());
    // The résidentothèque as Linked Data: residencies with their resident, place, role and start.
    let ttl = client()
        .get(format!("{place}/residencies"))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert!(
        ttl.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    let ttl = ttl.text().await.unwrap();
    assert!(
        ttl.contains("https://w3id.org/kommon/ns#Residency") || ttl.contains("kommon:Residency"),
        "{ttl}"
    );
    assert!(
        ttl.contains(&webid("ana")) && ttl.contains("role-resident"),
        "{ttl}"
    );
    let place_ttl = client()
        .get(&place)
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(place_ttl.contains("Le 6B"), "{place_ttl}");
    // Deciding twice is refused.
    assert_eq!(
        mo.post(&outbox, json!({"type": "Accept", "object": ana_join}))
            .await
            .status(),
        404
    );

    // bo is refused, with a reason he receives; a refusal without a reason is refused.
    let bo_join = resident_posts(&pods, "bo", join("bo")).await;
    eventually("bo's request pending", || async {
        ids(&mo.get(&pending_url).await)
            .contains(&bo_join)
            .then_some(())
    })
    .await;
    assert_eq!(
        mo.post(&outbox, json!({"type": "Reject", "object": bo_join}))
            .await
            .status(),
        400
    );
    assert_eq!(
        mo.post(
            &outbox,
            json!({"type": "Reject", "object": bo_join, "content": "Les ateliers sont complets."})
        )
        .await
        .status(),
        201
    );
    eventually("the Reject in bo's inbox", || async {
        inbox(&pods, "bo")
            .await
            .iter()
            .any(|a| a["type"] == "Reject" && a["content"] == "Les ateliers sont complets.")
            .then_some(())
    })
    .await;

    // cam withdraws her request.
    let cam_join = resident_posts(&pods, "cam", join("cam")).await;
    eventually("cam's request pending", || async {
        ids(&mo.get(&pending_url).await)
            .contains(&cam_join)
            .then_some(())
    })
    .await;
    resident_posts(
        &pods,
        "cam",
        json!({"type": "Undo", "object": cam_join, "to": [place]}),
    )
    .await;
    eventually("cam's request withdrawn", || async {
        (!ids(&mo.get(&pending_url).await).contains(&cam_join)).then_some(())
    })
    .await;

    // Nobody decides on their own request.
    let mo_join = resident_posts(&pods, "mo", join("mo")).await;
    eventually("mo's request pending", || async {
        ids(&mo.get(&pending_url).await)
            .contains(&mo_join)
            .then_some(())
    })
    .await;
    assert_eq!(
        mo.post(&outbox, json!({"type": "Accept", "object": mo_join}))
            .await
            .status(),
        403
    );

    // dan is accepted, then removed with a reason he is told.
    let dan_join = resident_posts(&pods, "dan", join("dan")).await;
    eventually("dan's request pending", || async {
        ids(&mo.get(&pending_url).await)
            .contains(&dan_join)
            .then_some(())
    })
    .await;
    assert_eq!(
        mo.post(&outbox, json!({"type": "Accept", "object": dan_join}))
            .await
            .status(),
        201
    );
    assert_eq!(mo.post(&outbox, json!({"type": "Remove", "object": webid("dan"), "target": format!("{place}/residents")})).await.status(), 400);
    let r = mo.post(&outbox, json!({"type": "Remove", "object": webid("dan"), "target": format!("{place}/residents"), "content": "Fin de la convention d'occupation."})).await;
    assert_eq!(r.status(), 201);
    eventually("the Remove in dan's inbox", || async {
        inbox(&pods, "dan")
            .await
            .iter()
            .any(|a| a["type"] == "Remove" && a["content"] == "Fin de la convention d'occupation.")
            .then_some(())
    })
    .await;

    // ana leaves; she may join again later.
    resident_posts(
        &pods,
        "ana",
        json!({"type": "Leave", "object": place, "to": [place]}),
    )
    .await;
    eventually("ana gone from the résidentothèque", || async {
        let r: Value = get_json(format!("{place}/residents?page=true")).await;
        (!ids(&r).contains(&webid("ana"))).then_some(())
    })
    .await;
    let again = resident_posts(&pods, "ana", join("ana, de retour")).await;
    eventually("ana's new request pending", || async {
        ids(&mo.get(&pending_url).await)
            .contains(&again)
            .then_some(())
    })
    .await;

    // A Join that is not signed, or signed for someone else, leaves nothing pending.
    let forged = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{}/eve/activities/forged", pods.base),
                        "type": "Join", "actor": webid("eve"), "object": place});
    let r = client()
        .post(format!("{place}/inbox"))
        .header("content-type", "application/activity+json")
        .body(forged.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A flood of Join from one actor: withdrawn and asked again, over and over; past the hourly
    // limit, the place stops listening.
    for i in 0..5 {
        let j = resident_posts(&pods, "eve", join(&format!("eve {i}"))).await;
        eventually("eve's request pending", || async {
            ids(&mo.get(&pending_url).await).contains(&j).then_some(())
        })
        .await;
        resident_posts(
            &pods,
            "eve",
            json!({"type": "Undo", "object": j, "to": [place]}),
        )
        .await;
        eventually("eve's request withdrawn", || async {
            (!ids(&mo.get(&pending_url).await).contains(&j)).then_some(())
        })
        .await;
    }
    let flood = resident_posts(&pods, "eve", join("eve encore")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !ids(&mo.get(&pending_url).await).contains(&flood),
        "the sixth Join in an hour was heard"
    );

    // The decisions log, for moderators: accepted ana, refused bo, accepted and removed dan.
    let decisions = mo.get(&format!("{place}/decisions?page=true")).await;
    assert_eq!(
        decisions["orderedItems"].as_array().unwrap().len(),
        4,
        "{decisions}"
    );
}

/// A scripted Fedify peer (`tests/interop/fedify-peer.mjs`), killed when dropped; `None` when
/// it is not installed (then the test is skipped, or fails with `KOMMON_REQUIRE_INTEROP=1`).

#[tokio::test(flavor = "multi_thread")]
async fn a_fediverse_follower_of_the_place_receives_its_announces() {
    let Some(peer) = Fedify::start() else {
        return;
    };
    let pods = start_pods(&["ana", "mo"]);
    let cod = start_cod(&[("le-6b", "Le 6B", &format!("{}/mo", pods.base))]);
    let place = format!("{}/le-6b", cod.base);
    // Fedify follows the place: accepted at once.
    let follow = peer.control("follow", json!({"target": place})).await;
    let follow_id = follow["id"].as_str().unwrap().to_owned();
    eventually("the place's Accept at Fedify", || async {
        peer.received()
            .await
            .iter()
            .any(|a| a["type"] == "Accept" && a["objectId"] == follow_id.as_str())
            .then_some(())
    })
    .await;
    // ana joins, mo approves: the follower receives the place's Add to its résidentothèque.
    let join = resident_posts(
        &pods,
        "ana",
        json!({"type": "Join", "object": place, "to": [place]}),
    )
    .await;
    let mo = token(&pods, "mo").await;
    eventually("ana's request pending", || async {
        ids(&mo.get(&format!("{place}/pending?page=true")).await)
            .contains(&join)
            .then_some(())
    })
    .await;
    assert_eq!(
        mo.post(
            &format!("{place}/outbox"),
            json!({"type": "Accept", "object": join})
        )
        .await
        .status(),
        201
    );
    eventually("the Add at Fedify", || async {
        peer.received()
            .await
            .iter()
            .any(|a| {
                a["type"] == "Add"
                    && a["actor"] == place.as_str()
                    && a["objectId"] == format!("{}/ana", pods.base)
            })
            .then_some(())
    })
    .await;

    // FEP-1b12: a resident's post to the place is announced, unchanged, to its followers.
    let note = resident_posts(
        &pods,
        "ana",
        json!({"type": "Note", "content": "Nouvelle fournée de bols !",
        "to": [place, "https://www.w3.org/ns/activitystreams#Public"]}),
    )
    .await;
    eventually("the place's Announce of ana's post at Fedify", || async {
        peer.received()
            .await
            .iter()
            .any(|a| {
                a["type"] == "Announce"
                    && a["actor"] == place.as_str()
                    && a["objectId"] == note.as_str()
            })
            .then_some(())
    })
    .await;

    // The place publishes its own event, Mobilizon-shaped: the follower receives it.
    let outbox = format!("{place}/outbox");
    let bad = mo
        .post(&outbox, json!({"type": "Event", "name": "Portes ouvertes"}))
        .await;
    assert_eq!(bad.status(), 400, "an event without startTime");
    let event = json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Event", "name": "Portes ouvertes du 6B",
        "content": "Visite des ateliers et démonstrations.", "startTime": "2026-12-12T14:00:00+01:00",
        "endTime": "2026-12-12T19:00:00+01:00", "maximumAttendeeCapacity": 200,
        "location": {"type": "Place", "name": "Le 6B", "latitude": 48.9298, "longitude": 2.3547,
                     "address": {"type": "PostalAddress", "streetAddress": "6-10 quai de Seine", "postalCode": "93200", "addressLocality": "Saint-Denis"}}
    });
    let r = mo.post(&outbox, event).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let created = eventually("the Create{Event} at Fedify", || async {
        peer.received().await.into_iter().find(|a| {
            a["type"] == "Create" && a["objectType"] == "Event" && a["actor"] == place.as_str()
        })
    })
    .await;
    let event_id = created["objectId"].as_str().unwrap().to_owned();
    let stored: Value = get_as(&event_id).await;
    assert_eq!(stored["name"], "Portes ouvertes du 6B");
    assert_eq!(
        stored["location"]["address"]["addressLocality"],
        "Saint-Denis"
    );
    let html = client()
        .get(&place)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Agenda")
            && html.contains("Portes ouvertes du 6B")
            && html.contains("2026-12-12 à 14:00"),
        "{html}"
    );
    // Updated, then cancelled: the follower hears both.
    let mut changed = stored.clone();
    changed["name"] = json!("Portes ouvertes du 6B (nouvel horaire)");
    assert_eq!(
        mo.post(&outbox, json!({"type": "Update", "object": changed}))
            .await
            .status(),
        201
    );
    eventually("the Update at Fedify", || async {
        peer.received()
            .await
            .iter()
            .any(|a| a["type"] == "Update" && a["objectId"] == event_id.as_str())
            .then_some(())
    })
    .await;
    assert_eq!(
        mo.post(&outbox, json!({"type": "Delete", "object": event_id}))
            .await
            .status(),
        201
    );
    eventually("the Delete at Fedify", || async {
        peer.received()
            .await
            .iter()
            .any(|a| a["type"] == "Delete" && a["actor"] == place.as_str())
            .then_some(())
    })
    .await;
    let events: Value = get_json(format!("{place}/events")).await;
    assert_eq!(events["totalItems"], 0);
    // Another place's object cannot be touched from here.
    assert_eq!(
        mo.post(
            &outbox,
            json!({"type": "Delete", "object": "https://elsewhere.example/events/1"})
        )
        .await
        .status(),
        404
    );
}

/// The cookies a response sets, as a `Cookie` header value.
#[tokio::test(flavor = "multi_thread")]
async fn a_moderator_logs_in_with_their_pod_and_decides_on_the_page() {
    let pods = start_pods(&["ana", "mo", "bo", "zoe"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let cod = start_cod(&[("le-6b", "Le 6B", &webid("mo"))]);
    let place = format!("{}/le-6b", cod.base);
    let http = browser();
    let join = resident_posts(
        &pods,
        "ana",
        json!({"type": "Join", "object": place, "to": [place], "content": "Je suis céramiste"}),
    )
    .await;
    // Without a session, the page sends to the login.
    let r = http
        .get(format!("{place}/moderation"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/.login?next=/le-6b/moderation");
    let login = http
        .get(format!("{}/.login?next=/le-6b/moderation", cod.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        login.contains("lang=\"fr\"") && login.contains("WebID"),
        "{login}"
    );

    // bo is not a moderator: refused.
    let bo = log_in(&http, &cod.base, &pods.base, "bo").await;
    let r = http
        .get(format!("{place}/moderation"))
        .header("cookie", &bo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let mo = log_in(&http, &cod.base, &pods.base, "mo").await;
    let page = eventually("ana's request on the page", || async {
        let p = http
            .get(format!("{place}/moderation"))
            .header("cookie", &mo)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        p.contains("Je suis céramiste").then_some(p)
    })
    .await;
    assert!(page.contains("1 demande en attente"), "{page}");
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"").to_owned();
    // A form without the session's token is refused.
    let r = http
        .post(format!("{place}/moderation"))
        .header("cookie", &mo)
        .form(&[
            ("csrf", "forged"),
            ("action", "accept"),
            ("object", join.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .post(format!("{place}/moderation"))
        .header("cookie", &mo)
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "accept"),
            ("object", join.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().contains("fait="));
    eventually("the Accept in ana's inbox", || async {
        inbox(&pods, "ana")
            .await
            .iter()
            .any(|a| a["type"] == "Accept")
            .then_some(())
    })
    .await;
    let page = http
        .get(format!("{place}/moderation"))
        .header("cookie", &mo)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("0 demande en attente") && page.contains(&webid("ana")),
        "{page}"
    );

    // mo is also the place's admin: its profile and moderators. bo is not.
    assert_eq!(
        http.get(format!("{place}/admin"))
            .header("cookie", &bo)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let admin = http
        .get(format!("{place}/admin"))
        .header("cookie", &mo)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = between(&admin, "name=\"csrf\" value=\"", "\"").to_owned();
    let form = |lat: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "Le 6B".to_owned()),
            ("summary", "Lieu de création à Saint-Denis".to_owned()),
            ("street_address", "6-10 quai de Seine".to_owned()),
            ("postal_code", "93200".to_owned()),
            ("locality", "Saint-Denis".to_owned()),
            ("latitude", lat.to_owned()),
            ("longitude", "2,3547".to_owned()),
            (
                "opening_hours",
                "Du lundi au vendredi, 10 h – 19 h".to_owned(),
            ),
            (
                "accessibility",
                "Rez-de-chaussée accessible en fauteuil".to_owned(),
            ),
            ("contact", "contact@6b.example".to_owned()),
            ("website", "https://le6b.example".to_owned()),
            ("ecological_practices", "Réemploi des matériaux".to_owned()),
            ("equipment", "Four céramique, studio son".to_owned()),
            ("moderators", webid("zoe")),
        ]
    };
    let r = http
        .post(format!("{place}/admin"))
        .header("cookie", &mo)
        .form(&form("quatre-vingt"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("erreur=")
    );
    let r = http
        .post(format!("{place}/admin"))
        .header("cookie", &mo)
        .form(&form("48.9298"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["location"].to_str().unwrap().contains("fait="),
        "{:?}",
        r.headers()
    );
    let actor: Value = get_as(&place).await;
    assert_eq!(actor["location"]["latitude"], 48.9298);
    assert_eq!(
        actor["location"]["address"]["addressLocality"],
        "Saint-Denis"
    );
    assert_eq!(actor["url"], "https://le6b.example");
    assert!(
        actor["attributedTo"].to_string().contains(&webid("zoe")),
        "{actor}"
    );
    let html = client()
        .get(&place)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Du lundi au vendredi") && html.contains("Four céramique"),
        "{html}"
    );

    // The pages pass WCAG 2.1 A/AA in a real browser (skipped without chromium and playwright-core).
    axe_pages(&json!([
        {"name": "home", "url": format!("{}/", cod.base)},
        {"name": "place", "url": place},
        {"name": "login", "url": format!("{}/.login?next=/le-6b/moderation", cod.base)},
        {"name": "moderation", "url": format!("{place}/moderation"), "cookie": mo},
        {"name": "admin", "url": format!("{place}/admin"), "cookie": mo},
    ]));

    // bo asks to join from his pod's own page (the form posts a Join from his outbox).
    let r = http
        .post(format!("{}/.account/login", pods.base))
        .form(&[
            ("username", "bo"),
            ("password", "correct horse battery"),
            ("next", "/.account/pod"),
        ])
        .send()
        .await
        .unwrap();
    let bo_pod = cookies_of(&r);
    let pod_page = http
        .get(format!("{}/.account/pod", pods.base))
        .header("cookie", &bo_pod)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pod_page.contains("Rejoindre un lieu"), "{pod_page}");
    let r = http
        .post(format!("{}/.account/join", pods.base))
        .header("cookie", &bo_pod)
        .form(&[
            ("place", place.as_str()),
            ("message", "Graphiste, je cherche un atelier"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Demande envoyée"));
    eventually("bo's request on the moderation page", || async {
        let p = http
            .get(format!("{place}/moderation"))
            .header("cookie", &mo)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        p.contains("Graphiste, je cherche un atelier").then_some(())
    })
    .await;
    let r = http
        .post(format!("{}/.account/join", pods.base))
        .header("cookie", &bo_pod)
        .form(&[("place", "javascript:alert(1)"), ("message", "x")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("http(s)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offered_event_is_copied_then_follows_its_author() {
    let pods = start_pods(&["ana", "bo", "mo"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let cod = start_cod(&[("le-6b", "Le 6B", &webid("mo"))]);
    let place = format!("{}/le-6b", cod.base);
    let events = format!("{place}/events");
    let mo = token(&pods, "mo").await;
    // ana's event, in her pod, public.
    let create = resident_posts(
        &pods,
        "ana",
        json!({"type": "Event", "name": "Atelier céramique", "startTime": "2026-12-19T18:00:00+01:00",
               "to": ["https://www.w3.org/ns/activitystreams#Public"]}),
    )
    .await;
    let activity: Value = get_json(&create).await;
    let original = activity["object"]["id"].as_str().unwrap().to_owned();
    // bo offers ana's event as if it were his: refused, nothing pending.
    resident_posts(
        &pods,
        "bo",
        json!({"type": "Offer", "object": original, "target": events, "to": [place]}),
    )
    .await;
    eventually("the Reject in bo's inbox", || async {
        inbox(&pods, "bo")
            .await
            .iter()
            .any(|a| a["type"] == "Reject")
            .then_some(())
    })
    .await;
    // ana offers it: pending, then accepted into the place's events as a copy.
    let offer = resident_posts(&pods, "ana", json!({"type": "Offer", "object": original, "target": events, "to": [place], "content": "Pour l'agenda du lieu"})).await;
    eventually("ana's offer pending", || async {
        ids(&mo.get(&format!("{place}/pending?page=true")).await)
            .contains(&offer)
            .then_some(())
    })
    .await;
    assert_eq!(
        mo.get(&format!("{place}/pending?page=true")).await["orderedItems"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The moderation page shows it, with its message.
    let http = browser();
    let cookie = log_in(&http, &cod.base, &pods.base, "mo").await;
    let page = http
        .get(format!("{place}/moderation"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("propose un événement")
            && page.contains("Atelier céramique")
            && page.contains("Pour l&#39;agenda du lieu"),
        "{page}"
    );
    let r = mo
        .post(
            &format!("{place}/outbox"),
            json!({"type": "Accept", "object": offer}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let accept = eventually("the Accept in ana's inbox", || async {
        inbox(&pods, "ana")
            .await
            .into_iter()
            .find(|a| a["type"] == "Accept" && a["result"].is_string())
    })
    .await;
    let copy_id = accept["result"].as_str().unwrap().to_owned();
    let copy: Value = get_json(&copy_id).await;
    assert_eq!(copy["name"], "Atelier céramique");
    assert_eq!(
        copy["http://www.w3.org/ns/prov#wasDerivedFrom"],
        original.as_str()
    );
    assert_eq!(copy["attributedTo"], webid("ana").as_str());
    let list: Value = get_json(format!("{events}?page=true")).await;
    assert_eq!(ids(&list), vec![copy_id.clone()]);
    // Its page and the agenda, in French.
    let html = client()
        .get(&copy_id)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Atelier céramique")
            && html.contains("le 2026-12-19 à 18:00")
            && html.contains("l’original"),
        "{html}"
    );
    let agenda = client()
        .get(format!("{place}/agenda"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        agenda.contains("Atelier céramique") && agenda.contains(&copy_id),
        "{agenda}"
    );
    // ana updates her event: the copy follows.
    let mut changed = activity["object"].clone();
    changed["name"] = json!("Atelier céramique (complet)");
    resident_posts(
        &pods,
        "ana",
        json!({"type": "Update", "object": changed, "to": [place]}),
    )
    .await;
    eventually("the copy updated", || async {
        let c: Value = get_json(&copy_id).await;
        (c["name"] == "Atelier céramique (complet)").then_some(())
    })
    .await;
    // ana deletes it: the copy goes too.
    resident_posts(
        &pods,
        "ana",
        json!({"type": "Delete", "object": original, "to": [place]}),
    )
    .await;
    eventually("the copy deleted", || async {
        let c: Value = get_json(&copy_id).await;
        (c["type"] == "Tombstone").then_some(())
    })
    .await;
    let list: Value = get_json(&events).await;
    assert_eq!(list["totalItems"], 0);
}
