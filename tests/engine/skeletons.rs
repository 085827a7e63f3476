//! Skeletons: for every operation of every contract, the generated response (and request, and
//! every fault detail) validates against the contract's schemas.

use sfstub::engine::skeleton::{self, Conventions};
use sfstub::engine::template::{self, Scope};
use sfstub::xsd::{Contract, Instance, Limits, Source};

use crate::support::{contracts, wsdl_sets};

/// Renders the skeleton of every message element of a contract; returns (element, findings, xml) for the invalid ones.
fn check(contract: &Contract) -> (usize, Vec<String>) {
    let set = &contract.schema;
    let mut failures = Vec::new();
    let mut built = 0;
    for op in contract.operations() {
        let mut elements: Vec<_> = [&op.input, &op.output]
            .into_iter()
            .flatten()
            .flat_map(|m| m.body.iter().chain(&m.headers))
            .cloned()
            .collect();
        elements.extend(op.faults.iter().filter_map(|f| f.element.clone()));
        for element in elements {
            let id = set.global_element(&element).unwrap();
            let sk = match skeleton::build(set, id, &op.name, &Conventions::default()) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{} {element}: {e}", op.name));
                    continue;
                }
            };
            let mut out = Vec::new();
            template::render(
                &sk.pieces,
                &Scope {
                    now: sfstub::engine::values::check_instant(),
                    leaves: &sfstub::soap::xml::Leaves::default(),
                    lookup: None,
                },
                &mut out,
            );
            let findings = set.validate_instance(&Instance::new(&out), Some(id), Limits::default());
            if !findings.is_empty() {
                failures.push(format!(
                    "{} {element}: {findings:#?}\n{}",
                    op.name,
                    String::from_utf8_lossy(&out)
                ));
            }
            built += 1;
        }
    }
    (built, failures)
}

#[test]
fn every_message_of_every_contract_has_a_valid_skeleton() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (folder, wsdls) in wsdl_sets() {
        let source = Source::dir(contracts().join(folder));
        for w in wsdls {
            let c = Contract::load(&source, &w).unwrap_or_else(|e| panic!("{e}"));
            let (built, f) = check(&c);
            total += built;
            failures.extend(f.into_iter().map(|f| format!("{folder}/{w}: {f}")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} invalid:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(total > 150, "{total}");
}
