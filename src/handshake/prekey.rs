//! The responder's prekeys: signed prekeys (rotating, with ids) and
//! one-time prekeys (each consumed by exactly one handshake).
//!
//! Secrets stay here; [`crate::PreKeyBundle`] is the published half. A
//! one-time prekey is removed only when a handshake that used it has
//! decrypted its first message, so a forged prekey message cannot burn one.

use crate::error::{DecodeError, LimitError, ProtocolError, Result};
use crate::handshake::bundle::{OneTimePreKeyPublic, PreKeyBundle, SignedPreKeyPublic};
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::limits::{MAX_BUNDLE_ONE_TIME_PREKEYS, MAX_SIGNED_PREKEYS, MAX_STORED_ONE_TIME_PREKEYS};
use crate::primitives::LABEL_SIGNED_PREKEY;
use crate::wire::codec::{Reader, len_u16};
use core::fmt;
use rand_core::CryptoRng;
use std::collections::{BTreeMap, VecDeque};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

/// Version byte of the prekey store's state encoding.
const PREKEY_STORE_VERSION: u8 = 1;

/// An X25519 key pair whose public half is computed once.
pub(crate) struct X25519KeyPair {
    pub(crate) secret: StaticSecret,
    pub(crate) public: PublicKey,
}

impl X25519KeyPair {
    /// 32 bytes from `rng`, clamped per RFC 7748 by X25519 itself.
    pub(crate) fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut_slice());
        Self::from_secret_bytes(*bytes)
    }

    pub(crate) fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        let secret = StaticSecret::from(bytes);
        let public = PublicKey::from(&secret);
        X25519KeyPair { secret, public }
    }

    pub(crate) fn duplicate(&self) -> Self {
        X25519KeyPair {
            secret: self.secret.clone(),
            public: self.public,
        }
    }
}

pub(crate) struct SignedPreKey {
    pub(crate) id: u32,
    pub(crate) pair: X25519KeyPair,
    pub(crate) signature: [u8; 64],
}

/// The signed-prekey signature input: label, id, public key.
pub(crate) fn signed_prekey_message(id: u32, public: &[u8; 32]) -> [u8; 36] {
    let mut m = [0u8; 36];
    let (a, b) = m.split_at_mut(4);
    a.copy_from_slice(&id.to_be_bytes());
    b.copy_from_slice(public);
    m
}

/// A responder's prekey secrets.
///
/// ```
/// use bleep::{IdentityKeyPair, PreKeyStore};
/// let mut rng = rand::rng();
/// let bob = IdentityKeyPair::generate(&mut rng);
/// let mut prekeys = PreKeyStore::new(&mut rng, &bob);
/// prekeys.generate_one_time_prekeys(&mut rng, 20).unwrap();
/// let bundle = prekeys.bundle();
/// assert_eq!(bundle.one_time_prekey_count(), 20);
/// ```
pub struct PreKeyStore {
    identity: IdentityKey,
    /// Oldest first; the last is current.
    pub(crate) signed: VecDeque<Box<SignedPreKey>>,
    pub(crate) one_time: BTreeMap<u32, Box<X25519KeyPair>>,
    next_signed_id: u32,
    next_one_time_id: u32,
}

impl PreKeyStore {
    /// A store with one fresh signed prekey and no one-time prekeys.
    pub fn new(rng: &mut (impl CryptoRng + ?Sized), identity: &IdentityKeyPair) -> Self {
        let mut store = PreKeyStore {
            identity: identity.public().clone(),
            signed: VecDeque::new(),
            one_time: BTreeMap::new(),
            next_signed_id: 1,
            next_one_time_id: 1,
        };
        store.rotate_signed_prekey(rng, identity);
        store
    }

    /// Makes a new signed prekey current. The previous ones are kept (up
    /// to [`MAX_SIGNED_PREKEYS`] in all) so in-flight handshakes complete.
    pub fn rotate_signed_prekey(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        identity: &IdentityKeyPair,
    ) {
        let id = self.next_signed_id;
        self.next_signed_id = self.next_signed_id.wrapping_add(1).max(1);
        let pair = X25519KeyPair::generate(rng);
        let signature = identity
            .sign(
                LABEL_SIGNED_PREKEY,
                &signed_prekey_message(id, pair.public.as_bytes()),
            )
            .to_bytes();
        self.identity = identity.public().clone();
        self.signed.push_back(Box::new(SignedPreKey {
            id,
            pair,
            signature,
        }));
        while self.signed.len() > MAX_SIGNED_PREKEYS {
            self.signed.pop_front();
        }
    }

    /// Adds `count` one-time prekeys.
    ///
    /// Errors with [`LimitError::TooManyEntries`] (adding none) if the store
    /// would hold more than [`MAX_STORED_ONE_TIME_PREKEYS`].
    pub fn generate_one_time_prekeys(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        count: usize,
    ) -> Result<()> {
        if self.one_time.len().saturating_add(count) > MAX_STORED_ONE_TIME_PREKEYS {
            return Err(LimitError::TooManyEntries.into());
        }
        for _ in 0..count {
            let id = self.next_one_time_id;
            self.next_one_time_id = self.next_one_time_id.wrapping_add(1).max(1);
            self.one_time
                .insert(id, Box::new(X25519KeyPair::generate(rng)));
        }
        Ok(())
    }

    /// How many one-time prekeys are left.
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time.len()
    }

    /// The bundle to publish: the current signed prekey and up to
    /// [`MAX_BUNDLE_ONE_TIME_PREKEYS`] one-time prekeys (lowest ids first).
    pub fn bundle(&self) -> PreKeyBundle {
        let spk = self.current();
        PreKeyBundle::new(
            self.identity.clone(),
            SignedPreKeyPublic {
                id: spk.id,
                public: spk.pair.public,
                signature: spk.signature,
            },
            self.one_time
                .iter()
                .take(MAX_BUNDLE_ONE_TIME_PREKEYS)
                .map(|(id, kp)| OneTimePreKeyPublic {
                    id: *id,
                    public: kp.public,
                })
                .collect(),
        )
    }

    fn current(&self) -> &SignedPreKey {
        // `new` creates one and rotation never leaves the queue empty.
        #[allow(clippy::expect_used)]
        self.signed.back().expect("a signed prekey always exists")
    }

    pub(crate) fn signed_prekey(&self, id: u32) -> Result<&SignedPreKey> {
        self.signed
            .iter()
            .find(|s| s.id == id)
            .map(|s| &**s)
            .ok_or_else(|| ProtocolError::UnknownSignedPreKey.into())
    }

    pub(crate) fn one_time_prekey(&self, id: u32) -> Result<&X25519KeyPair> {
        self.one_time
            .get(&id)
            .map(|k| &**k)
            .ok_or_else(|| ProtocolError::UnknownOneTimePreKey.into())
    }

    /// Removes (and zeroizes) a one-time prekey after a successful handshake.
    pub(crate) fn consume_one_time_prekey(&mut self, id: u32) {
        self.one_time.remove(&id);
    }

    /// Encodes the whole store (secret: seal it before it leaves memory).
    ///
    /// `0x01 || identity (129) || next signed id (4) || next one-time id (4)
    /// || signed count (1) || [id (4) || secret (32) || signature (64)]...
    /// || one-time count (2) || [id (4) || secret (32)]...`, signed prekeys
    /// oldest first, one-time prekeys by increasing id.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let len = 1 + 129 + 8 + 1 + 100 * self.signed.len() + 2 + 36 * self.one_time.len();
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.push(PREKEY_STORE_VERSION);
        out.extend_from_slice(&self.identity.to_bytes());
        out.extend_from_slice(&self.next_signed_id.to_be_bytes());
        out.extend_from_slice(&self.next_one_time_id.to_be_bytes());
        out.push(u8::try_from(self.signed.len()).unwrap_or(u8::MAX));
        for s in &self.signed {
            out.extend_from_slice(&s.id.to_be_bytes());
            out.extend_from_slice(Zeroizing::new(s.pair.secret.to_bytes()).as_slice());
            out.extend_from_slice(&s.signature);
        }
        out.extend_from_slice(&len_u16(self.one_time.len()));
        for (id, kp) in &self.one_time {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(Zeroizing::new(kp.secret.to_bytes()).as_slice());
        }
        out
    }

    /// Decodes [`PreKeyStore::encode`] output, checking every bound: at
    /// least one and at most [`MAX_SIGNED_PREKEYS`] signed prekeys, at most
    /// [`MAX_STORED_ONE_TIME_PREKEYS`] one-time prekeys with strictly
    /// increasing ids. Public keys are recomputed from the secrets.
    pub(crate) fn decode(bytes: &[u8]) -> Result<PreKeyStore> {
        let mut r = Reader::new(bytes);
        if r.u8()? != PREKEY_STORE_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let identity = IdentityKey::read(&mut r)?;
        let next_signed_id = r.u32()?;
        let next_one_time_id = r.u32()?;
        let n_signed = r.count_u8(MAX_SIGNED_PREKEYS)?;
        if n_signed == 0 {
            return Err(DecodeError::InvalidLength.into());
        }
        let mut signed = VecDeque::with_capacity(n_signed);
        for _ in 0..n_signed {
            let id = r.u32()?;
            let secret = Zeroizing::new(r.array::<32>()?);
            let signature = r.array()?;
            signed.push_back(Box::new(SignedPreKey {
                id,
                pair: X25519KeyPair::from_secret_bytes(*secret),
                signature,
            }));
        }
        let n_one_time = r.count_u16(MAX_STORED_ONE_TIME_PREKEYS, 36)?;
        let mut one_time = BTreeMap::new();
        let mut last = None;
        for _ in 0..n_one_time {
            let id = r.u32()?;
            if last.is_some_and(|l| id <= l) {
                return Err(DecodeError::NonCanonical.into());
            }
            last = Some(id);
            let secret = Zeroizing::new(r.array::<32>()?);
            one_time.insert(id, Box::new(X25519KeyPair::from_secret_bytes(*secret)));
        }
        r.finish()?;
        Ok(PreKeyStore {
            identity,
            signed,
            one_time,
            next_signed_id,
            next_one_time_id,
        })
    }
}

impl fmt::Debug for PreKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreKeyStore")
            .field("identity", &self.identity)
            .field(
                "signed_prekey_ids",
                &self.signed.iter().map(|s| s.id).collect::<Vec<_>>(),
            )
            .field("one_time_prekeys", &self.one_time.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn rotation_keeps_a_bounded_history() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        for _ in 0..5 {
            s.rotate_signed_prekey(&mut rng, &id);
        }
        assert_eq!(s.signed.len(), MAX_SIGNED_PREKEYS);
        assert_eq!(s.bundle().signed_prekey_id(), 6);
        assert!(s.signed_prekey(6).is_ok());
        assert!(s.signed_prekey(4).is_ok());
        assert!(s.signed_prekey(3).is_err());
    }

    #[test]
    fn encode_decode_round_trips_and_rejects_damage() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        s.rotate_signed_prekey(&mut rng, &id);
        s.generate_one_time_prekeys(&mut rng, 4).unwrap();
        s.consume_one_time_prekey(2);
        let bytes = s.encode();
        let back = PreKeyStore::decode(&bytes).unwrap();
        assert_eq!(back.encode().as_slice(), bytes.as_slice());
        assert_eq!(back.bundle(), s.bundle());
        assert_eq!(back.one_time_prekey_count(), 3);
        for cut in 0..bytes.len() {
            assert!(PreKeyStore::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(
            PreKeyStore::decode(&long).unwrap_err(),
            DecodeError::TrailingBytes.into()
        );
        let mut v = bytes.to_vec();
        v[0] = 2;
        assert_eq!(
            PreKeyStore::decode(&v).unwrap_err(),
            DecodeError::UnknownVersion.into()
        );
        // No signed prekey at all would leave `bundle` without a current key.
        let signed_count_at = 1 + 129 + 8;
        let mut none = bytes[..signed_count_at].to_vec();
        none.extend_from_slice(&[0, 0, 0]);
        assert_eq!(
            PreKeyStore::decode(&none).unwrap_err(),
            DecodeError::InvalidLength.into()
        );
        // One-time ids out of order are rejected.
        let ot_start = signed_count_at + 1 + 2 * 100 + 2;
        let mut swapped = bytes.to_vec();
        swapped[ot_start..ot_start + 4].copy_from_slice(&9u32.to_be_bytes());
        assert_eq!(
            PreKeyStore::decode(&swapped).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
    }

    #[test]
    fn one_time_prekeys_are_bounded() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        s.generate_one_time_prekeys(&mut rng, 3).unwrap();
        assert!(
            s.generate_one_time_prekeys(&mut rng, MAX_STORED_ONE_TIME_PREKEYS)
                .is_err()
        );
        assert_eq!(s.one_time_prekey_count(), 3);
        s.consume_one_time_prekey(2);
        assert!(s.one_time_prekey(2).is_err());
        assert!(s.one_time_prekey(3).is_ok());
        let dbg = format!("{s:?}");
        assert!(dbg.contains("one_time_prekeys: 2"));
    }
}
