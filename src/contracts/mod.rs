//! The contracts KOMBIT publishes, served at `?wsdl`: SF1520, SF1500, SF1510 Klasse v7 and the
//! STS. sfstub ships them (the `contracts/` folder, MIT-licensed, compiled into the binary by
//! `build.rs`); `--contracts DIR` serves a vendor's own copy instead. Either way the endpoint
//! address is rewritten to the sfstub that serves it and every file the WSDL imports or
//! includes is served at `?file=<path>`, rewritten the same way ([`rewrite`]).
//!
//! Variants: SF1520 has a context WSDL and a token WSDL (`?wsdl=context`, `?wsdl=token`;
//! plain `?wsdl` follows the security mode), and every WSDL can be had without its WS-Policy
//! (`?wsdl&policy=none`) for stacks that cannot resolve KOMBIT's policy references.

pub mod rewrite;

use std::path::{Component, Path, PathBuf};

use crate::security::SecurityMode;

/// The files of `contracts/`: path below it, text.
static SHIPPED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/contracts.rs"));

/// A shipped contract file by its path below `contracts/`.
pub fn shipped(path: &str) -> Option<&'static str> {
    SHIPPED
        .binary_search_by(|(p, _)| (*p).cmp(path))
        .ok()
        .map(|i| SHIPPED[i].1)
}

/// Every shipped contract file's path, for tests and tools.
pub fn shipped_paths() -> impl Iterator<Item = &'static str> {
    SHIPPED.iter().map(|(p, _)| *p)
}

/// One WSDL of a service's contract.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// Its name in `?wsdl=<name>` (`context`, `token`); empty for a service with one WSDL.
    pub name: &'static str,
    /// The shipped WSDL, a path below `contracts/`.
    pub shipped: &'static str,
    /// Path suffixes of the same WSDL in a vendor's folder, most preferred first.
    pub vendor: &'static [&'static str],
}

/// What a service says about its official contract.
#[derive(Debug, Clone, Copy)]
pub struct Official {
    /// The WSDLs; the first is the default unless the security mode picks another.
    pub variants: &'static [Variant],
    /// Where vendors get the contract, for messages.
    pub origin: &'static str,
    /// A text replacement applied to every shipped document this service serves: SF1520 v5 is
    /// served as v4's contract with v4's namespace and path replaced.
    pub derive: Option<(&'static str, &'static str)>,
}

impl Official {
    /// The variant `?wsdl=<requested>` names, or for plain `?wsdl` the one that fits the
    /// security mode: `context` in `off` mode, `token` otherwise, when the service has them.
    pub fn choose(&self, requested: Option<&str>, mode: SecurityMode) -> Result<&Variant, String> {
        let by_name = |name: &str| self.variants.iter().find(|v| v.name.eq_ignore_ascii_case(name));
        match requested.filter(|r| !r.is_empty()) {
            Some(name) => by_name(name).ok_or_else(|| {
                let names: Vec<&str> = self.variants.iter().map(|v| v.name).filter(|n| !n.is_empty()).collect();
                if names.is_empty() {
                    format!("this service has one WSDL: ask for ?wsdl (not ?wsdl={name})")
                } else {
                    format!("no WSDL variant {name:?}: ask for ?wsdl={}", names.join(" or ?wsdl="))
                }
            }),
            None => {
                let preferred = if mode == SecurityMode::Off { "context" } else { "token" };
                Ok(by_name(preferred).unwrap_or(&self.variants[0]))
            }
        }
    }
}

/// A folder of official contract files (`--contracts DIR`).
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

    /// The folder as given, canonicalised.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The relative path of a variant's WSDL, if the folder has it.
    pub fn find(&self, variant: &Variant) -> Option<&str> {
        variant.vendor.iter().find_map(|suffix| {
            self.files
                .iter()
                .find(|f| *f == suffix || f.ends_with(&format!("/{suffix}")))
                .map(String::as_str)
        })
    }

    /// True when the folder holds a WSDL of any of the service's variants.
    pub fn serves(&self, official: &Official) -> bool {
        official.variants.iter().any(|v| self.find(v).is_some())
    }

    /// The text of a file of the folder.
    fn read(&self, relative: &str) -> Result<Option<String>, String> {
        if !self.files.iter().any(|f| f == relative) {
            return Ok(None);
        }
        std::fs::read_to_string(self.root.join(relative))
            .map(Some)
            .map_err(|e| format!("cannot read {relative} of the --contracts folder: {e}"))
    }
}

/// What a GET on a contract asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `?wsdl`, `?singleWsdl` or `?wsdl=<variant>`.
    Wsdl { variant: Option<String>, policy: bool },
    /// `?file=<path>` (percent-decoded).
    File { path: String, policy: bool },
}

impl Request {
    /// Reads the query of a GET; `None` when it asks for no contract document.
    pub fn parse(query: &str) -> Option<Request> {
        let mut wsdl: Option<Option<String>> = None;
        let mut file = None;
        let mut policy = true;
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').map_or((pair, None), |(k, v)| (k, Some(v)));
            if key.eq_ignore_ascii_case("wsdl") || key.eq_ignore_ascii_case("singleWsdl") {
                wsdl = Some(value.map(percent_decode));
            } else if key.eq_ignore_ascii_case("file") {
                file = value.map(percent_decode);
            } else if key.eq_ignore_ascii_case("policy") {
                policy = !value.is_some_and(|v| v.eq_ignore_ascii_case("none"));
            }
        }
        match (wsdl, file) {
            (_, Some(path)) => Some(Request::File { path, policy }),
            (Some(variant), None) => Some(Request::Wsdl { variant, policy }),
            (None, None) => None,
        }
    }
}

/// A served contract document, or why there is none.
pub type Served = Result<String, String>;

/// Serves a contract request for a service: from the vendor's folder when it has the file,
/// otherwise from the shipped contracts. `endpoint` is the endpoint's absolute URL as the
/// client addressed it (not yet escaped).
pub fn serve(
    official: &Official,
    vendor: Option<&ContractDir>,
    request: &Request,
    mode: SecurityMode,
    endpoint: &str,
) -> Served {
    let (path, policy, from_vendor) = match request {
        Request::Wsdl { variant, policy } => {
            let variant = official.choose(variant.as_deref(), mode)?;
            match vendor.and_then(|dir| dir.find(variant)) {
                Some(found) => (found.to_owned(), *policy, true),
                None => (variant.shipped.to_owned(), *policy, false),
            }
        }
        Request::File { path, policy } => {
            let clean = normalise(path).ok_or_else(|| format!("{path:?} is not a path inside the contracts"))?;
            let in_vendor = vendor.is_some_and(|dir| dir.files.contains(&clean));
            (clean, *policy, in_vendor)
        }
    };
    let text = if from_vendor {
        vendor
            .map(|dir| dir.read(&path))
            .transpose()?
            .flatten()
            .ok_or_else(|| format!("the contract folder has no file {path:?}"))?
    } else {
        let text = shipped(&path).ok_or_else(|| {
            format!(
                "sfstub has no contract file {path:?}{}",
                if vendor.is_some() {
                    " (nor has the --contracts folder)"
                } else {
                    ""
                }
            )
        })?;
        match official.derive {
            Some((from, to)) => rewrite::derived(text, from, to),
            None => text.to_owned(),
        }
    };
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let text = if policy { text } else { rewrite::without_policy(&text) };
    Ok(rewrite::rewrite(&text, dir, endpoint))
}

/// The files of a contract sfstub serves from a folder of the user's (a scenario's
/// `contracts:` entry, `serve --contract`): the WSDL and every file it leads to, read when the
/// contract was loaded. Only these files are served, so nothing else in that folder is reachable.
#[derive(Debug, Clone, Default)]
pub struct Documents {
    /// The WSDL's path among `files`.
    pub wsdl: String,
    /// Every file of the contract: path below the contract's folder, text.
    pub files: std::collections::BTreeMap<String, String>,
}

impl Documents {
    /// Serves `?wsdl` (the WSDL) or `?file=<path>` (a file it imports), addresses and imports
    /// pointed at `endpoint`.
    pub fn serve(&self, request: &Request, endpoint: &str) -> Served {
        let (path, policy) = match request {
            Request::Wsdl { variant, policy } => {
                if let Some(v) = variant.as_deref().filter(|v| !v.is_empty()) {
                    return Err(format!("this service has one WSDL: ask for ?wsdl (not ?wsdl={v})"));
                }
                (self.wsdl.clone(), *policy)
            }
            Request::File { path, policy } => (
                normalise(path).ok_or_else(|| format!("{path:?} is not a path inside the contract"))?,
                *policy,
            ),
        };
        let text = self
            .files
            .get(&path)
            .ok_or_else(|| format!("the contract has no file {path:?}"))?;
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let text = if policy {
            text.clone()
        } else {
            rewrite::without_policy(text)
        };
        Ok(rewrite::rewrite(&text, dir, endpoint))
    }
}

/// Resolves `.` and `..` lexically; `None` if the path leaves the folder or is absolute.
pub(crate) fn normalise(path: &str) -> Option<String> {
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

/// Decodes `%XX` escapes (and `+` as a space); invalid escapes stay as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
    fn queries_name_the_document() {
        assert_eq!(
            Request::parse("wsdl"),
            Some(Request::Wsdl {
                variant: None,
                policy: true
            })
        );
        assert_eq!(
            Request::parse("WSDL=token&policy=none"),
            Some(Request::Wsdl {
                variant: Some("token".into()),
                policy: false
            })
        );
        assert_eq!(
            Request::parse("file=a%20b/c.xsd"),
            Some(Request::File {
                path: "a b/c.xsd".into(),
                policy: true
            })
        );
        assert_eq!(Request::parse("xsd=x.xsd"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn every_shipped_contract_is_there_and_sorted() {
        let paths: Vec<&str> = shipped_paths().collect();
        assert!(paths.windows(2).all(|w| w[0] < w[1]), "{paths:?}");
        for wsdl in [
            "sf1514-sts/sts.wsdl",
            "sf1510-klasse-v7/wsdl/KlasseService.wsdl",
            "sf1520-personbasedataextended-v4/wsdl/token/PersonBaseDataExtendedService.wsdl",
            "sf1520-personbasedataextended-v4/wsdl/context/PersonBaseDataExtendedService.wsdl",
            "sf1500-organisation-v6/wsdl/Virksomhed.wsdl",
        ] {
            assert!(shipped(wsdl).is_some_and(|t| t.contains("wsdl:definitions")), "{wsdl}");
        }
    }
}
