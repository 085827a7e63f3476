//! The verified-assertion cache: a token reused for many calls has its STS signature verified
//! once, yet every call is still judged — a changed assertion with the same ID, an expired
//! one, another audience and a bad message signature are refused as without the cache — and
//! the cache stays bounded however many tokens arrive.

use chrono::Duration;
use sfstub::security::SecurityMode;
use sfstub::security::verified::VerifiedAssertions;
use sfstub::services::sf1520_cpr;
use sfstub::world::Clock;

use sfstub::soap::SoapVersion;

use crate::client::*;
use crate::{post, token};

#[test]
fn a_reused_token_is_verified_once_and_accepted_on_every_call() {
    let app = app(SecurityMode::Token);
    let request = token_request(&app, Tamper::None);
    for _ in 0..3 {
        let (status, xml) = post(&app, SF1472_PATH, &request);
        assert_eq!(status, 200, "{xml}");
        assert!(xml.contains("<Kontrolsag>"), "{xml}");
    }
    assert_eq!(app.assertions.len(), 1, "one token, remembered once");
}

#[test]
fn a_changed_assertion_with_the_same_id_is_refused_after_the_genuine_one_was_remembered() {
    let app = app(SecurityMode::Token);
    let assertion = issue_token(&app);
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&assertion, Tamper::None));
    assert_eq!(status, 200, "{xml}");
    assert_eq!(app.assertions.len(), 1);
    // Same ID, another CVR: not the bytes the STS signed.
    let changed = assertion.replace(">29189846<", ">64942212<");
    assert_ne!(changed, assertion);
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&changed, Tamper::None));
    assert_fault(status, &xml, "", "the assertion's signature is not valid");
    // Only white space added inside the signed content: still another assertion.
    let spaced = assertion.replacen("<saml:Subject>", "<saml:Subject> ", 1);
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&spaced, Tamper::None));
    assert_fault(status, &xml, "", "the assertion's signature is not valid");
    assert_eq!(app.assertions.len(), 1, "refused assertions are not remembered");
}

#[test]
fn a_remembered_token_is_refused_once_it_has_expired() {
    let mut app = app(SecurityMode::Token);
    let request = token_request(&app, Tamper::None);
    let (status, xml) = post(&app, SF1472_PATH, &request);
    assert_eq!(status, 200, "{xml}");
    assert_eq!(app.assertions.len(), 1);
    // The token lives 8 hours; the allowed skew is 5 minutes.
    app.security.clock = Clock::Fixed(now() + Duration::hours(8) + Duration::minutes(6));
    let (status, xml) = post(&app, SF1472_PATH, &request);
    assert_fault(status, &xml, "", "token expired at 2026-11-22T20:00:00.000Z");
    assert_eq!(app.assertions.len(), 0, "an expired assertion is forgotten");
}

#[test]
fn a_remembered_token_is_still_refused_by_another_service() {
    let app = app(SecurityMode::Token);
    let assertion = issue_token(&app);
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&assertion, Tamper::None));
    assert_eq!(status, 200, "{xml}");
    assert_eq!(app.assertions.len(), 1);
    // The same token, SF1472's, sent to SF1520 (CPR).
    let lookup = token::Signed {
        version: SoapVersion::V11,
        action: "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/PersonLookup",
        to: "http://127.0.0.1:8080/service/CPR/PersonBaseDataExtended/4",
        body: r#"<tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">1507804329</cpr:PNR></tns:PersonLookupRequest>"#,
        assertion: &assertion,
        message_id: CLIENT_MESSAGE_ID,
        now: now(),
    }
    .request();
    let (status, xml) = post(&app, sf1520_cpr::PATH_V4, &lookup);
    assert_eq!(status, 500, "{xml}");
    assert!(
        xml.contains(&format!("this service is {}", sf1520_cpr::ENTITY_ID_V4)),
        "{xml}"
    );
}

#[test]
fn strict_mode_checks_the_message_signature_on_every_call_with_a_remembered_token() {
    let app = app(SecurityMode::Strict);
    let assertion = issue_token(&app);
    for _ in 0..2 {
        let (status, xml) = post(&app, SF1472_PATH, &request_with(&assertion, Tamper::None));
        assert_eq!(status, 200, "{xml}");
    }
    assert_eq!(app.assertions.len(), 1);
    let cases = [
        (Tamper::BodyByte, "the digest of #_body (the soap:Body) does not match"),
        (
            Tamper::OtherKey,
            "signature does not verify with the holder-of-key certificate",
        ),
        (Tamper::ToUnsigned, "wsa:To not signed"),
        (Tamper::ExpiredTimestamp, "Timestamp expired at"),
    ];
    for (tamper, expected) in cases {
        let (status, xml) = post(&app, SF1472_PATH, &request_with(&assertion, tamper));
        assert_fault(status, &xml, "", expected);
    }
}

#[test]
fn the_cache_stays_bounded_under_many_distinct_tokens() {
    let mut app = app(SecurityMode::Token);
    app.assertions = VerifiedAssertions::new(4);
    let requests: Vec<String> = (0..12).map(|_| token_request(&app, Tamper::None)).collect();
    for (i, request) in requests.iter().enumerate() {
        let (status, xml) = post(&app, SF1472_PATH, request);
        assert_eq!(status, 200, "token {i}: {xml}");
        assert!(app.assertions.len() <= 4, "{} remembered", app.assertions.len());
    }
    assert_eq!(app.assertions.len(), 4);
    // The first token was forgotten long ago: verified afresh, and accepted.
    let (status, xml) = post(&app, SF1472_PATH, &requests[0]);
    assert_eq!(status, 200, "{xml}");
    assert_eq!(app.assertions.len(), 4);
}

#[test]
fn a_request_with_byte_order_marks_and_text_before_the_assertion_is_answered_not_a_panic() {
    // The HTTP layer takes one byte order mark off; a second one reaches the token's reader,
    // and text with a multi-byte character before the assertion made its source be cut
    // inside that character.
    let app = app(SecurityMode::Token);
    let request = token_request(&app, Tamper::None);
    let at = request
        .find("<saml:Assertion")
        .expect("the request carries its assertion");
    let request = format!("\u{feff}\u{feff}{}€x{}", &request[..at], &request[at..]);
    for _ in 0..2 {
        let (status, xml) = post(&app, SF1472_PATH, &request);
        assert_eq!(status, 200, "{xml}");
        assert!(xml.contains("<Kontrolsag>"), "{xml}");
    }
}
