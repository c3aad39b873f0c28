//! The trust store: which identity key each peer has, and whether and how
//! it was verified.
//!
//! It provides the gate between "a key arrived" and "talk to it": under
//! [`TrustPolicy::RequireVerified`] (the NHS default) only identities
//! verified in person or by an organisation's attestation pass; under
//! [`TrustPolicy::TrustOnFirstUse`] the first key seen for a peer is
//! accepted. Under both, a key that differs from the one on record is
//! reported as [`TrustError::KeyChanged`] and never silently accepted.

use crate::error::{LimitError, Result, TrustError};
use crate::identity::{IdentityKey, VerifiedIdentity};
use crate::limits::MAX_PEER_ID_LEN;
use std::collections::BTreeMap;

/// An app's stable identifier for a person (for example a directory id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(String);

impl PeerId {
    /// A peer id of at most [`MAX_PEER_ID_LEN`] bytes.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.len() > MAX_PEER_ID_LEN || id.is_empty() {
            return Err(LimitError::IdTooLong.into());
        }
        Ok(PeerId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How strictly the trust store accepts identities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustPolicy {
    /// Only identities verified in person or by attestation (NHS default).
    RequireVerified,
    /// The first key seen for a peer is accepted; changes still need
    /// re-verification.
    TrustOnFirstUse,
}

/// How an identity came to be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationMethod {
    /// Both clinicians compared safety numbers.
    SafetyNumber,
    /// One phone scanned the other's QR code.
    QrCode,
    /// A trusted organisation attested the key.
    Attestation,
    /// Accepted on first use, without verification.
    FirstUse,
}

#[derive(Clone, Debug)]
struct PeerRecord {
    key: IdentityKey,
    verified: Option<(VerificationMethod, u64)>,
}

/// What the app knows about each peer's identity.
///
/// ```
/// use bleep::{IdentityKeyPair, PeerId, TrustPolicy, TrustStore, VerificationMethod};
/// let colleague = IdentityKeyPair::generate(&mut rand_core::OsRng);
/// let peer = PeerId::new("dr.okafor@example.nhs.uk").unwrap();
/// let mut trust = TrustStore::new(TrustPolicy::RequireVerified);
/// // Not verified yet: the strict policy refuses.
/// assert!(trust.check(&peer, colleague.public()).is_err());
/// // The clinicians compare safety numbers in person.
/// trust.mark_verified(&peer, colleague.public(), VerificationMethod::SafetyNumber, 1_700_000_000);
/// let verified = trust.check(&peer, colleague.public()).unwrap();
/// assert_eq!(verified.method(), VerificationMethod::SafetyNumber);
/// ```
#[derive(Debug)]
pub struct TrustStore {
    policy: TrustPolicy,
    peers: BTreeMap<PeerId, PeerRecord>,
}

impl TrustStore {
    /// An empty store with the given policy.
    pub fn new(policy: TrustPolicy) -> Self {
        TrustStore {
            policy,
            peers: BTreeMap::new(),
        }
    }

    /// The store's policy.
    pub fn policy(&self) -> TrustPolicy {
        self.policy
    }

    /// Records that `key` was verified for `peer` by `method` at `now`
    /// (unix seconds). Replaces any earlier key: this is how a key change
    /// is re-verified.
    pub fn mark_verified(
        &mut self,
        peer: &PeerId,
        key: &IdentityKey,
        method: VerificationMethod,
        now: u64,
    ) {
        self.peers.insert(
            peer.clone(),
            PeerRecord {
                key: key.clone(),
                verified: Some((method, now)),
            },
        );
    }

    /// Asks the policy whether `key` may be used for `peer`.
    ///
    /// Errors: [`TrustError::KeyChanged`] if a different key is on record;
    /// [`TrustError::Unverified`] under [`TrustPolicy::RequireVerified`]
    /// when the key has not been verified. Under trust-on-first-use an
    /// unknown peer's key is recorded and accepted.
    pub fn check(&mut self, peer: &PeerId, key: &IdentityKey) -> Result<VerifiedIdentity> {
        match self.peers.get(peer) {
            Some(rec) if rec.key != *key => Err(TrustError::KeyChanged.into()),
            Some(PeerRecord {
                verified: Some((method, _)),
                ..
            }) => Ok(VerifiedIdentity::new(peer.clone(), key.clone(), *method)),
            Some(_) => match self.policy {
                TrustPolicy::RequireVerified => Err(TrustError::Unverified.into()),
                TrustPolicy::TrustOnFirstUse => Ok(VerifiedIdentity::new(
                    peer.clone(),
                    key.clone(),
                    VerificationMethod::FirstUse,
                )),
            },
            None => {
                self.peers.insert(
                    peer.clone(),
                    PeerRecord {
                        key: key.clone(),
                        verified: None,
                    },
                );
                match self.policy {
                    TrustPolicy::RequireVerified => Err(TrustError::Unverified.into()),
                    TrustPolicy::TrustOnFirstUse => Ok(VerifiedIdentity::new(
                        peer.clone(),
                        key.clone(),
                        VerificationMethod::FirstUse,
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdentityKeyPair;
    use crate::error::Error;

    fn key(seed: u8) -> IdentityKey {
        IdentityKeyPair::from_seed_bytes([seed; 32])
            .public()
            .clone()
    }

    #[test]
    fn strict_requires_verification_and_flags_changes() {
        let peer = PeerId::new("a").unwrap();
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        assert_eq!(
            t.check(&peer, &key(1)).unwrap_err(),
            Error::Trust(TrustError::Unverified)
        );
        t.mark_verified(&peer, &key(1), VerificationMethod::QrCode, 5);
        assert_eq!(
            t.check(&peer, &key(1)).unwrap().method(),
            VerificationMethod::QrCode
        );
        assert_eq!(
            t.check(&peer, &key(2)).unwrap_err(),
            Error::Trust(TrustError::KeyChanged)
        );
    }

    #[test]
    fn tofu_accepts_first_then_flags_changes() {
        let peer = PeerId::new("b").unwrap();
        let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        assert_eq!(
            t.check(&peer, &key(1)).unwrap().method(),
            VerificationMethod::FirstUse
        );
        assert_eq!(
            t.check(&peer, &key(1)).unwrap().method(),
            VerificationMethod::FirstUse
        );
        assert_eq!(
            t.check(&peer, &key(2)).unwrap_err(),
            Error::Trust(TrustError::KeyChanged)
        );
    }

    #[test]
    fn peer_id_is_bounded() {
        assert!(PeerId::new("x".repeat(MAX_PEER_ID_LEN)).is_ok());
        assert!(PeerId::new("x".repeat(MAX_PEER_ID_LEN + 1)).is_err());
        assert!(PeerId::new("").is_err());
    }
}
