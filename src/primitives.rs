//! The primitive operations, each in one place, with its label.
//!
//! Every HKDF `info` string and signature context in the protocol is a
//! constant here, so `docs/PROTOCOL.md` and the code cannot drift apart
//! silently (a test pins each value).

use crate::error::{CryptoError, Result};
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

/// HKDF info for deriving the Ed25519 seed from an identity seed.
pub(crate) const LABEL_IDENTITY_ED25519: &[u8] = b"bleep v1 identity ed25519";
/// HKDF info for deriving the X25519 secret from an identity seed.
pub(crate) const LABEL_IDENTITY_X25519: &[u8] = b"bleep v1 identity x25519";
/// Signature context binding an identity's X25519 key to its Ed25519 key.
pub(crate) const LABEL_IDENTITY_BINDING: &[u8] = b"bleep v1 identity binding";
/// Signature context of a signed prekey.
pub(crate) const LABEL_SIGNED_PREKEY: &[u8] = b"bleep v1 signed prekey";
/// Signature context of a signed prekey with the cipher suites the
/// responder accepts (version-3 bundles).
pub(crate) const LABEL_SIGNED_PREKEY_SUITES: &[u8] = b"bleep v3 signed prekey cipher suites";
/// HKDF info of the X3DH shared secret.
pub(crate) const LABEL_X3DH: &[u8] = b"bleep v1 x3dh";
/// Signature context of an ML-KEM prekey (last-resort or one-time).
pub(crate) const LABEL_KEM_PREKEY: &[u8] = b"bleep v2 kem prekey";
/// HKDF info of the PQXDH shared secret (X25519, SHA-256, ML-KEM-1024).
pub(crate) const LABEL_PQXDH: &[u8] = b"bleep v2 pqxdh x25519 sha256 mlkem1024";
/// HKDF info of the root KDF.
pub(crate) const LABEL_ROOT: &[u8] = b"bleep v1 root";
/// Signature context of an organisation's attestation of an identity key.
pub(crate) const LABEL_ATTESTATION: &[u8] = b"bleep v1 attestation";
/// Signature context of an organisation's revocation list.
pub(crate) const LABEL_REVOCATION_LIST: &[u8] = b"bleep v1 revocation list";

/// X25519 with the contributory check: a low-order peer key (which makes
/// the result independent of our secret) is rejected.
pub(crate) fn dh(secret: &StaticSecret, public: &PublicKey) -> Result<Zeroizing<[u8; 32]>> {
    let shared = secret.diffie_hellman(public);
    if !shared.was_contributory() {
        return Err(CryptoError::NonContributory.into());
    }
    Ok(Zeroizing::new(shared.to_bytes()))
}

/// HKDF-SHA256 with a 32-byte output.
pub(crate) fn hkdf32(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf_fill(salt, ikm, info, out.as_mut_slice());
    out
}

/// HKDF-SHA256 filling `out` (at most 255 × 32 bytes; callers use ≤ 64).
pub(crate) fn hkdf_fill(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    let hk = Hkdf::<Sha256>::new(Some(salt), ikm);
    // Only fails when `out` is longer than 8160 bytes; every caller asks for
    // a fixed 32 or 64.
    if hk.expand(info, out).is_err() {
        out.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_pinned() {
        assert_eq!(LABEL_X3DH, b"bleep v1 x3dh");
        assert_eq!(LABEL_ROOT, b"bleep v1 root");
        assert_eq!(LABEL_SIGNED_PREKEY, b"bleep v1 signed prekey");
        assert_eq!(
            LABEL_SIGNED_PREKEY_SUITES,
            b"bleep v3 signed prekey cipher suites"
        );
        assert_eq!(LABEL_IDENTITY_BINDING, b"bleep v1 identity binding");
        assert_eq!(LABEL_KEM_PREKEY, b"bleep v2 kem prekey");
        assert_eq!(LABEL_PQXDH, b"bleep v2 pqxdh x25519 sha256 mlkem1024");
    }

    #[test]
    fn verification_labels_are_pinned() {
        assert_eq!(LABEL_ATTESTATION, b"bleep v1 attestation");
        assert_eq!(LABEL_REVOCATION_LIST, b"bleep v1 revocation list");
    }

    #[test]
    fn low_order_point_is_rejected() {
        let s = StaticSecret::from([7u8; 32]);
        assert_eq!(
            dh(&s, &PublicKey::from([0u8; 32])).unwrap_err(),
            CryptoError::NonContributory.into()
        );
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(dh(&s, &PublicKey::from(one)).is_err());
        let other = StaticSecret::from([9u8; 32]);
        let a = dh(&s, &PublicKey::from(&other)).unwrap();
        let b = dh(&other, &PublicKey::from(&s)).unwrap();
        assert_eq!(*a, *b);
    }

    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let mut okm = [0u8; 42];
        hkdf_fill(&salt, &ikm, &info, &mut okm);
        assert_eq!(okm[..8], [0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a]);
    }
}
