//! The golden-test harness: the rules world, sending a golden request through
//! [`sfstub::http::handle`], comparing with (or rewriting) the golden response, validating it
//! against the published schema, and reading the parsed answer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use sfstub::app::{App, Limits};
use sfstub::scenario::Scenario;
use sfstub::world::{CaseStatus, Kontrolsag};

use super::{ENDPOINT, KONTEKST, PAIRS, SOAP11, schema, tree};

/// The WS-Addressing 1.0 namespace.
const WSA: &str = "http://www.w3.org/2005/08/addressing";
use tree::Node;

/// The `fixtures/` directory of the checkout.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The scenario behind every golden pair.
pub fn rules_scenario() -> Scenario {
    let path = fixtures().join("scenarios/rules.yaml");
    Scenario::load(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

/// The app serving the rules world, built once for all tests.
pub fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| App::new(rules_scenario(), Limits::default()))
}

/// A golden pair sent through the stub.
pub struct Exchange {
    pub request: Node,
    pub response: Node,
    pub content_type: String,
}

impl Exchange {
    /// `KontrolsagListeHent_O`.
    pub fn output(&self) -> &Node {
        self.response
            .at("Body/KontrolsagListeHent_O")
            .expect("the response body holds KontrolsagListeHent_O")
    }

    /// The `FejlId`s of the response, in order.
    pub fn fejl_ids(&self) -> Vec<u32> {
        self.output()
            .descendants("FejlId")
            .iter()
            .map(|n| {
                n.text
                    .parse()
                    .unwrap_or_else(|_| panic!("FejlId {:?} is not a number", n.text))
            })
            .collect()
    }

    /// The `FejlTekst`s of the response, in order.
    pub fn fejl_tekster(&self) -> Vec<&str> {
        self.output()
            .descendants("FejlTekst")
            .iter()
            .map(|n| n.text.as_str())
            .collect()
    }

    /// The listed cases; panics when the response has no `KontrolsagListe`.
    pub fn kontrolsager(&self) -> Vec<&Node> {
        let liste = self
            .output()
            .child("KontrolsagListe")
            .expect("the response has a KontrolsagListe");
        liste.children.iter().filter(|c| c.name == "Kontrolsag").collect()
    }

    /// One text per listed case, at `path` below `Kontrolsag` (missing as "").
    pub fn each(&self, path: &str) -> Vec<&str> {
        self.kontrolsager()
            .iter()
            .map(|k| k.text_at(path).unwrap_or(""))
            .collect()
    }

    /// The distinct texts at `path` below every listed case.
    pub fn distinct(&self, path: &str) -> BTreeSet<&str> {
        self.each(path).into_iter().collect()
    }

    /// Asserts a business error with exactly these ids and no case list.
    #[track_caller]
    pub fn assert_fejl(&self, ids: &[u32]) {
        assert_eq!(self.fejl_ids(), ids, "FejlId; texts: {:?}", self.fejl_tekster());
        assert!(
            self.output().child("KontrolsagListe").is_none(),
            "a response with Fejl lists no cases"
        );
    }

    /// Asserts a successful answer: no `SvarReaktion`.
    #[track_caller]
    pub fn assert_no_fejl(&self) {
        assert!(
            self.output().descendants("SvarReaktion").is_empty(),
            "unexpected Fejl: {:?}",
            self.fejl_tekster()
        );
    }
}

/// Sends the golden request `name`, checks the response against the golden file (or rewrites
/// it under `UPDATE_GOLDEN=1`) and against the published schema.
pub fn exchange(name: &str) -> Exchange {
    assert!(PAIRS.contains(&name), "{name} is not listed in PAIRS");
    let dir = fixtures().join("sf1472");
    let request_path = dir.join(format!("{name}.request.xml"));
    let response_path = dir.join(format!("{name}.response.xml"));
    let body = std::fs::read(&request_path).unwrap_or_else(|e| panic!("{}: {e}", request_path.display()));
    let request = tree::parse(&body).unwrap_or_else(|e| panic!("{}: {e}", request_path.display()));
    let content_type = match request.namespace.as_deref() {
        Some(SOAP11) => "text/xml; charset=utf-8",
        _ => "application/soap+xml; charset=utf-8",
    };
    let http_request = Request::post(ENDPOINT)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::CONTENT_TYPE, content_type)
        .body(Bytes::from(body))
        .unwrap();
    let http_response = sfstub::http::handle(app(), http_request);
    let status = http_response.status();
    let content_type = http_response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = String::from_utf8_lossy(http_response.body()).into_owned();
    assert_eq!(
        status,
        StatusCode::OK,
        "{name}: business answers (also Fejl) are HTTP 200; got:\n{text}"
    );
    let mut response =
        tree::parse(http_response.body()).unwrap_or_else(|e| panic!("{name}: the response is not XML: {e}\n{text}"));
    mask_fresh_message_id(name, &mut response);

    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&response_path, response.pretty()).unwrap();
    } else {
        let golden = std::fs::read(&response_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}\nrun `UPDATE_GOLDEN=1 cargo test --test golden` to write it",
                response_path.display()
            )
        });
        let golden = tree::parse(&golden).unwrap_or_else(|e| panic!("{}: {e}", response_path.display()));
        if let Some(difference) = tree::first_difference(&golden, &response) {
            panic!(
                "{name}: the response differs from {}\n  first difference: {difference}\n\
                 If the change is intended, run `UPDATE_GOLDEN=1 cargo test --test golden` and review the diff.\n\
                 --- the response ---\n{}",
                response_path.display(),
                response.pretty()
            );
        }
    }

    let exchange = Exchange {
        request,
        response,
        content_type,
    };
    assert_echoes_the_transaction(name, &exchange);
    assert_valid_response(name, &exchange.response);
    exchange
}

/// What a response's `wsa:MessageID` reads as in golden files: it is fresh for every answer.
const FRESH_MESSAGE_ID: &str = "urn:uuid:(fresh for every response)";

/// Replaces the response's `wsa:MessageID` (a fresh `urn:uuid:` each time) by
/// [`FRESH_MESSAGE_ID`], after checking it is one.
fn mask_fresh_message_id(name: &str, response: &mut tree::Node) {
    let Some(header) = response.children.iter_mut().find(|c| c.name == "Header") else {
        return;
    };
    for id in header
        .children
        .iter_mut()
        .filter(|c| c.name == "MessageID" && c.namespace.as_deref() == Some(WSA))
    {
        let uuid = id.text.strip_prefix("urn:uuid:").unwrap_or_default();
        assert!(
            uuid::Uuid::try_parse(uuid).is_ok(),
            "{name}: the response's MessageID {:?} is a urn:uuid",
            id.text
        );
        id.text = FRESH_MESSAGE_ID.to_owned();
    }
}

/// Every answer echoes `TransaktionsId` and `TransaktionsTid` unchanged.
fn assert_echoes_the_transaction(name: &str, exchange: &Exchange) {
    let hoved = "Body/KontrolsagListeHent_I/HovedOplysninger";
    let svar = "HovedOplysningerSvar";
    for field in ["TransaktionsId", "TransaktionsTid"] {
        assert_eq!(
            exchange.output().text_at(&format!("{svar}/{field}")),
            exchange.request.text_at(&format!("{hoved}/{field}")),
            "{name}: {field} is echoed"
        );
    }
    let svar = exchange.output().child(svar).unwrap();
    assert_eq!(
        svar.namespace.as_deref(),
        Some(KONTEKST),
        "{name}: HovedOplysningerSvar is in the kontekst namespace"
    );
}

/// Validates `KontrolsagListeHent_O` against the XSD published for its namespace.
fn assert_valid_response(name: &str, response: &Node) {
    let output = response
        .at("Body/KontrolsagListeHent_O")
        .expect("KontrolsagListeHent_O");
    let namespace = output
        .namespace
        .as_deref()
        .expect("KontrolsagListeHent_O has a namespace");
    let document = response.extract("Body/KontrolsagListeHent_O").unwrap();
    schema::assert_valid(
        &format!("{name}: KontrolsagListeHent_O"),
        &document,
        &schema::schema_dir(namespace).join(schema::MAIN_XSD),
    );
}

/// The citizen's cases in the world of rules.yaml.
pub fn world_cases(cpr: &str) -> Vec<Kontrolsag> {
    let loaded = app().loaded();
    let world = &loaded.world;
    let cpr = sfstub::world::Cpr::parse(cpr, true).unwrap();
    let citizen = world.citizen_by_cpr(cpr).expect("the citizen is in rules.yaml");
    citizen
        .cases
        .iter()
        .map(|&id| world.cases[id as usize].clone())
        .collect()
}

/// The ids of the citizen's cases with `status`.
pub fn world_case_ids(cpr: &str, status: CaseStatus) -> BTreeSet<String> {
    world_cases(cpr)
        .into_iter()
        .filter(|c| c.status == status)
        .map(|c| c.id.to_string())
        .collect()
}
