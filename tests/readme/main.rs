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

/// The README's SF1520 section, up to the next heading of its level.
fn sf1520_section(readme: &str) -> &str {
    let start = readme
        .find("## SF1520 CPR replika opslag")
        .expect("README has the SF1520 section");
    let rest = &readme[start..];
    &rest[..rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3)]
}

/// The numbers inside `<tag><personnummer>…</personnummer>` of a text.
fn relatives(text: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}><personnummer>");
    text.match_indices(&open)
        .map(|(i, _)| text[i + open.len()..i + open.len() + 10].to_owned())
        .collect()
}

fn person_lookup(cpr: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><tns:PersonLookupRequest xmlns:tns="http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/4/"><autctx:AuthorityContext xmlns:autctx="http://serviceplatformen.dk/xml/schemas/AuthorityContext/1/"><autctx:MunicipalityCVR>64942212</autctx:MunicipalityCVR></autctx:AuthorityContext><cpr:PNR xmlns:cpr="http://serviceplatformen.dk/xml/schemas/cpr/PNR/1/">{cpr}</cpr:PNR></tns:PersonLookupRequest></soap:Body></soap:Envelope>"#
    )
}

/// "Look up the spouse or the child the same way" works on any day: with the built-in
/// scenario's real-time clock and with clocks pinned a year and more apart, Jens has the
/// spouse and child the README shows, and each of them is a citizen of the world.
#[test]
fn the_readme_sf1520_spouse_and_child_are_found_on_any_day() {
    let readme = readme();
    let section = sf1520_section(&readme);
    let spouse = relatives(section, "aegtefaelle");
    let children = relatives(section, "barn");
    assert_eq!(
        (spouse.len(), children.len()),
        (1, 1),
        "the README shows one spouse and one child"
    );
    let scenarios = [
        Scenario::builtin(),
        Scenario::parse(
            sfstub::scenario::DEFAULT_SCENARIO,
            "default",
            Some(clock("2026-11-22T12:00:00Z")),
        )
        .unwrap(),
        Scenario::parse(
            sfstub::scenario::DEFAULT_SCENARIO,
            "default",
            Some(clock("2027-11-22T12:00:00Z")),
        )
        .unwrap(),
        Scenario::parse(
            sfstub::scenario::DEFAULT_SCENARIO,
            "default",
            Some(clock("2031-02-01T00:00:00Z")),
        )
        .unwrap(),
    ];
    for scenario in scenarios {
        let at = format!("{:?}", scenario.clock);
        let app = App::new(scenario, Limits::default());
        let post = |cpr: &str| {
            let request = http::Request::post("/service/CPR/PersonBaseDataExtended/4")
                .body(Bytes::from(person_lookup(cpr)))
                .unwrap();
            let response = sfstub::http::handle(&app, request);
            (response.status(), String::from_utf8(response.body().to_vec()).unwrap())
        };
        let (status, jens) = post("1507804329");
        assert_eq!(status, 200, "{at}: {jens}");
        assert_eq!(relatives(&jens, "aegtefaelle"), spouse, "{at}: {jens}");
        assert_eq!(relatives(&jens, "barn"), children, "{at}: {jens}");
        for relative in spouse.iter().chain(&children) {
            let (status, xml) = post(relative);
            assert_eq!(status, 200, "{at}: looking up {relative}: {xml}");
            assert!(
                xml.contains(&format!("<personnummer>{relative}</personnummer>")),
                "{at}: {xml}"
            );
        }
    }
}

fn clock(text: &str) -> sfstub::world::Clock {
    sfstub::scenario::parse_clock(text).unwrap()
}

/// The first ```yaml block after `heading`.
fn yaml_block<'a>(readme: &'a str, heading: &str) -> &'a str {
    let section = &readme[readme.find(heading).unwrap_or_else(|| panic!("README has {heading}"))..];
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    &section[start..start + section[start..].find("```").unwrap()]
}

#[test]
fn the_readme_scenario_example_is_a_valid_scenario() {
    let readme = readme();
    let yaml = yaml_block(&readme, "## Scenario files");
    if let Err(e) = Scenario::parse(yaml, "README's scenario", None) {
        panic!("{e}\n{yaml}");
    }
}

#[test]
fn the_readme_validate_example_of_a_misshapen_file_matches_what_validate_reports() {
    let err = Scenario::parse(
        "name: typo\nseeed: 1\npopulation:\n  citizens: lots\n",
        "typo.yaml",
        None,
    )
    .unwrap_err()
    .to_string();
    let readme = readme();
    for line in err.lines() {
        assert!(readme.contains(line), "README lacks the line {line:?}");
    }
}

/// Most examples call `sfstub`; the README says how to get it on the PATH before the first one.
#[test]
fn the_readme_says_how_to_install_sfstub_before_it_is_first_called() {
    let readme = readme();
    let install = readme
        .find("cargo install --path .")
        .expect("the README says `cargo install --path .`");
    let first_call = [
        "sfstub serve",
        "sfstub generate",
        "sfstub token",
        "sfstub certs",
        "sfstub validate",
    ]
    .iter()
    .filter_map(|c| readme.find(c))
    .min()
    .expect("the README calls sfstub");
    assert!(
        install < first_call,
        "`cargo install --path .` comes only after the first `sfstub` call"
    );
    let running = readme.find("## Running it").expect("a Running it section");
    assert!(
        install < running,
        "`cargo install --path .` belongs right after the first commands"
    );
}

#[test]
fn the_readme_scenario_example_pins_a_user_system_as_sfstub_reads_it() {
    use sfstub::scenario::SystemPin;
    let readme = readme();
    let section = &readme[readme
        .find("## Scenario files")
        .expect("README has the scenario section")..];
    let line = section
        .lines()
        .find(|l| l.trim_start().starts_with("system: \""))
        .expect("the scenario example pins a user system");
    let value = line.split('"').nth(1).unwrap();
    assert!(
        matches!(SystemPin::parse(value), Ok(SystemPin::Thumbprint(_))),
        "the example pins by SHA-256 thumbprint: {line}"
    );
}

#[test]
fn every_serve_flag_and_its_variable_is_in_the_readme() {
    use clap::CommandFactory;
    let readme = readme();
    let cli = sfstub::cli::Cli::command();
    let serve = cli.find_subcommand("serve").expect("a serve subcommand");
    for arg in serve.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        assert!(readme.contains(&format!("--{long}")), "README lacks --{long}");
        if let Some(var) = arg.get_env() {
            let var = var.to_string_lossy();
            assert!(readme.contains(var.as_ref()), "README lacks {var} (--{long})");
        }
    }
}

/// The README's admin API examples: each curl line of "The journal and the admin API", sent
/// after the README's own SF1472 request, answers 200, and the count example answers what the
/// README says it answers.
#[test]
fn the_readme_admin_curl_examples_answer_as_described() {
    let app = App::new(Scenario::builtin(), Limits::default());
    let readme = readme();
    let request = http::Request::post("/kontrolsaglistehent/1")
        .header("Content-Type", "application/soap+xml; charset=utf-8")
        .body(Bytes::from(curl_body(&readme)))
        .unwrap();
    assert_eq!(sfstub::http::handle(&app, request).status(), 200);
    let start = readme
        .find("## The journal and the admin API")
        .expect("README has the journal section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let lines: Vec<&str> = section.lines().filter(|l| l.starts_with("curl -s")).collect();
    assert!(lines.len() >= 5, "{lines:?}");
    for line in &lines {
        let method = if line.contains("-X DELETE") { "DELETE" } else { "GET" };
        let url = line.split('\'').nth(1).expect("a quoted URL");
        let target = url.strip_prefix("http://127.0.0.1:8080").expect("the default address");
        let request = http::Request::builder()
            .method(method)
            .uri(target)
            .body(Bytes::new())
            .unwrap();
        let response = sfstub::http::handle(&app, request);
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert_eq!(response.status(), 200, "{line}: {body}");
        if target.starts_with("/__sfstub/journal/count") {
            let said = section
                .split("The first answers `")
                .nth(1)
                .and_then(|s| s.split('`').next())
                .expect("the README says what the count example answers");
            let said: serde_json::Value = serde_json::from_str(said).unwrap();
            let got: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(got, said, "{line}");
        }
        if target.contains("format=junit") {
            assert!(body.starts_with("<?xml") && body.contains("<testsuites"), "{body}");
        }
    }
}

/// The README's section on contracts, up to the next heading of its level.
fn contracts_section(readme: &str) -> &str {
    let start = readme
        .find("## Serving another SF service from its contract")
        .expect("README has the contracts section");
    let rest = &readme[start..];
    &rest[..rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3)]
}

/// The scenarios/indeks.yaml the README's example serves, with both clocks pinned as its
/// command pins the world's.
fn indeks_app() -> App {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/indeks.yaml");
    let scenario = Scenario::load(&file, Some(clock("2026-11-22T12:00:00Z"))).unwrap_or_else(|e| panic!("{e}"));
    App::new(scenario, Limits::default())
}

#[test]
fn the_readme_contract_example_works_as_pasted() {
    let readme = readme();
    let section = contracts_section(&readme);
    let body = curl_body(section);
    let action = section
        .split("action=\\\"")
        .nth(1)
        .or_else(|| section.split("action=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the curl names the SOAPAction");
    assert_eq!(action, "http://kombit.dk/sts/sagdokumentindeks/fremsoeg");
    let app = indeks_app();
    let request = http::Request::post("/sagdokumentindeks/6")
        .header(
            "Content-Type",
            format!("application/soap+xml; charset=utf-8; action=\"{action}\""),
        )
        .body(Bytes::from(body))
        .unwrap();
    let response = sfstub::http::handle(&app, request);
    let xml = String::from_utf8(response.body().to_vec()).unwrap();
    assert_eq!(response.status(), 200, "{xml}");
    assert!(xml.contains("<rh:TransactionUUID>5b0c1a4e-1470-4c1e-9a53-0d6f5f0c2a11</rh:TransactionUUID>"));
    assert_eq!(
        xml.matches("<sdi:SagFiltreretOejebliksbillede>").count(),
        3,
        "Jens's three cases: {xml}"
    );
    // The excerpt the README shows, line by line (its elisions aside).
    let excerpt = &section[section.find("```xml\n<sdi:SagFiltreretOejebliksbillede>").unwrap() + 7..];
    let excerpt = &excerpt[..excerpt.find("```").unwrap()];
    // Compared without the white space between tags (the excerpt joins some lines).
    let compact = |s: &str| s.split('\n').map(str::trim).collect::<String>();
    let answer = compact(&xml);
    for line in excerpt
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains('…'))
    {
        assert!(
            answer.contains(line),
            "the answer lacks the README's line {line:?}\n{xml}"
        );
    }
    assert!(xml.contains("<sag:Titel>Samlivsforhold (reelt enlig eller samlevende) – Børnetilskud</sag:Titel>"));
}

#[test]
fn the_readme_contract_yaml_is_the_shipped_scenarios() {
    let readme = readme();
    let yaml = yaml_block(contracts_section(&readme), "```yaml");
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/indeks.yaml")).unwrap();
    assert!(
        shipped.contains(yaml.trim_end()),
        "scenarios/indeks.yaml does not hold the README's excerpt:\n{yaml}"
    );
}

#[test]
fn the_readme_contract_validate_example_matches_what_validate_reports() {
    let text = r#"name: bad
population: { citizens: 10 }
contracts:
  - wsdl: contracts/sf1470-sagdokumentindeks-v6/wsdl/SagDokumentIndeksService_6.wsdl
    path: /sdi
    responses:
      - operation: fremsoeg
        when: { SoegUdtryk/SoegSagen: x }
        set: { StandardRetur/StatusKode: "44" }
      - operation: fremsoeg
        body: |
          <sdi:FremsoegSagDokumentIndeksOutput xmlns:sdi="urn:oio:sts:sagdok:sagdokumentindeks:6" xmlns:sd="urn:oio:sagdok:3.0.0">
            <sd:StandardRetur><sd:StatusKode>{{ citizen.nam }}</sd:StatusKode></sd:StandardRetur>
          </sdi:FremsoegSagDokumentIndeksOutput>
      - operation: fjern
        body: |
          <sdi:FjernSagDokumentIndeksOutput xmlns:sdi="urn:oio:sts:sagdok:sagdokumentindeks:6" xmlns:sd="urn:oio:sagdok:3.0.0">
            <sd:StandardRetur><sd:StatusKode>tyve</sd:StatusKode></sd:StandardRetur>
          </sdi:FjernSagDokumentIndeksOutput>
"#;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/bad.yaml");
    let err = Scenario::parse(text, file, None).unwrap_err().to_string();
    let err = err.replace(file, "bad.yaml");
    let readme = readme();
    let section = contracts_section(&readme);
    // Each line of what validate says, as the README shows it (a line cut short with `…`
    // is compared up to there).
    for line in err.lines() {
        let in_readme = section.lines().any(|l| {
            l.split('…')
                .next()
                .is_some_and(|head| !head.is_empty() && line.starts_with(head))
        });
        assert!(in_readme, "the README lacks the line {line:?}");
    }
    assert_eq!(err.lines().count(), 4, "{err}");
}

/// The README section under `heading`, up to the next heading of its level.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme.find(heading).unwrap_or_else(|| panic!("README has {heading}"));
    let rest = &readme[start..];
    &rest[..rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3)]
}

/// One `curl -s [-X METHOD] 'URL' [-d 'BODY']` line as a request.
fn curl_request(line: &str) -> http::Request<Bytes> {
    let method = line
        .split_once("-X ")
        .map(|(_, m)| m.split_whitespace().next().unwrap())
        .unwrap_or("GET");
    let url = line.split('\'').nth(1).expect("a quoted URL");
    let target = url.strip_prefix("http://127.0.0.1:8080").expect("the default address");
    let body = line
        .split_once(" -d '")
        .map(|(_, b)| b.strip_suffix('\'').expect("a quoted body").to_owned())
        .unwrap_or_default();
    http::Request::builder()
        .method(method)
        .uri(target)
        .body(Bytes::from(body))
        .unwrap()
}

/// The curl lines of the steering sections work as pasted, in order, against the built-in
/// scenario: every one answers 2xx, and the first fault rule makes the README's own SF1472
/// request get the platform's 503, once.
#[test]
fn the_readme_steering_curl_examples_work_as_pasted() {
    let app = App::new(Scenario::builtin(), Limits::default());
    let readme = readme();
    let sf1472 = || {
        let request = http::Request::post("/kontrolsaglistehent/1")
            .header("Content-Type", "application/soap+xml; charset=utf-8")
            .body(Bytes::from(curl_body(&readme)))
            .unwrap();
        sfstub::http::handle(&app, request).status()
    };
    let mut ran = 0;
    for heading in [
        "## Making sfstub misbehave",
        "## Test data through the API, reset and reload",
        "## Metrics and health",
    ] {
        let lines: Vec<&str> = section(&readme, heading)
            .lines()
            .filter(|l| l.starts_with("curl -s"))
            .collect();
        assert!(!lines.is_empty(), "{heading} has curl examples");
        for line in lines {
            let response = sfstub::http::handle(&app, curl_request(line));
            let body = String::from_utf8_lossy(response.body()).into_owned();
            assert!(response.status().is_success(), "{line}: {} {body}", response.status());
            if line.contains("\"platform_status\": 503") {
                assert_eq!(sf1472(), 503, "after {line}");
                assert_eq!(sf1472(), 200, "the rule is spent (times: 1)");
            }
            if line.contains("/__sfstub/persons/0101901234'") && !line.contains("DELETE") {
                assert!(body.contains("\"origin\": \"added\""), "{body}");
            }
            ran += 1;
        }
    }
    assert!(ran >= 15, "{ran} examples");
}

/// The scenario example of "Making sfstub misbehave" is a valid `faults:` block.
#[test]
fn the_readme_faults_example_is_valid_in_a_scenario() {
    let readme = readme();
    let yaml = yaml_block(&readme, "## Making sfstub misbehave");
    let text = format!("name: x\n{yaml}");
    let scenario = Scenario::parse(&text, "README's faults", None).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(scenario.faults.len(), 2);
}
