//! What an attacker makes: certificates with a chosen key, subject, issuer and validity;
//! WS-Trust requests signed with them; assertions bound to them (signed with the STS key, as
//! if the STS had issued them); and token-model requests signed by their holder, with the
//! Timestamp or the headers changed before signing.

use std::sync::OnceLock;
use std::time::Duration as StdDuration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use sfstub::security::dsig::{self, SIGNATURE_PLACEHOLDER, SignReference};
use sfstub::security::keys::{PrivateKey, parse_certificate, shared_test_keys};
use sfstub::security::saml::{self, AssertionSpec};
use sfstub::security::wss;
use sfstub::soap::SoapVersion;
use x509_cert::Certificate;
use x509_cert::TbsCertificate;
use x509_cert::der::asn1::{BitString, UtcTime};
use x509_cert::der::{Decode, Encode};
use x509_cert::time::Time;

use crate::token;
use crate::world::now;

/// A certificate with the private key its holder signs with.
pub struct Identity {
    pub der: Vec<u8>,
    pub key: PrivateKey,
}

/// The attacker's own 2048-bit key, made once.
pub fn attacker_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap())
}

/// A 1024-bit RSA public key (RSAPublicKey DER, base64), made with `openssl genrsa 1024`; its
/// private key was thrown away: RSA libraries that sign in constant time refuse to load keys
/// that small, and sfstub must refuse the certificate before it looks at any signature.
const RSA_1024_PUBLIC: &str = "MIGJAoGBALYvFtbOLoXl+XiiHAMCP9Adhh84fYGFrTNkiabJIezUFqm2X53swr2Hh06sCo633or0Sn5+nKdU9RWInCDAZAFtWwLRvjW6K1z+f1zPWdHqUVBkvujsvfbOJxTmxqJ/A7AttDftPlDa6V287Q8ij8c5cd2Hr7x/EiOb6BHOEdSPAgMBAAE=";

/// A copy of the sample client certificate (same subject) with `key`'s public key, changed
/// by `edit`, and signed by `signer`.
pub fn certificate(key: &PrivateKey, signer: &PrivateKey, edit: impl FnOnce(&mut TbsCertificate)) -> Identity {
    certificate_with_public(key.public_key().pkcs1_der(), key, signer, edit)
}

/// [`certificate`] for the public key `public` (RSAPublicKey DER); its holder signs with
/// `key` all the same.
fn certificate_with_public(
    public: &[u8],
    key: &PrivateKey,
    signer: &PrivateKey,
    edit: impl FnOnce(&mut TbsCertificate),
) -> Identity {
    let mut cert = Certificate::from_der(&shared_test_keys().client.cert_der).unwrap();
    cert.tbs_certificate.subject_public_key_info.subject_public_key = BitString::from_bytes(public).unwrap();
    edit(&mut cert.tbs_certificate);
    let tbs = cert.tbs_certificate.to_der().unwrap();
    let signature = signer.sign_pkcs1_sha256(&tbs).unwrap();
    cert.signature = BitString::from_bytes(&signature).unwrap();
    Identity {
        der: cert.to_der().unwrap(),
        key: key.clone(),
    }
}

/// The sample client's subject on the attacker's key, signed by the attacker: still naming
/// sfstub's CA as issuer when `claim_sfstub_ca`, otherwise self-signed (issuer = subject).
pub fn lookalike(claim_sfstub_ca: bool) -> Identity {
    let key = attacker_key();
    certificate(key, key, |tbs| {
        if !claim_sfstub_ca {
            tbs.issuer = tbs.subject.clone();
        }
    })
}

/// A certificate issued by sfstub's own CA for a key of `bits` (2048: the attacker's; 1024:
/// [`RSA_1024_PUBLIC`], its holder signing with the attacker's key), valid from `not_before`
/// to `not_after` (Unix seconds).
pub fn issued_by_sfstub(bits: usize, not_before: u64, not_after: u64) -> Identity {
    let small = B64.decode(RSA_1024_PUBLIC).unwrap();
    let public = match bits {
        2048 => attacker_key().public_key().pkcs1_der(),
        1024 => &small[..],
        other => panic!("no {other}-bit key here"),
    };
    let time = |secs: u64| Time::UtcTime(UtcTime::from_unix_duration(StdDuration::from_secs(secs)).unwrap());
    certificate_with_public(public, attacker_key(), &shared_test_keys().ca.key, |tbs| {
        tbs.validity.not_before = time(not_before);
        tbs.validity.not_after = time(not_after);
    })
}

/// 2019-01-01 and 2021-06-30, in Unix seconds: a certificate valid between them expired in 2021.
pub const JAN_2019: u64 = 1_546_300_800;
pub const JUN_2021: u64 = 1_625_011_200;
/// 2030-01-01.
pub const JAN_2030: u64 = 1_893_456_000;

/// The WS-Trust request of `token::rst`, from `identity` (its certificate in the header and
/// in UseKey), with its Timestamp replaced by `timestamp` (the whole `wsu:Timestamp`
/// element, `wsu:Id="_ts"` to be signed), signed with `identity`'s key.
pub fn rst_as(identity: &Identity, applies_to: &str, cvr: &str, timestamp: Option<&str>) -> String {
    let unsigned = token::rst(applies_to, cvr, false);
    let sample = shared_test_keys().client.cert_base64();
    let mut xml = unsigned.replace(sample, &B64.encode(&identity.der));
    if let Some(timestamp) = timestamp {
        let start = xml.find("<wsu:Timestamp").unwrap();
        let end = xml.find("</wsu:Timestamp>").unwrap() + "</wsu:Timestamp>".len();
        xml.replace_range(start..end, timestamp);
    }
    let xml = xml.replacen(
        "</wsse:Security>",
        &format!("{SIGNATURE_PLACEHOLDER}</wsse:Security>"),
        1,
    );
    let refs: Vec<SignReference> = ["_body", "_ts", "_bst", "_action", "_msgid", "_to"]
        .into_iter()
        .map(SignReference::to)
        .collect();
    let key_info = format!(
        r##"<wsse:SecurityTokenReference><wsse:Reference URI="#_bst" ValueType="{}"/></wsse:SecurityTokenReference>"##,
        wss::X509V3
    );
    dsig::sign(&xml, &refs, &identity.key, &key_info).unwrap()
}

/// A Timestamp element for [`rst_as`] and [`request_as`].
pub fn timestamp(id: &str, created: Option<DateTime<Utc>>, expires: Option<DateTime<Utc>>) -> String {
    let field = |name: &str, t: Option<DateTime<Utc>>| {
        t.map(|t| format!("<wsu:{name}>{}</wsu:{name}>", saml::instant(t)))
            .unwrap_or_default()
    };
    format!(
        r#"<wsu:Timestamp wsu:Id="{id}">{}{}</wsu:Timestamp>"#,
        field("Created", created),
        field("Expires", expires)
    )
}

/// An assertion for SF1472 and CVR 29189846 bound to `der`, signed with sfstub's STS key as
/// if its STS had issued it.
pub fn assertion_for(der: &[u8]) -> String {
    let sts = &shared_test_keys().sts;
    let spec = AssertionSpec {
        id: format!("_{}", uuid::Uuid::new_v4()),
        issuer: sfstub::security::DEFAULT_STS_ISSUER.to_owned(),
        subject: parse_certificate(der).unwrap().subject,
        holder_certificate: der.to_vec(),
        audience: sfstub::services::sf1472_kontrolsag::ENTITY_ID.to_owned(),
        cvr: "29189846".into(),
        privileges: vec![],
        issued: now(),
        expires: now() + chrono::Duration::hours(8),
    };
    saml::issue(&spec, &sts.key, &sts.cert_der).unwrap()
}

/// The SF1472 operation of a token-model request (the token names the caller).
pub const OPERATION: &str = r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#;

/// A strict-mode SF1472 request carrying `assertion`, made as `wss::signed_request` makes it,
/// then changed by `edit` (the unsigned envelope, signature placeholder included) and signed
/// with `key` over Body, Timestamp, the addressing headers and the assertion.
pub fn request_as(assertion: &str, key: &PrivateKey, edit: impl FnOnce(String) -> String) -> String {
    request_with_references(assertion, key, edit, &[])
}

/// [`request_as`], with more References (to the elements with these identifiers) in the
/// signature.
pub fn request_with_references(
    assertion: &str,
    key: &PrivateKey,
    edit: impl FnOnce(String) -> String,
    more: &[&str],
) -> String {
    let assertion_id = token::assertion_id(assertion);
    let signed = wss::signed_request(&wss::ClientRequest {
        version: SoapVersion::V12,
        action: "http://www.kombit.dk/int/2022/01/01/KontrolsagListeHentService#KontrolsagListeHent",
        to: "http://127.0.0.1:8080/kontrolsaglistehent/1",
        body: OPERATION,
        assertion,
        assertion_id: &assertion_id,
        key,
        now: now(),
        message_id: "urn:uuid:5f0e1c2d-2222-4b2a-8c3d-000000000009",
        header: None,
    })
    .unwrap();
    // The message signature is the last one (the assertion's own comes first).
    let start = signed.rfind("<ds:Signature ").unwrap();
    let end = signed[start..].find("</ds:Signature>").unwrap() + start + "</ds:Signature>".len();
    let template = edit(format!("{}{SIGNATURE_PLACEHOLDER}{}", &signed[..start], &signed[end..]));
    let refs: Vec<SignReference> = ["_body", "_timestamp", "_action", "_messageid", "_to", "_replyto"]
        .into_iter()
        .map(SignReference::to)
        .chain(std::iter::once(SignReference::token_via("_str")))
        .chain(more.iter().map(|id| SignReference::to(*id)))
        .collect();
    dsig::sign(&template, &refs, key, "").unwrap()
}

/// Replaces the Timestamp of a [`request_as`] template.
pub fn with_timestamp(template: String, timestamp: &str) -> String {
    let start = template.find("<wsu:Timestamp").unwrap();
    let end = template.find("</wsu:Timestamp>").unwrap() + "</wsu:Timestamp>".len();
    let mut out = template;
    out.replace_range(start..end, timestamp);
    out
}
