//! `?wsdl` out of the box: every service whose contract KOMBIT publishes serves sfstub's
//! shipped copy (the `contracts/` folder, compiled in), addresses rewritten to sfstub, every
//! import reachable; SF1520 in the variant that fits the security mode; a policy-free variant;
//! a crafted Host header never makes a document malformed; `--contracts DIR` overrides and
//! says what it does not cover.

#[path = "../support/xmllint.rs"]
mod xmllint;

use std::path::Path;

use bytes::Bytes;
use http::header;
use sfstub::app::{App, Limits};
use sfstub::contracts::ContractDir;
use sfstub::scenario::Scenario;
use sfstub::security::SecurityMode;
use sfstub::security::xmltree::Tree;

const HOST: &str = "127.0.0.1:8080";
const STS: &str = "/runtime/services/kombittrust/14/certificatemixed";
const SF1520_V4: &str = "/service/CPR/PersonBaseDataExtended/4";
const SF1520_V5: &str = "/service/CPR/PersonBaseDataExtended/5";
/// Every endpoint whose contract KOMBIT publishes.
const OFFICIAL: [&str; 7] = [
    SF1520_V4,
    SF1520_V5,
    "/organisation/virksomhed/6",
    "/organisation/organisation/6",
    "/organisation/organisationenhed/6",
    "/klasse/7",
    STS,
];

fn app(mode: SecurityMode) -> App {
    let mut app = App::new(Scenario::builtin(), Limits::default());
    app.security.mode = mode;
    app
}

fn shared_contracts() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts")
}

fn get_with_host(app: &App, uri: &str, host: &str) -> (u16, String) {
    let request = http::Request::get(uri)
        .header(header::HOST, host)
        .body(Bytes::new())
        .unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

fn get(app: &App, uri: &str) -> (u16, String) {
    get_with_host(app, uri, HOST)
}

/// The `?file=` links of a document served for `path` on [`HOST`].
fn file_links(text: &str, path: &str) -> Vec<String> {
    let endpoint = format!("http://{HOST}{path}?file=");
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&endpoint) {
        let start = i + endpoint.len() - "?file=".len();
        let end = rest[start..].find('"').map(|e| start + e).unwrap();
        links.push(format!("{path}{}", &rest[start..end]));
        rest = &rest[end..];
    }
    links
}

/// Fetches `first` and every document it leads to through `?file=` links; returns the
/// documents. Each must be served with 200 and be well-formed XML.
fn crawl(app: &App, path: &str, first: &str) -> Vec<(String, String)> {
    let mut todo = vec![first.to_owned()];
    let mut seen = std::collections::BTreeSet::new();
    let mut documents = Vec::new();
    while let Some(uri) = todo.pop() {
        if !seen.insert(uri.clone()) {
            continue;
        }
        let (status, text) = get(app, &uri);
        assert_eq!(status, 200, "GET {uri}: {text}");
        Tree::parse(text.as_bytes()).unwrap_or_else(|e| panic!("GET {uri} is not XML: {e}"));
        todo.extend(file_links(&text, path));
        documents.push((uri, text));
    }
    documents
}

#[test]
fn every_kombit_contract_is_served_with_no_flag_and_every_import_resolves() {
    for mode in [SecurityMode::Off, SecurityMode::Token] {
        let app = app(mode);
        for path in OFFICIAL {
            let documents = crawl(&app, path, &format!("{path}?wsdl"));
            let wsdl = &documents[0].1;
            assert!(
                wsdl.contains(&format!("location=\"http://{HOST}{path}\"")),
                "{path}: the address points at sfstub: {wsdl}"
            );
            assert!(
                !wsdl.contains("kmdnet.dk/runtime")
                    && !wsdl.contains("https://localhost:8080")
                    && !wsdl.contains("location=\"http://kombit.dk/sts/organisation"),
                "{path}: no address of another host is left"
            );
            let expected = if path == STS { 1 } else { 5 };
            assert!(documents.len() >= expected, "{path}: {} documents", documents.len());
        }
    }
}

#[test]
fn the_served_schemas_compile_with_xmllint() {
    let app = app(SecurityMode::Off);
    let dir = std::env::temp_dir().join(format!("sfstub-contracts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // SF1520's message schema through sfstub's links, saved with the links made local.
    let documents = crawl(&app, SF1520_V4, &format!("{SF1520_V4}?wsdl"));
    let mut message_xsd = None;
    for (uri, text) in &documents {
        let name = uri.rsplit(['/', '=']).next().unwrap().to_owned();
        let local = text.replace(&format!("http://{HOST}{SF1520_V4}?file="), "");
        let local = local
            .split("schemaLocation=\"")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part.to_owned()
                } else {
                    let (value, rest) = part.split_once('"').unwrap();
                    format!("schemaLocation=\"{}\"{rest}", value.rsplit('/').next().unwrap())
                }
            })
            .collect::<Vec<_>>()
            .join("");
        std::fs::write(dir.join(&name), local).unwrap();
        if name == "PersonBaseDataExtendedServiceMsg.xsd" {
            message_xsd = Some(dir.join(&name));
        }
    }
    let xsd = message_xsd.expect("the WSDL leads to the message schema");
    // The schema compiles when xmllint gets as far as judging the document against it.
    let (_, messages) = xmllint::xmllint(&["--noout", "--schema", xsd.to_str().unwrap()], b"<x/>");
    assert!(
        messages.contains("No matching global declaration available for the validation root"),
        "{messages}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sf1520_serves_the_context_wsdl_in_off_mode_and_the_token_wsdl_otherwise() {
    let policy_of = |app: &App, query: &str| {
        let (status, wsdl) = get(app, &format!("{SF1520_V4}?{query}"));
        assert_eq!(status, 200, "{query}: {wsdl}");
        if wsdl.contains("?file=sf1520-personbasedataextended-v4/wsdl/context/policies.wsdl") {
            "context"
        } else if wsdl.contains("?file=sf1520-personbasedataextended-v4/wsdl/token/policies.wsdl") {
            "token"
        } else {
            panic!("{query}: neither policy file is imported: {wsdl}")
        }
    };
    let off = app(SecurityMode::Off);
    let token = app(SecurityMode::Token);
    let strict = app(SecurityMode::Strict);
    assert_eq!(policy_of(&off, "wsdl"), "context");
    assert_eq!(policy_of(&token, "wsdl"), "token");
    assert_eq!(policy_of(&strict, "wsdl"), "token");
    assert_eq!(policy_of(&off, "wsdl=token"), "token");
    assert_eq!(policy_of(&token, "wsdl=context"), "context");
    assert_eq!(policy_of(&token, "WSDL=Context"), "context");
    let (_, token_policy) = get(
        &off,
        &format!("{SF1520_V4}?file=sf1520-personbasedataextended-v4/wsdl/token/policies.wsdl"),
    );
    assert!(token_policy.contains("wsam:Addressing"), "{token_policy}");
    let (status, text) = get(&off, &format!("{SF1520_V4}?wsdl=ldap"));
    assert_eq!(status, 404);
    assert!(text.contains("?wsdl=context or ?wsdl=token"), "{text}");
}

#[test]
fn sfstub_s_own_wsdls_take_the_same_queries() {
    let app = app(SecurityMode::Off);
    for path in ["/kontrolsaglistehent/1", "/klassifikationlistehent/2"] {
        let (_, plain) = get(&app, &format!("{path}?wsdl"));
        for query in ["wsdl&policy=none", "singleWsdl", "WSDL"] {
            let (status, wsdl) = get(&app, &format!("{path}?{query}"));
            assert_eq!(status, 200, "{path}?{query}: {wsdl}");
            assert_eq!(wsdl, plain, "{path}?{query}");
        }
        let (status, text) = get(&app, &format!("{path}?wsdl=token"));
        assert_eq!(status, 404, "{text}");
        assert!(text.contains("one WSDL"), "{text}");
    }
}

#[test]
fn sf1520_v5_is_served_as_v4_s_contract_in_v5_s_namespace_and_says_so() {
    let app = app(SecurityMode::Off);
    let documents = crawl(&app, SF1520_V5, &format!("{SF1520_V5}?wsdl"));
    for (uri, text) in &documents {
        assert!(!text.contains("PersonBaseDataExtended/4/"), "{uri} still names v4");
    }
    let wsdl = &documents[0].1;
    assert!(
        wsdl.contains("targetNamespace=\"http://serviceplatformen.dk/xml/wsdl/soap11/CPR/PersonBaseDataExtended/5/\""),
        "{wsdl}"
    );
    assert!(wsdl.contains("<!-- Derived by sfstub"), "{wsdl}");
}

#[test]
fn the_policy_free_variant_has_no_policy_and_is_otherwise_the_same() {
    let app = app(SecurityMode::Token);
    for path in OFFICIAL {
        let (_, with) = get(&app, &format!("{path}?wsdl"));
        let (status, without) = get(&app, &format!("{path}?wsdl&policy=none"));
        assert_eq!(status, 200, "{path}: {without}");
        Tree::parse(without.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(with.contains("PolicyReference"), "{path} has a policy to remove");
        assert!(
            !without.contains("PolicyReference") && !without.contains("<wsp:Policy"),
            "{path}: {without}"
        );
        for kept in ["<wsdl:binding", "<wsdl:portType", "soapAction=", "location=\"http://"] {
            assert_eq!(
                with.matches(kept).count(),
                without.matches(kept).count(),
                "{path}: {kept}"
            );
        }
    }
}

#[test]
fn a_crafted_host_header_is_refused_and_never_makes_a_served_document_malformed() {
    let app = app(SecurityMode::Off);
    let hosts = [r#"evil"><x y='1'/>&amp;"#, "a&b", "<!--", "]]>", r#"h"x"#];
    let mut uris: Vec<String> = OFFICIAL.iter().map(|p| format!("{p}?wsdl")).collect();
    uris.extend([
        format!("{SF1520_V4}?file=sf1520-personbasedataextended-v4/PersonBaseDataExtendedServiceMsg.xsd"),
        "/organisation/virksomhed/6?file=sf1500-organisation-v6/xsd/6.0.STS-0/VirksomhedOperationer.xsd".into(),
        "/kontrolsaglistehent/1?wsdl".into(),
        "/kontrolsaglistehent/1?xsd=KontrolsagListeHent.xsd".into(),
        "/kontrolsaglistehent/1/KontrolsagListeHent.xsd".into(),
        "/klassifikationlistehent/2?wsdl".into(),
        "/klassifikationlistehent/2?xsd=KlassifikationListeHent.xsd".into(),
    ]);
    // None of these is a host[:port]: sfstub answers 400 before any document is written
    // (issue 8 §8). Whatever it serves must be well-formed.
    for host in hosts {
        for uri in &uris {
            let (status, text) = get_with_host(&app, uri, host);
            assert_eq!(status, 400, "{uri} with Host {host:?}: {text}");
        }
    }
    for host in ["sfstub.test:8443", "[::1]:8080"] {
        for uri in &uris {
            let (status, text) = get_with_host(&app, uri, host);
            assert_eq!(status, 200, "{uri} with Host {host:?}: {text}");
            let (ok, messages) = xmllint::xmllint(&["--noout"], text.as_bytes());
            assert!(ok, "{uri} with Host {host:?} is not well-formed:\n{messages}");
        }
    }
}

#[test]
fn files_outside_the_contracts_are_never_served() {
    let mut app = app(SecurityMode::Off);
    app.contracts = Some(ContractDir::open(&shared_contracts()).unwrap());
    for evil in [
        "../../etc/passwd",
        "/etc/passwd",
        "sf1514-sts/../../README.md",
        "..%2F..%2Fetc%2Fpasswd",
        "sf1514-sts/LICENSE/../../../Cargo.toml",
    ] {
        let (status, text) = get(&app, &format!("{STS}?file={evil}"));
        assert_eq!(status, 404, "{evil}: {text}");
    }
}

#[test]
fn a_vendor_folder_overrides_the_shipped_copy_and_its_imports_resolve() {
    let mut app = app(SecurityMode::Off);
    app.contracts = Some(ContractDir::open(&shared_contracts()).unwrap());
    assert!(
        sfstub::contract_warnings(&app).is_empty(),
        "{:?}",
        sfstub::contract_warnings(&app)
    );
    let documents = crawl(&app, "/klasse/7", "/klasse/7?wsdl");
    assert!(
        documents[0]
            .1
            .contains("?file=sf1510-klasse-v7/wsdl/KlasseOperationer.xsd"),
        "{}",
        documents[0].1
    );
    assert!(documents.len() >= 8, "{}", documents.len());
}

#[test]
fn a_vendor_folder_that_lacks_a_contract_is_warned_about_and_the_shipped_copy_served() {
    let mut app = app(SecurityMode::Off);
    app.contracts = Some(ContractDir::open(&shared_contracts().join("sf1514-sts")).unwrap());
    let warnings = sfstub::contract_warnings(&app);
    assert_eq!(warnings.len(), 6, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("KlasseService.wsdl") && w.contains("SF1510 Klasse v7")),
        "{warnings:#?}"
    );
    assert!(!warnings.iter().any(|w| w.contains("Security Token Service")));
    let banner = sfstub::banner(&app, "http://127.0.0.1:8080");
    assert!(banner.contains("warning: --contracts"), "{banner}");
    let (status, wsdl) = get(&app, "/klasse/7?wsdl");
    assert_eq!(status, 200, "{wsdl}");
}

#[test]
fn every_shipped_contract_folder_carries_its_licence_and_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts");
    let mut folders = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        folders += 1;
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.starts_with("LICENSE")), "{}", dir.display());
        assert!(names.iter().any(|n| n == "SOURCE.txt"), "{}", dir.display());
        let licence =
            std::fs::read_to_string(dir.join(names.iter().find(|n| n.starts_with("LICENSE")).unwrap())).unwrap();
        assert!(
            licence.contains("Permission is hereby granted"),
            "{} is MIT",
            dir.display()
        );
    }
    assert_eq!(folders, 6);
}
