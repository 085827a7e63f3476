//! The SOAP envelope reader, the first reader of every SOAP request: it must answer any bytes
//! with an envelope or a fault, and the ranges it returns must lie inside the input (services
//! slice the request with them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfstub::soap::{Limits, SoapVersion, parse_envelope};

fuzz_target!(|data: &[u8]| {
    let tight = Limits {
        max_depth: 8,
        max_attributes: 4,
        max_namespaces: 4,
    };
    for (limits, fallback) in [(Limits::default(), SoapVersion::V12), (tight, SoapVersion::V11)] {
        if let Ok(envelope) = parse_envelope(data, limits, fallback) {
            let operation = data
                .get(envelope.operation.range.clone())
                .expect("the operation's range lies inside the request");
            assert!(
                operation.starts_with(b"<"),
                "the operation's range starts at its start tag"
            );
            if let Some(header) = envelope.header {
                assert!(data.get(header).is_some(), "the Header's range lies inside the request");
            }
        }
    }
});
