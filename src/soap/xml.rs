//! Small XML helpers: escaping for the writers, reading an element's leaf texts by local
//! name for the request parsers, and [`LimitCheck`], which keeps every reader of request XML
//! within the [`Limits`] (depth, attributes, namespace declarations in scope).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::Limits;
use crate::clip::clip_bytes;

/// The deepest nesting [`leaf_texts`] reads, whatever the configured limit (`--max-depth`
/// accepts at most this): it keeps the cost of element paths bounded for any input.
pub const DEPTH_CEILING: usize = 1024;

/// Checks each start tag of a document against the [`Limits`] as a reader meets it, in time
/// linear in the tag: depth, the number of attributes, duplicate attribute names (a linear
/// check: quick-xml's own compares each name with all before it), and the namespace
/// declarations in scope. Call [`LimitCheck::open`] for every start tag and
/// [`LimitCheck::close`] for every end tag.
#[derive(Debug)]
pub struct LimitCheck {
    limits: Limits,
    /// Namespace declarations made by each open element.
    declared: Vec<usize>,
    in_scope: usize,
}

impl LimitCheck {
    /// A check for one document.
    pub fn new(limits: Limits) -> LimitCheck {
        LimitCheck {
            limits,
            declared: Vec::with_capacity(16),
            in_scope: 0,
        }
    }

    /// The number of elements open.
    pub fn depth(&self) -> usize {
        self.declared.len()
    }

    /// Checks a start tag (`empty` for `<a/>`, which closes at once). The error names the
    /// element and the limit, ready for a fault.
    pub fn open(&mut self, start: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        self.open_visiting(start, empty, |_, _| {})
    }

    /// [`LimitCheck::open`], handing each attribute's raw name and value (namespace
    /// declarations included, in document order) to `visit` as they are checked, for a reader
    /// that keeps them: the tag's attributes are read once.
    #[inline]
    pub fn open_visiting(
        &mut self,
        start: &BytesStart<'_>,
        empty: bool,
        visit: impl FnMut(&[u8], &[u8]),
    ) -> Result<(), String> {
        let max = self.limits;
        if self.declared.len() >= max.max_depth {
            return Err(format!(
                "the request nests elements deeper than {} levels",
                max.max_depth
            ));
        }
        // Most tags of a request carry no attributes: nothing to read then.
        let declarations = match start.attributes_raw().iter().all(|&b| is_xml_space(b)) {
            true => 0,
            false => check_attributes_visiting(start, max.max_attributes, visit)?,
        };
        if self.in_scope + declarations > max.max_namespaces {
            return Err(format!(
                "more than {} namespace declarations are in scope at <{}>; sfstub reads at most {} (--max-namespaces)",
                max.max_namespaces,
                clip_bytes(start.name().as_ref()),
                max.max_namespaces
            ));
        }
        if !empty {
            self.in_scope += declarations;
            self.declared.push(declarations);
        }
        Ok(())
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) {
        if let Some(declarations) = self.declared.pop() {
            self.in_scope -= declarations;
        }
    }
}

/// XML's white space (`S`: space, tab, CR, LF).
fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Checks the attributes of one start tag: at most `max` of them (namespace declarations
/// included), each well-formed, no name twice. Returns the number of namespace declarations.
/// Linear in the tag.
pub fn check_attributes(start: &BytesStart<'_>, max: usize) -> Result<usize, String> {
    check_attributes_visiting(start, max, |_, _| {})
}

/// [`check_attributes`], handing each attribute's raw name and value to `visit` once it has
/// passed the checks.
#[inline]
fn check_attributes_visiting(
    start: &BytesStart<'_>,
    max: usize,
    mut visit: impl FnMut(&[u8], &[u8]),
) -> Result<usize, String> {
    /// Below this many names a scan is cheaper than hashing.
    const SCAN: usize = 16;
    // The first names in an array (no allocation for the usual few), the rest hashed.
    let mut names: [&[u8]; SCAN] = [&[]; SCAN];
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut declarations = 0;
    for (i, attribute) in start.attributes().with_checks(false).enumerate() {
        let attribute =
            attribute.map_err(|e| format!("a malformed attribute in <{}>: {e}", clip_bytes(start.name().as_ref())))?;
        if i >= max {
            return Err(format!(
                "<{}> has more than {max} attributes (namespace declarations included); sfstub reads at most {max} per element (--max-attributes)",
                clip_bytes(start.name().as_ref())
            ));
        }
        let key = attribute.key.into_inner();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            declarations += 1;
        }
        let duplicate = if i < SCAN {
            let twice = names[..i].contains(&key);
            names[i] = key;
            if i + 1 == SCAN {
                seen.extend(names.iter().copied());
            }
            twice
        } else {
            !seen.insert(key)
        };
        if duplicate {
            return Err(format!(
                "the attribute {} appears twice in <{}>",
                clip_bytes(key),
                clip_bytes(start.name().as_ref())
            ));
        }
        if memchr::memchr(b'&', &attribute.value).is_some()
            && let Some(why) = bad_char_reference_in_value(&attribute.value)
        {
            return Err(format!(
                "the request is not well-formed XML: in the value of the attribute {} of <{}>, {why}",
                clip_bytes(key),
                clip_bytes(start.name().as_ref())
            ));
        }
        visit(key, &attribute.value);
    }
    Ok(declarations)
}

/// Escapes `<`, `>`, `&`, `'` and `"` (as quick-xml's `escape` does), and a carriage return
/// as `&#13;`: written raw, a reader would read it as a line feed (XML 1.0 §2.11), so a
/// MessageID sent with `&#13;` would not come back as sent. Most text has none of them, which
/// two memchr scans tell faster than a byte-by-byte search.
pub fn escape(s: &str) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    if memchr::memchr3(b'<', b'>', b'&', bytes).is_none() && memchr::memchr3(b'\'', b'"', b'\r', bytes).is_none() {
        return Cow::Borrowed(s);
    }
    if memchr::memchr(b'\r', bytes).is_none() {
        return quick_xml::escape::escape(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, part) in s.split('\r').enumerate() {
        if i > 0 {
            out.push_str("&#13;");
        }
        out.push_str(&quick_xml::escape::escape(part));
    }
    Cow::Owned(out)
}

/// Appends `text` as written in a document with its line ends normalised as XML 1.0 §2.11
/// says a reader must: a carriage return, alone or before a line feed, is read as one line
/// feed. (A carriage return written `&#13;` is one; it is not read through here.)
pub fn push_line_normalised(out: &mut String, text: &str) {
    if memchr::memchr(b'\r', text.as_bytes()).is_none() {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production): tab, line feed,
/// carriage return and every character from U+0020 up but U+FFFE and U+FFFF (a `char` is
/// never a surrogate).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether the byte is a C0 control XML 1.0 does not allow (all but tab, line feed and
/// carriage return).
const fn is_forbidden_control(b: u8) -> bool {
    (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')
}

/// The first character XML 1.0 does not allow written in `input` itself (not by reference),
/// and its byte offset: a C0 control other than tab, line feed and carriage return, or U+FFFE
/// or U+FFFF (`EF BF BE`, `EF BF BF`). The surrogates are not UTF-8 and are left to the UTF-8
/// checks. One pass over the input, in blocks a compiler turns into vector compares: requests
/// hold none, and the blocks' test is all they cost.
pub fn forbidden_character(input: &[u8]) -> Option<(usize, char)> {
    const BLOCK: usize = 64;
    // The exact test, from `from` on, for a block the block test flagged and for the rest.
    let find = |from: usize, to: usize| {
        (from..to).find_map(|at| match input[at] {
            b if is_forbidden_control(b) => Some((at, char::from(b))),
            0xEF => match input.get(at + 1..at + 3) {
                Some([0xBF, 0xBE]) => Some((at, '\u{FFFE}')),
                Some([0xBF, 0xBF]) => Some((at, '\u{FFFF}')),
                _ => None,
            },
            _ => None,
        })
    };
    let mut blocks = input.chunks_exact(BLOCK);
    for (n, block) in blocks.by_ref().enumerate() {
        // A fixed length and no early exit: compiled to vector compares (~1.2 instructions a
        // byte with SSE2, callgrind). `0xEF` starts U+F000 to U+FFFF: rare, checked exactly.
        let mut suspect = false;
        for &b in block {
            suspect |= is_forbidden_control(b) | (b == 0xEF);
        }
        if suspect && let Some(found) = find(n * BLOCK, (n + 1) * BLOCK) {
            return Some(found);
        }
    }
    find(input.len() - blocks.remainder().len(), input.len())
}

/// A fault's reason for a request that is not well-formed XML at byte `at`, for `what`.
pub fn not_well_formed(at: impl std::fmt::Display, what: impl std::fmt::Display) -> String {
    format!("the request is not well-formed XML (at byte {at}): {what}")
}

/// Why a document holding the character `c` written at byte `at` is refused, for a fault.
pub fn forbidden_character_reason(at: usize, c: char) -> String {
    not_well_formed(
        at,
        format_args!(
            "it holds the character U+{:04X} written as it is, which XML 1.0 does not allow",
            u32::from(c)
        ),
    )
}

/// Why a text sfstub writes into its answers (a fault rule's, a person's) is refused, when
/// it holds a character XML 1.0 does not allow: `holds U+0001, a character XML 1.0 does not
/// allow`.
pub fn forbidden_in_text(text: &str) -> Option<String> {
    forbidden_character(text.as_bytes())
        .map(|(_, c)| format!("holds U+{:04X}, a character XML 1.0 does not allow", u32::from(c)))
}

/// The character a character reference names, from what follows its `#` up to its `;`
/// (`230`, `xE6`), when it names one XML 1.0 allows; otherwise why not. XML 1.0's form only:
/// decimal digits, or a lower-case `x` and hexadecimal digits.
pub fn char_reference(number: &[u8]) -> Result<char, String> {
    let (digits, radix) = match number.strip_prefix(b"x") {
        Some(hex) => (hex, 16),
        None => (number, 10),
    };
    let none = || "names no character".to_owned();
    if digits.is_empty() {
        return Err(none());
    }
    let mut code: u32 = 0;
    for &d in digits {
        let digit = char::from(d).to_digit(radix).ok_or_else(none)?;
        code = code
            .checked_mul(radix)
            .and_then(|c| c.checked_add(digit))
            .ok_or_else(none)?;
    }
    match char::from_u32(code) {
        Some(c) if is_xml_char(c) => Ok(c),
        _ if code > 0x10FFFF => Err(none()),
        _ => Err(format!("names U+{code:04X}, a character XML 1.0 does not allow")),
    }
}

/// Why the character reference `&#{number};` is refused ([`char_reference`]'s `why`), for a
/// fault: the reference as written, clipped.
pub fn char_reference_reason(number: &[u8], why: &str) -> String {
    format!("the character reference &#{}; {why}", clip_bytes(number))
}

/// Why a document is refused for the reference `reference` (what follows `&`, up to its `;`)
/// read at byte `at`: a character reference naming no character or one XML 1.0 does not
/// allow; `None` for any other reference.
pub fn refused_reference(reference: &[u8], at: usize) -> Option<String> {
    let number = reference.strip_prefix(b"#")?;
    let why = char_reference(number).err()?;
    Some(not_well_formed(at, char_reference_reason(number, &why)))
}

/// The first character reference in an attribute value as written that [`char_reference`]
/// refuses (a `&#` up to the next `;`; one that is not ended by a `;` before the next `&` or
/// the value's end names no character), and why. Other references (`&amp;`, and entities XML
/// does not define, which no reader of sfstub's resolves there) are not looked at. Linear in
/// the value: each byte is looked at once after the memchr for `&`.
pub fn bad_char_reference_in_value(value: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'&', &value[from..]) {
        let amp = from + i;
        let rest = &value[amp + 1..];
        let end = memchr::memchr2(b';', b'&', rest).unwrap_or(rest.len());
        if let Some(number) = rest.strip_prefix(b"#") {
            let number = &number[..end - 1];
            let ended = rest.get(end) == Some(&b';');
            if !ended {
                return Some(format!(
                    "the character reference &#{} is not ended by a ;",
                    clip_bytes(number)
                ));
            }
            if let Err(why) = char_reference(number) {
                return Some(char_reference_reason(number, &why));
            }
        }
        from = amp + 1 + end;
    }
    None
}

/// [`escape`] for an attribute value: tab and line feed written as `&#9;` and `&#10;` too,
/// which a reader would otherwise read as spaces (XML 1.0 §3.3.3), so the value reads back
/// as it was (the STS echoes a request's `Context` attribute).
pub fn escape_attribute(s: &str) -> Cow<'_, str> {
    let escaped = escape(s);
    if memchr::memchr2(b'\t', b'\n', escaped.as_bytes()).is_none() {
        return escaped;
    }
    Cow::Owned(escaped.replace('\t', "&#9;").replace('\n', "&#10;"))
}

/// Appends `<name>text</name>` with the text escaped.
pub fn push_element(out: &mut Vec<u8>, name: &str, text: &str) {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
    out.extend_from_slice(escape(text).as_bytes());
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

/// The character an entity or character reference stands for; only XML's five predefined
/// entities exist (a DOCTYPE is never accepted).
/// A character reference must name a character XML 1.0 allows ([`char_reference`]).
pub fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    if let Some(number) = r.strip_prefix(b"#") {
        return char_reference(number).map_err(|why| char_reference_reason(number, &why));
    }
    let name = r.decode().map_err(|e| format!("bad entity reference: {e}"))?;
    Ok(match name.as_ref() {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        other => return Err(format!("the entity &{other}; is not defined")),
    })
}

/// One leaf element of a request: its path of local names below the root (joined by `/`) and
/// its text, entity references resolved and surrounding white space trimmed. Borrowed from
/// the [`Leaves`] that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaf<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// The leaves of an element, in document order: every path and text in one buffer, each
/// leaf two offsets into it. Two allocations for all the leaves of a request, where a
/// `String` for each path and each text cost two apiece (KontrolsagListeHent's five leaves:
/// ~1 500 instructions a request, callgrind on examples/request_cost).
///
/// Clones share the buffer and the offsets (a [`Leaves::push`] to shared ones copies them
/// first): the envelopes [`crate::memo`] reads from one template share its leaves, where a
/// copy of them cost ~300 instructions a request (callgrind on examples/request_cost), and
/// leaves with other texts of the same lengths share the offsets ([`Leaves::with_texts`]).
///
/// Equal leaves are equal paths and texts, whatever their layouts ([`Leaves::layout`]).
#[derive(Clone, Default)]
pub struct Leaves {
    /// The leaves' paths and texts, one after the other.
    buffer: Arc<String>,
    /// Per leaf, where its path ends (and its text starts) and where its text ends; its path
    /// starts where the leaf before it ends.
    ends: Arc<Vec<(usize, usize)>>,
    /// What [`Leaves::layout`] gives: 0 when not marked.
    layout: u64,
}

impl PartialEq for Leaves {
    fn eq(&self, other: &Leaves) -> bool {
        self.buffer == other.buffer && self.ends == other.ends
    }
}

impl Eq for Leaves {}

/// The last layout [`Leaves::mark_layout`] gave out.
static LAYOUTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Leaves {
    /// No leaves, with room for `bytes` of paths and texts.
    pub fn with_capacity(bytes: usize) -> Leaves {
        Leaves {
            buffer: Arc::new(String::with_capacity(bytes)),
            ends: Arc::new(Vec::with_capacity(16)),
            layout: 0,
        }
    }

    /// An identity of the leaves' paths, when they were marked ([`Leaves::mark_layout`]):
    /// leaves of the same layout have the same paths in the same order (their texts may
    /// differ), so a reader may find its fields by position, worked out once a layout.
    /// Kept by clones and [`Leaves::with_texts`], dropped by [`Leaves::push`]; never given
    /// out twice in a process.
    pub fn layout(&self) -> Option<std::num::NonZeroU64> {
        std::num::NonZeroU64::new(self.layout)
    }

    /// Gives the leaves a layout of their own (a request template does: the requests read
    /// from it have its paths).
    pub fn mark_layout(&mut self) {
        self.layout = LAYOUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    }

    /// The text of leaf `i`, in document order.
    #[inline]
    pub fn text(&self, i: usize) -> Option<&str> {
        let &(path_end, text_end) = self.ends.get(i)?;
        self.buffer.get(path_end..text_end)
    }

    /// The number of leaves.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes of all paths and texts together.
    pub fn byte_len(&self) -> usize {
        self.buffer.len()
    }

    /// Leaf `i`, in document order.
    pub fn get(&self, i: usize) -> Option<Leaf<'_>> {
        let &(path_end, text_end) = self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1].1,
        };
        Some(Leaf {
            path: &self.buffer[start..path_end],
            text: &self.buffer[path_end..text_end],
        })
    }

    /// The text of the first leaf at `path`. Compares the paths as bytes, without making a
    /// [`Leaf`] of each (for a lookup per field, that cost ~100 instructions a leaf).
    pub fn text_of(&self, path: &str) -> Option<&str> {
        let bytes = self.buffer.as_bytes();
        let mut start = 0;
        for &(path_end, text_end) in self.ends.iter() {
            if bytes.get(start..path_end) == Some(path.as_bytes()) {
                return self.buffer.get(path_end..text_end);
            }
            start = text_end;
        }
        None
    }

    /// The leaves, in document order.
    pub fn iter(&self) -> LeafIter<'_> {
        LeafIter {
            buffer: &self.buffer,
            ends: self.ends.iter(),
            start: 0,
        }
    }

    /// These leaves with other texts: leaf `i`'s is the `i`th of `texts` where that is
    /// `Some` (where it is `None`, or `texts` has ended, the leaf's own). The runs of leaves
    /// kept as they are are copied whole.
    pub fn with_texts<'t>(&self, texts: impl IntoIterator<Item = Option<&'t str>>) -> Leaves {
        let mut buffer = String::with_capacity(self.buffer.len() + 64);
        let ends = self.write_texts(texts, &mut buffer);
        Leaves {
            buffer: Arc::new(buffer),
            ends: ends.map_or_else(|| self.ends.clone(), Arc::new),
            layout: self.layout,
        }
    }

    /// [`Leaves::with_texts`], written into the buffer of `spare` (leaves made so before)
    /// when nothing else holds it any more, and kept there: leaves read from one template
    /// request after request reuse one buffer, where a new one and its free cost ~300
    /// instructions a request (callgrind on examples/request_cost, VARY=1). `spare` is set
    /// to the leaves given (sharing their buffer).
    pub fn with_texts_into<'t>(
        &self,
        texts: impl IntoIterator<Item = Option<&'t str>>,
        spare: &mut Option<Leaves>,
    ) -> Leaves {
        if let Some(spare) = spare.as_mut()
            && let Some(buffer) = Arc::get_mut(&mut spare.buffer)
        {
            buffer.clear();
            let ends = self.write_texts(texts, buffer);
            spare.ends = ends.map_or_else(|| self.ends.clone(), Arc::new);
            spare.layout = self.layout;
            return spare.clone();
        }
        spare.insert(self.with_texts(texts)).clone()
    }

    /// Writes these leaves' paths and texts into the empty `buffer`, leaf `i`'s text the
    /// `i`th of `texts` where that is `Some` ([`Leaves::with_texts`]): their ends, when they
    /// are other than these leaves' own.
    fn write_texts<'t>(
        &self,
        texts: impl IntoIterator<Item = Option<&'t str>>,
        buffer: &mut String,
    ) -> Option<Vec<(usize, usize)>> {
        // The new offsets, made once a text's length differs from the leaf's own (until then
        // they are the same).
        let mut ends: Option<Vec<(usize, usize)>> = None;
        // Where the run of bytes not yet copied starts.
        let mut copied = 0;
        let mut texts = texts.into_iter();
        for (i, &(path_end, text_end)) in self.ends.iter().enumerate() {
            let new_path_end = buffer.len() + (path_end - copied);
            let new_end = if let Some(Some(text)) = texts.next() {
                buffer.push_str(&self.buffer[copied..path_end]);
                buffer.push_str(text);
                copied = text_end;
                (new_path_end, buffer.len())
            } else {
                (new_path_end, new_path_end + (text_end - path_end))
            };
            match &mut ends {
                Some(ends) => ends.push(new_end),
                None if new_end != (path_end, text_end) => {
                    let mut new = Vec::with_capacity(self.ends.len());
                    new.extend_from_slice(&self.ends[..i]);
                    new.push(new_end);
                    ends = Some(new);
                }
                None => {}
            }
        }
        buffer.push_str(&self.buffer[copied..]);
        ends
    }

    /// Adds a leaf whose path is `path` and then `last` (joined by `/` when both are there),
    /// and whose text is `text`.
    pub fn push(&mut self, path: &str, last: Option<&str>, text: &str) {
        self.layout = 0;
        let buffer = Arc::make_mut(&mut self.buffer);
        buffer.push_str(path);
        if let Some(last) = last {
            if !path.is_empty() {
                buffer.push('/');
            }
            buffer.push_str(last);
        }
        let path_end = buffer.len();
        buffer.push_str(text);
        Arc::make_mut(&mut self.ends).push((path_end, buffer.len()));
    }
}

/// The leaves of a [`Leaves`], in document order.
#[derive(Clone)]
pub struct LeafIter<'a> {
    buffer: &'a str,
    ends: std::slice::Iter<'a, (usize, usize)>,
    /// Where the next leaf starts.
    start: usize,
}

impl<'a> Iterator for LeafIter<'a> {
    type Item = Leaf<'a>;

    // Inlined into the services' loops over their leaves (called, it cost ~20 instructions a
    // leaf more; callgrind on examples/request_cost).
    #[inline]
    fn next(&mut self) -> Option<Leaf<'a>> {
        let &(path_end, text_end) = self.ends.next()?;
        let leaf = Leaf {
            path: &self.buffer[self.start..path_end],
            text: &self.buffer[path_end..text_end],
        };
        self.start = text_end;
        Some(leaf)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl<'a> IntoIterator for &'a Leaves {
    type Item = Leaf<'a>;
    type IntoIter = LeafIter<'a>;

    fn into_iter(self) -> LeafIter<'a> {
        self.iter()
    }
}

impl std::fmt::Debug for Leaves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Reads every element that holds text (or nothing) below the root of `xml`, in document
/// order. Prefixes are ignored: paths use local names; attributes are not read. The document
/// has usually passed [`super::parse_envelope`], which applies the configured limits and
/// refuses DOCTYPEs; on its own this reads at most [`DEPTH_CEILING`] levels deep, so its cost
/// stays linear in the input.
pub fn leaf_texts(xml: &[u8]) -> Result<Leaves, String> {
    let mut reader = Reader::from_reader(xml);
    let text = Utf8Input::new(xml);
    let mut leaves = LeafReader::default();
    loop {
        let event = reader.read_event().map_err(|e| format!("not well-formed XML: {e}"))?;
        if !leaves.read(&event, &text)? {
            break;
        }
    }
    Ok(leaves.finish())
}

/// A document read with quick-xml's slice reader, checked to be UTF-8 once, so that the
/// names and texts of its events (slices of it) need no check of their own.
#[derive(Debug, Clone, Copy)]
pub struct Utf8Input<'a> {
    input: &'a [u8],
    /// The document as text, when it is UTF-8.
    text: Option<&'a str>,
}

impl<'a> Utf8Input<'a> {
    /// Checks `input` (one pass).
    pub fn new(input: &'a [u8]) -> Utf8Input<'a> {
        Utf8Input {
            input,
            text: std::str::from_utf8(input).ok(),
        }
    }

    /// `input` and, when the caller has checked it, the same bytes as `text` (anything else is
    /// not taken as its text, and the input is then read as not checked).
    pub fn checked(input: &'a [u8], text: Option<&'a str>) -> Utf8Input<'a> {
        Utf8Input {
            input,
            text: text.filter(|t| std::ptr::eq(t.as_bytes(), input)),
        }
    }

    /// The document.
    pub fn bytes(&self) -> &'a [u8] {
        self.input
    }

    /// The document as text, when it is UTF-8 (and was checked).
    pub fn text(&self) -> Option<&'a str> {
        self.text
    }

    /// `part` as text, when it is a slice of the document on character boundaries and the
    /// document is UTF-8; `None` otherwise (then `part` must be checked on its own).
    pub fn str(&self, part: &[u8]) -> Option<&'a str> {
        let text = self.text?;
        let from = (part.as_ptr() as usize).wrapping_sub(self.input.as_ptr() as usize);
        text.get(from..from.checked_add(part.len())?)
    }

    /// `part` as text, U+FFFD for what is not UTF-8 (as `String::from_utf8_lossy`).
    pub fn lossy<'p>(&self, part: &'p [u8]) -> Cow<'p, str>
    where
        'a: 'p,
    {
        match self.str(part) {
            Some(s) => Cow::Borrowed(s),
            None => String::from_utf8_lossy(part),
        }
    }
}

/// [`leaf_texts`] as a reader meets the events of an element, for a reader that reads more
/// than the element (the envelope reader reads the operation's leaves in its one pass).
#[derive(Debug)]
pub struct LeafReader {
    /// The path of the open element below the root.
    path: String,
    /// Where each open element's part of `path` starts.
    starts: Vec<usize>,
    leaves: Leaves,
    /// The text of the innermost open element so far.
    text: String,
    has_child: bool,
}

impl Default for LeafReader {
    fn default() -> LeafReader {
        LeafReader {
            path: String::with_capacity(64),
            starts: Vec::with_capacity(8),
            leaves: Leaves::with_capacity(256),
            text: String::with_capacity(64),
            has_child: false,
        }
    }
}

impl LeafReader {
    /// Takes the next event of the element (its start tag first); `false` once the element
    /// has ended (or the input has). The error is [`leaf_texts`]'s.
    pub fn read(&mut self, event: &Event<'_>, input: &Utf8Input<'_>) -> Result<bool, String> {
        match event {
            Event::Start(e) => {
                if self.starts.len() >= DEPTH_CEILING {
                    return Err(format!("elements nest deeper than {DEPTH_CEILING} levels"));
                }
                self.starts.push(self.path.len());
                if self.starts.len() > 1 {
                    if !self.path.is_empty() {
                        self.path.push('/');
                    }
                    self.path.push_str(&input.lossy(e.local_name().as_ref()));
                }
                self.text.clear();
                self.has_child = false;
            }
            Event::Empty(e) => {
                if !self.starts.is_empty() {
                    if self.leaves.len() >= MAX_LEAVES {
                        return Err(too_many_leaves());
                    }
                    let local = e.local_name();
                    let last = input.lossy(local.as_ref());
                    self.push_leaf(Some(&last), "");
                }
                self.has_child = true;
            }
            Event::Text(t) => match input.str(t) {
                Some(s) => self.text.push_str(s),
                None => {
                    let s = t.decode().map_err(|e| format!("text is not UTF-8: {e}"))?;
                    self.text.push_str(&s);
                }
            },
            Event::CData(t) => match input.str(t) {
                Some(s) => self.text.push_str(s),
                None => {
                    let s = t.decode().map_err(|e| format!("CDATA is not UTF-8: {e}"))?;
                    self.text.push_str(&s);
                }
            },
            Event::GeneralRef(r) => self.text.push(resolve_reference(r)?),
            Event::End(_) => {
                let Some(start) = self.starts.pop() else {
                    return Ok(false);
                };
                if !self.has_child && !self.starts.is_empty() {
                    if self.leaves.len() >= MAX_LEAVES {
                        return Err(too_many_leaves());
                    }
                    let text = std::mem::take(&mut self.text);
                    self.push_leaf(None, text.trim());
                    self.text = text;
                }
                self.path.truncate(start);
                self.text.clear();
                self.has_child = true;
            }
            Event::Eof => return Ok(false),
            _ => {}
        }
        Ok(true)
    }

    /// The leaves read.
    pub fn finish(self) -> Leaves {
        self.leaves
    }

    /// Adds a leaf below the open element (`last`: an empty element's name) with `text`. Its
    /// path is [`OVERLONG_PATH`] when it is longer than any path a service reads: a copy per
    /// leaf must not grow with the names of its ancestors.
    fn push_leaf(&mut self, last: Option<&str>, text: &str) {
        let extra = last.map_or(0, |l| l.len() + 1);
        match self.path.len() + extra > MAX_PATH {
            true => self.leaves.push(OVERLONG_PATH, None, text),
            false => self.leaves.push(&self.path, last, text),
        }
    }
}

/// The longest leaf path [`leaf_texts`] writes out; far longer than any path a service reads.
pub const MAX_PATH: usize = 256;
/// The most leaves read from one element. Each keeps a copy of its path (up to [`MAX_PATH`]
/// bytes): a body of empty elements under a long path would otherwise take ~80 times its own
/// size in memory, where a request of the same size with text takes about its size. No
/// Serviceplatformen request comes near it.
pub const MAX_LEAVES: usize = 10_000;

/// The path of a leaf whose path is longer than [`MAX_PATH`]: it matches nothing.
pub const OVERLONG_PATH: &str = "…";

/// Why an element with more than [`MAX_LEAVES`] leaves is not read.
fn too_many_leaves() -> String {
    format!(
        "the element has more than {MAX_LEAVES} leaves (elements without child elements); sfstub reads at most that many"
    )
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn escape_is_quick_xmls(text in "([<>&'\"a-zæ ]|\\PC){0,80}") {
            let ours = super::escape(&text);
            proptest::prop_assert_eq!(&ours, &quick_xml::escape::escape(text.as_str()));
            proptest::prop_assert_eq!(matches!(ours, std::borrow::Cow::Borrowed(_)), !text.contains(['<', '>', '&', '\'', '"']));
        }
    }

    use super::*;

    #[test]
    fn an_element_with_more_leaves_than_the_bound_is_not_read() {
        let with = |n: usize, leaf: &str| format!("<Op><a><b>{}</b></a></Op>", leaf.repeat(n));
        for leaf in ["<x/>", "<x>1</x>"] {
            let leaves = leaf_texts(with(MAX_LEAVES, leaf).as_bytes()).expect("the bound is read");
            assert_eq!(leaves.len(), MAX_LEAVES);
            assert_eq!(leaves.get(0).map(|l| l.path), Some("a/b/x"));
            let refused = leaf_texts(with(MAX_LEAVES + 1, leaf).as_bytes()).expect_err("one more is refused");
            assert!(refused.contains("more than 10000 leaves"), "{refused}");
        }
    }

    #[test]
    fn leaves_keep_each_path_and_text_apart() {
        let mut leaves = Leaves::with_capacity(4);
        assert!(leaves.is_empty());
        leaves.push("a/b", None, "1");
        leaves.push("", Some("c"), "");
        leaves.push("a", Some("bæ"), "x/y");
        leaves.push("a/b", None, "2");
        let got: Vec<_> = leaves.iter().map(|l| (l.path, l.text)).collect();
        assert_eq!(got, [("a/b", "1"), ("c", ""), ("a/bæ", "x/y"), ("a/b", "2")]);
        assert_eq!((&leaves).into_iter().count(), leaves.len());
        assert_eq!(
            leaves.get(2),
            Some(Leaf {
                path: "a/bæ",
                text: "x/y"
            })
        );
        assert_eq!(leaves.get(4), None);
        // The first leaf at a path, its whole path only.
        assert_eq!(leaves.text_of("a/b"), Some("1"));
        assert_eq!(leaves.text_of("c"), Some(""));
        assert_eq!(leaves.text_of("a/bæ"), Some("x/y"));
        assert_eq!(leaves.text_of("a"), None);
        assert_eq!(leaves.text_of("b"), None);
        assert_eq!(format!("{leaves:?}").matches("Leaf {").count(), 4);
    }

    /// Three leaves, as a template's: `a/id` 0123, `a/cpr` x, `b` tid.
    fn three_leaves() -> Leaves {
        let mut leaves = Leaves::with_capacity(4);
        leaves.push("a", Some("id"), "0123");
        leaves.push("a", Some("cpr"), "x");
        leaves.push("b", None, "tid");
        leaves
    }

    #[test]
    fn shared_leaves_are_copied_before_a_push_and_take_other_texts_apart() {
        let template = three_leaves();
        let mut grown = template.clone();
        grown.push("c", None, "more");
        assert_eq!(template.len(), 3, "a push to a clone leaves the original alone");
        assert_eq!(grown.get(3).map(|l| (l.path, l.text)), Some(("c", "more")));
        // Texts of the same lengths (the offsets shared), then of other lengths.
        let same = template.with_texts([Some("3210"), None, Some("TID")]);
        let got: Vec<_> = same.iter().map(|l| (l.path, l.text)).collect();
        assert_eq!(got, [("a/id", "3210"), ("a/cpr", "x"), ("b", "TID")]);
        let other = template.with_texts([None, Some("150780-4329"), Some("")]);
        let got: Vec<_> = other.iter().map(|l| (l.path, l.text)).collect();
        assert_eq!(got, [("a/id", "0123"), ("a/cpr", "150780-4329"), ("b", "")]);
        assert_eq!(other.text_of("b"), Some(""));
        assert_eq!(other.text(1), Some("150780-4329"));
        assert_eq!(template.with_texts([None, None, None]), template);
        assert_ne!(same, template);
        let got: Vec<_> = template.iter().map(|l| l.text).collect();
        assert_eq!(got, ["0123", "x", "tid"], "the template's texts stay");
    }

    /// Leaves with other texts written into a spare's buffer are the leaves `with_texts`
    /// makes: in the spare's own buffer once nothing else holds it, in a new one (then kept as
    /// the spare) while something does, whatever texts the leaves before it had.
    #[test]
    fn leaves_with_other_texts_reuse_a_spare_buffer_no_one_holds() {
        let mut template = three_leaves();
        template.mark_layout();
        let texts: [[Option<&str>; 3]; 5] = [
            [Some("3210"), None, Some("TID")],
            [None, Some("150780-4329"), Some("")],
            [Some("3210"), None, Some("TID")],
            [None, None, None],
            [Some("ø"), Some("yy"), None],
        ];
        let mut spare = None;
        let mut held = Vec::new();
        for (n, texts) in texts.iter().enumerate() {
            let before = spare.as_ref().map(|s: &Leaves| Arc::as_ptr(&s.buffer));
            let got = template.with_texts_into(texts.iter().copied(), &mut spare);
            let want = template.with_texts(texts.iter().copied());
            assert_eq!(got, want, "{texts:?}");
            assert_eq!(got.layout(), template.layout());
            let kept = spare.as_ref().expect("a spare kept");
            assert!(Arc::ptr_eq(&kept.buffer, &got.buffer), "the spare is the leaves given");
            // Every other request's leaves are held on to: the next is written elsewhere.
            match (before, n % 2 == 1) {
                (Some(before), false) => assert_eq!(before, Arc::as_ptr(&got.buffer), "reused"),
                (Some(before), true) => assert_ne!(before, Arc::as_ptr(&got.buffer), "held, not reused"),
                (None, _) => {}
            }
            if n % 2 == 0 {
                held.push(got);
            }
        }
        let got: Vec<_> = held[0].iter().map(|l| l.text).collect();
        assert_eq!(got, ["3210", "x", "TID"], "leaves held keep their texts");
    }

    #[test]
    fn reads_leaves_by_local_name() {
        let xml = br#"<k:Op xmlns:k="urn:x"><k:A> 1 </k:A><B><k:C>x &amp; y &#65;</k:C><D/></B></k:Op>"#;
        let leaves = leaf_texts(xml).unwrap();
        let got: Vec<_> = leaves.iter().map(|l| (l.path, l.text)).collect();
        assert_eq!(got, vec![("A", "1"), ("B/C", "x & y A"), ("B/D", "")]);
    }

    #[test]
    fn an_overlong_path_is_cut_short_and_a_deep_one_refused() {
        let long = "n".repeat(300);
        let xml = format!("<r><{long}><a>1</a><b/></{long}><c>2</c></r>");
        let leaves = leaf_texts(xml.as_bytes()).unwrap();
        let got: Vec<_> = leaves.iter().map(|l| (l.path, l.text)).collect();
        assert_eq!(got, vec![(OVERLONG_PATH, "1"), (OVERLONG_PATH, ""), ("c", "2")]);
        let deep = "<a>".repeat(DEPTH_CEILING + 1) + &"</a>".repeat(DEPTH_CEILING + 1);
        assert!(leaf_texts(deep.as_bytes()).unwrap_err().contains("deeper than 1024"));
    }

    #[test]
    fn the_limit_check_counts_attributes_duplicates_and_namespaces() {
        let limits = Limits {
            max_depth: 3,
            max_attributes: 20,
            max_namespaces: 4,
        };
        let check = |xml: &str| -> Result<(), String> {
            let mut reader = Reader::from_str(xml);
            let mut check = LimitCheck::new(limits);
            loop {
                match reader.read_event().map_err(|e| e.to_string())? {
                    Event::Start(e) => check.open(&e, false)?,
                    Event::Empty(e) => check.open(&e, true)?,
                    Event::End(_) => check.close(),
                    Event::Eof => return Ok(()),
                    _ => {}
                }
            }
        };
        let attrs = |n: usize| (0..n).map(|i| format!(" a{i}=\"\"")).collect::<String>();
        assert_eq!(check(&format!("<r{}/>", attrs(20))), Ok(()));
        assert!(
            check(&format!("<r{}/>", attrs(21)))
                .unwrap_err()
                .contains("more than 20 attributes")
        );
        // Duplicates, found by the scan and by the hash set.
        assert!(
            check("<r a='1' b='2' a='3'/>")
                .unwrap_err()
                .contains("the attribute a appears twice in <r>")
        );
        let late = format!("<r{} a3=\"x\"/>", attrs(18));
        assert!(check(&late).unwrap_err().contains("the attribute a3 appears twice"));
        // Namespaces in scope add up along the path and are released at the end tag.
        let ns = |n: usize| (0..n).map(|i| format!(" xmlns:p{i}=\"u\"")).collect::<String>();
        assert_eq!(check(&format!("<r{}><a{}/><a{}/></r>", ns(2), ns(2), ns(2))), Ok(()));
        assert!(
            check(&format!("<r{}><a{}><b{}/></a></r>", ns(2), ns(2), ns(1)))
                .unwrap_err()
                .contains("more than 4 namespace declarations are in scope at <b>")
        );
        assert!(
            check("<a><b><c><d/></c></b></a>")
                .unwrap_err()
                .contains("deeper than 3 levels")
        );
        assert!(check("<a x/>").unwrap_err().contains("a malformed attribute in <a>"));
    }

    #[test]
    fn finds_the_characters_xml_does_not_allow_written_in_a_document() {
        assert_eq!(forbidden_character(b""), None);
        let allowed = "<a b=\"\t\">\r\n\u{feff}\u{fffd}\u{d7ff}\u{e000}\u{f8ff}\u{10ffff}æ \u{7f}\u{85}</a>".repeat(9);
        assert_eq!(forbidden_character(allowed.as_bytes()), None);
        // At every place in and across the blocks, and after a character that looks like one.
        for len in [0, 1, 62, 63, 64, 65, 127, 128, 200] {
            for c in [
                '\u{0}', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{e}', '\u{1f}', '\u{fffe}', '\u{ffff}',
            ] {
                let text = format!("{}\u{fffd}{c}x", "a".repeat(len));
                assert_eq!(forbidden_character(text.as_bytes()), Some((len + 3, c)), "{len} {c:?}");
            }
        }
        assert_eq!(forbidden_character(b"ab\xEF\xBF"), None);
        assert!(forbidden_character_reason(7, '\u{1}').contains("(at byte 7): it holds the character U+0001"));
    }

    #[test]
    fn a_character_reference_must_name_a_character_xml_allows() {
        let ok = |n: &str| char_reference(n.as_bytes());
        assert_eq!(ok("230"), Ok('æ'));
        assert_eq!(ok("xE6"), Ok('æ'));
        assert_eq!(ok("xe6"), Ok('æ'));
        assert_eq!(ok("0009"), Ok('\t'));
        assert_eq!(ok("13"), Ok('\r'));
        assert_eq!(ok("x10FFFF"), Ok('\u{10ffff}'));
        assert_eq!(ok("xFFFD"), Ok('\u{fffd}'));
        for (number, code) in [
            ("1", "U+0001"),
            ("0", "U+0000"),
            ("x1F", "U+001F"),
            ("xFFFE", "U+FFFE"),
            ("xFFFF", "U+FFFF"),
            ("xD800", "U+D800"),
            ("57343", "U+DFFF"),
        ] {
            assert_eq!(
                ok(number),
                Err(format!("names {code}, a character XML 1.0 does not allow")),
                "{number}"
            );
        }
        for number in ["", "x", "X41", "+65", "x-41", "x110000", "99999999999", "6 5", "x1g"] {
            assert_eq!(ok(number), Err("names no character".to_owned()), "{number}");
        }
        assert_eq!(bad_char_reference_in_value(b"a &amp; &bogus; & &#65;&#xE6;"), None);
        assert_eq!(
            bad_char_reference_in_value(b"urn:&#1;").as_deref(),
            Some("the character reference &#1; names U+0001, a character XML 1.0 does not allow")
        );
        assert_eq!(
            bad_char_reference_in_value(b"&#65&#66;").as_deref(),
            Some("the character reference &#65 is not ended by a ;")
        );
        assert!(bad_char_reference_in_value(b"x&#").is_some());
        // Where quick-xml reads a reference, it is refused the same way.
        assert_eq!(
            leaf_texts(b"<a><b>x&#x1F;</b></a>"),
            Err("the character reference &#x1F; names U+001F, a character XML 1.0 does not allow".to_owned())
        );
    }

    #[test]
    fn an_attribute_value_with_a_reference_to_a_character_xml_does_not_allow_is_refused() {
        let check = |xml: &str| {
            let mut reader = Reader::from_str(xml);
            match reader.read_event() {
                Ok(Event::Empty(e)) => LimitCheck::new(Limits::default()).open(&e, true),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(check("<r a='&amp;&#65;' b=\"&bogus;\"/>"), Ok(()));
        assert_eq!(
            check("<r a='1' b=\"x&#xFFFF;\"/>"),
            Err("the request is not well-formed XML: in the value of the attribute b of <r>, the character reference &#xFFFF; names U+FFFF, a character XML 1.0 does not allow".to_owned())
        );
        assert!(
            check("<r xmlns:p='urn:&#1;'/>")
                .unwrap_err()
                .contains("attribute xmlns:p of <r>")
        );
    }

    #[test]
    fn a_carriage_return_is_written_as_a_reference_and_read_back_as_written() {
        for text in ["a\rb", "\r", "x\r\ny <&>'\"\r", "æ\r\r"] {
            let escaped = escape(text);
            assert!(!escaped.contains('\r'), "{escaped}");
            let xml = format!("<a>{escaped}</a>");
            let mut reader = Reader::from_str(&xml);
            let mut read = String::new();
            loop {
                match reader.read_event().unwrap() {
                    Event::Text(t) => read.push_str(&t.decode().unwrap()),
                    Event::GeneralRef(r) => read.push(resolve_reference(&r).unwrap()),
                    Event::Eof => break,
                    _ => {}
                }
            }
            assert_eq!(read, text);
        }
        assert_eq!(escape("a\rb&"), "a&#13;b&amp;");
    }

    #[test]
    fn an_attribute_value_reads_back_as_written() {
        let value = "a\tb\nc\r\n d&\"<";
        let xml = format!("<a v=\"{}\"/>", escape_attribute(value));
        // The signature tree normalises attribute values as XML 1.0 says.
        let tree = crate::security::xmltree::Tree::parse(xml.as_bytes()).expect("well-formed");
        assert_eq!(tree.attribute(tree.root(), None, "v"), Some(value), "{xml}");
    }

    #[test]
    fn line_ends_are_normalised_as_xml_reads_them() {
        let normalised = |text: &str| {
            let mut out = String::from(">");
            push_line_normalised(&mut out, text);
            out
        };
        assert_eq!(normalised("a\r\nb\rc\n\r\r\nd\r"), ">a\nb\nc\n\n\nd\n");
        assert_eq!(normalised("plain"), ">plain");
    }

    #[test]
    fn refuses_undefined_entities() {
        assert!(leaf_texts(b"<a><b>&foo;</b></a>").unwrap_err().contains("&foo;"));
    }
}
