//! Security on services served from a contract: the STS issues tokens for their entity IDs,
//! `token` and `strict` modes judge them as on every service, answers to token calls are
//! signed, service agreements apply; Serviceplatformen contracts also take the context model
//! (AuthorityContext, InvocationContext) as SF1520 does.

use bytes::Bytes;
use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use crate::support::{Answer, app, post, scenario_text, world_yaml, wsdl};
use crate::token::{Signed, issue_token, rst};
use crate::world::{STS_PATH, now};

const SDI_ENTITY: &str = "http://entityid.kombit.dk/service/sagdokumentindeks/6";
const DIST_ENTITY: &str = "http://entityid.kombit.dk/service/distribution/3";
const FREMSOEG: &str = "http://kombit.dk/sts/sagdokumentindeks/fremsoeg";
const FREMSOEG_INPUT: &str = r#"<x:FremsoegSagDokumentIndeksInput xmlns:x="urn:oio:sts:sagdok:sagdokumentindeks:6"/>"#;
const WSSE: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

fn scenario(extra: &str) -> sfstub::scenario::Scenario {
    let text = format!(
        "{}{extra}contracts:\n  - wsdl: {}\n    path: /sagdokumentindeks/6\n    entity_id: {SDI_ENTITY}\n  - wsdl: {}\n  - wsdl: {}\n    path: /print\n",
        world_yaml(),
        wsdl("sf1470-sagdokumentindeks-v6", "wsdl/SagDokumentIndeksService_6.wsdl"),
        wsdl(
            "sf2900-fordelingskomponent",
            "resources/sf2900/wsdl/token/DistributionService.wsdl"
        ),
        wsdl(
            "sf1600-print-fjernprint",
            "resources/sf1600/wsdl/context/PrintService.wsdl"
        ),
    );
    scenario_text(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn with_token(assertion: &str) -> String {
    format!(r#"<wsse:Security xmlns:wsse="{WSSE}">{assertion}</wsse:Security>"#)
}

#[test]
fn the_sts_issues_tokens_for_contract_services_and_token_mode_judges_them() {
    let app = app(scenario(""), SecurityMode::Token);
    assert!(
        app.loaded().audiences().contains(&SDI_ENTITY),
        "{:?}",
        app.loaded().audiences()
    );
    assert!(
        app.loaded().audiences().contains(&DIST_ENTITY),
        "the default entity ID of SF2900's path"
    );
    // Without a token: refused.
    let none = post(
        &app,
        "/sagdokumentindeks/6",
        SoapVersion::V12,
        Some(FREMSOEG),
        "",
        FREMSOEG_INPUT,
    );
    assert_eq!(none.status, 400, "{}", none.xml);
    assert!(none.reason().contains("token mode"), "{}", none.reason());
    // With a token for the service: answered, and the answer is signed.
    let assertion = issue_token(&app, SDI_ENTITY, "29189846");
    let ok = post(
        &app,
        "/sagdokumentindeks/6",
        SoapVersion::V12,
        Some(FREMSOEG),
        &with_token(&assertion),
        FREMSOEG_INPUT,
    );
    assert_eq!(ok.status, 200, "{}", ok.xml);
    assert!(
        ok.xml.contains("<ds:Signature") || ok.xml.contains(":Signature"),
        "{}",
        ok.xml
    );
    assert!(ok.body().contains("FremsoegSagDokumentIndeksOutput"));
    // A token for another service: refused, naming both audiences.
    let other = issue_token(&app, DIST_ENTITY, "29189846");
    let wrong = post(
        &app,
        "/sagdokumentindeks/6",
        SoapVersion::V12,
        Some(FREMSOEG),
        &with_token(&other),
        FREMSOEG_INPUT,
    );
    assert_eq!(wrong.status, 400, "{}", wrong.xml);
    let reason = wrong.reason();
    assert!(reason.contains(DIST_ENTITY) && reason.contains(SDI_ENTITY), "{reason}");
}

#[test]
fn strict_mode_takes_a_request_signed_by_the_holder_of_key() {
    let app = app(scenario(""), SecurityMode::Strict);
    let assertion = issue_token(&app, SDI_ENTITY, "29189846");
    let request = Signed {
        version: SoapVersion::V12,
        action: FREMSOEG,
        to: "http://127.0.0.1:8080/sagdokumentindeks/6",
        body: FREMSOEG_INPUT,
        assertion: &assertion,
        message_id: "urn:uuid:6f1c1a4e-0000-4c1e-9a53-0d6f5f0c2a11",
        now: now(),
    }
    .request();
    let response = sfstub::http::handle(
        &app,
        http::Request::post("/sagdokumentindeks/6")
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(Bytes::from(request.clone()))
            .unwrap(),
    );
    let xml = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(response.status(), 200, "{xml}");
    assert!(xml.contains("RelatesTo") && xml.contains("fremsoegResponse"), "{xml}");
    // One byte of the Body changed: strict mode says so.
    let tampered = request.replace("sagdokumentindeks:6\"/>", "sagdokumentindeks:6\" a=\"b\"/>");
    assert_ne!(tampered, request);
    let response = sfstub::http::handle(
        &app,
        http::Request::post("/sagdokumentindeks/6")
            .body(Bytes::from(tampered))
            .unwrap(),
    );
    let xml = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(response.status(), 400, "{xml}");
    assert!(xml.contains("does not match"), "{xml}");
}

fn distribution(app: &sfstub::app::App, context: &str) -> Answer {
    post(
        app,
        "/service/SP/Distribution/3",
        SoapVersion::V11,
        None,
        "",
        &format!(
            r#"<d:FordelingsmodtagerListRequest xmlns:d="http://serviceplatformen.dk/xml/wsdl/soap11/DistributionService/3/types">{context}<d:Routing/></d:FordelingsmodtagerListRequest>"#
        ),
    )
}

fn authority(cvr: &str) -> String {
    format!(
        r#"<ac:AuthorityContext xmlns:ac="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><ac:MunicipalityCVR>{cvr}</ac:MunicipalityCVR></ac:AuthorityContext>"#
    )
}

#[test]
fn serviceplatformen_contracts_take_the_context_model_and_agreements_apply() {
    let app = app(
        scenario(&format!(
            "agreements:\n  - {{ cvr: \"29189846\", services: [\"{DIST_ENTITY}\"] }}\n"
        )),
        SecurityMode::Off,
    );
    let viborg = distribution(&app, &authority("29189846"));
    assert_eq!(viborg.status, 200, "{}", viborg.xml);
    let copenhagen = distribution(&app, &authority("64942212"));
    assert_eq!(copenhagen.status, 500, "{}", copenhagen.xml);
    assert!(
        copenhagen.reason().starts_with("ServiceAgreementNotFound"),
        "{}",
        copenhagen.reason()
    );
    assert!(
        copenhagen
            .xml
            .contains("<ErrorCode>ServiceAgreementNotFound</ErrorCode>"),
        "{}",
        copenhagen.xml
    );
    let none = distribution(&app, "");
    assert!(none.reason().starts_with("Security model for the called operation was not provided. The following are supported: [KombitToken, AuthorityContext]"), "{}", none.reason());
    assert!(none.xml.contains("<ErrorCode>SECURITY_MODEL_MISSING</ErrorCode>"));
    let empty = distribution(
        &app,
        r#"<ac:AuthorityContext xmlns:ac="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"/>"#,
    );
    assert!(
        empty.xml.contains("<ErrorCode>AUTHORITY_CONTEXT_INVALID</ErrorCode>"),
        "{}",
        empty.xml
    );
    // With no token for it in token mode, the context alone is refused.
    let mut token_app = app;
    token_app.security.mode = SecurityMode::Token;
    let refused = distribution(&token_app, &authority("29189846"));
    assert!(
        refused.xml.contains("<ErrorCode>TOKEN_REJECTED</ErrorCode>") || refused.reason().contains("token"),
        "{}",
        refused.xml
    );
    // The STS refuses a token the agreements do not allow (code 5015).
    let response = sfstub::http::handle(
        &token_app,
        http::Request::post(STS_PATH)
            .body(Bytes::from(rst(DIST_ENTITY, "64942212", true)))
            .unwrap(),
    );
    let xml = String::from_utf8(response.body().to_vec()).unwrap();
    assert!(xml.contains("5015"), "{xml}");
}

#[test]
fn an_invocation_context_is_judged_where_the_contract_admits_one() {
    let app = app(scenario(""), SecurityMode::Off);
    let ask = |context: &str| {
        post(
            &app,
            "/print",
            SoapVersion::V11,
            None,
            "",
            &format!(
                r#"<p:PrintSpoergTilmeldingRequest xmlns:p="http://serviceplatformen.dk/xml/wsdl/soap11/Print/Print/2/">{context}<p:TilmeldingRequest><d:SlutbrugerIdentitet xmlns:d="urn:oio:dkal:1.0.0"><a:CPRnummerIdentifikator xmlns:a="urn:oio:adir:dagpenge:2009.07.01">1507804329</a:CPRnummerIdentifikator></d:SlutbrugerIdentitet></p:TilmeldingRequest></p:PrintSpoergTilmeldingRequest>"#
            ),
        )
    };
    let good = ask(
        r#"<i:InvocationContext xmlns:i="http://serviceplatformen.dk/xml/schemas/InvocationContext/1/"><i:ServiceAgreementUUID>42571b5d-6371-4edb-8729-1343a3f4c9b9</i:ServiceAgreementUUID><i:UserSystemUUID>99478e20-68e6-41ff-b822-681fb69b8ff2</i:UserSystemUUID><i:UserUUID>e3108916-8ed9-4482-8045-7b46c83904b0</i:UserUUID><i:ServiceUUID>e6be2436-bf35-4df2-83fe-925142825dc2</i:ServiceUUID></i:InvocationContext>"#,
    );
    assert_eq!(good.status, 200, "{}", good.xml);
    let bad = ask(
        r#"<i:InvocationContext xmlns:i="http://serviceplatformen.dk/xml/schemas/InvocationContext/1/"><i:ServiceAgreementUUID>NOT</i:ServiceAgreementUUID></i:InvocationContext>"#,
    );
    assert_eq!(bad.status, 500);
    let reason = bad.reason();
    assert!(
        reason.contains("InvocationContext/ServiceAgreementUUID \"NOT\" is not a UUID")
            && reason.contains("InvocationContext/UserUUID is missing"),
        "{reason}"
    );
    let none = ask("");
    assert!(
        none.reason()
            .contains("[KombitToken, AuthorityContext, InvocationContext]"),
        "{}",
        none.reason()
    );
}
