//! The report for CI: every exchange since start (or the last clear), one case per distinct
//! service × operation × caller × outcome, with its conformance findings; as JSON and as
//! JUnit XML (one testsuite per service, one testcase per case, a failure per kind of
//! conformance error with the journal entries that showed it).
//!
//! The tally is kept beside the journal's ring, so the report still counts exchanges the ring
//! has since dropped; it is bounded by [`MAX_CASES`] cases of [`MAX_FINDINGS`] finding codes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::entry::{Entry, OutcomeKind};
use crate::conformance::Severity;
use crate::soap::xml::escape;

/// The most distinct cases the report itemises; exchanges beyond are only counted.
pub const MAX_CASES: usize = 1000;
/// The most distinct finding codes kept per case.
pub const MAX_FINDINGS: usize = 32;
/// The entry IDs kept per finding, as examples.
pub const MAX_EXAMPLES: usize = 10;

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// sfstub's version.
    pub sfstub: String,
    /// When the report was made (RFC 3339).
    pub generated: String,
    /// Exchanges counted.
    pub exchanges: u64,
    /// Exchanges with at least one error finding.
    pub failed: u64,
    /// Error findings, counted per exchange.
    pub errors: u64,
    /// Warning findings, counted per exchange.
    pub warnings: u64,
    /// Exchanges counted but not itemised (more than [`MAX_CASES`] distinct cases).
    pub untallied: u64,
    pub suites: Vec<Suite>,
}

/// The cases of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    /// The service's title, or `other` for paths no service answers.
    pub service: String,
    pub cases: Vec<Case>,
}

/// Exchanges of one operation by one caller with one outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub operation: String,
    pub caller: String,
    pub outcome: String,
    pub exchanges: u64,
    /// Total latency in seconds.
    pub seconds: f64,
    pub first_entry: u64,
    pub last_entry: u64,
    pub findings: Vec<CaseFinding>,
}

/// One finding code within a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFinding {
    pub code: String,
    pub severity: Severity,
    /// The message of its first occurrence.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Exchanges that had it.
    pub exchanges: u64,
    /// The first few journal entries that had it.
    pub entries: Vec<u64>,
}

impl Report {
    /// True when a finding at `level` or worse was seen.
    pub fn fails_at(&self, level: Severity) -> bool {
        match level {
            Severity::Error => self.errors > 0,
            Severity::Warning => self.errors > 0 || self.warnings > 0,
        }
    }

    /// The report as JUnit XML (Jenkins' and Ant's format).
    pub fn junit(&self) -> String {
        let mut x = String::with_capacity(4096);
        let tests: usize = self.suites.iter().map(|s| s.cases.len()).sum();
        let failures: usize = self
            .suites
            .iter()
            .map(|s| s.cases.iter().filter(|c| c.fails()).count())
            .sum();
        let seconds: f64 = self.suites.iter().flat_map(|s| &s.cases).map(|c| c.seconds).sum();
        x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuites name=\"sfstub\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">",
            time(seconds)
        );
        for (i, suite) in self.suites.iter().enumerate() {
            let failures = suite.cases.iter().filter(|c| c.fails()).count();
            let seconds: f64 = suite.cases.iter().map(|c| c.seconds).sum();
            let _ = writeln!(
                x,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{}\" \
                 timestamp=\"{}\" hostname=\"sfstub\" id=\"{i}\" package=\"sfstub\">",
                escape(&suite.service),
                suite.cases.len(),
                time(seconds),
                escape(&self.generated),
            );
            x.push_str("    <properties>\n");
            for (name, value) in [
                ("sfstub.version", self.sfstub.clone()),
                (
                    "sfstub.exchanges",
                    suite.cases.iter().map(|c| c.exchanges).sum::<u64>().to_string(),
                ),
            ] {
                let _ = writeln!(x, "      <property name=\"{name}\" value=\"{}\"/>", escape(&value));
            }
            x.push_str("    </properties>\n");
            for case in &suite.cases {
                case.junit(&suite.service, &mut x);
            }
            x.push_str("  </testsuite>\n");
        }
        x.push_str("</testsuites>\n");
        x
    }
}

impl Case {
    /// True when the case has an error finding.
    pub fn fails(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The test case's name.
    pub fn name(&self) -> String {
        format!("{} · caller {} · {}", self.operation, self.caller, self.outcome)
    }

    fn junit(&self, service: &str, x: &mut String) {
        let class = format!("sfstub.{}", service.split_whitespace().next().unwrap_or("other"));
        let _ = writeln!(
            x,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">",
            escape(&self.name()),
            escape(&class),
            time(self.seconds)
        );
        for f in self.findings.iter().filter(|f| f.severity == Severity::Error) {
            let _ = writeln!(
                x,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                escape(&f.code),
                escape(&f.message),
                escape(&f.details())
            );
        }
        let mut out = format!(
            "{} exchange(s), journal entries {}..{}\n",
            self.exchanges, self.first_entry, self.last_entry
        );
        for f in self.findings.iter().filter(|f| f.severity == Severity::Warning) {
            let _ = writeln!(out, "warning {}: {}", f.code, f.details());
        }
        let _ = writeln!(x, "      <system-out>{}</system-out>", escape(&out));
        x.push_str("    </testcase>\n");
    }
}

impl CaseFinding {
    /// The finding with where it was and which entries had it.
    pub fn details(&self) -> String {
        let mut s = self.message.clone();
        if let Some(p) = &self.path {
            let _ = write!(s, "\nat {p}");
            if let Some(l) = self.line {
                let _ = write!(s, ", line {l}");
            }
        }
        let refs: Vec<String> = self
            .entries
            .iter()
            .map(|id| format!("/__sfstub/journal/{id}"))
            .collect();
        let _ = write!(s, "\nin {} exchange(s), e.g. {}", self.exchanges, refs.join(" "));
        s
    }
}

/// A number of seconds as JUnit writes it (at most three decimals).
fn time(seconds: f64) -> String {
    format!("{seconds:.3}")
}

/// One case and what identifies it.
#[derive(Debug)]
struct Slot {
    /// The service's title (static, as the entries' are).
    service: &'static str,
    /// The operation, borrowed when the entry's was (its WSDL name): compared by address first.
    operation: Cow<'static, str>,
    kind: OutcomeKind,
    codes: Vec<String>,
    /// The HTTP status, which tells `error` outcomes apart.
    status: u16,
    case: Case,
}

impl Slot {
    fn is(&self, service: &str, operation: &str, caller: &str, e: &Entry) -> bool {
        same(self.service, service)
            && same(&self.operation, operation)
            && self.case.caller == caller
            && self.kind == e.outcome
            // Mostly both empty: then the slices' compare is not called (~19 instructions).
            && (self.codes.is_empty() && e.codes().is_empty() || self.codes == e.codes())
            && (self.kind != OutcomeKind::Error || self.status == e.status)
    }
}

/// `a == b`, told by address and length first: an exchange's service and operation names are
/// mostly the very static texts its case was made with (comparing the texts of the last
/// case's names cost ~90 instructions an exchange; callgrind on examples/request_cost).
fn same(a: &str, b: &str) -> bool {
    (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
}

/// The running tally behind the report.
#[derive(Debug, Default)]
pub struct Tally {
    cases: Vec<Slot>,
    /// Slots by a hash of what makes a case, seeded at random per process (a client cannot
    /// aim its calls at one bucket); foldhash, not SipHash: this runs for every exchange.
    index: HashMap<u64, Vec<usize>, foldhash::fast::RandomState>,
    /// The slot the last exchange counted into: tried before hashing, as the next exchange is
    /// mostly of the same case (hashing its names and looking the hash up cost ~150
    /// instructions more than comparing them).
    last: Option<usize>,
    exchanges: u64,
    failed: u64,
    errors: u64,
    warnings: u64,
    untallied: u64,
}

impl Tally {
    /// Counts one exchange.
    pub fn add(&mut self, e: &Entry) {
        self.exchanges += 1;
        let errors = e.findings().iter().filter(|f| f.severity == Severity::Error).count() as u64;
        self.errors += errors;
        self.warnings += e.findings().len() as u64 - errors;
        self.failed += u64::from(errors > 0);
        let service = e.service.unwrap_or("other");
        let operation = e.operation.as_deref().unwrap_or(e.method.as_str());
        let caller = e.caller().unwrap_or("anonymous");
        if let Some(i) = self.last
            && self
                .cases
                .get(i)
                .is_some_and(|slot| slot.is(service, operation, caller, e))
        {
            return self.count(i, e);
        }
        let mut h = self.index.hasher().build_hasher();
        (service, operation, caller, e.outcome, e.codes()).hash(&mut h);
        if e.outcome == OutcomeKind::Error {
            e.status.hash(&mut h);
        }
        let key = h.finish();
        let found = self.index.get(&key).and_then(|slots| {
            slots
                .iter()
                .copied()
                .find(|&i| self.cases[i].is(service, operation, caller, e))
        });
        let slot = match found {
            Some(i) => i,
            None if self.cases.len() >= MAX_CASES => {
                self.untallied += 1;
                return;
            }
            None => {
                self.cases.push(Slot {
                    service,
                    operation: match &e.operation {
                        Some(Cow::Borrowed(name)) => Cow::Borrowed(name),
                        _ => Cow::Owned(operation.to_owned()),
                    },
                    kind: e.outcome,
                    codes: e.codes().to_vec(),
                    status: e.status,
                    case: Case {
                        operation: operation.to_owned(),
                        caller: caller.to_owned(),
                        outcome: outcome_label(e),
                        exchanges: 0,
                        seconds: 0.0,
                        first_entry: e.id,
                        last_entry: e.id,
                        findings: Vec::new(),
                    },
                });
                self.index.entry(key).or_default().push(self.cases.len() - 1);
                self.cases.len() - 1
            }
        };
        self.last = Some(slot);
        self.count(slot, e);
    }

    /// Counts `e` into the case at `slot`.
    fn count(&mut self, slot: usize, e: &Entry) {
        let case = &mut self.cases[slot].case;
        case.exchanges += 1;
        case.seconds += e.latency().as_secs_f64();
        case.last_entry = e.id;
        for f in e.findings() {
            let code = f.code.as_str();
            if let Some(cf) = case.findings.iter_mut().find(|cf| cf.code == code) {
                cf.exchanges += 1;
                if cf.entries.len() < MAX_EXAMPLES && cf.entries.last() != Some(&e.id) {
                    cf.entries.push(e.id);
                }
            } else if case.findings.len() < MAX_FINDINGS {
                case.findings.push(CaseFinding {
                    code: code.to_owned(),
                    severity: f.severity,
                    message: f.message.clone(),
                    path: f.path.clone(),
                    line: f.line,
                    exchanges: 1,
                    entries: vec![e.id],
                });
            }
        }
    }

    /// The report of what was counted.
    pub fn report(&self) -> Report {
        let mut suites: Vec<Suite> = Vec::new();
        for Slot { service, case, .. } in &self.cases {
            match suites.iter_mut().find(|s| s.service == *service) {
                Some(s) => s.cases.push(case.clone()),
                None => suites.push(Suite {
                    service: (*service).to_owned(),
                    cases: vec![case.clone()],
                }),
            }
        }
        Report {
            sfstub: env!("CARGO_PKG_VERSION").to_owned(),
            generated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            exchanges: self.exchanges,
            failed: self.failed,
            errors: self.errors,
            warnings: self.warnings,
            untallied: self.untallied,
            suites,
        }
    }
}

/// The outcome as a case names it: the kind, then its codes (`refused 1003,1004`).
fn outcome_label(e: &Entry) -> String {
    let kind = e.outcome.name();
    match (e.outcome, e.codes().is_empty()) {
        (OutcomeKind::Error, _) => format!("{kind} {}", e.status),
        (_, true) => kind.to_owned(),
        (_, false) => format!("{kind} {}", e.codes().join(",")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64, caller: &str, kind: OutcomeKind, status: u16) -> Entry {
        Entry::example(id, caller, kind, status, "")
    }

    #[test]
    fn exchanges_count_into_their_own_case_whatever_came_before() {
        let mut tally = Tally::default();
        let cases = [
            ("64942212", OutcomeKind::Ok, 200),
            ("64942212", OutcomeKind::Ok, 200),
            ("11111111", OutcomeKind::Ok, 200),
            ("64942212", OutcomeKind::Error, 500),
            ("64942212", OutcomeKind::Error, 503),
            ("64942212", OutcomeKind::Error, 503),
            ("64942212", OutcomeKind::Ok, 200),
            ("11111111", OutcomeKind::Ok, 200),
        ];
        for (i, (caller, kind, status)) in cases.into_iter().enumerate() {
            tally.add(&entry(i as u64 + 1, caller, kind, status));
        }
        let counted: Vec<(String, String, u64, u64, u64)> = tally
            .report()
            .suites
            .into_iter()
            .flat_map(|s| s.cases)
            .map(|c| (c.caller, c.outcome, c.exchanges, c.first_entry, c.last_entry))
            .collect();
        let expected = [
            ("64942212", "ok", 3, 1, 7),
            ("11111111", "ok", 2, 3, 8),
            ("64942212", "error 500", 1, 4, 4),
            ("64942212", "error 503", 2, 5, 6),
        ]
        .map(|(c, o, n, first, last)| (c.to_owned(), o.to_owned(), n, first, last));
        assert_eq!(counted, expected);
        assert_eq!(tally.exchanges, 8);
    }

    #[test]
    fn names_count_alike_whether_or_not_they_are_the_same_texts() {
        let mut tally = Tally::default();
        let named = |id, operation: Cow<'static, str>, caller: String| {
            let mut e = entry(id, &caller, OutcomeKind::Ok, 200);
            e.operation = Some(operation);
            e
        };
        let owned = || Cow::Owned("KontrolsagListeHent".to_owned());
        tally.add(&named(1, owned(), "64942212".into()));
        tally.add(&named(2, Cow::Borrowed("KontrolsagListeHent"), "64942212".into()));
        tally.add(&named(3, owned(), "64942212".into()));
        tally.add(&named(4, Cow::Borrowed("KontrolsagListeHen"), "64942212".into()));
        tally.add(&named(5, owned(), "6494221".into()));
        let cases: Vec<(String, String, u64)> = tally
            .report()
            .suites
            .into_iter()
            .flat_map(|s| s.cases)
            .map(|c| (c.operation, c.caller, c.exchanges))
            .collect();
        let expected = [
            ("KontrolsagListeHent", "64942212", 3),
            ("KontrolsagListeHen", "64942212", 1),
            ("KontrolsagListeHent", "6494221", 1),
        ]
        .map(|(o, c, n)| (o.to_owned(), c.to_owned(), n));
        assert_eq!(cases, expected);
    }
}
