//! Real third-party Solid clients against a running pod-server: solid-crud-tests (npm), rdflib
//! (PyPI) and Comunica (npm). They are installed by `tests/interop/install.sh` and
//! `pip install -r tests/requirements.txt` (`.ci/run` does both and sets
//! `KOMMON_REQUIRE_INTEROP=1`, so a missing tool fails the run there instead of skipping).

mod common;

use common::{DEV, Server, available, client, interop_dir, python};
use std::path::Path;
use std::process::Command;

/// Whether chromium and playwright-core are there (skipped or failed as `available` says).
fn browser_available() -> bool {
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    available(
        "playwright-core and chromium",
        interop_dir().join("node_modules/playwright-core").exists()
            && Path::new(&chromium).exists(),
    )
}

/// Runs one of `tests/interop`'s Node scripts; its JSON report on success, a panic with its
/// output otherwise.
fn run_script(script: &str, args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = Command::new("node")
        .arg(interop_dir().join(script))
        .args(args)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Makes the storage root of `pod` public (read, write) so anonymous clients can use it.
async fn open_storage(s: &Server, pod: &str) {
    let owner = s.webid(pod);
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.
         <#owner> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
         <#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write."
    );
    let r = client()
        .put(s.url(&format!("/{pod}/data/.acl")))
        .header(DEV, &owner)
        .header("content-type", "text/turtle")
        .body(acl)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

#[tokio::test]
async fn solid_crud_tests_pass_what_the_community_solid_server_passes() {
    let dir = interop_dir();
    if !available(
        "solid-crud-tests",
        dir.join("crud/node_modules/.bin/jest").exists()
            && dir.join("crud/suite/test/surface").exists(),
    ) {
        return;
    }
    let s = Server::start(&["crud"]);
    open_storage(&s, "crud").await;
    let out = tempfile::tempdir().unwrap();
    let result = out.path().join("crud.json");
    let status = Command::new(dir.join("run-crud.sh"))
        .arg(&result)
        .env("SERVER_ROOT", &s.base)
        .env("ALICE_WEBID", s.webid("crud"))
        .env("STORAGE_ROOT", s.url("/crud/data/crud"))
        .status()
        .expect("run-crud.sh runs");
    assert!(status.success(), "the suite did not run");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&result).unwrap()).unwrap();
    let passed: Vec<&str> = report["passed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let css = std::fs::read_to_string(dir.join("css-7.2-passing.txt")).unwrap();
    let missing: Vec<&str> = css
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !passed.contains(l))
        .collect();
    assert!(
        missing.is_empty(),
        "tests the Community Solid Server passes and pod-server fails: {missing:#?}\nfailures: {:#}",
        report["failed"]
    );
    eprintln!(
        "solid-crud-tests: {} passed, {} failed, {} skipped",
        report["passed_count"], report["failed_count"], report["skipped_count"]
    );
}

#[tokio::test]
async fn rdflib_reads_and_writes_turtle() {
    let have_rdflib = Command::new(python())
        .args(["-c", "import rdflib, requests"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available("Python rdflib", have_rdflib) {
        return;
    }
    let s = Server::start(&["alice"]);
    let out = Command::new(python())
        .arg(interop_dir().join("rdflib_pod.py"))
        .arg(s.url("/alice/data/py/"))
        .env(
            "KOMMON_AUTH_HEADER",
            format!("X-Kommon-Dev-Agent: {}", s.webid("alice")),
        )
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "rdflib_pod.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn comunica_queries_a_pod_container() {
    let dir = interop_dir();
    if !available(
        "Comunica",
        dir.join("node_modules/@comunica/query-sparql").exists(),
    ) {
        return;
    }
    let s = Server::start(&["alice"]);
    let alice = s.webid("alice");
    for (slug, name) in [("jardin", "Jardin partagé"), ("atelier", "Atelier vélo")] {
        let r = client()
            .post(s.url("/alice/data/pair/project/"))
            .header(DEV, &alice)
            .header("content-type", "text/turtle")
            .header("slug", slug)
            .body(format!(
                "<> a <http://virtual-assembly.org/ontologies/pair#Project>; <http://virtual-assembly.org/ontologies/pair#label> \"{name}\" ."
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let query = |source: String, q: &str| {
        let out = Command::new("node")
            .arg(dir.join("comunica-query.mjs"))
            .arg(source)
            .arg(q)
            .env("KOMMON_AUTH_HEADER", format!("X-Kommon-Dev-Agent: {alice}"))
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listing = query(
        s.url("/alice/data/pair/project/"),
        "SELECT ?r WHERE { ?c <http://www.w3.org/ns/ldp#contains> ?r }",
    );
    assert!(listing.contains(&s.url("/alice/data/jardin")), "{listing}");
    assert!(listing.contains(&s.url("/alice/data/atelier")), "{listing}");
    let labels = query(
        s.url("/alice/data/jardin"),
        "SELECT ?l WHERE { ?p <http://virtual-assembly.org/ontologies/pair#label> ?l }",
    );
    assert!(labels.contains("Jardin partagé"), "{labels}");
}

#[tokio::test]
async fn pages_in_a_real_browser_are_french_accessible_and_work() {
    if !browser_available() {
        return;
    }
    let s = Server::start(&["alice"]);
    let shots = tempfile::tempdir().unwrap();
    run_script(
        "browser-pages.mjs",
        &[s.base.as_ref(), shots.path().as_os_str()],
    );
}

/// `@inrupt/solid-client` with `@inrupt/solid-client-authn-node`: client credentials made by
/// `pod-server create-client`, DPoP-bound tokens, then create, read, patch, delete.
#[tokio::test]
async fn inrupt_solid_client_logs_in_with_client_credentials_and_edits_the_pod() {
    let dir = interop_dir();
    if !available(
        "@inrupt/solid-client-authn-node",
        dir.join("node_modules/@inrupt/solid-client-authn-node")
            .exists(),
    ) {
        return;
    }
    let s = Server::start(&["alice"]);
    let creds = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(creds.path(), s.credentials("alice").to_string()).unwrap();
    let container = s.url("/alice/data/");
    let report = run_script(
        "inrupt-crud.mjs",
        &[
            format!("{}/", s.base).as_ref(),
            creds.path().as_os_str(),
            container.as_ref(),
        ],
    );
    assert_eq!(report["webId"], s.webid("alice"));
}

/// A test app page in chromium walks the authorization-code flow (PKCE, DPoP, a Client ID
/// Document) through the French login and consent pages and reads the private profile; a
/// refusal comes back as access_denied; an unregistered redirect URI gets an error page.
#[tokio::test]
async fn a_browser_app_logs_in_with_the_authorization_code_flow() {
    if !browser_available() {
        return;
    }
    let s = Server::start(&["alice"]);
    let shots = tempfile::tempdir().unwrap();
    run_script(
        "oidc-browser-flow.mjs",
        &[
            s.base.as_ref(),
            "alice".as_ref(),
            "correct horse battery".as_ref(),
            shots.path().as_os_str(),
        ],
    );
}

/// The pod page in chromium: log in, fill the profile with a photo, skills and a commune, make
/// client credentials and use them, download the export, refuse a deletion with a wrong
/// password, log out; axe-core finds no serious or critical violation on any of its pages.
#[tokio::test]
async fn the_pod_page_works_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let s = Server::start(&["alice"]);
    let shots = tempfile::tempdir().unwrap();
    run_script(
        "pod-page.mjs",
        &[
            s.base.as_ref(),
            "alice".as_ref(),
            "correct horse battery".as_ref(),
            shots.path().as_os_str(),
        ],
    );
}
