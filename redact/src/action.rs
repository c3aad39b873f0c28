//! What to do with a finding: mask it, mask all but its last digits, or
//! replace it with a keyed pseudonym.
//!
//! # Pseudonyms
//! A pseudonym is `HMAC-SHA256(key, message)` truncated to
//! [`PSEUDONYM_HEX_LEN`] lowercase hex digits (24 bits), where `message` is
//! the ASCII label `bleep-redact-pseudonym-v1` followed by three fields, each
//! a 4-byte big-endian length then the bytes: the conversation id, the kind
//! id ([`Kind::id`]) and the normalised value. Normalisation makes the
//! different ways of writing one identifier agree:
//! * NHS, CHI and H&C numbers: the ten digits;
//! * phone numbers: the digits in national form (`+44 7700 900123` and
//!   `07700900123` agree);
//! * NI numbers, hospital numbers, postcodes: ASCII letters and digits,
//!   uppercased (`sw1a 1aa` and `SW1A1AA` agree);
//! * email addresses and dates: lowercased letters and digits;
//! * names: the app's patient-list entry when a word of it matched (so
//!   `Margaret`, `Mrs Thornton` and `margaret thornton` agree), otherwise the
//!   lowercased, single-spaced name as written.
//!
//! The same key and conversation id give the same pseudonym in every message;
//! another conversation gives unrelated pseudonyms. 24 bits keep placeholders
//! short: two different patients in one conversation share a pseudonym with
//! probability about 1 in 16.7 million.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{Finding, Kind, Scanner};

/// The placeholder label for pseudonymised names: `[patient 7f3a1c]`.
pub(crate) const PATIENT_LABEL: &str = "patient";

/// Hex digits in a pseudonym.
pub(crate) const PSEUDONYM_HEX_LEN: usize = 6;

/// The domain-separation label at the start of every pseudonym input.
const PSEUDONYM_LABEL: &[u8] = b"bleep-redact-pseudonym-v1";

/// Digits kept by [`Action::PartialMask`].
const PARTIAL_DIGITS: usize = 3;

/// The app's pseudonymisation key: 32 secret bytes, wiped on drop, never
/// printed, never cloned.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct PseudonymKey([u8; 32]);

impl PseudonymKey {
    /// Wrap 32 secret bytes (from the app's key store).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PseudonymKey(bytes)
    }

    /// A fresh random key, written in place by `fill` (for example
    /// `|k| rng.fill_bytes(k)` with a cryptographic generator), so the key
    /// is never copied out of this value.
    ///
    /// This takes a closure rather than a `rand_core` generator so that the
    /// redaction crate does not depend on a particular `rand_core` version.
    pub fn generate_with(fill: impl FnOnce(&mut [u8; 32])) -> Self {
        let mut k = PseudonymKey([0u8; 32]);
        fill(&mut k.0);
        k
    }
}

impl core::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PseudonymKey(<redacted>)")
    }
}

/// How [`Scanner::redact`] rewrites each finding.
#[non_exhaustive]
pub enum Action<'k> {
    /// Replace with a typed placeholder: `[NHS number]`, `[name]`.
    Mask,
    /// Keep the last three digits of numbers (`[NHS number ending 919]`,
    /// `[phone ending 123]`); other kinds are masked.
    PartialMask,
    /// Replace with a keyed pseudonym, stable within the conversation:
    /// `[patient 7f3a1c]`, `[NHS number 0b41d2]`.
    Pseudonymise {
        /// The app's key.
        key: &'k PseudonymKey,
        /// Identifies the conversation; pseudonyms differ between conversations.
        conversation: &'k [u8],
    },
}

impl core::fmt::Debug for Action<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Action::Mask => f.write_str("Mask"),
            Action::PartialMask => f.write_str("PartialMask"),
            Action::Pseudonymise { key, conversation } => f
                .debug_struct("Pseudonymise")
                .field("key", key)
                .field("conversation_len", &conversation.len())
                .finish(),
        }
    }
}

/// Redacted text and what was found in the original. The text zeroizes on
/// drop and `Debug` prints only its length and the findings.
pub struct Redacted {
    text: Zeroizing<String>,
    findings: Vec<Finding>,
}

impl Redacted {
    /// The redacted text.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// Every finding, with spans into the *original* text.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Rewrites what a later scan of the redacted text found, keeping the
    /// first scan's findings; the previous text is wiped on drop.
    pub(crate) fn rewrite(self, sc: &Scanner, more: Vec<Finding>, action: &Action<'_>) -> Redacted {
        let next = apply(sc, &self.text, more, action);
        Redacted {
            text: next.text,
            findings: self.findings,
        }
    }

    /// Take the text and findings apart.
    pub fn into_parts(self) -> (Zeroizing<String>, Vec<Finding>) {
        let Redacted { text, findings } = self;
        (text, findings)
    }
}

impl core::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Redacted")
            .field("len", &self.text.len())
            .field("findings", &self.findings)
            .finish()
    }
}

/// The longest placeholder: `[` + label + ` ending 123` or ` 7f3a1c` + `]`.
const MAX_PLACEHOLDER: usize = 32;

pub(crate) fn apply(
    sc: &Scanner,
    text: &str,
    findings: Vec<Finding>,
    action: &Action<'_>,
) -> Redacted {
    // Reserve the final size up front so the buffer never reallocates and
    // leaves an unzeroized copy behind.
    let mut out = Zeroizing::new(String::with_capacity(
        text.len() + MAX_PLACEHOLDER * findings.len(),
    ));
    let mut last = 0;
    for f in &findings {
        let span = f.span();
        out.push_str(text.get(last..span.start).unwrap_or(""));
        let value = text.get(span.clone()).unwrap_or("");
        out.push('[');
        match action {
            Action::Mask => out.push_str(f.kind().label()),
            Action::PartialMask => {
                out.push_str(f.kind().label());
                if partial_kind(f.kind()) {
                    let digits: Zeroizing<Vec<u8>> =
                        Zeroizing::new(value.bytes().filter(u8::is_ascii_digit).collect());
                    if digits.len() > PARTIAL_DIGITS {
                        out.push_str(" ending ");
                        for &d in digits.iter().skip(digits.len() - PARTIAL_DIGITS) {
                            out.push(char::from(d));
                        }
                    }
                }
            }
            Action::Pseudonymise { key, conversation } => {
                out.push_str(if f.kind() == Kind::PersonName {
                    PATIENT_LABEL
                } else {
                    f.kind().label()
                });
                out.push(' ');
                let norm = normalise(sc, f, value);
                let tag = pseudonym(key, conversation, f.kind(), &norm);
                out.push_str(&tag);
            }
        }
        out.push(']');
        last = span.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    Redacted {
        text: out,
        findings,
    }
}

fn partial_kind(k: Kind) -> bool {
    matches!(
        k,
        Kind::NhsNumber
            | Kind::ChiNumber
            | Kind::HealthAndCareNumber
            | Kind::Phone
            | Kind::HospitalNumber
            | Kind::NiNumber
    )
}

/// Appends `value`'s words, lowercased and single-spaced. Lowercasing can
/// lengthen text (`İ` is 2 bytes, its lowercase 3), so the exact length is
/// reserved first: `v` never grows by reallocation, which would leave an
/// unwiped copy of the identifier in freed memory.
fn push_lowercase_words(v: &mut Zeroizing<Vec<u8>>, value: &str) {
    let words = || value.split_whitespace();
    let len: usize = words()
        .map(|w| {
            w.chars()
                .flat_map(char::to_lowercase)
                .map(char::len_utf8)
                .sum::<usize>()
                + 1
        })
        .sum();
    v.reserve_exact(len);
    let mut first = true;
    for w in words() {
        if !first {
            v.push(b' ');
        }
        first = false;
        for c in w.chars().flat_map(char::to_lowercase) {
            let mut buf = [0u8; 4];
            v.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

/// The normalised value a pseudonym is computed over (see module docs).
fn normalise(sc: &Scanner, f: &Finding, value: &str) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(Vec::with_capacity(value.len() + 1));
    match f.kind() {
        Kind::Address => {
            // Lowercase, single-spaced, like a name written without a list.
            push_lowercase_words(&mut v, value);
        }
        Kind::PersonName => {
            let entry = f
                .entry()
                .or_else(|| super::detect::name::entry_of(sc, value));
            if let Some(e) = entry.and_then(|e| sc.patients().entry(e)) {
                v.extend_from_slice(e.as_bytes());
            } else {
                push_lowercase_words(&mut v, value);
            }
        }
        Kind::Phone => {
            v.extend(value.bytes().filter(u8::is_ascii_digit));
            let rest = if v.starts_with(b"0044") {
                4
            } else if value.starts_with('+') {
                2
            } else {
                0
            };
            if rest > 0 {
                v.drain(..rest);
                if v.first() != Some(&b'0') {
                    v.insert(0, b'0');
                }
            }
        }
        Kind::NhsNumber | Kind::ChiNumber | Kind::HealthAndCareNumber => {
            v.extend(value.bytes().filter(u8::is_ascii_digit));
        }
        Kind::NiNumber | Kind::HospitalNumber | Kind::Postcode => {
            v.extend(
                value
                    .bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_uppercase()),
            );
        }
        Kind::Email | Kind::DateOfBirth | Kind::CareDate => {
            v.extend(
                value
                    .bytes()
                    .filter(u8::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase()),
            );
        }
    }
    v
}

fn put_field(mac: &mut Hmac<Sha256>, field: &[u8]) {
    // Fields are bounded by the message size; saturate rather than wrap.
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    mac.update(&len.to_be_bytes());
    mac.update(field);
}

/// The pseudonym of a normalised value: 6 lowercase hex digits.
fn pseudonym(key: &PseudonymKey, conversation: &[u8], kind: Kind, value: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0) else {
        // HMAC accepts keys of any length; unreachable in practice.
        return "000000".to_string();
    };
    mac.update(PSEUDONYM_LABEL);
    put_field(&mut mac, conversation);
    put_field(&mut mac, kind.id().as_bytes());
    put_field(&mut mac, value);
    let tag = mac.finalize().into_bytes();
    let mut s = String::with_capacity(PSEUDONYM_HEX_LEN);
    for byte in tag.iter().take(PSEUDONYM_HEX_LEN / 2) {
        for nib in [byte >> 4, byte & 0xf] {
            s.push(char::from_digit(u32::from(nib), 16).unwrap_or('0'));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonym_is_pinned() {
        // Recompute the documented construction independently.
        let key = PseudonymKey::from_bytes([7u8; 32]);
        let mut msg = b"bleep-redact-pseudonym-v1".to_vec();
        for field in [&b"ward-7"[..], b"nhs", b"9434765919"] {
            msg.extend_from_slice(&u32::try_from(field.len()).unwrap().to_be_bytes());
            msg.extend_from_slice(field);
        }
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[7u8; 32]).unwrap();
        mac.update(&msg);
        let tag = mac.finalize().into_bytes();
        let want: String = tag[..3].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            pseudonym(&key, b"ward-7", Kind::NhsNumber, b"9434765919"),
            want
        );
    }

    #[test]
    fn phone_forms_normalise_together() {
        let sc = Scanner::new();
        let key = PseudonymKey::from_bytes([1u8; 32]);
        let a = Action::Pseudonymise {
            key: &key,
            conversation: b"c",
        };
        let x = sc.redact("call 07700 900123", &a);
        let y = sc.redact("call +44 7700 900123", &a);
        let z = sc.redact("call 0044 7700 900123", &a);
        assert_eq!(x.expose(), y.expose());
        assert_eq!(x.expose(), z.expose());
    }

    #[test]
    fn debug_prints_no_key_or_text() {
        let key = PseudonymKey::from_bytes([0xAB; 32]);
        assert_eq!(format!("{key:?}"), "PseudonymKey(<redacted>)");
        let a = Action::Pseudonymise {
            key: &key,
            conversation: b"conv",
        };
        assert_eq!(
            format!("{a:?}"),
            "Pseudonymise { key: PseudonymKey(<redacted>), conversation_len: 4 }"
        );
    }
}
