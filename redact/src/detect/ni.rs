//! National Insurance numbers.
//!
//! # Rules
//! * Two prefix letters, six digits, one suffix letter `A`–`D`, any case:
//!   `AB123456C`, `AB 12 34 56 C`, `ab 123456 c`.
//! * Spaces (single, ASCII or no-break) are allowed after the prefix, between
//!   the digit pairs and before the suffix.
//! * The prefix follows HMRC's allocation rules: the first letter is not
//!   `D F I Q U V`, the second not `D F I O Q U V`, and `BG GB KN NK NT TN
//!   ZZ` are never issued. (So HMRC's own example prefix `QQ` is not
//!   reported.)
//! * Token boundaries on both sides.
//!
//! A prefix with six digits and no suffix is not reported here; the
//! hospital-number rule may still report it (`AB123456`).

use super::{byte, space_at};

fn upper(b: &[u8], i: usize) -> u8 {
    byte(b, i).to_ascii_uppercase()
}

fn skip_space(b: &[u8], i: usize) -> usize {
    i + space_at(b, i).unwrap_or(0)
}

/// Is this a prefix HMRC allocates?
pub(crate) fn valid_prefix(a: u8, b: u8) -> bool {
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && !b"DFIQUV".contains(&a)
        && !b"DFIOQUV".contains(&b)
        && !matches!(
            &[a, b],
            b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"
        )
}

/// An NI number starting at the letter at `s`: returns its end.
pub(crate) fn at(b: &[u8], s: usize) -> Option<usize> {
    if !valid_prefix(upper(b, s), upper(b, s + 1)) {
        return None;
    }
    let mut p = skip_space(b, s + 2);
    for pair in 0..3 {
        if pair > 0 {
            p = skip_space(b, p);
        }
        if !(byte(b, p).is_ascii_digit() && byte(b, p + 1).is_ascii_digit()) {
            return None;
        }
        p += 2;
    }
    p = skip_space(b, p);
    if !matches!(upper(b, p), b'A'..=b'D') || byte(b, p + 1).is_ascii_alphanumeric() {
        return None;
    }
    Some(p + 1)
}

#[cfg(test)]
mod tests {
    use crate::{Kind, Scanner};

    fn kinds(t: &str) -> Vec<Kind> {
        Scanner::new().scan(t).iter().map(|f| f.kind()).collect()
    }

    #[test]
    fn ni_forms() {
        for t in [
            "AB123456C",
            "AB 12 34 56 C",
            "ab 123456 c",
            "JG 10 37 59 A",
            "NI: PZ123456D.",
        ] {
            assert_eq!(kinds(t), vec![Kind::NiNumber], "{t}");
        }
    }

    #[test]
    fn invalid_prefixes_and_suffixes() {
        for t in [
            "QQ123456C",
            "GB123456A",
            "DA123456A",
            "AO123456A",
            "AB123456E",
            "AB1234567C",
        ] {
            assert!(!kinds(t).contains(&Kind::NiNumber), "{t}");
        }
    }
}
