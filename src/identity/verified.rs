//! The proof that the trust policy accepted an identity.
//!
//! [`VerifiedIdentity`] has no public constructor: the only way to get one
//! is from [`crate::TrustStore`], which mints it when its policy accepts the
//! peer's key. Every function that starts a session takes one, so "verify
//! before you talk" is enforced by the compiler, not by convention.

use crate::identity::IdentityKey;
use crate::identity::trust::{PeerId, VerificationMethod};

/// An identity the app's trust policy has accepted for a given peer.
///
/// Obtained from [`crate::TrustStore::check`] (or the `verify_by_*`
/// methods); consumed (by reference) by [`crate::Session::initiate`] and
/// [`crate::Session::accept`].
///
/// Code outside the crate cannot make one, so a session with an identity
/// the policy has not accepted does not compile:
///
/// ```compile_fail,E0624
/// use bleep::{IdentityKeyPair, PeerId, VerificationMethod, VerifiedIdentity};
/// let key = IdentityKeyPair::generate(&mut rand::rng());
/// // error: `new` is private (and so are the fields).
/// let forged = VerifiedIdentity::new(
///     PeerId::new("mallory").unwrap(),
///     key.public().clone(),
///     VerificationMethod::QrCode,
/// );
/// ```
///
/// ```compile_fail,E0451
/// use bleep::{IdentityKeyPair, PeerId, VerificationMethod, VerifiedIdentity};
/// let key = IdentityKeyPair::generate(&mut rand::rng());
/// let forged = VerifiedIdentity {
///     peer: PeerId::new("mallory").unwrap(),
///     key: key.public().clone(),
///     method: VerificationMethod::QrCode,
/// };
/// ```
///
/// It is not `Clone`: [`crate::Session::encrypt`] and
/// [`crate::Session::decrypt`] consume one per message, so every message
/// sent or received is subject to the trust decision current when the proof
/// was made (a revoked attestation or a changed key stops the next message).
#[derive(Debug, PartialEq, Eq)]
pub struct VerifiedIdentity {
    peer: PeerId,
    key: IdentityKey,
    method: VerificationMethod,
}

impl VerifiedIdentity {
    pub(crate) fn new(peer: PeerId, key: IdentityKey, method: VerificationMethod) -> Self {
        VerifiedIdentity { peer, key, method }
    }

    /// The peer this identity belongs to.
    pub fn peer(&self) -> &PeerId {
        &self.peer
    }

    /// The accepted identity key.
    pub fn identity_key(&self) -> &IdentityKey {
        &self.key
    }

    /// How the identity was accepted.
    pub fn method(&self) -> VerificationMethod {
        self.method
    }
}

/// A proof for a session's peer, for unit tests that exercise something
/// other than the trust decision.
#[cfg(test)]
pub(crate) fn proof(session: &crate::Session) -> VerifiedIdentity {
    VerifiedIdentity::new(
        PeerId::new("peer").unwrap_or_else(|_| unreachable!()),
        session.peer_identity().clone(),
        VerificationMethod::QrCode,
    )
}
