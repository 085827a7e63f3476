//! The validator: one streaming pass over an element's bytes (quick-xml, no tree), checking
//! it against the declaration it names, collecting every finding up to a bound.
//!
//! Cost: every event does work bounded by the schema (a content-model step, an attribute
//! lookup, a facet check that is linear in the value), so validation is linear in the input;
//! nesting is bounded by [`Limits::max_depth`] and findings by [`Limits::max_findings`].
//!
//! It runs on every request sfstub serves (request conformance). Most requests are valid and
//! of a plain shape, so a first pass ([`fast`]) checks them against plans made once per
//! schema set and answers only "valid"; anything else (every input with a finding) is read
//! again by the full validator below, whose findings are the answer. The full validator
//! costs a valid element no allocation per element or attribute either: names, namespace
//! URIs and values are slices of the input (copied only when an entity reference has to be
//! resolved), namespace bindings live on one stack searched from the top, content-model
//! states reuse their storage, and paths, positions and messages are built only when a
//! finding is reported.

mod element;
pub(crate) mod fast;
mod lex;
mod words;

use std::borrow::Cow;

pub use fast::ValueCheck;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::xsd::content::{self, Matched, State};
use crate::xsd::doc::{LineCounter, XML_NS};
use crate::xsd::finding::{Code, Finding};
use crate::xsd::model::{Content, ElementId, ProcessContents, QName, SchemaSet, TypeDef, TypeId};
use lex::Token;

/// How many spare content-model states a thread keeps.
const MAX_SPARE_STATES: usize = 64;

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
    /// Bindings in scope: (prefix, URI); "" is the default namespace. Borrowed from the
    /// document unless a reference had to be resolved.
    pub namespaces: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The larger document (`bytes` itself for a standalone element).
    document: &'a [u8],
    /// Byte offset of the first byte.
    pub offset: usize,
    /// `bytes` as text, when the caller knew them to be UTF-8 ([`Instance::below_text`]):
    /// then they are not checked again.
    text: Option<&'a str>,
}

impl<'a> Instance<'a> {
    /// A standalone element (no outer bindings; positions relative to its bytes).
    pub fn new(bytes: &'a [u8]) -> Instance<'a> {
        Instance {
            bytes,
            namespaces: Vec::new(),
            document: bytes,
            offset: 0,
            text: None,
        }
    }

    /// The 1-based line and column (in characters) of the element's first byte in the larger
    /// document: counted when asked (only a finding needs it), one pass over what precedes.
    pub fn position(&self) -> (u32, u32) {
        LineCounter::default().position(self.document, self.offset)
    }

    /// The element spanning `range` of `document`, with the bindings its ancestors declare and
    /// positions counted in the document (one pass over the bytes before it; only the start
    /// tags of its ancestors are read for declarations).
    pub fn within(document: &'a [u8], range: std::ops::Range<usize>) -> Instance<'a> {
        let start = range.start.min(document.len());
        let end = range.end.clamp(start, document.len());
        // The open elements before `start`: their start tags (borrowed, not yet read).
        let mut open: Vec<quick_xml::events::BytesStart<'a>> = Vec::new();
        let mut reader = Reader::from_reader(&document[..start]);
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => open.push(e),
                Ok(Event::End(_)) => {
                    open.pop();
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        Instance::with_ancestors(document, start, end, &open)
    }

    /// [`Instance::within`] when the start tags of the element's ancestors are known (their
    /// byte ranges in `document`, outermost first, e.g. a SOAP request's `Envelope` and
    /// `Body`): only those tags are read, not everything before the element (a SOAP header
    /// may be most of a request). A plain start tag is read in place; anything else is left
    /// to quick-xml, which reads it as [`Instance::within`] does.
    pub fn below(
        document: &'a [u8],
        range: std::ops::Range<usize>,
        ancestors: &[std::ops::Range<usize>],
    ) -> Instance<'a> {
        Instance::below_in(document, None, range, ancestors)
    }

    /// [`Instance::below`] in a document the caller knows to be UTF-8 (a request the envelope
    /// reader read as text): the element and its ancestors' tags are not checked again.
    pub fn below_text(
        document: &'a str,
        range: std::ops::Range<usize>,
        ancestors: &[std::ops::Range<usize>],
    ) -> Instance<'a> {
        Instance::below_in(document.as_bytes(), Some(document), range, ancestors)
    }

    /// [`Instance::below_text`] when the caller has read the ancestors' declarations already
    /// (a SOAP request's envelope reader): `namespaces` are their (prefix, namespace) byte
    /// ranges of `document`, outermost first, an empty prefix the default namespace — what
    /// `below_text` would read from the tags, without reading them again. `None` when a range
    /// is not one of `document`'s.
    pub fn declared(
        document: &'a str,
        range: std::ops::Range<usize>,
        namespaces: impl IntoIterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)>,
    ) -> Option<Instance<'a>> {
        let namespaces = namespaces
            .into_iter()
            .map(|(prefix, uri)| Some((Cow::Borrowed(document.get(prefix)?), Cow::Borrowed(document.get(uri)?))))
            .collect::<Option<Vec<_>>>()?;
        Some(Instance::at(document.as_bytes(), Some(document), range, namespaces))
    }

    /// The element at `range` of `document` (cut to it), with `namespaces` in scope.
    fn at(
        document: &'a [u8],
        text: Option<&'a str>,
        range: std::ops::Range<usize>,
        namespaces: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    ) -> Instance<'a> {
        let start = range.start.min(document.len());
        let end = range.end.clamp(start, document.len());
        Instance {
            bytes: &document[start..end],
            namespaces,
            document,
            offset: start,
            text: text.and_then(|t| t.get(start..end)),
        }
    }

    /// [`Instance::below`], with `document` as text when it is known to be (`text`).
    fn below_in(
        document: &'a [u8],
        text: Option<&'a str>,
        range: std::ops::Range<usize>,
        ancestors: &[std::ops::Range<usize>],
    ) -> Instance<'a> {
        let mut namespaces = Vec::new();
        for r in ancestors {
            let Some(tag) = document.get(r.clone()) else {
                continue;
            };
            let before = namespaces.len();
            let tag_text = match text {
                Some(t) => t.get(r.clone()),
                None => std::str::from_utf8(tag).ok(),
            };
            if tag_text.and_then(|t| declare_plain(t, &mut namespaces)).is_none() {
                // What was added meanwhile is dropped: quick-xml reads the tag whole.
                namespaces.truncate(before);
                if let Ok(Event::Start(e)) = Reader::from_reader(tag).read_event() {
                    namespaces.extend(declarations(document, std::slice::from_ref(&e)));
                }
            }
        }
        Instance::at(document, text, range, namespaces)
    }

    /// The element at `start..end` of `document`, with the namespaces its ancestors' start
    /// tags (`open`, outermost first) declare, and its line and column.
    fn with_ancestors(
        document: &'a [u8],
        start: usize,
        end: usize,
        open: &[quick_xml::events::BytesStart<'a>],
    ) -> Instance<'a> {
        Instance {
            bytes: &document[start..end],
            namespaces: declarations(document, open),
            document,
            offset: start,
            text: None,
        }
    }
}

/// The namespace declarations of `open` start tags (slices of `document`), outermost first:
/// (prefix, URI), borrowed from `document` where they can be.
fn declarations<'a>(
    document: &'a [u8],
    open: &[quick_xml::events::BytesStart<'_>],
) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    // A piece of a tag as a slice of the document, when it is one and is UTF-8.
    let borrowed = |part: &[u8]| -> Option<&'a str> {
        let from = (part.as_ptr() as usize).wrapping_sub(document.as_ptr() as usize);
        std::str::from_utf8(document.get(from..from.checked_add(part.len())?)?).ok()
    };
    let mut namespaces = Vec::new();
    for e in open {
        if !e.attributes_raw().windows(5).any(|w| w == b"xmlns") {
            continue;
        }
        for a in e.attributes().with_checks(false).flatten() {
            let key = a.key.as_ref();
            let prefix = if key == b"xmlns" {
                Some(Cow::Borrowed(""))
            } else {
                key.strip_prefix(b"xmlns:").map(|p| match borrowed(p) {
                    Some(p) => Cow::Borrowed(p),
                    None => Cow::Owned(String::from_utf8_lossy(p).into_owned()),
                })
            };
            if let (Some(p), Ok(v)) = (prefix, a.unescape_value()) {
                let v = match v {
                    Cow::Borrowed(v) => borrowed(v.as_bytes()).map_or_else(|| Cow::Owned(v.to_owned()), Cow::Borrowed),
                    Cow::Owned(v) => Cow::Owned(v),
                };
                namespaces.push((p, v));
            }
        }
    }
    namespaces
}

/// Adds the namespace declarations of a start tag `tag` (`<` to `>`) to `namespaces`,
/// borrowed from it, when quick-xml would read it on its own as this does: a plain start tag
/// (not an empty-element tag, a comment, a PI or an end tag) of the usual attributes, each
/// `name="value"` or `name='value'` (white space around `=` allowed), no declared value with
/// a reference. `None` for anything else, which quick-xml then reads (what was added
/// meanwhile is the caller's to drop).
///
/// One pass: a tag that declares nothing needs no reading (quick-xml would find nothing in
/// it either); in one that does, the attributes are read up to the final `>`. With no `>` or
/// quote in the name or a key, the first `>` outside quotes is then the tag's last byte, as
/// quick-xml requires of a tag read whole.
fn declare_plain<'a>(tag: &'a str, namespaces: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>) -> Option<()> {
    let content = tag.strip_prefix('<')?.strip_suffix('>')?;
    if content.starts_with(['!', '?', '/']) || content.ends_with('/') {
        return None;
    }
    if !lex::contains_xmlns(content.as_bytes()) {
        return Some(());
    }
    let unquoted = |s: &str| !s.bytes().any(|b| matches!(b, b'>' | b'"' | b'\''));
    let name_len = content.bytes().position(lex::is_space).unwrap_or(content.len());
    if !unquoted(&content[..name_len]) {
        return None;
    }
    for pair in lex::Attributes::new(content, name_len) {
        let (key, value) = pair.ok()?;
        if !unquoted(key) {
            return None;
        }
        let prefix = if key == "xmlns" {
            Some("")
        } else {
            key.strip_prefix("xmlns:")
        };
        if let Some(prefix) = prefix {
            if value.contains('&') {
                return None;
            }
            namespaces.push((Cow::Borrowed(prefix), Cow::Borrowed(value)));
        }
    }
    Some(())
}

/// A namespace binding in scope.
struct Binding<'a> {
    prefix: &'a str,
    uri: Cow<'a, str>,
}

/// An attribute of the element being started (namespace declarations aside).
pub(super) struct Attr<'a> {
    /// The name as written.
    raw: &'a str,
    ns: Cow<'a, str>,
    local: &'a str,
    value: Cow<'a, str>,
}

enum Kind<'a> {
    /// Element content (maybe mixed) by a content model.
    Complex {
        type_id: TypeId,
        state: State,
        mixed: bool,
        text_reported: bool,
    },
    /// A simple value (simple type or simple content); text collected (borrowed from the
    /// input while it is one piece).
    Simple {
        type_id: TypeId,
        text: Cow<'a, str>,
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

struct Frame<'a> {
    kind: Kind<'a>,
    /// Offset of the start tag's `<`.
    start: usize,
    /// The element's name as written (prefix included).
    name: &'a str,
    /// How many namespace bindings were in scope before this element's own.
    bindings: usize,
    /// The local name of the last child element seen.
    last_child: Option<&'a str>,
}

fn local_of(name: &str) -> &str {
    match name.bytes().rposition(|b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// A qualified name's prefix and local part.
fn split_qname(name: &str) -> Option<(&str, &str)> {
    let i = name.bytes().position(|b| b == b':')?;
    Some((&name[..i], &name[i + 1..]))
}

struct Run<'s, 'a> {
    set: &'s SchemaSet,
    input: &'a Instance<'a>,
    /// The input as text (checked to be UTF-8 once).
    text: &'a str,
    limits: Limits,
    findings: Vec<Finding>,
    lines: LineCounter,
    /// The line and column of the input's first byte, counted for the first finding.
    first: Option<(u32, u32)>,
    ns: Vec<Binding<'a>>,
    stack: Vec<Frame<'a>>,
    /// The element being started (not yet on the stack), for paths.
    current: Option<&'a str>,
    /// The attribute being checked, for paths.
    attribute: Option<&'a str>,
    /// Scratch space for the attributes of the element being started.
    attrs: Vec<Attr<'a>>,
    /// The reader's stack of open element names (lent to it while it reads).
    open: Vec<&'a str>,
    /// Spare content-model states (see [`Scratch`]).
    states: Vec<State>,
    /// The storage of the first pass ([`fast`]), kept for the next validation.
    fast: fast::FastScratch,
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
        let checked = match input.text {
            Some(t) => Ok(t),
            None => std::str::from_utf8(input.bytes),
        };
        let text = match checked {
            Ok(t) => t,
            Err(e) => {
                // Positions of the valid part only.
                let valid = &input.bytes[..e.valid_up_to()];
                let mut run = Run::new(
                    self,
                    input,
                    std::str::from_utf8(valid).unwrap_or(""),
                    limits,
                    Scratch::default(),
                );
                run.report(
                    Code::NotWellFormed,
                    e.valid_up_to(),
                    format!("the input is not UTF-8 (at byte {})", e.valid_up_to()),
                    "the input is not UTF-8".to_owned(),
                );
                return run.findings;
            }
        };
        // The usual case, a valid request, uses the thread's storage where it is (moving it
        // out and back cost ~200 instructions a request, callgrind on examples/request_cost).
        let valid = SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut scratch) => fast::valid(self, input, text, expected, limits, &mut scratch),
            // A validation inside another on this thread (none today): storage of its own.
            Err(_) => fast::valid(self, input, text, expected, limits, &mut Scratch::default()),
        });
        if valid {
            return Vec::new();
        }
        let scratch = SCRATCH.with(|s| {
            s.try_borrow_mut()
                .map(|mut s| std::mem::take(&mut *s))
                .unwrap_or_default()
        });
        let mut run = Run::new(self, input, text, limits, scratch);
        if !run.quick(expected) {
            // Something only quick-xml reads: start over with it (at most one more pass).
            let scratch = run.into_scratch().1;
            run = Run::new(self, input, text, limits, scratch);
            run.go(expected);
        }
        let (findings, scratch) = run.into_scratch();
        SCRATCH.with(|s| {
            if let Ok(mut slot) = s.try_borrow_mut() {
                *slot = scratch;
            }
        });
        findings
    }

    /// How the plain first pass checks each value of `input` ([`ValueCheck`], in document
    /// order), when it takes the element whole, which it does only when the element is valid;
    /// `None` when it does not take it. An element whose markup (everything but these values)
    /// is the same, with each value passing its check ([`SchemaSet::passes`]), is taken too, so
    /// it is valid: what [`crate::memo`] relies on.
    pub fn value_checks(&self, input: &Instance, expected: ElementId, limits: Limits) -> Option<Vec<ValueCheck>> {
        let text = match input.text {
            Some(t) => t,
            None => std::str::from_utf8(input.bytes).ok()?,
        };
        fast::value_checks(self, input, text, expected, limits)
    }
}

/// Storage one validation leaves for the next on the same thread, so that a validation
/// allocates nothing once its thread has validated a document of the same shape: the stacks
/// (emptied, their capacity kept) and spare content-model states.
#[derive(Default)]
struct Scratch {
    ns: Vec<Binding<'static>>,
    stack: Vec<Frame<'static>>,
    attrs: Vec<Attr<'static>>,
    open: Vec<&'static str>,
    states: Vec<State>,
    fast: fast::FastScratch,
}

impl Scratch {
    const EMPTY: Scratch = Scratch {
        ns: Vec::new(),
        stack: Vec::new(),
        attrs: Vec::new(),
        open: Vec::new(),
        states: Vec::new(),
        fast: fast::FastScratch::EMPTY,
    };
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = const { std::cell::RefCell::new(Scratch::EMPTY) };
}

/// `v` emptied, as a vector of another type of the same layout (the same type with other
/// lifetimes): the standard library collects in place, keeping the allocation.
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

impl<'s, 'a> Run<'s, 'a> {
    fn new(
        set: &'s SchemaSet,
        input: &'a Instance<'a>,
        text: &'a str,
        limits: Limits,
        scratch: Scratch,
    ) -> Run<'s, 'a> {
        let mut ns: Vec<Binding<'a>> = recycle(scratch.ns);
        ns.extend(input.namespaces.iter().map(|(p, u)| Binding {
            prefix: p.as_ref(),
            uri: Cow::Borrowed(u.as_ref()),
        }));
        Run {
            set,
            input,
            text,
            limits,
            findings: Vec::new(),
            lines: LineCounter::default(),
            first: None,
            ns,
            stack: recycle(scratch.stack),
            current: None,
            attribute: None,
            attrs: recycle(scratch.attrs),
            open: recycle(scratch.open),
            states: scratch.states,
            fast: scratch.fast,
            stopped: false,
        }
    }

    /// The findings, and the run's storage for the next.
    fn into_scratch(self) -> (Vec<Finding>, Scratch) {
        let scratch = Scratch {
            ns: recycle(self.ns),
            stack: recycle(self.stack),
            attrs: recycle(self.attrs),
            open: recycle(self.open),
            states: self.states,
            fast: self.fast,
        };
        (self.findings, scratch)
    }

    /// A fresh content-model state, reusing a spare one's storage.
    fn fresh_state(&mut self) -> State {
        self.states.pop().unwrap_or_default()
    }

    /// Keeps `state`'s storage for a later element (a bounded number of them).
    fn spare_state(&mut self, mut state: State) {
        if self.states.len() < MAX_SPARE_STATES {
            state.reset();
            self.states.push(state);
        }
    }

    /// The URI bound to `prefix` ("" for the default namespace).
    #[inline]
    fn lookup(&self, prefix: &str) -> Option<Cow<'a, str>> {
        if prefix == "xml" {
            return Some(Cow::Borrowed(XML_NS));
        }
        self.ns.iter().rev().find(|b| b.prefix == prefix).map(|b| b.uri.clone())
    }

    /// Reports a finding: `message` in sfstub's words, `cvc` in Xerces' (see [`Finding::cvc`]).
    fn report(&mut self, code: Code, at: usize, message: String, cvc: String) {
        if self.stopped {
            return;
        }
        if self.findings.len() >= self.limits.max_findings {
            let message = format!(
                "more than {} findings; the rest are not listed",
                self.limits.max_findings
            );
            let f = self.finding(Code::TooManyFindings, at, message.clone(), message);
            self.findings.push(f);
            self.stopped = true;
            return;
        }
        let f = self.finding(code, at, message, cvc);
        self.findings.push(f);
    }

    /// The path of local names to where the validator is: the open elements, the element
    /// being started and the attribute being checked.
    fn path(&self) -> String {
        let mut path = String::new();
        let names = self.stack.iter().map(|f| f.name).chain(self.current);
        for name in names {
            path.push('/');
            path.push_str(&crate::clip::clip(local_of(name)));
        }
        if let Some(a) = self.attribute {
            path.push_str("/@");
            path.push_str(&crate::clip::clip(local_of(a)));
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    fn finding(&mut self, code: Code, at: usize, message: String, cvc: String) -> Finding {
        let (line, column) = self.lines.position(self.input.bytes, at);
        let (first_line, first_column) = *self.first.get_or_insert_with(|| self.input.position());
        let (line, column) = if line == 1 {
            (first_line, first_column + column - 1)
        } else {
            (first_line + line - 1, column)
        };
        Finding {
            code,
            path: self.path(),
            line,
            column,
            offset: self.input.offset + at,
            message,
            cvc,
        }
    }

    /// Where `part` (a slice of an event of the input) starts in the input.
    fn offset_of(&self, part: &[u8]) -> usize {
        (part.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize)
    }

    /// `part` (a slice of an event of the input) as a slice of the input text with the input's
    /// lifetime; `None` if it is not one (never for the slice reader).
    fn text_of(&self, part: &[u8]) -> Option<&'a str> {
        let from = self.offset_of(part);
        self.text.get(from..from.checked_add(part.len())?)
    }

    /// Reads the input with the validator's own reader ([`lex`]); `false` when it met
    /// something only quick-xml reads, and the run has to start over with [`Run::go`].
    fn quick(&mut self, expected: Option<ElementId>) -> bool {
        let mut lexer = lex::Lexer::new(self.text, std::mem::take(&mut self.open));
        let mut seen_root = false;
        let done = loop {
            if self.stopped {
                break true;
            }
            let at = lexer.position();
            let Some(token) = lexer.next_token() else {
                break false;
            };
            // White space between elements (the indentation of most requests) where only
            // other text would matter: nothing to do (as `text` would do nothing with it).
            if let Token::Text(s) = token
                && self.ignores_blank_text()
                && is_blank(s)
            {
                continue;
            }
            if !self.event(token, at, expected, &mut seen_root) {
                break true;
            }
        };
        self.open = lexer.into_open();
        done
    }

    /// Whether [`Run::text`] does nothing with blank text where the run is: outside the
    /// element, in element content, or in content not checked.
    fn ignores_blank_text(&self) -> bool {
        self.stack
            .last()
            .is_none_or(|f| matches!(f.kind, Kind::Complex { .. } | Kind::Skip | Kind::Lax))
    }

    /// Reads the input with quick-xml.
    fn go(&mut self, expected: Option<ElementId>) {
        let mut reader = Reader::from_str(self.text);
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
                    let message = format!("not well-formed XML: {e}");
                    self.report(Code::NotWellFormed, pos.max(at), message.clone(), message);
                    return;
                }
            };
            let empty = matches!(event, Event::Empty(_));
            let token = match event {
                Event::Start(e) | Event::Empty(e) => {
                    let Some(tag) = self.text_of(&e) else {
                        return self.internal(at);
                    };
                    Token::Start {
                        tag,
                        name_len: e.name().as_ref().len(),
                        empty,
                    }
                }
                Event::End(_) => Token::End,
                // The slice reader splits text at references: this is literal text.
                Event::Text(t) => match self.text_of(&t) {
                    Some(s) => Token::Text(s),
                    None => return self.internal(at),
                },
                Event::CData(t) => match self.text_of(&t) {
                    Some(s) => Token::Text(s),
                    None => return self.internal(at),
                },
                Event::GeneralRef(r) => match self.text_of(&r) {
                    Some(s) => Token::Ref(s),
                    None => return self.internal(at),
                },
                Event::DocType(_) => {
                    let message = "a DOCTYPE is not allowed".to_owned();
                    self.report(Code::NotWellFormed, at, message.clone(), message);
                    return;
                }
                Event::Eof => Token::Eof,
                _ => continue,
            };
            if !self.event(token, at, expected, &mut seen_root) {
                return;
            }
        }
    }

    /// Handles what either reader found at `at`; `false` ends the run.
    fn event(&mut self, token: Token<'a>, at: usize, expected: Option<ElementId>, seen_root: &mut bool) -> bool {
        match token {
            Token::Start { .. } if self.stack.is_empty() && *seen_root => {
                let message = "content after the element".to_owned();
                self.report(Code::NotWellFormed, at, message.clone(), message);
                false
            }
            Token::Start { tag, name_len, empty } => {
                *seen_root = true;
                if !self.start(tag, name_len, at, expected) {
                    return false;
                }
                if empty {
                    self.end(at);
                }
                true
            }
            Token::End => {
                self.end(at);
                true
            }
            Token::Text(s) => {
                self.text(Cow::Borrowed(s), at);
                true
            }
            Token::Ref(name) => {
                let r = quick_xml::events::BytesRef::new(name);
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(Cow::Owned(c.to_string())),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(name).map(Cow::Borrowed),
                    Err(_) => None,
                };
                match resolved {
                    Some(s) => {
                        self.text(s, at);
                        true
                    }
                    None => {
                        let message = format!(
                            "a bad character or entity reference: &{};",
                            crate::clip::clip_bytes(name.as_bytes())
                        );
                        self.report(Code::NotWellFormed, at, message.clone(), message);
                        false
                    }
                }
            }
            Token::Eof => {
                let message = if !self.stack.is_empty() {
                    "the input ends inside an element"
                } else if !*seen_root {
                    "no element"
                } else {
                    return false;
                };
                self.report(Code::NotWellFormed, at, message.to_owned(), message.to_owned());
                false
            }
        }
    }

    /// An event that is not a slice of the input: cannot happen with the slice reader.
    fn internal(&mut self, at: usize) {
        let message = "the reader returned text that is not part of the input".to_owned();
        self.report(Code::NotWellFormed, at, message.clone(), message);
    }

    /// Handles a start tag (`tag`: its text between `<` and `>`, the name its first
    /// `name_len` bytes); `false` stops the run.
    fn start(&mut self, tag: &'a str, name_len: usize, at: usize, expected: Option<ElementId>) -> bool {
        let name = tag.get(..name_len).unwrap_or(tag);
        if self.stack.len() >= self.limits.max_depth {
            let message = format!(
                "nested deeper than {} elements; the rest is not checked",
                self.limits.max_depth
            );
            self.report(Code::DepthLimit, at, message.clone(), message);
            self.stopped = true;
            return false;
        }
        let bindings = self.ns.len();
        let mut attrs = std::mem::take(&mut self.attrs);
        attrs.clear();
        // Namespace declarations first: they apply to the element's own name and attributes.
        // Most elements have no attributes: nothing to read then.
        let has_attributes = tag.len() > name_len && !is_blank(&tag[name_len..]);
        if has_attributes {
            // Read in place when the tag has the usual shape, else by quick-xml from the start
            // (the pairs before the unusual one are the same either way, and read without
            // error, so nothing was reported).
            let mut plain = true;
            for pair in lex::Attributes::new(tag, name_len) {
                let Ok((key, raw)) = pair else {
                    plain = false;
                    break;
                };
                if !self.attribute(key, raw, name, at, &mut attrs) {
                    return false;
                }
            }
            if !plain {
                self.ns.truncate(bindings);
                attrs.clear();
                let mut attributes = quick_xml::events::attributes::Attributes::new(tag, name_len);
                attributes.with_checks(false);
                for a in attributes {
                    let a = match a {
                        Ok(a) => a,
                        Err(err) => {
                            self.current = Some(name);
                            let message = format!("a malformed attribute: {err}");
                            self.report(Code::NotWellFormed, at, message.clone(), message);
                            return false;
                        }
                    };
                    let (Some(key), Some(raw)) = (self.text_of(a.key.as_ref()), self.text_of(&a.value)) else {
                        self.internal(at);
                        return false;
                    };
                    if !self.attribute(key, raw, name, at, &mut attrs) {
                        return false;
                    }
                }
            }
        }
        let Some((ns, local)) = self.resolve(name, true) else {
            self.current = Some(name);
            let message = format!("the prefix of {} is not declared", crate::clip::clip(name));
            self.report(Code::NotWellFormed, at, message.clone(), message);
            return false;
        };
        for a in attrs.iter_mut() {
            let Some((ans, alocal)) = self.resolve(a.raw, false) else {
                self.current = Some(name);
                let message = format!(
                    "the prefix of the attribute {} is not declared",
                    crate::clip::clip(a.raw)
                );
                self.report(Code::NotWellFormed, at, message.clone(), message);
                return false;
            };
            a.ns = ans;
            a.local = alocal;
        }
        if let Some(twice) = repeated(&attrs) {
            self.current = Some(name);
            let message = format!("the attribute {} appears twice", crate::clip::clip(twice));
            self.report(Code::NotWellFormed, at, message.clone(), message);
            return false;
        }
        self.current = Some(name);
        let decl = self.declaration_for(&ns, local, at, expected);
        let kind = match decl {
            Decl::Element(id) => self.enter_element(id, &attrs, at),
            Decl::Skip => Kind::Skip,
            Decl::Lax => self.enter_lax(&attrs, at),
        };
        self.current = None;
        self.attrs = attrs;
        self.stack.push(Frame {
            kind,
            start: at,
            name,
            bindings,
            last_child: None,
        });
        true
    }

    /// Takes attribute `key` with value `raw` (as written) of element `name`: a namespace
    /// declaration is bound, any other attribute added to `attrs`. `false` (after reporting)
    /// when the value has a bad reference.
    fn attribute(&mut self, key: &'a str, raw: &'a str, name: &'a str, at: usize, attrs: &mut Vec<Attr<'a>>) -> bool {
        let value = if raw.contains('&') {
            match quick_xml::escape::unescape(raw) {
                Ok(v) => Cow::Owned(v.into_owned()),
                Err(err) => {
                    self.current = Some(name);
                    let message = format!("a bad attribute value: {err}");
                    self.report(Code::NotWellFormed, at, message.clone(), message);
                    return false;
                }
            }
        } else {
            Cow::Borrowed(raw)
        };
        if key == "xmlns" {
            self.ns.push(Binding { prefix: "", uri: value });
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            self.ns.push(Binding { prefix: p, uri: value });
        } else {
            attrs.push(Attr {
                raw: key,
                ns: Cow::Borrowed(""),
                local: key,
                value,
            });
        }
        true
    }

    #[inline]
    fn resolve(&self, qname: &'a str, element: bool) -> Option<(Cow<'a, str>, &'a str)> {
        match split_qname(qname) {
            Some((p, l)) => Some((self.lookup(p)?, l)),
            None if element => Some((self.lookup("").unwrap_or(Cow::Borrowed("")), qname)),
            None => Some((Cow::Borrowed(""), qname)),
        }
    }

    #[inline]
    fn text(&mut self, s: Cow<'a, str>, at: usize) {
        let Some(frame) = self.stack.last_mut() else {
            if !is_blank(&s) {
                let message = "text outside the element".to_owned();
                self.report(Code::NotWellFormed, at, message.clone(), message);
            }
            return;
        };
        let name = frame.name;
        let report = match &mut frame.kind {
            Kind::Simple { text, .. } => {
                if text.is_empty() {
                    *text = s;
                } else {
                    text.to_mut().push_str(&s);
                }
                None
            }
            Kind::Complex { mixed: true, .. } | Kind::Skip | Kind::Lax => None,
            Kind::Complex {
                text_reported, type_id, ..
            } => {
                if !*text_reported && !is_blank(&s) {
                    *text_reported = true;
                    Some((
                        Code::TextNotAllowed,
                        format!(
                            "text is not allowed here: {} has element-only content (found {:?})",
                            self.set.type_name(*type_id),
                            excerpt(&s)
                        ),
                        words::element_only(name),
                    ))
                } else {
                    None
                }
            }
            Kind::Empty { text_reported } => {
                if !*text_reported && !is_blank(&s) {
                    *text_reported = true;
                    Some((
                        Code::TextNotAllowed,
                        format!("the element must be empty (found {:?})", excerpt(&s)),
                        words::empty_content(name),
                    ))
                } else {
                    None
                }
            }
            Kind::Nil => (!is_blank(&s)).then(|| {
                (
                    Code::InvalidNil,
                    "an element with xsi:nil=\"true\" must be empty".to_owned(),
                    words::nil_content(name),
                )
            }),
        };
        if let Some((code, message, cvc)) = report {
            self.report(code, at, message, cvc);
        }
    }

    #[inline]
    fn end(&mut self, at: usize) {
        // Off the stack at once (its kind moved out, nothing left to drop); while its content
        // is checked it is the element being ended, named in paths as the open elements' next.
        let Some(Frame {
            kind,
            start,
            name,
            bindings,
            ..
        }) = self.stack.pop()
        else {
            return;
        };
        self.current = Some(name);
        match kind {
            Kind::Simple { type_id, text, decl } => {
                let (default, fixed) = match decl {
                    Some(d) => {
                        let d = self.set.element(d);
                        (d.default.as_deref(), d.fixed.as_deref())
                    }
                    None => (None, None),
                };
                let value: Cow<'_, str> = if text.is_empty() {
                    Cow::Borrowed(default.or(fixed).unwrap_or(""))
                } else {
                    text
                };
                self.check_value(type_id, &value, fixed, start, name, None);
            }
            Kind::Complex { type_id, state, .. } => {
                self.content_ends(type_id, &state, at, name);
                self.spare_state(state);
            }
            _ => {}
        }
        self.current = None;
        // The element's own declarations applied to its values (QNames): dropped only now.
        self.ns.truncate(bindings);
    }

    /// Checks that the content of type `type_id` may end in `state`.
    fn content_ends(&mut self, type_id: TypeId, state: &State, at: usize, name: &str) {
        if let Some(TypeDef::Complex(ct)) = self.set.types.get(type_id.0 as usize)
            && let Content::Elements(p) = &ct.content
            && !content::satisfied(p, state)
        {
            let mut missing = Vec::new();
            content::missing(self.set, p, state, &mut missing);
            let what = if missing.len() == 1 {
                missing[0].clone()
            } else {
                format!("one of {}", missing.join(", "))
            };
            let mut names = Vec::new();
            content::missing_next(self.set, p, state, &mut names);
            self.report(
                Code::MissingElement,
                at,
                format!("a required element is missing before the end: expected {what}"),
                words::incomplete(name, &names),
            );
        }
    }
}

/// The name of an attribute that appears twice (by expanded name), if any. Pairwise for the
/// usual few attributes, by sorting for many.
fn repeated<'x>(attrs: &[Attr<'x>]) -> Option<&'x str> {
    if attrs.len() <= 16 {
        for (i, a) in attrs.iter().enumerate() {
            if attrs[..i].iter().any(|b| b.local == a.local && b.ns == a.ns) {
                return Some(a.raw);
            }
        }
        return None;
    }
    let mut keys: Vec<(&str, &str, &'x str)> = attrs.iter().map(|a| (a.local, a.ns.as_ref(), a.raw)).collect();
    keys.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    keys.windows(2)
        .find(|w| (w[0].0, w[0].1) == (w[1].0, w[1].1))
        .map(|w| w[1].2)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xsd::Source;

    /// The findings when the input is read with quick-xml only.
    fn with_quick_xml(set: &SchemaSet, bytes: &[u8]) -> Vec<Finding> {
        let input = Instance::new(bytes);
        let text = std::str::from_utf8(bytes).expect("UTF-8 input");
        let mut run = Run::new(set, &input, text, Limits::default(), Scratch::default());
        run.go(None);
        run.findings
    }

    /// The declarations of an ancestor's start tag as quick-xml reads them.
    fn read_by_quick_xml(tag: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
        match Reader::from_reader(tag).read_event() {
            Ok(Event::Start(e)) => declarations(tag, &[e]),
            _ => Vec::new(),
        }
    }

    /// An ancestor's start tag read in place declares what quick-xml reads in it; tags it does
    /// not read in place are left to quick-xml.
    #[test]
    fn start_tags_read_in_place_declare_what_quick_xml_reads() {
        fn declared(tag: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
            let whole = 0..tag.len();
            let end = tag.len()..tag.len();
            let read = Instance::below(tag.as_bytes(), end.clone(), std::slice::from_ref(&whole)).namespaces;
            // The same when the tag is known to be text.
            let text = Instance::below_text(tag, end, std::slice::from_ref(&whole)).namespaces;
            assert_eq!(read, text, "{tag}");
            read
        }
        let envelope = "<s:Envelope xmlns:s=\"urn:s\" xmlns='urn:d' xmlns:k=\"urn:k?a=1&amp;b=2\" a=\"xmlns:x\">";
        // A tag of the usual shape is read in place; one with a reference is left to quick-xml.
        let plain = "<s:Envelope xmlns:s=\"urn:s\" xmlns='urn:d' a=\"xmlns:x\">";
        let mut read = Vec::new();
        assert!(declare_plain(plain, &mut read).is_some());
        assert_eq!(read, read_by_quick_xml(plain.as_bytes()));
        assert!(declare_plain(envelope, &mut Vec::new()).is_none());
        assert_eq!(declared(envelope), read_by_quick_xml(envelope.as_bytes()));
        assert_eq!(declared(envelope).len(), 3);
        use proptest::prelude::*;
        let pieces = prop::sample::select(vec![
            "<",
            ">",
            "/",
            "!",
            "?",
            " ",
            "\t",
            "a",
            "xmlns",
            "xmlns:",
            "p",
            "=",
            "\"",
            "'",
            "&amp;",
            "&",
            "é",
            "urn:x",
            "xmlns:p=\"urn:p\"",
            " xmlns='urn:d'",
            "=\"",
            "\" ",
        ]);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 2000,
            ..Default::default()
        });
        runner
            .run(&prop::collection::vec(pieces, 0..20), |pieces| {
                let tag = format!("<{}", pieces.concat());
                prop_assert_eq!(declared(&tag), read_by_quick_xml(tag.as_bytes()));
                let tag = format!("<x {}>", pieces.concat());
                prop_assert_eq!(declared(&tag), read_by_quick_xml(tag.as_bytes()));
                Ok(())
            })
            .unwrap();
    }

    /// Whichever reader reads a document, the findings are the same: the validator's own
    /// reader hands what it does not read to quick-xml, for damaged documents too.
    #[test]
    fn both_readers_find_the_same() {
        let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
            <xs:element name="r"><xs:complexType><xs:sequence>
              <xs:element name="when" type="xs:dateTime"/><xs:element name="n" type="xs:decimal" maxOccurs="2"/>
              <xs:element name="id"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9a-f]{8}"/></xs:restriction></xs:simpleType></xs:element>
              <xs:element name="e"><xs:complexType/></xs:element>
              <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
            </xs:sequence><xs:attribute name="a" type="xs:QName"/></xs:complexType></xs:element></xs:schema>"#;
        let set = SchemaSet::load(&Source::memory([("t.xsd", xsd)]), &["t.xsd"]).expect("the schema loads");
        let doc = "<t:r xmlns:t=\"urn:t\" a=\"t:x\">\n <t:when>2026-11-22T12:00:00+01:00</t:when><t:n>-1.50</t:n><t:n>2</t:n>\
                   <t:id>0123abcd</t:id><t:e/><t:other>é&amp;</t:other></t:r>";
        assert!(set.validate(doc.as_bytes(), None).is_empty());
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 1000,
            ..Default::default()
        });
        use proptest::prelude::*;
        let inserts = prop::sample::select(vec![
            "é",
            "<",
            ">",
            "&",
            "&amp;",
            "&#0;",
            "\"",
            "'",
            "",
            "x",
            "/",
            "<!-- c -->",
            "<t:n>1</t:n>",
            "</t:n>",
            " b='1'",
            "xmlns='urn:t'",
            "<![CDATA[x]]>",
            "\u{feff}",
        ]);
        runner
            .run(&(0..doc.len(), inserts, 0..4usize), |(at, insert, cut)| {
                let mut bytes = doc.as_bytes().to_vec();
                let end = (at + cut).min(bytes.len());
                bytes.splice(at..end, insert.bytes());
                if std::str::from_utf8(&bytes).is_ok() {
                    prop_assert_eq!(set.validate(&bytes, None), with_quick_xml(&set, &bytes));
                }
                Ok(())
            })
            .unwrap();
    }
}
