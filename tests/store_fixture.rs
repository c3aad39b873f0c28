//! Stores written by an earlier layout still open and carry on
//! (`docs/PROTOCOL.md` §12.4). `tests/fixtures/device_store_keyed_msg_*.bin`
//! are the rows of two devices as the layout with keyed vault row names
//! (`msg/` + 32 hex digits, before numbered vault rows) wrote them: Dr
//! Patel's device holds two of three texts from Dr Okafor's (one erased).
//! Each file is `[key length (4) || key || value length (4) || value]...`,
//! big-endian lengths.
//!
//! `tests/fixtures/device_store_sent_per_id_*.bin` are the rows of two
//! devices as the layout with one `sent/` row per unconfirmed id wrote
//! them (before one row per flush): Dr Okafor's device sent twelve texts
//! with delivery receipts off on both sides, so nine of its unconfirmed
//! ids have a row each and three sit in the peer record.
//!
//! `BLEEP_WRITE_STORE_FIXTURES=keyed-msg` (or `=sent-per-id`) `cargo test
//! --test store_fixture` writes those files again, with whatever layout
//! the code then writes: only do that with the layout the files are named
//! for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::store::{ChangeSet, MemoryStore, Store};
use bleep::*;
use device_common::*;
use std::path::PathBuf;

const TEXTS: [&str; 3] = [
    "Bed 7: obs stable",
    "Bed 9: review bloods",
    "Bed 2: discharged",
];

fn fixture(name: &str) -> PathBuf {
    fixture_of("keyed_msg", name)
}

fn fixture_of(layout: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("device_store_{layout}_{name}.bin"))
}

fn writing(layout: &str) -> bool {
    std::env::var_os("BLEEP_WRITE_STORE_FIXTURES").is_some_and(|v| v == layout)
}

fn dump(store: &MemoryStore) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in rows(store) {
        out.extend_from_slice(&u32::try_from(k.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&k);
        out.extend_from_slice(&u32::try_from(v.len()).unwrap().to_be_bytes());
        out.extend_from_slice(&v);
    }
    out
}

fn undump(bytes: &[u8]) -> MemoryStore {
    let mut cs = ChangeSet::new();
    let mut rest = bytes;
    let take = |rest: &mut &[u8]| {
        let (len, tail) = rest.split_at(4);
        let len = u32::from_be_bytes(len.try_into().unwrap()) as usize;
        let (item, tail) = tail.split_at(len);
        *rest = tail;
        item.to_vec()
    };
    while !rest.is_empty() {
        let k = take(&mut rest);
        let v = take(&mut rest);
        cs.put(k, v);
    }
    let mut store = MemoryStore::new();
    store.commit(&cs).unwrap();
    store
}

/// Writes the fixtures (only with `BLEEP_WRITE_STORE_FIXTURES=1`).
#[test]
fn write_fixtures() {
    if !writing("keyed-msg") {
        return;
    }
    let mut r = rng(41);
    let mut ds = vec![
        device(&mut r, MemoryStore::new(), "okafor", 1),
        device(&mut r, MemoryStore::new(), "patel", 1),
    ];
    introduce(&mut r, &mut ds);
    let (aa, patel) = (ds[0].address().clone(), PeerId::new("patel").unwrap());
    let mut ids = Vec::new();
    for (i, t) in TEXTS.iter().enumerate() {
        let now = T0 + 10 * i as u64;
        let sent = ds[0].send(&mut r, &patel, Outgoing::text(t), now).unwrap();
        let got = ds[1]
            .receive(&mut r, &aa, &sent.envelopes[0].envelope, now + 1)
            .unwrap();
        let Event::Message { message, .. } = got.event else {
            panic!("{:?}", got.event)
        };
        ids.push(message);
    }
    assert!(ds[1].erase(&mut r, &ids[1]).unwrap());
    std::fs::write(fixture("okafor"), dump(ds[0].store())).unwrap();
    std::fs::write(fixture("patel"), dump(ds[1].store())).unwrap();
}

/// Texts of the `sent_per_id` fixtures.
const SENT_TEXTS: usize = 12;

/// Writes the `sent_per_id` fixtures (only with
/// `BLEEP_WRITE_STORE_FIXTURES=sent-per-id`).
#[test]
fn write_sent_per_id_fixtures() {
    if !writing("sent-per-id") {
        return;
    }
    let mut r = rng(43);
    let mut ds = vec![
        device(&mut r, MemoryStore::new(), "okafor", 1),
        device(&mut r, MemoryStore::new(), "patel", 1),
    ];
    introduce(&mut r, &mut ds);
    for d in &mut ds {
        d.set_delivery_receipts(&mut r, false).unwrap();
    }
    let (aa, patel) = (ds[0].address().clone(), PeerId::new("patel").unwrap());
    for i in 0..SENT_TEXTS {
        let now = T0 + 10 * i as u64;
        let text = format!("Bed {i}: obs stable");
        let sent = ds[0]
            .send(&mut r, &patel, Outgoing::text(&text), now)
            .unwrap();
        ds[1]
            .receive(&mut r, &aa, &sent.envelopes[0].envelope, now + 1)
            .unwrap();
    }
    let sent_rows = ds[0].store().scan(b"sent/").unwrap().len();
    assert_eq!(sent_rows, 9, "one row per id once more than eight wait");
    std::fs::write(fixture_of("sent_per_id", "okafor"), dump(ds[0].store())).unwrap();
    std::fs::write(fixture_of("sent_per_id", "patel"), dump(ds[1].store())).unwrap();
}

#[test]
fn a_store_with_keyed_vault_rows_opens_and_carries_on() {
    let load = |name: &str| undump(&std::fs::read(fixture(name)).unwrap());
    let (a_store, b_store) = (load("okafor"), load("patel"));
    let keyed = |s: &MemoryStore| {
        s.scan(b"msg/")
            .unwrap()
            .iter()
            .filter(|(k, _)| k.len() == 4 + 32)
            .count()
    };
    assert_eq!(keyed(&b_store), 2, "the fixture holds keyed vault rows");
    let mut a = Device::open(a_store, key_of("okafor", 1)).unwrap();
    let mut b = Device::open(b_store, key_of("patel", 1)).unwrap();
    let now = T0 + 100;
    let held = |b: &Device<MemoryStore>| {
        let mut texts: Vec<String> = b
            .awaiting_filing(now)
            .iter()
            .map(|w| {
                let (_, body) = b.message(&w.message, now).unwrap();
                String::from_utf8(body.expose().to_vec()).unwrap()
            })
            .collect();
        texts.sort();
        texts
    };
    assert_eq!(held(&b), [TEXTS[2], TEXTS[0]]);

    // The conversation carries on: a new text lands in a row of the
    // current layout beside the old ones.
    let mut r = rng(42);
    let (aa, patel) = (a.address().clone(), PeerId::new("patel").unwrap());
    let sent = a
        .send(&mut r, &patel, Outgoing::text("Bed 4: new admission"), now)
        .unwrap();
    let got = b
        .receive(&mut r, &aa, &sent.envelopes[0].envelope, now + 1)
        .unwrap();
    let Event::Message { message, .. } = got.event else {
        panic!("{:?}", got.event)
    };
    assert_eq!(b.store().scan(b"msg/").unwrap().len(), 3);

    // Erasing a message in a keyed row deletes that row; the store then
    // reopens with the rest.
    let old = b
        .awaiting_filing(now)
        .into_iter()
        .map(|w| w.message)
        .find(|m| *m != message)
        .unwrap();
    assert!(b.erase(&mut r, &old).unwrap());
    assert_eq!(keyed(b.store()), 1);
    let b = Device::open(b.into_store(), key_of("patel", 1)).unwrap();
    assert_eq!(b.store().scan(b"msg/").unwrap().len(), 2);
    assert_eq!(held(&b).len(), 2);
    assert!(held(&b).contains(&"Bed 4: new admission".to_string()));
}

#[test]
fn a_store_with_one_sent_row_per_id_opens_and_carries_on() {
    let load = |name: &str| undump(&std::fs::read(fixture_of("sent_per_id", name)).unwrap());
    let (a_store, b_store) = (load("okafor"), load("patel"));
    assert_eq!(a_store.scan(b"sent/").unwrap().len(), 9, "one row per id");
    let mut a = Device::open(a_store, key_of("okafor", 1)).unwrap();
    let mut b = Device::open(b_store, key_of("patel", 1)).unwrap();
    let (aa, ba) = (a.address().clone(), b.address().clone());
    let patel = PeerId::new("patel").unwrap();
    let ids: Vec<MessageId> = a.unconfirmed(&ba).iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), SENT_TEXTS);
    let times: Vec<u64> = a.unconfirmed(&ba).iter().map(|(_, at)| *at).collect();
    let expected: Vec<u64> = (0..SENT_TEXTS as u64).map(|i| T0 + 10 * i).collect();
    assert_eq!(times, expected, "oldest first, as sent");

    // Confirming ids held in the old rows (the first in order, one from
    // the middle) deletes their rows; the rest stay unconfirmed across a
    // reopen.
    let mut r = rng(44);
    let now = T0 + 1_000;
    let receipt = b
        .send_to_device(&mut r, &aa, Outgoing::read(vec![ids[0], ids[4]]), now)
        .unwrap();
    a.receive(&mut r, &ba, &receipt.envelopes[0].envelope, now)
        .unwrap();
    assert_eq!(a.store().scan(b"sent/").unwrap().len(), 7);
    let left: Vec<MessageId> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 0 && *i != 4)
        .map(|(_, id)| *id)
        .collect();
    let unconfirmed = |a: &Device<MemoryStore>| -> Vec<MessageId> {
        a.unconfirmed(&ba).iter().map(|(id, _)| *id).collect()
    };
    assert_eq!(unconfirmed(&a), left);
    let mut a = Device::open(a.into_store(), key_of("okafor", 1)).unwrap();
    assert_eq!(unconfirmed(&a), left);

    // New sends beside the old rows: once more than eight ids wait
    // outside rows, they move to one new row together.
    let mut all = left.clone();
    for i in 0..9 {
        let sent = a
            .send(&mut r, &patel, Outgoing::text("Bed 3: obs"), now + i)
            .unwrap();
        all.push(sent.envelopes[0].id);
        b.receive(&mut r, &aa, &sent.envelopes[0].envelope, now + i)
            .unwrap();
    }
    assert_eq!(a.store().scan(b"sent/").unwrap().len(), 8);
    assert_eq!(unconfirmed(&a), all);
    let a = Device::open(a.into_store(), key_of("okafor", 1)).unwrap();
    assert_eq!(unconfirmed(&a), all);
}
