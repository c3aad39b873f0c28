//! Group catch-up (`GroupSession::decrypt_batch`) through the public API:
//! a batch gives, message by message, exactly what one-at-a-time
//! decryption gives, and leaves the same state, whatever the batch holds
//! (tampered, forged, duplicated, reordered, foreign, expired, own and
//! unreadable messages).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use bleep::state::StorageKey;
use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

mod group_common;
use group_common::{cofactored_accepts, resign_mixed_order, strict_accepts};

/// Member 0 receives; members 1..=senders send. Every sender key is
/// installed everywhere. Built from `seed` alone, so two calls give the
/// same group.
struct Group {
    rng: ChaCha20Rng,
    sessions: Vec<GroupSession>,
    proofs: Vec<VerifiedIdentity>,
    /// Each member's sender chain signing key seed.
    seeds: Vec<[u8; 32]>,
}

fn identity(i: usize) -> IdentityKeyPair {
    let mut seed = [0x3C; 32];
    seed[..8].copy_from_slice(&(i as u64).to_be_bytes());
    IdentityKeyPair::from_seed_bytes(seed)
}

fn group(senders: usize, seed: u64) -> Group {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let ids: Vec<_> = (0..=senders).map(identity).collect();
    let members: Vec<_> = ids[1..].iter().map(|k| k.public().clone()).collect();
    let roster = Roster::create(&ids[0], GroupId([seed as u8; 16]), &members).unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let proofs: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, k)| {
            trust
                .check(&PeerId::new(format!("m{i}")).unwrap(), k.public())
                .unwrap()
        })
        .collect();
    let mut sessions = Vec::new();
    let mut plans = Vec::new();
    let mut seeds = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        // A new chain draws its id (4), key (32) and signing seed (32).
        let mut peek = rng.clone();
        let mut draws = [0u8; 68];
        peek.fill_bytes(&mut draws);
        seeds.push(<[u8; 32]>::try_from(&draws[36..]).unwrap());
        let (s, p) = if i == 0 {
            GroupSession::join_as_coordinator(&mut rng, id, roster.clone()).unwrap()
        } else {
            GroupSession::join(&mut rng, id, roster.clone(), &proofs[0]).unwrap()
        };
        let signing = ed25519_dalek::SigningKey::from_bytes(&seeds[i]).verifying_key();
        assert_eq!(&p.message.as_bytes()[102..], signing.as_bytes());
        sessions.push(s);
        plans.push(p);
    }
    for (from, plan) in plans.iter().enumerate() {
        for to in &plan.recipients {
            let j = ids.iter().position(|k| k.public() == to).unwrap();
            sessions[j]
                .process_distribution(&proofs[from], plan.message.as_bytes())
                .unwrap();
        }
    }
    Group {
        rng,
        sessions,
        proofs,
        seeds,
    }
}

/// A copy of a session (through sealed state, as the app stores it).
fn copy(rng: &mut ChaCha20Rng, s: &GroupSession) -> GroupSession {
    let key = StorageKey::generate(rng);
    key.unseal(&key.seal(rng, s)).unwrap()
}

/// Compares the results of one message, decrypted two ways.
fn same(a: &Result<ReceivedGroupMessage>, b: &Result<ReceivedGroupMessage>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => {
            x.sender == y.sender
                && x.message.body.expose() == y.message.body.expose()
                && x.message.info == y.message.info
        }
        (Err(x), Err(y)) => x == y,
        _ => false,
    }
}

/// Decrypts `queue` one at a time on a copy of `rx` and in one batch on
/// another, and checks that results and final states agree.
fn agree(rng: &mut ChaCha20Rng, rx: &GroupSession, queue: &[Vec<u8>], now: u64) {
    let mut one = copy(rng, rx);
    let mut batch = copy(rng, rx);
    let singly: Vec<_> = queue.iter().map(|m| one.decrypt(m, now)).collect();
    let batched = batch.decrypt_batch(queue, now);
    assert_eq!(batched.len(), queue.len());
    for (i, (a, b)) in singly.iter().zip(&batched).enumerate() {
        assert!(same(a, b), "message {i}: {a:?} vs {b:?}");
    }
    assert_eq!(one.state_digest(), batch.state_digest());
}

#[test]
fn a_hundred_queued_messages_from_ten_senders() {
    let mut g = group(10, 1);
    let body = vec![0x42u8; 1024];
    let mut queue = Vec::new();
    for round in 0..10 {
        for s in 1..=10 {
            let mut text = body.clone();
            text[0] = round;
            text[1] = s as u8;
            let m = g.sessions[s]
                .encrypt(&mut g.rng, OutgoingMessage::new(&text, 10))
                .unwrap();
            queue.push(m.bytes);
        }
    }
    let before = g.sessions[0].state_digest();
    let got = g.sessions[0].decrypt_batch(&queue, 11);
    for (i, r) in got.iter().enumerate() {
        let m = r.as_ref().unwrap();
        assert_eq!(
            m.message.body.expose()[..2],
            [(i / 10) as u8, (i % 10 + 1) as u8]
        );
        assert_eq!(&m.sender, g.proofs[i % 10 + 1].identity_key());
    }
    assert_ne!(before, g.sessions[0].state_digest());
    // Everything was read once: the same batch again is all duplicates,
    // and changes nothing.
    let after = g.sessions[0].state_digest();
    for r in g.sessions[0].decrypt_batch(&queue, 11) {
        assert_eq!(
            r.unwrap_err(),
            Error::Protocol(ProtocolError::DuplicateMessage)
        );
    }
    assert_eq!(after, g.sessions[0].state_digest());
    assert!(g.sessions[0].decrypt_batch(&[] as &[&[u8]], 11).is_empty());
}

#[test]
fn bad_messages_are_named_and_the_rest_still_decrypt() {
    let mut g = group(4, 2);
    let mut queue: Vec<Vec<u8>> = (0..12)
        .map(|i| {
            g.sessions[1 + i % 4]
                .encrypt(&mut g.rng, OutgoingMessage::new(b"obs", 1))
                .unwrap()
                .bytes
        })
        .collect();
    // A flipped signature bit, a flipped ciphertext bit, and member 2's
    // message re-signed by member 3's chain (a forgery).
    let n = queue[3].len();
    queue[3][n - 1] ^= 1;
    queue[5][100] ^= 1;
    let mut forged = queue[6].clone();
    forged[1] = 9;
    queue[6][n - 64] ^= 0x80;
    queue.push(forged);
    let rx = copy(&mut g.rng, &g.sessions[0]);
    agree(&mut g.rng, &rx, &queue, 2);
    let got = g.sessions[0].decrypt_batch(&queue, 2);
    let errors: Vec<_> = got
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, *e)))
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, Error::Crypto(CryptoError::BadSignature)),
            (5, Error::Crypto(CryptoError::BadSignature)),
            (6, Error::Crypto(CryptoError::BadSignature)),
            (12, Error::Decode(DecodeError::UnknownKind)),
        ]
    );
}

#[test]
fn every_kind_of_message_agrees_with_one_at_a_time() {
    let mut g = group(3, 3);
    let mut other = group(3, 4);
    let mut queue = Vec::new();
    let m = |g: &mut Group, s: usize, text: &[u8], expires: Option<u64>| {
        let mut out = OutgoingMessage::new(text, 1);
        if let Some(at) = expires {
            out = out.expires_at(at);
        }
        g.sessions[s].encrypt(&mut g.rng, out).unwrap().bytes
    };
    let first = m(&mut g, 1, b"a", None);
    let second = m(&mut g, 1, b"b", None);
    queue.push(second.clone()); // out of order: skips a key
    queue.push(first.clone()); // uses the skipped key
    queue.push(first.clone()); // duplicate
    queue.push(m(&mut g, 2, b"late", Some(5))); // expired at 5
    queue.push(m(&mut g, 0, b"own", None)); // our own message
    queue.push(m(&mut other, 1, b"foreign", None)); // another group
    // Member 3 rotates: its new chain is not installed here.
    let _ = g.sessions[3].rotate(&mut g.rng).unwrap();
    queue.push(m(&mut g, 3, b"unreadable", None));
    queue.push(vec![1, 3, 0]); // truncated
    queue.push(m(&mut g, 2, b"fine", None));
    let rx = copy(&mut g.rng, &g.sessions[0]);
    agree(&mut g.rng, &rx, &queue, 5);
    let got = g.sessions[0].decrypt_batch(&queue, 5);
    let kinds: Vec<_> = got.iter().map(|r| r.as_ref().err().copied()).collect();
    assert_eq!(
        kinds,
        vec![
            None,
            None,
            Some(Error::Protocol(ProtocolError::DuplicateMessage)),
            Some(Error::Protocol(ProtocolError::Expired)),
            Some(Error::Group(GroupError::OwnMessage)),
            Some(Error::Group(GroupError::WrongGroup)),
            Some(Error::Group(GroupError::MissingSenderKey)),
            Some(Error::Decode(DecodeError::Truncated)),
            None,
        ]
    );
}

/// A signature whose `R` carries a small-order component, made by the
/// chain's key holder: the cofactored rule accepts it, one at a time and
/// in every batch (64 batches, so a batch accepting it by chance, as a
/// cofactorless batch does half the time, would show), with the same
/// results and state both ways.
#[test]
fn a_mixed_order_r_is_accepted_one_at_a_time_and_in_every_batch() {
    let mut g = group(3, 7);
    let mut one = copy(&mut g.rng, &g.sessions[0]);
    let mut batch = copy(&mut g.rng, &g.sessions[0]);
    for round in 0..64u8 {
        let mut queue: Vec<Vec<u8>> = (0..6)
            .map(|i| {
                let text = [round, i as u8];
                g.sessions[1 + i % 3]
                    .encrypt(&mut g.rng, OutgoingMessage::new(&text, 1))
                    .unwrap()
                    .bytes
            })
            .collect();
        let i = usize::from(round) % 6;
        let seed = g.seeds[1 + i % 3];
        let torsion = 1 + usize::from(round) % 7;
        queue[i] = resign_mixed_order(&queue[i], &seed, &[round], torsion);
        assert!(!strict_accepts(&queue[i], &seed), "{round}");
        assert!(cofactored_accepts(&queue[i], &seed), "{round}");
        let singly: Vec<_> = queue.iter().map(|m| one.decrypt(m, 2)).collect();
        let batched = batch.decrypt_batch(&queue, 2);
        for (k, (a, b)) in singly.iter().zip(&batched).enumerate() {
            assert_eq!(a.as_ref().unwrap().message.body.expose(), [round, k as u8]);
            assert!(same(a, b), "round {round}, message {k}: {a:?} vs {b:?}");
        }
        assert_eq!(one.state_digest(), batch.state_digest());
    }
}

/// `s + ℓ`: the same equation with a non-canonical `s`.
fn plus_ell(s: &[u8]) -> [u8; 32] {
    const ELL: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for j in 0..32 {
        let v = u16::from(s[j]) + u16::from(ELL[j]) + carry;
        out[j] = v as u8;
        carry = v >> 8;
    }
    out
}

/// Signatures refused under the rule, whatever the path: a small-order
/// `R`, a non-canonical `s`, a non-canonical encoding of `R`, a wrong
/// signature. Each is named, the others decrypt, and a batch of only
/// refused messages changes nothing.
#[test]
fn bad_signature_encodings_are_refused_by_both_paths() {
    let mut g = group(3, 8);
    let mut queue: Vec<Vec<u8>> = (0..8)
        .map(|i| {
            g.sessions[1 + i % 3]
                .encrypt(&mut g.rng, OutgoingMessage::new(b"obs", 1))
                .unwrap()
                .bytes
        })
        .collect();
    // 1: R = the identity (small order).
    let at = queue[1].len() - 64;
    queue[1][at..at + 32].copy_from_slice(&{
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    });
    // 3: s + ℓ.
    let at = queue[3].len() - 64;
    let s_plus = plus_ell(&queue[3][at + 32..]);
    queue[3][at + 32..].copy_from_slice(&s_plus);
    // 4: R with a non-canonical y (p + y for the first small y that
    // decodes to a point not of small order).
    let non_canonical = (2u8..19)
        .map(|y| {
            let mut b = [0xFFu8; 32];
            b[0] = 0xED + y;
            b[31] = 0x7F;
            b
        })
        .find(|b| {
            curve25519_dalek::edwards::CompressedEdwardsY(*b)
                .decompress()
                .is_some_and(|p| !p.is_small_order())
        })
        .unwrap();
    let at = queue[4].len() - 64;
    queue[4][at..at + 32].copy_from_slice(&non_canonical);
    // 6: a wrong signature (a bit of s flipped; still canonical).
    let at = queue[6].len() - 64;
    queue[6][at + 32] ^= 1;
    for (i, m) in queue.iter().enumerate() {
        let seed = g.seeds[1 + i % 3];
        let good = ![1, 3, 4, 6].contains(&i);
        assert_eq!(cofactored_accepts(m, &seed), good, "{i}");
        assert_eq!(strict_accepts(m, &seed), good, "{i}");
    }
    let rx = copy(&mut g.rng, &g.sessions[0]);
    agree(&mut g.rng, &rx, &queue, 2);
    let got = copy(&mut g.rng, &rx).decrypt_batch(&queue, 2);
    let errors: Vec<_> = got
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, *e)))
        .collect();
    let bad = Error::Crypto(CryptoError::BadSignature);
    assert_eq!(errors, vec![(1, bad), (3, bad), (4, bad), (6, bad)]);
    let only_bad: Vec<_> = [1, 3, 4, 6].iter().map(|&i| queue[i].clone()).collect();
    let mut b = copy(&mut g.rng, &rx);
    let before = b.state_digest();
    assert!(
        b.decrypt_batch(&only_bad, 2)
            .iter()
            .all(|r| matches!(r, Err(e) if *e == bad))
    );
    assert_eq!(before, b.state_digest());
    for m in &only_bad {
        assert_eq!(b.decrypt(m, 2).unwrap_err(), bad);
    }
    assert_eq!(before, b.state_digest());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// What to do with one queued message.
    #[derive(Clone, Debug)]
    enum Op {
        /// Deliver sender `s`'s `k`th message.
        Deliver(usize, usize),
        /// Deliver it with byte `at` (mod length) xored with `x`.
        Tamper(usize, usize, usize, u8),
        /// Deliver a message of another group.
        Foreign(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0usize..4, 0usize..6).prop_map(|(s, k)| Op::Deliver(s, k)),
            2 => (0usize..4, 0usize..6, any::<usize>(), 1u8..=255)
                .prop_map(|(s, k, at, x)| Op::Tamper(s, k, at, x)),
            1 => (0usize..6).prop_map(Op::Foreign),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// For random batches (any order, duplicates, tampered and foreign
        /// messages, some expired), the batch's results and final state
        /// equal one-at-a-time decryption's.
        #[test]
        fn batch_equals_one_at_a_time(
            ops in proptest::collection::vec(op(), 0..40),
            now in 1u64..4,
        ) {
            let mut g = group(4, 5);
            let mut other = group(2, 6);
            // Sender index 0 is the receiver itself (its own messages).
            let sent: Vec<Vec<Vec<u8>>> = (0..4)
                .map(|s| {
                    (0..6)
                        .map(|k| {
                            let text = format!("{s}/{k}");
                            let out = OutgoingMessage::new(text.as_bytes(), 1)
                                .expires_at(2 + k as u64 % 3);
                            g.sessions[s].encrypt(&mut g.rng, out).unwrap().bytes
                        })
                        .collect()
                })
                .collect();
            let foreign: Vec<Vec<u8>> = (0..6)
                .map(|k| {
                    other.sessions[1]
                        .encrypt(&mut other.rng, OutgoingMessage::new(&[k as u8], 1))
                        .unwrap()
                        .bytes
                })
                .collect();
            let queue: Vec<Vec<u8>> = ops
                .iter()
                .map(|op| match *op {
                    Op::Deliver(s, k) => sent[s][k].clone(),
                    Op::Tamper(s, k, at, x) => {
                        let mut m = sent[s][k].clone();
                        let n = m.len();
                        m[at % n] ^= x;
                        m
                    }
                    Op::Foreign(k) => foreign[k].clone(),
                })
                .collect();
            let rx = copy(&mut g.rng, &g.sessions[0]);
            let mut one = copy(&mut g.rng, &rx);
            let mut batch = copy(&mut g.rng, &rx);
            let singly: Vec<_> = queue.iter().map(|m| one.decrypt(m, now)).collect();
            let batched = batch.decrypt_batch(&queue, now);
            prop_assert_eq!(batched.len(), queue.len());
            for (a, b) in singly.iter().zip(&batched) {
                prop_assert!(same(a, b), "{:?} vs {:?}", a, b);
            }
            prop_assert_eq!(one.state_digest(), batch.state_digest());
        }
    }
}
