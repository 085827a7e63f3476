//! The demo face in a real browser: headless Chromium driven over WebDriver (chromedriver),
//! against the sfstub binary serving the demo scenario. It loads `/`, searches Sofie Lund
//! (cases at Udbetaling Danmark, Aalborg and Aarhus), checks what each caller would see, uses
//! Try it as Aalborg naming Aarhus and sees the refusal, and sees that call appear in the
//! traffic view — and a later one appear without a reload. Screenshots of each page go to
//! `target/face-screenshots/` for a reviewer (artefacts, not committed; `readme-*.png` are the
//! README's pictures, copied to `docs/` by hand when the pages change).
//!
//! `scripts/test` installs Debian's `chromium` and `chromium-driver`; without them this test
//! fails, saying so. Every wait is bounded.

mod webdriver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use webdriver::{Session, WAIT};

const SOFIE: &str = "2208854626";
const AALBORG: &str = "29189420";
const AARHUS: &str = "55133018";
const UDK: &str = "14720006";

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The full path of `program` on PATH.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Starts `sfstub serve` on the demo scenario on a free loopback port.
fn start_sfstub(state: &Path) -> (Killed, SocketAddr) {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo-tre-myndigheder.yaml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sfstub"));
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("SFSTUB_") {
            cmd.env_remove(var);
        }
    }
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0", "--scenario"])
        .arg(&scenario)
        .env("SFSTUB_STATE_DIR", state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sfstub serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let child = Killed(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("sfstub prints its banner within the wait");
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            let host = url.trim_start_matches("http://").split('/').next().unwrap_or("");
            if let Ok(addr) = host.parse() {
                return (child, addr);
            }
        }
    }
}

/// A free loopback port (for chromedriver, which takes a port, not a listener).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts chromedriver and waits until it says it is ready.
fn start_chromedriver(driver: &Path) -> (Killed, SocketAddr) {
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let child = Killed(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok((200, body)) = webdriver::http(addr, "GET", "/status", None)
            && body["value"]["ready"] == true
        {
            return (child, addr);
        }
        assert!(Instant::now() < deadline, "chromedriver is not ready within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// POSTs a KontrolsagListeHent from `caller` about Sofie straight to the endpoint.
fn call_service(addr: SocketAddr, caller: &str) {
    let body = format!(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>browser</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{caller}</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>{SOFIE}</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#
    );
    let mut stream = TcpStream::connect_timeout(&addr, WAIT).expect("sfstub accepts");
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "POST /kontrolsaglistehent/1 HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_browser_finds_sofie_sees_each_callers_view_tries_a_refused_call_and_watches_it_arrive() {
    let started = Instant::now();
    let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) else {
        panic!(
            "this test needs headless Chromium: Debian's chromium and chromium-driver (chromium and \
             chromedriver on PATH). scripts/test installs them (apt-get install chromium chromium-driver)."
        );
    };
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/face-screenshots");
    std::fs::create_dir_all(&shots).expect("the screenshot folder");
    let state = std::env::temp_dir().join(format!("sfstub-browser-{}", std::process::id()));
    let profile = std::env::temp_dir().join(format!("sfstub-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);

    let (_sfstub, addr) = start_sfstub(&state);
    let (_driver, driver_addr) = start_chromedriver(&driver);
    let browser = Session::start(driver_addr, &chromium, &profile);
    let base = format!("http://{addr}");

    // The index: scenario, services, the way on.
    browser.go(&format!("{base}/"));
    assert!(browser.title().starts_with("sfstub"), "{}", browser.title());
    let facts = browser.text(&browser.wait_for("dl.facts"));
    assert!(facts.contains("2208") && facts.contains("off"), "{facts}");
    browser.screenshot(&shots.join("1-index.png"));

    // The keyboard: the first Tab reaches the skip link, the next ones the navigation.
    browser.press_tab();
    let focused = browser.active();
    assert_eq!(browser.attribute(&focused, "class"), "skip");
    assert_eq!(browser.attribute(&focused, "href"), "#main");
    browser.press_tab();
    assert_eq!(browser.text(&browser.active()), "sfstub");

    // Large type, by keyboard-reachable checkbox.
    let before = browser.font_size();
    browser.click(&browser.wait_for("#large"));
    let after = browser.font_size();
    assert!(after > before * 1.3, "large type: {before}px → {after}px");
    browser.click(&browser.wait_for("#large"));

    // People: search by name, open Sofie's page.
    browser.click(&browser.wait_for("nav a[href='/__sfstub/ui/people']"));
    let q = browser.wait_for("#q");
    browser.type_into(&q, "Sofie Lund");
    browser.click(&browser.wait_for("form.search button"));
    let link = format!("#people a[href='/__sfstub/ui/people/{SOFIE}']");
    browser.wait_for(&link);
    browser.screenshot(&shots.join("2-people-search.png"));
    // The link may first be found on the page the search was sent from (the people list
    // before the answer replaces it): it is looked up afresh until a click reaches it.
    browser.click_on(&link);
    browser.wait_for("#sees");
    assert!(browser.title().starts_with("Sofie Lund"), "{}", browser.title());

    // What each caller sees, as the page shows it.
    let mut seen = Vec::new();
    for view in browser.find_all("article.view") {
        seen.push((
            browser.attribute(&view, "data-caller"),
            browser.attribute(&view, "data-hjemmel"),
            browser.attribute(&view, "data-target"),
            browser.attribute(&view, "data-outcome"),
        ));
    }
    let s = |x: &str| x.to_owned();
    assert_eq!(
        seen,
        vec![
            (s(UDK), s("UDBL_11A_STK1"), s(""), s("1 case(s)")),
            (s(UDK), s("UDBL_11A_STK2"), s(""), s("2 case(s)")),
            (s(AALBORG), s("UDBL_11A_STK2"), s(""), s("1 case(s)")),
            (s(AARHUS), s("UDBL_11A_STK2"), s(""), s("1 case(s)")),
            (s(AALBORG), s("UDBL_11A_STK2"), s(AARHUS), s("Fejl 1006")),
        ]
    );
    let refused = browser.find_all("article.view")[4].clone();
    assert!(browser.text(&refused).contains("§ 11 a"), "{}", browser.text(&refused));
    browser.screenshot(&shots.join("3-citizen.png"));
    browser.screenshot_top(&shots.join("readme-people.png"), 1150);

    // Try it: Aalborg naming Aarhus.
    browser.click(&browser.wait_for(&format!("#try-caller option[value='{AALBORG}']")));
    browser.click(&browser.wait_for(&format!("#try-target option[value='{AARHUS}']")));
    browser.click(&browser.wait_for("#try-UDBL_11A_STK2"));
    browser.click(&browser.wait_for("#try-send"));
    let outcome = browser.wait_for("#try-outcome");
    assert_eq!(browser.attribute(&outcome, "data-fejl"), "1006");
    assert!(browser.text(&outcome).contains("refused"), "{}", browser.text(&outcome));
    let request = browser.text(&browser.wait_for("#request-xml"));
    let response = browser.text(&browser.wait_for("#response-xml"));
    assert!(
        request.contains(&format!("<k:MyndighedCVRNummer>{AARHUS}</k:MyndighedCVRNummer>")),
        "{request}"
    );
    assert!(
        response.contains("<kontekst:FejlId>1006</kontekst:FejlId>"),
        "{response}"
    );
    browser.screenshot(&shots.join("4-try-it.png"));

    // Traffic: the refused call is there, by name and CVR.
    browser.click(&browser.wait_for("nav a[href='/__sfstub/ui/traffic']"));
    let row = browser.wait_for(&format!("#traffic tr[data-caller='{AALBORG}'][data-kind='refused']"));
    let row_text = browser.text(&row);
    // The page asked for nothing that is not the face's (no /favicon.ico in the journal).
    assert_eq!(
        browser.find_all("#traffic tbody tr").len(),
        1,
        "only Try it's call is in the journal"
    );
    assert!(
        row_text.contains("Aalborg Kommune (29189420)") && row_text.contains("Fejl 1006"),
        "{row_text}"
    );
    browser.wait_for("#callers-services");
    // A call made elsewhere appears without a reload (the page polls the journal).
    call_service(addr, UDK);
    let arrived = browser.wait_for(&format!("#traffic tr[data-caller='{UDK}'][data-kind='ok']"));
    assert!(
        browser.text(&arrived).contains("2 case(s)"),
        "{}",
        browser.text(&arrived)
    );
    browser.screenshot(&shots.join("5-traffic.png"));
    browser.screenshot_top(&shots.join("readme-traffic.png"), 760);

    // A click shows the exchange.
    browser.click_on(&format!("#traffic tr[data-caller='{AALBORG}'] a"));
    let exchange = browser.wait_for("#exchange");
    assert_eq!(browser.attribute(&exchange, "data-kind"), "refused");
    assert!(browser.text(&browser.wait_for("#response-xml")).contains("FejlId"));
    browser.screenshot(&shots.join("6-exchange.png"));

    browser.end();
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_dir_all(&state);
    eprintln!(
        "browser test: {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        shots.display()
    );
}
