//! The second pass: rules that need a word's neighbours on both sides.
//!
//! The first pass ([`super::scan`]) decides at each token start, looking a
//! few bytes ahead. Some identifiers are only recognisable from what comes
//! after them (a name followed by a date of birth, a town before a
//! postcode) or from a word list (a given name with no cue). This pass
//! splits the text into words, numbers and punctuation, with every finding
//! of the first pass (and every placeholder this crate writes) as one opaque
//! token of its kind, and applies the rules below to the gaps. New findings
//! never overlap old ones. The rules, each with its guard:
//!
//! * **Given name from the lexicon** ([`Rule::NameFromLexicon`]): a
//!   capitalised word on the given-name list ([`super::lexicon`]), an
//!   optional initial, then one or two capitalised words (the surname, any
//!   case of capitals: `Amal DARWISH`). Guards: the words are not stop or
//!   clinical words, street types or months; not after a staff title or role
//!   (`Dr`, `Sister`, `SN`, `AMHP`, `by`, …) and not followed by a role
//!   (`RM`, `SpR`, `(NIC)`, `(med reg)`, `the reg`, `on bleep`, `from the …
//!   team`) or a colleague's doing (`to clerk`, `has my bleep`, `is on
//!   leave`, `starts with us`); not on the app's staff list.
//! * **Surname first** ([`Rule::NameSurnameFirst`]): `SURNAME, Firstname`,
//!   `SURNAME Firstname` and `Surname, Firstname` where the first name is on
//!   the list, or an all-capitals surname on the surname list.
//! * **Identity details after** ([`Rule::NameBeforeIdentity`]): one to
//!   three capitalised words right before a date of birth, an NHS, CHI, H&C
//!   or hospital number (or before that number's cue: `Oksana Aziz hospital
//!   number GH103123`, `Lindiwe Aziz NHS#757 …`), an age (`, 57,`, `(6)`,
//!   `28f`) or `DOB`, optionally across `(`, `,` or `-`. Guards as for the lexicon rule; a single word
//!   must be on a list or in capitals.
//! * **Weekday and month-first dates** ([`Rule::DateWeekday`]): `Tues 21st`,
//!   `Friday the 19th`, `Weds 3/9`, `Sunday 9 Nov`, `November 2nd`, and a day
//!   with a month name but no year (`6th Nov`), compact `9AUG1983`. Guard:
//!   not in a sentence with a rota, teaching, meeting or panel word, before
//!   the date or up to 12 tokens after it (`free Weds 3/9 for a swap?`).
//! * **Addresses** ([`Rule::AddressStreet`], [`Rule::AddressCue`]): a house
//!   number (`34a`) and one to three capitalised words ending in a street
//!   type (`Road`, `St`, `Fold`, `Kingsway`), with `Flat 5,` or a named
//!   building before it and `, Town` after it; a named care or nursing
//!   home; one or two capitalised words before a postcode; capitalised
//!   words after `lives`, `lives at`, `address`. Guard: a house number must
//!   be followed by a capitalised word and end in a street type.
//!
//! It also withdraws three kinds of first-pass findings: a postcode after
//! `lot` or `batch` (a postcode-shaped batch number), a name after a
//! lowercase `sister` that is a single surname (a ward sister), and a name
//! after a title followed by a bracketed role (`Mr Gilchrist (ortho reg)`).

use super::lexicon::{
    GIVEN_NAMES, SURNAME_LIST, english_words, eponym_after, eponym_noun, listed_not_name,
    lone_shape, patient_doing, patients_own, place_before, two_words, unknown_capitalised,
    with_lowercase,
};
use super::{byte, date, name, placeholder};
use crate::{Finding, Kind, Rule, Scanner};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    Lower,
    /// First letter a capital, not all capitals (or a single capital).
    Title,
    /// Two or more letters, all capitals.
    Upper,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum T {
    Word(Case),
    Num,
    /// Letters and digits together (`21st`, `34a`, `9AUG1983`).
    Mixed,
    Punct(u8),
    /// A first-pass finding (index into the findings) or a placeholder.
    Found(Option<Kind>, Option<usize>),
    /// Tokens far from any anchor, kept as one (see [`tokens`]).
    Gap,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    s: usize,
    e: usize,
    t: T,
    /// Only spaces (no newline) since the previous token.
    spaced: bool,
    /// The sentence so far has a rota/teaching/meeting word.
    staff_sentence: bool,
    /// Keyword flags (`NOT_NAME`, `STAFF_BEFORE`, …) and the derived
    /// `NAME_WORD`, `START`.
    fl: u8,
    /// The lowercase form: a range of the text (a word already in
    /// lowercase), of the arena (`low_in_arena`), or empty.
    low: (u32, u32),
    low_in_arena: bool,
}

struct Ctx<'a> {
    sc: &'a Scanner,
    text: &'a str,
    toks: Vec<Tok>,
    /// Lowercase forms of keyword-like tokens with capitals.
    arena: String,
    /// The tokens at which some rule can start (see [`Ctx::starter_at`]),
    /// in order; every rule loop walks only these.
    starters: Vec<u32>,
    /// The index of the last token that is not punctuation.
    last_word: usize,
    /// `full_date[k]`: first-pass finding `k` is a full date with no cue.
    full_date: Vec<bool>,
    /// Tokens already given to a new finding.
    taken: Vec<bool>,
    new: Vec<Finding>,
    drop: Vec<usize>,
}

/// Run the second pass over `text`, adding to (and withdrawing from) the
/// first pass's sorted findings in `out`, which stay sorted and disjoint.
pub(crate) fn extend(sc: &Scanner, text: &str, out: &mut Vec<Finding>) {
    extend_with(sc, text, out, false);
}

/// [`extend`], keeping every token when `full` (the reference the margin
/// is tested against).
fn extend_with(sc: &Scanner, text: &str, out: &mut Vec<Finding>, full: bool) {
    let mut arena = String::new();
    let toks = tokens(text, out, &mut arena, full);
    let n = toks.len();
    let last_word = toks
        .iter()
        .rposition(|t| !matches!(t.t, T::Punct(_)))
        .unwrap_or(0);
    let mut cx = Ctx {
        sc,
        text,
        toks,
        arena,
        starters: Vec::new(),
        last_word,
        // A full date with no cue right after a name is a date of birth in
        // all but name (`Rukhsana Ahmed 26 November 2000`).
        full_date: out
            .iter()
            .map(|f| f.rule() == Rule::DateFullNoCue)
            .collect(),
        taken: vec![false; n],
        new: Vec::new(),
        drop: Vec::new(),
    };
    for i in 0..n {
        let mut fl = cx.toks.get(i).map_or(0, |t| t.fl);
        if cx.name_word_at(i) {
            fl |= NAME_WORD;
        }
        if let Some(t) = cx.toks.get_mut(i) {
            t.fl = fl;
        }
        if cx.starter_at(i) {
            cx.starters.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    cx.withdraw(out);
    cx.chi_mod10();
    cx.dates();
    cx.addresses();
    cx.names();
    if cx.new.is_empty() && cx.drop.is_empty() {
        return;
    }
    if !cx.drop.is_empty() {
        let mut k = 0;
        out.retain(|_| {
            k += 1;
            !cx.drop.contains(&(k - 1))
        });
    }
    out.append(&mut cx.new);
    out.sort_by_key(Finding::span_start);
}

/// The keyword flags and lowercase form of the word `text[s..e]`, the
/// lowercase form either in place (`(s, e)`, not in the arena) or copied
/// to the arena; and whether the word is a staff cue (`rota`, `teaching`).
fn classify_word(text: &str, s: usize, e: usize, arena: &mut String) -> (u8, (u32, u32), bool) {
    let b = text.as_bytes();
    let none = (0, (0, 0), false);
    let slot = super::WordFilter::slot(b.get(s..e).unwrap_or(&[]));
    if !KEYWORD_FILTER.has(slot) {
        return none;
    }
    let Some(w) = text.get(s..e) else { return none };
    if !w.is_ascii() {
        return none;
    }
    let r32 = |x: usize| u32::try_from(x).unwrap_or(0);
    if !w.bytes().any(|c| c.is_ascii_uppercase()) {
        let fl = KEYWORD_FLAGS.get(slot, w);
        return (fl, (r32(s), r32(e)), false);
    }
    let a = arena.len();
    arena.push_str(w);
    let fl = arena.get_mut(a..).map_or(0, |x| {
        x.make_ascii_lowercase();
        KEYWORD_FLAGS.get(slot, x)
    });
    (fl, (r32(a), r32(arena.len())), true)
}

/// The keyword flags by word, bucketed by the word's filter slot (which
/// [`classify_word`] has already computed), so a lookup hashes nothing and
/// compares the word with the one or two keywords of its bucket.
struct KeywordTable {
    /// `start[k]..start[k + 1]`: the entries of bucket `k`.
    start: Vec<u16>,
    entries: Vec<(&'static str, u8)>,
}

impl KeywordTable {
    /// Buckets: the filter slot (below 16384) shifted right by this.
    const SHIFT: usize = 3;

    fn new(words: impl Iterator<Item = (&'static str, u8)>) -> Self {
        let mut all: Vec<(usize, &'static str, u8)> = words
            .map(|(w, f)| (super::WordFilter::slot(w.as_bytes()) >> Self::SHIFT, w, f))
            .collect();
        all.sort_unstable();
        all.dedup();
        let buckets = (16384 >> Self::SHIFT) + 1;
        let mut start = vec![0u16; buckets + 1];
        for &(k, _, _) in &all {
            if let Some(x) = start.get_mut(k + 1) {
                *x += 1;
            }
        }
        for k in 1..start.len() {
            let prev = start.get(k - 1).copied().unwrap_or(0);
            if let Some(x) = start.get_mut(k) {
                *x += prev;
            }
        }
        let entries = all.into_iter().map(|(_, w, f)| (w, f)).collect();
        KeywordTable { start, entries }
    }

    /// The flags of the lowercase word `w` whose filter slot is `slot`.
    #[inline]
    fn get(&self, slot: usize, w: &str) -> u8 {
        let k = slot >> Self::SHIFT;
        let a = usize::from(self.start.get(k).copied().unwrap_or(0));
        let z = usize::from(self.start.get(k + 1).copied().unwrap_or(0));
        self.entries
            .get(a..z)
            .unwrap_or(&[])
            .iter()
            .find(|(x, _)| *x == w)
            .map_or(0, |&(_, f)| f)
    }

    fn iter(&self) -> impl Iterator<Item = (&'static str, u8)> + '_ {
        self.entries.iter().copied()
    }
}

/// Tokens kept on each side of an anchor (a token some rule needs to
/// fire: see [`anchor`]). Every rule looks at most 14 tokens away from the
/// token it starts at, and starts at most 3 tokens from an anchor, so with
/// this margin the rules see exactly the tokens they would see if every
/// token were kept; a test checks that both give the same findings.
const MARGIN: usize = 20;

/// Where the tokeniser is, and its state there.
#[derive(Clone, Copy)]
struct Pos {
    i: usize,
    /// The next first-pass finding not wholly before `i`.
    fi: usize,
    spaced: bool,
    staff: bool,
}

struct Lexer<'a> {
    text: &'a str,
    found: &'a [Finding],
    p: Pos,
}

impl Lexer<'_> {
    /// Skip spaces and line breaks; false at the end of the text.
    fn skip_space(&mut self) -> bool {
        let b = self.text.as_bytes();
        loop {
            match byte(b, self.p.i) {
                b' ' | b'\t' => self.p.i += 1,
                b'\n' | b'\r' => {
                    self.p.spaced = false;
                    self.p.staff = false;
                    self.p.i += 1;
                }
                _ => break,
            }
        }
        while self
            .found
            .get(self.p.fi)
            .is_some_and(|f| f.span().end <= self.p.i)
        {
            self.p.fi += 1;
        }
        self.p.i < b.len()
    }

    /// Skip the token here if it is an ASCII word that is not an anchor
    /// and changes no state: a word that is not a cue rules start at or a
    /// staff cue, and, if capitalised, not after a number, not in capitals
    /// and not on the name lexicons (`prev_num`: the token before is a
    /// number).
    fn dead_word(&mut self, prev_num: bool) -> bool {
        let b = self.text.as_bytes();
        let i = self.p.i;
        let c = byte(b, i);
        if !c.is_ascii_alphabetic() {
            return false;
        }
        let lim = self
            .found
            .get(self.p.fi)
            .map_or(b.len(), |f| f.span().start);
        let e = super::letters_end(b, i + 1);
        if lim <= i || e > lim {
            return false;
        }
        let n = byte(b, e);
        if n >= 0x80 || n.is_ascii_alphanumeric() {
            return false;
        }
        if matches!(n, b'\'' | b'-') && {
            let a = byte(b, e + 1);
            a.is_ascii_alphabetic() || a >= 0x80
        } {
            return false;
        }
        if LIVE_FILTER.may_contain(b, i, e) {
            return false;
        }
        if c.is_ascii_uppercase()
            && (prev_num
                || e == i + 1
                || tight_initial_before(b, i)
                || byte(b, i + 1).is_ascii_uppercase()
                || GIVEN_NAMES.may_contain(b, i, e)
                || SURNAME_LIST.may_contain(b, i, e))
        {
            return false;
        }
        // A given name typed in lowercase may start a name (see
        // [`Ctx::lowercase_pair`]): one filter bit for most words.
        if c.is_ascii_lowercase() && GIVEN_NAMES.may_contain(b, i, e) {
            return false;
        }
        self.p.i = e;
        self.p.spaced = true;
        true
    }

    /// The token at `p` (after [`Lexer::skip_space`]).
    fn token(&mut self, arena: &mut String) -> Tok {
        let text = self.text;
        let b = text.as_bytes();
        let Pos {
            i,
            fi,
            spaced,
            mut staff,
        } = self.p;
        let blank = Tok {
            s: i,
            e: i + 1,
            t: T::Gap,
            spaced,
            staff_sentence: staff,
            fl: 0,
            low: (0, 0),
            low_in_arena: false,
        };
        self.p.spaced = true;
        if let Some(f) = self.found.get(fi).filter(|f| f.span().start <= i) {
            let e = f.span().end;
            self.p.i = e;
            return Tok {
                e,
                t: T::Found(Some(f.kind()), Some(fi)),
                ..blank
            };
        }
        let c = byte(b, i);
        if c == b'['
            && let Some((e, kind)) = placeholder(b, i)
        {
            self.p.i = e;
            return Tok {
                e,
                t: T::Found(Some(kind.unwrap_or(Kind::PersonName)), None),
                ..blank
            };
        }
        let ch = if c < 0x80 {
            char::from(c)
        } else {
            text.get(i..).and_then(|s| s.chars().next()).unwrap_or(' ')
        };
        if ch.is_alphanumeric() {
            // A word never runs into the next finding (`ĘSW1A 2AA`).
            let lim = self.found.get(fi).map_or(b.len(), |f| f.span().start);
            let (e, t) = word_token(text.get(..lim).unwrap_or(text), i);
            let (mut fl, low, low_in_arena) = match t {
                T::Word(_) => classify_word(text, i, e, arena),
                _ => (0, (0, 0), false),
            };
            // `al` is a staff word only as `AL` before no capitalised word.
            if fl & STAFF_CUE != 0 && e - i == 2 && !name::annual_leave(b, i, e) {
                fl &= !STAFF_CUE;
            }
            if fl & STAFF_CUE != 0 {
                staff = true;
                self.p.staff = true;
            }
            self.p.i = e;
            return Tok {
                e,
                t,
                staff_sentence: staff,
                fl,
                low,
                low_in_arena,
                ..blank
            };
        }
        let n = ch.len_utf8();
        self.p.i = i + n;
        if ch.is_whitespace() {
            // A space outside ASCII: no token (see `Gap` handling below).
            self.p.spaced = spaced;
            return Tok { e: i + n, ..blank };
        }
        if matches!(c, b'.' | b';' | b'!' | b'?')
            && (c != b'.' || matches!(byte(b, i + 1), 0 | b' ' | b'\n' | b'\r'))
        {
            staff = false;
            self.p.staff = false;
        }
        Tok {
            e: i + n,
            t: T::Punct(if c < 0x80 { c } else { b'~' }),
            staff_sentence: staff,
            ..blank
        }
    }
}

/// Split `text` into tokens, the first-pass findings opaque. Only tokens
/// within [`MARGIN`] of an anchor are kept (all of them when `full`); each
/// run of others becomes one [`T::Gap`]. The text is read once; at an
/// anchor the tokeniser goes back at most `MARGIN` tokens, over words it
/// only measured, to keep them.
fn tokens(text: &str, found: &[Finding], arena: &mut String, full: bool) -> Vec<Tok> {
    let mut lx = Lexer {
        text,
        found,
        p: Pos {
            i: 0,
            fi: 0,
            spaced: true,
            staff: false,
        },
    };
    let mut toks = Vec::with_capacity(text.len() / 16);
    let mut need = if full { usize::MAX } else { 0 };
    // The starts of the last `MARGIN + 1` tokens not kept.
    let mut ring = [lx.p; MARGIN + 1];
    let mut rk = 0usize;
    let mut rbase = 0usize;
    let mut gap_start = lx.p;
    // While replaying up to an anchor: the anchor's start.
    let mut replay: Option<usize> = None;
    let mut prev: Option<(T, usize, u8)> = None;
    while lx.skip_space() {
        let keeping = need > 0 || replay.is_some();
        if !keeping {
            if rk == rbase {
                gap_start = lx.p;
            }
            if let Some(r) = ring.get_mut(rk % (MARGIN + 1)) {
                *r = lx.p;
            }
            rk += 1;
            let prev_num = prev.is_some_and(|p| matches!(p.0, T::Num | T::Mixed));
            if lx.dead_word(prev_num) {
                prev = Some((T::Word(Case::Lower), 0, 0));
                continue;
            }
        }
        let t = lx.token(arena);
        if t.t == T::Gap {
            // Non-ASCII white space: no token, as before.
            if !keeping {
                rk -= 1;
            }
            continue;
        }
        let a = anchor(text, &t, prev.as_ref());
        prev = Some((t.t, t.e - t.s, t.fl));
        if keeping {
            toks.push(t);
            if full {
                continue;
            }
            if a || replay.is_some_and(|r| t.s >= r) {
                need = MARGIN;
                replay = None;
            } else if replay.is_none() {
                need -= 1;
            }
            if need == 0 {
                rbase = rk;
            }
        } else if a {
            let keep = (rk - rbase).min(MARGIN + 1);
            let first = rk - keep;
            let start = ring.get(first % (MARGIN + 1)).copied().unwrap_or(gap_start);
            if first > rbase {
                toks.push(Tok {
                    s: gap_start.i,
                    e: start.i,
                    t: T::Gap,
                    spaced: gap_start.spaced,
                    staff_sentence: gap_start.staff,
                    fl: 0,
                    low: (0, 0),
                    low_in_arena: false,
                });
            }
            lx.p = start;
            replay = Some(t.s);
            rbase = rk;
        }
    }
    if need == 0 && rk > rbase {
        toks.push(Tok {
            s: gap_start.i,
            e: text.len(),
            t: T::Gap,
            spaced: gap_start.spaced,
            staff_sentence: gap_start.staff,
            fl: 0,
            low: (0, 0),
            low_in_arena: false,
        });
    }
    toks
}

/// Can some rule fire at or within three tokens of `t` (given the token
/// before it)? Findings and placeholders; numbers that may be ages
/// (`, 57,`, `(6)`), bracketed or hospital numbers (seven or eight digits,
/// `(674 9942)`) or house numbers (before a capitalised word); `28f`,
/// `9AUG1983`; capitalised words on the name lexicons, in capitals, or
/// after a house number; and the cue words rules start at (weekdays,
/// months, relation and address cues, `dob`, `chi`, care-home words).
fn anchor(text: &str, t: &Tok, prev: Option<&(T, usize, u8)>) -> bool {
    let prev_punct = |c: u8| prev.is_some_and(|p| p.0 == T::Punct(c));
    let w = text.get(t.s..t.e).unwrap_or("");
    match t.t {
        T::Found(..) => true,
        T::Num => {
            let n = w.len();
            matches!(n, 7 | 8)
                || (n <= 3
                    && (prev_punct(b',')
                        || prev_punct(b'(')
                        || prev.is_some_and(|p| p.2 & BED != 0)))
        }
        T::Mixed => {
            let b = w.as_bytes();
            let d = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let rest = b.get(d..).unwrap_or(&[]);
            // `28f`, `6yo`; `9AUG1983`, `14jun47`.
            (1..=3).contains(&d) && rest.len() <= 2 || (1..=2).contains(&d) && rest.len() >= 5
        }
        T::Word(case) => {
            if t.fl & (STARTER | ANCHOR) != 0 {
                return case != Case::Lower || t.fl & STARTER != 0;
            }
            if case == Case::Lower {
                return lowercase_given(w, t.fl);
            }
            // After a house number (`34a Kirk`, `12 Mill`).
            if prev.is_some_and(|p| match p.0 {
                T::Num => p.1 <= 4,
                T::Mixed => true,
                _ => false,
            }) {
                return true;
            }
            if t.fl & (NOT_NAME | STAFF_BEFORE | STAFF_AFTER) != 0 {
                return false;
            }
            case == Case::Upper
                || GIVEN_NAMES.contains(w)
                || SURNAME_LIST.contains(w)
                || tight_initial_before(text.as_bytes(), t.s)
        }
        T::Punct(_) | T::Gap => false,
    }
}

/// Does the finding's text start with the letters of a purchase order or an
/// incident ticket (`PO 4471208`, `PO-7721049`, `INC0094432`)?
fn reference_letters(w: &[u8]) -> bool {
    (w.starts_with(b"PO")
        && w.get(2)
            .is_some_and(|c| matches!(c, b' ' | b'-' | b'0'..=b'9')))
        || (w.starts_with(b"INC") && w.get(3).is_some_and(u8::is_ascii_digit))
}

/// Given names that are also ordinary words, not taken in lowercase (one
/// string, so that it is not mistaken for keyword literals).
const WORDLIKE_GIVEN_NAMES: &str = "amber rose grace hope faith joy holly ivy jade ruby dawn sky summer autumn bill pat sue mark will glen dale rich bob jack april june may august rowan hazel iris olive violet heather daisy poppy pearl crystal sandy guy gene ray art don van lee kim sam ali";

/// Is the lowercase word a listed given name that is not also an ordinary
/// word (`amber`, `grace`, `will` are not taken in lowercase)?
fn lowercase_given(w: &str, fl: u8) -> bool {
    // Cheapest tests first: most lowercase words fail the lexicon's filter.
    fl & (NOT_NAME | STAFF_BEFORE | STAFF_AFTER) == 0
        && w.len() >= 3
        && (!w.is_ascii() || GIVEN_NAMES.may_contain(w.as_bytes(), 0, w.len()))
        && GIVEN_NAMES.contains(w)
        && month_of(w).is_none()
        && !is_weekday(w)
        && !WORDLIKE_GIVEN_NAMES.split(' ').any(|x| x == w)
}

/// Is the word at `s` right after a capital initial and a full stop with
/// no space (`K.Bramwell`)?
fn tight_initial_before(b: &[u8], s: usize) -> bool {
    s >= 2
        && byte(b, s - 1) == b'.'
        && byte(b, s - 2).is_ascii_uppercase()
        && (s == 2 || !byte(b, s - 3).is_ascii_alphanumeric())
}

/// A word (letters with internal `'`, `’` or `-`), a number, or both mixed.
fn word_token(text: &str, s: usize) -> (usize, T) {
    let b = text.as_bytes();
    // Nearly every token is a run of ASCII letters or of ASCII digits
    // ended by ASCII punctuation or a space: measure it in bulk, and take
    // the general path below only for what follows it otherwise.
    let c = byte(b, s);
    if c.is_ascii_alphabetic() {
        let e = super::letters_end(b, s + 1);
        let n = byte(b, e);
        if n < 0x80 && !n.is_ascii_alphanumeric() && n != b'\'' && n != b'-' {
            let w = b.get(s..e).unwrap_or(&[]);
            let case = if e - s >= 2 && w.iter().all(u8::is_ascii_uppercase) {
                Case::Upper
            } else if c.is_ascii_uppercase() {
                Case::Title
            } else {
                Case::Lower
            };
            return (e, T::Word(case));
        }
    } else if c.is_ascii_digit() {
        let e = s
            + 1
            + b.get(s + 1..)
                .map_or(0, |r| r.iter().take_while(|x| x.is_ascii_digit()).count());
        let n = byte(b, e);
        if n < 0x80 && !n.is_ascii_alphanumeric() {
            return (e, T::Num);
        }
    }
    word_token_slow(text, s)
}

/// [`word_token`] for any token: letters and digits in any script, joined
/// by `'`, `’` or `-` between letters.
fn word_token_slow(text: &str, s: usize) -> (usize, T) {
    let b = text.as_bytes();
    let mut letters = false;
    let mut digits = false;
    let mut upper = 0usize;
    let mut lower = 0usize;
    let mut first_upper = false;
    let mut p = s;
    let mut prev_alpha = false;
    loop {
        let c = byte(b, p);
        // ASCII letters and digits (nearly every byte) without char methods.
        if c.is_ascii_alphabetic() {
            if p == s {
                first_upper = c.is_ascii_uppercase();
            }
            letters = true;
            upper += usize::from(c.is_ascii_uppercase());
            lower += usize::from(c.is_ascii_lowercase());
            prev_alpha = true;
            p += 1;
            continue;
        }
        if c.is_ascii_digit() {
            digits = true;
            prev_alpha = false;
            p += 1;
            continue;
        }
        let (ch, n) = if c < 0x80 {
            (char::from(c), 1)
        } else {
            match text.get(p..).and_then(|t| t.chars().next()) {
                Some(ch) => (ch, ch.len_utf8()),
                None => break,
            }
        };
        if c == 0 && p >= b.len() {
            break;
        }
        if ch.is_alphabetic() {
            if p == s {
                first_upper = ch.is_uppercase();
            }
            letters = true;
            upper += usize::from(ch.is_uppercase());
            lower += usize::from(ch.is_lowercase());
            prev_alpha = true;
        } else if ch.is_ascii_digit() {
            digits = true;
            prev_alpha = false;
        } else if matches!(ch, '\'' | '’' | '-') && prev_alpha && {
            let nc = byte(b, p + n);
            if nc < 0x80 {
                nc.is_ascii_alphabetic()
            } else {
                text.get(p + n..)
                    .and_then(|t| t.chars().next())
                    .is_some_and(char::is_alphabetic)
            }
        } {
            prev_alpha = false;
        } else {
            break;
        }
        p += n;
    }
    let t = match (letters, digits) {
        (true, true) => T::Mixed,
        (false, _) => T::Num,
        (true, false) => T::Word(if lower == 0 && upper >= 2 {
            Case::Upper
        } else if first_upper {
            Case::Title
        } else {
            Case::Lower
        }),
    };
    (p.max(s + 1), t)
}

/// Every lowercase word this pass compares a token with (generated from
/// the literals in this file, plus the month names); a word outside it is
/// given an empty lowercase form, so the comparisons fail at once.
const KEYWORDS: &[&str] = &[
    "about",
    "acp",
    "address",
    "admin",
    "admitted",
    "advice",
    "advocate",
    "ae",
    "after",
    "afternoon",
    "aged",
    "al",
    "all",
    "also",
    "am",
    "amhp",
    "amu",
    "anaesthetist",
    "and",
    "anp",
    "any",
    "apartment",
    "apgar",
    "apgars",
    "approach",
    "apr",
    "april",
    "apt",
    "are",
    "arrange",
    "as",
    "ask",
    "asset",
    "assistant",
    "at",
    "aug",
    "august",
    "aunt",
    "auntie",
    "ave",
    "avenue",
    "b",
    "baby",
    "bank",
    "batch",
    "bay",
    "bd",
    "bed",
    "before",
    "biochem",
    "biochemistry",
    "birthday",
    "bleep",
    "block",
    "blood",
    "bloods",
    "bms",
    "board",
    "book",
    "born",
    "both",
    "boulevard",
    "boyfriend",
    "brae",
    "brother",
    "brother-in-law",
    "building",
    "but",
    "by",
    "call",
    "called",
    "can",
    "care",
    "case",
    "cc",
    "ccu",
    "center",
    "centre",
    "chaplain",
    "chase",
    "check",
    "cheers",
    "chi",
    "circus",
    "clerk",
    "clinic",
    "close",
    "cmht",
    "cns",
    "college",
    "community",
    "congrats",
    "congratulations",
    "cons",
    "consultant",
    "contact",
    "continue",
    "coordinator",
    "cot",
    "cottage",
    "could",
    "counsellor",
    "court",
    "cousin",
    "cover",
    "covering",
    "cpn",
    "cres",
    "crescent",
    "crew",
    "criteria",
    "crn",
    "croft",
    "ct",
    "ct1",
    "ct2",
    "cubicle",
    "d.o.b",
    "dated",
    "datix",
    "daughter-in-law",
    "dec",
    "december",
    "dietician",
    "dietitian",
    "discharged",
    "disease",
    "dn",
    "dnacpr",
    "dob",
    "doctor",
    "dols",
    "dr",
    "drive",
    "dsl",
    "each",
    "earlies",
    "east",
    "ecg",
    "ed",
    "educator",
    "embankment",
    "evening",
    "every",
    "ext",
    "f",
    "f1",
    "f2",
    "family",
    "father",
    "father-in-law",
    "feb",
    "february",
    "fiance",
    "fiancee",
    "fields",
    "firm",
    "firstname",
    "flat",
    "flatmate",
    "floor",
    "fold",
    "for",
    "forename",
    "forenames",
    "fracture",
    "fri",
    "friday",
    "friend",
    "from",
    "fy1",
    "fy2",
    "fyi",
    "gardens",
    "gate",
    "gdns",
    "general",
    "girlfriend",
    "give",
    "gp",
    "grand",
    "grandad",
    "grandfather",
    "grandma",
    "grandmother",
    "grandpa",
    "granny",
    "green",
    "grove",
    "h",
    "had",
    "haem",
    "haematology",
    "hall",
    "handover",
    "has",
    "have",
    "hca",
    "hdu",
    "he",
    "health",
    "hello",
    "her",
    "here",
    "hi",
    "hill",
    "his",
    "hiya",
    "hold",
    "holding",
    "home",
    "hosp",
    "hospice",
    "hospital",
    "house",
    "housekeeper",
    "hv",
    "icu",
    "id",
    "idva",
    "if",
    "im",
    "in",
    "incident",
    "infirmary",
    "institute",
    "interpreter",
    "invoice",
    "ipc",
    "is",
    "itu",
    "iv",
    "jan",
    "january",
    "joins",
    "jul",
    "july",
    "jun",
    "june",
    "just",
    "kingsway",
    "lab",
    "labs",
    "lane",
    "lanes",
    "lates",
    "law",
    "lead",
    "leave",
    "left",
    "letter",
    "level",
    "list",
    "lives",
    "living",
    "ln",
    "lodge",
    "loke",
    "lot",
    "lots",
    "love",
    "lower",
    "lpa",
    "lymphoma",
    "m",
    "majors",
    "mam",
    "manager",
    "manoeuvre",
    "mar",
    "march",
    "matron",
    "mau",
    "may",
    "mca",
    "meadow",
    "meadows",
    "medical",
    "meeting",
    "memorial",
    "mental",
    "mews",
    "microbiology",
    "midwife",
    "minors",
    "mom",
    "mon",
    "monday",
    "morning",
    "morning's",
    "mother",
    "mother-in-law",
    "mrn",
    "mtg",
    "mum",
    "mw",
    "my",
    "name",
    "named",
    "nan",
    "nana",
    "navigator",
    "nb",
    "nd",
    "neighbour",
    "new",
    "nhs",
    "nhsno",
    "nic",
    "nights",
    "no",
    "nok",
    "north",
    "not",
    "note",
    "nov",
    "november",
    "nr",
    "num",
    "number",
    "nurse",
    "nursing",
    "oct",
    "october",
    "od",
    "odp",
    "of",
    "officer",
    "ok",
    "old",
    "on",
    "on-call",
    "oncall",
    "only",
    "operation",
    "or",
    "order",
    "ot",
    "our",
    "over",
    "pain",
    "palsy",
    "parade",
    "paramedic",
    "parents",
    "park",
    "pas",
    "patient",
    "per",
    "pharmacist",
    "pharmacy",
    "phenomenon",
    "phlebotomist",
    "physio",
    "physiotherapist",
    "pl",
    "place",
    "plan",
    "please",
    "pls",
    "pm",
    "po",
    "podiatrist",
    "porter",
    "postcode",
    "power",
    "practice",
    "present",
    "prn",
    "procedure",
    "prof",
    "professor",
    "psychiatrist",
    "psychologist",
    "pt",
    "qds",
    "quay",
    "query",
    "radiographer",
    "rc",
    "rd",
    "re",
    "recall",
    "receptionist",
    "ref",
    "refer",
    "referral",
    "reg",
    "regards",
    "registrar",
    "repeat",
    "request",
    "requester",
    "residential",
    "resides",
    "respect",
    "result",
    "results",
    "resus",
    "retired",
    "review",
    "rgn",
    "right",
    "ring",
    "rise",
    "rm",
    "rmn",
    "rn",
    "road",
    "room",
    "round",
    "row",
    "royal",
    "safeguarding",
    "saint",
    "sarcoma",
    "sat",
    "saturday",
    "sau",
    "saw",
    "sc",
    "scale",
    "scan",
    "school",
    "score",
    "seal",
    "secretary",
    "see",
    "seen",
    "send",
    "sep",
    "sept",
    "september",
    "serial",
    "service",
    "services",
    "session",
    "she",
    "sho",
    "should",
    "side",
    "sign",
    "since",
    "sister",
    "sister-in-law",
    "sn",
    "so",
    "social",
    "son-in-law",
    "sonographer",
    "sorry",
    "south",
    "spouse",
    "spr",
    "sq",
    "square",
    "sr",
    "st",
    "st3",
    "staff",
    "start",
    "starts",
    "stat",
    "stepdad",
    "stepdaughter",
    "stepfather",
    "stepmother",
    "stepmum",
    "stepson",
    "stop",
    "street",
    "student",
    "suite",
    "summary",
    "sun",
    "sunday",
    "supervise",
    "surgeon",
    "surgery",
    "surname",
    "sw",
    "syndrome",
    "ta",
    "tag",
    "tds",
    "teach",
    "team",
    "technician",
    "terrace",
    "test",
    "th",
    "than",
    "thank",
    "thanks",
    "that",
    "the",
    "theatre",
    "theatres",
    "their",
    "then",
    "therapist",
    "these",
    "they",
    "this",
    "those",
    "thu",
    "thur",
    "thurs",
    "thursday",
    "ticket",
    "till",
    "to",
    "triad",
    "trust",
    "tto",
    "tue",
    "tues",
    "tuesday",
    "tumour",
    "ulcer",
    "uncle",
    "under",
    "unit",
    "university",
    "until",
    "update",
    "upper",
    "urgent",
    "us",
    "vale",
    "via",
    "view",
    "visit",
    "volunteer",
    "walk",
    "ward",
    "was",
    "way",
    "wed",
    "wednesday",
    "weds",
    "welcome",
    "west",
    "wharf",
    "will",
    "wing",
    "with",
    "within",
    "worker",
    "would",
    "wynd",
    "x",
    "xray",
    "y",
    "yard",
    "yes",
    "yo",
    "your",
];

const NOT_NAME: u8 = 1;
const STAFF_BEFORE: u8 = 2;
const STAFF_AFTER: u8 = 4;
const STARTER: u8 = 8;
/// A staff date cue (`rota`, `teaching`): dates in the sentence survive.
const STAFF_CUE: u8 = 16;
/// A capitalised word on no list (see [`Ctx::namey`]).
const NAME_WORD: u8 = 32;
/// A word a rule starts next to when capitalised (`Care`, `Home`).
const ANCHOR: u8 = 64;
/// A bed, bay, room or cubicle word: the number after it is an anchor.
const BED: u8 = 128;

/// What each keyword (and stop word) is, decided once by the word-list
/// functions below, so a token costs one hash lookup instead of a walk
/// through every list.
static KEYWORD_FLAGS: std::sync::LazyLock<KeywordTable> = std::sync::LazyLock::new(|| {
    KeywordTable::new(
        KEYWORDS
            .iter()
            .chain(name::STOP_WORDS)
            .chain(super::SPECIAL_WORDS)
            .map(|&w| {
                let mut f = 0;
                if date::cue_word(w.as_bytes()) == Some(super::DateCue::Staff) || w == "al" {
                    f |= STAFF_CUE;
                }
                if not_a_name(w) {
                    f |= NOT_NAME;
                }
                if staff_before(w) {
                    f |= STAFF_BEFORE;
                }
                if staff_after(w) {
                    f |= STAFF_AFTER;
                }
                if is_weekday(w)
                    || month_of(w).is_some()
                    || matches!(
                        w,
                        "lives" | "living" | "resides" | "address" | "dob" | "aged" | "chi"
                    )
                    || relation_or_form(w)
                {
                    f |= STARTER;
                }
                if bed_word(w) {
                    f |= BED;
                }
                if matches!(
                    w,
                    "care" | "nursing" | "residential" | "home" | "house" | "centre"
                ) {
                    f |= ANCHOR;
                }
                (w, f)
            }),
    )
});

/// The keywords that can make a token an anchor or change the state of
/// the tokeniser (`STARTER`, `ANCHOR`, `STAFF_CUE`, `BED`), as a filter: a word
/// outside it is skipped unless it is near an anchor.
static LIVE_FILTER: std::sync::LazyLock<super::WordFilter> = std::sync::LazyLock::new(|| {
    let mut f = super::WordFilter::empty();
    for (w, fl) in KEYWORD_FLAGS.iter() {
        if fl & (STARTER | ANCHOR | STAFF_CUE | BED) != 0 {
            f.insert(w.as_bytes());
        }
    }
    f
});

/// [`KEYWORDS`] and the name detector's stop words, as a filter.
static KEYWORD_FILTER: std::sync::LazyLock<super::WordFilter> = std::sync::LazyLock::new(|| {
    let mut f = super::WordFilter::empty();
    for w in KEYWORDS
        .iter()
        .chain(name::STOP_WORDS)
        .chain(super::SPECIAL_WORDS)
    {
        f.insert(w.as_bytes());
    }
    f
});

fn is_weekday(w: &str) -> bool {
    (3..=9).contains(&w.len())
        && matches!(
            w,
            "monday"
                | "tuesday"
                | "wednesday"
                | "thursday"
                | "friday"
                | "saturday"
                | "sunday"
                | "mon"
                | "tue"
                | "tues"
                | "wed"
                | "weds"
                | "thu"
                | "thur"
                | "thurs"
                | "fri"
                | "sat"
                | "sun"
        )
}

fn month_of(w: &str) -> Option<u32> {
    const M: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if !(3..=9).contains(&w.len()) {
        return None;
    }
    if w == "sept" {
        return Some(9);
    }
    M.iter()
        .position(|m| *m == w || (w.len() == 3 && m.starts_with(w)))
        .and_then(|k| u32::try_from(k + 1).ok())
}

fn street_type(w: &str) -> bool {
    !w.is_empty()
        && matches!(
            w,
            "road"
                | "rd"
                | "street"
                | "st"
                | "lane"
                | "ln"
                | "avenue"
                | "ave"
                | "drive"
                | "close"
                | "court"
                | "ct"
                | "crescent"
                | "cres"
                | "place"
                | "pl"
                | "gardens"
                | "gdns"
                | "grove"
                | "terrace"
                | "way"
                | "walk"
                | "view"
                | "fold"
                | "mews"
                | "row"
                | "square"
                | "sq"
                | "hill"
                | "park"
                | "rise"
                | "green"
                | "vale"
                | "parade"
                | "wynd"
                | "brae"
                | "gate"
                | "croft"
                | "meadow"
                | "meadows"
                | "chase"
                | "quay"
                | "wharf"
                | "yard"
                | "boulevard"
                | "circus"
                | "embankment"
                | "approach"
                | "loke"
                | "kingsway"
                | "side"
                | "lanes"
                | "bank"
                | "fields"
        )
        || (w.len() > 5 && (w.ends_with("way") || w.ends_with("gate")))
}

/// Street types taken in lowercase (`28 kings rd`): spelled-out types that
/// are not also everyday words (not `close`, `drive`, `way`: `2 units
/// close to 5pm`), and `rd`; not `st`, `ct`, `pl` (a saint, a scan, a
/// place).
fn lowercase_street_type(w: &str) -> bool {
    matches!(
        w,
        "road" | "rd" | "street" | "lane" | "avenue" | "crescent" | "gardens" | "grove" | "terrace"
    )
}

fn direction(w: &str) -> bool {
    matches!(w, "west" | "east" | "north" | "south" | "upper" | "lower")
}

/// Words that may be capitalised but are not names (on top of the name
/// detector's stop words).
fn not_a_name(w: &str) -> bool {
    // Words outside every list reach here empty (see `KEYWORDS`).
    !w.is_empty() && not_a_listed_name(w)
}

fn not_a_listed_name(w: &str) -> bool {
    name::stop_word(w.as_bytes())
        || matches!(
            w,
            "hi" | "hello"
                | "hiya"
                | "morning"
                | "evening"
                | "afternoon"
                | "thanks"
                | "thank"
                | "cheers"
                | "sorry"
                | "please"
                | "pls"
                | "ok"
                | "yes"
                | "re"
                | "ref"
                | "fyi"
                | "nb"
                | "urgent"
                | "update"
                | "query"
                | "note"
                | "plan"
                | "review"
                | "discharged"
                | "admitted"
                | "seen"
                | "new"
                | "old"
                | "left"
                | "right"
                | "ward"
                | "bay"
                | "bed"
                | "side"
                | "room"
                | "hospital"
                | "infirmary"
                | "royal"
                | "general"
                | "university"
                | "medical"
                | "centre"
                | "center"
                | "practice"
                | "surgery"
                | "clinic"
                | "unit"
                | "house"
                | "home"
                | "care"
                | "nhs"
                | "chi"
                | "dob"
                | "mrn"
                | "gp"
                | "ed"
                | "ae"
                | "icu"
                | "itu"
                | "hdu"
                | "ccu"
                | "mau"
                | "amu"
                | "sau"
                | "ot"
                | "pt"
                | "iv"
                | "im"
                | "po"
                | "sc"
                | "bd"
                | "tds"
                | "qds"
                | "od"
                | "prn"
                | "stat"
                | "tto"
                | "dnacpr"
                | "respect"
                | "lpa"
                | "dols"
                | "mca"
                | "safeguarding"
                | "team"
                | "trust"
                | "board"
                | "health"
                | "service"
                | "services"
                | "community"
                | "mental"
                | "social"
                | "pharmacy"
                | "lab"
                | "labs"
                | "bloods"
                | "blood"
                | "ecg"
                | "xray"
                | "scan"
                | "the"
                | "and"
                | "for"
                | "with"
                | "from"
                | "to"
                | "at"
                | "in"
                | "on"
                | "of"
                | "by"
                | "via"
                | "per"
                | "can"
                | "could"
                | "would"
                | "should"
                | "will"
                | "has"
                | "had"
                | "have"
                | "was"
                | "is"
                | "are"
                | "she"
                | "he"
                | "her"
                | "his"
                | "they"
                | "their"
                | "this"
                | "that"
                | "these"
                | "those"
                | "also"
                | "then"
                | "than"
                | "but"
                | "or"
                | "if"
                | "as"
                | "so"
                | "not"
                | "no"
                | "all"
                | "any"
                | "both"
                | "each"
                | "only"
                | "just"
                | "st"
                | "saint"
                | "north"
                | "south"
                | "east"
                | "west"
                | "street"
                | "road"
                | "lane"
                | "level"
                | "floor"
                | "block"
                | "wing"
                | "suite"
                | "theatre"
                | "theatres"
                | "list"
                | "morning's"
                | "repeat"
                | "check"
                | "chase"
                | "send"
                | "start"
                | "stop"
                | "give"
                | "hold"
                | "continue"
                | "ask"
                | "ring"
                | "refer"
                | "book"
                | "arrange"
                | "results"
                | "result"
                | "handover"
                | "referral"
                | "letter"
                | "summary"
                | "advice"
                | "request"
        )
        || is_weekday(w)
        || month_of(w).is_some()
        || matches!(
            w,
            "rd" | "avenue"
                | "ave"
                | "drive"
                | "close"
                | "crescent"
                | "place"
                | "gardens"
                | "terrace"
                | "way"
                | "walk"
                | "view"
                | "fold"
                | "mews"
                | "square"
                | "kingsway"
        )
}

/// Words after which a name follows (relations, form fields).
fn relation_or_form(w: &str) -> bool {
    is_form(w) || is_relation(w)
}

fn is_form(w: &str) -> bool {
    matches!(
        w,
        "surname" | "forename" | "forenames" | "firstname" | "name"
    )
}

fn is_relation(w: &str) -> bool {
    matches!(
        w,
        "spouse"
            | "son-in-law"
            | "daughter-in-law"
            | "boyfriend"
            | "girlfriend"
            | "fiance"
            | "fiancé"
            | "fiancee"
            | "fiancée"
            | "stepmum"
            | "stepdad"
            | "stepmother"
            | "stepfather"
            | "mam"
            | "mom"
            | "mum"
            | "cousin"
            | "grandad"
            | "grandpa"
            | "grandma"
            | "granny"
            | "nan"
            | "nana"
            | "aunt"
            | "auntie"
            | "uncle"
            | "friend"
            | "flatmate"
            | "neighbour"
            | "brother-in-law"
            | "sister-in-law"
            | "father-in-law"
            | "mother-in-law"
            | "stepson"
            | "stepdaughter"
            | "grandmother"
            | "grandfather"
            // `baby Nakamura born 03:47`, `Parents Ritu & Nikhil Mehta`.
            | "baby"
            | "parents"
            | "family"
    )
}

/// A bed, bay, room or cubicle: a patient named next to one is where the
/// patient is (`Adebayo in bay 4`, `Ethel rm 14`, `bed 12 Stanisław`).
fn bed_word(w: &str) -> bool {
    matches!(
        w,
        "bed" | "bay" | "cubicle" | "cot" | "rm" | "room" | "ward" | "majors" | "minors" | "resus"
    )
}

/// Words before a name that make it a colleague's.
fn staff_before(w: &str) -> bool {
    matches!(
        w,
        "dr" | "doctor"
            | "odp"
            | "bms"
            | "prof"
            | "professor"
            | "sister"
            | "sr"
            | "nurse"
            | "sn"
            | "rn"
            | "rm"
            | "matron"
            | "midwife"
            | "mw"
            | "hv"
            | "dn"
            | "cns"
            | "anp"
            | "acp"
            | "hca"
            | "ot"
            | "physio"
            | "physiotherapist"
            | "pharmacist"
            | "pharmacy"
            | "admin"
            | "amhp"
            | "cmht"
            | "rc"
            | "spr"
            | "reg"
            | "registrar"
            | "sho"
            | "fy1"
            | "fy2"
            | "ct1"
            | "ct2"
            | "st3"
            | "consultant"
            | "cons"
            | "surgeon"
            | "anaesthetist"
            | "requester"
            | "by"
            | "covering"
            | "cover"
            | "from"
            | "cc"
            | "coordinator"
            | "nic"
            | "paramedic"
            | "crew"
            | "gp"
            | "staff"
            | "ward"
            | "dsl"
            | "sw"
            | "idva"
            | "ipc"
            | "cpn"
            | "rgn"
            | "rmn"
            | "worker"
            | "manager"
            | "secretary"
            | "under"
            | "bleep"
            | "call"
            | "ask"
            | "contact"
            | "thanks"
            | "cheers"
            | "ta"
            | "love"
            | "regards"
            | "here"
            | "dietitian"
            | "dietician"
            | "therapist"
            | "radiographer"
            | "sonographer"
            | "phlebotomist"
            | "porter"
            | "receptionist"
            | "navigator"
            | "chaplain"
            | "psychologist"
            | "psychiatrist"
            | "podiatrist"
            | "technician"
            | "assistant"
            | "officer"
            | "lead"
            | "student"
            | "volunteer"
            | "clerk"
            | "housekeeper"
            | "educator"
            | "counsellor"
            | "advocate"
            | "interpreter"
            | "birthday"
            | "congrats"
            | "congratulations"
            | "welcome"
    )
}

/// Words after a name that make it a place named after someone.
fn place_after(w: &str) -> bool {
    matches!(
        w,
        "ward"
            | "unit"
            | "wing"
            | "suite"
            | "house"
            | "centre"
            | "center"
            | "building"
            | "hospital"
            | "infirmary"
            | "hospice"
            | "clinic"
            | "practice"
            | "surgery"
            | "road"
            | "street"
            | "lane"
            | "avenue"
            | "court"
            | "lodge"
            | "school"
            | "college"
            | "pharmacy"
            | "medical"
            | "health"
            | "memorial"
            | "institute"
            | "theatre"
            | "theatres"
    )
}

/// Words after a name that make it a colleague's.
fn staff_after(w: &str) -> bool {
    matches!(
        w,
        "rm" | "rn"
            // Theatre and laboratory roles and departments: `ODP Callum
            // Rennie`, `Hao Chen BMS`, `Gareth Pugh biochem`.
            | "odp"
            | "bms"
            | "biochem"
            | "biochemistry"
            | "haem"
            | "haematology"
            | "microbiology"
            | "sn"
            | "rgn"
            | "rmn"
            | "dn"
            | "hv"
            | "cpn"
            | "sonographer"
            | "radiographer"
            | "nic"
            | "spr"
            | "reg"
            | "registrar"
            | "sho"
            | "fy1"
            | "fy2"
            | "cns"
            | "anp"
            | "acp"
            | "hca"
            | "gp"
            | "pharmacist"
            | "physio"
            | "ot"
            | "cons"
            | "consultant"
            | "surgeon"
            | "midwife"
            | "nurse"
            | "team"
            | "list"
            | "theatre"
            | "clinic"
            | "firm"
            | "amhp"
            | "dsl"
            | "sw"
            | "here"
            | "covering"
            | "on-call"
            | "oncall"
            | "bleep"
            | "ext"
    )
}

impl Ctx<'_> {
    fn tok(&self, i: usize) -> Option<&Tok> {
        self.toks.get(i)
    }

    fn str_of(&self, i: usize) -> &str {
        self.tok(i)
            .and_then(|t| self.text.get(t.s..t.e))
            .unwrap_or("")
    }

    fn lower(&self, i: usize) -> &str {
        let Some(t) = self.toks.get(i) else { return "" };
        let (s, e) = (t.low.0 as usize, t.low.1 as usize);
        let src = if t.low_in_arena {
            self.arena.as_str()
        } else {
            self.text
        };
        src.get(s..e).unwrap_or("")
    }

    fn is_word(&self, i: usize) -> Option<Case> {
        match self.tok(i)?.t {
            T::Word(c) => Some(c),
            _ => None,
        }
    }

    fn is_punct(&self, i: usize, c: u8) -> bool {
        self.tok(i).is_some_and(|t| t.t == T::Punct(c))
    }

    fn free(&self, i: usize) -> bool {
        !self.taken.get(i).copied().unwrap_or(true)
    }

    /// A capitalised word that may be part of a name.
    fn namey(&self, i: usize) -> bool {
        self.flag(i, NAME_WORD) && self.free(i)
    }

    /// Can a rule start at token `i`? Not at a lowercase word other than a
    /// weekday, a month, an address, relation, form or identity cue, nor at
    /// punctuation other than `(` and `,`.
    fn starter_at(&self, i: usize) -> bool {
        match self.tok(i).map(|t| t.t) {
            Some(T::Word(Case::Lower)) => {
                self.flag(i, STARTER)
                    || self
                        .tok(i)
                        .is_some_and(|t| lowercase_given(self.str_of(i), t.fl))
            }
            Some(T::Punct(c)) => c == b'(' || c == b',',
            Some(T::Gap) | None => false,
            Some(_) => true,
        }
    }

    /// The `k`th token at which a rule can start.
    fn starter(&self, k: usize) -> usize {
        self.starters.get(k).map_or(usize::MAX, |&i| i as usize)
    }

    /// Does a staff date word (`rota`, `swap`, `strike`, `on call`) follow token
    /// `i` in the same sentence, within 12 tokens? (`anyone free Weds 3/9
    /// for a swap?`) A skipped stretch of text ends the search.
    fn staff_ahead(&self, i: usize) -> bool {
        for j in i + 1..i + 13 {
            let Some(t) = self.tok(j) else { return false };
            match t.t {
                T::Gap | T::Punct(b'.' | b';' | b'!' | b'?') => return false,
                _ if t.fl & STAFF_CUE != 0 => return true,
                _ => {}
            }
        }
        false
    }

    /// Is the stretch `a..=z` staff chatter: a sentence with a staff date
    /// word (`rota`, `swap`, `covering`, `AL`; `call` only as `on call`,
    /// `round` only as `grand round`, `leave` not as `to leave`) and no
    /// other identifier (a structured
    /// number, a date of birth, a name already found), looking 12 tokens
    /// either side?
    fn staff_chatter(&self, a: usize, z: usize) -> bool {
        let boundary = |t: &Tok| matches!(t.t, T::Gap | T::Punct(b'.' | b';' | b'!' | b'?'));
        let mut staff = false;
        let back = (a.saturating_sub(12)..a).rev();
        let ahead = z + 1..z + 13;
        for range in [
            &mut back.into_iter() as &mut dyn Iterator<Item = usize>,
            &mut ahead.into_iter(),
        ] {
            for j in range {
                let Some(t) = self.tok(j) else { break };
                if boundary(t) {
                    break;
                }
                match t.t {
                    T::Found(Some(Kind::CareDate), _) | T::Found(None, _) => {}
                    T::Found(Some(_), _) => return false,
                    _ if t.fl & STAFF_CUE != 0 => {
                        let prev = if j > 0 { self.lower(j - 1) } else { "" };
                        staff |= match self.lower(j) {
                            "call" => prev == "on",
                            "leave" => prev != "to",
                            // A board or ward round is about patients.
                            "round" => prev == "grand",
                            _ => true,
                        };
                    }
                    _ => {}
                }
            }
        }
        staff
    }

    fn flag(&self, i: usize, f: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.fl & f != 0)
    }

    fn name_word_at(&self, i: usize) -> bool {
        matches!(self.is_word(i), Some(Case::Title | Case::Upper))
            && !self.flag(i, NOT_NAME | STAFF_AFTER | STAFF_BEFORE)
            && self.str_of(i).chars().nth(1).is_some()
    }

    /// Is the finding at `i` a reference number for a thing, not a person:
    /// within four tokens after `Datix`, `ticket`, `order`, `asset`, `tag`,
    /// `serial`, `seal`, `invoice`, `incident`, `lot`, `batch`, across `no`,
    /// `no.`, `number`, `and`, `recall`, `:`, `#` and other findings? (`PO`
    /// before a number is also "by mouth": only a finding's own letters
    /// count, see [`reference_letters`].)
    /// (`ref` alone is not one: `ref K123456 in notes` is a patient's.)
    fn reference_before(&self, i: usize) -> bool {
        for j in (i.saturating_sub(4)..i).rev() {
            let Some(t) = self.tok(j) else { return false };
            match t.t {
                T::Found(..) | T::Punct(b':' | b'#') => continue,
                // `no.`: a full stop only after `no`.
                T::Punct(b'.') if j > 0 && self.lower(j - 1) == "no" => continue,
                T::Word(_) => {}
                _ => return false,
            }
            match self.lower(j) {
                "datix" | "ticket" | "order" | "asset" | "tag" | "serial" | "seal" | "invoice"
                | "incident" | "lot" | "batch" | "lots" => return true,
                "no" | "number" | "and" | "recall" => {}
                _ => return false,
            }
        }
        false
    }

    /// Is the cue at token `c` `Father`, `Brother` or `Mother`,
    /// capitalised, not after a possessive, an article, `and`, a colon or a
    /// bracket, and followed by one name only (`single`): a religious title
    /// (`Father Brendan on call`), not a relation (`her Father John`, `NOK:
    /// Father John`, `Brother Sami Al-Rashid`)?
    fn religious_title(&self, c: usize, single: bool) -> bool {
        single
            && matches!(self.lower(c), "father" | "brother" | "mother")
            && self.is_word(c) == Some(Case::Title)
            && !(c > 0
                && (matches!(
                    self.lower(c - 1),
                    "his" | "her" | "their" | "the" | "my" | "your" | "our" | "nok" | "and"
                ) || self.is_punct(c - 1, b':')
                    || self.is_punct(c - 1, b'(')))
    }

    /// Is token `j` a score or measurement rather than a surname in
    /// capitals: a word in capitals on neither name list, followed by a
    /// number of at most three digits (`MMSE 18/30`, `BMI 14.9`; not
    /// `DARWISH 4455667`, a surname and a hospital number)?
    fn abbreviation(&self, j: usize) -> bool {
        self.is_word(j) == Some(Case::Upper)
            && self.joined(j + 1)
            && self
                .tok(j + 1)
                .is_some_and(|t| t.t == T::Num && t.e - t.s <= 3)
            && !SURNAME_LIST.contains(self.str_of(j))
            && !GIVEN_NAMES.contains(self.str_of(j))
    }

    /// Is token `j` a capitalised word with no other capital but after `-`
    /// or `'` (`Ifrah`, `Mary-Jane`, `O'Neil`; not `BMs`, `COHb`)?
    fn plain_title(&self, j: usize) -> bool {
        let mut prev = ' ';
        self.is_word(j) == Some(Case::Title)
            && self.str_of(j).chars().enumerate().all(|(n, c)| {
                let ok = n == 0 || !c.is_uppercase() || matches!(prev, '-' | '\'' | '’');
                prev = c;
                ok
            })
    }

    /// A single capital, optionally with a full stop: a middle initial.
    fn initial(&self, i: usize) -> Option<usize> {
        let w = self.str_of(i);
        if self.is_word(i) == Some(Case::Title) && w.len() == 1 && self.free(i) {
            if self.is_punct(i + 1, b'.') {
                return Some(i + 2);
            }
            return Some(i + 1);
        }
        None
    }

    /// `Otieno in the corridor`, `Cartwright, Obuya`: a word no
    /// vocabulary knows ([`unknown_capitalised`]), alone, in title case,
    /// not a possessive (`Hartmann's`: an eponym) and with no capital inside
    /// but after `Mc`, `Mac`, `O'` or a hyphen (`QTc`, `FibroScan`); not
    /// before a number (`Barthel 8/20`, `Evorel 50`: a score or a dose) or a
    /// word that makes it an eponym, a device or a place (`Lyme disease`,
    /// `Foley catheter`, `Morriston Hospital`); not after `at`, `in`,
    /// `from`, `via`, `near` (a place); not two ordinary words run together
    /// (`Oakhurst`, `Crosshouse`: a place or a home).
    fn lone_unknown(&self, i: usize) -> bool {
        let w = self.str_of(i);
        if self.is_word(i) != Some(Case::Title) || !lone_shape(w) || !unknown_capitalised(w) {
            return false;
        }
        // A cue word (`Adm 12/03` is admitted).
        if with_lowercase(w, |l| date::cue_word(l.as_bytes()).is_some()) {
            return false;
        }
        // `Belfast: …`, `Paeds: …`: a heading at the start of the message.
        if i == 0 && self.is_punct(1, b':') {
            return false;
        }
        // `Weber B ankle`: a classification's letter after it.
        if self.is_word(i + 1).is_some()
            && self.str_of(i + 1).len() == 1
            && self.is_word(i + 2) == Some(Case::Lower)
        {
            return false;
        }
        match self.tok(i + 1).map(|t| t.t) {
            Some(T::Num | T::Mixed | T::Punct(b'\'')) => return false,
            Some(T::Word(c))
                if self.joined(i + 1)
                    && (place_after(self.lower(i + 1))
                        || eponym_after(self.str_of(i + 1))
                        // Not alone: the rules for names of two or more
                        // words have judged it (`43F Joao Obi (med reg)`).
                        || (c == Case::Title && self.namey(i + 1))) =>
            {
                return false;
            }
            _ => {}
        }
        if i > 0 && place_before(self.str_of(i - 1)) {
            return false;
        }
        // After a title the title's rule decides (`Surgeon: Mr Okoye`).
        if i >= 1
            && matches!(
                self.str_of(i - 1),
                "Mr" | "Mrs"
                    | "Ms"
                    | "Miss"
                    | "Mx"
                    | "Master"
                    | "Dr"
                    | "Prof"
                    | "MR"
                    | "MRS"
                    | "MS"
                    | "DR"
            )
        {
            return false;
        }
        // `S. Costa-Reid`: after an initial the initial's rule decides.
        if i >= 1 && (self.initial(i - 1).is_some() || (i >= 2 && self.initial(i - 2) == Some(i))) {
            return false;
        }
        !two_words(w)
    }

    /// Is what follows the word at `i` (after an optional bracketed aside)
    /// something a patient does: `wants`, `needs`, `asking`, `refusing`,
    /// `declined`, `pulled`, `kicking`, `going home`, …?
    fn patient_doing_after(&self, i: usize) -> bool {
        let mut j = i + 1;
        // An aside in lowercase words (`(informal)`, `(the pt)`); not a
        // role (`Sarah (MHLT) asking`).
        if self.is_punct(j, b'(') {
            j += 1;
            while j < i + 6 && !self.is_punct(j, b')') {
                if self.is_word(j) != Some(Case::Lower) {
                    return false;
                }
                j += 1;
            }
            j += 1;
        }
        self.is_word(j) == Some(Case::Lower) && patient_doing(self.str_of(j))
    }

    /// Does the token follow the previous one with spaces only?
    fn joined(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| t.spaced)
    }

    fn on_staff_list(&self, i: usize) -> bool {
        self.sc.staff().lookup(self.str_of(i)).is_some()
            && self.sc.patients().lookup(self.str_of(i)).is_none()
    }

    /// Is the name spanning tokens `a..=z` a colleague's by its neighbours?
    fn staff_name(&self, a: usize, z: usize) -> bool {
        // On the staff list: every word of it (a patient may share a
        // colleague's surname).
        let mut words = (a..=z)
            .filter(|&k| self.is_word(k).is_some() && self.str_of(k).chars().nth(1).is_some())
            .peekable();
        if words.peek().is_some() && words.all(|k| self.on_staff_list(k)) {
            return true;
        }
        // A sign-off: the name is the whole last sentence of the message.
        let last = z >= self.last_word;
        let starts = a == 0
            || matches!(
                self.tok(a - 1).map(|t| t.t),
                Some(T::Punct(b'.' | b'!' | b'?' | b'-' | b'~' | b')'))
            )
            || !self.tok(a).is_some_and(|t| t.spaced)
            || (self.is_word(a - 1) == Some(Case::Lower)
                && !matches!(
                    self.lower(a - 1),
                    "for"
                        | "re"
                        | "to"
                        | "with"
                        | "about"
                        | "see"
                        | "review"
                        | "saw"
                        | "seen"
                        | "visit"
                        | "pt"
                        | "patient"
                        | "called"
                        | "named"
                        | "and"
                        | "of"
                        | "is"
                        | "was"
                        | "on"
                        | "at"
                        | "in"
                ));
        if last && starts {
            return true;
        }
        // `pharmacy here (Debbie Fallon, Boots …)`.
        if a >= 2 && self.is_punct(a - 1, b'(') && self.is_word(a - 2).is_some() {
            let lw = self.lower(a - 2);
            if staff_before(lw) || lw == "here" {
                return true;
            }
        }
        if a > 0 && self.is_word(a - 1).is_some() && staff_before(self.lower(a - 1)) {
            return true;
        }
        // `Staff Nurse Hannah Birtwistle`, `Dr. Carmichael`: an abbreviated
        // title (four letters at most) and its full stop; after a longer
        // word the full stop ends a sentence (`Raigmore pharmacy. Xinyi
        // Cheung CHI …` is a patient).
        if a > 1
            && self.is_punct(a - 1, b'.')
            && self.str_of(a - 2).len() <= 4
            && staff_before(self.lower(a - 2))
        {
            return true;
        }
        // `Bell's palsy`, `Addison's disease`: an eponym.
        let last = self.str_of(z);
        if (last.ends_with("'s") || last.ends_with("’s")) && eponym_noun(self.lower(z + 1)) {
            return true;
        }
        // `Mary Seacole Ward`, `Florence Nightingale Hospice`: a place.
        if self.is_word(z + 1).is_some()
            && self.joined(z + 1)
            && place_after(self.lower(z + 1))
            && !self.number_word_at(z + 2)
        {
            return true;
        }
        let mut n = z + 1;
        if self.is_punct(n, b'(') || self.is_punct(n, b',') {
            n += 1;
        }
        // `Ethel rm 14`: `rm` before a number is a room, not a midwife.
        let room = self.lower(n) == "rm" && self.tok(n + 1).is_some_and(|t| t.t == T::Num);
        if self.is_word(n).is_some() && staff_after(self.lower(n)) && !room {
            return true;
        }
        // `Mohammed Iqbal (med reg)`, `(F1)`: a role in brackets.
        if self.is_punct(z + 1, b'(')
            && (z + 2..z + 4).any(|k| {
                (self.is_word(k).is_some() && staff_after(self.lower(k)))
                    || matches!(self.str_of(k), "F1" | "F2" | "f1" | "f2")
            })
        {
            return true;
        }
        // `Kofi Boakye the reg`, `… on bleep 2310`, `… from the outreach
        // team`, `… to clerk`, `… has my bleep`, `… is on leave`, `…
        // starts with us`: a role or a colleague's doing after the name.
        match self.lower(z + 1) {
            "to" => matches!(
                self.lower(z + 2),
                "clerk" | "present" | "cover" | "teach" | "lead" | "supervise" | "chase"
            ),
            "has" | "holding" => {
                matches!(self.lower(z + 2), "my" | "the") && self.lower(z + 3) == "bleep"
            }
            "is" => {
                self.lower(z + 2) == "on"
                    && matches!(
                        self.lower(z + 3),
                        "leave" | "nights" | "call" | "lates" | "earlies"
                    )
            }
            "starts" | "joins" => self.lower(z + 2) == "with" || self.lower(z + 2) == "us",
            "the" => {
                staff_after(self.lower(z + 2))
                    || matches!(self.str_of(z + 2), "F1" | "F2" | "f1" | "f2")
            }
            "on" => matches!(self.lower(z + 2), "bleep" | "call" | "nights" | "ext"),
            "from" => self.lower(z + 2) == "the" && (z + 3..z + 6).any(|k| self.lower(k) == "team"),
            _ => false,
        }
    }

    fn push(&mut self, a: usize, z: usize, kind: Kind, rule: Rule) {
        let (Some(s), Some(e)) = (self.tok(a).copied(), self.tok(z).copied()) else {
            return;
        };
        if (a..=z).any(|k| !self.free(k)) {
            return;
        }
        for k in a..=z {
            if let Some(x) = self.taken.get_mut(k) {
                *x = true;
            }
        }
        self.new.push(Finding::new(kind, s.s, e.e, rule));
    }

    /// Whether a name this pass found ends at token `i` (so that a rule
    /// keyed on "right after a name" treats it as it treats a first-pass
    /// name or a `[name]` placeholder: redacting twice must equal once).
    fn new_name_ends_at(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| {
            self.new
                .iter()
                .any(|f| f.kind() == Kind::PersonName && f.span().end == t.e)
        })
    }

    fn found_kind(&self, i: usize) -> Option<Kind> {
        match self.tok(i)?.t {
            T::Found(k, _) => k,
            _ => None,
        }
    }

    /// First-pass findings this pass withdraws.
    fn withdraw(&mut self, out: &[Finding]) {
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            let Some(Tok {
                t: T::Found(Some(kind), Some(fi)),
                ..
            }) = self.tok(i)
            else {
                continue;
            };
            let fi = *fi;
            let Some(f) = out.get(fi) else { continue };
            let prev = if i > 0 { self.lower(i - 1) } else { "" };
            let withdraw = match kind {
                // `lot RH2 8XZ`, `batch no. KE17 1ME`, `batch recall AB31
                // 7WQ`: batch numbers; so are hospital-number shapes found
                // with no cue (`lot K751753`).
                Kind::Postcode | Kind::HospitalNumber
                    if kind == &Kind::Postcode || f.rule() == Rule::HospitalPrefixDigits =>
                {
                    let own = self.text.get(f.span()).unwrap_or("").as_bytes();
                    (matches!(prev, "lot" | "batch" | "no" | "number" | "and" | "recall")
                        && (0..i.min(4))
                            .any(|k| matches!(self.lower(i - 1 - k), "lot" | "batch" | "lots")))
                        || self.reference_before(i)
                        || (kind == &Kind::HospitalNumber && reference_letters(own))
                }
                // `Father Brendan`: a religious title, not a relation.
                Kind::PersonName
                    if f.rule() == Rule::NameAfterRelationCue
                        && i > 0
                        && self.religious_title(
                            i - 1,
                            !self.text.get(f.span()).unwrap_or("").trim().contains(' '),
                        ) =>
                {
                    true
                }
                Kind::PersonName => {
                    let text = self.text.get(f.span()).unwrap_or("");
                    let one_word = !text.trim().contains(' ');
                    // `sister Cairns`: a ward sister, not a sibling.
                    (f.rule() == Rule::NameAfterRelationCue
                        && self.str_of(i.wrapping_sub(1)) == "sister"
                        && one_word
                        && (!GIVEN_NAMES.contains(text.trim())
                            || i >= self.last_word
                            || (i >= 2 && self.lower(i - 2) == "by")))
                        // `Mr Gilchrist (ortho reg)`: a role in brackets.
                        || (f.rule() == Rule::NameAfterTitle
                            && self.is_punct(i + 1, b'(')
                            && (i + 2..i + 5).any(|k| {
                                self.is_word(k).is_some() && staff_after(self.lower(k))
                            }))
                }
                _ => false,
            };
            if withdraw {
                self.drop.push(fi);
                if let Some(t) = self.toks.get_mut(i) {
                    t.t = T::Found(None, None);
                }
                if let Some(x) = self.taken.get_mut(i) {
                    *x = true;
                }
            }
        }
    }

    fn dates(&mut self) {
        let mut next = 0;
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if i < next {
                continue;
            }
            if !self.free(i) || self.tok(i).is_some_and(|t| t.staff_sentence) {
                continue;
            }
            if let Some(end) = self.clinic_date_at(i) {
                self.push(i, end, Kind::CareDate, Rule::DateAfterEventCue);
                next = end + 1;
                continue;
            }
            if let Some(end) = self.date_at(i)
                && !self.staff_ahead(end)
            {
                let kind = if self.after_birth_cue(i) {
                    Kind::DateOfBirth
                } else {
                    Kind::CareDate
                };
                self.push(i, end, kind, Rule::DateWeekday);
                next = end + 1;
                continue;
            }
        }
    }

    /// `fracture clinic 8/1`, `review in clinic on 16/1`, `seen in ED
    /// 25/11`, `not attended depot (21/9)`: a day and month right after
    /// `clinic` (which alone is a staff word), after a care-event cue and
    /// `in`/`at` and one word, or in brackets within three words after a
    /// care-event cue, in a
    /// sentence that names a patient before it (a first-pass identifier or
    /// name within 12 tokens back).
    fn clinic_date_at(&self, i: usize) -> Option<usize> {
        if !matches!(self.tok(i)?.t, T::Num | T::Mixed) || i < 2 {
            return None;
        }
        let mut p = i - 1;
        if matches!(self.lower(p), "on" | "the") {
            p -= 1;
        }
        let cue = self.lower(p) == "clinic"
            || (p >= 2
                && matches!(self.lower(p - 1), "in" | "at")
                && self.is_word(p).is_some()
                && self.is_word(p - 2).is_some()
                && date::cue_word(self.lower(p - 2).as_bytes()) == Some(super::DateCue::Event));
        // `not attended depot (21/9)`: a bracketed date a few words after
        // a care-event cue.
        let bracketed = self.is_punct(i - 1, b'(')
            && (i.saturating_sub(5)..i - 1).any(|k| {
                self.is_word(k).is_some()
                    && date::cue_word(self.lower(k).as_bytes()) == Some(super::DateCue::Event)
            });
        if !cue && !bracketed {
            return None;
        }
        let end = self.day_month_at(i)?;
        let mut patient = false;
        for j in (i.saturating_sub(12)..p).rev() {
            let t = self.tok(j)?;
            match t.t {
                T::Gap | T::Punct(b'.' | b';' | b'!' | b'?') => break,
                T::Found(Some(k), _) if k != Kind::CareDate => {
                    patient = true;
                    break;
                }
                _ => {}
            }
        }
        patient.then_some(end)
    }

    fn after_birth_cue(&self, i: usize) -> bool {
        (1..=2).any(|k| i >= k && matches!(self.lower(i - k), "dob" | "born" | "b" | "d.o.b"))
    }

    /// A day number (`21`, `21st`) at `i`: its value.
    fn day_at(&self, i: usize) -> Option<u32> {
        let t = self.tok(i)?;
        if !matches!(t.t, T::Num | T::Mixed) || !self.free(i) {
            return None;
        }
        let w = self.str_of(i).as_bytes();
        let n = w.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=2).contains(&n) {
            return None;
        }
        let ok = match t.t {
            T::Num => w.len() == n,
            _ => {
                let rest = w.get(n..)?;
                rest.len() == 2
                    && matches!(
                        [
                            rest.first()?.to_ascii_lowercase(),
                            rest.get(1)?.to_ascii_lowercase()
                        ],
                        [b's', b't'] | [b'n', b'd'] | [b'r', b'd'] | [b't', b'h']
                    )
            }
        };
        let d = w
            .get(..n)?
            .iter()
            .fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
        (ok && (1..=31).contains(&d)).then_some(d)
    }

    fn month_at(&self, i: usize) -> bool {
        self.is_word(i).is_some()
            && self.free(i)
            && month_of(self.lower(i)).is_some()
            && (self.str_of(i) != "may" && self.str_of(i) != "mar")
    }

    /// The last token of a year after `i`, if one follows.
    fn year_after(&self, i: usize) -> Option<usize> {
        let mut j = i + 1;
        if self.is_punct(j, b',') {
            j += 1;
        }
        let w = self.str_of(j);
        // `Tue 20 Jan 20:40h`: a time; `May 21st, 1500 IU`: not a year.
        let time = w.len() == 2
            && (self.is_punct(j + 1, b':') || self.is_punct(j + 1, b'.'))
            && self
                .tok(j + 2)
                .is_some_and(|t| matches!(t.t, T::Num | T::Mixed))
            && self.tok(j + 1).map(|t| t.e) == self.tok(j + 2).map(|t| t.s);
        let year = match w.len() {
            2 => true,
            4 => w.parse::<u32>().is_ok_and(|y| (1850..=2100).contains(&y)),
            _ => false,
        };
        (self.tok(j)?.t == T::Num && year && !time && self.joined(j)).then_some(j)
    }

    /// A date starting at token `i`, returning its last token.
    fn date_at(&self, i: usize) -> Option<usize> {
        // A date starts at a number or at a weekday or month, which carry
        // `STARTER` (see `KEYWORD_FLAGS`).
        match self.tok(i)?.t {
            T::Num | T::Mixed => {}
            T::Word(_) if self.flag(i, STARTER) => {}
            _ => return None,
        }
        let lw = self.lower(i);
        if lw.is_empty() && self.is_word(i).is_some() {
            return None;
        }
        if self.is_word(i).is_some() && is_weekday(lw) {
            let mut j = i + 1;
            if self.is_punct(j, b',') || self.is_punct(j, b'.') {
                j += 1;
            }
            if self.lower(j) == "the" {
                j += 1;
            }
            if let Some(end) = self.day_month_at(j) {
                return Some(end);
            }
            if self.day_at(j).is_some() && self.tok(j)?.t == T::Mixed {
                return Some(j);
            }
            return None;
        }
        if self.month_at(i) && self.is_word(i) != Some(Case::Lower) {
            // `November 2nd`, `Nov 2, 2025`.
            if self.day_at(i + 1).is_some() && self.joined(i + 1) {
                let n = self.tok(i + 1)?;
                if n.t == T::Mixed || self.year_after(i + 1).is_some() {
                    return Some(self.year_after(i + 1).unwrap_or(i + 1));
                }
            }
            return None;
        }
        if self.tok(i)?.t == T::Mixed {
            return self.compact(i).then_some(i);
        }
        if self.day_at(i).is_some() {
            let mut j = i + 1;
            if self.lower(j) == "of" {
                j += 1;
            }
            if self.month_at(j) && self.joined(j) {
                return Some(self.year_after(j).unwrap_or(j));
            }
        }
        None
    }

    /// `3/9`, `3.9`, `9 Nov`, `9th of November 2025` after a weekday.
    fn day_month_at(&self, j: usize) -> Option<usize> {
        self.day_at(j)?;
        if self.tok(j)?.t == T::Num && (self.is_punct(j + 1, b'/') || self.is_punct(j + 1, b'.')) {
            let m: u32 = self.str_of(j + 2).parse().ok()?;
            if self.tok(j + 2)?.t == T::Num && (1..=12).contains(&m) && !self.joined_gap(j + 1) {
                let mut end = j + 2;
                if self.is_punct(end + 1, self.punct_of(j + 1)?)
                    && self.tok(end + 2).is_some_and(|t| t.t == T::Num)
                {
                    end += 2;
                }
                return Some(end);
            }
        }
        let mut k = j + 1;
        if self.lower(k) == "of" {
            k += 1;
        }
        if self.month_at(k) {
            return Some(self.year_after(k).unwrap_or(k));
        }
        None
    }

    fn punct_of(&self, i: usize) -> Option<u8> {
        match self.tok(i)?.t {
            T::Punct(c) => Some(c),
            _ => None,
        }
    }

    /// Is there a space around the punctuation at `i` (so it does not join
    /// digits into a date)?
    fn joined_gap(&self, i: usize) -> bool {
        let (Some(p), Some(n)) = (self.tok(i), self.tok(i + 1)) else {
            return true;
        };
        let prev_end = self.tok(i.wrapping_sub(1)).map_or(0, |t| t.e);
        p.s != prev_end || n.s != p.e
    }

    /// `9AUG1983`, `18OCT2025`, `14jun47`.
    fn compact(&self, i: usize) -> bool {
        let w = self.str_of(i).as_bytes();
        let d = w.iter().take_while(|c| c.is_ascii_digit()).count();
        let rest = w.get(d..).unwrap_or(&[]);
        let m = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        let y = rest.get(m..).unwrap_or(&[]);
        if !(1..=2).contains(&d) {
            return false;
        }
        let day = w
            .get(..d)
            .unwrap_or(&[])
            .iter()
            .fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
        let mut month = [0u8; 3];
        if let (Some(dst), Some(src)) = (month.get_mut(..), rest.get(..3)) {
            dst.copy_from_slice(src);
            dst.make_ascii_lowercase();
        }
        (1..=2).contains(&d)
            && (1..=31).contains(&day)
            && m == 3
            && core::str::from_utf8(&month).is_ok_and(|m| month_of(m).is_some())
            && (y.len() == 2 || y.len() == 4)
            && y.iter().all(u8::is_ascii_digit)
    }

    fn addresses(&mut self) {
        let mut next = 0;
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if i < next {
                continue;
            }
            if !self.free(i) {
                continue;
            }
            if let Some((a, z)) = self.street_at(i) {
                self.push(a, z, Kind::Address, Rule::AddressStreet);
                next = z + 1;
                continue;
            }
            if let Some((a, z)) = self.home_at(i) {
                self.push(a, z, Kind::Address, Rule::AddressStreet);
                next = z + 1;
                continue;
            }
            if let Some(z) = self.after_address_cue(i) {
                self.push(i + 1, z, Kind::Address, Rule::AddressCue);
                next = z + 1;
                continue;
            }
        }
        // A town before a postcode: `Hamilton, ML3 9LT`, `Ipswich IP4 5EE`.
        for k in 0..self.starters.len() {
            let p = self.starter(k);
            if self.found_kind(p) != Some(Kind::Postcode) || p == 0 {
                continue;
            }
            let mut z = p - 1;
            if self.is_punct(z, b',') {
                if z == 0 {
                    continue;
                }
                z -= 1;
            }
            if !self.town_word(z) {
                continue;
            }
            let mut a = z;
            if a > 0 && self.town_word(a - 1) && self.joined(a) {
                a -= 1;
            }
            self.push(a, z, Kind::Address, Rule::AddressStreet);
        }
    }

    fn town_word(&self, i: usize) -> bool {
        self.plain_title(i)
            && self.free(i)
            && self.str_of(i).chars().count() >= 3
            && !matches!(self.lower(i), "lot" | "batch" | "and" | "or" | "postcode")
            && !name::stop_word(self.lower(i).as_bytes())
            && !is_weekday(self.lower(i))
            && month_of(self.lower(i)).is_none()
    }

    /// A house number and street: returns the first and last tokens,
    /// including `Flat 5,` or a named building before, and `, Town` after.
    fn street_at(&self, i: usize) -> Option<(usize, usize)> {
        let t = self.tok(i)?;
        let w = self.str_of(i);
        let house = match t.t {
            T::Num => w.len() <= 4,
            T::Mixed => {
                let d = w.bytes().take_while(u8::is_ascii_digit).count();
                (1..=4).contains(&d) && w.len() == d + 1
            }
            _ => false,
        };
        if !house {
            return None;
        }
        // One to three capitalised words, the last a street type; or, all
        // in lowercase, one or two words and a spelled-out street type
        // (`28 kings rd`, `5 holly bank`). After a flat's number and a
        // comma the building's name may come first (`Flat 11, Kestrel
        // Court`).
        let mut j = i + 1;
        let flat_first = self.is_punct(j, b',')
            && i >= 1
            && matches!(self.lower(i - 1), "flat" | "apt" | "apartment" | "room");
        if flat_first {
            j += 1;
        }
        let first = j;
        let lower = self.is_word(j) == Some(Case::Lower);
        let mut last = None;
        while j <= first + 3 {
            let case_ok = if lower {
                self.is_word(j) == Some(Case::Lower)
            } else {
                matches!(self.is_word(j), Some(Case::Title | Case::Upper))
            };
            if !self.joined(j) || !case_ok {
                break;
            }
            if lower && j > first && lowercase_street_type(self.lower(j)) {
                last = Some(j);
                break;
            }
            if lower {
                if j > first + 1 || !self.str_of(j).bytes().all(|c| c.is_ascii_lowercase()) {
                    break;
                }
                if name::stop_word(self.str_of(j).as_bytes()) {
                    break;
                }
                j += 1;
                continue;
            }
            let lw = self.lower(j);
            if street_type(lw) && j > first {
                last = Some(j);
                if self.is_word(j + 1).is_some() && direction(self.lower(j + 1)) {
                    last = Some(j + 1);
                }
                break;
            }
            if street_type(lw) && lw.len() > 5 {
                // `167 Kingsway`
                last = Some(j);
                break;
            }
            if name::stop_word(lw.as_bytes()) {
                break;
            }
            j += 1;
        }
        let mut z = last?;
        // `, Town`, `, High Wycombe`.
        if self.is_punct(z + 1, b',') && self.town_word(z + 2) {
            z += 2;
            if self.town_word(z + 1) && self.joined(z + 1) {
                z += 1;
            }
        }
        let mut a = if flat_first { i - 1 } else { i };
        // `Flat 5,`, `Flat 0/2,`.
        let mut k = a;
        if k >= 1 && self.is_punct(k - 1, b',') {
            k -= 1;
        }
        if k >= 2
            && self
                .tok(k - 1)
                .is_some_and(|t| matches!(t.t, T::Num | T::Mixed))
        {
            let lw = self.lower(k - 2);
            if matches!(lw, "flat" | "apt" | "apartment" | "unit" | "room") {
                a = k - 2;
            }
        } else if k >= 4
            && self.is_punct(k - 2, b'/')
            && matches!(self.lower(k - 4), "flat" | "apt")
        {
            a = k - 4;
        }
        // `Braeview House, ` before it.
        if a >= 2 && self.is_punct(a - 1, b',') {
            let lw = self.lower(a - 2);
            if matches!(
                lw,
                "house" | "home" | "court" | "lodge" | "cottage" | "hall"
            ) && a >= 3
                && self.is_word(a - 3) == Some(Case::Title)
            {
                a -= 3;
                if a >= 1 && self.is_word(a - 1) == Some(Case::Title) && self.lower(a) == "care" {
                    a -= 1;
                }
            }
        }
        Some((a, z))
    }

    /// `Meadowbank Care Home`, `Lochside Nursing Home`, `Abbeyfield House`,
    /// with `, Town` or `, 14 Paisley Road` after it.
    fn home_at(&self, i: usize) -> Option<(usize, usize)> {
        if self.is_word(i) != Some(Case::Title) {
            return None;
        }
        let mut j = i + 1;
        // `Willow Court Care Centre`: a second word of the name.
        if self.is_word(j) == Some(Case::Title)
            && self.joined(j)
            && matches!(self.lower(j + 1), "care" | "nursing" | "residential")
        {
            j += 1;
        }
        let named = j;
        if self.is_word(j) == Some(Case::Title) && self.joined(j) {
            let lw = self.lower(j);
            if matches!(lw, "care" | "nursing" | "residential") {
                j += 1;
            }
        }
        let lw = self.lower(j);
        let ok = self.is_word(j) == Some(Case::Title)
            && self.joined(j)
            && (matches!(lw, "home" | "centre") && j == named + 1 && j > i + 1
                || lw == "house" && j == i + 1);
        // The word lists last: most capitalised words fail the shape above.
        if !ok || not_a_name(self.lower(i)) {
            return None;
        }
        let mut z = j;
        if self.is_punct(z + 1, b',') {
            if let Some((_, sz)) = self.street_at(z + 2) {
                z = sz;
            } else if self.town_word(z + 2) {
                z += 2;
            }
        }
        Some((i, z))
    }

    /// `lives Hamilton`, `lives at Rose Cottage`, `address: Kirkton`.
    fn after_address_cue(&self, i: usize) -> Option<usize> {
        // The address cues carry `STARTER` (see `KEYWORD_FLAGS`).
        if !self.flag(i, STARTER) {
            return None;
        }
        let lw = self.lower(i);
        if !matches!(lw, "lives" | "living" | "resides" | "address") {
            return None;
        }
        let mut j = i + 1;
        if matches!(self.lower(j), "at" | "in") || self.is_punct(j, b':') {
            j += 1;
        }
        if !self.town_word(j) || self.street_at(j).is_some() {
            return None;
        }
        let mut z = j;
        while z < j + 2 && self.town_word(z + 1) && self.joined(z + 1) {
            z += 1;
        }
        // `i + 1` must be free for push; move the start past a cue word.
        if j > i + 1 {
            return None
                .or(Some(z))
                .filter(|_| self.free(i + 1) && self.shift_ok(i + 1, j));
        }
        Some(z)
    }

    /// The tokens between the cue and the address are small words we may
    /// include in the span (`at`, `in`, `:`).
    fn shift_ok(&self, a: usize, b: usize) -> bool {
        (a..b).all(|k| self.free(k))
    }

    /// A CHI number after a `CHI` cue that fails modulus 11 but passes
    /// the modulus 10 rule (plain, 6-4 or 3-3-4).
    fn chi_mod10(&mut self) {
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if self.lower(i) != "chi" {
                continue;
            }
            let mut j = i + 1;
            if self.is_punct(j, b':') {
                j += 1;
            }
            let mut d = [0u8; 10];
            let mut n = 0;
            let mut k = j;
            while k < j + 3 && self.tok(k).is_some_and(|t| t.t == T::Num) && self.free(k) {
                for c in self.str_of(k).bytes() {
                    if let Some(x) = d.get_mut(n) {
                        *x = c - b'0';
                    }
                    n += 1;
                }
                if n >= 10 {
                    break;
                }
                k += 1;
            }
            if n == 10 && super::nhs::chi_mod10_valid(&d) {
                self.push(j, k.min(j + 2), Kind::ChiNumber, Rule::ChiModulus10);
            }
        }
    }

    fn names(&mut self) {
        self.bracketed_numbers();
        // Identity details first: they are the strongest evidence.
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if self.identity_anchor(i) {
                self.name_before(i);
            }
        }
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            self.after_relation(i);
            // `chi 140896 6603 poppy whitworth`: lowercase words right after
            // an identity detail, the first a listed given name.
            if matches!(
                self.found_kind(i),
                Some(
                    Kind::NhsNumber
                        | Kind::ChiNumber
                        | Kind::HealthAndCareNumber
                        | Kind::DateOfBirth
                )
            ) && self.is_word(i + 1) == Some(Case::Lower)
                && self.is_word(i + 2) == Some(Case::Lower)
                && self.joined(i + 2)
                && GIVEN_NAMES.contains(self.str_of(i + 1))
                && !not_a_name(self.lower(i + 2))
            {
                self.push(i + 1, i + 2, Kind::PersonName, Rule::NameBeforeIdentity);
            }
        }
        let mut lower_done = 0;
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            self.lowercase_pair(i);
            // `S. Dhillon`, `G Baker`: an initial and a listed surname;
            // `K.Bramwell`: an initial, a full stop and a capitalised word
            // with no space between.
            if let Some(k) = self.initial(i) {
                let prev_initial = i > 0 && self.initial(i - 1).is_some();
                let tight = k == i + 2
                    && self.tok(i + 1).map(|t| t.e) == self.tok(k).map(|t| t.s)
                    && self.str_of(k).chars().count() >= 3;
                if !prev_initial
                    && self.namey(k)
                    && self.is_word(k) == Some(Case::Title)
                    && (tight || SURNAME_LIST.listed(self.str_of(k)))
                    && !self.staff_name(i, k)
                {
                    self.push(i, k, Kind::PersonName, Rule::NameFromLexicon);
                }
            }
            // `43F Joao Obi`: an age and sex, then a name.
            self.name_after_age(i);
            // `nasreen rana … Mob 020 7946 0275`: a name typed in lowercase
            // near another identifier.
            if matches!(self.tok(i).map(|t| t.t), Some(T::Found(Some(k), _)) if k != Kind::CareDate)
            {
                // Each token once, though windows overlap.
                for j in i.saturating_sub(8).max(lower_done)..i + 9 {
                    self.lowercase_name(j);
                }
                lower_done = lower_done.max(i + 9);
            }
        }
        let mut next = 0;
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if i < next {
                continue;
            }
            if let Some((a, z, rule)) = self.lexicon_name(i) {
                // A name that ends before a short word in capitals is judged
                // with it too (`… thanks, Jo Bloggs ANP`: a sign-off and a
                // role still mark a colleague).
                let colleague = self.staff_name(a, z)
                    || (self.is_word(z + 1) == Some(Case::Upper)
                        && self.str_of(z + 1).len() <= 4
                        && self.staff_name(a, z + 1))
                    || self.staff_chatter(a, z);
                if !colleague {
                    self.push(a, z, Kind::PersonName, rule);
                }
                // Either way its words are not read again one by one (`…
                // Beth Lowther` signing off: not `Lowther` alone).
                next = z + 1;
                continue;
            }
        }
        // `Dr Ravi Anand (patient, retired GP)`, `pt is Dr Bevan, retired
        // GP`: a doctor who is the patient.
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            self.doctor_as_patient(i);
        }
        // `Ifeoma's mum`, `Goran Petrović's summary`: a name word in the
        // possessive before a relative or the patient's own things.
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            self.possessive_name(i);
        }
        // `Adebayo in bay 4`, `bed 12 Stanisław`: after the lexicon, which
        // reads `Smith, Janet in bay 3` whole.
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            self.name_at_bed(i);
        }
        // `Bridget Maguire, Harpreet Sandhu and Sunday Okafor`: the other
        // items of a list with a name in it.
        self.lists();
        // Numbers right after the names just found.
        self.bracketed_numbers();
        self.bare_day_month();
    }

    /// The token after a list separator starting at `j`: `,`, `;`, `&`,
    /// `+`, `and`, then an optional item number (`2.`, `4:`, `3)`); or an
    /// item number alone. `None` if there is no separator at `j`.
    fn list_item_after(&self, j: usize) -> Option<usize> {
        let mut k = j;
        if matches!(
            self.tok(k).map(|t| t.t),
            Some(T::Punct(b',' | b';' | b'&' | b'+'))
        ) || (self.is_word(k) == Some(Case::Lower) && self.lower(k) == "and")
        {
            k += 1;
        }
        if self.tok(k).is_some_and(|t| t.t == T::Num)
            && self.str_of(k).len() <= 2
            && matches!(
                self.tok(k + 1).map(|t| t.t),
                Some(T::Punct(b'.' | b':' | b')'))
            )
        {
            k += 2;
        }
        (k > j).then_some(k)
    }

    /// Does a list item end at token `z`: followed by a separator, a
    /// bracket, a dash, the end of a sentence or of the text, a number or
    /// a lowercase word?
    fn item_ends(&self, z: usize) -> bool {
        let w = self.str_of(z);
        if w.ends_with("'s") || w.ends_with("’s") || self.is_punct(z + 1, b'\'') {
            // `Addison's`, `Graves'`: an eponym.
            return false;
        }
        match self.tok(z + 1).map(|t| t.t) {
            None | Some(T::Gap | T::Word(Case::Lower | Case::Upper)) => true,
            Some(T::Punct(c)) => b",;&+().-~:!?".contains(&c),
            _ => false,
        }
    }

    /// One to three name words in title case from `a`, on one line, ending
    /// a list item: the last token, or `None`.
    fn list_item_at(&self, a: usize) -> Option<usize> {
        let title = |k: usize| self.namey(k) && self.is_word(k) == Some(Case::Title);
        if !title(a) {
            return None;
        }
        let mut z = a;
        while z < a + 2 && title(z + 1) && self.joined(z + 1) {
            z += 1;
        }
        (self.item_ends(z) && !self.staff_name(a, z) && !self.staff_chatter(a, z)).then_some(z)
    }

    /// May an item of `words` words join a name of `seed` words across the
    /// separator at `j`? Lists are alike: after `,`, `;` or an item number
    /// the same number of words (`Precious Pickering, Addison's, Doppler`
    /// is a name and conditions); after `&`, `+`, `and` also one word
    /// (`Stefan, Ana & Luka Marković`).
    /// A name of the first pass (after a title or from the patient list)
    /// joins only across `&`, `+`, `and` (`Ms Begum, Mallory-Weiss`: after
    /// a title, a comma list is of other things).
    fn alike(&self, j: usize, seed: usize, words: usize, first_pass: bool) -> bool {
        let and = matches!(self.tok(j).map(|t| t.t), Some(T::Punct(b'&' | b'+')))
            || self.lower(j) == "and";
        if first_pass {
            return and;
        }
        words == seed || (words == 1 && and)
    }

    /// [`Ctx::listed_with`] from every name found so far: the first pass's
    /// (one token each), then this pass's (found by token position, so the
    /// cost is the number of names, not of tokens).
    fn lists(&mut self) {
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if self.found_kind(i) == Some(Kind::PersonName) {
                self.listed_with(i, i, true);
            }
        }
        // This pass's names, as they stood before the list rule.
        let before = self.new.len();
        for n in 0..before {
            let Some(f) = self.new.get(n) else { break };
            if f.kind() != Kind::PersonName {
                continue;
            }
            let (s, e) = (f.span().start, f.span().end);
            let a = self.toks.partition_point(|t| t.s < s);
            let z = self.toks.partition_point(|t| t.s < e);
            if z > a {
                self.listed_with(a, z - 1, false);
            }
        }
    }

    /// `1. Bridget Maguire 2. Harpreet Sandhu 3. Sunday Okafor`, `Stefan,
    /// Ana & Luka Marković`, `bay 3: Nowak, 4: Adeyemi`: from a name found
    /// (by either pass) at `start..=end`, up to two more items of
    /// the same list each way, each one to three capitalised name words
    /// joined to it by `,`, `;`, `&`, `+`, `and` or an item number. Guard:
    /// the words are name words (not stop, clinical, place or role words),
    /// in title case, end an item (a separator, bracket, dash, number,
    /// lowercase word or the end follows), and the staff guards and staff
    /// chatter hold; the list must already hold a name.
    fn listed_with(&mut self, start: usize, end: usize, first_pass: bool) {
        // Most names are in no list: test for a separator on either side
        // before anything else.
        if self.list_item_after(end + 1).is_none()
            && !(start >= 2 && self.list_item_after(start - 1) == Some(start))
            && !(start >= 3 && self.list_item_after(start - 2) == Some(start))
        {
            return;
        }
        let seed = if first_pass {
            self.str_of(start).split_whitespace().count()
        } else {
            (start..=end).filter(|&k| self.is_word(k).is_some()).count()
        };
        {
            let mut z = end;
            for _ in 0..2 {
                let Some(a) = self.list_item_after(z + 1) else {
                    break;
                };
                let Some(e) = self.list_item_at(a) else { break };
                if !self.alike(z + 1, seed, e + 1 - a, first_pass) {
                    break;
                }
                self.push(a, e, Kind::PersonName, Rule::NameFromLexicon);
                z = e;
            }
        }
        {
            let mut a = start;
            for _ in 0..2 {
                // A separator of one token (`,`, `&`, `and`) before `a`.
                let Some(z) = a.checked_sub(2) else { break };
                if self.list_item_after(z + 1) != Some(a) {
                    break;
                }
                let mut b = z;
                while b + 2 > z && b > 0 && self.namey(b - 1) && self.joined(b) {
                    b -= 1;
                }
                let Some(e) = self.list_item_at(b) else { break };
                if e != z || !self.alike(z + 1, seed, z + 1 - b, first_pass) {
                    break;
                }
                self.push(b, z, Kind::PersonName, Rule::NameFromLexicon);
                a = b;
            }
        }
    }

    /// `given 12/11`, `drained 28/11`, `Resent 26/11`: a day and month with
    /// a slash and no year, with no cue, within 14 tokens before (12 after) of a patient
    /// identifier in the same sentence (a first-pass finding or placeholder
    /// other than a care date, or a name this pass found). Guard: not a score or a duration
    /// (not after `in`, `for`, `x`, `over`, `within`, `every`, `pain`,
    /// `power`, `score`, `apgar(s)`, a word in capitals, a number or a
    /// found date, so that `7/4 7/4` and its masked `[date] 7/4` agree; not
    /// before `pain`; not part of a longer group), not in staff chatter
    /// (a staff word in the sentence).
    fn bare_day_month(&mut self) {
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if let Some(end) = self.bare_day_or_weekday(i) {
                if self.patient_near(i, end) {
                    self.push(i, end, Kind::CareDate, Rule::DateAfterEventCue);
                }
                continue;
            }
            if !self.free(i)
                || self
                    .tok(i)
                    .is_some_and(|t| t.t != T::Num || t.staff_sentence)
                || !self.is_punct(i + 1, b'/')
                || self.str_of(i + 2).len() > 2
                || self.is_punct(i + 3, b'/')
                || self.is_punct(i + 3, b'.')
                    && self
                        .tok(i + 4)
                        .is_some_and(|t| t.t == T::Num && self.joined(i + 4) && !t.spaced)
            {
                continue;
            }
            let Some(end) = self.day_month_at(i) else {
                continue;
            };
            if end != i + 2 || !self.joined(i + 1) || !self.joined(i + 2) {
                continue;
            }
            // Joined with no space: `12/11`, not `12 / 11`.
            if self.tok(i).map(|t| t.e) != self.tok(i + 1).map(|t| t.s)
                || self.tok(i + 1).map(|t| t.e) != self.tok(i + 2).map(|t| t.s)
            {
                continue;
            }
            if i > 0 {
                let before = self.lower(i - 1);
                if matches!(
                    before,
                    "in" | "for"
                        | "x"
                        | "over"
                        | "within"
                        | "every"
                        | "pain"
                        | "power"
                        | "score"
                        | "apgar"
                        | "apgars"
                ) || self.is_word(i - 1) == Some(Case::Upper)
                    || self.tok(i - 1).is_some_and(|t| {
                        matches!(
                            t.t,
                            T::Num
                                | T::Mixed
                                | T::Found(Some(Kind::CareDate | Kind::DateOfBirth), _)
                        )
                    })
                {
                    continue;
                }
            }
            if self.lower(i + 3) == "pain" || self.staff_ahead(end) {
                continue;
            }
            // `10/7` (ten days), `3/12` (three months) read as durations:
            // a month of 7 with a day up to 14, or of 12 with a day up to 6,
            // counts only after `on`, `from`, `since`, `till`, `until`,
            // `by`, `of`, `dated`.
            let day: u32 = self.str_of(i).parse().unwrap_or(0);
            let month: u32 = self.str_of(i + 2).parse().unwrap_or(0);
            let duration = (month == 7 && day <= 14) || (month == 12 && day <= 6);
            if duration
                && !(i > 0
                    && matches!(
                        self.lower(i - 1),
                        "on" | "from" | "since" | "till" | "until" | "by" | "of" | "dated"
                    ))
            {
                continue;
            }
            if self.patient_near(i, end) {
                self.push(i, end, Kind::CareDate, Rule::DateAfterEventCue);
            }
        }
    }

    /// `on the 9th`, `since the 14th`, `Review 23rd`, `since Sunday`: an
    /// ordinal day after `the`, `on`, `since`, `from`, `until`, `till`,
    /// `by`, `before`, `after` or a capitalised word, not followed by a
    /// lowercase word other than `at`, `and`, `or`, `for`, `with`, `to`
    /// (`3rd attendance`, `2nd dose` are counts); or a weekday alone (not
    /// followed by a day, which the weekday rule reads). Its end, for
    /// [`Ctx::patient_near`] to decide.
    fn bare_day_or_weekday(&self, i: usize) -> Option<usize> {
        let t = self.tok(i)?;
        if !self.free(i) || t.staff_sentence || i == 0 {
            return None;
        }
        if matches!(t.t, T::Word(Case::Title | Case::Lower)) {
            let w = self.lower(i);
            if !is_weekday(w) || w.len() < 3 || self.day_at(i + 1).is_some() || self.staff_ahead(i)
            {
                return None;
            }
            // A session or a schedule, not an event: `list Tue am`,
            // `mtg Tues`, `dialysis Mon/Wed/Fri`, `10:00 Weds`.
            if self.is_punct(i + 1, b'/')
                || self.is_punct(i - 1, b'/')
                || matches!(self.lower(i + 1), "am" | "pm")
                || matches!(
                    self.lower(i - 1),
                    "list" | "mtg" | "meeting" | "clinic" | "theatre" | "session" | "every"
                )
                || matches!(self.tok(i - 1).map(|t| t.t), Some(T::Num | T::Mixed))
            {
                return None;
            }
            // `Sat` and `Sun` only capitalised.
            if matches!(w, "sat" | "sun") && t.t != T::Word(Case::Title) {
                return None;
            }
            return Some(i);
        }
        if t.t != T::Mixed || self.day_at(i).is_none() {
            return None;
        }
        let before = match self.tok(i - 1).map(|t| t.t) {
            Some(T::Word(Case::Lower)) => matches!(
                self.lower(i - 1),
                "the" | "on" | "since" | "from" | "until" | "till" | "by" | "before" | "after"
            ),
            Some(T::Word(Case::Title)) => true,
            _ => false,
        };
        let after = match self.tok(i + 1).map(|t| t.t) {
            Some(T::Word(Case::Lower)) => matches!(
                self.lower(i + 1),
                "at" | "and" | "or" | "for" | "with" | "to"
            ),
            Some(T::Word(_)) | Some(T::Num) | Some(T::Mixed) => false,
            _ => true,
        };
        (before && after && !self.staff_ahead(i)).then_some(i)
    }

    /// Is there a patient identifier (a first-pass finding other than a
    /// care date, or a name found by this pass) within 14 tokens before `i`
    /// or 12 after `end`, in the same sentence?
    fn patient_near(&self, i: usize, end: usize) -> bool {
        let near = |j: usize| -> Option<bool> {
            let t = self.tok(j)?;
            Some(match t.t {
                T::Found(Some(k), _) => k != Kind::CareDate,
                _ => self.new.iter().any(|f| {
                    f.kind() == Kind::PersonName && f.span().start <= t.s && t.s < f.span().end
                }),
            })
        };
        let mut patient = false;
        let stop = |t: &Tok| matches!(t.t, T::Gap | T::Punct(b'.' | b';' | b'!' | b'?'));
        for j in (i.saturating_sub(14)..i).rev() {
            if self.tok(j).is_some_and(stop) {
                break;
            }
            if near(j) == Some(true) {
                patient = true;
                break;
            }
        }
        if !patient {
            for j in end + 1..end + 13 {
                if self.tok(j).is_none_or(stop) {
                    break;
                }
                if near(j) == Some(true) {
                    patient = true;
                    break;
                }
            }
        }
        patient
    }

    /// A hospital number in brackets after a word (`Adwoa Adjei (2445032)`,
    /// `S. Dhillon's (674 9942)`), or right after a name (`Mrs Wong
    /// 00960806`): seven or eight digits, or three and four.
    fn bracketed_numbers(&mut self) {
        for k in 0..self.starters.len() {
            let i = self.starter(k);
            if i == 0 {
                continue;
            }
            let num = |cx: &Self, k: usize, lens: &[usize]| {
                cx.tok(k).is_some_and(|t| t.t == T::Num) && lens.contains(&cx.str_of(k).len())
            };
            let after_word = matches!(
                self.tok(i - 1).map(|t| t.t),
                Some(T::Word(Case::Title | Case::Upper) | T::Found(Some(Kind::PersonName), _))
            );
            if self.is_punct(i, b'(') && after_word {
                if num(self, i + 1, &[7, 8]) && self.is_punct(i + 2, b')') {
                    self.push(i + 1, i + 1, Kind::HospitalNumber, Rule::HospitalAfterName);
                } else if num(self, i + 1, &[3])
                    && num(self, i + 2, &[4])
                    && self.is_punct(i + 3, b')')
                {
                    self.push(i + 1, i + 2, Kind::HospitalNumber, Rule::HospitalAfterName);
                }
            }
            // `Ahmed, Mohammed B 449120`, `05/05/1993 M 2209183`: one
            // capital and six to eight digits right after a name or a date
            // of birth.
            if self.is_word(i) == Some(Case::Title)
                && self.str_of(i).len() == 1
                && self.free(i)
                && num(self, i + 1, &[6, 7, 8])
                && self.joined(i + 1)
                && !(self.tok(i + 2).is_some_and(|t| t.t == T::Num) && self.joined(i + 2))
                && (matches!(
                    self.found_kind(i - 1),
                    Some(Kind::PersonName | Kind::DateOfBirth)
                ) || self.new_name_ends_at(i - 1))
            {
                self.push(i, i + 1, Kind::HospitalNumber, Rule::HospitalAfterName);
            }
            // The number first: `new_name_ends_at` walks the new findings.
            if num(self, i, &[7, 8])
                && (self.found_kind(i - 1) == Some(Kind::PersonName)
                    || self.new_name_ends_at(i - 1))
            {
                self.push(i, i, Kind::HospitalNumber, Rule::HospitalAfterName);
            }
        }
    }

    /// A name after a relation or form cue the first pass does not know:
    /// `spouse Stephen`, `Mum (Jing)`, `son-in-law Callum`, `Surname:
    /// Gonçalves`, `Name Adaobi Achebe`.
    fn after_relation(&mut self, i: usize) {
        // Every relation and form word carries `STARTER` (see
        // `KEYWORD_FLAGS`): one bit test turns away every other token.
        if !self.flag(i, STARTER) {
            return;
        }
        let lw = self.lower(i);
        let form = is_form(lw);
        let relation = is_relation(lw);
        if !(form || relation) || self.is_word(i).is_none() {
            return;
        }
        if form && lw == "name" && self.is_word(i) != Some(Case::Title) {
            return;
        }
        let single =
            !(self.joined(i + 2) && matches!(self.is_word(i + 2), Some(Case::Title | Case::Upper)));
        if self.religious_title(i, single) {
            return;
        }
        let mut j = i + 1;
        if self.is_punct(j, b'(') || self.is_punct(j, b':') || self.is_punct(j, b'-') {
            j += 1;
        }
        if !self.namey(j) {
            return;
        }
        let mut z = j;
        // Not into a short unlisted word in capitals (`baby Eze TTN`).
        let short_caps = |k: usize| {
            self.is_word(k) == Some(Case::Upper)
                && self.str_of(k).len() <= 4
                && !SURNAME_LIST.contains(self.str_of(k))
                && !GIVEN_NAMES.contains(self.str_of(k))
        };
        if !form && self.namey(z + 1) && self.joined(z + 1) && !short_caps(z + 1) {
            z += 1;
        }
        if self.staff_name(j, z) && !form {
            return;
        }
        self.push(j, z, Kind::PersonName, Rule::NameFromLexicon);
    }

    /// Does an identity detail start at token `i`?
    fn identity_anchor(&self, i: usize) -> bool {
        let Some(t) = self.tok(i) else { return false };
        match t.t {
            T::Found(Some(k), fi) => {
                matches!(
                    k,
                    Kind::DateOfBirth
                        | Kind::NhsNumber
                        | Kind::ChiNumber
                        | Kind::HealthAndCareNumber
                        | Kind::HospitalNumber
                ) || (k == Kind::CareDate
                    && fi.is_some_and(|f| self.full_date.get(f) == Some(&true)))
            }
            T::Word(_) => matches!(self.lower(i), "dob" | "aged" | "d.o.b"),
            T::Mixed => {
                // `28f`, `84M`, `6yo`.
                let w = self.str_of(i).to_ascii_lowercase();
                let d = w.bytes().take_while(u8::is_ascii_digit).count();
                (1..=3).contains(&d) && matches!(w.get(d..), Some("f" | "m" | "yo" | "y"))
            }
            T::Punct(b',') => {
                // `, 57,` an age between commas.
                self.tok(i + 1).is_some_and(|t| t.t == T::Num)
                    && self.str_of(i + 1).len() <= 3
                    && (self.is_punct(i + 2, b',') || self.is_punct(i + 2, b')'))
            }
            T::Punct(b'(') => {
                // `(6)`, `(3 Jan 48, …)`.
                (self.tok(i + 1).is_some_and(|t| t.t == T::Num)
                    && self.str_of(i + 1).len() <= 2
                    && self.is_punct(i + 2, b')'))
                    || self.identity_anchor(i + 1)
            }
            _ => false,
        }
    }

    /// Is token `j` (or the one after a `.` at `j`) `no`, `number`, `ID`:
    /// the second word of `Hospital No`, `Unit number`?
    fn number_word_at(&self, j: usize) -> bool {
        let j = if self.is_punct(j, b'.') { j + 1 } else { j };
        self.is_word(j).is_some() && matches!(self.lower(j), "no" | "number" | "id" | "num" | "nr")
    }

    /// The first token of an identifier's cue right before token `i`
    /// (`hospital number`, `MRN:`, `NHS#`, `Unit no.`, `H/No`), or `i`.
    fn id_cue_before(&self, i: usize) -> usize {
        let mut k = i;
        for _ in 0..2 {
            if k > 1
                && [b':', b'#', b'.', b'-']
                    .iter()
                    .any(|&c| self.is_punct(k - 1, c))
            {
                k -= 1;
            }
        }
        if k < 2 || self.is_word(k - 1).is_none() {
            return i;
        }
        match self.lower(k - 1) {
            "mrn" | "crn" | "nhs" | "nhsno" | "chi" | "hosp" => k - 1,
            "no" | "number" | "id" | "num" | "nr" => {
                let mut c = k - 2;
                if self.is_punct(c, b'.') && c > 0 {
                    c -= 1;
                }
                if self.is_word(c).is_some()
                    && matches!(
                        self.lower(c),
                        "hospital" | "hosp" | "unit" | "pas" | "case" | "trust" | "nhs"
                    )
                {
                    c
                } else if self.is_punct(c, b'/') && c > 0 && self.lower(c - 1) == "h" {
                    c - 1
                } else {
                    i
                }
            }
            _ => i,
        }
    }

    /// One to three name words right before the anchor at `i`, or before
    /// the anchor's cue (`Oksana Aziz hospital number GH103123`).
    fn name_before(&mut self, i: usize) {
        let mut z = i;
        if self.found_kind(i).is_some() {
            let c = self.id_cue_before(i);
            // A cue at the start has no name before it (`Hosp Num 765…`).
            if c == 0 {
                return;
            }
            if c < i {
                z = c;
                if self.is_punct(z - 1, b'(') && z > 1 {
                    z -= 1;
                }
            }
        }
        if z == 0 {
            return;
        }
        z -= 1;
        if self.is_punct(z, b',') || self.is_punct(z, b'-') || self.is_punct(z, b'~') {
            if self.tok(i).is_some_and(|t| t.t == T::Punct(b',')) || z == 0 {
                return;
            }
            z -= 1;
        }
        if self.is_punct(z, b'(') {
            return;
        }
        // `Smith's (J444901M)`.
        let mut a = z;
        let mut words = 0;
        loop {
            if self.namey(a) {
                words += 1;
            } else if self.initial(a).is_none() || words == 0 {
                break;
            }
            if words == 3 || a == 0 || !self.joined(a) {
                break;
            }
            let prev = a - 1;
            if self.is_punct(prev, b'.') && prev > 0 && self.initial(prev - 1).is_some() {
                a = prev - 1;
                continue;
            }
            if !self.namey(prev) && self.initial(prev).is_none() {
                break;
            }
            a = prev;
        }
        if words == 0 {
            // `frederick lloyd-webb 22nd september 1940`: two lowercase words
            // before an identity detail, the first a listed given name.
            if z >= 1
                && self.is_word(z) == Some(Case::Lower)
                && self.is_word(z - 1) == Some(Case::Lower)
                && self.joined(z)
                && self.free(z)
                && self.free(z - 1)
                && GIVEN_NAMES.contains(self.str_of(z - 1))
                && !not_a_name(self.lower(z))
            {
                self.push(z - 1, z, Kind::PersonName, Rule::NameBeforeIdentity);
            }
            return;
        }
        if words == 1 && self.initial(a).is_none() {
            let w = self.str_of(a);
            let listed = GIVEN_NAMES.contains(w) || SURNAME_LIST.contains(w);
            if !listed && self.is_word(a) != Some(Case::Upper) {
                return;
            }
        }
        if self.staff_name(a, z) {
            return;
        }
        // `NOWAK, Mei hospital ID …`: a surname in capitals before a comma.
        if a >= 2
            && self.is_punct(a - 1, b',')
            && self.is_word(a - 2) == Some(Case::Upper)
            && self.namey(a - 2)
            && self.str_of(a - 2).len() >= 3
            && self.str_of(a - 2).bytes().any(|c| b"AEIOUY".contains(&c))
        {
            a -= 2;
        }
        self.push(a, z, Kind::PersonName, Rule::NameBeforeIdentity);
    }

    /// A name typed in lowercase near another identifier (a first-pass
    /// finding other than a care date, within eight tokens, from which this
    /// is called): a listed given name that is not an ordinary word (see
    /// [`lowercase_given`]), an optional second listed given name (`hui min
    /// cheung`), then a lowercase word that is not a stop, cue, clinical or
    /// role word. Staff guards; not in staff chatter.
    fn lowercase_name(&mut self, i: usize) {
        if self.is_word(i) != Some(Case::Lower)
            || self.is_word(i + 1) != Some(Case::Lower)
            || !self.joined(i + 1)
            || !self.free(i)
            || !self
                .tok(i)
                .is_some_and(|t| lowercase_given(self.str_of(i), t.fl))
        {
            return;
        }
        let plain = |cx: &Self, k: usize| {
            cx.is_word(k) == Some(Case::Lower)
                && cx.joined(k)
                && cx.free(k)
                && !cx.flag(k, NOT_NAME | STAFF_BEFORE | STAFF_AFTER | STAFF_CUE)
                && cx.str_of(k).chars().count() >= 2
                && date::cue_word(cx.lower(k).as_bytes()).is_none()
        };
        let mut z = i + 1;
        if plain(self, z) && GIVEN_NAMES.contains(self.str_of(z)) && plain(self, z + 1) {
            z += 1;
        }
        if !plain(self, z) || self.staff_name(i, z) || self.staff_chatter(i, z) {
            return;
        }
        self.push(i, z, Kind::PersonName, Rule::NameFromLexicon);
    }

    /// `Dr Ravi Anand (patient, retired GP)`, `Prof Aldous Whitcombe (pt,
    /// …)`, `pt is Dr Bevan, retired GP`: one to three name words after
    /// `Dr`, `Doctor` or `Prof`, followed by `(patient` or `(pt`, or after
    /// `pt is` / `patient is`, or followed by `, retired` or `— retired`.
    fn doctor_as_patient(&mut self, i: usize) {
        if !matches!(self.lower(i), "dr" | "doctor" | "prof") || self.is_word(i).is_none() {
            return;
        }
        let mut a = i + 1;
        if self.is_punct(a, b'.') {
            a += 1;
        }
        if !self.namey(a) {
            return;
        }
        let mut z = a;
        while z < a + 2 && self.namey(z + 1) && self.joined(z + 1) {
            z += 1;
        }
        let bracket = self.is_punct(z + 1, b'(') && matches!(self.lower(z + 2), "patient" | "pt");
        let retired = (self.is_punct(z + 1, b',') || self.is_punct(z + 1, b'-'))
            && self.lower(z + 2) == "retired";
        let is =
            i >= 2 && self.lower(i - 1) == "is" && matches!(self.lower(i - 2), "pt" | "patient");
        if bracket || retired || is {
            self.push(a, z, Kind::PersonName, Rule::NameFromLexicon);
        }
    }

    /// `Ifeoma's mum`, `Noor's school`, `Teodora's bloods`: a capitalised
    /// word in the possessive, listed or unknown ([`unknown_capitalised`]),
    /// right before a relative or something of a patient's (`mum`, `baby`,
    /// `bloods`, `meds`, `discharge`, …). Guards: not after a title (the
    /// title's rule decides) or a word that makes it a place; staff guards.
    fn possessive_name(&mut self, i: usize) {
        if self.is_word(i) != Some(Case::Title) || !self.free(i) {
            return;
        }
        let w = self.str_of(i);
        let Some(base) = w.strip_suffix("'s").or_else(|| w.strip_suffix("’s")) else {
            return;
        };
        if !self.joined(i + 1)
            || self.is_word(i + 1) != Some(Case::Lower)
            || !patients_own(self.str_of(i + 1))
            || !lone_shape(base)
            || listed_not_name(base)
            || !(GIVEN_NAMES.listed(base) || SURNAME_LIST.listed(base) || unknown_capitalised(base))
        {
            return;
        }
        if i > 0
            && (place_before(self.str_of(i - 1))
                || matches!(
                    self.str_of(i - 1),
                    "Mr" | "Mrs" | "Ms" | "Miss" | "Mx" | "Master" | "Dr" | "Prof"
                ))
        {
            return;
        }
        // A first name before it makes one name (`Goran Petrović's`).
        let a = if i > 0
            && self.namey(i - 1)
            && self.joined(i)
            && self.is_word(i - 1) == Some(Case::Title)
            && (GIVEN_NAMES.contains(self.str_of(i - 1)) || unknown_capitalised(self.str_of(i - 1)))
        {
            i - 1
        } else {
            i
        };
        if self.staff_name(a, i) || self.staff_chatter(a, i) {
            return;
        }
        self.push(a, i, Kind::PersonName, Rule::NameFromLexicon);
    }

    /// `farzana chaudhry`, `olga petrenko`, `hui min cheung`: a listed
    /// given name typed in lowercase (not one that is also a word: see
    /// [`lowercase_given`]), an optional second listed given name, then a
    /// lowercase word that is a listed surname or in no vocabulary (letters
    /// only, three or more). Guards: the last word is not a stop, cue,
    /// staff or role word; not after a staff title or role; not in staff
    /// chatter.
    fn lowercase_pair(&mut self, i: usize) {
        if self.is_word(i) != Some(Case::Lower)
            || !self.free(i)
            || !self
                .tok(i)
                .is_some_and(|t| lowercase_given(self.str_of(i), t.fl))
        {
            return;
        }
        let plain = |cx: &Self, k: usize| {
            cx.is_word(k) == Some(Case::Lower)
                && cx.joined(k)
                && cx.free(k)
                && !cx.flag(
                    k,
                    NOT_NAME | STAFF_BEFORE | STAFF_AFTER | STAFF_CUE | STARTER,
                )
                && date::cue_word(cx.lower(k).as_bytes()).is_none()
        };
        let surname = |cx: &Self, k: usize| {
            let w = cx.str_of(k);
            plain(cx, k)
                && w.len() >= 3
                && w.chars().all(|c| c.is_alphabetic() || c == '-')
                && (SURNAME_LIST.listed(w) || !english_words(w))
        };
        let mut z = i + 1;
        if plain(self, z)
            && (GIVEN_NAMES.contains(self.str_of(z)) || self.str_of(z).len() <= 3)
            && surname(self, z + 1)
        {
            z += 1;
        }
        if !surname(self, z) || self.staff_name(i, z) || self.staff_chatter(i, z) {
            return;
        }
        self.push(i, z, Kind::PersonName, Rule::NameFromLexicon);
    }

    /// One or two capitalised words from token `a` (after an optional `:`
    /// or `-`), right after a bed number (`bed 12 Stanisław`, `bay 3:
    /// Nowak`), with the staff guards.
    fn name_after_bed(&mut self, mut a: usize) {
        if self.is_punct(a, b':') || self.is_punct(a, b'-') {
            a += 1;
        }
        if self.namey(a) && self.is_word(a) == Some(Case::Title) {
            let mut z = a;
            if self.namey(z + 1) && self.joined(z + 1) && self.is_word(z + 1) == Some(Case::Title) {
                z += 1;
            }
            if !self.staff_name(a, z) && !self.staff_chatter(a, z) {
                self.push(a, z, Kind::PersonName, Rule::NameFromLexicon);
            }
        }
    }

    /// A name next to a bed, bay, room or cubicle number: one or two
    /// capitalised words right before `[in|on] [the] bay 4`, `rm 14`, `(bay
    /// 3)`, or a listed given name typed in lowercase there (`morag in bed
    /// 5`); or one or two capitalised words right after `bed 12`, `bay 3:`.
    /// Guard: the words are not stop, clinical, role or place words, the
    /// name before starts the sentence or follows punctuation or a
    /// lowercase word, and the staff guards hold.
    fn name_at_bed(&mut self, n: usize) {
        // Run from the number (an anchor), not the bed word (which is not,
        // so that `every bed` in chatter costs nothing).
        let numbered = self
            .tok(n)
            .is_some_and(|t| matches!(t.t, T::Num | T::Mixed))
            && self.str_of(n).len() <= 3;
        if !numbered || n == 0 || !self.flag(n - 1, BED) {
            return;
        }
        let i = n - 1;
        // After: `bed 12 Stanisław`, `bay 3: Nowak`; not after a ward
        // (`Ward 11 Elderly`, `ward 9 - Estates`: a ward's name or a
        // department).
        let ward = self.lower(i) == "ward";
        if !ward {
            self.name_after_bed(i + 2);
        }
        // Before: `Adebayo in bay 4`, `Ethel rm 14`, `Malgorzata (bay 3)`.
        // `Treatment Room 2` is a place.
        if self.is_word(i) != Some(Case::Lower) && i >= 1 && self.is_word(i - 1).is_some() {
            return;
        }
        let mut z = i;
        if z >= 1 && self.lower(z - 1) == "the" {
            z -= 1;
        }
        if z >= 1 && (matches!(self.lower(z - 1), "in" | "on") || self.is_punct(z - 1, b'(')) {
            z -= 1;
        } else if ward {
            // `Surgical ward 7`, `Beech ward 3`: a ward's name.
            return;
        }
        let Some(z) = z.checked_sub(1) else { return };
        let lower_given = self.is_word(z) == Some(Case::Lower)
            && lowercase_given(self.str_of(z), self.tok(z).map_or(0, |t| t.fl));
        if !(lower_given || (self.namey(z) && self.is_word(z) == Some(Case::Title))) {
            return;
        }
        let mut a = z;
        if !lower_given
            && a >= 1
            && self.namey(a - 1)
            && self.joined(a)
            && self.is_word(a - 1) == Some(Case::Title)
        {
            a -= 1;
        }
        let starts = a == 0
            || matches!(
                self.tok(a - 1).map(|t| t.t),
                Some(T::Punct(_) | T::Word(Case::Lower))
            );
        // Before a ward, a single word must be on the lexicon
        // (`Outreach on ward 5` is a team).
        let listed = |w: &str| GIVEN_NAMES.contains(w) || SURNAME_LIST.contains(w);
        if ward && a == z && !lower_given && !listed(self.str_of(z)) {
            return;
        }
        if starts && !self.staff_name(a, z) && !self.staff_chatter(a, z) {
            self.push(a, z, Kind::PersonName, Rule::NameFromLexicon);
        }
    }

    /// `43F Joao Obi`, `6yo Kayden Ndlovu`: one to three capitalised words
    /// right after an age and sex; two or more of them, or one on a name
    /// list. Staff guards as for the lexicon rule.
    fn name_after_age(&mut self, i: usize) {
        if self.tok(i).map(|t| t.t) != Some(T::Mixed) {
            return;
        }
        // `28f`, `84M`, `6yo` (as in [`Ctx::identity_anchor`]).
        let w = self.str_of(i).as_bytes();
        let d = w.iter().take_while(|c| c.is_ascii_digit()).count();
        let sex = w.get(d..).unwrap_or(&[]);
        if !(1..=3).contains(&d)
            || !matches!(sex, b"f" | b"F" | b"m" | b"M" | b"yo" | b"YO" | b"y" | b"Y")
        {
            return;
        }
        let a = i + 1;
        let mut z = a;
        while z < a + 3 && self.namey(z) && self.is_word(z) == Some(Case::Title) && self.joined(z) {
            z += 1;
        }
        if z == a {
            return;
        }
        let z = z - 1;
        let listed = |w: &str| GIVEN_NAMES.contains(w) || SURNAME_LIST.contains(w);
        if z == a && !listed(self.str_of(a)) {
            return;
        }
        if !self.staff_name(a, z) {
            self.push(a, z, Kind::PersonName, Rule::NameBeforeIdentity);
        }
    }

    /// A name from the lexicon at `i`: `Firstname [I.] Surname [Surname]`,
    /// `SURNAME, Firstname`, `SURNAME Firstname`, `Surname, Firstname`.
    fn lexicon_name(&self, i: usize) -> Option<(usize, usize, Rule)> {
        if !self.namey(i) {
            return None;
        }
        // Not the second word of a colleague's name (`Dr Rhodri Pugh,
        // Meddygfa Tywi`): a name does not start inside another.
        if i >= 2
            && self.joined(i)
            && matches!(self.is_word(i - 1), Some(Case::Title | Case::Upper))
            && self.flag(i - 2, STAFF_BEFORE)
        {
            return None;
        }
        let w = self.str_of(i);
        // `Wiktoria Sadowska ERPC, Layla …`: a short word in capitals, on
        // neither name list, right after a capitalised word, is a
        // procedure, not the next patient's surname (`LAMB, Dorothy` is).
        let upper = self.is_word(i) == Some(Case::Upper);
        if upper
            && (self.abbreviation(i)
                || (w.len() <= 4
                    && i > 0
                    && self.joined(i)
                    && self.is_word(i - 1) == Some(Case::Title)
                    && !SURNAME_LIST.contains(w)
                    && !GIVEN_NAMES.contains(w)))
        {
            return None;
        }
        // Surname first.
        let mut j = i + 1;
        let comma = self.is_punct(j, b',');
        if comma {
            j += 1;
        }
        if self.namey(j)
            && self.plain_title(j)
            && GIVEN_NAMES.contains(self.str_of(j))
            && (upper || comma)
            && (!GIVEN_NAMES.contains(w) || SURNAME_LIST.contains(w) || upper)
        {
            return Some((i, j, Rule::NameSurnameFirst));
        }
        // `Quinn, Clodagh`: a listed surname, a comma, a capitalised word
        // (not a possessive: `Stevens-Johnson, Graves'`).
        if comma
            && self.is_word(i) == Some(Case::Title)
            && SURNAME_LIST.contains(w)
            && self.namey(j)
            && self.is_word(j) == Some(Case::Title)
            && !self.is_punct(j + 1, b'\'')
        {
            return Some((i, j, Rule::NameSurnameFirst));
        }
        // `JAMA, Ifrah`: a surname in capitals, a comma, a capitalised word.
        if upper
            && comma
            && self.namey(j)
            && self.plain_title(j)
            && w.chars().count() >= 3
            && w.chars().any(|c| "AEIOUY".contains(c))
        {
            return Some((i, j, Rule::NameSurnameFirst));
        }
        if upper
            && !comma
            && self.namey(j)
            && self.is_word(j) == Some(Case::Title)
            && SURNAME_LIST.contains(w)
        {
            return Some((i, j, Rule::NameSurnameFirst));
        }
        if !GIVEN_NAMES.contains(w) {
            // An unknown first word before a listed surname: `Blessing Okafor`.
            if self.is_word(i) == Some(Case::Title)
                && self.namey(i + 1)
                && self.joined(i + 1)
                && SURNAME_LIST.contains(self.str_of(i + 1))
                && !GIVEN_NAMES.contains(self.str_of(i + 1))
            {
                return Some((i, i + 1, Rule::NameFromLexicon));
            }
            // A word no vocabulary knows before a listed given name or
            // another capitalised name word: `Hina Farooq`, `Thaddeus
            // Morrow`.
            if self.is_word(i) == Some(Case::Title)
                && lone_shape(w)
                && unknown_capitalised(w)
                && self.namey(i + 1)
                && self.joined(i + 1)
                && self.is_word(i + 1) == Some(Case::Title)
                && lone_shape(self.str_of(i + 1))
                && !two_words(w)
                && !eponym_after(self.str_of(i + 1))
                && !place_after(self.lower(i + 1))
                && !listed_not_name(self.str_of(i + 1))
                && !eponym_after(self.str_of(i + 2))
                && !place_after(self.lower(i + 2))
                && !(i > 0 && place_before(self.str_of(i - 1)))
            {
                return Some((i, i + 1, Rule::NameFromLexicon));
            }
            if self.lone_unknown(i) {
                return Some((i, i, Rule::NameUnknownWord));
            }
            return None;
        }
        // `Kirsty (informal) wants to self discharge`, `Precious needs iron`:
        // a listed given name alone before what a patient does.
        if self.is_word(i) == Some(Case::Title)
            && !self.namey(i + 1)
            && !self.tok(i).is_some_and(|t| t.staff_sentence)
            && self.patient_doing_after(i)
        {
            return Some((i, i, Rule::NameFromLexicon));
        }
        // Given name first.
        let mut k = i + 1;
        if let Some(after) = self.initial(k).filter(|_| self.joined(k)) {
            k = after;
        } else if self.namey(k)
            && self.joined(k)
            && GIVEN_NAMES.contains(self.str_of(k))
            && self.namey(k + 1)
            && self.joined(k + 1)
            && !self.abbreviation(k + 1)
        {
            // A middle name: `Li Na Zhang`.
            k += 1;
        }
        if !self.namey(k) || !self.joined(k) || self.abbreviation(k) {
            return None;
        }
        let mut z = k;
        // `Obinna Nwosu EUA`, `Eoin Gallagher TKR`: a short unlisted word in
        // capitals after a surname in title case is a procedure or a test,
        // as at the start of a name above (`Amal DARWISH` is one word in
        // capitals after a given name).
        let short_caps =
            |w: &str| w.len() <= 4 && !SURNAME_LIST.contains(w) && !GIVEN_NAMES.contains(w);
        if self.namey(z + 1)
            && self.joined(z + 1)
            && !self.abbreviation(z + 1)
            && (self.is_word(z + 1) == Some(Case::Upper)
                || SURNAME_LIST.contains(self.str_of(z + 1)))
            && !(self.is_word(z + 1) == Some(Case::Upper)
                && self.is_word(z) == Some(Case::Title)
                && short_caps(self.str_of(z + 1)))
            && !self.on_staff_list(z + 1)
        {
            z += 1;
        }
        Some((i, z, Rule::NameFromLexicon))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Kind, Scanner};
    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// The bulk path for ASCII words and numbers measures and classifies
        /// every token exactly as the general path does.
        #[test]
        fn word_token_fast_path_is_only_a_shortcut(
            text in "[a-zA-Z0-9 '\\-.,éÉ’2]{1,24}",
        ) {
            for s in 0..text.len() {
                if !text.is_char_boundary(s) {
                    continue;
                }
                let c = text[s..].chars().next().unwrap();
                if !c.is_alphanumeric() {
                    continue;
                }
                proptest::prop_assert_eq!(
                    super::word_token(&text, s),
                    super::word_token_slow(&text, s),
                    "{:?} at {}", text, s
                );
            }
        }
    }

    fn spans(t: &str, kind: Kind) -> Vec<String> {
        Scanner::new()
            .scan(t)
            .iter()
            .filter(|f| f.kind() == kind)
            .map(|f| t[f.span()].to_string())
            .collect()
    }

    /// Every message of the crate's corpus and of the held-out development
    /// split, with its labels stripped, alone and joined into one text.
    fn corpus_texts() -> Vec<(Scanner, Vec<String>)> {
        let mut out = Vec::new();
        for src in [
            include_str!("../../tests/data/redact_corpus.txt"),
            include_str!("../../tests/data/redact_heldout_dev.txt"),
            include_str!("../../tests/data/redact_dev2.txt"),
        ] {
            let mut b = Scanner::builder();
            let mut msgs = Vec::new();
            for line in src.lines() {
                if let Some(p) = line.strip_prefix("#! patient: ") {
                    b = b.patient_name(p);
                } else if let Some(s) = line.strip_prefix("#! staff: ") {
                    b = b.staff_name(s);
                } else if !line.starts_with('#') {
                    let mut t = String::new();
                    let mut rest = line;
                    while let Some(i) = rest.find("{{") {
                        t.push_str(&rest[..i]);
                        let colon = rest[i..].find(':').unwrap() + i;
                        rest = &rest[colon + 1..];
                        let end = rest.find("}}").unwrap();
                        t.push_str(&rest[..end]);
                        rest = &rest[end + 2..];
                    }
                    t.push_str(rest);
                    msgs.push(t.replace("<<", "").replace(">>", ""));
                }
            }
            let all = msgs.join("\n");
            msgs.push(all);
            out.push((b.build(), msgs));
        }
        out
    }

    /// Keeping only the tokens near anchors finds exactly what keeping
    /// every token finds.
    #[test]
    fn margin_keeps_every_rule_exact() {
        for (sc, texts) in corpus_texts() {
            for text in texts {
                let mut first = Vec::new();
                super::super::first_pass(&sc, &text, &mut first);
                let mut fast = first.clone();
                super::extend_with(&sc, &text, &mut fast, false);
                let mut full = first;
                super::extend_with(&sc, &text, &mut full, true);
                assert_eq!(fast, full, "{text}");
            }
        }
    }

    proptest::proptest! {
        /// Random mixtures of the words the rules look for, filler words,
        /// numbers and punctuation: the margin never changes a finding.
        #[test]
        fn margin_is_exact_on_mixtures(words in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(super::KEYWORDS.to_vec()).prop_map(str::to_string),
                proptest::sample::select(vec![
                    "Trevor", "Tolley", "SMITH", "Okafor", "Blessing", "Quinn", "Clodagh",
                    "poppy", "whitworth", "Dr", "Mr", "Mrs", "S.", "J", "34a", "12", "7",
                    "2445032", "(", ")", ",", ".", "-", ":", "/", "3", "9", "Nov", "Tues",
                    "21st", "28f", "9AUG1983", "DOB", "chi", "140896", "6603", "Road",
                    "Care", "Home", "House", "Flat", "lives", "at", "the", "and", "was",
                    "seen", "rota", "lot", "RH2", "8XZ", "943 476 5919", "12/03/1954",
                    "[name]", "\n", "on", "review", "Ward", "team", "(ortho reg)",
                ]).prop_map(str::to_string),
                "[a-z]{1,7}",
                "[A-Z][a-z]{1,6}",
            ], 0..60),
        ) {
            let text = words.join(" ");
            let sc = Scanner::builder().staff_name("Adaeze Okafor").build();
            let mut first = Vec::new();
            super::super::first_pass(&sc, &text, &mut first);
            let mut fast = first.clone();
            super::extend_with(&sc, &text, &mut fast, false);
            let mut full = first;
            super::extend_with(&sc, &text, &mut full, true);
            proptest::prop_assert_eq!(fast, full);
        }
    }

    #[test]
    fn lexicon_names() {
        assert_eq!(
            spans("CT for Trevor Smith today", Kind::PersonName),
            ["Trevor Smith"]
        );
        assert_eq!(
            spans("Med rec for Amal DARWISH pls", Kind::PersonName),
            ["Amal DARWISH"]
        );
        assert_eq!(
            spans("ED holding Smith, Janet in bay 3", Kind::PersonName),
            ["Smith, Janet"]
        );
        assert_eq!(
            spans("OSMAN Hassan in bay 2", Kind::PersonName),
            ["OSMAN Hassan"]
        );
        assert_eq!(
            spans("label for Tracey N Pilling", Kind::PersonName),
            ["Tracey N Pilling"]
        );
        // Staff: after a title or a role, or followed by one.
        assert!(spans("by Dr Sarah Jones", Kind::PersonName).is_empty());
        assert!(spans("Coded by Paul Renwick", Kind::PersonName).is_empty());
        assert!(spans("Mairead Lynch RM", Kind::PersonName).is_empty());
        // Places named after people.
        assert!(spans("Victoria Street", Kind::PersonName).is_empty());
        // A procedure in capitals after the name is not part of it.
        assert_eq!(
            spans("list: 3. Obinna Nwosu EUA, 4. next", Kind::PersonName),
            ["Obinna Nwosu"]
        );
        assert_eq!(
            spans("CT for Trevor Smith TKR today", Kind::PersonName),
            ["Trevor Smith"]
        );
        assert_eq!(
            spans("Med rec for Amal Tariq DARWISH pls", Kind::PersonName),
            ["Amal Tariq DARWISH"]
        );
    }

    #[test]
    fn a_staff_word_later_in_the_sentence_keeps_a_date() {
        for t in [
            "anyone free Weds 3/9 for a swap?",
            "both away Sat 9 Dec, need a second on call",
            "Strike days Tues the 4th and Fri 7th",
        ] {
            assert!(spans(t, Kind::CareDate).is_empty(), "{t}");
        }
        // The search ends with the sentence.
        assert_eq!(
            spans("Pt seen Weds 3/9. Swap agreed", Kind::CareDate),
            ["Weds 3/9"]
        );
    }

    #[test]
    fn annual_leave_cover_and_starters_are_staff_words() {
        for t in [
            "Can I take Wed 13/10 as AL? Ewan has agreed",
            "on AL from 27 Sep, back Mon",
            "Thanks Hannah for covering Sunday 6 Feb, owe you one",
            "Induction for new starters Thursday 15th",
        ] {
            assert!(spans(t, Kind::CareDate).is_empty(), "{t}");
        }
        // `AL` before a capitalised word is a surname, `Al` a given name.
        assert_eq!(
            spans("AL ZUBAIDI admitted Weds 3/9", Kind::CareDate),
            ["Weds 3/9"]
        );
        assert_eq!(
            spans("Al was admitted Weds 3/9", Kind::CareDate),
            ["Weds 3/9"]
        );
        assert_eq!(
            spans("Pt AL ZUBAIDI admitted on 3/9", Kind::CareDate),
            ["3/9"]
        );
    }

    #[test]
    fn clinic_and_bracketed_care_dates_need_a_patient_in_the_sentence() {
        for (t, d) in [
            (
                "Mr Novak (M696356) for TTO, fracture clinic 20th January.",
                "20th January",
            ),
            (
                "Mrs Lomax (H No 2191857) discharged, review in clinic 16/1",
                "16/1",
            ),
            (
                "Shona Mensah RN 0841158 seen in ED 25/11, sertraline",
                "25/11",
            ),
            (
                "Ama Ogunleye DOB 31 January 1961 - not attended depot (21/9).",
                "21/9",
            ),
        ] {
            assert_eq!(spans(t, Kind::CareDate), [d], "{t}");
        }
        for t in [
            "my clinic 8/1 is cancelled",
            "fracture clinic 8/1 moved to room 3",
            "Mrs Lomax discharged. Review in clinic 16/1",
        ] {
            assert!(spans(t, Kind::CareDate).is_empty(), "{t}");
        }
    }

    #[test]
    fn names_typed_in_lowercase() {
        for (t, n) in [
            (
                "nasreen rana PV bleeding. Mob 020 7946 0275",
                "nasreen rana",
            ),
            (
                "anyone seen farzana chaudhry? now gone. H8350484",
                "farzana chaudhry",
            ),
            (
                "chase nasreen mistry's TTO, MRN 8107531",
                "nasreen mistry's",
            ),
        ] {
            assert_eq!(spans(t, Kind::PersonName), [n], "{t}");
        }
        for t in [
            "ANC 1.4 today, amber warning",
            "grace period for the audit",
            "will review later",
            "nasreen said she would call",
        ] {
            assert!(spans(t, Kind::PersonName).is_empty(), "{t}");
        }
    }

    #[test]
    fn names_in_staff_chatter_survive() {
        for t in [
            "Interview panel 5/9 for the post: Yusuf Ali and Lucy Wright",
            "Phlebotomy rota today: Helen Ashdown am, Yusuf Okeke pm.",
            "Olivia Turner presenting at grand round Sat 9th, do come",
        ] {
            assert!(spans(t, Kind::PersonName).is_empty(), "{t}");
        }
        // A patient identifier in the sentence, a board round, or `to
        // leave`, and the name is a patient's.
        for (t, n) in [
            ("Rota: Yusuf Ali NHS 943 476 5919 needs a bed", "Yusuf Ali"),
            ("Board round: Emre Celik for TTO", "Emre Celik"),
            ("Lucy Wright wants to leave", "Lucy Wright"),
        ] {
            assert_eq!(spans(t, Kind::PersonName), [n], "{t}");
        }
    }

    #[test]
    fn nursing_and_safeguarding_roles_mark_staff() {
        for t in [
            "Pt mobile 0121 496 0788. Rashid Anwar RGN",
            "Repeat FBC 8 apr. Jess Penrose DN",
            "IDVA Samira Benali coming at 11am",
            "Side room needed, IPC Tunde Bakare aware",
            "NBM 6h. Parveen Akhtar (sonographer)",
            "System says different pt. Charge Nurse Ellery",
        ] {
            assert!(spans(t, Kind::PersonName).is_empty(), "{t}");
        }
    }

    #[test]
    fn reference_numbers_of_things_are_not_identifiers() {
        for t in [
            "Vaccines fridge temp 9.2 at 07:30, Datix W271702, pharmacy advised",
            "IT ticket INC0102993 raised for the broken terminal",
            "wifi down again, raised INC0103114",
            "stock order PO 4471208 still not in",
            "PO 7721049 for PICC packs raised",
            "asset tag AT-0099213 on the new fridge",
            "resus trolley seal number RT 448213",
            "syringe driver serial SD-448120",
            "order BT44 9ZZ for cannulas received",
        ] {
            assert!(
                spans(t, Kind::HospitalNumber).is_empty() && spans(t, Kind::Postcode).is_empty(),
                "{t}"
            );
        }
        // Still identifiers: after a hospital-number cue or `ref`, with no
        // reference word, and a Portsmouth postcode.
        assert_eq!(
            spans("ref K123456 in notes", Kind::HospitalNumber),
            ["K123456"]
        );
        assert_eq!(
            spans("hosp ref K751753 seen", Kind::HospitalNumber),
            ["K751753"]
        );
        assert_eq!(spans("Pt K751753 seen", Kind::HospitalNumber), ["K751753"]);
        assert_eq!(
            spans(
                "Address: 56b Brunswick Place, Portsmouth, PO4 2ST",
                Kind::Postcode
            ),
            ["PO4 2ST"]
        );
    }

    #[test]
    fn religious_titles_scores_and_colleagues_are_not_patients() {
        let names = |t: &str| spans(t, Kind::PersonName);
        // `Father Brendan`: a priest; a relation keeps its cue.
        assert!(names("Wants the chaplain. Father Brendan on call").is_empty());
        assert_eq!(names("her father John is NOK"), ["John"]);
        assert_eq!(
            names("Datix IR-40021. Brother Sami Al-Rashid on his way"),
            ["Sami Al-Rashid"]
        );
        // A score after a name is not a surname in capitals.
        assert_eq!(
            names("Fionnuala Devlin MMSE 18/30, living alone"),
            ["Fionnuala Devlin"]
        );
        assert_eq!(
            names("Fionnuala Morgan DNA 27/11, rebook"),
            ["Fionnuala Morgan"]
        );
        assert_eq!(names("Trevor Tolley SMITH seen"), ["Trevor Tolley SMITH"]);
        // A procedure after a name does not start the next name.
        let t = "list: Wiktoria Sadowska ERPC, Layla Ahmed LLETZ";
        assert!(
            !names(t).iter().any(|n| n.starts_with("ERPC")),
            "{:?}",
            names(t)
        );
        assert_eq!(
            names("New admission: LAMB, Dorothy needs Hb"),
            ["LAMB, Dorothy"]
        );
        // A name does not start inside a colleague's name.
        assert!(names("Start edoxaban? Dr Rhodri Pugh, Meddygfa Tywi").is_empty());
        // Theatre and laboratory roles.
        assert!(names("PONV, ondansetron given. ODP Callum Rennie").is_empty());
        assert!(names("side room needed. Hao Chen BMS").is_empty());
        assert!(names("Gareth Pugh biochem: troponin 2847 phoned").is_empty());
    }

    #[test]
    fn names_at_a_bed_or_bay() {
        let names = |t: &str| spans(t, Kind::PersonName);
        assert_eq!(
            names("Adebayo in bay 4 asking for his insulin pen"),
            ["Adebayo"]
        );
        assert_eq!(names("Ethel rm 14 skin tear R forearm"), ["Ethel"]);
        assert_eq!(
            names("Malgorzata (bay 3) daughter visiting"),
            ["Malgorzata"]
        );
        assert_eq!(
            names("morag in bed 5 keeps asking for her tablets"),
            ["morag"]
        );
        assert_eq!(
            names("psych liaison pls: bed 12 Stanisław post OD"),
            ["Stanisław"]
        );
        assert_eq!(names("bay 3: Nowak, all stable"), ["Nowak"]);
        assert_eq!(names("baby Nakamura born 03:47 today"), ["Nakamura"]);
        // Places, roles and words that are not names.
        assert!(names("pls don't book Treatment Room 2 on 17th").is_empty());
        assert!(
            names("cot 2 baby Eze TTN weaning CPAP")
                .iter()
                .all(|n| !n.contains("TTN"))
        );
        assert!(names("Dr Okafor in bay 4 now").is_empty());
        assert!(names("can someone check bay 4 please").is_empty());
        assert!(names("The patient in bay 4 is delayed").is_empty());
        // A ward, before the name only: `Hamza on ward 5`, `Fraser (ward
        // 24)`; not `Ward 11 Elderly`, `ward 9 - Estates informed`.
        assert_eq!(names("Hamza on ward 5 needs Creon"), ["Hamza"]);
        assert_eq!(names("CHI query for Fraser (ward 24)"), ["Fraser"]);
        assert!(names("3 cases from Ward 11 Elderly today").is_empty());
        assert!(names("fridge alarm ward 9 - Estates informed").is_empty());
        assert!(names("Mary Seacole Ward 3 is closed").is_empty());
        assert!(names("moved to the Surgical ward 7").is_empty());
        assert!(names("Outreach on ward 5 again").is_empty());
        // Known limit: a capitalised ordinary word opening a sentence is
        // taken (`Discharge in bay 4 delayed`).
    }

    #[test]
    fn day_and_month_near_a_patient() {
        let dates = |t: &str| spans(t, Kind::CareDate);
        assert_eq!(
            dates("Depot clinic: Haris Begovic (MRN 4455667) given 12/11, due soon"),
            ["12/11"]
        );
        assert_eq!(
            dates("Mrs Kowalska had a fall, drained 28/11 by IR"),
            ["28/11"]
        );
        // No patient, a score, a duration, a gestation.
        assert!(dates("the fridge was fixed 27/11 apparently").is_empty());
        assert!(dates("Mrs Lomax is fine. Fridge fixed 27/11").is_empty());
        assert!(dates("Mrs Kowalska pain 3/10 after analgesia").is_empty());
        assert!(dates("Mrs Kowalska on abx for 5/7").is_empty());
        assert!(dates("Mrs Kowalska 10/7 baby, feeding well").is_empty());
        assert!(dates("Mrs Kowalska needs bloods 3/12").is_empty());
        assert_eq!(dates("Mrs Kowalska bloods from 3/12 fine"), ["3/12"]);
        // A day and month right after another is part of a group, whether
        // the first is still there or already masked (redacting twice
        // must equal redacting once).
        assert_eq!(dates("H Hu 7/4 7/4"), ["7/4"]);
        assert!(dates("[name] [date] 7/4").is_empty());
    }

    #[test]
    fn a_town_word_has_no_inner_capital() {
        assert_eq!(
            spans(
                "CO poisoning at 91 Mafeking Street, COHb 22%",
                Kind::Address
            ),
            ["91 Mafeking Street"]
        );
        assert_eq!(
            spans("lives 4 Mill Road, Stoke-on-Trent", Kind::Address),
            ["4 Mill Road, Stoke-on-Trent"]
        );
    }

    #[test]
    fn batch_numbers_are_not_identifiers() {
        for t in [
            "Exeter stem size 2 lot S488724, cup lot K195775.",
            "Batch recall AB31 7WQ of insulin glargine",
            "Batch recall M341232 of methotrexate",
        ] {
            assert!(Scanner::new().scan(t).is_empty(), "{t}");
        }
        assert_eq!(spans("Pt K751753 seen", Kind::HospitalNumber), ["K751753"]);
        assert_eq!(
            spans("lot 4 MRN K751753", Kind::HospitalNumber),
            ["K751753"]
        );
    }

    #[test]
    fn a_time_after_a_date_is_not_its_year() {
        for (t, d) in [
            ("died at home 18 September 07:55h, expected", "18 September"),
            ("delivered Tue 9 May 12.50am, SVD", "9 May"),
            ("MRN H8103601 Tue 20 Jan 20:40h, consent", "Tue 20 Jan"),
            ("dose given May 21st, 1500 IU", "May 21st"),
            ("DN caseload 14th May 2026: Ms Kaczmarek", "14th May 2026"),
            ("admitted 3 Mar 24, home", "3 Mar 24"),
        ] {
            let all: Vec<String> = [Kind::CareDate, Kind::DateOfBirth]
                .into_iter()
                .flat_map(|k| spans(t, k))
                .collect();
            assert_eq!(all, [d], "{t}");
        }
    }

    #[test]
    fn names_after_an_age_and_a_tight_initial() {
        assert_eq!(
            spans("pre-alert: 43F Joao Obi, NEWS 6", Kind::PersonName),
            ["Joao Obi"]
        );
        assert_eq!(
            spans("Results: K.Bramwell CXR today", Kind::PersonName),
            ["K.Bramwell"]
        );
        for t in [
            "67F PMH COPD",
            "45M Fell at home",
            "28F Primip",
            "E.coli in urine",
        ] {
            assert!(spans(t, Kind::PersonName).is_empty(), "{t}");
        }
        // A role after the name keeps it.
        assert!(spans("43F Joao Obi (med reg) aware", Kind::PersonName).is_empty());
    }

    #[test]
    fn a_role_after_a_name_marks_staff() {
        for t in [
            "Ask Kofi Boakye the reg to see her",
            "then Owain Rees on bleep 2310 to review",
            "Trevor Smith from the outreach team to visit",
            "Trevor Smith the F1 will chase it",
            "Night team: Trevor Smith (med reg), Amal Darwish (F1)",
            "New admission, Trevor Smith to clerk",
            "I'm off, Trevor Smith has my bleep",
            "Trevor Smith is on leave",
            "Trevor Smith starts with us as the new F1",
            "Happy birthday Trevor Smith!",
        ] {
            assert!(spans(t, Kind::PersonName).is_empty(), "{t}");
        }
        assert_eq!(
            spans("CT for Trevor Smith the day after", Kind::PersonName),
            ["Trevor Smith"]
        );
    }

    #[test]
    fn names_before_an_identifier_cue() {
        for (t, want) in [
            (
                "CMHT: Oksana Aziz hospital number GH103123 seen",
                "Oksana Aziz",
            ),
            ("NOWAK, Mei hospital ID 87400266: due", "NOWAK, Mei"),
            ("Rx for Lindiwe Aziz NHS#757 621 7545 today", "Lindiwe Aziz"),
            ("Tahmina Munro Unit no 953198 G2P1", "Tahmina Munro"),
            ("Kayden Ndlovu (NHS 648 556 1285)", "Kayden Ndlovu"),
        ] {
            assert_eq!(spans(t, Kind::PersonName), [want], "{t}");
        }
        // A place before the cue stays a place.
        assert!(spans("Florence Nightingale Hospital 12345678", Kind::PersonName).is_empty());
    }

    #[test]
    fn names_before_identity_details() {
        assert_eq!(
            spans("Adwoa Adjei (DOB 26/08/1964) for CT", Kind::PersonName),
            ["Adwoa Adjei"]
        );
        assert_eq!(
            spans("ENT query: Segun Okoro, 57, tinnitus", Kind::PersonName),
            ["Segun Okoro"]
        );
        assert_eq!(
            spans("Rosario Bautista (6) DKA", Kind::PersonName),
            ["Rosario Bautista"]
        );
    }

    #[test]
    fn the_other_items_of_a_list_with_a_name() {
        assert_eq!(
            spans(
                "Med review: 1. Trevor Smith 2. Harpreet Sandhu 3. Femi Okafor. Helen booking",
                Kind::PersonName
            ),
            ["Trevor Smith", "Harpreet Sandhu", "Femi Okafor"]
        );
        assert_eq!(
            spans("siblings Ondine & Trevor Smith (twins)", Kind::PersonName),
            ["Ondine", "Trevor Smith"]
        );
        // Conditions and scores after a name are not list items; nor are
        // the things after a title's name.
        for (t, want) in [
            (
                "pre-alert: 44yo Trevor Smith, Stevens-Johnson, Graves', ETA 10",
                "Trevor Smith",
            ),
            (
                "pre-alert: Trevor Smith, Wells score 5, BP 92/60",
                "Trevor Smith",
            ),
            (
                "pre-alert: Trevor Smith, Gram negative rods",
                "Trevor Smith",
            ),
            ("for ambulance, Ms Begum, Mallory-Weiss.", "Begum"),
        ] {
            assert_eq!(spans(t, Kind::PersonName), [want], "{t}");
        }
    }

    #[test]
    fn weekday_and_month_first_dates() {
        for (t, want) in [
            ("CT booked Thurs 21st am", "Thurs 21st"),
            ("visit Friday the 19th", "Friday the 19th"),
            ("home check Tues 19/8 by", "Tues 19/8"),
            ("expiring November 2nd - renew", "November 2nd"),
            ("baby born 25th Sep at home", "25th Sep"),
            ("appt 18OCT2025 pls", "18OCT2025"),
        ] {
            let f = Scanner::new().scan(t);
            assert_eq!(f.len(), 1, "{t}");
            assert_eq!(&t[f[0].span()], want, "{t}");
        }
        assert!(
            Scanner::new()
                .scan("teaching Wednesday the 21st")
                .is_empty()
        );
    }

    #[test]
    fn addresses() {
        for (t, want) in [
            (
                "visit at 190 Clarendon Road, Birmingham today",
                "190 Clarendon Road, Birmingham",
            ),
            (
                "Flat 22, 144 Victoria Street, Bolton BL3 7YQ",
                "Flat 22, 144 Victoria Street, Bolton",
            ),
            ("1) Mr X 34a Chapel Fold - dressing", "34a Chapel Fold"),
            (
                "to Meadowbank Care Home, 15 Jubilee Gardens.",
                "Meadowbank Care Home, 15 Jubilee Gardens",
            ),
            ("lives Hamilton, ML3 9LT", "Hamilton"),
            ("Morning. 167 Kingsway. Discharge", "167 Kingsway"),
        ] {
            assert!(
                spans(t, Kind::Address).contains(&want.to_string()),
                "{t}: {:?}",
                spans(t, Kind::Address)
            );
        }
        assert!(spans("bay 4 bed 2, 10 Units insulin", Kind::Address).is_empty());
    }

    #[test]
    fn chi_modulus_10_after_a_cue() {
        // 1203260009 fails modulus 11 (check 8); modulus 10 gives 9.
        let d = [1, 2, 0, 3, 2, 6, 0, 0, 0, 9];
        assert!(!crate::detect::nhs::mod11_valid(&d));
        assert!(crate::detect::nhs::chi_mod10_valid(&d));
        assert_eq!(
            spans("CHI 120326 0009 seen", Kind::ChiNumber),
            ["120326 0009"]
        );
        assert!(spans("ref 120326 0009 seen", Kind::ChiNumber).is_empty());
    }

    /// Every lowercase word literal this file compares with must be in
    /// `KEYWORDS`, or the comparison silently never matches.
    #[test]
    fn every_word_literal_is_a_keyword() {
        let src = include_str!("context.rs");
        let code = &src[..src.find("#[cfg(test)]").unwrap()];
        let start = code.find("const KEYWORDS").unwrap();
        let end = start + code[start..].find("];").unwrap();
        let rest = format!("{}{}", &code[..start], &code[end..]);
        for lit in rest.split('"').skip(1).step_by(2) {
            let word = lit.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && lit.len() <= 23
                && lit
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "'-.’".contains(c));
            if word {
                assert!(super::KEYWORDS.contains(&lit), "{lit} is not in KEYWORDS");
            }
        }
    }

    #[test]
    fn unknown_words_alone_and_in_pairs() {
        for (t, want) in [
            ("Otieno in the corridor on a trolley since 0340", "Otieno"),
            (
                "tonight's bloods: bed 9 (Karimi), phleb missed them",
                "Karimi",
            ),
            (
                "Referral for Hina Farooq: polycystic ovaries",
                "Hina Farooq",
            ),
            (
                "Please can someone visit Thaddeus Morrow re constipation",
                "Thaddeus Morrow",
            ),
            (
                "Please remind Ifeoma's mum that clinic 3 has moved",
                "Ifeoma's",
            ),
            (
                "Can the practice send Goran Petrović's summary care record?",
                "Goran Petrović's",
            ),
        ] {
            assert_eq!(spans(t, Kind::PersonName), [want], "{t}");
        }
        for t in [
            "Barthel 8/20 on discharge",               // a score
            "Evorel 50 patch changed",                 // a dose
            "Legionella antigen sent",                 // an eponym word after
            "Morriston Hospital has no beds",          // a place word after
            "dispensed at Kamsons this morning",       // a place before
            "started Jardiance last week",             // a drug after a verb
            "Surgeon: Mr Okoye",                       // the title's rule decides
            "visit booked by S. Penhaligon",           // the initial's rule decides
            "Morriston: no beds, divert to Singleton", // a heading
            "seen Tel 07700 900123 today",             // an abbreviation
            "Adm 12/03/2026 with CAP",                 // a date cue
            "seen Hosp Num 7654321 today",
            "Colles' fracture, MUA planned",  // a possessive eponym
            "the Oakhurst home rang",         // two English words
            "QTc prolonged, stop citalopram", // a capital inside
            "I'm off, Trevor Smith has my bleep", // a contraction; chatter
            "audit results are in. thanks Beth Lowther", // a sign-off, not re-read
            "Hirschsprung's case at M&M",     // not a patient's own thing
        ] {
            assert!(spans(t, Kind::PersonName).is_empty(), "{t}");
        }
        let f = Scanner::new().scan("Otieno in the corridor");
        assert_eq!(f.first().map(|f| f.rule().id()), Some("name.unknown"));
    }

    #[test]
    fn lowercase_given_name_and_surname_anywhere() {
        for (t, want) in [
            (
                "anyone seen farzana chaudhry? was in discharge lounge",
                "farzana chaudhry",
            ),
            (
                "olga petrenko rang about her levothyroxine",
                "olga petrenko",
            ),
            ("booking for hui min cheung next week", "hui min cheung"),
        ] {
            assert_eq!(spans(t, Kind::PersonName), [want], "{t}");
        }
        for t in [
            "will review tomorrow",                // a given name that is a word
            "ask amanda to cover the bay",         // a stop word after
            "rota: amanda thompson on nights sat", // staff chatter
            "spoke to olga about the rota swap",   // not a surname after
            "please ask david first",              // English after
        ] {
            assert!(spans(t, Kind::PersonName).is_empty(), "{t}");
        }
    }

    #[test]
    fn a_given_name_alone_before_what_a_patient_does() {
        assert_eq!(
            spans(
                "Kirsty (informal) wants to self discharge",
                Kind::PersonName
            ),
            ["Kirsty"]
        );
        assert_eq!(
            spans("Precious needs iron infusion today", Kind::PersonName),
            ["Precious"]
        );
        assert!(spans("Sarah (MHLT) asking for an update", Kind::PersonName).is_empty());
        assert!(spans("Kirsty to review at 5", Kind::PersonName).is_empty());
        assert!(
            spans(
                "Christmas rota: Aoife wants 4.4.26 off, Daniel wants 25/9",
                Kind::PersonName
            )
            .is_empty()
        );
    }

    #[test]
    fn streets_in_lowercase_after_a_flat_and_new_street_types() {
        for (t, want) in [
            ("mr iwu at 28 kings rd wants to cancel", "28 kings rd"),
            (
                "Lives alone Flat 11, Kestrel Court, Moss Lane",
                "Flat 11, Kestrel Court, Moss Lane",
            ),
            (
                "lives alone 73 Canal Side, Hull today",
                "73 Canal Side, Hull",
            ),
            ("Home 5 Holly Bank, Barnsley", "5 Holly Bank, Barnsley"),
        ] {
            assert_eq!(spans(t, Kind::Address), [want], "{t}");
        }
        for t in [
            "took 2 paracetamol at the road",
            "gave 2 units close to 5pm",
            "bay 4 st john",
        ] {
            assert!(spans(t, Kind::Address).is_empty(), "{t}");
        }
    }

    #[test]
    fn a_doctor_who_is_the_patient() {
        for (t, want) in [
            (
                "Dr Ravi Anand (patient, retired GP) in majors 12",
                "Ravi Anand",
            ),
            ("pt is Dr Bevan, retired GP, 95M, ?UTI", "Bevan"),
            (
                "Prof Aldous Whitcombe (pt, 12.01.1938) at home",
                "Aldous Whitcombe",
            ),
        ] {
            assert!(
                spans(t, Kind::PersonName).contains(&want.to_string()),
                "{t}"
            );
        }
        assert!(spans("Dr Ravi Anand (med reg) to review", Kind::PersonName).is_empty());
    }

    #[test]
    fn names_before_a_chi_or_hosp_cue() {
        assert_eq!(
            spans(
                "Raigmore AMU: S. Sutherland CHI 2406564398, COPD",
                Kind::PersonName
            ),
            ["S. Sutherland"]
        );
        assert_eq!(
            spans(
                "XR rejected: H Bains hosp # 0872040 - no details",
                Kind::PersonName
            ),
            ["H Bains"]
        );
    }

    #[test]
    fn a_full_stop_after_a_long_word_ends_a_sentence_not_a_title() {
        assert_eq!(
            spans(
                "Hiya, Raigmore pharmacy. Xinyi Cheung CHI 1009422863 - dose?",
                Kind::PersonName
            ),
            ["Xinyi Cheung"]
        );
        assert!(spans("Sr. Xinyi Cheung CHI 1009422863 rang", Kind::PersonName).is_empty());
    }

    #[test]
    fn ordinal_days_and_weekdays_near_a_patient() {
        let dates = |t: &str| spans(t, Kind::CareDate);
        assert_eq!(
            dates("Mrs Lomax started amlodipine on the 9th, BP better"),
            ["9th"]
        );
        assert_eq!(
            dates("Mrs Lomax had chest pain since Sunday evening"),
            ["Sunday"]
        );
        for t in [
            "Mrs Lomax 3rd attendance this month",       // a count
            "started amlodipine on the 9th",             // no patient
            "Mrs Lomax for Mr Devlin's list Tue am",     // a session
            "Mrs Lomax dialysis Mon/Wed/Fri",            // a schedule
            "Mrs Lomax is fine. Rota for Sunday is out", // another sentence
        ] {
            assert!(dates(t).is_empty(), "{t}");
        }
    }

    #[test]
    fn trust_codes_and_one_letter_hospital_numbers() {
        let hosp = |t: &str| spans(t, Kind::HospitalNumber);
        assert_eq!(
            hosp("Eszter Kovacs, RX1 0044531 - thyroid US"),
            ["RX1 0044531"]
        );
        assert_eq!(
            hosp("Ahmed, Mohammed B 449120 - PE on rivaroxaban"),
            ["B 449120"]
        );
        assert_eq!(
            hosp("Shabnam Akhtar 05/05/1993 M 2209183 G1P0"),
            ["M 2209183"]
        );
        // Not a trust code (not `R`), not after a name, a longer group.
        assert!(hosp("tray XX1 0044531 missing").is_empty());
        assert!(hosp("the ward B 449120 clamp").is_empty());
        assert!(hosp("Ahmed, Mohammed B 449120 2 copies").is_empty());
    }

    #[test]
    fn withdrawn_findings() {
        assert!(spans("Vaccines quarantined, lot RH2 8XZ", Kind::Postcode).is_empty());
        assert!(spans("Datix by sister Cairns", Kind::PersonName).is_empty());
        assert!(spans("Mr Gilchrist (ortho reg) running late", Kind::PersonName).is_empty());
        assert_eq!(
            spans("her sister Giulia Esposito", Kind::PersonName).len(),
            1
        );
    }
}
