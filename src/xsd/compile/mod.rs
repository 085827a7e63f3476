//! Compiling gathered schema documents into the [`SchemaSet`] model: every reference resolved
//! to an id, extensions flattened into effective content, groups and attribute groups
//! expanded, facets accumulated. Every global component is compiled, so a broken schema is
//! refused at load, with every problem listed (file:line and what is wrong).

mod attributes;
mod particles;
mod simple;

use std::collections::HashMap;

use crate::xsd::XS;
use crate::xsd::builtin::{self, Builtin, WhiteSpace};
use crate::xsd::doc::{Node, XML_NS};
use crate::xsd::load::{Kind, SchemaDoc};
use crate::xsd::model::*;
use crate::xsd::pattern::Pattern;
use crate::xsd::simple::{Facets, qname_key};

/// How deep derivations, groups and nested anonymous types may go while compiling.
const MAX_DEPTH: usize = 200;

/// The attribute uses and wildcard an attribute group (or a type's own declarations) gives.
type AttributeSet = (Vec<AttributeUse>, Option<Wildcard>);

/// A named component waiting to be compiled.
enum Pending {
    Type(QName, TypeId),
    Element(QName, ElementId),
}

/// A definition's place: document index and child index of its `xs:schema`.
type DefAt = (usize, usize);

struct Compiler<'d> {
    docs: &'d [SchemaDoc],
    defs: HashMap<(Kind, QName), DefAt>,
    set: SchemaSet,
    complete: Vec<bool>,
    /// Types being compiled now (a base met again is a derivation cycle).
    busy: Vec<bool>,
    /// Named types and global elements referred to but not compiled yet: compiled from the
    /// top-level loop, not recursively, so the stack depth never grows with chains of
    /// named types.
    pending: Vec<Pending>,
    /// Global elements still to compile (`false`) or being compiled (`true`).
    elements_open: HashMap<ElementId, bool>,
    groups: HashMap<QName, Option<Option<Particle>>>,
    attribute_groups: HashMap<QName, Option<AttributeSet>>,
    errors: Vec<String>,
    depth: usize,
}

/// Compiles documents into a set; `Err` lists every problem found.
pub fn compile(docs: &[SchemaDoc], mut notes: Vec<String>) -> Result<SchemaSet, Vec<String>> {
    let mut c = Compiler {
        docs,
        defs: HashMap::new(),
        set: SchemaSet {
            elements: Vec::new(),
            types: Vec::new(),
            global_elements: HashMap::new(),
            global_types: HashMap::new(),
            global_attributes: HashMap::new(),
            substitutes: HashMap::new(),
            files: docs.iter().map(|d| (d.file.clone(), d.tns.clone())).collect(),
            notes: Vec::new(),
            plans: Default::default(),
        },
        complete: Vec::new(),
        busy: Vec::new(),
        pending: Vec::new(),
        elements_open: HashMap::new(),
        groups: HashMap::new(),
        attribute_groups: HashMap::new(),
        errors: Vec::new(),
        depth: 0,
    };
    c.builtins();
    for (di, d) in docs.iter().enumerate() {
        for (ci, child) in d.root.children.iter().enumerate() {
            if child.ns != XS {
                continue;
            }
            let (Some(kind), Some(name)) = (kind_of(&child.local), child.attr("name")) else {
                continue;
            };
            let q = QName::new(d.tns.clone(), name);
            if let Some(&(pd, pc)) = c.defs.get(&(kind, q.clone())) {
                let prev = &docs[pd];
                if prev.file != d.file || pc != ci {
                    notes.push(format!(
                        "the {} {q} is declared twice, at {}:{} and {}:{}; the first is used",
                        kind.word(),
                        prev.file,
                        prev.root.children[pc].line,
                        d.file,
                        child.line
                    ));
                }
                continue;
            }
            c.defs.insert((kind, q), (di, ci));
        }
    }
    let mut all: Vec<((Kind, QName), DefAt)> = c.defs.iter().map(|(k, v)| (k.clone(), *v)).collect();
    all.sort_by_key(|a| a.1);
    for ((kind, q), _) in all {
        let at = "the set".to_owned();
        match kind {
            Kind::Element => {
                c.element_ref(&q, &at);
            }
            Kind::Type => {
                c.type_ref(&q, &at);
            }
            Kind::Group => {
                c.group_ref(&q, &at);
            }
            Kind::AttributeGroup => {
                c.attribute_group_ref(&q, &at);
            }
            Kind::Attribute => {
                c.global_attribute(&q, &at);
            }
        }
    }
    while let Some(p) = c.pending.pop() {
        match p {
            Pending::Type(q, id) => c.ensure_type(&q, id),
            Pending::Element(q, id) => c.compile_global_element(&q, id),
        }
    }
    c.substitution_groups();
    c.set.notes = notes;
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    c.set.plans = crate::xsd::validate::fast::Plans::of(&c.set);
    Ok(c.set)
}

fn kind_of(local: &str) -> Option<Kind> {
    match local {
        "element" => Some(Kind::Element),
        "complexType" | "simpleType" => Some(Kind::Type),
        "group" => Some(Kind::Group),
        "attributeGroup" => Some(Kind::AttributeGroup),
        "attribute" => Some(Kind::Attribute),
        _ => None,
    }
}

fn xs_children(n: &Node) -> impl Iterator<Item = &Node> {
    n.children.iter().filter(|c| c.ns == XS && c.local != "annotation")
}

fn parse_bool(v: Option<&str>) -> bool {
    matches!(v.map(str::trim), Some("true" | "1"))
}

impl<'d> Compiler<'d> {
    fn at(&self, doc: usize, n: &Node) -> String {
        format!("{}:{}", self.docs[doc].file, n.line)
    }

    fn location(&self, doc: usize, n: &Node) -> Location {
        Location {
            file: self.docs[doc].file.clone(),
            line: n.line,
        }
    }

    fn push_type(&mut self, t: TypeDef, complete: bool) -> TypeId {
        self.set.types.push(t);
        self.complete.push(complete);
        self.busy.push(false);
        TypeId(self.set.types.len() as u32 - 1)
    }

    fn builtins(&mut self) {
        let any = Particle {
            min: 0,
            max: MaxOccurs::Unbounded,
            term: Term::Any(Wildcard {
                namespaces: NamespaceConstraint::Any,
                process: ProcessContents::Lax,
            }),
        };
        let id = self.push_type(
            TypeDef::Complex(ComplexType {
                name: Some(QName::new(XS, "anyType")),
                base: ANY_TYPE,
                derivation: Derivation::Restriction,
                is_abstract: false,
                mixed: true,
                content: Content::Elements(any),
                attributes: Vec::new(),
                attribute_wildcard: Some(Wildcard {
                    namespaces: NamespaceConstraint::Any,
                    process: ProcessContents::Lax,
                }),
                location: None,
            }),
            true,
        );
        self.set.global_types.insert(QName::new(XS, "anyType"), id);
        // Built-in simple types, in base-before-derived order (ALL is).
        for (b, name, base) in builtin::ALL {
            let base_id = base.map(|bb| self.set.global_types[&QName::new(XS, bb.name())]);
            let variety = match b.list_item() {
                Some(item) => Variety::List(self.set.global_types[&QName::new(XS, item.name())]),
                None => Variety::Atomic(*b),
            };
            let id = self.push_type(
                TypeDef::Simple(SimpleType {
                    name: Some(QName::new(XS, *name)),
                    base: base_id.or(Some(ANY_TYPE)),
                    variety,
                    facets: Facets {
                        white_space: Some(b.white_space()),
                        min_length: b.list_item().map(|_| 1),
                        ..Facets::default()
                    },
                    location: None,
                }),
                true,
            );
            self.set.global_types.insert(QName::new(XS, *name), id);
        }
        let string = |s: &Self, n: &str| s.set.global_types[&QName::new(XS, n)];
        for (local, t) in [
            ("lang", "string"),
            ("space", "NCName"),
            ("base", "anyURI"),
            ("id", "ID"),
        ] {
            let type_id = string(self, t);
            self.set.global_attributes.insert(
                QName::new(XML_NS, local),
                AttributeUse {
                    name: QName::new(XML_NS, local),
                    type_id,
                    required: false,
                    default: None,
                    fixed: None,
                },
            );
        }
    }

    fn enter(&mut self, at: &str) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.errors.push(format!(
                "{at}: definitions nest or derive more than {MAX_DEPTH} levels deep"
            ));
            return false;
        }
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn qname(&mut self, doc: usize, n: &Node, attr: &str) -> Option<QName> {
        let value = n.attr(attr)?;
        match n.resolve_qname(value) {
            Ok((ns, local)) => Some(QName::new(ns, local)),
            Err(e) => {
                let at = self.at(doc, n);
                self.errors.push(format!("{at}: {attr}={value:?}: {e}"));
                None
            }
        }
    }

    fn missing(&mut self, kind: Kind, q: &QName, at: &str) {
        let files: Vec<&str> = self
            .docs
            .iter()
            .filter(|d| d.tns == q.ns)
            .map(|d| d.file.as_str())
            .collect();
        let read = if files.is_empty() {
            "no file of that namespace was read".to_owned()
        } else if files.len() <= 6 {
            format!("read for it: {}", files.join(", "))
        } else {
            format!("read for it: {}, … ({} files)", files[..6].join(", "), files.len())
        };
        self.errors
            .push(format!("{at}: the {} {q} is declared nowhere ({read})", kind.word()));
    }

    // ---- types ------------------------------------------------------------------------

    /// The id of a named type, compiling it on first use.
    fn type_ref(&mut self, q: &QName, at: &str) -> TypeId {
        if let Some(id) = self.set.global_types.get(q) {
            return *id;
        }
        if !self.defs.contains_key(&(Kind::Type, q.clone())) {
            if q.ns != XS {
                self.missing(Kind::Type, q, at);
            } else {
                self.errors
                    .push(format!("{at}: {q} is not a built-in type of XML Schema 1.0"));
            }
            return ANY_TYPE;
        }
        let placeholder = self.push_type(TypeDef::Complex(placeholder_complex()), false);
        self.set.global_types.insert(q.clone(), placeholder);
        self.pending.push(Pending::Type(q.clone(), placeholder));
        placeholder
    }

    /// The id of a named type that must be complete now (a base type): compiled at once.
    fn base_ref(&mut self, q: &QName, at: &str) -> TypeId {
        let id = self.type_ref(q, at);
        self.ensure_type(q, id);
        id
    }

    /// Compiles the named type `q` (placeholder `id`) unless it is compiled or being compiled.
    fn ensure_type(&mut self, q: &QName, id: TypeId) {
        let i = id.0 as usize;
        if self.complete[i] || self.busy[i] {
            return;
        }
        let Some(&(di, ci)) = self.defs.get(&(Kind::Type, q.clone())) else {
            return;
        };
        let docs = self.docs;
        let node = &docs[di].root.children[ci];
        if !self.enter(&self.at(di, node)) {
            return;
        }
        self.busy[i] = true;
        let def = if node.local == "complexType" {
            TypeDef::Complex(self.complex_type(di, node, Some(q.clone())))
        } else {
            TypeDef::Simple(self.simple_type(di, node, Some(q.clone())))
        };
        self.set.types[i] = def;
        self.complete[i] = true;
        self.busy[i] = false;
        self.leave();
    }

    /// The id of a type named by attribute `attr`, or of an anonymous child type, or `default`.
    fn type_of(&mut self, doc: usize, n: &Node, attr: &str, default: TypeId) -> TypeId {
        if let Some(q) = self.qname(doc, n, attr) {
            let at = self.at(doc, n);
            return self.type_ref(&q, &at);
        }
        for c in xs_children(n) {
            match c.local.as_str() {
                "complexType" => {
                    let t = self.complex_type(doc, c, None);
                    return self.push_type(TypeDef::Complex(t), true);
                }
                "simpleType" => {
                    let t = self.simple_type(doc, c, None);
                    return self.push_type(TypeDef::Simple(t), true);
                }
                _ => {}
            }
        }
        default
    }

    fn complex_type(&mut self, doc: usize, n: &Node, name: Option<QName>) -> ComplexType {
        let at = self.at(doc, n);
        let mut t = ComplexType {
            name,
            base: ANY_TYPE,
            derivation: Derivation::Restriction,
            is_abstract: parse_bool(n.attr("abstract")),
            mixed: parse_bool(n.attr("mixed")),
            content: Content::Empty,
            attributes: Vec::new(),
            attribute_wildcard: None,
            location: Some(self.location(doc, n)),
        };
        if !self.enter(&at) {
            return t;
        }
        let derivation = xs_children(n).find(|c| c.local == "simpleContent" || c.local == "complexContent");
        match derivation {
            Some(dc) if dc.local == "complexContent" => {
                if let Some(m) = dc.attr("mixed") {
                    t.mixed = parse_bool(Some(m));
                }
                self.complex_content(doc, dc, &mut t);
            }
            Some(dc) => self.simple_content(doc, dc, &mut t),
            None => {
                let particle = self.model_group_of(doc, n);
                t.content = content_of(particle, t.mixed);
                let (attrs, wildcard) = self.attributes_of(doc, n);
                t.attributes = attrs;
                t.attribute_wildcard = wildcard;
            }
        }
        self.leave();
        t
    }

    fn complex_content(&mut self, doc: usize, dc: &Node, t: &mut ComplexType) {
        let Some(step) = xs_children(dc).find(|c| c.local == "extension" || c.local == "restriction") else {
            let at = self.at(doc, dc);
            self.errors
                .push(format!("{at}: complexContent without extension or restriction"));
            return;
        };
        let at = self.at(doc, step);
        let base = match self.qname(doc, step, "base") {
            Some(q) => self.base_ref(&q, &at),
            None => {
                self.errors.push(format!("{at}: {} without base", step.local));
                ANY_TYPE
            }
        };
        t.base = base;
        let own = self.model_group_of(doc, step);
        let (own_attrs, own_wildcard) = self.attributes_of(doc, step);
        if !self.complete[base.0 as usize] {
            self.errors.push(format!(
                "{at}: the type derives from itself (through {})",
                self.set.type_name(base)
            ));
            return;
        }
        let base_def = match self.set.type_def(base) {
            TypeDef::Complex(c) => c.clone(),
            TypeDef::Simple(_) => {
                self.errors.push(format!(
                    "{at}: complexContent cannot derive from the simple type {}",
                    self.set.type_name(base)
                ));
                return;
            }
        };
        if step.local == "extension" {
            t.derivation = Derivation::Extension;
            t.content = match (&base_def.content, own) {
                (Content::Elements(b), Some(o)) if base != ANY_TYPE => Content::Elements(Particle {
                    min: 1,
                    max: MaxOccurs::Bounded(1),
                    term: Term::Sequence(vec![b.clone(), o]),
                }),
                (Content::Elements(b), None) if base != ANY_TYPE => Content::Elements(b.clone()),
                (Content::Simple(_), _) => {
                    self.errors.push(format!(
                        "{at}: complexContent cannot extend {}, which has simple content",
                        self.set.type_name(base)
                    ));
                    Content::Empty
                }
                (_, o) => content_of(o, t.mixed),
            };
            t.mixed = t.mixed || (base != ANY_TYPE && base_def.mixed);
            t.attributes = base_def.attributes.clone();
            merge_attributes(&mut t.attributes, own_attrs);
            t.attribute_wildcard = union_wildcard(base_def.attribute_wildcard.clone(), own_wildcard);
        } else {
            t.derivation = Derivation::Restriction;
            t.content = content_of(own, t.mixed);
            t.attributes = base_def.attributes.clone();
            merge_attributes(&mut t.attributes, own_attrs);
            t.attribute_wildcard = own_wildcard;
        }
        t.attributes.retain(|a| a.type_id != PROHIBITED);
    }

    fn simple_content(&mut self, doc: usize, dc: &Node, t: &mut ComplexType) {
        let Some(step) = xs_children(dc).find(|c| c.local == "extension" || c.local == "restriction") else {
            let at = self.at(doc, dc);
            self.errors
                .push(format!("{at}: simpleContent without extension or restriction"));
            return;
        };
        let at = self.at(doc, step);
        let base = match self.qname(doc, step, "base") {
            Some(q) => self.base_ref(&q, &at),
            None => ANY_TYPE,
        };
        t.base = base;
        let (own_attrs, own_wildcard) = self.attributes_of(doc, step);
        if !self.complete[base.0 as usize] {
            self.errors.push(format!(
                "{at}: the type derives from itself (through {})",
                self.set.type_name(base)
            ));
            return;
        }
        let (base_simple, base_attrs, base_wildcard) = match self.set.type_def(base) {
            TypeDef::Simple(_) => (base, Vec::new(), None),
            TypeDef::Complex(c) => match &c.content {
                Content::Simple(s) => (*s, c.attributes.clone(), c.attribute_wildcard.clone()),
                _ if step.local == "restriction" && c.mixed => (
                    self.set.global_types[&QName::new(XS, "string")],
                    c.attributes.clone(),
                    c.attribute_wildcard.clone(),
                ),
                _ => {
                    self.errors.push(format!(
                        "{at}: simpleContent cannot derive from {}, which has no simple content",
                        self.set.type_name(base)
                    ));
                    return;
                }
            },
        };
        t.attributes = base_attrs;
        merge_attributes(&mut t.attributes, own_attrs);
        t.attributes.retain(|a| a.type_id != PROHIBITED);
        if step.local == "extension" {
            t.derivation = Derivation::Extension;
            t.content = Content::Simple(base_simple);
            t.attribute_wildcard = union_wildcard(base_wildcard, own_wildcard);
        } else {
            t.derivation = Derivation::Restriction;
            let inner = xs_children(step).find(|c| c.local == "simpleType");
            let restricted_base = match inner {
                Some(st) => {
                    let s = self.simple_type(doc, st, None);
                    self.push_type(TypeDef::Simple(s), true)
                }
                None => base_simple,
            };
            let s = self.restriction(doc, step, restricted_base, None);
            t.content = Content::Simple(self.push_type(TypeDef::Simple(s), true));
            t.attribute_wildcard = own_wildcard;
        }
    }
}

/// A marker type id for a prohibited attribute use (removed before the type is stored).
const PROHIBITED: TypeId = TypeId(u32::MAX);

fn placeholder_complex() -> ComplexType {
    ComplexType {
        name: None,
        base: ANY_TYPE,
        derivation: Derivation::Restriction,
        is_abstract: false,
        mixed: false,
        content: Content::Empty,
        attributes: Vec::new(),
        attribute_wildcard: None,
        location: None,
    }
}

fn content_of(particle: Option<Particle>, mixed: bool) -> Content {
    match particle {
        Some(p) => Content::Elements(p),
        None if mixed => Content::Elements(Particle {
            min: 1,
            max: MaxOccurs::Bounded(1),
            term: Term::Sequence(Vec::new()),
        }),
        None => Content::Empty,
    }
}

use attributes::{merge_attributes, union_wildcard};
