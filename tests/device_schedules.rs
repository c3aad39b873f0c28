//! Whole-system schedules: three devices (Dr Okafor's phone; Nurse Patel's
//! phone and desktop), random sends, delivery in any order with loss and
//! duplication, restarts from the store, and a store that fails on every
//! Nth write. Property: every genuine message is shown exactly once, or
//! its sender still lists it as unconfirmed (or was told in a reset that
//! the peer may not have read it) — none is lost silently — and nothing is
//! ever shown twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::*;
use device_common::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
enum Step {
    /// Device sends a text to the other clinician.
    Send(usize),
    /// Deliver the in-flight envelope at this index (mod the queue length).
    Deliver(usize),
    /// Deliver it but keep it in flight (the transport duplicates).
    Duplicate(usize),
    /// Lose it.
    Drop(usize),
    /// Restart the device from its store.
    Restart(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize).prop_map(Step::Send),
        6 => any::<usize>().prop_map(Step::Deliver),
        1 => any::<usize>().prop_map(Step::Duplicate),
        1 => any::<usize>().prop_map(Step::Drop),
        1 => (0..3usize).prop_map(Step::Restart),
    ]
}

const NAMES: [(&str, u32); 3] = [("okafor", 1), ("patel", 1), ("patel", 2)];

struct World {
    devices: Vec<Option<Device<FlakyStore>>>,
    rng: rand_chacha::ChaCha20Rng,
    /// (from, to, envelope)
    net: Vec<(usize, usize, Vec<u8>)>,
    /// (sender, recipient, id) -> body
    sent: BTreeMap<(usize, usize, [u8; 16]), String>,
    /// (recipient, body) -> times shown
    shown: BTreeMap<(usize, String), u32>,
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
            net: Vec::new(),
            sent: BTreeMap::new(),
            shown: BTreeMap::new(),
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
                    self.net.push((i, j, e.envelope));
                }
            }
            // Not sent, and the app was told: not a genuine message.
            Err(Error::Store(StoreError::Backend)) => {}
            Err(e) => panic!("send: {e:?}"),
        }
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
        match &got.event {
            Event::Message { message, .. } => {
                let body = self
                    .dev(to)
                    .message(message, now)
                    .unwrap()
                    .1
                    .expose()
                    .to_vec();
                let body = String::from_utf8(body).unwrap();
                *self.shown.entry((to, body)).or_default() += 1;
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
            self.net.push((to, index_of(&r.to), r.envelope));
        }
        true
    }

    fn run(&mut self, s: &Step) {
        match *s {
            Step::Send(i) => self.send(i),
            Step::Deliver(k) | Step::Duplicate(k) | Step::Drop(k) if self.net.is_empty() => {
                let _ = k;
            }
            Step::Deliver(k) => {
                let (f, t, e) = self.net.remove(k % self.net.len());
                if !self.deliver(f, t, &e) {
                    self.net.push((f, t, e));
                }
            }
            Step::Duplicate(k) => {
                let (f, t, e) = self.net[k % self.net.len()].clone();
                self.deliver(f, t, &e);
            }
            Step::Drop(k) => {
                self.net.remove(k % self.net.len());
            }
            Step::Restart(i) => self.restart(i, None),
        }
    }

    /// Turns failures off and delivers everything still in flight.
    fn drain(&mut self) {
        for i in 0..3 {
            self.restart(i, Some(0));
        }
        let mut rounds = 0;
        while !self.net.is_empty() {
            rounds += 1;
            assert!(rounds < 10_000, "network never settles");
            let (f, t, e) = self.net.remove(0);
            assert!(self.deliver(f, t, &e));
        }
    }

    fn check(&mut self) {
        for (&(s, r, id), body) in &self.sent.clone() {
            let shown = self.shown.get(&(r, body.clone())).copied().unwrap_or(0);
            assert!(shown <= 1, "{body} shown {shown} times");
            if shown == 0 {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_message_is_lost_silently_or_shown_twice(
        seed in any::<u64>(),
        every in prop_oneof![Just(0u32), 3u32..9],
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let mut w = World::new(seed, every);
        for s in &steps {
            w.run(s);
        }
        w.drain();
        w.check();
        // Afterwards the conversation still works both ways: with nothing
        // lost any more, every new message is shown.
        let before = w.sent.len();
        w.send(0);
        w.send(1);
        w.drain();
        w.check();
        let fresh: Vec<_> = w.sent.iter().map(|(k, b)| (k.1, b.clone())).collect();
        prop_assert!(w.sent.len() >= before + 3);
        for (r, body) in fresh {
            let n: u32 = body[1..].parse().unwrap();
            if n + 1 >= w.counter {
                prop_assert_eq!(w.shown.get(&(r, body.clone())).copied(), Some(1), "{} at {}", body, r);
            }
        }
    }
}
