//! The journal's filters, read from a query string: which entries `GET /__sfstub/journal` and
//! `/journal/count` return. Every value is checked; a bad one is an error naming the field.

use std::time::SystemTime;

use super::entry::{Entry, OutcomeKind};
use crate::conformance::Code;

/// The most entries one `GET /__sfstub/journal` returns; a larger `limit` is capped to it.
pub const MAX_LIMIT: usize = 1000;
/// Entries returned when no `limit` is given.
pub const DEFAULT_LIMIT: usize = 100;

/// Which entries to select (all given conditions must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Part of the service's title (case-insensitive), or an endpoint path starting with `/`.
    pub service: Option<String>,
    /// The operation's WSDL name or request element (case-insensitive).
    pub operation: Option<String>,
    /// The caller's CVR.
    pub caller: Option<String>,
    /// The CPR number asked about (digits; a hyphen is ignored).
    pub cpr: Option<String>,
    /// The outcome's kind, and optionally one of its codes (`refused:1003`).
    pub outcome: Option<(OutcomeKind, Option<String>)>,
    pub conformance: Option<Conformance>,
    /// Entries with a finding of this code.
    pub finding: Option<Code>,
    pub since: Option<Since>,
}

/// The conformance filter's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conformance {
    /// At least one finding with severity error.
    Fail,
    /// No finding with severity error.
    Pass,
    /// At least one finding, error or warning.
    Warn,
}

/// Entries after an entry ID (exclusive) or from a time on (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Id(u64),
    Time(SystemTime),
}

/// The order of returned entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest first.
    #[default]
    Desc,
    /// Oldest first (to page forward with `since`).
    Asc,
}

/// A bad filter value: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FilterError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> FilterError {
    FilterError {
        field,
        message: message.into(),
    }
}

impl Filter {
    /// Reads the filter fields of `params`; other names are left to the caller.
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Filter, FilterError> {
        let mut f = Filter::default();
        for (name, value) in params {
            match name {
                "service" => f.service = Some(nonempty("service", value)?.to_ascii_lowercase()),
                "operation" => f.operation = Some(nonempty("operation", value)?.to_ascii_lowercase()),
                "caller" => {
                    let v = nonempty("caller", value)?;
                    crate::world::Cvr::parse(v)
                        .map_err(|e| bad("caller", format!("{v:?} is not a CVR number: {e}")))?;
                    f.caller = Some(v.to_owned());
                }
                "cpr" => {
                    let v = nonempty("cpr", value)?;
                    let digits: String = v.chars().filter(|c| *c != '-').collect();
                    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(bad(
                            "cpr",
                            format!("{v:?} is not a CPR number (10 digits, DDMMYY-SSSS)"),
                        ));
                    }
                    f.cpr = Some(digits);
                }
                "outcome" => {
                    let (kind, code) = match value.split_once(':') {
                        Some((k, c)) => (k, Some(nonempty("outcome", c)?.to_owned())),
                        None => (value, None),
                    };
                    let kind = OutcomeKind::parse(kind).ok_or_else(|| {
                        bad(
                            "outcome",
                            format!(
                                "{value:?}: use ok, refused, fault or error, optionally with a code (refused:1003)"
                            ),
                        )
                    })?;
                    f.outcome = Some((kind, code));
                }
                "conformance" => {
                    f.conformance = Some(match value {
                        "fail" => Conformance::Fail,
                        "pass" => Conformance::Pass,
                        "warn" => Conformance::Warn,
                        _ => return Err(bad("conformance", format!("{value:?}: use fail, pass or warn"))),
                    })
                }
                "finding" => {
                    f.finding = Some(Code::parse(value).ok_or_else(|| {
                        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                        bad(
                            "finding",
                            format!("{value:?} is not a finding code; the codes: {}", codes.join(", ")),
                        )
                    })?)
                }
                "since" => f.since = Some(parse_since(value)?),
                _ => {}
            }
        }
        Ok(f)
    }

    /// True when `entry` meets every condition.
    pub fn matches(&self, entry: &Entry) -> bool {
        if let Some(since) = self.since {
            let after = match since {
                Since::Id(id) => entry.id > id,
                Since::Time(t) => entry.time >= t,
            };
            if !after {
                return false;
            }
        }
        if let Some(s) = &self.service {
            let hit = if s.starts_with('/') {
                entry
                    .path()
                    .trim_end_matches('/')
                    .eq_ignore_ascii_case(s.trim_end_matches('/'))
            } else {
                entry
                    .service
                    .is_some_and(|t| t.to_ascii_lowercase().contains(s.as_str()))
            };
            if !hit {
                return false;
            }
        }
        if let Some(op) = &self.operation
            && !entry.operation.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op))
        {
            return false;
        }
        if let Some(c) = &self.caller
            && entry.caller() != Some(c.as_str())
        {
            return false;
        }
        if let Some(c) = &self.cpr
            && entry.cpr_digits().as_deref() != Some(c.as_str())
        {
            return false;
        }
        if let Some((kind, code)) = &self.outcome {
            if entry.outcome != *kind {
                return false;
            }
            if let Some(code) = code
                && !entry.codes().iter().any(|c| c.eq_ignore_ascii_case(code))
            {
                return false;
            }
        }
        if let Some(c) = self.conformance {
            let hit = match c {
                Conformance::Fail => entry.fails(),
                Conformance::Pass => !entry.fails(),
                Conformance::Warn => !entry.findings().is_empty(),
            };
            if !hit {
                return false;
            }
        }
        if let Some(code) = self.finding
            && !entry.findings().iter().any(|f| f.code == code)
        {
            return false;
        }
        true
    }
}

fn nonempty<'a>(field: &'static str, value: &'a str) -> Result<&'a str, FilterError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(bad(field, "empty value"));
    }
    Ok(v)
}

/// `since`: an entry ID (entries after it) or an RFC 3339 time (entries from then on).
pub fn parse_since(value: &str) -> Result<Since, FilterError> {
    let v = nonempty("since", value)?;
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return v
            .parse()
            .map(Since::Id)
            .map_err(|_| bad("since", format!("{v:?} is too large for an entry ID")));
    }
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| Since::Time(t.with_timezone(&chrono::Utc).into()))
        .map_err(|e| {
            bad(
                "since",
                format!("{v:?} is neither an entry ID nor an RFC 3339 time such as 2026-11-22T12:00:00Z: {e}"),
            )
        })
}

/// `limit`: at least 1; above [`MAX_LIMIT`] it is capped. Returns the limit and whether it was capped.
pub fn parse_limit(value: Option<&str>) -> Result<(usize, bool), FilterError> {
    let Some(v) = value else {
        return Ok((DEFAULT_LIMIT, false));
    };
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("limit", format!("{v:?} is not a positive whole number")));
    }
    // Digits only: a parse failure means a number too large for usize, i.e. huge.
    let n = v.parse::<usize>().unwrap_or(usize::MAX);
    if n == 0 {
        return Err(bad("limit", "must be at least 1"));
    }
    Ok((n.min(MAX_LIMIT), n > MAX_LIMIT))
}

/// `order`: `desc` (newest first, the default) or `asc`.
pub fn parse_order(value: Option<&str>) -> Result<Order, FilterError> {
    match value {
        None | Some("desc") => Ok(Order::Desc),
        Some("asc") => Ok(Order::Asc),
        Some(other) => Err(bad("order", format!("{other:?}: use asc or desc"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> Result<Filter, FilterError> {
        Filter::from_params(q.iter().copied())
    }

    #[test]
    fn bad_values_name_their_field() {
        for (name, value) in [
            ("caller", "12"),
            ("cpr", "15078"),
            ("outcome", "great"),
            ("conformance", "maybe"),
            ("finding", "NOPE"),
            ("since", "yesterday"),
            ("service", " "),
        ] {
            let err = parse(&[(name, value)]).unwrap_err();
            assert_eq!(err.field, name, "{err}");
        }
        assert_eq!(parse_limit(Some("0")).unwrap_err().field, "limit");
        assert_eq!(parse_limit(Some("-3")).unwrap_err().field, "limit");
        assert_eq!(parse_order(Some("up")).unwrap_err().field, "order");
    }

    #[test]
    fn huge_limits_are_capped() {
        assert_eq!(parse_limit(Some("99999999999999999999999")).unwrap(), (MAX_LIMIT, true));
        assert_eq!(parse_limit(Some("5")).unwrap(), (5, false));
        assert_eq!(parse_limit(None).unwrap(), (DEFAULT_LIMIT, false));
    }

    #[test]
    fn values_are_read() {
        let f = parse(&[
            ("cpr", "150780-4329"),
            ("outcome", "refused:1003"),
            ("since", "2026-11-22T12:00:00Z"),
            ("finding", "soap_action"),
        ])
        .unwrap();
        assert_eq!(f.cpr.as_deref(), Some("1507804329"));
        assert_eq!(f.outcome, Some((OutcomeKind::Refused, Some("1003".into()))));
        assert!(matches!(f.since, Some(Since::Time(_))));
        assert_eq!(f.finding, Some(Code::SoapAction));
        assert_eq!(parse(&[("since", "17")]).unwrap().since, Some(Since::Id(17)));
    }
}
