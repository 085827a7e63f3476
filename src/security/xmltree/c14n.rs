//! Exclusive XML canonicalization (`http://www.w3.org/2001/10/xml-exc-c14n#`, without
//! comments) of a subtree of a [`Tree`].
//!
//! The namespaces in scope and those rendered on the output ancestors are two stacks of
//! (prefix, URI), pushed when an element is entered and cut back when it is left. A document
//! has few prefixes, so a prefix is looked up by scanning from the top; once a stack holds
//! many (a document declaring prefixes up to the limits), an index by prefix keeps each
//! lookup constant, so canonicalisation stays linear whatever the declarations in scope.

use std::collections::HashMap;

use super::{NodeId, Record, Tree, XML_NS};

/// Bindings of prefixes to URIs, innermost last.
struct Bindings<'t> {
    stack: Vec<(&'t str, &'t str)>,
    /// Once the stack has held more than [`Bindings::SCAN`] bindings: the positions in the
    /// stack of each prefix's bindings.
    index: Option<HashMap<&'t str, Vec<usize>>>,
}

impl<'t> Bindings<'t> {
    /// Up to this many bindings a scan is cheaper than hashing.
    const SCAN: usize = 16;

    fn new() -> Bindings<'t> {
        Bindings {
            stack: Vec::with_capacity(Self::SCAN),
            index: None,
        }
    }

    fn len(&self) -> usize {
        self.stack.len()
    }

    fn push(&mut self, prefix: &'t str, uri: &'t str) {
        if let Some(index) = &mut self.index {
            index.entry(prefix).or_default().push(self.stack.len());
        }
        self.stack.push((prefix, uri));
        if self.index.is_none() && self.stack.len() > Self::SCAN {
            let mut index: HashMap<&'t str, Vec<usize>> = HashMap::new();
            for (at, &(p, _)) in self.stack.iter().enumerate() {
                index.entry(p).or_default().push(at);
            }
            self.index = Some(index);
        }
    }

    /// Drops the bindings pushed since the stack held `len`.
    fn truncate(&mut self, len: usize) {
        if let Some(index) = &mut self.index {
            for &(p, _) in &self.stack[len.min(self.stack.len())..] {
                if let Some(positions) = index.get_mut(p) {
                    positions.pop();
                }
            }
        }
        self.stack.truncate(len);
    }

    /// The innermost URI bound to `prefix`.
    fn get(&self, prefix: &str) -> Option<&'t str> {
        match &self.index {
            Some(index) => index
                .get(prefix)
                .and_then(|positions| positions.last())
                .map(|&at| self.stack[at].1),
            None => self
                .stack
                .iter()
                .rev()
                .find(|(p, _)| same_prefix(p, prefix))
                .map(|&(_, uri)| uri),
        }
    }
}

/// Whether two prefixes are the same. Prefixes are a few bytes: most that differ differ in
/// length or first byte, told without a call to compare them.
fn same_prefix(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// Writes the subtree at `id` in exclusive canonical form, leaving out the subtree at
/// `exclude`; see [`Tree::exc_c14n`].
pub(super) fn canonicalise(tree: &Tree, id: NodeId, exclude: Option<NodeId>, inclusive: &[String]) -> Vec<u8> {
    let inclusive: Vec<&str> = inclusive
        .iter()
        .map(|p| if p == "#default" { "" } else { p.as_str() })
        .collect();
    let mut c14n = Canonicaliser {
        tree,
        exclude,
        inclusive: &inclusive,
        in_scope: Bindings::new(),
        rendered: Bindings::new(),
        used: Vec::with_capacity(8),
        attributes: Vec::with_capacity(8),
        out: Vec::with_capacity(1024),
    };
    // The declarations of the ancestors are in scope at `id`.
    for (prefix, uri) in tree.inherited_declarations(id) {
        c14n.in_scope.push(prefix, uri);
    }
    c14n.element(id);
    c14n.out
}

/// The state of one exclusive canonicalisation.
struct Canonicaliser<'t> {
    tree: &'t Tree,
    exclude: Option<NodeId>,
    inclusive: &'t [&'t str],
    /// Every declaration in scope at the current element ("" = default).
    in_scope: Bindings<'t>,
    /// The declarations rendered on the current element's output ancestors (and, while an
    /// element's start tag is written, those it renders: for other prefixes than the one
    /// looked up).
    rendered: Bindings<'t>,
    /// Scratch for one element: the prefixes it visibly uses.
    used: Vec<&'t str>,
    /// Scratch for one element: its attributes by (namespace URI, local name).
    attributes: Vec<(&'t str, &'t str, usize)>,
    out: Vec<u8>,
}

impl<'t> Canonicaliser<'t> {
    /// Puts the declarations of `e` in scope.
    fn enter(&mut self, e: &'t Record) {
        let tree = self.tree;
        for d in tree.namespaces_of(e) {
            self.in_scope.push(tree.str(d.prefix), tree.str(d.uri));
        }
    }

    /// The URI bound to `prefix` in scope; `None` when unbound or bound to "".
    fn lookup(&self, prefix: &str) -> Option<&'t str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.in_scope.get(prefix).filter(|uri| !uri.is_empty())
    }

    fn element(&mut self, id: NodeId) {
        if Some(id) == self.exclude {
            return;
        }
        let tree = self.tree;
        let e = tree.record(id);
        let in_scope_before = self.in_scope.len();
        self.enter(e);
        // The prefixes this element visibly uses, plus the inclusive ones in scope.
        let attributes = tree.attributes_of(e);
        self.used.clear();
        self.used.push(tree.prefix(e));
        self.used
            .extend(attributes.iter().filter_map(|a| tree.attribute_prefix(a)));
        for &p in self.inclusive {
            if self.lookup(p).is_some() {
                self.used.push(p);
            }
        }
        self.used.sort_unstable();
        self.used.dedup();
        self.out.push(b'<');
        self.out.extend_from_slice(tree.str(e.name).as_bytes());
        let rendered_before = self.rendered.len();
        for i in 0..self.used.len() {
            let p = self.used[i];
            if p == "xml" {
                continue;
            }
            let uri = self.lookup(p).unwrap_or("");
            // `used` names each prefix once: what this element rendered so far is for others.
            let before = self.rendered.get(p);
            let declare = if p.is_empty() {
                uri != before.unwrap_or("")
            } else {
                !uri.is_empty() && before != Some(uri)
            };
            if declare {
                self.rendered.push(p, uri);
                write_declaration(p, uri, &mut self.out);
            }
        }
        self.attributes.clear();
        for (i, a) in attributes.iter().enumerate() {
            let ns = tree.attribute_prefix(a).and_then(|p| self.lookup(p)).unwrap_or("");
            self.attributes.push((ns, tree.attribute_local(a), i));
        }
        // Stable, as attributes with the same namespace and local name keep their order.
        self.attributes.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        let out = &mut self.out;
        for &(_, _, i) in &self.attributes {
            let a = &attributes[i];
            out.push(b' ');
            out.extend_from_slice(tree.str(a.name).as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attr(tree.str(a.value), out);
            out.push(b'"');
        }
        out.push(b'>');
        for c in tree.children(id) {
            match &tree.nodes[c] {
                super::Node::Text(t) => escape_text(tree.str(*t), &mut self.out),
                super::Node::Element(_) => self.element(c),
            }
        }
        let out = &mut self.out;
        out.extend_from_slice(b"</");
        out.extend_from_slice(tree.str(e.name).as_bytes());
        out.push(b'>');
        self.rendered.truncate(rendered_before);
        self.in_scope.truncate(in_scope_before);
    }
}

/// The bytes canonical text escapes, and those a canonical attribute value escapes.
const TEXT_ESCAPED: [bool; 256] = table(b"&<>\r");
const ATTR_ESCAPED: [bool; 256] = table(b"&<\"\t\n\r");

const fn table(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// Below this many bytes a text or value is looked at once with the table, not first with two
/// vector scans (whose set-up costs more than the scan of a short name, time or identifier).
const SHORT: usize = 32;

pub(super) fn escape_text(text: &str, out: &mut Vec<u8>) {
    // Most text (digests, certificates, names) has nothing to escape: two vector scans tell.
    let bytes = text.as_bytes();
    if bytes.len() >= SHORT
        && memchr::memchr3(b'&', b'<', b'>', bytes).is_none()
        && memchr::memchr(b'\r', bytes).is_none()
    {
        out.extend_from_slice(bytes);
        return;
    }
    escape_with(text, out, &TEXT_ESCAPED, |b| match b {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        _ => b"&#xD;",
    });
}

/// Writes the namespace declaration of `prefix` (` xmlns="uri"`, or ` xmlns:p="uri"`) as
/// canonical XML writes it.
pub(super) fn write_declaration(prefix: &str, uri: &str, out: &mut Vec<u8>) {
    if prefix.is_empty() {
        out.extend_from_slice(b" xmlns=\"");
    } else {
        out.extend_from_slice(b" xmlns:");
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(b"=\"");
    }
    escape_attr(uri, out);
    out.push(b'"');
}

pub(super) fn escape_attr(value: &str, out: &mut Vec<u8>) {
    let bytes = value.as_bytes();
    if bytes.len() >= SHORT
        && memchr::memchr3(b'&', b'<', b'"', bytes).is_none()
        && memchr::memchr3(b'\t', b'\n', b'\r', bytes).is_none()
    {
        out.extend_from_slice(bytes);
        return;
    }
    escape_with(value, out, &ATTR_ESCAPED, |b| match b {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'"' => b"&quot;",
        b'\t' => b"&#x9;",
        b'\n' => b"&#xA;",
        _ => b"&#xD;",
    });
}

/// Writes `text` with each byte marked in `escaped` replaced as `escape` says: runs of other
/// bytes are copied whole. Every byte escaped is ASCII, so a multi-byte character is never
/// split.
fn escape_with(text: &str, out: &mut Vec<u8>, escaped: &[bool; 256], escape: impl Fn(u8) -> &'static [u8]) {
    let mut rest = text.as_bytes();
    while let Some(i) = rest.iter().position(|&b| escaped[usize::from(b)]) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(escape(rest[i]));
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}
