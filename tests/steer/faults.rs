//! Fault and latency rules: every effect as a client sees it, every matcher, limits, expiry,
//! determinism, bad rules, and the journal entry of each call hit.

use std::time::Duration;

use crate::harness::*;
use crate::{Seen, person_lookup, post_bytes, raw};

const SF1472: &str = "/kontrolsaglistehent/1";
const SF1520: &str = "/service/CPR/PersonBaseDataExtended/4";

fn sf1472(s: &Server) -> Answer {
    s.soap12(SF1472, &kontrolsag(KOEBENHAVN, JENS))
}

#[test]
fn a_delay_holds_the_answer_and_the_journal_says_so() {
    let s = serve_default();
    s.rule(r#"{"id": "slow", "match": {"service": "SF1472"}, "delay": "400ms"}"#);
    let start = std::time::Instant::now();
    let a = sf1472(&s);
    let took = start.elapsed();
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.text().contains("<Kontrolsag>"), "the service's own answer");
    assert!(took >= Duration::from_millis(400), "{took:?}");
    let e = s.last_entry();
    assert_eq!(e["injected"]["rule"], "slow");
    assert_eq!(e["injected"]["effect"], "delay");
    assert_eq!(e["injected"]["delay_ms"], 400);
    // Other services are not touched.
    let start = std::time::Instant::now();
    s.post(SF1520, &[("Content-Type", "text/xml")], &person_lookup(JENS));
    assert!(start.elapsed() < Duration::from_millis(400));
    assert!(s.last_entry()["injected"].is_null());
}

#[test]
fn a_delay_range_draws_the_same_delays_for_the_same_seed() {
    let delays = |seed: u64| {
        let s = serve_default();
        s.rule(&format!(
            r#"{{"match": {{"service": "SF1472", "seed": {seed}}}, "delay": "1ms..200ms"}}"#
        ));
        (0..6)
            .map(|_| {
                sf1472(&s);
                s.last_entry()["injected"]["delay_ms"].as_u64().unwrap()
            })
            .collect::<Vec<_>>()
    };
    let a = delays(7);
    assert_eq!(a, delays(7));
    assert!(a.iter().all(|d| (1..=200).contains(d)), "{a:?}");
    assert!(a.windows(2).any(|w| w[0] != w[1]), "a range, not one value: {a:?}");
}

#[test]
fn serviceplatform_fault_is_the_platforms_fault_detail() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "SF1520"}, "effect": {"serviceplatform_fault": {"code": "PNR_LOOKUP_FAILED", "text": "CPR replika er ikke tilgaengelig"}}}"#);
    let a = s.post(SF1520, &[("Content-Type", "text/xml")], &person_lookup(JENS));
    assert_eq!(a.status, 500);
    let xml = a.text();
    assert!(xml.contains("<faultcode>soap:Server</faultcode>"), "{xml}");
    assert!(xml.contains(r#"<ServiceplatformFault xmlns="http://serviceplatformen.dk/xml/schemas/ServiceplatformFault/1/"><ErrorList><Error><ErrorCode>PNR_LOOKUP_FAILED</ErrorCode><ErrorText>CPR replika er ikke tilgaengelig</ErrorText>"#), "{xml}");
    assert!(
        xml.contains("For further information contact Serviceplatformen Helpdesk and inform: CallUUID: "),
        "{xml}"
    );
    let e = s.last_entry();
    assert_eq!(e["outcome"]["kind"], "fault");
    assert_eq!(e["injected"]["effect"], "serviceplatform_fault");
}

#[test]
fn platform_status_503_and_504_carry_the_platforms_soap_fault() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "SF1472", "nth": 1}, "effect": {"platform_status": 503}}"#);
    s.rule(r#"{"match": {"service": "SF1472", "nth": 2}, "effect": {"platform_status": 504}}"#);
    let a = sf1472(&s);
    assert_eq!(a.status, 503);
    assert!(
        a.text().contains("<soap:Value>soap:Receiver</soap:Value>"),
        "{}",
        a.text()
    );
    assert!(a.text().contains("<ErrorCode>SERVICE_UNAVAILABLE</ErrorCode>"));
    let a = sf1472(&s);
    assert_eq!(a.status, 504);
    assert!(
        a.text().contains("<ErrorCode>GATEWAY_TIMEOUT</ErrorCode>"),
        "{}",
        a.text()
    );
    assert_eq!(sf1472(&s).status, 200, "both rules are past their call");
}

#[test]
fn the_sts_refuses_with_its_fault_codes_in_soap_and_in_json() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "SF1514"}, "effect": {"sts_fault": {"code": 5015}}}"#);
    let a = s.soap12(crate::world::STS_PATH, "<x/>");
    assert_eq!(a.status, 400);
    assert!(a.text().contains("sf:STS5015"), "{}", a.text());
    assert!(
        a.text()
            .contains("5015: received user context does not exist on using system"),
        "{}",
        a.text()
    );
    let a = s.post(
        "/runtime/api/rest/wstrust/v1/issue",
        &[("Content-Type", "application/json")],
        "{}",
    );
    assert_eq!(a.status, 403);
    assert_eq!(a.json()["code"], 5015);
    // The STS's codes only, and only for the STS.
    let bad = s.post(
        "/__sfstub/faults",
        &[],
        r#"{"match": {"service": "SF1472"}, "effect": {"sts_fault": {"code": 5015}}}"#,
    );
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(bad.json()["field"], "effect");
    let bad = s.post("/__sfstub/faults", &[], r#"{"effect": {"sts_fault": {"code": 42}}}"#);
    assert_eq!(bad.json()["field"], "effect.sts_fault.code");
}

#[test]
fn a_fejl_is_a_normal_k2017_answer_with_the_chosen_fejlid() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "SF1472"}, "effect": {"fejl": {"id": 1006, "text": "Injiceret fejl"}}}"#);
    let a = sf1472(&s);
    assert_eq!(a.status, 200, "{}", a.text());
    let xml = a.text();
    assert!(
        xml.contains("<kontekst:TransaktionsId>t-1</kontekst:TransaktionsId>"),
        "{xml}"
    );
    assert!(xml.contains("<kontekst:SvarReaktion><kontekst:Fejl><kontekst:FejlId>1006</kontekst:FejlId><kontekst:FejlTekst>Injiceret fejl</kontekst:FejlTekst>"), "{xml}");
    assert!(!xml.contains("<KontrolsagListe>"), "{xml}");
    let e = s.last_entry();
    assert_eq!(e["outcome"]["kind"], "refused");
    assert_eq!(e["outcome"]["codes"], serde_json::json!(["1006"]));
    assert_eq!(e["injected"]["effect"], "fejl");
    // Only K2017 services answer with a Fejl.
    let bad = s.post(
        "/__sfstub/faults",
        &[],
        r#"{"match": {"service": "SF1520"}, "effect": {"fejl": {"id": 1}}}"#,
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn an_http_effect_sends_any_status_and_body() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "/kontrolsaglistehent/1"}, "effect": {"http": {"status": 418, "body": "<teapot/>", "content_type": "text/xml"}}}"#);
    let a = sf1472(&s);
    assert_eq!((a.status, a.text().as_str()), (418, "<teapot/>"));
    assert_eq!(a.header("Content-Type"), Some("text/xml"));
    assert_eq!(s.last_entry()["status"], 418);
}

#[test]
fn a_dropped_call_closes_the_connection_without_an_answer() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "SF1472"}, "effect": {"drop": true}}"#);
    let request = post_bytes(s.addr, SF1472, "application/soap+xml", &kontrolsag(KOEBENHAVN, JENS));
    match raw(s.addr, &request, Duration::from_secs(10)) {
        Seen::Closed(took) => assert!(took < Duration::from_secs(5), "{took:?}"),
        other => panic!("expected a closed connection, got {other:?}"),
    }
    let e = s.last_entry();
    assert_eq!(e["status"], 0, "no answer");
    assert_eq!(e["injected"]["effect"], "drop");
    assert_eq!(e["outcome"]["kind"], "error");
}

#[test]
fn a_hang_outlasts_the_clients_timeout_and_ends_within_its_bound() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "SF1472"}, "effect": {"hang": "2s"}}"#);
    let request = post_bytes(s.addr, SF1472, "application/soap+xml", &kontrolsag(KOEBENHAVN, JENS));
    match raw(s.addr, &request, Duration::from_millis(500)) {
        Seen::TimedOut(took) => assert!(took >= Duration::from_millis(500)),
        other => panic!("the client should have given up, got {other:?}"),
    }
    // A patient client sees the connection closed, never an answer, once the hang ends.
    match raw(s.addr, &request, Duration::from_secs(10)) {
        Seen::Closed(took) => assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(6),
            "{took:?}"
        ),
        other => panic!("expected the connection closed after the hang, got {other:?}"),
    }
    // A hang longer than the bound is refused.
    let bad = s.post("/__sfstub/faults", &[], r#"{"effect": {"hang": "1h"}}"#);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["field"], "effect.hang");
}

#[test]
fn a_trickled_answer_arrives_whole_and_slowly() {
    let s = serve_default();
    s.rule(r#"{"match": {"service": "SF1472"}, "trickle": {"over": "1s", "chunk": 64}}"#);
    let request = post_bytes(s.addr, SF1472, "application/soap+xml", &kontrolsag(KOEBENHAVN, JENS));
    match raw(s.addr, &request, Duration::from_secs(10)) {
        Seen::Answer(bytes, took) => {
            let text = String::from_utf8_lossy(&bytes);
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(text.ends_with("</soap:Envelope>"), "the whole answer: {text}");
            assert!(took >= Duration::from_millis(800), "{took:?}");
        }
        other => panic!("expected the answer, got {other:?}"),
    }
    assert_eq!(s.last_entry()["injected"]["trickle_ms"], 1000);
}

#[test]
fn caller_cpr_and_operation_must_all_match() {
    let s = serve_default();
    s.rule(r#"{"match": {"caller": "29189420", "cpr": "150780-4329", "operation": "KontrolsagListeHent"}, "effect": {"platform_status": 503}}"#);
    assert_eq!(sf1472(&s).status, 200, "another caller");
    assert_eq!(
        s.soap12(SF1472, &kontrolsag(AALBORG, "3102804329")).status,
        200,
        "another CPR"
    );
    assert_eq!(s.soap12(SF1472, &kontrolsag(AALBORG, JENS)).status, 503);
    assert_eq!(
        s.soap12(SF1472, &kontrolsag(AALBORG, "1507804329")).status,
        503,
        "with or without the hyphen"
    );
}

#[test]
fn times_limits_a_rule_and_nth_picks_one_call() {
    let s = serve_default();
    s.rule(r#"{"id": "once", "match": {"service": "SF1472"}, "effect": {"platform_status": 503}, "times": 1}"#);
    s.rule(r#"{"id": "third", "match": {"service": "SF1472", "nth": 3}, "effect": {"platform_status": 504}}"#);
    let statuses: Vec<u16> = (0..5).map(|_| sf1472(&s).status).collect();
    assert_eq!(statuses, [503, 200, 504, 200, 200]);
    let rules = s.get("/__sfstub/faults").json();
    let ids: Vec<&str> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["third"], "the spent rule is gone");
    assert_eq!(rules["rules"][0]["seen"], 5);
    assert_eq!(rules["rules"][0]["hits"], 1);
}

#[test]
fn probability_hits_the_same_calls_for_the_same_seed_and_call_order() {
    let hits = |seed: u64| {
        let s = serve_default();
        s.rule(&format!(
            r#"{{"match": {{"service": "SF1472", "probability": 0.4, "seed": {seed}}}, "effect": {{"platform_status": 503}}}}"#
        ));
        (0..30).map(|_| sf1472(&s).status == 503).collect::<Vec<_>>()
    };
    let a = hits(42);
    assert_eq!(a, hits(42));
    assert_ne!(a, hits(43));
    let n = a.iter().filter(|h| **h).count();
    assert!((3..=24).contains(&n), "{n} of 30");
}

#[test]
fn a_rule_expires_after_its_ttl_and_can_be_deleted() {
    let s = serve_default();
    s.rule(r#"{"id": "brief", "match": {"service": "SF1472"}, "effect": {"platform_status": 503}, "ttl": "300ms"}"#);
    s.rule(r#"{"id": "other", "match": {"service": "SF1500"}, "delay": "1s"}"#);
    assert_eq!(sf1472(&s).status, 503);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(sf1472(&s).status, 200);
    assert_eq!(s.get("/__sfstub/faults/brief").status, 404);
    assert_eq!(s.get("/__sfstub/faults/other").status, 200);
    assert_eq!(s.delete("/__sfstub/faults/other").status, 200);
    assert_eq!(s.delete("/__sfstub/faults/other").status, 404);
}

#[test]
fn a_rule_that_does_not_parse_or_names_what_does_not_exist_is_refused_and_nothing_changes() {
    let s = serve_default();
    s.rule(r#"{"id": "kept", "match": {"service": "SF1472"}, "delay": "1ms"}"#);
    for (body, field) in [
        (r#"{"match": {"service": "SF9999"}, "delay": "1s"}"#, "match.service"),
        (r#"{"match": {"cpr": "3213801234"}, "delay": "1s"}"#, "match.cpr"),
        (r#"{"match": {"caller": "12345678"}, "delay": "1s"}"#, "match.caller"),
        (r#"{"match": {"probability": 1.5}, "delay": "1s"}"#, "match.probability"),
        (r#"{"match": {"nth": 0}, "delay": "1s"}"#, "match.nth"),
        (r#"{"mach": {}, "delay": "1s"}"#, "mach"),
        (r#"{"delay": "soon"}"#, "delay"),
        (r#"{"delay": "10m"}"#, "delay"),
        (r#"{"id": "a b", "delay": "1s"}"#, "id"),
        (r#"{"times": 0, "delay": "1s"}"#, "times"),
        (r#"{"match": {}}"#, "effect"),
        (r#"{"effect": {"drop": true, "platform_status": 503}}"#, "effect"),
        (r#"{"effect": {"http": {"status": 99}}}"#, "effect.http.status"),
        // Texts written into the answer's XML: no character XML 1.0 does not allow.
        (
            r#"{"effect": {"serviceplatform_fault": {"text": "down\u0001"}}}"#,
            "effect.serviceplatform_fault.text",
        ),
        (
            r#"{"effect": {"serviceplatform_fault": {"code": "X\uFFFE"}}}"#,
            "effect.serviceplatform_fault.code",
        ),
        (
            r#"{"effect": {"sts_fault": {"code": 5015, "text": "\u001f"}}}"#,
            "effect.sts_fault.text",
        ),
        (
            r#"{"effect": {"fejl": {"id": 1003, "text": "a\u0000b"}}}"#,
            "effect.fejl.text",
        ),
        (r#"[{"delay": "1s"}, {"delay": "x"}]"#, "[1].delay"),
        (
            r#"{"faults": [{"delay": "1s"}, {"effect": {"platform_status": 404}}]}"#,
            "faults[1].effect.platform_status",
        ),
    ] {
        let a = s.post("/__sfstub/faults", &[("Content-Type", "application/json")], body);
        assert_eq!(a.status, 400, "{body}: {}", a.text());
        assert_eq!(a.json()["field"], field, "{body}: {}", a.text());
    }
    for body in ["{not json", "", "\u{1}"] {
        let a = s.post("/__sfstub/faults", &[], body);
        assert_eq!(a.status, 400, "{body:?}: {}", a.text());
    }
    let rules = s.get("/__sfstub/faults").json();
    assert_eq!(rules["rules"].as_array().unwrap().len(), 1, "{rules}");
    assert_eq!(rules["rules"][0]["id"], "kept");
}

#[test]
fn rules_in_yaml_and_lists_are_accepted_and_a_rule_replaces_one_of_its_id() {
    let s = serve_default();
    let a = s.post(
        "/__sfstub/faults",
        &[("Content-Type", "application/yaml")],
        "faults:\n  - id: a\n    match: { service: SF1472 }\n    effect: { platform_status: 503 }\n  - match: { service: SF1520 }\n    delay: 5ms\n",
    );
    assert_eq!(a.status, 201, "{}", a.text());
    assert_eq!(a.json()["added"], serde_json::json!(["a", "f1"]));
    s.rule(r#"{"id": "a", "match": {"service": "SF1472"}, "effect": {"platform_status": 502}}"#);
    assert_eq!(sf1472(&s).status, 502);
    assert_eq!(s.get("/__sfstub/faults").json()["rules"].as_array().unwrap().len(), 2);
}

#[test]
fn the_scenarios_rules_apply_from_the_start_and_a_reset_rearms_them() {
    let yaml = format!(
        "{}\nfaults:\n  - id: first-sf1472\n    match: {{ service: SF1472 }}\n    effect: {{ platform_status: 503 }}\n    times: 1\n",
        sfstub::scenario::DEFAULT_SCENARIO
    );
    let scenario = sfstub::scenario::Scenario::parse(&yaml, "faults.yaml", None).unwrap();
    let s = serve(|app| {
        *app = sfstub::app::App::new(scenario, sfstub::app::Limits::default());
    });
    assert_eq!(sf1472(&s).status, 503);
    assert_eq!(sf1472(&s).status, 200);
    s.rule(r#"{"id": "added", "match": {"service": "SF1520"}, "delay": "1ms"}"#);
    let a = s.post("/__sfstub/reset?only=faults", &[], "");
    assert_eq!(a.status, 200, "{}", a.text());
    let rules = s.get("/__sfstub/faults").json();
    assert_eq!(rules["rules"][0]["id"], "first-sf1472");
    assert_eq!(rules["rules"][0]["origin"], "scenario");
    assert_eq!(rules["rules"].as_array().unwrap().len(), 1, "the added rule is gone");
    assert_eq!(sf1472(&s).status, 503, "re-armed");
}

#[test]
fn a_broken_rule_in_a_scenario_is_named_by_line_and_field() {
    let yaml =
        "name: x\nfaults:\n  - match: { service: SF1472 }\n    effect: { platform_status: 404 }\n  - delay: fast\n";
    let err = sfstub::scenario::Scenario::parse(yaml, "f.yaml", None).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("f.yaml:4:") && text.contains("faults[0].effect.platform_status"),
        "{text}"
    );
    assert!(text.contains("f.yaml:5:") && text.contains("faults[1].delay"), "{text}");
}

#[test]
fn faults_never_touch_the_admin_api_or_health_checks() {
    let s = serve_default();
    s.rule(r#"{"effect": {"drop": true}}"#);
    assert_eq!(s.get("/healthz").status, 200);
    assert_eq!(s.get("/readyz").status, 200);
    assert_eq!(s.get("/__sfstub/faults").status, 200);
    assert_eq!(
        s.get("/kontrolsaglistehent/1?wsdl").status,
        200,
        "contract downloads are not calls"
    );
    let request = post_bytes(s.addr, SF1472, "application/soap+xml", &kontrolsag(KOEBENHAVN, JENS));
    assert!(matches!(
        raw(s.addr, &request, Duration::from_secs(10)),
        Seen::Closed(_)
    ));
}

#[test]
fn a_service_served_from_a_contract_can_be_named_and_gets_the_platforms_faults() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/indeks.yaml");
    let scenario = sfstub::scenario::Scenario::load(&file, None).unwrap_or_else(|e| panic!("{e}"));
    let s = serve(|app| *app = sfstub::app::App::new(scenario, sfstub::app::Limits::default()));
    let loaded = s.app.loaded();
    let sf1470 = loaded
        .services
        .iter()
        .find(|x| x.title().contains("SF1470"))
        .expect("indeks.yaml serves SF1470");
    let path = sf1470.paths()[0];
    s.rule(r#"{"match": {"service": "SF1470"}, "effect": {"platform_status": 503}}"#);
    let a = s.soap12(path, "<x/>");
    assert_eq!(a.status, 503, "{}", a.text());
    assert_eq!(s.last_entry()["injected"]["effect"], "platform_status");
    // An effect or a matcher that only sfstub's own services know is refused for it, naming
    // why, instead of being held and never firing.
    for (rule, field, says) in [
        (
            r#"{"match": {"service": "SF1470"}, "effect": {"fejl": {"id": 1, "text": "x"}}}"#,
            "effect",
            "fejl cannot answer for \"sf1470\", which is served from a contract",
        ),
        (
            r#"{"match": {"service": "SF1470"}, "effect": {"sts_fault": {"code": "5015", "text": "x"}}}"#,
            "effect",
            "sts_fault cannot answer for \"sf1470\"",
        ),
        (
            r#"{"match": {"service": "SF1470", "cpr": "1507804329"}, "delay": "1s"}"#,
            "match.cpr",
            "sfstub reads no CPR number from its requests",
        ),
    ] {
        let a = s.post("/__sfstub/faults", &[("Content-Type", "application/json")], rule);
        assert_eq!(a.status, 400, "{rule}: {}", a.text());
        assert_eq!(a.json()["field"], field, "{rule}: {}", a.text());
        let error = a.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains(says), "{rule}: {error}");
    }
    s.rule(r#"{"match": {"service": "SF1470", "caller": "14720006"}, "effect": {"http": {"status": 500}}}"#);
    // A name no service has is still refused.
    assert_eq!(
        s.post(
            "/__sfstub/faults",
            &[],
            r#"{"match": {"service": "SF4242"}, "delay": "1s"}"#
        )
        .status,
        400
    );
}
