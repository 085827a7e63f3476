//! Small XML helpers: escaping for the writers, and reading an element's leaf texts by local
//! name for the request parsers.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Escapes `<`, `>`, `&`, `'` and `"`.
pub fn escape(s: &str) -> Cow<'_, str> {
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
/// order. Prefixes are ignored: paths use local names. The document must already have passed
/// [`super::parse_envelope`], which limits depth and refuses DOCTYPEs.
pub fn leaf_texts(xml: &[u8]) -> Result<Vec<Leaf>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Vec<u8>> = Vec::with_capacity(8);
    let mut leaves = Vec::with_capacity(16);
    let mut text = String::new();
    let mut has_child = false;
    let path_of = |stack: &[Vec<u8>], last: &[u8]| {
        let mut p = String::new();
        for seg in stack.iter().skip(1).map(|v| v.as_slice()).chain(std::iter::once(last)) {
            if !p.is_empty() {
                p.push('/');
            }
            p.push_str(&String::from_utf8_lossy(seg));
        }
        p
    };
    loop {
        match reader.read_event().map_err(|e| format!("not well-formed XML: {e}"))? {
            Event::Start(e) => {
                stack.push(e.local_name().as_ref().to_vec());
                text.clear();
                has_child = false;
            }
            Event::Empty(e) => {
                if !stack.is_empty() {
                    leaves.push(Leaf {
                        path: path_of(&stack, e.local_name().as_ref()),
                        text: String::new(),
                    });
                }
                has_child = true;
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| format!("text is not UTF-8: {e}"))?;
                text.push_str(&s);
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| format!("CDATA is not UTF-8: {e}"))?;
                text.push_str(&s);
            }
            Event::GeneralRef(r) => text.push(resolve_reference(&r)?),
            Event::End(_) => {
                let Some(last) = stack.pop() else { break };
                if !has_child && !stack.is_empty() {
                    leaves.push(Leaf {
                        path: path_of(&stack, &last),
                        text: text.trim().to_owned(),
                    });
                }
                text.clear();
                has_child = true;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(leaves)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_leaves_by_local_name() {
        let xml = br#"<k:Op xmlns:k="urn:x"><k:A> 1 </k:A><B><k:C>x &amp; y &#65;</k:C><D/></B></k:Op>"#;
        let leaves = leaf_texts(xml).unwrap();
        let got: Vec<_> = leaves.iter().map(|l| (l.path.as_str(), l.text.as_str())).collect();
        assert_eq!(got, vec![("A", "1"), ("B/C", "x & y A"), ("B/D", "")]);
    }

    #[test]
    fn refuses_undefined_entities() {
        assert!(leaf_texts(b"<a><b>&foo;</b></a>").unwrap_err().contains("&foo;"));
    }
}
