//! A small namespace-aware tree of a schema or WSDL document, with line numbers, read once at
//! load time. Instance documents never go through it: the validator streams them.

use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The XML namespace, bound to `xml` without a declaration.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// How deep a schema or WSDL document may nest.
const MAX_DEPTH: usize = 256;

/// One element of a schema or WSDL document.
#[derive(Debug, Clone)]
pub struct Node {
    /// Namespace URI ("" when none).
    pub ns: String,
    /// Local name.
    pub local: String,
    /// Attributes other than namespace declarations: (namespace, local name, value).
    pub attrs: Vec<(String, String, String)>,
    /// Child elements in document order.
    pub children: Vec<Node>,
    /// Direct text content (concatenated).
    pub text: String,
    /// 1-based line of the start tag.
    pub line: u32,
    /// Namespace bindings in scope: (prefix, URI); "" is the default namespace.
    pub scope: Arc<Vec<(String, String)>>,
}

impl Node {
    /// An unqualified attribute's value.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, l, _)| ns.is_empty() && l == local)
            .map(|(_, _, v)| v.as_str())
    }

    /// A qualified attribute's value.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, l, _)| n == ns && l == local)
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    /// Child elements in namespace `ns`.
    pub fn children_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.ns == ns)
    }

    /// The URI bound to `prefix` here ("" is the default namespace).
    pub fn namespace_of(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_str())
    }

    /// Resolves a QName-valued attribute value (`prefix:local` or `local`, the latter in the
    /// default namespace) to (namespace, local).
    pub fn resolve_qname(&self, value: &str) -> Result<(String, String), String> {
        let value = value.trim();
        match value.split_once(':') {
            Some((prefix, local)) => match self.namespace_of(prefix) {
                Some(uri) => Ok((uri.to_owned(), local.to_owned())),
                None => Err(format!("the prefix {prefix:?} of {value:?} is not declared")),
            },
            None => Ok((self.namespace_of("").unwrap_or("").to_owned(), value.to_owned())),
        }
    }
}

/// Parses a whole document into its root element. Errors name the line.
pub fn parse(bytes: &[u8]) -> Result<Node, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().expand_empty_elements = true;
    let mut lines = LineCounter::default();
    let mut stack: Vec<Node> = Vec::new();
    let base = Arc::new(Vec::new());
    let mut root: Option<Node> = None;
    loop {
        let at = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| format!("line {}: not well-formed XML: {e}", lines.line_at(bytes, at)))?;
        match event {
            Event::Start(start) => {
                let line = lines.line_at(bytes, at);
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("line {line}: nested deeper than {MAX_DEPTH} elements"));
                }
                if root.is_some() && stack.is_empty() {
                    return Err(format!("line {line}: content after the root element"));
                }
                let scope = stack.last().map(|n| n.scope.clone()).unwrap_or_else(|| base.clone());
                stack.push(open(&start, scope, line)?);
            }
            Event::End(_) => {
                let Some(node) = stack.pop() else {
                    return Err(format!("line {}: unbalanced end tag", lines.line_at(bytes, at)));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(text) => {
                if let Some(node) = stack.last_mut() {
                    let raw = std::str::from_utf8(&text).map_err(|_| "not UTF-8".to_owned())?;
                    let decoded = quick_xml::escape::unescape(raw)
                        .map_err(|e| format!("line {}: {e}", lines.line_at(bytes, at)))?;
                    node.text.push_str(&decoded);
                }
            }
            Event::CData(data) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::DocType(_) => {
                return Err(format!(
                    "line {}: a DOCTYPE is not accepted in a schema or WSDL",
                    lines.line_at(bytes, at)
                ));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".to_owned());
    }
    root.ok_or_else(|| "the document has no root element".to_owned())
}

fn open(start: &BytesStart, parent_scope: Arc<Vec<(String, String)>>, line: u32) -> Result<Node, String> {
    let mut declared: Vec<(String, String)> = Vec::new();
    let mut raw_attrs: Vec<(String, String)> = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("line {line}: bad attribute: {e}"))?;
        let key = std::str::from_utf8(attr.key.as_ref()).map_err(|_| format!("line {line}: not UTF-8"))?;
        let value = attr
            .unescape_value()
            .map_err(|e| format!("line {line}: bad attribute value: {e}"))?
            .into_owned();
        if key == "xmlns" {
            declared.push((String::new(), value));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            declared.push((prefix.to_owned(), value));
        } else {
            raw_attrs.push((key.to_owned(), value));
        }
    }
    let scope = if declared.is_empty() {
        parent_scope
    } else {
        let mut s = (*parent_scope).clone();
        s.extend(declared);
        Arc::new(s)
    };
    let name = std::str::from_utf8(start.name().as_ref())
        .map_err(|_| format!("line {line}: not UTF-8"))?
        .to_owned();
    let lookup = |prefix: &str| -> Option<String> {
        if prefix == "xml" {
            return Some(XML_NS.to_owned());
        }
        scope.iter().rev().find(|(p, _)| p == prefix).map(|(_, u)| u.clone())
    };
    let (ns, local) = match name.split_once(':') {
        Some((prefix, local)) => (
            lookup(prefix).ok_or_else(|| format!("line {line}: the prefix {prefix:?} is not declared"))?,
            local.to_owned(),
        ),
        None => (lookup("").unwrap_or_default(), name.clone()),
    };
    let mut attrs = Vec::with_capacity(raw_attrs.len());
    for (key, value) in raw_attrs {
        match key.split_once(':') {
            Some((prefix, local)) => {
                let uri =
                    lookup(prefix).ok_or_else(|| format!("line {line}: the prefix {prefix:?} is not declared"))?;
                attrs.push((uri, local.to_owned(), value));
            }
            None => attrs.push((String::new(), key, value)),
        }
    }
    Ok(Node {
        ns,
        local,
        attrs,
        children: Vec::new(),
        text: String::new(),
        line,
        scope,
    })
}

/// Turns byte offsets into 1-based lines and columns, moving forward only: each byte is
/// looked at once however many positions are asked for (linear in the document).
#[derive(Debug, Default)]
pub struct LineCounter {
    offset: usize,
    line: u32,
    /// Characters between the start of the current line and `offset`.
    column: u32,
}

impl LineCounter {
    /// The 1-based line of byte `at`.
    pub fn line_at(&mut self, bytes: &[u8], at: usize) -> u32 {
        self.position(bytes, at).0
    }

    /// The 1-based line and column (in characters) of byte `at`. Asking for an earlier
    /// offset than the last restarts from the beginning.
    pub fn position(&mut self, bytes: &[u8], at: usize) -> (u32, u32) {
        let at = at.min(bytes.len());
        if at < self.offset {
            *self = LineCounter::default();
        }
        if self.line == 0 {
            self.line = 1;
        }
        // Whole-slice counts (vectorised), not a branch per byte: a SOAP header before the
        // element asked about may be many kilobytes.
        let slice = &bytes[self.offset..at];
        let chars = |s: &[u8]| s.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u32;
        match slice.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                self.line += slice.iter().filter(|&&b| b == b'\n').count() as u32;
                self.column = chars(&slice[last + 1..]);
            }
            None => self.column += chars(slice),
        }
        self.offset = at;
        (self.line, self.column + 1)
    }
}
