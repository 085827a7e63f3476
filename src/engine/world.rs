//! The world's facts a response template may name: the citizen a rule found in the request
//! (its name, address and municipality as SF1520 has them, its control cases as SF1472 has
//! them, the benefits of those cases as SF1510 classes), an authority (its name and CVR, and
//! its SF1500 Organisation UUID), the caller, and the classes of SF1510.

use uuid::Uuid;

use crate::services::sf1500_organisation::register::organisation_uuid;
use crate::services::sf1520_cpr::registry::Registry;
use crate::world::{AuthorityId, BenefitId, CaseId, CitizenId, Klassifikation, World};

/// What `{{#each …}}` runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// The citizen's control cases (all of them, as SF1472 and `sfstub generate` know them).
    CitizenCases,
    /// The benefits of the citizen's control cases, each once, in the order of its first case.
    CitizenBenefits,
}

impl Collection {
    /// Reads a collection's name.
    pub fn parse(name: &str) -> Result<Collection, String> {
        match name {
            "citizen.cases" => Ok(Collection::CitizenCases),
            "citizen.benefits" => Ok(Collection::CitizenBenefits),
            other => Err(format!(
                "`{{{{#each {other}}}}}`: one can repeat over citizen.cases or citizen.benefits"
            )),
        }
    }

    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            Collection::CitizenCases => "citizen.cases",
            Collection::CitizenBenefits => "citizen.benefits",
        }
    }
}

/// One item of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A control case.
    Case(CaseId),
    /// A benefit, with the first case of the citizen that concerns it.
    Benefit(BenefitId, CaseId),
}

/// A citizen's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitizenField {
    Cpr,
    Name,
    FirstName,
    LastName,
    BirthDate,
    Kommunekode,
    Kommune,
    KommuneCvr,
    KommuneUuid,
    Street,
    HouseNumber,
    Address,
    Postcode,
    Town,
}

/// A control case's facts (inside `{{#each citizen.cases}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseField {
    Id,
    Status,
    Opened,
    Closed,
    HolderCvr,
    HolderName,
    HolderUuid,
    Sector,
    ThemeKey,
    ThemeUuid,
    ThemeTitle,
    BenefitKey,
    BenefitUuid,
    BenefitTitle,
}

/// A benefit's facts (inside `{{#each citizen.benefits}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenefitField {
    /// A stable UUID of the citizen's grant (bevilling) of the benefit: UUIDv5 of the CPR
    /// number and the benefit's key.
    GrantUuid,
    Key,
    Uuid,
    Title,
    Kle,
    Sector,
    HolderCvr,
    HolderName,
    HolderUuid,
    /// The day the first case about it was opened.
    Opened,
    /// The status of that case.
    Status,
}

/// An authority's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorityField {
    Cvr,
    Name,
    /// Its SF1500 `Organisation` UUID.
    Uuid,
    Kommunekode,
    Sector,
}

/// A fact a placeholder names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Citizen(CitizenField),
    Case(CaseField),
    Benefit(BenefitField),
    /// The authority a rule found in the request (`authority:`).
    Authority(AuthorityField),
    /// The calling authority.
    Caller(AuthorityField),
}

const CITIZEN: &[(&str, CitizenField, &str)] = &[
    ("cpr", CitizenField::Cpr, "1507804329"),
    ("name", CitizenField::Name, "Jens Kjær Jensen"),
    ("first_name", CitizenField::FirstName, "Jens Kjær"),
    ("last_name", CitizenField::LastName, "Jensen"),
    ("birth_date", CitizenField::BirthDate, "1980-07-15"),
    ("kommunekode", CitizenField::Kommunekode, "0101"),
    ("kommune", CitizenField::Kommune, "Københavns Kommune"),
    ("kommune_cvr", CitizenField::KommuneCvr, "64942212"),
    (
        "kommune_uuid",
        CitizenField::KommuneUuid,
        "0e3a8d6c-8c5e-5a55-9d2a-3c2b1f1e0a01",
    ),
    ("street", CitizenField::Street, "Byvej"),
    ("house_number", CitizenField::HouseNumber, "71"),
    ("address", CitizenField::Address, "Byvej 71"),
    ("postcode", CitizenField::Postcode, "1550"),
    ("town", CitizenField::Town, "København V"),
];

const CASE: &[(&str, CaseField, &str)] = &[
    ("id", CaseField::Id, "0cc5d90e-0648-5c84-9b11-28bb2db50ee7"),
    ("status", CaseField::Status, "AABEN"),
    ("opened", CaseField::Opened, "2026-10-23"),
    ("closed", CaseField::Closed, "2026-11-01"),
    ("holder_cvr", CaseField::HolderCvr, "14720006"),
    ("holder_name", CaseField::HolderName, "Udbetaling Danmark"),
    (
        "holder_uuid",
        CaseField::HolderUuid,
        "1b0f3c8e-2a4d-5e6f-8a9b-0c1d2e3f4a5b",
    ),
    ("sector", CaseField::Sector, "UDK"),
    ("theme_key", CaseField::ThemeKey, "SAMLIV"),
    (
        "theme_uuid",
        CaseField::ThemeUuid,
        "db228234-3c26-5265-b008-5debec0ec5f4",
    ),
    ("theme_title", CaseField::ThemeTitle, "Samlivsforhold"),
    ("benefit_key", CaseField::BenefitKey, "BOERNETILSKUD"),
    (
        "benefit_uuid",
        CaseField::BenefitUuid,
        "144c233b-82d6-558e-a971-76ae25a2c659",
    ),
    ("benefit_title", CaseField::BenefitTitle, "Børnetilskud"),
];

const BENEFIT: &[(&str, BenefitField, &str)] = &[
    (
        "grant_uuid",
        BenefitField::GrantUuid,
        "5f0e2b7c-6d1a-5c3e-9b8f-2a4c6e8d0f13",
    ),
    ("key", BenefitField::Key, "BOERNETILSKUD"),
    ("uuid", BenefitField::Uuid, "144c233b-82d6-558e-a971-76ae25a2c659"),
    ("title", BenefitField::Title, "Børnetilskud"),
    ("kle", BenefitField::Kle, "27.24.00"),
    ("sector", BenefitField::Sector, "UDK"),
    ("holder_cvr", BenefitField::HolderCvr, "14720006"),
    ("holder_name", BenefitField::HolderName, "Udbetaling Danmark"),
    (
        "holder_uuid",
        BenefitField::HolderUuid,
        "1b0f3c8e-2a4d-5e6f-8a9b-0c1d2e3f4a5b",
    ),
    ("opened", BenefitField::Opened, "2026-10-23"),
    ("status", BenefitField::Status, "AABEN"),
];

const AUTHORITY: &[(&str, AuthorityField, &str)] = &[
    ("cvr", AuthorityField::Cvr, "29189846"),
    ("name", AuthorityField::Name, "Viborg Kommune"),
    ("uuid", AuthorityField::Uuid, "5d0c7b7e-8d8f-5d0b-9d5e-1e2f3a4b5c6d"),
    ("kommunekode", AuthorityField::Kommunekode, "0791"),
    ("sector", AuthorityField::Sector, "KOMMUNE"),
];

fn names<T>(table: &[(&str, T, &str)]) -> String {
    table.iter().map(|(n, _, _)| *n).collect::<Vec<_>>().join(", ")
}

impl Field {
    /// Reads `citizen.name`, `case.id`, `benefit.uuid`, `authority.name`, `caller.cvr`, ….
    pub fn parse(name: &str) -> Result<Field, String> {
        let (head, field) = name.split_once('.').unwrap_or((name, ""));
        let find = |table: &[(&str, _, &str)]| table.iter().find(|(n, _, _)| *n == field).map(|(_, f, _)| *f);
        let unknown = |what: &str, known: String| {
            Err(format!(
                "{{{{ {name} }}}}: {what} has no field {field:?}; it has {known}"
            ))
        };
        match head {
            "citizen" => match find(CITIZEN) {
                Some(f) => Ok(Field::Citizen(f)),
                None => unknown("a citizen", names(CITIZEN)),
            },
            "case" => match CASE.iter().find(|(n, _, _)| *n == field) {
                Some((_, f, _)) => Ok(Field::Case(*f)),
                None => unknown("a case", names(CASE)),
            },
            "benefit" => match BENEFIT.iter().find(|(n, _, _)| *n == field) {
                Some((_, f, _)) => Ok(Field::Benefit(*f)),
                None => unknown("a benefit", names(BENEFIT)),
            },
            "authority" | "caller" => match AUTHORITY.iter().find(|(n, _, _)| *n == field) {
                Some((_, f, _)) if head == "authority" => Ok(Field::Authority(*f)),
                Some((_, f, _)) => Ok(Field::Caller(*f)),
                None => unknown("an authority", names(AUTHORITY)),
            },
            _ => Err(format!(
                "{{{{ {name} }}}} is not a placeholder sfstub knows; the names are {}",
                super::template::NAMES
            )),
        }
    }

    /// The collection a field is only known inside.
    pub fn needs(self) -> Option<Collection> {
        match self {
            Field::Case(_) => Some(Collection::CitizenCases),
            Field::Benefit(_) => Some(Collection::CitizenBenefits),
            _ => None,
        }
    }

    /// A value of the right form, for checking a template when the scenario loads.
    pub fn sample(self) -> &'static str {
        fn of<T: PartialEq>(table: &[(&str, T, &'static str)], f: T) -> &'static str {
            table.iter().find(|(_, g, _)| *g == f).map_or("", |(_, _, s)| s)
        }
        match self {
            Field::Citizen(f) => of(CITIZEN, f),
            Field::Case(f) => of(CASE, f),
            Field::Benefit(f) => of(BENEFIT, f),
            Field::Authority(f) | Field::Caller(f) => of(AUTHORITY, f),
        }
    }
}

/// `class.<FACET>.<KEY>.<uuid|key|title>`: a class of the world's classification (the SF1510
/// catalogue's `SFSTUB` classification), fixed when the template is built.
pub fn class_value(path: &str) -> Result<String, String> {
    let classes = Klassifikation::builtin();
    let parts: Vec<&str> = path.split('.').collect();
    let [facet, key, field] = parts.as_slice() else {
        return Err(format!(
            "{{{{ class.{path} }}}}: write class.<FACET>.<KEY>.<uuid|key|title>, e.g. class.YDELSE.BOERNETILSKUD.uuid"
        ));
    };
    let mut facets: Vec<&str> = classes.all_classes().map(|c| c.facet.key()).collect();
    facets.dedup();
    let in_facet: Vec<_> = classes.all_classes().filter(|c| c.facet.key() == *facet).collect();
    if in_facet.is_empty() {
        return Err(format!(
            "{{{{ class.{path} }}}}: no facet {facet}; the facets are {}",
            facets.join(", ")
        ));
    }
    let Some(class) = in_facet.iter().find(|c| c.key == *key) else {
        let keys: Vec<&str> = in_facet.iter().map(|c| c.key).collect();
        return Err(format!(
            "{{{{ class.{path} }}}}: the facet {facet} has no class {key}; it has {}",
            keys.join(", ")
        ));
    };
    match *field {
        "uuid" => Ok(class.uuid.to_string()),
        "key" => Ok(class.key.to_owned()),
        "title" => Ok(class.title.to_owned()),
        other => Err(format!(
            "{{{{ class.{path} }}}}: a class has uuid, key and title, not {other:?}"
        )),
    }
}

/// The world as one call sees it: what the rule bound (citizen, authority) and the caller.
pub struct Lookup<'a> {
    pub world: &'a World,
    pub registry: &'a Registry,
    pub citizen: Option<CitizenId>,
    pub authority: Option<AuthorityId>,
    pub caller: Option<AuthorityId>,
}

impl Lookup<'_> {
    /// The items of a collection.
    pub fn items(&self, c: Collection) -> Vec<Item> {
        let Some(citizen) = self.citizen.and_then(|id| self.world.citizens.get(id as usize)) else {
            return Vec::new();
        };
        match c {
            Collection::CitizenCases => citizen.cases.iter().map(|&id| Item::Case(id)).collect(),
            Collection::CitizenBenefits => {
                let mut out: Vec<Item> = Vec::new();
                for &id in &citizen.cases {
                    let benefit = self.world.cases[id as usize].benefit;
                    if !out.iter().any(|i| matches!(i, Item::Benefit(b, _) if *b == benefit)) {
                        out.push(Item::Benefit(benefit, id));
                    }
                }
                out
            }
        }
    }

    /// A field's value; `None` when it is not bound (or a closed date of an open case).
    pub fn field(&self, field: Field, item: Option<Item>) -> Option<String> {
        let w = self.world;
        match field {
            Field::Citizen(f) => {
                let id = self.citizen?;
                let c = w.citizens.get(id as usize)?;
                let record = self.registry.get(id);
                let kommune = w.authority(c.kommune);
                let address = record.map(|r| &r.address);
                Some(match f {
                    CitizenField::Cpr => c.cpr.to_string(),
                    CitizenField::Name => c.name(),
                    CitizenField::FirstName => c.first_name.to_string(),
                    CitizenField::LastName => c.last_name.to_string(),
                    CitizenField::BirthDate => c.cpr.birth_date()?.format("%Y-%m-%d").to_string(),
                    CitizenField::Kommunekode => kommune.kommunekode.clone()?,
                    CitizenField::Kommune => kommune.name.clone(),
                    CitizenField::KommuneCvr => kommune.cvr.to_string(),
                    CitizenField::KommuneUuid => organisation_uuid(kommune.cvr).to_string(),
                    CitizenField::Street => address?.vejnavn().to_owned(),
                    CitizenField::HouseNumber => address?.husnummer.to_string(),
                    CitizenField::Address => address?.standard(),
                    CitizenField::Postcode => address?.postnummer_and_town()?.0.to_owned(),
                    CitizenField::Town => address?.postnummer_and_town()?.1.to_owned(),
                })
            }
            Field::Case(f) => {
                let Some(Item::Case(id)) = item else { return None };
                let case = w.cases.get(id as usize)?;
                let holder = w.authority(case.holder);
                let theme = &w.classes.themes[usize::from(case.theme)].class;
                let benefit = &w.classes.benefits[usize::from(case.benefit)].class;
                Some(match f {
                    CaseField::Id => case.id.to_string(),
                    CaseField::Status => case.status.code().to_owned(),
                    CaseField::Opened => case.opened.format("%Y-%m-%d").to_string(),
                    CaseField::Closed => case.closed?.format("%Y-%m-%d").to_string(),
                    CaseField::HolderCvr => holder.cvr.to_string(),
                    CaseField::HolderName => holder.name.clone(),
                    CaseField::HolderUuid => organisation_uuid(holder.cvr).to_string(),
                    CaseField::Sector => holder.sector.code().to_owned(),
                    CaseField::ThemeKey => theme.key.to_owned(),
                    CaseField::ThemeUuid => theme.uuid.to_string(),
                    CaseField::ThemeTitle => theme.title.to_owned(),
                    CaseField::BenefitKey => benefit.key.to_owned(),
                    CaseField::BenefitUuid => benefit.uuid.to_string(),
                    CaseField::BenefitTitle => benefit.title.to_owned(),
                })
            }
            Field::Benefit(f) => {
                let Some(Item::Benefit(b, first)) = item else {
                    return None;
                };
                let benefit = w.classes.benefits.get(usize::from(b))?;
                let case = w.cases.get(first as usize)?;
                let holder = w.authority(case.holder);
                Some(match f {
                    BenefitField::GrantUuid => {
                        let citizen = w.citizens.get(self.citizen? as usize)?;
                        grant_uuid(&citizen.cpr.to_string(), benefit.class.key).to_string()
                    }
                    BenefitField::Key => benefit.class.key.to_owned(),
                    BenefitField::Uuid => benefit.class.uuid.to_string(),
                    BenefitField::Title => benefit.class.title.to_owned(),
                    BenefitField::Kle => benefit.kle.to_owned(),
                    BenefitField::Sector => benefit.sector.code().to_owned(),
                    BenefitField::HolderCvr => holder.cvr.to_string(),
                    BenefitField::HolderName => holder.name.clone(),
                    BenefitField::HolderUuid => organisation_uuid(holder.cvr).to_string(),
                    BenefitField::Opened => case.opened.format("%Y-%m-%d").to_string(),
                    BenefitField::Status => case.status.code().to_owned(),
                })
            }
            Field::Authority(f) => self.authority_field(self.authority?, f),
            Field::Caller(f) => self.authority_field(self.caller?, f),
        }
    }

    fn authority_field(&self, id: AuthorityId, f: AuthorityField) -> Option<String> {
        let a = self.world.authority(id);
        Some(match f {
            AuthorityField::Cvr => a.cvr.to_string(),
            AuthorityField::Name => a.name.clone(),
            AuthorityField::Uuid => organisation_uuid(a.cvr).to_string(),
            AuthorityField::Kommunekode => a.kommunekode.clone()?,
            AuthorityField::Sector => a.sector.code().to_owned(),
        })
    }
}

/// The UUID of a citizen's grant of a benefit: UUIDv5, in the namespace UUIDv5(URL,
/// `urn:sfstub:bevilling`), of `<cpr>/<benefit key>`.
pub fn grant_uuid(cpr: &str, benefit: &str) -> Uuid {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:sfstub:bevilling");
    Uuid::new_v5(&namespace, format!("{cpr}/{benefit}").as_bytes())
}

/// A deterministic UUID for a generated value: UUIDv5 of the operation and the element's path.
pub fn skeleton_uuid(operation: &str, path: &str) -> Uuid {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:sfstub:skeleton");
    Uuid::new_v5(&namespace, format!("{operation}/{path}").as_bytes())
}
