//! `--contracts DIR`: the services whose contracts KOMBIT publishes serve the vendor's own
//! copy at `?wsdl`, addresses rewritten to sfstub, every import reachable; without the folder
//! they say plainly where the contract comes from.

use std::path::Path;

use bytes::Bytes;
use http::header;
use sfstub::app::{App, Limits};
use sfstub::contracts::ContractDir;
use sfstub::scenario::Scenario;
use sfstub::security::xmltree::Tree;

const HOST: &str = "127.0.0.1:8080";

fn app(with_contracts: bool) -> App {
    let mut app = App::new(Scenario::builtin(), Limits::default());
    if with_contracts {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts");
        app.contracts = Some(ContractDir::open(&dir).expect("../shared/contracts beside the checkout"));
    }
    app
}

fn get(app: &App, uri: &str) -> (u16, String) {
    let request = http::Request::get(uri)
        .header(header::HOST, HOST)
        .body(Bytes::new())
        .unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

/// Fetches the WSDL of `path` and every document it leads to through `?file=` links; returns
/// how many documents were fetched. Each must be served and be well-formed XML.
fn crawl(app: &App, path: &str) -> usize {
    let endpoint = format!("http://{HOST}{path}");
    let mut todo = vec![format!("{path}?wsdl")];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(uri) = todo.pop() {
        if !seen.insert(uri.clone()) {
            continue;
        }
        let (status, text) = get(app, &uri);
        assert_eq!(status, 200, "GET {uri}: {text}");
        Tree::parse(text.as_bytes()).unwrap_or_else(|e| panic!("GET {uri} is not XML: {e}"));
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&format!("{endpoint}?file=")) {
            let start = i + endpoint.len();
            let end = rest[start..].find('"').map(|e| start + e).unwrap();
            todo.push(format!("{path}{}", &rest[start..end]));
            rest = &rest[end..];
        }
    }
    seen.len()
}

#[test]
fn the_sts_serves_kombits_sts_wsdl_with_its_own_address() {
    let app = app(true);
    let path = "/runtime/services/kombittrust/14/certificatemixed";
    let (status, wsdl) = get(&app, &format!("{path}?wsdl"));
    assert_eq!(status, 200, "{wsdl}");
    assert!(
        wsdl.contains("CertificateWSTrustBinding_IWSTrust13Sync") || wsdl.contains("IWSTrust13Sync"),
        "{wsdl}"
    );
    assert!(
        wsdl.contains(&format!("location=\"http://{HOST}{path}\"")),
        "the address points at sfstub: {wsdl}"
    );
    assert!(
        !wsdl.contains("kmdnet.dk/runtime/services"),
        "no address of the real STS is left"
    );
    assert!(crawl(&app, path) >= 1);
}

#[test]
fn without_a_contract_folder_the_wsdl_request_says_where_the_contract_comes_from() {
    let (status, text) = get(&app(false), "/runtime/services/kombittrust/14/certificatemixed?wsdl");
    assert_eq!(status, 404);
    assert!(text.contains("does not ship the contract"), "{text}");
    assert!(text.contains("--contracts DIR"), "{text}");
}

#[test]
fn files_outside_the_contract_folder_are_never_served() {
    let app = app(true);
    let path = "/runtime/services/kombittrust/14/certificatemixed";
    for evil in ["../../etc/passwd", "/etc/passwd", "sf1514-sts/../../README.md"] {
        let (status, text) = get(&app, &format!("{path}?file={evil}"));
        assert_eq!(status, 404, "{evil}: {text}");
    }
}
