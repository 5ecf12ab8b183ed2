//! The network across real processes on loopback: a pod-server for the people, a cod-server
//! for the places, another for the network (POT KOMMON). A place joins the network from its
//! admin page; the network's moderator accepts; residents approved by the place appear on the
//! network's map and directory within 2 seconds, leave it when they leave or delete their pod;
//! what the shapes refuse and what non-members send stay out, listed for the network's
//! moderators; the map, its filter, the agenda and the query builder work in a real browser and
//! pass axe; events reach the
//! agenda and its feeds, read by real parsers (Python icalendar, feedparser, geojson,
//! SPARQLWrapper); bad input is refused with a reason.

mod common;

use common::*;
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

const CERAMIQUE: &str = "https://w3id.org/kommon/skills/ceramique";
const ARTISANAT: &str = "https://w3id.org/kommon/skills/artisanat";
const MENUISERIE: &str = "https://w3id.org/kommon/skills/menuiserie";

async fn get_text(url: &str) -> (u16, String) {
    let r = client().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn geojson(net: &str, query: &str) -> Value {
    let (status, body) = get_text(&format!("{net}/api/geojson?{query}")).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn names(fc: &Value) -> Vec<String> {
    let mut v: Vec<String> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["name"].as_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn places_join_the_network_and_what_they_approve_is_on_its_map_agenda_and_endpoint() {
    let pods = start_pods(&["mo", "net", "ana", "bob"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let places = start_cod(&[("le-6b", "Le 6B", &webid("mo"))]);
    let network = start_cod_with(
        &[],
        &[("pot-kommon", "POT KOMMON", &webid("net"))],
        &["--map-tiles", "", "--reconcile-every-s", "3600"],
    );
    let net = network.base.clone();
    let net_actor = format!("{net}/pot-kommon");
    let place = format!("{}/le-6b", places.base);
    let mo = token(&pods, "mo").await;
    let netmod = token(&pods, "net").await;
    let http = browser();

    // The place's admin fills in its profile and asks to join the network from its pages.
    let cookie = log_in_to(&http, &places.base, &pods.base, "mo", "/le-6b/admin").await;
    save_profile(
        &http,
        &cookie,
        &places.base,
        "le-6b",
        &[
            ("name", "Le 6B"),
            ("summary", "Lieu de création et de diffusion"),
            ("street_address", "6-10 quai de Seine"),
            ("postal_code", "93200"),
            ("locality", "Saint-Denis"),
            ("latitude", "48.9245"),
            ("longitude", "2.3522"),
            ("website", "https://www.le6b.fr"),
        ],
    )
    .await;
    let csrf = csrf_of(&http, &cookie, &format!("{}/le-6b/reseaux", places.base)).await;
    // An address that is no URL is refused with a reason, and nothing is sent.
    let r = http
        .post(format!("{}/le-6b/reseaux", places.base))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("network", "pas une adresse")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("URL"));
    join_network(
        &http,
        &cookie,
        &format!("{}/le-6b", places.base),
        &net_actor,
        &netmod,
    )
    .await;
    let fc = eventually("the place on the network's map", || async {
        let fc = geojson(&net, "type=place").await;
        (names(&fc) == ["Le 6B"]).then_some(fc)
    })
    .await;
    let coords = &fc["features"][0]["geometry"]["coordinates"];
    assert_eq!(coords[0].as_f64(), Some(2.3522));
    assert_eq!(coords[1].as_f64(), Some(48.9245));
    assert_eq!(
        fc["features"][0]["properties"]["commune"],
        "https://w3id.org/kommon/ns#commune-saint-denis"
    );

    // ana, a ceramicist, says so in her profile, then joins the place; bob, a carpenter, too.
    for (who, skill) in [("ana", CERAMIQUE), ("bob", MENUISERIE)] {
        let actor: Value = get_as(webid(who)).await;
        let profile = actor["url"].as_str().unwrap().to_owned();
        let r = client()
            .patch(&profile)
            .header(DEV, webid(who))
            .header("content-type", "application/sparql-update")
            .body(format!(
                "INSERT DATA {{ <{profile}#me> <http://schema.org/skills> <{skill}> ; <https://w3id.org/kommon/ns#supplies> <{place}> . }}"
            ))
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
        // …and makes it public (what the pod's "make my profile public" box writes).
        let acl = format!(
            "@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n\
<#owner> a acl:Authorization ; acl:agent <{me}> ; acl:accessTo <{profile}> ; acl:mode acl:Read, acl:Write, acl:Control .\n\
<#public> a acl:Authorization ; acl:agentClass <http://xmlns.com/foaf/0.1/Agent> ; acl:accessTo <{profile}> ; acl:mode acl:Read .\n",
            me = webid(who)
        );
        let r = client()
            .put(format!("{profile}.acl"))
            .header(DEV, webid(who))
            .header("content-type", "text/turtle")
            .body(acl)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
        let join = resident_posts(
            &pods,
            who,
            json!({"type": "Join", "object": place, "to": [place]}),
        )
        .await;
        let pending = format!("{place}/pending?page=true");
        eventually("the resident's request", || async {
            ids(&mo.get(&pending).await).contains(&join).then_some(())
        })
        .await;
        let approved = Instant::now();
        let r = mo
            .post(
                &format!("{place}/outbox"),
                json!({"type": "Accept", "object": join}),
            )
            .await;
        assert_eq!(r.status(), 201);
        // On the network's map and directory within 2 seconds of the approval.
        let resident = webid(who);
        loop {
            let fc = geojson(&net, "type=resident").await;
            let on_map = fc["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == resident.as_str());
            if on_map {
                break;
            }
            assert!(
                approved.elapsed() < Duration::from_secs(2),
                "{who} is not on the network's map 2 s after the approval: {fc}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, dir) = get_text(&format!("{net}/annuaire?q={who}")).await;
        assert!(dir.contains(&urlencode(&webid(who))), "{dir}");
    }
    // What residents declare of their value chains is on the relations page.
    let (status, relations) = get_text(&format!("{net}/relations")).await;
    assert_eq!(status, 200);
    assert!(
        relations.contains("Chaînes de valeur") && relations.contains("— fournit — "),
        "{relations}"
    );
    // The skill filter follows the nomenclature: "artisanat" covers carpentry, not ceramics…
    let crafts = geojson(
        &net,
        &format!("type=resident&skill={}", urlencode(ARTISANAT)),
    )
    .await;
    let crafted: Vec<String> = crafts["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(crafted.contains(&webid("bob")), "{crafts}");
    // …ceramics is its own branch.
    let ceramics = geojson(&net, &format!("skill={}", urlencode(CERAMIQUE))).await;
    assert_eq!(
        ceramics["features"].as_array().unwrap().len(),
        1,
        "{ceramics}"
    );
    assert_eq!(ceramics["features"][0]["id"], webid("ana").as_str());
    // The resident's page links back to their own data and to the place.
    let (status, fiche) = get_text(&format!("{net}/fiche?id={}", urlencode(&webid("ana")))).await;
    assert_eq!(status, 200);
    assert!(fiche.contains("Céramique"), "{fiche}");
    assert!(
        fiche.contains(&webid("ana")) && fiche.contains("Le 6B"),
        "{fiche}"
    );

    // The place publishes an event: it reaches the network's agenda and its feeds.
    let next_month = chrono_next_month();
    let r = mo
        .post(
            &format!("{place}/outbox"),
            json!({"type": "Event", "name": "Portes ouvertes des ateliers",
                   "startTime": format!("{next_month}-12T14:00:00+02:00"),
                   "endTime": format!("{next_month}-12T20:00:00+02:00"),
                   "summary": "Visites, démonstrations ; concert en fin de journée",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    eventually("the event in the network's agenda", || async {
        let (_, t) = get_text(&format!("{net}/agenda?month={next_month}")).await;
        t.contains("Portes ouvertes des ateliers").then_some(())
    })
    .await;
    let ics = format!("{net}/agenda.ics?month={next_month}");
    let out = run_python(
        "import sys, requests, icalendar\n\
cal = icalendar.Calendar.from_ical(requests.get(sys.argv[1]).content)\n\
for ev in cal.walk('VEVENT'):\n    print(ev['SUMMARY'], ev.decoded('DTSTART').isoformat())",
        &[&ics],
    );
    assert!(out.contains("Portes ouvertes des ateliers"), "{out}");
    assert!(out.contains("12T12:00:00+00:00"), "{out}");
    for feed in ["agenda.rss", "agenda.atom"] {
        let out = run_python(
            "import sys, feedparser\n\
d = feedparser.parse(sys.argv[1])\n\
assert not d.bozo, d.bozo_exception\n\
print(d.version, [e.title for e in d.entries])",
            &[&format!("{net}/{feed}")],
        );
        assert!(
            out.contains("Portes ouvertes des ateliers"),
            "{feed}: {out}"
        );
    }
    let out = run_python(
        "import sys, requests, geojson\n\
fc = geojson.loads(requests.get(sys.argv[1]).text)\n\
assert fc.is_valid, fc.errors()\n\
print(len(fc['features']))",
        &[&format!("{net}/api/geojson")],
    );
    assert!(out.trim().parse::<usize>().unwrap() >= 4, "{out}");
    let out = run_python(
        "import sys\nfrom SPARQLWrapper import SPARQLWrapper, JSON\n\
s = SPARQLWrapper(sys.argv[1]); s.setReturnFormat(JSON)\n\
s.setQuery('PREFIX pair: <http://virtual-assembly.org/ontologies/pair#> PREFIX kommon: <https://w3id.org/kommon/ns#> SELECT ?r ?name WHERE { ?place kommon:hosts ?r . ?r pair:label ?name } ORDER BY ?r')\n\
print([b['r']['value'] for b in s.query().convert()['results']['bindings']])",
        &[&format!("{net}/sparql")],
    );
    assert!(
        out.contains(&webid("ana")) && out.contains(&webid("bob")),
        "{out}"
    );

    // What the shapes refuse stays out and is listed, with the reason, for the network's
    // moderators: bob's event ends before it starts; the place accepts his offer anyway.
    let events = format!("{place}/events");
    let create = resident_posts(
        &pods,
        "bob",
        json!({"type": "Event", "name": "Atelier à l'envers",
               "startTime": format!("{next_month}-20T18:00:00+02:00"),
               "endTime": format!("{next_month}-20T16:00:00+02:00"),
               "to": ["https://www.w3.org/ns/activitystreams#Public"]}),
    )
    .await;
    let created: Value = get_json(&create).await;
    let original = created["object"]["id"].as_str().unwrap().to_owned();
    let offer = resident_posts(
        &pods,
        "bob",
        json!({"type": "Offer", "object": original, "target": events, "to": [place]}),
    )
    .await;
    eventually("bob's offer pending", || async {
        ids(&mo.get(&format!("{place}/pending?page=true")).await)
            .contains(&offer)
            .then_some(())
    })
    .await;
    let r = mo
        .post(
            &format!("{place}/outbox"),
            json!({"type": "Accept", "object": offer}),
        )
        .await;
    assert_eq!(r.status(), 201);
    // bob also writes to the network directly: he is no member, it stays out.
    resident_posts(
        &pods,
        "bob",
        json!({"type": "Event", "name": "Soirée hors réseau",
               "startTime": format!("{next_month}-21T18:00:00+02:00"),
               "to": [net_actor, "https://www.w3.org/ns/activitystreams#Public"]}),
    )
    .await;
    let net_cookie = log_in_to(&http, &net, &pods.base, "net", "/pot-kommon/ingestion").await;
    let ingestion = eventually("the refusals on the ingestion page", || async {
        let t = http
            .get(format!("{net_actor}/ingestion"))
            .header("cookie", &net_cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (t.contains("postérieure") && t.contains("n&#39;est pas membre du réseau")).then_some(t)
    })
    .await;
    assert!(ingestion.contains("Le 6B"), "{ingestion}");
    let (_, agenda) = get_text(&format!("{net}/agenda?month={next_month}")).await;
    assert!(agenda.contains("Portes ouvertes des ateliers"));
    assert!(!agenda.contains("Atelier à l&#39;envers") && !agenda.contains("Soirée hors réseau"));
    // The ingestion page is for the network's moderators.
    let r = http
        .get(format!("{net_actor}/ingestion"))
        .send()
        .await
        .unwrap();
    assert!(r.status() == 303 || r.status() == 401, "{}", r.status());

    // In a real browser: the map, its skill filter and list, the agenda; every page passes axe.
    let interop = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop");
    let browser = interop.join("node_modules/playwright-core").exists()
        && std::path::Path::new("/usr/bin/chromium").exists();
    if !browser {
        assert!(
            std::env::var("KOMMON_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "playwright-core or chromium missing"
        );
    } else {
        let node = |script: &str, args: &[&str]| {
            let out = Command::new("node")
                .arg(interop.join(script))
                .args(args)
                .output()
                .expect("node runs");
            assert!(
                out.status.success(),
                "{script}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        node(
            "network-site.mjs",
            &[&net, CERAMIQUE, &next_month, "Portes ouvertes des ateliers"],
        );
        node("query-builder.mjs", &[&net]);
        axe_pages(&json!([
            {"name": "home", "url": format!("{net}/")},
            {"name": "map", "url": format!("{net}/carte")},
            {"name": "directory", "url": format!("{net}/annuaire?q=ana")},
            {"name": "agenda", "url": format!("{net}/agenda?month={next_month}")},
            {"name": "resident", "url": format!("{net}/fiche?id={}", urlencode(&webid("ana")))},
            {"name": "place", "url": format!("{net}/fiche?id={}", urlencode(&place))},
            {"name": "relations", "url": format!("{net}/relations")},
            {"name": "queries", "url": format!("{net}/requetes")},
            {"name": "open-data", "url": format!("{net}/donnees")},
            {"name": "ingestion", "url": format!("{net_actor}/ingestion"), "cookie": net_cookie},
            {"name": "networks", "url": format!("{place}/reseaux"), "cookie": cookie},
        ]));
    }

    // Bad input: each refused with a reason, nothing else affected.
    let (status, body) = get_text(&format!("{net}/sparql?query=SELEC%20%3Fx")).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = get_text(&format!("{net}/api/geojson?bbox=1,2,3")).await;
    assert_eq!(status, 400);
    assert!(body.contains("bbox"), "{body}");
    let (status, _) = get_text(&format!("{net}/agenda.ics?month=2027-13")).await;
    assert_eq!(status, 400);
    let (status, _) = get_text(&format!("{net}/fiche?id=https%3A%2F%2Fnowhere.example%2Fx")).await;
    assert_eq!(status, 404);
    let (status, body) = get_text(&format!(
        "{net}/sparql?query={}",
        urlencode("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    ))
    .await;
    assert!(
        status == 400 || status == 503 || status == 413,
        "{status} {body}"
    );
    // An answer larger than the endpoint's 10,000 results is refused, with the reason.
    let (status, body) = get_text(&format!(
        "{net}/sparql?query={}",
        urlencode("SELECT ?a ?b WHERE { ?a ?p ?o . ?b ?p ?o2 }")
    ))
    .await;
    assert!(
        status == 413 || status == 400 || status == 503,
        "{status} {body}"
    );
    assert!(!body.is_empty());
    let (status, page) = get_text(&format!(
        "{net}/requetes?query={}",
        urlencode("SELECT WHERE")
    ))
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("role=\"alert\""), "{page}");

    // ana leaves the place: she leaves the network's map too.
    resident_posts(
        &pods,
        "ana",
        json!({"type": "Leave", "object": place, "to": [place]}),
    )
    .await;
    eventually("ana gone from the network", || async {
        let fc = geojson(&net, "type=resident").await;
        (!fc.to_string().contains(&webid("ana"))).then_some(())
    })
    .await;
    let (status, _) = get_text(&format!("{net}/fiche?id={}", urlencode(&webid("ana")))).await;
    assert_eq!(status, 404);
    // bob deletes his pod (his pod's own form): the place ends his residency, the network
    // forgets him.
    let r = http
        .post(format!("{}/.account/login", pods.base))
        .header("origin", &pods.base)
        .form(&[
            ("username", "bob"),
            ("password", "correct horse battery"),
            ("next", "/.account/pod"),
        ])
        .send()
        .await
        .unwrap();
    let pod_cookie = cookies_of(&r);
    assert!(!pod_cookie.is_empty(), "bob could not sign in");
    let r = http
        .post(format!("{}/.account/delete", pods.base))
        .header("origin", &pods.base)
        .header("cookie", &pod_cookie)
        .form(&[("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    eventually("bob gone from the place and the network", || async {
        let residents = mo.get(&format!("{place}/residents?page=true")).await;
        let fc = geojson(&net, "type=resident").await;
        (!residents.to_string().contains(&webid("bob")) && !fc.to_string().contains(&webid("bob")))
            .then_some(())
    })
    .await;
    // Dumps carry what remains (the place, its event, the vocabulary), with provenance.
    let (status, nq) = get_text(&format!("{net}/donnees/public.nq")).await;
    assert_eq!(status, 200);
    assert!(!nq.contains(&format!("<{}>", webid("bob"))));
    assert!(!nq.contains(&format!("<{}>", webid("ana"))));
    assert!(nq.contains(&format!("<{place}>")));
    assert!(nq.contains("http://www.w3.org/ns/prov#generatedAtTime"));
    let (status, jsonld) = get_text(&format!("{net}/donnees/public.jsonld")).await;
    assert_eq!(status, 200);
    let parsed: Value = serde_json::from_str(&jsonld).unwrap();
    assert!(parsed.as_array().unwrap().len() >= 3);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `YYYY-MM` of next month (events there are always in the future).
fn chrono_next_month() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let days = (now / 86_400) as i64 + 40;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}")
}

/// The sources page's form; the answer's status.
async fn sources_form(
    http: &reqwest::Client,
    cookie: &str,
    url: &str,
    fields: &[(&str, &str)],
) -> u16 {
    post_form(http, cookie, url, url, fields)
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_network_imports_an_external_sources_events_after_moderation() {
    let Some(peer) = Fedify::start() else {
        return;
    };
    let pods = start_pods(&["net"]);
    let network = start_cod_with(
        &[],
        &[("pot-kommon", "POT KOMMON", &format!("{}/net", pods.base))],
        &["--map-tiles", ""],
    );
    let net = network.base.clone();
    let sources = format!("{net}/pot-kommon/sources");
    let source = format!("http://localhost:{}/users/tester", peer.1);
    let http = browser();
    let cookie = log_in_to(&http, &net, &pods.base, "net", "/pot-kommon/sources").await;
    // Bad addresses are refused with a reason.
    assert_eq!(
        sources_form(
            &http,
            &cookie,
            &sources,
            &[("action", "follow"), ("actor", "nope")]
        )
        .await,
        400
    );
    // The network's admin follows the Fedify actor; it accepts.
    assert_eq!(
        sources_form(
            &http,
            &cookie,
            &sources,
            &[("action", "follow"), ("actor", &source)]
        )
        .await,
        303
    );
    let page_of_sources = || async {
        http.get(&sources)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    eventually("the source followed", || async {
        page_of_sources()
            .await
            .contains("suivie / followed")
            .then_some(())
    })
    .await;
    eventually("the network among the source's followers", || async {
        let f: Value = get_json(format!("http://localhost:{}/control/followers", peer.1)).await;
        (!f.as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    let month = chrono_next_month();
    let published = peer
        .control(
            "event",
            json!({"name": "Atelier vélo du voisinage", "startTime": format!("{month}-10T18:00:00+02:00"),
                   "endTime": format!("{month}-10T20:00:00+02:00"), "content": "<p>Réparez votre vélo</p>",
                   "latitude": 48.93, "longitude": 2.36}),
        )
        .await;
    let event = published["eventId"].as_str().unwrap().to_owned();
    // It waits for a moderator: not in the agenda yet.
    eventually("the event waiting", || async {
        page_of_sources()
            .await
            .contains("Atelier vélo du voisinage")
            .then_some(())
    })
    .await;
    let (_, agenda) = get_text(&format!("{net}/agenda?month={month}")).await;
    assert!(!agenda.contains("Atelier vélo du voisinage"));
    // Accepted: fetched again, validated, in the agenda and on the map.
    assert_eq!(
        sources_form(
            &http,
            &cookie,
            &sources,
            &[("action", "accept"), ("source", &source), ("id", &event)]
        )
        .await,
        303
    );
    let (_, agenda) = get_text(&format!("{net}/agenda?month={month}")).await;
    assert!(agenda.contains("Atelier vélo du voisinage"), "{agenda}");
    let fc = geojson(&net, "type=event").await;
    assert_eq!(fc["features"][0]["id"], event.as_str(), "{fc}");
    // Accepted events follow their source: an update, then a deletion.
    peer.control(
        "event-update",
        json!({"eventId": event, "name": "Atelier vélo (reporté)"}),
    )
    .await;
    eventually("the update in the agenda", || async {
        let (_, a) = get_text(&format!("{net}/agenda?month={month}")).await;
        a.contains("Atelier vélo (reporté)").then_some(())
    })
    .await;
    peer.control("event-delete", json!({"eventId": event}))
        .await;
    eventually("the deletion in the agenda", || async {
        let (_, a) = get_text(&format!("{net}/agenda?month={month}")).await;
        (!a.contains("Atelier vélo")).then_some(())
    })
    .await;
    // A discarded event never reaches the agenda.
    let second = peer
        .control(
            "event",
            json!({"name": "Vide-grenier", "startTime": format!("{month}-11T09:00:00+02:00")}),
        )
        .await;
    let second = second["eventId"].as_str().unwrap().to_owned();
    eventually("the second event waiting", || async {
        page_of_sources()
            .await
            .contains("Vide-grenier")
            .then_some(())
    })
    .await;
    assert_eq!(
        sources_form(
            &http,
            &cookie,
            &sources,
            &[("action", "discard"), ("source", &source), ("id", &second)]
        )
        .await,
        303
    );
    assert!(!page_of_sources().await.contains("Vide-grenier"));
    let (_, agenda) = get_text(&format!("{net}/agenda?month={month}")).await;
    assert!(!agenda.contains("Vide-grenier"));
    // Deciding twice is refused.
    assert_eq!(
        sources_form(
            &http,
            &cookie,
            &sources,
            &[("action", "accept"), ("source", &source), ("id", &second)]
        )
        .await,
        404
    );
}

#[test]
fn network_import_loads_a_data_set_then_the_server_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nq = dir.path().join("set.nq");
    // A place, a resident with skills, the residency between them, an event at the place, in
    // the schema.org dialect of other platforms (and of bench/generate_network.py).
    let g = |doc: &str, body: &str| -> String {
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("{} <{doc}> .\n", l.trim().trim_end_matches(" .")))
            .collect()
    };
    let mut text = String::new();
    text += &g(
        "https://cod.example/le-6b",
        r#"
        <https://cod.example/le-6b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://virtual-assembly.org/ontologies/pair#Place> .
        <https://cod.example/le-6b> <http://schema.org/name> "Le 6b" .
        <https://cod.example/le-6b> <http://schema.org/latitude> "48.927"^^<http://www.w3.org/2001/XMLSchema#double> .
        <https://cod.example/le-6b> <http://schema.org/longitude> "2.359"^^<http://www.w3.org/2001/XMLSchema#double> .
        <https://cod.example/le-6b> <https://w3id.org/kommon/ns#commune> "93066" .
    "#,
    );
    text += &g(
        "https://pods.example/camille",
        r#"
        <https://pods.example/camille> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://virtual-assembly.org/ontologies/pair#Person> .
        <https://pods.example/camille> <http://xmlns.com/foaf/0.1/name> "Camille Martin" .
        <https://pods.example/camille> <http://virtual-assembly.org/ontologies/pair#hasSkill> <https://w3id.org/kommon/skills/menuiserie> .
    "#,
    );
    text += &g(
        "https://cod.example/le-6b/residents/1",
        r#"
        <https://cod.example/le-6b/residents/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/kommon/ns#Residency> .
        <https://cod.example/le-6b/residents/1> <http://virtual-assembly.org/ontologies/pair#membershipActor> <https://pods.example/camille> .
        <https://cod.example/le-6b/residents/1> <http://virtual-assembly.org/ontologies/pair#membershipOrganization> <https://cod.example/le-6b> .
    "#,
    );
    text += &g(
        "https://cod.example/le-6b/events/1",
        r#"
        <https://cod.example/le-6b/events/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/Event> .
        <https://cod.example/le-6b/events/1> <http://schema.org/name> "Atelier menuiserie" .
        <https://cod.example/le-6b/events/1> <http://schema.org/startDate> "2027-06-12T14:00:00+02:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
        <https://cod.example/le-6b/events/1> <http://schema.org/location> <https://cod.example/le-6b> .
    "#,
    );
    text += &g(
        "https://cod.example/le-6b/projects/1",
        r#"
        <https://cod.example/le-6b/projects/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://virtual-assembly.org/ontologies/pair#Project> .
        <https://cod.example/le-6b/projects/1> <http://virtual-assembly.org/ontologies/pair#label> "Jardin partagé du canal" .
        <https://cod.example/le-6b/projects/1> <http://virtual-assembly.org/ontologies/pair#involves> <https://pods.example/camille> .
        <https://cod.example/le-6b/projects/1> <http://virtual-assembly.org/ontologies/pair#hasLocation> <https://cod.example/le-6b> .
    "#,
    );
    text += "<https://x.example/a> <https://x.example/p> \"broken\n";
    std::fs::write(&nq, &text).unwrap();
    let bin = env!("CARGO_BIN_EXE_cod-server");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let run = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .arg("--data")
            .arg(&data)
            .args(["--listen", &listen])
            .output()
            .unwrap()
    };
    // Without a network: a clear error.
    let out = run(&["network-import", nq.to_str().unwrap(), "--trusted"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("runs no network"));
    let out = run(&[
        "create-community",
        "pot-kommon",
        "--name",
        "POT KOMMON",
        "--admin",
        "https://pods.example/admin",
        "--network",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A syntax error names the file and the line; importing again after the fix replaces
    // whatever the first run wrote (documents are replaced whole).
    let out = run(&["network-import", nq.to_str().unwrap(), "--trusted"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("set.nq"), "{err}");
    let text = text
        .lines()
        .filter(|l| !l.contains("broken"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    std::fs::write(&nq, &text).unwrap();
    let out = run(&["network-import", nq.to_str().unwrap(), "--trusted"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["stored"],
        json!({"place": 1, "resident": 1, "event": 1, "project": 1}),
        "{report}"
    );
    assert_eq!(report["residencies"], 1);
    let mut server = Command::new(bin)
        .args(["serve", "--data"])
        .arg(&data)
        .args(["--listen", &listen, "--map-tiles", ""])
        .spawn()
        .unwrap();
    wait_listening(port);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let base = format!("http://localhost:{port}");
        let fc = geojson(&base, "type=resident").await;
        assert_eq!(
            fc["features"][0]["id"], "https://pods.example/camille",
            "{fc}"
        );
        // Shown at the place, with the place's commune found from its Insee code.
        assert_eq!(
            fc["features"][0]["geometry"]["coordinates"][1].as_f64(),
            Some(48.927)
        );
        let places = geojson(&base, "type=place").await;
        assert_eq!(
            places["features"][0]["properties"]["commune"],
            "https://w3id.org/kommon/ns#commune-saint-denis"
        );
        let crafts = geojson(&base, &format!("skill={}", urlencode(ARTISANAT))).await;
        assert_eq!(crafts["features"].as_array().unwrap().len(), 1, "{crafts}");
        let (_, agenda) = get_text(&format!("{base}/agenda?month=2027-06")).await;
        assert!(agenda.contains("Atelier menuiserie"));
        // Who works on which project, on the relations page.
        let (_, relations) = get_text(&format!("{base}/relations")).await;
        assert!(
            relations.contains("participe au projet")
                && relations.contains("Jardin partagé du canal"),
            "{relations}"
        );
    });
    let _ = server.kill();
    let _ = server.wait();
}
