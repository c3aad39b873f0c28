//! A structure-aware device-layer target: the input is a program of
//! operations on three [`Device`]s over [`MemoryStore`] (Dr Okafor's one
//! device and Dr Patel's two), each verified to the others: send a text to
//! a clinician, deliver any queued envelope (so in any order), duplicate,
//! drop, flip a bit, truncate or extend, deliver to the wrong device or
//! under the wrong sender, restart a device from its store, take a backup
//! of a store and restore it later, erase or file a message, send a read or
//! filed receipt, turn delivery receipts off and on, refill one-time
//! prekeys, rotate the signed prekey when due, purge expired messages, let
//! days pass (a text may be sent to expire an hour later). Shared by
//! `fuzz/fuzz_targets/device_ops.rs` and `tests/fuzz_corpus.rs`, which
//! replays the committed corpus. Public API only.
//!
//! The invariants checked after every step:
//!
//! - nothing panics (every call returns a value or a typed error);
//! - a tampered, resized or misdelivered envelope never yields
//!   [`Event::Message`];
//! - no device shows the same `(sender, id)` twice (a restored backup
//!   forgets what was shown after it was taken, as the device does);
//! - every shown message comes from the device that sent it, under the id
//!   the sender was given, with the text that was sent, and the vault
//!   returns that text;
//! - no expired message is returned by the vault, and after a purge none
//!   is held;
//! - a restarted device (`into_store`, `Device::open`) shows exactly what
//!   it showed before: messages held and their text, unconfirmed sends,
//!   peer keys and key changes, prekeys.
//!
//! The devices are created once from fixed seeds and reopened from copies
//! of their stores for every input, so a failing input reproduces exactly
//! and an execution costs three `Device::open`s, not three key generations.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use bleep::store::MemoryStore;
use bleep::{
    AwaitingFiling, Device, DeviceAddress, Event, IdentityKey, MessageId, MessageInfo, MessageRef,
    Outgoing, PeerId, PreKeyDispenser, Received, StorageKey, TrustPolicy, VerificationMethod,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The clock at the start of every program (unix seconds); each step
/// advances it by [`STEP_SECS`], so a session reset's rate limit
/// (five minutes) both holds and lapses within one program.
const NOW: u64 = 1_700_000_000;
const STEP_SECS: u64 = 10;
/// Operations per input: short programs, many executions.
pub(crate) const MAX_OPS: usize = 64;
/// Texts sent per input.
const MAX_SENDS: usize = 32;
/// Envelopes in flight at once (copies included).
const MAX_WIRE: usize = 64;
/// The devices: Dr Okafor's, then Dr Patel's two.
const DEVICES: usize = 3;

fn address(i: usize) -> DeviceAddress {
    let (who, n) = [("dr.okafor", 1), ("dr.patel", 1), ("dr.patel", 2)][i];
    DeviceAddress::new(&PeerId::new(who).unwrap(), n).unwrap()
}

fn storage_key(i: usize) -> StorageKey {
    StorageKey::from_bytes([0x40 + i as u8; 32])
}

/// The three stores after creation and mutual verification.
fn template() -> &'static [MemoryStore; DEVICES] {
    static STORES: OnceLock<[MemoryStore; DEVICES]> = OnceLock::new();
    STORES.get_or_init(|| {
        let mut rng = ChaCha20Rng::from_seed([0xD7; 32]);
        let mut devices: Vec<Device<MemoryStore>> = (0..DEVICES)
            .map(|i| {
                Device::create(
                    &mut rng,
                    MemoryStore::new(),
                    storage_key(i),
                    address(i),
                    TrustPolicy::RequireVerified,
                    NOW,
                )
                .unwrap()
            })
            .collect();
        // The app's server hands each one-time prekey to one initiator.
        let mut servers: Vec<PreKeyDispenser> = devices
            .iter()
            .map(|d| PreKeyDispenser::new(&d.prekey_bundle()).unwrap())
            .collect();
        for (i, device) in devices.iter_mut().enumerate() {
            for (j, server) in servers.iter_mut().enumerate() {
                if i != j {
                    let bundle = server.hand_out();
                    device
                        .add_peer_device(&mut rng, &address(j), &bundle)
                        .unwrap();
                    device
                        .mark_verified(&mut rng, &address(j), VerificationMethod::SafetyNumber, NOW)
                        .unwrap();
                }
            }
        }
        let stores: Vec<MemoryStore> = devices.into_iter().map(Device::into_store).collect();
        stores.try_into().unwrap()
    })
}

/// One operation, decoded from a tag byte and the bytes after it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// Device `from` sends a text of `len` extra bytes to clinician `to`
    /// (0 = Dr Okafor, 1 = Dr Patel: every device of theirs but the sender),
    /// expiring an hour later if bit 6 of `len` is set.
    Send { from: u8, to: u8, len: u8 },
    /// Deliver the queued envelope at `at` (modulo) and remove it.
    Deliver { at: u8 },
    /// Queue another copy of a queued envelope.
    Duplicate { at: u8 },
    /// Lose a queued envelope.
    Drop { at: u8 },
    /// Deliver a copy with one bit flipped.
    Tamper { at: u8, pos: u16, bit: u8 },
    /// Deliver a copy cut short (even `by`) or with bytes appended (odd).
    Resize { at: u8, by: u8 },
    /// Deliver a copy to device `to` as if from device `claim`, when that
    /// is not the envelope's true route.
    Misdeliver { at: u8, to: u8, claim: u8 },
    /// Close a device and open it again from its store.
    Restart { who: u8 },
    /// Copy a device's store (a backup).
    Backup { who: u8 },
    /// Replace a device's store with its last backup.
    Restore { who: u8 },
    /// Erase (even `how`) or file to the record (odd) a held message; a
    /// filed message is announced to its sender.
    Dispose { who: u8, at: u8, how: u8 },
    /// Send a read receipt for a shown message (even `how`), or turn the
    /// device's delivery receipts off or on (odd).
    Receipt { who: u8, at: u8, how: u8 },
    /// Upkeep on device `who`: refill its one-time prekeys (`how % 4 ==
    /// 0`), rotate its signed prekey if due (1), purge expired messages
    /// (2), or let `how / 4` days pass (3).
    Upkeep { who: u8, how: u8 },
    /// Deliver up to `n % 8 + 1` queued envelopes addressed to device
    /// `who`, taken from the queue from `at` on, in one `receive_batch`
    /// (one commit); with bit 7 of `n` set, the middle one is delivered
    /// with a bit flipped, so the batch must forget its changes alone.
    Batch { who: u8, at: u8, n: u8 },
}

impl Op {
    /// The operation at the front of `input`, consuming its bytes.
    fn decode(input: &mut &[u8]) -> Op {
        let mut byte = || -> u8 {
            let (b, rest) = input.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
            *input = rest;
            b
        };
        let tag = byte();
        match tag % 14 {
            0 => Op::Send {
                from: byte(),
                to: byte(),
                len: byte(),
            },
            1 => Op::Deliver { at: byte() },
            2 => Op::Duplicate { at: byte() },
            3 => Op::Drop { at: byte() },
            4 => Op::Tamper {
                at: byte(),
                pos: u16::from_be_bytes([byte(), byte()]),
                bit: byte(),
            },
            5 => Op::Resize {
                at: byte(),
                by: byte(),
            },
            6 => Op::Misdeliver {
                at: byte(),
                to: byte(),
                claim: byte(),
            },
            7 => Op::Restart { who: byte() },
            8 => Op::Backup { who: byte() },
            9 => Op::Restore { who: byte() },
            10 => Op::Dispose {
                who: byte(),
                at: byte(),
                how: byte(),
            },
            11 => Op::Receipt {
                who: byte(),
                at: byte(),
                how: byte(),
            },
            12 => Op::Upkeep {
                who: byte(),
                how: byte(),
            },
            _ => Op::Batch {
                who: byte(),
                at: byte(),
                n: byte(),
            },
        }
    }

    /// The bytes [`Op::decode`] reads back as this operation.
    pub(crate) fn encode(self, out: &mut Vec<u8>) {
        match self {
            Op::Send { from, to, len } => out.extend([0, from, to, len]),
            Op::Deliver { at } => out.extend([1, at]),
            Op::Duplicate { at } => out.extend([2, at]),
            Op::Drop { at } => out.extend([3, at]),
            Op::Tamper { at, pos, bit } => {
                out.extend([4, at]);
                out.extend(pos.to_be_bytes());
                out.push(bit);
            }
            Op::Resize { at, by } => out.extend([5, at, by]),
            Op::Misdeliver { at, to, claim } => out.extend([6, at, to, claim]),
            Op::Restart { who } => out.extend([7, who]),
            Op::Backup { who } => out.extend([8, who]),
            Op::Restore { who } => out.extend([9, who]),
            Op::Dispose { who, at, how } => out.extend([10, who, at, how]),
            Op::Receipt { who, at, how } => out.extend([11, who, at, how]),
            Op::Upkeep { who, how } => out.extend([12, who, how]),
            Op::Batch { who, at, n } => out.extend([13, who, at, n]),
        }
    }
}

/// An envelope in flight.
#[derive(Clone)]
struct Flight {
    from: usize,
    to: usize,
    id: MessageId,
    bytes: Vec<u8>,
    /// The text, for a text this program sent; `None` for receipts and
    /// session resets, which never show as a message.
    text: Option<Vec<u8>>,
}

/// What a device has shown, rolled back with its store.
#[derive(Clone, Default)]
struct Shown {
    /// `(sending device, id)` of every message shown.
    ids: BTreeSet<(usize, MessageId)>,
    /// Each shown message's vault name and sender.
    refs: Vec<(MessageRef, usize)>,
}

struct Node {
    device: Device<MemoryStore>,
    shown: Shown,
    backup: Option<(MemoryStore, Shown)>,
}

/// What a device shows: must survive a restart unchanged.
#[derive(Debug, PartialEq)]
struct Observable {
    identity: IdentityKey,
    awaiting: Vec<AwaitingFiling>,
    messages: Vec<Option<(MessageInfo, Vec<u8>)>>,
    unconfirmed: Vec<Vec<(MessageId, u64)>>,
    peers: Vec<(Option<IdentityKey>, bool)>,
    prekeys: Vec<u32>,
    bundle: Vec<u8>,
}

fn observe(d: &Device<MemoryStore>, now: u64) -> Observable {
    let awaiting = d.awaiting_filing(now);
    let messages = awaiting
        .iter()
        .map(|a| {
            d.message(&a.message, now)
                .map(|(info, text)| (*info, text.expose().to_vec()))
        })
        .collect();
    let others = (0..DEVICES).map(address).filter(|a| a != d.address());
    Observable {
        identity: d.identity_key().clone(),
        awaiting,
        messages,
        unconfirmed: others.clone().map(|a| d.unconfirmed(&a)).collect(),
        peers: others
            .map(|a| (d.peer_identity(&a), d.key_change(&a).is_some()))
            .collect(),
        prekeys: d.one_time_prekey_ids(),
        bundle: d.prekey_bundle().to_bytes(),
    }
}

fn index_of(a: &DeviceAddress) -> usize {
    (0..DEVICES).find(|&i| address(i) == *a).unwrap()
}

struct World {
    rng: ChaCha20Rng,
    now: u64,
    nodes: Vec<Node>,
    wire: Vec<Flight>,
    sends: usize,
    /// Messages shown, over every device.
    shown_total: usize,
}

impl World {
    fn new() -> World {
        let nodes = template()
            .iter()
            .enumerate()
            .map(|(i, s)| Node {
                device: Device::open(s.snapshot(), storage_key(i)).unwrap(),
                shown: Shown::default(),
                backup: None,
            })
            .collect();
        World {
            rng: ChaCha20Rng::from_seed([0x0D; 32]),
            now: NOW,
            nodes,
            wire: Vec::new(),
            sends: 0,
            shown_total: 0,
        }
    }

    fn pick(&self, at: u8) -> Option<usize> {
        (!self.wire.is_empty()).then(|| usize::from(at) % self.wire.len())
    }

    fn queue(&mut self, from: usize, envelopes: Vec<bleep::OutgoingEnvelope>, text: Option<&[u8]>) {
        for e in envelopes {
            if self.wire.len() >= MAX_WIRE {
                return;
            }
            self.wire.push(Flight {
                from,
                to: index_of(&e.to),
                id: e.id,
                bytes: e.envelope,
                text: text.map(<[u8]>::to_vec),
            });
        }
    }

    /// Hands `bytes` to device `to` as from device `claim`; `genuine` is
    /// the flight when these are its true bytes on its true route.
    fn receive(&mut self, to: usize, claim: usize, bytes: &[u8], genuine: Option<&Flight>) {
        let now = self.now;
        let Ok(got) = self.nodes[to]
            .device
            .receive(&mut self.rng, &address(claim), bytes, now)
        else {
            return;
        };
        self.handle(to, got, genuine);
    }

    /// Checks what device `to` made of an envelope and queues its replies.
    fn handle(&mut self, to: usize, got: Received, genuine: Option<&Flight>) {
        let now = self.now;
        let node = &mut self.nodes[to];
        if let Event::Message {
            from,
            message,
            info,
        } = &got.event
        {
            let Some(f) = genuine else {
                panic!("a tampered or misdelivered envelope was shown: {got:?}");
            };
            let text = f
                .text
                .as_deref()
                .expect("a receipt or reset was shown as a message");
            assert_eq!(*from, address(f.from), "shown under another sender");
            assert_eq!(info.id, f.id, "shown under another id");
            assert!(
                node.shown.ids.insert((f.from, info.id)),
                "a message was shown twice"
            );
            node.shown.refs.push((*message, f.from));
            let (_, held) = node.device.message(message, now).expect("not in the vault");
            assert_eq!(held.expose(), text, "shown with another text");
            self.shown_total += 1;
        }
        self.queue(to, got.replies, None);
    }

    /// [`Op::Batch`].
    fn batch(&mut self, who: u8, at: u8, n: u8) {
        let Some(start) = self.pick(at) else { return };
        let to = usize::from(who) % DEVICES;
        let want = usize::from(n % 8) + 1;
        let len = self.wire.len();
        let mut picked: Vec<usize> = (0..len)
            .map(|k| (start + k) % len)
            .filter(|&i| self.wire[i].to == to)
            .take(want)
            .collect();
        let flights: Vec<Flight> = picked.iter().map(|&i| self.wire[i].clone()).collect();
        picked.sort_unstable();
        for i in picked.into_iter().rev() {
            self.wire.remove(i);
        }
        let tampered = (n & 0x80 != 0 && !flights.is_empty()).then_some(flights.len() / 2);
        let envelopes: Vec<(DeviceAddress, Vec<u8>)> = flights
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let mut bytes = f.bytes.clone();
                if Some(k) == tampered {
                    let pos = usize::from(n) % bytes.len();
                    bytes[pos] ^= 1;
                }
                (address(f.from), bytes)
            })
            .collect();
        let now = self.now;
        let Ok(results) = self.nodes[to]
            .device
            .receive_batch(&mut self.rng, &envelopes, now)
        else {
            return;
        };
        assert_eq!(results.len(), flights.len(), "one result per envelope");
        for (k, (got, f)) in results.into_iter().zip(&flights).enumerate() {
            if let Ok(got) = got {
                let genuine = (Some(k) != tampered).then_some(f);
                self.handle(to, got, genuine);
            }
        }
    }

    fn step(&mut self, op: Op) {
        self.now += STEP_SECS;
        let now = self.now;
        match op {
            Op::Send { from, to, len } => {
                if self.sends >= MAX_SENDS {
                    return;
                }
                self.sends += 1;
                let from = usize::from(from) % DEVICES;
                let clinician = address(if to % 2 == 0 { 0 } else { 1 }).clinician().clone();
                let mut text = format!("#{} from {from}: ", self.sends);
                text.extend((0..usize::from(len % 64)).map(|i| char::from(b'a' + (i % 26) as u8)));
                let mut outgoing = Outgoing::text(&text);
                if len & 0x40 != 0 {
                    outgoing = outgoing.expires_at(now + 3_600);
                }
                let sent = self.nodes[from]
                    .device
                    .send(&mut self.rng, &clinician, outgoing, now);
                if let Ok(sent) = sent {
                    self.queue(from, sent.envelopes, Some(text.as_bytes()));
                }
            }
            Op::Deliver { at } => {
                if let Some(i) = self.pick(at) {
                    let f = self.wire.remove(i);
                    self.receive(f.to, f.from, &f.bytes, Some(&f));
                }
            }
            Op::Duplicate { at } => {
                if let Some(i) = self.pick(at)
                    && self.wire.len() < MAX_WIRE
                {
                    let f = self.wire[i].clone();
                    self.wire.push(f);
                }
            }
            Op::Drop { at } => {
                if let Some(i) = self.pick(at) {
                    self.wire.remove(i);
                }
            }
            Op::Tamper { at, pos, bit } => {
                let Some(i) = self.pick(at) else { return };
                let f = self.wire[i].clone();
                let mut bytes = f.bytes.clone();
                let pos = usize::from(pos) % bytes.len();
                bytes[pos] ^= 1 << (bit % 8);
                self.receive(f.to, f.from, &bytes, None);
            }
            Op::Resize { at, by } => {
                let Some(i) = self.pick(at) else { return };
                let f = self.wire[i].clone();
                let mut bytes = f.bytes.clone();
                if by % 2 == 0 {
                    bytes.truncate(bytes.len().saturating_sub(1 + usize::from(by / 2)));
                } else {
                    bytes.extend(std::iter::repeat_n(by, 1 + usize::from(by / 2)));
                }
                self.receive(f.to, f.from, &bytes, None);
            }
            Op::Misdeliver { at, to, claim } => {
                let Some(i) = self.pick(at) else { return };
                let f = self.wire[i].clone();
                let (to, claim) = (usize::from(to) % DEVICES, usize::from(claim) % DEVICES);
                if (to, claim) != (f.to, f.from) && to != claim {
                    self.receive(to, claim, &f.bytes, None);
                }
            }
            Op::Restart { who } => {
                let who = usize::from(who) % DEVICES;
                let node = self.nodes.remove(who);
                let before = observe(&node.device, now);
                let store = node.device.into_store();
                let device = Device::open(store, storage_key(who)).expect("reopen");
                assert_eq!(
                    observe(&device, now),
                    before,
                    "a restart changed what the device shows"
                );
                self.nodes.insert(
                    who,
                    Node {
                        device,
                        shown: node.shown,
                        backup: node.backup,
                    },
                );
            }
            Op::Backup { who } => {
                let node = &mut self.nodes[usize::from(who) % DEVICES];
                node.backup = Some((node.device.store().snapshot(), node.shown.clone()));
            }
            Op::Restore { who } => {
                let who = usize::from(who) % DEVICES;
                let node = &mut self.nodes[who];
                if let Some((store, shown)) = &node.backup {
                    node.device =
                        Device::open(store.snapshot(), storage_key(who)).expect("restore");
                    node.shown = shown.clone();
                }
            }
            Op::Dispose { who, at, how } => {
                let who = usize::from(who) % DEVICES;
                let node = &mut self.nodes[who];
                let held = node.device.awaiting_filing(now);
                let Some(a) = held.get(usize::from(at) % held.len().max(1)) else {
                    return;
                };
                let r = a.message;
                if how % 2 == 0 {
                    let _ = node.device.erase(&mut self.rng, &r);
                    return;
                }
                let filed = node
                    .device
                    .file_to_record(&mut self.rng, &r, |_, _| Ok::<(), ()>(()));
                let sender = node.shown.refs.iter().find(|(m, _)| *m == r).map(|x| x.1);
                if let (Ok(Ok(())), Some(sender)) = (filed, sender) {
                    let notice = Outgoing::filed(vec![r.id()]);
                    if let Ok(sent) =
                        node.device
                            .send_to_device(&mut self.rng, &address(sender), notice, now)
                    {
                        self.queue(who, sent.envelopes, None);
                    }
                }
            }
            Op::Batch { who, at, n } => self.batch(who, at, n),
            Op::Upkeep { who, how } => {
                let who = usize::from(who) % DEVICES;
                let node = &mut self.nodes[who];
                match how % 4 {
                    0 => {
                        let held = node.device.one_time_prekey_ids().len();
                        if let Ok(bundle) = node.device.refill_prekeys(&mut self.rng) {
                            assert!(node.device.one_time_prekey_ids().len() >= held);
                            assert!(!node.device.needs_prekey_refill(), "refilled, still low");
                            assert_eq!(bundle.to_bytes(), node.device.prekey_bundle().to_bytes());
                        }
                    }
                    1 => {
                        let before = node.device.prekey_bundle().signed_prekey_id();
                        if let Ok(Some(bundle)) =
                            node.device.rotate_signed_prekey_if_due(&mut self.rng, now)
                        {
                            assert_ne!(
                                bundle.signed_prekey_id(),
                                before,
                                "rotated to the same key"
                            );
                            // Not due again at once.
                            assert!(matches!(
                                node.device.rotate_signed_prekey_if_due(&mut self.rng, now),
                                Ok(None)
                            ));
                        }
                    }
                    2 => {
                        if let Ok(gone) = node.device.purge_expired(&mut self.rng, now) {
                            for r in &gone {
                                assert!(node.device.message(r, 0).is_none(), "purged, still held");
                            }
                            assert!(
                                node.device
                                    .awaiting_filing(now)
                                    .iter()
                                    .all(|a| a.expires_at.is_none_or(|at| at > now)),
                                "an expired message survived the purge"
                            );
                        }
                    }
                    _ => self.now += u64::from(how / 4) * 86_400,
                }
                // The vault never returns an expired message.
                let now = self.now;
                for a in node.device.awaiting_filing(now) {
                    if a.expires_at.is_some_and(|at| at <= now) {
                        assert!(
                            node.device.message(&a.message, now).is_none(),
                            "expired, shown"
                        );
                    }
                }
            }
            Op::Receipt { who, at, how } => {
                let who = usize::from(who) % DEVICES;
                let node = &mut self.nodes[who];
                if how % 2 == 1 {
                    let _ = node
                        .device
                        .set_delivery_receipts(&mut self.rng, how % 4 == 3);
                    return;
                }
                let refs = &node.shown.refs;
                let Some(&(r, sender)) = refs.get(usize::from(at) % refs.len().max(1)) else {
                    return;
                };
                let receipt = Outgoing::read(vec![r.id()]);
                if let Ok(sent) =
                    node.device
                        .send_to_device(&mut self.rng, &address(sender), receipt, now)
                {
                    self.queue(who, sent.envelopes, None);
                }
            }
        }
    }
}

/// Runs the program in `data` (at most [`MAX_OPS`] operations); returns
/// how many messages were shown.
pub(crate) fn device_ops(data: &[u8]) -> usize {
    let mut world = World::new();
    let mut input = data;
    for _ in 0..MAX_OPS {
        if input.is_empty() {
            break;
        }
        world.step(Op::decode(&mut input));
    }
    world.shown_total
}

/// Hand-written programs that reach each operation: the start of the
/// corpus, written by `tests/fuzz_corpus.rs` when asked.
pub(crate) fn seed_programs() -> Vec<(&'static str, Vec<u8>)> {
    use Op::*;
    let programs: Vec<(&str, Vec<Op>)> = vec![
        (
            "fan-out-and-receipts",
            vec![
                // Dr Okafor to both of Dr Patel's devices; both reply.
                Send {
                    from: 0,
                    to: 1,
                    len: 5,
                },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Send {
                    from: 1,
                    to: 0,
                    len: 40,
                },
                Deliver { at: 0 },
                Receipt {
                    who: 0,
                    at: 0,
                    how: 0,
                },
                Deliver { at: 0 },
                Deliver { at: 0 },
            ],
        ),
        (
            "reorder-duplicate-drop",
            vec![
                Send {
                    from: 2,
                    to: 0,
                    len: 1,
                },
                Send {
                    from: 2,
                    to: 0,
                    len: 2,
                },
                Send {
                    from: 2,
                    to: 0,
                    len: 3,
                },
                Duplicate { at: 1 },
                Deliver { at: 2 },
                Deliver { at: 0 },
                Drop { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
            ],
        ),
        (
            "tamper-misdeliver",
            vec![
                Send {
                    from: 0,
                    to: 1,
                    len: 9,
                },
                Tamper {
                    at: 0,
                    pos: 3,
                    bit: 1,
                },
                Tamper {
                    at: 1,
                    pos: 700,
                    bit: 7,
                },
                Resize { at: 0, by: 4 },
                Resize { at: 0, by: 5 },
                Misdeliver {
                    at: 0,
                    to: 2,
                    claim: 0,
                },
                Misdeliver {
                    at: 0,
                    to: 1,
                    claim: 2,
                },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
            ],
        ),
        (
            "restart-backup-restore",
            vec![
                Backup { who: 1 },
                Send {
                    from: 0,
                    to: 1,
                    len: 5,
                },
                Deliver { at: 0 },
                Restart { who: 1 },
                Restart { who: 0 },
                Deliver { at: 0 },
                Restore { who: 1 },
                Send {
                    from: 0,
                    to: 1,
                    len: 6,
                },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Restart { who: 1 },
            ],
        ),
        (
            "file-erase",
            vec![
                Send {
                    from: 1,
                    to: 0,
                    len: 7,
                },
                Send {
                    from: 2,
                    to: 0,
                    len: 8,
                },
                Send {
                    from: 1,
                    to: 0,
                    len: 9,
                },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Dispose {
                    who: 0,
                    at: 0,
                    how: 1,
                },
                Dispose {
                    who: 0,
                    at: 0,
                    how: 0,
                },
                Restart { who: 0 },
                Receipt {
                    who: 0,
                    at: 0,
                    how: 1,
                },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
            ],
        ),
        (
            "expiry-prekeys-rotation",
            vec![
                // A text that expires in an hour, shown, then two days pass.
                Send {
                    from: 0,
                    to: 1,
                    len: 0x40 | 3,
                },
                Send {
                    from: 0,
                    to: 1,
                    len: 4,
                },
                Deliver { at: 0 },
                Deliver { at: 0 },
                Upkeep {
                    who: 1,
                    how: 2 * 4 + 3,
                },
                Upkeep { who: 1, how: 2 },
                Restart { who: 1 },
                // The one-time prekey Dr Okafor's first message used is
                // replaced; Dr Okafor's signed prekey is rotated; both
                // survive a restart.
                Upkeep { who: 1, how: 0 },
                Upkeep { who: 0, how: 1 },
                Restart { who: 1 },
                Restart { who: 0 },
                Send {
                    from: 1,
                    to: 0,
                    len: 5,
                },
                Deliver { at: 0 },
            ],
        ),
        (
            "batch-catch-up",
            vec![
                // Three texts to both of Dr Patel's devices, caught up in
                // one batch each; the second device's middle envelope
                // arrives damaged, so it shows the other two.
                Send {
                    from: 0,
                    to: 1,
                    len: 1,
                },
                Send {
                    from: 0,
                    to: 1,
                    len: 2,
                },
                Send {
                    from: 0,
                    to: 1,
                    len: 3,
                },
                Batch {
                    who: 1,
                    at: 0,
                    n: 7,
                },
                Batch {
                    who: 2,
                    at: 0,
                    n: 0x80 | 7,
                },
                Restart { who: 1 },
                Restart { who: 2 },
            ],
        ),
    ];
    programs
        .into_iter()
        .map(|(name, ops)| {
            let mut bytes = Vec::new();
            for op in ops {
                op.encode(&mut bytes);
            }
            (name, bytes)
        })
        .collect()
}
