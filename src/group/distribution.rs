//! The distribution message: a member's sender key, for one other member.
//!
//! It carries the sender's chain key at its current counter and the
//! public half of the chain's signing key. Whoever holds it can read every
//! later message on that chain, so it is a secret: it lives in a zeroizing
//! buffer and must only travel inside a pairwise [`crate::Session`], which
//! encrypts it, authenticates the sender (the receiver checks the sender
//! named here is the session's peer) and rejects replays.
//!
//! Each distribution names its [`Position`]: the roster version it is bound
//! to and the sender's generation (which chain of the sender's this is).
//! A receiver installs a chain only if its position is greater than that of
//! the chain it holds for the sender, so a delayed copy of a chain the
//! sender has rotated away from cannot undo the rotation. The position is
//! authenticated by the pairwise session the message travels in.
//!
//! Layout (big-endian): `version (1) = 0x02 || kind (1) = 0x04 ||
//! group id (16) || roster version (8) || generation (4) ||
//! sender Ed25519 key (32) || chain id (4) || counter (4) || chain key (32) ||
//! signing public key (32)`. Version 1 (no generation) is refused.

use crate::error::{DecodeError, Result};
use crate::group::roster::GroupId;
use crate::group::sender_key::read_verifying_key;
use crate::ratchet::chain_key::ChainKey;
use crate::wire::codec::Reader;
use core::fmt;
use ed25519_dalek::VerifyingKey;
use zeroize::Zeroizing;

/// Version byte of the distribution message format. Version 1 carried no
/// generation; it is refused (`UnknownVersion`), since accepting it would
/// bring back the rollback the generation prevents.
pub(crate) const DISTRIBUTION_VERSION: u8 = 2;
/// Kind byte of a distribution message.
pub(crate) const KIND_DISTRIBUTION: u8 = 4;
/// Length of a distribution message.
pub const DISTRIBUTION_MESSAGE_LEN: usize = 1 + 1 + 16 + 8 + 4 + 32 + 4 + 4 + 32 + 32;

/// Where a sender chain stands among the sender's chains: the roster
/// version its distribution was bound to, then the sender's generation.
/// Compared in that order (the derived `Ord` follows field order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub(crate) roster_version: u64,
    pub(crate) generation: u32,
}

impl Position {
    /// The position given to chains loaded from a version 1 state, which
    /// recorded none: below every distribution, so the sender's next one
    /// replaces the chain.
    pub(crate) const UNRECORDED: Position = Position {
        roster_version: 0,
        generation: 0,
    };
}

/// A sender key for one or more members, as bytes to send over each
/// recipient's pairwise [`crate::Session`].
///
/// Secret: zeroized on drop, never printed. Send it only as the body of a
/// 1:1 message:
/// `session.encrypt(rng, OutgoingMessage::new(plan.message.as_bytes(), now))`.
pub struct DistributionMessage(Zeroizing<Vec<u8>>);

impl DistributionMessage {
    /// The bytes to encrypt in a pairwise session. Never send them any
    /// other way.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for DistributionMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DistributionMessage(<redacted>)")
    }
}

/// A parsed distribution message.
#[derive(Debug)]
pub(crate) struct Distribution {
    pub(crate) group_id: GroupId,
    pub(crate) roster_version: u64,
    pub(crate) generation: u32,
    pub(crate) sender: [u8; 32],
    pub(crate) chain_id: u32,
    pub(crate) counter: u32,
    pub(crate) key: ChainKey,
    pub(crate) verifying: VerifyingKey,
}

impl Distribution {
    /// The position this distribution claims for its chain.
    pub(crate) fn position(&self) -> Position {
        Position {
            roster_version: self.roster_version,
            generation: self.generation,
        }
    }

    pub(crate) fn to_message(&self) -> DistributionMessage {
        let mut out = Zeroizing::new(Vec::with_capacity(DISTRIBUTION_MESSAGE_LEN));
        out.push(DISTRIBUTION_VERSION);
        out.push(KIND_DISTRIBUTION);
        out.extend_from_slice(&self.group_id.0);
        out.extend_from_slice(&self.roster_version.to_be_bytes());
        out.extend_from_slice(&self.generation.to_be_bytes());
        out.extend_from_slice(&self.sender);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(self.key.as_bytes());
        out.extend_from_slice(self.verifying.as_bytes());
        DistributionMessage(out)
    }

    /// Parses distribution bytes.
    ///
    /// Errors: [`DecodeError`] for a wrong version (including version 1),
    /// kind, length, or an invalid or small-order signing key.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != DISTRIBUTION_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        if r.u8()? != KIND_DISTRIBUTION {
            return Err(DecodeError::UnknownKind.into());
        }
        let d = Distribution {
            group_id: GroupId(r.array()?),
            roster_version: r.u64()?,
            generation: r.u32()?,
            sender: r.array()?,
            chain_id: r.u32()?,
            counter: r.u32()?,
            key: ChainKey::from_bytes(r.array()?),
            verifying: read_verifying_key(&mut r)?,
        };
        r.finish()?;
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use ed25519_dalek::SigningKey;

    #[test]
    fn positions_order_by_roster_version_then_generation() {
        let p = |roster_version, generation| Position {
            roster_version,
            generation,
        };
        assert!(p(1, 5) < p(2, 0));
        assert!(p(2, 0) < p(2, 1));
        assert!(Position::UNRECORDED < p(1, 0));
    }

    fn sample() -> Distribution {
        Distribution {
            group_id: GroupId([1; 16]),
            roster_version: 7,
            generation: 6,
            sender: [2; 32],
            chain_id: 9,
            counter: 3,
            key: ChainKey::from_bytes([4; 32]),
            verifying: SigningKey::from_bytes(&[5; 32]).verifying_key(),
        }
    }

    #[test]
    fn round_trip_and_rejections() {
        let m = sample().to_message();
        assert_eq!(m.as_bytes().len(), DISTRIBUTION_MESSAGE_LEN);
        assert_eq!(format!("{m:?}"), "DistributionMessage(<redacted>)");
        let d = Distribution::parse(m.as_bytes()).unwrap();
        assert_eq!(d.to_message().as_bytes(), m.as_bytes());
        assert_eq!(
            (d.roster_version, d.generation, d.chain_id, d.counter),
            (7, 6, 9, 3)
        );
        let b = m.as_bytes();
        assert_eq!(&b[..2], &[2, 4]);
        assert_eq!(b[26..30], 6u32.to_be_bytes());
        for version in [0, 1, 3, 9] {
            let mut bad = b.to_vec();
            bad[0] = version;
            assert_eq!(
                Distribution::parse(&bad).unwrap_err(),
                Error::Decode(DecodeError::UnknownVersion)
            );
        }
        // A version 1 message (no generation) is refused, not read as
        // generation 0.
        let mut v1 = b[..26].to_vec();
        v1[0] = 1;
        v1.extend_from_slice(&b[30..]);
        assert_eq!(
            Distribution::parse(&v1).unwrap_err(),
            Error::Decode(DecodeError::UnknownVersion)
        );
        let mut bad = b.to_vec();
        bad[1] = 1;
        assert_eq!(
            Distribution::parse(&bad).unwrap_err(),
            Error::Decode(DecodeError::UnknownKind)
        );
        assert!(Distribution::parse(&b[..b.len() - 1]).is_err());
        let mut long = b.to_vec();
        long.push(0);
        assert_eq!(
            Distribution::parse(&long).unwrap_err(),
            Error::Decode(DecodeError::TrailingBytes)
        );
        // A small-order signing key (the identity point) is refused.
        let mut weak = b.to_vec();
        let n = weak.len();
        weak[n - 32..].copy_from_slice(&[
            1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0,
        ]);
        assert_eq!(
            Distribution::parse(&weak).unwrap_err(),
            Error::Decode(DecodeError::InvalidKey)
        );
    }
}
