//! Writing `PersonLookupResponse` (the `ServiceplatformFault` detail is the generation's:
//! [`crate::services::serviceplatformen`]).
//!
//! Element order follows `PersonBaseDataExtendedServiceTypes.xsd` (v4). Dates carry the
//! Danish UTC offset of the day (`1980-07-15+02:00`, times `…T00:00:00.000+02:00`), the way
//! the platform's Java stack writes them and the way clients parse them (ITK's PHP client
//! reads `foedselsdato` with `Y-m-dP` and dateTimes as RFC 3339 with milliseconds).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::registry::{Record, Registry, age_at};
use crate::soap::xml::{escape, push_element};
use crate::world::{AuthorityId, CitizenId, World};

/// CPR's country code of Denmark (statsborgerskab/landekode).
pub const DENMARK: &str = "5100";

/// Writes the response for one citizen, as of `today` (for ages and custody).
pub fn person_lookup_response(
    out: &mut Vec<u8>,
    namespace: &str,
    world: &World,
    registry: &Registry,
    id: CitizenId,
    today: NaiveDate,
) {
    let (Some(citizen), Some(record)) = (world.citizens.get(id as usize), registry.get(id)) else {
        return;
    };
    let cpr = citizen.cpr.to_string();
    let under_18 = |c: &CitizenId| registry.get(*c).is_some_and(|r| age_at(r.born, today) < 18);
    let cpr_of = |c: CitizenId| world.citizens.get(c as usize).map(|c| c.cpr.to_string());

    open(out, "PersonLookupResponse", Some(namespace));
    open(out, "persondata", None);
    push_element(out, "personnummer", &cpr);
    push_element(out, "gaeldendePersonnummer", &cpr);
    open(out, "navn", None);
    push_element(out, "personadresseringsnavn", &citizen.name());
    push_element(out, "fornavn", &citizen.first_name);
    push_element(out, "efternavn", &citizen.last_name);
    dato_tid(out, "navnestartdato", record.born);
    close(out, "navn");
    dato(out, "foedselsdato", record.born);
    push_element(out, "alder", &age_at(record.born, today).to_string());
    push_element(out, "koen", if citizen.cpr.is_female() { "K" } else { "M" });
    let minors = record.children.iter().filter(|c| under_18(c)).count();
    push_element(out, "antalBoernUnder18", &minors.to_string());
    open(out, "status", None);
    push_element(out, "status", "1");
    dato_tid(out, "statusdato", record.address.moved_in);
    close(out, "status");
    open(out, "civilstand", None);
    push_element(out, "civilstand", record.civilstand.code());
    if let Some(since) = record.civilstand_since {
        dato_tid(out, "civilstandsdato", since);
    }
    close(out, "civilstand");
    open(out, "statsborgerskab", None);
    push_element(out, "landekode", DENMARK);
    dato_tid(out, "statsborgerskabDato", record.born);
    close(out, "statsborgerskab");
    for protection in [
        "adressebeskyttelse",
        "vejviserbeskyttelse",
        "markedsfoeringsbeskyttelse",
    ] {
        open(out, protection, None);
        push_element(out, "beskyttet", "false");
        close(out, protection);
    }
    push_element(out, "tilmeldtNemsms", bool_text(record.nemsms));
    push_element(out, "tilmeldtDigitalpost", bool_text(record.digital_post));
    close(out, "persondata");

    address(out, world, citizen.kommune, &citizen.name(), record);

    open(out, "relationer", None);
    relation(out, "aegtefaelle", record.spouse.and_then(cpr_of));
    for child in &record.children {
        relation(out, "barn", cpr_of(*child));
    }
    relation(out, "mor", record.mother.and_then(cpr_of));
    relation(out, "far", record.father.and_then(cpr_of));
    if age_at(record.born, today) < 18 {
        for (kind, parent) in [("3", record.mother), ("4", record.father)] {
            if parent.is_some() {
                open(out, "foraeldremyndighed", None);
                push_element(out, "foraeldremyndighedtype", kind);
                dato(out, "foraeldremyndighedStartdato", record.born);
                close(out, "foraeldremyndighed");
            }
        }
    }
    close(out, "relationer");
    close(out, "PersonLookupResponse");
}

fn address(out: &mut Vec<u8>, world: &World, kommune: AuthorityId, name: &str, record: &Record) {
    let a = &record.address;
    let authority = world.authority(kommune);
    open(out, "adresse", None);
    open(out, "aktuelAdresse", None);
    push_element(out, "kommuneCvr", &authority.cvr.to_string());
    if let Some(code) = &authority.kommunekode {
        push_element(out, "kommunekode", code);
    }
    push_element(out, "vejkode", &a.vejkode.to_string());
    push_element(out, "husnummer", &format!("{:03}", a.husnummer));
    if let Some(etage) = a.etage_text() {
        push_element(out, "etage", &etage);
    }
    if let Some(door) = a.sidedoer {
        push_element(out, "sidedoer", door.code());
    }
    if let Some((postnummer, town)) = a.postnummer_and_town() {
        push_element(out, "bynavn", town);
        push_element(out, "postnummer", postnummer);
        push_element(out, "postdistrikt", town);
    }
    push_element(out, "vejnavn", a.vejnavn());
    push_element(out, "standardadresse", &a.standard());
    push_element(out, "adresseringsnavn", name);
    push_element(out, "vejadresseringsnavn", a.vejnavn());
    dato_tid(out, "tilflytningsdato", a.moved_in);
    close(out, "aktuelAdresse");
    close(out, "adresse");
}

fn relation(out: &mut Vec<u8>, element: &str, cpr: Option<String>) {
    if let Some(cpr) = cpr {
        open(out, element, None);
        push_element(out, "personnummer", &cpr);
        close(out, element);
    }
}

fn open(out: &mut Vec<u8>, name: &str, namespace: Option<&str>) {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    if let Some(ns) = namespace {
        out.extend_from_slice(b" xmlns=\"");
        out.extend_from_slice(escape(ns).as_bytes());
        out.push(b'"');
    }
    out.push(b'>');
}

fn close(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// `<element><dato>1980-07-15+02:00</dato></element>` (usikkerhedDatoType).
fn dato(out: &mut Vec<u8>, element: &str, d: NaiveDate) {
    open(out, element, None);
    push_element(out, "dato", &xs_date(d));
    close(out, element);
}

/// `<element><dato>1980-07-15T00:00:00.000+02:00</dato></element>` (usikkerhedDatoTidType).
fn dato_tid(out: &mut Vec<u8>, element: &str, d: NaiveDate) {
    open(out, element, None);
    push_element(out, "dato", &xs_date_time(d));
    close(out, element);
}

/// An `xs:date` with the Danish offset of that day.
pub fn xs_date(d: NaiveDate) -> String {
    format!("{d}{}", danish_offset(d))
}

/// Midnight of a day as an `xs:dateTime` with milliseconds and the Danish offset.
pub fn xs_date_time(d: NaiveDate) -> String {
    format!("{d}T00:00:00.000{}", danish_offset(d))
}

/// Denmark's UTC offset at midnight of a day: summer time (+02:00) from 1980, between the
/// last Sundays of March and September (from 1996: October); +01:00 otherwise. The summer
/// times of the 1910s and 1940s are ignored.
pub fn danish_offset(d: NaiveDate) -> &'static str {
    let year = d.year();
    if year < 1980 {
        return "+01:00";
    }
    let (Some(start), Some(end)) = (
        last_sunday(year, 3),
        last_sunday(year, if year <= 1995 { 9 } else { 10 }),
    ) else {
        return "+01:00";
    };
    // The clocks change at 02:00 (01:00 UTC): midnight of the changing day is still the old time.
    if d > start && d <= end { "+02:00" } else { "+01:00" }
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = next - Duration::days(1);
    let back = i64::from(last.weekday().num_days_from_sunday());
    let sunday = last - Duration::days(back);
    (sunday.weekday() == Weekday::Sun).then_some(sunday)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_offsets_follow_summer_time() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(danish_offset(d(1975, 7, 1)), "+01:00");
        assert_eq!(danish_offset(d(1980, 7, 15)), "+02:00");
        assert_eq!(
            danish_offset(d(1990, 10, 15)),
            "+01:00",
            "until 1995 summer time ended in September"
        );
        assert_eq!(danish_offset(d(2026, 3, 29)), "+01:00", "midnight before the change");
        assert_eq!(danish_offset(d(2026, 3, 30)), "+02:00");
        assert_eq!(danish_offset(d(2026, 10, 25)), "+02:00");
        assert_eq!(danish_offset(d(2026, 10, 26)), "+01:00");
        assert_eq!(xs_date_time(d(2026, 1, 2)), "2026-01-02T00:00:00.000+01:00");
    }
}
