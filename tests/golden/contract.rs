//! The published contract itself: the WSDL at `?wsdl` is well-formed and names the XSDs
//! beside the endpoint; both XSDs are served there, are well-formed and compile as schemas.

use bytes::Bytes;
use http::{Request, StatusCode, header};

use super::harness::{app, exchange};
use super::{ENDPOINT, schema, tree};

fn get(path_and_query: &str) -> (StatusCode, String) {
    let request = Request::get(path_and_query)
        .header(header::HOST, "127.0.0.1:8080")
        .body(Bytes::new())
        .unwrap();
    let response = sfstub::http::handle(app(), request);
    (response.status(), String::from_utf8_lossy(response.body()).into_owned())
}

#[test]
fn the_wsdl_is_well_formed_and_imports_the_schema_served_beside_it() {
    for endpoint in ["/kontrolsaglistehent/1", "/service/Kontrolsag/KontrolsagListeHent/1"] {
        let (status, wsdl) = get(&format!("{endpoint}?wsdl"));
        assert_eq!(status, StatusCode::OK, "{endpoint}?wsdl");
        let (ok, messages) = schema::xmllint(&["--noout"], wsdl.as_bytes());
        assert!(ok, "{endpoint}?wsdl is not well-formed XML:\n{messages}");
        let definitions = tree::parse(wsdl.as_bytes()).unwrap();
        let imports = definitions.descendants("import");
        assert_eq!(imports.len(), 1, "the WSDL imports one schema");
        let location = imports[0]
            .attributes
            .iter()
            .find(|a| a.name == "schemaLocation")
            .map(|a| a.value.clone())
            .expect("the import has a schemaLocation");
        let expected = format!("http://127.0.0.1:8080{endpoint}/{}", schema::MAIN_XSD);
        assert_eq!(location, expected, "the WSDL points at the XSD beside the endpoint");
        let path = location.strip_prefix("http://127.0.0.1:8080").unwrap();
        let (status, xsd) = get(path);
        assert_eq!(status, StatusCode::OK, "GET {path}");
        let served = app().loaded().services[0]
            .contract(Some(schema::MAIN_XSD), "http://127.0.0.1:8080")
            .unwrap();
        assert_eq!(xsd, served, "GET {path} serves the published XSD");
    }
}

#[test]
fn both_schemas_are_served_well_formed_and_compile() {
    for file in [schema::MAIN_XSD, schema::KONTEKST_XSD] {
        // The main XSD imports Kontekst.xsd by relative location: both are served side by side.
        let (status, xsd) = get(&format!("{ENDPOINT}/{file}"));
        assert_eq!(status, StatusCode::OK, "GET {ENDPOINT}/{file}");
        let (ok, messages) = schema::xmllint(&["--noout"], xsd.as_bytes());
        assert!(ok, "{file} is not well-formed XML:\n{messages}");
        // By query the relative import would resolve beside the endpoint's parent, so it is
        // served with the import made absolute; otherwise the same document.
        let (status, by_query) = get(&format!("{ENDPOINT}?xsd={file}"));
        let absolute = xsd.replace(
            "schemaLocation=\"Kontekst.xsd\"",
            &format!("schemaLocation=\"http://127.0.0.1:8080{ENDPOINT}/Kontekst.xsd\""),
        );
        assert_eq!(
            (status, &by_query),
            (StatusCode::OK, &absolute),
            "?xsd={file} serves the same document with an absolute import"
        );
    }
    // Each schema compiles and accepts what it describes: the main XSD a whole response, the
    // kontekst XSD on its own the response's HovedOplysningerSvar and the request's
    // HovedOplysninger.
    let x = exchange("stk2_shows_steps_and_cases_henlagt_within_six_months");
    let dir = schema::schema_dir(super::DEFAULT_NS);
    let output = x.response.extract("Body/KontrolsagListeHent_O").unwrap();
    schema::assert_valid("KontrolsagListeHent_O", &output, &dir.join(schema::MAIN_XSD));
    let svar = x
        .response
        .extract("Body/KontrolsagListeHent_O/HovedOplysningerSvar")
        .unwrap();
    schema::assert_valid("HovedOplysningerSvar", &svar, &dir.join(schema::KONTEKST_XSD));
    let hoved = x
        .request
        .extract("Body/KontrolsagListeHent_I/HovedOplysninger")
        .unwrap();
    schema::assert_valid("HovedOplysninger", &hoved, &dir.join(schema::KONTEKST_XSD));
}

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    // Without this the validations above could pass against a schema that accepts anything.
    let x = exchange("stk2_shows_steps_and_cases_henlagt_within_six_months");
    let output = x.response.extract("Body/KontrolsagListeHent_O").unwrap();
    let xsd = schema::schema_dir(super::DEFAULT_NS).join(schema::MAIN_XSD);
    for (what, from, to) in [
        (
            "an unknown status",
            "<KontrolsagStatus>HENLAGT<",
            "<KontrolsagStatus>AFGJORT<",
        ),
        ("a sector other than UDK or KOMMUNE", "<Sektor>UDK<", "<Sektor>ATP<"),
        (
            "a date that is not xs:date",
            "<HenlagtDato>2026-05-22<",
            "<HenlagtDato>22-05-2026<",
        ),
    ] {
        assert!(output.contains(from), "the response contains {from}");
        let broken = output.replacen(from, to, 1);
        assert!(schema::validate(&broken, &xsd).is_err(), "the schema accepts {what}");
    }
}
