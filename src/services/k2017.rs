//! KOMBIT's 2017-generation ("K2017") conventions shared by its services:
//! `HovedOplysninger` in the request, `HovedOplysningerSvar` with `SvarReaktion/Fejl` in the
//! response, both in the kontekst namespace.

use chrono::{DateTime, NaiveDateTime};

use crate::soap::xml::{Leaf, escape, push_element};
use crate::soap::{Fault, SoapVersion};

/// The kontekst namespace of `HovedOplysninger` and `HovedOplysningerSvar`.
pub const KONTEKST_NS: &str = "http://kombit.dk/xml/schemas/kontekst/2017/01/01/";

/// The request's `HovedOplysninger`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HovedOplysninger {
    pub transaktions_id: String,
    pub transaktions_tid: String,
    /// `AuthorityContext/MunicipalityCVR`: the caller in the context security model.
    pub municipality_cvr: Option<String>,
}

/// A business error (`SvarReaktion/Fejl`): a stable id and a Danish text naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fejl {
    pub id: u32,
    pub tekst: String,
}

impl HovedOplysninger {
    /// Reads `HovedOplysninger` from the operation element's leaves. Missing or malformed
    /// transaction fields are a Sender fault: without them no valid answer can be written.
    pub fn from_leaves(leaves: &[Leaf], version: SoapVersion) -> Result<HovedOplysninger, Fault> {
        let get = |path: &str| leaves.iter().find(|l| l.path == path).map(|l| l.text.as_str());
        if !leaves.iter().any(|l| l.path.starts_with("HovedOplysninger/")) {
            return Err(Fault::sender(
                version,
                "the request has no HovedOplysninger (TransaktionsId, TransaktionsTid)",
            ));
        }
        let transaktions_id = match get("HovedOplysninger/TransaktionsId") {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => {
                return Err(Fault::sender(
                    version,
                    "HovedOplysninger/TransaktionsId is missing or empty",
                ));
            }
        };
        let transaktions_tid = match get("HovedOplysninger/TransaktionsTid") {
            Some(t) if is_xs_datetime(t) => t.to_owned(),
            Some(t) => {
                return Err(Fault::sender(
                    version,
                    format!(
                        "HovedOplysninger/TransaktionsTid {t:?} is not an xs:dateTime such as 2026-11-22T10:15:00Z"
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
            municipality_cvr: get("HovedOplysninger/AuthorityContext/MunicipalityCVR").map(str::to_owned),
        })
    }
}

/// True for the lexical form of xs:dateTime.
pub fn is_xs_datetime(text: &str) -> bool {
    DateTime::parse_from_rfc3339(text).is_ok() || NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

/// Writes `kontekst:HovedOplysningerSvar`, echoing the transaction and listing any errors.
/// The `kontekst` prefix must be declared by an enclosing element.
pub fn write_svar(out: &mut Vec<u8>, hoved: &HovedOplysninger, fejl: &[Fejl]) {
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
        assert!(!is_xs_datetime("2026-11-22"));
        assert!(!is_xs_datetime("i går"));
    }
}
