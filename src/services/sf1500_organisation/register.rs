//! The organisation register SF1500 serves, derived once from the world: for every authority
//! (the 98 municipalities, Udbetaling Danmark and ATP) a `Virksomhed` (its CVR and name), an
//! `Organisation` (its name and the relation to the Virksomhed) and three `OrganisationEnhed`s
//! — the authority's root unit with a control unit and a citizen service unit under it.
//!
//! UUIDs are UUIDv5 of the object type and the CVR number (and the unit's key), so they are the
//! same in every scenario and every run: a client may keep them. Registration times vary with
//! the world's seed, chosen by hashing the seed and the object's name.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Objekt;
use super::render;
use crate::world::{AuthorityId, Cvr, EPOCH, Sector, World};

/// The units every authority has, root first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enhed {
    /// The authority itself as a unit: the top of its hierarchy, named like the authority.
    Rod,
    /// The control unit: `Kontrolgruppen` in a municipality, `Kontrol` at UDK and ATP.
    Kontrol,
    /// The citizen service unit, `Borgerservice`.
    Borgerservice,
}

impl Enhed {
    /// All units, root first.
    pub const ALL: [Enhed; 3] = [Enhed::Rod, Enhed::Kontrol, Enhed::Borgerservice];

    /// The key in the unit's `BrugervendtNoegleTekst` (after the authority's prefix) and UUID.
    pub fn key(self) -> &'static str {
        match self {
            Enhed::Rod => "ROD",
            Enhed::Kontrol => "KONTROL",
            Enhed::Borgerservice => "BORGERSERVICE",
        }
    }

    /// The unit's `EnhedNavn` at an authority.
    pub fn navn(self, authority_name: &str, sector: Sector) -> String {
        match (self, sector) {
            (Enhed::Rod, _) => authority_name.to_owned(),
            (Enhed::Kontrol, Sector::Kommune) => "Kontrolgruppen".to_owned(),
            (Enhed::Kontrol, _) => "Kontrol".to_owned(),
            (Enhed::Borgerservice, _) => "Borgerservice".to_owned(),
        }
    }
}

/// The UUIDv5 namespace of every SF1500 object sfstub serves.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:sfstub:organisation")
}

/// The UUID of the `Virksomhed` with this CVR number.
pub fn virksomhed_uuid(cvr: Cvr) -> Uuid {
    Uuid::new_v5(&namespace(), format!("virksomhed/{cvr}").as_bytes())
}

/// The UUID of the `Organisation` of the authority with this CVR number.
pub fn organisation_uuid(cvr: Cvr) -> Uuid {
    Uuid::new_v5(&namespace(), format!("organisation/{cvr}").as_bytes())
}

/// The UUID of one `OrganisationEnhed` of the authority with this CVR number.
pub fn enhed_uuid(cvr: Cvr, enhed: Enhed) -> Uuid {
    Uuid::new_v5(
        &namespace(),
        format!("organisationenhed/{cvr}/{}", enhed.key()).as_bytes(),
    )
}

/// What a registration says, in the order the schemas want it.
#[derive(Debug, Clone)]
pub struct Content {
    /// The children of `Egenskab` after its `Virkning`: (qualified name, text).
    pub egenskab: Vec<(&'static str, String)>,
    /// Whether `TilstandListe` holds `Gyldighed` (`Aktiv`): Organisation and OrganisationEnhed.
    pub gyldighed: bool,
    /// The relations: (qualified name, the related object's UUID).
    pub relations: Vec<(&'static str, Uuid)>,
}

/// One object of the register.
#[derive(Debug, Clone)]
pub struct Entry {
    pub uuid: Uuid,
    pub objekt: Objekt,
    pub authority: AuthorityId,
    pub content: Content,
    /// When the registration was made (`Registrering/Tidspunkt`).
    pub registered: DateTime<Utc>,
    /// When its Virkning begins; it never ends.
    pub virkning_from: DateTime<Utc>,
    /// `virkning_from` as written on the wire, in Danish time.
    pub virkning_text: &'static str,
    /// The rendered `FiltreretOejebliksbillede` in its three variants.
    pub(super) snapshot: render::Snapshot,
}

impl Entry {
    /// The searchable facts: every `Egenskab` field by local name, `GyldighedStatusKode`, and
    /// every relation by its local name with the UUID in lowercase.
    pub fn facts(&self) -> impl Iterator<Item = (&str, std::borrow::Cow<'_, str>)> {
        let local = |q: &'static str| q.rsplit_once(':').map_or(q, |(_, l)| l);
        let egenskab = self
            .content
            .egenskab
            .iter()
            .map(move |(q, v)| (local(q), std::borrow::Cow::Borrowed(v.as_str())));
        let gyldighed = self
            .content
            .gyldighed
            .then_some(("GyldighedStatusKode", std::borrow::Cow::Borrowed("Aktiv")));
        let relations = self
            .content
            .relations
            .iter()
            .map(move |(q, u)| (local(q), std::borrow::Cow::Owned(u.to_string())));
        egenskab.chain(gyldighed).chain(relations)
    }
}

/// The derived register: every object, by UUID and by type.
#[derive(Debug)]
pub struct Register {
    entries: Vec<Entry>,
    by_uuid: HashMap<Uuid, usize>,
}

/// The start of each sector's Virkning: the municipal reform (1 January 2007), Udbetaling
/// Danmark's first day (1 October 2012) and ATP's founding law (1 April 1964).
fn virkning_start(sector: Sector) -> (&'static str, DateTime<Utc>) {
    let (text, y, m, d, offset) = match sector {
        Sector::Kommune => ("2007-01-01T00:00:00+01:00", 2007, 1, 1, 1),
        Sector::Udk => ("2012-10-01T00:00:00+02:00", 2012, 10, 1, 2),
        Sector::Atp => ("1964-04-01T00:00:00+01:00", 1964, 4, 1, 1),
    };
    let utc = NaiveDate::from_ymd_opt(y, m, d)
        .map(|day| day.and_time(NaiveTime::MIN).and_utc() - Duration::hours(offset))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    (text, utc)
}

/// A registration time between 30 and 760 days before the world's fixed [`EPOCH`] (never
/// relative to the clock, so a registration never moves from one day to the next), at a time of
/// night, chosen by hashing the seed with the object's name.
fn registered(world: &World, name: &str) -> DateTime<Utc> {
    let mut hasher = Sha256::new();
    hasher.update(world.seed.to_le_bytes());
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut n = [0u8; 8];
    n.copy_from_slice(&digest[..8]);
    let n = u64::from_le_bytes(n);
    let days = 30 + (n % 731) as i64;
    let seconds = ((n >> 16) % (4 * 3600)) as i64 + 3600;
    EPOCH.and_time(NaiveTime::MIN).and_utc() - Duration::days(days) + Duration::seconds(seconds)
}

/// The prefix of an authority's unit keys: its municipality code, or `UDK`/`ATP`.
fn prefix(sector: Sector, kommunekode: Option<&str>) -> &str {
    match (sector, kommunekode) {
        (Sector::Kommune, Some(code)) => code,
        (Sector::Udk, _) => "UDK",
        (Sector::Atp, _) => "ATP",
        (Sector::Kommune, None) => "KOMMUNE",
    }
}

impl Register {
    /// Derives the register from a world. Everything is computed here, once.
    pub fn derive(world: &World) -> Register {
        let mut entries = Vec::with_capacity(world.authorities.len() * 5);
        for (index, authority) in world.authorities.iter().enumerate() {
            let id = index as AuthorityId;
            let cvr = authority.cvr;
            let (virkning_text, virkning_from) = virkning_start(authority.sector);
            let mut push = |objekt: Objekt, uuid: Uuid, content: Content, name: String| {
                entries.push(Entry {
                    uuid,
                    objekt,
                    authority: id,
                    content,
                    registered: registered(world, &name),
                    virkning_from,
                    virkning_text,
                    snapshot: render::Snapshot::default(),
                });
            };
            push(
                Objekt::Virksomhed,
                virksomhed_uuid(cvr),
                Content {
                    egenskab: vec![
                        ("sts:CVR-NummerTekst", cvr.to_string()),
                        ("sts:NavnTekst", authority.name.clone()),
                    ],
                    gyldighed: false,
                    relations: Vec::new(),
                },
                format!("virksomhed/{cvr}"),
            );
            push(
                Objekt::Organisation,
                organisation_uuid(cvr),
                Content {
                    egenskab: vec![
                        ("sd:BrugervendtNoegleTekst", authority.name.clone()),
                        ("sd:OrganisationNavn", authority.name.clone()),
                    ],
                    gyldighed: true,
                    relations: vec![("sd:Virksomhed", virksomhed_uuid(cvr))],
                },
                format!("organisation/{cvr}"),
            );
            let prefix = prefix(authority.sector, authority.kommunekode.as_deref());
            for enhed in Enhed::ALL {
                let mut relations = Vec::with_capacity(2);
                if enhed != Enhed::Rod {
                    relations.push(("sd:Overordnet", enhed_uuid(cvr, Enhed::Rod)));
                }
                relations.push(("sd:Tilhoerer", organisation_uuid(cvr)));
                push(
                    Objekt::OrganisationEnhed,
                    enhed_uuid(cvr, enhed),
                    Content {
                        egenskab: vec![
                            ("sd:BrugervendtNoegleTekst", format!("{prefix}-{}", enhed.key())),
                            ("sd:EnhedNavn", enhed.navn(&authority.name, authority.sector)),
                        ],
                        gyldighed: true,
                        relations,
                    },
                    format!("organisationenhed/{cvr}/{}", enhed.key()),
                );
            }
        }
        for entry in &mut entries {
            entry.snapshot = render::Snapshot::of(entry);
        }
        let by_uuid = entries.iter().enumerate().map(|(i, e)| (e.uuid, i)).collect();
        Register { entries, by_uuid }
    }

    /// The object with this UUID, of any type.
    pub fn get(&self, uuid: Uuid) -> Option<&Entry> {
        self.by_uuid.get(&uuid).map(|&i| &self.entries[i])
    }

    /// Every object of one type, in the world's authority order (units root first).
    pub fn of(&self, objekt: Objekt) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.objekt == objekt)
    }

    /// The number of objects of every type.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the register holds nothing (a world without authorities).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_distinct() {
        let cvr = Cvr::parse("29189420").unwrap();
        assert_eq!(virksomhed_uuid(cvr), virksomhed_uuid(cvr));
        let all = [
            virksomhed_uuid(cvr),
            organisation_uuid(cvr),
            enhed_uuid(cvr, Enhed::Rod),
            enhed_uuid(cvr, Enhed::Kontrol),
            enhed_uuid(cvr, Enhed::Borgerservice),
        ];
        for (i, a) in all.iter().enumerate() {
            assert_eq!(a.get_version_num(), 5);
            assert!(all[i + 1..].iter().all(|b| a != b));
        }
    }

    #[test]
    fn virkning_starts_agree_with_their_texts() {
        for sector in [Sector::Kommune, Sector::Udk, Sector::Atp] {
            let (text, utc) = virkning_start(sector);
            let parsed = DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
            assert_eq!(parsed, utc, "{text}");
        }
    }
}
