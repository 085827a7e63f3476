//! Faults: an unknown CPR says `PNR not found` as the platform does; other errors carry their
//! own `ServiceplatformFault/ErrorList/Error` code. Every detail validates against
//! `ServiceplatformFault_1.xsd`.

use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use super::helpers::*;
use super::schema::assert_fault_valid;

/// Status, faultcode, faultstring and the first ErrorCode of a SOAP 1.1 fault.
fn fault(xml: &str) -> (String, String, String) {
    let d = Doc::parse(xml);
    let error = d.all("ErrorCode").first().map(|&n| d.tree.text(n)).unwrap_or_default();
    (
        d.at("Fault/faultcode").unwrap_or_default(),
        d.at("Fault/faultstring").unwrap_or_default(),
        error,
    )
}

#[test]
fn an_unknown_cpr_is_a_fault_saying_pnr_not_found() {
    let app = app(SecurityMode::Off);
    // A valid number no citizen of the world has.
    let unknown = "0101011234";
    assert!(
        app.loaded()
            .world
            .citizen_by_cpr(sfstub::world::Cpr::parse(unknown, false).unwrap())
            .is_none()
    );
    let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::Authority(KOEBENHAVN), unknown));
    assert_eq!(status, 500, "{xml}");
    let (code, reason, error) = fault(&xml);
    assert_eq!(code, "soap:Client");
    assert!(reason.contains("PNR not found"), "{reason}");
    assert_eq!(error, "PNR_NOT_FOUND");
    let d = Doc::parse(&xml);
    let detail = d.all("ServiceplatformFault")[0];
    assert_eq!(d.tree.namespace(detail), Some(FAULT_NS));
    assert!(d.at("Error/ErrorText").unwrap().contains("PNR not found"));
    assert_fault_valid("PNR not found", &xml);
}

#[test]
fn an_invalid_pnr_is_a_fault_with_its_own_code() {
    let app = app(SecurityMode::Off);
    for (pnr, says) in [
        ("12345", "10 digits"),
        ("150780-4329", "without a hyphen"),
        ("15O7804329", "10 digits"),
        ("3102801234", "birth date"),
    ] {
        let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::Authority(KOEBENHAVN), pnr));
        assert_eq!(status, 500, "{pnr}: {xml}");
        let (code, reason, error) = fault(&xml);
        assert_eq!(code, "soap:Client");
        assert_eq!(error, "PNR_INVALID", "{pnr}");
        assert!(reason.contains(says) && reason.contains(pnr), "{pnr}: {reason}");
        assert!(
            !reason.contains("PNR not found"),
            "an invalid number is not an unknown one"
        );
        assert_fault_valid(pnr, &xml);
    }
}

#[test]
fn a_missing_pnr_is_a_fault() {
    let app = app(SecurityMode::Off);
    let request = envelope(
        SoapVersion::V11,
        &lookup(NAMESPACE_V4, Ctx::Authority(KOEBENHAVN), None),
    );
    let (status, xml) = post(&app, PATH_V4, &request);
    assert_eq!(status, 500, "{xml}");
    let (_, reason, error) = fault(&xml);
    assert_eq!(error, "PNR_MISSING");
    assert!(reason.contains("PNR is missing"), "{reason}");
    assert_fault_valid("missing PNR", &xml);
}

#[test]
fn soap12_faults_are_soap12_with_the_same_detail() {
    let app = app(SecurityMode::Off);
    let request = envelope(
        SoapVersion::V12,
        &lookup(NAMESPACE_V4, Ctx::Authority(KOEBENHAVN), Some("0101011234")),
    );
    let (status, xml) = post(&app, PATH_V4, &request);
    assert_eq!(status, 400, "SOAP 1.2 Sender faults are 400: {xml}");
    let d = Doc::parse(&xml);
    assert!(d.at("Reason/Text").unwrap().contains("PNR not found"));
    assert_eq!(d.at("Error/ErrorCode").as_deref(), Some("PNR_NOT_FOUND"));
    assert_fault_valid("SOAP 1.2 PNR not found", &xml);
}

#[test]
fn an_unknown_operation_is_refused() {
    let app = app(SecurityMode::Off);
    let request = envelope(
        SoapVersion::V11,
        &format!(r#"<tns:PersonSearchRequest xmlns:tns="{NAMESPACE_V4}"/>"#),
    );
    let (status, xml) = post(&app, PATH_V4, &request);
    assert_eq!(status, 500, "{xml}");
    let (_, reason, error) = fault(&xml);
    assert!(reason.contains("unknown operation PersonSearchRequest"), "{xml}");
    assert_eq!(error, "OPERATION_UNKNOWN");
    assert_fault_valid("unknown operation", &xml);
}
