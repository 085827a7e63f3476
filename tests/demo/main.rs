//! The demo scenario tells the story its header promises: Sofie Lund, with control cases at
//! Udbetaling Danmark, Aalborg and Aarhus, seen from each side.

use bytes::Bytes;
use sfstub::app::{App, Limits};
use sfstub::scenario::Scenario;

const SOFIE: &str = "2208854626";
const AALBORG: &str = "29189420";
const AARHUS: &str = "55133018";
const UDK: &str = "14720006";

fn app() -> App {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo-tre-myndigheder.yaml");
    App::new(
        Scenario::load(&path, None).expect("the demo scenario is valid"),
        Limits::default(),
    )
}

/// The holders' CVRs (in order) and the FejlIds of a lookup.
fn lookup(app: &App, caller: &str, hjemmel: &str, target: Option<&str>) -> (Vec<String>, Vec<String>, String) {
    let consent = if hjemmel.ends_with("STK1") {
        "<k:SamtykkeDato>2026-11-01</k:SamtykkeDato>"
    } else {
        ""
    };
    let target = target
        .map(|t| format!("<k:MyndighedCVRNummer>{t}</k:MyndighedCVRNummer>"))
        .unwrap_or_default();
    let body = format!(
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>demo</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid><kontekst:AuthorityContext><kontekst:MunicipalityCVR>{caller}</kontekst:MunicipalityCVR></kontekst:AuthorityContext></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>{SOFIE}</k:PersonCPRNummer><k:Hjemmel>{hjemmel}</k:Hjemmel>{consent}{target}</k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#
    );
    let response = sfstub::http::handle(
        app,
        http::Request::post("/kontrolsaglistehent/1")
            .body(Bytes::from(body))
            .unwrap(),
    );
    assert_eq!(response.status(), 200);
    let xml = String::from_utf8(response.body().to_vec()).unwrap();
    let between = |open: &str, close: &str| -> Vec<String> {
        xml.split(open)
            .skip(1)
            .map(|s| s[..s.find(close).unwrap()].to_owned())
            .collect()
    };
    (
        between("<MyndighedCVRNummer>", "</MyndighedCVRNummer>"),
        between("<kontekst:FejlId>", "</kontekst:FejlId>"),
        xml.clone(),
    )
}

#[test]
fn aalborg_sees_only_udks_case() {
    let (holders, fejl, _) = lookup(&app(), AALBORG, "UDBL_11A_STK2", None);
    assert_eq!((holders, fejl), (vec![UDK.to_owned()], vec![]));
}

#[test]
fn aalborg_cannot_search_aarhus() {
    let (holders, fejl, _) = lookup(&app(), AALBORG, "UDBL_11A_STK2", Some(AARHUS));
    assert_eq!((holders, fejl), (vec![], vec!["1006".to_owned()]));
}

#[test]
fn udk_sees_aalborgs_open_and_aarhus_henlagt_case_without_consent() {
    let (holders, fejl, xml) = lookup(&app(), UDK, "UDBL_11A_STK2", None);
    assert_eq!((holders, fejl), (vec![AALBORG.to_owned(), AARHUS.to_owned()], vec![]));
    assert!(xml.contains("<HenlagtDato>2026-09-20</HenlagtDato>"), "{xml}");
}

#[test]
fn with_consent_udk_sees_only_the_open_case_and_no_steps() {
    let (holders, fejl, xml) = lookup(&app(), UDK, "UDBL_11A_STK1", None);
    assert_eq!((holders, fejl), (vec![AALBORG.to_owned()], vec![]));
    assert!(!xml.contains("SagsskridtListe"), "{xml}");
}
