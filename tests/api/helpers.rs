//! The harness: `spawn_app()` runs the real server on 127.0.0.1:0 in a background thread with
//! its own tokio runtime, and a tiny HTTP/1.1 client speaks to it over a real socket.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use sfstub::app::{App, Limits};
use sfstub::scenario::Scenario;
use sfstub::server::Options;

pub use crate::world::scenario as default_scenario;

/// Generous: only here so a server that never answers fails the test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server; it shuts down when dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

/// The default scenario, default limits.
pub fn spawn_app() -> TestApp {
    spawn_app_with(default_scenario(), Limits::default())
}

/// The default scenario with the given limits.
pub fn spawn_app_with_limits(limits: Limits) -> TestApp {
    spawn_app_with(default_scenario(), limits)
}

/// Runs `sfstub::server::run` for `scenario` on 127.0.0.1:0.
pub fn spawn_app_with(scenario: Scenario, limits: Limits) -> TestApp {
    spawn_server(scenario, limits, None)
}

/// The default scenario and limits, served by `sfstub::server::run_with` with `options`.
pub fn spawn_app_with_options(options: Options) -> TestApp {
    spawn_server(default_scenario(), Limits::default(), Some(options))
}

fn spawn_server(scenario: Scenario, limits: Limits, options: Option<Options>) -> TestApp {
    let app = Arc::new(App::new(scenario, limits));
    let (addr_tx, addr_rx) = mpsc::channel();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || -> io::Result<()> {
        let runtime = sfstub::server::runtime(2)?;
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                Ok(l) => l,
                Err(e) => {
                    let _ = addr_tx.send(Err(e.to_string()));
                    return Err(e);
                }
            };
            let _ = addr_tx.send(listener.local_addr().map_err(|e| e.to_string()));
            let shutdown = async {
                let _ = shutdown_rx.await;
            };
            match options {
                None => sfstub::server::run(listener, app, shutdown).await,
                Some(options) => sfstub::server::run_with(listener, app, shutdown, options, None).await,
            }
        })
    });
    let addr = addr_rx
        .recv_timeout(IO_TIMEOUT)
        .expect("the server thread reports its address")
        .expect("the server binds 127.0.0.1:0");
    TestApp {
        addr,
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    }
}

impl TestApp {
    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends one request on a fresh connection (with `Connection: close`).
    pub fn send(&self, request: &HttpRequest) -> HttpResponse {
        let mut stream = self.connect();
        stream
            .write_all(&request.to_bytes(&self.addr.to_string(), true))
            .expect("the request is written");
        let mut reader = BufReader::new(stream);
        let response = read_response(&mut reader, request.method == "HEAD");
        // With `Connection: close` the server must close after the response, adding nothing.
        let mut rest = Vec::new();
        if reader.read_to_end(&mut rest).is_ok() {
            assert!(
                rest.is_empty(),
                "bytes after the response: {:?}",
                String::from_utf8_lossy(&rest)
            );
        }
        response
    }

    /// A POST of `body` with an optional Content-Type.
    pub fn post(&self, path: &str, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> HttpResponse {
        let mut request = HttpRequest::new("POST", path).body(body);
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        self.send(&request)
    }

    /// A SOAP 1.2 POST of `body` (Content-Type application/soap+xml).
    pub fn post_soap12(&self, path: &str, body: impl Into<Vec<u8>>) -> HttpResponse {
        self.post(path, Some(SOAP12_CONTENT_TYPE), body)
    }

    /// A SOAP 1.1 POST of `body` (Content-Type text/xml and a SOAPAction).
    pub fn post_soap11(&self, path: &str, body: impl Into<Vec<u8>>) -> HttpResponse {
        let request = HttpRequest::new("POST", path)
            .header("Content-Type", SOAP11_CONTENT_TYPE)
            .header("SOAPAction", "\"KontrolsagListeHent\"")
            .body(body);
        self.send(&request)
    }

    /// A GET.
    pub fn get(&self, path: &str) -> HttpResponse {
        self.send(&HttpRequest::new("GET", path))
    }

    /// A TCP connection to the server with generous timeouts.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT).expect("the server accepts connections");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("write timeout");
        stream
    }

    /// Asks the server to stop and waits for `server::run` to return.
    pub fn stop(mut self) -> io::Result<()> {
        self.stop_inner().expect("the server was running")
    }

    fn stop_inner(&mut self) -> Option<io::Result<()>> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let thread = self.thread.take()?;
        Some(
            thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked"))),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

pub const SOAP12_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";
pub const SOAP11_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// A request as the tiny client writes it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn new(method: &str, path: &str) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> HttpRequest {
        self.body = body.into();
        self
    }

    /// The request on the wire: a Host header (unless one was given), Content-Length for any
    /// body or POST/PUT, and `Connection: close` when `close`.
    pub fn to_bytes(&self, default_host: &str, close: bool) -> Vec<u8> {
        let has = |name: &str| self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        if !has("Host") {
            head.push_str(&format!("Host: {default_host}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !has("Content-Length") && !has("Transfer-Encoding") && (!self.body.is_empty() || self.method != "GET") {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The Content-Type's media type, lower case, without parameters.
    pub fn media_type(&self) -> String {
        self.header("Content-Type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("the body is UTF-8")
    }
}

/// Reads one response: status line, headers, then a Content-Length body (or, without one, the
/// rest of the stream). `head_only` for HEAD requests.
pub fn read_response(reader: &mut impl BufRead, head_only: bool) -> HttpResponse {
    let status_line = read_line(reader);
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    assert_eq!(version, "HTTP/1.1", "status line {status_line:?}");
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("header line {line:?}"));
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut response = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only {
        return response;
    }
    match response.header("Content-Length") {
        Some(n) => {
            let n: usize = n.parse().expect("Content-Length is a number");
            let mut body = vec![0; n];
            reader.read_exact(&mut body).expect("the whole body arrives");
            response.body = body;
        }
        None => {
            assert!(
                !response
                    .header("Transfer-Encoding")
                    .is_some_and(|t| t.contains("chunked")),
                "the client does not read chunked bodies; sfstub sends Content-Length"
            );
            reader.read_to_end(&mut response.body).expect("the body arrives");
        }
    }
    response
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    let n = reader
        .read_line(&mut line)
        .expect("a response line arrives before the timeout");
    assert!(n > 0, "the connection closed before a complete response head");
    assert!(line.ends_with("\r\n"), "response lines end with CRLF: {line:?}");
    line.truncate(line.len() - 2);
    line
}
