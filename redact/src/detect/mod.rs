//! The detectors and the single-pass scanner that drives them.
//!
//! The scanner walks the text once, left to right. At each token start it
//! looks at the first byte and hands over to at most a few detectors:
//!
//! * a digit starts a *digit run* (digit groups joined by single separators:
//!   space, no-break and thin spaces, `-`, en and em dashes, `/`, `.`), which
//!   is tried as a date ([`date`]), an NHS/CHI/H&C number ([`nhs`]) or a phone
//!   number ([`phone`]); if none matches at the first group, the next group is
//!   tried, so "ref 1 943 476 5919" still finds the NHS number;
//! * a letter starts a *word*, which is tried as an NI number ([`ni`]), a
//!   postcode ([`postcode`]) or a hospital number ([`hospital`]) when its shape
//!   allows, and otherwise classified as a cue ("DOB", "MRN", "pt", "Mrs",
//!   "Dr", "NOK", …) or looked up in the app's patient list ([`name`]);
//! * `+` starts an international phone number; a word followed by `@`, `.`,
//!   `_`, `+`, `%` or `-` is tried as an email address ([`email`]);
//! * `[` may start a placeholder this module wrote (`[NHS number]`,
//!   `[patient 7f3a1c]`), which is skipped whole so that redacting twice
//!   equals redacting once.
//!
//! Cues change a little state as the scan goes: a date cue applies to the
//! first date after it in the same sentence (a sentence ends at `.` followed
//! by whitespace, a newline, `;`, `!` or `?`); a hospital-number cue and a name
//! cue look ahead at the next token only. Each detector is bounded: no step
//! looks more than a few dozen bytes ahead, so the scan is linear in the
//! input.
//!
//! Findings are produced in order and never overlap: every detector returns
//! the end of what it consumed and the scan resumes there.

mod context;
pub mod date;
pub mod email;
pub mod hospital;
mod lexicon;
pub mod name;
pub mod nhs;
pub mod ni;
pub mod phone;
pub mod postcode;
mod spoken;

use super::{Finding, Kind, Rule, Scanner};

/// The byte at `i`, or 0 past the end (0 is never part of a token).
#[inline]
pub(crate) fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// Bit 7 of each byte of the result is set where that byte of `x` is not an
/// ASCII letter (SWAR: eight bytes tested in a dozen instructions).
#[inline]
fn non_letters(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x80 * ONES;
    // Fold case and clear bit 7, so each byte is at most 0x7F and the
    // additions below cannot carry into the next byte.
    let y = (x | (0x20 * ONES)) & (0x7F * ONES);
    let at_least_a = y.wrapping_add(0x1F * ONES) & HIGH; // y >= b'a'
    let past_z = y.wrapping_add(0x05 * ONES) & HIGH; // y >= b'z' + 1
    !(at_least_a & !past_z & !(x & HIGH)) & HIGH
}

/// The end of the run of ASCII letters starting at `e`.
#[inline]
pub(crate) fn letters_end(b: &[u8], mut e: usize) -> usize {
    while let Some(chunk) = b.get(e..e + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let m = non_letters(u64::from_le_bytes(bytes));
        if m != 0 {
            return e + usize::try_from(m.trailing_zeros() / 8).unwrap_or(0);
        }
        e += 8;
    }
    while byte(b, e).is_ascii_alphabetic() {
        e += 1;
    }
    e
}

/// `char::is_alphabetic`, with the Latin-1 letters (`é`, `ü`, `ñ`, …)
/// answered without a Unicode table search.
#[inline]
pub(crate) fn alphabetic(c: char) -> bool {
    match c {
        '\u{C0}'..='\u{FF}' => c != '\u{D7}' && c != '\u{F7}',
        _ => c.is_alphabetic(),
    }
}

/// Is the char ending at `i` a letter or digit (so `i` is inside a word)?
pub(crate) fn word_before(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    let c = byte(b, i.wrapping_sub(1));
    if c < 0x80 {
        return i > 0 && c.is_ascii_alphanumeric();
    }
    text.get(..i)
        .and_then(|s| s.chars().next_back())
        .is_some_and(char::is_alphanumeric)
}

/// Is the char starting at `i` a letter or digit?
pub(crate) fn word_after(text: &str, i: usize) -> bool {
    let c = byte(text.as_bytes(), i);
    if c < 0x80 {
        return c.is_ascii_alphanumeric();
    }
    text.get(i..)
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_alphanumeric)
}

/// The char starting at `i`, if `i` is a boundary inside the text.
pub(crate) fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// A separator inside a digit run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sep {
    /// Space, no-break space, narrow no-break, thin, figure or hair space.
    Space,
    /// Hyphen-minus, hyphen, non-breaking hyphen, figure dash, en and em dash, minus sign.
    Dash,
    /// `/`.
    Slash,
    /// `.`.
    Dot,
}

/// The separator at `i` and its length in bytes.
pub(crate) fn sep_at(b: &[u8], i: usize) -> Option<(Sep, usize)> {
    match byte(b, i) {
        b' ' => Some((Sep::Space, 1)),
        b'-' => Some((Sep::Dash, 1)),
        b'/' => Some((Sep::Slash, 1)),
        b'.' => Some((Sep::Dot, 1)),
        0xC2 if byte(b, i + 1) == 0xA0 => Some((Sep::Space, 2)),
        0xE2 => match (byte(b, i + 1), byte(b, i + 2)) {
            (0x80, 0x87 | 0x89 | 0x8A | 0xAF) => Some((Sep::Space, 3)),
            (0x80, 0x90..=0x94) | (0x88, 0x92) => Some((Sep::Dash, 3)),
            _ => None,
        },
        _ => None,
    }
}

/// The separator at `i` that joins two digit groups, if a digit follows it:
/// a single separator ([`sep_at`]), two spaces (`483  518 7385`), or a
/// dash between spaces (`487 - 257 - 2793`), as dictation and copied
/// labels write numbers.
#[inline]
pub(crate) fn join_at(b: &[u8], i: usize) -> Option<(Sep, usize)> {
    let (sep, n) = sep_at(b, i)?;
    if byte(b, i + n).is_ascii_digit() {
        return Some((sep, n));
    }
    if sep != Sep::Space {
        return None;
    }
    wide_join(b, i + n).map(|(s, k)| (s, n + k))
}

/// The rest of a wide separator after its first space. Out of line: rare.
#[inline(never)]
fn wide_join(b: &[u8], i: usize) -> Option<(Sep, usize)> {
    if byte(b, i) == b' ' && byte(b, i + 1).is_ascii_digit() {
        return Some((Sep::Space, 1));
    }
    match sep_at(b, i)? {
        (Sep::Dash, n) if byte(b, i + n) == b' ' && byte(b, i + n + 1).is_ascii_digit() => {
            Some((Sep::Dash, n + 1))
        }
        _ => None,
    }
}

/// A space-like separator (used between words: names, postcodes).
pub(crate) fn space_at(b: &[u8], i: usize) -> Option<usize> {
    match sep_at(b, i) {
        Some((Sep::Space, n)) => Some(n),
        _ => None,
    }
}

/// The most digit groups a run holds; no identifier needs more than five.
pub(crate) const MAX_GROUPS: usize = 6;

/// Digit groups joined by single separators, starting at a token start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    /// `(start, end)` of each group.
    pub(crate) groups: [(usize, usize); MAX_GROUPS],
    /// `seps[k]` joins group `k` to group `k + 1`.
    pub(crate) seps: [Sep; MAX_GROUPS],
    /// How many groups are filled.
    pub(crate) len: usize,
}

impl Run {
    /// Read a run starting at the digit at `i`.
    pub(crate) fn read(b: &[u8], mut i: usize) -> Run {
        let mut run = Run {
            groups: [(0, 0); MAX_GROUPS],
            seps: [Sep::Space; MAX_GROUPS],
            len: 0,
        };
        for k in 0..MAX_GROUPS {
            let s = i;
            while byte(b, i).is_ascii_digit() {
                i += 1;
            }
            if let Some(g) = run.groups.get_mut(k) {
                *g = (s, i);
            }
            run.len = k + 1;
            match join_at(b, i) {
                Some((sep, n)) => {
                    if let Some(x) = run.seps.get_mut(k) {
                        *x = sep;
                    }
                    i += n;
                }
                _ => break,
            }
        }
        run
    }

    /// Group `k` as `(start, end)`, or an empty group past the end.
    pub(crate) fn group(&self, k: usize) -> (usize, usize) {
        if k < self.len {
            self.groups.get(k).copied().unwrap_or((0, 0))
        } else {
            (0, 0)
        }
    }

    /// Digit count of group `k` (0 past the end).
    pub(crate) fn glen(&self, k: usize) -> usize {
        let (s, e) = self.group(k);
        e - s
    }

    /// The separator after group `k`.
    pub(crate) fn sep(&self, k: usize) -> Option<Sep> {
        if k + 1 < self.len {
            self.seps.get(k).copied()
        } else {
            None
        }
    }

    /// The value of group `k` (saturating; only used for short groups).
    pub(crate) fn value(&self, b: &[u8], k: usize) -> u32 {
        let (s, e) = self.group(k);
        b.get(s..e).unwrap_or(&[]).iter().fold(0u32, |v, d| {
            v.saturating_mul(10).saturating_add(u32::from(d - b'0'))
        })
    }

    /// The run with its first group dropped.
    pub(crate) fn tail(&self) -> Run {
        let mut r = *self;
        if r.len > 1 {
            r.groups.rotate_left(1);
            r.seps.rotate_left(1);
            r.len -= 1;
        } else {
            r.len = 0;
        }
        r
    }
}

/// A cue that makes the next date in the sentence a patient date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateCue {
    None,
    Birth,
    Event,
    /// A rota, teaching or meeting word: no date in the sentence is a
    /// patient's.
    Staff,
}

/// The little state the scan carries from token to token.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) date_cue: DateCue,
    /// Where the last date cue word ended (a bare day/month must follow it
    /// closely).
    pub(crate) cue_end: usize,
    /// The previous word puts a following "Mr"/"Ms" name in staff context
    /// ("under Mr Shah", "referred to Ms Adeyemi").
    pub(crate) staff_context: bool,
}

/// Every word the word handler treats specially (cues, titles, the `d` of
/// `d.o.b` and `d/c`), lowercase. A word whose filter bit is clear is an
/// ordinary word and is skipped without classification; a proptest checks
/// that skipping never changes the findings.
pub(crate) const SPECIAL_WORDS: &[&str] = &[
    // date cues (date.rs)
    "dob",
    "born",
    "birth",
    "admitted",
    "adm",
    "admission",
    "surgery",
    "op",
    "operation",
    "operated",
    "died",
    "death",
    "dod",
    "deceased",
    "rip",
    "discharged",
    "since",
    "seen",
    "attended",
    "appt",
    "appointment",
    "arrived",
    "arrival",
    "transferred",
    "fell",
    "collapsed",
    "delivered",
    "delivery",
    "edd",
    "lmp",
    "sample",
    "samples",
    "taken",
    "dated",
    "booked",
    "visit",
    "due",
    "until",
    "expiring",
    "expires",
    "started",
    "stopped",
    "scan",
    "procedure",
    "discharge",
    "fu",
    "followup",
    "transfer",
    "on",
    "home",
    "booking",
    "cultures",
    "seizure",
    "cxr",
    "ct",
    "mri",
    "echo",
    "xray",
    "onset",
    "follow",
    "review",
    "twoc",
    "opa",
    "sutures",
    "repeat",
    "recheck",
    "rota",
    "teaching",
    "meeting",
    "shift",
    "shifts",
    "session",
    "training",
    "induction",
    "audit",
    "mdt",
    "call",
    "leave",
    "exam",
    "deadline",
    "panel",
    "huddle",
    "governance",
    "mortality",
    "round",
    "journal",
    "interview",
    "appraisal",
    "course",
    "study",
    "conference",
    "supervision",
    "drill",
    "inspection",
    "cqc",
    "locum",
    "nights",
    "holiday",
    "wedding",
    "party",
    "birthday",
    "exp",
    "expiry",
    "launch",
    "downtime",
    "rotation",
    "changeover",
    "workshop",
    "seminar",
    "lecture",
    "webinar",
    "swap",
    "staffing",
    "strike",
    "strikes",
    "permits",
    "permit",
    "parking",
    "arcp",
    "portfolio",
    "oncall",
    "lates",
    "earlies",
    "covering",
    "starters",
    "al",
    "d",
    // numbers read out digit by digit (spoken.rs)
    "zero",
    "oh",
    "nought",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "double",
    "triple",
    // hospital-number cues (hospital.rs)
    "mrn",
    "crn",
    "hosp",
    "hospital",
    "unit",
    "case",
    "pas",
    "trust",
    "h",
    "casenote",
    "casenotes",
    "record",
    "records",
    // titles and name cues (name.rs)
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "master",
    "dr",
    "doctor",
    "prof",
    "professor",
    "sister",
    "sr",
    "nurse",
    "matron",
    "midwife",
    "pt",
    "patient",
    "name",
    "nok",
    "kin",
    "wife",
    "husband",
    "partner",
    "daughter",
    "son",
    "mother",
    "mum",
    "father",
    "dad",
    "brother",
    "carer",
    "relative",
    "niece",
    "nephew",
    "grandson",
    "granddaughter",
    "guardian",
    // staff context (name.rs)
    "under",
    "consultant",
    "cons",
    "surgeon",
    "surgical",
    "cc",
    "per",
    "registrar",
    "reg",
    "team",
    "firm",
];

/// The filter over the special words alone.
pub(crate) static BUILTIN_FILTER: std::sync::LazyLock<WordFilter> =
    std::sync::LazyLock::new(WordFilter::builtin);

/// A 16384-bit filter (2 KiB, in L1) over (length, first two letters, last two letters) of
/// the special words and the app's patient-list words, so that most words cost
/// one bit test.
#[derive(Clone)]
pub(crate) struct WordFilter([u64; 256]);

impl WordFilter {
    pub(crate) fn builtin() -> Self {
        let mut f = WordFilter([0; 256]);
        for w in SPECIAL_WORDS {
            f.insert(w.as_bytes());
        }
        f
    }

    pub(crate) fn empty() -> Self {
        WordFilter([0; 256])
    }

    #[cfg(test)]
    pub(crate) fn everything() -> Self {
        WordFilter([u64::MAX; 256])
    }

    fn key(len: usize, first: u8, second: u8, penult: u8, last: u8) -> usize {
        // `x | 0x20` folds ASCII case as `to_ascii_lowercase` does for this
        // purpose: a byte and its lowercase always have the same image.
        let h = (u32::from(first | 0x20) << 16)
            ^ (u32::from(second | 0x20) << 8)
            ^ u32::from(last | 0x20)
            ^ (u32::from(penult | 0x20) << 4)
            ^ (u32::from(len.to_le_bytes()[0]) << 24);
        usize::try_from(h.wrapping_mul(0x9E37_79B1) >> 18).unwrap_or(0)
    }

    /// Add a word (its bytes as they will appear lowercased).
    pub(crate) fn insert(&mut self, w: &[u8]) {
        let (Some(&first), Some(&last)) = (w.first(), w.last()) else {
            return;
        };
        let penult = w.len().checked_sub(2).and_then(|i| w.get(i)).copied();
        let k = Self::key(
            w.len(),
            first,
            w.get(1).copied().unwrap_or(0),
            penult.unwrap_or(0),
            last,
        );
        if let Some(x) = self.0.get_mut(k / 64) {
            *x |= 1 << (k % 64);
        }
    }

    /// Might the ASCII word `b[s..e]` be special?
    #[inline]
    pub(crate) fn may_contain(&self, b: &[u8], s: usize, e: usize) -> bool {
        self.has(Self::slot(b.get(s..e).unwrap_or(&[])))
    }

    /// The filter bit of a word (any ASCII case): below 16384.
    #[inline]
    pub(crate) fn slot(w: &[u8]) -> usize {
        let at = |i: usize| w.get(i).copied().unwrap_or(0);
        let n = w.len();
        let (second, penult) = if n > 1 { (at(1), at(n - 2)) } else { (0, 0) };
        Self::key(n, at(0), second, penult, at(n.wrapping_sub(1)))
    }

    /// Is bit `k` (a [`WordFilter::slot`]) set?
    #[inline]
    pub(crate) fn has(&self, k: usize) -> bool {
        self.0.get(k / 64).is_some_and(|x| x & (1 << (k % 64)) != 0)
    }
}

/// The fast path for an ASCII word at a token start: returns its end if it
/// is an ordinary word that no detector or cue can use.
///
/// It follows [`name::word_end`] across `'` and `-` between ASCII letters
/// (`it's`, `follow-up`), and settles a two-letter word before a digit
/// ("at 4") by trying it as an NI number here, as [`name::word`] would.
#[inline]
fn ordinary_word(sc: &Scanner, b: &[u8], s: usize) -> Option<usize> {
    let e = letters_end(b, s + 1);
    let next = byte(b, e);
    let after = byte(b, e + 1);
    // A space is by far the most common end: test it before the table.
    let plain_end = if next == b' ' {
        !(after.is_ascii_digit() && (e == s + 2 || e == s + 3) && id_before_digit(b, s))
    } else {
        match next {
            b'0'..=b'9' | b'@' | b'_' | b'+' | b'%' | 0x80..=0xFF => false,
            b'\'' | b'-' if after.is_ascii_alphabetic() => return joined_word(sc, b, s, e),
            // `word.` and `word- ` end a word, unless the word is the
            // start of an email local part (`a--x@example.com`).
            b'.' | b'-' => !after.is_ascii_alphanumeric() && !email::local_reaches_at(b, s),
            _ => true,
        }
    };
    (plain_end && sc.patterns().is_empty() && !sc.filter().may_contain(b, s, e)).then_some(e)
}

/// Is the two- or three-letter word at `s` (before a space and a digit) the
/// start of an NI number or a spaced hospital number? Out of line: it is
/// rare and keeps the hot loop small.
#[inline(never)]
fn id_before_digit(b: &[u8], s: usize) -> bool {
    ni::at(b, s).is_some() || hospital::letters_space_digits(b, s).is_some()
}

/// [`ordinary_word`] for a word that goes on across `'` or `-` at `e`
/// (`it's`, `follow-up`), following [`name::word_end`].
#[inline(never)]
fn joined_word(sc: &Scanner, b: &[u8], s: usize, mut e: usize) -> Option<usize> {
    loop {
        let next = byte(b, e);
        let after = byte(b, e + 1);
        match next {
            b'\'' | b'-' if after.is_ascii_alphabetic() => e = letters_end(b, e + 2),
            b'0'..=b'9' | b'@' | b'_' | b'+' | b'%' | 0x80..=0xFF => return None,
            b'.' | b'-' if after.is_ascii_alphanumeric() => return None,
            _ => break,
        }
    }
    if !sc.patterns().is_empty() || sc.filter().may_contain(b, s, e) {
        return None;
    }
    // `a-b--x@example.com`: the joined word is the start of an email.
    if matches!(byte(b, e), b'.' | b'-') && email::local_reaches_at(b, s) {
        return None;
    }
    // The patient list is looked up without a possessive `'s`.
    let possessive = byte(b, e - 2) == b'\'' && matches!(byte(b, e - 1), b's' | b'S');
    if possessive && sc.filter().may_contain(b, s, e - 2) {
        return None;
    }
    Some(e)
}

/// ASCII bytes that neither start a token nor change the scan's state.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)] // const loop: c < 128
static PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = !(b.is_ascii_alphanumeric()
            || matches!(b, b'+' | b'[' | b'.' | b'\n' | b';' | b'!' | b'?'));
        c += 1;
    }
    t
};

/// ASCII letters and digits, as a table: one load instead of two range tests.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)] // const loop: c < 256
static ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    t
};

/// Is `c` an ASCII letter or digit?
#[inline]
#[allow(clippy::indexing_slicing)] // a u8 always indexes a 256-entry table
pub(crate) fn alnum(c: u8) -> bool {
    ALNUM[usize::from(c)]
}

/// Is `c` a byte the scan can skip?
#[inline]
#[allow(clippy::indexing_slicing)] // a u8 always indexes a 256-entry table
fn plain(c: u8) -> bool {
    PLAIN[usize::from(c)]
}

/// Scan `text` with the scanner's configuration, appending findings to `out`.
pub(crate) fn scan(sc: &Scanner, text: &str, out: &mut Vec<Finding>) {
    first_pass(sc, text, out);
    context::extend(sc, text, out);
}

/// The one pass over the bytes (see the module documentation).
pub(crate) fn first_pass(sc: &Scanner, text: &str, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    let mut st = State {
        date_cue: DateCue::None,
        cue_end: 0,
        staff_context: false,
    };
    let mut i = 0;
    while i < b.len() {
        // Bytes with no meaning to any detector are skipped in a tight loop.
        while b.get(i).is_some_and(|&c| plain(c)) {
            i += 1;
        }
        let c = byte(b, i);
        if i >= b.len() {
            break;
        }
        if alnum(c) {
            if i > 0 && alnum(byte(b, i - 1)) {
                // Inside a word whose digits were already skipped ("84F").
                i = name::word_end(text, i);
                continue;
            }
            if c.is_ascii_alphabetic()
                && let Some(end) = ordinary_word(sc, b, i)
            {
                st.staff_context = false;
                i = end;
                continue;
            }
            if let Some(end) = token_start(sc, text, i, &mut st, out) {
                i = end.max(i + 1);
                continue;
            }
            i = if c.is_ascii_digit() {
                digits(sc, text, i, &mut st, out)
            } else {
                name::word(sc, text, i, &mut st, out)
            };
            continue;
        }
        match c {
            b'+' => {
                if let Some(end) = phone::international(b, i) {
                    push(
                        out,
                        &mut st,
                        Finding::new(Kind::Phone, i, end, Rule::PhoneInternational),
                    );
                    i = end;
                } else {
                    i += 1;
                }
            }
            b'[' => {
                if let Some((end, kind)) = placeholder(b, i) {
                    st.staff_context = false;
                    if matches!(kind, Some(Kind::DateOfBirth | Kind::CareDate)) {
                        st.date_cue = DateCue::None;
                    }
                    i = end;
                } else {
                    i += 1;
                }
            }
            b'.' => {
                if matches!(byte(b, i + 1), 0 | b' ' | b'\n' | b'\r' | b'\t') {
                    st.date_cue = DateCue::None;
                }
                i += 1;
            }
            b'\n' | b';' | b'!' | b'?' => {
                st.date_cue = DateCue::None;
                i += 1;
            }
            // Emoji and other 4-byte characters, and the punctuation and
            // symbols at U+2000–U+2FFF, never start a word: skip them
            // without a Unicode table lookup.
            0xF0..=0xFF => i += 4.min(b.len() - i),
            0xE2 => i += 3.min(b.len() - i),
            0x80..=0xEF => {
                let ch = char_at(text, i);
                let n = ch.map_or(1, char::len_utf8);
                if ch.is_some_and(alphabetic) && !word_before(text, i) {
                    i = name::word(sc, text, i, &mut st, out).max(i + n);
                } else {
                    i += n;
                }
            }
            _ => i += 1,
        }
    }
}

/// Record a finding; any finding ends staff context and consumes a date cue
/// if it is a date.
pub(crate) fn push(out: &mut Vec<Finding>, st: &mut State, f: Finding) {
    st.staff_context = false;
    if matches!(f.kind(), Kind::DateOfBirth | Kind::CareDate) {
        st.date_cue = DateCue::None;
    }
    out.push(f);
}

/// Detectors that apply at any token start, before the digit/word split:
/// app patterns and email addresses.
fn token_start(
    sc: &Scanner,
    text: &str,
    i: usize,
    st: &mut State,
    out: &mut Vec<Finding>,
) -> Option<usize> {
    let b = text.as_bytes();
    for p in sc.patterns() {
        if let Some(end) = p.matches_at(b, i) {
            push(
                out,
                st,
                Finding::new(Kind::HospitalNumber, i, end, Rule::HospitalAppPattern),
            );
            return Some(end);
        }
    }
    // Cheap gate: an email's local part must reach a byte that words do not
    // contain; skip the full check for ordinary words.
    let mut j = i;
    while alnum(byte(b, j)) {
        j += 1;
    }
    if matches!(byte(b, j), b'@' | b'.' | b'_' | b'+' | b'%' | b'-')
        && let Some(end) = email::at(b, i)
    {
        push(out, st, Finding::new(Kind::Email, i, end, Rule::EmailShape));
        return Some(end);
    }
    None
}

/// A digit at a token start: dates, NHS/CHI/H&C numbers, phone numbers.
/// Returns where the scan resumes.
fn digits(sc: &Scanner, text: &str, i: usize, st: &mut State, out: &mut Vec<Finding>) -> usize {
    let _ = sc;
    let b = text.as_bytes();
    // `(020) 7946 0000`: the finding takes the `(`, unless a finding
    // already ends after it.
    if i > 0
        && byte(b, i) == b'0'
        && byte(b, i - 1) == b'('
        && out.last().is_none_or(|f| f.span().end < i)
        && let Some(end) = phone::bracketed(b, i)
    {
        push(
            out,
            st,
            Finding::new(Kind::Phone, i - 1, end, Rule::PhoneNational),
        );
        return end;
    }
    // `9 4 3 4 7 6 5 9 1 9`: one digit, a space, a digit.
    if byte(b, i + 1) == b' '
        && byte(b, i + 2).is_ascii_digit()
        && let Some((end, kind, rule)) = spoken::at(b, i)
    {
        push(out, st, Finding::new(kind, i, end, rule));
        return end;
    }
    if let Some(end) = quiet_digits(b, i) {
        return end;
    }
    let mut run = Run::read(b, i);
    while run.len > 0 {
        let (s, _) = run.group(0);
        if let Some(d) = date::at(text, &run)
            && let Some((kind, rule)) = date::classify(st.date_cue, d.year)
        {
            push(out, st, Finding::new(kind, s, d.end, rule));
            return d.end;
        }
        if matches!(st.date_cue, DateCue::Birth | DateCue::Event)
            && date::close_to_cue(b, st.cue_end, s)
            && let Some(d) =
                date::day_month(b, &run).filter(|_| !date::duration(b, &run, st.cue_end, s))
            && let Some((kind, rule)) = date::classify(st.date_cue, None)
        {
            push(out, st, Finding::new(kind, s, d.end, rule));
            return d.end;
        }
        if let Some((end, kind, rule)) = nhs::at(b, &run) {
            push(out, st, Finding::new(kind, s, end, rule));
            return end;
        }
        if let Some(end) = phone::national(b, &run) {
            push(
                out,
                st,
                Finding::new(Kind::Phone, s, end, Rule::PhoneNational),
            );
            return end;
        }
        if run.len == 1 {
            break;
        }
        run = run.tail();
    }
    // Nothing here: skip the first digit group and whatever word it starts.
    let mut j = i;
    while byte(b, j).is_ascii_digit() {
        j += 1;
    }
    j
}

/// A digit group at `i` that no digit detector can use: returns its end.
///
/// It is a run of one group (no separator followed by a digit), so it is
/// not a numeric date, a 3-3-4 number or a spaced phone number; with fewer
/// than ten digits it is not a plain NHS or phone number; and with three or
/// more digits, or one or two not followed by a letter (an ordinal suffix)
/// or a separator (before a month name), it is not a day of a named date.
/// Short numbers ("15:00", "HR 110") are common, and this spares them the
/// full run.
#[inline]
fn quiet_digits(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while byte(b, j).is_ascii_digit() {
        j += 1;
    }
    let n = j - i;
    let next = byte(b, j);
    let quiet = if n <= 2 {
        !next.is_ascii_alphabetic() && !matches!(next, b' ' | b'-' | b'/' | b'.' | 0xC2 | 0xE2)
    } else {
        n < 10 && join_at(b, j).is_none()
    };
    quiet.then_some(j)
}

/// A placeholder this module writes: `[label]`, `[label ending 123]` or
/// `[label 0123ab]`. Returns its end and kind (`None` for `patient`).
pub(crate) fn placeholder(b: &[u8], i: usize) -> Option<(usize, Option<Kind>)> {
    let rest = b.get(i + 1..)?;
    let labels = Kind::ALL
        .iter()
        .map(|k| (k.label(), Some(*k)))
        .chain(core::iter::once((super::action::PATIENT_LABEL, None)));
    for (label, kind) in labels {
        let Some(after) = rest.strip_prefix(label.as_bytes()) else {
            continue;
        };
        if after.first() == Some(&b']') {
            return Some((i + 2 + label.len(), kind));
        }
        if let Some(tail) = after.strip_prefix(b" ending ") {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if (1..=3).contains(&n) && tail.get(n) == Some(&b']') {
                return Some((i + 1 + label.len() + 8 + n + 1, kind));
            }
        }
        if let Some(tail) = after.strip_prefix(b" ") {
            let n = tail
                .iter()
                .take_while(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
                .count();
            if n == super::action::PSEUDONYM_HEX_LEN && tail.get(n) == Some(&b']') {
                return Some((i + 1 + label.len() + 1 + n + 1, kind));
            }
        }
    }
    None
}

/// The matched text of every finding of `kind` in `t` (detector tests).
#[cfg(test)]
pub(super) fn spans_of(kind: crate::Kind, t: &str) -> Vec<&str> {
    crate::Scanner::new()
        .scan(t)
        .iter()
        .filter(|f| f.kind() == kind)
        .map(|f| &t[f.span()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_word_passes_the_filter() {
        let f = WordFilter::builtin();
        for w in SPECIAL_WORDS {
            let up = w.to_ascii_uppercase();
            assert!(f.may_contain(w.as_bytes(), 0, w.len()), "{w}");
            assert!(f.may_contain(up.as_bytes(), 0, w.len()), "{w}");
        }
    }

    use proptest::prelude::*;

    proptest::proptest! {
        /// The fast path never changes what is found.
        #[test]
        fn filter_is_only_a_shortcut(words in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(SPECIAL_WORDS.to_vec()).prop_map(str::to_string),
                proptest::sample::select(vec![
                    "Smith", "jones", "12/03/1954", "12", "Mar", "1954", "943 476 5919", "K123456",
                    "00123456", "no", "number", "'s", "list", "(consultant)", ":", ".", "o.b", "/c",
                    "Thornton", "Ward", "AB", "12 34 56 C", "SW1A", "1AA", "x@example.com",
                ]).prop_map(str::to_string),
                "[A-Za-z]{1,6}",
            ], 0..24),
            seps in proptest::collection::vec(proptest::sample::select(vec![" ", "", ", ", ": ", ". ", "\n"]), 24),
        ) {
            let text: String = words.iter().zip(seps.iter()).map(|(w, s)| format!("{w}{s}")).collect();
            let fast = Scanner::builder().patient_name("Margaret Thornton").build();
            let mut slow = Scanner::builder().patient_name("Margaret Thornton").build();
            slow.set_filter(WordFilter::everything());
            proptest::prop_assert_eq!(fast.scan(&text), slow.scan(&text), "{:?}", text);
        }
    }

    /// Found by proptest: the fast path took `a` as an ordinary word and
    /// the full path took `a--x@example.com` as an email.
    #[test]
    fn word_before_dashes_can_start_an_email() {
        for t in [
            "a--x@example.com",
            "a.-x@example.com",
            "a-b--x@example.com",
            "see a--x@example.com now",
            "o'brien-a--x@example.com",
        ] {
            let fast = Scanner::new();
            let mut slow = Scanner::new();
            slow.set_filter(WordFilter::everything());
            assert_eq!(fast.scan(t), slow.scan(t), "{t:?}");
        }
        assert_eq!(
            spans_of(Kind::Email, "a--x@example.com"),
            ["a--x@example.com"]
        );
    }

    #[test]
    fn letters_end_matches_a_byte_loop() {
        let slow = |b: &[u8], mut e: usize| {
            while byte(b, e).is_ascii_alphabetic() {
                e += 1;
            }
            e
        };
        for c in 0..=255u8 {
            for pos in 0..12 {
                let mut t = b"abcdefghijklMNOPQRSTuvwxyz".to_vec();
                if let Some(x) = t.get_mut(pos) {
                    *x = c;
                }
                for s in 0..t.len() {
                    assert_eq!(letters_end(&t, s), slow(&t, s), "{c} at {pos} from {s}");
                }
            }
        }
    }

    proptest::proptest! {
        /// The fast path for joined words (`it's`, `follow-up`), possessives
        /// of listed names and short words before digits finds exactly what
        /// the full word handler finds.
        #[test]
        fn joined_words_fast_path_is_only_a_shortcut(words in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(SPECIAL_WORDS.to_vec()).prop_map(str::to_string),
                proptest::sample::select(vec![
                    "it's", "It'S", "follow-up", "X-ray", "post-op", "co-amoxiclav", "O'Brien",
                    "o'brien's", "Smith-Jones", "smith-jones's", "rock'n'roll", "Thornton's",
                    "THORNTON'S", "d'Arcy", "at", "AB", "ab", "in", "QQ", "4", "12", "123456",
                    "12 34 56 C", "AB 12 34 56 C", "ab123456c", "care", "case", "carer",
                    "café", "Zoë", "post-2", "a-", "'", "-", "Mrs", "pt", "NOK", "Ward",
                    "disease", "x@example.com", "Dr", "under", "Mr", "Shah",
                ]).prop_map(str::to_string),
                "[A-Za-z]{1,4}(['-][A-Za-z]{1,4}){0,2}",
                "[A-Za-z]{2}",
            ], 0..24),
            seps in proptest::collection::vec(proptest::sample::select(vec![" ", "", ", ", ": ", ". ", "\n", "-", "'"]), 24),
        ) {
            let text: String = words.iter().zip(seps.iter()).map(|(w, s)| format!("{w}{s}")).collect();
            let build = || Scanner::builder()
                .patient_name("Mary O'Brien")
                .patient_name("Ann Smith-Jones")
                .patient_name("Margaret Thornton")
                .staff_name("Raj Shah")
                .build();
            let fast = build();
            let mut slow = build();
            slow.set_filter(WordFilter::everything());
            proptest::prop_assert_eq!(fast.scan(&text), slow.scan(&text), "{:?}", text);
        }
    }

    proptest::proptest! {
        /// A group `quiet_digits` skips is one that no digit detector takes,
        /// under any date cue.
        #[test]
        fn quiet_digits_are_never_identifiers(
            text in "[0-9]{1,12}([ ./:,-]|\u{a0}|\u{2013}|st|th|nd| of)?([0-9]{1,4}|[A-Za-z]{1,9})?([ ./-][0-9]{1,4})?[ ,.]?",
        ) {
            let b = text.as_bytes();
            if let Some(end) = quiet_digits(b, 0) {
                let run = Run::read(b, 0);
                proptest::prop_assert_eq!(run.len, 1);
                proptest::prop_assert_eq!(run.group(0).1, end);
                proptest::prop_assert!(date::at(&text, &run).is_none(), "{:?}", text);
                proptest::prop_assert!(nhs::at(b, &run).is_none(), "{:?}", text);
                proptest::prop_assert!(phone::national(b, &run).is_none(), "{:?}", text);
            }
        }
    }

    #[test]
    fn latin1_shortcut_agrees_with_unicode() {
        for c in '\u{0}'..='\u{2FF}' {
            assert_eq!(alphabetic(c), c.is_alphabetic(), "{c:?}");
        }
    }

    #[test]
    fn runs_split_on_single_separators() {
        let t = "943\u{a0}476\u{2013}5919 x";
        let r = Run::read(t.as_bytes(), 0);
        assert_eq!(r.len, 3);
        assert_eq!(r.glen(0), 3);
        assert_eq!(r.sep(0), Some(Sep::Space));
        assert_eq!(r.sep(1), Some(Sep::Dash));
        assert_eq!(r.glen(2), 4);
        assert_eq!(r.tail().glen(0), 3);
    }

    #[test]
    fn wide_separators_join_and_wider_ones_end_a_run() {
        assert_eq!(Run::read(b"12  34", 0).len, 2);
        assert_eq!(Run::read(b"487 - 257 - 2793", 0).len, 3);
        assert_eq!(Run::read(b"12   34", 0).len, 1);
        assert_eq!(Run::read(b"12 -- 34", 0).len, 1);
        assert_eq!(Run::read(b"12 / 34", 0).len, 1);
    }

    #[test]
    fn placeholders_are_recognised() {
        assert_eq!(
            placeholder(b"[NHS number] x", 0),
            Some((12, Some(Kind::NhsNumber)))
        );
        assert_eq!(
            placeholder(b"[phone ending 123]", 0),
            Some((18, Some(Kind::Phone)))
        );
        assert_eq!(placeholder(b"[patient 7f3a1c]", 0), Some((16, None)));
        assert_eq!(placeholder(b"[patient 7f3a1]", 0), None);
        assert_eq!(placeholder(b"[bed 4]", 0), None);
    }

    #[test]
    fn word_boundaries_handle_non_ascii() {
        let t = "é1";
        assert!(word_before(t, 2));
        assert!(!word_before("—1", 3));
        assert!(word_after("Zoë", 2));
    }
}
