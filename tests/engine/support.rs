//! Shared helpers: where the public contracts are, and which WSDLs each folder has.

use std::path::PathBuf;

pub fn contracts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts")
}

/// (folder, WSDL paths) of every contract.
pub fn wsdl_sets() -> Vec<(&'static str, Vec<String>)> {
    let sf1500: Vec<String> = std::fs::read_dir(contracts().join("sf1500-organisation-v6/wsdl"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wsdl"))
        .map(|n| format!("wsdl/{n}"))
        .collect();
    vec![
        (
            "sf1470-sagdokumentindeks-v6",
            vec!["wsdl/SagDokumentIndeksService_6.wsdl".into()],
        ),
        (
            "sf1490-ydelsesindeks-v6",
            vec![
                "wsdl/YdelseIndeks.wsdl".into(),
                "wsdl/BevillingIndeks.wsdl".into(),
                "wsdl/OekonomiskEffektueringIndeks.wsdl".into(),
            ],
        ),
        ("sf1500-organisation-v6", sf1500),
        ("sf1510-klasse-v7", vec!["wsdl/KlasseService.wsdl".into()]),
        (
            "sf1520-personbasedataextended-v4",
            vec![
                "wsdl/context/PersonBaseDataExtendedService.wsdl".into(),
                "wsdl/token/PersonBaseDataExtendedService.wsdl".into(),
            ],
        ),
        (
            "sf2900-fordelingskomponent",
            vec![
                "resources/sf2900/wsdl/context/DistributionService.wsdl".into(),
                "resources/sf2900/wsdl/token/DistributionService.wsdl".into(),
                "resources/sf2900/SF2900_EP_MS1-2/DistributionServiceAnvenderV2.wsdl".into(),
                "resources/sf2900/SF2900_EP_MS1-2/DistributionServiceModtagerV2.wsdl".into(),
            ],
        ),
        (
            "sf1600-print-fjernprint",
            vec![
                "resources/sf1600/wsdl/context/PrintService.wsdl".into(),
                "resources/sf1600/wsdl/token/PrintService.wsdl".into(),
            ],
        ),
        ("sf1514-sts", vec!["sts.wsdl".into()]),
    ]
}

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::scenario::{Scenario, parse_clock};
use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const CLOCK: &str = "2026-11-22T12:00:00Z";

/// A public contract's WSDL, as an absolute path.
pub fn wsdl(folder: &str, path: &str) -> String {
    contracts().join(folder).join(path).display().to_string()
}

/// A small scenario (the default world's hand-written citizens, 50 generated ones) with both
/// clocks pinned, and these `contracts:` entries (YAML list items, indented by two).
pub fn scenario_with(contracts_yaml: &str) -> Scenario {
    scenario_text(&format!("{}contracts:\n{contracts_yaml}", world_yaml())).unwrap_or_else(|e| panic!("{e}"))
}

/// The scenario text read as a file in tests/engine (relative paths resolve there).
pub fn scenario_text(text: &str) -> Result<Scenario, sfstub::scenario::ScenarioError> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/engine/test.yaml");
    let clock = parse_clock(CLOCK).unwrap();
    let mut scenario = Scenario::parse(text, &file.display().to_string(), Some(clock))?;
    scenario.security.clock = clock;
    Ok(scenario)
}

/// The head of the test scenarios: the default world's citizens.
pub fn world_yaml() -> String {
    let default = sfstub::scenario::DEFAULT_SCENARIO;
    let persons = &default[default.find("persons:").unwrap()..];
    format!("name: engine-test\nseed: 1472\npopulation: {{ citizens: 50, with_cases: 0.2 }}\n{persons}")
}

/// An app serving `scenario` in `mode`.
pub fn app(scenario: Scenario, mode: SecurityMode) -> App {
    let mut app = App::new(scenario, Limits::default());
    app.security.mode = mode;
    app
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub xml: String,
}

impl Answer {
    /// The Body's child element.
    pub fn body(&self) -> &str {
        body_child(&self.xml)
    }

    /// The fault reason (SOAP 1.1 faultstring or 1.2 Reason/Text).
    pub fn reason(&self) -> String {
        for (open, close) in [
            ("<faultstring xml:lang=\"en\">", "</faultstring>"),
            ("<soap:Text xml:lang=\"en\">", "</soap:Text>"),
        ] {
            if let Some(i) = self.xml.find(open) {
                let rest = &self.xml[i + open.len()..];
                return rest[..rest.find(close).unwrap()]
                    .replace("&apos;", "'")
                    .replace("&quot;", "\"")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&");
            }
        }
        panic!("no fault: {}", self.xml)
    }
}

/// The child of `Body` in an envelope.
pub fn body_child(xml: &str) -> &str {
    let open = xml.find("<soap:Body").or_else(|| xml.find("<s:Body")).expect("a Body");
    let start = open + xml[open..].find('>').unwrap() + 1;
    let end = xml
        .rfind("</soap:Body>")
        .or_else(|| xml.rfind("</s:Body>"))
        .expect("a closing Body");
    xml[start..end].trim()
}

/// Posts `body` (the Body's child) in an envelope of `version`, with `header` content and a
/// SOAPAction (`SOAPAction` header for 1.1, `action=` for 1.2) when given.
pub fn post(app: &App, path: &str, version: SoapVersion, action: Option<&str>, header: &str, body: &str) -> Answer {
    let ns = match version {
        SoapVersion::V11 => SOAP11,
        SoapVersion::V12 => SOAP12,
    };
    let envelope =
        format!(r#"<s:Envelope xmlns:s="{ns}"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#);
    let mut request = http::Request::post(path);
    request = match (version, action) {
        (SoapVersion::V11, Some(a)) => request
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{a}\"")),
        (SoapVersion::V11, None) => request.header("Content-Type", "text/xml; charset=utf-8"),
        (SoapVersion::V12, Some(a)) => request.header(
            "Content-Type",
            format!("application/soap+xml; charset=utf-8; action=\"{a}\""),
        ),
        (SoapVersion::V12, None) => request.header("Content-Type", "application/soap+xml; charset=utf-8"),
    };
    let response = sfstub::http::handle(app, request.body(Bytes::from(envelope)).unwrap());
    Answer {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        xml: String::from_utf8(response.body().to_vec()).unwrap(),
    }
}

/// GETs a path (with its query).
pub fn get(app: &App, path_and_query: &str) -> (u16, String) {
    let request = http::Request::get(path_and_query)
        .header("Host", "127.0.0.1:8080")
        .body(Bytes::new())
        .unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

/// Validates an element against a global element of a contract; panics with the findings.
#[track_caller]
pub fn assert_valid(contract: &sfstub::xsd::Contract, element: &sfstub::xsd::QName, xml: &str, what: &str) {
    let findings = sfstub::engine::rules::validate(contract, element, xml.as_bytes());
    assert!(findings.is_empty(), "{what}: {findings:#?}\n{xml}");
}
