//! §5 and §6: the STS issues a holder-of-key token only to the holder of a usable key. In
//! strict mode the REST WS-Trust face wants the UseKey certificate as the TLS client
//! certificate (a certificate in the JSON body proves nothing); and no face, nor a strict
//! service, accepts a certificate outside its validity or with an RSA key under 2048 bits.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::keys::shared_test_keys;
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;

use crate::forge::{self, Identity};
use crate::world::{STS_PATH, app};
use crate::{assert_refused, post};

const REST: &str = "/runtime/api/rest/wstrust/v1/issue";

/// The REST WS-Trust face: (status, JSON).
fn rest(app: &App, use_key: Option<&[u8]>, tls: Option<&[u8]>) -> (u16, serde_json::Value) {
    let body = serde_json::json!({
        "TokenType": "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
        "RequestType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        "KeyType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey",
        "AnvenderKontekst": { "Cvr": "29189846" },
        "UseKey": use_key.map(|der| B64.encode(der)),
        "AppliesTo": { "EndpointReference": { "Address": ENTITY_ID } },
    });
    let mut request = http::Request::post(REST).body(Bytes::from(body.to_string())).unwrap();
    if let Some(der) = tls {
        request
            .extensions_mut()
            .insert(sfstub::tls::PeerCertificate(der.to_vec()));
    }
    let response = sfstub::http::handle(app, request);
    let json = serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null);
    (response.status().as_u16(), json)
}

#[test]
fn the_rest_sts_in_strict_mode_issues_only_to_the_tls_client_certificate() {
    let client = &shared_test_keys().client.cert_der;
    let strict = app(SecurityMode::Strict);
    let (status, json) = rest(&strict, Some(client), None);
    assert_eq!((status, json["code"].as_u64()), (401, Some(101)), "{json}");
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("strict mode") && message.contains("TLS client certificate"),
        "{message}"
    );
    // Presented in TLS (with or without UseKey), it is the holder's.
    assert_eq!(rest(&strict, Some(client), Some(client)).0, 200);
    assert_eq!(rest(&strict, None, Some(client)).0, 200);
    // Token mode keeps taking UseKey alone, as documented.
    assert_eq!(rest(&app(SecurityMode::Token), Some(client), None).0, 200);
}

/// The unusable certificates: (what, certificate, what the refusal says).
fn unusable() -> Vec<(&'static str, Identity, &'static str)> {
    vec![
        (
            "expired in 2021",
            forge::issued_by_sfstub(2048, forge::JAN_2019, forge::JUN_2021),
            "expired at 2021-06-30T00:00:00Z",
        ),
        (
            "valid from 2030",
            forge::issued_by_sfstub(2048, forge::JAN_2030, forge::JAN_2030 + 86_400 * 365),
            "is not valid before 2030-01-01T00:00:00Z",
        ),
        (
            "a 1024-bit key",
            forge::issued_by_sfstub(1024, forge::JAN_2019, forge::JAN_2030),
            "has a 1024-bit RSA key; sfstub requires at least 2048 bits",
        ),
    ]
}

#[test]
fn the_sts_refuses_an_unusable_certificate_on_every_face_and_in_every_mode() {
    for (what, identity, expected) in unusable() {
        for mode in [SecurityMode::Off, SecurityMode::Token, SecurityMode::Strict] {
            let app = app(mode);
            let (status, xml) = post(&app, STS_PATH, &forge::rst_as(&identity, ENTITY_ID, "29189846", None));
            assert_refused(status, &xml, expected);
            assert!(xml.contains("sf:STS101"), "{what}: {xml}");
            let (status, json) = rest(&app, Some(&identity.der), Some(&identity.der));
            assert_eq!((status, json["code"].as_u64()), (400, Some(101)), "{what}: {json}");
            assert!(
                json["message"].as_str().unwrap_or_default().contains(expected),
                "{what}: {json}"
            );
        }
    }
}

#[test]
fn a_strict_service_refuses_a_message_signed_with_an_unusable_certificate() {
    let app = app(SecurityMode::Strict);
    for (what, identity, expected) in unusable() {
        let assertion = forge::assertion_for(&identity.der);
        let request = forge::request_as(&assertion, &identity.key, |t| t);
        let (status, xml) = post(&app, "/kontrolsaglistehent/1", &request);
        assert_refused(
            status,
            &xml,
            "token rejected (strict mode): the holder-of-key certificate: the certificate",
        );
        assert_refused(status, &xml, expected);
        let _ = what;
    }
}
