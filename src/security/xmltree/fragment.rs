//! An element's subtree taken out of its tree ([`Tree::fragment`]) and put into another tree
//! being read where the same element stands, written byte for byte the same, with the same
//! namespace declarations in scope ([`plain::read`](super::plain) asks for one at each start
//! tag when it is given [`Known`] fragments). The tree read so is the tree read in full:
//! reading an element depends on nothing but its bytes and (for the limits) where it stands,
//! and a fragment is taken only from a tree that was read, so it holds no error. A client's
//! token, an assertion of ~7 KB, comes with every request; remembered as a fragment it is
//! compared, not read.

use std::sync::Arc;

use super::{Attr, Declaration, Node, NodeId, Reading, Record, Span, Tree};
use crate::soap::Limits;

/// The fragments a reader may put in place of reading, found by a start tag's qualified name
/// and the value of its `ID` attribute as written, if it has one.
pub type Known<'a> = &'a dyn Fn(&str, Option<&str>) -> Option<Arc<Fragment>>;

/// An element's subtree, its ranges relative to the element as written.
#[derive(Debug)]
pub struct Fragment {
    /// The element as written (line ends normalised), then the values its reading rewrote.
    text: String,
    /// The length of the element as written: a position below it is in the element as
    /// written, one from it on in the rewritten values.
    written: usize,
    /// Its nodes, the element first; parents and ends relative to it (the element's parent
    /// is the one it is put under).
    nodes: Vec<Node>,
    attributes: Vec<Attr>,
    namespaces: Vec<Declaration>,
    ids: Vec<(Span, NodeId)>,
    /// The namespace declarations in scope around the element, outermost first.
    inherited: Vec<(String, String)>,
    /// What the limits ask of it: the depth of its deepest element below it (0 for itself),
    /// the most declarations in scope at one of its elements counting only its own, the most
    /// attributes and declarations on one of its tags.
    depth: usize,
    in_scope: usize,
    attributes_on_a_tag: usize,
}

impl Fragment {
    /// The element as written.
    pub fn source(&self) -> &str {
        &self.text[..self.written]
    }
}

impl Tree {
    /// The subtree of element `id`, to be put into a tree being read where the same bytes
    /// stand under the same declarations.
    pub fn fragment(&self, id: NodeId) -> Fragment {
        let record = self.record(id);
        let source = record.source;
        let end = record.end;
        let mut text = self.text[source.start..source.end].to_owned();
        let written = text.len();
        // A range inside the element as written is moved to its start; any other (a value
        // rewritten while reading) is copied after it.
        let mut span = |s: Span| {
            if s.start >= source.start && s.end <= source.end {
                Span {
                    start: s.start - source.start,
                    end: s.end - source.start,
                }
            } else {
                let start = text.len();
                text.push_str(&self.text[s.start..s.end]);
                Span { start, end: text.len() }
            }
        };
        let first_attribute = record.attributes.0;
        let first_namespace = record.namespaces.0;
        let (mut last_attribute, mut last_namespace) = (first_attribute, first_namespace);
        let mut nodes = Vec::with_capacity(end - id);
        // Depth and declarations in scope of each element, by its node relative to `id`.
        let mut depth_of = vec![0usize; end - id];
        let mut in_scope_of = vec![0usize; end - id];
        let (mut depth, mut in_scope, mut attributes_on_a_tag) = (0, 0, 0);
        for (n, node) in self.nodes[id..end].iter().enumerate() {
            nodes.push(match node {
                Node::Text(t) => Node::Text(span(*t)),
                Node::Element(e) => {
                    let parent = e.parent.filter(|_| n > 0).map(|p| p - id);
                    let declarations = e.namespaces.1 - e.namespaces.0;
                    let (d, s) = parent.map_or((0, 0), |p| (depth_of[p] + 1, in_scope_of[p]));
                    depth_of[n] = d;
                    in_scope_of[n] = s + declarations;
                    depth = depth.max(d);
                    in_scope = in_scope.max(s + declarations);
                    attributes_on_a_tag = attributes_on_a_tag.max(declarations + e.attributes.1 - e.attributes.0);
                    last_attribute = last_attribute.max(e.attributes.1);
                    last_namespace = last_namespace.max(e.namespaces.1);
                    let name = span(e.name);
                    Node::Element(Record {
                        name,
                        local: name.start + (e.local - e.name.start),
                        parent,
                        end: e.end - id,
                        source: span(e.source),
                        attributes: (e.attributes.0 - first_attribute, e.attributes.1 - first_attribute),
                        namespaces: (e.namespaces.0 - first_namespace, e.namespaces.1 - first_namespace),
                    })
                }
            });
        }
        let attributes = self.attributes[first_attribute..last_attribute]
            .iter()
            .map(|a| {
                let name = span(a.name);
                Attr {
                    name,
                    local: name.start + (a.local - a.name.start),
                    value: span(a.value),
                }
            })
            .collect();
        let namespaces = self.namespaces[first_namespace..last_namespace]
            .iter()
            .map(|d| Declaration {
                prefix: span(d.prefix),
                uri: span(d.uri),
            })
            .collect();
        let ids = self
            .ids
            .iter()
            .filter(|&&(_, node)| (id..end).contains(&node))
            .map(|&(value, node)| (span(value), node - id))
            .collect();
        let inherited = self
            .inherited_declarations(id)
            .into_iter()
            .map(|(p, u)| (p.to_owned(), u.to_owned()))
            .collect();
        Fragment {
            text,
            written,
            nodes,
            attributes,
            namespaces,
            ids,
            inherited,
            depth,
            in_scope,
            attributes_on_a_tag,
        }
    }
}

impl Reading<'_> {
    /// Puts `fragment` in as the element whose start tag is at `at`, a child of the open
    /// element, if the document holds its bytes there, the declarations in scope are its
    /// own, and the limits allow it where it stands (`depth` elements open, `in_scope`
    /// declarations in scope). Returns its node, and the end of the element.
    pub(super) fn put(
        &mut self,
        fragment: &Fragment,
        at: usize,
        limits: Limits,
        depth: usize,
        in_scope: usize,
    ) -> Option<(NodeId, usize)> {
        let end = at + fragment.written;
        if self.document.as_bytes().get(at..end)? != fragment.source().as_bytes()
            || depth + fragment.depth >= limits.max_depth
            || in_scope + fragment.in_scope > limits.max_namespaces
            || fragment.attributes_on_a_tag > limits.max_attributes
        {
            return None;
        }
        let tree = &self.tree;
        let mut inherited = fragment.inherited.iter();
        for &open in &self.stack {
            for d in tree.namespaces_of(tree.record(open)) {
                match inherited.next() {
                    Some((p, u)) if p == tree.str(d.prefix) && u == tree.str(d.uri) => {}
                    _ => return None,
                }
            }
        }
        if inherited.next().is_some() {
            return None;
        }
        self.flush();
        let tree = &mut self.tree;
        let node_base = tree.nodes.len();
        let attribute_base = tree.attributes.len();
        let namespace_base = tree.namespaces.len();
        let rewritten = tree.text.len();
        tree.text.push_str(&fragment.text[fragment.written..]);
        let written = fragment.written;
        let span = |s: Span| match s.start < written {
            true => Span {
                start: s.start + at,
                end: s.end + at,
            },
            false => Span {
                start: s.start - written + rewritten,
                end: s.end - written + rewritten,
            },
        };
        let parent = self.stack.last().copied();
        tree.nodes.extend(fragment.nodes.iter().map(|node| match node {
            Node::Text(t) => Node::Text(span(*t)),
            Node::Element(e) => {
                let name = span(e.name);
                Node::Element(Record {
                    name,
                    local: name.start + (e.local - e.name.start),
                    parent: e.parent.map(|p| p + node_base).or(parent),
                    end: e.end + node_base,
                    source: span(e.source),
                    attributes: (e.attributes.0 + attribute_base, e.attributes.1 + attribute_base),
                    namespaces: (e.namespaces.0 + namespace_base, e.namespaces.1 + namespace_base),
                })
            }
        }));
        tree.attributes.extend(fragment.attributes.iter().map(|a| {
            let name = span(a.name);
            Attr {
                name,
                local: name.start + (a.local - a.name.start),
                value: span(a.value),
            }
        }));
        tree.namespaces.extend(fragment.namespaces.iter().map(|d| Declaration {
            prefix: span(d.prefix),
            uri: span(d.uri),
        }));
        tree.ids.extend(
            fragment
                .ids
                .iter()
                .map(|&(value, node)| (span(value), node + node_base)),
        );
        #[cfg(test)]
        PUT.with(|put| put.set(put.get() + 1));
        Some((node_base, end))
    }
}

#[cfg(test)]
thread_local! {
    /// How many fragments this thread's readers put in, for the tests to know they did.
    pub(super) static PUT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
