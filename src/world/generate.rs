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

use super::{
    Authority, AuthorityId, CaseStatus, Citizen, CitizenId, Cpr, Cvr, EPOCH, Klassifikation, Kontrolsag, Sagsskridt,
    Sector, World, kommuner, names,
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
    let mut taken: HashSet<Cpr> = HashSet::with_capacity(scenario.persons.len() + citizens + added.len());
    taken.extend(scenario.persons.iter().map(|p| p.cpr));
    world.citizens.reserve(scenario.persons.len() + citizens + added.len());
    // About a quarter of the citizens with cases have more than one.
    world
        .cases
        .reserve((citizens as f64 * scenario.population.with_cases.clamp(0.0, 1.0) * 1.4) as usize);
    add_persons(&mut world, scenario, &mut rng);
    let generator = Generator::new(&world, scenario);
    for _ in 0..citizens {
        generator.citizen(&mut world, &mut rng, &mut taken);
    }
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
    for person in &fresh {
        // Each added person's name is drawn from its own stream, so adding one changes no
        // other name.
        let mut own = ChaCha8Rng::seed_from_u64(scenario.seed ^ person.cpr.as_u64().rotate_left(17));
        add_person(&mut world, person, &mut own);
    }
    case_ids(&mut world);
    world.index();
    (world, skipped)
}

/// Gives each case its identifier: the UUIDv5 of its citizen's CPR number and its place
/// among the citizen's cases. A function of the case alone, so computed on every core, in
/// slices of consecutive cases, after the (sequential) drawing.
fn case_ids(world: &mut World) {
    let namespace = case_namespace();
    let citizens = &world.citizens;
    let slice = super::per_core(world.cases.len());
    std::thread::scope(|scope| {
        for part in world.cases.chunks_mut(slice) {
            scope.spawn(move || {
                for case in part {
                    let cpr = citizens[case.citizen as usize].cpr;
                    case.id = Uuid::new_v5(&namespace, format!("{cpr}/{}", case.id.as_u128()).as_bytes());
                }
            });
        }
    });
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

/// Everything generation needs that does not change from citizen to citizen.
struct Generator {
    anchor: NaiveDate,
    modulus11: bool,
    replacement: bool,
    with_cases: f64,
    municipalities: Vec<AuthorityId>,
    /// Cumulative theme weights per holder sector (UDK, KOMMUNE): only themes with at least
    /// one benefit of that sector.
    themes: [Vec<(u8, u32)>; 2],
    /// Benefit ids per theme per sector.
    benefits: Vec<[Vec<u8>; 2]>,
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
        Generator {
            anchor: scenario.anchor,
            modulus11: scenario.cpr.modulus11,
            replacement: scenario.cpr.replacement,
            with_cases: scenario.population.with_cases,
            municipalities: world.municipalities().map(|(i, _)| i).collect(),
            themes,
            benefits,
        }
    }

    fn citizen(&self, world: &mut World, rng: &mut ChaCha8Rng, taken: &mut HashSet<Cpr>) {
        let born = self.birth_date(rng);
        let cpr = loop {
            let cpr = Cpr::generate(rng, born, self.modulus11, self.replacement);
            if taken.insert(cpr) {
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
        for _ in 0..count {
            self.case(world, rng, citizen, kommune);
        }
    }

    /// Adults between 18 and 85 at the [`EPOCH`] (never relative to the clock: the same
    /// seed gives the same CPR numbers on every day).
    fn birth_date(&self, rng: &mut impl Rng) -> NaiveDate {
        let days = rng.random_range(18 * 365 + 5..85 * 365);
        EPOCH - Duration::days(days)
    }

    fn case(&self, world: &mut World, rng: &mut ChaCha8Rng, citizen: CitizenId, home: AuthorityId) {
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

        let age = rng.random_range(1..=730i64);
        let opened = self.anchor - Duration::days(age);
        let open = rng.random_bool(if age < 180 { 0.7 } else { 0.15 });
        let (status, closed) = if open {
            (CaseStatus::Aaben, None)
        } else {
            let duration = rng.random_range(14.min(age)..=age.min(300));
            let status = if rng.random_bool(0.75) {
                CaseStatus::Henlagt
            } else {
                CaseStatus::Afgjort
            };
            (status, Some(opened + Duration::days(duration)))
        };
        let steps = self.steps(world, rng, sector, opened, closed.unwrap_or(self.anchor), status);
        push_case(world, citizen, holder, theme, benefit, status, opened, closed, steps);
    }

    /// A plausible sequence of steps from `opened` to `end`, ending in the closing step of a
    /// closed case.
    fn steps(
        &self,
        world: &World,
        rng: &mut impl Rng,
        sector: Sector,
        opened: NaiveDate,
        end: NaiveDate,
        status: CaseStatus,
    ) -> Vec<Sagsskridt> {
        let step = |key| world.classes.step(key).expect("built-in step type");
        let mut out = vec![Sagsskridt {
            kind: step("SAG_OPRETTET"),
            date: opened,
        }];
        let mut date = opened;
        let mut plan: Vec<&str> = Vec::new();
        if sector == Sector::Udk || rng.random_bool(0.6) {
            plan.push("BORGER_ORIENTERET_OM_ANMELDELSE");
        }
        plan.push("OPLYSNINGER_INDHENTET_REGISTRE");
        if rng.random_bool(0.4) {
            plan.push("OPLYSNINGER_INDHENTET_ANDEN_MYNDIGHED");
        }
        if rng.random_bool(0.25) {
            plan.push("BORGER_INDKALDT_TIL_MOEDE");
        }
        if rng.random_bool(0.5) {
            plan.push("PARTSHOERING_SENDT");
            plan.push("PARTSHOERING_SVAR_MODTAGET");
        }
        for key in plan {
            let next = date + Duration::days(rng.random_range(1..=21));
            if next > end {
                break;
            }
            date = next;
            out.push(Sagsskridt { kind: step(key), date });
        }
        let closing = match status {
            CaseStatus::Aaben => None,
            CaseStatus::Henlagt => Some("SAG_HENLAGT"),
            CaseStatus::Afgjort => Some(match rng.random_range(0..3) {
                0 => "AFGOERELSE_YDELSE_STOPPET",
                1 => "AFGOERELSE_YDELSE_NEDSAT",
                _ => "AFGOERELSE_TILBAGEBETALING",
            }),
        };
        if let Some(key) = closing {
            out.retain(|s| s.date <= end);
            out.push(Sagsskridt {
                kind: step(key),
                date: end,
            });
        }
        out
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
}
