//! §1: a service agreement pinned to a user system's certificate subject is not satisfied by
//! a certificate that merely copies the subject (anyone holding the public `client.pem` can
//! make one); a thumbprint pins one certificate; and no refusal names the pinned system.

use std::str::FromStr;

use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::keys::{parse_certificate, shared_test_keys, thumbprint};
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use x509_cert::name::Name;

use crate::forge::{self, Identity};
use crate::world::{CLOCK, STS_PATH, app_from};
use crate::{assert_refused, post, token};

const SF1472: &str = "/kontrolsaglistehent/1";

/// The default world where only CVR 29189846 (Viborg) may use SF1472, through `system`.
fn pinned(system: &str, mode: SecurityMode) -> App {
    let yaml = format!(
        "name: pinned\nclock: {CLOCK}\nsecurity: {{ clock: {CLOCK} }}\npopulation: {{ citizens: 10 }}\nagreements:\n  - {{ cvr: \"29189846\", services: [\"{ENTITY_ID}\"], system: \"{system}\" }}\n"
    );
    app_from(&yaml, mode)
}

/// A strict SF1472 call as `identity`, with a token the STS could have issued to it.
fn call_as(app: &App, identity: &Identity) -> (u16, String) {
    let assertion = forge::assertion_for(&identity.der);
    post(app, SF1472, &forge::request_as(&assertion, &identity.key, |t| t))
}

#[test]
fn a_lookalike_of_a_subject_pinned_certificate_gets_no_token() {
    let app = pinned(&shared_test_keys().client.subject(), SecurityMode::Strict);
    // Self-signed, and claiming sfstub's CA as issuer without its signature.
    for claim_sfstub_ca in [false, true] {
        let fake = forge::lookalike(claim_sfstub_ca);
        let (status, xml) = post(&app, STS_PATH, &forge::rst_as(&fake, ENTITY_ID, "29189846", None));
        assert_refused(
            status,
            &xml,
            "5015: received user context does not exist on using system",
        );
        assert_refused(status, &xml, "is bound to another user system");
    }
    // The real certificate, issued by sfstub's CA, still gets one.
    let (status, xml) = post(&app, STS_PATH, &token::rst(ENTITY_ID, "29189846", true));
    assert_eq!(status, 200, "{xml}");
}

#[test]
fn a_lookalike_of_a_subject_pinned_certificate_is_refused_by_the_service() {
    let app = pinned(&shared_test_keys().client.subject(), SecurityMode::Strict);
    for claim_sfstub_ca in [false, true] {
        let (status, xml) = call_as(&app, &forge::lookalike(claim_sfstub_ca));
        assert_refused(
            status,
            &xml,
            "ServiceAgreementNotFound: the service agreement for CVR 29189846",
        );
    }
    let client = &shared_test_keys().client;
    let real = Identity {
        der: client.cert_der.clone(),
        key: client.key.clone(),
    };
    let (status, xml) = call_as(&app, &real);
    assert_eq!(status, 200, "{xml}");
}

#[test]
fn a_thumbprint_pins_exactly_one_certificate() {
    let client = &shared_test_keys().client;
    // As Windows shows it, and as openssl does (pairs with colons).
    let upper = thumbprint(&client.cert_der);
    let colons = upper
        .as_bytes()
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    for pin in [upper, colons] {
        let app = pinned(&pin, SecurityMode::Strict);
        let (status, xml) = post(&app, STS_PATH, &token::rst(ENTITY_ID, "29189846", true));
        assert_eq!(status, 200, "{xml}");
        let fake = forge::lookalike(true);
        let (status, xml) = post(&app, STS_PATH, &forge::rst_as(&fake, ENTITY_ID, "29189846", None));
        assert_refused(status, &xml, "is bound to another user system");
        let (status, xml) = call_as(&app, &fake);
        assert_refused(status, &xml, "ServiceAgreementNotFound");
    }
}

#[test]
fn a_refusal_never_names_the_pinned_system() {
    let secret_subject = "SERIALNUMBER=CVR:29189846-FID:424242 + CN=hemmeligt fagsystem, O=Viborg Kommune, C=DK";
    let secret_thumbprint = "5EC12E7".repeat(9) + "5";
    for pin in [secret_subject, secret_thumbprint.as_str()] {
        for mode in [SecurityMode::Off, SecurityMode::Token, SecurityMode::Strict] {
            let app = pinned(pin, mode);
            let (status, sts_answer) = post(&app, STS_PATH, &token::rst(ENTITY_ID, "29189846", true));
            assert_refused(status, &sts_answer, "is bound to another user system");
            assert_refused(status, &sts_answer, "subject SERIALNUMBER=CVR:12345674");
            let client = &shared_test_keys().client;
            let real = Identity {
                der: client.cert_der.clone(),
                key: client.key.clone(),
            };
            let (status, service_answer) = call_as(&app, &real);
            assert_refused(status, &service_answer, "ServiceAgreementNotFound");
            for answer in [sts_answer, service_answer] {
                let lower = answer.to_ascii_lowercase();
                assert!(
                    !lower.contains("hemmeligt") && !lower.contains("424242") && !lower.contains("5ec12e7"),
                    "the refusal names the pinned system: {answer}"
                );
            }
        }
    }
}

#[test]
fn a_subject_names_a_certificate_of_a_configured_ca() {
    // Another CA, and a certificate it issued with the sample client's subject.
    let ca_key = forge::attacker_key();
    let ca_name = Name::from_str("CN=Kommunens CA,O=Viborg Kommune,C=DK").unwrap();
    let ca = forge::certificate(ca_key, ca_key, |tbs| {
        tbs.subject = ca_name.clone();
        tbs.issuer = ca_name.clone();
    });
    let holder_key = shared_test_keys().client.key.clone();
    let holder = forge::certificate(&holder_key, ca_key, |tbs| tbs.issuer = ca_name.clone());
    let mut app = pinned(&shared_test_keys().client.subject(), SecurityMode::Strict);
    let rst = forge::rst_as(&holder, ENTITY_ID, "29189846", None);
    let (status, xml) = post(&app, STS_PATH, &rst);
    assert_refused(status, &xml, "is bound to another user system");
    app.security.client_cas = vec![parse_certificate(&ca.der).unwrap()];
    let (status, xml) = post(&app, STS_PATH, &rst);
    assert_eq!(status, 200, "{xml}");
    let (status, xml) = call_as(&app, &holder);
    assert_eq!(status, 200, "{xml}");
}
