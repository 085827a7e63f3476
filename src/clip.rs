//! Text a request sent, made safe to quote back in a fault or a log line: cut to a bounded
//! length with a marker saying how long it was, so a 900 KB element name costs a 300-byte
//! message, not a 900 KB one.

use std::borrow::Cow;

/// The most characters of one piece of request text (an element name, a value, a path) quoted
/// in a fault reason or a log field.
pub const QUOTE_CHARS: usize = 256;

/// The most characters of a whole fault reason (and of the outcome in the request log).
pub const REASON_CHARS: usize = 1024;

/// `text` cut to [`QUOTE_CHARS`] characters, with `…(N bytes in all)` after a cut.
pub fn clip(text: &str) -> Cow<'_, str> {
    clip_to(text, QUOTE_CHARS)
}

/// `bytes` as text (invalid UTF-8 replaced), cut like [`clip`].
pub fn clip_bytes(bytes: &[u8]) -> String {
    // Decode no more than the part that can be shown (4 bytes a character at most).
    let shown = &bytes[..bytes.len().min(QUOTE_CHARS * 4 + 4)];
    let text = String::from_utf8_lossy(shown);
    match cut_at(&text, QUOTE_CHARS) {
        Some(end) => marked(&text[..end], bytes.len()),
        None if shown.len() < bytes.len() => marked(&text, bytes.len()),
        None => text.into_owned(),
    }
}

/// `text` cut to `max` characters, with `…(N bytes in all)` after a cut.
pub fn clip_to(text: &str, max: usize) -> Cow<'_, str> {
    match cut_at(text, max) {
        Some(end) => Cow::Owned(marked(&text[..end], text.len())),
        None => Cow::Borrowed(text),
    }
}

/// The byte offset after the first `max` characters, if `text` is longer.
/// `text.trim()`, without its scan for Unicode white space when both ends are visible ASCII
/// (which is never white space): a field a request sent is nearly always such, and the scan
/// cost ~50 instructions a field (callgrind on examples/request_cost).
pub fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        [only] if only.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

fn cut_at(text: &str, max: usize) -> Option<usize> {
    if text.len() <= max {
        return None;
    }
    text.char_indices().nth(max).map(|(i, _)| i)
}

fn marked(head: &str, total: usize) -> String {
    format!("{head}…({total} bytes in all)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_is_str_trim() {
        for text in [
            "",
            " ",
            "x",
            " x",
            "x ",
            "\tx\n",
            "1507804329",
            " 64942212 ",
            "\u{a0}x\u{a0}",
            "\u{2003}ø",
            "ø",
            "æx",
            "x\u{3000}",
            "\r\n",
            "a b",
            "\u{85}x",
            "x\u{1680}",
            "~",
            "\u{7f}x\u{7f}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn trim_is_str_trim_for_any_text(text in "\\PC{0,6}|[ \t\n\r\u{a0}\u{2000}-\u{200a}\u{3000}xø1]{0,6}") {
            proptest::prop_assert_eq!(trim(&text), text.trim());
        }
    }

    #[test]
    fn short_text_is_quoted_whole_and_not_copied() {
        assert!(matches!(
            clip("KontrolsagListeHent_I"),
            Cow::Borrowed("KontrolsagListeHent_I")
        ));
        let exactly = "x".repeat(QUOTE_CHARS);
        assert_eq!(clip(&exactly), exactly);
    }

    #[test]
    fn long_text_is_cut_with_its_length() {
        let long = "A".repeat(900_000);
        let clipped = clip(&long);
        assert!(clipped.starts_with(&"A".repeat(QUOTE_CHARS)));
        assert!(clipped.ends_with("…(900000 bytes in all)"), "{clipped}");
        assert!(clipped.len() < QUOTE_CHARS + 40);
    }

    #[test]
    fn cuts_fall_between_characters() {
        let long = "ø".repeat(QUOTE_CHARS + 1);
        let clipped = clip(&long);
        assert!(clipped.starts_with(&"ø".repeat(QUOTE_CHARS)));
        assert!(clipped.ends_with(&format!("…({} bytes in all)", long.len())));
    }

    #[test]
    fn bytes_are_decoded_only_as_far_as_shown() {
        let mut long = "æ".repeat(QUOTE_CHARS).into_bytes();
        long.extend_from_slice(&[0xFF; 10_000]);
        let clipped = clip_bytes(&long);
        assert!(clipped.starts_with(&"æ".repeat(QUOTE_CHARS)));
        assert!(clipped.ends_with(&format!("…({} bytes in all)", long.len())));
        assert_eq!(clip_bytes(b"Envelope"), "Envelope");
        let invalid = [0xFFu8; 600];
        assert!(clip_bytes(&invalid).ends_with("…(600 bytes in all)"));
    }
}
