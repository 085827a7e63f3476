//! Exclusive canonicalisation (`http://www.w3.org/2001/10/xml-exc-c14n#`, without comments)
//! of an element written as plain XML, read straight from its text: no tree is built. For
//! what sfstub writes itself and signs at once (a signed response's Body), which would
//! otherwise be parsed into a [`Tree`] only to be written out again.
//!
//! It reads what the tree's plain reader reads ([`super::plain`], through the same
//! [`crate::soap::plain`] steps), and less: an element whose text holds a carriage return or
//! a character XML does not allow, a processing instruction, a reference or white space in an
//! attribute value, a prefix it does not find declared, a prefix `xml` or `xmlns` used on a
//! name, an empty `xmlns:p=""`, an identifier attribute (`Id`, `ID`, `id`) below the element
//! itself, anything outside the element, or more than a few levels, attributes or
//! declarations, gives `None`: the caller then parses the text into a [`Tree`] and
//! canonicalises that, which gives every error. What it does read, it writes exactly as
//! [`Tree::exc_c14n`] writes the parsed element (the proptests below hold it to that), with the
//! same escaping ([`super::c14n`]).
//!
//! Linear in the text: each byte is looked at a bounded number of times, and a prefix is
//! looked up in stacks of at most [`MAX_IN_SCOPE`] declarations.

use memchr::{memchr, memchr2, memchr3};

use super::c14n::{escape_attr, escape_text, write_declaration};
use crate::soap::plain::{TagStep, cdata_at, comment_end, name_at, reference_at, tag_step};
use crate::soap::xml::forbidden_character;

#[cfg(test)]
use super::Tree;

/// The deepest nesting read here (the tree's limit is 64 by default).
const MAX_DEPTH: usize = 32;
/// The most attributes and declarations on one tag read here (as the plain reader).
const MAX_TAG_ATTRIBUTES: usize = 16;
/// The most declarations in scope read here (the tree's limit is 128 by default).
pub(super) const MAX_IN_SCOPE: usize = 64;

/// An element open in the text: where its name is, and the lengths of the two stacks before it.
struct Open {
    name: (usize, usize),
    in_scope: usize,
    rendered: usize,
}

/// The exclusive canonical form of the one element `document` holds (nothing before or after
/// it), declaring nothing beyond what it declares; `None` when it is not read here (see the
/// module's description).
pub fn exc_c14n_text(document: &str) -> Option<Vec<u8>> {
    let bytes = document.as_bytes();
    if memchr(b'\r', bytes).is_some() || forbidden_character(bytes).is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(document.len() + 256);
    // (prefix, URI) in scope, and rendered on the output ancestors; innermost last.
    let mut in_scope: Vec<(&str, &str)> = Vec::with_capacity(16);
    let mut rendered: Vec<(&str, &str)> = Vec::with_capacity(16);
    let mut stack: Vec<Open> = Vec::with_capacity(MAX_DEPTH);
    // Scratch for one start tag.
    let mut attributes: Vec<(&str, &str)> = Vec::with_capacity(MAX_TAG_ATTRIBUTES);
    let mut used: Vec<&str> = Vec::with_capacity(MAX_TAG_ATTRIBUTES);
    let mut order: Vec<(&str, &str, usize)> = Vec::with_capacity(MAX_TAG_ATTRIBUTES);
    // Within the element: the first byte is its `<`, and the text ends with its end tag.
    if bytes.first() != Some(&b'<') {
        return None;
    }
    let mut at = 0;
    loop {
        if at > 0 && stack.is_empty() {
            return (at == bytes.len()).then_some(out);
        }
        if *bytes.get(at)? != b'<' {
            // Text up to the next tag or reference.
            let end = memchr2(b'<', b'&', &bytes[at..]).map_or(bytes.len(), |i| at + i);
            escape_text(&document[at..end], &mut out);
            at = end;
            if bytes.get(at) == Some(&b'&') {
                let (c, after) = reference_at(document, at)?;
                escape_text(c.encode_utf8(&mut [0; 4]), &mut out);
                at = after;
            }
            continue;
        }
        match *bytes.get(at + 1)? {
            b'/' => {
                let open = stack.pop()?;
                let name = &bytes[open.name.0..open.name.1];
                let name_end = at + 2 + name.len();
                if bytes.get(at + 2..name_end)? != name || bytes.get(name_end) != Some(&b'>') {
                    return None;
                }
                out.extend_from_slice(b"</");
                out.extend_from_slice(name);
                out.push(b'>');
                in_scope.truncate(open.in_scope);
                rendered.truncate(open.rendered);
                at = name_end + 1;
            }
            // Nothing but the element: no comment before it.
            b'!' if stack.is_empty() => return None,
            b'!' if bytes[at..].starts_with(b"<![CDATA[") => {
                let text = cdata_at(bytes, at)?;
                escape_text(&document[text.clone()], &mut out);
                at = text.end + b"]]>".len();
            }
            b'!' => at = comment_end(bytes, at)?,
            b'?' => return None,
            _ => {
                let (name_end, colon) = name_at(bytes, at + 1)?;
                let name = &document[at + 1..name_end];
                let prefix = colon.map_or("", |c| &document[at + 1..c]);
                if matches!(prefix, "xml" | "xmlns") || stack.len() >= MAX_DEPTH {
                    return None;
                }
                let before = Open {
                    name: (at + 1, name_end),
                    in_scope: in_scope.len(),
                    rendered: rendered.len(),
                };
                // The attributes and declarations, as written.
                attributes.clear();
                let mut step = name_end;
                let (end, empty) = loop {
                    match tag_step(bytes, step)? {
                        TagStep::End { after, empty } => break (after, empty),
                        TagStep::Attribute {
                            start, key_end, quote, ..
                        } => {
                            let key = &document[start..key_end];
                            let value_start = key_end + 2;
                            let value_end = value_start + memchr3(quote, b'<', b'&', &bytes[value_start..])?;
                            let value = &document[value_start..value_end];
                            if bytes[value_end] != quote
                                || memchr2(b'\t', b'\n', value.as_bytes()).is_some()
                                || attributes.len() == MAX_TAG_ATTRIBUTES
                                || attributes.iter().any(|&(k, _)| k == key)
                            {
                                return None;
                            }
                            attributes.push((key, value));
                            step = value_end + 1;
                        }
                    }
                };
                // Declarations first, in scope for the element itself.
                for &(key, value) in &attributes {
                    let declared = match key.strip_prefix("xmlns") {
                        Some("") => "",
                        Some(p) => match p.strip_prefix(':') {
                            Some(p) if !matches!(p, "xml" | "xmlns") && !value.is_empty() => p,
                            Some(_) => return None,
                            // A name that starts with `xmlns`: an attribute.
                            None => continue,
                        },
                        None => continue,
                    };
                    in_scope.push((declared, value));
                }
                if in_scope.len() > MAX_IN_SCOPE {
                    return None;
                }
                let lookup = |p: &str| {
                    in_scope
                        .iter()
                        .rev()
                        .find(|(q, _)| *q == p)
                        .map(|&(_, uri)| uri)
                        .filter(|uri| !uri.is_empty())
                };
                // The prefixes the element visibly uses, and its attributes by (namespace URI,
                // local name).
                used.clear();
                used.push(prefix);
                order.clear();
                for (i, &(key, _)) in attributes.iter().enumerate() {
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let (namespace, local) = match key.split_once(':') {
                        Some((p, local)) => {
                            if p == "xml" {
                                return None;
                            }
                            used.push(p);
                            (lookup(p)?, local)
                        }
                        None => ("", key),
                    };
                    if matches!(local, "Id" | "ID" | "id") && !stack.is_empty() {
                        return None;
                    }
                    order.push((namespace, local, i));
                }
                used.sort_unstable();
                used.dedup();
                out.push(b'<');
                out.extend_from_slice(name.as_bytes());
                for &p in &used {
                    let uri = match lookup(p) {
                        Some(uri) => uri,
                        None if p.is_empty() => "",
                        None => return None,
                    };
                    let shown = rendered.iter().rev().find(|(q, _)| *q == p).map(|&(_, u)| u);
                    let declare = if p.is_empty() {
                        uri != shown.unwrap_or("")
                    } else {
                        shown != Some(uri)
                    };
                    if declare {
                        rendered.push((p, uri));
                        write_declaration(p, uri, &mut out);
                    }
                }
                // Stable, as the tree's: attributes with the same namespace and local name
                // keep their order.
                order.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
                for &(_, _, i) in &order {
                    let (key, value) = attributes[i];
                    out.push(b' ');
                    out.extend_from_slice(key.as_bytes());
                    out.extend_from_slice(b"=\"");
                    escape_attr(value, &mut out);
                    out.push(b'"');
                }
                out.push(b'>');
                if empty {
                    out.extend_from_slice(b"</");
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'>');
                    in_scope.truncate(before.in_scope);
                    rendered.truncate(before.rendered);
                    if stack.is_empty() {
                        return (end == bytes.len()).then_some(out);
                    }
                } else {
                    stack.push(before);
                }
                at = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The tree's canonical form of the document's element, when the tree reads it.
    fn by_tree(document: &str) -> Option<Vec<u8>> {
        let tree = Tree::parse(document.as_bytes()).ok()?;
        Some(tree.exc_c14n(tree.root(), None, &[]))
    }

    fn same(document: &str) {
        let direct = exc_c14n_text(document).unwrap_or_else(|| panic!("not read directly: {document}"));
        let tree = by_tree(document).unwrap_or_else(|| panic!("the tree refuses {document}"));
        assert_eq!(
            String::from_utf8(direct).unwrap(),
            String::from_utf8(tree).unwrap(),
            "{document}"
        );
    }

    #[test]
    fn writes_what_the_tree_writes_for_what_services_write() {
        same(
            "<soap:Body xmlns:soap=\"urn:s\" xmlns:wsa=\"urn:a\" xmlns:wsu=\"urn:u\" wsu:Id=\"_body\"><KontrolsagListeHent_O xmlns=\"urn:k\" xmlns:kontekst=\"urn:kk\" revision=\"1\"><kontekst:HovedOplysningerSvar><kontekst:TransaktionsId>t</kontekst:TransaktionsId></kontekst:HovedOplysningerSvar><KontrolsagListe/><KlasseTitel>Børnetilskud &amp; &lt;x&gt; &quot;y&quot; &apos;z&apos; a&gt;b</KlasseTitel></KontrolsagListeHent_O></soap:Body>",
        );
        // Declarations where used, the default namespace undeclared, attributes sorted by
        // namespace and local name, comments dropped, CDATA and character references as text.
        same(
            "<r xmlns:b=\"urn:b\" xmlns:a=\"urn:a\" z=\"1\" b:y='2\"' a:y=\"3\" y=\"x>y\"><a:x><b:x xmlns=\"urn:d\"><i xmlns=\"\"><!-- c -->x<![CDATA[<&>]]>&#230;&#x41;</i></b:x></a:x><a:e/></r>",
        );
    }

    #[test]
    fn leaves_to_the_tree_what_it_does_not_read() {
        for document in [
            "<r>a\r\nb</r>",
            "<r a=\"x&amp;y\"/>",
            "<r a=\"x\ny\"/>",
            "<r><?pi x?></r>",
            "<p:r/>",
            "<r xmlns:p=\"\"/>",
            "<r><a Id=\"x\"/></r>",
            "<r><a wsu:Id=\"x\" xmlns:wsu=\"urn:u\"/></r>",
            "<r xml:lang=\"da\"/>",
            "<r/> ",
            " <r/>",
            "<r></r><r/>",
            "<r></s>",
            "<!-- c --><r/>",
            "<r/><!-- c -->",
            "<r a=\"1\" a=\"2\"/>",
            "<r>\u{1}</r>",
            "<r>&nbsp;</r>",
            "<r",
            "",
        ] {
            assert_eq!(exc_c14n_text(document), None, "{document:?}");
        }
        // The element's own identifier is read.
        same("<r Id=\"x\"><a/></r>");
        let deep = format!("{}{}", "<a>".repeat(MAX_DEPTH + 1), "</a>".repeat(MAX_DEPTH + 1));
        assert_eq!(exc_c14n_text(&deep), None);
        same(&format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH)));
    }

    /// Elements as services and clients write them: prefixes declared here, above or not at
    /// all, default namespaces set and unset, attributes of every kind, text with references.
    fn element(depth: u32) -> BoxedStrategy<String> {
        let leaf = prop::sample::select(vec![
            "",
            "x",
            "a &amp; b",
            "&lt;&gt;&quot;&apos;",
            "&#230;&#xD;",
            "æø > ]]>",
            "\t\n ",
            "<![CDATA[<c>&]]>",
            "<!-- note -->",
            "\r",
            "<?p?>",
        ])
        .prop_map(str::to_owned)
        .boxed();
        let name = prop::sample::select(vec!["a", "p:a", "q:b", "b", "p:b"]);
        let declarations = prop::collection::vec(
            prop::sample::select(vec![
                " xmlns:p=\"urn:p\"",
                " xmlns:p=\"urn:p2\"",
                " xmlns:q=\"urn:q\"",
                " xmlns=\"urn:d\"",
                " xmlns=\"\"",
                " xmlns:q=\"\"",
            ]),
            0..3,
        );
        let attributes = prop::collection::vec(
            prop::sample::select(vec![
                " z=\"1\"",
                " a='2'",
                " p:z=\"3\"",
                " q:a=\"&quot;\"",
                " q:z=\"'\"",
                " p:y=\"x > y\"",
                " Id=\"i\"",
            ]),
            0..3,
        );
        let children = if depth == 0 {
            leaf.clone().prop_map(|t| vec![t]).boxed()
        } else {
            prop::collection::vec(prop_oneof![leaf, element(depth - 1)], 0..4).boxed()
        };
        (name, declarations, attributes, children, any::<bool>())
            .prop_map(|(name, declarations, attributes, children, short)| {
                let tag = format!("{name}{}{}", declarations.concat(), attributes.concat());
                if short && children.is_empty() {
                    format!("<{tag}/>")
                } else {
                    format!("<{tag}>{}</{name}>", children.concat())
                }
            })
            .boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn what_is_read_directly_is_what_the_tree_writes(
            inner in element(3),
            outer in prop::sample::select(vec![
                "<r xmlns:p=\"urn:p\" xmlns:q=\"urn:q\">",
                "<r xmlns=\"urn:d\" xmlns:p=\"urn:p\">",
                "<r>",
            ]),
        ) {
            let document = format!("{outer}{inner}</r>");
            if let Some(direct) = exc_c14n_text(&document) {
                let tree = by_tree(&document);
                prop_assert!(tree.is_some(), "read directly, refused by the tree: {}", document);
                prop_assert_eq!(String::from_utf8(direct).unwrap(), String::from_utf8(tree.unwrap()).unwrap(), "{}", document);
            }
        }
    }
}
