//! `sfstub generate`: the world as JSON or CSV, deterministic, and the authorities.

use serde_json::Value;

use crate::util::{CLOCK, TempFile, run, sfstub};

/// Runs sfstub with `args` and parses stdout as a JSON array.
pub fn json(args: &[&str]) -> Vec<Value> {
    let out = run(&mut sfstub(args));
    out.assert_success();
    let value: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    value.as_array().expect("a JSON array").clone()
}

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("a field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("a field").push(c),
        }
    }
    assert!(!quoted, "unterminated quote in {line:?}");
    fields
}

fn is_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

#[test]
fn generate_with_cases_lists_citizens_each_with_their_cases() {
    let citizens = json(&["generate", "--with-cases", "--clock", CLOCK]);
    assert!(!citizens.is_empty());
    for c in &citizens {
        let cpr = c["cpr"].as_str().expect("cpr");
        assert!(cpr.len() == 10 && cpr.bytes().all(|b| b.is_ascii_digit()), "{cpr}");
        let kommunekode = c["kommunekode"].as_str().expect("kommunekode");
        assert!(
            kommunekode.len() == 4 && kommunekode.bytes().all(|b| b.is_ascii_digit()),
            "{c}"
        );
        assert!(!c["name"].as_str().expect("name").trim().is_empty(), "{c}");
        let cases = c["cases"].as_array().expect("cases");
        assert!(!cases.is_empty(), "--with-cases listed a citizen without cases: {c}");
        for case in cases {
            assert!(
                uuid::Uuid::parse_str(case["id"].as_str().expect("id")).is_ok(),
                "{case}"
            );
            let cvr = case["holder_cvr"].as_str().expect("holder_cvr");
            assert!(cvr.len() == 8 && cvr.bytes().all(|b| b.is_ascii_digit()), "{case}");
            assert!(matches!(case["sector"].as_str(), Some("UDK" | "KOMMUNE")), "{case}");
            assert!(!case["theme"].as_str().expect("theme").is_empty(), "{case}");
            assert!(!case["benefit"].as_str().expect("benefit").is_empty(), "{case}");
            let status = case["status"].as_str().expect("status");
            assert!(matches!(status, "AABEN" | "HENLAGT" | "AFGJORT"), "{case}");
            let opened = case["opened"].as_str().expect("opened");
            assert!(is_date(opened) && opened <= "2026-11-22", "{case}");
            match (status, &case["closed"]) {
                ("AABEN", Value::Null) => {}
                ("HENLAGT" | "AFGJORT", Value::String(d)) => assert!(is_date(d) && d.as_str() >= opened, "{case}"),
                _ => panic!("status and closed disagree: {case}"),
            }
            for step in case["steps"].as_array().expect("steps") {
                assert!(!step["type"].as_str().expect("type").is_empty(), "{case}");
                assert!(is_date(step["date"].as_str().expect("date")), "{case}");
            }
        }
    }
}

#[test]
fn generate_lists_the_hand_written_citizen_with_dates_from_the_clock() {
    let citizens = json(&["generate", "--with-cases", "--clock", CLOCK]);
    let jens = citizens
        .iter()
        .find(|c| c["cpr"] == "1507804329")
        .expect("Jens is listed");
    assert_eq!(jens["kommunekode"], "0101");
    assert_eq!(jens["name"], "Jens Kjær Jensen");
    let cases = jens["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0]["sector"], "UDK");
    assert_eq!(cases[0]["theme"], "SAMLIV");
    assert_eq!(cases[0]["opened"], "2026-10-23", "-30d from the pinned clock");
    assert_eq!(cases[1]["closed"], "2026-09-22", "-2m from the pinned clock");
    assert_eq!(cases[0]["steps"].as_array().expect("steps").len(), 3);
    // Ida has no cases, so --with-cases leaves her out, and without it she is there.
    assert!(citizens.iter().all(|c| c["cpr"] != "1111904126"));
    let everyone = json(&["generate", "--clock", CLOCK]);
    let ida = everyone
        .iter()
        .find(|c| c["cpr"] == "1111904126")
        .expect("Ida is listed");
    assert_eq!(ida["cases"].as_array().map(Vec::len), Some(0));
    assert!(everyone.len() > citizens.len());
}

/// Who exists and which cases they have: everything but the case dates.
fn identity(citizens: &[Value]) -> Vec<(String, String, String, Vec<[String; 5]>)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    citizens
        .iter()
        .map(|c| {
            let cases = c["cases"]
                .as_array()
                .expect("cases")
                .iter()
                .map(|k| ["id", "holder_cvr", "theme", "benefit", "status"].map(|f| text(&k[f])))
                .collect();
            (text(&c["cpr"]), text(&c["name"]), text(&c["kommunekode"]), cases)
        })
        .collect()
}

#[test]
fn generate_gives_the_same_citizens_and_cases_at_clocks_a_year_apart() {
    let today = json(&["generate", "--with-cases", "--clock", CLOCK]);
    let later = json(&["generate", "--with-cases", "--clock", "2027-11-22T12:00:00Z"]);
    assert!(today.len() > 200, "{} citizens with cases", today.len());
    assert_eq!(identity(&today), identity(&later));
    // Only the dates move, by exactly the clocks' distance.
    let date = |v: &Value| chrono::NaiveDate::parse_from_str(v.as_str().expect("a date"), "%Y-%m-%d").unwrap();
    for (a, b) in today.iter().zip(&later) {
        for (x, y) in a["cases"]
            .as_array()
            .unwrap()
            .iter()
            .zip(b["cases"].as_array().unwrap())
        {
            assert_eq!((date(&y["opened"]) - date(&x["opened"])).num_days(), 365, "{x} / {y}");
        }
    }
    // Every citizen too, not only those with cases.
    let everyone = |clock: &str| -> Vec<(String, String, String)> {
        json(&["generate", "--clock", clock, "--format", "json"])
            .iter()
            .map(|c| identity(std::slice::from_ref(c)).remove(0))
            .map(|(cpr, name, kommune, _)| (cpr, name, kommune))
            .collect()
    };
    assert_eq!(everyone(CLOCK), everyone("2027-11-22T12:00:00Z"));
}

#[test]
fn generate_twice_gives_byte_identical_output() {
    for format in ["json", "csv"] {
        let args = ["generate", "--with-cases", "--clock", CLOCK, "--format", format];
        let first = run(&mut sfstub(&args));
        let second = run(&mut sfstub(&args));
        first.assert_success();
        second.assert_success();
        assert!(!first.stdout.is_empty());
        assert!(first.stdout == second.stdout, "{format}: two runs differ");
    }
}

#[test]
fn generate_csv_has_a_header_and_one_row_per_case() {
    let out = run(&mut sfstub(&[
        "generate",
        "--with-cases",
        "--clock",
        CLOCK,
        "--format",
        "csv",
    ]));
    out.assert_success();
    let text = out.stdout_text();
    let mut lines = text.lines();
    let header = lines.next().expect("a header line");
    assert_eq!(
        header,
        "cpr,kommunekode,name,case_id,holder_cvr,sector,theme,benefit,status,opened,closed,steps"
    );
    let columns = csv_fields(header).len();
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row.len(), columns, "{row:?}");
        assert_eq!(row[0].len(), 10, "{row:?}");
        assert!(!row[3].is_empty(), "--with-cases rows all have a case: {row:?}");
    }
    // The same world as the JSON: one row per case.
    let json_cases: usize = json(&["generate", "--with-cases", "--clock", CLOCK])
        .iter()
        .map(|c| c["cases"].as_array().expect("cases").len())
        .sum();
    assert_eq!(rows.len(), json_cases);
    let jens: Vec<_> = rows.iter().filter(|r| r[0] == "1507804329").collect();
    assert_eq!(jens.len(), 3);
    assert_eq!(
        jens[0][11],
        "SAG_OPRETTET@2026-10-23;BORGER_ORIENTERET_OM_ANMELDELSE@2026-10-28;OPLYSNINGER_INDHENTET_REGISTRE@2026-11-10"
    );
}

#[test]
fn generate_csv_without_with_cases_has_rows_for_citizens_without_cases() {
    let out = run(&mut sfstub(&["generate", "--clock", CLOCK, "--format", "csv"]));
    out.assert_success();
    let text = out.stdout_text();
    let ida: Vec<Vec<String>> = text.lines().map(csv_fields).filter(|r| r[0] == "1111904126").collect();
    assert_eq!(ida.len(), 1);
    assert_eq!(ida[0].len(), 12, "{:?}", ida[0]);
    assert!(ida[0][3..].iter().all(String::is_empty), "{:?}", ida[0]);
}

#[test]
fn generate_authorities_lists_udk_atp_and_98_municipalities() {
    let authorities = json(&["generate", "--authorities"]);
    assert_eq!(authorities.len(), 100);
    let sector = |s: &str| authorities.iter().filter(|a| a["sector"] == s).collect::<Vec<_>>();
    assert_eq!(sector("KOMMUNE").len(), 98);
    let udk = sector("UDK");
    assert_eq!(udk.len(), 1);
    assert_eq!(udk[0]["cvr"], "14720006");
    let atp: Vec<_> = authorities.iter().filter(|a| a["cvr"] == "43405810").collect();
    assert_eq!(atp.len(), 1, "ATP is listed with CVR 43405810");
    assert_eq!(atp[0]["name"], "ATP");
    assert!(
        sector("KOMMUNE")
            .iter()
            .all(|k| k["kommunekode"].as_str().is_some_and(|c| c.len() == 4))
    );
    let koebenhavn = authorities
        .iter()
        .find(|a| a["kommunekode"] == "0101")
        .expect("0101 is listed");
    assert_eq!(koebenhavn["cvr"], "64942212");
    let mut cvrs: Vec<_> = authorities.iter().map(|a| a["cvr"].as_str().expect("cvr")).collect();
    cvrs.sort_unstable();
    cvrs.dedup();
    assert_eq!(cvrs.len(), 100, "CVR numbers are unique");
}

#[test]
fn generate_authorities_as_csv() {
    let out = run(&mut sfstub(&["generate", "--authorities", "--format", "csv"]));
    out.assert_success();
    let text = out.stdout_text();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("cvr,sector,name,kommunekode"));
    let rows: Vec<_> = lines.map(csv_fields).collect();
    assert_eq!(rows.len(), 100);
    assert!(rows.iter().any(|r| r[0] == "43405810" && r[1] == "ATP"));
}

#[test]
fn generate_uses_a_scenario_file() {
    let scenario = TempFile::new(
        "small.yaml",
        "name: small\nseed: 99\nclock: 2026-11-22T12:00:00Z\npopulation: { citizens: 10, with_cases: 1.0 }\npersons:\n  - cpr: \"0302751234\"\n    kommune: \"0851\"\n    cases:\n      - { holder: UDK, theme: BOPAEL, benefit: BOLIGSTOETTE, status: AABEN, opened: 2026-01-02 }\n",
    );
    let citizens = json(&["generate", "--scenario", scenario.arg()]);
    assert_eq!(citizens.len(), 11, "10 generated and 1 hand-written");
    let person = citizens
        .iter()
        .find(|c| c["cpr"] == "0302751234")
        .expect("the hand-written person");
    assert_eq!(person["kommunekode"], "0851");
    let cases = person["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["opened"], "2026-01-02");
    assert_eq!(cases[0]["benefit"], "BOLIGSTOETTE");
    assert!(
        citizens
            .iter()
            .all(|c| !c["cases"].as_array().expect("cases").is_empty()),
        "with_cases: 1.0"
    );
}

#[test]
fn generate_refuses_a_broken_scenario_with_exit_2() {
    let broken = TempFile::new("broken-generate.yaml", "name: x\nthemes: { SAMLIV: 1, NOPE: 2 }\n");
    let out = run(&mut sfstub(&["generate", "--scenario", broken.arg()]));
    assert_eq!(out.code(), Some(2), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains(broken.arg()) && out.stderr.contains("themes.NOPE"),
        "{}",
        out.stderr
    );
}

#[test]
fn generate_refuses_with_cases_together_with_authorities() {
    let out = run(&mut sfstub(&["generate", "--with-cases", "--authorities"]));
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("--authorities") || out.stderr.contains("--with-cases"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn generate_refuses_an_unknown_format_naming_the_flag() {
    let out = run(&mut sfstub(&["generate", "--format", "xml"]));
    assert!(!out.status.success());
    assert!(out.stderr.contains("--format"), "{}", out.stderr);
}
