//! 1:1 sessions through the public API: handshake, conversations in any
//! order, loss, duplicates, tampering, limits, and the state-unchanged rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::limits::{MAX_SKIP_PER_CHAIN, MAX_SKIPPED_TOTAL};
use bleep::*;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct Pair {
    rng: ChaCha20Rng,
    alice: Session,
    bob: Session,
}

fn verified(trust: &mut TrustStore, name: &str, key: &IdentityKey) -> VerifiedIdentity {
    let peer = PeerId::new(name).unwrap();
    trust
        .mark_verified(&peer, key, VerificationMethod::SafetyNumber, 0)
        .unwrap();
    trust.check(&peer, key).unwrap()
}

fn pair(seed: u64) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob_id);
    prekeys.generate_one_time_prekeys(&mut rng, 3).unwrap();
    let bundle = PreKeyBundle::from_bytes(&prekeys.bundle().to_bytes()).unwrap();
    let mut at = TrustStore::new(TrustPolicy::RequireVerified);
    let mut bt = TrustStore::new(TrustPolicy::RequireVerified);
    let vb = verified(&mut at, "bob", bundle.identity());
    let mut alice = Session::initiate(&mut rng, &alice_id, &vb, &bundle).unwrap();
    let first = alice
        .encrypt(&mut rng, proof(&alice), OutgoingMessage::new(b"hello", 10))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let va = verified(&mut bt, "alice", env.initiator_identity().unwrap());
    let (bob, m) = Session::accept(&bob_id, &mut prekeys, &va, &env, 11).unwrap();
    assert_eq!(m.body.expose(), b"hello");
    Pair { rng, alice, bob }
}

fn send(rng: &mut ChaCha20Rng, s: &mut Session, body: &[u8]) -> Vec<u8> {
    s.encrypt(rng, proof(s), OutgoingMessage::new(body, 100))
        .unwrap()
        .envelope
}

#[test]
fn in_order_conversation_with_ratchet_steps() {
    let mut p = pair(1);
    for round in 0..20u32 {
        let text = format!("round {round} from bob");
        let e = send(&mut p.rng, &mut p.bob, text.as_bytes());
        assert_eq!(
            p.alice
                .decrypt(proof(&p.alice), &e, 100)
                .unwrap()
                .body
                .expose(),
            text.as_bytes()
        );
        let text = format!("round {round} from alice");
        let e = send(&mut p.rng, &mut p.alice, text.as_bytes());
        assert_eq!(
            p.bob.decrypt(proof(&p.bob), &e, 100).unwrap().body.expose(),
            text.as_bytes()
        );
    }
}

#[test]
fn metadata_travels_and_expiry_is_enforced() {
    let mut p = pair(2);
    let sent = p
        .bob
        .encrypt(
            &mut p.rng,
            proof(&p.bob),
            OutgoingMessage::new(b"K+ 5.9 in bay 2", 1000)
                .expires_at(2000)
                .contains_patient_data(true),
        )
        .unwrap();
    let before = p.alice.state_digest();
    assert_eq!(
        p.alice
            .decrypt(proof(&p.alice), &sent.envelope, 2000)
            .unwrap_err(),
        Error::Protocol(ProtocolError::Expired)
    );
    assert_eq!(p.alice.state_digest(), before);
    let m = p
        .alice
        .decrypt(proof(&p.alice), &sent.envelope, 1999)
        .unwrap();
    assert_eq!(m.info.id, sent.id);
    assert_eq!(m.info.sent_at, 1000);
    assert_eq!(m.info.expires_at, Some(2000));
    assert!(m.info.contains_patient_data);
}

#[test]
fn every_flipped_byte_is_rejected_with_state_unchanged() {
    let mut p = pair(3);
    // A prekey message (Alice has not heard back yet) and a normal one.
    let prekey = send(&mut p.rng, &mut p.alice, b"pre");
    let normal = send(&mut p.rng, &mut p.bob, b"normal");
    for (receiver, env) in [(&mut p.bob, &prekey), (&mut p.alice, &normal)] {
        let before = receiver.state_digest();
        for i in 0..env.len() {
            for bit in [0x01u8, 0x80] {
                let mut x = env.clone();
                x[i] ^= bit;
                assert!(
                    receiver.decrypt(proof(receiver), &x, 100).is_err(),
                    "byte {i}"
                );
                assert_eq!(receiver.state_digest(), before, "byte {i}");
            }
        }
        for cut in 0..env.len() {
            assert!(receiver.decrypt(proof(receiver), &env[..cut], 100).is_err());
        }
        assert_eq!(receiver.state_digest(), before);
        receiver.decrypt(proof(receiver), env, 100).unwrap();
    }
}

#[test]
fn replay_is_rejected_with_state_unchanged() {
    let mut p = pair(4);
    let e = send(&mut p.rng, &mut p.bob, b"once");
    p.alice.decrypt(proof(&p.alice), &e, 100).unwrap();
    let before = p.alice.state_digest();
    assert_eq!(
        p.alice.decrypt(proof(&p.alice), &e, 100).unwrap_err(),
        Error::Protocol(ProtocolError::DuplicateMessage)
    );
    assert_eq!(p.alice.state_digest(), before);
}

#[test]
fn message_for_another_session_is_rejected() {
    let mut p = pair(5);
    let mut q = pair(6);
    let e = send(&mut q.rng, &mut q.bob, b"for q");
    let before = p.alice.state_digest();
    assert_eq!(
        p.alice.decrypt(proof(&p.alice), &e, 100).unwrap_err(),
        Error::Crypto(CryptoError::DecryptFailed)
    );
    assert_eq!(p.alice.state_digest(), before);
    // A prekey message of another handshake on an existing session.
    let pre_q = send(&mut q.rng, &mut q.alice, b"pre q");
    let before = p.bob.state_digest();
    assert!(p.bob.decrypt(proof(&p.bob), &pre_q, 100).is_err());
    assert_eq!(p.bob.state_digest(), before);
}

#[test]
fn one_time_prekey_is_consumed_exactly_once() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob_id);
    prekeys.generate_one_time_prekeys(&mut rng, 2).unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob_id.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice_id.public())
        .unwrap();
    let mut a = Session::initiate(&mut rng, &alice_id, &vb, &prekeys.bundle()).unwrap();
    let first = send(&mut rng, &mut a, b"first");
    let env = Envelope::parse(&first).unwrap();

    // A forged prekey message does not burn the one-time prekey.
    let mut forged = first.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged_env = Envelope::parse(&forged).unwrap();
    assert!(Session::accept(&bob_id, &mut prekeys, &va, &forged_env, 0).is_err());
    assert_eq!(prekeys.one_time_prekey_count(), 2);

    let (_b, _) = Session::accept(&bob_id, &mut prekeys, &va, &env, 0).unwrap();
    assert_eq!(prekeys.one_time_prekey_count(), 1);
    assert_eq!(
        Session::accept(&bob_id, &mut prekeys, &va, &env, 0).unwrap_err(),
        Error::Protocol(ProtocolError::UnknownOneTimePreKey)
    );
    assert_eq!(prekeys.one_time_prekey_count(), 1);
}

#[test]
fn bundle_without_one_time_prekeys_works() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob_id);
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob_id.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice_id.public())
        .unwrap();
    let bundle = prekeys.bundle();
    assert_eq!(bundle.one_time_prekey_count(), 0);
    let mut a = Session::initiate(&mut rng, &alice_id, &vb, &bundle).unwrap();
    let first = send(&mut rng, &mut a, b"no otpk");
    let (mut b, m) = Session::accept(
        &bob_id,
        &mut prekeys,
        &va,
        &Envelope::parse(&first).unwrap(),
        0,
    )
    .unwrap();
    assert_eq!(m.body.expose(), b"no otpk");
    let r = send(&mut rng, &mut b, b"reply");
    assert_eq!(a.decrypt(proof(&a), &r, 0).unwrap().body.expose(), b"reply");
}

#[test]
fn session_refuses_a_bundle_of_someone_else() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mallory = IdentityKeyPair::generate(&mut rng);
    let mallory_prekeys = PreKeyStore::new(&mut rng, &mallory);
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob_id.public())
        .unwrap();
    assert_eq!(
        Session::initiate(&mut rng, &alice_id, &vb, &mallory_prekeys.bundle()).unwrap_err(),
        Error::Trust(TrustError::IdentityMismatch)
    );
}

#[test]
fn lost_first_message_is_recovered_by_the_next_prekey_message() {
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob_id);
    prekeys.generate_one_time_prekeys(&mut rng, 1).unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob_id.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice_id.public())
        .unwrap();
    let mut a = Session::initiate(&mut rng, &alice_id, &vb, &prekeys.bundle()).unwrap();
    let lost = send(&mut rng, &mut a, b"lost");
    let second = send(&mut rng, &mut a, b"second");
    let (mut b, m) = Session::accept(
        &bob_id,
        &mut prekeys,
        &va,
        &Envelope::parse(&second).unwrap(),
        0,
    )
    .unwrap();
    assert_eq!(m.body.expose(), b"second");
    // The lost one turns up late: the existing session reads it.
    assert_eq!(
        b.decrypt(proof(&b), &lost, 0).unwrap().body.expose(),
        b"lost"
    );
}

#[test]
fn forward_secrecy_used_keys_are_gone() {
    let mut p = pair(11);
    let e1 = send(&mut p.rng, &mut p.bob, b"one");
    let e2 = send(&mut p.rng, &mut p.bob, b"two");
    p.alice.decrypt(proof(&p.alice), &e2, 0).unwrap();
    assert_eq!(p.alice.skipped_key_count(), 1);
    p.alice.decrypt(proof(&p.alice), &e1, 0).unwrap();
    assert_eq!(p.alice.skipped_key_count(), 0);
    for e in [&e1, &e2] {
        assert_eq!(
            p.alice.decrypt(proof(&p.alice), e, 0).unwrap_err(),
            Error::Protocol(ProtocolError::DuplicateMessage)
        );
    }
}

/// §5 rule (4): Bob's first chain is a new ratchet key for Alice, so the
/// first message she reads from it is held to the bound by its own `n`: a
/// new key with `n > MAX_SKIP_PER_CHAIN` is `TooManySkipped` and no DH
/// step is taken (the state is unchanged).
#[test]
fn skip_limit_per_chain_at_and_past_the_bound() {
    let mut p = pair(12);
    let mut envs = Vec::new();
    for _ in 0..=MAX_SKIP_PER_CHAIN + 1 {
        envs.push(send(&mut p.rng, &mut p.bob, b"x"));
    }
    // Index MAX+1 skips MAX+1 keys: refused, state unchanged.
    let before = p.alice.state_digest();
    assert_eq!(
        p.alice
            .decrypt(proof(&p.alice), &envs[MAX_SKIP_PER_CHAIN as usize + 1], 0)
            .unwrap_err(),
        Error::Limit(LimitError::TooManySkipped)
    );
    assert_eq!(p.alice.state_digest(), before);
    // Index MAX skips exactly MAX keys: accepted.
    p.alice
        .decrypt(proof(&p.alice), &envs[MAX_SKIP_PER_CHAIN as usize], 0)
        .unwrap();
    assert_eq!(p.alice.skipped_key_count(), MAX_SKIP_PER_CHAIN as usize);
    p.alice
        .decrypt(proof(&p.alice), &envs[MAX_SKIP_PER_CHAIN as usize + 1], 0)
        .unwrap();
    p.alice.decrypt(proof(&p.alice), &envs[0], 0).unwrap();
}

/// §5 rule (2): within the current receiving chain the gap is counted from
/// the chain's counter.
#[test]
fn skip_limit_within_the_current_chain() {
    let mut p = pair(14);
    let mut envs = Vec::new();
    for _ in 0..=MAX_SKIP_PER_CHAIN + 2 {
        envs.push(send(&mut p.rng, &mut p.bob, b"x"));
    }
    p.alice.decrypt(proof(&p.alice), &envs[0], 0).unwrap();
    // The chain counter is 1: index MAX+2 would skip MAX+1 keys.
    let before = p.alice.state_digest();
    assert_eq!(
        p.alice
            .decrypt(proof(&p.alice), &envs[MAX_SKIP_PER_CHAIN as usize + 2], 0)
            .unwrap_err(),
        Error::Limit(LimitError::TooManySkipped)
    );
    assert_eq!(p.alice.state_digest(), before);
    // Index MAX+1 skips exactly MAX keys: accepted.
    p.alice
        .decrypt(proof(&p.alice), &envs[MAX_SKIP_PER_CHAIN as usize + 1], 0)
        .unwrap();
    assert_eq!(p.alice.skipped_key_count(), MAX_SKIP_PER_CHAIN as usize);
}

#[test]
fn total_skipped_keys_evict_the_oldest() {
    let mut p = pair(13);
    let chunk = MAX_SKIP_PER_CHAIN as usize;
    let mut first_of_each = Vec::new();
    // Three chains each skipping `chunk` keys: 3000 > MAX_SKIPPED_TOTAL.
    for _ in 0..3 {
        let envs: Vec<_> = (0..=chunk)
            .map(|_| send(&mut p.rng, &mut p.bob, b"y"))
            .collect();
        p.alice.decrypt(proof(&p.alice), &envs[chunk], 0).unwrap();
        first_of_each.push(envs[0].clone());
        let ack = send(&mut p.rng, &mut p.alice, b"ack");
        p.bob.decrypt(proof(&p.bob), &ack, 0).unwrap();
    }
    assert_eq!(p.alice.skipped_key_count(), MAX_SKIPPED_TOTAL);
    // The oldest chain's first key was evicted; the newest is still there.
    assert!(
        p.alice
            .decrypt(proof(&p.alice), &first_of_each[0], 0)
            .is_err()
    );
    assert_eq!(
        p.alice
            .decrypt(proof(&p.alice), &first_of_each[2], 0)
            .unwrap()
            .body
            .expose(),
        b"y"
    );
}

#[test]
fn oversized_message_is_refused_without_state_change() {
    let mut p = pair(14);
    let before = p.alice.state_digest();
    let big = vec![b'a'; bleep::limits::MAX_BODY_LEN + 1];
    assert_eq!(
        p.alice
            .encrypt(&mut p.rng, proof(&p.alice), OutgoingMessage::new(&big, 0))
            .unwrap_err(),
        Error::Limit(LimitError::MessageTooLarge)
    );
    assert_eq!(p.alice.state_digest(), before);
    let max = vec![b'a'; bleep::limits::MAX_BODY_LEN];
    let e = send(&mut p.rng, &mut p.alice, &max);
    assert_eq!(
        p.bob.decrypt(proof(&p.bob), &e, 0).unwrap().body.len(),
        max.len()
    );
}

#[test]
fn padding_hides_exact_length() {
    let mut p = pair(15);
    let a = send(&mut p.rng, &mut p.bob, b"ok");
    let b = send(&mut p.rng, &mut p.bob, b"ok, on my way to resus now");
    assert_eq!(a.len(), b.len());
}

#[test]
fn debug_output_shows_no_secrets() {
    let mut p = pair(16);
    let e = send(&mut p.rng, &mut p.bob, b"NHS 943 476 5919");
    let m = p.alice.decrypt(proof(&p.alice), &e, 0).unwrap();
    let shown = format!("{m:?} {:?} {:?}", p.alice, Envelope::parse(&e).unwrap());
    assert!(!shown.contains("943"), "{shown}");
    assert!(shown.contains("Plaintext(<redacted>)"));
    let id = IdentityKeyPair::from_seed_bytes([0x5A; 32]);
    assert!(!format!("{id:?}").contains("5a5a5a"));
}

#[derive(Clone, Debug)]
enum Op {
    Send(bool),
    Deliver(bool, usize),
    Drop(bool, usize),
    Redeliver(bool, usize),
    Tamper(bool, usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(Op::Send),
        4 => (any::<bool>(), any::<usize>()).prop_map(|(s, i)| Op::Deliver(s, i)),
        1 => (any::<bool>(), any::<usize>()).prop_map(|(s, i)| Op::Drop(s, i)),
        1 => (any::<bool>(), any::<usize>()).prop_map(|(s, i)| Op::Redeliver(s, i)),
        1 => (any::<bool>(), any::<usize>(), any::<usize>()).prop_map(|(s, i, b)| Op::Tamper(s, i, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any interleaving of sends, out-of-order deliveries, losses,
    /// duplicates and tampering: every genuine message that arrives is read
    /// exactly once with its content; every other input is rejected and
    /// leaves the receiver unchanged.
    #[test]
    fn any_schedule_delivers_exactly_once(seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..120)) {
        let mut p = pair(seed);
        // in flight and delivered, per direction: [to bob, to alice]
        let mut flight: [Vec<(Vec<u8>, Vec<u8>)>; 2] = [Vec::new(), Vec::new()];
        let mut delivered: [Vec<Vec<u8>>; 2] = [Vec::new(), Vec::new()];
        let mut counter = 0u32;
        for op in ops {
            match op {
                Op::Send(from_alice) => {
                    counter += 1;
                    let body = format!("msg {counter}").into_bytes();
                    let (s, dir) = if from_alice { (&mut p.alice, 0) } else { (&mut p.bob, 1) };
                    let e = send(&mut p.rng, s, &body);
                    flight[dir].push((e, body));
                }
                Op::Deliver(to_bob, i) => {
                    let dir = if to_bob { 0 } else { 1 };
                    if flight[dir].is_empty() { continue; }
                    let (e, body) = flight[dir].remove(i % flight[dir].len());
                    let r = if to_bob { &mut p.bob } else { &mut p.alice };
                    let m = r.decrypt(proof(r), &e, 0).unwrap();
                    prop_assert_eq!(m.body.expose(), &body[..]);
                    delivered[dir].push(e);
                }
                Op::Drop(to_bob, i) => {
                    let dir = if to_bob { 0 } else { 1 };
                    if !flight[dir].is_empty() {
                        let n = flight[dir].len();
                        flight[dir].remove(i % n);
                    }
                }
                Op::Redeliver(to_bob, i) => {
                    let dir = if to_bob { 0 } else { 1 };
                    if delivered[dir].is_empty() { continue; }
                    let e = delivered[dir][i % delivered[dir].len()].clone();
                    let r = if to_bob { &mut p.bob } else { &mut p.alice };
                    let before = r.state_digest();
                    prop_assert!(r.decrypt(proof(r), &e, 0).is_err());
                    prop_assert_eq!(r.state_digest(), before);
                }
                Op::Tamper(to_bob, i, b) => {
                    let dir = if to_bob { 0 } else { 1 };
                    if flight[dir].is_empty() { continue; }
                    let mut e = flight[dir][i % flight[dir].len()].0.clone();
                    let at = b % e.len();
                    e[at] ^= 0x04;
                    let r = if to_bob { &mut p.bob } else { &mut p.alice };
                    let before = r.state_digest();
                    prop_assert!(r.decrypt(proof(r), &e, 0).is_err());
                    prop_assert_eq!(r.state_digest(), before);
                }
            }
        }
        // Everything still in flight arrives, in reverse order.
        for (dir, r) in [(0usize, &mut p.bob), (1, &mut p.alice)] {
            while let Some((e, body)) = flight[dir].pop() {
                let m = r.decrypt(proof(r), &e, 0).unwrap();
                prop_assert_eq!(m.body.expose(), &body[..]);
            }
        }
    }
}

#[test]
fn post_compromise_a_stolen_state_stops_reading_after_one_round_trip() {
    let mut p = pair(17);
    let key = bleep::state::StorageKey::generate(&mut p.rng);
    // An attacker takes a copy of Alice's whole state.
    let mut stolen: Session = key.unseal(&key.seal(&mut p.rng, &p.alice)).unwrap();
    let e = send(&mut p.rng, &mut p.bob, b"exposed");
    assert_eq!(
        stolen.decrypt(proof(&stolen), &e, 0).unwrap().body.expose(),
        b"exposed"
    );
    p.alice.decrypt(proof(&p.alice), &e, 0).unwrap();
    // One DH ratchet round trip with fresh secrets the copy never saw.
    let e = send(&mut p.rng, &mut p.alice, b"ping");
    p.bob.decrypt(proof(&p.bob), &e, 0).unwrap();
    let e = send(&mut p.rng, &mut p.bob, b"healed");
    assert_eq!(
        stolen.decrypt(proof(&stolen), &e, 0).unwrap_err(),
        Error::Crypto(CryptoError::DecryptFailed)
    );
    assert_eq!(
        p.alice
            .decrypt(proof(&p.alice), &e, 0)
            .unwrap()
            .body
            .expose(),
        b"healed"
    );
}

/// A fresh proof for the session's peer from a trust-on-first-use store,
/// for tests of something other than the trust decision.
fn proof(s: &Session) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}
