//! A person's household as a scenario writes it: an address and relations (for SF1520), read
//! and validated with their lines and fields.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::validate::{RawPerson, Validator};
use super::{AddressSpec, Person, Relations};
use crate::world::Cpr;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAddress {
    street: Spanned<String>,
    number: Spanned<u16>,
    #[serde(default)]
    floor: Option<Spanned<String>>,
    #[serde(default)]
    door: Option<String>,
    #[serde(default)]
    postcode: Option<Spanned<String>>,
    #[serde(default)]
    town: Option<Spanned<String>>,
    #[serde(default)]
    moved_in: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelations {
    #[serde(default)]
    spouse: Option<Spanned<String>>,
    #[serde(default)]
    mother: Option<Spanned<String>>,
    #[serde(default)]
    father: Option<Spanned<String>>,
    #[serde(default)]
    children: Vec<Spanned<String>>,
}

impl Validator {
    pub(super) fn address(&mut self, at: &str, raw: &RawAddress, anchor: NaiveDate) -> Option<AddressSpec> {
        let at = format!("{at}.address");
        if raw.street.value.trim().is_empty() {
            self.report(&raw.street, format!("{at}.street"), "must not be empty");
        }
        self.xml_text(&raw.street, format!("{at}.street"), &raw.street.value);
        if let Some(door) = &raw.door {
            self.xml_text(&raw.street, format!("{at}.door"), door);
        }
        if let Some(town) = &raw.town {
            self.xml_text(town, format!("{at}.town"), &town.value);
        }
        if raw.number.value == 0 {
            self.report(&raw.number, format!("{at}.number"), "a house number from 1 to 999");
        }
        let floor = raw.floor.as_ref().and_then(|f| match f.value.trim() {
            "st" | "st." => Some(0),
            t => match t.trim_end_matches('.').parse::<u8>() {
                Ok(n) if (1..=99).contains(&n) => Some(n),
                _ => {
                    self.report(
                        f,
                        format!("{at}.floor"),
                        format!("{t:?} is neither st nor a floor from 1 to 99"),
                    );
                    None
                }
            },
        });
        let place = match (&raw.postcode, &raw.town) {
            (Some(p), Some(t)) => {
                let code = p.value.trim();
                if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
                    self.report(
                        p,
                        format!("{at}.postcode"),
                        format!("{code:?} is not a four-digit postcode"),
                    );
                }
                if t.value.trim().is_empty() {
                    self.report(t, format!("{at}.town"), "must not be empty");
                }
                Some((code.to_owned(), t.value.trim().to_owned()))
            }
            (Some(p), None) => {
                self.report(p, format!("{at}.town"), "a postcode needs its town (town:)");
                None
            }
            (None, Some(t)) => {
                self.report(t, format!("{at}.postcode"), "a town needs its postcode (postcode:)");
                None
            }
            (None, None) => None,
        };
        let moved_in = raw.moved_in.as_ref().and_then(|m| {
            let d = self.date(m, &format!("{at}.moved_in"), anchor)?;
            if d > anchor {
                self.report(
                    m,
                    format!("{at}.moved_in"),
                    format!("{d} lies after the clock's date {anchor}"),
                );
            }
            Some(d)
        });
        Some(AddressSpec {
            street: raw.street.value.trim().to_owned(),
            number: raw.number.value,
            floor,
            door: raw.door.clone(),
            place,
            moved_in,
        })
    }

    pub(super) fn relations(&mut self, at: &str, raw: &RawRelations, own: Option<Cpr>) -> Relations {
        let at = format!("{at}.relations");
        let one =
            |v: &mut Validator, s: &Spanned<String>, field: String, sex: Option<bool>| match Cpr::parse(&s.value, true)
            {
                Ok(c) if Some(c) == own => {
                    v.report(s, field, "a person is not their own relation");
                    None
                }
                Ok(c) if sex.is_some_and(|female| c.is_female() != female) => {
                    let want = if sex == Some(true) {
                        "a woman's (even last digit)"
                    } else {
                        "a man's (odd last digit)"
                    };
                    v.report(s, field, format!("{c} is not {want} CPR number"));
                    None
                }
                Ok(c) => Some(c),
                Err(e) => {
                    v.report(s, field, e.to_string());
                    None
                }
            };
        let spouse = raw
            .spouse
            .as_ref()
            .and_then(|s| one(self, s, format!("{at}.spouse"), None));
        let mother = raw
            .mother
            .as_ref()
            .and_then(|s| one(self, s, format!("{at}.mother"), Some(true)));
        let father = raw
            .father
            .as_ref()
            .and_then(|s| one(self, s, format!("{at}.father"), Some(false)));
        let children = raw
            .children
            .iter()
            .enumerate()
            .filter_map(|(i, s)| one(self, s, format!("{at}.children[{i}]"), None))
            .collect();
        Relations {
            spouse,
            mother,
            father,
            children,
        }
    }

    /// A scenario's relations name persons of the same file (generated citizens change with the
    /// population settings; the admin API may name any citizen of the running world).
    pub(super) fn relations_within(&mut self, raw: &[RawPerson], persons: &[Person]) {
        for (i, p) in raw.iter().enumerate() {
            let Some(r) = &p.relations else { continue };
            let named = r
                .spouse
                .iter()
                .map(|s| ("spouse".to_owned(), s))
                .chain(r.mother.iter().map(|s| ("mother".to_owned(), s)))
                .chain(r.father.iter().map(|s| ("father".to_owned(), s)))
                .chain(
                    r.children
                        .iter()
                        .enumerate()
                        .map(|(k, s)| (format!("children[{k}]"), s)),
                );
            for (field, s) in named {
                if let Ok(c) = Cpr::parse(&s.value, true)
                    && !persons.iter().any(|q| q.cpr == c)
                {
                    self.report(
                        s,
                        format!("persons[{i}].relations.{field}"),
                        format!("{c} is not a person of this file; a scenario's relations name its own persons"),
                    );
                }
            }
        }
    }
}
