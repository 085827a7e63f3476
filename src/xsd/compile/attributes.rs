//! Attribute uses, attribute groups, global attributes and attribute wildcards.

use super::*;

impl Compiler<'_> {
    pub(super) fn attributes_of(&mut self, doc: usize, n: &Node) -> AttributeSet {
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

    pub(super) fn attribute(&mut self, doc: usize, n: &Node) -> Option<AttributeUse> {
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

    pub(super) fn global_attribute(&mut self, q: &QName, at: &str) -> Option<AttributeUse> {
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

    pub(super) fn attribute_group_ref(&mut self, q: &QName, at: &str) -> Option<AttributeSet> {
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
}

/// Adds `more` to `uses`, a use of the same name replacing the earlier one.
pub(super) fn merge_attributes(uses: &mut Vec<AttributeUse>, more: Vec<AttributeUse>) {
    for u in more {
        match uses.iter_mut().find(|x| x.name == u.name) {
            Some(existing) => *existing = u,
            None => uses.push(u),
        }
    }
}

pub(super) fn union_wildcard(a: Option<Wildcard>, b: Option<Wildcard>) -> Option<Wildcard> {
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
