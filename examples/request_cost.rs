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
//! `N=20000 LOG=info cargo run --release --example request_cost`
//! `N=2000 valgrind --tool=callgrind target/release/examples/request_cost`

use std::time::Instant;

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::logging::LogQueue;
use sfstub::scenario::{Scenario, parse_clock};

/// UDK (CVR 64942212) asks for a citizen with an open case held by a municipality.
pub const REQUEST: &str = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
  <soap:Body>
    <k:KontrolsagListeHent_I revision="1">
      <kontekst:HovedOplysninger>
        <kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId>
        <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
        <kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext>
      </kontekst:HovedOplysninger>
      <k:KontrolsagSoegKriterie>
        <k:PersonCPRNummer>150780-4329</k:PersonCPRNummer>
        <k:Hjemmel>UDBL_11A_STK2</k:Hjemmel>
      </k:KontrolsagSoegKriterie>
    </k:KontrolsagListeHent_I>
  </soap:Body>
</soap:Envelope>"#;

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
    let app = App::new(scenario, Limits::default());
    let body = Bytes::from_static(REQUEST.as_bytes());
    let request = || {
        http::Request::post("/kontrolsaglistehent/1")
            .header("content-type", "application/soap+xml; charset=utf-8")
            .header("host", "127.0.0.1:18080")
            .body(body.clone())
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
    println!("handle(), log {filter}, journal on, conformance record: {took:.2} µs/request ({n} requests)");
}
