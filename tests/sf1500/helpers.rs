//! The harness: apps on the default scenario with the clock pinned, SF1500 requests as a
//! client generated from the v6 WSDLs writes them, tokens from the app's own STS, and a
//! [`Session`] that validates every SF1500 response it received against KOMBIT's schemas.

use std::cell::RefCell;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sfstub::app::{App, Limits};
use sfstub::scenario::{DEFAULT_SCENARIO, Scenario, parse_clock};
use sfstub::security::SecurityMode;
use sfstub::security::dsig::{self, SIGNATURE_PLACEHOLDER, SignReference};
use sfstub::security::keys::shared_test_keys;
use sfstub::security::wss::{self, WSSE_NS, WSU_NS};
use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::soap::SoapVersion;

pub use sfstub::services::sf1500_organisation::register::{Enhed, enhed_uuid, organisation_uuid, virksomhed_uuid};
pub use sfstub::services::sf1500_organisation::{ENTITY_ID, Objekt, REQUEST_HEADER_NS, SAGDOK_NS, STS_NS};

use crate::schema;

pub const CLOCK: &str = "2026-11-22T12:00:00Z";
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
pub const STS_PATH: &str = "/runtime/services/kombittrust/14/certificatemixed";
pub const MESSAGE_ID: &str = "urn:uuid:15000000-2222-4b2a-8c3d-000000000002";
pub const TRANSACTION: &str = "7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f";

/// Aalborg Kommune (0851), Viborg Kommune (the sample client's token CVR), Udbetaling Danmark.
pub const AALBORG: &str = "29189420";
pub const VIBORG: &str = "29189846";
pub const KOEBENHAVN: &str = "64942212";
pub const UDK: &str = "14720006";

/// The default scenario with the clock pinned.
pub fn scenario() -> Scenario {
    let clock = parse_clock(CLOCK).expect("the test clock parses");
    Scenario::parse(DEFAULT_SCENARIO, "default", Some(clock)).expect("the built-in scenario is valid")
}

/// The default scenario in `mode`.
pub fn app(mode: SecurityMode) -> App {
    let mut app = App::new(scenario(), Limits::default());
    app.security.mode = mode;
    app
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(CLOCK).unwrap().with_timezone(&Utc)
}

/// A CVR number of the tests as sfstub's type.
pub fn cvr(text: &str) -> sfstub::world::Cvr {
    sfstub::world::Cvr::parse(text).expect("a valid CVR number")
}

/// An app and every SF1500 response body it gave, validated against the published XSDs when
/// the session ends (unless the test already failed).
pub struct Session {
    pub app: App,
    documents: RefCell<Vec<(Objekt, String)>>,
}

impl Session {
    pub fn new(mode: SecurityMode) -> Session {
        Session::with(app(mode))
    }

    pub fn with(app: App) -> Session {
        Session {
            app,
            documents: RefCell::new(Vec::new()),
        }
    }

    /// Posts `body` to `path`; a 200 from an SF1500 endpoint has its Body element kept for
    /// validation.
    pub fn post(&self, path: &str, body: &str) -> Reply {
        let request = http::Request::post(path)
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(Bytes::from(body.to_owned()))
            .unwrap();
        let response = sfstub::http::handle(&self.app, request);
        let status = response.status().as_u16();
        let xml = String::from_utf8(response.body().to_vec()).unwrap();
        if status == 200
            && let Some(objekt) = Objekt::ALL.into_iter().find(|o| o.paths().contains(&path))
        {
            self.documents.borrow_mut().push((objekt, body_element(&xml)));
        }
        let tree = Tree::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("the response is not XML ({e}):\n{xml}"));
        Reply { status, xml, tree }
    }

    /// Calls `operation` on the type's endpoint in a SOAP 1.2 envelope with a RequestHeader.
    pub fn call(&self, objekt: Objekt, operation: &str) -> Reply {
        self.post(
            objekt.path(),
            &envelope(SoapVersion::V12, Some(&request_header(TRANSACTION)), operation),
        )
    }

    /// How many responses the session will validate.
    pub fn responses(&self) -> usize {
        self.documents.borrow().len()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(failures) = schema::validate_all(&self.documents.borrow()) {
            panic!("SF1500 responses are not valid against KOMBIT's schemas:\n{failures}");
        }
    }
}

/// The content of a response's Body (the output element, which declares its namespaces).
fn body_element(xml: &str) -> String {
    let start = xml.find("<soap:Body").expect("a soap:Body in the response");
    let open_end = xml[start..].find('>').expect("the Body start tag ends") + start + 1;
    let end = xml.rfind("</soap:Body>").expect("the Body ends");
    xml[open_end..end].to_owned()
}

/// An SF1500 response, parsed.
pub struct Reply {
    pub status: u16,
    pub xml: String,
    pub tree: Tree,
}

impl Reply {
    /// Every element with this namespace and local name, in document order.
    pub fn all(&self, ns: &str, local: &str) -> Vec<NodeId> {
        std::iter::once(self.tree.root())
            .chain(self.tree.descendants(self.tree.root()))
            .filter(|&n| self.tree.is(n, ns, local))
            .collect()
    }

    /// The text of the first element with this namespace and local name.
    pub fn text(&self, ns: &str, local: &str) -> Option<String> {
        self.all(ns, local).first().map(|&n| self.tree.text(n))
    }

    /// `StandardRetur/StatusKode`.
    pub fn status_kode(&self) -> u32 {
        assert_eq!(self.status, 200, "expected a 200 with StandardRetur:\n{}", self.xml);
        self.text(SAGDOK_NS, "StatusKode")
            .unwrap_or_else(|| panic!("no StatusKode in\n{}", self.xml))
            .parse()
            .unwrap()
    }

    /// `StandardRetur/FejlbeskedTekst`.
    pub fn fejlbesked(&self) -> String {
        self.text(SAGDOK_NS, "FejlbeskedTekst").unwrap_or_default()
    }

    /// The UUIDs of a `SoegOutput`'s `IdListe`.
    pub fn ids(&self) -> Vec<String> {
        let Some(&list) = self.all(SAGDOK_NS, "IdListe").first() else {
            panic!("no IdListe in\n{}", self.xml);
        };
        self.tree
            .children_named(list, SAGDOK_NS, "UUIDIdentifikator")
            .map(|n| self.tree.text(n))
            .collect()
    }

    /// The `FiltreretOejebliksbillede`s of a `LaesOutput` or `ListOutput`.
    pub fn snapshots(&self, objekt: Objekt) -> Vec<Snapshot<'_>> {
        self.all(objekt.namespace(), "FiltreretOejebliksbillede")
            .into_iter()
            .map(|node| Snapshot { reply: self, node })
            .collect()
    }

    /// The one snapshot of a `LaesOutput`.
    pub fn snapshot(&self, objekt: Objekt) -> Snapshot<'_> {
        let mut all = self.snapshots(objekt);
        assert_eq!(all.len(), 1, "expected one FiltreretOejebliksbillede:\n{}", self.xml);
        all.remove(0)
    }

    /// The echoed `RequestHeader/TransactionUUID`.
    pub fn transaction_uuid(&self) -> Option<String> {
        self.text(REQUEST_HEADER_NS, "TransactionUUID")
    }

    /// Asserts a SOAP 1.2 Sender fault whose reason contains `reason`.
    #[track_caller]
    pub fn assert_fault(&self, reason: &str) {
        assert_eq!(
            self.status, 400,
            "expected a Sender fault containing {reason:?}, got:\n{}",
            self.xml
        );
        let text = self.text(SOAP12, "Text").unwrap_or_default();
        assert!(text.contains(reason), "the fault says {text:?}, not {reason:?}");
    }
}

/// One `FiltreretOejebliksbillede` of a reply.
pub struct Snapshot<'a> {
    reply: &'a Reply,
    node: NodeId,
}

impl Snapshot<'_> {
    fn below(&self, ns: &str, local: &str) -> Vec<NodeId> {
        let tree = &self.reply.tree;
        tree.descendants(self.node)
            .into_iter()
            .filter(|&n| tree.is(n, ns, local))
            .collect()
    }

    /// `ObjektType/UUIDIdentifikator`.
    pub fn uuid(&self) -> String {
        let tree = &self.reply.tree;
        let objekt = tree.child_elements(self.node).next().expect("ObjektType");
        tree.text(
            tree.child(objekt, SAGDOK_NS, "UUIDIdentifikator")
                .expect("its UUIDIdentifikator"),
        )
    }

    /// The text of an attribute or state field (the first with this name).
    pub fn field(&self, ns: &str, local: &str) -> Option<String> {
        self.below(ns, local).first().map(|&n| self.reply.tree.text(n))
    }

    /// The UUIDs a relation (e.g. `Tilhoerer`) refers to.
    pub fn relation(&self, local: &str) -> Vec<String> {
        let tree = &self.reply.tree;
        self.below(SAGDOK_NS, local)
            .into_iter()
            .filter_map(|r| tree.child(r, SAGDOK_NS, "ReferenceID"))
            .filter_map(|id| tree.child(id, SAGDOK_NS, "UUIDIdentifikator"))
            .map(|n| tree.text(n))
            .collect()
    }

    /// True when the snapshot holds a `Registrering`.
    pub fn has_registrering(&self) -> bool {
        !self
            .below(self.reply.tree.namespace(self.node).unwrap_or(""), "Registrering")
            .is_empty()
    }
}

// ---- requests --------------------------------------------------------------------------------

/// `RequestHeader` with a TransactionUUID, as the støttesystem WSDLs declare it.
pub fn request_header(transaction: &str) -> String {
    format!(
        r#"<rh:RequestHeader xmlns:rh="{REQUEST_HEADER_NS}"><rh:TransactionUUID>{transaction}</rh:TransactionUUID></rh:RequestHeader>"#
    )
}

/// `operation` in an envelope of `version`, with `header` content if any.
pub fn envelope(version: SoapVersion, header: Option<&str>, operation: &str) -> String {
    let ns = match version {
        SoapVersion::V11 => SOAP11,
        SoapVersion::V12 => SOAP12,
    };
    let header = header
        .map(|h| format!("<soap:Header>{h}</soap:Header>"))
        .unwrap_or_default();
    format!(r#"<soap:Envelope xmlns:soap="{ns}">{header}<soap:Body>{operation}</soap:Body></soap:Envelope>"#)
}

/// An operation element of a type with `content`, prefixes `o` (the type), `sd` and `sts`.
pub fn input(objekt: Objekt, element: &str, content: &str) -> String {
    format!(
        r#"<o:{element} xmlns:o="{}" xmlns:sd="{SAGDOK_NS}" xmlns:sts="{STS_NS}">{content}</o:{element}>"#,
        objekt.namespace()
    )
}

/// `LaesInput` for one UUID, with `filters` (already written elements) after it.
pub fn laes(objekt: Objekt, uuid: &str, filters: &str) -> String {
    input(
        objekt,
        "LaesInput",
        &format!("<sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator>{filters}"),
    )
}

/// `ListInput` for several UUIDs.
pub fn list(objekt: Objekt, uuids: &[&str]) -> String {
    let ids: String = uuids
        .iter()
        .map(|u| format!("<sd:UUIDIdentifikator>{u}</sd:UUIDIdentifikator>"))
        .collect();
    input(objekt, "ListInput", &ids)
}

/// `SoegInput` with `head` (FoersteResultatReference, MaksimalAntalKvantitet), `egenskab`
/// fields (written elements, may be empty), and relations (written elements).
pub fn soeg(objekt: Objekt, head: &str, egenskab: &str, relations: &str) -> String {
    let attributes = if egenskab.is_empty() {
        "<o:AttributListe/>".to_owned()
    } else {
        format!("<o:AttributListe><o:Egenskab>{egenskab}</o:Egenskab></o:AttributListe>")
    };
    input(
        objekt,
        "SoegInput",
        &format!("{head}{attributes}<o:TilstandListe/><o:RelationListe>{relations}</o:RelationListe>"),
    )
}

/// A relation criterion or value, e.g. `<sd:Virksomhed>` with a ReferenceID.
pub fn relation(name: &str, uuid: &str) -> String {
    format!(
        "<sd:{name}><sd:ReferenceID><sd:UUIDIdentifikator>{uuid}</sd:UUIDIdentifikator></sd:ReferenceID></sd:{name}>"
    )
}

/// A filter element with a time.
pub fn filter(name: &str, time: &str) -> String {
    format!("<sd:{name}><sd:TidsstempelDatoTid>{time}</sd:TidsstempelDatoTid></sd:{name}>")
}

// ---- tokens ----------------------------------------------------------------------------------

/// A fresh token for `audience` and `cvr` from the app's own STS (a signed WS-Trust Issue).
pub fn issue_token(app: &App, audience: &str, cvr: &str) -> String {
    let client = &shared_test_keys().client;
    let cert = client.cert_base64();
    let xml = format!(
        r##"<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}" xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}"><s:Header><a:Action wsu:Id="_action">http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue</a:Action><a:MessageID wsu:Id="_msgid">urn:uuid:15000000-1111-4b2a-8c3d-000000000001</a:MessageID><a:To wsu:Id="_to">https://sts.example/runtime/services/kombittrust/14/certificatemixed</a:To><wsse:Security s:mustUnderstand="1"><wsu:Timestamp wsu:Id="_ts"><wsu:Created>2026-11-22T11:59:00Z</wsu:Created><wsu:Expires>2026-11-22T12:04:00Z</wsu:Expires></wsu:Timestamp><wsse:BinarySecurityToken wsu:Id="_bst" ValueType="{x509}" EncodingType="{b64}">{cert}</wsse:BinarySecurityToken>{SIGNATURE_PLACEHOLDER}</wsse:Security></s:Header><s:Body wsu:Id="_body"><trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512" Context="ctx-1"><trust:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</trust:RequestType><trust:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</trust:TokenType><trust:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey</trust:KeyType><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><a:EndpointReference><a:Address>{audience}</a:Address></a:EndpointReference></wsp:AppliesTo><trust:Claims Dialect="http://docs.oasis-open.org/wsfed/authorization/200706/authclaims"><auth:ClaimType xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706" Uri="dk:gov:saml:attribute:CvrNumberIdentifier" Optional="false"><auth:Value>{cvr}</auth:Value></auth:ClaimType></trust:Claims><trust:UseKey><wsse:BinarySecurityToken ValueType="{x509}" EncodingType="{b64}">{cert}</wsse:BinarySecurityToken></trust:UseKey></trust:RequestSecurityToken></s:Body></s:Envelope>"##,
        x509 = wss::X509V3,
        b64 = wss::BASE64_BINARY,
    );
    let refs: Vec<SignReference> = ["_body", "_ts", "_bst", "_action", "_msgid", "_to"]
        .into_iter()
        .map(SignReference::to)
        .collect();
    let key_info = format!(
        r##"<wsse:SecurityTokenReference><wsse:Reference URI="#_bst" ValueType="{}"/></wsse:SecurityTokenReference>"##,
        wss::X509V3
    );
    let rst = dsig::sign(&xml, &refs, &client.key, &key_info).unwrap();
    let request = http::Request::post(STS_PATH).body(Bytes::from(rst)).unwrap();
    let response = sfstub::http::handle(app, request);
    let rstr = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(response.status(), 200, "the STS refused: {rstr}");
    let start = rstr.find("<saml:Assertion").expect("an assertion in the RSTR");
    let end = rstr.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    rstr[start..end].to_owned()
}

/// A token-model request for `objekt` carrying `assertion`, signed by the sample client the
/// way `wss::signed_request` does it, with a RequestHeader added to the SOAP Header (as the
/// støttesystem WSDLs ask; the OIO IDWS policy does not sign it).
pub fn token_request(objekt: Objekt, assertion: &str, operation: &str) -> String {
    let tree = Tree::parse(assertion.as_bytes()).unwrap();
    let assertion_id = tree.attribute(tree.root(), None, "ID").unwrap().to_owned();
    let action = format!(
        "http://kombit.dk/sts/organisation/{}/soeg",
        objekt.name().to_lowercase()
    );
    let to = format!("http://127.0.0.1:8080{}", objekt.path());
    let request = wss::ClientRequest {
        version: SoapVersion::V12,
        action: &action,
        to: &to,
        body: operation,
        assertion,
        assertion_id: &assertion_id,
        key: &shared_test_keys().client.key,
        now: now(),
        message_id: MESSAGE_ID,
    };
    let signed = wss::signed_request(&request).unwrap();
    signed.replacen(
        "<soap:Header>",
        &format!("<soap:Header>{}", request_header(TRANSACTION)),
        1,
    )
}
