//! Scenario files: the YAML format, its defaults and its validation.
//!
//! A scenario is the whole story of a run: seed, clock, population, hand-written persons with
//! exact cases, and the service settings. Loading reports every problem it finds, each with
//! file, line, column and field, and never half-applies a file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::security::SecurityMode;
use crate::world::{BenefitId, StepId, ThemeId};
use crate::world::{CaseStatus, Clock, Cpr, Cvr, Klassifikation, Sector, World, kommuner};

/// The built-in default scenario, compiled into the binary.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.yaml");
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
}

/// The scenario's security settings; `--security` overrides the mode.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityOptions {
    pub mode: SecurityMode,
    /// Tolerated clock difference, in seconds, for Timestamps and token validity.
    pub clock_skew: u32,
}

impl Default for SecurityOptions {
    fn default() -> Self {
        SecurityOptions {
            mode: SecurityMode::Off,
            clock_skew: 300,
        }
    }
}

/// Service agreements (serviceaftaler): who may call which service. Without a list, every
/// municipality and Udbetaling Danmark may call every service.
#[derive(Debug, Clone, Default)]
pub struct Agreements(pub Option<Vec<Agreement>>);

/// One service agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// The authority, or `None` for `cvr: "*"` (anyone).
    pub cvr: Option<Cvr>,
    /// Entity IDs of the services, or `*` for all.
    pub services: Vec<String>,
    /// Only this user system may act for the CVR: its certificate's subject or SHA-256
    /// thumbprint (hex). Checked in the token model.
    pub system: Option<String>,
}

impl Agreements {
    /// Whether `cvr` may call the service `entity_id`, acting through the user system with
    /// this certificate subject and thumbprint (token model). The error explains the refusal.
    pub fn check(
        &self,
        world: &World,
        cvr: Cvr,
        entity_id: &str,
        system: Option<&str>,
        thumbprint: Option<&[u8; 32]>,
    ) -> Result<(), String> {
        let name = || {
            world
                .authority_by_cvr(cvr)
                .map(|a| format!("CVR {cvr} ({})", world.authority(a).name))
                .unwrap_or_else(|| format!("CVR {cvr}"))
        };
        let Some(list) = &self.0 else {
            let allowed = world
                .authority_by_cvr(cvr)
                .is_some_and(|a| matches!(world.authority(a).sector, Sector::Udk | Sector::Kommune));
            return if allowed {
                Ok(())
            } else {
                Err(format!(
                    "{} has no service agreement for {entity_id}: without an `agreements` list in the scenario only the municipalities and Udbetaling Danmark have one",
                    name()
                ))
            };
        };
        let for_service: Vec<&Agreement> = list
            .iter()
            .filter(|a| a.cvr.is_none_or(|c| c == cvr) && a.services.iter().any(|s| s == "*" || s == entity_id))
            .collect();
        if for_service.is_empty() {
            return Err(format!(
                "no service agreement in the scenario lets {} use {entity_id}",
                name()
            ));
        }
        let hex = thumbprint.map(|t| t.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let system_matches = |pinned: &str| {
            system.is_some_and(|s| s == pinned) || hex.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(pinned))
        };
        match for_service.iter().find(|a| {
            a.system
                .as_deref()
                .is_none_or(|p| system.is_none() || system_matches(p))
        }) {
            Some(_) => Ok(()),
            None => Err(format!(
                "the service agreement for {} and {entity_id} names the user system {}, but the token's certificate is {}",
                name(),
                for_service
                    .iter()
                    .filter_map(|a| a.system.as_deref())
                    .collect::<Vec<_>>()
                    .join(" or "),
                system.unwrap_or("unknown")
            )),
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
    pub line: u64,
    pub column: u64,
    /// The field's path, e.g. `persons[0].cases[1].holder`.
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
            write!(
                f,
                "\n  {}:{}:{}: {}: {}",
                self.file, p.line, p.column, p.field, p.message
            )?;
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
                field: "(file)".into(),
                message: format!("cannot read: {e}"),
            }],
        })?;
        Scenario::parse(&text, &file, clock)
    }

    /// Parses and validates scenario text. `file` names it in errors; `clock` overrides the
    /// scenario's own clock (`--clock`).
    pub fn parse(text: &str, file: &str, clock: Option<Clock>) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = serde_saphyr::from_str(text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            ScenarioError {
                file: file.to_owned(),
                problems: vec![Problem {
                    line,
                    column,
                    field: "(structure)".into(),
                    message: first_line(&e.to_string()),
                }],
            }
        })?;
        let mut v = Validator { problems: Vec::new() };
        let scenario = v.scenario(raw, clock);
        match scenario {
            Some(s) if v.problems.is_empty() => Ok(s),
            _ => Err(ScenarioError {
                file: file.to_owned(),
                problems: v.problems,
            }),
        }
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default)]
    clock: Option<Spanned<String>>,
    #[serde(default)]
    udk_cvr: Option<Spanned<String>>,
    #[serde(default)]
    cpr: CprOptions,
    #[serde(default)]
    population: Option<Spanned<Population>>,
    #[serde(default)]
    themes: Option<BTreeMap<String, Spanned<u32>>>,
    #[serde(default)]
    persons: Vec<RawPerson>,
    #[serde(default)]
    sf1472: Sf1472Options,
    #[serde(default)]
    security: SecurityOptions,
    #[serde(default)]
    agreements: Option<Vec<RawAgreement>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    cvr: Spanned<String>,
    services: Vec<Spanned<String>>,
    #[serde(default)]
    system: Option<String>,
}

fn default_seed() -> u64 {
    1472
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    cpr: Spanned<String>,
    #[serde(default)]
    name: Option<Spanned<String>>,
    kommune: Spanned<String>,
    #[serde(default)]
    cases: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    holder: Spanned<String>,
    theme: Spanned<String>,
    benefit: Spanned<String>,
    status: Spanned<String>,
    opened: Spanned<String>,
    #[serde(default)]
    closed: Option<Spanned<String>>,
    #[serde(default)]
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    at: Spanned<String>,
}

struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn report<T>(&mut self, at: &Spanned<T>, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            line: at.referenced.line(),
            column: at.referenced.column(),
            field: field.into(),
            message: message.into(),
        });
    }

    fn scenario(&mut self, raw: RawScenario, clock_override: Option<Clock>) -> Option<Scenario> {
        let classes = Klassifikation::builtin();
        if raw.name.value.trim().is_empty() {
            self.report(&raw.name, "name", "must not be empty");
        }
        let clock = match (clock_override, &raw.clock) {
            (Some(c), _) => c,
            (None, None) => Clock::Now,
            (None, Some(text)) => match parse_clock(&text.value) {
                Ok(c) => c,
                Err(e) => {
                    self.report(text, "clock", e);
                    Clock::Now
                }
            },
        };
        let anchor = clock.today();
        let udk_cvr = match &raw.udk_cvr {
            None => Cvr::parse(DEFAULT_UDK_CVR).ok(),
            Some(text) => match Cvr::parse(&text.value) {
                Ok(cvr) if kommuner().iter().any(|k| k.cvr == cvr.to_string()) || cvr.to_string() == ATP_CVR => {
                    self.report(text, "udk_cvr", format!("{cvr} already belongs to another authority"));
                    None
                }
                Ok(cvr) => Some(cvr),
                Err(e) => {
                    self.report(text, "udk_cvr", e.to_string());
                    None
                }
            },
        };
        let population = raw.population.as_ref().map(|p| p.value).unwrap_or_default();
        if let Some(p) = &raw.population {
            if !(0.0..=1.0).contains(&p.value.with_cases) {
                self.report(
                    p,
                    "population.with_cases",
                    format!("must be between 0 and 1, got {}", p.value.with_cases),
                );
            }
            if p.value.citizens > 5_000_000 {
                self.report(
                    p,
                    "population.citizens",
                    format!("at most 5000000 citizens, got {}", p.value.citizens),
                );
            }
        }
        let mut theme_weights: Vec<u32> = classes.themes.iter().map(|t| t.default_weight).collect();
        if let Some(themes) = &raw.themes {
            theme_weights.iter_mut().for_each(|w| *w = 0);
            for (key, weight) in themes {
                match classes.theme(key) {
                    Some(id) => theme_weights[usize::from(id)] = weight.value,
                    None => self.report(
                        weight,
                        format!("themes.{key}"),
                        format!("unknown theme; known themes: {}", classes.theme_keys().join(", ")),
                    ),
                }
            }
            if themes.values().all(|w| w.value == 0)
                && let Some(w) = themes.values().next()
            {
                self.report(w, "themes", "at least one theme needs a weight above 0");
            }
        }
        let mut seen = std::collections::HashMap::new();
        let persons: Vec<Person> = raw
            .persons
            .iter()
            .enumerate()
            .filter_map(|(i, p)| self.person(i, p, &classes, anchor, &mut seen))
            .collect();
        if raw.sf1472.namespace.trim().is_empty() {
            self.problems.push(Problem {
                line: 0,
                column: 0,
                field: "sf1472.namespace".into(),
                message: "must not be empty".into(),
            });
        }
        let agreements = Agreements(raw.agreements.as_ref().map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, a)| self.agreement(i, a))
                .collect()
        }));
        Some(Scenario {
            name: raw.name.value,
            description: raw.description,
            seed: raw.seed,
            clock,
            anchor,
            udk_cvr: udk_cvr?,
            cpr: raw.cpr,
            population,
            theme_weights,
            persons,
            sf1472: raw.sf1472,
            security: raw.security,
            agreements,
        })
    }

    /// Hand-written persons may always use replacement numbers: they cannot be real.
    fn person(
        &mut self,
        i: usize,
        raw: &RawPerson,
        classes: &Klassifikation,
        anchor: NaiveDate,
        seen: &mut std::collections::HashMap<Cpr, usize>,
    ) -> Option<Person> {
        let at = format!("persons[{i}]");
        let cpr = match Cpr::parse(&raw.cpr.value, true) {
            Ok(cpr) => {
                if let Some(first) = seen.insert(cpr, i) {
                    self.report(&raw.cpr, format!("{at}.cpr"), format!("{cpr} is also persons[{first}]"));
                }
                Some(cpr)
            }
            Err(e) => {
                self.report(&raw.cpr, format!("{at}.cpr"), e.to_string());
                None
            }
        };
        let name = match &raw.name {
            None => None,
            Some(n) => {
                let mut parts = n.value.split_whitespace().collect::<Vec<_>>();
                if parts.len() < 2 {
                    self.report(n, format!("{at}.name"), "give a first and a last name");
                    None
                } else {
                    let last = parts.pop().unwrap_or_default().to_owned();
                    Some((parts.join(" "), last))
                }
            }
        };
        let kommune = self.kommunekode(&raw.kommune, &format!("{at}.kommune"));
        let cases: Vec<CaseSpec> = raw
            .cases
            .iter()
            .enumerate()
            .filter_map(|(j, c)| self.case(&format!("{at}.cases[{j}]"), c, classes, anchor))
            .collect();
        let complete = cases.len() == raw.cases.len();
        Some(Person {
            cpr: cpr?,
            name,
            kommunekode: kommune?,
            cases,
        })
        .filter(|_| complete)
    }

    fn agreement(&mut self, i: usize, raw: &RawAgreement) -> Option<Agreement> {
        let at = format!("agreements[{i}]");
        let cvr = match Cvr::parse(&raw.cvr.value) {
            _ if raw.cvr.value.trim() == "*" => Some(None),
            Ok(cvr) => Some(Some(cvr)),
            Err(e) => {
                self.report(&raw.cvr, format!("{at}.cvr"), format!("{e}, or \"*\" for any caller"));
                None
            }
        };
        for (k, s) in raw.services.iter().enumerate() {
            if s.value != "*" && !s.value.contains("://") {
                self.report(
                    s,
                    format!("{at}.services[{k}]"),
                    format!(
                        "{:?} is neither \"*\" nor a service entity ID such as {}",
                        s.value,
                        crate::services::sf1472_kontrolsag::ENTITY_ID
                    ),
                );
            }
        }
        Some(Agreement {
            cvr: cvr?,
            services: raw.services.iter().map(|s| s.value.clone()).collect(),
            system: raw.system.clone(),
        })
    }

    fn kommunekode(&mut self, text: &Spanned<String>, field: &str) -> Option<String> {
        let code = format!("{:0>4}", text.value.trim());
        if kommuner().iter().any(|k| k.kommunekode == code) {
            Some(code)
        } else {
            self.report(
                text,
                field,
                format!(
                    "{:?} is not one of the 98 municipality codes (e.g. \"0101\")",
                    text.value
                ),
            );
            None
        }
    }

    fn case(&mut self, at: &str, raw: &RawCase, classes: &Klassifikation, anchor: NaiveDate) -> Option<CaseSpec> {
        let holder = if raw.holder.value.trim().eq_ignore_ascii_case("UDK") {
            Some(Holder::Udk)
        } else {
            self.kommunekode(&raw.holder, &format!("{at}.holder"))
                .map(Holder::Kommune)
        };
        let theme = classes.theme(&raw.theme.value);
        if theme.is_none() {
            self.report(
                &raw.theme,
                format!("{at}.theme"),
                format!("unknown theme; known: {}", classes.theme_keys().join(", ")),
            );
        }
        let benefit = classes.benefit(&raw.benefit.value);
        match (benefit, &holder) {
            (None, _) => self.report(
                &raw.benefit,
                format!("{at}.benefit"),
                format!("unknown benefit; known: {}", classes.benefit_keys().join(", ")),
            ),
            (Some(b), Some(h)) => {
                let sector = classes.benefits[usize::from(b)].sector;
                let holder_sector = if *h == Holder::Udk {
                    Sector::Udk
                } else {
                    Sector::Kommune
                };
                if sector != holder_sector {
                    self.report(
                        &raw.benefit,
                        format!("{at}.benefit"),
                        format!(
                            "{} is administered by {}, not by the holder ({})",
                            raw.benefit.value,
                            if sector == Sector::Udk {
                                "Udbetaling Danmark"
                            } else {
                                "the municipalities"
                            },
                            raw.holder.value
                        ),
                    );
                }
            }
            _ => {}
        }
        let status = match raw.status.value.trim() {
            "AABEN" => Some(CaseStatus::Aaben),
            "HENLAGT" => Some(CaseStatus::Henlagt),
            "AFGJORT" => Some(CaseStatus::Afgjort),
            other => {
                self.report(
                    &raw.status,
                    format!("{at}.status"),
                    format!("{other:?} is not AABEN, HENLAGT or AFGJORT"),
                );
                None
            }
        };
        let opened = self.date(&raw.opened, &format!("{at}.opened"), anchor);
        let closed = raw
            .closed
            .as_ref()
            .and_then(|c| self.date(c, &format!("{at}.closed"), anchor));
        if let Some(o) = opened
            && o > anchor
        {
            self.report(
                &raw.opened,
                format!("{at}.opened"),
                format!("{o} lies after the clock's date {anchor}"),
            );
        }
        match (status, &raw.closed, closed) {
            (Some(CaseStatus::Aaben), Some(c), _) => {
                self.report(c, format!("{at}.closed"), "an AABEN case has no closed date");
            }
            (Some(s @ (CaseStatus::Henlagt | CaseStatus::Afgjort)), None, _) => {
                self.report(
                    &raw.status,
                    format!("{at}.closed"),
                    format!("a {} case needs a closed date", s.code()),
                );
            }
            (_, Some(c), Some(cd)) => {
                if opened.is_some_and(|o| cd < o) {
                    self.report(c, format!("{at}.closed"), "closed before it was opened");
                }
                if cd > anchor {
                    self.report(
                        c,
                        format!("{at}.closed"),
                        format!("{cd} lies after the clock's date {anchor}"),
                    );
                }
            }
            _ => {}
        }
        let mut steps = Vec::new();
        for (k, step) in raw.steps.iter().enumerate() {
            let field = format!("{at}.steps[{k}]");
            let kind = classes.step(&step.kind.value);
            if kind.is_none() {
                self.report(
                    &step.kind,
                    format!("{field}.type"),
                    format!("unknown step type; known: {}", classes.step_keys().join(", ")),
                );
            }
            let date = self.date(&step.at, &format!("{field}.at"), anchor);
            if let (Some(d), Some(o)) = (date, opened) {
                let end = closed.unwrap_or(anchor);
                if d < o || d > end {
                    self.report(
                        &step.at,
                        format!("{field}.at"),
                        format!("{d} lies outside the case's life, {o} to {end}"),
                    );
                }
            }
            if let (Some(kind), Some(date)) = (kind, date) {
                steps.push((kind, date));
            }
        }
        if steps.len() != raw.steps.len() {
            return None;
        }
        Some(CaseSpec {
            holder: holder?,
            theme: theme?,
            benefit: benefit?,
            status: status?,
            opened: opened?,
            closed,
            steps,
        })
    }

    fn date(&mut self, text: &Spanned<String>, field: &str, anchor: NaiveDate) -> Option<NaiveDate> {
        match parse_date(&text.value, anchor) {
            Ok(d) => Some(d),
            Err(e) => {
                self.report(text, field, e);
                None
            }
        }
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
    if rest.len() < 2 {
        return Err(bad());
    }
    let (number, unit) = rest.split_at(rest.len() - 1);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let n = sign * n;
    let months = |m: i64| {
        let shifted = if m < 0 {
            anchor.checked_sub_months(Months::new(m.unsigned_abs() as u32))
        } else {
            anchor.checked_add_months(Months::new(m as u32))
        };
        shifted.ok_or_else(bad)
    };
    match unit {
        "d" => anchor.checked_add_signed(chrono::Duration::days(n)).ok_or_else(bad),
        "w" => anchor.checked_add_signed(chrono::Duration::weeks(n)).ok_or_else(bad),
        "m" => months(n),
        "y" => months(n * 12),
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
        assert!(err.problems[0].message.contains("populaton"), "{err}");
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
}
