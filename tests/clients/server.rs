//! The real `sfstub serve` binary on 127.0.0.1:0, its state directory with exported client
//! certificates, and running client programs with a time limit.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The clock every server here runs with (the hand-written citizens exist at any clock).
pub const CLOCK: &str = "2026-11-22T12:00:00Z";

/// A directory below the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("sfstub-clients-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One state directory for every server of this test binary (below cargo's target/tmp, so its
/// keys are made once and kept between runs), with the sample client's certificate exported
/// beside it.
pub fn state() -> &'static (PathBuf, PathBuf) {
    static STATE: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    STATE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clients");
        let state = root.join("state");
        let export = root.join("export");
        let out = run(
            Command::new(env!("CARGO_BIN_EXE_sfstub"))
                .args(["certs", "export"])
                .arg(&export)
                .arg("--state-dir")
                .arg(&state),
            Duration::from_secs(120),
        );
        assert!(out.success, "sfstub certs export: {}", out.text);
        (state, export.join("client.pem"))
    })
}

/// A running `sfstub serve`, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Starts the binary with `args` (beside listen, clock and state dir) and waits for its
    /// banner.
    pub fn start(args: &[&str]) -> Server {
        let (state, _) = state();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sfstub"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--clock",
                CLOCK,
                "--log",
                "warn",
                "--state-dir",
            ])
            .arg(state)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sfstub serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut banner = String::new();
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(line)) => {
                    banner.push_str(&line);
                    banner.push('\n');
                    if line.contains("sfstub generate --with-cases") {
                        break;
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("no banner from sfstub serve: {banner}");
                }
            }
        }
        let end = banner
            .find("/kontrolsaglistehent/1")
            .expect("the SF1472 endpoint in the banner");
        let start = banner[..end].rfind("http://").expect("an http URL");
        Server {
            child,
            base: banner[start..end].to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a finished command printed (stdout then stderr) and whether it succeeded.
pub struct Ran {
    pub success: bool,
    pub text: String,
}

/// Runs `command` to completion, killing it after `limit`.
pub fn run(command: &mut Command, limit: Duration) -> Ran {
    let mut child = match command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot run {command:?}: {e}"),
    };
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let error_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    text.push_str(&String::from_utf8_lossy(&error_reader.join().unwrap_or_default()));
    match status {
        Some(s) => Ran {
            success: s.success(),
            text,
        },
        None => Ran {
            success: false,
            text: format!("killed after {limit:?}\n{text}"),
        },
    }
}

/// Fails clearly when `tool` is not installed.
pub fn require(tool: &str, probe: &mut Command, install: &str) {
    match probe
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => {}
        _ => panic!("{tool} is not installed, and this test runs it. Run scripts/test (it installs it), or: {install}"),
    }
}

/// The repository's `clients/` folder.
pub fn clients() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// The `OK ...` lines a client printed.
pub fn ok_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("OK ")).collect()
}
