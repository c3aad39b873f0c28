//! The device layer: one [`Device`] per clinician device, over a
//! [`crate::store::Store`].
//!
//! A device owns its identity, prekeys, trust store, one record per peer
//! device (current session, archived sessions, sent messages awaiting a
//! delivery receipt), its groups and its message vault. The app pushes in
//! what arrived ([`Device::receive`]) and what to send ([`Device::send`]);
//! the device does no network I/O and never asks the app to choose
//! between starting, accepting or continuing a session.
//!
//! # Transactional by construction
//!
//! Every call gathers its changes and commits them with one
//! [`crate::store::Store::commit`] before it returns: a `receive` commits
//! the vault entry, the session, the consumed one-time prekey and any trust
//! change together; a `send` commits the advanced sessions before the
//! envelopes are handed back. If the commit fails the device reloads its
//! state from the store and the call has had no effect, so a crash or a
//! failed write at any point loses nothing and shows nothing twice (the
//! transport delivers the envelope again; the app sends again).
//!
//! # Trust on every message
//!
//! Every send and every receive asks the [`TrustStore`] with the caller's
//! `now`. A changed key or a revoked or expired attestation stops the very
//! next message and surfaces as [`Event::KeyChanged`] or
//! [`Event::Untrusted`] (receive) or in [`Sent::not_sent`] (send).
//!
//! # Where the protection ends
//!
//! The device cannot tell a forged envelope from one a peer sent after
//! losing its state: both are undecryptable, and both start a session reset
//! (at most one per [`MIN_RESET_INTERVAL_SECS`] per peer device). A
//! message from a device whose key is not verified yet is reported, not
//! kept: its sender learns from the missing delivery receipt.

mod address;
mod content;
pub(crate) mod group;
pub(crate) mod group_waiting;
mod handshake;
mod layout;
#[cfg(test)]
mod layout_tests;
mod prekeys;
mod received;
pub(crate) mod record;

pub use address::DeviceAddress;
pub use content::{CONTENT_VERSION, Content, ResetReason};
pub use group::{DroppedGroupKey, GroupEvent, GroupSent};
pub use group_waiting::DroppedGroupMessage;
pub use prekeys::PreKeyDispenser;
pub(crate) use received::ReceivedKeys;

use crate::error::{
    CryptoError, DeviceError, Error, ProtocolError, Result, StoreError, TrustError,
};
use crate::handshake::{PreKeyBundle, PreKeyStore};
use crate::identity::{
    IdentityKey, IdentityKeyPair, KeyChange, SafetyNumber, TrustPolicy, TrustStore,
    VerificationMethod, VerifiedIdentity,
};
use crate::limits::{
    KEM_ONE_TIME_PREKEY_BATCH, KEM_ONE_TIME_PREKEY_REFILL_BELOW, MAX_BUNDLE_ONE_TIME_PREKEYS,
    MAX_DEVICE_PEERS, MIN_RESET_INTERVAL_SECS, ONE_TIME_PREKEY_REFILL_BELOW,
    SIGNED_PREKEY_ROTATION_SECS,
};
use crate::retention::{AwaitingFiling, FileError, MessageRef, MessageVault, Stored};
use crate::secret::Plaintext;
use crate::state::{Sealable, StorageKey};
use crate::store::{ChangeSet, Store};
use crate::wire::{Envelope, MessageId, MessageInfo, OutgoingMessage, ReceivedMessage};
use core::fmt;
use rand_core::CryptoRng;
use record::{PeerRecord, Settings};
use std::collections::{BTreeMap, BTreeSet};

const ROW_SETTINGS: &[u8] = b"settings";
const ROW_IDENTITY: &[u8] = b"identity";
const ROW_PREKEYS: &[u8] = b"prekeys";
const ROW_TRUST: &[u8] = b"trust";
const ROW_VAULT: &[u8] = b"vault";
const PEER_PREFIX: &[u8] = b"peer/";
/// HKDF info of the keyed hash that names a peer's row.
const LABEL_STORE_INDEX: &[u8] = b"bleep v1 store index";

/// Something to send: content and the metadata the sender sets.
#[derive(Debug)]
pub struct Outgoing<'a> {
    content: Content<'a>,
    expires_at: Option<u64>,
    patient_data: bool,
}

impl<'a> Outgoing<'a> {
    fn of(content: Content<'a>) -> Self {
        Outgoing {
            content,
            expires_at: None,
            patient_data: false,
        }
    }

    /// A clinical text message (UTF-8).
    pub fn text(text: &'a str) -> Self {
        Outgoing::of(Content::Text(text.as_bytes()))
    }

    /// A read receipt for messages the peer sent (ids from
    /// [`MessageRef::id`]).
    pub fn read(ids: Vec<MessageId>) -> Self {
        Outgoing::of(Content::Read(ids))
    }

    /// Tells the peer these messages of theirs were filed to the record
    /// and erased.
    pub fn filed(ids: Vec<MessageId>) -> Self {
        Outgoing::of(Content::Filed(ids))
    }

    /// A signed group roster's bytes, applied by the receiving device
    /// ([`Device::create_group`] and [`Device::update_group`] send rosters
    /// themselves; this is for an app that signs its own).
    pub fn group_roster(roster: &'a [u8]) -> Self {
        Outgoing::of(Content::GroupRoster(roster))
    }

    /// A sender-key distribution message's bytes, applied by the
    /// receiving device (the device sends its own keys; this is for an
    /// app that runs a [`crate::GroupSession`] itself).
    pub fn sender_key_distribution(distribution: &'a [u8]) -> Self {
        Outgoing::of(Content::SenderKeyDistribution(distribution))
    }

    /// The time after which the receiver must not show it.
    pub fn expires_at(mut self, at: u64) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Flags the message as containing patient data.
    pub fn contains_patient_data(mut self, yes: bool) -> Self {
        self.patient_data = yes;
        self
    }
}

/// One envelope for the transport to deliver to one device.
#[derive(Debug)]
#[non_exhaustive]
pub struct OutgoingEnvelope {
    /// The device to deliver it to.
    pub to: DeviceAddress,
    /// The id the receiver sees (and names in its receipts).
    pub id: MessageId,
    /// The bytes to deliver.
    pub envelope: Vec<u8>,
}

/// What [`Device::send`] did: the envelopes, already committed, and the
/// devices it did not send to and why.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Sent {
    /// Hand each to the transport.
    pub envelopes: Vec<OutgoingEnvelope>,
    /// Devices of the recipient that were skipped: not verified, key
    /// changed, attestation revoked or expired, no session or bundle.
    pub not_sent: Vec<(DeviceAddress, Error)>,
}

/// Whether a session reset was started after an undecryptable message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResetStatus {
    /// A new session was started; its first message (a
    /// [`Content::SessionReset`]) is in [`Received::replies`].
    Started,
    /// A reset towards this device was started less than
    /// [`MIN_RESET_INTERVAL_SECS`] ago.
    RateLimited,
    /// No bundle is held for the device: fetch one from the server and
    /// call [`Device::add_peer_device`]; the next send starts a session.
    /// Nothing was committed: given the same envelope again once the
    /// bundle is added, [`Device::receive`] starts the reset, so the
    /// sender learns its message was not read.
    NeedBundle,
    /// The bundle's identity is not accepted by the trust policy now.
    Untrusted(TrustError),
}

/// What one received envelope meant.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A new message, now in the vault: show it ([`Device::message`]).
    Message {
        /// The sending device.
        from: DeviceAddress,
        /// Its name in the vault.
        message: MessageRef,
        /// Its metadata.
        info: MessageInfo,
    },
    /// Delivered before (a re-delivery or replay): show nothing. The
    /// first copy in [`MIN_RESET_INTERVAL_SECS`] may come with a session
    /// check in [`Received::replies`] (send it): a peer that restored old
    /// state sends on chains this device has already read, and learns it
    /// from the check, which it cannot read, and starts a reset.
    Duplicate {
        /// The sending device.
        from: DeviceAddress,
    },
    /// The peer received these messages of ours.
    Delivered {
        /// The peer device.
        from: DeviceAddress,
        /// Ids from [`OutgoingEnvelope::id`].
        ids: Vec<MessageId>,
    },
    /// The peer's clinician has seen these messages of ours.
    Read {
        /// The peer device.
        from: DeviceAddress,
        /// Ids from [`OutgoingEnvelope::id`].
        ids: Vec<MessageId>,
    },
    /// The peer filed these messages of ours to the record and erased them.
    Filed {
        /// The peer device.
        from: DeviceAddress,
        /// Ids from [`OutgoingEnvelope::id`].
        ids: Vec<MessageId>,
    },
    /// The peer could not read our session and started a new one: the
    /// messages listed may not have been read; offer to send them again.
    SessionReset {
        /// The peer device.
        from: DeviceAddress,
        /// Messages sent to it without a delivery receipt.
        may_be_unread: Vec<MessageId>,
    },
    /// The peer refused the prekey our first message(s) used (a one-time
    /// prekey already used by another initiator or unknown, or a signed
    /// prekey it no longer keeps) and started a new session, now current:
    /// the messages listed were not read (the first ones certainly not);
    /// send them again, they go on the new session.
    PreKeyRefused {
        /// The peer device.
        from: DeviceAddress,
        /// Messages sent to it without a delivery receipt.
        may_be_unread: Vec<MessageId>,
    },
    /// The peer received a copy of a message it had already read and
    /// checked that our session still works: nothing to show.
    SessionCheck {
        /// The peer device.
        from: DeviceAddress,
    },
    /// A group roster, a sender key or a group message, already applied
    /// by the device: see [`GroupEvent`].
    Group(GroupEvent),
    /// A content type from a newer version of bleep: tell the clinician a
    /// message arrived that this app cannot show (update the app).
    UnknownContent {
        /// The sending device.
        from: DeviceAddress,
        /// The message id.
        id: MessageId,
        /// The framing version byte.
        version: u8,
        /// The content type byte.
        content_type: u8,
    },
    /// The device presented a different identity key and proved it holds
    /// it (for a first message: it authenticated under that key; a first
    /// message that does not is refused with
    /// [`CryptoError::DecryptFailed`] and records nothing). Nothing was
    /// shown or stored. Show [`Device::key_change`] and ask for
    /// verification.
    KeyChanged {
        /// The device.
        from: DeviceAddress,
    },
    /// The trust policy does not accept the device now (unverified,
    /// attestation revoked, expired or from an untrusted organisation):
    /// nothing was decrypted.
    Untrusted {
        /// The device.
        from: DeviceAddress,
        /// Why.
        reason: TrustError,
    },
    /// The message had expired when it arrived: not shown.
    Expired {
        /// The sending device.
        from: DeviceAddress,
    },
    /// No session this device holds can decrypt the message: one side
    /// lost or rolled back its state, or it is a first message naming a
    /// prekey this device no longer holds (the reset tells the sender:
    /// [`Event::PreKeyRefused`]). Tell the clinician a message from this
    /// device could not be read.
    Undecryptable {
        /// The sending device.
        from: DeviceAddress,
        /// Whether a new session was started.
        reset: ResetStatus,
        /// Messages sent to the device without a delivery receipt: the
        /// peer may not have read them; offer to send them again.
        may_be_unread: Vec<MessageId>,
    },
}

/// What [`Device::receive`] returns: the event and envelopes to send back
/// (a delivery receipt, a session reset), already committed.
#[derive(Debug)]
#[non_exhaustive]
pub struct Received {
    /// What happened.
    pub event: Event,
    /// Hand each to the transport.
    pub replies: Vec<OutgoingEnvelope>,
    /// Group messages that were waiting for a sender key this envelope
    /// installed ([`GroupEvent::MessageWaiting`]), oldest first, each
    /// handled as if it had just arrived: [`GroupEvent::Message`] (show
    /// it), [`Event::Duplicate`], [`Event::Expired`] or
    /// [`GroupEvent::WaitingDropped`]. Also the waiting messages a roster
    /// made unreadable (replaced roster, this device removed), as
    /// [`GroupEvent::WaitingDropped`]. Empty for most envelopes.
    pub released: Vec<Event>,
}

impl Received {
    fn event(event: Event) -> Self {
        Received::with_replies(event, Vec::new())
    }

    fn with_replies(event: Event, replies: Vec<OutgoingEnvelope>) -> Self {
        Received {
            event,
            replies,
            released: Vec::new(),
        }
    }
}

/// Everything a device holds, as loaded from the store.
struct State {
    settings: Settings,
    identity: IdentityKeyPair,
    prekeys: PreKeyStore,
    trust: TrustStore,
    vault: MessageVault,
    peers: BTreeMap<DeviceAddress, PeerRecord>,
    /// The vault's handled count as committed: the handled rows numbered
    /// from here on are still to be written.
    handled_saved: u64,
    /// Names the vault's message rows.
    index: layout::MessageIndex,
    groups: group::Groups,
    /// Hashes the ratchet keys received on ([`ReceivedKeys`]).
    ratchets: received::RatchetIndex,
}

/// What a call changed, to seal and commit.
#[derive(Default)]
struct Dirty {
    peers: BTreeSet<DeviceAddress>,
    trust: bool,
    vault: bool,
    /// Messages put into the vault, to write a row each.
    stored: Vec<MessageRef>,
    prekeys: bool,
    settings: bool,
    groups: group::GroupsDirty,
}

impl Dirty {
    /// Marks `address`'s record changed (cloning the address only the
    /// first time).
    fn peer(&mut self, address: &DeviceAddress) {
        if !self.peers.contains(address) {
            self.peers.insert(address.clone());
        }
    }

    fn any(&self) -> bool {
        !self.peers.is_empty()
            || self.trust
            || self.vault
            || self.prekeys
            || self.settings
            || self.groups.any()
    }
}

/// One clinician device: identity, prekeys, trust, sessions and vault,
/// kept in a [`Store`].
///
/// ```
/// use bleep::*;
/// use bleep::store::MemoryStore;
/// let mut rng = rand::rng();
/// let (now, policy) = (1_700_000_000, TrustPolicy::RequireVerified);
/// let (okafor, patel) = (PeerId::new("dr.okafor")?, PeerId::new("dr.patel")?);
/// let (a_addr, b_addr) = (DeviceAddress::new(&okafor, 1)?, DeviceAddress::new(&patel, 1)?);
/// let (ka, kb) = (StorageKey::generate(&mut rng), StorageKey::generate(&mut rng));
/// let mut a = Device::create(&mut rng, MemoryStore::new(), ka, a_addr.clone(), policy, now)?;
/// let mut b = Device::create(&mut rng, MemoryStore::new(), kb, b_addr.clone(), policy, now)?;
///
/// // Each learns the other's bundle (from the app's server) and verifies it
/// // (here: the clinicians compared safety numbers in person).
/// a.add_peer_device(&mut rng, &b_addr, &b.prekey_bundle())?;
/// b.add_peer_device(&mut rng, &a_addr, &a.prekey_bundle())?;
/// a.mark_verified(&mut rng, &b_addr, VerificationMethod::SafetyNumber, now)?;
/// b.mark_verified(&mut rng, &a_addr, VerificationMethod::SafetyNumber, now)?;
///
/// let sent = a.send(&mut rng, &patel, Outgoing::text("Bed 7 needs review"), now)?;
/// let got = b.receive(&mut rng, &a_addr, &sent.envelopes[0].envelope, now + 1)?;
/// let Event::Message { message, .. } = got.event else { panic!() };
/// assert_eq!(b.message(&message, now + 1).unwrap().1.expose(), b"Bed 7 needs review");
/// // The automatic delivery receipt goes back to Dr Okafor's device.
/// let receipt = a.receive(&mut rng, &b_addr, &got.replies[0].envelope, now + 2)?;
/// assert!(matches!(receipt.event, Event::Delivered { .. }));
/// # Ok::<(), bleep::Error>(())
/// ```
pub struct Device<S: Store> {
    store: S,
    key: StorageKey,
    state: State,
    /// A commit failed and reloading from the store failed too: every
    /// call tries to reload first.
    poisoned: bool,
}

impl<S: Store> fmt::Debug for Device<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("address", &self.state.settings.address)
            .field("peers", &self.state.peers.len())
            .field("vault", &self.state.vault)
            .finish_non_exhaustive()
    }
}

fn seal<T: Sealable>(
    key: &StorageKey,
    rng: &mut (impl CryptoRng + ?Sized),
    cs: &mut ChangeSet,
    row: &[u8],
    value: &T,
) {
    cs.put(row.to_vec(), key.seal_for(rng, row, value));
}

fn open_row<T: Sealable>(store: &impl Store, key: &StorageKey, row: &[u8]) -> Result<T> {
    let bytes = store.get(row)?.ok_or(StoreError::Corrupt)?;
    key.unseal_for(row, &bytes)
}

impl<S: Store> Device<S> {
    /// Creates a new device in an empty store: a fresh identity, a signed
    /// prekey and [`MAX_BUNDLE_ONE_TIME_PREKEYS`] one-time prekeys, an empty
    /// trust store with `policy` and an empty vault, all committed at once.
    ///
    /// Errors: [`DeviceError::AlreadyCreated`] if the store holds a device;
    /// [`crate::Error::Store`] if the commit fails.
    pub fn create(
        rng: &mut (impl CryptoRng + ?Sized),
        mut store: S,
        key: StorageKey,
        address: DeviceAddress,
        policy: TrustPolicy,
        now: u64,
    ) -> Result<Self> {
        if store.get(ROW_SETTINGS)?.is_some() {
            return Err(DeviceError::AlreadyCreated.into());
        }
        let identity = IdentityKeyPair::generate(rng);
        let mut prekeys = PreKeyStore::new(rng, &identity);
        prekeys.generate_one_time_prekeys(rng, MAX_BUNDLE_ONE_TIME_PREKEYS)?;
        prekeys.generate_kem_one_time_prekeys(rng, &identity, KEM_ONE_TIME_PREKEY_BATCH)?;
        let state = State {
            settings: Settings {
                address,
                signed_prekey_rotated_at: now,
                delivery_receipts: true,
            },
            identity,
            prekeys,
            trust: TrustStore::new(policy),
            vault: MessageVault::new(),
            peers: BTreeMap::new(),
            handled_saved: 0,
            index: layout::MessageIndex::new(&key),
            groups: group::Groups::default(),
            ratchets: received::RatchetIndex::new(&key),
        };
        let mut cs = ChangeSet::new();
        seal(&key, rng, &mut cs, ROW_IDENTITY, &state.identity);
        seal(&key, rng, &mut cs, ROW_PREKEYS, &state.prekeys);
        seal(&key, rng, &mut cs, ROW_TRUST, &state.trust);
        // An empty vault has no rows (`layout`).
        // Written last in the set: a store holding settings holds a device.
        seal(&key, rng, &mut cs, ROW_SETTINGS, &state.settings);
        store.commit(&cs)?;
        Ok(Device {
            store,
            key,
            state,
            poisoned: false,
        })
    }

    /// Opens the device kept in `store`.
    ///
    /// Errors: [`StoreError::NoDevice`] for a store without one;
    /// [`crate::StateError::Unseal`] for the wrong storage key or altered
    /// rows; [`StoreError::Corrupt`] for a missing or misplaced row;
    /// [`StoreError::OldLayout`] for a store written by the earlier,
    /// unreleased layout (one vault row), which is not migrated.
    pub fn open(store: S, key: StorageKey) -> Result<Self> {
        let state = Self::load(&store, &key)?;
        Ok(Device {
            store,
            key,
            state,
            poisoned: false,
        })
    }

    fn load(store: &impl Store, key: &StorageKey) -> Result<State> {
        let Some(settings) = store.get(ROW_SETTINGS)? else {
            return Err(StoreError::NoDevice.into());
        };
        if store.get(ROW_VAULT)?.is_some() {
            return Err(StoreError::OldLayout.into());
        }
        let settings: Settings = key.unseal_for(ROW_SETTINGS, &settings)?;
        let mut peers = BTreeMap::new();
        let mut rows = BTreeMap::new();
        for (row, bytes) in store.scan(PEER_PREFIX)? {
            let rec: PeerRecord = key.unseal_for(&row, &bytes)?;
            if peer_row(key, &rec.address) != row {
                return Err(StoreError::Corrupt.into());
            }
            rows.insert(row.clone(), rec.address.clone());
            let mut rec = rec;
            rec.row = row;
            peers.insert(rec.address.clone(), rec);
        }
        layout::load_side_rows(store, key, &rows, &mut peers)?;
        let mut index = layout::MessageIndex::new(key);
        let vault = layout::load_vault(store, key, &mut index)?;
        Ok(State {
            settings,
            identity: open_row(store, key, ROW_IDENTITY)?,
            prekeys: open_row(store, key, ROW_PREKEYS)?,
            trust: open_row(store, key, ROW_TRUST)?,
            handled_saved: vault.handled_total(),
            vault,
            peers,
            index,
            groups: group::Groups::load(store, key)?,
            ratchets: received::RatchetIndex::new(key),
        })
    }

    /// Gives the store back (for example to open the device again).
    pub fn into_store(self) -> S {
        self.store
    }

    /// The store, for reading (for example to copy a backup).
    pub fn store(&self) -> &S {
        &self.store
    }

    fn ready(&mut self) -> Result<()> {
        if self.poisoned {
            self.state = Self::load(&self.store, &self.key)?;
            self.poisoned = false;
        }
        Ok(())
    }

    /// Drops every in-memory change by loading the committed state again.
    fn reload(&mut self) {
        match Self::load(&self.store, &self.key) {
            Ok(state) => self.state = state,
            Err(_) => self.poisoned = true,
        }
    }

    fn commit(&mut self, rng: &mut (impl CryptoRng + ?Sized), dirty: &Dirty) -> Result<()> {
        if !dirty.any() {
            return Ok(());
        }
        let cs = self.changes(rng, dirty);
        if let Err(e) = self.store.commit_owned(cs) {
            self.reload();
            return Err(e.into());
        }
        Ok(())
    }

    /// Seals the rows `dirty` names into one change set, and marks them
    /// written (if the commit then fails, the device reloads anyway).
    fn changes(&mut self, rng: &mut (impl CryptoRng + ?Sized), dirty: &Dirty) -> ChangeSet {
        let (key, st) = (&self.key, &mut self.state);
        let mut cs = ChangeSet::new();
        for addr in &dirty.peers {
            match st.peers.get_mut(addr) {
                Some(rec) => {
                    if rec.row.is_empty() {
                        rec.row = peer_row(key, addr);
                    }
                    // Side rows first: they advance the record's row counter.
                    layout::put_side_rows(key, rng, &mut cs, rec);
                    seal(key, rng, &mut cs, &rec.row, &*rec);
                }
                None => layout::delete_peer(&mut cs, peer_row(key, addr)),
            }
        }
        if dirty.vault {
            let saved = st.handled_saved;
            st.handled_saved = layout::put_vault(
                key,
                &mut st.index,
                rng,
                &mut cs,
                &st.vault,
                &dirty.stored,
                saved,
            );
        }
        if dirty.prekeys {
            seal(key, rng, &mut cs, ROW_PREKEYS, &st.prekeys);
        }
        if dirty.trust {
            seal(key, rng, &mut cs, ROW_TRUST, &st.trust);
        }
        if dirty.settings {
            seal(key, rng, &mut cs, ROW_SETTINGS, &st.settings);
        }
        st.groups.write(key, rng, &mut cs, &dirty.groups);
        cs
    }

    /// Ends a call: commits on success, forgets in-memory changes on error.
    fn finish<T>(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        dirty: &Dirty,
        out: Result<T>,
    ) -> Result<T> {
        match out {
            Ok(v) => {
                self.commit(rng, dirty)?;
                Ok(v)
            }
            Err(e) => {
                if dirty.any() {
                    self.reload();
                }
                Err(e)
            }
        }
    }

    // ---- who this device is ----

    /// This device's address.
    pub fn address(&self) -> &DeviceAddress {
        &self.state.settings.address
    }

    /// This device's public identity key.
    pub fn identity_key(&self) -> &IdentityKey {
        self.state.identity.public()
    }

    // ---- peers and trust ----

    /// Records `bundle` (from the app's server) as `address`'s, so the next
    /// send starts a session with it, and so a session reset can use its
    /// signed prekey. At most one one-time prekey is kept. If a session
    /// with a different identity exists, it is archived: the next send
    /// starts a new session and the trust store reports the key change.
    pub fn add_peer_device(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        address: &DeviceAddress,
        bundle: &PreKeyBundle,
    ) -> Result<()> {
        self.ready()?;
        if *address == self.state.settings.address {
            return Err(DeviceError::OwnAddress.into());
        }
        if !self.state.peers.contains_key(address) && self.state.peers.len() >= MAX_DEVICE_PEERS {
            return Err(DeviceError::TooManyPeers.into());
        }
        let rec = self
            .state
            .peers
            .entry(address.clone())
            .or_insert_with(|| PeerRecord::new(address.clone()));
        if rec
            .current
            .as_ref()
            .is_some_and(|s| s.peer_identity() != bundle.identity())
            && let Some(old) = rec.current.take()
        {
            rec.archive_session(old);
        }
        rec.bundle = Some(handshake::bundle_to_keep(bundle, rec.current.is_none())?);
        rec.bundle_changed = true;
        let mut dirty = Dirty::default();
        dirty.peers.insert(address.clone());
        self.commit(rng, &dirty)
    }

    /// The devices of `clinician` this device knows.
    pub fn devices_of(&self, clinician: &crate::PeerId) -> Vec<DeviceAddress> {
        self.state
            .peers
            .keys()
            .filter(|a| a.clinician() == clinician)
            .cloned()
            .collect()
    }

    /// The identity key this device holds for `address` (its session's, or
    /// else its bundle's).
    pub fn peer_identity(&self, address: &DeviceAddress) -> Option<IdentityKey> {
        let rec = self.state.peers.get(address)?;
        match &rec.current {
            Some(s) => Some(s.peer_identity().clone()),
            None => handshake::bundle_identity(rec.bundle.as_deref()?).ok(),
        }
    }

    /// The key the clinicians are to verify for `address`: the new key of
    /// a key change the trust store recorded ([`Device::key_change`]) and
    /// the app has not resolved yet, or else [`Device::peer_identity`].
    /// [`Device::safety_number`] is computed over it and
    /// [`Device::mark_verified`] verifies it.
    pub fn key_to_verify(&self, address: &DeviceAddress) -> Option<IdentityKey> {
        match self.state.trust.key_change(address.trust_name()) {
            Some(change) => Some(change.new_key().clone()),
            None => self.peer_identity(address),
        }
    }

    /// The safety number to compare with `address`'s clinician in person,
    /// over [`Device::key_to_verify`]: after [`Event::KeyChanged`] it is
    /// the new key's.
    pub fn safety_number(&self, address: &DeviceAddress) -> Option<SafetyNumber> {
        let theirs = self.key_to_verify(address)?;
        Some(SafetyNumber::new(
            self.state.settings.address.trust_name(),
            self.state.identity.public(),
            address.trust_name(),
            &theirs,
        ))
    }

    /// Records that the clinicians verified [`Device::key_to_verify`] for
    /// `address` by `method` at `now`: after [`Event::KeyChanged`], the new
    /// key, whether or not its bundle was added. An app that showed a
    /// safety number should call [`Device::mark_verified_shown`] with it
    /// instead, so that a key change arriving while the clinicians
    /// compared cannot be verified unseen.
    ///
    /// Errors: [`DeviceError::NoSession`] if no key is known for it; the
    /// trust store's errors.
    pub fn mark_verified(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        address: &DeviceAddress,
        method: VerificationMethod,
        now: u64,
    ) -> Result<()> {
        let key = self.key_to_verify(address).ok_or(DeviceError::NoSession)?;
        self.update_trust(rng, |t| {
            t.mark_verified(address.trust_name(), &key, method, now)
                .map(drop)
        })
    }

    /// Records that the clinicians verified exactly the key of `shown`,
    /// the [`Device::safety_number`] the app showed (or whose QR code was
    /// scanned), by `method` at `now`.
    ///
    /// Errors (nothing changed): [`TrustError::SafetyNumberMismatch`] if
    /// `shown` is for another device or for a key that is no longer the
    /// one to verify (a key change arrived meanwhile: show the new safety
    /// number); [`DeviceError::NoSession`] if no key is known for it; the
    /// trust store's errors.
    pub fn mark_verified_shown(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        address: &DeviceAddress,
        shown: &SafetyNumber,
        method: VerificationMethod,
        now: u64,
    ) -> Result<()> {
        let key = self.key_to_verify(address).ok_or(DeviceError::NoSession)?;
        if shown.peer() != address.trust_name() || *shown.peer_key() != key {
            return Err(TrustError::SafetyNumberMismatch.into());
        }
        self.update_trust(rng, |t| {
            t.mark_verified(address.trust_name(), &key, method, now)
                .map(drop)
        })
    }

    /// The key change the trust store recorded for `address`, to show.
    pub fn key_change(&self, address: &DeviceAddress) -> Option<KeyChange> {
        self.state.trust.key_change(address.trust_name())
    }

    /// The trust store, to read.
    pub fn trust(&self) -> &TrustStore {
        &self.state.trust
    }

    /// Changes the trust store (verify a QR code, add an organisation or a
    /// revocation list) and commits the change. `f` works on a copy: if it
    /// fails, or the commit fails, nothing changes.
    pub fn update_trust<T>(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        f: impl FnOnce(&mut TrustStore) -> Result<T>,
    ) -> Result<T> {
        self.ready()?;
        let mut trust = self.state.trust.clone();
        let out = f(&mut trust)?;
        self.state.trust = trust;
        let dirty = Dirty {
            trust: true,
            ..Dirty::default()
        };
        self.commit(rng, &dirty)?;
        Ok(out)
    }

    /// Sets the cipher suites this device uses, in order of preference
    /// (repeats dropped): its bundle lists them (a version-3 bundle unless
    /// the list is XChaCha20-Poly1305 alone, the default), it accepts
    /// sessions on them only, and it starts each new session on the first
    /// of them that the peer's bundle lists. Sessions already running keep
    /// their suite. Upload [`Device::prekey_bundle`] afterwards; a device
    /// narrowing its list should also rotate its signed prekey, since the
    /// bundle published before stays valid until then.
    ///
    /// Errors (nothing changed): [`crate::ProtocolError::NoCommonCipherSuite`]
    /// for an empty list; [`crate::Error::Store`].
    pub fn set_cipher_suites(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        suites: &[crate::CipherSuite],
    ) -> Result<()> {
        self.ready()?;
        let out = self
            .state
            .prekeys
            .set_cipher_suites(&self.state.identity, suites);
        out?;
        let dirty = Dirty {
            prekeys: true,
            ..Dirty::default()
        };
        self.commit(rng, &dirty)
    }

    /// The cipher suites this device uses, in order of preference.
    pub fn cipher_suites(&self) -> Vec<crate::CipherSuite> {
        self.state.prekeys.cipher_suites()
    }

    /// Whether a delivery receipt is sent for every message received (on by
    /// default).
    pub fn set_delivery_receipts(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        on: bool,
    ) -> Result<()> {
        self.ready()?;
        self.state.settings.delivery_receipts = on;
        let dirty = Dirty {
            settings: true,
            ..Dirty::default()
        };
        self.commit(rng, &dirty)
    }

    fn check(
        trust: &mut TrustStore,
        address: &DeviceAddress,
        key: &IdentityKey,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<VerifiedIdentity> {
        let mut changed = false;
        let out = trust.check_noting(address.trust_name(), key, now, &mut changed);
        dirty.trust |= changed;
        out
    }

    // ---- sending ----

    /// Sends `message` to every device of `clinician` that the trust
    /// policy accepts at `now`, starting sessions where needed. The
    /// advanced sessions are committed before the envelopes are returned.
    ///
    /// Errors (nothing sent, nothing changed except trust records):
    /// [`DeviceError::UnknownRecipient`] if no device of the clinician is
    /// known; [`DeviceError::NoVerifiedDevice`] if none is accepted (see
    /// [`Device::devices_of`] and [`Device::key_change`]);
    /// [`crate::ProtocolError::NoCommonCipherSuite`] if every device that
    /// could not be reached lists none of this device's cipher suites
    /// ([`Device::set_cipher_suites`]);
    /// [`crate::LimitError::MessageTooLarge`]; [`crate::Error::Store`].
    pub fn send(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        clinician: &crate::PeerId,
        message: Outgoing<'_>,
        now: u64,
    ) -> Result<Sent> {
        self.ready()?;
        let to = self.devices_of(clinician);
        if to.is_empty() {
            return Err(DeviceError::UnknownRecipient.into());
        }
        self.send_to(rng, &to, message, now)
    }

    /// Sends `message` to one device (a read receipt, a filed notice).
    /// Errors as [`Device::send`], with [`DeviceError::NoSession`] for an
    /// unknown device.
    pub fn send_to_device(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        device: &DeviceAddress,
        message: Outgoing<'_>,
        now: u64,
    ) -> Result<Sent> {
        self.ready()?;
        if !self.state.peers.contains_key(device) {
            return Err(DeviceError::NoSession.into());
        }
        self.send_to(rng, core::slice::from_ref(device), message, now)
    }

    fn send_to(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        to: &[DeviceAddress],
        message: Outgoing<'_>,
        now: u64,
    ) -> Result<Sent> {
        let framed = message.content.to_bytes()?;
        let mut out =
            OutgoingMessage::new(&framed, now).contains_patient_data(message.patient_data);
        if let Some(at) = message.expires_at {
            out = out.expires_at(at);
        }
        out.check()?;
        let track = matches!(message.content, Content::Text(_));
        let mut dirty = Dirty::default();
        let mut sent = Sent::default();
        for addr in to {
            // The record is changed in place (no move out of the map and
            // back): the other parts of the state are borrowed beside it.
            let st = &mut self.state;
            let Some(rec) = st.peers.get_mut(addr) else {
                continue;
            };
            let parts = (&mut st.trust, &st.identity, &st.prekeys);
            match Self::encrypt_with(parts, rng, rec, out, now, &mut dirty) {
                Ok(env) => {
                    if track {
                        rec.remember_sent(env.id, now);
                    }
                    sent.envelopes.push(env);
                }
                Err(e) => sent.not_sent.push((addr.clone(), e)),
            }
        }
        if sent.envelopes.is_empty() {
            // Keep what the trust store learnt (a key change to show).
            self.commit(rng, &dirty)?;
            // Verified devices that list none of our cipher suites: say so.
            let no_suite = crate::Error::Protocol(crate::ProtocolError::NoCommonCipherSuite);
            if !sent.not_sent.is_empty() && sent.not_sent.iter().all(|(_, e)| *e == no_suite) {
                return Err(no_suite);
            }
            return Err(DeviceError::NoVerifiedDevice.into());
        }
        self.commit(rng, &dirty)?;
        Ok(sent)
    }

    fn encrypt_for(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        message: OutgoingMessage<'_>,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<OutgoingEnvelope> {
        let st = &mut self.state;
        let parts = (&mut st.trust, &st.identity, &st.prekeys);
        Self::encrypt_with(parts, rng, rec, message, now, dirty)
    }

    /// [`Device::encrypt_for`] with the parts of the state it uses, so a
    /// record can be encrypted for where it sits in the peer map.
    fn encrypt_with(
        (trust, identity, prekeys): (&mut TrustStore, &IdentityKeyPair, &PreKeyStore),
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        message: OutgoingMessage<'_>,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<OutgoingEnvelope> {
        let key = match (&rec.current, &rec.bundle) {
            (Some(s), _) => s.peer_identity().clone(),
            (None, Some(b)) => handshake::bundle_identity(b)?,
            (None, None) => return Err(DeviceError::NoSession.into()),
        };
        let proof = Self::check(trust, &rec.address, &key, now, dirty)?;
        if rec.current.is_none()
            && let Some(bundle) = &rec.bundle
        {
            let session =
                handshake::initiate(rng, identity, &proof, bundle, &prekeys.cipher_suites())?;
            // Never offer the one-time prekey again (a reset uses the
            // signed prekey alone).
            rec.bundle = Some(handshake::bundle_to_keep(
                &PreKeyBundle::from_bytes(bundle)?,
                false,
            )?);
            rec.bundle_changed = true;
            rec.install(session);
            dirty.peer(&rec.address);
        }
        let session = rec.current.as_mut().ok_or(DeviceError::NoSession)?;
        let enc = session.encrypt(rng, proof, message)?;
        dirty.peer(&rec.address);
        Ok(OutgoingEnvelope {
            to: rec.address.clone(),
            id: enc.id,
            envelope: enc.envelope,
        })
    }

    fn reply(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        content: Content<'_>,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<OutgoingEnvelope> {
        let framed = content.to_bytes()?;
        self.encrypt_for(rng, rec, OutgoingMessage::new(&framed, now), now, dirty)
    }

    // ---- receiving ----

    /// Handles one envelope that arrived from `from` (the transport's
    /// claim; the session checks it cryptographically). Decrypts it with
    /// the right session (current, archived, or a new one from a prekey
    /// message), stores a text in the vault, and commits vault, session,
    /// consumed prekey and trust changes in one transaction.
    ///
    /// Acknowledge the envelope to the transport after this returns `Ok`
    /// (whatever the event), then send [`Received::replies`].
    ///
    /// Errors leave the device unchanged: malformed envelopes or content
    /// ([`crate::Error::Decode`]), tampered messages and first messages
    /// claiming a new identity that do not authenticate under it
    /// ([`CryptoError::DecryptFailed`]), limits, a full vault
    /// ([`crate::LimitError::TooManyEntries`]: file some messages, then
    /// let the transport deliver it again), [`crate::Error::Store`].
    pub fn receive(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        from: &DeviceAddress,
        envelope: &[u8],
        now: u64,
    ) -> Result<Received> {
        self.ready()?;
        let mut dirty = Dirty::default();
        let out = self.receive_one(rng, from, envelope, now, &mut dirty);
        self.finish(rng, &dirty, out)
    }

    /// Handles envelopes queued while the device was offline, in order,
    /// with one store commit for all of them (a catch-up of hundreds of
    /// envelopes costs one transaction, not one each).
    ///
    /// Each envelope is handled exactly as [`Device::receive`] would handle
    /// it at that point of the sequence, and its result is at the same
    /// index of the returned list: an `Err` there left no trace (its state
    /// changes were dropped) while the envelopes around it still count.
    /// Acknowledge to the transport every envelope, whatever its result,
    /// once the call returns `Ok`, then send every [`Received::replies`].
    ///
    /// The outer error is the store's (or a failure to reload from it):
    /// then *nothing* of the batch was committed, the device has reloaded
    /// its state, no event may be shown and no reply sent; let the
    /// transport deliver the envelopes again.
    pub fn receive_batch<E: AsRef<[u8]>>(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        envelopes: &[(DeviceAddress, E)],
        now: u64,
    ) -> Result<Vec<Result<Received>>> {
        self.ready()?;
        let mut staged = layout::Staged::default();
        let mut out = Vec::with_capacity(envelopes.len());
        for (from, envelope) in envelopes {
            let mut dirty = Dirty::default();
            let got = self.receive_one(rng, from, envelope.as_ref(), now, &mut dirty);
            if got.is_ok() {
                if dirty.any() {
                    staged.apply(self.changes(rng, &dirty));
                }
            } else if dirty.any() {
                // Forget this envelope's changes: the state as committed
                // before it, which is the store with the batch so far.
                match Self::load(&staged.over(&self.store), &self.key) {
                    Ok(state) => self.state = state,
                    Err(e) => {
                        self.reload();
                        return Err(e);
                    }
                }
            }
            out.push(got);
        }
        let cs = staged.into_changes();
        if !cs.is_empty()
            && let Err(e) = self.store.commit_owned(cs)
        {
            self.reload();
            return Err(e.into());
        }
        Ok(out)
    }

    /// [`Device::receive`] without its commit: the changes are in memory
    /// and named in `dirty`.
    fn receive_one(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        from: &DeviceAddress,
        envelope: &[u8],
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Received> {
        if *from == self.state.settings.address {
            return Err(DeviceError::OwnAddress.into());
        }
        let env = Envelope::parse_known(envelope, self.state.trust.identity(from.trust_name()))?;
        // Moved out of the map with its key, and back with the same key
        // (no copy of the address).
        let (addr, mut rec) = match self.state.peers.remove_entry(from) {
            Some(r) => r,
            None if self.state.peers.len() >= MAX_DEVICE_PEERS => {
                return Err(DeviceError::TooManyPeers.into());
            }
            None => (from.clone(), PeerRecord::new(from.clone())),
        };
        let out = self.receive_with(rng, &mut rec, &env, envelope, now, dirty);
        if rec.current.is_some() || rec.bundle.is_some() || !rec.archive.is_empty() {
            self.state.peers.insert(addr, rec);
        }
        out
    }

    fn receive_with(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        env: &Envelope<'_>,
        raw: &[u8],
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Received> {
        let from = rec.address.clone();
        let claimed = match env.initiator_identity() {
            Some(k) => Some(k.clone()),
            None => rec
                .current
                .iter()
                .chain(rec.archive.iter())
                .next()
                .map(|s| s.peer_identity().clone()),
        };
        let Some(key) = claimed else {
            return self.undecryptable(rng, rec, now, dirty, ResetReason::Undecryptable);
        };
        if env.is_prekey_message() && self.state.trust.would_change(from.trust_name(), &key) {
            // Anyone can put a validly bound identity in a first message:
            // record a key change only once the sender proves it holds the
            // key (an expired message has authenticated). Otherwise refused
            // as tampered, nothing changes.
            let st = &self.state;
            match handshake::authenticates(&st.identity, &st.prekeys, env, now) {
                Ok(()) | Err(Error::Protocol(ProtocolError::Expired)) => {}
                Err(_) => return Err(CryptoError::DecryptFailed.into()),
            }
        }
        if !env.is_prekey_message()
            && self.state.trust.would_change(from.trust_name(), &key)
            && !opens_on_a_copy(rec, &from, &key, raw, now)
        {
            // An ordinary message names no identity: its key is that of a
            // session held for the address, which may be an old one (the
            // current session archived when a new identity's bundle was
            // added). Anyone can send junk claiming it: record a key change
            // only if the message opens on such a session. Otherwise
            // refused as tampered, nothing changes.
            return Err(CryptoError::DecryptFailed.into());
        }
        match Self::check(&mut self.state.trust, &from, &key, now, dirty) {
            Ok(_) => {}
            Err(Error::Trust(TrustError::KeyChanged)) => {
                return Ok(Received::event(Event::KeyChanged { from }));
            }
            Err(Error::Trust(reason)) => {
                return Ok(Received::event(Event::Untrusted { from, reason }));
            }
            Err(e) => return Err(e),
        }
        let mut message = None;
        let mut reason = ResetReason::Undecryptable;
        // The current session, then archived ones, newest first.
        let n = usize::from(rec.current.is_some()) + rec.archive.len();
        for i in 0..n {
            let session = match (i, rec.current.as_mut()) {
                (0, Some(s)) => s,
                (_, current) => {
                    let j = i - usize::from(current.is_some());
                    match rec.archive.get_mut(j) {
                        Some(s) => s,
                        None => continue,
                    }
                }
            };
            if *session.peer_identity() != key {
                continue;
            }
            let proof = self.state.trust.check_at(from.trust_name(), &key, now)?;
            match session.decrypt(proof, raw, now) {
                Ok(m) => {
                    let j = i.checked_sub(usize::from(rec.current.is_some()));
                    if let (Some(j), true) = (j, i > 0 || rec.current.is_none()) {
                        rec.promote(j);
                    }
                    message = Some(m);
                    break;
                }
                Err(Error::Protocol(ProtocolError::DuplicateMessage)) => {
                    return self.duplicate(rng, rec, &key, now, dirty);
                }
                Err(Error::Protocol(ProtocolError::Expired)) => {
                    return Ok(Received::event(Event::Expired { from }));
                }
                Err(Error::Crypto(CryptoError::DecryptFailed))
                | Err(Error::Protocol(ProtocolError::WrongSession)) => {}
                Err(e) => return Err(e),
            }
        }
        if message.is_none() && received::is_late_duplicate(&self.state.ratchets, rec, env) {
            // Read long ago, on a chain every session has retired.
            return self.duplicate(rng, rec, &key, now, dirty);
        }
        if message.is_none() && env.is_prekey_message() {
            let proof = self.state.trust.check_at(from.trust_name(), &key, now)?;
            let st = &mut self.state;
            match handshake::accept(&st.identity, &mut st.prekeys, &proof, env, now) {
                Ok((session, m)) => {
                    dirty.prekeys = true;
                    // Simultaneous initiation: both sides keep the session
                    // started by the lower identity key, so they converge.
                    // A reset is the peer saying it cannot read ours: its
                    // session always wins.
                    let keep_ours = !is_reset(&m)
                        && rec.current.as_ref().is_some_and(|c| {
                            c.pending.is_some()
                                && *c.peer_identity() == key
                                && st.identity.public().to_bytes() < key.to_bytes()
                        });
                    if keep_ours {
                        rec.archive_session(session);
                    } else {
                        rec.install(session);
                    }
                    message = Some(m);
                }
                Err(Error::Protocol(ProtocolError::Expired)) => {
                    return Ok(Received::event(Event::Expired { from }));
                }
                // A prekey we no longer hold: the initiator must learn it
                // (the reset below tells it) and start again.
                Err(Error::Protocol(
                    ProtocolError::UnknownOneTimePreKey
                    | ProtocolError::UnknownKemPreKey
                    | ProtocolError::UnknownSignedPreKey,
                )) => reason = ResetReason::PreKeyRefused,
                // Tampered or forged: refused, nothing changes.
                Err(e) => return Err(e),
            }
        }
        let Some(message) = message else {
            if !env.is_prekey_message() && knows_chain(rec, env) {
                // A chain we hold could not open it: tampered, not lost
                // state. Refused, nothing changes.
                return Err(CryptoError::DecryptFailed.into());
            }
            return self.undecryptable(rng, rec, now, dirty, reason);
        };
        rec.received.note(&self.state.ratchets, env);
        dirty.peer(&from);
        self.handle_content(rng, rec, message, now, dirty)
    }

    fn handle_content(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        message: ReceivedMessage,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Received> {
        let from = rec.address.clone();
        let content = Content::parse(message.body.expose())?;
        let event = match content {
            Content::Text(text) => {
                let info = message.info;
                let msg = ReceivedMessage {
                    sender: message.sender.clone(),
                    info,
                    body: Plaintext::from_slice(text),
                };
                let mref = msg.message_ref();
                match self.state.vault.insert(msg, now)? {
                    Stored::New => {
                        dirty.vault = true;
                        dirty.stored.push(mref);
                        let mut replies = Vec::new();
                        if self.state.settings.delivery_receipts {
                            let ids = vec![info.id];
                            replies.push(self.reply(
                                rng,
                                rec,
                                Content::Delivered(ids),
                                now,
                                dirty,
                            )?);
                        }
                        return Ok(Received::with_replies(
                            Event::Message {
                                from,
                                message: mref,
                                info,
                            },
                            replies,
                        ));
                    }
                    Stored::Duplicate => Event::Duplicate { from },
                }
            }
            Content::Delivered(ids) => {
                rec.confirm(&ids);
                Event::Delivered { from, ids }
            }
            Content::Read(ids) => {
                rec.confirm(&ids);
                Event::Read { from, ids }
            }
            Content::Filed(ids) => {
                rec.confirm(&ids);
                Event::Filed { from, ids }
            }
            Content::SessionReset(ResetReason::PreKeyRefused) => {
                self.owe_group_keys(&from, dirty);
                Event::PreKeyRefused {
                    from,
                    may_be_unread: rec.unconfirmed.drain(..).map(|(id, _)| id).collect(),
                }
            }
            Content::SessionCheck => Event::SessionCheck { from },
            Content::SessionReset(_) => {
                self.owe_group_keys(&from, dirty);
                Event::SessionReset {
                    from,
                    may_be_unread: rec.unconfirmed.drain(..).map(|(id, _)| id).collect(),
                }
            }
            Content::GroupRoster(b) => {
                return self.receive_roster(rng, rec, &message.sender, b, now, dirty);
            }
            Content::SenderKeyDistribution(b) => {
                return self.receive_distribution(rec, &message.sender, b, now, dirty);
            }
            Content::Unknown {
                version,
                content_type,
            } => Event::UnknownContent {
                from,
                id: message.info.id,
                version,
                content_type,
            },
        };
        Ok(Received::event(event))
    }

    /// A copy of a message already read (or one no held key can open any
    /// more, on a chain already read): a duplicate, and at most once per
    /// [`MIN_RESET_INTERVAL_SECS`] a session check on the current session.
    ///
    /// A peer that restored an old backup sends on chains this device has
    /// already read; its messages look exactly like late copies and cannot
    /// be opened. Its state diverged, so it cannot read the check either:
    /// it reports the message undecryptable and starts a reset, which
    /// lists here the texts it never read, and its own app learns which of
    /// its messages were not read. A peer in step reads the check and
    /// shows nothing.
    fn duplicate(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        key: &IdentityKey,
        now: u64,
        dirty: &mut Dirty,
    ) -> Result<Received> {
        let from = rec.address.clone();
        let due = rec
            .last_check_at
            .is_none_or(|t| now >= t.saturating_add(MIN_RESET_INTERVAL_SECS));
        let mut replies = Vec::new();
        if due
            && rec
                .current
                .as_ref()
                .is_some_and(|s| s.peer_identity() == key)
        {
            replies.push(self.reply(rng, rec, Content::SessionCheck, now, dirty)?);
            rec.last_check_at = Some(now);
            dirty.peers.insert(from.clone());
        }
        Ok(Received::with_replies(Event::Duplicate { from }, replies))
    }

    fn undecryptable(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        rec: &mut PeerRecord,
        now: u64,
        dirty: &mut Dirty,
        reason: ResetReason,
    ) -> Result<Received> {
        let from = rec.address.clone();
        let may_be_unread: Vec<MessageId> = rec.unconfirmed.iter().map(|(id, _)| *id).collect();
        let mut replies = Vec::new();
        let reset = if rec
            .last_reset_at
            .is_some_and(|t| now < t.saturating_add(MIN_RESET_INTERVAL_SECS))
        {
            ResetStatus::RateLimited
        } else if let Some(bundle) = rec.bundle.clone() {
            let key = handshake::bundle_identity(&bundle)?;
            let st = &mut self.state;
            match Self::check(&mut st.trust, &from, &key, now, dirty) {
                Ok(proof) => {
                    let session = handshake::initiate(
                        rng,
                        &st.identity,
                        &proof,
                        &bundle,
                        &st.prekeys.cipher_suites(),
                    )?;
                    // A bundle kept from `add_peer_device` may still offer
                    // a one-time prekey: never offer it twice, and store
                    // the stripped bundle (its row is written only when
                    // marked changed; a reopened device would otherwise
                    // offer the used prekey in every later reset).
                    rec.bundle = Some(handshake::bundle_to_keep(
                        &PreKeyBundle::from_bytes(&bundle)?,
                        false,
                    )?);
                    rec.bundle_changed = true;
                    rec.install(session);
                    rec.last_reset_at = Some(now);
                    dirty.peers.insert(from.clone());
                    let reset = Content::SessionReset(reason);
                    replies.push(self.reply(rng, rec, reset, now, dirty)?);
                    rec.unconfirmed.clear();
                    ResetStatus::Started
                }
                Err(Error::Trust(t)) => ResetStatus::Untrusted(t),
                Err(e) => return Err(e),
            }
        } else {
            ResetStatus::NeedBundle
        };
        Ok(Received::with_replies(
            Event::Undecryptable {
                from,
                reset,
                may_be_unread,
            },
            replies,
        ))
    }

    // ---- what was sent ----

    /// Messages sent to `address` without a delivery receipt yet, oldest
    /// first, with when they were sent.
    pub fn unconfirmed(&self, address: &DeviceAddress) -> Vec<(MessageId, u64)> {
        self.state
            .peers
            .get(address)
            .map(|r| r.unconfirmed.iter().copied().collect())
            .unwrap_or_default()
    }

    // ---- the vault ----

    /// A received message that has not expired at `now`, to show.
    pub fn message(&self, id: &MessageRef, now: u64) -> Option<(&MessageInfo, &Plaintext)> {
        self.state.vault.message(id, now)
    }

    /// Received messages waiting to be filed: no content.
    pub fn awaiting_filing(&self, now: u64) -> Vec<AwaitingFiling> {
        self.state.vault.awaiting_filing(now)
    }

    /// Hands a received message to the record system and erases it (and
    /// commits) only if `record` succeeds. The outer error is the store's:
    /// then the message is still held (the record system has it; file it
    /// again only if the record system de-duplicates).
    pub fn file_to_record<T, E>(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        id: &MessageRef,
        record: impl FnOnce(&MessageInfo, &Plaintext) -> core::result::Result<T, E>,
    ) -> Result<core::result::Result<T, FileError<E>>> {
        self.ready()?;
        let out = self.state.vault.file_to_record(id, record);
        if out.is_ok() {
            let dirty = Dirty {
                vault: true,
                ..Dirty::default()
            };
            self.commit(rng, &dirty)?;
        }
        Ok(out)
    }

    /// Erases a received message without filing it; returns whether it was
    /// held.
    pub fn erase(&mut self, rng: &mut (impl CryptoRng + ?Sized), id: &MessageRef) -> Result<bool> {
        self.ready()?;
        let held = self.state.vault.erase(id);
        let dirty = Dirty {
            vault: held,
            ..Dirty::default()
        };
        self.commit(rng, &dirty)?;
        Ok(held)
    }

    /// Erases every expired message, returning which.
    pub fn purge_expired(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: u64,
    ) -> Result<Vec<MessageRef>> {
        self.ready()?;
        let gone = self.state.vault.purge_expired(now);
        let dirty = Dirty {
            vault: !gone.is_empty(),
            ..Dirty::default()
        };
        self.commit(rng, &dirty)?;
        Ok(gone)
    }

    // ---- prekeys ----

    /// The bundle to upload to the app's server: identity, current signed
    /// prekey and up to [`MAX_BUNDLE_ONE_TIME_PREKEYS`] one-time prekeys.
    /// The server hands each one-time prekey to one initiator
    /// ([`PreKeyDispenser`]).
    pub fn prekey_bundle(&self) -> PreKeyBundle {
        self.state.prekeys.bundle()
    }

    /// The ids of the one-time prekeys this device still holds.
    pub fn one_time_prekey_ids(&self) -> Vec<u32> {
        self.state.prekeys.one_time.keys().copied().collect()
    }

    /// Whether fewer than [`ONE_TIME_PREKEY_REFILL_BELOW`] one-time
    /// prekeys, or fewer than [`KEM_ONE_TIME_PREKEY_REFILL_BELOW`] one-time
    /// ML-KEM prekeys, are left: call [`Device::refill_prekeys`] and upload.
    pub fn needs_prekey_refill(&self) -> bool {
        self.state.prekeys.one_time_prekey_count() < ONE_TIME_PREKEY_REFILL_BELOW
            || self.state.prekeys.kem_one_time_prekey_count() < KEM_ONE_TIME_PREKEY_REFILL_BELOW
    }

    /// Adds one-time prekeys up to a full batch and returns the bundle to
    /// upload.
    pub fn refill_prekeys(&mut self, rng: &mut (impl CryptoRng + ?Sized)) -> Result<PreKeyBundle> {
        self.ready()?;
        let have = self.state.prekeys.one_time_prekey_count();
        let want = MAX_BUNDLE_ONE_TIME_PREKEYS.saturating_sub(have);
        let out = self.state.prekeys.generate_one_time_prekeys(rng, want);
        let have_kem = self.state.prekeys.kem_one_time_prekey_count();
        let want_kem = KEM_ONE_TIME_PREKEY_BATCH.saturating_sub(have_kem);
        let out = out.and_then(|()| {
            self.state
                .prekeys
                .generate_kem_one_time_prekeys(rng, &self.state.identity, want_kem)
        });
        let dirty = Dirty {
            prekeys: true,
            ..Dirty::default()
        };
        self.finish(rng, &dirty, out)?;
        Ok(self.state.prekeys.bundle())
    }

    /// Rotates the signed prekey if [`SIGNED_PREKEY_ROTATION_SECS`] have
    /// passed since the last rotation (the previous ones are kept for
    /// handshakes in flight); returns the bundle to upload if it did.
    pub fn rotate_signed_prekey_if_due(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        now: u64,
    ) -> Result<Option<PreKeyBundle>> {
        self.ready()?;
        let last = self.state.settings.signed_prekey_rotated_at;
        if now < last.saturating_add(SIGNED_PREKEY_ROTATION_SECS) {
            return Ok(None);
        }
        let st = &mut self.state;
        st.prekeys.rotate_signed_prekey(rng, &st.identity);
        st.settings.signed_prekey_rotated_at = now;
        let dirty = Dirty {
            prekeys: true,
            settings: true,
            ..Dirty::default()
        };
        self.commit(rng, &dirty)?;
        Ok(Some(self.state.prekeys.bundle()))
    }
}

/// Whether a decrypted payload is a session reset.
fn is_reset(message: &ReceivedMessage) -> bool {
    matches!(
        Content::parse(message.body.expose()),
        Ok(Content::SessionReset(_))
    )
}

/// Whether an ordinary message opens on a copy of a session held for the
/// peer under `key` (an expired one has authenticated too). Nothing held
/// changes; only used before a key change would be recorded.
fn opens_on_a_copy(
    rec: &PeerRecord,
    from: &DeviceAddress,
    key: &IdentityKey,
    raw: &[u8],
    now: u64,
) -> bool {
    rec.current
        .iter()
        .chain(rec.archive.iter())
        .filter(|s| s.peer_identity() == key)
        .any(|s| {
            let Ok(mut copy) = crate::session::Session::decode(&s.encode()) else {
                return false;
            };
            // For this session's own peer: the trust decision is made after.
            let proof =
                VerifiedIdentity::new(from.peer_id(), key.clone(), VerificationMethod::FirstUse);
            matches!(
                copy.decrypt(proof, raw, now),
                Ok(_) | Err(Error::Protocol(ProtocolError::Expired))
            )
        })
}

/// Whether any session held for the peer knows the envelope's sending
/// chain (current, skipped or retired): then a failure to decrypt is
/// tampering, not lost state.
fn knows_chain(rec: &PeerRecord, env: &Envelope<'_>) -> bool {
    let k = &env.header.ratchet_key;
    rec.current.iter().chain(rec.archive.iter()).any(|s| {
        let r = &s.ratchet;
        r.receiving.as_ref().is_some_and(|c| c.ratchet_key == *k)
            || r.retired.contains(k)
            || r.skipped.chains.iter().any(|c| c.ratchet_key == *k)
    })
}

/// The row of `address`'s record: `peer/` and 32 hex digits of a keyed
/// hash, so the store names no clinician.
fn peer_row(key: &StorageKey, address: &DeviceAddress) -> Vec<u8> {
    let mut name = Vec::with_capacity(address.encoded_len());
    address.write(&mut name);
    let h = crate::primitives::hkdf32(key.expose(), &name, LABEL_STORE_INDEX);
    layout::hex_row(PEER_PREFIX, h.get(..16).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::verified::proof;
    use crate::store::MemoryStore;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const NOW: u64 = 1_700_000_000;

    fn pair(rng: &mut ChaCha20Rng) -> (Device<MemoryStore>, Device<MemoryStore>) {
        let p = TrustPolicy::RequireVerified;
        let aa = DeviceAddress::new(&crate::PeerId::new("a").unwrap(), 1).unwrap();
        let ba = DeviceAddress::new(&crate::PeerId::new("b").unwrap(), 1).unwrap();
        let (ka, kb) = (
            StorageKey::from_bytes([1; 32]),
            StorageKey::from_bytes([2; 32]),
        );
        let mut a = Device::create(rng, MemoryStore::new(), ka, aa.clone(), p, NOW).unwrap();
        let mut b = Device::create(rng, MemoryStore::new(), kb, ba.clone(), p, NOW).unwrap();
        a.add_peer_device(rng, &ba, &b.prekey_bundle()).unwrap();
        b.add_peer_device(rng, &aa, &a.prekey_bundle()).unwrap();
        a.mark_verified(rng, &ba, VerificationMethod::QrCode, NOW)
            .unwrap();
        b.mark_verified(rng, &aa, VerificationMethod::QrCode, NOW)
            .unwrap();
        (a, b)
    }

    /// Encrypts raw content bytes on `a`'s current session to `to`, as a
    /// newer version (or a hostile peer) could.
    fn raw(
        rng: &mut ChaCha20Rng,
        a: &mut Device<MemoryStore>,
        to: &DeviceAddress,
        body: &[u8],
    ) -> Vec<u8> {
        let s = a.state.peers.get_mut(to).unwrap().current.as_mut().unwrap();
        let p = proof(s);
        s.encrypt(rng, p, OutgoingMessage::new(body, NOW))
            .unwrap()
            .envelope
    }

    #[test]
    fn a_reset_never_offers_the_kept_one_time_prekeys_again() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let (a, mut b) = pair(&mut rng);
        // `b` never sent to `a`: the bundle it keeps still offers one
        // one-time prekey of each kind.
        let mut rec = b.state.peers.remove(a.address()).unwrap();
        let kept = |rec: &PeerRecord| PreKeyBundle::from_bytes(rec.bundle.as_ref().unwrap());
        assert_eq!(kept(&rec).unwrap().one_time_prekey_count(), 1);
        assert_eq!(kept(&rec).unwrap().kem_one_time_prekey_count(), 1);
        let mut dirty = Dirty::default();
        let got = b
            .undecryptable(
                &mut rng,
                &mut rec,
                NOW,
                &mut dirty,
                ResetReason::PreKeyRefused,
            )
            .unwrap();
        assert!(matches!(
            got.event,
            Event::Undecryptable {
                reset: ResetStatus::Started,
                ..
            }
        ));
        // The reset used them; a later reset uses the signed prekey alone.
        assert_eq!(kept(&rec).unwrap().one_time_prekey_count(), 0);
        assert_eq!(kept(&rec).unwrap().kem_one_time_prekey_count(), 0);
    }

    #[test]
    fn unknown_content_is_reported_and_malformed_content_changes_nothing() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let (mut a, mut b) = pair(&mut rng);
        let (aa, ba) = (a.address().clone(), b.address().clone());
        let b_id = crate::PeerId::new("b").unwrap();
        let first = a.send(&mut rng, &b_id, Outgoing::text("hi"), NOW).unwrap();
        b.receive(&mut rng, &aa, &first.envelopes[0].envelope, NOW)
            .unwrap();

        let newer = raw(&mut rng, &mut a, &ba, &[2, 0x30, 1, 2, 3]);
        let got = b.receive(&mut rng, &aa, &newer, NOW).unwrap();
        assert!(matches!(
            got.event,
            Event::UnknownContent {
                version: 2,
                content_type: 0x30,
                ..
            }
        ));
        let unknown_type = raw(&mut rng, &mut a, &ba, &[1, 0x7f]);
        let got = b.receive(&mut rng, &aa, &unknown_type, NOW).unwrap();
        assert!(matches!(
            got.event,
            Event::UnknownContent {
                version: 1,
                content_type: 0x7f,
                ..
            }
        ));

        // Malformed content of a known type: a typed error, nothing
        // committed, the session not advanced in memory either.
        let before = b.store().scan(b"").unwrap();
        let bad = raw(&mut rng, &mut a, &ba, &[1, 2, 0]);
        assert!(matches!(
            b.receive(&mut rng, &aa, &bad, NOW),
            Err(Error::Decode(_))
        ));
        assert_eq!(b.store().scan(b"").unwrap(), before);
        assert!(matches!(
            b.receive(&mut rng, &aa, &bad, NOW),
            Err(Error::Decode(_))
        ));
        // And the conversation goes on.
        let next = a
            .send(&mut rng, &b_id, Outgoing::text("still here"), NOW)
            .unwrap();
        let got = b
            .receive(&mut rng, &aa, &next.envelopes[0].envelope, NOW)
            .unwrap();
        assert!(matches!(got.event, Event::Message { .. }));
    }
}
