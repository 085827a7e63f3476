//! The tree's own reader for the plain XML clients send (and sfstub writes): start, end and
//! empty-element tags with ASCII names and quoted attribute values without references, text
//! with the five predefined entity references and character references, CDATA sections,
//! comments and processing instructions. It hands what it reads to the same [`Reading`] as
//! the quick-xml pass, so the tree is the one that pass builds, at a fraction of the cost (no
//! events, no attribute iterator). Anything else — a DOCTYPE, a name outside ASCII's letters,
//! digits, `_`, `-`, `.` and one `:`, a reference in an attribute value or one quick-xml would
//! not resolve, a `<` in an attribute value, white space around `=` or in an end tag, more
//! than [`MAX_TAG_ATTRIBUTES`] attributes on a tag — and everything the quick-xml pass refuses
//! (a limit broken, an attribute twice, an end tag that does not match, a second root, a
//! document that ends inside an element or has none) ends it with `None`: the document is then
//! read by the quick-xml pass from the start, so every error is that pass's, word for word.
//! Where the two readers meet quick-xml's rules (names, comments, processing instructions,
//! references) they share [`crate::soap::plain`]'s reading of them.
//!
//! Cost: each byte is looked at a bounded number of times (a text run once to find its end; a
//! tag's name once to read it and once more to compare its end tag's; an attribute name at
//! most [`MAX_TAG_ATTRIBUTES`] times for duplicates, and once more where the tree keeps it; a
//! value once to find its end and once where the tree keeps it), so reading is linear in the
//! input, and a document it gives up on costs at most this pass over it on top of the
//! quick-xml pass.

use memchr::{memchr2, memchr3};

use super::fragment::Known;
use super::{Reading, Span, Tree};
use crate::soap::Limits;
use crate::soap::plain::{TagStep, cdata_at, comment_end, instruction_end, name_at, reference_at, tag_step};

/// The most attributes on one tag read here (each name is compared with those before it).
const MAX_TAG_ATTRIBUTES: usize = 16;

/// Reads `document` (line ends normalised) into a tree as the quick-xml pass would; `None`
/// when the document is not one read here or that pass would refuse it.
/// With `known` fragments, an element written as one of them is put in, not read
/// ([`super::fragment`]).
pub(super) fn read(document: &str, limits: Limits, known: Option<Known<'_>>) -> Option<Tree> {
    let bytes = document.as_bytes();
    let mut reading = Reading::new(document);
    // The namespace declarations each open element makes, and the sum of them.
    let mut declared: Vec<usize> = Vec::with_capacity(16);
    let mut in_scope = 0usize;
    let mut root = None;
    // quick-xml passes over a byte order mark.
    let start = if document.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut at = start;
    while at < bytes.len() {
        if bytes[at] != b'<' {
            // Text up to the next tag or reference (kept inside the document element only).
            let end = memchr2(b'<', b'&', &bytes[at..]).map_or(bytes.len(), |i| at + i);
            if end > at && !reading.stack.is_empty() {
                reading.push_span(Span { start: at, end });
            }
            at = end;
            if bytes.get(at) == Some(&b'&') {
                let (c, after) = reference_at(document, at)?;
                reading.push_char(c);
                at = after;
            }
            continue;
        }
        match *bytes.get(at + 1)? {
            b'/' => {
                let open = *reading.stack.last()?;
                let name = reading.tree.record(open).name;
                let name = &bytes[name.start..name.end];
                let name_end = at + 2 + name.len();
                if bytes.get(at + 2..name_end)? != name || bytes.get(name_end) != Some(&b'>') {
                    return None;
                }
                in_scope -= declared.pop()?;
                reading.close(name_end + 1);
                at = name_end + 1;
            }
            b'!' if bytes[at..].starts_with(b"<![CDATA[") => {
                let text = cdata_at(bytes, at)?;
                if !text.is_empty() {
                    reading.push_span(Span {
                        start: text.start,
                        end: text.end,
                    });
                }
                at = text.end + b"]]>".len();
            }
            b'!' => at = comment_end(bytes, at)?,
            b'?' => {
                // An XML declaration is read only where it belongs.
                let target = bytes.get(at + 2..at + 5)?;
                if at != start && target.eq_ignore_ascii_case(b"xml") {
                    return None;
                }
                at = instruction_end(bytes, at)?;
            }
            _ => {
                let (name_end, _) = name_at(bytes, at + 1)?;
                let (end, empty, declarations) = attributes(&mut reading, bytes, name_end, limits)?;
                reading.flush();
                if (reading.stack.is_empty() && root.is_some())
                    || declared.len() >= limits.max_depth
                    || in_scope + declarations > limits.max_namespaces
                {
                    return None;
                }
                if let Some(known) = known {
                    let name = &document[at + 1..name_end];
                    let id = reading.raw.iter().find_map(|&(k, v)| {
                        let (k, v) = (k?, v?);
                        (&document[k.start..k.end] == "ID").then(|| &document[v.start..v.end])
                    });
                    if let Some(fragment) = known(name, id)
                        && let Some((id, after)) = reading.put(&fragment, at, limits, declared.len(), in_scope)
                    {
                        root.get_or_insert(id);
                        at = after;
                        continue;
                    }
                }
                let source = Span { start: at, end };
                let id = reading.open(&bytes[at + 1..name_end], source, empty).ok()?;
                root.get_or_insert(id);
                if !empty {
                    declared.push(declarations);
                    in_scope += declarations;
                }
                at = end;
            }
        }
    }
    if !reading.stack.is_empty() {
        return None;
    }
    Some(reading.finish(root?))
}

/// Reads the attributes of the start tag whose name ends at `at` into `reading.raw`: returns
/// the end of the tag, whether it is an empty-element tag and how many namespace declarations
/// it makes; `None` when the tag is not one read here or breaks the limit on attributes.
fn attributes(reading: &mut Reading<'_>, bytes: &[u8], mut at: usize, limits: Limits) -> Option<(usize, bool, usize)> {
    reading.raw.clear();
    let mut declarations = 0;
    loop {
        let (key_end, quote) = match tag_step(bytes, at)? {
            TagStep::End { after, empty } => return Some((after, empty, declarations)),
            TagStep::Attribute {
                start, key_end, quote, ..
            } => {
                at = start;
                (key_end, quote)
            }
        };
        let key = &bytes[at..key_end];
        let value_start = key_end + 2;
        let value_end = value_start + memchr3(quote, b'<', b'&', &bytes[value_start..])?;
        if bytes[value_end] != quote {
            return None;
        }
        let count = reading.raw.len();
        if count >= limits.max_attributes
            || count == MAX_TAG_ATTRIBUTES
            || reading
                .raw
                .iter()
                .any(|&(k, _)| k.is_some_and(|k| &bytes[k.start..k.end] == key))
        {
            return None;
        }
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            declarations += 1;
        }
        reading.raw.push((
            Some(Span {
                start: at,
                end: key_end,
            }),
            Some(Span {
                start: value_start,
                end: value_end,
            }),
        ));
        at = value_end + 1;
    }
}
