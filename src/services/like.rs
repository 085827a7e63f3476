//! SQL `LIKE`-style text patterns of the LoRa `soeg` operations (SF1500, SF1510 Klasse): `%`
//! stands for any text, and a pattern with `%` compares regardless of case. A pattern is
//! compiled once per request (lower-cased, split at `%`, runs of `%` merged), so matching one
//! text costs time bounded by the text, whatever the size of the pattern.

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Like {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// No `%`: the whole text, lower-cased when `folded`.
    Exact { text: String, folded: bool },
    /// `first%middle…%last`, lower-cased; empty middle parts dropped.
    Wildcards {
        first: String,
        middle: Vec<String>,
        last: String,
    },
}

impl Like {
    /// Compiles `pattern`. `exact_ignores_case` says whether a pattern without `%` compares
    /// regardless of case too (SF1500) or exactly (SF1510 Klasse).
    pub fn new(pattern: &str, exact_ignores_case: bool) -> Like {
        if !pattern.contains('%') {
            let text = if exact_ignores_case {
                pattern.to_lowercase()
            } else {
                pattern.to_owned()
            };
            return Like {
                kind: Kind::Exact {
                    text,
                    folded: exact_ignores_case,
                },
            };
        }
        let lower = pattern.to_lowercase();
        let mut parts = lower.split('%');
        let first = parts.next().unwrap_or_default().to_owned();
        let mut rest: Vec<String> = parts.map(str::to_owned).collect();
        let last = rest.pop().unwrap_or_default();
        rest.retain(|p| !p.is_empty());
        Like {
            kind: Kind::Wildcards {
                first,
                middle: rest,
                last,
            },
        }
    }

    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match &self.kind {
            Kind::Exact { text: pattern, folded } => {
                if *folded {
                    pattern.len() <= text.len() * 4 && *pattern == text.to_lowercase()
                } else {
                    pattern == text
                }
            }
            Kind::Wildcards { first, middle, last } => {
                if first.len() + last.len() > text.len() * 4 {
                    return false;
                }
                let text = text.to_lowercase();
                let Some(mut tail) = text.strip_prefix(first.as_str()) else {
                    return false;
                };
                for part in middle {
                    // A part longer than what is left cannot match (and is not searched for).
                    if part.len() > tail.len() {
                        return false;
                    }
                    match tail.find(part.as_str()) {
                        Some(i) => tail = &tail[i + part.len()..],
                        None => return false,
                    }
                }
                tail.ends_with(last.as_str())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(pattern: &str, text: &str) -> bool {
        Like::new(pattern, true).matches(text)
    }

    #[test]
    fn wildcards_match_regardless_of_case() {
        assert!(like("Aalborg Kommune", "aalborg kommune"));
        assert!(!like("Aalborg", "Aalborg Kommune"));
        assert!(like("Aal%", "Aalborg Kommune"));
        assert!(like("%kommune", "Aalborg Kommune"));
        assert!(like("%borg%", "Aalborg Kommune"));
        assert!(like("a%b%c", "abc"));
        assert!(like("a%%%b%%c", "abc"));
        assert!(!like("ab%ba", "aba"));
        assert!(like("%", ""));
        assert!(like("%%", "x"));
        assert!(!Like::new("SAMLIV", false).matches("samliv"));
        assert!(Like::new("sam%", false).matches("SAMLIV"));
    }

    #[test]
    fn a_huge_pattern_costs_no_more_than_the_text() {
        let pattern = "%a".repeat(500_000);
        let like = Like::new(&pattern, true);
        let start = std::time::Instant::now();
        for _ in 0..1000 {
            assert!(!like.matches("Aalborg Kommune"));
        }
        assert!(Like::new(&"%".repeat(500_000), true).matches("x"));
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
}
