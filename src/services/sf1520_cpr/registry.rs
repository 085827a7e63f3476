//! The CPR register behind SF1520, derived from the world once when the service is prepared.
//!
//! The world gives each citizen a CPR number, a name and a home municipality. Everything else
//! CPR knows is chosen here, deterministically from the world's seed and the CPR numbers, so
//! the same scenario gives the same register on every run and machine, and on every day:
//! whether someone is an adult, when they married or moved is judged at the world's fixed
//! [`EPOCH`], not at the clock's today (only what a lookup shows as of today, such as
//! `alder`, follows the clock):
//! - spouses: neighbours in birth order within a municipality, both adults, at most 12 years
//!   apart, paired by a roll of the dice; they share an address and a marriage date;
//! - parents: a mother 20–42 and a father 20–45 years older than the child, drawn from the
//!   whole world (the father is the mother's husband when he is old enough); every relation
//!   is symmetric and names a citizen of the world, so it resolves in a lookup of its own;
//! - civil status, address (a real postcode and post town of the municipality, a common road
//!   name, a house number, sometimes a floor and door), moving-in date, Digital Post.

use std::collections::HashMap;

use chrono::{Datelike, Duration, Months, NaiveDate};

use super::places::{self, Place, ROADS};
use crate::world::{AuthorityId, CitizenId, Cpr, EPOCH, World};

/// Civil status (civilstand) as CPR codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Civilstand {
    Ugift,
    Gift,
    Fraskilt,
    Enke,
}

impl Civilstand {
    /// The one-letter code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Civilstand::Ugift => "U",
            Civilstand::Gift => "G",
            Civilstand::Fraskilt => "F",
            Civilstand::Enke => "E",
        }
    }
}

/// The door of a flat (sidedør).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Th,
    Tv,
    Mf,
}

impl Door {
    pub fn code(self) -> &'static str {
        match self {
            Door::Th => "th",
            Door::Tv => "tv",
            Door::Mf => "mf",
        }
    }
}

/// A current address in the citizen's municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The municipality's postcode and post town (`None` only for a municipality sfstub has
    /// no place for, which the built-in world never has).
    pub place: Option<&'static Place>,
    /// Index into [`ROADS`].
    pub road: u16,
    pub vejkode: u16,
    pub husnummer: u16,
    /// The floor: `Some(0)` is stuen; `None` a house.
    pub etage: Option<u8>,
    pub sidedoer: Option<Door>,
    pub moved_in: NaiveDate,
    /// A hand-written road name (a person's `address.street`), instead of [`ROADS`].
    pub street: Option<std::sync::Arc<str>>,
    /// A hand-written postcode and post town, instead of the municipality's.
    pub written_place: Option<std::sync::Arc<(String, String)>>,
}

impl Address {
    /// The road name.
    pub fn vejnavn(&self) -> &str {
        match &self.street {
            Some(s) => s,
            None => ROADS[usize::from(self.road) % ROADS.len()],
        }
    }

    /// The postcode and post town.
    pub fn postnummer_and_town(&self) -> Option<(&str, &str)> {
        match (&self.written_place, self.place) {
            (Some(p), _) => Some((p.0.as_str(), p.1.as_str())),
            (None, Some(p)) => Some((p.postnummer, p.postdistrikt)),
            (None, None) => None,
        }
    }

    /// The floor as CPR writes it: `st` or a number.
    pub fn etage_text(&self) -> Option<String> {
        self.etage.map(|e| if e == 0 { "st".to_owned() } else { e.to_string() })
    }

    /// The address on one line, as people write it: `Skolevej 12, 2. th`.
    pub fn standard(&self) -> String {
        let mut s = format!("{} {}", self.vejnavn(), self.husnummer);
        match (self.etage, self.sidedoer) {
            (Some(0), Some(d)) => s.push_str(&format!(", st. {}", d.code())),
            (Some(e), Some(d)) => s.push_str(&format!(", {e}. {}", d.code())),
            (Some(0), None) => s.push_str(", st."),
            (Some(e), None) => s.push_str(&format!(", {e}.")),
            (None, _) => {}
        }
        s
    }
}

/// What CPR holds about one citizen beyond the world's own facts.
#[derive(Debug, Clone)]
pub struct Record {
    pub born: NaiveDate,
    pub spouse: Option<CitizenId>,
    pub mother: Option<CitizenId>,
    pub father: Option<CitizenId>,
    /// Children, oldest first (a boxed slice: no spare capacity in a million records).
    pub children: Box<[CitizenId]>,
    pub civilstand: Civilstand,
    pub civilstand_since: Option<NaiveDate>,
    pub address: Address,
    pub digital_post: bool,
    pub nemsms: bool,
}

/// The register: one record per citizen, indexed like `World::citizens`.
#[derive(Debug)]
pub struct Registry {
    /// The records in runs of `run` consecutive citizens, as the cores made them. Joined into
    /// one Vec they would be copied, and a world of a million citizens would for a moment need
    /// its register twice (~120 MB more at its peak; touching fresh memory is most of a large
    /// world's start).
    runs: Vec<Vec<Record>>,
    run: usize,
}

impl Registry {
    /// The citizen with this CPR number and its record, found by `world`'s index (`world` is
    /// the world the register was derived from).
    pub fn lookup(&self, world: &World, cpr: Cpr) -> Option<(CitizenId, &Record)> {
        let id = world.citizen_id_by_cpr(cpr)?;
        self.get(id).map(|r| (id, r))
    }

    /// Citizen `id`'s record.
    pub fn get(&self, id: CitizenId) -> Option<&Record> {
        let id = id as usize;
        self.runs.get(id / self.run)?.get(id % self.run)
    }

    /// How many records the register holds (one per citizen).
    pub fn len(&self) -> usize {
        self.runs.iter().map(Vec::len).sum()
    }

    /// True when the world has no citizens.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Derives the register from the world.
    pub fn derive(world: &World) -> Registry {
        let dice = Dice(world.seed);
        // Relative to the fixed epoch, never to the clock: the register is part of the
        // world's identity and must not change from one day to the next.
        let epoch = EPOCH;
        // Relations are drawn among the scenario's citizens only: persons added through the
        // admin API (after them) get none, so adding one changes nobody else's record.
        let all = world.citizens.len();
        let n = world.scenario_citizens.min(all);
        // What is looked up about citizens, in arrays of their own: a large world's citizens
        // do not fit in the cache, and these are read in random order.
        let cprs: Vec<Cpr> = world.citizens.iter().map(|c| c.cpr).collect();
        let kommune: Vec<AuthorityId> = world.citizens.iter().map(|c| c.kommune).collect();
        let cpr = |id: usize| cprs[id];
        let born: Vec<NaiveDate> = cprs.iter().map(|c| c.birth_date().unwrap_or(epoch)).collect();
        let adults: Vec<bool> = born.iter().map(|&b| plus_years(b, 18) <= epoch).collect();
        let adult = |id: usize| adults[id];

        // Spouses and their wedding days.
        let mut spouse = Links::new(all);
        let mut married: Vec<Option<NaiveDate>> = vec![None; all];
        let mut by_kommune: HashMap<AuthorityId, Vec<usize>> = HashMap::new();
        for (id, &k) in kommune.iter().enumerate().take(n) {
            by_kommune.entry(k).or_default().push(id);
        }
        let mut kommuner: Vec<_> = by_kommune.into_iter().collect();
        kommuner.sort_by_key(|(k, _)| *k);
        for (_, group) in kommuner {
            // Sorted by (birth date, CPR number); CPR numbers are unique, so the order is total.
            let mut keyed: Vec<(NaiveDate, Cpr, usize)> = group.iter().map(|&id| (born[id], cpr(id), id)).collect();
            keyed.sort_unstable();
            let group: Vec<usize> = keyed.into_iter().map(|(_, _, id)| id).collect();
            let mut i = 0;
            while i + 1 < group.len() {
                let (a, b) = (group[i], group[i + 1]);
                let roll = dice.roll(SALT_SPOUSE, cpr(a));
                let close = (born[b] - born[a]).num_days() <= 12 * 365;
                if adult(a) && adult(b) && close && roll % 100 < 55 {
                    let later = born[a].max(born[b]);
                    let day = between(
                        plus_years(later, 18),
                        plus_years(later, 40).min(epoch - Duration::days(30)),
                        roll >> 8,
                    );
                    spouse.set(a, Some(b));
                    spouse.set(b, Some(a));
                    married[a] = Some(day);
                    married[b] = Some(day);
                    i += 2;
                } else {
                    i += 1;
                }
            }
        }

        // Parents, from the whole world by age.
        let mut females: Vec<(NaiveDate, CitizenId)> = Vec::new();
        let mut males: Vec<(NaiveDate, CitizenId)> = Vec::new();
        for (id, &day) in born.iter().enumerate().take(n) {
            let list = if cpr(id).is_female() { &mut females } else { &mut males };
            list.push((day, id as CitizenId));
        }
        let (females, males) = (ByBirth::new(females), ByBirth::new(males));
        // A minor's parents are looked for in its own municipality first, so it can live with them.
        let same_kommune = |a: usize, b: usize| kommune[a] == kommune[b];
        let near = |parent: usize, child: usize| adult(child) || same_kommune(parent, child);
        let mut mother = Links::new(all);
        let mut father = Links::new(all);
        for c in 0..n {
            let roll = dice.roll(SALT_MOTHER, cpr(c));
            // A child and its spouse never share a parent: whichever of them is drawn second
            // skips the other's.
            let spouse_mother = spouse.get(c).and_then(|s| mother.get(s));
            if roll % 100 < 45 {
                let window = females.within(minus_years(born[c], 42), minus_years(born[c], 20));
                mother.set(
                    c,
                    pick_parent(window, roll >> 8, |m| Some(m) != spouse_mother, |m| near(m, c)),
                );
            }
            let spouse_father = spouse.get(c).and_then(|s| father.get(s));
            let husband = mother.get(c).and_then(|m| spouse.get(m)).filter(|&h| {
                !cpr(h).is_female()
                    && born[h] >= minus_years(born[c], 50)
                    && born[h] <= minus_years(born[c], 18)
                    && Some(h) != spouse_father
            });
            let roll = dice.roll(SALT_FATHER, cpr(c));
            father.set(
                c,
                match husband {
                    Some(h) => Some(h),
                    None if roll % 100 < 35 => {
                        let window = males.within(minus_years(born[c], 45), minus_years(born[c], 20));
                        pick_parent(window, roll >> 8, |f| Some(f) != spouse_father, |f| near(f, c))
                    }
                    None => None,
                },
            );
        }
        // Each parent's children, oldest first, in one list: counted, placed, then sorted in
        // place (a Vec per citizen would cost a million headers and small allocations).
        let mut starts: Vec<u32> = vec![0; all + 1];
        for c in 0..n {
            for parent in [mother.get(c), father.get(c)].into_iter().flatten() {
                starts[parent + 1] += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut children: Vec<CitizenId> = vec![0; starts[all] as usize];
        let mut placed = starts.clone();
        for c in 0..n {
            for parent in [mother.get(c), father.get(c)].into_iter().flatten() {
                children[placed[parent] as usize] = c as CitizenId;
                placed[parent] += 1;
            }
        }
        drop(placed);
        let children_of = |id: usize| starts[id] as usize..starts[id + 1] as usize;
        for id in 0..all {
            children[children_of(id)].sort_unstable_by_key(|&c| (born[c as usize], cpr(c as usize)));
        }

        // Each municipality's number and place, looked up once.
        let places: Vec<(u16, Option<&'static Place>)> = world
            .authorities
            .iter()
            .map(|a| {
                let kommunekode = a.kommunekode.as_deref();
                (
                    kommunekode.and_then(|k| k.parse().ok()).unwrap_or(0),
                    kommunekode.and_then(places::place_of),
                )
            })
            .collect();
        // Households: spouses live together, a minor with a parent in the same municipality.
        let head = |id: usize| spouse.get(id).map_or(id, |s| s.min(id));
        let household = |id: usize| {
            if adult(id) {
                return head(id);
            }
            [mother.get(id), father.get(id)]
                .into_iter()
                .flatten()
                .find(|&p| same_kommune(p, id))
                .map_or(id, head)
        };
        let home = |key: usize| {
            let roll = dice.roll(SALT_ADDRESS, cpr(key));
            let (number, place) = places[usize::from(kommune[key])];
            let road = (roll % ROADS.len() as u64) as u16;
            let flat = (roll >> 16) % 100 < 40;
            let moved_in = match married[key] {
                Some(day) => day,
                None if adult(key) => between(
                    plus_years(born[key], 18).max(minus_years(epoch, 30)),
                    epoch - Duration::days(1),
                    roll >> 40,
                ),
                None => born[key],
            };
            Address {
                place,
                road,
                vejkode: (road + 1) * 24 + number % 24,
                husnummer: 1 + ((roll >> 8) % 120) as u16,
                etage: flat.then_some(((roll >> 24) % 5) as u8),
                sidedoer: flat.then_some([Door::Th, Door::Tv, Door::Mf][((roll >> 32) % 3) as usize]),
                moved_in,
                street: None,
                written_place: None,
            }
        };
        let record = |id: usize, children: Box<[CitizenId]>| {
            let key = household(id);
            let mut address = home(key);
            address.moved_in = address.moved_in.max(born[id]);
            let roll = dice.roll(SALT_CIVIL, cpr(id));
            let age = age_at(born[id], epoch);
            let (civilstand, civilstand_since) = match married[id] {
                Some(day) => (Civilstand::Gift, Some(day)),
                None if age >= 70 && roll % 100 < 30 => (
                    Civilstand::Enke,
                    Some(between(plus_years(born[id], 60), epoch, roll >> 8)),
                ),
                None if age >= 30 && roll % 100 < 15 => (
                    Civilstand::Fraskilt,
                    Some(between(plus_years(born[id], 25), epoch, roll >> 8)),
                ),
                None => (Civilstand::Ugift, None),
            };
            Record {
                born: born[id],
                spouse: spouse.0[id],
                mother: mother.0[id],
                father: father.0[id],
                children,
                civilstand,
                civilstand_since,
                address,
                digital_post: age >= 15 && (roll >> 16) % 100 < 90,
                nemsms: age >= 15 && (roll >> 24) % 100 < 20,
            }
        };

        // Each record depends only on what is drawn above: they are made in parallel, in
        // slices of consecutive citizens, and joined in order.
        let slice = crate::world::per_core(all);
        let runs = std::thread::scope(|scope| {
            let parts: Vec<_> = (0..all)
                .step_by(slice)
                .map(|first| {
                    let (record, children, children_of) = (&record, &children, &children_of);
                    scope.spawn(move || {
                        (first..(first + slice).min(all))
                            .map(|id| record(id, children[children_of(id)].into()))
                            .collect::<Vec<Record>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut registry = Registry { runs, run: slice };
        written(world, &mut registry);
        registry
    }
}

/// One citizen or none per citizen (a spouse, a mother, a father) while the register is drawn:
/// an id in four bytes, not a `usize`'s eight, as a world of a million citizens holds three
/// of these at once.
struct Links(Vec<Option<CitizenId>>);

impl Links {
    fn new(len: usize) -> Links {
        Links(vec![None; len])
    }

    fn get(&self, id: usize) -> Option<usize> {
        self.0[id].map(|to| to as usize)
    }

    fn set(&mut self, id: usize, to: Option<usize>) {
        self.0[id] = to.map(|to| to as CitizenId);
    }
}

/// People sorted by birth date, with where each day's births start: the people born in a
/// range of days are found with two lookups, not two binary searches over a large list.
struct ByBirth {
    sorted: Vec<(NaiveDate, CitizenId)>,
    /// The first day in `sorted`, as days from the common era.
    first: i32,
    /// `starts[k]`: how many in `sorted` were born before day `first + k`.
    starts: Vec<u32>,
}

impl ByBirth {
    fn new(mut sorted: Vec<(NaiveDate, CitizenId)>) -> ByBirth {
        sorted.sort_unstable();
        let day = |d: NaiveDate| d.num_days_from_ce();
        let (first, last) = match (sorted.first(), sorted.last()) {
            (Some(f), Some(l)) => (day(f.0), day(l.0)),
            _ => (0, -1),
        };
        let mut starts = Vec::with_capacity((last - first + 1).max(0) as usize);
        let mut i = 0;
        for d in first..=last {
            while i < sorted.len() && day(sorted[i].0) < d {
                i += 1;
            }
            starts.push(i as u32);
        }
        ByBirth { sorted, first, starts }
    }

    /// How many were born before `day`.
    fn before(&self, day: NaiveDate) -> usize {
        let k = i64::from(day.num_days_from_ce()) - i64::from(self.first);
        if k <= 0 {
            0
        } else {
            self.starts.get(k as usize).map_or(self.sorted.len(), |&s| s as usize)
        }
    }

    /// The people born in `[from, to]`.
    fn within(&self, from: NaiveDate, to: NaiveDate) -> &[(NaiveDate, CitizenId)] {
        let start = self.before(from);
        let end = to.succ_opt().map_or(self.sorted.len(), |after| self.before(after));
        self.sorted.get(start..end.max(start)).unwrap_or(&[])
    }
}

/// Applies what persons' `address` and `relations` say, after the drawn register: a written
/// relation replaces a drawn one and is made mutual (a spouse's spouse, a parent's child); a
/// relation naming no citizen of the world is left out.
fn written(world: &World, records: &mut Registry) {
    let find = |c: Cpr| world.citizen_id_by_cpr(c).map(|i| i as usize);
    let married_since = EPOCH - Duration::days(365);
    for hw in &world.hand_written {
        let id = hw.citizen as usize;
        if id >= records.len() {
            continue;
        }
        if let Some(a) = &hw.address {
            let door = a.door.as_deref().map(|d| match d {
                "tv" => Door::Tv,
                "mf" => Door::Mf,
                _ => Door::Th,
            });
            let r = &mut records[id];
            r.address.street = Some(a.street.as_str().into());
            r.address.husnummer = a.number;
            r.address.etage = a.floor;
            r.address.sidedoer = door;
            r.address.written_place = a.place.clone().map(std::sync::Arc::new);
            if let Some(d) = a.moved_in {
                r.address.moved_in = d.max(r.born);
            }
        }
        let rel = &hw.relations;
        if let Some(s) = rel.spouse.and_then(find).filter(|&s| s != id) {
            for old in [records[id].spouse, records[s].spouse].into_iter().flatten() {
                let old = old as usize;
                records[old].spouse = None;
                records[old].civilstand = Civilstand::Fraskilt;
                records[old].civilstand_since = Some(married_since);
            }
            for (a, b) in [(id, s), (s, id)] {
                records[a].spouse = Some(b as CitizenId);
                records[a].civilstand = Civilstand::Gift;
                records[a].civilstand_since = Some(married_since);
            }
        }
        let parent = |records: &mut Registry, child: usize, parent: usize| {
            if child == parent {
                return;
            }
            let female = world.citizens[parent].cpr.is_female();
            let slot = if female {
                records[child].mother
            } else {
                records[child].father
            };
            if let Some(old) = slot {
                let list = &mut records[old as usize].children;
                *list = list.iter().copied().filter(|&c| c as usize != child).collect();
            }
            if female {
                records[child].mother = Some(parent as CitizenId);
            } else {
                records[child].father = Some(parent as CitizenId);
            }
            if !records[parent].children.contains(&(child as CitizenId)) {
                let list = &mut records[parent].children;
                *list = list.iter().copied().chain([child as CitizenId]).collect();
            }
        };
        for p in [rel.mother, rel.father].into_iter().flatten().filter_map(find) {
            parent(records, id, p);
        }
        for c in rel.children.iter().copied().filter_map(find) {
            parent(records, c, id);
        }
    }
    if !world.hand_written.is_empty() {
        for i in 0..records.len() {
            let mut children = std::mem::take(&mut records[i].children);
            children.sort_by_key(|&c| (records[c as usize].born, world.citizens[c as usize].cpr));
            records[i].children = children;
        }
    }
}

impl std::ops::Index<usize> for Registry {
    type Output = Record;

    fn index(&self, id: usize) -> &Record {
        &self.runs[id / self.run][id % self.run]
    }
}

impl std::ops::IndexMut<usize> for Registry {
    fn index_mut(&mut self, id: usize) -> &mut Record {
        &mut self.runs[id / self.run][id % self.run]
    }
}

/// Whole years from `born` to `today` (never negative).
pub fn age_at(born: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age.max(0)
}

const SALT_SPOUSE: u64 = 0x5f0e_0001;
const SALT_MOTHER: u64 = 0x5f0e_0002;
const SALT_FATHER: u64 = 0x5f0e_0003;
const SALT_ADDRESS: u64 = 0x5f0e_0004;
const SALT_CIVIL: u64 = 0x5f0e_0005;

/// Deterministic dice: the world's seed, a purpose and a CPR number give one 64-bit roll.
struct Dice(u64);

impl Dice {
    fn roll(&self, salt: u64, cpr: Cpr) -> u64 {
        splitmix(self.0 ^ splitmix(salt ^ splitmix(cpr.as_u64())))
    }
}

/// The SplitMix64 finaliser: a stable, well-mixed hash of a 64-bit value.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn plus_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years)).unwrap_or(NaiveDate::MAX)
}

fn minus_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(12 * years)).unwrap_or(NaiveDate::MIN)
}

/// A day in `[lo, hi)` chosen by `roll`; `lo` when the range is empty.
fn between(lo: NaiveDate, hi: NaiveDate, roll: u64) -> NaiveDate {
    let span = (hi - lo).num_days();
    if span <= 0 {
        return lo;
    }
    lo + Duration::days((roll % span as u64) as i64)
}

/// A parent among `candidates`: one `ok` accepts and `preferred` likes if there is one, else
/// one `ok` accepts.
fn pick_parent(
    candidates: &[(NaiveDate, CitizenId)],
    roll: u64,
    ok: impl Fn(usize) -> bool,
    preferred: impl Fn(usize) -> bool,
) -> Option<usize> {
    pick(candidates, roll, |p| ok(p) && preferred(p)).or_else(|| pick(candidates, roll, ok))
}

/// One of `candidates`, starting at `roll` and skipping those `ok` refuses.
fn pick(candidates: &[(NaiveDate, CitizenId)], roll: u64, ok: impl Fn(usize) -> bool) -> Option<usize> {
    let len = candidates.len();
    if len == 0 {
        return None;
    }
    let start = (roll % len as u64) as usize;
    (0..len)
        .map(|k| candidates[(start + k) % len].1 as usize)
        .find(|&id| ok(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_whole_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(age_at(d(1980, 7, 15), d(2026, 7, 14)), 45);
        assert_eq!(age_at(d(1980, 7, 15), d(2026, 7, 15)), 46);
        assert_eq!(age_at(d(2030, 1, 1), d(2026, 7, 15)), 0);
    }

    #[test]
    fn between_stays_in_range() {
        let lo = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let hi = NaiveDate::from_ymd_opt(2000, 1, 11).unwrap();
        for roll in 0..100 {
            let d = between(lo, hi, roll);
            assert!(d >= lo && d < hi);
        }
        assert_eq!(between(hi, lo, 7), hi);
    }

    #[test]
    fn every_citizen_has_its_own_record_across_the_runs() {
        for citizens in [0, 1, 7, 1000] {
            let text = format!("name: r\nseed: 3\npopulation: {{ citizens: {citizens}, with_cases: 0.1 }}\n");
            let scenario = crate::scenario::Scenario::parse(&text, "r.yaml", None).unwrap();
            let world = crate::world::build(&scenario);
            let registry = Registry::derive(&world);
            assert_eq!(registry.len(), world.citizens.len());
            assert_eq!(registry.is_empty(), world.citizens.is_empty());
            for (id, citizen) in world.citizens.iter().enumerate() {
                let record = registry.get(id as CitizenId).unwrap();
                assert_eq!(Some(record.born), citizen.cpr.birth_date());
                assert!(std::ptr::eq(record, &registry[id]));
                // A parent's list names the child, and the child names the parent.
                for &child in &record.children {
                    let of_child = registry.get(child).unwrap();
                    assert!([of_child.mother, of_child.father].contains(&Some(id as CitizenId)));
                }
            }
            assert!(registry.get(world.citizens.len() as CitizenId).is_none());
        }
    }
}
