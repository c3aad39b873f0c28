//! Group benchmarks: 1 KiB encrypt and decrypt in groups of 10 and 1000
//! (the per-message cost must not grow with the group), and the cost of a
//! membership change for 10, 100 and 1000 members.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use bleep::{GroupId, GroupSession, IdentityKeyPair, OutgoingMessage, Roster, VerifiedIdentity};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

mod catch_up;

struct Fixture {
    rng: ChaCha20Rng,
    ids: Vec<IdentityKeyPair>,
    roster: Roster,
    /// Every member's distribution bytes (index 1 onwards), for member 1.
    distributions: Vec<Vec<u8>>,
    /// Member 1's trust store's proof for each member.
    verified: Vec<VerifiedIdentity>,
    sender: GroupSession,
}

fn fixture(n: usize) -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
    let (ids, roster, verified) = catch_up::members(n, GroupId([1; 16]));
    let (sender, plan) =
        GroupSession::join_as_coordinator(&mut rng, &ids[0], roster.clone()).unwrap();
    let mut distributions = vec![plan.message.as_bytes().to_vec()];
    for id in &ids[2..] {
        let (_, p) = GroupSession::join(&mut rng, id, roster.clone(), &verified[0]).unwrap();
        distributions.push(p.message.as_bytes().to_vec());
    }
    Fixture {
        rng,
        ids,
        roster,
        distributions,
        verified,
        sender,
    }
}

/// Member 1's session holding every other member's sender key.
fn receiver(f: &mut Fixture) -> GroupSession {
    let (mut s, _) =
        GroupSession::join(&mut f.rng, &f.ids[1], f.roster.clone(), &f.verified[0]).unwrap();
    let senders = std::iter::once(0).chain(2..f.ids.len());
    for (i, d) in senders.zip(&f.distributions) {
        s.process_distribution(&f.verified[i], d).unwrap();
    }
    s
}

fn messages(c: &mut Criterion) {
    let body = vec![0x5Au8; 1024];
    let mut g = c.benchmark_group("group_message_1KiB");
    g.throughput(Throughput::Bytes(1024));
    for n in [10usize, 1000] {
        let mut f = fixture(n);
        let mut rx = receiver(&mut f);
        g.bench_function(BenchmarkId::new("encrypt", n), |b| {
            b.iter(|| {
                f.sender
                    .encrypt(&mut f.rng, OutgoingMessage::new(&body, 1))
                    .unwrap()
            })
        });
        // Restart the chain so the receiver is in step with the sender.
        let plan = f.sender.rotate(&mut f.rng).unwrap();
        rx.process_distribution(&f.verified[0], plan.message.as_bytes())
            .unwrap();
        let Fixture { sender, rng, .. } = &mut f;
        g.bench_function(BenchmarkId::new("decrypt", n), |b| {
            b.iter_batched(
                || {
                    sender
                        .encrypt(rng, OutgoingMessage::new(&body, 1))
                        .unwrap()
                        .bytes
                },
                |m| rx.decrypt(&m, 1).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// The floor under the same machine load: one Ed25519 signature (or strict
/// verification) over a 1.2 KB message plus one XChaCha20-Poly1305 seal
/// (or open) of 1 KiB — what a group message cannot avoid.
fn floor(c: &mut Criterion) {
    use chacha20poly1305::aead::AeadInOut;
    use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
    use ed25519_dalek::{Signer, SigningKey};
    let mut g = c.benchmark_group("group_floor_1KiB");
    let key = SigningKey::from_bytes(&[7; 32]);
    let aead = XChaCha20Poly1305::new(&[9u8; 32].into());
    let nonce = XNonce::from([3u8; 24]);
    let mut buf = vec![0u8; 1088];
    let msg = vec![1u8; 1088 + 106];
    let sig = key.sign(&msg);
    g.bench_function("sign_and_seal", |b| {
        b.iter(|| {
            let tag = aead
                .encrypt_inout_detached(&nonce, &msg[..90], buf.as_mut_slice().into())
                .unwrap();
            (tag, key.sign(&msg))
        })
    });
    let vk = key.verifying_key();
    g.bench_function("verify_and_open", |b| {
        b.iter(|| {
            vk.verify_strict(&msg, &sig).unwrap();
            // The tag does not match; the cost is the same as a success.
            let _ = aead.decrypt_inout_detached(
                &nonce,
                &msg[..90],
                buf.as_mut_slice().into(),
                &[0u8; 16].into(),
            );
        })
    });
    g.finish();
}

fn membership(c: &mut Criterion) {
    let mut g = c.benchmark_group("group_membership");
    g.sample_size(10);
    for n in [10usize, 100, 1000] {
        let mut f = fixture(n);
        let removed = f.ids[n - 1].public().clone();
        let next = f.roster.next(&f.ids[0], &[], &[removed]).unwrap();
        let next_bytes = next.to_bytes();
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        // A member applies a removal: rotate, drop every sender key, plan
        // the distribution to every remaining member.
        g.bench_function(BenchmarkId::new("apply_removal", n), |b| {
            b.iter_batched(
                || receiver(&mut f),
                |mut s| {
                    let u = s.apply_roster(&mut rng, next.clone()).unwrap();
                    (s, u)
                },
                BatchSize::PerIteration,
            )
        });
        // A member receives the new roster: parse and check every identity
        // binding and the coordinator's signature.
        g.bench_function(BenchmarkId::new("parse_roster", n), |b| {
            b.iter(|| Roster::from_bytes(&next_bytes).unwrap())
        });
        // The coordinator signs the next roster.
        g.bench_function(BenchmarkId::new("sign_roster", n), |b| {
            b.iter(|| {
                f.roster
                    .next(&f.ids[0], &[], &[f.ids[n - 1].public().clone()])
                    .unwrap()
            })
        });
        // Installing one member's new sender key (done n - 2 times per
        // member after a removal).
        let d = f.distributions[0].clone();
        g.bench_function(BenchmarkId::new("process_distribution", n), |b| {
            b.iter_batched(
                || {
                    let (s, _) =
                        GroupSession::join(&mut f.rng, &f.ids[1], f.roster.clone(), &f.verified[0])
                            .unwrap();
                    s
                },
                |mut s| {
                    s.process_distribution(&f.verified[0], &d).unwrap();
                    s
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// Catching up: 100 queued 1 KiB messages from 10 senders, decrypted one
/// at a time and with `decrypt_batch`, beside the primitive floor of each
/// (`benches/catch_up`: 100 strict verifications plus 100 AEAD opens, or
/// 100 hashes and `R` decodings, one multiscalar multiplication and 100
/// AEAD opens). Reported per message (elements = messages).
fn catch_up(c: &mut Criterion) {
    let mut w = catch_up::catch_up();
    let queue = w.queue.clone();
    let mut g = c.benchmark_group("group_catch_up_100x1KiB_10_senders");
    g.throughput(Throughput::Elements(catch_up::QUEUED as u64));
    g.bench_function("one_at_a_time", |b| {
        b.iter_batched(
            || w.fresh(),
            |mut s| {
                for m in &queue {
                    s.decrypt(m, 2).unwrap();
                }
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("decrypt_batch", |b| {
        b.iter_batched(
            || w.fresh(),
            |mut s| {
                let got = s.decrypt_batch(&queue, 2);
                assert!(got.iter().all(Result::is_ok));
                (s, got)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("floor_verify_strict_and_open", |b| {
        b.iter(|| w.floor_one_at_a_time())
    });
    g.bench_function("floor_batch_equation_and_open", |b| {
        b.iter(|| w.floor_batch())
    });
    g.finish();
}

criterion_group!(benches, floor, messages, catch_up, membership);
criterion_main!(benches);
