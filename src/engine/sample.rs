//! Strings that match an XSD pattern, built deterministically from the pattern itself.
//!
//! The pattern is translated as the validator translates it ([`crate::xsd::pattern::translate`])
//! and parsed into `regex-syntax`'s high-level form; a walk of that tree writes one string:
//! each literal as written, from each class one character (a lower-case letter, an upper-case
//! one or a digit when the class has one, so `[A-Z]{2}[0-9]{4}` gives `AA0000`), each
//! repetition its minimum count — more when a length facet asks for a longer value — and one
//! branch of each alternation. Candidates take the first branches and the last ones; the
//! caller keeps the first candidate every facet of the type accepts.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The longest sample written (a pattern whose minimum is longer gives none).
const MAX_SAMPLE: usize = 4096;

/// Strings matching the XSD pattern `source`, shortest first; `target` asks for at least
/// that many characters where the pattern can repeat. Empty when the pattern cannot be read.
pub fn samples(source: &str, target: usize) -> Vec<String> {
    let Ok(translated) = crate::xsd::pattern::translate(source) else {
        return Vec::new();
    };
    let Ok(hir) = regex_syntax::ParserBuilder::new().build().parse(&translated) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for branch in [Branch::First, Branch::Last] {
        for want in [0, target] {
            let mut s = String::new();
            let mut budget = want.saturating_sub(minimum(&hir, branch));
            if write(&hir, branch, &mut budget, &mut s).is_some() && !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// Which branch of an alternation a sample takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    First,
    Last,
}

/// The length of the shortest sample (repetitions at their minimum).
fn minimum(hir: &Hir, branch: Branch) -> usize {
    let mut s = String::new();
    let mut none = 0;
    match write(hir, branch, &mut none, &mut s) {
        Some(()) => s.chars().count(),
        None => usize::MAX,
    }
}

/// Writes one sample of `hir`; `budget` is how many characters beyond the minimum the
/// repetitions may still add. `None` when the sample would be too long or a class is empty.
fn write(hir: &Hir, branch: Branch, budget: &mut usize, out: &mut String) -> Option<()> {
    if out.len() > MAX_SAMPLE {
        return None;
    }
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => out.push_str(std::str::from_utf8(&lit.0).ok()?),
        HirKind::Class(class) => out.push(pick(class)?),
        HirKind::Capture(c) => write(&c.sub, branch, budget, out)?,
        HirKind::Concat(parts) => {
            for p in parts {
                write(p, branch, budget, out)?;
            }
        }
        HirKind::Alternation(parts) => {
            let chosen = match branch {
                Branch::First => parts.first(),
                Branch::Last => parts.last(),
            }?;
            write(chosen, branch, budget, out)?;
        }
        HirKind::Repetition(rep) => {
            let unit = minimum(&rep.sub, branch).max(1);
            let mut count = rep.min;
            let max = rep.max.unwrap_or(u32::MAX);
            while *budget > 0 && count < max {
                count += 1;
                *budget = budget.saturating_sub(unit);
            }
            if count as usize > MAX_SAMPLE {
                return None;
            }
            for _ in 0..count {
                write(&rep.sub, branch, budget, out)?;
            }
        }
    }
    Some(())
}

/// The character a sample takes from a class: a letter or digit if it has one (lower case,
/// then upper case, then digits), else another visible ASCII character, else its first
/// character that is not white space.
fn pick(class: &Class) -> Option<char> {
    let ranges: Vec<(char, char)> = match class {
        Class::Unicode(u) => u.ranges().iter().map(|r| (r.start(), r.end())).collect(),
        Class::Bytes(b) => b
            .ranges()
            .iter()
            .filter(|r| r.start() < 0x80)
            .map(|r| (char::from(r.start()), char::from(r.end().min(0x7f))))
            .collect(),
    };
    let contains = |c: char| ranges.iter().any(|&(a, b)| a <= c && c <= b);
    let preferred = ('a'..='z').chain('A'..='Z').chain('0'..='9');
    if let Some(c) = preferred.clone().find(|c| contains(*c)) {
        return Some(c);
    }
    if let Some(c) = ('!'..='~').find(|c| contains(*c)) {
        return Some(c);
    }
    ranges
        .iter()
        .flat_map(|&(a, b)| (a..=b).take(64))
        .find(|c| !c.is_whitespace() && !c.is_control())
        .or_else(|| ranges.first().map(|r| r.0))
}

#[cfg(test)]
mod tests {
    use super::samples;
    use crate::xsd::pattern::Pattern;

    fn first(p: &str) -> String {
        samples(p, 0)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no sample of {p}"))
    }

    #[test]
    fn every_sample_matches_its_pattern() {
        for p in [
            "[0-9]{6}-?[0-9]{4}",
            "[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}",
            r"\d{8}",
            "[A-Z]{2}[0-9]{4}",
            r"[\w-[\d]]+",
            "(urn:oio:cpr-nr:)?[0-9]{10}",
            "r[0-9]+",
            "(AB|CD)+",
            r"[^\s]{3,5}",
            r"\p{Lu}\p{Ll}*",
            r"[\i-[:]][\c-[:]]*",
            "a{0}b",
            r"([0-9]{1,3}\.){3}[0-9]{1,3}",
        ] {
            let pattern = Pattern::new(p).unwrap();
            for s in samples(p, 12) {
                assert!(pattern.matches(&s), "{s:?} does not match {p}");
            }
        }
        assert_eq!(first("[0-9]{8}"), "00000000");
        assert_eq!(first("[A-Z]{2}[0-9]{4}"), "AA0000");
        assert_eq!(first("r[0-9]+"), "r0");
    }

    #[test]
    fn a_target_length_stretches_repetitions() {
        let long = samples("[a-z]+", 5);
        assert!(long.iter().any(|s| s == "aaaaa"), "{long:?}");
        let bounded = samples("[a-z]{1,3}", 10);
        assert!(bounded.iter().all(|s| s.len() <= 3), "{bounded:?}");
    }

    #[test]
    fn both_ends_of_an_alternation_are_offered() {
        let s = samples("(AB|CD)", 0);
        assert!(s.contains(&"AB".to_owned()) && s.contains(&"CD".to_owned()), "{s:?}");
    }

    #[test]
    fn unreadable_or_huge_patterns_give_nothing() {
        assert!(samples("(a", 0).is_empty());
        assert!(samples("a{100000}", 0).is_empty());
    }
}
