//! Building a world from a scenario: the fixed authorities, the hand-written persons and the
//! generated population.
//!
//! Generation draws from one ChaCha8 stream seeded by the scenario's seed, so the same
//! scenario and seed give the same world on every machine. Nothing drawn depends on the clock:
//! birth dates (and so CPR numbers) are drawn back from the fixed [`EPOCH`], and case dates as
//! day offsets that are applied to the scenario's anchor date (its clock's date at load), so
//! the clock moves a case's dates but never who exists, nor which cases they have.

use std::borrow::Cow;
use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::cpr::BirthDay;
use super::{
    Authority, AuthorityId, CaseStatus, Citizen, CitizenId, Cpr, CprIndex, Cvr, EPOCH, Klassifikation, Kontrolsag,
    Sagsskridt, Sector, StepId, World, kommuner, names,
};
use crate::scenario::{ATP_CVR, Holder, Scenario};

/// The UUIDv5 namespace of control-case identifiers.
fn case_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:sfstub:kontrolsag")
}

/// Builds the world a scenario describes.
pub fn build(scenario: &Scenario) -> World {
    build_with(scenario, &[]).0
}

/// Builds the world a scenario describes with `added` persons (the admin API's) after its own
/// citizens, so they change nothing the scenario gives: not who exists, not a case ID, not a
/// name drawn. An added person whose CPR number a citizen of the scenario already has is left
/// out; the second value lists their indexes in `added`.
pub fn build_with(scenario: &Scenario, added: &[crate::scenario::Person]) -> (World, Vec<usize>) {
    let classes = Klassifikation::builtin();
    let mut authorities: Vec<Authority> = kommuner()
        .into_iter()
        .map(|k| Authority {
            cvr: Cvr::parse(k.cvr).expect("compiled-in municipality CVRs are valid"),
            name: k.name.to_owned(),
            sector: Sector::Kommune,
            kommunekode: Some(k.kommunekode.to_owned()),
        })
        .collect();
    let udk = authorities.len() as AuthorityId;
    authorities.push(Authority {
        cvr: scenario.udk_cvr,
        name: "Udbetaling Danmark".to_owned(),
        sector: Sector::Udk,
        kommunekode: None,
    });
    let atp = authorities.len() as AuthorityId;
    authorities.push(Authority {
        cvr: Cvr::parse(ATP_CVR).expect("ATP's CVR is valid"),
        name: "ATP".to_owned(),
        sector: Sector::Atp,
        kommunekode: None,
    });
    let mut world = World {
        name: scenario.name.clone(),
        seed: scenario.seed,
        clock: scenario.clock,
        anchor: scenario.anchor,
        authorities,
        udk,
        atp,
        citizens: Vec::new(),
        cases: Vec::new(),
        classes,
        by_cvr: Default::default(),
        by_cpr: Default::default(),
        scenario_citizens: 0,
        hand_written: Vec::new(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(scenario.seed);
    let citizens = scenario.population.citizens as usize;
    let mut taken = Taken::new(
        scenario.cpr.replacement,
        scenario.cpr.modulus11,
        scenario.persons.len() + added.len(),
    );
    for person in &scenario.persons {
        taken.insert(person.cpr);
    }
    world.citizens.reserve(scenario.persons.len() + citizens + added.len());
    // About a quarter of the citizens with cases have more than one.
    world
        .cases
        .reserve((citizens as f64 * scenario.population.with_cases.clamp(0.0, 1.0) * 1.4) as usize);
    add_persons(&mut world, scenario, &mut rng);
    let generator = Generator::new(&world, scenario);
    let mut drawn = Drawn {
        first_case: world.cases.len(),
        steps: Vec::new(),
        starts: Vec::new(),
    };
    // The index by CPR number is built on another core while the citizens are drawn: it is
    // sent their numbers in order, a batch at a time.
    let (numbers, batches) = std::sync::mpsc::channel::<Vec<Cpr>>();
    let all = world.citizens.capacity();
    std::thread::scope(|scope| {
        let index = scope.spawn(move || {
            let mut index = CprIndex::with_capacity_and_hasher(all, Default::default());
            for (id, cpr) in batches.into_iter().flatten().enumerate() {
                index.insert(cpr, id as CitizenId);
            }
            index
        });
        let mut sent = 0;
        let mut send = |citizens: &[Citizen]| {
            // The receiver only stops on a panic, which the join below passes on.
            let _ = numbers.send(citizens[sent..].iter().map(|c| c.cpr).collect());
            sent = citizens.len();
        };
        for start in (0..citizens).step_by(INDEX_BATCH) {
            for _ in start..citizens.min(start + INDEX_BATCH) {
                generator.citizen(&mut world, &mut rng, &mut taken, &mut drawn);
            }
            send(&world.citizens);
        }
        drawn.starts.push(drawn.steps.len() as u32);
        world.scenario_citizens = world.citizens.len();
        let mut skipped = Vec::new();
        let mut fresh = Vec::new();
        for (i, person) in added.iter().enumerate() {
            if taken.insert(person.cpr) {
                fresh.push(person.clone());
            } else {
                skipped.push(i);
            }
        }
        drop(taken);
        for person in &fresh {
            // Each added person's name is drawn from its own stream, so adding one changes
            // no other name.
            let mut own = ChaCha8Rng::seed_from_u64(scenario.seed ^ person.cpr.as_u64().rotate_left(17));
            add_person(&mut world, person, &mut own);
        }
        send(&world.citizens);
        drop(numbers);
        finish(&mut world, &drawn, &generator.dates);
        world.by_cpr = index.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (world, skipped)
    })
}

/// How many citizens' numbers are sent to the index at a time.
const INDEX_BATCH: usize = 1 << 14;

/// The generated cases' steps as drawn, for [`finish`] to turn into dates: one list for all,
/// each step a type and a number of days before the anchor.
struct Drawn {
    /// The index in `World::cases` of the first generated case.
    first_case: usize,
    steps: Vec<(StepId, u16)>,
    /// Where each generated case's steps start in `steps`, and after the last, its length.
    starts: Vec<u32>,
}

/// What is left after the (sequential) drawing, on every core: each case's identifier, the
/// UUIDv5 of its citizen's CPR number and its place among the citizen's cases, and each
/// generated case's steps, in slices of consecutive cases.
fn finish(world: &mut World, drawn: &Drawn, dates: &[NaiveDate]) {
    let namespace = case_namespace();
    let citizens = &world.citizens;
    let slice = super::per_core(world.cases.len());
    std::thread::scope(|scope| {
        for (k, part) in world.cases.chunks_mut(slice).enumerate() {
            scope.spawn(move || {
                for (j, case) in part.iter_mut().enumerate() {
                    let cpr = citizens[case.citizen as usize].cpr;
                    let (name, len) = case_name(cpr, case.id.as_u128());
                    case.id = Uuid::new_v5(&namespace, &name[..len]);
                    let Some(g) = (k * slice + j).checked_sub(drawn.first_case) else {
                        continue;
                    };
                    let Some(range) = drawn.starts.get(g..g + 2) else {
                        continue;
                    };
                    case.steps = drawn.steps[range[0] as usize..range[1] as usize]
                        .iter()
                        .map(|&(kind, ago)| Sagsskridt {
                            kind,
                            date: dates[usize::from(ago)],
                        })
                        .collect();
                }
            });
        }
    });
    world.by_cvr = world
        .authorities
        .iter()
        .enumerate()
        .map(|(i, a)| (a.cvr, i as AuthorityId))
        .collect();
}

/// `{cpr}/{place}`, the name a case's UUIDv5 is made from, written without a formatter: the
/// buffer and how much of it is the name.
fn case_name(cpr: Cpr, place: u128) -> ([u8; 50], usize) {
    let mut name = [0u8; 50];
    for (slot, d) in name.iter_mut().zip(cpr.digits()) {
        *slot = b'0' + d;
    }
    name[10] = b'/';
    // The place's digits, least significant first (a u128 has at most 39).
    let mut digits = [0u8; 39];
    let (mut n, mut len) = (place, 0);
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (slot, d) in name[11..11 + len].iter_mut().zip(digits[..len].iter().rev()) {
        *slot = *d;
    }
    (name, 11 + len)
}

fn add_persons(world: &mut World, scenario: &Scenario, rng: &mut ChaCha8Rng) {
    for person in &scenario.persons {
        add_person(world, person, rng);
    }
}

fn add_person(world: &mut World, person: &crate::scenario::Person, rng: &mut ChaCha8Rng) {
    {
        let kommune = world
            .municipality_by_code(&person.kommunekode)
            .expect("validated municipality code");
        let (first_name, last_name) = match &person.name {
            Some((first, last)) => (Cow::Owned(first.clone()), Cow::Owned(last.clone())),
            None => {
                let (first, last) = draw_name(rng, person.cpr);
                (Cow::Borrowed(first), Cow::Borrowed(last))
            }
        };
        let citizen = world.citizens.len() as CitizenId;
        if person.address.is_some() || !person.relations.is_empty() {
            world.hand_written.push(super::HandWritten {
                citizen,
                address: person.address.clone(),
                relations: person.relations.clone(),
            });
        }
        world.citizens.push(Citizen {
            cpr: person.cpr,
            first_name,
            last_name,
            kommune,
            cases: Vec::new(),
        });
        for spec in &person.cases {
            let holder = match &spec.holder {
                Holder::Udk => world.udk,
                Holder::Kommune(code) => world.municipality_by_code(code).expect("validated municipality code"),
            };
            let steps = spec
                .steps
                .iter()
                .map(|&(kind, date)| Sagsskridt { kind, date })
                .collect();
            push_case(
                world,
                citizen,
                holder,
                spec.theme,
                spec.benefit,
                spec.status,
                spec.opened,
                spec.closed,
                steps,
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn push_case(
    world: &mut World,
    citizen: CitizenId,
    holder: AuthorityId,
    theme: u8,
    benefit: u8,
    status: CaseStatus,
    opened: NaiveDate,
    closed: Option<NaiveDate>,
    steps: Vec<Sagsskridt>,
) {
    let c = &mut world.citizens[citizen as usize];
    // The case's place among its citizen's cases, until `case_ids` makes the identifier.
    let id = Uuid::from_u128(c.cases.len() as u128);
    let case_id = world.cases.len() as u32;
    c.cases.push(case_id);
    world.cases.push(Kontrolsag {
        id,
        citizen,
        holder,
        theme,
        benefit,
        status,
        opened,
        closed,
        steps,
    });
}

fn draw_name(rng: &mut impl Rng, cpr: Cpr) -> (&'static str, &'static str) {
    let first = if cpr.is_female() { names::FEMALE } else { names::MALE };
    let first = first[rng.random_range(0..first.len())];
    let last = names::SURNAMES[rng.random_range(0..names::SURNAMES.len())];
    (first, last)
}

/// The fewest and most days before the [`EPOCH`] a generated citizen is born: adults between
/// 18 and 85 at the epoch (never relative to the clock: the same seed gives the same CPR
/// numbers on every day).
const BORN: std::ops::Range<i64> = 18 * 365 + 5..85 * 365;

/// The longest a generated case has been open, in days before the anchor.
const CASE_AGE: i64 = 730;

/// The CPR numbers already given, so that each drawn number is new. A generated number is
/// born in the [`BORN`] window, so it is a bit in a table by birth day and last four digits,
/// of which the check digit is left out when it follows from the others (modulus 11): 3 MB
/// for the whole window (30 MB without modulus 11), where a set of a million numbers would
/// hash and probe far apart for each. The window's numbers a person of the scenario or the
/// admin API has are bits too, when they look like generated ones; any other number is in a
/// small set.
struct Taken {
    replacement: bool,
    modulus11: bool,
    bits: Vec<u64>,
    others: HashSet<Cpr>,
}

impl Taken {
    fn new(replacement: bool, modulus11: bool, persons: usize) -> Taken {
        let bits = (BORN.end - BORN.start) as usize * Taken::per_day(modulus11);
        Taken {
            replacement,
            modulus11,
            bits: vec![0; bits.div_ceil(64)],
            others: HashSet::with_capacity(persons),
        }
    }

    /// The bits for one birth day: one per last four digits, or per seventh to ninth digit.
    fn per_day(modulus11: bool) -> usize {
        if modulus11 { 1000 } else { 10_000 }
    }

    /// Marks a number like a generated one (born `days` before the epoch, modulus 11 holding
    /// if the scenario wants it) taken; false if it was.
    fn insert_drawn(&mut self, days: i64, cpr: Cpr) -> bool {
        let last = (cpr.as_u64() % 10_000) as usize;
        let last = if self.modulus11 { last / 10 } else { last };
        let bit = (days - BORN.start) as usize * Taken::per_day(self.modulus11) + last;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        let fresh = self.bits[word] & mask == 0;
        self.bits[word] |= mask;
        fresh
    }

    /// Marks any number taken; false if it was.
    fn insert(&mut self, cpr: Cpr) -> bool {
        if cpr.is_replacement() == self.replacement
            && (!self.modulus11 || cpr.passes_modulus11())
            && let Some(born) = cpr.birth_date()
        {
            let days = (EPOCH - born).num_days();
            if BORN.contains(&days) {
                return self.insert_drawn(days, cpr);
            }
        }
        self.others.insert(cpr)
    }
}

/// Everything generation needs that does not change from citizen to citizen.
struct Generator {
    modulus11: bool,
    with_cases: f64,
    municipalities: Vec<AuthorityId>,
    /// Cumulative theme weights per holder sector (UDK, KOMMUNE): only themes with at least
    /// one benefit of that sector.
    themes: [Vec<(u8, u32)>; 2],
    /// Benefit ids per theme per sector.
    benefits: Vec<[Vec<u8>; 2]>,
    /// The birth days' parts of CPR numbers, by days before the epoch from `BORN.start`.
    births: Vec<BirthDay>,
    /// `dates[k]`: the date `k` days before the anchor, for `k` up to [`CASE_AGE`].
    dates: Vec<NaiveDate>,
    steps: Steps,
}

/// The step types generated cases have.
struct Steps {
    opened: StepId,
    informed: StepId,
    registers: StepId,
    other_authority: StepId,
    meeting: StepId,
    hearing_sent: StepId,
    hearing_answered: StepId,
    henlagt: StepId,
    decided: [StepId; 3],
}

fn sector_index(sector: Sector) -> usize {
    usize::from(sector != Sector::Udk)
}

impl Generator {
    fn new(world: &World, scenario: &Scenario) -> Generator {
        let classes = &world.classes;
        let benefits: Vec<[Vec<u8>; 2]> = classes
            .themes
            .iter()
            .map(|t| {
                let mut per = [Vec::new(), Vec::new()];
                for key in t.benefits {
                    let id = classes.benefit(key).expect("built-in themes name known benefits");
                    per[sector_index(classes.benefits[usize::from(id)].sector)].push(id);
                }
                per
            })
            .collect();
        let themes = [0, 1].map(|s| {
            let mut total = 0;
            let mut out = Vec::new();
            for (i, weight) in scenario.theme_weights.iter().enumerate() {
                if *weight > 0 && !benefits[i][s].is_empty() {
                    total += weight;
                    out.push((i as u8, total));
                }
            }
            out
        });
        let step = |key| classes.step(key).expect("built-in step type");
        Generator {
            modulus11: scenario.cpr.modulus11,
            with_cases: scenario.population.with_cases,
            municipalities: world.municipalities().map(|(i, _)| i).collect(),
            themes,
            benefits,
            births: BORN
                .map(|days| BirthDay::new(EPOCH - Duration::days(days), scenario.cpr.replacement))
                .collect(),
            dates: (0..=CASE_AGE).map(|k| scenario.anchor - Duration::days(k)).collect(),
            steps: Steps {
                opened: step("SAG_OPRETTET"),
                informed: step("BORGER_ORIENTERET_OM_ANMELDELSE"),
                registers: step("OPLYSNINGER_INDHENTET_REGISTRE"),
                other_authority: step("OPLYSNINGER_INDHENTET_ANDEN_MYNDIGHED"),
                meeting: step("BORGER_INDKALDT_TIL_MOEDE"),
                hearing_sent: step("PARTSHOERING_SENDT"),
                hearing_answered: step("PARTSHOERING_SVAR_MODTAGET"),
                henlagt: step("SAG_HENLAGT"),
                decided: [
                    step("AFGOERELSE_YDELSE_STOPPET"),
                    step("AFGOERELSE_YDELSE_NEDSAT"),
                    step("AFGOERELSE_TILBAGEBETALING"),
                ],
            },
        }
    }

    /// Draws one citizen and its cases. Every draw from `rng`, and its order, is part of the
    /// world's identity: a change here changes who exists after this citizen.
    fn citizen(&self, world: &mut World, rng: &mut ChaCha8Rng, taken: &mut Taken, drawn: &mut Drawn) {
        let days = rng.random_range(BORN);
        let birth = &self.births[(days - BORN.start) as usize];
        let cpr = loop {
            let cpr = birth.draw(rng, self.modulus11);
            if taken.insert_drawn(days, cpr) {
                break cpr;
            }
        };
        let (first_name, last_name) = draw_name(rng, cpr);
        let kommune = self.municipalities[rng.random_range(0..self.municipalities.len())];
        let citizen = world.citizens.len() as CitizenId;
        world.citizens.push(Citizen {
            cpr,
            first_name: Cow::Borrowed(first_name),
            last_name: Cow::Borrowed(last_name),
            kommune,
            cases: Vec::new(),
        });
        if !rng.random_bool(self.with_cases) {
            return;
        }
        let count = match rng.random_range(0..100) {
            0..70 => 1,
            70..92 => 2,
            _ => 3,
        };
        world.citizens[citizen as usize].cases.reserve_exact(count);
        for _ in 0..count {
            self.case(world, rng, citizen, kommune, drawn);
        }
    }

    fn case(&self, world: &mut World, rng: &mut ChaCha8Rng, citizen: CitizenId, home: AuthorityId, drawn: &mut Drawn) {
        let sector = if rng.random_bool(0.5) {
            Sector::Udk
        } else {
            Sector::Kommune
        };
        let s = sector_index(sector);
        if self.themes[s].is_empty() {
            return;
        }
        let holder = match sector {
            Sector::Udk => world.udk,
            _ if rng.random_bool(0.85) => home,
            _ => self.municipalities[rng.random_range(0..self.municipalities.len())],
        };
        let total = self.themes[s].last().map(|t| t.1).unwrap_or(1);
        let pick = rng.random_range(0..total);
        let theme = self.themes[s]
            .iter()
            .find(|(_, cum)| pick < *cum)
            .map(|t| t.0)
            .unwrap_or(0);
        let candidates = &self.benefits[usize::from(theme)][s];
        let benefit = candidates[rng.random_range(0..candidates.len())];

        // Dates as days before the anchor, looked up in `dates` once drawn.
        let age = rng.random_range(1..=CASE_AGE);
        let open = rng.random_bool(if age < 180 { 0.7 } else { 0.15 });
        let (status, end) = if open {
            (CaseStatus::Aaben, 0)
        } else {
            let duration = rng.random_range(14.min(age)..=age.min(300));
            let status = if rng.random_bool(0.75) {
                CaseStatus::Henlagt
            } else {
                CaseStatus::Afgjort
            };
            (status, age - duration)
        };
        drawn.starts.push(drawn.steps.len() as u32);
        self.steps(rng, sector, age, end, status, &mut drawn.steps);
        let date = |ago: i64| self.dates[ago as usize];
        let closed = (status != CaseStatus::Aaben).then(|| date(end));
        push_case(
            world,
            citizen,
            holder,
            theme,
            benefit,
            status,
            date(age),
            closed,
            Vec::new(),
        );
    }

    /// A plausible sequence of steps from `opened` to `end` (days before the anchor), ending
    /// in the closing step of a closed case.
    fn steps(
        &self,
        rng: &mut impl Rng,
        sector: Sector,
        opened: i64,
        end: i64,
        status: CaseStatus,
        out: &mut Vec<(StepId, u16)>,
    ) {
        let ids = &self.steps;
        out.push((ids.opened, opened as u16));
        let mut plan = [0; 6];
        let mut planned = 0;
        let mut plan_step = |kind| {
            plan[planned] = kind;
            planned += 1;
        };
        if sector == Sector::Udk || rng.random_bool(0.6) {
            plan_step(ids.informed);
        }
        plan_step(ids.registers);
        if rng.random_bool(0.4) {
            plan_step(ids.other_authority);
        }
        if rng.random_bool(0.25) {
            plan_step(ids.meeting);
        }
        if rng.random_bool(0.5) {
            plan_step(ids.hearing_sent);
            plan_step(ids.hearing_answered);
        }
        let mut ago = opened;
        for &kind in &plan[..planned] {
            let next = ago - rng.random_range(1..=21i64);
            if next < end {
                break;
            }
            ago = next;
            out.push((kind, ago as u16));
        }
        // Every step so far is on or before `end`, so a closing step comes last.
        let closing = match status {
            CaseStatus::Aaben => None,
            CaseStatus::Henlagt => Some(ids.henlagt),
            CaseStatus::Afgjort => Some(match rng.random_range(0..3) {
                0 => ids.decided[0],
                1 => ids.decided[1],
                _ => ids.decided[2],
            }),
        };
        if let Some(kind) = closing {
            out.push((kind, end as u16));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(citizens: u32, seed: u64) -> Scenario {
        scenario_at(citizens, seed, "2026-11-22T12:00:00Z")
    }

    fn scenario_at(citizens: u32, seed: u64, clock: &str) -> Scenario {
        let text =
            format!("name: t\nseed: {seed}\nclock: {clock}\npopulation: {{ citizens: {citizens}, with_cases: 0.5 }}\n");
        Scenario::parse(&text, "t.yaml", None).unwrap()
    }

    #[test]
    fn the_clock_moves_case_dates_but_never_who_exists() {
        // A year and a bit apart, and one clock before the epoch.
        for (a, b) in [
            ("2026-11-22T12:00:00Z", "2027-12-02T08:00:00Z"),
            ("2026-11-22T12:00:00Z", "2026-03-01T00:00:00Z"),
        ] {
            let (wa, wb) = (build(&scenario_at(500, 7, a)), build(&scenario_at(500, 7, b)));
            let shift = wb.anchor - wa.anchor;
            let who = |w: &World| {
                w.citizens
                    .iter()
                    .map(|c| {
                        (
                            c.cpr,
                            c.first_name.clone(),
                            c.last_name.clone(),
                            c.kommune,
                            c.cases.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(who(&wa), who(&wb), "citizens at {a} and {b}");
            assert_eq!(wa.cases.len(), wb.cases.len());
            for (x, y) in wa.cases.iter().zip(&wb.cases) {
                assert_eq!(
                    (x.id, x.citizen, x.holder, x.theme, x.benefit, x.status),
                    (y.id, y.citizen, y.holder, y.theme, y.benefit, y.status)
                );
                assert_eq!(
                    x.opened + shift,
                    y.opened,
                    "case dates are offsets from the clock's date"
                );
                assert_eq!(x.closed.map(|d| d + shift), y.closed);
                let steps =
                    |c: &Kontrolsag, by: Duration| c.steps.iter().map(|s| (s.kind, s.date + by)).collect::<Vec<_>>();
                assert_eq!(steps(x, shift), steps(y, Duration::zero()));
            }
        }
    }

    #[test]
    fn same_seed_same_world_other_seed_other_world() {
        let a = build(&scenario(300, 7));
        let b = build(&scenario(300, 7));
        let c = build(&scenario(300, 8));
        let key = |w: &World| {
            w.citizens
                .iter()
                .map(|c| (c.cpr, c.name(), c.cases.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&c));
        assert_eq!(
            a.cases.iter().map(|c| c.id).collect::<Vec<_>>(),
            b.cases.iter().map(|c| c.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn generated_cases_are_consistent() {
        let w = build(&scenario(2000, 1));
        assert!(w.cases.len() > 500, "{} cases", w.cases.len());
        for case in &w.cases {
            let holder = w.authority(case.holder);
            assert!(matches!(holder.sector, Sector::Udk | Sector::Kommune));
            assert_eq!(w.classes.benefits[usize::from(case.benefit)].sector, holder.sector);
            assert!(case.opened <= w.anchor);
            assert_eq!(case.closed.is_none(), case.status == CaseStatus::Aaben);
            if let Some(closed) = case.closed {
                assert!(closed >= case.opened && closed <= w.anchor);
            }
            assert!(case.steps.windows(2).all(|p| p[0].date <= p[1].date), "steps in order");
            assert_eq!(case.steps[0].date, case.opened);
        }
        for status in [CaseStatus::Aaben, CaseStatus::Henlagt, CaseStatus::Afgjort] {
            assert!(w.cases.iter().any(|c| c.status == status), "no {status:?} case");
        }
    }
    #[test]
    fn a_number_taken_by_a_person_is_drawn_for_nobody_else() {
        let plain = build(&scenario(3000, 3));
        let (a, b) = (plain.citizens[10].cpr, plain.citizens[2000].cpr);
        let text = format!(
            "name: t\nseed: 3\nclock: 2026-11-22T12:00:00Z\npopulation: {{ citizens: 3000, with_cases: 0.5 }}\n\
             persons:\n  - {{ cpr: \"{a}\", name: Ida Holm, kommune: \"0101\" }}\n  \
             - {{ cpr: \"{b}\", name: Ole Dam, kommune: \"0101\" }}\n  \
             - {{ cpr: \"0101011234\", name: Bo Lund, kommune: \"0101\" }}\n"
        );
        let world = build(&Scenario::parse(&text, "t.yaml", None).unwrap());
        let mut numbers: Vec<Cpr> = world.citizens.iter().map(|c| c.cpr).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), world.citizens.len(), "every number once");
        // Named persons draw nothing, so the citizens before the first taken number are
        // drawn as without them; the one that had it gets another.
        let generated = &world.citizens[3..];
        for (now, before) in generated[..10].iter().zip(&plain.citizens) {
            assert_eq!(now.cpr, before.cpr);
        }
        assert_ne!(generated[10].cpr, a);
        assert_eq!(world.citizen_id_by_cpr(a), Some(0));
        assert_eq!(world.citizen_id_by_cpr(b), Some(1));
        for (id, c) in world.citizens.iter().enumerate() {
            assert_eq!(world.citizen_id_by_cpr(c.cpr), Some(id as CitizenId));
        }
    }

    #[test]
    fn a_number_is_taken_whichever_way_it_was_marked() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for (modulus11, replacement) in [(true, false), (false, false), (true, true), (false, true)] {
            let mut model = HashSet::new();
            let (mut drawn_first, mut given_first) = (
                Taken::new(replacement, modulus11, 0),
                Taken::new(replacement, modulus11, 0),
            );
            // Three birth days, so that numbers come again.
            for _ in 0..2000 {
                let days = rng.random_range(BORN.start..BORN.start + 3);
                let cpr = BirthDay::new(EPOCH - Duration::days(days), replacement).draw(&mut rng, modulus11);
                let fresh = model.insert(cpr);
                assert_eq!(drawn_first.insert_drawn(days, cpr), fresh, "{cpr}");
                assert!(!drawn_first.insert(cpr), "{cpr} taken after insert_drawn");
                assert_eq!(given_first.insert(cpr), fresh, "{cpr}");
                assert!(!given_first.insert_drawn(days, cpr), "{cpr} taken after insert");
                // The same number with another check digit is another number.
                let other = cpr.as_u64() / 10 * 10 + (cpr.as_u64() + 1) % 10;
                let other = Cpr::parse(&format!("{other:010}"), true).unwrap();
                let fresh = model.insert(other);
                assert_eq!(given_first.insert(other), fresh, "{other} after {cpr}");
                assert_eq!(drawn_first.insert(other), fresh, "{other} after {cpr}");
            }
            assert!(model.len() < 4000, "some numbers came again");
        }
    }
}
