//! Bad input is reported before anything is served: a contract that does not load, a rule
//! naming an element the schema does not have, a placeholder that does not resolve, a body
//! that is not valid, a path already taken — `sfstub validate` names each with file, line and
//! column, and `sfstub serve` refuses to start with the same lines.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{contracts, wsdl};

/// A folder below cargo's target/tmp for this test, emptied first.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("engine-bad-input")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs the binary to completion (60 s at most): exit code, stdout, stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .args(args)
        .env(
            "SFSTUB_STATE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-bad-input-state"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("sfstub {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const HEAD: &str = "name: bad\npopulation: { citizens: 10 }\ncontracts:\n";

#[test]
fn every_problem_is_reported_with_its_line_by_validate_and_serve_refuses_with_the_same() {
    let dir = workdir("many");
    copy_dir(&contracts().join("sf1470-sagdokumentindeks-v6"), &dir.join("sf1470"));
    let body = r#"  - wsdl: sf1470/wsdl/SagDokumentIndeksService_6.wsdl
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
      - operation: fjernes
        set: { StandardRetur/StatusKode: "44" }
      - operation: fremsoeg
        fault: NoSuchFault
  - wsdl: SF1490
    path: /klasse/7
"#;
    let yaml = format!(
        "{HEAD}{}",
        body.replace("SF1490", &wsdl("sf1490-ydelsesindeks-v6", "wsdl/YdelseIndeks.wsdl"))
    );
    let file = dir.join("bad.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let path = file.display().to_string();
    let (code, stdout, stderr) = run(&["validate", &path]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let expected = [
        format!(
            "{path}:8:17: contracts[0].responses[0].when.SoegUdtryk/SoegSagen: \"SoegUdtryk/SoegSagen\": the schema has no element SoegSagen in SoegUdtryk (it has NOT, SoegDokument, SoegSag, SoegSagsloeseDokumenter, SoegUdtryk, operation) (in the request of fremsoeg)"
        ),
        format!("{path}:13:46: contracts[0].responses[1].body: {{{{ citizen.nam }}}}: a citizen has no field \"nam\""),
        format!(
            "{path}:18:11: contracts[0].responses[2].body: not valid against the contract: \"tyve\" is not a valid xs:integer"
        ),
        format!(
            "{path}:20:20: contracts[0].responses[3].operation: the contract has no operation \"fjernes\"; it has fjern, importer, opdater, fremsoeg"
        ),
        format!(
            "{path}:23:16: contracts[0].responses[4].fault: the operation declares no faults in the WSDL, so there is no fault \"NoSuchFault\" to choose"
        ),
        format!(
            "{path}:25:11: contracts[1].path: /klasse/7 is where sfstub's own services answer: give this contract another `path:`"
        ),
    ];
    for line in &expected {
        assert!(stderr.contains(line.as_str()), "validate lacks\n  {line}\nin\n{stderr}");
    }
    assert!(stderr.starts_with(&format!("{path} has 6 problems:")), "{stderr}");
    let (code, stdout, serve_err) = run(&["serve", "--listen", "127.0.0.1:0", "--scenario", &path]);
    assert_eq!(code, Some(2), "{stdout}{serve_err}");
    assert!(stdout.is_empty(), "nothing is served: {stdout}");
    for line in &expected {
        assert!(
            serve_err.contains(line.as_str()),
            "serve lacks\n  {line}\nin\n{serve_err}"
        );
    }
}

#[test]
fn a_contract_that_does_not_load_is_named_with_the_file_it_lacks() {
    let dir = workdir("broken");
    copy_dir(&contracts().join("sf1470-sagdokumentindeks-v6"), &dir.join("sf1470"));
    std::fs::remove_file(dir.join("sf1470/wsdl/xsd/6.0.STS-0/Sag.xsd")).unwrap();
    let file = dir.join("broken.yaml");
    std::fs::write(
        &file,
        format!("{HEAD}  - wsdl: sf1470/wsdl/SagDokumentIndeksService_6.wsdl\n  - wsdl: nowhere/x.wsdl\n"),
    )
    .unwrap();
    let path = file.display().to_string();
    let (code, _, stderr) = run(&["validate", &path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:4:11: contracts[0].wsdl: the contract in ")),
        "{stderr}"
    );
    assert!(stderr.contains("Sag.xsd"), "the missing file is named: {stderr}");
    assert!(
        stderr.contains(&format!("{path}:5:11: contracts[1].wsdl: cannot read the WSDL ")),
        "{stderr}"
    );
    // The quick look refuses the same way.
    let (code, _, stderr) = run(&["serve", "--listen", "127.0.0.1:0", "--contract", "/nonexistent/x.wsdl"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--contract /nonexistent/x.wsdl: cannot read the WSDL"),
        "{stderr}"
    );
}

#[test]
fn validate_says_what_a_good_contract_scenario_serves() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/indeks.yaml");
    let (code, stdout, stderr) = run(&["validate", &scenario.display().to_string()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("contracts: SF1470 Sags- og dokumentindeks v6 at /sagdokumentindeks/6 (4 operations, 1 rules)"),
        "{stdout}"
    );
}

#[test]
fn serve_contract_is_a_quick_look_listed_in_the_banner() {
    use std::io::{BufRead, BufReader};
    let wsdl = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contracts/sf1470-sagdokumentindeks-v6/wsdl/SagDokumentIndeksService_6.wsdl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfstub"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log", "warn", "--contract"])
        .arg(&wsdl)
        .env(
            "SFSTUB_STATE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-bad-input-state"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = String::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("try: sfstub generate") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.contains("SagDokumentIndeksService_6") && banner.contains("/sts-soap-sagdok/sagdokumentindeks/6?wsdl)"),
        "{banner}"
    );
}
