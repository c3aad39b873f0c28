//! Numbers read out one digit at a time, as dictation and careful typing
//! give them: `9 4 3 4 7 6 5 9 1 9`, `nine four three four seven six five
//! nine one nine`, `oh seven seven double oh nine …`.
//!
//! # Rules
//! * One digit per token: a single ASCII digit or a digit word (`zero`,
//!   `oh`, `nought`, `one` … `nine`, any case); `double` or `triple` before
//!   one repeats it. Tokens are joined by one space.
//! * Ten digits passing the modulus 11 check are a health number, its
//!   scheme by range as for written numbers ([`super::nhs::classify`]);
//!   eleven starting `07`, `01`, `02` or `03` are a phone number.
//! * The run must start a token and hold exactly that many digits: a digit
//!   token right after it means a longer number, which is not taken.

use super::byte;
use crate::{Kind, Rule};

/// The digit a word stands for (`b[s..e]`, any case), if it is one.
fn digit_word(w: &[u8]) -> Option<u8> {
    let mut buf = [0u8; 6];
    let dst = buf.get_mut(..w.len())?;
    dst.copy_from_slice(w);
    dst.make_ascii_lowercase();
    Some(match &*dst {
        b"zero" | b"oh" | b"nought" => 0,
        b"one" => 1,
        b"two" => 2,
        b"three" => 3,
        b"four" => 4,
        b"five" => 5,
        b"six" => 6,
        b"seven" => 7,
        b"eight" => 8,
        b"nine" => 9,
        _ => return None,
    })
}

/// Is the word at `s` (ending at `e`) a digit word or `double`/`triple`?
pub(crate) fn starts_spoken(b: &[u8], s: usize, e: usize) -> bool {
    let w = b.get(s..e).unwrap_or(&[]);
    digit_word(w).is_some()
        || w.eq_ignore_ascii_case(b"double")
        || w.eq_ignore_ascii_case(b"triple")
}

/// The token at `p`: its end and the digit and how many times it counts
/// (`double five` is one token here, ending after `five`).
fn digit_token(b: &[u8], p: usize) -> Option<(usize, u8, usize)> {
    let c = byte(b, p);
    if c.is_ascii_digit() {
        return (!byte(b, p + 1).is_ascii_alphanumeric()).then_some((p + 1, c - b'0', 1));
    }
    let mut e = p;
    while byte(b, e).is_ascii_alphabetic() {
        e += 1;
    }
    if e == p || byte(b, e).is_ascii_alphanumeric() {
        return None;
    }
    let w = b.get(p..e)?;
    if let Some(d) = digit_word(w) {
        return Some((e, d, 1));
    }
    let times = if w.eq_ignore_ascii_case(b"double") {
        2
    } else if w.eq_ignore_ascii_case(b"triple") {
        3
    } else {
        return None;
    };
    if byte(b, e) != b' ' {
        return None;
    }
    let (end, d, 1) = digit_token(b, e + 1)? else {
        return None;
    };
    Some((end, d, times))
}

/// A number read out digit by digit starting at `s`: its end, kind and
/// rule.
pub(crate) fn at(b: &[u8], s: usize) -> Option<(usize, Kind, Rule)> {
    // Not the tail of a longer run (`9 4 3 4 7 6 5 9 1 9 9` read from its
    // second digit).
    if s >= 2 && byte(b, s - 1) == b' ' {
        let mut t = s - 1;
        while t > 0 && byte(b, t - 1).is_ascii_alphanumeric() {
            t -= 1;
        }
        if t < s - 1 && digit_token(b, t).is_some_and(|(e, _, _)| e == s - 1) {
            return None;
        }
    }
    let mut d = [0u8; 11];
    let mut n = 0;
    let mut words = 0;
    let mut p = s;
    let mut end = s;
    while let Some((e, digit, times)) = digit_token(b, p) {
        for _ in 0..times {
            *d.get_mut(n)? = digit;
            n += 1;
        }
        words += usize::from(!byte(b, p).is_ascii_digit());
        end = e;
        if byte(b, e) != b' ' {
            break;
        }
        p = e + 1;
    }
    // More than eleven digits failed above (`d.get_mut`): a longer number
    // is not taken.
    if n < 10 || (words == 0 && byte(b, s + 1) != b' ') {
        return None;
    }
    if n == 10 {
        let ten: [u8; 10] = d.get(..10)?.try_into().ok()?;
        return super::nhs::classify(&ten).map(|(k, r)| (end, k, r));
    }
    (d[0] == 0 && matches!(d[1], 7 | 1 | 2 | 3)).then_some((end, Kind::Phone, Rule::PhoneNational))
}

#[cfg(test)]
mod tests {
    use crate::{Kind, Scanner};

    fn found(t: &str) -> Vec<(Kind, String)> {
        Scanner::new()
            .scan(t)
            .iter()
            .map(|f| (f.kind(), t[f.span()].to_string()))
            .collect()
    }

    #[test]
    fn dictated_health_and_phone_numbers() {
        for (t, kind, want) in [
            (
                "NHS 9 4 3 4 7 6 5 9 1 9 ok",
                Kind::NhsNumber,
                "9 4 3 4 7 6 5 9 1 9",
            ),
            (
                "nhs number nine four three four seven six five nine one nine full stop",
                Kind::NhsNumber,
                "nine four three four seven six five nine one nine",
            ),
            (
                "CHI two four oh six five six four three nine eight",
                Kind::ChiNumber,
                "two four oh six five six four three nine eight",
            ),
            (
                "mobile oh seven seven double oh nine oh oh one two three",
                Kind::Phone,
                "oh seven seven double oh nine oh oh one two three",
            ),
        ] {
            assert_eq!(found(t), [(kind, want.to_string())], "{t}");
        }
        for t in [
            "nine four three four seven six five nine one eight", // check digit
            "one two three four five six seven eight nine",       // nine digits
            "9 4 3 4 7 6 5 9 1 9 9",                              // eleven, not a phone
            "one of the two went home",
        ] {
            assert!(found(t).is_empty(), "{t}");
        }
    }
}
