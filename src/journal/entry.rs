//! One journal entry: what a client sent, what sfstub answered, and what it found on the way;
//! and its JSON for the admin API.

use std::borrow::Cow;
use std::cell::RefCell;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Method};
use serde_json::{Value, json};

use super::trace::{Facts, Verdict};
use crate::conformance::{Finding, Severity};
use crate::security::SecurityMode;
use crate::soap::SoapVersion;

/// The largest part of each body an entry keeps; the rest is cut (and the entry says so).
pub const BODY_CAP: usize = 64 * 1024;

/// One exchange.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Monotonic, never reused (not even after the journal is cleared).
    pub id: u64,
    /// When the request arrived.
    pub time: SystemTime,
    pub method: Method,
    /// The request target (path and query), the caller's CVR, the request's SOAPAction header,
    /// the CPR number asked about and the outcome's text, one after the other in one buffer
    /// (read through [`Entry::target`], [`Entry::caller`], [`Entry::soap_action`],
    /// [`Entry::cpr`], [`Entry::outcome_text`]; written by [`Entry::set_texts`]). Owned: a clone of the request's `Uri` or header
    /// values would share (and keep alive) the connection's read buffer. One buffer rather
    /// than five `String`s: an entry smaller by four of them and one heap block written an
    /// exchange rather than five, in memory no cache holds any more once the ring is full.
    pub(super) texts: String,
    /// Where each text ends in `texts` (the outcome's at its end), and which are present.
    pub(super) ends: Ends,
    /// The service's title (as in the banner), for requests to a service endpoint.
    pub service: Option<&'static str>,
    /// The operation: the WSDL name when sfstub knows it, else the request element's name.
    pub operation: Option<Cow<'static, str>>,
    pub soap_version: Option<SoapVersion>,
    /// The security mode of the run.
    pub security: SecurityMode,
    /// Token, verdict, CPR number, returned IDs and refusal codes.
    pub facts: Facts,
    pub status: u16,
    pub outcome: OutcomeKind,
    /// The time taken to answer, in nanoseconds ([`Entry::latency`]): half a `Duration`.
    pub(super) latency: u64,
    pub request: Body,
    pub response: Body,
    /// The outcome's codes, the conformance findings and what a fault rule did, when there
    /// are any ([`Entry::codes`], [`Entry::findings`], [`Entry::injected`]; written by
    /// [`Entry::set_rare`]): one box most entries do not have rather than two `Vec`s and an
    /// `Option` in every entry, whose lines a recycled entry's next exchange wrote (a cache
    /// miss each, in memory written 10 000 exchanges ago).
    pub(super) rare: Option<Box<Rare>>,
}

/// What few exchanges have (see [`Entry::set_rare`]).
#[derive(Debug, Clone, Default)]
pub(super) struct Rare {
    /// FejlIds, StatusKode, fault codes.
    codes: Vec<String>,
    findings: Vec<Finding>,
    /// What a fault rule did to the answer, if one fired.
    injected: Option<crate::faults::effect::Injected>,
}

impl Rare {
    /// Its part of [`Entry::weight`].
    fn weight(&self) -> usize {
        std::mem::size_of::<Rare>()
            + self.injected.as_ref().map_or(0, |i| i.rule.len() + i.text.len())
            + self.codes.iter().map(|c| c.len() + 24).sum::<usize>()
            + self
                .findings
                .iter()
                .map(|f| std::mem::size_of::<Finding>() + f.message.len() + f.path.as_ref().map_or(0, String::len))
                .sum::<usize>()
    }
}

impl Entry {
    /// An entry of nothing yet: the room a new exchange is written into when no evicted
    /// entry is there to be recycled (see [`super::Journal::record_with`]).
    pub fn blank() -> Entry {
        Entry {
            id: 0,
            time: SystemTime::UNIX_EPOCH,
            method: Method::GET,
            texts: String::new(),
            ends: Ends::default(),
            service: None,
            operation: None,
            soap_version: None,
            security: SecurityMode::default(),
            facts: Facts::default(),
            status: 0,
            outcome: OutcomeKind::Ok,
            latency: 0,
            request: Body::default(),
            response: Body::default(),
            rare: None,
        }
    }

    /// The time taken to answer.
    pub fn latency(&self) -> Duration {
        Duration::from_nanos(self.latency)
    }

    /// Sets the time taken to answer (at most ~584 years).
    pub fn set_latency(&mut self, latency: Duration) {
        self.latency = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
    }

    /// The outcome's codes: FejlIds, StatusKode, fault codes.
    pub fn codes(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |r| &r.codes)
    }

    /// The conformance findings.
    pub fn findings(&self) -> &[Finding] {
        self.rare.as_ref().map_or(&[], |r| &r.findings)
    }

    /// What a fault rule did to the answer, if one fired.
    pub fn injected(&self) -> Option<&crate::faults::effect::Injected> {
        self.rare.as_ref().and_then(|r| r.injected.as_ref())
    }

    /// Makes the outcome's codes, the findings and what a fault rule did these: kept in a box
    /// only when there is any of them (see [`Entry::rare`](Entry#structfield.rare)).
    pub fn set_rare(
        &mut self,
        codes: Vec<String>,
        findings: Vec<Finding>,
        injected: Option<crate::faults::effect::Injected>,
    ) {
        if codes.is_empty() && findings.is_empty() && injected.is_none() {
            self.rare = None;
        } else {
            self.rare = Some(Box::new(Rare {
                codes,
                findings,
                injected,
            }));
        }
    }

    /// Makes the entry's texts these (see [`Entry::texts`](Entry#structfield.texts)), reusing
    /// its buffer (a recycled entry's) unless that is much larger than needed. A SOAPAction
    /// that is not UTF-8 is kept lossily.
    pub fn set_texts(
        &mut self,
        target: &str,
        caller: Option<&str>,
        soap_action: Option<&HeaderValue>,
        cpr: Option<&str>,
        outcome: &str,
    ) {
        let soap_action = soap_action.map(|v| String::from_utf8_lossy(v.as_bytes()));
        let len = |text: Option<&str>| text.map_or(0, str::len);
        let needed = target.len() + len(caller) + len(soap_action.as_deref()) + len(cpr) + outcome.len();
        if self.texts.capacity() > 4 * needed.max(64) {
            self.texts = String::new();
        }
        self.texts.clear();
        self.texts.reserve(needed);
        // An end past u32::MAX (4 GiB of request head: hyper reads at most ~400 KiB) would read
        // as u32::MAX, and a text from there as empty: never a panic.
        let end = |texts: &String| u32::try_from(texts.len()).unwrap_or(u32::MAX);
        self.texts.push_str(target);
        let target = end(&self.texts);
        self.texts.push_str(caller.unwrap_or(""));
        let caller_end = end(&self.texts);
        self.texts.push_str(soap_action.as_deref().unwrap_or(""));
        let soap_action_end = end(&self.texts);
        self.texts.push_str(cpr.unwrap_or(""));
        self.ends = Ends {
            target,
            caller: caller_end,
            soap_action: soap_action_end,
            cpr: end(&self.texts),
            has_caller: caller.is_some(),
            has_soap_action: soap_action.is_some(),
            has_cpr: cpr.is_some(),
        };
        self.texts.push_str(outcome);
    }

    /// The text of `texts` from the end `from` to the end `to` (`None`: its end).
    fn text(&self, from: u32, to: Option<u32>) -> &str {
        let from = from as usize;
        let text = match to {
            Some(to) => self.texts.get(from..to as usize),
            None => self.texts.get(from..),
        };
        text.unwrap_or_default()
    }

    /// The request target: path and query.
    pub fn target(&self) -> &str {
        self.text(0, Some(self.ends.target))
    }

    /// The caller's CVR, as the security layer established it.
    pub fn caller(&self) -> Option<&str> {
        let Ends { target, caller, .. } = self.ends;
        self.ends.has_caller.then(|| self.text(target, Some(caller)))
    }

    /// The request's SOAPAction header.
    pub fn soap_action(&self) -> Option<&str> {
        let Ends {
            caller, soap_action, ..
        } = self.ends;
        self.ends.has_soap_action.then(|| self.text(caller, Some(soap_action)))
    }

    /// The CPR number the request asked about, as sent (trimmed).
    pub fn cpr(&self) -> Option<&str> {
        let Ends { soap_action, cpr, .. } = self.ends;
        self.ends.has_cpr.then(|| self.text(soap_action, Some(cpr)))
    }

    /// The outcome's text: the request log's.
    pub fn outcome_text(&self) -> &str {
        self.text(self.ends.cpr, None)
    }

    /// An SF1472 exchange by `caller` for the journal's tests: `status`, an outcome of `kind`
    /// with the text `text`, no findings, empty bodies.
    #[cfg(test)]
    pub(crate) fn example(id: u64, caller: &str, kind: OutcomeKind, status: u16, text: &str) -> Entry {
        let mut e = Entry {
            id,
            time: SystemTime::now(),
            method: Method::POST,
            texts: String::new(),
            ends: Ends::default(),
            service: Some("SF1472 KontrolsagListeHent"),
            operation: Some("KontrolsagListeHent".into()),
            soap_version: None,
            security: SecurityMode::Off,
            facts: Facts::default(),
            status,
            outcome: kind,
            latency: 50_000,
            request: Body::default(),
            response: Body::default(),
            rare: None,
        };
        e.set_texts("/kontrolsaglistehent/1", Some(caller), None, None, text);
        e
    }
}

/// Where an entry's texts end in its buffer (see [`Entry::texts`](Entry#structfield.texts)).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Ends {
    target: u32,
    caller: u32,
    soap_action: u32,
    cpr: u32,
    has_caller: bool,
    has_soap_action: bool,
    has_cpr: bool,
}

/// The request's texts the tests' [`super::Journal::record`] keeps a copy of (`serve` writes
/// them with [`Entry::set_texts`]).
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    /// The request target: path and query.
    pub target: &'a str,
    /// The request's SOAPAction header.
    pub soap_action: Option<&'a HeaderValue>,
}

#[cfg(test)]
impl Texts<'_> {
    /// Makes `entry`'s target and SOAPAction these, its other texts kept.
    pub fn write_into(self, entry: &mut Entry) {
        let caller = entry.caller().map(str::to_owned);
        let cpr = entry.cpr().map(str::to_owned);
        let outcome = entry.outcome_text().to_owned();
        entry.set_texts(
            self.target,
            caller.as_deref(),
            self.soap_action,
            cpr.as_deref(),
            &outcome,
        );
    }
}

/// A body as kept: at most [`BODY_CAP`] bytes of it, whole or as a delta on a body kept
/// earlier.
///
/// Clients send the same shapes of request again and again (same path, same envelope, a new
/// TransaktionsId and time), and sfstub's answers to them differ in a few bytes. A body of the
/// same direction and path as one kept whole earlier (its *base*: a few per thread, see
/// [`BaseSlot`]) is kept as that base's `Bytes`, how many bytes it shares with it at the start
/// and at the end, and its own middle bytes, copied into the entry's own buffer: an exchange
/// writes one to three cache lines of memory the journal keeps rather than ~80, and the
/// answer sfstub sent goes back to the allocator while it is still in cache. A body that
/// shares too little with its base (a middle of more than half of it, or of more than
/// [`MAX_MIDDLE`] bytes) is kept whole, and becomes the base of its slot; a base is never a
/// delta. [`Body::bytes`] gives the whole body back either way.
///
/// What bounds memory: a whole body is counted in [`Entry::weight`] as before (a copy's
/// capacity, a shared answer's length); a delta its middle's buffer and [`DELTA_WEIGHT`], not
/// its base. A base is some entry's whole body, counted with that entry while the journal holds
/// it; what is not counted is a base whose own entry was evicted while deltas on it (younger:
/// the ring evicts in order) or its slot still hold it: at most one a slot ([`SLOTS`]) a thread
/// that records exchanges, each of at most [`BODY_CAP`] bytes (in an allocation of at most
/// twice that, see [`Body::keep_built`]).
#[derive(Debug, Clone, Default)]
pub struct Body {
    kept: Kept,
    /// The whole body's length.
    pub len: usize,
    /// Boxed, not a `String`: the room of [`Kept`]'s shared answer, so that an entry is no
    /// larger than it was with copies only, and the byte bound keeps as many entries.
    pub content_type: Option<Box<str>>,
}

/// The bytes a [`Body`] keeps.
#[derive(Debug, Clone)]
enum Kept {
    /// A copy, in the entry's own buffer.
    Copied(Vec<u8>),
    /// A body kept whole as `Bytes`: an answer sfstub built, the `Bytes` it sent (see
    /// [`Built`]), or a copy made a base.
    Shared(Bytes),
    /// `base[..head]`, then `middle` (in the entry's own buffer), then the last `tail` bytes of
    /// `base`; `head + tail <= base.len()`.
    Delta {
        base: Bytes,
        middle: Vec<u8>,
        head: u32,
        tail: u32,
    },
}

impl Default for Kept {
    fn default() -> Self {
        Kept::Copied(Vec::new())
    }
}

/// A delta's middle larger than this keeps the body whole instead.
pub const MAX_MIDDLE: usize = 2048;

/// What a delta counts for its share of its base in [`Entry::weight`], beyond its middle.
pub const DELTA_WEIGHT: usize = 32;

/// Bodies shorter than this are kept whole and are no base: too short to gain from a delta, and
/// mostly a short error answer that would push the base of the path's usual answer out.
const MIN_BASE: usize = 64;

/// The base slots of a thread: [`SLOTS`] / 2 for each direction.
pub const SLOTS: usize = 16;

thread_local! {
    /// This thread's bases, by [`BaseSlot`]: of the thread, so that finding and changing one
    /// takes no lock and writes no memory another core reads.
    static BASES: RefCell<[Base; SLOTS]> = const { RefCell::new([const { Base::NONE }; SLOTS]) };
}

/// A base, with where the last body compared with it differed from it: the next one mostly
/// differs there too, so the search starts there (see [`shared`]).
#[derive(Debug, Clone, Default)]
struct Base {
    whole: Option<Bytes>,
    /// The head and tail shared with the last body compared.
    head: usize,
    tail: usize,
    /// The serial of the template of [`crate::memo`] whose text the base, a request, is byte
    /// for byte ([`Body::keep_fitting`]).
    same_as: Option<u64>,
}

impl Base {
    const NONE: Base = Base {
        whole: None,
        head: 0,
        tail: 0,
        same_as: None,
    };
}

/// Which of a thread's bases a body is compared with: by the request's path and the body's
/// direction (a hash of the path; two paths that share a slot only share a base less often).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseSlot(usize);

impl BaseSlot {
    /// The slot of the request bodies sent to `path`.
    ///
    /// The path is hashed a word at a time (its last word overlapping the one before when its
    /// length is not a multiple of 8), each step a multiply by 2^64 / φ, the slot taken from
    /// high bits of the last product, which every bit of the path reaches: FNV-1a a byte at a
    /// time cost an SF1472 path ~80 instructions (callgrind on examples/request_cost).
    pub fn request(path: &str) -> BaseSlot {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let bytes = path.as_bytes();
        let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ bytes.len() as u64;
        if bytes.len() >= 8 {
            let mut words = bytes.chunks_exact(8);
            for w in &mut words {
                hash = (hash.rotate_left(23) ^ word(w)).wrapping_mul(K);
            }
            if !words.remainder().is_empty() {
                hash = (hash.rotate_left(23) ^ word(&bytes[bytes.len() - 8..])).wrapping_mul(K);
            }
        } else {
            for &b in bytes {
                hash = (hash.rotate_left(23) ^ u64::from(b)).wrapping_mul(K);
            }
        }
        BaseSlot((hash >> 56) as usize % (SLOTS / 2) * 2)
    }

    /// The slot of the answers to the requests of [`BaseSlot::request`]'s slot.
    pub fn response(self) -> BaseSlot {
        BaseSlot(self.0 | 1)
    }
}

/// Forgets this thread's bases (the tests').
#[cfg(test)]
pub(crate) fn forget_bases() {
    BASES.with_borrow_mut(|bases| *bases = [const { Base::NONE }; SLOTS]);
}

/// A body as the exchange carried it, before the journal keeps its copy.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub bytes: &'a [u8],
    pub content_type: Option<&'a HeaderValue>,
}

/// An answer body sfstub built and sent, with the size of the allocation it lies in (the
/// capacity of the `Vec` it was made from): what lets the journal keep the `Bytes` itself, a
/// reference count, rather than a copy (see [`Body::keep_built`]).
#[derive(Debug, Clone)]
pub struct Built {
    pub bytes: Bytes,
    pub allocated: usize,
}

impl Body {
    /// Keeps a copy of `body`'s first [`BODY_CAP`] bytes.
    ///
    /// A copy, not a `Bytes` clone: a request body is a slice of the connection's read buffer
    /// (hundreds of KiB once a large request has passed), and a clone would keep the whole
    /// buffer alive for as long as the entry: the journal's byte bound would not bound memory.
    /// Copying at most 64 KiB costs less than parsing the envelope did. An answer sfstub built
    /// itself is another matter: see [`Body::keep_built`].
    pub fn keep(sent: Sent<'_>) -> Body {
        let mut body = Body::default();
        body.keep_into(sent);
        body
    }

    /// Keeps a copy of `sent` in this body's own buffer, reusing its capacity (a recycled
    /// entry's) unless that is more than twice what is needed.
    pub fn keep_into(&mut self, sent: Sent<'_>) {
        let kept = &sent.bytes[..sent.bytes.len().min(BODY_CAP)];
        let buffer = match &mut self.kept {
            Kept::Copied(buffer) if buffer.capacity() <= 2 * kept.len().max(4096) => buffer,
            other => {
                *other = Kept::Copied(Vec::new());
                let Kept::Copied(buffer) = other else {
                    unreachable!("just made a copy")
                };
                buffer
            }
        };
        buffer.clear();
        buffer.extend_from_slice(kept);
        self.len = sent.bytes.len();
        self.set_content_type(sent.content_type);
    }

    /// Keeps `built`, an answer sfstub built and sent: the `Bytes` itself when its allocation
    /// holds no large spare room (at most twice its length) and it is not cut; else a copy
    /// ([`Body::keep_into`]).
    ///
    /// Such an answer's allocation holds that answer alone (no read buffer behind it), so the
    /// entry holding it keeps no more than twice the bytes [`Entry::weight`] counts for it
    /// (its length, what a copy would hold, so the same entries are kept as with copies): the
    /// journal's byte bound still bounds memory, within that factor for the answers kept so.
    /// Keeping an SF1472 answer of 2.3 KB cost `http::handle` 347 instructions as a copy, 168
    /// so, of which ~100 free the older answer the recycled entry held (a copied answer was
    /// freed as well, once sent, outside `handle`); callgrind on examples/request_cost.
    pub fn keep_built(&mut self, built: Built, content_type: Option<&HeaderValue>) {
        let len = built.bytes.len();
        if len > BODY_CAP || built.allocated > 2 * len {
            return self.keep_into(Sent {
                bytes: &built.bytes,
                content_type,
            });
        }
        self.kept = Kept::Shared(built.bytes);
        self.len = len;
        self.set_content_type(content_type);
    }

    /// Keeps `sent` (a request body: copied, see [`Body::keep`]) as a delta on the base in
    /// `slot` when it shares enough with it; else whole, a copy made `Bytes` (reusing this
    /// body's own buffer when it fits), which becomes that base.
    pub fn keep_similar(&mut self, sent: Sent<'_>, slot: BaseSlot) {
        self.keep_fitting(sent, None, slot);
    }

    /// [`Body::keep_similar`] for a request that is the text of a template of [`crate::memo`]
    /// byte for byte (`same_as`: the template's serial, see [`crate::memo::Recalled::same_as`]):
    /// when the base is that template's text too, the request is the same bytes, which are not
    /// compared (an SF1472 request sent again and again: ~800 bytes, ~130 instructions;
    /// callgrind on examples/request_cost).
    pub fn keep_fitting(&mut self, sent: Sent<'_>, same_as: Option<u64>, slot: BaseSlot) {
        let kept = &sent.bytes[..sent.bytes.len().min(BODY_CAP)];
        if kept.len() < MIN_BASE {
            return self.keep_into(sent);
        }
        // (A template's text is never cut: one cut is not its text.)
        let same_as = same_as.filter(|_| kept.len() == sent.bytes.len());
        if !self.keep_delta(kept, slot, same_as) {
            let mut buffer = self.take_buffer(kept.len(), kept.len());
            buffer.extend_from_slice(kept);
            let whole = Bytes::from(buffer);
            set_base(slot, whole.clone(), same_as);
            self.kept = Kept::Shared(whole);
        }
        self.len = sent.bytes.len();
        self.set_content_type(sent.content_type);
    }

    /// Keeps `built`, an answer sfstub built and sent, as a delta on the base in `slot` when
    /// it shares enough with it (the answer itself is then not kept: it goes back to the
    /// allocator once sent); else as [`Body::keep_built`] does, and when that keeps the
    /// `Bytes` itself, it becomes that base.
    pub fn keep_built_similar(&mut self, built: Built, content_type: Option<&HeaderValue>, slot: BaseSlot) {
        let len = built.bytes.len();
        let kept = &built.bytes[..len.min(BODY_CAP)];
        if kept.len() >= MIN_BASE && self.keep_delta(kept, slot, None) {
            self.len = len;
            return self.set_content_type(content_type);
        }
        self.keep_built(built, content_type);
        if let Kept::Shared(whole) = &self.kept
            && whole.len() >= MIN_BASE
        {
            set_base(slot, whole.clone(), None);
        }
    }

    /// Keeps `kept` as a delta on the base in `slot`, if there is one and `kept` shares enough
    /// with it; says whether it did (`len` and the content type are the caller's). `same_as`:
    /// the template whose text `kept` is, if known (see [`Body::keep_fitting`]).
    fn keep_delta(&mut self, kept: &[u8], slot: BaseSlot, same_as: Option<u64>) -> bool {
        // No bases (the thread is ending): kept whole.
        let bases = BASES.try_with(|bases| {
            let Ok(mut bases) = bases.try_borrow_mut() else {
                return false;
            };
            let Base {
                whole: Some(base),
                head: hint_head,
                tail: hint_tail,
                same_as: base_same_as,
            } = &mut bases[slot.0]
            else {
                return false;
            };
            let (head, tail) = match (same_as, *base_same_as) {
                // The text of one template, both: the same bytes. (Each is that text or, when a
                // byte order mark was dropped before it was compared, the mark and that text:
                // of the same length, both are the same one of them.)
                (Some(mine), Some(its)) if mine == its && kept.len() == base.len() => (kept.len(), 0),
                // A base not known to be a template's text gives way to a request that is:
                // kept whole, it becomes the base, and the next such requests are not compared.
                (Some(_), None) => return false,
                _ => shared(base, kept, (*hint_head, *hint_tail)),
            };
            (*hint_head, *hint_tail) = (head, tail);
            let middle = &kept[head..kept.len() - tail];
            if middle.len() > kept.len() / 2 || middle.len() > MAX_MIDDLE {
                return false;
            }
            // Both at most BODY_CAP.
            let (head, tail) = (head as u32, tail as u32);
            // A recycled entry mostly held a delta on the same base already: written in place,
            // its buffer reused as `take_buffer` would, its base kept when it is this one (the
            // same bytes, both alive), not cloned and the old one dropped.
            if let Kept::Delta {
                base: held,
                middle: buffer,
                head: held_head,
                tail: held_tail,
            } = &mut self.kept
                && reusable(buffer.capacity(), middle.len(), 64)
            {
                if !(held.as_ptr() == base.as_ptr() && held.len() == base.len()) {
                    *held = base.clone();
                }
                buffer.clear();
                buffer.extend_from_slice(middle);
                (*held_head, *held_tail) = (head, tail);
                return true;
            }
            let mut buffer = self.take_buffer(middle.len(), 64);
            buffer.extend_from_slice(middle);
            self.kept = Kept::Delta {
                base: base.clone(),
                middle: buffer,
                head,
                tail,
            };
            true
        });
        bases.unwrap_or(false)
    }

    /// This body's own buffer, emptied, when its capacity is at least `need` and at most twice
    /// `room`, the larger of `need` and `least` rounded up to 64 bytes (so that what
    /// [`Entry::weight`] counts stays near what is kept); else a new one of capacity `room`.
    /// What the body kept is gone.
    fn take_buffer(&mut self, need: usize, least: usize) -> Vec<u8> {
        let buffer = match std::mem::take(&mut self.kept) {
            Kept::Copied(buffer) | Kept::Delta { middle: buffer, .. } => buffer,
            Kept::Shared(_) => Vec::new(),
        };
        if reusable(buffer.capacity(), need, least) {
            let mut buffer = buffer;
            buffer.clear();
            buffer
        } else {
            Vec::with_capacity(need.max(least).next_multiple_of(64))
        }
    }

    /// Sets the content type (not UTF-8: lossily). A recycled entry mostly holds the same one
    /// already (every answer of a service has the same): then it is only compared.
    fn set_content_type(&mut self, content_type: Option<&HeaderValue>) {
        match content_type {
            Some(value) if self.content_type.as_deref().map(str::as_bytes) == Some(value.as_bytes()) => {}
            Some(value) => self.content_type = Some(String::from_utf8_lossy(value.as_bytes()).into()),
            None => self.content_type = None,
        }
    }

    /// The bytes kept: the body's first [`BODY_CAP`] bytes (put together anew for a delta).
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match &self.kept {
            Kept::Copied(bytes) => Cow::Borrowed(bytes),
            Kept::Shared(bytes) => Cow::Borrowed(bytes),
            Kept::Delta {
                base,
                middle,
                head,
                tail,
            } => {
                let (head, tail) = (*head as usize, *tail as usize);
                let mut whole = Vec::with_capacity(head + middle.len() + tail);
                whole.extend_from_slice(&base[..head]);
                whole.extend_from_slice(middle);
                whole.extend_from_slice(&base[base.len() - tail..]);
                Cow::Owned(whole)
            }
        }
    }

    /// [`Body::bytes`] as `Bytes`: a body kept whole as `Bytes` is not copied.
    pub fn to_bytes(&self) -> Bytes {
        match &self.kept {
            Kept::Shared(bytes) => bytes.clone(),
            _ => Bytes::from(self.bytes().into_owned()),
        }
    }

    /// How many bytes are kept: the length of [`Body::bytes`].
    pub fn kept_len(&self) -> usize {
        match &self.kept {
            Kept::Copied(bytes) => bytes.len(),
            Kept::Shared(bytes) => bytes.len(),
            Kept::Delta { middle, head, tail, .. } => *head as usize + middle.len() + *tail as usize,
        }
    }

    /// The bytes the body holds for the journal's byte bound: a copy's capacity, a shared
    /// answer's length (see [`Body::keep_built`]), a delta's middle's capacity and
    /// [`DELTA_WEIGHT`] (its base is counted as the whole body of its own entry; see [`Body`]).
    fn held(&self) -> usize {
        match &self.kept {
            Kept::Copied(bytes) => bytes.capacity(),
            Kept::Shared(bytes) => bytes.len(),
            Kept::Delta { middle, .. } => middle.capacity() + DELTA_WEIGHT,
        }
    }

    /// A word of the body and the first bytes of its own buffers (see [`Entry::touch`]).
    fn touch(&self) -> usize {
        let first = |bytes: &[u8]| bytes.first().map_or(0, |&b| usize::from(b));
        let kept = match &self.kept {
            Kept::Copied(buffer) | Kept::Delta { middle: buffer, .. } => first(buffer),
            Kept::Shared(bytes) => bytes.len(),
        };
        kept ^ self.len ^ self.content_type.as_deref().map_or(0, |c| first(c.as_bytes()))
    }

    /// True when the body was cut.
    pub fn truncated(&self) -> bool {
        self.kept_len() < self.len
    }

    fn json(&self, full: bool) -> Value {
        let mut v = json!({
            "bytes": self.len,
            "truncated": self.truncated(),
            "content_type": self.content_type,
        });
        if full {
            let bytes = self.bytes();
            match std::str::from_utf8(&bytes) {
                Ok(text) => v["text"] = json!(text),
                // A cut inside a UTF-8 sequence, or not text at all.
                Err(e) if self.truncated() && e.error_len().is_none() => {
                    v["text"] = json!(String::from_utf8_lossy(&bytes[..e.valid_up_to()]))
                }
                Err(_) => {
                    use base64::Engine;
                    v["base64"] = json!(base64::engine::general_purpose::STANDARD.encode(&bytes))
                }
            }
        }
        v
    }
}

/// Makes `whole` the base in `slot` (`same_as`: the template whose text it is, if known).
fn set_base(slot: BaseSlot, whole: Bytes, same_as: Option<u64>) {
    // The base it replaces is dropped after the borrow ends.
    let _old = BASES.try_with(|bases| {
        let mut bases = bases.try_borrow_mut().ok()?;
        let base = &mut bases[slot.0];
        (base.head, base.tail) = (0, 0);
        base.same_as = same_as;
        base.whole.replace(whole)
    });
}

/// Whether a buffer of `capacity` is reused for `need` bytes (see [`Body::take_buffer`]): at
/// least `need`, at most twice the larger of `need` and `least` rounded up to 64 bytes.
fn reusable(capacity: usize, need: usize, least: usize) -> bool {
    (need..=2 * need.max(least).next_multiple_of(64)).contains(&capacity)
}

/// How many bytes `base` and `body` share at the start, and then at the end of what is left of
/// both (so `head + tail` is at most the shorter one's length), the search starting from
/// `hint`, the head and tail the last body compared with `base` shared with it.
///
/// Linear in what they share, and cheap: what the hint says is shared compared at once
/// (`==`, memcmp), then the bytes after it a word at a time; past 64 bytes, runs of doubling
/// length compared at once, the differing run narrowed by halves and then by words. A body
/// that shares nothing, or less than the hint, costs no more than one that shares all.
///
/// A body that shares exactly the hint's head (or tail) with `base`, as the next body of a
/// client mostly does, is told so by one compare of the byte after it and one of the bytes
/// it covers ([`is_shared_head`], [`is_shared_tail`]), and the search is not set up at all
/// (~160 instructions less for an SF1472 request and its answer; callgrind on
/// examples/request_cost).
fn shared(base: &[u8], body: &[u8], hint: (usize, usize)) -> (usize, usize) {
    let n = base.len().min(body.len());
    let (a, b) = (&base[..n], &body[..n]);
    let head = if is_shared_head(a, b, hint.0) {
        hint.0
    } else {
        shared_head(a, b, hint.0)
    };
    let (base, body) = (&base[head..], &body[head..]);
    let n = base.len().min(body.len());
    let (a, b) = (&base[base.len() - n..], &body[body.len() - n..]);
    let tail = if is_shared_tail(a, b, hint.1) {
        hint.1
    } else {
        shared_tail(a, b, hint.1)
    };
    (head, tail)
}

/// Whether `a` and `b` (of the same length) share exactly `head` bytes at the start: the byte
/// after them differs, or there is none, and they are the same (the byte first: a body the
/// hint does not fit mostly shows it there, before the compare of all of them).
fn is_shared_head(a: &[u8], b: &[u8], head: usize) -> bool {
    match (a.get(head), b.get(head)) {
        (Some(x), Some(y)) if x == y => false,
        _ => head <= a.len() && a[..head] == b[..head],
    }
}

/// Whether `a` and `b` (of the same length) share exactly `tail` bytes at the end:
/// [`is_shared_head`] from the end.
fn is_shared_tail(a: &[u8], b: &[u8], tail: usize) -> bool {
    let Some(start) = a.len().checked_sub(tail) else {
        return false;
    };
    match start.checked_sub(1).map(|i| (a[i], b[i])) {
        Some((x, y)) if x == y => false,
        _ => a[start..] == b[start..],
    }
}

/// How many bytes `a` and `b` (of the same length) share at the start, trying `hint` first.
fn shared_head(a: &[u8], b: &[u8], hint: usize) -> usize {
    let n = a.len();
    let hint = hint.min(n);
    let mut at = if hint > 0 && a[..hint] == b[..hint] { hint } else { 0 };
    // A word at a time over the next 64 bytes.
    let end = (at + 64).min(n);
    if let Some(i) = first_difference(&a[at..end], &b[at..end]) {
        return at + i;
    }
    at = end;
    // Runs of doubling length while they are the same: at most log(n) compares.
    let mut run = 128;
    let mut end = loop {
        if at == n {
            return n;
        }
        let end = (at + run).min(n);
        if a[at..end] != b[at..end] {
            break end;
        }
        at = end;
        run *= 2;
    };
    // The differing run halved down to 64 bytes, then a word at a time.
    while end - at > 64 {
        let half = at + (end - at) / 2;
        if a[at..half] == b[at..half] {
            at = half;
        } else {
            end = half;
        }
    }
    at + first_difference(&a[at..end], &b[at..end]).unwrap_or(end - at)
}

/// How many bytes `a` and `b` (of the same length) share at the end, trying `hint` first:
/// [`shared_head`] from the end.
fn shared_tail(a: &[u8], b: &[u8], hint: usize) -> usize {
    let n = a.len();
    let hint = hint.min(n);
    let mut shared = if hint > 0 && a[n - hint..] == b[n - hint..] {
        hint
    } else {
        0
    };
    let most = (shared + 64).min(n);
    if let Some(i) = last_difference(&a[n - most..n - shared], &b[n - most..n - shared]) {
        return shared + i;
    }
    shared = most;
    let mut run = 128;
    let mut most = loop {
        if shared == n {
            return n;
        }
        let most = (shared + run).min(n);
        if a[n - most..n - shared] != b[n - most..n - shared] {
            break most;
        }
        shared = most;
        run *= 2;
    };
    while most - shared > 64 {
        let half = shared + (most - shared) / 2;
        if a[n - half..n - shared] == b[n - half..n - shared] {
            shared = half;
        } else {
            most = half;
        }
    }
    shared + last_difference(&a[n - most..n - shared], &b[n - most..n - shared]).unwrap_or(most - shared)
}

/// Where `a` and `b` (of the same length) first differ, if they do; a word at a time.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (i, (x, y)) in wa.by_ref().zip(wb.by_ref()).enumerate() {
        let x = word(x) ^ word(y);
        if x != 0 {
            return Some(8 * i + (x.trailing_zeros() / 8) as usize);
        }
    }
    let done = a.len() - wa.remainder().len();
    let mut rest = wa.remainder().iter().zip(wb.remainder());
    rest.position(|(x, y)| x != y).map(|i| done + i)
}

/// How many bytes `a` and `b` (of the same length) share at the end when they differ; a word
/// at a time.
fn last_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let (mut wa, mut wb) = (a.rchunks_exact(8), b.rchunks_exact(8));
    for (i, (x, y)) in wa.by_ref().zip(wb.by_ref()).enumerate() {
        let x = word(x) ^ word(y);
        if x != 0 {
            return Some(8 * i + (x.leading_zeros() / 8) as usize);
        }
    }
    let done = a.len() - wa.remainder().len();
    let mut rest = wa.remainder().iter().rev().zip(wb.remainder().iter().rev());
    rest.position(|(x, y)| x != y).map(|i| done + i)
}

/// Eight bytes as a little-endian word: its first byte the lowest.
fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().unwrap_or_default())
}

/// The kinds of answers, for filters and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// A normal answer.
    Ok,
    /// A refusal inside a normal answer: K2017 `Fejl`, sagdok `StandardRetur` ≠ 20.
    Refused,
    /// A SOAP fault.
    Fault,
    /// An HTTP error without a SOAP envelope (unknown path, wrong method, ...).
    Error,
}

impl OutcomeKind {
    pub const ALL: [OutcomeKind; 4] = [
        OutcomeKind::Ok,
        OutcomeKind::Refused,
        OutcomeKind::Fault,
        OutcomeKind::Error,
    ];

    /// `ok`, `refused`, `fault` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Ok => "ok",
            OutcomeKind::Refused => "refused",
            OutcomeKind::Fault => "fault",
            OutcomeKind::Error => "error",
        }
    }

    /// The kind named `text`.
    pub fn parse(text: &str) -> Option<OutcomeKind> {
        OutcomeKind::ALL.into_iter().find(|k| k.name() == text)
    }
}

impl Entry {
    /// Makes this entry — an evicted one, recycled — `entry`, its bodies aside (the journal
    /// writes those, and then the target and SOAPAction of the [`Texts`]). The tests' way to
    /// record a whole entry ([`super::Journal::record`]); `serve` writes its exchanges in
    /// place.
    #[cfg(test)]
    pub fn assign(&mut self, entry: Entry) {
        let Entry {
            id,
            time,
            method,
            texts,
            ends,
            service,
            operation,
            soap_version,
            security,
            facts,
            status,
            outcome,
            latency,
            request: _,
            response: _,
            rare,
        } = entry;
        self.id = id;
        self.time = time;
        self.method = method;
        self.service = service;
        self.operation = operation;
        self.soap_version = soap_version;
        self.texts = texts;
        self.ends = ends;
        self.security = security;
        self.facts = facts;
        self.status = status;
        self.outcome = outcome;
        self.latency = latency;
        self.rare = rare;
    }

    /// Reads a word of each cache line of the entry and the first bytes of its buffers, in
    /// loads that do not wait for one another, and returns a sum of them (for `black_box`):
    /// what brings an entry written ~10 000 exchanges ago back into the cache at once, while
    /// the exchange that evicted it goes on, rather than one line after another as the next
    /// exchange written into it touches them (see [`super::Journal::record_with`]). One field
    /// a line, at most 64 bytes apart (the `Arc`'s count before them is read by the caller;
    /// `touch_reads_every_cache_line_of_an_entry` checks the layout), rather than every field:
    /// ~70 instructions less (callgrind on examples/request_cost).
    pub(super) fn touch(&self) -> usize {
        let first = |bytes: &[u8]| bytes.first().map_or(0, |&b| usize::from(b));
        first(self.texts.as_bytes())
            ^ self.facts.ids.first().map_or(0, |id| usize::from(id.as_bytes()[0]))
            ^ usize::from(self.facts.verdict.is_some())
            ^ self.request.touch()
            ^ self.response.touch()
            ^ self.id as usize
            ^ self.outcome as usize
    }

    /// An estimate of the memory the entry holds, for the journal's byte bound.
    pub fn weight(&self) -> usize {
        std::mem::size_of::<Entry>()
            + 96
            + self.request.held()
            + self.response.held()
            + self.texts.len()
            + self.request.content_type.as_ref().map_or(0, |c| c.len())
            + self.response.content_type.as_ref().map_or(0, |c| c.len())
            + self.facts.ids.len() * 16
            + self.facts.token.as_ref().map_or(0, |t| {
                std::mem::size_of::<super::trace::TokenFacts>() + t.subject.len() + t.cvr.len()
            })
            // Looked at once, not by each of codes(), findings() and injected().
            + self.rare.as_deref().map_or(0, Rare::weight)
    }

    /// The request's path.
    pub fn path(&self) -> &str {
        let target = self.target();
        target.split_once('?').map_or(target, |(p, _)| p)
    }

    /// The request's query, if any.
    pub fn query(&self) -> Option<&str> {
        self.target().split_once('?').map(|(_, q)| q)
    }

    /// True when a finding has severity error.
    pub fn fails(&self) -> bool {
        self.findings().iter().any(|f| f.severity == Severity::Error)
    }

    /// The CPR number asked about, digits only.
    pub fn cpr_digits(&self) -> Option<String> {
        self.cpr().map(|c| c.chars().filter(char::is_ascii_digit).collect())
    }

    /// The entry as JSON; `full` adds the bodies.
    pub fn json(&self, full: bool) -> Value {
        let time: chrono::DateTime<chrono::Utc> = self.time.into();
        let token = self.facts.token.as_ref().map(|t| {
            json!({
                "cvr": t.cvr,
                "subject": t.subject,
                "thumbprint": hex(&t.thumbprint),
                "verified": t.verified,
            })
        });
        let verdict = self.facts.verdict.as_ref();
        let diagnosis = match verdict {
            Some(Verdict::Rejected { diagnosis }) => Some(diagnosis.as_str()),
            _ => None,
        };
        let model = match verdict {
            Some(Verdict::Accepted { model }) => Some(*model),
            _ => None,
        };
        let mut v = json!({
            "id": self.id,
            "time": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "method": self.method.as_str(),
            "path": self.path(),
            "query": self.query(),
            "service": self.service,
            "operation": self.operation.as_deref(),
            "soap_version": self.soap_version.map(|v| match v {
                SoapVersion::V11 => "1.1",
                SoapVersion::V12 => "1.2",
            }),
            "soap_action": self.soap_action(),
            "caller": self.caller(),
            "cpr": self.cpr(),
            "security": {
                "mode": self.security.name(),
                "verdict": verdict.map(Verdict::name),
                "model": model,
                "diagnosis": diagnosis,
                "token": token,
            },
            "status": self.status,
            "outcome": {
                "kind": self.outcome.name(),
                "text": self.outcome_text(),
                "codes": self.codes(),
                "ids": self.facts.ids.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
            },
            "latency_us": self.latency().as_micros() as u64,
            "conformance": if self.fails() { "fail" } else { "pass" },
            "findings": self.findings(),
            "request": self.request.json(full),
            "response": self.response.json(full),
            "injected": self.injected().map(|i| i.json()),
        });
        if !full {
            v["href"] = json!(format!("/__sfstub/journal/{}", self.id));
        }
        v
    }
}

/// Upper-case hex, as `sfstub certs show` writes thumbprints.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// `answer` in `Bytes` made from a `Vec` of capacity `allocated`.
    fn built(answer: &[u8], allocated: usize) -> Built {
        let mut v = Vec::with_capacity(allocated);
        v.extend_from_slice(answer);
        Built {
            allocated: v.capacity(),
            bytes: Bytes::from(v),
        }
    }

    #[test]
    fn an_answer_is_shared_only_whole_and_without_much_room_to_spare() {
        let answer = vec![b'a'; 3000];
        let mut body = Body::default();
        let sent = built(&answer, 4096);
        body.keep_built(sent.clone(), None);
        assert!(matches!(&body.kept, Kept::Shared(b) if b.as_ptr() == sent.bytes.as_ptr()));
        // Counted as a copy would be: its length.
        assert_eq!((body.held(), body.len, &*body.bytes()), (3000, 3000, &answer[..]));
        // Much room to spare: copied into a buffer of its own.
        body.keep_built(built(&answer[..1000], 4096), None);
        assert!(matches!(&body.kept, Kept::Copied(b) if b.capacity() == 1000));
        assert_eq!((body.len, &*body.bytes()), (1000, &answer[..1000]));
        // Over the cap: its first BODY_CAP bytes copied.
        let large = vec![b'b'; BODY_CAP + 1];
        body.keep_built(built(&large, large.len()), None);
        assert!(matches!(&body.kept, Kept::Copied(_)));
        assert_eq!(
            (body.len, &*body.bytes(), body.truncated()),
            (BODY_CAP + 1, &large[..BODY_CAP], true)
        );
        // A copy after a shared answer.
        body.keep_built(sent, None);
        body.keep_into(Sent {
            bytes: b"<x/>",
            content_type: None,
        });
        assert!(matches!(&body.kept, Kept::Copied(_)));
        assert_eq!((body.len, &*body.bytes()), (4, &b"<x/>"[..]));
    }

    #[test]
    fn texts_read_back_as_written_whatever_the_entry_held_before() {
        let mut e = Entry::blank();
        let odd = HeaderValue::from_bytes(b"urn:a\xE6b").expect("a header value");
        let empty = HeaderValue::from_static("");
        let long = "/long".repeat(100);
        let cases = [
            (
                "/kontrolsaglistehent/1?x=æ",
                Some("29189420"),
                Some(&odd),
                Some("1507804329"),
                "1 case(s)",
            ),
            ("/", None, None, None, ""),
            ("/a", Some(""), Some(&empty), Some(""), "fault: Sender"),
            (long.as_str(), None, Some(&odd), None, "ok"),
        ];
        for (target, caller, soap_action, cpr, outcome) in cases {
            e.set_texts(target, caller, soap_action, cpr, outcome);
            let action = soap_action.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            assert_eq!(e.target(), target);
            assert_eq!(e.caller(), caller);
            assert_eq!(e.soap_action(), action.as_deref());
            assert_eq!(e.cpr(), cpr);
            assert_eq!(e.outcome_text(), outcome);
        }
    }

    /// A request body as a client sends it again and again: the same envelope, its own
    /// TransaktionsId and time.
    fn request(i: usize) -> Vec<u8> {
        format!(
            "<soap:Envelope><soap:Header><TransaktionsId>6f1c1a4e-{:04x}-4a5b-9c3d-2e1f0a9b8c7d</TransaktionsId>\
             <TransaktionsTid>2026-11-22T10:{:02}:00Z</TransaktionsTid></soap:Header><soap:Body>\
             <KontrolsagListeHent><PersonCivilRegistrationIdentifier>0101701234</PersonCivilRegistrationIdentifier>\
             </KontrolsagListeHent></soap:Body></soap:Envelope>",
            4096 + i,
            i % 60
        )
        .into_bytes()
    }

    /// Keeps `bytes` as `serve` keeps a request body (`built`: None) or an answer it built
    /// (with `built` bytes of room to spare) into `body`, and checks that it reads as a copy
    /// would. Returns the bytes the body holds for the byte bound.
    fn keep_and_check(body: &mut Body, bytes: &[u8], built: Option<usize>, slot: BaseSlot) -> usize {
        let content_type = HeaderValue::from_static("application/soap+xml; charset=utf-8");
        let sent = Sent {
            bytes,
            content_type: Some(&content_type),
        };
        match built {
            None => body.keep_similar(sent, slot),
            Some(spare) => body.keep_built_similar(built_answer(bytes, spare), Some(&content_type), slot.response()),
        }
        check_kept(body, sent)
    }

    /// Checks that `body`, which kept `sent`, reads as a copy would; returns the bytes it holds
    /// for the byte bound.
    fn check_kept(body: &Body, sent: Sent<'_>) -> usize {
        let bytes = sent.bytes;
        let copy = Body::keep(sent);
        let kept = &bytes[..bytes.len().min(BODY_CAP)];
        assert_eq!(&*body.bytes(), kept);
        assert_eq!(&body.to_bytes()[..], kept);
        assert_eq!(
            (
                body.len,
                body.kept_len(),
                body.truncated(),
                body.content_type.as_deref()
            ),
            (
                bytes.len(),
                kept.len(),
                bytes.len() > BODY_CAP,
                copy.content_type.as_deref()
            )
        );
        assert_eq!(body.json(true), copy.json(true));
        assert_eq!(body.json(false), copy.json(false));
        body.held()
    }

    /// `answer` in `Bytes` made from a `Vec` with `spare` bytes of room beyond its length.
    fn built_answer(answer: &[u8], spare: usize) -> Built {
        built(answer, answer.len() + spare)
    }

    fn is_delta(body: &Body) -> bool {
        matches!(body.kept, Kept::Delta { .. })
    }

    /// [`Entry::touch`] reads a field in every cache line the entry's fields lie in, wherever
    /// its `Arc`'s allocation starts: from the `Arc`'s count (which the journal reads with it)
    /// to the last field, its reads are at most a line apart.
    #[test]
    fn touch_reads_every_cache_line_of_an_entry() {
        use std::mem::{offset_of, size_of};
        // The Arc's allocation: its two counts, then the entry.
        let at = size_of::<[usize; 2]>();
        let facts = at + offset_of!(Entry, facts);
        let body = |b: usize| [b, b + offset_of!(Body, len), b + offset_of!(Body, content_type)];
        let mut read = vec![
            0,
            at + offset_of!(Entry, texts),
            facts + offset_of!(Facts, ids),
            facts + offset_of!(Facts, verdict),
            at + offset_of!(Entry, id),
            at + offset_of!(Entry, outcome),
        ];
        read.extend(body(at + offset_of!(Entry, request)));
        read.extend(body(at + offset_of!(Entry, response)));
        read.sort_unstable();
        // The last byte of each field.
        let last = |offset: usize, size: usize| offset + size - 1;
        let fields = [
            last(offset_of!(Entry, id), size_of::<u64>()),
            last(offset_of!(Entry, time), size_of::<SystemTime>()),
            last(offset_of!(Entry, method), size_of::<Method>()),
            last(offset_of!(Entry, texts), size_of::<String>()),
            last(offset_of!(Entry, ends), size_of::<Ends>()),
            last(offset_of!(Entry, service), size_of::<Option<&str>>()),
            last(offset_of!(Entry, operation), size_of::<Option<Cow<'_, str>>>()),
            last(offset_of!(Entry, soap_version), size_of::<Option<SoapVersion>>()),
            last(offset_of!(Entry, security), size_of::<SecurityMode>()),
            last(offset_of!(Entry, facts), size_of::<Facts>()),
            last(offset_of!(Entry, status), size_of::<u16>()),
            last(offset_of!(Entry, outcome), size_of::<OutcomeKind>()),
            last(offset_of!(Entry, latency), size_of::<u64>()),
            last(offset_of!(Entry, request), size_of::<Body>()),
            last(offset_of!(Entry, response), size_of::<Body>()),
            last(offset_of!(Entry, rare), size_of::<Option<Box<Rare>>>()),
        ];
        // Nothing written after the last read.
        let last_field = at + fields.iter().max().unwrap();
        assert!(last_field <= *read.last().unwrap(), "{last_field} {read:?}");
        for pair in read.windows(2) {
            assert!(pair[1] - pair[0] <= 64, "{read:?}");
        }
    }

    #[test]
    fn paths_spread_over_the_base_slots() {
        // Short paths (hashed a byte at a time) and longer ones of every length modulo 8.
        let short: Vec<String> = (0..100).map(|i| format!("/{i}")).collect();
        let long: Vec<String> = (0..200)
            .map(|i| format!("/service{i}/{}", "x".repeat(i % 13)))
            .collect();
        for paths in [short, long] {
            let mut used = [0usize; SLOTS];
            for path in &paths {
                let slot = BaseSlot::request(path);
                assert_eq!((slot.0 % 2, slot.response().0), (0, slot.0 + 1), "{path}");
                assert_eq!(BaseSlot::request(&path.clone()), slot, "{path}");
                used[slot.0] += 1;
            }
            for (slot, n) in used.iter().enumerate().step_by(2) {
                assert!(*n > 0 && *n < paths.len() / 3, "slot {slot}: {n} of {}", paths.len());
            }
        }
    }

    #[test]
    fn the_same_request_repeated_is_kept_as_a_delta_of_nothing() {
        forget_bases();
        let slot = BaseSlot::request("/kontrolsaglistehent/1");
        let sent = request(0);
        let mut first = Body::default();
        let held = keep_and_check(&mut first, &sent, None, slot);
        // The first is whole, and the base.
        assert!(matches!(&first.kept, Kept::Shared(_)));
        assert_eq!(held, sent.len());
        for _ in 0..3 {
            let mut again = Body::default();
            let held = keep_and_check(&mut again, &sent, None, slot);
            assert!(
                matches!(&again.kept, Kept::Delta { middle, head, tail, .. } if middle.is_empty() && (*head + *tail) as usize == sent.len()),
                "{again:?}"
            );
            assert!(held <= 64 + DELTA_WEIGHT, "{held}");
        }
    }

    #[test]
    fn varied_transaction_ids_keep_only_their_middle() {
        forget_bases();
        let slot = BaseSlot::request("/kontrolsaglistehent/1");
        // One entry recycled again and again, as a full journal does, and fresh ones.
        let mut recycled = Body::default();
        for i in 0..100 {
            let sent = request(i);
            let held = keep_and_check(&mut recycled, &sent, None, slot);
            if i > 0 {
                assert!(is_delta(&recycled), "{i}");
                // From the TransaktionsId's first difference to the time's last.
                assert!(held <= 128 + DELTA_WEIGHT, "{i}: {held}");
            }
            let mut fresh = Body::default();
            keep_and_check(&mut fresh, &sent, None, slot);
            assert!(is_delta(&fresh));
        }
        // Answers kept as built, with their room to spare: the same.
        let mut answer = Body::default();
        for i in 0..10 {
            let mut sent = request(i);
            sent.extend_from_slice(&[b'x'; 3000]);
            keep_and_check(&mut answer, &sent, Some(1000), slot);
            assert_eq!(is_delta(&answer), i > 0, "{i}");
        }
    }

    /// Requests that are a template's text or not, kept with what is known of that (`fitted`)
    /// and without (`compared`, in another slot): each reads back as sent, and is kept the
    /// same way, the same delta, whether the compare was spared or not; the same serial with
    /// another length (a byte order mark before the text), or another serial, is compared.
    #[test]
    fn requests_that_are_a_templates_text_are_kept_as_those_compared_are() {
        forget_bases();
        let (fitted_slot, compared_slot) = (BaseSlot(0), BaseSlot(2));
        let text = request(0);
        let mut with_mark = b"\xEF\xBB\xBF".to_vec();
        with_mark.extend_from_slice(&text);
        let cases = [
            (text.clone(), Some(1)),
            (text.clone(), Some(1)),
            (request(1), None),
            (text.clone(), Some(1)),
            (with_mark.clone(), Some(1)),
            (text.clone(), Some(2)),
            (request(2), None),
            (text.clone(), Some(1)),
        ];
        let (mut fitted, mut compared) = (Body::default(), Body::default());
        for (i, (sent, same_as)) in cases.iter().enumerate() {
            let sent = Sent {
                bytes: sent,
                content_type: None,
            };
            fitted.keep_fitting(sent, *same_as, fitted_slot);
            compared.keep_similar(sent, compared_slot);
            let held = (check_kept(&fitted, sent), check_kept(&compared, sent));
            assert_eq!(held.0, held.1, "{i}");
            assert_eq!(is_delta(&fitted), i > 0, "{i}");
            assert_eq!(is_delta(&compared), i > 0, "{i}");
            let (Kept::Delta { head, tail, .. }, Kept::Delta { head: h, tail: t, .. }) = (&fitted.kept, &compared.kept)
            else {
                continue;
            };
            assert_eq!((head, tail), (h, t), "{i}");
        }
        // A base not known to be a template's text gives way to a request that is, kept whole;
        // the next one is a delta on it, of nothing.
        forget_bases();
        let mut body = Body::default();
        for (i, (sent, same_as)) in [
            (text.clone(), None),
            (request(1), None),
            (text.clone(), Some(1)),
            (text.clone(), Some(1)),
            (request(3), None),
            (with_mark, Some(1)),
        ]
        .iter()
        .enumerate()
        {
            let sent = Sent {
                bytes: sent,
                content_type: None,
            };
            body.keep_fitting(sent, *same_as, fitted_slot);
            check_kept(&body, sent);
            assert_eq!(is_delta(&body), i != 0 && i != 2, "{i}");
        }
        assert!(matches!(&body.kept, Kept::Delta { middle, head: 0, .. } if middle.len() == 3));
    }

    #[test]
    fn bodies_of_every_kind_read_back_as_they_were_sent() {
        forget_bases();
        let slot = BaseSlot::request("/x");
        let base = request(1);
        let mut not_utf8 = base.clone();
        not_utf8[100] = 0xFF;
        not_utf8[101] = 0xE6;
        let mut large = base.clone();
        large.resize(BODY_CAP + 5000, b'y');
        let mut large_other_end = large.clone();
        large_other_end[BODY_CAP + 10] = b'z';
        large_other_end[200] = b'z';
        let mut start = base.clone();
        start[0] = b'!';
        let mut end = base.clone();
        *end.last_mut().unwrap() = b'!';
        let mut both_ends = start.clone();
        *both_ends.last_mut().unwrap() = b'!';
        let cases: Vec<(&str, Vec<u8>, bool)> = vec![
            ("base", base.clone(), false),
            ("the same", base.clone(), true),
            ("empty", Vec::new(), false),
            ("short", b"<x/>".to_vec(), false),
            ("the base still there", base.clone(), true),
            ("differs at the start", start, true),
            ("differs at the end", end, true),
            ("differs at both ends", both_ends, false),
            ("a base again", base.clone(), false),
            ("not UTF-8", not_utf8, true),
            ("half of it shared", [&base[..], &base[..]].concat(), true),
            ("longer", [&base[..], &base[..], &base[..]].concat(), false),
            ("shorter", base[..base.len() / 2].to_vec(), true),
            ("shares nothing", vec![b'q'; 300], false),
            ("over the cap", large.clone(), false),
            ("over the cap again", large_other_end, true),
            ("a prefix of the cap", large[..BODY_CAP - 1].to_vec(), true),
            ("nothing shared after all", vec![0; BODY_CAP + 1], false),
        ];
        let mut recycled = Body::default();
        for built in [None, Some(0), Some(10_000)] {
            forget_bases();
            for (name, sent, delta) in &cases {
                keep_and_check(&mut recycled, sent, built, slot);
                let mut fresh = Body::default();
                keep_and_check(&mut fresh, sent, built, slot);
                // (An answer with much room to spare or over the cap is copied, and no base:
                // which are deltas then differs.)
                if built.is_none() {
                    assert_eq!(is_delta(&recycled), *delta, "{name}");
                }
            }
        }
    }

    #[test]
    fn shared_heads_and_tails_are_found_wherever_they_end_whatever_the_hint() {
        let a: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        let hints = [0, 1, 8, 63, 64, 65, 500, 1000, 2999, 3000, 5000];
        for at in [0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 1000, 2047, 2048, 2999] {
            let mut b = a.clone();
            b[at] ^= 0x55;
            for hint in hints {
                let tail = a.len() - at - 1;
                assert_eq!(shared(&a, &b, (hint, hint)), (at, tail), "{at} {hint}");
                assert_eq!(shared(&a, &b, (at, tail)), (at, tail), "{at}");
                assert_eq!(shared_head(&a, &b, hint), at, "{at} {hint}");
                assert_eq!(shared_tail(&a, &b, hint), tail, "{at} {hint}");
                // The shortcut takes only the exact head and tail.
                assert_eq!(is_shared_head(&a, &b, hint), hint == at, "{at} {hint}");
                assert_eq!(is_shared_tail(&a, &b, hint), hint == tail, "{at} {hint}");
            }
            assert!(
                is_shared_head(&a, &b, at) && is_shared_tail(&a, &b, a.len() - at - 1),
                "{at}"
            );
        }
        for hint in hints {
            assert_eq!(shared(&a, &a, (hint, hint)), (a.len(), 0));
            assert_eq!(shared(&a, &a[..100], (hint, hint)), (100, 0));
            assert_eq!(shared(&a[..100], &a, (hint, hint)), (100, 0));
            assert_eq!(shared(&a[50..], &a, (hint, hint)), (0, 2950));
            assert_eq!(shared(b"", &a, (hint, hint)), (0, 0));
            assert_eq!(shared(&a[..13], &a[..13], (hint, hint)), (13, 0));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(300))]

        /// Random pairs of bodies, alike or not: each reads back as sent, and the head and tail
        /// found are as long as a byte by byte search finds.
        #[test]
        fn random_pairs_of_bodies_read_back_as_sent(
            shape in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 4),
            lengths in proptest::collection::vec(0usize..3000, 2),
            filler in any::<u8>(),
            built in proptest::option::of(0usize..2),
            hint in (0usize..4000, 0usize..4000),
        ) {
            forget_bases();
            let slot = BaseSlot::request("/p");
            let head = [&shape[0][..], &vec![filler; lengths[0]][..]].concat();
            let tail = [&vec![filler; lengths[1]][..], &shape[3][..]].concat();
            let first = [&head[..], &shape[1][..], &tail[..]].concat();
            let second = [&head[..], &shape[2][..], &tail[..]].concat();
            let mut body = Body::default();
            for sent in [&first, &second, &first, &shape[1], &second] {
                let spare = built.map(|b| b * sent.len());
                keep_and_check(&mut body, sent, spare, slot);
            }
            let naive_head = first.iter().zip(&second).take_while(|(a, b)| a == b).count();
            let n = first.len().min(second.len()) - naive_head;
            let naive_tail = first.iter().rev().zip(second.iter().rev()).take(n).take_while(|(a, b)| a == b).count();
            prop_assert_eq!(shared(&first, &second, hint), (naive_head, naive_tail));
            prop_assert_eq!(shared(&first, &second, (naive_head, naive_tail)), (naive_head, naive_tail));
        }
    }

    #[test]
    fn a_ring_of_deltas_wraps_around_while_its_bases_change() {
        use super::super::{Config, Journal};
        forget_bases();
        let journal = Journal::new(Config {
            max_entries: 5,
            max_bytes: super::super::DEFAULT_BYTES,
        });
        let path = "/kontrolsaglistehent/1";
        // A new shape every seventh exchange: its base replaces the slot's.
        let sent = |i: usize| -> (Vec<u8>, Vec<u8>) {
            let shape = i / 7;
            let mut request = request(i);
            request.extend(std::iter::repeat_n(b'a' + shape as u8, 200));
            let mut answer = format!("<Svar form=\"{shape}\">").into_bytes();
            answer.extend(std::iter::repeat_n(b'A' + shape as u8, 500 + shape * 100));
            answer.extend_from_slice(format!("<Id>{i}</Id></Svar>").as_bytes());
            (request, answer)
        };
        let mut expected = Vec::new();
        for i in 0..40 {
            let (request, answer) = sent(i);
            let id = journal
                .record_with(|e| {
                    let slot = BaseSlot::request(path);
                    e.request.keep_similar(
                        Sent {
                            bytes: &request,
                            content_type: None,
                        },
                        slot,
                    );
                    e.response
                        .keep_built_similar(built_answer(&answer, 64), None, slot.response());
                })
                .unwrap();
            expected.push((id, request, answer));
            for (id, request, answer) in expected.iter().rev().take(5) {
                let e = journal.get(*id).unwrap();
                assert_eq!(&*e.request.bytes(), &request[..], "{id}");
                assert_eq!(&*e.response.bytes(), &answer[..], "{id}");
            }
            let e = journal.get(id).unwrap();
            assert_eq!(is_delta(&e.response), i % 7 != 0, "{i}");
            assert_eq!(is_delta(&e.request), i % 7 != 0, "{i}");
        }
        // Deltas weigh little: the byte bound counts five entries of mostly deltas.
        let stats = journal.stats();
        assert_eq!(stats.entries, 5);
        // (One whole request and answer, four deltas of each.)
        let bound = 5 * (std::mem::size_of::<Entry>() + 96 + 2 * (128 + DELTA_WEIGHT)) + 2000;
        assert!(stats.bytes <= bound, "{stats:?}");
    }

    #[test]
    fn an_entry_a_reader_holds_keeps_its_base_while_the_slot_moves_on() {
        use super::super::{Config, Journal};
        forget_bases();
        let journal = Journal::new(Config {
            max_entries: 1,
            max_bytes: super::super::DEFAULT_BYTES,
        });
        let slot = BaseSlot::request("/p");
        let record = |bytes: &[u8]| {
            journal
                .record_with(|e| {
                    e.request.keep_similar(
                        Sent {
                            bytes,
                            content_type: None,
                        },
                        slot,
                    )
                })
                .unwrap()
        };
        record(&request(0));
        let id = record(&request(1));
        let held = journal.get(id).unwrap();
        assert!(is_delta(&held.request));
        // The base's own entry is gone; new shapes replace the base, the entries recycle.
        for i in 0..20 {
            let mut other = vec![b'0' + i as u8; 500];
            other.extend_from_slice(&request(i as usize));
            record(&other);
            record(&other);
        }
        assert!(journal.get(id).is_none());
        assert_eq!(&*held.request.bytes(), &request(1)[..]);
    }
}
