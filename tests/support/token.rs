//! Shared by the test binaries that use the token model: a WS-Trust RST from the sample
//! client, a token from the app's own STS, and a token-model request signed by the
//! holder-of-key the way `wss::signed_request` makes it.
//!
//! Included with `#[path = "../support/token.rs"] mod token;` beside `world.rs` (included as
//! `mod world`). Not every binary uses every helper, hence `allow(dead_code)`.

#![allow(dead_code)]

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sfstub::app::App;
use sfstub::security::dsig::{self, SIGNATURE_PLACEHOLDER, SignReference};
use sfstub::security::keys::shared_test_keys;
use sfstub::security::wss::{self, WSSE_NS, WSU_NS};
use sfstub::security::xmltree::Tree;
use sfstub::soap::SoapVersion;

use crate::world::{SOAP12, STS_PATH, WSA};

/// The MessageID of every RST [`rst`] writes.
pub const RST_MESSAGE_ID: &str = "urn:uuid:5f0e1c2d-1111-4b2a-8c3d-000000000001";

/// A WS-Trust 1.3 RST for `applies_to` and `cvr`, from the sample client, signed with its
/// key over Body, Timestamp, the certificate and the addressing headers when `signed`. Its
/// Timestamp was created a minute before the test clock.
pub fn rst(applies_to: &str, cvr: &str, signed: bool) -> String {
    let created = DateTime::parse_from_rfc3339("2026-11-22T11:59:00Z")
        .unwrap()
        .with_timezone(&Utc);
    rst_at(applies_to, cvr, signed, created)
}

/// [`rst`] with a Timestamp created at `created`, expiring five minutes later.
pub fn rst_at(applies_to: &str, cvr: &str, signed: bool, created: DateTime<Utc>) -> String {
    let expires = (created + chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ");
    let created = created.format("%Y-%m-%dT%H:%M:%SZ");
    let client = &shared_test_keys().client;
    let cert = client.cert_base64();
    let xml = format!(
        r##"<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}" xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}"><s:Header><a:Action wsu:Id="_action">http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue</a:Action><a:MessageID wsu:Id="_msgid">{RST_MESSAGE_ID}</a:MessageID><a:To wsu:Id="_to">https://sts.example/runtime/services/kombittrust/14/certificatemixed</a:To><wsse:Security s:mustUnderstand="1"><wsu:Timestamp wsu:Id="_ts"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp><wsse:BinarySecurityToken wsu:Id="_bst" ValueType="{x509}" EncodingType="{b64}">{cert}</wsse:BinarySecurityToken>{placeholder}</wsse:Security></s:Header><s:Body wsu:Id="_body"><trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512" Context="ctx-1"><trust:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</trust:RequestType><trust:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</trust:TokenType><trust:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey</trust:KeyType><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:EndpointReference><a:Address>{applies_to}</a:Address></a:EndpointReference></wsp:AppliesTo><trust:Claims Dialect="http://docs.oasis-open.org/wsfed/authorization/200706/authclaims"><auth:ClaimType xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706" Uri="dk:gov:saml:attribute:CvrNumberIdentifier" Optional="false"><auth:Value>{cvr}</auth:Value></auth:ClaimType></trust:Claims><trust:UseKey><wsse:BinarySecurityToken ValueType="{x509}" EncodingType="{b64}">{cert}</wsse:BinarySecurityToken></trust:UseKey></trust:RequestSecurityToken></s:Body></s:Envelope>"##,
        x509 = wss::X509V3,
        b64 = wss::BASE64_BINARY,
        placeholder = if signed { SIGNATURE_PLACEHOLDER } else { "" },
    );
    if !signed {
        return xml;
    }
    let refs: Vec<SignReference> = ["_body", "_ts", "_bst", "_action", "_msgid", "_to"]
        .into_iter()
        .map(SignReference::to)
        .collect();
    let key_info = format!(
        r##"<wsse:SecurityTokenReference><wsse:Reference URI="#_bst" ValueType="{}"/></wsse:SecurityTokenReference>"##,
        wss::X509V3
    );
    dsig::sign(&xml, &refs, &client.key, &key_info).unwrap()
}

/// The assertion inside an RSTR, as its own document.
pub fn assertion_of(rstr: &str) -> String {
    let start = rstr.find("<saml:Assertion").expect("an assertion in the RSTR");
    let end = rstr.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    rstr[start..end].to_owned()
}

/// A fresh token for `audience` and `cvr` from the app's own STS (a signed WS-Trust Issue
/// posted to [`STS_PATH`]); fails the test when the STS refuses.
pub fn issue_token(app: &App, audience: &str, cvr: &str) -> String {
    let request = http::Request::post(STS_PATH)
        .body(Bytes::from(rst(audience, cvr, true)))
        .unwrap();
    let response = sfstub::http::handle(app, request);
    let rstr = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(response.status(), 200, "the STS refused: {rstr}");
    assertion_of(&rstr)
}

/// The `ID` of an assertion.
pub fn assertion_id(assertion: &str) -> String {
    let tree = Tree::parse(assertion.as_bytes()).unwrap();
    tree.attribute(tree.root(), None, "ID").unwrap().to_owned()
}

/// What a token-model request says; [`Signed::request`] signs it as the holder-of-key (the
/// sample client), taking the assertion's ID from the assertion.
pub struct Signed<'a> {
    pub version: SoapVersion,
    pub action: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub assertion: &'a str,
    pub message_id: &'a str,
    /// The time of the request's Timestamp (usually [`crate::world::now`]).
    pub now: DateTime<Utc>,
}

impl Signed<'_> {
    /// The request, made by `wss::signed_request`.
    pub fn request(&self) -> String {
        let assertion_id = assertion_id(self.assertion);
        let request = wss::ClientRequest {
            version: self.version,
            action: self.action,
            to: self.to,
            body: self.body,
            assertion: self.assertion,
            assertion_id: &assertion_id,
            key: &shared_test_keys().client.key,
            now: self.now,
            message_id: self.message_id,
            header: None,
        };
        wss::signed_request(&request).unwrap()
    }
}
