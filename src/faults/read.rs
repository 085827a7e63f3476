//! Reading a fault rule from YAML or JSON (the scenario's `faults:` and
//! `POST /__sfstub/faults`), with every problem named by its field, line and column, as
//! `sfstub validate` names them.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::rule::{
    Effect, Expiry, MAX_ID, Matcher, PLATFORM_STATUSES, Rule, STS_CODES, Trickle, duration, parse_delay,
};
use super::{MAX_BODY, MAX_HANG, MAX_WAIT};
use crate::services::catalogue;
use crate::world::{Cpr, Cvr};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    #[serde(default)]
    id: Option<Spanned<String>>,
    #[serde(default, rename = "match")]
    matcher: Option<RawMatch>,
    #[serde(default)]
    delay: Option<Spanned<String>>,
    #[serde(default)]
    trickle: Option<RawTrickle>,
    #[serde(default)]
    effect: Option<Spanned<RawEffect>>,
    #[serde(default)]
    times: Option<Spanned<u64>>,
    #[serde(default)]
    ttl: Option<Spanned<String>>,
    #[serde(default)]
    until: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    service: Option<Spanned<String>>,
    #[serde(default)]
    operation: Option<Spanned<String>>,
    #[serde(default)]
    caller: Option<Spanned<String>>,
    #[serde(default)]
    cpr: Option<Spanned<String>>,
    #[serde(default)]
    nth: Option<Spanned<u64>>,
    #[serde(default)]
    probability: Option<Spanned<f64>>,
    #[serde(default)]
    seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrickle {
    over: Spanned<String>,
    #[serde(default)]
    chunk: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffect {
    #[serde(default)]
    serviceplatform_fault: Option<RawSpFault>,
    #[serde(default)]
    platform_status: Option<Spanned<u64>>,
    #[serde(default)]
    sts_fault: Option<RawCoded>,
    #[serde(default)]
    fejl: Option<RawFejl>,
    #[serde(default)]
    http: Option<RawHttp>,
    #[serde(default)]
    drop: Option<Spanned<bool>>,
    #[serde(default)]
    hang: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSpFault {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoded {
    code: Spanned<u64>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFejl {
    id: Spanned<u64>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    status: Spanned<u64>,
    #[serde(default)]
    body: Option<Spanned<String>>,
    #[serde(default)]
    content_type: Option<Spanned<String>>,
}

use crate::scenario::shape::{Field, Need::*, Shape, field};

const MATCH: &[Field] = &[
    field("service", Optional, Shape::Text),
    field("operation", Optional, Shape::Text),
    field("caller", Optional, Shape::Text),
    field("cpr", Optional, Shape::Text),
    field("nth", Optional, Shape::Whole(u64::MAX)),
    field("probability", Optional, Shape::Number),
    field("seed", Optional, Shape::Whole(u64::MAX)),
];

const EFFECT: &[Field] = &[
    field(
        "serviceplatform_fault",
        Optional,
        Shape::Record(&[
            field("code", Optional, Shape::Text),
            field("text", Optional, Shape::Text),
        ]),
    ),
    field("platform_status", Optional, Shape::Whole(u64::MAX)),
    field(
        "sts_fault",
        Optional,
        Shape::Record(&[
            field("code", Required, Shape::Whole(u64::MAX)),
            field("text", Optional, Shape::Text),
        ]),
    ),
    field(
        "fejl",
        Optional,
        Shape::Record(&[
            field("id", Required, Shape::Whole(u64::MAX)),
            field("text", Optional, Shape::Text),
        ]),
    ),
    field(
        "http",
        Optional,
        Shape::Record(&[
            field("status", Required, Shape::Whole(u64::MAX)),
            field("body", Optional, Shape::Text),
            field("content_type", Optional, Shape::Text),
        ]),
    ),
    field("drop", Optional, Shape::Flag),
    field("hang", Optional, Shape::Text),
];

/// The shape of one rule, for the scenario's shape check.
pub(crate) const RULE: &[Field] = &[
    field("id", Optional, Shape::Text),
    field("match", Optional, Shape::Record(MATCH)),
    field("delay", Optional, Shape::Text),
    field(
        "trickle",
        Optional,
        Shape::Record(&[
            field("over", Required, Shape::Text),
            field("chunk", Optional, Shape::Whole(u64::MAX)),
        ]),
    ),
    field("effect", Optional, Shape::Record(EFFECT)),
    field("times", Optional, Shape::Whole(u64::MAX)),
    field("ttl", Optional, Shape::Text),
    field("until", Optional, Shape::Text),
];

/// Where problems go: `(line, column, field, message)`.
pub(crate) type Report<'a> = &'a mut dyn FnMut(u64, u64, String, String);

fn at<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

/// A small stable hash of a rule ID, to give each rule its own draws by default.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl RawRule {
    /// Where the rule's `id` is written, if it has one.
    pub(crate) fn id_span(&self) -> Option<(u64, u64)> {
        self.id.as_ref().map(at)
    }

    /// Validates the rule; `path` prefixes field names (`faults[2]`), `default_id` names a rule
    /// without an `id`, `seed` is the scenario's.
    pub(crate) fn validate(
        self,
        path: &str,
        default_id: &mut dyn FnMut() -> String,
        seed: u64,
        serves: &dyn Fn(&str) -> bool,
        report: Report<'_>,
    ) -> Option<Rule> {
        let name = |f: &str| {
            if path.is_empty() {
                f.to_owned()
            } else {
                format!("{path}.{f}")
            }
        };
        let mut ok = true;
        let mut bad = |pos: (u64, u64), f: String, m: String| {
            ok = false;
            report(pos.0, pos.1, f, m);
        };
        let id = match &self.id {
            None => default_id(),
            Some(s) => {
                let v = s.value.trim().to_owned();
                if v.is_empty()
                    || v.len() > MAX_ID
                    || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                {
                    bad(
                        at(s),
                        name("id"),
                        format!(
                            "{:?} is not an ID: use 1 to {MAX_ID} letters, digits, '-', '_' or '.'",
                            crate::clip::clip(&s.value)
                        ),
                    );
                }
                v
            }
        };
        let raw = self.matcher.unwrap_or_default();
        let service = raw.service.as_ref().and_then(|s| {
            let v = s.value.trim().to_ascii_lowercase();
            if v.is_empty() || (catalogue::matching(&v).next().is_none() && !serves(&v)) {
                bad(
                    at(s),
                    name("match.service"),
                    format!(
                        "{:?} names no service sfstub serves; use part of a title ({}) or an endpoint path",
                        crate::clip::clip(&s.value),
                        catalogue::SERVICES
                            .iter()
                            .map(|s| s.title)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                None
            } else {
                Some(v)
            }
        });
        let operation = raw.operation.as_ref().and_then(|s| {
            let v = s.value.trim().to_owned();
            if v.is_empty() {
                bad(at(s), name("match.operation"), "must not be empty".into());
                None
            } else {
                Some(v)
            }
        });
        let caller = raw.caller.as_ref().and_then(|s| match Cvr::parse(&s.value) {
            Ok(c) => Some(c),
            Err(e) => {
                bad(at(s), name("match.caller"), e.to_string());
                None
            }
        });
        let cpr = raw.cpr.as_ref().and_then(|s| match Cpr::parse(&s.value, true) {
            Ok(c) => Some(c),
            Err(e) => {
                bad(at(s), name("match.cpr"), e.to_string());
                None
            }
        });
        if let Some(n) = &raw.nth
            && n.value == 0
        {
            bad(
                at(n),
                name("match.nth"),
                "counts from 1 (the first matching call)".into(),
            );
        }
        if let Some(p) = &raw.probability
            && !(0.0..=1.0).contains(&p.value)
        {
            bad(
                at(p),
                name("match.probability"),
                format!("must be between 0 and 1, got {}", p.value),
            );
        }
        let delay = self.delay.as_ref().and_then(|s| match parse_delay(&s.value) {
            Ok(d) => Some(d),
            Err(e) => {
                bad(at(s), name("delay"), e);
                None
            }
        });
        let trickle = self.trickle.as_ref().and_then(|t| {
            let over = match duration(&t.over.value) {
                Ok(d) if d.is_zero() => {
                    bad(at(&t.over), name("trickle.over"), "give a time such as 5s".into());
                    None
                }
                Ok(d) if d > MAX_WAIT => {
                    bad(
                        at(&t.over),
                        name("trickle.over"),
                        format!("at most {}s", MAX_WAIT.as_secs()),
                    );
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    bad(at(&t.over), name("trickle.over"), e);
                    None
                }
            };
            let chunk = match &t.chunk {
                None => 16,
                Some(c) if (1..=65_536).contains(&c.value) => c.value as usize,
                Some(c) => {
                    bad(at(c), name("trickle.chunk"), "from 1 to 65536 bytes".into());
                    16
                }
            };
            over.map(|over| Trickle { over, chunk })
        });
        let effect = self.effect.as_ref().and_then(|e| effect(e, &name, &mut bad));
        if let (Some(e), Some(service)) = (&effect, &service)
            && let Some(kinds) = e.kinds()
            && catalogue::matching(service).next().is_some()
            && !catalogue::matching(service).any(|s| kinds.contains(&s.kind))
        {
            let (l, c) = self.effect.as_ref().map(at).unwrap_or((0, 0));
            bad(
                (l, c),
                name("effect"),
                format!(
                    "{} cannot answer for {service:?}; it answers for {}",
                    e.name(),
                    catalogue::SERVICES
                        .iter()
                        .filter(|s| kinds.contains(&s.kind))
                        .map(|s| s.title)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        // A service only a scenario's contract serves: sfstub's own error forms and the CPR
        // number of its own services mean nothing there, so a rule relying on them would
        // never fire. Refuse it instead.
        if let Some(service) = &service
            && catalogue::matching(service).next().is_none()
        {
            if let Some(e @ (Effect::Fejl { .. } | Effect::StsFault { .. })) = &effect {
                let (l, c) = self.effect.as_ref().map(at).unwrap_or((0, 0));
                bad(
                    (l, c),
                    name("effect"),
                    format!(
                        "{} cannot answer for {service:?}, which is served from a contract; \
                         serviceplatform_fault, platform_status, http, drop and hang can",
                        e.name()
                    ),
                );
            }
            if let Some(s) = &raw.cpr {
                bad(
                    at(s),
                    name("match.cpr"),
                    format!(
                        "{service:?} is served from a contract, and sfstub reads no CPR number \
                         from its requests; match it by service, operation or caller"
                    ),
                );
            }
        }
        if matches!(effect, Some(Effect::Drop | Effect::Hang(_)))
            && let Some(t) = &self.trickle
        {
            bad(
                at(&t.over),
                name("trickle"),
                "a dropped or hung call sends nothing to trickle".into(),
            );
        }
        if self.effect.is_none() && self.delay.is_none() && self.trickle.is_none() {
            bad(
                (0, 0),
                name("effect"),
                "a rule needs an effect, a delay or a trickle".into(),
            );
        }
        let times = match &self.times {
            Some(t) if t.value == 0 => {
                bad(at(t), name("times"), "at least 1 (leave it out for no limit)".into());
                None
            }
            t => t.as_ref().map(|t| t.value),
        };
        let expiry = match (&self.ttl, &self.until) {
            (Some(_), Some(u)) => {
                bad(at(u), name("until"), "give ttl or until, not both".into());
                None
            }
            (Some(t), None) => match duration(&t.value) {
                Ok(d) if !d.is_zero() => Some(Expiry::Ttl(d)),
                Ok(_) => {
                    bad(at(t), name("ttl"), "give a time such as 10m".into());
                    None
                }
                Err(e) => {
                    bad(at(t), name("ttl"), e);
                    None
                }
            },
            (None, Some(u)) => match DateTime::parse_from_rfc3339(u.value.trim()) {
                Ok(d) => Some(Expiry::Until(d.with_timezone(&Utc))),
                Err(e) => {
                    bad(
                        at(u),
                        name("until"),
                        format!(
                            "{:?} is not an RFC 3339 time such as 2026-11-22T12:00:00Z ({e})",
                            crate::clip::clip(&u.value)
                        ),
                    );
                    None
                }
            },
            (None, None) => None,
        };
        let seed = raw.seed.unwrap_or(seed ^ fnv(&id));
        ok.then_some(Rule {
            id,
            matcher: Matcher {
                service,
                operation,
                caller,
                cpr,
                nth: raw.nth.map(|n| n.value),
                probability: raw.probability.map(|p| p.value),
                seed,
            },
            delay,
            trickle,
            effect,
            times,
            expiry,
        })
    }
}

fn effect(
    e: &Spanned<RawEffect>,
    name: &dyn Fn(&str) -> String,
    bad: &mut dyn FnMut((u64, u64), String, String),
) -> Option<Effect> {
    let v = &e.value;
    let given = [
        v.serviceplatform_fault.is_some(),
        v.platform_status.is_some(),
        v.sts_fault.is_some(),
        v.fejl.is_some(),
        v.http.is_some(),
        v.drop.is_some(),
        v.hang.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        bad(
            at(e),
            name("effect"),
            format!(
                "give exactly one of serviceplatform_fault, platform_status, sts_fault, fejl, http, drop, hang (got {given})"
            ),
        );
        return None;
    }
    // These texts are written into the answer's XML: a character XML 1.0 does not allow
    // (`"\u0001"` in JSON, `"\x01"` in YAML) would make it a document no client can read.
    let xml_texts = [
        (
            "serviceplatform_fault.code",
            v.serviceplatform_fault.as_ref().and_then(|f| f.code.as_deref()),
        ),
        (
            "serviceplatform_fault.text",
            v.serviceplatform_fault.as_ref().and_then(|f| f.text.as_deref()),
        ),
        ("sts_fault.text", v.sts_fault.as_ref().and_then(|f| f.text.as_deref())),
        ("fejl.text", v.fejl.as_ref().and_then(|f| f.text.as_deref())),
    ];
    for (field, text) in xml_texts {
        if let Some(why) = text.and_then(crate::soap::xml::forbidden_in_text) {
            bad(
                at(e),
                name(&format!("effect.{field}")),
                format!("{why}: the text goes into the answer's XML"),
            );
            return None;
        }
    }
    if let Some(f) = &v.serviceplatform_fault {
        return Some(Effect::ServiceplatformFault {
            code: f.code.clone().unwrap_or_else(|| "SERVICE_FAULT".into()),
            text: f
                .text
                .clone()
                .unwrap_or_else(|| "The called service failed (a fault injected by sfstub).".into()),
        });
    }
    if let Some(s) = &v.platform_status {
        if !PLATFORM_STATUSES.iter().any(|p| u64::from(*p) == s.value) {
            bad(
                at(s),
                name("effect.platform_status"),
                format!("{} is not one of 500, 502, 503, 504", s.value),
            );
            return None;
        }
        return Some(Effect::PlatformStatus(s.value as u16));
    }
    if let Some(s) = &v.sts_fault {
        if !STS_CODES.iter().any(|c| u64::from(*c) == s.code.value) {
            bad(
                at(&s.code),
                name("effect.sts_fault.code"),
                format!(
                    "{} is not one of the STS's codes: {}",
                    s.code.value,
                    STS_CODES.map(|c| c.to_string()).join(", ")
                ),
            );
            return None;
        }
        return Some(Effect::StsFault {
            code: s.code.value as u32,
            text: s.text.clone(),
        });
    }
    if let Some(f) = &v.fejl {
        let Ok(id) = u32::try_from(f.id.value) else {
            bad(at(&f.id), name("effect.fejl.id"), "at most 4294967295".into());
            return None;
        };
        return Some(Effect::Fejl {
            id,
            text: f.text.clone(),
        });
    }
    if let Some(h) = &v.http {
        if !(200..=599).contains(&h.status.value) {
            bad(
                at(&h.status),
                name("effect.http.status"),
                format!("{} is not an HTTP status from 200 to 599", h.status.value),
            );
            return None;
        }
        let body = h.body.as_ref().map(|b| b.value.clone()).unwrap_or_default();
        if body.len() > MAX_BODY {
            let pos = h.body.as_ref().map(at).unwrap_or((0, 0));
            bad(
                pos,
                name("effect.http.body"),
                format!("at most {MAX_BODY} bytes, got {}", body.len()),
            );
            return None;
        }
        let content_type = h
            .content_type
            .as_ref()
            .map(|c| c.value.trim().to_owned())
            .unwrap_or_else(|| "text/plain; charset=utf-8".into());
        if http::HeaderValue::from_str(&content_type).is_err() || content_type.is_empty() {
            let pos = h.content_type.as_ref().map(at).unwrap_or((0, 0));
            bad(pos, name("effect.http.content_type"), "is not a header value".into());
            return None;
        }
        return Some(Effect::Http {
            status: h.status.value as u16,
            body,
            content_type,
        });
    }
    if let Some(d) = &v.drop {
        if !d.value {
            bad(
                at(d),
                name("effect.drop"),
                "write drop: true (or leave the effect out)".into(),
            );
            return None;
        }
        return Some(Effect::Drop);
    }
    if let Some(h) = &v.hang {
        return match duration(&h.value) {
            Ok(d) if d.is_zero() => {
                bad(at(h), name("effect.hang"), "give a time such as 30s".into());
                None
            }
            Ok(d) if d > MAX_HANG => {
                bad(
                    at(h),
                    name("effect.hang"),
                    format!("at most {}s: a hang ends then", MAX_HANG.as_secs()),
                );
                None
            }
            Ok(d) => Some(Effect::Hang(d)),
            Err(e) => {
                bad(at(h), name("effect.hang"), e);
                None
            }
        };
    }
    None
}
