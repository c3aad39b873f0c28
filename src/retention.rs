//! Received messages until they are filed to the medical record, then
//! erased.
//!
//! NHS guidance asks that the original message be deleted once its content
//! is in the medical record. A [`MessageVault`] holds each received
//! plaintext in a zeroizing buffer, keyed by its [`MessageId`], until
//! [`MessageVault::file_to_record`] has handed it to the app's record system
//! (then it is erased), the sender's expiry passes
//! ([`MessageVault::purge_expired`]) or the app erases it. It reports what
//! is still waiting to be filed ([`MessageVault::awaiting_filing`]) without
//! any content, so the app can remind the clinician. It remembers the ids
//! of recently handled messages, so a message delivered again after a crash
//! or a restored backup is recognised and not shown twice.
//!
//! Where it ends: erasing wipes this process's copy only. Copies the app
//! made (a rendered screen, a notification, the record system itself) are
//! the app's to manage, and a sealed vault saved earlier still holds the
//! message until it is overwritten. Seal the vault at rest with
//! [`crate::StorageKey::seal`].
//!
//! ```
//! use bleep::*;
//! # fn demo(received: ReceivedMessage) -> Result<()> {
//! let mut vault = MessageVault::new();
//! let id = received.message_ref(); // (sender, id): ids are the sender's choice
//! assert_eq!(vault.insert(received, 1_700_000_100)?, Stored::New);
//! assert_eq!(vault.awaiting_filing(1_700_000_400)[0].age_secs, 300);
//! let filed = vault.file_to_record(&id, |info, body| {
//!     // Write `body.expose()` into the patient's record here.
//!     Ok::<_, ()>(body.len())
//! });
//! assert!(filed.is_ok());
//! assert!(vault.awaiting_filing(1_700_000_500).is_empty());
//! # Ok(()) }
//! ```

use crate::error::{DecodeError, LimitError, ProtocolError, Result};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey};
use crate::limits::{MAX_BODY_LEN, MAX_VAULT_HANDLED_IDS, MAX_VAULT_MESSAGES};
use crate::secret::Plaintext;
use crate::wire::codec::{Reader, len_u16, len_u32};
use crate::wire::payload::{MessageId, MessageInfo, ReceivedMessage};
use core::fmt;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use zeroize::Zeroizing;

/// Version byte of the vault's state encoding. Version 2 records each
/// message's sender and de-duplicates on (sender, id); a version-1 vault
/// (no senders) is refused with [`DecodeError::UnknownVersion`].
const VAULT_VERSION: u8 = 2;
const FLAG_PATIENT_DATA: u8 = 0b01;
const FLAG_EXPIRES: u8 = 0b10;
/// Bytes of one stored message before its body.
const ENTRY_HEADER_LEN: usize = IDENTITY_KEY_LEN + 16 + 8 + 1 + 8 + 8 + 4;
/// Bytes of one remembered (handled) message: sender key and id.
const HANDLED_LEN: usize = 32 + 16;

/// Names one received message: its sender's identity (Ed25519 key) and the
/// id the sender chose. Two senders may choose the same id; the pair is
/// unique, so the vault de-duplicates on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageRef {
    sender: [u8; 32],
    id: MessageId,
}

impl MessageRef {
    /// `sender Ed25519 key (32) || id (16)`: a handle an app (or a
    /// binding) can keep outside the device and give back to
    /// [`MessageRef::from_bytes`]. Not secret, but it names who sent what.
    pub fn to_bytes(self) -> [u8; HANDLED_LEN] {
        let mut out = [0u8; HANDLED_LEN];
        out[..32].copy_from_slice(&self.sender);
        out[32..].copy_from_slice(&self.id.0);
        out
    }

    /// Parses [`MessageRef::to_bytes`] output.
    ///
    /// Errors: [`crate::DecodeError::Truncated`] or
    /// [`crate::DecodeError::TrailingBytes`] for any length but 48.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let out = Self::read(&mut r)?;
        r.finish()?;
        Ok(out)
    }

    /// Reads [`MessageRef::to_bytes`] output.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        Ok(MessageRef {
            sender: r.array()?,
            id: MessageId(r.array()?),
        })
    }

    /// The reference to message `id` from `sender`.
    pub fn new(sender: &IdentityKey, id: MessageId) -> Self {
        MessageRef {
            sender: *sender.ed25519_bytes(),
            id,
        }
    }

    /// The sender-chosen id.
    pub fn id(&self) -> MessageId {
        self.id
    }

    /// Whether `key` is the sender.
    pub fn is_from(&self, key: &IdentityKey) -> bool {
        self.sender == *key.ed25519_bytes()
    }
}

impl ReceivedMessage {
    /// The (sender, id) pair that names this message in a [`MessageVault`].
    pub fn message_ref(&self) -> MessageRef {
        MessageRef::new(&self.sender, self.info.id)
    }
}

struct Entry {
    sender: IdentityKey,
    info: MessageInfo,
    body: Plaintext,
    received_at: u64,
}

/// What [`MessageVault::insert`] did with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stored {
    /// A new message: show it.
    New,
    /// The same sender's message with this id is already in the vault or
    /// was recently filed, erased or purged: it was delivered before, so do
    /// not show it again. The copy passed in has been erased. (Another
    /// sender's message with the same id is a different message.)
    Duplicate,
}

/// One message waiting to be filed: metadata only, never content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AwaitingFiling {
    /// The message: its sender and id.
    pub message: MessageRef,
    /// When it was received (unix seconds).
    pub received_at: u64,
    /// How long it has waited, in seconds, at the time of the report.
    pub age_secs: u64,
    /// When the sender sent it.
    pub sent_at: u64,
    /// When it expires, if the sender set an expiry.
    pub expires_at: Option<u64>,
    /// The sender flagged it as containing patient data.
    pub contains_patient_data: bool,
}

/// Why [`MessageVault::file_to_record`] did not file a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileError<E> {
    /// No message with this id is in the vault (already filed, erased,
    /// purged, or never received).
    NotFound,
    /// The app's record system refused it; the message is still held.
    Record(E),
}

impl<E: fmt::Display> fmt::Display for FileError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::NotFound => f.write_str("message not in the vault"),
            FileError::Record(e) => write!(f, "record system refused the message: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for FileError<E> {}

/// Received plaintexts awaiting filing, in zeroizing storage.
///
/// Bounded by [`MAX_VAULT_MESSAGES`] messages; the ids of the last
/// [`MAX_VAULT_HANDLED_IDS`] handled messages are remembered for
/// de-duplication. `Debug` prints only counts.
#[derive(Default)]
pub struct MessageVault {
    messages: BTreeMap<MessageRef, Entry>,
    /// Filed, erased or purged messages, oldest first.
    handled: VecDeque<MessageRef>,
    /// The same ids, to look up without a walk of the queue.
    handled_set: BTreeSet<MessageRef>,
    /// How many messages were ever handled: the last in `handled` is
    /// number `handled_total - 1` (the device store names rows by it).
    handled_total: u64,
}

impl MessageVault {
    /// An empty vault.
    pub fn new() -> Self {
        MessageVault::default()
    }

    /// Stores a received message at `now` (unix seconds).
    ///
    /// A message from the same sender with the same id that is held or was
    /// recently handled is a [`Stored::Duplicate`]: it is dropped (and erased), and the vault is
    /// unchanged. Errors, with the vault unchanged:
    /// [`ProtocolError::Expired`] if its expiry is at or before `now`;
    /// [`LimitError::TooManyEntries`] if [`MAX_VAULT_MESSAGES`] are held
    /// (file or erase some, then let the transport deliver it again).
    pub fn insert(&mut self, message: ReceivedMessage, now: u64) -> Result<Stored> {
        let id = message.message_ref();
        if self.messages.contains_key(&id) || self.handled_set.contains(&id) {
            return Ok(Stored::Duplicate);
        }
        if message.info.expires_at.is_some_and(|at| at <= now) {
            return Err(ProtocolError::Expired.into());
        }
        if self.messages.len() >= MAX_VAULT_MESSAGES {
            return Err(LimitError::TooManyEntries.into());
        }
        self.messages.insert(
            id,
            Entry {
                sender: message.sender,
                info: message.info,
                body: message.body,
                received_at: now,
            },
        );
        Ok(Stored::New)
    }

    /// Whether the message is held.
    pub fn contains(&self, id: &MessageRef) -> bool {
        self.messages.contains_key(id)
    }

    /// A held message that has not expired at `now`, to show.
    pub fn message(&self, id: &MessageRef, now: u64) -> Option<(&MessageInfo, &Plaintext)> {
        self.messages
            .get(id)
            .filter(|e| e.info.expires_at.is_none_or(|at| at > now))
            .map(|e| (&e.info, &e.body))
    }

    /// The full identity key of a held message's sender, to show who sent
    /// it.
    pub fn sender(&self, id: &MessageRef) -> Option<&IdentityKey> {
        self.messages.get(id).map(|e| &e.sender)
    }

    /// How many messages are held.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether no message is held.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Hands the message to the app's record system (`record`), and erases
    /// it only if `record` succeeds. On failure the message stays held and
    /// the app's error is returned in [`FileError::Record`].
    pub fn file_to_record<T, E>(
        &mut self,
        id: &MessageRef,
        record: impl FnOnce(&MessageInfo, &Plaintext) -> core::result::Result<T, E>,
    ) -> core::result::Result<T, FileError<E>> {
        let entry = self.messages.get(id).ok_or(FileError::NotFound)?;
        let out = record(&entry.info, &entry.body).map_err(FileError::Record)?;
        self.forget(id);
        Ok(out)
    }

    /// Erases a message without filing it (for example one the clinician
    /// marked as not needing a record). Returns whether it was held.
    pub fn erase(&mut self, id: &MessageRef) -> bool {
        self.forget(id)
    }

    /// Erases every message whose expiry is at or before `now`, returning
    /// which.
    pub fn purge_expired(&mut self, now: u64) -> Vec<MessageRef> {
        let expired: Vec<MessageRef> = self
            .messages
            .iter()
            .filter(|(_, e)| e.info.expires_at.is_some_and(|at| at <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in &expired {
            self.forget(id);
        }
        expired
    }

    /// The messages still waiting to be filed at `now`, oldest first:
    /// ids, ages and flags, no content.
    pub fn awaiting_filing(&self, now: u64) -> Vec<AwaitingFiling> {
        let mut out: Vec<AwaitingFiling> = self
            .messages
            .iter()
            .map(|(id, e)| AwaitingFiling {
                message: *id,
                received_at: e.received_at,
                age_secs: now.saturating_sub(e.received_at),
                sent_at: e.info.sent_at,
                expires_at: e.info.expires_at,
                contains_patient_data: e.info.contains_patient_data,
            })
            .collect();
        out.sort_by_key(|a| (a.received_at, a.message));
        out
    }

    /// Removes (erasing) a held message and remembers its id.
    fn forget(&mut self, id: &MessageRef) -> bool {
        if self.messages.remove(id).is_none() {
            return false;
        }
        self.handled.push_back(*id);
        self.handled_set.insert(*id);
        self.handled_total = self.handled_total.wrapping_add(1);
        while self.handled.len() > MAX_VAULT_HANDLED_IDS {
            if let Some(old) = self.handled.pop_front() {
                self.handled_set.remove(&old);
            }
        }
        true
    }

    /// How many messages were ever handled (filed, erased or purged).
    pub(crate) fn handled_total(&self) -> u64 {
        self.handled_total
    }

    /// The remembered handled ids numbered `from` or later, with their
    /// numbers, oldest first.
    pub(crate) fn handled_since(&self, from: u64) -> impl Iterator<Item = (u64, &MessageRef)> {
        let first = self.handled_total.wrapping_sub(self.handled.len() as u64);
        let skip = from.saturating_sub(first);
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        self.handled
            .iter()
            .enumerate()
            .skip(skip)
            .map(move |(i, id)| (first.wrapping_add(i as u64), id))
    }

    /// Encodes one held message, as in [`MessageVault::encode`] (secret).
    pub(crate) fn encode_message(&self, id: &MessageRef) -> Option<Zeroizing<Vec<u8>>> {
        let e = self.messages.get(id)?;
        let mut out = Zeroizing::new(Vec::with_capacity(ENTRY_HEADER_LEN + e.body.len()));
        encode_entry(&mut out, id, e);
        Some(out)
    }

    /// Decodes one [`MessageVault::encode_message`] output and holds it.
    /// Errors: malformed bytes; [`DecodeError::NonCanonical`] if it is
    /// already held; [`LimitError::TooManyEntries`] beyond the bound.
    pub(crate) fn restore_message(&mut self, bytes: &[u8]) -> Result<MessageRef> {
        let mut r = Reader::new(bytes);
        let (id, entry) = decode_entry(&mut r)?;
        r.finish()?;
        if self.messages.contains_key(&id) {
            return Err(DecodeError::NonCanonical.into());
        }
        if self.messages.len() >= MAX_VAULT_MESSAGES {
            return Err(LimitError::TooManyEntries.into());
        }
        self.messages.insert(id, entry);
        Ok(id)
    }

    /// Sets the remembered handled ids (oldest first) and their count
    /// ever, after every held message was restored. Errors:
    /// [`DecodeError::NonCanonical`] for an id held or listed twice, more
    /// ids than remembered, or a count below the list.
    pub(crate) fn restore_handled(&mut self, ids: Vec<MessageRef>, total: u64) -> Result<()> {
        if ids.len() > MAX_VAULT_HANDLED_IDS || (ids.len() as u64) > total {
            return Err(DecodeError::NonCanonical.into());
        }
        let mut set = BTreeSet::new();
        for id in &ids {
            if self.messages.contains_key(id) || !set.insert(*id) {
                return Err(DecodeError::NonCanonical.into());
            }
        }
        self.handled = ids.into();
        self.handled_set = set;
        self.handled_total = total;
        Ok(())
    }

    /// Encodes the vault (secret: seal it before it leaves memory).
    ///
    /// `0x02 || count (2) || [sender identity key (129) || id (16) ||
    /// received_at (8) || flags (1) || sent_at (8) || expires_at (8) || body
    /// length (4) || body]... || handled count (2) || [sender Ed25519 key
    /// (32) || id (16)]...`; messages by increasing (sender Ed25519 key,
    /// id), handled ones oldest first. The buffer is sized exactly up front.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let len = 1
            + 2
            + self
                .messages
                .values()
                .map(|e| ENTRY_HEADER_LEN + e.body.len())
                .sum::<usize>()
            + 2
            + HANDLED_LEN * self.handled.len();
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.push(VAULT_VERSION);
        out.extend_from_slice(&len_u16(self.messages.len()));
        for (id, e) in &self.messages {
            encode_entry(&mut out, id, e);
        }
        out.extend_from_slice(&len_u16(self.handled.len()));
        for id in &self.handled {
            out.extend_from_slice(&id.sender);
            out.extend_from_slice(&id.id.0);
        }
        out
    }

    /// Decodes [`MessageVault::encode`] output, checking every bound and
    /// that the encoding is canonical (ids increasing, no id both held and
    /// handled or handled twice, flags and unused expiry zero).
    pub(crate) fn decode(bytes: &[u8]) -> Result<MessageVault> {
        let mut r = Reader::new(bytes);
        if r.u8()? != VAULT_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let n = r.count_u16(MAX_VAULT_MESSAGES, ENTRY_HEADER_LEN)?;
        let mut messages = BTreeMap::new();
        let mut last: Option<MessageRef> = None;
        for _ in 0..n {
            let (id, entry) = decode_entry(&mut r)?;
            if last.is_some_and(|l| id <= l) {
                return Err(DecodeError::NonCanonical.into());
            }
            last = Some(id);
            messages.insert(id, entry);
        }
        let n_handled = r.count_u16(MAX_VAULT_HANDLED_IDS, HANDLED_LEN)?;
        let mut handled = VecDeque::with_capacity(n_handled);
        let mut seen = BTreeSet::new();
        for _ in 0..n_handled {
            let id = MessageRef::read(&mut r)?;
            if messages.contains_key(&id) || !seen.insert(id) {
                return Err(DecodeError::NonCanonical.into());
            }
            handled.push_back(id);
        }
        r.finish()?;
        let handled_total = handled.len() as u64;
        Ok(MessageVault {
            messages,
            handled,
            handled_set: seen,
            handled_total,
        })
    }
}

/// `sender identity key (129) || id (16) || received_at (8) || flags (1)
/// || sent_at (8) || expires_at (8) || body length (4) || body`.
fn encode_entry(out: &mut Vec<u8>, id: &MessageRef, e: &Entry) {
    let mut flags = 0;
    if e.info.contains_patient_data {
        flags |= FLAG_PATIENT_DATA;
    }
    if e.info.expires_at.is_some() {
        flags |= FLAG_EXPIRES;
    }
    out.extend_from_slice(&e.sender.to_bytes());
    out.extend_from_slice(&id.id.0);
    out.extend_from_slice(&e.received_at.to_be_bytes());
    out.push(flags);
    out.extend_from_slice(&e.info.sent_at.to_be_bytes());
    out.extend_from_slice(&e.info.expires_at.unwrap_or(0).to_be_bytes());
    out.extend_from_slice(&len_u32(e.body.len()));
    out.extend_from_slice(e.body.expose());
}

/// Reads one [`encode_entry`] output, checking flags and the body bound.
fn decode_entry(r: &mut Reader<'_>) -> Result<(MessageRef, Entry)> {
    let sender = IdentityKey::read(r)?;
    let id = MessageRef::new(&sender, MessageId(r.array()?));
    let received_at = r.u64()?;
    let flags = r.u8()?;
    if flags & !(FLAG_PATIENT_DATA | FLAG_EXPIRES) != 0 {
        return Err(DecodeError::NonCanonical.into());
    }
    let sent_at = r.u64()?;
    let expires = r.u64()?;
    if flags & FLAG_EXPIRES == 0 && expires != 0 {
        return Err(DecodeError::NonCanonical.into());
    }
    let body = Plaintext::from_slice(r.bytes_u32(MAX_BODY_LEN)?);
    let info = MessageInfo {
        id: id.id,
        sent_at,
        expires_at: (flags & FLAG_EXPIRES != 0).then_some(expires),
        contains_patient_data: flags & FLAG_PATIENT_DATA != 0,
    };
    Ok((
        id,
        Entry {
            sender,
            info,
            body,
            received_at,
        },
    ))
}

impl fmt::Debug for MessageVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageVault")
            .field("messages", &self.messages.len())
            .field("handled_ids", &self.handled.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn sender() -> IdentityKey {
        crate::IdentityKeyPair::from_seed_bytes([5; 32])
            .public()
            .clone()
    }

    /// The vault's name for message `id` from [`sender`].
    fn r(id: [u8; 16]) -> MessageRef {
        MessageRef::new(&sender(), MessageId(id))
    }

    #[test]
    fn message_ref_bytes_round_trip_and_reject_other_lengths() {
        let m = r([9; 16]);
        let b = m.to_bytes();
        assert_eq!(MessageRef::from_bytes(&b).unwrap(), m);
        assert!(matches!(
            MessageRef::from_bytes(&b[..47]),
            Err(Error::Decode(crate::DecodeError::Truncated))
        ));
        let mut long = b.to_vec();
        long.push(0);
        assert!(matches!(
            MessageRef::from_bytes(&long),
            Err(Error::Decode(crate::DecodeError::TrailingBytes))
        ));
    }

    fn msg(id: u8, body: &[u8], expires_at: Option<u64>, patient: bool) -> ReceivedMessage {
        ReceivedMessage {
            sender: sender(),
            info: MessageInfo {
                id: MessageId([id; 16]),
                sent_at: 90,
                expires_at,
                contains_patient_data: patient,
            },
            body: Plaintext::from_slice(body),
        }
    }

    #[test]
    fn insert_dedups_and_refuses_expired() {
        let mut v = MessageVault::new();
        assert_eq!(
            v.insert(msg(1, b"a", None, false), 100).unwrap(),
            Stored::New
        );
        assert_eq!(
            v.insert(msg(1, b"other", None, false), 101).unwrap(),
            Stored::Duplicate
        );
        assert_eq!(v.message(&r([1; 16]), 102).unwrap().1.expose(), b"a");
        assert_eq!(
            v.insert(msg(2, b"b", Some(100), false), 100).unwrap_err(),
            Error::Protocol(ProtocolError::Expired)
        );
        assert_eq!(v.len(), 1);
        // Handled ids are remembered.
        assert!(v.erase(&r([1; 16])));
        assert!(!v.erase(&r([1; 16])));
        assert_eq!(
            v.insert(msg(1, b"a", None, false), 103).unwrap(),
            Stored::Duplicate
        );
        assert!(v.is_empty());
    }

    #[test]
    fn size_is_bounded_at_the_limit() {
        let mut v = MessageVault::new();
        for i in 0..MAX_VAULT_MESSAGES {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let mut m = msg(0, b"x", None, false);
            m.info.id = MessageId(id);
            assert_eq!(v.insert(m, 1).unwrap(), Stored::New);
        }
        assert_eq!(v.len(), MAX_VAULT_MESSAGES);
        let before = v.encode();
        assert_eq!(
            v.insert(msg(0xff, b"y", None, false), 2).unwrap_err(),
            Error::Limit(LimitError::TooManyEntries)
        );
        assert_eq!(v.encode().as_slice(), before.as_slice());
        let back = MessageVault::decode(&before).unwrap();
        assert_eq!(back.len(), MAX_VAULT_MESSAGES);
    }

    #[test]
    fn handled_ids_are_bounded() {
        let mut v = MessageVault::new();
        for i in 0..=MAX_VAULT_HANDLED_IDS {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let mut m = msg(0, b"x", None, false);
            m.info.id = MessageId(id);
            v.insert(m, 1).unwrap();
            v.erase(&r(id));
        }
        assert_eq!(v.handled.len(), MAX_VAULT_HANDLED_IDS);
        // The oldest was forgotten, the newest remembered.
        assert_eq!(v.handled.front().unwrap().id.0[7], 1);
        let bytes = v.encode();
        assert_eq!(
            MessageVault::decode(&bytes).unwrap().encode().as_slice(),
            bytes.as_slice()
        );
    }

    #[test]
    fn filing_erases_only_on_success() {
        let mut v = MessageVault::new();
        v.insert(msg(3, b"K+ 6.1", None, true), 10).unwrap();
        let id = r([3; 16]);
        let r: core::result::Result<(), FileError<&str>> =
            v.file_to_record(&id, |_, _| Err("record system offline"));
        assert_eq!(r, Err(FileError::Record("record system offline")));
        assert!(v.contains(&id));
        let mut record = Vec::new();
        let r: core::result::Result<usize, FileError<()>> = v.file_to_record(&id, |info, body| {
            assert!(info.contains_patient_data);
            record.extend_from_slice(body.expose());
            Ok(body.len())
        });
        assert_eq!(r, Ok(6));
        assert_eq!(record, b"K+ 6.1");
        assert!(!v.contains(&id));
        let again: core::result::Result<(), FileError<()>> = v.file_to_record(&id, |_, _| Ok(()));
        assert_eq!(again, Err(FileError::NotFound));
        assert_eq!(
            FileError::<&str>::NotFound.to_string(),
            "message not in the vault"
        );
    }

    #[test]
    fn purge_and_report() {
        let mut v = MessageVault::new();
        v.insert(msg(1, b"a", Some(200), true), 100).unwrap();
        v.insert(msg(2, b"b", None, false), 50).unwrap();
        v.insert(msg(3, b"c", Some(300), false), 150).unwrap();
        let report = v.awaiting_filing(250);
        assert_eq!(report.len(), 3);
        assert_eq!(report[0].message, r([2; 16]));
        assert_eq!(report[0].age_secs, 200);
        assert_eq!(report[1].message, r([1; 16]));
        assert!(report[1].contains_patient_data);
        assert_eq!(report[1].expires_at, Some(200));
        assert!(v.message(&r([1; 16]), 200).is_none());
        assert!(v.message(&r([1; 16]), 199).is_some());
        assert_eq!(v.purge_expired(199), Vec::<MessageRef>::new());
        assert_eq!(v.purge_expired(200), vec![r([1; 16])]);
        assert_eq!(v.len(), 2);
        assert_eq!(v.purge_expired(1000), vec![r([3; 16])]);
        assert_eq!(v.awaiting_filing(1000).len(), 1);
    }

    #[test]
    fn encoding_round_trips_and_is_strict() {
        let mut v = MessageVault::new();
        v.insert(msg(1, b"NHS 943 476 5919", Some(500), true), 100)
            .unwrap();
        v.insert(msg(2, b"", None, false), 101).unwrap();
        v.insert(msg(3, b"gone", None, false), 102).unwrap();
        v.erase(&r([3; 16]));
        let bytes = v.encode();
        assert_eq!(bytes.capacity(), bytes.len());
        let back = MessageVault::decode(&bytes).unwrap();
        assert_eq!(back.encode().as_slice(), bytes.as_slice());
        assert_eq!(back.awaiting_filing(200), v.awaiting_filing(200));
        for cut in 0..bytes.len() {
            assert!(MessageVault::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(
            MessageVault::decode(&long).unwrap_err(),
            DecodeError::TrailingBytes.into()
        );
        for version in [1, VAULT_VERSION + 1] {
            let mut bad = bytes.to_vec();
            bad[0] = version;
            assert_eq!(
                MessageVault::decode(&bad).unwrap_err(),
                DecodeError::UnknownVersion.into()
            );
        }
        // Reserved flag bit.
        let mut bad = bytes.to_vec();
        bad[3 + IDENTITY_KEY_LEN + 24] |= 0x80;
        assert_eq!(
            MessageVault::decode(&bad).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        // A handled id that is also held.
        let mut bad = bytes.to_vec();
        let n = bad.len();
        bad[n - 16..].copy_from_slice(&[1; 16]);
        assert_eq!(
            MessageVault::decode(&bad).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        // A count promising more than the bytes hold.
        assert_eq!(
            MessageVault::decode(&[VAULT_VERSION, 0x03, 0xe8]).unwrap_err(),
            DecodeError::Truncated.into()
        );
    }

    #[test]
    fn restored_handled_ids_are_checked_against_their_count_and_bound() {
        let ids = |n: usize| -> Vec<MessageRef> {
            (0..n)
                .map(|i| {
                    let mut id = [0u8; 16];
                    id[..8].copy_from_slice(&(i as u64).to_be_bytes());
                    r(id)
                })
                .collect()
        };
        let mut v = MessageVault::new();
        // Two ids listed under a count of one ever handled: refused,
        // though the list is well within the bound.
        assert_eq!(
            v.restore_handled(ids(2), 1).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        // One id more than the vault remembers, under a count that would
        // allow it: refused.
        assert_eq!(
            v.restore_handled(ids(MAX_VAULT_HANDLED_IDS + 1), u64::MAX)
                .unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        // An id listed twice, or an id the vault still holds: refused.
        let twice = vec![ids(1)[0], ids(1)[0]];
        assert_eq!(
            v.restore_handled(twice, 2).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        let mut held = MessageVault::new();
        held.insert(msg(7, b"x", None, false), 1).unwrap();
        assert_eq!(
            held.restore_handled(vec![r([7; 16])], 1).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        assert!(held.handled.is_empty() && held.handled_total == 0);
        assert!(v.handled.is_empty() && v.handled_total == 0);
        // At the bound, with an equal count: taken.
        v.restore_handled(ids(MAX_VAULT_HANDLED_IDS), MAX_VAULT_HANDLED_IDS as u64)
            .unwrap();
        assert_eq!(v.handled.len(), MAX_VAULT_HANDLED_IDS);
        assert_eq!(v.handled_total, MAX_VAULT_HANDLED_IDS as u64);
    }

    #[test]
    fn debug_shows_no_content() {
        let mut v = MessageVault::new();
        v.insert(msg(1, b"NHS 943 476 5919", None, true), 1)
            .unwrap();
        let s = format!("{v:?}");
        assert_eq!(s, "MessageVault { messages: 1, handled_ids: 0 }");
        let r = format!("{:?}", v.awaiting_filing(5));
        assert!(!r.contains("943"));
    }
}
