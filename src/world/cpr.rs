//! CPR numbers (personnumre): parsing, validation and generation.
//!
//! The rules are CPR-kontoret's: `DDMMYY-SSSS`, the hyphen optional; the century follows from
//! the seventh digit and the year; the tenth digit is odd for men and even for women. Modulus
//! 11 holds for all numbers issued before 2007 but is no longer a validity rule, so parsing
//! never rejects a number for failing it. "Replacement" numbers (erstatningspersonnumre) add 6
//! to the first digit of the day and can never be a real person's number.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use rand::Rng;

/// A syntactically valid CPR number with a real birth date.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpr(u64);

/// Why a string is not a CPR number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CprError {
    #[error("a CPR number has 10 digits (DDMMYYSSSS, a hyphen after the date is allowed), got {0:?}")]
    Syntax(String),
    #[error("{0:?} does not start with a real birth date (DDMMYY)")]
    Date(String),
    #[error("{0:?} is a replacement number (day + 60), which this scenario does not allow")]
    Replacement(String),
}

/// The weights of the modulus 11 check.
const WEIGHTS: [u64; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

impl Cpr {
    /// Parses `DDMMYYSSSS` or `DDMMYY-SSSS`. Replacement numbers (day + 60) are accepted only
    /// when `allow_replacement` is set.
    pub fn parse(text: &str, allow_replacement: bool) -> Result<Cpr, CprError> {
        // The first eight digits read and judged as one word, the date's parts taken from it
        // and judged without making the date (a digit at a time, with chrono's
        // `from_ymd_opt`, a parse cost ~190 instructions; callgrind on examples/request_cost).
        let syntax = || CprError::Syntax(text.to_owned());
        let bytes = crate::clip::trim(text).as_bytes();
        let (date, serial) = match bytes.len() {
            10 => bytes.split_at(6),
            11 if bytes[6] == b'-' => (&bytes[..6], &bytes[7..]),
            _ => return Err(syntax()),
        };
        let (&[d1, d2, m1, m2, y1, y2], &[s1, s2, s3, s4]) = (date, serial) else {
            return Err(syntax());
        };
        let word = u64::from_le_bytes([d1, d2, m1, m2, y1, y2, s1, s2]);
        if !super::all_digits(word) || !s3.is_ascii_digit() || !s4.is_ascii_digit() {
            return Err(syntax());
        }
        if d1 - b'0' >= 6 && !allow_replacement {
            return Err(CprError::Replacement(text.to_owned()));
        }
        // Each even byte: the two digits from it as a number (DD, MM, YY, the first two of
        // the serial number).
        let digits = word - 0x3030_3030_3030_3030;
        let pairs = digits * 10 + (digits >> 8);
        let pair = |at: u32| ((pairs >> (8 * at)) & 0xFF) as u32;
        let (mut day, month, yy) = (pair(0), pair(2), pair(4) as i32);
        if day > 60 {
            day -= 60;
        }
        if !crate::world::is_date(century(s1 - b'0', yy) + yy, month, day) {
            return Err(CprError::Date(text.to_owned()));
        }
        // The four pairs as one number (1 000 000 · DD + 10 000 · MM + 100 · YY + S1S2), in
        // the high half of the sum.
        const LOW_PAIRS: u64 = 0x0000_00FF_0000_00FF;
        let eight = (pairs & LOW_PAIRS)
            .wrapping_mul(100 + (1_000_000 << 32))
            .wrapping_add(((pairs >> 16) & LOW_PAIRS).wrapping_mul(1 + (10_000 << 32)))
            >> 32;
        Ok(Cpr(eight * 100 + u64::from(s3 - b'0') * 10 + u64::from(s4 - b'0')))
    }

    /// The ten digits, most significant first.
    pub fn digits(self) -> [u8; 10] {
        let mut out = [0u8; 10];
        let mut n = self.0;
        for slot in out.iter_mut().rev() {
            *slot = (n % 10) as u8;
            n /= 10;
        }
        out
    }

    /// The number as an integer (leading zeros dropped), for compact keys.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// True for a replacement number: day of month + 60.
    pub fn is_replacement(self) -> bool {
        self.digits()[0] >= 6
    }

    /// The birth date, following the century table of CPR-kontoret.
    pub fn birth_date(self) -> Option<NaiveDate> {
        birth_date_of(&self.digits())
    }

    /// True when the modulus 11 check holds (not a validity rule since 2007).
    pub fn passes_modulus11(self) -> bool {
        let sum: u64 = self.digits().iter().zip(WEIGHTS).map(|(d, w)| u64::from(*d) * w).sum();
        sum.is_multiple_of(11)
    }

    /// `true` for a woman (even last digit), `false` for a man.
    pub fn is_female(self) -> bool {
        self.0.is_multiple_of(2)
    }

    /// Draws a number for someone born on `born`: the century digit matches the year, and the
    /// check digit makes modulus 11 hold when `modulus11` is set. `replacement` adds 60 to the day.
    pub fn generate(rng: &mut impl Rng, born: NaiveDate, modulus11: bool, replacement: bool) -> Cpr {
        BirthDay::new(born, replacement).draw(rng, modulus11)
    }
}

/// What the CPR numbers of everyone born on one day share, worked out once: a world draws a
/// million numbers from some 24 000 birth days, and each draw then only adds its own digits.
/// Eight bytes, so that a table of all the days stays in the cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BirthDay {
    /// `DDMMYY` as a number (the day + 60 for replacement numbers).
    date_part: u32,
    /// The weighted sum of the six date digits in the modulus 11 check.
    partial: u16,
    /// The seventh digits consistent with the year: an index into [`CENTURIES`].
    centuries: u8,
}

impl BirthDay {
    pub(crate) fn new(born: NaiveDate, replacement: bool) -> BirthDay {
        let yy = (born.year() % 100) as u32;
        let day = born.day() + if replacement { 60 } else { 0 };
        let date_part = day * 10_000 + born.month() * 100 + yy;
        let partial: u64 = head_digits(u64::from(date_part) * 1000)
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| d * w)
            .sum();
        BirthDay {
            date_part,
            // At most 9 * (4 + 3 + 2 + 7 + 6 + 5).
            partial: partial as u16,
            centuries: century_digits(born.year()),
        }
    }

    /// Draws a number for this day (see [`Cpr::generate`]); the draws from `rng` are the
    /// same as if each digit were worked out from the date anew.
    pub(crate) fn draw(&self, rng: &mut impl Rng, modulus11: bool) -> Cpr {
        let centuries = CENTURIES[usize::from(self.centuries)];
        loop {
            let seventh = centuries[rng.random_range(0..centuries.len())];
            let middle = rng.random_range(0..100u64);
            let head = u64::from(self.date_part) * 1000 + seventh * 100 + middle;
            if modulus11 {
                // The weights of the seventh, eighth and ninth digits are 4, 3 and 2.
                let partial = u64::from(self.partial) + seventh * 4 + middle / 10 * 3 + middle % 10 * 2;
                let check = (11 - partial % 11) % 11;
                if check < 10 {
                    return Cpr(head * 10 + check);
                }
            } else {
                return Cpr(head * 10 + rng.random_range(0..10u64));
            }
        }
    }
}

fn head_digits(head: u64) -> [u64; 9] {
    let mut out = [0u64; 9];
    let mut n = head;
    for slot in out.iter_mut().rev() {
        *slot = n % 10;
        n /= 10;
    }
    out
}

/// The birth date the ten digits of a CPR number say (see [`Cpr::birth_date`]).
fn birth_date_of(d: &[u8; 10]) -> Option<NaiveDate> {
    let mut day = u32::from(d[0]) * 10 + u32::from(d[1]);
    if day > 60 {
        day -= 60;
    }
    let month = u32::from(d[2]) * 10 + u32::from(d[3]);
    let yy = i32::from(d[4]) * 10 + i32::from(d[5]);
    let century = century(d[6], yy);
    NaiveDate::from_ymd_opt(century + yy, month, day)
}

/// The century (1800, 1900 or 2000) of a birth year from the seventh digit and YY.
fn century(seventh: u8, yy: i32) -> i32 {
    match (seventh, yy) {
        (0..=3, _) => 1900,
        (4 | 9, 0..=36) => 2000,
        (4 | 9, _) => 1900,
        (_, 0..=57) => 2000,
        (_, _) => 1800,
    }
}

/// The lists of seventh digits a year can have (see [`century_digits`]).
const CENTURIES: [&[u64]; 5] = [
    &[5, 6, 7, 8],
    &[0, 1, 2, 3],
    &[0, 1, 2, 3, 4, 9],
    &[4, 5, 6, 7, 8, 9],
    &[0],
];

/// The seventh digits consistent with `year`: an index into [`CENTURIES`].
fn century_digits(year: i32) -> u8 {
    let yy = year % 100;
    match year {
        1858..=1899 => 0,
        1900..=1936 => 1,
        1937..=1957 => 2,
        1958..=1999 => 2,
        2000..=2036 => 3,
        2037..=2057 if yy >= 37 => 0,
        _ => 4,
    }
}

impl fmt::Display for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

impl fmt::Debug for Cpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cpr({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    #[test]
    fn parses_with_and_without_hyphen() {
        let a = Cpr::parse("211062-5629", false).unwrap();
        let b = Cpr::parse("2110625629", false).unwrap();
        assert_eq!(a, b);
        assert!(a.passes_modulus11());
        assert_eq!(
            a.birth_date(),
            NaiveDate::from_ymd_opt(1862, 10, 21),
            "seventh digit 5 with YY 58-99 is the 1800s"
        );
        assert!(!a.is_female(), "odd last digit: a man");
    }

    #[test]
    fn rejects_bad_syntax_and_impossible_dates() {
        assert!(matches!(Cpr::parse("21106256", false), Err(CprError::Syntax(_))));
        assert!(matches!(Cpr::parse("21106x5629", false), Err(CprError::Syntax(_))));
        for bad in [
            "2110625-629",
            "211062-562",
            "211062--629",
            "211062–5629",
            "211062-56x9",
            "21106256290",
        ] {
            assert!(matches!(Cpr::parse(bad, false), Err(CprError::Syntax(_))), "{bad}");
        }
        assert_eq!(Cpr::parse(" 211062-5629\n", false), Cpr::parse("2110625629", false));
        assert!(matches!(Cpr::parse("3102801234", false), Err(CprError::Date(_))));
        assert!(matches!(Cpr::parse("0013801234", false), Err(CprError::Date(_))));
    }

    proptest! {
        /// Parsing judges the digits as read the way the number's own methods judge it.
        #[test]
        fn parse_judges_the_digits_as_the_number_does(text in "[0-9]{6}-?[0-9]{4}", allow in any::<bool>()) {
            let number: u64 = text.replace('-', "").parse().expect("ten digits");
            let cpr = Cpr(number);
            let expected = if cpr.is_replacement() && !allow {
                Err("replacement")
            } else if cpr.birth_date().is_none() {
                Err("date")
            } else {
                Ok(cpr)
            };
            let parsed = Cpr::parse(&text, allow).map_err(|e| match e {
                CprError::Replacement(_) => "replacement",
                CprError::Date(_) => "date",
                CprError::Syntax(_) => "syntax",
            });
            prop_assert_eq!(parsed, expected);
        }
    }

    #[test]
    fn accepts_numbers_failing_modulus11() {
        let cpr = Cpr::parse("0101651234", false).unwrap();
        assert!(!cpr.passes_modulus11());
    }

    #[test]
    fn century_follows_the_seventh_digit() {
        let born = |s: &str| Cpr::parse(s, false).unwrap().birth_date().unwrap().year();
        assert_eq!(born("0101104000"), 2010);
        assert_eq!(born("0101404000"), 1940);
        assert_eq!(born("0101505000"), 2050);
        assert_eq!(born("0101805000"), 1880);
        assert_eq!(born("0101991000"), 1999);
    }

    #[test]
    fn replacement_numbers_need_permission() {
        assert!(matches!(Cpr::parse("7101801234", false), Err(CprError::Replacement(_))));
        let cpr = Cpr::parse("7101801234", true).unwrap();
        assert_eq!(cpr.birth_date(), NaiveDate::from_ymd_opt(1980, 1, 11));
    }

    /// `Cpr::parse` as it was first written: the digits through an iterator, the date made
    /// by chrono, the number folded from the digits.
    fn parse_the_long_way(text: &str, allow_replacement: bool) -> Result<Cpr, CprError> {
        let bytes = text.trim().as_bytes();
        let (head, tail) = match bytes.len() {
            10 => bytes.split_at(6),
            11 if bytes[6] == b'-' => (&bytes[..6], &bytes[7..]),
            _ => return Err(CprError::Syntax(text.to_owned())),
        };
        let mut digits = [0u8; 10];
        for (slot, &b) in digits.iter_mut().zip(head.iter().chain(tail)) {
            if !b.is_ascii_digit() {
                return Err(CprError::Syntax(text.to_owned()));
            }
            *slot = b - b'0';
        }
        if digits[0] >= 6 && !allow_replacement {
            return Err(CprError::Replacement(text.to_owned()));
        }
        if birth_date_of(&digits).is_none() {
            return Err(CprError::Date(text.to_owned()));
        }
        Ok(Cpr(digits.iter().fold(0, |n, d| n * 10 + u64::from(*d))))
    }

    #[test]
    fn every_date_field_is_judged_as_the_long_way_judges_it() {
        // Every day and month field (00-99 and 00-13), year and seventh digit, with and
        // without the hyphen.
        for day in 0..100u32 {
            for month in 0..14u32 {
                for yy in 0..100u32 {
                    for seventh in 0..10u32 {
                        let text = format!("{day:02}{month:02}{yy:02}{seventh}123");
                        for allow in [false, true] {
                            assert_eq!(Cpr::parse(&text, allow), parse_the_long_way(&text, allow), "{text}");
                        }
                    }
                }
            }
        }
        for text in [
            "150780-4329",
            "1507804329",
            " 0101010101\n",
            "9999999999",
            "0000000000",
            "15078a4329",
            "150780/4329",
        ] {
            assert_eq!(Cpr::parse(text, true), parse_the_long_way(text, true), "{text}");
        }
    }

    proptest! {
        #[test]
        fn parse_is_the_long_way(
            text in "[ \\t]?[0-9]{6}-?[0-9]{4}[ \\t]?|[0-9 x\\-]{0,12}|[0-7][0-9][01][0-9]{3}-?[0-9]{4}",
            allow_replacement in any::<bool>(),
        ) {
            prop_assert_eq!(Cpr::parse(&text, allow_replacement), parse_the_long_way(&text, allow_replacement));
        }

        #[test]
        fn every_generated_cpr_parses_and_validates(
            seed in any::<u64>(),
            days in 0i64..(200 * 366),
            modulus11 in any::<bool>(),
            replacement in any::<bool>(),
        ) {
            let born = NaiveDate::from_ymd_opt(1858, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assume!(born.year() <= 2057);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let cpr = Cpr::generate(&mut rng, born, modulus11, replacement);
            let parsed = Cpr::parse(&cpr.to_string(), replacement).unwrap();
            prop_assert_eq!(parsed, cpr);
            prop_assert_eq!(cpr.birth_date(), Some(born));
            prop_assert_eq!(cpr.is_replacement(), replacement);
            if modulus11 {
                prop_assert!(cpr.passes_modulus11());
            }
        }
    }
}
