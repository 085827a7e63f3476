//! The scenario loader on any text: a scenario file, and the persons and fault rules the admin
//! API reads in the same format. Seeded with the scenarios in `scenarios/` and `fixtures/`.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use sfstub::scenario::{Scenario, parse_faults, parse_persons};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Scenario::parse(text, "fuzz.yaml", None);
    let anchor = NaiveDate::from_ymd_opt(2026, 11, 22).expect("a date");
    let _ = parse_persons(text, anchor);
    let mut n = 0;
    let mut next_id = || {
        n += 1;
        format!("rule-{n}")
    };
    let _ = parse_faults(text, 1, &mut next_id, &|path| path.starts_with('/'));
});
