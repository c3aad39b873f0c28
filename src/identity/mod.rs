//! Identities, and the proof that one was verified.
//!
//! Provides: long-term Ed25519 identities with a bound X25519 handshake key,
//! a trust store that decides (by policy) which identity a peer may use, and
//! the [`VerifiedIdentity`] proof without which no session starts, safety
//! numbers and QR payloads for verifying in person, and organisation
//! attestations with revocation lists for verifying at a distance. It does
//! not decide *who* a person is: that is the clinicians' comparison of
//! safety numbers, or an organisation's attestation.

pub(crate) mod attestation;
pub(crate) mod keypair;
pub(crate) mod safety_number;
pub(crate) mod trust;
pub(crate) mod verified;

pub use attestation::{
    ATTESTATION_VERSION, Attestation, ClinicianDetails, OrganisationKey, OrganisationPublicKey,
    REVOCATION_LIST_VERSION, Registration, RegulatoryBody, RevocationList,
};
pub use keypair::{IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair};
pub use safety_number::{
    FINGERPRINT_DIGITS, FINGERPRINT_VERSION, QR_PAYLOAD_LEN, QR_PAYLOAD_VERSION, QrPayload,
    SAFETY_NUMBER_ITERATIONS, SafetyNumber, numeric_fingerprint,
};
pub use trust::{
    KeyChange, PeerId, TRUST_STORE_VERSION, TrustPolicy, TrustStore, Verification,
    VerificationMethod,
};
pub use verified::VerifiedIdentity;
