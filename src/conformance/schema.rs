//! The XSD half of request conformance: each request's operation element (the first child of
//! the SOAP Body) validated against its service's contract, with sfstub's own validator
//! ([`crate::xsd`]).
//!
//! Which schema: KOMBIT's for the services whose contract KOMBIT publishes (SF1520 v4 — and
//! v5, whose contract is v4's with the namespace swapped, as sfstub serves it —, SF1500's three
//! objects, SF1510 Klasse v7, the STS), taken from the contracts sfstub ships (`contracts/`) or
//! from `--contracts DIR` when that folder has the service's WSDL; sfstub's own for SF1472 and
//! KlassifikationListeHent; and for services served from a contract by the contract engine,
//! the contract they are served from ([`crate::services::Service::schema`]). Every set is
//! compiled once, when the scenario is loaded ([`compile`]): the shipped ones once per process.
//!
//! Findings have the code `SCHEMA`, severity error, the validator's kind (`kind`, e.g.
//! `missing-element`), a message naming what was expected and what was found, the element path
//! below Body and the request's line. In `--conformance strict` the first is refused with the
//! fault CXF's schema validation gives on the platform: `Unmarshalling Error: ` and Xerces'
//! `cvc-…` text ([`crate::xsd::Finding::cvc`]; inferred, not seen on the wire), or for a Body
//! element no operation takes, CXF's "Message part … was not recognized".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::clip::{REASON_CHARS, clip, clip_to};
use crate::contracts::{ContractDir, Official};
use crate::services::Service;
use crate::soap::xml::Utf8Input;
use crate::soap::{Envelope, Fault, SoapVersion};
use crate::xsd::{self, Contract, ElementId, Instance, QName, Source};

use super::{Code, Finding, Severity};

/// How many schema findings one request gets at most (the rest are summed up in one).
pub const MAX_FINDINGS: usize = 20;

/// A service's compiled contract, for checking its requests.
///
/// The contracts sfstub ships (and its own) are compiled when a request first needs them, not
/// when the world loads: a start serves its first answer without compiling the schemas of
/// services nobody has called yet. A vendor's `--contracts` folder is compiled at load, so
/// that a WSDL that does not load is reported then.
pub struct SchemaCheck {
    /// What is (or will be) compiled, for messages: e.g. `KOMBIT's
    /// sf1510-klasse-v7/wsdl/KlasseService.wsdl`.
    pub source: String,
    /// What the schema leaves unchecked, when it does (e.g. the STS's open RST content).
    pub note: Option<&'static str>,
    /// The compiled contract, once compiled; `None` inside when it did not compile.
    compiled: OnceLock<Option<Compiled>>,
    /// How to compile it, until it is.
    build: Mutex<Option<Build>>,
}

impl std::fmt::Debug for SchemaCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaCheck")
            .field("source", &self.source)
            .field("note", &self.note)
            .field("compiled", &self.compiled.get().map(Option::is_some))
            .finish()
    }
}

/// Compiles a contract on first use.
type Build = Box<dyn FnOnce() -> Result<Contract, String> + Send>;

/// A compiled contract with each operation's request element resolved once.
struct Compiled {
    contract: Contract,
    /// (name, declaration) of each operation's request element.
    requests: Vec<(QName, ElementId)>,
}

impl Compiled {
    fn of(contract: Contract) -> Compiled {
        let mut requests: Vec<(QName, ElementId)> = Vec::new();
        for op in contract.operations() {
            if let Some(body) = op.input.as_ref().and_then(|i| i.body.first())
                && let Some(id) = contract.schema.global_element(body)
                && !requests.iter().any(|(q, _)| q == body)
            {
                requests.push((body.clone(), id));
            }
        }
        Compiled { contract, requests }
    }

    /// The request element named `{ns}local`; failing that, the only one with local name
    /// `local` (a request in another namespace then gets a wrong-element finding).
    fn request(&self, ns: &str, local: &str) -> Option<(&QName, ElementId)> {
        if let Some((q, id)) = self.requests.iter().find(|(q, _)| q.is(ns, local)) {
            return Some((q, *id));
        }
        let mut same = self.requests.iter().filter(|(q, _)| q.local == local);
        match (same.next(), same.next()) {
            (Some((q, id)), None) => Some((q, *id)),
            _ => None,
        }
    }
}

impl SchemaCheck {
    /// A contract compiled already.
    fn new(contract: Contract, source: String, note: Option<&'static str>) -> SchemaCheck {
        SchemaCheck {
            source,
            note,
            compiled: OnceLock::from(Some(Compiled::of(contract))),
            build: Mutex::new(None),
        }
    }

    /// A contract `build` compiles when a request first needs it.
    fn later(source: String, note: Option<&'static str>, build: Build) -> SchemaCheck {
        SchemaCheck {
            source,
            note,
            compiled: OnceLock::new(),
            build: Mutex::new(Some(build)),
        }
    }

    /// The compiled contract, compiling it on the first call (callers meanwhile wait for it);
    /// `None` when it does not compile, which is logged once.
    fn compiled(&self) -> Option<&Compiled> {
        self.compiled
            .get_or_init(|| {
                let build = self.build.lock().ok().and_then(|mut b| b.take())?;
                match build() {
                    Ok(contract) => Some(Compiled::of(contract)),
                    Err(e) => {
                        tracing::warn!("{}: requests are not checked against a schema: {e}", self.source);
                        None
                    }
                }
            })
            .as_ref()
    }

    /// The compiled contract (compiled now if it was not yet); `None` when it does not compile.
    pub fn contract(&self) -> Option<&Contract> {
        self.compiled().map(|c| &c.contract)
    }
}

/// The note on the STS: its WSDL's schema leaves the RST open.
pub const STS_NOTE: &str = "the STS's WSDL declares RequestSecurityToken with open content (any element, lax) and sfstub \
     ships no WS-Trust 1.3 schema (ws-trust-1.3.xsd): the element's name and namespace and its Context attribute are \
     checked, its children (TokenType, RequestType, AppliesTo, KeyType, UseKey, …) are not";

/// What a request is validated against: a compiled contract and, when the service knows it,
/// the operation the request calls.
pub struct Target<'a> {
    pub contract: &'a Contract,
    pub operation: Option<&'a xsd::Operation>,
    /// The compiled request elements (for sfstub's built-in services).
    check: Option<&'a Compiled>,
    /// What was compiled, for messages.
    pub source: &'a str,
}

impl<'a> Target<'a> {
    /// The schema `service`'s requests are checked against: the service's own
    /// ([`Service::schema`], e.g. a contract the engine serves), else its profile's.
    pub fn of(service: &'a dyn Service, check: Option<&'a SchemaCheck>, envelope: &Envelope) -> Option<Target<'a>> {
        if let Some(contract) = service.schema() {
            return Some(Target {
                contract,
                operation: service.schema_operation(envelope),
                check: None,
                source: service.title(),
            });
        }
        let check = check?;
        let compiled = check.compiled()?;
        Some(Target {
            contract: &compiled.contract,
            operation: None,
            check: Some(compiled),
            source: &check.source,
        })
    }

    /// The request element `{ns}local` should be, and its declaration.
    fn expected(&self, ns: &str, local: &str) -> Option<(&'a QName, Option<ElementId>)> {
        if let Some(op) = self.operation
            && let Some(body) = op.input.as_ref().and_then(|i| i.body.first())
        {
            return Some((body, self.contract.schema.global_element(body)));
        }
        if let Some(check) = self.check {
            return check.request(ns, local).map(|(q, id)| (q, Some(id)));
        }
        let contract: &'a Contract = self.contract;
        let op = contract.operation_by_body(ns, local)?;
        let body = op.input.as_ref()?.body.first()?;
        Some((body, contract.schema.global_element(body)))
    }

    /// The request elements of every operation, for messages.
    fn requests(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for op in self.contract.operations() {
            if let Some(b) = op.input.as_ref().and_then(|i| i.body.first()) {
                let name = b.to_string();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }
}

/// Validates the request's operation element against `target`, adding a `SCHEMA` finding per
/// problem. `cpr_path` is where the profile's CPR rule looks: a form error there is the
/// `CPR_FORMAT` finding's, not reported twice.
pub fn check(
    target: &Target<'_>,
    request: Utf8Input<'_>,
    envelope: &Envelope,
    cpr_path: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    let body = request.bytes();
    let version = envelope.version;
    let op = &envelope.operation;
    let ns = op.namespace.as_deref().unwrap_or("");
    let local = op.local_name.as_str();
    let range = op.range.clone();
    // Built only for a finding.
    let found = || QName::new(ns, clip(local));
    let Some((expected, id)) = target.expected(ns, local) else {
        let line = Some(super::line_at(body, range.start));
        let mut f = Finding::new(
            Code::Schema,
            Severity::Error,
            clip_to(
                &format!(
                    "the Body's element {} is the request of no operation of {}: its requests are {}",
                    found(),
                    target.source,
                    target.requests().join(", ")
                ),
                REASON_CHARS,
            )
            .into_owned(),
        )
        .at(&clip(local), line)
        .refused_with(not_recognized(version, &found()));
        f.kind = Some(xsd::Code::UndeclaredElement.as_str().to_owned());
        findings.push(f);
        return;
    };
    let Some(id) = id else {
        // A contract whose operation names an undeclared element does not load: unreachable.
        return;
    };
    let instance = instance(request, envelope);
    let mut first = true;
    for x in target.contract.schema.validate_instance(&instance, Some(id), LIMITS) {
        let path = x.path.trim_start_matches('/');
        if cpr_path == Some(path)
            && matches!(
                x.code,
                xsd::Code::InvalidPattern | xsd::Code::InvalidLength | xsd::Code::InvalidLexical
            )
        {
            continue;
        }
        let refusal = match x.code {
            _ if !first => None,
            xsd::Code::WrongElement => Some(not_recognized(version, &found())),
            _ => Some(Fault::sender(
                version,
                clip_to(&format!("Unmarshalling Error: {}", x.cvc), REASON_CHARS).into_owned(),
            )),
        };
        first = false;
        let message = if x.code == xsd::Code::WrongElement {
            format!("{} ({}; expected {expected})", x.message, target.source)
        } else {
            format!("{} ({})", x.message, target.source)
        };
        let mut f = Finding::new(
            Code::Schema,
            Severity::Error,
            clip_to(&message, REASON_CHARS).into_owned(),
        )
        .at(&clip(path), Some(x.line));
        f.kind = Some(x.code.as_str().to_owned());
        f.refusal = refusal;
        findings.push(f);
    }
}

/// The validator's limits for a request's operation element.
const LIMITS: xsd::Limits = xsd::Limits {
    max_depth: 256,
    max_findings: MAX_FINDINGS,
};

/// The request's operation element as the validator reads it: with the namespace declarations
/// of its ancestors, as the envelope reader kept them or read from their tags.
fn instance<'a>(request: Utf8Input<'a>, envelope: &Envelope) -> Instance<'a> {
    let op = &envelope.operation;
    let range = op.range.clone();
    match request.text() {
        Some(text) => op
            .declared
            .as_ref()
            .and_then(|d| {
                let ranges = d.iter().map(|d| (d.prefix.clone(), d.namespace.clone()));
                Instance::declared(text, range.clone(), ranges)
            })
            .unwrap_or_else(|| Instance::below_text(text, range, &op.ancestors)),
        None => Instance::below(request.bytes(), range, &op.ancestors),
    }
}

/// How each value of the request's operation element is checked by the validator's plain pass
/// ([`xsd::SchemaSet::value_checks`]), with each check's content as a byte range of the
/// request; `None` when the element is not one of `target`'s requests or the pass does not
/// take it whole (it then has findings, or a shape the pass leaves to the full validator).
/// What [`check`] would find nothing in, for a request of the same markup whose values pass
/// these checks ([`crate::memo`]).
pub fn value_checks(target: &Target<'_>, request: Utf8Input<'_>, envelope: &Envelope) -> Option<Vec<xsd::ValueCheck>> {
    let op = &envelope.operation;
    let (_, id) = target.expected(op.namespace.as_deref().unwrap_or(""), &op.local_name)?;
    let mut checks = target
        .contract
        .schema
        .value_checks(&instance(request, envelope), id?, LIMITS)?;
    for c in &mut checks {
        c.content = c.content.start + op.range.start..c.content.end + op.range.start;
    }
    Some(checks)
}

/// CXF's fault for a Body element no operation of the endpoint takes.
fn not_recognized(version: SoapVersion, found: &QName) -> Fault {
    Fault::sender(
        version,
        format!("Message part {found} was not recognized.  (Does it exist in service WSDL?)"),
    )
}

/// Compiles the schema of each of `services` whose contract sfstub knows, by title: KOMBIT's
/// (from `vendor` when it has the service's WSDL, else shipped) or sfstub's own. A vendor
/// contract that does not load is reported in `warnings` and the shipped one used.
pub fn compile(
    services: &[Box<dyn Service>],
    vendor: Option<&ContractDir>,
    warnings: &mut Vec<String>,
) -> HashMap<&'static str, Arc<SchemaCheck>> {
    let mut out = HashMap::new();
    for service in services {
        let title = service.title();
        let check = match service.official() {
            Some(official) => {
                let from_vendor = vendor.and_then(|dir| {
                    let variant = official.variants.iter().find(|v| dir.find(v).is_some())?;
                    let path = dir.find(variant)?;
                    match Contract::load(&Source::dir(dir.root()), path) {
                        Ok(c) => Some(Arc::new(SchemaCheck::new(
                            c,
                            format!("--contracts {}", dir.root().join(path).display()),
                            note(title),
                        ))),
                        Err(e) => {
                            warnings.push(format!(
                                "{title}: the WSDL of --contracts does not load, so requests are checked against \
                                 sfstub's shipped copy: {e}"
                            ));
                            None
                        }
                    }
                });
                match from_vendor {
                    Some(c) => Ok(Some(c)),
                    None => shipped(&official, title),
                }
            }
            None => own(service.as_ref()),
        };
        match check {
            Ok(Some(c)) => {
                out.insert(title, c);
            }
            Ok(None) => {}
            Err(e) => warnings.push(format!("{title}: requests are not checked against a schema: {e}")),
        }
    }
    out
}

fn note(title: &str) -> Option<&'static str> {
    title.contains("SF1514").then_some(STS_NOTE)
}

/// Compiled sets, by what they were compiled from: shipped contracts and sfstub's own schemas
/// are the same for every scenario that names them alike, so a process compiles each once.
type Cache = Mutex<HashMap<String, Arc<SchemaCheck>>>;

fn cached(key: String, build: impl FnOnce() -> Result<SchemaCheck, String>) -> Result<Arc<SchemaCheck>, String> {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache
        .lock()
        .map_err(|_| "the schema cache is poisoned".to_owned())?
        .get(&key)
    {
        return Ok(hit.clone());
    }
    let built = Arc::new(build()?);
    // Another thread may have compiled the same set meanwhile: everyone shares the first.
    Ok(match cache.lock() {
        Ok(mut c) => c.entry(key).or_insert(built).clone(),
        Err(_) => built,
    })
}

/// KOMBIT's contract as sfstub ships it (derived for SF1520 v5 as it is served).
fn shipped(official: &Official, title: &'static str) -> Result<Option<Arc<SchemaCheck>>, String> {
    let variant = &official.variants[0];
    let key = format!("shipped:{}:{:?}", variant.shipped, official.derive);
    let derived = match official.derive {
        Some((from, to)) => format!(" with {from} replaced by {to}"),
        None => String::new(),
    };
    let source = format!("KOMBIT's {}{derived}", variant.shipped);
    let (shipped, derive) = (variant.shipped, official.derive);
    let build = move || {
        let folder = shipped.split('/').next().unwrap_or("");
        let files = crate::contracts::shipped_paths()
            .filter(|p| p.starts_with(&format!("{folder}/")))
            .filter_map(|p| {
                let text = crate::contracts::shipped(p)?;
                let text = match derive {
                    Some((from, to)) => crate::contracts::rewrite::derived(text, from, to),
                    None => text.to_owned(),
                };
                Some((p.to_owned(), text))
            });
        Contract::load(&Source::memory(files), shipped).map_err(|e| e.to_string())
    };
    cached(key, || Ok(SchemaCheck::later(source, note(title), Box::new(build)))).map(Some)
}

/// sfstub's own contract of a service that publishes one (SF1472, KlassifikationListeHent):
/// its WSDL with the XSDs it imports, as served.
fn own(service: &dyn Service) -> Result<Option<Arc<SchemaCheck>>, String> {
    const BASE: &str = "http://sfstub.invalid/contract";
    let Some(wsdl) = service.contract(None, BASE) else {
        return Ok(None);
    };
    let mut files = vec![("service.wsdl".to_owned(), wsdl)];
    for xsd in ["KontrolsagListeHent.xsd", "KlassifikationListeHent.xsd", "Kontekst.xsd"] {
        if let Some(text) = service.contract(Some(xsd), BASE) {
            files.push((format!("{BASE}/{xsd}"), text));
        }
    }
    let key = format!(
        "own:{}",
        files
            .iter()
            .map(|(p, t)| format!("{p}\n{t}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let main = files
        .get(1)
        .map(|(p, _)| p.rsplit('/').next().unwrap_or("").to_owned())
        .unwrap_or_default();
    let build = move || Contract::load(&Source::memory(files), "service.wsdl").map_err(|e| e.to_string());
    cached(key, || {
        Ok(SchemaCheck::later(format!("sfstub's {main}"), None, Box::new(build)))
    })
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::{Context, Summary};

    #[test]
    fn the_operation_read_below_its_ancestors_is_the_operation_read_within_the_request() {
        // A header with declarations of its own (out of scope at the operation), an escaped
        // namespace URI, a default namespace on the Body, lines and a multi-byte character
        // before the operation.
        let request = "<?xml version=\"1.0\"?>\n<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
                       xmlns:k=\"urn:k?a=1&amp;b=2\">\n  <s:Header><h:H xmlns:h=\"urn:h\">æ</h:H></s:Header>\n  \
                       <s:Body xmlns=\"urn:d\">\n    <!-- ø --><k:Op><x>1</x></k:Op></s:Body></s:Envelope>";
        let envelope =
            crate::soap::parse_envelope(request.as_bytes(), crate::soap::Limits::default(), SoapVersion::V12)
                .expect("a SOAP request");
        let op = &envelope.operation;
        let within = Instance::within(request.as_bytes(), op.range.clone());
        let below = Instance::below(request.as_bytes(), op.range.clone(), &op.ancestors);
        assert_eq!(below.namespaces, within.namespaces);
        let owned: Vec<(&str, &str)> = below.namespaces.iter().map(|(p, u)| (p.as_ref(), u.as_ref())).collect();
        assert_eq!(
            owned,
            [
                ("s", "http://www.w3.org/2003/05/soap-envelope"),
                ("k", "urn:k?a=1&b=2"),
                ("", "urn:d"),
            ]
        );
        assert_eq!(
            (below.bytes, below.position(), below.offset),
            (within.bytes, within.position(), within.offset)
        );
        assert_eq!(below.position(), (5, 15));
    }

    /// A service served from a contract, as the contract engine builds them: it answers
    /// [`Service::schema`] with the contract it loaded.
    struct FromContract(Contract);

    impl Service for FromContract {
        fn title(&self) -> &'static str {
            "SF9999 Example"
        }
        fn paths(&self) -> &[&'static str] {
            &["/example/1"]
        }
        fn entity_id(&self) -> &'static str {
            "http://example.invalid/1"
        }
        fn call(
            &self,
            _: &Context<'_>,
            _: &Envelope,
            _: crate::soap::Body<'_>,
            _: &mut Vec<u8>,
        ) -> Result<Summary, Fault> {
            Ok(Summary::default())
        }
        fn reply_action(&self, _: &Envelope) -> String {
            String::new()
        }
        fn contract(&self, _: Option<&str>, _: &str) -> Option<String> {
            None
        }
        fn schema(&self) -> Option<&Contract> {
            Some(&self.0)
        }
    }

    const WSDL: &str = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:t="urn:example" targetNamespace="urn:example">
  <types><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:example" elementFormDefault="qualified">
    <xs:element name="Hent"><xs:complexType><xs:sequence><xs:element name="Id" type="xs:int"/></xs:sequence></xs:complexType></xs:element>
    <xs:element name="HentSvar" type="xs:string"/>
  </xs:schema></types>
  <message name="In"><part name="p" element="t:Hent"/></message>
  <message name="Out"><part name="p" element="t:HentSvar"/></message>
  <portType name="P"><operation name="hent"><input message="t:In"/><output message="t:Out"/></operation></portType>
  <binding name="B" type="t:P"><soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="hent"><soap12:operation soapAction="urn:example/hent"/><input><soap12:body use="literal"/></input><output><soap12:body use="literal"/></output></operation></binding>
</definitions>"#;

    fn findings(service: &dyn Service, body: &str) -> Vec<Finding> {
        let envelope = crate::soap::parse_envelope(body.as_bytes(), Default::default(), SoapVersion::V12).unwrap();
        let target = Target::of(service, None, &envelope).expect("the service's own schema");
        let mut out = Vec::new();
        check(&target, Utf8Input::new(body.as_bytes()), &envelope, None, &mut out);
        out
    }

    #[test]
    fn a_service_with_its_own_compiled_contract_is_checked_against_it() {
        let contract = Contract::load(&Source::memory([("x.wsdl", WSDL)]), "x.wsdl").unwrap();
        let service = FromContract(contract);
        let envelope = |id: &str| {
            format!(
                "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>\n<t:Hent xmlns:t=\"urn:example\"><t:Id>{id}</t:Id></t:Hent></s:Body></s:Envelope>"
            )
        };
        assert!(findings(&service, &envelope("7")).is_empty());
        let found = findings(&service, &envelope("seven"));
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!((f.code, f.kind.as_deref()), (Code::Schema, Some("invalid-lexical")));
        assert_eq!((f.path.as_deref(), f.line), (Some("Hent/Id"), Some(2)));
        assert!(f.message.contains("SF9999 Example"), "{}", f.message);
        let refusal = f.refusal.as_ref().unwrap();
        assert_eq!(
            refusal.reason,
            "Unmarshalling Error: cvc-datatype-valid.1.2.1: 'seven' is not a valid value for 'int'."
        );
    }

    #[test]
    fn a_service_without_a_schema_or_profile_is_not_checked() {
        struct Plain;
        impl Service for Plain {
            fn title(&self) -> &'static str {
                "plain"
            }
            fn paths(&self) -> &[&'static str] {
                &[]
            }
            fn entity_id(&self) -> &'static str {
                ""
            }
            fn call(
                &self,
                _: &Context<'_>,
                _: &Envelope,
                _: crate::soap::Body<'_>,
                _: &mut Vec<u8>,
            ) -> Result<Summary, Fault> {
                Ok(Summary::default())
            }
            fn reply_action(&self, _: &Envelope) -> String {
                String::new()
            }
            fn contract(&self, _: Option<&str>, _: &str) -> Option<String> {
                None
            }
        }
        let body = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><x/></s:Body></s:Envelope>";
        let envelope = crate::soap::parse_envelope(body.as_bytes(), Default::default(), SoapVersion::V12).unwrap();
        assert!(Target::of(&Plain, None, &envelope).is_none());
    }
}
