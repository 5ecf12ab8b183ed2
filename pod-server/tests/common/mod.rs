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
        let child = Command::new(bin())
            .args(["serve", "--dev", "--data"])
            .arg(&data)
            .args(["--listen", &listen])
            .env("KOMMON_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
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
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn webid(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
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
