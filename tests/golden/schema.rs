//! Schema validation with xmllint against the contract sfstub itself publishes.
//!
//! The XSDs come from the service (`Service::contract`), are written into one directory per
//! target namespace (the main XSD imports `Kontekst.xsd` by relative location), and documents
//! are piped to `xmllint --noout --schema` on stdin by the shared `support/xmllint.rs`. A
//! missing xmllint fails the test: the schema is part of what these tests prove.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use sfstub::app::{App, Limits};

pub use crate::xmllint::{assert_valid, validate, xmllint};

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
    let service = &app.loaded().services[0];
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
