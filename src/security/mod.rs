//! Who is calling: the one place that turns what a request carries into a [`Caller`].
//!
//! Services never look at headers or context elements themselves; they get a `Caller`. Two
//! security models exist: the context model (the caller's CVR in
//! `AuthorityContext/MunicipalityCVR`) and the token model (a SAML holder-of-key assertion
//! from sfstub's STS, SF1514). The mode decides which is accepted and how hard tokens are
//! judged; service agreements decide who may call what.

pub mod crypto;
pub mod dsig;
pub mod keys;
pub mod saml;
pub mod verified;
pub mod xmltree;

pub mod wss;

use std::cell::{Cell, RefCell};

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sha2::Digest;

use crate::scenario::{Agreements, SystemCertificate};
use crate::soap::{Body, Fault, SoapVersion};
use crate::world::{Clock, Cvr, World};
use keys::{CertInfo, KeyMaterial};

/// How strictly sfstub checks who is calling (`--security`, or `security.mode` in a scenario).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SecurityMode {
    /// The context model: the caller's CVR as the request states it. A token, if sent, is
    /// read but not judged.
    #[default]
    Off,
    /// A token issued by this sfstub, unexpired, for the called service, is required.
    Token,
    /// As `token`, and the message must be signed by the holder-of-key over Body, Timestamp
    /// and the WS-Addressing headers, with a fresh Timestamp and one Security header.
    Strict,
}

impl SecurityMode {
    /// The name used on the command line and in scenarios.
    pub fn name(self) -> &'static str {
        match self {
            SecurityMode::Off => "off",
            SecurityMode::Token => "token",
            SecurityMode::Strict => "strict",
        }
    }
}

/// The security settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: SecurityMode,
    /// Tolerated clock difference for Timestamps and token validity.
    pub skew: Duration,
    /// How long after its `Created` a request's Timestamp is still accepted (beyond `skew`).
    pub max_timestamp_age: Duration,
    /// The longest `Expires` − `Created` of a request's Timestamp.
    pub max_timestamp_lifetime: Duration,
    /// The STS's entity ID: the Issuer of every assertion.
    pub sts_issuer: String,
    /// The security clock: the instant Timestamps and tokens are judged against, and tokens,
    /// RSTR lifetimes and response Timestamps are issued at. Real time unless pinned
    /// (`--security-clock`, `security.clock`); independent of the world's clock, so a world
    /// pinned to a day in the past still accepts a client signing at real time.
    pub clock: Clock,
    /// CAs besides sfstub's own whose certificates an agreement may name by subject
    /// (`--client-ca`, `--tls-client-ca`).
    pub client_cas: Vec<CertInfo>,
}

/// The default of `--max-timestamp-age` (`security.max_timestamp_age`), in seconds.
pub const DEFAULT_MAX_TIMESTAMP_AGE: u32 = 300;
/// The default of `--max-timestamp-lifetime` (`security.max_timestamp_lifetime`), in seconds.
pub const DEFAULT_MAX_TIMESTAMP_LIFETIME: u32 = 3600;

/// The issuer sfstub's STS writes into assertions (the exttest STS's own, so clients that
/// check the issuer keep working).
pub const DEFAULT_STS_ISSUER: &str = "https://saml.n2adgangsstyring.eksterntest-stoettesystemerne.dk/runtime";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: SecurityMode::Off,
            skew: Duration::minutes(5),
            max_timestamp_age: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_AGE)),
            max_timestamp_lifetime: Duration::seconds(i64::from(DEFAULT_MAX_TIMESTAMP_LIFETIME)),
            sts_issuer: DEFAULT_STS_ISSUER.to_owned(),
            clock: Clock::Now,
            client_cas: Vec::new(),
        }
    }
}

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityModel {
    /// `AuthorityContext/MunicipalityCVR` in the request, trusted as sent.
    AuthorityContext,
    /// A SAML assertion from sfstub's STS in the WS-Security header.
    Token,
}

/// The authority calling a service, as far as the security layer could establish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub cvr: Cvr,
    pub model: SecurityModel,
    /// In the token model: the user system's certificate subject.
    pub system: Option<String>,
}

/// What the security layer found in a request before the service reads its body.
#[derive(Debug, Clone, Default)]
pub struct Presented {
    /// The token, judged according to the mode (only read in `off` mode).
    pub token: Option<wss::Token>,
    /// The request's WS-Addressing MessageID (the response's RelatesTo comes from
    /// [`crate::soap::Envelope::addressing`]).
    pub message_id: Option<String>,
}

/// What every call's security needs from the running app. One per call.
pub struct Guard<'a> {
    pub settings: &'a Settings,
    pub keys: &'a KeyMaterial,
    pub agreements: &'a Agreements,
    pub world: &'a World,
    /// The security clock ([`Settings::clock`]), not the world's, and the instant of the call
    /// under it ([`Guard::now`]), read when first asked for: a call that judges no Timestamp
    /// or token and signs nothing (the context model) never reads the clock (`Utc::now` cost
    /// ~200 instructions a request; callgrind on examples/request_cost).
    clock: Clock,
    now: std::cell::OnceCell<DateTime<Utc>>,
    /// The caller the request named, for the request log: noted as soon as it is known, so a
    /// call that ends in a fault (no agreement, an unknown person, a refused token) still
    /// names it.
    noted: RefCell<Option<String>>,
    /// The CVR number the request's context claims, as [`Guard::note_claimed_cvr`] noted it
    /// parsed: [`Guard::caller`] takes it for that text instead of parsing it again (which
    /// cost ~110 instructions a request; callgrind on examples/request_cost).
    claimed: Cell<Option<Cvr>>,
    /// Where the journal learns the token and the verdict, when the call is journaled.
    trace: Option<&'a crate::journal::Trace>,
    /// What readers of request XML must keep to.
    pub limits: crate::soap::Limits,
    /// Assertions already verified, when the app keeps them.
    assertions: Option<&'a verified::VerifiedAssertions>,
}

impl<'a> Guard<'a> {
    /// The guard of one call, judging at `clock`'s now ([`Guard::now`]) and reading request XML
    /// within `limits`.
    pub fn new(
        settings: &'a Settings,
        keys: &'a KeyMaterial,
        agreements: &'a Agreements,
        world: &'a World,
        clock: Clock,
        limits: crate::soap::Limits,
    ) -> Guard<'a> {
        Guard {
            settings,
            keys,
            agreements,
            world,
            clock,
            now: std::cell::OnceCell::new(),
            noted: RefCell::new(None),
            claimed: Cell::new(None),
            trace: None,
            limits,
            assertions: None,
        }
    }

    /// The instant of the call under the security clock: Timestamps and tokens are judged, and
    /// tokens and response Timestamps issued, at it. Read from the clock the first time, the
    /// same instant after.
    pub fn now(&self) -> DateTime<Utc> {
        *self.now.get_or_init(|| self.clock.now())
    }

    /// The same guard, verifying each assertion's STS signature once and remembering it in
    /// `assertions` (audience, validity and the message signature are still checked on
    /// every call).
    pub fn with_assertions(mut self, assertions: &'a verified::VerifiedAssertions) -> Guard<'a> {
        self.assertions = Some(assertions);
        self
    }

    /// The same guard, noting the token and the verdict in `trace` for the journal.
    pub fn with_trace(mut self, trace: &'a crate::journal::Trace) -> Guard<'a> {
        self.trace = Some(trace);
        self
    }

    fn traced(&self, note: impl FnOnce(&crate::journal::Trace)) {
        if let Some(t) = self.trace {
            note(t);
        }
    }

    /// Notes a refusal by the security layer for the journal.
    fn reject(&self, fault: &Fault) {
        self.traced(|t| {
            t.verdict(crate::journal::Verdict::Rejected {
                diagnosis: fault.reason.clone(),
            })
        });
    }

    /// Notes who the request says is calling (a CVR, perhaps with a remark), for the log.
    pub fn note_caller(&self, who: impl Into<String>) {
        *self.noted.borrow_mut() = Some(who.into());
    }

    /// Notes `cvr` as the caller, as [`Guard::note_caller`] does, writing it into the noted
    /// text's own buffer (a caller is usually noted already, from the request's claim: when
    /// that is these digits, nothing is written again, which cost ~120 instructions a
    /// request; callgrind on examples/request_cost).
    pub fn note_cvr(&self, cvr: Cvr) {
        let mut noted = self.noted.borrow_mut();
        if noted.as_deref().is_some_and(|text| cvr.is_written_as(text)) {
            return;
        }
        let text = noted.get_or_insert_default();
        text.clear();
        cvr.push_to(text);
    }

    /// Notes a caller the request claims (a context CVR, an unverified token), unless a caller
    /// is already noted: the token's verified CVR and [`Guard::caller`]'s verdict come first.
    pub fn note_claimed_caller(&self, who: impl Into<String>) {
        let mut noted = self.noted.borrow_mut();
        if noted.is_none() {
            *noted = Some(who.into());
        }
    }

    /// Notes the CVR number the request's context claims (`text`, its digits as sent, and
    /// `cvr`, what they parse to), as [`Guard::note_claimed_caller`] notes a caller.
    pub fn note_claimed_cvr(&self, text: &str, cvr: Cvr) {
        self.note_claimed_caller(text);
        self.claimed.set(Some(cvr));
    }

    /// The caller the request named, if any, taken: read once, when the call is over.
    pub fn take_noted_caller(&self) -> Option<String> {
        self.noted.borrow_mut().take()
    }
}

impl Guard<'_> {
    /// How fresh a request's Timestamp must be.
    pub fn freshness(&self) -> wss::Freshness {
        wss::Freshness {
            skew: self.settings.skew,
            max_age: self.settings.max_timestamp_age,
            max_lifetime: self.settings.max_timestamp_lifetime,
        }
    }

    /// Whether sfstub's CA or a configured client CA issued the DER certificate `der`.
    pub fn issued_by_trusted_ca(&self, der: &[u8]) -> bool {
        std::iter::once(self.keys.ca.info())
            .chain(&self.settings.client_cas)
            .any(|ca| keys::issued_by(der, ca))
    }

    /// Checks the service agreement of `cvr` for `entity_id`, acting through the user system
    /// whose certificate is `certificate` (DER, with its subject) in the token model.
    pub fn check_agreement(&self, cvr: Cvr, entity_id: &str, certificate: Option<(&[u8], &str)>) -> Result<(), String> {
        let certificate = certificate.map(|(der, subject)| (der, sha2::Sha256::digest(der).into(), subject));
        self.check_agreement_of(cvr, entity_id, certificate)
    }

    /// [`Guard::check_agreement`] with the certificate's SHA-256 thumbprint already known.
    fn check_agreement_of(
        &self,
        cvr: Cvr,
        entity_id: &str,
        certificate: Option<(&[u8], [u8; 32], &str)>,
    ) -> Result<(), String> {
        let trusted = || certificate.is_some_and(|(der, _, _)| self.issued_by_trusted_ca(der));
        let holder = certificate.map(|(_, thumbprint, subject)| SystemCertificate {
            subject,
            thumbprint,
            issued_by_trusted_ca: &trusted,
        });
        self.agreements.check(self.world, cvr, entity_id, holder.as_ref())
    }

    /// Examines the envelope's WS-Security header for a service with this entity ID. In
    /// `token` and `strict` modes a missing or bad token is a fault naming what is wrong.
    pub fn inspect(
        &self,
        version: SoapVersion,
        body: Body<'_>,
        has_header: bool,
        entity_id: &str,
    ) -> Result<Presented, Fault> {
        if self.settings.mode == SecurityMode::Off && !has_header {
            return Ok(Presented::default());
        }
        let tree = match (self.settings.mode, self.assertions) {
            // A client's assertion, verified before, is put in where the request holds it byte
            // for byte, not read again: the same tree (see xmltree::Fragment).
            (SecurityMode::Token | SecurityMode::Strict, Some(cache)) => {
                let sts = self.keys.sts.public_key().fingerprint();
                let known = |name: &str, id: Option<&str>| match name == "Assertion" || name.ends_with(":Assertion") {
                    true => cache.fragment(id?, sts),
                    false => None,
                };
                xmltree::Tree::parse_body(body, self.limits, Some(&known))
            }
            _ => xmltree::Tree::parse_body(body, self.limits, None),
        }
        .map_err(|e| Fault::sender(version, format!("the request cannot be read: {e}")))?;
        let message_id = wss::message_id(&tree);
        let strictness = match self.settings.mode {
            SecurityMode::Off => {
                let token = wss::read_unverified(&tree);
                if let Some(cvr) = token.as_ref().and_then(|t| Cvr::parse(&t.cvr).ok()) {
                    self.note_claimed_caller(cvr.to_string());
                }
                if let Some(t) = &token {
                    self.traced(|trace| trace.token_thumbprinted(&t.cvr, &t.subject, t.holder_thumbprint, false));
                }
                return Ok(Presented { token, message_id });
            }
            SecurityMode::Token => wss::Strictness::Token,
            SecurityMode::Strict => wss::Strictness::Strict,
        };
        let expect = wss::Expectations {
            strictness,
            cache: self.assertions,
            audience: entity_id,
            sts_key: self.keys.sts.public_key(),
            now: self.now(),
            freshness: self.freshness(),
        };
        let token = wss::check(&tree, &expect).map_err(|why| {
            if let Some(claimed) = wss::read_unverified(&tree).and_then(|t| Cvr::parse(&t.cvr).ok()) {
                self.note_caller(format!("{claimed} (token refused)"));
            }
            let fault = Fault::sender(
                version,
                format!("token rejected ({} mode): {why}", self.settings.mode.name()),
            );
            self.reject(&fault);
            fault
        })?;
        if let Ok(cvr) = Cvr::parse(&token.cvr) {
            self.note_cvr(cvr);
        }
        self.traced(|t| t.token_thumbprinted(&token.cvr, &token.subject, token.holder_thumbprint, true));
        Ok(Presented {
            token: Some(token),
            message_id,
        })
    }

    /// The caller of a service that also answers anonymous calls in `off` mode (the
    /// støttesystem services, whose contracts have no context model; SF1520's
    /// InvocationContext): `None` in `off` mode when neither a token nor a context CVR was
    /// presented, otherwise as [`Guard::caller`].
    pub fn optional_caller(
        &self,
        version: SoapVersion,
        presented: &Presented,
        authority_context: Option<&str>,
        entity_id: &str,
    ) -> Result<Option<Caller>, Fault> {
        if self.settings.mode == SecurityMode::Off && presented.token.is_none() && authority_context.is_none() {
            self.traced(|t| t.verdict(crate::journal::Verdict::Anonymous));
            return Ok(None);
        }
        self.caller(version, presented, authority_context, entity_id).map(Some)
    }

    /// Determines the caller of a service from what was presented and the request's own
    /// context element, then checks the service agreement; the verdict goes to the journal.
    pub fn caller(
        &self,
        version: SoapVersion,
        presented: &Presented,
        authority_context: Option<&str>,
        entity_id: &str,
    ) -> Result<Caller, Fault> {
        let judged = self.judge(version, presented, authority_context, entity_id);
        match &judged {
            Ok(caller) => self.accepted(caller.model),
            Err(fault) => self.reject(fault),
        }
        judged
    }

    /// Notes for the journal that the caller was established in `model`.
    fn accepted(&self, model: SecurityModel) {
        self.traced(|t| {
            t.verdict(crate::journal::Verdict::Accepted {
                model: match model {
                    SecurityModel::AuthorityContext => "context",
                    SecurityModel::Token => "token",
                },
            })
        });
    }

    /// The caller [`Guard::caller`] accepted before, in `off` mode without a token, from the
    /// context CVR number that parses to `cvr`, for a service of this guard's world (its
    /// service agreements) and the same entity ID: noted as `caller` notes it (the caller for
    /// the log, the verdict for the journal), not judged again. That judgment depends on
    /// nothing else, so a service that remembers it (per thread and world, with the context's
    /// text) may take it again: judged again it cost ~260 instructions a request (callgrind on
    /// examples/request_cost).
    pub fn context_caller_accepted_before(&self, cvr: Cvr) {
        debug_assert_eq!(self.settings.mode, SecurityMode::Off);
        self.note_cvr(cvr);
        self.accepted(SecurityModel::AuthorityContext);
    }

    fn judge(
        &self,
        version: SoapVersion,
        presented: &Presented,
        authority_context: Option<&str>,
        entity_id: &str,
    ) -> Result<Caller, Fault> {
        let caller = match (&presented.token, authority_context, self.settings.mode) {
            (Some(token), _, SecurityMode::Token | SecurityMode::Strict) | (Some(token), None, SecurityMode::Off) => {
                let cvr = Cvr::parse(&token.cvr).map_err(|e| {
                    Fault::sender(
                        version,
                        format!("the assertion's CvrNumberIdentifier is not a valid CVR number: {e}"),
                    )
                })?;
                Caller {
                    cvr,
                    model: SecurityModel::Token,
                    system: Some(token.subject.clone()),
                }
            }
            (_, Some(text), SecurityMode::Off) => {
                // The claimed CVR number when `text` is its digits (what parsing `text` gives
                // then), else `text` parsed.
                let claimed = self.claimed.get().filter(|c| c.is_written_as(crate::clip::trim(text)));
                let cvr = match claimed {
                    Some(cvr) => cvr,
                    None => Cvr::parse(text).map_err(|e| {
                        Fault::sender(
                            version,
                            format!("AuthorityContext/MunicipalityCVR is not a valid CVR number: {e}"),
                        )
                    })?,
                };
                Caller {
                    cvr,
                    model: SecurityModel::AuthorityContext,
                    system: None,
                }
            }
            (None, _, SecurityMode::Off) => {
                return Err(Fault::sender(
                    version,
                    "Security model for the called operation was not provided. The following are supported: \
                     [KombitToken, AuthorityContext] (put the caller's CVR in AuthorityContext/MunicipalityCVR, \
                     or send a token from sfstub's STS)",
                ));
            }
            (None, _, mode) => {
                return Err(Fault::sender(
                    version,
                    format!(
                        "sfstub runs in {} mode: this service needs a token from sfstub's STS in a wsse:Security header; \
                         AuthorityContext alone is not accepted",
                        mode.name()
                    ),
                ));
            }
        };
        self.note_cvr(caller.cvr);
        let certificate = match (&caller.model, &presented.token) {
            (SecurityModel::Token, Some(token)) => Some((
                token.holder_certificate.as_slice(),
                token.holder_thumbprint,
                token.subject.as_str(),
            )),
            _ => None,
        };
        self.check_agreement_of(caller.cvr, entity_id, certificate)
            .map_err(|why| Fault::sender(version, format!("ServiceAgreementNotFound: {why}")))?;
        Ok(caller)
    }
}
