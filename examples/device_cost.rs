//! A fixed amount of messaging work, for counting instructions with
//! callgrind (repeatable on a loaded machine, where wall-clock is not):
//!
//! ```sh
//! cargo build --release --example device_cost
//! for mode in bare bare+seal layer layer+erase layer+receipt; do for n in 0 200; do
//!   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$mode.$n \
//!     target/release/examples/device_cost $mode $n
//! done; done
//! ```
//!
//! `bare`: `n` 1 KiB texts through the bare session step (trust check,
//! encrypt, trust check, decrypt), as `benches/device.rs` measures it.
//! `bare+seal`: the same step with each side's session sealed after it
//! (`Session::encrypt_and_seal`, `Session::decrypt_and_seal`): the least an
//! app on the session API must do to keep its state.
//! `layer`: the same texts through `Device::send` and `Device::receive` on
//! the memory store; `layer+erase` also erases each (three commits per
//! message); `layer+receipt` turns delivery receipts on and hands each
//! receipt back to the sender (the default flow: a receipt confirms the
//! text, so its id never needs a row of its own). The setup is the same
//! for every `n`: the cost per message is
//! the difference between `n = 200` and `n = 0`, divided by 200.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::store::MemoryStore;
use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;

const NOW: u64 = 1_700_000_000;

fn bare(rng: &mut ChaCha20Rng, n: usize, body: &[u8], sealed: bool) {
    let alice = IdentityKeyPair::generate(rng);
    let bob = IdentityKeyPair::generate(rng);
    let mut prekeys = PreKeyStore::new(rng, &bob);
    let mut ta = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let mut tb = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let (aid, bid) = (PeerId::new("alice").unwrap(), PeerId::new("bob").unwrap());
    let vb = ta.check_at(&bid, bob.public(), NOW).unwrap();
    let mut s_a = Session::initiate(rng, &alice, &vb, &prekeys.bundle()).unwrap();
    let first = s_a
        .encrypt(rng, vb, OutgoingMessage::new(b"hi", NOW))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let va = tb.check_at(&aid, alice.public(), NOW).unwrap();
    let (mut s_b, _) = Session::accept(&bob, &mut prekeys, &va, &env, NOW).unwrap();
    let r = s_b
        .encrypt(rng, va, OutgoingMessage::new(b"hi", NOW))
        .unwrap();
    let p = ta.check_at(&bid, bob.public(), NOW).unwrap();
    s_a.decrypt(p, &r.envelope, NOW).unwrap();
    let (ka, kb) = (
        StorageKey::from_bytes([1; 32]),
        StorageKey::from_bytes([2; 32]),
    );
    for _ in 0..n {
        let p = ta.check_at(&bid, bob.public(), NOW).unwrap();
        let m = if sealed {
            let pending = s_a
                .encrypt_and_seal(rng, &ka, p, OutgoingMessage::new(body, NOW))
                .unwrap();
            black_box(pending.sealed_state());
            pending.state_saved()
        } else {
            s_a.encrypt(rng, p, OutgoingMessage::new(body, NOW))
                .unwrap()
        };
        let p = tb.check_at(&aid, alice.public(), NOW).unwrap();
        if sealed {
            black_box(s_b.decrypt_and_seal(rng, &kb, p, &m.envelope, NOW).unwrap());
        } else {
            black_box(s_b.decrypt(p, &m.envelope, NOW).unwrap());
        }
    }
}

fn layer(rng: &mut ChaCha20Rng, n: usize, body: &str, erase: bool, receipts: bool) {
    let (okafor, patel) = (
        PeerId::new("okafor").unwrap(),
        PeerId::new("patel").unwrap(),
    );
    let (aa, ba) = (
        DeviceAddress::new(&okafor, 1).unwrap(),
        DeviceAddress::new(&patel, 1).unwrap(),
    );
    let p = TrustPolicy::RequireVerified;
    let (ka, kb) = (
        StorageKey::from_bytes([1; 32]),
        StorageKey::from_bytes([2; 32]),
    );
    let mut a = Device::create(rng, MemoryStore::new(), ka, aa.clone(), p, NOW).unwrap();
    let mut b = Device::create(rng, MemoryStore::new(), kb, ba.clone(), p, NOW).unwrap();
    a.add_peer_device(rng, &ba, &b.prekey_bundle()).unwrap();
    b.add_peer_device(rng, &aa, &a.prekey_bundle()).unwrap();
    a.mark_verified(rng, &ba, VerificationMethod::QrCode, NOW)
        .unwrap();
    b.mark_verified(rng, &aa, VerificationMethod::QrCode, NOW)
        .unwrap();
    a.set_delivery_receipts(rng, receipts).unwrap();
    b.set_delivery_receipts(rng, receipts).unwrap();
    let x = a.send(rng, &patel, Outgoing::text("hi"), NOW).unwrap();
    b.receive(rng, &aa, &x.envelopes[0].envelope, NOW).unwrap();
    let y = b.send(rng, &okafor, Outgoing::text("hi"), NOW).unwrap();
    a.receive(rng, &ba, &y.envelopes[0].envelope, NOW).unwrap();
    for _ in 0..n {
        let sent = a.send(rng, &patel, Outgoing::text(body), NOW).unwrap();
        let got = b
            .receive(rng, &aa, &sent.envelopes[0].envelope, NOW)
            .unwrap();
        for r in &got.replies {
            black_box(a.receive(rng, &ba, &r.envelope, NOW).unwrap());
        }
        if erase {
            let Event::Message { message, .. } = got.event else {
                panic!("not a message")
            };
            b.erase(rng, &message).unwrap();
        } else {
            black_box(got);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "layer".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let body = "a".repeat(1024);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    match mode.as_str() {
        "bare" => bare(&mut rng, n, body.as_bytes(), false),
        "bare+seal" => bare(&mut rng, n, body.as_bytes(), true),
        "layer" => layer(&mut rng, n, &body, false, false),
        "layer+erase" => layer(&mut rng, n, &body, true, false),
        "layer+receipt" => layer(&mut rng, n, &body, false, true),
        other => {
            panic!("unknown mode {other}: bare, bare+seal, layer, layer+erase or layer+receipt")
        }
    }
}
