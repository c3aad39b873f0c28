//! The ratchet keys a device has received on from one peer device, across
//! all its sessions with it (`docs/PROTOCOL.md` §12.3, §12.4).
//!
//! A session remembers only its last [`crate::limits::MAX_RETIRED_CHAINS`]
//! receiving chains; an envelope delivered again later than that (a server
//! restoring its queue, a phone fetching again after a crash) would look
//! like lost state and start a session reset. This record keeps a truncated
//! keyed hash of each of the last [`MAX_RECEIVED_RATCHET_KEYS`] ratchet
//! keys, written only when a new one is first received. It only ever
//! decides between "duplicate" and "undecryptable" for an envelope no
//! session can open: it never makes anything readable.

use crate::error::{DecodeError, Result};
use crate::limits::MAX_RECEIVED_RATCHET_KEYS;
use crate::state::StorageKey;
use crate::wire::Envelope;
use crate::wire::codec::Reader;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::VecDeque;

const VERSION: u8 = 1;
/// Bytes kept of each key's hash.
const TAG_LEN: usize = 8;
/// HKDF info of the key the ratchet keys are hashed with.
const LABEL_RATCHET_INDEX: &[u8] = b"bleep v1 store ratchet key index";

/// A truncated keyed hash of one ratchet public key.
type Tag = [u8; TAG_LEN];

/// The key ratchet keys are hashed with, `HKDF-SHA256(salt = storage key,
/// ikm = "", info = "bleep v1 store ratchet key index")`.
pub(super) struct RatchetIndex(Hmac<Sha256>);

impl RatchetIndex {
    pub(super) fn new(key: &StorageKey) -> Self {
        let k = crate::primitives::hkdf32(key.expose(), &[], LABEL_RATCHET_INDEX);
        RatchetIndex(super::layout::keyed_mac(&k))
    }

    /// The first 8 bytes of `HMAC-SHA256(index key, ratchet public key)`.
    pub(super) fn tag(&self, ratchet_key: &[u8; 32]) -> Tag {
        let mut m = self.0.clone();
        m.update(ratchet_key);
        let h = m.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        if let Some(head) = h.get(..TAG_LEN) {
            tag.copy_from_slice(head);
        }
        tag
    }
}

/// The ratchet keys received on from one peer device, oldest first, at
/// most [`MAX_RECEIVED_RATCHET_KEYS`].
#[derive(Default)]
pub(crate) struct ReceivedKeys {
    tags: VecDeque<Tag>,
    /// The ratchet key last noted (public; not stored): every message of a
    /// chain carries the same key, so only the first of a chain is hashed.
    last: Option<[u8; 32]>,
    /// Changed since loaded or last committed.
    pub(super) changed: bool,
}

impl ReceivedKeys {
    /// Whether `tag` is remembered.
    pub(super) fn contains(&self, tag: &Tag) -> bool {
        self.tags.contains(tag)
    }

    /// Remembers `tag` if it is new (forgetting the oldest beyond the
    /// bound) and marks the record changed; a known tag changes nothing.
    pub(super) fn insert(&mut self, tag: Tag) {
        if self.contains(&tag) {
            return;
        }
        self.tags.push_back(tag);
        while self.tags.len() > MAX_RECEIVED_RATCHET_KEYS {
            self.tags.pop_front();
        }
        self.changed = true;
    }

    /// Remembers the envelope's ratchet key (as [`ReceivedKeys::insert`]),
    /// hashing it only when it differs from the key noted last.
    pub(super) fn note(&mut self, index: &RatchetIndex, env: &Envelope<'_>) {
        let key = &env.header.ratchet_key;
        if self.last.as_ref() == Some(key) {
            return;
        }
        self.insert(index.tag(key));
        self.last = Some(*key);
    }

    /// How many keys are remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.tags.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// `0x01 || count (2, 1..=128) || tag (8)...`, oldest first.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + TAG_LEN * self.tags.len());
        out.push(VERSION);
        let n = u16::try_from(self.tags.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&n.to_be_bytes());
        for t in &self.tags {
            out.extend_from_slice(t);
        }
        out
    }

    /// Decodes [`ReceivedKeys::encode`] output (an empty record has no
    /// row; repeated tags are refused).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let n = usize::from(r.u16()?);
        if n == 0 || n > MAX_RECEIVED_RATCHET_KEYS {
            return Err(DecodeError::InvalidLength.into());
        }
        let mut tags = VecDeque::with_capacity(n);
        for _ in 0..n {
            let t: Tag = r.array()?;
            if tags.contains(&t) {
                return Err(DecodeError::NonCanonical.into());
            }
            tags.push_back(t);
        }
        r.finish()?;
        Ok(ReceivedKeys {
            tags,
            last: None,
            changed: false,
        })
    }
}

/// The tag of the envelope's ratchet key.
pub(super) fn envelope_tag(index: &RatchetIndex, env: &Envelope<'_>) -> Tag {
    index.tag(&env.header.ratchet_key)
}

/// Whether the envelope is a copy of one read long ago: no held session
/// could open it (none receives on its chain now or holds a skipped key
/// for its number, where a failure means tampering) and its ratchet key is
/// one this device has received on.
pub(super) fn is_late_duplicate(
    index: &RatchetIndex,
    rec: &super::PeerRecord,
    env: &Envelope<'_>,
) -> bool {
    let (k, n) = (&env.header.ratchet_key, env.header.counter);
    let could_open = rec.current.iter().chain(rec.archive.iter()).any(|s| {
        let r = &s.ratchet;
        r.receiving.as_ref().is_some_and(|c| c.ratchet_key == *k) || r.skipped.get(k, n).is_some()
    });
    !could_open && rec.received.contains(&envelope_tag(index, env))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_keeps_the_newest_keys_and_decodes_only_its_own_encoding() {
        let index = RatchetIndex::new(&StorageKey::from_bytes([5; 32]));
        let mut keys = ReceivedKeys::default();
        let n = MAX_RECEIVED_RATCHET_KEYS + 20;
        for i in 0..n {
            keys.insert(
                index.tag(
                    &[u8::try_from(i % 256).unwrap(), 1]
                        .repeat(16)
                        .try_into()
                        .unwrap(),
                ),
            );
        }
        assert_eq!(keys.len(), MAX_RECEIVED_RATCHET_KEYS);
        assert!(keys.changed);
        let tag =
            |i: usize| index.tag(&[u8::try_from(i).unwrap(), 1].repeat(16).try_into().unwrap());
        assert!(!keys.contains(&tag(0)) && !keys.contains(&tag(19)));
        assert!(keys.contains(&tag(20)) && keys.contains(&tag(n - 1)));
        // A known key changes nothing.
        keys.changed = false;
        keys.insert(tag(n - 1));
        assert!(!keys.changed);
        assert_eq!(keys.len(), MAX_RECEIVED_RATCHET_KEYS);

        let bytes = keys.encode();
        assert_eq!(bytes.len(), 3 + TAG_LEN * MAX_RECEIVED_RATCHET_KEYS);
        assert_eq!(ReceivedKeys::decode(&bytes).unwrap().encode(), bytes);
        // Empty, over the bound, a repeated tag, another version: refused.
        assert!(ReceivedKeys::decode(&[VERSION, 0, 0]).is_err());
        let mut over = vec![VERSION, 0, 129];
        for i in 0..129u8 {
            over.extend_from_slice(&[i; TAG_LEN]);
        }
        assert!(ReceivedKeys::decode(&over).is_err());
        let mut twice = vec![VERSION, 0, 2];
        twice.extend_from_slice(&[7; 2 * TAG_LEN]);
        assert!(ReceivedKeys::decode(&twice).is_err());
        let mut other = bytes.clone();
        other[0] = 2;
        assert!(ReceivedKeys::decode(&other).is_err());
        // Another storage key hashes the same ratchet key differently.
        let other_index = RatchetIndex::new(&StorageKey::from_bytes([6; 32]));
        assert_ne!(other_index.tag(&[1; 32]), index.tag(&[1; 32]));
    }
}
