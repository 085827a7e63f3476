//! Which declaration governs an element, and the checks at its start tag: abstract elements,
//! `xsi:type`, `xsi:nil`, attributes and their values.

use super::*;
use crate::clip::clip;

impl<'a> Run<'_, 'a> {
    pub(super) fn declaration_for(&mut self, ns: &str, local: &'a str, at: usize, expected: Option<ElementId>) -> Decl {
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
                        let found = QName::new(ns, clip(local));
                        self.report(
                            Code::WrongElement,
                            at,
                            format!("expected the element {}, found {found}", d.name),
                            words::undeclared(self.current.unwrap_or(local)),
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
                            format!("no global element {} is declared", QName::new(ns, clip(local))),
                            words::undeclared(self.current.unwrap_or(local)),
                        );
                        Decl::Skip
                    }
                },
            };
        };
        let parent_name = parent.name;
        match &mut parent.kind {
            Kind::Skip | Kind::Nil => Decl::Skip,
            Kind::Lax => match set.find_element(ns, local) {
                Some(id) => Decl::Element(id),
                None => Decl::Lax,
            },
            Kind::Simple { type_id, .. } => {
                let t = set.type_name(*type_id);
                let simple_type = set.simple(*type_id).is_some();
                self.report(
                    Code::UnexpectedElement,
                    at,
                    format!(
                        "{} is not allowed: the parent has simple content ({t}), no child elements",
                        clip(local)
                    ),
                    words::simple_content(parent_name, simple_type),
                );
                Decl::Skip
            }
            Kind::Empty { .. } => {
                self.report(
                    Code::UnexpectedElement,
                    at,
                    format!("{} is not allowed: the parent's type allows no content", clip(local)),
                    words::empty_content(parent_name),
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
                let last = parent.last_child.replace(local);
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
                                    QName::new(ns, clip(local))
                                ),
                                words::strict_wildcard(self.current.unwrap_or(local)),
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
                        let mut names = Vec::new();
                        content::expected_next(set, particle, Some(state), &mut names);
                        let cvc = words::invalid_content(self.current.unwrap_or(local), &names);
                        let (code, message) = if last == Some(local)
                            && !exp.iter().any(|e| e == local)
                            && content::mentions(set, particle, local, 0)
                        {
                            (
                                Code::TooManyElements,
                                format!(
                                    "{} occurs more often than allowed here; expected {expected_text}",
                                    clip(local)
                                ),
                            )
                        } else if content::mentions(set, particle, local, 0) {
                            (
                                Code::UnexpectedElement,
                                format!("{} is out of order; expected {expected_text}", clip(local)),
                            )
                        } else {
                            (
                                Code::UnexpectedElement,
                                format!(
                                    "{} is not allowed here; expected {expected_text}",
                                    QName::new(ns, clip(local))
                                ),
                            )
                        };
                        self.report(code, at, message, cvc);
                        Decl::Skip
                    }
                }
            }
        }
    }

    /// An undeclared element assessed laxly: an `xsi:type` must name a known type, and then
    /// governs it; without one, only declared descendants are checked.
    pub(super) fn enter_lax(&mut self, attrs: &[Attr<'a>], at: usize) -> Kind<'a> {
        let Some(a) = attrs.iter().find(|a| a.ns == XSI && a.local == "type") else {
            return Kind::Lax;
        };
        match self.xsi_type(&a.value) {
            Some(t) => {
                self.check_attributes(t, attrs, at);
                self.kind_of_type(t, None, at)
            }
            None => {
                let name = self.current.unwrap_or("");
                self.report(
                    Code::InvalidXsiType,
                    at,
                    format!("xsi:type {:?} names no known type", clip(&a.value)),
                    words::unknown_type(name, &a.value),
                );
                Kind::Lax
            }
        }
    }

    pub(super) fn xsi_type(&self, value: &str) -> Option<TypeId> {
        let lookup = |p: &str| self.lookup(p).map(Cow::into_owned);
        let key = crate::xsd::simple::qname_key(value.trim(), &lookup)?;
        let (ns, local) = key.strip_prefix('{')?.split_once('}')?;
        self.set.global_type(&QName::new(ns, local))
    }

    /// The frame kind for content of type `type_id`.
    #[inline]
    pub(super) fn kind_of_type(&mut self, type_id: TypeId, decl: Option<ElementId>, at: usize) -> Kind<'a> {
        let set = self.set;
        match set.type_def(type_id) {
            TypeDef::Simple(_) => Kind::Simple {
                type_id,
                text: Cow::Borrowed(""),
                decl,
            },
            TypeDef::Complex(ct) => {
                if ct.is_abstract {
                    let name = self.current.unwrap_or("");
                    self.report(
                        Code::AbstractElement,
                        at,
                        format!(
                            "the type {} is abstract: an xsi:type naming a derived type is needed",
                            set.type_name(type_id)
                        ),
                        words::abstract_type(name),
                    );
                }
                match &ct.content {
                    Content::Empty => Kind::Empty { text_reported: false },
                    Content::Simple(s) => Kind::Simple {
                        type_id: *s,
                        text: Cow::Borrowed(""),
                        decl,
                    },
                    Content::Elements(_) => Kind::Complex {
                        type_id,
                        state: self.fresh_state(),
                        mixed: ct.mixed,
                        text_reported: false,
                    },
                }
            }
        }
    }

    /// Checks the element's declaration, xsi:type, xsi:nil and attributes; the frame kind.
    #[inline]
    pub(super) fn enter_element(&mut self, id: ElementId, attrs: &[Attr<'a>], at: usize) -> Kind<'a> {
        let set = self.set;
        let decl = set.element(id);
        let name = self.current.unwrap_or("");
        if decl.is_abstract {
            self.report(
                Code::AbstractElement,
                at,
                format!(
                    "{} is abstract: a member of its substitution group must appear instead",
                    decl.name
                ),
                words::abstract_element(name),
            );
        }
        let mut type_id = decl.type_id;
        let mut nil = false;
        for a in attrs {
            if a.ns != XSI {
                continue;
            }
            let value = &a.value;
            match a.local {
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
                        words::not_derived(name, &set.type_name(t), &set.type_name(decl.type_id)),
                    ),
                    None => self.report(
                        Code::InvalidXsiType,
                        at,
                        format!("xsi:type {:?} names no known type", clip(value)),
                        words::unknown_type(name, value),
                    ),
                },
                "nil" => match value.trim() {
                    "true" | "1" if decl.nillable => nil = true,
                    "true" | "1" => self.report(
                        Code::InvalidNil,
                        at,
                        format!("{} is not nillable", decl.name.local),
                        words::not_nillable(name),
                    ),
                    "false" | "0" => {}
                    v => self.report(
                        Code::InvalidLexical,
                        at,
                        format!("xsi:nil {:?} is not a boolean", clip(v)),
                        words::datatype(v, "boolean"),
                    ),
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

    #[inline]
    pub(super) fn check_attributes(&mut self, type_id: TypeId, attrs: &[Attr<'a>], at: usize) {
        let set = self.set;
        let (uses, wildcard) = match set.type_def(type_id) {
            TypeDef::Complex(ct) => (ct.attributes.as_slice(), ct.attribute_wildcard.as_ref()),
            TypeDef::Simple(_) => (&[][..], None),
        };
        let element = self.current.unwrap_or("");
        for a in attrs {
            let (ans, alocal) = (a.ns.as_ref(), a.local);
            if ans == XSI {
                continue;
            }
            let found = uses.iter().find(|u| u.name.is(ans, alocal));
            let checked = match (found, wildcard) {
                (Some(u), _) => Some((u.type_id, u.fixed.as_deref())),
                (None, Some(w)) if w.admits(ans) => match (w.process, set.global_attribute(&QName::new(ans, alocal))) {
                    (ProcessContents::Skip, _) => None,
                    (_, Some(g)) => Some((g.type_id, g.fixed.as_deref())),
                    (ProcessContents::Lax, None) => None,
                    (ProcessContents::Strict, None) => {
                        self.attribute = Some(a.raw);
                        self.report(
                            Code::UnexpectedAttribute,
                            at,
                            format!("the attribute {} is not declared", QName::new(ans, clip(alocal))),
                            words::attribute_not_allowed(element, a.raw),
                        );
                        self.attribute = None;
                        None
                    }
                },
                (None, _) => {
                    self.attribute = Some(a.raw);
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
                            QName::new(ans, clip(alocal))
                        ),
                        words::attribute_not_allowed(element, a.raw),
                    );
                    self.attribute = None;
                    None
                }
            };
            if let Some((t, fixed)) = checked {
                self.attribute = Some(a.raw);
                self.check_value(t, &a.value, fixed, at, element, Some(a.raw));
                self.attribute = None;
            }
        }
        for u in uses.iter().filter(|u| u.required) {
            if !attrs.iter().any(|a| u.name.is(&a.ns, a.local)) {
                self.report(
                    Code::MissingAttribute,
                    at,
                    format!("the required attribute {} is missing", u.name.local),
                    words::attribute_missing(element, &u.name.local),
                );
            }
        }
    }

    /// Checks a value of element `element` (its name as written), or of its attribute
    /// `attribute`, against a simple type and its fixed value.
    pub(super) fn check_value(
        &mut self,
        type_id: TypeId,
        value: &str,
        fixed: Option<&str>,
        at: usize,
        element: &str,
        attribute: Option<&str>,
    ) {
        let result = {
            let lookup = |p: &str| self.lookup(p).map(Cow::into_owned);
            self.set.check_value(type_id, value, &lookup)
        };
        if let Err(e) = result {
            self.report(e.code, at, e.message, e.cvc);
            return;
        }
        if let Some(f) = fixed {
            let ws = self.set.white_space(type_id);
            if ws.apply(value) != ws.apply(f) {
                self.report(
                    Code::InvalidFixed,
                    at,
                    format!("the value must be {f:?} (fixed), found {:?}", clip(value)),
                    words::fixed(element, attribute, value, f),
                );
            }
        }
    }
}
