//! A contract named by a scenario (`contracts:`) or by `serve --contract`, loaded and made
//! ready to serve: the WSDL with every import, its generation, the path and entity ID it
//! answers on, a skeleton response per operation, the rules compiled. Everything that
//! depends only on the scenario is done here, once.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::generation::Generation;
use super::rules::{self, Report, Rule};
use super::skeleton::{self, Skeleton};
use crate::contracts::Documents;
use crate::scenario::Problem;
use crate::soap::SoapVersion;
use crate::soap::addressing::{default_action, default_fault_action};
use crate::xsd::{Contract, QName, Source};

/// How many folders above the WSDL's own the loader may take as the contract's folder, for
/// WSDLs that include files beside or above their folder (`../../Msg.xsd`).
const MAX_LEVELS_UP: usize = 4;

/// A value of the scenario file with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    /// 1-based line and column where the value's text starts (for a block scalar, `body: |`,
    /// its first line's indentation).
    pub line: u64,
    pub column: u64,
    /// A quoted scalar: the text starts one column after the quote, and its later lines are
    /// folded (positions past the first line are approximate).
    pub quoted: bool,
}

impl<T> Located<T> {
    /// A value at a line and column (not quoted).
    pub fn at(value: T, line: u64, column: u64) -> Located<T> {
        Located {
            value,
            line,
            column,
            quoted: false,
        }
    }
}

/// A `contracts:` entry of a scenario.
#[derive(Debug, Clone)]
pub struct ContractSpec {
    /// The field's path in the scenario, e.g. `contracts[0]`.
    pub at: String,
    /// The WSDL, relative to the scenario file.
    pub wsdl: Located<String>,
    /// The URL path it answers on (default: the path of the WSDL's address).
    pub path: Option<Located<String>>,
    /// The token audience (default: `http://entityid.kombit.dk/service/<name>/<version>` from
    /// the path).
    pub entity_id: Option<Located<String>>,
    /// The name in the banner and logs (default: the WSDL's service name).
    pub title: Option<Located<String>>,
    /// The `responses:` rules.
    pub responses: Vec<RuleSpec>,
}

/// One `responses:` rule as written.
#[derive(Debug, Clone, Default)]
pub struct RuleSpec {
    /// The field's path, e.g. `contracts[0].responses[1]`.
    pub at: String,
    /// Where the rule starts.
    pub line: u64,
    pub column: u64,
    pub operation: Option<Located<String>>,
    pub when: Vec<(Located<String>, Located<String>)>,
    pub citizen: Option<Located<String>>,
    pub authority: Option<Located<String>>,
    pub body: Option<Located<String>>,
    pub body_file: Option<Located<String>>,
    pub set: Vec<(Located<String>, Located<String>)>,
    pub fault: Option<Located<String>>,
    pub reason: Option<Located<String>>,
    pub code: Option<Located<String>>,
}

/// A fault an operation declares, ready to answer with.
#[derive(Debug, Clone)]
pub struct PreparedFault {
    /// The WSDL's fault name.
    pub name: String,
    /// The detail element.
    pub element: Option<QName>,
    /// Its `wsa:Action` (declared, or the WS-Addressing default).
    pub action: String,
    /// The detail's skeleton.
    pub skeleton: Option<Skeleton>,
}

/// One operation of one binding, ready to answer.
#[derive(Debug, Clone)]
pub struct PreparedOp {
    /// Index into the contract's operations.
    pub index: usize,
    /// The WSDL operation name.
    pub name: String,
    /// The request's Body element and its local name.
    pub input: Option<QName>,
    pub input_local: Option<String>,
    /// The response's Body element (`None`: one-way).
    pub output: Option<QName>,
    /// The generated response.
    pub skeleton: Option<Skeleton>,
    /// The reply's `wsa:Action`.
    pub reply_action: String,
    /// The faults it declares.
    pub faults: Vec<PreparedFault>,
}

/// A contract ready to serve.
pub struct Prepared {
    /// The name in the banner and logs.
    pub title: &'static str,
    /// The URL path (one).
    pub paths: [&'static str; 1],
    /// The token audience.
    pub entity_id: &'static str,
    /// The WSDL as named (for messages).
    pub wsdl_file: String,
    /// The contract's folder (the WSDL's, or the one above it that holds every import).
    pub root: PathBuf,
    pub contract: Contract,
    pub generation: Generation,
    pub operations: Vec<PreparedOp>,
    pub rules: Vec<Rule>,
    pub documents: Documents,
    /// The SOAP versions its bindings use, the first port's first.
    pub soap_versions: &'static [SoapVersion],
}

impl std::fmt::Debug for Prepared {
    /// What it serves, not the whole compiled contract.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("title", &self.title)
            .field("path", &self.paths[0])
            .field("entity_id", &self.entity_id)
            .field("wsdl", &self.wsdl_file)
            .field("generation", &self.generation)
            .field("operations", &self.operations.len())
            .field("rules", &self.rules.len())
            .finish()
    }
}

/// A string that lives as long as the process, each distinct one stored once (the `Service`
/// trait hands out `&'static str` titles, paths and entity IDs).
pub fn intern(s: &str) -> &'static str {
    static STRINGS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut strings = match STRINGS.get_or_init(Default::default).lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(found) = strings.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    strings.insert(leaked);
    leaked
}

/// Loads a contract entry; every problem is returned with its line in the scenario file.
/// `base` is the scenario file's folder, `file` its name for messages.
pub fn prepare(spec: &ContractSpec, base: &Path, file: &str) -> Result<Arc<Prepared>, Vec<Problem>> {
    let mut problems = Vec::new();
    let wsdl_path = base.join(&spec.wsdl.value);
    let field = |f: &str| format!("{}.{f}", spec.at);
    let loaded = match load(&wsdl_path) {
        Ok(l) => l,
        Err(e) => {
            problems.push(problem(&spec.wsdl, &field("wsdl"), e));
            return Err(problems);
        }
    };
    let (contract, root, documents) = loaded;
    let generation = Generation::detect(&contract);
    let path = match &spec.path {
        Some(p) => match check_path(&p.value) {
            Ok(p) => p,
            Err(e) => {
                problems.push(problem(p, &field("path"), e));
                String::new()
            }
        },
        None => match default_path(&contract) {
            Some(p) => p,
            None => {
                problems.push(problem(
                    &spec.wsdl,
                    &field("path"),
                    "the WSDL's service has no soap:address to take the path from: give `path:` (e.g. /myservice/1)",
                ));
                String::new()
            }
        },
    };
    let entity_id = match &spec.entity_id {
        Some(e) if !e.value.contains("://") && !e.value.starts_with("urn:") => {
            problems.push(problem(
                e,
                &field("entity_id"),
                format!(
                    "{:?} is not an entity ID (a URI such as http://entityid.kombit.dk/service/sagdokumentindeks/6)",
                    e.value
                ),
            ));
            String::new()
        }
        Some(e) => e.value.trim().to_owned(),
        None => default_entity_id(&path),
    };
    let title = match &spec.title {
        Some(t) if t.value.trim().is_empty() => {
            problems.push(problem(t, &field("title"), "must not be empty"));
            String::new()
        }
        Some(t) => t.value.trim().to_owned(),
        None => default_title(&contract, &wsdl_path),
    };
    let operations = match operations(&contract, generation) {
        Ok(ops) => ops,
        Err(errors) => {
            for e in errors {
                problems.push(problem(&spec.wsdl, &field("wsdl"), e));
            }
            return Err(problems);
        }
    };
    let mut report = Report {
        file,
        base,
        problems: &mut problems,
    };
    let rules: Vec<Rule> = spec
        .responses
        .iter()
        .filter_map(|r| rules::compile(r, &contract, &operations, &mut report))
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Arc::new(Prepared {
        root,
        title: intern(&title),
        paths: [intern(&path)],
        entity_id: intern(&entity_id),
        wsdl_file: wsdl_path.display().to_string(),
        soap_versions: soap_versions(&contract),
        contract,
        generation,
        operations,
        rules,
        documents,
    }))
}

/// A contract from the command line (`serve --contract WSDL`): no rules, defaults for the
/// rest. The error is one line per problem.
pub fn prepare_file(wsdl: &Path) -> Result<Arc<Prepared>, String> {
    let spec = ContractSpec {
        at: "--contract".into(),
        wsdl: Located::at(wsdl.display().to_string(), 0, 0),
        path: None,
        entity_id: None,
        title: None,
        responses: Vec::new(),
    };
    prepare(&spec, Path::new(""), "--contract").map_err(|problems| {
        problems
            .iter()
            .map(|p| format!("--contract {}: {}", wsdl.display(), p.message))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn problem<T>(at: &Located<T>, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        line: at.line,
        column: at.column,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Loads the WSDL with everything it imports. Its folder is the contract's folder unless it
/// imports files above it; then the nearest folder above that holds them all (at most
/// [`MAX_LEVELS_UP`] up). Returns the contract, its folder and its files.
fn load(wsdl: &Path) -> Result<(Contract, PathBuf, Documents), String> {
    let full = wsdl
        .canonicalize()
        .map_err(|e| format!("cannot read the WSDL {}: {e}", wsdl.display()))?;
    if !full.is_file() {
        return Err(format!("the WSDL {} is not a file", wsdl.display()));
    }
    let mut root = full.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut relative = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut levels = 0;
    loop {
        match Contract::load(&Source::dir(&root), &relative) {
            Ok(contract) => {
                let documents = documents(&root, &relative, &contract)?;
                return Ok((contract, root, documents));
            }
            Err(e)
                if levels < MAX_LEVELS_UP
                    && e.problems
                        .iter()
                        .any(|p| p.contains("leads outside the contract folder")) =>
            {
                let Some(parent) = root.parent().map(Path::to_path_buf) else {
                    return Err(e.to_string());
                };
                let name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                relative = format!("{name}/{relative}");
                root = parent;
                levels += 1;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The texts of every file the contract was read from.
fn documents(root: &Path, wsdl: &str, contract: &Contract) -> Result<Documents, String> {
    let mut files = BTreeMap::new();
    let paths = contract
        .wsdl
        .files
        .iter()
        .chain(contract.schema.files().iter().map(|(p, _)| p));
    for p in paths {
        if files.contains_key(p) {
            continue;
        }
        let text =
            std::fs::read_to_string(root.join(p)).map_err(|e| format!("cannot read {p} of the contract: {e}"))?;
        files.insert(p.clone(), text);
    }
    Ok(Documents {
        wsdl: wsdl.to_owned(),
        files,
    })
}

/// A path an endpoint can answer on: absolute, without query or trailing slash, not `/`,
/// not below sfstub's reserved `/__sfstub/`.
fn check_path(text: &str) -> Result<String, String> {
    let p = text.trim();
    if !p.starts_with('/') {
        return Err(format!(
            "{p:?} is not a URL path: start it with / (e.g. /sagdokumentindeks/6)"
        ));
    }
    if p.contains(['?', '#', ' ']) {
        return Err(format!("{p:?}: a path has no query, fragment or spaces"));
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err("/ is sfstub's index: give the service a path of its own".into());
    }
    if trimmed.starts_with("/__sfstub") {
        return Err(format!("{p:?}: /__sfstub/ is reserved for sfstub's own API"));
    }
    Ok(trimmed.to_owned())
}

/// The path of the first port's address (`https://host/sts-soap-sagdok/sagdokumentindeks/6` →
/// `/sts-soap-sagdok/sagdokumentindeks/6`).
fn default_path(contract: &Contract) -> Option<String> {
    contract.endpoints().into_iter().find_map(|e| {
        let address = e.address?;
        let after_scheme = address.split_once("://").map_or(address.as_str(), |(_, r)| r);
        let path = after_scheme.find('/').map(|i| &after_scheme[i..])?;
        let path = path.split(['?', '#']).next().unwrap_or(path);
        check_path(path).ok()
    })
}

/// `http://entityid.kombit.dk/service/<name>/<version>` from the path's last two steps
/// (`/sagdokumentindeks/6` → `…/sagdokumentindeks/6`), or `…/<name>` when the last is no number.
fn default_entity_id(path: &str) -> String {
    let steps: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let tail = match steps.as_slice() {
        [.., name, version] if version.chars().all(|c| c.is_ascii_digit()) => {
            format!("{}/{version}", name.to_ascii_lowercase())
        }
        [.., last] => last.to_ascii_lowercase(),
        [] => "contract".into(),
    };
    format!("http://entityid.kombit.dk/service/{tail}")
}

fn default_title(contract: &Contract, wsdl: &Path) -> String {
    contract
        .wsdl
        .services
        .first()
        .map(|s| s.name.local.clone())
        .or_else(|| wsdl.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "contract".into())
}

/// The SOAP versions the bindings use, the first port's binding first.
fn soap_versions(contract: &Contract) -> &'static [SoapVersion] {
    let first = contract
        .endpoints()
        .into_iter()
        .find_map(|e| e.soap)
        .or_else(|| contract.operations().iter().find_map(|o| o.soap));
    let has = |v: SoapVersion| contract.operations().iter().any(|o| o.soap == Some(v));
    match (first, has(SoapVersion::V11), has(SoapVersion::V12)) {
        (Some(SoapVersion::V11), _, true) => &[SoapVersion::V11, SoapVersion::V12],
        (Some(SoapVersion::V12), true, _) => &[SoapVersion::V12, SoapVersion::V11],
        (_, true, false) => &[SoapVersion::V11],
        (_, false, true) => &[SoapVersion::V12],
        _ => &[SoapVersion::V12, SoapVersion::V11],
    }
}

/// Every operation's skeletons and actions; an operation whose response cannot be generated
/// is a problem naming it.
fn operations(contract: &Contract, generation: Generation) -> Result<Vec<PreparedOp>, Vec<String>> {
    let set = &contract.schema;
    let conventions = generation.conventions();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (index, op) in contract.operations().iter().enumerate() {
        let input = op.input.as_ref().and_then(|i| i.body.first().cloned());
        let output = op.output.as_ref().and_then(|o| o.body.first().cloned());
        let skeleton = match &output {
            Some(q) => match set
                .global_element(q)
                .map(|id| skeleton::build(set, id, &op.name, &conventions))
            {
                Some(Ok(s)) => Some(s),
                Some(Err(e)) => {
                    errors.push(format!("the response of {}: {e}", op.name));
                    None
                }
                None => None,
            },
            None => None,
        };
        let tns = &op.port_type.ns;
        let output_name = contract
            .wsdl
            .port_type(&op.port_type)
            .and_then(|pt| pt.operations.iter().find(|o| o.name == op.name))
            .and_then(|o| o.output.as_ref())
            .and_then(|o| o.name.clone())
            .unwrap_or_else(|| format!("{}Response", op.name));
        let reply_action = op
            .output
            .as_ref()
            .and_then(|o| o.action.clone())
            .unwrap_or_else(|| default_action(tns, &op.port_type.local, &output_name));
        let faults = op
            .faults
            .iter()
            .map(|f| PreparedFault {
                name: f.name.clone(),
                element: f.element.clone(),
                action: f
                    .action
                    .clone()
                    .unwrap_or_else(|| default_fault_action(tns, &op.port_type.local, &op.name, &f.name)),
                skeleton: f
                    .element
                    .as_ref()
                    .and_then(|q| set.global_element(q))
                    .and_then(|id| skeleton::build(set, id, &op.name, &conventions).ok()),
            })
            .collect();
        out.push(PreparedOp {
            index,
            name: op.name.clone(),
            input_local: input.as_ref().map(|q| q.local.clone()),
            input,
            output,
            skeleton,
            reply_action,
            faults,
        });
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_path() {
        assert_eq!(
            default_entity_id("/sagdokumentindeks/6"),
            "http://entityid.kombit.dk/service/sagdokumentindeks/6"
        );
        assert_eq!(
            default_entity_id("/service/SP/Distribution/3"),
            "http://entityid.kombit.dk/service/distribution/3"
        );
        assert_eq!(default_entity_id("/print"), "http://entityid.kombit.dk/service/print");
        assert_eq!(check_path("/a/b/").unwrap(), "/a/b");
        assert!(check_path("a").is_err());
        assert!(check_path("/").is_err());
        assert!(check_path("/__sfstub/x").is_err());
        assert!(check_path("/a?b").is_err());
    }

    #[test]
    fn interned_strings_are_stored_once() {
        let a = intern("sfstub-intern-test");
        let b = intern(&String::from("sfstub-intern-test"));
        assert!(std::ptr::eq(a, b));
    }
}
