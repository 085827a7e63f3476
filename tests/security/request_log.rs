//! The request log names the caller whenever the request named one — on every service, also
//! when the answer is a fault or a business error. Read through `sfstub::http::answer`, which
//! returns what `handle` logs.

use bytes::Bytes;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use sfstub::soap::SoapVersion;

use crate::client::{CLIENT_MESSAGE_ID, Tamper, context_request, issue_token, request_with, rst};
use crate::token::Signed;
use crate::world::{CLOCK, SOAP11, SOAP12, STS_PATH, app, now};

const KOEBENHAVN: &str = "64942212";
const ATP: &str = "43405810";
const VIBORG: &str = "29189846";

/// Posts `body` to `path`: the status and the caller the request log names.
fn logged(app: &App, path: &str, body: &str) -> (u16, String) {
    let request = http::Request::post(path).body(Bytes::from(body.to_owned())).unwrap();
    let (response, summary) = sfstub::http::answer(app, request);
    (response.status().as_u16(), summary.caller.unwrap_or_else(|| "-".into()))
}

fn sf1520_lookup(cvr: &str, pnr: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><autctx:AuthorityContext xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><autctx:MunicipalityCVR>{cvr}</autctx:MunicipalityCVR></autctx:AuthorityContext><cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">{pnr}</cpr:PNR></tns:PersonLookupRequest></soap:Body></soap:Envelope>"#
    )
}

fn listehent(hoved: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body><k:KlassifikationListeHent_I xmlns:k="http://www.kombit.dk/2017/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/"><kontekst:HovedOplysninger>{hoved}</kontekst:HovedOplysninger><k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:BrugervendtNøgleKriterie><k:KlassifikationBrugervendtNøgle>SFSTUB</k:KlassifikationBrugervendtNøgle></k:BrugervendtNøgleKriterie></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I></soap:Body></soap:Envelope>"#
    )
}

/// A token-model request carrying `operation` to `to`, with `assertion`, signed now.
fn token_call(assertion: &str, to: &str, operation: &str, version: SoapVersion) -> String {
    Signed {
        version,
        action: "urn:sfstub:test",
        to,
        body: operation,
        assertion,
        message_id: CLIENT_MESSAGE_ID,
        now: now(),
    }
    .request()
}

#[test]
fn sf1520_names_the_caller_of_a_person_not_found() {
    let app = app(SecurityMode::Off);
    let (status, caller) = logged(
        &app,
        "/service/CPR/PersonBaseDataExtended/4",
        &sf1520_lookup(KOEBENHAVN, "0101011234"),
    );
    assert_eq!((status, caller.as_str()), (500, KOEBENHAVN), "PNR not found");
    let (status, caller) = logged(
        &app,
        "/service/CPR/PersonBaseDataExtended/4",
        &sf1520_lookup(ATP, "1507804329"),
    );
    assert_eq!((status, caller.as_str()), (500, ATP), "no service agreement");
    let (status, caller) = logged(
        &app,
        "/service/CPR/PersonBaseDataExtended/4",
        &sf1520_lookup(KOEBENHAVN, "12345"),
    );
    assert_eq!((status, caller.as_str()), (500, KOEBENHAVN), "invalid PNR");
}

#[test]
fn sf1472_names_the_caller_of_a_fault() {
    let app = app(SecurityMode::Off);
    let (status, caller) = logged(&app, "/kontrolsaglistehent/1", &context_request(ATP));
    assert_eq!((status, caller.as_str()), (400, ATP), "no service agreement");
    // A request refused before the rules: no KontrolsagSoegKriterie.
    let broken = context_request(KOEBENHAVN).replace("KontrolsagSoegKriterie", "SoegKriterie");
    let (status, caller) = logged(&app, "/kontrolsaglistehent/1", &broken);
    assert_eq!((status, caller.as_str()), (400, KOEBENHAVN), "{broken}");
    // Refused for its HovedOplysninger: the TransaktionsId missing, the TransaktionsTid bad.
    let no_id = context_request(KOEBENHAVN).replace(">t-1<", "><");
    assert_eq!(
        logged(&app, "/kontrolsaglistehent/1", &no_id),
        (400, KOEBENHAVN.to_owned())
    );
    let bad_time = context_request(KOEBENHAVN).replace("2026-11-22T12:00:00Z", "i går");
    assert_eq!(
        logged(&app, "/kontrolsaglistehent/1", &bad_time),
        (400, KOEBENHAVN.to_owned())
    );
    // A CVR number that is no authority's: no service agreement, the caller named all the same.
    let unknown = "10000009";
    assert_eq!(
        logged(&app, "/kontrolsaglistehent/1", &context_request(unknown)),
        (400, unknown.to_owned()),
        "no service agreement for a CVR number that is no authority's"
    );
    // Not a CVR number: nothing is named.
    assert_eq!(
        logged(&app, "/kontrolsaglistehent/1", &context_request("12345678")),
        (400, "-".to_owned())
    );
    // A business error (Fejl) in a 200 answer.
    let bad_cpr = context_request(KOEBENHAVN).replace("1507804329", "3213801234");
    assert_eq!(
        logged(&app, "/kontrolsaglistehent/1", &bad_cpr),
        (200, KOEBENHAVN.to_owned())
    );
}

#[test]
fn a_refused_token_names_the_cvr_it_claims() {
    let app = app(SecurityMode::Strict);
    let token = issue_token(&app);
    let (status, caller) = logged(&app, "/kontrolsaglistehent/1", &request_with(&token, Tamper::BodyByte));
    assert_eq!((status, caller.as_str()), (400, "29189846 (token refused)"));
    let (status, caller) = logged(&app, "/kontrolsaglistehent/1", &request_with(&token, Tamper::None));
    assert_eq!((status, caller.as_str()), (200, VIBORG));
    // SF1500 and SF1510 with a token for another service (SF1472's audience).
    let soeg = r#"<v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/"><v:AttributListe/><v:TilstandListe/><v:RelationListe/></v:SoegInput>"#;
    let body = token_call(
        &token,
        "http://127.0.0.1:8080/organisation/virksomhed/6",
        soeg,
        SoapVersion::V12,
    );
    assert_eq!(
        logged(&app, "/organisation/virksomhed/6", &body),
        (400, "29189846 (token refused)".to_owned())
    );
    let soeg = r#"<k:SoegInput xmlns:k="http://stoettesystemerne.dk/klassifikation/klasse/7/"><k:AttributListe/><k:TilstandListe/><k:RelationListe/></k:SoegInput>"#;
    let body = token_call(&token, "http://127.0.0.1:8080/klasse/7", soeg, SoapVersion::V12);
    assert_eq!(
        logged(&app, "/klasse/7", &body),
        (400, "29189846 (token refused)".to_owned())
    );
}

#[test]
fn sf1500_and_sf1510_name_a_token_caller_when_the_answer_is_an_error() {
    let app = app(SecurityMode::Token);
    let token = crate::token::issue_token(&app, "http://stoettesystemerne.dk/service/organisation/3", VIBORG);
    // laes of a UUID that is no Virksomhed: StatusKode 44 in a 200 answer.
    let laes = r#"<v:LaesInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>00000000-0000-0000-0000-000000000000</sd:UUIDIdentifikator></v:LaesInput>"#;
    let body = token_call(
        &token,
        "http://127.0.0.1:8080/organisation/virksomhed/6",
        laes,
        SoapVersion::V12,
    );
    assert_eq!(
        logged(&app, "/organisation/virksomhed/6", &body),
        (200, VIBORG.to_owned())
    );
    // KlassifikationListeHent in the context model, refused for a missing TransaktionsId.
    let app = crate::world::app(SecurityMode::Off);
    let body = listehent(&format!(
        "<kontekst:TransaktionsTid>{CLOCK}</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{KOEBENHAVN}</kontekst:MunicipalityCVR></kontekst:AuthorityContext>"
    ));
    assert_eq!(
        logged(&app, "/klassifikationlistehent/2", &body),
        (400, KOEBENHAVN.to_owned())
    );
}

#[test]
fn the_sts_names_the_cvr_it_was_asked_for_when_it_refuses() {
    let app = app(SecurityMode::Off);
    let (status, caller) = logged(&app, STS_PATH, &rst(ENTITY_ID, ATP, true));
    assert_eq!((status, caller.as_str()), (400, ATP), "5015: no service agreement");
    let app = crate::world::app(SecurityMode::Strict);
    let (status, caller) = logged(&app, STS_PATH, &rst(ENTITY_ID, VIBORG, false));
    assert_eq!((status, caller.as_str()), (400, VIBORG), "103: the RST is not signed");
    // The REST face, too.
    let body = serde_json::json!({
        "TokenType": "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
        "RequestType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        "KeyType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey",
        "AnvenderKontekst": { "Cvr": ATP },
        "UseKey": sfstub::security::keys::shared_test_keys().client.cert_base64(),
        "AppliesTo": { "EndpointReference": { "Address": ENTITY_ID } },
    });
    let (status, caller) = logged(&app, sfstub::services::sf1514_rest::WSTRUST_PATH, &body.to_string());
    assert_ne!(status, 200);
    assert_eq!(caller, ATP);
}

#[test]
fn an_anonymous_call_names_no_caller() {
    let app = app(SecurityMode::Off);
    let soeg = r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><v:SoegInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/"><v:AttributListe/><v:TilstandListe/><v:RelationListe/></v:SoegInput></soap:Body></soap:Envelope>"#;
    assert_eq!(logged(&app, "/organisation/virksomhed/6", soeg), (200, "-".to_owned()));
    // A MunicipalityCVR that is no CVR number is not named as the caller.
    let (status, caller) = logged(&app, "/kontrolsaglistehent/1", &context_request("12345678"));
    assert_eq!((status, caller.as_str()), (400, "-"));
}
