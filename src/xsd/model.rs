//! The compiled schema model: every component resolved to an id, every complex type with its
//! effective content (extensions flattened, attribute groups and groups expanded), every simple
//! type with its accumulated facets. Built once by the loader, immutable afterwards, and walked
//! by both the validator and (later) the skeleton generator.

use std::collections::HashMap;
use std::fmt;

use super::builtin::Builtin;
use super::simple::Facets;

/// An expanded name: namespace URI ("" for none) and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QName {
    /// Namespace URI; empty when the name is in no namespace.
    pub ns: String,
    /// Local name.
    pub local: String,
}

impl QName {
    /// A name from its parts.
    pub fn new(ns: impl Into<String>, local: impl Into<String>) -> QName {
        QName {
            ns: ns.into(),
            local: local.into(),
        }
    }

    /// Whether this is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns == ns
    }
}

impl fmt::Display for QName {
    /// Clark notation: `{urn:x}Name`, or `Name` in no namespace.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ns.is_empty() {
            f.write_str(&self.local)
        } else {
            write!(f, "{{{}}}{}", self.ns, self.local)
        }
    }
}

/// Where a component was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as a path of the source.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// An element declaration, by index into [`SchemaSet::elements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ElementId(pub(crate) u32);

/// A type definition, by index into [`SchemaSet::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeId(pub(crate) u32);

/// An element declaration (global, or local to a content model).
#[derive(Debug, Clone)]
pub struct ElementDecl {
    /// The element's expanded name (a local element's namespace follows its form).
    pub name: QName,
    /// Its type.
    pub type_id: TypeId,
    /// Whether it is a top-level declaration.
    pub global: bool,
    /// `nillable="true"`.
    pub nillable: bool,
    /// `abstract="true"`: only members of its substitution group may appear.
    pub is_abstract: bool,
    /// The default value, if any.
    pub default: Option<String>,
    /// The fixed value, if any.
    pub fixed: Option<String>,
    /// The head of the substitution group this element belongs to.
    pub substitution_group: Option<ElementId>,
    /// Where it is declared.
    pub location: Location,
}

/// A type definition.
#[derive(Debug, Clone)]
pub enum TypeDef {
    /// A simple type (built-in or user-defined).
    Simple(SimpleType),
    /// A complex type.
    Complex(ComplexType),
}

/// How a type was derived from its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// `xs:extension`.
    Extension,
    /// `xs:restriction` (also the implicit restriction of `xs:anyType`).
    Restriction,
}

/// A complex type with its effective content and attributes.
#[derive(Debug, Clone)]
pub struct ComplexType {
    /// The type's name; `None` for an anonymous type.
    pub name: Option<QName>,
    /// The base type (`xs:anyType` for a type without derivation; itself for `xs:anyType`).
    pub base: TypeId,
    /// How it derives from the base.
    pub derivation: Derivation,
    /// `abstract="true"`.
    pub is_abstract: bool,
    /// `mixed="true"`: text may appear between child elements.
    pub mixed: bool,
    /// The effective content: for an extension, the base's content followed by the
    /// extension's own.
    pub content: Content,
    /// The effective attribute uses (inherited, from attribute groups, and own), without the
    /// prohibited ones.
    pub attributes: Vec<AttributeUse>,
    /// The effective attribute wildcard, if any.
    pub attribute_wildcard: Option<Wildcard>,
    /// Where it is declared (`None` for `xs:anyType`).
    pub location: Option<Location>,
}

/// The content a complex type allows.
#[derive(Debug, Clone)]
pub enum Content {
    /// No children and no text.
    Empty,
    /// Text only, of a simple type (simple content).
    Simple(TypeId),
    /// Child elements by a content model (text too when the type is mixed).
    Elements(Particle),
}

/// An attribute use of a complex type.
#[derive(Debug, Clone)]
pub struct AttributeUse {
    /// The attribute's expanded name.
    pub name: QName,
    /// Its simple type.
    pub type_id: TypeId,
    /// `use="required"`.
    pub required: bool,
    /// The default value, if any.
    pub default: Option<String>,
    /// The fixed value, if any.
    pub fixed: Option<String>,
}

/// How many times a particle may occur at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxOccurs {
    /// At most this many.
    Bounded(u32),
    /// `maxOccurs="unbounded"`.
    Unbounded,
}

impl MaxOccurs {
    /// Whether `count` occurrences are still below the maximum.
    pub fn allows_more(self, count: u32) -> bool {
        match self {
            MaxOccurs::Bounded(max) => count < max,
            MaxOccurs::Unbounded => true,
        }
    }
}

/// A particle: a term with occurrence bounds.
#[derive(Debug, Clone)]
pub struct Particle {
    /// `minOccurs`.
    pub min: u32,
    /// `maxOccurs`.
    pub max: MaxOccurs,
    /// What occurs.
    pub term: Term,
}

/// The term of a particle.
#[derive(Debug, Clone)]
pub enum Term {
    /// An element (a local declaration, or a reference to a global one).
    Element(ElementId),
    /// An element wildcard (`xs:any`).
    Any(Wildcard),
    /// `xs:sequence`.
    Sequence(Vec<Particle>),
    /// `xs:choice`.
    Choice(Vec<Particle>),
    /// `xs:all`.
    All(Vec<Particle>),
}

/// A wildcard: which namespaces it admits and how their content is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    /// The namespace constraint.
    pub namespaces: NamespaceConstraint,
    /// `processContents`.
    pub process: ProcessContents,
}

impl Wildcard {
    /// Whether a name in namespace `ns` ("" for none) is admitted.
    pub fn admits(&self, ns: &str) -> bool {
        match &self.namespaces {
            NamespaceConstraint::Any => true,
            NamespaceConstraint::Not(list) => !list.iter().any(|n| n == ns),
            NamespaceConstraint::Only(list) => list.iter().any(|n| n == ns),
        }
    }
}

/// A wildcard's namespace constraint ("" stands for "no namespace").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceConstraint {
    /// `##any`.
    Any,
    /// Any namespace except these (`##other`: the target namespace and "no namespace").
    Not(Vec<String>),
    /// Only these (`##targetNamespace`, `##local`, URIs).
    Only(Vec<String>),
}

/// A wildcard's `processContents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessContents {
    /// Must be declared, and is validated.
    Strict,
    /// Validated when declared.
    Lax,
    /// Not validated.
    Skip,
}

/// A simple type with its effective facets.
#[derive(Debug, Clone)]
pub struct SimpleType {
    /// The type's name; `None` for an anonymous type.
    pub name: Option<QName>,
    /// The base type (`None` for `xs:anySimpleType`).
    pub base: Option<TypeId>,
    /// Atomic, list or union.
    pub variety: Variety,
    /// The facets in force: this type's own and its bases', whiteSpace included.
    pub facets: Facets,
    /// Where it is declared (`None` for a built-in type).
    pub location: Option<Location>,
}

/// The variety of a simple type.
#[derive(Debug, Clone)]
pub enum Variety {
    /// An atomic type: its nearest built-in ancestor decides the lexical space.
    Atomic(Builtin),
    /// A whitespace-separated list of items of a type.
    List(TypeId),
    /// A value of any one of the member types (tried in order).
    Union(Vec<TypeId>),
}

/// A compiled set of schemas: every global component of every loaded document.
#[derive(Debug)]
pub struct SchemaSet {
    pub(crate) elements: Vec<ElementDecl>,
    pub(crate) types: Vec<TypeDef>,
    pub(crate) global_elements: HashMap<QName, ElementId>,
    pub(crate) global_types: HashMap<QName, TypeId>,
    pub(crate) global_attributes: HashMap<QName, AttributeUse>,
    /// Head → every element that may stand in for it (transitively), heads excluded.
    pub(crate) substitutes: HashMap<ElementId, Vec<ElementId>>,
    /// The files the set was compiled from, with their target namespaces.
    pub(crate) files: Vec<(String, String)>,
    /// Notes about the load that are not errors (duplicate definitions kept once, files
    /// gathered by namespace).
    pub(crate) notes: Vec<String>,
    /// What the validator's first pass needs, made once the rest is compiled.
    pub(crate) plans: super::validate::fast::Plans,
}

/// The id of `xs:anyType`.
pub const ANY_TYPE: TypeId = TypeId(0);

impl SchemaSet {
    /// An element declaration.
    pub fn element(&self, id: ElementId) -> &ElementDecl {
        &self.elements[id.0 as usize]
    }

    /// A type definition.
    pub fn type_def(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0 as usize]
    }

    /// A global element declaration by name.
    pub fn global_element(&self, name: &QName) -> Option<ElementId> {
        self.global_elements.get(name).copied()
    }

    /// A global element by namespace and local name.
    pub fn find_element(&self, ns: &str, local: &str) -> Option<ElementId> {
        self.global_elements.get(&QName::new(ns, local)).copied()
    }

    /// A global element by local name alone, when exactly one namespace declares it.
    pub fn find_element_by_local_name(&self, local: &str) -> Option<ElementId> {
        let mut found = self.global_elements.iter().filter(|(q, _)| q.local == local);
        match (found.next(), found.next()) {
            (Some((_, id)), None) => Some(*id),
            _ => None,
        }
    }

    /// A named type (built-in types are found in the XML Schema namespace).
    pub fn global_type(&self, name: &QName) -> Option<TypeId> {
        self.global_types.get(name).copied()
    }

    /// A global attribute declaration.
    pub fn global_attribute(&self, name: &QName) -> Option<&AttributeUse> {
        self.global_attributes.get(name)
    }

    /// Every global element, sorted by name.
    pub fn global_elements(&self) -> Vec<(&QName, ElementId)> {
        let mut all: Vec<_> = self.global_elements.iter().map(|(q, id)| (q, *id)).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// Every named type, sorted by name (built-in types included).
    pub fn global_types(&self) -> Vec<(&QName, TypeId)> {
        let mut all: Vec<_> = self.global_types.iter().map(|(q, id)| (q, *id)).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }

    /// The elements that may appear in place of `head` (its substitution group, transitively,
    /// abstract members included; the head itself not).
    pub fn substitutes(&self, head: ElementId) -> &[ElementId] {
        if self.substitutes.is_empty() {
            // Most sets have no substitution groups: no hashing on the validator's hot path.
            return &[];
        }
        self.substitutes.get(&head).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The files compiled, with their target namespaces, in load order.
    pub fn files(&self) -> &[(String, String)] {
        &self.files
    }

    /// Notes from loading that are not errors.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The complex type `id`, if it is one.
    pub fn complex(&self, id: TypeId) -> Option<&ComplexType> {
        match self.type_def(id) {
            TypeDef::Complex(c) => Some(c),
            TypeDef::Simple(_) => None,
        }
    }

    /// The simple type `id`, if it is one.
    pub fn simple(&self, id: TypeId) -> Option<&SimpleType> {
        match self.type_def(id) {
            TypeDef::Simple(s) => Some(s),
            TypeDef::Complex(_) => None,
        }
    }

    /// A readable name of a type: its QName, or "anonymous type at file:line".
    pub fn type_name(&self, id: TypeId) -> String {
        let (name, location) = match self.type_def(id) {
            TypeDef::Simple(s) => (&s.name, &s.location),
            TypeDef::Complex(c) => (&c.name, &c.location),
        };
        match (name, location) {
            (Some(n), _) => n.to_string(),
            (None, Some(l)) => format!("the anonymous type at {l}"),
            (None, None) => "an anonymous type".to_owned(),
        }
    }

    /// Whether type `derived` is `base` or derives from it (by any chain of derivations).
    pub fn derives_from(&self, derived: TypeId, base: TypeId) -> bool {
        let mut at = derived;
        for _ in 0..self.types.len() + 1 {
            if at == base || base == ANY_TYPE {
                return true;
            }
            let next = match self.type_def(at) {
                TypeDef::Complex(c) => c.base,
                TypeDef::Simple(s) => match s.base {
                    Some(b) => b,
                    None => return false,
                },
            };
            if next == at {
                return false;
            }
            at = next;
        }
        false
    }
}
