//! The device's own sealed records: one per peer device and one for the
//! device's settings (`docs/PROTOCOL.md` §12.4).

use super::address::DeviceAddress;
use crate::error::{DecodeError, Result};
use crate::limits::{MAX_ARCHIVED_SESSIONS, MAX_UNCONFIRMED_SENT};
use crate::session::Session;
use crate::wire::codec::{Reader, put_bytes_u32};
use crate::wire::payload::MessageId;
use std::collections::VecDeque;
use zeroize::Zeroizing;

/// Version 2 keeps the bundle and the archived sessions in rows of their
/// own ([`encode_bundle`], [`encode_archive`]); version 3 adds the time of
/// the last session check; version 4 adds how many ids of the oldest
/// `sent/` row are confirmed, and is written. Versions 2 (no check sent
/// yet) and 3 (nothing confirmed in a row, which held one id) still open;
/// version 1 (both inline) is refused.
const PEER_RECORD_VERSION: u8 = 4;
const PEER_RECORD_VERSION_3: u8 = 3;
const PEER_RECORD_VERSION_2: u8 = 2;
const ARCHIVE_VERSION: u8 = 1;
const BUNDLE_VERSION: u8 = 1;
const SETTINGS_VERSION: u8 = 1;
/// Unconfirmed sent ids the peer record holds itself before they move to
/// `sent/` rows of their own: a send then seals no row but the record it
/// writes anyway, and the record stays small.
pub(crate) const MAX_INLINE_SENT: usize = 8;
/// Largest bundle kept for a peer (§3): version 3 listing every
/// implemented cipher suite, with the one one-time prekey of each kind that
/// a bundle from `add_peer_device` may keep (`handshake::bundle_to_keep`).
/// Exactly the length of such a bundle (tested).
const MAX_BUNDLE_BYTES: usize = 1
    + 129
    + 100
    + 2
    + 36
    + 2
    + 2 * crate::handshake::bundle::KEM_PREKEY_ENTRY_LEN
    + 1
    + crate::CipherSuite::ALL.len();
/// Largest encoded session: every skipped key on its own chain.
pub(crate) const MAX_SESSION_BYTES: usize = 1024 + 70 * crate::limits::MAX_SKIPPED_TOTAL;

/// What a device knows about one peer device.
pub(crate) struct PeerRecord {
    pub(crate) address: DeviceAddress,
    /// The last bundle the app gave for this device (verified when added),
    /// without its one-time prekey: used for session resets. Kept in a row
    /// of its own, written only when `bundle_changed`.
    pub(crate) bundle: Option<Vec<u8>>,
    /// The bundle changed since it was loaded or last committed.
    pub(crate) bundle_changed: bool,
    /// The session new messages are sent on.
    pub(crate) current: Option<Session>,
    /// Previous sessions, newest first, tried when `current` fails. Kept
    /// in a row of their own, written only when `archive_changed`.
    pub(crate) archive: VecDeque<Session>,
    /// The archive changed since it was loaded or last committed.
    pub(crate) archive_changed: bool,
    /// The record's row name, once computed (not stored).
    pub(crate) row: Vec<u8>,
    /// Sent messages without a delivery receipt yet, oldest first: the
    /// oldest in `sent/` rows (`sent_rows`), the newest (at most
    /// [`MAX_INLINE_SENT`]) in the record itself.
    pub(crate) unconfirmed: VecDeque<(MessageId, u64)>,
    /// The unconfirmed ids with a row, as committed, with the number of
    /// each one's row (several ids share a row; not stored: rebuilt from
    /// the rows).
    pub(crate) sent_rows: VecDeque<(MessageId, u64)>,
    /// The number the next `sent/` row gets.
    pub(crate) sent_seq: u64,
    /// How many of the ids the oldest `sent/` row holds, from its first,
    /// are confirmed (or dropped) and so no longer in `sent_rows`: an
    /// in-order confirmation counts here instead of sealing the row again.
    pub(crate) sent_skip: u16,
    /// When this device last started a session reset towards the peer.
    pub(crate) last_reset_at: Option<u64>,
    /// When this device last sent the peer a session check (after a copy
    /// of a message it had already read).
    pub(crate) last_check_at: Option<u64>,
    /// The ratchet keys received on from the peer. Kept in a row of its
    /// own, written only when a new key is received.
    pub(crate) received: super::ReceivedKeys,
}

impl PeerRecord {
    pub(crate) fn new(address: DeviceAddress) -> Self {
        PeerRecord {
            address,
            bundle: None,
            bundle_changed: false,
            current: None,
            archive: VecDeque::new(),
            archive_changed: false,
            row: Vec::new(),
            unconfirmed: VecDeque::new(),
            sent_rows: VecDeque::new(),
            sent_seq: 0,
            sent_skip: 0,
            last_reset_at: None,
            last_check_at: None,
            received: super::ReceivedKeys::default(),
        }
    }

    /// Makes `session` current, archiving the previous current session.
    pub(crate) fn install(&mut self, session: Session) {
        if let Some(old) = self.current.replace(session) {
            self.archive_session(old);
        }
    }

    /// Adds `session` to the archive as its newest entry.
    pub(crate) fn archive_session(&mut self, session: Session) {
        self.archive.push_front(session);
        self.archive.truncate(MAX_ARCHIVED_SESSIONS);
        self.archive_changed = true;
    }

    /// Makes archived session `i` current (it decrypted the newest message).
    pub(crate) fn promote(&mut self, i: usize) {
        if let Some(s) = self.archive.remove(i) {
            self.archive_changed = true;
            self.install(s);
        }
    }

    pub(crate) fn remember_sent(&mut self, id: MessageId, now: u64) {
        self.unconfirmed.push_back((id, now));
        while self.unconfirmed.len() > MAX_UNCONFIRMED_SENT {
            self.unconfirmed.pop_front();
        }
    }

    /// Forgets confirmed ids; returns whether any was held.
    pub(crate) fn confirm(&mut self, ids: &[MessageId]) -> bool {
        let before = self.unconfirmed.len();
        self.unconfirmed.retain(|(id, _)| !ids.contains(id));
        before != self.unconfirmed.len()
    }

    /// `0x04 || address || current flag (1) [|| len (4) || session] ||
    /// next sent row number (8) || confirmed ids in the oldest sent row
    /// (2) || reset flag (1) [|| last reset (8)] ||
    /// check flag (1) [|| last check (8)] || inline count (1, 0..=8) ||
    /// [id (16) || sent_at (8)]...`: the unconfirmed ids after those with
    /// rows (`sent_rows`, a prefix of `unconfirmed` once the rows are
    /// written). The
    /// bundle, the archive and the unconfirmed ids are rows of their own
    /// ([`encode_bundle`], [`encode_archive`], [`encode_sent`]).
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let inline = self.unconfirmed.len().saturating_sub(self.sent_rows.len());
        // Sized once, the session's bound included: the session is encoded
        // in place, and the buffer never grows (no stale copy of it).
        let len = 1
            + self.address.encoded_len()
            + 5
            + self.current.as_ref().map_or(0, Session::encoded_len_bound)
            + 8
            + 2
            + 18
            + 1
            + 24 * inline;
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.push(PEER_RECORD_VERSION);
        self.address.write(&mut out);
        match &self.current {
            Some(s) => {
                out.push(1);
                // The length is filled in once the session is written.
                let at = out.len();
                out.extend_from_slice(&[0; 4]);
                let n = s.encode_into(&mut out);
                let n = u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
                if let Some(slot) = out.get_mut(at..at + 4) {
                    slot.copy_from_slice(&n);
                }
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.sent_seq.to_be_bytes());
        out.extend_from_slice(&self.sent_skip.to_be_bytes());
        for t in [self.last_reset_at, self.last_check_at] {
            match t {
                Some(at) => {
                    out.push(1);
                    out.extend_from_slice(&at.to_be_bytes());
                }
                None => out.push(0),
            }
        }
        out.push(u8::try_from(inline).unwrap_or(u8::MAX));
        for (id, at) in self.unconfirmed.iter().skip(self.sent_rows.len()) {
            out.extend_from_slice(&encode_sent(id, *at));
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if !(PEER_RECORD_VERSION_2..=PEER_RECORD_VERSION).contains(&version) {
            return Err(DecodeError::UnknownVersion.into());
        }
        let address = DeviceAddress::read(&mut r)?;
        let current = match flag(&mut r)? {
            true => Some(Session::decode(r.bytes_u32(MAX_SESSION_BYTES)?)?),
            false => None,
        };
        let sent_seq = r.u64()?;
        let sent_skip = match version >= PEER_RECORD_VERSION {
            true => r.u16()?,
            false => 0,
        };
        let last_reset_at = match flag(&mut r)? {
            true => Some(r.u64()?),
            false => None,
        };
        let last_check_at = match version >= PEER_RECORD_VERSION_3 && flag(&mut r)? {
            true => Some(r.u64()?),
            false => None,
        };
        let mut unconfirmed = VecDeque::new();
        if version >= PEER_RECORD_VERSION_3 {
            let n = r.count_u8(MAX_INLINE_SENT)?;
            for _ in 0..n {
                let id = MessageId(r.array()?);
                unconfirmed.push_back((id, r.u64()?));
            }
        }
        r.finish()?;
        Ok(PeerRecord {
            address,
            bundle: None,
            bundle_changed: false,
            current,
            archive: VecDeque::new(),
            archive_changed: false,
            row: Vec::new(),
            unconfirmed,
            sent_rows: VecDeque::new(),
            sent_seq,
            sent_skip,
            last_reset_at,
            last_check_at,
            received: super::ReceivedKeys::default(),
        })
    }
}

/// `id (16) || sent_at (8)`: one unconfirmed sent message.
pub(crate) fn encode_sent(id: &MessageId, sent_at: u64) -> [u8; 24] {
    let mut out = [0u8; 24];
    let (head, tail) = out.split_at_mut(16);
    head.copy_from_slice(&id.0);
    tail.copy_from_slice(&sent_at.to_be_bytes());
    out
}

/// `count (2, 1..=256) || [id (16) || sent_at (8)]...`: the unconfirmed
/// ids one commit moved out of the peer record, oldest first (sealed as
/// [`crate::StateType::DeviceSentBatch`]; a row sealed as
/// [`crate::StateType::DeviceSent`] is one id, [`encode_sent`], as the
/// earlier layout wrote each).
pub(crate) fn encode_sent_batch<'a>(
    ids: impl ExactSizeIterator<Item = &'a (MessageId, u64)>,
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(2 + 24 * ids.len()));
    out.extend_from_slice(&u16::try_from(ids.len()).unwrap_or(u16::MAX).to_be_bytes());
    for (id, at) in ids {
        out.extend_from_slice(&encode_sent(id, *at));
    }
    out
}

/// Decodes [`encode_sent`] output.
pub(crate) fn decode_sent(bytes: &[u8]) -> Result<(MessageId, u64)> {
    let mut r = Reader::new(bytes);
    let id = MessageId(r.array()?);
    let at = r.u64()?;
    r.finish()?;
    Ok((id, at))
}

/// Decodes [`encode_sent_batch`] output: at least one id, at most
/// [`MAX_UNCONFIRMED_SENT`].
pub(crate) fn decode_sent_batch(bytes: &[u8]) -> Result<Vec<(MessageId, u64)>> {
    let mut r = Reader::new(bytes);
    let n = r.count_u16(MAX_UNCONFIRMED_SENT, 24)?;
    if n == 0 {
        return Err(DecodeError::InvalidLength.into());
    }
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let id = MessageId(r.array()?);
        ids.push((id, r.u64()?));
    }
    r.finish()?;
    Ok(ids)
}

/// `0x01 || bundle (§3)`: the bundle kept for a peer device.
pub(crate) fn encode_bundle(bundle: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(1 + bundle.len()));
    out.push(BUNDLE_VERSION);
    out.extend_from_slice(bundle);
    out
}

/// Decodes [`encode_bundle`] output (the bundle is parsed when used).
pub(crate) fn decode_bundle(bytes: &[u8]) -> Result<Vec<u8>> {
    match bytes.split_first() {
        Some((&BUNDLE_VERSION, b)) if !b.is_empty() && b.len() <= MAX_BUNDLE_BYTES => {
            Ok(b.to_vec())
        }
        Some((&BUNDLE_VERSION, _)) => Err(DecodeError::InvalidLength.into()),
        Some(_) => Err(DecodeError::UnknownVersion.into()),
        None => Err(DecodeError::Truncated.into()),
    }
}

/// `0x01 || count (1, ≤ 40) || [len (4) || session]...`: a peer record's
/// archived sessions, newest first.
pub(crate) fn encode_archive(archive: &VecDeque<Session>) -> Zeroizing<Vec<u8>> {
    let sessions: Vec<Zeroizing<Vec<u8>>> = archive.iter().map(Session::encode).collect();
    let len = 2 + sessions.iter().map(|s| 4 + s.len()).sum::<usize>();
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    out.push(ARCHIVE_VERSION);
    out.push(u8::try_from(sessions.len()).unwrap_or(u8::MAX));
    for s in &sessions {
        put_bytes_u32(&mut out, s);
    }
    out
}

/// Decodes [`encode_archive`] output (an empty archive has no row).
pub(crate) fn decode_archive(bytes: &[u8]) -> Result<VecDeque<Session>> {
    let mut r = Reader::new(bytes);
    if r.u8()? != ARCHIVE_VERSION {
        return Err(DecodeError::UnknownVersion.into());
    }
    let n = r.count_u8(MAX_ARCHIVED_SESSIONS)?;
    if n == 0 {
        return Err(DecodeError::NonCanonical.into());
    }
    let mut archive = VecDeque::with_capacity(n);
    for _ in 0..n {
        archive.push_back(Session::decode(r.bytes_u32(MAX_SESSION_BYTES)?)?);
    }
    r.finish()?;
    Ok(archive)
}

/// The device's own settings.
pub(crate) struct Settings {
    pub(crate) address: DeviceAddress,
    /// When the signed prekey was last rotated.
    pub(crate) signed_prekey_rotated_at: u64,
    /// Whether a delivery receipt is sent for every text received.
    pub(crate) delivery_receipts: bool,
}

impl Settings {
    /// `0x01 || address || rotated at (8) || flags (1)`.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(1 + self.address.encoded_len() + 9));
        out.push(SETTINGS_VERSION);
        self.address.write(&mut out);
        out.extend_from_slice(&self.signed_prekey_rotated_at.to_be_bytes());
        out.push(u8::from(self.delivery_receipts));
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != SETTINGS_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let address = DeviceAddress::read(&mut r)?;
        let signed_prekey_rotated_at = r.u64()?;
        let delivery_receipts = flag(&mut r)?;
        r.finish()?;
        Ok(Settings {
            address,
            signed_prekey_rotated_at,
            delivery_receipts,
        })
    }
}

fn flag(r: &mut Reader<'_>) -> Result<bool> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::NonCanonical.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_kept_bundle_is_exactly_the_bound() {
        use crate::store::MemoryStore;
        let mut rng = rand::rng();
        let address = DeviceAddress::new(&crate::PeerId::new("patel").unwrap(), 1).unwrap();
        let key = crate::StorageKey::generate(&mut rng);
        let mut d = crate::Device::create(
            &mut rng,
            MemoryStore::new(),
            key,
            address,
            crate::TrustPolicy::TrustOnFirstUse,
            1_700_000_000,
        )
        .unwrap();
        d.set_cipher_suites(&mut rng, &crate::CipherSuite::ALL)
            .unwrap();
        let bundle = d.prekey_bundle();
        assert!(!bundle.one_time_prekeys().is_empty());
        let kept = crate::device::handshake::bundle_to_keep(&bundle, true).unwrap();
        assert_eq!(kept.len(), MAX_BUNDLE_BYTES);
        assert_eq!(decode_bundle(&encode_bundle(&kept)).unwrap(), kept);
        let mut longer = kept.clone();
        longer.push(0);
        assert!(matches!(
            decode_bundle(&encode_bundle(&longer)),
            Err(crate::Error::Decode(DecodeError::InvalidLength))
        ));
        // Without its one-time prekeys the kept bundle is shorter still.
        let bare = crate::device::handshake::bundle_to_keep(&bundle, false).unwrap();
        assert_eq!(
            bare.len(),
            MAX_BUNDLE_BYTES - 36 - crate::handshake::bundle::KEM_PREKEY_ENTRY_LEN
        );
    }

    #[test]
    fn earlier_record_versions_still_open_and_version_4_keeps_the_confirmed_count() {
        let address = DeviceAddress::new(&crate::PeerId::new("patel").unwrap(), 2).unwrap();
        let mut rec = PeerRecord::new(address);
        rec.sent_seq = 7;
        rec.sent_skip = 3;
        rec.last_reset_at = Some(1_700_000_000);
        rec.last_check_at = Some(1_700_000_300);
        let v4 = rec.encode();
        assert_eq!(v4[0], 4);
        let back = PeerRecord::decode(&v4).unwrap();
        assert_eq!(back.sent_skip, 3);
        assert_eq!(back.last_check_at, Some(1_700_000_300));
        assert_eq!(back.last_reset_at, Some(1_700_000_000));
        assert_eq!(back.encode().as_slice(), v4.as_slice());
        // Inline unconfirmed ids, oldest first, at most MAX_INLINE_SENT.
        let mut with_ids = PeerRecord::decode(&v4).unwrap();
        for i in 0..MAX_INLINE_SENT {
            with_ids.remember_sent(MessageId([i as u8; 16]), 5);
        }
        let bytes = with_ids.encode();
        let back = PeerRecord::decode(&bytes).unwrap();
        assert_eq!(back.unconfirmed, with_ids.unconfirmed);
        assert_eq!(back.encode().as_slice(), bytes.as_slice());
        with_ids.remember_sent(MessageId([99; 16]), 5);
        assert!(PeerRecord::decode(&with_ids.encode()).is_err());

        // The same record as version 3 wrote it: no confirmed count (the
        // earlier layout's rows held one id each, so none is counted).
        rec.sent_skip = 0;
        let mut v3 = rec.encode().to_vec();
        let at = 1 + rec.address.encoded_len() + 1 + 8;
        assert_eq!(v3.drain(at..at + 2).collect::<Vec<u8>>(), [0, 0]);
        v3[0] = 3;
        let back = PeerRecord::decode(&v3).unwrap();
        assert_eq!(back.sent_skip, 0);
        assert_eq!(back.sent_seq, 7);
        assert_eq!(back.last_check_at, Some(1_700_000_300));
        assert_eq!(back.encode()[0], 4);
        let mut v3_long = v3.clone();
        v3_long.push(0);
        assert!(PeerRecord::decode(&v3_long).is_err());

        // The same record as version 2 wrote it: no check flag.
        rec.last_check_at = None;
        let mut v2 = rec.encode().to_vec();
        assert_eq!(v2.drain(at..at + 2).collect::<Vec<u8>>(), [0, 0]);
        assert_eq!(v2.pop(), Some(0), "no inline ids");
        assert_eq!(v2.pop(), Some(0), "no check");
        v2[0] = 2;
        let old = PeerRecord::decode(&v2).unwrap();
        assert_eq!(old.last_check_at, None);
        assert_eq!(old.last_reset_at, Some(1_700_000_000));
        assert_eq!(old.sent_seq, 7);
        // Version 2 with a check flag, or version 1, is refused.
        let mut v2_long = v2.clone();
        v2_long.push(0);
        assert!(PeerRecord::decode(&v2_long).is_err());
        v2[0] = 1;
        assert!(PeerRecord::decode(&v2).is_err());
    }
}
