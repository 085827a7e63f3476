//! The shape check against the typed parse, and its messages.

use super::*;

fn problems(text: &str) -> Vec<(u64, u64, String, String)> {
    check(text)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.line, p.column, p.field, p.message))
        .collect()
}

#[test]
fn the_built_in_scenarios_have_the_right_shape() {
    assert!(problems(crate::scenario::DEFAULT_SCENARIO).is_empty());
    let demo = include_str!("../../../scenarios/demo-tre-myndigheder.yaml");
    assert!(problems(demo).is_empty());
}

#[test]
fn every_unknown_field_and_wrong_type_is_reported() {
    let found = problems(
        "name: x\nseeed: 5\npopulation:\n  citizens: lots\n  with_cases: half\ncpr: { modulus11: maybe }\n\
         security: { mode: paranoid, clok: now }\npersons:\n  - cpr: \"1507804329\"\n    cases: yes\n",
    );
    let fields: Vec<&str> = found.iter().map(|p| p.2.as_str()).collect();
    assert_eq!(
        fields,
        [
            "seeed",
            "population.citizens",
            "population.with_cases",
            "cpr.modulus11",
            "security.mode",
            "security.clok",
            "persons[0].cases",
            "persons[0].kommune",
        ],
        "{found:#?}"
    );
    assert_eq!((found[0].0, found[0].1), (2, 1));
    assert_eq!(found[0].3, "unknown field; did you mean `seed`?");
    assert_eq!((found[1].0, found[1].1), (4, 13));
    assert_eq!(found[1].3, "lots is not a whole number from 0 to 4294967295");
    assert!(
        found[4].3.contains("paranoid is not one of off, token, strict"),
        "{found:#?}"
    );
    assert!(found[6].3.starts_with("expected a list"), "{found:#?}");
    assert!(found[7].3.contains("`kommune` is missing"), "{found:#?}");
}

#[test]
fn what_the_typed_parse_accepts_passes() {
    for ok in [
        "name: x\nseed: \"7\"\n",
        "name: x\nseed: 0x10\n",
        "name: x\ncpr: { modulus11: yes, replacement: off }\n",
        "name: x\nsecurity: { mode: off }\n",
        "name: x\npopulation: { with_cases: 1 }\n",
        "name: x\nclock: ~\ndescription: ~\n",
        "name: &n x\ndescription: *n\n",
        "name: |\n  a block\n",
    ] {
        assert_eq!(problems(ok), vec![], "{ok}");
    }
}

#[test]
fn nulls_lists_and_mappings_in_the_wrong_place_are_named() {
    let found = problems("name: [a, b]\nseed: ~\npersons: { cpr: 1 }\nthemes: [SAMLIV]\n");
    let messages: Vec<String> = found.iter().map(|p| format!("{}: {}", p.2, p.3)).collect();
    assert_eq!(
        messages,
        [
            "name: expected a single value, got a list",
            "seed: expected a value, got nothing (null)",
            "persons: expected a list (`- item` lines or `[a, b]`), got a mapping",
            "themes: expected a mapping (`KEY: value` lines), got a list",
        ]
    );
    assert_eq!(
        problems("")[0].3,
        "the file holds no scenario; it needs at least `name:`"
    );
    assert_eq!(problems("- a\n")[0].2, "(top level)");
}

/// A flow-style YAML value of `shape` that the typed parse accepts, with every field of
/// every record; `extra` adds an unknown field to the record at that path.
fn sample(shape: Shape, at: &str, extra: &str) -> String {
    match shape {
        Shape::Text => "x".into(),
        Shape::Whole(_) => "1".into(),
        Shape::Number => "0.5".into(),
        Shape::Flag => "true".into(),
        Shape::OneOf(words) => words[0].into(),
        Shape::List(item) => format!("[{}]", sample(*item, &format!("{at}[0]"), extra)),
        Shape::Table(item) => format!("{{K: {}}}", sample(*item, &join(at, "K"), extra)),
        Shape::Record(fields) => {
            let mut parts: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.name, sample(f.shape, &join(at, f.name), extra)))
                .collect();
            if at == extra {
                parts.push("zz_unknown: 1".into());
            }
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// The paths of every record in the format.
fn records(shape: Shape, at: &str, out: &mut Vec<(String, &'static [Field])>) {
    match shape {
        Shape::Record(fields) => {
            out.push((at.to_owned(), fields));
            for f in fields {
                records(f.shape, &join(at, f.name), out);
            }
        }
        Shape::List(item) => records(*item, &format!("{at}[0]"), out),
        Shape::Table(item) => records(*item, &join(at, "K"), out),
        _ => {}
    }
}

#[test]
fn the_shape_and_the_typed_parse_know_the_same_fields() {
    let full = sample(Shape::Record(SCENARIO), "", "-");
    assert!(problems(&full).is_empty(), "{full}");
    if let Err(e) = serde_saphyr::from_str::<crate::scenario::validate::RawScenario>(&full) {
        panic!("the typed parse refuses a file of every field the shape knows: {e}\n{full}");
    }
    let mut all = Vec::new();
    records(Shape::Record(SCENARIO), "", &mut all);
    assert!(all.len() >= 9, "{all:?}");
    for (path, fields) in all {
        let yaml = sample(Shape::Record(SCENARIO), "", &path);
        let Err(e) = serde_saphyr::from_str::<crate::scenario::validate::RawScenario>(&yaml) else {
            panic!("the typed parse accepts an unknown field at {path:?}");
        };
        let message = e.to_string();
        let expected = message
            .split("expected one of ")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .unwrap_or_else(|| panic!("{message}"));
        let mut typed: Vec<&str> = expected.split(", ").map(|f| f.trim_matches('`')).collect();
        let mut known: Vec<&str> = fields.iter().map(|f| f.name).collect();
        typed.sort_unstable();
        known.sort_unstable();
        assert_eq!(typed, known, "the fields of {path:?}");
        assert_eq!(
            problems(&yaml).len(),
            1,
            "the shape check refuses the unknown field at {path:?}"
        );
    }
}

#[test]
fn did_you_mean_needs_a_close_name() {
    assert_eq!(
        unknown_field("populaton", SCENARIO),
        "unknown field; did you mean `population`?"
    );
    assert!(unknown_field("colour", SCENARIO).starts_with("unknown field; the fields here are name, description"));
    assert_eq!(edit_distance("seeed", "seed"), 1);
    assert_eq!(edit_distance("", "abc"), 3);
}

/// Ten anchors, each a list of ten aliases of the one before: 10^9 nodes from 600 bytes.
fn laughs() -> String {
    let mut yaml = String::from("name: x\na: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    let mut prev = 'a';
    for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
        let aliases = vec![format!("*{prev}"); 10].join(",");
        yaml.push_str(&format!("{name}: &{name} [{aliases}]\n"));
        prev = name;
    }
    yaml
}

#[test]
fn aliases_that_expand_beyond_the_budget_are_refused_naming_it() {
    let found = problems(&laughs());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].3.starts_with("the YAML is too costly to read") && found[0].3.contains("per byte"),
        "{found:?}"
    );
}

#[test]
fn aliases_within_the_budget_are_read() {
    // A friendly use of anchors: one address shared by twenty entries.
    let mut yaml = String::from("name: x\nshared: &home { street: Testvej, number: 7 }\nlist:\n");
    for _ in 0..20 {
        yaml.push_str("  - *home\n");
    }
    let read: serde_json::Value = from_yaml(&yaml).expect("within the budget");
    assert_eq!(read["list"].as_array().map(Vec::len), Some(20));
}
