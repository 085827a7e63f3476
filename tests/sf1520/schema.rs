//! Validation with xmllint against KOMBIT's published SF1520 v4 schemas in
//! `../shared/contracts/` (read from there, never copied into the project).
//!
//! Documents are written to a temporary directory and validated by one xmllint run per batch (the shared `support/xmllint.rs`).
//! Version 5's messages have the same types as version 4's in their own namespace; they are
//! validated against the v4 schema with the namespace URI swapped.

use std::path::{Path, PathBuf};

use super::helpers::{NAMESPACE_V4, NAMESPACE_V5, body_content, fault_detail};
use crate::xmllint;

/// The shared contracts directory beside the checkout.
pub fn contracts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts")
}

/// `PersonBaseDataExtendedServiceMsg.xsd`: requests and responses (imports types and PNR).
pub fn message_xsd() -> PathBuf {
    contracts().join("sf1520-personbasedataextended-v4/PersonBaseDataExtendedServiceMsg.xsd")
}

/// `ServiceplatformFault_1.xsd`: the fault detail.
pub fn fault_xsd() -> PathBuf {
    contracts().join("sf1520-personbasedataextended-v4/sp/ServiceplatformFault_1.xsd")
}

/// Validates every `(name, document)` against `xsd` with xmllint; the error lists xmllint's
/// complaints and the failing documents.
pub fn validate_all(xsd: &Path, documents: &[(String, String)]) -> Result<(), String> {
    assert!(xsd.is_file(), "the published schema {} is missing", xsd.display());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sf1520-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for chunk in documents.chunks(400) {
        let mut files = Vec::new();
        for (i, (_, doc)) in chunk.iter().enumerate() {
            let file = dir.join(format!("{i}.xml"));
            std::fs::write(&file, doc).unwrap();
            files.push(file);
        }
        let (valid, messages) = xmllint::validate_files(xsd, &files);
        if !valid {
            for (i, (name, doc)) in chunk.iter().enumerate() {
                let file = files[i].display().to_string();
                let mine: Vec<&str> = messages
                    .lines()
                    .filter(|l| l.starts_with(&format!("{file}:")) || l.starts_with(&format!("{file} fails")))
                    .collect();
                if !mine.is_empty() {
                    failures.push(format!("{name}:\n{}\n--- the document ---\n{doc}", mine.join("\n")));
                }
            }
            if failures.is_empty() {
                failures.push(format!("xmllint failed: {messages}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n\n"))
    }
}

/// The response element of a response envelope, in the v4 namespace for validation.
pub fn response_document(envelope: &str) -> String {
    body_content(envelope).replace(NAMESPACE_V5, NAMESPACE_V4)
}

/// Asserts that every response's `PersonLookupResponse` is valid against the published XSD.
#[track_caller]
pub fn assert_responses_valid(responses: &[(String, String)]) {
    let documents: Vec<(String, String)> = responses
        .iter()
        .map(|(name, xml)| (name.clone(), response_document(xml)))
        .collect();
    if let Err(e) = validate_all(&message_xsd(), &documents) {
        panic!("responses not valid against {}:\n{e}", message_xsd().display());
    }
}

/// Asserts that one response is valid.
#[track_caller]
pub fn assert_response_valid(name: &str, envelope: &str) {
    assert_responses_valid(&[(name.to_owned(), envelope.to_owned())]);
}

/// Asserts that a fault's `ServiceplatformFault` detail is valid.
#[track_caller]
pub fn assert_fault_valid(name: &str, envelope: &str) {
    let documents = [(name.to_owned(), fault_detail(envelope).to_owned())];
    if let Err(e) = validate_all(&fault_xsd(), &documents) {
        panic!("fault detail not valid against {}:\n{e}", fault_xsd().display());
    }
}

/// Asserts that a request element the tests send is itself valid (so the tests speak the
/// published contract).
#[track_caller]
pub fn assert_request_valid(name: &str, operation: &str) {
    let documents = [(name.to_owned(), operation.replace(NAMESPACE_V5, NAMESPACE_V4))];
    if let Err(e) = validate_all(&message_xsd(), &documents) {
        panic!(
            "the test's request is not valid against {}:\n{e}",
            message_xsd().display()
        );
    }
}
