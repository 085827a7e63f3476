//! §7: a request's `wsu:Timestamp` is judged whole: one per Security header, with `Created`
//! and `Expires`, not too old (`--max-timestamp-age`, 300 s beyond the clock skew) and not
//! living too long (`--max-timestamp-lifetime`, 3600 s), at strict services and at the
//! strict SOAP STS alike.

use chrono::{DateTime, Duration, Utc};
use sfstub::app::App;
use sfstub::security::SecurityMode;
use sfstub::security::keys::shared_test_keys;
use sfstub::services::sf1472_kontrolsag::ENTITY_ID;

use crate::forge::{self, Identity, timestamp};
use crate::world::{CLOCK, STS_PATH, app, app_from, now};
use crate::{assert_refused, post, token};

fn client() -> Identity {
    let client = &shared_test_keys().client;
    Identity {
        der: client.cert_der.clone(),
        key: client.key.clone(),
    }
}

/// A strict SF1472 request whose Timestamp is `ts` (signed), then changed by `edit`.
fn service_request(app: &App, ts: &str, edit: impl FnOnce(String) -> String) -> (u16, String) {
    let assertion = token::issue_token(app, ENTITY_ID, "29189846");
    let request = forge::request_as(&assertion, &client().key, |t| edit(forge::with_timestamp(t, ts)));
    post(app, "/kontrolsaglistehent/1", &request)
}

/// A strict RST from the sample client whose Timestamp is `ts`.
fn sts_request(app: &App, ts: &str) -> (u16, String) {
    post(
        app,
        STS_PATH,
        &forge::rst_as(&client(), ENTITY_ID, "29189846", Some(ts)),
    )
}

fn at(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
}

/// (Timestamp, what the refusal says), for the services' `_timestamp` or the STS's `_ts`.
fn stale_or_overlong(id: &str) -> Vec<(String, &'static str)> {
    vec![
        (
            timestamp(id, Some(now() - Duration::hours(24)), Some(now() + Duration::hours(1))),
            "Timestamp created at 2026-11-21T12:00:00.000Z, more than 600 s before sfstub's security clock",
        ),
        (
            timestamp(id, Some(now()), Some(at("2099-01-01T00:00:00Z"))),
            "sfstub accepts at most 3600 s (--max-timestamp-lifetime)",
        ),
        (
            timestamp(
                id,
                Some(now() + Duration::minutes(2)),
                Some(now() + Duration::minutes(1)),
            ),
            "Timestamp Expires 2026-11-22T12:01:00.000Z is not after its Created 2026-11-22T12:02:00.000Z",
        ),
    ]
}

#[test]
fn a_strict_service_refuses_a_stale_or_overlong_timestamp() {
    let app = app(SecurityMode::Strict);
    for (ts, expected) in stale_or_overlong("_timestamp") {
        let (status, xml) = service_request(&app, &ts, |t| t);
        assert_refused(status, &xml, expected);
    }
}

#[test]
fn a_strict_service_refuses_a_second_unsigned_timestamp() {
    let app = app(SecurityMode::Strict);
    let signed = timestamp("_timestamp", Some(now()), Some(now() + Duration::minutes(5)));
    let (status, xml) = service_request(&app, &signed, |t| t);
    assert_eq!(status, 200, "{xml}");
    let second = timestamp(
        "_other",
        Some(now() - Duration::days(3)),
        Some(at("2099-01-01T00:00:00Z")),
    );
    let (status, xml) = service_request(&app, &signed, |t| {
        t.replacen("</wsu:Timestamp>", &format!("</wsu:Timestamp>{second}"), 1)
    });
    assert_refused(status, &xml, "the wsse:Security header holds 2 wsu:Timestamp elements");
}

#[test]
fn the_strict_sts_judges_created_and_requires_expires() {
    let app = app(SecurityMode::Strict);
    for (ts, expected) in stale_or_overlong("_ts") {
        let (status, xml) = sts_request(&app, &ts);
        assert_refused(status, &xml, expected);
    }
    let cases = [
        (timestamp("_ts", Some(now()), None), "the wsu:Timestamp has no Expires"),
        (
            timestamp("_ts", None, Some(now() + Duration::minutes(5))),
            "the wsu:Timestamp has no Created",
        ),
        (
            format!(
                "{}{}",
                timestamp("_ts", Some(now()), Some(now() + Duration::minutes(5))),
                timestamp("_ts2", Some(now()), Some(now() + Duration::minutes(5)))
            ),
            "holds 2 wsu:Timestamp elements",
        ),
    ];
    for (ts, expected) in cases {
        let (status, xml) = sts_request(&app, &ts);
        assert_refused(status, &xml, expected);
    }
    let fresh = timestamp(
        "_ts",
        Some(now() - Duration::minutes(1)),
        Some(now() + Duration::minutes(4)),
    );
    let (status, xml) = sts_request(&app, &fresh);
    assert_eq!(status, 200, "{xml}");
}

#[test]
fn the_limits_are_set_in_the_scenario() {
    let yaml = format!(
        "name: patient\nclock: {CLOCK}\npopulation: {{ citizens: 10 }}\nsecurity:\n  mode: strict\n  clock: {CLOCK}\n  max_timestamp_age: 7200\n  max_timestamp_lifetime: 10800\n"
    );
    let patient = app_from(&yaml, SecurityMode::Strict);
    assert_eq!(patient.security.max_timestamp_age, Duration::hours(2));
    assert_eq!(patient.security.max_timestamp_lifetime, Duration::hours(3));
    // Created 90 minutes ago, living 100 minutes: too old and too long by default, fine here.
    let ts = |id: &str| {
        timestamp(
            id,
            Some(now() - Duration::minutes(90)),
            Some(now() + Duration::minutes(10)),
        )
    };
    let (status, xml) = service_request(&patient, &ts("_timestamp"), |t| t);
    assert_eq!(status, 200, "{xml}");
    let (status, xml) = sts_request(&patient, &ts("_ts"));
    assert_eq!(status, 200, "{xml}");
    let (status, xml) = service_request(&app(SecurityMode::Strict), &ts("_timestamp"), |t| t);
    assert_refused(status, &xml, "more than 600 s before sfstub's security clock");
}
