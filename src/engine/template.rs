//! Response templates: XML text with values filled in per call. The skeleton generator builds
//! them from the schema, and rules from a scenario's `body` with `{{ placeholders }}`:
//! request values, the world's facts (a citizen, an authority, a case, a class) and the clock,
//! and `{{#each citizen.cases}} … {{/each}}` for one copy per case (or benefit).
//!
//! Everything that depends only on the scenario is decided when the template is built; a call
//! only looks values up and concatenates.

use chrono::{DateTime, Utc};

use super::paths::PathPattern;
use super::world::{Collection, Field, Item, Lookup};
use crate::soap::xml::{Leaves, escape};

/// A piece of a template.
#[derive(Debug, Clone)]
pub enum Piece {
    /// XML written as it is.
    Text(String),
    /// A value, XML-escaped when written.
    Value(Value),
    /// The pieces once per item of a collection.
    Each(Collection, Vec<Piece>),
}

/// Where a value comes from.
#[derive(Debug, Clone)]
pub enum Value {
    /// Fixed when the template was built.
    Static(String),
    /// The call's instant under the world's clock, in a chrono format.
    Clock(&'static str),
    /// The text of the first request leaf the path matches (empty when there is none);
    /// `sample` stands in for it when a template is checked at load.
    Request { path: PathPattern, sample: String },
    /// A fact of the world.
    World(Field),
    /// A fresh random UUID.
    NewUuid,
}

/// What a call's values come from.
pub struct Scope<'a> {
    /// The instant of the call under the world's clock.
    pub now: DateTime<Utc>,
    /// The request's leaves (paths below the operation's element).
    pub leaves: &'a Leaves,
    /// The world and what is bound in it; `None` renders samples (the check at load).
    pub lookup: Option<&'a Lookup<'a>>,
}

/// Writes a template.
pub fn render(pieces: &[Piece], scope: &Scope<'_>, out: &mut Vec<u8>) {
    render_in(pieces, scope, None, out);
}

fn render_in(pieces: &[Piece], scope: &Scope<'_>, item: Option<Item>, out: &mut Vec<u8>) {
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.extend_from_slice(t.as_bytes()),
            Piece::Value(v) => {
                let text = value(v, scope, item);
                out.extend_from_slice(escape(&text).as_bytes());
            }
            Piece::Each(collection, body) => match scope.lookup {
                Some(lookup) => {
                    for it in lookup.items(*collection) {
                        render_in(body, scope, Some(it), out);
                    }
                }
                None => render_in(body, scope, None, out),
            },
        }
    }
}

fn value(v: &Value, scope: &Scope<'_>, item: Option<Item>) -> String {
    match v {
        Value::Static(s) => s.clone(),
        Value::Clock(format) => scope.now.format(format).to_string(),
        Value::Request { path, sample } => match scope.lookup {
            None => sample.clone(),
            Some(_) => scope
                .leaves
                .iter()
                .find(|l| path.matches(l.path))
                .map(|l| l.text.to_owned())
                .unwrap_or_default(),
        },
        Value::World(field) => match scope.lookup {
            Some(lookup) => lookup.field(*field, item).unwrap_or_default(),
            None => field.sample().to_owned(),
        },
        Value::NewUuid => match scope.lookup {
            Some(_) => uuid::Uuid::new_v4().to_string(),
            None => "6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11".to_owned(),
        },
    }
}

/// What a parsed body uses, so the rule can check that each is bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Uses {
    pub citizen: bool,
    pub authority: bool,
    pub caller: bool,
}

/// A problem in a template: the byte offset of the placeholder and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

/// Parses a body with placeholders. `request` turns a `request.<path>` placeholder into its
/// value (checking the path against the request's schema); every problem is returned.
pub fn parse(
    text: &str,
    request: &dyn Fn(&str) -> Result<Value, String>,
) -> Result<(Vec<Piece>, Uses), Vec<TemplateError>> {
    let mut errors = Vec::new();
    let mut uses = Uses::default();
    // The open `each` blocks: (collection, where it opened, pieces so far).
    let mut stack: Vec<(Collection, usize, Vec<Piece>)> = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut rest = text;
    let mut at = 0usize;
    loop {
        let Some(open) = rest.find("{{") else {
            push_text(current(&mut stack, &mut pieces), rest);
            break;
        };
        push_text(current(&mut stack, &mut pieces), &rest[..open]);
        let start = at + open;
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            errors.push(TemplateError {
                offset: start,
                message: "a `{{` without its `}}`".into(),
            });
            break;
        };
        let inner = after[..close].trim();
        let consumed = open + 2 + close + 2;
        if let Some(name) = inner.strip_prefix("#each") {
            match Collection::parse(name.trim()) {
                Ok(c) => {
                    uses.citizen = true;
                    stack.push((c, start, Vec::new()));
                }
                Err(e) => errors.push(TemplateError {
                    offset: start,
                    message: e,
                }),
            }
        } else if inner == "/each" {
            match stack.pop() {
                Some((c, _, body)) => current(&mut stack, &mut pieces).push(Piece::Each(c, body)),
                None => errors.push(TemplateError {
                    offset: start,
                    message: "`{{/each}}` closes no `{{#each …}}`".into(),
                }),
            }
        } else {
            let inside: Vec<Collection> = stack.iter().map(|(c, _, _)| *c).collect();
            match placeholder(inner, &inside, request) {
                Ok((v, used)) => {
                    uses.citizen |= used.citizen;
                    uses.authority |= used.authority;
                    uses.caller |= used.caller;
                    current(&mut stack, &mut pieces).push(Piece::Value(v));
                }
                Err(e) => errors.push(TemplateError {
                    offset: start,
                    message: e,
                }),
            }
        }
        at += consumed;
        rest = &rest[consumed..];
    }
    for (c, opened, _) in stack.drain(..) {
        errors.push(TemplateError {
            offset: opened,
            message: format!("`{{{{#each {}}}}}` is never closed with `{{{{/each}}}}`", c.name()),
        });
    }
    if errors.is_empty() {
        Ok((pieces, uses))
    } else {
        Err(errors)
    }
}

fn current<'a>(stack: &'a mut [(Collection, usize, Vec<Piece>)], pieces: &'a mut Vec<Piece>) -> &'a mut Vec<Piece> {
    match stack.last_mut() {
        Some((_, _, body)) => body,
        None => pieces,
    }
}

fn push_text(pieces: &mut Vec<Piece>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Piece::Text(t)) = pieces.last_mut() {
        t.push_str(text);
    } else {
        pieces.push(Piece::Text(text.to_owned()));
    }
}

/// The names a placeholder may have, for messages.
pub const NAMES: &str = "request.<path>, today, now, new_uuid, citizen.<field>, authority.<field>, caller.<field>, \
     case.<field> and benefit.<field> (inside {{#each citizen.cases}} and {{#each citizen.benefits}}), \
     class.<FACET>.<KEY>.<uuid|key|title>";

/// One placeholder's value.
fn placeholder(
    name: &str,
    inside: &[Collection],
    request: &dyn Fn(&str) -> Result<Value, String>,
) -> Result<(Value, Uses), String> {
    let mut uses = Uses::default();
    let value = match name {
        "" => return Err("an empty placeholder `{{ }}`".into()),
        "today" => Value::Clock("%Y-%m-%d"),
        "now" => Value::Clock("%Y-%m-%dT%H:%M:%SZ"),
        "new_uuid" => Value::NewUuid,
        _ => {
            if let Some(path) = name.strip_prefix("request.") {
                request(path)?
            } else if let Some(class) = name.strip_prefix("class.") {
                Value::Static(super::world::class_value(class)?)
            } else {
                let field = Field::parse(name)?;
                match field.needs() {
                    Some(c) if !inside.contains(&c) => {
                        return Err(format!(
                            "{{{{ {name} }}}} is only known inside {{{{#each {}}}}} … {{{{/each}}}}",
                            c.name()
                        ));
                    }
                    _ => {}
                }
                match field {
                    Field::Citizen(_) => uses.citizen = true,
                    Field::Authority(_) => uses.authority = true,
                    Field::Caller(_) => uses.caller = true,
                    _ => {}
                }
                Value::World(field)
            }
        }
    };
    Ok((value, uses))
}

/// The 1-based line and column of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_request(path: &str) -> Result<Value, String> {
        Err(format!("no request here ({path})"))
    }

    #[test]
    fn placeholders_and_blocks_parse() {
        let (pieces, uses) = parse(
            "<a>{{ today }}</a>{{#each citizen.cases}}<c>{{case.id}}</c>{{/each}}",
            &no_request,
        )
        .unwrap();
        assert!(uses.citizen);
        assert_eq!(pieces.len(), 4, "{pieces:#?}");
        assert!(matches!(pieces[3], Piece::Each(Collection::CitizenCases, ref b) if b.len() == 3));
    }

    #[test]
    fn every_problem_is_reported_with_its_offset() {
        let text = "{{ nope }}<a>{{case.id}}</a>{{/each}}{{#each x}}{{ request.A }}";
        let errors = parse(text, &no_request).unwrap_err();
        let offsets: Vec<usize> = errors.iter().map(|e| e.offset).collect();
        assert_eq!(offsets, vec![0, 13, 28, 37, 48], "{errors:#?}");
        assert!(errors[1].message.contains("only known inside"), "{errors:#?}");
        assert!(errors[4].message.contains("no request here"), "{errors:#?}");
    }

    #[test]
    fn an_unclosed_block_is_named() {
        let errors = parse("{{#each citizen.cases}}<a/>", &no_request).unwrap_err();
        assert!(errors[0].message.contains("never closed"), "{errors:#?}");
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }
}
