//! A scenario's `responses:` rules for a contract: which requests a rule answers (its
//! operation, request values, a citizen or authority of the world the request names), and the
//! answer (a body, values set on the skeleton, or one of the WSDL's faults).
//!
//! Rules are compiled when the scenario loads: every path is checked against the request's or
//! response's schema, every placeholder resolved to a source, every body rendered with sample
//! values and validated against the contract — so a rule that cannot be right is reported by
//! `sfstub validate` with file and line, before anything is served.

use std::path::Path;

use super::paths::{self, PathPattern};
use super::prepare::{Located, PreparedOp, RuleSpec};
use super::template::{self, Piece, Scope, Value};
use super::values;
use crate::scenario::Problem;
use crate::soap::xml::Leaves;
use crate::world::{AuthorityId, CitizenId, Cpr, Cvr, World};
use crate::xsd::{Contract, Instance, Limits};

/// The largest response body file read.
const MAX_BODY_FILE: u64 = 4 << 20;

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `contracts[0].responses[2] (file:line)`, for logs and faults.
    pub label: String,
    /// The operation it answers (`None`: the contract's only one).
    pub operation: Option<String>,
    /// Request values that must be there: (path, value; `*` for any).
    pub when: Vec<(PathPattern, String)>,
    /// Where the request names a citizen of the world (a CPR number, also inside a URN).
    pub citizen: Option<PathPattern>,
    /// Where the request names an authority of the world (a CVR number).
    pub authority: Option<PathPattern>,
    /// The body uses `caller.*`: the caller must be an authority of the world.
    pub needs_caller: bool,
    /// The answer.
    pub answer: Answer,
}

/// What a rule answers with.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The response element, from the rule's body.
    Body(Vec<Piece>),
    /// The operation's skeleton with the rule's values set in it (built when the scenario
    /// loads).
    Set(Vec<Piece>),
    /// A fault the WSDL declares for the operation.
    Fault {
        /// The WSDL's name of the fault.
        name: String,
        /// The reason (`faultstring`).
        reason: Vec<Piece>,
        /// The detail element; `None` writes the fault's skeleton (or, for a
        /// `ServiceplatformFault`, an `ErrorList` with `code` and the reason).
        detail: Option<Vec<Piece>>,
        /// The `ErrorCode` of a `ServiceplatformFault`.
        code: Option<String>,
    },
}

/// What a matched rule found in the world.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bound {
    pub citizen: Option<CitizenId>,
    pub authority: Option<AuthorityId>,
}

impl Rule {
    /// Whether the rule answers this call; what it found in the world if so.
    pub fn applies(
        &self,
        operation: &str,
        leaves: &Leaves,
        world: &World,
        caller: Option<AuthorityId>,
    ) -> Option<Bound> {
        if self.operation.as_deref().is_some_and(|o| o != operation) {
            return None;
        }
        for (path, expected) in &self.when {
            let hit = leaves
                .iter()
                .any(|l| path.matches(l.path) && (expected == "*" || l.text == *expected));
            if !hit {
                return None;
            }
        }
        if self.needs_caller && caller.is_none() {
            return None;
        }
        let mut bound = Bound::default();
        if let Some(path) = &self.citizen {
            bound.citizen = leaves
                .iter()
                .filter(|l| path.matches(l.path))
                .find_map(|l| cpr_in(l.text).and_then(|cpr| world.citizen_id_by_cpr(cpr)));
            bound.citizen?;
        }
        if let Some(path) = &self.authority {
            bound.authority = leaves
                .iter()
                .filter(|l| path.matches(l.path))
                .find_map(|l| cvr_in(l.text).and_then(|cvr| world.authority_by_cvr(cvr)));
            bound.authority?;
        }
        Some(bound)
    }
}

/// The CPR number in a text: ten digits (a hyphen after the sixth allowed), also inside a URN
/// such as `urn:oio:cpr-nr:1507804329`; the last such run.
pub fn cpr_in(text: &str) -> Option<Cpr> {
    let digits: Vec<String> = runs(text, true);
    digits
        .iter()
        .rev()
        .filter(|d| d.len() == 10)
        .find_map(|d| Cpr::parse(d, true).ok())
}

/// The CVR number in a text: eight digits (the last such run).
pub fn cvr_in(text: &str) -> Option<Cvr> {
    runs(text, false)
        .iter()
        .rev()
        .filter(|d| d.len() == 8)
        .find_map(|d| Cvr::parse(d).ok())
}

/// Runs of digits; with `cpr_hyphen`, a hyphen after six digits joins the run.
fn runs(text: &str, cpr_hyphen: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            run.push(*c);
        } else if cpr_hyphen && *c == '-' && run.len() == 6 && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) {
            continue;
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Where compiling a rule reports: the scenario file and the problems so far.
pub struct Report<'a> {
    pub file: &'a str,
    pub base: &'a Path,
    pub problems: &'a mut Vec<Problem>,
}

impl Report<'_> {
    fn at<T>(&mut self, at: &Located<T>, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            line: at.line,
            column: at.column,
            field: field.to_owned(),
            message: message.into(),
        });
    }
}

/// Compiles one rule against the contract; problems are added to `report`.
pub fn compile(spec: &RuleSpec, contract: &Contract, ops: &[PreparedOp], report: &mut Report<'_>) -> Option<Rule> {
    let before = report.problems.len();
    let set = &contract.schema;
    let mut names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
    names.dedup();
    let field = |f: &str| format!("{}.{f}", spec.at);
    // The operation: by its WSDL name, or by its request element's local name.
    let op: Option<&PreparedOp> = match &spec.operation {
        Some(o) => {
            let found = ops
                .iter()
                .find(|p| p.name == o.value || p.input_local.as_deref() == Some(o.value.as_str()));
            if found.is_none() {
                report.at(
                    o,
                    &field("operation"),
                    format!(
                        "the contract has no operation {:?}; it has {}",
                        o.value,
                        names.join(", ")
                    ),
                );
            }
            found
        }
        None if names.len() == 1 => ops.first(),
        None => {
            let needs = spec.body.is_some() || spec.body_file.is_some() || !spec.set.is_empty() || spec.fault.is_some();
            if needs {
                report.problems.push(Problem {
                    line: spec.line,
                    column: spec.column,
                    field: field("operation"),
                    message: format!(
                        "name the operation this rule answers: the contract has {}",
                        names.join(", ")
                    ),
                });
            }
            None
        }
    };
    let input = op.and_then(|o| o.input.clone()).and_then(|q| set.global_element(&q));
    let input_local = op.and_then(|o| o.input_local.clone()).unwrap_or_default();
    // A request path, checked against the request's schema.
    let request_path = |text: &Located<String>, name: &str, report: &mut Report<'_>| -> Option<PathPattern> {
        let path = match PathPattern::parse(&text.value, &input_local) {
            Ok(p) => p,
            Err(e) => {
                report.at(text, &field(name), e);
                return None;
            }
        };
        if let Some(root) = input
            && let Err(e) = paths::resolve(set, root, &path)
        {
            report.at(
                text,
                &field(name),
                format!("{e} (in the request of {})", op.map_or("", |o| &o.name)),
            );
            return None;
        }
        Some(path)
    };
    let mut when = Vec::new();
    for (key, value) in &spec.when {
        if let Some(p) = request_path(key, &format!("when.{}", key.value), report) {
            when.push((p, value.value.trim().to_owned()));
        }
    }
    let citizen = spec.citizen.as_ref().and_then(|c| request_path(c, "citizen", report));
    let authority = spec
        .authority
        .as_ref()
        .and_then(|c| request_path(c, "authority", report));
    // `{{ request.<path> }}`: the request's value; its sample is a value of the leaf's type.
    let request_value = |text: &str| -> Result<Value, String> {
        let path = PathPattern::parse(text, &input_local)?;
        let Some(root) = input else {
            return Err("name the rule's operation to use request values".into());
        };
        let leaf = paths::resolve(set, root, &path).map_err(|e| format!("{{{{ request.{text} }}}}: {e}"))?;
        let decl = set.element(leaf);
        let simple = match set.type_def(decl.type_id) {
            crate::xsd::model::TypeDef::Simple(_) => Some(decl.type_id),
            crate::xsd::model::TypeDef::Complex(ct) => match &ct.content {
                crate::xsd::model::Content::Simple(s) => Some(*s),
                _ => None,
            },
        };
        let Some(simple) = simple else {
            return Err(format!(
                "{{{{ request.{text} }}}}: {} holds elements, not a value; name one of its leaves",
                decl.name.local
            ));
        };
        let sample = match values::value(
            set,
            simple,
            &values::Hint {
                name: &decl.name.local,
                preferred: None,
                operation: "",
                path: text,
            },
        ) {
            Ok(Value::Static(s)) => s,
            Ok(Value::Clock(fmt)) => values::check_instant().format(fmt).to_string(),
            _ => String::new(),
        };
        Ok(Value::Request { path, sample })
    };
    // The body: inline or from a file, parsed and checked.
    let body = match (&spec.body, &spec.body_file) {
        (Some(b), Some(f)) => {
            report.at(f, &field("body_file"), "give body or body_file, not both");
            let _ = b;
            None
        }
        (Some(b), None) => Some((b.value.clone(), BodyAt::Inline(b.clone()), "body")),
        (None, Some(f)) => match read_body_file(report.base, &f.value) {
            Ok(text) => Some((text, BodyAt::File(f.value.clone(), f.clone()), "body_file")),
            Err(e) => {
                report.at(f, &field("body_file"), e);
                None
            }
        },
        (None, None) => None,
    };
    let mut needs_caller = false;
    let mut parse_template = |text: &str, at: &BodyAt, name: &str, report: &mut Report<'_>| -> Option<Vec<Piece>> {
        match template::parse(text, &request_value) {
            Ok((pieces, uses)) => {
                if uses.citizen && citizen.is_none() {
                    at.report(report, &field(name), text, 0, "the body names the citizen (citizen.* or {{#each citizen.…}}): say where the request names it, with `citizen: <path to the CPR number>`");
                    return None;
                }
                if uses.authority && authority.is_none() {
                    at.report(report, &field(name), text, 0, "the body names authority.*: say where the request names it, with `authority: <path to the CVR number>`");
                    return None;
                }
                needs_caller |= uses.caller;
                Some(pieces)
            }
            Err(errors) => {
                for e in errors {
                    at.report(report, &field(name), text, e.offset, &e.message);
                }
                None
            }
        }
    };
    let answer = if let Some(fault) = &spec.fault {
        if !spec.set.is_empty() {
            report.at(
                fault,
                &field("set"),
                "`set` changes the response's skeleton; a fault has none: give `body` for the fault's detail",
            );
        }
        let declared = op.map(|o| o.faults.iter().map(|f| f.name.clone()).collect::<Vec<_>>());
        let found = op.and_then(|o| {
            o.faults
                .iter()
                .find(|f| f.name == fault.value || f.element.as_ref().is_some_and(|e| e.local == fault.value))
        });
        match (op, found) {
            (Some(_), None) => {
                let declared = declared.unwrap_or_default();
                report.at(
                    fault,
                    &field("fault"),
                    if declared.is_empty() {
                        format!(
                            "the operation declares no faults in the WSDL, so there is no fault {:?} to choose",
                            fault.value
                        )
                    } else {
                        format!(
                            "the operation declares no fault {:?}; it declares {}",
                            fault.value,
                            declared.join(", ")
                        )
                    },
                );
                None
            }
            (None, _) => None,
            (Some(_), Some(f)) => {
                let reason_text = spec.reason.as_ref().map_or(f.name.clone(), |r| r.value.clone());
                let reason_at = spec
                    .reason
                    .as_ref()
                    .map_or(BodyAt::Inline(fault.clone()), |r| BodyAt::Inline(r.clone()));
                let reason = parse_template(&reason_text, &reason_at, "reason", report);
                let detail = match &body {
                    Some((text, at, name)) => {
                        let pieces = parse_template(text, at, name, report);
                        if let (Some(p), Some(element)) = (&pieces, &f.element) {
                            check_sample(contract, element, p, at, &field(name), text, report);
                        }
                        pieces.map(Some)
                    }
                    None => Some(None),
                };
                match (reason, detail) {
                    (Some(reason), Some(detail)) => Some(Answer::Fault {
                        name: f.name.clone(),
                        reason,
                        detail,
                        code: spec.code.as_ref().map(|c| c.value.clone()),
                    }),
                    _ => None,
                }
            }
        }
    } else if let Some((text, at, name)) = &body {
        if let Some(s) = spec.set.first() {
            report.at(
                &s.0,
                &field("set"),
                "give body or set, not both: set changes the generated response, body replaces it",
            );
        }
        let pieces = parse_template(text, at, name, report);
        match (pieces, op.and_then(|o| o.output.as_ref())) {
            (Some(p), Some(element)) => {
                check_sample(contract, element, &p, at, &field(name), text, report);
                Some(Answer::Body(p))
            }
            (Some(_), None) if op.is_some() => {
                at.report(
                    report,
                    &field(name),
                    text,
                    0,
                    "the operation has no response (one-way): it takes no body",
                );
                None
            }
            _ => None,
        }
    } else if !spec.set.is_empty() {
        let mut sets = Vec::new();
        for (key, value) in &spec.set {
            let Some(o) = op else { break };
            let output_local = o.output.as_ref().map(|q| q.local.clone()).unwrap_or_default();
            let path = match PathPattern::parse(&key.value, &output_local) {
                Ok(p) => p,
                Err(e) => {
                    report.at(key, &field(&format!("set.{}", key.value)), e);
                    continue;
                }
            };
            let Some(skeleton) = &o.skeleton else { continue };
            if !skeleton.leaves.iter().any(|(l, _)| path.matches(l)) {
                let mut known: Vec<&str> = skeleton
                    .leaves
                    .iter()
                    .map(|(l, _)| l.as_str())
                    .filter(|l| !l.contains('@'))
                    .collect();
                known.truncate(24);
                report.at(
                    key,
                    &field(&format!("set.{}", key.value)),
                    format!(
                        "the generated response of {} has no value at {:?} (it holds required elements only: {}); write a body to answer with more",
                        o.name,
                        key.value,
                        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                    ),
                );
                continue;
            }
            let at = BodyAt::Inline(value.clone());
            if let Some(pieces) = parse_template(&value.value, &at, &format!("set.{}", key.value), report) {
                // A value's text is text, not XML: written escaped.
                let pieces = pieces
                    .into_iter()
                    .map(|p| match p {
                        Piece::Text(t) => Piece::Value(Value::Static(t)),
                        other => other,
                    })
                    .collect();
                sets.push((path, pieces));
            }
        }
        match (op.and_then(|o| o.skeleton.as_ref()), op.and_then(|o| o.output.as_ref())) {
            (Some(skeleton), Some(element)) => {
                let pieces = skeleton.with(&sets);
                if let Some((k, _)) = spec.set.first() {
                    check_rendered(
                        contract,
                        element,
                        &pieces,
                        &BodyAt::Inline(k.clone()),
                        &field("set"),
                        report,
                    );
                }
                Some(Answer::Set(pieces))
            }
            _ => {
                if let (Some(o), Some((k, _))) = (op, spec.set.first()) {
                    report.at(
                        k,
                        &field("set"),
                        format!("{} has no response (one-way): there is nothing to set", o.name),
                    );
                }
                None
            }
        }
    } else {
        report.problems.push(Problem {
            line: spec.line,
            column: spec.column,
            field: spec.at.clone(),
            message: "a rule answers with body, body_file, set or fault; this one has none".into(),
        });
        None
    };
    if report.problems.len() > before {
        return None;
    }
    Some(Rule {
        label: format!("{} ({}:{})", spec.at, report.file, spec.line),
        operation: op.map(|o| o.name.clone()),
        when,
        citizen,
        authority,
        needs_caller,
        answer: answer?,
    })
}

/// Where a body's text comes from, to place its problems.
#[derive(Debug, Clone)]
enum BodyAt {
    /// In the scenario file, as a YAML scalar.
    Inline(Located<String>),
    /// In a file of its own (the name as written, and where it is named).
    File(String, Located<String>),
}

impl BodyAt {
    /// Reports a problem at a byte offset of the body's text.
    fn report(&self, report: &mut Report<'_>, field: &str, text: &str, offset: usize, message: &str) {
        let (l, c) = template::line_column(text, offset);
        match self {
            BodyAt::Inline(at) => {
                // A block scalar (`body: |`) keeps its lines and their indentation below the
                // first; a quoted one starts after its quote.
                let (line, column) = if at.quoted {
                    (at.line + l - 1, if l == 1 { at.column + c } else { c })
                } else {
                    (at.line + l - 1, at.column + c - 1)
                };
                report.problems.push(Problem {
                    line,
                    column,
                    field: field.to_owned(),
                    message: message.to_owned(),
                });
            }
            BodyAt::File(name, at) => report.at(at, field, format!("{name}:{l}:{c}: {message}")),
        }
    }
}

fn read_body_file(base: &Path, name: &str) -> Result<String, String> {
    let path = base.join(name);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > MAX_BODY_FILE {
        return Err(format!("{} is larger than {} MiB", path.display(), MAX_BODY_FILE >> 20));
    }
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Renders a body with sample values and validates it, reporting each finding at its line.
fn check_sample(
    contract: &Contract,
    element: &crate::xsd::QName,
    pieces: &[Piece],
    at: &BodyAt,
    field: &str,
    text: &str,
    report: &mut Report<'_>,
) {
    let mut out = Vec::new();
    template::render(
        pieces,
        &Scope {
            now: values::check_instant(),
            leaves: &Leaves::default(),
            lookup: None,
        },
        &mut out,
    );
    let findings = validate(contract, element, &out);
    for f in findings.iter().take(8) {
        // The sample keeps the template's lines; its columns may differ after placeholders.
        let offset = line_offset(text, f.line);
        at.report(
            report,
            field,
            text,
            offset,
            &format!("not valid against the contract: {}", f.message),
        );
    }
}

fn check_rendered(
    contract: &Contract,
    element: &crate::xsd::QName,
    pieces: &[Piece],
    at: &BodyAt,
    field: &str,
    report: &mut Report<'_>,
) {
    let mut out = Vec::new();
    template::render(
        pieces,
        &Scope {
            now: values::check_instant(),
            leaves: &Leaves::default(),
            lookup: None,
        },
        &mut out,
    );
    for f in validate(contract, element, &out).iter().take(8) {
        at.report(
            report,
            field,
            "",
            0,
            &format!(
                "the response with these values is not valid: {} (at {})",
                f.message, f.path
            ),
        );
    }
}

/// The byte offset of the start of a 1-based line.
fn line_offset(text: &str, line: u32) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line as usize - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// Validates an element's bytes against the global element `element`.
pub fn validate(contract: &Contract, element: &crate::xsd::QName, bytes: &[u8]) -> Vec<crate::xsd::Finding> {
    match contract.schema.global_element(element) {
        Some(id) => contract
            .schema
            .validate_instance(&Instance::new(bytes), Some(id), Limits::default()),
        None => contract.validate(&Instance::new(bytes), element),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpr_and_cvr_numbers_are_found_in_text() {
        assert_eq!(
            cpr_in("urn:oio:cpr-nr:1507804329").map(|c| c.to_string()),
            Some("1507804329".into())
        );
        assert_eq!(cpr_in("150780-4329").map(|c| c.to_string()), Some("1507804329".into()));
        assert_eq!(cpr_in("12345"), None);
        assert_eq!(
            cvr_in("urn:oio:cvr-nr:29189846").map(|c| c.to_string()),
            Some("29189846".into())
        );
        assert_eq!(cvr_in("1507804329"), None);
    }
}
