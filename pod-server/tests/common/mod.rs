//! A real pod-server process on a free loopback port, with pods created by its own CLI.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
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
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

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

    fn start_with(pods: &[&str], capture_log: bool) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let port = free_port();
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
        let stderr = match &log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
            None => Stdio::inherit(),
        };
        let child = Command::new(bin())
            .args(["serve", "--dev", "--data"])
            .arg(&data)
            .args(["--listen", &listen])
            .env("KOMMON_LOG", if capture_log { "debug" } else { "warn" })
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("serve starts");
        let base = format!("http://localhost:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            base,
            port,
            child,
            _dir: dir,
            data,
            credentials,
            log,
        }
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
