//! The group message wire format (the fuzzed surface of groups).
//!
//! Layout (big-endian):
//! `version (1) = 0x01 || kind (1) = 0x03 || group id (16) ||
//! roster version (8) || sender Ed25519 identity key (32) || chain id (4) ||
//! counter (4) || nonce (24) || ciphertext (padded payload) || tag (16) ||
//! signature (64)`.
//! The AEAD's associated data is every byte before the ciphertext (so the
//! group id and roster version are bound); the signature, by the sender
//! chain's Ed25519 key, covers `"bleep v1 group message"` and every byte
//! before it.

use crate::error::{DecodeError, Result};
use crate::group::roster::GroupId;
use crate::ratchet::message_key::{NONCE_LEN, TAG_LEN};
use crate::wire::codec::Reader;
use crate::wire::payload::{MIN_PADDED_LEN, max_padded_len, padded_len};

/// Version byte of the group message format.
pub(crate) const GROUP_MESSAGE_VERSION: u8 = 1;
/// Kind byte of a group message.
pub(crate) const KIND_GROUP_MESSAGE: u8 = 3;
/// Signature context of a group message.
pub(crate) const LABEL_GROUP_MESSAGE: &[u8] = b"bleep v1 group message";
/// Bytes before the nonce.
pub(crate) const HEADER_LEN: usize = 1 + 1 + 16 + 8 + 32 + 4 + 4;
/// Bytes of associated data (header and nonce).
pub(crate) const AD_LEN: usize = HEADER_LEN + NONCE_LEN;
/// Length of the trailing signature.
pub(crate) const SIGNATURE_LEN: usize = 64;

/// A parsed group message, borrowing the input.
#[derive(Debug)]
pub(crate) struct GroupMessage<'a> {
    pub(crate) group_id: GroupId,
    pub(crate) roster_version: u64,
    pub(crate) sender: [u8; 32],
    pub(crate) chain_id: u32,
    pub(crate) counter: u32,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) ciphertext: &'a [u8],
    pub(crate) tag: [u8; TAG_LEN],
    /// The associated data: every byte before the ciphertext.
    pub(crate) ad: &'a [u8],
    /// Every byte the signature covers (after the context label).
    pub(crate) signed: &'a [u8],
    pub(crate) signature: [u8; SIGNATURE_LEN],
}

impl<'a> GroupMessage<'a> {
    /// Parses the structure (no cryptography).
    ///
    /// Errors: [`DecodeError`] for a wrong version or kind, a truncated
    /// message, or a ciphertext that is not a padded payload length no
    /// larger than the largest valid message.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self> {
        let signed_len = bytes
            .len()
            .checked_sub(SIGNATURE_LEN)
            .ok_or(DecodeError::Truncated)?;
        let (signed, sig) = bytes.split_at(signed_len);
        let mut r = Reader::new(signed);
        if r.u8()? != GROUP_MESSAGE_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        if r.u8()? != KIND_GROUP_MESSAGE {
            return Err(DecodeError::UnknownKind.into());
        }
        let group_id = GroupId(r.array()?);
        let roster_version = r.u64()?;
        let sender = r.array()?;
        let chain_id = r.u32()?;
        let counter = r.u32()?;
        let nonce = r.array()?;
        let body_len = r
            .remaining()
            .checked_sub(TAG_LEN)
            .ok_or(DecodeError::Truncated)?;
        if body_len < MIN_PADDED_LEN
            || body_len > max_padded_len()
            || padded_len(body_len) != body_len
        {
            return Err(DecodeError::InvalidLength.into());
        }
        let ciphertext = r.take(body_len)?;
        let tag = r.array()?;
        r.finish()?;
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(sig);
        Ok(GroupMessage {
            group_id,
            roster_version,
            sender,
            chain_id,
            counter,
            nonce,
            ciphertext,
            tag,
            ad: signed.get(..AD_LEN).ok_or(DecodeError::Truncated)?,
            signed,
            signature,
        })
    }
}

/// Writes the header (everything before the nonce).
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    group_id: &GroupId,
    roster_version: u64,
    sender: &[u8; 32],
    chain_id: u32,
    counter: u32,
) {
    out.push(GROUP_MESSAGE_VERSION);
    out.push(KIND_GROUP_MESSAGE);
    out.extend_from_slice(&group_id.0);
    out.extend_from_slice(&roster_version.to_be_bytes());
    out.extend_from_slice(sender);
    out.extend_from_slice(&chain_id.to_be_bytes());
    out.extend_from_slice(&counter.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn sample(body: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(&mut out, &GroupId([1; 16]), 2, &[3; 32], 4, 5);
        out.extend_from_slice(&[6; NONCE_LEN]);
        out.extend_from_slice(&vec![7; body]);
        out.extend_from_slice(&[8; TAG_LEN]);
        out.extend_from_slice(&[9; SIGNATURE_LEN]);
        out
    }

    #[test]
    fn parses_fields() {
        let b = sample(64);
        let m = GroupMessage::parse(&b).unwrap();
        assert_eq!(m.group_id, GroupId([1; 16]));
        assert_eq!((m.roster_version, m.chain_id, m.counter), (2, 4, 5));
        assert_eq!(m.ciphertext.len(), 64);
        assert_eq!(m.ad.len(), AD_LEN);
        assert_eq!(m.signed.len(), b.len() - SIGNATURE_LEN);
        assert_eq!(m.signature, [9; SIGNATURE_LEN]);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(
            GroupMessage::parse(&sample(65)).unwrap_err(),
            Error::Decode(DecodeError::InvalidLength)
        );
        assert!(GroupMessage::parse(&sample(0)).is_err());
        let big = max_padded_len();
        assert!(GroupMessage::parse(&sample(big)).is_ok());
        assert!(GroupMessage::parse(&sample(padded_len(big + 1))).is_err());
        let mut b = sample(64);
        b[0] = 2;
        assert_eq!(
            GroupMessage::parse(&b).unwrap_err(),
            Error::Decode(DecodeError::UnknownVersion)
        );
        let mut b = sample(64);
        b[1] = 2;
        assert_eq!(
            GroupMessage::parse(&b).unwrap_err(),
            Error::Decode(DecodeError::UnknownKind)
        );
        for n in 0..40 {
            assert!(GroupMessage::parse(&sample(64)[..n]).is_err());
        }
    }
}
