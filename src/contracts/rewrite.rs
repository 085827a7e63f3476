//! Text transformations of served contract documents: addresses and imports pointed at the
//! serving sfstub, the policy-free variant, and the v5 contract derived from v4.
//!
//! The documents are KOMBIT's (or a vendor's copy of them), never a request: plain text scans,
//! linear in the document.

use crate::soap::xml::escape;

/// Points `location="..."` of SOAP addresses (and every other mention of those addresses, such
/// as a port's `wsa:EndpointReference`) at `endpoint`, and relative `schemaLocation` and
/// `location` (imports, includes, policy files) at `endpoint?file=...`. `endpoint` is written
/// XML-escaped: a Host header can hold any visible character.
pub fn rewrite(text: &str, dir: &str, endpoint: &str) -> String {
    let endpoint = escape(endpoint);
    let mut addresses: Vec<&str> = Vec::new();
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    while let Some(i) = rest.find("ocation=\"") {
        let attr_start = rest[..i].rfind(|c: char| c.is_whitespace()).map_or(0, |p| p + 1);
        let attr = &rest[attr_start..i + "ocation=".len()];
        let value_start = i + "ocation=\"".len();
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        let value = &rest[value_start..value_start + len];
        out.push_str(&rest[..value_start]);
        let element = rest[..attr_start]
            .rfind('<')
            .map(|p| &rest[p..attr_start])
            .unwrap_or("");
        if element.contains("address") && attr == "location=" {
            addresses.push(value);
            out.push_str(&endpoint);
        } else if (attr == "schemaLocation=" || attr == "location=") && !value.contains("://") {
            let joined = if dir.is_empty() {
                value.to_owned()
            } else {
                format!("{dir}/{value}")
            };
            match super::normalise(&joined) {
                Some(path) => {
                    out.push_str(&endpoint);
                    out.push_str("?file=");
                    out.push_str(&percent_encode(&path));
                }
                None => out.push_str(value),
            }
        } else {
            out.push_str(value);
        }
        rest = &rest[value_start + len..];
    }
    out.push_str(rest);
    for address in addresses.into_iter().filter(|a| a.contains("://")) {
        out = out.replace(&format!(">{address}<"), &format!(">{endpoint}<"));
    }
    out
}

/// Escapes what may not stand in a URL path as written (spaces, quotes, `%`, `&`, `#`, `?`,
/// non-ASCII), keeping `/`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The document without WS-Policy: every `PolicyReference` and `Policy` element and every
/// `PolicyURIs` attribute removed. For stacks (Metro) that cannot resolve the document-local
/// `wsp:PolicyReference URI="#ServiceplatformBindingPolicy"` of KOMBIT's støttesystem WSDLs,
/// whose policy sits in an imported file.
pub fn without_policy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(name) = policy_element(tag) else {
            let Some(end) = tag.find('>') else {
                out.push_str(tag);
                return out;
            };
            out.push_str(&strip_policy_uris(&tag[..=end]));
            rest = &tag[end + 1..];
            continue;
        };
        rest = skip_element(tag, name);
    }
    out.push_str(rest);
    out
}

/// The qualified name of a `Policy` or `PolicyReference` start tag at the start of `tag`.
fn policy_element(tag: &str) -> Option<&str> {
    let name_end = tag[1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/')? + 1;
    let name = &tag[1..name_end];
    let local = name.rsplit(':').next().unwrap_or(name);
    (matches!(local, "Policy" | "PolicyReference") && !name.starts_with('/')).then_some(name)
}

/// What follows the element that starts `tag` (a start tag of `name`), nested elements of the
/// same name included.
fn skip_element<'a>(tag: &'a str, name: &str) -> &'a str {
    let Some(first_end) = tag.find('>') else {
        return "";
    };
    if tag[..first_end].ends_with('/') {
        return &tag[first_end + 1..];
    }
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut depth = 1usize;
    let mut at = first_end + 1;
    while depth > 0 {
        let next_open = tag[at..].find(&open).map(|i| at + i);
        let Some(next_close) = tag[at..].find(&close).map(|i| at + i) else {
            return "";
        };
        match next_open {
            Some(o) if o < next_close => {
                let end = tag[o..].find('>').map_or(tag.len(), |e| o + e);
                if !tag[o..end].ends_with('/') {
                    depth += 1;
                }
                at = end + 1;
            }
            _ => {
                depth -= 1;
                at = next_close + close.len();
            }
        }
    }
    &tag[at.min(tag.len())..]
}

/// A start tag without a `PolicyURIs="..."` attribute.
fn strip_policy_uris(tag: &str) -> String {
    let Some(i) = tag.find("PolicyURIs=\"") else {
        return tag.to_owned();
    };
    let attr_start = tag[..i].rfind(char::is_whitespace).unwrap_or(i);
    let value_start = i + "PolicyURIs=\"".len();
    let end = tag[value_start..].find('"').map_or(tag.len(), |e| value_start + e + 1);
    format!("{}{}", &tag[..attr_start], &tag[end..])
}

/// A shipped document served for another version: every `from` replaced by `to`, with a
/// comment after the XML declaration saying so.
pub fn derived(text: &str, from: &str, to: &str) -> String {
    let replaced = text.replace(from, to);
    let note = format!(
        "<!-- Derived by sfstub from KOMBIT's contract: {from} replaced by {to}. To serve KOMBIT's own copy, start sfstub with the contracts option. -->"
    );
    let body = replaced.trim_start_matches('\u{feff}');
    match body.strip_prefix("<?xml").and_then(|r| r.find("?>").map(|e| e + 7)) {
        Some(end) => format!("{}\n{note}{}", &body[..end], &body[end..]),
        None => format!("{note}\n{body}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_imports_are_rewritten() {
        let wsdl = r##"<w><xsd:import schemaLocation="../xsd/T.xsd"/><wsp:PolicyReference URI="#p"/><wsdl:import location="policies.wsdl"/><soap:address location="https://exttest.serviceplatformen.dk/service/X/4"/><i schemaLocation="http://www.w3.org/x.xsd"/><x schemaLocation="a b.xsd"/></w>"##;
        let out = rewrite(wsdl, "wsdl/token", "http://127.0.0.1:8080/service/X/4");
        assert!(
            out.contains(r#"schemaLocation="http://127.0.0.1:8080/service/X/4?file=wsdl/xsd/T.xsd""#),
            "{out}"
        );
        assert!(
            out.contains(r#"location="http://127.0.0.1:8080/service/X/4?file=wsdl/token/policies.wsdl""#),
            "{out}"
        );
        assert!(
            out.contains(r#"<soap:address location="http://127.0.0.1:8080/service/X/4"/>"#),
            "{out}"
        );
        assert!(out.contains(r#"schemaLocation="http://www.w3.org/x.xsd""#), "{out}");
        assert!(out.contains("?file=wsdl/token/a%20b.xsd"), "{out}");
    }

    #[test]
    fn a_hostile_endpoint_is_escaped() {
        let out = rewrite(
            r#"<w><soap:address location="https://x/y"/></w>"#,
            "",
            "http://a\"><evil/>&/y",
        );
        assert_eq!(
            out,
            r#"<w><soap:address location="http://a&quot;&gt;&lt;evil/&gt;&amp;/y"/></w>"#
        );
    }

    #[test]
    fn policy_is_removed_and_nothing_else() {
        let wsdl = r##"<d><wsp:Policy wsu:Id="a"><wsp:ExactlyOne><wsp:Policy><x/></wsp:Policy><wsp:PolicyReference URI="#b"/></wsp:ExactlyOne></wsp:Policy><b name="x"><wsp:PolicyReference URI="#a" /><soap12:binding/></b><op wsp:PolicyURIs="#a" name="o"/><wsp:PolicyReference URI="#c"></wsp:PolicyReference></d>"##;
        assert_eq!(
            without_policy(wsdl),
            r#"<d><b name="x"><soap12:binding/></b><op name="o"/></d>"#
        );
    }

    #[test]
    fn a_derived_document_says_so() {
        let out = derived("<?xml version=\"1.0\"?><a ns=\"x/4/\"/>", "/4/", "/5/");
        assert!(
            out.starts_with("<?xml version=\"1.0\"?>\n<!-- Derived by sfstub"),
            "{out}"
        );
        assert!(out.ends_with("<a ns=\"x/5/\"/>"), "{out}");
    }
}
