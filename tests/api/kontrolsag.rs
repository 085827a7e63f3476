//! KontrolsagListeHent answered over HTTP: both endpoint paths, SOAP 1.1 and 1.2, the
//! transaction echo and the namespace of the answer.

use crate::helpers::{HttpRequest, default_scenario, spawn_app};
use crate::soap::{
    DEFAULT_NS, Doc, JENS_CPR, KONTEKST_NS, KontrolsagListeHentI, Soap, UDK_CVR, envelope, expect_answer, good_request,
};

const CANONICAL: &str = "/kontrolsaglistehent/1";
const ALIAS: &str = "/service/Kontrolsag/KontrolsagListeHent/1";

/// The `MyndighedCVRNummer`, `Sektor` and `KontrolsagStatus` of each case in an answer.
fn cases(doc: &Doc) -> Vec<(String, String, String)> {
    let cvrs = doc.all("MyndighedCVRNummer");
    let sectors = doc.all("Sektor");
    let statuses = doc.all("KontrolsagStatus");
    assert_eq!(doc.all("Kontrolsag").len(), cvrs.len());
    cvrs.iter()
        .zip(sectors)
        .zip(statuses)
        .map(|((c, s), st)| (c.text.clone(), s.text.clone(), st.text.clone()))
        .collect()
}

fn assert_no_fejl(doc: &Doc) {
    assert!(
        doc.all("Fejl").is_empty(),
        "unexpected Fejl: {:?}",
        doc.all("FejlTekst")
    );
}

#[test]
fn municipality_sees_udk_cases_over_http() {
    let app = spawn_app();
    let response = app.post_soap12(CANONICAL, good_request());
    let doc = expect_answer(&response, Soap::V12);
    assert_no_fejl(&doc);
    // Jens has one open UDK case; his Copenhagen case is the caller's own sector and the
    // decided UDK case is never shown.
    assert_eq!(
        cases(&doc),
        vec![(UDK_CVR.to_owned(), "UDK".to_owned(), "AABEN".to_owned())]
    );
    let kontrolsag = doc.one("Kontrolsag");
    assert_eq!(
        kontrolsag.path,
        "Envelope/Body/KontrolsagListeHent_O/KontrolsagListe/Kontrolsag"
    );
    assert_eq!(doc.all("KlasseBrugervendtNoegle")[0].text, "SAMLIV");
    assert_eq!(doc.text("OprettetDato"), "2026-10-23");
    // Stk. 2 shows the steps.
    assert_eq!(doc.all("Sagsskridt").len(), 3);
}

#[test]
fn udk_sees_the_municipal_case_henlagt_within_six_months() {
    let app = spawn_app();
    let request = KontrolsagListeHentI {
        caller_cvr: Some(UDK_CVR.into()),
        ..Default::default()
    };
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    assert_no_fejl(&doc);
    assert_eq!(
        cases(&doc),
        vec![("64942212".to_owned(), "KOMMUNE".to_owned(), "HENLAGT".to_owned())]
    );
    assert_eq!(doc.text("Kommunekode"), "0101");
    assert_eq!(doc.text("HenlagtDato"), "2026-09-22");
}

#[test]
fn consent_lookup_shows_open_cases_without_steps() {
    let app = spawn_app();
    let request = KontrolsagListeHentI {
        hjemmel: "UDBL_11A_STK1".into(),
        samtykke_dato: Some("2026-11-01".into()),
        ..Default::default()
    };
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    assert_no_fejl(&doc);
    assert_eq!(doc.all("Kontrolsag").len(), 1);
    assert!(doc.all("SagsskridtListe").is_empty(), "stk. 1 must not show steps");
    assert!(doc.all("HenlagtDato").is_empty());
}

#[test]
fn an_invalid_cpr_is_a_fejl_in_a_normal_answer() {
    let app = spawn_app();
    let request = KontrolsagListeHentI {
        cpr: "3102801234".into(),
        ..Default::default()
    };
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    assert_eq!(doc.text("FejlId"), "1002");
    assert!(
        doc.text("FejlTekst").contains("PersonCPRNummer"),
        "{}",
        doc.text("FejlTekst")
    );
    assert!(doc.all("Kontrolsag").is_empty());
}

#[test]
fn a_cpr_with_an_escaped_ampersand_is_the_same_fejl_whichever_envelope_reader_reads_it() {
    let app = spawn_app();
    // As SoapUI writes a request: `<!--Optional:-->` before the optional elements. sfstub's
    // plain envelope reader reads it; with the Hjemmel in CDATA the quick-xml pass reads it.
    let request = KontrolsagListeHentI {
        cpr: "150780&amp;4329".into(),
        ..Default::default()
    };
    let soapui = request
        .envelope(Soap::V12)
        .replace("<kls:Hjemmel>", "<!--Optional:--><kls:Hjemmel>");
    let cdata = request
        .envelope(Soap::V12)
        .replace("UDBL_11A_STK2", "<![CDATA[UDBL_11A_STK2]]>");
    let fejl: Vec<(String, String)> = [soapui, cdata]
        .into_iter()
        .map(|xml| {
            let doc = expect_answer(&app.post_soap12(CANONICAL, xml), Soap::V12);
            (doc.text("FejlId").to_owned(), doc.text("FejlTekst").to_owned())
        })
        .collect();
    assert_eq!(fejl[0], fejl[1]);
    assert_eq!(fejl[0].0, "1002");
    assert!(fejl[0].1.contains("\"150780&4329\""), "{}", fejl[0].1);
}

#[test]
fn a_citizen_without_cases_gets_an_empty_list() {
    let app = spawn_app();
    // Ida Sørensen (hand-written in the default scenario) has no control cases.
    let request = KontrolsagListeHentI {
        cpr: "1111904126".into(),
        ..Default::default()
    };
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    assert_no_fejl(&doc);
    assert_eq!(doc.all("KontrolsagListe").len(), 1);
    assert!(doc.all("Kontrolsag").is_empty());
}

#[test]
fn an_unknown_but_valid_cpr_gives_an_empty_list() {
    let unknown = "0101000000";
    let world = sfstub::world::build(&default_scenario());
    let cpr = sfstub::world::Cpr::parse(unknown, false).expect("a valid CPR");
    assert!(
        world.citizen_by_cpr(cpr).is_none(),
        "the test needs a CPR the world does not know"
    );
    let app = spawn_app();
    let request = KontrolsagListeHentI {
        cpr: unknown.into(),
        ..Default::default()
    };
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    assert_no_fejl(&doc);
    assert_eq!(doc.all("KontrolsagListe").len(), 1);
    assert!(doc.all("Kontrolsag").is_empty());
}

#[test]
fn both_endpoint_paths_answer_with_and_without_a_trailing_slash() {
    let app = spawn_app();
    let reference = app.post_soap12(CANONICAL, good_request());
    expect_answer(&reference, Soap::V12);
    for path in [
        ALIAS,
        "/kontrolsaglistehent/1/",
        "/service/Kontrolsag/KontrolsagListeHent/1/",
    ] {
        let response = app.post_soap12(path, good_request());
        let doc = expect_answer(&response, Soap::V12);
        assert_eq!(doc.all("Kontrolsag").len(), 1, "{path}");
        assert_eq!(
            response.body, reference.body,
            "{path} answers differently from {CANONICAL}"
        );
    }
}

#[test]
fn soap12_request_is_answered_in_soap12() {
    let app = spawn_app();
    let response = app.post_soap12(CANONICAL, good_request());
    // expect_answer checks Content-Type application/soap+xml and the 1.2 envelope namespace.
    expect_answer(&response, Soap::V12);
    assert_eq!(response.media_type(), "application/soap+xml");
}

#[test]
fn soap11_request_is_answered_in_soap11() {
    let app = spawn_app();
    let response = app.post_soap11(CANONICAL, KontrolsagListeHentI::default().envelope(Soap::V11));
    let doc = expect_answer(&response, Soap::V11);
    assert_eq!(response.media_type(), "text/xml");
    assert_eq!(doc.all("Kontrolsag").len(), 1);
}

#[test]
fn a_request_without_content_type_or_soapaction_still_works() {
    let app = spawn_app();
    for version in [Soap::V12, Soap::V11] {
        let response =
            app.send(&HttpRequest::new("POST", CANONICAL).body(KontrolsagListeHentI::default().envelope(version)));
        let doc = expect_answer(&response, version);
        assert_eq!(doc.all("Kontrolsag").len(), 1, "{version:?}");
    }
}

#[test]
fn the_envelope_not_the_content_type_decides_the_soap_version() {
    let app = spawn_app();
    // A SOAP 1.2 envelope with SOAP 1.1's Content-Type, and the other way round.
    let response = app.post(CANONICAL, Some("text/xml"), good_request());
    expect_answer(&response, Soap::V12);
    let response = app.post(
        CANONICAL,
        Some("application/soap+xml"),
        KontrolsagListeHentI::default().envelope(Soap::V11),
    );
    expect_answer(&response, Soap::V11);
}

#[test]
fn the_answer_echoes_transaktions_id_and_tid() {
    let app = spawn_app();
    let request = KontrolsagListeHentI {
        transaktions_id: Some("test-&lt;42&gt;-&amp;-ø".into()),
        transaktions_tid: Some("2026-11-22T09:08:07.123+01:00".into()),
        ..Default::default()
    };
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    let id = doc.one("TransaktionsId");
    assert_eq!(id.text, "test-<42>-&-ø");
    assert_eq!(id.namespace.as_deref(), Some(KONTEKST_NS));
    assert_eq!(
        id.path,
        "Envelope/Body/KontrolsagListeHent_O/HovedOplysningerSvar/TransaktionsId"
    );
    let tid = doc.one("TransaktionsTid");
    assert_eq!(tid.text, "2026-11-22T09:08:07.123+01:00");
    assert_eq!(tid.namespace.as_deref(), Some(KONTEKST_NS));
}

/// The namespace of `KontrolsagListeHent_O` and of its own children in the answer to `request`.
fn answer_namespace(request: &KontrolsagListeHentI) -> (Option<String>, Option<String>) {
    let app = spawn_app();
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    assert_no_fejl(&doc);
    let out = doc.one("KontrolsagListeHent_O").namespace.clone();
    let list = doc.one("KontrolsagListe").namespace.clone();
    assert_eq!(doc.one("HovedOplysningerSvar").namespace.as_deref(), Some(KONTEKST_NS));
    (out, list)
}

#[test]
fn the_answer_uses_the_default_namespace_when_the_request_does() {
    for prefix in [Some("kls"), None] {
        let request = KontrolsagListeHentI {
            prefix: prefix.map(Into::into),
            ..Default::default()
        };
        let (out, list) = answer_namespace(&request);
        assert_eq!(out.as_deref(), Some(DEFAULT_NS), "prefix {prefix:?}");
        assert_eq!(list.as_deref(), Some(DEFAULT_NS), "prefix {prefix:?}");
    }
}

#[test]
fn the_answer_uses_a_custom_namespace_the_request_used() {
    for prefix in [Some("x"), Some("ns1"), None] {
        let request = KontrolsagListeHentI {
            namespace: Some("urn:example:kontrolsag".into()),
            prefix: prefix.map(Into::into),
            ..Default::default()
        };
        let (out, list) = answer_namespace(&request);
        assert_eq!(out.as_deref(), Some("urn:example:kontrolsag"), "prefix {prefix:?}");
        assert_eq!(list.as_deref(), Some("urn:example:kontrolsag"), "prefix {prefix:?}");
    }
}

#[test]
fn an_unqualified_request_is_answered_in_the_default_namespace() {
    let request = KontrolsagListeHentI {
        namespace: None,
        prefix: None,
        ..Default::default()
    };
    let (out, _) = answer_namespace(&request);
    assert_eq!(out.as_deref(), Some(DEFAULT_NS));
}

#[test]
fn the_answer_keeps_a_namespace_that_contains_an_escaped_character() {
    // The request declares the namespace "urn:example:a&b" (written escaped, as XML requires).
    let request = KontrolsagListeHentI {
        namespace: Some("urn:example:a&amp;b".into()),
        ..Default::default()
    };
    let (out, _) = answer_namespace(&request);
    assert_eq!(out.as_deref(), Some("urn:example:a&b"));
}

#[test]
fn a_namespace_declared_on_the_envelope_is_honoured() {
    let app = spawn_app();
    let body = KontrolsagListeHentI {
        namespace: None,
        prefix: None,
        ..Default::default()
    }
    .to_xml()
    .replace("KontrolsagListeHent_I", "q:KontrolsagListeHent_I")
    .replace("KontrolsagSoegKriterie", "q:KontrolsagSoegKriterie")
    .replace("<PersonCPRNummer", "<q:PersonCPRNummer")
    .replace("</PersonCPRNummer", "</q:PersonCPRNummer")
    .replace("<Hjemmel", "<q:Hjemmel")
    .replace("</Hjemmel", "</q:Hjemmel");
    let xml = format!(
        "<S:Envelope xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:q=\"urn:example:on-envelope\"><S:Body>{body}</S:Body></S:Envelope>"
    );
    let doc = expect_answer(&app.post_soap12(CANONICAL, xml), Soap::V12);
    assert_eq!(
        doc.one("KontrolsagListeHent_O").namespace.as_deref(),
        Some("urn:example:on-envelope")
    );
    assert_eq!(doc.all("Kontrolsag").len(), 1);
}

#[test]
fn a_request_with_a_byte_order_mark_works() {
    let app = spawn_app();
    let mut body = vec![0xEF, 0xBB, 0xBF];
    body.extend_from_slice(good_request().as_bytes());
    let doc = expect_answer(&app.post_soap12(CANONICAL, body), Soap::V12);
    assert_eq!(doc.all("Kontrolsag").len(), 1);
}

#[test]
fn jens_is_found_with_a_hyphenated_cpr() {
    let app = spawn_app();
    let cpr = format!("{}-{}", &JENS_CPR[..6], &JENS_CPR[6..]);
    let request = KontrolsagListeHentI {
        cpr,
        ..Default::default()
    };
    let doc = expect_answer(&app.post_soap12(CANONICAL, request.envelope(Soap::V12)), Soap::V12);
    assert_no_fejl(&doc);
    assert_eq!(doc.all("Kontrolsag").len(), 1);
}

#[test]
fn an_envelope_without_a_header_works() {
    let app = spawn_app();
    let xml = envelope(Soap::V12, &KontrolsagListeHentI::default().to_xml()).replace("<soapenv:Header/>", "");
    let doc = expect_answer(&app.post_soap12(CANONICAL, xml), Soap::V12);
    assert_eq!(doc.all("Kontrolsag").len(), 1);
}
