//! UK phone numbers.
//!
//! # Rules
//! * **National** ([`Rule::PhoneNational`](crate::Rule)): a digit run
//!   starting `0`, whose second digit is `1 2 3 5 7 8 9`, of 10 or 11 digits
//!   in one to four groups joined by single spaces (any space-like
//!   separator), dashes or dots: `07700 900123`, `07700-900-123`,
//!   `020 7946 0000`, `01632 960001`, `0161 496 0000`. `07…`, `03…`, `05…`
//!   and `09…` numbers have 11 digits; `01…`, `02…` and `08…` numbers 10 or 11.
//!   `0044` followed by 9 or 10 digits is also accepted.
//! * **International** ([`Rule::PhoneInternational`](crate::Rule)):
//!   `+44`, an optional separator, an optional `(0)`, then 9 or 10 digits in
//!   up to four groups, first digit not 0: `+44 7700 900123`,
//!   `+44 (0)20 7946 0000`, `+447700900123`.
//! * **Bracketed area code** (also [`Rule::PhoneNational`](crate::Rule)):
//!   `(` then a national number's first group of three to five digits and
//!   `)`, an optional space, then the rest in one to three groups, with the
//!   same digit counts: `(020) 7946 0000`, `(0161) 496 0000`,
//!   `(01632) 960001`. The finding starts at the `(`.
//! * Token boundaries on both sides; `/` never joins a phone number (dates).
//!
//! Bleep and extension numbers (`bleep 1234`, `ext 4567`, `x4567`) are four
//! or five digits and never match.

use super::{Run, Sep, byte, sep_at};

fn count_ok(second: u8, n: usize) -> bool {
    match second {
        b'7' | b'3' | b'5' | b'9' => n == 11,
        b'1' | b'2' | b'8' => n == 10 || n == 11,
        _ => false,
    }
}

/// A national number with its area code in brackets, the `0` of the code at
/// `i` (right after the `(`): returns the end. Out of line: rare.
#[inline(never)]
pub(crate) fn bracketed(b: &[u8], i: usize) -> Option<usize> {
    let mut p = i;
    while byte(b, p).is_ascii_digit() {
        p += 1;
    }
    let area = p - i;
    if !(3..=5).contains(&area) || byte(b, p) != b')' {
        return None;
    }
    p += 1;
    if let Some((Sep::Space, n)) = sep_at(b, p) {
        p += n;
    }
    if !byte(b, p).is_ascii_digit() {
        return None;
    }
    let run = Run::read(b, p);
    let mut n = area;
    for k in 0..run.len.min(3) {
        if k > 0 && !matches!(run.sep(k - 1), Some(Sep::Space | Sep::Dash)) {
            break;
        }
        n += run.glen(k);
        let end = run.group(k).1;
        if count_ok(byte(b, i + 1), n) && !byte(b, end).is_ascii_alphanumeric() {
            return Some(end);
        }
        if n > 11 {
            break;
        }
    }
    None
}

/// A national-form phone number at the start of the run: returns its end.
pub(crate) fn national(b: &[u8], run: &Run) -> Option<usize> {
    let (s, _) = run.group(0);
    if byte(b, s) != b'0' {
        return None;
    }
    let intl = byte(b, s + 1) == b'0' && byte(b, s + 2) == b'4' && byte(b, s + 3) == b'4';
    let mut n = 0usize;
    for k in 0..run.len.min(4) {
        if k > 0 && matches!(run.sep(k - 1), Some(Sep::Slash) | None) {
            break;
        }
        n += run.glen(k);
        let end = run.group(k).1;
        let ok = if intl {
            (13..=14).contains(&n) && byte(b, s + 4) != b'0'
        } else {
            count_ok(byte(b, s + 1), n)
        };
        if ok && !byte(b, end).is_ascii_alphanumeric() {
            return Some(end);
        }
        if n > 14 {
            break;
        }
    }
    None
}

/// An international-form number at the `+` at `i`: returns its end.
pub(crate) fn international(b: &[u8], i: usize) -> Option<usize> {
    if !(byte(b, i + 1) == b'4' && byte(b, i + 2) == b'4') {
        return None;
    }
    let mut p = i + 3;
    if let Some((Sep::Space | Sep::Dash, n)) = sep_at(b, p) {
        p += n;
    }
    if byte(b, p) == b'(' && byte(b, p + 1) == b'0' && byte(b, p + 2) == b')' {
        p += 3;
        if let Some((Sep::Space | Sep::Dash, n)) = sep_at(b, p) {
            p += n;
        }
    }
    if !matches!(byte(b, p), b'1'..=b'9') {
        return None;
    }
    let run = Run::read(b, p);
    let mut n = 0usize;
    for k in 0..run.len.min(4) {
        if k > 0 && matches!(run.sep(k - 1), Some(Sep::Slash) | None) {
            break;
        }
        n += run.glen(k);
        let end = run.group(k).1;
        if (9..=10).contains(&n) && !byte(b, end).is_ascii_alphanumeric() {
            return Some(end);
        }
        if n > 10 {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::Kind;

    fn spans(t: &str) -> Vec<&str> {
        super::super::spans_of(Kind::Phone, t)
    }

    #[test]
    fn national_and_international_forms() {
        for p in [
            "07700 900123",
            "07700900123",
            "07700-900-123",
            "07700\u{a0}900\u{a0}123",
            "020 7946 0000",
            "0161 496 0000",
            "01632 960001",
            "+44 7700 900123",
            "+447700900123",
            "+44 (0)20 7946 0000",
            "0044 7700 900123",
            "(020) 7946 0000",
            "(0161) 496 0000",
            "(0161)496 0000",
            "(01632) 960001",
            "(0113) 496-0123",
        ] {
            let t = format!("call {p} please");
            assert_eq!(spans(&t), vec![p], "{p}");
        }
    }

    #[test]
    fn bleeps_extensions_and_short_numbers_survive() {
        for t in [
            "bleep 1234",
            "ext 4567",
            "x4567",
            "0.5 mg",
            "07700 900",
            "+1 555 0100",
            "12/03/2026",
            "(0161) 496",
            "(0161) 496 00001",
            "(020)",
            "(1234) 567 890",
        ] {
            assert!(spans(t).is_empty(), "{t}");
        }
    }
}
