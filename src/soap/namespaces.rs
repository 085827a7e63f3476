//! The namespace bindings in scope while [`super::parse_envelope`] walks a request: the
//! resolution quick-xml's `NsReader` does, with the same results and the same errors, but on
//! slices of the request instead of copies, and without reading the attributes of a tag that
//! declares no namespace (most tags of a request have no attributes at all).

use std::borrow::Cow;

use quick_xml::events::BytesStart;
use quick_xml::name::{NamespaceError, PrefixDeclaration, QName};

/// The namespace the `xml` prefix is bound to, always.
const XML_NS: &[u8] = b"http://www.w3.org/XML/1998/namespace";
/// The namespace the `xmlns` prefix is bound to, always.
const XMLNS_NS: &[u8] = b"http://www.w3.org/2000/xmlns/";

/// A prefix (`None`: the default namespace) bound to a namespace as written (not unescaped;
/// empty when the declaration undeclares it).
struct Binding<'a> {
    prefix: Option<Cow<'a, [u8]>>,
    uri: Cow<'a, [u8]>,
}

/// What an element name's prefix resolves to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Resolved<'s> {
    /// The namespace as written in its declaration.
    Bound(&'s [u8]),
    /// No prefix and no default namespace.
    Unbound,
    /// A prefix that is not declared (or was undeclared with `xmlns:p=""`).
    Unknown,
}

/// The bindings of the open elements, innermost last.
pub(super) struct Scopes<'a> {
    /// The document the tags are slices of: bindings borrow from it.
    input: &'a [u8],
    bindings: Vec<Binding<'a>>,
    /// For each open element, how many bindings were in scope before its own.
    open: Vec<usize>,
}

impl<'a> Scopes<'a> {
    /// Scopes for the tags of `input`.
    pub(super) fn new(input: &'a [u8]) -> Scopes<'a> {
        Scopes {
            input,
            bindings: Vec::with_capacity(8),
            open: Vec::with_capacity(16),
        }
    }

    /// Opens an element's scope with the namespaces its start tag declares. Refuses what
    /// `NsReader` refuses: binding `xml` to another namespace, binding `xmlns`, binding another
    /// prefix to either reserved namespace. As there, attributes after a malformed one are not
    /// read (the limit check reports it).
    pub(super) fn push(&mut self, start: &BytesStart<'_>) -> Result<(), NamespaceError> {
        self.open.push(self.bindings.len());
        if !start.attributes_raw().windows(5).any(|w| w == b"xmlns") {
            return Ok(());
        }
        for attribute in start.attributes().with_checks(false) {
            let Ok(attribute) = attribute else { break };
            let Some(declaration) = attribute.key.as_namespace_binding() else {
                continue;
            };
            let uri = self.borrowed(&attribute.value);
            match declaration {
                PrefixDeclaration::Default => self.bindings.push(Binding { prefix: None, uri }),
                PrefixDeclaration::Named(b"xml") => {
                    if *uri != *XML_NS {
                        return Err(NamespaceError::InvalidXmlPrefixBind(uri.into_owned()));
                    }
                }
                PrefixDeclaration::Named(b"xmlns") => {
                    return Err(NamespaceError::InvalidXmlnsPrefixBind(uri.into_owned()));
                }
                PrefixDeclaration::Named(prefix) => {
                    if *uri == *XML_NS {
                        return Err(NamespaceError::InvalidPrefixForXml(prefix.to_vec()));
                    }
                    if *uri == *XMLNS_NS {
                        return Err(NamespaceError::InvalidPrefixForXmlns(prefix.to_vec()));
                    }
                    // `xmlns:="…"` declares the default namespace, as in quick-xml.
                    let prefix = (!prefix.is_empty()).then(|| self.borrowed(prefix));
                    self.bindings.push(Binding { prefix, uri });
                }
            }
        }
        Ok(())
    }

    /// Closes the innermost element's scope.
    pub(super) fn pop(&mut self) {
        if let Some(before) = self.open.pop() {
            self.bindings.truncate(before);
        }
    }

    /// What an element name's prefix is bound to (a name without a prefix takes the default
    /// namespace).
    pub(super) fn resolve_element(&self, name: QName<'_>) -> Resolved<'_> {
        let mut innermost = self.bindings.iter().rev();
        match name.prefix() {
            None => match innermost.find(|b| b.prefix.is_none()) {
                Some(b) if !b.uri.is_empty() => Resolved::Bound(&b.uri),
                _ => Resolved::Unbound,
            },
            Some(prefix) => {
                let prefix = prefix.into_inner();
                match innermost.find(|b| b.prefix.as_deref() == Some(prefix)) {
                    Some(b) if !b.uri.is_empty() => Resolved::Bound(&b.uri),
                    Some(_) => Resolved::Unknown,
                    None if prefix == b"xml" => Resolved::Bound(XML_NS),
                    None if prefix == b"xmlns" => Resolved::Bound(XMLNS_NS),
                    None => Resolved::Unknown,
                }
            }
        }
    }

    /// `part` (a slice of a tag of the input) with the input's lifetime; a copy only if it is
    /// not one (never with the slice reader).
    fn borrowed(&self, part: &[u8]) -> Cow<'a, [u8]> {
        let from = (part.as_ptr() as usize).wrapping_sub(self.input.as_ptr() as usize);
        match from.checked_add(part.len()).and_then(|to| self.input.get(from..to)) {
            Some(slice) => Cow::Borrowed(slice),
            None => Cow::Owned(part.to_vec()),
        }
    }
}
