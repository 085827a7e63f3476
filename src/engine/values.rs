//! A value for a simple type, chosen from its facets so that the validator accepts it: the
//! first enumeration value, a string built from the pattern, a number inside the range and
//! the digit limits, a name or text of the allowed length, a UUID where the type wants one
//! (UUIDv5 of the operation and the element's path, so the same on every run), and for dates
//! and times the call's instant under the world's clock.
//!
//! Every candidate is judged by [`SchemaSet::check_value`], the validator's own check; a
//! type no candidate satisfies is an error naming it, never a silently invalid value.

use chrono::{DateTime, TimeZone, Utc};

use super::sample;
use super::template::Value;
use crate::xsd::builtin::Builtin;
use crate::xsd::model::{SchemaSet, TypeDef, TypeId, Variety};

/// The instant generated dates are checked at when the contract loads.
pub fn check_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// What the value is for.
#[derive(Debug, Clone, Copy)]
pub struct Hint<'a> {
    /// The element's (or attribute's) local name.
    pub name: &'a str,
    /// A value the generation's conventions prefer (`StatusKode` 20), used when valid.
    pub preferred: Option<&'a str>,
    /// The operation, for deterministic UUIDs.
    pub operation: &'a str,
    /// The element's path below the message element, for deterministic UUIDs.
    pub path: &'a str,
}

/// A value of simple type `id`, or why none can be generated.
pub fn value(set: &SchemaSet, id: TypeId, hint: &Hint<'_>) -> Result<Value, String> {
    let valid = |v: &str| set.check_value(id, v, &|_| None).is_ok();
    if let Some(p) = hint.preferred
        && valid(p)
    {
        return Ok(Value::Static(p.to_owned()));
    }
    let Some(st) = set.simple(id) else {
        return Ok(Value::Static(String::new()));
    };
    let f = &st.facets;
    if let Some(values) = &f.enumeration {
        return values
            .iter()
            .find(|v| valid(v))
            .map(|v| Value::Static(v.clone()))
            .ok_or_else(|| cannot(set, id, hint, "none of its enumeration values passes its other facets"));
    }
    // Dates and times follow the world's clock, when nothing but the lexical form constrains them.
    if let Variety::Atomic(b) = &st.variety
        && let Some(formats) = clock_formats(*b)
        && f.min_inclusive.is_none()
        && f.max_inclusive.is_none()
        && f.min_exclusive.is_none()
        && f.max_exclusive.is_none()
    {
        let at = check_instant();
        if let Some(fmt) = formats.iter().find(|fmt| valid(&at.format(fmt).to_string())) {
            return Ok(Value::Clock(fmt));
        }
    }
    let candidates = candidates(set, id, hint, 0);
    candidates
        .into_iter()
        .find(|c| valid(c))
        .map(Value::Static)
        .ok_or_else(|| cannot(set, id, hint, &describe(set, id)))
}

fn cannot(set: &SchemaSet, id: TypeId, hint: &Hint<'_>, why: &str) -> String {
    format!(
        "sfstub cannot generate a value of {} for {} ({why}): give the operation a response rule with a body",
        set.type_name(id),
        hint.path
    )
}

/// The facets of a type, for the message when no value fits.
fn describe(set: &SchemaSet, id: TypeId) -> String {
    let Some(st) = set.simple(id) else {
        return "not a simple type".into();
    };
    let f = &st.facets;
    let mut parts = Vec::new();
    for step in &f.patterns {
        let shown: Vec<&str> = step.iter().map(|p| p.source.as_str()).collect();
        parts.push(format!("pattern {}", shown.join(" | ")));
    }
    for (name, v) in [
        ("length", f.length),
        ("minLength", f.min_length),
        ("maxLength", f.max_length),
    ] {
        if let Some(v) = v {
            parts.push(format!("{name} {v}"));
        }
    }
    for (name, v) in [
        ("minInclusive", &f.min_inclusive),
        ("maxInclusive", &f.max_inclusive),
        ("minExclusive", &f.min_exclusive),
        ("maxExclusive", &f.max_exclusive),
    ] {
        if let Some(v) = v {
            parts.push(format!("{name} {v}"));
        }
    }
    if parts.is_empty() {
        "no candidate passed its facets".into()
    } else {
        format!("no candidate satisfies {}", parts.join(", "))
    }
}

/// The chrono formats of a date or time type, in order of preference.
fn clock_formats(b: Builtin) -> Option<&'static [&'static str]> {
    Some(match b {
        Builtin::DateTime => &[
            "%Y-%m-%dT%H:%M:%SZ",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M:%S%.3fZ",
            "%Y-%m-%dT%H:%M:%S%.3f",
            "%Y-%m-%dT%H:%M:%S+00:00",
            "%Y-%m-%dT%H:%M:%S%.3f+00:00",
        ],
        Builtin::Date => &["%Y-%m-%d", "%Y-%m-%dZ", "%Y-%m-%d+00:00"],
        Builtin::Time => &["%H:%M:%SZ", "%H:%M:%S", "%H:%M:%S+00:00"],
        Builtin::GYear => &["%Y"],
        Builtin::GYearMonth => &["%Y-%m"],
        Builtin::GMonthDay => &["--%m-%d"],
        Builtin::GDay => &["---%d"],
        Builtin::GMonth => &["--%m"],
        _ => return None,
    })
}

/// Values to try for a type, most natural first.
fn candidates(set: &SchemaSet, id: TypeId, hint: &Hint<'_>, depth: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if depth > 16 {
        return out;
    }
    let Some(st) = set.simple(id) else {
        return out;
    };
    let f = &st.facets;
    let want = f.length.or(f.min_length).unwrap_or(0) as usize;
    // The most derived pattern step decides the form; UUID-shaped ones get a stable UUID.
    for step in f.patterns.iter().rev() {
        for p in step {
            for s in sample::samples(&p.source, want) {
                if is_uuid_shaped(&s) {
                    let uuid = super::world::skeleton_uuid(hint.operation, hint.path).to_string();
                    out.push(uuid.clone());
                    out.push(uuid.to_uppercase());
                }
                out.push(s);
            }
        }
    }
    match &st.variety {
        Variety::List(item) => {
            let items = candidates(set, *item, hint, depth + 1);
            let count = f.length.or(f.min_length).unwrap_or(1).clamp(1, 64) as usize;
            for one in items.iter().take(4) {
                out.push(vec![one.clone(); count].join(" "));
            }
        }
        Variety::Union(members) => {
            for m in members {
                out.extend(candidates(set, *m, hint, depth + 1));
                if let Some(TypeDef::Simple(ms)) = Some(set.type_def(*m))
                    && let Variety::Atomic(b) = ms.variety
                    && let Some(formats) = clock_formats(b)
                {
                    out.extend(formats.iter().map(|fmt| check_instant().format(fmt).to_string()));
                }
            }
        }
        Variety::Atomic(b) => {
            if hint.name.to_ascii_lowercase().contains("uuid") {
                out.push(super::world::skeleton_uuid(hint.operation, hint.path).to_string());
            }
            out.extend(atomic(*b, f, hint, want))
        }
    }
    out
}

fn is_uuid_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Candidates for an atomic type from its built-in base and facets.
fn atomic(b: Builtin, f: &crate::xsd::simple::Facets, hint: &Hint<'_>, want: usize) -> Vec<String> {
    let max = f.length.or(f.max_length).map(|m| m as usize);
    let fit = |text: String| -> String {
        let mut s: String = text;
        while s.chars().count() < want.max(1) {
            s.push('x');
        }
        match max {
            Some(m) if s.chars().count() > m => s.chars().take(m).collect(),
            _ => s,
        }
    };
    let name = if hint.name.is_empty() { "sfstub" } else { hint.name };
    if b.is_a(Builtin::Decimal) || matches!(b, Builtin::Float | Builtin::Double) {
        return numbers(b, f);
    }
    match b {
        Builtin::Boolean => vec!["true".into(), "false".into()],
        Builtin::Duration => vec!["P1D".into(), "PT1H".into()],
        Builtin::HexBinary => {
            let octets = f.length.or(f.min_length).unwrap_or(1).max(1) as usize;
            vec!["00".repeat(octets)]
        }
        Builtin::Base64Binary => {
            let octets = f.length.or(f.min_length).unwrap_or(3).max(1) as usize;
            let mut s = base64_of(octets);
            if let Some(m) = max
                && octets > m
            {
                s = base64_of(m);
            }
            vec![s]
        }
        Builtin::AnyUri => vec![fit(format!("urn:sfstub:{name}")), fit("urn:sfstub".into())],
        Builtin::Language => vec!["da".into(), "en".into()],
        Builtin::QName | Builtin::Notation => Vec::new(),
        b if clock_formats(b).is_some() => temporal_samples(b),
        Builtin::Name
        | Builtin::NCName
        | Builtin::Id
        | Builtin::IdRef
        | Builtin::Entity
        | Builtin::NMToken
        | Builtin::NMTokens
        | Builtin::IdRefs
        | Builtin::Entities => {
            let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let clean = if clean.is_empty() || clean.starts_with(|c: char| c.is_ascii_digit()) {
                format!("x{clean}")
            } else {
                clean
            };
            vec![fit(clean), fit("x".into())]
        }
        _ => vec![fit(name.to_owned()), fit("x".into()), fit("0".into())],
    }
}

fn base64_of(octets: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(vec![0u8; octets.min(4096)])
}

fn temporal_samples(b: Builtin) -> Vec<String> {
    let at = check_instant();
    clock_formats(b)
        .unwrap_or(&[])
        .iter()
        .map(|fmt| at.format(fmt).to_string())
        .collect()
}

/// Numbers inside the type's range and digit limits.
fn numbers(b: Builtin, f: &crate::xsd::simple::Facets) -> Vec<String> {
    let integer = b.is_a(Builtin::Integer);
    let mut out: Vec<String> = Vec::new();
    let base = if b.is_a(Builtin::NegativeInteger) {
        "-1"
    } else if b.is_a(Builtin::NonPositiveInteger) {
        "0"
    } else {
        "1"
    };
    out.push(base.into());
    out.push("0".into());
    if let Some(v) = &f.min_inclusive {
        out.push(v.clone());
    }
    if let Some(v) = &f.max_inclusive {
        out.push(v.clone());
    }
    for (bound, up) in [(&f.min_exclusive, true), (&f.max_exclusive, false)] {
        if let Some(n) = bound.as_ref().and_then(|v| step(v, up, integer)) {
            out.push(n);
        }
    }
    // Between an inclusive minimum and an exclusive maximum, or the like: their midpoint.
    if let (Some(lo), Some(hi)) = (
        f.min_inclusive.as_ref().or(f.min_exclusive.as_ref()),
        f.max_inclusive.as_ref().or(f.max_exclusive.as_ref()),
    ) && let (Ok(a), Ok(z)) = (lo.trim().parse::<f64>(), hi.trim().parse::<f64>())
    {
        let mid = (a + z) / 2.0;
        out.push(if integer {
            format!("{}", mid.floor() as i64)
        } else {
            format!("{mid}")
        });
    }
    if let Some(total) = f.total_digits {
        out.push("9".repeat(total.clamp(1, 30) as usize));
    }
    out
}

/// The number one step beyond `v` (up or down): 1 for integers, 0.5 otherwise.
fn step(v: &str, up: bool, integer: bool) -> Option<String> {
    if integer {
        let n: i128 = v.trim().trim_start_matches('+').parse().ok()?;
        Some((if up { n + 1 } else { n - 1 }).to_string())
    } else {
        let n: f64 = v.trim().parse().ok()?;
        Some(format!("{}", if up { n + 0.5 } else { n - 0.5 }))
    }
}
