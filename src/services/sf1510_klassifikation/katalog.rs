//! The classifications SF1510 serves, derived once from the world when the services are
//! prepared: sfstub's own classification (the four facets of [`crate::world::classes`], with
//! their classes' UUIDs unchanged) and the part of KLE the world's benefits use (each KLE
//! emne with its gruppe and hovedgruppe as parent classes).
//!
//! Every UUID is a UUIDv5 in the namespace `classes.rs` uses (`urn:sfstub:klassifikation`
//! under the URL namespace), named the same way: `klassifikation/<key>`, `facet/<key>`,
//! `<facet key>/<class key>`. The world's facets and classes keep exactly the UUIDs SF1472
//! writes; only the KLE objects and the two classifications are new names.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use uuid::Uuid;

use crate::world::classes::{self, Facet};
use crate::world::{Sector, World};

/// The instant every object was registered and published from (all objects are published
/// with no end).
pub const PUBLISHED: &str = "2010-01-01T00:00:00Z";

/// [`PUBLISHED`] as a date.
pub fn published_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// sfstub's own classification.
pub const SFSTUB_KEY: &str = "SFSTUB";
/// The KLE subset.
pub const KLE_KEY: &str = "KLE";
/// The KLE facet holding hovedgrupper, grupper and emner.
pub const KLE_FACET_KEY: &str = "KLE-EMNE";

const RETSKILDE_11A: &str = "Lov om Udbetaling Danmark § 11 a";

/// A classification (Klassifikation).
#[derive(Debug, Clone)]
pub struct Klassifikation {
    pub uuid: Uuid,
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub owner: &'static str,
    pub retskilde: Option<&'static str>,
    /// Indexes into [`Katalog::facets`].
    pub facets: Vec<usize>,
}

/// A facet of a classification.
#[derive(Debug, Clone)]
pub struct FacetInfo {
    pub uuid: Uuid,
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// Index into [`Katalog::klassifikationer`].
    pub klassifikation: usize,
    /// Indexes into [`Katalog::classes`], in display order.
    pub classes: Vec<usize>,
}

/// A class (Klasse).
#[derive(Debug, Clone)]
pub struct KlasseInfo {
    pub uuid: Uuid,
    pub key: String,
    pub title: String,
    pub description: String,
    pub retskilde: Option<&'static str>,
    /// Index into [`Katalog::facets`].
    pub facet: usize,
    /// The parent class (OverordnetKlasse), an index into [`Katalog::classes`].
    pub parent: Option<usize>,
    /// The 1-based position in its facet (Sortering, 1–100).
    pub sortering: Option<u8>,
    /// Search words: (identifier, category), e.g. a benefit's KLE number.
    pub soegeord: Vec<(String, &'static str)>,
}

/// What a UUID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objekt {
    Klassifikation(usize),
    Facet(usize),
    Klasse(usize),
}

/// Every classification, facet and class SF1510 serves, with lookups.
#[derive(Debug, Clone)]
pub struct Katalog {
    pub klassifikationer: Vec<Klassifikation>,
    pub facets: Vec<FacetInfo>,
    pub classes: Vec<KlasseInfo>,
    by_uuid: HashMap<Uuid, Objekt>,
    by_key: HashMap<String, Vec<usize>>,
}

use crate::world::classes::namespace;

fn v5(name: &str) -> Uuid {
    Uuid::new_v5(&namespace(), name.as_bytes())
}

fn facet_title(f: Facet) -> (&'static str, &'static str) {
    match f {
        Facet::Kontroltema => (
            "Kontroltemaer",
            "Det der undersøges i en kontrolsag (Udbetaling Danmark-lovens § 11 a, stk. 1, nr. 2).",
        ),
        Facet::Ydelse => ("Ydelser", "Kontante ydelser, som en kontrolsag kan angå."),
        Facet::Sagsskridt => (
            "Sagsskridt",
            "Skridt i en kontrolsag (vises efter § 11 a, stk. 2, nr. 3).",
        ),
        Facet::Kontrolsagsstatus => ("Kontrolsagsstatus", "En kontrolsags status."),
    }
}

impl Katalog {
    /// Derives the catalogue from the world's classes.
    pub fn new(world: &World) -> Katalog {
        let wc = &world.classes;
        let mut k = Katalog {
            klassifikationer: vec![
                Klassifikation {
                    uuid: v5(&format!("klassifikation/{SFSTUB_KEY}")),
                    key: SFSTUB_KEY,
                    title: "Kontrolsager efter Udbetaling Danmark-lovens § 11 a (sfstub)",
                    description: "sfstubs syntetiske klassifikation af kontrolsager: kontroltemaer, ydelser, \
                                  sagsskridt og status. Ikke en officiel kodeliste.",
                    owner: "sfstub (syntetisk)",
                    retskilde: Some(RETSKILDE_11A),
                    facets: Vec::new(),
                },
                Klassifikation {
                    uuid: v5(&format!("klassifikation/{KLE_KEY}")),
                    key: KLE_KEY,
                    title: "KL's Emnesystematik (KLE), delmængde",
                    description: "De KLE-emner sfstubs ydelser er opmærket med, med deres grupper og hovedgrupper. \
                                  Numrene er illustrative, ikke KL's officielle emneplan.",
                    owner: "KL (Kommunernes Landsforening)",
                    retskilde: None,
                    facets: Vec::new(),
                },
            ],
            facets: Vec::new(),
            classes: Vec::new(),
            by_uuid: HashMap::new(),
            by_key: HashMap::new(),
        };
        for (i, c) in k.klassifikationer.iter().enumerate() {
            k.by_uuid.insert(c.uuid, Objekt::Klassifikation(i));
        }
        for f in [
            Facet::Kontroltema,
            Facet::Ydelse,
            Facet::Sagsskridt,
            Facet::Kontrolsagsstatus,
        ] {
            let (title, description) = facet_title(f);
            k.add_facet(0, f.uuid(), f.key(), title, description);
        }
        let facet_of = |f: Facet| match f {
            Facet::Kontroltema => 0,
            Facet::Ydelse => 1,
            Facet::Sagsskridt => 2,
            Facet::Kontrolsagsstatus => 3,
        };
        let benefit_title = |key: &str| {
            wc.benefit(key)
                .map(|b| wc.benefits[usize::from(b)].class.title)
                .unwrap_or("?")
        };
        for t in &wc.themes {
            let concerns: Vec<&str> = t.benefits.iter().map(|b| benefit_title(b)).collect();
            let description = format!("Kontroltema. Angår typisk: {}.", concerns.join(", "));
            k.add_class(
                facet_of(t.class.facet),
                &t.class,
                description,
                Some(RETSKILDE_11A),
                None,
                Vec::new(),
            );
        }
        for b in &wc.benefits {
            let by = match b.sector {
                Sector::Udk => "Udbetaling Danmark",
                Sector::Kommune => "kommunen",
                Sector::Atp => "ATP",
            };
            let description = format!("Ydelse administreret af {by}. KLE-emne {}.", b.kle);
            let words = vec![(b.kle.to_owned(), "KLE-emne")];
            k.add_class(facet_of(b.class.facet), &b.class, description, None, None, words);
        }
        for s in &wc.steps {
            let description = "Sagsskridt i en kontrolsag.".to_owned();
            k.add_class(facet_of(s.facet), s, description, Some(RETSKILDE_11A), None, Vec::new());
        }
        for s in &wc.statuses {
            let description = "Status for en kontrolsag.".to_owned();
            k.add_class(facet_of(s.facet), s, description, Some(RETSKILDE_11A), None, Vec::new());
        }
        k.add_kle(world);
        k
    }

    fn add_facet(
        &mut self,
        klassifikation: usize,
        uuid: Uuid,
        key: &'static str,
        title: &'static str,
        d: &'static str,
    ) {
        let index = self.facets.len();
        self.facets.push(FacetInfo {
            uuid,
            key,
            title,
            description: d,
            klassifikation,
            classes: Vec::new(),
        });
        self.klassifikationer[klassifikation].facets.push(index);
        self.by_uuid.insert(uuid, Objekt::Facet(index));
    }

    fn add_class(
        &mut self,
        facet: usize,
        class: &classes::Klasse,
        description: String,
        retskilde: Option<&'static str>,
        parent: Option<usize>,
        soegeord: Vec<(String, &'static str)>,
    ) -> usize {
        self.push_class(KlasseInfo {
            uuid: class.uuid,
            key: class.key.to_owned(),
            title: class.title.to_owned(),
            description,
            retskilde,
            facet,
            parent,
            sortering: None,
            soegeord,
        })
    }

    fn push_class(&mut self, mut class: KlasseInfo) -> usize {
        let index = self.classes.len();
        let position = self.facets[class.facet].classes.len() + 1;
        class.sortering = u8::try_from(position).ok().filter(|p| *p <= 100);
        self.facets[class.facet].classes.push(index);
        self.by_uuid.insert(class.uuid, Objekt::Klasse(index));
        self.by_key.entry(class.key.clone()).or_default().push(index);
        self.classes.push(class);
        index
    }

    /// The KLE emner of the world's benefits, each under its gruppe and hovedgruppe.
    fn add_kle(&mut self, world: &World) {
        let facet_uuid = v5(&format!("facet/{KLE_FACET_KEY}"));
        self.add_facet(
            1,
            facet_uuid,
            KLE_FACET_KEY,
            "KLE-emneplan",
            "Hovedgrupper, grupper og emner i KLE (delmængde).",
        );
        let facet = self.facets.len() - 1;
        // Every KLE number with the benefits that use it, sorted (hovedgruppe before gruppe
        // before emne, as the numbers sort).
        let mut numbers: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for b in &world.classes.benefits {
            let parts: Vec<&str> = b.kle.split('.').collect();
            for depth in 1..parts.len() {
                numbers.entry(parts[..depth].join(".")).or_default();
            }
            numbers.entry(b.kle.to_owned()).or_default().push(b.class.title);
        }
        let mut index_of: HashMap<String, usize> = HashMap::new();
        for (number, users) in numbers {
            let parent = number.rsplit_once('.').and_then(|(p, _)| index_of.get(p).copied());
            let (title, description) = match (number.matches('.').count(), users.is_empty()) {
                (0, true) => (
                    format!("KLE-hovedgruppe {number}"),
                    format!("Hovedgruppe {number} i KLE (kun det sfstubs ydelser bruger)."),
                ),
                (_, true) => (
                    format!("KLE-gruppe {number}"),
                    format!("Gruppe {number} i KLE (kun det sfstubs ydelser bruger)."),
                ),
                (_, false) => (
                    users.join(", "),
                    format!(
                        "KLE-emne {number}, som sfstubs ydelse {} er opmærket med. Nummeret er illustrativt.",
                        users.join(", ")
                    ),
                ),
            };
            let index = self.push_class(KlasseInfo {
                uuid: v5(&format!("{KLE_FACET_KEY}/{number}")),
                key: number.clone(),
                title,
                description,
                retskilde: None,
                facet,
                parent,
                sortering: None,
                soegeord: Vec::new(),
            });
            index_of.insert(number, index);
        }
    }

    /// What this UUID names, if anything.
    pub fn lookup(&self, uuid: &Uuid) -> Option<Objekt> {
        self.by_uuid.get(uuid).copied()
    }

    /// The class with this UUID.
    pub fn class(&self, uuid: &Uuid) -> Option<usize> {
        match self.lookup(uuid) {
            Some(Objekt::Klasse(i)) => Some(i),
            _ => None,
        }
    }

    /// The classes with exactly this key (BrugervendtNoegle), in catalogue order.
    pub fn classes_with_key(&self, key: &str) -> &[usize] {
        self.by_key.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The classification with this key.
    pub fn klassifikation_by_key(&self, key: &str) -> Option<usize> {
        self.klassifikationer.iter().position(|k| k.key == key)
    }

    /// A facet of classification `k` with this key.
    pub fn facet_by_key(&self, k: usize, key: &str) -> Option<usize> {
        self.klassifikationer[k]
            .facets
            .iter()
            .copied()
            .find(|&f| self.facets[f].key == key)
    }

    /// A short human name of what a UUID names, for error texts.
    pub fn describe(&self, o: Objekt) -> String {
        match o {
            Objekt::Klassifikation(i) => format!("klassifikationen {}", self.klassifikationer[i].key),
            Objekt::Facet(i) => format!("facetten {}", self.facets[i].key),
            Objekt::Klasse(i) => format!("klassen {}", self.classes[i].key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn katalog() -> Katalog {
        let scenario = crate::scenario::Scenario::builtin();
        Katalog::new(&crate::world::build(&scenario))
    }

    #[test]
    fn the_world_s_facets_and_classes_keep_their_uuids() {
        let world = crate::world::build(&crate::scenario::Scenario::builtin());
        let k = Katalog::new(&world);
        for class in world.classes.all_classes() {
            let i = k.class(&class.uuid).expect("every world class is served");
            assert_eq!(
                (k.classes[i].key.as_str(), k.classes[i].title.as_str()),
                (class.key, class.title)
            );
            assert_eq!(k.facets[k.classes[i].facet].uuid, class.facet.uuid());
        }
        // The derivation here is the one classes.rs uses.
        assert_eq!(v5("facet/KONTROLTEMA"), Facet::Kontroltema.uuid());
    }

    #[test]
    fn kle_emner_sit_under_their_gruppe_and_hovedgruppe() {
        let k = katalog();
        let emne = k.classes_with_key("32.24.04")[0];
        let gruppe = k.classes[emne].parent.expect("a gruppe");
        assert_eq!(k.classes[gruppe].key, "32.24");
        let hoved = k.classes[gruppe].parent.expect("a hovedgruppe");
        assert_eq!(k.classes[hoved].key, "32");
        assert_eq!(k.classes[hoved].parent, None);
        assert_eq!(k.classes[emne].title, "Kontanthjælp");
    }

    #[test]
    fn uuids_are_unique() {
        let k = katalog();
        let n = k.klassifikationer.len() + k.facets.len() + k.classes.len();
        assert_eq!(k.by_uuid.len(), n);
    }
}
