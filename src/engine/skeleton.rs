//! The skeleton of a message: a deterministic instance of a global element built from the
//! compiled schema — every required element and attribute, the cheapest branch of each
//! choice (the one needing the fewest elements, so recursive types end), a concrete member
//! for an abstract element or type, and a value for every simple type from its facets
//! ([`super::values`]). Namespaces are declared once, on the root, with prefixes named after
//! the namespace (`urn:oio:sagdok:3.0.0` → `sagdok`).
//!
//! The generation's conventions ride along: preferred values (`StandardRetur/StatusKode` 20)
//! and echoes of the request (`HovedOplysningerSvar/TransaktionsId`).

use std::collections::HashMap;

use super::paths::PathPattern;
use super::template::{Piece, Value};
use super::values::{Hint, value};
use crate::xsd::model::{
    ANY_TYPE, Content, ElementId, NamespaceConstraint, Particle, ProcessContents, QName, SchemaSet, Term, TypeDef,
    TypeId, Wildcard,
};
use crate::xsd::validate::XSI;

/// How deep a skeleton may nest.
const MAX_DEPTH: usize = 40;
/// The cost of what cannot end (a recursion with no way out).
const INFINITE: u64 = u64::MAX / 4;
/// The most elements a skeleton may hold (a contract with large `minOccurs` would otherwise
/// make it huge).
const MAX_ELEMENTS: usize = 50_000;

/// What a generation adds to its skeletons.
#[derive(Debug, Clone, Default)]
pub struct Conventions {
    /// (parent's local name, element's local name, value): used when the type accepts it.
    pub preferred: Vec<(&'static str, &'static str, &'static str)>,
    /// (parent's local name, element's local name, request path): the request's value.
    pub echoes: Vec<(&'static str, &'static str, &'static str)>,
    /// Optional elements written anyway, once, where a content model offers them (the
    /// støttesystem `StandardRetur` of every output).
    pub include: Vec<&'static str>,
}

/// A generated message.
#[derive(Debug, Clone)]
pub struct Skeleton {
    /// The template: the element with its values.
    pub pieces: Vec<Piece>,
    /// The elements with a value: (path below the root, index of its value piece).
    pub leaves: Vec<(String, usize)>,
}

impl Skeleton {
    /// The pieces with the values at `overrides` (leaf paths) replaced by other pieces.
    pub fn with(&self, overrides: &[(PathPattern, Vec<Piece>)]) -> Vec<Piece> {
        let mut out = Vec::with_capacity(self.pieces.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            let replaced = self
                .leaves
                .iter()
                .filter(|(_, index)| *index == i)
                .find_map(|(leaf, _)| overrides.iter().find(|(path, _)| path.matches(leaf)));
            match replaced {
                Some((_, pieces)) => out.extend(pieces.iter().cloned()),
                None => out.push(piece.clone()),
            }
        }
        out
    }
}

/// Builds the skeleton of global element `root`, for `operation` (named in UUIDs and errors).
pub fn build(set: &SchemaSet, root: ElementId, operation: &str, conventions: &Conventions) -> Result<Skeleton, String> {
    let mut g = Gen {
        set,
        conventions,
        operation,
        prefixes: Vec::new(),
        pieces: vec![Piece::Text(String::new())],
        leaves: Vec::new(),
        costs: HashMap::new(),
        xsi: false,
        elements: 0,
    };
    g.element(root, "", "", 0, true)?;
    // The root's namespace declarations, now that every namespace is known: inserted after
    // the root's name.
    let mut declarations = String::new();
    for (ns, prefix) in &g.prefixes {
        declarations.push_str(&format!(" xmlns:{prefix}=\"{}\"", crate::soap::xml::escape(ns)));
    }
    if g.xsi {
        declarations.push_str(&format!(" xmlns:xsi=\"{XSI}\""));
    }
    if let Some(Piece::Text(first)) = g.pieces.get_mut(1) {
        let name_end = first.find([' ', '>', '/']).unwrap_or(first.len());
        first.insert_str(name_end, &declarations);
    }
    g.pieces.remove(0);
    let leaves = g.leaves.into_iter().map(|(p, i)| (p, i - 1)).collect();
    Ok(Skeleton {
        pieces: g.pieces,
        leaves,
    })
}

struct Gen<'a> {
    set: &'a SchemaSet,
    conventions: &'a Conventions,
    operation: &'a str,
    prefixes: Vec<(String, String)>,
    pieces: Vec<Piece>,
    leaves: Vec<(String, usize)>,
    costs: HashMap<TypeId, u64>,
    xsi: bool,
    /// Elements written so far.
    elements: usize,
}

impl Gen<'_> {
    fn text(&mut self, s: &str) {
        let len = self.pieces.len();
        match self.pieces.last_mut() {
            Some(Piece::Text(t)) if len > 1 => t.push_str(s),
            _ => self.pieces.push(Piece::Text(s.to_owned())),
        }
    }

    fn value(&mut self, v: Value, path: &str) {
        self.pieces.push(Piece::Value(v));
        self.leaves.push((path.to_owned(), self.pieces.len() - 1));
    }

    /// The prefix of a namespace, assigned on first use.
    fn prefix(&mut self, ns: &str) -> String {
        if ns == "http://www.w3.org/XML/1998/namespace" {
            return "xml".into();
        }
        if let Some((_, p)) = self.prefixes.iter().find(|(n, _)| n == ns) {
            return p.clone();
        }
        let base = prefix_name(ns);
        let mut p = base.clone();
        let mut n = 2;
        while self.prefixes.iter().any(|(_, q)| *q == p) || p == "xsi" || p == "xml" || p.starts_with("xml") {
            p = format!("{base}{n}");
            n += 1;
        }
        self.prefixes.push((ns.to_owned(), p.clone()));
        p
    }

    fn qualified(&mut self, q: &QName) -> String {
        if q.ns.is_empty() {
            q.local.clone()
        } else {
            format!("{}:{}", self.prefix(&q.ns), q.local)
        }
    }

    fn element(&mut self, id: ElementId, parent: &str, at: &str, depth: usize, root: bool) -> Result<(), String> {
        let set = self.set;
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(format!(
                "the message would hold more than {MAX_ELEMENTS} elements (at {at}): its minOccurs are too large for a generated answer"
            ));
        }
        if depth > MAX_DEPTH {
            return Err(format!(
                "the message nests deeper than {MAX_DEPTH} elements at {at}: its content model recurses with no optional way out"
            ));
        }
        let id = self.concrete_element(id).ok_or_else(|| {
            format!(
                "the abstract element {} at {at} has no concrete member in its substitution group",
                set.element(id).name
            )
        })?;
        let decl = set.element(id);
        let name = decl.name.clone();
        let path = if root {
            String::new()
        } else if at.is_empty() {
            name.local.clone()
        } else {
            format!("{at}/{}", name.local)
        };
        // How the element is named in messages and UUIDs: its path, or its name at the root.
        let label = if root { name.local.clone() } else { path.clone() };
        let tag = self.qualified(&name);
        let (type_id, xsi_type) = self.concrete_type(decl.type_id);
        self.text(&format!("<{tag}"));
        if let Some(t) = xsi_type {
            self.xsi = true;
            let tn = match &set.complex(t).and_then(|c| c.name.clone()) {
                Some(q) => self.qualified(q),
                None => String::new(),
            };
            self.text(&format!(" xsi:type=\"{tn}\""));
        }
        let attributes = match set.type_def(type_id) {
            TypeDef::Complex(ct) => ct.attributes.clone(),
            TypeDef::Simple(_) => Vec::new(),
        };
        for a in attributes.iter().filter(|a| a.required) {
            let an = self.qualified(&a.name);
            let apath = format!("{label}/@{}", a.name.local);
            let v = match (&a.fixed, &a.default) {
                (Some(fixed), _) => Value::Static(fixed.clone()),
                (None, Some(default)) => Value::Static(default.clone()),
                (None, None) => value(
                    set,
                    a.type_id,
                    &Hint {
                        name: &a.name.local,
                        preferred: None,
                        operation: self.operation,
                        path: &apath,
                    },
                )?,
            };
            self.text(&format!(" {an}=\""));
            self.pieces.push(Piece::Value(v));
            self.pieces.push(Piece::Text("\"".into()));
        }
        self.text(">");
        let local = name.local.clone();
        let content = match set.type_def(type_id) {
            TypeDef::Simple(_) => Some(type_id),
            TypeDef::Complex(ct) => match &ct.content {
                Content::Simple(s) => Some(*s),
                _ => None,
            },
        };
        if let Some(simple) = content {
            let v = if let Some(fixed) = &decl.fixed {
                Value::Static(fixed.clone())
            } else if let Some(request) = self.echo(parent, &local) {
                let path = PathPattern::parse(request, "")?;
                let sample = match value(set, simple, &self.hint(&local, &path.text, parent)) {
                    Ok(Value::Static(s)) => s,
                    Ok(Value::Clock(format)) => super::values::check_instant().format(format).to_string(),
                    _ => String::new(),
                };
                Value::Request { path, sample }
            } else {
                match value(set, simple, &self.hint(&local, &label, parent)) {
                    Ok(v) => v,
                    Err(e) if decl.nillable => return self.nil(&tag, &e),
                    Err(e) => return Err(e),
                }
            };
            self.value(v, &path);
        } else if let TypeDef::Complex(ct) = set.type_def(type_id)
            && let Content::Elements(p) = &ct.content
        {
            let p = p.clone();
            let mark = self.pieces.len();
            if let Err(e) = self.particle(&p, &local, &path, depth + 1) {
                if decl.nillable {
                    self.pieces.truncate(mark);
                    self.leaves.retain(|(_, i)| *i < mark);
                    return self.nil(&tag, &e);
                }
                return Err(e);
            }
        }
        self.text(&format!("</{tag}>"));
        Ok(())
    }

    /// Closes an element as `xsi:nil` when its content cannot be generated.
    fn nil(&mut self, tag: &str, _why: &str) -> Result<(), String> {
        self.xsi = true;
        // The start tag's `>` was written last: put the nil attribute before it.
        if let Some(Piece::Text(t)) = self.pieces.last_mut()
            && t.ends_with('>')
        {
            t.pop();
            t.push_str(" xsi:nil=\"true\">");
        }
        self.text(&format!("</{tag}>"));
        Ok(())
    }

    fn hint<'h>(&'h self, local: &'h str, path: &'h str, parent: &str) -> Hint<'h> {
        Hint {
            name: local,
            preferred: self
                .conventions
                .preferred
                .iter()
                .find(|(p, l, _)| *p == parent && *l == local)
                .map(|(_, _, v)| *v),
            operation: self.operation,
            path,
        }
    }

    fn echo(&self, parent: &str, local: &str) -> Option<&'static str> {
        self.conventions
            .echoes
            .iter()
            .find(|(p, l, _)| *p == parent && *l == local)
            .map(|(_, _, r)| *r)
    }

    fn particle(&mut self, p: &Particle, parent: &str, at: &str, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH * 4 {
            return Err(format!("the content model at {at} nests too deeply"));
        }
        let count = if p.min == 0 && self.included(p) { 1 } else { p.min };
        for _ in 0..count {
            match &p.term {
                Term::Element(id) => self.element(*id, parent, at, depth, false)?,
                Term::Any(w) => self.any(w, parent, at, depth)?,
                Term::Sequence(children) | Term::All(children) => {
                    for c in children {
                        self.particle(c, parent, at, depth + 1)?;
                    }
                }
                Term::Choice(children) => {
                    let cheapest = match children.iter().find(|c| self.included(c)) {
                        Some(c) => c,
                        None => children
                            .iter()
                            .min_by_key(|c| self.particle_cost(c, 0))
                            .ok_or_else(|| format!("an empty choice at {at}"))?,
                    };
                    self.particle(cheapest, parent, at, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// Whether the particle is an element the conventions write even when it is optional.
    fn included(&self, p: &Particle) -> bool {
        match &p.term {
            Term::Element(id) => {
                let local = &self.set.element(*id).name.local;
                self.conventions.include.iter().any(|i| i == local)
            }
            _ => false,
        }
    }

    /// An element a required wildcard admits: a declared one for `strict`, else one of sfstub's.
    fn any(&mut self, w: &Wildcard, parent: &str, at: &str, depth: usize) -> Result<(), String> {
        let set = self.set;
        let declared = set
            .global_elements()
            .into_iter()
            .filter(|(q, id)| w.admits(&q.ns) && !set.element(*id).is_abstract)
            .min_by_key(|(_, id)| self.element_cost(*id, 0))
            .map(|(_, id)| id);
        match (w.process, declared) {
            (ProcessContents::Strict, Some(id)) => self.element(id, parent, at, depth, false),
            (ProcessContents::Strict, None) => Err(format!(
                "a required wildcard at {at} admits no element the schemas declare"
            )),
            _ => {
                let ns = match &w.namespaces {
                    NamespaceConstraint::Only(list) => list.first().cloned().unwrap_or_default(),
                    NamespaceConstraint::Not(list) if list.iter().any(|n| n == "urn:sfstub:any") => {
                        "urn:sfstub:any:other".into()
                    }
                    _ => "urn:sfstub:any".into(),
                };
                let tag = self.qualified(&QName::new(ns, "sfstub"));
                self.text(&format!("<{tag}/>"));
                Ok(())
            }
        }
    }

    /// The element itself, or for an abstract one its cheapest concrete substitute.
    fn concrete_element(&mut self, id: ElementId) -> Option<ElementId> {
        let set = self.set;
        if !set.element(id).is_abstract {
            return Some(id);
        }
        set.substitutes(id)
            .iter()
            .copied()
            .filter(|m| !set.element(*m).is_abstract)
            .min_by_key(|m| self.element_cost(*m, 0))
    }

    /// The type to write: the declared one, or for an abstract complex type its cheapest
    /// concrete named derivation (written as `xsi:type`).
    fn concrete_type(&mut self, t: TypeId) -> (TypeId, Option<TypeId>) {
        let set = self.set;
        match set.complex(t) {
            Some(ct) if ct.is_abstract => {
                let derived = set
                    .global_types()
                    .into_iter()
                    .map(|(_, d)| d)
                    .filter(|d| *d != t && set.complex(*d).is_some_and(|c| !c.is_abstract) && set.derives_from(*d, t))
                    .min_by_key(|d| self.type_cost(*d, 0));
                match derived {
                    Some(d) => (d, Some(d)),
                    None => (t, None),
                }
            }
            _ => (t, None),
        }
    }

    fn element_cost(&mut self, id: ElementId, depth: usize) -> u64 {
        let t = self.set.element(id).type_id;
        1 + self.type_cost(t, depth + 1)
    }

    fn type_cost(&mut self, t: TypeId, depth: usize) -> u64 {
        if let Some(c) = self.costs.get(&t) {
            return *c;
        }
        if depth > MAX_DEPTH || t == ANY_TYPE {
            return if t == ANY_TYPE { 0 } else { INFINITE };
        }
        // While it is being computed, a type reached again is a recursion: infinite.
        self.costs.insert(t, INFINITE);
        let cost = match self.set.type_def(t) {
            TypeDef::Complex(ct) => match &ct.content {
                Content::Elements(p) => {
                    let p = p.clone();
                    self.particle_cost(&p, depth + 1)
                }
                _ => 0,
            },
            TypeDef::Simple(_) => 0,
        };
        self.costs.insert(t, cost);
        cost
    }

    fn particle_cost(&mut self, p: &Particle, depth: usize) -> u64 {
        if p.min == 0 {
            return 0;
        }
        let one = match &p.term {
            Term::Element(id) => {
                let set = self.set;
                if set.element(*id).is_abstract {
                    let members: Vec<ElementId> = set.substitutes(*id).to_vec();
                    members
                        .into_iter()
                        .map(|m| self.element_cost(m, depth + 1))
                        .min()
                        .unwrap_or(INFINITE)
                } else {
                    self.element_cost(*id, depth + 1)
                }
            }
            Term::Any(_) => 1,
            Term::Sequence(c) | Term::All(c) => c
                .iter()
                .map(|c| self.particle_cost(c, depth + 1))
                .fold(0u64, |a, b| a.saturating_add(b)),
            Term::Choice(c) => c
                .iter()
                .map(|c| self.particle_cost(c, depth + 1))
                .min()
                .unwrap_or(INFINITE),
        };
        one.saturating_mul(u64::from(p.min)).min(INFINITE)
    }
}

/// A readable prefix for a namespace: its last word (`urn:oio:sagdok:3.0.0` → `sagdok`,
/// `http://kombit.dk/xml/schemas/RequestHeader/1/` → `requestheader`).
pub fn prefix_name(ns: &str) -> String {
    const SKIP: &[&str] = &[
        "http", "https", "www", "dk", "xml", "schemas", "schema", "wsdl", "soap11", "soap12", "urn", "oio", "types",
        "com", "org", "int", "ns",
    ];
    let word = ns
        .split(['/', ':', '.', '#'])
        .rfind(|s| {
            !s.is_empty()
                && s.chars().any(|c| c.is_ascii_alphabetic())
                && !SKIP.contains(&s.to_ascii_lowercase().as_str())
                && !s.starts_with(|c: char| c.is_ascii_digit())
        })
        .unwrap_or("ns");
    let clean: String = word
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(20)
        .collect();
    if clean.is_empty() || clean.starts_with(|c: char| c.is_ascii_digit()) {
        "ns".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_name;

    #[test]
    fn prefixes_are_named_after_the_namespace() {
        assert_eq!(prefix_name("urn:oio:sagdok:3.0.0"), "sagdok");
        assert_eq!(
            prefix_name("http://kombit.dk/xml/schemas/RequestHeader/1/"),
            "requestheader"
        );
        assert_eq!(
            prefix_name("http://serviceplatformen.dk/xml/wsdl/soap11/Print/Print/2/"),
            "print"
        );
        assert_eq!(
            prefix_name("urn:oio:sts:sagdok:sagdokumentindeks:6"),
            "sagdokumentindeks"
        );
        assert_eq!(prefix_name(""), "ns");
        assert_eq!(prefix_name("http://www.kombit.dk/2017/01/01/"), "kombit");
    }
}
