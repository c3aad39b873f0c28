//! ML-KEM-1024 (FIPS 203), the post-quantum half of PQXDH.
//!
//! A KEM prekey is stored as its 64-byte seed `d || z` (FIPS 203
//! `ML-KEM.KeyGen_internal(d, z)`). In memory it is also kept expanded:
//! the seed must be expanded anyway to compute the public half when a key
//! is made or loaded, and keeping that expansion (4.2 KiB per key,
//! boxed so that it never moves) spares every handshake a key generation
//! (≈ 1.1 M instructions, a fifth of the responder's work). The expanded
//! key is wiped on drop (the `ml-kem` crate's `zeroize` feature: `s_hat`,
//! `d` and `z`). The
//! encapsulation randomness `m` (32 bytes) is drawn from the caller's RNG
//! and passed to FIPS 203 `ML-KEM.Encaps_internal(ek, m)`, so handshakes are
//! reproducible from their draws (the test vectors rely on it).
//!
//! Decapsulating a malformed or altered ciphertext does not fail: FIPS 203
//! implicit rejection returns a pseudorandom key derived from `z` and the
//! ciphertext, so the handshake derives a wrong secret and the first
//! message fails to authenticate (`DecryptFailed`), revealing nothing about
//! which check failed. Encapsulation keys are checked (FIPS 203 §7.2
//! modulus check) when a bundle is parsed.
//!
//! Why ML-KEM-1024: NIST category 5, as Signal's PQXDH uses; clinical
//! messages must stay confidential for decades, and the cost (1568-byte
//! keys and ciphertexts, against 1184/1088 for ML-KEM-768, the set the TLS
//! hybrid `X25519MLKEM768` chose to keep a ClientHello small) is paid only
//! in bundles and the first messages of a session.
//!
//! Why RustCrypto `ml-kem` 0.3 rather than `libcrux-ml-kem`: it uses the
//! `rand_core` 0.10 and `hybrid-array`/`sha3` stack the crate already
//! builds (no crate in two versions), it has a stable API rather than a
//! 0.0.x one pinning four `libcrux-*` crates to exact versions, its
//! decapsulation key wipes `d`, `z` and the decryption key on drop (feature
//! `zeroize`), and decapsulation selects the implicit-rejection key in
//! constant time (`ctutils`). libcrux's formal verification is a stronger
//! claim than `ml-kem`'s review and Wycheproof tests; the wrapper here is
//! small enough to swap if that becomes the deciding factor.

use crate::error::{DecodeError, Result};
use ml_kem::array::Array;
use ml_kem::{Decapsulate, DecapsulationKey, EncapsulationKey, KeyExport, MlKem1024};
use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

/// Bytes of an ML-KEM-1024 encapsulation key.
pub(crate) const KEM_PUBLIC_LEN: usize = 1568;
/// Bytes of an ML-KEM-1024 ciphertext.
pub(crate) const KEM_CIPHERTEXT_LEN: usize = 1568;
/// Bytes of a decapsulation-key seed `d || z`.
pub(crate) const KEM_SEED_LEN: usize = 64;

/// An ML-KEM-1024 key pair: its seed (what is stored), the decapsulation
/// key expanded from it (wiped on drop) and the public half.
pub(crate) struct KemKeyPair {
    seed: Zeroizing<[u8; KEM_SEED_LEN]>,
    expanded: Box<DecapsulationKey<MlKem1024>>,
    pub(crate) public: Box<[u8; KEM_PUBLIC_LEN]>,
}

impl KemKeyPair {
    /// 64 bytes from `rng`: `d` (32) then `z` (32).
    pub(crate) fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut seed = Zeroizing::new([0u8; KEM_SEED_LEN]);
        rng.fill_bytes(seed.as_mut_slice());
        Self::from_seed(&seed)
    }

    /// Expands the seed once; the expansion is kept for decapsulation.
    pub(crate) fn from_seed(seed: &[u8; KEM_SEED_LEN]) -> Self {
        let expanded = Box::new(decapsulation_key(seed));
        let mut public = Box::new([0u8; KEM_PUBLIC_LEN]);
        public.copy_from_slice(expanded.encapsulation_key().to_bytes().as_slice());
        KemKeyPair {
            seed: Zeroizing::new(*seed),
            expanded,
            public,
        }
    }

    /// The public half, parsed (for a bundle made from this pair).
    pub(crate) fn encapsulation_key(&self) -> &EncapsulationKey<MlKem1024> {
        self.expanded.encapsulation_key()
    }

    pub(crate) fn seed(&self) -> &[u8; KEM_SEED_LEN] {
        &self.seed
    }

    /// FIPS 203 `ML-KEM.Decaps`, with implicit rejection, with the key
    /// expanded when the pair was made or loaded.
    pub(crate) fn decapsulate(&self, ciphertext: &[u8; KEM_CIPHERTEXT_LEN]) -> Zeroizing<[u8; 32]> {
        let ct = Array::from(*ciphertext);
        let mut k = self.expanded.decapsulate(&ct);
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(k.as_slice());
        k.zeroize();
        out
    }
}

fn decapsulation_key(seed: &[u8; KEM_SEED_LEN]) -> DecapsulationKey<MlKem1024> {
    let mut s = Array::from(*seed);
    let dk = DecapsulationKey::<MlKem1024>::from_seed(s);
    s.zeroize();
    dk
}

/// Parses an encapsulation key, checking its encoding (FIPS 203 §7.2:
/// every coefficient below q). Boxed: it is 2.1 KiB and kept in a bundle.
pub(crate) fn parse_public(
    public: &[u8; KEM_PUBLIC_LEN],
) -> Result<Box<EncapsulationKey<MlKem1024>>> {
    EncapsulationKey::<MlKem1024>::new(&Array::from(*public))
        .map(Box::new)
        .map_err(|_| DecodeError::InvalidKey.into())
}

/// Checks an encapsulation key's encoding.
#[cfg(test)]
pub(crate) fn check_public(public: &[u8; KEM_PUBLIC_LEN]) -> Result<()> {
    parse_public(public).map(|_| ())
}

/// An ML-KEM-1024 ciphertext and the shared secret it encapsulates.
pub(crate) type Encapsulated = (Box<[u8; KEM_CIPHERTEXT_LEN]>, Zeroizing<[u8; 32]>);

/// FIPS 203 `ML-KEM.Encaps_internal(ek, m)`: the ciphertext and the shared
/// secret `SS`, for an encoded key (tests and the vector generator).
#[cfg(test)]
pub(crate) fn encapsulate(public: &[u8; KEM_PUBLIC_LEN], m: &[u8; 32]) -> Result<Encapsulated> {
    Ok(encapsulate_to(&*parse_public(public)?, m))
}

/// [`encapsulate`] to a key already parsed (a bundle's, checked when the
/// bundle was parsed), so the key is not decoded and hashed again.
pub(crate) fn encapsulate_to(ek: &EncapsulationKey<MlKem1024>, m: &[u8; 32]) -> Encapsulated {
    let mut m = Array::from(*m);
    let (ct, mut k) = ek.encapsulate_deterministic(&m);
    m.zeroize();
    let mut ciphertext = Box::new([0u8; KEM_CIPHERTEXT_LEN]);
    ciphertext.copy_from_slice(ct.as_slice());
    let mut ss = Zeroizing::new([0u8; 32]);
    ss.copy_from_slice(k.as_slice());
    k.zeroize();
    (ciphertext, ss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn round_trip_and_implicit_rejection() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let kp = KemKeyPair::generate(&mut rng);
        assert!(check_public(&kp.public).is_ok());
        let (ct, ss) = encapsulate(&kp.public, &[7; 32]).unwrap();
        assert_eq!(*kp.decapsulate(&ct), *ss);
        // Deterministic in (ek, m).
        let (ct2, ss2) = encapsulate(&kp.public, &[7; 32]).unwrap();
        assert_eq!(ct, ct2);
        assert_eq!(*ss, *ss2);
        // A tampered ciphertext decapsulates to another key, no error.
        let mut bad = ct.clone();
        bad[100] ^= 1;
        let rejected = kp.decapsulate(&bad);
        assert_ne!(*rejected, *ss);
        // ... and the same one each time (it depends on z and the ciphertext).
        assert_eq!(*kp.decapsulate(&bad), *rejected);
        // The public key is a function of the seed, and so is the kept
        // expansion: a pair loaded from the seed decapsulates alike.
        let again = KemKeyPair::from_seed(kp.seed());
        assert_eq!(again.public, kp.public);
        assert_eq!(*again.decapsulate(&ct), *ss);
        assert_eq!(*again.decapsulate(&bad), *rejected);
    }

    #[test]
    fn out_of_range_public_key_is_refused() {
        // 12-bit coefficients of 0xFFF exceed q = 3329.
        let bad = [0xFFu8; KEM_PUBLIC_LEN];
        assert_eq!(
            check_public(&bad).unwrap_err(),
            DecodeError::InvalidKey.into()
        );
        assert!(encapsulate(&bad, &[0; 32]).is_err());
    }
}
