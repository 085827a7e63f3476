//! zeep clients generated from the WSDLs of services sfstub serves from their contracts call
//! every operation: SF1470 and SF1490 (scenarios/indeks.yaml), SF2900 and SF1600 (`serve
//! --contract`). Each request is the engine's own skeleton of the operation's input, read into
//! zeep's objects and sent by the generated client; zeep reads each answer with the WSDL's
//! schemas.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sfstub::engine::generation::Generation;
use sfstub::engine::template::{self, Scope};

use crate::server::{Server, clients, ok_lines, require, run};

fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/contracts")
        .join(path)
}

const AUTHORITY_CONTEXT: &str = r#"<ac:AuthorityContext xmlns:ac="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><ac:MunicipalityCVR>29189846</ac:MunicipalityCVR></ac:AuthorityContext>"#;
const REQUEST_HEADER: &str = r#"<h:RequestHeader xmlns:h="http://kombit.dk/xml/schemas/RequestHeader/1/"><h:TransactionUUID>0f9e3a52-1470-4c1e-9a53-0d6f5f0c2a11</h:TransactionUUID></h:RequestHeader>"#;

/// A JSON string.
fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[test]
fn zeep_clients_from_contract_wsdls_call_every_operation() {
    require(
        "zeep",
        Command::new("python3").args(["-c", "import zeep"]),
        "python3 -m pip install zeep",
    );
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/indeks.yaml");
    let sf2900 = shared("sf2900-fordelingskomponent/resources/sf2900/wsdl/token/DistributionService.wsdl");
    let sf1600 = shared("sf1600-print-fjernprint/resources/sf1600/wsdl/context/PrintService.wsdl");
    // The same contracts, prepared in-process for their operations and request skeletons.
    let mut prepared: Vec<_> = sfstub::scenario::Scenario::load(&scenario, None)
        .unwrap_or_else(|e| panic!("{e}"))
        .contracts;
    for wsdl in [&sf2900, &sf1600] {
        prepared.push(sfstub::engine::prepare_file(wsdl).unwrap());
    }
    let mut plan = Vec::new();
    for p in &prepared {
        let mut names = std::collections::BTreeSet::new();
        for op in &p.operations {
            let Some(input) = &op.input else { continue };
            if !names.insert(op.name.clone()) {
                continue;
            }
            let set = &p.contract.schema;
            let skeleton =
                sfstub::engine::skeleton::build(set, set.global_element(input).unwrap(), &op.name, &Default::default())
                    .unwrap();
            let mut out = Vec::new();
            template::render(
                &skeleton.pieces,
                &Scope {
                    now: sfstub::engine::values::check_instant(),
                    leaves: &[],
                    lookup: None,
                },
                &mut out,
            );
            let mut request = String::from_utf8(out).unwrap();
            let header = match p.generation {
                Generation::Serviceplatformen(_) => {
                    let end = request.find('>').unwrap();
                    request.insert_str(end + 1, AUTHORITY_CONTEXT);
                    "null".to_owned()
                }
                Generation::Stoettesystem => json(REQUEST_HEADER),
                _ => "null".to_owned(),
            };
            plan.push(format!(
                r#"{{"path": {}, "operation": {}, "request": {}, "header": {header}}}"#,
                json(p.paths[0]),
                json(&op.name),
                json(&request)
            ));
        }
    }
    let plan_file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zeep-contracts-plan.json");
    std::fs::write(&plan_file, format!("[{}]", plan.join(",\n"))).unwrap();
    let server = Server::start(&[
        "--scenario",
        &scenario.display().to_string(),
        "--contract",
        &sf2900.display().to_string(),
        "--contract",
        &sf1600.display().to_string(),
    ]);
    let ran = run(
        Command::new("python3")
            .arg(clients().join("zeep/sfstub_contracts.py"))
            .arg(&server.base)
            .arg(&plan_file),
        Duration::from_secs(240),
    );
    assert!(ran.success, "{}", ran.text);
    let lines = ok_lines(&ran.text);
    assert_eq!(lines.len(), plan.len(), "{}", ran.text);
    for expected in [
        "OK /sagdokumentindeks/6 fremsoeg",
        "OK /ydelseindeks/6 fremsoeg",
        "OK /bevillingindeks/6 fjern",
        "OK /service/SP/Distribution/3 FordelingsobjektAfsend",
        "OK /service/Print/Print/2 spoergTilmelding",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected:?} in\n{}",
            ran.text
        );
    }
}
