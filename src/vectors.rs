//! The generator of `tests/vectors/session.json`, and the test that checks
//! the checked-in file against it.
//!
//! Every random draw comes from a scripted generator whose bytes are
//! `SHA-256(label)` (truncated to the draw's length) and are written into
//! the vector with their label, in draw order, so an independent
//! implementation can replay them. Regenerate with
//! `BLEEP_REGENERATE_VECTORS=1 cargo test --lib vectors`.

use crate::handshake::x3dh;
use crate::identity::IdentityKeyPair;
use crate::identity::verified::proof;
use crate::wire::payload::OutgoingMessage;
use crate::{Envelope, PeerId, PreKeyBundle, PreKeyStore, Session, TrustPolicy, TrustStore};
use rand_core::{Infallible, TryCryptoRng, TryRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
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
        let bytes =
            Sha256::digest(format!("bleep test vector: {label}").as_bytes())[..len].to_vec();
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
) -> (Value, Vec<u8>) {
    let start = s.draws.len();
    if ratchet_step {
        s.draw(&format!("{name} ratchet secret"), 32);
    }
    s.draw(&format!("{name} nonce"), 24);
    s.draw(&format!("{name} message id"), 16);
    let sent = sender
        .encrypt(
            &mut s.rng,
            proof(sender),
            OutgoingMessage::new(body.as_bytes(), sent_at),
        )
        .unwrap();
    s.assert_drained();
    let r = &sender.ratchet;
    let v = json!({
        "name": name,
        "body": body,
        "sent_at": sent_at,
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
    s.draw("alice first ratchet secret", 32);
    let mut a = Session::initiate(&mut s.rng, &alice, &vb, &bundle).unwrap();
    s.assert_drained();
    let handshake_draws = s.draws.clone();
    s.draws.clear();
    let pending = a.pending.clone().unwrap();
    let otpk_id = pending.one_time_prekey_id.unwrap();
    let spk = prekeys.signed_prekey(pending.signed_prekey_id).unwrap();
    let sk = x3dh::respond(
        &bob,
        &spk.pair.secret,
        Some(&prekeys.one_time_prekey(otpk_id).unwrap().secret),
        alice.public(),
        &PublicKey::from(pending.base_key),
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
    );
    messages.push(m);
    let env = Envelope::parse(&a1).unwrap();
    let (mut b, r) = Session::accept(&bob, &mut prekeys, &va, &env, 1_700_000_001).unwrap();
    assert_eq!(r.body.expose(), b"Can you review bed 7? Sats 91% on 4L.");
    deliveries.push(json!({"to": "bob", "message": "a1", "result": "accept"}));

    let (m, b1) = message(&mut s, &mut b, "b1", "On my way.", 1_700_000_010, true);
    messages.push(m);
    let (m, b2) = message(
        &mut s,
        &mut b,
        "b2",
        "Start 2L more if RR above 25.",
        1_700_000_011,
        false,
    );
    messages.push(m);
    let (m, b3) = message(&mut s, &mut b, "b3", "Bloods sent?", 1_700_000_012, false);
    messages.push(m);
    // Out of order: b3, b1, b2.
    for (name, env) in [("b3", &b3), ("b1", &b1), ("b2", &b2)] {
        let got = a.decrypt(proof(&a), env, 1_700_000_020).unwrap();
        assert!(!got.body.is_empty());
        deliveries.push(json!({"to": "alice", "message": name, "result": "ok"}));
    }
    let (m, a2) = message(
        &mut s,
        &mut a,
        "a2",
        "Yes, gas and lactate too.",
        1_700_000_030,
        true,
    );
    messages.push(m);
    b.decrypt(proof(&b), &a2, 1_700_000_031).unwrap();
    deliveries.push(json!({"to": "bob", "message": "a2", "result": "ok"}));

    let (m, a3) = message(&mut s, &mut a, "a3", "Lactate 4.1.", 1_700_000_035, false);
    messages.push(m);

    // Rejections: each leaves the receiver's state unchanged.
    let mut failures = Vec::new();
    let before = b.state_digest();
    let mut tampered = a3.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    for (name, bytes, expect) in [
        (
            "fail_replay",
            a2.clone(),
            crate::Error::Protocol(crate::ProtocolError::DuplicateMessage),
        ),
        (
            "fail_tampered_tag",
            tampered,
            crate::Error::Crypto(crate::CryptoError::DecryptFailed),
        ),
        (
            "fail_unknown_version",
            {
                let mut x = a3.clone();
                x[0] = 2;
                x
            },
            crate::Error::Decode(crate::DecodeError::UnknownVersion),
        ),
        (
            "fail_truncated",
            a3[..a3.len() - 17].to_vec(),
            crate::Error::Decode(crate::DecodeError::Truncated),
        ),
    ] {
        assert_eq!(
            b.decrypt(proof(&b), &bytes, 1_700_000_040).unwrap_err(),
            expect,
            "{name}"
        );
        assert_eq!(b.state_digest(), before);
        failures.push(json!({"name": name, "to": "bob", "envelope": hex(&bytes), "error": expect.to_string()}));
    }
    b.decrypt(proof(&b), &a3, 1_700_000_041).unwrap();
    deliveries.push(json!({"to": "bob", "message": "a3", "result": "ok"}));

    json!({
        "description": "bleep v1 1:1 session: identities, bundle, X3DH, Double Ratchet with out-of-order delivery, and rejections. Random draws are listed in order with their labels; replaying them through the protocol reproduces every output byte.",
        "setup": {
            "draws": setup_draws,
            "alice_identity_key": hex(&alice.public().to_bytes()),
            "bob_identity_key": hex(&bob.public().to_bytes()),
            "bob_bundle": hex(&bundle.to_bytes()),
        },
        "handshake": {
            "draws": handshake_draws,
            "one_time_prekey_id": otpk_id,
            "base_key_public": hex(&pending.base_key),
            "associated_data": hex(&a.ad),
            "x3dh_shared_secret": hex(sk.as_bytes()),
        },
        "messages": messages,
        "deliveries": deliveries,
        "failures": failures,
    })
}

#[test]
fn session_vectors_match_the_checked_in_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/session.json");
    let fresh = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("BLEEP_REGENERATE_VECTORS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let stored = std::fs::read_to_string(path).expect("tests/vectors/session.json is missing");
    assert_eq!(
        stored, fresh,
        "regenerate with BLEEP_REGENERATE_VECTORS=1 cargo test --lib vectors"
    );
}
