//! Assertions whose STS signature has been verified, remembered so that a client reusing one
//! token for hours (as clients of the real platform do) has it verified once, not on every
//! call. Keyed by the SHA-256 of the assertion as written (signature included, line ends
//! normalised) and of every namespace declaration in scope around it: the assertion's
//! exclusive canonical form, and everything read from it, depend on nothing else, so an equal
//! key is an equal assertion, and an assertion changed in any way (or moved under other
//! declarations) is a different key and is verified in full. The key costs one digest of the
//! assertion's bytes, not its canonicalisation; the canonical form's digest (what a message
//! signature's STR-Transform reference digests) is remembered with the entry. Bounded, and an
//! entry goes when its assertion expires.
//!
//! Only what the STS signed is remembered; what depends on the call — the audience, the
//! validity window at the security clock's now, the holder-of-key's signature on the message
//! — is checked on every request.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::keys::{self, CertInfo};

/// The most assertions [`VerifiedAssertions::default`] remembers.
pub const DEFAULT_CAPACITY: usize = 1024;

/// What a verified assertion states, read once.
#[derive(Debug)]
pub struct VerifiedAssertion {
    pub id: String,
    pub subject: String,
    pub audiences: Vec<String>,
    pub cvr: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_on_or_after: Option<DateTime<Utc>>,
    pub confirmation_method: Option<String>,
    /// The holder-of-key certificate (DER), and what it says or why it cannot be read.
    pub holder: Option<(Vec<u8>, Result<CertInfo, String>)>,
    /// The SHA-256 of the assertion's exclusive canonical form.
    pub canonical: [u8; 32],
}

impl VerifiedAssertion {
    /// Reads the holder certificate once (strict mode verifies the message with its key).
    /// `canonical` is the digest of the assertion's exclusive canonical form.
    pub fn new(info: super::saml::AssertionInfo, canonical: [u8; 32]) -> VerifiedAssertion {
        let holder = info.holder_certificate.map(|der| {
            let parsed = keys::parse_certificate(&der).map_err(|e| e.to_string());
            (der, parsed)
        });
        VerifiedAssertion {
            id: info.id,
            subject: info.subject,
            audiences: info.audiences,
            cvr: info.cvr,
            not_before: info.not_before,
            not_on_or_after: info.not_on_or_after,
            confirmation_method: info.confirmation_method,
            holder,
            canonical,
        }
    }
}

/// The cache of verified assertions, shared by all calls.
#[derive(Debug)]
pub struct VerifiedAssertions {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Key, Arc<VerifiedAssertion>>,
    /// Keys in the order they were added: the oldest goes first when full.
    order: VecDeque<Key>,
}

/// The digest of the assertion as written (with the declarations around it) and of the STS
/// key that verified it.
type Key = ([u8; 32], [u8; 32]);

impl Default for VerifiedAssertions {
    fn default() -> Self {
        VerifiedAssertions::new(DEFAULT_CAPACITY)
    }
}

impl VerifiedAssertions {
    /// A cache of at most `capacity` assertions (0 remembers none).
    pub fn new(capacity: usize) -> VerifiedAssertions {
        VerifiedAssertions {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The assertion with key `digest` (see the module's documentation), verified with the STS key of
    /// fingerprint `sts_key`, if remembered and not expired at `now` (allowing `skew`). An
    /// expired one is forgotten.
    pub fn get(
        &self,
        digest: &[u8; 32],
        sts_key: &[u8; 32],
        now: DateTime<Utc>,
        skew: chrono::Duration,
    ) -> Option<Arc<VerifiedAssertion>> {
        let key = (*digest, *sts_key);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let found = inner.entries.get(&key)?.clone();
        if found.not_on_or_after.is_some_and(|t| t <= now - skew) {
            inner.entries.remove(&key);
            inner.order.retain(|k| *k != key);
            return None;
        }
        Some(found)
    }

    /// Remembers a verified assertion, forgetting expired ones and then the oldest when full.
    pub fn insert(
        &self,
        digest: [u8; 32],
        sts_key: [u8; 32],
        assertion: Arc<VerifiedAssertion>,
        now: DateTime<Utc>,
        skew: chrono::Duration,
    ) {
        let expired = |a: &VerifiedAssertion| a.not_on_or_after.is_some_and(|t| t <= now - skew);
        if self.capacity == 0 || expired(&assertion) {
            return;
        }
        let key = (digest, sts_key);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.entries.contains_key(&key) {
            return;
        }
        if inner.entries.len() >= self.capacity {
            let Inner { entries, order } = &mut *inner;
            entries.retain(|_, a| !expired(a));
            order.retain(|k| entries.contains_key(k));
            while entries.len() >= self.capacity {
                match order.pop_front() {
                    Some(oldest) => {
                        entries.remove(&oldest);
                    }
                    None => break,
                }
            }
        }
        inner.entries.insert(key, assertion);
        inner.order.push_back(key);
    }

    /// How many assertions are remembered.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assertion(expires: DateTime<Utc>) -> Arc<VerifiedAssertion> {
        Arc::new(VerifiedAssertion {
            id: "_a".into(),
            subject: "CN=x".into(),
            audiences: vec![],
            cvr: None,
            not_before: None,
            not_on_or_after: Some(expires),
            confirmation_method: None,
            holder: None,
            canonical: [0; 32],
        })
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_oldest_goes_when_full_and_expired_ones_before_it() {
        let skew = chrono::Duration::zero();
        let now = at("2026-11-22T12:00:00Z");
        let cache = VerifiedAssertions::new(3);
        let late = at("2026-11-22T20:00:00Z");
        cache.insert([1; 32], [0; 32], assertion(late), now, skew);
        cache.insert([2; 32], [0; 32], assertion(at("2026-11-22T12:30:00Z")), now, skew);
        cache.insert([3; 32], [0; 32], assertion(late), now, skew);
        assert_eq!(cache.len(), 3);
        // Full: the oldest goes.
        cache.insert([4; 32], [0; 32], assertion(late), now, skew);
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&[1; 32], &[0; 32], now, skew).is_none());
        // An hour later [2] has expired: it goes first, [3] stays.
        let later = at("2026-11-22T13:00:00Z");
        cache.insert([5; 32], [0; 32], assertion(late), later, skew);
        assert!(cache.get(&[3; 32], &[0; 32], later, skew).is_some());
        assert!(cache.get(&[2; 32], &[0; 32], now, skew).is_none());
        // Another STS key is another entry.
        assert!(cache.get(&[3; 32], &[9; 32], later, skew).is_none());
        // Expired on look-up: forgotten.
        let next_day = at("2026-11-23T12:00:00Z");
        assert!(cache.get(&[3; 32], &[0; 32], next_day, skew).is_none());
        assert_eq!(cache.len(), 2);
        // One expired already is not remembered.
        cache.insert([6; 32], [0; 32], assertion(now), next_day, skew);
        assert!(cache.get(&[6; 32], &[0; 32], now, skew).is_none());
        let none = VerifiedAssertions::new(0);
        none.insert([1; 32], [0; 32], assertion(late), now, skew);
        assert!(none.is_empty());
    }
}
