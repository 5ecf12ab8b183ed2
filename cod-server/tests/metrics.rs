//! `/metrics` on both servers, read by Prometheus' own parser (prometheus_client from PyPI):
//! requests by status class, the inbox and delivery queues, deliveries done, per-host failures.

mod common;

use common::*;
use serde_json::{Value, json};

/// The metric families of a `/metrics` answer, parsed by prometheus_client: name → samples
/// (labels, value).
fn parse(text: &str) -> Option<Value> {
    let script = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.setdefault(s.name, []).append([s.labels, s.value])
print(json.dumps(out))
"#;
    if !python_has("prometheus_client") {
        return None;
    }
    let mut child = std::process::Command::new(python())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused it: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn value(families: &Value, name: &str, label: Option<(&str, &str)>) -> f64 {
    families[name]
        .as_array()
        .unwrap_or_else(|| panic!("no {name} in {families}"))
        .iter()
        .find(|s| label.is_none_or(|(k, v)| s[0][k] == v))
        .and_then(|s| s[1].as_f64())
        .unwrap_or_else(|| panic!("no {name} {label:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn both_servers_expose_prometheus_metrics() {
    let pods = start_pods(&["mo", "ana"]);
    let cod = start_cod(&[("le-6b", "Le 6B", &format!("{}/mo", pods.base))]);
    let place = format!("{}/le-6b", cod.base);
    // Some traffic: a page, a 404, a Join through both inboxes and outboxes.
    assert_eq!(client().get(&place).send().await.unwrap().status(), 200);
    assert_eq!(
        client()
            .get(format!("{}/nowhere", cod.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let mo = token(&pods, "mo").await;
    let join = resident_posts(
        &pods,
        "ana",
        json!({"type": "Join", "object": place, "to": [place]}),
    )
    .await;
    eventually("the Join at the place", || async {
        ids(&mo.get(&format!("{place}/pending?page=true")).await)
            .contains(&join)
            .then_some(())
    })
    .await;
    for (base, server) in [(&cod.base, "cod-server"), (&pods.base, "pod-server")] {
        let r = client()
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = r.text().await.unwrap();
        let Some(f) = parse(&text) else { return };
        assert!(
            value(&f, "kommon_http_requests_total", Some(("code", "2xx"))) >= 1.0,
            "{text}"
        );
        assert!(
            f["kommon_http_requests_total"][0][0]["server"] == server,
            "{text}"
        );
        assert!(value(&f, "kommon_inbox_queue_depth", None) >= 0.0);
        assert!(value(&f, "kommon_delivery_queue_depth", None) >= 0.0);
        assert!(value(&f, "kommon_delivery_dead_letters", None) >= 0.0);
        assert!(
            text.contains("# TYPE kommon_delivery_host_failures gauge"),
            "{text}"
        );
        if server == "cod-server" {
            assert!(
                value(&f, "kommon_http_requests_total", Some(("code", "4xx"))) >= 1.0,
                "{text}"
            );
        } else {
            // The pod delivered ana's Join to the place.
            assert!(value(&f, "kommon_deliveries_total", None) >= 1.0, "{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_given_up_are_counted_listed_and_retried() {
    let pods = start_pods(&["mo", "ana"]);
    let mo = format!("{}/mo", pods.base);
    let pods_host = pods.base.trim_start_matches("http://").to_owned();
    // A retry schedule of microseconds: sixteen failed attempts take a moment, not a week.
    let mut cod = start_cod_with(
        &[("le-6b", "Le 6B", &mo)],
        &[],
        &["--delivery-backoff-unit-us", "1"],
    );
    let place = format!("{}/le-6b", cod.base);
    resident_posts(
        &pods,
        "ana",
        json!({"type": "Follow", "object": place, "to": [place]}),
    )
    .await;
    eventually("ana among the followers", || async {
        let f: Value = get_json(format!("{place}/followers?page=true")).await;
        f.to_string().contains("/ana").then_some(())
    })
    .await;
    // ana's server goes away; the place publishes: its deliveries to her fail, then are given up.
    drop(pods);
    let r = client()
        .post(format!("{place}/outbox"))
        .header(DEV, &mo)
        .header("content-type", "application/activity+json")
        .body(json!({"type": "Note", "content": "Fermeture exceptionnelle samedi."}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    eventually("the delivery given up", || async {
        let text = client()
            .get(format!("{}/metrics", cod.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .any(|l| l.starts_with("kommon_delivery_dead_letters") && !l.ends_with(" 0"))
            .then_some(())
    })
    .await;
    // Stopped, the admin lists what is stuck and puts it back in the queue.
    let _ = cod.child.kill();
    let _ = cod.child.wait();
    let data = cod._dir.path().join("data");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cod-server"))
            .args(args)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listed = run(&["deliveries"]);
    let first: Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(first["host"], pods_host.as_str(), "{listed}");
    assert_eq!(first["attempts"], 16);
    // To the shared inbox of ana's server.
    assert_eq!(
        first["inbox"],
        format!("http://{pods_host}/inbox"),
        "{listed}"
    );
    let none = run(&["retry-deliveries", "--host", "elsewhere.example"]);
    assert_eq!(serde_json::from_str::<Value>(&none).unwrap()["retried"], 0);
    let retried = run(&["retry-deliveries"]);
    assert!(
        serde_json::from_str::<Value>(&retried).unwrap()["retried"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(run(&["deliveries"]).trim(), "");
}
