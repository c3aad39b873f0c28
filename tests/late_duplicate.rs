//! Copies of envelopes delivered again long after they were read, found
//! by `tests/crash.rs` with an unbounded reordering transport (a server
//! restoring its queue, a phone fetching again after a crash). A session
//! forgets a chain `MAX_RETIRED_CHAINS` (8) DH turns after it was retired;
//! the device remembers the last `MAX_RECEIVED_RATCHET_KEYS` (128) ratchet
//! keys it received on from each peer device, so such a copy is still a
//! duplicate: no session reset, nothing shown. The first copy in
//! `MIN_RESET_INTERVAL_SECS` brings a session check back, which a peer in
//! step reads without showing anything; later copies change nothing. Beyond
//! that bound a copy is undecryptable, as a message of a lost session is
//! (`docs/PROTOCOL.md` §12.3).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod device_common;

use bleep::limits::MAX_RECEIVED_RATCHET_KEYS;
use bleep::store::{MemoryStore, Store};
use bleep::*;
use device_common::*;
use rand_chacha::ChaCha20Rng;

struct Pair {
    r: ChaCha20Rng,
    ds: Vec<Device<MemoryStore>>,
    aa: DeviceAddress,
    ba: DeviceAddress,
    okafor: PeerId,
    patel: PeerId,
}

impl Pair {
    fn new(seed: u64) -> Self {
        let mut r = rng(seed);
        let mut ds = vec![
            device(&mut r, MemoryStore::new(), "okafor", 1),
            device(&mut r, MemoryStore::new(), "patel", 1),
        ];
        introduce(&mut r, &mut ds);
        let (aa, ba) = (ds[0].address().clone(), ds[1].address().clone());
        Pair {
            r,
            ds,
            aa,
            ba,
            okafor: PeerId::new("okafor").unwrap(),
            patel: PeerId::new("patel").unwrap(),
        }
    }

    /// Okafor sends a text; returns its envelope.
    fn a_sends(&mut self, t: u64) -> Vec<u8> {
        let s = self.ds[0]
            .send(&mut self.r, &self.patel, Outgoing::text("a"), t)
            .unwrap();
        s.envelopes[0].envelope.clone()
    }

    fn b_receives(&mut self, env: &[u8], t: u64) -> Event {
        self.ds[1]
            .receive(&mut self.r, &self.aa, env, t)
            .unwrap()
            .event
    }

    /// `turns` DH turns each way, every message read at once.
    fn turns(&mut self, turns: u64, t: u64) {
        for i in 0..turns {
            let b = self.ds[1]
                .send(&mut self.r, &self.okafor, Outgoing::text("b"), t + i)
                .unwrap();
            self.ds[0]
                .receive(&mut self.r, &self.ba, &b.envelopes[0].envelope, t + i)
                .unwrap();
            let a = self.a_sends(t + i);
            assert!(matches!(self.b_receives(&a, t + i), Event::Message { .. }));
        }
    }
}

/// The first (prekey) message and an ordinary one read `turns` turns ago,
/// delivered again: both duplicates; the first brings a session check
/// that Okafor reads without showing anything, the second changes nothing.
fn copies_after(turns: u64) {
    let mut p = Pair::new(9);
    let first = p.a_sends(T0);
    assert!(matches!(p.b_receives(&first, T0), Event::Message { .. }));
    p.turns(1, T0 + 1);
    let ordinary = p.a_sends(T0 + 2);
    assert!(matches!(
        p.b_receives(&ordinary, T0 + 2),
        Event::Message { .. }
    ));
    p.turns(turns, T0 + 3);
    let got = p.ds[1].receive(&mut p.r, &p.aa, &first, T0 + 500).unwrap();
    assert!(
        matches!(got.event, Event::Duplicate { .. }),
        "{turns} turns: {:?}",
        got.event
    );
    assert_eq!(got.replies.len(), 1);
    let check = p.ds[0]
        .receive(&mut p.r, &p.ba, &got.replies[0].envelope, T0 + 500)
        .unwrap();
    assert!(matches!(check.event, Event::SessionCheck { .. }));
    assert!(check.replies.is_empty());
    let before = p.ds[1].store().scan(b"").unwrap();
    for env in [&first, &ordinary] {
        let got = p.ds[1].receive(&mut p.r, &p.aa, env, T0 + 501).unwrap();
        assert!(
            matches!(got.event, Event::Duplicate { .. }),
            "{turns} turns: {:?}",
            got.event
        );
        assert!(got.replies.is_empty());
    }
    assert_eq!(p.ds[1].store().scan(b"").unwrap(), before);
    // And the conversation goes on.
    let next = p.a_sends(T0 + 501);
    assert!(matches!(
        p.b_receives(&next, T0 + 501),
        Event::Message { .. }
    ));
}

#[test]
fn a_duplicate_delivered_9_turns_later_is_a_duplicate() {
    copies_after(9);
}

#[test]
fn a_duplicate_delivered_20_turns_later_is_a_duplicate() {
    copies_after(20);
}

#[test]
fn a_duplicate_delivered_100_turns_later_is_a_duplicate() {
    copies_after(100);
}

/// Beyond the record's bound a copy is undecryptable, as documented: the
/// first message names a one-time prekey used long ago, so a reset with
/// reason "prekey refused" is started.
#[test]
fn a_copy_older_than_the_record_is_undecryptable() {
    let mut p = Pair::new(10);
    let first = p.a_sends(T0);
    p.b_receives(&first, T0);
    p.turns(MAX_RECEIVED_RATCHET_KEYS as u64 + 2, T0 + 1);
    let got = p.ds[1].receive(&mut p.r, &p.aa, &first, T0 + 1000).unwrap();
    assert!(
        matches!(
            got.event,
            Event::Undecryptable {
                reset: ResetStatus::Started,
                ..
            }
        ),
        "{:?}",
        got.event
    );
}

/// A chain with keys still skipped: a copy of a message read on it is a
/// duplicate, while the skipped message is still read when it arrives.
#[test]
fn a_copy_on_a_chain_with_skipped_keys_is_a_duplicate_and_the_skipped_one_is_read() {
    let mut p = Pair::new(11);
    let first = p.a_sends(T0);
    p.b_receives(&first, T0);
    p.turns(1, T0 + 1);
    let late = p.a_sends(T0 + 2);
    let read = p.a_sends(T0 + 2);
    assert!(matches!(p.b_receives(&read, T0 + 2), Event::Message { .. }));
    p.turns(20, T0 + 3);
    assert!(matches!(
        p.b_receives(&read, T0 + 100),
        Event::Duplicate { .. }
    ));
    assert!(matches!(
        p.b_receives(&late, T0 + 100),
        Event::Message { .. }
    ));
}

/// A forged envelope with a fresh ratchet key is still undecryptable (the
/// rate-limited reset), and one on a remembered key changes nothing.
#[test]
fn forgeries_are_undecryptable_or_duplicates() {
    let mut p = Pair::new(12);
    let first = p.a_sends(T0);
    p.b_receives(&first, T0);
    p.turns(1, T0 + 1);
    let ordinary = p.a_sends(T0 + 2);
    p.b_receives(&ordinary, T0 + 2);
    p.turns(20, T0 + 3);
    // An ordinary message: version, kind, then the header's ratchet key.
    let mut forged = ordinary.clone();
    forged[2] ^= 0x40;
    let got = p.b_receives(&forged, T0 + 100);
    assert!(
        matches!(got, Event::Undecryptable { .. }),
        "fresh key: {got:?}"
    );
    // A copy of a read envelope with its body altered: nothing to read,
    // nothing changed (a session check went with the first copy).
    assert!(matches!(
        p.b_receives(&ordinary, T0 + 100),
        Event::Duplicate { .. }
    ));
    let before = p.ds[1].store().scan(b"").unwrap();
    let mut altered = ordinary.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    assert!(matches!(
        p.b_receives(&altered, T0 + 101),
        Event::Duplicate { .. }
    ));
    assert_eq!(p.ds[1].store().scan(b"").unwrap(), before);
}
