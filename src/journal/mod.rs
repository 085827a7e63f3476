//! The request journal: every exchange on every endpoint, in a ring bounded by entries and by
//! bytes, queryable through the admin API ([`crate::admin`]), and the tally behind the CI
//! report ([`report`]).
//!
//! Cheap on the hot path: an entry keeps the request and response bodies as `Bytes` clones
//! (a copy only of bodies cut at [`BODY_CAP`]), is built from what the request log already
//! has, and is pushed under a `Mutex` held for a push, a tally update and the evictions;
//! evicted entries are dropped after the lock is released. Nothing is formatted until a query.

pub mod call;
pub mod entry;
pub mod filter;
pub mod report;
pub mod trace;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

pub use call::Call;
pub use entry::{BODY_CAP, Body, Entry, Outcome, OutcomeKind};
pub use filter::{Filter, Order};
pub use report::Report;
pub use trace::{Facts, Trace, Verdict};

/// Entries kept by default (`--journal-size`).
pub const DEFAULT_ENTRIES: usize = 10_000;
/// Bytes kept by default (`--journal-bytes`).
pub const DEFAULT_BYTES: usize = 32 * 1024 * 1024;
/// The smallest byte bound accepted: room for several entries with both bodies at the cap.
pub const MIN_BYTES: usize = 1024 * 1024;

/// The bounds of a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The most entries kept; 0 turns the journal off.
    pub max_entries: usize,
    /// The most bytes kept (bodies plus an estimate of each entry's other fields).
    pub max_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_entries: DEFAULT_ENTRIES,
            max_bytes: DEFAULT_BYTES,
        }
    }
}

/// The journal.
#[derive(Debug, Default)]
pub struct Journal {
    config: Config,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The entries with their weights (kept here: eviction must not touch a cold entry).
    entries: VecDeque<(usize, Arc<Entry>)>,
    bytes: usize,
    next_id: u64,
    /// Entries dropped to keep the bounds since the last clear.
    evicted: u64,
    tally: report::Tally,
}

/// The journal's size and bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub entries: usize,
    pub bytes: usize,
    pub max_entries: usize,
    pub max_bytes: usize,
    /// Entries dropped to keep the bounds since the last clear.
    pub evicted: u64,
    /// The oldest and newest entry IDs held.
    pub oldest: Option<u64>,
    pub newest: Option<u64>,
}

/// The entries a query selected.
#[derive(Debug)]
pub struct Selection {
    /// How many entries matched, before the limit.
    pub matched: usize,
    pub entries: Vec<Arc<Entry>>,
}

impl Journal {
    /// A journal with these bounds (`max_entries` 0: off).
    pub fn new(config: Config) -> Journal {
        Journal {
            config,
            inner: Mutex::new(Inner {
                next_id: 1,
                ..Inner::default()
            }),
        }
    }

    /// False when the journal is off (`--journal-size 0`).
    pub fn enabled(&self) -> bool {
        self.config.max_entries > 0
    }

    /// The bounds.
    pub fn config(&self) -> Config {
        self.config
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every update is a push,
        // a pop or a counter): keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an exchange (its `id` is assigned here) and returns the ID.
    pub fn record(&self, mut entry: Entry) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        let weight = entry.weight();
        let mut evicted = Vec::new();
        let id = {
            let mut inner = self.lock();
            let id = inner.next_id;
            inner.next_id += 1;
            entry.id = id;
            inner.tally.add(&entry);
            inner.entries.push_back((weight, Arc::new(entry)));
            inner.bytes += weight;
            while inner.entries.len() > self.config.max_entries
                || (inner.bytes > self.config.max_bytes && inner.entries.len() > 1)
            {
                let Some((old_weight, old)) = inner.entries.pop_front() else {
                    break;
                };
                inner.bytes -= old_weight;
                inner.evicted += 1;
                evicted.push(old);
            }
            id
        };
        drop(evicted);
        Some(id)
    }

    /// The entries matching `filter`, ordered, at most `limit` of them.
    pub fn select(&self, filter: &Filter, order: Order, limit: usize) -> Selection {
        let inner = self.lock();
        let mut matched = 0;
        let mut entries = Vec::new();
        let mut take = |(_, e): &(usize, Arc<Entry>)| {
            if filter.matches(e) {
                matched += 1;
                if entries.len() < limit {
                    entries.push(e.clone());
                }
            }
        };
        match order {
            Order::Desc => inner.entries.iter().rev().for_each(&mut take),
            Order::Asc => inner.entries.iter().for_each(&mut take),
        }
        Selection { matched, entries }
    }

    /// How many entries match `filter`.
    pub fn count(&self, filter: &Filter) -> usize {
        self.lock().entries.iter().filter(|(_, e)| filter.matches(e)).count()
    }

    /// The entry with this ID, if the journal still holds it.
    pub fn get(&self, id: u64) -> Option<Arc<Entry>> {
        let inner = self.lock();
        let first = inner.entries.front()?.1.id;
        // IDs are consecutive in the ring (every ID assigned is pushed, evictions pop the front).
        let i = usize::try_from(id.checked_sub(first)?).ok()?;
        inner.entries.get(i).filter(|(_, e)| e.id == id).map(|(_, e)| e.clone())
    }

    /// Forgets every entry and the report's tally; returns how many entries were dropped.
    /// IDs keep counting up.
    pub fn clear(&self) -> usize {
        let (entries, tally) = {
            let mut inner = self.lock();
            inner.bytes = 0;
            inner.evicted = 0;
            (std::mem::take(&mut inner.entries), std::mem::take(&mut inner.tally))
        };
        let n = entries.len();
        drop((entries, tally));
        n
    }

    /// Size and bounds.
    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        Stats {
            entries: inner.entries.len(),
            bytes: inner.bytes,
            max_entries: self.config.max_entries,
            max_bytes: self.config.max_bytes,
            evicted: inner.evicted,
            oldest: inner.entries.front().map(|(_, e)| e.id),
            newest: inner.entries.back().map(|(_, e)| e.id),
        }
    }

    /// The report of every exchange since start or the last clear.
    pub fn report(&self) -> Report {
        self.lock().tally.report()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::*;
    use crate::security::SecurityMode;

    fn entry(body: usize) -> Entry {
        Entry {
            id: 0,
            time: SystemTime::now(),
            method: http::Method::POST,
            target: "/kontrolsaglistehent/1".into(),
            service: Some("SF1472 KontrolsagListeHent"),
            operation: Some("KontrolsagListeHent".into()),
            soap_version: None,
            caller: Some("64942212".into()),
            security: SecurityMode::Off,
            facts: Facts::default(),
            status: 200,
            outcome: Outcome {
                kind: OutcomeKind::Ok,
                text: "1 case(s)".into(),
                codes: vec![],
            },
            latency: Duration::from_micros(50),
            findings: vec![],
            request: Body::keep(&Bytes::from(vec![b'x'; body]), None),
            response: Body::default(),
            soap_action: None,
            injected: None,
        }
    }

    #[test]
    fn the_ring_keeps_its_entry_bound() {
        let journal = Journal::new(Config {
            max_entries: 10,
            max_bytes: DEFAULT_BYTES,
        });
        for _ in 0..25 {
            journal.record(entry(10));
        }
        let stats = journal.stats();
        assert_eq!(
            (stats.entries, stats.oldest, stats.newest, stats.evicted),
            (10, Some(16), Some(25), 15)
        );
        assert!(journal.get(15).is_none());
        assert_eq!(journal.get(16).unwrap().id, 16);
        assert_eq!(journal.get(25).unwrap().id, 25);
        assert!(journal.get(26).is_none());
        // The report still counts every exchange.
        assert_eq!(journal.report().exchanges, 25);
    }

    #[test]
    fn the_ring_keeps_its_byte_bound_and_cuts_large_bodies() {
        let journal = Journal::new(Config {
            max_entries: 1000,
            max_bytes: MIN_BYTES,
        });
        for _ in 0..100 {
            journal.record(entry(1024 * 1024));
        }
        let stats = journal.stats();
        assert!(stats.bytes <= MIN_BYTES, "{stats:?}");
        assert!(stats.entries >= 10 && stats.entries < 20, "{stats:?}");
        let newest = journal.get(stats.newest.unwrap()).unwrap();
        assert_eq!(newest.request.bytes.len(), BODY_CAP);
        assert_eq!(newest.request.len, 1024 * 1024);
        assert!(newest.request.truncated());
    }

    #[test]
    fn clear_keeps_ids_counting() {
        let journal = Journal::new(Config::default());
        journal.record(entry(1));
        journal.record(entry(1));
        assert_eq!(journal.clear(), 2);
        assert_eq!(journal.stats().entries, 0);
        assert_eq!(journal.report().exchanges, 0);
        assert_eq!(journal.record(entry(1)), Some(3));
    }

    #[test]
    fn an_off_journal_records_nothing() {
        let journal = Journal::new(Config {
            max_entries: 0,
            max_bytes: DEFAULT_BYTES,
        });
        assert_eq!(journal.record(entry(1)), None);
        assert_eq!(journal.stats().entries, 0);
    }
}
