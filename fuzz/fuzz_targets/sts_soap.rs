//! The SOAP STS's reader of a WS-Trust RequestSecurityToken, in strict mode (the RST signed by
//! its UseKey certificate, with a fresh Timestamp at the fuzz clock) and in the other modes.
//! Seeded with signed and unsigned RSTs.
#![no_main]

use chrono::Duration;
use libfuzzer_sys::fuzz_target;
use sfstub::security::wss::Freshness;
use sfstub::security::xmltree::Tree;
use sfstub::security::{DEFAULT_MAX_TIMESTAMP_AGE, DEFAULT_MAX_TIMESTAMP_LIFETIME};
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use sfstub::services::sf1514_sts::read_request;
use sfstub::soap::Limits;
use sfstub_fuzz::now;

fuzz_target!(|data: &[u8]| {
    let Ok(tree) = Tree::parse_with(data, Limits::default()) else {
        return;
    };
    let freshness = Freshness {
        skew: Duration::minutes(5),
        max_age: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_AGE)),
        max_lifetime: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_LIFETIME)),
    };
    let audiences = [ENTITY_ID];
    for strict in [Some(&freshness), None] {
        let _ = read_request(&tree, &audiences, strict, now(), |_| {});
    }
});
