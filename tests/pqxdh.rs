//! The PQXDH handshake through the public API: the default path, refusal
//! of classical bundles and stripped first messages, one-time prekeys of
//! both kinds consumed exactly once, and replayed first messages refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Bytes of an ML-KEM-1024 ciphertext.
const KEM_CT: usize = 1568;

struct Setup {
    rng: ChaCha20Rng,
    alice: IdentityKeyPair,
    bob: IdentityKeyPair,
    prekeys: PreKeyStore,
    vb: VerifiedIdentity,
    va: VerifiedIdentity,
}

fn setup(seed: u64, one_time: usize, kem_one_time: usize) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob);
    prekeys
        .generate_one_time_prekeys(&mut rng, one_time)
        .unwrap();
    prekeys
        .generate_kem_one_time_prekeys(&mut rng, &bob, kem_one_time)
        .unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice.public())
        .unwrap();
    Setup {
        rng,
        alice,
        bob,
        prekeys,
        vb,
        va,
    }
}

impl Setup {
    fn bundle(&self) -> PreKeyBundle {
        PreKeyBundle::from_bytes(&self.prekeys.bundle().to_bytes()).unwrap()
    }

    fn first(&mut self, bundle: &PreKeyBundle, body: &[u8]) -> (Session, Vec<u8>) {
        let mut a = Session::initiate(&mut self.rng, &self.alice, &self.vb, bundle).unwrap();
        let m = a
            .encrypt(&mut self.rng, proof(&a), OutgoingMessage::new(body, 1))
            .unwrap();
        (a, m.envelope)
    }

    fn accept(&mut self, envelope: &[u8]) -> Result<(Session, ReceivedMessage)> {
        self.accept_with(envelope, HandshakePolicy::RequirePostQuantum)
    }

    fn accept_with(
        &mut self,
        envelope: &[u8],
        policy: HandshakePolicy,
    ) -> Result<(Session, ReceivedMessage)> {
        let env = Envelope::parse(envelope)?;
        Session::accept_with_policy(&self.bob, &mut self.prekeys, &self.va, &env, 2, policy)
    }

    /// Everything observable about the prekey store.
    fn store_view(&self) -> (String, Vec<u8>, usize, usize) {
        (
            format!("{:?}", self.prekeys),
            self.prekeys.bundle().to_bytes(),
            self.prekeys.one_time_prekey_count(),
            self.prekeys.kem_one_time_prekey_count(),
        )
    }
}

/// The classical (version-1) form of a bundle: the KEM part cut off and the
/// version byte set to 1, which every signature still covers.
fn strip_bundle(bundle: &PreKeyBundle) -> Vec<u8> {
    let bytes = bundle.to_bytes();
    let end = 1 + IDENTITY_KEY_LEN + 100 + 2 + 36 * bundle.one_time_prekey_count();
    let mut out = bytes[..end].to_vec();
    out[0] = 1;
    out
}

/// Where the KEM prekey id starts in a version-2 prekey envelope.
fn kem_at(envelope: &[u8]) -> usize {
    let flag = 2 + IDENTITY_KEY_LEN + 32 + 4;
    flag + 1 + if envelope[flag] == 1 { 4 } else { 0 }
}

/// The classical (version-1) form of a first message.
fn strip_first(envelope: &[u8]) -> Vec<u8> {
    let at = kem_at(envelope);
    let mut out = envelope[..at].to_vec();
    out.extend_from_slice(&envelope[at + 4 + KEM_CT..]);
    out[0] = 1;
    out
}

#[test]
fn pqxdh_is_the_default_on_both_sides() {
    let mut s = setup(1, 2, 2);
    let bundle = s.bundle();
    assert!(bundle.has_post_quantum_prekeys());
    assert_eq!(bundle.kem_one_time_prekey_count(), 2);
    let (mut a, first) = s.first(&bundle, b"bed 4 review");
    assert_eq!(a.handshake_kind(), HandshakeKind::PostQuantum);
    let env = Envelope::parse(&first).unwrap();
    assert_eq!(first[0], ENVELOPE_VERSION);
    assert_eq!(env.is_post_quantum_handshake(), Some(true));
    let (mut b, m) = s.accept(&first).unwrap();
    assert_eq!(m.body.expose(), b"bed 4 review");
    assert_eq!(b.handshake_kind(), HandshakeKind::PostQuantum);
    assert_eq!(s.prekeys.one_time_prekey_count(), 1);
    assert_eq!(s.prekeys.kem_one_time_prekey_count(), 1);
    let r = b
        .encrypt(&mut s.rng, proof(&b), OutgoingMessage::new(b"on my way", 3))
        .unwrap();
    assert_eq!(r.envelope[0], ENVELOPE_VERSION);
    assert_eq!(
        a.decrypt(proof(&a), &r.envelope, 3).unwrap().body.expose(),
        b"on my way"
    );
    // The state survives sealing with its kind.
    let key = StorageKey::from_bytes([7; 32]);
    let back: Session = key.unseal(&key.seal(&mut s.rng, &a)).unwrap();
    assert_eq!(back.handshake_kind(), HandshakeKind::PostQuantum);
    assert!(format!("{a:?}").contains("PostQuantum"));
}

#[test]
fn a_bundle_stripped_of_its_kem_part_is_refused_unless_allowed() {
    let mut s = setup(2, 1, 1);
    let stripped = PreKeyBundle::from_bytes(&strip_bundle(&s.bundle())).unwrap();
    assert!(!stripped.has_post_quantum_prekeys());
    assert_eq!(
        Session::initiate(&mut s.rng, &s.alice, &s.vb, &stripped).unwrap_err(),
        Error::Protocol(ProtocolError::PostQuantumRequired)
    );
    // Allowed explicitly (an older peer): a classical session, recorded
    // as such, in version-1 envelopes; the responder refuses it by default.
    let mut a = Session::initiate_with_policy(
        &mut s.rng,
        &s.alice,
        &s.vb,
        &stripped,
        HandshakePolicy::AllowClassical,
    )
    .unwrap();
    assert_eq!(a.handshake_kind(), HandshakeKind::Classical);
    let first = a
        .encrypt(&mut s.rng, proof(&a), OutgoingMessage::new(b"classical", 1))
        .unwrap()
        .envelope;
    assert_eq!(first[0], 1);
    assert_eq!(
        Envelope::parse(&first).unwrap().is_post_quantum_handshake(),
        Some(false)
    );
    let view = s.store_view();
    assert_eq!(
        s.accept(&first).unwrap_err(),
        Error::Protocol(ProtocolError::PostQuantumRequired)
    );
    assert_eq!(s.store_view(), view);
    let (b, m) = s
        .accept_with(&first, HandshakePolicy::AllowClassical)
        .unwrap();
    assert_eq!(m.body.expose(), b"classical");
    assert_eq!(b.handshake_kind(), HandshakeKind::Classical);
    // The one-time KEM prekey was not used, the X25519 one was.
    assert_eq!(s.prekeys.kem_one_time_prekey_count(), 1);
    assert_eq!(s.prekeys.one_time_prekey_count(), 0);
    // With KEM prekeys on offer, allowing classical still gives PQXDH.
    let bundle = s.bundle();
    let a = Session::initiate_with_policy(
        &mut s.rng,
        &s.alice,
        &s.vb,
        &bundle,
        HandshakePolicy::AllowClassical,
    )
    .unwrap();
    assert_eq!(a.handshake_kind(), HandshakeKind::PostQuantum);
}

#[test]
fn a_first_message_stripped_of_its_kem_part_never_makes_a_session() {
    for (one_time, kem_one_time) in [(0, 0), (1, 1)] {
        let mut s = setup(3, one_time, kem_one_time);
        let bundle = s.bundle();
        let (_a, first) = s.first(&bundle, b"strip me");
        let stripped = strip_first(&first);
        let view = s.store_view();
        assert_eq!(
            s.accept(&stripped).unwrap_err(),
            Error::Protocol(ProtocolError::PostQuantumRequired)
        );
        assert_eq!(s.store_view(), view);
        assert_eq!(
            s.accept_with(&stripped, HandshakePolicy::AllowClassical)
                .unwrap_err(),
            Error::Crypto(CryptoError::DecryptFailed)
        );
        assert_eq!(s.store_view(), view);
        // The genuine message still works afterwards.
        let (b, _) = s.accept(&first).unwrap();
        assert_eq!(b.handshake_kind(), HandshakeKind::PostQuantum);
    }
}

#[test]
fn forged_prekey_messages_burn_no_one_time_prekey_of_either_kind() {
    let mut s = setup(4, 1, 1);
    let bundle = s.bundle();
    let (_a, first) = s.first(&bundle, b"genuine");
    let at = kem_at(&first);
    let view = s.store_view();
    let mut tampered_ct = first.clone();
    tampered_ct[at + 4 + 700] ^= 0x10;
    let mut tampered_tag = first.clone();
    let last = first.len() - 1;
    tampered_tag[last] ^= 1;
    let mut other_base = first.clone();
    other_base[2 + IDENTITY_KEY_LEN] ^= 0x40;
    for bad in [&tampered_ct, &tampered_tag, &other_base] {
        assert_eq!(
            s.accept(bad).unwrap_err(),
            Error::Crypto(CryptoError::DecryptFailed)
        );
        assert_eq!(s.store_view(), view);
    }
    let mut unknown_kem = first.clone();
    unknown_kem[at..at + 4].copy_from_slice(&777u32.to_be_bytes());
    assert_eq!(
        s.accept(&unknown_kem).unwrap_err(),
        Error::Protocol(ProtocolError::UnknownKemPreKey)
    );
    // The last-resort KEM prekey's id (1) instead of the one-time one.
    let mut last_resort = first.clone();
    last_resort[at..at + 4].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(
        s.accept(&last_resort).unwrap_err(),
        Error::Crypto(CryptoError::DecryptFailed)
    );
    assert_eq!(s.store_view(), view);
    s.accept(&first).unwrap();
    assert_eq!(s.prekeys.one_time_prekey_count(), 0);
    assert_eq!(s.prekeys.kem_one_time_prekey_count(), 0);
}

#[test]
fn a_one_time_kem_prekey_is_consumed_exactly_once() {
    let mut s = setup(5, 0, 1);
    let bundle = s.bundle();
    let (_a1, first1) = s.first(&bundle, b"one");
    let (_a2, first2) = s.first(&bundle, b"two");
    s.accept(&first1).unwrap();
    assert_eq!(s.prekeys.kem_one_time_prekey_count(), 0);
    let view = s.store_view();
    assert_eq!(
        s.accept(&first2).unwrap_err(),
        Error::Protocol(ProtocolError::UnknownKemPreKey)
    );
    assert_eq!(s.store_view(), view);
    // With no one-time KEM prekey left, initiators use the last-resort one,
    // which is never consumed.
    let bundle = s.bundle();
    assert_eq!(bundle.kem_one_time_prekey_count(), 0);
    for body in [&b"three"[..], b"four"] {
        let (_a, first) = s.first(&bundle, body);
        assert_eq!(s.accept(&first).unwrap().1.body.expose(), body);
    }
}

#[test]
fn a_replayed_first_message_is_refused_with_state_unchanged() {
    let mut s = setup(6, 0, 0);
    let bundle = s.bundle();
    let (_a, first) = s.first(&bundle, b"no one-time prekeys");
    let key = StorageKey::from_bytes([9; 32]);
    let before_accept = key.seal(&mut s.rng, &s.prekeys);
    s.accept(&first).unwrap();
    let view = s.store_view();
    assert_eq!(
        s.accept(&first).unwrap_err(),
        Error::Protocol(ProtocolError::ReplayedPreKeyMessage)
    );
    assert_eq!(s.store_view(), view);
    // The record is part of the sealed store.
    let after_accept = key.seal(&mut s.rng, &s.prekeys);
    s.prekeys = key.unseal(&after_accept).unwrap();
    assert_eq!(
        s.accept(&first).unwrap_err(),
        Error::Protocol(ProtocolError::ReplayedPreKeyMessage)
    );
    // What a restore cannot undo: a store saved before the handshake has
    // no record of it (docs/PROTOCOL.md §10.6); the app's message vault
    // recognises the message id.
    s.prekeys = key.unseal(&before_accept).unwrap();
    assert!(s.accept(&first).is_ok());
}

#[test]
fn forged_kem_prekey_signatures_are_refused() {
    let s = setup(7, 0, 2);
    let bytes = s.bundle().to_bytes();
    let entry = 4 + 1568 + 64;
    let kem_start = 1 + IDENTITY_KEY_LEN + 100 + 2;
    // The last-resort key, then each one-time key: a flip in its key or
    // its signature is refused.
    for k in 0..3 {
        let start = kem_start + k * entry + if k > 0 { 2 } else { 0 };
        for at in [start + 4 + 10, start + entry - 1] {
            let mut x = bytes.clone();
            x[at] ^= 0x01;
            assert_eq!(
                PreKeyBundle::from_bytes(&x).unwrap_err(),
                Error::Crypto(CryptoError::BadSignature),
                "key {k} byte {at}"
            );
        }
    }
    assert!(PreKeyBundle::from_bytes(&bytes).is_ok());
}

#[test]
fn a_version_1_bundle_still_parses_as_classical() {
    let s = setup(8, 3, 0);
    let b = PreKeyBundle::from_bytes(&strip_bundle(&s.bundle())).unwrap();
    assert_eq!(b.one_time_prekey_count(), 3);
    assert_eq!(b.kem_one_time_prekey_count(), 0);
    assert_eq!(b.to_bytes()[0], 1);
    assert!(b.with_kem_one_time_prekey(Some(1)).is_none());
}

#[test]
fn sizes_on_the_wire_are_as_documented() {
    let mut s = setup(9, 1, 1);
    let full = s.bundle();
    let none = full
        .with_one_time_prekey(None)
        .unwrap()
        .with_kem_one_time_prekey(None)
        .unwrap();
    assert_eq!(none.to_bytes().len(), 1870);
    assert_eq!(full.to_bytes().len(), 1870 + 36 + 1636);
    assert_eq!(strip_bundle(&none).len(), 232);
    let (_a, first) = s.first(&none, b"hi");
    assert_eq!(first.len(), 1884);
    let (mut a, first) = s.first(&full, b"hi");
    assert_eq!(first.len(), 1888);
    assert_eq!(strip_first(&first).len(), 316);
    let (mut b, _) = s.accept(&first).unwrap();
    let reply = b
        .encrypt(&mut s.rng, proof(&b), OutgoingMessage::new(b"ok", 2))
        .unwrap();
    assert_eq!(reply.envelope.len(), 146);
    a.decrypt(proof(&a), &reply.envelope, 2).unwrap();
    let next = a
        .encrypt(&mut s.rng, proof(&a), OutgoingMessage::new(b"ok", 2))
        .unwrap();
    assert_eq!(next.envelope.len(), 146);
}

#[test]
fn new_error_texts_and_debug_output_are_fixed() {
    for (e, text) in [
        (
            ProtocolError::PostQuantumRequired,
            "protocol error: classical handshake refused: post-quantum prekeys required",
        ),
        (
            ProtocolError::UnknownKemPreKey,
            "protocol error: ML-KEM prekey unknown or already used",
        ),
        (
            ProtocolError::ReplayedPreKeyMessage,
            "protocol error: prekey message already accepted (replay)",
        ),
    ] {
        assert_eq!(Error::Protocol(e).to_string(), text);
    }
    let mut s = setup(10, 1, 1);
    let store = format!("{:?}", s.prekeys);
    assert!(
        store.ends_with("signed_prekey_ids: [1], one_time_prekeys: 1, kem_one_time_prekeys: 1 }"),
        "{store}"
    );
    let bundle = s.bundle();
    let (a, first) = s.first(&bundle, b"NHS 943 476 5919");
    let shown = format!("{a:?} {:?}", Envelope::parse(&first).unwrap());
    assert!(shown.contains("handshake: PostQuantum"), "{shown}");
    assert!(shown.contains("version: 2"), "{shown}");
    assert!(!shown.contains("943"), "{shown}");
    // No KEM ciphertext byte run is printed.
    assert!(shown.len() < 400, "{shown}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any single changed byte or cut of a genuine PQXDH first message
        /// is refused with a typed error and burns nothing; the genuine
        /// message is accepted afterwards.
        #[test]
        fn altered_first_messages_change_nothing(
            seed in 0u64..4,
            at in any::<proptest::sample::Index>(),
            flip in 1u8..=255,
            cut in any::<proptest::sample::Index>(),
        ) {
            let mut s = setup(100 + seed, 1, 1);
            let bundle = s.bundle();
            let (_a, first) = s.first(&bundle, b"obs due at 14:00");
            let view = s.store_view();
            let mut bad = first.clone();
            bad[at.index(first.len())] ^= flip;
            prop_assert!(s.accept(&bad).is_err());
            prop_assert_eq!(s.store_view(), view.clone());
            prop_assert!(s.accept(&first[..cut.index(first.len())]).is_err());
            prop_assert_eq!(s.store_view(), view);
            prop_assert!(s.accept(&first).is_ok());
        }
    }
}

#[test]
fn a_second_prekey_message_of_an_accepted_handshake_goes_to_its_session() {
    let mut s = setup(11, 0, 0);
    let bundle = s.bundle();
    let mut a = Session::initiate(&mut s.rng, &s.alice, &s.vb, &bundle).unwrap();
    let m1 = a
        .encrypt(&mut s.rng, proof(&a), OutgoingMessage::new(b"one", 1))
        .unwrap()
        .envelope;
    let m2 = a
        .encrypt(&mut s.rng, proof(&a), OutgoingMessage::new(b"two", 1))
        .unwrap()
        .envelope;
    let (mut b, _) = s.accept(&m1).unwrap();
    // The initiator repeats its handshake until the first reply: the
    // second message is not a new session...
    assert_eq!(
        s.accept(&m2).unwrap_err(),
        Error::Protocol(ProtocolError::ReplayedPreKeyMessage)
    );
    // ...but the next message of the one already accepted.
    assert_eq!(b.decrypt(proof(&b), &m2, 2).unwrap().body.expose(), b"two");
}

/// A fresh proof for the session's peer from a trust-on-first-use store,
/// for tests of something other than the trust decision.
fn proof(s: &Session) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}
