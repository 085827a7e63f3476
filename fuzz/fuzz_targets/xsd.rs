//! The XSD side of request conformance on any bytes: the validator, checking an element
//! against SF1472's compiled contract (`KontrolsagListeHent_I`, and whatever global element
//! the input names), and the schema loader and compiler, reading the input as an XSD that may
//! include or import the SF1472 schema. Seeded with the SF1472 requests and schemas.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sfstub::xsd::{Contract, Limits, SchemaSet, Source};

const WSDL: &str = include_str!("../../src/services/sf1472/KontrolsagListeHent.wsdl");
const XSD: &str = include_str!("../../src/services/sf1472/KontrolsagListeHent.xsd");

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| {
    let source = Source::memory([("KontrolsagListeHent.wsdl", WSDL), ("KontrolsagListeHent.xsd", XSD)]);
    Contract::load(&source, "KontrolsagListeHent.wsdl").unwrap_or_else(|e| panic!("{e:?}"))
});

fuzz_target!(|data: &[u8]| {
    let schema = &CONTRACT.schema;
    let request = schema.find_element_by_local_name("KontrolsagListeHent_I");
    let limits = Limits {
        max_depth: 64,
        max_findings: 32,
    };
    let instance = sfstub::xsd::Instance::new(data);
    let _ = schema.validate_instance(&instance, request, limits);
    let _ = schema.validate_instance(&instance, None, limits);
    let source = Source::memory([("fuzz.xsd", data), ("KontrolsagListeHent.xsd", XSD.as_bytes())]);
    if let Ok(set) = SchemaSet::load(&source, &["fuzz.xsd"]) {
        for (_, id) in set.global_elements().into_iter().take(4) {
            let _ = set.validate(data, Some(id));
        }
    }
});
