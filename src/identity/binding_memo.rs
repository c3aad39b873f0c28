//! A memo of identity keys whose binding signature verified, so one
//! identity's binding is verified once per process, not once per parse.
//!
//! Every [`IdentityKey`](super::IdentityKey) is parsed with its binding
//! signature checked strictly (`docs/PROTOCOL.md` §2). A responder parses
//! the initiator's identity from every first message and an initiator the
//! responder's from every bundle, although the same identity was verified
//! when it was first seen: a strict Ed25519 verification (≈ 0.42 M
//! instructions, 7% of a PQXDH handshake) spent again on the same 129
//! bytes.
//!
//! Why a hit is as strong as a verification: the memo holds only complete
//! 129-byte encodings (version, Ed25519 key, X25519 key, signature) for
//! which `verify_strict` returned success, and strict verification is a
//! deterministic function of exactly those bytes. A lookup matches only
//! byte-identical input, so any change to the key, the bound X25519 key or
//! the signature misses and is verified (and refused) as before; an
//! unverified binding is never accepted. Entries are public keys: nothing
//! secret is held, so nothing needs wiping.
//!
//! It is the one piece of process-wide state in the crate, held only
//! because the decoders that need it (`Envelope::parse`,
//! `PreKeyBundle::from_bytes`, `IdentityKey::from_bytes`) take bytes alone.
//! It changes no result, only how long a parse takes: a hit skips a
//! verification (≈ 25 µs), so a party that can time an app's parsing of a
//! first message it sends could learn whether that identity was parsed
//! before in the process; the identities are public, and the caller's trust
//! decision comes after the parse either way. It is bounded by
//! [`MAX_VERIFIED_BINDINGS`] entries (≈ 33 KiB), oldest forgotten first; a
//! poisoned lock is ignored (every parse then verifies).

use super::keypair::IDENTITY_KEY_LEN;
use crate::limits::MAX_VERIFIED_BINDINGS;
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

type Encoding = [u8; IDENTITY_KEY_LEN];

#[derive(Default)]
struct Memo {
    known: HashSet<Encoding>,
    /// The same entries, oldest first, for eviction.
    order: VecDeque<Encoding>,
}

static MEMO: Mutex<Option<Memo>> = Mutex::new(None);

/// Whether `encoding` is an identity key whose binding already verified.
pub(super) fn contains(encoding: &Encoding) -> bool {
    MEMO.lock()
        .ok()
        .is_some_and(|m| m.as_ref().is_some_and(|m| m.known.contains(encoding)))
}

/// Records `encoding`, whose binding signature has just verified strictly.
/// Call it only after a successful verification.
pub(super) fn insert(encoding: &Encoding) {
    let Ok(mut guard) = MEMO.lock() else {
        return;
    };
    let memo = guard.get_or_insert_with(Memo::default);
    if !memo.known.insert(*encoding) {
        return;
    }
    memo.order.push_back(*encoding);
    while memo.order.len() > MAX_VERIFIED_BINDINGS {
        if let Some(old) = memo.order.pop_front() {
            memo.known.remove(&old);
        }
    }
}

/// Every remembered encoding (for tests).
#[cfg(test)]
pub(super) fn entries() -> Vec<Encoding> {
    MEMO.lock()
        .ok()
        .and_then(|m| m.as_ref().map(|m| m.order.iter().copied().collect()))
        .unwrap_or_default()
}
