//! Which declaration governs an element, and the checks at its start tag: abstract elements,
//! `xsi:type`, `xsi:nil`, attributes and their values.

use super::*;

impl Run<'_, '_> {
    pub(super) fn declaration_for(&mut self, ns: &str, local: &str, at: usize, expected: Option<ElementId>) -> Decl {
        let set = self.set;
        let Some(parent) = self.stack.last_mut() else {
            return match expected {
                Some(id) => {
                    let d = set.element(id);
                    let member = set
                        .substitutes(id)
                        .iter()
                        .find(|m| set.element(**m).name.is(ns, local))
                        .copied();
                    if d.name.is(ns, local) {
                        Decl::Element(id)
                    } else if let Some(m) = member {
                        Decl::Element(m)
                    } else {
                        let found = QName::new(ns, local);
                        self.report(
                            Code::WrongElement,
                            at,
                            format!("expected the element {}, found {found}", d.name),
                        );
                        Decl::Skip
                    }
                }
                None => match set.find_element(ns, local) {
                    Some(id) => Decl::Element(id),
                    None => {
                        self.report(
                            Code::UndeclaredElement,
                            at,
                            format!("no global element {} is declared", QName::new(ns, local)),
                        );
                        Decl::Skip
                    }
                },
            };
        };
        match &mut parent.kind {
            Kind::Skip | Kind::Nil => Decl::Skip,
            Kind::Lax => match set.find_element(ns, local) {
                Some(id) => Decl::Element(id),
                None => Decl::Lax,
            },
            Kind::Simple { type_id, .. } => {
                let t = set.type_name(*type_id);
                self.report(
                    Code::UnexpectedElement,
                    at,
                    format!("{local} is not allowed: the parent has simple content ({t}), no child elements"),
                );
                Decl::Skip
            }
            Kind::Empty { .. } => {
                self.report(
                    Code::UnexpectedElement,
                    at,
                    format!("{local} is not allowed: the parent's type allows no content"),
                );
                Decl::Skip
            }
            Kind::Complex { type_id, state, .. } => {
                let type_id = *type_id;
                let Some(TypeDef::Complex(ct)) = set.types.get(type_id.0 as usize) else {
                    return Decl::Skip;
                };
                let Content::Elements(particle) = &ct.content else {
                    return Decl::Skip;
                };
                let last = parent.last_child.replace(local.to_owned());
                match content::feed(set, particle, state, ns, local) {
                    Some(Matched::Element(id)) => Decl::Element(id),
                    Some(Matched::Any(w)) => match (w.process, set.find_element(ns, local)) {
                        (ProcessContents::Skip, _) => Decl::Skip,
                        (_, Some(id)) => Decl::Element(id),
                        (ProcessContents::Lax, None) => Decl::Lax,
                        (ProcessContents::Strict, None) => {
                            self.report(
                                Code::UndeclaredElement,
                                at,
                                format!(
                                    "the wildcard requires a declared element; {} is not declared",
                                    QName::new(ns, local)
                                ),
                            );
                            Decl::Skip
                        }
                    },
                    None => {
                        let mut exp = Vec::new();
                        content::expected(set, particle, Some(state), &mut exp);
                        let expected_text = if exp.is_empty() {
                            "no more elements".to_owned()
                        } else {
                            format!("one of {}", exp.join(", "))
                        };
                        let (code, message) = if last.as_deref() == Some(local)
                            && !exp.iter().any(|e| e == local)
                            && content::mentions(set, particle, local, 0)
                        {
                            (
                                Code::TooManyElements,
                                format!("{local} occurs more often than allowed here; expected {expected_text}"),
                            )
                        } else if content::mentions(set, particle, local, 0) {
                            (
                                Code::UnexpectedElement,
                                format!("{local} is out of order; expected {expected_text}"),
                            )
                        } else {
                            (
                                Code::UnexpectedElement,
                                format!(
                                    "{} is not allowed here; expected {expected_text}",
                                    QName::new(ns, local)
                                ),
                            )
                        };
                        self.report(code, at, message);
                        Decl::Skip
                    }
                }
            }
        }
    }

    /// An undeclared element assessed laxly: an `xsi:type` must name a known type, and then
    /// governs it; without one, only declared descendants are checked.
    pub(super) fn enter_lax(&mut self, attrs: &[(String, String, String)], at: usize) -> Kind {
        let Some((_, _, value)) = attrs.iter().find(|(ns, l, _)| ns == XSI && l == "type") else {
            return Kind::Lax;
        };
        match self.xsi_type(value) {
            Some(t) => {
                self.check_attributes(t, attrs, at);
                self.kind_of_type(t, None, at)
            }
            None => {
                self.report(
                    Code::InvalidXsiType,
                    at,
                    format!("xsi:type {value:?} names no known type"),
                );
                Kind::Lax
            }
        }
    }

    pub(super) fn xsi_type(&self, value: &str) -> Option<TypeId> {
        let lookup = |p: &str| self.ns.lookup(p).map(str::to_owned);
        let key = crate::xsd::simple::qname_key(value.trim(), &lookup)?;
        let (ns, local) = key.strip_prefix('{')?.split_once('}')?;
        self.set.global_type(&QName::new(ns, local))
    }

    /// The frame kind for content of type `type_id`.
    pub(super) fn kind_of_type(&mut self, type_id: TypeId, decl: Option<ElementId>, at: usize) -> Kind {
        let set = self.set;
        match set.type_def(type_id) {
            TypeDef::Simple(_) => Kind::Simple {
                type_id,
                text: String::new(),
                decl,
            },
            TypeDef::Complex(ct) => {
                if ct.is_abstract {
                    self.report(
                        Code::AbstractElement,
                        at,
                        format!(
                            "the type {} is abstract: an xsi:type naming a derived type is needed",
                            set.type_name(type_id)
                        ),
                    );
                }
                match &ct.content {
                    Content::Empty => Kind::Empty { text_reported: false },
                    Content::Simple(s) => Kind::Simple {
                        type_id: *s,
                        text: String::new(),
                        decl,
                    },
                    Content::Elements(_) => Kind::Complex {
                        type_id,
                        state: State::default(),
                        mixed: ct.mixed,
                        text_reported: false,
                    },
                }
            }
        }
    }

    /// Checks the element's declaration, xsi:type, xsi:nil and attributes; the frame kind.
    pub(super) fn enter_element(&mut self, id: ElementId, attrs: &[(String, String, String)], at: usize) -> Kind {
        let set = self.set;
        let decl = set.element(id);
        if decl.is_abstract {
            self.report(
                Code::AbstractElement,
                at,
                format!(
                    "{} is abstract: a member of its substitution group must appear instead",
                    decl.name
                ),
            );
        }
        let mut type_id = decl.type_id;
        let mut nil = false;
        for (ans, alocal, value) in attrs {
            if ans != XSI {
                continue;
            }
            match alocal.as_str() {
                "type" => match self.xsi_type(value) {
                    Some(t) if set.derives_from(t, decl.type_id) => type_id = t,
                    Some(t) => self.report(
                        Code::InvalidXsiType,
                        at,
                        format!(
                            "xsi:type {} does not derive from the declared type {}",
                            set.type_name(t),
                            set.type_name(decl.type_id)
                        ),
                    ),
                    None => self.report(
                        Code::InvalidXsiType,
                        at,
                        format!("xsi:type {value:?} names no known type"),
                    ),
                },
                "nil" => match value.trim() {
                    "true" | "1" if decl.nillable => nil = true,
                    "true" | "1" => self.report(Code::InvalidNil, at, format!("{} is not nillable", decl.name.local)),
                    "false" | "0" => {}
                    v => self.report(Code::InvalidLexical, at, format!("xsi:nil {v:?} is not a boolean")),
                },
                _ => {}
            }
        }
        self.check_attributes(type_id, attrs, at);
        if nil {
            return Kind::Nil;
        }
        self.kind_of_type(type_id, Some(id), at)
    }

    pub(super) fn check_attributes(&mut self, type_id: TypeId, attrs: &[(String, String, String)], at: usize) {
        let set = self.set;
        let (uses, wildcard) = match set.type_def(type_id) {
            TypeDef::Complex(ct) => (ct.attributes.as_slice(), ct.attribute_wildcard.as_ref()),
            TypeDef::Simple(_) => (&[][..], None),
        };
        for (ans, alocal, value) in attrs {
            if ans == XSI {
                continue;
            }
            let found = uses.iter().find(|u| u.name.is(ans, alocal));
            let checked = match (found, wildcard) {
                (Some(u), _) => Some((u.type_id, u.fixed.clone())),
                (None, Some(w)) if w.admits(ans) => match (
                    w.process,
                    set.global_attribute(&QName::new(ans.clone(), alocal.clone())),
                ) {
                    (ProcessContents::Skip, _) => None,
                    (_, Some(g)) => Some((g.type_id, g.fixed.clone())),
                    (ProcessContents::Lax, None) => None,
                    (ProcessContents::Strict, None) => {
                        self.path.push(format!("@{alocal}"));
                        self.report(
                            Code::UnexpectedAttribute,
                            at,
                            format!(
                                "the attribute {} is not declared",
                                QName::new(ans.clone(), alocal.clone())
                            ),
                        );
                        self.path.pop();
                        None
                    }
                },
                (None, _) => {
                    self.path.push(format!("@{alocal}"));
                    let allowed: Vec<&str> = uses.iter().map(|u| u.name.local.as_str()).collect();
                    let hint = if allowed.is_empty() {
                        "the type declares no attributes".to_owned()
                    } else {
                        format!("the type declares {}", allowed.join(", "))
                    };
                    self.report(
                        Code::UnexpectedAttribute,
                        at,
                        format!(
                            "the attribute {} is not allowed ({hint})",
                            QName::new(ans.clone(), alocal.clone())
                        ),
                    );
                    self.path.pop();
                    None
                }
            };
            if let Some((t, fixed)) = checked {
                self.path.push(format!("@{alocal}"));
                self.check_value(t, value, fixed.as_deref(), at);
                self.path.pop();
            }
        }
        for u in uses.iter().filter(|u| u.required) {
            if !attrs.iter().any(|(ns, l, _)| u.name.is(ns, l)) {
                self.report(
                    Code::MissingAttribute,
                    at,
                    format!("the required attribute {} is missing", u.name.local),
                );
            }
        }
    }

    pub(super) fn check_value(&mut self, type_id: TypeId, value: &str, fixed: Option<&str>, at: usize) {
        let result = {
            let ns = &self.ns;
            let lookup = |p: &str| ns.lookup(p).map(str::to_owned);
            self.set.check_value(type_id, value, &lookup)
        };
        if let Err(e) = result {
            self.report(e.code, at, e.message);
            return;
        }
        if let Some(f) = fixed {
            let ws = self.set.white_space(type_id);
            if ws.apply(value) != ws.apply(f) {
                self.report(
                    Code::InvalidFixed,
                    at,
                    format!("the value must be {f:?} (fixed), found {value:?}"),
                );
            }
        }
    }
}
