//! Scenario files: the YAML format, its defaults and its validation.
//!
//! A scenario is the whole story of a run: seed, clock, population, hand-written persons with
//! exact cases, and the service settings. Loading reports every problem it finds, each with
//! file, line, column and field, and never half-applies a file.

use std::fmt;
use std::path::Path;

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Deserialize;

use crate::security::SecurityMode;
use crate::world::{BenefitId, StepId, ThemeId};

mod agreements;
mod contracts;
mod household;
pub(crate) mod shape;
mod validate;

use crate::world::{CaseStatus, Clock, Cpr, Cvr};
pub use agreements::{Agreement, Agreements, SystemCertificate, SystemPin};
use validate::Validator;

/// The built-in default scenario, compiled into the binary.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.yaml");
/// The name shown for the built-in scenario.
pub const DEFAULT_SCENARIO_FILE: &str = "<built-in default.yaml>";
/// The fictitious, modulus-11-valid CVR number sfstub gives Udbetaling Danmark by default.
pub const DEFAULT_UDK_CVR: &str = "14720006";
/// ATP's CVR number.
pub const ATP_CVR: &str = "43405810";
/// The default namespace of SF1472's request and response elements.
pub const DEFAULT_SF1472_NAMESPACE: &str = "http://www.kombit.dk/int/2022/01/01/";
/// The default model revision sfstub writes on `KontrolsagListeHent_O`.
pub const DEFAULT_SF1472_REVISION: &str = "1";

/// A validated scenario, ready to build a world from.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub seed: u64,
    pub clock: Clock,
    /// The date relative dates (`-30d`) were resolved against: the clock's date at load.
    pub anchor: NaiveDate,
    pub udk_cvr: Cvr,
    pub cpr: CprOptions,
    pub population: Population,
    /// Generation weight per theme, indexed by [`ThemeId`].
    pub theme_weights: Vec<u32>,
    pub persons: Vec<Person>,
    pub sf1472: Sf1472Options,
    pub security: SecurityOptions,
    pub agreements: Agreements,
    /// SF services served from their contracts (`contracts:`; `serve --contract` adds more),
    /// loaded and prepared.
    pub contracts: Vec<std::sync::Arc<crate::engine::Prepared>>,
    /// Fault and latency rules (`faults:`), armed at load.
    pub faults: Vec<crate::faults::Rule>,
}

/// The scenario's security settings; `--security`, `--clock-skew`, `--security-clock`,
/// `--max-timestamp-age` and `--max-timestamp-lifetime` override them.
#[derive(Debug, Clone, Copy)]
pub struct SecurityOptions {
    pub mode: SecurityMode,
    /// Tolerated clock difference, in seconds, for Timestamps and token validity.
    pub clock_skew: u32,
    /// The security clock: what Timestamps and token lifetimes are judged and issued against.
    /// Real time unless pinned (`security.clock`); never the world's clock, which only fixes
    /// the business "today".
    pub clock: Clock,
    /// How old, in seconds, a request's `wsu:Timestamp` may be (its `Created`, beyond the
    /// clock skew) in strict mode and at the STS.
    pub max_timestamp_age: u32,
    /// The longest lifetime, in seconds, of a `wsu:Timestamp` (`Expires` − `Created`).
    pub max_timestamp_lifetime: u32,
}

impl Default for SecurityOptions {
    fn default() -> Self {
        SecurityOptions {
            mode: SecurityMode::Off,
            clock_skew: 300,
            clock: Clock::Now,
            max_timestamp_age: crate::security::DEFAULT_MAX_TIMESTAMP_AGE,
            max_timestamp_lifetime: crate::security::DEFAULT_MAX_TIMESTAMP_LIFETIME,
        }
    }
}

/// How generated CPR numbers look.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CprOptions {
    /// Generate numbers that pass modulus 11.
    pub modulus11: bool,
    /// Generate replacement numbers (day + 60), which can never be a real person's.
    pub replacement: bool,
}

impl Default for CprOptions {
    fn default() -> Self {
        CprOptions {
            modulus11: true,
            replacement: false,
        }
    }
}

/// The generated population beside the hand-written persons.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Population {
    /// How many citizens to generate.
    pub citizens: u32,
    /// The share (0 to 1) of generated citizens that have control cases.
    pub with_cases: f64,
}

impl Default for Population {
    fn default() -> Self {
        Population {
            citizens: 2000,
            with_cases: 0.15,
        }
    }
}

/// Settings of the SF1472 contract that are not fixed by the law.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sf1472Options {
    /// The namespace of `KontrolsagListeHent_I`/`_O` in the published WSDL and in answers to
    /// requests that use no namespace.
    pub namespace: String,
    /// The `revision` attribute written on `KontrolsagListeHent_O`.
    pub revision: String,
}

impl Default for Sf1472Options {
    fn default() -> Self {
        Sf1472Options {
            namespace: DEFAULT_SF1472_NAMESPACE.to_owned(),
            revision: DEFAULT_SF1472_REVISION.to_owned(),
        }
    }
}

/// A hand-written citizen with exactly the cases written.
#[derive(Debug, Clone)]
pub struct Person {
    pub cpr: Cpr,
    pub name: Option<(String, String)>,
    pub kommunekode: String,
    pub cases: Vec<CaseSpec>,
    /// The address CPR gives (SF1520); drawn in the municipality when not written.
    pub address: Option<AddressSpec>,
    /// Relations CPR gives (SF1520), by CPR number; drawn (scenario) or none (added) when not
    /// written.
    pub relations: Relations,
}

/// A hand-written address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressSpec {
    pub street: String,
    pub number: u16,
    /// 0 is stuen.
    pub floor: Option<u8>,
    /// `th`, `tv` or `mf`.
    pub door: Option<String>,
    /// Postcode and post town; the municipality's main town when not written.
    pub place: Option<(String, String)>,
    pub moved_in: Option<NaiveDate>,
}

/// Hand-written relations, by CPR number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    pub spouse: Option<Cpr>,
    pub mother: Option<Cpr>,
    pub father: Option<Cpr>,
    pub children: Vec<Cpr>,
}

impl Relations {
    /// Every CPR number named, with the field naming it.
    pub fn named(&self) -> Vec<(String, Cpr)> {
        let mut out = Vec::new();
        for (f, c) in [
            ("spouse", self.spouse),
            ("mother", self.mother),
            ("father", self.father),
        ] {
            if let Some(c) = c {
                out.push((f.to_owned(), c));
            }
        }
        out.extend(
            self.children
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("children[{i}]"), *c)),
        );
        out
    }

    /// True when none is written.
    pub fn is_empty(&self) -> bool {
        self.named().is_empty()
    }
}

/// Who holds a hand-written case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Udk,
    Kommune(String),
}

/// A hand-written control case.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    pub holder: Holder,
    pub theme: ThemeId,
    pub benefit: BenefitId,
    pub status: CaseStatus,
    pub opened: NaiveDate,
    pub closed: Option<NaiveDate>,
    pub steps: Vec<(StepId, NaiveDate)>,
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based; 0 when the problem has no position (the file cannot be read, is empty).
    pub line: u64,
    pub column: u64,
    /// The field's path, e.g. `persons[0].cases[1].holder`; empty for the whole file.
    pub field: String,
    pub message: String,
}

/// Every problem found in one scenario file.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ScenarioError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(f, "{} has {n} problem{}:", self.file, if n == 1 { "" } else { "s" })?;
        for p in &self.problems {
            // A problem of the whole file (it cannot be read, it is empty) has no position,
            // and one without a field names none.
            write!(f, "\n  {}", self.file)?;
            if p.line > 0 {
                write!(f, ":{}:{}", p.line, p.column)?;
            }
            if !p.field.is_empty() {
                write!(f, ": {}", p.field)?;
            }
            write!(f, ": {}", p.message)?;
        }
        Ok(())
    }
}

impl Scenario {
    /// The built-in default scenario.
    pub fn builtin() -> Scenario {
        Scenario::parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE, None).expect("the built-in scenario is valid")
    }

    /// Reads and validates a scenario file.
    pub fn load(path: &Path, clock: Option<Clock>) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            problems: vec![Problem {
                line: 0,
                column: 0,
                field: String::new(),
                message: format!("cannot read: {e}"),
            }],
        })?;
        Scenario::parse(&text, &file, clock)
    }

    /// Serves the contract of a WSDL beside the scenario's (`serve --contract`): path, entity
    /// ID and title from the WSDL, no rules. An error names what is wrong.
    pub fn add_contract_file(&mut self, wsdl: &Path) -> Result<(), String> {
        contracts::add_file(&mut self.contracts, wsdl)
    }

    /// Parses and validates scenario text. `file` names it in errors; `clock` overrides the
    /// scenario's own clock (`--clock`).
    pub fn parse(text: &str, file: &str, clock: Option<Clock>) -> Result<Scenario, ScenarioError> {
        let fail = |problems| ScenarioError {
            file: file.to_owned(),
            problems,
        };
        // Every unknown field and wrong type at once; then the typed parse, which the shape
        // check has made sure succeeds (it still has the last word).
        shape::check(text).map_err(fail)?;
        let mut raw: validate::RawScenario =
            shape::from_yaml(text).map_err(|e| fail(vec![shape::syntax_problem(&e)]))?;
        let raw_contracts = std::mem::take(&mut raw.contracts);
        let mut v = Validator {
            problems: Vec::new(),
            contract_services: !raw_contracts.is_empty(),
        };
        let scenario = v.scenario(raw, clock);
        // Contracts are loaded relative to the scenario file, their problems reported with
        // the scenario's.
        let contracts = contracts::prepare(&raw_contracts, text, file, &mut v.problems);
        match scenario {
            Some(mut s) if v.problems.is_empty() => {
                s.contracts = contracts;
                Ok(s)
            }
            _ => Err(ScenarioError {
                file: file.to_owned(),
                problems: v.problems,
            }),
        }
    }
}

/// The shape of `persons: [...]` on its own.
const PERSONS: &[shape::Field] = &[shape::field(
    "persons",
    shape::Need::Required,
    shape::Shape::List(&shape::Shape::Record(shape::PERSON)),
)];

/// The shape of `faults: [...]` on its own.
const FAULTS: &[shape::Field] = &[shape::field(
    "faults",
    shape::Need::Required,
    shape::Shape::List(&shape::Shape::Record(crate::faults::read::RULE)),
)];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped<T> {
    #[serde(default = "Vec::new", alias = "faults")]
    persons: Vec<T>,
}

/// Reads items given on their own (one, a list, or under `key`) after the shape check.
fn fragment<T: serde::de::DeserializeOwned>(
    text: &str,
    key: &str,
    item: &'static [shape::Field],
    wrapped: &'static [shape::Field],
) -> Result<(shape::Form, Vec<T>), Vec<Problem>> {
    let form = shape::check_fragment(text, key, shape::Shape::Record(item), shape::Shape::Record(wrapped))?;
    let parsed = match form {
        shape::Form::One => shape::from_yaml::<T>(text).map(|t| vec![t]),
        shape::Form::List => shape::from_yaml::<Vec<T>>(text),
        shape::Form::Wrapped => shape::from_yaml::<Wrapped<T>>(text).map(|w| w.persons),
    };
    parsed
        .map(|items| (form, items))
        .map_err(|e| vec![shape::syntax_problem(&e)])
}

/// How the i-th item of a body of `form` is named in problems.
fn item_name(form: shape::Form, key: &str, i: usize) -> String {
    match form {
        shape::Form::One => String::new(),
        shape::Form::List => format!("[{i}]"),
        shape::Form::Wrapped => format!("{key}[{i}]"),
    }
}

/// Hand-written persons given on their own, for the admin API: one person, a list, or
/// `persons: [...]` exactly as in a scenario file (JSON is YAML too). Relative dates are
/// resolved against `anchor`. Problems name fields as `sfstub validate` does.
pub fn parse_persons(text: &str, anchor: NaiveDate) -> Result<Vec<Person>, Vec<Problem>> {
    let (form, raw) = fragment::<validate::RawPerson>(text, "persons", shape::PERSON, PERSONS)?;
    let mut v = Validator {
        problems: Vec::new(),
        contract_services: false,
    };
    let persons = v.persons(&raw, &|i| item_name(form, "persons", i), anchor);
    // One person on its own: its fields are named from the top (`cpr`, not `.cpr`).
    for p in &mut v.problems {
        if let Some(rest) = p.field.strip_prefix('.') {
            p.field = rest.to_owned();
        }
    }
    if v.problems.is_empty() {
        Ok(persons)
    } else {
        Err(v.problems)
    }
}

/// Fault rules given on their own, for the admin API: one rule, a list, or `faults: [...]` as
/// in a scenario file. `seed` is the scenario's; `next_id` names a rule without an `id`.
pub fn parse_faults(
    text: &str,
    seed: u64,
    next_id: &mut dyn FnMut() -> String,
    serves: &dyn Fn(&str) -> bool,
) -> Result<Vec<crate::faults::Rule>, Vec<Problem>> {
    let (form, raw) = fragment::<crate::faults::read::RawRule>(text, "faults", crate::faults::read::RULE, FAULTS)?;
    let mut problems = Vec::new();
    let mut rules: Vec<crate::faults::Rule> = Vec::new();
    for (i, rule) in raw.into_iter().enumerate() {
        let at = item_name(form, "faults", i);
        let id = rule.id_span();
        let mut report = |line, column, field, message| {
            problems.push(Problem {
                line,
                column,
                field,
                message,
            })
        };
        if let Some(rule) = rule.validate(&at, next_id, seed, serves, &mut report) {
            if let Some(first) = rules.iter().position(|r| r.id == rule.id) {
                let (line, column) = id.unwrap_or((0, 0));
                let field = if at.is_empty() {
                    "id".to_owned()
                } else {
                    format!("{at}.id")
                };
                report(
                    line,
                    column,
                    field,
                    format!("{:?} is also given for rule #{first}", rule.id),
                );
            }
            rules.push(rule);
        }
    }
    if problems.is_empty() { Ok(rules) } else { Err(problems) }
}

/// The parser's message without its snippet and without the location we print ourselves.
fn first_line(rendered: &str) -> String {
    let line = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(rendered)
        .trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.strip_prefix("line ").and_then(|rest| rest.split_once(": ")) {
        Some((_, message)) => message.to_owned(),
        None => line.to_owned(),
    }
}

/// Parses a scenario clock: `now` or an RFC 3339 instant.
pub fn parse_clock(text: &str) -> Result<Clock, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(Clock::Now);
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| Clock::Fixed(d.with_timezone(&Utc)))
        .map_err(|e| format!("{t:?} is neither \"now\" nor an RFC 3339 time such as 2026-11-22T12:00:00Z ({e})"))
}

/// Parses a date: `YYYY-MM-DD`, or an offset from `anchor` such as `-30d`, `-2w`, `-6m`, `-1y`.
pub fn parse_date(text: &str, anchor: NaiveDate) -> Result<NaiveDate, String> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d);
    }
    let bad = || format!("{t:?} is neither a date (2026-05-01) nor an offset from the clock (-30d, -2w, -6m, -1y)");
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'-') => (-1i64, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    // The unit is the last character, whatever its width; the number before it may be huge.
    let Some(unit) = rest.chars().last() else {
        return Err(bad());
    };
    let number = &rest[..rest.len() - unit.len_utf8()];
    let n: i64 = number.parse().map_err(|_| bad())?;
    let n = n.checked_mul(sign).ok_or_else(bad)?;
    let months = |m: Option<i64>| {
        let count = m.and_then(|m| u32::try_from(m.unsigned_abs()).ok()).ok_or_else(bad)?;
        let shifted = match m {
            Some(m) if m < 0 => anchor.checked_sub_months(Months::new(count)),
            _ => anchor.checked_add_months(Months::new(count)),
        };
        shifted.ok_or_else(bad)
    };
    let days = |d: Option<chrono::Duration>| d.and_then(|d| anchor.checked_add_signed(d)).ok_or_else(bad);
    match unit {
        'd' => days(chrono::Duration::try_days(n)),
        'w' => days(chrono::Duration::try_weeks(n)),
        'm' => months(Some(n)),
        'y' => months(n.checked_mul(12)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn relative_and_absolute_dates() {
        assert_eq!(
            parse_date("-30d", anchor()).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 23).unwrap()
        );
        assert_eq!(
            parse_date("-6m", anchor()).unwrap(),
            NaiveDate::from_ymd_opt(2026, 5, 22).unwrap()
        );
        assert_eq!(
            parse_date("-1y", anchor()).unwrap(),
            NaiveDate::from_ymd_opt(2025, 11, 22).unwrap()
        );
        assert_eq!(
            parse_date("2026-01-02", anchor()).unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()
        );
        assert!(parse_date("yesterday", anchor()).is_err());
        assert!(parse_date("-3x", anchor()).is_err());
    }

    #[test]
    fn the_builtin_scenario_is_valid() {
        let s = Scenario::builtin();
        assert_eq!(s.name, "default");
        assert!(!s.persons.is_empty());
    }

    #[test]
    fn unknown_fields_are_refused_with_their_line() {
        let err = Scenario::parse("name: x\nseed: 1\npopulaton: {}\n", "x.yaml", None).unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert_eq!(err.problems[0].line, 3);
        assert_eq!(err.problems[0].field, "populaton");
        assert!(err.problems[0].message.contains("did you mean `population`"), "{err}");
    }

    #[test]
    fn every_structural_problem_of_a_file_is_reported_at_once() {
        let err = Scenario::parse("name: x\nseeed: 1\npopulation:\n  citizens: lots\n", "my.yaml", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "my.yaml has 2 problems:\n  my.yaml:2:1: seeed: unknown field; did you mean `seed`?\n  \
             my.yaml:4:13: population.citizens: lots is not a whole number from 0 to 4294967295"
        );
    }

    #[test]
    fn a_file_that_cannot_be_read_has_no_position() {
        let err = Scenario::load(Path::new("/nonexistent/my.yaml"), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("/nonexistent/my.yaml has 1 problem:\n  /nonexistent/my.yaml: cannot read: "),
            "{err}"
        );
        assert!(!err.contains(":0:0"), "{err}");
    }

    #[test]
    fn every_semantic_problem_is_reported_with_line_and_field() {
        let text = "\
name: broken
clock: 2026-11-22T12:00:00Z
persons:
  - cpr: \"3102801234\"
    kommune: \"9999\"
    cases:
      - holder: UDK
        theme: SAMLIV
        benefit: KONTANTHJAELP
        status: AABEN
        opened: -30d
        closed: -10d
";
        let err = Scenario::parse(text, "broken.yaml", None).unwrap_err();
        let fields: Vec<_> = err.problems.iter().map(|p| (p.line, p.field.as_str())).collect();
        assert_eq!(
            fields,
            vec![
                (4, "persons[0].cpr"),
                (5, "persons[0].kommune"),
                (9, "persons[0].cases[0].benefit"),
                (12, "persons[0].cases[0].closed"),
            ],
            "{err}"
        );
        assert!(err.to_string().contains("broken.yaml:4:"), "{err}");
    }

    #[test]
    fn an_agreements_system_is_a_thumbprint_or_a_subject() {
        let with = |system: &str| {
            format!("name: x\nagreements:\n  - cvr: \"29189846\"\n    services: [\"*\"]\n    system: \"{system}\"\n")
        };
        let ok = Scenario::parse(&with(&"ab".repeat(32)), "x.yaml", None).unwrap();
        let list = ok.agreements.0.unwrap();
        assert_eq!(list[0].system, Some(SystemPin::Thumbprint([0xab; 32])));
        let ok = Scenario::parse(&with("CN=x, O=y"), "x.yaml", None).unwrap();
        assert_eq!(
            ok.agreements.0.unwrap()[0].system,
            Some(SystemPin::Subject("CN=x, O=y".into()))
        );
        for (bad, says) in [("my system", "neither"), (&"cd".repeat(20), "SHA-1")] {
            let err = Scenario::parse(&with(bad), "x.yaml", None).unwrap_err();
            assert_eq!(err.problems.len(), 1, "{err}");
            assert_eq!(
                (err.problems[0].line, err.problems[0].field.as_str()),
                (5, "agreements[0].system")
            );
            assert!(err.problems[0].message.contains(says), "{err}");
        }
    }
}
