//! Redaction: scan a draft for patient identifiers, rewrite them, and build
//! lock-screen previews (the `bleep-redact` crate).

use std::sync::Arc;

use bleep::redact as r;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{BleepError, Result};

/// One identifier found in a text. Offsets are given in UTF-8 bytes,
/// UTF-16 code units (Kotlin, Swift `NSString`, JavaScript) and Unicode
/// scalar values (Python `str`, Swift `String.unicodeScalars`), each as a
/// half-open range. The finding does not copy the identifier.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Finding {
    /// The kind's stable id: `nhs`, `chi`, `hc`, `dob`, `date`, `postcode`,
    /// `phone`, `email`, `ni`, `hospital`, `name`, `address`.
    pub kind: String,
    /// The kind's placeholder label, e.g. `NHS number`.
    pub label: String,
    /// The rule's stable id, e.g. `nhs.mod11`.
    pub rule: String,
    /// Start, in UTF-8 bytes.
    pub start_utf8: u64,
    /// End, in UTF-8 bytes.
    pub end_utf8: u64,
    /// Start, in UTF-16 code units.
    pub start_utf16: u64,
    /// End, in UTF-16 code units.
    pub end_utf16: u64,
    /// Start, in Unicode scalar values.
    pub start_char: u64,
    /// End, in Unicode scalar values.
    pub end_char: u64,
}

/// UTF-16 and scalar offsets of UTF-8 byte offset `at` of `text`.
fn offsets(text: &str, at: usize) -> (u64, u64) {
    let head = text.get(..at).unwrap_or(text);
    (
        head.encode_utf16().count() as u64,
        head.chars().count() as u64,
    )
}

fn finding(text: &str, f: &r::Finding) -> Finding {
    let span = f.span();
    let (s16, sc) = offsets(text, span.start);
    let (e16, ec) = offsets(text, span.end);
    Finding {
        kind: f.kind().id().to_owned(),
        label: f.kind().label().to_owned(),
        rule: f.rule().id().to_owned(),
        start_utf8: span.start as u64,
        end_utf8: span.end as u64,
        start_utf16: s16,
        end_utf16: e16,
        start_char: sc,
        end_char: ec,
    }
}

fn findings(text: &str, list: &[r::Finding]) -> Vec<Finding> {
    list.iter().map(|f| finding(text, f)).collect()
}

/// How identifiers are rewritten (pseudonyms: `Scanner.pseudonymise`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RedactAction {
    /// A typed placeholder: `[NHS number]`, `[name]`.
    Mask,
    /// Keep the last three digits of numbers: `[NHS number ending 919]`.
    PartialMask,
}

/// Redacted text, safe to show or send, and what was found in the original.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RedactedText {
    /// The rewritten text.
    pub text: String,
    /// The findings, with offsets into the original text.
    pub findings: Vec<Finding>,
}

fn redacted(text: &str, out: r::Redacted) -> RedactedText {
    let (t, f) = out.into_parts();
    RedactedText {
        text: t.as_str().to_owned(),
        findings: findings(text, &f),
    }
}

/// A keyed pseudonymiser: the same identifier gets the same pseudonym
/// within a conversation. The key zeroizes when the object is dropped and
/// is never printed.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct Pseudonymiser {
    key: r::PseudonymKey,
}

impl core::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pseudonymiser(<secret>)")
    }
}

impl core::fmt::Display for Pseudonymiser {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[uniffi::export]
impl Pseudonymiser {
    /// From the app's 32-byte key (the binding wipes its copy of the bytes).
    #[uniffi::constructor]
    pub fn new(mut key: Vec<u8>) -> Result<Arc<Self>> {
        let out = <[u8; 32]>::try_from(key.as_slice())
            .map(|k| {
                Arc::new(Pseudonymiser {
                    key: r::PseudonymKey::from_bytes(k),
                })
            })
            .map_err(|_| BleepError::Decode {
                reason: "InvalidLength".into(),
            });
        key.zeroize();
        out
    }
}

/// A fresh 32-byte pseudonym key from the OS generator, for the app's key
/// store.
#[uniffi::export]
pub fn generate_pseudonym_key() -> Vec<u8> {
    let mut k = Zeroizing::new([0u8; 32]);
    rand_core::Rng::fill_bytes(&mut crate::os_rng(), k.as_mut_slice());
    k.to_vec()
}

/// A scanner with the conversation's patient and staff names and the
/// trust's hospital-number patterns. The names stay inside the object.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct Scanner {
    inner: r::Scanner,
}

impl core::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Scanner")
    }
}

impl core::fmt::Display for Scanner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[uniffi::export]
impl Scanner {
    /// A scanner that also finds these patients' names (staff names after
    /// a title are kept) and hospital numbers of these patterns (`#` a
    /// digit, `@` a letter, e.g. `RXH#######`).
    ///
    /// Errors: `Redact(...)` for a pattern that is empty, too long, not
    /// printable ASCII or has fewer than four `#`.
    #[uniffi::constructor]
    pub fn new(
        patient_names: Vec<String>,
        staff_names: Vec<String>,
        hospital_patterns: Vec<String>,
    ) -> Result<Arc<Self>> {
        let mut b = r::Scanner::builder();
        for n in &patient_names {
            b = b.patient_name(n);
        }
        for n in &staff_names {
            b = b.staff_name(n);
        }
        for p in &hospital_patterns {
            b = b.hospital_pattern(p)?;
        }
        for mut n in patient_names.into_iter().chain(staff_names) {
            n.zeroize();
        }
        Ok(Arc::new(Scanner { inner: b.build() }))
    }

    /// The identifiers in `text`.
    pub fn scan(&self, text: String) -> Vec<Finding> {
        let text = Zeroizing::new(text);
        findings(&text, &self.inner.scan(&text))
    }

    /// `text` with every identifier rewritten by `action`.
    pub fn redact(&self, text: String, action: RedactAction) -> RedactedText {
        let text = Zeroizing::new(text);
        let action = match action {
            RedactAction::Mask => r::Action::Mask,
            RedactAction::PartialMask => r::Action::PartialMask,
        };
        redacted(&text, self.inner.redact(&text, &action))
    }

    /// `text` with every identifier replaced by a keyed pseudonym, stable
    /// within `conversation`.
    pub fn pseudonymise(
        &self,
        text: String,
        key: Arc<Pseudonymiser>,
        conversation: Vec<u8>,
    ) -> RedactedText {
        let text = Zeroizing::new(text);
        let action = r::Action::Pseudonymise {
            key: &key.key,
            conversation: &conversation,
        };
        redacted(&text, self.inner.redact(&text, &action))
    }
}

/// The identifiers in `text`, with the built-in detectors.
#[uniffi::export]
pub fn scan_text(text: String) -> Vec<Finding> {
    let text = Zeroizing::new(text);
    findings(&text, &r::Scanner::new().scan(&text))
}

/// `text` with every identifier the built-in detectors find rewritten.
#[uniffi::export]
pub fn redact_text(text: String, action: RedactAction) -> RedactedText {
    let text = Zeroizing::new(text);
    let action = match action {
        RedactAction::Mask => r::Action::Mask,
        RedactAction::PartialMask => r::Action::PartialMask,
    };
    redacted(&text, r::Scanner::new().redact(&text, &action))
}

/// What a lock-screen notification may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PreviewPolicy {
    /// Only that a message arrived.
    Nothing,
    /// Who sent it.
    SenderOnly,
    /// Who sent it and in which group (identifiers in the group name masked).
    SenderAndGroup,
}

/// The text of a lock-screen notification. The body never shows content.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LockScreenPreview {
    /// The title.
    pub title: String,
    /// The body (always `New message`).
    pub body: String,
}

/// The lock-screen preview `policy` allows for a message from
/// `sender_display_name` (in `group_name`, for a group).
#[uniffi::export]
pub fn lock_screen_preview(
    policy: PreviewPolicy,
    sender_display_name: String,
    group_name: Option<String>,
) -> LockScreenPreview {
    let policy = match policy {
        PreviewPolicy::Nothing => r::PreviewPolicy::Nothing,
        PreviewPolicy::SenderOnly => r::PreviewPolicy::SenderOnly,
        PreviewPolicy::SenderAndGroup => r::PreviewPolicy::SenderAndGroup,
    };
    let p = r::LockScreenPreview::from_policy(policy, &sender_display_name, group_name.as_deref());
    LockScreenPreview {
        title: p.title().to_owned(),
        body: p.body().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_each_encoding() {
        // "é" is 2 UTF-8 bytes, 1 UTF-16 unit; "𝄞" is 4 bytes, 2 units.
        let text = "é𝄞 NHS 943 476 5919";
        let f = scan_text(text.to_owned());
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.kind, "nhs");
        assert_eq!(
            &text[f.start_utf8 as usize..f.end_utf8 as usize],
            "943 476 5919"
        );
        assert_eq!(
            (f.start_utf16, f.start_char),
            (f.start_utf8 - 3, f.start_utf8 - 4)
        );
    }
}
