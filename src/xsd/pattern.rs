//! XSD 1.0 regular expressions (`xs:pattern`), translated into the `regex` crate's syntax,
//! which matches in time linear in the value: a hostile value cannot make a pattern slow.
//!
//! The translation handles the whole XSD dialect: implicit anchoring (a pattern matches the
//! whole value), `^` and `$` as ordinary characters, `.` as "not a line break", the
//! multi-character escapes `\s \S \d \D \w \W \i \I \c \C`, the categories `\p{..}`/`\P{..}`
//! (general categories and the common `Is…` blocks), and character-class subtraction
//! `[a-z-[aeiou]]`. Anything else is a load error naming the pattern and what is wrong.

use std::fmt::Write;

/// How deep groups and classes may nest in one pattern.
const MAX_NESTING: usize = 64;
/// The compiled-program budget of one pattern (the `regex` crate's size limit).
const SIZE_LIMIT: usize = 4 << 20;

/// A compiled `xs:pattern`.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as written in the schema.
    pub source: String,
    regex: regex::Regex,
    /// The same pattern checked by hand, when it has the form [`Runs`] takes.
    runs: Option<Runs>,
}

impl Pattern {
    /// Compiles an XSD pattern.
    pub fn new(source: &str) -> Result<Pattern, String> {
        let translated = translate(source)?;
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| format!("the pattern {source:?} cannot be compiled: {e}"))?;
        Ok(Pattern {
            source: source.to_owned(),
            regex,
            runs: Runs::of(source),
        })
    }

    /// Whether the whole value matches.
    pub fn matches(&self, value: &str) -> bool {
        match &self.runs {
            Some(runs) => runs.matches(value.as_bytes()),
            None => self.regex.is_match(value),
        }
    }
}

/// The patterns most schemas use for codes and numbers (`[0-9]{6}-?[0-9]{4}`,
/// `[0-9a-f]{8}-[0-9a-f]{4}…`), checked without the regex engine: a sequence of runs, each of
/// ASCII letters and digits (a literal one, or a class of them and ranges of them) repeated
/// between a minimum and a maximum. A run whose length may vary shares no character with any
/// run after it, so the runs split a matching value in one way only and a greedy walk finds
/// it: linear in the value, and the same answer as the regex.
#[derive(Debug, Clone)]
struct Runs(Vec<Run>);

#[derive(Debug, Clone, Copy)]
struct Run {
    /// The ASCII characters the run is of, as a bit set.
    set: u128,
    min: u32,
    max: u32,
}

impl Runs {
    /// The runs of an XSD pattern, if it is of that form.
    fn of(source: &str) -> Option<Runs> {
        let b = source.as_bytes();
        let mut runs: Vec<Run> = Vec::new();
        let mut i = 0;
        let bit = |c: u8| 1u128 << c;
        while i < b.len() {
            let set = match b[i] {
                c if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b':' => {
                    i += 1;
                    bit(c)
                }
                b'[' => {
                    i += 1;
                    let mut set = 0u128;
                    loop {
                        match (b.get(i), b.get(i + 1), b.get(i + 2)) {
                            (Some(b']'), ..) if set != 0 => {
                                i += 1;
                                break;
                            }
                            (Some(&lo), Some(b'-'), Some(&hi))
                                if lo.is_ascii_alphanumeric() && hi.is_ascii_alphanumeric() && lo <= hi =>
                            {
                                set |= (lo..=hi).fold(0, |s, c| s | bit(c));
                                i += 3;
                            }
                            (Some(&c), Some(next), _) if c.is_ascii_alphanumeric() && *next != b'-' => {
                                set |= bit(c);
                                i += 1;
                            }
                            _ => return None,
                        }
                    }
                    set
                }
                _ => return None,
            };
            let (min, max) = match b.get(i) {
                Some(b'?') => (0, 1),
                Some(b'*') => (0, u32::MAX),
                Some(b'+') => (1, u32::MAX),
                Some(b'{') => {
                    let end = i + b[i..].iter().position(|&c| c == b'}')?;
                    let body = std::str::from_utf8(&b[i + 1..end]).ok()?;
                    let number = |s: &str| -> Option<u32> {
                        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                            return None;
                        }
                        s.parse::<u32>().ok().filter(|&n| n < u32::MAX)
                    };
                    let bounds = match body.split_once(',') {
                        None => number(body).map(|n| (n, n)),
                        Some((a, "")) => number(a).map(|n| (n, u32::MAX)),
                        Some((a, c)) => number(a).zip(number(c)).filter(|(a, c)| a <= c),
                    }?;
                    i = end;
                    bounds
                }
                _ => {
                    runs.push(Run { set, min: 1, max: 1 });
                    continue;
                }
            };
            // Past the quantifier's last character.
            i += 1;
            runs.push(Run { set, min, max });
        }
        // A run of varying length shares no character with a later run.
        for (k, r) in runs.iter().enumerate() {
            if r.min != r.max && runs[k + 1..].iter().any(|later| later.set & r.set != 0) {
                return None;
            }
        }
        Some(Runs(runs))
    }

    fn matches(&self, value: &[u8]) -> bool {
        let mut at = 0;
        for run in &self.0 {
            let mut n = 0u32;
            while n < run.max
                && let Some(&c) = value.get(at)
                && c < 128
                && run.set & (1u128 << c) != 0
            {
                n += 1;
                at += 1;
            }
            if n < run.min {
                return false;
            }
        }
        at == value.len()
    }
}

/// Translates an XSD pattern into an anchored `regex` crate pattern.
pub fn translate(source: &str) -> Result<String, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut parser = Parser {
        chars: &chars,
        at: 0,
        out: String::with_capacity(source.len() * 2 + 8),
        source,
    };
    parser.out.push_str(r"\A(?:");
    parser.reg_exp(0)?;
    if parser.at < chars.len() {
        return Err(parser.error("an unbalanced ')'"));
    }
    parser.out.push_str(r")\z");
    Ok(parser.out)
}

struct Parser<'a> {
    chars: &'a [char],
    at: usize,
    out: String,
    source: &'a str,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!(
            "the pattern {:?} is not a valid XML Schema regular expression: {what} at character {}",
            self.source,
            self.at + 1
        )
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn reg_exp(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_NESTING {
            return Err(self.error("groups nested too deeply"));
        }
        loop {
            self.branch(depth)?;
            if self.peek() == Some('|') {
                self.at += 1;
                self.out.push('|');
            } else {
                return Ok(());
            }
        }
    }

    fn branch(&mut self, depth: usize) -> Result<(), String> {
        while let Some(c) = self.peek() {
            match c {
                '|' | ')' => return Ok(()),
                _ => {
                    self.atom(depth)?;
                    self.quantifier()?;
                }
            }
        }
        Ok(())
    }

    fn quantifier(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(q @ ('?' | '*' | '+')) => {
                self.at += 1;
                self.out.push(q);
            }
            Some('{') => {
                self.at += 1;
                let start = self.at;
                while self.peek().is_some_and(|c| c != '}') {
                    self.at += 1;
                }
                if self.peek() != Some('}') {
                    return Err(self.error("an unclosed '{'"));
                }
                let body: String = self.chars[start..self.at].iter().collect();
                self.at += 1;
                let (min, max) = match body.split_once(',') {
                    Some((a, b)) => (a, Some(b)),
                    None => (body.as_str(), None),
                };
                let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                let valid = number(min) && max.is_none_or(|m| m.is_empty() || number(m));
                if !valid {
                    return Err(self.error("a quantifier that is not {n}, {n,} or {n,m}"));
                }
                if let (Ok(a), Some(Ok(b))) = (min.parse::<u64>(), max.filter(|m| !m.is_empty()).map(str::parse::<u64>))
                    && a > b
                {
                    return Err(self.error("a quantifier {n,m} with n > m"));
                }
                let _ = write!(self.out, "{{{body}}}");
            }
            _ => {}
        }
        Ok(())
    }

    fn atom(&mut self, depth: usize) -> Result<(), String> {
        let Some(c) = self.peek() else { return Ok(()) };
        self.at += 1;
        match c {
            '(' => {
                self.out.push_str("(?:");
                self.reg_exp(depth + 1)?;
                if self.peek() != Some(')') {
                    return Err(self.error("an unclosed '('"));
                }
                self.at += 1;
                self.out.push(')');
            }
            '[' => {
                let class = self.class_expr(depth + 1)?;
                self.out.push_str(&class);
            }
            '.' => self.out.push_str(r"[^\n\r]"),
            '\\' => {
                let escape = self.escape()?;
                self.out.push_str(&escape);
            }
            '?' | '*' | '+' | '{' => return Err(self.error("a quantifier with nothing to repeat")),
            ']' | '}' => return Err(self.error(&format!("an unescaped '{c}'"))),
            c => push_literal(&mut self.out, c),
        }
        Ok(())
    }

    /// After a backslash: a single-character escape, a multi-character escape or a category.
    fn escape(&mut self) -> Result<String, String> {
        let Some(c) = self.peek() else {
            return Err(self.error("a '\\' at the end"));
        };
        self.at += 1;
        let mut out = String::new();
        match c {
            'n' => out.push_str(r"\n"),
            'r' => out.push_str(r"\r"),
            't' => out.push_str(r"\t"),
            '\\' | '|' | '.' | '-' | '^' | '?' | '*' | '+' | '{' | '}' | '(' | ')' | '[' | ']' => {
                push_literal(&mut out, c)
            }
            's' => out.push_str(r"[\x20\t\n\r]"),
            'S' => out.push_str(r"[^\x20\t\n\r]"),
            'd' => out.push_str(r"\p{Nd}"),
            'D' => out.push_str(r"\P{Nd}"),
            'w' => out.push_str(r"[^\p{P}\p{Z}\p{C}]"),
            'W' => out.push_str(r"[\p{P}\p{Z}\p{C}]"),
            'i' => out.push_str(&format!("[{NAME_START}]")),
            'I' => out.push_str(&format!("[^{NAME_START}]")),
            'c' => out.push_str(&format!("[{NAME_START}{NAME_REST}]")),
            'C' => out.push_str(&format!("[^{NAME_START}{NAME_REST}]")),
            'p' | 'P' => {
                if self.peek() != Some('{') {
                    return Err(self.error("\\p without {category}"));
                }
                self.at += 1;
                let start = self.at;
                while self.peek().is_some_and(|c| c != '}') {
                    self.at += 1;
                }
                if self.peek() != Some('}') {
                    return Err(self.error("an unclosed \\p{"));
                }
                let name: String = self.chars[start..self.at].iter().collect();
                self.at += 1;
                let class =
                    category(&name).ok_or_else(|| self.error(&format!("the unknown category or block {name:?}")))?;
                if c == 'p' {
                    out.push_str(&class);
                } else {
                    out.push_str(&format!("[^{class}]"));
                }
            }
            other => return Err(self.error(&format!("the unknown escape \\{other}"))),
        }
        Ok(out)
    }

    /// After '[': a character class expression, returned as a regex-crate class.
    fn class_expr(&mut self, depth: usize) -> Result<String, String> {
        if depth > MAX_NESTING {
            return Err(self.error("classes nested too deeply"));
        }
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        let mut items = String::new();
        let mut count = 0;
        let mut subtraction: Option<String> = None;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("an unclosed '['"));
            };
            if c == ']' {
                if count == 0 {
                    return Err(self.error("an empty character class"));
                }
                self.at += 1;
                break;
            }
            if c == '-' && self.chars.get(self.at + 1) == Some(&'[') && count > 0 {
                self.at += 2;
                subtraction = Some(self.class_expr(depth + 1)?);
                if self.peek() != Some(']') {
                    return Err(self.error("a subtraction that is not the last part of its class"));
                }
                self.at += 1;
                break;
            }
            if c == '[' {
                return Err(self.error("an unescaped '[' inside a class"));
            }
            // One item: a character (maybe starting a range) or an escape.
            self.at += 1;
            let escaped = c == '\\';
            let first = if c == '\\' {
                match self.peek() {
                    Some(e) if single_escape(e).is_some() => {
                        self.at += 1;
                        single_escape(e)
                    }
                    _ => {
                        let esc = self.escape()?;
                        items.push_str(&esc);
                        count += 1;
                        continue;
                    }
                }
            } else {
                Some(c)
            };
            let Some(first) = first else { continue };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|n| *n != ']' && *n != '[') {
                self.at += 1;
                let Some(end) = self.peek() else {
                    return Err(self.error("an unfinished range"));
                };
                self.at += 1;
                let last = if end == '\\' {
                    let e = self.peek().ok_or_else(|| self.error("a '\\' at the end"))?;
                    self.at += 1;
                    single_escape(e).ok_or_else(|| self.error("a range ending in a multi-character escape"))?
                } else {
                    end
                };
                if last < first {
                    return Err(self.error("a range whose end is before its start"));
                }
                let _ = write!(items, r"\x{{{:X}}}-\x{{{:X}}}", first as u32, last as u32);
            } else {
                if first == '-' && !escaped && count > 0 && self.peek() != Some(']') {
                    // XSD allows '-' only at the start or end of a class (or before '[').
                    return Err(self.error("a '-' in the middle of a class"));
                }
                let _ = write!(items, r"\x{{{:X}}}", first as u32);
            }
            count += 1;
        }
        let base = if negated {
            format!("[^{items}]")
        } else {
            format!("[{items}]")
        };
        Ok(match subtraction {
            Some(sub) => format!("[{base}--{sub}]"),
            None => base,
        })
    }
}

fn single_escape(c: char) -> Option<char> {
    match c {
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        '\\' | '|' | '.' | '-' | '^' | '?' | '*' | '+' | '{' | '}' | '(' | ')' | '[' | ']' => Some(c),
        _ => None,
    }
}

fn push_literal(out: &mut String, c: char) {
    if c.is_alphanumeric() || c == ' ' || c == '_' {
        out.push(c);
    } else {
        let _ = write!(out, r"\x{{{:X}}}", c as u32);
    }
}

const NAME_START: &str = r":A-Z_a-z\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{2FF}\x{370}-\x{37D}\x{37F}-\x{1FFF}\x{200C}-\x{200D}\x{2070}-\x{218F}\x{2C00}-\x{2FEF}\x{3001}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFFD}\x{10000}-\x{EFFFF}";
const NAME_REST: &str = r"\-.0-9\x{B7}\x{300}-\x{36F}\x{203F}-\x{2040}";

/// A category or block name as a regex-crate class item.
fn category(name: &str) -> Option<String> {
    const CATEGORIES: &[&str] = &[
        "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe",
        "Pi", "Pf", "Po", "Z", "Zs", "Zl", "Zp", "S", "Sm", "Sc", "Sk", "So", "C", "Cc", "Cf", "Co", "Cn",
    ];
    if CATEGORIES.contains(&name) {
        return Some(format!(r"\p{{{name}}}"));
    }
    const BLOCKS: &[(&str, u32, u32)] = &[
        ("BasicLatin", 0x0000, 0x007F),
        ("Latin-1Supplement", 0x0080, 0x00FF),
        ("LatinExtended-A", 0x0100, 0x017F),
        ("LatinExtended-B", 0x0180, 0x024F),
        ("IPAExtensions", 0x0250, 0x02AF),
        ("SpacingModifierLetters", 0x02B0, 0x02FF),
        ("CombiningDiacriticalMarks", 0x0300, 0x036F),
        ("Greek", 0x0370, 0x03FF),
        ("Cyrillic", 0x0400, 0x04FF),
        ("Armenian", 0x0530, 0x058F),
        ("Hebrew", 0x0590, 0x05FF),
        ("Arabic", 0x0600, 0x06FF),
        ("LatinExtendedAdditional", 0x1E00, 0x1EFF),
        ("GreekExtended", 0x1F00, 0x1FFF),
        ("GeneralPunctuation", 0x2000, 0x206F),
        ("SuperscriptsandSubscripts", 0x2070, 0x209F),
        ("CurrencySymbols", 0x20A0, 0x20CF),
        ("LetterlikeSymbols", 0x2100, 0x214F),
        ("NumberForms", 0x2150, 0x218F),
        ("Arrows", 0x2190, 0x21FF),
        ("MathematicalOperators", 0x2200, 0x22FF),
        ("BoxDrawing", 0x2500, 0x257F),
        ("PrivateUse", 0xE000, 0xF8FF),
        ("AlphabeticPresentationForms", 0xFB00, 0xFB4F),
        ("HalfwidthandFullwidthForms", 0xFF00, 0xFFEF),
        ("Specials", 0xFFF0, 0xFFFD),
    ];
    let block = name.strip_prefix("Is")?;
    BLOCKS
        .iter()
        .find(|(n, _, _)| *n == block)
        .map(|(_, a, b)| format!(r"[\x{{{a:X}}}-\x{{{b:X}}}]"))
}

#[cfg(test)]
mod tests {
    use super::{Pattern, Runs};

    /// Patterns checked by hand answer as the regex does, for any value.
    #[test]
    fn runs_match_as_the_regex_does() {
        use proptest::prelude::*;
        let patterns = [
            "[0-9]{6}-?[0-9]{4}",
            "[1-9][0-9]{7}",
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[a-f0-9]{8}-[a-f0-9]{4}",
            "[0-9]{4}",
            "[0-9]{2,4}",
            "[0-9]{2,}x",
            "a*b+c?",
            "[ab]{0,3}[c]*-",
            "DK[0-9]+",
            "",
        ];
        for p in patterns {
            assert!(Runs::of(p).is_some(), "{p} is checked by hand");
        }
        // Not of the form: left to the regex.
        for p in [
            "[0-9]*[0-9]{4}",
            "a?a",
            "[^0-9]",
            "[a-z-[aeiou]]",
            "\\d{4}",
            "(ab)+",
            "a|b",
            ".",
            "[-a]",
            "a{2,1}",
        ] {
            assert!(Runs::of(p).is_none(), "{p} is left to the regex");
        }
        let value = prop::collection::vec(
            prop::sample::select(vec![
                "0", "1", "9", "a", "f", "F", "g", "-", "b", "c", "x", "D", "K", "é", " ", "",
            ]),
            0..40,
        );
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 4000,
            ..Default::default()
        });
        let compiled: Vec<Pattern> = patterns.iter().map(|p| Pattern::new(p).expect("compiles")).collect();
        runner
            .run(&(value, 0..patterns.len()), |(value, k)| {
                let value = value.concat();
                let p = &compiled[k];
                prop_assert_eq!(
                    p.matches(&value),
                    p.regex.is_match(&value),
                    "{} on {:?}",
                    p.source,
                    value
                );
                Ok(())
            })
            .unwrap();
        // Values made to match, and near misses.
        for (p, v) in [
            ("[0-9]{6}-?[0-9]{4}", "1507804329"),
            ("[0-9]{6}-?[0-9]{4}", "150780-4329"),
            ("[0-9]{6}-?[0-9]{4}", "150780--4329"),
            ("[0-9]{2,}x", "12345x"),
            ("[0-9]{2,}x", "1x"),
        ] {
            let p = Pattern::new(p).expect("compiles");
            assert_eq!(p.matches(v), p.regex.is_match(v), "{} on {v:?}", p.source);
        }
    }

    fn m(p: &str, v: &str) -> bool {
        Pattern::new(p).unwrap_or_else(|e| panic!("{e}")).matches(v)
    }

    #[test]
    fn xsd_dialect() {
        assert!(m("[0-9]{6}-?[0-9]{4}", "150780-4329"));
        assert!(!m("[0-9]{6}-?[0-9]{4}", "x150780-4329"), "implicitly anchored");
        assert!(m("a^b$", "a^b$"), "^ and $ are ordinary characters");
        assert!(m("[a-z-[aeiou]]+", "bcd"));
        assert!(!m("[a-z-[aeiou]]+", "bad"));
        assert!(m(r"\i\c*", "xs:foo-1"));
        assert!(!m(r"\i\c*", "1foo"));
        assert!(m(r"\d+", "٣4"));
        assert!(m(r"\p{Lu}\p{Ll}*", "Åse"));
        assert!(m(r"[\p{IsBasicLatin}-[a-z]]+", "ABC"));
        assert!(m(r".+", "a b"));
        assert!(!m(r".+", "a\nb"));
        assert!(m(r"[+\-]?[0-9]+", "-12"));
        assert!(m(r"(a|)b", "b"));
        assert!(m("[^abc]", "d"));
        assert!(m("[-a]", "-"));
        assert!(m(r"[a\\\-.]+", r"a\-."), "escaped backslash and dash");
        assert!(m(r"\s", "\t"));
        assert!(m(r"[\w-[\d]]+", "abc"));
    }

    #[test]
    fn invalid_patterns_are_named() {
        for bad in ["(a", "a{2,1}", r"\q", "[a", "*a", r"\p{Nope}", "[]"] {
            let e = Pattern::new(bad).expect_err(bad);
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn hostile_value_is_linear() {
        let p = Pattern::new("(a+)+b").unwrap();
        let v = "a".repeat(100_000);
        assert!(!p.matches(&v));
    }
}
