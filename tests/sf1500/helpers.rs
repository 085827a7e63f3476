//! The harness: apps on the default scenario with the clock pinned, SF1500 requests as a
//! client generated from the v6 WSDLs writes them, tokens from the app's own STS, and a
//! [`Session`] that validates every SF1500 response it received against KOMBIT's schemas.

use std::cell::RefCell;

use bytes::Bytes;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::soap::SoapVersion;

pub use sfstub::services::sf1500_organisation::register::{Enhed, enhed_uuid, organisation_uuid, virksomhed_uuid};
pub use sfstub::services::sf1500_organisation::{ENTITY_ID, Objekt, REQUEST_HEADER_NS, SAGDOK_NS, STS_NS};

pub use crate::token::issue_token;
pub use crate::world::{CLOCK, SOAP11, SOAP12, WSA, app};
use crate::{schema, token, world};

pub const MESSAGE_ID: &str = "urn:uuid:15000000-2222-4b2a-8c3d-000000000002";
pub const TRANSACTION: &str = "7d9a1e52-0a51-4c3b-9a4e-5b1f0c2d3e4f";

/// Aalborg Kommune (0851), Viborg Kommune (the sample client's token CVR), Udbetaling Danmark.
pub const AALBORG: &str = "29189420";
pub const VIBORG: &str = "29189846";
pub const KOEBENHAVN: &str = "64942212";
pub const UDK: &str = "14720006";

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

/// A token-model request for `objekt` carrying `assertion`, signed by the sample client the
/// way `wss::signed_request` does it, with a RequestHeader added to the SOAP Header (as the
/// støttesystem WSDLs ask; the OIO IDWS policy does not sign it).
pub fn token_request(objekt: Objekt, assertion: &str, operation: &str) -> String {
    let action = format!(
        "http://kombit.dk/sts/organisation/{}/soeg",
        objekt.name().to_lowercase()
    );
    let to = format!("http://127.0.0.1:8080{}", objekt.path());
    let signed = token::Signed {
        version: SoapVersion::V12,
        action: &action,
        to: &to,
        body: operation,
        assertion,
        message_id: MESSAGE_ID,
        now: world::now(),
    }
    .request();
    signed.replacen(
        "<soap:Header>",
        &format!("<soap:Header>{}", request_header(TRANSACTION)),
        1,
    )
}
