//! The harness: an sfstub app configured by the test, served by `sfstub::server::run` on
//! 127.0.0.1:0 in a background thread, and a tiny HTTP/1.1 client.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use sfstub::app::App;
use sfstub::security::SecurityMode;

/// Generous: only here so a server that never answers fails the test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server; it stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

/// The default world (clock pinned) in `off` mode, changed by `configure`, on a real socket.
pub fn serve(configure: impl FnOnce(&mut App)) -> Server {
    let mut app = crate::world::app(SecurityMode::Off);
    configure(&mut app);
    let app = Arc::new(app);
    let (addr_tx, addr_rx) = mpsc::channel();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let served = app.clone();
    let thread = std::thread::spawn(move || -> io::Result<()> {
        let runtime = sfstub::server::runtime(2)?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let _ = addr_tx.send(listener.local_addr()?);
            let shutdown = async {
                let _ = shutdown_rx.await;
            };
            sfstub::server::run(listener, served, shutdown).await
        })
    });
    let addr = addr_rx.recv_timeout(IO_TIMEOUT).expect("the server binds 127.0.0.1:0");
    Server {
        addr,
        app,
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    }
}

/// The default app.
pub fn serve_default() -> Server {
    serve(|_| {})
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; fails the test when it is not.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request with `Connection: close` to `addr` and reads the whole answer.
pub fn send(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("the server accepts connections");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("the answer arrives");
    parse(&raw, method == "HEAD")
}

fn parse(raw: &[u8], head_only: bool) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if let Some(n) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        assert!(
            head_only || body.len() >= n,
            "the body is shorter than its Content-Length"
        );
        body.truncate(n);
    }
    Answer { status, headers, body }
}

impl Server {
    pub fn get(&self, target: &str) -> Answer {
        send(self.addr, "GET", target, &[], b"")
    }

    pub fn delete(&self, target: &str) -> Answer {
        send(self.addr, "DELETE", target, &[], b"")
    }

    /// A SOAP 1.2 POST (Content-Type application/soap+xml).
    pub fn soap12(&self, path: &str, body: &str) -> Answer {
        send(
            self.addr,
            "POST",
            path,
            &[("Content-Type", "application/soap+xml; charset=utf-8")],
            body.as_bytes(),
        )
    }

    /// A POST with these headers.
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        send(self.addr, "POST", path, headers, body.as_bytes())
    }

    /// `GET /__sfstub/journal?{query}` as JSON, asserting 200.
    #[track_caller]
    pub fn journal(&self, query: &str) -> Value {
        let a = self.get(&format!("/__sfstub/journal?{query}"));
        assert_eq!(a.status, 200, "{}", a.text());
        a.json()
    }

    /// `GET /__sfstub/journal/count?{query}`, asserting 200.
    #[track_caller]
    pub fn count(&self, query: &str) -> u64 {
        let a = self.get(&format!("/__sfstub/journal/count?{query}"));
        assert_eq!(a.status, 200, "{}", a.text());
        a.json()["count"].as_u64().expect("a count")
    }
}

/// Municipalities and UDK of the default world.
pub const KOEBENHAVN: &str = "64942212";
pub const AALBORG: &str = "29189420";
pub const UDK: &str = "14720006";
/// A citizen with one UDK case (three steps) in the default world.
pub const JENS: &str = "1507804329";

/// A SOAP 1.2 KontrolsagListeHent request from `cvr` about `cpr` (as written), stk. 2.
pub fn kontrolsag(cvr: &str, cpr: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">
  <s:Body>
    <k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" revision="1">
      <h:HovedOplysninger xmlns:h="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
        <h:TransaktionsId>t-1</h:TransaktionsId>
        <h:TransaktionsTid>2026-11-22T10:15:00Z</h:TransaktionsTid>
        <h:AuthorityContext><h:MunicipalityCVR>{cvr}</h:MunicipalityCVR></h:AuthorityContext>
      </h:HovedOplysninger>
      <k:KontrolsagSoegKriterie>
        <k:PersonCPRNummer>{cpr}</k:PersonCPRNummer>
        <k:Hjemmel>UDBL_11A_STK2</k:Hjemmel>
      </k:KontrolsagSoegKriterie>
    </k:KontrolsagListeHent_I>
  </s:Body>
</s:Envelope>
"#
    )
}

/// The SF1472 action of the default scenario.
pub const SF1472_ACTION: &str = "http://www.kombit.dk/int/2022/01/01/KontrolsagListeHentService#KontrolsagListeHent";
