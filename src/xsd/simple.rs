//! Simple-type values: whitespace normalisation, the lexical check of the built-in type, list
//! items, union members, and the facets (enumeration, pattern, lengths, digits, ranges).

use super::builtin::{Builtin, WhiteSpace};
use super::finding::Code;
use super::model::{SchemaSet, SimpleType, TypeDef, TypeId, Variety};
use super::pattern::Pattern;
use crate::clip::clip;

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
    /// The same in Xerces' words (see [`crate::xsd::Finding::cvc`]).
    pub cvc: String,
}

fn err(code: Code, message: String, cvc: String) -> ValueError {
    ValueError { code, message, cvc }
}

/// A value quoted in a message: cut to a bounded length, in Rust's debug quoting.
fn q(value: &str) -> String {
    format!("{:?}", clip(value))
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

/// [`SchemaSet::plainly_valid`] for a type [`SchemaSet::plain_type`] takes: `st`, of built-in
/// type `b`.
#[inline]
pub(crate) fn plainly_valid_value(st: &SimpleType, b: Builtin, raw: &str) -> bool {
    let f = &st.facets;
    let value = f.white_space.unwrap_or(b.white_space()).apply(raw);
    let value: &str = &value;
    if b.check(value).is_err() {
        return false;
    }
    if f.length.is_some() || f.min_length.is_some() || f.max_length.is_some() {
        let count = atomic_length(b, value);
        if f.length.is_some_and(|len| count != len)
            || f.min_length.is_some_and(|min| count < min)
            || f.max_length.is_some_and(|max| count > max)
        {
            return false;
        }
    }
    f.patterns.iter().all(|step| step.iter().any(|p| p.matches(value)))
        && (f.enumeration.is_none() || f.enumeration_keys.iter().any(|k| k == value))
}

/// The length of a valid (normalised) value of built-in type `b`, as the length facets count
/// it: octets, list items or characters.
fn atomic_length(b: Builtin, value: &str) -> u64 {
    if b.length_in_octets() {
        b.octets(value) as u64
    } else if b.list_item().is_some() {
        value.split(' ').filter(|s| !s.is_empty()).count() as u64
    } else if value.is_ascii() {
        // (A word-wise check: cheaper than counting the characters of most values.)
        value.len() as u64
    } else {
        value.chars().count() as u64
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
        if self.plainly_valid(id, raw) {
            return Ok(());
        }
        self.check_value_at(id, raw, lookup, 0)
    }

    /// Whether `raw` passes every check [`SchemaSet::check_value`] makes, found without its
    /// fixed cost (the error-message closures, the list and union cases), for the values
    /// of most requests: an atomic type other than QName and NOTATION with no digits or range
    /// facet, and no enumeration compared in canonical form. `false` when the value fails a
    /// check or the type needs the general check, which then answers (with the error). The
    /// checks are the general check's, in another order: a value passes all of them or not.
    #[inline]
    pub(crate) fn plainly_valid(&self, id: TypeId, raw: &str) -> bool {
        match self.plain_type(id) {
            Some((st, b)) => plainly_valid_value(st, b, raw),
            None => false,
        }
    }

    /// Type `id` with its built-in type when [`SchemaSet::plainly_valid`] takes it (told once
    /// per type by the validator's first pass, which then checks values with
    /// [`plainly_valid_value`]).
    #[inline]
    pub(crate) fn plain_type(&self, id: TypeId) -> Option<(&SimpleType, Builtin)> {
        let Some(TypeDef::Simple(st)) = self.types.get(id.0 as usize) else {
            return None;
        };
        let Variety::Atomic(b) = st.variety else {
            return None;
        };
        let f = &st.facets;
        if matches!(b, Builtin::QName | Builtin::Notation)
            || f.total_digits.is_some()
            || f.fraction_digits.is_some()
            || f.min_inclusive.is_some()
            || f.max_inclusive.is_some()
            || f.min_exclusive.is_some()
            || f.max_exclusive.is_some()
            || (f.enumeration.is_some() && b.has_canonical_form())
        {
            return None;
        }
        Some((st, b))
    }
    fn check_value_at(&self, id: TypeId, raw: &str, lookup: PrefixLookup, depth: usize) -> Result<(), ValueError> {
        if depth > 32 {
            let message = "the type nests lists and unions too deeply".to_owned();
            return Err(err(Code::InvalidLexical, message.clone(), message));
        }
        let TypeDef::Simple(st) = self.type_def(id) else {
            return Ok(());
        };
        let normalised = self.white_space(id).apply(raw);
        let value: &str = &normalised;
        let f = &st.facets;
        let (builtin, count) = match &st.variety {
            Variety::Atomic(b) => {
                b.check(value).map_err(|m| {
                    err(
                        Code::InvalidLexical,
                        if value.len() <= crate::clip::QUOTE_CHARS {
                            m
                        } else {
                            format!("{} is not a valid xs:{}", q(value), b.name())
                        },
                        format!(
                            "cvc-datatype-valid.1.2.1: '{}' is not a valid value for '{}'.",
                            clip(value),
                            b.name()
                        ),
                    )
                })?;
                if matches!(b, Builtin::QName | Builtin::Notation) && qname_key(value, lookup).is_none() {
                    return Err(err(
                        Code::InvalidLexical,
                        format!("the prefix of the QName {} is not declared", q(value)),
                        format!(
                            "cvc-datatype-valid.1.2.1: '{}' is not a valid value for 'QName'.",
                            clip(value)
                        ),
                    ));
                }
                let count = if f.length.is_none() && f.min_length.is_none() && f.max_length.is_none() {
                    // Only length facets need the length.
                    0
                } else {
                    atomic_length(*b, value)
                };
                (Some(*b), count)
            }
            Variety::List(item) => {
                let mut n = 0u64;
                for token in value.split(' ').filter(|s| !s.is_empty()) {
                    self.check_value_at(*item, token, lookup, depth + 1)
                        .map_err(|e| err(e.code, format!("the list item {}: {}", q(token), e.message), e.cvc))?;
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
                        format!(
                            "{} is valid for none of the member types ({})",
                            q(value),
                            names.join(", ")
                        ),
                        format!(
                            "cvc-datatype-valid.1.2.3: '{}' is not a valid value of union type '{}'.",
                            clip(value),
                            self.xerces_type(id)
                        ),
                    ));
                }
                (None, value.chars().count() as u64)
            }
        };
        let type_name = || self.type_name(id);
        let xerces = || self.xerces_type(id);
        let length = |facet: &str, limit: u64| {
            format!(
                "cvc-{facet}-valid: Value '{}' with length = '{count}' is not facet-valid with respect to {facet} '{limit}' for type '{}'.",
                clip(value),
                xerces()
            )
        };
        if let Some(len) = f.length
            && count != len
        {
            return Err(err(
                Code::InvalidLength,
                format!(
                    "{} has length {count}, {} requires exactly {len}",
                    q(value),
                    type_name()
                ),
                length("length", len),
            ));
        }
        if let Some(min) = f.min_length
            && count < min
        {
            return Err(err(
                Code::InvalidLength,
                format!(
                    "{} has length {count}, {} requires at least {min}",
                    q(value),
                    type_name()
                ),
                length("minLength", min),
            ));
        }
        if let Some(max) = f.max_length
            && count > max
        {
            return Err(err(
                Code::InvalidLength,
                format!("{} has length {count}, {} allows at most {max}", q(value), type_name()),
                length("maxLength", max),
            ));
        }
        for step in &f.patterns {
            if !step.iter().any(|p| p.matches(value)) {
                let shown: Vec<&str> = step.iter().map(|p| p.source.as_str()).collect();
                return Err(err(
                    Code::InvalidPattern,
                    format!(
                        "{} does not match the pattern {} of {}",
                        q(value),
                        shown.join(" | "),
                        type_name()
                    ),
                    format!(
                        "cvc-pattern-valid: Value '{}' is not facet-valid with respect to pattern '{}' for type '{}'.",
                        clip(value),
                        shown.join("|"),
                        xerces()
                    ),
                ));
            }
        }
        if let Some(allowed) = &f.enumeration {
            let found = match builtin {
                // Values compare as written (no allocation) unless the type has a canonical form.
                Some(b) if !b.has_canonical_form() => f.enumeration_keys.iter().any(|k| k == value),
                None => f.enumeration_keys.iter().any(|k| k == value),
                _ => {
                    let key = self.enumeration_key(builtin, value, lookup);
                    f.enumeration_keys.iter().any(|k| Some(k) == key.as_ref())
                }
            };
            if !found {
                let mut shown: Vec<String> = allowed.iter().take(12).map(|v| format!("{v:?}")).collect();
                if allowed.len() > 12 {
                    shown.push(format!("… ({} in all)", allowed.len()));
                }
                return Err(err(
                    Code::InvalidEnumeration,
                    format!(
                        "{} is not one of the values {} allows: {}",
                        q(value),
                        type_name(),
                        shown.join(", ")
                    ),
                    format!(
                        "cvc-enumeration-valid: Value '{}' is not facet-valid with respect to enumeration '[{}]'. It must be a value from the enumeration.",
                        clip(value),
                        clip(&allowed.join(", "))
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
                        format!("{} has {total} digits, {} allows {t}", q(value), type_name()),
                        format!(
                            "cvc-totalDigits-valid: Value '{}' has {total} total digits, but the number of total digits has been limited to {t}.",
                            clip(value)
                        ),
                    ));
                }
                if let Some(fd) = f.fraction_digits
                    && fraction > fd as usize
                {
                    return Err(err(
                        Code::InvalidDigits,
                        format!(
                            "{} has {fraction} fraction digits, {} allows {fd}",
                            q(value),
                            type_name()
                        ),
                        format!(
                            "cvc-fractionDigits-valid: Value '{}' has {fraction} fraction digits, but the number of fraction digits has been limited to {fd}.",
                            clip(value)
                        ),
                    ));
                }
            }
            let bound = |limit: &Option<String>, ok: &dyn Fn(std::cmp::Ordering) -> bool, word: &str, facet: &str| {
                if let Some(limit) = limit {
                    match b.compare(value, limit) {
                        Some(o) if ok(o) => Ok(()),
                        _ => Err(err(
                            Code::InvalidRange,
                            format!("{} is not {word} {limit} ({})", q(value), type_name()),
                            format!(
                                "cvc-{facet}-valid: Value '{}' is not facet-valid with respect to {facet} '{limit}' for type '{}'.",
                                clip(value),
                                xerces()
                            ),
                        )),
                    }
                } else {
                    Ok(())
                }
            };
            use std::cmp::Ordering::*;
            if f.min_inclusive.is_none()
                && f.max_inclusive.is_none()
                && f.min_exclusive.is_none()
                && f.max_exclusive.is_none()
            {
                return Ok(());
            }
            bound(&f.min_inclusive, &|o| o != Less, "at least", "minInclusive")?;
            bound(&f.max_inclusive, &|o| o != Greater, "at most", "maxInclusive")?;
            bound(&f.min_exclusive, &|o| o == Greater, "greater than", "minExclusive")?;
            bound(&f.max_exclusive, &|o| o == Less, "less than", "maxExclusive")?;
        }
        Ok(())
    }

    /// How Xerces names a type in its messages: the local name, `#AnonType` for an anonymous
    /// one.
    pub(crate) fn xerces_type(&self, id: TypeId) -> String {
        let name = match self.type_def(id) {
            TypeDef::Simple(s) => s.name.as_ref(),
            TypeDef::Complex(c) => c.name.as_ref(),
        };
        name.map_or_else(|| "#AnonType".to_owned(), |n| n.local.clone())
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

#[cfg(test)]
mod tests {
    use super::super::model::{SchemaSet, TypeDef, TypeId};
    use super::super::source::Source;

    /// Simple types with every kind of facet, list, union, QName and white-space rule.
    const TYPES: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns:t="urn:t">
  <xs:simpleType name="Cpr"><xs:restriction base="xs:string"><xs:pattern value="\d{6}-?\d{4}"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="TwoSteps"><xs:restriction base="t:Cpr"><xs:pattern value="1.*"/><xs:pattern value=".*9"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Code"><xs:restriction base="xs:token"><xs:enumeration value="A 1"/><xs:enumeration value="B"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Short"><xs:restriction base="xs:string"><xs:minLength value="2"/><xs:maxLength value="5"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Exact"><xs:restriction base="xs:normalizedString"><xs:length value="3"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Hex"><xs:restriction base="xs:hexBinary"><xs:length value="2"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="B64"><xs:restriction base="xs:base64Binary"><xs:maxLength value="3"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Tokens"><xs:restriction base="xs:NMTOKENS"><xs:maxLength value="2"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Money"><xs:restriction base="xs:decimal"><xs:totalDigits value="4"/><xs:fractionDigits value="1"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Small"><xs:restriction base="xs:int"><xs:minInclusive value="-5"/><xs:maxExclusive value="50"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Numbers"><xs:restriction base="xs:integer"><xs:enumeration value="1"/><xs:enumeration value="20"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Flag"><xs:restriction base="xs:boolean"><xs:enumeration value="true"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Day"><xs:restriction base="xs:date"><xs:pattern value="20.*"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Name"><xs:restriction base="xs:QName"/></xs:simpleType>
  <xs:simpleType name="List"><xs:list itemType="xs:int"/></xs:simpleType>
  <xs:simpleType name="Either"><xs:union memberTypes="xs:date t:Small"/></xs:simpleType>
  <xs:simpleType name="Kept"><xs:restriction base="xs:string"><xs:whiteSpace value="preserve"/><xs:pattern value="[^ ]+"/></xs:restriction></xs:simpleType>
  <xs:element name="e" type="xs:string"/>
</xs:schema>"#;

    /// The fast check answers "valid" only for values the general check finds valid, and for
    /// every value of a type it takes, answers as the general check does.
    #[test]
    fn plain_check_agrees_with_the_general_check() {
        use proptest::prelude::*;
        let set = SchemaSet::load(&Source::memory([("t.xsd", TYPES)]), &["t.xsd"]).expect("the schema loads");
        let simple: Vec<TypeId> = (0..set.types.len() as u32)
            .map(TypeId)
            .filter(|id| matches!(set.type_def(*id), TypeDef::Simple(_)))
            .collect();
        assert!(simple.len() > 40, "built-in and schema types");
        let lookup = |p: &str| (p == "t").then(|| "urn:t".to_owned());
        let taken = std::cell::Cell::new(0usize);
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 3000,
            ..Default::default()
        });
        let value = prop_oneof![
            "[0-9AB1a-f \t\n:.\\-+=TZ]{0,14}",
            Just("150780-4329".to_owned()),
            Just("1507804329".to_owned()),
            Just(" A   1 ".to_owned()),
            Just("2026-11-01".to_owned()),
            Just("t:x".to_owned()),
            Just("ab12".to_owned()),
        ];
        runner
            .run(&value, |v| {
                for id in &simple {
                    let general = set.check_value_at(*id, &v, &lookup, 0).is_ok();
                    let plain = set.plainly_valid(*id, &v);
                    prop_assert!(!plain || general, "type {}, value {:?}", set.type_name(*id), v);
                    if plain {
                        taken.set(taken.get() + 1);
                    }
                    if takes(&set, *id) {
                        prop_assert_eq!(plain, general, "type {}, value {:?}", set.type_name(*id), &v);
                    }
                }
                Ok(())
            })
            .unwrap();
        assert!(
            taken.get() > 1000,
            "the fast check answers for many values ({})",
            taken.get()
        );
    }

    /// Whether [`SchemaSet::plainly_valid`] takes the type (rather than leaving it to the general
    /// check), told from the type apart from its code.
    fn takes(set: &SchemaSet, id: TypeId) -> bool {
        use super::super::builtin::Builtin;
        use super::super::model::Variety;
        let TypeDef::Simple(st) = set.type_def(id) else {
            return false;
        };
        let f = &st.facets;
        match st.variety {
            Variety::Atomic(b) => {
                !matches!(b, Builtin::QName | Builtin::Notation)
                    && [f.total_digits, f.fraction_digits].iter().all(Option::is_none)
                    && [&f.min_inclusive, &f.max_inclusive, &f.min_exclusive, &f.max_exclusive]
                        .iter()
                        .all(|b| b.is_none())
                    && !(f.enumeration.is_some() && b.has_canonical_form())
            }
            _ => false,
        }
    }
}
