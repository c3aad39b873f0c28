//! Group messages that arrived before their sender's key
//! (`docs/PROTOCOL.md` §12.5).
//!
//! A group message whose sender is a member accepted by the trust policy,
//! but whose sender key this device does not hold yet
//! ([`crate::GroupError::MissingSenderKey`]), is kept in its own sealed
//! row (it is ciphertext, but it names who sent what and when) and
//! decrypted when that sender's key is installed, in the same commit as
//! the receive that installs it. The rows are bounded per group and per
//! device, in count and in bytes ([`MAX_WAITING_GROUP_MESSAGES_PER_GROUP`],
//! [`MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP`],
//! [`MAX_WAITING_GROUP_MESSAGES`], [`MAX_WAITING_GROUP_MESSAGE_BYTES`]):
//! when full, the oldest is dropped and reported.

use super::address::DeviceAddress;
use crate::error::{DecodeError, Error, LimitError, Result};
use crate::group::GroupId;
use crate::group::message::GroupMessage;
use crate::limits::{
    MAX_WAITING_GROUP_MESSAGE_BYTES, MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP,
    MAX_WAITING_GROUP_MESSAGES, MAX_WAITING_GROUP_MESSAGES_PER_GROUP,
};
use crate::wire::codec::{Reader, put_bytes_u32};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Row prefix of a waiting group message.
pub(super) const WAITING_PREFIX: &[u8] = b"gmsg/";
/// HKDF info of the keyed hash that names a waiting message's row.
pub(super) const LABEL_WAITING_ROW: &[u8] = b"bleep v1 store index group message";
const WAITING_MESSAGE_VERSION: u8 = 1;

/// A group message kept until its sender's key arrives, dropped without
/// being shown.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DroppedGroupMessage {
    /// The group it named.
    pub group: GroupId,
    /// The device it arrived from.
    pub from: DeviceAddress,
    /// When it arrived (the `now` of the receive that kept it).
    pub arrived_at: u64,
    /// Why: [`LimitError::TooManyEntries`] (evicted to make room), or the
    /// error decrypting it gave once its sender's key arrived (forged,
    /// tampered, replaced roster, …).
    pub reason: Error,
}

/// One group message waiting for its sender's key.
pub(crate) struct WaitingMessage {
    /// Arrival order (the row's name is derived from it).
    pub(crate) seq: u64,
    /// The device it arrived from.
    pub(crate) from: DeviceAddress,
    /// When it arrived.
    pub(crate) arrived_at: u64,
    pub(crate) group: GroupId,
    /// The sender's Ed25519 key, as the message names it.
    pub(crate) sender: [u8; 32],
    /// The group message (§9.5).
    pub(crate) bytes: Vec<u8>,
}

impl WaitingMessage {
    /// `0x01 || seq (8) || arrived_at (8) || address || len (4) || group
    /// message (§9.5)`.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            1 + 8 + 8 + self.from.encoded_len() + 4 + self.bytes.len(),
        ));
        out.push(WAITING_MESSAGE_VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.arrived_at.to_be_bytes());
        self.from.write(&mut out);
        put_bytes_u32(&mut out, &self.bytes);
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != WAITING_MESSAGE_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let seq = r.u64()?;
        let arrived_at = r.u64()?;
        let from = DeviceAddress::read(&mut r)?;
        let msg = r.bytes_u32(MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP)?;
        r.finish()?;
        let m = GroupMessage::parse(msg)?;
        Ok(WaitingMessage {
            seq,
            from,
            arrived_at,
            group: m.group_id,
            sender: m.sender,
            bytes: msg.to_vec(),
        })
    }

    /// The drop report for this message.
    pub(crate) fn dropped(&self, reason: Error) -> DroppedGroupMessage {
        DroppedGroupMessage {
            group: self.group,
            from: self.from.clone(),
            arrived_at: self.arrived_at,
            reason,
        }
    }
}

/// The waiting group messages, by arrival order (oldest first).
#[derive(Default)]
pub(crate) struct Waiting {
    pub(crate) messages: BTreeMap<u64, WaitingMessage>,
}

impl Waiting {
    /// Whether these exact bytes are waiting already.
    pub(crate) fn contains(&self, bytes: &[u8]) -> bool {
        self.messages.values().any(|m| m.bytes == bytes)
    }

    /// How many messages wait.
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    /// Keeps `bytes` (a parsed group message for `group` from `sender`),
    /// first evicting the oldest messages of the group, then of the device,
    /// until both bounds hold with it. Returns the evicted messages;
    /// `changed` gets every row number written or deleted.
    pub(crate) fn park(
        &mut self,
        group: GroupId,
        sender: [u8; 32],
        from: DeviceAddress,
        bytes: &[u8],
        now: u64,
        changed: &mut impl Extend<u64>,
    ) -> Vec<DroppedGroupMessage> {
        let mut evicted = Vec::new();
        let len = bytes.len();
        loop {
            let (n, size) = self.usage(Some(&group));
            if n < MAX_WAITING_GROUP_MESSAGES_PER_GROUP
                && size + len <= MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP
            {
                break;
            }
            let Some(seq) = self
                .messages
                .values()
                .find(|m| m.group == group)
                .map(|m| m.seq)
            else {
                break;
            };
            evicted.extend(self.evict(seq, changed));
        }
        loop {
            let (n, size) = self.usage(None);
            if n < MAX_WAITING_GROUP_MESSAGES && size + len <= MAX_WAITING_GROUP_MESSAGE_BYTES {
                break;
            }
            let Some(seq) = self.messages.keys().next().copied() else {
                break;
            };
            evicted.extend(self.evict(seq, changed));
        }
        let seq = self
            .messages
            .last_key_value()
            .map_or(0, |(s, _)| s.saturating_add(1));
        self.messages.insert(
            seq,
            WaitingMessage {
                seq,
                from,
                arrived_at: now,
                group,
                sender,
                bytes: bytes.to_vec(),
            },
        );
        changed.extend([seq]);
        evicted
    }

    /// Count and bytes of the waiting messages (of `group`, or all).
    fn usage(&self, group: Option<&GroupId>) -> (usize, usize) {
        self.messages
            .values()
            .filter(|m| group.is_none_or(|g| m.group == *g))
            .fold((0, 0), |(n, b), m| (n + 1, b + m.bytes.len()))
    }

    fn evict(&mut self, seq: u64, changed: &mut impl Extend<u64>) -> Option<DroppedGroupMessage> {
        let m = self.messages.remove(&seq)?;
        changed.extend([seq]);
        Some(m.dropped(LimitError::TooManyEntries.into()))
    }

    /// Takes out the messages of `group` that `pick` selects, oldest first.
    pub(crate) fn take(
        &mut self,
        group: &GroupId,
        mut pick: impl FnMut(&WaitingMessage) -> bool,
        changed: &mut impl Extend<u64>,
    ) -> Vec<WaitingMessage> {
        let seqs: Vec<u64> = self
            .messages
            .values()
            .filter(|m| m.group == *group && pick(m))
            .map(|m| m.seq)
            .collect();
        changed.extend(seqs.iter().copied());
        seqs.iter()
            .filter_map(|s| self.messages.remove(s))
            .collect()
    }

    /// Puts back a message taken out that still cannot be read.
    pub(crate) fn put_back(&mut self, m: WaitingMessage) {
        self.messages.insert(m.seq, m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(name: &str) -> DeviceAddress {
        DeviceAddress::new(&crate::PeerId::new(name).unwrap(), 1).unwrap()
    }

    /// A group message's bytes of about `len` bytes, naming `group` (not
    /// a valid signature; parse only checks the structure).
    fn message(group: u8, len: usize) -> Vec<u8> {
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(3);
        let me = crate::IdentityKeyPair::from_seed_bytes([1; 32]);
        let other = crate::IdentityKeyPair::from_seed_bytes([2; 32]);
        let roster =
            crate::group::Roster::create(&me, GroupId([group; 16]), &[other.public().clone()])
                .unwrap();
        let (mut s, _) = crate::GroupSession::join_as_coordinator(&mut rng, &me, roster).unwrap();
        let body = vec![b'x'; len];
        s.encrypt(&mut rng, crate::OutgoingMessage::new(&body, 1))
            .unwrap()
            .bytes
    }

    #[test]
    fn waiting_message_round_trips_and_refuses_garbage() {
        let bytes = message(4, 10);
        let m = WaitingMessage {
            seq: 9,
            from: addr("okafor"),
            arrived_at: 77,
            group: GroupId([4; 16]),
            sender: GroupMessage::parse(&bytes).unwrap().sender,
            bytes,
        };
        let enc = m.encode();
        assert_eq!(enc.capacity(), enc.len(), "sized exactly");
        let back = WaitingMessage::decode(&enc).unwrap();
        assert!(crate::fuzz_decode_device_row(0xff, &enc));
        assert_eq!(back.encode().as_slice(), enc.as_slice());
        assert_eq!((back.seq, back.arrived_at, back.group), (9, 77, m.group));
        assert_eq!(back.sender, m.sender);
        for n in [0, 1, 9, 17, enc.len() - 1] {
            assert!(WaitingMessage::decode(&enc[..n]).is_err());
        }
        let mut long = enc.to_vec();
        long.push(0);
        assert!(WaitingMessage::decode(&long).is_err());
        let mut bad = enc.to_vec();
        bad[0] = 2;
        assert_eq!(
            WaitingMessage::decode(&bad).err().unwrap(),
            Error::Decode(DecodeError::UnknownVersion)
        );
    }

    #[test]
    fn parking_evicts_the_oldest_of_the_group_then_of_the_device() {
        let mut w = Waiting::default();
        let mut changed = Vec::new();
        let small = message(1, 10);
        let sender = GroupMessage::parse(&small).unwrap().sender;
        for i in 0..MAX_WAITING_GROUP_MESSAGES_PER_GROUP {
            let mut b = small.clone();
            b.push(u8::try_from(i % 200).unwrap());
            let ev = w.park(GroupId([1; 16]), sender, addr("a"), &b, 5, &mut changed);
            assert!(ev.is_empty());
        }
        let ev = w.park(GroupId([1; 16]), sender, addr("a"), &small, 6, &mut changed);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].reason, Error::Limit(LimitError::TooManyEntries));
        assert_eq!(ev[0].arrived_at, 5);
        assert_eq!(w.len(), MAX_WAITING_GROUP_MESSAGES_PER_GROUP);
        assert!(w.contains(&small));
        // The oldest (seq 0) went; its row is marked changed.
        assert!(!w.messages.contains_key(&0));
        assert!(changed.contains(&0));
        // Other groups fill the device bound; then the device's oldest go.
        let mut g = 2u8;
        while w.len() < MAX_WAITING_GROUP_MESSAGES {
            for _ in 0..MAX_WAITING_GROUP_MESSAGES_PER_GROUP {
                if w.len() == MAX_WAITING_GROUP_MESSAGES {
                    break;
                }
                let mut b = small.clone();
                b.push(g);
                b.push(u8::try_from(w.len() % 251).unwrap());
                assert!(
                    w.park(GroupId([g; 16]), sender, addr("a"), &b, 7, &mut changed)
                        .is_empty()
                );
            }
            g += 1;
        }
        let oldest = *w.messages.keys().next().unwrap();
        let ev = w.park(GroupId([g; 16]), sender, addr("a"), &small, 8, &mut changed);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].group, GroupId([1; 16]));
        assert!(!w.messages.contains_key(&oldest));
        assert_eq!(w.len(), MAX_WAITING_GROUP_MESSAGES);
    }

    #[test]
    fn parking_keeps_the_byte_bounds() {
        let mut w = Waiting::default();
        let mut changed = Vec::new();
        let big = message(1, 60_000);
        let sender = GroupMessage::parse(&big).unwrap().sender;
        let per_group = MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP / big.len();
        for i in 0..per_group {
            let mut b = big.clone();
            b.push(u8::try_from(i).unwrap());
            assert!(
                w.park(GroupId([1; 16]), sender, addr("a"), &b, 1, &mut changed)
                    .is_empty()
            );
        }
        let ev = w.park(GroupId([1; 16]), sender, addr("a"), &big, 2, &mut changed);
        assert!(!ev.is_empty());
        assert!(w.usage(Some(&GroupId([1; 16]))).1 <= MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP);
        let mut g = 2u8;
        for _ in 0..4 * MAX_WAITING_GROUP_MESSAGE_BYTES / big.len() {
            w.park(GroupId([g; 16]), sender, addr("a"), &big, 3, &mut changed);
            g = g.wrapping_add(1).max(2);
            assert!(w.usage(None).1 <= MAX_WAITING_GROUP_MESSAGE_BYTES);
        }
    }
}
