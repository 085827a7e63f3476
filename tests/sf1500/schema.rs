//! Validating SF1500 responses against KOMBIT's published v6 schemas with xmllint.
//!
//! The schemas are read from `../shared/contracts/sf1500-organisation-v6` beside the checkout
//! (never copied into the project). Documents are written to a temporary directory and
//! validated by one xmllint run per object type (the shared `support/xmllint.rs`), which
//! compiles the schema once. A missing xmllint fails the test: the schema is part of what
//! these tests prove.

use std::path::PathBuf;

use sfstub::services::sf1500_organisation::Objekt;

use crate::xmllint;

/// The contract folder.
pub fn contract_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts/sf1500-organisation-v6")
}

/// The message schema declaring `LaesOutput`, `SoegOutput` and `ListOutput` of a type.
pub fn schema(objekt: Objekt) -> PathBuf {
    contract_dir().join(format!("xsd/6.0.STS-0/{}Operationer.xsd", objekt.name()))
}

/// Validates every document against its type's schema; the error holds xmllint's messages
/// and the documents that failed.
pub fn validate_all(documents: &[(Objekt, String)]) -> Result<(), String> {
    if documents.is_empty() {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("sfstub-sf1500-{}-{}", std::process::id(), uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = validate_in(&dir, documents);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn validate_in(dir: &std::path::Path, documents: &[(Objekt, String)]) -> Result<(), String> {
    let mut failures = String::new();
    for objekt in Objekt::ALL {
        let xsd = schema(objekt);
        assert!(
            xsd.is_file(),
            "{} is missing: the SF1500 contract must be in ../shared/contracts beside the checkout",
            xsd.display()
        );
        let mut files = Vec::new();
        for (i, (_, doc)) in documents.iter().enumerate().filter(|(_, (o, _))| *o == objekt) {
            let file = dir.join(format!("{}-{i}.xml", objekt.name()));
            std::fs::write(&file, doc).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            files.push((file, doc));
        }
        if files.is_empty() {
            continue;
        }
        let paths: Vec<&PathBuf> = files.iter().map(|(f, _)| f).collect();
        let (valid, messages) = xmllint::validate_files(&xsd, &paths);
        if !valid {
            failures.push_str(&format!("against {}:\n{messages}", xsd.display()));
            for (file, doc) in &files {
                let name = file.display().to_string();
                if messages.contains(&format!("{name} fails")) {
                    failures.push_str(&format!("--- {name} ---\n{doc}\n"));
                }
            }
        }
    }
    if failures.is_empty() { Ok(()) } else { Err(failures) }
}
