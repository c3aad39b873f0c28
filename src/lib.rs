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

mod group;
mod handshake;
mod identity;
mod primitives;
mod ratchet;
mod secret;
mod session;
mod wire;

pub use error::{
    CryptoError, DecodeError, Error, GroupError, LimitError, ProtocolError, Result, StateError,
    TrustError,
};
pub use group::{
    DISTRIBUTION_MESSAGE_LEN, DistributionMessage, DistributionPlan, EncryptedGroupMessage,
    GROUP_SAFETY_NUMBER_DIGITS, GroupId, GroupSafetyNumber, GroupSession, ReceivedGroupMessage,
    Role, Roster, RosterMember, RosterUpdate,
};
pub use handshake::{PreKeyBundle, PreKeyStore};
pub use identity::{
    IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair, PeerId, TrustPolicy, TrustStore,
    VerificationMethod, VerifiedIdentity,
};
pub use secret::Plaintext;
pub use session::{EncryptedMessage, Session};
pub use wire::{
    ENVELOPE_VERSION, Envelope, MessageId, MessageInfo, OutgoingMessage, ReceivedMessage,
};
