//! The deployment files agree with the binaries: every environment variable `serve --help`
//! names is documented in docs/configuration.md, and the systemd units pass
//! `systemd-analyze verify` (pointed at the built binaries).

use std::path::Path;
use std::process::Command;

fn bin(name: &str) -> std::path::PathBuf {
    // The demonstrator's tests run beside the servers' binaries in the target folder.
    let demo = Path::new(env!("CARGO_BIN_EXE_kommon-demo"));
    let b = demo.with_file_name(name);
    if !b.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", name, "--bin", name])
            .status()
            .expect("cargo builds");
        assert!(status.success());
    }
    b
}

fn variables(help: &str) -> Vec<String> {
    help.split("[env: ")
        .skip(1)
        .filter_map(|s| s.split('=').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_variable_is_documented() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md"),
    )
    .unwrap();
    for server in ["pod-server", "cod-server"] {
        let out = Command::new(bin(server))
            .args(["serve", "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        let vars = variables(&help);
        assert!(vars.len() >= 8, "{server}: {vars:?}");
        for v in vars {
            assert!(
                doc.contains(&format!("`{v}`")),
                "{v} of {server} is not in docs/configuration.md"
            );
        }
    }
}

#[test]
fn the_systemd_units_verify() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no systemd-analyze");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("../systemd");
    let mut paths = Vec::new();
    for (unit, server) in [
        ("kommon-pod-server.service", "pod-server"),
        ("kommon-cod-server.service", "cod-server"),
    ] {
        let text = std::fs::read_to_string(units.join(unit)).unwrap();
        let dir_of_bin = bin(server).parent().unwrap().display().to_string();
        let path = dir.path().join(unit);
        std::fs::write(&path, text.replace("/usr/local/bin", &dir_of_bin)).unwrap();
        paths.push(path);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
