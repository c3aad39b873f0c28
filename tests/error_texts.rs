//! Every error's `Display` text, pinned (STYLE.md: a test pins every error
//! text). Apps show and log these strings, so a change to one is a change
//! to the public surface. The texts are fixed: none carries a key byte,
//! plaintext or a patient identifier, and none is empty or shared by two
//! errors, so a log line names exactly one failure.
#![allow(clippy::panic)]

use std::collections::HashSet;

use bleep::{
    CryptoError, DecodeError, DeviceError, Error, FileError, GroupError, LimitError, ProtocolError,
    StateError, StoreError, TrustError,
};

/// Each category's errors and their texts, without the category prefix.
fn table() -> Vec<(Error, &'static str)> {
    use CryptoError as C;
    use DecodeError as D;
    use DeviceError as V;
    use GroupError as G;
    use LimitError as L;
    use ProtocolError as P;
    use StateError as S;
    use StoreError as O;
    use TrustError as T;
    vec![
        (D::Truncated.into(), "input is truncated"),
        (D::TrailingBytes.into(), "unexpected trailing bytes"),
        (D::UnknownVersion.into(), "unknown format version"),
        (D::UnknownKind.into(), "unknown kind"),
        (D::InvalidKey.into(), "invalid public key encoding"),
        (D::InvalidLength.into(), "length out of range"),
        (D::NonCanonical.into(), "non-canonical encoding"),
        (D::UnknownCipherSuite.into(), "unknown cipher suite"),
        (C::BadSignature.into(), "signature verification failed"),
        (C::DecryptFailed.into(), "message failed to authenticate"),
        (C::NonContributory.into(), "non-contributory key exchange"),
        (
            P::DuplicateMessage.into(),
            "message already received or its key discarded",
        ),
        (
            P::UnknownOneTimePreKey.into(),
            "one-time prekey unknown or already used",
        ),
        (P::UnknownSignedPreKey.into(), "signed prekey unknown"),
        (P::WrongSession.into(), "message belongs to another session"),
        (P::Expired.into(), "message has expired"),
        (P::NotPreKeyMessage.into(), "a prekey message was expected"),
        (
            P::UnknownKemPreKey.into(),
            "ML-KEM prekey unknown or already used",
        ),
        (
            P::PostQuantumRequired.into(),
            "classical handshake refused: post-quantum prekeys required",
        ),
        (
            P::ReplayedPreKeyMessage.into(),
            "prekey message already accepted (replay)",
        ),
        (
            P::NoCommonCipherSuite.into(),
            "the bundle offers no cipher suite allowed here",
        ),
        (
            P::UnsupportedCipherSuite.into(),
            "cipher suite not accepted here",
        ),
        (T::Unverified.into(), "identity not verified"),
        (
            T::KeyChanged.into(),
            "identity key changed since it was verified",
        ),
        (
            T::IdentityMismatch.into(),
            "identity does not match the verified identity",
        ),
        (T::AttestationExpired.into(), "attestation has expired"),
        (
            T::AttestationNotYetValid.into(),
            "attestation is not yet valid",
        ),
        (T::AttestationRevoked.into(), "attestation has been revoked"),
        (
            T::UnknownOrganisation.into(),
            "signed by an organisation that is not trusted",
        ),
        (
            T::SafetyNumberMismatch.into(),
            "safety number does not match",
        ),
        (
            T::ReverificationRequired.into(),
            "changed identity key must be verified again",
        ),
        (
            T::StaleRevocationList.into(),
            "revocation list is not newer than the one held",
        ),
        (
            T::AttestationPeerMismatch.into(),
            "attestation names another clinician",
        ),
        (
            T::AttestationRequired.into(),
            "attestation trust needs an attestation",
        ),
        (
            L::TooManySkipped.into(),
            "too many skipped messages in one chain",
        ),
        (L::MessageTooLarge.into(), "message too large"),
        (L::TooManyEntries.into(), "too many entries"),
        (L::CounterExhausted.into(), "message counter exhausted"),
        (L::IdTooLong.into(), "identifier too long"),
        (S::Unseal.into(), "sealed state failed to open"),
        (S::WrongType.into(), "sealed state is of another type"),
        (S::WrongSlot.into(), "sealed state belongs to another slot"),
        (G::WrongGroup.into(), "message belongs to another group"),
        (G::StaleRoster.into(), "message is bound to an older roster"),
        (
            G::FutureRoster.into(),
            "message is bound to a roster not yet applied",
        ),
        (G::UnknownMember.into(), "not a member of the group"),
        (G::MissingSenderKey.into(), "no sender key for this sender"),
        (G::GroupFull.into(), "group is full"),
        (G::DuplicateMember.into(), "already a member of the group"),
        (
            G::RosterNotNewer.into(),
            "roster is not newer than the current one",
        ),
        (
            G::NotCoordinator.into(),
            "roster not signed by the group's coordinator",
        ),
        (G::NotAMember.into(), "this member is not in the roster"),
        (G::OwnMessage.into(), "message was sent by this member"),
        (
            G::StaleDistribution.into(),
            "sender key distribution is not newer than the one held",
        ),
        (O::Backend.into(), "the store failed; nothing was written"),
        (
            O::UnknownSchema.into(),
            "the store was written by a newer version",
        ),
        (O::NoDevice.into(), "the store holds no device"),
        (
            O::Corrupt.into(),
            "a stored record is missing or of the wrong kind",
        ),
        (
            O::OldLayout.into(),
            "the store was written by an earlier, unreleased device layout",
        ),
        (
            V::UnknownRecipient.into(),
            "no device of this clinician is known",
        ),
        (
            V::NoVerifiedDevice.into(),
            "no device of this clinician is verified",
        ),
        (V::NoSession.into(), "no session or bundle for this address"),
        (V::OwnAddress.into(), "the address is this device's own"),
        (V::TooManyPeers.into(), "too many peer devices"),
        (V::AlreadyCreated.into(), "the store already holds a device"),
    ]
}

/// The category prefix `Error`'s `Display` puts before the inner text, and
/// the inner error's own `Display`.
fn split(e: &Error) -> (&'static str, String) {
    match e {
        Error::Decode(i) => ("decode error: ", i.to_string()),
        Error::Crypto(i) => ("crypto error: ", i.to_string()),
        Error::Protocol(i) => ("protocol error: ", i.to_string()),
        Error::Trust(i) => ("trust error: ", i.to_string()),
        Error::Limit(i) => ("limit reached: ", i.to_string()),
        Error::State(i) => ("state error: ", i.to_string()),
        Error::Group(i) => ("group error: ", i.to_string()),
        Error::Store(i) => ("store error: ", i.to_string()),
        Error::Device(i) => ("device error: ", i.to_string()),
        other => panic!("a category this test does not know: {other:?}"),
    }
}

#[test]
fn every_error_text_is_pinned() {
    for (e, text) in table() {
        let (prefix, inner) = split(&e);
        assert_eq!(inner, text, "{e:?}");
        assert_eq!(e.to_string(), format!("{prefix}{text}"), "{e:?}");
    }
}

#[test]
fn error_texts_are_distinct_and_plain() {
    let t = table();
    let texts: HashSet<String> = t.iter().map(|(e, _)| e.to_string()).collect();
    assert_eq!(texts.len(), t.len(), "two errors share a text");
    for (i, (a, _)) in t.iter().enumerate() {
        assert!(
            t.iter().skip(i + 1).all(|(b, _)| a != b),
            "{a:?} is listed twice"
        );
    }
    for text in &texts {
        // Fixed prose: no digits (a counter, a length, a key byte) and
        // nothing that looks like hex or a number from the input.
        assert!(
            !text.chars().any(|c| c.is_ascii_digit()) || text.contains("ML-KEM"),
            "{text}"
        );
        assert!(!text.ends_with('.'), "{text}");
        assert!(text.is_ascii(), "{text}");
    }
}

#[test]
fn every_error_is_a_std_error() {
    fn source_free(e: &dyn std::error::Error) -> bool {
        e.source().is_none()
    }
    for (e, _) in table() {
        assert!(source_free(&e), "{e:?}");
    }
}

#[test]
fn file_error_texts_are_pinned() {
    let not_found: FileError<Error> = FileError::NotFound;
    assert_eq!(not_found.to_string(), "message not in the vault");
    let refused: FileError<Error> = FileError::Record(StoreError::Backend.into());
    assert_eq!(
        refused.to_string(),
        "record system refused the message: store error: the store failed; nothing was written"
    );
}
