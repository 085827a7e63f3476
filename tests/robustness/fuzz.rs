//! The fuzz targets' seeds and findings (see `fuzz/` and README "Fuzzing").
//!
//! The signed seeds in `fixtures/fuzz-seeds` must pass the checks they seed, or fuzzing would
//! start from messages refused at the first step and never reach the rest of the check.
//! `UPDATE_FUZZ_SEEDS=1` remakes them with this process's keys at the fuzz clock ([`CLOCK`]).

use std::path::PathBuf;

use bytes::Bytes;
use chrono::{Duration, NaiveDate};
use sfstub::scenario::{Scenario, parse_date};
use sfstub::security::keys::{read_ca_file, shared_test_keys};
use sfstub::security::saml::{self, AssertionSpec};
use sfstub::security::wss::{self, Expectations, Freshness, Strictness};
use sfstub::security::xmltree::Tree;
use sfstub::security::{DEFAULT_MAX_TIMESTAMP_AGE, DEFAULT_MAX_TIMESTAMP_LIFETIME, DEFAULT_STS_ISSUER, SecurityMode};
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use sfstub::services::sf1514_rest::WSTRUST_PATH;
use sfstub::services::sf1514_sts::read_request;
use sfstub::soap::{Limits, SoapVersion};

use crate::token::{self, Signed};
use crate::world::{self, CLOCK, now};

/// The CVR the seeds speak for: Viborg Kommune, a municipality of the built-in world.
const CVR: &str = "29189846";

fn seeds() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-seeds")
}

fn read(path: &str) -> Vec<u8> {
    let file = seeds().join(path);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// How fresh Timestamps must be, as `serve` has it by default.
fn freshness() -> Freshness {
    Freshness {
        skew: Duration::minutes(5),
        max_age: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_AGE)),
        max_lifetime: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_LIFETIME)),
    }
}

/// The operation element of the SF1472 seeds: Viborg asks about one citizen under stk. 1.
const KONTROLSAG: &str = r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK1</k:Hjemmel><k:SamtykkeDato>2026-11-01</k:SamtykkeDato><k:MyndighedCVRNummer>14720006</k:MyndighedCVRNummer><k:AnsoegningYdelse>KONTANTHJAELP</k:AnsoegningYdelse></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#;

/// Writes every seed afresh: the STS and client certificates, token-model requests signed by
/// the holder-of-key around a token from this process's STS key, signed and unsigned RSTs,
/// and REST STS requests naming the client certificate.
fn write_seeds() {
    let keys = shared_test_keys();
    let write = |path: &str, content: &[u8]| {
        let file = seeds().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
    };
    write("sts.pem", keys.sts.cert_pem.as_bytes());
    write("client.pem", keys.client.cert_pem.as_bytes());
    let spec = AssertionSpec {
        id: "_fuzz-seed-assertion".to_owned(),
        issuer: DEFAULT_STS_ISSUER.to_owned(),
        subject: keys.client.subject(),
        holder_certificate: keys.client.cert_der.clone(),
        audience: ENTITY_ID.to_owned(),
        cvr: CVR.to_owned(),
        privileges: Vec::new(),
        issued: now(),
        expires: now() + Duration::hours(8),
    };
    let assertion = saml::issue(&spec, &keys.sts.key, &keys.sts.cert_der).unwrap();
    for (name, version) in [("soap12", SoapVersion::V12), ("soap11", SoapVersion::V11)] {
        let request = Signed {
            version,
            action: "http://www.kombit.dk/int/2022/01/01/KontrolsagListeHentService#KontrolsagListeHent",
            to: "http://127.0.0.1:8080/kontrolsaglistehent/1",
            body: KONTROLSAG,
            assertion: &assertion,
            message_id: "urn:uuid:5f0e1c2d-2222-4b2a-8c3d-000000000002",
            now: now(),
        }
        .request();
        write(&format!("wss/kontrolsag-{name}.xml"), request.as_bytes());
    }
    write("sts_soap/rst-signed.xml", token::rst(ENTITY_ID, CVR, true).as_bytes());
    write(
        "sts_soap/rst-unsigned.xml",
        token::rst(ENTITY_ID, CVR, false).as_bytes(),
    );
    write(
        "sts_rest/wstrust.json",
        format!(
            r#"{{"TokenType":"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0","RequestType":"http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue","KeyType":"http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey","AnvenderKontekst":{{"Cvr":"{CVR}"}},"AppliesTo":{{"EndpointReference":{{"Address":"{ENTITY_ID}"}}}},"UseKey":"{}"}}"#,
            keys.client.cert_base64()
        )
        .as_bytes(),
    );
    write(
        "sts_rest/oauth.txt",
        format!("grant_type=client_credentials&scope=entityid:{ENTITY_ID},anvenderkontekst:{CVR}").as_bytes(),
    );
}

#[test]
fn fuzz_seeds_pass_the_checks_they_seed() {
    if std::env::var_os("UPDATE_FUZZ_SEEDS").is_some() {
        write_seeds();
    }
    assert_eq!(
        CLOCK, "2026-11-22T12:00:00Z",
        "the fuzz targets judge the seeds at this clock"
    );
    let sts = read_ca_file(&seeds().join("sts.pem"), false).unwrap().remove(0);
    for name in ["soap12", "soap11"] {
        let request = read(&format!("wss/kontrolsag-{name}.xml"));
        let tree = Tree::parse_with(&request, Limits::default()).unwrap();
        let expect = Expectations {
            strictness: Strictness::Strict,
            cache: None,
            audience: ENTITY_ID,
            sts_key: &sts.public_key,
            now: now(),
            freshness: freshness(),
        };
        let token = wss::check(&tree, &expect).unwrap_or_else(|e| panic!("wss/kontrolsag-{name}.xml: {e}"));
        assert_eq!(token.cvr, CVR);
    }
    let signed = read("sts_soap/rst-signed.xml");
    let tree = Tree::parse_with(&signed, Limits::default()).unwrap();
    let rst = read_request(&tree, &[ENTITY_ID], Some(&freshness()), now(), |_| {})
        .unwrap_or_else(|e| panic!("sts_soap/rst-signed.xml: {}", e.reason));
    assert_eq!(rst.cvr.to_string(), CVR);
    let unsigned = read("sts_soap/rst-unsigned.xml");
    let tree = Tree::parse_with(&unsigned, Limits::default()).unwrap();
    assert!(read_request(&tree, &[ENTITY_ID], None, now(), |_| {}).is_ok());
    let app = world::app(SecurityMode::Token);
    let response = sfstub::http::handle(
        &app,
        http::Request::post(WSTRUST_PATH)
            .body(Bytes::from(read("sts_rest/wstrust.json")))
            .unwrap(),
    );
    assert_eq!(
        response.status(),
        200,
        "sts_rest/wstrust.json: {}",
        String::from_utf8_lossy(response.body())
    );
}

/// A finding of the fuzz target `scenario`, kept in `fixtures/fuzz-regressions/scenario`.
fn regression(name: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fuzz-regressions/scenario")
        .join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

#[test]
fn a_date_offset_ending_in_a_wide_character_is_refused_not_a_panic() {
    // A case step `at: -2Р` (a Cyrillic Er as the unit) once split the text inside the
    // character and panicked.
    let text = regression("crash-b20a9b8b0cfef11229dc4aa7e61f2c05b0575025");
    let error = Scenario::parse(&text, "fuzz.yaml", None).expect_err("the scenario has a bad date");
    let problems = error.to_string();
    assert!(problems.contains("\"-2Р\" is neither a date"), "{problems}");
    let anchor = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    for text in ["-2Р", "Р", "1é", "-€"] {
        assert!(parse_date(text, anchor).is_err(), "{text:?}");
    }
}

#[test]
fn date_offsets_beyond_the_calendar_are_refused_not_a_panic_or_wrapped() {
    let anchor = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    // Each once overflowed (a panic with overflow checks, a wrong date without) or, for
    // months, was cut to 32 bits: 2^32 + 1 months was one month.
    for text in [
        "99999999999999999d",
        "-99999999999999999w",
        "--9223372036854775808d",
        "999999999999999999y",
        "4294967297m",
        "-4294967297m",
    ] {
        assert!(
            parse_date(text, anchor).is_err(),
            "{text:?} gave {:?}",
            parse_date(text, anchor)
        );
    }
    assert_eq!(
        parse_date("-1m", anchor).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 22).unwrap()
    );
    assert_eq!(
        parse_date("+2w", anchor).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    );
}
