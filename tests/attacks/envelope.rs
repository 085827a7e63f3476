//! §4: SOAP allows one Header, before the Body. A second Header was accepted (the security
//! check read the first, the RequestHeader echo the last), so unsigned `wsa:To`, `wsa:Action`
//! and `wsa:From` in it were never judged in strict mode.

use sfstub::security::SecurityMode;
use sfstub::security::keys::shared_test_keys;
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;

use crate::world::{SOAP12, app};
use crate::{assert_refused, forge, post, token};

const SECOND_HEADER: &str = r#"<soap:Header><wsa:To>http://elsewhere.invalid/kontrolsaglistehent/1</wsa:To><wsa:Action>urn:something-else</wsa:Action><wsa:From><wsa:Address>urn:someone-else</wsa:Address></wsa:From></soap:Header>"#;

#[test]
fn a_second_header_with_unsigned_addressing_is_refused_in_strict_mode() {
    let app = app(SecurityMode::Strict);
    let assertion = token::issue_token(&app, ENTITY_ID, "29189846");
    let signed = forge::request_as(&assertion, &shared_test_keys().client.key, |t| t);
    let (status, xml) = post(&app, "/kontrolsaglistehent/1", &signed);
    assert_eq!(status, 200, "{xml}");
    let two = signed.replacen("</soap:Header>", &format!("</soap:Header>{SECOND_HEADER}"), 1);
    let (status, xml) = post(&app, "/kontrolsaglistehent/1", &two);
    assert_refused(status, &xml, "the Envelope holds a second Header; SOAP allows one");
}

#[test]
fn a_second_header_is_refused_in_every_mode_and_by_every_service() {
    let request_header = |uuid: &str| {
        format!(
            r#"<soap:Header><rh:RequestHeader xmlns:rh="http://kombit.dk/xml/schemas/RequestHeader/1/"><rh:TransactionUUID>{uuid}</rh:TransactionUUID></rh:RequestHeader></soap:Header>"#
        )
    };
    let body = r#"<v:LaesInput xmlns:v="http://stoettesystemerne.dk/organisation/virksomhed/6/" xmlns:sd="urn:oio:sagdok:3.0.0"><sd:UUIDIdentifikator>e2f77054-be15-55a5-873d-d862160217f6</sd:UUIDIdentifikator></v:LaesInput>"#;
    let request = format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}">{}{}<soap:Body>{body}</soap:Body></soap:Envelope>"#,
        request_header("7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f"),
        request_header("00000000-0000-0000-0000-000000000000"),
    );
    for mode in [SecurityMode::Off, SecurityMode::Token, SecurityMode::Strict] {
        let app = app(mode);
        for path in [
            "/organisation/virksomhed/6",
            "/kontrolsaglistehent/1",
            "/runtime/services/kombittrust/14/certificatemixed",
        ] {
            let (status, xml) = post(&app, path, &request);
            assert_refused(status, &xml, "the Envelope holds a second Header");
        }
    }
}

#[test]
fn a_header_after_the_body_and_a_second_body_are_refused() {
    let app = app(SecurityMode::Off);
    let op = r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/"/>"#;
    let late =
        format!(r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body>{op}</soap:Body><soap:Header/></soap:Envelope>"#);
    let (status, xml) = post(&app, "/kontrolsaglistehent/1", &late);
    assert_refused(status, &xml, "the Header comes after the Body");
    let twice = format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body>{op}</soap:Body><soap:Body></soap:Body></soap:Envelope>"#
    );
    let (status, xml) = post(&app, "/kontrolsaglistehent/1", &twice);
    assert_refused(status, &xml, "a second Body");
}
