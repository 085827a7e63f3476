//! What sfstub's fuzz targets share: the pinned clock their signed seeds were made at, apps on
//! the built-in scenario, and the STS certificate the WS-Security seeds were issued under.
//!
//! Everything here is set up once per process (the targets call it from `init`), so that an
//! execution costs only the code under test.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use sfstub::app::{App, Limits};
use sfstub::scenario::{DEFAULT_SCENARIO, Scenario, parse_clock};
use sfstub::security::SecurityMode;
use sfstub::security::keys::{CertInfo, KeyMaterial, read_ca_file};

/// The security clock of every fuzzed check: the signed seeds in `fixtures/fuzz-seeds` carry
/// Timestamps and tokens made at this instant.
pub const CLOCK: &str = "2026-11-22T12:00:00Z";

/// [`CLOCK`] as a time.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(CLOCK)
        .expect("the fuzz clock parses")
        .with_timezone(&Utc)
}

/// A file below the repository's `fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(path)
}

/// The built-in scenario with the world's and the security clock pinned to [`CLOCK`], served
/// in `mode`.
pub fn app(mode: SecurityMode) -> App {
    let clock = parse_clock(CLOCK).expect("the fuzz clock parses");
    let mut scenario =
        Scenario::parse(DEFAULT_SCENARIO, "default", Some(clock)).expect("the built-in scenario is valid");
    scenario.security.clock = clock;
    scenario.security.mode = mode;
    let mut app = App::with_keys(scenario, Limits::default(), keys());
    app.security.mode = mode;
    app
}

/// sfstub's keys for the fuzzed apps, kept in `fuzz/state` (not committed): made on the first
/// run, loaded on later ones, as RSA key generation takes seconds to minutes on a busy machine
/// (and libFuzzer's main process and its job each set up the target).
pub fn keys() -> Arc<KeyMaterial> {
    static KEYS: OnceLock<Arc<KeyMaterial>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("state");
        let (keys, _) = KeyMaterial::load_or_create(&dir).unwrap_or_else(|e| panic!("{e}"));
        Arc::new(keys)
    })
    .clone()
}

/// The STS certificate that issued the tokens in `fixtures/fuzz-seeds/wss` (the fuzzed
/// WS-Security check trusts it, so the seeds pass and mutations start from a valid message).
pub fn seed_sts() -> &'static CertInfo {
    static STS: OnceLock<CertInfo> = OnceLock::new();
    STS.get_or_init(|| {
        let file = fixture("fuzz-seeds/sts.pem");
        read_ca_file(&file, false)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{} holds no certificate", file.display()))
    })
}
