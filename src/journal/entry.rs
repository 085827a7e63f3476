//! One journal entry: what a client sent, what sfstub answered, and what it found on the way;
//! and its JSON for the admin API.

use std::borrow::Cow;
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
    /// The request target: path and query. Owned, like every field: a clone of the request's
    /// `Uri` or header values would share (and keep alive) the connection's read buffer.
    pub target: String,
    /// The service's title (as in the banner), for requests to a service endpoint.
    pub service: Option<&'static str>,
    /// The operation: the WSDL name when sfstub knows it, else the request element's name.
    pub operation: Option<Cow<'static, str>>,
    pub soap_version: Option<SoapVersion>,
    /// The caller's CVR, as the security layer established it.
    pub caller: Option<String>,
    /// The security mode of the run.
    pub security: SecurityMode,
    /// Token, verdict, CPR number, returned IDs and refusal codes.
    pub facts: Facts,
    pub status: u16,
    pub outcome: Outcome,
    pub latency: Duration,
    pub findings: Vec<Finding>,
    pub request: Body,
    pub response: Body,
    /// The request's SOAPAction header.
    pub soap_action: Option<String>,
    /// What a fault rule did to the answer, if one fired.
    pub injected: Option<crate::faults::effect::Injected>,
}

impl Entry {
    /// An entry of nothing yet: the room a new exchange is written into when no evicted
    /// entry is there to be recycled (see [`super::Journal::record_with`]).
    pub fn blank() -> Entry {
        Entry {
            id: 0,
            time: SystemTime::UNIX_EPOCH,
            method: Method::GET,
            target: String::new(),
            service: None,
            operation: None,
            soap_version: None,
            caller: None,
            security: SecurityMode::default(),
            facts: Facts::default(),
            status: 0,
            outcome: Outcome {
                kind: OutcomeKind::Ok,
                text: String::new(),
                codes: Vec::new(),
            },
            latency: Duration::ZERO,
            findings: Vec::new(),
            request: Body::default(),
            response: Body::default(),
            soap_action: None,
            injected: None,
        }
    }

    /// An SF1472 exchange by `caller` for the journal's tests: `status`, an outcome of `kind`
    /// with the text `text`, no findings, empty bodies.
    #[cfg(test)]
    pub(crate) fn example(id: u64, caller: &str, kind: OutcomeKind, status: u16, text: &str) -> Entry {
        Entry {
            id,
            time: SystemTime::now(),
            method: Method::POST,
            target: "/kontrolsaglistehent/1".into(),
            service: Some("SF1472 KontrolsagListeHent"),
            operation: Some("KontrolsagListeHent".into()),
            soap_version: None,
            caller: Some(caller.into()),
            security: SecurityMode::Off,
            facts: Facts::default(),
            status,
            outcome: Outcome {
                kind,
                text: text.into(),
                codes: vec![],
            },
            latency: Duration::from_micros(50),
            findings: vec![],
            request: Body::default(),
            response: Body::default(),
            soap_action: None,
            injected: None,
        }
    }
}

/// The request's texts an entry keeps a copy of, borrowed until the journal writes them into
/// the entry's own buffers: a recycled entry's, so that recording allocates nothing for them
/// (an owned target made for each exchange was allocated, copied into the recycled entry and
/// freed, ~150 instructions).
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    /// The request target: path and query.
    pub target: &'a str,
    /// The request's SOAPAction header.
    pub soap_action: Option<&'a HeaderValue>,
}

impl Texts<'_> {
    /// Makes `entry`'s target and SOAPAction these (the tests' [`super::Journal::record`]).
    #[cfg(test)]
    pub fn write_into(self, entry: &mut Entry) {
        self.write_into_parts(&mut entry.target, &mut entry.soap_action);
    }

    /// Makes an entry's `target` and `soap_action` these, reusing their buffers.
    pub fn write_into_parts(self, target: &mut String, soap_action: &mut Option<String>) {
        target.clear();
        target.push_str(self.target);
        match self.soap_action {
            Some(value) => assign_header(soap_action.get_or_insert_default(), value),
            None => *soap_action = None,
        }
    }
}

/// A body as kept: at most [`BODY_CAP`] bytes of it.
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
    /// An answer sfstub built, the `Bytes` it sent (see [`Built`]).
    Shared(Bytes),
}

impl Default for Kept {
    fn default() -> Self {
        Kept::Copied(Vec::new())
    }
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

    /// Sets the content type (not UTF-8: lossily). A recycled entry mostly holds the same one
    /// already (every answer of a service has the same): then it is only compared.
    fn set_content_type(&mut self, content_type: Option<&HeaderValue>) {
        match content_type {
            Some(value) if self.content_type.as_deref().map(str::as_bytes) == Some(value.as_bytes()) => {}
            Some(value) => self.content_type = Some(String::from_utf8_lossy(value.as_bytes()).into()),
            None => self.content_type = None,
        }
    }

    /// The bytes kept: the body's first [`BODY_CAP`] bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.kept {
            Kept::Copied(bytes) => bytes,
            Kept::Shared(bytes) => bytes,
        }
    }

    /// The bytes the body holds for the journal's byte bound: a copy's capacity, a shared
    /// answer's length (see [`Body::keep_built`]).
    fn held(&self) -> usize {
        match &self.kept {
            Kept::Copied(bytes) => bytes.capacity(),
            Kept::Shared(bytes) => bytes.len(),
        }
    }

    /// True when the body was cut.
    pub fn truncated(&self) -> bool {
        self.bytes().len() < self.len
    }

    fn json(&self, full: bool) -> Value {
        let mut v = json!({
            "bytes": self.len,
            "truncated": self.truncated(),
            "content_type": self.content_type,
        });
        if full {
            let bytes = self.bytes();
            match std::str::from_utf8(bytes) {
                Ok(text) => v["text"] = json!(text),
                // A cut inside a UTF-8 sequence, or not text at all.
                Err(e) if self.truncated() && e.error_len().is_none() => {
                    v["text"] = json!(String::from_utf8_lossy(&bytes[..e.valid_up_to()]))
                }
                Err(_) => {
                    use base64::Engine;
                    v["base64"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes))
                }
            }
        }
        v
    }
}

/// What the answer was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// The request log's outcome text.
    pub text: String,
    /// FejlIds, StatusKode, fault codes.
    pub codes: Vec<String>,
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
    /// Makes this entry — an evicted one, recycled — `entry`, its bodies, target and
    /// SOAPAction aside (the journal writes those, see [`Texts`]), writing text into this entry's own buffers: the journal's memory is
    /// reused in place rather than freed, long after it was written and no longer in any
    /// cache, and allocated again for every exchange. The tests' way to record a whole entry
    /// ([`super::Journal::record`]); `serve` writes its exchanges in place.
    #[cfg(test)]
    pub fn assign(&mut self, entry: Entry) {
        let Entry {
            id,
            time,
            method,
            target: _,
            service,
            operation,
            soap_version,
            caller,
            security,
            facts,
            status,
            outcome,
            latency,
            findings,
            request: _,
            response: _,
            soap_action: _,
            injected,
        } = entry;
        self.id = id;
        self.time = time;
        self.method = method;
        self.service = service;
        self.operation = operation;
        self.soap_version = soap_version;
        self.caller.clone_from(&caller);
        self.security = security;
        self.facts = facts;
        self.status = status;
        self.outcome.kind = outcome.kind;
        self.outcome.text.clone_from(&outcome.text);
        self.outcome.codes.clone_from(&outcome.codes);
        self.latency = latency;
        self.findings = findings;
        self.injected = injected;
    }

    /// An estimate of the memory the entry holds, for the journal's byte bound.
    pub fn weight(&self) -> usize {
        std::mem::size_of::<Entry>()
            + 96
            + self.request.held()
            + self.response.held()
            + self.target.len()
            + self.request.content_type.as_ref().map_or(0, |c| c.len())
            + self.response.content_type.as_ref().map_or(0, |c| c.len())
            + self.soap_action.as_ref().map_or(0, |c| c.len())
            + self.caller.as_ref().map_or(0, String::len)
            + self.outcome.text.len()
            + self.injected.as_ref().map_or(0, |i| 64 + i.rule.len() + i.text.len())
            + self.outcome.codes.iter().map(|c| c.len() + 24).sum::<usize>()
            + self.facts.cpr.as_ref().map_or(0, String::len)
            + self.facts.ids.len() * 16
            + self
                .facts
                .token
                .as_ref()
                .map_or(0, |t| t.subject.len() + t.cvr.len() + 64)
            + self
                .findings
                .iter()
                .map(|f| std::mem::size_of::<Finding>() + f.message.len() + f.path.as_ref().map_or(0, String::len))
                .sum::<usize>()
    }

    /// The request's path.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&*self.target, |(p, _)| p)
    }

    /// The request's query, if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// True when a finding has severity error.
    pub fn fails(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The CPR number asked about, digits only.
    pub fn cpr_digits(&self) -> Option<String> {
        self.facts
            .cpr
            .as_ref()
            .map(|c| c.chars().filter(char::is_ascii_digit).collect())
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
            "soap_action": self.soap_action,
            "caller": self.caller,
            "cpr": self.facts.cpr,
            "security": {
                "mode": self.security.name(),
                "verdict": verdict.map(Verdict::name),
                "model": model,
                "diagnosis": diagnosis,
                "token": token,
            },
            "status": self.status,
            "outcome": {
                "kind": self.outcome.kind.name(),
                "text": self.outcome.text,
                "codes": self.outcome.codes,
                "ids": self.facts.ids.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
            },
            "latency_us": self.latency.as_micros() as u64,
            "conformance": if self.fails() { "fail" } else { "pass" },
            "findings": self.findings,
            "request": self.request.json(full),
            "response": self.response.json(full),
            "injected": self.injected.as_ref().map(|i| i.json()),
        });
        if !full {
            v["href"] = json!(format!("/__sfstub/journal/{}", self.id));
        }
        v
    }
}

/// A header value as an owned string (not UTF-8: lossily).
pub fn owned(value: &HeaderValue) -> String {
    let mut text = String::new();
    assign_header(&mut text, value);
    text
}

/// Sets `text` to a header value (not UTF-8: lossily), reusing its capacity. A recycled
/// entry mostly holds the same value already (every answer of a service has the same
/// Content-Type): then it is only compared (~100 instructions less a body, callgrind on
/// examples/request_cost).
pub fn assign_header(text: &mut String, value: &HeaderValue) {
    if text.as_bytes() == value.as_bytes() {
        return;
    }
    text.clear();
    match std::str::from_utf8(value.as_bytes()) {
        Ok(value) => text.push_str(value),
        Err(_) => text.push_str(&String::from_utf8_lossy(value.as_bytes())),
    }
}

/// Sets `text` to `value`: copied into `text`'s own buffer when it has one (a recycled
/// entry's: the old buffer is reused rather than freed long after it was written), else
/// moved in (a new entry's: a copy would cost an allocation more).
pub fn assign_text(text: &mut String, value: impl AsRef<str> + Into<String>) {
    match text.capacity() {
        0 => *text = value.into(),
        _ => {
            text.clear();
            text.push_str(value.as_ref());
        }
    }
}

/// [`assign_text`] for a text that may be absent.
pub fn assign_option(text: &mut Option<String>, value: Option<String>) {
    match (text, value) {
        (Some(text), Some(value)) => assign_text(text, value),
        (text, value) => *text = value,
    }
}

/// Upper-case hex, as `sfstub certs show` writes thumbprints.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
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
        assert_eq!((body.held(), body.len, body.bytes()), (3000, 3000, &answer[..]));
        // Much room to spare: copied into a buffer of its own.
        body.keep_built(built(&answer[..1000], 4096), None);
        assert!(matches!(&body.kept, Kept::Copied(b) if b.capacity() == 1000));
        assert_eq!((body.len, body.bytes()), (1000, &answer[..1000]));
        // Over the cap: its first BODY_CAP bytes copied.
        let large = vec![b'b'; BODY_CAP + 1];
        body.keep_built(built(&large, large.len()), None);
        assert!(matches!(&body.kept, Kept::Copied(_)));
        assert_eq!(
            (body.len, body.bytes(), body.truncated()),
            (BODY_CAP + 1, &large[..BODY_CAP], true)
        );
        // A copy after a shared answer.
        body.keep_built(sent, None);
        body.keep_into(Sent {
            bytes: b"<x/>",
            content_type: None,
        });
        assert!(matches!(&body.kept, Kept::Copied(_)));
        assert_eq!((body.len, body.bytes()), (4, &b"<x/>"[..]));
    }

    #[test]
    fn a_header_is_assigned_as_it_reads_whatever_was_there() {
        let mut text = String::new();
        for value in [
            HeaderValue::from_static("text/xml; charset=utf-8"),
            HeaderValue::from_static("text/xml; charset=utf-8"),
            HeaderValue::from_static("text/xml"),
            HeaderValue::from_bytes(b"a\xE6b").expect("a header value"),
            HeaderValue::from_bytes(b"a\xE6b").expect("a header value"),
            HeaderValue::from_static(""),
        ] {
            assign_header(&mut text, &value);
            assert_eq!(text, String::from_utf8_lossy(value.as_bytes()));
            assert_eq!(owned(&value), text);
        }
    }
}
