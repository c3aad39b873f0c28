//! Cofactored Ed25519 verification of group message signatures, one at a
//! time ([`verify_one`], for [`crate::GroupSession::decrypt`]) and in
//! batches ([`verify_all`], for [`crate::GroupSession::decrypt_batch`]).
//!
//! Both apply the rule of `docs/PROTOCOL.md` §9.5: a signature `(R, s)`
//! by key `A` over `M` is valid iff `s < ℓ`, `R` is the canonical
//! encoding of a point not of small order, `A` is not of small order, and
//! `[8]([s]B − R − [k]A)` is the identity, `k = SHA-512(R ‖ A ‖ M) mod ℓ`.
//! Only the cofactored equation lets a batch accept exactly what single
//! verification accepts: strict Ed25519 (`verify_strict`) and
//! ed25519-dalek's `verify_batch` (cofactorless, random linear
//! combination) disagree on signatures whose `R` has a small-order
//! component, which the batch accepts about half the time.
//!
//! This is hand-rolled on curve25519-dalek rather than taken from
//! ed25519-dalek for two reasons: its batch is not cofactored, and it
//! cannot coalesce the key terms. Here the batch equation
//!
//! `[8]( [Σ z_i s_i]B − Σ z_i R_i − Σ_j [Σ_{i by j} z_i k_i] A_j ) = 0`
//!
//! has one term per distinct signing key rather than one per signature
//! (100 messages from 10 senders: 1 + 100 + 10 points instead of 201),
//! and its `R` coefficients are 128 bits, so one variable-time
//! multiscalar multiplication costs a fraction of the strict checks it
//! replaces. No secret is involved: everything here is public.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha512};
use std::collections::BTreeMap;

/// At most this many signatures go into one batch check: bounds the
/// multiscalar multiplication's working memory whatever the caller
/// passes; past about a hundred signatures the saving per signature
/// hardly grows.
pub(crate) const MAX_BATCH: usize = 256;

/// Domain separation of the batch coefficients' hash.
const COEFFICIENTS_LABEL: &[u8] = b"bleep v1 group batch coefficients";

/// One signature to check: `context || message` under `key`.
pub(crate) struct Item<'a> {
    pub(crate) key: VerifyingKey,
    pub(crate) message: &'a [u8],
    pub(crate) signature: [u8; 64],
}

/// A signature whose encodings passed the checks, ready for the equation.
struct Prepared {
    /// The item's index.
    n: usize,
    r: EdwardsPoint,
    r_bytes: [u8; 32],
    s: Scalar,
    /// `SHA-512(R ‖ A ‖ context ‖ message) mod ℓ`.
    k: Scalar,
    /// The signing key's point (checked not of small order).
    a: EdwardsPoint,
    a_bytes: [u8; 32],
}

/// Whether `(context || message, signature)` verifies under `key` by the
/// cofactored rule above.
pub(crate) fn verify_one(
    context: &[u8],
    message: &[u8],
    key: &VerifyingKey,
    signature: &[u8; 64],
) -> bool {
    key_point(key).is_some_and(|a| {
        prepare(0, context, message, a, key.as_bytes(), signature).is_some_and(|p| single(&p))
    })
}

/// Whether each item's signature verifies, exactly as [`verify_one`] would
/// say for it (a batch that fails is checked one signature at a time).
pub(crate) fn verify_all(context: &[u8], items: &[Item<'_>]) -> Vec<bool> {
    let mut out = vec![false; items.len()];
    let mut keys: BTreeMap<[u8; 32], Option<EdwardsPoint>> = BTreeMap::new();
    let mut ready: Vec<Prepared> = Vec::with_capacity(items.len().min(MAX_BATCH));
    let flush = |ready: &mut Vec<Prepared>, out: &mut Vec<bool>| {
        let ok = batch(ready);
        for p in ready.drain(..) {
            if let Some(o) = out.get_mut(p.n) {
                *o = ok || single(&p);
            }
        }
    };
    for (n, item) in items.iter().enumerate() {
        let a = *keys
            .entry(*item.key.as_bytes())
            .or_insert_with(|| key_point(&item.key));
        let prepared = a.and_then(|a| {
            prepare(
                n,
                context,
                item.message,
                a,
                item.key.as_bytes(),
                &item.signature,
            )
        });
        // A signature whose encodings fail is refused alone; it never
        // reaches an equation.
        if let Some(p) = prepared {
            ready.push(p);
            if ready.len() == MAX_BATCH {
                flush(&mut ready, &mut out);
            }
        }
    }
    flush(&mut ready, &mut out);
    out
}

/// The key's point, unless it is of small order (such a key is refused at
/// distribution already; checked again here, as it would let anyone sign).
fn key_point(key: &VerifyingKey) -> Option<EdwardsPoint> {
    let a = key.to_edwards();
    (!a.is_small_order()).then_some(a)
}

/// The encoding checks and the hash: `s < ℓ`, `R` the canonical encoding
/// of a point not of small order.
fn prepare(
    n: usize,
    context: &[u8],
    message: &[u8],
    a: EdwardsPoint,
    a_bytes: &[u8; 32],
    signature: &[u8; 64],
) -> Option<Prepared> {
    let (r_part, s_part) = signature.split_first_chunk::<32>()?;
    let s_bytes: [u8; 32] = s_part.try_into().ok()?;
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    let r_bytes = *r_part;
    if !canonical_y(&r_bytes) {
        return None;
    }
    // A canonical `y` with `x = 0` and the sign bit set ("negative zero")
    // decodes to the identity or the point of order 2, refused as small.
    let r = CompressedEdwardsY(r_bytes).decompress()?;
    if r.is_small_order() {
        return None;
    }
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(a_bytes);
    h.update(context);
    h.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    Some(Prepared {
        n,
        r,
        r_bytes,
        s,
        k,
        a,
        a_bytes: *a_bytes,
    })
}

/// Whether the 255-bit `y` of an encoded point is below `p = 2^255 − 19`
/// (the sign bit, bit 255, is not part of `y`).
fn canonical_y(bytes: &[u8; 32]) -> bool {
    // y ≥ p only if bits 8..254 are all ones and the low byte is ≥ 0xED.
    let high_ones = bytes
        .get(1..31)
        .is_some_and(|m| m.iter().all(|&b| b == 0xFF))
        && bytes.get(31).is_some_and(|&b| b & 0x7F == 0x7F);
    !(high_ones && bytes.first().is_some_and(|&b| b >= 0xED))
}

/// The single equation: `[8]([s]B − [k]A − R) = 0`.
fn single(p: &Prepared) -> bool {
    let sb_minus_ka = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-p.k, &p.a, &p.s);
    (sb_minus_ka - p.r).mul_by_cofactor().is_identity()
}

/// The batch equation over `ready` (at most [`MAX_BATCH`] signatures), one
/// key term per distinct key. An empty batch is not a success.
fn batch(ready: &[Prepared]) -> bool {
    match ready {
        [] => return false,
        [one] => return single(one),
        _ => {}
    }
    let z = coefficients(ready);
    let mut b = Scalar::ZERO;
    // Key terms, in first-seen order: index by key bytes.
    let mut key_index: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    let mut key_scalars: Vec<Scalar> = Vec::new();
    let mut key_points: Vec<EdwardsPoint> = Vec::new();
    let mut scalars: Vec<Scalar> = Vec::with_capacity(1 + ready.len());
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(1 + ready.len());
    scalars.push(Scalar::ZERO);
    points.push(ED25519_BASEPOINT_POINT);
    for (p, z) in ready.iter().zip(&z) {
        b += z * p.s;
        scalars.push(-z);
        points.push(p.r);
        let j = *key_index.entry(p.a_bytes).or_insert_with(|| {
            key_scalars.push(Scalar::ZERO);
            key_points.push(p.a);
            key_scalars.len() - 1
        });
        if let Some(c) = key_scalars.get_mut(j) {
            *c -= z * p.k;
        }
    }
    if let Some(first) = scalars.first_mut() {
        *first = b;
    }
    scalars.extend(key_scalars);
    points.extend(key_points);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points)
        .mul_by_cofactor()
        .is_identity()
}

/// The batch's 128-bit coefficients, derived from everything checked: `T
/// = SHA-512(label ‖ for each: R ‖ s ‖ k)` (`k` covers the key and the
/// message), then four coefficients per block `SHA-512(T ‖ u32 j)`. A
/// forger would have to find a batch whose coefficients cancel its
/// errors, chance 2^-128 per try.
fn coefficients(ready: &[Prepared]) -> Vec<Scalar> {
    let mut t = Sha512::new();
    t.update(COEFFICIENTS_LABEL);
    for p in ready {
        t.update(p.r_bytes);
        t.update(p.s.as_bytes());
        t.update(p.k.as_bytes());
    }
    let t = t.finalize();
    let mut z = Vec::with_capacity(ready.len());
    let mut block: u32 = 0;
    while z.len() < ready.len() {
        let mut h = Sha512::new();
        h.update(t);
        h.update(block.to_be_bytes());
        let out: [u8; 64] = h.finalize().into();
        for c in out.chunks_exact(16).take(ready.len() - z.len()) {
            let mut w = [0u8; 16];
            w.copy_from_slice(c);
            z.push(Scalar::from(u128::from_le_bytes(w)));
        }
        block = block.wrapping_add(1);
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer, SigningKey};

    fn items(n: usize) -> (Vec<SigningKey>, Vec<Vec<u8>>, Vec<[u8; 64]>) {
        let keys: Vec<_> = (0..3u8)
            .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
            .collect();
        let msgs: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 40 + i]).collect();
        let sigs = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut full = b"ctx".to_vec();
                full.extend_from_slice(m);
                keys[i % 3].sign(&full).to_bytes()
            })
            .collect();
        (keys, msgs, sigs)
    }

    fn check(keys: &[SigningKey], msgs: &[Vec<u8>], sigs: &[[u8; 64]]) -> Vec<bool> {
        let it: Vec<_> = msgs
            .iter()
            .zip(sigs)
            .enumerate()
            .map(|(i, (m, s))| Item {
                key: keys[i % keys.len()].verifying_key(),
                message: m,
                signature: *s,
            })
            .collect();
        let all = verify_all(b"ctx", &it);
        for (i, item) in it.iter().enumerate() {
            assert_eq!(
                all[i],
                verify_one(b"ctx", item.message, &item.key, &item.signature),
                "item {i}: batch and single disagree"
            );
        }
        all
    }

    /// Signs `ctx || m` with `R = [r]B + torsion` and a valid `s` for that
    /// `R`: what only the key holder can make.
    fn mixed(key: &SigningKey, m: &[u8], torsion: usize, r: u8) -> [u8; 64] {
        let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest([r; 7]).into());
        let big_r = (EdwardsPoint::mul_base(&r) + EIGHT_TORSION[torsion]).compress();
        let mut h = Sha512::new();
        h.update(big_r.as_bytes());
        h.update(key.verifying_key().as_bytes());
        h.update(b"ctx");
        h.update(m);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let s = r + k * key.to_scalar();
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(big_r.as_bytes());
        sig[32..].copy_from_slice(s.as_bytes());
        sig
    }

    #[test]
    fn good_batches_pass_and_bad_signatures_are_named() {
        let (keys, msgs, mut sigs) = items(20);
        assert_eq!(check(&keys, &msgs, &sigs), vec![true; 20]);
        sigs[3][0] ^= 1;
        sigs[17][40] ^= 1;
        let got = check(&keys, &msgs, &sigs);
        for (i, ok) in got.iter().enumerate() {
            assert_eq!(*ok, i != 3 && i != 17, "{i}");
        }
        assert!(check(&keys, &[], &[]).is_empty());
        assert_eq!(check(&keys, &msgs[..1], &sigs[..1]), vec![true]);
    }

    #[test]
    fn batches_are_cut_at_the_limit() {
        let (keys, msgs, mut sigs) = items(MAX_BATCH + 3);
        assert_eq!(check(&keys, &msgs, &sigs), vec![true; MAX_BATCH + 3]);
        sigs[MAX_BATCH + 1][5] ^= 1;
        let got = check(&keys, &msgs, &sigs);
        assert_eq!(got.iter().filter(|ok| !**ok).count(), 1);
        assert!(!got[MAX_BATCH + 1]);
    }

    #[test]
    fn mixed_order_r_is_accepted_by_both_every_time_and_refused_by_strict() {
        let (keys, msgs, mut sigs) = items(12);
        for round in 0..64u8 {
            for t in 1..8 {
                let i = usize::from(round) % 12;
                let m = msgs[i].clone();
                sigs[i] = mixed(&keys[i % 3], &m, t, round);
                let mut full = b"ctx".to_vec();
                full.extend_from_slice(&m);
                let strict = keys[i % 3]
                    .verifying_key()
                    .verify_strict(&full, &ed25519_dalek::Signature::from_bytes(&sigs[i]));
                assert!(strict.is_err());
                assert_eq!(check(&keys, &msgs, &sigs), vec![true; 12], "{round}/{t}");
            }
        }
    }

    #[test]
    fn bad_encodings_are_refused_by_both() {
        let (keys, msgs, sigs) = items(6);
        // ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let ell: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut cases = Vec::new();
        // s + ℓ: the same equation, a non-canonical s.
        let mut c = sigs[1];
        let s = Scalar::from_canonical_bytes(c[32..].try_into().unwrap()).unwrap();
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for j in 0..32 {
            let v = u16::from(s.as_bytes()[j]) + u16::from(ell[j]) + carry;
            sum[j] = v as u8;
            carry = v >> 8;
        }
        c[32..].copy_from_slice(&sum);
        cases.push(c);
        // R: the identity, the point of order 2, negative zero, and a
        // non-canonical y (p + 1, the identity's y).
        for r in [
            {
                let mut b = [0u8; 32];
                b[0] = 1;
                b
            },
            {
                let mut b = [0xFFu8; 32];
                b[0] = 0xEC;
                b[31] = 0x7F;
                b
            },
            {
                let mut b = [0u8; 32];
                b[0] = 1;
                b[31] = 0x80;
                b
            },
            {
                let mut b = [0xFFu8; 32];
                b[0] = 0xEE;
                b[31] = 0x7F;
                b
            },
        ] {
            let mut c = sigs[1];
            c[..32].copy_from_slice(&r);
            cases.push(c);
        }
        for case in cases {
            let mut s = sigs.clone();
            s[1] = case;
            let got = check(&keys, &msgs, &s);
            assert_eq!(got, vec![true, false, true, true, true, true]);
        }
        // A small-order key refuses everything under it.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = VerifyingKey::from_bytes(&identity).unwrap();
        assert!(!verify_one(b"ctx", &msgs[0], &weak, &sigs[0]));
    }

    #[test]
    fn canonical_y_matches_a_decode_encode_round_trip() {
        let mut cases: Vec<[u8; 32]> = Vec::new();
        for low in [0x00u8, 0x01, 0xEC, 0xED, 0xEE, 0xFF] {
            for top in [0x7Fu8, 0xFF, 0x00, 0x80] {
                let mut b = [0xFFu8; 32];
                b[0] = low;
                b[31] = top;
                cases.push(b);
                let mut b = [0u8; 32];
                b[0] = low;
                b[31] = top;
                cases.push(b);
            }
        }
        for i in 0..200u8 {
            cases.push(Sha512::digest([i]).as_slice()[..32].try_into().unwrap());
        }
        for b in cases {
            let c = CompressedEdwardsY(b);
            if let Some(p) = c.decompress() {
                let round_trip = p.compress() == c;
                // Negative zero is the only other non-round-trip, and it
                // is a small-order point.
                assert!(
                    round_trip == canonical_y(&b) || p.is_small_order(),
                    "{b:02x?}"
                );
            }
        }
    }
}
