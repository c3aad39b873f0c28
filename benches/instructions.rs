//! Instruction counts of the session operations and their floors, for
//! `valgrind --tool=callgrind`, which counts the same on a loaded machine
//! as on an idle one (wall-clock ratios on a shared 2-core machine move
//! by ±10%).
//!
//! Each operation runs `N` times inside a function named `measured_<op>`;
//! set-up (sessions, envelopes, bundles) happens outside it. Count only
//! those functions:
//!
//! ```sh
//! cargo bench --bench instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='*measured_*' \
//!     target/release/deps/instructions-<hash> encrypt 1000
//! ```
//!
//! and divide the reported `Collected` by `N` (by `N × 100` for the
//! `group_*` operations, which each read 100 queued group messages).
//! `cargo bench` itself runs every operation once, as a smoke test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod catch_up;
mod common;

use bleep::*;
use common::*;
use ed25519_dalek::{Signer, SigningKey};
use ml_kem::array::Array;
use ml_kem::{Decapsulate, DecapsulationKey, EncapsulationKey, KeyExport, MlKem1024};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::cell::RefCell;
use std::hint::black_box;
use x25519_dalek::{PublicKey, StaticSecret};

struct Parties {
    rng: ChaCha20Rng,
    alice_id: IdentityKeyPair,
    bob_id: IdentityKeyPair,
    bob_prekeys: PreKeyStore,
    trust: RefCell<TrustStore>,
}

fn parties() -> Parties {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let bob_prekeys = PreKeyStore::new(&mut rng, &bob_id);
    let mut trust = TrustStore::new(TrustPolicy::RequireVerified);
    for (name, key) in [("alice", alice_id.public()), ("bob", bob_id.public())] {
        trust
            .mark_verified(
                &PeerId::new(name).unwrap(),
                key,
                VerificationMethod::QrCode,
                0,
            )
            .unwrap();
    }
    Parties {
        rng,
        alice_id,
        bob_id,
        bob_prekeys,
        trust: RefCell::new(trust),
    }
}

/// The trust store's proof for `key` (one map lookup and key comparison).
fn proof(trust: &RefCell<TrustStore>, key: &IdentityKey, alice: &IdentityKey) -> VerifiedIdentity {
    let name = if key == alice { "alice" } else { "bob" };
    trust
        .borrow_mut()
        .check_at(&PeerId::new(name).unwrap(), key, 0)
        .unwrap()
}

fn sessions(p: &mut Parties) -> (Session, Session) {
    sessions_on(p, CipherSuite::XChaCha20Poly1305)
}

/// A settled pair of sessions on `suite`.
fn sessions_on(p: &mut Parties, suite: CipherSuite) -> (Session, Session) {
    let alice = p.alice_id.public().clone();
    let bob = p.bob_id.public().clone();
    p.bob_prekeys
        .set_cipher_suites(&p.bob_id, &[CipherSuite::XChaCha20Poly1305, suite])
        .unwrap();
    let bundle = p.bob_prekeys.bundle();
    let vb = proof(&p.trust, &bob, &alice);
    let mut a = Session::initiate_with_suites(
        &mut p.rng,
        &p.alice_id,
        &vb,
        &bundle,
        HandshakePolicy::RequirePostQuantum,
        &[suite],
    )
    .unwrap();
    let first = a
        .encrypt(&mut p.rng, vb, OutgoingMessage::new(b"hi", 0))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let va = proof(&p.trust, &alice, &alice);
    let (mut b, _) = Session::accept(&p.bob_id, &mut p.bob_prekeys, &va, &env, 0).unwrap();
    let r = b
        .encrypt(
            &mut p.rng,
            proof(&p.trust, &alice, &alice),
            OutgoingMessage::new(b"ok", 0),
        )
        .unwrap();
    a.decrypt(proof(&p.trust, &bob, &alice), &r.envelope, 0)
        .unwrap();
    let r = a
        .encrypt(
            &mut p.rng,
            proof(&p.trust, &bob, &alice),
            OutgoingMessage::new(b"ok", 0),
        )
        .unwrap();
    b.decrypt(proof(&p.trust, &alice, &alice), &r.envelope, 0)
        .unwrap();
    (a, b)
}

/// Initiator: the bundle as the app holds it (already parsed), PQXDH and
/// the first message ("hi").
#[inline(never)]
fn measured_initiate(p: &mut Parties, bundle: &PreKeyBundle, n: usize) {
    let alice = p.alice_id.public().clone();
    for _ in 0..n {
        let vb = proof(&p.trust, bundle.identity(), &alice);
        let mut s = Session::initiate(&mut p.rng, &p.alice_id, &vb, bundle).unwrap();
        let vb = proof(&p.trust, bundle.identity(), &alice);
        black_box(
            s.encrypt(&mut p.rng, vb, OutgoingMessage::new(b"hi", 0))
                .unwrap(),
        );
    }
}

/// Initiator from the bundle's bytes: parse (every signature checked),
/// PQXDH and the first message.
#[inline(never)]
fn measured_initiate_parse(p: &mut Parties, bundle: &[u8], n: usize) {
    let alice = p.alice_id.public().clone();
    for _ in 0..n {
        let bundle = PreKeyBundle::from_bytes(bundle).unwrap();
        let vb = proof(&p.trust, bundle.identity(), &alice);
        let mut s = Session::initiate(&mut p.rng, &p.alice_id, &vb, &bundle).unwrap();
        let vb = proof(&p.trust, bundle.identity(), &alice);
        black_box(
            s.encrypt(&mut p.rng, vb, OutgoingMessage::new(b"hi", 0))
                .unwrap(),
        );
    }
}

/// Responder: parse the first message, ask the trust store, PQXDH and
/// decrypt.
#[inline(never)]
fn measured_accept(p: &mut Parties, envs: &[Vec<u8>]) {
    let alice = p.alice_id.public().clone();
    for e in envs {
        let env = Envelope::parse(e).unwrap();
        let va = proof(&p.trust, env.initiator_identity().unwrap(), &alice);
        black_box(Session::accept(&p.bob_id, &mut p.bob_prekeys, &va, &env, 0).unwrap());
    }
}

/// Responder as an app that knows the sender's address: parse the first
/// message against the identity the trust store holds for it (whose
/// binding was checked when it was stored), ask the trust store, PQXDH
/// and decrypt.
#[inline(never)]
fn measured_accept_known(p: &mut Parties, envs: &[Vec<u8>]) {
    let alice = p.alice_id.public().clone();
    let peer = PeerId::new("alice").unwrap();
    for e in envs {
        let env = Envelope::parse_known(e, p.trust.borrow().identity(&peer)).unwrap();
        let va = proof(&p.trust, env.initiator_identity().unwrap(), &alice);
        black_box(Session::accept(&p.bob_id, &mut p.bob_prekeys, &va, &env, 0).unwrap());
    }
}

#[inline(never)]
fn measured_encrypt(p: &mut Parties, a: &mut Session, n: usize) {
    let alice = p.alice_id.public().clone();
    for _ in 0..n {
        let v = proof(&p.trust, a.peer_identity(), &alice);
        black_box(
            a.encrypt(&mut p.rng, v, OutgoingMessage::new(&BODY, 0))
                .unwrap(),
        );
    }
}

#[inline(never)]
fn measured_decrypt(p: &Parties, b: &mut Session, envs: &[Vec<u8>]) {
    let alice = p.alice_id.public().clone();
    for e in envs {
        let v = proof(&p.trust, b.peer_identity(), &alice);
        black_box(b.decrypt(v, e, 0).unwrap());
    }
}

#[inline(never)]
fn measured_floor_send(n: usize) {
    let ck = [7u8; 32];
    let mut buf = BODY;
    for _ in 0..n {
        black_box(floor_send(black_box(&ck), &mut buf));
    }
}

#[inline(never)]
fn measured_floor_receive(n: usize, ct: &[u8; 1024], tag: &[u8; 16]) {
    let ck = [7u8; 32];
    for _ in 0..n {
        black_box(floor_receive(black_box(&ck), ct, tag));
    }
}

#[inline(never)]
fn measured_wire_floor_send(n: usize) {
    let ck = [7u8; 32];
    let ad = [0x5a; WIRE_AD_LEN];
    let mut buf = [0x61; WIRE_PAYLOAD_LEN];
    for _ in 0..n {
        black_box(wire_floor_send(black_box(&ck), &ad, &mut buf));
    }
}

#[inline(never)]
fn measured_wire_floor_receive(n: usize, ct: &[u8; WIRE_PAYLOAD_LEN], tag: &[u8; 16]) {
    let ck = [7u8; 32];
    let ad = [0x5a; WIRE_AD_LEN];
    for _ in 0..n {
        black_box(wire_floor_receive(black_box(&ck), &ad, ct, tag));
    }
}

#[inline(never)]
fn measured_wire_floor_send_aes(n: usize) {
    let ck = [7u8; 32];
    let ad = [0x5a; WIRE_AD_LEN_AES];
    let mut buf = [0x61; WIRE_PAYLOAD_LEN];
    for _ in 0..n {
        black_box(wire_floor_send_aes(black_box(&ck), &ad, &mut buf));
    }
}

#[inline(never)]
fn measured_wire_floor_receive_aes(n: usize, ct: &[u8; WIRE_PAYLOAD_LEN], tag: &[u8; 16]) {
    let ck = [7u8; 32];
    let ad = [0x5a; WIRE_AD_LEN_AES];
    for _ in 0..n {
        black_box(wire_floor_receive_aes(black_box(&ck), &ad, ct, tag));
    }
}

struct Stand {
    rng: ChaCha20Rng,
    ik_a: StaticSecret,
    ik_b: StaticSecret,
    spk: StaticSecret,
    ik_a_pub: PublicKey,
    ik_b_pub: PublicKey,
    spk_pub: PublicKey,
    base_pub: PublicKey,
    ratchet_pub: PublicKey,
    dk: DecapsulationKey<MlKem1024>,
    ek_bytes: [u8; 1568],
    ct: ml_kem::Ciphertext<MlKem1024>,
    sent: [u8; 1024],
    tag: [u8; 16],
}

fn stand_ins() -> Stand {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let mut key = || StaticSecret::random_from_rng(&mut rng);
    let (ik_a, ik_b, spk, base, ratchet) = (key(), key(), key(), key(), key());
    let dk = DecapsulationKey::<MlKem1024>::from_seed(Array::from([3u8; 64]));
    let mut ek_bytes = [0u8; 1568];
    ek_bytes.copy_from_slice(dk.encapsulation_key().to_bytes().as_slice());
    let (ct, _) = dk
        .encapsulation_key()
        .encapsulate_deterministic(&Array::from([4u8; 32]));
    let mut sent = BODY;
    let tag = floor_send(&[7u8; 32], &mut sent);
    Stand {
        rng,
        ik_a_pub: PublicKey::from(&ik_a),
        ik_b_pub: PublicKey::from(&ik_b),
        spk_pub: PublicKey::from(&spk),
        base_pub: PublicKey::from(&base),
        ratchet_pub: PublicKey::from(&ratchet),
        ik_a,
        ik_b,
        spk,
        dk,
        ek_bytes,
        ct,
        sent,
        tag,
    }
}

/// 2 X25519 keygen + 4 DH + 2 HKDF + ML-KEM-1024 encapsulation (with key
/// parse) + the send floor.
#[inline(never)]
fn measured_floor_initiator(s: &mut Stand, n: usize) {
    let ck = [7u8; 32];
    for _ in 0..n {
        let mut buf = BODY;
        let ek = EncapsulationKey::<MlKem1024>::new(&Array::from(black_box(s.ek_bytes))).unwrap();
        black_box((
            x3dh_initiator_floor(&mut s.rng, &s.ik_a, &s.ik_b_pub, &s.spk_pub),
            ek.encapsulate_deterministic(&Array::from([5u8; 32])),
            floor_send(&ck, &mut buf),
        ));
    }
}

/// 4 DH + 2 HKDF + ML-KEM-1024 decapsulation + the receive floor.
#[inline(never)]
fn measured_floor_responder(s: &Stand, n: usize) {
    let ck = [7u8; 32];
    for _ in 0..n {
        black_box((
            x3dh_responder_floor(&s.spk, &s.ik_b, &s.ik_a_pub, &s.base_pub, &s.ratchet_pub),
            s.dk.decapsulate(black_box(&s.ct)),
            floor_receive(&ck, &s.sent, &s.tag),
        ));
    }
}

/// One strict Ed25519 verification (what each signature in a bundle costs).
#[inline(never)]
fn measured_ed25519_verify(n: usize) {
    let key = SigningKey::from_bytes(&[9u8; 32]);
    let sig = key.sign(b"bleep v1 signed prekey 0123456789abcdef0123456789abcdef");
    let vk = key.verifying_key();
    for _ in 0..n {
        vk.verify_strict(
            black_box(b"bleep v1 signed prekey 0123456789abcdef0123456789abcdef"),
            &sig,
        )
        .unwrap();
    }
}

/// Group catch-up (`benches/catch_up`): each of `sessions` (fresh
/// receivers) reads the 100 queued messages one at a time. Per message:
/// `Collected / (n × 100)`.
#[inline(never)]
fn measured_group_one_at_a_time(queue: &[Vec<u8>], sessions: Vec<GroupSession>) {
    for mut s in sessions {
        for m in queue {
            s.decrypt(m, 2).unwrap();
        }
        black_box(s);
    }
}

/// The same with one `decrypt_batch` call per receiver.
#[inline(never)]
fn measured_group_batch(queue: &[Vec<u8>], sessions: Vec<GroupSession>) {
    for mut s in sessions {
        let got = s.decrypt_batch(queue, 2);
        assert!(got.iter().all(Result::is_ok));
        black_box((s, got));
    }
}

#[inline(never)]
fn measured_group_floor_one_at_a_time(w: &catch_up::CatchUp, n: usize) {
    for _ in 0..n {
        w.floor_one_at_a_time();
    }
}

#[inline(never)]
fn measured_group_floor_batch(w: &catch_up::CatchUp, n: usize) {
    for _ in 0..n {
        w.floor_batch();
    }
}

#[inline(never)]
fn measured_x25519(s: &Stand, n: usize) {
    for _ in 0..n {
        black_box(s.spk.diffie_hellman(black_box(&s.base_pub)));
    }
}

#[inline(never)]
fn measured_kem_from_seed(n: usize) {
    for _ in 0..n {
        black_box(DecapsulationKey::<MlKem1024>::from_seed(Array::from(
            black_box([3u8; 64]),
        )));
    }
}

#[inline(never)]
fn measured_kem_decaps(s: &Stand, n: usize) {
    for _ in 0..n {
        black_box(s.dk.decapsulate(black_box(&s.ct)));
    }
}

const OPS: [&str; 24] = [
    "initiate",
    "initiate_parse",
    "accept",
    "accept_known",
    "encrypt",
    "decrypt",
    "encrypt_aes",
    "decrypt_aes",
    "wire_floor_send_aes",
    "wire_floor_receive_aes",
    "floor_initiator",
    "floor_responder",
    "floor_send",
    "floor_receive",
    "wire_floor_send",
    "wire_floor_receive",
    "ed25519_verify",
    "x25519",
    "kem_from_seed",
    "kem_decaps",
    "group_one_at_a_time",
    "group_batch",
    "group_floor_one_at_a_time",
    "group_floor_batch",
];

fn run(op: &str, n: usize) {
    let mut p = parties();
    let bundle = p.bob_prekeys.bundle();
    let mut s = stand_ins();
    match op {
        "initiate" => measured_initiate(&mut p, &bundle, n),
        "initiate_parse" => measured_initiate_parse(&mut p, &bundle.to_bytes(), n),
        "accept" | "accept_known" => {
            let alice = p.alice_id.public().clone();
            let envs: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    let vb = proof(&p.trust, bundle.identity(), &alice);
                    let mut a = Session::initiate(&mut p.rng, &p.alice_id, &vb, &bundle).unwrap();
                    let vb = proof(&p.trust, bundle.identity(), &alice);
                    a.encrypt(&mut p.rng, vb, OutgoingMessage::new(b"hi", 0))
                        .unwrap()
                        .envelope
                })
                .collect();
            if op == "accept" {
                measured_accept(&mut p, &envs)
            } else {
                measured_accept_known(&mut p, &envs)
            }
        }
        "encrypt" => {
            let (mut a, _) = sessions(&mut p);
            measured_encrypt(&mut p, &mut a, n)
        }
        "encrypt_aes" => {
            let (mut a, _) = sessions_on(&mut p, CipherSuite::Aes256GcmSiv);
            measured_encrypt(&mut p, &mut a, n)
        }
        "decrypt" | "decrypt_aes" => {
            let suite = match op {
                "decrypt_aes" => CipherSuite::Aes256GcmSiv,
                _ => CipherSuite::XChaCha20Poly1305,
            };
            let (mut a, mut b) = sessions_on(&mut p, suite);
            let alice = p.alice_id.public().clone();
            let envs: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    let v = proof(&p.trust, a.peer_identity(), &alice);
                    a.encrypt(&mut p.rng, v, OutgoingMessage::new(&BODY, 0))
                        .unwrap()
                        .envelope
                })
                .collect();
            measured_decrypt(&p, &mut b, &envs)
        }
        "floor_initiator" => measured_floor_initiator(&mut s, n),
        "floor_responder" => measured_floor_responder(&s, n),
        "floor_send" => measured_floor_send(n),
        "floor_receive" => measured_floor_receive(n, &s.sent, &s.tag),
        "wire_floor_send" => measured_wire_floor_send(n),
        "wire_floor_receive" => {
            let mut ct = [0x61; WIRE_PAYLOAD_LEN];
            let tag = wire_floor_send(&[7u8; 32], &[0x5a; WIRE_AD_LEN], &mut ct);
            measured_wire_floor_receive(n, &ct, &tag)
        }
        "wire_floor_send_aes" => measured_wire_floor_send_aes(n),
        "wire_floor_receive_aes" => {
            let mut ct = [0x61; WIRE_PAYLOAD_LEN];
            let tag = wire_floor_send_aes(&[7u8; 32], &[0x5a; WIRE_AD_LEN_AES], &mut ct);
            measured_wire_floor_receive_aes(n, &ct, &tag)
        }
        "ed25519_verify" => measured_ed25519_verify(n),
        "x25519" => measured_x25519(&s, n),
        "kem_from_seed" => measured_kem_from_seed(n),
        "kem_decaps" => measured_kem_decaps(&s, n),
        "group_one_at_a_time" | "group_batch" => {
            let mut w = catch_up::catch_up();
            let sessions = (0..n).map(|_| w.fresh()).collect();
            if op == "group_batch" {
                measured_group_batch(&w.queue, sessions)
            } else {
                measured_group_one_at_a_time(&w.queue, sessions)
            }
        }
        "group_floor_one_at_a_time" => measured_group_floor_one_at_a_time(&catch_up::catch_up(), n),
        "group_floor_batch" => measured_group_floor_batch(&catch_up::catch_up(), n),
        _ => {
            eprintln!("unknown operation {op}; one of {OPS:?}");
            std::process::exit(2)
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        // `cargo bench` passes `--bench`: run each operation once.
        None | Some("--bench") => {
            for op in OPS {
                run(op, 1);
            }
        }
        Some(op) => {
            let n = args.get(1).map_or(100, |n| n.parse().expect("a count"));
            run(op, n);
        }
    }
}
