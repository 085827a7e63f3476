//! SF1520 CPR replika opslag (PersonBaseDataExtended `PersonLookup`, v4 and v5): the citizen
//! as the world has them, relations that resolve, the context and token models, faults — and
//! every response validated with xmllint against KOMBIT's published v4 schemas.

mod faults;
mod helpers;
mod schema;
mod security;
#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;
#[path = "../support/xmllint.rs"]
mod xmllint;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use helpers::*;
use schema::{assert_request_valid, assert_response_valid, assert_responses_valid};

#[test]
fn context_lookup_returns_the_worlds_citizen() {
    let app = app(SecurityMode::Off);
    let request = lookup(NAMESPACE_V4, Ctx::Authority(KOEBENHAVN), Some(JENS));
    assert_request_valid("AuthorityContext request", &request);
    let (status, xml) = post(&app, PATH_V4, &envelope(SoapVersion::V11, &request));
    assert_eq!(status, 200, "{xml}");
    assert_response_valid("Jens Kjær Jensen", &xml);
    let d = Doc::parse(&xml);
    assert_eq!(d.body_namespace().as_deref(), Some(NAMESPACE_V4));
    let at = |p: &str| d.at(p).unwrap_or_else(|| panic!("no {p} in {xml}"));
    assert_eq!(at("persondata/personnummer"), JENS);
    assert_eq!(at("navn/personadresseringsnavn"), "Jens Kjær Jensen");
    assert_eq!(at("navn/fornavn"), "Jens Kjær");
    assert_eq!(at("navn/efternavn"), "Jensen");
    assert_eq!(
        at("foedselsdato/dato"),
        "1980-07-15+02:00",
        "the CPR's birth date, Danish summer time"
    );
    assert_eq!(at("persondata/koen"), "M", "odd last digit");
    assert_eq!(at("persondata/alder"), "46", "at the pinned clock 2026-11-22");
    assert_eq!(at("persondata/status/status"), "1");
    assert_eq!(at("statsborgerskab/landekode"), "5100", "Danish citizen");
    for protection in [
        "adressebeskyttelse",
        "vejviserbeskyttelse",
        "markedsfoeringsbeskyttelse",
    ] {
        assert_eq!(at(&format!("{protection}/beskyttet")), "false");
    }
    // The address is in the citizen's municipality of the world: København, CVR 64942212.
    assert_eq!(at("aktuelAdresse/kommunekode"), "0101");
    assert_eq!(at("aktuelAdresse/kommuneCvr"), KOEBENHAVN);
    assert_eq!(at("aktuelAdresse/postnummer"), "1550");
    assert_eq!(at("aktuelAdresse/postdistrikt"), "København V");
    let standard = at("aktuelAdresse/standardadresse");
    assert!(standard.starts_with(&at("aktuelAdresse/vejnavn")), "{standard}");
    assert!(d.all("notater").is_empty());
}

/// Every citizen of the world, looked up on v4: `(cpr, response)`.
fn everyone(app: &App) -> Vec<(String, String)> {
    app.loaded()
        .world
        .citizens
        .iter()
        .map(|c| {
            let cpr = c.cpr.to_string();
            let (status, xml) = post(app, PATH_V4, &context_request(Ctx::Authority(AALBORG), &cpr));
            assert_eq!(status, 200, "{cpr}: {xml}");
            (cpr, xml)
        })
        .collect()
}

#[test]
fn every_citizen_is_answered_as_the_world_has_them_and_valid() {
    let app = app(SecurityMode::Off);
    let world = &app.loaded().world;
    let responses = everyone(&app);
    assert_eq!(responses.len(), world.citizens.len());
    assert_responses_valid(&responses);
    for (citizen, (_, xml)) in world.citizens.iter().zip(&responses) {
        let d = Doc::parse(xml);
        let at = |p: &str| d.at(p).unwrap_or_else(|| panic!("no {p} in {xml}"));
        let home = world.authority(citizen.kommune);
        assert_eq!(at("persondata/personnummer"), citizen.cpr.to_string());
        assert_eq!(at("navn/fornavn"), citizen.first_name);
        assert_eq!(at("navn/efternavn"), citizen.last_name);
        assert_eq!(at("navn/personadresseringsnavn"), citizen.name());
        assert_eq!(at("persondata/koen"), if citizen.cpr.is_female() { "K" } else { "M" });
        let born = citizen.cpr.birth_date().unwrap();
        assert!(at("foedselsdato/dato").starts_with(&born.to_string()), "{xml}");
        assert_eq!(Some(at("aktuelAdresse/kommunekode")), home.kommunekode);
        assert_eq!(at("aktuelAdresse/kommuneCvr"), home.cvr.to_string());
        let postnummer = at("aktuelAdresse/postnummer");
        assert!(
            postnummer.len() == 4 && postnummer.bytes().all(|b| b.is_ascii_digit()),
            "{xml}"
        );
        let civilstand = at("civilstand/civilstand");
        assert!(["U", "G", "F", "E"].contains(&civilstand.as_str()), "{xml}");
        assert_eq!(
            civilstand == "G",
            !d.relations("aegtefaelle").is_empty(),
            "married means a spouse: {xml}"
        );
    }
}

/// Age in whole years on `on` from an `xs:date` with offset.
fn born(d: &Doc) -> NaiveDate {
    let text = d.at("foedselsdato/dato").unwrap();
    NaiveDate::parse_from_str(&text[..10], "%Y-%m-%d").unwrap()
}

#[test]
fn relations_are_symmetric_and_every_relative_resolves() {
    let app = app(SecurityMode::Off);
    let docs: HashMap<String, Doc> = everyone(&app)
        .into_iter()
        .map(|(cpr, xml)| (cpr, Doc::parse(&xml)))
        .collect();
    let (mut spouses, mut mothers, mut fathers) = (0, 0, 0);
    for (cpr, d) in &docs {
        let resolve = |other: &str| {
            docs.get(other)
                .unwrap_or_else(|| panic!("{cpr}'s relative {other} does not resolve"))
        };
        for s in d.relations("aegtefaelle") {
            spouses += 1;
            let spouse = resolve(&s);
            assert_eq!(spouse.relations("aegtefaelle"), vec![cpr.clone()], "marriage is mutual");
            assert_eq!(
                d.at("civilstand/civilstandsdato/dato"),
                spouse.at("civilstand/civilstandsdato/dato")
            );
            assert_eq!(
                d.at("aktuelAdresse/standardadresse"),
                spouse.at("aktuelAdresse/standardadresse"),
                "spouses live together"
            );
            assert_eq!(
                d.at("aktuelAdresse/kommunekode"),
                spouse.at("aktuelAdresse/kommunekode")
            );
            let parents = |x: &Doc| [x.relations("mor"), x.relations("far")].concat();
            assert!(
                parents(d).iter().all(|p| !parents(spouse).contains(p)),
                "{cpr} married a sibling"
            );
        }
        for (element, sex) in [("mor", "K"), ("far", "M")] {
            for p in d.relations(element) {
                if element == "mor" {
                    mothers += 1
                } else {
                    fathers += 1
                }
                let parent = resolve(&p);
                assert_eq!(parent.at("persondata/koen").as_deref(), Some(sex), "{element} of {cpr}");
                assert!(
                    parent.relations("barn").contains(cpr),
                    "{p} does not list {cpr} as a child"
                );
                let gap = born(d).year() - born(parent).year();
                assert!(
                    (18..=50).contains(&gap),
                    "{p} is {gap} years older than the child {cpr}"
                );
            }
        }
        for child in d.relations("barn") {
            let c = resolve(&child);
            let mine = [c.relations("mor"), c.relations("far")].concat();
            assert!(mine.contains(cpr), "{child} names neither parent {cpr}");
        }
    }
    assert!(spouses > 200, "only {spouses} married people among {}", docs.len());
    assert!(mothers > 200 && fathers > 100, "{mothers} mothers, {fathers} fathers");
}

#[test]
fn minors_count_as_children_under_18_and_live_with_a_parent_under_custody() {
    let mut yaml = String::from(
        "name: minors\nseed: 1520\nclock: 2026-11-22T12:00:00Z\npopulation:\n  citizens: 2000\n  with_cases: 0\npersons:\n",
    );
    let minors = [
        "0103154001",
        "1204124012",
        "2308164023",
        "0511184034",
        "1702114045",
        "3009134056",
        "0101174067",
        "1506194078",
        "2812104089",
        "0907154090",
        "1410164101",
        "2202184112",
    ];
    for (i, cpr) in minors.iter().enumerate() {
        let kommune = ["0751", "0851", "0101", "0461"][i % 4];
        yaml.push_str(&format!("  - cpr: \"{cpr}\"\n    kommune: \"{kommune}\"\n"));
    }
    let app = app_from(&yaml);
    let fetch = |cpr: &str| {
        let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::Authority(AALBORG), cpr));
        assert_eq!(status, 200, "{xml}");
        xml
    };
    let mut responses = Vec::new();
    let mut with_mother = 0;
    for cpr in minors {
        let xml = fetch(cpr);
        let d = Doc::parse(&xml);
        assert!(d.relations("aegtefaelle").is_empty(), "a child is not married");
        assert_eq!(d.at("civilstand/civilstand").as_deref(), Some("U"));
        let custody: Vec<String> = d
            .all("foraeldremyndighedtype")
            .into_iter()
            .map(|n| d.tree.text(n))
            .collect();
        for (element, kind) in [("mor", "3"), ("far", "4")] {
            let Some(parent) = d.relations(element).pop() else {
                continue;
            };
            assert!(
                custody.contains(&kind.to_owned()),
                "{cpr}: no custody of type {kind}: {xml}"
            );
            let parent_xml = fetch(&parent);
            let p = Doc::parse(&parent_xml);
            let under_18: u32 = p.at("persondata/antalBoernUnder18").unwrap().parse().unwrap();
            assert!(
                under_18 >= 1,
                "{parent} has the minor {cpr} but counts no children under 18"
            );
            if p.at("aktuelAdresse/kommunekode") == d.at("aktuelAdresse/kommunekode") && element == "mor" {
                assert_eq!(
                    p.at("aktuelAdresse/standardadresse"),
                    d.at("aktuelAdresse/standardadresse")
                );
            }
            if element == "mor" {
                with_mother += 1;
            }
            responses.push((parent, parent_xml));
        }
        responses.push((cpr.to_owned(), xml));
    }
    assert!(with_mother >= 3, "only {with_mother} of the minors have a mother");
    assert_responses_valid(&responses);
}

#[test]
fn the_register_is_the_same_on_every_load() {
    let (a, b) = (app(SecurityMode::Off), app(SecurityMode::Off));
    for cpr in [JENS, HANNE, IDA] {
        let request = context_request(Ctx::Authority(KOEBENHAVN), cpr);
        let first = post(&a, PATH_V4, &request);
        assert_eq!(first, post(&b, PATH_V4, &request));
        assert_response_valid(cpr, &first.1);
    }
}

/// `xml` without what depends on the day of the call: the age, the count of minors and custody.
fn without_todays_facts(xml: &str) -> String {
    let mut out = xml.to_owned();
    for tag in ["alder", "antalBoernUnder18", "foraeldremyndighed"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        while let Some(start) = out.find(&open) {
            let end = out[start..].find(&close).expect("a closed element") + start + close.len();
            out.replace_range(start..end, "");
        }
    }
    out
}

#[test]
fn the_register_is_the_same_at_every_clock() {
    let at = |clock: &str| {
        let clock = sfstub::scenario::parse_clock(clock).unwrap();
        let scenario =
            sfstub::scenario::Scenario::parse(sfstub::scenario::DEFAULT_SCENARIO, "default", Some(clock)).unwrap();
        App::new(scenario, sfstub::app::Limits::default())
    };
    let (now, later) = (at(world::CLOCK), at("2027-12-02T12:00:00Z"));
    let (a, b) = (everyone(&now), everyone(&later));
    assert_eq!(a.len(), b.len());
    let mut ages_moved = 0;
    for ((cpr, x), (_, y)) in a.iter().zip(&b) {
        assert_eq!(without_todays_facts(x), without_todays_facts(y), "{cpr}");
        ages_moved += usize::from(Doc::parse(x).at("persondata/alder") != Doc::parse(y).at("persondata/alder"));
    }
    assert!(
        ages_moved > a.len() / 2,
        "a year later most are a year older ({ages_moved})"
    );
}

#[test]
fn v5_answers_in_its_own_namespace() {
    let app = app(SecurityMode::Off);
    let request = lookup(NAMESPACE_V5, Ctx::Authority(KOEBENHAVN), Some(HANNE));
    assert_request_valid("v5 request", &request);
    let (status, xml) = post(&app, PATH_V5, &envelope(SoapVersion::V11, &request));
    assert_eq!(status, 200, "{xml}");
    assert_eq!(Doc::parse(&xml).body_namespace().as_deref(), Some(NAMESPACE_V5));
    assert_response_valid("v5 response", &xml);
    // A client generated from the v4 contract may call /5: it is answered in v4's namespace.
    let (_, xml) = post(&app, PATH_V5, &context_request(Ctx::Authority(KOEBENHAVN), HANNE));
    assert_eq!(Doc::parse(&xml).body_namespace().as_deref(), Some(NAMESPACE_V4));
    assert_response_valid("v4 request on /5", &xml);
    // A request in no namespace is answered in the endpoint's.
    let bare = lookup("urn:x", Ctx::Authority(KOEBENHAVN), Some(HANNE))
        .replace(r#" xmlns:tns="urn:x""#, "")
        .replace("tns:PersonLookupRequest", "PersonLookupRequest");
    let (_, xml) = post(&app, PATH_V5, &envelope(SoapVersion::V11, &bare));
    assert_eq!(Doc::parse(&xml).body_namespace().as_deref(), Some(NAMESPACE_V5));
    assert_response_valid("v5 response to a request without namespace", &xml);
}

#[test]
fn soap12_request_is_answered_in_soap12() {
    let app = app(SecurityMode::Off);
    let request = envelope(
        SoapVersion::V12,
        &lookup(NAMESPACE_V4, Ctx::Authority(KOEBENHAVN), Some(IDA)),
    );
    let (status, xml) = post(&app, PATH_V4, &request);
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains(SOAP12), "{xml}");
    assert_eq!(
        Doc::parse(&xml).at("navn/personadresseringsnavn").as_deref(),
        Some("Ida Sørensen")
    );
    assert_response_valid("SOAP 1.2 response", &xml);
}

#[test]
fn the_readme_request_works_as_pasted() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme
        .find("## SF1520 CPR replika opslag")
        .expect("README has the SF1520 section")..];
    let start = section
        .find("--data-binary @- <<'EOF'\n")
        .expect("the SF1520 section has a curl example");
    let rest = &section[start..];
    let body = &rest[rest.find('\n').unwrap() + 1..];
    let body = &body[..body.find("\nEOF\n").unwrap()];
    let url =
        &section[section.find("curl -s http://127.0.0.1:8080").unwrap() + "curl -s http://127.0.0.1:8080".len()..];
    let path = url.split_whitespace().next().unwrap();
    assert_eq!(path, PATH_V4);
    let (status, xml) = post(&app(SecurityMode::Off), path, body);
    assert_eq!(status, 200, "{xml}");
    let d = Doc::parse(&xml);
    assert_eq!(d.at("persondata/personnummer").as_deref(), Some(JENS));
    for shown in [
        "<personadresseringsnavn>Jens Kjær Jensen</personadresseringsnavn>",
        "<kommuneCvr>64942212</kommuneCvr>",
    ] {
        assert!(section.contains(shown) && xml.contains(shown), "{shown}");
    }
    assert_response_valid("README example", &xml);
}

#[test]
fn the_official_contract_is_shipped_and_a_vendors_folder_replaces_it() {
    let get = |app: &App, query: &str| {
        let request = http::Request::get(format!("{PATH_V4}?{query}"))
            .header("Host", "127.0.0.1:8080")
            .body(bytes::Bytes::new())
            .unwrap();
        let response = sfstub::http::handle(app, request);
        (
            response.status().as_u16(),
            String::from_utf8(response.body().to_vec()).unwrap(),
        )
    };
    let mut app = app(SecurityMode::Off);
    let (status, text) = get(&app, "wsdl");
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains("PersonLookup") && text.contains("?file=sf1520-personbasedataextended-v4/"),
        "the shipped copy: {text}"
    );
    let folder = schema::contracts().join("sf1520-personbasedataextended-v4");
    app.contracts = Some(sfstub::contracts::ContractDir::open(&folder).unwrap());
    let (status, wsdl) = get(&app, "wsdl");
    assert_eq!(status, 200, "{wsdl}");
    assert!(wsdl.contains("PersonLookup"), "{wsdl}");
    assert!(
        wsdl.contains("?file=wsdl/context/policies.wsdl"),
        "the vendor's copy: {wsdl}"
    );
    assert!(
        wsdl.contains("127.0.0.1:8080/service/CPR/PersonBaseDataExtended/4\"")
            && !wsdl.contains("https://localhost:8080"),
        "the endpoint address is rewritten to sfstub's: {wsdl}"
    );
}
