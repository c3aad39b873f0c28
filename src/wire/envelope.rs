//! The one versioned envelope every 1:1 message travels in.
//!
//! ```text
//! normal:  v [| suite] | 0x02 | header (40) | nonce | ciphertext | tag (16)
//! prekey:  v [| suite] | 0x01 | identity (129) | base key (32)
//!          | signed prekey id (4) | one-time flag (1) [| one-time prekey id (4)]
//!          [| KEM prekey id (4) | KEM ciphertext (1568)]     (v ≥ 0x02 only)
//!          | header (40) | nonce | ciphertext | tag (16)
//! ```
//! Version 0x02 is written by sessions started with PQXDH on the default
//! cipher suite (XChaCha20-Poly1305, 24-byte nonce); version 0x03 by PQXDH
//! sessions on another suite, whose id follows the version byte
//! (AES-256-GCM-SIV, `0x02`, 12-byte nonce); version 0x01 by classical
//! (X3DH) sessions, which exist only where the app allowed them, and is
//! the format of older builds. A version-3 envelope naming the default
//! suite is refused (it has one encoding, version 2), and so is an
//! unknown suite id. A version-2 prekey envelope always
//! carries the KEM part, so it cannot be stripped without changing the
//! version, which the responder then refuses (or, if classical sessions
//! are allowed, which fails to authenticate: the version byte and the KEM
//! part are in the associated data and the KEM secret is in `SK`).
//! Everything before the nonce is authenticated as associated data, after
//! the session's handshake AD. Parsing borrows the input, allocates only
//! for a KEM ciphertext, checks the ciphertext length against the padding
//! rule's bounds, and never panics.

use crate::error::{DecodeError, Result};
use crate::handshake::kem::KEM_CIPHERTEXT_LEN;
use crate::identity::IdentityKey;
use crate::ratchet::header::{HEADER_LEN, Header};
use crate::ratchet::message_key::TAG_LEN;
use crate::suite::CipherSuite;
use crate::wire::codec::Reader;
use crate::wire::payload::{MIN_PADDED_LEN, max_padded_len};
use core::fmt;

/// The envelope format version this build writes for PQXDH sessions.
pub const ENVELOPE_VERSION: u8 = 2;
/// The envelope version of classical (X3DH) sessions and older builds.
pub(crate) const ENVELOPE_VERSION_CLASSICAL: u8 = 1;
/// The envelope version of PQXDH sessions on a suite other than the
/// default: a suite id follows the version byte.
pub(crate) const ENVELOPE_VERSION_SUITE: u8 = 3;
pub(crate) const KIND_PREKEY: u8 = 1;
pub(crate) const KIND_MESSAGE: u8 = 2;

/// Longest prekey part: identity, base key, signed id, flag, one-time id,
/// KEM prekey id, KEM ciphertext.
pub(crate) const MAX_PREKEY_PART_LEN: usize = 129 + 32 + 4 + 1 + 4 + 4 + KEM_CIPHERTEXT_LEN;
/// Longest authenticated prefix of an envelope: version, suite, kind,
/// prekey part, header.
pub(crate) const MAX_PREFIX_LEN: usize = 3 + MAX_PREKEY_PART_LEN + HEADER_LEN;

/// The PQXDH fields of a first message: which ML-KEM prekey, and the
/// ciphertext encapsulated to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KemPart {
    pub(crate) id: u32,
    pub(crate) ciphertext: Box<[u8; KEM_CIPHERTEXT_LEN]>,
}

/// The handshake fields an initiator repeats on every message until the
/// responder answers. `kem` is present exactly in version-2 envelopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PreKeyPart {
    pub(crate) identity: IdentityKey,
    pub(crate) base_key: [u8; 32],
    pub(crate) signed_prekey_id: u32,
    pub(crate) one_time_prekey_id: Option<u32>,
    pub(crate) kem: Option<KemPart>,
}

impl PreKeyPart {
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.identity.to_bytes());
        out.extend_from_slice(&self.base_key);
        out.extend_from_slice(&self.signed_prekey_id.to_be_bytes());
        match self.one_time_prekey_id {
            Some(id) => {
                out.push(1);
                out.extend_from_slice(&id.to_be_bytes());
            }
            None => out.push(0),
        }
        if let Some(kem) = &self.kem {
            out.extend_from_slice(&kem.id.to_be_bytes());
            out.extend_from_slice(kem.ciphertext.as_slice());
        }
    }

    /// Reads a part of an envelope of `version` (1, 2 or 3: the KEM part
    /// is there from version 2 on).
    pub(crate) fn read(r: &mut Reader<'_>, version: u8) -> Result<Self> {
        Self::read_known(r, version, None)
    }

    /// [`PreKeyPart::read`], not checking the identity's binding again if
    /// it is byte for byte `known` (see [`IdentityKey::read_known`]).
    pub(crate) fn read_known(
        r: &mut Reader<'_>,
        version: u8,
        known: Option<&IdentityKey>,
    ) -> Result<Self> {
        let identity = IdentityKey::read_known(r, known)?;
        let base_key = r.array()?;
        let signed_prekey_id = r.u32()?;
        let one_time_prekey_id = match r.u8()? {
            0 => None,
            1 => Some(r.u32()?),
            _ => return Err(DecodeError::NonCanonical.into()),
        };
        let kem = if version >= ENVELOPE_VERSION {
            let id = r.u32()?;
            let mut ciphertext = Box::new([0u8; KEM_CIPHERTEXT_LEN]);
            ciphertext.copy_from_slice(r.take(KEM_CIPHERTEXT_LEN)?);
            Some(KemPart { id, ciphertext })
        } else {
            None
        };
        Ok(PreKeyPart {
            identity,
            base_key,
            signed_prekey_id,
            one_time_prekey_id,
            kem,
        })
    }
}

/// A parsed envelope, borrowing the bytes it came from.
///
/// Parse one to learn, before any decryption, whether it starts a session
/// and who claims to have sent it:
///
/// ```
/// # use bleep::Envelope;
/// assert!(Envelope::parse(&[0x07, 0x02]).is_err());
/// ```
pub struct Envelope<'a> {
    pub(crate) version: u8,
    pub(crate) suite: CipherSuite,
    pub(crate) prekey: Option<PreKeyPart>,
    pub(crate) header: Header,
    pub(crate) authenticated: &'a [u8],
    /// `suite.nonce_len()` bytes.
    pub(crate) nonce: &'a [u8],
    pub(crate) ciphertext: &'a [u8],
    pub(crate) tag: [u8; TAG_LEN],
}

impl<'a> Envelope<'a> {
    /// Parses untrusted bytes. Checks structure only: nothing here is
    /// authenticated until a session decrypts it (except the initiator
    /// identity's own binding signature).
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        Self::parse_known(bytes, None)
    }

    /// [`Envelope::parse`] for an envelope from a sender whose identity
    /// may already be known, such as the key the trust store holds for the
    /// address it came from ([`crate::TrustStore::identity`]).
    ///
    /// A prekey message carries the initiator's identity key with the
    /// signature binding its X25519 key to its Ed25519 key, which
    /// [`Envelope::parse`] checks (one strict Ed25519 verification, the
    /// largest part of parsing). If the carried identity is byte for byte
    /// the encoding of `known` (both keys and the signature), that check
    /// was made when `known` was, so it is skipped; any other identity,
    /// including `known`'s Ed25519 key with another X25519 key or other
    /// signature bytes, is checked as by [`Envelope::parse`]. The result
    /// and the errors are the same as [`Envelope::parse`]'s for every
    /// input: only the cost differs.
    ///
    /// ```
    /// # use bleep::{Envelope, IdentityKeyPair};
    /// let alice = IdentityKeyPair::from_seed_bytes([1; 32]);
    /// assert!(Envelope::parse_known(&[0x07, 0x02], Some(alice.public())).is_err());
    /// ```
    pub fn parse_known(bytes: &'a [u8], known: Option<&IdentityKey>) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        let suite = match version {
            ENVELOPE_VERSION | ENVELOPE_VERSION_CLASSICAL => CipherSuite::XChaCha20Poly1305,
            ENVELOPE_VERSION_SUITE => match CipherSuite::from_id(r.u8()?) {
                None => return Err(DecodeError::UnknownCipherSuite.into()),
                Some(CipherSuite::XChaCha20Poly1305) => {
                    return Err(DecodeError::NonCanonical.into());
                }
                Some(s) => s,
            },
            _ => return Err(DecodeError::UnknownVersion.into()),
        };
        let prekey = match r.u8()? {
            KIND_PREKEY => Some(PreKeyPart::read_known(&mut r, version, known)?),
            KIND_MESSAGE => None,
            _ => return Err(DecodeError::UnknownKind.into()),
        };
        let header = Header::read(&mut r)?;
        let prefix_len = bytes.len() - r.remaining();
        let authenticated = bytes.get(..prefix_len).ok_or(DecodeError::Truncated)?;
        let nonce = r.take(suite.nonce_len())?;
        let rest = r.rest();
        let ct_len = rest
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(DecodeError::Truncated)?;
        if ct_len < MIN_PADDED_LEN {
            return Err(DecodeError::Truncated.into());
        }
        if ct_len > max_padded_len() {
            return Err(DecodeError::InvalidLength.into());
        }
        let (ciphertext, tag) = rest.split_at(ct_len);
        let mut tag_arr = [0u8; TAG_LEN];
        tag_arr.copy_from_slice(tag);
        Ok(Envelope {
            version,
            suite,
            prekey,
            header,
            authenticated,
            nonce,
            ciphertext,
            tag: tag_arr,
        })
    }

    /// Whether this envelope carries a handshake (it can start a session).
    pub fn is_prekey_message(&self) -> bool {
        self.prekey.is_some()
    }

    /// Whether this is a prekey message of a post-quantum (PQXDH)
    /// handshake: `Some(true)` for PQXDH, `Some(false)` for a classical
    /// one (which [`crate::Session::accept`] refuses), `None` for a normal
    /// message.
    pub fn is_post_quantum_handshake(&self) -> Option<bool> {
        self.prekey.as_ref().map(|p| p.kem.is_some())
    }

    /// The cipher suite the envelope names (XChaCha20-Poly1305 for
    /// versions 1 and 2).
    pub fn cipher_suite(&self) -> CipherSuite {
        self.suite
    }

    /// The identity the initiator claims, for a prekey message. Check it
    /// with the trust store before calling [`crate::Session::accept`].
    pub fn initiator_identity(&self) -> Option<&IdentityKey> {
        self.prekey.as_ref().map(|p| &p.identity)
    }
}

impl fmt::Debug for Envelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("version", &self.version)
            .field("suite", &self.suite)
            .field("prekey", &self.prekey.is_some())
            .field("counter", &self.header.counter)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKeyPair;

    /// The longest prekey part (a one-time prekey and a KEM part) writes
    /// exactly `MAX_PREKEY_PART_LEN` bytes, so the bound neither cuts an
    /// associated data short nor over-allocates, and reads back whole.
    #[test]
    fn longest_prekey_part_is_exactly_the_bound() {
        let identity = IdentityKeyPair::from_seed_bytes([7; 32]).public().clone();
        let longest = PreKeyPart {
            identity,
            base_key: [1; 32],
            signed_prekey_id: 2,
            one_time_prekey_id: Some(3),
            kem: Some(KemPart {
                id: 4,
                ciphertext: Box::new([5; KEM_CIPHERTEXT_LEN]),
            }),
        };
        let mut out = Vec::new();
        longest.write(&mut out);
        assert_eq!(out.len(), MAX_PREKEY_PART_LEN);
        assert_eq!(MAX_PREFIX_LEN, 3 + out.len() + HEADER_LEN);

        let mut r = Reader::new(&out);
        assert_eq!(
            PreKeyPart::read(&mut r, ENVELOPE_VERSION_SUITE).unwrap(),
            longest
        );
        assert_eq!(r.remaining(), 0);

        // Without the optional fields the part is shorter by exactly them.
        let shortest = PreKeyPart {
            one_time_prekey_id: None,
            kem: None,
            ..longest
        };
        let mut out = Vec::new();
        shortest.write(&mut out);
        assert_eq!(out.len(), MAX_PREKEY_PART_LEN - 4 - 4 - KEM_CIPHERTEXT_LEN);
    }
}
