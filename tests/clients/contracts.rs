//! zeep clients generated from the WSDLs of services sfstub serves from their contracts call
//! every operation: SF1470 and SF1490 (as scenarios/indeks.yaml serves them), SF2900 and
//! SF1600 (their context and token WSDLs). Each request is the engine's own skeleton of the operation's input, read into
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
    // scenarios/indeks.yaml's contracts (SF1470, SF1490) and both WSDLs of SF2900 and
    // SF1600 (context and token), each on a path of its own.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let indeks = std::fs::read_to_string(repo.join("scenarios/indeks.yaml")).unwrap();
    let mut text = indeks.replace("wsdl: ../contracts/", &format!("wsdl: {}/contracts/", repo.display()));
    for (path, wsdl) in [
        (
            "/sf2900/context",
            "sf2900-fordelingskomponent/resources/sf2900/wsdl/context/DistributionService.wsdl",
        ),
        (
            "/sf2900/token",
            "sf2900-fordelingskomponent/resources/sf2900/wsdl/token/DistributionService.wsdl",
        ),
        (
            "/sf1600/context",
            "sf1600-print-fjernprint/resources/sf1600/wsdl/context/PrintService.wsdl",
        ),
        (
            "/sf1600/token",
            "sf1600-print-fjernprint/resources/sf1600/wsdl/token/PrintService.wsdl",
        ),
    ] {
        text.push_str(&format!("\n  - wsdl: {}\n    path: {path}\n", shared(wsdl).display()));
    }
    let scenario = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zeep-contracts.yaml");
    std::fs::write(&scenario, text).unwrap();
    // The same contracts, prepared in-process for their operations and request skeletons.
    let prepared: Vec<_> = sfstub::scenario::Scenario::load(&scenario, None)
        .unwrap_or_else(|e| panic!("{e}"))
        .contracts;
    assert_eq!(prepared.len(), 8);
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
                    leaves: &sfstub::soap::xml::Leaves::default(),
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
    let server = Server::start(&["--scenario", &scenario.display().to_string()]);
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
        "OK /sf2900/context FordelingsobjektAfsend",
        "OK /sf2900/token FordelingsmodtagerValider",
        "OK /sf1600/context spoergTilmelding",
        "OK /sf1600/token afsendBrev",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "{expected:?} in\n{}",
            ran.text
        );
    }
}
