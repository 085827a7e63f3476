//! A scenario's `contracts:` entries: SF services served from their WSDL/XSD, each loaded and
//! prepared when the scenario is ([`crate::engine::prepare`]), so `sfstub validate` reports a
//! contract that does not load, a rule naming an element the schema lacks, a placeholder that
//! does not resolve and a body that is not valid, each with its line.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::Problem;
use crate::engine::{ContractSpec, Located, Prepared, RuleSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContract {
    wsdl: Spanned<String>,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    entity_id: Option<Spanned<String>>,
    #[serde(default)]
    title: Option<Spanned<String>>,
    #[serde(default)]
    responses: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    #[serde(default)]
    operation: Option<Spanned<String>>,
    #[serde(default)]
    when: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(default)]
    citizen: Option<Spanned<String>>,
    #[serde(default)]
    authority: Option<Spanned<String>>,
    #[serde(default)]
    body: Option<Spanned<String>>,
    #[serde(default)]
    body_file: Option<Spanned<String>>,
    #[serde(default)]
    set: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(default)]
    fault: Option<Spanned<String>>,
    #[serde(default)]
    reason: Option<Spanned<String>>,
    #[serde(default)]
    code: Option<Spanned<String>>,
}

/// Where a value stands, read off the source: a quoted scalar's text starts after its quote.
fn located(at: &Spanned<String>, source: &str) -> Located<String> {
    let line = at.referenced.line();
    let column = at.referenced.column();
    let quoted = source
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .and_then(|l| l.chars().nth(column.saturating_sub(1) as usize))
        .is_some_and(|c| c == '"' || c == '\'');
    Located {
        value: at.value.clone(),
        line,
        column,
        quoted,
    }
}

/// The paths sfstub's hand-written services (and its own pages) answer on.
fn builtin_paths() -> Vec<&'static str> {
    use crate::services::*;
    let mut paths: Vec<&'static str> = vec!["/", "/healthz"];
    paths.extend(sf1472_kontrolsag::PATHS);
    paths.extend([sf1520_cpr::PATH_V4, sf1520_cpr::PATH_V5]);
    for o in sf1500_organisation::Objekt::ALL {
        paths.extend(o.paths());
    }
    paths.extend(sf1510_klassifikation::klasse::PATHS);
    paths.extend(sf1510_klassifikation::listehent::PATHS);
    paths.extend([sf1514_sts::PATH, sf1514_rest::WSTRUST_PATH, sf1514_rest::OAUTH_PATH]);
    paths
}

/// Loads every entry; every problem is added to `problems` with its line.
pub(super) fn prepare(
    raw: &[RawContract],
    source: &str,
    file: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Arc<Prepared>> {
    let base = Path::new(file).parent().unwrap_or(Path::new(""));
    let mut out: Vec<Arc<Prepared>> = Vec::new();
    let builtin = builtin_paths();
    for (i, c) in raw.iter().enumerate() {
        let at = format!("contracts[{i}]");
        let spec = ContractSpec {
            wsdl: located(&c.wsdl, source),
            path: c.path.as_ref().map(|p| located(p, source)),
            entity_id: c.entity_id.as_ref().map(|p| located(p, source)),
            title: c.title.as_ref().map(|p| located(p, source)),
            responses: c
                .responses
                .iter()
                .enumerate()
                .map(|(j, r)| rule(&format!("{at}.responses[{j}]"), r, source))
                .collect(),
            at: at.clone(),
        };
        match crate::engine::prepare(&spec, base, file) {
            Ok(prepared) => {
                let path = prepared.paths[0];
                let place = c.path.as_ref().unwrap_or(&c.wsdl);
                let clash = if builtin.iter().any(|b| b.eq_ignore_ascii_case(path)) {
                    Some(format!(
                        "{path} is where sfstub's own services answer: give this contract another `path:`"
                    ))
                } else {
                    out.iter()
                        .position(|o| o.paths[0] == path)
                        .map(|j| format!("{path} is contracts[{j}]'s path too: give one of them another `path:`"))
                };
                match clash {
                    Some(message) => problems.push(Problem {
                        line: place.referenced.line(),
                        column: place.referenced.column(),
                        field: format!("{at}.path"),
                        message,
                    }),
                    None => out.push(prepared),
                }
            }
            Err(p) => problems.extend(p),
        }
    }
    out
}

/// Adds a contract from the command line (`serve --contract WSDL`) to a scenario's: an error
/// when it does not load or its path is taken.
pub fn add_file(contracts: &mut Vec<Arc<Prepared>>, wsdl: &Path) -> Result<(), String> {
    let prepared = crate::engine::prepare_file(wsdl)?;
    let path = prepared.paths[0];
    if builtin_paths().iter().any(|b| b.eq_ignore_ascii_case(path)) {
        return Err(format!(
            "--contract {}: its address's path {path} is where sfstub's own services answer; name it in a scenario's contracts: with another path",
            wsdl.display()
        ));
    }
    if let Some(other) = contracts.iter().find(|o| o.paths[0] == path) {
        return Err(format!(
            "--contract {}: its address's path {path} is already {}'s; name them in a scenario's contracts: with paths of their own",
            wsdl.display(),
            other.title
        ));
    }
    contracts.push(prepared);
    Ok(())
}

fn rule(at: &str, r: &Spanned<RawRule>, source: &str) -> RuleSpec {
    let v = &r.value;
    let l = |x: &Option<Spanned<String>>| x.as_ref().map(|s| located(s, source));
    let pairs = |m: &Option<BTreeMap<String, Spanned<String>>>| -> Vec<(Located<String>, Located<String>)> {
        m.iter()
            .flatten()
            .map(|(k, v)| {
                let value = located(v, source);
                // The key stands before its value, on the same line (`key: value`).
                let column = source
                    .lines()
                    .nth(value.line.saturating_sub(1) as usize)
                    .and_then(|l| {
                        let before: String = l.chars().take(value.column.saturating_sub(1) as usize).collect();
                        before.rfind(k.as_str()).map(|i| before[..i].chars().count() as u64 + 1)
                    })
                    .unwrap_or(value.column);
                let key = Located::at(k.clone(), value.line, column);
                (key, value)
            })
            .collect()
    };
    RuleSpec {
        at: at.to_owned(),
        line: r.referenced.line(),
        column: r.referenced.column(),
        operation: l(&v.operation),
        when: pairs(&v.when),
        citizen: l(&v.citizen),
        authority: l(&v.authority),
        body: l(&v.body),
        body_file: l(&v.body_file),
        set: pairs(&v.set),
        fault: l(&v.fault),
        reason: l(&v.reason),
        code: l(&v.code),
    }
}
