//! A small read-only XML tree for signatures: parse once, find elements by Id, resolve
//! namespaces, and write any subtree in exclusive XML canonicalization
//! (`http://www.w3.org/2001/10/xml-exc-c14n#`, without comments).
//!
//! The tree keeps prefixes and namespace declarations exactly as written, because exclusive
//! canonicalization renders prefixes, not just namespace URIs. Comments and processing
//! instructions are dropped (exc-c14n without comments omits comments; sfstub's peers send no
//! processing instructions inside signed content). A DOCTYPE is refused.
//!
//! The tree owns one text buffer: the document (line endings normalised) followed by the
//! values that had to be rewritten (attribute values with references or white space to
//! normalise, text runs with references or several pieces). Names, values and text runs are
//! ranges into it; attributes and namespace declarations sit in two flat lists, each element
//! naming its part of them; identifiers are indexed as they are read. A request's tree is so
//! a handful of allocations, whatever its size.
//!
//! A document is read by the tree's own reader for plain XML ([`plain`]: no quick-xml events,
//! no attribute iterator) and, when it holds anything else or breaks a rule, by quick-xml
//! from the start, which gives every error; both hand what they read to one [`Reading`], and
//! the differential proptest holds the tree to the oracle whichever reads it. The plain reader
//! can also be given subtrees read before ([`Fragment`]), which it puts in where the document
//! holds the same bytes under the same declarations (a client's token, reused for hours).
//!
//! An element sfstub wrote itself and signs at once (a signed response's Body) is
//! canonicalised straight from its text when it is plain XML ([`exc_c14n_text`], held to
//! [`Tree::exc_c14n`] by proptests), not parsed into a tree first.
//!
//! Reading and canonicalisation are linear in the input: every start tag is checked against
//! the request [`Limits`] (depth, attributes, namespace declarations in scope) as it is read,
//! and canonicalisation keeps the namespaces in scope and those already rendered in stacks
//! pushed on the way down and cut back on the way up, never copied per element.

mod c14n;
#[cfg(test)]
mod differential;
mod direct;
mod fragment;
#[cfg(test)]
mod oracle;
mod plain;

use std::borrow::Cow;

pub use direct::exc_c14n_text;
pub use fragment::{Fragment, Known};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::soap::xml::{self as soap_xml, LimitCheck};
use crate::soap::{Body, CheckedText, Limits};

/// The `xml:` namespace, bound to the `xml` prefix everywhere.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Refuses a document holding a character XML 1.0 does not allow, written as it is, as the
/// envelope reader does ([`soap_xml::forbidden_character`]; references are refused where
/// they are read, attribute values by the [`LimitCheck`]).
fn refuse_forbidden_characters(input: &[u8]) -> Result<(), XmlError> {
    match soap_xml::forbidden_character(input) {
        Some((at, c)) => Err(XmlError(soap_xml::forbidden_character_reason(at, c))),
        None => Ok(()),
    }
}

/// The character a character reference (`#` and what follows, up to its `;`) names, refused
/// as the envelope reader refuses it when XML 1.0 does not allow it.
fn char_reference(number: &[u8]) -> Result<char, XmlError> {
    soap_xml::char_reference(number).map_err(|why| XmlError(soap_xml::char_reference_reason(number, &why)))
}

/// Index of a node in a [`Tree`].
pub type NodeId = usize;

/// A range of the tree's text buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// What the tree keeps of an element.
#[derive(Debug, Clone)]
struct Record {
    /// The qualified name, e.g. `soap:Body`.
    name: Span,
    /// Where the local part of the name starts (the name's start when it has no prefix).
    local: usize,
    parent: Option<NodeId>,
    /// One past the last node of this element's subtree: nodes are stored in document order,
    /// so the subtree is the range from the element to here, and its children are found by
    /// stepping from one child's end to the next.
    end: NodeId,
    /// The element as written in the document: its start tag to the end of its end tag.
    source: Span,
    /// The element's attributes in [`Tree::attributes`], as written.
    attributes: (usize, usize),
    /// The element's namespace declarations in [`Tree::namespaces`].
    namespaces: (usize, usize),
}

impl Record {
    fn has_prefix(&self) -> bool {
        self.local > self.name.start
    }
}

/// A node: an element or a run of text.
#[derive(Debug, Clone)]
enum Node {
    Element(Record),
    Text(Span),
}

/// An attribute: the qualified name and the normalised, unescaped value.
#[derive(Debug, Clone, Copy)]
struct Attr {
    name: Span,
    /// Where the local part of the name starts (the name's start when it has no prefix).
    local: usize,
    value: Span,
}

/// A namespace declaration: the prefix ("" for the default namespace) and the URI.
#[derive(Debug, Clone, Copy)]
struct Declaration {
    prefix: Span,
    uri: Span,
}

/// A parsed document.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The document, line endings normalised, then the values rewritten while reading.
    text: String,
    nodes: Vec<Node>,
    attributes: Vec<Attr>,
    namespaces: Vec<Declaration>,
    /// The identifier attributes (`wsu:Id`, `ID`, `Id`, `id`): value and element, sorted by
    /// value.
    ids: Vec<(Span, NodeId)>,
    root: NodeId,
}

/// An element of a [`Tree`], as [`Tree::element`] gives it.
#[derive(Debug, Clone, Copy)]
pub struct Element<'t> {
    tree: &'t Tree,
    record: &'t Record,
}

impl<'t> Element<'t> {
    /// The qualified name, e.g. `soap:Body`.
    pub fn name(&self) -> &'t str {
        self.tree.str(self.record.name)
    }

    /// The prefix ("" when none).
    pub fn prefix(&self) -> &'t str {
        self.tree.prefix(self.record)
    }

    /// The local part of the name.
    pub fn local_name(&self) -> &'t str {
        &self.tree.text[self.record.local..self.record.name.end]
    }

    /// The parent element; `None` for the document element.
    pub fn parent(&self) -> Option<NodeId> {
        self.record.parent
    }

    /// The attributes as written (qualified name, value), namespace declarations apart.
    pub fn attributes(&self) -> impl Iterator<Item = (&'t str, &'t str)> + 't {
        let tree = self.tree;
        tree.attributes_of(self.record)
            .iter()
            .map(move |a| (tree.str(a.name), tree.str(a.value)))
    }

    /// The namespace declarations (prefix, URI); the default namespace has prefix "".
    pub fn namespaces(&self) -> impl Iterator<Item = (&'t str, &'t str)> + 't {
        let tree = self.tree;
        tree.namespaces_of(self.record)
            .iter()
            .map(move |d| (tree.str(d.prefix), tree.str(d.uri)))
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

/// The text run being read: nothing yet, one piece of the document, or pieces joined in a
/// scratch string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Empty,
    Piece(Span),
    Joined,
}

/// The state of one parse.
struct Reading<'d> {
    /// The document as read (line endings normalised): every piece quick-xml hands out
    /// borrows from it, and the tree's buffer starts with a copy of it.
    document: &'d str,
    tree: Tree,
    stack: Vec<NodeId>,
    pending: Pending,
    joined: String,
    /// One tag's attributes and declarations in document order: name, raw value.
    raw: Vec<(Option<Span>, Option<Span>)>,
}

impl<'d> Reading<'d> {
    /// The start of reading `document` (line ends normalised).
    fn new(document: &'d str) -> Reading<'d> {
        let mut text = String::with_capacity(document.len() + document.len() / 16);
        text.push_str(document);
        Reading {
            document,
            tree: Tree {
                text,
                nodes: Vec::with_capacity(document.len() / 32),
                attributes: Vec::with_capacity(document.len() / 128),
                namespaces: Vec::with_capacity(16),
                ids: Vec::new(),
                root: 0,
            },
            stack: Vec::with_capacity(16),
            pending: Pending::Empty,
            joined: String::new(),
            raw: Vec::with_capacity(16),
        }
    }

    /// The tree read, its document element at `root`, its identifiers sorted.
    fn finish(self, root: NodeId) -> Tree {
        let mut tree = self.tree;
        tree.root = root;
        let Tree { text, ids, .. } = &mut tree;
        ids.sort_by(|a, b| {
            text[a.0.start..a.0.end]
                .cmp(&text[b.0.start..b.0.end])
                .then(a.1.cmp(&b.1))
        });
        tree
    }

    /// Where `piece`, a slice quick-xml handed out, lies in the document: quick-xml's slice
    /// reader borrows every name, value and text from its input. `None` if it does not lie
    /// there or does not start and end on character boundaries.
    fn locate(&self, piece: &[u8]) -> Option<Span> {
        locate(self.document, piece)
    }

    /// Adds a piece of text to the run being read.
    fn push_text(&mut self, piece: &[u8], decoded: impl FnOnce() -> Result<String, XmlError>) -> Result<(), XmlError> {
        if piece.is_empty() {
            return Ok(());
        }
        match self.locate(piece) {
            Some(span) => self.push_span(span),
            None => {
                self.join();
                self.joined.push_str(&decoded()?);
            }
        }
        Ok(())
    }

    /// Adds the document's text at `span` (not empty) to the run being read.
    fn push_span(&mut self, span: Span) {
        if self.pending == Pending::Empty {
            self.pending = Pending::Piece(span);
        } else {
            self.join();
            self.joined.push_str(&self.document[span.start..span.end]);
        }
    }

    /// Adds a character (from a reference) to the run being read.
    fn push_char(&mut self, c: char) {
        self.join();
        self.joined.push(c);
    }

    /// Moves the run being read into the scratch string.
    fn join(&mut self) {
        if let Pending::Piece(span) = self.pending {
            self.joined.clear();
            self.joined.push_str(&self.document[span.start..span.end]);
        } else if self.pending == Pending::Empty {
            self.joined.clear();
        }
        self.pending = Pending::Joined;
    }

    /// Ends the run being read: a text node of the open element (text outside the document
    /// element is dropped).
    fn flush(&mut self) {
        let pending = std::mem::replace(&mut self.pending, Pending::Empty);
        if self.stack.is_empty() {
            return;
        }
        let span = match pending {
            Pending::Empty => return,
            Pending::Piece(span) => span,
            Pending::Joined => self.tree.append(&self.joined),
        };
        self.tree.nodes.push(Node::Text(span));
    }
}

/// Where `piece` lies in `document`, if it is a slice of it on character boundaries.
fn locate(document: &str, piece: &[u8]) -> Option<Span> {
    let base = document.as_ptr() as usize;
    let start = (piece.as_ptr() as usize).checked_sub(base)?;
    let end = start.checked_add(piece.len())?;
    (end <= document.len() && document.is_char_boundary(start) && document.is_char_boundary(end))
        .then_some(Span { start, end })
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
        Tree::read(input, limits, None)
    }

    /// [`Tree::parse_with`], putting in the `known` fragments where the document holds them
    /// ([`Fragment`]): the same tree, and the same errors, with less reading.
    pub fn parse_knowing(input: &[u8], limits: Limits, known: Known<'_>) -> Result<Tree, XmlError> {
        Tree::read(input, limits, Some(known))
    }

    /// A request's [`Body`] as [`Tree::parse_knowing`] (or [`Tree::parse_with`], without
    /// `known`) reads it; its characters are not checked again when the envelope reader
    /// checked them ([`CheckedText`]).
    pub fn parse_body(body: Body<'_>, limits: Limits, known: Option<Known<'_>>) -> Result<Tree, XmlError> {
        match body.checked() {
            Some(text) => Tree::read_checked(text, limits, known),
            None => Tree::read(body.bytes(), limits, known),
        }
    }

    fn read(input: &[u8], limits: Limits, known: Option<Known<'_>>) -> Result<Tree, XmlError> {
        refuse_forbidden_characters(input)?;
        let document = std::str::from_utf8(input).map_err(|e| XmlError(format!("the document is not UTF-8: {e}")))?;
        Tree::read_text(document, limits, known)
    }

    /// [`Tree::read`] of a document whose characters are checked.
    fn read_checked(text: CheckedText<'_>, limits: Limits, known: Option<Known<'_>>) -> Result<Tree, XmlError> {
        Tree::read_text(text.as_str(), limits, known)
    }

    /// [`Tree::read`] after its character checks.
    fn read_text(document: &str, limits: Limits, known: Option<Known<'_>>) -> Result<Tree, XmlError> {
        let document = normalise_line_ends(document);
        match plain::read(&document, limits, known) {
            Some(tree) => Ok(tree),
            None => read_with_quick_xml(&document, limits),
        }
    }

    /// Appends `s` to the text buffer.
    fn append(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        Span {
            start,
            end: self.text.len(),
        }
    }

    fn str(&self, span: Span) -> &str {
        &self.text[span.start..span.end]
    }

    fn record(&self, id: NodeId) -> &Record {
        match &self.nodes[id] {
            Node::Element(e) => e,
            Node::Text(_) => panic!("node {id} is text, not an element"),
        }
    }

    fn prefix(&self, e: &Record) -> &str {
        match e.has_prefix() {
            true => &self.text[e.name.start..e.local - 1],
            false => "",
        }
    }

    fn attributes_of(&self, e: &Record) -> &[Attr] {
        &self.attributes[e.attributes.0..e.attributes.1]
    }

    fn namespaces_of(&self, e: &Record) -> &[Declaration] {
        &self.namespaces[e.namespaces.0..e.namespaces.1]
    }

    /// The prefix of an attribute's name, if it has one.
    fn attribute_prefix(&self, a: &Attr) -> Option<&str> {
        (a.local > a.name.start).then(|| &self.text[a.name.start..a.local - 1])
    }

    /// The local part of an attribute's name.
    fn attribute_local(&self, a: &Attr) -> &str {
        &self.text[a.local..a.name.end]
    }

    /// The child nodes of element `id` (elements and text runs), in document order.
    fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            tree: self,
            next: id + 1,
            end: self.record(id).end,
        }
    }

    /// The document element.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The element at `id`. Panics if `id` is a text node: ids come from this tree's own
    /// element queries.
    pub fn element(&self, id: NodeId) -> Element<'_> {
        Element {
            tree: self,
            record: self.record(id),
        }
    }

    /// Element `id` as written, from its start tag to the end of its end tag (line ends
    /// normalised to `\n`, as the tree reads the document).
    pub fn source(&self, id: NodeId) -> &str {
        let span = self.record(id).source;
        &self.text[span.start..span.end]
    }

    /// The namespace declarations on the ancestors of `id`, outermost first: what is in scope
    /// at `id` before its own declarations (prefix "" for the default namespace).
    pub fn inherited_declarations(&self, id: NodeId) -> Vec<(&str, &str)> {
        // Innermost first, each element's declarations backwards, then the whole turned round.
        let mut declarations = Vec::new();
        let mut at = self.record(id).parent;
        while let Some(n) = at {
            let e = self.record(n);
            declarations.extend(
                self.namespaces_of(e)
                    .iter()
                    .rev()
                    .map(|d| (self.str(d.prefix), self.str(d.uri))),
            );
            at = e.parent;
        }
        declarations.reverse();
        declarations
    }

    /// The namespace URI of an element, resolved through its ancestors; `None` when it has none.
    pub fn namespace(&self, id: NodeId) -> Option<&str> {
        let prefix = self.prefix(self.record(id));
        self.resolve_prefix(id, prefix)
    }

    /// The URI bound to `prefix` ("" for the default namespace) at element `id`.
    pub fn resolve_prefix(&self, id: NodeId, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        let mut at = Some(id);
        while let Some(n) = at {
            let e = self.record(n);
            if let Some(d) = self.namespaces_of(e).iter().find(|d| self.str(d.prefix) == prefix) {
                let uri = self.str(d.uri);
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
        self.children(id).filter(|&c| matches!(self.nodes[c], Node::Element(_)))
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
        (id + 1..self.record(id).end)
            .filter(|&n| matches!(self.nodes[n], Node::Element(_)))
            .collect()
    }

    /// The concatenated text content of an element and its descendants, trimmed.
    pub fn text(&self, id: NodeId) -> String {
        // The subtree's text runs, in document order.
        let mut s = String::new();
        for node in &self.nodes[id + 1..self.record(id).end] {
            if let Node::Text(t) = node {
                s.push_str(self.str(*t));
            }
        }
        match s.trim() {
            trimmed if trimmed.len() == s.len() => s,
            trimmed => trimmed.to_owned(),
        }
    }

    /// The value of an attribute by namespace (`None` for an unprefixed attribute) and local name.
    pub fn attribute(&self, id: NodeId, namespace: Option<&str>, local: &str) -> Option<&str> {
        let e = self.record(id);
        self.attributes_of(e)
            .iter()
            .find(|a| {
                self.attribute_local(a) == local
                    && match (self.attribute_prefix(a), namespace) {
                        (None, None) => true,
                        (Some(p), Some(ns)) => self.resolve_prefix(id, p) == Some(ns),
                        _ => false,
                    }
            })
            .map(|a| self.str(a.value))
    }

    /// The element whose identifier attribute (`wsu:Id`, `ID`, `Id` or `id`) equals `value`.
    /// Two elements with the same identifier are an error: a signature could then cover one
    /// and a reader use the other.
    pub fn element_by_id(&self, value: &str) -> Result<Option<NodeId>, XmlError> {
        // The index is sorted by value: the entries for `value` are one run.
        let from = self.ids.partition_point(|(v, _)| self.str(*v) < value);
        let mut run = self.ids[from..]
            .iter()
            .take_while(|(v, _)| self.str(*v) == value)
            .map(|&(_, id)| id);
        let Some(first) = run.next() else { return Ok(None) };
        // One element may carry the value twice (`Id` and `ID`): still one element.
        if run.any(|id| id != first) {
            return Err(XmlError(format!("two elements carry the identifier {value:?}")));
        }
        Ok(Some(first))
    }

    /// Writes the subtree at `id` in exclusive canonical form, leaving out the subtree at
    /// `exclude` (the enveloped-signature transform). `inclusive` is the InclusiveNamespaces
    /// PrefixList ("#default" names the default namespace). Linear in the size of the subtree
    /// (plus the declarations on its ancestors).
    pub fn exc_c14n(&self, id: NodeId, exclude: Option<NodeId>, inclusive: &[String]) -> Vec<u8> {
        c14n::canonicalise(self, id, exclude, inclusive)
    }
}

impl Reading<'_> {
    /// Adds the element whose start tag (at `source`) has name `name` and whose attributes
    /// are in `self.raw`, as a child of the open element; it stays open unless `empty`.
    /// Returns its node.
    fn open(&mut self, name: &[u8], source: Span, empty: bool) -> Result<NodeId, XmlError> {
        let id = self.tree.nodes.len();
        let parent = self.stack.last().copied();
        let mut record = self.element(name, parent, id)?;
        // An element with content gets its end with its end tag.
        record.source = source;
        self.tree.nodes.push(Node::Element(record));
        if !empty {
            self.stack.push(id);
        }
        Ok(id)
    }

    /// Closes the open element at its end tag, which ends at `end`.
    fn close(&mut self, end: usize) {
        self.flush();
        if let Some(open) = self.stack.pop() {
            let last = self.tree.nodes.len();
            if let Node::Element(e) = &mut self.tree.nodes[open] {
                e.end = last;
                e.source.end = end;
            }
        }
    }

    /// The record of the element whose start tag has name `name` and whose attributes are in
    /// `self.raw`, at node `id` (its subtree's end is set when it closes). Its attributes and
    /// declarations are added to the tree's lists, its identifiers to the index.
    fn element(&mut self, name: &[u8], parent: Option<NodeId>, id: NodeId) -> Result<Record, XmlError> {
        let tree = &mut self.tree;
        let name = locate(self.document, name).ok_or_else(|| unlocated(name))?;
        let name_text = &self.document[name.start..name.end];
        let local = local_start(name, name_text);
        let attributes_from = tree.attributes.len();
        let namespaces_from = tree.namespaces.len();
        for &(key, raw) in &self.raw {
            let (Some(key), Some(raw)) = (key, raw) else {
                return Err(unlocated(name_text.as_bytes()));
            };
            let key_text = &self.document[key.start..key.end];
            let raw_text = &self.document[raw.start..raw.end];
            // Tab, line feed and carriage return are normalised to spaces, references
            // resolved; the other bytes below them stay as they are either way.
            let value = if to_rewrite(raw_text.as_bytes()) {
                let normalised: String = raw_text
                    .chars()
                    .map(|c| if matches!(c, '\t' | '\n' | '\r') { ' ' } else { c })
                    .collect();
                let value = quick_xml::escape::unescape(&normalised)
                    .map_err(|e| XmlError(format!("bad reference in attribute {key_text} of <{name_text}>: {e}")))?;
                tree.append(&value)
            } else {
                raw
            };
            if key_text == "xmlns" {
                let prefix = Span {
                    start: key.end,
                    end: key.end,
                };
                tree.namespaces.push(Declaration { prefix, uri: value });
            } else if key_text.starts_with("xmlns:") {
                let prefix = Span {
                    start: key.start + "xmlns:".len(),
                    end: key.end,
                };
                tree.namespaces.push(Declaration { prefix, uri: value });
            } else {
                let local = local_start(key, key_text);
                if matches!(&self.document[local..key.end], "Id" | "ID" | "id") {
                    tree.ids.push((value, id));
                }
                tree.attributes.push(Attr {
                    name: key,
                    local,
                    value,
                });
            }
        }
        Ok(Record {
            name,
            local,
            parent,
            end: id + 1,
            source: name,
            attributes: (attributes_from, tree.attributes.len()),
            namespaces: (namespaces_from, tree.namespaces.len()),
        })
    }
}

/// Reads a document (line ends normalised) with quick-xml's reader: any document, every
/// error.
fn read_with_quick_xml(document: &str, limits: Limits) -> Result<Tree, XmlError> {
    let mut check = LimitCheck::new(limits);
    let mut reading = Reading::new(document);
    let mut reader = Reader::from_str(document);
    reader.config_mut().check_end_names = true;
    // The reader passes over a byte order mark without counting it in its positions.
    let bom = if document.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let position = |reader: &Reader<&[u8]>| bom + reader.buffer_position() as usize;
    let mut root = None;
    loop {
        let at = position(&reader);
        let event = reader
            .read_event()
            .map_err(|e| XmlError(format!("not well-formed XML: {e}")))?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                reading.flush();
                if reading.stack.is_empty() && root.is_some() {
                    return Err(XmlError("more than one root element".into()));
                }
                let empty = matches!(event, Event::Empty(_));
                reading.raw.clear();
                let (raw, document) = (&mut reading.raw, reading.document);
                check
                    .open_visiting(start, empty, |key, value| {
                        raw.push((locate(document, key), locate(document, value)));
                    })
                    .map_err(XmlError)?;
                let source = Span {
                    start: at,
                    end: position(&reader),
                };
                let id = reading.open(start.name().as_ref(), source, empty)?;
                root.get_or_insert(id);
            }
            Event::End(_) => {
                check.close();
                reading.close(position(&reader));
            }
            Event::Text(t) => {
                if !reading.stack.is_empty() {
                    reading.push_text(&t, || {
                        t.decode().map(|s| s.into_owned()).map_err(|e| XmlError(e.to_string()))
                    })?;
                }
            }
            Event::CData(t) => {
                reading.push_text(&t, || {
                    t.decode().map(|s| s.into_owned()).map_err(|e| XmlError(e.to_string()))
                })?;
            }
            Event::GeneralRef(r) => {
                let c = match r.strip_prefix(b"#") {
                    Some(number) => char_reference(number)?,
                    None => predefined_entity(&r.decode().map_err(|e| XmlError(e.to_string()))?)?,
                };
                reading.push_char(c);
            }
            Event::DocType(_) => return Err(XmlError("a DOCTYPE is not allowed".into())),
            Event::Eof => break,
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
        }
    }
    if !reading.stack.is_empty() {
        return Err(XmlError("the document ends before its elements are closed".into()));
    }
    let root = root.ok_or_else(|| XmlError("the document has no element".into()))?;
    Ok(reading.finish(root))
}

/// Whether an attribute value as written holds a byte up to `\r` (white space to normalise;
/// the others are refused before) or a reference. Looked at in blocks without an early exit,
/// which the compiler turns into vector instructions: most values hold neither.
fn to_rewrite(value: &[u8]) -> bool {
    value
        .chunks(32)
        .any(|block| block.iter().fold(false, |found, &b| found | (b <= b'\r') | (b == b'&')))
}

/// `text` with its line ends as XML reads them: `\r\n` and a lone `\r` become `\n`.
fn normalise_line_ends(text: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Appends the exclusive canonical form of character data `text` that a document carries,
/// written by [`crate::soap::xml::escape`]: that writes a carriage return as `&#13;`, so a
/// parser reads the text as it is (no line end to normalise), and canonicalisation escapes it.
pub fn write_canonical_text(text: &str, out: &mut Vec<u8>) {
    c14n::escape_text(text, out);
}

/// Where the local part of a qualified name (at `span`, reading `name`) starts: after the
/// first colon.
fn local_start(span: Span, name: &str) -> usize {
    // Names are short: a plain scan beats memchr's setup.
    match name.bytes().position(|b| b == b':') {
        Some(colon) => span.start + colon + 1,
        None => span.start,
    }
}

/// The error for a name or value quick-xml handed out from outside the document (its slice
/// reader never does).
fn unlocated(name: &[u8]) -> XmlError {
    XmlError(format!(
        "<{}> could not be read from the document",
        String::from_utf8_lossy(name)
    ))
}

/// The child nodes of an element: each child's subtree is skipped by its end.
struct Children<'t> {
    tree: &'t Tree,
    next: NodeId,
    end: NodeId,
}

impl Iterator for Children<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        if self.next >= self.end {
            return None;
        }
        let id = self.next;
        self.next = match &self.tree.nodes[id] {
            Node::Element(e) => e.end,
            Node::Text(_) => id + 1,
        };
        Some(id)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_characters_xml_does_not_allow_as_the_envelope_reader_does() {
        for xml in [
            "<a>&#1;</a>",
            "<a>x&#xFFFE;</a>",
            "<a b=\"&#x1F;\"/>",
            "<a xmlns:p=\"urn:&#0;\"/>",
            "<a>\u{1}</a>",
            "<a><!-- \u{ffff} --></a>",
            "<a b=\"\u{b}\"/>",
        ] {
            let why = Tree::parse(xml.as_bytes())
                .err()
                .unwrap_or_else(|| panic!("{xml} is read"));
            assert!(why.to_string().contains("XML 1.0 does not allow"), "{xml}: {why}");
            let envelope = format!(
                "<s:Envelope xmlns:s=\"{}\"><s:Body><Op>{xml}</Op></s:Body></s:Envelope>",
                crate::soap::SOAP12_NS
            );
            assert!(
                crate::soap::parse_envelope(envelope.as_bytes(), Limits::default(), crate::soap::SoapVersion::V12)
                    .is_err(),
                "{envelope}"
            );
            // No checked text is made of it, and read as bytes nobody checked it is refused.
            assert!(
                crate::soap::parse_envelope_text(&envelope, Limits::default(), crate::soap::SoapVersion::V12).is_err(),
                "{envelope}"
            );
            let why = Tree::parse_body(Body::unchecked(envelope.as_bytes()), Limits::default(), None)
                .err()
                .unwrap_or_else(|| panic!("{envelope} is read"));
            assert!(why.to_string().contains("XML 1.0 does not allow"), "{envelope}: {why}");
        }
        // A carriage return by reference is one, and canonical text writes it as exc-c14n does.
        assert_eq!(c14n("<a>x&#13;y\r\nz</a>", "a", &[]), "<a>x&#xD;y\nz</a>");
    }

    #[test]
    fn a_body_the_envelope_reader_checked_reads_as_the_bytes_do() {
        let envelope = format!(
            "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"{}\"><s:Header><!-- h\u{e9} --></s:Header><s:Body><Op a=\"x&#9;\u{1F600}\">t\r\n&amp;<![CDATA[<c>]]></Op></s:Body></s:Envelope>",
            crate::soap::SOAP12_NS
        );
        let (_, body) =
            crate::soap::parse_envelope_text(&envelope, Limits::default(), crate::soap::SoapVersion::V12).unwrap();
        assert!(body.checked().is_some());
        let checked = Tree::parse_body(body, Limits::default(), None).unwrap();
        let unchecked = Tree::parse_body(Body::unchecked(envelope.as_bytes()), Limits::default(), None).unwrap();
        let read = Tree::parse(envelope.as_bytes()).unwrap();
        for tree in [&checked, &unchecked] {
            assert_eq!(
                tree.exc_c14n(tree.root(), None, &[]),
                read.exc_c14n(read.root(), None, &[])
            );
            assert_eq!(tree.source(tree.root()), read.source(read.root()));
        }
        // Bytes that are not UTF-8 are not text: only the checking path reads them, and refuses.
        let mut bytes = envelope.into_bytes();
        let at = bytes.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
        bytes.remove(at + 1);
        let why = Tree::parse_body(Body::unchecked(&bytes), Limits::default(), None).unwrap_err();
        assert!(why.to_string().contains("not UTF-8"), "{why}");
    }

    fn c14n(xml: &str, path_local: &str, inclusive: &[&str]) -> String {
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        let id = std::iter::once(tree.root())
            .chain(tree.descendants(tree.root()))
            .find(|&n| tree.element(n).local_name() == path_local)
            .unwrap();
        let inclusive: Vec<String> = inclusive.iter().map(|s| s.to_string()).collect();
        String::from_utf8(tree.exc_c14n(id, None, &inclusive)).unwrap()
    }

    #[test]
    fn every_element_has_its_source_as_written() {
        let xml = "<?xml version=\"1.0\"?><!-- c --><r a=\"1\">t&amp;<e/><f x='&lt;'>\r\n<g>in</g><!-- in --><![CDATA[<f>]]></f> <h></h></r>";
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        let sources: Vec<&str> = std::iter::once(tree.root())
            .chain(tree.descendants(tree.root()))
            .map(|n| tree.source(n))
            .collect();
        assert_eq!(
            sources,
            [
                "<r a=\"1\">t&amp;<e/><f x='&lt;'>\n<g>in</g><!-- in --><![CDATA[<f>]]></f> <h></h></r>",
                "<e/>",
                "<f x='&lt;'>\n<g>in</g><!-- in --><![CDATA[<f>]]></f>",
                "<g>in</g>",
                "<h></h>",
            ]
        );
    }

    #[test]
    fn sources_are_found_after_a_byte_order_mark() {
        for xml in ["\u{feff}<r>ab<a>x</a><b/></r>", "\u{feff}<r>€x<a>x</a><b/></r>"] {
            let tree = Tree::parse(xml.as_bytes()).unwrap();
            let sources: Vec<&str> = tree
                .descendants(tree.root())
                .into_iter()
                .map(|n| tree.source(n))
                .collect();
            assert_eq!(sources, ["<a>x</a>", "<b/>"], "{xml}");
            assert_eq!(tree.source(tree.root()), &xml[3..]);
        }
    }

    #[test]
    fn renders_only_visibly_used_namespaces_and_sorts_attributes() {
        let xml = r#"<s:Envelope xmlns:s="urn:s" xmlns:u="urn:u" xmlns:x="urn:x"><s:Body u:Id="b" z="1" a="2"><x:A/></s:Body></s:Envelope>"#;
        assert_eq!(
            c14n(xml, "Body", &[]),
            r#"<s:Body xmlns:s="urn:s" xmlns:u="urn:u" a="2" z="1" u:Id="b"><x:A xmlns:x="urn:x"></x:A></s:Body>"#
        );
    }

    #[test]
    fn inclusive_prefixes_are_rendered_where_in_scope() {
        let xml = r#"<r xmlns:a="urn:a" xmlns:b="urn:b"><e/></r>"#;
        assert_eq!(c14n(xml, "e", &["a", "c"]), r#"<e xmlns:a="urn:a"></e>"#);
    }

    #[test]
    fn default_namespace_rules() {
        let xml = r#"<r xmlns="urn:d"><e><f xmlns=""/></e></r>"#;
        assert_eq!(c14n(xml, "e", &[]), r#"<e xmlns="urn:d"><f xmlns=""></f></e>"#);
        let xml = r#"<r><e><f xmlns=""/></e></r>"#;
        assert_eq!(c14n(xml, "e", &[]), r#"<e><f></f></e>"#);
    }

    #[test]
    fn escaping_and_normalisation() {
        let xml = "<e a=\"x&#9;y\r\nz &quot;q&quot; &lt;\">a &amp; b &gt; c\r\nd<![CDATA[<x>]]></e>";
        assert_eq!(
            c14n(xml, "e", &[]),
            "<e a=\"x&#x9;y z &quot;q&quot; &lt;\">a &amp; b &gt; c\nd&lt;x&gt;</e>"
        );
    }

    #[test]
    fn redundant_declarations_are_not_repeated() {
        let xml = r#"<a:r xmlns:a="urn:a"><a:e xmlns:a="urn:a"><a:f/></a:e></a:r>"#;
        assert_eq!(
            c14n(xml, "r", &[]),
            r#"<a:r xmlns:a="urn:a"><a:e><a:f></a:f></a:e></a:r>"#
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let tree = Tree::parse(br#"<r><a ID="x"/><b Id="x"/></r>"#).unwrap();
        assert!(tree.element_by_id("x").is_err());
        let tree = Tree::parse(br#"<r><a ID="x"/><b Id="y"/></r>"#).unwrap();
        assert_eq!(tree.element(tree.element_by_id("y").unwrap().unwrap()).name(), "b");
    }

    #[test]
    fn refuses_doctype_and_unknown_entities() {
        assert!(Tree::parse(br#"<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>"#).is_err());
        assert!(Tree::parse(b"<r>&nbsp;</r>").is_err());
    }

    #[test]
    fn the_limits_apply_to_the_tree() {
        let limits = Limits {
            max_depth: 4,
            max_attributes: 8,
            max_namespaces: 8,
        };
        let parse = |xml: &str| Tree::parse_with(xml.as_bytes(), limits).map(|_| ());
        assert!(parse("<a><b><c><d/></c></b></a>").is_ok());
        assert!(
            parse("<a><b><c><d><e/></d></c></b></a>")
                .unwrap_err()
                .0
                .contains("deeper than 4")
        );
        let attrs: String = (0..9).map(|i| format!(" a{i}='x'")).collect();
        assert!(
            parse(&format!("<a{attrs}/>"))
                .unwrap_err()
                .0
                .contains("more than 8 attributes")
        );
        let ns = |p: &str| (0..5).map(|i| format!(" xmlns:{p}{i}='u'")).collect::<String>();
        assert!(
            parse(&format!("<a{}><b{}/></a>", ns("p"), ns("q")))
                .unwrap_err()
                .0
                .contains("in scope at <b>")
        );
        assert!(parse("<a x='1' x='2'/>").unwrap_err().0.contains("appears twice"));
    }

    #[test]
    fn namespaces_rendered_by_a_sibling_are_rendered_again() {
        // The rendered-namespace stack is undone when an element closes.
        let xml = r#"<r xmlns:a="urn:a"><a:x/><a:y/><z a:q="1"/></r>"#;
        assert_eq!(
            c14n(xml, "r", &[]),
            r#"<r><a:x xmlns:a="urn:a"></a:x><a:y xmlns:a="urn:a"></a:y><z xmlns:a="urn:a" a:q="1"></z></r>"#
        );
        // A prefix rebound below is declared again, and the outer binding after it.
        let xml = r#"<a:r xmlns:a="urn:1"><a:s xmlns:a="urn:2"><a:t/></a:s><a:u/></a:r>"#;
        assert_eq!(
            c14n(xml, "r", &[]),
            r#"<a:r xmlns:a="urn:1"><a:s xmlns:a="urn:2"><a:t></a:t></a:s><a:u></a:u></a:r>"#
        );
    }

    /// Every element below `id` by walking the children, for comparison with the range the
    /// tree keeps.
    fn walked(tree: &Tree, id: NodeId, out: &mut Vec<NodeId>) {
        for c in tree.child_elements(id) {
            out.push(c);
            walked(tree, c, out);
        }
    }

    #[test]
    fn descendants_are_every_element_below_in_document_order() {
        let xml = "<a>t<b><c/>u<d><e/></d></b><f/>v<g><h>w</h></g></a>";
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        let names = |ids: &[NodeId]| {
            ids.iter()
                .map(|&n| tree.element(n).name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&tree.descendants(tree.root())),
            ["b", "c", "d", "e", "f", "g", "h"]
        );
        for id in std::iter::once(tree.root()).chain(tree.descendants(tree.root())) {
            let mut expected = Vec::new();
            walked(&tree, id, &mut expected);
            assert_eq!(tree.descendants(id), expected, "below {}", tree.element(id).name());
        }
    }

    #[test]
    fn identifiers_are_found_anywhere_and_duplicates_refused() {
        let tree = Tree::parse(br#"<a xmlns:u="urn:u"><b u:Id="x"/><c><d ID="y"/></c></a>"#).unwrap();
        assert_eq!(tree.element(tree.element_by_id("y").unwrap().unwrap()).name(), "d");
        assert_eq!(tree.element(tree.element_by_id("x").unwrap().unwrap()).name(), "b");
        assert_eq!(tree.element_by_id("z").unwrap(), None);
        let twice = Tree::parse(br#"<a Id="x"><b><c id="x"/></b></a>"#).unwrap();
        assert!(twice.element_by_id("x").is_err());
        // One element naming the same identifier in two attributes is still one element.
        let both = Tree::parse(br#"<a><b Id="x" ID="x"/><c Id="y"/></a>"#).unwrap();
        assert_eq!(both.element(both.element_by_id("x").unwrap().unwrap()).name(), "b");
    }

    #[test]
    fn canonical_text_and_attributes_escape_only_what_c14n_names() {
        let xml = "<a b=\"&amp;&lt;&quot;&#9;&#10;&#13;æ>\">&amp;&lt;&gt;&#13;\"'æøå</a>";
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(tree.exc_c14n(tree.root(), None, &[])).unwrap(),
            "<a b=\"&amp;&lt;&quot;&#x9;&#xA;&#xD;æ>\">&amp;&lt;&gt;&#xD;\"'æøå</a>"
        );
        // Line endings in text are normalised to a line feed when read.
        let crlf = Tree::parse(b"<a>x\r\ny\rz</a>").unwrap();
        assert_eq!(crlf.text(crlf.root()), "x\ny\nz");
    }
}
