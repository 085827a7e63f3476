//! The synthetic world: authorities, citizens, control cases and classifications.
//!
//! A world is built once from a scenario ([`crate::scenario::Scenario`]) and never changes;
//! servers share it as `Arc<World>`. Everything a request needs that depends only on the
//! scenario is computed here, at load: the index of cases by CPR number and each case's
//! rendered XML fragments (see [`crate::services::sf1472_kontrolsag`]).

pub mod classes;
pub mod cpr;
pub mod cvr;
pub mod export;
mod generate;
mod names;

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use classes::{BenefitId, Klassifikation, StepId, ThemeId};
pub use cpr::Cpr;
pub use cvr::Cvr;
pub use generate::{build, build_with};

/// An index by CPR number. Hashed with foldhash (seeded at random per process, like std's
/// SipHash, so crafted numbers cannot be aimed at it) rather than SipHash: a CPR number is
/// one integer, and with SipHash the world's and the CPR register's indexes of 1 000 000
/// citizens were ~12 % of the CPU time of building both.
pub type CprIndex = HashMap<Cpr, CitizenId, foldhash::fast::RandomState>;

/// The sector an authority belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sector {
    /// Udbetaling Danmark.
    Udk,
    /// One of the 98 municipalities.
    Kommune,
    /// ATP, which administers UDK but holds no control cases.
    Atp,
}

impl Sector {
    /// The code used on the wire and in exports.
    pub fn code(self) -> &'static str {
        match self {
            Sector::Udk => "UDK",
            Sector::Kommune => "KOMMUNE",
            Sector::Atp => "ATP",
        }
    }
}

/// Index of an authority in [`World::authorities`].
pub type AuthorityId = u16;
/// Index of a citizen in [`World::citizens`].
pub type CitizenId = u32;
/// Index of a case in [`World::cases`].
pub type CaseId = u32;

/// A public authority: UDK, ATP or a municipality.
#[derive(Debug, Clone)]
pub struct Authority {
    pub cvr: Cvr,
    pub name: String,
    pub sector: Sector,
    /// The four-digit municipality code, for municipalities only.
    pub kommunekode: Option<String>,
}

/// A synthetic citizen.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub cpr: Cpr,
    /// A generated citizen's names are the name lists' own (no copy per citizen); a
    /// hand-written person's are its own.
    pub first_name: Cow<'static, str>,
    pub last_name: Cow<'static, str>,
    /// The home municipality.
    pub kommune: AuthorityId,
    /// The citizen's cases, indexes into [`World::cases`].
    pub cases: Vec<CaseId>,
}

impl Citizen {
    /// First and last name.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Where a control case stands. § 11 a distinguishes open from henlagt cases; a case closed
/// with a decision is never shown to another sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Aaben,
    Henlagt,
    Afgjort,
}

impl CaseStatus {
    /// The code used in scenarios, exports and on the wire.
    pub fn code(self) -> &'static str {
        match self {
            CaseStatus::Aaben => "AABEN",
            CaseStatus::Henlagt => "HENLAGT",
            CaseStatus::Afgjort => "AFGJORT",
        }
    }
}

/// One step (sagsskridt) of a control case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sagsskridt {
    pub kind: StepId,
    pub date: NaiveDate,
}

/// A control case (kontrolsag) held by one authority about one citizen.
#[derive(Debug, Clone)]
pub struct Kontrolsag {
    pub id: Uuid,
    pub citizen: CitizenId,
    pub holder: AuthorityId,
    pub theme: ThemeId,
    pub benefit: BenefitId,
    pub status: CaseStatus,
    pub opened: NaiveDate,
    /// The date the case was henlagt or decided; `None` while open.
    pub closed: Option<NaiveDate>,
    pub steps: Vec<Sagsskridt>,
}

/// The fixed date the world's identity is drawn against: generated citizens are 18 to 85 years
/// old on this day, and what CPR and the organisation register know about them (marriages,
/// moves, registrations) happened before it. It never moves, so the same scenario and seed
/// give the same citizens, relations and case IDs whatever the clock says; the clock only
/// moves what is relative to "today" (case dates, the six-month henlagt window, ages).
pub const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 22) {
    Some(day) => day,
    None => panic!("the epoch is a real date"),
};

/// Whether the (proleptic Gregorian) calendar has day `day` of month `month` in `year`: what
/// `NaiveDate::from_ymd_opt(year, month, day).is_some()` says for the years 0 to 9 999, without
/// making the date (chrono's checks and packing cost ~25 instructions a date more; callgrind on
/// examples/request_cost).
pub fn is_date(year: i32, month: u32, day: u32) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// True when each of the eight bytes of `word` is an ASCII digit: its high half is 3, and
/// adding 6 (no carry between bytes: at most 0x3F + 6) leaves it 3.
pub fn all_digits(word: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    word & HIGH == THREES && (word + 0x0606_0606_0606_0606) & HIGH == THREES
}

/// The clock of a world: pinned by the scenario, or the real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Fixed(DateTime<Utc>),
    Now,
}

impl Clock {
    /// The current instant under this clock.
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::Fixed(t) => t,
            Clock::Now => Utc::now(),
        }
    }

    /// Today's date under this clock (UTC).
    pub fn today(self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The whole synthetic universe of one scenario.
#[derive(Debug)]
pub struct World {
    pub name: String,
    pub seed: u64,
    pub clock: Clock,
    /// The clock's date at load: relative scenario dates (`-30d`) and generated case dates
    /// are offsets from it. Who exists does not depend on it (see [`EPOCH`]).
    pub anchor: NaiveDate,
    pub authorities: Vec<Authority>,
    pub udk: AuthorityId,
    pub atp: AuthorityId,
    pub citizens: Vec<Citizen>,
    pub cases: Vec<Kontrolsag>,
    pub classes: Klassifikation,
    /// Hashed with foldhash: the default SipHash cost ~110 instructions a lookup, and every
    /// SF1472 request looks a CVR number up two or three times (callgrind on
    /// examples/request_cost). The keys are the scenario's, never a request's.
    by_cvr: HashMap<Cvr, AuthorityId, foldhash::fast::RandomState>,
    by_cpr: CprIndex,
    /// The citizens the scenario gives come first; those from index `scenario_citizens` on
    /// were added through the admin API.
    pub scenario_citizens: usize,
    /// Hand-written addresses and relations, for the CPR register (SF1520).
    pub hand_written: Vec<HandWritten>,
}

/// What a hand-written person says about its address and relations.
#[derive(Debug, Clone)]
pub struct HandWritten {
    pub citizen: CitizenId,
    pub address: Option<crate::scenario::AddressSpec>,
    pub relations: crate::scenario::Relations,
}

impl World {
    /// The authority with this CVR number.
    pub fn authority_by_cvr(&self, cvr: Cvr) -> Option<AuthorityId> {
        self.by_cvr.get(&cvr).copied()
    }

    /// The citizen with this CPR number.
    pub fn citizen_by_cpr(&self, cpr: Cpr) -> Option<&Citizen> {
        self.by_cpr.get(&cpr).map(|&id| &self.citizens[id as usize])
    }

    /// The index of the citizen with this CPR number.
    pub fn citizen_id_by_cpr(&self, cpr: Cpr) -> Option<CitizenId> {
        self.by_cpr.get(&cpr).copied()
    }

    /// The authority with this id.
    pub fn authority(&self, id: AuthorityId) -> &Authority {
        &self.authorities[usize::from(id)]
    }

    /// The municipalities, in municipality-code order.
    pub fn municipalities(&self) -> impl Iterator<Item = (AuthorityId, &Authority)> {
        self.authorities
            .iter()
            .enumerate()
            .filter(|(_, a)| a.sector == Sector::Kommune)
            .map(|(i, a)| (i as AuthorityId, a))
    }

    /// The municipality with this four-digit code.
    pub fn municipality_by_code(&self, code: &str) -> Option<AuthorityId> {
        self.municipalities()
            .find(|(_, a)| a.kommunekode.as_deref() == Some(code))
            .map(|(i, _)| i)
    }

    /// The number of citizens with at least one control case.
    pub fn citizens_with_cases(&self) -> usize {
        self.citizens.iter().filter(|c| !c.cases.is_empty()).count()
    }
}

/// One municipality's facts as compiled into sfstub (from `kommuner.csv`).
#[derive(Debug, Clone)]
pub struct KommuneFact {
    pub kommunekode: &'static str,
    pub name: &'static str,
    pub cvr: &'static str,
}

/// The 98 municipalities: code, name and CVR.
pub fn kommuner() -> Vec<KommuneFact> {
    include_str!("kommuner.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let mut f = line.split(',');
            Some(KommuneFact {
                kommunekode: f.next()?,
                name: f.next()?,
                cvr: f.next()?.trim(),
            })
        })
        .collect()
}

/// How many consecutive items of `len` each thread takes when work on them is spread over the
/// machine's cores (at most 8 threads; at least one item each).
pub(crate) fn per_core(len: usize) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    len.div_ceil(threads).max(1)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_date_says_what_chrono_says() {
        let years = (0..=9999).step_by(3).chain([1900, 2000, 2024, 2100, 2400, 9999]);
        for year in years {
            for month in 0..=13 {
                for day in 0..=32 {
                    let chrono = NaiveDate::from_ymd_opt(year, month, day).is_some();
                    assert_eq!(is_date(year, month, day), chrono, "{year}-{month}-{day}");
                }
            }
        }
    }

    #[test]
    fn the_98_municipalities_have_valid_unique_cvrs() {
        let k = kommuner();
        assert_eq!(k.len(), 98);
        let mut cvrs: Vec<_> = k.iter().map(|f| Cvr::parse(f.cvr).unwrap()).collect();
        cvrs.sort();
        cvrs.dedup();
        assert_eq!(cvrs.len(), 98);
    }

    #[test]
    fn compiled_municipalities_match_the_shared_facts() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/kommuner.csv");
        let shared = std::fs::read_to_string(&shared).expect("../shared/data/kommuner.csv beside the checkout");
        assert_eq!(shared.trim(), include_str!("kommuner.csv").trim());
    }
}
