//! The rows a device keeps beside its settings, identity, prekeys, trust
//! store and peer records (`docs/PROTOCOL.md` §12.4): each vault message,
//! each remembered handled id and each peer's archived sessions in a row of
//! its own, so that a call seals what it changed and nothing else; and the
//! staging area a batched receive commits into before its one real commit.

use super::address::DeviceAddress;
use super::record::{self, PeerRecord};
use crate::error::{Error, Result, StoreError};
use crate::limits::{MAX_VAULT_HANDLED_IDS, MAX_VAULT_MESSAGES};
use crate::retention::{MessageRef, MessageVault};
use crate::state::{StateType, StorageKey};
use crate::store::{Change, ChangeSet, Row, Store};
use crate::wire::codec::Reader;
use crate::wire::payload::MessageId;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand_core::CryptoRng;
use sha2::Sha256;
use std::collections::{BTreeMap, VecDeque};
use zeroize::Zeroizing;

/// One held vault message: `msg/` and its number (24 hex digits), or,
/// written by the earlier layout, 32 hex digits of a keyed hash of its
/// [`MessageRef`].
pub(super) const MESSAGE_PREFIX: &[u8] = b"msg/";
/// One remembered handled id: `done/` and its number (16 hex digits).
pub(super) const HANDLED_PREFIX: &[u8] = b"done/";
/// A peer's archived sessions: `arch/` and the hex digits of its peer row.
pub(super) const ARCHIVE_PREFIX: &[u8] = b"arch/";
/// The bundle kept for a peer: `bndl/` and the hex digits of its peer row.
pub(super) const BUNDLE_PREFIX: &[u8] = b"bndl/";
/// One unconfirmed sent message: `sent/`, the hex digits of its peer row,
/// `/` and the row's number (16 hex digits).
pub(super) const SENT_PREFIX: &[u8] = b"sent/";
/// The ratchet keys received on from a peer: `rkey/` and the hex digits
/// of its peer row.
pub(super) const RECEIVED_PREFIX: &[u8] = b"rkey/";
/// HKDF info of the key that names vault message rows.
const LABEL_MESSAGE_INDEX: &[u8] = b"bleep v1 store message index";

// A purge handles at most every held message in one call; the handled ids
// remembered must cover them all, or a deleted row would be missed.
const _: () = assert!(MAX_VAULT_MESSAGES <= MAX_VAULT_HANDLED_IDS);

/// `prefix` and the lowercase hex digits of `bytes`.
pub(super) fn hex_row(prefix: &[u8], bytes: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |n: u8| HEX.get(usize::from(n)).copied().unwrap_or(b'0');
    let mut row = Vec::with_capacity(prefix.len() + 2 * bytes.len());
    row.extend_from_slice(prefix);
    for b in bytes {
        row.push(digit(b >> 4));
        row.push(digit(b & 0x0f));
    }
    row
}

/// The names of the vault message rows. A message received now gets the
/// next number (`msg/` and 24 hex digits, [`numbered_row`]), so naming a row costs no hash;
/// rows an earlier layout named by a keyed hash (`msg/` and 32 hex digits)
/// keep their names until the message leaves the vault. Either way the
/// name is kept here, from receipt (or load) to deletion.
pub(super) struct MessageIndex {
    /// `HKDF-SHA256(salt = storage key, ikm = "", info = "bleep v1 store
    /// message index")`, keyed once: it checks the names of rows written
    /// by the earlier layout when they are loaded.
    keyed: Hmac<Sha256>,
    rows: BTreeMap<MessageRef, Vec<u8>>,
    next: u64,
}

impl MessageIndex {
    pub(super) fn new(key: &StorageKey) -> Self {
        let k = crate::primitives::hkdf32(key.expose(), &[], LABEL_MESSAGE_INDEX);
        // Keyed once: checking a name then costs the two hash blocks of
        // its MAC, not the two more of keying (the states wipe on drop).
        MessageIndex {
            keyed: keyed_mac(&k),
            rows: BTreeMap::new(),
            next: 0,
        }
    }

    /// The name the earlier layout gave a held vault message: `msg/` and
    /// the first 16 bytes of `HMAC-SHA256(index key, sender Ed25519 key ||
    /// id)`, in hex.
    pub(super) fn keyed_row(&self, id: &MessageRef) -> Vec<u8> {
        let mut m = self.keyed.clone();
        m.update(&id.to_bytes());
        let h = m.finalize().into_bytes();
        hex_row(MESSAGE_PREFIX, h.get(..16).unwrap_or_default())
    }

    /// The row of a held message: the one it has, or else the next number.
    fn row(&mut self, id: &MessageRef) -> Vec<u8> {
        if let Some(row) = self.rows.get(id) {
            return row.clone();
        }
        let row = numbered_row(self.next);
        self.next = self.next.wrapping_add(1);
        self.rows.insert(*id, row.clone());
        row
    }

    /// Forgets the row of a message that left the vault, returning it.
    fn remove(&mut self, id: &MessageRef) -> Option<Vec<u8>> {
        self.rows.remove(id)
    }

    /// Records a loaded message's row, checking its name: a number, or
    /// the keyed hash of the message's sender and id. Numbers to come
    /// follow the highest one loaded.
    fn note(&mut self, id: MessageRef, row: Vec<u8>) -> Result<()> {
        if let Some(n) = message_number(&row) {
            self.next = self.next.max(n.checked_add(1).ok_or(StoreError::Corrupt)?);
        } else if self.keyed_row(&id) != row {
            return Err(StoreError::Corrupt.into());
        }
        self.rows.insert(id, row);
        Ok(())
    }
}

/// The row of vault message number `n`: `msg/` and 24 hex digits (`n`
/// as 12 bytes, big-endian). 24 digits, not 16: the sealed row's
/// associated data (§10: label, version, type, row name) is then 51 bytes,
/// four Poly1305 blocks once padded, so the AVX2 Poly1305 backend takes
/// the body four blocks at a time (after three blocks it goes one at a
/// time, about 4 k instructions more for a 1 KiB message).
pub(super) fn numbered_row(n: u64) -> Vec<u8> {
    let mut wide = [0u8; 12];
    if let Some(low) = wide.get_mut(4..) {
        low.copy_from_slice(&n.to_be_bytes());
    }
    hex_row(MESSAGE_PREFIX, &wide)
}

/// The number in a numbered vault row's name, if the name is one.
fn message_number(row: &[u8]) -> Option<u64> {
    let digits = row.strip_prefix(MESSAGE_PREFIX)?;
    let (high, low) = digits.split_at_checked(8)?;
    if high != b"00000000" {
        return None;
    }
    hex_number(low)
}

/// HMAC-SHA256 keyed with a 32-byte key (zero-padded to the block size:
/// the same MAC as keying with the 32 bytes, and keying cannot fail).
pub(super) fn keyed_mac(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = Zeroizing::new([0u8; 64]);
    if let Some(head) = block.get_mut(..32) {
        head.copy_from_slice(key);
    }
    <Hmac<Sha256> as KeyInit>::new((&*block).into())
}

/// The row of handled id number `n`.
pub(super) fn handled_row(n: u64) -> Vec<u8> {
    hex_row(HANDLED_PREFIX, &n.to_be_bytes())
}

/// The number in a handled id's row name, if the name is well formed.
fn handled_number(row: &[u8]) -> Option<u64> {
    hex_number(row.strip_prefix(HANDLED_PREFIX)?)
}

/// 16 lowercase hex digits as a number.
fn hex_number(hex: &[u8]) -> Option<u64> {
    if hex.len() != 16 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in hex {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        n = (n << 4) | u64::from(d);
    }
    Some(n)
}

/// The side row (`prefix`: archive or bundle) that goes with `peer_row`.
fn side_row(prefix: &[u8], peer_row: &[u8]) -> Vec<u8> {
    let hash = peer_row
        .strip_prefix(super::PEER_PREFIX)
        .unwrap_or(peer_row);
    let mut row = prefix.to_vec();
    row.extend_from_slice(hash);
    row
}

/// The row of `peer_row`'s unconfirmed message number `n`.
fn sent_row(peer_row: &[u8], n: u64) -> Vec<u8> {
    let mut row = side_row(SENT_PREFIX, peer_row);
    row.push(b'/');
    hex_row(&row, &n.to_be_bytes())
}

/// Deletes a peer's record and its side rows (a record is only dropped
/// before it ever had unconfirmed messages).
pub(super) fn delete_peer(cs: &mut ChangeSet, peer_row: Vec<u8>) {
    cs.delete(side_row(ARCHIVE_PREFIX, &peer_row));
    cs.delete(side_row(BUNDLE_PREFIX, &peer_row));
    cs.delete(side_row(RECEIVED_PREFIX, &peer_row));
    cs.delete(peer_row);
}

/// Adds to `cs` the vault rows changed since `saved` handled ids were
/// committed: the messages `stored` (if still held), a deleted message row
/// and a new handled row per message handled since, and deletions of the
/// handled rows that fell out of the remembered window. Returns the handled
/// count now committed.
pub(super) fn put_vault(
    key: &StorageKey,
    index: &mut MessageIndex,
    rng: &mut (impl CryptoRng + ?Sized),
    cs: &mut ChangeSet,
    vault: &MessageVault,
    stored: &[MessageRef],
    saved: u64,
) -> u64 {
    for id in stored {
        if let Some(plain) = vault.encode_message(id) {
            let row = index.row(id);
            let sealed = key.seal_encoded_for(rng, StateType::DeviceVaultMessage, &row, &plain);
            cs.put(row, sealed);
        }
    }
    let total = vault.handled_total();
    for (n, id) in vault.handled_since(saved) {
        // A message handled before its row was ever written has none.
        if let Some(row) = index.remove(id) {
            cs.delete(row);
        }
        let row = handled_row(n);
        let sealed = key.seal_encoded_for(rng, StateType::DeviceVaultHandled, &row, &id.to_bytes());
        cs.put(row, sealed);
    }
    let window = MAX_VAULT_HANDLED_IDS as u64;
    for n in saved.saturating_sub(window)..total.saturating_sub(window) {
        cs.delete(handled_row(n));
    }
    total
}

/// Loads the vault from its rows into `vault` and their names into
/// `index`, checking that each message's row name is a number or its keyed
/// hash and that the handled rows are numbered without gaps.
pub(super) fn load_vault(
    store: &impl Store,
    key: &StorageKey,
    index: &mut MessageIndex,
) -> Result<MessageVault> {
    let corrupt = |e: Error| match e {
        Error::Limit(_) => Error::Store(StoreError::Corrupt),
        e => e,
    };
    let mut vault = MessageVault::new();
    for (row, sealed) in store.scan(MESSAGE_PREFIX)? {
        let plain = key.unseal_encoded_for(StateType::DeviceVaultMessage, &row, &sealed)?;
        let id = vault.restore_message(&plain).map_err(corrupt)?;
        index.note(id, row)?;
    }
    let mut ids = Vec::new();
    let mut next: Option<u64> = None;
    for (row, sealed) in store.scan(HANDLED_PREFIX)? {
        let n = handled_number(&row).ok_or(StoreError::Corrupt)?;
        if next.is_some_and(|m| m != n) || ids.len() >= MAX_VAULT_HANDLED_IDS {
            return Err(StoreError::Corrupt.into());
        }
        let plain = key.unseal_encoded_for(StateType::DeviceVaultHandled, &row, &sealed)?;
        let mut r = Reader::new(&plain);
        let id = MessageRef::read(&mut r)?;
        r.finish()?;
        ids.push(id);
        next = Some(n.checked_add(1).ok_or(StoreError::Corrupt)?);
    }
    vault
        .restore_handled(ids, next.unwrap_or(0))
        .map_err(|_| StoreError::Corrupt)?;
    Ok(vault)
}

/// Adds `rec`'s archive, bundle and received-keys rows to `cs` if they changed (a
/// deletion when empty), and marks them written. `rec.row` is set.
pub(super) fn put_side_rows(
    key: &StorageKey,
    rng: &mut (impl CryptoRng + ?Sized),
    cs: &mut ChangeSet,
    rec: &mut PeerRecord,
) {
    if rec.archive_changed {
        let row = side_row(ARCHIVE_PREFIX, &rec.row);
        if rec.archive.is_empty() {
            cs.delete(row);
        } else {
            let plain = record::encode_archive(&rec.archive);
            let sealed = key.seal_encoded_for(rng, StateType::DeviceArchive, &row, &plain);
            cs.put(row, sealed);
        }
        rec.archive_changed = false;
    }
    if rec.bundle_changed {
        let row = side_row(BUNDLE_PREFIX, &rec.row);
        match &rec.bundle {
            Some(b) => {
                let plain = record::encode_bundle(b);
                let sealed = key.seal_encoded_for(rng, StateType::DeviceBundle, &row, &plain);
                cs.put(row, sealed);
            }
            None => cs.delete(row),
        }
        rec.bundle_changed = false;
    }
    if rec.received.changed {
        let row = side_row(RECEIVED_PREFIX, &rec.row);
        if rec.received.is_empty() {
            cs.delete(row);
        } else {
            let plain = rec.received.encode();
            let sealed = key.seal_encoded_for(rng, StateType::DeviceReceivedKeys, &row, &plain);
            cs.put(row, sealed);
        }
        rec.received.changed = false;
    }
    put_sent(key, rng, cs, rec);
}

/// Adds to `cs` the `sent/` rows changed since the last commit: once more
/// than [`record::MAX_INLINE_SENT`] ids have no row, one row holding all of
/// them (until then the peer record holds them); and for each row that
/// lost ids (confirmed, or dropped as the oldest), a deletion if it holds
/// none any more, else the row again with the ids it still holds. The
/// oldest row is not written again when it lost only ids from its start
/// (an in-order confirmation, or the oldest id dropped by a new send):
/// the record counts them instead (`sent_skip`), and it is sealed anyway.
///
/// Ids are only ever appended and the others keep their order, so one pass
/// over both lists finds the difference; the ids with rows stay a prefix
/// of the unconfirmed ones. The pass is skipped when it cannot find
/// anything: ids dropped from the front are taken first, and if the
/// newest id with a row then still sits at its own index among the
/// unconfirmed ids, every id before it is still there too (the ids are
/// random and distinct, and the unconfirmed ones keep their order). A send
/// then costs no walk over a full list.
fn put_sent(
    key: &StorageKey,
    rng: &mut (impl CryptoRng + ?Sized),
    cs: &mut ChangeSet,
    rec: &mut PeerRecord,
) {
    let oldest_before = rec.sent_rows.front().map(|&(_, n)| n);
    // Each id with a row that is gone: its row number, and whether an id
    // of the same row that stays comes before it (a gap, not a prefix).
    let mut gone: Vec<(u64, bool)> = Vec::new();
    // An id with a row that is no longer the oldest unconfirmed one was
    // confirmed or dropped: everything unconfirmed came after it.
    while let Some(&(id, n)) = rec.sent_rows.front() {
        if rec.unconfirmed.front().is_some_and(|(c, _)| *c == id) {
            break;
        }
        gone.push((n, false));
        rec.sent_rows.pop_front();
    }
    let k = rec.sent_rows.len();
    let intact = match (k.checked_sub(1), rec.sent_rows.back()) {
        (Some(last), Some((id, _))) => rec.unconfirmed.get(last).is_some_and(|(c, _)| c == id),
        _ => true,
    };
    if !intact {
        let mut now = rec.unconfirmed.iter().peekable();
        let mut kept: VecDeque<(MessageId, u64)> = VecDeque::with_capacity(rec.unconfirmed.len());
        for &(id, n) in &rec.sent_rows {
            if now.peek().is_some_and(|(c, _)| *c == id) {
                now.next();
                kept.push_back((id, n));
            } else {
                gone.push((n, kept.back().is_some_and(|&(_, m)| m == n)));
            }
        }
        rec.sent_rows = kept;
    }
    let oldest = rec.sent_rows.front().map(|&(_, n)| n);
    let mut skip = match oldest == oldest_before {
        true => rec.sent_skip,
        false => 0,
    };
    // `gone` is in row order: handle each row that lost ids once.
    let mut i = 0;
    while let Some(&(n, _)) = gone.get(i) {
        let run = gone.get(i..).unwrap_or_default();
        let count = run.iter().take_while(|&&(m, _)| m == n).count();
        let gap = run.iter().take(count).any(|&(_, g)| g);
        i += count;
        let from = rec.sent_rows.partition_point(|&(_, m)| m < n);
        let to = rec.sent_rows.partition_point(|&(_, m)| m <= n);
        let row = sent_row(&rec.row, n);
        if from == to {
            cs.delete(row);
        } else if Some(n) == oldest && !gap {
            skip = skip.saturating_add(u16::try_from(count).unwrap_or(u16::MAX));
        } else {
            // The ids with rows are a prefix of the unconfirmed ones, at
            // the same indices.
            let left = rec
                .unconfirmed
                .iter()
                .skip(from)
                .take(to.saturating_sub(from));
            seal_sent(key, rng, cs, row, left);
            if Some(n) == oldest {
                skip = 0;
            }
        }
    }
    rec.sent_skip = skip;
    let k = rec.sent_rows.len();
    if rec.unconfirmed.len().saturating_sub(k) <= record::MAX_INLINE_SENT {
        return;
    }
    let n = rec.sent_seq;
    rec.sent_seq = n.wrapping_add(1);
    seal_sent(
        key,
        rng,
        cs,
        sent_row(&rec.row, n),
        rec.unconfirmed.iter().skip(k),
    );
    if k == 0 {
        rec.sent_skip = 0;
    }
    let new = rec.unconfirmed.iter().skip(k).map(|&(id, _)| (id, n));
    rec.sent_rows.extend(new);
}

/// Seals one `sent/` row holding `ids` (oldest first), read straight from
/// the record (no copy of them outside the zeroized encoding).
fn seal_sent<'a>(
    key: &StorageKey,
    rng: &mut (impl CryptoRng + ?Sized),
    cs: &mut ChangeSet,
    row: Vec<u8>,
    ids: impl ExactSizeIterator<Item = &'a (MessageId, u64)>,
) {
    let plain = record::encode_sent_batch(ids);
    let sealed = key.seal_encoded_for(rng, StateType::DeviceSentBatch, &row, &plain);
    cs.put(row, sealed);
}

/// Attaches each archive, bundle, sent and received-keys row to its peer
/// record (`rows`: peer row name to address). A side row without a peer
/// record is refused.
pub(super) fn load_side_rows(
    store: &impl Store,
    key: &StorageKey,
    rows: &BTreeMap<Vec<u8>, DeviceAddress>,
    peers: &mut BTreeMap<DeviceAddress, PeerRecord>,
) -> Result<()> {
    for prefix in [ARCHIVE_PREFIX, BUNDLE_PREFIX, SENT_PREFIX, RECEIVED_PREFIX] {
        for (row, sealed) in store.scan(prefix)? {
            let name = row.strip_prefix(prefix).unwrap_or_default();
            let (hash, number) = match prefix == SENT_PREFIX {
                true => {
                    let (hash, rest) = name.split_at_checked(32).ok_or(StoreError::Corrupt)?;
                    let n = rest
                        .strip_prefix(b"/")
                        .and_then(hex_number)
                        .ok_or(StoreError::Corrupt)?;
                    (hash, n)
                }
                false => (name, 0),
            };
            let mut peer_row = super::PEER_PREFIX.to_vec();
            peer_row.extend_from_slice(hash);
            let rec = rows
                .get(&peer_row)
                .and_then(|a| peers.get_mut(a))
                .ok_or(StoreError::Corrupt)?;
            if prefix == SENT_PREFIX {
                // Rows come in order of their numbers, all below the next.
                let last = rec.sent_rows.back().map(|(_, n)| *n);
                if number >= rec.sent_seq || last.is_some_and(|l| number <= l) {
                    return Err(StoreError::Corrupt.into());
                }
                // A row the earlier layout wrote holds one id.
                let ids = match sealed.get(1) == Some(&StateType::DeviceSent.tag()) {
                    true => {
                        let plain = key.unseal_encoded_for(StateType::DeviceSent, &row, &sealed)?;
                        vec![record::decode_sent(&plain)?]
                    }
                    false => {
                        let ty = StateType::DeviceSentBatch;
                        let plain = key.unseal_encoded_for(ty, &row, &sealed)?;
                        record::decode_sent_batch(&plain)?
                    }
                };
                // The oldest row's first ids may be confirmed already; at
                // least one must remain.
                let skip = match last {
                    None => usize::from(rec.sent_skip),
                    Some(_) => 0,
                };
                let left = ids.get(skip..).unwrap_or_default();
                if left.is_empty()
                    || rec.unconfirmed.len() + left.len() > crate::limits::MAX_UNCONFIRMED_SENT
                {
                    return Err(StoreError::Corrupt.into());
                }
                // Before the ids the record holds itself (newer than any
                // with a row).
                for &(id, at) in left {
                    rec.unconfirmed.insert(rec.sent_rows.len(), (id, at));
                    rec.sent_rows.push_back((id, number));
                }
            } else if prefix == RECEIVED_PREFIX {
                let plain = key.unseal_encoded_for(StateType::DeviceReceivedKeys, &row, &sealed)?;
                rec.received = super::ReceivedKeys::decode(&plain)?;
            } else if prefix == ARCHIVE_PREFIX {
                let plain = key.unseal_encoded_for(StateType::DeviceArchive, &row, &sealed)?;
                rec.archive = record::decode_archive(&plain)?;
            } else {
                let plain = key.unseal_encoded_for(StateType::DeviceBundle, &row, &sealed)?;
                rec.bundle = Some(record::decode_bundle(&plain)?);
            }
        }
    }
    // Confirmed ids counted in a row that is not there.
    if peers
        .values()
        .any(|rec| rec.sent_skip > 0 && rec.sent_rows.is_empty())
    {
        return Err(StoreError::Corrupt.into());
    }
    Ok(())
}

/// What a batched receive has committed so far, not yet in the store: the
/// last value (or deletion) of each row.
#[derive(Default)]
pub(super) struct Staged {
    rows: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Staged {
    /// Applies `cs` on top of what is staged.
    pub(super) fn apply(&mut self, cs: ChangeSet) {
        for change in cs.into_changes() {
            match change {
                Change::Put { key, value } => self.rows.insert(key, Some(value)),
                Change::Delete { key } => self.rows.insert(key, None),
            };
        }
    }

    /// The staged rows as one change set for the store.
    pub(super) fn into_changes(self) -> ChangeSet {
        let mut cs = ChangeSet::new();
        for (k, v) in self.rows {
            match v {
                Some(v) => cs.put(k, v),
                None => cs.delete(k),
            }
        }
        cs
    }

    /// The store as it will be once the staged rows are committed.
    pub(super) fn over<'a, S: Store>(&'a self, base: &'a S) -> StagedView<'a, S> {
        StagedView { base, staged: self }
    }
}

/// A read-only view of a store with the staged rows on top (to reload a
/// batch's state after one message of it failed).
pub(super) struct StagedView<'a, S> {
    base: &'a S,
    staged: &'a Staged,
}

impl<S: Store> Store for StagedView<'_, S> {
    fn get(&self, key: &[u8]) -> core::result::Result<Option<Vec<u8>>, StoreError> {
        match self.staged.rows.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key),
        }
    }

    fn scan(&self, prefix: &[u8]) -> core::result::Result<Vec<Row>, StoreError> {
        let mut rows: BTreeMap<Vec<u8>, Vec<u8>> = self.base.scan(prefix)?.into_iter().collect();
        let staged = self
            .staged
            .rows
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix));
        for (k, v) in staged {
            match v {
                Some(v) => rows.insert(k.clone(), v.clone()),
                None => rows.remove(k),
            };
        }
        Ok(rows.into_iter().collect())
    }

    /// A view is read-only: the batch commits its staged rows to the store
    /// itself.
    fn commit(&mut self, _: &ChangeSet) -> core::result::Result<(), StoreError> {
        Err(StoreError::Backend)
    }
}
