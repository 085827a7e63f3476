//! What the journal learns about one call while it runs: the facts only the security layer and
//! the services see (the token and the verdict on it, the CPR number asked about, the cases or
//! error codes answered). Filled through shared references during the call; read once after it.

use std::cell::RefCell;

use sha2::Digest;
use uuid::Uuid;

/// The facts of one call, filled while it runs. Cheap when nothing is noted: one `RefCell`.
#[derive(Debug, Default)]
pub struct Trace {
    facts: RefCell<Facts>,
}

/// What a [`Trace`] collected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The token presented (token model), whether or not it was accepted.
    pub token: Option<TokenFacts>,
    /// The security layer's verdict, when it judged the call.
    pub verdict: Option<Verdict>,
    /// The CPR number the request asked about, as sent (trimmed).
    pub cpr: Option<String>,
    /// Identifiers the answer returned (SF1472: the control cases' UUIDs).
    pub ids: Vec<Uuid>,
    /// The codes of a refusal in a normal answer (K2017 FejlIds, sagdok StatusKode).
    pub codes: Vec<String>,
    /// The answer is a refusal inside a normal response (K2017 `Fejl`, `StandardRetur` ≠ 20).
    pub refused: bool,
}

/// The token a call presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    /// The CVR the assertion speaks for.
    pub cvr: String,
    /// The user system's certificate subject, as the assertion names it.
    pub subject: String,
    /// SHA-256 of the holder-of-key certificate (DER).
    pub thumbprint: [u8; 32],
    /// Whether the token was judged (token and strict modes) or only read (off mode).
    pub verified: bool,
}

/// How the security layer judged a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The caller was established: by its token or by the request's AuthorityContext.
    Accepted { model: &'static str },
    /// A støttesystem call in `off` mode with neither token nor context: answered anonymously.
    Anonymous,
    /// Refused, with the diagnosis the fault gave.
    Rejected { diagnosis: String },
}

impl Verdict {
    /// `accepted`, `anonymous` or `rejected`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Accepted { .. } => "accepted",
            Verdict::Anonymous => "anonymous",
            Verdict::Rejected { .. } => "rejected",
        }
    }
}

impl Facts {
    /// Makes these facts (a recycled journal entry's) `facts`, writing text into their own
    /// buffers (see [`super::Entry::assign`]).
    pub fn assign(&mut self, facts: Facts) {
        match (&mut self.token, facts.token) {
            (Some(mine), Some(token)) => {
                mine.cvr.clone_from(&token.cvr);
                mine.subject.clone_from(&token.subject);
                mine.thumbprint = token.thumbprint;
                mine.verified = token.verified;
            }
            (mine, token) => *mine = token,
        }
        self.verdict = facts.verdict;
        self.cpr.clone_from(&facts.cpr);
        self.ids.clone_from(&facts.ids);
        self.codes.clone_from(&facts.codes);
        self.refused = facts.refused;
    }
}

impl Trace {
    /// Notes the token a request presented.
    pub fn token(&self, cvr: &str, subject: &str, holder_certificate: &[u8], verified: bool) {
        self.token_thumbprinted(cvr, subject, sha2::Sha256::digest(holder_certificate).into(), verified);
    }

    /// [`Trace::token`] with the certificate's SHA-256 thumbprint already taken.
    pub fn token_thumbprinted(&self, cvr: &str, subject: &str, thumbprint: [u8; 32], verified: bool) {
        self.facts.borrow_mut().token = Some(TokenFacts {
            cvr: cvr.to_owned(),
            subject: subject.to_owned(),
            thumbprint,
            verified,
        });
    }

    /// Notes the security verdict (a later verdict replaces an earlier one).
    pub fn verdict(&self, verdict: Verdict) {
        self.facts.borrow_mut().verdict = Some(verdict);
    }

    /// Notes the CPR number the request asks about, as sent.
    pub fn cpr(&self, text: &str) {
        self.facts.borrow_mut().cpr = Some(crate::clip::trim(text).to_owned());
    }

    /// Notes the identifiers an answer returned.
    pub fn ids(&self, ids: impl IntoIterator<Item = Uuid>) {
        let mut facts = self.facts.borrow_mut();
        match facts.ids.is_empty() {
            // Collected into room of their number (growing an empty `Vec` for them cost ~40
            // instructions more; callgrind on examples/request_cost).
            true => facts.ids = ids.into_iter().collect(),
            false => facts.ids.extend(ids),
        }
    }

    /// Notes that the answer refuses the request inside a normal response, with its codes.
    pub fn refused<C: ToString>(&self, codes: impl IntoIterator<Item = C>) {
        let mut facts = self.facts.borrow_mut();
        facts.refused = true;
        facts.codes.extend(codes.into_iter().map(|c| c.to_string()));
    }

    /// True when a refusal was noted.
    pub fn is_refused(&self) -> bool {
        self.facts.borrow().refused
    }

    /// The CPR number noted so far.
    pub fn noted_cpr(&self) -> Option<String> {
        self.facts.borrow().cpr.clone()
    }

    /// Runs `f` on the CPR number noted so far (borrowed: `f` must note nothing).
    pub fn with_noted_cpr<T>(&self, f: impl FnOnce(Option<&str>) -> T) -> T {
        f(self.facts.borrow().cpr.as_deref())
    }

    /// Everything noted, leaving the trace empty.
    pub fn take(&self) -> Facts {
        std::mem::take(&mut *self.facts.borrow_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_accumulate_and_take_empties() {
        let trace = Trace::default();
        trace.cpr(" 1507804329 ");
        trace.refused([1003u32, 1004]);
        trace.verdict(Verdict::Accepted { model: "context" });
        assert_eq!(trace.with_noted_cpr(|cpr| cpr.map(str::len)), Some(10));
        assert_eq!(trace.noted_cpr().as_deref(), Some("1507804329"));
        let facts = trace.take();
        assert_eq!(facts.cpr.as_deref(), Some("1507804329"));
        assert_eq!(facts.codes, ["1003", "1004"]);
        assert!(facts.refused);
        assert_eq!(facts.verdict.as_ref().map(Verdict::name), Some("accepted"));
        assert_eq!(trace.take(), Facts::default());
    }
}
