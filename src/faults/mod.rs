//! Fault and latency injection: rules from the scenario (`faults:`) and added at run time
//! (`/__sfstub/faults`) that make chosen calls slow, refused the platform's way, or never
//! answered.
//!
//! A call is matched after its service answered it, so a rule sees what the journal sees: the
//! service, the operation, the caller as security established it and the CPR number asked
//! about. Rules are tried in order (the scenario's first, then those added, oldest first);
//! every rule whose matchers hold counts the call (for `nth` and `probability`), and the first
//! that fires is applied: its answer replaces the service's ([`effect`]), and how the answer is
//! delivered — a delay, a trickle, a hang, a dropped connection — goes to the connection layer
//! as a [`Delivery`] in the response's extensions, where it is applied asynchronously.
//!
//! With no rules the hot path costs one atomic load.

pub mod effect;
pub mod read;
pub mod rule;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

pub use effect::Delivery;
pub use rule::{Delay, Effect, Expiry, Matcher, Rule, Trickle};

/// The longest delay, and the longest a trickled answer is spread over.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
/// The longest hang.
pub const MAX_HANG: Duration = Duration::from_secs(300);
/// The largest body of an `http` effect.
pub const MAX_BODY: usize = 64 * 1024;
/// The most rules held at once.
pub const MAX_RULES: usize = 1000;

/// What a call was, for matching.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The service's title.
    pub service: &'a str,
    pub path: &'a str,
    pub operation: Option<&'a str>,
    pub caller: Option<&'a str>,
    /// The CPR number asked about, as sent.
    pub cpr: Option<&'a str>,
}

/// A rule that fired on a call.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: Arc<Rule>,
    /// The delay drawn for this call.
    pub delay: Option<Duration>,
}

/// Where a rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Scenario,
    Api,
}

impl Origin {
    fn name(self) -> &'static str {
        match self {
            Origin::Scenario => "scenario",
            Origin::Api => "api",
        }
    }
}

#[derive(Debug)]
struct Armed {
    rule: Arc<Rule>,
    origin: Origin,
    /// Calls that matched the matchers (before `nth` and `probability`).
    seen: u64,
    hits: u64,
    added: Instant,
    added_at: chrono::DateTime<Utc>,
}

impl Armed {
    fn new(rule: Rule, origin: Origin) -> Armed {
        Armed {
            rule: Arc::new(rule),
            origin,
            seen: 0,
            hits: 0,
            added: Instant::now(),
            added_at: Utc::now(),
        }
    }

    fn expired(&self, now: Instant) -> bool {
        match self.rule.expiry {
            Some(Expiry::Ttl(ttl)) => now.duration_since(self.added) >= ttl,
            Some(Expiry::Until(t)) => Utc::now() >= t,
            None => false,
        }
    }

    fn spent(&self) -> bool {
        self.rule.times.is_some_and(|t| self.hits >= t)
    }
}

#[derive(Debug, Default)]
struct Rules {
    list: Vec<Armed>,
    /// The scenario's rules as loaded, for a reset.
    scenario: Vec<Rule>,
    /// The next number for an added rule without an ID (`f1`, `f2`, ...).
    next: u64,
    /// The scenario's seed, for rules without their own.
    seed: u64,
    /// Rules that fired, by effect, since start (for metrics): kept here so a reset does not
    /// make counters go back.
    fired: u64,
}

/// The rules, shared by every connection.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<Rules>,
    /// False while no rule is held: the hot path's only cost then.
    any: AtomicBool,
}

/// Why rules could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddError {
    /// More than [`MAX_RULES`] would be held.
    TooMany { held: usize, adding: usize },
}

impl Faults {
    /// The rules of a scenario (`seed` is its seed).
    pub fn new(seed: u64, scenario: Vec<Rule>) -> Faults {
        let faults = Faults::default();
        {
            let mut inner = faults.lock();
            inner.seed = seed;
            inner.next = 1;
        }
        faults.load_scenario(seed, scenario);
        faults
    }

    fn lock(&self) -> MutexGuard<'_, Rules> {
        // Every update leaves the list consistent: keep going after a panic elsewhere.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, inner: &Rules) {
        self.any.store(!inner.list.is_empty(), Ordering::Release);
    }

    /// The scenario's seed (rules without their own seed mix it with their ID).
    pub fn seed(&self) -> u64 {
        self.lock().seed
    }

    /// Replaces the scenario's rules (a reload); added rules stay, after them.
    pub fn load_scenario(&self, seed: u64, rules: Vec<Rule>) {
        let mut inner = self.lock();
        inner.seed = seed;
        inner.list.retain(|a| a.origin == Origin::Api);
        let added = std::mem::take(&mut inner.list);
        inner.list = rules.iter().cloned().map(|r| Armed::new(r, Origin::Scenario)).collect();
        inner.list.extend(added);
        inner.scenario = rules;
        self.publish(&inner);
    }

    /// Back to the scenario's rules as loaded, counters at zero; returns how many rules were
    /// dropped or re-armed.
    pub fn reset(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.list.len();
        inner.list = inner
            .scenario
            .iter()
            .cloned()
            .map(|r| Armed::new(r, Origin::Scenario))
            .collect();
        self.publish(&inner);
        n
    }

    /// A fresh ID for an added rule without one.
    pub fn next_id(&self) -> String {
        let mut inner = self.lock();
        loop {
            let id = format!("f{}", inner.next);
            inner.next += 1;
            if !inner.list.iter().any(|a| a.rule.id == id) {
                return id;
            }
        }
    }

    /// Adds rules at the end; a rule with the ID of one held replaces it. All or none.
    pub fn add(&self, rules: Vec<Rule>) -> Result<Vec<String>, AddError> {
        let mut inner = self.lock();
        let now = Instant::now();
        inner.list.retain(|a| !a.expired(now) && !a.spent());
        let replaced = inner
            .list
            .iter()
            .filter(|a| rules.iter().any(|r| r.id == a.rule.id))
            .count();
        if inner.list.len() - replaced + rules.len() > MAX_RULES {
            return Err(AddError::TooMany {
                held: inner.list.len(),
                adding: rules.len(),
            });
        }
        let ids = rules.iter().map(|r| r.id.clone()).collect();
        for rule in rules {
            inner.list.retain(|a| a.rule.id != rule.id);
            inner.list.push(Armed::new(rule, Origin::Api));
        }
        self.publish(&inner);
        Ok(ids)
    }

    /// Removes the rule with this ID; false when none is held.
    pub fn remove(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let before = inner.list.len();
        inner.list.retain(|a| a.rule.id != id);
        self.publish(&inner);
        inner.list.len() < before
    }

    /// Removes every rule (the scenario's too, until a reset or reload); returns how many.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.list.len();
        inner.list.clear();
        self.publish(&inner);
        n
    }

    /// How many rules are held.
    pub fn len(&self) -> usize {
        self.lock().list.len()
    }

    /// True when no rule is held.
    pub fn is_empty(&self) -> bool {
        !self.any.load(Ordering::Acquire)
    }

    /// How many times rules fired since start.
    pub fn fired(&self) -> u64 {
        self.lock().fired
    }

    /// The rule that fires on `call`, if any: every matching rule counts the call; the first
    /// that fires is spent by one.
    pub fn decide(&self, call: &Call<'_>) -> Option<Hit> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut inner = self.lock();
        let now = Instant::now();
        let before = inner.list.len();
        inner.list.retain(|a| !a.expired(now) && !a.spent());
        let mut hit = None;
        for armed in inner.list.iter_mut() {
            if !matches(&armed.rule, call) {
                continue;
            }
            armed.seen += 1;
            let m = &armed.rule.matcher;
            let fires =
                m.nth.is_none_or(|n| armed.seen == n) && m.probability.is_none_or(|p| draw(m.seed, armed.seen) < p);
            if fires && hit.is_none() {
                armed.hits += 1;
                let delay = armed.rule.delay.map(|d| match d {
                    Delay::Fixed(d) => d,
                    Delay::Range(lo, hi) => {
                        let span = (hi - lo).as_millis() as u64;
                        let roll = splitmix(m.seed ^ 0xde1a_7000 ^ splitmix(armed.seen));
                        lo + Duration::from_millis(if span == 0 { 0 } else { roll % (span + 1) })
                    }
                });
                hit = Some(Hit {
                    rule: armed.rule.clone(),
                    delay,
                });
            }
        }
        if hit.is_some() {
            inner.fired += 1;
        }
        if hit.is_some() || inner.list.len() != before {
            inner.list.retain(|a| !a.spent());
            self.publish(&inner);
        }
        hit
    }

    /// The rules as JSON, in the order they are tried.
    pub fn json(&self) -> Value {
        let inner = self.lock();
        let now = Instant::now();
        Value::Array(
            inner
                .list
                .iter()
                .filter(|a| !a.expired(now) && !a.spent())
                .map(armed_json)
                .collect(),
        )
    }

    /// One rule as JSON.
    pub fn get(&self, id: &str) -> Option<Value> {
        let inner = self.lock();
        let now = Instant::now();
        inner
            .list
            .iter()
            .find(|a| a.rule.id == id && !a.expired(now) && !a.spent())
            .map(armed_json)
    }
}

fn armed_json(a: &Armed) -> Value {
    let mut v = rule_json(&a.rule);
    v["origin"] = json!(a.origin.name());
    v["seen"] = json!(a.seen);
    v["hits"] = json!(a.hits);
    v["added"] = json!(a.added_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    if let Some(Expiry::Ttl(ttl)) = a.rule.expiry {
        let until = a.added_at + chrono::Duration::from_std(ttl).unwrap_or_default();
        v["expires"] = json!(until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    v
}

/// A duration as rules write it.
fn dur(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The rule as it would be written (normalised).
pub fn rule_json(r: &Rule) -> Value {
    let m = &r.matcher;
    let mut matcher = serde_json::Map::new();
    if let Some(s) = &m.service {
        matcher.insert("service".into(), json!(s));
    }
    if let Some(s) = &m.operation {
        matcher.insert("operation".into(), json!(s));
    }
    if let Some(c) = &m.caller {
        matcher.insert("caller".into(), json!(c.to_string()));
    }
    if let Some(c) = &m.cpr {
        matcher.insert("cpr".into(), json!(c.to_string()));
    }
    if let Some(n) = m.nth {
        matcher.insert("nth".into(), json!(n));
    }
    if let Some(p) = m.probability {
        matcher.insert("probability".into(), json!(p));
        matcher.insert("seed".into(), json!(m.seed));
    }
    let mut v = json!({ "id": r.id, "match": matcher });
    if let Some(d) = r.delay {
        v["delay"] = json!(match d {
            Delay::Fixed(d) => dur(d),
            Delay::Range(lo, hi) => format!("{}..{}", dur(lo), dur(hi)),
        });
    }
    if let Some(t) = r.trickle {
        v["trickle"] = json!({ "over": dur(t.over), "chunk": t.chunk });
    }
    if let Some(e) = &r.effect {
        v["effect"] = match e {
            Effect::ServiceplatformFault { code, text } => {
                json!({ "serviceplatform_fault": { "code": code, "text": text } })
            }
            Effect::PlatformStatus(s) => json!({ "platform_status": s }),
            Effect::StsFault { code, text } => json!({ "sts_fault": { "code": code, "text": text } }),
            Effect::Fejl { id, text } => json!({ "fejl": { "id": id, "text": text } }),
            Effect::Http {
                status,
                body,
                content_type,
            } => json!({ "http": { "status": status, "body": body, "content_type": content_type } }),
            Effect::Drop => json!({ "drop": true }),
            Effect::Hang(d) => json!({ "hang": dur(*d) }),
        };
    }
    if let Some(t) = r.times {
        v["times"] = json!(t);
    }
    match r.expiry {
        Some(Expiry::Ttl(d)) => v["ttl"] = json!(dur(d)),
        Some(Expiry::Until(t)) => v["until"] = json!(t.to_rfc3339()),
        None => {}
    }
    v
}

/// True when the rule's matchers (not `nth` or `probability`) hold for `call`, and its effect
/// can answer for the service.
fn matches(rule: &Rule, call: &Call<'_>) -> bool {
    let m = &rule.matcher;
    let entry = crate::services::catalogue::by_title(call.service);
    if let Some(kinds) = rule.effect.as_ref().and_then(Effect::kinds) {
        let fits = match entry {
            Some(e) => kinds.contains(&e.kind),
            // A service served from a contract: the platform's own faults fit any of them.
            None => matches!(
                rule.effect,
                Some(Effect::ServiceplatformFault { .. } | Effect::PlatformStatus(_))
            ),
        };
        if !fits {
            return false;
        }
    }
    if let Some(s) = &m.service {
        let paths: &[&str] = entry.map_or(&[], |e| e.paths);
        let named = if s.starts_with('/') {
            call.path
                .trim_end_matches('/')
                .eq_ignore_ascii_case(s.trim_end_matches('/'))
        } else {
            crate::services::catalogue::names(s, call.service, paths)
        };
        if !named {
            return false;
        }
    }
    if let Some(op) = &m.operation
        && !call.operation.is_some_and(|o| o.eq_ignore_ascii_case(op))
    {
        return false;
    }
    if let Some(cvr) = &m.caller
        && call.caller.is_none_or(|c| c.trim() != cvr.to_string())
    {
        return false;
    }
    if let Some(cpr) = &m.cpr {
        let sent = call
            .cpr
            .map(|c| c.chars().filter(char::is_ascii_digit).collect::<String>());
        if sent.as_deref() != Some(cpr.to_string().as_str()) {
            return false;
        }
    }
    true
}

/// A number in [0, 1) drawn for the `k`-th matching call under `seed`.
pub fn draw(seed: u64, k: u64) -> f64 {
    (splitmix(seed ^ splitmix(k)) >> 11) as f64 / (1u64 << 53) as f64
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str) -> Rule {
        Rule {
            id: id.into(),
            matcher: Matcher {
                service: Some("sf1472".into()),
                seed: 7,
                ..Matcher::default()
            },
            delay: None,
            trickle: None,
            effect: Some(Effect::PlatformStatus(503)),
            times: None,
            expiry: None,
        }
    }

    const CALL: Call<'static> = Call {
        service: "SF1472 KontrolsagListeHent",
        path: "/kontrolsaglistehent/1",
        operation: Some("KontrolsagListeHent"),
        caller: Some("64942212"),
        cpr: Some("150780-4329"),
    };

    #[test]
    fn times_spends_a_rule_and_nth_picks_one_call() {
        let faults = Faults::new(1, vec![]);
        let mut once = rule("once");
        once.times = Some(1);
        let mut third = rule("third");
        third.matcher.nth = Some(3);
        faults.add(vec![once, third]).unwrap();
        let fired: Vec<Option<String>> = (0..5)
            .map(|_| faults.decide(&CALL).map(|h| h.rule.id.clone()))
            .collect();
        assert_eq!(fired, [Some("once".into()), None, Some("third".into()), None, None]);
        assert_eq!(faults.len(), 1, "the spent rule is gone");
    }

    #[test]
    fn probability_is_the_same_for_the_same_seed_and_call_order() {
        let run = |seed| {
            let faults = Faults::new(1, vec![]);
            let mut r = rule("p");
            r.matcher.probability = Some(0.3);
            r.matcher.seed = seed;
            faults.add(vec![r]).unwrap();
            (0..200).map(|_| faults.decide(&CALL).is_some()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let share = run(7).iter().filter(|f| **f).count();
        assert!((40..=80).contains(&share), "{share} of 200");
    }

    #[test]
    fn matchers_must_all_hold() {
        let faults = Faults::new(1, vec![]);
        let mut r = rule("cpr");
        r.matcher.cpr = Some(crate::world::Cpr::parse("1507804329", true).unwrap());
        r.matcher.caller = Some(crate::world::Cvr::parse("29189420").unwrap());
        faults.add(vec![r]).unwrap();
        assert!(faults.decide(&CALL).is_none(), "another caller");
        let call = Call {
            caller: Some("29189420"),
            ..CALL
        };
        assert!(faults.decide(&call).is_some());
    }

    #[test]
    fn an_effect_only_answers_for_services_of_its_kind() {
        let faults = Faults::new(1, vec![]);
        let mut r = rule("sts");
        r.matcher.service = None;
        r.effect = Some(Effect::StsFault { code: 5015, text: None });
        faults.add(vec![r]).unwrap();
        assert!(faults.decide(&CALL).is_none());
        let sts = Call {
            service: "SF1514 Security Token Service",
            path: "/runtime/services/kombittrust/14/certificatemixed",
            ..CALL
        };
        assert!(faults.decide(&sts).is_some());
    }
}
