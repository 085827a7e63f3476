//! What GET and the other methods find: the WSDL and XSDs, the index, the health check, 404
//! and 405.

use crate::helpers::{HttpRequest, HttpResponse, default_scenario, spawn_app};
use crate::soap::{DEFAULT_NS, Doc, KONTEKST_NS};

const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
const WSDL_SOAP11_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const WSDL_SOAP12_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// An XML document served with 200 and text/xml.
fn xml_document(response: &HttpResponse) -> Doc {
    assert_eq!(
        response.status,
        200,
        "body:\n{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.media_type(), "text/xml");
    Doc::parse(&response.body)
}

/// The `location` of the WSDL's soap12:address and soap11:address, in that order.
fn addresses(wsdl: &Doc) -> (String, String) {
    let of = |ns: &str| {
        let found: Vec<_> = wsdl
            .all("address")
            .into_iter()
            .filter(|e| e.namespace.as_deref() == Some(ns))
            .collect();
        assert_eq!(found.len(), 1, "one address in {ns}");
        found[0]
            .attribute("location")
            .expect("address has a location")
            .to_owned()
    };
    (of(WSDL_SOAP12_NS), of(WSDL_SOAP11_NS))
}

/// The path of an absolute `http://host/path` URL on `host`.
fn path_on<'a>(url: &'a str, host: &str) -> &'a str {
    url.strip_prefix(&format!("http://{host}"))
        .unwrap_or_else(|| panic!("{url} is not on {host}"))
}

#[test]
fn wsdl_names_the_servers_own_url() {
    let app = spawn_app();
    let wsdl = xml_document(&app.get("/kontrolsaglistehent/1?wsdl"));
    let root = wsdl.root();
    assert_eq!(
        (root.namespace.as_deref(), root.local.as_str()),
        (Some(WSDL_NS), "definitions")
    );
    assert_eq!(root.attribute("targetNamespace"), Some(DEFAULT_NS));
    let own = app.url("/kontrolsaglistehent/1");
    assert_eq!(addresses(&wsdl), (own.clone(), own.clone()));
    let import = wsdl.one("import");
    assert_eq!(import.namespace.as_deref(), Some(XS_NS));
    assert_eq!(
        import.attribute("schemaLocation"),
        Some(format!("{own}/KontrolsagListeHent.xsd").as_str())
    );
    let operations: Vec<_> = wsdl
        .all("operation")
        .iter()
        .filter_map(|o| o.attribute("name"))
        .map(str::to_owned)
        .collect();
    assert!(
        operations.iter().all(|o| o == "KontrolsagListeHent") && !operations.is_empty(),
        "{operations:?}"
    );
}

#[test]
fn wsdl_follows_the_host_header_and_the_path_asked() {
    let app = spawn_app();
    let response = app.send(
        &HttpRequest::new("GET", "/service/Kontrolsag/KontrolsagListeHent/1?wsdl")
            .header("Host", "sfstub.example:8080"),
    );
    let wsdl = xml_document(&response);
    let expected = "http://sfstub.example:8080/service/Kontrolsag/KontrolsagListeHent/1".to_owned();
    assert_eq!(addresses(&wsdl), (expected.clone(), expected));
}

#[test]
fn wsdl_is_served_for_upper_case_query_and_trailing_slash() {
    let app = spawn_app();
    for path in [
        "/kontrolsaglistehent/1?WSDL",
        "/kontrolsaglistehent/1/?wsdl",
        "/kontrolsaglistehent/1?singleWsdl",
    ] {
        let wsdl = xml_document(&app.get(path));
        assert_eq!(wsdl.root().local, "definitions", "{path}");
        assert_eq!(addresses(&wsdl).0, app.url("/kontrolsaglistehent/1"), "{path}");
    }
}

#[test]
fn xsd_is_served_by_query() {
    let app = spawn_app();
    let xsd = xml_document(&app.get("/kontrolsaglistehent/1?xsd=KontrolsagListeHent.xsd"));
    let root = xsd.root();
    assert_eq!(
        (root.namespace.as_deref(), root.local.as_str()),
        (Some(XS_NS), "schema")
    );
    assert_eq!(root.attribute("targetNamespace"), Some(DEFAULT_NS));
    let elements: Vec<_> = xsd
        .all("element")
        .iter()
        .filter_map(|e| e.attribute("name"))
        .map(str::to_owned)
        .collect();
    assert!(elements.contains(&"KontrolsagListeHent_I".to_owned()), "{elements:?}");
    assert!(elements.contains(&"KontrolsagListeHent_O".to_owned()), "{elements:?}");
    // Fetched by query, a relative import would resolve beside /kontrolsaglistehent/: it is
    // made absolute, pointing at the schema served beside the endpoint.
    let text = app.get("/kontrolsaglistehent/1?xsd=KontrolsagListeHent.xsd").text();
    let location = format!(
        "schemaLocation=\"http://{}/kontrolsaglistehent/1/Kontekst.xsd\"",
        app.addr
    );
    assert!(text.contains(&location), "{text}");
}

#[test]
fn kontekst_xsd_is_served_beside_the_endpoint() {
    let app = spawn_app();
    for path in [
        "/kontrolsaglistehent/1/Kontekst.xsd",
        "/service/Kontrolsag/KontrolsagListeHent/1/Kontekst.xsd",
    ] {
        let xsd = xml_document(&app.get(path));
        assert_eq!(xsd.root().local, "schema", "{path}");
        assert_eq!(xsd.root().attribute("targetNamespace"), Some(KONTEKST_NS), "{path}");
        let names: Vec<_> = xsd
            .all("element")
            .iter()
            .filter_map(|e| e.attribute("name"))
            .map(str::to_owned)
            .collect();
        assert!(names.contains(&"HovedOplysninger".to_owned()), "{path}: {names:?}");
    }
}

#[test]
fn a_client_can_follow_every_import_from_the_wsdl() {
    let app = spawn_app();
    let host = app.addr.to_string();
    let wsdl = xml_document(&app.get("/kontrolsaglistehent/1?wsdl"));
    let xsd_url = wsdl
        .one("import")
        .attribute("schemaLocation")
        .expect("schemaLocation")
        .to_owned();
    let xsd = xml_document(&app.get(path_on(&xsd_url, &host)));
    assert_eq!(xsd.root().attribute("targetNamespace"), Some(DEFAULT_NS));
    // The XSD imports Kontekst.xsd by a relative location, resolved against the XSD's URL.
    let relative = xsd
        .one("import")
        .attribute("schemaLocation")
        .expect("schemaLocation")
        .to_owned();
    let base = xsd_url.rsplit_once('/').expect("a URL with a path").0;
    let kontekst_url = format!("{base}/{relative}");
    let kontekst = xml_document(&app.get(path_on(&kontekst_url, &host)));
    assert_eq!(kontekst.root().attribute("targetNamespace"), Some(KONTEKST_NS));
}

#[test]
fn an_unknown_document_is_404() {
    let app = spawn_app();
    let response = app.get("/kontrolsaglistehent/1?xsd=Nope.xsd");
    assert_eq!(response.status, 404);
    assert!(response.text().contains("?wsdl"), "{}", response.text());
    assert_eq!(app.get("/kontrolsaglistehent/1/Nope.xsd").status, 404);
}

#[test]
fn get_on_an_endpoint_points_to_the_wsdl() {
    let app = spawn_app();
    let response = app.get("/kontrolsaglistehent/1");
    assert_eq!(response.status, 200);
    assert_eq!(response.media_type(), "text/plain");
    assert!(
        response
            .text()
            .contains(&format!("{}?wsdl", app.url("/kontrolsaglistehent/1"))),
        "{}",
        response.text()
    );
}

#[test]
fn head_on_the_wsdl_answers_headers_only() {
    let app = spawn_app();
    let response = app.send(&HttpRequest::new("HEAD", "/kontrolsaglistehent/1?wsdl"));
    assert_eq!(response.status, 200);
    assert_eq!(response.media_type(), "text/xml");
    assert!(response.body.is_empty());
}

#[test]
fn the_index_lists_the_endpoints() {
    let app = spawn_app();
    let response = app.get("/");
    assert_eq!(response.status, 200);
    assert_eq!(response.media_type(), "text/plain");
    let text = response.text();
    assert!(text.contains("SF1472 KontrolsagListeHent"), "{text}");
    assert!(text.contains(&app.url("/kontrolsaglistehent/1")), "{text}");
    assert!(
        text.contains(&format!("{}?wsdl", app.url("/kontrolsaglistehent/1"))),
        "{text}"
    );
    assert!(text.contains("\"default\""), "the index names the scenario: {text}");
}

/// The column where each endpoint line's URL starts.
fn url_columns(text: &str) -> Vec<usize> {
    text.lines()
        .filter(|l| l.starts_with("  SF"))
        .map(|l| l.find("http").unwrap_or_else(|| panic!("no URL in {l:?}")))
        .collect()
}

#[test]
fn the_index_and_the_banner_align_every_url_and_advertise_only_working_wsdl_links() {
    let app = spawn_app();
    let text = app.get("/").text();
    let columns = url_columns(&text);
    assert!(columns.len() >= 9, "{text}");
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "the URLs start in one column:\n{text}"
    );
    // Every advertised ?wsdl link answers with a WSDL.
    let mut links = 0;
    for word in text.split(['(', ')', ' ', '\n']).filter(|w| w.ends_with("?wsdl")) {
        let path = &word[word.find("://").unwrap() + 3..];
        let path = &path[path.find('/').unwrap()..];
        let response = app.get(path);
        assert_eq!(
            response.status, 200,
            "{path} is advertised but answers {}",
            response.status
        );
        assert!(response.text().contains("definitions"), "{path}: {}", response.text());
        links += 1;
    }
    assert!(links >= 2, "{text}");
    // The banner, with its REST lines too.
    let banner = sfstub::banner(
        &sfstub::app::App::new(default_scenario(), Default::default()),
        "http://127.0.0.1:8080",
    );
    let columns = url_columns(&banner);
    assert!(columns.len() >= 11, "{banner}");
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "the banner's URLs start in one column:\n{banner}"
    );
    let longest = banner
        .lines()
        .filter(|l| l.starts_with("  SF"))
        .map(|l| l.trim_start())
        .map(|l| l[..l.find("http").unwrap()].trim_end().chars().count())
        .max()
        .unwrap();
    assert_eq!(
        columns[0],
        2 + longest + 1,
        "no wider than the longest title:\n{banner}"
    );
}

#[test]
fn healthz_answers_ok() {
    let app = spawn_app();
    let response = app.get("/healthz");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "ok\n");
}

#[test]
fn an_unknown_path_is_404_naming_the_endpoints() {
    let app = spawn_app();
    for request in [
        HttpRequest::new("GET", "/kontrolsaglistehent/2"),
        HttpRequest::new("POST", "/nowhere").body("<x/>"),
        HttpRequest::new("DELETE", "/"),
    ] {
        let response = app.send(&request);
        assert_eq!(response.status, 404, "{} {}", request.method, request.path);
        let text = response.text();
        assert!(text.contains(&request.path), "{text}");
        assert!(text.contains("/kontrolsaglistehent/1"), "{text}");
        assert!(text.contains("/service/Kontrolsag/KontrolsagListeHent/1"), "{text}");
    }
}

#[test]
fn put_on_an_endpoint_is_405_with_allow() {
    let app = spawn_app();
    for method in ["PUT", "DELETE", "PATCH"] {
        let response = app.send(&HttpRequest::new(method, "/kontrolsaglistehent/1").body("<x/>"));
        assert_eq!(response.status, 405, "{method}");
        let allow = response
            .header("Allow")
            .unwrap_or_else(|| panic!("{method}: 405 without Allow"));
        let allowed: Vec<_> = allow.split(',').map(str::trim).collect();
        for m in ["GET", "POST"] {
            assert!(allowed.contains(&m), "{method}: Allow {allow:?} lacks {m}");
        }
        assert!(!allowed.contains(&method), "{method}: Allow {allow:?}");
    }
}
