//! `sfstub serve`: the banner, a real request, bad flags and scenarios refused before binding.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{CLOCK, TIMEOUT, TempFile, good_request, number_before, post, run, sfstub, wait_with_timeout};

/// A running `sfstub serve`, killed on drop.
pub struct Server {
    child: Child,
    pub banner: Vec<String>,
    pub addr: SocketAddr,
    /// stderr (the request log), line by line.
    log: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `sfstub serve` with `args` and `env`, and reads stdout until the banner's hint.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = sfstub(&["serve"]);
        cmd.args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("sfstub serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        // Drain stderr (the request log) so the child never blocks on a full pipe; keep its
        // lines for tests that read the log.
        let (log_tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(&mut stderr);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let _ = log_tx.send(std::mem::take(&mut line));
            }
            let mut rest = Vec::new();
            let _ = stderr.read_to_end(&mut rest);
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + TIMEOUT;
        let mut banner = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Ok(line)) => {
                    let done = line.contains("sfstub generate --with-cases");
                    banner.push(line);
                    if done {
                        break;
                    }
                }
                Ok(Err(e)) => {
                    let _ = child.kill();
                    panic!("reading the banner: {e}; so far: {banner:#?}");
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait();
                    panic!("no banner hint within {TIMEOUT:?} (exit {status:?}); stdout so far: {banner:#?}");
                }
            }
        }
        let addr = endpoint_addr(&banner.join("\n"));
        Server {
            child,
            banner,
            addr,
            log,
        }
    }

    pub fn text(&self) -> String {
        self.banner.join("\n")
    }

    /// The next line of stderr containing `needle` (within [`TIMEOUT`]); panics with the lines
    /// seen otherwise.
    pub fn log_line(&self, needle: &str) -> String {
        self.log_lines_until(needle).1
    }

    /// The lines of stderr before the next one containing `needle`, and that line (within
    /// [`TIMEOUT`]); panics with the lines seen otherwise.
    pub fn log_lines_until(&self, needle: &str) -> (Vec<String>, String) {
        let deadline = Instant::now() + TIMEOUT;
        let mut seen = Vec::new();
        loop {
            match self
                .log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line.contains(needle) => return (seen, line),
                Ok(line) => seen.push(line),
                Err(_) => panic!("no log line with {needle:?}; stderr: {seen:#?}"),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in the banner's `http://ADDR/kontrolsaglistehent/1`.
fn endpoint_addr(banner: &str) -> SocketAddr {
    let marker = "/kontrolsaglistehent/1";
    let end = banner
        .find(marker)
        .unwrap_or_else(|| panic!("no endpoint URL in {banner:?}"));
    let start = banner[..end].rfind("http://").expect("the URL starts with http://") + "http://".len();
    banner[start..end]
        .parse()
        .unwrap_or_else(|e| panic!("{:?} is not an address: {e}", &banner[start..end]))
}

/// A broken scenario: an invalid CPR on line 4.
const BROKEN: &str = "name: broken\nseed: 1\npersons:\n  - cpr: \"3102801234\"\n    kommune: \"0101\"\n";

#[test]
fn serve_prints_a_banner_and_answers_a_real_request() {
    let server = Server::start(&["--listen", "127.0.0.1:0", "--clock", CLOCK], &[]);
    let text = server.text();
    assert!(
        server.banner[0].starts_with(&format!("sfstub {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("scenario \"default\""), "{text}");
    assert!(text.contains("seed 1472"), "{text}");
    assert_eq!(number_before(&text, "authorities"), 100, "{text}");
    assert_eq!(number_before(&text, "municipalities"), 98, "{text}");
    assert!(number_before(&text, "citizens") > 0, "{text}");
    assert!(number_before(&text, "control cases") > 0, "{text}");
    assert!(server.addr.ip().is_loopback());
    assert_ne!(server.addr.port(), 0, "the banner shows the port actually bound");
    let url = format!("http://{}/kontrolsaglistehent/1", server.addr);
    assert!(text.contains(&format!("{url}?wsdl")), "{text}");
    assert!(
        server
            .banner
            .last()
            .is_some_and(|l| l.contains("sfstub generate --with-cases")),
        "{text}"
    );

    let (status, body) = post(
        server.addr,
        "/kontrolsaglistehent/1",
        &good_request("from-the-cli-test"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("from-the-cli-test</"), "{body}");
    assert!(body.contains("KontrolsagListeHent_O"), "{body}");
    assert!(
        body.contains("<MyndighedCVRNummer>14720006</MyndighedCVRNummer>"),
        "{body}"
    );
}

#[test]
fn the_banner_counts_agree_with_generate() {
    let server = Server::start(&["--listen", "127.0.0.1:0", "--clock", CLOCK], &[]);
    let text = server.text();
    let all = crate::generate::json(&["generate", "--clock", CLOCK]);
    let with_cases = crate::generate::json(&["generate", "--with-cases", "--clock", CLOCK]);
    let cases: usize = with_cases
        .iter()
        .map(|c| c["cases"].as_array().expect("cases").len())
        .sum();
    assert_eq!(number_before(&text, "citizens"), all.len(), "{text}");
    assert_eq!(number_before(&text, "with cases"), with_cases.len(), "{text}");
    assert_eq!(number_before(&text, "control cases"), cases, "{text}");
}

#[test]
#[cfg(unix)]
fn serve_stops_cleanly_on_sigterm() {
    let mut server = Server::start(&["--listen", "127.0.0.1:0", "--clock", CLOCK], &[]);
    let (status, _) = post(server.addr, "/kontrolsaglistehent/1", &good_request("before-sigterm"));
    assert_eq!(status, 200);
    let pid = server.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let exit = wait_with_timeout(&mut server.child, TIMEOUT).expect("sfstub exits after SIGTERM");
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
}

#[test]
fn serve_honours_sfstub_listen() {
    let server = Server::start(&["--clock", CLOCK], &[("SFSTUB_LISTEN", "127.0.0.1:0")]);
    assert!(server.addr.ip().is_loopback());
    assert_ne!(server.addr.port(), 8080, "SFSTUB_LISTEN was ignored: {}", server.text());
    assert_ne!(server.addr.port(), 0);
    let (status, body) = post(server.addr, "/kontrolsaglistehent/1", &good_request("env"));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn serve_honours_sfstub_scenario_and_the_clock_flag() {
    let scenario = TempFile::new(
        "tiny.yaml",
        "name: tiny\nseed: 7\npopulation: { citizens: 5, with_cases: 0.0 }\n",
    );
    let server = Server::start(
        &["--listen", "127.0.0.1:0", "--clock", CLOCK],
        &[("SFSTUB_SCENARIO", scenario.arg())],
    );
    let text = server.text();
    assert!(text.contains("scenario \"tiny\""), "{text}");
    assert!(text.contains("seed 7"), "{text}");
    assert!(
        text.contains("2026-11-22T12:00:00"),
        "the banner shows the pinned clock: {text}"
    );
    assert_eq!(number_before(&text, "citizens"), 5, "{text}");
    assert_eq!(number_before(&text, "control cases"), 0, "{text}");
}

#[test]
fn serve_refuses_a_broken_scenario_with_exit_2_before_binding() {
    let broken = TempFile::new("broken.yaml", BROKEN);
    // Hold a port: had sfstub tried to bind before validating, it would fail with "cannot listen".
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port for the test");
    let addr = taken.local_addr().expect("its address").to_string();
    let out = run(&mut sfstub(&["serve", "--scenario", broken.arg(), "--listen", &addr]));
    assert_eq!(out.code(), Some(2), "stderr:\n{}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "no banner for a broken scenario: {}",
        out.stdout_text()
    );
    assert!(
        out.stderr.contains(broken.arg()),
        "the message names the file: {}",
        out.stderr
    );
    assert!(out.stderr.contains(":4:"), "the message names the line: {}", out.stderr);
    assert!(
        out.stderr.contains("persons[0].cpr"),
        "the message names the field: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("cannot listen"), "{}", out.stderr);
}

#[test]
fn serve_refuses_a_missing_scenario_file() {
    let missing = std::env::temp_dir().join(format!("sfstub-cli-{}-does-not-exist.yaml", std::process::id()));
    let out = run(&mut sfstub(&[
        "serve",
        "--scenario",
        missing.to_str().expect("UTF-8"),
        "--listen",
        "127.0.0.1:0",
    ]));
    assert_eq!(out.code(), Some(2), "stderr:\n{}", out.stderr);
    assert!(out.stderr.contains("does-not-exist.yaml"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

#[test]
fn serve_refuses_a_bad_max_body_naming_the_flag() {
    let out = run(&mut sfstub(&["serve", "--listen", "127.0.0.1:0", "--max-body", "lots"]));
    assert!(!out.status.success());
    assert!(out.stderr.contains("--max-body"), "{}", out.stderr);
    assert!(out.stderr.contains("lots"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "nothing served: {}", out.stdout_text());
}

#[test]
fn serve_refuses_bad_values_from_the_environment() {
    for (var, value, flag) in [
        ("SFSTUB_LISTEN", "not-an-address", "--listen"),
        ("SFSTUB_MAX_BODY", "5 parsecs", "--max-body"),
        ("SFSTUB_CLOCK", "yesterday", "--clock"),
        ("SFSTUB_MAX_DEPTH", "3", "--max-depth"),
        ("SFSTUB_BODY_TIMEOUT", "0s", "--body-timeout"),
        ("SFSTUB_BODY_TIMEOUT", "soon", "--body-timeout"),
        ("SFSTUB_MAX_CONNECTIONS", "0", "--max-connections"),
        ("SFSTUB_DRAIN_TIMEOUT", "forever", "--drain-timeout"),
        ("SFSTUB_MAX_ATTRIBUTES", "3", "--max-attributes"),
        ("SFSTUB_MAX_NAMESPACES", "many", "--max-namespaces"),
        ("SFSTUB_MAX_TIMESTAMP_AGE", "-1", "--max-timestamp-age"),
        ("SFSTUB_MAX_TIMESTAMP_LIFETIME", "an hour", "--max-timestamp-lifetime"),
        ("SFSTUB_CLIENT_CA", "/nonexistent/ca.pem", "--client-ca"),
    ] {
        let mut cmd = sfstub(&["serve"]);
        cmd.env(var, value);
        if var != "SFSTUB_LISTEN" {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        let out = run(&mut cmd);
        assert!(!out.status.success(), "{var}={value} was accepted");
        assert!(out.stderr.contains(flag), "{var}={value}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{var}={value}: {}", out.stdout_text());
    }
}

#[test]
fn a_port_without_an_address_gets_a_suggestion() {
    for listen in ["8080", ":8080"] {
        let out = run(&mut sfstub(&["serve", "--listen", listen]));
        assert_eq!(out.code(), Some(2), "{listen}: {}", out.stderr);
        assert!(out.stderr.contains("--listen"), "{listen}: {}", out.stderr);
        assert!(
            out.stderr.contains("use 127.0.0.1:8080") && out.stderr.contains("0.0.0.0:8080"),
            "{listen}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{}", out.stdout_text());
    }
    let out = run(sfstub(&["serve"]).env("SFSTUB_LISTEN", "8080"));
    assert!(out.stderr.contains("use 127.0.0.1:8080"), "{}", out.stderr);
}

#[test]
fn the_request_log_names_the_caller_of_a_person_not_found() {
    let server = Server::start(&["--listen", "127.0.0.1:0", "--clock", CLOCK], &[]);
    let lookup = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><autctx:AuthorityContext xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><autctx:MunicipalityCVR>64942212</autctx:MunicipalityCVR></autctx:AuthorityContext><cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">0101011234</cpr:PNR></tns:PersonLookupRequest></soap:Body></soap:Envelope>"#;
    let (status, body) = post(server.addr, "/service/CPR/PersonBaseDataExtended/4", lookup);
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("PNR not found"), "{body}");
    let line = server.log_line("/service/CPR/PersonBaseDataExtended/4");
    assert!(line.contains("status=500"), "{line}");
    assert!(line.contains("caller=\"64942212\""), "{line}");
    assert!(line.contains("PNR not found"), "{line}");
}

#[test]
fn the_log_filter_turns_the_request_log_off_and_leaves_the_rest() {
    let server = Server::start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--clock",
            CLOCK,
            "--log",
            "info,sfstub::request=off",
        ],
        &[],
    );
    let (status, body) = post(
        server.addr,
        "/kontrolsaglistehent/1",
        &good_request("6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11"),
    );
    assert_eq!(status, 200, "{body}");
    // A request with an element the contract does not have: a conformance warning, logged
    // after the first request's line would have been.
    let odd = good_request("6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a12").replacen(
        "revision=\"1\">",
        "revision=\"1\"><k:Unknown/>",
        1,
    );
    let (status, body) = post(server.addr, "/kontrolsaglistehent/1", &odd);
    assert_eq!(status, 200, "{body}");
    let (before, warning) = server.log_lines_until("sfstub::conformance");
    assert!(warning.contains("Unknown"), "{warning}");
    for line in before.iter().chain([&warning]) {
        assert!(!line.contains("sfstub::request"), "{line}");
    }
}

#[test]
fn request_log_lines_have_tracings_default_form() {
    let server = Server::start(&["--listen", "127.0.0.1:0", "--clock", CLOCK], &[]);
    let (status, body) = post(server.addr, "/kontrolsaglistehent/1/", &good_request("a-line"));
    assert_eq!(status, 200, "{body}");
    let line = server.log_line("sfstub::request");
    let (time, rest) = line.split_once(' ').expect("a time first");
    assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{line}");
    assert_eq!(time.len(), "2026-11-22T12:00:00.000000Z".len(), "{line}");
    let rest = rest.trim_end();
    let expected = " INFO sfstub::request: method=POST path=\"/kontrolsaglistehent/1\" status=200 caller=\"";
    assert!(rest.starts_with(expected), "{line}");
    let micros = rest.rsplit_once(" micros=").expect("micros last").1;
    assert!(micros.parse::<u64>().is_ok(), "{line}");
}

#[test]
fn localhost_is_a_listen_address() {
    let server = Server::start(&["--listen", "localhost:0", "--clock", CLOCK], &[]);
    assert!(server.text().contains("http://127.0.0.1:"), "{}", server.text());
    assert!(server.addr.ip().is_loopback());
    let (status, body) = post(server.addr, "/kontrolsaglistehent/1", &good_request("via-localhost"));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn serve_refuses_a_bad_log_filter_with_exit_2() {
    let out = run(&mut sfstub(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--log",
        "sfstub=loud",
    ]));
    assert_eq!(out.code(), Some(2), "stderr:\n{}", out.stderr);
    assert!(out.stderr.contains("--log"), "{}", out.stderr);
}

#[test]
fn serve_reports_a_port_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port for the test");
    let addr = taken.local_addr().expect("its address").to_string();
    let out = run(&mut sfstub(&["serve", "--listen", &addr]));
    assert!(!out.status.success());
    assert!(out.stderr.contains("cannot listen"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&addr),
        "the message names the address: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout_text());
    drop(taken);
}

#[test]
fn a_small_max_body_is_enforced_by_the_binary() {
    let server = Server::start(
        &["--listen", "127.0.0.1:0", "--clock", CLOCK, "--max-body", "1KiB"],
        &[],
    );
    let big = good_request(&"x".repeat(2000));
    let started = Instant::now();
    let (status, body) = post(server.addr, "/kontrolsaglistehent/1", &big);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("1024"), "the fault names the limit: {body}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn every_wsdl_link_in_the_banner_answers_without_flags() {
    let server = Server::start(&["--listen", "127.0.0.1:0", "--clock", CLOCK], &[]);
    let text = server.text();
    let links: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| w.ends_with("?wsdl"))
        .collect();
    assert_eq!(links.len(), 9, "{text}");
    for link in links {
        let path = &link[link.find(&server.addr.to_string()).unwrap() + server.addr.to_string().len()..];
        let (status, body) = crate::util::get(server.addr, path);
        assert_eq!(status, 200, "{link}: {body}");
        assert!(body.contains("definitions"), "{link}");
    }
}

#[test]
fn a_contracts_folder_that_matches_nothing_is_warned_about_on_stderr_and_in_the_banner() {
    let empty = std::env::temp_dir().join(format!("sfstub-empty-contracts-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let server = Server::start(
        &[
            "--listen",
            "127.0.0.1:0",
            "--clock",
            CLOCK,
            "--contracts",
            empty.to_str().unwrap(),
        ],
        &[],
    );
    let text = server.text();
    assert_eq!(text.matches("warning: --contracts").count(), 7, "{text}");
    assert!(text.contains("no KlasseService.wsdl for SF1510 Klasse v7"), "{text}");
    for _ in 0..7 {
        let line = server.log_line("warning: --contracts");
        assert!(line.contains("sfstub: warning: --contracts"), "{line}");
    }
    let (status, body) = crate::util::get(server.addr, "/klasse/7?wsdl");
    assert_eq!(status, 200, "the shipped copy is served: {body}");
    std::fs::remove_dir_all(&empty).ok();
}

#[test]
fn soap_version_strict_refuses_soap_11_on_sf1500_through_the_binary() {
    let server = Server::start(
        &["--listen", "127.0.0.1:0", "--clock", CLOCK, "--soap-version", "strict"],
        &[],
    );
    assert!(server.text().contains("SOAP version: strict"), "{}", server.text());
    let body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/"/></s:Body></s:Envelope>"#;
    let (status, xml) = post(server.addr, "/organisation/virksomhed/6", body);
    assert_eq!(status, 500, "{xml}");
    assert!(xml.contains("soap:VersionMismatch"), "{xml}");
    let lenient = Server::start(&["--listen", "127.0.0.1:0", "--clock", CLOCK], &[]);
    assert!(lenient.text().contains("SOAP version: lenient"), "{}", lenient.text());
    let (status, xml) = post(lenient.addr, "/organisation/virksomhed/6", body);
    assert_eq!(status, 200, "{xml}");
}

#[test]
fn serve_refuses_an_unknown_soap_version_check() {
    let output = run(&mut sfstub(&["serve", "--soap-version", "sometimes"]));
    assert_eq!(output.status.code(), Some(2));
    let stderr = &output.stderr;
    assert!(
        stderr.contains("--soap-version") && stderr.contains("lenient"),
        "{stderr}"
    );
}
