//! The built-in simple types of XML Schema 1.0 and their lexical spaces: each check is a
//! single pass over the value (no backtracking), so a hostile value costs its length.

use std::cmp::Ordering;

use super::temporal::{
    compare_temporal, day_ok, is_date, is_date_time, is_duration, is_month_day, is_time_tz, is_year, is_year_month,
    month_ok, split_tz,
};

/// A built-in simple type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Builtin {
    AnySimpleType,
    String,
    NormalizedString,
    Token,
    Language,
    Name,
    NCName,
    NMToken,
    NMTokens,
    Id,
    IdRef,
    IdRefs,
    Entity,
    Entities,
    Boolean,
    Decimal,
    Integer,
    NonPositiveInteger,
    NegativeInteger,
    Long,
    Int,
    Short,
    Byte,
    NonNegativeInteger,
    UnsignedLong,
    UnsignedInt,
    UnsignedShort,
    UnsignedByte,
    PositiveInteger,
    Float,
    Double,
    Duration,
    DateTime,
    Time,
    Date,
    GYearMonth,
    GYear,
    GMonthDay,
    GDay,
    GMonth,
    HexBinary,
    Base64Binary,
    AnyUri,
    QName,
    Notation,
}

/// Every built-in simple type with its local name in the XML Schema namespace, and its base.
pub const ALL: &[(Builtin, &str, Option<Builtin>)] = {
    use Builtin::*;
    &[
        (AnySimpleType, "anySimpleType", None),
        (String, "string", Some(AnySimpleType)),
        (NormalizedString, "normalizedString", Some(String)),
        (Token, "token", Some(NormalizedString)),
        (Language, "language", Some(Token)),
        (Name, "Name", Some(Token)),
        (NCName, "NCName", Some(Name)),
        (NMToken, "NMTOKEN", Some(Token)),
        (NMTokens, "NMTOKENS", Some(AnySimpleType)),
        (Id, "ID", Some(NCName)),
        (IdRef, "IDREF", Some(NCName)),
        (IdRefs, "IDREFS", Some(AnySimpleType)),
        (Entity, "ENTITY", Some(NCName)),
        (Entities, "ENTITIES", Some(AnySimpleType)),
        (Boolean, "boolean", Some(AnySimpleType)),
        (Decimal, "decimal", Some(AnySimpleType)),
        (Integer, "integer", Some(Decimal)),
        (NonPositiveInteger, "nonPositiveInteger", Some(Integer)),
        (NegativeInteger, "negativeInteger", Some(NonPositiveInteger)),
        (Long, "long", Some(Integer)),
        (Int, "int", Some(Long)),
        (Short, "short", Some(Int)),
        (Byte, "byte", Some(Short)),
        (NonNegativeInteger, "nonNegativeInteger", Some(Integer)),
        (UnsignedLong, "unsignedLong", Some(NonNegativeInteger)),
        (UnsignedInt, "unsignedInt", Some(UnsignedLong)),
        (UnsignedShort, "unsignedShort", Some(UnsignedInt)),
        (UnsignedByte, "unsignedByte", Some(UnsignedShort)),
        (PositiveInteger, "positiveInteger", Some(NonNegativeInteger)),
        (Float, "float", Some(AnySimpleType)),
        (Double, "double", Some(AnySimpleType)),
        (Duration, "duration", Some(AnySimpleType)),
        (DateTime, "dateTime", Some(AnySimpleType)),
        (Time, "time", Some(AnySimpleType)),
        (Date, "date", Some(AnySimpleType)),
        (GYearMonth, "gYearMonth", Some(AnySimpleType)),
        (GYear, "gYear", Some(AnySimpleType)),
        (GMonthDay, "gMonthDay", Some(AnySimpleType)),
        (GDay, "gDay", Some(AnySimpleType)),
        (GMonth, "gMonth", Some(AnySimpleType)),
        (HexBinary, "hexBinary", Some(AnySimpleType)),
        (Base64Binary, "base64Binary", Some(AnySimpleType)),
        (AnyUri, "anyURI", Some(AnySimpleType)),
        (QName, "QName", Some(AnySimpleType)),
        (Notation, "NOTATION", Some(AnySimpleType)),
    ]
};

/// How whitespace in a value is normalised before it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WhiteSpace {
    /// Kept as it is.
    Preserve,
    /// Tabs, line feeds and carriage returns become spaces.
    Replace,
    /// As `Replace`, then runs of spaces become one and leading/trailing spaces go.
    Collapse,
}

/// Whether every byte of `value` is above the space character (no white space, nothing a
/// normalisation changes), looked at eight bytes at a time: a byte at a time it cost ~70
/// instructions a request for a TransaktionsTid (callgrind on examples/request_cost, VARY=1).
fn above_space(value: &[u8]) -> bool {
    use crate::soap::scan::{below, word};
    let (words, rest) = value.as_chunks::<8>();
    words.iter().all(|w| below(word(w), b' ' + 1) == 0) && rest.iter().all(|&b| b > b' ')
}

impl WhiteSpace {
    /// Applies the normalisation.
    pub fn apply(self, value: &str) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        // Most values have no byte up to the space character, so nothing to normalise.
        if self == WhiteSpace::Preserve || above_space(value.as_bytes()) {
            return Cow::Borrowed(value);
        }
        match self {
            WhiteSpace::Preserve => Cow::Borrowed(value),
            WhiteSpace::Replace => {
                if value.contains(['\t', '\n', '\r']) {
                    Cow::Owned(value.replace(['\t', '\n', '\r'], " "))
                } else {
                    Cow::Borrowed(value)
                }
            }
            WhiteSpace::Collapse => {
                // One pass: no tab, line break, leading, trailing or double space.
                let bytes = value.as_bytes();
                let simple = bytes.first() != Some(&b' ')
                    && bytes.last() != Some(&b' ')
                    && !bytes.iter().enumerate().any(|(i, b)| {
                        matches!(b, b'\t' | b'\n' | b'\r') || (*b == b' ' && bytes.get(i + 1) == Some(&b' '))
                    });
                if simple {
                    Cow::Borrowed(value)
                } else {
                    Cow::Owned(
                        value
                            .split([' ', '\t', '\n', '\r'])
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" "),
                    )
                }
            }
        }
    }
}

impl Builtin {
    /// The built-in type with local name `name` in the XML Schema namespace.
    pub fn from_name(name: &str) -> Option<Builtin> {
        ALL.iter().find(|(_, n, _)| *n == name).map(|(b, _, _)| *b)
    }

    /// Its local name.
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(b, _, _)| *b == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("anySimpleType")
    }

    /// Its base built-in type.
    pub fn base(self) -> Option<Builtin> {
        ALL.iter().find(|(b, _, _)| *b == self).and_then(|(_, _, base)| *base)
    }

    /// Whether it is `other` or derived from it.
    pub fn is_a(self, other: Builtin) -> bool {
        let mut at = Some(self);
        while let Some(b) = at {
            if b == other {
                return true;
            }
            at = b.base();
        }
        false
    }

    /// The built-in list types are lists of this item type.
    pub fn list_item(self) -> Option<Builtin> {
        match self {
            Builtin::NMTokens => Some(Builtin::NMToken),
            Builtin::IdRefs => Some(Builtin::IdRef),
            Builtin::Entities => Some(Builtin::Entity),
            _ => None,
        }
    }

    /// The whitespace rule of the type.
    pub fn white_space(self) -> WhiteSpace {
        match self {
            Builtin::String | Builtin::AnySimpleType => WhiteSpace::Preserve,
            Builtin::NormalizedString => WhiteSpace::Replace,
            _ => WhiteSpace::Collapse,
        }
    }

    /// Whether the type is ordered numerically or in time (range facets apply).
    pub fn ordered(self) -> bool {
        self.is_numeric() || self.is_temporal()
    }

    fn is_numeric(self) -> bool {
        self.is_a(Builtin::Decimal) || matches!(self, Builtin::Float | Builtin::Double)
    }

    fn is_temporal(self) -> bool {
        matches!(
            self,
            Builtin::DateTime
                | Builtin::Date
                | Builtin::Time
                | Builtin::GYear
                | Builtin::GYearMonth
                | Builtin::GMonthDay
                | Builtin::GDay
                | Builtin::GMonth
        )
    }

    /// Whether length facets count octets (binary types) rather than characters.
    pub fn length_in_octets(self) -> bool {
        matches!(self, Builtin::HexBinary | Builtin::Base64Binary)
    }

    /// Checks a whitespace-normalised value against the lexical space (and the implied
    /// range of the integer types). The error says what is wrong.
    pub fn check(self, v: &str) -> Result<(), String> {
        use Builtin::*;
        let ok = match self {
            AnySimpleType | String | NormalizedString => true,
            Token => !v.starts_with(' ') && !v.ends_with(' ') && !v.contains("  "),
            Language => is_language(v),
            Name => is_name(v, false),
            NCName | Id | IdRef | Entity => is_name(v, true),
            NMToken => !v.is_empty() && v.chars().all(is_name_char),
            NMTokens => !v.is_empty() && v.split(' ').all(|t| !t.is_empty() && t.chars().all(is_name_char)),
            IdRefs | Entities => !v.is_empty() && v.split(' ').all(|t| is_name(t, true)),
            Boolean => matches!(v, "true" | "false" | "1" | "0"),
            Decimal => parse_decimal(v).is_some(),
            Float | Double => is_float(v),
            Duration => is_duration(v),
            DateTime => is_date_time(v),
            Time => is_time_tz(v),
            Date => split_tz(v).is_some_and(|(d, _)| is_date(d)),
            GYearMonth => split_tz(v).is_some_and(|(d, _)| is_year_month(d)),
            GYear => split_tz(v).is_some_and(|(d, _)| is_year(d)),
            GMonthDay => split_tz(v).is_some_and(|(d, _)| is_month_day(d)),
            GDay => split_tz(v).is_some_and(|(d, _)| d.len() == 5 && d.starts_with("---") && day_ok(&d[3..], 31)),
            GMonth => split_tz(v).is_some_and(|(d, _)| d.len() == 4 && d.starts_with("--") && month_ok(&d[2..])),
            HexBinary => v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit()),
            Base64Binary => is_base64(v),
            AnyUri => !v.chars().any(|c| c.is_control()),
            QName | Notation => match v.split_once(':') {
                Some((p, l)) => is_name(p, true) && is_name(l, true),
                None => is_name(v, true),
            },
            _ => return self.check_integer(v),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{v:?} is not a valid xs:{}", self.name()))
        }
    }

    fn check_integer(self, v: &str) -> Result<(), String> {
        use Builtin::*;
        let Some(d) = parse_decimal(v).filter(|d| d.frac.is_empty() && !v.contains('.')) else {
            return Err(format!("{v:?} is not a valid xs:{} (an integer)", self.name()));
        };
        let (min, max): (Option<&str>, Option<&str>) = match self {
            Integer => (None, None),
            NonPositiveInteger => (None, Some("0")),
            NegativeInteger => (None, Some("-1")),
            Long => (Some("-9223372036854775808"), Some("9223372036854775807")),
            Int => (Some("-2147483648"), Some("2147483647")),
            Short => (Some("-32768"), Some("32767")),
            Byte => (Some("-128"), Some("127")),
            NonNegativeInteger => (Some("0"), None),
            UnsignedLong => (Some("0"), Some("18446744073709551615")),
            UnsignedInt => (Some("0"), Some("4294967295")),
            UnsignedShort => (Some("0"), Some("65535")),
            UnsignedByte => (Some("0"), Some("255")),
            PositiveInteger => (Some("1"), None),
            _ => (None, None),
        };
        let below = min.and_then(parse_decimal).is_some_and(|m| d.cmp(&m) == Ordering::Less);
        let above = max
            .and_then(parse_decimal)
            .is_some_and(|m| d.cmp(&m) == Ordering::Greater);
        if below || above {
            return Err(format!("{v:?} is out of the range of xs:{}", self.name()));
        }
        Ok(())
    }

    /// A form of a valid value in which equal values are equal strings (for enumerations).
    pub fn canonical(self, v: &str) -> String {
        if self.is_a(Builtin::Decimal) {
            return parse_decimal(v).map(|d| d.canonical()).unwrap_or_else(|| v.to_owned());
        }
        match self {
            Builtin::Boolean => match v {
                "1" | "true" => "true".to_owned(),
                _ => "false".to_owned(),
            },
            Builtin::Float | Builtin::Double => match parse_float(v) {
                Some(f) if f.is_nan() => "NaN".to_owned(),
                Some(f) => format!("{f:e}"),
                None => v.to_owned(),
            },
            _ => v.to_owned(),
        }
    }

    /// Whether values have a canonical form that differs from the lexical one (numbers,
    /// booleans, QNames): enumerations of other types compare values as written.
    pub fn has_canonical_form(self) -> bool {
        self.is_a(Builtin::Decimal)
            || matches!(
                self,
                Builtin::Boolean | Builtin::Float | Builtin::Double | Builtin::QName | Builtin::Notation
            )
    }

    /// Compares two valid values of an ordered type; `None` when they are incomparable (or
    /// the type is not ordered).
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        if self.is_a(Builtin::Decimal) {
            return Some(parse_decimal(a)?.cmp(&parse_decimal(b)?));
        }
        match self {
            Builtin::Float | Builtin::Double => parse_float(a)?.partial_cmp(&parse_float(b)?),
            _ if self.is_temporal() => compare_temporal(a, b),
            _ => None,
        }
    }

    /// Total and fraction digits of a decimal value.
    pub fn digits(v: &str) -> Option<(usize, usize)> {
        let d = parse_decimal(v)?;
        let int = d.int.trim_start_matches('0');
        let frac = d.frac.trim_end_matches('0');
        Some(((int.len() + frac.len()).max(1), frac.len()))
    }

    /// The number of octets of a binary value.
    pub fn octets(self, v: &str) -> usize {
        match self {
            Builtin::HexBinary => v.len() / 2,
            _ => {
                let chars = v.bytes().filter(|b| *b != b' ').count();
                let pad = v
                    .bytes()
                    .rev()
                    .filter(|b| *b != b' ')
                    .take_while(|b| *b == b'=')
                    .count();
                chars / 4 * 3 - pad.min(2)
            }
        }
    }
}

/// A parsed decimal: sign, integer digits without leading zeros, fraction digits without
/// trailing zeros.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    int: String,
    frac: String,
}

impl Decimal {
    fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.is_empty()
    }

    fn canonical(&self) -> String {
        let sign = if self.negative && !self.is_zero() { "-" } else { "" };
        let int = if self.int.is_empty() { "0" } else { &self.int };
        if self.frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{}", self.frac)
        }
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let neg_a = self.negative && !self.is_zero();
        let neg_b = other.negative && !other.is_zero();
        let magnitude = self
            .int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(&other.int))
            .then_with(|| self.frac.cmp(&other.frac));
        match (neg_a, neg_b) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn parse_decimal(v: &str) -> Option<Decimal> {
    let (negative, digits) = match v.as_bytes().first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Decimal {
        negative,
        int: int.trim_start_matches('0').to_owned(),
        frac: frac.trim_end_matches('0').to_owned(),
    })
}

fn is_float(v: &str) -> bool {
    matches!(v, "INF" | "-INF" | "NaN") || parse_float(v).is_some()
}

fn parse_float(v: &str) -> Option<f64> {
    match v {
        "INF" => return Some(f64::INFINITY),
        "-INF" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exponent) = match v.find(['e', 'E']) {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    parse_decimal(mantissa)?;
    if let Some(e) = exponent {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    v.parse::<f64>().ok()
}

fn is_name_start(c: char) -> bool {
    matches!(c, ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// Whether `c` may appear in an XML name.
pub fn is_name_char(c: char) -> bool {
    is_name_start(c) || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn is_name(v: &str, no_colon: bool) -> bool {
    let mut chars = v.chars();
    chars
        .next()
        .is_some_and(|c| is_name_start(c) && !(no_colon && c == ':'))
        && chars.all(|c| is_name_char(c) && !(no_colon && c == ':'))
}

fn is_language(v: &str) -> bool {
    let mut parts = v.split('-');
    parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()))
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn is_base64(v: &str) -> bool {
    let chars: Vec<u8> = v.bytes().filter(|b| *b != b' ').collect();
    if !chars.len().is_multiple_of(4) {
        return false;
    }
    let pad = chars.iter().rev().take_while(|b| **b == b'=').count();
    if pad > 2 {
        return false;
    }
    let body = &chars[..chars.len() - pad];
    body.iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

#[cfg(test)]
mod tests {
    use super::Builtin::*;

    proptest::proptest! {
        /// Eight bytes at a time, a value is found to have no byte up to the space character
        /// exactly when a byte at a time finds so, wherever such a byte is.
        #[test]
        fn above_space_is_every_byte_above_it(
            bytes in proptest::collection::vec(
                proptest::sample::select(&[b'a', b' ', b'!', b'\t', b'\n', b'\r', 0, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xA0, 0xFF][..]),
                0..40,
            ),
        ) {
            proptest::prop_assert_eq!(super::above_space(&bytes), bytes.iter().all(|&b| b > b' '));
        }
    }

    #[test]
    fn lexical_spaces() {
        for (t, ok, bad) in [
            (Boolean, "true", "yes"),
            (Int, "-2147483648", "2147483648"),
            (Decimal, "-0.50", "1e3"),
            (Date, "2024-02-29", "2023-02-29"),
            (DateTime, "2026-11-22T10:15:00.123+01:00", "2026-11-22 10:15:00"),
            (DateTime, "2026-11-22T24:00:00Z", "2026-11-22T10:15"),
            (Time, "23:59:59", "24:00:01"),
            (GYear, "2026", "26"),
            (Base64Binary, "VGhpcyBpcyBhIHRlc3Q=", "VGhpcyBpcyBhIHRlc3Q"),
            (Duration, "P1Y2M3DT4H5M6.5S", "P1S"),
            (NCName, "a-b.c", "a:b"),
            (Float, "1.5E-3", "1.5E"),
            (UnsignedByte, "255", "256"),
            (Language, "da-DK", "da_DK"),
        ] {
            assert!(t.check(ok).is_ok(), "{t:?} {ok}");
            assert!(t.check(bad).is_err(), "{t:?} {bad}");
        }
    }

    /// Normalisation is what the rules say, for values with and without white space.
    #[test]
    fn white_space_is_normalised_as_the_rules_say() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 2000,
            ..Default::default()
        });
        runner
            .run(&"[a1 \t\n\r\u{1}é!]{0,12}", |v| {
                let replaced: std::string::String = v
                    .chars()
                    .map(|c| if matches!(c, '\t' | '\n' | '\r') { ' ' } else { c })
                    .collect();
                let collapsed = replaced
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                use super::WhiteSpace::*;
                for (rule, expected) in [(Preserve, &v), (Replace, &replaced), (Collapse, &collapsed)] {
                    let applied = rule.apply(&v);
                    prop_assert_eq!(applied.as_ref(), expected.as_str(), "{:?}", rule);
                }
                Ok(())
            })
            .unwrap();
    }

    /// Any string, against every built-in type and ordering: an answer, never a panic.
    #[test]
    fn no_value_panics() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 2000,
            ..Default::default()
        });
        let value = "[0-9TZ:+\\-.éP€YMDHS ]{0,30}";
        runner
            .run(&(value, value), |(a, b)| {
                for (t, _, _) in super::ALL {
                    let _ = t.check(&a);
                    let _ = t.compare(&a, &b);
                    let _ = t.canonical(&a);
                }
                let _ = super::Builtin::digits(&a);
                prop_assert!(true);
                Ok(())
            })
            .unwrap();
        for v in ["é2026-01-01", "2026-01-01T00:00:00é+01:0", "€€€€€€€", "--é1", "---é"] {
            for (t, _, _) in super::ALL {
                let _ = t.check(v);
                let _ = t.compare(v, "2026-01-01T00:00:00+01:00");
            }
            assert!(DateTime.check(v).is_err() && Date.check(v).is_err(), "{v}");
        }
    }

    #[test]
    fn order_and_digits() {
        use std::cmp::Ordering::*;
        assert_eq!(Decimal.compare("-1.5", "-1.25"), Some(Less));
        assert_eq!(Integer.compare("010", "9"), Some(Greater));
        assert_eq!(Date.compare("2026-01-02", "2025-12-31"), Some(Greater));
        assert_eq!(
            DateTime.compare("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z"),
            Some(Equal)
        );
        assert_eq!(super::Builtin::digits("0012.3400"), Some((4, 2)));
        assert_eq!(Decimal.canonical("+01.10"), "1.1");
    }
}
