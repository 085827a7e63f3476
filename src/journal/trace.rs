//! What the journal learns about one call while it runs: the facts only the security layer and
//! the services see (the token and the verdict on it, the CPR number asked about, the cases or
//! error codes answered). Filled through shared references during the call; read once after it.

use std::cell::RefCell;

use sha2::Digest;
use uuid::Uuid;

/// The facts of one call, filled while it runs. Cheap when nothing is noted: one `RefCell`.
///
/// Its buffers (the CPR number's text, the IDs) are reused from call to call: a trace
/// dropped leaves them to the next one made on the same thread, so noting a CPR number and
/// the cases answered allocates nothing once a thread has answered a call (a `String` and
/// a `Vec` made and freed for every call cost ~550 instructions; callgrind on
/// examples/request_cost).
#[derive(Debug)]
pub struct Trace {
    noted: RefCell<Noted>,
}

/// What a trace noted, in buffers kept for the next trace (see [`Trace`]).
#[derive(Debug, Default)]
struct Noted {
    token: Option<TokenFacts>,
    verdict: Option<Verdict>,
    /// Whether a CPR number was noted: `cpr` holds it then.
    has_cpr: bool,
    cpr: String,
    ids: Vec<Uuid>,
    codes: Vec<String>,
    refused: bool,
}

/// The most IDs whose room a trace's buffer keeps for the next trace.
const KEPT_IDS: usize = 64;
/// The longest CPR text whose room a trace's buffer keeps for the next trace.
const KEPT_CPR: usize = 64;

thread_local! {
    /// The CPR and ID buffers of the last trace dropped on this thread, emptied, for the next
    /// one made.
    static SPARE: RefCell<(String, Vec<Uuid>)> = const { RefCell::new((String::new(), Vec::new())) };
}

impl Default for Trace {
    fn default() -> Self {
        let (cpr, ids) = SPARE
            .try_with(|spare| {
                let mut spare = spare.borrow_mut();
                (std::mem::take(&mut spare.0), std::mem::take(&mut spare.1))
            })
            .unwrap_or_default();
        Trace {
            noted: RefCell::new(Noted {
                cpr,
                ids,
                ..Noted::default()
            }),
        }
    }
}

impl Drop for Trace {
    fn drop(&mut self) {
        let Noted { cpr, ids, .. } = self.noted.get_mut();
        if cpr.capacity() > KEPT_CPR || ids.capacity() > KEPT_IDS {
            return;
        }
        cpr.clear();
        ids.clear();
        // A thread's destructors may have run (a trace dropped while the thread ends): then
        // the buffers are simply freed.
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                std::mem::swap(&mut spare.0, cpr);
                std::mem::swap(&mut spare.1, ids);
            }
        });
    }
}

/// What a [`Trace`] collected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The token presented (token model), whether or not it was accepted. Boxed: an entry
    /// without one (the other models) is smaller by its size (see [`Trace::move_into`]).
    pub token: Option<Box<TokenFacts>>,
    /// The security layer's verdict, when it judged the call.
    pub verdict: Option<Verdict>,
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

impl Trace {
    /// Notes the token a request presented.
    pub fn token(&self, cvr: &str, subject: &str, holder_certificate: &[u8], verified: bool) {
        self.token_thumbprinted(cvr, subject, sha2::Sha256::digest(holder_certificate).into(), verified);
    }

    /// [`Trace::token`] with the certificate's SHA-256 thumbprint already taken.
    pub fn token_thumbprinted(&self, cvr: &str, subject: &str, thumbprint: [u8; 32], verified: bool) {
        self.noted.borrow_mut().token = Some(TokenFacts {
            cvr: cvr.to_owned(),
            subject: subject.to_owned(),
            thumbprint,
            verified,
        });
    }

    /// Notes the security verdict (a later verdict replaces an earlier one).
    pub fn verdict(&self, verdict: Verdict) {
        self.noted.borrow_mut().verdict = Some(verdict);
    }

    /// Notes the CPR number the request asks about, as sent.
    pub fn cpr(&self, text: &str) {
        let mut noted = self.noted.borrow_mut();
        noted.has_cpr = true;
        noted.cpr.clear();
        noted.cpr.push_str(crate::clip::trim(text));
    }

    /// Notes the identifiers an answer returned.
    pub fn ids(&self, ids: impl IntoIterator<Item = Uuid>) {
        self.noted.borrow_mut().ids.extend(ids);
    }

    /// Notes that the answer refuses the request inside a normal response, with its codes.
    pub fn refused<C: ToString>(&self, codes: impl IntoIterator<Item = C>) {
        let mut noted = self.noted.borrow_mut();
        noted.refused = true;
        noted.codes.extend(codes.into_iter().map(|c| c.to_string()));
    }

    /// True when a refusal was noted.
    pub fn is_refused(&self) -> bool {
        self.noted.borrow().refused
    }

    /// The CPR number noted so far.
    pub fn noted_cpr(&self) -> Option<String> {
        self.with_noted_cpr(|cpr| cpr.map(str::to_owned))
    }

    /// Runs `f` on the CPR number noted so far (borrowed: `f` must note nothing).
    pub fn with_noted_cpr<T>(&self, f: impl FnOnce(Option<&str>) -> T) -> T {
        let noted = self.noted.borrow();
        f(noted.has_cpr.then_some(noted.cpr.as_str()))
    }

    /// Everything noted, leaving the trace empty.
    pub fn take(&self) -> Facts {
        let mut facts = Facts::default();
        self.move_into(&mut facts);
        drop(std::mem::take(&mut *self.noted.borrow_mut()));
        facts
    }

    /// Makes `facts` (a journal entry's, perhaps recycled) what was noted, leaving the trace
    /// without its CPR number, IDs and codes. The IDs' buffer is swapped with the entry's,
    /// which the trace empties and leaves to the next trace when dropped; the codes' too (the
    /// entry's older ones are dropped with the trace); other text goes into the entry's own
    /// buffers. Either way a recycled entry's room is reused rather than freed and allocated
    /// again (see [`super::Journal::record_with`]); the swaps spare copying the IDs and codes.
    /// The CPR number is not among the facts: the journal keeps it with the entry's other
    /// texts ([`super::Entry::set_texts`], from [`Trace::with_noted_cpr`]).
    pub fn move_into(&self, facts: &mut Facts) {
        let mut noted = self.noted.borrow_mut();
        let noted = &mut *noted;
        match (&mut facts.token, &noted.token) {
            (Some(mine), Some(token)) => {
                mine.cvr.clone_from(&token.cvr);
                mine.subject.clone_from(&token.subject);
                mine.thumbprint = token.thumbprint;
                mine.verified = token.verified;
            }
            (mine, token) => *mine = token.as_ref().map(|t| Box::new(t.clone())),
        }
        facts.verdict.clone_from(&noted.verdict);
        noted.has_cpr = false;
        noted.cpr.clear();
        std::mem::swap(&mut facts.ids, &mut noted.ids);
        noted.ids.clear();
        // Swapped as well: cloning into the entry's (mostly both empty) cost ~40 instructions.
        std::mem::swap(&mut facts.codes, &mut noted.codes);
        noted.codes.clear();
        facts.refused = noted.refused;
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
        assert_eq!(trace.noted_cpr(), None);
        assert_eq!(facts.codes, ["1003", "1004"]);
        assert!(facts.refused);
        assert_eq!(facts.verdict.as_ref().map(Verdict::name), Some("accepted"));
        assert_eq!(trace.take(), Facts::default());
    }

    #[test]
    fn a_trace_made_after_another_was_dropped_notes_nothing_of_it() {
        let trace = Trace::default();
        trace.cpr("1507804329");
        trace.ids([Uuid::from_u128(1), Uuid::from_u128(2)]);
        trace.refused(["1003"]);
        trace.verdict(Verdict::Anonymous);
        drop(trace);
        let next = Trace::default();
        assert_eq!(next.noted_cpr(), None);
        assert!(!next.is_refused());
        next.ids([Uuid::from_u128(3)]);
        let mut facts = Facts {
            ids: vec![Uuid::from_u128(9); 3],
            codes: vec!["x".into()],
            refused: true,
            verdict: Some(Verdict::Anonymous),
            ..Facts::default()
        };
        // Written over an entry's facts, whatever they held.
        next.move_into(&mut facts);
        assert_eq!(
            facts,
            Facts {
                ids: vec![Uuid::from_u128(3)],
                ..Facts::default()
            }
        );
        // Moved: the trace keeps no CPR number nor IDs, not even the entry's older ones.
        assert_eq!(next.noted_cpr(), None);
        next.cpr("  0707070707 ");
        next.ids([Uuid::from_u128(4)]);
        assert_eq!(next.noted_cpr().as_deref(), Some("0707070707"));
        next.move_into(&mut facts);
        assert_eq!(next.noted_cpr(), None);
        assert_eq!(facts.ids, [Uuid::from_u128(4)]);
        assert_eq!(next.take(), Facts::default());
    }
}
