//! The date, time and duration lexical spaces of XML Schema, and the order of date/time
//! values (timezones normalised), as used by [`super::builtin`].

use std::cmp::Ordering;

pub(super) fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// The value of two ASCII digits (checked by the caller).
fn two_digits(s: &str) -> u32 {
    let b = s.as_bytes();
    u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0')
}

pub(super) fn month_ok(m: &str) -> bool {
    digits(m, 2) && (1..=12).contains(&two_digits(m))
}

pub(super) fn day_ok(d: &str, max: u32) -> bool {
    digits(d, 2) && (1..=max).contains(&two_digits(d))
}

/// `v` split around its last `-` (found byte-wise: a `-` is never part of a longer character).
fn rsplit_dash(v: &str) -> Option<(&str, &str)> {
    let i = v.bytes().rposition(|b| b == b'-')?;
    Some((&v[..i], &v[i + 1..]))
}

/// Splits an optional timezone (`Z`, `+hh:mm`, `-hh:mm`) off the end.
pub(super) fn split_tz(v: &str) -> Option<(&str, Option<&str>)> {
    if !v.is_ascii() {
        return None; // date and time values are ASCII; this also keeps the slicing below on char boundaries
    }
    if let Some(rest) = v.strip_suffix('Z') {
        return Some((rest, Some("Z")));
    }
    if v.len() >= 6 {
        let (head, tz) = v.split_at(v.len() - 6);
        let b = tz.as_bytes();
        if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
            let hh: u32 = tz[1..3].parse().ok()?;
            let mm: u32 = tz[4..6].parse().ok()?;
            if !digits(&tz[1..3], 2) || !digits(&tz[4..6], 2) || hh > 14 || mm > 59 || (hh == 14 && mm != 0) {
                return None;
            }
            return Some((head, Some(tz)));
        }
    }
    Some((v, None))
}

pub(super) fn is_year(y: &str) -> bool {
    let y = y.strip_prefix('-').unwrap_or(y);
    y.len() >= 4 && y.bytes().all(|b| b.is_ascii_digit()) && !(y.len() > 4 && y.starts_with('0')) && y != "0000"
}

pub(super) fn leap(year: &str) -> bool {
    let y: i64 = year.trim_start_matches('-').parse().unwrap_or(1);
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(super) fn is_year_month(v: &str) -> bool {
    match rsplit_dash(v) {
        Some((y, m)) => is_year(y) && month_ok(m),
        None => false,
    }
}

pub(super) fn is_date(v: &str) -> bool {
    // The usual `YYYY-MM-DD` in place: the pieces the general split below finds in it.
    let b = v.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit())
    {
        return date_ok(&v[..4], &v[5..7], &v[8..]);
    }
    is_date_split(v)
}

/// [`is_date`] for any shape: split at the last two `-`.
fn is_date_split(v: &str) -> bool {
    let Some((ym, d)) = rsplit_dash(v) else {
        return false;
    };
    let Some((y, m)) = rsplit_dash(ym) else {
        return false;
    };
    date_ok(y, m, d)
}

/// Whether year `y`, month `m` and day `d` (as written) make a date.
fn date_ok(y: &str, m: &str, d: &str) -> bool {
    if !is_year(y) || !month_ok(m) || !digits(d, 2) {
        return false;
    }
    let max = match m {
        "02" if leap(y) => 29,
        "02" => 28,
        "04" | "06" | "09" | "11" => 30,
        _ => 31,
    };
    day_ok(d, max)
}

pub(super) fn is_month_day(v: &str) -> bool {
    v.len() == 7 && v.starts_with("--") && &v[4..5] == "-" && month_ok(&v[2..4]) && {
        let max = match &v[2..4] {
            "02" => 29,
            "04" | "06" | "09" | "11" => 30,
            _ => 31,
        };
        day_ok(&v[5..7], max)
    }
}

pub(super) fn is_time(t: &str) -> bool {
    let (hms, frac) = match t.bytes().position(|b| b == b'.') {
        Some(i) => (&t[..i], &t[i + 1..]),
        None => (t, ""),
    };
    if hms.len() != t.len() && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let b = hms.as_bytes();
    if hms.len() != 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (h, m, s) = (&hms[0..2], &hms[3..5], &hms[6..8]);
    if !digits(h, 2) || !digits(m, 2) || !digits(s, 2) {
        return false;
    }
    let (h, m, s) = (two_digits(h), two_digits(m), two_digits(s));
    (h < 24 && m < 60 && s < 60) || (h == 24 && m == 0 && s == 0 && frac.bytes().all(|b| b == b'0'))
}

pub(super) fn is_time_tz(v: &str) -> bool {
    split_tz(v).is_some_and(|(t, _)| is_time(t))
}

pub(super) fn is_date_time(v: &str) -> bool {
    // The usual form, `YYYY-MM-DDThh:mm…` with a year of four digits: judged as K2017 judges
    // its TransaktionsTid, the two words of `YYYY-MM-DDThh:mm` at once, which reads the same
    // lexical space for such a value but for the year 0000 (none in XML Schema 1.0). Split
    // into its parts it cost ~250 instructions more (callgrind on examples/request_cost,
    // VARY=1, whose every request has a new one).
    if let [y1, y2, y3, y4, b'-', _, _, b'-', _, _, b'T', _, _, b':', ..] = v.as_bytes()
        && [y1, y2, y3, y4].iter().all(|d| d.is_ascii_digit())
    {
        return [y1, y2, y3, y4] != [&b'0'; 4] && is_xs_datetime(v);
    }
    is_date_time_split(v)
}

/// [`is_date_time`] for any shape: the timezone split off, the rest split at its `T`.
fn is_date_time_split(v: &str) -> bool {
    match split_tz(v) {
        Some((dt, _)) => match dt.bytes().position(|b| b == b'T') {
            Some(i) => is_date(&dt[..i]) && is_time(&dt[i + 1..]),
            None => false,
        },
        None => false,
    }
}

pub(super) fn is_duration(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    let Some(rest) = v.strip_prefix('P') else { return false };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut any = false;
    let mut check = |part: &str, units: &[u8], seconds: bool| -> bool {
        let mut allowed = units.iter();
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || (seconds && c == '.') {
                number.push(c);
                continue;
            }
            if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
                return false;
            }
            if number.contains('.') && c != 'S' {
                return false;
            }
            if !allowed.by_ref().any(|u| *u as char == c) {
                return false;
            }
            any = true;
            number.clear();
        }
        number.is_empty()
    };
    if !check(date, b"YMD", false) {
        return false;
    }
    if let Some(t) = time
        && (t.is_empty() || !check(t, b"HMS", true))
    {
        return false;
    }
    any
}

/// Compares two date/time values of the same type: by their timezone-normalised instant
/// when both or neither carry a timezone; `None` when only one does (indeterminate).
pub(super) fn compare_temporal(a: &str, b: &str) -> Option<Ordering> {
    let (va, ta) = split_tz(a)?;
    let (vb, tb) = split_tz(b)?;
    if ta.is_some() != tb.is_some() {
        return None;
    }
    let key = |v: &str, tz: Option<&str>| -> Option<(i64, String)> {
        let offset_minutes = match tz {
            None | Some("Z") => 0,
            Some(t) => {
                let sign = if t.starts_with('-') { -1 } else { 1 };
                sign * (t[1..3].parse::<i64>().ok()? * 60 + t[4..6].parse::<i64>().ok()?)
            }
        };
        // A sortable string of the fields: years padded, then the rest as written.
        let (sign, body) = match v.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, v),
        };
        let year_len = body.find(['-', 'T']).unwrap_or(body.len());
        let padded = format!(
            "{:0>12}{}",
            &body[..year_len.min(body.len())],
            &body[year_len.min(body.len())..]
        );
        Some((-offset_minutes, if sign < 0 { format!("-{padded}") } else { padded }))
    };
    let (oa, ka) = key(va, ta)?;
    let (ob, kb) = key(vb, tb)?;
    if oa == ob {
        return Some(ka.cmp(&kb));
    }
    // Different offsets: compare as instants when both are full dateTimes.
    let instant = |v: &str, offset: i64| -> Option<i64> {
        let (d, t) = v.split_once('T')?;
        let mut parts = d.rsplitn(3, '-');
        let day: i64 = parts.next()?.parse().ok()?;
        let month: i64 = parts.next()?.parse().ok()?;
        let year: i64 = parts.next()?.parse().ok()?;
        let h: i64 = t.get(0..2)?.parse().ok()?;
        let m: i64 = t.get(3..5)?.parse().ok()?;
        let s: i64 = t.get(6..8)?.parse().ok()?;
        let days = days_from_civil(year, month, day);
        Some(((days * 24 + h) * 60 + m + offset) * 60 + s)
    };
    Some(instant(va, oa)?.cmp(&instant(vb, ob)?))
}

pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// True for the lexical form of xs:dateTime: `YYYY-MM-DDThh:mm:ss(.s+)?` and an optional
/// `Z` or `±hh:mm` (24:00:00 allowed, as XML Schema allows it), read word-wise: the shape
/// K2017's TransaktionsTid and nearly every xs:dateTime has (see [`is_date_time`]).
pub fn is_xs_datetime(text: &str) -> bool {
    // `YYYY-MM-DDThh:mm` read as two words, the literals and the digits each judged for both
    // at once, every two digits made a number at once (a byte at a time it cost ~160
    // instructions a request, every K2017 request has one; callgrind on
    // examples/request_cost).
    let Some((head, rest)) = text.as_bytes().split_first_chunk::<16>() else {
        return false;
    };
    let [b':', s1, s2, zone @ ..] = rest else {
        return false;
    };
    let both = u128::from_le_bytes(*head);
    let (date, time) = (both as u64, (both >> 64) as u64);
    // The literals' bytes: `-` at 4 and 7 of `YYYY-MM-`, `T` at 2 and `:` at 5 of `DDThh:mm`.
    const DATE_LITERALS: u64 = 0xFF00_00FF_0000_0000;
    const TIME_LITERALS: u64 = 0x0000_FF00_00FF_0000;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    if date & DATE_LITERALS != 0x2D00_002D_0000_0000 || time & TIME_LITERALS != 0x0000_3A00_0054_0000 {
        return false;
    }
    // The literals made `0`, the words must be digits.
    let (date, time) = (
        date & !DATE_LITERALS | ZEROS & DATE_LITERALS,
        time & !TIME_LITERALS | ZEROS & TIME_LITERALS,
    );
    if !crate::world::all_digits(date)
        || !crate::world::all_digits(time)
        || !s1.is_ascii_digit()
        || !s2.is_ascii_digit()
    {
        return false;
    }
    // Byte i of each: the number of digits i and i + 1 (at most 99: no carries).
    let pairs = |word: u64| {
        let digits = word - ZEROS;
        let pairs = digits * 10 + (digits >> 8);
        move |at: u32| ((pairs >> (8 * at)) & 0xFF) as u8
    };
    let (date, time) = (pairs(date), pairs(time));
    let year = i32::from(date(0)) * 100 + i32::from(date(2));
    if !crate::world::is_date(year, u32::from(date(5)), u32::from(time(0))) {
        return false;
    }
    let (h, m, s) = (time(3), time(6), (s1 - b'0') * 10 + (s2 - b'0'));
    if m > 59 || s > 59 || h > 24 || (h == 24 && (m, s) != (0, 0)) {
        return false;
    }
    let zone = match zone {
        [b'.', frac @ ..] => {
            let digits = frac.iter().take_while(|d| d.is_ascii_digit()).count();
            if digits == 0 || (h == 24 && frac[..digits].iter().any(|&d| d != b'0')) {
                return false;
            }
            &frac[digits..]
        }
        _ => zone,
    };
    is_xs_timezone(zone)
}

/// True for an xs:dateTime's or xs:date's timezone as written: none, `Z` or `±hh:mm` (at most
/// 14:00).
pub(crate) fn is_xs_timezone(zone: &[u8]) -> bool {
    match zone {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) => {
            let hours = (h1 - b'0') * 10 + (h2 - b'0');
            let minutes = (m1 - b'0') * 10 + (m2 - b'0');
            minutes < 60 && (hours < 14 || (hours == 14 && minutes == 0))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// `fast` answers as `split` does for `cases` values drawn from `values`.
    fn agree(cases: u32, values: impl Strategy<Value = String>, fast: fn(&str) -> bool, split: fn(&str) -> bool) {
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases,
            ..Default::default()
        });
        runner
            .run(&values, |v| {
                prop_assert_eq!(fast(&v), split(&v), "{}", v);
                Ok(())
            })
            .unwrap();
    }

    /// The word-wise reading of the usual `YYYY-MM-DDThh:mm…` answers as the split into parts
    /// does, for values of that shape and near it (other years, fractions, zones, 24:00:00,
    /// bytes out of place).
    #[test]
    fn date_times_read_by_words_as_split() {
        let date_time = prop_oneof![
            "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,3})?(Z|[+-][01][0-9]:[0-6][0-9])?",
            "(0000|2024|1900|2000|2023)-02-(28|29|30)T(24:00:00|23:59:59|24:00:01)(\\.0*1?)?(Z|[+-]1[45]:0[01])?",
            "-?[0-9]{4,5}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.0-9Z:+-]{0,8}",
            "[0-9]{4}-[0-9T:.Z+ -]{2,24}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}[0-9:.Zæ+-]{0,10}",
        ];
        agree(20000, date_time, is_date_time, is_date_time_split);
        for (v, ok) in [
            ("2026-11-22T10:15:00Z", true),
            ("2026-11-22T10:15:00.5+01:00", true),
            ("2026-11-22T24:00:00", true),
            ("2026-11-22T24:00:00.1", false),
            ("0000-11-22T10:15:00Z", false),
            ("2026-11-22T10:15:00+14:01", false),
            ("-2026-11-22T10:15:00Z", true),
            ("12026-11-22T10:15:00Z", true),
        ] {
            assert_eq!(is_date_time(v), ok, "{v}");
            assert_eq!(is_date_time_split(v), ok, "{v}");
        }
    }

    /// The in-place reading of `YYYY-MM-DD` answers as the general split does.
    #[test]
    fn dates_read_in_place_as_split() {
        let date = prop_oneof![
            "[0-9]{4}-[0-9]{2}-[0-9]{2}",
            "[0-2]{4}-[01][0-9]-[0-3][0-9]",
            "[0-9-]{10}",
            "-?[0-9]{4,5}-[0-9]{2}-[0-9]{1,2}",
        ];
        agree(5000, date, is_date, is_date_split);
        for (v, ok) in [
            ("2024-02-29", true),
            ("2023-02-29", false),
            ("2026-11-31", false),
            ("0000-01-01", false),
            ("2026-13-01", false),
            ("2026-11-01", true),
        ] {
            assert_eq!(is_date(v), ok, "{v}");
        }
    }
}
