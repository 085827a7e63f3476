//! XML as a comparable tree: namespace URI and local name per element, attributes sorted,
//! children, trimmed text. Prefixes, namespace declarations, comments and whitespace-only text
//! do not take part in comparisons; they are kept only to write a tree back out readably.

use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// One element.
#[derive(Debug, Clone)]
pub struct Node {
    pub namespace: Option<String>,
    pub name: String,
    /// Sorted by namespace and local name; namespace declarations are not attributes here.
    pub attributes: Vec<Attribute>,
    pub children: Vec<Node>,
    /// The element's own text, trimmed; empty for whitespace only.
    pub text: String,
    /// The name as written (`k:Kontrolsag`), for writing only.
    qname: String,
    /// The namespace declarations written on the element (`xmlns:k`, URI), for writing only.
    declarations: Vec<(String, String)>,
}

/// One attribute that is not a namespace declaration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Attribute {
    pub namespace: Option<String>,
    pub name: String,
    pub value: String,
    qname: String,
}

/// Parses a whole document into its root element.
pub fn parse(xml: &[u8]) -> Result<Node, String> {
    let mut reader = NsReader::from_reader(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    loop {
        let at = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not well-formed XML near byte {at}: {e}"))?;
        let namespace = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => return Err(format!("undeclared prefix {:?}", String::from_utf8_lossy(&p))),
        };
        match event {
            Event::Start(e) => stack.push(element(&reader, &e, namespace)?),
            Event::Empty(e) => {
                let node = element(&reader, &e, namespace)?;
                attach(&mut stack, &mut root, node)?;
            }
            Event::End(_) => {
                let mut node = stack.pop().ok_or("an end tag without a start tag")?;
                node.text = node.text.trim().to_owned();
                attach(&mut stack, &mut root, node)?;
            }
            Event::Text(t) => push_text(&mut stack, &t.decode().map_err(|e| e.to_string())?),
            Event::CData(t) => push_text(&mut stack, &t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => match r.decode().map_err(|e| e.to_string())?.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(format!("undefined entity &{other};")),
                    },
                };
                push_text(&mut stack, &c.to_string());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "the document has no element".into())
}

fn element(reader: &NsReader<&[u8]>, e: &BytesStart<'_>, namespace: Option<String>) -> Result<Node, String> {
    let mut attributes = Vec::new();
    let mut declarations = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let qname = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .decode_and_unescape_value(reader.decoder())
            .map_err(|e| e.to_string())?
            .into_owned();
        if attr.key.as_namespace_binding().is_some() {
            declarations.push((qname, value));
            continue;
        }
        let (ns, local) = reader.resolve_attribute(attr.key);
        let namespace = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => return Err(format!("undeclared prefix {:?}", String::from_utf8_lossy(&p))),
        };
        let name = String::from_utf8_lossy(local.as_ref()).into_owned();
        attributes.push(Attribute {
            namespace,
            name,
            value,
            qname,
        });
    }
    attributes.sort();
    Ok(Node {
        namespace,
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attributes,
        children: Vec::new(),
        text: String::new(),
        qname: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
        declarations,
    })
}

fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None if root.is_none() => *root = Some(node),
        None => return Err("the document has more than one root element".into()),
    }
    Ok(())
}

fn push_text(stack: &mut [Node], text: &str) {
    if let Some(node) = stack.last_mut() {
        node.text.push_str(text);
    }
}

impl Node {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Follows local names down from this element: `at("Body/KontrolsagListeHent_O")`.
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('/').try_fold(self, |node, name| node.child(name))
    }

    /// The text at a path below this element, if the element is there.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.at(path).map(|n| n.text.as_str())
    }

    /// Every element below this one (not itself) with this local name, in document order.
    pub fn descendants(&self, name: &str) -> Vec<&Node> {
        let mut found = Vec::new();
        let mut todo: Vec<&Node> = self.children.iter().rev().collect();
        while let Some(n) = todo.pop() {
            if n.name == name {
                found.push(n);
            }
            todo.extend(n.children.iter().rev());
        }
        found
    }

    /// A standalone document of this element, found by following `path` from `self`, with
    /// every namespace declaration in scope there written on it.
    pub fn extract(&self, path: &str) -> Option<String> {
        let mut in_scope: Vec<(String, String)> = Vec::new();
        let mut node = self;
        let mut declare = |n: &Node| {
            for (k, v) in &n.declarations {
                in_scope.retain(|(k2, _)| k2 != k);
                in_scope.push((k.clone(), v.clone()));
            }
        };
        for name in path.split('/') {
            declare(node);
            node = node.child(name)?;
        }
        in_scope.retain(|(k, _)| !node.declarations.iter().any(|(k2, _)| k2 == k));
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        node.write(&mut out, 0, &in_scope);
        Some(out)
    }

    /// The document, indented for reading.
    pub fn pretty(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write(&mut out, 0, &[]);
        out
    }

    fn write(&self, out: &mut String, depth: usize, extra: &[(String, String)]) {
        let indent = "  ".repeat(depth);
        let _ = write!(out, "{indent}<{}", self.qname);
        for (k, v) in extra.iter().chain(&self.declarations) {
            let _ = write!(out, " {k}=\"{}\"", quick_xml::escape::escape(v.as_str()));
        }
        for a in &self.attributes {
            let _ = write!(out, " {}=\"{}\"", a.qname, quick_xml::escape::escape(a.value.as_str()));
        }
        let text = quick_xml::escape::partial_escape(self.text.as_str());
        match (self.children.is_empty(), self.text.is_empty()) {
            (true, true) => out.push_str("/>\n"),
            (true, false) => {
                let _ = writeln!(out, ">{text}</{}>", self.qname);
            }
            (false, _) => {
                out.push_str(">\n");
                if !self.text.is_empty() {
                    let _ = writeln!(out, "{indent}  {text}");
                }
                for c in &self.children {
                    c.write(out, depth + 1, &[]);
                }
                let _ = writeln!(out, "{indent}</{}>", self.qname);
            }
        }
    }

    fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{{{ns}}}{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The first difference between two trees, with the path to it, or `None` when they are equal.
pub fn first_difference(expected: &Node, actual: &Node) -> Option<String> {
    difference(expected, actual, &format!("/{}", expected.name))
}

fn difference(expected: &Node, actual: &Node, path: &str) -> Option<String> {
    if (&expected.namespace, &expected.name) != (&actual.namespace, &actual.name) {
        return Some(format!(
            "{path}: expected element {}, got {}",
            expected.label(),
            actual.label()
        ));
    }
    if expected.attributes != actual.attributes {
        let show = |n: &Node| {
            n.attributes
                .iter()
                .map(|a| match &a.namespace {
                    Some(ns) => format!("{{{ns}}}{}={:?}", a.name, a.value),
                    None => format!("{}={:?}", a.name, a.value),
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        return Some(format!(
            "{path}: expected attributes [{}], got [{}]",
            show(expected),
            show(actual)
        ));
    }
    if expected.text != actual.text {
        return Some(format!(
            "{path}: expected text {:?}, got {:?}",
            expected.text, actual.text
        ));
    }
    for (i, (e, a)) in expected.children.iter().zip(&actual.children).enumerate() {
        let same_name = expected.children.iter().filter(|c| c.name == e.name).count();
        let position = expected.children[..i].iter().filter(|c| c.name == e.name).count() + 1;
        let step = if same_name > 1 {
            format!("{}[{position}]", e.name)
        } else {
            e.name.clone()
        };
        if let Some(d) = difference(e, a, &format!("{path}/{step}")) {
            return Some(d);
        }
    }
    let names = |n: &[Node]| n.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
    match expected.children.len().cmp(&actual.children.len()) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Greater => Some(format!(
            "{path}: missing child element(s) {} after {} matching one(s)",
            names(&expected.children[actual.children.len()..]),
            actual.children.len()
        )),
        std::cmp::Ordering::Less => Some(format!(
            "{path}: unexpected child element(s) {} after {} matching one(s)",
            names(&actual.children[expected.children.len()..]),
            expected.children.len()
        )),
    }
}
