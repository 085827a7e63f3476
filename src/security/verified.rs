//! Assertions whose STS signature has been verified, remembered so that a client reusing one
//! token for hours (as clients of the real platform do) has it verified once, not on every
//! call. An entry is found by the assertion's `ID` (and the STS key that verified it) and holds
//! the assertion as written (signature included, line ends normalised) with every namespace
//! declaration in scope around it: the assertion's exclusive canonical form, and everything
//! read from it, depend on nothing else, so equal bytes are an equal assertion, and an
//! assertion changed in any way (or moved under other declarations) does not match and is
//! verified in full. A look-up costs one comparison of the assertion's bytes, not a digest of
//! them nor their canonicalisation; the canonical form's digest (what a message signature's
//! STR-Transform reference digests) is remembered with the entry, and so is the assertion's
//! subtree ([`Fragment`]), which the reader of the next request carrying the assertion puts
//! in instead of reading it again. Bounded (each entry keeps a copy of its assertion and its
//! subtree, ~25 KiB for sfstub's tokens: ~25 MiB when full), and an entry goes when its
//! assertion expires.
//!
//! Only what the STS signed is remembered; what depends on the call — the audience, the
//! validity window at the security clock's now, the holder-of-key's signature on the message
//! — is checked on every request.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::keys::{self, CertInfo};
use super::xmltree::Fragment;

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
    /// The SHA-256 of the holder-of-key certificate's DER (what a service agreement pins and
    /// the journal notes), taken once.
    pub holder_thumbprint: Option<[u8; 32]>,
    /// The SHA-256 of the assertion's exclusive canonical form.
    pub canonical: [u8; 32],
}

impl VerifiedAssertion {
    /// Reads the holder certificate once (strict mode verifies the message with its key).
    /// `canonical` is the digest of the assertion's exclusive canonical form.
    pub fn new(info: super::saml::AssertionInfo, canonical: [u8; 32]) -> VerifiedAssertion {
        let holder_thumbprint = info
            .holder_certificate
            .as_deref()
            .map(|der| <sha2::Sha256 as sha2::Digest>::digest(der).into());
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
            holder_thumbprint,
            canonical,
        }
    }
}

/// An assertion as the cache keeps it for finding it again.
pub struct Written {
    /// Its bytes as written, with the declarations in scope around it (see the module's
    /// documentation).
    pub bytes: Vec<u8>,
    /// Its subtree, for reading a request that carries it.
    pub fragment: Option<Arc<Fragment>>,
}

/// The cache of verified assertions, shared by all calls.
#[derive(Debug)]
pub struct VerifiedAssertions {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// By the assertion's `ID` (found with the `ID` as the request carries it, without a copy).
    entries: HashMap<String, Entry>,
    /// `ID`s in the order they were added: the oldest goes first when full.
    order: VecDeque<String>,
}

#[derive(Debug)]
struct Entry {
    /// The fingerprint of the STS key that verified the assertion.
    sts_key: [u8; 32],
    /// The assertion as written, with the declarations around it ([`VerifiedAssertions::get`]).
    written: Box<[u8]>,
    /// Its subtree, for reading a request that carries it ([`VerifiedAssertions::fragment`]).
    fragment: Option<Arc<Fragment>>,
    assertion: Arc<VerifiedAssertion>,
}

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

    /// The assertion with this `id` whose bytes as written (with the declarations in scope
    /// around it: see the module's documentation) `written` finds equal to the remembered ones,
    /// verified with the STS key of fingerprint `sts_key`, if remembered and not expired at
    /// `now` (allowing `skew`). An expired one is forgotten. `written` compares the request's
    /// bytes with the entry's piece by piece, without writing them out.
    pub fn get(
        &self,
        id: &str,
        written: impl FnOnce(&[u8]) -> bool,
        sts_key: &[u8; 32],
        now: DateTime<Utc>,
        skew: chrono::Duration,
    ) -> Option<Arc<VerifiedAssertion>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let entry = inner.entries.get(id)?;
        if entry.sts_key != *sts_key || !written(&entry.written) {
            return None;
        }
        let found = entry.assertion.clone();
        if found.not_on_or_after.is_some_and(|t| t <= now - skew) {
            inner.entries.remove(id);
            inner.order.retain(|k| k != id);
            return None;
        }
        Some(found)
    }

    /// The subtree of the assertion with this `id` verified with the STS key of fingerprint
    /// `sts_key`, if remembered: a request's reader puts it in where the request holds its
    /// bytes instead of reading them ([`super::xmltree::Tree::parse_knowing`]). Whether the
    /// assertion is still valid is [`VerifiedAssertions::get`]'s to say.
    pub fn fragment(&self, id: &str, sts_key: &[u8; 32]) -> Option<Arc<Fragment>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let entry = inner.entries.get(id)?;
        (entry.sts_key == *sts_key).then(|| entry.fragment.clone())?
    }

    /// Remembers a verified assertion with this `id`, written as `written`, with its subtree
    /// `fragment`, forgetting expired
    /// ones and then the oldest when full. Another assertion remembered under the same `id` is
    /// replaced.
    pub fn insert(
        &self,
        id: &str,
        written: Written,
        sts_key: [u8; 32],
        assertion: Arc<VerifiedAssertion>,
        now: DateTime<Utc>,
        skew: chrono::Duration,
    ) {
        let expired = |a: &VerifiedAssertion| a.not_on_or_after.is_some_and(|t| t <= now - skew);
        if self.capacity == 0 || expired(&assertion) {
            return;
        }
        let key = id.to_owned();
        let entry = Entry {
            sts_key,
            written: written.bytes.into_boxed_slice(),
            fragment: written.fragment,
            assertion,
        };
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(present) = inner.entries.get_mut(&key) {
            *present = entry;
            return;
        }
        if inner.entries.len() >= self.capacity {
            let Inner { entries, order } = &mut *inner;
            entries.retain(|_, e| !expired(&e.assertion));
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
        inner.order.push_back(key.clone());
        inner.entries.insert(key, entry);
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
            holder_thumbprint: None,
            canonical: [0; 32],
        })
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Assertion `n` of a test: its ID and its bytes as written.
    fn named(n: u8) -> (String, Vec<u8>) {
        (format!("_{n}"), vec![n; 3])
    }

    fn put(cache: &VerifiedAssertions, n: u8, sts: u8, expires: DateTime<Utc>, now: DateTime<Utc>) {
        let (id, written) = named(n);
        cache.insert(
            &id,
            Written {
                bytes: written,
                fragment: None,
            },
            [sts; 32],
            assertion(expires),
            now,
            chrono::Duration::zero(),
        );
    }

    fn has(cache: &VerifiedAssertions, n: u8, sts: u8, now: DateTime<Utc>) -> bool {
        let (id, written) = named(n);
        cache
            .get(&id, |w| *w == *written, &[sts; 32], now, chrono::Duration::zero())
            .is_some()
    }

    #[test]
    fn the_oldest_goes_when_full_and_expired_ones_before_it() {
        let now = at("2026-11-22T12:00:00Z");
        let cache = VerifiedAssertions::new(3);
        let late = at("2026-11-22T20:00:00Z");
        put(&cache, 1, 0, late, now);
        put(&cache, 2, 0, at("2026-11-22T12:30:00Z"), now);
        put(&cache, 3, 0, late, now);
        assert_eq!(cache.len(), 3);
        // Full: the oldest goes.
        put(&cache, 4, 0, late, now);
        assert_eq!(cache.len(), 3);
        assert!(!has(&cache, 1, 0, now));
        // An hour later [2] has expired: it goes first, [3] stays.
        let later = at("2026-11-22T13:00:00Z");
        put(&cache, 5, 0, late, later);
        assert!(has(&cache, 3, 0, later));
        assert!(!has(&cache, 2, 0, now));
        // Another STS key is another entry.
        assert!(!has(&cache, 3, 9, later));
        // Expired on look-up: forgotten.
        let next_day = at("2026-11-23T12:00:00Z");
        assert!(!has(&cache, 3, 0, next_day));
        assert_eq!(cache.len(), 2);
        // One expired already is not remembered.
        put(&cache, 6, 0, now, next_day);
        assert!(!has(&cache, 6, 0, now));
        let none = VerifiedAssertions::new(0);
        put(&none, 1, 0, late, now);
        assert!(none.is_empty());
    }

    #[test]
    fn an_assertion_is_found_only_with_its_id_and_all_its_bytes() {
        let now = at("2026-11-22T12:00:00Z");
        let skew = chrono::Duration::zero();
        let late = at("2026-11-22T20:00:00Z");
        let cache = VerifiedAssertions::new(4);
        cache.insert(
            "_a",
            Written {
                bytes: b"<A ID=\"_a\">x</A>".to_vec(),
                fragment: None,
            },
            [0; 32],
            assertion(late),
            now,
            skew,
        );
        assert!(
            cache
                .get("_a", |w| w == b"<A ID=\"_a\">x</A>", &[0; 32], now, skew)
                .is_some()
        );
        // The same ID with other bytes (one changed, one more, one fewer), or other bytes
        // under another ID: not found.
        for other in [&b"<A ID=\"_a\">y</A>"[..], b"<A ID=\"_a\">x</A> ", b"<A ID=\"_a\">x</A"] {
            assert!(cache.get("_a", |w| w == other, &[0; 32], now, skew).is_none());
        }
        assert!(
            cache
                .get("_b", |w| w == b"<A ID=\"_a\">x</A>", &[0; 32], now, skew)
                .is_none()
        );
        // Another assertion verified under the same ID takes its place.
        cache.insert(
            "_a",
            Written {
                bytes: b"<A ID=\"_a\">y</A>".to_vec(),
                fragment: None,
            },
            [0; 32],
            assertion(late),
            now,
            skew,
        );
        assert_eq!(cache.len(), 1);
        assert!(
            cache
                .get("_a", |w| w == b"<A ID=\"_a\">y</A>", &[0; 32], now, skew)
                .is_some()
        );
        assert!(
            cache
                .get("_a", |w| w == b"<A ID=\"_a\">x</A>", &[0; 32], now, skew)
                .is_none()
        );
    }
}
