//! `sfstub validate`: good files pass; every problem is reported with file, line and field.

use crate::util::{TempFile, default_yaml, run, sfstub};

/// Validates one broken scenario and returns stderr, checking the exit code and the file name.
fn problems_in(name: &str, yaml: &str) -> String {
    let file = TempFile::new(name, yaml);
    let out = run(&mut sfstub(&["validate", file.arg()]));
    assert!(!out.status.success(), "{name} passed validation:\n{yaml}");
    assert!(
        out.stderr.contains(file.arg()),
        "the message names the file: {}",
        out.stderr
    );
    out.stderr
}

#[test]
fn validate_accepts_the_default_scenario() {
    let out = run(&mut sfstub(&["validate", &default_yaml()]));
    out.assert_success();
    let text = out.stdout_text();
    assert!(text.contains("default.yaml: ok"), "{text}");
    assert!(text.contains("\"default\""), "{text}");
}

#[test]
fn validate_names_file_line_and_field_of_an_unknown_field() {
    let stderr = problems_in("typo.yaml", "name: typo\nseed: 1\npopulaton: { citizens: 10 }\n");
    assert!(stderr.contains("typo.yaml:3:"), "the line: {stderr}");
    assert!(stderr.contains("populaton"), "the field: {stderr}");
}

#[test]
fn validate_names_an_invalid_cpr() {
    let yaml = "name: cpr\npersons:\n  - cpr: \"3102801234\"\n    kommune: \"0101\"\n";
    let stderr = problems_in("cpr.yaml", yaml);
    assert!(stderr.contains("cpr.yaml:3:"), "the line: {stderr}");
    assert!(stderr.contains("persons[0].cpr"), "the field: {stderr}");
}

#[test]
fn validate_names_an_unknown_theme() {
    let weights = problems_in("themes.yaml", "name: themes\nthemes:\n  SAMLIV: 3\n  SAMLEV: 2\n");
    assert!(weights.contains("themes.yaml:4:"), "the line: {weights}");
    assert!(weights.contains("themes.SAMLEV"), "the field: {weights}");
    assert!(weights.contains("SAMLIV"), "the known themes are listed: {weights}");
    let yaml = "\
name: case-theme
clock: 2026-11-22T12:00:00Z
persons:
  - cpr: \"1507804329\"
    kommune: \"0101\"
    cases:
      - holder: UDK
        theme: SAMLEV
        benefit: BOERNETILSKUD
        status: AABEN
        opened: -30d
";
    let case = problems_in("case-theme.yaml", yaml);
    assert!(case.contains("case-theme.yaml:8:"), "the line: {case}");
    assert!(case.contains("persons[0].cases[0].theme"), "the field: {case}");
}

#[test]
fn validate_reports_every_problem_in_a_file() {
    let yaml = "\
name: many
persons:
  - cpr: \"3102801234\"
    kommune: \"9999\"
";
    let stderr = problems_in("many.yaml", yaml);
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(
        stderr.contains("many.yaml:3:") && stderr.contains("persons[0].cpr"),
        "{stderr}"
    );
    assert!(
        stderr.contains("many.yaml:4:") && stderr.contains("persons[0].kommune"),
        "{stderr}"
    );
}

#[test]
fn validate_checks_every_file_given() {
    let broken = TempFile::new("second.yaml", "name: x\nseed: -1\n");
    let out = run(&mut sfstub(&["validate", &default_yaml(), broken.arg()]));
    assert!(!out.status.success());
    assert!(
        out.stdout_text().contains("default.yaml: ok"),
        "the good file is still reported"
    );
    assert!(out.stderr.contains(broken.arg()), "{}", out.stderr);
    assert!(out.stderr.contains("second.yaml:2:"), "{}", out.stderr);
}

#[test]
fn validate_names_a_missing_file() {
    let missing = std::env::temp_dir().join(format!("sfstub-cli-{}-missing.yaml", std::process::id()));
    let missing = missing.to_str().expect("UTF-8");
    let out = run(&mut sfstub(&["validate", missing]));
    assert!(!out.status.success());
    assert!(out.stderr.contains(missing), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("  {missing}: cannot read: ")),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(":0:0"),
        "a file that cannot be read has no position: {}",
        out.stderr
    );
}

#[test]
fn validate_reports_every_unknown_field_and_wrong_type_at_once() {
    let yaml = "name: many\nseeed: 5\npopulation:\n  citizens: lots\n";
    let stderr = problems_in("shape.yaml", yaml);
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(
        stderr.contains("shape.yaml:2:1: seeed: unknown field; did you mean `seed`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("shape.yaml:4:13: population.citizens: lots is not a whole number"),
        "{stderr}"
    );
    // Across the whole file, nested fields included.
    let yaml = "\
name: deep
security: { mode: paranoid }
persons:
  - cpr: \"1507804329\"
    kommune: \"0101\"
    cases:
      - holder: UDK
        theme: SAMLIV
        benefit: BOERNETILSKUD
        status: AABEN
        opened: -30d
        opend: -31d
        steps: lots
";
    let stderr = problems_in("deep.yaml", yaml);
    assert!(stderr.contains("3 problems"), "{stderr}");
    for expected in [
        "deep.yaml:2:19: security.mode: paranoid is not one of off, token, strict",
        "deep.yaml:12:9: persons[0].cases[0].opend: unknown field; did you mean `opened`?",
        "deep.yaml:13:16: persons[0].cases[0].steps: expected a list",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}

#[test]
fn validate_without_a_file_is_a_usage_error() {
    let out = run(&mut sfstub(&["validate"]));
    assert!(!out.status.success());
    assert!(out.stderr.contains("FILE"), "{}", out.stderr);
}
