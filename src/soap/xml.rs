//! Small XML helpers: escaping for the writers, reading an element's leaf texts by local
//! name for the request parsers, and [`LimitCheck`], which keeps every reader of request XML
//! within the [`Limits`] (depth, attributes, namespace declarations in scope).

use std::borrow::Cow;
use std::collections::HashSet;

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
        visit(key, &attribute.value);
    }
    Ok(declarations)
}

/// Escapes `<`, `>`, `&`, `'` and `"` (as quick-xml's `escape` does; most text has none of
/// them, which two memchr scans tell faster than its byte-by-byte search).
pub fn escape(s: &str) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    if memchr::memchr3(b'<', b'>', b'&', bytes).is_none() && memchr::memchr2(b'\'', b'"', bytes).is_none() {
        return Cow::Borrowed(s);
    }
    quick_xml::escape::escape(s)
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
pub fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    if let Some(c) = r
        .resolve_char_ref()
        .map_err(|e| format!("bad character reference: {e}"))?
    {
        return Ok(c);
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
/// its text, entity references resolved and surrounding white space trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub path: String,
    pub text: String,
}

/// Reads every element that holds text (or nothing) below the root of `xml`, in document
/// order. Prefixes are ignored: paths use local names; attributes are not read. The document
/// has usually passed [`super::parse_envelope`], which applies the configured limits and
/// refuses DOCTYPEs; on its own this reads at most [`DEPTH_CEILING`] levels deep, so its cost
/// stays linear in the input.
pub fn leaf_texts(xml: &[u8]) -> Result<Vec<Leaf>, String> {
    let mut reader = Reader::from_reader(xml);
    let text = Utf8Input::new(xml);
    let mut leaves = Leaves::default();
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
pub struct Leaves {
    /// The path of the open element below the root.
    path: String,
    /// Where each open element's part of `path` starts.
    starts: Vec<usize>,
    leaves: Vec<Leaf>,
    /// The text of the innermost open element so far.
    text: String,
    has_child: bool,
}

impl Default for Leaves {
    fn default() -> Leaves {
        Leaves {
            path: String::with_capacity(64),
            starts: Vec::with_capacity(8),
            leaves: Vec::with_capacity(16),
            text: String::with_capacity(64),
            has_child: false,
        }
    }
}

impl Leaves {
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
                    let path = self.leaf_path(Some(e.local_name().as_ref()), input);
                    self.leaves.push(Leaf {
                        path,
                        text: String::new(),
                    });
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
                    let path = self.leaf_path(None, input);
                    let text = self.text.trim().to_owned();
                    self.leaves.push(Leaf { path, text });
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
    pub fn finish(self) -> Vec<Leaf> {
        self.leaves
    }

    /// A leaf's path, or [`OVERLONG_PATH`] when it is longer than any path a service reads: a
    /// copy per leaf must not grow with the names of its ancestors.
    fn leaf_path(&self, last: Option<&[u8]>, input: &Utf8Input<'_>) -> String {
        let extra = last.map_or(0, |l| l.len() + 1);
        if self.path.len() + extra > MAX_PATH {
            return OVERLONG_PATH.to_owned();
        }
        let mut p = String::with_capacity(self.path.len() + extra);
        p.push_str(&self.path);
        if let Some(last) = last {
            if !p.is_empty() {
                p.push('/');
            }
            p.push_str(&input.lossy(last));
        }
        p
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
            assert_eq!(leaves[0].path, "a/b/x");
            let refused = leaf_texts(with(MAX_LEAVES + 1, leaf).as_bytes()).expect_err("one more is refused");
            assert!(refused.contains("more than 10000 leaves"), "{refused}");
        }
    }

    #[test]
    fn reads_leaves_by_local_name() {
        let xml = br#"<k:Op xmlns:k="urn:x"><k:A> 1 </k:A><B><k:C>x &amp; y &#65;</k:C><D/></B></k:Op>"#;
        let leaves = leaf_texts(xml).unwrap();
        let got: Vec<_> = leaves.iter().map(|l| (l.path.as_str(), l.text.as_str())).collect();
        assert_eq!(got, vec![("A", "1"), ("B/C", "x & y A"), ("B/D", "")]);
    }

    #[test]
    fn an_overlong_path_is_cut_short_and_a_deep_one_refused() {
        let long = "n".repeat(300);
        let xml = format!("<r><{long}><a>1</a><b/></{long}><c>2</c></r>");
        let leaves = leaf_texts(xml.as_bytes()).unwrap();
        let got: Vec<_> = leaves.iter().map(|l| (l.path.as_str(), l.text.as_str())).collect();
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
    fn refuses_undefined_entities() {
        assert!(leaf_texts(b"<a><b>&foo;</b></a>").unwrap_err().contains("&foo;"));
    }
}
