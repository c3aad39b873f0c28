//! Whole-system schedules: three devices (Dr Okafor's phone; Nurse Patel's
//! phone and desktop), random sends, delivery in any order with loss and
//! duplication, restarts from the store, backups of a store restored later
//! (the device carries on from old state), and a store that fails on every
//! Nth write. No session exists at the start, so the first sends of both
//! sides are simultaneous initiations whenever they cross. Property: every
//! genuine message is shown, or its sender still lists it as unconfirmed
//! (or was told in a reset that the peer may not have read it) — none is
//! lost silently — and no device shows a message twice. A restored device
//! has forgotten what it showed and sent after its backup: it may show
//! those messages again, and its own sends after the backup are exempt from
//! the "not lost silently" check (the app restored its outbox with it).
//! Afterwards the conversation works again both ways.
//!
//! The same devices are in a group Dr Okafor's phone coordinates (formed
//! at the start, its roster and sender keys in flight like any 1:1
//! envelope), and send group texts whose copies travel, are lost and
//! duplicated the same way, often before the sender key they need: the
//! device keeps those itself and shows them when the key arrives. Group
//! messages carry no receipts, so the property for them is that no device
//! shows one twice, that a message for a group or roster not joined yet is
//! handed in again later (as an app keeps it), and that without a lost
//! envelope or a restored backup every group message reaches every device
//! it was for exactly once, and the group works for everyone afterwards.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::limits::MIN_RESET_INTERVAL_SECS;
use bleep::store::{ChangeSet, Store};
use bleep::*;
use device_common::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
enum Step {
    /// Device sends a text to the other clinician.
    Send(usize),
    /// Device sends a text to the group.
    GroupSend(usize),
    /// Deliver the in-flight envelope at this index (mod the queue length).
    Deliver(usize),
    /// Deliver it but keep it in flight (the transport duplicates).
    Duplicate(usize),
    /// Lose it.
    Drop(usize),
    /// Restart the device from its store.
    Restart(usize),
    /// Copy the device's store (a backup).
    Backup(usize),
    /// Replace the device's store with its latest backup and restart.
    Restore(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize).prop_map(Step::Send),
        1 => (0..3usize).prop_map(Step::GroupSend),
        6 => any::<usize>().prop_map(Step::Deliver),
        1 => any::<usize>().prop_map(Step::Duplicate),
        1 => any::<usize>().prop_map(Step::Drop),
        1 => (0..3usize).prop_map(Step::Restart),
        1 => (0..3usize).prop_map(Step::Backup),
        1 => (0..3usize).prop_map(Step::Restore),
    ]
}

const NAMES: [(&str, u32); 3] = [("okafor", 1), ("patel", 1), ("patel", 2)];

struct Backup {
    rows: Vec<(Vec<u8>, Vec<u8>)>,
    shown: BTreeMap<(usize, String), u32>,
    sent: BTreeSet<(usize, usize, [u8; 16])>,
}

struct World {
    devices: Vec<Option<Device<FlakyStore>>>,
    rng: rand_chacha::ChaCha20Rng,
    /// (from, to, envelope, whether it is a group message)
    net: Vec<(usize, usize, Vec<u8>, bool)>,
    /// The group Dr Okafor's phone coordinates.
    group: GroupId,
    /// (sender, recipient, id) -> body
    sent: BTreeMap<(usize, usize, [u8; 16]), String>,
    /// (recipient, body) -> times shown by the recipient's current state
    /// (a restore brings back the count at the backup)
    shown: BTreeMap<(usize, String), u32>,
    /// (recipient, body) shown at least once, ever
    shown_ever: BTreeSet<(usize, String)>,
    /// (recipient, body) of every group message sent to a device
    group_sent: BTreeSet<(usize, String)>,
    /// Group messages the device kept to wait for their sender key
    waited: u32,
    /// Per device: its latest backup, with what had been shown and the
    /// sends made by then.
    backups: Vec<Option<Backup>>,
    /// (sender, id) sends its restored store has forgotten
    forgotten: BTreeSet<(usize, [u8; 16])>,
    /// (sender, id) the sender was told may be unread
    told: BTreeSet<(usize, [u8; 16])>,
    counter: u32,
    now: u64,
}

fn index_of(a: &DeviceAddress) -> usize {
    NAMES
        .iter()
        .position(|(n, d)| a.clinician().as_str() == *n && a.device() == *d)
        .unwrap()
}

impl World {
    fn new(seed: u64, every: u32) -> World {
        let mut rng = rng(seed);
        let mut ds: Vec<Device<FlakyStore>> = NAMES
            .iter()
            .map(|(n, d)| device(&mut rng, FlakyStore::new(0), n, *d))
            .collect();
        introduce(&mut rng, &mut ds);
        let members: Vec<DeviceAddress> = ds[1..].iter().map(|d| d.address().clone()).collect();
        let (group, formed) = ds[0].create_group(&mut rng, &members, T0).unwrap();
        let net = formed
            .envelopes
            .into_iter()
            .map(|e| (0, index_of(&e.to), e.envelope, false))
            .collect();
        let devices = ds
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let mut s = d.into_store();
                s.every = every;
                let (n, dev) = NAMES[i];
                Some(Device::open(s, key_of(n, dev)).unwrap())
            })
            .collect();
        World {
            devices,
            rng,
            net,
            group,
            sent: BTreeMap::new(),
            shown: BTreeMap::new(),
            shown_ever: BTreeSet::new(),
            group_sent: BTreeSet::new(),
            waited: 0,
            backups: (0..3).map(|_| None).collect(),
            forgotten: BTreeSet::new(),
            told: BTreeSet::new(),
            counter: 0,
            now: T0,
        }
    }

    fn dev(&mut self, i: usize) -> &mut Device<FlakyStore> {
        self.devices[i].as_mut().unwrap()
    }

    fn restart(&mut self, i: usize, every: Option<u32>) {
        let d = self.devices[i].take().unwrap();
        let mut s = d.into_store();
        if let Some(e) = every {
            s.every = e;
        }
        let (n, dev) = NAMES[i];
        self.devices[i] = Some(Device::open(s, key_of(n, dev)).unwrap());
    }

    fn backup(&mut self, i: usize) {
        let rows = rows(self.dev(i).store());
        let shown = self
            .shown
            .iter()
            .filter(|((r, _), _)| *r == i)
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let sent = self.sent.keys().filter(|k| k.0 == i).copied().collect();
        self.backups[i] = Some(Backup { rows, shown, sent });
    }

    fn restore(&mut self, i: usize) {
        let Some(b) = &self.backups[i] else {
            return;
        };
        let mut cs = ChangeSet::new();
        for (k, v) in &b.rows {
            cs.put(k.clone(), v.clone());
        }
        let mut store = FlakyStore::new(0);
        store.inner.commit(&cs).unwrap();
        let every = self.devices[i].take().unwrap().into_store().every;
        store.every = every;
        self.shown.retain(|(r, _), _| *r != i);
        self.shown.extend(b.shown.clone());
        for k in self.sent.keys() {
            if k.0 == i && !b.sent.contains(k) {
                self.forgotten.insert((k.0, k.2));
            }
        }
        let (n, dev) = NAMES[i];
        self.devices[i] = Some(Device::open(store, key_of(n, dev)).unwrap());
    }

    fn send(&mut self, i: usize) {
        self.counter += 1;
        let body = format!("m{}", self.counter);
        let to = if i == 0 { "patel" } else { "okafor" };
        let to = PeerId::new(to).unwrap();
        let now = self.now;
        let mut rng = self.rng.clone();
        let out = self.dev(i).send(&mut rng, &to, Outgoing::text(&body), now);
        self.rng = rng;
        match out {
            Ok(sent) => {
                for e in sent.envelopes {
                    let j = index_of(&e.to);
                    self.sent.insert((i, j, e.id.0), body.clone());
                    self.net.push((i, j, e.envelope, false));
                }
            }
            // Not sent, and the app was told: not a genuine message.
            Err(Error::Store(StoreError::Backend)) => {}
            Err(e) => panic!("send: {e:?}"),
        }
    }

    fn group_send(&mut self, i: usize) {
        self.counter += 1;
        let body = format!("g{}", self.counter);
        let (now, group) = (self.now, self.group);
        let mut rng = self.rng.clone();
        let out = self
            .dev(i)
            .send_group(&mut rng, &group, Outgoing::text(&body), now);
        self.rng = rng;
        match out {
            Ok(sent) => {
                for e in sent.distributions {
                    self.net.push((i, index_of(&e.to), e.envelope, false));
                }
                for to in sent.deliver_to {
                    self.group_sent.insert((index_of(&to), body.clone()));
                    self.net
                        .push((i, index_of(&to), sent.message.clone(), true));
                }
            }
            // Not sent, and the app was told: the store refused, or the
            // device has not joined yet (its roster is still in flight or
            // was lost) or has forgotten the group in a restore.
            Err(Error::Store(StoreError::Backend) | Error::Group(_)) => {}
            Err(e) => panic!("send_group: {e:?}"),
        }
    }

    fn shown_once(&mut self, to: usize, message: &MessageRef, now: u64) {
        let body = self
            .dev(to)
            .message(message, now)
            .unwrap()
            .1
            .expose()
            .to_vec();
        let body = String::from_utf8(body).unwrap();
        let n = self.shown.entry((to, body.clone())).or_default();
        *n += 1;
        assert_eq!(*n, 1, "{body} shown twice by device {to}");
        self.shown_ever.insert((to, body));
    }

    /// Hands in a group message. Returns false if it is to be handed in
    /// again later: the store refused the commit, or it names a group or
    /// roster not joined yet (the app keeps it until the roster arrives).
    /// One that arrived before its sender key is kept by the device.
    fn deliver_group(&mut self, from: usize, to: usize, msg: &[u8]) -> bool {
        self.now += 1;
        let now = self.now;
        let from_addr = addr(NAMES[from].0, NAMES[from].1);
        let mut rng = self.rng.clone();
        let out = self.dev(to).receive_group(&mut rng, &from_addr, msg, now);
        self.rng = rng;
        let got = match out {
            Ok(g) => g,
            Err(Error::Store(StoreError::Backend)) => return false,
            // A copy already read, or one a restored sender sent again
            // on a chain already used: refused, nothing changes.
            Err(Error::Protocol(ProtocolError::DuplicateMessage))
            | Err(Error::Crypto(CryptoError::DecryptFailed)) => return true,
            Err(e) => panic!("receive_group: {e:?}"),
        };
        let wait = match &got.event {
            Event::Group(GroupEvent::Message { message, .. }) => {
                let message = *message;
                self.shown_once(to, &message, now);
                false
            }
            Event::Group(GroupEvent::MessageWaiting { evicted, .. }) => {
                assert!(evicted.is_empty(), "{evicted:?}");
                self.waited += 1;
                false
            }
            Event::Group(GroupEvent::Undecryptable { reason, .. }) => matches!(
                reason,
                Error::Group(GroupError::WrongGroup | GroupError::FutureRoster)
            ),
            _ => false,
        };
        self.released(to, got.released, now);
        for r in got.replies {
            self.net.push((to, index_of(&r.to), r.envelope, false));
        }
        !wait
    }

    /// Returns false if the store refused the commit (keep it in flight).
    fn deliver(&mut self, from: usize, to: usize, env: &[u8]) -> bool {
        self.now += 1;
        let now = self.now;
        let from_addr = addr(NAMES[from].0, NAMES[from].1);
        let mut rng = self.rng.clone();
        let out = self.dev(to).receive(&mut rng, &from_addr, env, now);
        self.rng = rng;
        let got = match out {
            Ok(g) => g,
            Err(Error::Store(StoreError::Backend)) => return false,
            // A stale copy that a chain we hold refuses (tampering would
            // look the same): acknowledged, nothing changes.
            Err(Error::Crypto(CryptoError::DecryptFailed)) => return true,
            Err(e) => panic!("receive: {e:?}"),
        };
        self.released(to, got.released, now);
        match &got.event {
            Event::Message { message, .. } => {
                let message = *message;
                self.shown_once(to, &message, now);
            }
            Event::SessionReset { may_be_unread, .. }
            | Event::PreKeyRefused { may_be_unread, .. }
            | Event::Undecryptable { may_be_unread, .. } => {
                for id in may_be_unread {
                    self.told.insert((to, id.0));
                }
            }
            _ => {}
        }
        for r in got.replies {
            self.net.push((to, index_of(&r.to), r.envelope, false));
        }
        true
    }

    /// Shows the group messages a sender key released.
    fn released(&mut self, to: usize, released: Vec<Event>, now: u64) {
        for e in released {
            match e {
                Event::Group(GroupEvent::Message { message, .. }) => {
                    self.shown_once(to, &message, now);
                }
                Event::Duplicate { .. } => {}
                other => panic!("released: {other:?}"),
            }
        }
    }

    fn hand_in(&mut self, f: usize, t: usize, e: &[u8], group: bool) -> bool {
        match group {
            true => self.deliver_group(f, t, e),
            false => self.deliver(f, t, e),
        }
    }

    fn run(&mut self, s: &Step) {
        match *s {
            Step::Send(i) => self.send(i),
            Step::GroupSend(i) => self.group_send(i),
            Step::Deliver(k) | Step::Duplicate(k) | Step::Drop(k) if self.net.is_empty() => {
                let _ = k;
            }
            Step::Deliver(k) => {
                let (f, t, e, g) = self.net.remove(k % self.net.len());
                if !self.hand_in(f, t, &e, g) {
                    self.net.push((f, t, e, g));
                }
            }
            Step::Duplicate(k) => {
                let (f, t, e, g) = self.net[k % self.net.len()].clone();
                self.hand_in(f, t, &e, g);
            }
            Step::Drop(k) => {
                self.net.remove(k % self.net.len());
            }
            Step::Restart(i) => self.restart(i, None),
            Step::Backup(i) => self.backup(i),
            Step::Restore(i) => self.restore(i),
        }
    }

    /// Turns failures off and delivers everything still in flight.
    fn drain(&mut self) {
        for i in 0..3 {
            self.restart(i, Some(0));
        }
        let mut rounds = 0;
        // Group messages still waiting for a key or roster when the rest of
        // the network has settled: those never come (lost, or forgotten in
        // a restore); the app tells the clinician it could not read them.
        let mut waiting = Vec::new();
        while !self.net.is_empty() {
            rounds += 1;
            assert!(rounds < 10_000, "network never settles");
            let (f, t, e, g) = self.net.remove(0);
            if !self.hand_in(f, t, &e, g) {
                assert!(g, "a commit failed with failures off");
                waiting.push((f, t, e, g));
            }
            if self.net.is_empty() && !waiting.is_empty() {
                // Once more, after everything else arrived.
                let again = std::mem::take(&mut waiting);
                for (f, t, e, g) in again {
                    self.hand_in(f, t, &e, g);
                }
            }
        }
    }

    fn check(&mut self) {
        for (&(s, r, id), body) in &self.sent.clone() {
            if !self.shown_ever.contains(&(r, body.clone())) && !self.forgotten.contains(&(s, id)) {
                let to = addr(NAMES[r].0, NAMES[r].1);
                let unconfirmed = self.dev(s).unconfirmed(&to).iter().any(|(i, _)| i.0 == id);
                assert!(
                    unconfirmed || self.told.contains(&(s, id)),
                    "{body} from {s} to {r} lost silently"
                );
            }
        }
    }
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs one schedule, drains the network and checks the property, then
/// checks that the conversation works again both ways. Returns how many
/// group messages waited for their sender key.
fn run_schedule(seed: u64, every: u32, steps: &[Step]) -> Result<u32, TestCaseError> {
    let mut w = World::new(seed, every);
    for s in steps {
        w.run(s);
    }
    w.drain();
    w.check();
    // Afterwards the conversation works again both ways. Without a
    // restored backup nothing needs repair: every new message is shown.
    // A restored state may cost one round (its peer's next message
    // starts a reset, once the reset rate limit has passed); every
    // message of the round after it is shown.
    let restored = steps.iter().any(|s| matches!(s, Step::Restore(_)));
    if restored {
        w.now += MIN_RESET_INTERVAL_SECS + 1;
        w.send(0);
        w.send(1);
        w.drain();
        w.check();
        w.now += MIN_RESET_INTERVAL_SECS + 1;
    }
    let before = w.sent.len();
    w.send(0);
    w.send(1);
    w.drain();
    w.check();
    prop_assert!(w.sent.len() >= before + 3);
    let fresh: Vec<_> = w.sent.iter().map(|(k, b)| (k.1, b.clone())).collect();
    for (r, body) in fresh {
        let n: u32 = body[1..].parse().unwrap();
        if n + 1 >= w.counter {
            prop_assert_eq!(
                w.shown.get(&(r, body.clone())).copied(),
                Some(1),
                "{} at {}",
                body,
                r
            );
        }
    }
    let lost = steps.iter().any(|s| matches!(s, Step::Drop(_)));
    if !restored && !lost {
        // Every group message reached every device it was for, once,
        // whatever overtook what.
        for (r, body) in &w.group_sent {
            prop_assert_eq!(
                w.shown.get(&(*r, body.clone())).copied(),
                Some(1),
                "{} at {}",
                body,
                r
            );
        }
        // The group works for everyone once nothing was lost (a roster or
        // sender key the transport lost is not sent again by itself) and
        // no state was rolled back.
        let c = w.counter;
        w.group_send(0);
        w.drain();
        w.group_send(1);
        w.group_send(2);
        w.drain();
        for (n, from) in [(c + 2, 1), (c + 3, 2)] {
            let body = format!("g{n}");
            for r in (0..3).filter(|r| *r != from) {
                let got = w.shown.get(&(r, body.clone())).copied();
                prop_assert_eq!(got, Some(1), "{} from {} at {}", body, from, r);
            }
        }
    }
    Ok(w.waited)
}

/// Dr Okafor's phone restored from a backup taken after it had read two
/// messages from Nurse Patel's desktop: it sends on a chain the desktop has
/// already retired.
#[test]
fn a_sender_restored_from_a_backup_is_recognised() {
    use Step::*;
    let steps = [
        Send(2),
        Deliver(0),
        Deliver(0),
        Backup(0),
        Send(2),
        Deliver(0),
        Send(1),
        Restore(0),
    ];
    run_schedule(0, 0, &steps).unwrap();
}

/// Nurse Patel's phone writes to the group before its sender key reached
/// anyone: the message overtakes the key at Dr Okafor's phone (kept, then
/// shown when the key arrives) and the roster at Patel's desktop (handed
/// in again after it).
#[test]
fn a_group_message_before_its_sender_key_is_shown_once_it_arrives() {
    use Step::*;
    // In flight at the start: rosters to 1 and 2, then keys to 1 and 2.
    // Patel's phone joins (its key to 0 and 2 goes out), writes, and its
    // message to 0 (index 5) is delivered first, twice, across a restart.
    let steps = [
        Deliver(0),
        GroupSend(1),
        Duplicate(5),
        Deliver(5),
        Restart(0),
        Deliver(5),
    ];
    assert!(run_schedule(1, 0, &steps).unwrap() >= 1);
    let steps = [Deliver(0), GroupSend(1), Deliver(5), Deliver(5)];
    assert!(run_schedule(2, 4, &steps).unwrap() >= 1);
}

proptest! {
    // `PROPTEST_CASES` runs more (a longer search than `cargo test` needs).
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    #[test]
    fn no_message_is_lost_silently_or_shown_twice(
        seed in any::<u64>(),
        every in prop_oneof![Just(0u32), 3u32..9],
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        run_schedule(seed, every, &steps)?;
    }
}
