//! Exclusive XML canonicalization (`http://www.w3.org/2001/10/xml-exc-c14n#`, without
//! comments) of a subtree of a [`Tree`].
//!
//! The namespaces in scope and those rendered on the output ancestors are two stacks of
//! (prefix, URI), pushed when an element is entered and cut back when it is left; a prefix is
//! looked up from the top. A document has few prefixes, and at most the configured number of
//! declarations is ever in scope, so a lookup is a short scan bounded by the limits.

use super::{NodeId, Record, Tree, XML_NS};

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
        in_scope: Vec::with_capacity(32),
        rendered: Vec::with_capacity(16),
        used: Vec::with_capacity(8),
        attributes: Vec::with_capacity(8),
        out: Vec::with_capacity(1024),
    };
    // The declarations of the ancestors are in scope at `id`, outermost first.
    let mut ancestors = Vec::new();
    let mut at = tree.record(id).parent;
    while let Some(n) = at {
        ancestors.push(n);
        at = tree.record(n).parent;
    }
    for &n in ancestors.iter().rev() {
        c14n.enter(tree.record(n));
    }
    c14n.element(id);
    c14n.out
}

/// The state of one exclusive canonicalisation.
struct Canonicaliser<'t> {
    tree: &'t Tree,
    exclude: Option<NodeId>,
    inclusive: &'t [&'t str],
    /// Every declaration in scope at the current element, innermost last ("" = default).
    in_scope: Vec<(&'t str, &'t str)>,
    /// The declarations rendered on the current element's output ancestors, innermost last.
    rendered: Vec<(&'t str, &'t str)>,
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
            self.in_scope.push((tree.str(d.prefix), tree.str(d.uri)));
        }
    }

    /// The URI bound to `prefix` in scope; `None` when unbound or bound to "".
    fn lookup(&self, prefix: &str) -> Option<&'t str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.in_scope
            .iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|&(_, uri)| uri)
            .filter(|uri| !uri.is_empty())
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
            let before = self.rendered[..rendered_before]
                .iter()
                .rev()
                .find(|(q, _)| *q == p)
                .map(|&(_, uri)| uri);
            let declare = if p.is_empty() {
                uri != before.unwrap_or("")
            } else {
                !uri.is_empty() && before != Some(uri)
            };
            if declare {
                self.rendered.push((p, uri));
                let out = &mut self.out;
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
