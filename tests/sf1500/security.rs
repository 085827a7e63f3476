//! SF1500 is token-only (OIO IDWS): no context element exists in its schemas. In `off` mode a
//! call without a token is answered without a caller; a token names the caller in every mode;
//! `token` and `strict` refuse a call without one.

use sfstub::security::SecurityMode;
use sfstub::security::dsig;
use sfstub::security::keys::shared_test_keys;
use sfstub::services::sf1472_kontrolsag;
use sfstub::soap::{self, SoapVersion};

use crate::helpers::*;

/// Calls the Virksomhed service directly (not through HTTP) to see the call's summary: the
/// caller and whether the answer is signed.
fn summary(app: &sfstub::app::App, request: &str) -> sfstub::services::Summary {
    let (envelope, body) = soap::parse_envelope_text(request, soap::Limits::default(), SoapVersion::V12).unwrap();
    let loaded = app.loaded();
    let service = loaded
        .service_for(Objekt::Virksomhed.path())
        .expect("the Virksomhed endpoint is registered");
    assert_eq!(service.entity_id(), ENTITY_ID);
    let mut out = Vec::new();
    sfstub::http::with_context(app, |ctx| service.call(ctx, &envelope, body, &mut out)).unwrap()
}

fn soeg_aalborg() -> String {
    soeg(
        Objekt::Virksomhed,
        "",
        &format!("<sts:CVR-NummerTekst>{AALBORG}</sts:CVR-NummerTekst>"),
        "",
    )
}

#[test]
fn off_mode_answers_a_call_without_a_token_without_a_caller() {
    let s = Session::new(SecurityMode::Off);
    let request = envelope(SoapVersion::V12, Some(&request_header(TRANSACTION)), &soeg_aalborg());
    let summary = summary(&s.app, &request);
    assert_eq!(summary.caller, None);
    assert_eq!(summary.signing, None);
    assert!(summary.header.as_deref().is_some_and(|h| h.contains(TRANSACTION)));
    let reply = s.post(Objekt::Virksomhed.path(), &request);
    assert_eq!(reply.ids(), vec![virksomhed_uuid(cvr(AALBORG)).to_string()]);
}

#[test]
fn off_mode_reads_the_caller_from_a_token() {
    let s = Session::new(SecurityMode::Off);
    let token = issue_token(&s.app, ENTITY_ID, VIBORG);
    let request = token_request(Objekt::Virksomhed, &token, &soeg_aalborg());
    let summary = summary(&s.app, &request);
    assert_eq!(summary.caller.as_deref(), Some(VIBORG));
    assert!(summary.signing.is_some(), "a token call is answered signed");
}

#[test]
fn token_mode_refuses_a_call_without_a_token() {
    let s = Session::new(SecurityMode::Token);
    let reply = s.call(Objekt::Virksomhed, &soeg_aalborg());
    reply.assert_fault("token rejected (token mode)");
}

#[test]
fn token_mode_accepts_a_token_for_sf1500_and_signs_the_answer() {
    let s = Session::new(SecurityMode::Token);
    let token = issue_token(&s.app, ENTITY_ID, VIBORG);
    let reply = s.post(
        Objekt::Virksomhed.path(),
        &token_request(Objekt::Virksomhed, &token, &soeg_aalborg()),
    );
    assert_eq!(reply.status_kode(), 20, "{}", reply.xml);
    assert_eq!(reply.ids(), vec![virksomhed_uuid(cvr(AALBORG)).to_string()]);
    assert_eq!(reply.text(WSA, "RelatesTo").as_deref(), Some(MESSAGE_ID));
    assert_eq!(reply.transaction_uuid().as_deref(), Some(TRANSACTION));
    let signature = reply.all(dsig::DS_NS, "Signature");
    let signature = *signature.first().expect("a signed response");
    let key = shared_test_keys().service.public_key();
    let verified = dsig::verify(&reply.tree, signature, key, "the service certificate", None).unwrap();
    let body = reply.all(SOAP12, "Body")[0];
    assert!(verified.covered.contains(&body), "the response Body is signed");
    let summary = summary(&s.app, &token_request(Objekt::Virksomhed, &token, &soeg_aalborg()));
    assert_eq!(summary.caller.as_deref(), Some(VIBORG));
}

#[test]
fn strict_mode_accepts_a_signed_request_with_the_unsigned_request_header() {
    let s = Session::new(SecurityMode::Strict);
    let token = issue_token(&s.app, ENTITY_ID, VIBORG);
    let operation = soeg(
        Objekt::OrganisationEnhed,
        "",
        "<sd:EnhedNavn>Borgerservice</sd:EnhedNavn>",
        &relation("Tilhoerer", &organisation_uuid(cvr(VIBORG)).to_string()),
    );
    let reply = s.post(
        Objekt::OrganisationEnhed.path(),
        &token_request(Objekt::OrganisationEnhed, &token, &operation),
    );
    assert_eq!(
        reply.ids(),
        vec![enhed_uuid(cvr(VIBORG), Enhed::Borgerservice).to_string()],
        "{}",
        reply.xml
    );
}

#[test]
fn a_token_for_another_service_is_refused() {
    let s = Session::new(SecurityMode::Token);
    let token = issue_token(&s.app, sf1472_kontrolsag::ENTITY_ID, VIBORG);
    let reply = s.post(
        Objekt::Virksomhed.path(),
        &token_request(Objekt::Virksomhed, &token, &soeg_aalborg()),
    );
    reply.assert_fault(&format!("this service is {ENTITY_ID}"));
}
