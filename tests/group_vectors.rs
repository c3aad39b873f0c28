//! Group test vectors (`tests/vectors/group.json`), produced by the
//! deterministic generator below from a seeded ChaCha20 RNG.
//!
//! `BLEEP_REGENERATE_VECTORS=1 cargo test --test group_vectors` rewrites
//! the file; otherwise the generator's output must match it exactly, and
//! the stored messages are checked independently of the crate (HMAC chain
//! KDF, Ed25519, XChaCha20-Poly1305 straight from the primitive crates).
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
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::{Value, json};
use sha2::Sha256;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/group.json");

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

/// The trust store's proof for `key` (trust on first use, as in a test).
fn verified(key: &IdentityKey) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check(&PeerId::new("coordinator").unwrap(), key)
        .unwrap()
}

fn generate() -> Value {
    let mut rng = ChaCha20Rng::seed_from_u64(0x67_726f_7570);
    let mut coordinator_seed = [0u8; 32];
    rng.fill_bytes(&mut coordinator_seed);
    let mut member_seed = [0u8; 32];
    rng.fill_bytes(&mut member_seed);
    let coordinator = IdentityKeyPair::from_seed_bytes(coordinator_seed);
    let member = IdentityKeyPair::from_seed_bytes(member_seed);
    let group_id = GroupId::random(&mut rng);
    let roster = Roster::create(&coordinator, group_id, &[member.public().clone()]).unwrap();

    // `join` draws: chain id (4), chain key (32), signing key seed (32).
    let mut peek = rng.clone();
    let mut chain_id = [0u8; 4];
    let mut chain_key = [0u8; 32];
    let mut signing_seed = [0u8; 32];
    peek.fill_bytes(&mut chain_id);
    peek.fill_bytes(&mut chain_key);
    peek.fill_bytes(&mut signing_seed);
    let (mut sender, plan) =
        GroupSession::join_as_coordinator(&mut rng, &coordinator, roster.clone()).unwrap();
    let verified_coordinator = verified(coordinator.public());
    let (mut receiver, _) =
        GroupSession::join(&mut rng, &member, roster.clone(), &verified_coordinator).unwrap();
    receiver
        .process_distribution(&verified_coordinator, plan.message.as_bytes())
        .unwrap();

    let mut messages = Vec::new();
    let mut ck = chain_key;
    for (i, body) in [
        &b"Major incident declared: ED to divert"[..],
        b"Trauma team to resus 2",
    ]
    .iter()
    .enumerate()
    {
        // `encrypt` draws: nonce (24), message id (16).
        let mut peek = rng.clone();
        let mut nonce = [0u8; 24];
        peek.fill_bytes(&mut nonce);
        let sent_at = 1_700_000_000 + i as u64;
        let m = sender
            .encrypt(&mut rng, OutgoingMessage::new(body, sent_at))
            .unwrap();
        let got = receiver.decrypt(&m.bytes, sent_at).unwrap();
        assert_eq!(got.message.body.expose(), *body);
        messages.push(json!({
            "counter": i,
            "chain_key": hex(&ck),
            "message_key": hex(&hmac(&ck, 1)),
            "nonce": hex(&nonce),
            "message_id": hex(&m.id.0),
            "sent_at": sent_at,
            "body": String::from_utf8(body.to_vec()).unwrap(),
            "bytes": hex(&m.bytes),
        }));
        ck = hmac(&ck, 2);
    }
    // A rotation after the messages: `rotate` draws a new chain as `join`
    // did, at generation 1.
    let mut peek = rng.clone();
    let mut rotated_chain_id = [0u8; 4];
    let mut rotated_chain_key = [0u8; 32];
    let mut rotated_signing_seed = [0u8; 32];
    peek.fill_bytes(&mut rotated_chain_id);
    peek.fill_bytes(&mut rotated_chain_key);
    peek.fill_bytes(&mut rotated_signing_seed);
    let rotation = sender.rotate(&mut rng).unwrap();
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
    json!({
        "description": "bleep v1 group: roster, safety number, distribution (format version 2) and group messages (docs/PROTOCOL.md §9). Generated by tests/group_vectors.rs.",
        "coordinator_identity_seed": hex(&coordinator_seed),
        "member_identity_seed": hex(&member_seed),
        "group_id": hex(&group_id.0),
        "roster": hex(&roster.to_bytes()),
        "roster_safety_number": roster.safety_number().to_string(),
        "sender_chain_id": u32::from_be_bytes(chain_id),
        "sender_chain_key": hex(&chain_key),
        "sender_signing_key_seed": hex(&signing_seed),
        "distribution": hex(plan.message.as_bytes()),
        "messages": messages,
        "rotation": {
            "generation": 1,
            "chain_id": u32::from_be_bytes(rotated_chain_id),
            "chain_key": hex(&rotated_chain_key),
            "signing_key_seed": hex(&rotated_signing_seed),
            "distribution": hex(rotation.message.as_bytes()),
        },
        "fail_distribution": [
            {"case": "fail_stale_generation", "note": "delivered after the rotation's distribution", "bytes": hex(first_distribution), "error": Error::from(GroupError::StaleDistribution).to_string()},
            {"case": "fail_version_1", "note": "the first distribution in the version 1 layout (no generation)", "bytes": hex(&distribution_v1), "error": Error::from(DecodeError::UnknownVersion).to_string()},
        ],
        "fail": [
            {"case": "fail_bad_signature", "bytes": hex(&bad_sig), "error": Error::from(CryptoError::BadSignature).to_string()},
            {"case": "fail_other_group", "bytes": hex(&other_group), "error": Error::from(GroupError::WrongGroup).to_string()},
            {"case": "fail_other_roster_version", "bytes": hex(&other_version), "error": Error::from(GroupError::StaleRoster).to_string()},
            {"case": "fail_truncated", "bytes": hex(&first[..first.len() - 1]), "error": Error::from(DecodeError::InvalidLength).to_string()},
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
        assert_eq!(buf[0], 1);
        assert_eq!(buf[2..18], g("message_id"));
        assert_eq!(buf[18..26], m["sent_at"].as_u64().unwrap().to_be_bytes());
        assert_eq!(buf[34..38], (body.len() as u32).to_be_bytes());
        assert_eq!(&buf[38..38 + body.len()], body);
        assert!(buf[38 + body.len()..].iter().all(|b| *b == 0));
    }

    // Negative cases through a member's session.
    let member = IdentityKeyPair::from_seed_bytes(s("member_identity_seed").try_into().unwrap());
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let from = verified(coordinator.public());
    let (mut rx, _) = GroupSession::join(&mut rng, &member, roster, &from).unwrap();
    rx.process_distribution(&from, &d).unwrap();
    for f in v["fail"].as_array().unwrap() {
        let err = rx
            .decrypt(&unhex(f["bytes"].as_str().unwrap()), 0)
            .unwrap_err();
        assert_eq!(err.to_string(), f["error"], "{}", f["case"]);
    }
    let first = unhex(v["messages"][0]["bytes"].as_str().unwrap());
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
        assert_eq!(installed, rx.state_digest());
    }
}
