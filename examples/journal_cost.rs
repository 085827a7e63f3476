//! What the journal and the conformance checks cost per request, measured in-process (no
//! HTTP, no wrk, so other load on the machine disturbs it less): `http::handle` answering
//! KontrolsagListeHent (stk. 2, one case with three steps) with the journal on (full, so every
//! request also evicts one), with it off, and with conformance off too. Prints mean
//! microseconds per request on one core.
//!
//! Then the steering machinery's share: one metrics observation on its own, and `handle()` with
//! a fault rule held that matches nothing (the rules' lock and matching on every call) against
//! none (one atomic load).
//!
//! `cargo run --release --example journal_cost`

#[path = "support/requests.rs"]
mod requests;

use std::time::Instant;

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::scenario::{Scenario, parse_clock};

use requests::KONTROLSAG as REQUEST;

fn app(journal: usize, conformance: sfstub::conformance::Mode) -> App {
    let clock = parse_clock("2026-11-22T12:00:00Z").unwrap();
    let scenario = Scenario::parse(sfstub::scenario::DEFAULT_SCENARIO, "default", Some(clock)).unwrap();
    let mut app = App::new(scenario, Limits::default());
    app.journal = sfstub::journal::Journal::new(sfstub::journal::Config {
        max_entries: journal,
        max_bytes: sfstub::journal::DEFAULT_BYTES,
    });
    app.conformance = conformance;
    app
}

fn per_request(app: &App, n: u32) -> f64 {
    let body = Bytes::from_static(REQUEST.as_bytes());
    let request = || {
        http::Request::post("/kontrolsaglistehent/1")
            .header("content-type", "application/soap+xml; charset=utf-8")
            .body(body.clone())
            .unwrap()
    };
    assert_eq!(sfstub::http::handle(app, request()).status(), 200);
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(sfstub::http::handle(app, request()));
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn main() {
    use sfstub::conformance::Mode;
    let n = 200_000;
    let size: usize = std::env::var("JOURNAL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let on = app(size, Mode::Record);
    per_request(&on, 20_000); // fill the ring: from here on every request evicts one
    let off = app(0, Mode::Record);
    let bare = app(0, Mode::Off);
    // Interleave the runs, so drifting load on the machine touches all three alike.
    let (mut t_on, mut t_off, mut t_bare) = (0.0, 0.0, 0.0);
    for _ in 0..5 {
        t_on += per_request(&on, n / 5);
        t_off += per_request(&off, n / 5);
        t_bare += per_request(&bare, n / 5);
    }
    let (t_on, t_off, t_bare) = (t_on / 5.0, t_off / 5.0, t_bare / 5.0);
    println!("handle(), journal on (full ring, 10 000 entries): {t_on:.2} µs/request");
    println!("handle(), journal off:                           {t_off:.2} µs/request");
    println!("handle(), journal and conformance off:           {t_bare:.2} µs/request");
    println!(
        "the journal costs {:.2} µs/request ({:.0} % of a request), conformance {:.2} µs/request",
        t_on - t_off,
        100.0 * (t_on - t_off) / t_on,
        t_off - t_bare
    );

    // Metrics: the observation every exchange makes.
    let metrics = sfstub::metrics::Metrics::new();
    let m = 2_000_000u32;
    let start = Instant::now();
    for i in 0..m {
        metrics.request(
            Some("SF1472 KontrolsagListeHent"),
            Some("KontrolsagListeHent"),
            sfstub::journal::OutcomeKind::Ok,
            200,
            std::time::Duration::from_nanos(u64::from(i % 1000) * 1000),
        );
    }
    let t_metrics = start.elapsed().as_secs_f64() * 1e9 / f64::from(m);
    println!(
        "one metrics observation (counter + histogram): {t_metrics:.0} ns ({:.1} % of a request)",
        100.0 * t_metrics / 1000.0 / t_off
    );
    // Fault rules: none held against one held that matches nothing.
    let with_rule = app(0, Mode::Record);
    let rule = r#"{"match": {"service": "SF1500"}, "delay": "1s"}"#;
    let request = http::Request::post("/__sfstub/faults")
        .body(Bytes::from_static(rule.as_bytes()))
        .unwrap();
    assert_eq!(sfstub::http::handle(&with_rule, request).status(), 201);
    let (mut t_rule, mut t_none) = (0.0, 0.0);
    for _ in 0..5 {
        t_rule += per_request(&with_rule, n / 5);
        t_none += per_request(&off, n / 5);
    }
    let (t_rule, t_none) = (t_rule / 5.0, t_none / 5.0);
    println!("handle(), no fault rule:                         {t_none:.2} µs/request");
    println!("handle(), one fault rule matching nothing:       {t_rule:.2} µs/request");
}
