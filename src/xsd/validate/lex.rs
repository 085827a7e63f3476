//! The validator's own reader for the common case: start, end and empty-element tags, text
//! and general references, read as quick-xml's slice reader reads them (its default
//! configuration, end names checked) with the same event positions, at a fraction of the
//! cost. Anything else — a comment, CDATA, a processing instruction, a DOCTYPE, a byte order
//! mark, or anything quick-xml would call an error — ends it (`None`), and the validator reads
//! the element again with quick-xml from the start, so findings and messages are quick-xml's
//! whichever reader ran.
//!
//! Cost: every byte is looked at a bounded number of times (a tag's bytes twice: once for its
//! `>`, once for its name), so reading is linear in the input.

pub(super) use crate::soap::scan::is_space;
use crate::soap::scan::{below, equal, find, same_name, word};

/// What the reader found at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token<'a> {
    /// A start tag or an empty-element tag: the text between `<` and `>` (without an empty
    /// tag's `/`); the name is its first `name_len` bytes.
    Start { tag: &'a str, name_len: usize, empty: bool },
    /// An end tag whose name matches the open element's.
    End,
    /// Literal text (never empty).
    Text(&'a str),
    /// A general reference: the text between `&` and `;`.
    Ref(&'a str),
    /// The end of the input.
    Eof,
}

pub(super) struct Lexer<'a> {
    text: &'a str,
    /// Where the next token starts.
    pos: usize,
    /// The names of the open elements.
    open: Vec<&'a str>,
    /// Whether an open element's name has a quote in it (then end tags are read the long way,
    /// as quick-xml reads them).
    quoted_names: bool,
}

impl<'a> Lexer<'a> {
    /// A reader of `text`, keeping its open element names in `open` (emptied first).
    pub(super) fn new(text: &'a str, mut open: Vec<&'a str>) -> Lexer<'a> {
        open.clear();
        Lexer {
            text,
            pos: 0,
            open,
            quoted_names: false,
        }
    }

    /// The storage of the open element names, for the next reader.
    pub(super) fn into_open(self) -> Vec<&'a str> {
        self.open
    }

    /// Where the next token starts (quick-xml's `buffer_position` before the event).
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// The next token; `None` when the input needs quick-xml (see the module doc).
    #[inline(always)]
    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        let pos = self.pos;
        // quick-xml drops a UTF-8 byte order mark first: left to it.
        if pos == 0 && self.text.starts_with('\u{feff}') {
            return None;
        }
        match bytes.get(pos) {
            None => Some(Token::Eof),
            Some(b'<') => self.markup(),
            Some(b'&') => {
                let rest = &bytes[pos + 1..];
                let i = find(rest, [b';', b'&', b'<'])?;
                if rest[i] != b';' {
                    return None;
                }
                self.pos = pos + 1 + i + 1;
                Some(Token::Ref(&self.text[pos + 1..pos + 1 + i]))
            }
            Some(_) => {
                let end = find(&bytes[pos..], [b'<', b'&', b'<']).map_or(bytes.len(), |i| pos + i);
                self.pos = end;
                Some(Token::Text(&self.text[pos..end]))
            }
        }
    }

    /// A tag at `<`.
    fn markup(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        let pos = self.pos;
        match bytes.get(pos + 1) {
            None | Some(b'!' | b'?') => None,
            Some(b'/') => {
                // The usual end tag: `</` and the open element's name, then `>` at once.
                if !self.quoted_names
                    && let Some(&open) = self.open.last()
                    && let after = pos + 2 + open.len()
                    && bytes
                        .get(pos + 2..after)
                        .is_some_and(|name| same_name(name, open.as_bytes()))
                    && bytes.get(after) == Some(&b'>')
                {
                    self.open.pop();
                    self.pos = after + 1;
                    return Some(Token::End);
                }
                let gt = close(bytes, pos + 1)?;
                // quick-xml trims white space after the name, unless there is nothing else.
                let raw = &self.text[pos + 2..gt];
                let name = match raw.trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8)) {
                    "" => raw,
                    name => name,
                };
                if self.open.last() != Some(&name) {
                    return None;
                }
                self.open.pop();
                self.pos = gt + 1;
                Some(Token::End)
            }
            Some(_) => {
                // The name first, up to what may end it: then the tag's end is looked for
                // from there on (the name holds no quote, so no `>` in it is quoted).
                let from = pos + 1;
                let i = name_end(bytes, from);
                let (gt, name_len) = match bytes.get(i) {
                    Some(b'>') => (i, i - from),
                    Some(b'/') if bytes.get(i + 1) == Some(&b'>') => (i + 1, i - from),
                    Some(&b) if is_space(b) => (close(bytes, i)?, i - from),
                    // A quote in the name, a `/` inside the tag, or the end of the input.
                    _ => return self.start_tag(),
                };
                let content = &self.text[from..gt];
                let (tag, empty) = match content.strip_suffix('/') {
                    Some(tag) => (tag, true),
                    None => (content, false),
                };
                if !empty {
                    self.open.push(&tag[..name_len]);
                }
                self.pos = gt + 1;
                Some(Token::Start { tag, name_len, empty })
            }
        }
    }

    /// A start or empty-element tag at `<`, read the long way.
    fn start_tag(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        let pos = self.pos;
        let gt = close(bytes, pos + 1)?;
        let content = &self.text[pos + 1..gt];
        let (tag, empty) = match content.strip_suffix('/') {
            Some(tag) => (tag, true),
            None => (content, false),
        };
        let name_len = tag.bytes().position(is_space).unwrap_or(tag.len());
        if !empty {
            let name = &tag[..name_len];
            self.quoted_names |= name.bytes().any(|b| b == b'"' || b == b'\'');
            self.open.push(name);
        }
        self.pos = gt + 1;
        Some(Token::Start { tag, name_len, empty })
    }
}

/// The bytes that may end a start tag's name: white space, `>`, `/` and quotes.
const NAME_STOP: [bool; 256] = {
    let mut stop = [false; 256];
    let mut i = 0;
    while i < 256 {
        stop[i] = matches!(i as u8, b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/' | b'"' | b'\'');
        i += 1;
    }
    stop
};

/// Where the start tag name at `from` ends: the first byte of [`NAME_STOP`] from there on
/// (`bytes.len()` if none). Eight bytes at a time: a byte below `!` or one of `>`, `/`, `"`,
/// `'` marks a candidate; a candidate that is not white space (a control character) is
/// passed over one byte at a time.
#[inline(always)]
fn name_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let x = word(chunk);
        let hits = below(x, b'!') | equal(x, b'>') | equal(x, b'/') | equal(x, b'"') | equal(x, b'\'');
        if hits != 0 {
            at += (hits.trailing_zeros() / 8) as usize;
            if NAME_STOP[usize::from(bytes[at])] {
                return at;
            }
            // A control character: the rest one by one.
            break;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| NAME_STOP[usize::from(b)])
        .unwrap_or(bytes.len() - at)
}

/// Where an attribute key at `from` ends: the first `=` or white space from there on
/// (`bytes.len()` if none). Eight bytes at a time as [`name_end`]: a byte below `!` or an `=`
/// marks a candidate; one that is neither (a control character) is passed over one byte at a
/// time.
#[inline(always)]
fn key_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let x = word(chunk);
        let hits = below(x, b'!') | equal(x, b'=');
        if hits != 0 {
            at += (hits.trailing_zeros() / 8) as usize;
            if bytes[at] == b'=' || is_space(bytes[at]) {
                return at;
            }
            break;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| b == b'=' || is_space(b))
        .unwrap_or(bytes.len() - at)
}

/// The attributes of a start tag, read as quick-xml's attribute iterator reads them (without
/// its checks) for the usual shape: each `key="value"` or `key='value'`, white space around
/// `=` allowed. Items are (key, raw value) slices of the tag; an `Err` means quick-xml would
/// read the rest otherwise (or call it an error), and the tag is left to quick-xml.
pub(super) struct Attributes<'a> {
    content: &'a str,
    at: usize,
}

impl<'a> Attributes<'a> {
    /// The attributes of a tag's `content` (between `<` and `>`), whose name is its first
    /// `name_len` bytes.
    pub(super) fn new(content: &'a str, name_len: usize) -> Attributes<'a> {
        Attributes { content, at: name_len }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<(&'a str, &'a str), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.content.as_bytes();
        let space = |i: usize| b.get(i).copied().is_some_and(is_space);
        let mut i = self.at;
        while space(i) {
            i += 1;
        }
        if i >= b.len() {
            self.at = b.len();
            return None;
        }
        // Every index below is at an ASCII byte or the end: a character boundary.
        let key_start = i;
        i = key_end(b, i);
        let key = &self.content[key_start..i];
        while space(i) {
            i += 1;
        }
        if key.is_empty() || b.get(i) != Some(&b'=') {
            self.at = b.len();
            return Some(Err(()));
        }
        i += 1;
        while space(i) {
            i += 1;
        }
        let read = b.get(i).filter(|&&q| q == b'"' || q == b'\'').and_then(|&quote| {
            let from = i + 1;
            Some((from, from + find(&b[from..], [quote; 3])?))
        });
        let Some((from, to)) = read else {
            self.at = b.len();
            return Some(Err(()));
        };
        self.at = to + 1;
        Some(Ok((key, &self.content[from..to])))
    }
}

/// The `>` that closes the tag whose content starts at `from`: the first outside quotes.
pub(super) fn close(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = at + find(&bytes[at..], [b'>', b'\'', b'"'])?;
        let quote = bytes[i];
        if quote == b'>' {
            return Some(i);
        }
        at = i + 1 + find(&bytes[i + 1..], [quote; 3])? + 1;
    }
}

/// Whether `bytes` has `xmlns` in it.
pub(super) fn contains_xmlns(bytes: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = find(&bytes[at..], [b'x'; 3]) {
        if bytes[at + i..].starts_with(b"xmlns") {
            return true;
        }
        at += i + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;
    use quick_xml::reader::Reader;

    /// quick-xml's events as tokens, with their positions, as the validator reads them; up to
    /// the first event the lexer leaves to quick-xml.
    fn quick(text: &str) -> Vec<(usize, Option<Token<'_>>)> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        let of = |part: &[u8]| {
            let from = part.as_ptr() as usize - text.as_ptr() as usize;
            &text[from..from + part.len()]
        };
        let mut out = Vec::new();
        loop {
            let at = reader.buffer_position() as usize;
            let token = match reader.read_event() {
                Ok(Event::Start(e)) => Some(Token::Start {
                    tag: of(&e),
                    name_len: e.name().as_ref().len(),
                    empty: false,
                }),
                Ok(Event::Empty(e)) => Some(Token::Start {
                    tag: of(&e),
                    name_len: e.name().as_ref().len(),
                    empty: true,
                }),
                Ok(Event::End(_)) => Some(Token::End),
                Ok(Event::Text(t)) => Some(Token::Text(of(&t))),
                Ok(Event::GeneralRef(r)) => Some(Token::Ref(of(&r))),
                Ok(Event::Eof) => Some(Token::Eof),
                _ => None,
            };
            let stop = matches!(token, None | Some(Token::Eof));
            out.push((at, token));
            if stop {
                return out;
            }
        }
    }

    fn ours(text: &str) -> Vec<(usize, Option<Token<'_>>)> {
        let mut lexer = Lexer::new(text, Vec::new());
        let mut out = Vec::new();
        loop {
            let at = lexer.position();
            let token = lexer.next_token();
            let stop = matches!(token, None | Some(Token::Eof));
            out.push((at, token));
            if stop {
                return out;
            }
        }
    }

    /// The lexer's tokens are quick-xml's events (or it stops where quick-xml reads something
    /// it leaves to quick-xml).
    fn agree(text: &str) {
        let (q, o) = (quick(text), ours(text));
        match o.last() {
            Some((_, None)) => assert_eq!(Some(&o[..o.len() - 1]), q.get(..o.len() - 1), "{text:?}"),
            _ => assert_eq!(o, q, "{text:?}"),
        }
    }

    #[test]
    fn tokens_are_quick_xmls_events() {
        for text in [
            "<a>x</a>",
            " <p:a  b='>' c=\"'\">x &amp; y&#65;<b/><c d='1' /> </p:a \n> ",
            "<a>x</a >",
            "<a></b>",
            "</a>",
            "<a>&amp</a>",
            "<a>&x&y;</a>",
            "<a><!-- c --></a>",
            "\u{feff}<a/>",
            "<a",
            "<",
            "",
            "text",
            "<a/>",
            "< a>",
            "<a\tb='1'/><b>",
            "<a>é€</a>",
            "< >x</ >",
            "<\t>x</\n>",
        ] {
            agree(text);
        }
        assert_eq!(ours("<a>&amp</a>").last(), Some(&(3, None)));
        assert_eq!(ours("<a><!-- c --></a>").last(), Some(&(3, None)));
    }

    /// The attributes read in place are quick-xml's (without its checks), up to where the
    /// reader leaves the tag to quick-xml, which then reads something else or an error there.
    fn attributes_agree(content: &str, name_len: usize) {
        let mut theirs = quick_xml::events::attributes::Attributes::new(content, name_len);
        theirs.with_checks(false);
        let theirs: Vec<Result<(String, String), ()>> = theirs
            .map(|a| {
                a.map(|a| {
                    let key = String::from_utf8(a.key.as_ref().to_vec()).expect("UTF-8");
                    (key, String::from_utf8(a.value.to_vec()).expect("UTF-8"))
                })
                .map_err(|_| ())
            })
            .collect();
        let ours: Vec<Result<(String, String), ()>> = Attributes::new(content, name_len)
            .map(|a| a.map(|(k, v)| (k.to_owned(), v.to_owned())))
            .collect();
        match ours.iter().position(Result::is_err) {
            Some(stop) => {
                assert_eq!(ours[..stop], theirs[..stop.min(theirs.len())], "{content:?}");
                assert_eq!(ours.len(), stop + 1, "{content:?}");
                // quick-xml reads something else there: an error, or an unusual attribute.
                assert!(
                    theirs.get(stop).is_none_or(|t| t.is_err() || t != &ours[stop]),
                    "{content:?}"
                );
            }
            None => assert_eq!(ours, theirs, "{content:?}"),
        }
    }

    #[test]
    fn attributes_are_quick_xmls() {
        for content in [
            "a",
            "a b='1' c=\"2\"",
            "a  b = '1'\tc\n=\r\"x>y\"",
            "a b='1'c='2'",
            "a b",
            "a b=",
            "a b=1",
            "a =\"1\"",
            "a b='1",
            "a b='\"' c=\"'\"",
            "a xmlns:p='urn:p' p:b='&amp;'",
            "a b='é' é='1'",
        ] {
            attributes_agree(content, 1);
        }
        use proptest::prelude::*;
        let pieces = prop::sample::select(vec![
            " ", "\t", "\n", "a", "b:c", "=", "\"", "'", "x", "&amp;", "é", ">", "/", "xmlns", "='1'", "=\"2\"",
        ]);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 2000,
            ..Default::default()
        });
        runner
            .run(&prop::collection::vec(pieces, 0..16), |pieces| {
                attributes_agree(&format!("t {}", pieces.concat()), 1);
                Ok(())
            })
            .unwrap();
    }

    /// A start tag's name ends where the byte-by-byte rule says, wherever it starts.
    #[test]
    fn names_end_at_the_first_stop() {
        use proptest::prelude::*;
        let byte = prop::sample::select(vec![
            b'a', b':', 0x01, 0x1f, b' ', b'\t', b'\n', b'\r', b'>', b'/', b'"', b'\'', 0xc3, 0xa9, b'!', 0x7f,
        ]);
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&(prop::collection::vec(byte, 0..40), 0..8usize), |(bytes, from)| {
                let from = from.min(bytes.len());
                let naive = (from..bytes.len())
                    .find(|&i| NAME_STOP[usize::from(bytes[i])])
                    .unwrap_or(bytes.len());
                prop_assert_eq!(name_end(&bytes, from), naive);
                Ok(())
            })
            .unwrap();
    }

    /// An attribute key ends where the byte-by-byte rule says (the first `=` or white space),
    /// wherever it starts.
    #[test]
    fn keys_end_at_the_first_stop() {
        use proptest::prelude::*;
        let byte = prop::sample::select(vec![
            b'a', b':', 0x01, 0x1f, b' ', b'\t', b'\n', b'\r', b'=', b'>', b'"', b'\'', 0xc3, 0xa9, b'!', 0x7f, b'<',
        ]);
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&(prop::collection::vec(byte, 0..40), 0..8usize), |(bytes, from)| {
                let from = from.min(bytes.len());
                let naive = (from..bytes.len())
                    .find(|&i| bytes[i] == b'=' || is_space(bytes[i]))
                    .unwrap_or(bytes.len());
                prop_assert_eq!(key_end(&bytes, from), naive);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn xmlns_is_found_where_it_is() {
        for (text, has) in [
            ("", false),
            ("xmlns", true),
            ("xmln", false),
            (" a=\"1\" xmlns:p='u'", true),
            ("xxmlns", true),
            ("x mlns xmlnx xmlns", true),
            ("xml ns", false),
            ("a=\"xxxxxxxxxxxxxxxxxmln\"", false),
        ] {
            assert_eq!(contains_xmlns(text.as_bytes()), has, "{text:?}");
            assert_eq!(text.contains("xmlns"), has, "{text:?}");
        }
    }

    #[test]
    fn tokens_are_quick_xmls_events_for_any_input() {
        use proptest::prelude::*;
        let pieces = prop::sample::select(vec![
            "<", ">", "/", "</", "/>", "&", ";", "'", "\"", " ", "\n", "\t", "a", "b", "p:", "=", "x", "é", "!", "?",
            "<a>", "</a>", "<b/>", "&amp;", "&#1;", "<!--", "-->", "\u{feff}",
        ]);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 2000,
            ..Default::default()
        });
        runner
            .run(&prop::collection::vec(pieces, 0..24), |pieces| {
                agree(&pieces.concat());
                Ok(())
            })
            .unwrap();
    }
}
