//! The attacks of the hardening review, each reproduced from outside (through
//! `http::handle`, as a client sends them) and refused: a certificate that only copies a
//! pinned subject (§1), CPU exhaustion before authentication (§2, §3), a second SOAP Header
//! (§4), the REST STS without proof of possession (§5), unusable holder certificates (§6),
//! Timestamp gaps (§7) and a crafted Host in served documents (§8).
//!
//! The cost tests bound one call by a time about ten times what it takes here (debug build,
//! a busy machine); before the fixes the same requests took seconds to minutes. A call that
//! overruns its bound fails the test at once (it is left running in its thread).

#[path = "../support/attacks.rs"]
mod attacks;
mod forge;
#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;

mod agreements;
mod cost;
mod envelope;
mod host;
mod sts;
mod timestamps;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sfstub::app::App;

/// Posts `body` to `path` in-process: (status, body).
pub fn post(app: &App, path: &str, body: &str) -> (u16, String) {
    let request = http::Request::post(path).body(Bytes::from(body.to_owned())).unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

/// Posts in a thread and fails the test when the answer takes longer than `bound`: (status,
/// body, time taken).
pub fn post_within(app: &Arc<App>, path: &'static str, body: String, bound: Duration) -> (u16, String, Duration) {
    let (tx, rx) = mpsc::channel();
    let app = Arc::clone(app);
    std::thread::spawn(move || {
        let start = Instant::now();
        let (status, text) = post(&app, path, &body);
        let _ = tx.send((status, text, start.elapsed()));
    });
    match rx.recv_timeout(bound) {
        Ok(answer) => {
            println!(
                "{} bytes to {path}: answered {} in {:?}",
                answer.1.len(),
                answer.0,
                answer.2
            );
            answer
        }
        Err(_) => panic!("the request to {path} took longer than {bound:?}"),
    }
}

/// The reason of a SOAP fault (SOAP 1.2 `Reason/Text` or SOAP 1.1 `faultstring`), unescaped.
pub fn reason(xml: &str) -> String {
    let tree = sfstub::security::xmltree::Tree::parse(xml.as_bytes())
        .unwrap_or_else(|e| panic!("the answer is not XML ({e}): {xml}"));
    std::iter::once(tree.root())
        .chain(tree.descendants(tree.root()))
        .find(|&n| matches!(tree.element(n).local_name(), "Text" | "faultstring"))
        .map(|n| tree.text(n))
        .unwrap_or_else(|| panic!("no fault reason in {xml}"))
}

/// Asserts a SOAP 1.2 Sender fault (400) whose reason contains `expected`.
#[track_caller]
pub fn assert_refused(status: u16, xml: &str, expected: &str) {
    assert_eq!(status, 400, "expected a fault containing {expected:?}, got:\n{xml}");
    let reason = reason(xml);
    assert!(
        reason.contains(expected),
        "the reason {reason:?} does not contain {expected:?}"
    );
}
