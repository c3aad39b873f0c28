#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::cast_possible_truncation
    )
)]

mod action;
pub mod detect;
mod error;
mod preview;

pub use action::{Action, PseudonymKey, Redacted};
pub use error::RedactError;
pub use preview::{LockScreenPreview, PreviewPolicy};

use detect::hospital::HospitalPattern;
use detect::name::NameList;

/// The kind of identifier a [`Finding`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// An NHS number (England, Wales, Isle of Man): ten digits, modulus 11.
    NhsNumber,
    /// A CHI number (Scotland): ten digits starting with the date of birth
    /// `DDMMYY`, modulus 11.
    ChiNumber,
    /// A Health and Care number (Northern Ireland): ten digits in the range
    /// 320 000 0000 to 399 999 9999, modulus 11.
    HealthAndCareNumber,
    /// A date of birth.
    DateOfBirth,
    /// The date of an event in a patient's care (admission, surgery, death,
    /// discharge).
    CareDate,
    /// A UK postcode.
    Postcode,
    /// A UK phone number (mobile or landline).
    Phone,
    /// An email address.
    Email,
    /// A National Insurance number.
    NiNumber,
    /// A hospital (medical record) number.
    HospitalNumber,
    /// The name of a patient or of someone tied to a patient (next of kin,
    /// relative, carer).
    PersonName,
    /// A postal address (house number and street, flat, care home, a town
    /// next to a postcode) other than the postcode itself.
    Address,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 12] = [
        Kind::NhsNumber,
        Kind::ChiNumber,
        Kind::HealthAndCareNumber,
        Kind::DateOfBirth,
        Kind::CareDate,
        Kind::Postcode,
        Kind::Phone,
        Kind::Email,
        Kind::NiNumber,
        Kind::HospitalNumber,
        Kind::PersonName,
        Kind::Address,
    ];

    /// The label used in placeholders, e.g. `NHS number` in `[NHS number]`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::NhsNumber => "NHS number",
            Kind::ChiNumber => "CHI number",
            Kind::HealthAndCareNumber => "H&C number",
            Kind::DateOfBirth => "date of birth",
            Kind::CareDate => "date",
            Kind::Postcode => "postcode",
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::NiNumber => "NI number",
            Kind::HospitalNumber => "hospital number",
            Kind::PersonName => "name",
            Kind::Address => "address",
        }
    }

    /// A short stable identifier, e.g. `nhs`, used in reports and in the
    /// pseudonym input.
    pub fn id(self) -> &'static str {
        match self {
            Kind::NhsNumber => "nhs",
            Kind::ChiNumber => "chi",
            Kind::HealthAndCareNumber => "hc",
            Kind::DateOfBirth => "dob",
            Kind::CareDate => "date",
            Kind::Postcode => "postcode",
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::NiNumber => "ni",
            Kind::HospitalNumber => "hospital",
            Kind::PersonName => "name",
            Kind::Address => "address",
        }
    }
}

/// The rule that produced a [`Finding`]; each is documented in its detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Ten digits (plain or 3-3-4) with a valid modulus 11 check digit.
    NhsModulus11,
    /// Ten digits, `DDMMYY` prefix, valid modulus 11 check digit.
    ChiModulus11,
    /// After a `CHI` cue: ten digits, `DDMMYY` prefix, failing modulus 11
    /// but passing the modulus 10 rule of some numbers issued from 2026.
    ChiModulus10,
    /// Ten digits in 320–399 with a valid modulus 11 check digit.
    HealthAndCareModulus11,
    /// A date after a birth cue ("DOB", "D.O.B", "born", "birth").
    DateAfterBirthCue,
    /// A date after a care-event cue ("admitted", "surgery", "died", …).
    DateAfterEventCue,
    /// A full date whose year is before 2000, with no other cue.
    DateHistoricYear,
    /// A full date from 2000 on with no cue, outside rota, teaching and
    /// meeting sentences: the date of a care event.
    DateFullNoCue,
    /// A postcode in one of the six outward shapes with a known area.
    PostcodeShape,
    /// A UK phone number in national (`0…`) form.
    PhoneNational,
    /// A UK phone number in international (`+44…`, `0044…`) form.
    PhoneInternational,
    /// `local@domain.tld`.
    EmailShape,
    /// Two prefix letters, six digits, a suffix A–D.
    NiShape,
    /// An identifier after a hospital-number cue ("MRN", "hosp no").
    HospitalAfterCue,
    /// One to three capitals followed by six to ten digits.
    HospitalPrefixDigits,
    /// A pattern supplied by the app.
    HospitalAppPattern,
    /// Seven or eight digits in brackets after a word, or right after a
    /// name.
    HospitalAfterName,
    /// A name (or part of one) from the app's patient list.
    NamePatientList,
    /// A name after a title (Mr, Mrs, Ms, Miss, Mx, Master) with no staff context.
    NameAfterTitle,
    /// A name after a clinical cue ("pt", "patient", "name:").
    NameAfterPatientCue,
    /// A name after a relation cue ("NOK", "wife", "son", "carer", …).
    NameAfterRelationCue,
    /// A given name from the built-in lexicon followed by a surname.
    NameFromLexicon,
    /// A capitalised word that no vocabulary knows, standing alone
    /// (`Otieno in the corridor`).
    NameUnknownWord,
    /// `SURNAME, Firstname`, `SURNAME Firstname`, `Surname, Firstname`.
    NameSurnameFirst,
    /// Capitalised words right before a date of birth, health or hospital
    /// number, or an age.
    NameBeforeIdentity,
    /// A weekday or month-first date, a day and month name without a year,
    /// or a compact date (`9AUG1983`), outside rota and teaching sentences.
    DateWeekday,
    /// A house number and street (with flat, building and town), a named
    /// care home, or a town before a postcode.
    AddressStreet,
    /// Capitalised words after `lives`, `lives at`, `address`.
    AddressCue,
}

impl Rule {
    /// A short stable identifier for the rule, e.g. `nhs.mod11`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::NhsModulus11 => "nhs.mod11",
            Rule::ChiModulus11 => "chi.mod11",
            Rule::ChiModulus10 => "chi.mod10",
            Rule::HealthAndCareModulus11 => "hc.mod11",
            Rule::DateAfterBirthCue => "date.birth-cue",
            Rule::DateAfterEventCue => "date.event-cue",
            Rule::DateHistoricYear => "date.historic-year",
            Rule::DateFullNoCue => "date.full",
            Rule::PostcodeShape => "postcode.shape",
            Rule::PhoneNational => "phone.national",
            Rule::PhoneInternational => "phone.international",
            Rule::EmailShape => "email.shape",
            Rule::NiShape => "ni.shape",
            Rule::HospitalAfterCue => "hospital.cue",
            Rule::HospitalPrefixDigits => "hospital.prefix-digits",
            Rule::HospitalAppPattern => "hospital.app-pattern",
            Rule::HospitalAfterName => "hospital.after-name",
            Rule::NamePatientList => "name.patient-list",
            Rule::NameAfterTitle => "name.title",
            Rule::NameAfterPatientCue => "name.patient-cue",
            Rule::NameAfterRelationCue => "name.relation-cue",
            Rule::NameFromLexicon => "name.lexicon",
            Rule::NameUnknownWord => "name.unknown",
            Rule::NameSurnameFirst => "name.surname-first",
            Rule::NameBeforeIdentity => "name.before-identity",
            Rule::DateWeekday => "date.weekday",
            Rule::AddressStreet => "address.street",
            Rule::AddressCue => "address.cue",
        }
    }
}

/// One identifier found in a text: what it is, where it is, and why.
///
/// A finding holds a byte span into the scanned text, not the text itself,
/// so it carries no patient data and can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Finding {
    kind: Kind,
    start: usize,
    end: usize,
    rule: Rule,
    /// Index into the app's patient list when the name came from it, so every
    /// part of one listed name pseudonymises the same way.
    entry: Option<u32>,
}

impl core::fmt::Debug for Finding {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Finding")
            .field("kind", &self.kind)
            .field("span", &(self.start..self.end))
            .field("rule", &self.rule)
            .finish()
    }
}

impl Finding {
    pub(crate) fn new(kind: Kind, start: usize, end: usize, rule: Rule) -> Self {
        Finding {
            kind,
            start,
            end,
            rule,
            entry: None,
        }
    }

    pub(crate) fn with_entry(mut self, entry: Option<u32>) -> Self {
        self.entry = entry;
        self
    }

    /// What kind of identifier this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The byte range in the scanned text; always on `char` boundaries.
    pub fn span(&self) -> core::ops::Range<usize> {
        self.start..self.end
    }

    /// The rule that fired.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    pub(crate) fn span_start(&self) -> usize {
        self.start
    }

    pub(crate) fn entry(&self) -> Option<u32> {
        self.entry
    }

    pub(crate) fn set_entry(&mut self, entry: Option<u32>) {
        self.entry = entry;
    }

    pub(crate) fn set_end(&mut self, end: usize) {
        self.end = end;
    }
}

/// A configured detector set: build once per conversation (or per app), scan
/// many messages.
///
/// [`Scanner::new`] uses only the built-in rules; [`Scanner::builder`] adds
/// the app's patient list, staff list and hospital-number patterns.
pub struct Scanner {
    filter: detect::WordFilter,
    patients: NameList,
    staff: NameList,
    patterns: Vec<HospitalPattern>,
}

impl core::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The patient list is patient data: print only its size.
        f.debug_struct("Scanner")
            .field("patient_names", &self.patients.len())
            .field("staff_names", &self.staff.len())
            .field("hospital_patterns", &self.patterns.len())
            .finish()
    }
}

impl Scanner {
    /// A scanner with the built-in rules only.
    pub fn new() -> Self {
        Scanner::default()
    }

    pub(crate) fn filter(&self) -> &detect::WordFilter {
        &self.filter
    }

    #[cfg(test)]
    pub(crate) fn set_filter(&mut self, f: detect::WordFilter) {
        self.filter = f;
    }

    /// Start configuring a scanner.
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// The pre-send check: every finding in `text`, sorted by position and
    /// non-overlapping, without rewriting anything.
    ///
    /// ```
    /// use bleep_redact::{Kind, Scanner};
    /// let findings = Scanner::new().scan("call 07700 900123 re bed 4");
    /// assert_eq!(findings.len(), 1);
    /// assert_eq!(findings[0].kind(), Kind::Phone);
    /// assert_eq!(findings[0].span(), 5..17);
    /// ```
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        detect::scan(self, text, &mut out);
        out
    }

    /// Scan `text` and rewrite every finding with `action`.
    ///
    /// ```
    /// use bleep_redact::{Action, Scanner};
    /// let r = Scanner::new().redact("NOK: jane doe 07700 900123", &Action::PartialMask);
    /// assert_eq!(r.expose(), "NOK: [name] [phone ending 123]");
    /// assert_eq!(r.findings().len(), 2);
    /// ```
    ///
    /// Redacting twice equals redacting once, and nothing the scanner
    /// finds survives: a few rules read their neighbours, and a
    /// placeholder is a different neighbour from the text it replaced, so
    /// the result is scanned again and what masking revealed is rewritten
    /// too, until a scan finds nothing (at most [`MAX_REDACT_ROUNDS`]
    /// scans in all; a text with no finding is scanned once, one with
    /// findings whose masking reveals nothing twice).
    /// [`Redacted::findings`] are the first scan's, in the original text.
    pub fn redact(&self, text: &str, action: &Action<'_>) -> Redacted {
        let mut out = action::apply(self, text, self.scan(text), action);
        // Nothing found, nothing rewritten: a second scan would read the
        // same text again.
        if out.findings().is_empty() {
            return out;
        }
        for _ in 1..MAX_REDACT_ROUNDS {
            let more = self.scan(out.expose());
            if more.is_empty() {
                break;
            }
            out = out.rewrite(self, more, action);
        }
        out
    }

    pub(crate) fn patients(&self) -> &NameList {
        &self.patients
    }

    pub(crate) fn staff(&self) -> &NameList {
        &self.staff
    }

    pub(crate) fn patterns(&self) -> &[HospitalPattern] {
        &self.patterns
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            filter: detect::WordFilter::builtin(),
            patients: NameList::default(),
            staff: NameList::default(),
            patterns: Vec::new(),
        }
    }
}

/// The most scans [`Scanner::redact`] makes of one text: the first, and
/// then one after each rewrite that found something masking revealed.
pub const MAX_REDACT_ROUNDS: usize = 8;

/// Configures a [`Scanner`].
#[derive(Default)]
pub struct ScannerBuilder {
    inner: Scanner,
}

impl core::fmt::Debug for ScannerBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("ScannerBuilder").field(&self.inner).finish()
    }
}

impl ScannerBuilder {
    /// Add a patient's name, or the name of someone tied to a patient (next of
    /// kin, relative, carer). Every word of two or more letters in it is then
    /// found anywhere in a message, in any case, unless it follows a staff
    /// title, is a staff name, or names a ward ("Thornton Ward").
    pub fn patient_name(mut self, name: &str) -> Self {
        self.inner.patients.add(name, &mut self.inner.filter);
        self
    }

    /// Add a staff member's name (the clinicians in the conversation). A name
    /// after a title ("Mr", "Ms", "Miss") with a word on this list is staff
    /// and survives, unless that word is also on the patient list; staff
    /// words are never reported on their own.
    pub fn staff_name(mut self, name: &str) -> Self {
        self.inner
            .staff
            .add(name, &mut detect::WordFilter::builtin());
        self
    }

    /// Add a hospital-number pattern: `#` is an ASCII digit, `@` an ASCII
    /// letter (any case), and any other ASCII character matches itself
    /// (letters case-insensitively). For example `RXH#######`.
    ///
    /// # Errors
    /// [`RedactError`] if the pattern is empty, longer than
    /// [`detect::hospital::MAX_PATTERN_LEN`], not ASCII, contains whitespace,
    /// or has fewer than four `#`.
    pub fn hospital_pattern(mut self, pattern: &str) -> Result<Self, RedactError> {
        self.inner.patterns.push(HospitalPattern::new(pattern)?);
        Ok(self)
    }

    /// Finish.
    pub fn build(self) -> Scanner {
        self.inner
    }
}
