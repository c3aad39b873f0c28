//! 1:1 session costs, each beside the floor of the primitives it must run.
//!
//! Read the ratio: `session/…` over `floor/…` in the same run on the same
//! machine. Symmetric step: 2 HMAC-SHA256 + one AEAD call on 1 KiB, and
//! the wire floor: the same with XChaCha20-Poly1305 on the 1088-byte padded
//! payload and the session's 170 bytes of associated data.
//! Ping-pong (one DH ratchet step per message, sent and received): one
//! X25519 key generation + 2 X25519 + 2 HKDF (root KDF) + both symmetric
//! floors. Handshake (PQXDH, no one-time prekeys): initiator = 2 X25519
//! key generations + 4 X25519 + 2 HKDF + ML-KEM-1024 encapsulation + the
//! send floor; responder = 4 X25519 + 2 HKDF + ML-KEM-1024 decapsulation
//! and the receive floor. The X3DH floors without the KEM are measured
//! too, so the KEM's share is visible.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use bleep::*;
use common::*;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ml_kem::array::Array;
use ml_kem::{Decapsulate, DecapsulationKey, EncapsulationKey, KeyExport, MlKem1024};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use std::time::{Duration, Instant};
use x25519_dalek::{PublicKey, StaticSecret};

struct Parties {
    rng: ChaCha20Rng,
    alice_id: IdentityKeyPair,
    bob_id: IdentityKeyPair,
    bob_prekeys: PreKeyStore,
    vb: VerifiedIdentity,
    va: VerifiedIdentity,
}

fn parties() -> Parties {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let bob_prekeys = PreKeyStore::new(&mut rng, &bob_id);
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob_id.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice_id.public())
        .unwrap();
    Parties {
        rng,
        alice_id,
        bob_id,
        bob_prekeys,
        vb,
        va,
    }
}

fn sessions(p: &mut Parties) -> (Session, Session) {
    sessions_on(p, CipherSuite::XChaCha20Poly1305)
}

/// A settled pair of sessions on `suite`.
fn sessions_on(p: &mut Parties, suite: CipherSuite) -> (Session, Session) {
    p.bob_prekeys
        .set_cipher_suites(&p.bob_id, &[CipherSuite::XChaCha20Poly1305, suite])
        .unwrap();
    let bundle = p.bob_prekeys.bundle();
    let mut a = Session::initiate_with_suites(
        &mut p.rng,
        &p.alice_id,
        &p.vb,
        &bundle,
        HandshakePolicy::RequirePostQuantum,
        &[suite],
    )
    .unwrap();
    assert_eq!(a.cipher_suite(), suite);
    let first = a
        .encrypt(&mut p.rng, proof(&a), OutgoingMessage::new(b"hi", 0))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let (mut b, _) = Session::accept(&p.bob_id, &mut p.bob_prekeys, &p.va, &env, 0).unwrap();
    // Settle into the steady state: both sides have sent and received.
    let r = b
        .encrypt(&mut p.rng, proof(&b), OutgoingMessage::new(b"ok", 0))
        .unwrap();
    a.decrypt(proof(&a), &r.envelope, 0).unwrap();
    let r = a
        .encrypt(&mut p.rng, proof(&a), OutgoingMessage::new(b"ok", 0))
        .unwrap();
    b.decrypt(proof(&b), &r.envelope, 0).unwrap();
    (a, b)
}

fn configured() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

fn handshake(c: &mut Criterion) {
    let mut g = c.benchmark_group("handshake");
    let mut p = parties();
    let bundle = p.bob_prekeys.bundle();
    let first_len = {
        let mut s = Session::initiate(&mut p.rng, &p.alice_id, &p.vb, &bundle).unwrap();
        s.encrypt(&mut p.rng, proof(&s), OutgoingMessage::new(b"hi", 0))
            .unwrap()
            .envelope
            .len()
    };
    println!(
        "sizes: bundle {} bytes (no one-time prekeys), first message {} bytes (2-byte body)",
        bundle.to_bytes().len(),
        first_len
    );
    g.bench_function("initiator (PQXDH + first message)", |b| {
        b.iter(|| {
            let mut s = Session::initiate(&mut p.rng, &p.alice_id, &p.vb, &bundle).unwrap();
            black_box(
                s.encrypt(&mut p.rng, proof(&s), OutgoingMessage::new(b"hi", 0))
                    .unwrap(),
            )
        })
    });
    // `parse_known` with no known identity is `parse`.
    let known = p.alice_id.public().clone();
    for (name, known) in [
        ("responder (parse + PQXDH + first message)", None),
        (
            "responder, sender known (parse_known + PQXDH + first message)",
            Some(&known),
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut s = Session::initiate(&mut p.rng, &p.alice_id, &p.vb, &bundle).unwrap();
                    s.encrypt(&mut p.rng, proof(&s), OutgoingMessage::new(b"hi", 0))
                        .unwrap()
                        .envelope
                },
                |env| {
                    let env = Envelope::parse_known(&env, known).unwrap();
                    black_box(
                        Session::accept(&p.bob_id, &mut p.bob_prekeys, &p.va, &env, 0).unwrap(),
                    )
                },
                BatchSize::SmallInput,
            )
        });
    }

    // Floors from the primitives alone, with stand-in keys.
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let key = |rng: &mut ChaCha20Rng| StaticSecret::random_from_rng(rng);
    let (ik_a, ik_b, spk, base, ratchet) = (
        key(&mut rng),
        key(&mut rng),
        key(&mut rng),
        key(&mut rng),
        key(&mut rng),
    );
    let (ik_a_pub, ik_b_pub, spk_pub, base_pub, ratchet_pub) = (
        PublicKey::from(&ik_a),
        PublicKey::from(&ik_b),
        PublicKey::from(&spk),
        PublicKey::from(&base),
        PublicKey::from(&ratchet),
    );
    let dk = DecapsulationKey::<MlKem1024>::from_seed(Array::from([3u8; 64]));
    let ek_bytes = dk.encapsulation_key().to_bytes();
    let (ct, _) = dk
        .encapsulation_key()
        .encapsulate_deterministic(&Array::from([4u8; 32]));
    let ck = [7u8; 32];
    let mut sent = BODY;
    let tag = floor_send(&ck, &mut sent);
    g.bench_function("ML-KEM-1024 encapsulation (key parse + encaps)", |b| {
        b.iter(|| {
            let ek = EncapsulationKey::<MlKem1024>::new(black_box(&ek_bytes)).unwrap();
            black_box(ek.encapsulate_deterministic(&Array::from([5u8; 32])))
        })
    });
    g.bench_function("ML-KEM-1024 decapsulation", |b| {
        b.iter(|| black_box(dk.decapsulate(black_box(&ct))))
    });
    g.bench_function("ML-KEM-1024 key from seed", |b| {
        b.iter(|| {
            black_box(DecapsulationKey::<MlKem1024>::from_seed(Array::from(
                black_box([3u8; 64]),
            )))
        })
    });
    g.bench_function(
        "floor initiator X3DH (2 keygen + 4 DH + 2 HKDF + send)",
        |b| {
            b.iter(|| {
                let mut buf = BODY;
                black_box((
                    x3dh_initiator_floor(&mut rng, &ik_a, &ik_b_pub, &spk_pub),
                    floor_send(&ck, &mut buf),
                ))
            })
        },
    );
    g.bench_function("floor initiator PQXDH (X3DH floor + ML-KEM encaps)", |b| {
        b.iter(|| {
            let mut buf = BODY;
            let ek = EncapsulationKey::<MlKem1024>::new(black_box(&ek_bytes)).unwrap();
            black_box((
                x3dh_initiator_floor(&mut rng, &ik_a, &ik_b_pub, &spk_pub),
                ek.encapsulate_deterministic(&Array::from([5u8; 32])),
                floor_send(&ck, &mut buf),
            ))
        })
    });
    g.bench_function("floor responder X3DH (4 DH + 2 HKDF + receive)", |b| {
        b.iter(|| {
            black_box((
                x3dh_responder_floor(&spk, &ik_b, &ik_a_pub, &base_pub, &ratchet_pub),
                floor_receive(&ck, &sent, &tag),
            ))
        })
    });
    g.bench_function("floor responder PQXDH (X3DH floor + ML-KEM decaps)", |b| {
        b.iter(|| {
            black_box((
                x3dh_responder_floor(&spk, &ik_b, &ik_a_pub, &base_pub, &ratchet_pub),
                dk.decapsulate(black_box(&ct)),
                floor_receive(&ck, &sent, &tag),
            ))
        })
    });
    g.finish();
}

fn symmetric(c: &mut Criterion) {
    let mut g = c.benchmark_group("symmetric step 1 KiB");
    g.throughput(Throughput::Bytes(1024));
    let mut p = parties();
    let (mut a, _) = sessions(&mut p);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    g.bench_function("session encrypt", |bch| {
        bch.iter(|| {
            black_box(
                a.encrypt(&mut rng, proof(&a), OutgoingMessage::new(&BODY, 0))
                    .unwrap(),
            )
        })
    });
    // A fresh pair, so the receiver's chain is in step with the sender's.
    let (mut a, mut b) = sessions(&mut p);
    g.bench_function("session decrypt", |bch| {
        bch.iter_custom(|iters| {
            let envs: Vec<Vec<u8>> = (0..iters)
                .map(|_| {
                    a.encrypt(&mut rng, proof(&a), OutgoingMessage::new(&BODY, 0))
                        .unwrap()
                        .envelope
                })
                .collect();
            let start = Instant::now();
            for e in &envs {
                black_box(b.decrypt(proof(&b), e, 0).unwrap());
            }
            start.elapsed()
        })
    });
    let ck = [7u8; 32];
    g.bench_function("floor send (2 HMAC + seal)", |bch| {
        let mut buf = BODY;
        bch.iter(|| black_box(floor_send(black_box(&ck), &mut buf)))
    });
    let mut ct = BODY;
    let tag = floor_send(&ck, &mut ct);
    g.bench_function("floor receive (2 HMAC + open)", |bch| {
        bch.iter(|| black_box(floor_receive(black_box(&ck), &ct, &tag)))
    });
    let ad = [0x5a; WIRE_AD_LEN];
    g.bench_function(
        "wire floor send (2 HMAC + XChaCha seal of 1088 B, 170 B AD)",
        |bch| {
            let mut buf = [0x61; WIRE_PAYLOAD_LEN];
            bch.iter(|| black_box(wire_floor_send(black_box(&ck), &ad, &mut buf)))
        },
    );
    let mut wct = [0x61; WIRE_PAYLOAD_LEN];
    let wtag = wire_floor_send(&ck, &ad, &mut wct);
    g.bench_function("wire floor receive (2 HMAC + XChaCha open)", |bch| {
        bch.iter(|| black_box(wire_floor_receive(black_box(&ck), &ad, &wct, &wtag)))
    });
    g.finish();
}

/// The symmetric step with each suite beside its own wire floor (a chain
/// step and one raw AEAD call of the padded 1 KiB payload under the
/// session's associated data), interleaved in one run.
fn suites(c: &mut Criterion) {
    let mut g = c.benchmark_group("suites 1 KiB");
    g.throughput(Throughput::Bytes(1024));
    let mut p = parties();
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let ck = [7u8; 32];
    for (name, suite) in [
        ("XChaCha20-Poly1305", CipherSuite::XChaCha20Poly1305),
        ("AES-256-GCM-SIV", CipherSuite::Aes256GcmSiv),
    ] {
        let (mut a, _) = sessions_on(&mut p, suite);
        g.bench_function(format!("{name} session encrypt"), |bch| {
            bch.iter(|| {
                black_box(
                    a.encrypt(&mut rng, proof(&a), OutgoingMessage::new(&BODY, 0))
                        .unwrap(),
                )
            })
        });
        let (mut a, mut b) = sessions_on(&mut p, suite);
        g.bench_function(format!("{name} session decrypt"), |bch| {
            bch.iter_custom(|iters| {
                let envs: Vec<Vec<u8>> = (0..iters)
                    .map(|_| {
                        a.encrypt(&mut rng, proof(&a), OutgoingMessage::new(&BODY, 0))
                            .unwrap()
                            .envelope
                    })
                    .collect();
                let start = Instant::now();
                for e in &envs {
                    black_box(b.decrypt(proof(&b), e, 0).unwrap());
                }
                start.elapsed()
            })
        });
        match suite {
            CipherSuite::Aes256GcmSiv => {
                let ad = [0x5a; WIRE_AD_LEN_AES];
                g.bench_function(format!("{name} floor send (2 HMAC + seal)"), |bch| {
                    let mut buf = [0x61; WIRE_PAYLOAD_LEN];
                    bch.iter(|| black_box(wire_floor_send_aes(black_box(&ck), &ad, &mut buf)))
                });
                let mut ct = [0x61; WIRE_PAYLOAD_LEN];
                let tag = wire_floor_send_aes(&ck, &ad, &mut ct);
                g.bench_function(format!("{name} floor receive (2 HMAC + open)"), |bch| {
                    bch.iter(|| black_box(wire_floor_receive_aes(black_box(&ck), &ad, &ct, &tag)))
                });
            }
            _ => {
                let ad = [0x5a; WIRE_AD_LEN];
                g.bench_function(format!("{name} floor send (2 HMAC + seal)"), |bch| {
                    let mut buf = [0x61; WIRE_PAYLOAD_LEN];
                    bch.iter(|| black_box(wire_floor_send(black_box(&ck), &ad, &mut buf)))
                });
                let mut ct = [0x61; WIRE_PAYLOAD_LEN];
                let tag = wire_floor_send(&ck, &ad, &mut ct);
                g.bench_function(format!("{name} floor receive (2 HMAC + open)"), |bch| {
                    bch.iter(|| black_box(wire_floor_receive(black_box(&ck), &ad, &ct, &tag)))
                });
            }
        }
    }
    g.finish();
}

fn ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping-pong 1 KiB (DH step per message)");
    let mut p = parties();
    let (a, b) = sessions(&mut p);
    let mut pair = [a, b];
    let mut turn = 0usize;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    g.bench_function("session send + receive", |bch| {
        bch.iter(|| {
            let (s, r) = if turn == 0 { (0, 1) } else { (1, 0) };
            turn ^= 1;
            let e = pair[s]
                .encrypt(&mut rng, proof(&pair[s]), OutgoingMessage::new(&BODY, 0))
                .unwrap();
            black_box(pair[r].decrypt(proof(&pair[r]), &e.envelope, 0).unwrap())
        })
    });
    let their = PublicKey::from(&StaticSecret::random_from_rng(&mut rng));
    let mine = StaticSecret::random_from_rng(&mut rng);
    let ck = [9u8; 32];
    let rk = [5u8; 32];
    g.bench_function(
        "floor (keygen + 2 DH + 2 HKDF + symmetric send + receive)",
        |bch| {
            bch.iter(|| {
                let fresh = StaticSecret::random_from_rng(&mut rng);
                let fresh_pub = PublicKey::from(&fresh);
                let d1 = fresh.diffie_hellman(&their);
                let r1 = root_kdf(&rk, d1.as_bytes());
                let d2 = mine.diffie_hellman(black_box(&fresh_pub));
                let r2 = root_kdf(&rk, d2.as_bytes());
                let mut buf = BODY;
                let tag = floor_send(&ck, &mut buf);
                black_box((r1, r2, floor_receive(&ck, &buf, &tag)))
            })
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = configured();
    targets = handshake, symmetric, suites, ping_pong
}
criterion_main!(benches);

thread_local! {
    /// The app's trust store: every send and receive asks it, as an app's
    /// would, so its lookup is part of what each message costs.
    static TRUST: std::cell::RefCell<TrustStore> =
        std::cell::RefCell::new(TrustStore::new(TrustPolicy::RequireVerified));
}

/// The trust store's proof for the session's peer (verified on first
/// sight; after that one map lookup and key comparison per message).
fn proof(s: &Session) -> VerifiedIdentity {
    let key = s.peer_identity();
    let peer = PeerId::new(format!("{:02x?}", &key.ed25519_bytes()[..4])).unwrap();
    TRUST.with(|t| {
        let mut t = t.borrow_mut();
        if t.identity(&peer).is_none() {
            t.mark_verified(&peer, key, VerificationMethod::QrCode, 0)
                .unwrap();
        }
        t.check_at(&peer, key, 0).unwrap()
    })
}
