//! The AES-256-GCM-SIV cipher suite through the public API: chosen per
//! session from the responder's bundle, written and authenticated in every
//! envelope, kept across a save and restore, and every downgrade attempt
//! refused with a typed error and no state change.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const AES: CipherSuite = CipherSuite::Aes256GcmSiv;
const XCHACHA: CipherSuite = CipherSuite::XChaCha20Poly1305;

struct Setup {
    rng: ChaCha20Rng,
    alice: IdentityKeyPair,
    bob: IdentityKeyPair,
    prekeys: PreKeyStore,
    vb: VerifiedIdentity,
    va: VerifiedIdentity,
}

fn setup(seed: u64, bob_suites: Option<&[CipherSuite]>) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob);
    prekeys.generate_one_time_prekeys(&mut rng, 2).unwrap();
    prekeys
        .generate_kem_one_time_prekeys(&mut rng, &bob, 2)
        .unwrap();
    if let Some(suites) = bob_suites {
        prekeys.set_cipher_suites(&bob, suites).unwrap();
    }
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

    fn first(
        &mut self,
        bundle: &PreKeyBundle,
        preferred: &[CipherSuite],
        body: &[u8],
    ) -> Result<(Session, Vec<u8>)> {
        let mut a = Session::initiate_with_suites(
            &mut self.rng,
            &self.alice,
            &self.vb,
            bundle,
            HandshakePolicy::RequirePostQuantum,
            preferred,
        )?;
        let m = a.encrypt(&mut self.rng, proof(&a), OutgoingMessage::new(body, 1))?;
        Ok((a, m.envelope))
    }

    fn accept(&mut self, envelope: &[u8]) -> Result<(Session, ReceivedMessage)> {
        let env = Envelope::parse(envelope)?;
        Session::accept(&self.bob, &mut self.prekeys, &self.va, &env, 2)
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

fn proof(s: &Session) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}

fn send(rng: &mut ChaCha20Rng, s: &mut Session, body: &[u8]) -> Vec<u8> {
    s.encrypt(rng, proof(s), OutgoingMessage::new(body, 5))
        .unwrap()
        .envelope
}

fn recv(s: &mut Session, envelope: &[u8]) -> Result<Vec<u8>> {
    Ok(s.decrypt(proof(s), envelope, 6)?.body.expose().to_vec())
}

/// A version-3 (AES) envelope rewritten as a version-2 one: the suite
/// byte removed and the 12-byte nonce widened to XChaCha20's 24.
fn as_version_2(envelope: &[u8], nonce_at: usize) -> Vec<u8> {
    let mut out = vec![ENVELOPE_VERSION];
    out.extend_from_slice(&envelope[2..nonce_at]);
    out.extend_from_slice(&envelope[nonce_at..nonce_at + 12]);
    out.extend_from_slice(&[0u8; 12]);
    out.extend_from_slice(&envelope[nonce_at + 12..]);
    out
}

#[test]
fn an_aes_session_runs_both_ways_and_names_its_suite() {
    let mut s = setup(1, Some(&[AES, XCHACHA]));
    let bundle = s.bundle();
    assert_eq!(bundle.cipher_suites(), vec![AES, XCHACHA]);
    assert_eq!(bundle.to_bytes()[0], 3);
    let (mut a, first) = s.first(&bundle, &[AES, XCHACHA], b"bed 4 review").unwrap();
    assert_eq!(a.cipher_suite(), AES);
    assert_eq!((first[0], first[1]), (3, AES.id()));
    let env = Envelope::parse(&first).unwrap();
    assert_eq!(env.cipher_suite(), AES);
    assert_eq!(env.is_post_quantum_handshake(), Some(true));
    let (mut b, m) = s.accept(&first).unwrap();
    assert_eq!(m.body.expose(), b"bed 4 review");
    assert_eq!(b.cipher_suite(), AES);
    assert_eq!(b.handshake_kind(), HandshakeKind::PostQuantum);

    // Several DH steps, and messages out of order.
    for round in 0..3u8 {
        let r1 = send(&mut s.rng, &mut b, &[b'x', round]);
        let r2 = send(&mut s.rng, &mut b, &[b'y', round]);
        assert_eq!((r1[0], r1[1]), (3, AES.id()));
        // A normal AES envelope: 3 + header (40) + nonce (12) + 64 + 16.
        assert_eq!(r1.len(), 3 + 40 + 12 + 64 + 16);
        assert_eq!(recv(&mut a, &r2).unwrap(), [b'y', round]);
        assert_eq!(recv(&mut a, &r1).unwrap(), [b'x', round]);
        let q = send(&mut s.rng, &mut a, &[b'z', round]);
        assert_eq!(recv(&mut b, &q).unwrap(), [b'z', round]);
    }
}

#[test]
fn the_initiator_picks_from_its_own_preference_and_the_default_is_xchacha() {
    // Bob accepts both; Alice's default allows only XChaCha20-Poly1305.
    let mut s = setup(2, Some(&[AES, XCHACHA]));
    let bundle = s.bundle();
    let mut a = Session::initiate(&mut s.rng, &s.alice, &s.vb, &bundle).unwrap();
    assert_eq!(a.cipher_suite(), XCHACHA);
    let first = send(&mut s.rng, &mut a, b"hi");
    assert_eq!(first[0], ENVELOPE_VERSION);
    let (b, _) = s.accept(&first).unwrap();
    assert_eq!(b.cipher_suite(), XCHACHA);

    // Alice prefers XChaCha20 but allows AES: XChaCha20.
    assert_eq!(bundle.choose_cipher_suite(&[XCHACHA, AES]), Some(XCHACHA));
    // A default bundle lists XChaCha20 alone and is still version 2.
    let plain = setup(3, None);
    assert_eq!(plain.bundle().to_bytes()[0], 2);
    assert_eq!(plain.bundle().cipher_suites(), vec![XCHACHA]);
    assert_eq!(plain.bundle().choose_cipher_suite(&[AES]), None);
    assert_eq!(plain.prekeys.cipher_suites(), vec![XCHACHA]);
}

#[test]
fn no_common_suite_is_refused_before_anything_is_drawn() {
    let mut s = setup(4, None);
    let bundle = s.bundle();
    let before = s.rng.clone();
    let err = s.first(&bundle, &[AES], b"hi").unwrap_err();
    assert_eq!(err, Error::Protocol(ProtocolError::NoCommonCipherSuite));
    assert_eq!(s.rng.get_word_pos(), before.get_word_pos());
    let err = s.first(&bundle, &[], b"hi").unwrap_err();
    assert_eq!(err, Error::Protocol(ProtocolError::NoCommonCipherSuite));
    // An empty list cannot be configured either.
    assert_eq!(
        s.prekeys.set_cipher_suites(&s.bob, &[]).unwrap_err(),
        Error::Protocol(ProtocolError::NoCommonCipherSuite)
    );
    // Nor by another identity.
    assert_eq!(
        s.prekeys.set_cipher_suites(&s.alice, &[AES]).unwrap_err(),
        Error::Trust(TrustError::IdentityMismatch)
    );
    assert_eq!(s.prekeys.cipher_suites(), vec![XCHACHA]);
}

#[test]
fn rewriting_the_first_message_to_xchacha_fails_and_changes_nothing() {
    let mut s = setup(5, Some(&[AES, XCHACHA]));
    let bundle = s.bundle().with_one_time_prekey(None).unwrap();
    let (_, first) = s.first(&bundle, &[AES], b"bed 9").unwrap();
    // version, suite, kind, identity, base key, spk id, flag, KEM id, CT,
    // header.
    let nonce_at = 3 + IDENTITY_KEY_LEN + 32 + 4 + 1 + 4 + 1568 + 40;
    let downgraded = as_version_2(&first, nonce_at);
    let env = Envelope::parse(&downgraded).unwrap();
    assert_eq!(env.cipher_suite(), XCHACHA);
    let before = s.store_view();
    assert_eq!(
        s.accept(&downgraded).unwrap_err(),
        Error::Crypto(CryptoError::DecryptFailed)
    );
    assert_eq!(s.store_view(), before);
    // The genuine message is still accepted afterwards.
    let (b, m) = s.accept(&first).unwrap();
    assert_eq!(m.body.expose(), b"bed 9");
    assert_eq!(b.cipher_suite(), AES);
}

#[test]
fn an_aes_only_responder_refuses_xchacha_with_a_typed_error() {
    let mut s = setup(6, None);
    // A bundle Bob published before he required AES (its signed prekey is
    // still current): an attacker hands it to Alice.
    let old = s.bundle();
    s.prekeys.set_cipher_suites(&s.bob, &[AES]).unwrap();
    let current = s.bundle();
    assert_eq!(current.cipher_suites(), vec![AES]);
    // Alice allowing XChaCha20 alone cannot start on the current bundle.
    assert_eq!(
        s.first(&current, &[XCHACHA], b"hi").unwrap_err(),
        Error::Protocol(ProtocolError::NoCommonCipherSuite)
    );
    // On the old one she can, but Bob refuses it before using any key.
    let (_, first) = s.first(&old, &[XCHACHA], b"hi").unwrap();
    let before = s.store_view();
    assert_eq!(
        s.accept(&first).unwrap_err(),
        Error::Protocol(ProtocolError::UnsupportedCipherSuite)
    );
    assert_eq!(s.store_view(), before);
    // On the current bundle, with AES, the handshake goes through.
    let (mut a, first) = s.first(&current, &[AES], b"hello").unwrap();
    let (mut b, _) = s.accept(&first).unwrap();
    let r = send(&mut s.rng, &mut b, b"ok");
    assert_eq!(recv(&mut a, &r).unwrap(), b"ok");
}

#[test]
fn a_bundle_suite_list_cannot_be_edited_or_cut_back() {
    let mut s = setup(7, Some(&[AES, XCHACHA]));
    s.prekeys.generate_one_time_prekeys(&mut s.rng, 1).unwrap();
    let bytes = s.prekeys.bundle().to_bytes();
    assert_eq!(&bytes[bytes.len() - 3..], &[2, AES.id(), XCHACHA.id()]);
    // Reordered: the signature covers the list.
    let mut reordered = bytes.clone();
    let n = reordered.len();
    reordered.swap(n - 1, n - 2);
    assert_eq!(
        PreKeyBundle::from_bytes(&reordered).unwrap_err(),
        Error::Crypto(CryptoError::BadSignature)
    );
    // AES dropped from the list.
    let mut dropped = bytes[..n - 3].to_vec();
    dropped.extend_from_slice(&[1, AES.id()]);
    assert_eq!(
        PreKeyBundle::from_bytes(&dropped).unwrap_err(),
        Error::Crypto(CryptoError::BadSignature)
    );
    // Cut back to version 2 (XChaCha20 alone implied): the version-2
    // signature input differs.
    let mut v2 = bytes[..n - 3].to_vec();
    v2[0] = 2;
    assert_eq!(
        PreKeyBundle::from_bytes(&v2).unwrap_err(),
        Error::Crypto(CryptoError::BadSignature)
    );
    // Malformed lists: empty, repeated, the default list, too long.
    for list in [&[0u8][..], &[2, 2, 2], &[1, 1], &[5, 1, 2, 3, 4, 5]] {
        let mut x = bytes[..n - 3].to_vec();
        x.extend_from_slice(list);
        assert!(
            matches!(PreKeyBundle::from_bytes(&x).unwrap_err(), Error::Decode(_)),
            "{list:?}"
        );
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        PreKeyBundle::from_bytes(&trailing).unwrap_err(),
        Error::Decode(DecodeError::TrailingBytes)
    );
}

#[test]
fn a_message_naming_another_suite_is_refused_and_changes_nothing() {
    let mut s = setup(8, Some(&[AES]));
    let bundle = s.bundle();
    let (mut a, first) = s.first(&bundle, &[AES], b"one").unwrap();
    let (mut b, _) = s.accept(&first).unwrap();
    let r = send(&mut s.rng, &mut b, b"two");
    let before = a.state_digest();
    // Version 3 naming XChaCha20 has one encoding, version 2: refused.
    let mut x = r.clone();
    x[1] = XCHACHA.id();
    assert_eq!(
        recv(&mut a, &x).unwrap_err(),
        Error::Decode(DecodeError::NonCanonical)
    );
    // An unknown suite id.
    x[1] = 0x09;
    assert_eq!(
        recv(&mut a, &x).unwrap_err(),
        Error::Decode(DecodeError::UnknownCipherSuite)
    );
    // Rewritten as version 2: the session's suite is AES.
    let v2 = as_version_2(&r, 3 + 40);
    assert_eq!(
        recv(&mut a, &v2).unwrap_err(),
        Error::Protocol(ProtocolError::UnsupportedCipherSuite)
    );
    // Every single-bit flip: an error, never a panic, state unchanged.
    for i in 0..r.len() {
        let mut x = r.clone();
        x[i] ^= 0x01;
        assert!(recv(&mut a, &x).is_err(), "byte {i}");
        assert_eq!(a.state_digest(), before, "byte {i}");
    }
    assert_eq!(recv(&mut a, &r).unwrap(), b"two");
}

#[test]
fn an_aes_session_survives_a_save_and_restore() {
    let mut s = setup(9, Some(&[AES, XCHACHA]));
    let bundle = s.bundle();
    let (mut a, first) = s.first(&bundle, &[AES], b"one").unwrap();
    let (mut b, _) = s.accept(&first).unwrap();
    let key = StorageKey::generate(&mut s.rng);
    let r = send(&mut s.rng, &mut b, b"two");
    let sealed_a = key.seal(&mut s.rng, &a);
    let sealed_b = key.seal(&mut s.rng, &b);
    let mut a2: Session = key.unseal(&sealed_a).unwrap();
    let mut b2: Session = key.unseal(&sealed_b).unwrap();
    assert_eq!(a2.cipher_suite(), AES);
    assert_eq!(a2.state_digest(), a.state_digest());
    assert_eq!(recv(&mut a2, &r).unwrap(), b"two");
    let q = send(&mut s.rng, &mut a2, b"three");
    assert_eq!(recv(&mut b2, &q).unwrap(), b"three");
    // The prekey store keeps its list (and its signature) too.
    let sealed = key.seal(&mut s.rng, &s.prekeys);
    let back: PreKeyStore = key.unseal(&sealed).unwrap();
    assert_eq!(back.cipher_suites(), vec![AES, XCHACHA]);
    assert_eq!(back.bundle(), s.prekeys.bundle());
    let _ = recv(&mut a, &r).unwrap();
}

#[test]
fn rotation_re_signs_the_list() {
    let mut s = setup(10, Some(&[AES]));
    s.prekeys.rotate_signed_prekey(&mut s.rng, &s.bob);
    let bundle = s.bundle();
    assert_eq!(bundle.cipher_suites(), vec![AES]);
    let (_, first) = s.first(&bundle, &[AES], b"after rotation").unwrap();
    let (_, m) = s.accept(&first).unwrap();
    assert_eq!(m.body.expose(), b"after rotation");
    // Back to the default: a version-2 bundle again.
    s.prekeys.set_cipher_suites(&s.bob, &[XCHACHA]).unwrap();
    assert_eq!(s.bundle().to_bytes()[0], 2);
}

/// Two devices, each with `suites` set (or the default), that know and
/// have verified each other.
fn devices(
    seed: u64,
    a_suites: Option<&[CipherSuite]>,
    b_suites: Option<&[CipherSuite]>,
) -> (
    ChaCha20Rng,
    Device<bleep::store::MemoryStore>,
    Device<bleep::store::MemoryStore>,
    DeviceAddress,
    DeviceAddress,
) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let now = 1_700_000_000;
    let policy = TrustPolicy::RequireVerified;
    let (okafor, patel) = (
        PeerId::new("dr.okafor").unwrap(),
        PeerId::new("dr.patel").unwrap(),
    );
    let (a_addr, b_addr) = (
        DeviceAddress::new(&okafor, 1).unwrap(),
        DeviceAddress::new(&patel, 1).unwrap(),
    );
    let store = bleep::store::MemoryStore::new;
    let ka = StorageKey::generate(&mut rng);
    let kb = StorageKey::generate(&mut rng);
    let mut a = Device::create(&mut rng, store(), ka, a_addr.clone(), policy, now).unwrap();
    let mut b = Device::create(&mut rng, store(), kb, b_addr.clone(), policy, now).unwrap();
    if let Some(s) = a_suites {
        a.set_cipher_suites(&mut rng, s).unwrap();
    }
    if let Some(s) = b_suites {
        b.set_cipher_suites(&mut rng, s).unwrap();
    }
    a.add_peer_device(&mut rng, &b_addr, &b.prekey_bundle())
        .unwrap();
    b.add_peer_device(&mut rng, &a_addr, &a.prekey_bundle())
        .unwrap();
    for (d, addr) in [(&mut a, &b_addr), (&mut b, &a_addr)] {
        d.mark_verified(&mut rng, addr, VerificationMethod::SafetyNumber, now)
            .unwrap();
    }
    (rng, a, b, a_addr, b_addr)
}

#[test]
fn a_device_starts_sessions_on_its_configured_suite() {
    let now = 1_700_000_000;
    let patel = PeerId::new("dr.patel").unwrap();
    for (a_suites, b_suites, version) in [
        // Both prefer AES: every envelope is version 3.
        (Some(&[AES, XCHACHA][..]), Some(&[AES, XCHACHA][..]), 3u8),
        // The default device stays on XChaCha20 even with a peer offering AES.
        (None, Some(&[AES, XCHACHA][..]), 2),
        // A device preferring AES falls back to what the peer lists.
        (Some(&[AES, XCHACHA][..]), None, 2),
    ] {
        let (mut rng, mut a, mut b, a_addr, b_addr) = devices(11, a_suites, b_suites);
        let sent = a
            .send(&mut rng, &patel, Outgoing::text("Bed 7 needs review"), now)
            .unwrap();
        let env = &sent.envelopes[0].envelope;
        assert_eq!(env[0], version);
        let got = b.receive(&mut rng, &a_addr, env, now + 1).unwrap();
        let Event::Message { message, .. } = got.event else {
            panic!("expected a message")
        };
        assert_eq!(
            b.message(&message, now + 1).unwrap().1.expose(),
            b"Bed 7 needs review"
        );
        // The receipt comes back on the same suite.
        assert_eq!(got.replies[0].envelope[0], version);
        let receipt = a
            .receive(&mut rng, &b_addr, &got.replies[0].envelope, now + 2)
            .unwrap();
        assert!(matches!(receipt.event, Event::Delivered { .. }));
    }
}

#[test]
fn an_aes_only_device_cannot_reach_a_default_peer_and_keeps_its_setting() {
    let now = 1_700_000_000;
    let patel = PeerId::new("dr.patel").unwrap();
    let (mut rng, mut a, _b, _, _) = devices(12, Some(&[AES]), None);
    assert_eq!(a.cipher_suites(), vec![AES]);
    assert_eq!(a.prekey_bundle().cipher_suites(), vec![AES]);
    let err = a
        .send(&mut rng, &patel, Outgoing::text("hi"), now)
        .unwrap_err();
    assert_eq!(err, Error::Protocol(ProtocolError::NoCommonCipherSuite));
    assert!(
        a.unconfirmed(&DeviceAddress::new(&patel, 1).unwrap())
            .is_empty()
    );

    // The setting is stored with the prekeys: it survives a restart.
    let key = [7u8; 32];
    let addr = DeviceAddress::new(&patel, 9).unwrap();
    let mut d = Device::create(
        &mut rng,
        bleep::store::MemoryStore::new(),
        StorageKey::from_bytes(key),
        addr,
        TrustPolicy::RequireVerified,
        now,
    )
    .unwrap();
    d.set_cipher_suites(&mut rng, &[AES, XCHACHA, AES]).unwrap();
    let bundle = d.prekey_bundle();
    let d = Device::open(d.into_store(), StorageKey::from_bytes(key)).unwrap();
    assert_eq!(d.cipher_suites(), vec![AES, XCHACHA]);
    assert_eq!(d.prekey_bundle(), bundle);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn suite_list() -> impl Strategy<Value = Vec<CipherSuite>> {
        proptest::collection::vec(prop_oneof![Just(AES), Just(XCHACHA)], 0..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever the two lists, the session runs on the first suite of
        /// the initiator's list that the responder accepts, or is refused
        /// before anything is drawn; and every message then decrypts.
        #[test]
        fn the_initiator_gets_its_first_suite_the_responder_accepts(
            alice in suite_list(),
            bob in suite_list(),
            seed in any::<u64>(),
        ) {
            let mut s = setup(seed, None);
            let bob_ok = s.prekeys.set_cipher_suites(&s.bob, &bob).is_ok();
            prop_assert_eq!(bob_ok, !bob.is_empty());
            let accepted = s.prekeys.cipher_suites();
            let expected = alice.iter().copied().find(|x| accepted.contains(x));
            let bundle = s.bundle();
            match s.first(&bundle, &alice, b"bed 1") {
                Ok((mut a, first)) => {
                    prop_assert_eq!(Some(a.cipher_suite()), expected);
                    let (mut b, m) = s.accept(&first).unwrap();
                    prop_assert_eq!(m.body.expose(), b"bed 1");
                    prop_assert_eq!(b.cipher_suite(), a.cipher_suite());
                    let r = send(&mut s.rng, &mut b, b"ok");
                    prop_assert_eq!(recv(&mut a, &r).unwrap(), b"ok");
                }
                Err(e) => {
                    prop_assert_eq!(expected, None);
                    prop_assert_eq!(e, Error::Protocol(ProtocolError::NoCommonCipherSuite));
                }
            }
        }

        /// A version-3 bundle with any suite list bytes: a typed error, or
        /// a bundle that re-encodes to the same bytes.
        #[test]
        fn any_suite_list_parses_canonically_or_is_refused(
            list in proptest::collection::vec(any::<u8>(), 0..7),
        ) {
            let s = setup(40, Some(&[AES]));
            let bytes = s.prekeys.bundle().to_bytes();
            let mut x = bytes[..bytes.len() - 2].to_vec();
            x.push(u8::try_from(list.len()).unwrap());
            x.extend_from_slice(&list);
            match PreKeyBundle::from_bytes(&x) {
                Ok(b) => {
                    prop_assert_eq!(b.to_bytes(), x);
                    prop_assert_eq!(list, vec![AES.id()]);
                }
                Err(e) => prop_assert!(matches!(e, Error::Decode(_) | Error::Crypto(_))),
            }
        }
    }
}
