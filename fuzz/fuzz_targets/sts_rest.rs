//! The REST faces of the STS on any body: WS-Trust as JSON (`/runtime/api/rest/wstrust/v1/
//! issue`) and OAuth client credentials (`/runtime/api/rest/oauth/v1/issue`, form body), in
//! `token` mode (UseKey in the body) and in `strict` mode (the sample client's certificate
//! presented in TLS). Seeded with JSON and form requests.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sfstub::app::App;
use sfstub::http::with_context;
use sfstub::security::SecurityMode;
use sfstub::services::sf1514_rest::{oauth, wstrust};
use sfstub::services::sf1514_sts::Issuer;

static APPS: LazyLock<[App; 2]> = LazyLock::new(|| {
    [
        sfstub_fuzz::app(SecurityMode::Token),
        sfstub_fuzz::app(SecurityMode::Strict),
    ]
});

fuzz_target!(init: {
    LazyLock::force(&APPS);
}, |data: &[u8]| {
    let keys = sfstub_fuzz::keys();
    let client = keys.client.cert_der.as_slice();
    for (app, tls) in APPS.iter().zip([None, Some(client)]) {
        let loaded = app.loaded();
        let audiences = loaded.audiences();
        with_context(app, |ctx| {
            let issuer = Issuer {
                ctx,
                audiences: &audiences,
            };
            let _ = wstrust(&issuer, tls, data);
            let (query, body) = match data.iter().position(|&b| b == b'\n') {
                Some(i) => (std::str::from_utf8(&data[..i]).ok(), &data[i + 1..]),
                None => (None, data),
            };
            let _ = oauth(&issuer, tls, query, body);
        });
    }
});
