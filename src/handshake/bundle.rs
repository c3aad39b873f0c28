//! The published half of a responder's prekeys.
//!
//! A [`PreKeyBundle`] can only be obtained by parsing (which checks the
//! identity binding and the signed prekey's signature strictly) or from the
//! responder's own [`crate::PreKeyStore`], so an unchecked bundle never
//! reaches the handshake.

use crate::error::{DecodeError, Result};
use crate::handshake::prekey::signed_prekey_message;
use crate::identity::IdentityKey;
use crate::limits::MAX_BUNDLE_ONE_TIME_PREKEYS;
use crate::primitives::LABEL_SIGNED_PREKEY;
use crate::wire::codec::{Reader, len_u16};
use x25519_dalek::PublicKey;

/// Version byte of the bundle encoding.
const BUNDLE_VERSION: u8 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SignedPreKeyPublic {
    pub(crate) id: u32,
    pub(crate) public: PublicKey,
    pub(crate) signature: [u8; 64],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OneTimePreKeyPublic {
    pub(crate) id: u32,
    pub(crate) public: PublicKey,
}

/// A responder's identity, current signed prekey and a batch of one-time
/// prekeys, as published to a directory or server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeyBundle {
    identity: IdentityKey,
    signed: SignedPreKeyPublic,
    one_time: Vec<OneTimePreKeyPublic>,
}

impl PreKeyBundle {
    pub(crate) fn new(
        identity: IdentityKey,
        signed: SignedPreKeyPublic,
        one_time: Vec<OneTimePreKeyPublic>,
    ) -> Self {
        PreKeyBundle {
            identity,
            signed,
            one_time,
        }
    }

    /// The responder's identity.
    pub fn identity(&self) -> &IdentityKey {
        &self.identity
    }

    /// The id of the signed prekey.
    pub fn signed_prekey_id(&self) -> u32 {
        self.signed.id
    }

    /// How many one-time prekeys the bundle carries.
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time.len()
    }

    pub(crate) fn signed_prekey(&self) -> &SignedPreKeyPublic {
        &self.signed
    }

    pub(crate) fn one_time_prekeys(&self) -> &[OneTimePreKeyPublic] {
        &self.one_time
    }

    /// A copy carrying only the one-time prekey with `id` (what a server
    /// hands a single initiator), or none if `id` is `None`. Returns `None`
    /// if the bundle has no such prekey.
    pub fn with_one_time_prekey(&self, id: Option<u32>) -> Option<PreKeyBundle> {
        let one_time = match id {
            None => Vec::new(),
            Some(id) => vec![*self.one_time.iter().find(|k| k.id == id)?],
        };
        Some(PreKeyBundle {
            identity: self.identity.clone(),
            signed: self.signed.clone(),
            one_time,
        })
    }

    /// The encoding (see `docs/PROTOCOL.md`, "Prekey bundle").
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 129 + 100 + 2 + 36 * self.one_time.len());
        out.push(BUNDLE_VERSION);
        out.extend_from_slice(&self.identity.to_bytes());
        out.extend_from_slice(&self.signed.id.to_be_bytes());
        out.extend_from_slice(self.signed.public.as_bytes());
        out.extend_from_slice(&self.signed.signature);
        out.extend_from_slice(&len_u16(self.one_time.len()));
        for k in &self.one_time {
            out.extend_from_slice(&k.id.to_be_bytes());
            out.extend_from_slice(k.public.as_bytes());
        }
        out
    }

    /// Parses a bundle and checks its signatures strictly.
    ///
    /// Errors: malformed bytes, more than [`MAX_BUNDLE_ONE_TIME_PREKEYS`]
    /// one-time prekeys or a repeated id ([`crate::Error::Decode`]); a bad
    /// identity binding or signed-prekey signature
    /// ([`crate::CryptoError::BadSignature`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != BUNDLE_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let identity = IdentityKey::read(&mut r)?;
        let id = r.u32()?;
        let public = PublicKey::from(r.array::<32>()?);
        let signature: [u8; 64] = r.array()?;
        let n = r.count_u16(MAX_BUNDLE_ONE_TIME_PREKEYS, 36)?;
        let mut one_time = Vec::with_capacity(n);
        for _ in 0..n {
            let k = OneTimePreKeyPublic {
                id: r.u32()?,
                public: PublicKey::from(r.array::<32>()?),
            };
            if one_time.iter().any(|o: &OneTimePreKeyPublic| o.id == k.id) {
                return Err(DecodeError::NonCanonical.into());
            }
            one_time.push(k);
        }
        r.finish()?;
        identity.verify(
            LABEL_SIGNED_PREKEY,
            &signed_prekey_message(id, public.as_bytes()),
            &signature,
        )?;
        Ok(PreKeyBundle {
            identity,
            signed: SignedPreKeyPublic {
                id,
                public,
                signature,
            },
            one_time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CryptoError, Error};
    use crate::{IdentityKeyPair, PreKeyStore};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn bundle(n: usize) -> PreKeyBundle {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        s.generate_one_time_prekeys(&mut rng, n).unwrap();
        s.bundle()
    }

    #[test]
    fn round_trips_and_rejects_every_flip() {
        let b = bundle(2);
        let bytes = b.to_bytes();
        assert_eq!(PreKeyBundle::from_bytes(&bytes).unwrap(), b);
        // Every byte up to the one-time prekeys is covered by a signature
        // or a structural check.
        for i in 0..(bytes.len() - 2 * 36) {
            let mut x = bytes.clone();
            x[i] ^= 0x20;
            assert!(PreKeyBundle::from_bytes(&x).is_err(), "byte {i}");
        }
        for cut in 0..bytes.len() {
            assert!(PreKeyBundle::from_bytes(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn forged_signed_prekey_is_rejected() {
        let b = bundle(0);
        let mut bytes = b.to_bytes();
        let spk = 1 + 129 + 4;
        bytes[spk] ^= 1;
        assert_eq!(
            PreKeyBundle::from_bytes(&bytes).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
    }

    #[test]
    fn limits_and_duplicates() {
        let b = bundle(MAX_BUNDLE_ONE_TIME_PREKEYS);
        assert!(PreKeyBundle::from_bytes(&b.to_bytes()).is_ok());
        let mut over = b.clone();
        over.one_time.push(OneTimePreKeyPublic {
            id: 999_999,
            public: PublicKey::from([9; 32]),
        });
        assert_eq!(
            PreKeyBundle::from_bytes(&over.to_bytes()).unwrap_err(),
            Error::Decode(DecodeError::InvalidLength)
        );
        let mut dup = bundle(2);
        dup.one_time[1].id = dup.one_time[0].id;
        assert_eq!(
            PreKeyBundle::from_bytes(&dup.to_bytes()).unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
        let single = b.with_one_time_prekey(Some(5)).unwrap();
        assert_eq!(single.one_time_prekey_count(), 1);
        assert!(b.with_one_time_prekey(Some(100_000)).is_none());
    }
}
