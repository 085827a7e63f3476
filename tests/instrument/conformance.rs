//! Request conformance without the XSD: for every served service a valid request has no
//! finding, and each deliberately broken request (wrong SOAP version, wrong SOAPAction,
//! `action=` or `wsa:Action`, missing SOAPAction, missing RequestHeader, missing
//! WS-Addressing with a token, missing token where the mode requires it, a malformed or
//! impossible CPR) gives the right finding; under `--conformance strict` each error is refused
//! with the fault the platform's validation gives, and warnings are not.

use serde_json::Value;
use sfstub::conformance::Mode;
use sfstub::security::SecurityMode;

use crate::harness::*;

const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
const RH: &str = r#"<rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f</rh:TransactionUUID></rh:RequestHeader>"#;
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

fn person_lookup(version: u8, pnr: &str) -> String {
    format!(
        r#"<p:PersonLookupRequest xmlns:p="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/{version}/"><a:AuthorityContext xmlns:a="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><a:MunicipalityCVR>{KOEBENHAVN}</a:MunicipalityCVR></a:AuthorityContext>
<c:PNR xmlns:c="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">{pnr}</c:PNR></p:PersonLookupRequest>"#
    )
}

fn virksomhed_soeg() -> String {
    format!(
        r#"<o:SoegInput xmlns:o="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sd="urn:oio:sagdok:3.0.0" xmlns:sts="urn:oio:sts:6"><o:AttributListe><o:Egenskab><sts:CVR-NummerTekst>{AALBORG}</sts:CVR-NummerTekst></o:Egenskab></o:AttributListe><o:TilstandListe/><o:RelationListe/></o:SoegInput>"#
    )
}

fn klasse_laes() -> String {
    r#"<k:LaesInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>9b8b2a6e-0000-5000-8000-000000000000</sd:UUIDIdentifikator></k:LaesInput>"#.to_owned()
}

fn listehent() -> String {
    r#"<k:KlassifikationListeHent_I xmlns:k="http://www.kombit.dk/2017/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="r6821"><kontekst:HovedOplysninger><kontekst:TransaktionsId>tx-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNøgleKriterie><k:KlassifikationBrugervendtNøgle>SFSTUB</k:KlassifikationBrugervendtNøgle></k:BrugervendtNøgleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I>"#.to_owned()
}

/// One call: its HTTP status, the journal entry's findings as (code, severity), the entry.
fn call(
    s: &Server,
    path: &str,
    content_type: &str,
    soap_action: Option<&str>,
    body: &str,
) -> (u16, Vec<(String, String)>, Value) {
    let mut headers = vec![("Content-Type", content_type)];
    if let Some(a) = soap_action {
        headers.push(("SOAPAction", a));
    }
    let answer = send(s.addr, "POST", path, &headers, body.as_bytes());
    let entry = s.journal("limit=1")["entries"][0].clone();
    let findings = entry["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let _ = answer.text();
    (answer.status, findings, entry)
}

fn codes(findings: &[(String, String)]) -> Vec<&str> {
    findings.iter().map(|(c, _)| c.as_str()).collect()
}

/// Valid requests to every service, with the status each gets.
fn valid_requests() -> Vec<(&'static str, &'static str, String, Option<&'static str>, String)> {
    let v12 = "application/soap+xml; charset=utf-8";
    let v11 = "text/xml; charset=utf-8";
    vec![
        (
            "SF1472 (1.2)",
            "/kontrolsaglistehent/1",
            v12.into(),
            None,
            kontrolsag(KOEBENHAVN, JENS),
        ),
        (
            "SF1472 (1.2, action=)",
            "/kontrolsaglistehent/1",
            format!("{v12}; action=\"{SF1472_ACTION}\""),
            None,
            kontrolsag(KOEBENHAVN, JENS),
        ),
        (
            "SF1472 (1.1)",
            "/service/Kontrolsag/KontrolsagListeHent/1",
            v11.into(),
            Some(SF1472_ACTION),
            kontrolsag(KOEBENHAVN, JENS).replace(SOAP12_NS, SOAP11_NS),
        ),
        (
            "SF1520 v4",
            "/service/CPR/PersonBaseDataExtended/4",
            v11.into(),
            Some(CPR_ACTION_V4),
            envelope(SOAP11_NS, "", &person_lookup(4, JENS)),
        ),
        (
            "SF1520 v5",
            "/service/CPR/PersonBaseDataExtended/5",
            v11.into(),
            Some(CPR_ACTION_V5),
            envelope(SOAP11_NS, "", &person_lookup(5, JENS)),
        ),
        (
            "SF1500 Virksomhed",
            "/organisation/virksomhed/6",
            format!("{v12}; action=\"http://kombit.dk/sts/organisation/virksomhed/soeg\""),
            None,
            envelope(SOAP12_NS, RH, &virksomhed_soeg()),
        ),
        (
            "SF1510 Klasse",
            "/klasse/7",
            v12.into(),
            None,
            envelope(SOAP12_NS, RH, &klasse_laes()),
        ),
        (
            "SF1510 KlassifikationListeHent",
            "/klassifikationlistehent/2",
            v12.into(),
            None,
            envelope(SOAP12_NS, "", &listehent()),
        ),
        (
            "SF1514 STS",
            STS,
            v12.into(),
            None,
            crate::token::rst("http://entityid.kombit.dk/service/kontrolsaglistehent/1", UDK, true),
        ),
    ]
}

#[test]
fn a_valid_request_to_every_service_has_no_finding() {
    let s = serve_default();
    for (what, path, ct, action, body) in valid_requests() {
        let (status, findings, entry) = call(&s, path, &ct, action, &body);
        assert!(findings.is_empty(), "{what}: {entry:#}");
        assert_eq!(status, 200, "{what}: {entry:#}");
        assert_eq!(entry["conformance"], "pass");
    }
    let served: Vec<String> = s
        .app
        .loaded()
        .services
        .iter()
        .map(|svc| svc.title().to_owned())
        .collect();
    for title in &served {
        assert!(
            s.app
                .loaded()
                .profile(
                    s.app
                        .loaded()
                        .services
                        .iter()
                        .find(|x| x.title() == title)
                        .unwrap()
                        .as_ref()
                )
                .is_some(),
            "{title} has a contract profile"
        );
    }
    assert_eq!(s.count("conformance=warn"), 0);
}

/// A broken request: what it is, path, Content-Type, SOAPAction, body, the finding's code and
/// severity, and what the strict refusal's reason holds.
type Broken = (
    &'static str,
    &'static str,
    String,
    Option<&'static str>,
    String,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// Each broken request.
fn broken_requests() -> Vec<Broken> {
    let v12 = "application/soap+xml; charset=utf-8";
    let v11 = "text/xml; charset=utf-8";
    let rst = crate::token::rst("http://entityid.kombit.dk/service/kontrolsaglistehent/1", UDK, false);
    let no_message_id = {
        let start = rst.find("<a:MessageID").unwrap();
        let end = rst.find("</a:MessageID>").unwrap() + "</a:MessageID>".len();
        format!("{}{}", &rst[..start], &rst[end..])
    };
    let wrong_wsa_action = rst.replace("/RST/Issue</a:Action>", "/RST/Renew</a:Action>");
    vec![
        (
            "SF1520 in SOAP 1.2",
            "/service/CPR/PersonBaseDataExtended/4",
            v12.into(),
            None,
            envelope(SOAP12_NS, "", &person_lookup(4, JENS)),
            "SOAP_VERSION",
            "error",
            Some("A SOAP 1.2 message is not valid when sent to a SOAP 1.1 only endpoint."),
        ),
        (
            "SF1500 in SOAP 1.1",
            "/organisation/virksomhed/6",
            v11.into(),
            Some("http://kombit.dk/sts/organisation/virksomhed/soeg"),
            envelope(SOAP11_NS, RH, &virksomhed_soeg()),
            "SOAP_VERSION",
            "error",
            Some("A SOAP 1.1 message is not valid when sent to a SOAP 1.2 only endpoint."),
        ),
        (
            "SF1520 with another operation's SOAPAction",
            "/service/CPR/PersonBaseDataExtended/4",
            v11.into(),
            Some("\"http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/Other\""),
            envelope(SOAP11_NS, "", &person_lookup(4, JENS)),
            "SOAP_ACTION",
            "error",
            Some(
                "The given SOAPAction http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/Other does not match an operation.",
            ),
        ),
        (
            "SF1500 soeg with laes's action=",
            "/organisation/virksomhed/6",
            format!("{v12}; action=\"http://kombit.dk/sts/organisation/virksomhed/laes\""),
            None,
            envelope(SOAP12_NS, RH, &virksomhed_soeg()),
            "SOAP_ACTION",
            "error",
            Some("does not match an operation"),
        ),
        (
            "SF1520 v5 with v4's SOAPAction",
            "/service/CPR/PersonBaseDataExtended/5",
            v11.into(),
            Some(CPR_ACTION_V4),
            envelope(SOAP11_NS, "", &person_lookup(5, JENS)),
            "SOAP_ACTION",
            "error",
            Some("does not match an operation"),
        ),
        (
            "SF1520 without SOAPAction",
            "/service/CPR/PersonBaseDataExtended/4",
            v11.into(),
            None,
            envelope(SOAP11_NS, "", &person_lookup(4, JENS)),
            "MISSING_SOAP_ACTION",
            "warning",
            None,
        ),
        (
            "SF1500 without RequestHeader",
            "/organisation/virksomhed/6",
            v12.into(),
            None,
            envelope(SOAP12_NS, "", &virksomhed_soeg()),
            "MISSING_REQUEST_HEADER",
            "error",
            Some("RequestHeader is missing"),
        ),
        (
            "SF1510 Klasse without RequestHeader",
            "/klasse/7",
            v12.into(),
            None,
            envelope(SOAP12_NS, "", &klasse_laes()),
            "MISSING_REQUEST_HEADER",
            "error",
            Some("RequestHeader is missing"),
        ),
        (
            "an RST with a token header but no wsa:MessageID",
            STS,
            v12.into(),
            None,
            no_message_id,
            "MISSING_ADDRESSING",
            "error",
            Some("A required header representing a Message Addressing Property is not present"),
        ),
        (
            "an RST whose wsa:Action is Renew",
            STS,
            v12.into(),
            None,
            wrong_wsa_action,
            "SOAP_ACTION",
            "error",
            Some("The [action] cannot be processed at the receiver"),
        ),
        (
            "SF1472 with a letter in the CPR number",
            "/kontrolsaglistehent/1",
            v12.into(),
            None,
            kontrolsag(KOEBENHAVN, "15078O4329"),
            "CPR_FORMAT",
            "error",
            Some(
                "cvc-pattern-valid: Value '15078O4329' is not facet-valid with respect to pattern '[0-9]{6}-?[0-9]{4}'",
            ),
        ),
        (
            "SF1520 with a hyphenated PNR",
            "/service/CPR/PersonBaseDataExtended/4",
            v11.into(),
            Some(CPR_ACTION_V4),
            envelope(SOAP11_NS, "", &person_lookup(4, "150780-4329")),
            "CPR_FORMAT",
            "error",
            Some("cvc-maxLength-valid"),
        ),
        (
            "SF1472 with an impossible birth date",
            "/kontrolsaglistehent/1",
            v12.into(),
            None,
            kontrolsag(KOEBENHAVN, "3102804329"),
            "CPR_DATE",
            "warning",
            None,
        ),
        (
            "SF1472 as text/xml in SOAP 1.2",
            "/kontrolsaglistehent/1",
            v11.into(),
            None,
            kontrolsag(KOEBENHAVN, JENS),
            "CONTENT_TYPE",
            "warning",
            None,
        ),
    ]
}

#[test]
fn each_broken_request_gives_its_finding_with_a_message_naming_where() {
    let s = serve_default();
    for (what, path, ct, action, body, code, severity, _) in broken_requests() {
        let (_, findings, entry) = call(&s, path, &ct, action, &body);
        assert_eq!(codes(&findings), [code], "{what}: {entry:#}");
        assert_eq!(findings[0].1, severity, "{what}");
        let f = &entry["findings"][0];
        assert!(f["message"].as_str().unwrap().len() > 20, "{what}: {f}");
        assert!(f["path"].is_string(), "{what}: a finding names where: {f}");
        let expected_conformance = if severity == "error" { "fail" } else { "pass" };
        assert_eq!(entry["conformance"], expected_conformance, "{what}");
    }
}

#[test]
fn findings_in_the_body_name_their_line() {
    let s = serve_default();
    let (_, _, entry) = call(
        &s,
        "/kontrolsaglistehent/1",
        "application/soap+xml",
        None,
        &kontrolsag(KOEBENHAVN, "15078O4329"),
    );
    let f = &entry["findings"][0];
    assert_eq!(f["line"], 11, "PersonCPRNummer is on line 11 of the request: {f}");
    assert_eq!(
        f["path"],
        "KontrolsagListeHent_I/KontrolsagSoegKriterie/PersonCPRNummer"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("PersonCPRNummer \"15078O4329\""),
        "{f}"
    );
    let (_, _, entry) = call(
        &s,
        "/service/CPR/PersonBaseDataExtended/4",
        "application/soap+xml",
        None,
        &envelope(SOAP12_NS, "", &person_lookup(4, JENS)),
    );
    assert_eq!(entry["findings"][0]["line"], 1);
}

#[test]
fn strict_conformance_refuses_each_error_with_the_platforms_fault_and_answers_warnings() {
    let s = serve(|app| app.conformance = Mode::Strict);
    for (what, path, ct, action, body, code, _, refusal) in broken_requests() {
        let mut headers = vec![("Content-Type", ct.as_str())];
        if let Some(a) = action {
            headers.push(("SOAPAction", a));
        }
        let answer = send(s.addr, "POST", path, &headers, body.as_bytes());
        let entry = s.journal("limit=1")["entries"][0].clone();
        assert_eq!(entry["findings"][0]["code"], code, "{what}");
        match refusal {
            Some(reason) => {
                let text = answer.text().replace("&apos;", "'");
                assert!(
                    answer.status == 400 || answer.status == 500,
                    "{what}: {}",
                    answer.status
                );
                assert!(text.contains("Fault"), "{what}: {text}");
                assert!(text.contains(reason), "{what}: {text}");
                assert_eq!(entry["outcome"]["kind"], "fault", "{what}");
            }
            None => assert_ne!(
                entry["outcome"]["kind"], "fault",
                "{what}: a warning is answered: {entry:#}"
            ),
        }
        if code == "SOAP_VERSION" {
            assert!(answer.text().contains("VersionMismatch"), "{what}: {}", answer.text());
        }
        if code == "MISSING_ADDRESSING" {
            assert!(
                answer.text().contains("wsa:MessageAddressingHeaderRequired"),
                "{}",
                answer.text()
            );
        }
    }
    // Valid requests pass strict mode untouched.
    for (what, path, ct, action, body) in valid_requests() {
        let (status, findings, _) = call(&s, path, &ct, action, &body);
        assert_eq!((status, findings.len()), (200, 0), "{what}");
    }
}

#[test]
fn a_missing_token_is_a_finding_where_the_mode_requires_one_and_not_in_off_mode() {
    let off = serve_default();
    let body = envelope(SOAP12_NS, RH, &virksomhed_soeg());
    let (_, findings, _) = call(&off, "/organisation/virksomhed/6", "application/soap+xml", None, &body);
    assert!(findings.is_empty(), "{findings:?}");
    let token = serve(|app| app.security.mode = SecurityMode::Token);
    let (status, findings, entry) = call(
        &token,
        "/organisation/virksomhed/6",
        "application/soap+xml",
        None,
        &body,
    );
    assert_eq!(codes(&findings), ["MISSING_SECURITY"], "{entry:#}");
    assert_eq!(status, 400, "the security layer refuses it");
    assert_eq!(entry["security"]["verdict"], "rejected");
    // SF1472 takes the context model too, but in token mode a token is required all the same.
    let (_, findings, _) = call(
        &token,
        "/kontrolsaglistehent/1",
        "application/soap+xml",
        None,
        &kontrolsag(KOEBENHAVN, JENS),
    );
    assert!(
        findings.is_empty(),
        "SF1472's contract is not token-only: the security verdict says it: {findings:?}"
    );
}

#[test]
fn conformance_off_checks_nothing() {
    let s = serve(|app| app.conformance = Mode::Off);
    let (_, findings, _) = call(
        &s,
        "/service/CPR/PersonBaseDataExtended/4",
        "application/soap+xml",
        None,
        &envelope(SOAP12_NS, "", &person_lookup(4, "x")),
    );
    assert!(findings.is_empty());
}
