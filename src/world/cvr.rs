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
        // One pass over the digits for the syntax, the check sum and the number (a pass for
        // each, and a Unicode trim, cost ~100 instructions a parse; callgrind on
        // examples/request_cost).
        let syntax = || CvrError::Syntax(text.to_owned());
        let digits: &[u8; 8] = crate::clip::trim(text).as_bytes().try_into().map_err(|_| syntax())?;
        if digits[0] == b'0' {
            return Err(syntax());
        }
        let (mut sum, mut n) = (0u32, 0u32);
        for (&d, w) in digits.iter().zip(WEIGHTS) {
            if !d.is_ascii_digit() {
                return Err(syntax());
            }
            let d = u32::from(d - b'0');
            sum += d * w;
            n = n * 10 + d;
        }
        if !sum.is_multiple_of(11) {
            return Err(CvrError::Checksum(text.to_owned()));
        }
        Ok(Cvr(n))
    }
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
        text.as_bytes() == self.digits()
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
