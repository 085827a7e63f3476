//! What each crafted request of `tests/support/attacks.rs` costs: one call of
//! `http::handle` per attack, in the security mode it was measured in, with the answer's
//! status and the start of its fault. Figures, no assertions (the bounds are in
//! `tests/attacks`). Run with `cargo run --release --example attack_cost`; give attack numbers
//! (1-based) as arguments to run only those.

#[path = "../tests/support/attacks.rs"]
mod attacks;

use std::time::Instant;

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::scenario::{DEFAULT_SCENARIO, Scenario};

fn main() {
    let only: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let scenario = Scenario::parse(DEFAULT_SCENARIO, "default", None).expect("the built-in scenario");
    let mut app = App::new(scenario, Limits::default());
    for (i, attack) in attacks::all().into_iter().enumerate() {
        if !only.is_empty() && !only.contains(&(i + 1)) {
            continue;
        }
        app.security.mode = attack.mode;
        let size = attack.body.len();
        let request = http::Request::post(attack.path)
            .body(Bytes::from(attack.body))
            .expect("a request");
        let start = Instant::now();
        let response = sfstub::http::handle(&app, request);
        let elapsed = start.elapsed();
        let body = String::from_utf8_lossy(response.body());
        let reason = body
            .split_once("<soap:Text xml:lang=\"en\">")
            .map(|(_, r)| r.split('<').next().unwrap_or(""))
            .unwrap_or(&body);
        println!(
            "{}. {} ({} mode, {} KB): {:.3} s, {} {}",
            i + 1,
            attack.name,
            attack.mode.name(),
            size / 1000,
            elapsed.as_secs_f64(),
            response.status().as_u16(),
            reason.chars().take(150).collect::<String>()
        );
    }
}
