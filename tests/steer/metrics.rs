//! `GET /__sfstub/metrics`, read with a Prometheus text-format parser.

use std::collections::HashMap;

use prometheus_parse::{Sample, Scrape, Value};

use crate::harness::*;

fn scrape(s: &Server) -> Scrape {
    let a = s.get("/__sfstub/metrics");
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = a.text();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        assert!(line.starts_with("sfstub_"), "every metric is sfstub's: {line}");
    }
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn find<'a>(scrape: &'a Scrape, name: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
}

fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    match find(scrape, name, labels).map(|s| &s.value) {
        Some(Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v)) => *v,
        other => panic!("{name} {labels:?}: {other:?}"),
    }
}

#[test]
fn metrics_count_requests_latency_faults_and_sizes() {
    let s = serve_default();
    for _ in 0..3 {
        s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS));
    }
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, "123"));
    s.rule(r#"{"match": {"service": "SF1472"}, "effect": {"platform_status": 503}, "times": 2}"#);
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS));
    s.soap12("/kontrolsaglistehent/1", &kontrolsag(KOEBENHAVN, JENS));
    assert_eq!(
        s.post("/__sfstub/persons", &[], r#"{"cpr": "0101901234", "kommune": "0101"}"#)
            .status,
        201
    );
    let m = scrape(&s);
    let sf1472 = "SF1472 KontrolsagListeHent";
    let ok = [
        ("service", sf1472),
        ("operation", "KontrolsagListeHent"),
        ("outcome", "ok"),
        ("status", "200"),
    ];
    assert_eq!(value(&m, "sfstub_requests_total", &ok), 3.0);
    let refused = [("service", sf1472), ("outcome", "refused"), ("status", "200")];
    assert_eq!(value(&m, "sfstub_requests_total", &refused), 1.0);
    let injected = [("service", sf1472), ("outcome", "fault"), ("status", "503")];
    assert_eq!(value(&m, "sfstub_requests_total", &injected), 2.0);
    assert_eq!(
        value(
            &m,
            "sfstub_faults_injected_total",
            &[("service", sf1472), ("effect", "platform_status")]
        ),
        2.0
    );
    // The latency histogram: every SF1472 exchange counted, buckets cumulative.
    let histogram = find(&m, "sfstub_request_duration_seconds", &[("service", sf1472)]).expect("a histogram");
    match &histogram.value {
        Value::Histogram(buckets) => {
            let counts: Vec<f64> = buckets.iter().map(|b| b.count).collect();
            assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
            assert_eq!(*counts.last().unwrap(), 6.0, "{counts:?}");
        }
        other => panic!("{other:?}"),
    }
    let sizes: HashMap<&str, f64> = [
        "sfstub_journal_entries",
        "sfstub_world_citizens",
        "sfstub_world_added_persons",
        "sfstub_world_cases",
        "sfstub_fault_rules",
    ]
    .into_iter()
    .map(|n| (n, value(&m, n, &[])))
    .collect();
    let loaded = s.app.loaded();
    assert_eq!(sizes["sfstub_world_citizens"], loaded.world.citizens.len() as f64);
    assert_eq!(sizes["sfstub_world_cases"], loaded.world.cases.len() as f64);
    assert_eq!(sizes["sfstub_world_added_persons"], 1.0);
    assert_eq!(sizes["sfstub_fault_rules"], 0.0, "the rule is spent");
    assert!(sizes["sfstub_journal_entries"] >= 6.0);
}
