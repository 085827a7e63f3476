//! The binary: `sfstub certs export`, `sfstub certs show`, `sfstub serve --tls` and its flag
//! checks, through `CARGO_BIN_EXE_sfstub` with a temporary state directory.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;

use crate::helpers::{CLOCK, IO_TIMEOUT, TempDir, client, get, send};

/// `sfstub args...` with none of the caller's `SFSTUB_*` variables.
fn sfstub(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sfstub"));
    cmd.args(args).stdin(Stdio::null());
    for (var, _) in std::env::vars() {
        if var.starts_with("SFSTUB_") {
            cmd.env_remove(var);
        }
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the sfstub binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn certs_export_creates_the_keys_and_writes_only_the_client_key() {
    let state = TempDir::new("bin-state");
    let out = TempDir::new("bin-export");
    let state_dir = state.path().to_str().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let first = run(&mut sfstub(&["certs", "export", out_dir, "--state-dir", state_dir]));
    assert!(first.status.success(), "{}", text(&first.stderr));
    let printed: Vec<String> = text(&first.stdout).lines().map(str::to_owned).collect();
    let expected: Vec<String> = [
        "ca.pem",
        "sts.pem",
        "service.pem",
        "client.pem",
        "client-key.pem",
        "README.txt",
    ]
    .iter()
    .map(|f| out.join(f).display().to_string())
    .collect();
    assert_eq!(printed, expected, "each file written is printed");
    assert!(text(&first.stderr).contains("created"), "{}", text(&first.stderr));
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        let content = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("client-key.pem") {
            assert!(content.contains("-----BEGIN PRIVATE KEY-----"));
        } else {
            assert!(
                !content.contains("PRIVATE KEY-----"),
                "{} holds a private key",
                path.display()
            );
        }
    }
    assert!(
        state.join("ca-key.pem").is_file(),
        "the state directory holds the CA key"
    );

    // Exported again from the same state: the same CA.
    let ca = std::fs::read(out.join("ca.pem")).unwrap();
    let again = run(sfstub(&["certs", "export", out_dir]).env("SFSTUB_STATE_DIR", state_dir));
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(!text(&again.stderr).contains("created"));
    assert_eq!(std::fs::read(out.join("ca.pem")).unwrap(), ca);
}

#[test]
fn certs_show_prints_subjects_thumbprints_and_validity() {
    let state = TempDir::new("bin-show");
    let state_dir = state.path().to_str().unwrap();
    let none = run(&mut sfstub(&["certs", "show", "--state-dir", state_dir]));
    assert!(!none.status.success());
    assert!(text(&none.stderr).contains("no certificates"), "{}", text(&none.stderr));

    let (keys, _) = sfstub::security::keys::KeyMaterial::load_or_create(state.path()).unwrap();
    let shown = run(&mut sfstub(&["certs", "show", "--state-dir", state_dir]));
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    for (_, id) in keys.identities() {
        assert!(shown.contains(&id.subject()), "{shown}");
        assert!(
            shown.contains(&sfstub::security::keys::thumbprint(&id.cert_der)),
            "{shown}"
        );
    }
    assert!(shown.contains("valid"), "{shown}");
}

/// `sfstub serve` with `args`, killed on drop; `banner` is stdout up to the banner's hint.
struct Served {
    child: Child,
    banner: String,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let mut child = sfstub(&["serve", "--listen", "127.0.0.1:0", "--clock", CLOCK])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sfstub serve starts");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (err_tx, err_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(&mut stderr);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let _ = err_tx.send(std::mem::take(&mut line));
        }
        let mut rest = Vec::new();
        let _ = stderr.read_to_end(&mut rest);
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let done = line.contains("sfstub generate --with-cases");
            if tx.send(line).is_err() || done {
                break;
            }
        }
    });
    let mut banner = String::new();
    loop {
        match rx.recv_timeout(IO_TIMEOUT) {
            Ok(line) => {
                let done = line.contains("sfstub generate --with-cases");
                banner.push_str(&line);
                banner.push('\n');
                if done {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("no banner within {IO_TIMEOUT:?}; stdout so far: {banner}");
            }
        }
    }
    Served {
        child,
        banner,
        stderr: err_rx,
    }
}

fn banner_addr(banner: &str, scheme: &str) -> SocketAddr {
    let start = banner.find(&format!("{scheme}://")).expect(banner) + scheme.len() + 3;
    let end = start + banner[start..].find('/').expect(banner);
    banner[start..end].parse().expect(banner)
}

#[tokio::test]
async fn serve_tls_prints_an_https_banner_and_serves_clients_trusting_the_exported_ca() {
    let state = TempDir::new("bin-tls");
    let out = TempDir::new("bin-tls-export");
    let state_dir = state.path().to_str().unwrap();
    let server = serve(&["--tls", "--tls-client-auth", "required", "--state-dir", state_dir]);
    assert!(server.banner.contains("https://127.0.0.1:"), "{}", server.banner);
    let keys_line = server.stderr.recv_timeout(IO_TIMEOUT).expect("a line about the keys");
    assert!(
        keys_line.contains(state_dir) && keys_line.contains("created"),
        "{keys_line}"
    );
    let addr = banner_addr(&server.banner, "https");

    let export = run(&mut sfstub(&[
        "certs",
        "export",
        out.path().to_str().unwrap(),
        "--state-dir",
        state_dir,
    ]));
    assert!(export.status.success(), "{}", text(&export.stderr));
    let with_cert = client(
        &out.join("ca.pem"),
        Some((&out.join("client.pem"), &out.join("client-key.pem"))),
    );
    let reply = send(addr, with_cert, &get("/healthz")).await.expect("served");
    assert_eq!(reply.status, 200);
    let refused = send(addr, client(&out.join("ca.pem"), None), &get("/healthz")).await;
    assert!(refused.is_err(), "{refused:?}");
}

#[test]
fn serve_refuses_a_certificate_without_its_key_in_one_line() {
    let state = TempDir::new("bin-pair");
    for (args, flag) in [
        (vec!["--sts-cert", "x.pem"], "--sts-cert"),
        (vec!["--service-key", "x.pem"], "--service-key"),
        (vec!["--tls", "--tls-cert", "x.pem"], "--tls-cert"),
        (vec!["--tls-client-auth", "required"], "--tls-client-auth"),
    ] {
        let out = run(sfstub(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
            state.path().to_str().unwrap(),
        ])
        .args(&args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(flag), "{err}");
    }
}

#[test]
fn serve_names_a_pem_override_whose_key_does_not_match() {
    let state = TempDir::new("bin-mismatch");
    let (_, _) = sfstub::security::keys::KeyMaterial::load_or_create(state.path()).unwrap();
    let out = run(sfstub(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--state-dir",
        state.path().to_str().unwrap(),
    ])
    .args([
        "--sts-cert",
        state.join("sts.pem").to_str().unwrap(),
        "--sts-key",
        state.join("service-key.pem").to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("service-key.pem") && err.contains("does not belong"),
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_tls_handshake_is_logged_with_the_peer_and_the_reason() {
    let state = TempDir::new("bin-tls-log");
    let out = TempDir::new("bin-tls-log-export");
    let state_dir = state.path().to_str().unwrap();
    let server = serve(&["--tls", "--tls-client-auth", "required", "--state-dir", state_dir]);
    let addr = banner_addr(&server.banner, "https");
    let export = run(&mut sfstub(&[
        "certs",
        "export",
        out.path().to_str().unwrap(),
        "--state-dir",
        state_dir,
    ]));
    assert!(export.status.success(), "{}", text(&export.stderr));
    // No client certificate: refused.
    let refused = send(addr, client(&out.join("ca.pem"), None), &get("/healthz")).await;
    assert!(refused.is_err(), "{refused:?}");
    let mut seen = Vec::new();
    let line = loop {
        match server.stderr.recv_timeout(IO_TIMEOUT) {
            Ok(line) if line.contains("TLS handshake") => break line,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no log line about the refused handshake at the default level; stderr: {seen:?}"),
        }
    };
    assert!(line.contains("INFO") || line.contains("WARN"), "{line}");
    assert!(line.contains("with 127.0.0.1:"), "the peer: {line}");
    assert!(
        line.contains("refused: ") && line.contains("certificate"),
        "the reason: {line}"
    );
}
