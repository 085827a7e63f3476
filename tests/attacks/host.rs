//! §8: the Host header goes into every served document (the WSDL's address, the XSDs'
//! `schemaLocation`s, `--contracts` WSDLs). One that is not `host[:port]` is answered 400
//! before it reaches any of them, so no crafted Host can make a document not well-formed.

use bytes::Bytes;
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::xmltree::Tree;

use crate::world::app;

fn get(app: &App, uri: &str, hosts: &[&str]) -> (u16, String) {
    let mut request = http::Request::get(uri);
    for host in hosts {
        request = request.header("Host", *host);
    }
    let response = sfstub::http::handle(app, request.body(Bytes::new()).unwrap());
    (
        response.status().as_u16(),
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

const DOCUMENTS: [&str; 5] = [
    "/kontrolsaglistehent/1?wsdl",
    "/kontrolsaglistehent/1?xsd=KontrolsagListeHent.xsd",
    "/kontrolsaglistehent/1/Kontekst.xsd",
    "/klassifikationlistehent/2?wsdl",
    "/klassifikationlistehent/2?xsd=KlassifikationListeHent.xsd",
];

const CRAFTED: [&str; 4] = [r#"x"/><evil a=""#, "sfstub.test'><x", "a&b", "host:80/../<x>"];

#[test]
fn a_crafted_host_is_400_and_never_reaches_a_served_document() {
    let app = app(SecurityMode::Off);
    for uri in DOCUMENTS {
        for host in CRAFTED {
            let (status, text) = get(&app, uri, &[host]);
            assert_eq!(status, 400, "{uri} with Host {host:?}: {text}");
            assert!(text.contains("is not a host[:port]"), "{text}");
        }
        for host in ["sfstub.test:8443", "[::1]:8080", "127.0.0.1"] {
            let (status, xml) = get(&app, uri, &[host]);
            assert_eq!(status, 200, "{uri} with Host {host:?}: {xml}");
            Tree::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{uri} with Host {host:?} is not XML: {e}"));
            if !uri.ends_with("Kontekst.xsd") {
                assert!(xml.contains(&format!("http://{host}/")), "{uri}: {xml}");
            }
        }
    }
}

#[test]
fn a_crafted_host_never_reaches_a_contracts_wsdl() {
    let mut app = app(SecurityMode::Off);
    let folder =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts/sf1520-personbasedataextended-v4");
    app.contracts = Some(sfstub::contracts::ContractDir::open(&folder).unwrap());
    let uri = "/service/CPR/PersonBaseDataExtended/4?wsdl";
    for host in CRAFTED {
        let (status, text) = get(&app, uri, &[host]);
        assert_eq!(status, 400, "Host {host:?}: {text}");
    }
    let (status, wsdl) = get(&app, uri, &["sfstub.test:8443"]);
    assert_eq!(status, 200, "{wsdl}");
    assert!(
        wsdl.contains("http://sfstub.test:8443/service/CPR/PersonBaseDataExtended/4"),
        "{wsdl}"
    );
}

#[test]
fn two_host_headers_or_a_crafted_one_are_400_on_every_request() {
    let app = app(SecurityMode::Off);
    let (status, text) = get(&app, "/kontrolsaglistehent/1?wsdl", &["a.test", "b.test"]);
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("more than one Host header"), "{text}");
    let post = http::Request::post("/kontrolsaglistehent/1")
        .header("Host", CRAFTED[0])
        .body(Bytes::from_static(b"<x/>"))
        .unwrap();
    assert_eq!(sfstub::http::handle(&app, post).status(), 400);
    let (status, _) = get(&app, "/healthz", &["bad host"]);
    assert_eq!(status, 400);
}
