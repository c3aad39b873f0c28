//! The encrypted payload: message metadata, the body, and padding.
//!
//! Layout (inside the AEAD, big-endian):
//! `version (1) = 0x01 || flags (1) || message id (16) || sent_at (8) ||
//! expires_at (8) || body length (4) || body || zero padding`.
//! Flags: bit 0 = contains patient data, bit 1 = has expiry; other bits
//! must be zero; `expires_at` must be zero without bit 1. The padded length
//! is [`padded_len`] of the unpadded length, so the ciphertext length
//! reveals only a bucket, not the exact message length.

use crate::error::{DecodeError, LimitError, Result};
use crate::identity::IdentityKey;
use crate::limits::MAX_BODY_LEN;
use crate::secret::Plaintext;
use crate::wire::codec::Reader;
use core::fmt;

const PAYLOAD_VERSION: u8 = 1;
const FLAG_PATIENT_DATA: u8 = 0b01;
const FLAG_EXPIRES: u8 = 0b10;

/// Bytes of payload before the body.
pub(crate) const PAYLOAD_HEADER_LEN: usize = 1 + 1 + 16 + 8 + 8 + 4;
/// The smallest padded payload.
pub(crate) const MIN_PADDED_LEN: usize = 64;

/// The padded length of an `n`-byte payload: at least 64, then the Padmé
/// rule (round up so that only the top `floor(log2 E) + 1` bits of the
/// length vary, `E = floor(log2 n)`), which costs at most 12% overhead and
/// leaks O(log log n) bits of the length.
pub(crate) fn padded_len(n: usize) -> usize {
    if n <= MIN_PADDED_LEN {
        return MIN_PADDED_LEN;
    }
    let e = usize::BITS - 1 - n.leading_zeros();
    let s = u32::BITS - e.leading_zeros();
    let last_bits = e - s;
    let mask = (1usize << last_bits) - 1;
    (n + mask) & !mask
}

/// The largest padded payload any valid message has.
pub(crate) fn max_padded_len() -> usize {
    padded_len(PAYLOAD_HEADER_LEN + MAX_BODY_LEN)
}

/// A message's id: 16 random bytes chosen by the sender.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub [u8; 16]);

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({self})")
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::wire::codec::write_hex(f, &self.0)
    }
}

/// Metadata that travels inside the encryption with every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageInfo {
    /// The sender's id for this message.
    pub id: MessageId,
    /// When the sender sent it (unix seconds, sender's clock).
    pub sent_at: u64,
    /// When it must no longer be shown (unix seconds), if the sender set it.
    pub expires_at: Option<u64>,
    /// The sender flagged it as containing patient data (for example from a
    /// redaction scan).
    pub contains_patient_data: bool,
}

/// A message to send: the body and the metadata the sender sets.
///
/// ```
/// use bleep::OutgoingMessage;
/// let m = OutgoingMessage::new(b"Bay 3 bed 2 needs a review", 1_700_000_000)
///     .expires_at(1_700_086_400)
///     .contains_patient_data(true);
/// # let _ = m;
/// ```
#[derive(Clone, Copy)]
pub struct OutgoingMessage<'a> {
    pub(crate) body: &'a [u8],
    pub(crate) sent_at: u64,
    pub(crate) expires_at: Option<u64>,
    pub(crate) patient_data: bool,
}

impl<'a> OutgoingMessage<'a> {
    /// A message with `body`, sent at `sent_at` (unix seconds).
    pub fn new(body: &'a [u8], sent_at: u64) -> Self {
        OutgoingMessage {
            body,
            sent_at,
            expires_at: None,
            patient_data: false,
        }
    }

    /// The time after which the receiver must refuse it.
    pub fn expires_at(mut self, at: u64) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Flags the message as containing patient data.
    pub fn contains_patient_data(mut self, yes: bool) -> Self {
        self.patient_data = yes;
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.body.len() > MAX_BODY_LEN {
            return Err(LimitError::MessageTooLarge.into());
        }
        Ok(())
    }

    /// The padded payload length for this message.
    pub(crate) fn padded_len(&self) -> usize {
        padded_len(PAYLOAD_HEADER_LEN + self.body.len())
    }

    /// Appends the padded payload.
    pub(crate) fn write(&self, id: &MessageId, out: &mut Vec<u8>) {
        let mut flags = 0;
        if self.patient_data {
            flags |= FLAG_PATIENT_DATA;
        }
        if self.expires_at.is_some() {
            flags |= FLAG_EXPIRES;
        }
        let start = out.len();
        out.push(PAYLOAD_VERSION);
        out.push(flags);
        out.extend_from_slice(&id.0);
        out.extend_from_slice(&self.sent_at.to_be_bytes());
        out.extend_from_slice(&self.expires_at.unwrap_or(0).to_be_bytes());
        out.extend_from_slice(&crate::wire::codec::len_u32(self.body.len()));
        out.extend_from_slice(self.body);
        out.resize(start + self.padded_len(), 0);
    }
}

impl fmt::Debug for OutgoingMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("body", &"<redacted>")
            .field("sent_at", &self.sent_at)
            .field("expires_at", &self.expires_at)
            .field("contains_patient_data", &self.patient_data)
            .finish()
    }
}

/// A decrypted message.
#[derive(Debug)]
pub struct ReceivedMessage {
    /// Who sent it: the session's peer, or the group member whose signature
    /// it carries. The message id is the sender's choice, so a message is
    /// identified by the pair (sender, id).
    pub sender: IdentityKey,
    /// Its metadata.
    pub info: MessageInfo,
    /// Its body, in a zeroizing buffer.
    pub body: Plaintext,
}

/// Parses a decrypted payload held in `buf` (whose whole capacity is wiped
/// when the returned body drops). The body stays where it is in `buf`, so
/// no second copy of the plaintext is made.
pub(crate) fn read(mut buf: Vec<u8>, sender: &IdentityKey) -> Result<ReceivedMessage> {
    let parsed = parse_header(&buf);
    let (info, body_len) = match parsed {
        Ok(v) => v,
        Err(e) => {
            zeroize::Zeroize::zeroize(&mut buf);
            return Err(e);
        }
    };
    buf.truncate(PAYLOAD_HEADER_LEN + body_len);
    Ok(ReceivedMessage {
        sender: sender.clone(),
        info,
        body: Plaintext::from_vec_at(buf, PAYLOAD_HEADER_LEN),
    })
}

fn parse_header(buf: &[u8]) -> Result<(MessageInfo, usize)> {
    if buf.len() != padded_len(buf.len().max(PAYLOAD_HEADER_LEN)) {
        return Err(DecodeError::InvalidLength.into());
    }
    let mut r = Reader::new(buf);
    if r.u8()? != PAYLOAD_VERSION {
        return Err(DecodeError::UnknownVersion.into());
    }
    let flags = r.u8()?;
    if flags & !(FLAG_PATIENT_DATA | FLAG_EXPIRES) != 0 {
        return Err(DecodeError::NonCanonical.into());
    }
    let id = MessageId(r.array()?);
    let sent_at = r.u64()?;
    let expires = r.u64()?;
    if flags & FLAG_EXPIRES == 0 && expires != 0 {
        return Err(DecodeError::NonCanonical.into());
    }
    let body = r.bytes_u32(MAX_BODY_LEN)?;
    if padded_len(PAYLOAD_HEADER_LEN + body.len()) != buf.len() {
        return Err(DecodeError::NonCanonical.into());
    }
    if r.rest().iter().any(|b| *b != 0) {
        return Err(DecodeError::NonCanonical.into());
    }
    Ok((
        MessageInfo {
            id,
            sent_at,
            expires_at: (flags & FLAG_EXPIRES != 0).then_some(expires),
            contains_patient_data: flags & FLAG_PATIENT_DATA != 0,
        },
        body.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_buckets() {
        assert_eq!(padded_len(0), 64);
        assert_eq!(padded_len(64), 64);
        assert_eq!(padded_len(65), 72);
        assert_eq!(padded_len(1062), 1088);
        for n in 1..100_000 {
            let p = padded_len(n);
            assert!(p >= n && p <= n + n / 8 + 64, "{n} -> {p}");
            assert_eq!(padded_len(p), p, "idempotent at {n}");
        }
    }

    #[test]
    fn round_trip_and_canonical() {
        let id = MessageId([7; 16]);
        let who = crate::IdentityKeyPair::from_seed_bytes([2; 32])
            .public()
            .clone();
        let m = OutgoingMessage::new(b"hello", 42)
            .expires_at(99)
            .contains_patient_data(true);
        let mut out = Vec::new();
        m.write(&id, &mut out);
        assert_eq!(out.len(), 64);
        let r = read(out.clone(), &who).unwrap();
        assert_eq!(r.body.expose(), b"hello");
        assert_eq!(r.sender, who);
        assert_eq!(r.info.expires_at, Some(99));
        assert!(r.info.contains_patient_data);
        let mut bad = out.clone();
        bad[63] = 1;
        assert_eq!(
            read(bad, &who).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        let mut bad = out.clone();
        bad[1] |= 0x80;
        assert!(read(bad, &who).is_err());
        let mut bad = out.clone();
        bad[0] = 2;
        assert_eq!(
            read(bad, &who).unwrap_err(),
            DecodeError::UnknownVersion.into()
        );
        let mut bad = out;
        bad[37] = 200;
        assert!(read(bad, &who).is_err());
    }

    #[test]
    fn size_limit() {
        let big = vec![0u8; MAX_BODY_LEN];
        assert!(OutgoingMessage::new(&big, 0).check().is_ok());
        let over = vec![0u8; MAX_BODY_LEN + 1];
        assert_eq!(
            OutgoingMessage::new(&over, 0).check().unwrap_err(),
            LimitError::MessageTooLarge.into()
        );
    }
}
