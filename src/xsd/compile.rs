//! Compiling gathered schema documents into the [`SchemaSet`] model: every reference resolved
//! to an id, extensions flattened into effective content, groups and attribute groups
//! expanded, facets accumulated. Every global component is compiled, so a broken schema is
//! refused at load, with every problem listed (file:line and what is wrong).

use std::collections::HashMap;

use super::XS;
use super::builtin::{self, Builtin, WhiteSpace};
use super::doc::{Node, XML_NS};
use super::load::{Kind, SchemaDoc};
use super::model::*;
use super::pattern::Pattern;
use super::simple::{Facets, qname_key};

/// How deep derivations, groups and nested anonymous types may go while compiling.
const MAX_DEPTH: usize = 200;

/// The attribute uses and wildcard an attribute group (or a type's own declarations) gives.
type AttributeSet = (Vec<AttributeUse>, Option<Wildcard>);

/// A definition's place: document index and child index of its `xs:schema`.
type DefAt = (usize, usize);

struct Compiler<'d> {
    docs: &'d [SchemaDoc],
    defs: HashMap<(Kind, QName), DefAt>,
    set: SchemaSet,
    complete: Vec<bool>,
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
        },
        complete: Vec::new(),
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
    c.substitution_groups();
    c.set.notes = notes;
    if c.errors.is_empty() { Ok(c.set) } else { Err(c.errors) }
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
        let Some(&(di, ci)) = self.defs.get(&(Kind::Type, q.clone())) else {
            if q.ns != XS {
                self.missing(Kind::Type, q, at);
            } else {
                self.errors
                    .push(format!("{at}: {q} is not a built-in type of XML Schema 1.0"));
            }
            return ANY_TYPE;
        };
        let node = &self.docs[di].root.children[ci];
        let placeholder = self.push_type(TypeDef::Complex(placeholder_complex()), false);
        self.set.global_types.insert(q.clone(), placeholder);
        let def = if node.local == "complexType" {
            TypeDef::Complex(self.complex_type(di, node, Some(q.clone())))
        } else {
            TypeDef::Simple(self.simple_type(di, node, Some(q.clone())))
        };
        self.set.types[placeholder.0 as usize] = def;
        self.complete[placeholder.0 as usize] = true;
        placeholder
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
            Some(q) => self.type_ref(&q, &at),
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
            Some(q) => self.type_ref(&q, &at),
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

    fn simple_type(&mut self, doc: usize, n: &Node, name: Option<QName>) -> SimpleType {
        let at = self.at(doc, n);
        let mut fallback = SimpleType {
            name: name.clone(),
            base: Some(self.set.global_types[&QName::new(XS, "anySimpleType")]),
            variety: Variety::Atomic(Builtin::AnySimpleType),
            facets: Facets::default(),
            location: Some(self.location(doc, n)),
        };
        if !self.enter(&at) {
            return fallback;
        }
        let Some(step) = xs_children(n).next() else {
            self.errors
                .push(format!("{at}: simpleType without restriction, list or union"));
            self.leave();
            return fallback;
        };
        let any_simple = self.set.global_types[&QName::new(XS, "anySimpleType")];
        let result = match step.local.as_str() {
            "restriction" => {
                let base = match self.qname(doc, step, "base") {
                    Some(q) => {
                        let a = self.at(doc, step);
                        self.type_ref(&q, &a)
                    }
                    None => match xs_children(step).find(|c| c.local == "simpleType") {
                        Some(inner) => {
                            let s = self.simple_type(doc, inner, None);
                            self.push_type(TypeDef::Simple(s), true)
                        }
                        None => {
                            self.errors
                                .push(format!("{}: restriction without base", self.at(doc, step)));
                            any_simple
                        }
                    },
                };
                self.restriction(doc, step, base, name)
            }
            "list" => {
                let item = self.type_of(doc, step, "itemType", any_simple);
                fallback.variety = Variety::List(item);
                fallback.base = Some(any_simple);
                fallback.facets.white_space = Some(WhiteSpace::Collapse);
                fallback
            }
            "union" => {
                let mut members = Vec::new();
                if let Some(list) = step.attr("memberTypes") {
                    for token in list.split_whitespace() {
                        match step.resolve_qname(token) {
                            Ok((ns, local)) => {
                                let a = self.at(doc, step);
                                members.push(self.type_ref(&QName::new(ns, local), &a));
                            }
                            Err(e) => self.errors.push(format!("{}: memberTypes: {e}", self.at(doc, step))),
                        }
                    }
                }
                for inner in xs_children(step).filter(|c| c.local == "simpleType") {
                    let s = self.simple_type(doc, inner, None);
                    members.push(self.push_type(TypeDef::Simple(s), true));
                }
                fallback.variety = Variety::Union(members);
                fallback.base = Some(any_simple);
                fallback
            }
            other => {
                self.errors.push(format!(
                    "{}: xs:{other} is not allowed in a simpleType",
                    self.at(doc, step)
                ));
                fallback
            }
        };
        self.leave();
        result
    }

    /// A restriction of simple type `base` by the facets among `step`'s children.
    fn restriction(&mut self, doc: usize, step: &Node, base: TypeId, name: Option<QName>) -> SimpleType {
        let at = self.at(doc, step);
        let (variety, mut facets) = match self.set.type_def(base) {
            TypeDef::Simple(s) => (s.variety.clone(), s.facets.clone()),
            TypeDef::Complex(_) => {
                if self.complete[base.0 as usize] {
                    self.errors.push(format!(
                        "{at}: a simple type cannot restrict the complex type {}",
                        self.set.type_name(base)
                    ));
                } else {
                    self.errors.push(format!("{at}: the simple type derives from itself"));
                }
                (Variety::Atomic(Builtin::AnySimpleType), Facets::default())
            }
        };
        let builtin = match &variety {
            Variety::Atomic(b) => Some(*b),
            _ => None,
        };
        let mut enumeration: Vec<String> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for f in xs_children(step) {
            let Some(value) = f.attr("value") else {
                if f.local != "simpleType" {
                    self.errors
                        .push(format!("{}: xs:{} without value", self.at(doc, f), f.local));
                }
                continue;
            };
            let fat = self.at(doc, f);
            let number = |s: &mut Self, v: &str| -> Option<u64> {
                match v.trim().parse::<u64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        s.errors.push(format!(
                            "{fat}: xs:{} value {v:?} is not a non-negative integer",
                            f.local
                        ));
                        None
                    }
                }
            };
            match f.local.as_str() {
                "enumeration" => {
                    enumeration.push(value.to_owned());
                    let key = match builtin {
                        Some(Builtin::QName | Builtin::Notation) => {
                            let lookup = |p: &str| f.namespace_of(p).map(str::to_owned);
                            qname_key(value.trim(), &lookup).unwrap_or_else(|| value.to_owned())
                        }
                        Some(b) => b.canonical(&b.white_space().apply(value)),
                        None => value.to_owned(),
                    };
                    keys.push(key);
                }
                "pattern" => match Pattern::new(value) {
                    Ok(p) => patterns.push(p),
                    Err(e) => self.errors.push(format!("{fat}: {e}")),
                },
                "whiteSpace" => match value.trim() {
                    "preserve" => facets.white_space = Some(WhiteSpace::Preserve),
                    "replace" => facets.white_space = Some(WhiteSpace::Replace),
                    "collapse" => facets.white_space = Some(WhiteSpace::Collapse),
                    v => self
                        .errors
                        .push(format!("{fat}: whiteSpace {v:?} is not preserve, replace or collapse")),
                },
                "length" => facets.length = number(self, value),
                "minLength" => facets.min_length = number(self, value),
                "maxLength" => facets.max_length = number(self, value),
                "totalDigits" => facets.total_digits = number(self, value).map(|n| n as u32),
                "fractionDigits" => facets.fraction_digits = number(self, value).map(|n| n as u32),
                "minInclusive" | "maxInclusive" | "minExclusive" | "maxExclusive" => {
                    let v = value.trim().to_owned();
                    match builtin {
                        Some(b) if b.ordered() && b.check(&v).is_ok() => {}
                        Some(b) if b.ordered() => {
                            self.errors.push(format!(
                                "{fat}: xs:{} value {v:?} is not a valid xs:{}",
                                f.local,
                                b.name()
                            ));
                        }
                        _ => self.errors.push(format!(
                            "{fat}: xs:{} on a type that is not numeric or a date/time is not supported",
                            f.local
                        )),
                    }
                    match f.local.as_str() {
                        "minInclusive" => facets.min_inclusive = Some(v),
                        "maxInclusive" => facets.max_inclusive = Some(v),
                        "minExclusive" => facets.min_exclusive = Some(v),
                        _ => facets.max_exclusive = Some(v),
                    }
                }
                "assertion" | "explicitTimezone" => self
                    .errors
                    .push(format!("{fat}: xs:{} (XML Schema 1.1) is not supported", f.local)),
                other => self
                    .errors
                    .push(format!("{fat}: xs:{other} is not a facet of XML Schema 1.0")),
            }
        }
        if !enumeration.is_empty() {
            facets.enumeration = Some(enumeration);
            facets.enumeration_keys = keys;
        }
        if !patterns.is_empty() {
            facets.patterns.push(patterns);
        }
        SimpleType {
            name,
            base: Some(base),
            variety,
            facets,
            location: Some(self.location(doc, step)),
        }
    }

    // ---- elements and particles -------------------------------------------------------------

    fn element_ref(&mut self, q: &QName, at: &str) -> Option<ElementId> {
        if let Some(id) = self.set.global_elements.get(q) {
            return Some(*id);
        }
        let Some(&(di, ci)) = self.defs.get(&(Kind::Element, q.clone())) else {
            self.missing(Kind::Element, q, at);
            return None;
        };
        let node = &self.docs[di].root.children[ci];
        let id = ElementId(self.set.elements.len() as u32);
        self.set.elements.push(ElementDecl {
            name: q.clone(),
            type_id: ANY_TYPE,
            global: true,
            nillable: false,
            is_abstract: false,
            default: None,
            fixed: None,
            substitution_group: None,
            location: self.location(di, node),
        });
        self.set.global_elements.insert(q.clone(), id);
        let head = match self.qname(di, node, "substitutionGroup") {
            Some(h) => {
                let a = self.at(di, node);
                self.element_ref(&h, &a)
            }
            None => None,
        };
        let default_type = head
            .map(|h| self.set.elements[h.0 as usize].type_id)
            .unwrap_or(ANY_TYPE);
        let type_id = self.type_of(di, node, "type", default_type);
        let decl = &mut self.set.elements[id.0 as usize];
        decl.type_id = type_id;
        decl.nillable = parse_bool(node.attr("nillable"));
        decl.is_abstract = parse_bool(node.attr("abstract"));
        decl.default = node.attr("default").map(str::to_owned);
        decl.fixed = node.attr("fixed").map(str::to_owned);
        decl.substitution_group = head;
        Some(id)
    }

    fn local_element(&mut self, doc: usize, n: &Node) -> Option<ElementId> {
        let d = &self.docs[doc];
        let name = n.attr("name")?;
        let qualified = match n.attr("form") {
            Some(f) => f == "qualified",
            None => d.root.attr("elementFormDefault") == Some("qualified"),
        };
        let ns = if qualified { d.tns.clone() } else { String::new() };
        let location = self.location(doc, n);
        let type_id = self.type_of(doc, n, "type", ANY_TYPE);
        self.set.elements.push(ElementDecl {
            name: QName::new(ns, name),
            type_id,
            global: false,
            nillable: parse_bool(n.attr("nillable")),
            is_abstract: false,
            default: n.attr("default").map(str::to_owned),
            fixed: n.attr("fixed").map(str::to_owned),
            substitution_group: None,
            location,
        });
        Some(ElementId(self.set.elements.len() as u32 - 1))
    }

    fn occurs(&mut self, doc: usize, n: &Node) -> (u32, MaxOccurs) {
        let at = self.at(doc, n);
        let min = match n.attr("minOccurs").map(str::trim) {
            None => 1,
            Some(v) => v.parse().unwrap_or_else(|_| {
                self.errors.push(format!("{at}: minOccurs={v:?} is not a number"));
                1
            }),
        };
        let max = match n.attr("maxOccurs").map(str::trim) {
            None => MaxOccurs::Bounded(1),
            Some("unbounded") => MaxOccurs::Unbounded,
            Some(v) => match v.parse() {
                Ok(m) => MaxOccurs::Bounded(m),
                Err(_) => {
                    self.errors
                        .push(format!("{at}: maxOccurs={v:?} is not a number or unbounded"));
                    MaxOccurs::Bounded(1)
                }
            },
        };
        if let MaxOccurs::Bounded(m) = max
            && m < min
        {
            self.errors
                .push(format!("{at}: maxOccurs {m} is less than minOccurs {min}"));
        }
        (min, max)
    }

    /// The content model among `n`'s children (sequence, choice, all or group ref).
    fn model_group_of(&mut self, doc: usize, n: &Node) -> Option<Particle> {
        let child = xs_children(n).find(|c| matches!(c.local.as_str(), "sequence" | "choice" | "all" | "group"))?;
        self.particle(doc, child)
    }

    fn particle(&mut self, doc: usize, n: &Node) -> Option<Particle> {
        let at = self.at(doc, n);
        let (min, max) = self.occurs(doc, n);
        if max == MaxOccurs::Bounded(0) {
            return None;
        }
        if !self.enter(&at) {
            return None;
        }
        let term = match n.local.as_str() {
            "element" => {
                let id = match self.qname(doc, n, "ref") {
                    Some(q) => self.element_ref(&q, &at),
                    None => self.local_element(doc, n),
                };
                id.map(Term::Element)
            }
            "any" => Some(Term::Any(self.wildcard(doc, n))),
            "sequence" | "choice" | "all" => {
                let mut parts = Vec::new();
                for c in xs_children(n) {
                    if matches!(
                        c.local.as_str(),
                        "element" | "any" | "sequence" | "choice" | "group" | "all"
                    ) && let Some(p) = self.particle(doc, c)
                    {
                        parts.push(p);
                    }
                }
                Some(match n.local.as_str() {
                    "sequence" => Term::Sequence(parts),
                    "choice" => Term::Choice(parts),
                    _ => Term::All(parts),
                })
            }
            "group" => match self.qname(doc, n, "ref") {
                Some(q) => self.group_ref(&q, &at).map(|p| p.term),
                None => {
                    self.errors.push(format!("{at}: a local xs:group without ref"));
                    None
                }
            },
            other => {
                self.errors
                    .push(format!("{at}: xs:{other} is not supported in a content model"));
                None
            }
        };
        self.leave();
        term.map(|term| Particle { min, max, term })
    }

    fn group_ref(&mut self, q: &QName, at: &str) -> Option<Particle> {
        match self.groups.get(q) {
            Some(Some(p)) => return p.clone(),
            Some(None) => {
                self.errors.push(format!("{at}: the group {q} contains itself"));
                return None;
            }
            None => {}
        }
        let Some(&(di, ci)) = self.defs.get(&(Kind::Group, q.clone())) else {
            self.missing(Kind::Group, q, at);
            return None;
        };
        self.groups.insert(q.clone(), None);
        let node = &self.docs[di].root.children[ci];
        let p = self.model_group_of(di, node);
        self.groups.insert(q.clone(), Some(p.clone()));
        p
    }

    fn wildcard(&mut self, doc: usize, n: &Node) -> Wildcard {
        let tns = self.docs[doc].tns.clone();
        let namespaces = match n.attr("namespace").map(str::trim) {
            None | Some("##any") => NamespaceConstraint::Any,
            Some("##other") => NamespaceConstraint::Not(vec![tns, String::new()]),
            Some(list) => NamespaceConstraint::Only(
                list.split_whitespace()
                    .map(|t| match t {
                        "##targetNamespace" => tns.clone(),
                        "##local" => String::new(),
                        uri => uri.to_owned(),
                    })
                    .collect(),
            ),
        };
        let process = match n.attr("processContents").map(str::trim) {
            Some("lax") => ProcessContents::Lax,
            Some("skip") => ProcessContents::Skip,
            _ => ProcessContents::Strict,
        };
        Wildcard { namespaces, process }
    }

    // ---- attributes ------------------------------------------------------------------------

    fn attributes_of(&mut self, doc: usize, n: &Node) -> AttributeSet {
        let mut uses = Vec::new();
        let mut wildcard = None;
        for c in xs_children(n) {
            match c.local.as_str() {
                "attribute" => {
                    if let Some(u) = self.attribute(doc, c) {
                        merge_attributes(&mut uses, vec![u]);
                    }
                }
                "attributeGroup" => {
                    let at = self.at(doc, c);
                    if let Some(q) = self.qname(doc, c, "ref")
                        && let Some((more, w)) = self.attribute_group_ref(&q, &at)
                    {
                        merge_attributes(&mut uses, more);
                        wildcard = union_wildcard(wildcard, w);
                    }
                }
                "anyAttribute" => wildcard = union_wildcard(wildcard, Some(self.wildcard(doc, c))),
                _ => {}
            }
        }
        (uses, wildcard)
    }

    fn attribute(&mut self, doc: usize, n: &Node) -> Option<AttributeUse> {
        let at = self.at(doc, n);
        let usage = n.attr("use").map(str::trim).unwrap_or("optional");
        let mut u = if let Some(q) = self.qname(doc, n, "ref") {
            self.global_attribute(&q, &at)?
        } else {
            let name = n.attr("name")?;
            let d = &self.docs[doc];
            let qualified = match n.attr("form") {
                Some(f) => f == "qualified",
                None => d.root.attr("attributeFormDefault") == Some("qualified"),
            };
            let ns = if qualified { d.tns.clone() } else { String::new() };
            let any_simple = self.set.global_types[&QName::new(XS, "anySimpleType")];
            let type_id = self.type_of(doc, n, "type", any_simple);
            AttributeUse {
                name: QName::new(ns, name),
                type_id,
                required: false,
                default: None,
                fixed: None,
            }
        };
        if let Some(d) = n.attr("default") {
            u.default = Some(d.to_owned());
        }
        if let Some(f) = n.attr("fixed") {
            u.fixed = Some(f.to_owned());
        }
        u.required = usage == "required";
        if usage == "prohibited" {
            u.type_id = PROHIBITED;
        }
        if self.set.complex(u.type_id).is_some() && u.type_id != PROHIBITED {
            self.errors.push(format!(
                "{at}: an attribute's type must be simple, not {}",
                self.set.type_name(u.type_id)
            ));
        }
        Some(u)
    }

    fn global_attribute(&mut self, q: &QName, at: &str) -> Option<AttributeUse> {
        if let Some(u) = self.set.global_attributes.get(q) {
            return Some(u.clone());
        }
        let Some(&(di, ci)) = self.defs.get(&(Kind::Attribute, q.clone())) else {
            self.missing(Kind::Attribute, q, at);
            return None;
        };
        let node = &self.docs[di].root.children[ci];
        let any_simple = self.set.global_types[&QName::new(XS, "anySimpleType")];
        let type_id = self.type_of(di, node, "type", any_simple);
        let u = AttributeUse {
            name: q.clone(),
            type_id,
            required: false,
            default: node.attr("default").map(str::to_owned),
            fixed: node.attr("fixed").map(str::to_owned),
        };
        self.set.global_attributes.insert(q.clone(), u.clone());
        Some(u)
    }

    fn attribute_group_ref(&mut self, q: &QName, at: &str) -> Option<AttributeSet> {
        match self.attribute_groups.get(q) {
            Some(Some(g)) => return Some(g.clone()),
            Some(None) => {
                self.errors
                    .push(format!("{at}: the attribute group {q} contains itself"));
                return None;
            }
            None => {}
        }
        let Some(&(di, ci)) = self.defs.get(&(Kind::AttributeGroup, q.clone())) else {
            self.missing(Kind::AttributeGroup, q, at);
            return None;
        };
        self.attribute_groups.insert(q.clone(), None);
        let node = &self.docs[di].root.children[ci];
        if !self.enter(at) {
            return None;
        }
        let g = self.attributes_of(di, node);
        self.leave();
        self.attribute_groups.insert(q.clone(), Some(g.clone()));
        Some(g)
    }

    fn substitution_groups(&mut self) {
        let mut map: HashMap<ElementId, Vec<ElementId>> = HashMap::new();
        for (i, e) in self.set.elements.iter().enumerate() {
            let member = ElementId(i as u32);
            let mut head = e.substitution_group;
            let mut steps = 0;
            while let Some(h) = head {
                if h == member || steps > self.set.elements.len() {
                    self.errors.push(format!(
                        "{}: the substitution group of {} is circular",
                        e.location, e.name
                    ));
                    break;
                }
                map.entry(h).or_default().push(member);
                head = self.set.elements[h.0 as usize].substitution_group;
                steps += 1;
            }
        }
        self.set.substitutes = map;
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

/// Adds `more` to `uses`, a use of the same name replacing the earlier one.
fn merge_attributes(uses: &mut Vec<AttributeUse>, more: Vec<AttributeUse>) {
    for u in more {
        match uses.iter_mut().find(|x| x.name == u.name) {
            Some(existing) => *existing = u,
            None => uses.push(u),
        }
    }
}

fn union_wildcard(a: Option<Wildcard>, b: Option<Wildcard>) -> Option<Wildcard> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => {
            let namespaces = match (a.namespaces, b.namespaces) {
                (NamespaceConstraint::Any, _) | (_, NamespaceConstraint::Any) => NamespaceConstraint::Any,
                (NamespaceConstraint::Only(mut x), NamespaceConstraint::Only(y)) => {
                    x.extend(y);
                    NamespaceConstraint::Only(x)
                }
                (NamespaceConstraint::Not(x), NamespaceConstraint::Not(y)) => {
                    NamespaceConstraint::Not(x.into_iter().filter(|n| y.contains(n)).collect())
                }
                (NamespaceConstraint::Not(x), NamespaceConstraint::Only(y))
                | (NamespaceConstraint::Only(y), NamespaceConstraint::Not(x)) => {
                    NamespaceConstraint::Not(x.into_iter().filter(|n| !y.contains(n)).collect())
                }
            };
            Some(Wildcard {
                namespaces,
                process: b.process,
            })
        }
    }
}
