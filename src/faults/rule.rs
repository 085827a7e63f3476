//! A fault rule: what it matches, what it does, how long it lives. Reading one from YAML or
//! JSON is [`super::read`].

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::MAX_WAIT;
use crate::services::catalogue::Kind;
use crate::world::{Cpr, Cvr};

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique among the rules held; used in the admin API's paths and in the journal.
    pub id: String,
    pub matcher: Matcher,
    /// Wait before answering.
    pub delay: Option<Delay>,
    /// Send the answer slowly.
    pub trickle: Option<Trickle>,
    /// Answer this instead (or not at all).
    pub effect: Option<Effect>,
    /// Fire at most this many times.
    pub times: Option<u64>,
    /// Stop firing then.
    pub expiry: Option<Expiry>,
}

/// What a call must be for a rule to fire. Every matcher given must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matcher {
    /// Part of the service's title (lower case), or an endpoint path starting with `/`.
    pub service: Option<String>,
    /// The operation's name, case-insensitive.
    pub operation: Option<String>,
    pub caller: Option<Cvr>,
    pub cpr: Option<Cpr>,
    /// Only the n-th call that matches the other matchers (1 = the first).
    pub nth: Option<u64>,
    /// Fire on this share of the matching calls, drawn from `seed` in call order.
    pub probability: Option<f64>,
    /// The seed of the probability and of a delay range (given, or the scenario's seed mixed
    /// with the rule's ID).
    pub seed: u64,
}

/// A fixed delay or a range (each call draws one from the rule's seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    Fixed(Duration),
    Range(Duration, Duration),
}

/// An answer sent in pieces of `chunk` bytes spread over `over`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trickle {
    pub over: Duration,
    pub chunk: usize,
}

/// What a rule answers instead of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A SOAP fault carrying Serviceplatformen's `ServiceplatformFault` detail (HTTP 500).
    ServiceplatformFault { code: String, text: String },
    /// The platform itself failing: HTTP 500, 502, 503 or 504 with its SOAP fault.
    PlatformStatus(u16),
    /// The STS refusing with one of its fault codes.
    StsFault { code: u32, text: Option<String> },
    /// A K2017 answer whose `HovedOplysningerSvar` carries this `Fejl`.
    Fejl { id: u32, text: Option<String> },
    /// Any HTTP status with any body.
    Http {
        status: u16,
        body: String,
        content_type: String,
    },
    /// Close the connection without an answer.
    Drop,
    /// Answer nothing for this long (at most [`MAX_HANG`]), then close the connection.
    Hang(Duration),
}

impl Effect {
    /// The effect's name, as written in rules, the journal and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Effect::ServiceplatformFault { .. } => "serviceplatform_fault",
            Effect::PlatformStatus(_) => "platform_status",
            Effect::StsFault { .. } => "sts_fault",
            Effect::Fejl { .. } => "fejl",
            Effect::Http { .. } => "http",
            Effect::Drop => "drop",
            Effect::Hang(_) => "hang",
        }
    }

    /// The kinds of services the effect can answer for (`None`: any).
    pub fn kinds(&self) -> Option<&'static [Kind]> {
        match self {
            Effect::StsFault { .. } => Some(&[Kind::Sts, Kind::StsRest]),
            Effect::Fejl { .. } => Some(&[Kind::K2017]),
            Effect::ServiceplatformFault { .. } | Effect::PlatformStatus(_) => {
                Some(&[Kind::Serviceplatform, Kind::K2017, Kind::Stoettesystem, Kind::Sts])
            }
            _ => None,
        }
    }
}

/// When a rule stops firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// This long after the rule was loaded or added.
    Ttl(Duration),
    /// At this instant.
    Until(DateTime<Utc>),
}

/// The STS fault codes a rule may send (KOMBIT's STS interface description, and 5015 as
/// clients read it).
pub const STS_CODES: [u32; 9] = [100, 101, 103, 104, 106, 110, 111, 130, 5015];

/// The statuses `platform_status` may send.
pub const PLATFORM_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// The longest rule ID.
pub const MAX_ID: usize = 64;

/// Parses a duration such as `30s`, `500ms`, `2m`.
pub(super) fn duration(text: &str) -> Result<Duration, String> {
    crate::cli::parse_duration(text)
}

/// `2s`, or a range `500ms..2s`.
pub fn parse_delay(text: &str) -> Result<Delay, String> {
    let bound = |d: Duration| {
        if d > MAX_WAIT {
            Err(format!("at most {}s", MAX_WAIT.as_secs()))
        } else {
            Ok(d)
        }
    };
    match text.split_once("..") {
        None => Ok(Delay::Fixed(bound(duration(text)?)?)),
        Some((lo, hi)) => {
            let (lo, hi) = (bound(duration(lo)?)?, bound(duration(hi)?)?);
            if lo > hi {
                return Err(format!(
                    "{:?}: the range runs from the shorter to the longer time",
                    text.trim()
                ));
            }
            Ok(Delay::Range(lo, hi))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays() {
        assert_eq!(parse_delay("2s"), Ok(Delay::Fixed(Duration::from_secs(2))));
        assert_eq!(
            parse_delay("500ms..2s"),
            Ok(Delay::Range(Duration::from_millis(500), Duration::from_secs(2)))
        );
        assert!(parse_delay("2s..1s").is_err());
        assert!(parse_delay("10m").is_err(), "longer than the bound");
        assert!(parse_delay("soon").is_err());
    }
}
