//! The same problems in the words of Xerces, the XML Schema validator of the Java platform
//! (JAXP) that Apache CXF's schema validation reports through: `cvc-…` identifiers and
//! message texts as in Xerces' `XMLSchemaMessages`, with names and values as the instance has
//! them. sfstub quotes these in the faults `--conformance strict` answers with, since
//! Serviceplatformen runs on CXF; the wording is inferred from Xerces, not seen on the wire.
//! Every quoted name and value is cut to a bounded length ([`crate::clip`]).

use crate::clip::clip;
use crate::xsd::content::Next;
use crate::xsd::model::NamespaceConstraint;

/// Xerces' list of expected particles: `{"urn:x":A, "urn:x":B}`.
fn expected(names: &[Next<'_>]) -> String {
    let items: Vec<String> = names
        .iter()
        .map(|n| match n {
            Next::Element(q) if q.ns.is_empty() => q.local.clone(),
            Next::Element(q) => format!("\"{}\":{}", q.ns, q.local),
            Next::Any(w) => match &w.namespaces {
                NamespaceConstraint::Any => "WC[##any]".to_owned(),
                NamespaceConstraint::Not(list) => format!(
                    "WC[##other:{}]",
                    list.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(",")
                ),
                NamespaceConstraint::Only(list) => format!(
                    "WC[{}]",
                    list.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(",")
                ),
            },
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// A child element where the content model allows none, or not this one here.
pub(super) fn invalid_content(found: &str, next: &[Next<'_>]) -> String {
    if next.is_empty() {
        format!(
            "cvc-complex-type.2.4.d: Invalid content was found starting with element '{}'. No child element is expected at this point.",
            clip(found)
        )
    } else {
        format!(
            "cvc-complex-type.2.4.a: Invalid content was found starting with element '{}'. One of '{}' is expected.",
            clip(found),
            expected(next)
        )
    }
}

/// The content ends before a required element.
pub(super) fn incomplete(element: &str, next: &[Next<'_>]) -> String {
    format!(
        "cvc-complex-type.2.4.b: The content of element '{}' is not complete. One of '{}' is expected.",
        clip(element),
        expected(next)
    )
}

/// An element no declaration governs.
pub(super) fn undeclared(element: &str) -> String {
    format!(
        "cvc-elt.1.a: Cannot find the declaration of element '{}'.",
        clip(element)
    )
}

/// A strict wildcard matched an undeclared element.
pub(super) fn strict_wildcard(element: &str) -> String {
    format!(
        "cvc-complex-type.2.4.c: The matching wildcard is strict, but no declaration can be found for element '{}'.",
        clip(element)
    )
}

/// Text (or a child) in an element of element-only content.
pub(super) fn element_only(element: &str) -> String {
    format!(
        "cvc-complex-type.2.3: Element '{}' cannot have character [children], because the type's content type is element-only.",
        clip(element)
    )
}

/// Content in an element whose type allows none.
pub(super) fn empty_content(element: &str) -> String {
    format!(
        "cvc-complex-type.2.1: Element '{}' must have no character or element information item [children], because the type's content type is empty.",
        clip(element)
    )
}

/// A child element in an element of simple type (`simple_type`) or simple content.
pub(super) fn simple_content(element: &str, simple_type: bool) -> String {
    if simple_type {
        format!(
            "cvc-type.3.1.2: Element '{}' is a simple type, so it must have no element information item [children].",
            clip(element)
        )
    } else {
        format!(
            "cvc-complex-type.2.2: Element '{}' must have no element [children], and the value must be valid.",
            clip(element)
        )
    }
}

/// Content in an element with `xsi:nil="true"`.
pub(super) fn nil_content(element: &str) -> String {
    format!(
        "cvc-elt.3.2.1: Element '{}' cannot have character or element information [children], because 'http://www.w3.org/2001/XMLSchema-instance,nil' is specified.",
        clip(element)
    )
}

/// `xsi:nil` on an element that is not nillable.
pub(super) fn not_nillable(element: &str) -> String {
    let e = clip(element);
    format!(
        "cvc-elt.3.1: Attribute 'http://www.w3.org/2001/XMLSchema-instance,nil' must not appear on element '{e}', because the {{nillable}} property of '{e}' is false."
    )
}

/// An abstract element declaration used itself.
pub(super) fn abstract_element(element: &str) -> String {
    format!(
        "cvc-elt.2: The value of {{abstract}} in the element declaration for '{}' must be false.",
        clip(element)
    )
}

/// An element whose type is abstract.
pub(super) fn abstract_type(element: &str) -> String {
    format!(
        "cvc-type.2: The type definition cannot be abstract for element {}.",
        clip(element)
    )
}

/// An `xsi:type` naming no type.
pub(super) fn unknown_type(element: &str, value: &str) -> String {
    format!(
        "cvc-elt.4.2: Cannot resolve '{}' to a type definition for element '{}'.",
        clip(value),
        clip(element)
    )
}

/// An `xsi:type` naming a type not derived from the declared one.
pub(super) fn not_derived(element: &str, given: &str, declared: &str) -> String {
    format!(
        "cvc-elt.4.3: Type '{given}' is not validly derived from the type definition, '{declared}', of element '{}'.",
        clip(element)
    )
}

/// An attribute the type does not allow.
pub(super) fn attribute_not_allowed(element: &str, attribute: &str) -> String {
    format!(
        "cvc-complex-type.3.2.2: Attribute '{}' is not allowed to appear in element '{}'.",
        clip(attribute),
        clip(element)
    )
}

/// A required attribute missing.
pub(super) fn attribute_missing(element: &str, attribute: &str) -> String {
    format!(
        "cvc-complex-type.4: Attribute '{attribute}' must appear on element '{}'.",
        clip(element)
    )
}

/// A value not of its built-in type's lexical space.
pub(super) fn datatype(value: &str, builtin: &str) -> String {
    format!(
        "cvc-datatype-valid.1.2.1: '{}' is not a valid value for '{builtin}'.",
        clip(value)
    )
}

/// A value differing from the fixed one.
pub(super) fn fixed(element: &str, attribute: Option<&str>, value: &str, fixed: &str) -> String {
    match attribute {
        Some(a) => format!(
            "cvc-attribute.4: The value '{}' of attribute '{}' on element '{}' is not valid with respect to its fixed {{value constraint}}. The attribute must have a value of '{fixed}'.",
            clip(value),
            clip(a),
            clip(element)
        ),
        None => format!(
            "cvc-elt.5.2.2.2.2: The value '{}' of element '{}' does not match the {{value constraint}} value '{fixed}'.",
            clip(value),
            clip(element)
        ),
    }
}
