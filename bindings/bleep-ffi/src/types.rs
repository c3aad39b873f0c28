//! Records and enums that cross the boundary, and their conversions from
//! the core's borrowed or opaque types.

use crate::error::{BleepError, Failure, Result};

/// One device of one clinician: the clinician's directory id (`PeerId`)
/// and a device number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct DeviceAddress {
    /// The clinician's directory id (1 to 64 bytes of UTF-8).
    pub clinician: String,
    /// The device number, chosen by the app's server.
    pub device: u32,
}

impl DeviceAddress {
    pub(crate) fn to_core(&self) -> Result<bleep::DeviceAddress> {
        let peer = bleep::PeerId::new(self.clinician.clone())?;
        Ok(bleep::DeviceAddress::new(&peer, self.device)?)
    }

    pub(crate) fn from_core(a: &bleep::DeviceAddress) -> Self {
        DeviceAddress {
            clinician: a.clinician().as_str().to_owned(),
            device: a.device(),
        }
    }
}

pub(crate) fn addresses(list: &[bleep::DeviceAddress]) -> Vec<DeviceAddress> {
    list.iter().map(DeviceAddress::from_core).collect()
}

pub(crate) fn to_core_addresses(list: &[DeviceAddress]) -> Result<Vec<bleep::DeviceAddress>> {
    list.iter().map(DeviceAddress::to_core).collect()
}

pub(crate) fn ids(list: &[bleep::MessageId]) -> Vec<Vec<u8>> {
    list.iter().map(|i| i.0.to_vec()).collect()
}

pub(crate) fn message_id(bytes: &[u8]) -> Result<bleep::MessageId> {
    let a: [u8; 16] = bytes.try_into().map_err(|_| BleepError::Decode {
        reason: "InvalidLength".into(),
    })?;
    Ok(bleep::MessageId(a))
}

pub(crate) fn group_id(bytes: &[u8]) -> Result<bleep::GroupId> {
    let a: [u8; 16] = bytes.try_into().map_err(|_| BleepError::Decode {
        reason: "InvalidLength".into(),
    })?;
    Ok(bleep::GroupId(a))
}

/// Metadata that travelled inside the encryption with a message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MessageInfo {
    /// The sender's 16-byte id for the message.
    pub id: Vec<u8>,
    /// When the sender sent it (unix seconds, sender's clock).
    pub sent_at: u64,
    /// When it must no longer be shown, if the sender set it.
    pub expires_at: Option<u64>,
    /// The sender flagged it as containing patient data.
    pub contains_patient_data: bool,
}

impl From<&bleep::MessageInfo> for MessageInfo {
    fn from(i: &bleep::MessageInfo) -> Self {
        MessageInfo {
            id: i.id.0.to_vec(),
            sent_at: i.sent_at,
            expires_at: i.expires_at,
            contains_patient_data: i.contains_patient_data,
        }
    }
}

/// Sender-set options of an outgoing text.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct OutgoingOptions {
    /// The time (unix seconds) after which the receiver must not show it.
    #[uniffi(default = None)]
    pub expires_at: Option<u64>,
    /// Flags the message as containing patient data.
    #[uniffi(default = false)]
    pub contains_patient_data: bool,
}

impl OutgoingOptions {
    pub(crate) fn apply<'a>(&self, mut o: bleep::Outgoing<'a>) -> bleep::Outgoing<'a> {
        if let Some(at) = self.expires_at {
            o = o.expires_at(at);
        }
        o.contains_patient_data(self.contains_patient_data)
    }
}

/// One envelope for the transport to deliver to one device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutgoingEnvelope {
    /// The device to deliver it to.
    pub to: DeviceAddress,
    /// The 16-byte id the receiver sees and names in its receipts.
    pub id: Vec<u8>,
    /// The bytes to deliver.
    pub envelope: Vec<u8>,
}

impl From<bleep::OutgoingEnvelope> for OutgoingEnvelope {
    fn from(e: bleep::OutgoingEnvelope) -> Self {
        OutgoingEnvelope {
            to: DeviceAddress::from_core(&e.to),
            id: e.id.0.to_vec(),
            envelope: e.envelope,
        }
    }
}

pub(crate) fn envelopes(list: Vec<bleep::OutgoingEnvelope>) -> Vec<OutgoingEnvelope> {
    list.into_iter().map(OutgoingEnvelope::from).collect()
}

/// A device that a send skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NotSent {
    /// The device.
    pub to: DeviceAddress,
    /// Why (usually a trust failure: unverified, key changed, revoked).
    pub failure: Failure,
}

pub(crate) fn not_sent(list: Vec<(bleep::DeviceAddress, bleep::Error)>) -> Vec<NotSent> {
    list.into_iter()
        .map(|(a, e)| NotSent {
            to: DeviceAddress::from_core(&a),
            failure: e.into(),
        })
        .collect()
}

/// What a send did, already committed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Sent {
    /// Hand each to the transport.
    pub envelopes: Vec<OutgoingEnvelope>,
    /// Devices skipped, and why.
    pub not_sent: Vec<NotSent>,
}

impl From<bleep::Sent> for Sent {
    fn from(s: bleep::Sent) -> Self {
        Sent {
            envelopes: envelopes(s.envelopes),
            not_sent: not_sent(s.not_sent),
        }
    }
}

/// Whether a session reset was started after an undecryptable message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ResetStatus {
    /// A new session was started; its first message is in the replies.
    Started,
    /// A reset towards this device was started recently.
    RateLimited,
    /// No bundle is held: fetch one, add it, and hand the envelope in again.
    NeedBundle,
    /// The bundle's identity is not accepted by the trust policy now.
    Untrusted {
        /// The core's `TrustError` variant.
        reason: String,
    },
    /// A status added to the core after this binding was written.
    Other,
}

impl From<bleep::ResetStatus> for ResetStatus {
    fn from(r: bleep::ResetStatus) -> Self {
        match r {
            bleep::ResetStatus::Started => ResetStatus::Started,
            bleep::ResetStatus::RateLimited => ResetStatus::RateLimited,
            bleep::ResetStatus::NeedBundle => ResetStatus::NeedBundle,
            bleep::ResetStatus::Untrusted(e) => ResetStatus::Untrusted {
                reason: format!("{e:?}"),
            },
            _ => ResetStatus::Other,
        }
    }
}

/// What one received envelope meant (see the core's `Event`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Event {
    /// A new message, now in the vault: show it (`BleepDevice.message`).
    Message {
        /// The sending device.
        from: DeviceAddress,
        /// Its 48-byte handle in the vault.
        message: Vec<u8>,
        /// Its metadata.
        info: MessageInfo,
    },
    /// Delivered before (a re-delivery or a replay): show nothing.
    Duplicate {
        /// The sending device.
        from: DeviceAddress,
    },
    /// The peer received these messages of ours.
    Delivered {
        /// The peer device.
        from: DeviceAddress,
        /// Ids from `OutgoingEnvelope.id`.
        ids: Vec<Vec<u8>>,
    },
    /// The peer's clinician has seen these messages of ours.
    Read {
        /// The peer device.
        from: DeviceAddress,
        /// Ids from `OutgoingEnvelope.id`.
        ids: Vec<Vec<u8>>,
    },
    /// The peer filed these messages of ours and erased them.
    Filed {
        /// The peer device.
        from: DeviceAddress,
        /// Ids from `OutgoingEnvelope.id`.
        ids: Vec<Vec<u8>>,
    },
    /// The peer started a new session: offer to send these again.
    SessionReset {
        /// The peer device.
        from: DeviceAddress,
        /// Messages sent to it without a delivery receipt.
        may_be_unread: Vec<Vec<u8>>,
    },
    /// The peer refused the prekey our first messages used: send these
    /// again (they go on the new session).
    PreKeyRefused {
        /// The peer device.
        from: DeviceAddress,
        /// Messages sent to it without a delivery receipt.
        may_be_unread: Vec<Vec<u8>>,
    },
    /// A group roster, sender key or group message, already applied.
    Group {
        /// What happened in the group.
        event: GroupEvent,
    },
    /// A content type from a newer version of bleep: ask for an update.
    UnknownContent {
        /// The sending device.
        from: DeviceAddress,
        /// The message id.
        id: Vec<u8>,
        /// The framing version byte.
        version: u8,
        /// The content type byte.
        content_type: u8,
    },
    /// The device presented a different identity key and proved it holds
    /// it: nothing was shown; show `BleepDevice.key_change` and verify again.
    KeyChanged {
        /// The device.
        from: DeviceAddress,
    },
    /// The trust policy does not accept the device now: nothing decrypted.
    Untrusted {
        /// The device.
        from: DeviceAddress,
        /// The core's `TrustError` variant (`Unverified`,
        /// `AttestationRevoked`, ...).
        reason: String,
    },
    /// The message had expired when it arrived: not shown.
    Expired {
        /// The sending device.
        from: DeviceAddress,
    },
    /// No session could decrypt it: tell the clinician a message from this
    /// device could not be read.
    Undecryptable {
        /// The sending device.
        from: DeviceAddress,
        /// Whether a new session was started.
        reset: ResetStatus,
        /// Messages the peer may not have read.
        may_be_unread: Vec<Vec<u8>>,
    },
    /// An event added to the core after this binding was written.
    Other,
}

fn trust_reason(e: &bleep::TrustError) -> String {
    format!("{e:?}")
}

impl From<bleep::Event> for Event {
    fn from(e: bleep::Event) -> Self {
        use bleep::Event as E;
        let a = |a: &bleep::DeviceAddress| DeviceAddress::from_core(a);
        match e {
            E::Message {
                from,
                message,
                info,
            } => Event::Message {
                from: a(&from),
                message: message.to_bytes().to_vec(),
                info: (&info).into(),
            },
            E::Duplicate { from } => Event::Duplicate { from: a(&from) },
            E::Delivered { from, ids: i } => Event::Delivered {
                from: a(&from),
                ids: ids(&i),
            },
            E::Read { from, ids: i } => Event::Read {
                from: a(&from),
                ids: ids(&i),
            },
            E::Filed { from, ids: i } => Event::Filed {
                from: a(&from),
                ids: ids(&i),
            },
            E::SessionReset {
                from,
                may_be_unread,
            } => Event::SessionReset {
                from: a(&from),
                may_be_unread: ids(&may_be_unread),
            },
            E::PreKeyRefused {
                from,
                may_be_unread,
            } => Event::PreKeyRefused {
                from: a(&from),
                may_be_unread: ids(&may_be_unread),
            },
            E::Group(g) => Event::Group { event: g.into() },
            E::UnknownContent {
                from,
                id,
                version,
                content_type,
            } => Event::UnknownContent {
                from: a(&from),
                id: id.0.to_vec(),
                version,
                content_type,
            },
            E::KeyChanged { from } => Event::KeyChanged { from: a(&from) },
            E::Untrusted { from, reason } => Event::Untrusted {
                from: a(&from),
                reason: trust_reason(&reason),
            },
            E::Expired { from } => Event::Expired { from: a(&from) },
            E::Undecryptable {
                from,
                reset,
                may_be_unread,
            } => Event::Undecryptable {
                from: a(&from),
                reset: reset.into(),
                may_be_unread: ids(&may_be_unread),
            },
            _ => Event::Other,
        }
    }
}

/// What happened in a group, from one received envelope (see the core's
/// `GroupEvent`). Group ids are 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum GroupEvent {
    /// The coordinator added this device to a new group.
    Joined {
        /// The group.
        group: Vec<u8>,
        /// The coordinator's device.
        from: DeviceAddress,
        /// The roster version.
        version: u64,
        /// Members, this device and the coordinator included.
        members: u64,
    },
    /// The coordinator changed the roster.
    Changed {
        /// The group.
        group: Vec<u8>,
        /// The coordinator's device.
        from: DeviceAddress,
        /// The roster version now.
        version: u64,
        /// Devices added (those this device knows).
        added: Vec<DeviceAddress>,
        /// Devices removed (those this device knew).
        removed: Vec<DeviceAddress>,
        /// Devices whose identity key the roster replaced: verify again.
        key_changed: Vec<DeviceAddress>,
        /// Whether every sender key was rotated.
        rotated: bool,
    },
    /// The coordinator removed this device from the group.
    Removed {
        /// The group.
        group: Vec<u8>,
        /// The coordinator's device.
        from: DeviceAddress,
    },
    /// A member's sender key was installed.
    KeyInstalled {
        /// The group.
        group: Vec<u8>,
        /// The member's device.
        from: DeviceAddress,
    },
    /// A sender key arrived before its roster and is kept until it comes.
    KeyPending {
        /// The group.
        group: Vec<u8>,
        /// The member's device.
        from: DeviceAddress,
    },
    /// A roster or sender key was refused: nothing changed.
    Refused {
        /// The group it named.
        group: Vec<u8>,
        /// The device it came from.
        from: DeviceAddress,
        /// Why.
        failure: Failure,
    },
    /// A new group message, now in the vault.
    Message {
        /// The group.
        group: Vec<u8>,
        /// The sending member's device.
        from: DeviceAddress,
        /// Its 48-byte handle in the vault.
        message: Vec<u8>,
        /// Its metadata.
        info: MessageInfo,
    },
    /// A group message arrived before its sender's key: the device keeps it
    /// and shows it when the key arrives (in `Received.released`).
    MessageWaiting {
        /// The group.
        group: Vec<u8>,
        /// The device it came from.
        from: DeviceAddress,
        /// Waiting messages dropped to make room: tell the clinician a
        /// group message from each could not be read.
        evicted: Vec<DroppedGroupMessage>,
    },
    /// A group message that waited for its sender's key was dropped
    /// without being shown: tell the clinician it could not be read.
    WaitingDropped {
        /// Which message and why.
        dropped: DroppedGroupMessage,
    },
    /// A group message that cannot be read yet or any more: nothing changed.
    Undecryptable {
        /// The group it named.
        group: Vec<u8>,
        /// The device the transport says sent it.
        from: DeviceAddress,
        /// Why.
        failure: Failure,
    },
    /// An event added to the core after this binding was written.
    Other,
}

impl From<bleep::GroupEvent> for GroupEvent {
    fn from(e: bleep::GroupEvent) -> Self {
        use bleep::GroupEvent as G;
        let a = |a: &bleep::DeviceAddress| DeviceAddress::from_core(a);
        match e {
            G::Joined {
                group,
                from,
                version,
                members,
                ..
            } => GroupEvent::Joined {
                group: group.0.to_vec(),
                from: a(&from),
                version,
                members: members as u64,
            },
            G::Changed {
                group,
                from,
                version,
                added,
                removed,
                key_changed,
                rotated,
                ..
            } => GroupEvent::Changed {
                group: group.0.to_vec(),
                from: a(&from),
                version,
                added: addresses(&added),
                removed: addresses(&removed),
                key_changed: addresses(&key_changed),
                rotated,
            },
            G::Removed { group, from } => GroupEvent::Removed {
                group: group.0.to_vec(),
                from: a(&from),
            },
            G::KeyInstalled { group, from } => GroupEvent::KeyInstalled {
                group: group.0.to_vec(),
                from: a(&from),
            },
            G::KeyPending { group, from, .. } => GroupEvent::KeyPending {
                group: group.0.to_vec(),
                from: a(&from),
            },
            G::Refused {
                group,
                from,
                reason,
            } => GroupEvent::Refused {
                group: group.0.to_vec(),
                from: a(&from),
                failure: reason.into(),
            },
            G::Message {
                group,
                from,
                message,
                info,
            } => GroupEvent::Message {
                group: group.0.to_vec(),
                from: a(&from),
                message: message.to_bytes().to_vec(),
                info: (&info).into(),
            },
            G::MessageWaiting {
                group,
                from,
                evicted,
            } => GroupEvent::MessageWaiting {
                group: group.0.to_vec(),
                from: a(&from),
                evicted: evicted.into_iter().map(Into::into).collect(),
            },
            G::WaitingDropped { dropped } => GroupEvent::WaitingDropped {
                dropped: dropped.into(),
            },
            G::Undecryptable {
                group,
                from,
                reason,
            } => GroupEvent::Undecryptable {
                group: group.0.to_vec(),
                from: a(&from),
                failure: reason.into(),
            },
            _ => GroupEvent::Other,
        }
    }
}

/// A group message that waited for its sender's key, dropped without
/// being shown.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DroppedGroupMessage {
    /// The group it named (16 bytes).
    pub group: Vec<u8>,
    /// The device it arrived from.
    pub from: DeviceAddress,
    /// When it arrived (seconds since the Unix epoch).
    pub arrived_at: u64,
    /// Why (`Limit("TooManyEntries")` when evicted to make room).
    pub failure: Failure,
}

impl From<bleep::DroppedGroupMessage> for DroppedGroupMessage {
    fn from(d: bleep::DroppedGroupMessage) -> Self {
        DroppedGroupMessage {
            group: d.group.0.to_vec(),
            from: DeviceAddress::from_core(&d.from),
            arrived_at: d.arrived_at,
            failure: d.reason.into(),
        }
    }
}

/// What a receive returned: the event and envelopes to send back (a
/// delivery receipt, a session reset), already committed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Received {
    /// What happened.
    pub event: Event,
    /// Hand each to the transport.
    pub replies: Vec<OutgoingEnvelope>,
    /// Group messages that waited for a sender key this envelope
    /// installed, each handled as if it had just arrived (show each
    /// `Group(Message)`), and waiting messages a roster made unreadable.
    /// Empty for most envelopes.
    pub released: Vec<Event>,
}

impl From<bleep::Received> for Received {
    fn from(r: bleep::Received) -> Self {
        Received {
            event: r.event.into(),
            replies: envelopes(r.replies),
            released: r.released.into_iter().map(Into::into).collect(),
        }
    }
}

/// One envelope of a batch handed to `BleepDevice.receive_batch`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IncomingEnvelope {
    /// The device the transport says sent it.
    pub from: DeviceAddress,
    /// The bytes received.
    pub envelope: Vec<u8>,
}

/// The result for one envelope of a batch.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BatchItem {
    /// Handled (and committed with the batch).
    Ok {
        /// What it meant.
        received: Received,
    },
    /// Refused, leaving no trace; the others still count.
    Err {
        /// Why.
        failure: Failure,
    },
}

/// What `BleepDevice.send_group` did, already committed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GroupSent {
    /// The 16-byte id members see.
    pub id: Vec<u8>,
    /// The group message: deliver the same bytes to every `deliver_to`
    /// device, which hands them to `BleepDevice.receive_group`.
    pub message: Vec<u8>,
    /// The member devices the trust policy accepts now.
    pub deliver_to: Vec<DeviceAddress>,
    /// Our sender key for members still owed it: deliver before `message`.
    pub distributions: Vec<OutgoingEnvelope>,
    /// Member devices the message must not be delivered to, and why.
    pub not_sent: Vec<NotSent>,
    /// How many members have no device known here.
    pub unknown_members: u64,
}

impl From<bleep::GroupSent> for GroupSent {
    fn from(g: bleep::GroupSent) -> Self {
        GroupSent {
            id: g.id.0.to_vec(),
            message: g.message,
            deliver_to: addresses(&g.deliver_to),
            distributions: envelopes(g.distributions),
            not_sent: not_sent(g.not_sent),
            unknown_members: g.unknown_members.len() as u64,
        }
    }
}

/// A new group and the envelopes that carry its roster and our sender key.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GroupCreated {
    /// The 16-byte group id.
    pub group: Vec<u8>,
    /// Hand each to the transport (roster before key, per member).
    pub sent: Sent,
}

/// A received message waiting to be filed: metadata only.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AwaitingFiling {
    /// Its 48-byte handle in the vault.
    pub message: Vec<u8>,
    /// When it was received (unix seconds).
    pub received_at: u64,
    /// How long it has waited, in seconds.
    pub age_secs: u64,
    /// When the sender sent it.
    pub sent_at: u64,
    /// When it expires, if the sender set an expiry.
    pub expires_at: Option<u64>,
    /// The sender flagged it as containing patient data.
    pub contains_patient_data: bool,
}

impl From<bleep::AwaitingFiling> for AwaitingFiling {
    fn from(a: bleep::AwaitingFiling) -> Self {
        AwaitingFiling {
            message: a.message.to_bytes().to_vec(),
            received_at: a.received_at,
            age_secs: a.age_secs,
            sent_at: a.sent_at,
            expires_at: a.expires_at,
            contains_patient_data: a.contains_patient_data,
        }
    }
}

/// How strictly the trust store accepts identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TrustPolicy {
    /// Only identities verified in person or by attestation (NHS default).
    RequireVerified,
    /// The first key seen is accepted; changes need re-verification or an
    /// acknowledgement.
    TrustOnFirstUse,
}

impl From<TrustPolicy> for bleep::TrustPolicy {
    fn from(p: TrustPolicy) -> Self {
        match p {
            TrustPolicy::RequireVerified => bleep::TrustPolicy::RequireVerified,
            TrustPolicy::TrustOnFirstUse => bleep::TrustPolicy::TrustOnFirstUse,
        }
    }
}

/// How an identity came to be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VerificationMethod {
    /// Both clinicians compared safety numbers.
    SafetyNumber,
    /// One phone scanned the other's QR code.
    QrCode,
    /// A trusted organisation attested the key.
    Attestation,
    /// Accepted on first use, without verification.
    FirstUse,
    /// A method added to the core after this binding was written.
    Other,
}

impl From<bleep::VerificationMethod> for VerificationMethod {
    fn from(m: bleep::VerificationMethod) -> Self {
        match m {
            bleep::VerificationMethod::SafetyNumber => VerificationMethod::SafetyNumber,
            bleep::VerificationMethod::QrCode => VerificationMethod::QrCode,
            bleep::VerificationMethod::Attestation => VerificationMethod::Attestation,
            bleep::VerificationMethod::FirstUse => VerificationMethod::FirstUse,
            _ => VerificationMethod::Other,
        }
    }
}

/// How and when a peer's current key was accepted.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Verification {
    /// How.
    pub method: VerificationMethod,
    /// When (unix seconds).
    pub verified_at: u64,
    /// The attestation's serial, for attestation trust.
    pub attestation_serial: Option<u64>,
}

impl From<&bleep::Verification> for Verification {
    fn from(v: &bleep::Verification) -> Self {
        Verification {
            method: v.method().into(),
            verified_at: v.verified_at(),
            attestation_serial: v.attestation().map(|a| a.serial()),
        }
    }
}

/// A key change the trust store recorded, to show to the clinician.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeyChange {
    /// The identity key on record before (public).
    pub old_key: Vec<u8>,
    /// The identity key presented now (public).
    pub new_key: Vec<u8>,
    /// How the old key had been verified, if it had.
    pub previous_verification: Option<Verification>,
    /// When the change was seen (unix seconds).
    pub detected_at: u64,
}

impl From<&bleep::KeyChange> for KeyChange {
    fn from(k: &bleep::KeyChange) -> Self {
        KeyChange {
            old_key: k.old_key().to_bytes().to_vec(),
            new_key: k.new_key().to_bytes().to_vec(),
            previous_verification: k.previous_verification().map(Verification::from),
            detected_at: k.detected_at(),
        }
    }
}

/// The safety number of this device and a peer device: digits to compare
/// in person and the QR payload to show for the peer to scan.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SafetyNumber {
    /// The digits, grouped for reading aloud.
    pub digits: String,
    /// The bytes to render as a QR code.
    pub qr_payload: Vec<u8>,
}

impl From<&bleep::SafetyNumber> for SafetyNumber {
    fn from(s: &bleep::SafetyNumber) -> Self {
        SafetyNumber {
            digits: s.digits(),
            qr_payload: s.qr_payload().to_bytes().to_vec(),
        }
    }
}

/// Why the app's record system refused a message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum RecordRefused {
    /// The record system said no; the message stays in the vault.
    Refused,
    /// The foreign callback failed unexpectedly (an uncaught exception).
    Unexpected,
}

impl core::fmt::Display for RecordRefused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RecordRefused::Refused => "the record system refused the message",
            RecordRefused::Unexpected => "the record system failed unexpectedly",
        })
    }
}

impl std::error::Error for RecordRefused {}

impl From<uniffi::UnexpectedUniFFICallbackError> for RecordRefused {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        RecordRefused::Unexpected
    }
}

/// The app's record system (an EPR), called by
/// `BleepDevice.file_to_record` while the device holds the message.
#[uniffi::export(callback_interface)]
pub trait RecordSystem: Send + Sync {
    /// Files one message. `body` is a copy of the plaintext: drop it once
    /// filed. Return normally to have the device erase its copy; raise
    /// `RecordRefused` to keep it.
    fn file(
        &self,
        message: Vec<u8>,
        info: MessageInfo,
        body: Vec<u8>,
    ) -> core::result::Result<(), RecordRefused>;
}
