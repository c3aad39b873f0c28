//! The checks behind the short decoder fuzz targets, in one file shared by
//! `fuzz/fuzz_targets/<name>.rs` (driven by libFuzzer) and
//! `tests/fuzz_corpus.rs` (which replays the committed corpus under
//! `cargo test`), so both run exactly the same code. Each takes arbitrary
//! bytes and panics only when an invariant fails: decoders never panic, and
//! whatever they accept re-encodes to exactly the input.

#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use bleep::{
    Attestation, IdentityKeyPair, MessageVault, PeerId, PreKeyStore, QrPayload, RevocationList,
    Roster, SafetyNumber, Session, StorageKey,
};
use std::sync::OnceLock;

/// A decoder check.
pub(crate) type Check = fn(&[u8]);

/// Every check in this file, by its `fuzz/Cargo.toml` target name.
pub(crate) const DECODERS: &[(&str, Check)] = &[
    ("attestation", attestation),
    ("revocation", revocation),
    ("roster", roster),
    ("trust_store", trust_store),
    ("session_state", session_state),
    ("sealed_state", sealed_state),
    ("qr_payload", qr_payload),
    ("content", content),
    ("redact", redact),
];

/// Attestations: what parses re-encodes to the input (the format is canonical).
pub(crate) fn attestation(data: &[u8]) {
    if let Ok(att) = Attestation::from_bytes(data) {
        assert_eq!(att.to_bytes(), data);
    }
}

/// Revocation lists: canonical, and every listed serial is revoked.
pub(crate) fn revocation(data: &[u8]) {
    if let Ok(list) = RevocationList::from_bytes(data) {
        assert_eq!(list.to_bytes(), data);
        for s in list.serials() {
            assert!(list.is_revoked(*s));
        }
    }
}

/// Signed rosters: canonical and never empty.
pub(crate) fn roster(data: &[u8]) {
    if let Ok(roster) = Roster::from_bytes(data) {
        assert_eq!(roster.to_bytes(), data);
        assert!(!roster.is_empty());
        let _ = roster.safety_number();
    }
}

/// Trust stores: a current-version store re-encodes to the input, so a
/// restored store is the one saved.
pub(crate) fn trust_store(data: &[u8]) {
    if let Some(exact) = bleep::state::fuzz_trust_store_round_trip(data) {
        assert!(exact, "a decoded trust store re-encodes differently");
    }
}

/// Unsealed state encodings, directly (without the AEAD); the first byte
/// picks the type: identity, prekey store, session, message vault.
pub(crate) fn session_state(data: &[u8]) {
    if let Some((ty, rest)) = data.split_first() {
        let _ = bleep::fuzz_decode_state(*ty, rest);
    }
}

/// Sealed state under a fixed key: an error, never a panic.
pub(crate) fn sealed_state(data: &[u8]) {
    let key = StorageKey::from_bytes([0x42; 32]);
    let _ = key.unseal::<IdentityKeyPair>(data);
    let _ = key.unseal::<PreKeyStore>(data);
    let _ = key.unseal::<Session>(data);
    let _ = key.unseal::<MessageVault>(data);
}

fn qr_pair() -> &'static (SafetyNumber, [u8; bleep::QR_PAYLOAD_LEN]) {
    static PAIR: OnceLock<(SafetyNumber, [u8; bleep::QR_PAYLOAD_LEN])> = OnceLock::new();
    PAIR.get_or_init(|| {
        let a = IdentityKeyPair::from_seed_bytes([1; 32]);
        let b = IdentityKeyPair::from_seed_bytes([2; 32]);
        let (ai, bi) = (PeerId::new("a").unwrap(), PeerId::new("b").unwrap());
        let mine = SafetyNumber::new(&ai, a.public(), &bi, b.public());
        let theirs = SafetyNumber::new(&bi, b.public(), &ai, a.public());
        (mine, theirs.qr_payload().to_bytes())
    })
}

/// QR payloads: parsing round-trips, and no scanned payload matches a
/// fixed pair's safety number unless it is that pair's code.
pub(crate) fn qr_payload(data: &[u8]) {
    if let Ok(p) = QrPayload::from_bytes(data) {
        assert_eq!(&p.to_bytes()[..], data);
    }
    let (mine, good) = qr_pair();
    if mine.check_scanned(data).is_ok() {
        assert_eq!(data, &good[..]);
    }
}

/// Device-layer content (the framing inside every decrypted payload):
/// every known kind that parses re-encodes to the input; unknown kinds are
/// reported.
pub(crate) fn content(data: &[u8]) {
    if let Ok(content) = bleep::Content::parse(data) {
        match content {
            bleep::Content::Unknown { version, .. } => {
                assert!(version != bleep::CONTENT_VERSION || data.len() >= 2);
            }
            known => assert_eq!(known.to_bytes().unwrap().as_slice(), data),
        }
    }
}

/// The redaction scanner (`bleep-redact`, as `bleep::redact`): any UTF-8
/// input scans without panicking into sorted, disjoint, char-aligned spans,
/// redacts idempotently under every action, and a masked text has nothing
/// left to find.
pub(crate) fn redact(data: &[u8]) {
    use bleep::redact::{Action, PseudonymKey, Scanner};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scanner = Scanner::builder()
        .patient_name("Margaret Thornton")
        .patient_name("Zoë Müller")
        .staff_name("Adaeze Okafor")
        .hospital_pattern("RQ#######")
        .unwrap_or_else(|_| Scanner::builder())
        .build();
    let findings = scanner.scan(text);
    let mut last = 0;
    for f in &findings {
        let s = f.span();
        assert!(s.start >= last && s.start < s.end && s.end <= text.len());
        assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
        last = s.end;
    }
    let key = PseudonymKey::from_bytes([3; 32]);
    for action in [
        Action::Mask,
        Action::PartialMask,
        Action::Pseudonymise {
            key: &key,
            conversation: b"fuzz",
        },
    ] {
        let once = scanner.redact(text, &action);
        let twice = scanner.redact(once.expose(), &action);
        assert_eq!(once.expose(), twice.expose());
    }
    let masked = scanner.redact(text, &Action::Mask);
    assert!(scanner.scan(masked.expose()).is_empty());
}
