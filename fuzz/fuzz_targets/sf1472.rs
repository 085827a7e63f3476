//! SF1472 KontrolsagListeHent as the HTTP layer calls it, in `off` security: the envelope
//! reader, then the service (security's reading of the header, the request parser, the
//! caller, the rules on the built-in world at the fuzz clock, the answer). Seeded with the
//! golden requests in `fixtures/sf1472`.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sfstub::app::App;
use sfstub::http::with_context;
use sfstub::security::SecurityMode;
use sfstub::services::sf1472_kontrolsag::PATHS;
use sfstub::soap::{Limits, SoapVersion, parse_envelope};

static APP: LazyLock<App> = LazyLock::new(|| sfstub_fuzz::app(SecurityMode::Off));

fuzz_target!(init: {
    LazyLock::force(&APP);
}, |data: &[u8]| {
    let Ok(envelope) = parse_envelope(data, Limits::default(), SoapVersion::V12) else {
        return;
    };
    let loaded = APP.loaded();
    let service = loaded
        .service_for(PATHS[0])
        .expect("the built-in scenario serves SF1472");
    with_context(&APP, |ctx| {
        let mut out = Vec::new();
        let _ = service.call(ctx, &envelope, data, &mut out);
    });
});
