//! The world's clock is not the security clock: a world pinned to another day still accepts a
//! client signing at real time, the STS issues tokens on real time, and only an explicit
//! `security.clock` (or `--security-clock`) pins Timestamps and tokens.

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sfstub::app::{App, Limits};
use sfstub::scenario::{DEFAULT_SCENARIO, Scenario, parse_clock};
use sfstub::security::SecurityMode;
use sfstub::security::saml;
use sfstub::security::xmltree::Tree;
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;
use sfstub::soap::SoapVersion;
use sfstub::world::Clock;

use crate::client::{CLIENT_MESSAGE_ID, WSU, find, operation, text};
use crate::token::{Signed, assertion_of, rst_at};
use crate::world::{STS_PATH, WSA};

const TRUST: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";

fn post(app: &App, path: &str, body: &str) -> (u16, String) {
    let request = http::Request::post(path).body(Bytes::from(body.to_owned())).unwrap();
    let response = sfstub::http::handle(app, request);
    (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    )
}

/// The default scenario with its world pinned to `world_clock` and the security clock as
/// the scenario leaves it (real time), in `mode`.
fn app_with_world_at(world_clock: &str, mode: SecurityMode) -> App {
    let clock = parse_clock(world_clock).unwrap();
    let scenario = Scenario::parse(DEFAULT_SCENARIO, "default", Some(clock)).unwrap();
    assert_eq!(scenario.security.clock, Clock::Now, "real time unless pinned");
    let mut app = App::new(scenario, Limits::default());
    app.security.mode = mode;
    app
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
        .with_timezone(&Utc)
}

/// Asserts `t` lies in `[from, to]` give or take a second (the formats keep milliseconds).
fn assert_between(what: &str, t: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) {
    let slack = Duration::seconds(1);
    assert!(
        t >= from - slack && t <= to + slack,
        "{what} {t} is not real time ({from} .. {to})"
    );
}

/// An SF1472 request for Jens (stk. 2) with `assertion`, signed by the holder-of-key at `at`.
fn sf1472_request(assertion: &str, at: DateTime<Utc>) -> String {
    Signed {
        version: SoapVersion::V12,
        action: "http://www.kombit.dk/int/2022/01/01/KontrolsagListeHentService#KontrolsagListeHent",
        to: "http://127.0.0.1:8080/kontrolsaglistehent/1",
        body: operation(),
        assertion,
        message_id: CLIENT_MESSAGE_ID,
        now: at,
    }
    .request()
}

/// The token the app's STS issues for Viborg, from an RST signed at `at`.
fn token_at(app: &App, at: DateTime<Utc>) -> (u16, String) {
    post(app, STS_PATH, &rst_at(ENTITY_ID, "29189846", true, at))
}

/// The `OprettetDato` of the open UDK case (Jens's, opened 30 days before the world's today).
fn oprettet(xml: &str) -> NaiveDate {
    let tree = Tree::parse(xml.as_bytes()).unwrap();
    let text = text(&tree, "http://www.kombit.dk/int/2022/01/01/", "OprettetDato").expect("a case");
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").unwrap()
}

#[test]
fn a_world_pinned_to_another_day_accepts_a_strict_request_signed_at_real_time() {
    for world_clock in ["2026-11-22T12:00:00Z", "2020-06-01T12:00:00Z"] {
        let app = app_with_world_at(world_clock, SecurityMode::Strict);
        let before = Utc::now();
        let (status, rstr) = token_at(&app, before);
        assert_eq!(status, 200, "the STS refused an RST signed at real time: {rstr}");
        let assertion = assertion_of(&rstr);
        let (status, xml) = post(&app, "/kontrolsaglistehent/1", &sf1472_request(&assertion, Utc::now()));
        let after = Utc::now();
        assert_eq!(status, 200, "world at {world_clock}: {xml}");
        // The response's Timestamp is on real time too ...
        let tree = Tree::parse(xml.as_bytes()).unwrap();
        let created = text(&tree, WSU, "Created").expect("a signed response has a Timestamp");
        assert_between("the response's Timestamp", instant(&created), before, after);
        // ... while the world's dates follow the world's clock.
        let today = instant(world_clock).date_naive();
        assert_eq!(oprettet(&xml), today - Duration::days(30), "{xml}");
    }
}

#[test]
fn the_sts_token_lifetime_follows_real_time_not_the_worlds_clock() {
    let app = app_with_world_at("2026-11-22T12:00:00Z", SecurityMode::Strict);
    let before = Utc::now();
    let (status, rstr) = token_at(&app, before);
    let after = Utc::now();
    assert_eq!(status, 200, "{rstr}");
    let tree = Tree::parse(rstr.as_bytes()).unwrap();
    let lifetime = find(&tree, TRUST, "Lifetime").expect("an RSTR Lifetime");
    let field = |local| instant(&tree.text(tree.child(lifetime, WSU, local).unwrap()));
    assert_between("Lifetime/Created", field("Created"), before, after);
    assert_eq!(field("Expires") - field("Created"), Duration::hours(8));
    let assertion = find(&tree, saml::SAML_NS, "Assertion").unwrap();
    let issue_instant = instant(tree.attribute(assertion, None, "IssueInstant").unwrap());
    assert_eq!(issue_instant, field("Created"));
    let info = saml::read(&tree, assertion).unwrap();
    assert_eq!(info.not_before, Some(field("Created")));
    assert_eq!(info.not_on_or_after, Some(field("Expires")));
    // The RSTR's own Timestamp, too.
    let header = text(&tree, WSU, "Created").unwrap();
    assert_between("the RSTR's Timestamp", instant(&header), before, after);
    assert_eq!(
        text(&tree, WSA, "RelatesTo").as_deref(),
        Some(crate::token::RST_MESSAGE_ID)
    );

    // The REST face: Lifetime in the US format, on real time.
    let body = serde_json::json!({
        "TokenType": "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
        "RequestType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        "KeyType": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/PublicKey",
        "AnvenderKontekst": { "Cvr": "29189846" },
        "UseKey": sfstub::security::keys::shared_test_keys().client.cert_base64(),
        "AppliesTo": { "EndpointReference": { "Address": ENTITY_ID } },
    });
    // Strict mode: the UseKey certificate is the TLS client certificate (proof of possession).
    let client = sfstub::security::keys::shared_test_keys().client.cert_der.clone();
    let mut request = http::Request::post(sfstub::services::sf1514_rest::WSTRUST_PATH)
        .body(Bytes::from(body.to_string()))
        .unwrap();
    request.extensions_mut().insert(sfstub::tls::PeerCertificate(client));
    let before = Utc::now();
    let response = sfstub::http::handle(&app, request);
    let after = Utc::now();
    let (status, json) = (
        response.status().as_u16(),
        String::from_utf8(response.body().to_vec()).unwrap(),
    );
    assert_eq!(status, 200, "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let us = |field: &str| {
        let text = json["Lifetime"][field]
            .as_str()
            .unwrap_or_else(|| panic!("no Lifetime.{field}: {json}"));
        chrono::NaiveDateTime::parse_from_str(text, "%m/%d/%Y %H:%M:%S")
            .unwrap()
            .and_utc()
    };
    assert_between(
        "REST Lifetime.Created",
        us("Created"),
        before - Duration::seconds(1),
        after,
    );
    assert_eq!(us("Expires") - us("Created"), Duration::hours(8));
}

#[test]
fn a_pinned_security_clock_is_honoured_and_the_world_keeps_its_own() {
    let yaml = "name: pinned\nclock: 2031-01-01T00:00:00Z\nsecurity: { mode: strict, clock: 2026-11-22T12:00:00Z }\n\
                population: { citizens: 10 }\npersons:\n  - cpr: \"1507804329\"\n    kommune: \"0101\"\n    cases:\n\
                \x20     - { holder: UDK, theme: SAMLIV, benefit: BOERNETILSKUD, status: AABEN, opened: -30d }\n";
    let scenario = Scenario::parse(yaml, "pinned.yaml", None).unwrap();
    let pinned = instant("2026-11-22T12:00:00Z");
    assert_eq!(scenario.security.clock, Clock::Fixed(pinned));
    let app = App::new(scenario, Limits::default());
    // Tokens are issued at the pinned instant ...
    let (status, rstr) = token_at(&app, pinned - Duration::minutes(1));
    assert_eq!(status, 200, "{rstr}");
    let tree = Tree::parse(rstr.as_bytes()).unwrap();
    let lifetime = find(&tree, TRUST, "Lifetime").unwrap();
    assert_eq!(
        tree.text(tree.child(lifetime, WSU, "Created").unwrap()),
        "2026-11-22T12:00:00.000Z"
    );
    // ... a request signed then is fresh, its answer is stamped then, and the case dates follow
    // the world's clock (2031-01-01 less 30 days).
    let assertion = assertion_of(&rstr);
    let (status, xml) = post(&app, "/kontrolsaglistehent/1", &sf1472_request(&assertion, pinned));
    assert_eq!(status, 200, "{xml}");
    let answer = Tree::parse(xml.as_bytes()).unwrap();
    assert_eq!(
        text(&answer, WSU, "Created").as_deref(),
        Some("2026-11-22T12:00:00.000Z")
    );
    assert_eq!(oprettet(&xml), NaiveDate::from_ymd_opt(2030, 12, 2).unwrap());
    // A request signed at real time lies in the pinned clock's future.
    let (status, xml) = post(&app, "/kontrolsaglistehent/1", &sf1472_request(&assertion, Utc::now()));
    assert_eq!(status, 400, "{xml}");
    assert!(
        xml.contains("Timestamp created in the future") && xml.contains("security clock says 2026-11-22T12:00:00.000Z"),
        "{xml}"
    );
}

#[test]
fn a_bad_security_clock_in_a_scenario_is_a_problem_naming_the_field() {
    let err = Scenario::parse("name: x\nsecurity:\n  clock: yesterday\n", "x.yaml", None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("x.yaml:3:10: security.clock: \"yesterday\" is neither"),
        "{err}"
    );
}
