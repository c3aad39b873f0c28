//! Key changes through the device's public API: a first message that
//! claims a new identity raises [`Event::KeyChanged`] only when it
//! authenticates under that identity, and a forged one changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod device_common;

use bleep::store::MemoryStore;
use bleep::*;
use device_common::*;
use rand_chacha::ChaCha20Rng;

/// Okafor and Patel, introduced and verified, with one message exchanged
/// each way so both hold a session; and a new device at Patel's address
/// with a fresh identity that knows Okafor's bundle (what a reinstall, or
/// anyone who fetched the bundle, has).
fn setup(
    rng: &mut ChaCha20Rng,
) -> (
    Device<MemoryStore>,
    Device<MemoryStore>,
    Device<MemoryStore>,
) {
    let mut ds = vec![
        device(rng, MemoryStore::new(), "okafor", 1),
        device(rng, MemoryStore::new(), "patel", 1),
    ];
    introduce(rng, &mut ds);
    let mut b = ds.pop().unwrap();
    let mut a = ds.pop().unwrap();
    let patel = PeerId::new("patel").unwrap();
    let okafor = PeerId::new("okafor").unwrap();
    let x = a.send(rng, &patel, Outgoing::text("hello"), T0).unwrap();
    let got = b
        .receive(rng, a.address(), &x.envelopes[0].envelope, T0)
        .unwrap();
    assert!(matches!(got.event, Event::Message { .. }));
    let y = b.send(rng, &okafor, Outgoing::text("hi"), T0).unwrap();
    let got = a
        .receive(rng, b.address(), &y.envelopes[0].envelope, T0)
        .unwrap();
    assert!(matches!(got.event, Event::Message { .. }));
    let b2 = reinstalled(rng, &a, b.address(), 77);
    (a, b, b2)
}

/// A first message from `from` to Okafor.
fn first_message(rng: &mut ChaCha20Rng, from: &mut Device<MemoryStore>, text: &str) -> Vec<u8> {
    let okafor = PeerId::new("okafor").unwrap();
    let sent = from
        .send(rng, &okafor, Outgoing::text(text), T0 + 1)
        .unwrap();
    let env = sent.envelopes[0].envelope.clone();
    assert!(Envelope::parse(&env).unwrap().is_prekey_message());
    env
}

/// `env` with every occurrence of `from`'s bytes replaced by `to`'s.
fn replace(env: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = env.to_vec();
    let mut hits = 0;
    let mut i = 0;
    while i + from.len() <= out.len() {
        if out[i..i + from.len()] == *from {
            out[i..i + from.len()].copy_from_slice(to);
            hits += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert_eq!(hits, 1, "the identity appears once in the envelope");
    out
}

/// Receiving `env` fails as a tampered message does and leaves Okafor's
/// device exactly as it was.
fn refused_without_trace(rng: &mut ChaCha20Rng, a: &mut Device<MemoryStore>, env: &[u8]) {
    let b_addr = addr("patel", 1);
    let before = rows(a.store());
    let prekeys = a.one_time_prekey_ids();
    let err = a.receive(rng, &b_addr, env, T0 + 2).unwrap_err();
    assert_eq!(err, Error::Crypto(CryptoError::DecryptFailed));
    assert!(a.key_change(&b_addr).is_none());
    assert_eq!(rows(a.store()), before, "nothing committed");
    assert_eq!(a.one_time_prekey_ids(), prekeys);
    // Patel's verified identity still stands: his old session still works.
    assert_eq!(
        a.trust()
            .verification(&b_addr.peer_id())
            .map(|v| v.method()),
        Some(VerificationMethod::SafetyNumber)
    );
}

#[test]
fn a_first_message_naming_an_identity_its_sender_does_not_hold_raises_no_alarm() {
    let mut rng = rng(91);
    let (mut a, mut b, mut b2) = setup(&mut rng);
    let env = first_message(&mut rng, &mut b2, "new phone");
    // Someone else's validly bound identity, put in the envelope: anyone
    // can make one, but only its holder can make the handshake open.
    let other = IdentityKeyPair::generate(&mut rng);
    let forged = replace(
        &env,
        &b2.identity_key().to_bytes(),
        &other.public().to_bytes(),
    );
    assert!(Envelope::parse(&forged).unwrap().is_prekey_message());
    refused_without_trace(&mut rng, &mut a, &forged);
    // The same with Patel's real new identity, copied from his bundle by
    // someone who does not hold it: the handshake is the forger's.
    let mut forger = Device::create(
        &mut rng,
        MemoryStore::new(),
        StorageKey::from_bytes([78; 32]),
        b2.address().clone(),
        TrustPolicy::RequireVerified,
        T0,
    )
    .unwrap();
    forger
        .add_peer_device(&mut rng, a.address(), &a.prekey_bundle())
        .unwrap();
    forger
        .mark_verified(&mut rng, a.address(), VerificationMethod::QrCode, T0)
        .unwrap();
    let env = first_message(&mut rng, &mut forger, "forged");
    let forged = replace(
        &env,
        &forger.identity_key().to_bytes(),
        &b2.identity_key().to_bytes(),
    );
    refused_without_trace(&mut rng, &mut a, &forged);
    // A genuine first message from the new identity, tampered in its
    // ciphertext: refused the same way.
    let mut tampered = first_message(&mut rng, &mut b2, "tampered");
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    refused_without_trace(&mut rng, &mut a, &tampered);
    // Nothing was disturbed: Patel's old phone still talks to Okafor.
    let okafor = PeerId::new("okafor").unwrap();
    let y = b
        .send(&mut rng, &okafor, Outgoing::text("still me"), T0 + 3)
        .unwrap();
    let got = a
        .receive(&mut rng, b.address(), &y.envelopes[0].envelope, T0 + 3)
        .unwrap();
    assert!(
        matches!(got.event, Event::Message { .. }),
        "{:?}",
        got.event
    );
}

#[test]
fn a_genuine_new_identity_is_a_key_change_and_its_messages_wait_for_verification() {
    let mut rng = rng(92);
    let (mut a, mut b, mut b2) = setup(&mut rng);
    let b_addr = b2.address().clone();
    let env = first_message(&mut rng, &mut b2, "new phone");
    let prekeys = a.one_time_prekey_ids();
    let r = a.receive(&mut rng, &b_addr, &env, T0 + 2).unwrap();
    assert!(matches!(r.event, Event::KeyChanged { .. }), "{:?}", r.event);
    assert!(r.replies.is_empty(), "no delivery receipt");
    assert_eq!(a.one_time_prekey_ids(), prekeys, "no prekey consumed");
    let change = a.key_change(&b_addr).unwrap();
    assert_eq!(change.new_key(), b2.identity_key());
    assert_eq!(change.detected_at(), T0 + 2);
    // Recorded and committed: it survives a restart.
    let store = a.into_store();
    let mut a = Device::open(store, key_of("okafor", 1)).unwrap();
    assert_eq!(a.key_change(&b_addr), Some(change.clone()));
    // A second message on the same handshake is the same key change, not
    // shown, and does not move the detection time.
    let again = first_message(&mut rng, &mut b2, "are you there?");
    let r = a.receive(&mut rng, &b_addr, &again, T0 + 3).unwrap();
    assert!(matches!(r.event, Event::KeyChanged { .. }), "{:?}", r.event);
    assert_eq!(a.key_change(&b_addr), Some(change));
    // The new bundle arrives from the server and Okafor verifies the new
    // key: the next message is shown.
    a.add_peer_device(&mut rng, &b_addr, &b2.prekey_bundle())
        .unwrap();
    assert_eq!(a.peer_identity(&b_addr).as_ref(), Some(b2.identity_key()));
    a.mark_verified(&mut rng, &b_addr, VerificationMethod::SafetyNumber, T0 + 4)
        .unwrap();
    assert!(a.key_change(&b_addr).is_none());
    // Before the new device writes, the old session is the newest held
    // (archived when the new bundle was added). Junk claiming it is refused
    // and records no key change back to the old key.
    let old = b
        .send(
            &mut rng,
            &PeerId::new("okafor").unwrap(),
            Outgoing::text("old"),
            T0 + 4,
        )
        .unwrap();
    let mut junk = old.envelopes[0].envelope.clone();
    assert!(!Envelope::parse(&junk).unwrap().is_prekey_message());
    let last = junk.len() - 1;
    junk[last] ^= 1;
    let before = rows(a.store());
    assert_eq!(
        a.receive(&mut rng, &b_addr, &junk, T0 + 4).unwrap_err(),
        Error::Crypto(CryptoError::DecryptFailed)
    );
    assert!(a.key_change(&b_addr).is_none());
    assert_eq!(rows(a.store()), before);
    let next = first_message(&mut rng, &mut b2, "verified now");
    let r = a.receive(&mut rng, &b_addr, &next, T0 + 5).unwrap();
    let Event::Message { message, .. } = &r.event else {
        panic!("expected a message, got {:?}", r.event);
    };
    assert_eq!(
        a.message(message, T0 + 5).unwrap().1.expose(),
        b"verified now"
    );
    assert_eq!(r.replies.len(), 1, "a delivery receipt");
}
