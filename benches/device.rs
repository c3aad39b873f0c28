//! The device layer's cost beside the bare session step, in the same run.
//!
//! `bare session` is what the layer must do anyway: a trust check, one
//! symmetric-step encrypt and one decrypt of a 1 KiB text; `bare session
//! sealed` also seals each side's session after its step
//! ([`Session::encrypt_and_seal`], [`Session::decrypt_and_seal`]), the
//! least an app on the session API must do to keep its state. `memory
//! send+receive` is the same message through [`Device::send`] and
//! [`Device::receive`] (sealing the rows each changed, one commit per
//! call); `…+erase` adds [`Device::erase`], as an app files each message:
//! three commits per message (SQLite also without the erase, timed
//! around send and receive only: two commits). Delivery receipts are off so each side does
//! one message's work. SQLite runs on a temp file in WAL mode, with
//! `synchronous = FULL` (the default, [`Durability::Full`]) and `NORMAL`.
//!
//! `catch-up` is 1,000 envelopes queued while the receiver was offline,
//! received one call at a time (1,000 commits) or with
//! [`Device::receive_batch`] (one commit), into a fresh copy of the
//! receiver each iteration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use bleep::store::{ChangeSet, Durability, MemoryStore, Row, SqliteStore, Store};
use bleep::*;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use std::time::{Duration, Instant};

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

/// One text from `a` to `b`, no erase: returns the time of send and
/// receive, then erases the message untimed (the vault holds at most
/// 1,000).
fn send_receive<S: Store>(
    rng: &mut ChaCha20Rng,
    a: &mut Device<S>,
    b: &mut Device<S>,
    body: &str,
) -> Duration {
    let patel = b.address().clone();
    let from = a.address().clone();
    let t = Instant::now();
    let sent = a
        .send(rng, patel.clinician(), Outgoing::text(body), NOW)
        .unwrap();
    let got = b
        .receive(rng, &from, &sent.envelopes[0].envelope, NOW)
        .unwrap();
    let took = t.elapsed();
    let Event::Message { message, .. } = got.event else {
        panic!("not a message")
    };
    b.erase(rng, &message).unwrap();
    took
}

/// A temp file path for a database, and its removal.
fn db_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("bleep-bench-{name}-{}.db", std::process::id()))
}

fn remove_db(p: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
}

/// A new SQLite file holding `rows`.
fn sqlite_with(path: &std::path::Path, rows: &[Row]) -> SqliteStore {
    remove_db(path);
    let mut s = SqliteStore::open(path).unwrap();
    let mut cs = ChangeSet::new();
    for (k, v) in rows {
        cs.put(k.clone(), v.clone());
    }
    s.commit(&cs).unwrap();
    s
}

const CATCH_UP: usize = 1000;

/// The receiver's rows before a catch-up, and the queue it finds.
fn catch_up_world(rng: &mut ChaCha20Rng, body: &str) -> (Vec<Row>, Vec<(DeviceAddress, Vec<u8>)>) {
    let (mut a, mut b) = pair(rng, MemoryStore::new(), MemoryStore::new());
    // An empty vault, so the 1,000 texts fit.
    for m in b.awaiting_filing(NOW) {
        b.erase(rng, &m.message).unwrap();
    }
    let to = b.address().clone();
    let from = a.address().clone();
    let queue = (0..CATCH_UP)
        .map(|_| {
            let x = a
                .send(rng, to.clinician(), Outgoing::text(body), NOW)
                .unwrap();
            (from.clone(), x.envelopes[0].envelope.clone())
        })
        .collect();
    (b.store().scan(b"").unwrap(), queue)
}

fn one_at_a_time<S: Store>(
    rng: &mut ChaCha20Rng,
    d: &mut Device<S>,
    queue: &[(DeviceAddress, Vec<u8>)],
) {
    for (from, env) in queue {
        black_box(d.receive(rng, from, env, NOW).unwrap());
    }
}

fn batched<S: Store>(rng: &mut ChaCha20Rng, d: &mut Device<S>, queue: &[(DeviceAddress, Vec<u8>)]) {
    let got = d.receive_batch(rng, queue, NOW).unwrap();
    assert!(got.iter().all(Result::is_ok));
    black_box(got);
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
        // The same step with each side's session sealed after it: the
        // least an app on the session API does to keep its state.
        let (ka, kb) = (
            StorageKey::from_bytes([1; 32]),
            StorageKey::from_bytes([2; 32]),
        );
        g.bench_function("bare session sealed send+receive 1KiB", |bch| {
            bch.iter(|| {
                let p = ta.check_at(&bid, bob.public(), NOW).unwrap();
                let pending = s_a
                    .encrypt_and_seal(&mut rng, &ka, p, OutgoingMessage::new(body.as_bytes(), NOW))
                    .unwrap();
                black_box(pending.sealed_state());
                let m = pending.state_saved();
                let p = tb.check_at(&aid, alice.public(), NOW).unwrap();
                black_box(
                    s_b.decrypt_and_seal(&mut rng, &kb, p, &m.envelope, NOW)
                        .unwrap(),
                );
            })
        });
    }

    {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let (mut a, mut b) = pair(&mut rng, MemoryStore::new(), MemoryStore::new());
        g.bench_function("memory send+receive 1KiB", |bch| {
            bch.iter_custom(|n| {
                (0..n)
                    .map(|_| send_receive(&mut rng, &mut a, &mut b, &body))
                    .sum()
            })
        });
        g.bench_function("memory send+receive read receipt (no vault)", |bch| {
            bch.iter(|| receipt(&mut rng, &mut a, &mut b))
        });
        g.bench_function("memory send+receive+erase 1KiB", |bch| {
            bch.iter(|| step(&mut rng, &mut a, &mut b, &body))
        });
    }

    for (name, durability) in [("full", Durability::Full), ("normal", Durability::Normal)] {
        let (pa, pb) = (db_path(&format!("a-{name}")), db_path(&format!("b-{name}")));
        remove_db(&pa);
        remove_db(&pb);
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (mut a, mut b) = pair(
            &mut rng,
            SqliteStore::open_with(&pa, durability).unwrap(),
            SqliteStore::open_with(&pb, durability).unwrap(),
        );
        g.bench_function(format!("sqlite {name} send+receive 1KiB"), |bch| {
            bch.iter_custom(|n| {
                (0..n)
                    .map(|_| send_receive(&mut rng, &mut a, &mut b, &body))
                    .sum()
            })
        });
        g.bench_function(format!("sqlite {name} send+receive+erase 1KiB"), |bch| {
            bch.iter(|| step(&mut rng, &mut a, &mut b, &body))
        });
        drop((a, b));
        remove_db(&pa);
        remove_db(&pb);
    }
    g.finish();

    // Catch-up: 1,000 queued 1 KiB texts into a fresh copy of the receiver.
    let mut g = c.benchmark_group("device catch-up");
    g.throughput(Throughput::Elements(CATCH_UP as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(5));
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (rows, queue) = catch_up_world(&mut rng, &body);
    let key = || StorageKey::from_bytes([2; 32]);
    let memory = || {
        let mut s = MemoryStore::new();
        let mut cs = ChangeSet::new();
        for (k, v) in &rows {
            cs.put(k.clone(), v.clone());
        }
        s.commit(&cs).unwrap();
        Device::open(s, key()).unwrap()
    };
    g.bench_function("memory 1000 one at a time", |bch| {
        bch.iter_batched(
            memory,
            |mut d| one_at_a_time(&mut rng, &mut d, &queue),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("memory 1000 batched", |bch| {
        bch.iter_batched(
            memory,
            |mut d| batched(&mut rng, &mut d, &queue),
            BatchSize::PerIteration,
        )
    });
    let path = db_path("catch-up");
    let sqlite = || Device::open(sqlite_with(&path, &rows), key()).unwrap();
    g.bench_function("sqlite full 1000 one at a time", |bch| {
        bch.iter_batched(
            sqlite,
            |mut d| one_at_a_time(&mut rng, &mut d, &queue),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("sqlite full 1000 batched", |bch| {
        bch.iter_batched(
            sqlite,
            |mut d| batched(&mut rng, &mut d, &queue),
            BatchSize::PerIteration,
        )
    });
    remove_db(&path);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
