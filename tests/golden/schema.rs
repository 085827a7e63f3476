//! Schema validation with xmllint against the contract sfstub itself publishes.
//!
//! The XSDs come from the service (`Service::contract`), are written into one directory per
//! target namespace (the main XSD imports `Kontekst.xsd` by relative location), and documents
//! are piped to `xmllint --noout --schema` on stdin. A missing xmllint fails the test: the
//! schema is part of what these tests prove.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use sfstub::app::{App, Limits};

/// The file names of the published schemas.
pub const MAIN_XSD: &str = "KontrolsagListeHent.xsd";
pub const KONTEKST_XSD: &str = "Kontekst.xsd";

/// The directory holding both XSDs for SF1472 published in `namespace`.
pub fn schema_dir(namespace: &str) -> PathBuf {
    static DIRS: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut dirs = DIRS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = dirs.get(namespace) {
        return dir.clone();
    }
    let mut scenario = super::harness::rules_scenario();
    scenario.sf1472.namespace = namespace.to_owned();
    let app = App::new(scenario, Limits::default());
    let service = &app.loaded.services[0];
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    namespace.hash(&mut hasher);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("golden-schemas/{:016x}", hasher.finish()));
    std::fs::create_dir_all(&dir).unwrap();
    for file in [MAIN_XSD, KONTEKST_XSD] {
        let xsd = service
            .contract(Some(file), "http://127.0.0.1:8080/kontrolsaglistehent/1")
            .unwrap_or_else(|| panic!("the service publishes no {file}"));
        // Written beside and renamed, so a concurrent test process never reads half a file.
        let partial = dir.join(format!("{file}.{}.partial", std::process::id()));
        std::fs::write(&partial, xsd).unwrap();
        std::fs::rename(&partial, dir.join(file)).unwrap();
    }
    dirs.insert(namespace.to_owned(), dir.clone());
    dir
}

/// Runs xmllint with `args` and `document` on stdin: its exit status and messages.
pub fn xmllint(args: &[&str], document: &[u8]) -> (bool, String) {
    let mut child = match Command::new("xmllint")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "xmllint is not installed, and the golden tests validate every response against sfstub's XSD with it. \
             Run scripts/test (it installs the Debian package libxml2-utils), or: apt-get install libxml2-utils"
        ),
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(document).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let messages = String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout);
    (output.status.success(), messages)
}

/// Validates `document` against `xsd`; the error holds xmllint's messages.
pub fn validate(document: &str, xsd: &Path) -> Result<(), String> {
    let xsd = xsd.to_str().unwrap();
    match xmllint(&["--noout", "--schema", xsd], document.as_bytes()) {
        (true, _) => Ok(()),
        (false, messages) => Err(messages),
    }
}

/// Asserts that `document` is valid against `xsd`, showing the document when it is not.
#[track_caller]
pub fn assert_valid(what: &str, document: &str, xsd: &Path) {
    if let Err(messages) = validate(document, xsd) {
        panic!(
            "{what} is not valid against {}:\n{messages}\n--- the document ---\n{document}",
            xsd.display()
        );
    }
}
