//! A known limit, found by `tests/crash.rs` with an unbounded reordering
//! transport: an envelope delivered again after the session has retired
//! its chain (more than `MAX_RETIRED_CHAINS` = 8 DH turns later) is not
//! recognised as a duplicate. No session knows its chain any more, so the
//! device takes it for lost state and starts a session reset, whose
//! `may_be_unread` names every unconfirmed message (if skipped keys of
//! that chain remain it is refused as tampered instead). Ignored until the
//! device or the ratchet remembers more of the chains it has read.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod device_common;

use bleep::store::MemoryStore;
use bleep::*;
use device_common::*;

#[test]
#[ignore = "known limit: a duplicate older than the retired-chain window starts a reset"]
fn a_duplicate_delivered_many_turns_later_is_a_duplicate() {
    let mut r = rng(9);
    let mut ds = vec![
        device(&mut r, MemoryStore::new(), "okafor", 1),
        device(&mut r, MemoryStore::new(), "patel", 1),
    ];
    introduce(&mut r, &mut ds);
    let (aa, ba) = (ds[0].address().clone(), ds[1].address().clone());
    let (okafor, patel) = (
        PeerId::new("okafor").unwrap(),
        PeerId::new("patel").unwrap(),
    );
    let first = ds[0].send(&mut r, &patel, Outgoing::text("x"), T0).unwrap();
    let env = first.envelopes[0].envelope.clone();
    ds[1].receive(&mut r, &aa, &env, T0).unwrap();
    // Nine DH turns each way.
    for t in 1..=9 {
        let b = ds[1]
            .send(&mut r, &okafor, Outgoing::text("b"), T0 + t)
            .unwrap();
        ds[0]
            .receive(&mut r, &ba, &b.envelopes[0].envelope, T0 + t)
            .unwrap();
        let a = ds[0]
            .send(&mut r, &patel, Outgoing::text("a"), T0 + t)
            .unwrap();
        ds[1]
            .receive(&mut r, &aa, &a.envelopes[0].envelope, T0 + t)
            .unwrap();
    }
    // The transport delivers the first envelope again (a crash before the
    // acknowledgement, a retry): it must be a duplicate, not a reset.
    let again = ds[1].receive(&mut r, &aa, &env, T0 + 10).unwrap();
    assert!(
        matches!(again.event, Event::Duplicate { .. }),
        "{:?}",
        again.event
    );
}
