//! The demonstrator from an empty folder on free ports: every seeded resident is in their
//! place's résidentothèque and their profile is public; a second start reuses the data;
//! `--reset` starts afresh.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../../tests/support/ports.rs"]
mod ports;

/// Four consecutive free ports.
fn free_base() -> u16 {
    ports::free_ports(4)
}

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demonstrator and waits for its « prêt » line.
fn start(data: &Path, base: u16, reset: bool) -> Demo {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kommon-demo"));
    cmd.arg("--data")
        .arg(data)
        .args(["--port-base", &base.to_string()]);
    if reset {
        cmd.arg("--reset");
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demonstrator starts");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(l)) if l.contains("prêt") => break,
            Some(Ok(_)) => continue,
            _ => panic!("the demonstrator stopped before being ready"),
        }
    }
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Demo(child)
}

fn get(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .get(url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

/// A page's HTML.
fn text(url: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .get(url)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
}

#[test]
fn the_demonstrator_seeds_through_the_protocols_restarts_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let base = free_base();
    let demo = start(&data, base, false);
    let urls: Value =
        serde_json::from_slice(&std::fs::read(data.join("urls.json")).unwrap()).unwrap();
    assert_eq!(urls["pod_server"], format!("http://localhost:{base}"));
    let places = urls["places"].as_object().unwrap();
    assert_eq!(places.len(), 3);
    let accounts = urls["accounts"].as_array().unwrap();
    assert!(accounts.len() >= 20, "{} accounts", accounts.len());
    let mut residents = 0;
    let mut moderators = std::collections::BTreeSet::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for a in accounts {
        let webid = a["webid"].as_str().unwrap();
        let actor = get(webid);
        assert!(
            actor["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{webid}: {actor}"
        );
        match a["role"].as_str().unwrap() {
            "resident" => {
                residents += 1;
                let place = places[a["place"].as_str().unwrap()].as_str().unwrap();
                let page = get(&format!("{place}/residents?page=true"));
                let all = format!("{page}");
                let total = get(&format!("{place}/residents"))["totalItems"]
                    .as_u64()
                    .unwrap();
                assert!(
                    all.contains(webid) || total > 20,
                    "{webid} not among {place}'s residents"
                );
            }
            "newcomer" => {
                for place in places.values() {
                    let page = get(&format!("{}/residents?page=true", place.as_str().unwrap()));
                    assert!(
                        !page.to_string().contains(webid),
                        "the newcomer belongs to no place"
                    );
                }
            }
            role => {
                assert!(a["client_id"].as_str().is_some());
                // Admins and moderators moderate their place: its pending requests are theirs
                // to read (the demonstrator runs in development mode, where a header names the
                // agent), and nobody else's.
                let slug = a["place"].as_str().unwrap();
                if let Some(place) = places.get(slug) {
                    let status = |agent: &str| {
                        rt.block_on(async {
                            reqwest::Client::new()
                                .get(format!("{}/pending", place.as_str().unwrap()))
                                .header("x-kommon-dev-agent", agent)
                                .send()
                                .await
                                .unwrap()
                                .status()
                                .as_u16()
                        })
                    };
                    assert_eq!(status(webid), 200, "{role} {webid} moderates {slug}");
                    moderators.insert(slug.to_owned());
                }
            }
        }
    }
    assert!(residents >= 18);
    assert_eq!(
        moderators.len(),
        3,
        "every place has its moderators: {moderators:?}"
    );
    assert!(
        accounts.iter().filter(|a| a["role"] == "moderator").count() >= 3,
        "moderators who are not admins"
    );
    for (slug, place) in places {
        let events = get(&format!("{}/events", place.as_str().unwrap()));
        assert_eq!(events["totalItems"], 2, "{slug}'s events");
    }
    // The résidentothèque shows each resident's card from their pod: name, bio, skills, links.
    let html = text(places["le-6b"].as_str().unwrap());
    for expected in [
        "Ana Ferreira",
        "Céramique",
        "<strong>Discipline</strong> <span class=\"en\" lang=\"en\">(field)</span> : Artisanat",
        "Tournage céramique",
        "ana-ceramique.example",
        "Compagnie Lueurs",
        "Agenda",
        "Portes ouvertes des ateliers",
    ] {
        assert!(
            html.contains(expected),
            "{expected} not on the place's page"
        );
    }
    // The network took the three places in, and back-filled their residents and events.
    let network = urls["network"].as_str().unwrap().to_owned();
    let start_wait = std::time::Instant::now();
    let count = |kind: &str| -> usize {
        get(&format!("{network}/api/geojson?type={kind}"))["features"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    while count("place") < 3
        || count("resident") < residents
        || count("event") < 6
        || count("call") < 3
        || count("project") < 5
    {
        assert!(
            start_wait.elapsed() < Duration::from_secs(30),
            "the network has {} places, {} residents, {} events, {} calls, {} projects",
            count("place"),
            count("resident"),
            count("event"),
            count("call"),
            count("project")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Every seeded resident, project, event and call is on the network's site (its directory,
    // by kind) and in its public SPARQL endpoint.
    let seed: Value = serde_json::from_str(include_str!("../seed.json")).unwrap();
    let names = |list: &str, field: &str| -> Vec<String> {
        seed[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[field].as_str().unwrap().to_owned())
            .collect()
    };
    let seeded = [
        (
            "resident",
            "http://xmlns.com/foaf/0.1/Person",
            names("residents", "display"),
        ),
        (
            "project",
            "http://virtual-assembly.org/ontologies/pair#Project",
            names("projects", "name"),
        ),
        (
            "event",
            "http://virtual-assembly.org/ontologies/pair#Event",
            names("events", "name"),
        ),
        (
            "call",
            "https://w3id.org/kommon/ns#CallForVolunteers",
            seed["orientation"]["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["title"].as_str().unwrap().to_owned())
                .collect(),
        ),
    ];
    for (kind, class, expected) in &seeded {
        assert!(!expected.is_empty(), "no {kind} in seed.json");
        let (page, results) = rt.block_on(async {
            let http = reqwest::Client::new();
            let page = http
                .get(format!("{network}/annuaire?type={kind}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let results: Value = http
                .post(format!("{network}/sparql"))
                .form(&[(
                    "query",
                    format!("SELECT DISTINCT ?v WHERE {{ ?s a <{class}> ; ?p ?v . FILTER(isLiteral(?v)) }}"),
                )])
                .header("accept", "application/sparql-results+json")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (page, results)
        });
        let literals: Vec<&str> = results["results"]["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["v"]["value"].as_str())
            .collect();
        for name in expected {
            let shown = name.replace('&', "&amp;").replace('\'', "&#39;");
            assert!(
                page.contains(&shown) || page.contains(name.as_str()),
                "{kind} « {name} » not in the network's directory"
            );
            assert!(
                literals.contains(&name.as_str()),
                "{kind} « {name} » not in the network's SPARQL endpoint: {literals:?}"
            );
        }
    }
    // The network's home page carries the guided tour, persona by persona.
    let home = text(&format!("{network}/"));
    for persona in [
        "Visite guidée",
        "Zoé, nouvelle venue",
        "Claire, modératrice du 6B",
        "Yanis, bénévole",
        "qui a besoin d&#39;un coup de main",
        "Le webmestre du 6B",
        "Une chercheuse",
    ] {
        assert!(home.contains(persona), "{persona} not in the tour");
    }
    // Orientation: the places' calls, ranked on the network for a carpenter free on Saturday
    // mornings, with the reasons.
    let page = text(&format!(
        "{network}/benevolat?message=travail+du+bois&dispo=sa-matin"
    ));
    let calls = page.split("Appels à bénévoles").nth(1).unwrap_or_default();
    assert!(
        calls.find("Construire les bancs du jardin").is_some()
            && calls.contains("Menuiserie, proche de « travail du bois » demandé"),
        "{calls}"
    );
    let before = std::fs::read(data.join("urls.json")).unwrap();
    drop(demo);
    // A second start reuses the data.
    let demo = start(&data, base, false);
    assert_eq!(std::fs::read(data.join("urls.json")).unwrap(), before);
    let le6b = places["le-6b"].as_str().unwrap();
    assert_eq!(get(&format!("{le6b}/residents"))["totalItems"], 7);
    // The network's index is rebuilt from its store.
    assert_eq!(
        get(&format!("{network}/api/geojson?type=place"))["features"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    drop(demo);
    // --reset starts afresh: new credentials.
    let demo = start(&data, base, true);
    assert_ne!(std::fs::read(data.join("urls.json")).unwrap(), before);
    assert_eq!(get(&format!("{le6b}/residents"))["totalItems"], 7);
    drop(demo);
}
