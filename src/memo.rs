//! Templates of the requests a client sends again and again: the same markup with other
//! values. A SOAP client stack (zeep, JAX-WS, PHP's SoapClient, a vendor's hand-written
//! template) writes every call of an operation from one template: the same tags, attributes,
//! namespace declarations and white space, only the leaves' texts (a transaction id, a time, a
//! CPR number) differ. Reading such a request again from scratch — the envelope reader, then
//! the XSD check — is most of what sfstub spends on it in the context model.
//!
//! So each worker thread keeps, per service, a few templates of requests it has read
//! ([`MAX_TEMPLATES`]): a request's text with the place of the text of each leaf of its
//! operation element ("slots"), the envelope read from it, and how the XSD check's plain pass
//! checked each of those texts ([`crate::xsd::ValueCheck`]). A request that is its template's bytes
//! with other slot texts — each a run of literal text (no markup, no reference) without a
//! character XML does not allow — is read as the envelope reader would read it: the same
//! envelope, its operation's end moved by the change in length, the leaves' texts the new
//! slots' (trimmed, as the reader trims them). Its operation element is valid when each new
//! text passes its check, as the plain pass would find (a slot whose text is the template's
//! own passed already: it is compared, not checked again); otherwise the XSD check reads it as
//! usual. Everything else (refusals, faults, findings) is what the readers give, because only
//! requests they read without a word are templates, and only requests they would read
//! without a word match one. The technique is the "differential deserialization" of SOAP
//! servers (Abu-Ghazaleh & Lewis, 2005) and the byte-sequence memorization of Deltarser
//! (Takase et al., 2005), kept to what can be proven equal.
//!
//! Cost: a request is compared with each template of its service at most once, byte for byte
//! and with one scan per slot for its end, so a request costs at most [`MAX_TEMPLATES`]
//! passes of `memcmp` over its bytes, whatever it holds. A template costs its request's bytes
//! (at most [`MAX_TEMPLATE_BYTES`]) and is made from a request read in full when its service
//! has room for one, or in place of the oldest on every [`REPLACE_EVERY`]th request that fits
//! none (a client of many shapes does not rebuild templates on every call). Templates belong
//! to one loaded world ([`crate::app::Loaded::id`]): a reload starts afresh.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::conformance::{self, Finding, Profile};
use crate::security::SecurityMode;
use crate::soap::xml::Leaves;
use crate::soap::{self, Envelope, Limits, Operation, SoapVersion};
use crate::xsd::{SchemaSet, ValueCheck};

/// The most templates a worker thread keeps per service.
pub const MAX_TEMPLATES: usize = 4;
/// The longest request kept as a template.
pub const MAX_TEMPLATE_BYTES: usize = 32 * 1024;
/// The most slots (leaves with text) of a template.
pub const MAX_SLOTS: usize = 256;
/// When a service's templates are all taken, a request that fits none replaces the oldest
/// once in this many.
pub const REPLACE_EVERY: u32 = 8;

/// The serial of the next template made (see [`Recalled::same_as`]).
static SERIALS: AtomicU64 = AtomicU64::new(1);

/// What a template is kept for: a service of one loaded world, read with one set of limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    loaded: u64,
    /// The service's address (it lives as long as its world). Were two services ever to share
    /// one (zero-sized types), they would share templates, which is harmless: how a request is
    /// read does not depend on its service, and value checks are kept with the schema set
    /// they were made against ([`Recalled::valid_against`]).
    service: usize,
    limits: Limits,
}

impl Key {
    /// The templates of `service` in the world `loaded` (its [`crate::app::Loaded::id`]).
    pub fn new(loaded: u64, service: &dyn crate::services::Service, limits: Limits) -> Key {
        Key {
            loaded,
            service: std::ptr::from_ref(service).cast::<()>() as usize,
            limits,
        }
    }
}

/// A request with the places of its leaves' texts (its slots), and what reading it gave.
struct Template {
    /// No other template's, in the whole process ([`Recalled::same_as`]).
    serial: u64,
    /// The request.
    text: Box<str>,
    /// Per slot, the byte range of its text in `text`, in order. Each is one run of literal
    /// text ([`text_end`] finds its end) followed by a `<`.
    slots: Box<[Range<usize>]>,
    /// The envelope read from the request (without its HTTP action).
    envelope: Envelope,
    /// Per leaf of the operation (in document order): the slot holding its text; `None`:
    /// an empty-element tag, whose text is empty.
    leaf_slots: Box<[Option<u16>]>,
    /// Per slot, how the XSD check's plain pass checked its text, and the address of the
    /// schema set it checked against; `None` when the request was not checked (or not by
    /// that pass). Each slot's own text passes its check ([`remember`] made sure).
    values: Option<(usize, Box<[ValueCheck]>)>,
    /// What was judged of the requests that fit it by their markup and HTTP headers alone.
    judged: RefCell<Judged>,
    /// The last CPR number that [`conformance::after`] found nothing in, in a request that fit
    /// it, and the profile it judged it by (its address).
    cpr_passed: RefCell<Option<(usize, Box<str>)>>,
    /// The leaves of the last request read from it with other texts ([`Recalled::envelope`]):
    /// their buffer is written again for the next such request once that one is done with it.
    spare: RefCell<Option<Leaves>>,
}

/// What the steps before the service made of the requests that fit a template by what they
/// read: the HTTP headers and the template's markup (the envelope, its Header, the lines of
/// the elements before the operation), never a slot's text. Kept for the last headers judged
/// (a client sends the same ones with every call); other headers are judged afresh.
#[derive(Default)]
struct Judged {
    /// The headers judged: the Content-Type and the SOAPAction, as text.
    content_type: Option<Box<str>>,
    soap_action: Option<Box<str>>,
    /// [`soap::http_action`] of those headers, once found.
    action: Option<Option<String>>,
    /// [`conformance::before`]'s findings, with what else it read: the profile (its address),
    /// the service's bindings and the security mode.
    before: Option<Before>,
}

struct Before {
    profile: usize,
    bindings: Box<[SoapVersion]>,
    security: SecurityMode,
    findings: Vec<Finding>,
}

impl Judged {
    /// Whether these were judged for the headers `content_type` and `soap_action`.
    fn is_for(&self, content_type: Option<&str>, soap_action: Option<&str>) -> bool {
        self.content_type.as_deref() == content_type && self.soap_action.as_deref() == soap_action
    }
}

/// Where a request that fits a template has other slot texts than the template: per slot,
/// its text in the request (checked to be UTF-8), `None` where it is the template's own
/// text; `None` as a whole when the request is the template's text itself.
type Changed<'a> = Option<Vec<Option<&'a str>>>;

/// A request that fits a template: its slots' texts that differ from the template's.
///
/// Such a request is UTF-8 without a check of its whole: it is the template's text (UTF-8)
/// cut at ASCII bytes (each slot between a `>` and a `<`) with other slot texts, each
/// checked when it was fit, and pieces of UTF-8 put together are UTF-8.
pub struct Recalled<'a> {
    /// The request's length in bytes.
    len: usize,
    template: Rc<Template>,
    changed: Changed<'a>,
}

impl<'a> Recalled<'a> {
    /// The template's serial when the request is its text byte for byte (its serial is no
    /// other template's, in the whole process): two requests of the same serial are the same
    /// bytes, what the journal need not compare ([`crate::journal::Body::keep_fitting`]).
    pub fn same_as(&self) -> Option<u64> {
        self.changed.is_none().then_some(self.template.serial)
    }

    /// The text of slot `slot` when it is not the template's own.
    fn changed_text(&self, slot: usize) -> Option<&'a str> {
        self.changed.as_ref()?.get(slot).copied().flatten()
    }

    /// The envelope the envelope reader would read from the request: the template's, with
    /// the texts of the leaves whose slots changed replaced (trimmed, as the reader trims
    /// them; a slot the template's leaves its leaf's text as the reader read it then).
    pub fn envelope(&self) -> Envelope {
        let t = &self.template;
        let op = &t.envelope.operation;
        let leaves = match (&op.leaves, &self.changed) {
            (Ok(kept), None) => kept.clone(),
            (Ok(kept), Some(_)) => {
                let texts = t.leaf_slots.iter().map(|slot| {
                    slot.and_then(|s| self.changed_text(usize::from(s)))
                        .map(crate::clip::trim)
                });
                match t.spare.try_borrow_mut() {
                    Ok(mut spare) => kept.with_texts_into(texts, &mut spare),
                    Err(_) => kept.with_texts(texts),
                }
            }
            (Err(_), _) => Leaves::default(),
        };
        Envelope {
            version: t.envelope.version,
            header: t.envelope.header.clone(),
            security_header: t.envelope.security_header,
            addressing: t.envelope.addressing.clone(),
            operation: Operation {
                local_name: op.local_name.clone(),
                namespace: op.namespace.clone(),
                // Every slot is inside the operation element: all that follows it is as it was.
                range: op.range.start..op.range.end + self.len - t.text.len(),
                ancestors: op.ancestors.clone(),
                leaves: Ok(leaves),
                declared: op.declared.clone(),
                shape: None,
            },
            action: None,
        }
    }

    /// Whether the request's operation element is valid against `schema` as the XSD check's
    /// plain pass would find: the template's was, against the same set, and each new text
    /// passes its check (a slot's text that is the template's passed it already).
    /// `false` when that is not known (the request must then be checked).
    pub fn valid_against(&self, schema: &SchemaSet) -> bool {
        let Some((set, checks)) = &self.template.values else {
            return false;
        };
        if *set != std::ptr::from_ref(schema) as usize {
            return false;
        }
        let Some(changed) = &self.changed else {
            return true;
        };
        checks.iter().zip(changed).all(|(check, slot)| match slot {
            None => true,
            Some(text) => schema.passes(check, text),
        })
    }

    /// What was judged of the template's requests with the headers `content_type` and
    /// `soap_action` (nothing yet when they are other than the last judged): looked up once
    /// a request, for both steps that use it ([`Judging::http_action`], [`Judging::before`]).
    pub fn judging<'h>(&self, content_type: Option<&'h str>, soap_action: Option<&'h str>) -> Judging<'_, 'h> {
        let judged = self.template.judged.try_borrow_mut().ok().map(|mut judged| {
            if !judged.is_for(content_type, soap_action) {
                *judged = Judged {
                    content_type: content_type.map(Into::into),
                    soap_action: soap_action.map(Into::into),
                    ..Judged::default()
                };
            }
            judged
        });
        Judging {
            judged,
            content_type,
            soap_action,
        }
    }

    /// [`conformance::after`] of the request, whose service noted `cpr`: nothing to find when
    /// it is the last CPR number the check found nothing in, by the same profile, in a request
    /// that fit the template (the check reads the number and the profile's rule for it; the
    /// version and the request only to tell of a finding).
    pub fn after(
        &self,
        profile: &Profile,
        version: SoapVersion,
        body: &[u8],
        cpr: Option<&str>,
        findings: &mut Vec<Finding>,
    ) {
        let (Some(number), Ok(mut passed)) = (cpr, self.template.cpr_passed.try_borrow_mut()) else {
            return conformance::after(profile, version, body, cpr, findings);
        };
        let profile_at = std::ptr::from_ref(profile) as usize;
        if passed.as_ref().is_some_and(|(p, n)| *p == profile_at && **n == *number) {
            return;
        }
        let start = findings.len();
        conformance::after(profile, version, body, cpr, findings);
        if findings.len() == start {
            *passed = Some((profile_at, number.into()));
        }
    }
}

/// What was judged of the requests that fit a template with one request's HTTP headers,
/// looked up once for that request ([`Recalled::judging`]).
pub struct Judging<'r, 'h> {
    /// `None` when the template's verdicts are in use (never while a request is answered,
    /// which holds them alone): everything is then judged afresh.
    judged: Option<std::cell::RefMut<'r, Judged>>,
    content_type: Option<&'h str>,
    soap_action: Option<&'h str>,
}

impl Judging<'_, '_> {
    /// [`soap::http_action`] of the request's headers: found once while the template's
    /// requests come with the same ones.
    pub fn http_action(&mut self) -> Option<String> {
        let (soap_action, content_type) = (self.soap_action, self.content_type);
        let Some(judged) = &mut self.judged else {
            return soap::http_action(soap_action, content_type);
        };
        judged
            .action
            .get_or_insert_with(|| soap::http_action(soap_action, content_type))
            .clone()
    }

    /// [`conformance::before`] of the request, whose headers (`request.content_type`,
    /// `request.soap_action`) are those judged: its findings are those of the last request
    /// that fit the template with the same headers, profile, bindings and security mode
    /// (it reads nothing else of them: the envelope, its Header and the lines of the
    /// elements before the operation are the template's), else judged and kept.
    pub fn before(&mut self, profile: &Profile, request: &conformance::Request<'_>, findings: &mut Vec<Finding>) {
        debug_assert!(request.content_type == self.content_type && request.soap_action == self.soap_action);
        let Some(judged) = &mut self.judged else {
            return conformance::before(profile, request, findings);
        };
        let profile_at = std::ptr::from_ref(profile) as usize;
        if let Some(kept) = &judged.before
            && kept.profile == profile_at
            && *kept.bindings == *request.bindings
            && kept.security == request.security
        {
            findings.extend(kept.findings.iter().cloned());
            return;
        }
        let start = findings.len();
        conformance::before(profile, request, findings);
        judged.before = Some(Before {
            profile: profile_at,
            bindings: request.bindings.into(),
            security: request.security,
            findings: findings[start..].to_vec(),
        });
    }
}

impl Template {
    /// A template of `text`, read as `envelope` by the plain envelope reader, with the value
    /// checks of its operation element (`values`: the schema set's address and a check per
    /// leaf with text, as byte ranges of `text`); `None` when the request cannot be one.
    fn of(text: &str, envelope: &Envelope, values: Option<(usize, Vec<ValueCheck>)>) -> Option<Template> {
        if !could_keep(text, envelope) {
            return None;
        }
        let op = &envelope.operation;
        let shape = op.shape.as_ref()?;
        let leaves = op.leaves.as_ref().ok()?;
        if leaves.len() != shape.len() {
            return None;
        }
        let slots: Vec<&Range<usize>> = shape.iter().flatten().collect();
        // Slots in order, inside the operation element, after the header.
        let mut last = op.range.start;
        for s in &slots {
            if s.start < last || s.end > op.range.end || s.start > s.end {
                return None;
            }
            last = s.end;
        }
        if envelope.header.as_ref().is_some_and(|h| h.end > op.range.start) {
            return None;
        }
        let values = match values {
            Some((set, checks)) => {
                // One check per slot, for the same text (each slot is a leaf of the pass's).
                // Both lists are in document order: one walk.
                let mut mine = Vec::with_capacity(slots.len());
                let mut checks = checks.into_iter();
                for s in &slots {
                    mine.push(checks.find(|c| c.content == **s)?);
                }
                Some((set, mine.into_boxed_slice()))
            }
            None => None,
        };
        let bytes = text.as_bytes();
        // Each slot's text is what a request's text must be to fit in its place (so that a
        // request with the template's text there fits by comparing bytes), and its leaf's
        // text is that text trimmed (so that such a slot leaves the leaf as it was read).
        let mut texts = leaves.iter().zip(shape.iter());
        for s in &slots {
            if text_end(bytes, s.start) != Some(s.end) {
                return None;
            }
            let leaf = texts.find_map(|(leaf, place)| place.as_ref().map(|_| leaf))?;
            if text.get((*s).clone()).map(str::trim) != Some(leaf.text) {
                return None;
            }
        }
        let mut slot = 0u16;
        let leaf_slots = shape
            .iter()
            .map(|s| {
                s.as_ref().map(|_| {
                    slot += 1;
                    slot - 1
                })
            })
            .collect();
        let mut envelope = envelope.clone();
        envelope.action = None;
        envelope.operation.shape = None;
        // The requests read from the template have its leaves' paths: services may find
        // their fields by position.
        if let Ok(leaves) = &mut envelope.operation.leaves {
            leaves.mark_layout();
        }
        Some(Template {
            serial: SERIALS.fetch_add(1, Ordering::Relaxed),
            text: text.into(),
            slots: slots.into_iter().cloned().collect(),
            envelope,
            leaf_slots,
            values,
            judged: RefCell::default(),
            cpr_passed: RefCell::default(),
            spare: RefCell::default(),
        })
    }

    /// Whether `input` is this template's markup with other slot texts, each UTF-8: where
    /// they differ from the template's ([`Changed`]). A slot's text is first compared with the
    /// template's and the `<` after it (which ends it as [`text_end`] would); only another text
    /// is scanned for its end and checked to be UTF-8. So `input` fits only when it is UTF-8
    /// (see [`Recalled`]).
    fn fit<'a>(&self, input: &'a [u8]) -> Option<Changed<'a>> {
        let own = self.text.as_bytes();
        if input == own {
            return Some(None);
        }
        let mut changed = Vec::with_capacity(self.slots.len());
        let mut at = 0;
        let mut from = 0;
        for s in &self.slots {
            let markup = &own[from..s.start];
            if input.get(at..at + markup.len()) != Some(markup) {
                return None;
            }
            at += markup.len();
            let same = own.get(s.start..s.end + 1)?;
            if input.get(at..at + same.len()) == Some(same) {
                changed.push(None);
                at += s.len();
            } else {
                let end = text_end(input, at)?;
                changed.push(Some(std::str::from_utf8(&input[at..end]).ok()?));
                at = end;
            }
            from = s.end;
        }
        (input.get(at..) == Some(&own[from..])).then_some(Some(changed))
    }
}

/// What a byte is in a slot's text ([`text_end`]).
const PLAIN: u8 = 0;
const END: u8 = 1;
const NOT_READ: u8 = 2;
const MAYBE_NONCHAR: u8 = 3;
const CLASS: [u8; 256] = {
    let mut class = [PLAIN; 256];
    let mut b = 0;
    while b < 0x20 {
        class[b] = NOT_READ;
        b += 1;
    }
    class[b'\t' as usize] = PLAIN;
    class[b'\n' as usize] = PLAIN;
    class[b'\r' as usize] = PLAIN;
    class[b'<' as usize] = END;
    class[b'&' as usize] = NOT_READ;
    class[0xEF] = MAYBE_NONCHAR;
    class
};

/// Where the slot text from `from` ends (the `<` of the tag after it), when it is one run of
/// literal text the envelope reader reads as it is: no reference (`&`), no character XML 1.0
/// does not allow written in it (a C0 control but tab, line feed and carriage return; U+FFFE,
/// U+FFFF), as [`crate::soap::xml::forbidden_character`] finds them. `None` otherwise, or at the input's end.
/// Eight bytes at a time while none of them is `<`, `&`, below 0x20 or 0xEF (the first byte of
/// U+FFFE and U+FFFF); such a byte, and the last few bytes, one at a time.
#[inline]
fn text_end(input: &[u8], from: usize) -> Option<usize> {
    use crate::soap::scan::{below, equal, word};
    let mut at = from;
    loop {
        while let Some(chunk) = input.get(at..).and_then(|rest| rest.first_chunk::<8>()) {
            let x = word(chunk);
            let flagged = equal(x, b'<') | equal(x, b'&') | below(x, 0x20) | equal(x, 0xEF);
            if flagged != 0 {
                at += flagged.trailing_zeros() as usize / 8;
                break;
            }
            at += 8;
        }
        match CLASS[usize::from(*input.get(at)?)] {
            PLAIN => at += 1,
            END => return Some(at),
            MAYBE_NONCHAR if !matches!(input.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF])) => at += 1,
            _ => return None,
        }
    }
}

/// The templates of one service on this thread.
struct Shelf {
    key: Key,
    templates: Vec<Rc<Template>>,
    /// Requests that fit none since one was last taken to be kept.
    misses: u32,
    /// Requests taken to be kept that could not be templates after all
    /// ([`Template::of`] refused them): past [`MAX_TEMPLATES`] of them, requests are taken
    /// only once in [`REPLACE_EVERY`] even while there is room, so that a client whose requests
    /// can never be templates does not pay for making one on every call.
    refused: u32,
    /// The template replaced next.
    oldest: usize,
}

thread_local! {
    static SHELVES: RefCell<Vec<Shelf>> = const { RefCell::new(Vec::new()) };
}

/// The template `request` (to `key`'s service, its byte order mark dropped) fits, if any. A
/// request that fits one is UTF-8 ([`Recalled`]): it needs no check of its own.
pub fn recall(key: Key, request: &[u8]) -> Option<Recalled<'_>> {
    SHELVES.with(|shelves| {
        let mut shelves = shelves.try_borrow_mut().ok()?;
        let shelf = shelves.iter_mut().find(|s| s.key == key)?;
        shelf.templates.iter().find_map(|t| {
            t.fit(request).map(|changed| Recalled {
                len: request.len(),
                template: Rc::clone(t),
                changed,
            })
        })
    })
}

/// Whether `text`, read as `envelope` and fitting no template, could be one: read whole by
/// the plain reader, unsigned, at most [`MAX_TEMPLATE_BYTES`] and [`MAX_SLOTS`] leaves with
/// text. (Asked before [`wants`], so that a request that cannot be kept costs nothing more.)
pub fn could_keep(text: &str, envelope: &Envelope) -> bool {
    !envelope.security_header
        && text.len() <= MAX_TEMPLATE_BYTES
        && envelope
            .operation
            .shape
            .as_ref()
            .is_some_and(|shape| shape.iter().flatten().count() <= MAX_SLOTS)
}

/// Whether a request to `key`'s service that fit no template (and [`could_keep`]) is to be
/// kept as one now: while the service has room, yes; once it has none, once in
/// [`REPLACE_EVERY`] such requests. Counted: call it once per such request, and
/// [`remember`] the request when `true`.
pub fn wants(key: Key) -> bool {
    SHELVES.with(|shelves| {
        let Ok(mut shelves) = shelves.try_borrow_mut() else {
            return false;
        };
        let shelf = shelf_of(&mut shelves, key);
        let room = shelf.templates.len() < MAX_TEMPLATES && shelf.refused < MAX_TEMPLATES as u32;
        shelf.misses = shelf.misses.saturating_add(1);
        let now = room || shelf.misses >= REPLACE_EVERY;
        if now {
            shelf.misses = 0;
        }
        now
    })
}

/// The shelf of `key`'s service, made if it has none (and the shelves of another world
/// dropped: their templates are of no more use).
fn shelf_of(shelves: &mut Vec<Shelf>, key: Key) -> &mut Shelf {
    if shelves.first().is_some_and(|s| s.key.loaded != key.loaded) {
        shelves.clear();
    }
    let i = match shelves.iter().position(|s| s.key == key) {
        Some(i) => i,
        None => {
            shelves.push(Shelf {
                key,
                templates: Vec::with_capacity(MAX_TEMPLATES),
                misses: 0,
                refused: 0,
                oldest: 0,
            });
            shelves.len() - 1
        }
    };
    &mut shelves[i]
}

/// Keeps `text`, read as `envelope`, as a template of `key`'s service, with the XSD check's
/// value checks of its operation element when it was checked (`values`: the schema set and
/// [`crate::conformance::schema::value_checks`]; kept only when the request's own texts pass
/// them, as a request with the template's texts is taken to). Nothing is kept when the
/// request cannot be a template.
pub fn remember(key: Key, text: &str, envelope: &Envelope, values: Option<(&SchemaSet, Vec<ValueCheck>)>) {
    let values = values
        .filter(|(set, checks)| {
            checks
                .iter()
                .all(|c| text.get(c.content.clone()).is_some_and(|t| set.passes(c, t)))
        })
        .map(|(set, checks)| (std::ptr::from_ref(set) as usize, checks));
    let template = Template::of(text, envelope, values);
    SHELVES.with(|shelves| {
        let Ok(mut shelves) = shelves.try_borrow_mut() else {
            return;
        };
        let shelf = shelf_of(&mut shelves, key);
        let Some(template) = template else {
            shelf.refused = shelf.refused.saturating_add(1);
            return;
        };
        let template = Rc::new(template);
        if shelf.templates.len() < MAX_TEMPLATES {
            shelf.templates.push(template);
        } else {
            shelf.templates[shelf.oldest] = template;
            shelf.oldest = (shelf.oldest + 1) % MAX_TEMPLATES;
        }
    });
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::soap::{SoapVersion, parse_envelope_text};
    use crate::xsd::{ElementId, Instance};

    /// A KontrolsagListeHent stk. 1 request as a client writes it: a Header, every optional
    /// criterion, white space between the tags.
    const REQUEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing">
  <soap:Header><wsa:MessageID>urn:uuid:1</wsa:MessageID></soap:Header>
  <soap:Body>
    <k:KontrolsagListeHent_I xmlns:k="urn:k" xmlns:kontekst="urn:kontekst" revision="1">
      <kontekst:HovedOplysninger>
        <kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId>
        <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
        <kontekst:AuthorityContext><kontekst:MunicipalityCVR>64942212</kontekst:MunicipalityCVR></kontekst:AuthorityContext>
      </kontekst:HovedOplysninger>
      <k:KontrolsagSoegKriterie>
        <k:PersonCPRNummer>150780-4329</k:PersonCPRNummer>
        <k:Hjemmel>UDBL_11A_STK1</k:Hjemmel>
        <k:SamtykkeDato>2026-11-01</k:SamtykkeDato>
        <k:MyndighedCVRNummer>14720006</k:MyndighedCVRNummer>
      </k:KontrolsagSoegKriterie>
    </k:KontrolsagListeHent_I>
  </soap:Body>
</soap:Envelope>"#;

    fn schema() -> (SchemaSet, ElementId) {
        crate::xsd::validate::fast::sf1472()
    }

    const LIMITS: crate::xsd::Limits = crate::xsd::Limits {
        max_depth: 256,
        max_findings: 20,
    };

    fn instance<'a>(text: &'a str, envelope: &Envelope) -> Instance<'a> {
        Instance::below_text(text, envelope.operation.range.clone(), &envelope.operation.ancestors)
    }

    /// The value checks of `text`'s operation element, as byte ranges of `text`.
    fn values(set: &SchemaSet, id: ElementId, text: &str, envelope: &Envelope) -> Option<Vec<ValueCheck>> {
        let start = envelope.operation.range.start;
        let mut checks = set.value_checks(&instance(text, envelope), id, LIMITS)?;
        for c in &mut checks {
            c.content = c.content.start + start..c.content.end + start;
        }
        Some(checks)
    }

    fn read(text: &str) -> Option<Envelope> {
        parse_envelope_text(text, Limits::default(), SoapVersion::V12)
            .ok()
            .map(|(e, _)| e)
    }

    fn template(set: &SchemaSet, id: ElementId) -> Template {
        let envelope = read(REQUEST).expect("the request reads");
        let checks = values(set, id, REQUEST, &envelope).expect("the plain pass takes the request");
        Template::of(REQUEST, &envelope, Some((std::ptr::from_ref(set) as usize, checks))).expect("a template")
    }

    /// What is compared: the envelope as `Debug` shows it, and what it leaves out of that.
    fn seen(e: &Envelope) -> String {
        format!("{e:?} {:?}", e.operation.declared)
    }

    /// [`text_end`] a byte at a time, as it was first written.
    fn text_end_bytewise(input: &[u8], from: usize) -> Option<usize> {
        let mut at = from;
        loop {
            match CLASS[usize::from(*input.get(at)?)] {
                PLAIN => at += 1,
                END => return Some(at),
                MAYBE_NONCHAR if !matches!(input.get(at + 1..at + 3), Some([0xBF, 0xBE | 0xBF])) => at += 1,
                _ => return None,
            }
        }
    }

    proptest! {
        /// Eight bytes at a time, the end found is the one a byte at a time finds, wherever
        /// the bytes that stop a word are.
        #[test]
        fn text_end_by_words_is_text_end_by_bytes(
            bytes in prop::collection::vec(
                prop::sample::select(&[b'a', b' ', b'\t', b'\n', b'\r', b'<', b'&', 0, 0x1f, 0x20, 0x7f, 0x80, 0xBE, 0xBF, 0xEF, 0xFF][..]),
                0..40,
            ),
            from in 0..40usize,
        ) {
            prop_assert_eq!(text_end(&bytes, from), text_end_bytewise(&bytes, from));
        }
    }

    /// The slots of `input` found the long way, as a template's were first found: each piece
    /// of markup compared, each slot's text scanned for its end, whatever it holds.
    fn scanned(t: &Template, input: &[u8]) -> Option<Vec<Range<usize>>> {
        let own = t.text.as_bytes();
        let mut slots = Vec::new();
        let (mut at, mut from) = (0, 0);
        for s in &t.slots {
            let markup = &own[from..s.start];
            if input.get(at..at + markup.len()) != Some(markup) {
                return None;
            }
            at += markup.len();
            let end = text_end(input, at)?;
            slots.push(at..end);
            at = end;
            from = s.end;
        }
        (input.get(at..) == Some(&own[from..])).then_some(slots)
    }

    /// `input` recalled from `t` with every slot taken as changed: the way without the
    /// shortcuts for texts that are the template's.
    fn every_slot_changed<'a>(t: &Rc<Template>, input: &'a str) -> Option<Recalled<'a>> {
        Some(Recalled {
            len: input.len(),
            template: Rc::clone(t),
            changed: Some(
                scanned(t, input.as_bytes())?
                    .into_iter()
                    .map(|s| Some(&input[s]))
                    .collect(),
            ),
        })
    }

    #[test]
    fn the_request_itself_fits_and_reads_as_the_reader_reads_it() {
        let (set, id) = schema();
        let t = Rc::new(template(&set, id));
        assert_eq!(t.slots.len(), 7, "a slot per leaf with text");
        let changed = t.fit(REQUEST.as_bytes()).expect("fits");
        assert!(changed.is_none(), "the template's own text");
        let recalled = Recalled {
            len: REQUEST.len(),
            template: Rc::clone(&t),
            changed,
        };
        let read = read(REQUEST).expect("reads");
        assert_eq!(seen(&recalled.envelope()), seen(&read));
        assert!(recalled.valid_against(&set));
        // The same read the long way.
        let long = every_slot_changed(&t, REQUEST).expect("fits");
        assert_eq!(seen(&long.envelope()), seen(&read));
        assert!(long.valid_against(&set));
        // Against another schema set (another world's) nothing is known.
        let (other, _) = schema();
        assert!(!recalled.valid_against(&other));
        assert!(!long.valid_against(&other));
    }

    /// A slot whose text starts as the template's and goes on is another text: found to
    /// end where it ends, and checked (valid exactly when the plain pass takes it).
    #[test]
    fn a_text_that_goes_on_past_the_templates_is_another() {
        let (set, id) = schema();
        let t = Rc::new(template(&set, id));
        for text in [
            REQUEST.replace(">64942212<", ">649422120<"),
            REQUEST.replace(">64942212<", ">64942212 <"),
            REQUEST.replace(">UDBL_11A_STK1<", ">UDBL_11A_STK12<"),
            REQUEST.replace(">2026-11-01<", ">2026-11-01\n<"),
        ] {
            let changed = t.fit(text.as_bytes()).expect("fits").expect("not the template's text");
            assert_eq!(changed.iter().flatten().count(), 1, "{text}");
            let recalled = Recalled {
                len: text.len(),
                template: Rc::clone(&t),
                changed: Some(changed),
            };
            let envelope = read(&text).expect("reads");
            assert_eq!(seen(&recalled.envelope()), seen(&envelope));
            let taken = values(&set, id, &text, &envelope).is_some();
            assert_eq!(recalled.valid_against(&set), taken, "{text}");
        }
    }

    /// A request that is its template's text byte for byte says so, with the template's
    /// serial, which no other template has; one with another slot text does not.
    #[test]
    fn a_request_that_is_its_templates_text_says_so() {
        let (set, id) = schema();
        let t = Rc::new(template(&set, id));
        let other = REQUEST.replace(">UDBL_11A_STK1<", ">UDBL_11A_STK2<");
        for (text, same_as) in [(REQUEST, Some(t.serial)), (other.as_str(), None)] {
            let recalled = Recalled {
                len: text.len(),
                template: Rc::clone(&t),
                changed: t.fit(text.as_bytes()).expect("fits"),
            };
            assert_eq!(recalled.same_as(), same_as, "{text}");
        }
        assert_ne!(template(&set, id).serial, t.serial);
    }

    /// Value checks the template's own texts do not pass are not kept: a text that is the
    /// template's is taken to pass its check without checking it again.
    #[test]
    fn values_the_templates_texts_do_not_pass_are_not_kept() {
        let (set, id) = schema();
        let envelope = read(REQUEST).expect("reads");
        let checks = values(&set, id, REQUEST, &envelope).expect("the plain pass takes the request");
        let services = crate::app::Loaded::new(
            crate::scenario::Scenario::parse(crate::scenario::DEFAULT_SCENARIO, "default", None).expect("parses"),
        );
        let key = Key::new(u64::MAX - 2, services.services[0].as_ref(), Limits::default());
        // The CPR number checked as a Hjemmel is: it does not pass that check.
        let cpr = REQUEST.find("150780-4329").expect("a CPR number");
        let hjemmel = REQUEST.find("UDBL_11A_STK1").expect("a Hjemmel");
        let mut as_hjemmel = checks
            .iter()
            .find(|c| c.content.start == hjemmel)
            .expect("a check of the Hjemmel")
            .clone();
        as_hjemmel.content = cpr..cpr + "150780-4329".len();
        assert!(!set.passes(&as_hjemmel, "150780-4329"));
        let wrong = checks
            .iter()
            .map(|c| match c.content.start == cpr {
                true => as_hjemmel.clone(),
                false => c.clone(),
            })
            .collect();
        remember(key, REQUEST, &envelope, Some((&set, wrong)));
        let recalled = recall(key, REQUEST.as_bytes()).expect("kept");
        assert!(!recalled.valid_against(&set), "the wrong checks were not kept");
        let right = Key::new(u64::MAX - 3, services.services[0].as_ref(), Limits::default());
        remember(right, REQUEST, &envelope, Some((&set, checks)));
        assert!(recall(right, REQUEST.as_bytes()).expect("kept").valid_against(&set));
    }

    /// Bytes put into a request's slots or next to their borders: UTF-8 (ASCII, a letter
    /// and a noncharacter of two and three bytes, markup) and not (a lone continuation byte, a
    /// sequence cut short, an overlong form, a surrogate, bytes UTF-8 never has).
    const BYTES: [&[u8]; 22] = [
        b"",
        b"a",
        b"0",
        b" ",
        b"\n",
        b"<",
        b">",
        b"&",
        "é".as_bytes(),
        "€".as_bytes(),
        "\u{FFFE}".as_bytes(),
        b"\xC3",
        b"\xA9",
        b"\x80",
        b"\xE2\x82",
        b"\xF0\x9F\x98",
        b"\xC0\xAF",
        b"\xED\xA0\x80",
        b"\xFF",
        b"\xFE",
        b"\xEF",
        b"\xEF\xBF",
    ];

    proptest! {
        /// A request fits a template exactly when it is UTF-8 as a whole (`from_utf8` of all
        /// its bytes) and is the template's markup with other slot texts (found the long
        /// way, which does not look at UTF-8), whatever bytes its slots hold or are put in
        /// just before or after a slot's border; and what fits reads as the reader reads it.
        #[test]
        fn a_request_fits_only_when_it_is_utf8(
            new_texts in prop::collection::vec(
                prop::option::weighted(0.5, prop::collection::vec(prop::sample::select(BYTES.to_vec()), 0..4)),
                7,
            ),
            splice in prop::option::weighted(0.5, (0..7usize, any::<bool>(), -2i64..=2, prop::sample::select(BYTES.to_vec()))),
        ) {
            let envelope = read(REQUEST).expect("reads");
            let t = Rc::new(Template::of(REQUEST, &envelope, None).expect("a template"));
            let own = REQUEST.as_bytes();
            let mut input = Vec::new();
            let mut slots = Vec::new();
            let mut from = 0;
            for (s, new) in t.slots.iter().zip(&new_texts) {
                input.extend_from_slice(&own[from..s.start]);
                let start = input.len();
                match new {
                    Some(new) => input.extend(new.concat()),
                    None => input.extend_from_slice(&own[s.clone()]),
                }
                slots.push(start..input.len());
                from = s.end;
            }
            input.extend_from_slice(&own[from..]);
            if let Some((slot, at_end, delta, bytes)) = splice {
                let border = if at_end { slots[slot].end } else { slots[slot].start };
                let at = (border as i64 + delta).clamp(0, input.len() as i64) as usize;
                input.splice(at..at, bytes.iter().copied());
            }
            let fit = t.fit(&input);
            let text = std::str::from_utf8(&input);
            prop_assert_eq!(fit.is_some(), text.is_ok() && scanned(&t, &input).is_some());
            if let (Some(changed), Ok(text)) = (fit, text) {
                let recalled = Recalled {
                    len: input.len(),
                    template: Rc::clone(&t),
                    changed,
                };
                let long = every_slot_changed(&t, text).expect("fits");
                prop_assert_eq!(seen(&long.envelope()), seen(&recalled.envelope()));
                let envelope = read(text);
                prop_assert!(envelope.is_some(), "fits but does not read: {text}");
                prop_assert_eq!(seen(&envelope.expect("read")), seen(&recalled.envelope()));
            }
        }
    }

    proptest! {
        /// The checks before and after the service, through a template, find what they find
        /// the long way, in request after request (other slot texts, other HTTP headers,
        /// bindings, security modes and CPR numbers, in any order: a kept verdict is used
        /// again only where it holds).
        #[test]
        fn judged_through_a_template_is_judged_the_long_way(
            calls in prop::collection::vec(
                (
                    0..16usize,
                    prop::option::of(prop::sample::select(vec![
                        "application/soap+xml; charset=utf-8",
                        "application/soap+xml; charset=utf-8; action=\"urn:x\"",
                        "application/soap+xml;action=http://kombit.dk/sts/KontrolsagListeHent",
                        "text/xml; charset=utf-8",
                        "text/xml",
                    ])),
                    prop::option::of(prop::sample::select(vec!["", "\"urn:x\"", "urn:y"])),
                    0..3usize,
                    prop::sample::select(vec![SecurityMode::Off, SecurityMode::Token, SecurityMode::Strict]),
                    prop::option::of(prop::sample::select(vec!["150780-4329", "1507804329", "150780-432", "320780-4329", "x"])),
                ),
                1..12,
            ),
        ) {
            let loaded = crate::app::Loaded::new(
                crate::scenario::Scenario::parse(crate::scenario::DEFAULT_SCENARIO, "default", None).expect("parses"),
            );
            let profiles = &loaded.profiles;
            prop_assert!(profiles.iter().any(|p| p.cpr.is_some()) && profiles.iter().any(|p| p.token));
            let v11 = REQUEST.replace("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/");
            let bindings: [&[SoapVersion]; 3] = [&[SoapVersion::V12], &[SoapVersion::V11], &[SoapVersion::V11, SoapVersion::V12]];
            for base in [REQUEST, v11.as_str()] {
                let envelope = read(base).expect("reads");
                let t = Rc::new(Template::of(base, &envelope, None).expect("a template"));
                for (n, (profile, content_type, soap_action, binding, security, cpr)) in calls.iter().enumerate() {
                    // Another TransaktionsId, with a line more before the operation's end.
                    let text = match n % 2 {
                        0 => base.to_owned(),
                        _ => base.replace("6f1c1a4e-1111", "\n6f1c1a4e-2222"),
                    };
                    let recalled = Recalled {
                        len: text.len(),
                        template: Rc::clone(&t),
                        changed: t.fit(text.as_bytes()).expect("fits"),
                    };
                    let envelope = read(&text).expect("reads");
                    let mut judging = recalled.judging(*content_type, *soap_action);
                    prop_assert_eq!(judging.http_action(), soap::http_action(*soap_action, *content_type));
                    let request = conformance::Request {
                        bindings: bindings[*binding],
                        body: text.as_bytes(),
                        envelope: &envelope,
                        content_type: *content_type,
                        soap_action: *soap_action,
                        security: *security,
                    };
                    let profile = &profiles[profile % profiles.len()];
                    let (mut short, mut long) = (Vec::new(), Vec::new());
                    judging.before(profile, &request, &mut short);
                    drop(judging);
                    conformance::before(profile, &request, &mut long);
                    prop_assert_eq!(&short, &long);
                    recalled.after(profile, envelope.version, text.as_bytes(), *cpr, &mut short);
                    conformance::after(profile, envelope.version, text.as_bytes(), *cpr, &mut long);
                    prop_assert_eq!(short, long);
                }
            }
        }
    }

    /// The pieces slot texts and spliced bytes are made of: plain values, white space (some
    /// `str::trim` removes), markup, references and characters XML does not allow.
    const PIECES: [&str; 44] = [
        "",
        "a",
        "0",
        "1",
        "9",
        " ",
        "\t",
        "\n",
        "\r",
        "-",
        ":",
        "T",
        "Z",
        ".",
        "<",
        ">",
        "&",
        "&amp;",
        "&#65;",
        "é",
        "\u{1}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{3000}",
        "\u{feff}",
        "\u{FFFE}",
        "\u{FFFF}",
        "\u{FFFD}",
        "]]>",
        "<!--c-->",
        "</x>",
        "<x/>",
        "2026-11-22",
        "T10:15:00Z",
        "64942212",
        "UDBL_11A_STK2",
        "150780-4329",
        "6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11",
        "kontekst:",
        "xmlns:k='urn:x'",
        "<soap:Body>",
        "<![CDATA[x]]>",
    ];

    /// Requests made from `base` (read as `template`) with any of its slots' texts replaced
    /// (several at once, growing and shrinking), or bytes spliced in anywhere: each that fits
    /// reads exactly as the reader reads it, and is valid per the template exactly when the
    /// plain pass takes it (then the full validator finds nothing). Returns how many fit and
    /// how many of those were valid.
    fn fitting_reads_as_the_readers_read(
        base: &str,
        t: &Rc<Template>,
        set: &SchemaSet,
        id: ElementId,
        cases: u32,
    ) -> (u32, u32) {
        let shape: Vec<_> = read(base)
            .expect("reads")
            .operation
            .shape
            .expect("shaped")
            .into_iter()
            .flatten()
            .collect();
        let text_for = prop::collection::vec(prop::sample::select(PIECES.to_vec()), 0..4);
        let new_texts = prop::collection::vec(prop::option::weighted(0.4, text_for), shape.len());
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases,
            ..Default::default()
        });
        let fits = std::cell::Cell::new(0);
        let valid = std::cell::Cell::new(0);
        runner
            .run(
                &(
                    new_texts,
                    prop::option::weighted(0.3, (0..base.len(), prop::sample::select(PIECES.to_vec()), 0..4usize)),
                ),
                |(new_texts, splice)| {
                    let mut text = base.to_owned();
                    // From the last slot back, so that the ranges before stay where they are.
                    for (range, new) in shape.iter().zip(&new_texts).rev() {
                        if let Some(new) = new {
                            text.replace_range(range.clone(), &new.concat());
                        }
                    }
                    if let Some((at, insert, cut)) = splice {
                        let at = (0..=at.min(text.len()))
                            .rev()
                            .find(|&i| text.is_char_boundary(i))
                            .unwrap_or(0);
                        let end = (at + cut..=text.len())
                            .find(|&i| text.is_char_boundary(i))
                            .unwrap_or(text.len());
                        text.replace_range(at..end, insert);
                    }
                    let fit = t.fit(text.as_bytes());
                    let slots = scanned(t, text.as_bytes());
                    prop_assert_eq!(fit.is_some(), slots.is_some(), "{}", text);
                    let (Some(changed), Some(slots)) = (fit, slots) else {
                        return Ok(());
                    };
                    fits.set(fits.get() + 1);
                    // A slot is taken as changed exactly when its text is not the template's.
                    let own = |i: usize| &t.text[t.slots[i].clone()];
                    match &changed {
                        None => prop_assert_eq!(&text, &*t.text),
                        Some(changed) => {
                            prop_assert_eq!(changed.len(), slots.len());
                            for (i, (c, s)) in changed.iter().zip(&slots).enumerate() {
                                match c {
                                    None => prop_assert_eq!(&text[s.clone()], own(i)),
                                    Some(c) => {
                                        prop_assert_eq!(*c, &text[s.clone()]);
                                        prop_assert!(std::ptr::eq(c.as_ptr(), text[s.start..].as_ptr()));
                                        prop_assert_ne!(&text[s.clone()], own(i));
                                    }
                                }
                            }
                        }
                    }
                    let recalled = Recalled {
                        len: text.len(),
                        template: Rc::clone(t),
                        changed,
                    };
                    let long = every_slot_changed(t, &text).expect("fits");
                    prop_assert_eq!(seen(&long.envelope()), seen(&recalled.envelope()), "{}", text);
                    prop_assert_eq!(long.valid_against(set), recalled.valid_against(set), "{}", text);
                    let envelope = read(&text);
                    prop_assert!(envelope.is_some(), "fits but does not read: {text}");
                    let envelope = envelope.expect("read");
                    prop_assert_eq!(seen(&recalled.envelope()), seen(&envelope), "{}", text);
                    let taken = values(set, id, &text, &envelope).is_some();
                    prop_assert_eq!(recalled.valid_against(set), taken, "{}", text);
                    if taken {
                        valid.set(valid.get() + 1);
                        prop_assert!(
                            set.validate_instance(&instance(&text, &envelope), Some(id), LIMITS)
                                .is_empty()
                        );
                    }
                    Ok(())
                },
            )
            .expect("no difference");
        (fits.get(), valid.get())
    }

    /// Other values, the same markup, in a valid request: read as the reader reads them, valid
    /// exactly when the plain pass finds them valid; anything else does not fit.
    #[test]
    fn a_request_that_fits_reads_as_the_readers_read_it() {
        let (set, id) = schema();
        let t = Rc::new(template(&set, id));
        // (About a quarter fit and one in eight of those is valid.)
        let (fits, valid) = fitting_reads_as_the_readers_read(REQUEST, &t, &set, id, 8000);
        assert!(fits > 1000, "many requests fit ({fits})");
        assert!(valid > 100, "many are valid ({valid})");
    }

    /// The same of a SOAP 1.1 request in the default namespace with empty leaves, both an
    /// empty-element tag (no slot) and an empty start and end tag (an empty slot), that the
    /// schema does not take (a template without value checks: never valid by it).
    #[test]
    fn a_request_with_empty_leaves_fits_and_reads_as_the_readers_read_it() {
        let base = r#"<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>
  <KontrolsagListeHent_I xmlns="urn:k"><Tom/><a>1</a><b></b><c><d/><e> x </e></c><f></f></KontrolsagListeHent_I>
</Body></Envelope>"#;
        let (set, id) = schema();
        let envelope = read(base).expect("reads");
        assert!(
            values(&set, id, base, &envelope).is_none(),
            "the schema does not take it"
        );
        let t = Rc::new(Template::of(base, &envelope, None).expect("a template"));
        assert_eq!(t.slots.len(), 4, "a slot per leaf but the empty-element tags");
        let (fits, valid) = fitting_reads_as_the_readers_read(base, &t, &set, id, 3000);
        assert!(fits > 1000, "many requests fit ({fits})");
        assert_eq!(valid, 0);
    }

    /// What cannot be a template is not one: a leaf split by a comment or a reference.
    #[test]
    fn a_request_the_reader_reads_in_pieces_is_no_template() {
        for text in [
            REQUEST.replace("UDBL_11A_STK1", "UDBL_11A_&#83;TK1"),
            REQUEST.replace("UDBL_11A_STK1", "UDBL<!-- c -->_11A_STK1"),
        ] {
            let envelope = read(&text).expect("reads");
            assert!(envelope.operation.shape.is_none());
            assert!(Template::of(&text, &envelope, None).is_none());
        }
    }

    /// A service keeps MAX_TEMPLATES; past them a new shape replaces the oldest once in
    /// REPLACE_EVERY requests; another world starts afresh.
    #[test]
    fn templates_are_bounded_and_replaced_now_and_then() {
        let services = crate::app::Loaded::new(
            crate::scenario::Scenario::parse(crate::scenario::DEFAULT_SCENARIO, "default", None).expect("parses"),
        );
        let service = services.services[0].as_ref();
        let key = Key::new(u64::MAX - 1, service, Limits::default());
        // Shapes differ in the Header's MessageID (markup, not a slot).
        let shape = |n: usize| REQUEST.replace("urn:uuid:1", &format!("urn:uuid:{n}"));
        for n in 0..MAX_TEMPLATES {
            let text = shape(n);
            assert!(recall(key, text.as_bytes()).is_none());
            assert!(wants(key));
            remember(key, &text, &read(&text).expect("reads"), None);
            assert!(recall(key, text.as_bytes()).is_some());
        }
        let new = shape(MAX_TEMPLATES);
        for _ in 1..REPLACE_EVERY {
            assert!(!wants(key));
        }
        assert!(wants(key));
        remember(key, &new, &read(&new).expect("reads"), None);
        assert!(recall(key, new.as_bytes()).is_some());
        assert!(recall(key, shape(0).as_bytes()).is_none(), "the oldest was replaced");
        assert!(recall(key, shape(1).as_bytes()).is_some());
        // Another world: nothing recalled, and the first request there is kept.
        let other = Key::new(u64::MAX, service, Limits::default());
        assert!(recall(other, new.as_bytes()).is_none());
        assert!(wants(other));
        assert!(
            recall(key, shape(1).as_bytes()).is_none(),
            "the old world's templates are gone"
        );
        // Requests that cannot be templates after all (here: read by the quick-xml reader, so
        // without the leaves' places): past MAX_TEMPLATES of them, one in REPLACE_EVERY is
        // taken, room or not.
        let mut unshaped = read(&new).expect("reads");
        unshaped.operation.shape = None;
        for _ in 0..MAX_TEMPLATES {
            assert!(wants(other));
            remember(other, &new, &unshaped, None);
        }
        assert!(recall(other, new.as_bytes()).is_none());
        for _ in 1..REPLACE_EVERY {
            assert!(!wants(other));
        }
        assert!(wants(other));
        // A request that cannot be one is not asked about.
        assert!(!could_keep(&new, &unshaped));
        assert!(could_keep(&new, &read(&new).expect("reads")));
        let long = new.replace("urn:uuid:", &"u".repeat(MAX_TEMPLATE_BYTES));
        assert!(!could_keep(&long, &read(&long).expect("reads")));
    }

    /// Served: a request read from a template is answered, journaled and judged as one read
    /// in full (a fresh world each, where nothing is a template yet).
    #[test]
    fn answers_and_findings_are_those_of_a_request_read_in_full() {
        use bytes::Bytes;

        let scenario =
            crate::scenario::Scenario::parse(crate::scenario::DEFAULT_SCENARIO, "default", None).expect("parses");
        let request = |text: &str| {
            http::Request::post("/kontrolsaglistehent/1")
                .header("content-type", "application/soap+xml; charset=utf-8")
                .header("host", "127.0.0.1:18080")
                .body(Bytes::from(text.to_owned()))
                .expect("a request")
        };
        let body = |cpr: &str, hjemmel: &str, id: &str, cvr: &str| {
            format!(
                r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
  <soap:Body>
    <k:KontrolsagListeHent_I revision="1">
      <kontekst:HovedOplysninger>
        <kontekst:TransaktionsId>{id}</kontekst:TransaktionsId>
        <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
        <kontekst:AuthorityContext><kontekst:MunicipalityCVR>{cvr}</kontekst:MunicipalityCVR></kontekst:AuthorityContext>
      </kontekst:HovedOplysninger>
      <k:KontrolsagSoegKriterie>
        <k:PersonCPRNummer>{cpr}</k:PersonCPRNummer>
        <k:Hjemmel>{hjemmel}</k:Hjemmel>
      </k:KontrolsagSoegKriterie>
    </k:KontrolsagListeHent_I>
  </soap:Body>
</soap:Envelope>"#
            )
        };
        let requests = [
            body(
                "150780-4329",
                "UDBL_11A_STK2",
                "6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11",
                "64942212",
            ),
            body(
                "150780-4329",
                "UDBL_11A_STK2",
                "6f1c1a4e-2222-4c1e-9a53-0d6f5f0c2a11",
                "64942212",
            ),
            body(
                " 150780-4329\n",
                "UDBL_11A_STK2",
                "6f1c1a4e-2222-4c1e-9a53-0d6f5f0c2a11",
                "64942212",
            ),
            body("1507804329", "UDBL_11A_STK2", "x", "64942212"),
            body(
                "150780-432",
                "UDBL_11A_STK2",
                "6f1c1a4e-2222-4c1e-9a53-0d6f5f0c2a11",
                "64942212",
            ),
            body(
                "150780-4329",
                "UDBL_11A_STK3",
                "6f1c1a4e-2222-4c1e-9a53-0d6f5f0c2a11",
                "64942212",
            ),
            body(
                "150780-4329",
                "UDBL_11A_STK2",
                "6f1c1a4e-2222-4c1e-9a53-0d6f5f0c2a11",
                "29189846",
            ),
            body("150780-4329", "", "", ""),
            body("150780-4329", "UDBL_11A_STK2", "a&amp;b", "64942212"),
            body(
                "150780-4329",
                "UDBL_11A_STK2",
                "6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11",
                "64942212",
            ),
        ];
        let findings =
            |app: &crate::app::App, id: u64| format!("{:?}", app.journal.get(id).expect("journaled").findings());
        // Each alone first (a world of its own: this thread's templates start afresh each
        // time), then all in one world.
        let alone: Vec<_> = requests
            .iter()
            .map(|text| {
                let fresh = crate::app::App::new(scenario.clone(), crate::app::Limits::default());
                let answer = crate::http::handle(&fresh, request(text));
                (answer, findings(&fresh, 1))
            })
            .collect();
        assert_eq!(alone[1].1, "[]", "a valid request has no finding");
        assert_ne!(alone[5].1, "[]", "a Hjemmel the schema does not know is a finding");
        let app = crate::app::App::new(scenario.clone(), crate::app::Limits::default());
        for (n, (text, (alone, alone_findings))) in requests.iter().zip(&alone).enumerate() {
            let kept = crate::http::handle(&app, request(text));
            assert_eq!(kept.status(), alone.status(), "{text}");
            assert_eq!(kept.body(), alone.body(), "{text}");
            assert_eq!(&findings(&app, n as u64 + 1), alone_findings, "{text}");
        }
        // The requests after the first were read from its template (all but the one with a
        // reference in a leaf): same thread, same world.
        let key = Key::new(app.loaded().id, app.loaded().services[0].as_ref(), app.limits.xml());
        assert!(recall(key, requests[1].as_bytes()).is_some());
        assert!(recall(key, requests[8].as_bytes()).is_none());
    }
}
