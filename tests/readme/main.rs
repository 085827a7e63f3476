//! The README's examples keep working: its curl request, sent to the built-in scenario, gets
//! the answer the README describes, and its broken-scenario example reports what it shows.

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::scenario::Scenario;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The here-document of the README's curl example.
fn curl_body(readme: &str) -> String {
    let start = readme
        .find("--data-binary @- <<'EOF'\n")
        .expect("README has the curl example");
    let rest = &readme[start..];
    let body = &rest[rest.find('\n').unwrap() + 1..];
    body[..body.find("\nEOF\n").unwrap()].to_owned()
}

#[test]
fn the_readme_curl_example_finds_one_udk_case_with_three_steps() {
    let app = App::new(Scenario::builtin(), Limits::default());
    let request = http::Request::post("/kontrolsaglistehent/1")
        .body(Bytes::from(curl_body(&readme())))
        .unwrap();
    let response = sfstub::http::handle(&app, request);
    assert_eq!(response.status(), 200);
    let xml = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(xml.matches("<Kontrolsag>").count(), 1, "{xml}");
    assert_eq!(xml.matches("<Sagsskridt>").count(), 3, "{xml}");
    assert!(xml.contains("<Sektor>UDK</Sektor>"));
    assert!(xml.contains("<KontrolsagIdentifikation>0cc5d90e-0648-5c84-9b11-28bb2db50ee7</KontrolsagIdentifikation>"));
}

#[test]
fn the_readme_validate_example_matches_what_validate_reports() {
    let text = "name: broken\nclock: 2026-11-22T12:00:00Z\npersons:\n  - cpr: \"3102801234\"\n    kommune: \"0101\"\n    cases:\n      - holder: UDK\n        theme: SAMLIV\n        benefit: KONTANTHJAELP\n        status: AABEN\n        opened: -30d\n";
    let err = Scenario::parse(text, "broken.yaml", None).unwrap_err().to_string();
    let readme = readme();
    for line in err.lines() {
        assert!(readme.contains(line), "README lacks the line {line:?}");
    }
}
