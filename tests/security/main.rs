//! SF1514 and the token model: the STS issues signed holder-of-key tokens, services accept
//! them in `token` and `strict` mode, and every rejection names what is wrong. Independent
//! proof comes from xmlsec1: it verifies what sfstub signs, and signs a message sfstub's
//! strict mode accepts.

mod cache;
mod client;
mod clocks;
mod request_log;
#[path = "../support/token.rs"]
mod token;
#[path = "../support/world.rs"]
mod world;
#[path = "../support/xmlsec.rs"]
mod xmlsec;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use client::*;
use sfstub::security::SecurityMode;
use sfstub::security::dsig;
use sfstub::security::keys::shared_test_keys;
use sfstub::security::saml::{self, AssertionSpec};
use sfstub::security::xmltree::Tree;
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;

// ---- the STS -------------------------------------------------------------------------------

#[test]
fn sts_issues_a_signed_holder_of_key_token_for_the_sample_client() {
    let app = app(SecurityMode::Off);
    let (status, xml) = post(&app, STS_PATH, &rst(ENTITY_ID, "29189846", true));
    assert_eq!(status, 200, "{xml}");
    let tree = Tree::parse(xml.as_bytes()).unwrap();
    // The RSTR is signed by the STS over Body, Timestamp, Action, MessageID and RelatesTo.
    let signature = find(&tree, dsig::DS_NS, "Signature").expect("a signed RSTR");
    let verified = dsig::verify(&tree, signature, shared_test_keys().sts.public_key(), "the STS", None).unwrap();
    assert_eq!(verified.covered.len(), 5);
    assert_eq!(text(&tree, WSA, "RelatesTo").as_deref(), Some(RST_MESSAGE_ID));
    assert_eq!(text(&tree, WSA, "Action").as_deref(), Some(RSTRC_ACTION));
    // Lifetime: 8 hours from the clock.
    let lifetime = find(&tree, "http://docs.oasis-open.org/ws-sx/ws-trust/200512", "Lifetime").unwrap();
    let field = |local| tree.text(tree.child(lifetime, WSU, local).unwrap());
    assert_eq!(field("Created"), "2026-11-22T12:00:00.000Z");
    assert_eq!(field("Expires"), "2026-11-22T20:00:00.000Z");
    assert_eq!(text(&tree, WSA, "Address").as_deref(), Some(ENTITY_ID));
    // The assertion: issuer, subject = client certificate, HoK certificate, audience, CVR.
    let assertion = find(&tree, saml::SAML_NS, "Assertion").unwrap();
    let info = saml::read(&tree, assertion).unwrap();
    let client = &shared_test_keys().client;
    assert_eq!(info.subject, client.subject());
    assert_eq!(info.holder_certificate.as_deref(), Some(client.cert_der.as_slice()));
    assert_eq!(info.audiences, vec![ENTITY_ID.to_owned()]);
    assert_eq!(info.cvr.as_deref(), Some("29189846"));
    assert_eq!(info.confirmation_method.as_deref(), Some(saml::HOLDER_OF_KEY));
    assert_eq!(info.issuer, sfstub::security::DEFAULT_STS_ISSUER);
    let attributes: Vec<&str> = ["AssuranceLevel", "SpecVer", "KombitSpecVer", "Privileges_intermediate"]
        .into_iter()
        .collect();
    for a in attributes {
        assert!(
            xml.contains(&format!("dk:gov:saml:attribute:{a}")),
            "attribute {a} missing"
        );
    }
    dsig::verify(
        &tree,
        info.signature.unwrap(),
        shared_test_keys().sts.public_key(),
        "the STS",
        None,
    )
    .unwrap();
}

#[test]
fn the_issued_assertion_verifies_with_xmlsec1() {
    let app = app(SecurityMode::Off);
    let (_, xml) = post(&app, STS_PATH, &rst(ENTITY_ID, "29189846", true));
    let assertion = assertion_of(&xml);
    let dir = TempDir::new("xmlsec-assertion");
    let cert = dir.write("sts.pem", shared_test_keys().sts.cert_pem.as_bytes());
    let good = dir.write("assertion.xml", assertion.as_bytes());
    let id_attr = format!("{}:Assertion", saml::SAML_NS);
    let (ok, out) = xmlsec1(&[
        "--verify",
        "--pubkey-cert-pem",
        path(&cert),
        "--id-attr:ID",
        &id_attr,
        path(&good),
    ]);
    assert!(ok, "xmlsec1 refused the STS's assertion:\n{out}");
    let bad = dir.write("tampered.xml", assertion.replace("29189846", "29189847").as_bytes());
    let (ok, _) = xmlsec1(&[
        "--verify",
        "--pubkey-cert-pem",
        path(&cert),
        "--id-attr:ID",
        &id_attr,
        path(&bad),
    ]);
    assert!(!ok, "xmlsec1 accepted a tampered assertion");
}

#[test]
fn sts_refuses_an_unknown_service_with_code_101() {
    let (status, xml) = post(
        &app(SecurityMode::Off),
        STS_PATH,
        &rst("http://entityid.kombit.dk/service/nope/1", "29189846", true),
    );
    assert_fault(
        status,
        &xml,
        "STS101",
        "\"http://entityid.kombit.dk/service/nope/1\" is unknown",
    );
}

#[test]
fn sts_refuses_a_request_without_the_cvr_claim_with_code_103() {
    let request = rst(ENTITY_ID, "29189846", true).replace("dk:gov:saml:attribute:CvrNumberIdentifier", "urn:other");
    let (status, xml) = post(&app(SecurityMode::Off), STS_PATH, &request);
    assert_fault(
        status,
        &xml,
        "STS103",
        "the STS needs dk:gov:saml:attribute:CvrNumberIdentifier",
    );
}

#[test]
fn sts_refuses_a_bearer_token_request_with_code_103() {
    let request = rst(ENTITY_ID, "29189846", true).replace("200512/PublicKey", "200512/Bearer");
    let (status, xml) = post(&app(SecurityMode::Off), STS_PATH, &request);
    assert_fault(status, &xml, "STS103", "holder-of-key tokens only");
}

#[test]
fn sts_refuses_a_cvr_without_a_service_agreement_with_code_5015() {
    // ATP is an authority of the world, but the default agreements cover only the
    // municipalities and Udbetaling Danmark.
    let (status, xml) = post(&app(SecurityMode::Off), STS_PATH, &rst(ENTITY_ID, "43405810", true));
    assert_fault(status, &xml, "STS5015", "CVR 43405810 (ATP) has no service agreement");
}

#[test]
fn sts_in_strict_mode_refuses_an_unsigned_request() {
    let (status, xml) = post(&app(SecurityMode::Strict), STS_PATH, &rst(ENTITY_ID, "29189846", false));
    assert_fault(status, &xml, "STS103", "the RST is not signed");
    let (status, xml) = post(&app(SecurityMode::Strict), STS_PATH, &rst(ENTITY_ID, "29189846", true));
    assert_eq!(status, 200, "{xml}");
}

#[test]
fn kombits_example_requests_parse_and_are_answered() {
    let app = app(SecurityMode::Off);
    // The .NET reference client's request, for its own test service: refused by name.
    let digst = example("SOAP examples/OioWsTrust/Examples generated by Digst.OioIdws.Wsc/Request.xml");
    let (status, xml) = post(&app, STS_PATH, &digst);
    assert_fault(
        status,
        &xml,
        "STS101",
        "\"http://wsp12.oioidws-net.dk/service/service/1\" is unknown",
    );
    // The same request for sfstub's SF1472 and a municipality's CVR is read to the end, and
    // refused for KOMBIT's example certificate itself: it expired in 2025.
    let ours = digst
        .replace("http://wsp12.oioidws-net.dk/service/service/1", ENTITY_ID)
        .replace(">11111111<", ">29189846<");
    let (status, xml) = post(&app, STS_PATH, &ours);
    assert_fault(
        status,
        &xml,
        "STS101",
        "the client certificate cannot be used: the certificate SERIALNUMBER=CVR:19435075-FID:64205450 + \
         CN=WSC_Core (funktionscertifikat), O=KOMBIT A/S // CVR:19435075, C=DK expired at 2025-11-18T09:59:33Z",
    );
    // A request for the CPR query service: unknown here, and named.
    let (status, xml) = post(&app, STS_PATH, &example("test-data/Request.xml"));
    assert_fault(
        status,
        &xml,
        "STS101",
        "http://cpr.serviceplatformen.dk/service/query/2",
    );
    // The 2014 example of the STS's own documentation asks for nothing sfstub can issue.
    // It is SOAP 1.1, so the fault is too (HTTP 500, faultcode Client).
    let (status, xml) = post(
        &app,
        STS_PATH,
        &example("SOAP examples/OioWsTrust/Official examples from STS/Request.xml"),
    );
    assert_eq!(status, 500, "{xml}");
    assert!(xml.contains("<faultcode>soap:Client</faultcode>"), "{xml}");
    assert!(xml.contains("103: TokenType is missing"), "{xml}");
}

// ---- services in the token model -----------------------------------------------------------

#[test]
fn token_mode_accepts_a_token_and_signs_the_response() {
    let app = app(SecurityMode::Token);
    let (status, xml) = post(&app, SF1472_PATH, &token_request(&app, Tamper::None));
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<Kontrolsag>"), "{xml}");
    let tree = Tree::parse(xml.as_bytes()).unwrap();
    assert_eq!(text(&tree, WSA, "RelatesTo").as_deref(), Some(CLIENT_MESSAGE_ID));
    let signature = find(&tree, dsig::DS_NS, "Signature").expect("a signed response");
    let service_key = shared_test_keys().service.public_key();
    let verified = dsig::verify(&tree, signature, service_key, "the service certificate", None).unwrap();
    let body = tree
        .child_elements(tree.root())
        .find(|&c| tree.element(c).local_name() == "Body")
        .unwrap();
    assert!(verified.covered.contains(&body), "the response Body is signed");
}

#[test]
fn token_mode_refuses_the_context_model_alone() {
    let (status, xml) = post(&app(SecurityMode::Token), SF1472_PATH, &context_request("64942212"));
    assert_fault(
        status,
        &xml,
        "",
        "token rejected (token mode): the request has no SOAP Header",
    );
}

#[test]
fn token_mode_names_a_wrong_audience() {
    let app = app(SecurityMode::Token);
    let assertion = forged_assertion(&app, "http://entityid.kombit.dk/service/other/1", now(), 8);
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&assertion, Tamper::None));
    assert_fault(
        status,
        &xml,
        "",
        &format!("assertion audience is http://entityid.kombit.dk/service/other/1, this service is {ENTITY_ID}"),
    );
}

#[test]
fn token_mode_names_an_expired_token() {
    let app = app(SecurityMode::Token);
    let assertion = forged_assertion(&app, ENTITY_ID, now() - Duration::hours(9), 8);
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&assertion, Tamper::None));
    assert_fault(status, &xml, "", "token expired at 2026-11-22T11:00:00.000Z");
}

#[test]
fn token_mode_refuses_a_changed_or_foreign_assertion() {
    let app = app(SecurityMode::Token);
    let assertion = issue_token(&app).replace(">29189846<", ">64942212<");
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&assertion, Tamper::None));
    assert_fault(status, &xml, "", "the assertion's signature is not valid");
    // Signed by another key (the sample client's) than sfstub's STS.
    let keys = shared_test_keys();
    let spec = spec_for(ENTITY_ID, now(), 8);
    let foreign = saml::issue(&spec, &keys.client.key, &keys.client.cert_der).unwrap();
    let (status, xml) = post(&app, SF1472_PATH, &request_with(&foreign, Tamper::None));
    assert_fault(status, &xml, "", "not issued by this sfstub");
}

// ---- strict mode ---------------------------------------------------------------------------

#[test]
fn strict_mode_accepts_a_correctly_signed_message() {
    let app = app(SecurityMode::Strict);
    let (status, xml) = post(&app, SF1472_PATH, &token_request(&app, Tamper::None));
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<Kontrolsag>"));
}

#[test]
fn strict_mode_names_each_flaw() {
    let app = app(SecurityMode::Strict);
    let cases = [
        (Tamper::BodyByte, "the digest of #_body (the soap:Body) does not match"),
        (
            Tamper::ExpiredTimestamp,
            "Timestamp expired at 2026-11-22T11:55:00.000Z",
        ),
        (Tamper::TimestampUnsigned, "Timestamp not signed"),
        (Tamper::ToUnsigned, "wsa:To not signed"),
        (
            Tamper::OtherKey,
            "signature does not verify with the holder-of-key certificate",
        ),
        (Tamper::TwoSecurityHeaders, "exactly one"),
        (Tamper::Unsigned, "the message is not signed"),
    ];
    for (tamper, expected) in cases {
        let (status, xml) = post(&app, SF1472_PATH, &token_request(&app, tamper));
        assert_fault(status, &xml, "", expected);
    }
}

#[test]
fn a_message_signed_by_xmlsec1_passes_strict_mode() {
    let app = app(SecurityMode::Strict);
    let assertion = issue_token(&app);
    let signed = xmlsec1_signed_request(&assertion, now());
    let (status, xml) = post(&app, SF1472_PATH, &signed);
    assert_eq!(
        status, 200,
        "sfstub's strict mode refused xmlsec1's signature:\n{xml}\n{signed}"
    );
    assert!(xml.contains("<Kontrolsag>"));
    // One byte of the Body changed after signing.
    let tampered = signed.replace("UDBL_11A_STK2", "UDBL_11A_STK1");
    let (status, xml) = post(&app, SF1472_PATH, &tampered);
    assert_fault(status, &xml, "", "the digest of #body (the soap:Body) does not match");
    // Signed properly, but with a Timestamp that has expired.
    let stale = xmlsec1_signed_request(&assertion, now() - Duration::minutes(10));
    let (status, xml) = post(&app, SF1472_PATH, &stale);
    assert_fault(status, &xml, "", "Timestamp expired at");
    // Signed properly, but the token is for another service.
    let other = forged_assertion(&app, "http://entityid.kombit.dk/service/other/1", now(), 8);
    let (status, xml) = post(&app, SF1472_PATH, &xmlsec1_signed_request(&other, now()));
    assert_fault(
        status,
        &xml,
        "",
        "assertion audience is http://entityid.kombit.dk/service/other/1",
    );
}

// ---- service agreements --------------------------------------------------------------------

#[test]
fn a_caller_without_a_service_agreement_is_refused_in_the_context_model() {
    let (status, xml) = post(&app(SecurityMode::Off), SF1472_PATH, &context_request("43405810"));
    assert_fault(
        status,
        &xml,
        "",
        "ServiceAgreementNotFound: CVR 43405810 (ATP) has no service agreement",
    );
}

#[test]
fn a_scenario_can_pin_the_user_system_of_an_agreement() {
    let yaml = format!(
        "name: pinned\nclock: {CLOCK}\npopulation: {{ citizens: 10 }}\nagreements:\n  - {{ cvr: \"29189846\", services: [\"{ENTITY_ID}\"], system: \"CN=somebody else\" }}\n"
    );
    let app = app_from(&yaml, SecurityMode::Token);
    let (status, xml) = post(&app, STS_PATH, &rst(ENTITY_ID, "29189846", true));
    assert_fault(
        status,
        &xml,
        "STS5015",
        "is bound to another user system than the certificate presented (subject SERIALNUMBER=CVR:12345674",
    );
    assert!(
        !xml.contains("somebody else"),
        "the refusal names the pinned system: {xml}"
    );
    let (status, xml) = post(&app, STS_PATH, &rst(ENTITY_ID, "64942212", true));
    assert_fault(
        status,
        &xml,
        "STS5015",
        "no service agreement in the scenario lets CVR 64942212",
    );
}

fn spec_for(audience: &str, issued: DateTime<Utc>, hours: i64) -> AssertionSpec {
    let client = &shared_test_keys().client;
    AssertionSpec {
        id: format!("_{}", uuid::Uuid::new_v4()),
        issuer: sfstub::security::DEFAULT_STS_ISSUER.to_owned(),
        subject: client.subject(),
        holder_certificate: client.cert_der.clone(),
        audience: audience.to_owned(),
        cvr: "29189846".into(),
        privileges: vec![],
        issued,
        expires: issued + Duration::hours(hours),
    }
}

/// An assertion signed by sfstub's STS key but with chosen contents (audience, times).
/// A signed request's characters are checked once, by the envelope reader, which hands the
/// signature's reader the proof (soap::CheckedText); a request it cannot prove checked is
/// checked again there. Either way a character XML 1.0 does not allow, or bytes that are not
/// UTF-8, are refused with the fault they always got, in both modes.
#[test]
fn a_signed_request_with_a_forbidden_character_or_not_utf8_is_refused() {
    for mode in [SecurityMode::Token, SecurityMode::Strict] {
        let app = app(mode);
        let request = token_request(&app, Tamper::None);
        assert_eq!(
            post(&app, SF1472_PATH, &request).0,
            200,
            "{mode:?}: the request is good"
        );
        // In the signed Body, and in a comment in the (signed) Header's Security block.
        let in_body = request.replacen(">1507804329<", ">1507804329\u{1}<", 1);
        assert_ne!(in_body, request);
        let (status, xml) = post(&app, SF1472_PATH, &in_body);
        assert_fault(status, &xml, "", "it holds the character U+0001 written as it is");
        let in_comment = request.replacen("</wsse:Security>", "<!-- \u{fffe} --></wsse:Security>", 1);
        assert_ne!(in_comment, request);
        let (status, xml) = post(&app, SF1472_PATH, &in_comment);
        assert_fault(status, &xml, "", "it holds the character U+FFFE written as it is");
        // Bytes that are not UTF-8, in a comment and in the operation's text: the envelope
        // reader reads such a request with quick-xml, which hands on bytes nobody checked;
        // the signature's reader checks them.
        for (from, to, reason) in [
            (
                "</wsse:Security>",
                "<!-- \u{e9} --></wsse:Security>",
                "the request cannot be read: the document is not UTF-8",
            ),
            (
                ">1507804329<",
                ">15078\u{e9}04329<",
                "the request cannot be read: the document is not UTF-8",
            ),
        ] {
            let mut bytes = request.replacen(from, to, 1).into_bytes();
            // U+00E9 is C3 A9 in UTF-8: C3 alone before a space or a digit is not UTF-8.
            let at = bytes.windows(2).position(|w| w == [0xC3, 0xA9]).expect("the é is in");
            bytes.remove(at + 1);
            let (status, xml) = post_bytes(&app, SF1472_PATH, bytes);
            assert_fault(status, &xml, "", reason);
        }
    }
}

fn post_bytes(app: &sfstub::app::App, path: &str, body: Vec<u8>) -> (u16, String) {
    let request = http::Request::post(path).body(Bytes::from(body)).unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

fn forged_assertion(_app: &sfstub::app::App, audience: &str, issued: DateTime<Utc>, hours: i64) -> String {
    let sts = &shared_test_keys().sts;
    saml::issue(&spec_for(audience, issued, hours), &sts.key, &sts.cert_der).unwrap()
}

fn post(app: &sfstub::app::App, path: &str, body: &str) -> (u16, String) {
    let request = http::Request::post(path).body(Bytes::from(body.to_owned())).unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

// ---- the REST and OAuth faces of the STS ---------------------------------------------------

fn rest(app: &sfstub::app::App, path: &str, body: &str, client_cert: Option<&[u8]>) -> (u16, serde_json::Value) {
    let mut request = http::Request::post(path).body(Bytes::from(body.to_owned())).unwrap();
    if let Some(der) = client_cert {
        request
            .extensions_mut()
            .insert(sfstub::tls::PeerCertificate(der.to_vec()));
    }
    let response = sfstub::http::handle(app, request);
    let json = serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null);
    (response.status().as_u16(), json)
}

fn wstrust_body(cvr: &str, applies_to: &str, use_key: Option<&str>) -> String {
    serde_json::json!({
        "TokenType": "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
        "RequestType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        "KeyType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey",
        "AnvenderKontekst": { "Cvr": cvr },
        "UseKey": use_key,
        "AppliesTo": { "EndpointReference": { "Address": applies_to } },
        "OnBehalfOf": null,
    })
    .to_string()
}

#[test]
fn rest_wstrust_returns_a_base64_assertion_for_the_use_key_certificate() {
    use base64::Engine;
    let app = app(SecurityMode::Off);
    let client = &shared_test_keys().client;
    let (status, json) = rest(
        &app,
        "/runtime/api/rest/wstrust/v1/issue",
        &wstrust_body("29189846", ENTITY_ID, Some(client.cert_base64())),
        None,
    );
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["Lifetime"]["Created"], "11/22/2026 12:00:00");
    assert_eq!(json["Lifetime"]["Expires"], "11/22/2026 20:00:00");
    let b64 = json["RequestedSecurityToken"]["Assertion"].as_str().unwrap();
    let xml = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let tree = Tree::parse(&xml).unwrap();
    let info = saml::read(&tree, tree.root()).unwrap();
    assert_eq!(info.subject, client.subject());
    dsig::verify(
        &tree,
        info.signature.unwrap(),
        shared_test_keys().sts.public_key(),
        "the STS",
        None,
    )
    .unwrap();
    // The TLS client certificate serves as well; a different UseKey is refused.
    let (status, _) = rest(
        &app,
        "/runtime/api/rest/wstrust/v1/issue",
        &wstrust_body("29189846", ENTITY_ID, None),
        Some(&client.cert_der),
    );
    assert_eq!(status, 200);
    let other = shared_test_keys().service.cert_base64();
    let (status, json) = rest(
        &app,
        "/runtime/api/rest/wstrust/v1/issue",
        &wstrust_body("29189846", ENTITY_ID, Some(other)),
        Some(&client.cert_der),
    );
    assert_eq!((status, json["code"].as_u64()), (400, Some(103)), "{json}");
}

#[test]
fn rest_wstrust_errors_carry_the_sts_codes() {
    let app = app(SecurityMode::Off);
    let path = "/runtime/api/rest/wstrust/v1/issue";
    let cert = shared_test_keys().client.cert_base64();
    let (status, json) = rest(&app, path, &wstrust_body("29189846", ENTITY_ID, None), None);
    assert_eq!((status, json["code"].as_u64()), (401, Some(101)), "{json}");
    assert!(json["message"].as_str().unwrap().contains("no client certificate"));
    let (status, json) = rest(
        &app,
        path,
        &wstrust_body("29189846", "http://x.invalid/1", Some(cert)),
        None,
    );
    assert_eq!((status, json["code"].as_u64()), (400, Some(101)), "{json}");
    let (status, json) = rest(&app, path, &wstrust_body("43405810", ENTITY_ID, Some(cert)), None);
    assert_eq!((status, json["code"].as_u64()), (403, Some(5015)), "{json}");
    let (status, json) = rest(&app, path, "{not json", None);
    assert_eq!((status, json["code"].as_u64()), (400, Some(103)), "{json}");
}

#[test]
fn oauth_client_credentials_returns_a_ps256_jwt_bound_to_the_client_certificate() {
    use base64::Engine;
    use sha2::Digest;
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = app(SecurityMode::Off);
    let client = &shared_test_keys().client;
    let form = format!(
        "grant_type=client_credentials&client_id={ENTITY_ID}&scope=entityid:{ENTITY_ID},anvenderkontekst:29189846"
    );
    let (status, json) = rest(&app, "/runtime/api/rest/oauth/v1/issue", &form, Some(&client.cert_der));
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["token_type"], "Holder-of-key");
    assert_eq!(json["expires_in"], 28800);
    let token = json["access_token"].as_str().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value = serde_json::from_slice(&b64url.decode(parts[0]).unwrap()).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&b64url.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "PS256");
    assert_eq!(claims["cvr"], "29189846");
    assert_eq!(claims["aud"], ENTITY_ID);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        8 * 3600
    );
    assert_eq!(
        claims["cnf"]["x5t#S256"],
        b64url.encode(sha2::Sha256::digest(&client.cert_der))
    );
    let signature = b64url.decode(parts[2]).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    assert!(
        shared_test_keys()
            .sts
            .public_key()
            .verify_pss_sha256(signed.as_bytes(), &signature),
        "the JWT verifies with the STS key"
    );
    assert!(
        !shared_test_keys()
            .service
            .public_key()
            .verify_pss_sha256(signed.as_bytes(), &signature)
    );
    // Without a TLS client certificate there is nothing to bind the token to.
    let (status, json) = rest(&app, "/runtime/api/rest/oauth/v1/issue", &form, None);
    assert_eq!((status, json["code"].as_u64()), (401, Some(101)), "{json}");
}
