//! The `device_group` target's checks, shared with `tests/fuzz_corpus.rs`.
//!
//! A device that is in a group with one verified peer is handed a group
//! message through `Device::receive_group`: the input is XORed over a
//! genuine message from that peer (input bytes past its end are appended;
//! a first input byte of 0xff cuts the message to the input's length).
//! Never a panic; only the genuine bytes are shown as a message; a message
//! naming a sender chain the device does not hold is kept to wait for its
//! key, in one new sealed `gmsg/` row that opens again; anything else
//! leaves every row of the store as it was.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    dead_code,
    unreachable_pub
)]

use bleep::store::{MemoryStore, Store};
use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::sync::OnceLock;

const T0: u64 = 1_700_000_000;

struct Fixture {
    store: MemoryStore,
    from: DeviceAddress,
    message: Vec<u8>,
}

fn addr(name: &str) -> DeviceAddress {
    DeviceAddress::new(&PeerId::new(name).unwrap(), 1).unwrap()
}

/// The receiving device's store, built once.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let (a_addr, b_addr) = (addr("lead"), addr("nurse"));
        let policy = TrustPolicy::RequireVerified;
        let mut a = Device::create(
            &mut rng,
            MemoryStore::new(),
            StorageKey::from_bytes([1; 32]),
            a_addr.clone(),
            policy,
            T0,
        )
        .unwrap();
        let mut b = Device::create(
            &mut rng,
            MemoryStore::new(),
            StorageKey::from_bytes([2; 32]),
            b_addr.clone(),
            policy,
            T0,
        )
        .unwrap();
        a.add_peer_device(&mut rng, &b_addr, &b.prekey_bundle())
            .unwrap();
        b.add_peer_device(&mut rng, &a_addr, &a.prekey_bundle())
            .unwrap();
        a.mark_verified(&mut rng, &b_addr, VerificationMethod::QrCode, T0)
            .unwrap();
        b.mark_verified(&mut rng, &a_addr, VerificationMethod::QrCode, T0)
            .unwrap();
        let (group, sent) = a
            .create_group(&mut rng, core::slice::from_ref(&b_addr), T0)
            .unwrap();
        for e in sent.envelopes {
            let got = b.receive(&mut rng, &a_addr, &e.envelope, T0).unwrap();
            for r in got.replies {
                a.receive(&mut rng, &b_addr, &r.envelope, T0).unwrap();
            }
        }
        let message = a
            .send_group(&mut rng, &group, Outgoing::text("fuzz me"), T0)
            .unwrap()
            .message;
        Fixture {
            store: b.into_store(),
            from: a_addr,
            message,
        }
    })
}

fn masked(genuine: &[u8], mask: &[u8]) -> Vec<u8> {
    let mut out = genuine.to_vec();
    for (i, m) in mask.iter().enumerate() {
        match out.get_mut(i) {
            Some(b) => *b ^= m,
            None => out.push(*m),
        }
    }
    if mask.first() == Some(&0xff) {
        out.truncate(mask.len());
    }
    out
}

/// Runs one input; returns whether the message was shown.
pub fn device_group(data: &[u8]) -> bool {
    let f = fixture();
    let bytes = masked(&f.message, data);
    let mut d = Device::open(f.store.snapshot(), StorageKey::from_bytes([2; 32])).unwrap();
    let before = d.store().scan(b"").unwrap();
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    match d.receive_group(&mut rng, &f.from, &bytes, T0 + 1) {
        Ok(Received {
            event: Event::Group(GroupEvent::Message { .. }),
            ..
        }) => {
            assert_eq!(bytes, f.message, "altered bytes were shown");
            true
        }
        Ok(Received {
            event: Event::Group(GroupEvent::MessageWaiting { .. }),
            ..
        }) => {
            let after = d.store().scan(b"").unwrap();
            let others: Vec<_> = after
                .iter()
                .filter(|(k, _)| !k.starts_with(b"gmsg/"))
                .cloned()
                .collect();
            assert_eq!(others, before, "a waiting message changed another row");
            assert_eq!(after.len(), before.len() + 1, "one waiting row");
            let again = Device::open(d.into_store(), StorageKey::from_bytes([2; 32])).unwrap();
            assert_eq!(again.waiting_group_messages(), 1);
            false
        }
        _ => {
            assert_eq!(
                d.store().scan(b"").unwrap(),
                before,
                "a refused message changed the store"
            );
            false
        }
    }
}
