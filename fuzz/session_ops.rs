//! A structure-aware session target: the input is a program of operations
//! on one established Alice–Bob session (send, deliver, reorder, duplicate,
//! drop, tamper, truncate, seal, restore, restore a damaged seal), run
//! against the public API. Shared by `fuzz/fuzz_targets/session_ops.rs` and
//! `tests/fuzz_corpus.rs`, which replays the committed corpus.
//!
//! The invariants checked after every step:
//!
//! - a rejected envelope leaves the receiving session exactly as it was;
//! - an accepted envelope decrypts to what was sent in it, with its id;
//! - a tampered, truncated or extended envelope is always rejected;
//! - sealing then unsealing gives the same state, and a damaged seal never
//!   unseals;
//! - while no session has been rolled back to an older seal, every genuine
//!   envelope decrypts at its first delivery and is refused at every later
//!   one. (After a rollback a receiver may read a message again and a
//!   sender re-uses counters: PROTOCOL §10.6. Only the weaker rules above
//!   hold then.)
//!
//! Every key and random draw comes from fixed seeds, so a failing input
//! reproduces exactly.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use bleep::{
    Envelope, IdentityKeyPair, MessageId, OutgoingMessage, PeerId, PreKeyStore, Session,
    StorageKey, TrustPolicy, TrustStore, VerifiedIdentity,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The clock every message is sent and read at (unix seconds).
const NOW: u64 = 1_700_000_000;
/// Operations per input, and messages sent per input: far below the
/// skipped-key limits, so no genuine message is ever evicted.
const MAX_OPS: usize = 400;
const MAX_SENDS: usize = 96;

/// One operation, decoded from a tag byte and the bytes after it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// Party (0 = Alice, 1 = Bob) sends a body of `len` bytes.
    Send { from: u8, len: u8 },
    /// Deliver the in-flight envelope at `at` (modulo) and remove it.
    Deliver { at: u8 },
    /// Put another copy of an in-flight envelope on the wire.
    Duplicate { at: u8 },
    /// Swap two in-flight envelopes.
    Reorder { a: u8, b: u8 },
    /// Lose an in-flight envelope.
    Drop { at: u8 },
    /// Deliver a copy with one bit flipped.
    Tamper { at: u8, pos: u16, bit: u8 },
    /// Deliver a copy cut short or with bytes appended.
    Resize { at: u8, by: u8 },
    /// Seal a party's session (the app saves it).
    Seal { who: u8 },
    /// Replace a party's session with its last seal (a crash, a backup).
    Restore { who: u8 },
    /// Try to restore from the last seal with one bit flipped.
    RestoreDamaged { who: u8, pos: u16 },
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
        match tag % 10 {
            0 => Op::Send {
                from: byte() % 2,
                len: byte(),
            },
            1 => Op::Deliver { at: byte() },
            2 => Op::Duplicate { at: byte() },
            3 => Op::Reorder {
                a: byte(),
                b: byte(),
            },
            4 => Op::Drop { at: byte() },
            5 => Op::Tamper {
                at: byte(),
                pos: u16::from_be_bytes([byte(), byte()]),
                bit: byte() % 8,
            },
            6 => Op::Resize {
                at: byte(),
                by: byte(),
            },
            7 => Op::Seal { who: byte() % 2 },
            8 => Op::Restore { who: byte() % 2 },
            _ => Op::RestoreDamaged {
                who: byte() % 2,
                pos: u16::from_be_bytes([byte(), byte()]),
            },
        }
    }

    /// The bytes [`Op::decode`] reads back as this operation.
    pub(crate) fn encode(self, out: &mut Vec<u8>) {
        match self {
            Op::Send { from, len } => out.extend([0, from, len]),
            Op::Deliver { at } => out.extend([1, at]),
            Op::Duplicate { at } => out.extend([2, at]),
            Op::Reorder { a, b } => out.extend([3, a, b]),
            Op::Drop { at } => out.extend([4, at]),
            Op::Tamper { at, pos, bit } => {
                out.extend([5, at]);
                out.extend(pos.to_be_bytes());
                out.push(bit);
            }
            Op::Resize { at, by } => out.extend([6, at, by]),
            Op::Seal { who } => out.extend([7, who]),
            Op::Restore { who } => out.extend([8, who]),
            Op::RestoreDamaged { who, pos } => {
                out.extend([9, who]);
                out.extend(pos.to_be_bytes());
            }
        }
    }
}

/// A message on the wire, with what it must decrypt to.
#[derive(Clone)]
struct Wire {
    /// Index into `World::sent`.
    msg: usize,
}

struct Sent {
    to: usize,
    envelope: Vec<u8>,
    body: Vec<u8>,
    id: MessageId,
    delivered: bool,
}

struct World {
    rng: ChaCha20Rng,
    key: StorageKey,
    /// Alice (0) and Bob (1).
    sessions: [Session; 2],
    sealed: [Option<Vec<u8>>; 2],
    sent: Vec<Sent>,
    wire: Vec<Wire>,
    /// Whether any session has been restored from a seal.
    rolled_back: bool,
    accepted: usize,
}

fn proof(s: &Session) -> VerifiedIdentity {
    let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    t.check(&PeerId::new("peer").unwrap(), s.peer_identity())
        .unwrap()
}

impl World {
    fn new() -> World {
        let mut rng = ChaCha20Rng::from_seed([0x5E; 32]);
        let alice = IdentityKeyPair::from_seed_bytes([0xA1; 32]);
        let bob = IdentityKeyPair::from_seed_bytes([0xB0; 32]);
        let mut store = PreKeyStore::new(&mut rng, &bob);
        store.generate_one_time_prekeys(&mut rng, 1).unwrap();
        let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        let vb = trust
            .check(&PeerId::new("bob").unwrap(), bob.public())
            .unwrap();
        let mut a = Session::initiate(&mut rng, &alice, &vb, &store.bundle()).unwrap();
        let first = a
            .encrypt(&mut rng, proof(&a), OutgoingMessage::new(b"hello", NOW))
            .unwrap();
        let env = Envelope::parse(&first.envelope).unwrap();
        let va = trust
            .check(&PeerId::new("alice").unwrap(), alice.public())
            .unwrap();
        let (b, _) = Session::accept(&bob, &mut store, &va, &env, NOW).unwrap();
        World {
            rng,
            key: StorageKey::from_bytes([0x42; 32]),
            sessions: [a, b],
            sealed: [None, None],
            sent: Vec::new(),
            wire: Vec::new(),
            rolled_back: false,
            accepted: 0,
        }
    }

    fn pick(&self, at: u8) -> Option<usize> {
        (!self.wire.is_empty()).then(|| usize::from(at) % self.wire.len())
    }

    /// Delivers bytes that are not a genuine envelope: must be refused.
    fn expect_rejected(&mut self, to: usize, envelope: &[u8], what: &str) {
        let s = &mut self.sessions[to];
        let before = s.state_digest();
        let p = proof(s);
        assert!(s.decrypt(p, envelope, NOW).is_err(), "{what} accepted");
        assert_eq!(s.state_digest(), before, "{what} changed state");
    }

    /// Delivers the in-flight envelope at `i` and removes it from the wire.
    fn deliver(&mut self, i: usize) {
        let w = self.wire.remove(i);
        let m = &mut self.sent[w.msg];
        let s = &mut self.sessions[m.to];
        let before = s.state_digest();
        let p = proof(s);
        match s.decrypt(p, &m.envelope, NOW) {
            Ok(got) => {
                assert_eq!(got.body.expose(), &m.body[..], "decrypted to another body");
                assert_eq!(got.info.id, m.id, "decrypted with another id");
                assert!(
                    self.rolled_back || !m.delivered,
                    "a delivered envelope decrypted again"
                );
                m.delivered = true;
                self.accepted += 1;
            }
            Err(e) => {
                assert_eq!(s.state_digest(), before, "a refusal changed state");
                assert!(
                    self.rolled_back || m.delivered,
                    "a genuine envelope was refused at its first delivery: {e:?}"
                );
            }
        }
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Send { from, len } => {
                if self.sent.len() >= MAX_SENDS {
                    return;
                }
                let from = usize::from(from);
                let mut body = format!("#{} from {from}: ", self.sent.len()).into_bytes();
                body.extend((0..usize::from(len)).map(|i| b'a' + (i % 26) as u8));
                let s = &mut self.sessions[from];
                let p = proof(s);
                let m = s
                    .encrypt(&mut self.rng, p, OutgoingMessage::new(&body, NOW))
                    .unwrap();
                self.wire.push(Wire {
                    msg: self.sent.len(),
                });
                self.sent.push(Sent {
                    to: 1 - from,
                    envelope: m.envelope,
                    body,
                    id: m.id,
                    delivered: false,
                });
            }
            Op::Deliver { at } => {
                if let Some(i) = self.pick(at) {
                    self.deliver(i);
                }
            }
            Op::Duplicate { at } => {
                if let Some(i) = self.pick(at) {
                    let w = self.wire[i].clone();
                    self.wire.push(w);
                }
            }
            Op::Reorder { a, b } => {
                if let (Some(a), Some(b)) = (self.pick(a), self.pick(b)) {
                    self.wire.swap(a, b);
                }
            }
            Op::Drop { at } => {
                if let Some(i) = self.pick(at) {
                    self.wire.remove(i);
                }
            }
            Op::Tamper { at, pos, bit } => {
                let Some(i) = self.pick(at) else { return };
                let m = &self.sent[self.wire[i].msg];
                let (to, mut env) = (m.to, m.envelope.clone());
                let pos = usize::from(pos) % env.len();
                env[pos] ^= 1 << bit;
                self.expect_rejected(to, &env, "a flipped bit");
            }
            Op::Resize { at, by } => {
                let Some(i) = self.pick(at) else { return };
                let m = &self.sent[self.wire[i].msg];
                let (to, mut env) = (m.to, m.envelope.clone());
                if by % 2 == 0 {
                    env.truncate(env.len().saturating_sub(1 + usize::from(by / 2)));
                } else {
                    env.extend(std::iter::repeat_n(by, 1 + usize::from(by / 2)));
                }
                self.expect_rejected(to, &env, "a resized envelope");
            }
            Op::Seal { who } => {
                let who = usize::from(who);
                let sealed = self.key.seal(&mut self.rng, &self.sessions[who]);
                let back: Session = self.key.unseal(&sealed).unwrap();
                assert_eq!(back.state_digest(), self.sessions[who].state_digest());
                self.sealed[who] = Some(sealed);
            }
            Op::Restore { who } => {
                let who = usize::from(who);
                if let Some(sealed) = &self.sealed[who] {
                    self.sessions[who] = self.key.unseal(sealed).unwrap();
                    self.rolled_back = true;
                }
            }
            Op::RestoreDamaged { who, pos } => {
                if let Some(sealed) = &self.sealed[usize::from(who)] {
                    let mut bad = sealed.clone();
                    let pos = usize::from(pos) % bad.len();
                    bad[pos] ^= 0x01;
                    assert!(
                        self.key.unseal::<Session>(&bad).is_err(),
                        "a damaged seal opened"
                    );
                }
            }
        }
    }
}

/// Runs the program in `data`; returns whether any envelope decrypted.
pub(crate) fn session_ops(data: &[u8]) -> bool {
    let mut world = World::new();
    let mut input = data;
    for _ in 0..MAX_OPS {
        if input.is_empty() {
            break;
        }
        world.step(Op::decode(&mut input));
    }
    // Everything still on the wire, newest first: the strict rules hold for
    // the late deliveries too.
    while let Some(last) = world.wire.len().checked_sub(1) {
        world.deliver(last);
    }
    world.accepted > 0
}

/// Hand-written programs that reach each operation: the start of the
/// corpus, written by `tests/fuzz_corpus.rs` when asked.
pub(crate) fn seed_programs() -> Vec<(&'static str, Vec<u8>)> {
    use Op::*;
    let programs: Vec<(&str, Vec<Op>)> = vec![
        (
            "ping-pong",
            vec![
                Send { from: 0, len: 3 },
                Deliver { at: 0 },
                Send { from: 1, len: 40 },
                Deliver { at: 0 },
                Send { from: 0, len: 200 },
                Deliver { at: 0 },
            ],
        ),
        (
            "reorder-duplicate",
            vec![
                Send { from: 1, len: 1 },
                Send { from: 1, len: 2 },
                Send { from: 1, len: 3 },
                Reorder { a: 0, b: 2 },
                Duplicate { at: 1 },
                Deliver { at: 0 },
                Deliver { at: 2 },
                Deliver { at: 0 },
                Deliver { at: 0 },
            ],
        ),
        (
            "tamper-resize-drop",
            vec![
                Send { from: 0, len: 9 },
                Tamper {
                    at: 0,
                    pos: 3,
                    bit: 1,
                },
                Tamper {
                    at: 0,
                    pos: 300,
                    bit: 7,
                },
                Resize { at: 0, by: 4 },
                Resize { at: 0, by: 5 },
                Send { from: 0, len: 9 },
                Drop { at: 0 },
                Deliver { at: 0 },
            ],
        ),
        (
            "seal-restore",
            vec![
                Send { from: 0, len: 5 },
                Deliver { at: 0 },
                Seal { who: 1 },
                Send { from: 0, len: 5 },
                Deliver { at: 0 },
                RestoreDamaged { who: 1, pos: 40 },
                Restore { who: 1 },
                Send { from: 1, len: 5 },
                Deliver { at: 0 },
                Seal { who: 0 },
                Send { from: 0, len: 0 },
                Restore { who: 0 },
                Send { from: 0, len: 0 },
                Deliver { at: 0 },
                Deliver { at: 0 },
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
