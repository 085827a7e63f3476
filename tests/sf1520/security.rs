//! The security models on SF1520: AuthorityContext, InvocationContext and the token model,
//! in the modes that accept or refuse each.

use sfstub::security::SecurityMode;
use sfstub::security::dsig;
use sfstub::security::keys::shared_test_keys;
use sfstub::security::wss::WSA_NS;
use sfstub::soap::SoapVersion;

use super::helpers::*;
use super::schema::{assert_fault_valid, assert_request_valid, assert_response_valid};

fn faultstring(xml: &str) -> String {
    Doc::parse(xml).at("Fault/faultstring").unwrap_or_default()
}

fn error_code(xml: &str) -> String {
    Doc::parse(xml).at("Error/ErrorCode").unwrap_or_default()
}

#[test]
fn invocation_context_is_accepted_in_off_mode() {
    let app = app(SecurityMode::Off);
    let request = lookup(NAMESPACE_V4, Ctx::Invocation, Some(JENS));
    assert_request_valid("InvocationContext request", &request);
    let (status, xml) = post(&app, PATH_V4, &envelope(SoapVersion::V11, &request));
    assert_eq!(status, 200, "{xml}");
    assert_eq!(Doc::parse(&xml).at("persondata/personnummer").as_deref(), Some(JENS));
    assert_response_valid("InvocationContext response", &xml);
}

#[test]
fn malformed_invocation_context_is_refused_naming_each_field() {
    let app = app(SecurityMode::Off);
    let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::BrokenInvocation, JENS));
    assert_eq!(status, 500, "{xml}");
    let reason = faultstring(&xml);
    assert!(
        reason.contains("ServiceAgreementUUID") && reason.contains("lowercase"),
        "{reason}"
    );
    assert!(reason.contains("InvocationContext/UserUUID is missing"), "{reason}");
    let d = Doc::parse(&xml);
    assert_eq!(d.all("Error").len(), 2, "one Error per field: {xml}");
    assert_fault_valid("InvocationContext fault", &xml);
}

#[test]
fn a_call_without_any_security_model_is_refused() {
    let app = app(SecurityMode::Off);
    let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::None, JENS));
    assert_eq!(status, 500, "{xml}");
    let reason = faultstring(&xml);
    assert!(
        reason.contains("Security model for the called operation was not provided"),
        "{reason}"
    );
    assert!(
        reason.contains("InvocationContext") && reason.contains("KombitToken"),
        "{reason}"
    );
    assert_eq!(
        Doc::parse(&xml).at("Error/ErrorCode").as_deref(),
        Some("SECURITY_MODEL_MISSING")
    );
    assert_fault_valid("no security model", &xml);
}

#[test]
fn authority_context_names_a_valid_cvr() {
    let app = app(SecurityMode::Off);
    let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::Authority("1234"), JENS));
    assert_eq!(status, 500, "{xml}");
    assert!(faultstring(&xml).contains("MunicipalityCVR"), "{xml}");
    assert_eq!(error_code(&xml), "CALLER_INVALID");
    assert_fault_valid("invalid MunicipalityCVR", &xml);
    let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::Authority(""), JENS));
    assert_eq!(status, 500, "{xml}");
    assert!(
        faultstring(&xml).contains("AuthorityContext has no MunicipalityCVR"),
        "{xml}"
    );
    assert_eq!(error_code(&xml), "AUTHORITY_CONTEXT_INVALID");
    assert_fault_valid("empty AuthorityContext", &xml);
}

#[test]
fn service_agreements_decide_who_may_look_people_up() {
    let yaml = format!(
        "name: agreements\nseed: 1472\nclock: 2026-11-22T12:00:00Z\npopulation:\n  citizens: 10\npersons:\n  - cpr: \"{JENS}\"\n    kommune: \"0101\"\nagreements:\n  - cvr: \"{KOEBENHAVN}\"\n    services: [\"{ENTITY_ID_V4}\"]\n"
    );
    let app = app_from(&yaml);
    let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::Authority(KOEBENHAVN), JENS));
    assert_eq!(status, 200, "{xml}");
    assert_response_valid("with a service agreement", &xml);
    let (status, xml) = post(&app, PATH_V4, &context_request(Ctx::Authority(AALBORG), JENS));
    assert_eq!(status, 500, "{xml}");
    assert!(faultstring(&xml).starts_with("ServiceAgreementNotFound"), "{xml}");
    assert_eq!(error_code(&xml), "ServiceAgreementNotFound");
    assert_fault_valid("no service agreement", &xml);
    // The agreement names version 4 only.
    let request = envelope(
        SoapVersion::V11,
        &lookup(NAMESPACE_V5, Ctx::Authority(KOEBENHAVN), Some(JENS)),
    );
    let (status, xml) = post(&app, PATH_V5, &request);
    assert_eq!(status, 500, "{xml}");
    assert!(faultstring(&xml).contains(ENTITY_ID_V5), "{xml}");
    assert_fault_valid("no service agreement for v5", &xml);
}

#[test]
fn token_mode_refuses_a_context_only_call() {
    let app = app(SecurityMode::Token);
    for ctx in [Ctx::Authority(KOEBENHAVN), Ctx::Invocation] {
        let (status, xml) = post(&app, PATH_V4, &context_request(ctx, JENS));
        assert_eq!(status, 500, "{ctx:?}: {xml}");
        let reason = faultstring(&xml);
        assert!(
            reason.contains("token mode") && reason.contains("wsse:Security"),
            "{reason}"
        );
        assert_eq!(error_code(&xml), "TOKEN_REJECTED");
        assert_fault_valid("context-only call in token mode", &xml);
    }
}

#[test]
fn token_model_lookup_is_answered_signed_by_the_service() {
    for mode in [SecurityMode::Off, SecurityMode::Token, SecurityMode::Strict] {
        let app = app(mode);
        let assertion = issue_token(&app, ENTITY_ID_V4);
        let request = token_request(
            &assertion,
            "http://127.0.0.1:8080/service/CPR/PersonBaseDataExtended/4",
            &lookup(NAMESPACE_V4, Ctx::Call, Some(JENS)),
        );
        let (status, xml) = post(&app, PATH_V4, &request);
        assert_eq!(status, 200, "{mode:?}: {xml}");
        let d = Doc::parse(&xml);
        assert_eq!(d.at("persondata/personnummer").as_deref(), Some(JENS));
        assert_eq!(d.at("RelatesTo").as_deref(), Some(MESSAGE_ID));
        assert!(d.tree.namespace(d.all("RelatesTo")[0]) == Some(WSA_NS));
        let signature = d.all("Signature")[0];
        let service_key = shared_test_keys().service.public_key();
        let verified = dsig::verify(&d.tree, signature, service_key, "the service certificate", None)
            .unwrap_or_else(|e| panic!("{mode:?}: the response signature does not verify: {e}"));
        assert!(
            verified.covered.contains(&d.all("Body")[0]),
            "the signature covers the Body"
        );
        assert_response_valid("token-model response", &xml);
    }
}

#[test]
fn a_token_for_version_4_is_refused_on_version_5() {
    let app = app(SecurityMode::Token);
    let assertion = issue_token(&app, ENTITY_ID_V4);
    let request = token_request(
        &assertion,
        "http://127.0.0.1:8080/service/CPR/PersonBaseDataExtended/5",
        &lookup(NAMESPACE_V5, Ctx::None, Some(JENS)),
    );
    let (status, xml) = post(&app, PATH_V5, &request);
    assert_eq!(status, 500, "{xml}");
    let reason = faultstring(&xml);
    assert!(reason.contains("audience") && reason.contains(ENTITY_ID_V5), "{reason}");
    assert_fault_valid("token for another version", &xml);
    // A token for version 5 is accepted there.
    let assertion = issue_token(&app, ENTITY_ID_V5);
    let request = token_request(
        &assertion,
        "http://127.0.0.1:8080/service/CPR/PersonBaseDataExtended/5",
        &lookup(NAMESPACE_V5, Ctx::None, Some(JENS)),
    );
    let (status, xml) = post(&app, PATH_V5, &request);
    assert_eq!(status, 200, "{xml}");
    assert_response_valid("v5 token-model response", &xml);
}
