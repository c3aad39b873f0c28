//! Shared by the group tests: a group message re-signed with a
//! mixed-order `R`, which only the sender chain's key holder can make.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// The label every group message signature covers first (§9.5).
pub(crate) const LABEL: &[u8] = b"bleep v1 group message";

/// `bytes` (a group message) with its signature replaced by one whose `R`
/// is `[r]B + EIGHT_TORSION[torsion]` and whose `s = r + k·a` is valid for
/// that `R` under the chain signing key with seed `seed`, `r` =
/// `SHA-512(nonce) mod ℓ`. Cofactored verification accepts it; strict
/// verification (`R` must equal `[s]B − [k]A`) refuses it.
pub(crate) fn resign_mixed_order(
    bytes: &[u8],
    seed: &[u8; 32],
    nonce: &[u8],
    torsion: usize,
) -> Vec<u8> {
    let key = ed25519_dalek::SigningKey::from_bytes(seed);
    let (signed, _) = bytes.split_at(bytes.len() - 64);
    let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest(nonce).into());
    let big_r = (EdwardsPoint::mul_base(&r) + EIGHT_TORSION[torsion]).compress();
    let mut h = Sha512::new();
    h.update(big_r.as_bytes());
    h.update(key.verifying_key().as_bytes());
    h.update(LABEL);
    h.update(signed);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    let s = r + k * key.to_scalar();
    let mut out = signed.to_vec();
    out.extend_from_slice(big_r.as_bytes());
    out.extend_from_slice(s.as_bytes());
    out
}

/// Whether strict Ed25519 accepts the signature of group message `bytes`
/// under the key with seed `seed`.
pub(crate) fn strict_accepts(bytes: &[u8], seed: &[u8; 32]) -> bool {
    let key = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
    let (signed, sig) = bytes.split_at(bytes.len() - 64);
    let mut m = LABEL.to_vec();
    m.extend_from_slice(signed);
    key.verify_strict(
        &m,
        &ed25519_dalek::Signature::from_bytes(sig.try_into().unwrap()),
    )
    .is_ok()
}

/// The cofactored check of `docs/PROTOCOL.md` §9.5 written out from the
/// primitives: `s < ℓ`, `R` canonical and not of small order,
/// `[8]([s]B − R − [k]A) = 0`.
pub(crate) fn cofactored_accepts(bytes: &[u8], seed: &[u8; 32]) -> bool {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::traits::IsIdentity;
    let key = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
    let (signed, sig) = bytes.split_at(bytes.len() - 64);
    let r_bytes: [u8; 32] = sig[..32].try_into().unwrap();
    let Some(s) =
        Option::<Scalar>::from(Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()))
    else {
        return false;
    };
    let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
        return false;
    };
    if r.compress().to_bytes() != r_bytes || r.is_small_order() {
        return false;
    }
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(key.as_bytes());
    h.update(LABEL);
    h.update(signed);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    (EdwardsPoint::mul_base(&s) - r - k * key.to_edwards())
        .mul_by_cofactor()
        .is_identity()
}
