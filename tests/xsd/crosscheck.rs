//! sfstub's validator against xmllint: on every document of the corpus (real examples, golden
//! fixtures, sfstub's own exchanges, and their mutations) both must give the same verdict.
//! xmllint gets each set's message schema as published; for the Fjernprint set, which libxml2
//! rejects as published, the normalised aggregate the contracts README describes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sfstub::app::{App, Limits};
use sfstub::xsd::{Contract, QName, SchemaSet, Source};

use crate::corpus;
use crate::sets::contracts;
use crate::{world, xmllint};

/// A schema set, how xmllint gets the same schemas, and the documents it judges.
struct Case {
    label: &'static str,
    schema: Arc<SchemaSet>,
    /// The schema file for xmllint, by root element namespace (None: the file that declares
    /// the root element).
    xmllint_schema: Option<PathBuf>,
    docs: Vec<(String, String)>,
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("xsd-crosscheck-{}/{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// sfstub's own K2017 schemas for a service, as it publishes them, in memory and on disk.
fn own_schema(app: &App, main: &str, name: &str) -> (Arc<SchemaSet>, PathBuf) {
    let base = "http://127.0.0.1:8080/x";
    let loaded = app.loaded();
    let service = loaded
        .services
        .iter()
        .find(|s| s.contract(Some(main), base).is_some())
        .unwrap_or_else(|| panic!("no service publishes {main}"));
    let dir = temp_dir(name);
    let mut files = Vec::new();
    for file in [main, "Kontekst.xsd"] {
        let text = service.contract(Some(file), base).unwrap();
        std::fs::write(dir.join(file), &text).unwrap();
        files.push((file.to_owned(), text.into_bytes()));
    }
    let set = SchemaSet::load(&Source::memory(files), &[main]).unwrap_or_else(|e| panic!("{e}"));
    (Arc::new(set), dir.join(main))
}

fn contract(folder: &str, wsdl: &str) -> Arc<SchemaSet> {
    let c = Contract::load(&Source::dir(contracts().join(folder)), wsdl).unwrap_or_else(|e| panic!("{e}"));
    c.schema.clone()
}

/// The Fjernprint set normalised for libxml2: every file copied with its imports pointed at
/// one aggregate schema per namespace (which includes every file of it), self-imports dropped.
fn normalised_fjernprint(set: &SchemaSet, src: &Path, root_ns: &str) -> PathBuf {
    let out = temp_dir("fjernprint");
    let mut by_ns: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (file, ns) in set.files() {
        by_ns.entry(ns.as_str()).or_default().push(file.as_str());
    }
    let aggregate = |ns: &str| {
        out.join(format!(
            "aggregate-{}.xsd",
            by_ns.keys().position(|n| *n == ns).unwrap_or(999)
        ))
    };
    let import = regex::Regex::new(r#"<((?:\w+:)?)import\b[^>]*?namespace="([^"]*)"[^>]*?/>"#).unwrap();
    for (file, ns) in set.files() {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        let rewritten = import.replace_all(&text, |c: &regex::Captures| {
            if &c[2] == ns.as_str() {
                String::new()
            } else {
                format!(
                    r#"<{}import namespace="{}" schemaLocation="{}"/>"#,
                    &c[1],
                    &c[2],
                    aggregate(&c[2]).display()
                )
            }
        });
        let target = out.join(file);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, rewritten.as_bytes()).unwrap();
    }
    for (ns, files) in &by_ns {
        let includes: String = files
            .iter()
            .map(|f| format!("  <include schemaLocation=\"{}\"/>\n", out.join(f).display()))
            .collect();
        std::fs::write(
            aggregate(ns),
            format!("<schema xmlns=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"{ns}\" elementFormDefault=\"qualified\">\n{includes}</schema>\n"),
        )
        .unwrap();
    }
    aggregate(root_ns)
}

/// The WS-Trust schema embedded in the STS WSDL, as a file for xmllint.
fn sts_schema() -> PathBuf {
    let wsdl = std::fs::read_to_string(contracts().join("sf1514-sts/sts.wsdl")).unwrap();
    let start = wsdl.find(r#"<xs:schema elementFormDefault="qualified" targetNamespace="http://docs.oasis-open.org/ws-sx/ws-trust/200512""#).unwrap();
    let end = start + wsdl[start..].find("</xs:schema>").unwrap() + "</xs:schema>".len();
    let schema = wsdl[start..end].replacen(
        "<xs:schema ",
        r#"<xs:schema xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512" "#,
        1,
    );
    let path = temp_dir("sts").join("ws-trust.xsd");
    std::fs::write(&path, schema).unwrap();
    path
}

fn root_name(doc: &str) -> Option<QName> {
    let mut reader = quick_xml::reader::NsReader::from_reader(doc.as_bytes());
    loop {
        match reader.read_resolved_event().ok()? {
            (ns, quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                let ns = match ns {
                    quick_xml::name::ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
                    _ => String::new(),
                };
                return Some(QName::new(
                    ns,
                    String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                ));
            }
            (_, quick_xml::events::Event::Eof) => return None,
            _ => {}
        }
    }
}

#[test]
fn sfstubs_validator_agrees_with_xmllint_on_every_document() {
    let app = world::app(sfstub::security::SecurityMode::Off);
    let _ = Limits::default();
    let (sf1472, sf1472_xsd) = own_schema(&app, "KontrolsagListeHent.xsd", "sf1472");
    let (sf1510_own, sf1510_own_xsd) = own_schema(&app, "KlassifikationListeHent.xsd", "sf1510-own");
    let oio = contracts().join("sf1600-print-fjernprint/resources/sf1600/SF1600_EP_SP1-2/xsd/oio");
    let fjernprint = Arc::new(SchemaSet::load(&Source::dir(&oio), &["ForsendelseI.xsd"]).unwrap());
    let fjernprint_xsd = normalised_fjernprint(&fjernprint, &oio, "urn:oio:fjernprint:1.0.0");
    let mut cases = [
        Case {
            label: "SF1472 (sfstub's own XSD)",
            schema: sf1472,
            xmllint_schema: Some(sf1472_xsd),
            docs: Vec::new(),
        },
        Case {
            label: "SF1510 KlassifikationListeHent (own)",
            schema: sf1510_own,
            xmllint_schema: Some(sf1510_own_xsd),
            docs: Vec::new(),
        },
        Case {
            label: "SF1520 v4",
            schema: contract(
                "sf1520-personbasedataextended-v4",
                "wsdl/token/PersonBaseDataExtendedService.wsdl",
            ),
            xmllint_schema: None,
            docs: Vec::new(),
        },
        Case {
            label: "SF1500 v6 Virksomhed",
            schema: contract("sf1500-organisation-v6", "wsdl/Virksomhed.wsdl"),
            xmllint_schema: None,
            docs: Vec::new(),
        },
        Case {
            label: "SF1510 Klasse v7",
            schema: contract("sf1510-klasse-v7", "wsdl/KlasseService.wsdl"),
            xmllint_schema: None,
            docs: Vec::new(),
        },
        Case {
            label: "SF2900 v3",
            schema: contract(
                "sf2900-fordelingskomponent",
                "resources/sf2900/wsdl/context/DistributionService.wsdl",
            ),
            xmllint_schema: None,
            docs: Vec::new(),
        },
        Case {
            label: "SF1600 Fjernprint (normalised for xmllint)",
            schema: fjernprint,
            xmllint_schema: Some(fjernprint_xsd),
            docs: Vec::new(),
        },
        Case {
            label: "SF1514 STS (WS-Trust)",
            schema: contract("sf1514-sts", "sts.wsdl"),
            xmllint_schema: Some(sts_schema()),
            docs: Vec::new(),
        },
    ];
    let mut unplaced = Vec::new();
    let mut base_docs: Vec<(String, String)> = corpus::real_examples();
    base_docs.extend(corpus::golden_fixtures());
    base_docs.extend(corpus::exchanges().into_iter().map(|(_, label, doc)| (label, doc)));
    let base_count = base_docs.len();
    for (label, doc) in base_docs {
        let Some(root) = root_name(&doc) else {
            panic!("{label} has no root element")
        };
        let Some(case) = cases.iter_mut().find(|c| c.schema.global_element(&root).is_some()) else {
            unplaced.push(format!("{label} ({root})"));
            continue;
        };
        case.docs.push((label.clone(), doc.clone()));
        for (m, text) in corpus::mutations(&doc) {
            case.docs.push((format!("{label}, {m}"), text));
        }
    }
    assert!(unplaced.len() <= 3, "documents no schema set declares: {unplaced:?}");
    eprintln!("not cross-checked (no set declares their root): {unplaced:?}");

    let mut report = String::new();
    let mut disagreements = Vec::new();
    let (mut total, mut valid_total) = (0, 0);
    for (ci, case) in cases.iter().enumerate() {
        assert!(!case.docs.is_empty(), "{}: no documents", case.label);
        let dir = temp_dir(&format!("docs-{ci}"));
        // Group documents by the schema file xmllint needs.
        let mut groups: BTreeMap<PathBuf, Vec<(usize, PathBuf)>> = BTreeMap::new();
        for (i, (_, doc)) in case.docs.iter().enumerate() {
            let root = root_name(doc).unwrap();
            let xsd = match &case.xmllint_schema {
                Some(p) => p.clone(),
                None => {
                    let id = case.schema.global_element(&root).unwrap();
                    let file = &case.schema.element(id).location.file;
                    let folder = [
                        "sf1520-personbasedataextended-v4",
                        "sf1500-organisation-v6",
                        "sf1510-klasse-v7",
                        "sf2900-fordelingskomponent",
                    ]
                    .into_iter()
                    .find(|f| contracts().join(f).join(file).is_file())
                    .unwrap_or_else(|| panic!("{file} is in no contract folder"));
                    contracts().join(folder).join(file)
                }
            };
            let path = dir.join(format!("{i:04}.xml"));
            std::fs::write(&path, doc).unwrap();
            groups.entry(xsd).or_default().push((i, path));
        }
        let mut xmllint_valid = vec![false; case.docs.len()];
        for (xsd, files) in &groups {
            let paths: Vec<&PathBuf> = files.iter().map(|(_, p)| p).collect();
            let (_, messages) = xmllint::validate_files(xsd, &paths);
            assert!(
                !messages.contains("failed to compile"),
                "xmllint cannot compile {}:\n{messages}",
                xsd.display()
            );
            for (i, p) in files {
                xmllint_valid[*i] = messages.lines().any(|l| l == format!("{} validates", p.display()));
            }
        }
        let mut agree = 0;
        let mut valid = 0;
        for (i, (label, doc)) in case.docs.iter().enumerate() {
            let root = root_name(doc).unwrap();
            let findings = case.schema.validate(doc.as_bytes(), case.schema.global_element(&root));
            let ours = findings.is_empty();
            if ours == xmllint_valid[i] {
                agree += 1;
            } else {
                let path = dir.join(format!("{i:04}.xml"));
                let (_, messages) = xmllint::validate_files(groups.keys().next().unwrap(), &[&path]);
                disagreements.push(format!(
                    "{}: {label}: sfstub says {}, xmllint says {}\n  sfstub: {findings:?}\n  xmllint: {messages}\n  document: {}",
                    case.label,
                    if ours { "valid" } else { "invalid" },
                    if xmllint_valid[i] { "valid" } else { "invalid" },
                    path.display()
                ));
            }
            if xmllint_valid[i] {
                valid += 1;
            }
        }
        total += case.docs.len();
        valid_total += valid;
        report.push_str(&format!(
            "{:<44} {:>4} documents, {:>4} agree ({} valid, {} invalid by xmllint)\n",
            case.label,
            case.docs.len(),
            agree,
            valid,
            case.docs.len() - valid
        ));
    }
    eprintln!(
        "{report}in all: {total} documents from {base_count} originals, {valid_total} valid, {} invalid; {} disagreements",
        total - valid_total,
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n\n")
    );
}
