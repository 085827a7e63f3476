//! Golden request/response pairs for SF1472 KontrolsagListeHent, one per rule of
//! Udbetaling Danmark-loven § 11 a as PRODUCT.md §4 states it.
//!
//! Each pair lives in `fixtures/sf1472/NAME.request.xml` and `NAME.response.xml` and is served
//! by the world of `fixtures/scenarios/rules.yaml` (clock pinned to 2026-11-22). A test sends
//! the request through [`sfstub::http::handle`] (no socket), compares the response with the
//! golden file after parsing (namespaces and local names, not prefixes or whitespace), checks
//! what its rule says in the parsed response, and validates the response body against the XSD
//! sfstub publishes. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the response files.

mod contract;
mod harness;
mod schema;
mod tree;
#[path = "../support/xmllint.rs"]
mod xmllint;

use std::collections::BTreeSet;

use sfstub::world::{CaseStatus, Kontrolsag};

use harness::{app, exchange, fixtures, world_case_ids, world_cases};

const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const KONTEKST: &str = "http://kombit.dk/xml/schemas/kontekst/2017/01/01/";
const DEFAULT_NS: &str = "http://www.kombit.dk/int/2022/01/01/";
const ENDPOINT: &str = "/kontrolsaglistehent/1";

// The authorities and citizens of rules.yaml.
const UDK: &str = "14720006";
const AALBORG: &str = "29189420";
const AARHUS: &str = "55133018";
const METTE: &str = "1203842038";
const SOFIE: &str = "2307913014";

/// Every golden pair; `every_golden_pair_is_listed_and_complete` keeps this and the directory
/// in step.
const PAIRS: &[&str] = &[
    "municipality_sees_only_udk_cases",
    "municipality_cannot_search_another_municipality",
    "municipality_cannot_name_itself_as_target",
    "udk_sees_only_municipality_cases",
    "udk_naming_a_municipality_sees_only_its_cases",
    "udk_cannot_name_udk_as_target",
    "atp_is_neither_udk_nor_a_municipality",
    "unknown_authority_is_refused",
    "stk1_without_samtykkedato_is_refused",
    "stk1_with_samtykkedato_after_today_is_refused",
    "stk1_shows_open_cases_only_without_steps",
    "stk2_shows_steps_and_cases_henlagt_within_six_months",
    "decided_cases_are_never_returned",
    "ansoegningydelse_leaves_out_cases_on_that_benefit",
    "cpr_with_invalid_syntax_is_refused",
    "cpr_with_impossible_birth_date_is_refused",
    "cpr_with_hyphen_is_accepted",
    "missing_cpr_is_refused",
    "unknown_valid_cpr_gives_an_empty_list",
    "unknown_hjemmel_is_refused",
    "transaction_id_and_time_are_echoed",
    "soap11_request_is_answered_in_soap11",
    "custom_namespace_is_answered_in_that_namespace",
];

/// Requests that break the published schema on purpose: the stub must still answer them with
/// a business error, the way the platform does for clients that do not validate.
const SCHEMA_INVALID_REQUESTS: &[&str] = &[
    "cpr_with_invalid_syntax_is_refused",
    "missing_cpr_is_refused",
    "unknown_hjemmel_is_refused",
];

// --- who may see whose cases --------------------------------------------------------------

#[test]
fn municipality_sees_only_udk_cases() {
    let x = exchange("municipality_sees_only_udk_cases");
    x.assert_no_fejl();
    assert_eq!(x.distinct("AnsvarligMyndighed/Sektor"), BTreeSet::from(["UDK"]));
    assert_eq!(
        x.distinct("AnsvarligMyndighed/MyndighedCVRNummer"),
        BTreeSet::from([UDK])
    );
    assert!(
        !x.each("AnsvarligMyndighed/MyndighedCVRNummer").contains(&AARHUS),
        "not even the caller's own cases"
    );
    assert_eq!(
        x.kontrolsager().len(),
        4,
        "UDK's two open cases and two henlagt within the window"
    );
}

#[test]
fn municipality_cannot_search_another_municipality() {
    let x = exchange("municipality_cannot_search_another_municipality");
    x.assert_fejl(&[1006]);
    assert!(x.fejl_tekster()[0].contains("MyndighedCVRNummer") && x.fejl_tekster()[0].contains(AARHUS));
}

#[test]
fn municipality_cannot_name_itself_as_target() {
    let x = exchange("municipality_cannot_name_itself_as_target");
    x.assert_fejl(&[1006]);
    assert!(x.fejl_tekster()[0].contains(AALBORG));
}

#[test]
fn udk_sees_only_municipality_cases() {
    let x = exchange("udk_sees_only_municipality_cases");
    x.assert_no_fejl();
    assert_eq!(x.distinct("AnsvarligMyndighed/Sektor"), BTreeSet::from(["KOMMUNE"]));
    assert_eq!(
        x.distinct("AnsvarligMyndighed/Kommunekode"),
        BTreeSet::from(["0751", "0851"])
    );
    assert_eq!(
        x.kontrolsager().len(),
        4,
        "open and recently henlagt at Aalborg and at Aarhus"
    );
}

#[test]
fn udk_naming_a_municipality_sees_only_its_cases() {
    let x = exchange("udk_naming_a_municipality_sees_only_its_cases");
    x.assert_no_fejl();
    assert_eq!(
        x.distinct("AnsvarligMyndighed/MyndighedCVRNummer"),
        BTreeSet::from([AARHUS])
    );
    assert_eq!(x.distinct("AnsvarligMyndighed/Kommunekode"), BTreeSet::from(["0751"]));
    assert_eq!(x.kontrolsager().len(), 2);
}

#[test]
fn udk_cannot_name_udk_as_target() {
    let x = exchange("udk_cannot_name_udk_as_target");
    x.assert_fejl(&[1007]);
    assert!(x.fejl_tekster()[0].contains(UDK));
}

#[test]
fn atp_is_neither_udk_nor_a_municipality() {
    let x = exchange("atp_is_neither_udk_nor_a_municipality");
    x.assert_fejl(&[1009]);
    assert!(x.fejl_tekster()[0].contains("43405810"));
}

#[test]
fn unknown_authority_is_refused() {
    let x = exchange("unknown_authority_is_refused");
    x.assert_fejl(&[1009]);
    assert!(x.fejl_tekster()[0].contains("12345674"));
}

// --- stk. 1 and stk. 2 --------------------------------------------------------------------

#[test]
fn stk1_without_samtykkedato_is_refused() {
    let x = exchange("stk1_without_samtykkedato_is_refused");
    x.assert_fejl(&[1004]);
    assert!(x.fejl_tekster()[0].contains("SamtykkeDato"));
}

#[test]
fn stk1_with_samtykkedato_after_today_is_refused() {
    let x = exchange("stk1_with_samtykkedato_after_today_is_refused");
    x.assert_fejl(&[1005]);
    assert!(x.fejl_tekster()[0].contains("2026-11-23"));
}

#[test]
fn stk1_shows_open_cases_only_without_steps() {
    let x = exchange("stk1_shows_open_cases_only_without_steps");
    x.assert_no_fejl();
    assert_eq!(x.each("KontrolsagStatus"), ["AABEN", "AABEN"]);
    assert!(
        x.output().descendants("SagsskridtListe").is_empty(),
        "no steps under stk. 1"
    );
    assert!(
        x.output().descendants("HenlagtDato").is_empty(),
        "no henlagt cases under stk. 1"
    );
    assert_eq!(x.distinct("AnsvarligMyndighed/Sektor"), BTreeSet::from(["UDK"]));
}

#[test]
fn stk2_shows_steps_and_cases_henlagt_within_six_months() {
    let x = exchange("stk2_shows_steps_and_cases_henlagt_within_six_months");
    x.assert_no_fejl();
    assert_eq!(x.each("KontrolsagStatus"), ["AABEN", "AABEN", "HENLAGT", "HENLAGT"]);
    assert_eq!(
        x.each("HenlagtDato"),
        ["", "", "2026-09-22", "2026-05-22"],
        "2026-05-22 is the first day inside"
    );
    for k in x.kontrolsager() {
        assert!(
            k.child("SagsskridtListe").is_some_and(|l| !l.children.is_empty()),
            "every case here has steps"
        );
    }
    let shown: BTreeSet<&str> = x.each("KontrolsagIdentifikation").into_iter().collect();
    let udk = app().loaded().world.udk;
    let henlagt_at_udk = world_cases(METTE)
        .into_iter()
        .filter(|c| c.holder == udk && c.status == CaseStatus::Henlagt);
    let (inside, outside): (Vec<_>, Vec<_>) = henlagt_at_udk.partition(|c| shown.contains(c.id.to_string().as_str()));
    let dates = |cases: &[Kontrolsag]| {
        cases
            .iter()
            .filter_map(|c| c.closed)
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(dates(&inside), ["2026-09-22", "2026-05-22"]);
    assert_eq!(
        dates(&outside),
        ["2026-05-21"],
        "henlagt on 2026-05-21, the last day outside the window"
    );
}

#[test]
fn decided_cases_are_never_returned() {
    let x = exchange("decided_cases_are_never_returned");
    x.assert_no_fejl();
    let decided = world_case_ids(SOFIE, CaseStatus::Afgjort);
    assert_eq!(decided.len(), 2, "Sofie has two decided UDK cases, decided a week ago");
    let shown: BTreeSet<String> = x
        .each("KontrolsagIdentifikation")
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(shown, world_case_ids(SOFIE, CaseStatus::Aaben), "only the open case");
    assert!(shown.is_disjoint(&decided));
}

#[test]
fn ansoegningydelse_leaves_out_cases_on_that_benefit() {
    let x = exchange("ansoegningydelse_leaves_out_cases_on_that_benefit");
    x.assert_no_fejl();
    assert_eq!(
        x.each("Ydelse/KlasseBrugervendtNoegle"),
        ["BOLIGSTOETTE"],
        "the open BOERNETILSKUD case is left out"
    );
}

// --- the search criteria ------------------------------------------------------------------

#[test]
fn cpr_with_invalid_syntax_is_refused() {
    let x = exchange("cpr_with_invalid_syntax_is_refused");
    x.assert_fejl(&[1002]);
    assert!(x.fejl_tekster()[0].contains("12O3842038"));
}

#[test]
fn cpr_with_impossible_birth_date_is_refused() {
    let x = exchange("cpr_with_impossible_birth_date_is_refused");
    x.assert_fejl(&[1002]);
    assert!(x.fejl_tekster()[0].contains("3002842006"), "30 February");
}

#[test]
fn cpr_with_hyphen_is_accepted() {
    let x = exchange("cpr_with_hyphen_is_accepted");
    x.assert_no_fejl();
    assert_eq!(
        x.each("AnsvarligMyndighed/Kommunekode"),
        ["0851", "0751"],
        "Mette's open municipal cases"
    );
    assert!(x.output().descendants("SagsskridtListe").is_empty(), "stk. 1");
}

#[test]
fn missing_cpr_is_refused() {
    let x = exchange("missing_cpr_is_refused");
    x.assert_fejl(&[1001]);
    assert!(x.fejl_tekster()[0].contains("PersonCPRNummer"));
}

#[test]
fn unknown_valid_cpr_gives_an_empty_list() {
    let x = exchange("unknown_valid_cpr_gives_an_empty_list");
    x.assert_no_fejl();
    assert!(x.kontrolsager().is_empty());
}

#[test]
fn unknown_hjemmel_is_refused() {
    let x = exchange("unknown_hjemmel_is_refused");
    x.assert_fejl(&[1003]);
    assert!(x.fejl_tekster()[0].contains("UDBL_11A_STK3"));
}

// --- the envelope -------------------------------------------------------------------------

#[test]
fn transaction_id_and_time_are_echoed() {
    let x = exchange("transaction_id_and_time_are_echoed");
    assert_eq!(
        x.output().text_at("HovedOplysningerSvar/TransaktionsId"),
        Some("Sag 2026/4711 & ærø")
    );
    assert_eq!(
        x.output().text_at("HovedOplysningerSvar/TransaktionsTid"),
        Some("2026-11-22T12:58:03.4170000+01:00")
    );
}

#[test]
fn soap11_request_is_answered_in_soap11() {
    let x = exchange("soap11_request_is_answered_in_soap11");
    assert_eq!(x.response.namespace.as_deref(), Some(SOAP11));
    assert_eq!(
        x.response.child("Body").and_then(|b| b.namespace.as_deref()),
        Some(SOAP11)
    );
    assert!(
        x.content_type.starts_with("text/xml"),
        "SOAP 1.1 content type, got {}",
        x.content_type
    );
    assert_eq!(x.output().namespace.as_deref(), Some(DEFAULT_NS));
    x.assert_no_fejl();
}

#[test]
fn custom_namespace_is_answered_in_that_namespace() {
    let x = exchange("custom_namespace_is_answered_in_that_namespace");
    let custom = x
        .request
        .at("Body/KontrolsagListeHent_I")
        .and_then(|n| n.namespace.clone());
    assert_ne!(custom.as_deref(), Some(DEFAULT_NS));
    assert_eq!(x.response.namespace.as_deref(), Some(SOAP12));
    assert!(x.content_type.starts_with("application/soap+xml"));
    assert_eq!(x.output().namespace, custom);
    for k in x.output().descendants("Kontrolsag") {
        assert_eq!(k.namespace, custom);
        assert_eq!(
            k.at("AnsvarligMyndighed/Sektor").and_then(|s| s.namespace.clone()),
            custom
        );
    }
    assert_eq!(
        x.distinct("AnsvarligMyndighed/MyndighedCVRNummer"),
        BTreeSet::from([AALBORG])
    );
}

// --- the fixtures themselves --------------------------------------------------------------

#[test]
fn every_golden_pair_is_listed_and_complete() {
    let mut requests = BTreeSet::new();
    for entry in std::fs::read_dir(fixtures().join("sf1472")).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        if let Some(name) = file.strip_suffix(".request.xml") {
            requests.insert(name.to_owned());
        } else {
            let name = file
                .strip_suffix(".response.xml")
                .unwrap_or_else(|| panic!("unexpected file fixtures/sf1472/{file}"));
            assert!(PAIRS.contains(&name), "fixtures/sf1472/{file} has no request in PAIRS");
        }
    }
    let listed: BTreeSet<String> = PAIRS.iter().map(|s| s.to_string()).collect();
    assert_eq!(requests, listed, "fixtures/sf1472/*.request.xml and PAIRS differ");
    for name in PAIRS {
        let response = fixtures().join(format!("sf1472/{name}.response.xml"));
        assert!(
            response.is_file(),
            "{} is missing; run `UPDATE_GOLDEN=1 cargo test --test golden`",
            response.display()
        );
    }
}

#[test]
fn golden_requests_follow_the_published_schema_unless_they_test_its_violation() {
    for name in PAIRS {
        let path = fixtures().join(format!("sf1472/{name}.request.xml"));
        let request = tree::parse(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let input = request
            .at("Body/KontrolsagListeHent_I")
            .expect("the request body holds KontrolsagListeHent_I");
        let xsd = schema::schema_dir(input.namespace.as_deref().unwrap()).join(schema::MAIN_XSD);
        let document = request.extract("Body/KontrolsagListeHent_I").unwrap();
        let result = schema::validate(&document, &xsd);
        if SCHEMA_INVALID_REQUESTS.contains(name) {
            assert!(result.is_err(), "{name} is meant to break the schema, but validates");
        } else if let Err(messages) = result {
            panic!(
                "{name}: the request is not valid against {}:\n{messages}",
                xsd.display()
            );
        }
    }
}

/// The law is "Udbetaling Danmark-loven": the name is capitalised wherever a FejlTekst cites it.
#[test]
fn fejltekst_names_the_law_with_capitals() {
    let mut cited = 0;
    for name in PAIRS {
        for tekst in exchange(name).fejl_tekster() {
            assert!(!tekst.contains("udbetaling danmark"), "{name}: {tekst}");
            if tekst.contains("§ 11 a") {
                assert!(tekst.contains("Udbetaling Danmark-lovens § 11 a"), "{name}: {tekst}");
                cited += 1;
            }
        }
    }
    assert!(cited >= 3, "the pairs cite the law in {cited} FejlTekst(er)");
}
