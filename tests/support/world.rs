//! Shared by the test binaries that run sfstub in-process on the default world: the pinned
//! clock, the SOAP and addressing namespaces, the STS path, and apps on the built-in scenario.
//!
//! Included with `#[path = "../support/world.rs"] mod world;`. Not every binary uses every
//! helper, hence `allow(dead_code)`.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use sfstub::app::{App, Limits};
use sfstub::scenario::{DEFAULT_SCENARIO, Scenario, parse_clock};
use sfstub::security::SecurityMode;

/// The pinned clock of every test world.
pub const CLOCK: &str = "2026-11-22T12:00:00Z";
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
/// The app's own STS (SF1514).
pub const STS_PATH: &str = "/runtime/services/kombittrust/14/certificatemixed";

/// The default scenario with both clocks pinned to [`CLOCK`]: the world's (business dates) and
/// the security clock (Timestamps and tokens), so requests signed at [`now`] are fresh.
pub fn scenario() -> Scenario {
    let clock = parse_clock(CLOCK).expect("the test clock parses");
    let mut scenario =
        Scenario::parse(DEFAULT_SCENARIO, "default", Some(clock)).expect("the built-in scenario is valid");
    scenario.security.clock = clock;
    scenario
}

/// The default scenario in `mode`.
pub fn app(mode: SecurityMode) -> App {
    with_mode(App::new(scenario(), Limits::default()), mode)
}

/// A scenario from YAML (its own clocks, if any: the security clock is real time unless the
/// YAML pins `security.clock`), in `mode`.
pub fn app_from(yaml: &str, mode: SecurityMode) -> App {
    let scenario = Scenario::parse(yaml, "test.yaml", None).expect("the test scenario is valid");
    with_mode(App::new(scenario, Limits::default()), mode)
}

fn with_mode(mut app: App, mode: SecurityMode) -> App {
    app.security.mode = mode;
    app
}

/// [`CLOCK`] as a time.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(CLOCK).unwrap().with_timezone(&Utc)
}
