//! Building KontrolsagListeHent requests and reading responses and faults, namespace-aware.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::helpers::{HttpResponse, SOAP11_CONTENT_TYPE, SOAP12_CONTENT_TYPE};

pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const KONTEKST_NS: &str = "http://kombit.dk/xml/schemas/kontekst/2017/01/01/";
pub const DEFAULT_NS: &str = "http://www.kombit.dk/int/2022/01/01/";

/// Københavns Kommune.
pub const KOEBENHAVN_CVR: &str = "64942212";
/// Udbetaling Danmark (the default scenario's fictitious CVR).
pub const UDK_CVR: &str = "14720006";
/// Jens Kjær Jensen (0101): an open UDK case with steps, a Copenhagen case henlagt two months
/// ago, and a decided UDK case.
pub const JENS_CPR: &str = "1507804329";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Soap {
    V11,
    V12,
}

impl Soap {
    pub fn namespace(self) -> &'static str {
        match self {
            Soap::V11 => SOAP11_NS,
            Soap::V12 => SOAP12_NS,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Soap::V11 => SOAP11_CONTENT_TYPE,
            Soap::V12 => SOAP12_CONTENT_TYPE,
        }
    }
}

/// A `KontrolsagListeHent_I`, written the way a client chooses.
#[derive(Debug, Clone)]
pub struct KontrolsagListeHentI {
    /// `None`: the element has no namespace at all.
    pub namespace: Option<String>,
    /// `None` with a namespace: a default `xmlns` declaration.
    pub prefix: Option<String>,
    pub transaktions_id: Option<String>,
    pub transaktions_tid: Option<String>,
    pub caller_cvr: Option<String>,
    pub cpr: String,
    pub hjemmel: String,
    pub samtykke_dato: Option<String>,
    /// Leave `HovedOplysninger` out entirely.
    pub without_hoved_oplysninger: bool,
}

impl Default for KontrolsagListeHentI {
    fn default() -> Self {
        KontrolsagListeHentI {
            namespace: Some(DEFAULT_NS.into()),
            prefix: Some("kls".into()),
            transaktions_id: Some("6f1c2b0e-3d1a-4e5f-9a7b-1c2d3e4f5a6b".into()),
            transaktions_tid: Some("2026-11-22T10:15:00Z".into()),
            caller_cvr: Some(KOEBENHAVN_CVR.into()),
            cpr: JENS_CPR.into(),
            hjemmel: "UDBL_11A_STK2".into(),
            samtykke_dato: None,
            without_hoved_oplysninger: false,
        }
    }
}

impl KontrolsagListeHentI {
    pub fn to_xml(&self) -> String {
        let p = match (&self.namespace, &self.prefix) {
            (Some(_), Some(p)) => format!("{p}:"),
            _ => String::new(),
        };
        let decl = match (&self.namespace, &self.prefix) {
            (Some(ns), Some(p)) => format!(" xmlns:{p}=\"{ns}\""),
            (Some(ns), None) => format!(" xmlns=\"{ns}\""),
            (None, _) => String::new(),
        };
        let mut s = format!("<{p}KontrolsagListeHent_I{decl} revision=\"1\">");
        if !self.without_hoved_oplysninger {
            s.push_str(&format!("<ktx:HovedOplysninger xmlns:ktx=\"{KONTEKST_NS}\">"));
            if let Some(id) = &self.transaktions_id {
                s.push_str(&format!("<ktx:TransaktionsId>{id}</ktx:TransaktionsId>"));
            }
            if let Some(tid) = &self.transaktions_tid {
                s.push_str(&format!("<ktx:TransaktionsTid>{tid}</ktx:TransaktionsTid>"));
            }
            if let Some(cvr) = &self.caller_cvr {
                s.push_str(&format!(
                    "<ktx:AuthorityContext><ktx:MunicipalityCVR>{cvr}</ktx:MunicipalityCVR></ktx:AuthorityContext>"
                ));
            }
            s.push_str("</ktx:HovedOplysninger>");
        }
        s.push_str(&format!("<{p}KontrolsagSoegKriterie>"));
        s.push_str(&format!("<{p}PersonCPRNummer>{}</{p}PersonCPRNummer>", self.cpr));
        s.push_str(&format!("<{p}Hjemmel>{}</{p}Hjemmel>", self.hjemmel));
        if let Some(d) = &self.samtykke_dato {
            s.push_str(&format!("<{p}SamtykkeDato>{d}</{p}SamtykkeDato>"));
        }
        s.push_str(&format!("</{p}KontrolsagSoegKriterie></{p}KontrolsagListeHent_I>"));
        s
    }

    /// The request in a complete envelope.
    pub fn envelope(&self, version: Soap) -> String {
        envelope(version, &self.to_xml())
    }
}

/// `body_content` in an envelope of `version` (prefix `soapenv`, with an empty Header).
pub fn envelope(version: Soap, body_content: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope xmlns:soapenv=\"{}\">\n  <soapenv:Header/>\n  <soapenv:Body>{body_content}</soapenv:Body>\n</soapenv:Envelope>\n",
        version.namespace()
    )
}

/// A good request from Københavns Kommune about Jens under stk. 2, in SOAP 1.2.
pub fn good_request() -> String {
    KontrolsagListeHentI::default().envelope(Soap::V12)
}

/// One element of a parsed document.
#[derive(Debug, Clone)]
pub struct Element {
    /// The resolved namespace URI (unescaped), `None` when unbound.
    pub namespace: Option<String>,
    pub local: String,
    /// Local names from the root down to this element, joined by `/`.
    pub path: String,
    /// The element's own text (children's text not included), entities resolved.
    pub text: String,
    /// Attributes by qualified name, values unescaped.
    pub attributes: Vec<(String, String)>,
}

impl Element {
    pub fn attribute(&self, qname: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == qname)
            .map(|(_, v)| v.as_str())
    }
}

/// A whole document as a flat list of elements in document order.
#[derive(Debug, Clone)]
pub struct Doc {
    pub elements: Vec<Element>,
}

impl Doc {
    /// Parses `xml`, panicking (with the text) when it is not well-formed.
    pub fn parse(xml: &[u8]) -> Doc {
        Doc::try_parse(xml).unwrap_or_else(|e| panic!("not well-formed XML ({e}):\n{}", String::from_utf8_lossy(xml)))
    }

    pub fn try_parse(xml: &[u8]) -> Result<Doc, String> {
        let mut reader = NsReader::from_reader(xml);
        reader.config_mut().check_end_names = true;
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut roots = 0;
        loop {
            let (ns, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
            let namespace = match ns {
                ResolveResult::Bound(n) => {
                    let raw = String::from_utf8_lossy(n.as_ref()).into_owned();
                    Some(
                        quick_xml::escape::unescape(&raw)
                            .map_err(|e| e.to_string())?
                            .into_owned(),
                    )
                }
                ResolveResult::Unbound => None,
                ResolveResult::Unknown(p) => return Err(format!("undeclared prefix {}", String::from_utf8_lossy(&p))),
            };
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    if open.is_empty() {
                        roots += 1;
                    }
                    let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    let path = match open.last() {
                        Some(&parent) => format!("{}/{local}", elements[parent].path),
                        None => local.clone(),
                    };
                    let mut attributes = Vec::new();
                    for a in e.attributes() {
                        let a = a.map_err(|e| e.to_string())?;
                        let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
                        attributes.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), value));
                    }
                    elements.push(Element {
                        namespace,
                        local,
                        path,
                        text: String::new(),
                        attributes,
                    });
                    if matches!(event, Event::Start(_)) {
                        open.push(elements.len() - 1);
                    }
                }
                Event::End(_) => {
                    open.pop();
                }
                Event::Text(t) => {
                    if let Some(&i) = open.last() {
                        elements[i].text.push_str(&t.decode().map_err(|e| e.to_string())?);
                    }
                }
                Event::CData(t) => {
                    if let Some(&i) = open.last() {
                        elements[i].text.push_str(&t.decode().map_err(|e| e.to_string())?);
                    }
                }
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                        Some(c) => c.to_string(),
                        None => {
                            let name = r.decode().map_err(|e| e.to_string())?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or_else(|| format!("unknown entity &{name};"))?
                                .to_owned()
                        }
                    };
                    if let Some(&i) = open.last() {
                        elements[i].text.push_str(&c);
                    }
                }
                Event::DocType(_) => return Err("a DOCTYPE in a response".into()),
                Event::Eof => break,
                _ => {}
            }
        }
        if roots != 1 || !open.is_empty() {
            return Err(format!("{roots} root elements, {} left open", open.len()));
        }
        for e in &mut elements {
            e.text = e.text.trim().to_owned();
        }
        Ok(Doc { elements })
    }

    /// The root element.
    pub fn root(&self) -> &Element {
        &self.elements[0]
    }

    /// Every element with this local name.
    pub fn all(&self, local: &str) -> Vec<&Element> {
        self.elements.iter().filter(|e| e.local == local).collect()
    }

    /// The only element with this local name.
    pub fn one(&self, local: &str) -> &Element {
        let all = self.all(local);
        assert_eq!(all.len(), 1, "expected exactly one <{local}> in {:#?}", self.elements);
        all[0]
    }

    /// The text of the only element with this local name.
    pub fn text(&self, local: &str) -> &str {
        &self.one(local).text
    }
}

/// A response read as a SOAP message: checks the envelope, returns the document.
pub fn soap_message(response: &HttpResponse, version: Soap) -> Doc {
    assert_eq!(
        response.header("Content-Type"),
        Some(version.content_type()),
        "Content-Type of a {version:?} message; body:\n{}",
        String::from_utf8_lossy(&response.body)
    );
    let doc = Doc::parse(&response.body);
    let root = doc.root();
    assert_eq!(
        (root.namespace.as_deref(), root.local.as_str()),
        (Some(version.namespace()), "Envelope")
    );
    let body = doc.one("Body");
    assert_eq!(body.namespace.as_deref(), Some(version.namespace()));
    assert_eq!(body.path, "Envelope/Body");
    doc
}

/// A successful KontrolsagListeHent answer: 200, SOAP of `version`, `KontrolsagListeHent_O`
/// right inside Body.
pub fn expect_answer(response: &HttpResponse, version: Soap) -> Doc {
    assert_eq!(
        response.status,
        200,
        "body:\n{}",
        String::from_utf8_lossy(&response.body)
    );
    let doc = soap_message(response, version);
    let out = doc.one("KontrolsagListeHent_O");
    assert_eq!(out.path, "Envelope/Body/KontrolsagListeHent_O");
    doc
}

/// A fault as the client sees it.
#[derive(Debug, Clone)]
pub struct SoapFault {
    /// The code's local part: Sender/Receiver/VersionMismatch (1.2), Client/Server/... (1.1).
    pub code: String,
    pub reason: String,
}

/// Reads a fault: the status, the Content-Type and the fault's shape must agree with `version`.
pub fn expect_fault(response: &HttpResponse, version: Soap) -> SoapFault {
    assert!(
        (400..600).contains(&response.status),
        "a fault must not come with status {}; body:\n{}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    let doc = soap_message(response, version);
    let fault = doc.one("Fault");
    assert_eq!(fault.path, "Envelope/Body/Fault");
    assert_eq!(fault.namespace.as_deref(), Some(version.namespace()));
    let (code, reason) = match version {
        Soap::V12 => {
            let value = doc.one("Value");
            assert_eq!(value.path, "Envelope/Body/Fault/Code/Value");
            (value.text.clone(), doc.one("Text").text.clone())
        }
        Soap::V11 => (doc.text("faultcode").to_owned(), doc.text("faultstring").to_owned()),
    };
    // The code is a QName whose prefix must be bound to the envelope namespace.
    let (prefix, local) = code
        .split_once(':')
        .unwrap_or_else(|| panic!("fault code {code:?} is not a QName"));
    let decl = format!("xmlns:{prefix}");
    let bound = doc
        .elements
        .iter()
        .any(|e| e.attribute(&decl) == Some(version.namespace()));
    assert!(
        bound,
        "the fault code prefix {prefix:?} is not bound to {}",
        version.namespace()
    );
    assert!(!reason.trim().is_empty(), "a fault needs a reason");
    SoapFault {
        code: local.to_owned(),
        reason,
    }
}

/// A SOAP 1.2 Sender fault sent with 400.
pub fn expect_sender_fault_12(response: &HttpResponse) -> SoapFault {
    let fault = expect_fault(response, Soap::V12);
    assert_eq!(fault.code, "Sender", "{fault:?}");
    assert_eq!(response.status, 400, "{fault:?}");
    fault
}

/// A SOAP 1.1 Client fault sent with 500.
pub fn expect_client_fault_11(response: &HttpResponse) -> SoapFault {
    let fault = expect_fault(response, Soap::V11);
    assert_eq!(fault.code, "Client", "{fault:?}");
    assert_eq!(response.status, 500, "{fault:?}");
    fault
}
