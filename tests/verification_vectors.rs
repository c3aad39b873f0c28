//! Fixed bytes of every verification format, kept so that a future build
//! still loads what this one wrote.
//!
//! The vectors are deterministic (seeded identities and organisation keys;
//! Ed25519 signatures are deterministic). `BLEEP_WRITE_VECTORS=1 cargo test
//! --test verification_vectors` rewrites `tests/vectors/verification_v2.json`
//! from the generator below; normally the test checks that the stored bytes
//! parse, re-encode identically and equal what the generator makes now.
//! `tests/vectors/verification_v1.json` is the frozen version-1 fixture
//! (attestations not bound to a directory id): its attestation is refused,
//! its other formats still load.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::*;
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/verification_v2.json"
);
const PATH_V1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vectors/verification_v1.json"
);

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn generate() -> Value {
    generate_with_store().0
}

fn rebuild_store() -> TrustStore {
    generate_with_store().1
}

// Every private input of the vectors (also written into the file).
const ALICE_SEED: [u8; 32] = [0xA1; 32];
const BOB_SEED: [u8; 32] = [0xB0; 32];
const CAROL_SEED: [u8; 32] = [0xC0; 32];
const CAROL_REINSTALLED_SEED: [u8; 32] = [0xC1; 32];
const ORGANISATION_SEED: [u8; 32] = [0x0D; 32];
const GROUP_ID: [u8; 16] = [0x47; 16];

fn generate_with_store() -> (Value, TrustStore) {
    let alice = IdentityKeyPair::from_seed_bytes(ALICE_SEED);
    let bob = IdentityKeyPair::from_seed_bytes(BOB_SEED);
    let (ai, bi) = (
        PeerId::new("alice@rrk.nhs.uk").unwrap(),
        PeerId::new("bob@rqm.nhs.uk").unwrap(),
    );
    let sn = SafetyNumber::new(&ai, alice.public(), &bi, bob.public());
    let bob_qr = SafetyNumber::new(&bi, bob.public(), &ai, alice.public()).qr_payload();
    let org = OrganisationKey::from_seed_bytes(ORGANISATION_SEED);
    let details = ClinicianDetails::new(
        "Dr Bob Mensah",
        "Registrar",
        Registration::new(RegulatoryBody::Gmc, "7123456").unwrap(),
        "RQM",
    )
    .unwrap();
    let att = org
        .attest(
            1001,
            &bi,
            bob.public(),
            &details,
            1_700_000_000,
            1_800_000_000,
        )
        .unwrap();
    let list = org.revocation_list(3, 1_750_000_000, &[17, 99]).unwrap();
    let mut store = TrustStore::new(TrustPolicy::RequireVerified);
    store.trust_organisation(org.public_key()).unwrap();
    store.add_revocation_list(list.clone()).unwrap();
    store
        .verify_by_attestation(&bi, bob.public(), &att, 1_750_000_100)
        .unwrap();
    let carol = IdentityKeyPair::from_seed_bytes(CAROL_SEED);
    let ci = PeerId::new("carol@rrk.nhs.uk").unwrap();
    let with_carol = SafetyNumber::new(&ai, alice.public(), &ci, carol.public());
    store
        .confirm_safety_number(&with_carol, 1_750_000_200)
        .unwrap();
    let carol_reinstalled = IdentityKeyPair::from_seed_bytes(CAROL_REINSTALLED_SEED);
    let _ = store.check_at(&ci, carol_reinstalled.public(), 1_750_000_300);
    // A group roster coordinated by Alice, with Bob and Carol as members.
    let roster = Roster::create(
        &alice,
        GroupId(GROUP_ID),
        &[bob.public().clone(), carol.public().clone()],
    )
    .unwrap();
    let v = json!({
        "seeds": {
            "alice_identity_seed": hex(&ALICE_SEED),
            "bob_identity_seed": hex(&BOB_SEED),
            "carol_identity_seed": hex(&CAROL_SEED),
            "carol_reinstalled_identity_seed": hex(&CAROL_REINSTALLED_SEED),
            "organisation_key_seed": hex(&ORGANISATION_SEED),
        },
        "inputs": {
            "qr_presenter": "bob (SafetyNumber::new(bob_id, bob, alice_id, alice))",
            "attestation": {
                "serial": 1001, "peer": bi.as_str(), "subject": "bob_identity",
                "not_before": 1_700_000_000u64, "not_after": 1_800_000_000u64,
                "ods_code": "RQM", "display_name": "Dr Bob Mensah", "role": "Registrar",
                "body": "GMC (1)", "reg_number": "7123456",
            },
            "revocation_list": {"list_version": 3, "issued_at": 1_750_000_000u64, "serials": [17, 99]},
            "trust_store_steps": [
                "new store, policy RequireVerified",
                "trust organisation_key",
                "add revocation_list",
                "verify bob_id / bob_identity by attestation at 1750000100",
                "confirm the safety number of alice_id / alice_identity with carol_id / carol_identity at 1750000200",
                "check carol_id with the carol_reinstalled identity at 1750000300 (KeyChanged: a pending change)",
            ],
        },
        "alice_identity": hex(&alice.public().to_bytes()),
        "bob_identity": hex(&bob.public().to_bytes()),
        "alice_id": ai.as_str(),
        "bob_id": bi.as_str(),
        "carol_identity": hex(&carol.public().to_bytes()),
        "carol_reinstalled_identity": hex(&carol_reinstalled.public().to_bytes()),
        "carol_id": ci.as_str(),
        "safety_number": sn.to_string(),
        "bob_qr_payload": hex(&bob_qr.to_bytes()),
        "organisation_key": hex(&org.public_key().to_bytes()),
        "attestation": hex(&att.to_bytes()),
        "revocation_list": hex(&list.to_bytes()),
        "trust_store": hex(&store.to_bytes()),
        "group": {
            "coordinator": "alice_identity",
            "members": ["bob_identity", "carol_identity"],
            "group_id": hex(&GROUP_ID),
            "roster_version": 1,
            "roster": hex(&roster.to_bytes()),
            "roster_safety_number": roster.safety_number().to_string(),
        },
    });
    (v, store)
}

/// §8.1–8.3 from SHA-512 alone: each side's `h`, its 30 digits, and the
/// QR payload Bob's phone shows (`presenter` = Bob's side).
fn qr_payload_follows_the_specification(v: &Value) {
    use sha2::{Digest, Sha512};
    let side = |key: &str, id: &str| -> Vec<u8> {
        let k = &unhex(v[key].as_str().unwrap())[1..33]; // the Ed25519 key
        let mut h = [&[0u8, 0][..], k, v[id].as_str().unwrap().as_bytes()].concat();
        for _ in 0..5200 {
            h = Sha512::digest([&h[..], k].concat()).to_vec();
        }
        h
    };
    let (alice, bob) = (
        side("alice_identity", "alice_id"),
        side("bob_identity", "bob_id"),
    );
    let digits = |h: &[u8]| -> String {
        h[..30]
            .chunks(5)
            .map(|c| {
                let n = c.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
                format!("{:05}", n % 100_000)
            })
            .collect()
    };
    let (a, b) = (digits(&alice), digits(&bob));
    let number = if a <= b { a + &b } else { b + &a };
    assert_eq!(
        number,
        v["safety_number"].as_str().unwrap().replace(' ', "")
    );
    let qr = unhex(v["bob_qr_payload"].as_str().unwrap());
    assert_eq!(qr.len(), 65);
    assert_eq!(qr[0], 1);
    assert_eq!(qr[1..33], bob[..32]);
    assert_eq!(qr[33..65], alice[..32]);
}

/// The seeds listed in `seeds_from` make the identity and organisation keys
/// stored in `keys`.
fn check_seeds(seeds_from: &Value, keys: &Value) {
    let seed = |k: &str| -> [u8; 32] {
        unhex(seeds_from["seeds"][k].as_str().unwrap())
            .try_into()
            .unwrap()
    };
    let key = |k: &str| unhex(keys[k].as_str().unwrap());
    for (seed_name, key_name) in [
        ("alice_identity_seed", "alice_identity"),
        ("bob_identity_seed", "bob_identity"),
        ("carol_identity_seed", "carol_identity"),
    ] {
        assert_eq!(
            IdentityKeyPair::from_seed_bytes(seed(seed_name))
                .public()
                .to_bytes()
                .to_vec(),
            key(key_name)
        );
    }
    assert_eq!(
        OrganisationKey::from_seed_bytes(seed("organisation_key_seed"))
            .public_key()
            .to_bytes()
            .to_vec(),
        key("organisation_key")
    );
}

/// Checks the formats both versions share (identity keys, safety numbers,
/// QR payloads), returning Bob's key and directory id.
fn check_identities(stored: &Value) -> (IdentityKey, PeerId) {
    let s = |k: &str| stored[k].as_str().unwrap().to_owned();
    let alice = IdentityKey::from_bytes(&unhex(&s("alice_identity"))).unwrap();
    let bob = IdentityKey::from_bytes(&unhex(&s("bob_identity"))).unwrap();
    let (ai, bi) = (
        PeerId::new(s("alice_id")).unwrap(),
        PeerId::new(s("bob_id")).unwrap(),
    );
    let sn = SafetyNumber::new(&ai, &alice, &bi, &bob);
    assert_eq!(sn.to_string(), s("safety_number"));
    sn.check_scanned(&unhex(&s("bob_qr_payload"))).unwrap();
    (bob, bi)
}

#[test]
fn version_1_fixture_loads_as_documented() {
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(PATH_V1).unwrap()).unwrap();
    let s = |k: &str| stored[k].as_str().unwrap().to_owned();
    // Identity keys, safety numbers, QR payloads and revocation lists are
    // unchanged formats.
    check_identities(&stored);
    let list_bytes = unhex(&s("revocation_list"));
    assert_eq!(
        RevocationList::from_bytes(&list_bytes).unwrap().to_bytes(),
        list_bytes
    );
    // A version-1 attestation names no directory id: refused.
    assert_eq!(
        Attestation::from_bytes(&unhex(&s("attestation"))).unwrap_err(),
        Error::Decode(DecodeError::UnknownVersion)
    );
    // It was made from the same seeds as the version-2 file lists.
    let v2: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    check_seeds(&v2, &stored);
    // (What a version-1 trust store loads as is tested beside its decoder,
    // which is not public: trust is restored only from sealed state.)
}

#[test]
fn vectors_match_the_generator() {
    let now = generate();
    if std::env::var_os("BLEEP_WRITE_VECTORS").is_some()
        || std::env::var_os("BLEEP_REGENERATE_VECTORS").is_some()
    {
        std::fs::write(PATH, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(
        stored, now,
        "the generator no longer produces the stored bytes"
    );
    let s = |k: &str| stored[k].as_str().unwrap().to_owned();
    let (bob, bi) = check_identities(&stored);
    check_seeds(&stored, &stored);
    qr_payload_follows_the_specification(&stored);

    // The group roster: Alice coordinates, Bob and Carol are members.
    let g = &stored["group"];
    let roster_bytes = unhex(g["roster"].as_str().unwrap());
    let roster = Roster::from_bytes(&roster_bytes).unwrap();
    assert_eq!(roster.to_bytes(), roster_bytes);
    assert_eq!(
        roster.group_id().0.to_vec(),
        unhex(g["group_id"].as_str().unwrap())
    );
    assert_eq!(roster.version(), g["roster_version"].as_u64().unwrap());
    assert_eq!(
        roster.coordinator().to_bytes().to_vec(),
        unhex(&s("alice_identity"))
    );
    assert_eq!(roster.members().len(), 3);
    assert_eq!(
        roster.safety_number().to_string(),
        g["roster_safety_number"].as_str().unwrap()
    );

    let att_bytes = unhex(&s("attestation"));
    let att = Attestation::from_bytes(&att_bytes).unwrap();
    assert_eq!(att.to_bytes(), att_bytes);
    assert_eq!(
        att.issuer().to_bytes().to_vec(),
        unhex(&s("organisation_key"))
    );
    assert!(att.is_for(&bob));
    assert_eq!(
        (att.serial(), att.display_name(), att.ods_code()),
        (1001, "Dr Bob Mensah", "RQM")
    );

    let list_bytes = unhex(&s("revocation_list"));
    let list = RevocationList::from_bytes(&list_bytes).unwrap();
    assert_eq!(list.to_bytes(), list_bytes);
    assert_eq!((list.list_version(), list.serials()), (3, &[17u64, 99][..]));

    assert_eq!(att.peer(), &bi);
    // The trust store is restored only from sealed state: rebuild it by its
    // API (as the generator did) and compare the encoding byte for byte.
    let store_bytes = unhex(&s("trust_store"));
    let key = StorageKey::from_bytes([0x5E; 32]);
    let mut store: TrustStore = key
        .unseal(&key.seal(&mut rand::rng(), &rebuild_store()))
        .unwrap();
    assert_eq!(store.to_bytes(), store_bytes);
    assert_eq!(
        store.check_at(&bi, &bob, 1_750_000_400).unwrap().method(),
        VerificationMethod::Attestation
    );
    let carol = IdentityKey::from_bytes(&unhex(&s("carol_identity"))).unwrap();
    let ci = PeerId::new(s("carol_id")).unwrap();
    assert_eq!(
        store.check_at(&ci, &carol, 1_750_000_400).unwrap().method(),
        VerificationMethod::SafetyNumber
    );
    let change = store.key_change(&ci).unwrap();
    assert_eq!(change.old_key(), &carol);
    assert_eq!(change.detected_at(), 1_750_000_300);
}
