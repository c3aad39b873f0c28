//! Hospital (medical record) numbers.
//!
//! Trusts number their patients in many shapes, so three rules apply:
//! * **cue** ([`Rule::HospitalAfterCue`](crate::Rule)): after `MRN`,
//!   `hosp no`, `hospital no`/`number`/`ID`, `unit no`, `case no`, `PAS no`,
//!   `Trust no`, `H/No`, `H No`, `pt no`, `patient number`, `case note no`,
//!   `hosp ref`, `MRN no`, `CRN` (any case, optional `.`, `:`, `#`, `-` and
//!   spaces between cue and number), the next token of 5–12 ASCII letters
//!   and digits with at least four digits, or seven digits grouped 3-4 or
//!   4-3 (`MRN 145 0674`, `MRN 269-4658`), or one to three letters in any
//!   case, a space or `-` and six to eight digits (`mrn rm 406165`,
//!   `QEH-251988`), or one or two letters, `/` and six to eight digits
//!   (`K/510197`): `MRN 00123456`, `hosp no K123456`, `Hospital Number: RXH1234567`
//!   (a ten-digit number passing the NHS/CHI/H&C check is reported as that
//!   instead);
//! * **prefix and digits** ([`Rule::HospitalPrefixDigits`](crate::Rule)):
//!   one to three capital letters followed directly by six to ten digits, as
//!   a whole token: `K123456`, `RXH1234567`, `MRN00123456`. Clinical
//!   shorthand has fewer digits (`SpO2`, `B12`, `T4`, `GCS14`);
//! * **app pattern** ([`Rule::HospitalAppPattern`](crate::Rule)):
//!   patterns the app registers with
//!   [`ScannerBuilder::hospital_pattern`](crate::ScannerBuilder::hospital_pattern),
//!   in which `#` is a digit, `@` a letter and anything else matches itself
//!   (letters in any case), as a whole token.

use super::byte;
use crate::RedactError;

/// The longest app-supplied pattern accepted, in bytes. Real hospital numbers
/// are under 16 characters; the bound keeps per-token matching cheap.
pub const MAX_PATTERN_LEN: usize = 32;

/// The fewest `#` a pattern must have, so it cannot match ordinary words.
const MIN_PATTERN_DIGITS: usize = 4;

/// An app-supplied hospital-number pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HospitalPattern {
    bytes: Vec<u8>,
}

impl HospitalPattern {
    pub(crate) fn new(p: &str) -> Result<Self, RedactError> {
        if p.is_empty() {
            return Err(RedactError::EmptyPattern);
        }
        if p.len() > MAX_PATTERN_LEN {
            return Err(RedactError::PatternTooLong);
        }
        if !p.bytes().all(|c| c.is_ascii_graphic()) {
            return Err(RedactError::PatternNotPrintableAscii);
        }
        if p.bytes().filter(|&c| c == b'#').count() < MIN_PATTERN_DIGITS {
            return Err(RedactError::PatternTooWeak);
        }
        Ok(HospitalPattern {
            bytes: p.bytes().map(|c| c.to_ascii_uppercase()).collect(),
        })
    }

    /// Does the pattern match a whole token at `s`? Returns its end.
    pub(crate) fn matches_at(&self, b: &[u8], s: usize) -> Option<usize> {
        for (k, &p) in self.bytes.iter().enumerate() {
            let c = byte(b, s + k);
            let ok = match p {
                b'#' => c.is_ascii_digit(),
                b'@' => c.is_ascii_alphabetic(),
                _ => c.to_ascii_uppercase() == p,
            };
            if !ok {
                return None;
            }
        }
        let end = s + self.bytes.len();
        (!byte(b, end).is_ascii_alphanumeric()).then_some(end)
    }
}

/// One to three capitals then six to ten digits, as a whole token at `s`.
pub(crate) fn prefix_digits(b: &[u8], s: usize) -> Option<usize> {
    let mut p = s;
    while byte(b, p).is_ascii_uppercase() && p - s < 4 {
        p += 1;
    }
    if !(1..=3).contains(&(p - s)) {
        return None;
    }
    let d = p;
    while byte(b, p).is_ascii_digit() {
        p += 1;
    }
    if !(6..=10).contains(&(p - d)) {
        return None;
    }
    // `J444901M`: one trailing capital (a check letter) is part of it.
    if byte(b, p).is_ascii_uppercase() && !byte(b, p + 1).is_ascii_alphanumeric() && p - d <= 8 {
        return Some(p + 1);
    }
    if byte(b, p).is_ascii_alphanumeric() {
        return None;
    }
    Some(p)
}

/// Two or three capitals, one space or `-`, six to eight digits (`HG 804141`,
/// `SF 012259`, `RTH-417098`), as whole tokens at `s`. Clinical shorthand before a number
/// (`BP 120`, `HR 110`, `RR 22`) has fewer digits; ten-digit health numbers
/// after `NHS` or `CHI` have more.
///
/// The letters may also be an NHS trust's organisation code, `R`, a capital
/// and a digit (`RX1 0044531`, `RQ6 4410098`), with six to eight digits
/// after one space.
pub(crate) fn letters_space_digits(b: &[u8], s: usize) -> Option<usize> {
    let mut p = s;
    while byte(b, p).is_ascii_uppercase() && p - s < 4 {
        p += 1;
    }
    if p == s + 2 && byte(b, s) == b'R' && byte(b, p).is_ascii_digit() && byte(b, p + 1) == b' ' {
        p += 1;
    }
    if !(2..=3).contains(&(p - s)) || !matches!(byte(b, p), b' ' | b'-') {
        return None;
    }
    // Cue words take the number through the cue rule.
    if matches!(
        b.get(s..p),
        Some(b"MRN" | b"CRN" | b"CHI" | b"NHS" | b"NI" | b"HC" | b"TEL" | b"MOB" | b"EXT")
    ) {
        return None;
    }
    p += 1;
    let d = p;
    while byte(b, p).is_ascii_digit() {
        p += 1;
    }
    // Not the first group of a longer number (`HG 804141 2`).
    ((6..=8).contains(&(p - d))
        && !byte(b, p).is_ascii_alphanumeric()
        && super::join_at(b, p).is_none())
    .then_some(p)
}

/// Does the lowercase word start a hospital-number cue? Returns where the
/// cue ends (after "no"/"number" when the word needs one). `e` is the end of
/// the word in `b`.
pub(crate) fn cue_end(w: &[u8], b: &[u8], e: usize) -> Option<usize> {
    match w {
        // `MRN 1234567`, `MRN no. 1234567`.
        b"mrn" | b"crn" => Some(no_after(b, e).unwrap_or(e)),
        b"hosp" | b"hospital" | b"unit" | b"case" | b"pas" | b"trust" | b"pt" | b"patient" => {
            no_after(b, e)
                .or_else(|| {
                    // `case note no 1234567`, `case notes no.`
                    (w == b"case")
                        .then(|| word_after(b, e, &[b"note", b"notes"]))
                        .flatten()
                        .and_then(|p| no_after(b, p))
                })
                .or_else(|| {
                    // `hosp 123456`, `hosp: K123456`: the abbreviation alone is a cue.
                    (w == b"hosp").then_some(e)
                })
        }
        // `casenote 7654321`, `casenotes no. K123456`.
        b"casenote" | b"casenotes" => Some(no_after(b, e).unwrap_or(e)),
        // `record no 1234567`, `records number 1234567`.
        b"record" | b"records" => no_after(b, e),
        // `H/No 1234567`, `H No 1234567`.
        b"h" if matches!(byte(b, e), b'/' | b' ')
            && byte(b, e + 1).eq_ignore_ascii_case(&b'n')
            && byte(b, e + 2).eq_ignore_ascii_case(&b'o')
            && !byte(b, e + 3).is_ascii_alphanumeric() =>
        {
            Some(e + 3)
        }
        _ => None,
    }
}

/// The end of `no`/`number`/`ID`/`ref` after a cue word ending at `e`
/// (`hosp no`, `hosp. no`, `hosp.no`).
fn no_after(b: &[u8], e: usize) -> Option<usize> {
    word_after(b, e, &[b"no", b"number", b"num", b"nr", b"id", b"ref"])
}

/// The end of one of `words` (any case) after a word ending at `e`, past
/// an optional `.` and one space (at least one of them).
fn word_after(b: &[u8], e: usize, words: &[&[u8]]) -> Option<usize> {
    let mut p = e;
    if byte(b, p) == b'.' {
        p += 1;
    }
    if byte(b, p) == b' ' {
        p += 1;
    }
    if p == e {
        return None;
    }
    let ws = p;
    while byte(b, p).is_ascii_alphabetic() {
        p += 1;
    }
    let word = b.get(ws..p)?;
    words
        .iter()
        .any(|x| word.eq_ignore_ascii_case(x))
        .then_some(p)
}

/// The identifier after a cue ending at `p`: returns its `(start, end)`.
pub(crate) fn after_cue(b: &[u8], mut p: usize) -> Option<(usize, usize)> {
    let limit = p + 4;
    while matches!(byte(b, p), b'.' | b':' | b'#' | b'-' | b' ') && p < limit {
        p += 1;
    }
    let s = p;
    if let Some(end) = letters_space_digits(b, s) {
        return Some((s, end));
    }
    if let Some(end) = grouped_after_cue(b, s) {
        return Some((s, end));
    }
    let mut digits = 0;
    while byte(b, p).is_ascii_alphanumeric() {
        digits += usize::from(byte(b, p).is_ascii_digit());
        p += 1;
    }
    // `K/510197`: one or two letters, a slash, six to eight digits.
    if (1..=2).contains(&(p - s)) && digits == 0 && byte(b, p) == b'/' {
        let d = p + 1;
        let mut q = d;
        while byte(b, q).is_ascii_digit() {
            q += 1;
        }
        return ((6..=8).contains(&(q - d)) && !byte(b, q).is_ascii_alphanumeric())
            .then_some((s, q));
    }
    ((5..=12).contains(&(p - s)) && digits >= 4).then_some((s, p))
}

/// Shapes taken only right after a cue: one to three letters in any case,
/// a space or `-`, six to eight digits (`mrn rm 406165`, `QEH-251988`); or
/// seven digits grouped 3-4 or 4-3 by a space or `-` (`MRN 145 0674`,
/// `hosp no 1679 812`). Nothing may be joined after the number.
fn grouped_after_cue(b: &[u8], s: usize) -> Option<usize> {
    let mut p = s;
    while byte(b, p).is_ascii_alphabetic() && p - s < 4 {
        p += 1;
    }
    let letters = p - s;
    if letters > 3 {
        return None;
    }
    let mut first = 0;
    if letters == 0 {
        while byte(b, p).is_ascii_digit() {
            p += 1;
        }
        first = p - s;
        if !matches!(first, 3 | 4) {
            return None;
        }
    }
    if !matches!(byte(b, p), b' ' | b'-') {
        return None;
    }
    p += 1;
    let d = p;
    while byte(b, p).is_ascii_digit() {
        p += 1;
    }
    let second = p - d;
    // Seven digits 3-4 or 4-3, or six 3-3 (`Unit No. 123 456`).
    let ok = if letters > 0 {
        (6..=8).contains(&second)
    } else {
        (first + second == 7 && second >= 3) || (first == 3 && second == 3)
    };
    (ok && !byte(b, p).is_ascii_alphanumeric() && super::join_at(b, p).is_none()).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Rule, Scanner};

    fn found(sc: &Scanner, t: &str) -> Vec<(Rule, String)> {
        sc.scan(t)
            .iter()
            .filter(|f| f.kind() == Kind::HospitalNumber)
            .map(|f| (f.rule(), t[f.span()].to_string()))
            .collect()
    }

    #[test]
    fn casenote_record_and_six_digit_cues() {
        let sc = Scanner::new();
        for (t, want) in [
            ("Unit No. 123 456 ok", "123 456"),
            ("record no 1234567 ok", "1234567"),
            ("casenote 7654321 ok", "7654321"),
        ] {
            let f = found(&sc, t);
            assert_eq!(f.len(), 1, "{t}");
            assert_eq!(f[0].1, want, "{t}");
        }
        // `record` needs `no`/`number`; 3-3 only after a cue.
        assert!(found(&sc, "the record shows 1234567 ok").is_empty());
        assert!(found(&sc, "unit 123 456").is_empty());
    }

    #[test]
    fn cues_and_shapes() {
        let sc = Scanner::new();
        for (t, want, rule) in [
            ("MRN 00123456", "00123456", Rule::HospitalAfterCue),
            ("hosp no K123456", "K123456", Rule::HospitalAfterCue),
            ("Hosp. No: 1234567", "1234567", Rule::HospitalAfterCue),
            (
                "Hospital Number: RXH1234567",
                "RXH1234567",
                Rule::HospitalAfterCue,
            ),
            ("mrn#99887766", "99887766", Rule::HospitalAfterCue),
            ("PAS no 1234567", "1234567", Rule::HospitalAfterCue),
            ("Trust no: 12345678", "12345678", Rule::HospitalAfterCue),
            ("H/No 0973679", "0973679", Rule::HospitalAfterCue),
            ("h/no: K123456", "K123456", Rule::HospitalAfterCue),
            ("hospital ID 87400266", "87400266", Rule::HospitalAfterCue),
            ("MRN 145 0674", "145 0674", Rule::HospitalAfterCue),
            ("hosp no K/510197", "K/510197", Rule::HospitalAfterCue),
            ("MRN no. 5041323", "5041323", Rule::HospitalAfterCue),
            ("MRN number 19914059", "19914059", Rule::HospitalAfterCue),
            ("patient number 0406881", "0406881", Rule::HospitalAfterCue),
            ("Pt no 8535963", "8535963", Rule::HospitalAfterCue),
            ("pt ID 85359631", "85359631", Rule::HospitalAfterCue),
            ("case note no 1679812", "1679812", Rule::HospitalAfterCue),
            ("hosp ref 3925942", "3925942", Rule::HospitalAfterCue),
            ("hosp.no. 3925942", "3925942", Rule::HospitalAfterCue),
            ("H No 3080909", "3080909", Rule::HospitalAfterCue),
            ("MRN 269-4658", "269-4658", Rule::HospitalAfterCue),
            ("MRN 145 0674", "145 0674", Rule::HospitalAfterCue),
            ("hosp no 1679 812", "1679 812", Rule::HospitalAfterCue),
            ("mrn rm 406165", "rm 406165", Rule::HospitalAfterCue),
            ("MRN: QEH-251988", "QEH-251988", Rule::HospitalAfterCue),
            ("seen QEH-251988", "QEH-251988", Rule::HospitalPrefixDigits),
            ("MRN 9434765918", "9434765918", Rule::HospitalAfterCue),
            (
                "ref K123456 in notes",
                "K123456",
                Rule::HospitalPrefixDigits,
            ),
            ("RXH1234567", "RXH1234567", Rule::HospitalPrefixDigits),
        ] {
            assert_eq!(found(&sc, t), vec![(rule, want.to_string())], "{t}");
        }
    }

    #[test]
    fn checked_health_numbers_win_over_the_cue() {
        let f = Scanner::new().scan("MRN 943 476 5919");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind(), Kind::NhsNumber);
    }

    #[test]
    fn clinical_shorthand_survives() {
        let sc = Scanner::new();
        for t in [
            "SpO2 94%",
            "B12",
            "T4 12",
            "GCS14",
            "hospital at night",
            "unit 4",
            "K+ 5.9",
            "MRN pending",
        ] {
            assert!(found(&sc, t).is_empty(), "{t}");
        }
    }

    #[test]
    fn app_patterns() {
        let sc = Scanner::builder()
            .hospital_pattern("RQ#-####-@")
            .unwrap()
            .build();
        assert_eq!(found(&sc, "see RQ1-2345-x today").len(), 1);
        assert!(found(&sc, "see RQ1-2345-xy today").is_empty());
        assert_eq!(HospitalPattern::new(""), Err(RedactError::EmptyPattern));
        assert_eq!(
            HospitalPattern::new("AB###"),
            Err(RedactError::PatternTooWeak)
        );
        assert_eq!(
            HospitalPattern::new("A B####"),
            Err(RedactError::PatternNotPrintableAscii)
        );
        assert_eq!(
            HospitalPattern::new(&"#".repeat(33)),
            Err(RedactError::PatternTooLong)
        );
    }
}
