//! UK postcodes.
//!
//! # Rules
//! A postcode is an outward code, an optional space (one or two spaces or
//! no-break spaces), and an inward code, in any case:
//! * outward code in one of the six shapes `A9`, `A99`, `A9A`, `AA9`,
//!   `AA99`, `AA9A` (A a letter, 9 a digit), whose one- or two-letter area is
//!   one of the 124 UK postcode areas (plus `BF` for BFPO). For `A9A` the
//!   third character is one of `ABCDEFGHJKPSTUW`; for `AA9A` one of
//!   `ABEHMNPRVWXY`;
//! * inward code `9AA`, whose letters are not `C I K M O V`;
//! * token boundaries on both sides (no letter or digit joined on).
//!
//! The area list keeps clinical shorthand out (`C3`, `T2`, `A1`, `GCS 14` are
//! not areas) and the inward letter rule keeps doses out (`B12 4mg`: `m` is
//! never an inward letter). Without the space, the outward code is taken as
//! long as the remaining three characters still form an inward code
//! (`SW1A1AA` → `SW1A 1AA`, `W11AA` → `W1 1AA`).
//!
//! Not recognised: `GIR 0AA` and overseas-territory codes.

use super::{byte, space_at};

const AREAS: &[&[u8]] = &[
    b"AB", b"AL", b"B", b"BA", b"BB", b"BD", b"BF", b"BH", b"BL", b"BN", b"BR", b"BS", b"BT",
    b"CA", b"CB", b"CF", b"CH", b"CM", b"CO", b"CR", b"CT", b"CV", b"CW", b"DA", b"DD", b"DE",
    b"DG", b"DH", b"DL", b"DN", b"DT", b"DY", b"E", b"EC", b"EH", b"EN", b"EX", b"FK", b"FY", b"G",
    b"GL", b"GU", b"GY", b"HA", b"HD", b"HG", b"HP", b"HR", b"HS", b"HU", b"HX", b"IG", b"IM",
    b"IP", b"IV", b"JE", b"KA", b"KT", b"KW", b"KY", b"L", b"LA", b"LD", b"LE", b"LL", b"LN",
    b"LS", b"LU", b"M", b"ME", b"MK", b"ML", b"N", b"NE", b"NG", b"NN", b"NP", b"NR", b"NW", b"OL",
    b"OX", b"PA", b"PE", b"PH", b"PL", b"PO", b"PR", b"RG", b"RH", b"RM", b"S", b"SA", b"SE",
    b"SG", b"SK", b"SL", b"SM", b"SN", b"SO", b"SP", b"SR", b"SS", b"ST", b"SW", b"SY", b"TA",
    b"TD", b"TF", b"TN", b"TQ", b"TR", b"TS", b"TW", b"UB", b"W", b"WA", b"WC", b"WD", b"WF",
    b"WN", b"WR", b"WS", b"WV", b"YO", b"ZE",
];

/// Areas as a bitmap indexed by `(first − 'A') * 27 + (second − 'A')`, with
/// 26 for a one-letter area, so the check is one bit test.
// Evaluated at compile time: an out-of-bounds index fails the build.
#[allow(clippy::indexing_slicing)]
static AREA_BITS: [u64; 12] = {
    let mut bits = [0u64; 12];
    let mut k = 0;
    while k < AREAS.len() {
        let a = AREAS[k];
        let second = if a.len() == 2 { a[1] - b'A' } else { 26 };
        let idx = (a[0] - b'A') as usize * 27 + second as usize;
        bits[idx / 64] |= 1 << (idx % 64);
        k += 1;
    }
    bits
};

fn is_area(first: u8, second: Option<u8>) -> bool {
    if !first.is_ascii_uppercase() {
        return false;
    }
    let s = match second {
        Some(c) if c.is_ascii_uppercase() => c - b'A',
        Some(_) => return false,
        None => 26,
    };
    let idx = usize::from(first - b'A') * 27 + usize::from(s);
    AREA_BITS
        .get(idx / 64)
        .is_some_and(|w| w & (1 << (idx % 64)) != 0)
}

fn upper(b: &[u8], i: usize) -> u8 {
    byte(b, i).to_ascii_uppercase()
}

fn inward_letter(c: u8) -> bool {
    c.is_ascii_uppercase() && !matches!(c, b'C' | b'I' | b'K' | b'M' | b'O' | b'V')
}

/// The inward code at `i`, ending at a boundary: returns its end.
fn inward(b: &[u8], i: usize) -> Option<usize> {
    (byte(b, i).is_ascii_digit()
        && inward_letter(upper(b, i + 1))
        && inward_letter(upper(b, i + 2))
        && !byte(b, i + 3).is_ascii_alphanumeric())
    .then_some(i + 3)
}

/// A postcode starting at the letter at `s`: returns its end.
pub(crate) fn at(b: &[u8], s: usize) -> Option<usize> {
    let l1 = upper(b, s);
    if !l1.is_ascii_uppercase() {
        return None;
    }
    let two = upper(b, s + 1).is_ascii_uppercase();
    let area_len = if two { 2 } else { 1 };
    if !is_area(l1, two.then(|| upper(b, s + 1))) {
        return None;
    }
    let d = s + area_len;
    if !byte(b, d).is_ascii_digit() {
        return None;
    }
    let third = upper(b, d + 1);
    let mut outward_ends = [0usize; 2];
    let mut n = 0;
    let third_ok = third.is_ascii_digit()
        || (!two && b"ABCDEFGHJKPSTUW".contains(&third))
        || (two && b"ABEHMNPRVWXY".contains(&third));
    if third_ok {
        outward_ends[0] = d + 2;
        n = 1;
    }
    if let Some(x) = outward_ends.get_mut(n) {
        *x = d + 1;
        n += 1;
    }
    for &o in outward_ends.iter().take(n) {
        if let Some(gap) = space_at(b, o) {
            if let Some(end) = inward(b, o + gap) {
                return Some(end);
            }
            // `SW1A  1AA`: two spaces, as dictation and form fields leave.
            if let Some(end) = space_at(b, o + gap).and_then(|g2| inward(b, o + gap + g2)) {
                return Some(end);
            }
        }
        if let Some(end) = inward(b, o) {
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::Kind;

    fn spans(t: &str) -> Vec<&str> {
        super::super::spans_of(Kind::Postcode, t)
    }

    #[test]
    fn every_shape_any_case_with_or_without_space() {
        for p in [
            "M1 1AE",
            "B33 8TH",
            "CR2 6XH",
            "DN55 1PT",
            "W1A 0AX",
            "EC1A 1BB",
            "SW1A 2AA",
            "sw1a 2aa",
            "Ls1 4dy",
            "SW1A2AA",
            "W1A0AX",
            "m11ae",
            "BT9 7AB",
            "EH3\u{a0}9HA",
        ] {
            let t = format!("lives at {p}, lift access");
            assert_eq!(spans(&t), vec![p], "{p}");
        }
    }

    #[test]
    fn area_bitmap_matches_the_list() {
        for a in b'A'..=b'Z' {
            let one = [a];
            assert_eq!(super::is_area(a, None), super::AREAS.contains(&&one[..]));
            for c in b'A'..=b'Z' {
                let two = [a, c];
                assert_eq!(super::is_area(a, Some(c)), super::AREAS.contains(&&two[..]));
            }
        }
    }

    #[test]
    fn clinical_shorthand_is_not_a_postcode() {
        for t in [
            "B12 4mg IM",
            "C3 2nd",
            "T2 DM",
            "GCS 14",
            "A1 grade",
            "bay 4B",
            "SE1",
            "NG12",
            "XY1 1AA",
            "QQ1 1AA",
            "SW1A 1AAB",
            "SW1A 1CA",
        ] {
            assert!(spans(t).is_empty(), "{t}");
        }
    }

    #[test]
    fn two_spaces_between_outward_and_inward() {
        assert_eq!(
            super::super::spans_of(Kind::Postcode, "lives SW1A  1AA now"),
            ["SW1A  1AA"]
        );
        assert!(super::super::spans_of(Kind::Postcode, "SW1A   1AA").is_empty());
    }
}
