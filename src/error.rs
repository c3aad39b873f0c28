//! One error type for the whole crate, grouped by category.
//!
//! Messages are fixed strings: no error ever carries key material, plaintext
//! or a patient identifier. Decryption failures are deliberately coarse
//! ([`CryptoError::DecryptFailed`] does not say whether the key, the tag or
//! the associated data was wrong).

use core::fmt;

/// Every failure `bleep` reports.
///
/// Match on the category first; each category is `#[non_exhaustive]` so new
/// detail can be added without breaking callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that do not parse: truncated, trailing data, unknown version.
    Decode(DecodeError),
    /// A signature, AEAD tag or Diffie-Hellman result was rejected.
    Crypto(CryptoError),
    /// Well-formed input that the protocol state does not allow.
    Protocol(ProtocolError),
    /// The trust policy has not accepted this identity.
    Trust(TrustError),
    /// A documented bound (see [`crate::limits`]) would be exceeded.
    Limit(LimitError),
    /// Sealed state at rest could not be opened.
    State(StateError),
    /// A group message, distribution message or roster was refused.
    Group(GroupError),
    /// The device's store failed; nothing was written (see [`crate::store`]).
    Store(StoreError),
    /// A device-level request the device cannot serve.
    Device(DeviceError),
}

/// Malformed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the structure did.
    Truncated,
    /// Bytes were left over after the structure ended.
    TrailingBytes,
    /// The version byte names a format this build does not know.
    UnknownVersion,
    /// A kind or tag byte is not one the format defines.
    UnknownKind,
    /// A public key is not a valid encoding.
    InvalidKey,
    /// A length field is out of range for this format.
    InvalidLength,
    /// Reserved bits or padding bytes were not zero.
    NonCanonical,
    /// An envelope names a cipher suite this build does not implement.
    UnknownCipherSuite,
}

/// Rejected cryptography.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// An Ed25519 signature did not verify (strict verification).
    BadSignature,
    /// The message did not authenticate under any key this session holds.
    DecryptFailed,
    /// An X25519 exchange produced a non-contributory (low-order) result.
    NonContributory,
}

/// Input the protocol state does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// This message was already decrypted, or its key has been discarded.
    DuplicateMessage,
    /// The one-time prekey named by the message is unknown or already used.
    UnknownOneTimePreKey,
    /// The signed prekey named by the message is unknown (rotated out).
    UnknownSignedPreKey,
    /// A prekey message that does not belong to this session.
    WrongSession,
    /// The message's expiry time has passed.
    Expired,
    /// A normal message arrived where a prekey message was required.
    NotPreKeyMessage,
    /// The ML-KEM prekey named by the message is unknown or already used.
    UnknownKemPreKey,
    /// The bundle or prekey message offers only a classical (X3DH)
    /// handshake and the app has not allowed classical sessions: the
    /// post-quantum part is missing or was stripped.
    PostQuantumRequired,
    /// A prekey message whose base key this prekey store already accepted
    /// (a replayed first message).
    ReplayedPreKeyMessage,
    /// The bundle lists none of the cipher suites the initiator allows.
    NoCommonCipherSuite,
    /// A prekey message names a cipher suite the responder's prekey store
    /// does not accept, or a message names another suite than its
    /// session's.
    UnsupportedCipherSuite,
}

/// The trust policy said no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    /// The identity has not been verified and the policy requires it.
    Unverified,
    /// The peer's identity key differs from the one on record.
    KeyChanged,
    /// The identity presented does not match the verified identity given.
    IdentityMismatch,
    /// The attestation's validity period has ended.
    AttestationExpired,
    /// The attestation's validity period has not begun.
    AttestationNotYetValid,
    /// The issuing organisation has revoked the attestation.
    AttestationRevoked,
    /// The attestation or revocation list was signed by an organisation key
    /// the app has not configured as trusted.
    UnknownOrganisation,
    /// The scanned QR code is for a different pair of identities.
    SafetyNumberMismatch,
    /// Strict policy: a changed key must be verified again, not acknowledged.
    ReverificationRequired,
    /// A revocation list older than (or as old as) the one already held.
    StaleRevocationList,
    /// The attestation names another clinician's directory id than the
    /// peer it was offered for.
    AttestationPeerMismatch,
    /// Attestation trust can only be recorded from an attestation
    /// ([`crate::TrustStore::verify_by_attestation`]).
    AttestationRequired,
}

/// A documented limit was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitError {
    /// The message skips more keys in one chain than [`crate::limits::MAX_SKIP_PER_CHAIN`].
    TooManySkipped,
    /// The plaintext is longer than [`crate::limits::MAX_BODY_LEN`].
    MessageTooLarge,
    /// A list holds more entries than its format allows.
    TooManyEntries,
    /// A chain counter would overflow.
    CounterExhausted,
    /// An identifier is longer than its format allows.
    IdTooLong,
}

/// Sealed state could not be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The storage key is wrong or the sealed bytes were altered.
    Unseal,
    /// The sealed bytes hold a different type of state.
    WrongType,
    /// Bytes sealed for a slot were opened without one, or bytes sealed
    /// without a slot were opened for one.
    WrongSlot,
}

/// A group message, distribution message or roster the group session
/// refuses (see `docs/PROTOCOL.md` §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupError {
    /// The message or roster names another group.
    WrongGroup,
    /// The message was bound to a roster version older than the current one.
    StaleRoster,
    /// The message was bound to a roster version this member has not
    /// applied yet (apply the new roster first, then retry).
    FutureRoster,
    /// The identity is not a member of the group's roster.
    UnknownMember,
    /// No sender key is held for this sender's chain (its distribution
    /// message has not arrived, or the chain was retired by a rotation).
    MissingSenderKey,
    /// The group would exceed [`crate::limits::MAX_GROUP_MEMBERS`].
    GroupFull,
    /// The identity is already a member of the roster.
    DuplicateMember,
    /// The roster is not newer than the one held.
    RosterNotNewer,
    /// The roster is signed by a coordinator other than the group's, or the
    /// operation needs the coordinator's key.
    NotCoordinator,
    /// This member is not in the roster (it was removed).
    NotAMember,
    /// A member's own message was given to its own group session.
    OwnMessage,
    /// A sender-key distribution that is not newer (by roster version,
    /// then generation) than the chain already held for that sender: a
    /// delayed copy of a key the sender has since rotated away from.
    StaleDistribution,
}

/// The app's store failed. Under the [`crate::store::Store`] contract
/// nothing was written, and the device has reloaded its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend refused or failed the operation (disk full, I/O error,
    /// database locked, or the app's own store reported an error).
    Backend,
    /// The database was written by a newer schema than this build knows.
    UnknownSchema,
    /// The store holds no device (open it with `Device::create` first).
    NoDevice,
    /// A row is missing or holds a record of the wrong kind.
    Corrupt,
    /// The store was written by the first, unreleased device layout (the
    /// whole vault in one row, archived sessions inside the peer record).
    /// It is not migrated: create the device again in a new store.
    OldLayout,
}

/// A device-level request that cannot be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceError {
    /// No device of this clinician is known (add a bundle first).
    UnknownRecipient,
    /// Devices of the clinician are known, but none is accepted by the
    /// trust policy now; nothing was sent.
    NoVerifiedDevice,
    /// No session and no bundle are held for this address.
    NoSession,
    /// A message to or from the device's own address.
    OwnAddress,
    /// Too many peer devices are known ([`crate::limits::MAX_DEVICE_PEERS`]).
    TooManyPeers,
    /// The store already holds a device (open it instead).
    AlreadyCreated,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "decode error: {e}"),
            Error::Crypto(e) => write!(f, "crypto error: {e}"),
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Trust(e) => write!(f, "trust error: {e}"),
            Error::Limit(e) => write!(f, "limit reached: {e}"),
            Error::State(e) => write!(f, "state error: {e}"),
            Error::Group(e) => write!(f, "group error: {e}"),
            Error::Store(e) => write!(f, "store error: {e}"),
            Error::Device(e) => write!(f, "device error: {e}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeError::Truncated => "input is truncated",
            DecodeError::TrailingBytes => "unexpected trailing bytes",
            DecodeError::UnknownVersion => "unknown format version",
            DecodeError::UnknownKind => "unknown kind",
            DecodeError::InvalidKey => "invalid public key encoding",
            DecodeError::InvalidLength => "length out of range",
            DecodeError::NonCanonical => "non-canonical encoding",
            DecodeError::UnknownCipherSuite => "unknown cipher suite",
        })
    }
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CryptoError::BadSignature => "signature verification failed",
            CryptoError::DecryptFailed => "message failed to authenticate",
            CryptoError::NonContributory => "non-contributory key exchange",
        })
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtocolError::DuplicateMessage => "message already received or its key discarded",
            ProtocolError::UnknownOneTimePreKey => "one-time prekey unknown or already used",
            ProtocolError::UnknownSignedPreKey => "signed prekey unknown",
            ProtocolError::WrongSession => "message belongs to another session",
            ProtocolError::Expired => "message has expired",
            ProtocolError::NotPreKeyMessage => "a prekey message was expected",
            ProtocolError::UnknownKemPreKey => "ML-KEM prekey unknown or already used",
            ProtocolError::PostQuantumRequired => {
                "classical handshake refused: post-quantum prekeys required"
            }
            ProtocolError::ReplayedPreKeyMessage => "prekey message already accepted (replay)",
            ProtocolError::NoCommonCipherSuite => "the bundle offers no cipher suite allowed here",
            ProtocolError::UnsupportedCipherSuite => "cipher suite not accepted here",
        })
    }
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrustError::Unverified => "identity not verified",
            TrustError::KeyChanged => "identity key changed since it was verified",
            TrustError::IdentityMismatch => "identity does not match the verified identity",
            TrustError::AttestationExpired => "attestation has expired",
            TrustError::AttestationNotYetValid => "attestation is not yet valid",
            TrustError::AttestationRevoked => "attestation has been revoked",
            TrustError::UnknownOrganisation => "signed by an organisation that is not trusted",
            TrustError::SafetyNumberMismatch => "safety number does not match",
            TrustError::ReverificationRequired => "changed identity key must be verified again",
            TrustError::StaleRevocationList => "revocation list is not newer than the one held",
            TrustError::AttestationPeerMismatch => "attestation names another clinician",
            TrustError::AttestationRequired => "attestation trust needs an attestation",
        })
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitError::TooManySkipped => "too many skipped messages in one chain",
            LimitError::MessageTooLarge => "message too large",
            LimitError::TooManyEntries => "too many entries",
            LimitError::CounterExhausted => "message counter exhausted",
            LimitError::IdTooLong => "identifier too long",
        })
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateError::Unseal => "sealed state failed to open",
            StateError::WrongType => "sealed state is of another type",
            StateError::WrongSlot => "sealed state belongs to another slot",
        })
    }
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupError::WrongGroup => "message belongs to another group",
            GroupError::StaleRoster => "message is bound to an older roster",
            GroupError::FutureRoster => "message is bound to a roster not yet applied",
            GroupError::UnknownMember => "not a member of the group",
            GroupError::MissingSenderKey => "no sender key for this sender",
            GroupError::GroupFull => "group is full",
            GroupError::DuplicateMember => "already a member of the group",
            GroupError::RosterNotNewer => "roster is not newer than the current one",
            GroupError::NotCoordinator => "roster not signed by the group's coordinator",
            GroupError::NotAMember => "this member is not in the roster",
            GroupError::OwnMessage => "message was sent by this member",
            GroupError::StaleDistribution => {
                "sender key distribution is not newer than the one held"
            }
        })
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreError::Backend => "the store failed; nothing was written",
            StoreError::UnknownSchema => "the store was written by a newer version",
            StoreError::NoDevice => "the store holds no device",
            StoreError::Corrupt => "a stored record is missing or of the wrong kind",
            StoreError::OldLayout => {
                "the store was written by an earlier, unreleased device layout"
            }
        })
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceError::UnknownRecipient => "no device of this clinician is known",
            DeviceError::NoVerifiedDevice => "no device of this clinician is verified",
            DeviceError::NoSession => "no session or bundle for this address",
            DeviceError::OwnAddress => "the address is this device's own",
            DeviceError::TooManyPeers => "too many peer devices",
            DeviceError::AlreadyCreated => "the store already holds a device",
        })
    }
}

impl std::error::Error for Error {}

macro_rules! from_category {
    ($($cat:ident => $variant:ident),* $(,)?) => {
        $(impl From<$cat> for Error {
            fn from(e: $cat) -> Self {
                Error::$variant(e)
            }
        })*
    };
}

from_category! {
    DecodeError => Decode,
    CryptoError => Crypto,
    ProtocolError => Protocol,
    TrustError => Trust,
    LimitError => Limit,
    StateError => State,
    GroupError => Group,
    StoreError => Store,
    DeviceError => Device,
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_texts_are_fixed() {
        assert_eq!(
            Error::Crypto(CryptoError::DecryptFailed).to_string(),
            "crypto error: message failed to authenticate"
        );
        assert_eq!(
            Error::from(DecodeError::Truncated).to_string(),
            "decode error: input is truncated"
        );
        assert_eq!(
            Error::from(LimitError::TooManySkipped),
            Error::Limit(LimitError::TooManySkipped)
        );
    }
}
