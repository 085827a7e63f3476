//! Bad input over the wire: every case is a SOAP Fault with a clear reason and a 4xx/5xx
//! status (SOAP 1.2 Sender → 400, SOAP 1.1 → 500), never a 200 or a hang, and the server
//! answers a good request afterwards.

use std::time::{Duration, Instant};

use sfstub::app::Limits;

use crate::helpers::{HttpRequest, HttpResponse, TestApp, spawn_app, spawn_app_with_limits};
use crate::soap::{
    KontrolsagListeHentI, Soap, SoapFault, envelope, expect_answer, expect_client_fault_11, expect_fault,
    expect_sender_fault_12, good_request,
};

const ENDPOINT: &str = "/kontrolsaglistehent/1";

/// The server still answers a good request with Jens's case.
fn assert_still_answers(app: &TestApp) {
    let doc = expect_answer(&app.post_soap12(ENDPOINT, good_request()), Soap::V12);
    assert_eq!(doc.all("Kontrolsag").len(), 1);
}

/// Posts `body` as SOAP 1.2 and expects a Sender fault whose reason contains `expected`.
fn sender_fault_12(app: &TestApp, body: impl Into<Vec<u8>>, expected: &str) -> SoapFault {
    let fault = expect_sender_fault_12(&app.post_soap12(ENDPOINT, body));
    assert!(
        fault.reason.contains(expected),
        "reason {:?} lacks {expected:?}",
        fault.reason
    );
    fault
}

#[test]
fn malformed_xml_is_a_sender_fault() {
    let app = spawn_app();
    let broken = good_request().replace("</kls:Hjemmel>", "</kls:Hjemmle>");
    sender_fault_12(&app, broken, "not well-formed");
    let truncated = &good_request()[..200];
    let fault = expect_sender_fault_12(&app.post_soap12(ENDPOINT, truncated));
    assert!(!fault.reason.is_empty());
    assert_still_answers(&app);
}

#[test]
fn malformed_xml_sent_as_soap11_is_a_client_fault_with_500() {
    let app = spawn_app();
    let broken = KontrolsagListeHentI::default()
        .envelope(Soap::V11)
        .replace("</kls:Hjemmel>", "</kls:Hjemmle>");
    let fault = expect_client_fault_11(&app.post_soap11(ENDPOINT, broken));
    assert!(fault.reason.contains("not well-formed"), "{fault:?}");
    assert_still_answers(&app);
}

#[test]
fn a_plain_text_body_is_refused() {
    let app = spawn_app();
    sender_fault_12(&app, "hello, is this the control case service?", "not XML");
    let fault = expect_client_fault_11(&app.post(ENDPOINT, Some("text/xml"), "hello"));
    assert!(fault.reason.contains("not XML"), "{fault:?}");
    assert_still_answers(&app);
}

#[test]
fn a_json_body_is_refused() {
    let app = spawn_app();
    let json = r#"{"PersonCPRNummer": "1507804329", "Hjemmel": "UDBL_11A_STK2"}"#;
    let fault = expect_sender_fault_12(&app.post(ENDPOINT, Some("application/json"), json));
    assert!(fault.reason.contains("not XML"), "{fault:?}");
    assert_still_answers(&app);
}

#[test]
fn an_xml_root_other_than_envelope_is_refused() {
    let app = spawn_app();
    let bare = KontrolsagListeHentI::default().to_xml();
    let fault = sender_fault_12(&app, bare, "not a SOAP message");
    assert!(
        fault.reason.contains("KontrolsagListeHent_I"),
        "the reason names the root: {fault:?}"
    );
    assert_still_answers(&app);
}

#[test]
fn an_empty_body_is_refused() {
    let app = spawn_app();
    sender_fault_12(&app, "", "empty");
    sender_fault_12(&app, envelope(Soap::V12, ""), "Body is empty");
    assert_still_answers(&app);
}

#[test]
fn an_unknown_operation_in_the_body_is_refused() {
    let app = spawn_app();
    let body = envelope(Soap::V12, r#"<y:YdelseListeHent_I xmlns:y="urn:example:ydelse"/>"#);
    let fault = sender_fault_12(&app, body, "YdelseListeHent_I");
    assert!(
        fault.reason.contains("KontrolsagListeHent_I"),
        "the reason names what is served: {fault:?}"
    );
    let body11 = envelope(Soap::V11, "<KontrolsagListeHent/>");
    let fault = expect_client_fault_11(&app.post_soap11(ENDPOINT, body11));
    assert!(fault.reason.contains("unknown operation"), "{fault:?}");
    assert_still_answers(&app);
}

/// Expects 413 with a SOAP 1.2 Sender fault naming the limit.
fn expect_too_large(response: &HttpResponse, limit: usize) {
    assert_eq!(
        response.status,
        413,
        "body:\n{}",
        String::from_utf8_lossy(&response.body)
    );
    let fault = expect_fault(response, Soap::V12);
    assert_eq!(fault.code, "Sender");
    assert!(
        fault.reason.contains(&limit.to_string()),
        "the reason names the limit: {fault:?}"
    );
}

#[test]
fn a_body_over_the_size_limit_is_413_with_a_fault() {
    let app = spawn_app_with_limits(Limits {
        max_body: 4096,
        ..Default::default()
    });
    // Padding in the Header keeps it a valid request, only too large.
    let padding = format!("<!-- {} -->", "x".repeat(10 * 1024));
    let big = good_request().replace(
        "<soapenv:Header/>",
        &format!("<soapenv:Header>{padding}</soapenv:Header>"),
    );
    assert!(big.len() > 10 * 1024);
    expect_too_large(&app.post_soap12(ENDPOINT, big.clone()), 4096);
    assert_still_answers(&app);
}

#[test]
fn a_chunked_body_over_the_size_limit_is_413_with_a_fault() {
    let app = spawn_app_with_limits(Limits {
        max_body: 4096,
        ..Default::default()
    });
    let mut chunked = Vec::new();
    for _ in 0..10 {
        chunked.extend_from_slice(format!("{:x}\r\n{}\r\n", 1024, " ".repeat(1024)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let request = HttpRequest::new("POST", ENDPOINT)
        .header("Content-Type", "application/soap+xml")
        .header("Transfer-Encoding", "chunked")
        .body(chunked);
    expect_too_large(&app.send(&request), 4096);
    assert_still_answers(&app);
}

#[test]
fn a_body_just_under_the_size_limit_is_served() {
    let app = spawn_app_with_limits(Limits {
        max_body: 4096,
        ..Default::default()
    });
    let request = good_request();
    let padding = format!("<!--{}-->", "x".repeat(4096 - request.len() - "<!---->".len()));
    let padded = format!("{request}{padding}");
    assert_eq!(padded.len(), 4096);
    let doc = expect_answer(&app.post_soap12(ENDPOINT, padded), Soap::V12);
    assert_eq!(doc.all("Kontrolsag").len(), 1);
}

#[test]
fn a_billion_laughs_document_is_refused_quickly() {
    let app = spawn_app();
    let mut doctype = String::from("<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    doctype.push_str(&format!(" <!ENTITY lol1 \"{}\">\n", "&lol;".repeat(10)));
    for i in 2..=9 {
        doctype.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&lol{};", i - 1).repeat(10)
        ));
    }
    doctype.push_str("]>\n");
    let request = KontrolsagListeHentI {
        transaktions_id: Some("&lol9;".into()),
        ..Default::default()
    };
    let body = envelope(Soap::V12, &request.to_xml()).replacen("\n", &format!("\n{doctype}"), 1);
    let started = Instant::now();
    let response = app.post_soap12(ENDPOINT, body);
    // Generous: expanding 10^9 "lol"s would take far longer (and far more memory).
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let fault = expect_sender_fault_12(&response);
    assert!(fault.reason.contains("DOCTYPE"), "{fault:?}");
    assert!(response.body.len() < 4096, "the answer must not carry an expansion");
    assert!(!response.text().contains("lollol"));
    assert_still_answers(&app);
}

#[test]
fn an_external_entity_is_never_read() {
    let app = spawn_app();
    let doctype = "<!DOCTYPE e [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>";
    let request = KontrolsagListeHentI {
        transaktions_id: Some("&xxe;".into()),
        ..Default::default()
    };
    let body = envelope(Soap::V12, &request.to_xml()).replacen("\n", &format!("\n{doctype}\n"), 1);
    let response = app.post_soap12(ENDPOINT, body);
    let fault = expect_sender_fault_12(&response);
    assert!(fault.reason.contains("DOCTYPE"), "{fault:?}");
    assert!(
        !response.text().contains("root:"),
        "the file leaked: {}",
        response.text()
    );
    assert_still_answers(&app);
}

#[test]
fn deep_nesting_is_refused() {
    let app = spawn_app();
    let inner = "<a>".repeat(200) + &"</a>".repeat(200);
    let body = envelope(
        Soap::V12,
        &format!("<KontrolsagListeHent_I>{inner}</KontrolsagListeHent_I>"),
    );
    sender_fault_12(&app, body, "deeper than 64");
    // Nesting in the Header counts too.
    let body = good_request().replace(
        "<soapenv:Header/>",
        &format!("<soapenv:Header>{inner}</soapenv:Header>"),
    );
    sender_fault_12(&app, body, "deeper than 64");
    assert_still_answers(&app);
}

#[test]
fn a_missing_hoved_oplysninger_is_refused() {
    let app = spawn_app();
    let request = KontrolsagListeHentI {
        without_hoved_oplysninger: true,
        ..Default::default()
    };
    sender_fault_12(&app, request.envelope(Soap::V12), "HovedOplysninger");
    let fault = expect_client_fault_11(&app.post_soap11(ENDPOINT, request.envelope(Soap::V11)));
    assert!(fault.reason.contains("HovedOplysninger"), "{fault:?}");
    assert_still_answers(&app);
}

#[test]
fn a_missing_or_malformed_transaction_is_refused() {
    let app = spawn_app();
    let no_id = KontrolsagListeHentI {
        transaktions_id: None,
        ..Default::default()
    };
    sender_fault_12(&app, no_id.envelope(Soap::V12), "TransaktionsId");
    let bad_tid = KontrolsagListeHentI {
        transaktions_tid: Some("i går".into()),
        ..Default::default()
    };
    sender_fault_12(&app, bad_tid.envelope(Soap::V12), "TransaktionsTid");
    assert_still_answers(&app);
}

#[test]
fn a_request_without_a_caller_is_refused() {
    let app = spawn_app();
    let anonymous = KontrolsagListeHentI {
        caller_cvr: None,
        ..Default::default()
    };
    sender_fault_12(&app, anonymous.envelope(Soap::V12), "AuthorityContext");
    let garbled = KontrolsagListeHentI {
        caller_cvr: Some("not-a-cvr".into()),
        ..Default::default()
    };
    sender_fault_12(&app, garbled.envelope(Soap::V12), "MunicipalityCVR");
    assert_still_answers(&app);
}

#[test]
fn an_unknown_envelope_namespace_is_a_version_mismatch() {
    let app = spawn_app();
    let body = good_request().replace("http://www.w3.org/2003/05/soap-envelope", "urn:example:not-soap");
    let response = app.post_soap12(ENDPOINT, body);
    let fault = expect_fault(&response, Soap::V12);
    assert_eq!(fault.code, "VersionMismatch", "{fault:?}");
    assert!(
        fault.reason.contains("urn:example:not-soap"),
        "the reason names the namespace: {fault:?}"
    );
    assert_ne!(response.status, 200);
    // An Envelope in no namespace at all.
    let body = "<Envelope><Body><KontrolsagListeHent_I/></Body></Envelope>";
    let fault = expect_fault(&app.post_soap12(ENDPOINT, body), Soap::V12);
    assert_eq!(fault.code, "VersionMismatch", "{fault:?}");
    assert_still_answers(&app);
}

#[test]
fn an_envelope_without_a_body_or_with_strangers_is_refused() {
    let app = spawn_app();
    let no_body = format!(
        "<s:Envelope xmlns:s=\"{}\"><s:Header/></s:Envelope>",
        crate::soap::SOAP12_NS
    );
    sender_fault_12(&app, no_body, "Body");
    let stranger = good_request().replace("<soapenv:Header/>", "<soapenv:Trailer/>");
    sender_fault_12(&app, stranger, "Trailer");
    let two_ops = good_request().replace("</soapenv:Body>", "<Other/></soapenv:Body>");
    sender_fault_12(&app, two_ops, "more than one");
    let trailing = format!("{}<extra/>", good_request());
    let fault = expect_sender_fault_12(&app.post_soap12(ENDPOINT, trailing));
    assert!(!fault.reason.is_empty());
    assert_still_answers(&app);
}

#[test]
fn an_undeclared_prefix_is_refused() {
    let app = spawn_app();
    let body = envelope(Soap::V12, "<nope:KontrolsagListeHent_I/>");
    sender_fault_12(&app, body, "not declared");
    assert_still_answers(&app);
}

#[test]
fn a_body_that_is_not_utf8_is_refused() {
    let app = spawn_app();
    let mut body = good_request().into_bytes();
    let at = body
        .windows(10)
        .position(|w| w == b"1507804329")
        .expect("the CPR is in the request");
    body[at] = 0xFF;
    let response = app.post_soap12(ENDPOINT, body);
    assert_ne!(
        response.status,
        200,
        "body:\n{}",
        String::from_utf8_lossy(&response.body)
    );
    expect_fault(&response, Soap::V12);
    assert_still_answers(&app);
}
