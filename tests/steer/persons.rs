//! Persons added through the admin API: served by every service at once, with identifiers
//! that agree; refused with the field named when invalid; bounded; reset.

use serde_json::{Value, json};
use sfstub::services::sf1500_organisation::{Objekt, REQUEST_HEADER_NS, SAGDOK_NS};
use sfstub::services::sf1510_klassifikation::klasse::KLASSE_NS;

use crate::harness::*;
use crate::person_lookup;

const ANNA: &str = "0101901234";

fn anna() -> String {
    format!(
        r#"{{"cpr": "{ANNA}", "name": "Anna Testesen", "kommune": "0851", "cases": [
            {{"holder": "UDK", "theme": "SAMLIV", "benefit": "BOERNETILSKUD", "status": "AABEN", "opened": "-30d",
              "steps": [{{"type": "SAG_OPRETTET", "at": "-30d"}}]}},
            {{"holder": "0101", "theme": "INDTAEGT", "benefit": "KONTANTHJAELP", "status": "HENLAGT", "opened": "-90d", "closed": "-60d"}}
        ]}}"#
    )
}

fn add(s: &Server, body: &str) -> Answer {
    s.post("/__sfstub/persons", &[("Content-Type", "application/json")], body)
}

fn stoette(objekt: Objekt, uuid: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><rh:RequestHeader xmlns:rh="{REQUEST_HEADER_NS}"><rh:TransactionUUID>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</rh:TransactionUUID></rh:RequestHeader></soap:Header><soap:Body><o:LaesInput xmlns:o="{}" xmlns:sd="{SAGDOK_NS}"><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></o:LaesInput></soap:Body></soap:Envelope>"#,
        objekt.namespace()
    )
}

fn klasse(uuid: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><rh:RequestHeader xmlns:rh="{REQUEST_HEADER_NS}"><rh:TransactionUUID>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</rh:TransactionUUID></rh:RequestHeader></soap:Header><soap:Body><k:LaesInput xmlns:k="{KLASSE_NS}" xmlns:sd="{SAGDOK_NS}"><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></k:LaesInput></soap:Body></soap:Envelope>"#
    )
}

#[test]
fn an_added_person_is_served_by_every_service_with_identifiers_that_agree() {
    let s = serve_default();
    assert_eq!(s.get(&format!("/__sfstub/persons/{ANNA}")).status, 404);
    let a = add(&s, &anna());
    assert_eq!(a.status, 201, "{}", a.text());
    assert_eq!(a.json()["added"], json!([ANNA]));
    // SF1472: Aalborg sees UDK's open case; UDK sees the municipality's henlagt case (stk. 2).
    let xml = s.soap12("/kontrolsaglistehent/1", &kontrolsag(AALBORG, ANNA)).text();
    assert_eq!(xml.matches("<Kontrolsag>").count(), 1, "{xml}");
    assert!(
        xml.contains("<MyndighedCVRNummer>14720006</MyndighedCVRNummer>"),
        "{xml}"
    );
    let udk = s.soap12("/kontrolsaglistehent/1", &kontrolsag(UDK, ANNA)).text();
    assert!(udk.contains("<KontrolsagStatus>HENLAGT</KontrolsagStatus>"), "{udk}");
    // SF1520: the person, by name.
    let cpr = s.post(
        "/service/CPR/PersonBaseDataExtended/4",
        &[("Content-Type", "text/xml")],
        &person_lookup(ANNA),
    );
    assert_eq!(cpr.status, 200, "{}", cpr.text());
    assert!(
        cpr.text()
            .contains("<fornavn>Anna</fornavn><efternavn>Testesen</efternavn>"),
        "{}",
        cpr.text()
    );
    assert!(cpr.text().contains("<kommunekode>0851</kommunekode>"), "{}", cpr.text());
    // The admin view names what SF1500 and SF1510 give the case's holder, theme and benefit.
    let person: Value = s.get(&format!("/__sfstub/persons/{ANNA}")).json();
    assert_eq!(person["origin"], "added");
    let case = &person["cases"][0];
    let holder = case["holder_sf1500_virksomhed"].as_str().unwrap();
    let theme = case["theme_sf1510_klasse"].as_str().unwrap();
    assert!(
        xml.contains(&format!("<KlasseIdentifikation>{theme}</KlasseIdentifikation>")),
        "{xml}"
    );
    assert!(xml.contains(&format!(
        "<KontrolsagIdentifikation>{}</KontrolsagIdentifikation>",
        case["id"].as_str().unwrap()
    )));
    let org = s
        .soap12("/organisation/virksomhed/6", &stoette(Objekt::Virksomhed, holder))
        .text();
    assert!(
        org.contains("<sd:StatusKode>20</sd:StatusKode>") || org.contains("StatusKode>20<"),
        "{org}"
    );
    assert!(org.contains("14720006"), "SF1500 names UDK's CVR: {org}");
    let k = s.soap12("/klasse/7", &klasse(theme)).text();
    assert!(k.contains("StatusKode>20<") && k.contains("SAMLIV"), "{k}");
    // Listed among the added.
    let list = s.get("/__sfstub/persons").json();
    assert_eq!(list["persons"][0]["cpr"], ANNA);
}

#[test]
fn adding_a_person_changes_no_citizen_of_the_scenario() {
    let s = serve_default();
    let before = s
        .post(
            "/service/CPR/PersonBaseDataExtended/4",
            &[("Content-Type", "text/xml")],
            &person_lookup(JENS),
        )
        .text();
    let generated = s.get("/__sfstub/persons/1507804329").json();
    // Many persons, in Jens's municipality too.
    let many: Vec<String> = (1..=40)
        .map(|i| {
            format!(
                r#"{{"cpr": "{:02}0190{:04}", "kommune": "0101"}}"#,
                (i % 28) + 1,
                1000 + i
            )
        })
        .collect();
    let a = add(&s, &format!("[{}]", many.join(",")));
    assert_eq!(a.status, 201, "{}", a.text());
    let after = s
        .post(
            "/service/CPR/PersonBaseDataExtended/4",
            &[("Content-Type", "text/xml")],
            &person_lookup(JENS),
        )
        .text();
    assert_eq!(before, after, "Jens's record (spouse, children, address) is the same");
    assert_eq!(generated, s.get("/__sfstub/persons/1507804329").json());
}

#[test]
fn an_invalid_person_is_refused_with_the_field_named_and_nothing_changes() {
    let s = serve_default();
    assert_eq!(add(&s, &anna()).status, 201);
    for (body, field) in [
        (r#"{"cpr": "3213901234", "kommune": "0101"}"#.to_owned(), "cpr"),
        (r#"{"cpr": "0201901234", "kommune": "9999"}"#.to_owned(), "kommune"),
        (r#"{"cpr": "0201901234"}"#.to_owned(), "kommune"),
        (r#"{"cpr": "0201901234", "kommune": "0101", "age": 3}"#.to_owned(), "age"),
        (
            r#"[{"cpr": "0201901234", "kommune": "0101"}, {"cpr": "0301901234", "kommune": "0101", "cases": [{"holder": "UDK", "theme": "SAMLIV", "benefit": "KONTANTHJAELP", "status": "AABEN", "opened": "-1d"}]}]"#.to_owned(),
            "[1].cases[0].benefit",
        ),
        (
            r#"{"persons": [{"cpr": "0201901234", "kommune": "0101"}, {"cpr": "0201901234", "kommune": "0101"}]}"#.to_owned(),
            "persons[1].cpr",
        ),
        // Texts the services write into their answers: no character XML 1.0 does not allow.
        (
            r#"{"cpr": "0201901234", "kommune": "0101", "name": "Anna\u0001 Berg"}"#.to_owned(),
            "name",
        ),
        (
            r#"{"cpr": "0201901234", "kommune": "0101", "address": {"street": "Vej\uFFFF", "number": 1}}"#.to_owned(),
            "address.street",
        ),
        (
            r#"{"cpr": "0201901234", "kommune": "0101", "address": {"street": "Vej", "number": 1, "door": "\u001b"}}"#.to_owned(),
            "address.door",
        ),
        (
            r#"{"cpr": "0201901234", "kommune": "0101", "address": {"street": "Vej", "number": 1, "postcode": "8000", "town": "Aarhus\u0000"}}"#.to_owned(),
            "address.town",
        ),
    ] {
        let a = add(&s, &body);
        assert_eq!(a.status, 400, "{body}: {}", a.text());
        assert_eq!(a.json()["field"], field, "{body}: {}", a.text());
        assert!(!a.json()["problems"].as_array().unwrap().is_empty());
    }
    // YAML with a position.
    let a = s.post("/__sfstub/persons", &[("Content-Type", "application/yaml")], "persons:\n  - cpr: \"0201901234\"\n    kommune: \"0101\"\n    cases:\n      - holder: UDK\n        theme: NOPE\n        benefit: BOERNETILSKUD\n        status: AABEN\n        opened: -1d\n");
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["problems"][0]["field"], "persons[0].cases[0].theme");
    assert_eq!(a.json()["problems"][0]["line"], 6);
    // Still only Anna.
    let list = s.get("/__sfstub/persons").json();
    assert_eq!(list["persons"].as_array().unwrap().len(), 1);
    assert_eq!(s.get("/__sfstub/persons/0201901234").status, 404);
}

#[test]
fn a_citizen_of_the_scenario_cannot_be_added_again_but_an_added_person_is_replaced() {
    let s = serve_default();
    let a = add(&s, &format!(r#"{{"cpr": "{JENS}", "kommune": "0101"}}"#));
    assert_eq!(a.status, 409, "{}", a.text());
    assert_eq!(a.json()["field"], "cpr");
    assert_eq!(add(&s, &anna()).status, 201);
    let again = add(
        &s,
        &format!(r#"{{"cpr": "{ANNA}", "name": "Anna Andersen", "kommune": "0101"}}"#),
    );
    assert_eq!(again.status, 201);
    assert_eq!(again.json()["replaced"], json!([ANNA]));
    let person = s.get(&format!("/__sfstub/persons/{ANNA}")).json();
    assert_eq!(person["name"], "Anna Andersen");
    assert_eq!(person["cases"].as_array().unwrap().len(), 0);
    assert_eq!(s.delete(&format!("/__sfstub/persons/{ANNA}")).status, 200);
    assert_eq!(s.get(&format!("/__sfstub/persons/{ANNA}")).status, 404);
    assert_eq!(
        s.delete(&format!("/__sfstub/persons/{JENS}")).status,
        404,
        "the scenario's stay"
    );
}

#[test]
fn the_added_world_is_bounded() {
    let s = serve_default();
    let persons: Vec<String> = (0..1001)
        .map(|i| {
            format!(
                r#"{{"cpr": "{:02}{:02}70{:04}", "kommune": "0101"}}"#,
                i % 28 + 1,
                i / 28 % 12 + 1,
                2000 + i
            )
        })
        .collect();
    let a = add(&s, &format!("[{}]", persons.join(",")));
    assert_eq!(a.status, 409, "{}", a.text());
    assert!(
        a.json()["error"].as_str().unwrap().contains("at most 1000"),
        "{}",
        a.text()
    );
    assert_eq!(
        s.get("/__sfstub/persons").json()["persons"].as_array().unwrap().len(),
        0
    );
}

#[test]
fn reset_returns_to_the_scenario_as_loaded_and_each_part_can_be_reset_alone() {
    let s = serve_default();
    assert_eq!(add(&s, &anna()).status, 201);
    s.rule(r#"{"match": {"service": "SF1520"}, "delay": "1ms"}"#);
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(AALBORG, ANNA));
    let a = s.post("/__sfstub/reset?only=journal", &[], "");
    assert!(a.json()["reset"]["journal"].as_u64().unwrap() >= 1, "{}", a.text());
    assert_eq!(s.get(&format!("/__sfstub/persons/{ANNA}")).status, 200, "persons kept");
    assert_eq!(
        s.get("/__sfstub/faults").json()["rules"].as_array().unwrap().len(),
        1,
        "rules kept"
    );
    let a = s.post("/__sfstub/reset?only=persons", &[], "");
    assert_eq!(a.json()["reset"], json!({ "persons": 1 }));
    assert_eq!(s.get(&format!("/__sfstub/persons/{ANNA}")).status, 404);
    assert_eq!(s.get("/__sfstub/faults").json()["rules"].as_array().unwrap().len(), 1);
    assert_eq!(add(&s, &anna()).status, 201);
    let a = s.post("/__sfstub/reset", &[], "");
    assert_eq!(a.status, 200);
    assert_eq!(s.get(&format!("/__sfstub/persons/{ANNA}")).status, 404);
    assert_eq!(s.get("/__sfstub/faults").json()["rules"].as_array().unwrap().len(), 0);
    assert_eq!(s.count(""), 0, "the journal too");
    assert_eq!(s.post("/__sfstub/reset?only=world", &[], "").status, 400);
}

#[test]
fn written_addresses_and_relations_are_what_sf1520_answers_both_ways() {
    let s = serve_default();
    let body = r#"persons:
  - cpr: "0101801230"
    name: Mette Mor
    kommune: "0851"
    address: { street: Testvej, number: 7, floor: "2", door: th, postcode: "9000", town: Aalborg, moved_in: -1y }
    relations: { children: ["0101104235"] }
  - cpr: "0101104235"
    name: Lille Barn
    kommune: "0851"
    relations: { mother: "0101801230" }
"#;
    let a = s.post("/__sfstub/persons", &[("Content-Type", "application/yaml")], body);
    assert_eq!(a.status, 201, "{}", a.text());
    let lookup = |cpr: &str| {
        s.post(
            "/service/CPR/PersonBaseDataExtended/4",
            &[("Content-Type", "text/xml")],
            &person_lookup(cpr),
        )
        .text()
    };
    let mother = lookup("0101801230");
    assert!(mother.contains("<vejnavn>Testvej</vejnavn>"), "{mother}");
    assert!(
        mother.contains("<husnummer>007</husnummer><etage>2</etage><sidedoer>th</sidedoer>"),
        "{mother}"
    );
    assert!(mother.contains("<postnummer>9000</postnummer>"), "{mother}");
    assert!(
        mother.contains("<standardadresse>Testvej 7, 2. th</standardadresse>"),
        "{mother}"
    );
    assert!(
        mother.contains("<barn><personnummer>0101104235</personnummer></barn>"),
        "{mother}"
    );
    let child = lookup("0101104235");
    assert!(
        child.contains("<mor><personnummer>0101801230</personnummer></mor>"),
        "{child}"
    );
    let view = s.get("/__sfstub/persons/0101801230").json();
    assert_eq!(view["sf1520"]["children"], json!(["0101104235"]));
    assert!(
        view["sf1520"]["address"]
            .as_str()
            .unwrap()
            .starts_with("Testvej 7, 2. th, 9000 Aalborg")
    );
    // A relation must name a citizen of the world, and a mother a woman.
    let a = add(
        &s,
        r#"{"cpr": "0201901234", "kommune": "0101", "relations": {"spouse": "0301901234"}}"#,
    );
    assert_eq!(a.status, 400, "{}", a.text());
    assert_eq!(a.json()["field"], "relations.spouse");
    let a = add(
        &s,
        r#"{"cpr": "0201901234", "kommune": "0101", "relations": {"mother": "1507804329"}}"#,
    );
    assert_eq!(a.status, 400, "{}", a.text());
    assert_eq!(a.json()["field"], "relations.mother");
    let a = add(
        &s,
        r#"{"cpr": "0201901234", "kommune": "0101", "address": {"street": "X", "number": 1, "postcode": "9000"}}"#,
    );
    assert_eq!(a.json()["field"], "address.town");
}

#[test]
fn a_scenarios_relations_name_its_own_persons() {
    let yaml = "name: x\npersons:\n  - cpr: \"0101801230\"\n    kommune: \"0101\"\n    relations: { spouse: \"0101801239\" }\n";
    let err = sfstub::scenario::Scenario::parse(yaml, "r.yaml", None).unwrap_err();
    assert_eq!(err.problems[0].field, "persons[0].relations.spouse", "{err}");
    assert_eq!(err.problems[0].line, 5);
}

#[test]
fn a_hostile_yaml_body_is_refused_quickly() {
    let s = serve_default();
    // Aliases that would expand to 10^9 nodes.
    let mut body = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    let mut prev = 'a';
    for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        body.push_str(&format!(
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = name;
    }
    let start = std::time::Instant::now();
    for path in ["/__sfstub/persons", "/__sfstub/faults"] {
        let a = s.post(path, &[("Content-Type", "application/yaml")], &body);
        assert_eq!(a.status, 400, "{}", a.text());
    }
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        s.get("/__sfstub/persons").json()["persons"].as_array().unwrap().len(),
        0
    );
}
