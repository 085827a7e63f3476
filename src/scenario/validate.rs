//! Reading a scenario file: the raw YAML shapes (with their locations) and the validation
//! that turns them into a [`Scenario`], collecting every problem with its line and field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::*;
use crate::world::{Klassifikation, Sector, kommuner};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
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
    security: RawSecurity,
    #[serde(default)]
    agreements: Option<Vec<RawAgreement>>,
    #[serde(default)]
    pub(super) contracts: Vec<super::contracts::RawContract>,
    #[serde(default)]
    faults: Vec<crate::faults::read::RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecurity {
    #[serde(default)]
    mode: SecurityMode,
    #[serde(default = "default_clock_skew")]
    clock_skew: u32,
    #[serde(default)]
    clock: Option<Spanned<String>>,
    #[serde(default = "default_max_timestamp_age")]
    max_timestamp_age: u32,
    #[serde(default = "default_max_timestamp_lifetime")]
    max_timestamp_lifetime: u32,
}

impl Default for RawSecurity {
    fn default() -> Self {
        RawSecurity {
            mode: SecurityMode::Off,
            clock_skew: default_clock_skew(),
            clock: None,
            max_timestamp_age: default_max_timestamp_age(),
            max_timestamp_lifetime: default_max_timestamp_lifetime(),
        }
    }
}

fn default_clock_skew() -> u32 {
    SecurityOptions::default().clock_skew
}

fn default_max_timestamp_age() -> u32 {
    SecurityOptions::default().max_timestamp_age
}

fn default_max_timestamp_lifetime() -> u32 {
    SecurityOptions::default().max_timestamp_lifetime
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    cvr: Spanned<String>,
    services: Vec<Spanned<String>>,
    #[serde(default)]
    system: Option<Spanned<String>>,
}

fn default_seed() -> u64 {
    1472
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    cpr: Spanned<String>,
    #[serde(default)]
    name: Option<Spanned<String>>,
    kommune: Spanned<String>,
    #[serde(default)]
    cases: Vec<RawCase>,
    #[serde(default)]
    address: Option<super::household::RawAddress>,
    #[serde(default)]
    pub(super) relations: Option<super::household::RawRelations>,
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

pub(super) struct Validator {
    pub(super) problems: Vec<Problem>,
    /// The scenario serves services from contracts (`contracts:`), whose titles are known only
    /// once they are loaded: a fault rule's `match.service` may then name one of them.
    pub(super) contract_services: bool,
}

impl Validator {
    pub(super) fn report<T>(&mut self, at: &Spanned<T>, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            line: at.referenced.line(),
            column: at.referenced.column(),
            field: field.into(),
            message: message.into(),
        });
    }

    /// Reports `text` (from `at`) when it holds a character XML 1.0 does not allow: the
    /// services write it into their answers, which it would make documents no client can read.
    pub(super) fn xml_text<T>(&mut self, at: &Spanned<T>, field: impl Into<String>, text: &str) {
        if let Some(why) = crate::soap::xml::forbidden_in_text(text) {
            self.report(at, field, format!("{why}: the text goes into the services' answers"));
        }
    }

    pub(super) fn scenario(&mut self, raw: RawScenario, clock_override: Option<Clock>) -> Option<Scenario> {
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
        self.relations_within(&raw.persons, &persons);
        if raw.sf1472.namespace.trim().is_empty() {
            self.problems.push(Problem {
                line: 0,
                column: 0,
                field: "sf1472.namespace".into(),
                message: "must not be empty".into(),
            });
        }
        let security = SecurityOptions {
            mode: raw.security.mode,
            clock_skew: raw.security.clock_skew,
            max_timestamp_age: raw.security.max_timestamp_age,
            max_timestamp_lifetime: raw.security.max_timestamp_lifetime,
            clock: match &raw.security.clock {
                None => Clock::Now,
                Some(text) => parse_clock(&text.value).unwrap_or_else(|e| {
                    self.report(text, "security.clock", e);
                    Clock::Now
                }),
            },
        };
        let mut faults: Vec<crate::faults::Rule> = Vec::new();
        let contract_services = self.contract_services;
        for (i, rule) in raw.faults.into_iter().enumerate() {
            let at = format!("faults[{i}]");
            let id = rule.id_span();
            let mut report = |line, column, field, message| {
                self.problems.push(Problem {
                    line,
                    column,
                    field,
                    message,
                })
            };
            if let Some(rule) = rule.validate(
                &at,
                &mut || format!("scenario-{}", i + 1),
                raw.seed,
                &|_| contract_services,
                &mut report,
            ) {
                if let Some(first) = faults.iter().position(|r| r.id == rule.id) {
                    let (line, column) = id.unwrap_or((0, 0));
                    report(
                        line,
                        column,
                        format!("{at}.id"),
                        format!("{:?} is also faults[{first}]", rule.id),
                    );
                }
                faults.push(rule);
            }
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
            security,
            agreements,
            contracts: Vec::new(),
            faults,
        })
    }

    /// Validates persons read on their own (the admin API): `at(i)` names the i-th in fields.
    pub(super) fn persons(
        &mut self,
        raw: &[RawPerson],
        at: &dyn Fn(usize) -> String,
        anchor: NaiveDate,
    ) -> Vec<Person> {
        let classes = Klassifikation::builtin();
        let mut seen = std::collections::HashMap::new();
        raw.iter()
            .enumerate()
            .filter_map(|(i, p)| self.person_at(&at(i), i, p, &classes, anchor, &mut seen))
            .collect()
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
        self.person_at(&format!("persons[{i}]"), i, raw, classes, anchor, seen)
    }

    fn person_at(
        &mut self,
        at: &str,
        i: usize,
        raw: &RawPerson,
        classes: &Klassifikation,
        anchor: NaiveDate,
        seen: &mut std::collections::HashMap<Cpr, usize>,
    ) -> Option<Person> {
        let at = at.to_owned();
        let cpr = match Cpr::parse(&raw.cpr.value, true) {
            Ok(cpr) => {
                if let Some(first) = seen.insert(cpr, i) {
                    let first = at
                        .rsplit_once('[')
                        .map_or(format!("#{first}"), |(list, _)| format!("{list}[{first}]"));
                    self.report(&raw.cpr, format!("{at}.cpr"), format!("{cpr} is also {first}"));
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
                self.xml_text(n, format!("{at}.name"), &n.value);
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
        let problems = self.problems.len();
        let address = raw.address.as_ref().and_then(|a| self.address(&at, a, anchor));
        let relations = raw
            .relations
            .as_ref()
            .map(|r| self.relations(&at, r, cpr))
            .unwrap_or_default();
        let complete = complete && self.problems.len() == problems;
        Some(Person {
            cpr: cpr?,
            name,
            kommunekode: kommune?,
            cases,
            address,
            relations,
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
        let system = match &raw.system {
            None => Some(None),
            Some(text) => match SystemPin::parse(&text.value) {
                Ok(pin) => Some(Some(pin)),
                Err(e) => {
                    self.report(text, format!("{at}.system"), e);
                    None
                }
            },
        };
        Some(Agreement {
            cvr: cvr?,
            services: raw.services.iter().map(|s| s.value.clone()).collect(),
            system: system?,
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

    pub(super) fn date(&mut self, text: &Spanned<String>, field: &str, anchor: NaiveDate) -> Option<NaiveDate> {
        match parse_date(&text.value, anchor) {
            Ok(d) => Some(d),
            Err(e) => {
                self.report(text, field, e);
                None
            }
        }
    }
}
