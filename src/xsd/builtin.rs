//! The built-in simple types of XML Schema 1.0 and their lexical spaces: each check is a
//! single pass over the value (no backtracking), so a hostile value costs its length.

use std::cmp::Ordering;

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

impl WhiteSpace {
    /// Applies the normalisation.
    pub fn apply(self, value: &str) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
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
                let simple = !value.contains(['\t', '\n', '\r'])
                    && !value.contains("  ")
                    && !value.starts_with(' ')
                    && !value.ends_with(' ');
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

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn month_ok(m: &str) -> bool {
    digits(m, 2) && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
}

fn day_ok(d: &str, max: u32) -> bool {
    digits(d, 2) && (1..=max).contains(&d.parse::<u32>().unwrap_or(0))
}

/// Splits an optional timezone (`Z`, `+hh:mm`, `-hh:mm`) off the end.
fn split_tz(v: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = v.strip_suffix('Z') {
        return Some((rest, Some("Z")));
    }
    if v.len() >= 6 {
        let (head, tz) = v.split_at(v.len() - 6);
        let b = tz.as_bytes();
        if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
            let hh: u32 = tz[1..3].parse().ok()?;
            let mm: u32 = tz[4..6].parse().ok()?;
            if !digits(&tz[1..3], 2) || !digits(&tz[4..6], 2) || hh > 14 || mm > 59 || (hh == 14 && mm != 0) {
                return None;
            }
            return Some((head, Some(tz)));
        }
    }
    Some((v, None))
}

fn is_year(y: &str) -> bool {
    let y = y.strip_prefix('-').unwrap_or(y);
    y.len() >= 4 && y.bytes().all(|b| b.is_ascii_digit()) && !(y.len() > 4 && y.starts_with('0')) && y != "0000"
}

fn leap(year: &str) -> bool {
    let y: i64 = year.trim_start_matches('-').parse().unwrap_or(1);
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn is_year_month(v: &str) -> bool {
    match v.rsplit_once('-') {
        Some((y, m)) => is_year(y) && month_ok(m),
        None => false,
    }
}

fn is_date(v: &str) -> bool {
    let Some((ym, d)) = v.rsplit_once('-') else {
        return false;
    };
    let Some((y, m)) = ym.rsplit_once('-') else {
        return false;
    };
    if !is_year(y) || !month_ok(m) || !digits(d, 2) {
        return false;
    }
    let max = match m {
        "02" if leap(y) => 29,
        "02" => 28,
        "04" | "06" | "09" | "11" => 30,
        _ => 31,
    };
    day_ok(d, max)
}

fn is_month_day(v: &str) -> bool {
    v.len() == 7 && v.starts_with("--") && &v[4..5] == "-" && month_ok(&v[2..4]) && {
        let max = match &v[2..4] {
            "02" => 29,
            "04" | "06" | "09" | "11" => 30,
            _ => 31,
        };
        day_ok(&v[5..7], max)
    }
}

fn is_time(t: &str) -> bool {
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    if t.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let b = hms.as_bytes();
    if hms.len() != 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (h, m, s) = (&hms[0..2], &hms[3..5], &hms[6..8]);
    if !digits(h, 2) || !digits(m, 2) || !digits(s, 2) {
        return false;
    }
    let (h, m, s): (u32, u32, u32) = (
        h.parse().unwrap_or(99),
        m.parse().unwrap_or(99),
        s.parse().unwrap_or(99),
    );
    (h < 24 && m < 60 && s < 60) || (h == 24 && m == 0 && s == 0 && frac.bytes().all(|b| b == b'0'))
}

fn is_time_tz(v: &str) -> bool {
    split_tz(v).is_some_and(|(t, _)| is_time(t))
}

fn is_date_time(v: &str) -> bool {
    match split_tz(v) {
        Some((dt, _)) => match dt.split_once('T') {
            Some((d, t)) => is_date(d) && is_time(t),
            None => false,
        },
        None => false,
    }
}

fn is_duration(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    let Some(rest) = v.strip_prefix('P') else { return false };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut any = false;
    let mut check = |part: &str, units: &[u8], seconds: bool| -> bool {
        let mut allowed = units.iter();
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || (seconds && c == '.') {
                number.push(c);
                continue;
            }
            if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
                return false;
            }
            if number.contains('.') && c != 'S' {
                return false;
            }
            if !allowed.by_ref().any(|u| *u as char == c) {
                return false;
            }
            any = true;
            number.clear();
        }
        number.is_empty()
    };
    if !check(date, b"YMD", false) {
        return false;
    }
    if let Some(t) = time
        && (t.is_empty() || !check(t, b"HMS", true))
    {
        return false;
    }
    any
}

/// Compares two date/time values of the same type: by their timezone-normalised instant
/// when both or neither carry a timezone; `None` when only one does (indeterminate).
fn compare_temporal(a: &str, b: &str) -> Option<Ordering> {
    let (va, ta) = split_tz(a)?;
    let (vb, tb) = split_tz(b)?;
    if ta.is_some() != tb.is_some() {
        return None;
    }
    let key = |v: &str, tz: Option<&str>| -> Option<(i64, String)> {
        let offset_minutes = match tz {
            None | Some("Z") => 0,
            Some(t) => {
                let sign = if t.starts_with('-') { -1 } else { 1 };
                sign * (t[1..3].parse::<i64>().ok()? * 60 + t[4..6].parse::<i64>().ok()?)
            }
        };
        // A sortable string of the fields: years padded, then the rest as written.
        let (sign, body) = match v.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, v),
        };
        let year_len = body.find(['-', 'T']).unwrap_or(body.len());
        let padded = format!(
            "{:0>12}{}",
            &body[..year_len.min(body.len())],
            &body[year_len.min(body.len())..]
        );
        Some((-offset_minutes, if sign < 0 { format!("-{padded}") } else { padded }))
    };
    let (oa, ka) = key(va, ta)?;
    let (ob, kb) = key(vb, tb)?;
    if oa == ob {
        return Some(ka.cmp(&kb));
    }
    // Different offsets: compare as instants when both are full dateTimes.
    let instant = |v: &str, offset: i64| -> Option<i64> {
        let (d, t) = v.split_once('T')?;
        let mut parts = d.rsplitn(3, '-');
        let day: i64 = parts.next()?.parse().ok()?;
        let month: i64 = parts.next()?.parse().ok()?;
        let year: i64 = parts.next()?.parse().ok()?;
        let h: i64 = t.get(0..2)?.parse().ok()?;
        let m: i64 = t.get(3..5)?.parse().ok()?;
        let s: i64 = t.get(6..8)?.parse().ok()?;
        let days = days_from_civil(year, month, day);
        Some(((days * 24 + h) * 60 + m + offset) * 60 + s)
    };
    Some(instant(va, oa)?.cmp(&instant(vb, ob)?))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::Builtin::*;

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
