//! Request conformance against the XSD: for every served service, deliberately broken
//! requests (a required element missing, a value outside an enumeration, a value against a
//! pattern, elements out of order, an element the contract does not have, a Body element no
//! operation takes) each give a `SCHEMA` finding with its kind, path and line; under
//! `--conformance strict` each is refused with CXF's schema-validation fault; the journal's
//! `conformance=fail` and `finding=SCHEMA` filters and the JUnit report show them; and what
//! they quote of the request is bounded. Valid requests to every service have no finding
//! (`conformance.rs`).

use serde_json::Value;
use sfstub::conformance::Mode;

use crate::harness::*;

const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
const V12: &str = "application/soap+xml; charset=utf-8";
const V11: &str = "text/xml; charset=utf-8";
const RH: &str = r#"<rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</rh:TransactionUUID></rh:RequestHeader>"#;
const SF1472_NS: &str = "http://www.kombit.dk/int/2022/01/01/";
const CPR_ACTION_V4: &str = "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/PersonLookup";
const CPR_ACTION_V5: &str = "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/5/PersonLookup";
const STS: &str = "/runtime/services/kombittrust/14/certificatemixed";

fn envelope(ns: &str, header: &str, body: &str) -> String {
    let header = if header.is_empty() {
        String::new()
    } else {
        format!("<s:Header>{header}</s:Header>")
    };
    format!("<s:Envelope xmlns:s=\"{ns}\">\n{header}\n<s:Body>\n{body}\n</s:Body>\n</s:Envelope>")
}

/// The SF1472 request with its KontrolsagSoegKriterie content replaced.
fn sf1472(criteria: &str) -> String {
    let valid = kontrolsag(KOEBENHAVN, JENS);
    let start = valid.find("<k:PersonCPRNummer>").unwrap();
    let end = valid.find("</k:KontrolsagSoegKriterie>").unwrap();
    format!("{}{criteria}\n      {}", &valid[..start], &valid[end..])
}

fn person_lookup(version: u8, content: &str) -> String {
    envelope(
        SOAP11_NS,
        "",
        &format!(
            "<p:PersonLookupRequest xmlns:p=\"http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/{version}/\">{content}</p:PersonLookupRequest>"
        ),
    )
}

fn authority() -> String {
    format!(
        r#"<a:AuthorityContext xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><a:MunicipalityCVR>{KOEBENHAVN}</a:MunicipalityCVR></a:AuthorityContext>"#
    )
}

fn pnr() -> String {
    format!(r#"<c:PNR xmlns:c="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">{JENS}</c:PNR>"#)
}

fn virksomhed_soeg(lists: &str) -> String {
    envelope(
        SOAP12_NS,
        RH,
        &format!(
            r#"<o:SoegInput xmlns:o="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sd="urn:oio:sagdok:3.0.0">{lists}</o:SoegInput>"#
        ),
    )
}

/// A broken request, its path, Content-Type, SOAPAction and body, and the finding it must
/// give: kind, path, line, and what the strict refusal says.
struct Broken {
    what: &'static str,
    path: &'static str,
    content_type: &'static str,
    action: Option<&'static str>,
    body: String,
    kind: &'static str,
    at: &'static str,
    line: u32,
    refusal: String,
}

fn broken() -> Vec<Broken> {
    let hjemmel = "<k:Hjemmel>UDBL_11A_STK2</k:Hjemmel>";
    let cpr = format!("<k:PersonCPRNummer>{JENS}</k:PersonCPRNummer>");
    let k = |local: &str| format!("{{\"{SF1472_NS}\":{local}}}");
    vec![
        Broken {
            what: "SF1472 without Hjemmel",
            path: "/kontrolsaglistehent/1",
            content_type: V12,
            action: None,
            body: sf1472(&cpr),
            kind: "missing-element",
            at: "KontrolsagListeHent_I/KontrolsagSoegKriterie",
            line: 12,
            refusal: format!(
                "Unmarshalling Error: cvc-complex-type.2.4.b: The content of element 'k:KontrolsagSoegKriterie' is not complete. One of '{}' is expected.",
                k("Hjemmel")
            ),
        },
        Broken {
            what: "SF1472 with a Hjemmel outside the enumeration",
            path: "/kontrolsaglistehent/1",
            content_type: V12,
            action: None,
            body: sf1472(&format!("{cpr}\n<k:Hjemmel>UDBL_11A_STK3</k:Hjemmel>")),
            kind: "invalid-enumeration",
            at: "KontrolsagListeHent_I/KontrolsagSoegKriterie/Hjemmel",
            line: 12,
            refusal: "Unmarshalling Error: cvc-enumeration-valid: Value 'UDBL_11A_STK3' is not facet-valid with respect to enumeration '[UDBL_11A_STK1, UDBL_11A_STK2]'. It must be a value from the enumeration.".into(),
        },
        Broken {
            what: "SF1472 with a CVR number against its pattern",
            path: "/kontrolsaglistehent/1",
            content_type: V12,
            action: None,
            body: sf1472(&format!("{cpr}{hjemmel}<k:MyndighedCVRNummer>0123</k:MyndighedCVRNummer>")),
            kind: "invalid-pattern",
            at: "KontrolsagListeHent_I/KontrolsagSoegKriterie/MyndighedCVRNummer",
            line: 11,
            refusal: "Unmarshalling Error: cvc-pattern-valid: Value '0123' is not facet-valid with respect to pattern '[1-9][0-9]{7}' for type 'CVRNummerType'.".into(),
        },
        Broken {
            what: "SF1472 with Hjemmel before the CPR number",
            path: "/kontrolsaglistehent/1",
            content_type: V12,
            action: None,
            body: sf1472(&format!("{hjemmel}\n{cpr}")),
            kind: "unexpected-element",
            at: "KontrolsagListeHent_I/KontrolsagSoegKriterie/Hjemmel",
            line: 11,
            refusal: format!(
                "Unmarshalling Error: cvc-complex-type.2.4.a: Invalid content was found starting with element 'k:Hjemmel'. One of '{}' is expected.",
                k("PersonCPRNummer")
            ),
        },
        Broken {
            what: "SF1472 with an element its contract does not have",
            path: "/kontrolsaglistehent/1",
            content_type: V12,
            action: None,
            body: sf1472(&format!("{cpr}{hjemmel}\n<k:Formaal>kontrol</k:Formaal>")),
            kind: "unexpected-element",
            at: "KontrolsagListeHent_I/KontrolsagSoegKriterie/Formaal",
            line: 12,
            refusal: format!(
                "Unmarshalling Error: cvc-complex-type.2.4.a: Invalid content was found starting with element 'k:Formaal'. One of '{{\"{SF1472_NS}\":SamtykkeDato, \"{SF1472_NS}\":MyndighedCVRNummer, \"{SF1472_NS}\":AnsoegningYdelse}}' is expected."
            ),
        },
        Broken {
            what: "SF1472 with a Body element no operation takes",
            path: "/kontrolsaglistehent/1",
            content_type: V12,
            action: None,
            body: kontrolsag(KOEBENHAVN, JENS).replace("KontrolsagListeHent_I", "KontrolsagHent_I"),
            kind: "undeclared-element",
            at: "KontrolsagHent_I",
            line: 4,
            refusal: format!(
                "Message part {{{SF1472_NS}}}KontrolsagHent_I was not recognized.  (Does it exist in service WSDL?)"
            ),
        },
        Broken {
            what: "SF1520 v4 without PNR",
            path: "/service/CPR/PersonBaseDataExtended/4",
            content_type: V11,
            action: Some(CPR_ACTION_V4),
            body: person_lookup(4, &authority()),
            kind: "missing-element",
            at: "PersonLookupRequest",
            line: 4,
            refusal: "cvc-complex-type.2.4.b: The content of element 'p:PersonLookupRequest' is not complete.".into(),
        },
        Broken {
            what: "SF1520 v4 with PNR before AuthorityContext",
            path: "/service/CPR/PersonBaseDataExtended/4",
            content_type: V11,
            action: Some(CPR_ACTION_V4),
            body: person_lookup(4, &format!("{}{}", pnr(), authority())),
            kind: "unexpected-element",
            // AuthorityContext is optional and comes first: the PNR is taken, AuthorityContext is out of order.
            at: "PersonLookupRequest/AuthorityContext",
            line: 4,
            refusal: "cvc-complex-type.2.4.d: Invalid content was found starting with element 'a:AuthorityContext'. No child element is expected at this point.".into(),
        },
        Broken {
            what: "SF1520 v5 with v4's request element",
            path: "/service/CPR/PersonBaseDataExtended/5",
            content_type: V11,
            action: Some(CPR_ACTION_V5),
            body: person_lookup(4, &format!("{}{}", authority(), pnr())),
            kind: "wrong-element",
            at: "PersonLookupRequest",
            line: 4,
            refusal: "Message part {http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/}PersonLookupRequest was not recognized."
                .into(),
        },
        Broken {
            what: "SF1500 SoegInput without RelationListe",
            path: "/organisation/virksomhed/6",
            content_type: V12,
            action: None,
            body: virksomhed_soeg("<o:AttributListe/><o:TilstandListe/>"),
            kind: "missing-element",
            at: "SoegInput",
            line: 4,
            refusal: "The content of element 'o:SoegInput' is not complete. One of '{\"http://stoettesystemerne.dk/organisation/virksomhed/6/\":RelationListe}' is expected.".into(),
        },
        Broken {
            what: "SF1510 Klasse laes with a UUID that is none",
            path: "/klasse/7",
            content_type: V12,
            action: None,
            body: envelope(
                SOAP12_NS,
                RH,
                r#"<k:LaesInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>not-a-uuid</sd:UUIDIdentifikator></k:LaesInput>"#,
            ),
            kind: "invalid-pattern",
            at: "LaesInput/UUIDIdentifikator",
            line: 4,
            refusal: "cvc-pattern-valid: Value 'not-a-uuid'".into(),
        },
        Broken {
            what: "SF1510 KlassifikationListeHent in ASCII spelling",
            path: "/klassifikationlistehent/2",
            content_type: V12,
            action: None,
            body: envelope(
                SOAP12_NS,
                "",
                r#"<k:KlassifikationListeHent_I xmlns:k="http://www.kombit.dk/2017/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/"><kontekst:HovedOplysninger><kontekst:TransaktionsId>tx-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNoegleKriterie><k:KlassifikationBrugervendtNoegle>SFSTUB</k:KlassifikationBrugervendtNoegle></k:BrugervendtNoegleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I>"#,
            ),
            kind: "unexpected-element",
            at: "KlassifikationListeHent_I/KlassifikationKriterieListe/IdentifikationKriterie/BrugervendtNoegleKriterie",
            line: 4,
            refusal: "Invalid content was found starting with element 'k:BrugervendtNoegleKriterie'. One of '{\"http://www.kombit.dk/2017/01/01/\":KlassifikationIdentifikation".into(),
        },
        Broken {
            what: "an RST with an attribute WS-Trust does not have",
            path: STS,
            content_type: V12,
            action: None,
            body: crate::token::rst("http://entityid.kombit.dk/service/kontrolsaglistehent/1", UDK, true)
                .replace("Context=\"ctx-1\"", "Context=\"ctx-1\" Lifetime=\"1h\""),
            kind: "unexpected-attribute",
            at: "RequestSecurityToken/@Lifetime",
            line: 1,
            refusal: "Unmarshalling Error: cvc-complex-type.3.2.2: Attribute 'Lifetime' is not allowed to appear in element 'trust:RequestSecurityToken'.".into(),
        },
    ]
}

/// The journal's last entry and its SCHEMA findings.
fn last_schema_findings(s: &Server) -> (Value, Vec<Value>) {
    let entry = s.journal("limit=1")["entries"][0].clone();
    let schema = entry["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SCHEMA")
        .cloned()
        .collect();
    (entry, schema)
}

fn post(s: &Server, b: &Broken) -> Answer {
    let mut headers = vec![("Content-Type", b.content_type)];
    if let Some(a) = b.action {
        headers.push(("SOAPAction", a));
    }
    send(s.addr, "POST", b.path, &headers, b.body.as_bytes())
}

#[test]
fn each_broken_request_gives_a_schema_finding_with_its_kind_path_and_line() {
    let s = serve_default();
    for b in broken() {
        let answer = post(&s, &b);
        let (entry, schema) = last_schema_findings(&s);
        let what = b.what;
        assert!(!schema.is_empty(), "{what}: no SCHEMA finding: {entry:#}");
        let f = &schema[0];
        assert_eq!(f["kind"], b.kind, "{what}: {f:#}");
        assert_eq!(f["severity"], "error", "{what}");
        assert_eq!(f["path"], b.at, "{what}: {f:#}");
        assert_eq!(f["line"], b.line, "{what}: {f:#}");
        let message = f["message"].as_str().unwrap();
        assert!(message.len() > 30 && message.len() < 1100, "{what}: {message}");
        assert_eq!(entry["conformance"], "fail", "{what}");
        // Recorded, and answered as usual (not refused by conformance).
        assert!(
            !answer.text().contains("Unmarshalling Error"),
            "{what}: record mode answers: {}",
            answer.text()
        );
    }
    // The expected and found names are in the messages.
    let s = serve_default();
    let b = &broken()[3];
    post(&s, b);
    let (_, schema) = last_schema_findings(&s);
    assert!(
        schema[0]["message"]
            .as_str()
            .unwrap()
            .contains("Hjemmel is out of order; expected one of PersonCPRNummer (sfstub's KontrolsagListeHent.xsd)"),
        "{:#}",
        schema[0]
    );
    let b = &broken()[1];
    post(&s, b);
    let (_, schema) = last_schema_findings(&s);
    let message = schema[0]["message"].as_str().unwrap();
    assert!(
        message.contains("\"UDBL_11A_STK3\"") && message.contains("\"UDBL_11A_STK1\", \"UDBL_11A_STK2\""),
        "{message}"
    );
}

#[test]
fn strict_conformance_refuses_a_schema_error_with_cxfs_fault_in_the_requests_soap_version() {
    let s = serve(|app| app.conformance = Mode::Strict);
    for b in broken() {
        let answer = post(&s, &b);
        let text = answer.text().replace("&apos;", "'").replace("&quot;", "\"");
        let what = b.what;
        // A Sender fault: 400 in SOAP 1.2, 500 in SOAP 1.1 (as every fault sfstub answers).
        assert!(answer.status == 400 || answer.status == 500, "{what}: {text}");
        assert!(text.contains(&b.refusal), "{what}: wanted {:?} in {text}", b.refusal);
        let soap_ns = if b.content_type == V11 { SOAP11_NS } else { SOAP12_NS };
        assert!(
            text.contains(soap_ns),
            "{what}: a fault of the request's SOAP version: {text}"
        );
        let entry = s.journal("limit=1")["entries"][0].clone();
        assert_eq!(entry["outcome"]["kind"], "fault", "{what}");
    }
}

#[test]
fn the_journal_filters_and_the_junit_report_show_schema_findings() {
    let s = serve_default();
    let b = broken();
    for b in &b {
        post(&s, b);
    }
    assert_eq!(s.count("finding=SCHEMA"), b.len() as u64);
    assert_eq!(s.count("conformance=fail"), b.len() as u64);
    let listed = s.journal(
        "conformance=fail&service=SF1472 KontrolsagListeHent"
            .replace(' ', "%20")
            .as_str(),
    );
    assert_eq!(listed["entries"].as_array().unwrap().len(), 6, "{listed:#}");
    let junit = s.get("/__sfstub/report?format=junit").text();
    crate::xmllint::assert_valid("the JUnit report", &junit, &crate::report::junit_xsd());
    assert!(junit.contains("<failure type=\"SCHEMA\""), "{junit}");
    assert!(
        junit.contains("(sfstub&apos;s KontrolsagListeHent.xsd)")
            || junit.contains("(sfstub's KontrolsagListeHent.xsd)"),
        "{junit}"
    );
    let json = s.get("/__sfstub/report").json();
    assert!(json.to_string().contains("SCHEMA"), "{json:#}");
}

#[test]
fn what_a_schema_finding_quotes_of_the_request_is_bounded() {
    let s = serve_default();
    let huge_value = "9".repeat(300_000);
    let huge_name = format!("X{}", "y".repeat(300_000));
    for criteria in [
        format!("<k:PersonCPRNummer>{JENS}</k:PersonCPRNummer><k:Hjemmel>{huge_value}</k:Hjemmel>"),
        format!("<k:PersonCPRNummer>{JENS}</k:PersonCPRNummer><k:{huge_name}/>"),
    ] {
        let answer = post(
            &s,
            &Broken {
                body: sf1472(&criteria),
                ..broken().remove(0)
            },
        );
        let (entry, schema) = last_schema_findings(&s);
        assert!(!schema.is_empty(), "{entry:#}");
        for f in &schema {
            let text = f.to_string();
            assert!(
                text.len() < 2_000,
                "a finding of {} bytes: {}",
                text.len(),
                &text[..500]
            );
        }
        drop(answer);
    }
    let s = serve(|app| app.conformance = Mode::Strict);
    let answer = post(
        &s,
        &Broken {
            body: sf1472(&format!(
                "<k:PersonCPRNummer>{JENS}</k:PersonCPRNummer><k:Hjemmel>{huge_value}</k:Hjemmel>"
            )),
            ..broken().remove(0)
        },
    );
    assert!(answer.body.len() < 4_000, "a fault of {} bytes", answer.body.len());
    assert!(answer.text().contains("bytes in all)"), "{}", answer.text());
}

#[test]
fn every_service_with_a_contract_has_its_schema_named_at_load_and_compiled_when_first_needed() {
    let s = serve_default();
    let loaded = s.app.loaded();
    for service in &loaded.services {
        let profile = loaded.profile(service.as_ref()).unwrap();
        let check = profile
            .schema
            .as_ref()
            .unwrap_or_else(|| panic!("{} has no compiled schema", service.title()));
        let expected = match service.title() {
            t if t.starts_with("SF1472") => "sfstub's KontrolsagListeHent.xsd",
            t if t.contains("KlassifikationListeHent") => "sfstub's KlassifikationListeHent.xsd",
            t if t.contains("v5") => {
                "KOMBIT's sf1520-personbasedataextended-v4/wsdl/context/PersonBaseDataExtendedService.wsdl with /CPR/PersonBaseDataExtended/4 replaced by /CPR/PersonBaseDataExtended/5"
            }
            t if t.starts_with("SF1520") => {
                "KOMBIT's sf1520-personbasedataextended-v4/wsdl/context/PersonBaseDataExtendedService.wsdl"
            }
            t if t.starts_with("SF1500 Virksomhed") => "KOMBIT's sf1500-organisation-v6/wsdl/Virksomhed.wsdl",
            t if t.starts_with("SF1500 OrganisationEnhed") => {
                "KOMBIT's sf1500-organisation-v6/wsdl/OrganisationEnhed.wsdl"
            }
            t if t.starts_with("SF1500 Organisation") => "KOMBIT's sf1500-organisation-v6/wsdl/Organisation.wsdl",
            t if t.starts_with("SF1510 Klasse") => "KOMBIT's sf1510-klasse-v7/wsdl/KlasseService.wsdl",
            t if t.starts_with("SF1514") => "KOMBIT's sf1514-sts/sts.wsdl",
            t => panic!("a service this test does not know: {t}"),
        };
        assert_eq!(check.source, expected, "{}", service.title());
        // Compiled on first use (here), and it compiles.
        assert!(
            check.contract().is_some_and(|c| !c.operations().is_empty()),
            "{}: the schema does not compile",
            service.title()
        );
        assert_eq!(
            check.note.is_some(),
            service.title().starts_with("SF1514"),
            "{}",
            service.title()
        );
    }
    // Compiled once: a second app of the same scenario shares the compiled sets.
    let again = sfstub::app::App::new(s.app.loaded().scenario.clone(), sfstub::app::Limits::default());
    for (a, b) in s.app.loaded().profiles.iter().zip(&again.loaded().profiles) {
        assert!(
            std::sync::Arc::ptr_eq(a.schema.as_ref().unwrap(), b.schema.as_ref().unwrap()),
            "{}",
            a.service
        );
    }
}

/// A service served from a contract (scenarios/indeks.yaml: SF1470 from KOMBIT's WSDL) is
/// checked against the contract it is served from, the same way.
#[test]
fn a_service_served_from_a_contract_is_checked_against_it() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/indeks.yaml");
    let scenario = sfstub::scenario::Scenario::load(&file, None).unwrap_or_else(|e| panic!("{e}"));
    let s = serve(|app| app.swap(std::sync::Arc::new(sfstub::app::Loaded::new(scenario))));
    let soeg = |relationer: &str| {
        envelope(
            SOAP12_NS,
            RH,
            &format!(
                r#"<sdi:FremsoegSagDokumentIndeksInput xmlns:sdi="urn:oio:sts:sagdok:sagdokumentindeks:6" xmlns:sag="urn:oio:sts:sagdok:sag:6" xmlns:gd="urn:oio:sts:generelledefinitioner:6" xmlns:sd="urn:oio:sagdok:3.0.0"><sdi:SoegUdtryk><sdi:SoegSag><sag:AttributListe/><sag:TilstandListe/>{relationer}</sdi:SoegSag></sdi:SoegUdtryk></sdi:FremsoegSagDokumentIndeksInput>"#
            ),
        )
    };
    let action = format!("{V12}; action=\"http://kombit.dk/sts/sagdokumentindeks/fremsoeg\"");
    let headers = [("Content-Type", action.as_str())];
    send(
        s.addr,
        "POST",
        "/sagdokumentindeks/6",
        &headers,
        soeg("<sag:RelationListe/>").as_bytes(),
    );
    let (entry, schema) = last_schema_findings(&s);
    assert!(schema.is_empty(), "a valid fremsoeg: {entry:#}");
    send(s.addr, "POST", "/sagdokumentindeks/6", &headers, soeg("").as_bytes());
    let (entry, schema) = last_schema_findings(&s);
    assert_eq!(schema.len(), 1, "{entry:#}");
    assert_eq!(schema[0]["kind"], "missing-element", "{entry:#}");
    assert_eq!(
        schema[0]["path"], "FremsoegSagDokumentIndeksInput/SoegUdtryk/SoegSag",
        "{entry:#}"
    );
    assert!(
        schema[0]["message"].as_str().unwrap().contains("RelationListe"),
        "{entry:#}"
    );
}
