//! What a rule that fired does to an answer: the platform-shaped answer it sends instead
//! (built here), and how the answer is delivered ([`Delivery`], applied by the connection
//! layer, [`crate::server`]).
//!
//! Wire shapes: `ServiceplatformFault` is the platform's published fault detail with the
//! faultstring the platform is seen to write (protocol.md §3.4); what the platform sends with
//! an HTTP 502/503/504 is not published — sfstub sends its SOAP fault with that status
//! (inferred); the STS's faults are those of [`crate::services::sf1514_sts`] (codes from
//! KOMBIT's STS description; the exact XML placement of the code is inferred).

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderValue, Response, StatusCode, header};

use super::{Effect, Hit, Trickle};
use crate::services::catalogue::Kind;
use crate::services::sf1514_sts::StsError;
use crate::soap::{Fault, SoapVersion};

/// How the connection layer delivers an answer a rule touched: put in the response's
/// extensions by [`crate::http::handle`], taken out by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Wait this long first.
    pub delay: Duration,
    pub mode: Mode,
}

/// What is sent after the delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The answer, at once.
    Whole,
    /// The answer in pieces, spread over a time.
    Trickle(Trickle),
    /// Nothing: the connection is closed.
    Drop,
    /// Nothing for this long; then the connection is closed.
    Hang(Duration),
}

/// What the journal records about an injected effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    pub rule: String,
    /// The effect's name, or `delay` / `trickle` for a rule without one.
    pub effect: &'static str,
    pub delay: Option<Duration>,
    pub trickle: Option<Duration>,
    /// What the client got, in words.
    pub text: String,
}

impl Injected {
    /// True when the client got no answer.
    pub fn unanswered(&self) -> bool {
        matches!(self.effect, "drop" | "hang")
    }

    /// As JSON, for the journal.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "rule": self.rule,
            "effect": self.effect,
            "delay_ms": self.delay.map(|d| d.as_millis() as u64),
            "trickle_ms": self.trickle.map(|d| d.as_millis() as u64),
            "text": self.text,
        })
    }
}

/// The words of an STS fault code, after KOMBIT's STS interface description.
pub fn sts_text(code: u32) -> &'static str {
    match code {
        100 => "unexpected error",
        101 => "unknown configuration (unknown service or unknown caller)",
        103 => "malformed request",
        104 => "unknown endpoint",
        106 => "audit-log commit error",
        110 => "unsupported endpoint configuration",
        111 => "configuration error",
        130 => "database error",
        5015 => "received user context does not exist on using system",
        _ => "error",
    }
}

/// The faultstring tail Serviceplatformen writes.
fn helpdesk() -> String {
    format!(
        " For further information contact Serviceplatformen Helpdesk and inform: CallUUID: {} Received: {}",
        uuid::Uuid::new_v4(),
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    )
}

/// The answer `hit` gives instead of `original` (the service's own), for a call to a service of
/// `kind` in SOAP `version`, and what the journal records. A `fejl` effect is answered by
/// [`crate::http`], which runs the service to write it; here it leaves `original` as it is.
pub fn answer(
    hit: &Hit,
    kind: Option<Kind>,
    version: SoapVersion,
    original: Response<Bytes>,
) -> (Response<Bytes>, Injected) {
    let rule = &hit.rule;
    let mut injected = Injected {
        rule: rule.id.clone(),
        effect: rule
            .effect
            .as_ref()
            .map_or(if rule.trickle.is_some() { "trickle" } else { "delay" }, Effect::name),
        delay: hit.delay,
        trickle: rule.trickle.map(|t| t.over),
        text: String::new(),
    };
    let mode = match (&rule.effect, rule.trickle) {
        (Some(Effect::Drop), _) => Mode::Drop,
        (Some(Effect::Hang(d)), _) => Mode::Hang(*d),
        (_, Some(t)) => Mode::Trickle(t),
        _ => Mode::Whole,
    };
    let mut response = match &rule.effect {
        None | Some(Effect::Fejl { .. }) => original,
        Some(Effect::Drop) => {
            injected.text = "no answer: the connection was closed".into();
            original
        }
        Some(Effect::Hang(d)) => {
            injected.text = format!("no answer for {}s, then the connection was closed", d.as_secs_f32());
            original
        }
        Some(Effect::ServiceplatformFault { code, text }) => {
            let mut fault = Fault::receiver(version, format!("{text}{}", helpdesk()));
            fault.detail = Some(crate::services::serviceplatformen::fault_detail(&[(
                code,
                text.clone(),
            )]));
            injected.text = format!("ServiceplatformFault {code}");
            crate::http::fault_response(&fault)
        }
        Some(Effect::PlatformStatus(status)) => {
            let (code, words) = match status {
                502 => ("BAD_GATEWAY", "Bad Gateway: the called service gave no valid answer."),
                503 => (
                    "SERVICE_UNAVAILABLE",
                    "Service Unavailable: the service is temporarily unavailable.",
                ),
                504 => (
                    "GATEWAY_TIMEOUT",
                    "Gateway Timeout: the called service did not answer in time.",
                ),
                _ => (
                    "INTERNAL_ERROR",
                    "Internal Server Error: the call could not be completed.",
                ),
            };
            let mut fault = Fault::receiver(version, format!("{words}{}", helpdesk()));
            fault.detail = Some(crate::services::serviceplatformen::fault_detail(&[(
                code,
                words.to_owned(),
            )]));
            fault.status = StatusCode::from_u16(*status).ok();
            injected.text = format!("HTTP {status} with the platform's SOAP fault");
            crate::http::fault_response(&fault)
        }
        Some(Effect::StsFault { code, text }) => {
            let error = StsError {
                code: *code,
                reason: text.clone().unwrap_or_else(|| sts_text(*code).to_owned()),
            };
            injected.text = format!("STS fault {code}");
            match kind {
                Some(Kind::StsRest) => crate::services::sf1514_rest::sts_error(error),
                _ => crate::http::fault_response(&error.fault(version)),
            }
        }
        Some(Effect::Http {
            status,
            body,
            content_type,
        }) => {
            let mut r = Response::new(Bytes::from(body.clone()));
            *r.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if let Ok(v) = HeaderValue::from_str(content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            injected.text = format!("HTTP {status}");
            r
        }
    };
    if injected.text.is_empty() {
        injected.text = "the service's answer".into();
    }
    if let Some(d) = hit.delay {
        injected.text.push_str(&format!(", after {} ms", d.as_millis()));
    }
    if let Some(t) = rule.trickle {
        injected
            .text
            .push_str(&format!(", trickled over {} ms", t.over.as_millis()));
    }
    response.extensions_mut().insert(Delivery {
        delay: hit.delay.unwrap_or_default(),
        mode,
    });
    (response, injected)
}
