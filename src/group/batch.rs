//! Ed25519 batch verification of group message signatures, for catching
//! up on queued messages ([`crate::GroupSession::decrypt_batch`]).
//!
//! One batch check costs about half of the strict checks it replaces
//! (the multiscalar multiplication shares its doublings across the
//! batch). It is used only where it cannot accept a signature that
//! strict verification ([`ed25519_dalek::VerifyingKey::verify_strict`],
//! what [`crate::GroupSession::decrypt`] uses) rejects; see
//! [`batch_safe`] and `docs/PROTOCOL.md` §9.5. Every signature that is
//! not batch-safe, and every signature of a batch that fails, is checked
//! on its own with strict verification, so a bad message is named.

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, VerifyingKey};
use std::collections::BTreeMap;

/// At most this many signatures go into one batch check: bounds the
/// multiscalar multiplication's working memory whatever the caller
/// passes; past about a hundred signatures the saving per signature
/// hardly grows.
pub(crate) const MAX_BATCH: usize = 256;

/// One signature to check: `context || message` under `key`.
pub(crate) struct Item<'a> {
    pub(crate) key: VerifyingKey,
    pub(crate) message: &'a [u8],
    pub(crate) signature: [u8; 64],
}

/// Whether each item's signature verifies strictly, as
/// `key.verify_strict(context || message, signature)` would say.
pub(crate) fn verify_all(context: &[u8], items: &[Item<'_>]) -> Vec<bool> {
    let signed: Vec<Vec<u8>> = items
        .iter()
        .map(|i| {
            let mut m = Vec::with_capacity(context.len() + i.message.len());
            m.extend_from_slice(context);
            m.extend_from_slice(i.message);
            m
        })
        .collect();
    let signatures: Vec<Signature> = items
        .iter()
        .map(|i| Signature::from_bytes(&i.signature))
        .collect();
    let strict = |n: usize| match (items.get(n), signed.get(n), signatures.get(n)) {
        (Some(i), Some(m), Some(s)) => i.key.verify_strict(m, s).is_ok(),
        _ => false,
    };
    let mut keys_safe: BTreeMap<[u8; 32], bool> = BTreeMap::new();
    let mut out = vec![false; items.len()];
    let mut batch: Vec<usize> = Vec::new();
    for (n, (item, sig)) in items.iter().zip(&signatures).enumerate() {
        let key_safe = *keys_safe
            .entry(*item.key.as_bytes())
            .or_insert_with(|| key_batch_safe(&item.key));
        if key_safe && r_batch_safe(sig) {
            batch.push(n);
        } else if let Some(o) = out.get_mut(n) {
            *o = strict(n);
        }
    }
    for chunk in batch.chunks(MAX_BATCH) {
        let ok = match chunk {
            [] => false,
            [one] => strict(*one),
            _ => {
                let m: Vec<&[u8]> = chunk
                    .iter()
                    .filter_map(|&n| signed.get(n).map(Vec::as_slice))
                    .collect();
                let s: Vec<Signature> = chunk
                    .iter()
                    .filter_map(|&n| signatures.get(n).copied())
                    .collect();
                let k: Vec<VerifyingKey> = chunk
                    .iter()
                    .filter_map(|&n| items.get(n).map(|i| i.key))
                    .collect();
                ed25519_dalek::verify_batch(&m, &s, &k).is_ok()
            }
        };
        for &n in chunk {
            if let Some(o) = out.get_mut(n) {
                // A failed batch names its bad signatures one by one.
                *o = ok || strict(n);
            }
        }
    }
    out
}

/// A key that strict verification accepts and whose batch equation
/// cannot hide a small-order component: not of small order (strict
/// verification refuses those) and in the prime-order subgroup.
fn key_batch_safe(key: &VerifyingKey) -> bool {
    let point = key.to_edwards();
    !point.is_small_order() && point.is_torsion_free()
}

/// A signature whose `R` strict verification could accept: the canonical
/// encoding of a point (strict verification compares encodings, while the
/// batch decodes `R` and would take a non-canonical encoding of the same
/// point) that is not of small order (refused by strict verification).
fn r_batch_safe(signature: &Signature) -> bool {
    let r = CompressedEdwardsY(*signature.r_bytes());
    r.decompress()
        .is_some_and(|p| p.compress() == r && !p.is_small_order())
}

#[cfg(test)]
mod tests {
    use super::*;
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
        verify_all(b"ctx", &it)
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
        sigs[MAX_BATCH + 1][5] ^= 1;
        let got = check(&keys, &msgs, &sigs);
        assert_eq!(got.iter().filter(|ok| !**ok).count(), 1);
        assert!(!got[MAX_BATCH + 1]);
    }

    #[test]
    fn r_encodings_the_batch_would_accept_are_refused() {
        let (_, _, sigs) = items(1);
        let sig = Signature::from_bytes(&sigs[0]);
        assert!(r_batch_safe(&sig));
        // The identity (small order), canonical and not.
        let mut small = sigs[0];
        small[..32].copy_from_slice(&[0; 32]);
        small[0] = 1;
        assert!(!r_batch_safe(&Signature::from_bytes(&small)));
        // y = p + 1 is a non-canonical encoding of the identity's y.
        let mut non_canonical = [0xFFu8; 32];
        non_canonical[0] = 0xEE;
        non_canonical[31] = 0x7F;
        small[..32].copy_from_slice(&non_canonical);
        assert!(!r_batch_safe(&Signature::from_bytes(&small)));
        // x = 0 with the sign bit set ("negative zero").
        let mut neg_zero = [0u8; 32];
        neg_zero[0] = 1;
        neg_zero[31] = 0x80;
        small[..32].copy_from_slice(&neg_zero);
        assert!(!r_batch_safe(&Signature::from_bytes(&small)));
    }
}
