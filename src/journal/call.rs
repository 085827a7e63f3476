//! What [`crate::http::handle`] collects about one exchange while answering it, and the one
//! call at its end that logs the conformance findings and records the exchange.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Response, header};

use super::{BaseSlot, Built, Entry, OutcomeKind, Sent, Trace};
use crate::app::App;
use crate::conformance::{Finding, Profile};
use crate::http::RequestHeaders;
use crate::memo::Recalled;
use crate::services::Summary;
use crate::soap::{Envelope, Fault, FaultCode, SoapVersion};

/// Paths not journaled: health checks poll them.
const UNJOURNALED: [&str; 2] = ["/healthz", "/readyz"];

/// One exchange as it is being answered.
#[derive(Debug, Default)]
pub struct Call {
    /// Facts the security layer and the service note during the call.
    pub trace: Trace,
    pub service: Option<&'static str>,
    pub operation: Option<Cow<'static, str>>,
    pub soap_version: Option<SoapVersion>,
    pub findings: Vec<Finding>,
    fault: Option<Vec<String>>,
    /// What a fault rule did to the answer.
    pub injected: Option<crate::faults::effect::Injected>,
    /// The answer body sfstub built, when the journal may keep it as sent (see
    /// [`Call::answered`]).
    answer: Option<Built>,
    /// The serial of the template whose text the request is byte for byte, if it is one's
    /// (see [`Call::recalled`]).
    same_as: Option<u64>,
}

impl Call {
    /// Notes the parsed envelope: its version and operation (by its WSDL name when known).
    pub fn envelope(&mut self, envelope: &Envelope, profile: Option<&Profile>) {
        self.soap_version = Some(envelope.version);
        let local = envelope.operation.local_name.as_str();
        self.operation = Some(match profile.and_then(|p| p.operation(local)) {
            Some(op) => Cow::Borrowed(op.name),
            None => Cow::Owned(local.to_owned()),
        });
    }

    /// Notes that the answer is a fault, keeping its codes (the fault code, the subcode, a
    /// ServiceplatformFault's ErrorCodes).
    pub fn fault(&mut self, fault: &Fault) {
        let mut codes = vec![
            match fault.code {
                FaultCode::Sender => "Sender",
                FaultCode::Receiver => "Receiver",
                FaultCode::VersionMismatch => "VersionMismatch",
            }
            .to_owned(),
        ];
        codes.extend(fault.subcode.clone());
        if let Some(detail) = &fault.detail {
            let mut rest = detail.as_str();
            while let Some(i) = rest.find("ErrorCode>") {
                rest = &rest[i + "ErrorCode>".len()..];
                if let Some(end) = rest.find('<')
                    && end > 0
                {
                    codes.push(rest[..end].to_owned());
                }
            }
        }
        self.fault = Some(codes);
    }

    /// Notes the answer body sfstub built, `body`, made from a `Vec` of capacity `allocated`
    /// (`Bytes::from` keeps that allocation): if it is still the body sent when the exchange
    /// is recorded, the journal keeps it rather than a copy ([`super::Body::keep_built`]).
    /// Nothing is noted when the journal is off.
    pub fn answered(&mut self, journal: &super::Journal, body: &Bytes, allocated: usize) {
        if journal.enabled() {
            self.answer = Some(Built {
                bytes: body.clone(),
                allocated,
            });
        }
    }

    /// Notes how the request fit a template of [`crate::memo`], as `recalled`: when it is the
    /// template's text, the journal need not compare it with its base
    /// ([`super::Body::keep_fitting`]). Nothing is noted when the journal is off.
    pub fn recalled(&mut self, journal: &super::Journal, recalled: Option<&Recalled<'_>>) {
        if journal.enabled() {
            self.same_as = recalled.and_then(Recalled::same_as);
        }
    }

    /// Forgets a fault noted earlier (a fault rule answered instead).
    pub fn clear_fault(&mut self) {
        self.fault = None;
    }

    /// Notes that a fault rule answered with an error of its own (`effect`, HTTP `status`).
    pub fn injected_fault(&mut self, effect: &str, status: http::StatusCode) {
        self.fault = Some(vec![format!("injected:{effect}"), status.as_u16().to_string()]);
    }

    /// Logs the findings, counts the exchange in the metrics and records it in the journal
    /// (`latency`: the time taken to answer; `ended`: the time of day it was answered at, the
    /// request line's too; `headers`: the request's, as
    /// [`RequestHeaders::of`] looked them up in `parts`). What the entry keeps is moved out of
    /// the call: by reference, the call is not copied into this function (~50 instructions).
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &mut self,
        app: &App,
        latency: Duration,
        ended: SystemTime,
        parts: &http::request::Parts,
        headers: RequestHeaders<'_>,
        body: &Bytes,
        response: &Response<Bytes>,
        summary: Summary,
    ) {
        for f in &self.findings {
            tracing::warn!(
                target: "sfstub::conformance",
                path = parts.uri.path(),
                code = f.code.as_str(),
                severity = f.severity.name(),
                line = f.line.unwrap_or(0),
                "{}",
                f.message
            );
        }
        let path = crate::http::trimmed(parts.uri.path());
        if UNJOURNALED.contains(&path) {
            return;
        }
        let unanswered = self.injected.as_ref().is_some_and(|i| i.unanswered());
        let status = if unanswered { 0 } else { response.status().as_u16() };
        let success = (200..300).contains(&status);
        let refused = self.trace.is_refused();
        let kind = match &self.fault {
            Some(_) => OutcomeKind::Fault,
            None if success && refused => OutcomeKind::Refused,
            None if success => OutcomeKind::Ok,
            None => OutcomeKind::Error,
        };
        app.metrics
            .request(self.service, self.operation.as_deref(), kind, status, latency);
        if !app.journal.enabled() {
            return;
        }
        let time = ended.checked_sub(latency).unwrap_or(ended);
        let target = parts.uri.path_and_query().map_or(parts.uri.path(), |pq| pq.as_str());
        let request = Sent {
            bytes: body,
            content_type: headers.content_type,
        };
        let answer = Sent {
            bytes: response.body(),
            content_type: first_content_type(response.headers()),
        };
        let Call {
            trace,
            service,
            operation,
            soap_version,
            findings,
            fault,
            injected,
            answer: noted,
            same_as,
        } = self;
        // The answer noted is kept only if it is the body sent: a fault rule may have put
        // another in its place (the note holds the noted one alive: no other body has its
        // address).
        let built = noted.take().filter(|built| {
            let sent = response.body();
            std::ptr::eq(built.bytes.as_ptr(), sent.as_ptr()) && built.bytes.len() == sent.len()
        });
        // Written field by field into the entry's place (every field: a recycled entry holds
        // an older exchange's).
        app.journal.record_with(|e| {
            trace.with_noted_cpr(|cpr| {
                e.set_texts(
                    target,
                    summary.caller.as_deref(),
                    headers.soap_action,
                    cpr,
                    &summary.outcome,
                )
            });
            let Entry {
                id,
                time: e_time,
                method,
                texts: _,
                ends: _,
                service: e_service,
                operation: e_operation,
                soap_version: e_soap_version,
                security,
                facts,
                status: e_status,
                outcome,
                request: e_request,
                response: e_response,
                // Set below, by set_latency and set_rare.
                latency: _,
                rare: _,
            } = e;
            *id = 0;
            *e_time = time;
            method.clone_from(&parts.method);
            *e_service = *service;
            *e_operation = operation.take();
            *e_soap_version = *soap_version;
            *security = app.security.mode;
            trace.move_into(facts);
            *e_status = status;
            *outcome = kind;
            let codes = match fault.take() {
                Some(codes) => codes,
                // A refusal's codes are the outcome's, not the facts'.
                None if kind == OutcomeKind::Refused => std::mem::take(&mut facts.codes),
                None => Vec::new(),
            };
            // Mostly as deltas on the bodies this thread kept whole last for the path.
            let slot = BaseSlot::request(path);
            e_request.keep_fitting(request, same_as.take(), slot);
            match built {
                Some(built) => e_response.keep_built_similar(built, answer.content_type, slot.response()),
                None => e_response.keep_similar(answer, slot.response()),
            }
            e.set_latency(latency);
            e.set_rare(codes, std::mem::take(findings), injected.take());
        });
    }
}

/// The first Content-Type in `headers`: what `headers.get(CONTENT_TYPE)` gives, found by going
/// through the few headers of an answer rather than by hashing the name (~110 instructions).
fn first_content_type(headers: &http::HeaderMap) -> Option<&http::HeaderValue> {
    headers
        .iter()
        .find_map(|(name, value)| (name == header::CONTENT_TYPE).then_some(value))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn the_content_type_found_is_the_one_get_gives() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(first_content_type(&headers), None);
        headers.insert(header::SERVER, HeaderValue::from_static("sfstub"));
        assert_eq!(first_content_type(&headers), None);
        headers.append(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        headers.append(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("3"));
        assert_eq!(first_content_type(&headers), headers.get(header::CONTENT_TYPE));
        assert_eq!(first_content_type(&headers).unwrap(), "text/xml");
    }
}
