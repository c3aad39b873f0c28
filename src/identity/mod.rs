//! Identities, and the proof that one was verified.
//!
//! Provides: long-term Ed25519 identities with a bound X25519 handshake key,
//! a trust store that decides (by policy) which identity a peer may use, and
//! the [`VerifiedIdentity`] proof without which no session starts. It does
//! not decide *who* a person is: that is the clinicians' comparison of
//! safety numbers, or an organisation's attestation.

pub(crate) mod keypair;
pub(crate) mod trust;
pub(crate) mod verified;

pub use keypair::{IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair};
pub use trust::{PeerId, TrustPolicy, TrustStore, VerificationMethod};
pub use verified::VerifiedIdentity;
