//! Simple-type values: whitespace normalisation, the lexical check of the built-in type, list
//! items, union members, and the facets (enumeration, pattern, lengths, digits, ranges).

use super::builtin::{Builtin, WhiteSpace};
use super::finding::Code;
use super::model::{SchemaSet, TypeDef, TypeId, Variety};
use super::pattern::Pattern;

/// The facets in force on a simple type: its own and those inherited from its bases.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    /// The whitespace rule (inherited from the built-in type when not restricted).
    pub white_space: Option<WhiteSpace>,
    /// The allowed values as written in the schema (the most derived enumeration).
    pub enumeration: Option<Vec<String>>,
    /// The same values in comparable form (QNames expanded, numbers canonical).
    pub(crate) enumeration_keys: Vec<String>,
    /// Patterns: each inner list comes from one derivation step (a value must match one of
    /// its patterns), and a value must satisfy every step.
    pub patterns: Vec<Vec<Pattern>>,
    /// `length`.
    pub length: Option<u64>,
    /// `minLength`.
    pub min_length: Option<u64>,
    /// `maxLength`.
    pub max_length: Option<u64>,
    /// `totalDigits`.
    pub total_digits: Option<u32>,
    /// `fractionDigits`.
    pub fraction_digits: Option<u32>,
    /// `minInclusive`.
    pub min_inclusive: Option<String>,
    /// `maxInclusive`.
    pub max_inclusive: Option<String>,
    /// `minExclusive`.
    pub min_exclusive: Option<String>,
    /// `maxExclusive`.
    pub max_exclusive: Option<String>,
}

/// Why a value is not valid: a finding code and a message.
#[derive(Debug, Clone)]
pub struct ValueError {
    /// The finding code.
    pub code: Code,
    /// What is wrong, naming the expectation.
    pub message: String,
}

fn err(code: Code, message: String) -> ValueError {
    ValueError { code, message }
}

/// Resolves a prefix to a namespace URI in the instance, for QName values.
pub type PrefixLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The expanded, comparable form of a QName value: `{ns}local`.
pub fn qname_key(value: &str, lookup: PrefixLookup) -> Option<String> {
    match value.split_once(':') {
        Some((p, l)) => Some(format!("{{{}}}{l}", lookup(p)?)),
        None => Some(format!("{{{}}}{value}", lookup("").unwrap_or_default())),
    }
}

impl SchemaSet {
    /// The whitespace rule of a simple type.
    pub fn white_space(&self, id: TypeId) -> WhiteSpace {
        match self.type_def(id) {
            TypeDef::Simple(s) => s.facets.white_space.unwrap_or(match &s.variety {
                Variety::Atomic(b) => b.white_space(),
                Variety::List(_) => WhiteSpace::Collapse,
                Variety::Union(_) => WhiteSpace::Collapse,
            }),
            TypeDef::Complex(_) => WhiteSpace::Preserve,
        }
    }

    /// Checks a value (as it appears in the instance, before whitespace normalisation) against
    /// a simple type.
    pub fn check_value(&self, id: TypeId, raw: &str, lookup: PrefixLookup) -> Result<(), ValueError> {
        self.check_value_at(id, raw, lookup, 0)
    }

    fn check_value_at(&self, id: TypeId, raw: &str, lookup: PrefixLookup, depth: usize) -> Result<(), ValueError> {
        if depth > 32 {
            return Err(err(
                Code::InvalidLexical,
                "the type nests lists and unions too deeply".to_owned(),
            ));
        }
        let TypeDef::Simple(st) = self.type_def(id) else {
            return Ok(());
        };
        let normalised = self.white_space(id).apply(raw);
        let value: &str = &normalised;
        let f = &st.facets;
        let (builtin, count) = match &st.variety {
            Variety::Atomic(b) => {
                b.check(value).map_err(|m| err(Code::InvalidLexical, m))?;
                if matches!(b, Builtin::QName | Builtin::Notation) && qname_key(value, lookup).is_none() {
                    return Err(err(
                        Code::InvalidLexical,
                        format!("the prefix of the QName {value:?} is not declared"),
                    ));
                }
                let count = if b.length_in_octets() {
                    b.octets(value) as u64
                } else if let Some(item) = b.list_item() {
                    let _ = item;
                    value.split(' ').filter(|s| !s.is_empty()).count() as u64
                } else {
                    value.chars().count() as u64
                };
                (Some(*b), count)
            }
            Variety::List(item) => {
                let mut n = 0u64;
                for token in value.split(' ').filter(|s| !s.is_empty()) {
                    self.check_value_at(*item, token, lookup, depth + 1)
                        .map_err(|e| err(e.code, format!("the list item {token:?}: {}", e.message)))?;
                    n += 1;
                }
                (None, n)
            }
            Variety::Union(members) => {
                let mut first_error = None;
                let mut matched = false;
                for m in members {
                    match self.check_value_at(*m, raw, lookup, depth + 1) {
                        Ok(()) => {
                            matched = true;
                            break;
                        }
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
                if !matched {
                    let names: Vec<String> = members.iter().map(|m| self.type_name(*m)).collect();
                    return Err(err(
                        first_error.map(|e| e.code).unwrap_or(Code::InvalidLexical),
                        format!("{value:?} is valid for none of the member types ({})", names.join(", ")),
                    ));
                }
                (None, value.chars().count() as u64)
            }
        };
        let type_name = || self.type_name(id);
        if let Some(len) = f.length
            && count != len
        {
            return Err(err(
                Code::InvalidLength,
                format!("{value:?} has length {count}, {} requires exactly {len}", type_name()),
            ));
        }
        if let Some(min) = f.min_length
            && count < min
        {
            return Err(err(
                Code::InvalidLength,
                format!("{value:?} has length {count}, {} requires at least {min}", type_name()),
            ));
        }
        if let Some(max) = f.max_length
            && count > max
        {
            return Err(err(
                Code::InvalidLength,
                format!("{value:?} has length {count}, {} allows at most {max}", type_name()),
            ));
        }
        for step in &f.patterns {
            if !step.iter().any(|p| p.matches(value)) {
                let shown: Vec<&str> = step.iter().map(|p| p.source.as_str()).collect();
                return Err(err(
                    Code::InvalidPattern,
                    format!(
                        "{value:?} does not match the pattern {} of {}",
                        shown.join(" | "),
                        type_name()
                    ),
                ));
            }
        }
        if let Some(allowed) = &f.enumeration {
            let key = self.enumeration_key(builtin, value, lookup);
            if !f.enumeration_keys.iter().any(|k| Some(k) == key.as_ref()) {
                let mut shown: Vec<String> = allowed.iter().take(12).map(|v| format!("{v:?}")).collect();
                if allowed.len() > 12 {
                    shown.push(format!("… ({} in all)", allowed.len()));
                }
                return Err(err(
                    Code::InvalidEnumeration,
                    format!(
                        "{value:?} is not one of the values {} allows: {}",
                        type_name(),
                        shown.join(", ")
                    ),
                ));
            }
        }
        if let Some(b) = builtin {
            if (f.total_digits.is_some() || f.fraction_digits.is_some())
                && let Some((total, fraction)) = Builtin::digits(value)
            {
                if let Some(t) = f.total_digits
                    && total > t as usize
                {
                    return Err(err(
                        Code::InvalidDigits,
                        format!("{value:?} has {total} digits, {} allows {t}", type_name()),
                    ));
                }
                if let Some(fd) = f.fraction_digits
                    && fraction > fd as usize
                {
                    return Err(err(
                        Code::InvalidDigits,
                        format!("{value:?} has {fraction} fraction digits, {} allows {fd}", type_name()),
                    ));
                }
            }
            let bound = |limit: &Option<String>, ok: &dyn Fn(std::cmp::Ordering) -> bool, word: &str| {
                if let Some(limit) = limit {
                    match b.compare(value, limit) {
                        Some(o) if ok(o) => Ok(()),
                        _ => Err(err(
                            Code::InvalidRange,
                            format!("{value:?} is not {word} {limit} ({})", type_name()),
                        )),
                    }
                } else {
                    Ok(())
                }
            };
            use std::cmp::Ordering::*;
            bound(&f.min_inclusive, &|o| o != Less, "at least")?;
            bound(&f.max_inclusive, &|o| o != Greater, "at most")?;
            bound(&f.min_exclusive, &|o| o == Greater, "greater than")?;
            bound(&f.max_exclusive, &|o| o == Less, "less than")?;
        }
        Ok(())
    }

    /// The comparable form of a value for enumeration checks.
    pub(crate) fn enumeration_key(
        &self,
        builtin: Option<Builtin>,
        value: &str,
        lookup: PrefixLookup,
    ) -> Option<String> {
        match builtin {
            Some(Builtin::QName | Builtin::Notation) => qname_key(value, lookup),
            Some(b) => Some(b.canonical(value)),
            None => Some(value.to_owned()),
        }
    }
}
