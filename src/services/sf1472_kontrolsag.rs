//! SF1472 "Hent borgers kontrolsager fra anden sektor", operation KontrolsagListeHent.
//!
//! The rules are Udbetaling Danmark-loven § 11 a and are not switchable: a municipality sees
//! only Udbetaling Danmark's cases and can never search another municipality's; Udbetaling
//! Danmark sees only the municipalities'. Stk. 1 (with consent) shows open cases without steps;
//! stk. 2 adds steps and cases henlagt within the last six calendar months. Cases closed with a
//! decision are never shown.
//!
//! Everything that depends only on the scenario is rendered once: what many cases share
//! (authorities, classes) when the service is prepared, each case's XML in both variants the
//! first time a request shows it; a request filters the citizen's cases and concatenates
//! fragments.

use std::borrow::Cow;
use std::sync::OnceLock;

use chrono::{Months, NaiveDate};
use uuid::Uuid;

use super::k2017::{self, Fejl, HovedLeaves, HovedOplysninger, KONTEKST_NS};
use super::{Context, ResponseSigning, Service, Summary};
use crate::clip::clip;
use crate::scenario::Sf1472Options;
use crate::security::{Caller, Guard, SecurityMode};
use crate::soap::addressing::default_action;
use crate::soap::scan::same_name;
use crate::soap::xml::{Leaves, escape, leaf_texts, push_element};
use crate::soap::{Body, Envelope, Fault};
use crate::world::classes::Klasse;
use crate::world::{CaseId, CaseStatus, CitizenId, Cpr, Cvr, Kontrolsag, Sector, World};

/// The request element's local name.
pub const OPERATION: &str = "KontrolsagListeHent_I";
/// The port type of sfstub's WSDL (for the WS-Addressing default action).
pub const PORT_TYPE: &str = "KontrolsagListeHentServicePortType";
/// The entity ID (token audience) of the service.
pub const ENTITY_ID: &str = "http://entityid.kombit.dk/service/kontrolsaglistehent/1";
/// The canonical path and its Serviceplatformen-style alias.
pub const PATHS: [&str; 2] = ["/kontrolsaglistehent/1", "/service/Kontrolsag/KontrolsagListeHent/1"];

/// The stable `FejlId` codes of SF1472 (documented in the README).
pub mod fejl_id {
    pub const CPR_MANGLER: u32 = 1001;
    pub const CPR_UGYLDIG: u32 = 1002;
    pub const HJEMMEL_UGYLDIG: u32 = 1003;
    pub const SAMTYKKE_MANGLER: u32 = 1004;
    pub const SAMTYKKE_UGYLDIG: u32 = 1005;
    pub const ANDEN_KOMMUNE: u32 = 1006;
    pub const IKKE_ANDEN_SEKTOR: u32 = 1007;
    pub const MYNDIGHED_UKENDT: u32 = 1008;
    pub const KALDER_UDEN_HJEMMEL: u32 = 1009;
    pub const YDELSE_UKENDT: u32 = 1010;
}

/// The legal basis of a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hjemmel {
    /// § 11 a, stk. 1: with the citizen's consent.
    Stk1,
    /// § 11 a, stk. 2: without consent.
    Stk2,
}

/// A parsed `KontrolsagListeHent_I`. Fields are kept as sent; the rules judge them. Its texts
/// are borrowed from the request's leaves ([`Request::from_leaves`]; a copy of each cost ~500
/// instructions a request, callgrind on examples/request_cost) or owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub hoved: HovedOplysninger<'a>,
    pub cpr: Option<Cow<'a, str>>,
    pub hjemmel: Option<Cow<'a, str>>,
    pub samtykke_dato: Option<Cow<'a, str>>,
    pub myndighed_cvr: Option<Cow<'a, str>>,
    pub ansoegning_ydelse: Option<Cow<'a, str>>,
}

impl<'a> Request<'a> {
    /// Reads the request from the operation element's bytes.
    pub fn parse(xml: &[u8], envelope: &Envelope, guard: &Guard<'_>) -> Result<Request<'static>, Fault> {
        let leaves = leaf_texts(xml).map_err(|e| Fault::sender(envelope.version, e))?;
        Request::from_leaves(&leaves, envelope, guard).map(Request::into_owned)
    }

    /// The same, owning its texts.
    pub fn into_owned(self) -> Request<'static> {
        let owned = |text: Option<Cow<'_, str>>| text.map(|t| Cow::Owned(t.into_owned()));
        Request {
            hoved: self.hoved.into_owned(),
            cpr: owned(self.cpr),
            hjemmel: owned(self.hjemmel),
            samtykke_dato: owned(self.samtykke_dato),
            myndighed_cvr: owned(self.myndighed_cvr),
            ansoegning_ydelse: owned(self.ansoegning_ydelse),
        }
    }

    /// Reads the request from the operation element's leaves (as the envelope reader read
    /// them: [`crate::soap::Operation::leaves`]).
    pub fn from_leaves(leaves: &'a Leaves, envelope: &Envelope, guard: &Guard<'_>) -> Result<Request<'a>, Fault> {
        Request::at(leaves, &Positions::of(leaves), envelope, guard)
    }

    /// [`Request::from_leaves`], the fields at `positions` (the leaves').
    fn at(
        leaves: &'a Leaves,
        positions: &Positions,
        envelope: &Envelope,
        guard: &Guard<'_>,
    ) -> Result<Request<'a>, Fault> {
        // Each field is its first leaf's text, a criterion absent when that is empty.
        let text = |field: usize| positions.text(leaves, field);
        let hoved = HovedLeaves::of(positions.hoved, [text(0), text(1), text(2)]);
        let hoved = hoved.read(envelope.version, guard)?;
        if !positions.criteria {
            return Err(Fault::sender(
                envelope.version,
                "the request has no KontrolsagSoegKriterie",
            ));
        }
        let criterion = |field: usize| text(field).filter(|t| !t.is_empty()).map(Cow::Borrowed);
        Ok(Request {
            hoved,
            cpr: criterion(3),
            hjemmel: criterion(4),
            samtykke_dato: criterion(5),
            myndighed_cvr: criterion(6),
            ansoegning_ydelse: criterion(7),
        })
    }
}

/// [`Positions::first`] of a field no leaf has.
const NOWHERE: u32 = u32::MAX;

/// Where a request's fields are among its leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Positions {
    /// Per field: the index of the first leaf at its path, or [`NOWHERE`]. The fields, by
    /// their paths below the operation element: `HovedOplysninger/` `TransaktionsId`,
    /// `TransaktionsTid` and `AuthorityContext/MunicipalityCVR`, then
    /// `KontrolsagSoegKriterie/` `PersonCPRNummer`, `Hjemmel`, `SamtykkeDato`,
    /// `MyndighedCVRNummer` and `AnsoegningYdelse` ([`Positions::find`]).
    first: [u32; 8],
    /// A leaf under `HovedOplysninger` was seen.
    hoved: bool,
    /// A leaf under `KontrolsagSoegKriterie` was seen.
    criteria: bool,
}

/// The positions of the layouts of leaves this thread has seen last ([`Leaves::layout`]), by
/// layout; a layout is never given out twice, so what is kept for one stays true.
struct Known {
    entries: [(u64, Positions); crate::memo::MAX_TEMPLATES],
    /// The entry replaced next.
    next: usize,
}

impl Known {
    /// The positions in `leaves`: worked out once for each layout of leaves (a request
    /// template's: a pass matching every leaf's path cost ~450 instructions a request;
    /// callgrind on examples/request_cost).
    fn of(&mut self, leaves: &Leaves) -> Positions {
        match leaves.layout() {
            Some(layout) => self.positions(layout.get(), leaves),
            None => Positions::find(leaves),
        }
    }

    /// The positions in `leaves`, whose layout is `layout`: as this thread found them for
    /// that layout before, or found now and kept.
    fn positions(&mut self, layout: u64, leaves: &Leaves) -> Positions {
        if let Some((_, positions)) = self.entries.iter().find(|(l, _)| *l == layout) {
            return *positions;
        }
        let positions = Positions::find(leaves);
        let at = self.next;
        self.entries[at] = (layout, positions);
        self.next = (at + 1) % self.entries.len();
        positions
    }
}

/// What this thread keeps for the calls it answers, in one place (the positions and the
/// judgment in two thread-locals cost ~30 instructions a request more; callgrind on
/// examples/request_cost).
struct Kept {
    known: Known,
    last: Option<LastJudged>,
    /// A `TransaktionsTid` [`KontrolsagListeHent::answer_again`] found an xs:dateTime: a
    /// client that sends one time again has it compared, not read again (which cost ~120
    /// instructions a request; callgrind on examples/request_cost). Kept anew on every
    /// [`TID_KEPT_EVERY`]th other time found one (a client sending a new time each request
    /// does not copy each).
    valid_tid: String,
    /// The other times found xs:dateTimes since `valid_tid` was kept.
    other_tids: u32,
}

/// [`Kept::valid_tid`] is replaced by every this many other times found xs:dateTimes.
const TID_KEPT_EVERY: u32 = 4;

thread_local! {
    static KEPT: std::cell::RefCell<Kept> = const {
        std::cell::RefCell::new(Kept {
            known: Known {
                entries: [(0, Positions { first: [NOWHERE; 8], hoved: false, criteria: false }); crate::memo::MAX_TEMPLATES],
                next: 0,
            },
            last: None,
            valid_tid: String::new(),
            other_tids: 0,
        })
    };
}

impl Positions {
    /// The positions in `leaves`, as this thread knows them ([`Known::of`]).
    fn of(leaves: &Leaves) -> Positions {
        KEPT.with(|kept| match kept.try_borrow_mut() {
            Ok(mut kept) => kept.known.of(leaves),
            Err(_) => Positions::find(leaves),
        })
    }

    /// The text of `field` (as [`Positions::first`] numbers them) in `leaves`, whose positions
    /// these are: its first leaf's, if any.
    fn text<'a>(&self, leaves: &'a Leaves, field: usize) -> Option<&'a str> {
        match self.first[field] {
            NOWHERE => None,
            i => leaves.text(i as usize),
        }
    }

    /// The positions in `leaves`, found by matching every leaf's path.
    fn find(leaves: &Leaves) -> Positions {
        let mut found = Positions {
            first: [NOWHERE; 8],
            hoved: false,
            criteria: false,
        };
        for (i, leaf) in leaves.iter().enumerate() {
            // Whole paths: their lengths tell most of them apart without reading a byte.
            let field = match leaf.path {
                "HovedOplysninger/TransaktionsId" => 0,
                "HovedOplysninger/TransaktionsTid" => 1,
                "HovedOplysninger/AuthorityContext/MunicipalityCVR" => 2,
                "KontrolsagSoegKriterie/PersonCPRNummer" => 3,
                "KontrolsagSoegKriterie/Hjemmel" => 4,
                "KontrolsagSoegKriterie/SamtykkeDato" => 5,
                "KontrolsagSoegKriterie/MyndighedCVRNummer" => 6,
                "KontrolsagSoegKriterie/AnsoegningYdelse" => 7,
                path => {
                    found.hoved |= path.starts_with("HovedOplysninger/");
                    found.criteria |= path.starts_with("KontrolsagSoegKriterie/");
                    continue;
                }
            };
            match field < 3 {
                true => found.hoved = true,
                false => found.criteria = true,
            }
            if found.first[field] == NOWHERE {
                found.first[field] = u32::try_from(i).unwrap_or(NOWHERE);
            }
        }
        found
    }
}

/// What the rules allow a caller to see: the cases, in the citizen's order, and the variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub cases: Vec<u32>,
    pub hjemmel: Hjemmel,
}

/// Applies § 11 a to a request: either the visible cases or the errors to report.
pub fn apply(world: &World, caller: &Caller, request: &Request<'_>, today: NaiveDate) -> Result<Selection, Vec<Fejl>> {
    judge(world, caller, request, today).map(|judged| Selection {
        cases: judged.cases().collect(),
        hjemmel: judged.hjemmel,
    })
}

/// What § 11 a lets a caller see, not collected in a list of its own: the citizen's cases
/// and which of them are shown ([`Judged::cases`]). A `Vec` of the cases shown cost ~200
/// instructions a request (callgrind on examples/request_cost).
pub struct Judged<'w> {
    /// All the citizen's cases; none when no citizen has the number.
    of_citizen: &'w [CaseId],
    /// The citizen, when one has the number.
    citizen: Option<CitizenId>,
    /// A bit for each of the first 64 of `of_citizen`, set when that case is shown.
    mask: u64,
    /// The cases shown of a citizen with more than 64 cases (`mask` is 0 then).
    listed: Vec<CaseId>,
    pub hjemmel: Hjemmel,
}

impl Judged<'_> {
    /// The cases shown, in the citizen's order.
    pub fn cases(&self) -> ShownCases<'_> {
        ShownCases {
            of_citizen: self.of_citizen,
            mask: self.mask,
            listed: self.listed.iter(),
        }
    }

    /// How many cases are shown.
    pub fn count(&self) -> usize {
        self.mask.count_ones() as usize + self.listed.len()
    }
}

/// The cases a [`Judged`] shows, in the citizen's order.
pub struct ShownCases<'a> {
    of_citizen: &'a [CaseId],
    mask: u64,
    listed: std::slice::Iter<'a, CaseId>,
}

impl Iterator for ShownCases<'_> {
    type Item = CaseId;

    fn next(&mut self) -> Option<CaseId> {
        if self.mask != 0 {
            let i = self.mask.trailing_zeros() as usize;
            self.mask &= self.mask - 1;
            return self.of_citizen.get(i).copied();
        }
        self.listed.next().copied()
    }
}

/// Applies § 11 a to a request: what it lets the caller see ([`apply`] collects it), or the
/// errors to report.
pub fn judge<'w>(
    world: &'w World,
    caller: &Caller,
    request: &Request<'_>,
    today: NaiveDate,
) -> Result<Judged<'w>, Vec<Fejl>> {
    judge_on(world, caller, request, || today)
}

/// [`judge`], with today's date worked out only when a rule asks for it (a consent's date, a
/// henlagt case): for each request it cost ~35 instructions (callgrind on
/// examples/request_cost).
fn judge_on<'w>(
    world: &'w World,
    caller: &Caller,
    request: &Request<'_>,
    today: impl Fn() -> NaiveDate,
) -> Result<Judged<'w>, Vec<Fejl>> {
    let mut fejl = Vec::new();
    let mut push = |id: u32, tekst: String| fejl.push(Fejl { id, tekst });

    let caller_sector = match world.authority_by_cvr(caller.cvr).map(|id| world.authority(id)) {
        Some(a) if matches!(a.sector, Sector::Udk | Sector::Kommune) => Some(a.sector),
        Some(a) => {
            push(
                fejl_id::KALDER_UDEN_HJEMMEL,
                format!(
                    "Kalderen ({}, CVR {}) er hverken Udbetaling Danmark eller en kommune og har ikke adgang efter Udbetaling Danmark-lovens § 11 a",
                    a.name, caller.cvr
                ),
            );
            None
        }
        None => {
            push(
                fejl_id::KALDER_UDEN_HJEMMEL,
                format!(
                    "Kalderens CVR-nummer {} tilhører ikke en kendt myndighed (AuthorityContext/MunicipalityCVR)",
                    caller.cvr
                ),
            );
            None
        }
    };

    let cpr = match request.cpr.as_deref() {
        None => {
            push(fejl_id::CPR_MANGLER, "PersonCPRNummer mangler".into());
            None
        }
        Some(text) => match Cpr::parse(text, true) {
            Ok(cpr) => Some(cpr),
            Err(_) => {
                push(
                    fejl_id::CPR_UGYLDIG,
                    format!(
                        "PersonCPRNummer {text:?} er ikke et gyldigt CPR-nummer (10 cifre, DDMMÅÅ-LLLL, med en gyldig fødselsdato)",
                        text = clip(text)
                    ),
                );
                None
            }
        },
    };

    let hjemmel = match request.hjemmel.as_deref() {
        Some("UDBL_11A_STK1") => Some(Hjemmel::Stk1),
        Some("UDBL_11A_STK2") => Some(Hjemmel::Stk2),
        other => {
            push(
                fejl_id::HJEMMEL_UGYLDIG,
                match other {
                    None => {
                        "Hjemmel mangler; angiv UDBL_11A_STK1 (med samtykke) eller UDBL_11A_STK2 (uden samtykke)".into()
                    }
                    Some(h) => format!(
                        "Hjemmel {h:?} er ukendt; angiv UDBL_11A_STK1 (med samtykke) eller UDBL_11A_STK2 (uden samtykke)",
                        h = clip(h)
                    ),
                },
            );
            None
        }
    };

    if hjemmel == Some(Hjemmel::Stk1) {
        match request.samtykke_dato.as_deref() {
            None => push(
                fejl_id::SAMTYKKE_MANGLER,
                "SamtykkeDato mangler; den er påkrævet ved hjemmel UDBL_11A_STK1".into(),
            ),
            Some(text) => match k2017::parse_xs_date(text) {
                Some(d) if d > today() => push(
                    fejl_id::SAMTYKKE_UGYLDIG,
                    format!("SamtykkeDato {d} ligger efter dags dato ({})", today()),
                ),
                Some(_) => {}
                None => push(
                    fejl_id::SAMTYKKE_UGYLDIG,
                    format!("SamtykkeDato {text:?} er ikke en dato (ÅÅÅÅ-MM-DD)", text = clip(text)),
                ),
            },
        }
    }

    let mut target = None;
    if let Some(text) = request.myndighed_cvr.as_deref() {
        match Cvr::parse(text).ok().and_then(|cvr| world.authority_by_cvr(cvr)) {
            None => push(
                fejl_id::MYNDIGHED_UKENDT,
                format!(
                    "MyndighedCVRNummer {text:?} er ikke CVR-nummeret på en kendt myndighed",
                    text = clip(text)
                ),
            ),
            Some(id) => {
                let t = world.authority(id);
                match (caller_sector, t.sector) {
                    (Some(Sector::Kommune), Sector::Kommune) => push(
                        fejl_id::ANDEN_KOMMUNE,
                        format!(
                            "MyndighedCVRNummer {} ({}): en kommune kan ikke søge i en anden kommunes kontrolsager (Udbetaling Danmark-lovens § 11 a)",
                            t.cvr, t.name
                        ),
                    ),
                    (Some(Sector::Udk), Sector::Kommune) | (Some(Sector::Kommune), Sector::Udk) => target = Some(id),
                    (Some(_), _) => push(
                        fejl_id::IKKE_ANDEN_SEKTOR,
                        format!(
                            "MyndighedCVRNummer {} ({}) er ikke en myndighed i anden sektor end kalderens",
                            t.cvr, t.name
                        ),
                    ),
                    (None, _) => {}
                }
            }
        }
    }

    let excluded_benefit = match request.ansoegning_ydelse.as_deref() {
        None => None,
        Some(key) => match world.classes.benefit(key) {
            Some(b) => Some(b),
            None => {
                push(
                    fejl_id::YDELSE_UKENDT,
                    format!(
                        "AnsoegningYdelse {key:?} er ikke en kendt ydelse; kendte: {}",
                        world.classes.benefit_keys().join(", "),
                        key = clip(key)
                    ),
                );
                None
            }
        },
    };

    let (Some(caller_sector), Some(cpr), Some(hjemmel)) = (caller_sector, cpr, hjemmel) else {
        return Err(fejl);
    };
    if !fejl.is_empty() {
        return Err(fejl);
    }
    // Worked out when a henlagt case asks for it (for each request it cost ~90 instructions;
    // callgrind on examples/request_cost).
    let window = std::cell::OnceCell::new();
    let window_start = || *window.get_or_init(|| today().checked_sub_months(Months::new(6)).unwrap_or(NaiveDate::MIN));
    let shown = |id: CaseId| {
        let case = &world.cases[id as usize];
        let holder = world.authority(case.holder);
        let other_sector = match caller_sector {
            Sector::Kommune => holder.sector == Sector::Udk,
            Sector::Udk => holder.sector == Sector::Kommune && target.is_none_or(|t| t == case.holder),
            Sector::Atp => false,
        };
        other_sector && Some(case.benefit) != excluded_benefit && visible(case, hjemmel, window_start)
    };
    let citizen = world.citizen_id_by_cpr(cpr);
    let of_citizen: &[CaseId] = citizen.map_or(&[], |id| &world.citizens[id as usize].cases);
    let (mut mask, mut listed) = (0u64, Vec::new());
    match of_citizen.len() <= 64 {
        true => {
            for (i, &id) in of_citizen.iter().enumerate() {
                mask |= u64::from(shown(id)) << i;
            }
        }
        false => listed.extend(of_citizen.iter().copied().filter(|&id| shown(id))),
    }
    Ok(Judged {
        of_citizen,
        citizen,
        mask,
        listed,
        hjemmel,
    })
}

/// What § 11 a let the last caller see that this thread judged to be shown cases, by what
/// the judgment was made on: a request judged again (a client asks for the same citizen with
/// the same criteria, the usual load) is shown the same cases without parsing its CPR number,
/// finding the citizen and the authorities and judging each case again, which cost ~450
/// instructions a request (callgrind on examples/request_cost, cg-steady.sh).
struct LastJudged {
    /// The service that judged ([`KontrolsagListeHent::id`]): its world.
    service: u64,
    caller: Cvr,
    /// Per criterion ([`criteria`]), its text's length, or [`ABSENT`] when it is absent.
    lengths: [usize; 5],
    /// The criteria's texts, one after the other.
    texts: String,
    /// Today's date when the judgment asked for it (a consent's date, a henlagt case): the
    /// judgment holds on that day only.
    today: Option<NaiveDate>,
    citizen: Option<CitizenId>,
    mask: u64,
    hjemmel: Hjemmel,
    /// The fields below hold what a call answered with this judgment: the caller was the
    /// context's claim (`off` mode, no token), accepted by the guard.
    answered: bool,
    /// `AuthorityContext/MunicipalityCVR` as that call sent it: its text named `caller`.
    context: String,
    /// What that call's answer held after its transaction's time: the end of
    /// `HovedOplysningerSvar`, the cases shown and the end of the answer.
    rest: Vec<u8>,
    /// The identifiers of the cases shown, in order, as the journal notes them.
    ids: Vec<Uuid>,
}

/// The texts a judgment depends on besides the caller and the day: the CPR number, the
/// hjemmel, the consent's date, the authority searched and the benefit left out.
fn criteria<'r>(request: &'r Request<'_>) -> [Option<&'r str>; 5] {
    [
        request.cpr.as_deref(),
        request.hjemmel.as_deref(),
        request.samtykke_dato.as_deref(),
        request.myndighed_cvr.as_deref(),
        request.ansoegning_ydelse.as_deref(),
    ]
}

/// [`LastJudged::lengths`] of an absent criterion (no text is so long).
const ABSENT: usize = usize::MAX;

/// The lengths [`LastJudged::lengths`] keeps of `criteria`.
fn lengths(criteria: &[Option<&str>; 5]) -> [usize; 5] {
    criteria.map(|text| text.map_or(ABSENT, str::len))
}

impl LastJudged {
    /// Whether this judgment was made by `service` for `caller` on `criteria`.
    fn judged(&self, service: u64, caller: Cvr, criteria: &[Option<&str>; 5]) -> bool {
        self.service == service && self.caller == caller && self.judged_on(criteria)
    }

    /// Whether this judgment was made on `criteria`.
    fn judged_on(&self, criteria: &[Option<&str>; 5]) -> bool {
        // Each criterion's length, then its text compared with its place in `texts` (the
        // lengths of all made and compared first cost ~60 instructions more; callgrind on
        // examples/request_cost).
        let mut at = 0;
        for (text, &length) in criteria.iter().zip(&self.lengths) {
            let Some(text) = text else {
                match length {
                    ABSENT => continue,
                    _ => return false,
                }
            };
            if text.len() != length {
                return false;
            }
            let end = at + length;
            match self.texts.as_bytes().get(at..end) {
                Some(kept) if same_name(kept, text.as_bytes()) => at = end,
                _ => return false,
            }
        }
        true
    }
}

/// [`judge_on`], or what this thread judged last when that was the same judgment
/// ([`LastJudged`]); a judgment that shows cases (of a citizen with at most 64) is kept.
fn judge_remembered<'w>(
    service: u64,
    world: &'w World,
    caller: &Caller,
    request: &Request<'_>,
    today: impl Fn() -> NaiveDate,
) -> Result<Judged<'w>, Vec<Fejl>> {
    let criteria = criteria(request);
    let recalled = KEPT.with(|kept| {
        let kept = kept.try_borrow().ok()?;
        let last = kept.last.as_ref()?;
        if !last.judged(service, caller.cvr, &criteria) || last.today.is_some_and(|day| day != today()) {
            return None;
        }
        Some(Judged {
            of_citizen: last.citizen.map_or(&[], |id| &world.citizens[id as usize].cases),
            citizen: last.citizen,
            mask: last.mask,
            listed: Vec::new(),
            hjemmel: last.hjemmel,
        })
    });
    if let Some(judged) = recalled {
        return Ok(judged);
    }
    let asked = std::cell::Cell::new(None);
    let judged = judge_on(world, caller, request, || {
        let day = today();
        asked.set(Some(day));
        day
    });
    if let Ok(j) = &judged
        && j.listed.is_empty()
        && j.of_citizen.len() <= 64
    {
        KEPT.with(|kept| {
            let Ok(mut kept) = kept.try_borrow_mut() else {
                return;
            };
            let last = kept.last.get_or_insert_with(|| LastJudged {
                service,
                caller: caller.cvr,
                lengths: [ABSENT; 5],
                texts: String::new(),
                today: None,
                citizen: None,
                mask: 0,
                hjemmel: j.hjemmel,
                answered: false,
                context: String::new(),
                rest: Vec::new(),
                ids: Vec::new(),
            });
            last.answered = false;
            last.service = service;
            last.caller = caller.cvr;
            last.lengths = lengths(&criteria);
            last.texts.clear();
            for text in criteria.iter().flatten() {
                last.texts.push_str(text);
            }
            last.today = asked.get();
            last.citizen = j.citizen;
            last.mask = j.mask;
            last.hjemmel = j.hjemmel;
        });
    }
    judged
}

/// Notes with the judgment this thread remembers ([`LastJudged`]), when it is `judged`, made
/// by `service` for `caller` on `criteria` on `today`, what a call answered with it: the caller
/// named by the context's `context` (in `off` mode, without a token:
/// [`KontrolsagListeHent::answer_again`]), the answer's `rest` after its transaction's time and
/// the cases' `ids`.
fn remember_answer(
    service: u64,
    caller: Cvr,
    criteria: &[Option<&str>; 5],
    (judged, today): (&Judged<'_>, NaiveDate),
    context: &str,
    rest: &[u8],
    ids: impl Iterator<Item = Uuid>,
) {
    KEPT.with(|kept| {
        let Ok(mut kept) = kept.try_borrow_mut() else {
            return;
        };
        let Some(last) = kept.last.as_mut().filter(|last| {
            last.judged(service, caller, criteria)
                && last.today.is_none_or(|day| day == today)
                && (last.citizen, last.mask, last.hjemmel) == (judged.citizen, judged.mask, judged.hjemmel)
                && judged.listed.is_empty()
        }) else {
            return;
        };
        last.context.clear();
        last.context.push_str(context);
        last.rest.clear();
        last.rest.extend_from_slice(rest);
        last.ids.clear();
        last.ids.extend(ids);
        last.answered = true;
    });
}

/// Whether § 11 a lets a case be shown under `hjemmel`, given the start of the six-month
/// window for henlagt cases (asked for only when a henlagt case needs it).
fn visible(case: &Kontrolsag, hjemmel: Hjemmel, window_start: impl FnOnce() -> NaiveDate) -> bool {
    match (case.status, hjemmel) {
        (CaseStatus::Aaben, _) => true,
        (CaseStatus::Henlagt, Hjemmel::Stk2) => case.closed.is_some_and(|d| d >= window_start()),
        (CaseStatus::Henlagt, Hjemmel::Stk1) | (CaseStatus::Afgjort, _) => false,
    }
}

/// One case's `Kontrolsag` element as stk. 1 and as stk. 2 show it.
struct Fragments {
    stk1: Box<[u8]>,
    stk2: Box<[u8]>,
}

/// The parts of a `Kontrolsag` element that many cases share, rendered once per world: each
/// authority's `AnsvarligMyndighed` and each class's `Kontroltema`, `Ydelse` and
/// `SagsskridtType` element.
struct Parts {
    /// Per authority, indexed like `World::authorities`.
    holders: Vec<Box<[u8]>>,
    /// Per theme, indexed like `Klassifikation::themes`.
    themes: Vec<Box<[u8]>>,
    /// Per benefit, indexed like `Klassifikation::benefits`.
    benefits: Vec<Box<[u8]>>,
    /// Per step type, indexed like `Klassifikation::steps`.
    steps: Vec<Box<[u8]>>,
}

impl Parts {
    fn new(world: &World) -> Parts {
        let klasse = |element: &str, k: &Klasse| {
            let mut out = Vec::new();
            push_klasse(&mut out, element, k);
            out.into_boxed_slice()
        };
        let holders = world
            .authorities
            .iter()
            .map(|holder| {
                let mut out = Vec::new();
                out.extend_from_slice(b"<AnsvarligMyndighed>");
                push_element(&mut out, "MyndighedCVRNummer", &holder.cvr.to_string());
                push_element(&mut out, "MyndighedNavn", &holder.name);
                push_element(&mut out, "Sektor", holder.sector.code());
                if let Some(code) = &holder.kommunekode {
                    push_element(&mut out, "Kommunekode", code);
                }
                out.extend_from_slice(b"</AnsvarligMyndighed>");
                out.into_boxed_slice()
            })
            .collect();
        let classes = &world.classes;
        Parts {
            holders,
            themes: classes.themes.iter().map(|t| klasse("Kontroltema", &t.class)).collect(),
            benefits: classes.benefits.iter().map(|b| klasse("Ydelse", &b.class)).collect(),
            steps: classes.steps.iter().map(|s| klasse("SagsskridtType", s)).collect(),
        }
    }
}

/// The service. Each case's two variants are rendered the first time a request shows the
/// case and kept: a world of a million citizens is not rendered up front, and a case shown
/// again costs no rendering.
pub struct KontrolsagListeHent {
    /// This service's own number, never given to another in the process: what a thread
    /// remembers of a judgment ([`LastJudged`]) holds for this service's world only.
    id: u64,
    options: Sf1472Options,
    /// The start tag of `KontrolsagListeHent_O` in the configured namespace, written once
    /// (escaping the namespace and the revision for every answer cost ~400 instructions).
    start_tag: Vec<u8>,
    /// The start tag and then the start of `HovedOplysningerSvar` up to the transaction's id
    /// ([`k2017::SVAR_TRANSAKTION_START`]): how an answer in the configured namespace starts.
    head: Vec<u8>,
    parts: Parts,
    /// Per case, indexed like `World::cases`.
    fragments: Vec<OnceLock<Fragments>>,
}

impl KontrolsagListeHent {
    /// Prepares the service for a world.
    pub fn new(world: &World, options: Sf1472Options) -> KontrolsagListeHent {
        let mut start_tag = Vec::new();
        write_start_tag(&options.namespace, &options.revision, &mut start_tag);
        let head = [&start_tag[..], k2017::SVAR_TRANSAKTION_START].concat();
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        KontrolsagListeHent {
            id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            options,
            start_tag,
            head,
            parts: Parts::new(world),
            fragments: (0..world.cases.len()).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Case `id`'s fragments, rendered on first use.
    fn fragments(&self, world: &World, id: u32) -> &Fragments {
        self.fragments[id as usize].get_or_init(|| {
            let case = &world.cases[id as usize];
            Fragments {
                stk1: render_case(&self.parts, case, false),
                stk2: render_case(&self.parts, case, true),
            }
        })
    }

    /// Writes `KontrolsagListeHent_O` for a selection or a list of errors; `world` is the one
    /// the service was prepared for.
    pub fn render(
        &self,
        world: &World,
        namespace: &str,
        hoved: &HovedOplysninger,
        result: &Result<Judged<'_>, Vec<Fejl>>,
        out: &mut Vec<u8>,
    ) {
        match result {
            Err(fejl) => self.render_fejl(namespace, hoved, fejl, out),
            Ok(judged) => {
                self.render_shown(world, namespace, hoved, judged, out);
            }
        }
    }

    /// Writes `KontrolsagListeHent_O` with the cases `judged` shows; returns where in `out`
    /// what follows the transaction's time starts (its end tag,
    /// [`k2017::SVAR_TRANSAKTION_END`]).
    fn render_shown(
        &self,
        world: &World,
        namespace: &str,
        hoved: &HovedOplysninger,
        judged: &Judged<'_>,
        out: &mut Vec<u8>,
    ) -> usize {
        self.open(namespace, out);
        k2017::write_svar_transaktion(out, hoved);
        let rest = out.len() - k2017::SVAR_TRANSAKTION_END.len();
        // The end of HovedOplysningerSvar and the list's start tag in one constant.
        out.extend_from_slice(b"</kontekst:HovedOplysningerSvar><KontrolsagListe>");
        for id in judged.cases() {
            let f = self.fragments(world, id);
            out.extend_from_slice(if judged.hjemmel == Hjemmel::Stk1 {
                &f.stk1
            } else {
                &f.stk2
            });
        }
        out.extend_from_slice(b"</KontrolsagListe></KontrolsagListeHent_O>");
        rest
    }

    /// The answer to a request this thread answered before with the judgment it remembers
    /// ([`LastJudged`]), but for its transaction (the usual load: a client asks again, each
    /// time with a new `TransaktionsId` and `TransaktionsTid`), when it may be taken again:
    /// `None`, with nothing noted or written, when it may not. The caller must be the
    /// context's claim (`off` mode, no token presented: the guard's judgment of it depends
    /// only on its text, this service's world and entity ID). Written and noted as
    /// [`Service::call`] writes and notes it the full way (reading the request, judging the
    /// caller and the request, rendering its answer), which cost ~1 400 instructions a
    /// request more (callgrind on examples/request_cost, cg-steady.sh).
    fn answer_again(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        leaves: &Leaves,
        out: &mut Vec<u8>,
    ) -> Option<Summary> {
        KEPT.with(|kept| {
            let mut kept = kept.try_borrow_mut().ok()?;
            let Kept {
                known,
                last,
                valid_tid,
                other_tids,
            } = &mut *kept;
            let positions = known.of(leaves);
            // What `Request::at` and `HovedLeaves::read` accept without a fault.
            if !positions.hoved || !positions.criteria {
                return None;
            }
            let text = |field: usize| positions.text(leaves, field);
            let transaktions_id = text(0).filter(|t| !t.is_empty())?;
            let transaktions_tid = text(1)?;
            let context = text(2)?;
            let criterion = |field: usize| text(field).filter(|t| !t.is_empty());
            let criteria = [criterion(3), criterion(4), criterion(5), criterion(6), criterion(7)];
            let last = last.as_ref()?;
            if !last.answered
                || last.service != self.id
                || !same_name(last.context.as_bytes(), context.as_bytes())
                || !last.judged_on(&criteria)
                || last.today.is_some_and(|day| day != ctx.now.date_naive())
            {
                return None;
            }
            // The time kept starts empty, which no xs:dateTime is: an empty time is read.
            if valid_tid.is_empty() || !same_name(valid_tid.as_bytes(), transaktions_tid.as_bytes()) {
                if !crate::xsd::is_xs_datetime(transaktions_tid) {
                    return None;
                }
                *other_tids += 1;
                if *other_tids >= TID_KEPT_EVERY {
                    *other_tids = 0;
                    valid_tid.clear();
                    valid_tid.push_str(transaktions_tid);
                }
            }
            // As the full way notes them: the claimed caller (reading HovedOplysninger), the
            // CPR number, the caller accepted, then the cases shown.
            ctx.guard.note_claimed_cvr(crate::clip::trim(context), last.caller);
            if let Some(cpr) = criteria[0] {
                ctx.trace.cpr(cpr);
            }
            ctx.guard.context_caller_accepted_before(last.caller);
            let head = match envelope.operation.namespace.as_deref() {
                Some(namespace) if namespace != self.options.namespace => {
                    let mut head = Vec::new();
                    write_start_tag(namespace, &self.options.revision, &mut head);
                    head.extend_from_slice(k2017::SVAR_TRANSAKTION_START);
                    std::borrow::Cow::Owned(head)
                }
                _ => std::borrow::Cow::Borrowed(&self.head[..]),
            };
            k2017::write_svar_transaktion_between(out, &head, transaktions_id, transaktions_tid, &last.rest);
            ctx.trace.ids(last.ids.iter().copied());
            Some(Summary {
                caller: None,
                outcome: outcome(last.ids.len()),
                signing: None,
                header: None,
            })
        })
    }

    /// Writes `KontrolsagListeHent_O` for a list of errors.
    fn render_fejl(&self, namespace: &str, hoved: &HovedOplysninger, fejl: &[Fejl], out: &mut Vec<u8>) {
        self.open(namespace, out);
        k2017::write_svar(out, hoved, fejl);
        out.extend_from_slice(b"</KontrolsagListeHent_O>");
    }

    /// The start tag of `KontrolsagListeHent_O` in `namespace` (the request's).
    fn open(&self, namespace: &str, out: &mut Vec<u8>) {
        match namespace == self.options.namespace {
            true => out.extend_from_slice(&self.start_tag),
            false => write_start_tag(namespace, &self.options.revision, out),
        }
    }
}

/// The start tag of `KontrolsagListeHent_O` in `namespace`, of `revision`.
fn write_start_tag(namespace: &str, revision: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<KontrolsagListeHent_O xmlns=\"");
    out.extend_from_slice(escape(namespace).as_bytes());
    out.extend_from_slice(b"\" xmlns:kontekst=\"");
    out.extend_from_slice(KONTEKST_NS.as_bytes());
    out.extend_from_slice(b"\" revision=\"");
    out.extend_from_slice(escape(revision).as_bytes());
    out.extend_from_slice(b"\">");
}

fn push_klasse(out: &mut Vec<u8>, element: &str, k: &Klasse) {
    out.extend_from_slice(format!("<{element}>").as_bytes());
    push_element(out, "KlasseIdentifikation", &k.uuid.to_string());
    push_element(out, "KlasseBrugervendtNoegle", k.key);
    push_element(out, "KlasseTitel", k.title);
    out.extend_from_slice(format!("</{element}>").as_bytes());
}

fn render_case(parts: &Parts, case: &Kontrolsag, stk2: bool) -> Box<[u8]> {
    let mut out = Vec::with_capacity(if stk2 { 2048 } else { 1024 });
    out.extend_from_slice(b"<Kontrolsag>");
    push_element(
        &mut out,
        "KontrolsagIdentifikation",
        case.id.hyphenated().encode_lower(&mut Uuid::encode_buffer()),
    );
    out.extend_from_slice(&parts.holders[usize::from(case.holder)]);
    out.extend_from_slice(&parts.themes[usize::from(case.theme)]);
    out.extend_from_slice(&parts.benefits[usize::from(case.benefit)]);
    let status = if case.status == CaseStatus::Henlagt {
        "HENLAGT"
    } else {
        "AABEN"
    };
    push_element(&mut out, "KontrolsagStatus", status);
    push_element(&mut out, "OprettetDato", &case.opened.to_string());
    if stk2 {
        if let (CaseStatus::Henlagt, Some(closed)) = (case.status, case.closed) {
            push_element(&mut out, "HenlagtDato", &closed.to_string());
        }
        if !case.steps.is_empty() {
            out.extend_from_slice(b"<SagsskridtListe>");
            for step in &case.steps {
                out.extend_from_slice(b"<Sagsskridt>");
                out.extend_from_slice(&parts.steps[usize::from(step.kind)]);
                push_element(&mut out, "SagsskridtDato", &step.date.to_string());
                out.extend_from_slice(b"</Sagsskridt>");
            }
            out.extend_from_slice(b"</SagsskridtListe>");
        }
    }
    out.extend_from_slice(b"</Kontrolsag>");
    out.into_boxed_slice()
}

impl Service for KontrolsagListeHent {
    fn title(&self) -> &'static str {
        "SF1472 KontrolsagListeHent"
    }

    fn paths(&self) -> &[&'static str] {
        &PATHS
    }

    fn entity_id(&self) -> &'static str {
        ENTITY_ID
    }

    fn call(
        &self,
        ctx: &Context<'_>,
        envelope: &Envelope,
        body: Body<'_>,
        out: &mut Vec<u8>,
    ) -> Result<Summary, Fault> {
        let op = &envelope.operation;
        if op.local_name != OPERATION {
            return Err(Fault::sender(
                envelope.version,
                format!(
                    "unknown operation {}: this endpoint serves KontrolsagListeHent ({OPERATION})",
                    clip(&op.local_name)
                ),
            ));
        }
        // In `off` mode a request without a security header presents nothing (`inspect`
        // reads none): its caller is the context's claim, and a request answered before but
        // for its transaction is answered again.
        if ctx.guard.settings.mode == SecurityMode::Off
            && !envelope.security_header
            && let Ok(leaves) = &op.leaves
            && let Some(summary) = self.answer_again(ctx, envelope, leaves, out)
        {
            return Ok(summary);
        }
        let presented = ctx
            .guard
            .inspect(envelope.version, body, envelope.security_header, ENTITY_ID)?;
        let leaves = op
            .leaves
            .as_ref()
            .map_err(|e| Fault::sender(envelope.version, e.clone()))?;
        let request = Request::from_leaves(leaves, envelope, ctx.guard)?;
        // The caller is the context's claim ([`KontrolsagListeHent::answer_again`]).
        let by_context = ctx.guard.settings.mode == SecurityMode::Off && presented.token.is_none();
        if let Some(cpr) = &request.cpr {
            ctx.trace.cpr(cpr);
        }
        let context_cvr = request.hoved.municipality_cvr.as_deref();
        let caller = ctx.guard.caller(envelope.version, &presented, context_cvr, ENTITY_ID)?;
        let result = judge_remembered(self.id, ctx.world, &caller, &request, || ctx.now.date_naive());
        let namespace = op.namespace.as_deref().unwrap_or(&self.options.namespace);
        let outcome = match &result {
            Ok(judged) => {
                let rest = self.render_shown(ctx.world, namespace, &request.hoved, judged, out);
                let ids = || judged.cases().map(|i| ctx.world.cases[i as usize].id);
                ctx.trace.ids(ids());
                if by_context && let Some(context) = context_cvr {
                    let judgment = (judged, ctx.now.date_naive());
                    remember_answer(
                        self.id,
                        caller.cvr,
                        &criteria(&request),
                        judgment,
                        context,
                        &out[rest..],
                        ids(),
                    );
                }
                outcome(judged.count())
            }
            Err(f) => {
                self.render_fejl(namespace, &request.hoved, f, out);
                ctx.trace.refused(f.iter().map(|f| f.id));
                format!(
                    "Fejl {}",
                    f.iter().map(|f| f.id.to_string()).collect::<Vec<_>>().join(",")
                )
                .into()
            }
        };
        let signing = ResponseSigning::for_token(&presented);
        Ok(Summary {
            // The caller is the one `Guard::caller` noted (its CVR number as text), which the
            // request's handler takes when the summary names none: written again here it cost
            // ~230 instructions a request (callgrind on examples/request_cost).
            caller: None,
            outcome,
            signing,
            header: None,
        })
    }

    fn k2017(&self) -> bool {
        true
    }

    fn fejl_answer(&self, envelope: &Envelope, body: &[u8], fejl: &[Fejl], out: &mut Vec<u8>) -> Result<(), Fault> {
        let op = &envelope.operation;
        let hoved = k2017::hoved_of(body.get(op.range.clone()).unwrap_or_default(), envelope.version)?;
        let namespace = op.namespace.as_deref().unwrap_or(&self.options.namespace);
        self.render_fejl(namespace, &hoved, fejl, out);
        Ok(())
    }

    /// The default action of the output of sfstub's WSDL, in the namespace the answer uses.
    fn reply_action(&self, envelope: &Envelope) -> String {
        let namespace = envelope
            .operation
            .namespace
            .as_deref()
            .unwrap_or(&self.options.namespace);
        default_action(namespace, PORT_TYPE, "KontrolsagListeHentResponse")
    }

    fn contract(&self, document: Option<&str>, base: &str) -> Option<String> {
        let fill = |template: &str| {
            template
                .replace("{{NAMESPACE}}", &escape(&self.options.namespace))
                .replace("{{KONTEKST_NS}}", KONTEKST_NS)
                .replace("{{ADDRESS}}", &escape(base))
        };
        match document {
            None => Some(fill(WSDL)),
            Some("KontrolsagListeHent.xsd") => Some(fill(XSD)),
            Some("Kontekst.xsd") => Some(fill(k2017::KONTEKST_XSD)),
            Some(_) => None,
        }
    }
}

/// The request log's outcome of an answer listing `shown` cases. Without format!: its
/// machinery cost ~700 instructions a request; written into room made once (growing a
/// number's `to_string` cost ~300).
#[inline]
fn outcome(shown: usize) -> std::borrow::Cow<'static, str> {
    match COUNTS.get(shown) {
        // A few cases, the usual answer, from a table (written digit by digit the count cost
        // ~40 instructions more; callgrind on examples/request_cost), borrowed (a copy cost an
        // allocation and its free).
        Some(count) => std::borrow::Cow::Borrowed(*count),
        None => {
            let mut text = String::with_capacity(28);
            push_decimal(&mut text, shown);
            text.push_str(" case(s)");
            text.into()
        }
    }
}

/// The request log's outcome of an answer listing 0, 1, ... cases.
const COUNTS: [&str; 8] = [
    "0 case(s)",
    "1 case(s)",
    "2 case(s)",
    "3 case(s)",
    "4 case(s)",
    "5 case(s)",
    "6 case(s)",
    "7 case(s)",
];

/// Appends `n` in decimal.
fn push_decimal(text: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        text.push(char::from(d));
    }
}

const WSDL: &str = include_str!("sf1472/KontrolsagListeHent.wsdl");
const XSD: &str = include_str!("sf1472/KontrolsagListeHent.xsd");

/// The names of the XSD files the WSDL imports, for tests and tools.
pub const SCHEMA_FILES: [&str; 2] = ["KontrolsagListeHent.xsd", "Kontekst.xsd"];

#[cfg(test)]
mod tests {
    use super::*;

    /// A request element with `criteria` (name, text) in its KontrolsagSoegKriterie, or none.
    fn element(criteria: Option<&[(&str, &str)]>) -> String {
        let mut xml = String::from(
            r#"<k:KontrolsagListeHent_I xmlns:k="http://www.kombit.dk/int/2022/01/01/" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">
  <kontekst:HovedOplysninger>
    <kontekst:TransaktionsId>6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11</kontekst:TransaktionsId>
    <kontekst:TransaktionsTid>2026-11-22T10:15:00Z</kontekst:TransaktionsTid>
  </kontekst:HovedOplysninger>"#,
        );
        if let Some(criteria) = criteria {
            xml.push_str("<k:KontrolsagSoegKriterie>");
            for (name, text) in criteria {
                xml.push_str(&format!("<k:{name}>{text}</k:{name}>"));
            }
            xml.push_str("</k:KontrolsagSoegKriterie>");
        }
        xml.push_str("</k:KontrolsagListeHent_I>");
        xml
    }

    fn parsed(criteria: Option<&[(&str, &str)]>) -> Result<Request<'static>, Fault> {
        let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
        let xml = element(criteria);
        let envelope = crate::soap::parse_envelope(
            format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>{xml}</s:Body></s:Envelope>"#
            )
            .as_bytes(),
            app.limits.xml(),
            crate::soap::SoapVersion::V12,
        )
        .expect("an envelope");
        crate::http::with_context(&app, |ctx| Request::parse(xml.as_bytes(), &envelope, ctx.guard))
    }

    #[test]
    fn each_criterion_is_its_first_leafs_text_and_absent_when_that_is_empty() {
        let request = parsed(Some(&[
            ("Hjemmel", ""),
            ("PersonCPRNummer", "150780-4329"),
            ("Hjemmel", "UDBL_11A_STK2"),
            ("Ukendt", "x"),
            ("PersonCPRNummer", "0101010101"),
            ("AnsoegningYdelse", "Boligstøtte"),
            ("SamtykkeDato", "2026-11-01"),
        ]))
        .expect("a request");
        assert_eq!(request.cpr.as_deref(), Some("150780-4329"));
        assert_eq!(request.hjemmel, None);
        assert_eq!(request.samtykke_dato.as_deref(), Some("2026-11-01"));
        assert_eq!(request.myndighed_cvr, None);
        assert_eq!(request.ansoegning_ydelse.as_deref(), Some("Boligstøtte"));
        assert_eq!(request.hoved.transaktions_tid, "2026-11-22T10:15:00Z");
    }

    /// `Request::from_leaves` as it was first written: one pass matching every leaf's path.
    fn from_leaves_the_long_way<'a>(
        leaves: &'a Leaves,
        envelope: &Envelope,
        guard: &Guard<'_>,
    ) -> Result<Request<'a>, Fault> {
        let mut hoved = HovedLeaves::default();
        let mut criteria: [Option<&'a str>; 5] = [None; 5];
        let mut any = false;
        for leaf in leaves {
            let i = match leaf.path {
                "KontrolsagSoegKriterie/PersonCPRNummer" => 0,
                "KontrolsagSoegKriterie/Hjemmel" => 1,
                "KontrolsagSoegKriterie/SamtykkeDato" => 2,
                "KontrolsagSoegKriterie/MyndighedCVRNummer" => 3,
                "KontrolsagSoegKriterie/AnsoegningYdelse" => 4,
                path => {
                    if !hoved.take(path, leaf.text) {
                        any |= path.starts_with("KontrolsagSoegKriterie/");
                    }
                    continue;
                }
            };
            any = true;
            criteria[i].get_or_insert(leaf.text);
        }
        let hoved = hoved.read(envelope.version, guard)?;
        if !any {
            return Err(Fault::sender(
                envelope.version,
                "the request has no KontrolsagSoegKriterie",
            ));
        }
        let [cpr, hjemmel, samtykke_dato, myndighed_cvr, ansoegning_ydelse] =
            criteria.map(|text| text.filter(|t| !t.is_empty()).map(Cow::Borrowed));
        Ok(Request {
            hoved,
            cpr,
            hjemmel,
            samtykke_dato,
            myndighed_cvr,
            ansoegning_ydelse,
        })
    }

    /// The paths a request's leaves are drawn from: every field's, a neighbour of each and
    /// some that are nobody's.
    const LEAF_PATHS: [&str; 12] = [
        "HovedOplysninger/TransaktionsId",
        "HovedOplysninger/TransaktionsTid",
        "HovedOplysninger/AuthorityContext/MunicipalityCVR",
        "HovedOplysninger/Andet",
        "KontrolsagSoegKriterie/PersonCPRNummer",
        "KontrolsagSoegKriterie/Hjemmel",
        "KontrolsagSoegKriterie/SamtykkeDato",
        "KontrolsagSoegKriterie/MyndighedCVRNummer",
        "KontrolsagSoegKriterie/AnsoegningYdelse",
        "KontrolsagSoegKriterie/Ukendt",
        "Ukendt",
        "KontrolsagSoegKriterieX/Hjemmel",
    ];
    const LEAF_TEXTS: [&str; 6] = [
        "",
        "6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11",
        "2026-11-22T10:15:00Z",
        "64942212",
        "150780-4329",
        "UDBL_11A_STK2",
    ];

    proptest::proptest! {
        /// By position (a layout seen for the first time and again) and matching paths, the
        /// request read is the one the pass matching every path reads, or the same fault.
        #[test]
        fn a_request_by_positions_is_the_request_by_paths(
            leaves in proptest::collection::vec((0..LEAF_PATHS.len(), 0..LEAF_TEXTS.len()), 0..14),
        ) {
            let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
            let envelope = crate::soap::parse_envelope(
                br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><x/></s:Body></s:Envelope>"#,
                app.limits.xml(),
                crate::soap::SoapVersion::V12,
            )
            .expect("an envelope");
            let mut plain = Leaves::default();
            for &(path, text) in &leaves {
                plain.push(LEAF_PATHS[path], None, LEAF_TEXTS[text]);
            }
            let mut marked = plain.clone();
            marked.mark_layout();
            crate::http::with_context(&app, |ctx| {
                fn seen(r: Result<Request<'_>, Fault>) -> Result<Request<'_>, String> {
                    r.map_err(|f| f.reason)
                }
                let expected = seen(from_leaves_the_long_way(&plain, &envelope, ctx.guard));
                proptest::prop_assert_eq!(&seen(Request::from_leaves(&plain, &envelope, ctx.guard)), &expected);
                for _ in 0..2 {
                    proptest::prop_assert_eq!(&seen(Request::from_leaves(&marked, &envelope, ctx.guard)), &expected);
                }
                Ok(())
            })?;
        }
    }

    /// The answer of a request, the long way: the cases shown found by going over the
    /// citizen's cases with the rules as first written, each rendered anew.
    fn answer_the_long_way(
        service: &KontrolsagListeHent,
        world: &World,
        caller: &Caller,
        request: &Request<'_>,
        today: NaiveDate,
    ) -> (Vec<u8>, Result<Vec<CaseId>, Vec<Fejl>>) {
        let judged = apply(world, caller, request, today);
        let mut out = Vec::new();
        let shown = judged.map(|selection| {
            let caller_sector = world
                .authority(world.authority_by_cvr(caller.cvr).expect("a known caller"))
                .sector;
            let target = request
                .myndighed_cvr
                .as_deref()
                .and_then(|t| world.authority_by_cvr(Cvr::parse(t).expect("a CVR number")));
            let excluded = request
                .ansoegning_ydelse
                .as_deref()
                .and_then(|k| world.classes.benefit(k));
            let window = today.checked_sub_months(Months::new(6)).unwrap_or(NaiveDate::MIN);
            let cpr = Cpr::parse(request.cpr.as_deref().expect("a CPR number"), true).expect("a CPR number");
            let cases: Vec<CaseId> = world
                .citizen_by_cpr(cpr)
                .map(|c| c.cases.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|&id| {
                    let case = &world.cases[id as usize];
                    let holder = world.authority(case.holder).sector;
                    let other = match caller_sector {
                        Sector::Kommune => holder == Sector::Udk,
                        Sector::Udk => holder == Sector::Kommune && target.is_none_or(|t| t == case.holder),
                        Sector::Atp => false,
                    };
                    let visible = match (case.status, selection.hjemmel) {
                        (CaseStatus::Aaben, _) => true,
                        (CaseStatus::Henlagt, Hjemmel::Stk2) => case.closed.is_some_and(|d| d >= window),
                        _ => false,
                    };
                    other && Some(case.benefit) != excluded && visible
                })
                .collect();
            assert_eq!(selection.cases, cases, "apply collects what the rules show");
            service.open(&service.options.namespace, &mut out);
            k2017::write_svar_transaktion(&mut out, &request.hoved);
            out.extend_from_slice(b"</kontekst:HovedOplysningerSvar><KontrolsagListe>");
            for &id in &cases {
                let stk2 = selection.hjemmel == Hjemmel::Stk2;
                out.extend_from_slice(&render_case(&service.parts, &world.cases[id as usize], stk2));
            }
            out.extend_from_slice(b"</KontrolsagListe></KontrolsagListeHent_O>");
            cases
        });
        if let Err(fejl) = &shown {
            service.render_fejl(&service.options.namespace, &request.hoved, fejl, &mut out);
        }
        (out, shown)
    }

    /// A municipality (or UDK) calling with `cvr`, in the context model.
    fn authority(cvr: Cvr) -> Caller {
        Caller {
            cvr,
            model: crate::security::SecurityModel::AuthorityContext,
            system: None,
        }
    }

    /// A request for `cpr`'s cases under `hjemmel`, with the other criteria given.
    fn asking<'a>(
        cpr: &'a str,
        hjemmel: &'a str,
        samtykke_dato: Option<&'a str>,
        myndighed_cvr: Option<&'a str>,
        ansoegning_ydelse: Option<&'a str>,
    ) -> Request<'a> {
        Request {
            hoved: HovedOplysninger {
                transaktions_id: "6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11".into(),
                transaktions_tid: "2026-11-22T10:15:00Z".into(),
                municipality_cvr: None,
            },
            cpr: Some(cpr.into()),
            hjemmel: Some(hjemmel.into()),
            samtykke_dato: samtykke_dato.map(Cow::Borrowed),
            myndighed_cvr: myndighed_cvr.map(Cow::Borrowed),
            ansoegning_ydelse: ansoegning_ydelse.map(Cow::Borrowed),
        }
    }

    #[test]
    fn every_answer_is_the_long_ways_answer() {
        let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
        crate::http::with_context(&app, |ctx| {
            let world = ctx.world;
            let service = KontrolsagListeHent::new(world, Sf1472Options::default());
            let today = ctx.now.date_naive();
            // Citizens with cases first, some without, and a number nobody has.
            let mut cprs: Vec<String> = world
                .citizens
                .iter()
                .filter(|c| !c.cases.is_empty())
                .take(150)
                .chain(world.citizens.iter().filter(|c| c.cases.is_empty()).take(5))
                .map(|c| c.cpr.to_string())
                .collect();
            cprs.push("0101010101".into());
            let callers: Vec<Cvr> = world.authorities.iter().map(|a| a.cvr).collect();
            let targets: Vec<Option<String>> = std::iter::once(None)
                .chain(world.authorities.iter().take(6).map(|a| Some(a.cvr.text())))
                .collect();
            let benefit = world.classes.benefits.first().map(|b| b.class.key.to_string());
            let mut shown = 0;
            for cpr in &cprs {
                for &cvr in &callers {
                    let caller = authority(cvr);
                    for hjemmel in ["UDBL_11A_STK1", "UDBL_11A_STK2"] {
                        for target in &targets {
                            for ydelse in [None, benefit.clone()] {
                                let request =
                                    asking(cpr, hjemmel, Some("2026-01-01"), target.as_deref(), ydelse.as_deref());
                                let (expected, cases) = answer_the_long_way(&service, world, &caller, &request, today);
                                // Twice: the cases' fragments rendered, then kept.
                                for _ in 0..2 {
                                    let judged = judge(world, &caller, &request, today);
                                    match (&judged, &cases) {
                                        (Ok(j), Ok(cases)) => {
                                            assert_eq!(j.cases().collect::<Vec<_>>(), *cases);
                                            assert_eq!(j.count(), cases.len());
                                            shown += cases.len();
                                        }
                                        (Err(a), Err(b)) => assert_eq!(a, b),
                                        _ => panic!("judged {} and the long way differ", cpr),
                                    }
                                    let mut out = Vec::new();
                                    service.render(
                                        world,
                                        &service.options.namespace,
                                        &request.hoved,
                                        &judged,
                                        &mut out,
                                    );
                                    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&expected));
                                }
                            }
                        }
                    }
                }
            }
            assert!(shown > 1000, "the requests show cases ({shown})");
        });
    }

    /// What a judgment shows, to compare: the cases, the variant, or the errors.
    fn shown(judged: &Result<Judged<'_>, Vec<Fejl>>) -> Result<(Vec<CaseId>, Hjemmel), Vec<Fejl>> {
        judged
            .as_ref()
            .map(|j| (j.cases().collect(), j.hjemmel))
            .map_err(Clone::clone)
    }

    #[test]
    fn a_remembered_judgment_is_the_judgment() {
        let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
        crate::http::with_context(&app, |ctx| {
            let world = ctx.world;
            let today = ctx.now.date_naive();
            let cprs: Vec<String> = world
                .citizens
                .iter()
                .filter(|c| !c.cases.is_empty())
                .take(40)
                .map(|c| c.cpr.to_string())
                .chain(["0101010101".to_owned(), "010101-0101".to_owned(), "x".to_owned()])
                .collect();
            let callers: Vec<Cvr> = world.authorities.iter().take(8).map(|a| a.cvr).collect();
            let target = world.authorities.first().map(|a| a.cvr.text());
            let mut checked = 0;
            for cpr in &cprs {
                for &cvr in &callers {
                    let caller = authority(cvr);
                    for (hjemmel, samtykke) in [("UDBL_11A_STK1", Some("2026-01-01")), ("UDBL_11A_STK2", None)] {
                        for myndighed in [None, target.as_deref()] {
                            let request = asking(cpr, hjemmel, samtykke, myndighed, None);
                            // Judged, then remembered; on a later day (the consent's date
                            // and the henlagt window move), in another service's world, and
                            // with a criterion changed, judged anew.
                            for day in [today, today, today + chrono::Days::new(200), today] {
                                for service in [1, 1, 2] {
                                    let expected = shown(&judge(world, &caller, &request, day));
                                    let remembered = judge_remembered(service, world, &caller, &request, || day);
                                    assert_eq!(shown(&remembered), expected, "{cpr} {cvr} {hjemmel} {day}");
                                    checked += 1;
                                }
                            }
                            let mut other = request.clone();
                            other.samtykke_dato = Some("2026-01-02".into());
                            let expected = shown(&judge(world, &caller, &other, today));
                            assert_eq!(shown(&judge_remembered(1, world, &caller, &other, || today)), expected);
                        }
                    }
                }
            }
            assert!(checked > 1000);
        });
    }

    /// A request as clients send it, with `id`, `tid`, the context's `cvr` (none when `None`),
    /// the criteria (name, text) and the operation's namespace; with a WS-Security header when
    /// `secured`.
    fn request_text(
        id: &str,
        tid: &str,
        cvr: Option<&str>,
        criteria: &[(&str, &str)],
        namespace: &str,
        secured: bool,
    ) -> String {
        let header = match secured {
            true => {
                r#"<soap:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/></soap:Header>"#
            }
            false => "",
        };
        let context = cvr.map_or(String::new(), |cvr| {
            format!("<kontekst:AuthorityContext><kontekst:MunicipalityCVR>{cvr}</kontekst:MunicipalityCVR></kontekst:AuthorityContext>")
        });
        let criteria: String = criteria
            .iter()
            .map(|(name, text)| format!("<k:{name}>{text}</k:{name}>"))
            .collect();
        format!(
            r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:k="{namespace}" xmlns:kontekst="http://kombit.dk/xml/schemas/kontekst/2017/01/01/">{header}<soap:Body><k:KontrolsagListeHent_I revision="1"><kontekst:HovedOplysninger><kontekst:TransaktionsId>{id}</kontekst:TransaktionsId><kontekst:TransaktionsTid>{tid}</kontekst:TransaktionsTid>{context}</kontekst:HovedOplysninger><k:KontrolsagSoegKriterie>{criteria}</k:KontrolsagSoegKriterie></k:KontrolsagListeHent_I></soap:Body></soap:Envelope>"#
        )
    }

    /// The CVR number, as text, of the first authority of `sector` in `world`.
    fn cvr_of(world: &World, sector: Sector) -> Option<String> {
        world
            .authorities
            .iter()
            .find(|a| a.sector == sector)
            .map(|a| a.cvr.text())
    }

    /// The CPR numbers, as text, of the citizens of `world` with cases.
    fn with_cases(world: &World) -> impl Iterator<Item = String> + '_ {
        world
            .citizens
            .iter()
            .filter(|c| !c.cases.is_empty())
            .map(|c| c.cpr.to_string())
    }

    /// Everything a call answers and notes: the answer (or the fault's reason), the summary,
    /// the caller noted for the log, the CPR number and the facts noted for the journal.
    #[derive(Debug, PartialEq)]
    struct Called {
        answer: Result<(String, String), String>,
        caller: Option<String>,
        cpr: Option<String>,
        facts: crate::journal::Facts,
    }

    /// `request` to the SF1472 service of `app`, by [`Service::call`], or, when `again` is set,
    /// by [`KontrolsagListeHent::answer_again`] alone (`None` when it does not answer).
    fn called(app: &crate::app::App, request: &str, again: bool) -> Option<Called> {
        let loaded = app.loaded();
        let service = loaded.services[0].as_ref();
        let own = KontrolsagListeHent::new(&loaded.world, Sf1472Options::default());
        let (envelope, body) =
            crate::soap::parse_envelope_text(request, app.limits.xml(), crate::soap::SoapVersion::V12)
                .expect("an envelope");
        let trace = crate::journal::Trace::default();
        let mut out = Vec::new();
        let (answer, caller) = crate::http::with_trace(app, &loaded, &trace, |ctx| {
            let answer = match again {
                // The service's own number, as the loaded service remembers it.
                true => {
                    let mut ours = own;
                    ours.id = KEPT.with(|k| k.borrow().last.as_ref().map_or(u64::MAX, |l| l.service));
                    let leaves = envelope.operation.leaves.as_ref().ok()?;
                    Ok(ours.answer_again(ctx, &envelope, leaves, &mut out)?)
                }
                false => service.call(ctx, &envelope, body, &mut out),
            };
            Some((answer, ctx.guard.take_noted_caller()))
        })?;
        let cpr = trace.noted_cpr();
        Some(Called {
            answer: answer
                .map(|summary| (String::from_utf8_lossy(&out).into_owned(), format!("{summary:?}")))
                .map_err(|fault| fault.reason),
            caller,
            cpr,
            facts: trace.take(),
        })
    }

    #[test]
    fn an_answer_given_again_is_the_answer_given_the_full_way() {
        let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
        let loaded = app.loaded();
        assert_eq!(loaded.services[0].title(), "SF1472 KontrolsagListeHent");
        let world = &loaded.world;
        let namespace = Sf1472Options::default().namespace;
        let udk = cvr_of(world, Sector::Udk).expect("UDK");
        let atp = cvr_of(world, Sector::Atp);
        let cprs: Vec<String> = with_cases(world)
            .take(3)
            .chain(["0101010101".to_owned(), "x".to_owned()])
            .collect();
        let spaced = format!(" {udk}\n");
        let kommune_cvr = cvr_of(world, Sector::Kommune).expect("a kommune");
        let contexts = [
            Some(udk.as_str()),
            Some(spaced.as_str()),
            Some(kommune_cvr.as_str()),
            atp.as_deref(),
            Some("6494221"),
            None,
        ];
        let mut requests = Vec::new();
        for cpr in &cprs {
            for context in contexts {
                for criteria in [
                    vec![("PersonCPRNummer", cpr.as_str()), ("Hjemmel", "UDBL_11A_STK2")],
                    vec![
                        ("PersonCPRNummer", cpr.as_str()),
                        ("Hjemmel", "UDBL_11A_STK1"),
                        ("SamtykkeDato", "2026-01-01"),
                    ],
                    vec![
                        ("PersonCPRNummer", cpr.as_str()),
                        ("Hjemmel", "UDBL_11A_STK2"),
                        ("MyndighedCVRNummer", &kommune_cvr),
                    ],
                    vec![("Hjemmel", "UDBL_11A_STK2")],
                ] {
                    for (id, tid) in [
                        ("6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11", "2026-11-22T10:15:00Z"),
                        ("6f1c1a4e-2222-4c1e-9a53-0d6f5f0c2a11", "2026-11-22T10:16:00+01:00"),
                        ("id&amp;&lt;'", "2026-11-22T10:15:00.5Z"),
                        ("", "2026-11-22T10:15:00Z"),
                        ("6f1c1a4e", "i går"),
                    ] {
                        requests.push(request_text(id, tid, context, &criteria, &namespace, false));
                    }
                }
            }
        }
        let base = request_text(
            "a",
            "2026-11-22T10:15:00Z",
            Some(&udk),
            &[("PersonCPRNummer", &cprs[0]), ("Hjemmel", "UDBL_11A_STK2")],
            &namespace,
            false,
        );
        requests.push(request_text(
            "b",
            "2026-11-22T10:15:00Z",
            Some(&udk),
            &[("PersonCPRNummer", &cprs[0]), ("Hjemmel", "UDBL_11A_STK2")],
            "urn:andet",
            false,
        ));
        requests.push(request_text(
            "c",
            "2026-11-22T10:15:00Z",
            Some(&udk),
            &[("PersonCPRNummer", &cprs[0]), ("Hjemmel", "UDBL_11A_STK2")],
            &namespace,
            true,
        ));
        requests.push(base.clone());
        let forget = || KEPT.with(|k| k.borrow_mut().last = None);
        // Each request answered the full way, then after each of a few others (and itself):
        // by the service (which answers again when it may) and by `answer_again` alone.
        let full: Vec<Called> = requests
            .iter()
            .map(|r| {
                forget();
                called(&app, r, false).expect("an answer")
            })
            .collect();
        let mut again = 0;
        for (first, before) in requests
            .iter()
            .enumerate()
            .step_by(7)
            .chain([(requests.len() - 1, &base)])
        {
            for (r, expected) in requests.iter().zip(&full) {
                forget();
                called(&app, before, false);
                assert_eq!(called(&app, r, false).as_ref(), Some(expected), "{r} after {first}");
                forget();
                called(&app, before, false);
                if let Some(answered) = called(&app, r, true) {
                    assert_eq!(&answered, expected, "{r} after {first}");
                    again += 1;
                }
            }
        }
        assert!(again > 20, "answered again {again} times");
    }

    /// An empty TransaktionsTid is refused whatever this thread answered before: the time last
    /// found an xs:dateTime starts empty, and an empty time is never one.
    #[test]
    fn an_empty_time_is_refused_after_an_answer_too() {
        // A thread of its own: its remembered judgment and times start afresh.
        std::thread::spawn(|| {
            let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
            let loaded = app.loaded();
            let udk = cvr_of(&loaded.world, Sector::Udk).expect("UDK");
            let cpr = with_cases(&loaded.world).next().expect("a citizen with cases");
            let namespace = Sf1472Options::default().namespace;
            let criteria = [("PersonCPRNummer", cpr.as_str()), ("Hjemmel", "UDBL_11A_STK2")];
            let asked = |tid: &str| request_text("6f1c1a4e", tid, Some(&udk), &criteria, &namespace, false);
            let first = called(&app, &asked("2026-11-22T10:15:00Z"), false).expect("an answer");
            assert!(first.answer.is_ok(), "{:?}", first.answer);
            let empty = called(&app, &asked(""), false).expect("an answer");
            let reason = empty.answer.expect_err("an empty TransaktionsTid is a fault");
            assert!(reason.contains("TransaktionsTid"), "{reason}");
            assert_eq!(called(&app, &asked(""), true), None, "answered again");
        })
        .join()
        .expect("the test's thread");
    }

    #[test]
    fn the_outcome_table_says_what_a_count_written_out_says() {
        for (n, count) in COUNTS.iter().enumerate() {
            let mut text = String::new();
            push_decimal(&mut text, n);
            text.push_str(" case(s)");
            assert_eq!(*count, text);
        }
    }

    #[test]
    fn a_count_is_written_as_to_string_writes_it() {
        for n in [0, 1, 9, 10, 11, 99, 100, 12_345, usize::MAX / 7, usize::MAX] {
            let mut text = String::from("x");
            push_decimal(&mut text, n);
            assert_eq!(text, format!("x{n}"));
        }
    }

    #[test]
    fn a_request_needs_a_kontrolsag_soeg_kriterie() {
        let fault = parsed(None).expect_err("refused");
        assert_eq!(fault.reason, "the request has no KontrolsagSoegKriterie");
        // Present but without any criterion sfstub reads: accepted, every criterion absent.
        let request = parsed(Some(&[("Ukendt", "x")])).expect("a request");
        assert_eq!((request.cpr, request.hjemmel), (None, None));
    }
}
