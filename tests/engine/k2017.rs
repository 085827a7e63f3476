//! A K2017 contract served by the engine: sfstub's own KlassifikationListeHent contract
//! (as its ?wsdl serves it) loaded from a folder. The answer's HovedOplysningerSvar echoes the
//! request's transaction, a request without HovedOplysninger is refused as the hand-written
//! K2017 services refuse it, and the context CVR in HovedOplysninger is the caller.

use std::path::Path;

use sfstub::security::SecurityMode;
use sfstub::soap::SoapVersion;

use crate::support::{app, get, post, scenario_with};

const K: &str = "http://www.kombit.dk/2017/01/01/";
const KONTEKST: &str = "http://kombit.dk/xml/schemas/kontekst/2017/01/01/";

/// Writes the served KlassifikationListeHent contract into a folder; the WSDL's path.
fn contract_folder() -> String {
    let source = app(
        crate::support::scenario_text(&crate::support::world_yaml()).unwrap(),
        SecurityMode::Off,
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-k2017");
    std::fs::create_dir_all(&dir).unwrap();
    let base = "http://127.0.0.1:8080/klassifikationlistehent/2/";
    let (status, wsdl) = get(&source, "/klassifikationlistehent/2?wsdl");
    assert_eq!(status, 200);
    std::fs::write(dir.join("KlassifikationListeHent.wsdl"), wsdl.replace(base, "")).unwrap();
    for xsd in ["KlassifikationListeHent.xsd", "Kontekst.xsd"] {
        let (status, text) = get(&source, &format!("/klassifikationlistehent/2/{xsd}"));
        assert_eq!(status, 200, "{xsd}");
        std::fs::write(dir.join(xsd), text.replace(base, "")).unwrap();
    }
    dir.join("KlassifikationListeHent.wsdl").display().to_string()
}

fn request(hoved: &str) -> String {
    format!(
        r#"<k:KlassifikationListeHent_I xmlns:k="{K}" xmlns:kontekst="{KONTEKST}" revision="1">{hoved}<k:KlassifikationKriterieListe><k:IdentifikationKriterie><k:KlassifikationIdentifikation>0e1a2b3c-4d5e-4f60-8172-839405a6b7c8</k:KlassifikationIdentifikation></k:IdentifikationKriterie></k:KlassifikationKriterieListe></k:KlassifikationListeHent_I>"#
    )
}

fn hoved(cvr: Option<&str>) -> String {
    let context = cvr
        .map(|c| format!("<kontekst:AuthorityContext><kontekst:MunicipalityCVR>{c}</kontekst:MunicipalityCVR></kontekst:AuthorityContext>"))
        .unwrap_or_default();
    format!(
        "<kontekst:HovedOplysninger><kontekst:TransaktionsId>t-42</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>{context}</kontekst:HovedOplysninger>"
    )
}

#[test]
fn a_k2017_contract_echoes_hovedoplysninger_and_takes_the_context_caller() {
    let wsdl = contract_folder();
    let scenario = scenario_with(&format!(
        "  - wsdl: {wsdl}\n    path: /k2017/2\n    responses:\n      - when: {{ HovedOplysninger/AuthorityContext/MunicipalityCVR: \"*\" }}\n        set: {{ HovedOplysningerSvar/TransaktionsId: \"{{{{ caller.name }}}} ({{{{ caller.cvr }}}})\" }}\n"
    ));
    assert_eq!(scenario.contracts[0].generation.name(), "K2017");
    let prepared = scenario.contracts[0].clone();
    let app = app(scenario, SecurityMode::Off);
    let answer = post(&app, "/k2017/2", SoapVersion::V12, None, "", &request(&hoved(None)));
    assert_eq!(answer.status, 200, "{}", answer.xml);
    let body = answer.body();
    assert!(
        body.contains(":TransaktionsId>t-42</"),
        "the transaction is echoed: {body}"
    );
    assert!(body.contains(":TransaktionsTid>2026-11-22T10:15:00Z</"), "{body}");
    let output = prepared.operations[0].output.clone().unwrap();
    crate::support::assert_valid(&prepared.contract, &output, body, "KlassifikationListeHent_O");
    // The caller from HovedOplysninger/AuthorityContext, named by the rule.
    let viborg = post(
        &app,
        "/k2017/2",
        SoapVersion::V12,
        None,
        "",
        &request(&hoved(Some("29189846"))),
    );
    assert_eq!(viborg.status, 200, "{}", viborg.xml);
    assert!(
        viborg.body().contains(":TransaktionsId>Viborg Kommune (29189846)</"),
        "{}",
        viborg.body()
    );
    // No HovedOplysninger: refused as the hand-written K2017 services refuse it.
    let bare = post(&app, "/k2017/2", SoapVersion::V12, None, "", &request(""));
    assert_eq!(bare.status, 400, "{}", bare.xml);
    assert!(
        bare.reason().contains("the request has no HovedOplysninger"),
        "{}",
        bare.reason()
    );
    // A CVR that is not one: refused naming it.
    let bad = post(
        &app,
        "/k2017/2",
        SoapVersion::V12,
        None,
        "",
        &request(&hoved(Some("123"))),
    );
    assert!(
        bad.reason()
            .contains("AuthorityContext/MunicipalityCVR is not a valid CVR number"),
        "{}",
        bad.reason()
    );
}
