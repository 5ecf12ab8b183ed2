//! Moderators told by email: a real SMTP server (Python's aiosmtpd) receives the digest of what
//! waits at a place, once per interval, when the place's admins gave addresses.

mod common;

use common::*;
use serde_json::json;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn python() -> String {
    std::env::var("KOMMON_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/venv/bin/python");
        if std::path::Path::new(venv).exists() {
            venv.to_owned()
        } else {
            "python3".to_owned()
        }
    })
}

struct Smtp(std::process::Child, Arc<Mutex<String>>);

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_smtp(port: u16) -> Option<Smtp> {
    let ok = Command::new(python())
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("KOMMON_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "aiosmtpd is not installed (pip install -r tests/requirements.txt)"
        );
        eprintln!("skipped: aiosmtpd is not installed");
        return None;
    }
    // The default handler prints every message it receives on stdout.
    let mut child = Command::new(python())
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = Arc::clone(&out);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    wait_listening(port);
    Some(Smtp(child, out))
}

#[tokio::test(flavor = "multi_thread")]
async fn moderators_get_one_email_per_interval_of_what_waits() {
    let smtp_port = free_port();
    let Some(smtp) = start_smtp(smtp_port) else {
        return;
    };
    let pods = start_pods(&["ana", "bo", "mo"]);
    let webid = |n: &str| format!("{}/{n}", pods.base);
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let cod = start_cod_with(
        &[("le-6b", "Le 6B", &webid("mo"))],
        &[],
        &[
            "--smtp-url",
            &smtp_url,
            "--notify-every-s",
            "3600",
            "--mail-from",
            "Kommon <kommon@localhost>",
        ],
    );
    let place = format!("{}/le-6b", cod.base);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = log_in_to(&http, &cod.base, &pods.base, "mo", "/le-6b/admin").await;
    let save = |emails: &'static str| {
        let http = http.clone();
        let cookie = cookie.clone();
        let url = format!("{place}/admin");
        async move {
            let r = post_form(
                &http,
                &cookie,
                &url,
                &url,
                &[("name", "Le 6B"), ("notify_emails", emails)],
            )
            .await;
            r.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    // A wrong address is refused with a reason; then two good ones are kept.
    let to = save("pas-une-adresse").await;
    assert!(to.contains("erreur="), "{to}");
    let to = save("moderation@le6b.example\nclaire@le6b.example").await;
    assert!(to.contains("fait="), "{to}");
    // ana asks to join: one email to both addresses, with the count and the page.
    resident_posts(
        &pods,
        "ana",
        json!({"type": "Join", "object": place, "to": [place]}),
    )
    .await;
    let mail = eventually("the email", || async {
        let out = smtp.1.lock().unwrap().clone();
        out.contains("Le 6B : 1 demande en attente").then_some(out)
    })
    .await;
    assert!(
        mail.contains("moderation@le6b.example") && mail.contains("claire@le6b.example"),
        "{mail}"
    );
    assert!(mail.contains(&format!("{place}/moderation")), "{mail}");
    assert!(mail.contains("From: Kommon <kommon@localhost>"), "{mail}");
    // bo asks too, within the interval: no second email (a digest, not one per request).
    resident_posts(
        &pods,
        "bo",
        json!({"type": "Join", "object": place, "to": [place]}),
    )
    .await;
    let mo = token(&pods, "mo").await;
    eventually("bo's request pending", || async {
        let p = mo.get(&format!("{place}/pending?page=true")).await;
        (ids(&p).len() == 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = smtp.1.lock().unwrap().clone();
    assert_eq!(out.matches("Subject:").count(), 1, "{out}");
}
