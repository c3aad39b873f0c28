//! The one versioned envelope every 1:1 message travels in.
//!
//! ```text
//! normal:  0x01 | 0x02 | header (40) | nonce (24) | ciphertext | tag (16)
//! prekey:  0x01 | 0x01 | identity (129) | base key (32) | signed prekey id (4)
//!          | one-time flag (1) [| one-time prekey id (4)] | header (40)
//!          | nonce (24) | ciphertext | tag (16)
//! ```
//! Everything before the nonce is authenticated as associated data, after
//! the session's handshake AD. Parsing borrows the input, allocates
//! nothing, checks the ciphertext length against the padding rule's bounds,
//! and never panics.

use crate::error::{DecodeError, Result};
use crate::identity::IdentityKey;
use crate::ratchet::header::{HEADER_LEN, Header};
use crate::ratchet::message_key::{NONCE_LEN, TAG_LEN};
use crate::wire::codec::Reader;
use crate::wire::payload::{MIN_PADDED_LEN, max_padded_len};
use core::fmt;

/// The envelope format version this build writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
pub(crate) const KIND_PREKEY: u8 = 1;
pub(crate) const KIND_MESSAGE: u8 = 2;

/// Longest prekey part: identity, base key, signed id, flag, one-time id.
pub(crate) const MAX_PREKEY_PART_LEN: usize = 129 + 32 + 4 + 1 + 4;
/// Longest authenticated prefix of an envelope.
pub(crate) const MAX_PREFIX_LEN: usize = 2 + MAX_PREKEY_PART_LEN + HEADER_LEN;

/// The handshake fields an initiator repeats on every message until the
/// responder answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PreKeyPart {
    pub(crate) identity: IdentityKey,
    pub(crate) base_key: [u8; 32],
    pub(crate) signed_prekey_id: u32,
    pub(crate) one_time_prekey_id: Option<u32>,
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
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        let identity = IdentityKey::read(r)?;
        let base_key = r.array()?;
        let signed_prekey_id = r.u32()?;
        let one_time_prekey_id = match r.u8()? {
            0 => None,
            1 => Some(r.u32()?),
            _ => return Err(DecodeError::NonCanonical.into()),
        };
        Ok(PreKeyPart {
            identity,
            base_key,
            signed_prekey_id,
            one_time_prekey_id,
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
    pub(crate) prekey: Option<PreKeyPart>,
    pub(crate) header: Header,
    pub(crate) authenticated: &'a [u8],
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) ciphertext: &'a [u8],
    pub(crate) tag: [u8; TAG_LEN],
}

impl<'a> Envelope<'a> {
    /// Parses untrusted bytes. Checks structure only: nothing here is
    /// authenticated until a session decrypts it (except the initiator
    /// identity's own binding signature).
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != ENVELOPE_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let prekey = match r.u8()? {
            KIND_PREKEY => Some(PreKeyPart::read(&mut r)?),
            KIND_MESSAGE => None,
            _ => return Err(DecodeError::UnknownKind.into()),
        };
        let header = Header::read(&mut r)?;
        let prefix_len = bytes.len() - r.remaining();
        let authenticated = bytes.get(..prefix_len).ok_or(DecodeError::Truncated)?;
        let nonce = r.array()?;
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

    /// The identity the initiator claims, for a prekey message. Check it
    /// with the trust store before calling [`crate::Session::accept`].
    pub fn initiator_identity(&self) -> Option<&IdentityKey> {
        self.prekey.as_ref().map(|p| &p.identity)
    }
}

impl fmt::Debug for Envelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("prekey", &self.prekey.is_some())
            .field("counter", &self.header.counter)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}
