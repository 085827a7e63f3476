//! The validator: one streaming pass over an element's bytes (quick-xml, no tree), checking
//! it against the declaration it names, collecting every finding up to a bound.
//!
//! Cost: every event does work bounded by the schema (a content-model step, an attribute
//! lookup, a facet check that is linear in the value), so validation is linear in the input;
//! nesting is bounded by [`Limits::max_depth`] and findings by [`Limits::max_findings`].

mod element;

use std::collections::{HashMap, HashSet};

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::xsd::content::{self, Matched, State};
use crate::xsd::doc::{LineCounter, XML_NS};
use crate::xsd::finding::{Code, Finding};
use crate::xsd::model::{Content, ElementId, ProcessContents, QName, SchemaSet, TypeDef, TypeId};

/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Bounds on one validation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How deep the element may nest (deeper content is not checked; a finding says so).
    pub max_depth: usize,
    /// How many findings are listed (then one `too-many-findings`).
    pub max_findings: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 256,
            max_findings: 50,
        }
    }
}

/// An element to validate: its bytes, the namespace bindings in scope where it was cut from
/// (e.g. those of the SOAP `Envelope` and `Body`), and where its bytes start in the larger
/// document, so positions in findings are the document's.
#[derive(Debug, Clone)]
pub struct Instance<'a> {
    /// The element's bytes (start tag to end tag).
    pub bytes: &'a [u8],
    /// Bindings in scope: (prefix, URI); "" is the default namespace.
    pub namespaces: Vec<(String, String)>,
    /// 1-based line of the first byte in the larger document.
    pub line: u32,
    /// 1-based column of the first byte.
    pub column: u32,
    /// Byte offset of the first byte.
    pub offset: usize,
}

impl<'a> Instance<'a> {
    /// A standalone element (no outer bindings; positions relative to its bytes).
    pub fn new(bytes: &'a [u8]) -> Instance<'a> {
        Instance {
            bytes,
            namespaces: Vec::new(),
            line: 1,
            column: 1,
            offset: 0,
        }
    }

    /// The element spanning `range` of `document`, with the bindings its ancestors declare and
    /// positions counted in the document (one pass over the bytes before it).
    pub fn within(document: &'a [u8], range: std::ops::Range<usize>) -> Instance<'a> {
        let start = range.start.min(document.len());
        let end = range.end.clamp(start, document.len());
        let mut namespaces = Vec::new();
        let mut reader = Reader::from_reader(&document[..start]);
        let mut scopes: Vec<usize> = Vec::new();
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => {
                    scopes.push(namespaces.len());
                    for a in e.attributes().with_checks(false).flatten() {
                        let key = a.key.as_ref();
                        let prefix = if key == b"xmlns" {
                            Some(String::new())
                        } else {
                            key.strip_prefix(b"xmlns:")
                                .map(|p| String::from_utf8_lossy(p).into_owned())
                        };
                        if let (Some(p), Ok(v)) = (prefix, a.unescape_value()) {
                            namespaces.push((p, v.into_owned()));
                        }
                    }
                }
                Ok(Event::End(_)) => {
                    if let Some(n) = scopes.pop() {
                        namespaces.truncate(n);
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        let mut lines = LineCounter::default();
        let (line, column) = lines.position(document, start);
        Instance {
            bytes: &document[start..end],
            namespaces,
            line,
            column,
            offset: start,
        }
    }
}

/// Namespace bindings with O(1) lookup and undo per element.
struct Namespaces {
    map: HashMap<String, Vec<String>>,
    undo: Vec<Vec<String>>,
}

impl Namespaces {
    fn lookup(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.map.get(prefix).and_then(|v| v.last()).map(String::as_str)
    }

    fn pop(&mut self) {
        for p in self.undo.pop().unwrap_or_default() {
            if let Some(v) = self.map.get_mut(&p) {
                v.pop();
            }
        }
    }
}

enum Kind {
    /// Element content (maybe mixed) by a content model.
    Complex {
        type_id: TypeId,
        state: State,
        mixed: bool,
        text_reported: bool,
    },
    /// A simple value (simple type or simple content); text collected.
    Simple {
        type_id: TypeId,
        text: String,
        decl: Option<ElementId>,
    },
    /// No content at all.
    Empty { text_reported: bool },
    /// `xsi:nil="true"`: no content.
    Nil,
    /// Not validated (wildcard skip, or after an error).
    Skip,
    /// Undeclared under a lax wildcard: declared children are validated.
    Lax,
}

struct Frame {
    kind: Kind,
    start: usize,
    last_child: Option<String>,
}

struct Run<'s, 'a> {
    set: &'s SchemaSet,
    input: &'a Instance<'a>,
    limits: Limits,
    findings: Vec<Finding>,
    lines: LineCounter,
    ns: Namespaces,
    path: Vec<String>,
    stack: Vec<Frame>,
    stopped: bool,
}

impl SchemaSet {
    /// Validates a standalone element against global element `expected` (or, with `None`,
    /// against whichever global element its name declares). Returns every finding, bounded
    /// by the default [`Limits`]; empty means valid.
    pub fn validate(&self, bytes: &[u8], expected: Option<ElementId>) -> Vec<Finding> {
        self.validate_instance(&Instance::new(bytes), expected, Limits::default())
    }

    /// Validates an element with its outer namespace bindings and position.
    pub fn validate_instance(&self, input: &Instance, expected: Option<ElementId>, limits: Limits) -> Vec<Finding> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (p, u) in &input.namespaces {
            map.entry(p.clone()).or_default().push(u.clone());
        }
        let mut run = Run {
            set: self,
            input,
            limits,
            findings: Vec::new(),
            lines: LineCounter::default(),
            ns: Namespaces { map, undo: Vec::new() },
            path: Vec::new(),
            stack: Vec::new(),
            stopped: false,
        };
        run.go(expected);
        run.findings
    }
}

impl<'s, 'a> Run<'s, 'a> {
    fn report(&mut self, code: Code, at: usize, message: String) {
        if self.stopped {
            return;
        }
        if self.findings.len() >= self.limits.max_findings {
            let f = self.finding(
                Code::TooManyFindings,
                at,
                format!(
                    "more than {} findings; the rest are not listed",
                    self.limits.max_findings
                ),
            );
            self.findings.push(f);
            self.stopped = true;
            return;
        }
        let f = self.finding(code, at, message);
        self.findings.push(f);
    }

    fn finding(&mut self, code: Code, at: usize, message: String) -> Finding {
        let (line, column) = self.lines.position(self.input.bytes, at);
        let (line, column) = if line == 1 {
            (self.input.line, self.input.column + column - 1)
        } else {
            (self.input.line + line - 1, column)
        };
        Finding {
            code,
            path: format!("/{}", self.path.join("/")),
            line,
            column,
            offset: self.input.offset + at,
            message,
        }
    }

    fn go(&mut self, expected: Option<ElementId>) {
        let mut reader = Reader::from_reader(self.input.bytes);
        reader.config_mut().check_end_names = true;
        let mut seen_root = false;
        loop {
            if self.stopped {
                return;
            }
            let at = reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    let pos = reader.error_position() as usize;
                    self.report(Code::NotWellFormed, pos.max(at), format!("not well-formed XML: {e}"));
                    return;
                }
            };
            match event {
                Event::Start(e) | Event::Empty(e) if self.stack.is_empty() && seen_root => {
                    let _ = e;
                    self.report(Code::NotWellFormed, at, "content after the element".to_owned());
                    return;
                }
                Event::Start(e) => {
                    seen_root = true;
                    if !self.start(&e, at, expected) {
                        return;
                    }
                }
                Event::Empty(e) => {
                    seen_root = true;
                    if !self.start(&e, at, expected) {
                        return;
                    }
                    self.end(at);
                }
                Event::End(_) => self.end(at),
                Event::Text(t) => {
                    let text = match std::str::from_utf8(&t) {
                        Ok(s) => s,
                        Err(_) => {
                            self.report(Code::NotWellFormed, at, "text that is not UTF-8".to_owned());
                            return;
                        }
                    };
                    match quick_xml::escape::unescape(text) {
                        Ok(s) => self.text(&s, at),
                        Err(e) => {
                            self.report(
                                Code::NotWellFormed,
                                at,
                                format!("a bad character or entity reference: {e}"),
                            );
                            return;
                        }
                    }
                }
                Event::CData(t) => {
                    let s = String::from_utf8_lossy(&t).into_owned();
                    self.text(&s, at);
                }
                Event::DocType(_) => {
                    self.report(Code::NotWellFormed, at, "a DOCTYPE is not allowed".to_owned());
                    return;
                }
                Event::Eof => {
                    if !self.stack.is_empty() {
                        self.report(Code::NotWellFormed, at, "the input ends inside an element".to_owned());
                    } else if !seen_root {
                        self.report(Code::NotWellFormed, at, "no element".to_owned());
                    }
                    return;
                }
                _ => {}
            }
        }
    }

    /// Handles a start tag; `false` stops the run.
    fn start(&mut self, e: &BytesStart, at: usize, expected: Option<ElementId>) -> bool {
        if self.stack.len() >= self.limits.max_depth {
            self.report(
                Code::DepthLimit,
                at,
                format!(
                    "nested deeper than {} elements; the rest is not checked",
                    self.limits.max_depth
                ),
            );
            self.stopped = true;
            return false;
        }
        // Namespace declarations first: they apply to the element's own name and attributes.
        let mut raw: Vec<(Vec<u8>, String)> = Vec::new();
        let mut declared = Vec::new();
        for a in e.attributes().with_checks(false) {
            let a = match a {
                Ok(a) => a,
                Err(err) => {
                    self.report(Code::NotWellFormed, at, format!("a malformed attribute: {err}"));
                    return false;
                }
            };
            let value = match a.unescape_value() {
                Ok(v) => v.into_owned(),
                Err(err) => {
                    self.report(Code::NotWellFormed, at, format!("a bad attribute value: {err}"));
                    return false;
                }
            };
            let key = a.key.as_ref();
            let prefix = if key == b"xmlns" {
                Some(String::new())
            } else {
                key.strip_prefix(b"xmlns:")
                    .map(|p| String::from_utf8_lossy(p).into_owned())
            };
            match prefix {
                Some(p) => {
                    self.ns.map.entry(p.clone()).or_default().push(value);
                    declared.push(p);
                }
                None => raw.push((key.to_vec(), value)),
            }
        }
        self.ns.undo.push(declared);
        let name = e.name();
        let (ns, local) = match self.resolve(name.as_ref(), true) {
            Some(x) => x,
            None => {
                self.path.push(String::from_utf8_lossy(name.as_ref()).into_owned());
                self.report(
                    Code::NotWellFormed,
                    at,
                    format!(
                        "the prefix of {} is not declared",
                        String::from_utf8_lossy(name.as_ref())
                    ),
                );
                return false;
            }
        };
        let mut attrs: Vec<(String, String, String)> = Vec::with_capacity(raw.len());
        let mut unique: HashSet<(String, String)> = HashSet::new();
        for (key, value) in raw {
            let Some((ans, alocal)) = self.resolve(&key, false) else {
                self.path.push(local.clone());
                self.report(
                    Code::NotWellFormed,
                    at,
                    format!(
                        "the prefix of the attribute {} is not declared",
                        String::from_utf8_lossy(&key)
                    ),
                );
                return false;
            };
            if !unique.insert((ans.clone(), alocal.clone())) {
                self.path.push(local.clone());
                self.report(Code::NotWellFormed, at, format!("the attribute {alocal} appears twice"));
                return false;
            }
            attrs.push((ans, alocal, value));
        }
        self.path.push(local.clone());
        let decl = self.declaration_for(&ns, &local, at, expected);
        let kind = match decl {
            Decl::Element(id) => self.enter_element(id, &attrs, at),
            Decl::Skip => Kind::Skip,
            Decl::Lax => self.enter_lax(&attrs, at),
        };
        self.stack.push(Frame {
            kind,
            start: at,
            last_child: None,
        });
        true
    }

    fn resolve(&self, qname: &[u8], element: bool) -> Option<(String, String)> {
        let s = std::str::from_utf8(qname).ok()?;
        match s.split_once(':') {
            Some((p, l)) => Some((self.ns.lookup(p)?.to_owned(), l.to_owned())),
            None if element => Some((self.ns.lookup("").unwrap_or("").to_owned(), s.to_owned())),
            None => Some((String::new(), s.to_owned())),
        }
    }

    /// Which declaration governs the element now starting.
    fn text(&mut self, s: &str, at: usize) {
        let Some(frame) = self.stack.last_mut() else {
            if !s.trim().is_empty() {
                self.report(Code::NotWellFormed, at, "text outside the element".to_owned());
            }
            return;
        };
        let start = frame.start;
        let report = match &mut frame.kind {
            Kind::Simple { text, .. } => {
                text.push_str(s);
                None
            }
            Kind::Complex { mixed: true, .. } | Kind::Skip | Kind::Lax => None,
            Kind::Complex {
                text_reported, type_id, ..
            } => {
                if !*text_reported && !is_blank(s) {
                    *text_reported = true;
                    Some((
                        Code::TextNotAllowed,
                        format!(
                            "text is not allowed here: {} has element-only content (found {:?})",
                            self.set.type_name(*type_id),
                            excerpt(s)
                        ),
                    ))
                } else {
                    None
                }
            }
            Kind::Empty { text_reported } => {
                if !*text_reported && !is_blank(s) {
                    *text_reported = true;
                    Some((
                        Code::TextNotAllowed,
                        format!("the element must be empty (found {:?})", excerpt(s)),
                    ))
                } else {
                    None
                }
            }
            Kind::Nil => (!is_blank(s)).then(|| {
                (
                    Code::InvalidNil,
                    "an element with xsi:nil=\"true\" must be empty".to_owned(),
                )
            }),
        };
        if let Some((code, message)) = report {
            let _ = start;
            self.report(code, at, message);
        }
    }

    fn end(&mut self, at: usize) {
        let Some(frame) = self.stack.pop() else { return };
        match frame.kind {
            Kind::Simple { type_id, text, decl } => {
                let (default, fixed) = match decl {
                    Some(d) => {
                        let d = self.set.element(d);
                        (d.default.clone(), d.fixed.clone())
                    }
                    None => (None, None),
                };
                let value = if text.is_empty() {
                    default.or_else(|| fixed.clone()).unwrap_or_default()
                } else {
                    text
                };
                self.check_value(type_id, &value, fixed.as_deref(), frame.start);
            }
            Kind::Complex { type_id, state, .. } => {
                if let Some(TypeDef::Complex(ct)) = self.set.types.get(type_id.0 as usize)
                    && let Content::Elements(p) = &ct.content
                    && !content::satisfied(p, &state)
                {
                    let mut missing = Vec::new();
                    content::missing(self.set, p, &state, &mut missing);
                    let what = if missing.len() == 1 {
                        missing[0].clone()
                    } else {
                        format!("one of {}", missing.join(", "))
                    };
                    self.report(
                        Code::MissingElement,
                        at,
                        format!("a required element is missing before the end: expected {what}"),
                    );
                }
            }
            _ => {}
        }
        self.path.pop();
        self.ns.pop();
    }
}

enum Decl {
    Element(ElementId),
    Skip,
    Lax,
}

fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn excerpt(s: &str) -> String {
    let t = s.trim();
    match t.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_owned(),
    }
}
