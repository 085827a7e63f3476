//! What the validator reports: one [`Finding`] per problem, with a stable [`Code`], the path
//! of local names, the position, and a message naming what was expected and what was found.

use std::fmt;

/// The kind of a finding. The string form ([`Code::as_str`]) is stable: journals, reports and
/// tests may match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// The input is not well-formed XML (or uses a DOCTYPE, or an undeclared prefix).
    NotWellFormed,
    /// The element is not the one expected (name or namespace differs).
    WrongElement,
    /// The schema set has no declaration for the element.
    UndeclaredElement,
    /// A child element where the content model allows none, or not this one here.
    UnexpectedElement,
    /// A required child element is missing.
    MissingElement,
    /// An element occurs more often than allowed.
    TooManyElements,
    /// An abstract element (or one of an abstract type) appears itself.
    AbstractElement,
    /// Text where the type allows only elements, or no content at all.
    TextNotAllowed,
    /// An attribute the type does not declare.
    UnexpectedAttribute,
    /// A required attribute is missing.
    MissingAttribute,
    /// A value outside its type's lexical space (bad date, not a number, …).
    InvalidLexical,
    /// A value not among the enumerated ones.
    InvalidEnumeration,
    /// A value that does not match the pattern.
    InvalidPattern,
    /// A value too long or too short.
    InvalidLength,
    /// A value outside its range (min/max inclusive/exclusive).
    InvalidRange,
    /// A value with too many digits (totalDigits/fractionDigits).
    InvalidDigits,
    /// A value differing from the declared fixed value.
    InvalidFixed,
    /// `xsi:nil` on an element that is not nillable, or a nil element with content.
    InvalidNil,
    /// An `xsi:type` naming an unknown type, or one not derived from the declared type.
    InvalidXsiType,
    /// The input nests deeper than the validator's depth limit; the rest is not checked.
    DepthLimit,
    /// More findings than the validator reports; the rest are not listed.
    TooManyFindings,
}

impl Code {
    /// The stable string form, e.g. `missing-element`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotWellFormed => "not-well-formed",
            Code::WrongElement => "wrong-element",
            Code::UndeclaredElement => "undeclared-element",
            Code::UnexpectedElement => "unexpected-element",
            Code::MissingElement => "missing-element",
            Code::TooManyElements => "too-many-elements",
            Code::AbstractElement => "abstract-element",
            Code::TextNotAllowed => "text-not-allowed",
            Code::UnexpectedAttribute => "unexpected-attribute",
            Code::MissingAttribute => "missing-attribute",
            Code::InvalidLexical => "invalid-lexical",
            Code::InvalidEnumeration => "invalid-enumeration",
            Code::InvalidPattern => "invalid-pattern",
            Code::InvalidLength => "invalid-length",
            Code::InvalidRange => "invalid-range",
            Code::InvalidDigits => "invalid-digits",
            Code::InvalidFixed => "invalid-fixed",
            Code::InvalidNil => "invalid-nil",
            Code::InvalidXsiType => "invalid-xsi-type",
            Code::DepthLimit => "depth-limit",
            Code::TooManyFindings => "too-many-findings",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind of problem.
    pub code: Code,
    /// The path of local names from the validated element, e.g.
    /// `/FremsoegObjekterInput/SoegObjekt/CPR` (an attribute ends in `/@name`).
    pub path: String,
    /// 1-based line, counted in the validated bytes (plus the caller's origin, if given).
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
    /// Byte offset in the validated bytes (plus the caller's origin, if given).
    pub offset: usize,
    /// What was expected and what was found.
    pub message: String,
    /// The same problem in the words of Xerces, the Java platform's XML Schema validator that
    /// Apache CXF reports schema errors with (`cvc-complex-type.2.4.a: Invalid content was
    /// found starting with element 'k:Hjemmel'. One of '{"urn:x":PersonCPRNummer}' is
    /// expected.`); for problems Xerces has no identifier for, the message again. Inferred from
    /// Xerces' message catalogue, with names as the instance writes them.
    pub cvc: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} {} [{}] {}",
            self.line, self.column, self.path, self.code, self.message
        )
    }
}
