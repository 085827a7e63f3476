//! Serving a vendor's own copy of KOMBIT's official contract files (`--contracts DIR`).
//!
//! SF1520, SF1500 and SF1510 have public contracts, and vendors already hold them: their
//! clients are generated from them. sfstub does not ship them; pointed at a folder holding
//! them, it serves the service's WSDL at `?wsdl` with the endpoint address rewritten to its
//! own, and every file the WSDL imports or includes at `?file=<path>`, rewritten the same way.

use std::path::{Component, Path, PathBuf};

/// What a service says about its official contract.
#[derive(Debug, Clone, Copy)]
pub struct Official {
    /// Path suffixes of the WSDL to serve, most preferred first (e.g.
    /// `token/PersonBaseDataExtendedService.wsdl`, `PersonBaseDataExtendedService.wsdl`).
    pub wsdl: &'static [&'static str],
    /// Where vendors get the contract, for the message when no folder is given.
    pub origin: &'static str,
}

/// A folder of official contract files.
#[derive(Debug, Clone)]
pub struct ContractDir {
    root: PathBuf,
    /// Every file below the root, relative, with `/` separators.
    files: Vec<String>,
}

impl ContractDir {
    /// Opens a folder and lists its files (at most 10 000, 12 levels deep).
    pub fn open(dir: &Path) -> Result<ContractDir, String> {
        let root = dir
            .canonicalize()
            .map_err(|e| format!("--contracts {}: {e}", dir.display()))?;
        if !root.is_dir() {
            return Err(format!("--contracts {}: not a directory", dir.display()));
        }
        let mut files = Vec::new();
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((at, depth)) = stack.pop() {
            let entries =
                std::fs::read_dir(&at).map_err(|e| format!("--contracts: cannot read {}: {e}", at.display()))?;
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() && depth < 12 {
                    stack.push((path, depth + 1));
                } else if path.is_file()
                    && files.len() < 10_000
                    && let Ok(rel) = path.strip_prefix(&root)
                {
                    files.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        files.sort();
        Ok(ContractDir { root, files })
    }

    /// The relative path of the WSDL a service names, if the folder has it.
    pub fn find(&self, official: &Official) -> Option<&str> {
        official.wsdl.iter().find_map(|suffix| {
            self.files
                .iter()
                .find(|f| *f == suffix || f.ends_with(&format!("/{suffix}")))
                .map(String::as_str)
        })
    }

    /// A file of the folder with addresses and imports rewritten for `endpoint`.
    pub fn document(&self, relative: &str, endpoint: &str) -> Result<String, String> {
        let clean =
            normalise(relative).ok_or_else(|| format!("{relative:?} is not a path inside the contract folder"))?;
        if !self.files.contains(&clean) {
            return Err(format!("the contract folder has no file {clean:?}"));
        }
        let text = std::fs::read_to_string(self.root.join(&clean)).map_err(|e| format!("cannot read {clean}: {e}"))?;
        let dir = clean.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        Ok(rewrite(&text, dir, endpoint))
    }
}

/// Resolves `.` and `..` lexically; `None` if the path leaves the folder or is absolute.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Points `location="..."` of SOAP addresses (and every other mention of those addresses, such
/// as a port's `wsa:EndpointReference`) at `endpoint`, and relative `schemaLocation` and
/// `location` (imports, includes, policy references) at `endpoint?file=...`.
fn rewrite(text: &str, dir: &str, endpoint: &str) -> String {
    let mut addresses: Vec<&str> = Vec::new();
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    while let Some(i) = rest.find("ocation=\"") {
        let attr_start = rest[..i].rfind(|c: char| c.is_whitespace()).map_or(0, |p| p + 1);
        let attr = &rest[attr_start..i + "ocation=".len()];
        let value_start = i + "ocation=\"".len();
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        let value = &rest[value_start..value_start + len];
        out.push_str(&rest[..value_start]);
        let element = rest[..attr_start]
            .rfind('<')
            .map(|p| &rest[p..attr_start])
            .unwrap_or("");
        if element.contains("address") && attr == "location=" {
            addresses.push(value);
            out.push_str(endpoint);
        } else if (attr == "schemaLocation=" || attr == "location=") && !value.contains("://") {
            let joined = if dir.is_empty() {
                value.to_owned()
            } else {
                format!("{dir}/{value}")
            };
            match normalise(&joined) {
                Some(path) => out.push_str(&format!("{endpoint}?file={path}")),
                None => out.push_str(value),
            }
        } else {
            out.push_str(value);
        }
        rest = &rest[value_start + len..];
    }
    out.push_str(rest);
    for address in addresses.into_iter().filter(|a| a.contains("://")) {
        out = out.replace(&format!(">{address}<"), &format!(">{endpoint}<"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(normalise("a/b/../c.xsd").as_deref(), Some("a/c.xsd"));
        assert_eq!(normalise("../etc/passwd"), None);
        assert_eq!(normalise("/etc/passwd"), None);
    }

    #[test]
    fn addresses_and_imports_are_rewritten() {
        let wsdl = r##"<w><xsd:import schemaLocation="../xsd/T.xsd"/><wsp:PolicyReference URI="#p"/><wsdl:import location="policies.wsdl"/><soap:address location="https://exttest.serviceplatformen.dk/service/X/4"/><i schemaLocation="http://www.w3.org/x.xsd"/></w>"##;
        let out = rewrite(wsdl, "wsdl/token", "http://127.0.0.1:8080/service/X/4");
        assert!(
            out.contains(r#"schemaLocation="http://127.0.0.1:8080/service/X/4?file=wsdl/xsd/T.xsd""#),
            "{out}"
        );
        assert!(
            out.contains(r#"location="http://127.0.0.1:8080/service/X/4?file=wsdl/token/policies.wsdl""#),
            "{out}"
        );
        assert!(
            out.contains(r#"<soap:address location="http://127.0.0.1:8080/service/X/4"/>"#),
            "{out}"
        );
        assert!(out.contains(r#"schemaLocation="http://www.w3.org/x.xsd""#), "{out}");
    }
}
