//! Moderators told by email: a real SMTP server (Python's aiosmtpd) receives the digest of what
//! waits at a place, once per interval, when the place's admins gave addresses.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

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
    let http = browser();
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
