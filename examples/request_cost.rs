//! One context-model request as `sfstub serve` answers it, in-process and without a socket:
//! `http::handle` for KontrolsagListeHent (stk. 2, a citizen with an open municipal case, UDK
//! calling, `--security off`), with the request log installed as `serve` installs it (the log
//! queue, its writer thread writing to a sink), the journal on (full, so every request also
//! evicts one) and conformance recording. Prints mean microseconds per request.
//!
//! Made for instruction counts: `valgrind --tool=callgrind` counts the same work the same way
//! on a busy machine. Run it with `N=0` and with `N=5000` and divide the difference of the
//! totals by 5000: what is left is one request, without the setup.
//!
//! `JOURNAL=N` keeps N entries instead (0: the journal off), `CONFORMANCE=off` turns the
//! conformance check off (the goal's condition). `VARY=1` sends, as scripts/bench's varied run
//! does, 64 variants in turn, each with its own TransaktionsId and TransaktionsTid (made before
//! the run).
//!
//! `N=20000 LOG=info cargo run --release --example request_cost`
//! `N=2000 valgrind --tool=callgrind target/release/examples/request_cost`

#[path = "support/requests.rs"]
mod requests;

use std::time::Instant;

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::logging::LogQueue;
use sfstub::scenario::{Scenario, parse_clock};

pub use requests::KONTROLSAG as REQUEST;

fn main() {
    let n: u32 = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let filter = std::env::var("LOG").unwrap_or_else(|_| "info".into());
    let log = LogQueue::start(sfstub::logging::QUEUE_BYTES, std::io::sink()).expect("the log writer starts");
    if filter != "none" {
        let filter = tracing_subscriber::EnvFilter::try_new(&filter).expect("LOG is a log filter");
        sfstub::logging::install(filter, &log, false);
    }
    let clock = parse_clock("2026-11-22T12:00:00Z").expect("a clock");
    let scenario =
        Scenario::parse(sfstub::scenario::DEFAULT_SCENARIO, "default", Some(clock)).expect("the default scenario");
    let mut app = App::new(scenario, Limits::default());
    let journal_size: usize = std::env::var("JOURNAL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(sfstub::journal::DEFAULT_ENTRIES);
    app.journal = sfstub::journal::Journal::new(sfstub::journal::Config {
        max_entries: journal_size,
        ..sfstub::journal::Config::default()
    });
    if std::env::var("CONFORMANCE").is_ok_and(|v| v == "off") {
        app.conformance = sfstub::conformance::Mode::Off;
    }
    let bodies: Vec<Bytes> = if std::env::var("VARY").is_ok_and(|v| v == "1") {
        (0..64)
            .map(|i| {
                Bytes::from(
                    REQUEST
                        .replace("6f1c1a4e-1111-", &format!("6f1c1a4e-{:04x}-", 4096 + i))
                        .replace("2026-11-22T10:15:00Z", &format!("2026-11-22T10:{:02}:00Z", i % 60)),
                )
            })
            .collect()
    } else {
        vec![Bytes::from_static(REQUEST.as_bytes())]
    };
    let sent = std::cell::Cell::new(0usize);
    let request = || {
        let body = bodies[sent.get() % bodies.len()].clone();
        sent.set(sent.get() + 1);
        http::Request::post("/kontrolsaglistehent/1")
            .header("content-type", "application/soap+xml; charset=utf-8")
            .header("host", "127.0.0.1:18080")
            .body(body)
            .expect("a request")
    };
    let first = sfstub::http::handle(&app, request());
    assert_eq!(first.status(), 200);
    assert!(
        first.body().windows(12).any(|w| w == b"<Kontrolsag>"),
        "the citizen has a case"
    );
    // Fill the journal's ring: from here on every request evicts one.
    for _ in 0..sfstub::journal::DEFAULT_ENTRIES {
        std::hint::black_box(sfstub::http::handle(&app, request()));
    }
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(sfstub::http::handle(&app, request()));
    }
    let took = start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1));
    log.finish(std::time::Duration::from_secs(1));
    println!(
        "journal entry {} bytes, of which each body {} bytes",
        std::mem::size_of::<sfstub::journal::Entry>(),
        std::mem::size_of::<sfstub::journal::Body>()
    );
    println!(
        "handle(), log {filter}, journal of {journal_size} entries, conformance {}: {took:.2} µs/request ({n} requests)",
        app.conformance.name()
    );
}
