//! The security models on SF1510: tokens from the app's own STS (responses signed, RelatesTo
//! and RequestHeader echoed), `token` and `strict` modes refusing what they must, the context
//! model of KlassifikationListeHent, and service agreements.

use sfstub::security::SecurityMode;
use sfstub::security::dsig;
use sfstub::services::sf1510_klassifikation::{klasse as k7, listehent};

use super::helpers::*;
use super::klasse::{klasse, laes_body};
use super::listehent::{by_key, liste_in, request_body};

fn theme_uuid(app: &sfstub::app::App) -> String {
    app.loaded().world.classes.themes[0].class.uuid.to_string()
}

/// Asserts a signed response: service signature verified, RelatesTo = the request's MessageID.
#[track_caller]
fn assert_signed(app: &sfstub::app::App, reply: &Reply) {
    let tree = reply.tree();
    let signature = first(&tree, DS, "Signature").expect("a signed response");
    dsig::verify(&tree, signature, app.keys.service.public_key(), "the service", None)
        .unwrap_or_else(|e| panic!("the response signature does not verify: {e}\n{}", reply.xml));
    assert_eq!(texts(&tree, WSA, "RelatesTo"), [MESSAGE_ID]);
}

#[test]
fn klasse_with_a_token_is_answered_signed_with_the_request_header_echoed() {
    for mode in [SecurityMode::Off, SecurityMode::Token, SecurityMode::Strict] {
        let app = app(mode);
        let request = token_request(
            &app,
            k7::ENTITY_ID,
            KOEBENHAVN,
            "http://127.0.0.1:8080/klasse/7",
            &laes_body(&theme_uuid(&app)),
            &request_header("tx-token"),
        );
        let answer = klasse(&app, &request);
        assert_eq!(answer.status_kode(), "20", "{mode:?}: {}", answer.reply.xml);
        assert_signed(&app, &answer.reply);
        assert_eq!(texts(&answer.tree, REQUEST_HEADER_NS, "TransactionUUID"), ["tx-token"]);
    }
}

#[test]
fn klassifikationlistehent_with_a_token_is_answered_signed() {
    let app = app(SecurityMode::Strict);
    let body = request_body(K2017, "", &[by_key("KLE", None, None)], "");
    let request = token_request(
        &app,
        listehent::ENTITY_ID,
        UDK,
        "http://127.0.0.1:8080/klassifikationlistehent/2",
        &body,
        "",
    );
    let answer = liste_in(&app, &request, K2017);
    answer.assert_no_fejl();
    assert_signed(&app, &answer.reply);
}

#[test]
fn token_mode_refuses_a_klasse_call_without_a_token() {
    let app = app(SecurityMode::Token);
    let reply = post(&app, KLASSE_PATH, &envelope("", &laes_body(&theme_uuid(&app))));
    assert_eq!(reply.status, 400, "{}", reply.xml);
    assert!(reply.fault_reason().contains("token"), "{}", reply.fault_reason());
}

#[test]
fn token_mode_refuses_a_context_only_klassifikationlistehent_call() {
    let app = app(SecurityMode::Token);
    let context = format!(
        "<kontekst:AuthorityContext><kontekst:MunicipalityCVR>{KOEBENHAVN}</kontekst:MunicipalityCVR></kontekst:AuthorityContext>"
    );
    let body = request_body(K2017, &context, &[by_key("KLE", None, None)], "");
    let reply = post(&app, LISTEHENT_PATH, &envelope("", &body));
    assert_eq!(reply.status, 400, "{}", reply.xml);
    let reason = reply.fault_reason();
    assert!(reason.contains("token"), "{reason}");
    // The same request is served in off mode, where the context model is accepted.
    let off = liste_in(shared(), &envelope("", &body), K2017);
    off.assert_no_fejl();
}

#[test]
fn a_token_for_another_service_is_refused() {
    let app = app(SecurityMode::Token);
    let request = token_request(
        &app,
        listehent::ENTITY_ID,
        KOEBENHAVN,
        "http://127.0.0.1:8080/klasse/7",
        &laes_body(&theme_uuid(&app)),
        "",
    );
    let reply = post(&app, KLASSE_PATH, &request);
    assert_eq!(reply.status, 400, "{}", reply.xml);
    assert!(
        reply.fault_reason().contains(k7::ENTITY_ID) || reply.fault_reason().contains("audience"),
        "{}",
        reply.fault_reason()
    );
}

#[test]
fn the_context_model_needs_a_service_agreement() {
    let context = format!(
        "<kontekst:AuthorityContext><kontekst:MunicipalityCVR>{ATP}</kontekst:MunicipalityCVR></kontekst:AuthorityContext>"
    );
    let body = request_body(K2017, &context, &[by_key("KLE", None, None)], "");
    let reply = post(shared(), LISTEHENT_PATH, &envelope("", &body));
    assert_eq!(reply.status, 400, "{}", reply.xml);
    assert!(
        reply.fault_reason().contains("ServiceAgreementNotFound"),
        "{}",
        reply.fault_reason()
    );
}

#[test]
fn off_mode_serves_a_call_with_neither_token_nor_context() {
    let answer = klasse(shared(), &envelope("", &laes_body(&theme_uuid(shared()))));
    assert_eq!(answer.status_kode(), "20");
    assert!(
        first(&answer.tree, DS, "Signature").is_none(),
        "unsigned without a token"
    );
}
