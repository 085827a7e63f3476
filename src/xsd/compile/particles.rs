//! Elements, particles, model groups and wildcards of content models; substitution groups.

use std::collections::HashMap;

use super::*;

impl Compiler<'_> {
    pub(super) fn element_ref(&mut self, q: &QName, at: &str) -> Option<ElementId> {
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
        self.elements_open.insert(id, false);
        self.pending.push(Pending::Element(q.clone(), id));
        Some(id)
    }

    /// Compiles the global element `q` (placeholder `id`) unless it is compiled or being
    /// compiled; its substitution group's head first (its type is the default).
    pub(super) fn compile_global_element(&mut self, q: &QName, id: ElementId) {
        if self.elements_open.get(&id) != Some(&false) {
            return;
        }
        let Some(&(di, ci)) = self.defs.get(&(Kind::Element, q.clone())) else {
            return;
        };
        let docs = self.docs;
        let node = &docs[di].root.children[ci];
        let at = self.at(di, node);
        if !self.enter(&at) {
            return;
        }
        self.elements_open.insert(id, true);
        let head = match self.qname(di, node, "substitutionGroup") {
            Some(h) => {
                let head = self.element_ref(&h, &at);
                if let Some(hid) = head {
                    self.compile_global_element(&h, hid);
                }
                head
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
        self.elements_open.remove(&id);
        self.leave();
    }

    pub(super) fn local_element(&mut self, doc: usize, n: &Node) -> Option<ElementId> {
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

    pub(super) fn occurs(&mut self, doc: usize, n: &Node) -> (u32, MaxOccurs) {
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
    pub(super) fn model_group_of(&mut self, doc: usize, n: &Node) -> Option<Particle> {
        let child = xs_children(n).find(|c| matches!(c.local.as_str(), "sequence" | "choice" | "all" | "group"))?;
        self.particle(doc, child)
    }

    pub(super) fn particle(&mut self, doc: usize, n: &Node) -> Option<Particle> {
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

    pub(super) fn group_ref(&mut self, q: &QName, at: &str) -> Option<Particle> {
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

    pub(super) fn wildcard(&mut self, doc: usize, n: &Node) -> Wildcard {
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

    pub(super) fn substitution_groups(&mut self) {
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
