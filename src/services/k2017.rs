//! KOMBIT's 2017-generation ("K2017") conventions shared by its services:
//! `HovedOplysninger` in the request, `HovedOplysningerSvar` with `SvarReaktion/Fejl` in the
//! response, both in the kontekst namespace.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::clip::clip;
use crate::security::Guard;
use crate::soap::xml::{Leaves, escape, push_element};
use crate::soap::{Fault, SoapVersion};
use crate::world::Cvr;

/// The kontekst namespace of `HovedOplysninger` and `HovedOplysningerSvar`.
pub const KONTEKST_NS: &str = "http://kombit.dk/xml/schemas/kontekst/2017/01/01/";

/// sfstub's re-authored kontekst schema (`{{KONTEKST_NS}}` is the namespace), imported by the
/// XSDs of every K2017 service sfstub publishes.
pub const KONTEKST_XSD: &str = include_str!("k2017/Kontekst.xsd");

/// The request's `HovedOplysninger`: texts borrowed from the request's leaves
/// ([`HovedOplysninger::from_leaves`]) or owned ([`HovedOplysninger::into_owned`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HovedOplysninger<'a> {
    pub transaktions_id: Cow<'a, str>,
    pub transaktions_tid: Cow<'a, str>,
    /// `AuthorityContext/MunicipalityCVR`: the caller in the context security model.
    pub municipality_cvr: Option<Cow<'a, str>>,
}

/// A business error (`SvarReaktion/Fejl`): a stable id and a Danish text naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fejl {
    pub id: u32,
    pub tekst: String,
}

impl<'a> HovedOplysninger<'a> {
    /// Reads `HovedOplysninger` from the operation element's leaves. Missing or malformed
    /// transaction fields are a Sender fault: without them no valid answer can be written.
    /// A valid `AuthorityContext/MunicipalityCVR` is noted with `guard` first, so the request
    /// log names the caller even when the request is then refused.
    pub fn from_leaves(
        leaves: &'a Leaves,
        version: SoapVersion,
        guard: &Guard<'_>,
    ) -> Result<HovedOplysninger<'a>, Fault> {
        let get = |path: &str| leaves.text_of(path);
        // Noted as sent, trimmed: a valid CVR number is its eight digits.
        if let Some(cvr) = get("HovedOplysninger/AuthorityContext/MunicipalityCVR").filter(|t| Cvr::parse(t).is_ok()) {
            guard.note_claimed_caller(cvr.trim());
        }
        if !leaves.iter().any(|l| l.path.starts_with("HovedOplysninger/")) {
            return Err(Fault::sender(
                version,
                "the request has no HovedOplysninger (TransaktionsId, TransaktionsTid)",
            ));
        }
        let transaktions_id = match get("HovedOplysninger/TransaktionsId") {
            Some(id) if !id.is_empty() => Cow::Borrowed(id),
            _ => {
                return Err(Fault::sender(
                    version,
                    "HovedOplysninger/TransaktionsId is missing or empty",
                ));
            }
        };
        let transaktions_tid = match get("HovedOplysninger/TransaktionsTid") {
            Some(t) if is_xs_datetime(t) => Cow::Borrowed(t),
            Some(t) => {
                return Err(Fault::sender(
                    version,
                    format!(
                        "HovedOplysninger/TransaktionsTid {t:?} is not an xs:dateTime such as 2026-11-22T10:15:00Z",
                        t = clip(t)
                    ),
                ));
            }
            None => {
                return Err(Fault::sender(version, "HovedOplysninger/TransaktionsTid is missing"));
            }
        };
        Ok(HovedOplysninger {
            transaktions_id,
            transaktions_tid,
            municipality_cvr: get("HovedOplysninger/AuthorityContext/MunicipalityCVR").map(Cow::Borrowed),
        })
    }

    /// The same, owning its texts.
    pub fn into_owned(self) -> HovedOplysninger<'static> {
        HovedOplysninger {
            transaktions_id: Cow::Owned(self.transaktions_id.into_owned()),
            transaktions_tid: Cow::Owned(self.transaktions_tid.into_owned()),
            municipality_cvr: self.municipality_cvr.map(|c| Cow::Owned(c.into_owned())),
        }
    }
}

/// True for the lexical form of xs:dateTime: `YYYY-MM-DDThh:mm:ss(.s+)?` and an optional
/// `Z` or `±hh:mm` (24:00:00 allowed, as XML Schema allows it).
pub fn is_xs_datetime(text: &str) -> bool {
    // A byte scan rather than `split_once('T')`: on a text this short, the char pattern's
    // memchr costs more than it saves.
    let Some(t) = text.bytes().position(|b| b == b'T') else {
        return false;
    };
    let (date, rest) = (&text[..t], &text[t + 1..]);
    if parse_xs_date_part(date).is_none() || rest.len() < 8 {
        return false;
    }
    let (time, zone) = rest.split_at(8);
    let b = time.as_bytes();
    let two = |i: usize| {
        (b[i] as char)
            .to_digit(10)
            .zip((b[i + 1] as char).to_digit(10))
            .map(|(a, c)| a * 10 + c)
    };
    let (Some(h), Some(m), Some(s)) = (two(0), two(3), two(6)) else {
        return false;
    };
    if b[2] != b':' || b[5] != b':' || m > 59 || s > 59 || h > 24 || (h == 24 && (m, s) != (0, 0)) {
        return false;
    }
    let zone = match zone.strip_prefix('.') {
        Some(frac) => {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || (h == 24 && frac[..digits].bytes().any(|d| d != b'0')) {
                return false;
            }
            &frac[digits..]
        }
        None => zone,
    };
    is_xs_timezone(zone)
}

/// Reads an xs:date (`YYYY-MM-DD` with an optional `Z` or `±hh:mm`) and returns its date part.
pub fn parse_xs_date(text: &str) -> Option<NaiveDate> {
    let (date, zone) = (text.get(..10)?, text.get(10..)?);
    is_xs_timezone(zone).then_some(())?;
    parse_xs_date_part(date)
}

fn parse_xs_date_part(date: &str) -> Option<NaiveDate> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if !b
        .iter()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return None;
    }
    // Digits where the layout has them: read them as numbers (what parse_from_str with
    // "%Y-%m-%d" does here, at a fraction of its cost: every K2017 request has a date).
    let number = |digits: &[u8]| digits.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let year = i32::try_from(number(&b[..4])).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7]), number(&b[8..10]))
}

fn is_xs_timezone(zone: &str) -> bool {
    match zone.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) => {
            let hours = (h1 - b'0') * 10 + (h2 - b'0');
            let minutes = (m1 - b'0') * 10 + (m2 - b'0');
            minutes < 60 && (hours < 14 || (hours == 14 && minutes == 0))
        }
        _ => false,
    }
}

/// Reads the `HovedOplysninger` of the operation element `xml` (for an injected `Fejl`),
/// without noting a caller.
pub fn hoved_of(xml: &[u8], version: SoapVersion) -> Result<HovedOplysninger<'static>, Fault> {
    let leaves = crate::soap::xml::leaf_texts(xml).map_err(|e| Fault::sender(version, e))?;
    let get = |path: &str| leaves.iter().find(|l| l.path == path).map(|l| l.text.to_owned());
    match (
        get("HovedOplysninger/TransaktionsId"),
        get("HovedOplysninger/TransaktionsTid"),
    ) {
        (Some(id), Some(tid)) if !id.is_empty() && is_xs_datetime(&tid) => Ok(HovedOplysninger {
            transaktions_id: Cow::Owned(id),
            transaktions_tid: Cow::Owned(tid),
            municipality_cvr: get("HovedOplysninger/AuthorityContext/MunicipalityCVR").map(Cow::Owned),
        }),
        _ => Err(Fault::sender(
            version,
            "the request has no valid HovedOplysninger (TransaktionsId, TransaktionsTid) to answer with a Fejl",
        )),
    }
}

/// Writes `kontekst:HovedOplysningerSvar`, echoing the transaction and listing any errors.
/// The `kontekst` prefix must be declared by an enclosing element.
pub fn write_svar(out: &mut Vec<u8>, hoved: &HovedOplysninger<'_>, fejl: &[Fejl]) {
    out.extend_from_slice(b"<kontekst:HovedOplysningerSvar>");
    push_element(out, "kontekst:TransaktionsId", &hoved.transaktions_id);
    push_element(out, "kontekst:TransaktionsTid", &hoved.transaktions_tid);
    for f in fejl {
        out.extend_from_slice(b"<kontekst:SvarReaktion><kontekst:Fejl><kontekst:FejlId>");
        out.extend_from_slice(f.id.to_string().as_bytes());
        out.extend_from_slice(b"</kontekst:FejlId><kontekst:FejlTekst>");
        out.extend_from_slice(escape(&f.tekst).as_bytes());
        out.extend_from_slice(b"</kontekst:FejlTekst></kontekst:Fejl></kontekst:SvarReaktion>");
    }
    out.extend_from_slice(b"</kontekst:HovedOplysningerSvar>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_forms() {
        assert!(is_xs_datetime("2026-11-22T10:15:00Z"));
        assert!(is_xs_datetime("2026-11-22T10:15:00.123+01:00"));
        assert!(is_xs_datetime("2026-11-22T10:15:00"));
        assert!(is_xs_datetime("2026-11-22T24:00:00Z"));
        assert!(!is_xs_datetime("2026-11-22"));
        assert!(!is_xs_datetime("i går"));
        assert!(!is_xs_datetime("2026-11-22 12:58:03Z"), "space instead of T");
        assert!(!is_xs_datetime("2026-11-22t12:58:03z"), "lower case");
        assert!(!is_xs_datetime("2026-11-22T12:58:60Z"), "leap second");
        assert!(!is_xs_datetime("2026-11-22T12:58:03."), "empty fraction");
        assert!(!is_xs_datetime("2026-11-22T12:58:03+1:00"));
        assert!(!is_xs_datetime("2026-11-22T12:58:03+!!:00"), "no panic on non-digits");
        assert!(!is_xs_datetime("2026-1-22T12:58:03Z"));
    }

    #[test]
    fn date_forms() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20);
        assert_eq!(parse_xs_date("2026-11-20"), d);
        assert_eq!(parse_xs_date("2026-11-20Z"), d);
        assert_eq!(parse_xs_date("2026-11-20+01:00"), d);
        assert_eq!(parse_xs_date("2026-1-5"), None);
        assert_eq!(parse_xs_date("2026-02-30"), None);
        assert_eq!(parse_xs_date("2026-11-20T00:00:00"), None);
    }

    #[test]
    fn a_date_is_read_as_chrono_reads_it() {
        for year in ["0000", "0001", "1900", "2000", "2024", "2026", "2100", "9999"] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let date = format!("{year}-{month:02}-{day:02}");
                    let chrono = NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok();
                    assert_eq!(parse_xs_date_part(&date), chrono, "{date}");
                }
            }
        }
    }
}
