//! A clinician's long-term identity.
//!
//! An identity is one 32-byte seed. From it, HKDF-SHA256 derives an Ed25519
//! signing key (the identity proper: what safety numbers, attestations and
//! trust decisions are about) and an X25519 key used in the handshake. The
//! X25519 key is *bound* to the Ed25519 key by a signature that travels with
//! the public identity, so anyone holding the public identity can check the
//! binding; nobody has to trust a derivation they cannot see.

use crate::error::{CryptoError, DecodeError, Result};
use crate::primitives::{
    LABEL_IDENTITY_BINDING, LABEL_IDENTITY_ED25519, LABEL_IDENTITY_X25519, hkdf32,
};
use crate::secret::secret_key;
use crate::wire::codec::Reader;
use core::fmt;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use x25519_dalek::{PublicKey, StaticSecret};

/// Version byte of the [`IdentityKey`] encoding.
const IDENTITY_KEY_VERSION: u8 = 1;

/// Length of an encoded [`IdentityKey`]: version, Ed25519 key, X25519 key,
/// binding signature.
pub const IDENTITY_KEY_LEN: usize = 1 + 32 + 32 + 64;

secret_key! {
    /// The 32-byte seed an identity is derived from.
    pub(crate) struct IdentitySeed;
}

/// A clinician's long-term identity key pair. Keep it on the device.
///
/// ```
/// use bleep::IdentityKeyPair;
/// let me = IdentityKeyPair::generate(&mut rand::rng());
/// let public = me.public().to_bytes();
/// assert_eq!(bleep::IdentityKey::from_bytes(&public).unwrap(), *me.public());
/// ```
pub struct IdentityKeyPair {
    seed: IdentitySeed,
    signing: SigningKey,
    dh: StaticSecret,
    public: IdentityKey,
}

impl IdentityKeyPair {
    /// A fresh identity from a cryptographic random number generator:
    /// `rand::rng()`, or the operating system's generator directly.
    ///
    /// ```
    /// use bleep::IdentityKeyPair;
    /// let a = IdentityKeyPair::generate(&mut rand::rng());
    /// // `SysRng` reports failure as an error; `UnwrapErr` makes it a panic,
    /// // which is what an app wants when the OS cannot give randomness.
    /// let b = IdentityKeyPair::generate(&mut rand_core::UnwrapErr(rand::rngs::SysRng));
    /// assert_ne!(a.public(), b.public());
    /// ```
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Self::from_seed(IdentitySeed::from_bytes(seed))
    }

    /// Rebuilds an identity from its 32-byte seed (deterministic: the same
    /// seed always gives the same identity). Used by test vectors and state
    /// restore; apps should call [`IdentityKeyPair::generate`].
    pub fn from_seed_bytes(seed: [u8; 32]) -> Self {
        Self::from_seed(IdentitySeed::from_bytes(seed))
    }

    pub(crate) fn from_seed(seed: IdentitySeed) -> Self {
        let ed_seed = hkdf32(&[], seed.as_bytes(), LABEL_IDENTITY_ED25519);
        let signing = SigningKey::from_bytes(&ed_seed);
        let x = hkdf32(&[], seed.as_bytes(), LABEL_IDENTITY_X25519);
        let dh = StaticSecret::from(*x);
        let dh_public = PublicKey::from(&dh);
        let binding = signing.sign(&binding_message(dh_public.as_bytes()));
        let public = IdentityKey {
            signing: signing.verifying_key(),
            dh: dh_public,
            binding,
        };
        IdentityKeyPair {
            seed,
            signing,
            dh,
            public,
        }
    }

    /// The public half, to publish and to verify.
    pub fn public(&self) -> &IdentityKey {
        &self.public
    }

    pub(crate) fn seed(&self) -> &IdentitySeed {
        &self.seed
    }

    pub(crate) fn dh_secret(&self) -> &StaticSecret {
        &self.dh
    }

    /// Signs `context || message` with the identity's Ed25519 key.
    pub(crate) fn sign(&self, context: &[u8], message: &[u8]) -> Signature {
        let mut m = Vec::with_capacity(context.len() + message.len());
        m.extend_from_slice(context);
        m.extend_from_slice(message);
        self.signing.sign(&m)
    }
}

impl fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

fn binding_message(dh_public: &[u8; 32]) -> [u8; LABEL_IDENTITY_BINDING.len() + 32] {
    let mut m = [0u8; LABEL_IDENTITY_BINDING.len() + 32];
    let (label, key) = m.split_at_mut(LABEL_IDENTITY_BINDING.len());
    label.copy_from_slice(LABEL_IDENTITY_BINDING);
    key.copy_from_slice(dh_public);
    m
}

/// A clinician's public identity: an Ed25519 key, the X25519 key bound to
/// it, and the binding signature. Parsing checks the binding strictly.
#[derive(Clone)]
pub struct IdentityKey {
    signing: VerifyingKey,
    dh: PublicKey,
    binding: Signature,
}

impl IdentityKey {
    /// The encoding: `0x01 || ed25519 (32) || x25519 (32) || signature (64)`.
    pub fn to_bytes(&self) -> [u8; IDENTITY_KEY_LEN] {
        let mut out = [0u8; IDENTITY_KEY_LEN];
        let (v, rest) = out.split_at_mut(1);
        v.copy_from_slice(&[IDENTITY_KEY_VERSION]);
        let (ed, rest) = rest.split_at_mut(32);
        ed.copy_from_slice(self.signing.as_bytes());
        let (x, sig) = rest.split_at_mut(32);
        x.copy_from_slice(self.dh.as_bytes());
        sig.copy_from_slice(&self.binding.to_bytes());
        out
    }

    /// Parses and checks an encoded identity.
    ///
    /// Errors: wrong length or version ([`crate::Error::Decode`]), an
    /// invalid Ed25519 point, or a binding signature that does not verify
    /// strictly ([`CryptoError::BadSignature`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let key = Self::read(&mut r)?;
        r.finish()?;
        Ok(key)
    }

    /// Reads an encoded identity whose binding may already be known.
    ///
    /// If the next [`IDENTITY_KEY_LEN`] bytes are exactly the encoding of
    /// `known` (version, both keys and the binding signature, byte for
    /// byte), the result is a copy of `known`, whose binding was checked
    /// strictly when it was made (every `IdentityKey` is either read
    /// through [`IdentityKey::read`] or built from its own key pair), so
    /// it is not checked again. Anything else, including the same keys
    /// under different signature bytes, is read and checked as by
    /// [`IdentityKey::read`], with the same errors.
    pub(crate) fn read_known(r: &mut Reader<'_>, known: Option<&IdentityKey>) -> Result<Self> {
        if let Some(k) = known
            && r.peek(IDENTITY_KEY_LEN) == Some(k.to_bytes().as_slice())
        {
            r.take(IDENTITY_KEY_LEN)?;
            return Ok(k.clone());
        }
        Self::read(r)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        if r.u8()? != IDENTITY_KEY_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let signing = VerifyingKey::from_bytes(&r.array()?).map_err(|_| DecodeError::InvalidKey)?;
        let dh = PublicKey::from(r.array::<32>()?);
        let binding = Signature::from_bytes(&r.array()?);
        signing
            .verify_strict(&binding_message(dh.as_bytes()), &binding)
            .map_err(|_| CryptoError::BadSignature)?;
        Ok(IdentityKey {
            signing,
            dh,
            binding,
        })
    }

    /// The Ed25519 public key bytes: the key that safety numbers and
    /// attestations are computed over.
    pub fn ed25519_bytes(&self) -> &[u8; 32] {
        self.signing.as_bytes()
    }

    /// The X25519 handshake key bytes.
    pub fn x25519_bytes(&self) -> &[u8; 32] {
        self.dh.as_bytes()
    }

    pub(crate) fn dh_public(&self) -> &PublicKey {
        &self.dh
    }

    /// Verifies `signature` over `context || message` strictly.
    pub(crate) fn verify(
        &self,
        context: &[u8],
        message: &[u8],
        signature: &[u8; 64],
    ) -> Result<()> {
        let mut m = Vec::with_capacity(context.len() + message.len());
        m.extend_from_slice(context);
        m.extend_from_slice(message);
        self.signing
            .verify_strict(&m, &Signature::from_bytes(signature))
            .map_err(|_| CryptoError::BadSignature.into())
    }

    /// The 64 bytes `ed25519 || x25519` used in handshake associated data.
    pub(crate) fn ad_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        let (a, b) = out.split_at_mut(32);
        a.copy_from_slice(self.signing.as_bytes());
        b.copy_from_slice(self.dh.as_bytes());
        out
    }
}

impl PartialEq for IdentityKey {
    fn eq(&self, other: &Self) -> bool {
        self.signing == other.signing && self.dh.as_bytes() == other.dh.as_bytes()
    }
}

impl Eq for IdentityKey {}

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentityKey(")?;
        crate::wire::codec::write_hex(f, self.signing.as_bytes().get(..8).unwrap_or_default())?;
        write!(f, "…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn seed_is_deterministic_and_round_trips() {
        let a = IdentityKeyPair::from_seed_bytes([1; 32]);
        let b = IdentityKeyPair::from_seed_bytes([1; 32]);
        assert_eq!(a.public(), b.public());
        let bytes = a.public().to_bytes();
        assert_eq!(bytes.len(), IDENTITY_KEY_LEN);
        assert_eq!(IdentityKey::from_bytes(&bytes).unwrap(), *a.public());
        assert_ne!(
            a.public(),
            IdentityKeyPair::from_seed_bytes([2; 32]).public()
        );
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        let a = IdentityKeyPair::from_seed_bytes([3; 32]);
        let bytes = a.public().to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes;
            b[i] ^= 0x01;
            assert!(IdentityKey::from_bytes(&b).is_err(), "byte {i}");
        }
        assert_eq!(
            IdentityKey::from_bytes(&bytes[..128]).unwrap_err(),
            Error::Decode(DecodeError::Truncated)
        );
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(
            IdentityKey::from_bytes(&long).unwrap_err(),
            Error::Decode(DecodeError::TrailingBytes)
        );
    }

    #[test]
    fn swapped_dh_key_fails_binding() {
        let a = IdentityKeyPair::from_seed_bytes([4; 32]);
        let b = IdentityKeyPair::from_seed_bytes([5; 32]);
        let mut bytes = a.public().to_bytes();
        bytes[33..65].copy_from_slice(b.public().x25519_bytes());
        assert_eq!(
            IdentityKey::from_bytes(&bytes).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
    }

    /// `a`'s Ed25519 key binding another X25519 key, signed by `a`.
    fn rebound(a: &IdentityKeyPair, other: &IdentityKeyPair) -> IdentityKey {
        let dh = *other.public().dh_public();
        IdentityKey {
            signing: a.signing.verifying_key(),
            dh,
            binding: a.signing.sign(&binding_message(dh.as_bytes())),
        }
    }

    #[test]
    fn a_known_identity_is_read_without_a_check_only_byte_for_byte() {
        let a = IdentityKeyPair::from_seed_bytes([9; 32]);
        let b = IdentityKeyPair::from_seed_bytes([10; 32]);
        let known = a.public();
        let read = |bytes: &[u8], known: Option<&IdentityKey>| {
            let mut r = Reader::new(bytes);
            let k = IdentityKey::read_known(&mut r, known)?;
            assert_eq!(r.remaining(), bytes.len() - IDENTITY_KEY_LEN);
            Ok::<_, Error>(k)
        };
        // Exactly the known encoding, with bytes after it.
        let mut bytes = known.to_bytes().to_vec();
        bytes.push(0x42);
        assert_eq!(
            read(&bytes, Some(known)).unwrap().to_bytes(),
            known.to_bytes()
        );
        // The known Ed25519 key binding another X25519 key, validly signed:
        // checked, and read as what it is.
        let other = rebound(&a, &b);
        let got = read(&other.to_bytes(), Some(known)).unwrap();
        assert_eq!(got.to_bytes(), other.to_bytes());
        assert_ne!(got, *known);
        // The same with the known key's signature: a forgery.
        let mut forged = other.to_bytes();
        forged[65..].copy_from_slice(&known.to_bytes()[65..]);
        assert_eq!(
            read(&forged, Some(known)).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
        // Every flipped bit fails, as it does without the known key.
        for i in 0..IDENTITY_KEY_LEN {
            let mut f = known.to_bytes();
            f[i] ^= 0x01;
            assert_eq!(
                read(&f, Some(known)).unwrap_err(),
                read(&f, None).unwrap_err()
            );
        }
        // A short input is truncated, not compared.
        assert_eq!(
            read(&known.to_bytes()[..128], Some(known)).unwrap_err(),
            Error::Decode(DecodeError::Truncated)
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let a = IdentityKeyPair::from_seed_bytes([6; 32]);
        let s = format!("{a:?}");
        assert!(s.starts_with("IdentityKeyPair { public: IdentityKey("));
        assert!(!s.contains("seed"));
    }

    #[test]
    fn sign_and_verify_with_context() {
        let a = IdentityKeyPair::from_seed_bytes([8; 32]);
        let sig = a.sign(b"ctx", b"msg").to_bytes();
        a.public().verify(b"ctx", b"msg", &sig).unwrap();
        assert!(a.public().verify(b"ctx2", b"msg", &sig).is_err());
    }
}
