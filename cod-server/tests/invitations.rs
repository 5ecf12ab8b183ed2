//! A place arrives with its residents list: its admin imports the spreadsheet's CSV export,
//! the good rows become invitations emailed to each person (aiosmtpd), the broken rows are
//! reported by line, and nothing is published until a person names their pod and asks to join
//! from it, which the place then approves at once. Also the command line, and hostile input.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;

/// A French spreadsheet's export: semicolons, Windows-1252, one good row per person, and three
/// broken rows (no name, a bad email, a duplicate).
fn residents_csv() -> Vec<u8> {
    let mut csv = Vec::new();
    csv.extend_from_slice(b"Pr\xe9nom;Nom;Courriel;Discipline;Site web;T\xe9l\xe9phone\r\n");
    csv.extend_from_slice(
        b"Ana;Ferreira;ana@exemple.fr;C\xe9ramique;www.ana-ceramique.example;06\r\n",
    );
    csv.extend_from_slice(b";;sans-nom@exemple.fr;Vid\xe9o;;\r\n");
    csv.extend_from_slice(b"Moussa;Diallo;moussa-at-exemple.fr;Son;;\r\n");
    csv.extend_from_slice(b"Bob;Martin;bob@exemple.fr;Peinture;;\r\n");
    csv.extend_from_slice(b"Ana;Ferreira;ANA@exemple.fr;C\xe9ramique;;\r\n");
    csv
}

async fn upload(http: &reqwest::Client, cookie: &str, page: &str, csv: Vec<u8>) -> (u16, String) {
    let csrf = csrf_of(http, cookie, page).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "fichier",
        reqwest::multipart::Part::bytes(csv)
            .file_name("residents.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let r = http
        .post(page)
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The invitation link written for `email` on the admins' page.
fn link_for(admin_page: &str, name: &str) -> String {
    let row = admin_page
        .split("<tr>")
        .find(|r| r.contains(name))
        .unwrap_or_else(|| panic!("{name} not listed"));
    between(row, "value=\"http", "\"").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_place_invites_its_residents_from_a_spreadsheet_and_publishes_nothing_before_they_accept()
{
    let pods = start_pods(&["mo", "ana", "bob"]);
    let smtp_port = free_port();
    let smtp = start_smtp(smtp_port);
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let mut flags = vec!["--pod-provider", pods.base.as_str()];
    if smtp.is_some() {
        flags.extend(["--smtp-url", smtp_url.as_str()]);
    }
    let cod = start_cod_with(
        &[("le-6b", "Le 6B", &format!("{}/mo", pods.base))],
        &[],
        &flags,
    );
    let place = format!("{}/le-6b", cod.base);
    let page = format!("{place}/invitations");
    let http = browser();
    // Only the place's admins see the page.
    let r = http.get(&page).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = log_in_to(&http, &cod.base, &pods.base, "mo", "/le-6b/invitations").await;
    let (status, text) = upload(&http, &cookie, &page, residents_csv()).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("2 invitations créées"), "{text}");
    for (line, why) in [
        (3, "nom manquant"),
        (4, "courriel invalide « moussa-at-exemple.fr »"),
        (6, "doublon : ANA@exemple.fr est déjà à la ligne 2"),
    ] {
        assert!(
            text.contains(&format!("<tr><td>{line}</td><td>{why}")),
            "line {line} ({why}) not reported: {text}"
        );
    }
    assert!(text.contains("Colonnes non utilisées"));
    assert!(text.contains("Téléphone"));
    let ana_link = format!("http{}", link_for(&text, "Ana Ferreira"));
    let bob_link = format!("http{}", link_for(&text, "Bob Martin"));
    assert!(ana_link.starts_with(&format!("{place}/invitation/")));
    // Each person got their link by email.
    if let Some(smtp) = &smtp {
        let mails = eventually("the invitations by email", || async {
            let out = decoded_mails(&smtp.1.lock().unwrap().clone()).join("\n");
            (out.contains(&ana_link) && out.contains(&bob_link)).then_some(out)
        })
        .await;
        assert!(mails.contains("Le 6B vous invite dans sa"), "{mails}");
        assert!(mails.contains("To: ana@exemple.fr"), "{mails}");
    }
    // Nothing is published: not on the place's page, not in its résidentothèque.
    let public = client()
        .get(&place)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!public.contains("Ana Ferreira") && !public.contains("ana@exemple.fr"));
    let residents: Value = get_as(format!("{place}/residents")).await;
    assert_eq!(residents["totalItems"], 0);
    // Ana opens her link, names her pod, and is told the last step.
    let invitation = page_text(&http, &ana_link, "").await;
    assert!(invitation.contains("Le 6B vous invite"), "{invitation}");
    assert!(invitation.contains("Céramique") && invitation.contains("Rien n'est publié"));
    assert!(invitation.contains(&format!("{}/.account/signup", pods.base)));
    let r = http
        .post(&ana_link)
        .form(&[
            ("action", "accepter"),
            ("webid", "http://127.0.0.1:1/personne"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Nous n'avons pas pu lire le pod")
    );
    let ana = format!("{}/ana", pods.base);
    // Typed with a fragment, as WebIDs often are: the actor's own id is kept.
    let typed = format!("{ana}#me");
    let r = http
        .post(&ana_link)
        .form(&[("action", "accepter"), ("webid", typed.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let invitation = page_text(&http, &ana_link, "").await;
    assert!(invitation.contains("Dernière étape"), "{invitation}");
    let join_page = between(&invitation, "<p><a href=\"", "\"").replace("&amp;", "&");
    assert!(
        join_page.starts_with(&format!("{}/.account/pod?lieu=", pods.base)),
        "{join_page}"
    );
    // The pod's page asks her to log in first, then comes back with the place filled in.
    let r = http.get(&join_page).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let login = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        login.contains("next=%2F.account%2Fpod%3Flieu%3Dhttp"),
        "{login}"
    );
    // Bob's invitation does not let someone else in: he has named no pod, so his Join waits.
    let bob_join = resident_posts(
        &pods,
        "bob",
        serde_json::json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Join", "object": place, "to": [place]}),
    )
    .await;
    // Ana asks to join from her pod: accepted at once.
    resident_posts(
        &pods,
        "ana",
        serde_json::json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Join", "object": place, "to": [place]}),
    )
    .await;
    eventually("Ana in the résidentothèque", || async {
        let page: Value = get_as(format!("{place}/residents?page=true")).await;
        ids(&page).contains(&ana).then_some(())
    })
    .await;
    let moderator = token(&pods, "mo").await;
    let pending = moderator.get(&format!("{place}/pending?page=true")).await;
    assert_eq!(
        ids(&pending),
        [bob_join],
        "Bob's Join waits for the moderators"
    );
    let invitation = page_text(&http, &ana_link, "").await;
    assert!(invitation.contains("Bienvenue"), "{invitation}");
    let admin = page_text(&http, &page, &cookie).await;
    assert!(
        admin.contains(&format!(
            "Acceptée <span class=\"en\" lang=\"en\">(accepted)</span> : <a href=\"{ana}\""
        )),
        "{admin}"
    );
    // Bob then accepts his invitation from the pod his Join came from: that waiting Join is
    // accepted at once, and the decision says it came from an invitation.
    let bob = format!("{}/bob", pods.base);
    let r = http
        .post(&bob_link)
        .form(&[("action", "accepter"), ("webid", bob.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    eventually("Bob in the résidentothèque", || async {
        let page: Value = get_as(format!("{place}/residents?page=true")).await;
        ids(&page).contains(&bob).then_some(())
    })
    .await;
    assert!(ids(&moderator.get(&format!("{place}/pending?page=true")).await).is_empty());
    let decisions = moderator.get(&format!("{place}/decisions?page=true")).await;
    let accept = decisions["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["member"] == bob.as_str())
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .expect("Bob's decision");
    let accept = moderator.get(&accept).await;
    assert!(
        accept["content"]
            .as_str()
            .is_some_and(|c| c.contains("Invitation de Bob Martin (ligne 5")),
        "{accept}"
    );
    // Importing the list again invites nobody twice.
    let (status, text) = upload(&http, &cookie, &page, residents_csv()).await;
    assert_eq!(status, 200);
    assert!(text.contains("0 invitation créée"), "{text}");
    assert!(text.contains("ana@exemple.fr a déjà une invitation de ce lieu"));
    assert!(text.contains("bob@exemple.fr a déjà une invitation de ce lieu"));
    // Chloé declines: her invitation and her details are erased. An admin withdraws Dora's.
    let (status, text) = upload(
        &http,
        &cookie,
        &page,
        "nom,email\nChloé Petit,chloe@exemple.fr\nDora Lima,dora@exemple.fr\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let chloe_link = format!("http{}", link_for(&text, "Chloé Petit"));
    let dora_link = format!("http{}", link_for(&text, "Dora Lima"));
    let r = http
        .post(&chloe_link)
        .form(&[("action", "refuser")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("sont effacées"));
    assert_eq!(http.get(&chloe_link).send().await.unwrap().status(), 404);
    let admin = page_text(&http, &page, &cookie).await;
    assert!(!admin.contains("chloe@exemple.fr"));
    let token = dora_link.rsplit('/').next().unwrap().to_owned();
    let r = post_form(
        &http,
        &cookie,
        &page,
        &page,
        &[("action", "retirer"), ("token", &token)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(http.get(&dora_link).send().await.unwrap().status(), 404);
    // The invitation's pages are never cached nor indexed, and send no referrer.
    let r = http.get(&ana_link).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let text = r.text().await.unwrap();
    assert!(text.contains("noindex") && text.contains("no-referrer"));
    // Hostile input: every refusal says why and keeps nothing.
    let (status, text) = upload(&http, &cookie, &page, b"Nom;Telephone\nX;06\n".to_vec()).await;
    assert_eq!(status, 400);
    assert!(text.contains("aucune colonne « courriel »"), "{text}");
    let (status, text) = upload(&http, &cookie, &page, b"\x00\x01PK\x03\x04".to_vec()).await;
    assert_eq!(status, 400);
    assert!(text.contains("pas un fichier CSV"), "{text}");
    let (status, _) = upload(&http, &cookie, &page, vec![b'a'; 2 * 1024 * 1024]).await;
    assert_eq!(status, 413);
    let (status, text) = upload(&http, &cookie, &page, Vec::new()).await;
    assert_eq!(status, 400, "{text}");
    let r = http
        .post(&page)
        .header("cookie", &cookie)
        .form(&[("csrf", "stale")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    for bad in [
        format!("{place}/invitation/not-a-token"),
        format!("{place}/invitation/{}", "0".repeat(32)),
        format!("{}/nowhere/invitation/{}", cod.base, "0".repeat(32)),
    ] {
        assert_eq!(http.get(&bad).send().await.unwrap().status(), 404, "{bad}");
    }
    let r = http
        .post(&ana_link)
        .form(&[("action", "pirater")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(&ana_link)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = http
        .post(&ana_link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 200 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Ana, accepted, cannot be claimed by another pod.
    let r = http
        .post(&ana_link)
        .form(&[
            ("action", "accepter"),
            ("webid", &format!("{}/bob", pods.base)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // The pages are accessible (axe) and French first.
    axe_pages(&serde_json::json!([
        {"name": "invitations-admin", "url": page, "cookie": cookie},
        {"name": "invitation", "url": ana_link},
    ]));
    // Ana leaves: her invitation is forgotten with her details.
    resident_posts(
        &pods,
        "ana",
        serde_json::json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Leave", "object": place, "to": [place]}),
    )
    .await;
    eventually("Ana's invitation forgotten", || async {
        let admin = page_text(&http, &page, &cookie).await;
        (!admin.contains("ana@exemple.fr")).then_some(())
    })
    .await;
    assert_eq!(http.get(&ana_link).send().await.unwrap().status(), 404);
}

#[test]
fn the_command_line_imports_a_residents_list_and_prints_the_links_to_send() {
    let bin = env!("CARGO_BIN_EXE_cod-server");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let out = Command::new(bin)
        .args(["create-community", "la-main", "--name", "La Main"])
        .args([
            "--admin",
            "http://pods.example/mo",
            "--listen",
            &listen,
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = dir.path().join("liste.csv");
    std::fs::write(&csv, residents_csv()).unwrap();
    let out = Command::new(bin)
        .args([
            "import-residents",
            "--community",
            "la-main",
            "--listen",
            &listen,
            "--data",
        ])
        .arg(&data)
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["invited"].as_array().unwrap().len(), 2);
    let lines: Vec<u64> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 6]);
    assert_eq!(
        report["refused"][2]["en"],
        "duplicate: ANA@exemple.fr is already on line 2"
    );
    let link = report["invited"][0]["link"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("http://localhost:{port}/la-main/invitation/")));
    // A community that does not exist, a file that is not a list: clear errors.
    let out = Command::new(bin)
        .args(["import-residents", "--community", "nulle-part", "--data"])
        .arg(&data)
        .arg(&csv)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no community nulle-part"));
    // The server then shows the invitation.
    let mut child = Command::new(bin)
        .args(["serve", "--dev", "--listen", &listen, "--data"])
        .arg(&data)
        .spawn()
        .unwrap();
    wait_listening(port);
    let status = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { client().get(&link).send().await.unwrap().status() });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
}
