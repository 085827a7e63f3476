//! Prometheus metrics (`GET /__sfstub/metrics`, text format 0.0.4), kept with the
//! `prometheus-client` crate: requests by service, operation, outcome and status; a latency
//! histogram per service; injected faults by service and effect; reloads; and, set when
//! scraped, the journal's and the world's sizes and the fault rules held.
//!
//! Cheap on the hot path: a request costs one lookup of its label set (borrowed static names;
//! an operation sfstub does not know is counted as `other`, so a client cannot grow the label
//! sets) in a table of handles to its counter and histogram, an atomic add and a histogram
//! observation.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    service: &'static str,
    operation: Cow<'static, str>,
    outcome: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InjectedLabels {
    service: &'static str,
    effect: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// The metrics of one sfstub.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<ServiceLabels, Histogram>,
    injected: Family<InjectedLabels, Counter>,
    reloads: Family<ResultLabels, Counter>,
    /// The counter and histogram of each request label set seen (clones share the families'
    /// metrics), hashed with foldhash: a family's own lookup hashes its labels with SipHash
    /// and cost a request ~1 100 instructions, this one ~300 (callgrind, request_cost).
    handles: RwLock<HashMap<RequestLabels, (Counter, Histogram), foldhash::fast::RandomState>>,
    journal_entries: Gauge,
    journal_bytes: Gauge,
    citizens: Gauge,
    added_persons: Gauge,
    cases: Gauge,
    rules: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// What is set at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizes {
    pub journal_entries: usize,
    pub journal_bytes: usize,
    pub citizens: usize,
    pub added_persons: usize,
    pub cases: usize,
    pub rules: usize,
}

/// The label of exchanges outside a service (admin API, unknown paths, the index).
const NO_SERVICE: &str = "none";

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("sfstub");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Exchanges answered, by service, operation, outcome (ok, refused, fault, error) and HTTP status (0: no answer, a dropped or hung connection)",
            requests.clone(),
        );
        let latency = Family::<ServiceLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
        });
        registry.register(
            "request_duration_seconds",
            "Time to answer an exchange inside sfstub, by service (an injected delay is not counted)",
            latency.clone(),
        );
        let injected = Family::<InjectedLabels, Counter>::default();
        registry.register(
            "faults_injected",
            "Answers a fault rule changed, by service and effect (delay, trickle, drop, hang, http, fejl, ...)",
            injected.clone(),
        );
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "reloads",
            "Scenario reloads, by result (ok, failed: the old world kept serving)",
            reloads.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let journal_entries = gauge(&mut registry, "journal_entries", "Entries held in the journal");
        let journal_bytes = gauge(
            &mut registry,
            "journal_bytes",
            "Bytes held in the journal (its estimate)",
        );
        let citizens = gauge(
            &mut registry,
            "world_citizens",
            "Citizens in the world served, added persons included",
        );
        let added_persons = gauge(
            &mut registry,
            "world_added_persons",
            "Persons added through the admin API",
        );
        let cases = gauge(&mut registry, "world_cases", "Control cases in the world served");
        let rules = gauge(&mut registry, "fault_rules", "Fault rules held");
        Metrics {
            registry,
            requests,
            latency,
            injected,
            reloads,
            handles: RwLock::default(),
            journal_entries,
            journal_bytes,
            citizens,
            added_persons,
            cases,
            rules,
        }
    }

    /// Counts one exchange.
    pub fn request(
        &self,
        service: Option<&'static str>,
        operation: Option<&str>,
        outcome: &'static str,
        status: u16,
        latency: Duration,
    ) {
        let service = service.unwrap_or(NO_SERVICE);
        let labels = RequestLabels {
            service,
            operation: operation_label(service, operation),
            outcome,
            status,
        };
        let seconds = latency.as_secs_f64();
        // A poisoned lock only means a panic elsewhere while it was held: the table is whole.
        let known = self.handles.read().unwrap_or_else(|p| p.into_inner());
        if let Some((counter, histogram)) = known.get(&labels) {
            counter.inc();
            histogram.observe(seconds);
            return;
        }
        drop(known);
        let counter = self.requests.get_or_create(&labels).clone();
        let histogram = self.latency.get_or_create(&ServiceLabels { service }).clone();
        counter.inc();
        histogram.observe(seconds);
        let mut known = self.handles.write().unwrap_or_else(|p| p.into_inner());
        known.insert(labels, (counter, histogram));
    }

    /// Counts an answer a fault rule changed.
    pub fn injected(&self, service: &'static str, effect: &'static str) {
        self.injected.get_or_create(&InjectedLabels { service, effect }).inc();
    }

    /// Counts a reload.
    pub fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
    }

    /// The exposition, with the sizes given.
    pub fn encode(&self, sizes: Sizes) -> String {
        let set = |g: &Gauge, v: usize| {
            g.set(i64::try_from(v).unwrap_or(i64::MAX));
        };
        set(&self.journal_entries, sizes.journal_entries);
        set(&self.journal_bytes, sizes.journal_bytes);
        set(&self.citizens, sizes.citizens);
        set(&self.added_persons, sizes.added_persons);
        set(&self.cases, sizes.cases);
        set(&self.rules, sizes.rules);
        let mut out = String::with_capacity(16 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The operation as a label: a name the service's contract knows (borrowed, no allocation),
/// else `other`, so arbitrary element names cannot grow the label sets without bound.
fn operation_label(service: &'static str, operation: Option<&str>) -> Cow<'static, str> {
    let Some(op) = operation else {
        return Cow::Borrowed("none");
    };
    match KNOWN_OPERATIONS
        .iter()
        .find(|(s, o)| *s == service && o.eq_ignore_ascii_case(op))
    {
        Some((_, o)) => Cow::Borrowed(o),
        None => Cow::Borrowed("other"),
    }
}

/// The operations of each service, as the journal names them.
const KNOWN_OPERATIONS: &[(&str, &str)] = &[
    ("SF1472 KontrolsagListeHent", "KontrolsagListeHent"),
    ("SF1520 CPR replika opslag v4", "PersonLookup"),
    ("SF1520 CPR replika opslag v5", "PersonLookup"),
    ("SF1510 Klasse v7", "laes"),
    ("SF1510 Klasse v7", "soeg"),
    ("SF1510 Klasse v7", "list"),
    ("SF1510 KlassifikationListeHent", "KlassifikationListeHent"),
    ("SF1500 Virksomhed v6", "laes"),
    ("SF1500 Virksomhed v6", "soeg"),
    ("SF1500 Virksomhed v6", "list"),
    ("SF1500 Organisation v6", "laes"),
    ("SF1500 Organisation v6", "soeg"),
    ("SF1500 Organisation v6", "list"),
    ("SF1500 OrganisationEnhed v6", "laes"),
    ("SF1500 OrganisationEnhed v6", "soeg"),
    ("SF1500 OrganisationEnhed v6", "list"),
    ("SF1514 Security Token Service", "Issue"),
    ("SF1514 STS, REST (JSON)", "Issue"),
    ("SF1514 STS, OAuth (JWT)", "Issue"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_operations_do_not_grow_the_label_sets() {
        let m = Metrics::new();
        for i in 0..100 {
            m.request(
                Some("SF1472 KontrolsagListeHent"),
                Some(&format!("Junk{i}")),
                "fault",
                400,
                Duration::from_micros(10),
            );
        }
        let text = m.encode(Sizes::default());
        assert!(!text.contains("Junk"), "{text}");
        assert!(
            text.contains(r#"sfstub_requests_total{service="SF1472 KontrolsagListeHent",operation="other",outcome="fault",status="400"} 100"#),
            "{text}"
        );
    }

    #[test]
    fn repeated_label_sets_count_into_the_registered_metrics() {
        let m = Metrics::new();
        for i in 0..10 {
            let status = if i % 2 == 0 { 200 } else { 500 };
            let outcome = if i % 2 == 0 { "ok" } else { "error" };
            m.request(
                Some("SF1472 KontrolsagListeHent"),
                Some("KontrolsagListeHent"),
                outcome,
                status,
                Duration::from_millis(1),
            );
        }
        let text = m.encode(Sizes::default());
        for line in [
            r#"sfstub_requests_total{service="SF1472 KontrolsagListeHent",operation="KontrolsagListeHent",outcome="ok",status="200"} 5"#,
            r#"sfstub_requests_total{service="SF1472 KontrolsagListeHent",operation="KontrolsagListeHent",outcome="error",status="500"} 5"#,
            r#"sfstub_request_duration_seconds_count{service="SF1472 KontrolsagListeHent"} 10"#,
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
    }
}
