//! The generator of `tests/vectors/session.json`,
//! `tests/vectors/pqxdh.json` and `tests/vectors/aes.json`, and the tests
//! that check the checked-in files against it.
//!
//! Every random draw comes from a scripted generator whose bytes are
//! `SHA-256(label)` (`SHA-512(label)` for draws longer than 32 bytes),
//! truncated to the draw's length, and are written into
//! the vector with their label, in draw order, so an independent
//! implementation can replay them. Regenerate with
//! `BLEEP_REGENERATE_VECTORS=1 cargo test --lib vectors`.

use crate::handshake::kem;
use crate::handshake::prekey::X25519KeyPair;
use crate::handshake::x3dh;
use crate::identity::IdentityKeyPair;
use crate::identity::verified::proof;
use crate::primitives::dh;
use crate::wire::payload::OutgoingMessage;
use crate::{
    CipherSuite, Envelope, HandshakePolicy, PeerId, PreKeyBundle, PreKeyStore, Session,
    TrustPolicy, TrustStore,
};
use rand_core::{Infallible, TryCryptoRng, TryRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};
use std::collections::VecDeque;
use x25519_dalek::PublicKey;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Hands out queued bytes; records nothing itself.
#[derive(Default)]
struct ScriptedRng {
    queue: VecDeque<u8>,
}

impl TryRng for ScriptedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_be_bytes(b))
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        for d in dest {
            *d = self.queue.pop_front().expect("scripted draw missing");
        }
        Ok(())
    }
}

impl TryCryptoRng for ScriptedRng {}

struct Script {
    rng: ScriptedRng,
    draws: Vec<Value>,
}

impl Script {
    /// Queues a draw of `len` bytes named `label` and records it.
    fn draw(&mut self, label: &str, len: usize) -> Vec<u8> {
        // SHA-256 for draws of up to 32 bytes, SHA-512 for longer ones
        // (ML-KEM seeds, 64 bytes).
        let input = format!("bleep test vector: {label}");
        let bytes = if len <= 32 {
            Sha256::digest(input.as_bytes())[..len].to_vec()
        } else {
            Sha512::digest(input.as_bytes())[..len].to_vec()
        };
        self.rng.queue.extend(&bytes);
        self.draws
            .push(json!({ "label": label, "bytes": hex(&bytes) }));
        bytes
    }

    fn assert_drained(&self) {
        assert!(self.rng.queue.is_empty(), "scripted draws left over");
    }
}

fn message(
    s: &mut Script,
    sender: &mut Session,
    name: &str,
    body: &str,
    sent_at: u64,
    ratchet_step: bool,
    // Payload flags (§6: bit 0 patient data, bit 1 expiry) and `expires_at`.
    (flags, expires_at): (u8, u64),
) -> (Value, Vec<u8>) {
    let start = s.draws.len();
    // The message key, from the state before sending: the current sending
    // chain, or (on a DH step) the chain the step will make.
    let chain_before = if ratchet_step {
        let secret: [u8; 32] = s
            .draw(&format!("{name} ratchet secret"), 32)
            .try_into()
            .unwrap();
        let r = &sender.ratchet;
        let their = PublicKey::from(r.receiving.as_ref().unwrap().ratchet_key);
        let d = dh(&X25519KeyPair::from_secret_bytes(secret).secret, &their).unwrap();
        r.root.ratchet(&d).1
    } else {
        sender.ratchet.sending.as_ref().unwrap().key.duplicate()
    };
    let message_key = chain_before.step().0;
    s.draw(&format!("{name} nonce"), sender.cipher_suite().nonce_len());
    s.draw(&format!("{name} message id"), 16);
    let mut out =
        OutgoingMessage::new(body.as_bytes(), sent_at).contains_patient_data(flags & 1 == 1);
    if flags & 2 == 2 {
        out = out.expires_at(expires_at);
    }
    let sent = sender.encrypt(&mut s.rng, proof(sender), out).unwrap();
    s.assert_drained();
    let r = &sender.ratchet;
    // The chain the key came from is the one the sender went on with.
    assert_eq!(
        chain_before.step().1.as_bytes(),
        r.sending.as_ref().unwrap().key.as_bytes()
    );
    let v = json!({
        "name": name,
        "body": body,
        "sent_at": sent_at,
        "payload_flags": flags,
        "expires_at": expires_at,
        "message_key": hex(message_key.as_bytes()),
        "draws": s.draws[start..].to_vec(),
        "sender_root_key_after": hex(r.root.as_bytes()),
        "sender_chain_key_after": hex(r.sending.as_ref().unwrap().key.as_bytes()),
        "sender_ratchet_public": hex(r.ours.public.as_bytes()),
        "envelope": hex(&sent.envelope),
    });
    (v, sent.envelope)
}

fn generate() -> Value {
    let mut s = Script {
        rng: ScriptedRng::default(),
        draws: Vec::new(),
    };
    let alice_seed: [u8; 32] = s.draw("alice identity seed", 32).try_into().unwrap();
    let bob_seed: [u8; 32] = s.draw("bob identity seed", 32).try_into().unwrap();
    let alice = IdentityKeyPair::generate(&mut s.rng);
    let bob = IdentityKeyPair::generate(&mut s.rng);
    assert_eq!(alice.seed().as_bytes(), &alice_seed);
    assert_eq!(bob.seed().as_bytes(), &bob_seed);

    s.draw("bob signed prekey 1 secret", 32);
    s.draw("bob last-resort kem prekey 1 seed", 64);
    let mut prekeys = PreKeyStore::new(&mut s.rng, &bob);
    s.draw("bob one-time prekey 1 secret", 32);
    s.draw("bob one-time prekey 2 secret", 32);
    prekeys.generate_one_time_prekeys(&mut s.rng, 2).unwrap();
    s.assert_drained();
    let bundle = PreKeyBundle::from_bytes(&prekeys.bundle().to_bytes()).unwrap();
    let setup_draws = s.draws.clone();
    s.draws.clear();

    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice.public())
        .unwrap();

    s.draw("alice ephemeral (base) secret", 32);
    s.draw("alice one-time prekey choice", 4);
    s.draw("alice kem encapsulation randomness", 32);
    s.draw("alice first ratchet secret", 32);
    let mut a = Session::initiate(&mut s.rng, &alice, &vb, &bundle).unwrap();
    s.assert_drained();
    let handshake_draws = s.draws.clone();
    s.draws.clear();
    let pending = a.pending.clone().unwrap();
    let otpk_id = pending.one_time_prekey_id.unwrap();
    let spk = prekeys.signed_prekey(pending.signed_prekey_id).unwrap();
    let base_secret: [u8; 32] = handshake_draws[0]["bytes"]
        .as_str()
        .map(|h| (0..32).map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap()))
        .unwrap()
        .collect::<Vec<u8>>()
        .try_into()
        .unwrap();
    let ek = X25519KeyPair::from_secret_bytes(base_secret);
    let dhs = [
        dh(alice.dh_secret(), &spk.pair.public).unwrap(),
        dh(&ek.secret, bob.public().dh_public()).unwrap(),
        dh(&ek.secret, &spk.pair.public).unwrap(),
        dh(
            &ek.secret,
            &prekeys.one_time_prekey(otpk_id).unwrap().public,
        )
        .unwrap(),
    ];
    let kem_part = pending.kem.as_ref().unwrap();
    let ss = prekeys
        .kem_prekey(kem_part.id)
        .unwrap()
        .0
        .pair
        .decapsulate(&kem_part.ciphertext);
    let sk = x3dh::respond(
        &bob,
        &spk.pair.secret,
        Some(&prekeys.one_time_prekey(otpk_id).unwrap().secret),
        alice.public(),
        &PublicKey::from(pending.base_key),
        Some(&ss),
    )
    .unwrap();

    let mut messages = Vec::new();
    let mut deliveries = Vec::new();
    let (m, a1) = message(
        &mut s,
        &mut a,
        "a1",
        "Can you review bed 7? Sats 91% on 4L.",
        1_700_000_000,
        false,
        (0, 0),
    );
    messages.push(m);
    let env = Envelope::parse(&a1).unwrap();
    let (mut b, r) = Session::accept(&bob, &mut prekeys, &va, &env, 1_700_000_001).unwrap();
    assert_eq!(r.body.expose(), b"Can you review bed 7? Sats 91% on 4L.");
    deliveries.push(
        json!({"to": "bob", "message": "a1", "received_at": 1_700_000_001u64, "result": "accept"}),
    );

    let (m, b1) = message(
        &mut s,
        &mut b,
        "b1",
        "On my way.",
        1_700_000_010,
        true,
        (0, 0),
    );
    messages.push(m);
    let (m, b2) = message(
        &mut s,
        &mut b,
        "b2",
        "Start 2L more if RR above 25.",
        1_700_000_011,
        false,
        // Patient data, expiring a day after it was sent.
        (3, 1_700_086_411),
    );
    messages.push(m);
    let (m, b3) = message(
        &mut s,
        &mut b,
        "b3",
        "Bloods sent?",
        1_700_000_012,
        false,
        (0, 0),
    );
    messages.push(m);
    // Out of order: b3, b1, b2.
    for (name, env) in [("b3", &b3), ("b1", &b1), ("b2", &b2)] {
        let got = a.decrypt(proof(&a), env, 1_700_000_020).unwrap();
        assert!(!got.body.is_empty());
        // The payload flags and expiry arrive as sent.
        let sent = messages.iter().find(|m| m["name"] == name).unwrap();
        let flags = sent["payload_flags"].as_u64().unwrap();
        assert_eq!(got.info.contains_patient_data, flags & 1 == 1);
        assert_eq!(
            got.info.expires_at,
            (flags & 2 == 2).then(|| sent["expires_at"].as_u64().unwrap())
        );
        deliveries.push(
            json!({"to": "alice", "message": name, "received_at": 1_700_000_020u64, "result": "ok"}),
        );
    }
    let (m, a2) = message(
        &mut s,
        &mut a,
        "a2",
        "Yes, gas and lactate too.",
        1_700_000_030,
        true,
        (0, 0),
    );
    messages.push(m);
    b.decrypt(proof(&b), &a2, 1_700_000_031).unwrap();
    deliveries.push(
        json!({"to": "bob", "message": "a2", "received_at": 1_700_000_031u64, "result": "ok"}),
    );

    let (m, a3) = message(
        &mut s,
        &mut a,
        "a3",
        "Lactate 4.1.",
        1_700_000_035,
        false,
        (1, 0),
    );
    messages.push(m);

    // Rejections: each leaves the receiver's state unchanged.
    let mut failures = Vec::new();
    let before = b.state_digest();
    let mut tampered = a3.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    for (name, bytes, expect, expect_name) in [
        (
            "fail_replay",
            a2.clone(),
            crate::Error::Protocol(crate::ProtocolError::DuplicateMessage),
            "ProtocolError::DuplicateMessage",
        ),
        (
            "fail_tampered_tag",
            tampered,
            crate::Error::Crypto(crate::CryptoError::DecryptFailed),
            "CryptoError::DecryptFailed",
        ),
        (
            "fail_unknown_version",
            {
                // Not 3: since the AES-256-GCM-SIV suite, version 3 is the
                // envelope that names its suite (§6).
                let mut x = a3.clone();
                x[0] = 0x7f;
                x
            },
            crate::Error::Decode(crate::DecodeError::UnknownVersion),
            "DecodeError::UnknownVersion",
        ),
        (
            "fail_truncated",
            a3[..a3.len() - 17].to_vec(),
            crate::Error::Decode(crate::DecodeError::Truncated),
            "DecodeError::Truncated",
        ),
    ] {
        assert_eq!(
            b.decrypt(proof(&b), &bytes, 1_700_000_040).unwrap_err(),
            expect,
            "{name}"
        );
        assert_eq!(b.state_digest(), before);
        assert_named(&expect, expect_name);
        failures.push(json!({
            "name": name,
            "to": "bob",
            "checked_by": "Bob's session after delivery of a2 (before a3), at 1700000040",
            "envelope": hex(&bytes),
            "error": expect.to_string(),
            "error_name": expect_name,
        }));
    }
    b.decrypt(proof(&b), &a3, 1_700_000_041).unwrap();
    deliveries.push(
        json!({"to": "bob", "message": "a3", "received_at": 1_700_000_041u64, "result": "ok"}),
    );

    json!({
        "description": "bleep 1:1 session (envelope version 2): identities, bundle, PQXDH, Double Ratchet with out-of-order delivery, and rejections. Random draws are listed in order with their labels; replaying them through the protocol reproduces every output byte.",
        "setup": {
            "draws": setup_draws,
            "alice_identity_key": hex(&alice.public().to_bytes()),
            "bob_identity_key": hex(&bob.public().to_bytes()),
            "bob_bundle": hex(&bundle.to_bytes()),
        },
        "handshake": {
            "draws": handshake_draws,
            "one_time_prekey_id": otpk_id,
            "kem_prekey_id": kem_part.id,
            "kem_ciphertext": hex(kem_part.ciphertext.as_slice()),
            "kem_shared_secret": hex(ss.as_slice()),
            "base_key_public": hex(&pending.base_key),
            "dh1": hex(dhs[0].as_slice()),
            "dh2": hex(dhs[1].as_slice()),
            "dh3": hex(dhs[2].as_slice()),
            "dh4": hex(dhs[3].as_slice()),
            "associated_data": hex(&a.ad),
            "pqxdh_shared_secret": hex(sk.as_bytes()),
        },
        "messages": messages,
        "deliveries": deliveries,
        "failures": failures,
    })
}

/// One PQXDH handshake from `bundle` (already trimmed to the one-time keys
/// to use), with every intermediate value, and Bob's acceptance of it.
struct Handshake {
    vector: Value,
    envelope: Vec<u8>,
}

#[allow(clippy::too_many_arguments)]
fn pqxdh_case(
    s: &mut Script,
    name: &str,
    alice: &IdentityKeyPair,
    bob: &IdentityKeyPair,
    prekeys: &PreKeyStore,
    bundle: &PreKeyBundle,
    body: &str,
    sent_at: u64,
) -> Handshake {
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob.public())
        .unwrap();
    let ek: [u8; 32] = s
        .draw(&format!("{name}: alice ephemeral (base) secret"), 32)
        .try_into()
        .unwrap();
    if bundle.one_time_prekey_count() > 0 {
        s.draw(&format!("{name}: alice one-time prekey choice"), 4);
    }
    if bundle.kem_one_time_prekey_count() > 0 {
        s.draw(&format!("{name}: alice kem one-time prekey choice"), 4);
    }
    let m: [u8; 32] = s
        .draw(&format!("{name}: alice kem encapsulation randomness"), 32)
        .try_into()
        .unwrap();
    s.draw(&format!("{name}: alice first ratchet secret"), 32);
    s.draw(&format!("{name}: a1 nonce"), 24);
    s.draw(&format!("{name}: a1 message id"), 16);
    let mut a = Session::initiate(&mut s.rng, alice, &vb, bundle).unwrap();
    let sent = a
        .encrypt(
            &mut s.rng,
            proof(&a),
            OutgoingMessage::new(body.as_bytes(), sent_at),
        )
        .unwrap();
    s.assert_drained();
    let pending = a.pending.clone().unwrap();
    let part = pending.kem.clone().unwrap();

    // Every intermediate value, computed here from the inputs alone.
    let ek = X25519KeyPair::from_secret_bytes(ek);
    assert_eq!(ek.public.as_bytes(), &pending.base_key);
    let spk_pub = &bundle.signed_prekey().public;
    let dh1 = dh(alice.dh_secret(), spk_pub).unwrap();
    let dh2 = dh(&ek.secret, bob.public().dh_public()).unwrap();
    let dh3 = dh(&ek.secret, spk_pub).unwrap();
    let dh4 = bundle
        .one_time_prekeys()
        .first()
        .map(|k| dh(&ek.secret, &k.public).unwrap());
    let kems = bundle.kem_prekeys().unwrap();
    let target = kems.one_time.first().unwrap_or(&kems.last_resort);
    let (ct, ss) = kem::encapsulate(&target.public, &m).unwrap();
    assert_eq!(ct, part.ciphertext);
    assert_eq!(target.id, part.id);
    let mut dhs = vec![&*dh1, &*dh2, &*dh3];
    if let Some(d) = &dh4 {
        dhs.push(d);
    }
    let sk = x3dh::kdf(&dhs, Some(&ss));

    // The responder derives the same secret from its own keys.
    let spk = prekeys.signed_prekey(pending.signed_prekey_id).unwrap();
    let (kem_key, kem_one_time) = prekeys.kem_prekey(part.id).unwrap();
    let ss_bob = kem_key.pair.decapsulate(&part.ciphertext);
    assert_eq!(*ss_bob, *ss);
    let sk_bob = x3dh::respond(
        bob,
        &spk.pair.secret,
        pending
            .one_time_prekey_id
            .map(|id| &prekeys.one_time_prekey(id).unwrap().secret),
        alice.public(),
        &PublicKey::from(pending.base_key),
        Some(&ss_bob),
    )
    .unwrap();
    assert_eq!(sk_bob.as_bytes(), sk.as_bytes());

    let vector = json!({
        "name": name,
        "bundle": hex(&bundle.to_bytes()),
        "draws": s.draws.clone(),
        "signed_prekey_id": pending.signed_prekey_id,
        "one_time_prekey_id": pending.one_time_prekey_id,
        "kem_prekey_id": part.id,
        "kem_prekey_is_one_time": kem_one_time,
        "base_key_public": hex(&pending.base_key),
        "dh1": hex(dh1.as_slice()),
        "dh2": hex(dh2.as_slice()),
        "dh3": hex(dh3.as_slice()),
        "dh4": dh4.as_ref().map(|d| hex(d.as_slice())),
        "kem_encapsulation_randomness": hex(&m),
        "kem_ciphertext": hex(part.ciphertext.as_slice()),
        "kem_shared_secret": hex(ss.as_slice()),
        "pqxdh_shared_secret": hex(sk.as_bytes()),
        "associated_data": hex(&a.ad),
        "first_message": {"body": body, "sent_at": sent_at, "envelope": hex(&sent.envelope)},
    });
    s.draws.clear();
    Handshake {
        vector,
        envelope: sent.envelope,
    }
}

fn generate_pqxdh() -> Value {
    let mut s = Script {
        rng: ScriptedRng::default(),
        draws: Vec::new(),
    };
    s.draw("alice identity seed", 32);
    s.draw("bob identity seed", 32);
    let alice = IdentityKeyPair::generate(&mut s.rng);
    let bob = IdentityKeyPair::generate(&mut s.rng);
    s.draw("bob signed prekey 1 secret", 32);
    s.draw("bob last-resort kem prekey 1 seed", 64);
    let mut prekeys = PreKeyStore::new(&mut s.rng, &bob);
    s.draw("bob one-time prekey 1 secret", 32);
    s.draw("bob one-time prekey 2 secret", 32);
    prekeys.generate_one_time_prekeys(&mut s.rng, 2).unwrap();
    s.draw("bob kem one-time prekey 2 seed", 64);
    s.draw("bob kem one-time prekey 3 seed", 64);
    prekeys
        .generate_kem_one_time_prekeys(&mut s.rng, &bob, 2)
        .unwrap();
    s.assert_drained();
    let full = PreKeyBundle::from_bytes(&prekeys.bundle().to_bytes()).unwrap();
    let setup = json!({
        "draws": s.draws.clone(),
        "alice_identity_key": hex(&alice.public().to_bytes()),
        "bob_identity_key": hex(&bob.public().to_bytes()),
        "bob_bundle": hex(&full.to_bytes()),
    });
    s.draws.clear();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice.public())
        .unwrap();

    // Each case is accepted before the next, which consumes the one-time
    // keys it used.
    let mut handshakes = Vec::new();
    for (i, (name, otpk, kem_otpk)) in [
        ("pqxdh without one-time prekeys", None, None),
        ("pqxdh with a one-time prekey", Some(1), None),
        ("pqxdh with a one-time kem prekey", None, Some(2)),
        (
            "pqxdh with one-time prekeys of both kinds",
            Some(2),
            Some(3),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let bundle = full
            .with_one_time_prekey(otpk)
            .unwrap()
            .with_kem_one_time_prekey(kem_otpk)
            .unwrap();
        let body = format!("Handover {i}: bed {} obs stable.", 10 + i);
        let sent_at = 1_700_000_100 + 10 * i as u64;
        let h = pqxdh_case(
            &mut s, name, &alice, &bob, &prekeys, &bundle, &body, sent_at,
        );
        let env = Envelope::parse(&h.envelope).unwrap();
        let (b, r) = Session::accept(&bob, &mut prekeys, &va, &env, sent_at + 1).unwrap();
        assert_eq!(r.body.expose(), body.as_bytes());
        assert_eq!(b.handshake_kind(), crate::HandshakeKind::PostQuantum);
        let mut v = h.vector;
        v["result"] = json!("accept");
        v["bob_one_time_prekeys_left"] = json!(prekeys.one_time_prekey_count());
        v["bob_kem_one_time_prekeys_left"] = json!(prekeys.kem_one_time_prekey_count());
        handshakes.push(v);
    }

    // Rejections, each checked against Bob's prekey store as it is after
    // the four handshakes above, and each leaving it unchanged.
    let bundle = full
        .with_one_time_prekey(None)
        .unwrap()
        .with_kem_one_time_prekey(None)
        .unwrap();
    let r = pqxdh_case(
        &mut s,
        "rejections",
        &alice,
        &bob,
        &prekeys,
        &bundle,
        "Please recheck bed 3.",
        1_700_000_200,
    );
    let genuine = r.envelope.clone();
    // No one-time prekey: the KEM id is at 168, the ciphertext after it.
    let kem_at = 2 + 129 + 32 + 4 + 1;
    let header_at = kem_at + 4 + kem::KEM_CIPHERTEXT_LEN;
    let mut wrong_id = genuine.clone();
    wrong_id[kem_at..kem_at + 4].copy_from_slice(&99u32.to_be_bytes());
    let mut tampered = genuine.clone();
    tampered[kem_at + 4 + 100] ^= 0x01;
    let mut stripped = genuine[..kem_at].to_vec();
    stripped.extend_from_slice(&genuine[header_at..]);
    stripped[0] = 1;
    let mut forged_bundle = bundle.to_bytes();
    let last = forged_bundle.len() - 2 - 1;
    forged_bundle[last] ^= 0x01; // the last-resort KEM prekey's signature
    assert_eq!(
        PreKeyBundle::from_bytes(&forged_bundle).unwrap_err(),
        crate::Error::Crypto(crate::CryptoError::BadSignature)
    );
    assert_named(
        &crate::Error::Crypto(crate::CryptoError::BadSignature),
        "CryptoError::BadSignature",
    );
    let mut failures = vec![json!({
        "name": "fail_forged_kem_prekey_signature",
        "bundle": hex(&forged_bundle),
        "error": crate::Error::Crypto(crate::CryptoError::BadSignature).to_string(),
        "error_name": "CryptoError::BadSignature",
        "checked_by": "parsing the bundle",
    })];
    let before = prekeys.encode();
    for (name, bytes, policy, expect, expect_name) in [
        (
            "fail_wrong_kem_prekey_id",
            wrong_id,
            HandshakePolicy::RequirePostQuantum,
            crate::Error::Protocol(crate::ProtocolError::UnknownKemPreKey),
            "ProtocolError::UnknownKemPreKey",
        ),
        (
            "fail_tampered_kem_ciphertext",
            tampered,
            HandshakePolicy::RequirePostQuantum,
            crate::Error::Crypto(crate::CryptoError::DecryptFailed),
            "CryptoError::DecryptFailed",
        ),
        (
            "fail_stripped_kem_part",
            stripped.clone(),
            HandshakePolicy::RequirePostQuantum,
            crate::Error::Protocol(crate::ProtocolError::PostQuantumRequired),
            "ProtocolError::PostQuantumRequired",
        ),
        (
            "fail_stripped_kem_part_classical_allowed",
            stripped,
            HandshakePolicy::AllowClassical,
            crate::Error::Crypto(crate::CryptoError::DecryptFailed),
            "CryptoError::DecryptFailed",
        ),
    ] {
        let env = Envelope::parse(&bytes).unwrap();
        let err = Session::accept_with_policy(&bob, &mut prekeys, &va, &env, 1_700_000_201, policy)
            .unwrap_err();
        assert_eq!(err, expect, "{name}");
        assert_eq!(prekeys.encode().as_slice(), before.as_slice(), "{name}");
        assert_named(&expect, expect_name);
        failures.push(json!({
            "name": name,
            "envelope": hex(&bytes),
            "responder_policy": format!("{policy:?}"),
            "error": expect.to_string(),
            "error_name": expect_name,
            "checked_by": "Bob's Session::accept against his prekey store after the four handshakes",
        }));
    }
    let env = Envelope::parse(&genuine).unwrap();
    Session::accept(&bob, &mut prekeys, &va, &env, 1_700_000_201).unwrap();
    let before = prekeys.encode();
    let expect = crate::Error::Protocol(crate::ProtocolError::ReplayedPreKeyMessage);
    assert_eq!(
        Session::accept(&bob, &mut prekeys, &va, &env, 1_700_000_202).unwrap_err(),
        expect
    );
    assert_eq!(prekeys.encode().as_slice(), before.as_slice());
    assert_named(&expect, "ProtocolError::ReplayedPreKeyMessage");
    failures.push(json!({
        "name": "fail_replayed_first_message",
        "envelope": hex(&genuine),
        "responder_policy": "RequirePostQuantum",
        "error": expect.to_string(),
        "error_name": "ProtocolError::ReplayedPreKeyMessage",
        "checked_by": "Bob's Session::accept after he accepted this envelope once",
    }));

    json!({
        "description": "bleep PQXDH (X25519 + ML-KEM-1024) handshakes with and without one-time prekeys of each kind, every intermediate value, and rejections. Random draws are listed in order with their labels (SHA-256 of 'bleep test vector: ' || label, truncated); replaying them reproduces every output byte.",
        "setup": setup,
        "handshakes": handshakes,
        "rejection_handshake": r.vector,
        "failures": failures,
    })
}

/// A session's next message key, read before it sends.
fn next_message_key(s: &Session) -> crate::ratchet::message_key::MessageKey {
    s.ratchet.sending.as_ref().unwrap().key.duplicate().step().0
}

/// The AES-256-GCM-SIV suite (§5): Bob's version-3 bundle listing it, a
/// PQXDH handshake on it, a round trip, and the downgrade attempts.
fn generate_aes() -> Value {
    const AES: CipherSuite = CipherSuite::Aes256GcmSiv;
    let mut s = Script {
        rng: ScriptedRng::default(),
        draws: Vec::new(),
    };
    s.draw("alice identity seed", 32);
    s.draw("bob identity seed", 32);
    let alice = IdentityKeyPair::generate(&mut s.rng);
    let bob = IdentityKeyPair::generate(&mut s.rng);
    s.draw("bob signed prekey 1 secret", 32);
    s.draw("bob last-resort kem prekey 1 seed", 64);
    let mut prekeys = PreKeyStore::new(&mut s.rng, &bob);
    s.assert_drained();
    prekeys
        .set_cipher_suites(&bob, &[AES, CipherSuite::XChaCha20Poly1305])
        .unwrap();
    let bundle_bytes = prekeys.bundle().to_bytes();
    let bundle = PreKeyBundle::from_bytes(&bundle_bytes).unwrap();
    let spk = bundle.signed_prekey();
    let setup = json!({
        "draws": s.draws.clone(),
        "alice_identity_key": hex(&alice.public().to_bytes()),
        "bob_identity_key": hex(&bob.public().to_bytes()),
        "bob_cipher_suites": [AES.id(), CipherSuite::XChaCha20Poly1305.id()],
        "signed_prekey_signature_input": hex(&[
            crate::primitives::LABEL_SIGNED_PREKEY_SUITES,
            &crate::handshake::prekey::signed_prekey_suites_message(
                spk.id,
                spk.public.as_bytes(),
                &spk.suites,
            ),
        ]
        .concat()),
        "bob_bundle": hex(&bundle_bytes),
    });
    s.draws.clear();

    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice.public())
        .unwrap();
    s.draw("alice ephemeral (base) secret", 32);
    s.draw("alice kem encapsulation randomness", 32);
    s.draw("alice first ratchet secret", 32);
    s.draw("a1 nonce", AES.nonce_len());
    s.draw("a1 message id", 16);
    let mut a = Session::initiate_with_suites(
        &mut s.rng,
        &alice,
        &vb,
        &bundle,
        HandshakePolicy::RequirePostQuantum,
        &[AES],
    )
    .unwrap();
    let mk = next_message_key(&a);
    let body = "AES: bed 12 obs stable.";
    let sent_at = 1_700_000_300;
    let a1 = a
        .encrypt(
            &mut s.rng,
            proof(&a),
            OutgoingMessage::new(body.as_bytes(), sent_at),
        )
        .unwrap()
        .envelope;
    s.assert_drained();
    // The AEAD's inputs, for an implementation to check its own: the
    // associated data (AD of §4, then every envelope byte before the
    // nonce), the nonce, and the padded payload.
    let nonce_at = 3 + 129 + 32 + 4 + 1 + 4 + kem::KEM_CIPHERTEXT_LEN + 40;
    let aead_ad = [&a.ad[..], &a1[..nonce_at]].concat();
    let nonce = &a1[nonce_at..nonce_at + AES.nonce_len()];
    let (ct, tag) = a1[nonce_at + AES.nonce_len()..].split_at(a1.len() - nonce_at - 12 - 16);
    let mut plaintext = ct.to_vec();
    mk.open(
        AES,
        nonce,
        &aead_ad,
        &mut plaintext,
        tag.try_into().unwrap(),
    )
    .unwrap();
    let handshake = json!({
        "draws": s.draws.clone(),
        "chosen_suite": AES.id(),
        "associated_data": hex(&a.ad),
        "a1": {
            "body": body,
            "sent_at": sent_at,
            "message_key": hex(mk.as_bytes()),
            "aead_associated_data": hex(&aead_ad),
            "aead_nonce": hex(nonce),
            "aead_plaintext": hex(&plaintext),
            "envelope": hex(&a1),
        },
    });
    s.draws.clear();

    // A downgrade on the way: the first message rewritten as a version-2
    // (XChaCha20-Poly1305) one, the nonce widened to 24 bytes.
    let mut downgraded = vec![crate::ENVELOPE_VERSION];
    downgraded.extend_from_slice(&a1[2..nonce_at + 12]);
    downgraded.extend_from_slice(&[0u8; 12]);
    downgraded.extend_from_slice(&a1[nonce_at + 12..]);
    let before = prekeys.encode();
    let env = Envelope::parse(&downgraded).unwrap();
    let expect = crate::Error::Crypto(crate::CryptoError::DecryptFailed);
    assert_eq!(
        Session::accept(&bob, &mut prekeys, &va, &env, sent_at + 1).unwrap_err(),
        expect
    );
    assert_eq!(prekeys.encode().as_slice(), before.as_slice());
    assert_named(&expect, "CryptoError::DecryptFailed");
    let mut failures = vec![json!({
        "name": "fail_first_message_rewritten_as_version_2",
        "envelope": hex(&downgraded),
        "error": expect.to_string(),
        "error_name": "CryptoError::DecryptFailed",
        "checked_by": "Bob's Session::accept before a1, leaving his prekey store unchanged",
    })];
    let n = bundle_bytes.len();
    let mut reordered = bundle_bytes.clone();
    reordered.swap(n - 1, n - 2);
    let mut cut = bundle_bytes[..n - 3].to_vec();
    cut[0] = 2;
    let expect = crate::Error::Crypto(crate::CryptoError::BadSignature);
    assert_named(&expect, "CryptoError::BadSignature");
    for (name, bytes) in [
        ("fail_bundle_suites_reordered", reordered),
        ("fail_bundle_cut_to_version_2", cut),
    ] {
        assert_eq!(PreKeyBundle::from_bytes(&bytes).unwrap_err(), expect);
        failures.push(json!({
            "name": name,
            "bundle": hex(&bytes),
            "error": expect.to_string(),
            "error_name": "CryptoError::BadSignature",
            "checked_by": "parsing the bundle",
        }));
    }

    let env = Envelope::parse(&a1).unwrap();
    let (mut b, got) = Session::accept(&bob, &mut prekeys, &va, &env, sent_at + 1).unwrap();
    assert_eq!(got.body.expose(), body.as_bytes());
    assert_eq!(b.cipher_suite(), AES);
    let (b1_vector, b1) = message(
        &mut s,
        &mut b,
        "b1",
        "AES: reviewed, plan unchanged.",
        sent_at + 10,
        true,
        (1, 0),
    );
    s.draws.clear();
    // Against Alice's session before b1: each refused, nothing changed.
    let before = a.state_digest();
    let mut other_suite = b1.clone();
    other_suite[1] = CipherSuite::XChaCha20Poly1305.id();
    let mut unknown_suite = b1.clone();
    unknown_suite[1] = 0x7f;
    let mut as_v2 = vec![crate::ENVELOPE_VERSION];
    as_v2.extend_from_slice(&b1[2..43 + 12]);
    as_v2.extend_from_slice(&[0u8; 12]);
    as_v2.extend_from_slice(&b1[43 + 12..]);
    for (name, bytes, expect, expect_name) in [
        (
            "fail_version_3_naming_the_default_suite",
            other_suite,
            crate::Error::Decode(crate::DecodeError::NonCanonical),
            "DecodeError::NonCanonical",
        ),
        (
            "fail_unknown_suite",
            unknown_suite,
            crate::Error::Decode(crate::DecodeError::UnknownCipherSuite),
            "DecodeError::UnknownCipherSuite",
        ),
        (
            "fail_reply_rewritten_as_version_2",
            as_v2,
            crate::Error::Protocol(crate::ProtocolError::UnsupportedCipherSuite),
            "ProtocolError::UnsupportedCipherSuite",
        ),
    ] {
        assert_eq!(
            a.decrypt(proof(&a), &bytes, sent_at + 11).unwrap_err(),
            expect,
            "{name}"
        );
        assert_eq!(a.state_digest(), before);
        assert_named(&expect, expect_name);
        failures.push(json!({
            "name": name,
            "envelope": hex(&bytes),
            "error": expect.to_string(),
            "error_name": expect_name,
            "checked_by": "Alice's session before b1, at 1700000311",
        }));
    }
    let got = a.decrypt(proof(&a), &b1, sent_at + 11).unwrap();
    assert_eq!(got.body.expose(), b"AES: reviewed, plan unchanged.");
    let (a2_vector, a2) = message(
        &mut s,
        &mut a,
        "a2",
        "AES: thanks.",
        sent_at + 20,
        true,
        (0, 0),
    );
    let got = b.decrypt(proof(&b), &a2, sent_at + 21).unwrap();
    assert_eq!(got.body.expose(), b"AES: thanks.");

    json!({
        "description": "bleep AES-256-GCM-SIV cipher suite (suite id 0x02): Bob's version-3 bundle listing [0x02, 0x01], a PQXDH handshake on the suite with the AEAD's inputs, a reply and an answer (each with a DH ratchet step), and downgrade attempts, each refused without a change. Random draws as in session.json (SHA-256 of 'bleep test vector: ' || label, truncated; SHA-512 for 64-byte draws).",
        "setup": setup,
        "handshake": handshake,
        "messages": [b1_vector, a2_vector],
        "failures": failures,
    })
}

/// `name` (`Enum::Variant`, as written into the vectors) names `err`: its
/// `Debug` form is `Category(Variant)`.
fn assert_named(err: &crate::Error, name: &str) {
    let (category, variant) = name.split_once("::").unwrap();
    let category = category.strip_suffix("Error").unwrap();
    assert_eq!(format!("{err:?}"), format!("{category}({variant})"));
}

fn check(file: &str, fresh: &Value) {
    let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
    let fresh = serde_json::to_string_pretty(fresh).unwrap() + "\n";
    if std::env::var_os("BLEEP_REGENERATE_VECTORS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let stored = std::fs::read_to_string(&path).expect("vector file is missing");
    assert_eq!(
        stored, fresh,
        "regenerate with BLEEP_REGENERATE_VECTORS=1 cargo test --lib vectors"
    );
}

#[test]
fn session_vectors_match_the_checked_in_file() {
    check("session.json", &generate());
}

#[test]
fn pqxdh_vectors_match_the_checked_in_file() {
    check("pqxdh.json", &generate_pqxdh());
}

#[test]
fn aes_vectors_match_the_checked_in_file() {
    check("aes.json", &generate_aes());
}
