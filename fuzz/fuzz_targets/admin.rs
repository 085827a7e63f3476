//! The admin API's reading of a request line on any text: routing under `/__sfstub/`, path
//! and query parameters (percent-decoding, declared names, value checks) and the read-only
//! routes they reach, as `GET` requests through `http::handle` with the admin API open.
//! Seeded with the routes' paths and queries (`fixtures/fuzz-seeds/admin`).
#![no_main]

use std::sync::LazyLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sfstub::admin::{Access, PREFIX};
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::services::sf1472_kontrolsag::PATHS;

/// The app, with the golden SF1472 requests in its journal (so that its entries, the counts
/// and the report have something to show).
static APP: LazyLock<App> = LazyLock::new(|| {
    let mut app = sfstub_fuzz::app(SecurityMode::Off);
    app.admin = Access::Open;
    let dir = sfstub_fuzz::fixture("sf1472");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|f| f.ok().map(|f| f.path()))
        .filter(|p| p.to_string_lossy().ends_with(".request.xml"))
        .collect();
    files.sort();
    for file in files {
        let body = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let request = http::Request::post(PATHS[0])
            .body(Bytes::from(body))
            .expect("a request");
        sfstub::http::handle(&app, request);
    }
    app
});

fuzz_target!(init: {
    LazyLock::force(&APP);
}, |data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(request) = http::Request::get(format!("{PREFIX}{line}")).body(Bytes::new()) else {
        return;
    };
    let response = sfstub::http::handle(&APP, request);
    assert!(
        response.status().as_u16() < 500 || response.status().as_u16() == 503,
        "GET {PREFIX}{line}: {}",
        response.status()
    );
});
