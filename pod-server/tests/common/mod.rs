//! A real pod-server process on a free loopback port, with pods created by its own CLI.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server, killed when dropped.
pub struct Server {
    pub base: String,
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    /// Client credentials made with `create-client` for each pod: (pod, JSON).
    pub credentials: Vec<(String, serde_json::Value)>,
    /// Where the server's log goes when captured.
    pub log: Option<PathBuf>,
    /// Extra environment of the server process (kept for restarts).
    env: Vec<(String, String)>,
}

#[path = "../../../tests/support/ports.rs"]
mod ports;
pub use ports::free_port;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pod-server")
}

impl Server {
    /// Creates the pods (name, password) with `create-pod`, then starts `serve --dev`.
    pub fn start(pods: &[&str]) -> Server {
        Self::start_with(pods, false)
    }

    /// Like [`Server::start`], with the server's log at debug level captured in a file.
    pub fn start_logged(pods: &[&str]) -> Server {
        Self::start_with(pods, true)
    }

    /// Like [`Server::start`], with extra environment variables for the server process (such
    /// as `KOMMON_POD_DELIVERY_UNIT_US`), its log captured.
    pub fn start_env(pods: &[&str], env: &[(&str, &str)]) -> Server {
        Self::start_full(pods, true, env, free_port())
    }

    /// Creates the pods but does not serve yet (a peer that is down): [`Server::restart`]
    /// brings it up on its port.
    pub fn prepare(pods: &[&str], env: &[(&str, &str)]) -> Server {
        let mut s = Self::start_full(pods, true, env, free_port());
        s.kill9();
        s
    }

    fn start_with(pods: &[&str], capture_log: bool) -> Server {
        Self::start_full(pods, capture_log, &[], free_port())
    }

    fn start_full(pods: &[&str], capture_log: bool, env: &[(&str, &str)], port: u16) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let listen = format!("127.0.0.1:{port}");
        for name in pods {
            let out = Command::new(bin())
                .args(["create-pod", name, "--data"])
                .arg(&data)
                .args(["--listen", &listen, "--password", "correct horse battery"])
                .output()
                .expect("create-pod runs");
            assert!(
                out.status.success(),
                "create-pod {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut credentials = Vec::new();
        for name in pods {
            let out = Command::new(bin())
                .args(["create-client", name, "--label", "tests", "--data"])
                .arg(&data)
                .args(["--listen", &listen])
                .output()
                .expect("create-client runs");
            assert!(
                out.status.success(),
                "create-client {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let json: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("create-client prints JSON");
            credentials.push((name.to_string(), json));
        }
        let log = capture_log.then(|| dir.path().join("server.log"));
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let child = spawn_serve(&data, port, log.as_deref(), &env);
        Server {
            base: format!("http://localhost:{port}"),
            port,
            child,
            _dir: dir,
            data,
            credentials,
            log,
            env,
        }
    }

    /// Kills the server with SIGKILL (no clean shutdown) and waits for it to be gone.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same data and port (after [`Server::kill9`]).
    pub fn restart(&mut self) {
        self.child = spawn_serve(&self.data, self.port, self.log.as_deref(), &self.env);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn webid(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// The client credentials of a pod: `{client_id, client_secret, webid, issuer}`.
    pub fn credentials(&self, name: &str) -> &serde_json::Value {
        &self
            .credentials
            .iter()
            .find(|(n, _)| n == name)
            .expect("credentials were made for this pod")
            .1
    }

    /// The captured log (servers started with [`Server::start_logged`]).
    pub fn log_text(&self) -> String {
        self.log
            .as_ref()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default()
    }
}

/// Starts `serve --dev` on `data` and waits until it listens; its log (appended) in `log`.
fn spawn_serve(data: &Path, port: u16, log: Option<&Path>, env: &[(String, String)]) -> Child {
    let listen = format!("127.0.0.1:{port}");
    let stderr = match log {
        Some(path) => Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("log file"),
        ),
        None => Stdio::inherit(),
    };
    let mut command = Command::new(bin());
    command
        .args(["serve", "--dev", "--data"])
        .arg(data)
        .args(["--listen", &listen])
        .env("KOMMON_LOG", if log.is_some() { "debug" } else { "warn" })
        .stdout(Stdio::null())
        .stderr(stderr);
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().expect("serve starts");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The folder of the interop harness (`tests/interop`).
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Whether a tool is there; when it is not, the test is skipped, or fails if interop is required.
pub fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    if std::env::var("KOMMON_REQUIRE_INTEROP").is_ok_and(|v| v == "1") {
        panic!(
            "{what} is not installed; run tests/interop/install.sh and pip install -r tests/requirements.txt"
        );
    }
    eprintln!("skipped: {what} is not installed (tests/interop/install.sh)");
    false
}

/// The Python with the test requirements.
pub fn python() -> String {
    std::env::var("KOMMON_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub const DEV: &str = "x-kommon-dev-agent";

/// GETs `url` as JSON, as `agent` (development header) when given.
pub async fn get_json(url: &str, agent: Option<&str>) -> serde_json::Value {
    let mut req = client()
        .get(url)
        .header("accept", "application/activity+json, application/ld+json");
    if let Some(a) = agent {
        req = req.header(DEV, a);
    }
    req.send()
        .await
        .expect("the server answers")
        .json()
        .await
        .unwrap_or(serde_json::Value::Null)
}

/// Posts an activity (or a bare object) to a pod's outbox as its owner; the new activity's id.
pub async fn post_outbox(s: &Server, name: &str, activity: serde_json::Value) -> String {
    let r = client()
        .post(s.url(&format!("/{name}/outbox")))
        .header(DEV, s.webid(name))
        .header("content-type", "application/activity+json")
        .body(activity.to_string())
        .send()
        .await
        .expect("the server answers");
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(status, 201, "{}", r.text().await.unwrap_or_default());
    location.expect("Location")
}
