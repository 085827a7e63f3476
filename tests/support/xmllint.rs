//! Shared by the test binaries that validate documents against XML schemas with xmllint
//! (Debian package `libxml2-utils`, installed by `scripts/test`). A missing xmllint fails the
//! test with a clear message: the schema is part of what these tests prove.
//!
//! Included with `#[path = "../support/xmllint.rs"] mod xmllint;`. Not every binary uses
//! every helper, hence `allow(dead_code)`.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs xmllint with `args`; with `stdin`, `-` is added to the arguments and the document is
/// piped in. Panics clearly when xmllint is not installed.
pub fn run<S: AsRef<OsStr>>(args: &[S], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new("xmllint");
    command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        command.arg("-").stdin(Stdio::piped());
    } else {
        command.stdin(Stdio::null());
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "xmllint is not installed, and these tests validate documents against XML schemas with it. \
             Run scripts/test (it installs the Debian package libxml2-utils), or: apt-get install libxml2-utils"
        ),
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    if let Some(document) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(document).unwrap();
        drop(pipe);
    }
    child.wait_with_output().unwrap()
}

/// Runs xmllint with `args` and `document` on stdin: its exit status and messages.
pub fn xmllint(args: &[&str], document: &[u8]) -> (bool, String) {
    let output = run(args, Some(document));
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

/// Runs `xmllint --noout --schema xsd` on the files: whether all are valid, and xmllint's
/// messages (each names the file it is about).
pub fn validate_files<P: AsRef<OsStr>>(xsd: &Path, files: &[P]) -> (bool, String) {
    let mut args: Vec<&OsStr> = vec![OsStr::new("--noout"), OsStr::new("--schema"), xsd.as_os_str()];
    args.extend(files.iter().map(AsRef::as_ref));
    let output = run(&args, None);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
