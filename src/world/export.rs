//! `sfstub generate`: the world as JSON or CSV, so testers can pick CPR numbers.
//!
//! The output is a pure function of the world, written in a fixed order, so the same scenario
//! and seed give byte-identical output.

use std::io::{self, Write};

use serde::Serialize;

use super::{Citizen, Kontrolsag, World};

/// Output formats of `sfstub generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

#[derive(Serialize)]
struct CitizenOut<'a> {
    cpr: String,
    kommunekode: &'a str,
    name: String,
    cases: Vec<CaseOut>,
}

#[derive(Serialize)]
struct CaseOut {
    id: String,
    holder_cvr: String,
    sector: &'static str,
    theme: &'static str,
    benefit: &'static str,
    status: &'static str,
    opened: String,
    closed: Option<String>,
    steps: Vec<StepOut>,
}

#[derive(Serialize)]
struct StepOut {
    #[serde(rename = "type")]
    kind: &'static str,
    date: String,
}

#[derive(Serialize)]
struct AuthorityOut<'a> {
    cvr: String,
    sector: &'static str,
    name: &'a str,
    kommunekode: Option<&'a str>,
}

fn case_out(world: &World, case: &Kontrolsag) -> CaseOut {
    let holder = world.authority(case.holder);
    CaseOut {
        id: case.id.to_string(),
        holder_cvr: holder.cvr.to_string(),
        sector: holder.sector.code(),
        theme: world.classes.themes[usize::from(case.theme)].class.key,
        benefit: world.classes.benefits[usize::from(case.benefit)].class.key,
        status: case.status.code(),
        opened: case.opened.to_string(),
        closed: case.closed.map(|d| d.to_string()),
        steps: case
            .steps
            .iter()
            .map(|s| StepOut {
                kind: world.classes.steps[usize::from(s.kind)].key,
                date: s.date.to_string(),
            })
            .collect(),
    }
}

fn citizen_out<'a>(world: &'a World, c: &Citizen) -> CitizenOut<'a> {
    CitizenOut {
        cpr: c.cpr.to_string(),
        kommunekode: world.authority(c.kommune).kommunekode.as_deref().unwrap_or(""),
        name: c.name(),
        cases: c
            .cases
            .iter()
            .map(|&id| case_out(world, &world.cases[id as usize]))
            .collect(),
    }
}

/// One citizen with its cases, as `sfstub generate` writes it in JSON.
pub fn citizen_json(world: &World, c: &Citizen) -> serde_json::Value {
    serde_json::to_value(citizen_out(world, c)).unwrap_or_default()
}

/// Writes the citizens (only those with cases when `with_cases`).
pub fn write_citizens(world: &World, with_cases: bool, format: Format, out: &mut impl Write) -> io::Result<()> {
    let citizens = world.citizens.iter().filter(|c| !with_cases || !c.cases.is_empty());
    match format {
        Format::Json => {
            let all: Vec<_> = citizens.map(|c| citizen_out(world, c)).collect();
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)
        }
        Format::Csv => {
            writeln!(
                out,
                "cpr,kommunekode,name,case_id,holder_cvr,sector,theme,benefit,status,opened,closed,steps"
            )?;
            for c in citizens {
                let person = citizen_out(world, c);
                let head = [person.cpr.as_str(), person.kommunekode, person.name.as_str()]
                    .map(csv_field)
                    .join(",");
                if person.cases.is_empty() {
                    writeln!(out, "{head},,,,,,,,,")?;
                }
                for case in &person.cases {
                    let steps: Vec<String> = case.steps.iter().map(|s| format!("{}@{}", s.kind, s.date)).collect();
                    let row = [
                        case.id.as_str(),
                        &case.holder_cvr,
                        case.sector,
                        case.theme,
                        case.benefit,
                        case.status,
                        &case.opened,
                        case.closed.as_deref().unwrap_or(""),
                        &steps.join(";"),
                    ]
                    .map(csv_field)
                    .join(",");
                    writeln!(out, "{head},{row}")?;
                }
            }
            Ok(())
        }
    }
}

/// Writes every authority.
pub fn write_authorities(world: &World, format: Format, out: &mut impl Write) -> io::Result<()> {
    let all: Vec<AuthorityOut> = world
        .authorities
        .iter()
        .map(|a| AuthorityOut {
            cvr: a.cvr.to_string(),
            sector: a.sector.code(),
            name: &a.name,
            kommunekode: a.kommunekode.as_deref(),
        })
        .collect();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &all)?;
            writeln!(out)
        }
        Format::Csv => {
            writeln!(out, "cvr,sector,name,kommunekode")?;
            for a in &all {
                let row = [a.cvr.as_str(), a.sector, a.name, a.kommunekode.unwrap_or("")]
                    .map(csv_field)
                    .join(",");
                writeln!(out, "{row}")?;
            }
            Ok(())
        }
    }
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("Aalborg"), "Aalborg");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
