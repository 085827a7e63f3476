//! The envelope reader's own reader for the requests SOAP clients send: UTF-8, start, end and
//! empty-element tags with quoted attributes, literal text, the five predefined entity
//! references and character references (`&amp;`, `&#230;`, `&#xE6;`) in text and attribute
//! values, comments anywhere, and processing instructions (an XML declaration) before or after
//! the Envelope. It reads them as [`super::parse_envelope`]'s quick-xml pass does — same
//! limits, same namespace resolution, same envelope, operation and leaves — at a fraction of
//! the cost (no events, no attribute iterator, no allocation per tag or scope). Anything else —
//! CDATA, a DOCTYPE, a reference quick-xml would not resolve (an unknown entity, `&#0;`, a
//! reference without its `;`), a character XML 1.0 does not allow, written (a control
//! character, U+FFFE) or referenced (`&#1;`, in text or in any attribute value), a byte order mark, a name outside ASCII's letters, digits, `_`,
//! `-`, `.` and one `:`, nesting deeper than [`MAX_OPEN`], more than [`MAX_BINDINGS`]
//! declarations in scope or [`MAX_TAG_ATTRIBUTES`] on a tag — and everything the quick-xml pass
//! would refuse ends it with `None`: the request is then read by the quick-xml pass from the
//! start, so every fault is that pass's, word for word.
//!
//! Cost: each byte is looked at a bounded number of times (all of them once, in blocks, for
//! the characters XML does not allow; a tag's name once to read it and at
//! most once more to compare its end tag's name; an attribute name at most
//! [`MAX_TAG_ATTRIBUTES`] times for duplicates; a prefix at most [`MAX_BINDINGS`] times to
//! resolve it; a leaf's text once more to copy it, and once before that when a comment or a
//! reference splits it; a namespace declaration's value once more, when a reference is in it,
//! to resolve it), so reading is linear in the input, and a request it gives up on costs
//! at most this pass over it on top of the quick-xml pass.

use std::ops::Range;
use std::sync::Arc;

use memchr::{memchr, memchr_iter, memchr2, memchr3};

use super::scan::{is_space, next_markup, same_name};
use super::xml::{
    Leaves as LeafList, MAX_LEAVES, MAX_PATH, OVERLONG_PATH, bad_char_reference_in_value, char_reference,
    forbidden_character,
};
use super::{Declared, Envelope, Limits, Name, Operation, RequestAddressing, SOAP11_NS, SOAP12_NS, SoapVersion};

/// The deepest nesting read here (the Envelope is 1).
pub(super) const MAX_OPEN: usize = 32;
/// The most namespace declarations in scope read here.
pub(super) const MAX_BINDINGS: usize = 32;
/// The most attributes on one tag read here (each name is compared with those before it).
pub(super) const MAX_TAG_ATTRIBUTES: usize = 16;

/// The namespaces `xml` and `xmlns` are bound to: declarations of them are left to quick-xml.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// A namespace declaration in scope: the prefix (`None`: the default namespace) and the
/// namespace as written (empty: undeclared).
#[derive(Clone, Copy)]
struct Binding<'a> {
    prefix: Option<&'a [u8]>,
    uri: Namespace<'a>,
}

/// A namespace as written in its declaration, and where its references are resolved when
/// a reference (`&`) is in it.
#[derive(Clone, Copy)]
struct Namespace<'a> {
    written: &'a str,
    /// The index in [`read`]'s list of namespaces with references of this one, resolved once
    /// when it is declared: resolved for every element it names, a long one declared once
    /// would cost its length for each of many Header children.
    escaped: Option<usize>,
}

impl<'a> Namespace<'a> {
    /// The namespace as the quick-xml pass names the Envelope's and the Header's and Body's
    /// children's: with its references resolved (`resolved`: the list `escaped` indexes);
    /// `None` when a reference in it is not one quick-xml resolves (that pass then names it
    /// as written).
    fn named<'s>(self, resolved: &'s [Option<String>]) -> Option<&'s str>
    where
        'a: 's,
    {
        match self.escaped {
            None => Some(self.written),
            Some(i) => resolved.get(i)?.as_deref(),
        }
    }
}

/// An open element: its name as written and the number of bindings before its own.
#[derive(Clone, Copy)]
struct Open<'a> {
    name: &'a [u8],
    bindings: usize,
}

/// The namespace declarations in scope, innermost last.
struct Scopes<'a> {
    list: [Binding<'a>; MAX_BINDINGS],
    len: usize,
}

impl<'a> Scopes<'a> {
    fn push(&mut self, binding: Binding<'a>) -> Option<()> {
        *self.list.get_mut(self.len)? = binding;
        self.len += 1;
        Some(())
    }

    /// The innermost declaration of `prefix`, as written.
    #[inline(always)]
    fn find(&self, prefix: Option<&[u8]>) -> Option<Namespace<'a>> {
        // Prefixes are short: compared here, not by a call to `memcmp`; a long one (a client's
        // are a few letters) by `memcmp`: a request of many long prefixes that differ only at
        // their ends then costs per byte about what the quick-xml pass's lookups cost, not a
        // byte loop per declaration in scope for every tag.
        let same = |declared: Option<&[u8]>| match (declared, prefix) {
            (None, None) => true,
            (Some(a), Some(b)) if a.len() != b.len() => false,
            (Some(a), Some(b)) if a.len() <= 8 => a.iter().zip(b).all(|(x, y)| x == y),
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        self.list[..self.len]
            .iter()
            .rev()
            .find(|b| same(b.prefix))
            .map(|b| b.uri)
    }
}

/// The bytes of a name read here, but its one colon.
const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
        b += 1;
    }
    table
};

/// The end of the name at `from` and where its colon is, if it has one; `None` when no name
/// of the kind read here starts there.
pub(crate) fn name_at(bytes: &[u8], from: usize) -> Option<(usize, Option<usize>)> {
    let first = *bytes.get(from)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    // Name bytes, then one colon and name bytes again, if a colon follows.
    let run = |from: usize| {
        let rest = bytes.get(from..).unwrap_or_default();
        from + rest
            .iter()
            .position(|&b| !NAME_BYTES[usize::from(b)])
            .unwrap_or(rest.len())
    };
    let mut colon = None;
    let mut at = run(from + 1);
    if bytes.get(at) == Some(&b':') {
        colon = Some(at);
        at = run(at + 1);
    }
    // A colon has a name on either side.
    if colon == Some(at - 1) {
        return None;
    }
    Some((at, colon))
}

/// Where a start tag goes on from `at` (just past its name or an attribute's closing quote).
pub(crate) enum TagStep {
    /// The tag ends; `after` is past its `>`.
    End { after: usize, empty: bool },
    /// An attribute: its key from `start` to `key_end` (with its colon, if any), then `=` and
    /// `quote`; its value starts at `key_end + 2`.
    Attribute {
        start: usize,
        key_end: usize,
        colon: Option<usize>,
        quote: u8,
    },
}

/// The next step through a start tag from `at`: white space, then the tag's end or an
/// attribute written `key="` or `key='`; `None` for anything the plain readers leave to
/// quick-xml (white space around `=`, no white space before a key, a name not read here).
#[inline(always)]
pub(crate) fn tag_step(bytes: &[u8], mut at: usize) -> Option<TagStep> {
    loop {
        match *bytes.get(at)? {
            b'>' => {
                return Some(TagStep::End {
                    after: at + 1,
                    empty: false,
                });
            }
            b'/' if bytes.get(at + 1) == Some(&b'>') => {
                return Some(TagStep::End {
                    after: at + 2,
                    empty: true,
                });
            }
            b if is_space(b) => {}
            _ => return None,
        }
        while bytes.get(at).is_some_and(|&b| is_space(b)) {
            at += 1;
        }
        if matches!(bytes.get(at), Some(b'>' | b'/')) {
            continue;
        }
        let (key_end, colon) = name_at(bytes, at)?;
        let quote = *bytes.get(key_end + 1)?;
        if bytes[key_end] != b'=' || (quote != b'"' && quote != b'\'') {
            return None;
        }
        return Some(TagStep::Attribute {
            start: at,
            key_end,
            colon,
            quote,
        });
    }
}

/// The end of the processing instruction whose `<` is at `lt` (after its `?>`), as quick-xml
/// finds it; `None` unless a name follows `<?`.
pub(crate) fn instruction_end(bytes: &[u8], lt: usize) -> Option<usize> {
    if !bytes.get(lt + 2)?.is_ascii_alphabetic() {
        return None;
    }
    let from = lt + 3;
    memchr_iter(b'>', bytes.get(from..)?)
        .map(|i| from + i)
        .find(|&gt| bytes[gt - 1] == b'?')
        .map(|gt| gt + 1)
}

/// The end of the comment whose `<` is at `lt` (after its `-->`), as quick-xml finds it: the
/// first `-->` after the `<!--` (`<!--->` does not end there); `None` unless `<!--` starts
/// there and a `-->` follows. What a comment holds is not looked at (`--` in it included), as
/// quick-xml does not by default.
#[cold]
#[inline(never)]
pub(crate) fn comment_end(bytes: &[u8], lt: usize) -> Option<usize> {
    if bytes.get(lt..lt + 4)? != b"<!--" {
        return None;
    }
    // The `>` of the shortest comment, `<!---->`.
    let from = lt + 6;
    memchr_iter(b'>', bytes.get(from..)?)
        .map(|i| from + i)
        .find(|&gt| &bytes[gt - 2..gt] == b"--")
        .map(|gt| gt + 1)
}

/// The text of the CDATA section whose `<` is at `lt`, as a byte range of `bytes` (between
/// `<![CDATA[` and the first `]]>`); `None` when no CDATA section starts there or it does not
/// end. (The plain readers of a Header and of a signature's tree read CDATA sections; the
/// envelope reader leaves them to quick-xml.)
pub(crate) fn cdata_at(bytes: &[u8], lt: usize) -> Option<Range<usize>> {
    const OPEN: &[u8] = b"<![CDATA[";
    if !bytes.get(lt..)?.starts_with(OPEN) {
        return None;
    }
    let from = lt + OPEN.len();
    let end = from + memchr::memmem::find(&bytes[from..], b"]]>")?;
    Some(from..end)
}

/// The character the reference whose `&` is at `amp` stands for, and the reference's end
/// (after its `;`), as quick-xml reads and resolves it (its reader ends a reference at the first
/// `;`, `&` or `<`; [`super::xml::resolve_reference`] resolves it); `None` for a reference that
/// is refused there.
#[cold]
#[inline(never)]
pub(crate) fn reference_at(text: &str, amp: usize) -> Option<(char, usize)> {
    let from = amp + 1;
    let semicolon = from + memchr3(b';', b'&', b'<', text.as_bytes().get(from..)?)?;
    if text.as_bytes()[semicolon] != b';' {
        return None;
    }
    let c = match text.get(from..semicolon)? {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        name => char_reference(name.strip_prefix('#')?.as_bytes()).ok()?,
    };
    Some((c, semicolon + 1))
}

/// Whether the quick-xml pass refuses a character reference in an attribute value with a
/// reference in it.
#[cold]
#[inline(never)]
fn refuses_a_reference(value: &[u8]) -> bool {
    bad_char_reference_in_value(value).is_some()
}

/// An attribute value with its references resolved as quick-xml's `unescape` resolves them;
/// `None` when one is not resolved there.
#[cold]
#[inline(never)]
fn unescaped(uri: &str) -> Option<String> {
    #[cfg(test)]
    tests::UNESCAPED.with(|n| n.set(n.get() + uri.len()));
    let mut out = String::with_capacity(uri.len());
    let mut from = 0;
    let mut amp = memchr(b'&', uri.as_bytes());
    while let Some(at) = amp {
        out.push_str(&uri[from..at]);
        let (c, end) = reference_at(uri, at)?;
        out.push(c);
        from = end;
        amp = memchr(b'&', &uri.as_bytes()[from..]).map(|i| from + i);
    }
    out.push_str(&uri[from..]);
    Some(out)
}

/// The operation's leaves as [`super::xml::Leaves`] reads them, from the positions of its
/// tags: an element's text is one slice of the input, unless comments or references split it.
struct Leaves {
    /// The path of the open element below the operation.
    path: String,
    /// Where each open element's part of `path` starts, by depth.
    starts: [usize; MAX_OPEN + 1],
    leaves: LeafList,
    /// Where the text of the innermost open element starts, or goes on after a comment or a
    /// reference.
    text_from: usize,
    /// The text of the innermost open element before `text_from`, references resolved, when a
    /// comment or a reference split it (`is_split`); otherwise its text is one slice of the input.
    before: String,
    is_split: bool,
    has_child: bool,
    /// Per leaf, the byte range of its text as written (`None`: an empty-element tag), while
    /// every leaf's text is one slice of the input (`shaped`): [`Operation::shape`].
    shape: Vec<Option<Range<usize>>>,
    shaped: bool,
}

impl Leaves {
    fn new() -> Leaves {
        Leaves {
            path: String::with_capacity(64),
            starts: [0; MAX_OPEN + 1],
            // Room for a K2017 request's leaves (KontrolsagListeHent's take 268 bytes).
            leaves: LeafList::with_capacity(512),
            text_from: 0,
            before: String::new(),
            is_split: false,
            has_child: false,
            shape: Vec::new(),
            shaped: true,
        }
    }

    /// A start tag at `depth` (the operation's children are at 4) whose `>` ends before `after`.
    fn start(&mut self, depth: usize, local: &str, after: usize) -> Option<()> {
        *self.starts.get_mut(depth)? = self.path.len();
        if !self.path.is_empty() {
            self.path.push('/');
        }
        self.path.push_str(local);
        self.text_from = after;
        self.is_split = false;
        self.has_child = false;
        Some(())
    }

    /// A comment (`resolved`: `None`) or a reference to `resolved` from `at` to `resume` in the
    /// innermost open element's text.
    #[cold]
    #[inline(never)]
    fn split(&mut self, text: &str, at: usize, resume: usize, resolved: Option<char>) -> Option<()> {
        // Not a leaf: its text is not read.
        if self.has_child {
            return Some(());
        }
        if !self.is_split {
            self.before.clear();
            self.is_split = true;
        }
        self.shaped = false;
        self.before.push_str(text.get(self.text_from..at)?);
        if let Some(c) = resolved {
            self.before.push(c);
        }
        self.text_from = resume;
        Some(())
    }

    /// An empty element below the operation; `None` past [`MAX_LEAVES`] (the quick-xml pass
    /// then says why the leaves are not read).
    fn empty(&mut self, local: &str) -> Option<()> {
        if self.leaves.len() >= MAX_LEAVES {
            return None;
        }
        match self.path.len() + local.len() + 1 > MAX_PATH {
            true => self.leaves.push(OVERLONG_PATH, None, ""),
            false => self.leaves.push(&self.path, Some(local), ""),
        }
        self.shape.push(None);
        self.has_child = true;
        Some(())
    }

    /// The end tag at `depth` (below the operation) that starts at `lt`.
    fn end(&mut self, depth: usize, text: &str, lt: usize) -> Option<()> {
        let split = std::mem::take(&mut self.is_split);
        if !self.has_child {
            if self.leaves.len() >= MAX_LEAVES {
                return None;
            }
            let path = match self.path.len() > MAX_PATH {
                true => OVERLONG_PATH,
                false => &self.path,
            };
            let rest = text.get(self.text_from..lt)?;
            self.shape.push(Some(self.text_from..lt));
            let text = match split {
                false => rest.trim(),
                true => {
                    self.before.push_str(rest);
                    self.before.trim()
                }
            };
            self.leaves.push(path, None, text);
        }
        self.path.truncate(*self.starts.get(depth)?);
        self.has_child = true;
        Some(())
    }
}

/// The operation while it is open.
struct Pending {
    local_name: Name,
    namespace: Option<Name>,
    start: usize,
    leaves: Leaves,
    declared: Option<Arc<[Declared]>>,
}

/// The declarations in scope (`bindings`, slices of `input`) as [`Operation::declared`] keeps
/// them: `None` when a namespace has a reference in it. (Kept out of [`read_text`], which is
/// called once: inlined, it made that loop's code larger and the compiler stopped inlining
/// [`Scopes::find`] there, ~450 instructions a request more, callgrind on
/// examples/request_cost.)
#[inline(never)]
fn declared(bindings: &[Binding<'_>], input: &[u8]) -> Option<Arc<[Declared]>> {
    let at = |part: &[u8]| {
        let from = (part.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
        from..from + part.len()
    };
    bindings
        .iter()
        .map(|b| match b.uri.escaped {
            Some(_) => None,
            None => Some(Declared {
                prefix: b.prefix.map_or(0..0, at),
                namespace: at(b.uri.written.as_bytes()),
            }),
        })
        .collect()
}

/// Reads `input` as the quick-xml pass of [`super::parse_envelope`] would, when it is of the
/// kind read here (see the module doc) and that pass would accept it; `None` otherwise.
pub(super) fn read(input: &[u8], limits: Limits) -> Option<Envelope> {
    read_text(std::str::from_utf8(input).ok()?, limits)
}

/// [`read`] of an input known to be UTF-8.
pub(super) fn read_text(text: &str, limits: Limits) -> Option<Envelope> {
    let bytes = text.as_bytes();
    if forbidden_character(bytes).is_some() {
        return None;
    }
    let mut open = [Open { name: &[], bindings: 0 }; MAX_OPEN];
    let mut depth = 0usize;
    let mut scopes = Scopes {
        list: [Binding {
            prefix: None,
            uri: Namespace {
                written: "",
                escaped: None,
            },
        }; MAX_BINDINGS],
        len: 0,
    };
    let mut version: Option<SoapVersion> = None;
    let mut closed_envelope = false;
    let mut seen_header = false;
    let mut seen_body = false;
    let mut in_header = false;
    let mut in_body = false;
    let mut header: Option<Range<usize>> = None;
    let mut header_start = 0usize;
    let mut security_header = false;
    let mut addressing: Option<RequestAddressing> = None;
    // Inside the header's wsa:MessageID: its text so far.
    let mut message_id: Option<String> = None;
    let mut ancestors = [0..0, 0..0];
    let mut pending: Option<Pending> = None;
    let mut operation: Option<Operation> = None;
    // The attribute names of the tag being read.
    let mut names: [&[u8]; MAX_TAG_ATTRIBUTES] = [&[]; MAX_TAG_ATTRIBUTES];
    // The namespace declarations with references, resolved ([`Namespace::escaped`]).
    let mut resolved: Vec<Option<String>> = Vec::new();
    let mut pos = 0usize;

    loop {
        // Text up to the next tag or reference.
        let next = match bytes.get(pos) {
            Some(b'<') => Some(pos),
            _ => next_markup(bytes.get(pos..)?).map(|i| pos + i),
        };
        let lt = next.unwrap_or(bytes.len());
        if let Some(id) = message_id.as_mut() {
            super::xml::push_line_normalised(id, text.get(pos..lt)?);
        } else if lt > pos && depth <= 2 && !in_header && bytes[pos..lt].iter().any(|b| !b.is_ascii_whitespace()) {
            return None;
        }
        if next.is_none() {
            break;
        }
        if bytes[lt] == b'&' {
            // Outside the MessageID and the operation's leaves the quick-xml pass does not read
            // what a reference stands for (nor refuses one), but one it would not resolve is
            // left to it all the same.
            let (c, end) = reference_at(text, lt)?;
            if let Some(id) = message_id.as_mut() {
                id.push(c);
            } else if depth > 3
                && let Some(op) = pending.as_mut()
            {
                op.leaves.split(text, lt, end, Some(c))?;
            }
            pos = end;
            continue;
        }
        match bytes.get(lt + 1) {
            Some(b'!') => {
                let end = comment_end(bytes, lt)?;
                if depth > 3
                    && let Some(op) = pending.as_mut()
                {
                    op.leaves.split(text, lt, end, None)?;
                }
                pos = end;
            }
            Some(b'/') => {
                let top = *open.get(depth.checked_sub(1)?)?;
                let name_end = lt + 2 + top.name.len();
                if !same_name(bytes.get(lt + 2..name_end)?, top.name) || bytes.get(name_end) != Some(&b'>') {
                    return None;
                }
                let after = name_end + 1;
                scopes.len = top.bindings;
                if depth == 3
                    && let Some(id) = message_id.take()
                {
                    addressing.as_mut()?.message_id = Some(id.trim().to_owned());
                }
                match depth {
                    1 => closed_envelope = true,
                    2 if in_header => {
                        in_header = false;
                        header = Some(header_start..lt);
                    }
                    2 if in_body => in_body = false,
                    3 => {
                        if let Some(op) = pending.take() {
                            operation = Some(Operation {
                                local_name: op.local_name,
                                namespace: op.namespace,
                                range: op.start..after,
                                ancestors: ancestors.clone(),
                                shape: op.leaves.shaped.then_some(op.leaves.shape),
                                leaves: Ok(op.leaves.leaves),
                                declared: op.declared,
                            });
                        }
                    }
                    _ => {
                        if let Some(op) = pending.as_mut() {
                            op.leaves.end(depth, text, lt)?;
                        }
                    }
                }
                depth -= 1;
                pos = after;
            }
            Some(b'?') if depth == 0 => pos = instruction_end(bytes, lt)?,
            _ => {
                // A start tag: its name, then its attributes.
                let (name_end, colon) = name_at(bytes, lt + 1)?;
                let bindings = scopes.len;
                let mut count = 0usize;
                let mut at = name_end;
                let is_empty = loop {
                    let (key_end, key_colon, quote) = match tag_step(bytes, at)? {
                        TagStep::End { after, empty } => {
                            at = after;
                            break empty;
                        }
                        TagStep::Attribute {
                            start,
                            key_end,
                            colon,
                            quote,
                        } => {
                            at = start;
                            (key_end, colon, quote)
                        }
                    };
                    let key = &bytes[at..key_end];
                    let value_start = key_end + 2;
                    // The value's end, and whether a reference is in it: one is read only in a
                    // namespace declaration's, where the quick-xml pass reads it
                    // ([`Namespace::named`]). A `<` in a value is left to quick-xml.
                    let mut value_end = value_start + memchr3(quote, b'<', b'&', &bytes[value_start..])?;
                    let escaped = bytes[value_end] == b'&';
                    if escaped {
                        value_end += memchr2(quote, b'<', &bytes[value_end..])?;
                    }
                    if bytes[value_end] == b'<' || (escaped && refuses_a_reference(&bytes[value_start..value_end])) {
                        return None;
                    }
                    if count >= limits.max_attributes || count == MAX_TAG_ATTRIBUTES || names[..count].contains(&key) {
                        return None;
                    }
                    names[count] = key;
                    count += 1;
                    if key.starts_with(b"xmlns") {
                        let prefix = match key_colon {
                            None if key.len() == 5 => None,
                            Some(c) if c == at + 5 => Some(&bytes[c + 1..key_end]),
                            _ => return None,
                        };
                        let written = text.get(value_start..value_end)?;
                        if matches!(prefix, Some(b"xml" | b"xmlns")) || written == XML_NS || written == XMLNS_NS {
                            return None;
                        }
                        let escaped = escaped.then(|| {
                            resolved.push(unescaped(written));
                            resolved.len() - 1
                        });
                        let uri = Namespace { written, escaped };
                        scopes.push(Binding { prefix, uri })?;
                    }
                    at = value_end + 1;
                };
                if depth >= limits.max_depth || scopes.len > limits.max_namespaces || closed_envelope {
                    return None;
                }
                let before = lt;
                let after = at;
                let local = text.get(colon.map_or(lt + 1, |c| c + 1)..name_end)?;
                let namespace = match colon {
                    None => scopes.find(None),
                    Some(c) => {
                        let prefix = &bytes[lt + 1..c];
                        if prefix == b"xml" || prefix == b"xmlns" {
                            return None;
                        }
                        Some(scopes.find(Some(prefix)).filter(|uri| !uri.written.is_empty())?)
                    }
                }
                .filter(|uri| !uri.written.is_empty());
                depth += 1;
                match depth {
                    1 => {
                        if local != "Envelope" || is_empty {
                            return None;
                        }
                        version = match namespace?.named(&resolved)? {
                            SOAP11_NS => Some(SoapVersion::V11),
                            SOAP12_NS => Some(SoapVersion::V12),
                            _ => return None,
                        };
                        ancestors[0] = before..after;
                    }
                    2 => match local {
                        "Header" if !seen_header && !seen_body => {
                            seen_header = true;
                            in_header = !is_empty;
                            header_start = after;
                            if is_empty {
                                header = Some(after..after);
                            }
                        }
                        "Body" if !seen_body && !is_empty => {
                            seen_body = true;
                            in_body = true;
                            ancestors[1] = before..after;
                        }
                        _ => return None,
                    },
                    3 if in_header => {
                        let namespace = match namespace {
                            Some(uri) => Some(uri.named(&resolved)?),
                            None => None,
                        };
                        super::header_block(
                            local.as_bytes(),
                            namespace,
                            is_empty,
                            &mut security_header,
                            &mut addressing,
                            &mut message_id,
                        )
                    }
                    3 if in_body => {
                        if operation.is_some() || pending.is_some() {
                            return None;
                        }
                        let local_name = Name::from(local);
                        let namespace = match namespace {
                            Some(uri) => Some(Name::from(uri.named(&resolved)?)),
                            None => None,
                        };
                        let declared = declared(&scopes.list[..bindings], bytes);
                        if is_empty {
                            operation = Some(Operation {
                                local_name,
                                namespace,
                                range: before..after,
                                ancestors: ancestors.clone(),
                                leaves: Ok(LeafList::default()),
                                declared,
                                shape: Some(Vec::new()),
                            });
                        } else {
                            pending = Some(Pending {
                                local_name,
                                namespace,
                                start: before,
                                leaves: Leaves::new(),
                                declared,
                            });
                        }
                    }
                    _ => {
                        if let Some(op) = pending.as_mut() {
                            match is_empty {
                                true => op.leaves.empty(local)?,
                                false => op.leaves.start(depth, local, after)?,
                            }
                        }
                    }
                }
                if is_empty {
                    depth -= 1;
                    scopes.len = bindings;
                } else {
                    *open.get_mut(depth - 1)? = Open {
                        name: &bytes[lt + 1..name_end],
                        bindings,
                    };
                }
                pos = after;
            }
        }
    }
    if depth != 0 || !closed_envelope {
        return None;
    }
    Some(Envelope {
        version: version?,
        header,
        security_header,
        addressing,
        operation: operation?,
        action: None,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::oracle::generate::{ANY, Alphabet, element, limits, request};
    use super::*;

    /// Only what this reader reads: whatever of it quick-xml accepts, this reader must read.
    const PLAIN: Alphabet = Alphabet {
        attributes: &[
            " xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"",
            " xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"",
            " xmlns=\"http://www.w3.org/2003/05/soap-envelope\"",
            " xmlns:s=\"urn:nope\"",
            " xmlns:k=\"urn:k\"",
            " xmlns:k='urn:k'",
            " xmlns:k=\"\"",
            " xmlns=\"\"",
            " xmlns=\"urn:d\"",
            " xmlns:w=\"http://www.w3.org/2005/08/addressing\"",
            " xml:lang=\"da\"",
            " a=\"1\"",
            " a=\"2\"",
            " b='x'",
            " b:c='x\"y'",
            " e=\"x>y/\"",
            "\t\r\nf=\"\"",
            " k:h=\"1\"",
            " revision-number.x=\"1\"",
            " k:KontrolsagSoeg=\"1\"",
            " i=\"æ\"",
            " j=\"&amp;&bogus; &\"",
            " l=\"&#1;\"",
            " m=\"&#x20;&#xA;&#13;\"",
            " n=\"\u{1}\"",
            " xmlns:k=\"urn:k&amp;&#230;&#xE6;&lt;&gt;&apos;&quot;\"",
            " xmlns:w=\"http://www.w3.org/2005/08/addressin&#x67;\"",
            "  ",
        ],
        names: &[
            "s:Envelope",
            "Envelope",
            "s:Header",
            "Header",
            "s:Body",
            "Body",
            "k:Op",
            "Op",
            "w:MessageID",
            "w:Action",
            "Security",
            "k:Security",
            "k:A",
            "B",
            "a.b-c_1",
            "_x",
            "k:KontrolsagSoegKriterie",
            "Kontrolsag.Soeg-Kriterie_1",
        ],
        texts: &[
            "",
            " ",
            "\n  ",
            "\t\r\n",
            "\u{c}",
            "\u{a0}",
            "x",
            " x y ",
            ">",
            "]]>",
            "æ",
            "<!--Optional:-->",
            "<!---->",
            "<!-- a -- b --->",
            "<!--->-->",
            "<!--<a>&bogus;-->",
            "&amp;",
            "&lt;&gt;&apos;&quot;",
            "&#230;&#xE6;&#xe6;&#0230;",
            "&#32;",
            "&#xA0;",
            "x&#x1F600;y",
            "&#1;",
            "&#x1F;",
            "&#xFFFE;",
            "&#65535;",
            "&#13;",
            "x\ry",
            "\u{1}",
            "\u{1f}",
            "\u{fffe}",
            "\u{ffff}",
        ],
        around: &[
            "",
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
            "<?pi a?b>c?>",
            "<?x?>",
            " ",
            "\r\n",
            "<!-- a -- b -->",
            "\n<!---->",
            "&amp;",
            " &#32; ",
        ],
        end_spaces: &[""],
    };

    /// SOAP requests of [`PLAIN`]'s making, most of which quick-xml accepts: `k` and `w`
    /// declared, a Header or none, one operation in the Body.
    fn plain_request() -> impl Strategy<Value = String> {
        let a = &PLAIN;
        let header = prop_oneof![
            Just(String::new()),
            Just("<s:Header/>".to_owned()),
            prop::collection::vec(element(a, 1), 0..3).prop_map(|c| format!("<s:Header>{}</s:Header>", c.concat())),
        ];
        let space = prop::sample::select(&["", " ", "\n  "][..]);
        (
            prop::sample::select(a.around),
            prop::collection::vec(prop::sample::select(a.attributes), 0..3),
            header,
            space.clone(),
            element(a, 3),
            space,
            prop::sample::select(a.around),
        )
            .prop_map(|(before, attributes, header, s1, op, s2, after)| {
                format!(
                    "{before}<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:k=\"urn:k\" \
                     xmlns:w=\"http://www.w3.org/2005/08/addressing\"{}>{header}<s:Body>{s1}{op}{s2}</s:Body></s:Envelope>{after}",
                    attributes.concat()
                )
            })
    }

    /// This reader's envelope, when it reads `input`, is the quick-xml pass's.
    fn same_when_read(input: &[u8], limits: Limits) -> Result<(), TestCaseError> {
        if let Some(envelope) = read(input, limits) {
            let quick = format!(
                "{:?}",
                super::super::read_with_quick_xml(input, limits, SoapVersion::V11)
            );
            prop_assert_eq!(
                format!("{:?}", Ok::<_, ()>(envelope)),
                quick,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        Ok(())
    }

    /// The example request of `examples/request_cost.rs`, with a Header of the kinds this
    /// reader looks into.
    const REQUEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
  <soap:Header>
    <wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:x</wsa:Action>
    <wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing"> urn:uuid:1 </wsa:MessageID>
    <wsse:Security xmlns:wsse="urn:wsse"><x/></wsse:Security>
  </soap:Header>
  <soap:Body>
    <k:KontrolsagListeHent_I revision="1">
      <kontekst:HovedOplysninger>
        <kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId>
        <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
        <kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext>
      </kontekst:HovedOplysninger>
      <k:KontrolsagSoegKriterie>
        <k:PersonCPRNummer>150780-4329</k:PersonCPRNummer>
        <k:Hjemmel>UDBL_11A_STK2</k:Hjemmel>
        <k:Tom/>
      </k:KontrolsagSoegKriterie>
    </k:KontrolsagListeHent_I>
  </soap:Body>
</soap:Envelope>
"#;

    #[test]
    fn reads_a_request_as_quick_xml_does() {
        let envelope = read(REQUEST.as_bytes(), Limits::default()).expect("the plain reader reads it");
        assert_eq!(envelope.version, SoapVersion::V12);
        assert!(envelope.security_header);
        assert_eq!(
            envelope.addressing,
            Some(RequestAddressing {
                message_id: Some("urn:uuid:1".into())
            })
        );
        assert_eq!(envelope.operation.local_name, "KontrolsagListeHent_I");
        let leaves: Vec<_> = envelope.operation.leaves.as_ref().expect("leaves").iter().collect();
        assert_eq!(leaves.len(), 6);
        assert_eq!(leaves[2].path, "HovedOplysninger/AuthorityContext/MunicipalityCVR");
        assert_eq!(leaves[2].text, "64942212");
        assert_eq!(leaves[5].path, "KontrolsagSoegKriterie/Tom");
        assert_eq!(
            format!("{:?}", Ok::<_, ()>(envelope)),
            format!(
                "{:?}",
                super::super::read_with_quick_xml(REQUEST.as_bytes(), Limits::default(), SoapVersion::V12)
            )
        );
        // An overlong path, by an empty element and by one with text.
        let long = "n".repeat(300);
        let overlong = REQUEST.replace("<k:Tom/>", &format!("<{long}><a>1</a><b/></{long}>"));
        let envelope = read(overlong.as_bytes(), Limits::default()).expect("the plain reader reads it");
        let leaves: Vec<_> = envelope.operation.leaves.as_ref().expect("leaves").iter().collect();
        assert_eq!(leaves[5].path, OVERLONG_PATH);
        assert_eq!(leaves[6].path, OVERLONG_PATH);
        same_when_read(overlong.as_bytes(), Limits::default()).unwrap();
    }

    #[test]
    fn leaves_what_it_does_not_read_to_quick_xml() {
        let limits = Limits::default();
        let envelope = |op: &str| {
            format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>{op}</s:Body></s:Envelope>"#
            )
        };
        let deep = envelope(&("<a>".repeat(MAX_OPEN) + &"</a>".repeat(MAX_OPEN)));
        let attributes = envelope(&format!(
            "<a{}/>",
            (0..=MAX_TAG_ATTRIBUTES)
                .map(|i| format!(" a{i}=\"\""))
                .collect::<String>()
        ));
        let declarations = envelope(&format!(
            "<a{}/>",
            (0..MAX_BINDINGS)
                .map(|i| format!(" xmlns:p{i}=\"u\""))
                .collect::<String>()
        ));
        let cdata = envelope("<a><![CDATA[1]]></a>");
        let unknown = envelope("<a><b>&nbsp;</b></a>");
        for xml in [deep, attributes, declarations, cdata, unknown] {
            assert!(read(xml.as_bytes(), limits).is_none(), "{xml}");
            assert!(
                super::super::parse_envelope(xml.as_bytes(), limits, SoapVersion::V12).is_ok(),
                "{xml}"
            );
        }
        // A reference to U+0000 names a character XML 1.0 does not allow: refused, not read
        // as leaves that cannot be read.
        let nul = envelope("<a><b>&#x0;</b></a>");
        assert!(read(nul.as_bytes(), limits).is_none(), "{nul}");
        assert!(super::super::parse_envelope(nul.as_bytes(), limits, SoapVersion::V12).is_err());
    }

    #[test]
    fn reads_edge_cases_as_quick_xml_does_or_leaves_them() {
        let limits = Limits::default();
        let envelope = |op: &str| {
            format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:k="urn:k"><s:Body>{op}</s:Body></s:Envelope>"#
            )
        };
        // Read here, exactly as quick-xml reads them.
        let read_here = [
            envelope("<k:Op xmlns:k=\"urn:other\"><k:a>1</k:a></k:Op>"),
            envelope("<k:Op xmlns=\"urn:d\"><a xmlns=\"\">1</a></k:Op>"),
            envelope("<k:Op\n\txmlns:k=\"urn:k2\"\r\n><k:a\t>1</k:a><k:b xmlns:k=\"urn:k3\"/></k:Op>"),
            envelope("<Op a=\"x>y\" b='x\"y' c=\"1\r\n2\"/>"),
            envelope("<Op><a>1\r\n2\r3</a><b> \r\n\t </b><c>\u{a0}x\u{85}</c><d>]]></d></Op>"),
            envelope("<Op><a>x<b>1</b>y</a>text</Op>"),
            envelope("<Op p:a=\"undeclared prefixes of attributes are not resolved\"/>"),
            format!("<?x>?><?xml version=\"1.0\"?>\r\n{}<?pi?>\n", envelope("<Op/>")),
            // At the limits of this reader: attributes on a tag, nesting, declarations in scope.
            envelope(&format!(
                "<Op{}/>",
                (1..MAX_TAG_ATTRIBUTES).fold(" a0=\"\"".to_owned(), |s, i| s + &format!(" a{i}=\"\""))
            )),
            envelope(&("<a>".repeat(MAX_OPEN - 2) + "x" + &"</a>".repeat(MAX_OPEN - 2))),
            // References in values and in namespace declarations, as quick-xml resolves them;
            // in other attributes' values they are not read.
            envelope("<Op><a>&amp;&lt;&gt;&apos;&quot;</a><b>S&#248;ren &#xC6;b&#xe6;l&#00230;</b></Op>"),
            envelope("<Op><a>&#32;x&#xA0;&#10;</a><b>&#x1F600;&#9;</b><c>&#x10FFFF;</c><d>1&#13;2</d></Op>"),
            envelope("<k:Op xmlns:k=\"urn:a&amp;b&#47;&#x2F;\" a=\"&bogus; &\"><a>1</a></k:Op>"),
            // Comments: in a leaf's text (which joins the text around it), between and around
            // elements, with `--` in them.
            envelope("<Op><a> 1<!-- c -->2 </a><!--Optional:--><b><!--x-->3</b><c><!----></c></Op>"),
            envelope("<Op><!-- a -- b ---><a>&amp;<!--->--> &amp;</a><!--<a>&amp;--></Op>"),
            envelope(&format!(
                "<Op{}><a{}/></Op>",
                (0..MAX_TAG_ATTRIBUTES)
                    .map(|i| format!(" xmlns:p{i}=\"u\""))
                    .collect::<String>(),
                (0..MAX_BINDINGS - MAX_TAG_ATTRIBUTES - 2)
                    .map(|i| format!(" xmlns:q{i}=\"u\""))
                    .collect::<String>()
            )),
        ];
        for xml in read_here {
            assert!(read(xml.as_bytes(), limits).is_some(), "{xml}");
            same_when_read(xml.as_bytes(), limits).unwrap();
        }
        // Left to quick-xml, which accepts or refuses them.
        let left = [
            envelope("<Op a/>"),
            envelope("<k:Op xmlns:k=\"\"/>"),
            envelope("<Op><a>1</a \t></Op>"),
            envelope("<Op xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"/>"),
            envelope("<xml:Op/>"),
            envelope("<.Op/>"),
            envelope("<Op a=\"1\"b=\"2\"/>"),
            envelope("<Op a=\"1\" a=\"1\"/>"),
            envelope("<Op/>") + "x",
            envelope("<Op/>") + "<x/>",
            envelope("<Op/>") + "</x>",
            format!("\u{feff}{}", envelope("<Op/>")),
            format!("<?x\"?>\"?>{}", envelope("<Op/>")),
        ];
        for xml in left {
            assert!(read(xml.as_bytes(), limits).is_none(), "{xml}");
        }
        let leaves = |xml: &str| -> Vec<(String, String)> {
            let envelope = read(xml.as_bytes(), limits).expect("read here");
            let leaves = envelope.operation.leaves.expect("leaves");
            leaves.iter().map(|l| (l.path.to_owned(), l.text.to_owned())).collect()
        };
        let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter().map(|&(a, b)| (a.to_owned(), b.to_owned())).collect()
        };
        assert_eq!(
            leaves(&envelope(
                "<Op><a> 1<!-- c -->2 </a><b><!--x--> 3&#32;</b><c> <!-- --> </c></Op>"
            )),
            pairs(&[("a", "12"), ("b", "3"), ("c", "")])
        );
        assert_eq!(
            leaves(&envelope(
                "<Op><Navn>S&#248;ren &#xC6;b&#xe6;l</Navn><CPR>150780&amp;4329</CPR></Op>"
            )),
            pairs(&[("Navn", "Søren Æbæl"), ("CPR", "150780&4329")])
        );
        // The namespaces the envelope reader names, with their references resolved.
        let soap12 = "http://www.w3.org/2003/05/soap&#x2D;envelope";
        let xml =
            format!("<s:Envelope xmlns:s=\"{soap12}\"><s:Body><k:Op xmlns:k=\"urn:a&amp;b\"/></s:Body></s:Envelope>");
        let envelope_read = read(xml.as_bytes(), limits).expect("read here");
        assert_eq!(envelope_read.version, SoapVersion::V12);
        assert_eq!(envelope_read.operation.namespace.as_deref(), Some("urn:a&b"));
        same_when_read(xml.as_bytes(), limits).unwrap();
        // A comment at every place one can be, all at once and one at a time, and references
        // where they are read and where they are not.
        let parts = [
            "<?xml version=\"1.0\"?>",
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:w=\"http://www.w3.org/2005/08/addressing\">",
            "\n",
            "<s:Header>",
            "<w:MessageID> urn:",
            "uuid:&#49;&amp;2 ",
            "</w:MessageID>",
            "</s:Header>",
            "<s:Body>",
            "<Op>",
            "&amp;",
            "<a>",
            " 1",
            "</a>",
            "</Op>",
            "</s:Body>",
            "&amp;",
            "</s:Envelope>",
            "&#10;",
        ];
        let all = parts.join("<!-- c -->");
        let with_each = (0..=parts.len()).map(|i| {
            let mut with = parts.to_vec();
            with.insert(i, "<!--Optional:-->");
            with.concat()
        });
        for xml in with_each.chain([all]) {
            let envelope = read(xml.as_bytes(), limits).expect("read here");
            assert_eq!(
                envelope.addressing,
                Some(RequestAddressing {
                    message_id: Some("urn:uuid:1&2".into())
                }),
                "{xml}"
            );
            assert_eq!(leaves(&xml), pairs(&[("a", "1")]), "{xml}");
            same_when_read(xml.as_bytes(), limits).unwrap();
        }
    }

    #[test]
    fn leaves_references_and_markup_it_does_not_read_to_quick_xml() {
        let limits = Limits::default();
        let envelope = |op: &str| {
            format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://www.w3.org/2005/08/addressing"><s:Header><w:MessageID>1</w:MessageID></s:Header><s:Body>{op}</s:Body></s:Envelope>"#
            )
        };
        let left = [
            // References quick-xml does not resolve: it reads the leaves as an error, or faults.
            envelope("<Op><a>&nbsp;</a></Op>"),
            envelope("<Op><a>&AMP;</a></Op>"),
            envelope("<Op><a>&#x0;</a></Op>"),
            envelope("<Op><a>&#0;</a></Op>"),
            envelope("<Op><a>&#xD800;</a></Op>"),
            envelope("<Op><a>&#x110000;</a></Op>"),
            envelope("<Op><a>&#99999999999;</a></Op>"),
            envelope("<Op><a>&#X41;</a></Op>"),
            envelope("<Op><a>&#x;</a></Op>"),
            envelope("<Op><a>&#;</a></Op>"),
            envelope("<Op><a>&#+65;</a></Op>"),
            envelope("<Op><a>&#x-41;</a></Op>"),
            envelope("<Op><a>&amp</a></Op>"),
            envelope("<Op><a>&amp&amp;</a></Op>"),
            envelope("<Op><a>& amp;</a></Op>"),
            envelope("<Op><a>&</a></Op>"),
            envelope("<Op/>&"),
            envelope("<Op/>").replace("<w:MessageID>1", "<w:MessageID>&bogus;"),
            envelope("<k:Op xmlns:k=\"urn:&bogus;\"/>"),
            envelope("<k:Op xmlns:k=\"urn:&amp\"/>"),
            // Characters XML 1.0 does not allow, referenced or written, anywhere: the
            // quick-xml pass refuses them.
            envelope("<Op/>").replace("<w:MessageID>1", "<w:MessageID>&#1;"),
            envelope("<Op/>").replace("<w:MessageID>1", "<w:MessageID>\u{1}"),
            envelope("<Op><a>&#x1F;</a></Op>"),
            envelope("<Op><a>&#xFFFE;</a></Op>"),
            envelope("<Op><a>&#65535;</a></Op>"),
            envelope("<Op><a>\u{fffe}</a></Op>"),
            envelope("<Op><a>\u{ffff}</a></Op>"),
            envelope("<Op>\u{8}<a/></Op>"),
            envelope("<Op a=\"&#1;\"/>"),
            envelope("<Op a=\"\u{1}\"/>"),
            envelope("<Op a=\"&#65&amp;\"/>"),
            envelope("<k:Op xmlns:k=\"urn:&#x1;\"/>"),
            envelope("<k:Op xmlns:k=\"urn:k\" xmlns:j=\"urn:&#x1;\"/>"),
            envelope("<Op><!-- \u{1} --></Op>"),
            envelope("<Op/>") + "<?pi \u{1f}?>",
            // Markup other than comments.
            envelope("<Op><a><![CDATA[1]]></a></Op>"),
            envelope("<Op><a><?pi?>1</a></Op>"),
            format!("<!DOCTYPE x>{}", envelope("<Op/>")),
            // Comments quick-xml does not end, or that are not comments.
            envelope("<Op><a><!--->1</a></Op>"),
            envelope("<Op><a><!-->1</a></Op>"),
            envelope("<Op><a><!- x -->1</a></Op>"),
            envelope("<Op><a><!-x-->1</a></Op>"),
            envelope("<Op/>") + "<!-- never ended",
            envelope("<Op/>") + "<!--->",
        ];
        for xml in left {
            assert!(read(xml.as_bytes(), limits).is_none(), "{xml}");
            // What the envelope reader answers is the quick-xml pass's, whatever it is.
            assert_eq!(
                format!(
                    "{:?}",
                    super::super::parse_envelope(xml.as_bytes(), limits, SoapVersion::V12)
                ),
                format!(
                    "{:?}",
                    super::super::read_with_quick_xml(xml.as_bytes(), limits, SoapVersion::V12)
                ),
            );
        }
    }

    thread_local! {
        /// The bytes of namespace declarations [`unescaped`] has read on this thread.
        pub(super) static UNESCAPED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn resolves_the_references_of_a_declaration_once_however_many_elements_it_names() {
        // A long namespace with a reference, declared once and naming many Header children:
        // resolved for each of them, reading would cost the namespace's length per child.
        let uri = format!("urn:&amp;{}", "a".repeat(2000));
        let xml = format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="{uri}"><s:Header>{}</s:Header><s:Body><w:Op/></s:Body></s:Envelope>"#,
            "<w:a/>".repeat(500)
        );
        UNESCAPED.with(|n| n.set(0));
        let envelope = read(xml.as_bytes(), Limits::default()).expect("read here");
        let resolved = UNESCAPED.with(|n| n.get());
        assert!(
            resolved <= 2 * uri.len(),
            "{resolved} bytes resolved for a namespace of {}",
            uri.len()
        );
        assert_eq!(
            envelope.operation.namespace.as_deref(),
            Some(&*uri.replace("&amp;", "&"))
        );
        same_when_read(xml.as_bytes(), Limits::default()).unwrap();
    }

    /// The declarations this reader keeps for the XSD check ([`Operation::declared`]) are
    /// what the check reads from the Envelope's and Body's tags when it is not given them.
    fn declares_what_the_tags_declare(input: &[u8], limits: Limits) -> Result<(), TestCaseError> {
        let Ok(text) = std::str::from_utf8(input) else {
            return Ok(());
        };
        let Some(envelope) = read_text(text, limits) else {
            return Ok(());
        };
        let op = &envelope.operation;
        let Some(declared) = &op.declared else {
            // Only a namespace with a reference in it is not kept.
            prop_assert!(
                text.get(op.ancestors[0].start..op.ancestors[1].end)
                    .is_some_and(|t| t.contains('&'))
            );
            return Ok(());
        };
        let ranges = declared.iter().map(|d| (d.prefix.clone(), d.namespace.clone()));
        let given = crate::xsd::Instance::declared(text, op.range.clone(), ranges);
        prop_assert!(given.is_some(), "{}", text);
        let given = given.unwrap();
        let read = crate::xsd::Instance::below_text(text, op.range.clone(), &op.ancestors);
        prop_assert_eq!(&given.namespaces, &read.namespaces, "{}", text);
        prop_assert_eq!(
            (given.bytes, given.offset, given.position()),
            (read.bytes, read.offset, read.position())
        );
        Ok(())
    }

    #[test]
    fn keeps_the_declarations_of_the_envelope_and_the_body() {
        let envelope = read(REQUEST.as_bytes(), Limits::default()).expect("the plain reader reads it");
        let declared = envelope.operation.declared.as_ref().expect("kept");
        let named: Vec<(&str, &str)> = declared
            .iter()
            .map(|d| (&REQUEST[d.prefix.clone()], &REQUEST[d.namespace.clone()]))
            .collect();
        assert_eq!(
            named,
            [
                ("soap", "http://www.w3.org/2003/05/soap-envelope"),
                ("k", "http://www.kombit.dk/int/2022/01/01/"),
                ("kontekst", "http://kombit.dk/xml/schemas/kontekst/2017/01/01/"),
            ]
        );
        declares_what_the_tags_declare(REQUEST.as_bytes(), Limits::default()).unwrap();
        // A default namespace and an undeclared prefix on the Body, beside the Envelope's.
        let body = REQUEST.replace("<soap:Body>", "<soap:Body xmlns=\"urn:d\" xmlns:z=\"urn:z\" a=\"1\">");
        declares_what_the_tags_declare(body.as_bytes(), Limits::default()).unwrap();
        let envelope = read(body.as_bytes(), Limits::default()).expect("the plain reader reads it");
        assert_eq!(envelope.operation.declared.as_ref().map(|d| d.len()), Some(5));
        // A reference in a namespace: not kept.
        let escaped = REQUEST.replace("2022/01/01/", "2022/01/01/?a&amp;b");
        let envelope = read(escaped.as_bytes(), Limits::default()).expect("the plain reader reads it");
        assert_eq!(envelope.operation.declared, None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn reads_names_as_a_byte_at_a_time_would(bytes in prop::collection::vec(prop::sample::select(&b"aZ09_-.:: >/=\t\xc3\xa6"[..]), 0..40), from in 0usize..4) {
            // Name bytes one at a time, then one colon and name bytes again.
            let reference = |bytes: &[u8], from: usize| {
                let first = *bytes.get(from)?;
                if !(first.is_ascii_alphabetic() || first == b'_') {
                    return None;
                }
                let run = |mut at: usize| {
                    while bytes.get(at).is_some_and(|&b| NAME_BYTES[usize::from(b)]) {
                        at += 1;
                    }
                    at
                };
                let mut at = run(from + 1);
                let mut colon = None;
                if bytes.get(at) == Some(&b':') {
                    colon = Some(at);
                    at = run(at + 1);
                }
                (colon != Some(at - 1)).then_some((at, colon))
            };
            prop_assert_eq!(name_at(&bytes, from), reference(&bytes, from));
        }

        #[test]
        fn reads_what_it_reads_as_quick_xml_does(request in request(&ANY), limits in limits()) {
            same_when_read(request.as_bytes(), limits)?;
        }

        #[test]
        fn keeps_the_declarations_the_xsd_check_reads(plain in any::<bool>(), request in request(&ANY), plain_request in plain_request(), limits in limits()) {
            let request = if plain { plain_request } else { request };
            declares_what_the_tags_declare(request.as_bytes(), limits)?;
        }

        #[test]
        fn reads_every_plain_request_quick_xml_accepts(request in plain_request(), limits in limits()) {
            let input = request.as_bytes();
            let quick = super::super::read_with_quick_xml(input, limits, SoapVersion::V11);
            match read(input, limits) {
                Some(envelope) => prop_assert_eq!(
                    format!("{:?}", Ok::<_, ()>(envelope)),
                    format!("{quick:?}"),
                    "{}",
                    request
                ),
                None => prop_assert!(quick.is_err(), "given up on {request}"),
            }
        }

        #[test]
        fn no_request_with_a_character_xml_does_not_allow_is_read(
            plain in any::<bool>(),
            request in request(&ANY),
            plain_request in plain_request(),
        ) {
            // XML 1.0's Char, written out here rather than taken from the readers.
            let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
            let request = if plain { plain_request } else { request };
            let read = super::super::parse_envelope(request.as_bytes(), Limits::default(), SoapVersion::V12);
            if request.chars().any(|c| !allowed(c)) {
                prop_assert!(read.as_ref().is_err_and(|f| f.reason.contains("written as it is, which XML 1.0 does not allow")), "{request}: {read:?}");
            }
            // References, in [`PLAIN`]'s requests (no `&#` in its comments): each names an
            // allowed character, or the request is refused.
            let names_a_forbidden_character = |i: usize| {
                let rest = &request[i + 2..];
                let number = &rest[..rest.find(';').unwrap_or(rest.len())];
                let code = match number.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => number.parse(),
                };
                !code.ok().and_then(char::from_u32).is_some_and(allowed)
            };
            if plain && request.match_indices("&#").any(|(i, _)| names_a_forbidden_character(i)) {
                prop_assert!(read.is_err(), "{request}: {read:?}");
            }
        }

        #[test]
        fn reads_cut_spliced_and_changed_requests_as_quick_xml_does(
            plain in any::<bool>(),
            request in request(&ANY),
            plain_request in plain_request(),
            cut in any::<prop::sample::Index>(),
            len in 0usize..12,
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(&[0xFFu8, 0xC3, b'<', b'>', b'&', b'"', b'\'', b':', b'/', b'?', b'=', b' ', b'-', b'!', b';', b'#', b'x', 0, 1, 0x1F, b'\r'][..]),
        ) {
            let bytes = if plain { plain_request.as_bytes() } else { request.as_bytes() };
            let from = cut.index(bytes.len() + 1);
            let to = (from + len).min(bytes.len());
            let mut spliced = bytes[..from].to_vec();
            spliced.extend_from_slice(&bytes[to..]);
            same_when_read(&spliced, Limits::default())?;
            let at = at.index(spliced.len() + 1);
            spliced.splice(at..at, bytes[from..to].iter().copied());
            same_when_read(&spliced, Limits::default())?;
            let mut changed = bytes.to_vec();
            let at = cut.index(changed.len());
            changed[at] = byte;
            same_when_read(&changed, Limits::default())?;
        }
    }
}
