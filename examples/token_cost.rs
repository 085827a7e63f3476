//! What the token model costs per request, measured in-process (no HTTP, no wrk): judging a
//! request's token in `token` and `strict` mode — on its first call (the STS signature
//! verified) and reused (the assertion remembered, as a client reusing its token meets it) —
//! signing a response, and the steps inside. Prints mean microseconds per operation on one
//! core.
//!
//! `cargo run --release --example token_cost [iterations [step]]` (default 2000; a tenth of that
//! for the response signature). With a step (`token-first`, `token-reused`, `strict-first`,
//! `strict-reused`, `response`), only that one is run: for counting its instructions with
//! `valgrind --tool=callgrind`. A whole call's instructions outside RSA: run `handle-token`
//! (or `handle-strict`) under `valgrind --tool=callgrind --toggle-collect='sfstub::http::handle'`
//! at two iteration counts (e.g. 100 and 200: 10 and 20 calls), take `http::handle`'s count
//! less `security::crypto::PrivateKey::sign`'s (`callgrind_annotate --inclusive=yes`) in each,
//! and divide the difference by the difference in calls (the first call's one-time work, the
//! XSD loaded, cancels out).

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sfstub::app::{App, Limits};
use sfstub::scenario::{Scenario, parse_clock};
use sfstub::security::keys::KeyMaterial;
use sfstub::security::saml::SAML_NS;
use sfstub::security::verified::VerifiedAssertions;
use sfstub::security::xmltree::Tree;
use sfstub::security::{Guard, SecurityMode, wss};
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use sfstub::services::sf1514_sts::Issuer;
use sfstub::soap::SoapVersion;
use sfstub::world::Cvr;
use sha2::Digest;

const OPERATION: &str = r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/" revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>t</kontekst:TransaktionsId><kontekst:TransaktionsTid>2026-11-22T12:00:00Z</kontekst:TransaktionsTid></kontekst:HovedOplysninger><k:KontrolsagSoegKriterie><k:PersonCPRNummer>1507804329</k:PersonCPRNummer><k:Hjemmel>UDBL_11A_STK2</k:Hjemmel></k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I>"#;

/// Mean microseconds of `f` over `n` runs.
fn micros(n: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000)
        .max(10);
    let only = std::env::args().nth(2);
    let run = |step: &str| only.as_deref().is_none_or(|o| o == step);
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
    let loaded = app.loaded();
    println!("a {}-byte SF1472 request, {n} iterations:", request.len());
    for mode in [SecurityMode::Token, SecurityMode::Strict] {
        let mut settings = app.security.clone();
        settings.mode = mode;
        let cache = VerifiedAssertions::default();
        for (what, step, cache) in [("first call", "first", None), ("token reused", "reused", Some(&cache))] {
            if !run(&format!("{}-{step}", mode.name())) {
                continue;
            }
            let mut guard = Guard::new(
                &settings,
                &app.keys,
                &loaded.scenario.agreements,
                &loaded.world,
                sfstub::world::Clock::Fixed(now),
                app.limits.xml(),
            );
            if let Some(cache) = cache {
                guard = guard.with_assertions(cache);
            }
            // The request as the envelope reader hands it on: its characters checked.
            let (_, body) = sfstub::soap::parse_envelope_text(&request, app.limits.xml(), SoapVersion::V12).unwrap();
            let cost = micros(n, || {
                guard.inspect(SoapVersion::V12, body, true, ENTITY_ID).unwrap();
            });
            println!("  judging the token, {} mode, {what}: {cost:.0} µs", mode.name());
        }
    }
    // The whole call as the server makes it (http::handle: envelope, token, rules,
    // conformance, journal, signed answer), token reused, in token and strict mode (steps
    // `handle`, or `handle-token` / `handle-strict` for one of them).
    for mode in [SecurityMode::Token, SecurityMode::Strict] {
        if run("handle") || only.as_deref() == Some(&format!("handle-{}", mode.name())) {
            let mut app = App::with_keys(loaded.scenario.clone(), Limits::default(), app.keys.clone());
            app.security.mode = mode;
            let m = (n / 10).max(10);
            let cost = micros(m, || {
                let call = http::Request::post("/kontrolsaglistehent/1")
                    .header("content-type", "application/soap+xml; charset=utf-8")
                    .body(bytes::Bytes::from(request.clone()))
                    .unwrap();
                let answer = sfstub::http::handle(&app, call);
                assert_eq!(answer.status(), 200, "{}", String::from_utf8_lossy(answer.body()));
            });
            println!(
                "  a whole SF1472 call in-process, {} mode, token reused: {cost:.0} µs",
                mode.name()
            );
        }
    }
    if only.as_deref().is_some_and(|o| o != "response") {
        return;
    }
    let signer = wss::Signer::of(&app.keys.service);
    let body = b"<KontrolsagListeHent_O xmlns=\"urn:x\"><KontrolsagListe/></KontrolsagListeHent_O>";
    let addressing = sfstub::soap::ResponseAddressing::reply(
        "urn:x:KontrolsagListeHentResponse",
        &sfstub::soap::RequestAddressing {
            message_id: Some("urn:uuid:1".into()),
        },
    );
    let m = (n / 10).max(10);
    let response = micros(m, || {
        wss::signed_response(SoapVersion::V12, body, Some(&addressing), None, now, &signer).unwrap();
    });
    if only.is_some() {
        println!("signing a response: {response:.0} µs");
        return;
    }
    println!("steps inside:");
    let parse = micros(n, || {
        Tree::parse(request.as_bytes()).unwrap();
    });
    println!("  parsing the request into a tree: {parse:.0} µs");
    let tree = Tree::parse(request.as_bytes()).unwrap();
    let assertion = tree
        .descendants(tree.root())
        .into_iter()
        .find(|&e| tree.is(e, SAML_NS, "Assertion"))
        .unwrap();
    let digest = micros(n, || {
        sha2::Sha256::digest(tree.exc_c14n(assertion, None, &[]));
    });
    println!(
        "  canonicalising and digesting the assertion (on a first call; the cache compares its bytes as written): {digest:.0} µs"
    );
    let service = &app.keys.service;
    let signature = service.key.sign_pkcs1_sha256(b"SignedInfo").unwrap();
    let verify = micros(n, || {
        assert!(service.public_key().verify_pkcs1_sha256(b"SignedInfo", &signature));
    });
    println!("  one RSA-2048 verification (aws-lc-rs): {verify:.1} µs");
    let sign = micros(m, || {
        service.key.sign_pkcs1_sha256(b"SignedInfo").unwrap();
    });
    println!("  one RSA-2048 signature (aws-lc-rs): {sign:.0} µs");
    // The part outside RSA, measured in one loop: each response is followed by one RSA
    // signature of a SignedInfo's size alone, and the median of the differences is shown (the
    // two means above are taken at different moments, and their difference went negative when
    // the machine's load changed between them). A difference below zero is noise larger than
    // the part itself: shown as 0.
    let signed_info = vec![b'x'; 1600];
    let mut outside: Vec<f64> = (0..m)
        .map(|_| {
            let start = Instant::now();
            wss::signed_response(SoapVersion::V12, body, Some(&addressing), None, now, &signer).unwrap();
            let whole = start.elapsed().as_secs_f64();
            let start = Instant::now();
            service.key.sign_pkcs1_sha256(&signed_info).unwrap();
            whole - start.elapsed().as_secs_f64()
        })
        .collect();
    outside.sort_by(f64::total_cmp);
    let outside = outside[outside.len() / 2].max(0.0) * 1e6;
    println!(
        "signing a response (envelope, 4 digests, one RSA-2048 signature): {response:.0} µs, of which {outside:.0} µs \
         outside RSA (median over {m} responses of a response less one RSA signature timed right after it)"
    );
}
