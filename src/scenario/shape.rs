//! The shape of a scenario file, checked before its values: every unknown field, every
//! missing required field and every value of the wrong type, across the whole file, each with
//! its line, column and field. Serde stops at the first of these; a user fixing a file wants
//! them all at once.
//!
//! The file is read once into a generic tree of [`Spanned`] nodes and walked against
//! [`SCENARIO`], a description of the format that mirrors the raw shapes in `validate.rs` (a
//! test keeps the two in step). A scalar that must be a number, a flag or one of a few words
//! is judged by deserializing its own source text as that type, so the walk accepts exactly
//! what the typed parse accepts (quoted numbers, YAML's `yes`/`on`, `0x10`, ...).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::Problem;

/// Parser events allowed per byte of YAML, on top of [`EVENTS_BASE`]. Plain YAML yields at
/// most one event per byte or two; only aliases, which replay what their anchor holds, yield
/// more. The budget keeps a "billion laughs" text of a few hundred bytes from costing more
/// than a friendly file of the same size, instead of replaying a million events first.
const EVENTS_PER_BYTE: usize = 16;
/// Parser events every text may use, however short.
const EVENTS_BASE: usize = 10_000;

/// Reads YAML (a scenario file, a persons or faults body) as a `T`, within a budget of parser
/// events, alias replays included, that grows linearly with the text's length.
pub(crate) fn from_yaml<T: DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    let events = EVENTS_BASE.saturating_add(text.len().saturating_mul(EVENTS_PER_BYTE));
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: events,
            max_recorded_anchor_events: events,
        },
    };
    serde_saphyr::from_str_with_options(text, options)
}

/// A YAML node of any kind, with the locations of its children.
#[derive(Debug)]
enum Node {
    Null,
    Scalar,
    List(Vec<Spanned<Node>>),
    Mapping(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_i128<E>(self, _: i128) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_u128<E>(self, _: u128) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_bytes<E>(self, _: &[u8]) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<Node>>()?;
                    entries.push((key, value));
                }
                Ok(Node::Mapping(entries))
            }
        }
        deserializer.deserialize_any(Any)
    }
}

/// What a value must look like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// Any single value, read as text.
    Text,
    /// A whole number from 0 to the bound.
    Whole(u64),
    /// A number.
    Number,
    /// `true` or `false`.
    Flag,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A mapping of these fields, no others.
    Record(&'static [Field]),
    /// A list of values of one shape.
    List(&'static Shape),
    /// A mapping with free keys, each value of one shape (e.g. `themes`).
    Table(&'static Shape),
}

/// Whether a field may be left out or written as null (`~`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Must be there, with a value.
    Required,
    /// May be left out or null.
    Optional,
    /// May be left out (a default applies), but not null.
    Defaulted,
}

/// One field of a [`Shape::Record`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub need: Need,
    pub shape: Shape,
}

pub(crate) const fn field(name: &'static str, need: Need, shape: Shape) -> Field {
    Field { name, need, shape }
}

use Need::{Defaulted, Optional, Required};

const STEP: &[Field] = &[field("type", Required, Shape::Text), field("at", Required, Shape::Text)];

const CASE: &[Field] = &[
    field("holder", Required, Shape::Text),
    field("theme", Required, Shape::Text),
    field("benefit", Required, Shape::Text),
    field("status", Required, Shape::Text),
    field("opened", Required, Shape::Text),
    field("closed", Optional, Shape::Text),
    field("steps", Defaulted, Shape::List(&Shape::Record(STEP))),
];

const ADDRESS: &[Field] = &[
    field("street", Required, Shape::Text),
    field("number", Required, Shape::Whole(999)),
    field("floor", Optional, Shape::Text),
    field("door", Optional, Shape::OneOf(&["th", "tv", "mf"])),
    field("postcode", Optional, Shape::Text),
    field("town", Optional, Shape::Text),
    field("moved_in", Optional, Shape::Text),
];

const RELATIONS: &[Field] = &[
    field("spouse", Optional, Shape::Text),
    field("mother", Optional, Shape::Text),
    field("father", Optional, Shape::Text),
    field("children", Defaulted, Shape::List(&Shape::Text)),
];

pub(crate) const PERSON: &[Field] = &[
    field("cpr", Required, Shape::Text),
    field("name", Optional, Shape::Text),
    field("kommune", Required, Shape::Text),
    field("cases", Defaulted, Shape::List(&Shape::Record(CASE))),
    field("address", Optional, Shape::Record(ADDRESS)),
    field("relations", Optional, Shape::Record(RELATIONS)),
];

const AGREEMENT: &[Field] = &[
    field("cvr", Required, Shape::Text),
    field("services", Required, Shape::List(&Shape::Text)),
    field("system", Optional, Shape::Text),
];

const RULE: &[Field] = &[
    field("operation", Optional, Shape::Text),
    field("when", Optional, Shape::Table(&Shape::Text)),
    field("citizen", Optional, Shape::Text),
    field("authority", Optional, Shape::Text),
    field("body", Optional, Shape::Text),
    field("body_file", Optional, Shape::Text),
    field("set", Optional, Shape::Table(&Shape::Text)),
    field("fault", Optional, Shape::Text),
    field("reason", Optional, Shape::Text),
    field("code", Optional, Shape::Text),
];

const CONTRACT: &[Field] = &[
    field("wsdl", Required, Shape::Text),
    field("path", Optional, Shape::Text),
    field("entity_id", Optional, Shape::Text),
    field("title", Optional, Shape::Text),
    field("responses", Defaulted, Shape::List(&Shape::Record(RULE))),
];

/// The scenario format, as `validate::RawScenario` reads it.
pub(super) const SCENARIO: &[Field] = &[
    field("name", Required, Shape::Text),
    field("description", Optional, Shape::Text),
    field("seed", Defaulted, Shape::Whole(u64::MAX)),
    field("clock", Optional, Shape::Text),
    field("udk_cvr", Optional, Shape::Text),
    field(
        "cpr",
        Defaulted,
        Shape::Record(&[
            field("modulus11", Defaulted, Shape::Flag),
            field("replacement", Defaulted, Shape::Flag),
        ]),
    ),
    field(
        "population",
        Optional,
        Shape::Record(&[
            field("citizens", Defaulted, Shape::Whole(u32::MAX as u64)),
            field("with_cases", Defaulted, Shape::Number),
        ]),
    ),
    field("themes", Optional, Shape::Table(&Shape::Whole(u32::MAX as u64))),
    field("persons", Defaulted, Shape::List(&Shape::Record(PERSON))),
    field(
        "sf1472",
        Defaulted,
        Shape::Record(&[
            field("namespace", Defaulted, Shape::Text),
            field("revision", Defaulted, Shape::Text),
        ]),
    ),
    field(
        "security",
        Defaulted,
        Shape::Record(&[
            field("mode", Defaulted, Shape::OneOf(&["off", "token", "strict"])),
            field("clock_skew", Defaulted, Shape::Whole(u32::MAX as u64)),
            field("clock", Optional, Shape::Text),
            field("max_timestamp_age", Defaulted, Shape::Whole(u32::MAX as u64)),
            field("max_timestamp_lifetime", Defaulted, Shape::Whole(u32::MAX as u64)),
        ]),
    ),
    field("agreements", Optional, Shape::List(&Shape::Record(AGREEMENT))),
    field("contracts", Defaulted, Shape::List(&Shape::Record(CONTRACT))),
    field(
        "faults",
        Defaulted,
        Shape::List(&Shape::Record(crate::faults::read::RULE)),
    ),
];

/// Checks the shape of a scenario file. `Err` holds one problem when the text is not YAML at
/// all, else every problem of shape; `Ok` means the typed parse can read the file.
pub(crate) fn check(text: &str) -> Result<(), Vec<Problem>> {
    let root: Spanned<Node> = from_yaml(text).map_err(|e| vec![syntax_problem(&e)])?;
    let mut walk = Walk {
        source: text,
        problems: Vec::new(),
    };
    match &root.value {
        Node::Null => walk.problems.push(Problem {
            line: 0,
            column: 0,
            field: String::new(),
            message: "the file holds no scenario; it needs at least `name:`".into(),
        }),
        _ => walk.value(&root, "", Shape::Record(SCENARIO)),
    }
    if walk.problems.is_empty() {
        Ok(())
    } else {
        Err(walk.problems)
    }
}

/// How a body of the admin API gives items: one, a list, or a list under a key (as in a
/// scenario file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    One,
    List,
    Wrapped,
}

/// Checks the shape of items given on their own: one mapping of `item`'s fields, a list of
/// them, or a mapping whose only field `key` holds the list (`wrapped` describes that).
/// Problems name fields as a scenario file would (`persons[0].cpr`, or `[0].cpr` for a bare
/// list, `cpr` for one).
pub(crate) fn check_fragment(text: &str, key: &str, item: Shape, wrapped: Shape) -> Result<Form, Vec<Problem>> {
    let root: Spanned<Node> = from_yaml(text).map_err(|e| vec![syntax_problem(&e)])?;
    let mut walk = Walk {
        source: text,
        problems: Vec::new(),
    };
    let form = match &root.value {
        Node::Null => {
            walk.problems.push(Problem {
                line: 0,
                column: 0,
                field: String::new(),
                message: "the body is empty".into(),
            });
            Form::One
        }
        Node::List(items) => {
            for (i, child) in items.iter().enumerate() {
                walk.value(child, &format!("[{i}]"), item);
            }
            Form::List
        }
        Node::Mapping(entries) if entries.iter().any(|(k, _)| k.value == key) => {
            walk.value(&root, "", wrapped);
            Form::Wrapped
        }
        _ => {
            walk.value(&root, "", item);
            Form::One
        }
    };
    if walk.problems.is_empty() {
        Ok(form)
    } else {
        Err(walk.problems)
    }
}

/// The parser's error as a problem (no field: the file could not be read as YAML).
pub(crate) fn syntax_problem(e: &serde_saphyr::Error) -> Problem {
    let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
    let text = super::first_line(&e.to_string());
    // The reader reports a breach of its budget in a message of its own, whichever way the
    // error is wrapped; say what the budget is.
    let message = match text.find("budget breached: ") {
        Some(at) => format!(
            "the YAML is too costly to read ({}): sfstub reads at most {EVENTS_BASE} parser \
             events plus {EVENTS_PER_BYTE} per byte of the text, what aliases replay included",
            text[at + "budget breached: ".len()..]
                .split(" at line")
                .next()
                .unwrap_or("")
        ),
        None => text,
    };
    Problem {
        line,
        column,
        field: "(structure)".into(),
        message,
    }
}

struct Walk<'a> {
    source: &'a str,
    problems: Vec<Problem>,
}

impl Walk<'_> {
    fn report<T>(&mut self, at: &Spanned<T>, field: &str, message: String) {
        self.problems.push(Problem {
            line: at.referenced.line(),
            column: at.referenced.column(),
            field: if field.is_empty() {
                "(top level)".into()
            } else {
                field.to_owned()
            },
            message,
        });
    }

    /// The source text of a scalar node (where it is defined, for an alias).
    fn text_of(&self, node: &Spanned<Node>) -> Option<&str> {
        let span = node.defined.span();
        let start = usize::try_from(span.byte_offset()?).ok()?;
        let len = usize::try_from(span.byte_len()?).ok()?;
        self.source
            .get(start..start.checked_add(len)?)
            .filter(|t| !t.is_empty())
    }

    /// A short rendering of what was found, for messages.
    fn found(&self, node: &Spanned<Node>) -> String {
        match &node.value {
            Node::Null => "nothing (null)".into(),
            Node::List(_) => "a list".into(),
            Node::Mapping(_) => "a mapping".into(),
            Node::Scalar => match self.text_of(node) {
                Some(t) if t.chars().count() <= 40 => t.to_owned(),
                Some(t) => format!("{}…", t.chars().take(40).collect::<String>()),
                None => "a value".into(),
            },
        }
    }

    /// True when the scalar's own text reads as a `T` the way the typed parse reads it (or
    /// when the text cannot be cut out, so the typed parse has the last word).
    fn reads_as<T: DeserializeOwned>(&self, node: &Spanned<Node>) -> Option<T> {
        from_yaml::<T>(self.text_of(node)?).ok()
    }

    fn value(&mut self, node: &Spanned<Node>, at: &str, shape: Shape) {
        let found = || self.found(node);
        match (shape, &node.value) {
            (Shape::Record(fields), Node::Mapping(entries)) => self.record(node, entries, at, fields),
            (Shape::Record(_), _) => {
                let message = format!("expected a mapping of fields (`key: value` lines), got {}", found());
                self.report(node, at, message);
            }
            (Shape::List(item), Node::List(items)) => {
                for (i, child) in items.iter().enumerate() {
                    self.value(child, &format!("{at}[{i}]"), *item);
                }
            }
            (Shape::List(_), _) => {
                let message = format!("expected a list (`- item` lines or `[a, b]`), got {}", found());
                self.report(node, at, message);
            }
            (Shape::Table(item), Node::Mapping(entries)) => {
                for (key, child) in entries {
                    self.value(child, &join(at, &key.value), *item);
                }
            }
            (Shape::Table(_), _) => {
                let message = format!("expected a mapping (`KEY: value` lines), got {}", found());
                self.report(node, at, message);
            }
            (_, Node::List(_) | Node::Mapping(_)) => {
                let message = format!("expected a single value, got {}", found());
                self.report(node, at, message);
            }
            (_, Node::Null) => {
                self.report(node, at, "expected a value, got nothing (null)".into());
            }
            (Shape::Text, Node::Scalar) => {}
            (Shape::Whole(max), Node::Scalar) => {
                if self.reads_as::<u64>(node).is_none_or(|n| n > max) && self.text_of(node).is_some() {
                    let message = format!("{} is not a whole number from 0 to {max}", found());
                    self.report(node, at, message);
                }
            }
            (Shape::Number, Node::Scalar) => {
                if self.reads_as::<f64>(node).is_none() && self.text_of(node).is_some() {
                    let message = format!("{} is not a number", found());
                    self.report(node, at, message);
                }
            }
            (Shape::Flag, Node::Scalar) => {
                if self.reads_as::<bool>(node).is_none() && self.text_of(node).is_some() {
                    let message = format!("{} is neither true nor false", found());
                    self.report(node, at, message);
                }
            }
            (Shape::OneOf(words), Node::Scalar) => {
                let word = self.reads_as::<String>(node);
                if !word.as_deref().is_some_and(|w| words.contains(&w)) && self.text_of(node).is_some() {
                    let message = format!("{} is not one of {}", found(), words.join(", "));
                    self.report(node, at, message);
                }
            }
        }
    }

    fn record(
        &mut self,
        node: &Spanned<Node>,
        entries: &[(Spanned<String>, Spanned<Node>)],
        at: &str,
        fields: &'static [Field],
    ) {
        for (key, child) in entries {
            let path = join(at, &key.value);
            match fields.iter().find(|f| f.name == key.value) {
                None => {
                    let message = unknown_field(&key.value, fields);
                    self.report(key, &path, message);
                }
                Some(f) if f.need == Optional && matches!(child.value, Node::Null) => {}
                Some(f) => self.value(child, &path, f.shape),
            }
        }
        for f in fields.iter().filter(|f| f.need == Required) {
            if !entries.iter().any(|(k, _)| k.value == f.name) {
                let message = format!("`{}` is missing: it is required", f.name);
                self.report(node, &join(at, f.name), message);
            }
        }
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

/// "unknown field", with the closest known name or the list of known names.
fn unknown_field(name: &str, fields: &[Field]) -> String {
    let closest = fields
        .iter()
        .map(|f| (edit_distance(&name.to_ascii_lowercase(), f.name), f.name))
        .min();
    match closest {
        Some((d, known)) if d <= 2 || (d <= 3 && name.len() > 6) => {
            format!("unknown field; did you mean `{known}`?")
        }
        _ => format!(
            "unknown field; the fields here are {}",
            fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
