//! XML pretty-printed for people: one element per line, indented by two spaces. Text that is
//! not well-formed XML is shown as it came.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::Event;

/// `xml` indented, or `None` when it is not well-formed XML.
pub fn indent(xml: &[u8]) -> Option<String> {
    // Whitespace-only text (the old indentation) is dropped; other text is kept as it is
    // (trimming would also eat the spaces around an entity: `t &amp; u`).
    let mut reader = Reader::from_reader(xml);
    let mut writer = Writer::new_with_indent(Vec::with_capacity(xml.len() * 2), b' ', 2);
    let mut depth: usize = 0;
    loop {
        match reader.read_event().ok()? {
            Event::Eof => break,
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            event => {
                match &event {
                    Event::Start(_) => depth += 1,
                    Event::End(_) => depth = depth.checked_sub(1)?,
                    _ => {}
                }
                writer.write_event(event).ok()?;
            }
        }
    }
    if depth != 0 {
        return None;
    }
    String::from_utf8(writer.into_inner()).ok()
}

/// `body` as people should read it: indented when it is XML, else as text (invalid UTF-8
/// replaced).
pub fn readable(body: &[u8]) -> String {
    let looks_like_xml = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    match looks_like_xml.then(|| indent(body)).flatten() {
        Some(pretty) => pretty,
        None => String::from_utf8_lossy(body).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_go_on_their_own_lines() {
        let pretty = indent(b"<a><b x=\"1\">t &amp; u</b><c/></a>").unwrap();
        assert_eq!(pretty, "<a>\n  <b x=\"1\">t &amp; u</b>\n  <c/>\n</a>");
    }

    #[test]
    fn what_is_not_xml_is_shown_as_it_came() {
        assert_eq!(indent(b"<a><b></a>"), None);
        assert_eq!(readable(b"{\"json\": 1}"), "{\"json\": 1}");
        assert_eq!(readable(b"<a><b>"), "<a><b>");
    }
}
