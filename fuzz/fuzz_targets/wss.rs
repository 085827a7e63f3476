//! The WS-Security check of the token model (`token` and `strict` modes) on any bytes,
//! seeded with requests signed by the holder-of-key around a token from the STS whose
//! certificate is `fixtures/fuzz-seeds/sts.pem` (valid at the fuzz clock), so mutations start
//! from a message that passes.
#![no_main]

use chrono::Duration;
use libfuzzer_sys::fuzz_target;
use sfstub::security::wss::{self, Expectations, Freshness, Strictness};
use sfstub::security::xmltree::Tree;
use sfstub::security::{DEFAULT_MAX_TIMESTAMP_AGE, DEFAULT_MAX_TIMESTAMP_LIFETIME};
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use sfstub::soap::Limits;
use sfstub_fuzz::{now, seed_sts};

fuzz_target!(init: { seed_sts(); }, |data: &[u8]| {
    let Ok(tree) = Tree::parse_with(data, Limits::default()) else {
        return;
    };
    let freshness = Freshness {
        skew: Duration::minutes(5),
        max_age: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_AGE)),
        max_lifetime: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_LIFETIME)),
    };
    for strictness in [Strictness::Strict, Strictness::Token] {
        let expect = Expectations {
            strictness,
            cache: None,
            audience: ENTITY_ID,
            sts_key: &seed_sts().public_key,
            now: now(),
            freshness,
        };
        let _ = wss::check(&tree, &expect);
    }
    let _ = wss::has_security_header(&tree);
    let _ = wss::read_unverified(&tree);
    let _ = wss::message_id(&tree);
});
