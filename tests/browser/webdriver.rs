//! A small W3C WebDriver client: plain HTTP/1.1 and JSON over a `TcpStream` to chromedriver on
//! loopback, just the commands the browser test uses. Every request and every wait is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The longest any one wait (a page, an element, the driver) may take.
pub const WAIT: Duration = Duration::from_secs(30);
/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One HTTP request to the driver: the status and the JSON answer.
pub fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect_timeout(&addr, WAIT)?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // chromedriver answers `Connection: close` but keeps the connection open: read the head,
    // then as many bytes as it announces.
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let (head, mut payload) = loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other(
                "the driver closed the connection before its answer's head",
            ));
        }
        answer.extend_from_slice(&buf[..n]);
        if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break (
                String::from_utf8_lossy(&answer[..end]).into_owned(),
                answer[end + 4..].to_vec(),
            );
        }
        if answer.len() > 64 * 1024 {
            return Err(std::io::Error::other("an answer head over 64 KiB"));
        }
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status"))?;
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding:chunked")
        || head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    loop {
        let done = match length {
            Some(len) => payload.len() >= len,
            None if chunked => payload.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done || payload.len() > 64 * 1024 * 1024 {
            break;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        payload.extend_from_slice(&buf[..n]);
    }
    if chunked {
        payload = dechunk(&payload);
    }
    let value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
    Ok((status, value))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = &body[(start + size + 2).min(body.len())..];
    }
    out
}

/// A browser session.
pub struct Session {
    driver: SocketAddr,
    id: String,
}

impl Session {
    /// Starts headless Chromium with a fresh profile and the flags that keep it off the
    /// network (it hangs on a closed network without them).
    pub fn start(driver: SocketAddr, chromium: &Path, profile: &Path) -> Session {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1000", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }}});
        let (status, value) = http(driver, "POST", "/session", Some(&caps)).expect("chromedriver answers");
        assert_eq!(status, 200, "chromedriver could not start Chromium: {value}");
        let id = value["value"]["sessionId"].as_str().expect("a session ID").to_owned();
        let session = Session { driver, id };
        session.command(
            "POST",
            "/timeouts",
            json!({"implicit": 0, "pageLoad": WAIT.as_millis() as u64, "script": 10_000}),
        );
        session
    }

    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let body = (method == "POST").then_some(&body);
        let (status, value) = http(self.driver, method, &format!("/session/{}{path}", self.id), body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(status, 200, "{method} {path}: {value}");
        value["value"].clone()
    }

    fn try_command(&self, method: &str, path: &str, body: Value) -> Option<Value> {
        let body = (method == "POST").then_some(&body);
        match http(self.driver, method, &format!("/session/{}{path}", self.id), body) {
            Ok((200, value)) => Some(value["value"].clone()),
            _ => None,
        }
    }

    /// Loads `url` (and waits for it, within the page-load timeout).
    pub fn go(&self, url: &str) {
        self.command("POST", "/url", json!({ "url": url }));
    }

    pub fn title(&self) -> String {
        self.command("GET", "/title", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching `css`, waiting up to [`WAIT`] for it to appear.
    pub fn wait_for(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = self.try_command("POST", "/element", json!({"using": "css selector", "value": css}))
                && let Some(id) = v[ELEMENT].as_str()
            {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no {css:?} on the page within {WAIT:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every element matching `css` now.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        self.command("POST", "/elements", json!({"using": "css selector", "value": css}))
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Clicks the first element matching `css`, finding it again when the page replaced it
    /// meanwhile (the traffic view does, every two seconds).
    pub fn click_on(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.wait_for(css);
            if self
                .try_command("POST", &format!("/element/{element}/click"), json!({}))
                .is_some()
            {
                return;
            }
            assert!(Instant::now() < deadline, "cannot click {css:?} within {WAIT:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, element: &str) {
        self.command("POST", &format!("/element/{element}/click"), json!({}));
    }

    pub fn type_into(&self, element: &str, text: &str) {
        self.command("POST", &format!("/element/{element}/clear"), json!({}));
        self.command("POST", &format!("/element/{element}/value"), json!({ "text": text }));
    }

    pub fn text(&self, element: &str) -> String {
        self.command("GET", &format!("/element/{element}/text"), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn attribute(&self, element: &str, name: &str) -> String {
        self.command("GET", &format!("/element/{element}/attribute/{name}"), Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Presses and releases the Tab key.
    pub fn press_tab(&self) {
        self.command(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": "\u{E004}"}, {"type": "keyUp", "value": "\u{E004}"}
            ]}]}),
        );
    }

    /// The element that has the focus.
    pub fn active(&self) -> String {
        let v = self.command("GET", "/element/active", Value::Null);
        v[ELEMENT].as_str().expect("an element has the focus").to_owned()
    }

    /// The root element's computed font size in pixels.
    pub fn font_size(&self) -> f64 {
        let v = self.command(
            "POST",
            "/execute/sync",
            json!({"script": "return parseFloat(getComputedStyle(document.documentElement).fontSize);", "args": []}),
        );
        v.as_f64().expect("a font size")
    }

    /// Saves a PNG of the whole page (the window grown to the page's height, within reason).
    pub fn screenshot(&self, path: &Path) {
        let height = self
            .command(
                "POST",
                "/execute/sync",
                json!({"script": "return document.documentElement.scrollHeight;", "args": []}),
            )
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 4000);
        self.command("POST", "/window/rect", json!({"width": 1280, "height": height}));
        let data = self.command("GET", "/screenshot", Value::Null);
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 PNG"))
            .expect("a PNG");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(path, png).expect("the screenshot is written");
        self.command("POST", "/window/rect", json!({"width": 1280, "height": 1000}));
    }

    /// Saves a PNG of the top of the page, in a window `height` pixels high.
    pub fn screenshot_top(&self, path: &Path, height: u64) {
        self.command("POST", "/window/rect", json!({"width": 1280, "height": height}));
        self.command(
            "POST",
            "/execute/sync",
            json!({"script": "window.scrollTo(0, 0);", "args": []}),
        );
        let data = self.command("GET", "/screenshot", Value::Null);
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 PNG"))
            .expect("a PNG");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(path, png).expect("the screenshot is written");
        self.command("POST", "/window/rect", json!({"width": 1280, "height": 1000}));
    }

    /// Closes the browser.
    pub fn end(self) {
        drop(self);
    }
}

impl Drop for Session {
    /// Closes the browser also when a test fails (chromedriver's own end would orphan it).
    fn drop(&mut self) {
        let _ = http(self.driver, "DELETE", &format!("/session/{}", self.id), None);
    }
}
