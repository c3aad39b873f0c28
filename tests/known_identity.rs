//! `Envelope::parse_known`: a responder that already holds the sender's
//! identity (checked when it was stored) does not check its binding again,
//! and accepts exactly what `Envelope::parse` accepts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Where the initiator's identity sits in a version-2 prekey envelope:
/// after the version and kind bytes.
const ID_AT: usize = 2;
/// The X25519 key and the binding signature inside an encoded identity.
const X25519_AT: usize = ID_AT + 1 + 32;
const SIGNATURE_AT: usize = X25519_AT + 32;

struct Responder {
    rng: ChaCha20Rng,
    alice: IdentityKeyPair,
    bob: IdentityKeyPair,
    prekeys: PreKeyStore,
    bundle: PreKeyBundle,
    trust: TrustStore,
}

fn responder(seed: u64) -> Responder {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let prekeys = PreKeyStore::new(&mut rng, &bob);
    let bundle = prekeys.bundle();
    let mut trust = TrustStore::new(TrustPolicy::RequireVerified);
    trust
        .mark_verified(&alice_peer(), alice.public(), VerificationMethod::QrCode, 0)
        .unwrap();
    Responder {
        rng,
        alice,
        bob,
        prekeys,
        bundle,
        trust,
    }
}

fn alice_peer() -> PeerId {
    PeerId::new("alice").unwrap()
}

/// A first message from `from` to the responder.
fn first_message(
    rng: &mut ChaCha20Rng,
    bundle: &PreKeyBundle,
    from: &IdentityKeyPair,
    body: &[u8],
) -> Vec<u8> {
    let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = t
        .check_at(&PeerId::new("bob").unwrap(), bundle.identity(), 0)
        .unwrap();
    let mut s = Session::initiate(rng, from, &vb, bundle).unwrap();
    s.encrypt(rng, proof(&s), OutgoingMessage::new(body, 0))
        .unwrap()
        .envelope
}

#[test]
fn a_known_sender_is_accepted_as_after_a_full_parse() {
    let mut r = responder(1);
    let alice = r.alice.public().clone();
    let bytes = first_message(&mut r.rng, &r.bundle, &r.alice, b"bed 4 obs");
    let known = r.trust.identity(&alice_peer()).cloned();
    let env = Envelope::parse_known(&bytes, known.as_ref()).unwrap();
    assert_eq!(env.initiator_identity(), Some(&alice));
    assert_eq!(
        env.initiator_identity().map(IdentityKey::to_bytes),
        Envelope::parse(&bytes)
            .unwrap()
            .initiator_identity()
            .map(IdentityKey::to_bytes)
    );
    let va = r.trust.check_at(&alice_peer(), &alice, 1).unwrap();
    let (_, m) = Session::accept(&r.bob, &mut r.prekeys, &va, &env, 1).unwrap();
    assert_eq!(m.body.expose(), b"bed 4 obs");
}

#[test]
fn a_forged_binding_for_a_known_identity_is_rejected() {
    let mut r = responder(2);
    let mallory = IdentityKeyPair::from_seed_bytes([0x66; 32]);
    let genuine = first_message(&mut r.rng, &r.bundle, &r.alice, b"hi");
    let known = r.alice.public().clone();
    // Alice's Ed25519 key and signature, mallory's X25519 key: the
    // signature does not bind it.
    let mut forged = genuine.clone();
    forged[X25519_AT..SIGNATURE_AT].copy_from_slice(mallory.public().x25519_bytes());
    assert_eq!(
        Envelope::parse_known(&forged, Some(&known)).unwrap_err(),
        Error::Crypto(CryptoError::BadSignature)
    );
    // The same keys under signature bytes that are not alice's.
    for i in SIGNATURE_AT..SIGNATURE_AT + 64 {
        let mut forged = genuine.clone();
        forged[i] ^= 0x01;
        assert_eq!(
            Envelope::parse_known(&forged, Some(&known)).unwrap_err(),
            Envelope::parse(&forged).unwrap_err(),
            "byte {i}"
        );
        assert!(Envelope::parse_known(&forged, Some(&known)).is_err());
    }
}

#[test]
fn every_flipped_identity_byte_parses_as_without_the_known_key() {
    let mut r = responder(3);
    let genuine = first_message(&mut r.rng, &r.bundle, &r.alice, b"hi");
    let known = r.alice.public().clone();
    for i in ID_AT..SIGNATURE_AT + 64 {
        for bit in [0x01, 0x80] {
            let mut b = genuine.clone();
            b[i] ^= bit;
            let plain =
                Envelope::parse(&b).map(|e| e.initiator_identity().map(IdentityKey::to_bytes));
            let with = Envelope::parse_known(&b, Some(&known))
                .map(|e| e.initiator_identity().map(IdentityKey::to_bytes));
            assert_eq!(plain, with, "byte {i} bit {bit:#x}");
            assert!(with.is_err(), "byte {i} bit {bit:#x}");
        }
    }
}

#[test]
fn a_copied_identity_without_its_key_still_fails_to_authenticate() {
    // Mallory copies alice's identity, byte for byte, into his own first
    // message: it parses without a check (it is alice's), but the
    // handshake uses alice's identity key, which mallory does not hold.
    let mut r = responder(4);
    let mallory = IdentityKeyPair::from_seed_bytes([0x66; 32]);
    let mut bytes = first_message(&mut r.rng, &r.bundle, &mallory, b"discharge bed 4");
    bytes[ID_AT..SIGNATURE_AT + 64].copy_from_slice(&r.alice.public().to_bytes());
    let known = r.trust.identity(&alice_peer()).cloned();
    let env = Envelope::parse_known(&bytes, known.as_ref()).unwrap();
    let va = r
        .trust
        .check_at(&alice_peer(), env.initiator_identity().unwrap(), 1)
        .unwrap();
    let before = r.prekeys.one_time_prekey_count();
    assert_eq!(
        Session::accept(&r.bob, &mut r.prekeys, &va, &env, 1).unwrap_err(),
        Error::Crypto(CryptoError::DecryptFailed)
    );
    assert_eq!(r.prekeys.one_time_prekey_count(), before);
}

#[test]
fn another_known_identity_is_checked_and_refused_by_accept() {
    // Knowing carol does not help a message that claims alice: it is
    // checked in full, and carol's proof does not accept it.
    let mut r = responder(5);
    let carol = IdentityKeyPair::from_seed_bytes([0xC0; 32]);
    let bytes = first_message(&mut r.rng, &r.bundle, &r.alice, b"hi");
    let env = Envelope::parse_known(&bytes, Some(carol.public())).unwrap();
    assert_eq!(env.initiator_identity(), Some(r.alice.public()));
    let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vc = t
        .check_at(&PeerId::new("carol").unwrap(), carol.public(), 0)
        .unwrap();
    assert_eq!(
        Session::accept(&r.bob, &mut r.prekeys, &vc, &env, 1).unwrap_err(),
        Error::Trust(TrustError::IdentityMismatch)
    );
}

/// A fresh proof for the session's peer from a trust-on-first-use store.
fn proof(s: &Session) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}
