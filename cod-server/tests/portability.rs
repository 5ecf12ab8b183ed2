//! Leaving with one's data: a place's admins download its archive (or `cod-server
//! export-community` writes it); an administrator exports one pod (`pod-server export-pod`) and
//! deletes it (`pod-server delete-pod`), the erasure reaching the place it had joined.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// The files of a tar archive, by path.
fn entries(tar_bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut out = HashMap::new();
    let mut archive = tar::Archive::new(tar_bytes);
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        out.insert(path, bytes);
    }
    out
}

fn json_of(files: &HashMap<String, Vec<u8>>, path: &str) -> Value {
    serde_json::from_slice(files.get(path).unwrap_or_else(|| panic!("no {path}"))).unwrap()
}

/// Stops a server as its service manager would (SIGTERM: it writes everything to disk).
fn stop(p: &mut Proc) {
    Command::new("kill")
        .arg(p.child.id().to_string())
        .status()
        .unwrap();
    p.child.wait().unwrap();
}

fn run(bin: &Path, args: &[&str], data: &Path, listen: &str) -> std::process::Output {
    Command::new(bin)
        .args(args)
        .arg("--data")
        .arg(data)
        .args(["--listen", listen])
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn places_and_pods_leave_with_their_data_and_a_deleted_pod_leaves_its_place() {
    let mut pods = start_pods(&["mo", "ana"]);
    let mut cod = start_cod(&[("le-6b", "Le 6B", &format!("{}/mo", pods.base))]);
    let place = format!("{}/le-6b", cod.base);
    let ana = format!("{}/ana", pods.base);
    let join = resident_posts(
        &pods,
        "ana",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Join", "object": place, "to": [place]}),
    )
    .await;
    let mo = token(&pods, "mo").await;
    eventually("ana's request", || async {
        ids(&mo.get(&format!("{place}/pending?page=true")).await)
            .contains(&join)
            .then_some(())
    })
    .await;
    let r = mo
        .post(
            &format!("{place}/outbox"),
            json!({"type": "Accept", "object": join}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let residents = || async {
        let page: Value = get_as(format!("{place}/residents?page=true")).await;
        ids(&page)
    };
    eventually("ana in the résidentothèque", || async {
        residents().await.contains(&ana).then_some(())
    })
    .await;
    // The place's admins download its archive; nobody else does.
    let http = browser();
    let r = http.get(format!("{place}/export")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = log_in_to(&http, &cod.base, &pods.base, "mo", "/le-6b/export").await;
    let r = http
        .get(format!("{place}/export"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    let files = entries(&r.bytes().await.unwrap());
    assert_eq!(json_of(&files, "community.json")["name"], "Le 6B");
    assert_eq!(json_of(&files, "actor.json")["id"], place);
    let listed = json_of(&files, "collections/residents.json");
    assert_eq!(listed["orderedItems"], json!([ana]));
    let decisions = json_of(&files, "collections/decisions.json");
    assert_eq!(decisions["totalItems"], 1);
    assert_eq!(json_of(&files, "residencies.json")[0]["member"], json!(ana));
    let manifest = json_of(&files, "manifest.json");
    for f in manifest["files"].as_array().unwrap() {
        assert!(
            files.contains_key(f.as_str().unwrap()),
            "{f} in the manifest, not in the archive"
        );
    }
    // The pod-server is stopped; its administrator exports ana's pod, then deletes it.
    stop(&mut pods);
    let pod_bin = pod_server_bin();
    let pod_data = pods._dir.path().join("data");
    let pod_listen = pods.base.replace("http://localhost", "127.0.0.1");
    let out_dir = tempfile::tempdir().unwrap();
    for (flags, doc) in [(&[][..], "pod.trig"), (&["--jsonld"][..], "pod.jsonld")] {
        let file = out_dir.path().join(format!("ana-{doc}.tar"));
        let mut args = vec!["export-pod", "ana", "--out", file.to_str().unwrap()];
        args.extend_from_slice(flags);
        let out = run(&pod_bin, &args, &pod_data, &pod_listen);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let files = entries(&std::fs::read(&file).unwrap());
        assert_eq!(json_of(&files, "manifest.json")["webid"], json!(ana));
        let text = String::from_utf8_lossy(&files[doc]).into_owned();
        assert!(
            text.contains(&format!("{ana}/profile")) || text.contains("vcard"),
            "{doc}"
        );
    }
    let out = run(
        &pod_bin,
        &["export-pod", "nobody", "--out", "/dev/null"],
        &pod_data,
        &pod_listen,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no pod named nobody"));
    let out = run(
        &pod_bin,
        &["delete-pod", "ana", "--dev", "--wait-s", "20"],
        &pod_data,
        &pod_listen,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["deleted"], true);
    assert_eq!(report["hosts_not_reached"], json!([]), "{report}");
    // The place heard it: ana's residency ended.
    eventually("ana gone from the résidentothèque", || async {
        (!residents().await.contains(&ana)).then_some(())
    })
    .await;
    // The pod is gone when the server comes back.
    let mut served = Command::new(&pod_bin)
        .args(["serve", "--dev", "--data"])
        .arg(&pod_data)
        .args(["--listen", &pod_listen])
        .spawn()
        .unwrap();
    wait_listening(pod_listen.rsplit(':').next().unwrap().parse().unwrap());
    let status = client().get(&ana).send().await.unwrap().status().as_u16();
    let _ = served.kill();
    let _ = served.wait();
    assert!(matches!(status, 404 | 410), "{status}");
    // The place's archive, written by the command line while its server is stopped.
    stop(&mut cod);
    let cod_bin = env!("CARGO_BIN_EXE_cod-server");
    let cod_data = cod._dir.path().join("data");
    let cod_listen = cod.base.replace("http://localhost", "127.0.0.1");
    let file = out_dir.path().join("le-6b.tar");
    let out = run(
        Path::new(cod_bin),
        &["export-community", "le-6b", "--out", file.to_str().unwrap()],
        &cod_data,
        &cod_listen,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = entries(&std::fs::read(&file).unwrap());
    assert_eq!(
        json_of(&files, "collections/residents.json")["totalItems"],
        0
    );
    let residency = &json_of(&files, "residencies.json");
    assert!(
        residency
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["member"] != json!(ana)),
        "only current residencies are listed: {residency}"
    );
    let out = run(
        Path::new(cod_bin),
        &["export-community", "nowhere", "--out", "/dev/null"],
        &cod_data,
        &cod_listen,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no community nowhere"));
}
