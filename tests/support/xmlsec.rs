//! Shared by the test binaries that need xmlsec1 (Debian package `xmlsec1`, installed by
//! `scripts/test`): running it, and a temporary directory for its files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs xmlsec1; panics with a clear message when it is not installed (`scripts/test`
/// installs it), so no test silently passes without it.
pub fn xmlsec1(args: &[&str]) -> (bool, String) {
    let out = Command::new("xmlsec1").args(args).output().unwrap_or_else(|e| {
        panic!("xmlsec1 is needed for this test ({e}); run scripts/test, or apt-get install xmlsec1")
    });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A directory under the system's temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "sfstub-xmlsec-{tag}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
