//! What the token model costs per request, measured in-process (no HTTP, no wrk):
//! judging a request's token in `token` and `strict` mode, and signing a response.
//! Prints mean microseconds over many iterations on one core.
//!
//! `cargo run --release --example token_cost`

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sfstub::app::{App, Limits};
use sfstub::scenario::{Scenario, parse_clock};
use sfstub::security::keys::KeyMaterial;
use sfstub::security::{Guard, SecurityMode, wss};
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use sfstub::services::sf1514_sts::Issuer;
use sfstub::soap::SoapVersion;
use sfstub::world::Cvr;

const OPERATION: &str = r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#;

fn main() {
    let clock = parse_clock("2026-11-22T12:00:00Z").unwrap();
    let mut scenario = Scenario::parse(sfstub::scenario::DEFAULT_SCENARIO, "default", Some(clock)).unwrap();
    // Tokens issued and judged at one pinned instant: the security clock, like the world's.
    scenario.security.clock = clock;
    let app = App::with_keys(scenario, Limits::default(), Arc::new(KeyMaterial::ephemeral()));
    let now: DateTime<Utc> = clock.now();
    let client = &app.keys.client;
    let issued = sfstub::http::with_context(&app, |ctx| {
        let audiences = app.loaded().audiences();
        Issuer {
            ctx,
            audiences: &audiences,
        }
        .issue(
            ENTITY_ID,
            Cvr::parse("29189846").unwrap(),
            &client.cert_der,
            client.info(),
        )
    })
    .unwrap();
    let request = wss::signed_request(&wss::ClientRequest {
        version: SoapVersion::V12,
        action: "urn:action",
        to: "http://127.0.0.1:8080/kontrolsaglistehent/1",
        body: OPERATION,
        assertion: &issued.assertion,
        assertion_id: &issued.assertion_id,
        key: &client.key,
        now,
        message_id: "urn:uuid:1",
        header: None,
    })
    .unwrap();
    let n = 2000;
    let loaded = app.loaded();
    for mode in [SecurityMode::Token, SecurityMode::Strict] {
        let mut settings = app.security.clone();
        settings.mode = mode;
        let guard = Guard::new(
            &settings,
            &app.keys,
            &loaded.scenario.agreements,
            &loaded.world,
            now,
            app.limits.xml(),
        );
        let start = Instant::now();
        for _ in 0..n {
            guard
                .inspect(SoapVersion::V12, request.as_bytes(), true, ENTITY_ID)
                .unwrap();
        }
        let micros = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!(
            "judging a {}-byte request in {} mode: {micros:.0} µs",
            request.len(),
            mode.name()
        );
    }
    let signer = wss::Signer {
        key: &app.keys.service.key,
        certificate: &app.keys.service.cert_der,
    };
    let body = b"<KontrolsagListeHent_O xmlns=\"urn:x\"><KontrolsagListe/></KontrolsagListeHent_O>";
    let m = 200;
    let addressing = sfstub::soap::ResponseAddressing::reply(
        "urn:x:KontrolsagListeHentResponse",
        &sfstub::soap::RequestAddressing {
            message_id: Some("urn:uuid:1".into()),
        },
    );
    let start = Instant::now();
    for _ in 0..m {
        wss::signed_response(SoapVersion::V12, body, Some(&addressing), None, now, &signer).unwrap();
    }
    let micros = start.elapsed().as_secs_f64() * 1e6 / f64::from(m);
    println!("signing a response (RSA-2048, pure-Rust rsa crate): {micros:.0} µs");
}
