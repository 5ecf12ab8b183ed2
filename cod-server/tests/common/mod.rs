//! Helpers of the cod-server scenarios: real pod-servers and cod-servers on loopback, tokens
//! from the pods' provider, logins through the real forms.

#![allow(dead_code)]

use kommon_solid::oidc::jose::SigningKey;
use kommon_solid::oidc::verifier::now_secs;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const DEV: &str = "x-kommon-dev-agent";

#[path = "../../../tests/support/ports.rs"]
mod ports;
pub use ports::free_port;

/// pod-server's binary, beside ours in the target folder (built if this run did not).
pub fn pod_server_bin() -> PathBuf {
    let ours = Path::new(env!("CARGO_BIN_EXE_cod-server"));
    let bin = ours.with_file_name("pod-server");
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "pod-server", "--bin", "pod-server"])
            .status()
            .expect("cargo builds pod-server");
        assert!(status.success(), "building pod-server failed");
    }
    bin
}

pub fn wait_listening(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct Proc {
    pub child: Child,
    pub base: String,
    pub _dir: tempfile::TempDir,
    pub credentials: Vec<(String, Value)>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_pods(names: &[&str]) -> Proc {
    let bin = pod_server_bin();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut credentials = Vec::new();
    for name in names {
        let out = Command::new(&bin)
            .args(["create-pod", name, "--data"])
            .arg(&data)
            .args(["--listen", &listen, "--password", "correct horse battery"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(&bin)
            .args(["create-client", name, "--data"])
            .arg(&data)
            .args(["--listen", &listen])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        credentials.push((
            name.to_string(),
            serde_json::from_slice(&out.stdout).unwrap(),
        ));
    }
    let child = Command::new(&bin)
        .args(["serve", "--dev", "--data"])
        .arg(&data)
        .args(["--listen", &listen])
        .env(
            "KOMMON_LOG",
            std::env::var("KOMMON_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port);
    Proc {
        child,
        base: format!("http://localhost:{port}"),
        _dir: dir,
        credentials,
    }
}

/// A cod-server with these communities: (slug, name, admin WebID).
pub fn start_cod(communities: &[(&str, &str, &str)]) -> Proc {
    start_cod_with(communities, &[], &[])
}

/// A cod-server with these communities and these networks (created with `--network`),
/// served with extra `serve` flags.
pub fn start_cod_with(
    communities: &[(&str, &str, &str)],
    networks: &[(&str, &str, &str)],
    serve_flags: &[&str],
) -> Proc {
    let bin = env!("CARGO_BIN_EXE_cod-server");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let all = communities
        .iter()
        .map(|c| (c, false))
        .chain(networks.iter().map(|c| (c, true)));
    for ((slug, name, admin), network) in all {
        let out = Command::new(bin)
            .args([
                "create-community",
                slug,
                "--name",
                name,
                "--admin",
                admin,
                "--data",
            ])
            .arg(&data)
            .args(if network { &["--network"][..] } else { &[][..] })
            .args(["--listen", &listen])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let child = Command::new(bin)
        .args(["serve", "--dev", "--data"])
        .arg(&data)
        .args(["--listen", &listen])
        .args(serve_flags)
        .env(
            "KOMMON_LOG",
            std::env::var("KOMMON_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port);
    Proc {
        child,
        base: format!("http://localhost:{port}"),
        _dir: dir,
        credentials: Vec::new(),
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// A JSON answer, asked for without an `Accept` header.
pub async fn get_json(url: impl reqwest::IntoUrl) -> Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Whether the test tools' Python has `module`; when it has not, the test says it is skipped,
/// unless interop is required (`KOMMON_REQUIRE_INTEROP=1`), which fails it.
pub fn python_has(module: &str) -> bool {
    let ok = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("KOMMON_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "{module} is not installed (pip install -r tests/requirements.txt)"
        );
        eprintln!("skipped: {module} is not installed");
    }
    ok
}

/// A document as ActivityPub clients ask for it (`application/activity+json`), anonymously.
pub async fn get_as(url: impl reqwest::IntoUrl) -> Value {
    client()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A moderator's DPoP-bound access token from their own pod's provider.
pub struct Token {
    pub access: String,
    pub key: SigningKey,
}

pub async fn token(pods: &Proc, name: &str) -> Token {
    let cc = &pods.credentials.iter().find(|(n, _)| n == name).unwrap().1;
    let key = SigningKey::generate().unwrap();
    let url = format!("{}/.oidc/token", pods.base);
    let proof = key.dpop_proof("POST", &url, None, now_secs()).unwrap();
    let r = client()
        .post(&url)
        .basic_auth(
            cc["client_id"].as_str().unwrap(),
            cc["client_secret"].as_str(),
        )
        .header("dpop", proof)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "openid webid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    Token {
        access: body["access_token"].as_str().unwrap().to_owned(),
        key,
    }
}

impl Token {
    pub fn sign(
        &self,
        req: reqwest::RequestBuilder,
        method: &str,
        url: &str,
    ) -> reqwest::RequestBuilder {
        let proof = self
            .key
            .dpop_proof(method, url, Some(&self.access), now_secs())
            .unwrap();
        req.header("authorization", format!("DPoP {}", self.access))
            .header("dpop", proof)
    }
    pub async fn get(&self, url: &str) -> Value {
        self.sign(client().get(url), "GET", url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    pub async fn post(&self, url: &str, body: Value) -> reqwest::Response {
        self.sign(client().post(url), "POST", url)
            .header("content-type", "application/activity+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }
}

/// Posts to a resident's outbox (development header of the pod-server); the activity's id.
pub async fn resident_posts(pods: &Proc, name: &str, activity: Value) -> String {
    let r = client()
        .post(format!("{}/{name}/outbox", pods.base))
        .header(DEV, format!("{}/{name}", pods.base))
        .header("content-type", "application/activity+json")
        .body(activity.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn inbox(pods: &Proc, name: &str) -> Vec<Value> {
    let v: Value = client()
        .get(format!("{}/{name}/inbox?page=true", pods.base))
        .header(DEV, format!("{}/{name}", pods.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["orderedItems"].as_array().cloned().unwrap_or_default()
}

pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn ids(page: &Value) -> Vec<String> {
    page["orderedItems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(json_id)
        .collect()
}

pub fn json_id(v: &Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .or_else(|| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn cookies_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let i = text
        .find(start)
        .map(|i| i + start.len())
        .unwrap_or_else(|| panic!("{start} not in {text}"));
    let j = text[i..].find(end).map(|j| i + j).unwrap_or(text.len());
    &text[i..j]
}

/// Logs into the cod-server with a pod (through the pod-server's real login and consent
/// forms); the session cookie.
pub async fn log_in(http: &reqwest::Client, cod: &str, pods: &str, who: &str) -> String {
    log_in_to(http, cod, pods, who, "/le-6b/moderation").await
}

/// Logs in, landing on `next`; the session cookie.
pub async fn log_in_to(
    http: &reqwest::Client,
    cod: &str,
    pods: &str,
    who: &str,
    next: &str,
) -> String {
    let r = http
        .post(format!("{cod}/.login"))
        .form(&[
            ("webid", format!("{pods}/{who}")),
            ("next", next.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let authorize = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        authorize.starts_with(&format!("{pods}/.oidc/auth?")),
        "{authorize}"
    );
    let page = http
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = format!(
        "{pods}{}",
        between(&page, "<form method=\"post\" action=\"", "\"")
    );
    let r = http
        .post(&action)
        .form(&[
            ("username", who),
            ("password", "correct horse battery"),
            ("action", "login"),
        ])
        .send()
        .await
        .unwrap();
    let pod_cookie = cookies_of(&r);
    let consent = r.text().await.unwrap();
    assert!(
        consent.contains("Kommon — modération des lieux"),
        "the consent page names the app: {consent}"
    );
    let r = http
        .post(&action)
        .header("cookie", pod_cookie)
        .form(&[("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let callback = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&format!("{cod}/.login/callback?")),
        "{callback}"
    );
    let r = http.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    assert_eq!(r.headers()["location"], next);
    cookies_of(&r)
}

/// The scripted Fedify peer (tests/interop/fedify-peer.mjs) and its control API; `None` when
/// Fedify is not installed (and `KOMMON_REQUIRE_INTEROP` is not set).
pub struct Fedify(pub Child, pub u16);

impl Fedify {
    pub fn start() -> Option<Self> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop");
        if !dir.join("fediverse/node_modules/@fedify/fedify").exists() {
            assert!(
                std::env::var("KOMMON_REQUIRE_INTEROP").as_deref() != Ok("1"),
                "@fedify/fedify is not installed (tests/interop/install.sh)"
            );
            eprintln!("skipped: @fedify/fedify is not installed");
            return None;
        }
        let port = free_port();
        let mut child = Command::new("node")
            .arg(dir.join("fedify-peer.mjs"))
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        while !matches!(lines.next(), Some(Ok(l)) if l.starts_with("READY")) {}
        Some(Self(child, port))
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        client()
            .post(format!("http://localhost:{}/control/{path}", self.1))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn received(&self) -> Vec<Value> {
        let v: Value = client()
            .get(format!("http://localhost:{}/control/received", self.1))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Fedify {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A client that behaves like a browser posting forms: redirects are answers to look at.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The text of a page, with a session cookie (empty for none).
pub async fn page_text(http: &reqwest::Client, url: &str, cookie: &str) -> String {
    let mut r = http.get(url);
    if !cookie.is_empty() {
        r = r.header("cookie", cookie);
    }
    r.send().await.unwrap().text().await.unwrap()
}

/// The form token of a logged-in page.
pub async fn csrf_of(http: &reqwest::Client, cookie: &str, page: &str) -> String {
    let text = page_text(http, page, cookie).await;
    between(&text, "name=\"csrf\" value=\"", "\"").to_owned()
}

/// Posts a form of `page` (its token added) to `action`, as a logged-in browser does.
pub async fn post_form(
    http: &reqwest::Client,
    cookie: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, String)> = vec![("csrf", csrf_of(http, cookie, page).await)];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    http.post(action)
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The Python of the test tools (`.ci/venv` when present).
pub fn python() -> String {
    std::env::var("KOMMON_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/venv/bin/python");
        if std::path::Path::new(venv).exists() {
            venv.to_owned()
        } else {
            "python3".to_owned()
        }
    })
}

/// A real SMTP server (Python's aiosmtpd) printing what it receives; `.1` holds it.
pub struct Smtp(
    pub std::process::Child,
    pub std::sync::Arc<std::sync::Mutex<String>>,
);

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts aiosmtpd on `port`; `None` when it is not installed (and interop is not required).
pub fn start_smtp(port: u16) -> Option<Smtp> {
    if !python_has("aiosmtpd") {
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
    let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = std::sync::Arc::clone(&out);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
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

/// The messages aiosmtpd printed, decoded (headers and bodies in plain UTF-8) by Python's
/// email parser.
pub fn decoded_mails(raw: &str) -> Vec<String> {
    let script = r#"
import sys, email, email.header, email.policy
raw = sys.stdin.read()
for chunk in raw.split("---------- MESSAGE FOLLOWS ----------")[1:]:
    body = chunk.split("------------ END MESSAGE ------------")[0].lstrip("\n")
    m = email.message_from_string(body, policy=email.policy.default)
    print("To:", m["To"])
    print("Subject:", m["Subject"])
    print(m.get_content())
    print("\x1e")
"#;
    let mut child = std::process::Command::new(python())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(raw.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split('\u{1e}')
        .map(str::to_owned)
        .collect()
}

/// Saves a place's admin form with these fields; the save must succeed.
pub async fn save_profile(
    http: &reqwest::Client,
    cookie: &str,
    cod: &str,
    slug: &str,
    fields: &[(&str, &str)],
) {
    let admin = format!("{cod}/{slug}/admin");
    let r = post_form(http, cookie, &admin, &admin, fields).await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains("fait="), "{to}");
}

/// A place asks to join a network from its pages (its admin logged in with `cookie`), and the
/// network's moderator accepts; returns once the place knows it is a member.
pub async fn join_network(
    http: &reqwest::Client,
    cookie: &str,
    place_page: &str,
    net_actor: &str,
    netmod: &Token,
) {
    let csrf = csrf_of(http, cookie, &format!("{place_page}/reseaux")).await;
    let r = http
        .post(format!("{place_page}/reseaux"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("network", net_actor),
            ("message", "Nous souhaitons rejoindre le réseau"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let pending_url = format!("{net_actor}/pending?page=true");
    let join = eventually("the place's request at the network", || async {
        let p = netmod.get(&pending_url).await;
        ids(&p).first().cloned()
    })
    .await;
    let r = netmod
        .post(
            &format!("{net_actor}/outbox"),
            serde_json::json!({"type": "Accept", "object": join}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    eventually("the place knows it is a member", || async {
        let t = http
            .get(format!("{place_page}/reseaux"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        t.contains("membre / member").then_some(())
    })
    .await;
}

/// Runs `tests/interop/axe-pages.mjs` on `pages` (`[{name, url, cookie?}]`) in Debian's
/// chromium: every page must answer 200 in French, log no console error and have no serious
/// or critical axe violation. Skipped (unless interop is required) without a browser.
pub fn axe_pages(pages: &Value) {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop");
    let browser = interop.join("node_modules/playwright-core").exists()
        && Path::new("/usr/bin/chromium").exists();
    if !browser {
        assert!(
            std::env::var("KOMMON_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "playwright-core or chromium missing"
        );
        eprintln!("skipped: no browser");
        return;
    }
    let shots = tempfile::tempdir().unwrap();
    let out = Command::new("node")
        .arg(interop.join("axe-pages.mjs"))
        .arg(shots.path())
        .arg(pages.to_string())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "axe-pages: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
