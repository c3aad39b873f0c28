//! The published half of a responder's prekeys.
//!
//! A [`PreKeyBundle`] can only be obtained by parsing (which checks the
//! identity binding, the signed prekey's signature and every ML-KEM
//! prekey's signature strictly) or from the responder's own
//! [`crate::PreKeyStore`], so an unchecked bundle never reaches the
//! handshake.
//!
//! Version 2 bundles always carry a signed last-resort ML-KEM prekey (and
//! may carry signed one-time ML-KEM prekeys). A version-1 bundle is
//! classical (X3DH only); the handshake refuses it unless the app allows
//! classical sessions, so stripping the KEM part of a bundle (which can
//! only produce a version-1 bundle) never yields a silent downgrade.
//!
//! Version 3 is version 2 followed by the list of cipher suites the
//! responder accepts, for a list other than the default (XChaCha20-Poly1305
//! alone). Its signed-prekey signature covers the list, under a label of
//! its own, so the list cannot be edited, nor the bundle be cut back to
//! version 2 (the version-2 signature input differs), without the identity
//! key.

use crate::error::{DecodeError, Result};
use crate::handshake::kem::{KEM_PUBLIC_LEN, parse_public};
use crate::handshake::prekey::{
    kem_prekey_message, signed_prekey_message, signed_prekey_suites_message,
};
use crate::identity::IdentityKey;
use crate::limits::{MAX_BUNDLE_KEM_ONE_TIME_PREKEYS, MAX_BUNDLE_ONE_TIME_PREKEYS};
use crate::primitives::{LABEL_KEM_PREKEY, LABEL_SIGNED_PREKEY, LABEL_SIGNED_PREKEY_SUITES};
use crate::suite::{CipherSuite, MAX_CIPHER_SUITES, check_list, is_default_list};
use crate::wire::codec::{Reader, len_u16};
use ml_kem::{EncapsulationKey, MlKem1024};
use x25519_dalek::PublicKey;

/// Version byte of the classical (X3DH-only) bundle encoding.
const BUNDLE_VERSION_CLASSICAL: u8 = 1;
/// Version byte of the bundle encoding with ML-KEM prekeys (PQXDH).
pub(crate) const BUNDLE_VERSION: u8 = 2;
/// Version byte of a version-2 bundle followed by a cipher suite list.
pub(crate) const BUNDLE_VERSION_SUITES: u8 = 3;
/// Encoded length of one ML-KEM prekey in a bundle: id, key, signature.
pub(crate) const KEM_PREKEY_ENTRY_LEN: usize = 4 + KEM_PUBLIC_LEN + 64;

/// A signed ML-KEM prekey as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KemPreKeyPublic {
    pub(crate) id: u32,
    pub(crate) public: Box<[u8; KEM_PUBLIC_LEN]>,
    pub(crate) signature: [u8; 64],
    /// `public` parsed, so the handshake does not decode and hash it again;
    /// `None` if it failed the FIPS 203 check (then `verify` refuses it).
    pub(crate) key: Option<Box<EncapsulationKey<MlKem1024>>>,
}

impl KemPreKeyPublic {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(self.public.as_slice());
        out.extend_from_slice(&self.signature);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let id = r.u32()?;
        let mut public = Box::new([0u8; KEM_PUBLIC_LEN]);
        public.copy_from_slice(r.take(KEM_PUBLIC_LEN)?);
        let signature = r.array()?;
        // Parsed now, refused (if malformed) by `verify`, after the
        // signature, as `docs/PROTOCOL.md` §3 orders the errors.
        let key = parse_public(&public).ok();
        Ok(KemPreKeyPublic {
            id,
            public,
            signature,
            key,
        })
    }

    /// Strict signature check, then the FIPS 203 encoding check.
    fn verify(&self, identity: &IdentityKey) -> Result<()> {
        identity.verify(
            LABEL_KEM_PREKEY,
            &kem_prekey_message(self.id, &self.public),
            &self.signature,
        )?;
        match self.key {
            Some(_) => Ok(()),
            None => Err(DecodeError::InvalidKey.into()),
        }
    }
}

/// The ML-KEM half of a version-2 bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KemPreKeys {
    pub(crate) last_resort: KemPreKeyPublic,
    pub(crate) one_time: Vec<KemPreKeyPublic>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SignedPreKeyPublic {
    pub(crate) id: u32,
    pub(crate) public: PublicKey,
    /// Over `signed_prekey_message` under `LABEL_SIGNED_PREKEY` for the
    /// default suite list; over `signed_prekey_suites_message` under
    /// `LABEL_SIGNED_PREKEY_SUITES` otherwise (version 3).
    pub(crate) signature: [u8; 64],
    /// The suite ids the responder accepts, as listed (`[0x01]` unless the
    /// bundle is version 3); may include ids this build does not know.
    pub(crate) suites: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OneTimePreKeyPublic {
    pub(crate) id: u32,
    pub(crate) public: PublicKey,
}

/// A responder's identity, current signed prekey, a batch of one-time
/// prekeys, and (version 2) a signed last-resort ML-KEM prekey with a
/// batch of signed one-time ML-KEM prekeys, as published to a directory or
/// server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeyBundle {
    identity: IdentityKey,
    signed: SignedPreKeyPublic,
    one_time: Vec<OneTimePreKeyPublic>,
    kem: Option<KemPreKeys>,
}

impl PreKeyBundle {
    pub(crate) fn new(
        identity: IdentityKey,
        signed: SignedPreKeyPublic,
        one_time: Vec<OneTimePreKeyPublic>,
        kem: Option<KemPreKeys>,
    ) -> Self {
        PreKeyBundle {
            identity,
            signed,
            one_time,
            kem,
        }
    }

    /// Whether the bundle carries ML-KEM prekeys (a PQXDH handshake is
    /// possible). A bundle without them is classical: sessions refuse it
    /// unless the app allows classical handshakes.
    pub fn has_post_quantum_prekeys(&self) -> bool {
        self.kem.is_some()
    }

    /// How many one-time ML-KEM prekeys the bundle carries (beside the
    /// last-resort one).
    pub fn kem_one_time_prekey_count(&self) -> usize {
        self.kem.as_ref().map_or(0, |k| k.one_time.len())
    }

    pub(crate) fn kem_prekeys(&self) -> Option<&KemPreKeys> {
        self.kem.as_ref()
    }

    /// A copy carrying only the one-time ML-KEM prekey with `id`, or none
    /// (the initiator then uses the last-resort one) if `id` is `None`.
    /// Returns `None` if the bundle has no such prekey. Combine with
    /// [`PreKeyBundle::with_one_time_prekey`] to hand one initiator one
    /// key of each kind.
    pub fn with_kem_one_time_prekey(&self, id: Option<u32>) -> Option<PreKeyBundle> {
        let mut out = self.clone();
        if let Some(kem) = out.kem.as_mut() {
            kem.one_time = match id {
                None => Vec::new(),
                Some(id) => vec![kem.one_time.iter().find(|k| k.id == id)?.clone()],
            };
        } else if id.is_some() {
            return None;
        }
        Some(out)
    }

    /// The classical (version-1) form of this bundle: what an attacker who
    /// strips the ML-KEM part produces. For tests of downgrade refusal.
    #[cfg(test)]
    pub(crate) fn without_kem(&self) -> PreKeyBundle {
        PreKeyBundle {
            kem: None,
            ..self.clone()
        }
    }

    /// The cipher suites the responder accepts that this build implements,
    /// in the bundle's order (XChaCha20-Poly1305 alone for a version-1 or
    /// version-2 bundle).
    pub fn cipher_suites(&self) -> Vec<CipherSuite> {
        self.signed
            .suites
            .iter()
            .filter_map(|id| CipherSuite::from_id(*id))
            .collect()
    }

    /// The first suite of `preferred` that the bundle lists, if any.
    pub fn choose_cipher_suite(&self, preferred: &[CipherSuite]) -> Option<CipherSuite> {
        preferred
            .iter()
            .copied()
            .find(|s| self.signed.suites.contains(&s.id()))
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
            kem: self.kem.clone(),
        })
    }

    /// The encoding (see `docs/PROTOCOL.md` §3): version 2 with ML-KEM
    /// prekeys, version 1 (classical) without.
    pub fn to_bytes(&self) -> Vec<u8> {
        let kem_len = self
            .kem
            .as_ref()
            .map_or(0, |k| KEM_PREKEY_ENTRY_LEN * (1 + k.one_time.len()) + 2);
        let suites = self.kem.is_some() && !is_default_list(&self.signed.suites);
        let mut out = Vec::with_capacity(
            1 + 129 + 100 + 2 + 36 * self.one_time.len() + kem_len + 1 + MAX_CIPHER_SUITES,
        );
        out.push(match (&self.kem, suites) {
            (Some(_), true) => BUNDLE_VERSION_SUITES,
            (Some(_), false) => BUNDLE_VERSION,
            (None, _) => BUNDLE_VERSION_CLASSICAL,
        });
        out.extend_from_slice(&self.identity.to_bytes());
        out.extend_from_slice(&self.signed.id.to_be_bytes());
        out.extend_from_slice(self.signed.public.as_bytes());
        out.extend_from_slice(&self.signed.signature);
        out.extend_from_slice(&len_u16(self.one_time.len()));
        for k in &self.one_time {
            out.extend_from_slice(&k.id.to_be_bytes());
            out.extend_from_slice(k.public.as_bytes());
        }
        if let Some(kem) = &self.kem {
            kem.last_resort.write(&mut out);
            out.extend_from_slice(&len_u16(kem.one_time.len()));
            for k in &kem.one_time {
                k.write(&mut out);
            }
        }
        if suites {
            out.push(u8::try_from(self.signed.suites.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(&self.signed.suites);
        }
        out
    }

    /// Parses a bundle (version 3 with a cipher suite list, version 2, or a
    /// classical version 1) and checks every signature strictly.
    ///
    /// Errors: malformed bytes, more than [`MAX_BUNDLE_ONE_TIME_PREKEYS`]
    /// one-time prekeys or [`MAX_BUNDLE_KEM_ONE_TIME_PREKEYS`] one-time
    /// ML-KEM prekeys, a repeated id, or an ML-KEM key that is not a valid
    /// FIPS 203 encoding ([`crate::Error::Decode`]); a bad identity
    /// binding, signed-prekey or ML-KEM prekey signature
    /// ([`crate::CryptoError::BadSignature`]). A version-3 suite list must
    /// hold 1 to [`MAX_CIPHER_SUITES`] ids, none repeated, and not be the
    /// default list ([`crate::Error::Decode`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if !matches!(
            version,
            BUNDLE_VERSION_SUITES | BUNDLE_VERSION | BUNDLE_VERSION_CLASSICAL
        ) {
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
        let kem = if version >= BUNDLE_VERSION {
            let last_resort = KemPreKeyPublic::read(&mut r)?;
            let n = r.count_u16(MAX_BUNDLE_KEM_ONE_TIME_PREKEYS, KEM_PREKEY_ENTRY_LEN)?;
            let mut kem_one_time: Vec<KemPreKeyPublic> = Vec::with_capacity(n);
            for _ in 0..n {
                let k = KemPreKeyPublic::read(&mut r)?;
                if k.id == last_resort.id || kem_one_time.iter().any(|o| o.id == k.id) {
                    return Err(DecodeError::NonCanonical.into());
                }
                kem_one_time.push(k);
            }
            Some(KemPreKeys {
                last_resort,
                one_time: kem_one_time,
            })
        } else {
            None
        };
        let suites = if version == BUNDLE_VERSION_SUITES {
            let n = r.count_u8(MAX_CIPHER_SUITES)?;
            let ids = r.take(n)?.to_vec();
            if !check_list(&ids) || is_default_list(&ids) {
                return Err(DecodeError::NonCanonical.into());
            }
            Some(ids)
        } else {
            None
        };
        r.finish()?;
        let suites = match suites {
            Some(ids) => {
                identity.verify(
                    LABEL_SIGNED_PREKEY_SUITES,
                    &signed_prekey_suites_message(id, public.as_bytes(), &ids),
                    &signature,
                )?;
                ids
            }
            None => {
                identity.verify(
                    LABEL_SIGNED_PREKEY,
                    &signed_prekey_message(id, public.as_bytes()),
                    &signature,
                )?;
                vec![CipherSuite::XChaCha20Poly1305.id()]
            }
        };
        if let Some(kem) = &kem {
            kem.last_resort.verify(&identity)?;
            for k in &kem.one_time {
                k.verify(&identity)?;
            }
        }
        Ok(PreKeyBundle {
            identity,
            signed: SignedPreKeyPublic {
                id,
                public,
                signature,
                suites,
            },
            one_time,
            kem,
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
        // Every byte but the (unsigned) one-time X25519 prekeys is covered
        // by a signature or a structural check.
        let unsigned = (1 + 129 + 100 + 2)..(1 + 129 + 100 + 2 + 2 * 36);
        for i in (0..bytes.len()).filter(|i| !unsigned.contains(i)) {
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
    fn kem_signatures_are_domain_separated_and_keys_checked() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let id = IdentityKeyPair::generate(&mut rng);
        let s = PreKeyStore::new(&mut rng, &id);
        let mut b = s.bundle();
        // The key a parsed bundle keeps for the handshake is the one its
        // bytes encode (and the store's bundle keeps the same).
        let parsed = PreKeyBundle::from_bytes(&b.to_bytes()).unwrap();
        let lr = &parsed.kem.as_ref().unwrap().last_resort;
        let kept = ml_kem::KeyExport::to_bytes(&**lr.key.as_ref().unwrap());
        assert_eq!(kept.as_slice(), lr.public.as_slice());
        assert_eq!(parsed, b);
        let kem = b.kem.as_mut().unwrap();
        // The same bytes signed under the signed-prekey label do not pass.
        let msg = kem_prekey_message(kem.last_resort.id, &kem.last_resort.public);
        kem.last_resort.signature = id.sign(LABEL_SIGNED_PREKEY, &msg).to_bytes();
        assert_eq!(
            PreKeyBundle::from_bytes(&b.to_bytes()).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
        // A validly signed key that is not a FIPS 203 encoding is refused.
        let kem = b.kem.as_mut().unwrap();
        *kem.last_resort.public = [0xFF; KEM_PUBLIC_LEN];
        let msg = kem_prekey_message(kem.last_resort.id, &kem.last_resort.public);
        kem.last_resort.signature = id.sign(LABEL_KEM_PREKEY, &msg).to_bytes();
        assert_eq!(
            PreKeyBundle::from_bytes(&b.to_bytes()).unwrap_err(),
            Error::Decode(DecodeError::InvalidKey)
        );
    }

    #[test]
    fn limits_and_duplicates() {
        let b = bundle(MAX_BUNDLE_ONE_TIME_PREKEYS);
        assert!(PreKeyBundle::from_bytes(&b.to_bytes()).is_ok());
        assert!(PreKeyBundle::from_bytes(&b.to_bytes()).is_ok());
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let owner = IdentityKeyPair::generate(&mut rng);
        let mut kem_store = PreKeyStore::new(&mut rng, &owner);
        kem_store
            .generate_kem_one_time_prekeys(&mut rng, &owner, MAX_BUNDLE_KEM_ONE_TIME_PREKEYS + 1)
            .unwrap();
        let full = kem_store.bundle();
        assert_eq!(
            full.kem_one_time_prekey_count(),
            MAX_BUNDLE_KEM_ONE_TIME_PREKEYS
        );
        assert!(PreKeyBundle::from_bytes(&full.to_bytes()).is_ok());
        let mut kem_over = full.clone();
        let extra = kem_over.kem.as_ref().unwrap().last_resort.clone();
        kem_over
            .kem
            .as_mut()
            .unwrap()
            .one_time
            .push(KemPreKeyPublic {
                id: 999_999,
                ..extra
            });
        assert_eq!(
            PreKeyBundle::from_bytes(&kem_over.to_bytes()).unwrap_err(),
            Error::Decode(DecodeError::InvalidLength)
        );
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
        let mut dup = bundle(0);
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        s.generate_kem_one_time_prekeys(&mut rng, &id, 2).unwrap();
        let kem = s.bundle().kem.unwrap();
        let mut twice = kem.clone();
        twice.one_time[1].id = twice.one_time[0].id;
        dup.kem = Some(twice);
        assert_eq!(
            PreKeyBundle::from_bytes(&dup.to_bytes()).unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
        let mut same_as_last_resort = kem;
        same_as_last_resort.one_time[0].id = same_as_last_resort.last_resort.id;
        dup.kem = Some(same_as_last_resort);
        assert_eq!(
            PreKeyBundle::from_bytes(&dup.to_bytes()).unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
        let single = b.with_one_time_prekey(Some(5)).unwrap();
        assert_eq!(single.one_time_prekey_count(), 1);
        assert!(b.with_one_time_prekey(Some(100_000)).is_none());
    }
}
