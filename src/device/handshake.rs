//! The only place the device layer starts or accepts a session.
//!
//! When the handshake changes (post-quantum prekeys), this file and the
//! bundle helpers below are what the device layer needs adapted.

use crate::error::{DecodeError, Result};
use crate::handshake::{PreKeyBundle, PreKeyStore};
use crate::identity::{IdentityKey, IdentityKeyPair, VerifiedIdentity};
use crate::session::{HandshakePolicy, Session};
use crate::suite::CipherSuite;
use crate::wire::{Envelope, ReceivedMessage};
use rand_core::CryptoRng;

/// Starts a session from a bundle the app gave (bytes checked when added),
/// on the first suite of `preferred` (the device's own list, see
/// [`super::Device::set_cipher_suites`]) that the bundle lists.
pub(super) fn initiate(
    rng: &mut (impl CryptoRng + ?Sized),
    me: &IdentityKeyPair,
    peer: &VerifiedIdentity,
    bundle: &[u8],
    preferred: &[CipherSuite],
) -> Result<Session> {
    let bundle = PreKeyBundle::from_bytes(bundle)?;
    Session::initiate_with_suites(
        rng,
        me,
        peer,
        &bundle,
        HandshakePolicy::RequirePostQuantum,
        preferred,
    )
}

/// Accepts a prekey message; the one-time prekey is consumed only on
/// success.
pub(super) fn accept(
    me: &IdentityKeyPair,
    prekeys: &mut PreKeyStore,
    peer: &VerifiedIdentity,
    envelope: &Envelope<'_>,
    now: u64,
) -> Result<(Session, ReceivedMessage)> {
    Session::accept(me, prekeys, peer, envelope, now)
}

/// Whether a prekey message authenticates under the identity it carries;
/// changes nothing (see [`Session::authenticates_first`]).
pub(super) fn authenticates(
    me: &IdentityKeyPair,
    prekeys: &PreKeyStore,
    envelope: &Envelope<'_>,
    now: u64,
) -> Result<()> {
    Session::authenticates_first(me, prekeys, envelope, now)
}

/// The identity a stored bundle belongs to.
pub(super) fn bundle_identity(bundle: &[u8]) -> Result<IdentityKey> {
    Ok(PreKeyBundle::from_bytes(bundle)?.identity().clone())
}

/// The bundle to keep for a peer: at most one one-time prekey of each kind
/// (X25519 and ML-KEM, the first of each), or none when `keep_one_time` is
/// false (a bundle kept for resets must never offer a one-time prekey
/// already used; the ML-KEM last-resort prekey always stays).
pub(super) fn bundle_to_keep(bundle: &PreKeyBundle, keep_one_time: bool) -> Result<Vec<u8>> {
    let first = bundle.one_time_prekeys().first().map(|k| k.id);
    let first_kem = bundle
        .kem_prekeys()
        .and_then(|k| k.one_time.first())
        .map(|k| k.id);
    let (one, kem) = if keep_one_time {
        (first, first_kem)
    } else {
        (None, None)
    };
    bundle
        .with_one_time_prekey(one)
        .and_then(|b| b.with_kem_one_time_prekey(kem))
        .map(|b| b.to_bytes())
        .ok_or_else(|| DecodeError::InvalidLength.into())
}
