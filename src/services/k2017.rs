//! KOMBIT's 2017-generation ("K2017") conventions shared by its services:
//! `HovedOplysninger` in the request, `HovedOplysningerSvar` with `SvarReaktion/Fejl` in the
//! response, both in the kontekst namespace.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::clip::clip;
use crate::security::Guard;
use crate::soap::xml::{Leaves, escape};
use crate::soap::{Fault, SoapVersion};
use crate::world::Cvr;
use crate::xsd::{is_xs_datetime, is_xs_timezone};

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
        let mut hoved = HovedLeaves::default();
        for leaf in leaves {
            hoved.take(leaf.path, leaf.text);
        }
        hoved.read(version, guard)
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

/// What `HovedOplysninger` needs of the operation element's leaves, collected in the one
/// pass a service makes over them for all its fields ([`HovedLeaves::take`]); a lookup of
/// each field by its whole path cost ~500 instructions a request (callgrind on
/// examples/request_cost).
#[derive(Debug, Default)]
pub struct HovedLeaves<'a> {
    /// A leaf under `HovedOplysninger/` was seen.
    any: bool,
    /// The first leaf's text at each path.
    transaktions_id: Option<&'a str>,
    transaktions_tid: Option<&'a str>,
    municipality_cvr: Option<&'a str>,
}

impl<'a> HovedLeaves<'a> {
    /// What [`HovedLeaves::take`] collects, found otherwise: whether a leaf under
    /// `HovedOplysninger` was seen, and the first leaf's text at `TransaktionsId`,
    /// `TransaktionsTid` and `AuthorityContext/MunicipalityCVR` (under `HovedOplysninger`).
    pub fn of(
        any: bool,
        [transaktions_id, transaktions_tid, municipality_cvr]: [Option<&'a str>; 3],
    ) -> HovedLeaves<'a> {
        HovedLeaves {
            any,
            transaktions_id,
            transaktions_tid,
            municipality_cvr,
        }
    }

    /// Takes the leaf at `path` (relative to the operation element) when it is under
    /// `HovedOplysninger`: true when it is, and no other field can be at that path.
    pub fn take(&mut self, path: &str, text: &'a str) -> bool {
        // Whole paths: their lengths tell most of them apart without reading a byte.
        let field = match path {
            "HovedOplysninger/TransaktionsId" => &mut self.transaktions_id,
            "HovedOplysninger/TransaktionsTid" => &mut self.transaktions_tid,
            "HovedOplysninger/AuthorityContext/MunicipalityCVR" => &mut self.municipality_cvr,
            _ => {
                let under = path.starts_with("HovedOplysninger/");
                self.any |= under;
                return under;
            }
        };
        self.any = true;
        field.get_or_insert(text);
        true
    }

    /// Judges what was taken as [`HovedOplysninger::from_leaves`] says.
    pub fn read(self, version: SoapVersion, guard: &Guard<'_>) -> Result<HovedOplysninger<'a>, Fault> {
        // Noted as sent, trimmed: a valid CVR number is its eight digits.
        if let Some(text) = self.municipality_cvr
            && let Ok(cvr) = Cvr::parse(text)
        {
            guard.note_claimed_cvr(crate::clip::trim(text), cvr);
        }
        if !self.any {
            return Err(Fault::sender(
                version,
                "the request has no HovedOplysninger (TransaktionsId, TransaktionsTid)",
            ));
        }
        let transaktions_id = match self.transaktions_id {
            Some(id) if !id.is_empty() => Cow::Borrowed(id),
            _ => {
                return Err(Fault::sender(
                    version,
                    "HovedOplysninger/TransaktionsId is missing or empty",
                ));
            }
        };
        let transaktions_tid = match self.transaktions_tid {
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
            municipality_cvr: self.municipality_cvr.map(Cow::Borrowed),
        })
    }
}

/// Reads an xs:date (`YYYY-MM-DD` with an optional `Z` or `±hh:mm`) and returns its date part.
pub fn parse_xs_date(text: &str) -> Option<NaiveDate> {
    let (date, zone) = text.as_bytes().split_at_checked(10)?;
    is_xs_timezone(zone).then_some(())?;
    let (year, month, day) = xs_date_part(date)?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The year, month and day of `YYYY-MM-DD`, as numbers (not judged as a date).
fn xs_date_part(date: &[u8]) -> Option<(i32, u32, u32)> {
    let &[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = date else {
        return None;
    };
    if ![y1, y2, y3, y4, m1, m2, d1, d2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Digits where the layout has them: read them as numbers (what parse_from_str with
    // "%Y-%m-%d" does here, at a fraction of its cost: every K2017 request has a date).
    let two = |high: u8, low: u8| u32::from(high - b'0') * 10 + u32::from(low - b'0');
    let year = i32::try_from(two(y1, y2) * 100 + two(y3, y4)).ok()?;
    Some((year, two(m1, m2), two(d1, d2)))
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
    write_svar_transaktion(out, hoved);
    for f in fejl {
        out.extend_from_slice(b"<kontekst:SvarReaktion><kontekst:Fejl><kontekst:FejlId>");
        out.extend_from_slice(f.id.to_string().as_bytes());
        out.extend_from_slice(b"</kontekst:FejlId><kontekst:FejlTekst>");
        push_text(out, &f.tekst);
        out.extend_from_slice(b"</kontekst:FejlTekst></kontekst:Fejl></kontekst:SvarReaktion>");
    }
    out.extend_from_slice(b"</kontekst:HovedOplysningerSvar>");
}

/// Writes the start of `kontekst:HovedOplysningerSvar`: its start tag and the transaction it
/// echoes. An answer without errors ends it (`</kontekst:HovedOplysningerSvar>`) in one
/// constant with what follows it (a write of its own cost ~25 instructions; callgrind on
/// examples/request_cost).
pub fn write_svar_transaktion(out: &mut Vec<u8>, hoved: &HovedOplysninger<'_>) {
    write_svar_transaktion_between(
        out,
        SVAR_TRANSAKTION_START,
        &hoved.transaktions_id,
        &hoved.transaktions_tid,
        SVAR_TRANSAKTION_END,
    );
}

// The tags as whole constants (written by `push_element`, a name at a time, they cost ~250
// instructions an answer; callgrind on examples/request_cost).
/// What [`write_svar_transaktion`] writes before the transaction's id.
pub const SVAR_TRANSAKTION_START: &[u8] = b"<kontekst:HovedOplysningerSvar><kontekst:TransaktionsId>";
/// What [`write_svar_transaktion`] writes between the transaction's id and time.
const BETWEEN: &[u8] = b"</kontekst:TransaktionsId><kontekst:TransaktionsTid>";
/// What [`write_svar_transaktion`] writes after the transaction's time.
pub const SVAR_TRANSAKTION_END: &[u8] = b"</kontekst:TransaktionsTid>";

/// Writes `head`, which ends with [`SVAR_TRANSAKTION_START`], the transaction's id and time as
/// [`write_svar_transaktion`] writes them after that, and `rest`, which starts with
/// [`SVAR_TRANSAKTION_END`]: for an answer whose other parts were written before. In room made
/// once when neither text has anything to escape (a transaction's id nearly always; its time
/// when it is an xs:dateTime, [`is_xs_datetime`]).
pub fn write_svar_transaktion_between(
    out: &mut Vec<u8>,
    head: &[u8],
    transaktions_id: &str,
    transaktions_tid: &str,
    rest: &[u8],
) {
    let (id, tid) = (transaktions_id.as_bytes(), transaktions_tid.as_bytes());
    // Both texts judged plain at once and the room made once (a call of `push_text` for each
    // cost ~50 instructions more; callgrind on examples/request_cost).
    if plain(id) && plain(tid) {
        out.reserve(head.len() + id.len() + BETWEEN.len() + tid.len() + rest.len());
        for part in [head, id, BETWEEN, tid, rest] {
            out.extend_from_slice(part);
        }
        return;
    }
    out.extend_from_slice(head);
    push_text(out, transaktions_id);
    out.extend_from_slice(BETWEEN);
    push_text(out, transaktions_tid);
    out.extend_from_slice(rest);
}

/// Appends `text` escaped, as [`escape`] escapes it. A text with nothing to escape (a
/// transaction's id and time nearly always) is found so eight bytes at a time ([`plain`]),
/// where `escape`'s two `memchr3` scans cost ~150 instructions on a short text and a pass a
/// byte at a time ~130 (callgrind on examples/request_cost).
pub fn push_text(out: &mut Vec<u8>, text: &str) {
    match plain(text.as_bytes()) {
        true => out.extend_from_slice(text.as_bytes()),
        false => out.extend_from_slice(escape(text).as_bytes()),
    }
}

/// True when no byte of `text` is one [`escape`] replaces, judged by a wider class: every
/// byte is 0x28 or above and none is in 0x3C..=0x3F (`"&'` and CR are below, `<>` in that
/// range). A text outside the class with nothing to escape (one with a space, say) takes
/// `escape`'s way, which leaves it as it is.
fn plain(text: &[u8]) -> bool {
    use crate::soap::scan::{below, equal, word};
    // A high bit for each byte below 0x28 (bytes of 0x80 and up, not ASCII, are not) or in
    // 0x3C..=0x3F.
    let flags = |w: u64| below(w, 0x28) | equal(w & u64::from_ne_bytes([0xFC; 8]), 0x3C);
    let Some(last) = text.last_chunk::<8>() else {
        return text.iter().all(|&b| b >= 0x28 && b & 0xFC != 0x3C);
    };
    // The last eight bytes as one word (overlapping the ones before it): no byte is left over.
    // Whole words by `chunks_exact`, their flags gathered without a branch (words taken by
    // checked slicing cost ~40 instructions a text more; callgrind on examples/request_cost).
    let mut flagged = flags(u64::from_le_bytes(*last));
    for chunk in text.chunks_exact(8) {
        flagged |= flags(word(chunk));
    }
    flagged == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts `push_text` is tried on: every character `escape` treats specially, alone, at
    /// either end, in the middle, repeated and mixed with non-ASCII text.
    fn texts() -> Vec<String> {
        let mut texts = vec![
            String::new(),
            "6f1c1a4e-1111-4c1e-9a53-0d6f5f0c2a11".into(),
            "2026-11-22T10:15:00Z".into(),
            "Kalderen (Næstved Kommune) har ikke adgang".into(),
        ];
        for special in ["<", ">", "&", "'", "\"", "\r", "\r\n", "&amp;", "]]>"] {
            for text in [
                special.to_owned(),
                format!("{special}id"),
                format!("id{special}"),
                format!("6f1c1a4e-1111-4c1e{special}9a53-0d6f5f0c2a11ø"),
                format!("{special}{special} æ {special}"),
            ] {
                texts.push(text);
            }
        }
        texts
    }

    #[test]
    fn a_claimed_cvr_number_stands_only_for_its_own_digits() {
        let app = crate::app::App::new(crate::scenario::Scenario::builtin(), crate::app::Limits::default());
        crate::http::with_context(&app, |ctx| {
            let udk = Cvr::parse("64942212").expect("UDK's CVR number");
            ctx.guard.note_claimed_cvr("64942212", udk);
            let presented = crate::security::Presented::default();
            let entity = crate::services::sf1472_kontrolsag::ENTITY_ID;
            let caller = |text: &str| ctx.guard.caller(SoapVersion::V12, &presented, Some(text), entity);
            assert_eq!(caller(" 64942212\n").map(|c| c.cvr).ok(), Some(udk));
            let fault = caller("6494221").expect_err("seven digits");
            assert!(fault.reason.contains("is not a valid CVR number"), "{}", fault.reason);
            let other = ctx
                .world
                .authorities
                .iter()
                .map(|a| a.cvr)
                .find(|&c| c != udk)
                .expect("another authority");
            if let Ok(c) = caller(&other.text()) {
                assert_eq!(c.cvr, other);
            }
        });
    }

    #[test]
    fn push_text_writes_what_escape_writes() {
        for text in texts() {
            let mut out = b"<x>".to_vec();
            push_text(&mut out, &text);
            assert_eq!(out, [b"<x>", escape(&text).as_bytes()].concat(), "{text:?}");
        }
    }

    #[test]
    fn plain_is_exactly_its_class_for_any_ascii_byte_anywhere() {
        for len in 1..=24 {
            for at in 0..len {
                for byte in 0..0x80u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    let expected = byte >= 0x28 && !(0x3C..=0x3F).contains(&byte);
                    assert_eq!(plain(&text), expected, "{byte:#x} at {at} of {len}");
                    let text = String::from_utf8(text).expect("ASCII");
                    let mut out = Vec::new();
                    push_text(&mut out, &text);
                    assert_eq!(out, escape(&text).as_bytes(), "{text:?}");
                }
            }
        }
        assert!(plain("æøåNæstvedÆØÅ".as_bytes()));
        assert!(!plain(b"Kalderen har ikke adgang"), "a space is outside the class");
        assert!(plain(b""));
    }

    proptest::proptest! {
        #[test]
        fn push_text_writes_what_escape_writes_for_any_text(text in "[<>&'\"\r\na-z0-9ø-]{0,40}|\\PC{0,20}") {
            let mut out = Vec::new();
            push_text(&mut out, &text);
            let escaped = escape(&text);
            proptest::prop_assert_eq!(out, escaped.as_bytes());
        }
    }

    /// What `write_svar` wrote before its tags were constants, for comparing with.
    fn write_svar_by_element(out: &mut Vec<u8>, hoved: &HovedOplysninger<'_>, fejl: &[Fejl]) {
        use crate::soap::xml::push_element;
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

    #[test]
    fn svar_is_written_as_by_element() {
        let texts = texts();
        for (i, text) in texts.iter().enumerate() {
            let hoved = HovedOplysninger {
                transaktions_id: Cow::Borrowed(text),
                transaktions_tid: Cow::Borrowed(&texts[(i + 1) % texts.len()]),
                municipality_cvr: None,
            };
            let fejl: Vec<Fejl> = (0..i % 3)
                .map(|n| Fejl {
                    id: 1001 + n as u32,
                    tekst: texts[(i + n + 2) % texts.len()].clone(),
                })
                .collect();
            let (mut new, mut old) = (Vec::new(), Vec::new());
            write_svar(&mut new, &hoved, &fejl);
            write_svar_by_element(&mut old, &hoved, &fejl);
            assert_eq!(String::from_utf8_lossy(&new), String::from_utf8_lossy(&old), "{text:?}");
        }
    }

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

    /// The date of `YYYY-MM-DD` as chrono makes it (what `is_xs_datetime` judged by before it
    /// asked `world::is_date`).
    fn parse_xs_date_part(date: &[u8]) -> Option<NaiveDate> {
        let (year, month, day) = xs_date_part(date)?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// `is_xs_datetime` as it was written before it read bytes in place: the oracle the
    /// byte reading is compared with (on ASCII text; it cannot split other text at 8).
    fn is_xs_datetime_by_parts(text: &str) -> bool {
        let Some(t) = text.bytes().position(|b| b == b'T') else {
            return false;
        };
        let (date, rest) = (&text[..t], &text[t + 1..]);
        if parse_xs_date_part(date.as_bytes()).is_none() || rest.len() < 8 {
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
        is_xs_timezone(zone.as_bytes())
    }

    proptest::proptest! {
        #[test]
        fn a_datetime_is_judged_as_by_parts(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,3})?(Z|[+-][0-9]{2}:[0-9]{2})?",
            edit in proptest::option::of((0usize..40, "[0-9:.TZ+-]|[0-9]{0,2}")),
        ) {
            let text = match edit {
                Some((at, with)) if at <= text.len() => format!("{}{with}{}", &text[..at], &text[at..]),
                _ => text,
            };
            proptest::prop_assert_eq!(is_xs_datetime(&text), is_xs_datetime_by_parts(&text), "{}", text);
        }

        #[test]
        fn any_ascii_datetime_is_judged_as_by_parts(text in "[ -~]{0,32}") {
            proptest::prop_assert_eq!(is_xs_datetime(&text), is_xs_datetime_by_parts(&text));
        }
    }

    proptest::proptest! {
        /// An xs:dateTime has nothing to escape: a valid time takes `write_svar_transaktion_between`'s
        /// one-reserve way.
        #[test]
        fn a_datetime_is_plain(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,3})?(Z|[+-][0-9]{2}:[0-9]{2})?|[ -~]{0,32}",
        ) {
            if is_xs_datetime(&text) {
                proptest::prop_assert!(plain(text.as_bytes()), "{}", text);
            }
        }
    }

    #[test]
    fn svar_between_parts_is_svar_transaktion_between_them() {
        let texts = texts();
        for (i, id) in texts.iter().enumerate() {
            for tid in [
                "2026-11-22T10:15:00Z",
                "2026-11-22T10:15:00.123+01:00",
                "2026-11-22T24:00:00",
                "i går & <i morgen>",
            ] {
                let head = [b"<x>".as_slice(), SVAR_TRANSAKTION_START].concat();
                let tail = &texts[(i + 1) % texts.len()];
                let rest = [SVAR_TRANSAKTION_END, tail.as_bytes()].concat();
                // Written out, each text escaped as the XML writer escapes it.
                let expected = format!(
                    "<x><kontekst:HovedOplysningerSvar><kontekst:TransaktionsId>{}</kontekst:TransaktionsId><kontekst:TransaktionsTid>{}</kontekst:TransaktionsTid>{tail}",
                    crate::soap::xml::escape(id),
                    crate::soap::xml::escape(tid)
                );
                let mut out = Vec::new();
                write_svar_transaktion_between(&mut out, &head, id, tid, &rest);
                assert_eq!(String::from_utf8_lossy(&out), expected, "{id:?} {tid:?}");
            }
        }
    }

    #[test]
    fn a_datetime_with_other_characters_is_refused_without_a_panic() {
        for text in [
            "2026-11-22T10:15:0ø",
            "2026-11-22T10:15:00ø",
            "2026-11-22T1ø:15:00Z",
            "2026-11-2ø10:15:00Z",
            "ø",
        ] {
            assert!(!is_xs_datetime(text), "{text}");
        }
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
                    assert_eq!(parse_xs_date_part(date.as_bytes()), chrono, "{date}");
                    let is_date = xs_date_part(date.as_bytes()).is_some_and(|(y, m, d)| crate::world::is_date(y, m, d));
                    assert_eq!(is_date, chrono.is_some(), "{date}");
                }
            }
        }
    }
}
