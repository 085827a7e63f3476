//! Prometheus metrics (`GET /__sfstub/metrics`, text format 0.0.4), kept with the
//! `prometheus-client` crate: requests by service, operation, outcome and status; a latency
//! histogram per service; injected faults by service and effect; reloads; and, set when
//! scraped, the journal's and the world's sizes and the fault rules held.
//!
//! Cheap on the hot path: a request's label set is an index into a table of handles to its
//! counter and histogram, fixed when the metrics are made (the services and the operations
//! sfstub knows, the four outcomes, the usual statuses; an operation sfstub does not know is
//! counted as `other`, so a client cannot grow the label sets), each handle taken from its
//! family the first time it is used; then an atomic add and a histogram observation. Label
//! sets outside the table (a status not in it) are looked up in a hash map of handles.
//!
//! The request counters and the latency histograms are [`sharded`]: a request writes only the
//! copy of its thread, so the runtime's workers do not pass the counts' lines between them
//! every request; a scrape adds the copies up.

mod sharded;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::exponential_buckets;
use prometheus_client::registry::Registry;

use self::sharded::{BUCKETS, ShardedCounter, ShardedHistogram};
use crate::journal::OutcomeKind;

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
    requests: Family<RequestLabels, ShardedCounter>,
    latency: Family<ServiceLabels, ShardedHistogram>,
    injected: Family<InjectedLabels, Counter>,
    reloads: Family<ResultLabels, Counter>,
    /// The counter of each label set in the table ([`slot`]) once it has been used (clones
    /// share the family's metrics). Looking a label set up in a hash map of handles hashed
    /// its strings and cost a request ~440 instructions (callgrind, request_cost).
    counters: Box<[OnceLock<ShardedCounter>]>,
    /// The latency histogram of each service in [`SERVICES`] (and [`NO_SERVICE`], last) once
    /// used.
    histograms: Box<[OnceLock<ShardedHistogram>]>,
    /// The counter and histogram of each label set outside the table seen, hashed with
    /// foldhash.
    handles: RwLock<HashMap<RequestLabels, (ShardedCounter, ShardedHistogram), foldhash::fast::RandomState>>,
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
        let requests = Family::<RequestLabels, ShardedCounter>::default();
        registry.register(
            "requests",
            "Exchanges answered, by service, operation, outcome (ok, refused, fault, error) and HTTP status (0: no answer, a dropped or hung connection)",
            requests.clone(),
        );
        let latency = Family::<ServiceLabels, ShardedHistogram>::new_with_constructor(latency_histogram);
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
            counters: (0..SLOTS).map(|_| OnceLock::new()).collect(),
            histograms: (0..=SERVICES.len()).map(|_| OnceLock::new()).collect(),
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
        kind: OutcomeKind,
        status: u16,
        latency: Duration,
    ) {
        let seconds = latency.as_secs_f64();
        let outcome = kind.name();
        let Some((s, op)) = service_index(service).map(|s| (s, operation_index(s, operation))) else {
            return self.unlisted(service, operation, outcome, status, seconds);
        };
        // The outcome's index is the kind's: no text compared.
        let o = kind as usize;
        let Some(st) = status_index(status) else {
            return self.unlisted(service, operation, outcome, status, seconds);
        };
        let service = SERVICES.get(s).map_or(NO_SERVICE, |(name, _)| name);
        let shard = sharded::shard();
        let counter = self.counters[slot(s, op, o, st)].get_or_init(|| {
            let labels = RequestLabels {
                service,
                operation: Cow::Borrowed(operation_name(s, op)),
                outcome,
                status,
            };
            self.requests.get_or_create(&labels).clone()
        });
        counter.inc(shard);
        let histogram =
            self.histograms[s].get_or_init(|| self.latency.get_or_create(&ServiceLabels { service }).clone());
        histogram.observe(shard, seconds);
    }

    /// Counts one exchange whose label set is not in the table.
    fn unlisted(
        &self,
        service: Option<&'static str>,
        operation: Option<&str>,
        outcome: &'static str,
        status: u16,
        seconds: f64,
    ) {
        let service = service.unwrap_or(NO_SERVICE);
        let labels = RequestLabels {
            service,
            operation: operation_label(service, operation),
            outcome,
            status,
        };
        // A poisoned lock only means a panic elsewhere while it was held: the table is whole.
        let shard = sharded::shard();
        let known = self.handles.read().unwrap_or_else(|p| p.into_inner());
        if let Some((counter, histogram)) = known.get(&labels) {
            counter.inc(shard);
            histogram.observe(shard, seconds);
            return;
        }
        drop(known);
        let counter = self.requests.get_or_create(&labels).clone();
        let histogram = self.latency.get_or_create(&ServiceLabels { service }).clone();
        counter.inc(shard);
        histogram.observe(shard, seconds);
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

/// A latency histogram: buckets from 50 µs, doubling, to 6.5536 s, and `+Inf`.
fn latency_histogram() -> ShardedHistogram {
    let mut bounds = [0.0; BUCKETS - 1];
    for (bound, b) in bounds
        .iter_mut()
        .zip(exponential_buckets(0.000_05, 2.0, (BUCKETS - 1) as u16))
    {
        *bound = b;
    }
    ShardedHistogram::new(bounds)
}

/// The operation as a label: a name the service's contract knows (borrowed, no allocation),
/// else `other`, so arbitrary element names cannot grow the label sets without bound.
fn operation_label(service: &'static str, operation: Option<&str>) -> Cow<'static, str> {
    let s = SERVICES
        .iter()
        .position(|(name, _)| *name == service)
        .unwrap_or(SERVICES.len());
    Cow::Borrowed(operation_name(s, operation_index(s, operation)))
}

/// The services and their operations, as the journal names them.
const SERVICES: &[(&str, &[&str])] = &[
    ("SF1472 KontrolsagListeHent", &["KontrolsagListeHent"]),
    ("SF1520 CPR replika opslag v4", &["PersonLookup"]),
    ("SF1520 CPR replika opslag v5", &["PersonLookup"]),
    ("SF1510 Klasse v7", &["laes", "soeg", "list"]),
    ("SF1510 KlassifikationListeHent", &["KlassifikationListeHent"]),
    ("SF1500 Virksomhed v6", &["laes", "soeg", "list"]),
    ("SF1500 Organisation v6", &["laes", "soeg", "list"]),
    ("SF1500 OrganisationEnhed v6", &["laes", "soeg", "list"]),
    ("SF1514 Security Token Service", &["Issue"]),
    ("SF1514 STS, REST (JSON)", &["Issue"]),
    ("SF1514 STS, OAuth (JWT)", &["Issue"]),
];

/// The most operations a service in [`SERVICES`] has.
const MOST_OPERATIONS: usize = 3;
/// The operation labels of a service in the table: `none`, `other`, then its own.
const OPERATION_SLOTS: usize = 2 + MOST_OPERATIONS;
/// The outcomes, as [`OutcomeKind::name`] names them, in the order of [`OutcomeKind::ALL`]
/// (the kind's discriminant is its index).
const OUTCOMES: [&str; 4] = ["ok", "refused", "fault", "error"];
/// The statuses in the table; other statuses are counted through [`Metrics::unlisted`].
const STATUSES: [u16; 12] = [200, 500, 400, 0, 404, 405, 401, 403, 413, 503, 201, 409];
/// The label sets in the table.
const SLOTS: usize = (SERVICES.len() + 1) * OPERATION_SLOTS * OUTCOMES.len() * STATUSES.len();

/// The index of `service` in [`SERVICES`], or [`SERVICES`]`.len()` for none; `None` for a
/// service not listed. The names are compared by address first: the titles are the same
/// static strings.
fn service_index(service: Option<&str>) -> Option<usize> {
    let Some(service) = service else {
        return Some(SERVICES.len());
    };
    SERVICES
        .iter()
        .position(|(name, _)| std::ptr::eq(*name, service))
        .or_else(|| SERVICES.iter().position(|(name, _)| *name == service))
}

/// The operation slot of `operation` for the service at `s` in [`SERVICES`]: 0 for none, 1 for
/// an operation the service does not know (`other`), 2 and on for its own.
fn operation_index(s: usize, operation: Option<&str>) -> usize {
    let Some(op) = operation else {
        return 0;
    };
    let known = SERVICES.get(s).map_or(&[][..], |(_, ops)| ops);
    known
        .iter()
        .position(|o| *o == op || o.eq_ignore_ascii_case(op))
        .map_or(1, |i| i + 2)
}

/// The label of operation slot `op` of the service at `s`.
fn operation_name(s: usize, op: usize) -> &'static str {
    match op {
        0 => "none",
        1 => "other",
        _ => SERVICES
            .get(s)
            .and_then(|(_, ops)| ops.get(op - 2))
            .copied()
            .unwrap_or("other"),
    }
}

fn status_index(status: u16) -> Option<usize> {
    STATUSES.iter().position(|s| *s == status)
}

/// The index in [`Metrics::counters`] of a label set: service, operation slot, outcome and
/// status by their indexes.
fn slot(service: usize, operation: usize, outcome: usize, status: usize) -> usize {
    ((service * OPERATION_SLOTS + operation) * OUTCOMES.len() + outcome) * STATUSES.len() + status
}

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
                OutcomeKind::Fault,
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

    /// The exposition's lines, sorted (a family's label sets come in no fixed order).
    fn lines(m: &Metrics) -> Vec<String> {
        let mut lines: Vec<String> = m.encode(Sizes::default()).lines().map(str::to_owned).collect();
        lines.sort();
        lines
    }

    #[test]
    fn the_table_counts_as_the_label_sets_would() {
        let services: Vec<Option<&'static str>> = crate::services::catalogue::SERVICES
            .iter()
            .map(|e| Some(e.title))
            .chain([None, Some("SF9999 Unlisted")])
            .collect();
        let operations = [
            None,
            Some("KontrolsagListeHent"),
            Some("kontrolsaglistehent"),
            Some("PersonLookup"),
            Some("laes"),
            Some("SOEG"),
            Some("list"),
            Some("Issue"),
            Some("KlassifikationListeHent"),
            Some("Junk"),
        ];
        let (table, map) = (Metrics::new(), Metrics::new());
        let mut n = 0u64;
        for &service in &services {
            for &operation in &operations {
                for outcome in OutcomeKind::ALL {
                    for status in [200, 500, 0, 418] {
                        n += 1;
                        let latency = Duration::from_micros(n % 7 * 100);
                        table.request(service, operation, outcome, status, latency);
                        map.unlisted(service, operation, outcome.name(), status, latency.as_secs_f64());
                    }
                }
            }
        }
        assert_eq!(lines(&table), lines(&map));
        let text = table.encode(Sizes::default());
        for line in [
            r#"sfstub_requests_total{service="SF1472 KontrolsagListeHent",operation="KontrolsagListeHent",outcome="ok",status="200"} 2"#,
            r#"sfstub_requests_total{service="SF1500 Virksomhed v6",operation="soeg",outcome="fault",status="500"} 1"#,
            r#"sfstub_requests_total{service="SF1520 CPR replika opslag v5",operation="other",outcome="error",status="0"} 8"#,
            r#"sfstub_requests_total{service="none",operation="other",outcome="ok",status="418"} 9"#,
            r#"sfstub_requests_total{service="SF9999 Unlisted",operation="none",outcome="refused",status="200"} 1"#,
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
    }

    #[test]
    fn the_table_has_every_service_and_its_operations() {
        for e in crate::services::catalogue::SERVICES {
            assert!(
                service_index(Some(e.title)).is_some_and(|s| s < SERVICES.len()),
                "{}",
                e.title
            );
        }
        assert!(SERVICES.iter().all(|(_, ops)| ops.len() <= MOST_OPERATIONS));
        for kind in OutcomeKind::ALL {
            assert_eq!(OUTCOMES[kind as usize], kind.name());
        }
        assert_eq!(
            slot(
                SERVICES.len(),
                OPERATION_SLOTS - 1,
                OUTCOMES.len() - 1,
                STATUSES.len() - 1
            ),
            SLOTS - 1
        );
    }

    #[test]
    fn repeated_label_sets_count_into_the_registered_metrics() {
        let m = Metrics::new();
        for i in 0..10 {
            let status = if i % 2 == 0 { 200 } else { 500 };
            let outcome = if i % 2 == 0 {
                OutcomeKind::Ok
            } else {
                OutcomeKind::Error
            };
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

    /// Latencies whose seconds are binary fractions (or whole), so that their sum is exact in any
    /// order of adding; from the first bucket to `+Inf`.
    const EXACT: [Duration; 8] = [
        Duration::ZERO,
        Duration::from_micros(62_500),
        Duration::from_millis(125),
        Duration::from_millis(250),
        Duration::from_millis(500),
        Duration::from_secs(1),
        Duration::from_secs(4),
        Duration::from_secs(8),
    ];

    #[test]
    fn requests_recorded_on_many_threads_are_all_counted() {
        const THREADS: usize = 3 * sharded::SHARDS / 2;
        const EACH: usize = 2_000;
        let m = Metrics::new();
        let sf1472 = Some("SF1472 KontrolsagListeHent");
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let m = &m;
                scope.spawn(move || {
                    for i in 0..EACH {
                        let latency = EXACT[(t + i) % EXACT.len()];
                        let (kind, status) = match i % 4 {
                            0 => (OutcomeKind::Error, 500),
                            1 => (OutcomeKind::Fault, 418),
                            _ => (OutcomeKind::Ok, 200),
                        };
                        m.request(sf1472, Some("KontrolsagListeHent"), kind, status, latency);
                    }
                });
            }
        });
        let n = THREADS * EACH;
        // Every thread's latencies go round EXACT, each EACH / EXACT.len() times.
        let per_latency = n / EXACT.len();
        let sum: f64 = EXACT.iter().map(|d| d.as_secs_f64() * per_latency as f64).sum();
        let text = m.encode(Sizes::default());
        let labels = r#"{service="SF1472 KontrolsagListeHent",operation="KontrolsagListeHent""#;
        let service = r#"{service="SF1472 KontrolsagListeHent""#;
        for line in [
            format!(r#"sfstub_requests_total{labels},outcome="ok",status="200"}} {}"#, n / 2),
            format!(
                r#"sfstub_requests_total{labels},outcome="error",status="500"}} {}"#,
                n / 4
            ),
            format!(
                r#"sfstub_requests_total{labels},outcome="fault",status="418"}} {}"#,
                n / 4
            ),
            format!(r#"sfstub_request_duration_seconds_count{service}}} {n}"#),
            format!(r#"sfstub_request_duration_seconds_sum{service}}} {sum:.1}"#),
            // 0 s in the first bucket; 62.5 ms and 125 ms in the one to 0.1024 s and the one to
            // 0.2048 s; 0.25 s and 0.5 s up to 0.8192 s; 1 s to 1.6384 s; 4 s to 6.5536 s.
            format!(r#"sfstub_request_duration_seconds_bucket{service},le="5e-05"}} {per_latency}"#),
            format!(r#"sfstub_request_duration_seconds_bucket{service},le="0.0512"}} {per_latency}"#),
            format!(
                r#"sfstub_request_duration_seconds_bucket{service},le="0.1024"}} {}"#,
                2 * per_latency
            ),
            format!(
                r#"sfstub_request_duration_seconds_bucket{service},le="0.2048"}} {}"#,
                3 * per_latency
            ),
            format!(
                r#"sfstub_request_duration_seconds_bucket{service},le="0.8192"}} {}"#,
                5 * per_latency
            ),
            format!(
                r#"sfstub_request_duration_seconds_bucket{service},le="1.6384"}} {}"#,
                6 * per_latency
            ),
            format!(
                r#"sfstub_request_duration_seconds_bucket{service},le="6.5536"}} {}"#,
                7 * per_latency
            ),
            format!(r#"sfstub_request_duration_seconds_bucket{service},le="+Inf"}} {n}"#),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from {text}");
        }
    }

    #[test]
    fn one_thread_encodes_as_the_crate_counter_and_histogram_did() {
        use prometheus_client::metrics::histogram::Histogram;
        let mut theirs = Registry::with_prefix("sfstub");
        let (their_requests, their_latency) = (
            Family::<RequestLabels, Counter>::default(),
            Family::<ServiceLabels, Histogram>::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
            }),
        );
        theirs.register("requests", "Requests", their_requests.clone());
        theirs.register("request_duration_seconds", "Latency", their_latency.clone());
        let mut ours = Registry::with_prefix("sfstub");
        let (our_requests, our_latency) = (
            Family::<RequestLabels, ShardedCounter>::default(),
            Family::<ServiceLabels, ShardedHistogram>::new_with_constructor(latency_histogram),
        );
        ours.register("requests", "Requests", our_requests.clone());
        ours.register("request_duration_seconds", "Latency", our_latency.clone());
        let labels = RequestLabels {
            service: "SF1472 KontrolsagListeHent",
            operation: Cow::Borrowed("KontrolsagListeHent"),
            outcome: "ok",
            status: 200,
        };
        let service = ServiceLabels {
            service: labels.service,
        };
        let shard = sharded::shard();
        // Latencies of no exact binary fraction, on bounds, between them and past the last.
        let mut nanos = 1u64;
        for i in 0..5_000u64 {
            nanos = nanos
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let seconds = match i % 5 {
                0 => Duration::from_nanos(nanos % 20_000_000_000).as_secs_f64(),
                1 => Duration::from_nanos(nanos % 2_000_000).as_secs_f64(),
                2 => 0.000_05 * 2f64.powi((nanos % 18) as i32),
                3 => Duration::from_nanos(nanos % 200_000).as_secs_f64(),
                _ => Duration::from_micros(nanos % 30).as_secs_f64(),
            };
            their_requests.get_or_create(&labels).inc();
            their_latency.get_or_create(&service).observe(seconds);
            our_requests.get_or_create(&labels).inc(shard);
            our_latency.get_or_create(&service).observe(shard, seconds);
        }
        let encode = |registry: &Registry| {
            let mut out = String::new();
            prometheus_client::encoding::prometheus_text::encode(&mut out, registry).expect("a String takes it");
            out
        };
        let text = encode(&ours);
        assert_eq!(text, encode(&theirs));
        assert!(text.contains("sfstub_request_duration_seconds_count"), "{text}");
    }
}
