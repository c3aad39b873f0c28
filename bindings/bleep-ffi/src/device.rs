//! [`BleepDevice`]: the core's `Device` behind an `Arc` and a `Mutex`,
//! with the OS generator and clock inside every call.

use std::sync::{Arc, Mutex, MutexGuard};

use bleep::store::{SqliteStore, Store};
use bleep::{DeviceError, Outgoing, StorageKey};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{BleepError, Result};
use crate::store::{AppStore, Foreign};
use crate::types::{
    AwaitingFiling, BatchItem, DeviceAddress, GroupCreated, GroupSent, IncomingEnvelope, KeyChange,
    OutgoingOptions, Received, RecordRefused, RecordSystem, SafetyNumber, Sent, TrustPolicy,
    Verification, VerificationMethod, addresses, group_id, message_id, to_core_addresses,
};
use crate::{now, os_rng};

type Inner = bleep::Device<Box<dyn Store + Send>>;

/// Reads a 32-byte storage key handed in by the app, wiping the binding's
/// copy of the bytes whatever happens.
fn storage_key(mut bytes: Vec<u8>) -> Result<StorageKey> {
    let out = <[u8; 32]>::try_from(bytes.as_slice())
        .map(StorageKey::from_bytes)
        .map_err(|_| BleepError::Decode {
            reason: "InvalidLength".into(),
        });
    bytes.zeroize();
    out
}

fn message_ref(bytes: &[u8]) -> Result<bleep::MessageRef> {
    Ok(bleep::MessageRef::from_bytes(bytes)?)
}

/// What `BleepDevice.file_to_record` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FileOutcome {
    /// The record system took it; the device erased its copy (committed).
    Filed,
    /// No such message in the vault (filed, erased, purged or never held).
    NotFound,
    /// The record system refused it; the message is still held.
    Refused,
}

/// A received message read from the vault. The device's copy of the
/// plaintext stays in this object (zeroized when the object is dropped or
/// closed); `body()` and `text()` hand the foreign side a copy it must not
/// keep longer than the screen shows it. Printing the object shows only
/// the length.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct StoredMessage {
    info: crate::types::MessageInfo,
    body: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for StoredMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StoredMessage({} bytes)", self.body.len())
    }
}

impl core::fmt::Display for StoredMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[uniffi::export]
impl StoredMessage {
    /// Its metadata.
    pub fn info(&self) -> crate::types::MessageInfo {
        self.info.clone()
    }

    /// A copy of the plaintext.
    pub fn body(&self) -> Vec<u8> {
        self.body.to_vec()
    }

    /// A copy of the plaintext as text, if it is UTF-8.
    pub fn text(&self) -> Option<String> {
        core::str::from_utf8(&self.body).ok().map(str::to_owned)
    }
}

/// One clinician device: identity, prekeys, trust, sessions, groups and
/// vault, kept in a SQLite file or an app-supplied store. Every call
/// commits before it returns (see the core's `Device`). Safe to share
/// between threads; calls are serialised.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct BleepDevice {
    inner: Mutex<Inner>,
}

impl core::fmt::Debug for BleepDevice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.inner.lock() {
            Ok(d) => write!(
                f,
                "BleepDevice({}/{})",
                d.address().clinician().as_str(),
                d.address().device()
            ),
            Err(_) => f.write_str("BleepDevice(<unusable>)"),
        }
    }
}

impl core::fmt::Display for BleepDevice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

impl BleepDevice {
    fn wrap(d: Inner) -> Arc<Self> {
        Arc::new(BleepDevice {
            inner: Mutex::new(d),
        })
    }

    fn create_in(
        store: Box<dyn Store + Send>,
        storage_key_bytes: Vec<u8>,
        address: DeviceAddress,
        policy: TrustPolicy,
    ) -> Result<Arc<Self>> {
        let key = storage_key(storage_key_bytes)?;
        let address = address.to_core()?;
        let d = bleep::Device::create(&mut os_rng(), store, key, address, policy.into(), now())?;
        Ok(Self::wrap(d))
    }

    fn open_in(store: Box<dyn Store + Send>, storage_key_bytes: Vec<u8>) -> Result<Arc<Self>> {
        let key = storage_key(storage_key_bytes)?;
        Ok(Self::wrap(bleep::Device::open(store, key)?))
    }

    /// The device, or an error if a panic inside an earlier call (the OS
    /// generator failing) left it unusable: open it again from the store.
    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner.lock().map_err(|_| BleepError::Other {
            reason: "device unusable after an internal failure: open it again".into(),
        })
    }
}

#[uniffi::export]
impl BleepDevice {
    // ---- opening ----

    /// Creates a new device in a new SQLite file at `path`: a fresh
    /// identity and prekeys, sealed under `storage_key` (32 bytes from the
    /// Keychain or Keystore; the binding wipes its copy).
    ///
    /// Errors: `Device("AlreadyCreated")` if the file holds a device,
    /// `Store(...)` if it cannot be written, `Decode("InvalidLength")` for
    /// a key that is not 32 bytes.
    #[uniffi::constructor]
    pub fn create(
        path: String,
        storage_key: Vec<u8>,
        address: DeviceAddress,
        policy: TrustPolicy,
    ) -> Result<Arc<Self>> {
        let store = SqliteStore::open(&path)?;
        Self::create_in(Box::new(store), storage_key, address, policy)
    }

    /// Opens the device kept in the SQLite file at `path`.
    ///
    /// Errors: `State("Unseal")` for the wrong storage key or altered rows;
    /// `Store("NoDevice")` for a file without a device.
    #[uniffi::constructor]
    pub fn open(path: String, storage_key: Vec<u8>) -> Result<Arc<Self>> {
        let store = SqliteStore::open(&path)?;
        Self::open_in(Box::new(store), storage_key)
    }

    /// Creates a device in a SQLite database in memory (tests, tools): it
    /// is gone when the object is.
    #[uniffi::constructor]
    pub fn create_in_memory(
        storage_key: Vec<u8>,
        address: DeviceAddress,
        policy: TrustPolicy,
    ) -> Result<Arc<Self>> {
        let store = SqliteStore::open_in_memory()?;
        Self::create_in(Box::new(store), storage_key, address, policy)
    }

    /// Creates a new device in the app's own store (Room, Core Data, ...).
    #[uniffi::constructor]
    pub fn create_with_store(
        store: Box<dyn AppStore>,
        storage_key: Vec<u8>,
        address: DeviceAddress,
        policy: TrustPolicy,
    ) -> Result<Arc<Self>> {
        Self::create_in(Box::new(Foreign(store)), storage_key, address, policy)
    }

    /// Opens the device kept in the app's own store.
    #[uniffi::constructor]
    pub fn open_with_store(store: Box<dyn AppStore>, storage_key: Vec<u8>) -> Result<Arc<Self>> {
        Self::open_in(Box::new(Foreign(store)), storage_key)
    }

    // ---- who this device is ----

    /// This device's address.
    pub fn address(&self) -> Result<DeviceAddress> {
        Ok(DeviceAddress::from_core(self.lock()?.address()))
    }

    /// This device's public identity key.
    pub fn identity_key(&self) -> Result<Vec<u8>> {
        Ok(self.lock()?.identity_key().to_bytes().to_vec())
    }

    // ---- prekeys ----

    /// The prekey bundle to upload to the app's server.
    pub fn prekey_bundle(&self) -> Result<Vec<u8>> {
        Ok(self.lock()?.prekey_bundle().to_bytes())
    }

    /// The ids of the one-time prekeys this device still holds.
    pub fn one_time_prekey_ids(&self) -> Result<Vec<u32>> {
        Ok(self.lock()?.one_time_prekey_ids())
    }

    /// Whether the one-time prekeys run low: call `refill_prekeys`.
    pub fn needs_prekey_refill(&self) -> Result<bool> {
        Ok(self.lock()?.needs_prekey_refill())
    }

    /// Adds one-time prekeys up to a full batch; returns the bundle to upload.
    pub fn refill_prekeys(&self) -> Result<Vec<u8>> {
        Ok(self.lock()?.refill_prekeys(&mut os_rng())?.to_bytes())
    }

    /// Rotates the signed prekey if it is due; returns the bundle to upload
    /// if it did.
    pub fn rotate_signed_prekey_if_due(&self) -> Result<Option<Vec<u8>>> {
        let b = self
            .lock()?
            .rotate_signed_prekey_if_due(&mut os_rng(), now())?;
        Ok(b.map(|b| b.to_bytes()))
    }

    // ---- peers and trust ----

    /// Records `bundle` (from the app's server) as `address`'s.
    ///
    /// Errors: `Decode(...)`/`Crypto("BadSignature")` for a malformed or
    /// forged bundle, `Device("OwnAddress")`, `Device("TooManyPeers")`.
    pub fn add_peer_device(&self, address: DeviceAddress, bundle: Vec<u8>) -> Result<()> {
        let bundle = bleep::PreKeyBundle::from_bytes(&bundle)?;
        let address = address.to_core()?;
        Ok(self
            .lock()?
            .add_peer_device(&mut os_rng(), &address, &bundle)?)
    }

    /// The devices of `clinician` this device knows.
    pub fn devices_of(&self, clinician: String) -> Result<Vec<DeviceAddress>> {
        let peer = bleep::PeerId::new(clinician)?;
        Ok(addresses(&self.lock()?.devices_of(&peer)))
    }

    /// The identity key held for `address`, if any (public).
    pub fn peer_identity(&self, address: DeviceAddress) -> Result<Option<Vec<u8>>> {
        let address = address.to_core()?;
        Ok(self
            .lock()?
            .peer_identity(&address)
            .map(|k| k.to_bytes().to_vec()))
    }

    /// The safety number with `address`: digits to compare and the QR
    /// payload to show.
    pub fn safety_number(&self, address: DeviceAddress) -> Result<Option<SafetyNumber>> {
        let address = address.to_core()?;
        Ok(self
            .lock()?
            .safety_number(&address)
            .as_ref()
            .map(SafetyNumber::from))
    }

    /// Checks a QR payload scanned from `address`'s phone and, if it
    /// matches, records its key as verified.
    ///
    /// Errors: `Trust("SafetyNumberMismatch")` for another pair's code,
    /// `Decode(...)` for garbage, `Device("NoSession")` if no key is known.
    pub fn verify_by_qr(&self, address: DeviceAddress, scanned: Vec<u8>) -> Result<()> {
        let address = address.to_core()?;
        let mut d = self.lock()?;
        let sn = d.safety_number(&address).ok_or(DeviceError::NoSession)?;
        let now = now();
        Ok(d.update_trust(&mut os_rng(), |t| {
            t.verify_by_qr(&sn, &scanned, now).map(drop)
        })?)
    }

    /// Records that the clinicians verified `address`'s current key by
    /// `method` (`SafetyNumber` after comparing digits in person).
    ///
    /// Errors: `Trust("AttestationRequired")` for `Attestation` (use
    /// `verify_by_attestation`), `Device("NoSession")`.
    pub fn mark_verified(&self, address: DeviceAddress, method: VerificationMethod) -> Result<()> {
        let method = core_method(method)?;
        let address = address.to_core()?;
        Ok(self
            .lock()?
            .mark_verified(&mut os_rng(), &address, method, now())?)
    }

    /// Records that the clinicians verified exactly the key of `shown`,
    /// the safety number the app showed for `address` (from
    /// `safety_number`), by `method`. Use this rather than
    /// `mark_verified` whenever a safety number was shown: if a key change
    /// arrived after it was shown, it is refused and nothing changes.
    ///
    /// Errors: `Trust("SafetyNumberMismatch")` if `shown` is not the
    /// current safety number with `address` (show the new one),
    /// `Trust("AttestationRequired")` for `Attestation`,
    /// `Device("NoSession")`.
    pub fn mark_verified_shown(
        &self,
        address: DeviceAddress,
        shown: SafetyNumber,
        method: VerificationMethod,
    ) -> Result<()> {
        let method = core_method(method)?;
        let address = address.to_core()?;
        let mut d = self.lock()?;
        let current = d
            .safety_number(&address)
            .ok_or(bleep::DeviceError::NoSession)?;
        if SafetyNumber::from(&current) != shown {
            return Err(bleep::Error::from(bleep::TrustError::SafetyNumberMismatch).into());
        }
        Ok(d.mark_verified_shown(&mut os_rng(), &address, &current, method, now())?)
    }

    /// How many group messages wait for their sender's key.
    pub fn waiting_group_messages(&self) -> Result<u64> {
        Ok(self.lock()?.waiting_group_messages() as u64)
    }

    /// Trusts attestations signed by an organisation key (32 bytes).
    pub fn trust_organisation(&self, public_key: Vec<u8>) -> Result<()> {
        let bytes: [u8; 32] = public_key
            .as_slice()
            .try_into()
            .map_err(|_| BleepError::Decode {
                reason: "InvalidLength".into(),
            })?;
        let key = bleep::OrganisationPublicKey::from_bytes(&bytes)?;
        Ok(self
            .lock()?
            .update_trust(&mut os_rng(), |t| t.trust_organisation(key))?)
    }

    /// Checks an organisation's attestation of `address`'s current key and,
    /// if a trusted organisation vouches for it now, records it verified.
    ///
    /// Errors: `Crypto("BadSignature")` for a forged attestation,
    /// `Trust("UnknownOrganisation")`, `Trust("AttestationRevoked")`,
    /// `Trust("AttestationExpired")`, `Trust("IdentityMismatch")`, ...
    pub fn verify_by_attestation(
        &self,
        address: DeviceAddress,
        attestation: Vec<u8>,
    ) -> Result<()> {
        let att = bleep::Attestation::from_bytes(&attestation)?;
        let address = address.to_core()?;
        let mut d = self.lock()?;
        let key = d.peer_identity(&address).ok_or(DeviceError::NoSession)?;
        let peer = address.peer_id();
        let now = now();
        Ok(d.update_trust(&mut os_rng(), |t| {
            t.verify_by_attestation(&peer, &key, &att, now).map(drop)
        })?)
    }

    /// Installs a trusted organisation's revocation list. Peers verified by
    /// a revoked attestation are refused from the next message on.
    ///
    /// Errors: `Trust("UnknownOrganisation")`, `Trust("StaleRevocationList")`,
    /// `Crypto("BadSignature")`.
    pub fn add_revocation_list(&self, list: Vec<u8>) -> Result<()> {
        let list = bleep::RevocationList::from_bytes(&list)?;
        Ok(self
            .lock()?
            .update_trust(&mut os_rng(), |t| t.add_revocation_list(list))?)
    }

    /// Trust-on-first-use only: accept `address`'s changed key unverified.
    ///
    /// Errors: `Trust("ReverificationRequired")` under `RequireVerified`.
    pub fn acknowledge_key_change(&self, address: DeviceAddress) -> Result<()> {
        let peer = address.to_core()?.peer_id();
        let now = now();
        Ok(self.lock()?.update_trust(&mut os_rng(), |t| {
            t.acknowledge_key_change(&peer, now).map(drop)
        })?)
    }

    /// The key change recorded for `address`'s clinician, to show.
    pub fn key_change(&self, address: DeviceAddress) -> Result<Option<KeyChange>> {
        let address = address.to_core()?;
        Ok(self
            .lock()?
            .key_change(&address)
            .as_ref()
            .map(KeyChange::from))
    }

    /// How and when `address`'s clinician's key was verified, if it was.
    pub fn verification(&self, address: DeviceAddress) -> Result<Option<Verification>> {
        let peer = address.to_core()?.peer_id();
        Ok(self
            .lock()?
            .trust()
            .verification(&peer)
            .map(Verification::from))
    }

    /// Whether a delivery receipt is sent for every message received.
    pub fn set_delivery_receipts(&self, on: bool) -> Result<()> {
        Ok(self.lock()?.set_delivery_receipts(&mut os_rng(), on)?)
    }

    // ---- sending ----

    /// Sends a text to every device of `clinician` the trust policy accepts
    /// now. The binding wipes its copy of `text` afterwards.
    ///
    /// Errors: `Device("UnknownRecipient")`, `Device("NoVerifiedDevice")`
    /// (see `not_sent` of a later send, `key_change`), `Limit("MessageTooLarge")`.
    pub fn send_text(
        &self,
        clinician: String,
        text: String,
        options: OutgoingOptions,
    ) -> Result<Sent> {
        let text = Zeroizing::new(text);
        let peer = bleep::PeerId::new(clinician)?;
        let msg = options.apply(Outgoing::text(&text));
        Ok(self.lock()?.send(&mut os_rng(), &peer, msg, now())?.into())
    }

    /// Sends a read receipt for messages of `device` (16-byte ids).
    pub fn send_read(&self, device: DeviceAddress, ids: Vec<Vec<u8>>) -> Result<Sent> {
        let ids = ids.iter().map(|i| message_id(i)).collect::<Result<_>>()?;
        let device = device.to_core()?;
        Ok(self
            .lock()?
            .send_to_device(&mut os_rng(), &device, Outgoing::read(ids), now())?
            .into())
    }

    /// Tells `device` these messages of theirs were filed and erased.
    pub fn send_filed(&self, device: DeviceAddress, ids: Vec<Vec<u8>>) -> Result<Sent> {
        let ids = ids.iter().map(|i| message_id(i)).collect::<Result<_>>()?;
        let device = device.to_core()?;
        Ok(self
            .lock()?
            .send_to_device(&mut os_rng(), &device, Outgoing::filed(ids), now())?
            .into())
    }

    /// The 16-byte ids of messages sent to `address` without a delivery
    /// receipt yet, oldest first.
    pub fn unconfirmed(&self, address: DeviceAddress) -> Result<Vec<Vec<u8>>> {
        let address = address.to_core()?;
        Ok(self
            .lock()?
            .unconfirmed(&address)
            .into_iter()
            .map(|(id, _)| id.0.to_vec())
            .collect())
    }

    // ---- receiving ----

    /// Handles one envelope from `from` (the transport's claim). Acknowledge
    /// it to the transport after this returns, then send the replies.
    ///
    /// Errors leave the device unchanged: `Crypto("DecryptFailed")` for a
    /// tampered envelope, `Decode(...)` for garbage, `Limit(...)`,
    /// `Store(...)`. A replay is not an error: it is `Event.Duplicate`.
    pub fn receive(&self, from: DeviceAddress, envelope: Vec<u8>) -> Result<Received> {
        let from = from.to_core()?;
        Ok(self
            .lock()?
            .receive(&mut os_rng(), &from, &envelope, now())?
            .into())
    }

    /// Handles envelopes queued while offline, in order, with one commit.
    /// The thrown error is the store's: then nothing was committed.
    pub fn receive_batch(&self, envelopes: Vec<IncomingEnvelope>) -> Result<Vec<BatchItem>> {
        let list = envelopes
            .into_iter()
            .map(|e| Ok((e.from.to_core()?, e.envelope)))
            .collect::<Result<Vec<_>>>()?;
        let out = self.lock()?.receive_batch(&mut os_rng(), &list, now())?;
        Ok(out
            .into_iter()
            .map(|r| match r {
                Ok(received) => BatchItem::Ok {
                    received: received.into(),
                },
                Err(e) => BatchItem::Err { failure: e.into() },
            })
            .collect())
    }

    // ---- groups ----

    /// Creates a group with this device as coordinator and `members`
    /// (each verified now); the roster and our sender key go out in `sent`.
    pub fn create_group(&self, members: Vec<DeviceAddress>) -> Result<GroupCreated> {
        let members = to_core_addresses(&members)?;
        let (group, sent) = self.lock()?.create_group(&mut os_rng(), &members, now())?;
        Ok(GroupCreated {
            group: group.0.to_vec(),
            sent: sent.into(),
        })
    }

    /// Adds and removes members (coordinator only); a removal rotates every
    /// sender key.
    pub fn update_group(
        &self,
        group: Vec<u8>,
        add: Vec<DeviceAddress>,
        remove: Vec<DeviceAddress>,
    ) -> Result<Sent> {
        let group = group_id(&group)?;
        let (add, remove) = (to_core_addresses(&add)?, to_core_addresses(&remove)?);
        Ok(self
            .lock()?
            .update_group(&mut os_rng(), &group, &add, &remove, now())?
            .into())
    }

    /// Sends a text to a group. The binding wipes its copy of `text`.
    pub fn send_group(
        &self,
        group: Vec<u8>,
        text: String,
        options: OutgoingOptions,
    ) -> Result<GroupSent> {
        let text = Zeroizing::new(text);
        let group = group_id(&group)?;
        let msg = options.apply(Outgoing::text(&text));
        Ok(self
            .lock()?
            .send_group(&mut os_rng(), &group, msg, now())?
            .into())
    }

    /// Handles a group message (`GroupSent.message`) delivered from `from`.
    ///
    /// Errors leave the device unchanged: `Crypto("BadSignature")` or
    /// `Crypto("DecryptFailed")` for a forged or tampered message,
    /// `Group(...)`, `Decode(...)`.
    pub fn receive_group(&self, from: DeviceAddress, message: Vec<u8>) -> Result<Received> {
        let from = from.to_core()?;
        Ok(self
            .lock()?
            .receive_group(&mut os_rng(), &from, &message, now())?
            .into())
    }

    /// The 16-byte ids of this device's groups.
    pub fn groups(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .lock()?
            .groups()
            .into_iter()
            .map(|g| g.0.to_vec())
            .collect())
    }

    /// The member devices of `group` this device knows.
    pub fn group_devices(&self, group: Vec<u8>) -> Result<Vec<DeviceAddress>> {
        let group = group_id(&group)?;
        Ok(addresses(&self.lock()?.group_devices(&group)))
    }

    /// The group's safety number digits, to compare between members.
    pub fn group_safety_number(&self, group: Vec<u8>) -> Result<Option<String>> {
        let group = group_id(&group)?;
        Ok(self
            .lock()?
            .group_safety_number(&group)
            .map(|s| s.digits().to_owned()))
    }

    // ---- the vault ----

    /// A received message (by its 48-byte handle) that has not expired.
    pub fn message(&self, message: Vec<u8>) -> Result<Option<Arc<StoredMessage>>> {
        let id = message_ref(&message)?;
        let d = self.lock()?;
        Ok(d.message(&id, now()).map(|(info, body)| {
            Arc::new(StoredMessage {
                info: info.into(),
                body: Zeroizing::new(body.expose().to_vec()),
            })
        }))
    }

    /// Received messages waiting to be filed: metadata only.
    pub fn awaiting_filing(&self) -> Result<Vec<AwaitingFiling>> {
        Ok(self
            .lock()?
            .awaiting_filing(now())
            .into_iter()
            .map(AwaitingFiling::from)
            .collect())
    }

    /// Hands a message to the app's record system and erases it (and
    /// commits) only if `record` returns normally. `record` runs while the
    /// device is locked: it must not call this device.
    pub fn file_to_record(
        &self,
        message: Vec<u8>,
        record: Box<dyn RecordSystem>,
    ) -> Result<FileOutcome> {
        let id = message_ref(&message)?;
        let out = self
            .lock()?
            .file_to_record(&mut os_rng(), &id, |info, body| {
                record.file(message.clone(), info.into(), body.expose().to_vec())
            })?;
        Ok(match out {
            Ok(()) => FileOutcome::Filed,
            Err(bleep::FileError::NotFound) => FileOutcome::NotFound,
            Err(bleep::FileError::Record(RecordRefused::Refused | RecordRefused::Unexpected)) => {
                FileOutcome::Refused
            }
        })
    }

    /// Erases a received message without filing it; returns whether it was
    /// held.
    pub fn erase(&self, message: Vec<u8>) -> Result<bool> {
        let id = message_ref(&message)?;
        Ok(self.lock()?.erase(&mut os_rng(), &id)?)
    }

    /// Erases every expired message; returns their handles.
    pub fn purge_expired(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .lock()?
            .purge_expired(&mut os_rng(), now())?
            .into_iter()
            .map(|m| m.to_bytes().to_vec())
            .collect())
    }
}

/// The core's verification method for the binding's.
fn core_method(method: VerificationMethod) -> Result<bleep::VerificationMethod> {
    Ok(match method {
        VerificationMethod::SafetyNumber => bleep::VerificationMethod::SafetyNumber,
        VerificationMethod::QrCode => bleep::VerificationMethod::QrCode,
        VerificationMethod::Attestation => bleep::VerificationMethod::Attestation,
        VerificationMethod::FirstUse => bleep::VerificationMethod::FirstUse,
        VerificationMethod::Other => {
            return Err(BleepError::Decode {
                reason: "UnknownKind".into(),
            });
        }
    })
}
