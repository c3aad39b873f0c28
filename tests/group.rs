//! Group sessions through the public API: a 50-member crisis group end to
//! end, every rejection (with state unchanged), forward secrecy within a
//! chain, removal and late joining.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use bleep::limits::{MAX_BODY_LEN, MAX_GROUP_MEMBERS, MAX_GROUP_SKIP};
use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

struct Crisis {
    rng: ChaCha20Rng,
    ids: Vec<IdentityKeyPair>,
    /// `None` once a member has left.
    sessions: Vec<Option<GroupSession>>,
    /// The members' trust decisions (one store stands in for each app's).
    trust: TrustStore,
}

/// The trust store's proof for `key`, under the name `name`.
fn proof(trust: &mut TrustStore, name: &str, key: &IdentityKey) -> VerifiedIdentity {
    trust.check(&PeerId::new(name).unwrap(), key).unwrap()
}

impl Crisis {
    fn index(&self, key: &IdentityKey) -> usize {
        self.ids.iter().position(|k| k.public() == key).unwrap()
    }

    /// A fresh proof, from the trust store, for member `i`.
    fn verified(&mut self, i: usize) -> VerifiedIdentity {
        proof(
            &mut self.trust,
            &format!("member {i}"),
            self.ids[i].public(),
        )
    }

    /// Hands a plan's message to each recipient (the pairwise transport is
    /// the app's; the paved path through a `Session` is shown below).
    fn deliver(&mut self, from: usize, plan: &DistributionPlan) {
        for to in &plan.recipients {
            let j = self.index(to);
            let from_proof = self.verified(from);
            self.sessions[j]
                .as_mut()
                .unwrap()
                .process_distribution(&from_proof, plan.message.as_bytes())
                .unwrap();
        }
    }

    fn live(&self) -> Vec<usize> {
        (0..self.sessions.len())
            .filter(|i| self.sessions[*i].is_some())
            .collect()
    }

    fn apply(&mut self, roster: &Roster) -> Vec<(usize, RosterUpdate)> {
        let mut updates = Vec::new();
        for i in self.live() {
            if !roster.contains(self.ids[i].public()) {
                continue;
            }
            let update = self.sessions[i]
                .as_mut()
                .unwrap()
                .apply_roster(&mut self.rng, roster.clone())
                .unwrap();
            updates.push((i, update));
        }
        updates
    }
}

fn identity(i: u32) -> IdentityKeyPair {
    let mut seed = [0x5A; 32];
    seed[..4].copy_from_slice(&i.to_be_bytes());
    IdentityKeyPair::from_seed_bytes(seed)
}

/// A verified pairwise session between `a` and `b` (as the app would have).
fn pairwise(rng: &mut ChaCha20Rng, a: &IdentityKeyPair, b: &IdentityKeyPair) -> (Session, Session) {
    let mut store = PreKeyStore::new(rng, b);
    store.generate_one_time_prekeys(rng, 1).unwrap();
    let bundle = PreKeyBundle::from_bytes(&store.bundle().to_bytes()).unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("b").unwrap(), bundle.identity())
        .unwrap();
    let mut sa = Session::initiate(rng, a, &vb, &bundle).unwrap();
    let hello = sa
        .encrypt(rng, session_proof(&sa), OutgoingMessage::new(b"hello", 1))
        .unwrap();
    let env = Envelope::parse(&hello.envelope).unwrap();
    let va = trust
        .check(
            &PeerId::new("a").unwrap(),
            env.initiator_identity().unwrap(),
        )
        .unwrap();
    let (sb, _) = Session::accept(b, &mut store, &va, &env, 1).unwrap();
    (sa, sb)
}

fn crisis(n: u32, seed: u64) -> (Crisis, Roster) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let ids: Vec<_> = (0..n).map(identity).collect();
    let members: Vec<_> = ids[1..].iter().map(|k| k.public().clone()).collect();
    let roster = Roster::create(&ids[0], GroupId::random(&mut rng), &members).unwrap();
    let roster_bytes = roster.to_bytes();
    let mut c = Crisis {
        rng,
        sessions: Vec::new(),
        ids,
        trust: TrustStore::new(TrustPolicy::TrustOnFirstUse),
    };
    let mut plans = Vec::new();
    for i in 0..n as usize {
        // Each member receives the roster bytes and joins, expecting the
        // coordinator it verified; the coordinator starts the group.
        let r = Roster::from_bytes(&roster_bytes).unwrap();
        assert_eq!(r.safety_number(), roster.safety_number());
        let (s, plan) = if i == 0 {
            GroupSession::join_as_coordinator(&mut c.rng, &c.ids[0], r).unwrap()
        } else {
            let coordinator = c.verified(0);
            GroupSession::join(&mut c.rng, &c.ids[i], r, &coordinator).unwrap()
        };
        assert_eq!(plan.recipients.len(), n as usize - 1);
        c.sessions.push(Some(s));
        plans.push(plan);
    }
    for (i, plan) in plans.iter().enumerate() {
        c.deliver(i, plan);
    }
    for s in c.sessions.iter().flatten() {
        assert!(s.missing_sender_keys().is_empty());
    }
    (c, roster)
}

#[test]
fn fifty_member_major_incident() {
    let (mut c, roster) = crisis(50, 1);
    let mut order_rng = ChaCha20Rng::seed_from_u64(99);

    // The paved path: a distribution message carried through a real 1:1
    // session, between the coordinator and member 1, after a rotation.
    let (mut to_one, mut from_zero) = pairwise(&mut c.rng, &c.ids[0], &c.ids[1]);
    let plan = c.sessions[0].as_mut().unwrap().rotate(&mut c.rng).unwrap();
    let wrapped = to_one
        .encrypt(
            &mut c.rng,
            session_proof(&to_one),
            OutgoingMessage::new(plan.message.as_bytes(), 5),
        )
        .unwrap();
    let received = from_zero
        .decrypt(session_proof(&from_zero), &wrapped.envelope, 6)
        .unwrap();
    // The app asks its trust store about the session's peer, now.
    let sender = proof(&mut c.trust, "member 0", from_zero.peer_identity());
    c.sessions[1]
        .as_mut()
        .unwrap()
        .process_distribution(&sender, received.body.expose())
        .unwrap();
    let others: Vec<_> = plan
        .recipients
        .iter()
        .filter(|k| *k != c.ids[1].public())
        .cloned()
        .collect();
    c.deliver(
        0,
        &DistributionPlan {
            message: plan.message,
            recipients: others,
        },
    );

    // 12 senders, 3 messages each, delivered to everyone in a shuffled order.
    let mut sent = Vec::new();
    for s in (0..50).step_by(4) {
        for k in 0..3 {
            let body = format!("sitrep {k} from {s}: bay {} clear", s + k);
            let m = c.sessions[s]
                .as_mut()
                .unwrap()
                .encrypt(&mut c.rng, OutgoingMessage::new(body.as_bytes(), 100))
                .unwrap();
            sent.push((s, body, m));
        }
    }
    for r in 0..50 {
        let mut order: Vec<usize> = (0..sent.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (order_rng.next_u32() as usize) % (i + 1));
        }
        for &i in &order {
            let (s, body, m) = &sent[i];
            let session = c.sessions[r].as_mut().unwrap();
            if *s == r {
                assert_eq!(
                    session.decrypt(&m.bytes, 101).unwrap_err(),
                    Error::Group(GroupError::OwnMessage)
                );
                continue;
            }
            let got = session.decrypt(&m.bytes, 101).unwrap();
            assert_eq!(got.message.body.expose(), body.as_bytes());
            assert_eq!(&got.sender, c.ids[*s].public());
        }
    }

    // A message from before the first removal, still in flight.
    let in_flight = c.sessions[2]
        .as_mut()
        .unwrap()
        .encrypt(&mut c.rng, OutgoingMessage::new(b"in flight", 110))
        .unwrap();

    // Two removals (two shifts end), one roster version each.
    let mut current = roster;
    let mut removed_members = Vec::new();
    for gone in [7usize, 31] {
        let next = current
            .next(&c.ids[0], &[], &[c.ids[gone].public().clone()])
            .unwrap();
        assert_ne!(next.safety_number(), current.safety_number());
        let gone_session = c.sessions[gone].take().unwrap();
        let updates = c.apply(&next);
        assert_eq!(updates.len(), c.live().len());
        for (i, u) in &updates {
            assert!(u.rotated);
            assert_eq!(u.removed, vec![c.ids[gone].public().clone()]);
            assert_eq!(
                (u.previous_version, u.version),
                (current.version(), next.version())
            );
            let plan = u.distribution.as_ref().unwrap();
            assert_eq!(plan.recipients.len(), c.live().len() - 1);
            // Nobody sends the new keys to a removed member.
            for r in &removed_members {
                assert!(!plan.recipients.contains(r));
            }
            assert!(!plan.recipients.contains(c.ids[gone].public()));
            let _ = i;
        }
        for (i, u) in &updates {
            c.deliver(*i, u.distribution.as_ref().unwrap());
        }
        removed_members.push(c.ids[gone].public().clone());
        // The removed member's session refuses the new roster...
        let mut gone_session = gone_session;
        assert_eq!(
            gone_session
                .apply_roster(&mut c.rng, next.clone())
                .unwrap_err(),
            Error::Group(GroupError::NotAMember)
        );
        // ...and cannot read what is sent after the removal.
        let after = c.sessions[0]
            .as_mut()
            .unwrap()
            .encrypt(&mut c.rng, OutgoingMessage::new(b"after removal", 120))
            .unwrap();
        let before = gone_session.state_digest();
        assert!(gone_session.decrypt(&after.bytes, 121).is_err());
        assert_eq!(before, gone_session.state_digest());
        assert_eq!(
            c.sessions[3]
                .as_mut()
                .unwrap()
                .decrypt(&after.bytes, 121)
                .unwrap()
                .message
                .body
                .expose(),
            b"after removal"
        );
        current = next;
    }
    // The message sent under the old roster fails cleanly.
    let s5 = c.sessions[5].as_mut().unwrap();
    let before = s5.state_digest();
    assert_eq!(
        s5.decrypt(&in_flight.bytes, 130).unwrap_err(),
        Error::Group(GroupError::StaleRoster)
    );
    assert_eq!(before, s5.state_digest());

    // A late joiner.
    let late = identity(1000);
    let joined = current
        .next(&c.ids[0], &[late.public().clone()], &[])
        .unwrap();
    let before_join = c.sessions[9]
        .as_mut()
        .unwrap()
        .encrypt(&mut c.rng, OutgoingMessage::new(b"before you joined", 140))
        .unwrap();
    c.ids.push(late);
    let updates = c.apply(&joined);
    let coordinator = c.verified(0);
    let (late_session, late_plan) = GroupSession::join(
        &mut c.rng,
        c.ids.last().unwrap(),
        Roster::from_bytes(&joined.to_bytes()).unwrap(),
        &coordinator,
    )
    .unwrap();
    c.sessions.push(Some(late_session));
    let late_index = c.sessions.len() - 1;
    for (i, u) in &updates {
        assert!(!u.rotated);
        assert_eq!(u.added, vec![c.ids[late_index].public().clone()]);
        let plan = u.distribution.as_ref().unwrap();
        // Only the newcomer needs our key.
        assert_eq!(plan.recipients, vec![c.ids[late_index].public().clone()]);
        c.deliver(*i, plan);
    }
    c.deliver(late_index, &late_plan);
    assert!(
        c.sessions[late_index]
            .as_ref()
            .unwrap()
            .missing_sender_keys()
            .is_empty()
    );
    assert_eq!(c.live().len(), 49);
    // The late joiner cannot read what was sent before it joined...
    assert!(
        c.sessions[late_index]
            .as_mut()
            .unwrap()
            .decrypt(&before_join.bytes, 150)
            .is_err()
    );
    // ...but reads what is sent now, from old and new members alike.
    for s in [0usize, 9, 48] {
        let m = c.sessions[s]
            .as_mut()
            .unwrap()
            .encrypt(&mut c.rng, OutgoingMessage::new(b"welcome", 150))
            .unwrap();
        let got = c.sessions[late_index]
            .as_mut()
            .unwrap()
            .decrypt(&m.bytes, 151)
            .unwrap();
        assert_eq!(got.message.body.expose(), b"welcome");
    }
    let m = c.sessions[late_index]
        .as_mut()
        .unwrap()
        .encrypt(&mut c.rng, OutgoingMessage::new(b"ready", 152))
        .unwrap();
    for r in c.live() {
        if r != late_index {
            assert!(
                c.sessions[r]
                    .as_mut()
                    .unwrap()
                    .decrypt(&m.bytes, 153)
                    .is_ok()
            );
        }
    }
}

/// Asserts `f` fails with `expected` and leaves `session` unchanged.
fn rejects(session: &mut GroupSession, bytes: &[u8], now: u64, expected: Error) {
    let before = session.state_digest();
    assert_eq!(session.decrypt(bytes, now).unwrap_err(), expected);
    assert_eq!(before, session.state_digest());
}

#[test]
fn every_rejection_leaves_state_unchanged() {
    let (mut c, roster) = crisis(4, 2);
    let rng = &mut c.rng;
    let [a, b, d, _] = &mut c.sessions[..] else {
        panic!()
    };
    let (a, b, d) = (
        a.as_mut().unwrap(),
        b.as_mut().unwrap(),
        d.as_mut().unwrap(),
    );
    let m = a.encrypt(rng, OutgoingMessage::new(b"hi", 1)).unwrap();

    // Another group (same members, another id).
    let others: Vec<_> = c.ids[1..].iter().map(|k| k.public().clone()).collect();
    let other_roster = Roster::create(&c.ids[0], GroupId([0xEE; 16]), &others).unwrap();
    let (mut other, _) = GroupSession::join_as_coordinator(rng, &c.ids[0], other_roster).unwrap();
    let foreign = other.encrypt(rng, OutgoingMessage::new(b"x", 1)).unwrap();
    rejects(b, &foreign.bytes, 2, GroupError::WrongGroup.into());
    assert_eq!(
        GroupSession::group_id_of(&foreign.bytes).unwrap(),
        GroupId([0xEE; 16])
    );

    // An outsider claiming the same group id and roster version.
    let outsider = identity(777);
    let fake = Roster::create(&outsider, roster.group_id(), &[]).unwrap();
    let (mut o, _) = GroupSession::join_as_coordinator(rng, &outsider, fake).unwrap();
    let intruder = o.encrypt(rng, OutgoingMessage::new(b"x", 1)).unwrap();
    rejects(b, &intruder.bytes, 2, GroupError::UnknownMember.into());

    // Signed by anyone but the claimed sender: d's message relabelled as a's.
    let from_d = d.encrypt(rng, OutgoingMessage::new(b"x", 1)).unwrap();
    let mut relabelled = from_d.bytes.clone();
    relabelled[26..62].copy_from_slice(&m.bytes[26..62]);
    rejects(b, &relabelled, 2, CryptoError::BadSignature.into());
    let mut bad_sig = m.bytes.clone();
    *bad_sig.last_mut().unwrap() ^= 1;
    rejects(b, &bad_sig, 2, CryptoError::BadSignature.into());

    // Tampered ciphertext with a valid-looking structure.
    let mut tampered = m.bytes.clone();
    tampered[100] ^= 1;
    rejects(b, &tampered, 2, CryptoError::BadSignature.into());

    // Garbage.
    rejects(b, &m.bytes[..50], 2, DecodeError::Truncated.into());
    let mut v2 = m.bytes.clone();
    v2[0] = 2;
    rejects(b, &v2, 2, DecodeError::UnknownVersion.into());

    // Accepted once, then a replay.
    assert_eq!(b.decrypt(&m.bytes, 2).unwrap().message.body.expose(), b"hi");
    rejects(b, &m.bytes, 2, ProtocolError::DuplicateMessage.into());

    // Too many skipped: deliver a message MAX_GROUP_SKIP + 1 ahead.
    let mut burst = Vec::new();
    for _ in 0..=MAX_GROUP_SKIP + 1 {
        burst.push(a.encrypt(rng, OutgoingMessage::new(b"tick", 3)).unwrap());
    }
    rejects(
        b,
        &burst.last().unwrap().bytes,
        4,
        LimitError::TooManySkipped.into(),
    );
    // At the limit it is accepted, and the skipped ones still arrive.
    b.decrypt(&burst[MAX_GROUP_SKIP as usize].bytes, 4).unwrap();
    b.decrypt(&burst[0].bytes, 4).unwrap();
    b.decrypt(&burst.last().unwrap().bytes, 4).unwrap();

    // Too large to send: state unchanged.
    let big = vec![0u8; MAX_BODY_LEN + 1];
    let before = a.state_digest();
    assert_eq!(
        a.encrypt(rng, OutgoingMessage::new(&big, 5)).unwrap_err(),
        LimitError::MessageTooLarge.into()
    );
    assert_eq!(before, a.state_digest());

    // A roster not yet applied, then one that has been replaced.
    let next = roster
        .next(&c.ids[0], &[identity(500).public().clone()], &[])
        .unwrap();
    let mut ahead_rng = ChaCha20Rng::seed_from_u64(3);
    let a_bytes = a.encrypt(rng, OutgoingMessage::new(b"old", 6)).unwrap();
    a.apply_roster(&mut ahead_rng, next.clone()).unwrap();
    let ahead = a.encrypt(rng, OutgoingMessage::new(b"new", 6)).unwrap();
    rejects(b, &ahead.bytes, 7, GroupError::FutureRoster.into());
    b.apply_roster(&mut ahead_rng, next.clone()).unwrap();
    rejects(b, &a_bytes.bytes, 7, GroupError::StaleRoster.into());
    assert_eq!(
        b.decrypt(&ahead.bytes, 7).unwrap().message.body.expose(),
        b"new"
    );

    // Rosters: stale, from another coordinator, for another group.
    let before = b.state_digest();
    assert_eq!(
        b.apply_roster(&mut ahead_rng, next).unwrap_err(),
        GroupError::RosterNotNewer.into()
    );
    assert_eq!(
        b.apply_roster(
            &mut ahead_rng,
            Roster::create(&outsider, roster.group_id(), &[c.ids[1].public().clone()]).unwrap()
        )
        .unwrap_err(),
        GroupError::NotCoordinator.into()
    );
    let elsewhere = Roster::create(&c.ids[0], GroupId([0xEE; 16]), &others).unwrap();
    assert_eq!(
        b.apply_roster(&mut ahead_rng, elsewhere).unwrap_err(),
        GroupError::WrongGroup.into()
    );
    assert_eq!(before, b.state_digest());
}

/// Byte range of the chain key in a distribution message (§9.4).
const DISTRIBUTION_CHAIN_KEY: std::ops::Range<usize> = 70..102;
/// Byte range of the sender's Ed25519 key in a distribution message.
const DISTRIBUTION_SENDER: std::ops::Range<usize> = 30..62;

#[test]
fn distribution_rejections() {
    let (mut c, roster) = crisis(3, 4);
    let plan = c.sessions[0].as_mut().unwrap().rotate(&mut c.rng).unwrap();
    // The plan prints no key material.
    let shown = format!("{plan:?}");
    assert!(shown.contains("DistributionMessage(<redacted>)"));
    let chain_key: String = plan.message.as_bytes()[DISTRIBUTION_CHAIN_KEY]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!shown.contains(&chain_key));
    let (zero, two) = (c.verified(0), c.verified(2));
    let stranger = identity(900);
    let stranger_proof = proof(&mut c.trust, "stranger", stranger.public());
    let b = c.sessions[1].as_mut().unwrap();
    let before = b.state_digest();
    let bytes = plan.message.as_bytes();
    // Arrived on the session with member 2, but names member 0.
    assert_eq!(
        b.process_distribution(&two, bytes).unwrap_err(),
        TrustError::IdentityMismatch.into()
    );
    // Not a distribution message at all.
    assert!(b.process_distribution(&zero, &bytes[1..]).is_err());
    let mut wrong_kind = bytes.to_vec();
    wrong_kind[1] = 1;
    assert_eq!(
        b.process_distribution(&zero, &wrong_kind).unwrap_err(),
        DecodeError::UnknownKind.into()
    );
    // The version 1 layout (no generation) is refused.
    let mut v1 = bytes[..26].to_vec();
    v1[0] = 1;
    v1.extend_from_slice(&bytes[30..]);
    assert_eq!(
        b.process_distribution(&zero, &v1).unwrap_err(),
        DecodeError::UnknownVersion.into()
    );
    // Another group.
    let mut other = bytes.to_vec();
    other[2] ^= 1;
    assert_eq!(
        b.process_distribution(&zero, &other).unwrap_err(),
        GroupError::WrongGroup.into()
    );
    // From a stranger (verified, but not a member) over a session with them.
    let mut from_stranger = bytes.to_vec();
    from_stranger[DISTRIBUTION_SENDER].copy_from_slice(stranger.public().ed25519_bytes());
    assert_eq!(
        b.process_distribution(&stranger_proof, &from_stranger)
            .unwrap_err(),
        GroupError::UnknownMember.into()
    );
    assert_eq!(before, b.state_digest());
    b.process_distribution(&zero, bytes).unwrap();
    let installed = b.state_digest();
    assert_eq!(
        b.process_distribution(&zero, bytes).unwrap_err(),
        ProtocolError::DuplicateMessage.into()
    );
    assert_eq!(installed, b.state_digest());
    let _ = roster;
}

/// Issue 11, item 1: member 0 rotates twice (D1, then D2) and the network
/// delivers D2 before D1. The delayed D1 is refused, the state is left as
/// it was, and member 0's current messages still decrypt. Someone who
/// copied member 0's state before the rotations (the reason to rotate)
/// cannot post as member 0 through the old chain.
#[test]
fn delayed_distribution_cannot_undo_a_rotation() {
    let (mut c, _) = crisis(3, 8);
    let key = bleep::state::StorageKey::generate(&mut c.rng);
    let stolen = key.seal(&mut c.rng, c.sessions[0].as_ref().unwrap());
    let d1 = c.sessions[0].as_mut().unwrap().rotate(&mut c.rng).unwrap();
    let d2 = c.sessions[0].as_mut().unwrap().rotate(&mut c.rng).unwrap();
    let zero = c.verified(0);

    // Member 2 gets them in order: each replaces the last.
    let in_order = c.sessions[2].as_mut().unwrap();
    in_order
        .process_distribution(&zero, d1.message.as_bytes())
        .unwrap();
    in_order
        .process_distribution(&zero, d2.message.as_bytes())
        .unwrap();

    // Member 1 gets D2, then D1.
    let b = c.sessions[1].as_mut().unwrap();
    b.process_distribution(&zero, d2.message.as_bytes())
        .unwrap();
    let before = b.state_digest();
    assert_eq!(
        b.process_distribution(&zero, d1.message.as_bytes())
            .unwrap_err(),
        GroupError::StaleDistribution.into()
    );
    assert_eq!(before, b.state_digest());
    assert_eq!(
        Error::from(GroupError::StaleDistribution).to_string(),
        "group error: sender key distribution is not newer than the one held"
    );

    // Member 0's current messages still decrypt for both.
    let now = c.sessions[0]
        .as_mut()
        .unwrap()
        .encrypt(&mut c.rng, OutgoingMessage::new(b"after the rotation", 10))
        .unwrap();
    for r in [1usize, 2] {
        let got = c.sessions[r]
            .as_mut()
            .unwrap()
            .decrypt(&now.bytes, 11)
            .unwrap();
        assert_eq!(got.message.body.expose(), b"after the rotation");
    }

    // The thief's copy signs and encrypts on the chain from before the
    // rotations: nobody holds it any more.
    let mut thief: GroupSession = key.unseal(&stolen).unwrap();
    let forged = thief
        .encrypt(&mut c.rng, OutgoingMessage::new(b"stand down", 12))
        .unwrap();
    for r in [1usize, 2] {
        let s = c.sessions[r].as_mut().unwrap();
        let before = s.state_digest();
        assert_eq!(
            s.decrypt(&forged.bytes, 13).unwrap_err(),
            GroupError::MissingSenderKey.into()
        );
        assert_eq!(before, s.state_digest());
    }

    // The thief's copy rotating again makes a chain at generation 1, the
    // position member 1 and 2 have already passed: refused too.
    let replayed_generation = thief.rotate(&mut c.rng).unwrap();
    let s = c.sessions[1].as_mut().unwrap();
    let before = s.state_digest();
    assert_eq!(
        s.process_distribution(&zero, replayed_generation.message.as_bytes())
            .unwrap_err(),
        GroupError::StaleDistribution.into()
    );
    assert_eq!(before, s.state_digest());
}

/// Generations are ordered under the roster version. Member 1 holds
/// member 0's chain at generation 2 under roster version 1, then jumps
/// straight to version 3 (version 2 removed member 2, version 3 added them
/// back, so member 1 sees no removal and keeps its chains), while member 0
/// went through version 2 and restarted at generation 0. Member 0's next
/// rotation (generation 1, version 3) is newer than what member 1 holds and
/// is accepted; the distribution bound to version 2 is refused by its
/// roster.
#[test]
fn positions_follow_the_roster_version() {
    let (mut c, v1) = crisis(3, 9);
    for _ in 0..2 {
        let plan = c.sessions[0].as_mut().unwrap().rotate(&mut c.rng).unwrap();
        c.deliver(0, &plan);
    }
    let member_two = c.ids[2].public().clone();
    let v2 = v1
        .next(&c.ids[0], &[], std::slice::from_ref(&member_two))
        .unwrap();
    let v3 = v2.next(&c.ids[0], &[member_two], &[]).unwrap();
    let zero = c.sessions[0].as_mut().unwrap();
    let removal = zero.apply_roster(&mut c.rng, v2).unwrap();
    assert!(removal.rotated);
    zero.apply_roster(&mut c.rng, v3.clone()).unwrap();
    let rotation = zero.rotate(&mut c.rng).unwrap();
    let one = c.sessions[1].as_mut().unwrap();
    let jump = one.apply_roster(&mut c.rng, v3).unwrap();
    assert!(!jump.rotated && jump.removed.is_empty() && jump.added.is_empty());

    let proof_of_zero = c.verified(0);
    let one = c.sessions[1].as_mut().unwrap();
    let before = one.state_digest();
    assert_eq!(
        one.process_distribution(
            &proof_of_zero,
            removal.distribution.as_ref().unwrap().message.as_bytes()
        )
        .unwrap_err(),
        GroupError::StaleRoster.into()
    );
    assert_eq!(before, one.state_digest());
    one.process_distribution(&proof_of_zero, rotation.message.as_bytes())
        .unwrap();
    let m = c.sessions[0]
        .as_mut()
        .unwrap()
        .encrypt(&mut c.rng, OutgoingMessage::new(b"v3", 20))
        .unwrap();
    assert_eq!(
        c.sessions[1]
            .as_mut()
            .unwrap()
            .decrypt(&m.bytes, 21)
            .unwrap()
            .message
            .body
            .expose(),
        b"v3"
    );
}

/// Issue 11, item 4: joining and installing sender keys need the trust
/// store's proof. A proof for someone other than the roster's coordinator,
/// or than the distribution's sender, is refused; under the strict policy
/// an identity nobody verified yields no proof, so no group starts with it.
#[test]
fn groups_need_verified_identities() {
    let (mut c, roster) = crisis(3, 10);
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let member_one = c.verified(1);
    assert_eq!(
        GroupSession::join(&mut rng, &c.ids[2], roster.clone(), &member_one).unwrap_err(),
        GroupError::NotCoordinator.into()
    );
    assert_eq!(
        GroupSession::join_as_coordinator(&mut rng, &c.ids[2], roster.clone()).unwrap_err(),
        GroupError::NotCoordinator.into()
    );
    let mut strict = TrustStore::new(TrustPolicy::RequireVerified);
    assert_eq!(
        strict
            .check(&PeerId::new("lead").unwrap(), c.ids[0].public())
            .unwrap_err(),
        TrustError::Unverified.into()
    );
    // A plan from member 0 offered with member 1's proof.
    let plan = c.sessions[0].as_mut().unwrap().rotate(&mut c.rng).unwrap();
    let s = c.sessions[2].as_mut().unwrap();
    let before = s.state_digest();
    assert_eq!(
        s.process_distribution(&member_one, plan.message.as_bytes())
            .unwrap_err(),
        TrustError::IdentityMismatch.into()
    );
    assert_eq!(before, s.state_digest());
}

#[test]
fn forward_secrecy_within_a_chain() {
    let (mut c, _) = crisis(3, 5);
    let rng = &mut c.rng;
    let msgs: Vec<_> = (0..4)
        .map(|i| {
            c.sessions[0]
                .as_mut()
                .unwrap()
                .encrypt(rng, OutgoingMessage::new(format!("{i}").as_bytes(), 1))
                .unwrap()
        })
        .collect();
    let b = c.sessions[1].as_mut().unwrap();
    b.decrypt(&msgs[2].bytes, 2).unwrap();
    b.decrypt(&msgs[0].bytes, 2).unwrap();
    // Once read, no key in the state opens them again; unread ones still open.
    for read in [0usize, 2] {
        assert_eq!(
            b.decrypt(&msgs[read].bytes, 2).unwrap_err(),
            ProtocolError::DuplicateMessage.into()
        );
    }
    b.decrypt(&msgs[1].bytes, 2).unwrap();
    b.decrypt(&msgs[3].bytes, 2).unwrap();
    // A member who only gets the chain now (a rotation's redistribution of
    // the same position is impossible: the key moved on) reads only later
    // messages.
    let later = c.sessions[0]
        .as_mut()
        .unwrap()
        .encrypt(rng, OutgoingMessage::new(b"later", 3))
        .unwrap();
    assert_eq!(
        c.sessions[2]
            .as_mut()
            .unwrap()
            .decrypt(&later.bytes, 4)
            .unwrap()
            .message
            .body
            .expose(),
        b"later"
    );
}

#[test]
fn group_size_is_bounded() {
    let coordinator = identity(0);
    let members: Vec<_> = (1..MAX_GROUP_MEMBERS as u32)
        .map(|i| identity(i).public().clone())
        .collect();
    let full = Roster::create(&coordinator, GroupId([1; 16]), &members).unwrap();
    assert_eq!(full.len(), MAX_GROUP_MEMBERS);
    assert_eq!(
        full.next(&coordinator, &[identity(5000).public().clone()], &[])
            .unwrap_err(),
        GroupError::GroupFull.into()
    );
    let mut over = members.clone();
    over.push(identity(5000).public().clone());
    assert_eq!(
        Roster::create(&coordinator, GroupId([1; 16]), &over).unwrap_err(),
        GroupError::GroupFull.into()
    );
    // A full roster still parses, and its number is stable.
    let parsed = Roster::from_bytes(&full.to_bytes()).unwrap();
    assert!(
        full.safety_number()
            .matches(&parsed.safety_number().to_string())
    );
}

#[test]
fn error_texts_and_debug_reveal_nothing() {
    let (c, roster) = crisis(2, 6);
    let s = c.sessions[0].as_ref().unwrap();
    let shown = format!("{s:?} {roster:?}");
    assert!(shown.contains("GroupSession"));
    assert!(!shown.contains("key:"));
    assert_eq!(
        Error::from(GroupError::StaleRoster).to_string(),
        "group error: message is bound to an older roster"
    );
    assert_eq!(
        Error::from(GroupError::GroupFull).to_string(),
        "group error: group is full"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever the delivery order and duplication, each message
        /// decrypts exactly once to its own body; every other delivery and
        /// every corrupted copy is refused with the state unchanged.
        #[test]
        fn any_order_exactly_once(
            n in 1usize..24,
            order in proptest::collection::vec(0usize..24, 1..48),
            flip in (0usize..2000, 1u8..=255),
        ) {
            let (mut c, _) = crisis(2, 7);
            let msgs: Vec<_> = (0..n)
                .map(|i| {
                    c.sessions[0]
                        .as_mut()
                        .unwrap()
                        .encrypt(&mut c.rng, OutgoingMessage::new(format!("obs {i}").as_bytes(), 1))
                        .unwrap()
                })
                .collect();
            let rx = c.sessions[1].as_mut().unwrap();
            let mut seen = vec![false; n];
            for i in order.into_iter().map(|i| i % n) {
                let mut corrupted = msgs[i].bytes.clone();
                let at = flip.0 % corrupted.len();
                corrupted[at] ^= flip.1;
                let before = rx.state_digest();
                prop_assert!(rx.decrypt(&corrupted, 2).is_err());
                prop_assert_eq!(before, rx.state_digest());
                match rx.decrypt(&msgs[i].bytes, 2) {
                    Ok(got) => {
                        prop_assert!(!seen[i]);
                        seen[i] = true;
                        let expected = format!("obs {i}");
                        prop_assert_eq!(got.message.body.expose(), expected.as_bytes());
                    }
                    Err(e) => {
                        prop_assert!(seen[i]);
                        prop_assert_eq!(e, Error::Protocol(ProtocolError::DuplicateMessage));
                        prop_assert_eq!(before, rx.state_digest());
                    }
                }
            }
        }
    }
}

#[test]
fn group_state_seals_at_rest_and_keeps_working() {
    let (mut c, _) = crisis(4, 7);
    let key = bleep::state::StorageKey::generate(&mut c.rng);
    let sealed = key.seal(&mut c.rng, c.sessions[2].as_ref().unwrap());
    let mut restored: GroupSession = key.unseal(&sealed).unwrap();
    assert_eq!(
        restored.state_digest(),
        c.sessions[2].as_ref().unwrap().state_digest()
    );
    assert!(key.unseal::<Session>(&sealed).is_err());
    let sent = c.sessions[1]
        .as_mut()
        .unwrap()
        .encrypt(&mut c.rng, OutgoingMessage::new(b"triage at door B", 5))
        .unwrap();
    let got = restored.decrypt(&sent.bytes, 6).unwrap();
    assert_eq!(got.message.body.expose(), b"triage at door B");
}

/// A fresh proof for the session's peer from a trust-on-first-use store,
/// for tests of something other than the trust decision.
fn session_proof(s: &Session) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}
