//! The signed, versioned roster of a group and its safety number.
//!
//! A roster names the group (a random 16-byte id), its version (a counter
//! the coordinator increments on every change), and each member's identity
//! key and role. The coordinator signs it with their identity key, so a
//! member who has verified the coordinator's identity (by safety number or
//! attestation) can trust the whole membership list. The group safety
//! number is a digest of the roster: clinicians who read out the same 60
//! digits are in the same group with the same members. Any change to the
//! roster changes the number.
//!
//! What a roster does not give: it does not verify the members themselves
//! (the coordinator vouches for them), and it does not stop the coordinator
//! from adding someone — a member sees every change in
//! [`crate::RosterUpdate`] and can check the new number.

use crate::error::{DecodeError, GroupError, LimitError, Result};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair};
use crate::limits::MAX_GROUP_MEMBERS;
use crate::secret::ct_eq;
use crate::wire::codec::{Reader, len_u16};
use core::fmt;
use rand_core::CryptoRng;
use sha2::{Digest, Sha512};

/// Version byte of the roster encoding.
pub(crate) const ROSTER_VERSION: u8 = 1;
/// Signature context of a roster.
pub(crate) const LABEL_ROSTER: &[u8] = b"bleep v1 group roster";
/// Label hashed first into the group safety number.
pub(crate) const LABEL_GROUP_SAFETY_NUMBER: &[u8] = b"bleep v1 group safety number";
/// Version of the group safety number construction.
pub(crate) const SAFETY_NUMBER_VERSION: u16 = 1;
/// SHA-512 iterations of the group safety number (as Signal's fingerprint,
/// to make a second roster with a colliding number expensive to search).
pub(crate) const SAFETY_NUMBER_ITERATIONS: u32 = 5200;
/// Digits in a group safety number (12 groups of 5).
pub const GROUP_SAFETY_NUMBER_DIGITS: usize = 60;

const ROLE_COORDINATOR: u8 = 1;
const ROLE_MEMBER: u8 = 2;

/// A group's identifier: 16 random bytes chosen by the coordinator.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub [u8; 16]);

impl GroupId {
    /// A fresh random group id.
    pub fn random(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        GroupId(id)
    }
}

impl fmt::Debug for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupId({self})")
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::wire::codec::write_hex(f, &self.0)
    }
}

/// A member's role in the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// Signs the roster: adds and removes members. Exactly one per roster.
    Coordinator,
    /// Reads and sends group messages.
    Member,
}

impl Role {
    fn byte(self) -> u8 {
        match self {
            Role::Coordinator => ROLE_COORDINATOR,
            Role::Member => ROLE_MEMBER,
        }
    }
}

/// One entry of a roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterMember {
    identity: IdentityKey,
    role: Role,
}

impl RosterMember {
    /// The member's identity key.
    pub fn identity(&self) -> &IdentityKey {
        &self.identity
    }

    /// The member's role.
    pub fn role(&self) -> Role {
        self.role
    }
}

/// A signed, versioned list of a group's members.
///
/// ```
/// use bleep::{GroupId, IdentityKeyPair, Roster};
/// let mut rng = rand::rng();
/// let lead = IdentityKeyPair::generate(&mut rng);
/// let nurse = IdentityKeyPair::generate(&mut rng);
/// let roster = Roster::create(&lead, GroupId::random(&mut rng), &[nurse.public().clone()])?;
/// let received = Roster::from_bytes(&roster.to_bytes())?;
/// assert_eq!(received.safety_number(), roster.safety_number());
/// assert_eq!(received.safety_number().to_string().len(), 71); // 12 groups of 5 digits
/// # Ok::<(), bleep::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Roster {
    group_id: GroupId,
    version: u64,
    /// The one member with [`Role::Coordinator`].
    coordinator: IdentityKey,
    /// Sorted by Ed25519 key, no duplicates.
    members: Vec<RosterMember>,
    signature: [u8; 64],
}

impl Roster {
    /// Version 1 of a new group's roster: the coordinator (`coordinator`,
    /// who signs it) and `members`.
    ///
    /// Errors: [`GroupError::DuplicateMember`], [`GroupError::GroupFull`].
    pub fn create(
        coordinator: &IdentityKeyPair,
        group_id: GroupId,
        members: &[IdentityKey],
    ) -> Result<Roster> {
        let mut list = Vec::with_capacity(members.len() + 1);
        list.push(RosterMember {
            identity: coordinator.public().clone(),
            role: Role::Coordinator,
        });
        list.extend(members.iter().map(|m| RosterMember {
            identity: m.clone(),
            role: Role::Member,
        }));
        Self::signed(coordinator, group_id, 1, list)
    }

    /// The next version of this roster, with `add` added and `remove`
    /// removed, signed by the coordinator.
    ///
    /// Errors: [`GroupError::NotCoordinator`] (another key, or removing the
    /// coordinator), [`GroupError::DuplicateMember`],
    /// [`GroupError::UnknownMember`], [`GroupError::GroupFull`],
    /// [`LimitError::CounterExhausted`].
    pub fn next(
        &self,
        coordinator: &IdentityKeyPair,
        add: &[IdentityKey],
        remove: &[IdentityKey],
    ) -> Result<Roster> {
        if coordinator.public() != self.coordinator() {
            return Err(GroupError::NotCoordinator.into());
        }
        let version = self
            .version
            .checked_add(1)
            .ok_or(LimitError::CounterExhausted)?;
        let mut list = self.members.clone();
        for r in remove {
            if r == coordinator.public() {
                return Err(GroupError::NotCoordinator.into());
            }
            let i = find(&list, r.ed25519_bytes()).ok_or(GroupError::UnknownMember)?;
            list.remove(i);
        }
        list.extend(add.iter().map(|m| RosterMember {
            identity: m.clone(),
            role: Role::Member,
        }));
        Self::signed(coordinator, self.group_id, version, list)
    }

    fn signed(
        coordinator: &IdentityKeyPair,
        group_id: GroupId,
        version: u64,
        mut members: Vec<RosterMember>,
    ) -> Result<Roster> {
        if members.len() > MAX_GROUP_MEMBERS {
            return Err(GroupError::GroupFull.into());
        }
        members.sort_by(|a, b| a.identity.ed25519_bytes().cmp(b.identity.ed25519_bytes()));
        if members.windows(2).any(
            |w| matches!(w, [a, b] if a.identity.ed25519_bytes() == b.identity.ed25519_bytes()),
        ) {
            return Err(GroupError::DuplicateMember.into());
        }
        let mut roster = Roster {
            group_id,
            version,
            coordinator: coordinator.public().clone(),
            members,
            signature: [0; 64],
        };
        let body = roster.body();
        roster.signature = coordinator.sign(LABEL_ROSTER, &body).to_bytes();
        Ok(roster)
    }

    /// The group's id.
    pub fn group_id(&self) -> GroupId {
        self.group_id
    }

    /// The roster version (1 for a new group, +1 for every change).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The coordinator who signed this roster.
    pub fn coordinator(&self) -> &IdentityKey {
        &self.coordinator
    }

    /// The members, sorted by their Ed25519 key.
    pub fn members(&self) -> &[RosterMember] {
        &self.members
    }

    /// Number of members, the coordinator included.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the roster is empty (never true for a valid roster).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether `identity` is a member.
    pub fn contains(&self, identity: &IdentityKey) -> bool {
        self.member(identity.ed25519_bytes())
            .is_some_and(|m| m.identity == *identity)
    }

    pub(crate) fn member(&self, ed25519: &[u8; 32]) -> Option<&RosterMember> {
        find(&self.members, ed25519).and_then(|i| self.members.get(i))
    }

    /// The group safety number of this roster (see `docs/PROTOCOL.md` §9.2).
    pub fn safety_number(&self) -> GroupSafetyNumber {
        let mut data = Sha512::new();
        data.update(LABEL_GROUP_SAFETY_NUMBER);
        data.update(self.group_id.0);
        data.update(self.version.to_be_bytes());
        data.update(self.coordinator().ed25519_bytes());
        data.update(len_u16(self.members.len()));
        for m in &self.members {
            data.update(m.identity.ed25519_bytes());
            data.update([m.role.byte()]);
        }
        let data = data.finalize();
        let mut h = Sha512::new()
            .chain_update(SAFETY_NUMBER_VERSION.to_be_bytes())
            .chain_update(data)
            .finalize();
        for _ in 1..SAFETY_NUMBER_ITERATIONS {
            h = Sha512::new().chain_update(h).chain_update(data).finalize();
        }
        let mut digits = [b'0'; GROUP_SAFETY_NUMBER_DIGITS];
        for (chunk, out) in h.chunks_exact(5).zip(digits.chunks_exact_mut(5)) {
            let v = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) % 100_000;
            let mut v = v;
            for d in out.iter_mut().rev() {
                // `v % 10` is below 10, so the cast cannot truncate.
                *d = b'0' + u8::try_from(v % 10).unwrap_or(0);
                v /= 10;
            }
        }
        GroupSafetyNumber(digits)
    }

    /// Everything the signature covers.
    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 16 + 8 + 2 + self.members.len() * 130);
        out.push(ROSTER_VERSION);
        out.extend_from_slice(&self.group_id.0);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&len_u16(self.members.len()));
        for m in &self.members {
            out.extend_from_slice(&m.identity.to_bytes());
            out.push(m.role.byte());
        }
        out
    }

    /// The signed encoding:
    /// `0x01 || group id (16) || version (8) || count (2) ||
    /// count × (identity key (129) || role (1)) || signature (64)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.body();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses a roster and checks its coordinator's signature (strict).
    ///
    /// This proves only that the roster's own coordinator signed it: the
    /// app must check that coordinator is who it expects
    /// ([`crate::GroupSession::join`] takes the trust store's proof for the
    /// expected coordinator).
    ///
    /// Errors: [`crate::Error::Decode`] (malformed, unsorted or duplicate
    /// members, not exactly one coordinator), [`GroupError::GroupFull`],
    /// [`crate::CryptoError::BadSignature`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Roster> {
        let mut r = Reader::new(bytes);
        if r.u8()? != ROSTER_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let group_id = GroupId(r.array()?);
        let version = r.u64()?;
        let n = r.count_u16(usize::from(u16::MAX), IDENTITY_KEY_LEN + 1)?;
        if n > MAX_GROUP_MEMBERS {
            return Err(GroupError::GroupFull.into());
        }
        if n == 0 {
            return Err(DecodeError::InvalidLength.into());
        }
        let mut members: Vec<RosterMember> = Vec::with_capacity(n);
        let mut coordinators = 0usize;
        let mut coordinator = None;
        for _ in 0..n {
            let identity = IdentityKey::read(&mut r)?;
            let role = match r.u8()? {
                ROLE_COORDINATOR => {
                    coordinators += 1;
                    coordinator = Some(identity.clone());
                    Role::Coordinator
                }
                ROLE_MEMBER => Role::Member,
                _ => return Err(DecodeError::UnknownKind.into()),
            };
            if members
                .last()
                .is_some_and(|p| p.identity.ed25519_bytes() >= identity.ed25519_bytes())
            {
                return Err(DecodeError::NonCanonical.into());
            }
            members.push(RosterMember { identity, role });
        }
        let signature = r.array()?;
        r.finish()?;
        let coordinator = match coordinator {
            Some(c) if coordinators == 1 => c,
            _ => return Err(DecodeError::NonCanonical.into()),
        };
        let roster = Roster {
            group_id,
            version,
            coordinator,
            members,
            signature,
        };
        roster
            .coordinator()
            .verify(LABEL_ROSTER, &roster.body(), &roster.signature)?;
        Ok(roster)
    }
}

/// Binary search by Ed25519 key in a sorted member list.
fn find(list: &[RosterMember], ed25519: &[u8; 32]) -> Option<usize> {
    list.binary_search_by(|m| m.identity.ed25519_bytes().cmp(ed25519))
        .ok()
}

impl fmt::Debug for Roster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roster")
            .field("group_id", &self.group_id)
            .field("version", &self.version)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

/// The group safety number: 60 digits derived from the whole roster.
///
/// Shown as 12 groups of 5 digits. Two members who see the same number
/// hold the same roster (group, version, coordinator, members and roles).
/// Comparison is constant-time.
#[derive(Clone)]
pub struct GroupSafetyNumber([u8; GROUP_SAFETY_NUMBER_DIGITS]);

impl GroupSafetyNumber {
    /// The 60 digits without spaces.
    pub fn digits(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Whether `displayed` (as read out or typed, spaces ignored) is this
    /// number.
    pub fn matches(&self, displayed: &str) -> bool {
        let mut typed = [0u8; GROUP_SAFETY_NUMBER_DIGITS];
        let mut n = 0usize;
        for b in displayed.bytes().filter(|b| !b.is_ascii_whitespace()) {
            match typed.get_mut(n) {
                Some(slot) => *slot = b,
                None => return false,
            }
            n += 1;
        }
        n == GROUP_SAFETY_NUMBER_DIGITS && ct_eq(&typed, &self.0)
    }
}

impl PartialEq for GroupSafetyNumber {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for GroupSafetyNumber {}

impl fmt::Display for GroupSafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.chunks(5).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(core::str::from_utf8(group).unwrap_or(""))?;
        }
        Ok(())
    }
}

impl fmt::Debug for GroupSafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupSafetyNumber({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CryptoError, Error};

    fn ids(n: u8) -> Vec<IdentityKeyPair> {
        (0..n)
            .map(|i| IdentityKeyPair::from_seed_bytes([i + 1; 32]))
            .collect()
    }

    #[test]
    fn round_trip_and_signature() {
        let p = ids(4);
        let others: Vec<_> = p[1..].iter().map(|k| k.public().clone()).collect();
        let r = Roster::create(&p[0], GroupId([9; 16]), &others).unwrap();
        assert_eq!(r.len(), 4);
        assert!(!r.is_empty());
        assert_eq!(r.coordinator(), p[0].public());
        let bytes = r.to_bytes();
        assert_eq!(Roster::from_bytes(&bytes).unwrap(), r);
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            Roster::from_bytes(&bad).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
        let mut bad = bytes.clone();
        bad[0] = 2;
        assert_eq!(
            Roster::from_bytes(&bad).unwrap_err(),
            DecodeError::UnknownVersion.into()
        );
        let mut long = bytes.clone();
        long.push(0);
        assert!(Roster::from_bytes(&long).is_err());
        assert!(Roster::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        // Changing the version breaks the signature.
        let mut bad = bytes;
        bad[24] ^= 1;
        assert!(Roster::from_bytes(&bad).is_err());
    }

    #[test]
    fn next_changes_version_and_number() {
        let p = ids(4);
        let r1 = Roster::create(&p[0], GroupId([1; 16]), &[p[1].public().clone()]).unwrap();
        let r2 = r1
            .next(&p[0], &[p[2].public().clone(), p[3].public().clone()], &[])
            .unwrap();
        let r3 = r2.next(&p[0], &[], &[p[1].public().clone()]).unwrap();
        assert_eq!((r2.version(), r3.version()), (2, 3));
        assert!(r3.contains(p[2].public()) && !r3.contains(p[1].public()));
        assert_ne!(r1.safety_number(), r2.safety_number());
        assert_ne!(r2.safety_number(), r3.safety_number());
        assert_eq!(
            r1.next(&p[1], &[], &[]).unwrap_err(),
            GroupError::NotCoordinator.into()
        );
        assert_eq!(
            r1.next(&p[0], &[], &[p[0].public().clone()]).unwrap_err(),
            GroupError::NotCoordinator.into()
        );
        assert_eq!(
            r1.next(&p[0], &[p[1].public().clone()], &[]).unwrap_err(),
            GroupError::DuplicateMember.into()
        );
        assert_eq!(
            r1.next(&p[0], &[], &[p[3].public().clone()]).unwrap_err(),
            GroupError::UnknownMember.into()
        );
    }

    #[test]
    fn safety_number_format_and_match() {
        let p = ids(2);
        let r = Roster::create(&p[0], GroupId([1; 16]), &[p[1].public().clone()]).unwrap();
        let n = r.safety_number();
        let shown = n.to_string();
        assert_eq!(shown.len(), 60 + 11);
        assert_eq!(shown.split(' ').count(), 12);
        assert!(n.digits().bytes().all(|b| b.is_ascii_digit()));
        assert!(n.matches(&shown));
        assert!(n.matches(n.digits()));
        let mut wrong = n.digits().to_owned();
        wrong.replace_range(0..1, if wrong.starts_with('0') { "1" } else { "0" });
        assert!(!n.matches(&wrong));
        assert!(!n.matches(&shown[..70]));
        // Another group id with the same members gives another number.
        let r2 = Roster::create(&p[0], GroupId([2; 16]), &[p[1].public().clone()]).unwrap();
        assert_ne!(r2.safety_number(), n);
    }

    #[test]
    fn group_size_limit() {
        let coord = IdentityKeyPair::from_seed_bytes([0xAA; 32]);
        let many: Vec<IdentityKey> = (0..MAX_GROUP_MEMBERS)
            .map(|i| {
                let mut s = [0u8; 32];
                s[..8].copy_from_slice(&(i as u64).to_be_bytes());
                IdentityKeyPair::from_seed_bytes(s).public().clone()
            })
            .collect();
        let full = &many[..MAX_GROUP_MEMBERS - 1];
        let r = Roster::create(&coord, GroupId([3; 16]), full).unwrap();
        assert_eq!(r.len(), MAX_GROUP_MEMBERS);
        assert_eq!(
            Roster::create(&coord, GroupId([3; 16]), &many).unwrap_err(),
            GroupError::GroupFull.into()
        );
        assert_eq!(
            r.next(&coord, &[ids(1)[0].public().clone()], &[])
                .unwrap_err(),
            GroupError::GroupFull.into()
        );
    }

    #[test]
    fn duplicate_and_unsorted_members_are_rejected() {
        let p = ids(3);
        assert_eq!(
            Roster::create(
                &p[0],
                GroupId([1; 16]),
                &[p[1].public().clone(), p[1].public().clone()]
            )
            .unwrap_err(),
            GroupError::DuplicateMember.into()
        );
        let r = Roster::create(
            &p[0],
            GroupId([1; 16]),
            &[p[1].public().clone(), p[2].public().clone()],
        )
        .unwrap();
        let mut bytes = r.to_bytes();
        // Swap the first two member entries: no longer sorted.
        let e = IDENTITY_KEY_LEN + 1;
        let (a, b) = (27, 27 + e);
        let first: Vec<u8> = bytes[a..b].to_vec();
        let second: Vec<u8> = bytes[b..b + e].to_vec();
        bytes[a..b].copy_from_slice(&second);
        bytes[b..b + e].copy_from_slice(&first);
        assert_eq!(
            Roster::from_bytes(&bytes).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
    }

    /// A roster names exactly one coordinator (PROTOCOL §9.1): one with
    /// two, validly signed by either of them, or with none, is refused.
    #[test]
    fn a_roster_names_exactly_one_coordinator() {
        let p = ids(3);
        let member = |k: &IdentityKeyPair, role| RosterMember {
            identity: k.public().clone(),
            role,
        };
        for signer in 0..2 {
            let list = vec![
                member(&p[0], Role::Coordinator),
                member(&p[1], Role::Coordinator),
                member(&p[2], Role::Member),
            ];
            let r = Roster::signed(&p[signer], GroupId([1; 16]), 1, list).unwrap();
            assert_eq!(
                Roster::from_bytes(&r.to_bytes()).unwrap_err(),
                DecodeError::NonCanonical.into(),
                "two coordinators, signed by {signer}"
            );
        }
        let list = vec![member(&p[0], Role::Member), member(&p[1], Role::Member)];
        let r = Roster::signed(&p[0], GroupId([1; 16]), 1, list).unwrap();
        assert_eq!(
            Roster::from_bytes(&r.to_bytes()).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        // The same members with one coordinator load.
        let list = vec![
            member(&p[0], Role::Coordinator),
            member(&p[1], Role::Member),
        ];
        let r = Roster::signed(&p[0], GroupId([1; 16]), 1, list).unwrap();
        assert!(Roster::from_bytes(&r.to_bytes()).unwrap() == r);
    }
}
