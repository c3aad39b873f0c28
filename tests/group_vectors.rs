//! Group test vectors (`tests/vectors/group.json`), produced by the
//! deterministic generator below.
//!
//! Every random draw is `SHA-256("bleep test vector: " || label)` truncated
//! to the draw's length (the rule of `tests/vectors/session.json`), and is
//! written into the file with its label in the order the protocol draws
//! it, so an independent implementation can replay the draws and reproduce
//! every byte. `BLEEP_REGENERATE_VECTORS=1 cargo test --test group_vectors`
//! rewrites the file; otherwise the generator's output must match it
//! exactly, and the stored messages are checked independently of the crate
//! (HMAC chain KDF, Ed25519, XChaCha20-Poly1305 straight from the primitive
//! crates).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use bleep::*;
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use hmac::{Hmac, Mac};
use rand_core::{Infallible, TryCryptoRng, TryRng};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

mod group_common;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/group.json");

/// Where the `fail` cases are checked (also written into the file).
const CHECKED_BY_MESSAGE: &str = "the member's session after it processed the first distribution (replaying its setup draws), before any message, at now = 0";
/// Where the `mixed_order_r` case is checked.
const CHECKED_BY_MIXED: &str = "the member's session after it processed the first distribution (replaying its setup draws), before any message, at now = 0: decrypt and decrypt_batch both accept it";
/// The nonce of the `mixed_order_r` signature: `r = SHA-512(this) mod ℓ`.
const MIXED_NONCE: &str = "bleep test vector: mixed order r";
/// Which of curve25519-dalek's `EIGHT_TORSION` points is added to `R`
/// (index 1: a point of order 8).
const MIXED_TORSION: usize = 1;
/// Where the `fail_distribution` cases are checked.
const CHECKED_BY_DISTRIBUTION: &str =
    "the member's session after it read message 1 and processed the rotation's distribution";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hmac(key: &[u8], input: u8) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(&[input]);
    m.finalize().into_bytes().into()
}

/// The bytes of the draw named `label`: `SHA-256("bleep test vector: " ||
/// label)` truncated to `len` (every group draw is at most 32 bytes).
fn draw_bytes(label: &str, len: usize) -> Vec<u8> {
    assert!(len <= 32);
    Sha256::digest(format!("bleep test vector: {label}").as_bytes())[..len].to_vec()
}

/// Hands out queued bytes, in order; running dry is a generator bug.
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

/// Queues labelled draws and records them, as `src/vectors.rs` does.
#[derive(Default)]
struct Script {
    rng: ScriptedRng,
    draws: Vec<Value>,
}

impl Script {
    fn draw(&mut self, label: &str, len: usize) -> Vec<u8> {
        let bytes = draw_bytes(label, len);
        self.rng.queue.extend(&bytes);
        self.draws
            .push(json!({ "label": label, "bytes": hex(&bytes) }));
        bytes
    }

    /// Queues the draws of a new sender chain (§9.3): chain id, chain key,
    /// signing key seed.
    fn chain(&mut self, who: &str) -> (u32, Vec<u8>, Vec<u8>) {
        let id = self.draw(&format!("{who} chain id"), 4);
        let ck = self.draw(&format!("{who} chain key"), 32);
        let seed = self.draw(&format!("{who} signing key seed"), 32);
        (u32::from_be_bytes(id.try_into().unwrap()), ck, seed)
    }

    /// The draws recorded since the last call.
    fn take(&mut self) -> Vec<Value> {
        assert!(self.rng.queue.is_empty(), "scripted draws left over");
        std::mem::take(&mut self.draws)
    }
}

/// The trust store's proof for `key` (trust on first use, as in a test).
fn verified(key: &IdentityKey) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check(&PeerId::new("coordinator").unwrap(), key)
        .unwrap()
}

fn seed32(b: Vec<u8>) -> [u8; 32] {
    b.try_into().unwrap()
}

fn generate() -> Value {
    let mut s = Script::default();
    let coordinator_seed = seed32(s.draw("coordinator identity seed", 32));
    let member_seed = seed32(s.draw("member identity seed", 32));
    let coordinator = IdentityKeyPair::generate(&mut s.rng);
    let member = IdentityKeyPair::generate(&mut s.rng);
    assert_eq!(
        coordinator.public(),
        IdentityKeyPair::from_seed_bytes(coordinator_seed).public()
    );
    assert_eq!(
        member.public(),
        IdentityKeyPair::from_seed_bytes(member_seed).public()
    );
    s.draw("group id", 16);
    let group_id = GroupId::random(&mut s.rng);
    let roster = Roster::create(&coordinator, group_id, &[member.public().clone()]).unwrap();

    // `join` draws: chain id (4), chain key (32), signing key seed (32).
    let (chain_id, chain_key, signing_seed) = s.chain("coordinator");
    let (mut sender, plan) =
        GroupSession::join_as_coordinator(&mut s.rng, &coordinator, roster.clone()).unwrap();
    s.chain("member");
    let verified_coordinator = verified(coordinator.public());
    let (mut receiver, _) =
        GroupSession::join(&mut s.rng, &member, roster.clone(), &verified_coordinator).unwrap();
    let setup_draws = s.take();
    receiver
        .process_distribution(&verified_coordinator, plan.message.as_bytes())
        .unwrap();

    let mut messages = Vec::new();
    let mut ck: [u8; 32] = chain_key.clone().try_into().unwrap();
    // The second message carries both payload flags (patient data, expiry).
    for (i, (body, flags, expires_at)) in [
        (&b"Major incident declared: ED to divert"[..], 0u8, 0u64),
        (
            b"Trauma team to resus 2: bed 4 obs due 14:00",
            3,
            1_700_086_400,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        // `encrypt` draws: nonce (24), message id (16).
        let name = format!("message {}", i + 1);
        let nonce = s.draw(&format!("{name} nonce"), 24);
        s.draw(&format!("{name} message id"), 16);
        let sent_at = 1_700_000_000 + i as u64;
        let mut out = OutgoingMessage::new(body, sent_at).contains_patient_data(flags & 1 == 1);
        if flags & 2 == 2 {
            out = out.expires_at(expires_at);
        }
        let m = sender.encrypt(&mut s.rng, out).unwrap();
        let received_at = sent_at + 5;
        let got = receiver.decrypt(&m.bytes, received_at).unwrap();
        assert_eq!(got.message.body.expose(), body);
        assert_eq!(got.message.info.contains_patient_data, flags & 1 == 1);
        messages.push(json!({
            "name": name,
            "draws": s.take(),
            "counter": i,
            "chain_key": hex(&ck),
            "message_key": hex(&hmac(&ck, 1)),
            "nonce": hex(&nonce),
            "message_id": hex(&m.id.0),
            "sent_at": sent_at,
            "payload_flags": flags,
            "expires_at": expires_at,
            "received_at": received_at,
            "body": String::from_utf8(body.to_vec()).unwrap(),
            "bytes": hex(&m.bytes),
        }));
        ck = hmac(&ck, 2);
    }
    // A rotation after the messages: `rotate` draws a new chain as `join`
    // did, at generation 1.
    let (rotated_chain_id, rotated_chain_key, rotated_signing_seed) = s.chain("rotation");
    let rotation = sender.rotate(&mut s.rng).unwrap();
    let rotation_draws = s.take();
    receiver
        .process_distribution(&verified_coordinator, rotation.message.as_bytes())
        .unwrap();
    let first_distribution = plan.message.as_bytes();
    // The first distribution in the version 1 layout: no generation field.
    let mut distribution_v1 = first_distribution[..26].to_vec();
    distribution_v1[0] = 1;
    distribution_v1.extend_from_slice(&first_distribution[30..]);

    let first = unhex(messages[0]["bytes"].as_str().unwrap());
    let mut bad_sig = first.clone();
    *bad_sig.last_mut().unwrap() ^= 1;
    let mut other_group = first.clone();
    other_group[2] ^= 1;
    let mut other_version = first.clone();
    other_version[25] ^= 1;
    // Message 1 re-signed by the chain's key holder with `R = [r]B + T`,
    // `T` of order 8: cofactored verification accepts it, strict refuses it.
    let mixed = group_common::resign_mixed_order(
        &first,
        &seed32(signing_seed.clone()),
        MIXED_NONCE.as_bytes(),
        MIXED_TORSION,
    );
    let torsion = curve25519_dalek::constants::EIGHT_TORSION[MIXED_TORSION].compress();
    let fail = |case: &str, note: &str, bytes: &[u8], error: Error, name: &str, by: &str| json!({"case": case, "note": note, "bytes": hex(bytes), "error": error.to_string(), "error_name": name, "checked_by": by});
    json!({
        "description": "bleep group: roster, safety number, distribution (format version 2) and group messages (docs/PROTOCOL.md §9). Generated by tests/group_vectors.rs. Random draws are listed in order with their labels (SHA-256 of 'bleep test vector: ' || label, truncated); replaying them reproduces every output byte.",
        "setup_draws": setup_draws,
        "coordinator_identity_seed": hex(&coordinator_seed),
        "member_identity_seed": hex(&member_seed),
        "group_id": hex(&group_id.0),
        "roster": hex(&roster.to_bytes()),
        "roster_safety_number": roster.safety_number().to_string(),
        "sender_chain_id": chain_id,
        "sender_chain_key": hex(&chain_key),
        "sender_signing_key_seed": hex(&signing_seed),
        "distribution": hex(plan.message.as_bytes()),
        "messages": messages,
        "rotation": {
            "draws": rotation_draws,
            "generation": 1,
            "chain_id": rotated_chain_id,
            "chain_key": hex(&rotated_chain_key),
            "signing_key_seed": hex(&rotated_signing_seed),
            "distribution": hex(rotation.message.as_bytes()),
        },
        "mixed_order_r": {
            "note": "message 1 re-signed by the coordinator's chain key with R = [r]B + T, T of order 8 (r = SHA-512(nonce) mod l, s = r + k*a): valid under the cofactored rule of docs/PROTOCOL.md 9.5, refused by strict Ed25519",
            "nonce": MIXED_NONCE,
            "torsion_point": hex(torsion.as_bytes()),
            "bytes": hex(&mixed),
            "strict_ed25519": false,
            "accepted": true,
            "checked_by": CHECKED_BY_MIXED,
        },
        "fail_distribution": [
            fail("fail_stale_generation", "the first distribution, delivered after the rotation's", first_distribution, GroupError::StaleDistribution.into(), "GroupError::StaleDistribution", CHECKED_BY_DISTRIBUTION),
            fail("fail_version_1", "the first distribution in the version 1 layout (no generation)", &distribution_v1, DecodeError::UnknownVersion.into(), "DecodeError::UnknownVersion", CHECKED_BY_DISTRIBUTION),
        ],
        "fail": [
            fail("fail_bad_signature", "message 1 with the last signature byte flipped", &bad_sig, CryptoError::BadSignature.into(), "CryptoError::BadSignature", CHECKED_BY_MESSAGE),
            fail("fail_other_group", "message 1 with the first group id byte flipped", &other_group, GroupError::WrongGroup.into(), "GroupError::WrongGroup", CHECKED_BY_MESSAGE),
            fail("fail_other_roster_version", "message 1 bound to roster version 0", &other_version, GroupError::StaleRoster.into(), "GroupError::StaleRoster", CHECKED_BY_MESSAGE),
            fail("fail_truncated", "message 1 without its last byte", &first[..first.len() - 1], DecodeError::InvalidLength.into(), "DecodeError::InvalidLength", CHECKED_BY_MESSAGE),
        ],
    })
}

#[test]
fn group_vectors_match() {
    let generated = generate();
    if std::env::var("BLEEP_REGENERATE_VECTORS").as_deref() == Ok("1") {
        let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
        std::fs::write(PATH, text).unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(
        generated, stored,
        "regenerate with BLEEP_REGENERATE_VECTORS=1"
    );
    // Run after the (possible) rewrite, so both see the same file.
    group_vectors_follow_the_specification();
}

/// Checks the stored vectors against the specification using the
/// primitive crates directly, not bleep's group code.
fn group_vectors_follow_the_specification() {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let s = |k: &str| unhex(v[k].as_str().unwrap());
    // Every draw follows the rule; the named values are the draws.
    let mut all_draws: Vec<&Value> = v["setup_draws"].as_array().unwrap().iter().collect();
    for m in v["messages"].as_array().unwrap() {
        all_draws.extend(m["draws"].as_array().unwrap());
    }
    all_draws.extend(v["rotation"]["draws"].as_array().unwrap());
    let draw = |label: &str| {
        let d = all_draws
            .iter()
            .find(|d| d["label"] == label)
            .unwrap_or_else(|| panic!("no draw {label}"));
        unhex(d["bytes"].as_str().unwrap())
    };
    for d in &all_draws {
        let bytes = unhex(d["bytes"].as_str().unwrap());
        assert_eq!(
            bytes,
            draw_bytes(d["label"].as_str().unwrap(), bytes.len()),
            "{d}"
        );
    }
    assert_eq!(
        draw("coordinator identity seed"),
        s("coordinator_identity_seed")
    );
    assert_eq!(draw("member identity seed"), s("member_identity_seed"));
    assert_eq!(draw("group id"), s("group_id"));
    assert_eq!(draw("coordinator chain key"), s("sender_chain_key"));
    assert_eq!(
        draw("coordinator signing key seed"),
        s("sender_signing_key_seed")
    );
    assert_eq!(
        draw("coordinator chain id"),
        (v["sender_chain_id"].as_u64().unwrap() as u32).to_be_bytes()
    );
    let coordinator =
        IdentityKeyPair::from_seed_bytes(s("coordinator_identity_seed").try_into().unwrap());
    let roster = Roster::from_bytes(&s("roster")).unwrap();
    assert_eq!(roster.coordinator(), coordinator.public());
    assert_eq!(
        roster.safety_number().to_string(),
        v["roster_safety_number"]
    );
    assert_eq!(roster.group_id().0.to_vec(), s("group_id"));

    // Distribution (format version 2): version, kind, group id, roster
    // version, generation, sender, chain id, counter, chain key, signing
    // public key.
    let check_distribution = |d: &[u8], generation: u32, chain_id: u32, ck: &[u8], seed: &[u8]| {
        assert_eq!(d.len(), DISTRIBUTION_MESSAGE_LEN);
        assert_eq!(d.len(), 134);
        assert_eq!(&d[..2], &[2, 4]);
        assert_eq!(d[2..18], s("group_id"));
        assert_eq!(d[18..26], 1u64.to_be_bytes());
        assert_eq!(d[26..30], generation.to_be_bytes());
        assert_eq!(&d[30..62], coordinator.public().ed25519_bytes());
        assert_eq!(d[62..66], chain_id.to_be_bytes());
        assert_eq!(d[66..70], 0u32.to_be_bytes());
        assert_eq!(&d[70..102], ck);
        let signing = ed25519_dalek::SigningKey::from_bytes(seed.try_into().unwrap());
        assert_eq!(&d[102..134], signing.verifying_key().as_bytes());
    };
    let d = s("distribution");
    let chain_id = v["sender_chain_id"].as_u64().unwrap() as u32;
    check_distribution(
        &d,
        0,
        chain_id,
        &s("sender_chain_key"),
        &s("sender_signing_key_seed"),
    );
    let rot = &v["rotation"];
    let r = |k: &str| unhex(rot[k].as_str().unwrap());
    let rotated = r("distribution");
    check_distribution(
        &rotated,
        rot["generation"].as_u64().unwrap() as u32,
        rot["chain_id"].as_u64().unwrap() as u32,
        &r("chain_key"),
        &r("signing_key_seed"),
    );
    let signing =
        ed25519_dalek::SigningKey::from_bytes(&s("sender_signing_key_seed").try_into().unwrap());

    for m in v["messages"].as_array().unwrap() {
        let g = |k: &str| unhex(m[k].as_str().unwrap());
        let ck = g("chain_key");
        assert_eq!(g("message_key"), hmac(&ck, 1));
        let bytes = g("bytes");
        let (signed, sig) = bytes.split_at(bytes.len() - 64);
        let mut labelled = b"bleep v1 group message".to_vec();
        labelled.extend_from_slice(signed);
        signing
            .verifying_key()
            .verify_strict(
                &labelled,
                &ed25519_dalek::Signature::from_bytes(sig.try_into().unwrap()),
            )
            .unwrap();
        assert_eq!(&signed[..2], &[1, 3]);
        assert_eq!(
            signed[62..66],
            (m["counter"].as_u64().unwrap() as u32).to_be_bytes()
        );
        assert_eq!(signed[66..90], g("nonce"));
        let (ad, ct) = signed.split_at(90);
        let (ct, tag) = ct.split_at(ct.len() - 16);
        let mut buf = ct.to_vec();
        let key: [u8; 32] = g("message_key").try_into().unwrap();
        let nonce: [u8; 24] = g("nonce").try_into().unwrap();
        let tag: [u8; 16] = tag.try_into().unwrap();
        XChaCha20Poly1305::new(&key.into())
            .decrypt_inout_detached(&nonce.into(), ad, buf.as_mut_slice().into(), &tag.into())
            .unwrap();
        // Padded payload: version, flags, id, sent_at, expires_at, length, body.
        let body = m["body"].as_str().unwrap().as_bytes();
        let name = m["name"].as_str().unwrap();
        assert_eq!(g("nonce"), draw(&format!("{name} nonce")));
        assert_eq!(g("message_id"), draw(&format!("{name} message id")));
        assert_eq!(buf[0], 1);
        assert_eq!(u64::from(buf[1]), m["payload_flags"].as_u64().unwrap());
        assert_eq!(buf[2..18], g("message_id"));
        assert_eq!(buf[18..26], m["sent_at"].as_u64().unwrap().to_be_bytes());
        assert_eq!(buf[26..34], m["expires_at"].as_u64().unwrap().to_be_bytes());
        assert_eq!(buf[34..38], (body.len() as u32).to_be_bytes());
        assert_eq!(&buf[38..38 + body.len()], body);
        assert!(buf[38 + body.len()..].iter().all(|b| *b == 0));
    }

    // Negative cases through a member's session.
    let member = IdentityKeyPair::from_seed_bytes(s("member_identity_seed").try_into().unwrap());
    // The member's own chain, from its recorded setup draws.
    let mut rng = ScriptedRng::default();
    for label in [
        "member chain id",
        "member chain key",
        "member signing key seed",
    ] {
        rng.queue.extend(draw(label));
    }
    let from = verified(coordinator.public());
    let (mut rx, _) = GroupSession::join(&mut rng, &member, roster, &from).unwrap();
    assert!(rng.queue.is_empty());
    rx.process_distribution(&from, &d).unwrap();
    let fresh = rx.state_digest();
    for f in v["fail"].as_array().unwrap() {
        let err = rx
            .decrypt(&unhex(f["bytes"].as_str().unwrap()), 0)
            .unwrap_err();
        assert_eq!(err.to_string(), f["error"], "{}", f["case"]);
        assert_names(&err, &f["error_name"]);
        assert_eq!(f["checked_by"], CHECKED_BY_MESSAGE);
        assert_eq!(fresh, rx.state_digest());
    }
    // The mixed-order R: cofactored (from the primitives) yes, strict no;
    // the member accepts it one at a time and in a batch, as message 1.
    let mixed = &v["mixed_order_r"];
    let mixed_bytes = unhex(mixed["bytes"].as_str().unwrap());
    let seed: [u8; 32] = s("sender_signing_key_seed").try_into().unwrap();
    let first = unhex(v["messages"][0]["bytes"].as_str().unwrap());
    assert_eq!(mixed_bytes[..first.len() - 64], first[..first.len() - 64]);
    assert_eq!(
        mixed_bytes,
        group_common::resign_mixed_order(
            &first,
            &seed,
            mixed["nonce"].as_str().unwrap().as_bytes(),
            MIXED_TORSION
        )
    );
    let torsion = curve25519_dalek::edwards::CompressedEdwardsY(
        unhex(mixed["torsion_point"].as_str().unwrap())
            .try_into()
            .unwrap(),
    )
    .decompress()
    .unwrap();
    // Of order 8: [8]T is the identity, [4]T is not.
    assert!(torsion.is_small_order());
    assert!(!curve25519_dalek::traits::IsIdentity::is_identity(
        &(curve25519_dalek::scalar::Scalar::from(4u8) * torsion)
    ));
    assert!(group_common::cofactored_accepts(&mixed_bytes, &seed));
    assert!(!group_common::strict_accepts(&mixed_bytes, &seed));
    assert_eq!(mixed["accepted"], true);
    assert_eq!(mixed["strict_ed25519"], false);
    assert_eq!(mixed["checked_by"], CHECKED_BY_MIXED);
    for batch in [false, true] {
        let mut rng = ScriptedRng::default();
        for label in [
            "member chain id",
            "member chain key",
            "member signing key seed",
        ] {
            rng.queue.extend(draw(label));
        }
        let (mut other, _) = GroupSession::join(
            &mut rng,
            &member,
            Roster::from_bytes(&s("roster")).unwrap(),
            &from,
        )
        .unwrap();
        other.process_distribution(&from, &d).unwrap();
        let got = if batch {
            other.decrypt_batch(&[&mixed_bytes], 0).remove(0)
        } else {
            other.decrypt(&mixed_bytes, 0)
        };
        assert_eq!(
            got.unwrap().message.body.expose(),
            v["messages"][0]["body"].as_str().unwrap().as_bytes()
        );
    }
    assert!(rx.decrypt(&first, 0).is_ok());
    // After the rotation is installed, the first distribution is stale and
    // the version 1 layout is unknown; the state does not change.
    rx.process_distribution(&from, &rotated).unwrap();
    let installed = rx.state_digest();
    for f in v["fail_distribution"].as_array().unwrap() {
        let err = rx
            .process_distribution(&from, &unhex(f["bytes"].as_str().unwrap()))
            .unwrap_err();
        assert_eq!(err.to_string(), f["error"], "{}", f["case"]);
        assert_names(&err, &f["error_name"]);
        assert_eq!(f["checked_by"], CHECKED_BY_DISTRIBUTION);
        assert_eq!(installed, rx.state_digest());
    }
}

/// `name` (`Enum::Variant`) is the error's name in the error enums.
fn assert_names(err: &Error, name: &Value) {
    let (category, variant) = name.as_str().unwrap().split_once("::").unwrap();
    let category = category.strip_suffix("Error").unwrap();
    assert_eq!(format!("{err:?}"), format!("{category}({variant})"));
}
