//! WSDL 1.1 documents: messages, port types, bindings (SOAP 1.1 or 1.2, document/literal),
//! services with their addresses, WS-Addressing actions and WS-Policy references, merged over
//! every `wsdl:import`. The schemas of `wsdl:types` go to the schema loader.

use std::collections::{HashSet, VecDeque};

use super::XS;
use super::doc::{self, Node};
use super::model::QName;
use super::source::{self, Source};
use crate::soap::SoapVersion;

/// The WSDL 1.1 namespace.
pub const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
/// The SOAP 1.1 binding namespace.
pub const WSDL_SOAP11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
/// The SOAP 1.2 binding namespace.
pub const WSDL_SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const WSAM: &str = "http://www.w3.org/2007/05/addressing/metadata";
const WSAW: &str = "http://www.w3.org/2006/05/addressing/wsdl";
const WSP: &[&str] = &[
    "http://www.w3.org/ns/ws-policy",
    "http://schemas.xmlsoap.org/ws/2004/09/policy",
];
const WSU: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
/// The most WSDL files one contract may import.
const MAX_WSDL_FILES: usize = 200;

/// A WSDL with everything it imports, merged.
#[derive(Debug, Clone, Default)]
pub struct Wsdl {
    /// The WSDL files read, the first being the one named.
    pub files: Vec<String>,
    /// The target namespace of the first file.
    pub target_namespace: String,
    /// `wsdl:message`s.
    pub messages: Vec<Message>,
    /// `wsdl:portType`s.
    pub port_types: Vec<PortType>,
    /// `wsdl:binding`s.
    pub bindings: Vec<Binding>,
    /// `wsdl:service`s.
    pub services: Vec<Service>,
    /// `wsp:Policy` definitions with an id.
    pub policies: Vec<Policy>,
}

/// A `wsdl:message`.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its name.
    pub name: QName,
    /// Its parts.
    pub parts: Vec<Part>,
}

/// A message part: document/literal parts name an element.
#[derive(Debug, Clone)]
pub struct Part {
    /// The part name.
    pub name: String,
    /// `element=`.
    pub element: Option<QName>,
    /// `type=` (RPC style; sfstub's contracts do not use it).
    pub type_name: Option<QName>,
    /// Where it is written (file:line).
    pub at: String,
}

/// A `wsdl:portType`.
#[derive(Debug, Clone)]
pub struct PortType {
    /// Its name.
    pub name: QName,
    /// Its abstract operations.
    pub operations: Vec<AbstractOperation>,
}

/// An operation of a port type.
#[derive(Debug, Clone)]
pub struct AbstractOperation {
    /// The operation name.
    pub name: String,
    /// `wsdl:input`.
    pub input: Option<IoMessage>,
    /// `wsdl:output`.
    pub output: Option<IoMessage>,
    /// `wsdl:fault`s.
    pub faults: Vec<IoMessage>,
}

/// An input, output or fault of an abstract operation.
#[derive(Debug, Clone)]
pub struct IoMessage {
    /// The `name` attribute (faults always have one).
    pub name: Option<String>,
    /// The message it refers to.
    pub message: QName,
    /// The `wsam:Action` (or `wsaw:Action`) attribute.
    pub action: Option<String>,
}

/// A `wsdl:binding`.
#[derive(Debug, Clone)]
pub struct Binding {
    /// Its name.
    pub name: QName,
    /// The port type it binds.
    pub port_type: QName,
    /// SOAP 1.1 or 1.2 (`None`: not a SOAP binding).
    pub soap: Option<SoapVersion>,
    /// The binding's `style` (document or rpc).
    pub style: Option<String>,
    /// The binding's `transport`.
    pub transport: Option<String>,
    /// Policy references on the binding (the `URI` as written, e.g. `#Policy` or `file.wsdl#Policy`).
    pub policy_refs: Vec<String>,
    /// The bound operations.
    pub operations: Vec<BindingOperation>,
}

/// An operation of a binding.
#[derive(Debug, Clone)]
pub struct BindingOperation {
    /// The operation name.
    pub name: String,
    /// `soapAction`.
    pub soap_action: Option<String>,
    /// `soapActionRequired` (SOAP 1.2 bindings).
    pub soap_action_required: Option<bool>,
    /// The operation's `style`, if it overrides the binding's.
    pub style: Option<String>,
    /// The bound input.
    pub input: Option<BindingIo>,
    /// The bound output.
    pub output: Option<BindingIo>,
    /// The bound faults.
    pub faults: Vec<BindingIo>,
    /// Policy references on the operation.
    pub policy_refs: Vec<String>,
}

/// How an input, output or fault is carried.
#[derive(Debug, Clone, Default)]
pub struct BindingIo {
    /// The `name` attribute.
    pub name: Option<String>,
    /// `soap:body parts=` (None: every part not carried in a header).
    pub body_parts: Option<Vec<String>>,
    /// `soap:header`s: (message, part).
    pub headers: Vec<(QName, String)>,
    /// `use="literal"` (or no `use`).
    pub literal: bool,
    /// Policy references on it.
    pub policy_refs: Vec<String>,
}

/// A `wsdl:service`.
#[derive(Debug, Clone)]
pub struct Service {
    /// Its name.
    pub name: QName,
    /// Its ports.
    pub ports: Vec<Port>,
}

/// A `wsdl:port`.
#[derive(Debug, Clone)]
pub struct Port {
    /// Its name.
    pub name: String,
    /// The binding it uses.
    pub binding: QName,
    /// `soap:address location=` (or `soap12:address`).
    pub address: Option<String>,
}

/// A `wsp:Policy` with an id.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Its `wsu:Id` (or `Name`).
    pub id: String,
    /// The file defining it.
    pub file: String,
    /// The expanded names of every assertion in it, in document order (nested ones too),
    /// e.g. `{…securitypolicy/200702}IssuedToken`.
    pub assertions: Vec<QName>,
}

impl Wsdl {
    /// A message by name.
    pub fn message(&self, name: &QName) -> Option<&Message> {
        self.messages.iter().find(|m| &m.name == name)
    }

    /// A port type by name.
    pub fn port_type(&self, name: &QName) -> Option<&PortType> {
        self.port_types.iter().find(|p| &p.name == name)
    }

    /// A binding by name.
    pub fn binding(&self, name: &QName) -> Option<&Binding> {
        self.bindings.iter().find(|b| &b.name == name)
    }

    /// A policy by the URI of a reference (`#Id` or `file#Id`).
    pub fn policy(&self, reference: &str) -> Option<&Policy> {
        let id = reference.rsplit_once('#').map(|(_, id)| id).unwrap_or(reference);
        self.policies.iter().find(|p| p.id == id)
    }
}

/// What [`read`] finds: the merged WSDL, the schemas embedded in `wsdl:types` (file, schema
/// element), and XSDs a `wsdl:import` names (path, where named).
pub type Read = (Wsdl, Vec<(String, Node)>, Vec<(String, String)>);

/// Reads `path` and every WSDL it imports. Schemas found in `wsdl:types` (and XSDs a
/// `wsdl:import` names) are returned for the schema loader: (file, schema element) and
/// (path, origin) respectively. Errors are collected in `errors`.
pub fn read(source: &Source, path: &str, errors: &mut Vec<String>) -> Read {
    let mut wsdl = Wsdl::default();
    let mut embedded = Vec::new();
    let mut xsd_imports = Vec::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::from([(path.to_owned(), "the contract".to_owned())]);
    let mut seen: HashSet<String> = HashSet::new();
    while let Some((file, origin)) = queue.pop_front() {
        if !seen.insert(file.clone()) {
            continue;
        }
        if seen.len() > MAX_WSDL_FILES {
            errors.push(format!("more than {MAX_WSDL_FILES} WSDL files are imported"));
            break;
        }
        let root = match source
            .read(&file)
            .map_err(|e| format!("{origin}: cannot read {file}: {e}"))
            .and_then(|b| doc::parse(&b).map_err(|e| format!("{file}: {e}")))
        {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if root.is(XS, "schema") {
            xsd_imports.push((file.clone(), origin));
            continue;
        }
        if !root.is(WSDL, "definitions") {
            errors.push(format!(
                "{file}: is not a WSDL 1.1 document (its root is {{{}}}{}; WSDL 2.0 is not supported)",
                root.ns, root.local
            ));
            continue;
        }
        if wsdl.files.is_empty() {
            wsdl.target_namespace = root.attr("targetNamespace").unwrap_or("").to_owned();
        }
        wsdl.files.push(file.clone());
        read_definitions(&root, &file, &mut wsdl, errors);
        for c in &root.children {
            let at = format!("{file}:{}", c.line);
            if c.is(WSDL, "import") {
                match c.attr("location") {
                    Some(l) => match source::resolve(source, &file, l) {
                        Ok(p) => queue.push_back((p, at)),
                        Err(e) => errors.push(format!("{at}: wsdl:import location={l:?}: {e}")),
                    },
                    None => errors.push(format!("{at}: wsdl:import without location")),
                }
            } else if c.is(WSDL, "types") {
                for s in c.children.iter().filter(|s| s.is(XS, "schema")) {
                    embedded.push((file.clone(), s.clone()));
                }
            }
        }
    }
    (wsdl, embedded, xsd_imports)
}

fn qname_attr(n: &Node, attr: &str, file: &str, errors: &mut Vec<String>) -> Option<QName> {
    let v = n.attr(attr)?;
    match n.resolve_qname(v) {
        Ok((ns, local)) => Some(QName::new(ns, local)),
        Err(e) => {
            errors.push(format!("{file}:{}: {attr}={v:?}: {e}", n.line));
            None
        }
    }
}

fn policy_refs(n: &Node) -> Vec<String> {
    let mut out: Vec<String> = n
        .children
        .iter()
        .filter(|c| c.local == "PolicyReference" && WSP.contains(&c.ns.as_str()))
        .filter_map(|c| c.attr("URI").map(str::to_owned))
        .collect();
    for ns in WSP {
        if let Some(uris) = n.attr_ns(ns, "PolicyURIs") {
            out.extend(uris.split_whitespace().map(str::to_owned));
        }
    }
    out
}

fn action(n: &Node) -> Option<String> {
    n.attr_ns(WSAM, "Action")
        .or_else(|| n.attr_ns(WSAW, "Action"))
        .map(str::to_owned)
}

fn read_definitions(root: &Node, file: &str, wsdl: &mut Wsdl, errors: &mut Vec<String>) {
    let tns = root.attr("targetNamespace").unwrap_or("").to_owned();
    let name = |n: &Node| QName::new(tns.clone(), n.attr("name").unwrap_or(""));
    for c in &root.children {
        if WSP.contains(&c.ns.as_str()) && c.local == "Policy" {
            if let Some(id) = c
                .attr_ns(WSU, "Id")
                .or_else(|| c.attr("Name"))
                .or_else(|| c.attr_ns(doc::XML_NS, "id"))
            {
                let mut assertions = Vec::new();
                let mut stack: Vec<&Node> = c.children.iter().rev().collect();
                while let Some(n) = stack.pop() {
                    let is_operator =
                        WSP.contains(&n.ns.as_str()) && matches!(n.local.as_str(), "Policy" | "All" | "ExactlyOne");
                    if !is_operator {
                        assertions.push(QName::new(n.ns.clone(), n.local.clone()));
                    }
                    stack.extend(n.children.iter().rev());
                }
                wsdl.policies.push(Policy {
                    id: id.to_owned(),
                    file: file.to_owned(),
                    assertions,
                });
            }
            continue;
        }
        if c.ns != WSDL {
            continue;
        }
        match c.local.as_str() {
            "message" => wsdl.messages.push(Message {
                name: name(c),
                parts: c
                    .children_in(WSDL)
                    .filter(|p| p.local == "part")
                    .map(|p| Part {
                        name: p.attr("name").unwrap_or("").to_owned(),
                        element: qname_attr(p, "element", file, errors),
                        type_name: qname_attr(p, "type", file, errors),
                        at: format!("{file}:{}", p.line),
                    })
                    .collect(),
            }),
            "portType" => wsdl.port_types.push(PortType {
                name: name(c),
                operations: c
                    .children_in(WSDL)
                    .filter(|o| o.local == "operation")
                    .map(|o| {
                        let io = |local: &str, errors: &mut Vec<String>| -> Vec<IoMessage> {
                            o.children_in(WSDL)
                                .filter(|x| x.local == local)
                                .filter_map(|x| {
                                    Some(IoMessage {
                                        name: x.attr("name").map(str::to_owned),
                                        message: qname_attr(x, "message", file, errors)?,
                                        action: action(x),
                                    })
                                })
                                .collect()
                        };
                        AbstractOperation {
                            name: o.attr("name").unwrap_or("").to_owned(),
                            input: io("input", errors).into_iter().next(),
                            output: io("output", errors).into_iter().next(),
                            faults: io("fault", errors),
                        }
                    })
                    .collect(),
            }),
            "binding" => {
                let Some(port_type) = qname_attr(c, "type", file, errors) else {
                    errors.push(format!("{file}:{}: wsdl:binding without type", c.line));
                    continue;
                };
                let soap_binding = c
                    .children
                    .iter()
                    .find(|b| b.local == "binding" && (b.ns == WSDL_SOAP11 || b.ns == WSDL_SOAP12));
                let soap = soap_binding.map(|b| {
                    if b.ns == WSDL_SOAP12 {
                        SoapVersion::V12
                    } else {
                        SoapVersion::V11
                    }
                });
                wsdl.bindings.push(Binding {
                    name: name(c),
                    port_type,
                    soap,
                    style: soap_binding.and_then(|b| b.attr("style")).map(str::to_owned),
                    transport: soap_binding.and_then(|b| b.attr("transport")).map(str::to_owned),
                    policy_refs: policy_refs(c),
                    operations: c
                        .children_in(WSDL)
                        .filter(|o| o.local == "operation")
                        .map(|o| binding_operation(o, file, errors))
                        .collect(),
                });
            }
            "service" => wsdl.services.push(Service {
                name: name(c),
                ports: c
                    .children_in(WSDL)
                    .filter(|p| p.local == "port")
                    .filter_map(|p| {
                        Some(Port {
                            name: p.attr("name").unwrap_or("").to_owned(),
                            binding: qname_attr(p, "binding", file, errors)?,
                            address: p
                                .children
                                .iter()
                                .find(|a| a.local == "address")
                                .and_then(|a| a.attr("location"))
                                .map(str::to_owned),
                        })
                    })
                    .collect(),
            }),
            _ => {}
        }
    }
}

fn is_soap(n: &Node) -> bool {
    n.ns == WSDL_SOAP11 || n.ns == WSDL_SOAP12
}

fn binding_operation(o: &Node, file: &str, errors: &mut Vec<String>) -> BindingOperation {
    let soap_op = o.children.iter().find(|s| s.local == "operation" && is_soap(s));
    let io = |x: &Node, errors: &mut Vec<String>| -> BindingIo {
        let mut b = BindingIo {
            name: x.attr("name").map(str::to_owned),
            literal: true,
            policy_refs: policy_refs(x),
            ..BindingIo::default()
        };
        for s in x.children.iter().filter(|s| is_soap(s)) {
            match s.local.as_str() {
                "body" | "fault" => {
                    b.literal = s.attr("use").is_none_or(|u| u == "literal");
                    if s.local == "body" {
                        b.body_parts = s
                            .attr("parts")
                            .map(|p| p.split_whitespace().map(str::to_owned).collect());
                    }
                }
                "header" => {
                    if let Some(m) = qname_attr(s, "message", file, errors) {
                        b.headers.push((m, s.attr("part").unwrap_or("").to_owned()));
                    }
                }
                _ => {}
            }
        }
        b
    };
    let mut input = None;
    let mut output = None;
    let mut faults = Vec::new();
    for x in o.children_in(WSDL) {
        match x.local.as_str() {
            "input" => input = Some(io(x, errors)),
            "output" => output = Some(io(x, errors)),
            "fault" => faults.push(io(x, errors)),
            _ => {}
        }
    }
    BindingOperation {
        name: o.attr("name").unwrap_or("").to_owned(),
        soap_action: soap_op.and_then(|s| s.attr("soapAction")).map(str::to_owned),
        soap_action_required: soap_op.and_then(|s| s.attr("soapActionRequired")).map(|v| v == "true"),
        style: soap_op.and_then(|s| s.attr("style")).map(str::to_owned),
        input,
        output,
        faults,
        policy_refs: policy_refs(o),
    }
}
