//! Orientation across real processes on loopback: a place (Le 6B, on one cod-server) writes a
//! call for volunteers and publishes it; it reaches the network (another cod-server) and its
//! map; volunteers offer their help from the place's public form; the place's moderator sees
//! the best volunteer first with the reasons in French, accepts, and the volunteer is told on
//! their follow-up page and by email (a real SMTP server, aiosmtpd). Service requests go
//! through the same queue. Bad input is refused with a reason and stores nothing; a request
//! withdrawn while the place decides cannot be accepted and leaves no personal data behind.

mod common;

use common::*;
use serde_json::Value;

const MENUISERIE: &str = "https://w3id.org/kommon/skills/menuiserie";
const CUISINE: &str = "https://w3id.org/kommon/skills/cuisine";
const SAINT_DENIS: &str = "https://w3id.org/kommon/ns#commune-saint-denis";
const REPAIR: &str = "https://w3id.org/kommon/ns#service-repair";

/// Posts a public form (no login); the answer.
async fn post_public(
    http: &reqwest::Client,
    url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    http.post(url).form(fields).send().await.unwrap()
}

/// Posts a form of the orientation page; where it sends back to.
async fn orientation_act(
    http: &reqwest::Client,
    cookie: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> String {
    let r = post_form(http, cookie, page, page, fields).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    urlencoding_decode(&to)
}

fn urlencoding_decode(s: &str) -> String {
    form_urlencoded::parse(s.split_once('?').map(|(_, q)| q).unwrap_or("").as_bytes())
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn volunteer<'a>(
    name: &'a str,
    email: &'a str,
    message: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("nom", name),
        ("courriel", email),
        ("message", message),
        ("commune", SAINT_DENIS),
        ("consentement", "on"),
    ];
    f.extend_from_slice(extra);
    f
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_is_published_a_volunteer_offers_help_and_is_ranked_accepted_and_told() {
    let smtp_port = free_port();
    let smtp = start_smtp(smtp_port);
    let pods = start_pods(&["mo", "net"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let mut flags: Vec<&str> = vec![];
    if smtp.is_some() {
        flags.extend([
            "--smtp-url",
            &smtp_url,
            "--mail-from",
            "Kommon <kommon@localhost>",
        ]);
    }
    let places = start_cod_with(&[("le-6b", "Le 6B", &webid("mo"))], &[], &flags);
    let network = start_cod_with(
        &[],
        &[("pot-kommon", "POT KOMMON", &webid("net"))],
        &["--map-tiles", "", "--reconcile-every-s", "3600"],
    );
    let place = format!("{}/le-6b", places.base);
    let net_actor = format!("{}/pot-kommon", network.base);
    let netmod = token(&pods, "net").await;
    let http = browser();

    // The place fills in where it is and joins the network.
    let cookie = log_in_to(&http, &places.base, &pods.base, "mo", "/le-6b/admin").await;
    save_profile(
        &http,
        &cookie,
        &places.base,
        "le-6b",
        &[
            ("name", "Le 6B"),
            ("street_address", "6-10 quai de Seine"),
            ("postal_code", "93200"),
            ("locality", "Saint-Denis"),
            ("latitude", "48.9245"),
            ("longitude", "2.3522"),
            ("contact", "accueil@le6b.example"),
        ],
    )
    .await;
    join_network(&http, &cookie, &place, &net_actor, &netmod).await;

    // A moderator writes a call; bad ones are refused with the reason.
    let page = format!("{place}/orientation");
    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(60)).to_string();
    let call = |end: &'static str, skill: &'static str| {
        vec![
            ("action", "nouvel_appel"),
            ("titre", "Construire les bancs du jardin"),
            (
                "description",
                "Nous construisons des bancs en bois de réemploi pour le jardin du 6B.",
            ),
            ("competences", skill),
            ("creneau_jour_1", "samedi"),
            ("creneau_debut_1", "10:00"),
            ("creneau_fin_1", end),
            ("places", "2"),
            ("date_limite", until.as_str()),
            ("contact_nom", "Claire"),
            ("contact_email", "benevolat@le6b.example"),
        ]
    };
    let to = orientation_act(&http, &cookie, &page, &call("09:00", MENUISERIE)).await;
    assert!(
        to.contains("erreur=") && to.contains("finit avant de commencer"),
        "{to}"
    );
    let to = orientation_act(
        &http,
        &cookie,
        &page,
        &call("13:00", "https://evil.example/hack"),
    )
    .await;
    assert!(to.contains("erreur=") && to.contains("référentiel"), "{to}");
    let to = orientation_act(&http, &cookie, &page, &call("13:00", MENUISERIE)).await;
    assert!(to.contains("fait=") && to.contains("Brouillon"), "{to}");
    let queue = page_text(&http, &page, &cookie).await;
    let call_id = between(&queue, "name=\"appel\" value=\"", "\"").to_owned();
    assert_eq!(call_id.len(), 36, "{queue}");
    // A draft is not public.
    let public = page_text(&http, &format!("{place}/benevolat"), "").await;
    assert!(!public.contains("Construire les bancs"), "{public}");

    // A fediverse server (Fedify) follows the place.
    let peer = Fedify::start();
    if let Some(peer) = &peer {
        peer.control("follow", serde_json::json!({"target": place}))
            .await;
        eventually("the peer among the place's followers", || async {
            let f: Value = get_as(format!("{place}/followers?page=true")).await;
            f.to_string()
                .contains(&format!("localhost:{}", peer.1))
                .then_some(())
        })
        .await;
    }

    // Published: on the place's page, as an ActivityStreams Page that is a job posting, on
    // the network's map, and at the fediverse server, which reads it as a Page.
    let to = orientation_act(
        &http,
        &cookie,
        &page,
        &[("action", "publier"), ("appel", &call_id)],
    )
    .await;
    assert!(to.contains("fait="), "{to}");
    let public = page_text(&http, &format!("{place}/benevolat"), "").await;
    assert!(
        public.contains("Construire les bancs du jardin"),
        "{public}"
    );
    let object_url = format!("{place}/calls/{call_id}");
    let object: Value = get_as(&object_url).await;
    assert_eq!(
        object["type"],
        serde_json::json!(["Page", "kommon:CallForVolunteers"])
    );
    assert_eq!(object["schema:employmentType"], "VOLUNTEER");
    assert_eq!(object["schema:skills"], serde_json::json!([MENUISERIE]));
    let turtle = client()
        .get(&object_url)
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        turtle.contains("CallForVolunteers") && turtle.contains("VOLUNTEER"),
        "{turtle}"
    );
    if let Some(peer) = &peer {
        let create = eventually("the call at the fediverse server", || async {
            peer.received()
                .await
                .into_iter()
                .find(|a| a["type"] == "Create" && a["objectId"] == serde_json::json!(object_url))
        })
        .await;
        let types = create["raw"]["object"]["type"].to_string();
        assert!(
            types.contains("\"Page\"") && types.contains("CallForVolunteers"),
            "{create}"
        );
        assert_eq!(
            create["raw"]["object"]["schema:employmentType"], "VOLUNTEER",
            "{create}"
        );
        // The terms come with their meaning inline: no context of ours to fetch.
        assert_eq!(
            create["raw"]["@context"][1]["schema"], "http://schema.org/",
            "{create}"
        );
        assert_eq!(
            create["raw"]["object"]["name"], "Construire les bancs du jardin",
            "{create}"
        );
    }
    eventually("the call on the network's map", || async {
        let fc: Value = get_json(format!("{}/api/geojson?type=call", network.base)).await;
        fc.to_string()
            .contains("Construire les bancs du jardin")
            .then_some(())
    })
    .await;

    // Bad offers are refused with the reason, and nothing is kept.
    let form = format!("{place}/benevolat");
    let anon = browser();
    let no_consent: Vec<(&str, &str)> = volunteer("Yanis", "yanis@example.org", "menuiserie", &[])
        .into_iter()
        .filter(|(k, _)| *k != "consentement")
        .collect();
    for (fields, says, status) in [
        (no_consent, "sans votre accord", 400),
        (
            volunteer(
                "Yanis",
                "yanis@example.org",
                "menuiserie",
                &[
                    ("date_jour_1", "2030-05-04"),
                    ("date_debut_1", "18:00"),
                    ("date_fin_1", "14:00"),
                ],
            ),
            "finit avant de commencer",
            400,
        ),
        (
            volunteer(
                "Yanis",
                "yanis@example.org",
                "",
                &[("competences", "https://evil.example/x")],
            ),
            "référentiel",
            400,
        ),
        (
            volunteer(
                "Yanis",
                "yanis@example.org",
                "menuiserie",
                &[("latitude", "123"), ("longitude", "2.3")],
            ),
            "latitude",
            400,
        ),
        (
            volunteer("Yanis", "pas-une-adresse", "menuiserie", &[]),
            "adresse électronique",
            400,
        ),
        (
            volunteer("Yanis", "yanis@example.org", "", &[]),
            "dites ce que vous savez faire",
            400,
        ),
        (
            volunteer(
                "Yanis",
                "yanis@example.org",
                "menuiserie",
                &[("appel", "../../etc")],
            ),
            "introuvable",
            404,
        ),
    ] {
        let r = post_public(&anon, &form, &fields).await;
        assert_eq!(r.status().as_u16(), status, "{says}");
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "{says}: {body}");
    }
    let huge = "x".repeat(70 * 1024);
    let r = post_public(
        &anon,
        &form,
        &volunteer("Yanis", "yanis@example.org", &huge, &[]),
    )
    .await;
    assert_eq!(r.status(), 413);
    let queue = page_text(&http, &page, &cookie).await;
    assert!(queue.contains("En attente (0)"), "{queue}");

    // Two volunteers offer their help; Yanis writes "travail du bois" and is free on Saturday
    // mornings, Sara cooks on weekday evenings.
    let r = post_public(
        &anon,
        &form,
        &volunteer(
            "Yanis",
            "yanis@example.org",
            "Je fais du travail du bois depuis vingt ans.",
            &[("dispo", "sa-matin"), ("appel", &call_id)],
        ),
    )
    .await;
    assert_eq!(r.status(), 303);
    let yanis_follow = format!(
        "{}{}",
        places.base,
        r.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
    );
    let r = post_public(
        &anon,
        &form,
        &volunteer(
            "Sara",
            "sara@example.org",
            "J'aime cuisiner pour les autres.",
            &[
                ("competences", CUISINE),
                ("dispo", "tu-soir"),
                ("dispo", "th-soir"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), 303);
    let sara_follow = format!(
        "{}{}",
        places.base,
        r.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
    );
    let follow = page_text(&http, &yanis_follow, "").await;
    assert!(follow.contains("En attente"), "{follow}");

    // The moderator sees Yanis first for the call, with the reasons.
    let queue = page_text(&http, &page, &cookie).await;
    assert!(queue.contains("En attente (2)"), "{queue}");
    let suggested = between(&queue, "Bénévoles suggéré·es", "</ol>");
    let first = between(suggested, "<li>", "</li>");
    assert!(first.contains("<strong>Yanis</strong>"), "{suggested}");
    assert!(
        first.contains("Menuiserie (« travail du bois »), comme demandé ; disponible le samedi matin ; à 1,5 km"),
        "{first}"
    );
    // And for Yanis's offer, the call first, in his words.
    let offer = between(&queue, "Appels suggérés", "</ol>");
    assert!(
        offer.contains("Construire les bancs du jardin</strong> — Menuiserie, proche de « travail du bois » demandé ; disponible le samedi matin ; à 1,5 km"),
        "{offer}"
    );
    // Sara is not suggested for a carpentry call on Saturdays at all.
    assert!(!suggested.contains("Sara"), "{suggested}");
    let yanis_token = yanis_follow.rsplit('/').next().unwrap().to_owned();
    let sara_token = sara_follow.rsplit('/').next().unwrap().to_owned();

    // Sara withdraws while the place decides: her data is gone, and she cannot be accepted.
    let r = post_public(&anon, &sara_follow, &[("action", "retirer")]).await;
    assert_eq!(r.status(), 303);
    let follow = page_text(&http, &sara_follow, "").await;
    assert!(
        follow.contains("Retirée") && !follow.contains("cuisiner"),
        "{follow}"
    );
    let to = orientation_act(
        &http,
        &cookie,
        &page,
        &[
            ("action", "accepter"),
            ("demande", &sara_token),
            ("appel", &call_id),
        ],
    )
    .await;
    assert!(to.contains("erreur=") && to.contains("retirée"), "{to}");
    let queue = page_text(&http, &page, &cookie).await;
    assert!(
        !queue.contains("Sara") && !queue.contains("sara@example.org"),
        "no leak: {queue}"
    );

    // Yanis is accepted for the call and told.
    let to = orientation_act(
        &http,
        &cookie,
        &page,
        &[
            ("action", "accepter"),
            ("demande", &yanis_token),
            ("appel", &call_id),
            ("note", "Rendez-vous samedi à 10 h à l'atelier."),
        ],
    )
    .await;
    assert!(to.contains("fait=") && to.contains("Yanis"), "{to}");
    let follow = page_text(&http, &yanis_follow, "").await;
    assert!(
        follow.contains("Acceptée") && follow.contains("Construire les bancs du jardin"),
        "{follow}"
    );
    assert!(
        follow.contains("benevolat@le6b.example") && follow.contains("Rendez-vous samedi"),
        "{follow}"
    );
    if let Some(smtp) = &smtp {
        let mail = eventually("the email to Yanis", || async {
            let mails = decoded_mails(&smtp.1.lock().unwrap().clone());
            mails
                .into_iter()
                .find(|m| m.contains("a accepté votre proposition d'aide"))
        })
        .await;
        assert!(mail.contains("yanis@example.org"), "{mail}");
        assert!(mail.contains("Construire les bancs du jardin"), "{mail}");
        assert!(mail.contains(&yanis_follow), "{mail}");
    }
    // Deciding twice is refused.
    let to = orientation_act(
        &http,
        &cookie,
        &page,
        &[
            ("action", "accepter"),
            ("demande", &yanis_token),
            ("appel", &call_id),
        ],
    )
    .await;
    assert!(
        to.contains("erreur=") && to.contains("déjà reçu une réponse"),
        "{to}"
    );

    // Closed by the moderator: it leaves the place's public list and the network's map.
    let to = orientation_act(
        &http,
        &cookie,
        &page,
        &[("action", "clore"), ("appel", &call_id)],
    )
    .await;
    assert!(to.contains("fait="), "{to}");
    let public = page_text(&http, &format!("{place}/benevolat"), "").await;
    assert!(!public.contains("Construire les bancs"), "{public}");
    eventually("the call off the network's map", || async {
        let fc: Value = get_json(format!("{}/api/geojson?type=call", network.base)).await;
        (!fc.to_string().contains("Construire les bancs du jardin")).then_some(())
    })
    .await;
    // A closed call takes no more offers.
    let r = post_public(
        &anon,
        &form,
        &volunteer(
            "Léa",
            "lea@example.org",
            "menuiserie",
            &[("appel", &call_id)],
        ),
    )
    .await;
    assert_eq!(r.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn service_requests_reach_the_places_that_take_them_and_are_declined_with_a_reason() {
    let pods = start_pods(&["mo"]);
    let cod = start_cod(&[("le-6b", "Le 6B", &format!("{}/mo", pods.base))]);
    let place = format!("{}/le-6b", cod.base);
    let http = browser();
    // Until the place says what it takes, it takes no service request.
    let page = page_text(&http, &format!("{place}/coup-de-main"), "").await;
    assert!(
        page.contains("ne prend pas de nouvelles demandes"),
        "{page}"
    );
    let ask = [
        ("nom", "Mme K."),
        ("courriel", "k@example.org"),
        ("message", "Mon grille-pain ne chauffe plus."),
        ("services", REPAIR),
        ("dispo", "sa-apres-midi"),
        ("consentement", "on"),
    ];
    let r = post_public(&http, &format!("{place}/coup-de-main"), &ask).await;
    assert_eq!(r.status(), 409);

    let cookie = log_in_to(&http, &cod.base, &pods.base, "mo", "/le-6b/orientation").await;
    let orientation = format!("{place}/orientation");
    let to = orientation_act(
        &http,
        &cookie,
        &orientation,
        &[
            ("action", "reglages"),
            ("services", REPAIR),
            ("capacite", "1"),
            ("conservation", "3"),
        ],
    )
    .await;
    assert!(
        to.contains("erreur=") && to.contains("conservation"),
        "{to}"
    );
    let to = orientation_act(
        &http,
        &cookie,
        &orientation,
        &[
            ("action", "reglages"),
            ("services", REPAIR),
            ("capacite", "1"),
            ("conservation", "30"),
        ],
    )
    .await;
    assert!(to.contains("fait="), "{to}");
    let page = page_text(&http, &format!("{place}/coup-de-main"), "").await;
    assert!(
        page.contains("Réparation de vélos") && page.contains("30 jours"),
        "{page}"
    );
    let r = post_public(&http, &format!("{place}/coup-de-main"), &ask).await;
    assert_eq!(r.status(), 303);
    let follow = format!(
        "{}{}",
        cod.base,
        r.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
    );
    // Capacity 1: a second request waits for the first to be answered.
    let r = post_public(&http, &format!("{place}/coup-de-main"), &ask).await;
    assert_eq!(r.status(), 409);

    let queue = page_text(&http, &orientation, &cookie).await;
    assert!(
        queue.contains("Demande de service") && queue.contains("grille-pain"),
        "{queue}"
    );
    let token = follow.rsplit('/').next().unwrap();
    let to = orientation_act(
        &http,
        &cookie,
        &orientation,
        &[("action", "refuser"), ("demande", token), ("raison", "")],
    )
    .await;
    assert!(to.contains("erreur="), "{to}");
    let to = orientation_act(
        &http,
        &cookie,
        &orientation,
        &[
            ("action", "refuser"),
            ("demande", token),
            ("raison", "Notre repair café reprend en avril."),
        ],
    )
    .await;
    assert!(to.contains("fait="), "{to}");
    let page = page_text(&http, &follow, "").await;
    assert!(
        page.contains("Non retenue") && page.contains("repair café reprend en avril"),
        "{page}"
    );
    // A follow-up link that names nothing says so, without telling whether it ever existed.
    let r = http
        .get(format!("{place}/suivi/0123456789abcdef0123456789abcdef"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!("{place}/suivi/..%2F..%2Fetc"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Forms from another site (no token) are refused.
    let r = http
        .post(&orientation)
        .header("cookie", &cookie)
        .form(&[("action", "reglages")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn offers_of_help_from_pods_join_the_queue_and_are_answered_in_their_inbox() {
    let pods = start_pods(&["mo", "ana", "bo"]);
    let cod = start_cod(&[("le-6b", "Le 6B", &format!("{}/mo", pods.base))]);
    let place = format!("{}/le-6b", cod.base);
    let offer = |skill: &str| {
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/kommon/context.jsonld"],
            "type": "Offer",
            "to": [place],
            "target": place,
            "object": {
                "type": "kommon:VolunteerOffer",
                "schema:name": "Coup de main",
                "content": "Je peux aider à construire des meubles.",
                "schema:skills": [skill],
                "kommon:availability": [{
                    "type": "schema:Schedule",
                    "schema:byDay": ["schema:Saturday"],
                    "schema:startTime": "10:00:00",
                    "schema:endTime": "13:00:00"
                }]
            }
        })
    };
    // A moderator's client creates a call through the place's outbox: checked like the form,
    // published at once; bad ones are refused with the reason.
    let mo = token(&pods, "mo").await;
    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(20)).to_string();
    let call = |title: &str| {
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/activitystreams", {"kommon": "https://w3id.org/kommon/ns#", "schema": "http://schema.org/", "kskill": "https://w3id.org/kommon/skills/"}],
            "type": "Create",
            "object": {
                "type": ["Page", "kommon:CallForVolunteers"],
                "name": title,
                "content": "Tenir l'accueil du vernissage.",
                "schema:skills": ["kskill:accueil-du-public"],
                "schema:totalJobOpenings": 2,
                "schema:validThrough": until,
                "kommon:timeSlot": [{"type": "schema:Schedule", "schema:startDate": until, "schema:startTime": "18:00:00", "schema:endTime": "17:00:00"}],
                "schema:applicationContact": {"type": "schema:ContactPoint", "schema:email": "accueil@le6b.example"}
            }
        })
    };
    let r = mo
        .post(&format!("{place}/outbox"), call("Accueil du vernissage"))
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("finit avant de commencer"));
    let mut good = call("Accueil du vernissage");
    good["object"]["kommon:timeSlot"][0]["schema:endTime"] = serde_json::json!("21:00:00");
    let r = mo.post(&format!("{place}/outbox"), good).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let calls = mo.get(&format!("{place}/calls?page=true")).await;
    assert!(
        calls.to_string().contains("Accueil du vernissage"),
        "{calls}"
    );
    let r = mo.post(&format!("{place}/outbox"), call("")).await;
    assert_eq!(r.status(), 400);

    // An unknown skill is refused with the reason, in the sender's inbox.
    let bad = resident_posts(&pods, "bo", offer("https://evil.example/skill")).await;
    let reject = eventually("bo's Reject", || async {
        inbox(&pods, "bo")
            .await
            .into_iter()
            .find(|a| a["type"] == "Reject")
    })
    .await;
    assert_eq!(reject["object"], serde_json::json!(bad));
    assert!(
        reject["content"].as_str().unwrap().contains("référentiel"),
        "{reject}"
    );

    let sent = resident_posts(&pods, "ana", offer("kskill:menuiserie")).await;
    let http = browser();
    let cookie = log_in_to(&http, &cod.base, &pods.base, "mo", "/le-6b/orientation").await;
    let page = format!("{place}/orientation");
    let queue = eventually("ana's offer in the queue", || async {
        let q = page_text(&http, &page, &cookie).await;
        q.contains("En attente (1)").then_some(q)
    })
    .await;
    assert!(
        queue.contains("Je peux aider à construire des meubles") && queue.contains("Menuiserie"),
        "{queue}"
    );
    let token = between(&queue, "name=\"demande\" value=\"", "\"").to_owned();
    let to = orientation_act(
        &http,
        &cookie,
        &page,
        &[
            ("action", "accepter"),
            ("demande", &token),
            ("appel", ""),
            ("note", "Passez samedi."),
        ],
    )
    .await;
    assert!(to.contains("fait="), "{to}");
    let accept = eventually("ana's Accept", || async {
        inbox(&pods, "ana")
            .await
            .into_iter()
            .find(|a| a["type"] == "Accept")
    })
    .await;
    assert_eq!(accept["object"], serde_json::json!(sent));
    assert!(
        accept["content"]
            .as_str()
            .unwrap()
            .contains("Passez samedi"),
        "{accept}"
    );
    let follow = accept["url"].as_str().unwrap();
    assert!(page_text(&http, follow, "").await.contains("Acceptée"));

    // Another offer, then withdrawn with Undo: its data is erased at the place.
    let sent = resident_posts(&pods, "ana", offer("kskill:ceramique")).await;
    eventually("the second offer in the queue", || async {
        page_text(&http, &page, &cookie)
            .await
            .contains("En attente (1)")
            .then_some(())
    })
    .await;
    resident_posts(
        &pods,
        "ana",
        serde_json::json!({"type": "Undo", "object": sent, "to": [place]}),
    )
    .await;
    eventually("the offer withdrawn", || async {
        page_text(&http, &page, &cookie)
            .await
            .contains("En attente (0)")
            .then_some(())
    })
    .await;
}

/// A place of `cod` set up by its admin `who`: where it is, what it takes, and member of the
/// network.
#[allow(clippy::too_many_arguments)]
async fn member_place(
    http: &reqwest::Client,
    cod: &str,
    pods: &str,
    slug: &str,
    who: &str,
    name: &str,
    (lat, lon): (&str, &str),
    net_actor: &str,
    netmod: &Token,
) -> String {
    let cookie = log_in_to(http, cod, pods, who, &format!("/{slug}/admin")).await;
    save_profile(
        http,
        &cookie,
        cod,
        slug,
        &[
            ("name", name),
            ("locality", "Saint-Denis"),
            ("latitude", lat),
            ("longitude", lon),
            ("contact", &format!("accueil@{slug}.example")),
        ],
    )
    .await;
    let page = format!("{cod}/{slug}/orientation");
    let to = orientation_act(
        http,
        &cookie,
        &page,
        &[
            ("action", "reglages"),
            ("services", REPAIR),
            ("capacite", "5"),
            ("conservation", "60"),
        ],
    )
    .await;
    assert!(to.contains("fait="), "{to}");
    join_network(http, &cookie, &format!("{cod}/{slug}"), net_actor, netmod).await;
    cookie
}

#[tokio::test(flavor = "multi_thread")]
async fn the_network_orients_people_and_routes_a_request_from_place_to_place() {
    let pods = start_pods(&["mo", "mb", "net"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let places = start_cod(&[
        ("le-6b", "Le 6B", &webid("mo")),
        ("la-main", "La Main", &webid("mb")),
    ]);
    let network = start_cod_with(
        &[],
        &[("pot-kommon", "POT KOMMON", &webid("net"))],
        &["--map-tiles", "", "--reconcile-every-s", "3600"],
    );
    let net = network.base.clone();
    let net_actor = format!("{net}/pot-kommon");
    let netmod = token(&pods, "net").await;
    let http = browser();
    let a = member_place(
        &http,
        &places.base,
        &pods.base,
        "le-6b",
        "mo",
        "Le 6B",
        ("48.9245", "2.3522"),
        &net_actor,
        &netmod,
    )
    .await;
    let b = member_place(
        &http,
        &places.base,
        &pods.base,
        "la-main",
        "mb",
        "La Main",
        ("48.9080", "2.3850"),
        &net_actor,
        &netmod,
    )
    .await;
    // Le 6B publishes a call for carpenters on Saturday mornings.
    let page_a = format!("{}/le-6b/orientation", places.base);
    let until = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let to = orientation_act(
        &http,
        &a,
        &page_a,
        &[
            ("action", "nouvel_appel"),
            ("titre", "Atelier bancs"),
            ("description", "Des bancs pour la cour."),
            ("competences", MENUISERIE),
            ("creneau_jour_1", "samedi"),
            ("creneau_debut_1", "09:00"),
            ("creneau_fin_1", "12:00"),
            ("places", "3"),
            ("date_limite", until.as_str()),
            ("contact_email", "benevolat@le6b.example"),
        ],
    )
    .await;
    assert!(to.contains("fait="), "{to}");
    let queue = page_text(&http, &page_a, &a).await;
    let call_id = between(&queue, "name=\"appel\" value=\"", "\"").to_owned();
    let to = orientation_act(
        &http,
        &a,
        &page_a,
        &[("action", "publier"), ("appel", &call_id)],
    )
    .await;
    assert!(to.contains("fait="), "{to}");

    // « Je veux aider » on the network: the call first, with the reasons.
    let url = format!(
        "{net}/benevolat?message=je+fais+du+travail+du+bois&dispo=sa-matin&commune={}",
        form_urlencoded::byte_serialize(SAINT_DENIS.as_bytes()).collect::<String>()
    );
    let mut page = String::new();
    for _ in 0..100 {
        page = page_text(&http, &url, "").await;
        if page.contains("Atelier bancs") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    if !page.contains("Atelier bancs") {
        let calls = page_text(&http, &format!("{net}/api/geojson?type=call"), "").await;
        panic!("calls on the map: {calls}");
    }
    let calls = between(&page, "Appels à bénévoles", "</ol>");
    assert!(
        calls.contains(
            "Menuiserie, proche de « travail du bois » demandé ; disponible le samedi matin"
        ),
        "{calls}"
    );
    assert!(
        calls.contains(&format!("{}/le-6b/calls/{call_id}", places.base)),
        "{calls}"
    );
    // The network's views embed too: its open calls as data for other sites.
    let (status, calls_json) = {
        let r = client()
            .get(format!("{net}/embed/pot-kommon/appels.json"))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(status, 200);
    assert!(calls_json.contains("Atelier bancs"), "{calls_json}");
    assert!(
        page_text(&http, &format!("{net}/embed/pot-kommon/carte"), "")
            .await
            .contains("Le 6B")
    );
    // Bad criteria are refused with the reason.
    let r = client()
        .get(format!("{net}/benevolat?commune=https://evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("commune"));

    // « J'ai besoin d'un coup de main »: both places take repairs, Le 6B is nearer.
    let criteria = format!(
        "message=mon+v%C3%A9lo+a+un+pneu+crev%C3%A9&services={}&commune={}",
        form_urlencoded::byte_serialize(REPAIR.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(SAINT_DENIS.as_bytes()).collect::<String>()
    );
    let page = eventually("both places suggested", || async {
        let t = page_text(&http, &format!("{net}/coup-de-main?{criteria}"), "").await;
        (t.contains("La Main") && t.contains("Le 6B")).then_some(t)
    })
    .await;
    let places_list = between(&page, "<h2>Lieux", "</ol>");
    assert!(
        places_list.find("Le 6B").unwrap() < places_list.find("La Main").unwrap(),
        "{places_list}"
    );
    assert!(
        places_list.contains("Réparation, comme demandé"),
        "{places_list}"
    );
    assert!(page.contains("Envoyer ma demande"), "{page}");
    // Without consent, nothing is sent.
    let mut form: Vec<(String, String)> = form_urlencoded::parse(criteria.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("nom".into(), "Mme K.".into()));
    form.push(("courriel".into(), "k@example.org".into()));
    let r = http
        .post(format!("{net}/coup-de-main"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    form.push(("consentement".into(), "on".into()));
    let r = http
        .post(format!("{net}/coup-de-main"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let follow = format!(
        "{net}{}",
        r.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
    );
    let t = page_text(&http, &follow, "").await;
    assert!(
        t.contains("Transmise à <strong>Le 6B</strong> (lieu 1 sur 2)"),
        "{t}"
    );

    // Le 6B sees it, with the person's name, and declines: it goes to La Main.
    let queue = eventually("the request at Le 6B", || async {
        let q = page_text(&http, &page_a, &a).await;
        q.contains("pneu crevé").then_some(q)
    })
    .await;
    assert!(queue.contains("Mme K."), "{queue}");
    let token_a = between(
        between(&queue, "Demande de service", "</article>"),
        "name=\"demande\" value=\"",
        "\"",
    )
    .to_owned();
    orientation_act(
        &http,
        &a,
        &page_a,
        &[
            ("action", "refuser"),
            ("demande", &token_a),
            ("raison", "Notre atelier vélo est fermé ce mois-ci."),
        ],
    )
    .await;
    eventually("routed to La Main", || async {
        page_text(&http, &follow, "")
            .await
            .contains("Transmise à <strong>La Main</strong> (lieu 2 sur 2)")
            .then_some(())
    })
    .await;
    let page_b = format!("{}/la-main/orientation", places.base);
    let queue = eventually("the request at La Main", || async {
        let q = page_text(&http, &page_b, &b).await;
        q.contains("pneu crevé").then_some(q)
    })
    .await;
    let token_b = between(&queue, "name=\"demande\" value=\"", "\"").to_owned();
    orientation_act(
        &http,
        &b,
        &page_b,
        &[
            ("action", "accepter"),
            ("demande", &token_b),
            ("note", "Venez mercredi à 14 h."),
        ],
    )
    .await;
    let t = eventually("accepted by La Main", || async {
        let t = page_text(&http, &follow, "").await;
        t.contains("Acceptée").then_some(t)
    })
    .await;
    assert!(
        t.contains("La Main")
            && t.contains("Venez mercredi à 14 h.")
            && t.contains("accueil@la-main.example"),
        "{t}"
    );

    // Another request, withdrawn while Le 6B decides: Le 6B is told and forgets it.
    form.retain(|(k, _)| k != "message");
    form.push(("message".into(), "ma bouilloire ne chauffe plus".into()));
    let r = http
        .post(format!("{net}/coup-de-main"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let follow = format!(
        "{net}{}",
        r.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
    );
    eventually("the second request at Le 6B", || async {
        page_text(&http, &page_a, &a)
            .await
            .contains("bouilloire")
            .then_some(())
    })
    .await;
    let r = http
        .post(&follow)
        .form(&[("action", "retirer")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    eventually("withdrawn at Le 6B", || async {
        (!page_text(&http, &page_a, &a).await.contains("bouilloire")).then_some(())
    })
    .await;
    assert!(page_text(&http, &follow, "").await.contains("Retirée"));
    // Nothing of it stays in the inboxes and outboxes: Le 6B's copy of the Offer and the
    // network's are Tombstones now.
    let mo = token(&pods, "mo").await;
    let inbox = mo
        .get(&format!("{}/le-6b/inbox?page=true", places.base))
        .await;
    assert!(!inbox.to_string().contains("bouilloire"), "{inbox}");
    assert!(inbox.to_string().contains("Tombstone"), "{inbox}");
    let outbox = netmod.get(&format!("{net_actor}/outbox?page=true")).await;
    assert!(!outbox.to_string().contains("bouilloire"), "{outbox}");

    // The network's own moderators do not decide what it routed: the places do.
    let third = {
        form.retain(|(k, _)| k != "message");
        form.push(("message".into(), "ma lampe ne s'allume plus".into()));
        let r = http
            .post(format!("{net}/coup-de-main"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        r.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let net_cookie = log_in_to(&http, &net, &pods.base, "net", "/pot-kommon/orientation").await;
    let net_page = format!("{net_actor}/orientation");
    let to = orientation_act(
        &http,
        &net_cookie,
        &net_page,
        &[("action", "accepter"), ("demande", &third), ("note", "")],
    )
    .await;
    assert!(
        to.contains("erreur=") && to.contains("transmise aux lieux"),
        "{to}"
    );

    // Every page of the paths, in a real browser, passes axe.
    let sd = form_urlencoded::byte_serialize(SAINT_DENIS.as_bytes()).collect::<String>();
    axe_pages(&serde_json::json!([
        {"name": "net-volunteer", "url": format!("{net}/benevolat?message=menuiserie&dispo=sa-matin&commune={sd}")},
        {"name": "net-help", "url": format!("{net}/coup-de-main?{criteria}")},
        {"name": "place-volunteer", "url": format!("{}/le-6b/benevolat", places.base)},
        {"name": "place-help", "url": format!("{}/le-6b/coup-de-main", places.base)},
        {"name": "call", "url": format!("{}/le-6b/calls/{call_id}", places.base)},
        {"name": "follow", "url": follow},
        {"name": "queue", "url": page_a, "cookie": a},
    ]));
}
