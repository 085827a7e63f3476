//! Reading SF1500's inputs — `LaesInput`, `ListInput`, `SoegInput` — by local names, and the
//! `RequestHeader/TransactionUUID` of the SOAP Header.
//!
//! Problems with what a request asks are not faults: the service answers them with
//! `StandardRetur/StatusKode` 40 and a text naming the field, so every error here is that text.

use chrono::{DateTime, NaiveDateTime, Utc};
use uuid::Uuid;

use crate::clip::clip;
use crate::soap::xml::{Leaf, leaf_texts};

/// One end of a filter: a time, or `GraenseIndikator` (no bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    At(DateTime<Utc>),
    Open,
}

/// The Virkning and Registrering filters of `LaesInput` and `ListInput`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filters {
    pub virkning_fra: Option<Bound>,
    pub virkning_til: Option<Bound>,
    pub registrering_fra: Option<Bound>,
    pub registrering_til: Option<Bound>,
}

/// A parsed `LaesInput` or `ListInput`: the UUIDs in request order, and the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub uuids: Vec<Uuid>,
    pub filters: Filters,
}

/// One search criterion: a field's local name (an `Egenskab` field, `GyldighedStatusKode` or
/// a relation such as `Virksomhed`) and the value asked for (UUIDs in lowercase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub field: String,
    pub value: String,
}

/// A parsed `SoegInput`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// `FoersteResultatReference`: how many hits to skip.
    pub offset: usize,
    /// `MaksimalAntalKvantitet`: the most hits to return.
    pub limit: Option<usize>,
    pub criteria: Vec<Criterion>,
}

/// Reads `LaesInput` (`single`) or `ListInput` from the operation element's bytes.
pub fn read(xml: &[u8], element: &str, single: bool) -> Result<Read, String> {
    let leaves = leaf_texts(xml).map_err(|e| format!("{element} kan ikke læses: {e}"))?;
    let mut uuids = Vec::new();
    let mut filters = Filters::default();
    for leaf in &leaves {
        let (head, tail) = leaf.path.split_once('/').unwrap_or((leaf.path, ""));
        let slot = match head {
            "UUIDIdentifikator" => {
                uuids.push(uuid(leaf.text, &format!("{element}/UUIDIdentifikator"))?);
                continue;
            }
            "VirkningFraFilter" => &mut filters.virkning_fra,
            "VirkningTilFilter" => &mut filters.virkning_til,
            "RegistreringFraFilter" => &mut filters.registrering_fra,
            "RegistreringTilFilter" => &mut filters.registrering_til,
            _ => continue,
        };
        *slot = Some(bound(head, tail, &leaf)?);
    }
    if uuids.is_empty() {
        return Err(format!(
            "{element}/UUIDIdentifikator mangler: angiv UUID'en på det objekt, der skal læses"
        ));
    }
    if single && uuids.len() > 1 {
        return Err(format!(
            "{element} har {} UUIDIdentifikator; laes læser ét objekt, list læser flere",
            uuids.len()
        ));
    }
    for (fra, til, name) in [
        (filters.virkning_fra, filters.virkning_til, "Virkning"),
        (filters.registrering_fra, filters.registrering_til, "Registrering"),
    ] {
        if let (Some(Bound::At(fra)), Some(Bound::At(til))) = (fra, til)
            && fra > til
        {
            return Err(format!("{name}FraFilter ({fra}) ligger efter {name}TilFilter ({til})"));
        }
    }
    Ok(Read { uuids, filters })
}

/// Reads `SoegInput` from the operation element's bytes. `SoegRegistrering`, `SoegVirkning`
/// and the `Virkning` of each criterion are read but do not narrow the search: every object
/// sfstub serves has one registration whose Virkning never ends.
pub fn search(xml: &[u8]) -> Result<Search, String> {
    let leaves = leaf_texts(xml).map_err(|e| format!("SoegInput kan ikke læses: {e}"))?;
    let mut search = Search::default();
    for leaf in &leaves {
        let parts: Vec<&str> = leaf.path.split('/').collect();
        let text = leaf.text;
        match parts.as_slice() {
            ["FoersteResultatReference"] => search.offset = count(text, "FoersteResultatReference")?,
            ["MaksimalAntalKvantitet"] => search.limit = Some(count(text, "MaksimalAntalKvantitet")?),
            ["AttributListe", "Egenskab", field] | ["TilstandListe", "Gyldighed", field @ "GyldighedStatusKode"]
                if !text.is_empty() =>
            {
                search.criteria.push(Criterion {
                    field: (*field).to_owned(),
                    value: text.to_owned(),
                });
            }
            ["RelationListe", relation, "ReferenceID", "UUIDIdentifikator"] => {
                let path = format!("SoegInput/RelationListe/{relation}/ReferenceID/UUIDIdentifikator");
                search.criteria.push(Criterion {
                    field: (*relation).to_owned(),
                    value: uuid(text, &path)?.to_string(),
                });
            }
            ["RelationListe", relation, "ReferenceID", "URNIdentifikator"] if !text.is_empty() => {
                // sfstub's objects have no URN relations: such a criterion matches nothing.
                search.criteria.push(Criterion {
                    field: (*relation).to_owned(),
                    value: format!("urn-reference:{text}"),
                });
            }
            _ => {}
        }
    }
    Ok(search)
}

/// A UUID in the form the schemas allow (`8-4-4-4-12` hexadecimal digits).
fn uuid(text: &str, path: &str) -> Result<Uuid, String> {
    let well_formed = text.len() == 36
        && text.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    match Uuid::parse_str(text) {
        Ok(u) if well_formed => Ok(u),
        _ if text.is_empty() => Err(format!("{path} er tom: angiv en UUID")),
        _ => Err(format!(
            "{path} {text:?} er ikke en UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
            text = clip(text)
        )),
    }
}

/// A non-negative integer (`FoersteResultatReference`, `MaksimalAntalKvantitet`).
fn count(text: &str, name: &str) -> Result<usize, String> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // Beyond usize::MAX is as good as unbounded.
        return Ok(digits.parse().unwrap_or(usize::MAX));
    }
    Err(format!(
        "{name} {text:?} er ikke et ikke-negativt heltal",
        text = clip(text)
    ))
}

/// A filter's bound from a leaf below it: `TidsstempelDatoTid` or `GraenseIndikator`.
fn bound(filter: &str, child: &str, leaf: &Leaf<'_>) -> Result<Bound, String> {
    let text = leaf.text;
    match child {
        "TidsstempelDatoTid" => date_time(text).map(Bound::At).ok_or_else(|| {
            format!(
                "{filter}/TidsstempelDatoTid {text:?} er ikke et tidspunkt (xs:dateTime, fx 2026-11-22T12:00:00+01:00)",
                text = clip(text)
            )
        }),
        "GraenseIndikator" if text == "true" || text == "1" => Ok(Bound::Open),
        "GraenseIndikator" => Err(format!(
            "{filter}/GraenseIndikator {text:?}: den eneste tilladte værdi er true",
            text = clip(text)
        )),
        _ => Err(format!(
            "{filter} skal indeholde TidsstempelDatoTid eller GraenseIndikator, ikke {}",
            if child.is_empty() { "ingenting" } else { child }
        )),
    }
}

/// An xs:dateTime; without a zone it is taken as UTC.
pub fn date_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// SQL `LIKE`-style matching, case-insensitive: `%` stands for any text (see
/// [`crate::services::like`], which searches compile once per request).
pub fn like(pattern: &str, text: &str) -> bool {
    crate::services::like::Like::new(pattern, true).matches(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_matches_with_wildcards_ignoring_case() {
        assert!(like("Aalborg Kommune", "aalborg kommune"));
        assert!(!like("Aalborg", "Aalborg Kommune"));
        assert!(like("Aal%", "Aalborg Kommune"));
        assert!(like("%kommune", "Aalborg Kommune"));
        assert!(like("%borg%", "Aalborg Kommune"));
        assert!(like("a%b%c", "abc"));
        assert!(!like("ab%ba", "aba"));
        assert!(like("%", ""));
    }

    #[test]
    fn filters_and_uuids_are_judged() {
        let ok = br#"<LaesInput><UUIDIdentifikator>0d1e8d3a-4b7a-5c1e-9a0b-0123456789ab</UUIDIdentifikator><VirkningTilFilter><GraenseIndikator>true</GraenseIndikator></VirkningTilFilter></LaesInput>"#;
        let r = read(ok, "LaesInput", true).unwrap();
        assert_eq!(r.filters.virkning_til, Some(Bound::Open));
        let bad =
            br#"<LaesInput><UUIDIdentifikator>{0d1e8d3a4b7a5c1e9a0b0123456789ab}</UUIDIdentifikator></LaesInput>"#;
        assert!(read(bad, "LaesInput", true).unwrap_err().contains("er ikke en UUID"));
        assert!(
            read(b"<LaesInput/>", "LaesInput", true)
                .unwrap_err()
                .contains("mangler")
        );
    }
}
