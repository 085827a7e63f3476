//! The XSD side of request conformance on any bytes: the validator, checking an element
//! against SF1472's compiled contract (`KontrolsagListeHent_I`, and whatever global element
//! the input names), and the schema loader and compiler, reading the input as an XSD that may
//! include or import the SF1472 schema. Seeded with the SF1472 requests and schemas.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sfstub::security::SecurityMode;
use sfstub::services::sf1472_kontrolsag::PATHS;
use sfstub::xsd::{Contract, Limits, SchemaSet, Source};

/// SF1472's contract as the service publishes it (its WSDL and the XSDs that WSDL imports),
/// compiled.
static CONTRACT: LazyLock<(Contract, String)> = LazyLock::new(|| {
    const BASE: &str = "http://sfstub.invalid/contract";
    let app = sfstub_fuzz::app(SecurityMode::Off);
    let loaded = app.loaded();
    let service = loaded
        .service_for(PATHS[0])
        .expect("the built-in scenario serves SF1472");
    let mut files = vec![("service.wsdl".to_owned(), service.contract(None, BASE).expect("a WSDL"))];
    for xsd in ["KontrolsagListeHent.xsd", "Kontekst.xsd"] {
        if let Some(text) = service.contract(Some(xsd), BASE) {
            files.push((format!("{BASE}/{xsd}"), text));
        }
    }
    let xsd = files[1].1.clone();
    let contract = Contract::load(&Source::memory(files), "service.wsdl").unwrap_or_else(|e| panic!("{e:?}"));
    (contract, xsd)
});

fuzz_target!(init: {
    LazyLock::force(&CONTRACT);
}, |data: &[u8]| {
    let (contract, xsd) = &*CONTRACT;
    let schema = &contract.schema;
    let request = schema.find_element_by_local_name("KontrolsagListeHent_I");
    let limits = Limits {
        max_depth: 64,
        max_findings: 32,
    };
    let instance = sfstub::xsd::Instance::new(data);
    let _ = schema.validate_instance(&instance, request, limits);
    let _ = schema.validate_instance(&instance, None, limits);
    let source = Source::memory([("fuzz.xsd", data), ("KontrolsagListeHent.xsd", xsd.as_bytes())]);
    if let Ok(set) = SchemaSet::load(&source, &["fuzz.xsd"]) {
        for (_, id) in set.global_elements().into_iter().take(4) {
            let _ = set.validate(data, Some(id));
        }
    }
});
