//! `Device::receive_batch` against `Device::receive` one envelope at a
//! time: the same events in the same order and the same committed state,
//! with duplicates, tampered and truncated envelopes in the queue; one
//! store commit per batch; and a failing commit that leaves nothing of the
//! batch behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod device_common;

use bleep::store::{MemoryStore, SqliteStore, Store};
use bleep::*;
use device_common::*;
use proptest::prelude::*;
use std::sync::OnceLock;

/// Two senders (Dr Okafor's phone, Nurse Patel's phone) and the receiver
/// (Dr Shah's desktop), introduced and verified, each side having sent
/// one message so that later envelopes are on known chains: the stores,
/// to open a fresh copy of the same world in every case.
struct Ward {
    stores: Vec<MemoryStore>,
}

const NAMES: [(&str, u32); 3] = [("okafor", 1), ("patel", 1), ("shah", 2)];

fn ward() -> &'static Ward {
    static WARD: OnceLock<Ward> = OnceLock::new();
    WARD.get_or_init(|| {
        let mut rng = rng(40);
        let mut ds: Vec<Device<MemoryStore>> = NAMES
            .iter()
            .map(|(n, d)| device(&mut rng, MemoryStore::new(), n, *d))
            .collect();
        introduce(&mut rng, &mut ds);
        let shah = PeerId::new("shah").unwrap();
        let r_addr = ds[2].address().clone();
        for i in 0..2 {
            let from = ds[i].address().clone();
            let x = ds[i]
                .send(&mut rng, &shah, Outgoing::text("hello"), T0)
                .unwrap();
            let got = ds[2]
                .receive(&mut rng, &from, &x.envelopes[0].envelope, T0)
                .unwrap();
            for reply in &got.replies {
                ds[i]
                    .receive(&mut rng, &r_addr, &reply.envelope, T0)
                    .unwrap();
            }
            let clinician = from.clinician().clone();
            let y = ds[2]
                .send(&mut rng, &clinician, Outgoing::text("hello back"), T0)
                .unwrap();
            for env in &y.envelopes {
                ds[i].receive(&mut rng, &r_addr, &env.envelope, T0).unwrap();
            }
        }
        Ward {
            stores: ds.into_iter().map(|d| d.into_store().snapshot()).collect(),
        }
    })
}

fn open<S: Store>(store: S, i: usize) -> Device<S> {
    let (n, d) = NAMES[i];
    Device::open(store, key_of(n, d)).unwrap()
}

/// What happened to one envelope, as a string to compare: the error, or
/// the event (a message by its text) and how many replies it produced.
fn summary<S: Store>(d: &Device<S>, r: Result<Received>, now: u64) -> String {
    match r {
        Err(e) => format!("err {e:?}"),
        Ok(r) => {
            let event = match &r.event {
                Event::Message { from, message, .. } => format!(
                    "message from {from:?}: {:?}",
                    d.message(message, now)
                        .map(|m| String::from_utf8_lossy(m.1.expose()).into_owned())
                ),
                other => format!("{other:?}"),
            };
            format!("{event}, {} replies", r.replies.len())
        }
    }
}

/// What one envelope of the queue is.
#[derive(Clone, Debug)]
enum Item {
    /// The next message of sender 0 or 1.
    Fresh(usize),
    /// The queued envelope at this index (mod the queue) again.
    Again(usize),
    /// The queued envelope at this index with one byte flipped.
    Tampered(usize, usize),
    /// The queued envelope at this index cut short.
    Cut(usize, usize),
    /// The message at this index, but claimed from the other sender.
    WrongSender(usize),
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        6 => (0..2usize).prop_map(Item::Fresh),
        2 => any::<usize>().prop_map(Item::Again),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, b)| Item::Tampered(i, b)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, b)| Item::Cut(i, b)),
        1 => any::<usize>().prop_map(Item::WrongSender),
    ]
}

/// Builds the queue the receiver finds when it comes online: the senders
/// send (texts, a read receipt now and then), and the transport
/// duplicates, damages and misattributes some envelopes.
fn queue(seed: u64, items: &[Item]) -> Vec<(DeviceAddress, Vec<u8>)> {
    let w = ward();
    let mut rng = rng(seed);
    let mut senders: Vec<Device<MemoryStore>> =
        (0..2).map(|i| open(w.stores[i].snapshot(), i)).collect();
    let to = addr("shah", 2);
    let mut q: Vec<(DeviceAddress, Vec<u8>)> = Vec::new();
    for (n, it) in items.iter().enumerate() {
        let pick = |i: usize| i % q.len().max(1);
        let next = match it {
            Item::Fresh(s) => {
                let msg = if n % 5 == 4 {
                    Outgoing::read(vec![MessageId([n as u8; 16])])
                } else {
                    Outgoing::text("obs")
                };
                let x = senders[*s]
                    .send_to_device(&mut rng, &to, msg, T0 + n as u64)
                    .unwrap();
                let from = senders[*s].address().clone();
                (from, x.envelopes[0].envelope.clone())
            }
            _ if q.is_empty() => continue,
            Item::Again(i) => q[pick(*i)].clone(),
            Item::Tampered(i, b) => {
                let (from, mut env) = q[pick(*i)].clone();
                // A cut can leave an envelope empty: nothing to flip.
                let at = b % env.len().max(1);
                if let Some(byte) = env.get_mut(at) {
                    *byte ^= 0x40;
                }
                (from, env)
            }
            Item::Cut(i, b) => {
                let (from, env) = q[pick(*i)].clone();
                let at = b % env.len().max(1);
                (from, env[..at].to_vec())
            }
            Item::WrongSender(i) => {
                let (from, env) = q[pick(*i)].clone();
                let other = if from.clinician().as_str() == "okafor" {
                    addr("patel", 1)
                } else {
                    addr("okafor", 1)
                };
                (other, env)
            }
        };
        q.push(next);
    }
    q
}

/// Delivers `q` one envelope at a time and as one batch to two copies of
/// the receiver; both see the same, and both stores reopen to the same.
fn same_as_one_at_a_time(seed: u64, q: &[(DeviceAddress, Vec<u8>)]) {
    let w = ward();
    let now = T0 + 100;
    let mut rng = rng(seed);
    // Two copies of the ward's receiver, on stores that count commits.
    let mut one = {
        let mut s = FlakyStore::new(0);
        s.inner = w.stores[2].snapshot();
        open(s, 2)
    };
    let mut batch = {
        let mut s = FlakyStore::new(0);
        s.inner = w.stores[2].snapshot();
        open(s, 2)
    };
    let singles: Vec<String> = q
        .iter()
        .map(|(from, env)| {
            let r = one.receive(&mut rng, from, env, now);
            summary(&one, r, now)
        })
        .collect();
    let got = batch.receive_batch(&mut rng, q, now).unwrap();
    assert_eq!(got.len(), q.len());
    let batched: Vec<String> = got.into_iter().map(|r| summary(&batch, r, now)).collect();
    assert_eq!(singles, batched);
    assert!(batch.store().commits <= 1);
    assert_eq!(batch.awaiting_filing(now), one.awaiting_filing(now));
    // What was committed is the same: reopen the batch receiver and have
    // both receive the same next message from each sender.
    let batch = open(batch.into_store(), 2);
    let one = open(one.into_store(), 2);
    assert_eq!(batch.awaiting_filing(now), one.awaiting_filing(now));
    for (n, d) in &NAMES[..2] {
        let a = addr(n, *d);
        assert_eq!(batch.unconfirmed(&a), one.unconfirmed(&a));
        assert_eq!(batch.peer_identity(&a), one.peer_identity(&a));
    }
    assert_eq!(rows(batch.store()).len(), rows(one.store()).len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_batch_is_one_at_a_time_with_one_commit(
        seed in any::<u64>(),
        items in proptest::collection::vec(item(), 1..24),
    ) {
        let q = queue(seed, &items);
        same_as_one_at_a_time(seed, &q);
    }
}

#[test]
fn a_table_of_queues_with_duplicates_and_damage() {
    use Item::*;
    let tables: Vec<Vec<Item>> = vec![
        vec![
            Fresh(0),
            Fresh(0),
            Again(0),
            Fresh(1),
            Tampered(1, 7),
            Fresh(0),
        ],
        vec![Fresh(0), Tampered(0, 1000), Cut(0, 3), Again(0), Fresh(1)],
        vec![Fresh(1), WrongSender(0), Fresh(1), Again(1), Again(0)],
        vec![Fresh(0), Fresh(0), Fresh(0), Fresh(0), Fresh(0), Again(2)],
    ];
    for (n, t) in tables.iter().enumerate() {
        let q = queue(n as u64, t);
        same_as_one_at_a_time(n as u64, &q);
    }
}

#[test]
fn a_failed_commit_leaves_nothing_of_the_batch() {
    let w = ward();
    let now = T0 + 100;
    let items = [
        Item::Fresh(0),
        Item::Fresh(1),
        Item::Fresh(0),
        Item::Again(0),
    ];
    let q = queue(7, &items);
    let mut rng = rng(7);
    let mut s = FlakyStore::new(1);
    s.inner = w.stores[2].snapshot();
    let before = rows(&s.inner);
    let mut d = open(s, 2);
    let held = d.awaiting_filing(now);
    assert_eq!(
        d.receive_batch(&mut rng, &q, now).unwrap_err(),
        Error::Store(StoreError::Backend)
    );
    assert_eq!(rows(&d.store().inner), before);
    // The device reloaded: nothing of the batch is held in memory either.
    assert_eq!(d.awaiting_filing(now), held);
    // The transport delivers the batch again to a store that works.
    let mut s = d.into_store();
    s.every = 0;
    let mut d = open(s, 2);
    let got = d.receive_batch(&mut rng, &q, now).unwrap();
    let kinds: Vec<String> = got.into_iter().map(|r| summary(&d, r, now)).collect();
    assert!(kinds[0].starts_with("message") && kinds[2].starts_with("message"));
    assert!(kinds[3].starts_with("Duplicate"), "{kinds:?}");
    assert_eq!(d.awaiting_filing(now).len(), held.len() + 3);
}

#[test]
fn a_batch_on_sqlite_commits_once_and_survives_a_restart() {
    let w = ward();
    let now = T0 + 100;
    let items: Vec<Item> = (0..40).map(|i| Item::Fresh(i % 2)).collect();
    let q = queue(8, &items);
    let mut rng = rng(8);
    let path = std::env::temp_dir().join(format!("bleep-batch-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    {
        let mut s = SqliteStore::open(&path).unwrap();
        let mut cs = store::ChangeSet::new();
        for (k, v) in rows(&w.stores[2]) {
            cs.put(k, v);
        }
        s.commit(&cs).unwrap();
        let mut d = open(s, 2);
        let got = d.receive_batch(&mut rng, &q, now).unwrap();
        assert!(got.iter().all(|r| r.is_ok()));
    }
    let d = open(SqliteStore::open(&path).unwrap(), 2);
    let base = open(w.stores[2].snapshot(), 2).awaiting_filing(now).len();
    assert_eq!(d.awaiting_filing(now).len(), base + 32);
    drop(d);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
