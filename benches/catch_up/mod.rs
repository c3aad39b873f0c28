//! The group catch-up workload and its primitive floors, shared by the
//! criterion suite (`group`) and the instruction counter (`instructions`):
//! 100 queued 1 KiB group messages from 10 senders (10 each, interleaved),
//! received by a member that holds every sender's chain.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use bleep::{
    GroupId, GroupSession, IdentityKeyPair, OutgoingMessage, PeerId, Roster, TrustPolicy,
    TrustStore, VerifiedIdentity,
};
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::{Signature, VerifyingKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha2::{Digest, Sha512};
use std::hint::black_box;

pub(crate) const SENDERS: usize = 10;
pub(crate) const QUEUED: usize = 100;
const LABEL: &[u8] = b"bleep v1 group message";

pub(crate) struct CatchUp {
    rng: ChaCha20Rng,
    receiver: IdentityKeyPair,
    roster: Roster,
    verified: Vec<VerifiedIdentity>,
    distributions: Vec<Vec<u8>>,
    /// The queued messages, as received.
    pub(crate) queue: Vec<Vec<u8>>,
    /// For the floors: each message's signing key (its chain's), the
    /// signed bytes with the label in front, its signature, and an AEAD
    /// ciphertext of the same length under a fixed key that opens.
    keys: Vec<VerifyingKey>,
    signed: Vec<Vec<u8>>,
    signatures: Vec<[u8; 64]>,
    sealed: Vec<(Vec<u8>, [u8; 16])>,
}

/// Member `i`'s identity, from a fixed seed.
pub(crate) fn identity(i: usize) -> IdentityKeyPair {
    let mut seed = [0x42; 32];
    seed[..8].copy_from_slice(&(i as u64).to_be_bytes());
    IdentityKeyPair::from_seed_bytes(seed)
}

/// `n` identities, a roster of group `id` signed by the first with the
/// others as members, and one trust store's proof for each identity.
pub(crate) fn members(
    n: usize,
    id: GroupId,
) -> (Vec<IdentityKeyPair>, Roster, Vec<VerifiedIdentity>) {
    let ids: Vec<_> = (0..n).map(identity).collect();
    let members: Vec<_> = ids[1..].iter().map(|k| k.public().clone()).collect();
    let roster = Roster::create(&ids[0], id, &members).unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let verified: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, k)| {
            trust
                .check(&PeerId::new(format!("member {i}")).unwrap(), k.public())
                .unwrap()
        })
        .collect();
    (ids, roster, verified)
}

const FLOOR_KEY: [u8; 32] = [9; 32];
const FLOOR_NONCE: [u8; 24] = [3; 24];

pub(crate) fn catch_up() -> CatchUp {
    let mut rng = ChaCha20Rng::seed_from_u64(100);
    let (ids, roster, verified) = members(SENDERS + 1, GroupId([2; 16]));
    let mut senders = Vec::new();
    let mut distributions = Vec::new();
    for id in &ids[1..] {
        let (s, p) = GroupSession::join(&mut rng, id, roster.clone(), &verified[0]).unwrap();
        senders.push(s);
        distributions.push(p.message.as_bytes().to_vec());
    }
    let body = vec![0x5Au8; 1024];
    let queue: Vec<Vec<u8>> = (0..QUEUED)
        .map(|i| {
            senders[i % SENDERS]
                .encrypt(&mut rng, OutgoingMessage::new(&body, 1))
                .unwrap()
                .bytes
        })
        .collect();
    let chain_keys: Vec<VerifyingKey> = distributions
        .iter()
        .map(|d| VerifyingKey::from_bytes(d[102..134].try_into().unwrap()).unwrap())
        .collect();
    let keys = (0..QUEUED).map(|i| chain_keys[i % SENDERS]).collect();
    let signed = queue
        .iter()
        .map(|m| {
            let mut v = LABEL.to_vec();
            v.extend_from_slice(&m[..m.len() - 64]);
            v
        })
        .collect();
    let signatures = queue
        .iter()
        .map(|m| m[m.len() - 64..].try_into().unwrap())
        .collect();
    let aead = XChaCha20Poly1305::new(&FLOOR_KEY.into());
    let sealed = queue
        .iter()
        .map(|m| {
            // Header and nonce (90), tag (16) and signature (64) around it.
            let mut ct = m[90..m.len() - 80].to_vec();
            let tag = aead
                .encrypt_inout_detached(
                    &XNonce::from(FLOOR_NONCE),
                    &m[..90],
                    ct.as_mut_slice().into(),
                )
                .unwrap();
            (ct, tag.into())
        })
        .collect();
    CatchUp {
        rng,
        receiver: ids.into_iter().next().unwrap(),
        roster,
        verified,
        distributions,
        queue,
        keys,
        signed,
        signatures,
        sealed,
    }
}

impl CatchUp {
    /// The receiver as it was before the queue: every sender's chain
    /// installed at the position the first queued message uses.
    pub(crate) fn fresh(&mut self) -> GroupSession {
        let (mut s, _) =
            GroupSession::join_as_coordinator(&mut self.rng, &self.receiver, self.roster.clone())
                .unwrap();
        for (i, d) in self.distributions.iter().enumerate() {
            s.process_distribution(&self.verified[i + 1], d).unwrap();
        }
        s
    }

    /// The AEAD opens both floors contain: the same lengths, one copy each.
    fn open_all(&self, aead: &XChaCha20Poly1305) {
        for (m, (ct, tag)) in self.queue.iter().zip(&self.sealed) {
            let mut buf = ct.clone();
            aead.decrypt_inout_detached(
                &XNonce::from(FLOOR_NONCE),
                &m[..90],
                buf.as_mut_slice().into(),
                &(*tag).into(),
            )
            .unwrap();
            black_box(buf);
        }
    }

    /// Floor of one at a time: per message, one strict Ed25519
    /// verification (ed25519-dalek) and one AEAD open.
    pub(crate) fn floor_one_at_a_time(&self) {
        let aead = XChaCha20Poly1305::new(&FLOOR_KEY.into());
        for i in 0..QUEUED {
            self.keys[i]
                .verify_strict(&self.signed[i], &Signature::from_bytes(&self.signatures[i]))
                .unwrap();
        }
        self.open_all(&aead);
    }

    /// Floor of the batch: per message, the hash `k`, `R` decoded and one
    /// AEAD open; then one multiscalar multiplication over the base point,
    /// the 100 `R` and the 10 keys (fixed 128-bit coefficients), times the
    /// cofactor: the primitives' cost without any of bleep's checks.
    pub(crate) fn floor_batch(&self) {
        let aead = XChaCha20Poly1305::new(&FLOOR_KEY.into());
        let mut scalars = Vec::with_capacity(1 + QUEUED + SENDERS);
        let mut points = Vec::with_capacity(1 + QUEUED + SENDERS);
        let mut b = Scalar::ZERO;
        let mut a = [Scalar::ZERO; SENDERS];
        scalars.push(Scalar::ZERO);
        points.push(ED25519_BASEPOINT_POINT);
        for i in 0..QUEUED {
            let sig = &self.signatures[i];
            let r_bytes: [u8; 32] = sig[..32].try_into().unwrap();
            let s = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
            let r = CompressedEdwardsY(r_bytes).decompress().unwrap();
            let mut h = Sha512::new();
            h.update(r_bytes);
            h.update(self.keys[i].as_bytes());
            h.update(&self.signed[i]);
            let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
            let z = Scalar::from(
                (i as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
            );
            b += z * s;
            scalars.push(-z);
            points.push(r);
            a[i % SENDERS] -= z * k;
        }
        scalars[0] = b;
        scalars.extend(a);
        points.extend(self.keys[..SENDERS].iter().map(VerifyingKey::to_edwards));
        let ok = EdwardsPoint::vartime_multiscalar_mul(&scalars, &points)
            .mul_by_cofactor()
            .is_identity();
        assert!(ok);
        self.open_all(&aead);
    }
}
