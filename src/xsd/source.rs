//! Where contract files come from: a folder on disk, or files held in memory (the contracts
//! sfstub compiles into its binary). Nothing is ever fetched from the network: a reference
//! that leaves the folder, or names a URL the source does not hold, is an error naming it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The most files a source may list when the loader searches it for a namespace.
const MAX_LISTED: usize = 10_000;
/// The largest contract file read.
pub const MAX_FILE_BYTES: usize = 32 << 20;

/// A set of contract files: every path is relative to the source's root, `/`-separated.
#[derive(Debug, Clone)]
pub enum Source {
    /// A folder on disk.
    Dir(PathBuf),
    /// Files in memory, keyed by path (or by the exact URL a document names, e.g.
    /// `http://127.0.0.1:8080/kontrolsaglistehent/1/KontrolsagListeHent.xsd`).
    Memory(BTreeMap<String, Vec<u8>>),
}

impl Source {
    /// A folder on disk.
    pub fn dir(path: impl Into<PathBuf>) -> Source {
        Source::Dir(path.into())
    }

    /// Files in memory from (path, content) pairs.
    pub fn memory<P: Into<String>, C: Into<Vec<u8>>>(files: impl IntoIterator<Item = (P, C)>) -> Source {
        Source::Memory(files.into_iter().map(|(p, c)| (p.into(), c.into())).collect())
    }

    /// Reads a file by its normalised path.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        match self {
            Source::Memory(files) => files.get(path).cloned().ok_or_else(|| "no such file".to_owned()),
            Source::Dir(root) => {
                let full = root.join(path);
                let meta = std::fs::metadata(&full).map_err(|e| e.to_string())?;
                if !meta.is_file() {
                    return Err("not a file".to_owned());
                }
                if meta.len() as usize > MAX_FILE_BYTES {
                    return Err(format!("larger than {} MiB", MAX_FILE_BYTES >> 20));
                }
                std::fs::read(full).map_err(|e| e.to_string())
            }
        }
    }

    /// Every file of the source whose name ends in one of `extensions` (at most 10 000).
    pub fn list(&self, extensions: &[&str]) -> Vec<String> {
        let wanted = |p: &str| extensions.iter().any(|e| p.to_ascii_lowercase().ends_with(e));
        match self {
            Source::Memory(files) => files.keys().filter(|p| wanted(p)).cloned().collect(),
            Source::Dir(root) => {
                let mut out = Vec::new();
                let mut stack = vec![(root.clone(), 0usize)];
                while let Some((dir, depth)) = stack.pop() {
                    let Ok(entries) = std::fs::read_dir(&dir) else { continue };
                    for entry in entries.flatten() {
                        let path = entry.path();
                        if path.is_dir() && depth < 12 {
                            stack.push((path, depth + 1));
                        } else if out.len() < MAX_LISTED
                            && let Ok(rel) = path.strip_prefix(root)
                        {
                            let rel = rel.to_string_lossy().replace('\\', "/");
                            if wanted(&rel) {
                                out.push(rel);
                            }
                        }
                    }
                }
                out.sort();
                out
            }
        }
    }

    /// Describes the source for messages.
    pub fn describe(&self) -> String {
        match self {
            Source::Dir(root) => root.display().to_string(),
            Source::Memory(files) => format!("{} files in memory", files.len()),
        }
    }
}

/// Resolves `location`, written in the document at `from`, to a path of the source.
pub fn resolve(source: &Source, from: &str, location: &str) -> Result<String, String> {
    let location = location.trim();
    if let Source::Memory(files) = source
        && files.contains_key(location)
    {
        return Ok(location.to_owned());
    }
    if location.is_empty() {
        return Err("an empty location".to_owned());
    }
    // A document read under a URL (files in memory may be keyed so): relative locations join
    // the URL's path, and must name another file held in memory.
    if let (Some((scheme, rest)), Source::Memory(files)) = (from.split_once("://"), source)
        && !location.contains("://")
    {
        let dir = rest.rsplit_once('/').map(|(d, _)| d).unwrap_or(rest);
        let mut parts: Vec<&str> = dir.split('/').collect();
        for part in location.split('/') {
            match part {
                "" | "." => {}
                ".." if parts.len() > 1 => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        let joined = format!("{scheme}://{}", parts.join("/"));
        return match files.contains_key(&joined) {
            true => Ok(joined),
            false => Err(format!(
                "{joined:?} (from {location:?} in {from}) is not among the files held in memory"
            )),
        };
    }
    let lower = location.to_ascii_lowercase();
    if lower.contains("://")
        || lower.starts_with("urn:")
        || lower.starts_with("file:")
        || Path::new(location).is_absolute()
    {
        return Err(format!(
            "{location:?} is outside the contract folder (sfstub never fetches anything from the network: put the file in the folder and refer to it by a relative path)"
        ));
    }
    // Strip a query or fragment some published WSDLs carry (`Foo.xsd?xsd=1` never names a file here).
    if location.contains('?') || location.contains('#') {
        return Err(format!(
            "{location:?} is a URL with a query or fragment, not a file of the contract folder"
        ));
    }
    let dir = from.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    let location_slashed = location.replace('\\', "/");
    for part in location_slashed.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("{location:?} (from {from}) leads outside the contract folder"));
                }
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}
