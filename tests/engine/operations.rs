//! Every operation of every contract answers schema-valid with no rules at all: SF1470, the
//! three SF1490 services, SF2900 and SF1600 (context and token WSDLs), and — as a cross-check
//! against the hand-written modules — KOMBIT's SF1500 and SF1520 contracts. The request of
//! each operation is the engine's own skeleton of its input (with an AuthorityContext where
//! the generation wants a caller); each answer is checked by sfstub's validator and, where
//! the schema set compiles in libxml2 (all but SF1600's Fjernprint), by xmllint.

use sfstub::engine::generation::Generation;
use sfstub::engine::template::{self, Scope};
use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use crate::support::{app, assert_valid, contracts, post, scenario_with, wsdl};

/// (folder, WSDL) of every contract served here, and whether xmllint can load its schemas.
fn served() -> Vec<(&'static str, String, bool)> {
    let mut out: Vec<(&'static str, String, bool)> = vec![
        (
            "sf1470-sagdokumentindeks-v6",
            "wsdl/SagDokumentIndeksService_6.wsdl".into(),
            true,
        ),
        ("sf1490-ydelsesindeks-v6", "wsdl/YdelseIndeks.wsdl".into(), true),
        ("sf1490-ydelsesindeks-v6", "wsdl/BevillingIndeks.wsdl".into(), true),
        (
            "sf1490-ydelsesindeks-v6",
            "wsdl/OekonomiskEffektueringIndeks.wsdl".into(),
            true,
        ),
        (
            "sf2900-fordelingskomponent",
            "resources/sf2900/wsdl/context/DistributionService.wsdl".into(),
            true,
        ),
        (
            "sf2900-fordelingskomponent",
            "resources/sf2900/wsdl/token/DistributionService.wsdl".into(),
            true,
        ),
        (
            "sf1600-print-fjernprint",
            "resources/sf1600/wsdl/context/PrintService.wsdl".into(),
            false,
        ),
        (
            "sf1600-print-fjernprint",
            "resources/sf1600/wsdl/token/PrintService.wsdl".into(),
            false,
        ),
        (
            "sf1520-personbasedataextended-v4",
            "wsdl/context/PersonBaseDataExtendedService.wsdl".into(),
            true,
        ),
        (
            "sf1520-personbasedataextended-v4",
            "wsdl/token/PersonBaseDataExtendedService.wsdl".into(),
            true,
        ),
        ("sf1510-klasse-v7", "wsdl/KlasseService.wsdl".into(), true),
    ];
    let mut sf1500: Vec<String> = std::fs::read_dir(contracts().join("sf1500-organisation-v6/wsdl"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wsdl"))
        .collect();
    sf1500.sort();
    assert_eq!(sf1500.len(), 16);
    out.extend(
        sf1500
            .into_iter()
            .map(|n| ("sf1500-organisation-v6", format!("wsdl/{n}"), true)),
    );
    out
}

const AUTHORITY_CONTEXT: &str = r#"<ac:AuthorityContext xmlns:ac="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><ac:MunicipalityCVR>29189846</ac:MunicipalityCVR></ac:AuthorityContext>"#;

/// The request element with an AuthorityContext first inside it.
fn with_context(request: &str) -> String {
    let end = request.find('>').unwrap();
    if request[..end].ends_with('/') {
        let name = request[1..].split([' ', '/']).next().unwrap();
        return format!("{}>{AUTHORITY_CONTEXT}</{name}>", &request[..end - 1]);
    }
    format!("{}{AUTHORITY_CONTEXT}{}", &request[..=end], &request[end + 1..])
}

#[test]
fn every_operation_of_every_contract_answers_schema_valid_with_no_rules() {
    let served = served();
    let yaml: String = served
        .iter()
        .enumerate()
        .map(|(i, (folder, w, _))| format!("  - wsdl: {}\n    path: /c{i}\n", wsdl(folder, w)))
        .collect();
    let scenario = scenario_with(&yaml);
    assert_eq!(scenario.contracts.len(), served.len());
    let prepared = scenario.contracts.clone();
    let app = app(scenario, SecurityMode::Off);
    let mut answered = 0;
    let mut failures = Vec::new();
    for (i, ((folder, w, xmllint), p)) in served.iter().zip(&prepared).enumerate() {
        for op in &p.operations {
            let (Some(input), Some(output)) = (&op.input, &op.output) else {
                continue;
            };
            let set = &p.contract.schema;
            let id = set.global_element(input).unwrap();
            let skeleton = sfstub::engine::skeleton::build(set, id, &op.name, &Default::default()).unwrap();
            let mut request = Vec::new();
            template::render(
                &skeleton.pieces,
                &Scope {
                    now: sfstub::engine::values::check_instant(),
                    leaves: &sfstub::soap::xml::Leaves::default(),
                    lookup: None,
                },
                &mut request,
            );
            let mut request = String::from_utf8(request).unwrap();
            if matches!(p.generation, Generation::Serviceplatformen(_)) {
                request = with_context(&request);
            }
            let contract_op = &p.contract.operations()[op.index];
            let version = contract_op.soap.unwrap_or(SoapVersion::V12);
            let action = contract_op.soap_action.as_deref().filter(|a| !a.is_empty());
            let answer = post(&app, &format!("/c{i}"), version, action, "", &request);
            let what = format!("{folder}/{w} {}", op.name);
            if answer.status != 200 {
                failures.push(format!("{what}: HTTP {}: {}", answer.status, answer.xml));
                continue;
            }
            assert_valid(&p.contract, output, answer.body(), &what);
            if *xmllint {
                let decl = set.element(set.global_element(output).unwrap());
                let xsd = p.root.join(&decl.location.file);
                if let Err(messages) = crate::xmllint::validate(answer.body(), &xsd) {
                    failures.push(format!(
                        "{what}: xmllint refuses the answer: {messages}\n{}",
                        answer.body()
                    ));
                }
            }
            answered += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(answered >= 60, "{answered} operations answered");
}

#[test]
fn the_generations_are_read_from_the_contracts() {
    let served = served();
    let yaml: String = served
        .iter()
        .enumerate()
        .map(|(i, (folder, w, _))| format!("  - wsdl: {}\n    path: /c{i}\n", wsdl(folder, w)))
        .collect();
    let scenario = scenario_with(&yaml);
    let names: Vec<(String, &str)> = served
        .iter()
        .zip(&scenario.contracts)
        .map(|((folder, w, _), p)| (format!("{folder}/{w}"), p.generation.name()))
        .collect();
    for (contract, generation) in &names {
        let expected =
            if contract.starts_with("sf2900") || contract.starts_with("sf1600") || contract.starts_with("sf1520") {
                "Serviceplatformen"
            } else {
                "støttesystem v6"
            };
        assert_eq!(*generation, expected, "{contract}");
    }
    let sf1600 = &scenario.contracts[6];
    assert_eq!(
        sf1600.generation,
        Generation::Serviceplatformen(sfstub::services::serviceplatformen::Models {
            invocation_context: true
        })
    );
}

#[test]
fn serviceplatformen_contracts_answer_every_operation_in_the_token_model_too() {
    let contracts = [
        (
            "sf2900-fordelingskomponent",
            "resources/sf2900/wsdl/token/DistributionService.wsdl",
        ),
        (
            "sf1600-print-fjernprint",
            "resources/sf1600/wsdl/token/PrintService.wsdl",
        ),
    ];
    let yaml: String = contracts
        .iter()
        .enumerate()
        .map(|(i, (folder, w))| {
            format!(
                "  - wsdl: {}\n    path: /t{i}\n    entity_id: http://entityid.kombit.dk/service/t{i}/1\n",
                wsdl(folder, w)
            )
        })
        .collect();
    let scenario = scenario_with(&yaml);
    let prepared = scenario.contracts.clone();
    let app = app(scenario, SecurityMode::Token);
    let mut answered = 0;
    for (i, p) in prepared.iter().enumerate() {
        let assertion =
            crate::token::issue_token(&app, &format!("http://entityid.kombit.dk/service/t{i}/1"), "29189846");
        let header = format!(
            r#"<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">{assertion}</wsse:Security>"#
        );
        for op in &p.operations {
            let (Some(input), Some(output)) = (&op.input, &op.output) else {
                continue;
            };
            let set = &p.contract.schema;
            let skeleton =
                sfstub::engine::skeleton::build(set, set.global_element(input).unwrap(), &op.name, &Default::default())
                    .unwrap();
            let mut request = Vec::new();
            template::render(
                &skeleton.pieces,
                &Scope {
                    now: sfstub::engine::values::check_instant(),
                    leaves: &sfstub::soap::xml::Leaves::default(),
                    lookup: None,
                },
                &mut request,
            );
            let request = String::from_utf8(request).unwrap();
            let without = post(&app, &format!("/t{i}"), SoapVersion::V11, None, "", &request);
            assert_eq!(without.status, 500, "no token: {}", without.xml);
            assert!(
                without.xml.contains("<ErrorCode>TOKEN_REJECTED</ErrorCode>"),
                "{}",
                without.xml
            );
            let answer = post(&app, &format!("/t{i}"), SoapVersion::V11, None, &header, &request);
            assert_eq!(answer.status, 200, "{} {}: {}", p.title, op.name, answer.xml);
            assert!(answer.xml.contains("Signature"), "the answer to a token call is signed");
            assert_valid(&p.contract, output, answer.body(), &op.name);
            answered += 1;
        }
    }
    assert_eq!(answered, 6, "SF2900's four operations and SF1600's two");
}
