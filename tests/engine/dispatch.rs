//! Dispatch: by SOAPAction (the SOAP 1.1 header, or `action=` of the SOAP 1.2 Content-Type),
//! falling back to the Body's element whatever its prefix or namespace; a SOAPAction that
//! names another operation than the Body is refused; an unknown operation gets the
//! generation's fault (a ServiceplatformFault on Serviceplatformen, a Sender fault elsewhere).

use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use crate::support::{app, post, scenario_with, wsdl};

const FJERN: &str = "http://kombit.dk/sts/sagdokumentindeks/fjern";
const FREMSOEG: &str = "http://kombit.dk/sts/sagdokumentindeks/fremsoeg";
const FREMSOEG_INPUT: &str = r#"<x:FremsoegSagDokumentIndeksInput xmlns:x="urn:oio:sts:sagdok:sagdokumentindeks:6"/>"#;

fn sf1470_and_sf2900() -> sfstub::app::App {
    app(
        scenario_with(&format!(
            "  - wsdl: {}\n    path: /sdi\n  - wsdl: {}\n    path: /dist\n",
            wsdl("sf1470-sagdokumentindeks-v6", "wsdl/SagDokumentIndeksService_6.wsdl"),
            wsdl(
                "sf2900-fordelingskomponent",
                "resources/sf2900/wsdl/token/DistributionService.wsdl"
            ),
        )),
        SecurityMode::Off,
    )
}

#[test]
fn the_soapaction_header_the_content_type_action_and_the_body_element_each_dispatch() {
    let app = sf1470_and_sf2900();
    for (version, action) in [
        (SoapVersion::V12, Some(FREMSOEG)),
        (SoapVersion::V11, Some(FREMSOEG)),
        (SoapVersion::V12, None),
        (SoapVersion::V11, None),
    ] {
        let answer = post(&app, "/sdi", version, action, "", FREMSOEG_INPUT);
        assert_eq!(answer.status, 200, "{version:?} {action:?}: {}", answer.xml);
        assert_eq!(
            answer.content_type,
            version.content_type(),
            "answered in the request's version"
        );
        assert!(
            answer.body().contains("FremsoegSagDokumentIndeksOutput"),
            "{}",
            answer.xml
        );
    }
    // Any prefix, or a default namespace.
    let answer = post(
        &app,
        "/sdi",
        SoapVersion::V12,
        None,
        "",
        r#"<FremsoegSagDokumentIndeksInput xmlns="urn:oio:sts:sagdok:sagdokumentindeks:6"/>"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.xml);
    // A namespace the contract does not use: matched by local name, as everywhere in sfstub.
    let answer = post(
        &app,
        "/sdi",
        SoapVersion::V12,
        None,
        "",
        r#"<q:FremsoegSagDokumentIndeksInput xmlns:q="urn:other"/>"#,
    );
    assert_eq!(answer.status, 200, "{}", answer.xml);
    // An empty or unknown SOAPAction falls back to the Body.
    for action in ["", "urn:nobody-knows"] {
        let answer = post(&app, "/sdi", SoapVersion::V11, Some(action), "", FREMSOEG_INPUT);
        assert_eq!(answer.status, 200, "{action:?}: {}", answer.xml);
    }
}

#[test]
fn a_soapaction_naming_another_operation_than_the_body_is_refused() {
    let app = sf1470_and_sf2900();
    let answer = post(&app, "/sdi", SoapVersion::V12, Some(FJERN), "", FREMSOEG_INPUT);
    assert_eq!(answer.status, 400, "{}", answer.xml);
    let reason = answer.reason();
    assert!(
        reason.contains("names the operation fjern") && reason.contains("<FremsoegSagDokumentIndeksInput>"),
        "{reason}"
    );
}

#[test]
fn an_unknown_operation_gets_the_generations_fault() {
    let app = sf1470_and_sf2900();
    // Støttesystem: a SOAP Sender fault listing what the endpoint serves.
    let answer = post(
        &app,
        "/sdi",
        SoapVersion::V12,
        None,
        "",
        r#"<x:LaesInput xmlns:x="urn:x"/>"#,
    );
    assert_eq!(answer.status, 400, "{}", answer.xml);
    let reason = answer.reason();
    assert!(reason.contains("unknown operation <LaesInput>"), "{reason}");
    assert!(
        reason.contains("fremsoeg (<FremsoegSagDokumentIndeksInput>)"),
        "{reason}"
    );
    assert!(!answer.xml.contains("ServiceplatformFault"), "{}", answer.xml);
    // Serviceplatformen: a Client fault with a ServiceplatformFault detail.
    let answer = post(
        &app,
        "/dist",
        SoapVersion::V11,
        None,
        "",
        r#"<x:Nope xmlns:x="urn:x"/>"#,
    );
    assert_eq!(answer.status, 500, "{}", answer.xml);
    assert!(
        answer.xml.contains("<faultcode>soap:Client</faultcode>"),
        "{}",
        answer.xml
    );
    assert!(
        answer.xml.contains("<ServiceplatformFault xmlns=\"http://serviceplatformen.dk/xml/schemas/ServiceplatformFault/1/\"><ErrorList><Error><ErrorCode>OPERATION_UNKNOWN</ErrorCode>"),
        "{}",
        answer.xml
    );
    assert!(
        answer
            .reason()
            .contains("FordelingsobjektAfsend (<FordelingsobjektAfsendRequest>)")
    );
}

#[test]
fn soap_version_strictness_follows_the_contracts_bindings() {
    let mut app = sf1470_and_sf2900();
    app.soap_version = Some(sfstub::soap::VersionCheck::Strict);
    let answer = post(&app, "/sdi", SoapVersion::V11, Some(FREMSOEG), "", FREMSOEG_INPUT);
    assert_eq!(answer.status, 500, "{}", answer.xml);
    assert!(answer.xml.contains("VersionMismatch"), "{}", answer.xml);
    assert!(answer.reason().contains("speaks SOAP 1.2 only"), "{}", answer.xml);
    let answer = post(&app, "/sdi", SoapVersion::V12, Some(FREMSOEG), "", FREMSOEG_INPUT);
    assert_eq!(answer.status, 200, "{}", answer.xml);
}

#[test]
fn answers_carry_ws_addressing_with_the_contracts_reply_action() {
    let app = sf1470_and_sf2900();
    let header = r#"<a:Action xmlns:a="http://www.w3.org/2005/08/addressing">http://kombit.dk/sts/sagdokumentindeks/fremsoeg</a:Action><a:MessageID xmlns:a="http://www.w3.org/2005/08/addressing">urn:uuid:11111111-2222-3333-4444-555555555555</a:MessageID>"#;
    let answer = post(&app, "/sdi", SoapVersion::V12, None, header, FREMSOEG_INPUT);
    assert_eq!(answer.status, 200, "{}", answer.xml);
    assert!(
        answer.xml.contains(
            ">http://stoettesystemerne.dk/sagsogdokumentindeks/SagDokumentIndeksPortType/fremsoegResponse</wsa:Action>"
        ),
        "{}",
        answer.xml
    );
    assert!(
        answer
            .xml
            .contains(">urn:uuid:11111111-2222-3333-4444-555555555555</wsa:RelatesTo>")
    );
}

#[test]
fn request_text_quoted_back_is_cut_short() {
    let app = sf1470_and_sf2900();
    let long = "A".repeat(200_000);
    for path in ["/sdi", "/dist"] {
        let answer = post(
            &app,
            path,
            SoapVersion::V11,
            Some(&long),
            "",
            &format!("<x:{long} xmlns:x=\"urn:x\"/>"),
        );
        assert!(answer.status >= 400, "{path}");
        assert!(answer.xml.len() < 4_000, "{path}: a {} byte answer", answer.xml.len());
        assert!(answer.reason().contains("bytes in all)"), "{}", answer.reason());
    }
}
