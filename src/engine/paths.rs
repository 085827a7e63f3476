//! Local-name paths into a message: how rules name request values
//! (`SoegUdtryk/SoegSag/**/URNIdentifikator`) and response leaves (`StandardRetur/StatusKode`).
//!
//! A path is local names joined by `/`, below the operation's element (a first step naming
//! that element itself is dropped); `*` stands for one element of any name and `**` (also
//! written `…` or `...`) for any number of elements. Prefixes and namespaces never matter, as
//! everywhere in sfstub. [`resolve`] checks a path against the schema when the scenario
//! loads; [`PathPattern::matches`] finds it among a request's leaves.

use std::collections::HashSet;

use crate::xsd::model::{Content, ElementId, Particle, SchemaSet, Term, TypeDef};

/// The deepest a path may reach into a schema while it is resolved.
const MAX_DEPTH: usize = 48;

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    /// The steps: local names, `*` or `**`.
    pub steps: Vec<String>,
    /// The path as written, for messages.
    pub text: String,
}

impl PathPattern {
    /// Parses a path written below the element `root` (a leading `root/` is dropped).
    pub fn parse(text: &str, root: &str) -> Result<PathPattern, String> {
        let trimmed = text.trim().trim_matches('/');
        if trimmed.is_empty() {
            return Err("an empty path: name the elements from the operation's element down, e.g. A/B/C".into());
        }
        let mut steps: Vec<String> = Vec::new();
        for step in trimmed.split('/') {
            let step = step.trim();
            let step = match step {
                "…" | "..." | "**" => "**",
                other => other,
            };
            if step.is_empty() {
                return Err(format!("{text:?} has an empty step (two slashes in a row)"));
            }
            if step.contains(':') {
                return Err(format!(
                    "{text:?}: write local names without prefixes ({step:?}); namespaces never matter here"
                ));
            }
            if step.starts_with('@') {
                return Err(format!("{text:?}: attributes cannot be matched, only elements"));
            }
            if step == "**" && steps.last().is_some_and(|s| s == "**") {
                continue;
            }
            steps.push(step.to_owned());
        }
        if steps.first().is_some_and(|s| s == root) && steps.len() > 1 {
            steps.remove(0);
        }
        if steps.last().is_some_and(|s| s == "**") {
            return Err(format!(
                "{text:?} ends in `**`: end it with the element whose value you mean"
            ));
        }
        Ok(PathPattern {
            steps,
            text: text.trim().to_owned(),
        })
    }

    /// Whether a leaf path (local names below the operation's element, joined by `/`) matches.
    pub fn matches(&self, leaf: &str) -> bool {
        let parts: Vec<&str> = leaf.split('/').collect();
        glob(&self.steps, &parts)
    }
}

/// `*` matches one step, `**` any number; linear-time table over (pattern, path) prefixes.
fn glob(pattern: &[String], path: &[&str]) -> bool {
    let (n, m) = (pattern.len(), path.len());
    // ok[j]: pattern[..i] matches path[..j].
    let mut ok = vec![false; m + 1];
    ok[0] = true;
    for step in pattern {
        let mut next = vec![false; m + 1];
        if step == "**" {
            let mut any = false;
            for j in 0..=m {
                any |= ok[j];
                next[j] = any;
            }
        } else {
            for j in 1..=m {
                next[j] = ok[j - 1] && (step == "*" || step == path[j - 1]);
            }
        }
        ok = next;
    }
    n > 0 && ok[m]
}

/// The element declaration a path names below `root`, checked against the schema: the first
/// one found, or a message naming the first step the schema does not have there and the
/// names it has.
pub fn resolve(set: &SchemaSet, root: ElementId, path: &PathPattern) -> Result<ElementId, String> {
    let mut frontier: Vec<ElementId> = vec![root];
    for (i, step) in path.steps.iter().enumerate() {
        let mut next: Vec<ElementId> = Vec::new();
        let mut seen = HashSet::new();
        if step == "**" {
            // Every element below the frontier, at any depth (each declaration once).
            let mut stack: Vec<(ElementId, usize)> = frontier.iter().map(|e| (*e, 0)).collect();
            let mut below = HashSet::new();
            for e in &frontier {
                if below.insert(*e) {
                    next.push(*e);
                }
            }
            while let Some((e, depth)) = stack.pop() {
                if depth > MAX_DEPTH {
                    continue;
                }
                for c in children(set, e) {
                    if below.insert(c) {
                        next.push(c);
                        stack.push((c, depth + 1));
                    }
                }
            }
        } else {
            for e in &frontier {
                for c in children(set, *e) {
                    let name = &set.element(c).name.local;
                    if (step == "*" || name == step) && seen.insert(c) {
                        next.push(c);
                    }
                }
            }
        }
        if next.is_empty() {
            let at = if i == 0 {
                format!("<{}>", set.element(root).name.local)
            } else {
                path.steps[..i].join("/")
            };
            let mut known: Vec<String> = frontier
                .iter()
                .flat_map(|e| children(set, *e))
                .map(|c| set.element(c).name.local.clone())
                .collect();
            known.sort();
            known.dedup();
            let has = match known.len() {
                0 => "it has no child elements".to_owned(),
                n if n > 24 => format!("it has {}, … ({n} names in all)", known[..24].join(", ")),
                _ => format!("it has {}", known.join(", ")),
            };
            return Err(format!(
                "{:?}: the schema has no element {step} in {at} ({has})",
                path.text
            ));
        }
        frontier = next;
    }
    frontier
        .into_iter()
        .next()
        .ok_or_else(|| format!("{:?} names nothing", path.text))
}

/// The element declarations that may appear as children of `element` (substitution group
/// members included, abstract heads left out).
pub fn children(set: &SchemaSet, element: ElementId) -> Vec<ElementId> {
    let decl = set.element(element);
    let mut out = Vec::new();
    let mut types = vec![decl.type_id];
    // A derived type may stand in for the declared one (xsi:type): its elements count too.
    if let TypeDef::Complex(_) = set.type_def(decl.type_id) {
        for (_, t) in set.global_types() {
            if t != decl.type_id && set.derives_from(t, decl.type_id) && set.complex(t).is_some() {
                types.push(t);
            }
        }
    }
    for t in types {
        if let TypeDef::Complex(ct) = set.type_def(t)
            && let Content::Elements(p) = &ct.content
        {
            collect(set, p, &mut out, 0);
        }
    }
    out
}

fn collect(set: &SchemaSet, p: &Particle, out: &mut Vec<ElementId>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match &p.term {
        Term::Element(id) => {
            if !set.element(*id).is_abstract && !out.contains(id) {
                out.push(*id);
            }
            for s in set.substitutes(*id) {
                if !set.element(*s).is_abstract && !out.contains(s) {
                    out.push(*s);
                }
            }
        }
        Term::Any(_) => {}
        Term::Sequence(c) | Term::Choice(c) | Term::All(c) => {
            for child in c {
                collect(set, child, out, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> PathPattern {
        PathPattern::parse(text, "Op").unwrap()
    }

    #[test]
    fn paths_match_leaves_by_local_names() {
        assert!(p("A/B").matches("A/B"));
        assert!(p("Op/A/B").matches("A/B"), "the operation's element may be named first");
        assert!(!p("A/B").matches("A/B/C"));
        assert!(p("A/**/C").matches("A/C"));
        assert!(p("A/**/C").matches("A/X/Y/C"));
        assert!(p("A/…/C").matches("A/X/C"));
        assert!(p("**/C").matches("X/Y/C"));
        assert!(p("A/*/C").matches("A/X/C"));
        assert!(!p("A/*/C").matches("A/C"));
    }

    #[test]
    fn bad_paths_are_named() {
        for (bad, why) in [
            ("", "empty"),
            ("A//B", "empty step"),
            ("a:A/B", "prefixes"),
            ("A/@x", "attributes"),
            ("A/**", "ends in"),
        ] {
            let e = PathPattern::parse(bad, "Op").unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
