//! A device restored from an old backup of its store, carrying on from old
//! state (issue 12). Its sends land on chains its peer has already read:
//! they look like late copies and cannot be opened. The peer answers the
//! first such copy in `MIN_RESET_INTERVAL_SECS` with a session check; the
//! restored device cannot read it, tells its app which of its messages may
//! not have been read, and starts a reset; the peer is told in turn, and
//! the conversation works again, even if the peer never writes first.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::limits::MIN_RESET_INTERVAL_SECS;
use bleep::store::{ChangeSet, MemoryStore, Store};
use bleep::*;
use device_common::*;
use rand_chacha::ChaCha20Rng;

struct Pair {
    r: ChaCha20Rng,
    ds: Vec<Device<MemoryStore>>,
    aa: DeviceAddress,
    ba: DeviceAddress,
    now: u64,
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
            now: T0,
        }
    }

    fn peer(&self, i: usize) -> PeerId {
        PeerId::new(if i == 0 { "patel" } else { "okafor" }).unwrap()
    }

    fn from(&self, i: usize) -> DeviceAddress {
        if i == 0 {
            self.aa.clone()
        } else {
            self.ba.clone()
        }
    }

    /// Device `i` sends a text: (id, envelope).
    fn send(&mut self, i: usize, text: &str) -> (MessageId, Vec<u8>) {
        self.now += 1;
        let to = self.peer(i);
        let mut s = self.ds[i]
            .send(&mut self.r, &to, Outgoing::text(text), self.now)
            .unwrap();
        let e = s.envelopes.remove(0);
        (e.id, e.envelope)
    }

    /// Device `j` receives from the other one.
    fn receive(&mut self, j: usize, env: &[u8]) -> Received {
        self.now += 1;
        let from = self.from(1 - j);
        self.ds[j]
            .receive(&mut self.r, &from, env, self.now)
            .unwrap()
    }

    /// Device `j` receives, then every reply goes back and forth until
    /// none is left; returns the first event.
    fn exchange(&mut self, j: usize, env: &[u8]) -> Event {
        let got = self.receive(j, env);
        let mut queue: Vec<(usize, Vec<u8>)> = got
            .replies
            .into_iter()
            .map(|r| (1 - j, r.envelope))
            .collect();
        while let Some((k, e)) = queue.pop() {
            let more = self.receive(k, &e);
            queue.extend(more.replies.into_iter().map(|r| (1 - k, r.envelope)));
        }
        got.event
    }

    /// A text from `i`, read by the other device (with its receipt).
    fn talk(&mut self, i: usize, text: &str) {
        let (_, env) = self.send(i, text);
        assert!(matches!(self.exchange(1 - i, &env), Event::Message { .. }));
    }

    fn backup(&self, i: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        rows(self.ds[i].store())
    }

    fn restore(&mut self, i: usize, backup: &[(Vec<u8>, Vec<u8>)]) {
        let mut cs = ChangeSet::new();
        for (k, v) in backup {
            cs.put(k.clone(), v.clone());
        }
        let mut store = MemoryStore::new();
        store.commit(&cs).unwrap();
        let (n, d) = if i == 0 { ("okafor", 1) } else { ("patel", 1) };
        self.ds[i] = Device::open(store, key_of(n, d)).unwrap();
    }
}

/// Okafor restores a backup `turns` DH turns old and writes; Patel never
/// writes first. Okafor's text is not shown, but both apps learn it: the
/// session check makes Okafor's device report it as possibly unread and
/// reset, Patel sees the reset, and the next text is shown.
fn restored_sender_recovers(turns: usize) {
    let mut p = Pair::new(40 + turns as u64);
    p.talk(0, "first");
    p.talk(1, "reply");
    let backup = p.backup(0);
    for i in 0..turns {
        p.talk(0, &format!("a{i}"));
        p.talk(1, &format!("b{i}"));
    }
    p.restore(0, &backup);
    p.now += MIN_RESET_INTERVAL_SECS;

    let (lost, env) = p.send(0, "after restore");
    let got = p.receive(1, &env);
    assert!(
        matches!(got.event, Event::Duplicate { .. }),
        "{turns} turns: {:?}",
        got.event
    );
    assert_eq!(got.replies.len(), 1, "a session check goes back");
    let at_okafor = p.receive(0, &got.replies[0].envelope);
    match &at_okafor.event {
        Event::Undecryptable {
            reset: ResetStatus::Started,
            may_be_unread,
            ..
        } => assert!(may_be_unread.contains(&lost), "{may_be_unread:?}"),
        e => panic!("{turns} turns: {e:?}"),
    }
    assert_eq!(at_okafor.replies.len(), 1);
    let at_patel = p.receive(1, &at_okafor.replies[0].envelope);
    assert!(
        matches!(at_patel.event, Event::SessionReset { .. }),
        "{:?}",
        at_patel.event
    );
    // Okafor's device no longer waits for a receipt it will never get: it
    // told its app instead.
    assert!(p.ds[0].unconfirmed(&p.ba).is_empty());

    // The conversation works again both ways.
    p.talk(0, "again");
    p.talk(1, "and back");
    p.talk(0, "and on");
}

#[test]
fn a_sender_restored_one_turn_back_recovers() {
    restored_sender_recovers(1);
}

#[test]
fn a_sender_restored_beyond_the_retired_chains_recovers() {
    // More turns than a session remembers retired chains (8): the device's
    // record of received ratchet keys takes the copy for a duplicate.
    restored_sender_recovers(12);
}

/// A backup taken in the middle of a chain: the restored device's next
/// texts reuse numbers of its live chain that Patel has already read.
#[test]
fn a_sender_restored_within_its_chain_recovers() {
    let mut p = Pair::new(60);
    p.talk(0, "first");
    p.talk(1, "reply");
    // Receipts off at Patel: Okafor's texts stay on one chain.
    p.ds[1].set_delivery_receipts(&mut p.r, false).unwrap();
    let (_, e) = p.send(0, "one");
    p.exchange(1, &e);
    let backup = p.backup(0);
    for t in ["two", "three", "four"] {
        let (_, e) = p.send(0, t);
        assert!(matches!(p.exchange(1, &e), Event::Message { .. }));
    }
    p.restore(0, &backup);
    p.now += MIN_RESET_INTERVAL_SECS;
    let (_, e) = p.send(0, "after restore");
    assert!(matches!(p.exchange(1, &e), Event::Duplicate { .. }));
    p.ds[1].set_delivery_receipts(&mut p.r, true).unwrap();
    p.talk(0, "again");
    p.talk(1, "and back");
}

/// Copies of read messages from a peer in step cost one check per
/// interval, which the peer reads without showing anything or resetting.
#[test]
fn checks_to_a_peer_in_step_are_rate_limited_and_harmless() {
    let mut p = Pair::new(61);
    let (_, env) = p.send(0, "obs");
    p.exchange(1, &env);
    let mut checks = 0;
    for _ in 0..5 {
        let got = p.receive(1, &env);
        assert!(matches!(got.event, Event::Duplicate { .. }));
        for r in got.replies {
            checks += 1;
            let at_okafor = p.receive(0, &r.envelope);
            assert!(matches!(at_okafor.event, Event::SessionCheck { .. }));
            assert!(at_okafor.replies.is_empty());
        }
    }
    assert_eq!(checks, 1);
    p.now += MIN_RESET_INTERVAL_SECS;
    assert_eq!(p.receive(1, &env).replies.len(), 1);
    p.talk(0, "still fine");
    p.talk(1, "yes");
}
