//! The SF1510 test harness: the default world with a pinned clock, requests through
//! [`sfstub::http::handle`], tokens from the app's own STS, and schema validation with
//! xmllint — KOMBIT's published Klasse v7 schemas for `/klasse/7`, sfstub's published XSD for
//! KlassifikationListeHent.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bytes::Bytes;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::services::sf1510_klassifikation::listehent;
use sfstub::soap::SoapVersion;

pub use crate::world::{SOAP12, WSA, app};
pub use crate::xmllint::{assert_valid, validate};
use crate::{token, world};

pub const KLASSE_PATH: &str = "/klasse/7";
pub const LISTEHENT_PATH: &str = "/klassifikationlistehent/2";
pub const KLASSE_NS: &str = "http://stoettesystemerne.dk/klassifikation/klasse/7/";
pub const SD: &str = "urn:oio:sagdok:3.0.0";
pub const KONTEKST: &str = "http://kombit.dk/xml/schemas/kontekst/2017/01/01/";
pub const K2017: &str = "http://www.kombit.dk/2017/01/01/";
pub const REQUEST_HEADER_NS: &str = "http://kombit.dk/xml/schemas/RequestHeader/1/";
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const MESSAGE_ID: &str = "urn:uuid:5f0e1c2d-1510-4b2a-8c3d-000000000001";

/// Københavns Kommune, Udbetaling Danmark and ATP in the default world.
pub const KOEBENHAVN: &str = "64942212";
pub const UDK: &str = "14720006";
pub const ATP: &str = "43405810";

/// One app in `off` mode for the tests that do not change it.
pub fn shared() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| app(SecurityMode::Off))
}

/// A response.
pub struct Reply {
    pub status: u16,
    pub xml: String,
}

impl Reply {
    /// The parsed envelope.
    pub fn tree(&self) -> Tree {
        Tree::parse(self.xml.as_bytes()).unwrap_or_else(|e| panic!("the response is not XML ({e}):\n{}", self.xml))
    }

    /// The Body's element as a document of its own (it declares its namespaces itself).
    pub fn body_element(&self) -> String {
        let start = self.xml.find("<soap:Body").expect("a soap:Body");
        let start = start + self.xml[start..].find('>').unwrap() + 1;
        let end = self.xml.rfind("</soap:Body>").expect("the Body closes");
        self.xml[start..end].to_owned()
    }

    /// The SOAP 1.2 fault reason.
    pub fn fault_reason(&self) -> String {
        let tree = self.tree();
        first(&tree, SOAP12, "Text")
            .map(|n| tree.text(n))
            .unwrap_or_else(|| panic!("expected a fault, got:\n{}", self.xml))
    }
}

/// POSTs `envelope` to `path`.
pub fn post(app: &App, path: &str, envelope: &str) -> Reply {
    let request = http::Request::post(path)
        .header("content-type", "application/soap+xml; charset=utf-8")
        .body(Bytes::from(envelope.to_owned()))
        .unwrap();
    let response = sfstub::http::handle(app, request);
    Reply {
        status: response.status().as_u16(),
        xml: String::from_utf8(response.body().to_vec()).unwrap(),
    }
}

/// A SOAP 1.2 envelope around `body`, with `header` (raw XML) if not empty.
pub fn envelope(header: &str, body: &str) -> String {
    let header = if header.is_empty() {
        String::new()
    } else {
        format!("<soap:Header>{header}</soap:Header>")
    };
    format!(r#"<soap:Envelope xmlns:soap="{SOAP12}">{header}<soap:Body>{body}</soap:Body></soap:Envelope>"#)
}

/// The støttesystem RequestHeader a client sends.
pub fn request_header(transaction: &str) -> String {
    format!(
        r#"<h:RequestHeader xmlns:h="{REQUEST_HEADER_NS}"><h:TransactionUUID>{transaction}</h:TransactionUUID></h:RequestHeader>"#
    )
}

/// Every element with this namespace and local name, in document order.
pub fn all(tree: &Tree, ns: &str, local: &str) -> Vec<NodeId> {
    std::iter::once(tree.root())
        .chain(tree.descendants(tree.root()))
        .filter(|&n| tree.is(n, ns, local))
        .collect()
}

/// The first element with this namespace and local name.
pub fn first(tree: &Tree, ns: &str, local: &str) -> Option<NodeId> {
    all(tree, ns, local).into_iter().next()
}

/// The texts of every element with this namespace and local name.
pub fn texts(tree: &Tree, ns: &str, local: &str) -> Vec<String> {
    all(tree, ns, local).into_iter().map(|n| tree.text(n)).collect()
}

/// The text of the first descendant of `node` with this namespace and local name.
pub fn text_below(tree: &Tree, node: NodeId, ns: &str, local: &str) -> Option<String> {
    tree.descendants(node)
        .into_iter()
        .find(|&n| tree.is(n, ns, local))
        .map(|n| tree.text(n))
}

// ---- tokens -----------------------------------------------------------------------------

/// A token-model request as a careful client writes it (signed by the holder-of-key, with a
/// token for `entity_id` and `cvr` from the app's own STS), with `extra_header` (e.g. a
/// RequestHeader) added to the SOAP Header.
pub fn token_request(app: &App, entity_id: &str, cvr: &str, to: &str, body: &str, extra_header: &str) -> String {
    let assertion = token::issue_token(app, entity_id, cvr);
    let signed = token::Signed {
        version: SoapVersion::V12,
        action: "http://kombit.dk/sts/klassifikation/klasse/laes",
        to,
        body,
        assertion: &assertion,
        message_id: MESSAGE_ID,
        now: world::now(),
    }
    .request();
    signed.replacen("<wsse:Security ", &format!("{extra_header}<wsse:Security "), 1)
}

// ---- schemas ----------------------------------------------------------------------------

/// `../shared/contracts/<relative>`, beside the checkout.
pub fn contract_file(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/contracts")
        .join(relative);
    assert!(
        path.is_file(),
        "{} is missing: the SF1510 tests validate against KOMBIT's published schemas in ../shared/contracts",
        path.display()
    );
    path
}

/// KOMBIT's Klasse v7 message schema (operations, imports SagDokObjekt.xsd).
pub fn klasse_xsd() -> PathBuf {
    contract_file("sf1510-klasse-v7/wsdl/KlasseOperationer.xsd")
}

/// KOMBIT's RequestHeader schema.
pub fn request_header_xsd() -> PathBuf {
    contract_file("sf1510-klasse-v7/wsdl/RequestHeader.xsd")
}

/// The XSDs KlassifikationListeHent publishes, written once into a directory (the main XSD
/// imports Kontekst.xsd by relative location); the main one's path.
pub fn listehent_xsd() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sf1510-schemas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let loaded = shared().loaded();
        let service = loaded
            .service_for(LISTEHENT_PATH)
            .expect("KlassifikationListeHent is served");
        for file in listehent::SCHEMA_FILES {
            let xsd = service
                .contract(Some(file), "http://127.0.0.1:8080/klassifikationlistehent/2")
                .unwrap_or_else(|| panic!("the service publishes no {file}"));
            std::fs::write(dir.join(file), xsd).unwrap();
        }
        dir
    });
    dir.join(listehent::SCHEMA_FILES[0])
}
