//! Group sessions with sender keys, for crisis groups of tens to hundreds.
//!
//! A coordinator signs a versioned [`Roster`] (group id, members' identity
//! keys, roles); the [`GroupSafetyNumber`] derived from it lets a whole
//! group be verified by comparing one number. Each member holds a
//! [`GroupSession`]: its own sender chain (a symmetric ratchet with an
//! Ed25519 signing key) and every other member's chain, installed from
//! [`DistributionMessage`]s that travel over the pairwise
//! [`crate::Session`]s. A message is encrypted once for the whole group,
//! so sending costs the same in a group of 5 or 1000.
//!
//! What it provides:
//! - Confidentiality of group messages against anyone outside the group,
//!   and against a member removed from it: every removal makes every
//!   remaining member rotate its sender key and drop the others'.
//! - Authenticity of the sender among members: each message is signed by
//!   the sender chain's key (verified before decryption, by the cofactored
//!   equation of `docs/PROTOCOL.md` §9.5), so no member can forge
//!   another's message.
//! - Binding: the group id and roster version are in the associated data
//!   and the signature, so a message for another group or for a roster
//!   that has since changed is refused with a typed error.
//! - Forward secrecy within a chain: a chain key is replaced as it is used
//!   and a message key is dropped once used; a member added later receives
//!   the chain only from its current position and cannot read earlier
//!   messages. Replays are refused.
//! - Rotation sticks: each distribution names its position (the roster
//!   version, then the sender's generation, which every rotation raises),
//!   and a member installs a chain only from a greater position, so a
//!   delayed copy of a rotated-away chain is refused
//!   ([`crate::GroupError::StaleDistribution`]).
//! - Verify before you talk, for groups too: [`GroupSession::join`] and
//!   [`GroupSession::process_distribution`] take a [`crate::VerifiedIdentity`]
//!   (the coordinator's, the sender's), which only the trust store mints.
//! - Transactional state: every refused message, distribution or roster
//!   leaves the session exactly as it was.
//!
//! Where it ends:
//! - No post-compromise recovery within a chain: whoever copies a chain
//!   key reads that sender's later messages until the sender rotates
//!   ([`GroupSession::rotate`], or any removal).
//! - Members see each other's messages and identities; the coordinator
//!   decides who is a member (members see every change in a
//!   [`RosterUpdate`] and the safety number changes with it).
//! - The server that relays group messages sees the group id, the roster
//!   version, each message's sender key, size bucket and timing — that is,
//!   the membership metadata. Message bodies are padded as 1:1 messages.
//! - Messages in flight when the roster changes are refused as stale; the
//!   app re-sends them under the new roster.
//!
//! Limits: [`crate::limits::MAX_GROUP_MEMBERS`] members,
//! [`crate::limits::MAX_GROUP_SKIP`] skipped keys per sender (gap and
//! stored), [`crate::limits::MAX_BODY_LEN`] bytes per message body.
//!
//! Membership flow (see `docs/PROTOCOL.md` §9.6):
//! 1. The coordinator creates a [`Roster`], calls
//!    [`GroupSession::join_as_coordinator`] and sends the roster's bytes to
//!    every member over their pairwise sessions; each member calls
//!    [`GroupSession::join`] with the trust store's proof for the
//!    coordinator, and sends the returned [`DistributionPlan`]'s message to
//!    each recipient over their pairwise session.
//! 2. On a change the coordinator sends the next roster version to every
//!    member of the new roster (and new members join as in step 1). Every
//!    member calls [`GroupSession::apply_roster`] and sends the plan in the
//!    [`RosterUpdate`]: after an addition, its current key to the new
//!    members; after a removal, a fresh key to everyone remaining.
//! 3. Received distribution bytes go to
//!    [`GroupSession::process_distribution`] with the trust store's proof
//!    for the pairwise session's peer.

pub(crate) mod batch;
pub(crate) mod distribution;
pub(crate) mod message;
pub(crate) mod roster;
pub(crate) mod sender_key;
pub(crate) mod session;

pub use distribution::{DISTRIBUTION_MESSAGE_LEN, DistributionMessage};
pub use roster::{
    GROUP_SAFETY_NUMBER_DIGITS, GroupId, GroupSafetyNumber, Role, Roster, RosterMember,
};
pub use session::{
    DistributionPlan, EncryptedGroupMessage, GroupSession, ReceivedGroupMessage, RosterUpdate,
};
