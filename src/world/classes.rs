//! The world's classifications: control themes, benefits, case steps and case statuses.
//!
//! Each is a class (Klasse) in a facet with a stable UUIDv5 derived from the facet and the
//! class key, so SF1472 responses and SF1510 agree on every identifier across runs and
//! machines. The theme and step codes are sfstub's proposal (no official code list is public);
//! the KLE numbers of the benefits are illustrative.

use uuid::Uuid;

use super::Sector;

/// The facets sfstub publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Facet {
    Kontroltema,
    Ydelse,
    Sagsskridt,
    Kontrolsagsstatus,
}

impl Facet {
    /// The facet's user-facing key (BrugervendtNoegle).
    pub fn key(self) -> &'static str {
        match self {
            Facet::Kontroltema => "KONTROLTEMA",
            Facet::Ydelse => "YDELSE",
            Facet::Sagsskridt => "SAGSSKRIDT",
            Facet::Kontrolsagsstatus => "KONTROLSAGSSTATUS",
        }
    }

    /// The facet's stable UUID.
    pub fn uuid(self) -> Uuid {
        Uuid::new_v5(&namespace(), format!("facet/{}", self.key()).as_bytes())
    }
}

/// One class: key, title and stable identifier.
#[derive(Debug, Clone)]
pub struct Klasse {
    pub facet: Facet,
    pub key: &'static str,
    pub title: &'static str,
    pub uuid: Uuid,
}

/// A control theme (kontroltema) with its default generation weight and the benefits it
/// typically concerns.
#[derive(Debug, Clone)]
pub struct Theme {
    pub class: Klasse,
    pub default_weight: u32,
    pub benefits: &'static [&'static str],
}

/// A benefit (ydelse) and the sector that administers it.
#[derive(Debug, Clone)]
pub struct Benefit {
    pub class: Klasse,
    pub sector: Sector,
    pub kle: &'static str,
}

/// Index of a theme in [`Klassifikation::themes`].
pub type ThemeId = u8;
/// Index of a benefit in [`Klassifikation::benefits`].
pub type BenefitId = u8;
/// Index of a step type in [`Klassifikation::steps`].
pub type StepId = u8;

/// All classes of the world, looked up by index (fast) or key (scenario files).
#[derive(Debug, Clone)]
pub struct Klassifikation {
    pub themes: Vec<Theme>,
    pub benefits: Vec<Benefit>,
    pub steps: Vec<Klasse>,
    pub statuses: Vec<Klasse>,
}

const THEMES: &[(&str, &str, u32, &[&str])] = &[
    (
        "SAMLIV",
        "Samlivsforhold (reelt enlig eller samlevende)",
        30,
        &[
            "BOERNETILSKUD",
            "FOLKEPENSION",
            "BOLIGSTOETTE",
            "BIDRAGSFORSKUD",
            "KONTANTHJAELP",
            "OEKONOMISK_FRIPLADS",
        ],
    ),
    (
        "INDTAEGT",
        "Uoplyst indtægt eller arbejde ved siden af ydelsen",
        25,
        &[
            "FOLKEPENSION",
            "BOLIGSTOETTE",
            "BOERNETILSKUD",
            "KONTANTHJAELP",
            "SYGEDAGPENGE",
            "LEDIGHEDSYDELSE",
        ],
    ),
    (
        "UDLAND",
        "Bopæl eller ophold i udlandet",
        15,
        &[
            "FOLKEPENSION",
            "FOERTIDSPENSION",
            "BOERNE_UNGEYDELSE",
            "BOLIGSTOETTE",
            "KONTANTHJAELP",
            "SYGEDAGPENGE",
        ],
    ),
    (
        "BOPAEL",
        "Faktisk opholdssted og folkeregisteradresse",
        10,
        &["BOLIGSTOETTE", "BOERNETILSKUD", "KONTANTHJAELP", "OEKONOMISK_FRIPLADS"],
    ),
    (
        "FORMUE",
        "Uoplyst formue",
        5,
        &["BOLIGSTOETTE", "KONTANTHJAELP", "HELBREDSTILLAEG"],
    ),
    ("HUSSTAND", "Husstandens sammensætning", 4, &["BOLIGSTOETTE"]),
    (
        "BARN",
        "Barnets bopæl og forsørgelse",
        4,
        &[
            "BOERNE_UNGEYDELSE",
            "BOERNETILSKUD",
            "BIDRAGSFORSKUD",
            "OEKONOMISK_FRIPLADS",
        ],
    ),
    ("ARBEJDE_SYG", "Arbejde under sygemelding", 3, &["SYGEDAGPENGE"]),
    (
        "DOBBELT",
        "Dobbeltforsørgelse",
        2,
        &["BARSELSDAGPENGE", "FOERTIDSPENSION", "KONTANTHJAELP", "SYGEDAGPENGE"],
    ),
    (
        "OPHOLD",
        "Opholdsgrundlag og optjening",
        2,
        &["BOERNE_UNGEYDELSE", "FOLKEPENSION", "KONTANTHJAELP"],
    ),
];

const BENEFITS: &[(&str, &str, Sector, &str)] = &[
    ("BOERNETILSKUD", "Børnetilskud", Sector::Udk, "27.24.06"),
    ("BOERNE_UNGEYDELSE", "Børne- og ungeydelse", Sector::Udk, "27.24.04"),
    (
        "BIDRAGSFORSKUD",
        "Forskudsvis udbetaling af børnebidrag",
        Sector::Udk,
        "27.24.10",
    ),
    ("BOLIGSTOETTE", "Boligstøtte", Sector::Udk, "32.03.16"),
    ("FOLKEPENSION", "Folkepension", Sector::Udk, "32.03.04"),
    ("FOERTIDSPENSION", "Førtidspension", Sector::Udk, "32.03.08"),
    ("BARSELSDAGPENGE", "Barselsdagpenge", Sector::Udk, "15.15.00"),
    ("KONTANTHJAELP", "Kontanthjælp", Sector::Kommune, "32.24.04"),
    ("SYGEDAGPENGE", "Sygedagpenge", Sector::Kommune, "32.30.00"),
    ("OEKONOMISK_FRIPLADS", "Økonomisk friplads", Sector::Kommune, "28.06.08"),
    ("LEDIGHEDSYDELSE", "Ledighedsydelse", Sector::Kommune, "15.17.12"),
    ("HELBREDSTILLAEG", "Helbredstillæg", Sector::Kommune, "32.03.12"),
];

const STEPS: &[(&str, &str)] = &[
    ("SAG_OPRETTET", "Kontrolsag oprettet"),
    ("BORGER_ORIENTERET_OM_ANMELDELSE", "Borger orienteret om anmeldelse"),
    ("OPLYSNINGER_INDHENTET_REGISTRE", "Oplysninger indhentet fra registre"),
    (
        "OPLYSNINGER_INDHENTET_ANDEN_MYNDIGHED",
        "Oplysninger indhentet fra anden myndighed",
    ),
    ("BORGER_INDKALDT_TIL_MOEDE", "Borger indkaldt til møde"),
    (
        "VEJLEDNING_OM_SELVINKRIMINERING",
        "Vejledning om retten til ikke at inkriminere sig selv",
    ),
    ("PARTSHOERING_SENDT", "Partshøring sendt"),
    ("PARTSHOERING_SVAR_MODTAGET", "Svar på partshøring modtaget"),
    ("AFGOERELSE_YDELSE_STOPPET", "Afgørelse: ydelsen stoppet"),
    ("AFGOERELSE_YDELSE_NEDSAT", "Afgørelse: ydelsen nedsat"),
    ("AFGOERELSE_TILBAGEBETALING", "Afgørelse: tilbagebetaling"),
    ("SAG_HENLAGT", "Kontrolsag henlagt"),
    ("POLITIANMELDT", "Politianmeldt"),
    ("KLAGE_MODTAGET", "Klage modtaget"),
];

const STATUSES: &[(&str, &str)] = &[
    ("AABEN", "Åben kontrolsag"),
    ("HENLAGT", "Henlagt kontrolsag"),
    ("AFGJORT", "Kontrolsag afsluttet med afgørelse"),
];

/// The UUIDv5 namespace of every sfstub class and facet (SF1510 derives its own objects in it).
pub fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:sfstub:klassifikation")
}

fn klasse(facet: Facet, key: &'static str, title: &'static str) -> Klasse {
    let uuid = Uuid::new_v5(&namespace(), format!("{}/{key}", facet.key()).as_bytes());
    Klasse {
        facet,
        key,
        title,
        uuid,
    }
}

impl Klassifikation {
    /// The built-in classification.
    pub fn builtin() -> Klassifikation {
        Klassifikation {
            themes: THEMES
                .iter()
                .map(|&(key, title, default_weight, benefits)| Theme {
                    class: klasse(Facet::Kontroltema, key, title),
                    default_weight,
                    benefits,
                })
                .collect(),
            benefits: BENEFITS
                .iter()
                .map(|&(key, title, sector, kle)| Benefit {
                    class: klasse(Facet::Ydelse, key, title),
                    sector,
                    kle,
                })
                .collect(),
            steps: STEPS
                .iter()
                .map(|&(key, title)| klasse(Facet::Sagsskridt, key, title))
                .collect(),
            statuses: STATUSES
                .iter()
                .map(|&(key, title)| klasse(Facet::Kontrolsagsstatus, key, title))
                .collect(),
        }
    }

    /// The theme with this key.
    pub fn theme(&self, key: &str) -> Option<ThemeId> {
        self.themes
            .iter()
            .position(|t| t.class.key == key)
            .map(|i| i as ThemeId)
    }

    /// The benefit with this key.
    pub fn benefit(&self, key: &str) -> Option<BenefitId> {
        self.benefits
            .iter()
            .position(|b| b.class.key == key)
            .map(|i| i as BenefitId)
    }

    /// The step type with this key.
    pub fn step(&self, key: &str) -> Option<StepId> {
        self.steps.iter().position(|s| s.key == key).map(|i| i as StepId)
    }

    /// The keys of all themes, for error messages.
    pub fn theme_keys(&self) -> Vec<&'static str> {
        self.themes.iter().map(|t| t.class.key).collect()
    }

    /// The keys of all benefits, for error messages.
    pub fn benefit_keys(&self) -> Vec<&'static str> {
        self.benefits.iter().map(|b| b.class.key).collect()
    }

    /// The keys of all step types, for error messages.
    pub fn step_keys(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.key).collect()
    }

    /// Every class of every facet.
    pub fn all_classes(&self) -> impl Iterator<Item = &Klasse> {
        self.themes
            .iter()
            .map(|t| &t.class)
            .chain(self.benefits.iter().map(|b| &b.class))
            .chain(self.steps.iter())
            .chain(self.statuses.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn identifiers_are_unique_and_stable() {
        let k = Klassifikation::builtin();
        let uuids: HashSet<_> = k.all_classes().map(|c| c.uuid).collect();
        assert_eq!(uuids.len(), k.all_classes().count());
        let again = Klassifikation::builtin();
        assert_eq!(k.themes[0].class.uuid, again.themes[0].class.uuid);
        assert_eq!(k.themes[0].class.uuid.get_version_num(), 5);
    }

    #[test]
    fn every_theme_names_known_benefits_of_both_sectors() {
        let k = Klassifikation::builtin();
        for theme in &k.themes {
            for key in theme.benefits {
                assert!(
                    k.benefit(key).is_some(),
                    "{} names unknown benefit {key}",
                    theme.class.key
                );
            }
        }
    }
}
