//! Group sessions owned by the device (`docs/PROTOCOL.md` §12.5).
//!
//! A [`Device`] keeps one [`GroupSession`] per group in its own sealed row,
//! with the device address of every member it knows and the members still
//! owed its sender key. Rosters and sender keys travel as content over the
//! 1:1 sessions and are applied by the device as they arrive; the app sees
//! what changed ([`GroupEvent`]). Group messages are sent once for the
//! whole group ([`Device::send_group`]) and handed in with
//! [`Device::receive_group`].
//!
//! A sender key that arrives before the roster it belongs to (the group is
//! not known yet, or the key names a later roster version) is kept in its
//! own sealed row — at most [`MAX_PENDING_GROUP_KEYS`], the oldest dropped
//! and reported — and installed when that roster arrives. A group message
//! that arrives before its sender's key is kept too, in its own sealed row
//! (`group_waiting`, bounded per group and per device), and decrypted in
//! the receive that installs that key ([`Received::released`]). A message
//! for a group or roster version this device does not hold yet is reported
//! ([`GroupEvent::Undecryptable`]) and changes nothing.
//!
//! Every call is one store commit: group state, vault, pending keys, the
//! 1:1 sessions that carried rosters and keys, and trust changes together.

use super::address::DeviceAddress;
use super::content::Content;
use super::group_waiting::{
    DroppedGroupMessage, LABEL_WAITING_ROW, WAITING_PREFIX, Waiting, WaitingMessage,
};
use super::record::PeerRecord;
use super::{Device, Dirty, Event, Outgoing, OutgoingEnvelope, Received, Sent, seal};
use crate::error::{
    DecodeError, DeviceError, Error, GroupError, LimitError, ProtocolError, Result, StoreError,
    TrustError,
};
use crate::group::distribution::Distribution;
use crate::group::message::GroupMessage;
use crate::group::session::Checked;
use crate::group::{
    DISTRIBUTION_MESSAGE_LEN, DistributionMessage, GroupId, GroupSafetyNumber, GroupSession,
    ReceivedGroupMessage, Roster,
};
use crate::identity::{IdentityKey, VerifiedIdentity};
use crate::limits::{MAX_DEVICE_GROUPS, MAX_GROUP_MEMBERS, MAX_PENDING_GROUP_KEYS};
use crate::retention::{MessageRef, Stored};
use crate::state::StorageKey;
use crate::store::{ChangeSet, Store};
use crate::wire::codec::{Reader, len_u16, put_bytes_u32};
use crate::wire::{MessageId, MessageInfo, OutgoingMessage};
use rand_core::CryptoRng;
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

const GROUP_PREFIX: &[u8] = b"group/";
const PENDING_PREFIX: &[u8] = b"gkey/";
/// HKDF info of the keyed hash that names a group's row.
const LABEL_GROUP_ROW: &[u8] = b"bleep v1 store index group";
/// HKDF info of the keyed hash that names a waiting sender key's row.
const LABEL_PENDING_ROW: &[u8] = b"bleep v1 store index group key";
const GROUP_RECORD_VERSION: u8 = 1;
const PENDING_KEY_VERSION: u8 = 1;
/// Bytes of a member's Ed25519 key in the record.
const MEMBER_KEY_LEN: usize = 32;
/// Smallest encoded device address (1-byte clinician id).
const MIN_ADDRESS_LEN: usize = 1 + 1 + 4;

/// What happened in a group, from one received envelope.
#[derive(Debug)]
#[non_exhaustive]
pub enum GroupEvent {
    /// The group's coordinator added this device to a new group: show the
    /// group and its safety number ([`Device::group_safety_number`]). Our
    /// sender key went to every member the trust policy accepts now (in
    /// [`Received::replies`]); the others get it with a later
    /// [`Device::send_group`].
    Joined {
        /// The group.
        group: GroupId,
        /// The coordinator's device.
        from: DeviceAddress,
        /// The roster version.
        version: u64,
        /// Members, this device and the coordinator included.
        members: usize,
        /// Sender keys that had arrived before the roster and are now
        /// installed.
        keys_applied: usize,
    },
    /// The coordinator changed the roster: show who joined and left and
    /// the new safety number. After a removal every sender key was
    /// rotated; our new one is in [`Received::replies`].
    Changed {
        /// The group.
        group: GroupId,
        /// The coordinator's device.
        from: DeviceAddress,
        /// The roster version before.
        previous_version: u64,
        /// The roster version now.
        version: u64,
        /// Devices added (those this device knows).
        added: Vec<DeviceAddress>,
        /// Added members whose device this device does not know (add their
        /// bundle and verify them to exchange keys with them).
        added_unknown: usize,
        /// Devices removed (those this device knew).
        removed: Vec<DeviceAddress>,
        /// Devices whose identity key the roster replaced (removed under
        /// the old key and added under a new one, for example after a
        /// reinstall): show it as a key change and verify them again.
        key_changed: Vec<DeviceAddress>,
        /// Whether every sender key was rotated (every removal does it).
        rotated: bool,
        /// Sender keys that had arrived before the roster and are now
        /// installed.
        keys_applied: usize,
    },
    /// The coordinator removed this device from the group: its session and
    /// waiting keys are gone; messages received before stay in the vault.
    Removed {
        /// The group.
        group: GroupId,
        /// The coordinator's device.
        from: DeviceAddress,
    },
    /// A member's sender key was installed: its group messages can be read.
    KeyInstalled {
        /// The group.
        group: GroupId,
        /// The member's device.
        from: DeviceAddress,
    },
    /// A sender key arrived before its roster: it is kept (sealed in the
    /// store) and installed when the roster arrives.
    KeyPending {
        /// The group.
        group: GroupId,
        /// The member's device.
        from: DeviceAddress,
        /// A key dropped to make room ([`MAX_PENDING_GROUP_KEYS`] are
        /// kept): that member's messages will not be readable until it
        /// sends its key again.
        dropped: Option<DroppedGroupKey>,
    },
    /// A roster or sender key was refused (not from the coordinator, older
    /// than the one held, a duplicate, for a group this device is not in):
    /// nothing changed.
    Refused {
        /// The group it named.
        group: GroupId,
        /// The device it came from.
        from: DeviceAddress,
        /// Why.
        reason: Error,
    },
    /// A new group message, now in the vault: show it
    /// ([`Device::message`]).
    Message {
        /// The group.
        group: GroupId,
        /// The sending member's device.
        from: DeviceAddress,
        /// Its name in the vault.
        message: MessageRef,
        /// Its metadata.
        info: MessageInfo,
    },
    /// A group message arrived before its sender's key: it is kept
    /// (sealed in the store) and decrypted when the key arrives, in the
    /// receive that carries the key ([`Received::released`]). Show nothing
    /// yet.
    MessageWaiting {
        /// The group.
        group: GroupId,
        /// The device it came from.
        from: DeviceAddress,
        /// Waiting messages dropped to make room (the bounds are
        /// [`crate::limits::MAX_WAITING_GROUP_MESSAGES_PER_GROUP`] and
        /// [`crate::limits::MAX_WAITING_GROUP_MESSAGES`], and the matching
        /// byte bounds), oldest first: tell the clinician a group message
        /// from each could not be read.
        evicted: Vec<DroppedGroupMessage>,
    },
    /// A group message that was waiting for its sender's key was dropped
    /// without being shown: it failed to decrypt or to verify once the key
    /// arrived, its roster was replaced, or this device left the group.
    /// Tell the clinician a group message could not be read. Nothing else
    /// changed.
    WaitingDropped {
        /// Which message and why.
        dropped: DroppedGroupMessage,
    },
    /// A group message this device cannot read yet or any more: it names a
    /// roster version not applied yet ([`GroupError::FutureRoster`]) or
    /// replaced ([`GroupError::StaleRoster`]), or a group this device is
    /// not in ([`GroupError::WrongGroup`]). Nothing changed: keep it and
    /// hand it in again after the roster arrives, or tell the clinician a
    /// group message could not be read.
    Undecryptable {
        /// The group it named.
        group: GroupId,
        /// The device the transport says sent it.
        from: DeviceAddress,
        /// Why.
        reason: Error,
    },
}

/// A waiting sender key that was dropped to make room for a newer one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DroppedGroupKey {
    /// The group it was for.
    pub group: GroupId,
    /// The member device that sent it.
    pub from: DeviceAddress,
}

/// What [`Device::send_group`] did, already committed.
#[derive(Debug)]
#[non_exhaustive]
pub struct GroupSent {
    /// The id members see in [`MessageInfo::id`].
    pub id: MessageId,
    /// The group message: the same bytes go to every device in
    /// `deliver_to`, handed in there with [`Device::receive_group`].
    pub message: Vec<u8>,
    /// The member devices the trust policy accepts now.
    pub deliver_to: Vec<DeviceAddress>,
    /// Our sender key for members that were still owed it: deliver these
    /// (1:1 envelopes, to [`Device::receive`]) before `message`.
    pub distributions: Vec<OutgoingEnvelope>,
    /// Member devices the message must not be delivered to, and why (key
    /// changed, attestation revoked or expired, unverified). They still
    /// hold our sender key: to cut one off, remove it from the group
    /// ([`Device::update_group`]), which rotates every key.
    pub not_sent: Vec<(DeviceAddress, Error)>,
    /// Members whose device this device does not know (no bundle added).
    pub unknown_members: Vec<IdentityKey>,
}

/// One group as the device keeps it.
pub(crate) struct GroupRecord {
    pub(crate) session: GroupSession,
    /// Device addresses of members, by Ed25519 key.
    pub(crate) addresses: BTreeMap<[u8; 32], DeviceAddress>,
    /// Members our current sender key has not been sent to yet.
    pub(crate) owed: BTreeSet<[u8; 32]>,
}

impl GroupRecord {
    /// `0x01 || len (4) || group session (§9.7) || count (2) || [member
    /// Ed25519 key (32) || address]... || owed count (2) || [member
    /// Ed25519 key (32)]...`, keys ascending.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let session = self.session.encode();
        let addresses: usize = self
            .addresses
            .values()
            .map(|a| MEMBER_KEY_LEN + a.encoded_len())
            .sum();
        let mut out = Zeroizing::new(Vec::with_capacity(
            1 + 4 + session.len() + 2 + addresses + 2 + MEMBER_KEY_LEN * self.owed.len(),
        ));
        out.push(GROUP_RECORD_VERSION);
        put_bytes_u32(&mut out, &session);
        out.extend_from_slice(&len_u16(self.addresses.len()));
        for (k, a) in &self.addresses {
            out.extend_from_slice(k);
            a.write(&mut out);
        }
        out.extend_from_slice(&len_u16(self.owed.len()));
        for k in &self.owed {
            out.extend_from_slice(k);
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != GROUP_RECORD_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let session = GroupSession::decode(r.bytes_u32(usize::MAX)?)?;
        let is_member = |k: &[u8; 32]| session.roster().member(k).is_some();
        let n = r.count_u16(MAX_GROUP_MEMBERS, MEMBER_KEY_LEN + MIN_ADDRESS_LEN)?;
        let mut addresses = BTreeMap::new();
        let mut last: Option<[u8; 32]> = None;
        for _ in 0..n {
            let k: [u8; 32] = r.array()?;
            if last.is_some_and(|l| l >= k) || !is_member(&k) {
                return Err(DecodeError::NonCanonical.into());
            }
            last = Some(k);
            addresses.insert(k, DeviceAddress::read(&mut r)?);
        }
        let n = r.count_u16(MAX_GROUP_MEMBERS, MEMBER_KEY_LEN)?;
        let mut owed = BTreeSet::new();
        let mut last: Option<[u8; 32]> = None;
        for _ in 0..n {
            let k: [u8; 32] = r.array()?;
            if last.is_some_and(|l| l >= k) || !is_member(&k) {
                return Err(DecodeError::NonCanonical.into());
            }
            last = Some(k);
            owed.insert(k);
        }
        r.finish()?;
        Ok(GroupRecord {
            session,
            addresses,
            owed,
        })
    }
}

/// A sender key kept until its roster arrives.
pub(crate) struct PendingKey {
    /// Arrival order (the row's name is derived from it).
    pub(crate) seq: u64,
    /// The device it arrived from.
    pub(crate) from: DeviceAddress,
    /// That device's identity key (its 1:1 session's peer).
    pub(crate) sender: IdentityKey,
    pub(crate) group: GroupId,
    pub(crate) roster_version: u64,
    /// The distribution message (secret).
    pub(crate) bytes: Zeroizing<Vec<u8>>,
}

impl PendingKey {
    /// `0x01 || seq (8) || address || identity key (129) || len (4) ||
    /// distribution message (§9.4)`.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            1 + 8 + self.from.encoded_len() + crate::IDENTITY_KEY_LEN + 4 + self.bytes.len(),
        ));
        out.push(PENDING_KEY_VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        self.from.write(&mut out);
        out.extend_from_slice(&self.sender.to_bytes());
        put_bytes_u32(&mut out, &self.bytes);
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != PENDING_KEY_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let seq = r.u64()?;
        let from = DeviceAddress::read(&mut r)?;
        let sender = IdentityKey::read(&mut r)?;
        let dist = r.bytes_u32(DISTRIBUTION_MESSAGE_LEN)?;
        r.finish()?;
        let d = Distribution::parse(dist)?;
        Ok(PendingKey {
            seq,
            from,
            sender,
            group: d.group_id,
            roster_version: d.roster_version,
            bytes: Zeroizing::new(dist.to_vec()),
        })
    }
}

/// The device's groups, waiting sender keys and waiting group messages.
#[derive(Default)]
pub(crate) struct Groups {
    pub(crate) sessions: BTreeMap<GroupId, GroupRecord>,
    /// By arrival order, oldest first.
    pub(crate) pending: BTreeMap<u64, PendingKey>,
    /// Group messages waiting for their sender's key.
    pub(crate) waiting: Waiting,
}

/// Which group rows a call changed.
#[derive(Default)]
pub(crate) struct GroupsDirty {
    groups: BTreeSet<GroupId>,
    pending: BTreeSet<u64>,
    waiting: BTreeSet<u64>,
}

impl GroupsDirty {
    pub(crate) fn any(&self) -> bool {
        !self.groups.is_empty() || !self.pending.is_empty() || !self.waiting.is_empty()
    }
}

/// `prefix` and 32 hex digits of a keyed hash of `name`.
fn row_name(key: &StorageKey, prefix: &[u8], name: &[u8], label: &[u8]) -> Vec<u8> {
    let h = crate::primitives::hkdf32(key.expose(), name, label);
    let mut row = prefix.to_vec();
    for b in h.iter().take(16) {
        row.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    row
}

fn group_row(key: &StorageKey, group: &GroupId) -> Vec<u8> {
    row_name(key, GROUP_PREFIX, &group.0, LABEL_GROUP_ROW)
}

fn pending_row(key: &StorageKey, seq: u64) -> Vec<u8> {
    row_name(key, PENDING_PREFIX, &seq.to_be_bytes(), LABEL_PENDING_ROW)
}

fn waiting_row(key: &StorageKey, seq: u64) -> Vec<u8> {
    row_name(key, WAITING_PREFIX, &seq.to_be_bytes(), LABEL_WAITING_ROW)
}

impl Groups {
    /// Loads every group and waiting key; a record whose name does not
    /// match its row is refused.
    pub(crate) fn load(store: &impl Store, key: &StorageKey) -> Result<Self> {
        let mut sessions = BTreeMap::new();
        for (row, bytes) in store.scan(GROUP_PREFIX)? {
            let rec: GroupRecord = key.unseal_for(&row, &bytes)?;
            let id = rec.session.group_id();
            if group_row(key, &id) != row {
                return Err(StoreError::Corrupt.into());
            }
            sessions.insert(id, rec);
        }
        let mut pending = BTreeMap::new();
        for (row, bytes) in store.scan(PENDING_PREFIX)? {
            let p: PendingKey = key.unseal_for(&row, &bytes)?;
            if pending_row(key, p.seq) != row {
                return Err(StoreError::Corrupt.into());
            }
            pending.insert(p.seq, p);
        }
        let mut waiting = Waiting::default();
        for (row, bytes) in store.scan(WAITING_PREFIX)? {
            let m: WaitingMessage = key.unseal_for(&row, &bytes)?;
            if waiting_row(key, m.seq) != row {
                return Err(StoreError::Corrupt.into());
            }
            waiting.put_back(m);
        }
        Ok(Groups {
            sessions,
            pending,
            waiting,
        })
    }

    /// Seals every changed row into `cs` (or deletes it if gone).
    pub(crate) fn write(
        &self,
        key: &StorageKey,
        rng: &mut (impl CryptoRng + ?Sized),
        cs: &mut ChangeSet,
        dirty: &GroupsDirty,
    ) {
        for id in &dirty.groups {
            let row = group_row(key, id);
            match self.sessions.get(id) {
                Some(rec) => seal(key, rng, cs, &row, rec),
                None => cs.delete(row),
            }
        }
        for seq in &dirty.pending {
            let row = pending_row(key, *seq);
            match self.pending.get(seq) {
                Some(p) => seal(key, rng, cs, &row, p),
                None => cs.delete(row),
            }
        }
        for seq in &dirty.waiting {
            let row = waiting_row(key, *seq);
            match self.waiting.messages.get(seq) {
                Some(m) => seal(key, rng, cs, &row, m),
                None => cs.delete(row),
            }
        }
    }
}

/// The 1:1 record a receive holds outside the peer map, if any.
type Held<'a> = Option<&'a mut PeerRecord>;

/// The identity key of a peer record's session, or else of its bundle.
fn record_identity(rec: &PeerRecord) -> Option<IdentityKey> {
    match &rec.current {
        Some(s) => Some(s.peer_identity().clone()),
        None => super::handshake::bundle_identity(rec.bundle.as_deref()?).ok(),
    }
}

impl<S: Store> Device<S> {
    // ---- reading ----

    /// The groups this device is a member of.
    pub fn groups(&self) -> Vec<GroupId> {
        self.state.groups.sessions.keys().copied().collect()
    }

    /// A group's current roster.
    pub fn group_roster(&self, group: &GroupId) -> Option<&Roster> {
        self.state
            .groups
            .sessions
            .get(group)
            .map(|g| g.session.roster())
    }

    /// A group's safety number, for members to compare.
    pub fn group_safety_number(&self, group: &GroupId) -> Option<GroupSafetyNumber> {
        self.state
            .groups
            .sessions
            .get(group)
            .map(|g| g.session.safety_number())
    }

    /// The member devices of a group this device knows (this device not
    /// included).
    pub fn group_devices(&self, group: &GroupId) -> Vec<DeviceAddress> {
        self.state
            .groups
            .sessions
            .get(group)
            .map(|g| g.addresses.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Members of a group whose sender key this device does not hold yet
    /// (their messages wait until it arrives: [`GroupEvent::MessageWaiting`]).
    pub fn group_missing_keys(&self, group: &GroupId) -> Vec<IdentityKey> {
        self.state
            .groups
            .sessions
            .get(group)
            .map(|g| g.session.missing_sender_keys())
            .unwrap_or_default()
    }

    /// How many sender keys are waiting for their roster.
    pub fn pending_group_keys(&self) -> usize {
        self.state.groups.pending.len()
    }

    /// How many group messages are waiting for their sender's key
    /// ([`GroupEvent::MessageWaiting`]).
    pub fn waiting_group_messages(&self) -> usize {
        self.state.groups.waiting.len()
    }

    // ---- the coordinator ----

    /// Creates a group with this device as coordinator and `members` (each
    /// a peer device whose key the trust policy accepts now). The roster
    /// and our sender key go to every member over its 1:1 session; the
    /// group and the advanced sessions are committed before the envelopes
    /// are returned (deliver each member's roster before its key; a key
    /// that overtakes its roster waits for it).
    ///
    /// Errors (nothing changes): [`DeviceError::OwnAddress`],
    /// [`DeviceError::NoSession`] (no key known for a member), the trust
    /// error of the first member not accepted now,
    /// [`GroupError::DuplicateMember`], [`GroupError::GroupFull`],
    /// [`LimitError::TooManyEntries`] (more than [`MAX_DEVICE_GROUPS`]),
    /// [`crate::Error::Store`].
    pub fn create_group(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        members: &[DeviceAddress],
        now: u64,
    ) -> Result<(GroupId, Sent)> {
        self.ready()?;
        if self.state.groups.sessions.len() >= MAX_DEVICE_GROUPS {
            return Err(LimitError::TooManyEntries.into());
        }
        let mut dirty = Dirty::default();
        let out = self.create_group_with(rng, members, now, &mut dirty);
        self.finish(rng, &dirty, out)
    }

    fn create_group_with(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        members: &[DeviceAddress],
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<(GroupId, Sent)> {
        let mut keys = Vec::with_capacity(members.len());
        let mut addresses = BTreeMap::new();
        for addr in members {
            let key = self.member_key(addr)?;
            self.member_check(None, addr, &key, now, dirty)?;
            if addresses
                .insert(*key.ed25519_bytes(), addr.clone())
                .is_some()
            {
                return Err(GroupError::DuplicateMember.into());
            }
            keys.push(key);
        }
        let roster = Roster::create(&self.state.identity, GroupId::random(rng), &keys)?;
        let (session, plan) = GroupSession::join_as_coordinator(rng, &self.state.identity, roster)?;
        let id = session.group_id();
        let mut g = GroupRecord {
            session,
            addresses,
            owed: BTreeSet::new(),
        };
        let mut sent = Sent::default();
        let roster = g.session.roster().to_bytes();
        for addr in members {
            match self.send_content(
                rng,
                &mut None,
                addr,
                Content::GroupRoster(&roster),
                now,
                dirty,
            ) {
                Ok(env) => sent.envelopes.push(env),
                Err(e) => sent.not_sent.push((addr.clone(), e)),
            }
        }
        self.distribute(
            rng,
            &mut None,
            &mut g,
            &plan.message,
            &plan.recipients,
            now,
            dirty,
            &mut sent,
        );
        dirty.groups.groups.insert(id);
        self.state.groups.sessions.insert(id, g);
        Ok((id, sent))
    }

    /// Changes a group this device coordinates: adds `add` (peer devices
    /// the trust policy accepts now) and removes `remove`. The new roster
    /// goes to every member, old and new (a removed device learns it was
    /// removed); after a removal our sender key is rotated and the new one
    /// goes to every remaining member (each of them rotates too), after an
    /// addition our current key goes to the new members. Committed before
    /// the envelopes are returned.
    ///
    /// Errors (nothing changes): [`GroupError::WrongGroup`] (not a group of
    /// this device), [`GroupError::NotCoordinator`], [`GroupError::UnknownMember`]
    /// (removing a device that is not a member), errors as
    /// [`Device::create_group`] for the added devices.
    pub fn update_group(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        group: &GroupId,
        add: &[DeviceAddress],
        remove: &[DeviceAddress],
        now: u64,
    ) -> Result<Sent> {
        self.ready()?;
        let mut g = self
            .state
            .groups
            .sessions
            .remove(group)
            .ok_or(GroupError::WrongGroup)?;
        let mut dirty = Dirty::default();
        let out = self.update_group_with(rng, &mut g, add, remove, now, &mut dirty);
        self.state.groups.sessions.insert(*group, g);
        self.finish(rng, &dirty, out)
    }

    fn update_group_with(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        g: &mut GroupRecord,
        add: &[DeviceAddress],
        remove: &[DeviceAddress],
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Sent> {
        if g.session.roster().coordinator() != self.state.identity.public() {
            return Err(GroupError::NotCoordinator.into());
        }
        let mut add_keys = Vec::with_capacity(add.len());
        for addr in add {
            let key = self.member_key(addr)?;
            self.member_check(None, addr, &key, now, dirty)?;
            add_keys.push((key, addr.clone()));
        }
        let mut remove_keys = Vec::with_capacity(remove.len());
        let mut removed_addrs = Vec::with_capacity(remove.len());
        for addr in remove {
            let (k, _) = g
                .addresses
                .iter()
                .find(|(_, a)| *a == addr)
                .ok_or(GroupError::UnknownMember)?;
            let key = g
                .session
                .roster()
                .member(k)
                .ok_or(GroupError::UnknownMember)?
                .identity()
                .clone();
            remove_keys.push(key);
            removed_addrs.push(addr.clone());
        }
        let keys: Vec<IdentityKey> = add_keys.iter().map(|(k, _)| k.clone()).collect();
        let next = g
            .session
            .roster()
            .next(&self.state.identity, &keys, &remove_keys)?;
        let update = g.session.apply_roster(rng, next)?;
        for k in &remove_keys {
            g.addresses.remove(k.ed25519_bytes());
        }
        for (k, a) in add_keys {
            g.addresses.insert(*k.ed25519_bytes(), a);
        }
        if update.rotated {
            g.owed.clear();
        }
        dirty.groups.groups.insert(g.session.group_id());
        let roster = g.session.roster().to_bytes();
        let mut sent = Sent::default();
        // A device replaced under a new key is both removed and added:
        // one roster each.
        let to: BTreeSet<DeviceAddress> =
            g.addresses.values().cloned().chain(removed_addrs).collect();
        for addr in &to {
            match self.send_content(
                rng,
                &mut None,
                addr,
                Content::GroupRoster(&roster),
                now,
                dirty,
            ) {
                Ok(env) => sent.envelopes.push(env),
                Err(e) => sent.not_sent.push((addr.clone(), e)),
            }
        }
        if let Some(plan) = update.distribution {
            self.distribute(
                rng,
                &mut None,
                g,
                &plan.message,
                &plan.recipients,
                now,
                dirty,
                &mut sent,
            );
        }
        Ok(sent)
    }

    // ---- group messages ----

    /// Encrypts a text for the whole group once. The trust policy is asked
    /// about every member now: the message is for the devices in
    /// [`GroupSent::deliver_to`] only, and [`GroupSent::not_sent`] says who
    /// was left out and why. Our sender key goes first to members still
    /// owed it. The advanced group session is committed before the message
    /// is returned.
    ///
    /// Only [`Outgoing::text`] content can be sent to a group (with its
    /// expiry and patient-data flag).
    ///
    /// Errors (nothing changes except trust records):
    /// [`GroupError::WrongGroup`] (not a group of this device),
    /// [`DecodeError::UnknownKind`] (not a text),
    /// [`DeviceError::NoVerifiedDevice`] (no other member is accepted now),
    /// [`LimitError::MessageTooLarge`], [`crate::Error::Store`].
    pub fn send_group(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        group: &GroupId,
        message: Outgoing<'_>,
        now: u64,
    ) -> Result<GroupSent> {
        self.ready()?;
        let Content::Text(body) = message.content else {
            return Err(DecodeError::UnknownKind.into());
        };
        let mut out = OutgoingMessage::new(body, now).contains_patient_data(message.patient_data);
        if let Some(at) = message.expires_at {
            out = out.expires_at(at);
        }
        out.check()?;
        let mut g = self
            .state
            .groups
            .sessions
            .remove(group)
            .ok_or(GroupError::WrongGroup)?;
        let mut dirty = Dirty::default();
        let r = self.send_group_with(rng, &mut g, out, now, &mut dirty);
        self.state.groups.sessions.insert(*group, g);
        if matches!(r, Err(Error::Device(DeviceError::NoVerifiedDevice))) {
            // Keep what the trust store learnt.
            self.commit(rng, &dirty)?;
            return r;
        }
        self.finish(rng, &dirty, r)
    }

    fn send_group_with(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        g: &mut GroupRecord,
        message: OutgoingMessage<'_>,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<GroupSent> {
        let id = g.session.group_id();
        if self.resolve_addresses(g) {
            dirty.groups.groups.insert(id);
        }
        let me = *self.state.identity.public().ed25519_bytes();
        let members: Vec<IdentityKey> = g
            .session
            .roster()
            .members()
            .iter()
            .map(|m| m.identity().clone())
            .filter(|k| *k.ed25519_bytes() != me)
            .collect();
        let mut deliver_to = Vec::new();
        let mut trusted = Vec::new();
        let mut not_sent = Vec::new();
        let mut unknown_members = Vec::new();
        for key in members {
            let Some(addr) = g.addresses.get(key.ed25519_bytes()).cloned() else {
                unknown_members.push(key);
                continue;
            };
            match self.member_check(None, &addr, &key, now, dirty) {
                Ok(_) => {
                    deliver_to.push(addr);
                    trusted.push(key);
                }
                Err(e) => not_sent.push((addr, e)),
            }
        }
        if deliver_to.is_empty() && g.session.roster().len() > 1 {
            return Err(DeviceError::NoVerifiedDevice.into());
        }
        let owed: Vec<IdentityKey> = trusted
            .into_iter()
            .filter(|k| g.owed.contains(k.ed25519_bytes()))
            .collect();
        let mut sent = Sent::default();
        if !owed.is_empty() {
            let dist = g.session.distribution();
            self.distribute(rng, &mut None, g, &dist, &owed, now, dirty, &mut sent);
        }
        not_sent.extend(sent.not_sent);
        let enc = g.session.encrypt(rng, message)?;
        dirty.groups.groups.insert(id);
        Ok(GroupSent {
            id: enc.id,
            message: enc.bytes,
            deliver_to,
            distributions: sent.envelopes,
            not_sent,
            unknown_members,
        })
    }

    /// Handles one group message that arrived from `from` (the transport's
    /// claim; the signature names the sender). The sender's key must be
    /// accepted by the trust policy now; the message is decrypted, stored
    /// in the vault, and group session and vault are committed together.
    ///
    /// Events: [`GroupEvent::Message`]; [`GroupEvent::MessageWaiting`]
    /// (the sender's key has not arrived: the message is kept, sealed, and
    /// decrypted when the key arrives); [`Event::Duplicate`] (replayed,
    /// delivered before, or waiting already); [`Event::Expired`];
    /// [`Event::KeyChanged`] or [`Event::Untrusted`] (the sender is not
    /// accepted now: nothing was decrypted or kept);
    /// [`GroupEvent::Undecryptable`] (nothing changed).
    ///
    /// Errors leave the device unchanged: [`crate::Error::Decode`],
    /// [`crate::CryptoError::BadSignature`] and
    /// [`crate::CryptoError::DecryptFailed`] (forged or tampered),
    /// [`GroupError::UnknownMember`], [`GroupError::OwnMessage`],
    /// [`TrustError::IdentityMismatch`] (the sender is a member on another
    /// device than `from`), [`LimitError::TooManySkipped`], a full vault,
    /// [`crate::Error::Store`].
    pub fn receive_group(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        from: &DeviceAddress,
        bytes: &[u8],
        now: u64,
    ) -> Result<Received> {
        self.ready()?;
        self.receive_group_checked(rng, from, bytes, now, None)
    }

    /// Handles group messages queued while the device was offline (a
    /// catch-up), in order: the result at each index is what
    /// [`Device::receive_group`] would return for that message at that
    /// point of the sequence, and each message is committed on its own,
    /// as there. The difference is speed: the signatures of each group's
    /// messages are first checked together in one batch
    /// ([`crate::GroupSession::decrypt_batch`], `docs/PROTOCOL.md` §9.5).
    ///
    /// The outer error is only [`crate::DeviceError`]'s for a device
    /// that cannot receive; per-message errors are those of
    /// [`Device::receive_group`].
    pub fn receive_group_batch<M: AsRef<[u8]>>(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        messages: &[(DeviceAddress, M)],
        now: u64,
    ) -> Result<Vec<Result<Received>>> {
        self.ready()?;
        // Each group's signatures in one batch, against the chains held
        // now; a message whose chain differs when it is reached is
        // checked alone.
        let mut checked: Vec<Option<Checked>> = vec![None; messages.len()];
        let mut by_group: BTreeMap<GroupId, Vec<usize>> = BTreeMap::new();
        for (i, (_, bytes)) in messages.iter().enumerate() {
            if let Ok(m) = GroupMessage::parse(bytes.as_ref()) {
                by_group.entry(m.group_id).or_default().push(i);
            }
        }
        for (group, indices) in &by_group {
            let Some(g) = self.state.groups.sessions.get(group) else {
                continue;
            };
            let batch: Vec<&[u8]> = indices
                .iter()
                .filter_map(|&i| messages.get(i).map(|(_, b)| b.as_ref()))
                .collect();
            for (&i, c) in indices.iter().zip(g.session.check_signatures(&batch)) {
                if let Some(slot) = checked.get_mut(i) {
                    *slot = c;
                }
            }
        }
        Ok(messages
            .iter()
            .zip(checked)
            .map(|((from, bytes), c)| self.receive_group_checked(rng, from, bytes.as_ref(), now, c))
            .collect())
    }

    /// [`Device::receive_group`] after `ready`, with the signature
    /// possibly checked already.
    fn receive_group_checked(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        from: &DeviceAddress,
        bytes: &[u8],
        now: u64,
        checked: Option<Checked>,
    ) -> Result<Received> {
        let (group, version, sender) = {
            let m = GroupMessage::parse(bytes)?;
            (m.group_id, m.roster_version, m.sender)
        };
        let undecryptable = |reason: GroupError| {
            Ok(Received::event(Event::Group(GroupEvent::Undecryptable {
                group,
                from: from.clone(),
                reason: reason.into(),
            })))
        };
        let Some(g) = self.state.groups.sessions.get(&group) else {
            return undecryptable(GroupError::WrongGroup);
        };
        match version.cmp(&g.session.roster().version()) {
            core::cmp::Ordering::Less => return undecryptable(GroupError::StaleRoster),
            core::cmp::Ordering::Greater => return undecryptable(GroupError::FutureRoster),
            core::cmp::Ordering::Equal => {}
        }
        if sender == *self.state.identity.public().ed25519_bytes() {
            return Err(GroupError::OwnMessage.into());
        }
        let key = g
            .session
            .roster()
            .member(&sender)
            .ok_or(GroupError::UnknownMember)?
            .identity()
            .clone();
        let known = g.addresses.get(&sender).cloned();
        match &known {
            Some(a) if a != from => return Err(TrustError::IdentityMismatch.into()),
            Some(_) => {}
            None if self.peer_identity(from).as_ref() == Some(&key) => {}
            None => return Err(TrustError::IdentityMismatch.into()),
        }
        let mut dirty = Dirty::default();
        match self.member_check(None, from, &key, now, &mut dirty) {
            Ok(_) => {}
            Err(e) => {
                let event = match e {
                    Error::Trust(TrustError::KeyChanged) => {
                        Event::KeyChanged { from: from.clone() }
                    }
                    Error::Trust(reason) => Event::Untrusted {
                        from: from.clone(),
                        reason,
                    },
                    e => return self.finish(rng, &dirty, Err(e)),
                };
                return self.finish(rng, &dirty, Ok(Received::event(event)));
            }
        }
        let out = self.receive_group_with(
            from,
            &group,
            sender,
            (bytes, checked),
            known.is_none(),
            now,
            &mut dirty,
        );
        self.finish(rng, &dirty, out)
    }

    /// Decrypts and stores one group message; `bytes` comes with its
    /// signature's result if [`GroupSession::check_signatures`] made one.
    /// A message whose sender key has not arrived waits (`waiting`).
    #[allow(clippy::too_many_arguments)]
    fn receive_group_with(
        &mut self,
        from: &DeviceAddress,
        group: &GroupId,
        sender: [u8; 32],
        (bytes, checked): (&[u8], Option<Checked>),
        learn_address: bool,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Received> {
        let from = from.clone();
        let g = self
            .state
            .groups
            .sessions
            .get_mut(group)
            .ok_or(GroupError::WrongGroup)?;
        let got = match g.session.decrypt_checked(bytes, now, checked) {
            Ok(m) => m,
            Err(Error::Protocol(ProtocolError::DuplicateMessage)) => {
                return Ok(Received::event(Event::Duplicate { from }));
            }
            Err(Error::Protocol(ProtocolError::Expired)) => {
                return Ok(Received::event(Event::Expired { from }));
            }
            Err(Error::Group(GroupError::MissingSenderKey)) => {
                let waiting = &mut self.state.groups.waiting;
                if waiting.contains(bytes) {
                    return Ok(Received::event(Event::Duplicate { from }));
                }
                let evicted = waiting.park(
                    *group,
                    sender,
                    from.clone(),
                    bytes,
                    now,
                    &mut dirty.groups.waiting,
                );
                return Ok(Received::event(Event::Group(GroupEvent::MessageWaiting {
                    group: *group,
                    from,
                    evicted,
                })));
            }
            Err(e) => return Err(e),
        };
        if learn_address {
            g.addresses
                .insert(*got.sender.ed25519_bytes(), from.clone());
        }
        let event = self.store_group_message(*group, from, got, now, dirty)?;
        Ok(Received::event(event))
    }

    /// Stores a decrypted group message in the vault: the event that
    /// shows it, or [`Event::Duplicate`] if the vault holds it already.
    fn store_group_message(
        &mut self,
        group: GroupId,
        from: DeviceAddress,
        got: ReceivedGroupMessage,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Event> {
        dirty.groups.groups.insert(group);
        let message = got.message.message_ref();
        let info = got.message.info;
        Ok(match self.state.vault.insert(got.message, now)? {
            Stored::New => {
                dirty.vault = true;
                dirty.stored.push(message);
                Event::Group(GroupEvent::Message {
                    group,
                    from,
                    message,
                    info,
                })
            }
            Stored::Duplicate => Event::Duplicate { from },
        })
    }

    // ---- rosters and keys arriving over 1:1 sessions ----

    /// A roster arrived from `rec` (whose session's peer is `sender`, just
    /// accepted by the trust policy): join the group or apply the change,
    /// send our key where the roster needs it, install waiting keys.
    pub(super) fn receive_roster(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        sender: &IdentityKey,
        bytes: &[u8],
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Received> {
        let from = rec.address.clone();
        let roster = Roster::from_bytes(bytes)?;
        let group = roster.group_id();
        let refused = |reason: GroupError| {
            Ok(Received::event(Event::Group(GroupEvent::Refused {
                group,
                from: from.clone(),
                reason: reason.into(),
            })))
        };
        if roster.coordinator() != sender {
            return refused(GroupError::NotCoordinator);
        }
        let proof = Self::check(&mut self.state.trust, &from, sender, now, dirty)?;
        let mut held = Some(rec);
        let Some(mut g) = self.state.groups.sessions.remove(&group) else {
            if !roster.contains(self.state.identity.public()) {
                return refused(GroupError::NotAMember);
            }
            if self.state.groups.sessions.len() >= MAX_DEVICE_GROUPS {
                return Err(LimitError::TooManyEntries.into());
            }
            let (session, plan) = GroupSession::join(rng, &self.state.identity, roster, &proof)?;
            let mut g = GroupRecord {
                session,
                addresses: BTreeMap::from([(*sender.ed25519_bytes(), from.clone())]),
                owed: BTreeSet::new(),
            };
            self.resolve_addresses(&mut g);
            let mut sent = Sent::default();
            self.distribute(
                rng,
                &mut held,
                &mut g,
                &plan.message,
                &plan.recipients,
                now,
                dirty,
                &mut sent,
            );
            let applied = self.apply_pending(held.as_deref(), &mut g, now, dirty);
            let event = GroupEvent::Joined {
                group,
                from,
                version: g.session.roster().version(),
                members: g.session.roster().len(),
                keys_applied: applied.len(),
            };
            let released = self.release(&mut g, &applied, now, dirty);
            dirty.groups.groups.insert(group);
            self.state.groups.sessions.insert(group, g);
            return Ok(Received {
                event: Event::Group(event),
                replies: sent.envelopes,
                released: released?,
            });
        };
        let update = match g.session.apply_roster(rng, roster) {
            Ok(u) => u,
            Err(Error::Group(GroupError::NotAMember)) => {
                dirty.groups.groups.insert(group);
                self.drop_pending(&group, dirty);
                let released =
                    self.drop_waiting(&group, |_| true, GroupError::NotAMember.into(), dirty);
                return Ok(Received {
                    event: Event::Group(GroupEvent::Removed { group, from }),
                    replies: Vec::new(),
                    released,
                });
            }
            Err(e) => {
                self.state.groups.sessions.insert(group, g);
                return match e {
                    Error::Group(reason) => refused(reason),
                    e => Err(e),
                };
            }
        };
        let removed: Vec<DeviceAddress> = update
            .removed
            .iter()
            .filter_map(|k| g.addresses.remove(k.ed25519_bytes()))
            .collect();
        self.resolve_addresses(&mut g);
        let added: Vec<DeviceAddress> = update
            .added
            .iter()
            .filter_map(|k| g.addresses.get(k.ed25519_bytes()).cloned())
            .collect();
        let key_changed = added
            .iter()
            .filter(|a| removed.contains(a))
            .cloned()
            .collect();
        if update.rotated {
            g.owed.clear();
        }
        let mut sent = Sent::default();
        if let Some(plan) = &update.distribution {
            self.distribute(
                rng,
                &mut held,
                &mut g,
                &plan.message,
                &plan.recipients,
                now,
                dirty,
                &mut sent,
            );
        }
        let applied = self.apply_pending(held.as_deref(), &mut g, now, dirty);
        let keys_applied = applied.len();
        let version = g.session.roster().version();
        let mut released = self.drop_waiting(
            &group,
            |m| GroupMessage::parse(&m.bytes).map_or(true, |p| p.roster_version < version),
            GroupError::StaleRoster.into(),
            dirty,
        );
        let out = self.release(&mut g, &applied, now, dirty);
        dirty.groups.groups.insert(group);
        self.state.groups.sessions.insert(group, g);
        released.extend(out?);
        Ok(Received {
            event: Event::Group(GroupEvent::Changed {
                group,
                from,
                previous_version: update.previous_version,
                version: update.version,
                added_unknown: update.added.len() - added.len(),
                added,
                removed,
                key_changed,
                rotated: update.rotated,
                keys_applied,
            }),
            replies: sent.envelopes,
            released,
        })
    }

    /// A sender key arrived from `rec` (whose session's peer is `sender`):
    /// install it, keep it until its roster arrives, or refuse it.
    pub(super) fn receive_distribution(
        &mut self,
        rec: &mut PeerRecord,
        sender: &IdentityKey,
        bytes: &[u8],
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Received> {
        let from = rec.address.clone();
        let (group, roster_version) = {
            let d = Distribution::parse(bytes)?;
            (d.group_id, d.roster_version)
        };
        let proof = Self::check(&mut self.state.trust, &from, sender, now, dirty)?;
        let event = match self.state.groups.sessions.get_mut(&group) {
            Some(g) if roster_version <= g.session.roster().version() => {
                match g.session.process_distribution(&proof, bytes) {
                    Ok(()) => {
                        let member = *sender.ed25519_bytes();
                        g.addresses.insert(member, from.clone());
                        dirty.groups.groups.insert(group);
                        let mut released = Ok(Vec::new());
                        if let Some(mut g) = self.state.groups.sessions.remove(&group) {
                            released = self.release(&mut g, &BTreeSet::from([member]), now, dirty);
                            self.state.groups.sessions.insert(group, g);
                        }
                        return Ok(Received {
                            event: Event::Group(GroupEvent::KeyInstalled { group, from }),
                            replies: Vec::new(),
                            released: released?,
                        });
                    }
                    Err(
                        reason @ (Error::Group(_)
                        | Error::Trust(_)
                        | Error::Protocol(ProtocolError::DuplicateMessage)),
                    ) => GroupEvent::Refused {
                        group,
                        from,
                        reason,
                    },
                    Err(e) => return Err(e),
                }
            }
            _ => {
                if self
                    .state
                    .groups
                    .pending
                    .values()
                    .any(|p| p.bytes.as_slice() == bytes)
                {
                    return Ok(Received::event(Event::Duplicate { from }));
                }
                let seq = self
                    .state
                    .groups
                    .pending
                    .last_key_value()
                    .map_or(0, |(s, _)| s.saturating_add(1));
                let mut dropped = None;
                while self.state.groups.pending.len() >= MAX_PENDING_GROUP_KEYS {
                    if let Some((old, p)) = self.state.groups.pending.pop_first() {
                        dirty.groups.pending.insert(old);
                        dropped = Some(DroppedGroupKey {
                            group: p.group,
                            from: p.from,
                        });
                    }
                }
                self.state.groups.pending.insert(
                    seq,
                    PendingKey {
                        seq,
                        from: from.clone(),
                        sender: sender.clone(),
                        group,
                        roster_version,
                        bytes: Zeroizing::new(bytes.to_vec()),
                    },
                );
                dirty.groups.pending.insert(seq);
                GroupEvent::KeyPending {
                    group,
                    from,
                    dropped,
                }
            }
        };
        Ok(Received::event(Event::Group(event)))
    }

    // ---- helpers ----

    /// The identity key held for a would-be member device.
    fn member_key(&self, addr: &DeviceAddress) -> Result<IdentityKey> {
        if *addr == self.state.settings.address {
            return Err(DeviceError::OwnAddress.into());
        }
        self.peer_identity(addr)
            .ok_or_else(|| DeviceError::NoSession.into())
    }

    /// Whether the trust policy accepts `addr` as the member `key` now.
    /// A device whose trust record or current session holds another key is
    /// refused as [`TrustError::KeyChanged`] without recording anything (the
    /// roster's key is the old one; the 1:1 path records the change).
    fn member_check(
        &mut self,
        held: Option<&PeerRecord>,
        addr: &DeviceAddress,
        key: &IdentityKey,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<VerifiedIdentity> {
        let current = match held {
            Some(rec) if rec.address == *addr => record_identity(rec),
            _ => self.peer_identity(addr),
        };
        if current.as_ref() != Some(key) {
            return Err(TrustError::KeyChanged.into());
        }
        match self.state.trust.identity(addr.trust_name()) {
            Some(k) if k == key => {}
            Some(_) => return Err(TrustError::KeyChanged.into()),
            None => return Err(TrustError::Unverified.into()),
        }
        Self::check(&mut self.state.trust, addr, key, now, dirty)
    }

    /// Finds the device of every roster member not mapped yet among the
    /// known peers, and forgets devices no longer in the roster; returns
    /// whether anything changed.
    fn resolve_addresses(&self, g: &mut GroupRecord) -> bool {
        let roster = g.session.roster();
        let before = (g.addresses.len(), g.owed.len());
        g.addresses.retain(|k, _| roster.member(k).is_some());
        g.owed.retain(|k| roster.member(k).is_some());
        let me = self.state.identity.public().ed25519_bytes();
        let missing: BTreeSet<[u8; 32]> = roster
            .members()
            .iter()
            .map(|m| *m.identity().ed25519_bytes())
            .filter(|k| k != me && !g.addresses.contains_key(k))
            .collect();
        let mut found = false;
        if !missing.is_empty() {
            for addr in self.state.peers.keys() {
                let Some(id) = self.peer_identity(addr) else {
                    continue;
                };
                let k = id.ed25519_bytes();
                if missing.contains(k) && roster.contains(&id) && !g.addresses.contains_key(k) {
                    g.addresses.insert(*k, addr.clone());
                    found = true;
                }
            }
        }
        found || before != (g.addresses.len(), g.owed.len())
    }

    /// Sends our sender key to each of `recipients` whose device is known
    /// and accepted now; the others stay owed it.
    #[allow(clippy::too_many_arguments)]
    fn distribute(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        held: &mut Held<'_>,
        g: &mut GroupRecord,
        message: &DistributionMessage,
        recipients: &[IdentityKey],
        now: u64,
        dirty: &mut Dirty,
        sent: &mut Sent,
    ) {
        dirty.groups.groups.insert(g.session.group_id());
        for key in recipients {
            let k = *key.ed25519_bytes();
            let Some(addr) = g.addresses.get(&k).cloned() else {
                g.owed.insert(k);
                continue;
            };
            let content = Content::SenderKeyDistribution(message.as_bytes());
            let out = self
                .member_check(held.as_deref(), &addr, key, now, dirty)
                .and_then(|_| self.send_content(rng, held, &addr, content, now, dirty));
            match out {
                Ok(env) => {
                    g.owed.remove(&k);
                    sent.envelopes.push(env);
                }
                Err(e) => {
                    g.owed.insert(k);
                    sent.not_sent.push((addr, e));
                }
            }
        }
    }

    /// Encrypts `content` to one device on its 1:1 session (`held` if it is
    /// the record a receive holds).
    fn send_content(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        held: &mut Held<'_>,
        to: &DeviceAddress,
        content: Content<'_>,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<OutgoingEnvelope> {
        if let Some(rec) = held.as_deref_mut()
            && rec.address == *to
        {
            return self.reply(rng, rec, content, now, dirty);
        }
        let mut rec = self.state.peers.remove(to).ok_or(DeviceError::NoSession)?;
        let out = self.reply(rng, &mut rec, content, now, dirty);
        self.state.peers.insert(to.clone(), rec);
        out
    }

    /// Installs the waiting keys for `g` that its roster now covers;
    /// returns the members whose key was installed. Keys for a later
    /// roster wait on; the others are dropped.
    fn apply_pending(
        &mut self,
        held: Option<&PeerRecord>,
        g: &mut GroupRecord,
        now: u64,
        dirty: &mut Dirty,
    ) -> BTreeSet<[u8; 32]> {
        let id = g.session.group_id();
        let version = g.session.roster().version();
        let ready: Vec<u64> = self
            .state
            .groups
            .pending
            .values()
            .filter(|p| p.group == id && p.roster_version <= version)
            .map(|p| p.seq)
            .collect();
        let mut applied = BTreeSet::new();
        for seq in ready {
            let Some(p) = self.state.groups.pending.remove(&seq) else {
                continue;
            };
            dirty.groups.pending.insert(seq);
            let Ok(proof) = self.member_check(held, &p.from, &p.sender, now, dirty) else {
                continue;
            };
            if g.session.process_distribution(&proof, &p.bytes).is_ok() {
                g.addresses
                    .insert(*p.sender.ed25519_bytes(), p.from.clone());
                applied.insert(*p.sender.ed25519_bytes());
            }
        }
        applied
    }

    /// Decrypts the messages of `g` that were waiting for the key of one
    /// of `senders` (just installed, its sender accepted now), oldest
    /// first: each is shown ([`GroupEvent::Message`], stored in the vault),
    /// a duplicate, expired, or dropped ([`GroupEvent::WaitingDropped`]);
    /// one still without its key (another chain of the sender) waits on.
    /// Errors (a full vault) fail the whole call.
    fn release(
        &mut self,
        g: &mut GroupRecord,
        senders: &BTreeSet<[u8; 32]>,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Vec<Event>> {
        let group = g.session.group_id();
        let taken = self.state.groups.waiting.take(
            &group,
            |m| senders.contains(&m.sender),
            &mut dirty.groups.waiting,
        );
        let mut out = Vec::with_capacity(taken.len());
        for m in taken {
            let dropped = |reason: Error| {
                Event::Group(GroupEvent::WaitingDropped {
                    dropped: m.dropped(reason),
                })
            };
            if g.addresses.get(&m.sender) != Some(&m.from) {
                out.push(dropped(TrustError::IdentityMismatch.into()));
                continue;
            }
            let got = match g.session.decrypt(&m.bytes, now) {
                Ok(got) => got,
                Err(Error::Protocol(ProtocolError::DuplicateMessage)) => {
                    out.push(Event::Duplicate { from: m.from });
                    continue;
                }
                Err(Error::Protocol(ProtocolError::Expired)) => {
                    out.push(Event::Expired { from: m.from });
                    continue;
                }
                Err(Error::Group(GroupError::MissingSenderKey)) => {
                    self.state.groups.waiting.put_back(m);
                    continue;
                }
                Err(e) => {
                    out.push(dropped(e));
                    continue;
                }
            };
            out.push(self.store_group_message(group, m.from, got, now, dirty)?);
        }
        Ok(out)
    }

    /// Drops the waiting messages of `group` that `pick` selects, as
    /// [`GroupEvent::WaitingDropped`] with `reason`.
    fn drop_waiting(
        &mut self,
        group: &GroupId,
        pick: impl FnMut(&WaitingMessage) -> bool,
        reason: Error,
        dirty: &mut Dirty,
    ) -> Vec<Event> {
        self.state
            .groups
            .waiting
            .take(group, pick, &mut dirty.groups.waiting)
            .iter()
            .map(|m| {
                Event::Group(GroupEvent::WaitingDropped {
                    dropped: m.dropped(reason),
                })
            })
            .collect()
    }

    /// The peer device lost our 1:1 session (it sent a session reset): the
    /// sender keys we sent it may be lost too, so it is owed our key in
    /// every group it is in; the next [`Device::send_group`] sends it.
    pub(super) fn owe_group_keys(&mut self, addr: &DeviceAddress, dirty: &mut Dirty) {
        for (id, g) in &mut self.state.groups.sessions {
            let member = g
                .addresses
                .iter()
                .find(|(_, a)| *a == addr)
                .map(|(k, _)| *k);
            if let Some(k) = member
                && g.owed.insert(k)
            {
                dirty.groups.groups.insert(*id);
            }
        }
    }

    /// Drops the waiting keys for a group this device left.
    fn drop_pending(&mut self, group: &GroupId, dirty: &mut Dirty) {
        let pending = &mut self.state.groups.pending;
        let gone: Vec<u64> = pending
            .values()
            .filter(|p| p.group == *group)
            .map(|p| p.seq)
            .collect();
        for seq in gone {
            pending.remove(&seq);
            dirty.groups.pending.insert(seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn rows_name_no_group_and_differ_by_key() {
        let (a, b) = (
            StorageKey::from_bytes([1; 32]),
            StorageKey::from_bytes([2; 32]),
        );
        let id = GroupId([9; 16]);
        let row = group_row(&a, &id);
        assert!(row.starts_with(GROUP_PREFIX));
        assert_eq!(row.len(), GROUP_PREFIX.len() + 32);
        assert_ne!(row, group_row(&b, &id));
        assert_ne!(pending_row(&a, 0), pending_row(&a, 1));
        assert!(pending_row(&a, 0).starts_with(PENDING_PREFIX));
    }

    fn addr(name: &str, n: u32) -> DeviceAddress {
        DeviceAddress::new(&crate::PeerId::new(name).unwrap(), n).unwrap()
    }

    /// A coordinator's record of a three-member group, one member owed.
    fn record() -> (GroupRecord, Vec<crate::IdentityKeyPair>) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let ids: Vec<_> = (0..3u8)
            .map(|i| crate::IdentityKeyPair::from_seed_bytes([i + 1; 32]))
            .collect();
        let others: Vec<_> = ids[1..].iter().map(|k| k.public().clone()).collect();
        let roster = Roster::create(&ids[0], GroupId([3; 16]), &others).unwrap();
        let (session, _) = GroupSession::join_as_coordinator(&mut rng, &ids[0], roster).unwrap();
        let mut addresses = BTreeMap::new();
        addresses.insert(*ids[1].public().ed25519_bytes(), addr("patel", 1));
        addresses.insert(*ids[2].public().ed25519_bytes(), addr("ahmed", 2));
        let owed = BTreeSet::from([*ids[2].public().ed25519_bytes()]);
        (
            GroupRecord {
                session,
                addresses,
                owed,
            },
            ids,
        )
    }

    #[test]
    fn group_record_round_trips_and_refuses_garbage() {
        let (rec, ids) = record();
        let bytes = rec.encode();
        assert_eq!(bytes.capacity(), bytes.len(), "sized exactly");
        let back = GroupRecord::decode(&bytes).unwrap();
        assert_eq!(back.encode().as_slice(), bytes.as_slice());
        assert_eq!(back.addresses, rec.addresses);
        assert_eq!(back.owed, rec.owed);
        for n in [0, 1, 5, bytes.len() - 1] {
            assert!(GroupRecord::decode(&bytes[..n]).is_err());
        }
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(GroupRecord::decode(&long).is_err());
        let mut bad = bytes.to_vec();
        bad[0] = 2;
        assert_eq!(
            GroupRecord::decode(&bad).err().unwrap(),
            Error::Decode(DecodeError::UnknownVersion)
        );
        // An owed member who is not in the roster is refused.
        let mut stranger = record().0;
        stranger.owed.insert([0xee; 32]);
        assert_eq!(
            GroupRecord::decode(&stranger.encode()).err().unwrap(),
            Error::Decode(DecodeError::NonCanonical)
        );
        let mut stranger = record().0;
        stranger.addresses.insert([0xee; 32], addr("x", 1));
        assert_eq!(
            GroupRecord::decode(&stranger.encode()).err().unwrap(),
            Error::Decode(DecodeError::NonCanonical)
        );
        drop(ids);
    }

    #[test]
    fn pending_key_round_trips_and_refuses_garbage() {
        let (rec, ids) = record();
        let dist = rec.session.distribution();
        let p = PendingKey {
            seq: 7,
            from: addr("okafor", 1),
            sender: ids[0].public().clone(),
            group: rec.session.group_id(),
            roster_version: 1,
            bytes: Zeroizing::new(dist.as_bytes().to_vec()),
        };
        let bytes = p.encode();
        assert_eq!(bytes.capacity(), bytes.len(), "sized exactly");
        let back = PendingKey::decode(&bytes).unwrap();
        assert_eq!(back.encode().as_slice(), bytes.as_slice());
        assert_eq!((back.seq, back.group, back.roster_version), (7, p.group, 1));
        for n in [0, 1, 9, bytes.len() - 1] {
            assert!(PendingKey::decode(&bytes[..n]).is_err());
        }
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(PendingKey::decode(&long).is_err());
    }

    #[test]
    fn debug_output_names_no_key() {
        let (rec, _) = record();
        let ev = GroupEvent::KeyPending {
            group: rec.session.group_id(),
            from: addr("okafor", 1),
            dropped: None,
        };
        let shown = format!("{ev:?}");
        assert!(shown.contains("KeyPending"));
        assert!(!shown.contains("key:"));
    }
}
