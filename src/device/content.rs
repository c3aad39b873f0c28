//! Content types: what the encrypted payload of a device-level message
//! holds (`docs/PROTOCOL.md` §12.2).
//!
//! `version (1) = 0x01 || type (1) || body`. The body of a text, a group
//! roster or a sender-key distribution is the rest of the payload; a
//! receipt or filed notice is `count (1, 1..=64) || ids (16 each)`; a
//! session reset is `reason (1)`; a session check is empty. A version or type this build does not
//! know is reported as [`Content::Unknown`] (a newer sender), never dropped
//! and never an error; malformed bodies of known types are a
//! [`DecodeError`].

use crate::error::{DecodeError, LimitError, Result};
use crate::limits::MAX_RECEIPT_IDS;
use crate::wire::codec::Reader;
use crate::wire::payload::MessageId;
use zeroize::Zeroizing;

/// The content framing version this build writes.
pub const CONTENT_VERSION: u8 = 1;

const TYPE_TEXT: u8 = 0x01;
const TYPE_DELIVERED: u8 = 0x02;
const TYPE_READ: u8 = 0x03;
const TYPE_FILED: u8 = 0x04;
const TYPE_SESSION_RESET: u8 = 0x05;
const TYPE_GROUP_ROSTER: u8 = 0x06;
const TYPE_SENDER_KEY: u8 = 0x07;
const TYPE_SESSION_CHECK: u8 = 0x08;

const REASON_UNDECRYPTABLE: u8 = 0x01;
const REASON_PREKEY_REFUSED: u8 = 0x02;

/// Why a session reset was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResetReason {
    /// A message from the peer could not be decrypted (the peer, or this
    /// device, lost or rolled back its state).
    Undecryptable,
    /// The peer's prekey message named a prekey this device no longer
    /// holds (a one-time prekey already used or unknown, or a signed
    /// prekey no longer kept): its first messages were not read.
    PreKeyRefused,
    /// A reason from a newer version (its byte).
    Other(u8),
}

impl ResetReason {
    fn byte(self) -> u8 {
        match self {
            ResetReason::Undecryptable => REASON_UNDECRYPTABLE,
            ResetReason::PreKeyRefused => REASON_PREKEY_REFUSED,
            ResetReason::Other(b) => b,
        }
    }
}

/// Decoded content, borrowing from the decrypted payload.
#[derive(PartialEq, Eq)]
#[non_exhaustive]
pub enum Content<'a> {
    /// A clinical message (UTF-8 expected, not enforced).
    Text(&'a [u8]),
    /// The peer received these messages.
    Delivered(Vec<MessageId>),
    /// The peer's clinician has seen these messages.
    Read(Vec<MessageId>),
    /// The peer filed these messages to the record and erased them.
    Filed(Vec<MessageId>),
    /// The peer started a new session because it could not read ours.
    SessionReset(ResetReason),
    /// A signed group roster (opaque here).
    GroupRoster(&'a [u8]),
    /// A sender-key distribution message (opaque here; secret).
    SenderKeyDistribution(&'a [u8]),
    /// The peer received a copy of a message it had already read and
    /// checks that the session still works both ways: a peer that
    /// restored old state cannot read it and starts a reset.
    SessionCheck,
    /// A version or type this build does not know.
    Unknown {
        /// The framing version byte.
        version: u8,
        /// The type byte.
        content_type: u8,
    },
}

impl core::fmt::Debug for Content<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Content::Text(t) => write!(f, "Text(<{} bytes redacted>)", t.len()),
            Content::Delivered(ids) => f.debug_tuple("Delivered").field(ids).finish(),
            Content::Read(ids) => f.debug_tuple("Read").field(ids).finish(),
            Content::Filed(ids) => f.debug_tuple("Filed").field(ids).finish(),
            Content::SessionReset(r) => f.debug_tuple("SessionReset").field(r).finish(),
            Content::SessionCheck => f.write_str("SessionCheck"),
            Content::GroupRoster(b) => write!(f, "GroupRoster(<{} bytes>)", b.len()),
            Content::SenderKeyDistribution(b) => {
                write!(f, "SenderKeyDistribution(<{} bytes redacted>)", b.len())
            }
            Content::Unknown {
                version,
                content_type,
            } => write!(
                f,
                "Unknown {{ version: {version}, content_type: {content_type} }}"
            ),
        }
    }
}

impl<'a> Content<'a> {
    /// Parses a decrypted payload. Untrusted bytes (the peer chose them):
    /// every error is a typed [`crate::Error::Decode`] or
    /// [`crate::Error::Limit`], never a panic.
    pub fn parse(bytes: &'a [u8]) -> Result<Content<'a>> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version == 0 {
            return Err(DecodeError::UnknownVersion.into());
        }
        let content_type = r.u8()?;
        if version != CONTENT_VERSION {
            return Ok(Content::Unknown {
                version,
                content_type,
            });
        }
        Ok(match content_type {
            TYPE_TEXT => Content::Text(r.rest()),
            TYPE_GROUP_ROSTER => Content::GroupRoster(r.rest()),
            TYPE_SENDER_KEY => Content::SenderKeyDistribution(r.rest()),
            TYPE_DELIVERED => Content::Delivered(read_ids(&mut r)?),
            TYPE_READ => Content::Read(read_ids(&mut r)?),
            TYPE_FILED => Content::Filed(read_ids(&mut r)?),
            TYPE_SESSION_RESET => {
                let reason = match r.u8()? {
                    REASON_UNDECRYPTABLE => ResetReason::Undecryptable,
                    REASON_PREKEY_REFUSED => ResetReason::PreKeyRefused,
                    0 => return Err(DecodeError::NonCanonical.into()),
                    b => ResetReason::Other(b),
                };
                r.finish()?;
                Content::SessionReset(reason)
            }
            TYPE_SESSION_CHECK => {
                r.finish()?;
                Content::SessionCheck
            }
            _ => Content::Unknown {
                version,
                content_type,
            },
        })
    }

    /// The framed bytes (zeroizing: a text is patient data).
    ///
    /// Errors: [`LimitError::TooManyEntries`] for an empty receipt or one
    /// naming more than [`MAX_RECEIPT_IDS`] ids; [`DecodeError::UnknownKind`]
    /// for [`Content::Unknown`] (only a newer version can write it).
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>> {
        let body_len = match self {
            Content::Text(b) | Content::GroupRoster(b) | Content::SenderKeyDistribution(b) => {
                b.len()
            }
            Content::Delivered(ids) | Content::Read(ids) | Content::Filed(ids) => {
                1 + 16 * ids.len()
            }
            Content::SessionReset(_) => 1,
            Content::SessionCheck => 0,
            Content::Unknown { .. } => return Err(DecodeError::UnknownKind.into()),
        };
        let mut out = Zeroizing::new(Vec::with_capacity(2 + body_len));
        out.push(CONTENT_VERSION);
        match self {
            Content::Text(b) => {
                out.push(TYPE_TEXT);
                out.extend_from_slice(b);
            }
            Content::GroupRoster(b) => {
                out.push(TYPE_GROUP_ROSTER);
                out.extend_from_slice(b);
            }
            Content::SenderKeyDistribution(b) => {
                out.push(TYPE_SENDER_KEY);
                out.extend_from_slice(b);
            }
            Content::Delivered(ids) => write_ids(&mut out, TYPE_DELIVERED, ids)?,
            Content::Read(ids) => write_ids(&mut out, TYPE_READ, ids)?,
            Content::Filed(ids) => write_ids(&mut out, TYPE_FILED, ids)?,
            Content::SessionReset(reason) => {
                out.push(TYPE_SESSION_RESET);
                out.push(reason.byte());
            }
            Content::SessionCheck => out.push(TYPE_SESSION_CHECK),
            Content::Unknown { .. } => return Err(DecodeError::UnknownKind.into()),
        }
        Ok(out)
    }
}

fn write_ids(out: &mut Vec<u8>, ty: u8, ids: &[MessageId]) -> Result<()> {
    if ids.is_empty() || ids.len() > MAX_RECEIPT_IDS {
        return Err(LimitError::TooManyEntries.into());
    }
    out.push(ty);
    out.push(u8::try_from(ids.len()).map_err(|_| LimitError::TooManyEntries)?);
    for id in ids {
        out.extend_from_slice(&id.0);
    }
    Ok(())
}

fn read_ids(r: &mut Reader<'_>) -> Result<Vec<MessageId>> {
    let n = r.count_u8(MAX_RECEIPT_IDS)?;
    if n == 0 {
        return Err(DecodeError::InvalidLength.into());
    }
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(MessageId(r.array()?));
    }
    if r.remaining() != 0 {
        return Err(DecodeError::TrailingBytes.into());
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn every_kind_round_trips() {
        let ids = vec![MessageId([1; 16]), MessageId([2; 16])];
        let all = [
            Content::Text(b"Bed 7: K+ 6.1"),
            Content::Text(b""),
            Content::Delivered(ids.clone()),
            Content::Read(ids.clone()),
            Content::Filed(vec![MessageId([9; 16])]),
            Content::SessionReset(ResetReason::Undecryptable),
            Content::SessionReset(ResetReason::PreKeyRefused),
            Content::SessionReset(ResetReason::Other(7)),
            Content::GroupRoster(b"roster"),
            Content::SenderKeyDistribution(b"key"),
            Content::SessionCheck,
        ];
        for c in all {
            let bytes = c.to_bytes().unwrap();
            assert_eq!(Content::parse(&bytes).unwrap(), c);
        }
    }

    #[test]
    fn framing_is_pinned() {
        assert_eq!(
            Content::Text(b"hi").to_bytes().unwrap().as_slice(),
            &[1, 1, b'h', b'i']
        );
        assert_eq!(
            Content::Delivered(vec![MessageId([7; 16])])
                .to_bytes()
                .unwrap()[..3],
            [1, 2, 1]
        );
        assert_eq!(
            Content::SessionReset(ResetReason::Undecryptable)
                .to_bytes()
                .unwrap()
                .as_slice(),
            &[1, 5, 1]
        );
        assert_eq!(
            Content::SessionReset(ResetReason::PreKeyRefused)
                .to_bytes()
                .unwrap()
                .as_slice(),
            &[1, 5, 2]
        );
        assert_eq!(
            Content::SessionCheck.to_bytes().unwrap().as_slice(),
            &[1, 8]
        );
    }

    #[test]
    fn unknown_is_reported_and_bad_bodies_refused() {
        assert_eq!(
            Content::parse(&[1, 0x40, 1, 2, 3]).unwrap(),
            Content::Unknown {
                version: 1,
                content_type: 0x40
            }
        );
        assert_eq!(
            Content::parse(&[2, 1, 1]).unwrap(),
            Content::Unknown {
                version: 2,
                content_type: 1
            }
        );
        for bad in [
            &[][..],
            &[1],
            &[0, 1],
            &[1, 2],
            &[1, 2, 0],
            &[1, 2, 1, 0],
            &[1, 2, 65],
            &[1, 5],
            &[1, 5, 0],
            &[1, 5, 1, 0],
            &[1, 8, 0],
        ] {
            assert!(matches!(
                Content::parse(bad),
                Err(Error::Decode(_) | Error::Limit(_))
            ));
        }
        let mut long = vec![1, 3, 1];
        long.extend_from_slice(&[0; 17]);
        assert_eq!(
            Content::parse(&long).unwrap_err(),
            DecodeError::TrailingBytes.into()
        );
    }

    #[test]
    fn short_inputs_never_panic_and_re_encode() {
        // Every input of up to 3 bytes, and receipts with trailing bytes:
        // what the fuzz target checks, replayed under `cargo test`.
        let mut inputs: Vec<Vec<u8>> = vec![vec![]];
        for a in 0..=255u8 {
            inputs.push(vec![a]);
            for b in 0..=9u8 {
                inputs.push(vec![a, b]);
                for c in [0u8, 1, 2, 64, 65, 255] {
                    inputs.push(vec![a, b, c]);
                }
            }
        }
        for bytes in inputs {
            if let Ok(c) = Content::parse(&bytes) {
                match c {
                    Content::Unknown { .. } => assert!(c.to_bytes().is_err()),
                    known => assert_eq!(known.to_bytes().unwrap().as_slice(), &bytes[..]),
                }
            }
        }
    }

    #[test]
    fn receipt_bounds() {
        let at = vec![MessageId([0; 16]); MAX_RECEIPT_IDS];
        let bytes = Content::Read(at).to_bytes().unwrap();
        assert_eq!(
            Content::parse(&bytes).unwrap(),
            Content::Read(vec![MessageId([0; 16]); 64])
        );
        assert_eq!(
            Content::Read(vec![MessageId([0; 16]); MAX_RECEIPT_IDS + 1])
                .to_bytes()
                .unwrap_err(),
            LimitError::TooManyEntries.into()
        );
        assert!(Content::Read(vec![]).to_bytes().is_err());
        assert!(format!("{:?}", Content::Text(b"NHS 943 476 5919")).contains("redacted"));
    }
}
