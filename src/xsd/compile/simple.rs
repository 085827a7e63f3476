//! Simple types: restrictions with their facets, lists and unions.

use super::*;

impl Compiler<'_> {
    pub(super) fn simple_type(&mut self, doc: usize, n: &Node, name: Option<QName>) -> SimpleType {
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
                        self.base_ref(&q, &a)
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
    pub(super) fn restriction(&mut self, doc: usize, step: &Node, base: TypeId, name: Option<QName>) -> SimpleType {
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
}
