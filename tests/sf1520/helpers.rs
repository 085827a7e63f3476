//! The harness: apps on the default scenario with the clock pinned, requests in the context
//! and token models, posting through `sfstub::http::handle`, and reading responses.

use bytes::Bytes;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::xmltree::{NodeId, Tree};
use sfstub::soap::SoapVersion;

pub use sfstub::services::sf1520_cpr::{
    ENTITY_ID_V4, ENTITY_ID_V5, FAULT_NS, NAMESPACE_V4, NAMESPACE_V5, PATH_V4, PATH_V5, SERVICE_UUID_V4,
};

pub use crate::world::{SOAP11, SOAP12, app};
use crate::{token, world};

pub const MESSAGE_ID: &str = "urn:uuid:1520aaaa-2222-4b2a-8c3d-000000000002";

/// Københavns Kommune, Aalborg Kommune, Viborg Kommune (the sample client's token CVR).
pub const KOEBENHAVN: &str = "64942212";
pub const AALBORG: &str = "29189420";
pub const VIBORG: &str = "29189846";

/// The default scenario's hand-written citizens.
pub const JENS: &str = "1507804329";
pub const HANNE: &str = "0302751234";
pub const IDA: &str = "1111904126";

/// A scenario from YAML, in `off` mode.
pub fn app_from(yaml: &str) -> App {
    world::app_from(yaml, SecurityMode::Off)
}

/// Posts `body` to `path`: status and body text.
pub fn post(app: &App, path: &str, body: &str) -> (u16, String) {
    let request = http::Request::post(path)
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(Bytes::from(body.to_owned()))
        .unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

/// Which context element a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Ctx<'a> {
    None,
    Authority(&'a str),
    Invocation,
    /// An InvocationContext with an upper-case ServiceAgreementUUID and no UserUUID.
    BrokenInvocation,
    /// Only a CallContext (as the token-model demo client sends).
    Call,
}

/// A `PersonLookupRequest` element in `namespace` for `pnr` (`None` leaves PNR out).
pub fn lookup(namespace: &str, ctx: Ctx<'_>, pnr: Option<&str>) -> String {
    let context = match ctx {
        Ctx::None => String::new(),
        Ctx::Authority(cvr) => format!(
            r#"<autctx:AuthorityContext xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><autctx:MunicipalityCVR>{cvr}</autctx:MunicipalityCVR></autctx:AuthorityContext>"#
        ),
        Ctx::Invocation => format!(
            r#"<invctx:InvocationContext xmlns:invctx="http://serviceplatformen.dk/xml/schemas/InvocationContext/1/"><invctx:ServiceAgreementUUID>42571b5d-6371-4edb-8729-1343a3f4c9b9</invctx:ServiceAgreementUUID><invctx:UserSystemUUID>99478e20-68e6-41ff-b822-681fb69b8ff2</invctx:UserSystemUUID><invctx:UserUUID>e3108916-8ed9-4482-8045-7b46c83904b0</invctx:UserUUID><invctx:ServiceUUID>{SERVICE_UUID_V4}</invctx:ServiceUUID></invctx:InvocationContext>"#
        ),
        Ctx::BrokenInvocation => format!(
            r#"<invctx:InvocationContext xmlns:invctx="http://serviceplatformen.dk/xml/schemas/InvocationContext/1/"><invctx:ServiceAgreementUUID>42571B5D-6371-4EDB-8729-1343A3F4C9B9</invctx:ServiceAgreementUUID><invctx:UserSystemUUID>99478e20-68e6-41ff-b822-681fb69b8ff2</invctx:UserSystemUUID><invctx:ServiceUUID>{SERVICE_UUID_V4}</invctx:ServiceUUID></invctx:InvocationContext>"#
        ),
        Ctx::Call => r#"<callctx:CallContext xmlns:callctx="http://serviceplatformen.dk/xml/schemas/CallContext/1/"><callctx:OnBehalfOfUser>sagsbehandler-7</callctx:OnBehalfOfUser></callctx:CallContext>"#.to_owned(),
    };
    let pnr = pnr
        .map(|p| format!(r#"<cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">{p}</cpr:PNR>"#))
        .unwrap_or_default();
    format!(r#"<tns:PersonLookupRequest xmlns:tns="{namespace}">{context}{pnr}</tns:PersonLookupRequest>"#)
}

/// `operation` in a plain envelope of `version`.
pub fn envelope(version: SoapVersion, operation: &str) -> String {
    let ns = match version {
        SoapVersion::V11 => SOAP11,
        SoapVersion::V12 => SOAP12,
    };
    format!(r#"<soap:Envelope xmlns:soap="{ns}"><soap:Header/><soap:Body>{operation}</soap:Body></soap:Envelope>"#)
}

/// A SOAP 1.1 context-model lookup on v4.
pub fn context_request(ctx: Ctx<'_>, pnr: &str) -> String {
    envelope(SoapVersion::V11, &lookup(NAMESPACE_V4, ctx, Some(pnr)))
}

/// A token from the app's own STS for `entity_id`, for Viborg Kommune.
pub fn issue_token(app: &App, entity_id: &str) -> String {
    token::issue_token(app, entity_id, VIBORG)
}

/// A token-model request (SOAP 1.1, signed by the holder-of-key) carrying `operation`.
pub fn token_request(assertion: &str, to: &str, operation: &str) -> String {
    token::Signed {
        version: SoapVersion::V11,
        action: "http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/PersonLookup",
        to,
        body: operation,
        assertion,
        message_id: MESSAGE_ID,
        now: world::now(),
    }
    .request()
}

/// A parsed response with handy accessors.
pub struct Doc {
    pub tree: Tree,
}

impl Doc {
    pub fn parse(xml: &str) -> Doc {
        let tree = Tree::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
        Doc { tree }
    }

    /// Every element with this local name, in document order.
    pub fn all(&self, local: &str) -> Vec<NodeId> {
        std::iter::once(self.tree.root())
            .chain(self.tree.descendants(self.tree.root()))
            .filter(|&n| self.tree.element(n).local_name() == local)
            .collect()
    }

    /// The text at a path of local names below the first element named like its head
    /// (`"aktuelAdresse/postnummer"`).
    pub fn at(&self, path: &str) -> Option<String> {
        let mut parts = path.split('/');
        let head = parts.next()?;
        let mut node = *self.all(head).first()?;
        for part in parts {
            node = self
                .tree
                .child_elements(node)
                .find(|&c| self.tree.element(c).local_name() == part)?;
        }
        Some(self.tree.text(node))
    }

    /// The `personnummer` of each relation element with this name (`barn`, `mor`, ...).
    pub fn relations(&self, element: &str) -> Vec<String> {
        let Some(&relationer) = self.all("relationer").first() else {
            return Vec::new();
        };
        self.tree
            .child_elements(relationer)
            .filter(|&c| self.tree.element(c).local_name() == element)
            .filter_map(|c| {
                self.tree
                    .child_elements(c)
                    .find(|&p| self.tree.element(p).local_name() == "personnummer")
                    .map(|p| self.tree.text(p))
            })
            .collect()
    }

    /// The namespace of the Body's first child.
    pub fn body_namespace(&self) -> Option<String> {
        let body = *self.all("Body").first()?;
        let first = self.tree.child_elements(body).next()?;
        self.tree.namespace(first).map(str::to_owned)
    }
}

/// The text between the Body's start and end tags: the response element, a document of its
/// own (sfstub declares the element's namespace on it).
pub fn body_content(xml: &str) -> &str {
    let start = xml.find("<soap:Body").expect("a soap:Body");
    let start = start + xml[start..].find('>').unwrap() + 1;
    let end = xml.rfind("</soap:Body>").expect("a closing soap:Body");
    &xml[start..end]
}

/// The fault detail's `ServiceplatformFault`, as a document of its own.
pub fn fault_detail(xml: &str) -> &str {
    let start = xml
        .find("<ServiceplatformFault")
        .expect("a ServiceplatformFault detail");
    let end = xml
        .find("</ServiceplatformFault>")
        .expect("a closed ServiceplatformFault")
        + "</ServiceplatformFault>".len();
    &xml[start..end]
}
