//! The CI report: JSON and JUnit from the admin API (the JUnit validated against Jenkins'
//! schema and held to a golden file), `sfstub serve --report FILE` written on SIGTERM, and
//! `sfstub report --url` exiting non-zero on findings.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::*;

/// Jenkins' JUnit schema (fixtures/junit/SOURCE.txt).
pub fn junit_xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/junit/junit-10.xsd")
}

/// A temporary path unique to this test process.
pub fn temp(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("sfstub-instrument-{}-{n}-{name}", std::process::id()))
}

/// The sfstub binary serving on 127.0.0.1:0 (the default scenario, clock pinned), with its
/// banner read and its log in a file.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
    pub banner: String,
    pub log: PathBuf,
}

impl Binary {
    pub fn start(extra: &[&str]) -> Binary {
        let log = temp("serve.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sfstub"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--clock",
            crate::world::CLOCK,
            "--log",
            "warn",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("SFSTUB_") {
                cmd.env_remove(var);
            }
        }
        cmd.env(
            "SFSTUB_STATE_DIR",
            std::env::temp_dir().join(format!("sfstub-instrument-state-{}", std::process::id())),
        );
        let mut child = cmd.spawn().expect("the sfstub binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut banner = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !banner.contains("  try:") {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "sfstub exited before its banner: {banner}\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            banner.push_str(&line);
        }
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        let url = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .expect("an address in the banner");
        let addr = url["http://".len()..].split('/').next().unwrap().parse().unwrap();
        // Once a request is answered, the signal handlers are in place (they are set up
        // before the first connection is accepted): SIGTERM then stops it gracefully.
        assert_eq!(send(addr, "GET", "/healthz", &[], b"").status, 200);
        Binary {
            child,
            addr,
            banner,
            log,
        }
    }

    /// Sends SIGTERM and waits for the exit; the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            assert!(Instant::now() < deadline, "sfstub did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it (SIGTERM), failing the test when it does not exit cleanly.
    pub fn stop(&mut self) {
        assert_eq!(
            self.terminate(),
            Some(0),
            "{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// The resident set size in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Exchanges with known findings: a clean call, a wrong action (error), a hyphenless CPR
/// with an impossible date (warning), a SOAP 1.2 call to SF1520 (error).
fn exercise(addr: SocketAddr) {
    let post = |path: &str, ct: &str, body: &str| send(addr, "POST", path, &[("Content-Type", ct)], body.as_bytes());
    post(
        "/kontrolsaglistehent/1",
        "application/soap+xml",
        &kontrolsag(KOEBENHAVN, JENS),
    );
    post(
        "/kontrolsaglistehent/1",
        "application/soap+xml",
        &kontrolsag(KOEBENHAVN, JENS),
    );
    post(
        "/kontrolsaglistehent/1",
        "application/soap+xml; action=\"urn:other\"",
        &kontrolsag(AALBORG, JENS),
    );
    post(
        "/kontrolsaglistehent/1",
        "application/soap+xml",
        &kontrolsag(UDK, "3102804329"),
    );
    post(
        "/service/CPR/PersonBaseDataExtended/4",
        "application/soap+xml",
        &format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><p:PersonLookupRequest xmlns:p="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><a:AuthorityContext xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><a:MunicipalityCVR>{KOEBENHAVN}</a:MunicipalityCVR></a:AuthorityContext><c:PNR xmlns:c="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">{JENS}</c:PNR></p:PersonLookupRequest></s:Body></s:Envelope>"#
        ),
    );
}

/// JUnit with the volatile attributes (times, timestamps) set to fixed values.
fn stable(junit: &str) -> String {
    let mut out = String::with_capacity(junit.len());
    let mut rest = junit;
    loop {
        let next = [" time=\"", " timestamp=\""]
            .iter()
            .filter_map(|a| rest.find(a).map(|i| (i, *a)))
            .min();
        let Some((i, a)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i + a.len()]);
        out.push_str(if a == " time=\"" {
            "0.000"
        } else {
            "2026-11-22T12:00:00.000Z"
        });
        let after = &rest[i + a.len()..];
        rest = &after[after.find('"').expect("a closed attribute")..];
    }
}

#[test]
fn the_junit_report_is_valid_for_jenkins_and_matches_its_golden_file() {
    let s = serve_default();
    exercise(s.addr);
    let a = s.get("/__sfstub/report?format=junit");
    assert_eq!(a.status, 200);
    assert_eq!(a.header("Content-Type"), Some("application/xml; charset=utf-8"));
    let junit = a.text();
    crate::xmllint::assert_valid("the JUnit report", &junit, &junit_xsd());
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/junit/report.xml");
    let got = stable(&junit);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect("fixtures/junit/report.xml (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        got, want,
        "the JUnit report changed; UPDATE_GOLDEN=1 rewrites fixtures/junit/report.xml"
    );
    crate::xmllint::assert_valid("the golden JUnit report", &want, &junit_xsd());
}

#[test]
fn the_json_report_has_one_case_per_operation_caller_and_outcome_with_its_findings() {
    let s = serve_default();
    exercise(s.addr);
    let r = s.get("/__sfstub/report").json();
    assert_eq!(r["exchanges"], 5);
    assert_eq!(r["failed"], 2);
    assert_eq!(r["errors"], 2);
    assert_eq!(r["warnings"], 1, "CPR_DATE: {r:#}");
    let suites = r["suites"].as_array().unwrap();
    let names: Vec<&str> = suites.iter().map(|s| s["service"].as_str().unwrap()).collect();
    assert_eq!(names, ["SF1472 KontrolsagListeHent", "SF1520 CPR replika opslag v4"]);
    let cases = suites[0]["cases"].as_array().unwrap();
    let labels: Vec<(String, u64)> = cases
        .iter()
        .map(|c| {
            (
                format!(
                    "{} {} {}",
                    c["operation"].as_str().unwrap(),
                    c["caller"].as_str().unwrap(),
                    c["outcome"].as_str().unwrap()
                ),
                c["exchanges"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            (format!("KontrolsagListeHent {KOEBENHAVN} ok"), 2),
            (format!("KontrolsagListeHent {AALBORG} ok"), 1),
            (format!("KontrolsagListeHent {UDK} refused 1002"), 1),
        ]
    );
    let action = &cases[1]["findings"][0];
    assert_eq!(action["code"], "SOAP_ACTION");
    assert_eq!(action["severity"], "error");
    assert_eq!(action["entries"], serde_json::json!([3]));
}

#[test]
fn the_report_counts_exchanges_the_ring_has_dropped() {
    let s = serve(|app| {
        app.journal = sfstub::journal::Journal::new(sfstub::journal::Config {
            max_entries: 2,
            max_bytes: sfstub::journal::DEFAULT_BYTES,
        })
    });
    exercise(s.addr);
    assert_eq!(s.count(""), 2);
    let r = s.get("/__sfstub/report").json();
    assert_eq!(r["exchanges"], 5);
    assert_eq!(r["errors"], 2);
}

#[test]
fn serve_report_writes_the_junit_report_when_sfstub_gets_sigterm() {
    let file = temp("report.xml");
    let mut b = Binary::start(&["--report", file.to_str().unwrap()]);
    exercise(b.addr);
    assert!(!file.exists(), "written only when sfstub stops");
    assert_eq!(b.terminate(), Some(0));
    let junit = std::fs::read_to_string(&file).expect("the report file is written on SIGTERM");
    crate::xmllint::assert_valid("the report written on SIGTERM", &junit, &junit_xsd());
    assert!(junit.contains("<failure type=\"SOAP_ACTION\""), "{junit}");
    assert!(junit.contains("<failure type=\"SOAP_VERSION\""), "{junit}");
    let log = std::fs::read_to_string(&b.log).unwrap();
    assert!(log.contains("report written to"), "{log}");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn serve_report_json_writes_json_and_a_missing_folder_is_refused_at_start() {
    let file = temp("report.json");
    let mut b = Binary::start(&["--report", file.to_str().unwrap()]);
    exercise(b.addr);
    assert_eq!(b.terminate(), Some(0));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report["exchanges"], 5);
    let _ = std::fs::remove_file(&file);

    let out = Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .args(["serve", "--listen", "127.0.0.1:0", "--report", "/nonexistent-dir/r.xml"])
        .env(
            "SFSTUB_STATE_DIR",
            std::env::temp_dir().join(format!("sfstub-instrument-state-{}", std::process::id())),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent-dir does not exist"));
}

fn report_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .arg("report")
        .args(args)
        .env_remove("SFSTUB_URL")
        .env_remove("SFSTUB_ADMIN_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sfstub_report_exits_by_the_findings_at_its_level() {
    let s = serve_default();
    let url = format!("http://{}", s.addr);
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS));
    let (code, junit, err) = report_cli(&["--url", &url]);
    assert_eq!(code, Some(0), "{err}");
    crate::xmllint::assert_valid("sfstub report's output", &junit, &junit_xsd());
    assert!(
        err.contains("1 exchange(s), 0 conformance error(s), 0 warning(s)"),
        "{err}"
    );

    // A warning only: fails at warning, not at error.
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(UDK, "3102804329"));
    assert_eq!(report_cli(&["--url", &url]).0, Some(0));
    assert_eq!(report_cli(&["--url", &url, "--fail-on", "warning"]).0, Some(1));

    // An error.
    s.post(
        "/kontrolsaglistehent/1",
        &[("Content-Type", "application/soap+xml; action=\"urn:x\"")],
        &kontrolsag(KOEBENHAVN, JENS),
    );
    let (code, json, _) = report_cli(&["--url", &url, "--format", "json"]);
    assert_eq!(code, Some(1));
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["errors"], 1);

    let out = temp("cli-report.xml");
    let (code, stdout, _) = report_cli(&["--url", &format!("{url}/"), "--output", out.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty());
    assert!(std::fs::read_to_string(&out).unwrap().contains("SOAP_ACTION"));
    let _ = std::fs::remove_file(&out);
}

#[test]
fn sfstub_report_exits_2_when_it_gets_no_report() {
    let s = serve(|app| {
        app.admin = sfstub::admin::Access::decide(
            sfstub::admin::AdminFlag::Auto,
            Some("t0k"),
            "127.0.0.1:1".parse().unwrap(),
        )
        .unwrap()
    });
    let url = format!("http://{}", s.addr);
    let (code, _, err) = report_cli(&["--url", &url]);
    assert_eq!(code, Some(2));
    assert!(err.contains("401") && err.contains("Authorization: Bearer"), "{err}");
    assert_eq!(report_cli(&["--url", &url, "--admin-token", "t0k"]).0, Some(0));
    // Nothing listens there once the server is gone.
    drop(s);
    let (code, _, err) = report_cli(&["--url", &url]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot connect"), "{err}");
    let (code, _, err) = report_cli(&["--url", "https://127.0.0.1:1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("plain http"), "{err}");
}
