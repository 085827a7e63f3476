//! A test client for the token model: requests for the STS (the shared `support/token.rs`),
//! token-model requests (well made and with each flaw), and xmlsec1.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use sfstub::app::App;
use sfstub::security::dsig::{self, SIGNATURE_PLACEHOLDER, SignReference};
use sfstub::security::keys::shared_test_keys;
use sfstub::security::saml;
use sfstub::security::wss::{self, WSSE_NS, WSU_NS};
use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::soap::SoapVersion;

use crate::token;
pub use crate::token::{RST_MESSAGE_ID, assertion_of, rst};
use crate::world::SOAP12;
pub use crate::world::{CLOCK, STS_PATH, WSA, app, app_from, now};
pub use crate::xmlsec::{TempDir, xmlsec1};

pub const SF1472_PATH: &str = "/kontrolsaglistehent/1";
pub const WSU: &str = WSU_NS;
pub const RSTRC_ACTION: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal";
pub const CLIENT_MESSAGE_ID: &str = "urn:uuid:5f0e1c2d-2222-4b2a-8c3d-000000000002";

/// A fresh token for SF1472 from the app's own STS, for CVR 29189846 (Viborg).
pub fn issue_token(app: &App) -> String {
    token::issue_token(app, sfstub::services::sf1472_kontrolsag::ENTITY_ID, "29189846")
}

/// What is wrong with a token-model request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    None,
    BodyByte,
    ExpiredTimestamp,
    TimestampUnsigned,
    ToUnsigned,
    OtherKey,
    TwoSecurityHeaders,
    Unsigned,
}

/// The SF1472 operation element, without AuthorityContext (the token names the caller).
pub fn operation() -> &'static str {
    r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t-1</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#
}

/// A token-model request for SF1472 with a fresh token from the app's STS.
pub fn token_request(app: &App, tamper: Tamper) -> String {
    request_with(&issue_token(app), tamper)
}

/// A token-model request carrying `assertion`, made the way `wss::signed_request` makes it,
/// then spoiled as `tamper` says.
pub fn request_with(assertion: &str, tamper: Tamper) -> String {
    let keys = shared_test_keys();
    let at = if tamper == Tamper::ExpiredTimestamp {
        now() - Duration::minutes(10)
    } else {
        now()
    };
    let signed = token::Signed {
        version: SoapVersion::V12,
        action: "http://www.kombit.dk/int/2022/01/01/KontrolsagListeHentService#KontrolsagListeHent",
        to: "http://127.0.0.1:8080/kontrolsaglistehent/1",
        body: operation(),
        assertion,
        message_id: CLIENT_MESSAGE_ID,
        now: at,
    }
    .request();
    match tamper {
        Tamper::None | Tamper::ExpiredTimestamp => signed,
        Tamper::BodyByte => signed.replace("UDBL_11A_STK2", "UDBL_11A_STK1"),
        Tamper::TwoSecurityHeaders => signed.replace(
            "</soap:Header>",
            "<wsse:Security soap:mustUnderstand=\"true\"></wsse:Security></soap:Header>",
        ),
        Tamper::Unsigned => resign(&signed, None),
        Tamper::TimestampUnsigned => resign(&signed, Some((&keys.client.key, &["_timestamp"]))),
        Tamper::ToUnsigned => resign(&signed, Some((&keys.client.key, &["_to"]))),
        Tamper::OtherKey => resign(&signed, Some((&keys.ca.key, &[]))),
    }
}

/// Replaces the message signature: none, or one by `key` leaving out the `omit` references.
fn resign(signed: &str, with: Option<(&sfstub::security::keys::PrivateKey, &[&str])>) -> String {
    let start = signed.rfind("<ds:Signature ").unwrap();
    let end = signed[start..].find("</ds:Signature>").unwrap() + start + "</ds:Signature>".len();
    let Some((key, omit)) = with else {
        return format!("{}{}", &signed[..start], &signed[end..]);
    };
    let template = format!("{}{SIGNATURE_PLACEHOLDER}{}", &signed[..start], &signed[end..]);
    let refs: Vec<SignReference> = ["_body", "_timestamp", "_action", "_messageid", "_to", "_replyto"]
        .into_iter()
        .filter(|id| !omit.contains(id))
        .map(SignReference::to)
        .chain(std::iter::once(SignReference::token_via("_str")))
        .collect();
    dsig::sign(&template, &refs, key, "").unwrap()
}

/// A context-model request for SF1472 from `cvr`.
pub fn context_request(cvr: &str) -> String {
    let op = operation().replace(
        "</kontekst:TransaktionsTid>",
        &format!("</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{cvr}</kontekst:MunicipalityCVR></kontekst:AuthorityContext>"),
    );
    format!(r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Body>{op}</soap:Body></soap:Envelope>"#)
}

/// A token-model request signed by xmlsec1 with the sample client's key: references to
/// Body, Timestamp, the addressing headers and the assertion (by its ID; xmlsec1 has no
/// STR-Transform), KeyInfo a SecurityTokenReference to the assertion.
pub fn xmlsec1_signed_request(assertion: &str, at: DateTime<Utc>) -> String {
    let tree = Tree::parse(assertion.as_bytes()).unwrap();
    let assertion_id = tree.attribute(tree.root(), None, "ID").unwrap().to_owned();
    let reference = |uri: &str| {
        format!(
            r#"<ds:Reference URI="{uri}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference>"#
        )
    };
    let refs: String = ["#body", "#ts", "#action", "#msgid", "#to", &format!("#{assertion_id}")]
        .iter()
        .map(|u| reference(u))
        .collect();
    let template = format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}" xmlns:wsa="{WSA}" xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}"><soap:Header><wsa:Action wsu:Id="action">http://www.kombit.dk/int/2022/01/01/KontrolsagListeHentService#KontrolsagListeHent</wsa:Action><wsa:MessageID wsu:Id="msgid">urn:uuid:0d6c1f4e-3333-4c1e-9a53-0d6f5f0c2a11</wsa:MessageID><wsa:To wsu:Id="to">http://127.0.0.1:8080/kontrolsaglistehent/1</wsa:To><wsse:Security soap:mustUnderstand="true"><wsu:Timestamp wsu:Id="ts"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>{assertion}<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="message-signature"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>{refs}</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><wsse:SecurityTokenReference><wsse:KeyIdentifier ValueType="{samlid}">{assertion_id}</wsse:KeyIdentifier></wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature></wsse:Security></soap:Header><soap:Body wsu:Id="body">{op}</soap:Body></soap:Envelope>"#,
        created = saml::instant(at),
        expires = saml::instant(at + Duration::minutes(5)),
        samlid = wss::SAMLID,
        op = operation(),
    );
    let dir = TempDir::new("xmlsec-sign");
    let key = dir.write("client-key.pem", shared_test_keys().client.key_pem.as_bytes());
    let tmpl = dir.write("template.xml", template.as_bytes());
    let out = dir.path().join("signed.xml");
    let id = |ns: &str, local: &str| format!("{ns}:{local}");
    let (ok, messages) = xmlsec1(&[
        "--sign",
        "--privkey-pem",
        path(&key),
        "--id-attr:Id",
        &id(SOAP12, "Body"),
        "--id-attr:Id",
        &id(WSU_NS, "Timestamp"),
        "--id-attr:Id",
        &id(WSA, "Action"),
        "--id-attr:Id",
        &id(WSA, "MessageID"),
        "--id-attr:Id",
        &id(WSA, "To"),
        "--id-attr:ID",
        &id(saml::SAML_NS, "Assertion"),
        "--id-attr:Id",
        &id(dsig::DS_NS, "Signature"),
        "--node-id",
        "message-signature",
        "--output",
        out.to_str().unwrap(),
        path(&tmpl),
    ]);
    assert!(ok, "xmlsec1 could not sign:\n{messages}");
    std::fs::read_to_string(out).unwrap()
}

/// The first element with this namespace and local name.
pub fn find(tree: &Tree, ns: &str, local: &str) -> Option<NodeId> {
    std::iter::once(tree.root())
        .chain(tree.descendants(tree.root()))
        .find(|&n| tree.is(n, ns, local))
}

/// The text of the first element with this namespace and local name.
pub fn text(tree: &Tree, ns: &str, local: &str) -> Option<String> {
    find(tree, ns, local).map(|n| tree.text(n))
}

/// Asserts a SOAP 1.2 Sender fault (400) whose subcode is `subcode` (if not empty) and whose
/// reason contains `reason`.
pub fn assert_fault(status: u16, xml: &str, subcode: &str, reason: &str) {
    assert_eq!(
        status, 400,
        "expected a Sender fault containing {reason:?}, got:\n{xml}"
    );
    let tree = Tree::parse(xml.as_bytes()).unwrap();
    let text = text(&tree, SOAP12, "Text").unwrap_or_default();
    assert!(text.contains(reason), "the reason {text:?} does not contain {reason:?}");
    if !subcode.is_empty() {
        assert!(
            xml.contains(&format!(">sf:{subcode}<")),
            "no subcode {subcode} in {xml}"
        );
    }
}

/// A KOMBIT example file from the shared contracts.
pub fn example(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/contracts/oioidws-examples")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.trim_start_matches('\u{feff}').to_owned()
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
