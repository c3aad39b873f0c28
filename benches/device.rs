//! The device layer's cost beside the bare session step, in the same run.
//!
//! `bare session` is what the layer must do anyway: a trust check, one
//! symmetric-step encrypt and one decrypt of a 1 KiB text. `device/memory`
//! and `device/sqlite` are the same message through [`Device::send`] and
//! [`Device::receive`] (sealing every changed row, one commit per call),
//! then [`Device::erase`] (as an app files each message, keeping the vault
//! small): three commits per message. Delivery receipts are off so each
//! side does one message's work. SQLite runs on a temp file, WAL,
//! `synchronous = FULL`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use bleep::store::{MemoryStore, SqliteStore, Store};
use bleep::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use std::time::Duration;

const NOW: u64 = 1_700_000_000;

fn text() -> String {
    "a".repeat(1024)
}

fn pair<S: Store>(rng: &mut ChaCha20Rng, sa: S, sb: S) -> (Device<S>, Device<S>) {
    let (okafor, patel) = (
        PeerId::new("okafor").unwrap(),
        PeerId::new("patel").unwrap(),
    );
    let (aa, ba) = (
        DeviceAddress::new(&okafor, 1).unwrap(),
        DeviceAddress::new(&patel, 1).unwrap(),
    );
    let p = TrustPolicy::RequireVerified;
    let mut a =
        Device::create(rng, sa, StorageKey::from_bytes([1; 32]), aa.clone(), p, NOW).unwrap();
    let mut b =
        Device::create(rng, sb, StorageKey::from_bytes([2; 32]), ba.clone(), p, NOW).unwrap();
    a.add_peer_device(rng, &ba, &b.prekey_bundle()).unwrap();
    b.add_peer_device(rng, &aa, &a.prekey_bundle()).unwrap();
    a.mark_verified(rng, &ba, VerificationMethod::QrCode, NOW)
        .unwrap();
    b.mark_verified(rng, &aa, VerificationMethod::QrCode, NOW)
        .unwrap();
    a.set_delivery_receipts(rng, false).unwrap();
    b.set_delivery_receipts(rng, false).unwrap();
    // Establish the session both ways so the timed step is symmetric.
    let x = a.send(rng, &patel, Outgoing::text("hi"), NOW).unwrap();
    b.receive(rng, &aa, &x.envelopes[0].envelope, NOW).unwrap();
    let y = b.send(rng, &okafor, Outgoing::text("hi"), NOW).unwrap();
    a.receive(rng, &ba, &y.envelopes[0].envelope, NOW).unwrap();
    (a, b)
}

fn step<S: Store>(rng: &mut ChaCha20Rng, a: &mut Device<S>, b: &mut Device<S>, body: &str) {
    let patel = b.address().clone();
    let from = a.address().clone();
    let sent = a
        .send(rng, patel.clinician(), Outgoing::text(body), NOW)
        .unwrap();
    let got = b
        .receive(rng, &from, &sent.envelopes[0].envelope, NOW)
        .unwrap();
    let Event::Message { message, .. } = got.event else {
        panic!("not a message")
    };
    b.erase(rng, &message).unwrap();
    black_box(message);
}

/// A read receipt each way round: the session and peer-record work of the
/// layer without the vault.
fn receipt<S: Store>(rng: &mut ChaCha20Rng, a: &mut Device<S>, b: &mut Device<S>) {
    let to = b.address().clone();
    let from = a.address().clone();
    let ids = vec![MessageId([7; 16])];
    let sent = a
        .send_to_device(rng, &to, Outgoing::read(ids), NOW)
        .unwrap();
    let got = b
        .receive(rng, &from, &sent.envelopes[0].envelope, NOW)
        .unwrap();
    black_box(got);
}

fn bench(c: &mut Criterion) {
    let body = text();
    let mut g = c.benchmark_group("device");
    g.throughput(Throughput::Elements(1));
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(4));

    // The bare session step the layer wraps.
    {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let mut prekeys = PreKeyStore::new(&mut rng, &bob);
        let mut ta = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        let mut tb = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        let (aid, bid) = (PeerId::new("alice").unwrap(), PeerId::new("bob").unwrap());
        let vb = ta.check_at(&bid, bob.public(), NOW).unwrap();
        let mut s_a = Session::initiate(&mut rng, &alice, &vb, &prekeys.bundle()).unwrap();
        let first = s_a
            .encrypt(&mut rng, vb, OutgoingMessage::new(b"hi", NOW))
            .unwrap();
        let env = Envelope::parse(&first.envelope).unwrap();
        let va = tb.check_at(&aid, alice.public(), NOW).unwrap();
        let (mut s_b, _) = Session::accept(&bob, &mut prekeys, &va, &env, NOW).unwrap();
        let r = s_b
            .encrypt(&mut rng, va, OutgoingMessage::new(b"hi", NOW))
            .unwrap();
        let p = ta.check_at(&bid, bob.public(), NOW).unwrap();
        s_a.decrypt(p, &r.envelope, NOW).unwrap();
        g.bench_function("bare session send+receive 1KiB", |bch| {
            bch.iter(|| {
                let p = ta.check_at(&bid, bob.public(), NOW).unwrap();
                let m = s_a
                    .encrypt(&mut rng, p, OutgoingMessage::new(body.as_bytes(), NOW))
                    .unwrap();
                let p = tb.check_at(&aid, alice.public(), NOW).unwrap();
                black_box(s_b.decrypt(p, &m.envelope, NOW).unwrap());
            })
        });
    }

    {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let (mut a, mut b) = pair(&mut rng, MemoryStore::new(), MemoryStore::new());
        g.bench_function("memory send+receive read receipt (no vault)", |bch| {
            bch.iter(|| receipt(&mut rng, &mut a, &mut b))
        });
        g.bench_function("memory send+receive+erase 1KiB", |bch| {
            bch.iter(|| step(&mut rng, &mut a, &mut b, &body))
        });
    }

    {
        let dir = std::env::temp_dir();
        let pid = std::process::id();
        let pa = dir.join(format!("bleep-bench-a-{pid}.db"));
        let pb = dir.join(format!("bleep-bench-b-{pid}.db"));
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (mut a, mut b) = pair(
            &mut rng,
            SqliteStore::open(&pa).unwrap(),
            SqliteStore::open(&pb).unwrap(),
        );
        g.bench_function("sqlite send+receive+erase 1KiB", |bch| {
            bch.iter(|| step(&mut rng, &mut a, &mut b, &body))
        });
        drop((a, b));
        for p in [pa, pb] {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
