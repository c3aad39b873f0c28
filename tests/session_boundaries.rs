//! Session rules at their exact boundaries, through the public API: the
//! skipped-key total at the limit and one past it in sealed state
//! (PROTOCOL §10.4.3), and which prekey envelopes an established session
//! refuses as `WrongSession` (PROTOCOL §6).
//!
//! The one-past-the-limit state cannot be reached through the API (the
//! session evicts the oldest keys), so it is written as a holder of the
//! storage key would: unsealed and resealed per PROTOCOL §10.2.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::limits::{MAX_SKIP_PER_CHAIN, MAX_SKIPPED_TOTAL};
use bleep::*;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct Pair {
    rng: ChaCha20Rng,
    alice_id: IdentityKeyPair,
    bundle: PreKeyBundle,
    alice: Session,
    bob: Session,
    /// Alice's first (prekey) envelope, as Bob accepted it.
    first: Vec<u8>,
}

fn proof(s: &Session) -> VerifiedIdentity {
    let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    t.check(&PeerId::new("peer").unwrap(), s.peer_identity())
        .unwrap()
}

fn pair(seed: u64) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob_id);
    prekeys.generate_one_time_prekeys(&mut rng, 3).unwrap();
    let bundle = PreKeyBundle::from_bytes(&prekeys.bundle().to_bytes()).unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bundle.identity())
        .unwrap();
    let mut alice = Session::initiate(&mut rng, &alice_id, &vb, &bundle).unwrap();
    let first = alice
        .encrypt(&mut rng, proof(&alice), OutgoingMessage::new(b"hello", 10))
        .unwrap()
        .envelope;
    let env = Envelope::parse(&first).unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice_id.public())
        .unwrap();
    let (bob, _) = Session::accept(&bob_id, &mut prekeys, &va, &env, 11).unwrap();
    Pair {
        rng,
        alice_id,
        bundle,
        alice,
        bob,
        first,
    }
}

fn send(rng: &mut ChaCha20Rng, s: &mut Session, body: &[u8]) -> Vec<u8> {
    s.encrypt(rng, proof(s), OutgoingMessage::new(body, 100))
        .unwrap()
        .envelope
}

/// Alice ends up holding exactly `MAX_SKIPPED_TOTAL` skipped keys, in two
/// chains of `MAX_SKIP_PER_CHAIN`; returns the first skipped envelope of
/// each chain.
fn fill_skipped(p: &mut Pair) -> Vec<Vec<u8>> {
    let chunk = MAX_SKIP_PER_CHAIN as usize;
    assert_eq!(
        2 * chunk,
        MAX_SKIPPED_TOTAL,
        "the test assumes two full chains"
    );
    let mut firsts = Vec::new();
    for _ in 0..2 {
        let envs: Vec<_> = (0..=chunk)
            .map(|_| send(&mut p.rng, &mut p.bob, b"y"))
            .collect();
        p.alice.decrypt(proof(&p.alice), &envs[chunk], 0).unwrap();
        firsts.push(envs[0].clone());
        let ack = send(&mut p.rng, &mut p.alice, b"ack");
        p.bob.decrypt(proof(&p.bob), &ack, 0).unwrap();
    }
    assert_eq!(p.alice.skipped_key_count(), MAX_SKIPPED_TOTAL);
    firsts
}

#[test]
fn a_session_at_the_skipped_key_limit_survives_sealing() {
    let mut p = pair(1);
    let firsts = fill_skipped(&mut p);
    let key = StorageKey::generate(&mut p.rng);
    let sealed = key.seal(&mut p.rng, &p.alice);
    let mut restored: Session = key.unseal(&sealed).unwrap();
    assert_eq!(restored.skipped_key_count(), MAX_SKIPPED_TOTAL);
    assert_eq!(restored.state_digest(), p.alice.state_digest());
    // The restored keys still open the messages they were kept for.
    for env in &firsts {
        let m = restored.decrypt(proof(&restored), env, 0).unwrap();
        assert_eq!(m.body.expose(), b"y");
    }
    assert_eq!(restored.skipped_key_count(), MAX_SKIPPED_TOTAL - 2);
}

/// Opens a version-1 sealed blob (PROTOCOL §10.2).
fn open(key: &StorageKey, sealed: &[u8]) -> Vec<u8> {
    let aead = XChaCha20Poly1305::new(key.expose().into());
    let ad = [&b"bleep v1 sealed state"[..], &sealed[..2]].concat();
    let nonce: [u8; 24] = sealed[2..26].try_into().unwrap();
    aead.decrypt(
        (&nonce).into(),
        Payload {
            msg: &sealed[26..],
            aad: &ad,
        },
    )
    .unwrap()
}

/// Seals `plain` as a version-1 session blob (PROTOCOL §10.2).
fn reseal(key: &StorageKey, plain: &[u8]) -> Vec<u8> {
    let aead = XChaCha20Poly1305::new(key.expose().into());
    let header = [SEALED_STATE_VERSION, StateType::Session.tag()];
    let ad = [&b"bleep v1 sealed state"[..], &header[..]].concat();
    let nonce = [7u8; 24];
    let ct = aead
        .encrypt(
            (&nonce).into(),
            Payload {
                msg: plain,
                aad: &ad,
            },
        )
        .unwrap();
    [&header[..], &nonce[..], &ct].concat()
}

/// Offsets of the last skipped chain's key count and of the retired
/// section in a version-2 session encoding (PROTOCOL §10.4.3), for a
/// initiator state with no pending prekey part.
fn skipped_layout(state: &[u8]) -> (usize, usize) {
    // Version 2: version, initiator, post-quantum, AD, peer, base key.
    assert_eq!(state[0], 2, "session state version");
    let mut at = 1 + 1 + 1 + 128 + 129 + 32;
    assert_eq!(state[at], 0, "no pending prekey part");
    at += 1 + 32 + 32;
    at += 1 + if state[at] == 1 { 36 } else { 0 };
    at += 4;
    at += 1 + if state[at] == 1 { 68 } else { 0 };
    let chains = usize::from(u16::from_be_bytes([state[at], state[at + 1]]));
    at += 2;
    let mut last_count = 0;
    for _ in 0..chains {
        at += 32;
        last_count = at;
        let n = usize::from(u16::from_be_bytes([state[at], state[at + 1]]));
        at += 2 + 36 * n;
    }
    (last_count, at)
}

#[test]
fn a_sealed_session_one_key_past_the_limit_is_refused() {
    let mut p = pair(2);
    fill_skipped(&mut p);
    let key = StorageKey::generate(&mut p.rng);
    let state = open(&key, &key.seal(&mut p.rng, &p.alice));
    // Resealing the state unchanged loads: the layout below is the real one.
    let same: Session = key.unseal(&reseal(&key, &state)).unwrap();
    assert_eq!(same.state_digest(), p.alice.state_digest());

    // One more key in the newest chain, with the next counter.
    let (count_at, end_of_chains) = skipped_layout(&state);
    let n = u16::from_be_bytes([state[count_at], state[count_at + 1]]);
    let last_counter: [u8; 4] = state[end_of_chains - 36..end_of_chains - 32]
        .try_into()
        .unwrap();
    let next = u32::from_be_bytes(last_counter) + 1;
    let mut grown = state[..end_of_chains].to_vec();
    grown[count_at..count_at + 2].copy_from_slice(&(n + 1).to_be_bytes());
    grown.extend_from_slice(&next.to_be_bytes());
    grown.extend_from_slice(&[9u8; 32]);
    grown.extend_from_slice(&state[end_of_chains..]);
    assert_eq!(
        key.unseal::<Session>(&reseal(&key, &grown)).unwrap_err(),
        Error::Decode(DecodeError::InvalidLength)
    );
}

#[test]
fn a_prekey_message_of_another_handshake_with_the_same_peer_is_wrong_session() {
    let mut p = pair(3);
    // Alice starts over (a reinstall, or a lost session) with the same
    // identity and the same bundle: a new base key.
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), p.bundle.identity())
        .unwrap();
    let mut again = Session::initiate(&mut p.rng, &p.alice_id, &vb, &p.bundle).unwrap();
    let env = send(&mut p.rng, &mut again, b"again");
    let before = p.bob.state_digest();
    assert_eq!(
        p.bob.decrypt(proof(&p.bob), &env, 100).unwrap_err(),
        Error::Protocol(ProtocolError::WrongSession)
    );
    assert_eq!(p.bob.state_digest(), before);
}

/// Offset of the initiator identity in a prekey envelope (PROTOCOL §6).
const IDENTITY_AT: core::ops::Range<usize> = 2..2 + IDENTITY_KEY_LEN;

#[test]
fn a_prekey_message_naming_another_initiator_is_wrong_session() {
    let mut p = pair(4);
    let mallory = IdentityKeyPair::generate(&mut p.rng);
    // The handshake's own base key, under someone else's identity.
    let mut env = p.first.clone();
    env[IDENTITY_AT].copy_from_slice(&mallory.public().to_bytes());
    let before = p.bob.state_digest();
    assert_eq!(
        p.bob.decrypt(proof(&p.bob), &env, 100).unwrap_err(),
        Error::Protocol(ProtocolError::WrongSession)
    );
    assert_eq!(p.bob.state_digest(), before);
    // The genuine envelope again is a duplicate, not another session.
    assert_eq!(
        p.bob.decrypt(proof(&p.bob), &p.first, 100).unwrap_err(),
        Error::Protocol(ProtocolError::DuplicateMessage)
    );
}

#[test]
fn an_initiator_refuses_every_prekey_message() {
    let mut p = pair(5);
    // Alice's own first envelope, reflected back naming Bob as its
    // initiator: her base key, her peer's identity.
    let mut env = p.first.clone();
    env[IDENTITY_AT].copy_from_slice(&p.alice.peer_identity().to_bytes());
    let before = p.alice.state_digest();
    assert_eq!(
        p.alice.decrypt(proof(&p.alice), &env, 100).unwrap_err(),
        Error::Protocol(ProtocolError::WrongSession)
    );
    assert_eq!(p.alice.state_digest(), before);
    // Alice still reads Bob's ordinary messages.
    let reply = send(&mut p.rng, &mut p.bob, b"reply");
    assert_eq!(
        p.alice
            .decrypt(proof(&p.alice), &reply, 100)
            .unwrap()
            .body
            .expose(),
        b"reply"
    );
}
