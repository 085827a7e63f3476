//! The request journal: every exchange on every endpoint, in a ring bounded by entries and by
//! bytes, queryable through the admin API ([`crate::admin`]), and the tally behind the CI
//! report ([`report`]).
//!
//! Cheap on the hot path: an entry keeps its bodies mostly as deltas on a body of the same
//! path and direction its thread kept whole shortly before (see [`Body`]: a few cache lines
//! of middle instead of ~5 KB), its texts in one buffer, and is written in place into the
//! entry its thread evicted last, from what the request log already has; it is pushed under a
//! `Mutex` taken once, for a push, a tally update and the evictions. Nothing is formatted until
//! a query.

pub mod call;
pub mod entry;
pub mod filter;
pub mod report;
pub mod trace;

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

pub use call::Call;
#[cfg(test)]
pub use entry::Texts;
pub use entry::{BODY_CAP, BaseSlot, Body, Built, Entry, OutcomeKind, Sent};
pub use filter::{Filter, Order};
pub use report::Report;
pub use trace::{Facts, Trace, Verdict};

/// Entries kept by default (`--journal-size`).
pub const DEFAULT_ENTRIES: usize = 10_000;
/// Bytes kept by default (`--journal-bytes`).
pub const DEFAULT_BYTES: usize = 32 * 1024 * 1024;
/// The smallest byte bound accepted: room for several entries with both bodies at the cap.
pub const MIN_BYTES: usize = 1024 * 1024;

thread_local! {
    /// The entry this thread evicted last, to be the next one it records (see
    /// [`Journal::record_with`]): outside every journal's bounds, one a thread. Any journal's
    /// will do (entries are plain data; one a reader still holds is not used).
    static SPARE: Cell<Option<Arc<Entry>>> = const { Cell::new(None) };
}

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

    /// Records an exchange (its `id` is assigned here), keeping a copy of the `texts` as its
    /// target and SOAPAction (the `entry`'s own are not kept) and of the `request` and
    /// `response` bodies as its bodies, and returns the ID: [`Journal::record_with`] for the
    /// tests, which build their entries whole (`serve` writes its exchanges in place).
    #[cfg(test)]
    pub fn record(&self, entry: Entry, texts: Texts<'_>, request: Sent<'_>, response: Sent<'_>) -> Option<u64> {
        self.record_with(|kept| {
            kept.assign(entry);
            texts.write_into(kept);
            kept.request.keep_into(request);
            kept.response.keep_into(response);
        })
    }

    /// [`Journal::record`] with an answer sfstub built ([`Body::keep_built`]).
    #[cfg(test)]
    pub fn record_built(
        &self,
        entry: Entry,
        texts: Texts<'_>,
        request: Sent<'_>,
        response: Built,
        content_type: Option<&http::HeaderValue>,
    ) -> Option<u64> {
        self.record_with(|kept| {
            kept.assign(entry);
            texts.write_into(kept);
            kept.request.keep_into(request);
            kept.response.keep_built(response, content_type);
        })
    }

    /// Records an exchange that `write` writes into the entry's place, and returns its ID
    /// (assigned here, whatever `write` left in `id`).
    ///
    /// The place is an evicted entry, recycled, or a blank one: `write` must set every field.
    /// Once the ring is full, the entry it evicts is recycled as the next one the same thread
    /// records (unless a reader still holds it): its buffers take the next exchange's text and
    /// bodies, so a full journal neither frees nor allocates for an exchange. The entry waits
    /// in a thread-local, outside the lock, so the lock is taken once an exchange (a spare
    /// kept in the journal took it twice: to take the spare, and to push). Freeing an entry written
    /// 10 000 exchanges ago, and allocating from the memory it gave back, touched memory no
    /// cache held any more, and slowed every other allocation of the request path with it.
    /// Writing in place also spares building the entry and moving it twice (into this call,
    /// into its place), and lets its text go into the recycled entry's buffers (~400
    /// instructions; callgrind on examples/request_cost).
    pub fn record_with(&self, write: impl FnOnce(&mut Entry)) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        let spare = SPARE.try_with(|spare| spare.take()).ok().flatten();
        let mut entry = spare
            .and_then(|mut slot| Arc::get_mut(&mut slot).is_some().then_some(slot))
            .unwrap_or_else(|| Arc::new(Entry::blank()));
        let Some(kept) = Arc::get_mut(&mut entry) else {
            unreachable!("a new or recycled entry is not shared")
        };
        write(kept);
        let weight = kept.weight();
        let mut evicted = Vec::new();
        let mut next = None;
        let id = {
            let mut inner = self.lock();
            let id = inner.next_id;
            inner.next_id += 1;
            kept.id = id;
            inner.tally.add(kept);
            inner.entries.push_back((weight, entry));
            inner.bytes += weight;
            while inner.entries.len() > self.config.max_entries
                || (inner.bytes > self.config.max_bytes && inner.entries.len() > 1)
            {
                let Some((old_weight, old)) = inner.entries.pop_front() else {
                    break;
                };
                inner.bytes -= old_weight;
                inner.evicted += 1;
                match next {
                    None => next = Some(old),
                    Some(_) => evicted.push(old),
                }
            }
            id
        };
        // The entry evicted is this thread's next place (whether a reader holds it is known
        // when it is taken); further ones, and a spare a thread ending leaves, are freed here.
        if let Some(old) = next {
            // Its lines fetched now, all at once, while this exchange goes on; the next one
            // written into it found them one after another, each a cache miss (record_with's
            // first touch of it, `Arc::get_mut`, took 35 % of its samples; perf).
            std::hint::black_box(Arc::strong_count(&old) ^ old.touch());
            let _ = SPARE.try_with(|spare| spare.set(Some(old)));
        }
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
    use http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn entry() -> Entry {
        Entry::example(0, "64942212", OutcomeKind::Ok, 200, "1 case(s)")
    }

    /// Records an exchange with a request body of `body` bytes.
    fn record(journal: &Journal, body: usize) -> Option<u64> {
        let sent = vec![b'x'; body];
        let request = Sent {
            bytes: &sent,
            content_type: None,
        };
        let response = Sent {
            bytes: b"",
            content_type: None,
        };
        let texts = Texts {
            target: "/kontrolsaglistehent/1",
            soap_action: None,
        };
        journal.record(entry(), texts, request, response)
    }

    #[test]
    fn the_ring_keeps_its_entry_bound() {
        let journal = Journal::new(Config {
            max_entries: 10,
            max_bytes: DEFAULT_BYTES,
        });
        for _ in 0..25 {
            record(&journal, 10);
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
            record(&journal, 1024 * 1024);
        }
        let stats = journal.stats();
        assert!(stats.bytes <= MIN_BYTES, "{stats:?}");
        assert!(stats.entries >= 10 && stats.entries < 20, "{stats:?}");
        let newest = journal.get(stats.newest.unwrap()).unwrap();
        assert_eq!(newest.request.bytes().len(), BODY_CAP);
        assert_eq!(newest.request.len, 1024 * 1024);
        assert!(newest.request.truncated());
    }

    #[test]
    fn clear_keeps_ids_counting() {
        let journal = Journal::new(Config::default());
        record(&journal, 1);
        record(&journal, 1);
        assert_eq!(journal.clear(), 2);
        assert_eq!(journal.stats().entries, 0);
        assert_eq!(journal.report().exchanges, 0);
        assert_eq!(record(&journal, 1), Some(3));
    }

    /// An exchange of varying shape: caller, token, CPR, IDs, codes, texts, bodies and
    /// content types present or not, short or long.
    fn exchange() -> impl Strategy<Value = (Entry, Vec<u8>, Option<&'static str>)> {
        let text = || "[a-zæøå0-9 /?=-]{0,40}";
        (
            (
                text(),
                proptest::option::of(text()),
                proptest::option::of((text(), text())),
                proptest::option::of(text()),
                0usize..4,
                proptest::collection::vec(text(), 0..3),
            ),
            (
                text(),
                proptest::option::of(text()),
                proptest::collection::vec(any::<u8>(), 0..6000),
                proptest::option::of(prop_oneof![
                    Just("text/xml"),
                    Just("application/soap+xml; charset=utf-8")
                ]),
                any::<bool>(),
            ),
        )
            .prop_map(
                |((target, caller, token, cpr, ids, codes), (text, soap_action, body, content_type, refused))| {
                    let mut e = entry();
                    let soap_action = soap_action.map(|a| HeaderValue::from_str(&a).unwrap());
                    e.set_texts(
                        &format!("/{target}"),
                        caller.as_deref(),
                        soap_action.as_ref(),
                        cpr.as_deref(),
                        &text,
                    );
                    e.facts = Facts {
                        token: token.map(|(cvr, subject)| {
                            Box::new(trace::TokenFacts {
                                cvr,
                                subject,
                                thumbprint: [7; 32],
                                verified: refused,
                            })
                        }),
                        verdict: refused.then(|| trace::Verdict::Rejected {
                            diagnosis: text.clone(),
                        }),
                        ids: (0..ids).map(|i| uuid::Uuid::from_u128(i as u128 + 1)).collect(),
                        codes: codes.clone(),
                        refused,
                    };
                    e.set_rare(codes, Vec::new(), None);
                    (e, body, content_type)
                },
            )
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(200))]

        /// A recycled entry reads as a new one would: nothing of the exchange it held before
        /// is left in it.
        /// A recycled entry reads as a new one would: nothing of the exchange it held before
        /// is left in it, whether its answer was copied or kept as built (`built`: with room
        /// to spare of none, half its length or three times it), before or now.
        #[test]
        fn recycled_entries_read_as_new_ones(
            exchanges in proptest::collection::vec((exchange(), proptest::option::of(0usize..3)), 1..12),
        ) {
            let journal = Journal::new(Config { max_entries: 2, max_bytes: DEFAULT_BYTES });
            for ((e, body, content_type), built) in exchanges {
                let content_type = content_type.map(HeaderValue::from_static);
                let request = Sent { bytes: &body, content_type: content_type.as_ref() };
                let answer = &body[body.len() / 2..];
                let response = Sent { bytes: answer, content_type: content_type.as_ref() };
                let mut expected = e.clone();
                expected.request = Body::keep(request);
                expected.response = Body::keep(response);
                let soap_action = e.soap_action().map(|a| HeaderValue::from_str(a).unwrap());
                let texts = Texts { target: e.target(), soap_action: soap_action.as_ref() };
                let mut given = e.clone();
                // What the journal keeps is the texts, not the entry's own.
                let not_kept = HeaderValue::from_static("not kept");
                given.set_texts("/not/kept", e.caller(), Some(&not_kept), e.cpr(), e.outcome_text());
                let id = match built {
                    None => journal.record(given, texts, request, response),
                    Some(spare) => {
                        let built = built_answer(answer, [0, answer.len() / 2, 3 * answer.len()][spare]);
                        journal.record_built(given, texts, request, built, content_type.as_ref())
                    }
                }
                .unwrap();
                expected.id = id;
                let kept = journal.get(id).unwrap();
                prop_assert_eq!(kept.json(true), expected.json(true));
            }
        }
    }

    /// `answer` as sfstub sends an answer it built: `Bytes` made from a `Vec` with `spare`
    /// bytes of room beyond its length.
    fn built_answer(answer: &[u8], spare: usize) -> Built {
        let mut v = Vec::with_capacity(answer.len() + spare);
        v.extend_from_slice(answer);
        let allocated = v.capacity();
        Built {
            bytes: bytes::Bytes::from(v),
            allocated,
        }
    }

    #[test]
    fn built_answers_are_kept_whole_up_to_the_cap_and_wrap_around_with_the_ring() {
        let journal = Journal::new(Config {
            max_entries: 4,
            max_bytes: DEFAULT_BYTES,
        });
        let texts = Texts {
            target: "/kontrolsaglistehent/1",
            soap_action: None,
        };
        let request = Sent {
            bytes: b"<Envelope/>",
            content_type: None,
        };
        // Answers of every kind in turn, so that each recycled entry held another kind before:
        // text, bytes that are not UTF-8, over the cap, with large room to spare (copied).
        let answer = |i: usize| -> (Vec<u8>, usize) {
            let mut text = format!("<Svar nr=\"{i}\"/>").into_bytes();
            match i % 4 {
                0 => (text, 0),
                1 => {
                    text.extend_from_slice(b"\xE6\xF8\xFF");
                    (text, 4)
                }
                2 => {
                    text.resize(BODY_CAP + 100 + i, b'x');
                    (text, 0)
                }
                _ => (text, 10_000),
            }
        };
        for i in 0..14 {
            let (bytes, spare) = answer(i);
            let id = journal
                .record_built(entry(), texts, request, built_answer(&bytes, spare), None)
                .unwrap();
            assert_eq!(id, i as u64 + 1);
        }
        assert_eq!(journal.stats().oldest, Some(11));
        for id in 11..=14 {
            let (bytes, _) = answer(id as usize - 1);
            let kept = journal.get(id).unwrap();
            let body = &kept.response;
            assert_eq!(body.len, bytes.len(), "{id}");
            assert_eq!(body.bytes(), &bytes[..bytes.len().min(BODY_CAP)], "{id}");
            assert_eq!(body.truncated(), bytes.len() > BODY_CAP, "{id}");
            let copied = Body::keep(Sent {
                bytes: &bytes,
                content_type: None,
            });
            assert_eq!(kept.json(true)["response"], body_json(&copied), "{id}");
        }
        // Not UTF-8: given as base64, as a copy is.
        let odd = journal.get(14).unwrap().json(true);
        assert!(odd["response"]["base64"].is_string(), "{odd}");
        // Cut at the cap: the text up to it.
        let cut = journal.get(11).unwrap().json(true);
        assert_eq!(cut["response"]["truncated"], true);
        assert_eq!(cut["response"]["text"].as_str().map(str::len), Some(BODY_CAP));
    }

    /// The JSON of `body` as an entry gives it (in full).
    fn body_json(body: &Body) -> serde_json::Value {
        let mut e = entry();
        e.response = body.clone();
        e.json(true)["response"].clone()
    }

    #[test]
    fn an_entry_a_reader_holds_is_not_recycled() {
        let journal = Journal::new(Config {
            max_entries: 1,
            max_bytes: DEFAULT_BYTES,
        });
        let id = record(&journal, 10).unwrap();
        let held = journal.get(id).unwrap();
        let before = held.json(true);
        for body in [20, 30, 40] {
            record(&journal, body);
        }
        assert!(journal.get(id).is_none());
        assert_eq!(held.json(true), before);
        assert_eq!(held.request.bytes().len(), 10);
    }

    #[test]
    fn an_off_journal_records_nothing() {
        let journal = Journal::new(Config {
            max_entries: 0,
            max_bytes: DEFAULT_BYTES,
        });
        assert_eq!(record(&journal, 1), None);
        assert_eq!(journal.stats().entries, 0);
    }
}
