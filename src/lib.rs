#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
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

pub mod error;
pub mod limits;
/// Redaction: the [`bleep-redact`](bleep_redact) crate, re-exported (default
/// feature `redact`).
#[cfg(feature = "redact")]
pub use bleep_redact as redact;
pub mod store;

mod device;
mod group;
mod handshake;
mod identity;
mod primitives;
mod ratchet;
mod retention;
mod secret;
mod session;
pub mod state;
mod suite;
mod wire;

#[cfg(test)]
mod vectors;

pub use device::{
    CONTENT_VERSION, Content, Device, DeviceAddress, DroppedGroupKey, DroppedGroupMessage, Event,
    GroupEvent, GroupSent, Outgoing, OutgoingEnvelope, PreKeyDispenser, Received, ResetReason,
    ResetStatus, Sent,
};
pub use error::{
    CryptoError, DecodeError, DeviceError, Error, GroupError, LimitError, ProtocolError, Result,
    StateError, StoreError, TrustError,
};
pub use group::{
    DISTRIBUTION_MESSAGE_LEN, DistributionMessage, DistributionPlan, EncryptedGroupMessage,
    GROUP_SAFETY_NUMBER_DIGITS, GroupId, GroupSafetyNumber, GroupSession, ReceivedGroupMessage,
    Role, Roster, RosterMember, RosterUpdate,
};
pub use handshake::{PreKeyBundle, PreKeyStore};
pub use identity::{
    ATTESTATION_VERSION, Attestation, ClinicianDetails, FINGERPRINT_DIGITS, FINGERPRINT_VERSION,
    KeyChange, OrganisationKey, OrganisationPublicKey, QR_PAYLOAD_LEN, QR_PAYLOAD_VERSION,
    QrPayload, REVOCATION_LIST_VERSION, Registration, RegulatoryBody, RevocationList,
    SAFETY_NUMBER_ITERATIONS, SafetyNumber, TRUST_STORE_VERSION, Verification, numeric_fingerprint,
};
pub use identity::{
    IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair, PeerId, TrustPolicy, TrustStore,
    VerificationMethod, VerifiedIdentity,
};
pub use retention::{AwaitingFiling, FileError, MessageRef, MessageVault, Stored};
pub use secret::Plaintext;
pub use session::{EncryptedMessage, HandshakeKind, HandshakePolicy, Session};
pub use state::{
    SEALED_STATE_VERSION, SEALED_STATE_VERSION_SLOT, Sealable, SealedSend, StateType, StorageKey,
};
#[doc(hidden)]
pub use state::{fuzz_decode_device_row, fuzz_decode_state};
pub use suite::{CipherSuite, MAX_CIPHER_SUITES};
pub use wire::{
    ENVELOPE_VERSION, Envelope, MessageId, MessageInfo, OutgoingMessage, ReceivedMessage,
};
