//! The tree as it was before it kept its text in one buffer (a String per name and value, a
//! Vec per element, maps per prefix while canonicalising): kept for the tests only, as the
//! oracle the differential test compares [`super::Tree`] with.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::soap::Limits;

use super::XmlError;
use crate::soap::xml::LimitCheck;

/// The `xml:` namespace, bound to the `xml` prefix everywhere.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Index of a node in a [`Tree`].
pub type NodeId = usize;

/// An attribute as written (namespace declarations are kept apart).
#[derive(Debug, Clone)]
pub struct Attribute {
    /// The qualified name, e.g. `wsu:Id`.
    pub name: String,
    /// The normalised, unescaped value.
    pub value: String,
}

impl Attribute {
    /// The prefix, if the name has one.
    pub fn prefix(&self) -> Option<&str> {
        self.name.split_once(':').map(|(p, _)| p)
    }

    /// The local part of the name.
    pub fn local_name(&self) -> &str {
        self.name.split_once(':').map_or(&self.name, |(_, l)| l)
    }
}

/// An element node.
#[derive(Debug, Clone)]
pub struct Element {
    /// The qualified name, e.g. `soap:Body`.
    pub name: String,
    pub attributes: Vec<Attribute>,
    /// Namespace declarations on this element: (prefix, URI); the default namespace has prefix "".
    pub namespaces: Vec<(String, String)>,
    pub children: Vec<NodeId>,
    pub parent: Option<NodeId>,
    /// One past the last node of this element's subtree: nodes are stored in document order,
    /// so the subtree is the range from the element to here.
    end: NodeId,
}

impl Element {
    /// The prefix ("" when none).
    pub fn prefix(&self) -> &str {
        self.name.split_once(':').map_or("", |(p, _)| p)
    }

    /// The local part of the name.
    pub fn local_name(&self) -> &str {
        self.name.split_once(':').map_or(&self.name, |(_, l)| l)
    }
}

/// A node: an element or a run of text.
#[derive(Debug, Clone)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// A parsed document.
#[derive(Debug, Clone)]
pub struct Tree {
    nodes: Vec<Node>,
    root: NodeId,
}

impl Tree {
    /// Parses a document within the default [`Limits`]; see [`Tree::parse_with`].
    pub fn parse(input: &[u8]) -> Result<Tree, XmlError> {
        Tree::parse_with(input, Limits::default())
    }

    /// Parses a document, refusing one that breaks `limits`. Line endings are normalised to
    /// `\n` and attribute values as XML prescribes, so canonical output matches what any
    /// conforming parser would see.
    pub fn parse_with(input: &[u8], limits: Limits) -> Result<Tree, XmlError> {
        let mut check = LimitCheck::new(limits);
        super::refuse_forbidden_characters(input)?;
        let text = std::str::from_utf8(input).map_err(|e| XmlError(format!("the document is not UTF-8: {e}")))?;
        let normalised;
        let text = if text.contains('\r') {
            normalised = text.replace("\r\n", "\n").replace('\r', "\n");
            normalised.as_str()
        } else {
            text
        };
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack: Vec<NodeId> = Vec::new();
        let mut root = None;
        let mut pending_text = String::new();
        let flush = |nodes: &mut Vec<Node>, stack: &[NodeId], text: &mut String| {
            if text.is_empty() {
                return;
            }
            if let Some(&parent) = stack.last() {
                let id = nodes.len();
                nodes.push(Node::Text(std::mem::take(text)));
                if let Node::Element(e) = &mut nodes[parent] {
                    e.children.push(id);
                }
            } else {
                text.clear();
            }
        };
        loop {
            let event = reader
                .read_event()
                .map_err(|e| XmlError(format!("not well-formed XML: {e}")))?;
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    flush(&mut nodes, &stack, &mut pending_text);
                    if stack.is_empty() && root.is_some() {
                        return Err(XmlError("more than one root element".into()));
                    }
                    check.open(start, matches!(event, Event::Empty(_))).map_err(XmlError)?;
                    let id = nodes.len();
                    let parent = stack.last().copied();
                    nodes.push(Node::Element(element(start, parent, id)?));
                    match parent {
                        Some(p) => {
                            if let Node::Element(e) = &mut nodes[p] {
                                e.children.push(id);
                            }
                        }
                        None => root = Some(id),
                    }
                    if matches!(event, Event::Start(_)) {
                        stack.push(id);
                    }
                }
                Event::End(_) => {
                    flush(&mut nodes, &stack, &mut pending_text);
                    check.close();
                    if let Some(open) = stack.pop() {
                        let end = nodes.len();
                        if let Node::Element(e) = &mut nodes[open] {
                            e.end = end;
                        }
                    }
                }
                Event::Text(t) => {
                    if !stack.is_empty() {
                        pending_text.push_str(&t.decode().map_err(|e| XmlError(e.to_string()))?);
                    }
                }
                Event::CData(t) => {
                    pending_text.push_str(&t.decode().map_err(|e| XmlError(e.to_string()))?);
                }
                Event::GeneralRef(r) => {
                    if let Some(number) = r.strip_prefix(b"#") {
                        pending_text.push(super::char_reference(number)?);
                    } else {
                        let name = r.decode().map_err(|e| XmlError(e.to_string()))?;
                        pending_text.push(predefined_entity(&name)?);
                    }
                }
                Event::DocType(_) => return Err(XmlError("a DOCTYPE is not allowed".into())),
                Event::Eof => break,
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
            }
        }
        if !stack.is_empty() {
            return Err(XmlError("the document ends before its elements are closed".into()));
        }
        let root = root.ok_or_else(|| XmlError("the document has no element".into()))?;
        Ok(Tree { nodes, root })
    }

    /// The document element.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The element at `id`. Panics if `id` is a text node: ids come from this tree's own
    /// element queries.
    pub fn element(&self, id: NodeId) -> &Element {
        match &self.nodes[id] {
            Node::Element(e) => e,
            Node::Text(_) => panic!("node {id} is text, not an element"),
        }
    }

    /// The namespace URI of an element, resolved through its ancestors; `None` when it has none.
    pub fn namespace(&self, id: NodeId) -> Option<&str> {
        let prefix = self.element(id).prefix();
        self.resolve_prefix(id, prefix)
    }

    /// The URI bound to `prefix` ("" for the default namespace) at element `id`.
    pub fn resolve_prefix(&self, id: NodeId, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        let mut at = Some(id);
        while let Some(n) = at {
            let e = self.element(n);
            if let Some((_, uri)) = e.namespaces.iter().find(|(p, _)| p == prefix) {
                return if uri.is_empty() { None } else { Some(uri) };
            }
            at = e.parent;
        }
        None
    }

    /// True when element `id` has this namespace URI and local name.
    pub fn is(&self, id: NodeId, namespace: &str, local: &str) -> bool {
        self.element(id).local_name() == local && self.namespace(id) == Some(namespace)
    }

    /// The element children of `id`.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.element(id)
            .children
            .iter()
            .copied()
            .filter(|&c| matches!(self.nodes[c], Node::Element(_)))
    }

    /// The first child element with this namespace and local name.
    pub fn child(&self, id: NodeId, namespace: &str, local: &str) -> Option<NodeId> {
        self.child_elements(id).find(|&c| self.is(c, namespace, local))
    }

    /// All child elements with this namespace and local name.
    pub fn children_named<'a>(
        &'a self,
        id: NodeId,
        namespace: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.child_elements(id).filter(move |&c| self.is(c, namespace, local))
    }

    /// Every element below `id` (not `id` itself), in document order.
    pub fn descendants(&self, id: NodeId) -> Vec<NodeId> {
        (id + 1..self.element(id).end)
            .filter(|&n| matches!(self.nodes[n], Node::Element(_)))
            .collect()
    }

    /// The concatenated text content of an element and its descendants, trimmed.
    pub fn text(&self, id: NodeId) -> String {
        let mut s = String::new();
        self.collect_text(id, &mut s);
        s.trim().to_owned()
    }

    fn collect_text(&self, id: NodeId, out: &mut String) {
        for &c in &self.element(id).children {
            match &self.nodes[c] {
                Node::Text(t) => out.push_str(t),
                Node::Element(_) => self.collect_text(c, out),
            }
        }
    }

    /// The value of an attribute by namespace (`None` for an unprefixed attribute) and local name.
    pub fn attribute(&self, id: NodeId, namespace: Option<&str>, local: &str) -> Option<&str> {
        let e = self.element(id);
        e.attributes
            .iter()
            .find(|a| {
                a.local_name() == local
                    && match (a.prefix(), namespace) {
                        (None, None) => true,
                        (Some(p), Some(ns)) => self.resolve_prefix(id, p) == Some(ns),
                        _ => false,
                    }
            })
            .map(|a| a.value.as_str())
    }

    /// The element whose identifier attribute (`wsu:Id`, `ID`, `Id` or `id`) equals `value`.
    /// Two elements with the same identifier are an error: a signature could then cover one
    /// and a reader use the other.
    pub fn element_by_id(&self, value: &str) -> Result<Option<NodeId>, XmlError> {
        let mut found = None;
        // Nodes are stored in document order, and every element is the root or below it.
        for (id, node) in self.nodes.iter().enumerate() {
            let Node::Element(e) = node else { continue };
            let has = e
                .attributes
                .iter()
                .any(|a| matches!(a.local_name(), "Id" | "ID" | "id") && a.value == value);
            if has {
                if found.is_some() {
                    return Err(XmlError(format!("two elements carry the identifier {value:?}")));
                }
                found = Some(id);
            }
        }
        Ok(found)
    }

    /// Writes the subtree at `id` in exclusive canonical form, leaving out the subtree at
    /// `exclude` (the enveloped-signature transform). `inclusive` is the InclusiveNamespaces
    /// PrefixList ("#default" names the default namespace). Linear in the size of the subtree
    /// (plus the declarations on its ancestors).
    pub fn exc_c14n(&self, id: NodeId, exclude: Option<NodeId>, inclusive: &[String]) -> Vec<u8> {
        let inclusive: Vec<&str> = inclusive
            .iter()
            .map(|p| if p == "#default" { "" } else { p.as_str() })
            .collect();
        let mut c14n = Canonicaliser {
            tree: self,
            exclude,
            inclusive: &inclusive,
            in_scope: HashMap::new(),
            rendered: HashMap::new(),
            out: Vec::with_capacity(1024),
        };
        // The declarations of the ancestors are in scope at `id`, outermost first.
        let mut ancestors = Vec::new();
        let mut at = self.element(id).parent;
        while let Some(n) = at {
            ancestors.push(n);
            at = self.element(n).parent;
        }
        for &n in ancestors.iter().rev() {
            for (prefix, uri) in &self.element(n).namespaces {
                c14n.in_scope.entry(prefix.as_str()).or_default().push(uri.as_str());
            }
        }
        c14n.element(id);
        c14n.out
    }
}

/// The state of one exclusive canonicalisation: namespace bindings kept as a stack per
/// prefix, pushed when an element is entered and popped when it is left.
struct Canonicaliser<'t> {
    tree: &'t Tree,
    exclude: Option<NodeId>,
    inclusive: &'t [&'t str],
    /// Every declaration in scope at the current element, by prefix ("" = default).
    in_scope: HashMap<&'t str, Vec<&'t str>>,
    /// The declarations rendered on the current element's output ancestors, by prefix.
    rendered: HashMap<&'t str, Vec<&'t str>>,
    out: Vec<u8>,
}

impl<'t> Canonicaliser<'t> {
    /// The URI bound to `prefix` in scope; `None` when unbound or bound to "".
    fn lookup(&self, prefix: &str) -> Option<&'t str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.in_scope
            .get(prefix)
            .and_then(|stack| stack.last().copied())
            .filter(|uri| !uri.is_empty())
    }

    fn element(&mut self, id: NodeId) {
        if Some(id) == self.exclude {
            return;
        }
        let tree = self.tree;
        let e = tree.element(id);
        for (prefix, uri) in &e.namespaces {
            self.in_scope.entry(prefix.as_str()).or_default().push(uri.as_str());
        }
        // The prefixes this element visibly uses, plus the inclusive ones in scope.
        let mut used: Vec<&'t str> = vec![e.prefix()];
        used.extend(e.attributes.iter().filter_map(Attribute::prefix));
        for &p in self.inclusive {
            if self.lookup(p).is_some() {
                used.push(p);
            }
        }
        used.sort_unstable();
        used.dedup();
        let mut decls: Vec<(&'t str, &'t str)> = Vec::new();
        for p in used {
            if p == "xml" {
                continue;
            }
            let uri = self.lookup(p).unwrap_or("");
            let before = self.rendered.get(p).and_then(|s| s.last().copied());
            let declare = if p.is_empty() {
                uri != before.unwrap_or("")
            } else {
                !uri.is_empty() && before != Some(uri)
            };
            if declare {
                decls.push((p, uri));
                self.rendered.entry(p).or_default().push(uri);
            }
        }
        let out = &mut self.out;
        out.push(b'<');
        out.extend_from_slice(e.name.as_bytes());
        for (p, uri) in &decls {
            if p.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(p.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attr(uri, out);
            out.push(b'"');
        }
        let mut attrs: Vec<(&str, &str, &Attribute)> = e
            .attributes
            .iter()
            .map(|a| {
                let ns = a.prefix().and_then(|p| self.lookup(p)).unwrap_or("");
                (ns, a.local_name(), a)
            })
            .collect();
        attrs.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        let out = &mut self.out;
        for (_, _, a) in attrs {
            out.push(b' ');
            out.extend_from_slice(a.name.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(&a.value, out);
            out.push(b'"');
        }
        out.push(b'>');
        for &c in &e.children {
            match &tree.nodes[c] {
                Node::Text(t) => escape_text(t, &mut self.out),
                Node::Element(_) => self.element(c),
            }
        }
        let out = &mut self.out;
        out.extend_from_slice(b"</");
        out.extend_from_slice(e.name.as_bytes());
        out.push(b'>');
        for (p, _) in decls {
            if let Some(stack) = self.rendered.get_mut(p) {
                stack.pop();
            }
        }
        for (prefix, _) in &e.namespaces {
            if let Some(stack) = self.in_scope.get_mut(prefix.as_str()) {
                stack.pop();
            }
        }
    }
}

/// The element `start` opens, at node `id` (its subtree's end is set when it closes).
fn element(start: &BytesStart<'_>, parent: Option<NodeId>, id: NodeId) -> Result<Element, XmlError> {
    let name = String::from_utf8(start.name().as_ref().to_vec()).map_err(|e| XmlError(e.to_string()))?;
    let mut attributes = Vec::new();
    let mut namespaces = Vec::new();
    // Duplicates were refused by the limit check, in linear time; quick-xml's own check
    // compares each name with all before it.
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| XmlError(format!("bad attribute on <{name}>: {e}")))?;
        let key = String::from_utf8(attr.key.as_ref().to_vec()).map_err(|e| XmlError(e.to_string()))?;
        let raw = std::str::from_utf8(&attr.value).map_err(|e| XmlError(e.to_string()))?;
        let value = if raw.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r' | b'&')) {
            let normalised: String = raw
                .chars()
                .map(|c| if matches!(c, '\t' | '\n' | '\r') { ' ' } else { c })
                .collect();
            quick_xml::escape::unescape(&normalised)
                .map_err(|e| XmlError(format!("bad reference in attribute {key} of <{name}>: {e}")))?
                .into_owned()
        } else {
            raw.to_owned()
        };
        if key == "xmlns" {
            namespaces.push((String::new(), value));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            namespaces.push((prefix.to_owned(), value));
        } else {
            attributes.push(Attribute { name: key, value });
        }
    }
    Ok(Element {
        name,
        attributes,
        namespaces,
        children: Vec::new(),
        parent,
        end: id + 1,
    })
}

fn predefined_entity(name: &str) -> Result<char, XmlError> {
    Ok(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        other => return Err(XmlError(format!("the entity &{other}; is not defined"))),
    })
}

fn escape_text(text: &str, out: &mut Vec<u8>) {
    escape_with(text, out, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

fn escape_attr(value: &str, out: &mut Vec<u8>) {
    escape_with(value, out, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

/// Writes `text` with each byte `escape` names replaced: runs of other bytes are copied whole.
/// Every byte escaped is ASCII, so a multi-byte character is never split.
fn escape_with(text: &str, out: &mut Vec<u8>, escape: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(replacement) = escape(b) {
            out.extend_from_slice(&bytes[from..i]);
            out.extend_from_slice(replacement);
            from = i + 1;
        }
    }
    out.extend_from_slice(&bytes[from..]);
}
