//! CVR numbers: eight digits, no leading zero, modulus 11 with weights 2,7,6,5,4,3,2,1.

use std::fmt;

/// A CVR number that passes the modulus 11 check.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cvr(u32);

/// Why a string is not a CVR number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvrError {
    #[error("a CVR number has 8 digits and does not start with 0, got {0:?}")]
    Syntax(String),
    #[error("{0:?} fails the CVR modulus 11 check")]
    Checksum(String),
}

const WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];

impl Cvr {
    /// Parses eight digits (surrounding white space ignored) and checks modulus 11.
    pub fn parse(text: &str) -> Result<Cvr, CvrError> {
        // The eight digits read and judged as one word, made a number at once, the check sum
        // from the word's digits without a branch (a digit at a time, judging each, a parse
        // cost ~110 instructions; callgrind on examples/request_cost).
        let syntax = || CvrError::Syntax(text.to_owned());
        let digits: &[u8; 8] = crate::clip::trim(text).as_bytes().try_into().map_err(|_| syntax())?;
        let word = u64::from_le_bytes(*digits);
        if !super::all_digits(word) || digits[0] == b'0' {
            return Err(syntax());
        }
        let values = word - 0x3030_3030_3030_3030;
        if !check_sum(values).is_multiple_of(11) {
            return Err(CvrError::Checksum(text.to_owned()));
        }
        Ok(Cvr(number_of_digits(word)))
    }
}

/// The weighted sum of the modulus 11 check of eight digits (`values`, a digit's value in each
/// byte, the first in the lowest): each half's four digits spread to 16 bits each and summed
/// with their weights by one multiplication into the top 16 bits (at most 9 · 20 = 180, no
/// carry between lanes).
fn check_sum(values: u64) -> u64 {
    let spread = |four: u64| {
        let two = (four | (four << 16)) & 0x0000_FFFF_0000_FFFF;
        (two | (two << 8)) & 0x00FF_00FF_00FF_00FF
    };
    // A lane's weight goes where it meets the digit of the mirrored lane: weights w0..w3 for
    // lanes 0..3 are w3, w2, w1, w0 from the lowest lane of the multiplier.
    let weights = |[w0, w1, w2, w3]: [u32; 4]| {
        u64::from(w3) | (u64::from(w2) << 16) | (u64::from(w1) << 32) | (u64::from(w0) << 48)
    };
    const HIGH: [u32; 4] = [WEIGHTS[0], WEIGHTS[1], WEIGHTS[2], WEIGHTS[3]];
    const LOW: [u32; 4] = [WEIGHTS[4], WEIGHTS[5], WEIGHTS[6], WEIGHTS[7]];
    let first = spread(values & 0xFFFF_FFFF).wrapping_mul(weights(HIGH)) >> 48;
    let last = spread(values >> 32).wrapping_mul(weights(LOW)) >> 48;
    first + last
}

/// The number eight ASCII digits (`word`, the first digit in its lowest byte; judged before)
/// write: pairs, then fours, then the eight, each step one multiplication for all lanes.
fn number_of_digits(word: u64) -> u32 {
    let values = word - 0x3030_3030_3030_3030;
    // Each even byte: the pair of digits from it; each even 16 bits: the four; the low 32 bits:
    // the eight (no lane carries into the next: 99, 9 999 and 99 999 999 fit).
    let pairs = (values * 10 + (values >> 8)) & 0x00FF_00FF_00FF_00FF;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (fours * 10_000 + (fours >> 32)) as u32
}

impl Cvr {
    /// Its eight digits as a `String`: what `to_string` gives, without going through
    /// `Display` and a `Formatter` (a CVR number is written a few times for every request).
    pub fn text(self) -> String {
        let mut text = String::with_capacity(8);
        self.push_to(&mut text);
        text
    }

    /// Whether `text` is its eight digits, exactly as [`Cvr::push_to`] writes them.
    pub fn is_written_as(self, text: &str) -> bool {
        // The text's number, not the number's digits: writing them cost ~40 instructions more
        // (callgrind on examples/request_cost). A `Cvr` has eight digits, no leading zero.
        let Ok(digits) = <[u8; 8]>::try_from(text.as_bytes()) else {
            return false;
        };
        let word = u64::from_le_bytes(digits);
        super::all_digits(word) && number_of_digits(word) == self.0
    }

    /// Appends its eight digits to `text`.
    pub fn push_to(self, text: &mut String) {
        // As one `str` (the digits are ASCII): pushed a `char` at a time they cost ~10
        // instructions more (callgrind on examples/request_cost).
        let digits = self.digits();
        text.push_str(std::str::from_utf8(&digits).unwrap_or("00000000"));
    }

    /// Its eight digits (a `Cvr` is only made by `parse`, from eight), most significant first:
    /// two at a time from a table of the hundred pairs (a division by ten for each cost ~40
    /// instructions more).
    fn digits(self) -> [u8; 8] {
        let (high, low) = (self.0 / 10_000 % 10_000, self.0 % 10_000);
        let mut digits = [0u8; 8];
        for (slot, pair) in digits
            .chunks_exact_mut(2)
            .zip([high / 100, high % 100, low / 100, low % 100])
        {
            let at = pair as usize * 2;
            slot.copy_from_slice(&PAIRS[at..at + 2]);
        }
        digits
    }
}

/// "00", "01", ... "99", one after the other.
const PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

impl fmt::Display for Cvr {
    /// Its eight digits, written without the formatting machinery.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.digits()).unwrap_or_default())
    }
}

impl fmt::Debug for Cvr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cvr({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cvr_number_is_written_as_it_was_read() {
        let mut checked = 0;
        for n in (10_000_000u32..=99_999_999).step_by(9_973) {
            let text = n.to_string();
            if let Ok(cvr) = Cvr::parse(&text) {
                assert_eq!(cvr.to_string(), text);
                assert_eq!(cvr.text(), text);
                assert_eq!(format!("{cvr:?}"), format!("Cvr({text})"));
                assert!(cvr.is_written_as(&text));
                assert!(!cvr.is_written_as(&format!(" {text}")) && !cvr.is_written_as(&text[1..]));
                let other = if text.ends_with('0') { "1" } else { "0" };
                assert!(!cvr.is_written_as(&format!("{}{other}", &text[..7])));
                checked += 1;
            }
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn parse_agrees_with_the_check_sum_a_digit_at_a_time() {
        for n in (10_000_000u32..=99_999_999).step_by(7_919) {
            let text = n.to_string();
            let sum: u32 = text.bytes().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
            match Cvr::parse(&text) {
                Ok(cvr) => assert!(sum.is_multiple_of(11) && cvr.0 == n, "{text}"),
                Err(e) => assert!(
                    !sum.is_multiple_of(11) && matches!(e, CvrError::Checksum(_)),
                    "{text}: {e}"
                ),
            }
        }
        for bad in ["2918942/", "29189:20", "291 9420", "2918\u{7f}420", "/9189420"] {
            assert!(matches!(Cvr::parse(bad), Err(CvrError::Syntax(_))), "{bad}");
        }
    }

    #[test]
    fn accepts_valid_and_rejects_invalid() {
        assert_eq!(Cvr::parse("29189420").unwrap().to_string(), "29189420");
        assert_eq!(Cvr::parse("43405810").unwrap().to_string(), "43405810");
        assert!(matches!(Cvr::parse("29981631"), Err(CvrError::Checksum(_))));
        assert!(matches!(Cvr::parse("0918942"), Err(CvrError::Syntax(_))));
        assert!(matches!(Cvr::parse("09189420"), Err(CvrError::Syntax(_))));
        assert!(matches!(Cvr::parse("2918942a"), Err(CvrError::Syntax(_))));
        assert!(matches!(Cvr::parse("+2918942"), Err(CvrError::Syntax(_))));
        assert!(
            matches!(Cvr::parse("2918942٠"), Err(CvrError::Syntax(_))),
            "a non-ASCII digit"
        );
        assert!(matches!(Cvr::parse("291894200"), Err(CvrError::Syntax(_))));
        assert!(matches!(Cvr::parse(""), Err(CvrError::Syntax(_))));
        assert_eq!(Cvr::parse(" 29189420\n").unwrap().to_string(), "29189420");
        assert_eq!(Cvr::parse("\u{a0}29189420").unwrap().to_string(), "29189420");
        assert!(matches!(Cvr::parse(" 29981631"), Err(CvrError::Checksum(t)) if t == " 29981631"));
    }
}
