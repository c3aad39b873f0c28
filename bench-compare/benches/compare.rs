//! bleep beside vodozemac (Olm and Megolm) in one process, interleaved
//! (criterion runs the functions of a group one after another; run.sh
//! repeats the whole run for several rounds). 1 KiB bodies throughout.
//! Olm and Megolm run version 1, the deployed protocol (version 2 is
//! behind vodozemac's `experimental-session-config` feature).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use bleep::*;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use std::time::{Duration, Instant};
use vodozemac::megolm;
use vodozemac::olm::{Account, InboundCreationResult, OlmMessage, SessionConfig};

const BODY: [u8; 1024] = [0x5A; 1024];

fn proof(s: &Session) -> VerifiedIdentity {
    let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    t.check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}

/// A settled pair of bleep sessions on `suite`: both sides have sent
/// and received.
fn bleep_pair(rng: &mut ChaCha20Rng, suite: CipherSuite) -> (Session, Session) {
    let alice = IdentityKeyPair::generate(rng);
    let bob = IdentityKeyPair::generate(rng);
    let mut prekeys = PreKeyStore::new(rng, &bob);
    prekeys
        .set_cipher_suites(&bob, &[CipherSuite::XChaCha20Poly1305, suite])
        .unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice.public())
        .unwrap();
    let mut a = Session::initiate_with_suites(
        rng,
        &alice,
        &vb,
        &prekeys.bundle(),
        HandshakePolicy::RequirePostQuantum,
        &[suite],
    )
    .unwrap();
    let first = a
        .encrypt(rng, proof(&a), OutgoingMessage::new(b"hi", 0))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let (mut b, _) = Session::accept(&bob, &mut prekeys, &va, &env, 0).unwrap();
    let r = b
        .encrypt(rng, proof(&b), OutgoingMessage::new(b"ok", 0))
        .unwrap();
    a.decrypt(proof(&a), &r.envelope, 0).unwrap();
    let r = a
        .encrypt(rng, proof(&a), OutgoingMessage::new(b"ok", 0))
        .unwrap();
    b.decrypt(proof(&b), &r.envelope, 0).unwrap();
    (a, b)
}

/// A settled pair of Olm sessions (both sides have sent and received).
fn olm_pair() -> (vodozemac::olm::Session, vodozemac::olm::Session) {
    let alice = Account::new();
    let mut bob = Account::new();
    bob.generate_one_time_keys(1);
    let otk = *bob.one_time_keys().values().next().unwrap();
    bob.mark_keys_as_published();
    let mut a = alice
        .create_outbound_session(SessionConfig::version_1(), bob.curve25519_key(), otk)
        .unwrap();
    let first = a.encrypt(b"hi").unwrap();
    let OlmMessage::PreKey(m) = first else {
        panic!("expected a pre-key message")
    };
    let InboundCreationResult { session: mut b, .. } = bob
        .create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), &m)
        .unwrap();
    let r = b.encrypt(b"ok").unwrap();
    a.decrypt(&r).unwrap();
    let r = a.encrypt(b"ok").unwrap();
    b.decrypt(&r).unwrap();
    (a, b)
}

fn one_to_one(c: &mut Criterion) {
    let mut g = c.benchmark_group("1:1 1 KiB");
    g.throughput(Throughput::Bytes(1024));
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut pairs: Vec<(&str, Session, Session)> = [
        ("bleep XChaCha20-Poly1305", CipherSuite::XChaCha20Poly1305),
        ("bleep AES-256-GCM-SIV", CipherSuite::Aes256GcmSiv),
    ]
    .into_iter()
    .map(|(n, s)| {
        let (a, b) = bleep_pair(&mut rng, s);
        (n, a, b)
    })
    .collect();
    let (mut oa, _) = olm_pair();
    for (name, a, _) in &mut pairs {
        g.bench_function(format!("{name} encrypt"), |bch| {
            bch.iter(|| {
                black_box(
                    a.encrypt(&mut rng, proof(a), OutgoingMessage::new(&BODY, 0))
                        .unwrap(),
                )
            })
        });
    }
    g.bench_function("Olm encrypt", |bch| {
        bch.iter(|| black_box(oa.encrypt(BODY).unwrap()))
    });
    // Decryption on fresh pairs: the encrypt runs above moved the
    // senders' chains far past what the receivers may skip.
    let mut pairs: Vec<(&str, Session, Session)> = [
        ("bleep XChaCha20-Poly1305", CipherSuite::XChaCha20Poly1305),
        ("bleep AES-256-GCM-SIV", CipherSuite::Aes256GcmSiv),
    ]
    .into_iter()
    .map(|(n, s)| {
        let (a, b) = bleep_pair(&mut rng, s);
        (n, a, b)
    })
    .collect();
    let (mut oa, mut ob) = olm_pair();
    for (name, a, b) in &mut pairs {
        g.bench_function(format!("{name} decrypt"), |bch| {
            bch.iter_custom(|iters| {
                let envs: Vec<Vec<u8>> = (0..iters)
                    .map(|_| {
                        a.encrypt(&mut rng, proof(a), OutgoingMessage::new(&BODY, 0))
                            .unwrap()
                            .envelope
                    })
                    .collect();
                let start = Instant::now();
                for e in &envs {
                    black_box(b.decrypt(proof(b), e, 0).unwrap());
                }
                start.elapsed()
            })
        });
    }
    g.bench_function("Olm decrypt", |bch| {
        bch.iter_custom(|iters| {
            let msgs: Vec<OlmMessage> = (0..iters).map(|_| oa.encrypt(BODY).unwrap()).collect();
            let start = Instant::now();
            for m in &msgs {
                black_box(ob.decrypt(m).unwrap());
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn identity(i: usize) -> IdentityKeyPair {
    let mut seed = [0x42; 32];
    seed[..8].copy_from_slice(&(i as u64).to_be_bytes());
    IdentityKeyPair::from_seed_bytes(seed)
}

fn group(c: &mut Criterion) {
    const SENDERS: usize = 10;
    const QUEUED: usize = 100;
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let ids: Vec<_> = (0..=SENDERS).map(identity).collect();
    let members: Vec<_> = ids[1..].iter().map(|k| k.public().clone()).collect();
    let roster = Roster::create(&ids[0], GroupId([2; 16]), &members).unwrap();
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
    let mut senders = Vec::new();
    let mut distributions = Vec::new();
    for id in &ids[1..] {
        let (s, p) = GroupSession::join(&mut rng, id, roster.clone(), &verified[0]).unwrap();
        senders.push(s);
        distributions.push(p.message.as_bytes().to_vec());
    }
    let queue: Vec<Vec<u8>> = (0..QUEUED)
        .map(|i| {
            senders[i % SENDERS]
                .encrypt(&mut rng, OutgoingMessage::new(&BODY, 1))
                .unwrap()
                .bytes
        })
        .collect();
    let mut fresh = || {
        let (mut s, _) =
            GroupSession::join_as_coordinator(&mut rng, &ids[0], roster.clone()).unwrap();
        for (i, d) in distributions.iter().enumerate() {
            s.process_distribution(&verified[i + 1], d).unwrap();
        }
        s
    };
    // Megolm: 10 outbound sessions, the same queue shape (sender i % 10).
    let mut outbound: Vec<megolm::GroupSession> = (0..SENDERS)
        .map(|_| megolm::GroupSession::new(megolm::SessionConfig::version_1()))
        .collect();
    let keys: Vec<_> = outbound.iter().map(|o| o.session_key()).collect();
    let megolm_queue: Vec<megolm::MegolmMessage> = (0..QUEUED)
        .map(|i| outbound[i % SENDERS].encrypt(BODY))
        .collect();
    let megolm_fresh = || -> Vec<megolm::InboundGroupSession> {
        keys.iter()
            .map(|k| megolm::InboundGroupSession::new(k, megolm::SessionConfig::version_1()))
            .collect()
    };

    let mut g = c.benchmark_group("group catch-up 100 x 1 KiB, 10 senders");
    g.throughput(Throughput::Elements(QUEUED as u64));
    g.bench_function("bleep one at a time", |b| {
        b.iter_batched(
            &mut fresh,
            |mut s| {
                for m in &queue {
                    s.decrypt(m, 2).unwrap();
                }
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("bleep decrypt_batch", |b| {
        b.iter_batched(
            &mut fresh,
            |mut s| {
                let got = s.decrypt_batch(&queue, 2);
                assert!(got.iter().all(Result::is_ok));
                (s, got)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("Megolm decrypt", |b| {
        b.iter_batched(
            megolm_fresh,
            |mut s| {
                for (i, m) in megolm_queue.iter().enumerate() {
                    black_box(s[i % SENDERS].decrypt(m).unwrap());
                }
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn configured() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = configured();
    targets = one_to_one, group
}
criterion_main!(benches);
