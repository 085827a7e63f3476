//! Steering sfstub in tests, over a real socket: fault and latency rules (each effect as a
//! client with a timeout sees it, each matcher, `times`, expiry, seeded determinism), persons
//! added to the running world and seen by every service, reset, reload (good and broken
//! files, `--watch`), Prometheus metrics read with a Prometheus text parser, and `/readyz`.

mod faults;
#[path = "../instrument/harness.rs"]
mod harness;
mod metrics;
mod persons;
mod reload;
#[path = "../support/world.rs"]
mod world;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use harness::*;

/// A SOAP 1.1 PersonLookup (SF1520 v4) from Copenhagen about `cpr`.
pub fn person_lookup(cpr: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><autctx:AuthorityContext xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><autctx:MunicipalityCVR>64942212</autctx:MunicipalityCVR></autctx:AuthorityContext><cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">{cpr}</cpr:PNR></tns:PersonLookupRequest></soap:Body></soap:Envelope>"#
    )
}

/// What a client with a read timeout saw.
#[derive(Debug)]
pub enum Seen {
    /// An answer (the raw bytes) and when its last byte came.
    Answer(Vec<u8>, Duration),
    /// The connection closed without a byte.
    Closed(Duration),
    /// Nothing within the timeout.
    TimedOut(Duration),
}

/// Sends `request` (raw HTTP) and reads until the server closes or `timeout` passes without a
/// byte.
pub fn raw(addr: SocketAddr, request: &[u8], timeout: Duration) -> Seen {
    let start = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connects");
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.write_all(request).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                if got.is_empty() {
                    return Seen::TimedOut(start.elapsed());
                }
                break;
            }
            Err(_) => break, // reset
        }
    }
    if got.is_empty() {
        Seen::Closed(start.elapsed())
    } else {
        Seen::Answer(got, start.elapsed())
    }
}

/// A POST of `body` to `path` as raw HTTP with `Connection: close`.
pub fn post_bytes(addr: SocketAddr, path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl Server {
    /// POSTs fault rules (JSON or YAML), asserting 201.
    #[track_caller]
    pub fn rule(&self, body: &str) {
        let a = self.post("/__sfstub/faults", &[("Content-Type", "application/json")], body);
        assert_eq!(a.status, 201, "{}", a.text());
    }

    /// The newest journal entry.
    #[track_caller]
    pub fn last_entry(&self) -> serde_json::Value {
        self.journal("limit=1")["entries"][0].clone()
    }
}
