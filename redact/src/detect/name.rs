//! Names of patients and of people tied to a patient, and the word-level
//! cues (dates, hospital numbers) the scanner tracks.
//!
//! # Name rules
//! A *name token* is a word of letters (any script; internal `'`, `’` or
//! `-` allowed: `O'Brien`, `Smith-Jones`, `Zoë`), or a single capital
//! initial with an optional `.`. It is never a stop word (function words,
//! cue words, common clinical words and abbreviations such as `in`, `bed`,
//! `stable`, `GCS`). A possessive `'s` ends the name and is not part of it.
//! Up to three tokens joined by single spaces form one name.
//!
//! Names are reported in four ways:
//! 1. **Patient list** ([`Rule::NamePatientList`](crate::Rule)): any
//!    word of a name the app supplied with
//!    [`ScannerBuilder::patient_name`](crate::ScannerBuilder::patient_name),
//!    anywhere, in any case (accents must match). Not when it follows a staff
//!    title (`Dr Thornton`), names a place (`Thornton Ward`, `… Unit`,
//!    `… Wing`, `… House`) or an eponym (`Parkinson's disease`).
//! 2. **Title** ([`Rule::NameAfterTitle`](crate::Rule)): the name
//!    after `Mr`, `Mrs`, `Ms`, `Miss`, `Mx` (capitalised name; lowercase
//!    names too after `mr`/`mrs`) or `Master`. In the UK surgeons are `Mr`,
//!    `Ms`, `Miss` or `Mrs`, so a title alone does not decide; the name is
//!    **staff** and survives when
//!    - a word of it is on the app's staff list
//!      ([`ScannerBuilder::staff_name`](crate::ScannerBuilder::staff_name)), or
//!    - the word before the title places it in a clinical team: `under`,
//!      `consultant`, `cons`, `surgeon`, `surgical`, `cc`, `per`,
//!      `registrar`, `reg`, `team`, `firm` (not `to` or `refer`: "refer
//!      Mrs X to Mr Y" names a patient first), or
//!    - the word after it does: `Mr Shah's list`, `Ms Adeyemi (consultant)`,
//!      `Miss Grant, registrar` — one of `team`, `list`, `firm`, `clinic`,
//!      `theatre`, `registrar`, `reg`, `secretary`, `consultant`, `cons`,
//!      `surgeon`, `patients`, `fellow`, after an optional `'s`, `,` or `(`.
//!
//!    `Master` (a boy) is always a patient.
//! 3. **Patient cue** ([`Rule::NameAfterPatientCue`](crate::Rule)):
//!    the name after `pt`, `patient` or `name`. Capitalised only, unless a
//!    `:` or `-` follows the cue (`name: john smith`), which allows lowercase.
//! 4. **Relation cue** ([`Rule::NameAfterRelationCue`](crate::Rule)):
//!    the name after `NOK`, `next of kin`, `wife`, `husband`, `partner`,
//!    `daughter`, `son`, `mother`, `mum`, `father`, `dad`, `brother`,
//!    `sister` (lowercase only: `Sister` is a nursing title), `carer`,
//!    `relative`, `niece`, `nephew`, `grandson`, `granddaughter`,
//!    `guardian`, with the same case rule.
//!
//! # Staff names
//! After a staff title — `Dr`, `Doctor`, `Prof`, `Professor`, `Sister`,
//! `Sr`, `Nurse`, `Matron`, `Midwife` — up to three name tokens are skipped:
//! they are never reported, even if the patient list shares the word. Staff
//! roles without a name (`the reg`, `the SHO`) are plain words and survive.
//! Wards named after people (`Nightingale Ward`) survive unless written right
//! after a cue as if they were a name.

use std::collections::HashMap;

use zeroize::{Zeroize, Zeroizing};

use super::{DateCue, State, byte, char_at, date, hospital, ni, postcode, push, space_at};
use crate::{Finding, Kind, Rule, Scanner};

/// FNV-1a: the token map is keyed by names the app supplied, not by
/// attacker-chosen input, so a fast unkeyed hash is enough; lookups happen
/// for every word that passes the filter.
#[derive(Clone, Copy, Default)]
pub(crate) struct Fnv;

/// The running FNV-1a state.
pub(crate) struct FnvHasher(u64);

impl std::hash::BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The entry recorded for a word that more than one listed name contains.
pub(crate) const AMBIGUOUS: u32 = u32::MAX;

/// Names supplied by the app, folded to lowercase, with a cheap prefilter so
/// that most words cost one bit test.
pub(crate) struct NameList {
    tokens: HashMap<Box<[u8]>, u32, Fnv>,
    entries: Vec<Zeroizing<String>>,
    /// One bit per (length, first two bytes, last byte) of a folded token,
    /// set in [`NameList::add`], so most words are refused without hashing.
    bloom: [u64; 64],
}

impl Default for NameList {
    fn default() -> Self {
        NameList {
            tokens: HashMap::default(),
            entries: Vec::new(),
            bloom: [0; 64],
        }
    }
}

impl Drop for NameList {
    fn drop(&mut self) {
        for (mut k, _) in self.tokens.drain() {
            k.zeroize();
        }
    }
}

fn bloom_bit(folded: &[u8]) -> usize {
    bloom_bit_parts(
        folded.len(),
        [folded.first(), folded.get(1), folded.last()].map(Option::<&u8>::copied),
    )
}

/// [`bloom_bit`] from the length and the first, second and last bytes.
fn bloom_bit_parts(len: usize, [first, second, last]: [Option<u8>; 3]) -> usize {
    let first = u32::from(first.unwrap_or(0));
    let second = u32::from(second.unwrap_or(0));
    let last = u32::from(last.unwrap_or(0));
    let len = u32::try_from(len.min(255)).unwrap_or(255);
    let h = (len << 24) ^ (first << 16) ^ (second << 8) ^ last;
    usize::try_from(h.wrapping_mul(0x9E37_79B1) >> 20).unwrap_or(0)
}

/// Lowercase a non-ASCII word into `buf` as [`fold`] would, without
/// allocating; returns its length, or `None` if it does not fit.
fn fold_into(word: &str, buf: &mut [u8; 64]) -> Option<usize> {
    let mut n = 0;
    for c in word.chars().flat_map(char::to_lowercase) {
        let dst = buf.get_mut(n..n + c.len_utf8())?;
        c.encode_utf8(dst);
        n += c.len_utf8();
    }
    Some(n)
}

/// Lowercase a word for list lookup.
fn fold(word: &str) -> Zeroizing<String> {
    Zeroizing::new(word.chars().flat_map(char::to_lowercase).collect())
}

impl NameList {
    /// Add a full name; each token of two or more letters is looked up alone.
    pub(crate) fn add(&mut self, name: &str, filter: &mut super::WordFilter) {
        let Ok(entry) = u32::try_from(self.entries.len()) else {
            return;
        };
        let canonical = fold(name);
        let mut any = false;
        for tok in
            canonical.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '’' || c == '-'))
        {
            let tok = tok.trim_matches(|c: char| !c.is_alphabetic());
            if tok.chars().count() < 2 {
                continue;
            }
            any = true;
            filter.insert(tok.as_bytes());
            let key: Box<[u8]> = tok.as_bytes().into();
            let bit = bloom_bit(&key);
            if let Some(w) = self.bloom.get_mut(bit / 64) {
                *w |= 1 << (bit % 64);
            }
            // A word shared by two listed names ("Thornton") matches but
            // does not say which person it is.
            self.tokens
                .entry(key)
                .and_modify(|e| {
                    if *e != entry {
                        *e = AMBIGUOUS;
                    }
                })
                .or_insert(entry);
        }
        if any {
            let joined: String = canonical.split_whitespace().collect::<Vec<_>>().join(" ");
            self.entries.push(Zeroizing::new(joined));
        }
    }

    /// How many names were added.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The canonical (lowercase, single-spaced) form of entry `i`.
    pub(crate) fn entry(&self, i: u32) -> Option<&str> {
        self.entries
            .get(usize::try_from(i).ok()?)
            .map(|s| s.as_str())
    }

    /// The entry whose canonical form is exactly this (folded) name.
    pub(crate) fn exact(&self, name: &str) -> Option<u32> {
        let f = fold(name);
        let joined: Zeroizing<String> =
            Zeroizing::new(f.split_whitespace().collect::<Vec<_>>().join(" "));
        self.entries
            .iter()
            .position(|e| e.as_str() == joined.as_str())
            .and_then(|i| u32::try_from(i).ok())
    }

    /// The entry a word belongs to, if any ([`AMBIGUOUS`] if several).
    pub(crate) fn lookup(&self, word: &str) -> Option<u32> {
        if self.entries.is_empty() || word.is_empty() {
            return None;
        }
        if word.is_ascii() {
            // The prefilter needs only the length and three bytes, folded:
            // refuse most words before copying anything.
            let wb = word.as_bytes();
            let ends = [wb.first(), wb.get(1), wb.last()].map(|c| c.map(u8::to_ascii_lowercase));
            if !self.bloom_has_parts(wb.len(), ends) {
                return None;
            }
            let mut buf = [0u8; 40];
            let w = buf.get_mut(..word.len())?;
            w.copy_from_slice(word.as_bytes());
            w.make_ascii_lowercase();
            let r = if self.bloom_has(w) {
                self.tokens.get(&*w).copied()
            } else {
                None
            };
            // Only the word's bytes were written.
            w.zeroize();
            r
        } else {
            let mut buf = [0u8; 64];
            match fold_into(word, &mut buf) {
                Some(n) => {
                    let f = buf.get_mut(..n)?;
                    let r = if self.bloom_has(f) {
                        self.tokens.get(&*f).copied()
                    } else {
                        None
                    };
                    // Only the folded word's bytes were written.
                    f.zeroize();
                    r
                }
                None => {
                    buf.zeroize();
                    let f = fold(word);
                    if self.bloom_has(f.as_bytes()) {
                        self.tokens.get(f.as_bytes()).copied()
                    } else {
                        None
                    }
                }
            }
        }
    }

    fn bloom_has_parts(&self, len: usize, ends: [Option<u8>; 3]) -> bool {
        let bit = bloom_bit_parts(len, ends);
        self.bloom
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }

    fn bloom_has(&self, folded: &[u8]) -> bool {
        let bit = bloom_bit(folded);
        self.bloom
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }
}

/// Is this char part of a word?
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (!c.is_ascii() && super::alphabetic(c))
}

/// The end of the word starting at `s`: letters, digits, and `'`, `’`, `-`
/// between letters.
pub(crate) fn word_end(text: &str, s: usize) -> usize {
    let b = text.as_bytes();
    let mut p = s;
    loop {
        p = super::letters_end(b, p);
        let c = byte(b, p);
        if super::alnum(c) {
            p += 1;
            continue;
        }
        let joiner = match c {
            b'\'' | b'-' => 1,
            0xE2 if byte(b, p + 1) == 0x80 && byte(b, p + 2) == 0x99 => 3,
            _ => 0,
        };
        if joiner > 0 {
            // ASCII neighbours (the usual case) need no char decoding.
            let prev = byte(b, p.wrapping_sub(1));
            let before = p > s
                && if prev < 0x80 {
                    prev.is_ascii_alphabetic()
                } else {
                    text.get(..p)
                        .and_then(|t| t.chars().next_back())
                        .is_some_and(char::is_alphabetic)
                };
            let next = byte(b, p + joiner);
            let after = if next < 0x80 {
                next.is_ascii_alphabetic()
            } else {
                char_at(text, p + joiner).is_some_and(super::alphabetic)
            };
            if before && after {
                p += joiner;
                continue;
            }
            return p;
        }
        if c >= 0x80 {
            match char_at(text, p) {
                Some(ch) if word_char(ch) => {
                    p += ch.len_utf8();
                    continue;
                }
                _ => return p,
            }
        }
        return p;
    }
}

/// Words that end or refuse a name (lowercase).
pub(crate) const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "was",
    "has",
    "had",
    "have",
    "in",
    "on",
    "at",
    "to",
    "for",
    "with",
    "and",
    "or",
    "of",
    "from",
    "by",
    "bed",
    "bay",
    "side",
    "room",
    "ward",
    "he",
    "she",
    "they",
    "his",
    "her",
    "their",
    "its",
    "it",
    "this",
    "that",
    "not",
    "no",
    "now",
    "still",
    "needs",
    "need",
    "being",
    "been",
    "be",
    "will",
    "can",
    "may",
    "might",
    "should",
    "would",
    "seen",
    "awaiting",
    "waiting",
    "stable",
    "unwell",
    "known",
    "aware",
    "requires",
    "pending",
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "overnight",
    "please",
    "thanks",
    "ok",
    "also",
    "already",
    "who",
    "which",
    "if",
    "as",
    "but",
    "so",
    "very",
    "more",
    "less",
    "than",
    "then",
    "there",
    "here",
    "via",
    "re",
    "nhs",
    "dob",
    "mrn",
    "hosp",
    "age",
    "aged",
    "yo",
    "male",
    "female",
    "bp",
    "hr",
    "rr",
    "gcs",
    "charge",
    "uti",
    "anc",
    "nihss",
    "bka",
    "aka",
    "aki",
    "sats",
    "temp",
    "are",
    "were",
    "lives",
    "said",
    "says",
    "called",
    "rang",
    "phoned",
    "visiting",
    "present",
    "informed",
    "updated",
    "happy",
    "wants",
    "coming",
    "came",
    "alone",
    "name",
    "pt",
    "patient",
    "nok",
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
    "sister",
    "carer",
    "carers",
    "relative",
    "relatives",
    "niece",
    "nephew",
    "grandson",
    "granddaughter",
    "guardian",
    "next",
    "kin",
    "number",
    "details",
    "transfer",
    "transport",
    "list",
    "flow",
    "safety",
    "notes",
    "ed",
    "ae",
    "icu",
    "itu",
    "hdu",
    "amu",
    "sdec",
    "ccu",
    "confused",
    "improving",
    "deteriorating",
    "reviewed",
    "admitted",
    "discharged",
    "died",
    "declined",
    "refused",
    "did",
    "does",
    "do",
    "i",
    "we",
    "you",
    "my",
    "our",
    "your",
    "him",
    "them",
    "me",
    "dr",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "nurse",
    "prof",
    "reg",
    "sho",
    "fy1",
    "fy2",
    "cons",
    "consultant",
    "ward's",
    "unit",
    "team",
    "bleep",
    "ext",
    "na",
    "k",
    "hb",
    "wcc",
    "crp",
    "bm",
    "inr",
    "ph",
    "ecg",
    "ct",
    "mri",
    "cxr",
    "egfr",
    "ck",
    "alt",
    "trop",
    "troponin",
    "lactate",
    "news",
    "mews",
    "urgent",
    "x",
    "y",
    "o",
];

/// The stop words as a filter, so most name tokens skip the list.
static STOP_FILTER: std::sync::LazyLock<super::WordFilter> = std::sync::LazyLock::new(|| {
    let mut f = super::WordFilter::empty();
    for w in STOP_WORDS {
        f.insert(w.as_bytes());
    }
    f
});

/// The stop words sorted, for a binary search when the filter passes a word
/// (a linear scan of the list cost over a thousand instructions per word).
static STOP_SORTED: std::sync::LazyLock<Vec<&'static [u8]>> = std::sync::LazyLock::new(|| {
    let mut v: Vec<&'static [u8]> = STOP_WORDS.iter().map(|w| w.as_bytes()).collect();
    v.sort_unstable();
    v
});

/// Is the lowercase word a stop word?
pub(crate) fn stop_word(w: &[u8]) -> bool {
    STOP_FILTER.may_contain(w, 0, w.len()) && STOP_SORTED.binary_search(&w).is_ok()
}

/// Staff titles: the name after one is a colleague.
fn staff_title(word: &str) -> Option<bool> {
    // Returns whether lowercase names are accepted after it.
    match word {
        "Dr" | "DR" | "Doctor" | "Prof" | "Professor" | "Sister" | "Sr" | "Nurse" | "Matron"
        | "Midwife" => Some(false),
        "dr" | "prof" | "nurse" | "matron" => Some(true),
        _ => None,
    }
}

/// Patient titles: `(lowercase names ok, always a patient)`.
fn patient_title(word: &str) -> Option<(bool, bool)> {
    match word {
        "Mr" | "Mrs" | "Ms" | "Miss" | "Mx" | "MRS" | "MISS" | "ms" | "miss" | "mx" => {
            Some((false, false))
        }
        "mr" | "mrs" => Some((true, false)),
        "Master" => Some((false, true)),
        _ => None,
    }
}

/// A word before a title that makes the name a colleague.
fn staff_context_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"under"
            | b"consultant"
            | b"cons"
            | b"surgeon"
            | b"surgical"
            | b"cc"
            | b"per"
            | b"registrar"
            | b"reg"
            | b"team"
            | b"firm"
    )
}

/// A word after a name that makes it a colleague.
fn staff_follow_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"team"
            | b"list"
            | b"firm"
            | b"clinic"
            | b"theatre"
            | b"registrar"
            | b"reg"
            | b"secretary"
            | b"consultant"
            | b"cons"
            | b"surgeon"
            | b"patients"
            | b"fellow"
    )
}

/// A word after a listed name that makes it a place.
fn place_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"ward" | b"unit" | b"wing" | b"suite" | b"house" | b"centre" | b"building"
    )
}

/// Names of diseases, signs and scales (without the possessive).
fn eponym(w: &[u8]) -> bool {
    matches!(
        w,
        b"parkinson"
            | b"crohn"
            | b"addison"
            | b"cushing"
            | b"hodgkin"
            | b"hartmann"
            | b"whipple"
            | b"alzheimer"
            | b"glasgow"
            | b"guillain"
            | b"mallory"
            | b"raynaud"
            | b"kawasaki"
            | b"huntington"
            | b"wernicke"
            | b"korsakoff"
            | b"virchow"
            | b"kussmaul"
            | b"cheyne"
    )
}

/// A word after a possessive listed name that makes it an eponym.
fn eponym_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"disease" | b"syndrome" | b"sign" | b"palsy" | b"law" | b"test" | b"score" | b"scale"
    )
}

/// Lowercase the ASCII word `b[s..e]` into `buf` if it fits.
fn lower<'a>(b: &[u8], s: usize, e: usize, buf: &'a mut [u8; 16]) -> Option<&'a [u8]> {
    let src = b.get(s..e)?;
    let dst = buf.get_mut(..src.len())?;
    dst.copy_from_slice(src);
    if !dst.is_ascii() {
        return None;
    }
    dst.make_ascii_lowercase();
    Some(dst)
}

/// The next word after `p` (skipping one `'s`, a comma, spaces and a `(`),
/// lowercased.
fn next_word<'a>(text: &str, mut p: usize, buf: &'a mut [u8; 16]) -> Option<&'a [u8]> {
    let b = text.as_bytes();
    p += space_at(b, p)?;
    let e = word_end(text, p);
    lower(b, p, e, buf)
}

/// A colleague's doing after a title's name: `Ms Patel covering tonight`,
/// `Mr Adams is operating`, `Mr Adams on call`, `Mr Okoye am list`.
fn doing_after(text: &str, ne: usize) -> bool {
    let b = text.as_bytes();
    // The next three words, lowercased (empty when absent or long).
    let mut bufs = [[0u8; 16]; 3];
    let mut lens = [0usize; 3];
    let mut p = ne;
    for (buf, len) in bufs.iter_mut().zip(lens.iter_mut()) {
        let Some(sp) = space_at(b, p) else { break };
        let s = p + sp;
        let e = word_end(text, s);
        let Some(w) = lower(b, s, e, buf) else { break };
        *len = w.len();
        p = e;
    }
    let mut it = bufs
        .iter()
        .zip(lens)
        .map(|(x, n)| x.get(..n).unwrap_or(&[]));
    let (w0, w1, w2) = (
        it.next().unwrap_or(&[]),
        it.next().unwrap_or(&[]),
        it.next().unwrap_or(&[]),
    );
    let verb = |x: &[u8]| matches!(x, b"covering" | b"operating" | b"oncall" | b"on-call");
    let on_call = |x: &[u8], y: &[u8]| x == b"on" && matches!(y, b"call" | b"nights");
    let list = |x: &[u8], y: &[u8]| matches!(x, b"am" | b"pm") && y == b"list";
    verb(w0) || on_call(w0, w1) || list(w0, w1) || (w0 == b"is" && (verb(w1) || on_call(w1, w2)))
}

/// Like [`next_word`], but also past a possessive, a comma or a `(`:
/// `Shah's list`, `Grant, registrar`, `Adeyemi (consultant)`.
fn next_role_word<'a>(text: &str, mut p: usize, buf: &'a mut [u8; 16]) -> Option<&'a [u8]> {
    let b = text.as_bytes();
    p = skip_possessive(b, p);
    if byte(b, p) == b',' {
        p += 1;
    }
    p += space_at(b, p)?;
    if byte(b, p) == b'(' {
        p += 1;
    }
    let e = word_end(text, p);
    lower(b, p, e, buf)
}

/// The length of a possessive `'s` / `’s` at `p`, if any.
fn possessive_len(b: &[u8], p: usize) -> usize {
    let sfx = |i: usize| {
        byte(b, i).eq_ignore_ascii_case(&b's') && !byte(b, i + 1).is_ascii_alphanumeric()
    };
    if byte(b, p) == b'\'' && sfx(p + 1) {
        2
    } else if byte(b, p) == 0xE2 && byte(b, p + 1) == 0x80 && byte(b, p + 2) == 0x99 && sfx(p + 3) {
        4
    } else {
        0
    }
}

fn skip_possessive(b: &[u8], p: usize) -> usize {
    p + possessive_len(b, p)
}

/// A name of up to `max` tokens at `p`: `(start, end)`.
pub(crate) fn name_at(
    text: &str,
    p: usize,
    lowercase_ok: bool,
    max: usize,
) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let start = p;
    let mut p = p;
    let mut end = None;
    // The end before the last token, if the last token is an initial: a
    // name cannot end in an initial ("H&C", "D.O.B").
    let mut before_initial = None;
    for _ in 0..max {
        let Some(c) = char_at(text, p) else {
            break;
        };
        if !c.is_alphabetic() || !(c.is_uppercase() || lowercase_ok) {
            break;
        }
        let mut te = word_end(text, p);
        let tok = text.get(p..te)?;
        if tok.bytes().any(|x| x.is_ascii_digit()) {
            break;
        }
        // A possessive ends the name: "Okafor's".
        let mut possessive = false;
        for sfx in ["'s", "’s", "'S"] {
            if tok.len() > sfx.len() && tok.ends_with(sfx) {
                te -= sfx.len();
                possessive = true;
            }
        }
        let mut buf = [0u8; 16];
        let special = super::BUILTIN_FILTER.may_contain(b, p, te);
        if lower(b, p, te, &mut buf).is_some_and(|w| {
            stop_word(w)
                || (special
                    && (date::cue_word(w).is_some() || hospital::cue_end(w, b, te).is_some()))
        }) {
            break;
        }
        if special && (patient_title(tok).is_some() || staff_title(tok).is_some()) {
            break;
        }
        // "Mr Pike Parkinson's": after the first token, an eponym is clinical.
        if end.is_some() && lower(b, p, te, &mut buf).is_some_and(eponym) {
            break;
        }
        // "Ms Sharma NIHSS 14", "Mr Mohamud ANC 1.4": after a capitalised
        // word, a word in capitals (not a listed name) followed by a number
        // is a score or test.
        if end.is_some()
            && !possessive
            && te > p + 1
            && tok.bytes().all(|x| x.is_ascii_uppercase())
            && byte(b, te) == b' '
            && byte(b, te + 1).is_ascii_digit()
            && text
                .get(start..p)
                .is_some_and(|n| n.bytes().any(|x| x.is_ascii_lowercase()))
            && !super::lexicon::SURNAME_LIST.contains(tok)
            && !super::lexicon::GIVEN_NAMES.contains(tok)
        {
            break;
        }
        if tok.chars().count() == 1 {
            if !c.is_uppercase() {
                break;
            }
            if byte(b, te) == b'.' {
                te += 1;
            }
            before_initial = Some(end);
        } else {
            before_initial = None;
        }
        end = Some(te);
        if possessive {
            break;
        }
        match space_at(b, te) {
            Some(n) => p = te + n,
            None => break,
        }
    }
    if let Some(prev) = before_initial {
        end = prev;
    }
    let end = end?;
    let mut buf = [0u8; 16];
    if next_word(text, end, &mut buf).is_some_and(place_word)
        && possessive_len(b, end) == 0
        && !numbered_place_after(b, end)
    {
        return None;
    }
    Some((start, end))
}

/// Is the place word after `end` followed by a number (`Mrs Ashworth ward
/// 7`, `Mr Bird Ward 4a`)? Then the place is where the person is, not a
/// place named after them (`Mary Seacole Ward`).
fn numbered_place_after(b: &[u8], end: usize) -> bool {
    let mut j = end;
    while byte(b, j) == b' ' {
        j += 1;
    }
    while byte(b, j).is_ascii_alphabetic() {
        j += 1;
    }
    while byte(b, j) == b' ' {
        j += 1;
    }
    byte(b, j).is_ascii_digit()
}

/// After a cue word ending at `e`: skip an optional `.`, spaces, and a `:`
/// or `-` (which allows lowercase names). Returns `(position, colon)`.
fn after_cue(b: &[u8], e: usize) -> (usize, bool) {
    let mut p = e;
    if byte(b, p) == b'.' {
        p += 1;
    }
    let mut q = p;
    while byte(b, q) == b' ' {
        q += 1;
    }
    if matches!(byte(b, q), b':' | b'-') {
        q += 1;
        while byte(b, q) == b' ' {
            q += 1;
        }
        return (q, true);
    }
    match space_at(b, p) {
        Some(n) => (p + n, false),
        None => (p, false),
    }
}

/// Name cue words: `Some(relation)` (`false` for patient cues).
fn name_cue(w: &[u8], word: &str) -> Option<bool> {
    match w {
        b"pt" | b"patient" | b"name" => Some(false),
        b"sister" if word.starts_with('s') => Some(true),
        b"nok" | b"kin" | b"wife" | b"husband" | b"partner" | b"daughter" | b"son" | b"mother"
        | b"mum" | b"father" | b"dad" | b"brother" | b"carer" | b"relative" | b"niece"
        | b"nephew" | b"grandson" | b"granddaughter" | b"guardian" => Some(true),
        _ => None,
    }
}

/// Is any word of the name on the patient list?
fn listed(sc: &Scanner, text: &str, s: usize, e: usize) -> bool {
    !sc.patients().is_empty()
        && text.get(s..e).is_some_and(|n| {
            n.split_whitespace()
                .any(|t| sc.patients().lookup(t.trim_end_matches('.')).is_some())
        })
}

/// Which listed person a name is: the entry it spells out in full, else the
/// one entry all its unambiguous listed words agree on. Only pseudonyms need
/// this, so it is resolved when redacting, not while scanning.
pub(crate) fn entry_of(sc: &Scanner, name: &str) -> Option<u32> {
    if sc.patients().is_empty() {
        return None;
    }
    if let Some(x) = sc.patients().exact(name) {
        return Some(x);
    }
    let mut found = None;
    for t in name.split_whitespace() {
        match sc.patients().lookup(t.trim_end_matches('.')) {
            Some(AMBIGUOUS) | None => {}
            Some(x) if found.is_none() || found == Some(x) => found = Some(x),
            Some(_) => return None,
        }
    }
    found
}

fn is_staff(sc: &Scanner, text: &str, s: usize, e: usize) -> bool {
    !sc.staff().is_empty()
        && text
            .get(s..e)
            .is_some_and(|n| n.split_whitespace().any(|t| sc.staff().lookup(t).is_some()))
}

/// A word starting at `s` (a letter, at a token start). Returns where the
/// scan resumes.
pub(crate) fn word(
    sc: &Scanner,
    text: &str,
    s: usize,
    st: &mut State,
    out: &mut Vec<Finding>,
) -> usize {
    let b = text.as_bytes();
    let e = word_end(text, s);
    // `nine four three four …`: a number read out digit by digit.
    if super::spoken::starts_spoken(b, s, e)
        && let Some((end, kind, rule)) = super::spoken::at(b, s)
    {
        push(out, st, Finding::new(kind, s, end, rule));
        return end;
    }
    if byte(b, s).is_ascii_alphabetic() {
        let digit_early = (s + 1..s + 4).any(|k| k < e && byte(b, k).is_ascii_digit());
        let spaced_ni =
            e == s + 2 && space_at(b, e).is_some_and(|n| byte(b, e + n).is_ascii_digit());
        if (digit_early || spaced_ni)
            && let Some(end) = ni::at(b, s)
        {
            push(out, st, Finding::new(Kind::NiNumber, s, end, Rule::NiShape));
            return end;
        }
        if (e == s + 2 || e == s + 3)
            && matches!(byte(b, e), b' ' | b'-')
            && let Some(end) = hospital::letters_space_digits(b, s)
        {
            push(
                out,
                st,
                Finding::new(Kind::HospitalNumber, s, end, Rule::HospitalPrefixDigits),
            );
            return end;
        }
        if digit_early {
            if let Some(end) = postcode::at(b, s) {
                push(
                    out,
                    st,
                    Finding::new(Kind::Postcode, s, end, Rule::PostcodeShape),
                );
                return end;
            }
            if let Some(end) = hospital::prefix_digits(b, s) {
                push(
                    out,
                    st,
                    Finding::new(Kind::HospitalNumber, s, end, Rule::HospitalPrefixDigits),
                );
                return end;
            }
            st.staff_context = false;
            return e;
        }
    }
    let Some(wordstr) = text.get(s..e) else {
        return e.max(s + 1);
    };
    let mut buf = [0u8; 16];
    // Words that cannot be cue words (most often names from the patient
    // list) go straight to the list lookup.
    let special = super::BUILTIN_FILTER.may_contain(b, s, e);
    if let Some(w) = lower(b, s, e, &mut buf).filter(|_| special) {
        if w == b"d" {
            let l = |i: usize| byte(b, i).to_ascii_lowercase();
            if (l(e), l(e + 1), l(e + 2), l(e + 3)) == (b'.', b'o', b'.', b'b')
                && !byte(b, e + 4).is_ascii_alphanumeric()
            {
                st.date_cue = DateCue::Birth;
                st.staff_context = false;
                return if byte(b, e + 4) == b'.' { e + 5 } else { e + 4 };
            }
            if (l(e), l(e + 1)) == (b'/', b'c') && !byte(b, e + 2).is_ascii_alphanumeric() {
                st.date_cue = DateCue::Event;
                st.cue_end = e + 2;
                st.staff_context = false;
                return e + 2;
            }
        }
        if annual_leave(b, s, e) {
            st.date_cue = DateCue::Staff;
            st.cue_end = e;
            st.staff_context = false;
            return e;
        }
        if let Some(cue) = date::cue_word(w) {
            // `teaching on 3rd May`: an `on` right after a staff cue word
            // does not undo it.
            if !(w == b"on" && st.date_cue == DateCue::Staff && st.cue_end + 1 == s) {
                st.date_cue = cue;
            }
            st.cue_end = e;
            st.staff_context = false;
            return if byte(b, e) == b'.' { e + 1 } else { e };
        }
        if let Some(ce) = hospital::cue_end(w, b, e) {
            st.staff_context = false;
            if let Some((hs, he)) = hospital::after_cue(b, ce) {
                // A checked NHS, CHI or H&C number is that, whatever the cue.
                if byte(b, hs).is_ascii_digit()
                    && let Some((end, kind, rule)) = super::nhs::at(b, &super::Run::read(b, hs))
                {
                    push(out, st, Finding::new(kind, hs, end, rule));
                    return end;
                }
                push(
                    out,
                    st,
                    Finding::new(Kind::HospitalNumber, hs, he, Rule::HospitalAfterCue),
                );
                return he;
            }
            return ce;
        }
        if let Some((lower_ok, always)) = patient_title(wordstr) {
            return title(sc, text, e, lower_ok, always, st, out);
        }
        if let Some(lower_ok) = staff_title(wordstr) {
            st.staff_context = false;
            let (p, _) = after_cue(b, e);
            return match name_at(text, p, lower_ok, 3) {
                Some((_, ne)) => skip_possessive(b, ne),
                None => e,
            };
        }
        if let Some(relation) = name_cue(w, wordstr) {
            st.staff_context = false;
            let (p, colon) = after_cue(b, e);
            if char_at(text, p).is_some_and(char::is_alphabetic) {
                let te = word_end(text, p);
                if text.get(p..te).is_some_and(|t| patient_title(t).is_some()) {
                    return p;
                }
            }
            if let Some((ns, ne)) = name_at(text, p, colon, 3) {
                let rule = if relation {
                    Rule::NameAfterRelationCue
                } else {
                    Rule::NameAfterPatientCue
                };
                push(out, st, Finding::new(Kind::PersonName, ns, ne, rule));
                return ne;
            }
            return p.max(e);
        }
        // Only a title one space (or `: `) after the word is in its
        // context: `Surgeon Mr Okoye`; `Consultant: Mr Okoye` for the two
        // words that name one person (`the reg: Mrs Duffy …` lists patients).
        st.staff_context = staff_context_word(w)
            && (byte(b, e) == b' '
                || (matches!(w, b"surgeon" | b"consultant")
                    && byte(b, e) == b':'
                    && byte(b, e + 1) == b' '));
    } else {
        st.staff_context = false;
    }
    if !sc.patients().is_empty() {
        let me = e - trailing_possessive(wordstr);
        if let Some(entry) = text.get(s..me).and_then(|w| sc.patients().lookup(w)) {
            let mut nb = [0u8; 16];
            let next = next_word(text, e, &mut nb);
            let place = next.is_some_and(place_word);
            let eponym = me < e && next.is_some_and(eponym_word);
            if !place && !eponym {
                let entry = (entry != AMBIGUOUS).then_some(entry);
                // Parts of one listed name joined by a single ASCII space
                // become one finding; any other gap (a newline, which ends a
                // sentence) keeps them apart so redaction keeps the gap.
                if let Some(last) = out.last_mut()
                    && last.kind() == Kind::PersonName
                    && last.rule() == Rule::NamePatientList
                    && last.span().end + 1 == s
                    && byte(b, last.span().end) == b' '
                {
                    // "Peter" (one listed person) + "Thornton" (shared) is Peter.
                    let merged = match (last.entry(), entry) {
                        (Some(x), Some(y)) if x != y => None,
                        (x, y) => x.or(y),
                    };
                    last.set_end(me);
                    last.set_entry(merged);
                    st.staff_context = false;
                    return e;
                }
                push(
                    out,
                    st,
                    Finding::new(Kind::PersonName, s, me, Rule::NamePatientList).with_entry(entry),
                );
                return e;
            }
        }
    }
    e
}

fn trailing_possessive(w: &str) -> usize {
    for sfx in ["'s", "’s", "'S"] {
        if w.len() > sfx.len() && w.ends_with(sfx) {
            return sfx.len();
        }
    }
    0
}

/// A patient title whose word ends at `e`.
fn title(
    sc: &Scanner,
    text: &str,
    e: usize,
    lower_ok: bool,
    always_patient: bool,
    st: &mut State,
    out: &mut Vec<Finding>,
) -> usize {
    let b = text.as_bytes();
    let mut p = e;
    if byte(b, p) == b'.' {
        p += 1;
    }
    let context = st.staff_context && byte(b, e.saturating_sub(1)) != 0;
    st.staff_context = false;
    let Some(n) = space_at(b, p) else {
        return p;
    };
    let Some((ns, ne)) = name_at(text, p + n, lower_ok, 3) else {
        return p;
    };
    let mut buf = [0u8; 16];
    let staff = !always_patient
        && (context
            || (is_staff(sc, text, ns, ne) && !listed(sc, text, ns, ne))
            || next_role_word(text, ne, &mut buf).is_some_and(staff_follow_word)
            || doing_after(text, ne));
    if staff {
        return ne;
    }
    push(
        out,
        st,
        Finding::new(Kind::PersonName, ns, ne, Rule::NameAfterTitle),
    );
    ne
}

/// `AL` (annual leave) in capitals, not followed by a capitalised word
/// (`AL ZUBAIDI`, `Al Haddad` are surnames): a staff date word.
pub(crate) fn annual_leave(b: &[u8], s: usize, e: usize) -> bool {
    if b.get(s..e) != Some(b"AL") {
        return false;
    }
    let mut j = e;
    while byte(b, j) == b' ' {
        j += 1;
    }
    !byte(b, j).is_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sc: &Scanner, t: &str) -> Vec<String> {
        sc.scan(t)
            .iter()
            .filter(|f| f.kind() == Kind::PersonName)
            .map(|f| t[f.span()].to_string())
            .collect()
    }

    #[test]
    fn surgeons_and_covering_colleagues_are_staff() {
        let sc = Scanner::new();
        for t in [
            "Surgeon: Mr Okoye",
            "Consultant: Miss Chen",
            "Ms Patel covering tonight",
            "Mr Adams is operating",
            "Mr Adams on call for gen surg",
            "Theatre 3 Mr Okoye am list",
        ] {
            assert!(
                sc.scan(t).iter().all(|f| f.kind() != Kind::PersonName),
                "{t}"
            );
        }
        // A role before a colon introduces patients.
        assert_eq!(
            sc.scan("Handover from the reg: Mrs Duffy on Ward 3").len(),
            1
        );
        assert_eq!(sc.scan("Mr Smith on ward 7").len(), 1);
    }

    #[test]
    fn a_numbered_ward_after_a_name_is_where_the_patient_is() {
        let sc = Scanner::new();
        let names = |t: &str| -> Vec<String> {
            sc.scan(t)
                .iter()
                .filter(|f| f.kind() == Kind::PersonName)
                .map(|f| t[f.span()].to_string())
                .collect()
        };
        assert_eq!(names("review mrs ashworth ward 7"), ["ashworth"]);
        assert_eq!(names("review Mr Bird Ward 4a"), ["Bird"]);
        assert!(names("on Mary Seacole Ward today").is_empty());
    }

    #[test]
    fn titles_cues_and_lowercase() {
        let sc = Scanner::new();
        assert_eq!(names(&sc, "Mrs Jane Smith in bay 4"), ["Jane Smith"]);
        assert_eq!(names(&sc, "mrs smith for d/c"), ["smith"]);
        assert_eq!(names(&sc, "Mr O'Brien's bloods"), ["O'Brien"]);
        assert_eq!(
            names(&sc, "pt Zoë Müller-Lüdenscheidt, 84F"),
            ["Zoë Müller-Lüdenscheidt"]
        );
        assert_eq!(names(&sc, "name: josé garcía"), ["josé garcía"]);
        assert_eq!(names(&sc, "NOK: jane doe (daughter)"), ["jane doe"]);
        assert_eq!(names(&sc, "NOK Mrs Ada Lovelace"), ["Ada Lovelace"]);
        assert_eq!(names(&sc, "her sister Priya is visiting"), ["Priya"]);
        assert_eq!(names(&sc, "Master J. Brown, 6"), ["J. Brown"]);
        // A name may end the message, with or without trailing space.
        assert_eq!(names(&sc, "Mrs\u{a0}AF Margaret "), ["AF Margaret"]);
        assert_eq!(names(&sc, "Mrs Jane Smith"), ["Jane Smith"]);
    }

    #[test]
    fn staff_survive() {
        let sc = Scanner::builder().staff_name("Grace Mensah").build();
        for t in [
            "Dr Okafor reviewed",
            "Sister Lee on ward 7",
            "ask the reg",
            "under Mr Shah",
            "cc Ms Adeyemi",
            "Mr Shah's list tomorrow",
            "Ms Adeyemi (consultant) agrees",
            "Miss Grant, registrar, aware",
            "Mrs Mensah happy",
            "dr okafor aware",
            "patient stable overnight",
            "pt is for CT",
            "Nightingale Ward bed 3",
        ] {
            assert!(names(&sc, t).is_empty(), "{t}: {:?}", names(&sc, t));
        }
    }

    #[test]
    fn patient_list() {
        let sc = Scanner::builder()
            .patient_name("Margaret Thornton")
            .patient_name("Siân Ó Briain")
            .build();
        assert_eq!(
            names(&sc, "margaret thornton needs bloods"),
            ["margaret thornton"]
        );
        assert_eq!(names(&sc, "THORNTON's K+ 5.9"), ["THORNTON"]);
        assert_eq!(names(&sc, "Siân doing well"), ["Siân"]);
        assert!(names(&sc, "Thornton Ward bed 2").is_empty());
        assert!(names(&sc, "Dr Thornton aware").is_empty());
        let f = sc.scan("Margaret Thornton");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].entry(), Some(0));
        assert_eq!(entry_of(&sc, "margaret  THORNTON"), Some(0));
        assert_eq!(entry_of(&sc, "Siân"), Some(1));
        assert_eq!(entry_of(&sc, "Jean Harris"), None);
    }

    #[test]
    fn eponyms_survive_the_list() {
        let sc = Scanner::builder().patient_name("Arthur Parkinson").build();
        assert!(names(&sc, "known Parkinson's disease").is_empty());
        assert_eq!(names(&sc, "Parkinson's bloods"), ["Parkinson"]);
    }

    #[test]
    fn word_end_joins_apostrophes_and_hyphens() {
        assert_eq!(word_end("O'Brien x", 0), 7);
        assert_eq!(word_end("Smith-Jones", 0), 11);
        assert_eq!(word_end("Smith- x", 0), 5);
        assert_eq!(word_end("Zoë.", 0), 4);
    }
}
