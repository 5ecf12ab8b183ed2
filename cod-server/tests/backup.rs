//! Backup and restore: a network with a member place and a resident is backed up, restored
//! into an empty folder and served again; the same SPARQL queries give the same answers. A
//! truncated backup, or a folder that is not empty, is refused and nothing is written.

mod common;

use common::*;
use serde_json::{Value, json};
use std::process::Command;

async fn answers(net: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for q in [
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT ?s ?label WHERE { ?s <http://virtual-assembly.org/ontologies/pair#label> ?label } ORDER BY ?s ?label",
        "SELECT ?place ?who WHERE { ?place <https://w3id.org/kommon/ns#hosts> ?who } ORDER BY ?place ?who",
    ] {
        let r = client()
            .get(format!(
                "{net}/sparql?query={}",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ))
            .header("accept", "application/sparql-results+json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        out.push(v["results"]["bindings"].clone());
    }
    out
}

fn cod(args: &[&str], data: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cod-server"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_restored_into_an_empty_folder_answers_the_same() {
    let pods = start_pods(&["mo", "net", "ana"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let places = start_cod(&[("le-6b", "Le 6B", &webid("mo"))]);
    let mut network = start_cod_with(
        &[],
        &[("pot-kommon", "POT KOMMON", &webid("net"))],
        &["--map-tiles", ""],
    );
    let net = network.base.clone();
    let place = format!("{}/le-6b", places.base);
    let http = browser();
    let cookie = log_in_to(&http, &places.base, &pods.base, "mo", "/le-6b/admin").await;
    save_profile(
        &http,
        &cookie,
        &places.base,
        "le-6b",
        &[
            ("name", "Le 6B"),
            ("latitude", "48.92"),
            ("longitude", "2.35"),
        ],
    )
    .await;
    join_network(
        &http,
        &cookie,
        &place,
        &format!("{net}/pot-kommon"),
        &token(&pods, "net").await,
    )
    .await;
    let mo = token(&pods, "mo").await;
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
        mo.post(
            &format!("{place}/outbox"),
            json!({"type": "Accept", "object": join})
        )
        .await
        .status(),
        201
    );
    // Once the network has taken everything in (ana's residency and her own card), and holds
    // still.
    let before = eventually("ana on the network, settled", || async {
        let a = answers(&net).await;
        let settled =
            a[2].to_string().contains(&webid("ana")) && a[1].to_string().contains(&webid("ana"));
        if !settled {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let again = answers(&net).await;
        (again == a).then_some(a)
    })
    .await;

    // Stopped, backed up, restored into an empty folder, served again on the same address.
    let _ = network.child.kill();
    let _ = network.child.wait();
    let data = network._dir.path().join("data");
    let backup_dir = tempfile::tempdir().unwrap();
    let file = backup_dir.path().join("reseau.backup");
    let (ok, out) = cod(&["backup", file.to_str().unwrap()], &data);
    assert!(ok, "{out}");
    assert!(file.exists() && backup_dir.path().join("reseau.backup.network").exists());
    let fresh = tempfile::tempdir().unwrap();
    let restored = fresh.path().join("data");
    // A truncated backup is refused, and nothing is written.
    let bytes = std::fs::read(&file).unwrap();
    let cut = backup_dir.path().join("cut.backup");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, out) = cod(&["restore", cut.to_str().unwrap()], &restored);
    assert!(!ok && out.contains("not a complete Kommon backup"), "{out}");
    let (ok, out) = cod(&["restore", file.to_str().unwrap()], &restored);
    assert!(ok, "{out}");
    // Restoring again over it is refused: the folder is not empty.
    let (ok, out) = cod(&["restore", file.to_str().unwrap()], &restored);
    assert!(!ok && out.contains("restore into an empty folder"), "{out}");
    let port = net.rsplit(':').next().unwrap().to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cod-server"))
        .args(["serve", "--dev", "--map-tiles", "", "--data"])
        .arg(&restored)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port.parse().unwrap());
    let after = answers(&net).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(before, after);
    assert!(
        before[0][0]["n"]["value"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 100
    );
}
