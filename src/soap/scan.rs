//! Byte scans shared by the plain readers (the envelope's, [`super::plain`], and the XSD
//! check's, `xsd::validate::lex`), and by the writers of short texts that look for bytes to
//! escape (the request log, K2017 answers): eight bytes at a time in a `u64` (SWAR), for the
//! short runs between a request's tags, where a library search costs more to start than the
//! run costs.
//!
//! Every scan looks at each byte a bounded number of times: linear in its input.

/// `0x01` in every byte of a word.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
/// `0x80` in every byte of a word.
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// Eight bytes as a little-endian word (byte `i` of the chunk in bits `8i..8i+8`); `chunk` is
/// eight bytes long.
#[inline(always)]
pub(crate) fn word(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    u64::from_le_bytes(word)
}

/// A high bit in each byte of `x` below `n` (`1..=0x80`; `1`: each zero byte); the lowest one
/// marked is the first such byte (a borrow only marks bytes above one that qualifies).
#[inline(always)]
pub(crate) fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// A high bit in some byte of `x` when one is above `n` (`n <= 0x7f`), bytes of 0x80 and up
/// included: for "is any byte above" tests (which byte is not said).
#[inline(always)]
pub(crate) fn above(x: u64, n: u8) -> u64 {
    (x.wrapping_add(ONES * u64::from(0x7f - n)) | x) & HIGHS
}

/// A high bit in each byte of `x` equal to `b`; the lowest one marked is the first such byte
/// (as [`below`]).
#[inline(always)]
pub(crate) fn equal(x: u64, b: u8) -> u64 {
    below(x ^ (ONES * u64::from(b)), 1)
}

/// XML white space as quick-xml counts it.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether two names (or other short texts: a CPR number, a hjemmel) are the same bytes,
/// compared a word at a time here: a call to `memcmp` for each end tag cost more than the
/// compare of a name this short (~200 instructions a request, callgrind on
/// examples/request_cost), and a slice's `==` compares such texts a byte at a time.
#[inline(always)]
pub(crate) fn same_name(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, rest_a)), Some((y, rest_b))) = (a.split_first_chunk::<8>(), b.split_first_chunk::<8>()) {
        if x != y {
            return false;
        }
        (a, b) = (rest_a, rest_b);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// Where the first `<` or `&` in `rest` is. The runs between a request's tags are short (the
/// white space of indentation, a leaf's text): its first 16 bytes are looked at a word at a
/// time, here, and only a longer run is left to `memchr2`, whose call and set-up cost more than
/// such a run (~1 000 instructions a request, callgrind on examples/request_cost).
#[inline(always)]
pub(crate) fn next_markup(rest: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < 16
        && let Some(chunk) = rest.get(at..).and_then(|r| r.first_chunk::<8>())
    {
        let x = word(chunk);
        let flagged = equal(x, b'<') | equal(x, b'&');
        if flagged != 0 {
            return Some(at + flagged.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    memchr::memchr2(b'<', b'&', &rest[at..]).map(|i| at + i)
}

/// Where the first of `wanted` is in `bytes`: eight bytes at a time, then one by one; one
/// byte (a closing quote, mostly after a long value such as a namespace URI) by `memchr`,
/// which is cheaper there (and dearer on the short runs of the other cases).
#[inline]
pub(crate) fn find(bytes: &[u8], wanted: [u8; 3]) -> Option<usize> {
    let [a, b, c] = wanted;
    if a == b && b == c {
        // The first sixteen bytes (most attribute values end in them) by words, the rest by
        // the library's search, which costs more to start and less per byte.
        let mut chunks = bytes.chunks_exact(8);
        for (n, chunk) in chunks.by_ref().take(2).enumerate() {
            let hits = equal(word(chunk), a);
            if hits != 0 {
                return Some(n * 8 + (hits.trailing_zeros() / 8) as usize);
            }
        }
        let done = bytes.len() - chunks.remainder().len() - chunks.len() * 8;
        return memchr::memchr(a, &bytes[done..]).map(|i| done + i);
    }
    find_by_words(bytes, wanted)
}

/// Where the first `b` in `bytes` is, eight bytes at a time and then one by one: for a short
/// text such as a header's value, where `memchr`'s set-up costs more than the whole scan.
#[inline]
pub(crate) fn find_in_short(bytes: &[u8], b: u8) -> Option<usize> {
    find_by_words(bytes, [b, b, b])
}

/// [`find`] eight bytes at a time all the way, then one by one.
#[inline]
fn find_by_words(bytes: &[u8], wanted: [u8; 3]) -> Option<usize> {
    let [a, b, c] = wanted;
    let mut chunks = bytes.chunks_exact(8);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let x = word(chunk);
        let hits = equal(x, a) | equal(x, b) | equal(x, c);
        if hits != 0 {
            return Some(n * 8 + (hits.trailing_zeros() / 8) as usize);
        }
    }
    let rest = chunks.remainder();
    let done = bytes.len() - rest.len();
    rest.iter().position(|b| wanted.contains(b)).map(|i| done + i)
}

#[cfg(test)]
mod tests {
    use memchr::memchr2;
    use proptest::prelude::*;

    use super::*;

    /// The lowest byte [`below`] marks is the first byte below `n`; [`equal`]'s the first equal
    /// to `b`.
    #[test]
    fn marks_the_first_byte_below_or_equal() {
        let byte = prop::sample::select(vec![0u8, 1, 2, b' ', b'!', b'<', b'=', 0x7f, 0x80, 0x81, 0xfe, 0xff]);
        let mut runner = proptest::test_runner::TestRunner::default();
        let case = (prop::collection::vec(byte.clone(), 8), 1u8..=0x80, byte);
        runner
            .run(&case, |(bytes, n, b)| {
                let x = word(&bytes);
                let first = |hits: u64| (hits != 0).then(|| (hits.trailing_zeros() / 8) as usize);
                prop_assert_eq!(first(below(x, n)), bytes.iter().position(|&c| c < n));
                prop_assert_eq!(first(equal(x, b)), bytes.iter().position(|&c| c == b));
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn same_is_equality() {
        let mut runner = proptest::test_runner::TestRunner::default();
        let byte = prop::sample::select(vec![0u8, b'a', b'b', 0x80, 0xff]);
        let pair = (
            prop::collection::vec(byte.clone(), 0..26),
            prop::collection::vec(byte, 0..26),
        );
        runner
            .run(&pair, |(a, b)| {
                prop_assert_eq!(same_name(&a, &b), a == b);
                prop_assert!(same_name(&a, &a));
                // Equal but for one byte, anywhere.
                for i in 0..a.len() {
                    let mut c = a.clone();
                    c[i] ^= 1;
                    prop_assert!(!same_name(&a, &c));
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn find_is_the_first_of_the_bytes() {
        let mut runner = proptest::test_runner::TestRunner::default();
        let byte = prop::sample::select(vec![0u8, 1, b'<', b'&', b'>', 0x7f, 0x80, 0x81, 0xff, b'a']);
        runner
            .run(&prop::collection::vec(byte, 0..40), |bytes| {
                for wanted in [[b'<', b'&', b'<'], [0, 1, 0xff], [0x80, 0x80, 0x80]] {
                    let naive = bytes.iter().position(|b| wanted.contains(b));
                    prop_assert_eq!(find(&bytes, wanted), naive);
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn finds_the_first_markup_as_memchr2_does() {
        let runs = [
            "",
            "<",
            "&",
            "a",
            "\n      <k:a>",
            "12345678<",
            "1234567&<",
            "123456781234567<",
            "1234567812345678&",
            "12345678123456781234<",
            "&<",
            "\u{3c3}<",
            "\u{100}&",
            "abc\u{ffff}x",
        ];
        for run in runs {
            let bytes = run.as_bytes();
            for from in 0..=bytes.len() {
                assert_eq!(
                    next_markup(&bytes[from..]),
                    memchr2(b'<', b'&', &bytes[from..]),
                    "{run:?} from {from}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn finds_the_first_markup_in_any_bytes(bytes in prop::collection::vec(prop::sample::select(&[b'<', b'&', b'a', b' ', 0x3b, 0x27, 0x25, 0x3d, 0x3c ^ 0x80, 0xff, 0][..]), 0..40)) {
            prop_assert_eq!(next_markup(&bytes), memchr2(b'<', b'&', &bytes));
        }
    }
}
