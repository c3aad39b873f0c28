//! NHS numbers, CHI numbers and Health and Care numbers.
//!
//! # Rules
//! * Ten digits, written plain (`9434765919`) or grouped 3-3-4, 4-3-3, 3-4-3, 5-5,
//!   6-4, 3-7 or 2-2-2-4 with a space-like or dash-like separator between groups (space,
//!   no-break space, narrow no-break space, thin space, `-`, en dash, em
//!   dash, minus sign; also two spaces or a dash between spaces, as dictated
//!   and copied numbers are written), e.g. `943 476 5919`, `943-476-5919`,
//!   `943 476–5919`, `200948 9977`, `487 - 257 - 2793`, `9434 765 919`,
//!   `94347 65919`; or 3-3-4 with two dots (`943.476.5919`).
//! * The digit after the number must not be joined to it (no letter or digit
//!   directly after), and the number must start a token.
//! * The modulus 11 check must pass: weights 10 down to 2 on the first nine
//!   digits, check = 11 − (sum mod 11), 11 becomes 0, 10 is never valid. A
//!   ten-digit number that fails the check is *not* reported as an NHS number
//!   (it may still be a phone number).
//! * Which scheme, where the number says so:
//!   - **CHI** (Scotland): the first six digits are a date `DDMMYY`
//!     (day 01–31, month 01–12), which puts it in 010 101 0000–311 299 9999;
//!   - **H&C** (Northern Ireland): 320 000 0000–399 999 9999;
//!   - **NHS** (England, Wales, Isle of Man): any other number that does not
//!     start with 0. A number starting with 0 that is not a valid CHI is not
//!     reported here (it is usually a phone number).
//!
//! CHI and NHS ranges are disjoint (CHI ≤ 311…, NHS numbers start 4–9), so
//! the scheme is decided by range, not by context.

use super::{Run, Sep, byte};
use crate::{Kind, Rule};

/// Does a ten-digit number pass the modulus 11 check?
pub(crate) fn mod11_valid(d: &[u8; 10]) -> bool {
    let mut sum = 0u32;
    for (x, w) in d.iter().take(9).zip((2..=10u32).rev()) {
        sum += u32::from(*x) * w;
    }
    let check = match 11 - (sum % 11) {
        11 => 0,
        10 => return false,
        c => c,
    };
    u32::from(d[9]) == check
}

/// Does a ten-digit number pass the modulus 10 check that some CHI numbers
/// issued from 2026 use? Taken here as the modulus 11 weights (10 down to 2)
/// with check = (10 − sum mod 10) mod 10. Only used after a `CHI` cue and
/// with a valid `DDMMYY` prefix, so a wrong guess at the weights costs
/// recall, not precision.
pub(crate) fn chi_mod10_valid(d: &[u8; 10]) -> bool {
    let mut sum = 0u32;
    for (x, w) in d.iter().take(9).zip((2..=10u32).rev()) {
        sum += u32::from(*x) * w;
    }
    u32::from(d[9]) == (10 - sum % 10) % 10 && ddmmyy(d)
}

/// Are the first six digits a valid `DDMMYY`?
fn ddmmyy(d: &[u8; 10]) -> bool {
    let day = d[0] * 10 + d[1];
    let month = d[2] * 10 + d[3];
    (1..=31).contains(&day) && (1..=12).contains(&month)
}

/// Which scheme a valid ten-digit number belongs to.
pub(crate) fn classify(d: &[u8; 10]) -> Option<(Kind, Rule)> {
    if !mod11_valid(d) {
        return None;
    }
    let day = d[0] * 10 + d[1];
    let month = d[2] * 10 + d[3];
    let prefix = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    if (1..=31).contains(&day) && (1..=12).contains(&month) {
        Some((Kind::ChiNumber, Rule::ChiModulus11))
    } else if (320..=399).contains(&prefix) {
        Some((Kind::HealthAndCareNumber, Rule::HealthAndCareModulus11))
    } else if d[0] == 0 {
        None
    } else {
        Some((Kind::NhsNumber, Rule::NhsModulus11))
    }
}

/// Try the run's first groups as a ten-digit health number.
/// Returns `(end, kind, rule)`.
pub(crate) fn at(b: &[u8], run: &Run) -> Option<(usize, Kind, Rule)> {
    let joined = |k: usize| matches!(run.sep(k), Some(Sep::Space | Sep::Dash));
    let dotted = |k: usize| run.sep(k) == Some(Sep::Dot);
    let end = match (run.glen(0), run.glen(1), run.glen(2)) {
        (10, _, _) => run.group(0).1,
        // 3-3-4 also with dots, as phone numbers are sometimes written
        // (`943.476.5919`); 4-3-3 as some forms group it.
        (3, 3, 4) if (joined(0) && joined(1)) || (dotted(0) && dotted(1)) => run.group(2).1,
        (4, 3, 3) | (3, 4, 3) if joined(0) && joined(1) => run.group(2).1,
        // `24 06 56 4398`: a CHI number's date written day, month, year.
        (2, 2, 2) if joined(0) && joined(1) && joined(2) && run.glen(3) == 4 => run.group(3).1,
        // 6-4 (CHI is often written `DDMMYY NNNN`), 3-7 and 5-5.
        (6, 4, _) | (3, 7, _) | (5, 5, _) if joined(0) => run.group(1).1,
        _ => return None,
    };
    if byte(b, end).is_ascii_alphanumeric() {
        return None;
    }
    let mut d = [0u8; 10];
    let mut n = 0;
    let start = run.group(0).0;
    for c in b.get(start..end)?.iter().filter(|c| c.is_ascii_digit()) {
        *d.get_mut(n)? = c - b'0';
        n += 1;
    }
    if n != 10 {
        return None;
    }
    classify(&d).map(|(k, r)| (end, k, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    fn digits(s: &str) -> [u8; 10] {
        let mut d = [0u8; 10];
        for (x, c) in d.iter_mut().zip(s.bytes()) {
            *x = c - b'0';
        }
        d
    }

    fn kinds(t: &str) -> Vec<Kind> {
        Scanner::new().scan(t).iter().map(|f| f.kind()).collect()
    }

    #[test]
    fn three_four_three_and_a_spaced_chi_date() {
        assert_eq!(kinds("NHS 943 4765 919 ok"), [Kind::NhsNumber]);
        assert_eq!(kinds("CHI 24 06 56 4398"), [Kind::ChiNumber]);
        // The check digit still decides.
        assert!(kinds("ref 943 4765 918 ok").is_empty());
        assert!(kinds("ref 24 06 56 4399").is_empty());
    }

    #[test]
    fn modulus_11() {
        assert!(mod11_valid(&digits("9434765919")));
        assert!(!mod11_valid(&digits("9434765918")));
        assert!(mod11_valid(&digits("4010232137")));
        // 000000006: sum 12, 11 - 1 = 10: no check digit is valid.
        for last in 0..10u8 {
            let mut d = digits("0000000060");
            d[9] = last;
            assert!(!mod11_valid(&d));
        }
    }

    #[test]
    fn nhs_forms() {
        for t in [
            "9434765919",
            "943 476 5919",
            "943-476-5919",
            "943\u{a0}476\u{a0}5919",
            "943\u{202f}476\u{202f}5919",
            "943\u{2013}476\u{2013}5919",
            "NHS no: 943 476 5919.",
            "943.476.5919",
            "9434 765 919",
            "9434-765-919",
            "94347 65919",
            "NHS No.943.476.5919",
        ] {
            assert_eq!(kinds(t), vec![Kind::NhsNumber], "{t}");
        }
    }

    #[test]
    fn failed_check_digit_is_not_reported() {
        assert!(kinds("9434765918").is_empty());
        assert!(kinds("943 476 5918").is_empty());
    }

    #[test]
    fn joined_or_odd_groupings_are_not_reported() {
        assert!(kinds("x9434765919").is_empty());
        assert!(kinds("9434765919x").is_empty());
        assert!(kinds("94347659190").is_empty());
        assert!(kinds("94 3476 5919").is_empty());
        assert!(kinds("943.476-5919").is_empty());
    }

    #[test]
    fn chi_and_hc_are_distinguished() {
        // 120354 (12 Mar 1954) + 123 + check digit.
        assert_eq!(kinds("1203541236"), vec![Kind::ChiNumber]);
        assert_eq!(kinds("320 000 0015"), vec![Kind::HealthAndCareNumber]);
    }
}
