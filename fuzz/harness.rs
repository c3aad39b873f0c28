//! The checks behind the core fuzz targets, in one file shared by
//! `fuzz/fuzz_targets/*.rs` (driven by libFuzzer) and `tests/fuzz_seeds.rs`
//! (which replays the committed seed corpus under `cargo test`), so both run
//! exactly the same code. Each entry point takes arbitrary bytes and panics
//! only when an invariant fails:
//!
//! - decoders never panic, and what they accept re-encodes to the same bytes;
//! - a session or prekey store that rejects input is left exactly as it was;
//! - only genuine envelopes decrypt, each to what was sent, exactly once.
//!
//! Every key and every random draw comes from fixed seeds, so a crashing
//! input reproduces exactly.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use bleep::limits::{MAX_BUNDLE_KEM_ONE_TIME_PREKEYS, MAX_BUNDLE_ONE_TIME_PREKEYS};
use bleep::{
    CipherSuite, Envelope, HandshakePolicy, IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair,
    MessageId, OutgoingMessage, PeerId, PreKeyBundle, PreKeyStore, Session, TrustPolicy,
    TrustStore, VerifiedIdentity,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::cell::RefCell;

/// The clock every target decrypts at (unix seconds).
pub(crate) const NOW: u64 = 1_700_000_000;

/// A fuzz entry point: returns whether the input was accepted.
pub(crate) type Target = fn(&[u8]) -> bool;

/// Every target in this file, by its `fuzz/Cargo.toml` name.
/// Each returns whether the input was accepted (parsed, decrypted).
pub(crate) const TARGETS: &[(&str, Target)] = &[
    ("envelope", envelope),
    ("bundle", bundle),
    ("identity_key", identity_key),
    ("session_decrypt", session_decrypt),
    ("session_decrypt_aes", session_decrypt_aes),
    ("handshake_accept", handshake_accept),
    ("conversation", conversation),
];

fn rng(tag: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([tag; 32])
}

fn identity(tag: u8) -> IdentityKeyPair {
    IdentityKeyPair::from_seed_bytes([tag; 32])
}

/// The trust store's proof for `key`, under trust-on-first-use.
fn trusted(peer: &str, key: &IdentityKey) -> VerifiedIdentity {
    let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    t.check(&PeerId::new(peer).unwrap(), key).unwrap()
}

/// A fresh proof for the session's peer, for every send and receive.
fn proof(s: &Session) -> VerifiedIdentity {
    trusted("peer", s.peer_identity())
}

/// `genuine` with `mask` XORed over it; mask bytes past its end are
/// appended, and with `truncate` the result is cut to the mask's length.
fn masked(genuine: &[u8], mask: &[u8], truncate: bool) -> Vec<u8> {
    let mut out = genuine.to_vec();
    for (i, m) in mask.iter().enumerate() {
        match out.get_mut(i) {
            Some(b) => *b ^= m,
            None => out.push(*m),
        }
    }
    if truncate && mask.len() < out.len() {
        out.truncate(mask.len());
    }
    out
}

/// The input a target decrypts: `data[0]` bit 0 clear means the rest of
/// `data` as is; set means a genuine envelope (picked by bits 1..=4) with
/// the rest as an XOR mask (bit 5: truncate to the mask's length).
fn select(data: &[u8], genuine: &[Genuine]) -> Option<Vec<u8>> {
    let (&mode, rest) = data.split_first()?;
    if mode & 1 == 0 || genuine.is_empty() {
        return Some(rest.to_vec());
    }
    let g = &genuine[usize::from((mode >> 1) & 0x0F) % genuine.len()];
    Some(masked(&g.envelope, rest, mode & 0x20 != 0))
}

/// A message some fixture really sent.
#[derive(Clone)]
pub(crate) struct Genuine {
    pub(crate) envelope: Vec<u8>,
    pub(crate) body: Vec<u8>,
    pub(crate) id: MessageId,
    /// Whether it is accepted at [`NOW`] (false for an expired one, or a
    /// classical one that a responder requiring PQXDH refuses).
    pub(crate) valid_now: bool,
    /// Whether accepting it consumes a one-time prekey.
    pub(crate) uses_one_time_prekey: bool,
    /// Whether accepting it consumes a one-time ML-KEM prekey.
    pub(crate) uses_kem_one_time_prekey: bool,
}

fn send(
    s: &mut Session,
    rng: &mut ChaCha20Rng,
    body: &[u8],
    expires_at: Option<u64>,
    uses_one_time_prekey: bool,
) -> Genuine {
    let mut m = OutgoingMessage::new(body, NOW - 60).contains_patient_data(body.len() % 2 == 1);
    if let Some(at) = expires_at {
        m = m.expires_at(at);
    }
    let e = s.encrypt(rng, proof(s), m).unwrap();
    Genuine {
        envelope: e.envelope,
        body: body.to_vec(),
        id: e.id,
        valid_now: expires_at.is_none_or(|at| at > NOW),
        uses_one_time_prekey,
        uses_kem_one_time_prekey: false,
    }
}

/// `Envelope::parse_known(data, known)` gives what `Envelope::parse(data)`
/// gives (the same identity, byte for byte, or the same error): a known
/// identity only saves the binding check.
fn parse_known_agrees(data: &[u8], known: &IdentityKey) {
    let plain = Envelope::parse(data);
    let with = Envelope::parse_known(data, Some(known));
    match (&plain, &with) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.initiator_identity().map(IdentityKey::to_bytes),
                b.initiator_identity().map(IdentityKey::to_bytes)
            );
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("parse and parse_known disagree"),
    }
}

/// `Envelope::parse` on arbitrary bytes: no panic; what parses is a
/// well-formed envelope whose accessors agree with the bytes, and
/// `Envelope::parse_known` agrees with it, whether the known identity is
/// the one carried or another.
pub(crate) fn envelope(data: &[u8]) -> bool {
    PEOPLE.with(|[alice, _, _]| parse_known_agrees(data, alice.public()));
    let Ok(env) = Envelope::parse(data) else {
        return false;
    };
    if let Some(id) = env.initiator_identity() {
        parse_known_agrees(data, id);
    }
    // Version 2 (PQXDH sessions), 1 (classical sessions, older builds) or
    // 3 (PQXDH on another suite than XChaCha20-Poly1305, named next).
    assert!(matches!(data[0], 1..=3));
    let suite = env.cipher_suite();
    let at = match data[0] {
        3 => {
            assert_eq!(suite, CipherSuite::Aes256GcmSiv);
            assert_eq!(data[1], suite.id());
            2
        }
        _ => {
            assert_eq!(suite, CipherSuite::XChaCha20Poly1305);
            1
        }
    };
    assert_eq!(env.is_prekey_message(), data[at] == 1);
    // A version-2 or -3 prekey message always carries the KEM part.
    let pq = env.is_post_quantum_handshake();
    assert_eq!(pq.is_some(), env.is_prekey_message());
    assert!(pq.is_none_or(|pq| pq == (data[0] != 1)));
    match env.initiator_identity() {
        Some(id) => {
            assert!(env.is_prekey_message());
            assert_eq!(&id.to_bytes()[..], &data[at + 1..at + 1 + IDENTITY_KEY_LEN]);
        }
        None => assert!(!env.is_prekey_message()),
    }
    // Prefix + header + nonce + the smallest padded payload + tag.
    assert!(data.len() > at + 40 + suite.nonce_len() + 64 + 16);
    let shown = format!("{env:?}");
    assert!(shown.starts_with("Envelope"));
    true
}

/// `PreKeyBundle::from_bytes` on arbitrary bytes: no panic; a bundle that
/// parses re-encodes to exactly the input, and so do its single-prekey
/// copies.
pub(crate) fn bundle(data: &[u8]) -> bool {
    let Ok(b) = PreKeyBundle::from_bytes(data) else {
        return false;
    };
    let bytes = b.to_bytes();
    assert_eq!(bytes, data, "bundle encoding is canonical");
    assert_eq!(PreKeyBundle::from_bytes(&bytes).unwrap(), b);
    let n = b.one_time_prekey_count();
    assert!(n <= MAX_BUNDLE_ONE_TIME_PREKEYS);
    let m = b.kem_one_time_prekey_count();
    assert!(m <= MAX_BUNDLE_KEM_ONE_TIME_PREKEYS);
    // Layout: version, identity, signed prekey id, key, signature, count,
    // one-time prekeys; version 2 then has the last-resort KEM prekey, a
    // count and the one-time KEM prekeys (id, key, signature each).
    let fixed = 1 + IDENTITY_KEY_LEN + 4 + 32 + 64;
    let x25519_end = fixed + 2 + 36 * n;
    let kem_entry = 4 + 1568 + 64;
    assert_eq!(b.has_post_quantum_prekeys(), data[0] >= 2);
    // Version 3 ends with its suite list: count, ids.
    let suites_len = match data[0] {
        3 => {
            let list = b.cipher_suites();
            assert!(!list.is_empty() && list != [CipherSuite::XChaCha20Poly1305]);
            1 + usize::from(data[x25519_end + kem_entry * (1 + m) + 2])
        }
        _ => {
            assert_eq!(b.cipher_suites(), [CipherSuite::XChaCha20Poly1305]);
            0
        }
    };
    if b.has_post_quantum_prekeys() {
        assert_eq!(
            data.len(),
            x25519_end + kem_entry * (1 + m) + 2 + suites_len
        );
    } else {
        assert_eq!(data[0], 1);
        assert_eq!((data.len(), m), (x25519_end, 0));
    }
    assert_eq!(&b.identity().to_bytes()[..], &data[1..1 + IDENTITY_KEY_LEN]);
    let none = b.with_one_time_prekey(None).unwrap();
    assert_eq!(none.one_time_prekey_count(), 0);
    assert_eq!(PreKeyBundle::from_bytes(&none.to_bytes()).unwrap(), none);
    for entry in data[fixed + 2..x25519_end].chunks_exact(36) {
        let id = u32::from_be_bytes(entry[..4].try_into().unwrap());
        let one = b.with_one_time_prekey(Some(id)).unwrap();
        assert_eq!(one.one_time_prekey_count(), 1);
        let one_bytes = one.to_bytes();
        assert_eq!(&one_bytes[fixed + 2..fixed + 2 + 36], entry);
        assert_eq!(PreKeyBundle::from_bytes(&one_bytes).unwrap(), one);
    }
    let no_kem = b.with_kem_one_time_prekey(None).unwrap();
    assert_eq!(no_kem.kem_one_time_prekey_count(), 0);
    assert_eq!(
        PreKeyBundle::from_bytes(&no_kem.to_bytes()).unwrap(),
        no_kem
    );
    let kem_one_time = x25519_end + kem_entry + 2;
    for entry in data
        .get(kem_one_time..data.len() - suites_len)
        .unwrap_or(&[])
        .chunks_exact(kem_entry)
    {
        let id = u32::from_be_bytes(entry[..4].try_into().unwrap());
        let one = b.with_kem_one_time_prekey(Some(id)).unwrap();
        assert_eq!(one.kem_one_time_prekey_count(), 1);
        let one_bytes = one.to_bytes();
        let end = one_bytes.len() - suites_len;
        assert_eq!(&one_bytes[end - kem_entry..end], entry);
        assert_eq!(PreKeyBundle::from_bytes(&one_bytes).unwrap(), one);
    }
    true
}

/// `IdentityKey::from_bytes` on arbitrary bytes: no panic; an identity
/// that parses re-encodes to exactly the input.
pub(crate) fn identity_key(data: &[u8]) -> bool {
    let Ok(key) = IdentityKey::from_bytes(data) else {
        return false;
    };
    assert_eq!(&key.to_bytes()[..], data, "identity encoding is canonical");
    assert_eq!(IdentityKey::from_bytes(&key.to_bytes()).unwrap(), key);
    assert_eq!(&data[1..33], key.ed25519_bytes());
    assert_eq!(&data[33..65], key.x25519_bytes());
    true
}

/// A receiving session mid-conversation and the envelopes its peer really
/// sent it.
pub(crate) struct DecryptFixture {
    receiver: Session,
    digest: [u8; 32],
    pub(crate) genuine: Vec<Genuine>,
}

pub(crate) fn decrypt_fixture() -> DecryptFixture {
    decrypt_fixture_on(CipherSuite::XChaCha20Poly1305)
}

/// [`decrypt_fixture`] on an AES-256-GCM-SIV session.
pub(crate) fn decrypt_fixture_aes() -> DecryptFixture {
    decrypt_fixture_on(CipherSuite::Aes256GcmSiv)
}

fn decrypt_fixture_on(suite: CipherSuite) -> DecryptFixture {
    let mut rng = rng(0x5E);
    let (alice, bob) = (identity(0xA1), identity(0xB0));
    let mut store = PreKeyStore::new(&mut rng, &bob);
    store.generate_one_time_prekeys(&mut rng, 2).unwrap();
    if suite != CipherSuite::XChaCha20Poly1305 {
        store.set_cipher_suites(&bob, &[suite]).unwrap();
    }
    let mut a = Session::initiate_with_suites(
        &mut rng,
        &alice,
        &trusted("bob", bob.public()),
        &store.bundle(),
        HandshakePolicy::RequirePostQuantum,
        &[suite],
    )
    .unwrap();
    let first = send(&mut a, &mut rng, b"fixture: first", None, true);
    let env = Envelope::parse(&first.envelope).unwrap();
    let (mut b, _) = Session::accept(
        &bob,
        &mut store,
        &trusted("alice", alice.public()),
        &env,
        NOW,
    )
    .unwrap();
    // One round trip each way, so both sides have ratcheted.
    let reply = send(&mut b, &mut rng, b"fixture: reply", None, false);
    // Sent on bob's first chain but held back: alice must still accept it.
    let late = send(&mut b, &mut rng, b"late on the first chain", None, false);
    a.decrypt(proof(&a), &reply.envelope, NOW).unwrap();
    let again = send(&mut a, &mut rng, b"fixture: again", None, false);
    b.decrypt(proof(&b), &again.envelope, NOW).unwrap();
    // Bob's second chain: none of these has reached alice yet.
    let mut genuine = vec![late];
    genuine.push(send(&mut b, &mut rng, b"obs stable, bed 4", None, false));
    genuine.push(send(&mut b, &mut rng, b"patient data, odd", None, false));
    genuine.push(send(
        &mut b,
        &mut rng,
        b"expires later",
        Some(NOW + 600),
        false,
    ));
    genuine.push(send(
        &mut b,
        &mut rng,
        b"already expired",
        Some(NOW - 1),
        false,
    ));
    genuine.push(send(&mut b, &mut rng, &[0x42; 3000], None, false));
    let digest = a.state_digest();
    DecryptFixture {
        receiver: a,
        digest,
        genuine,
    }
}

thread_local! {
    static DECRYPT: RefCell<Option<DecryptFixture>> = const { RefCell::new(None) };
    static DECRYPT_AES: RefCell<Option<DecryptFixture>> = const { RefCell::new(None) };
    static ACCEPT: RefCell<Option<AcceptFixture>> = const { RefCell::new(None) };
}

/// Arbitrary bytes (or a genuine envelope under an XOR mask, see
/// [`select`]) decrypted by a live session: no panic; a rejection leaves
/// the session's `state_digest` unchanged; only a genuine envelope
/// decrypts, to what was sent, and a second delivery is rejected.
pub(crate) fn session_decrypt(data: &[u8]) -> bool {
    DECRYPT.with(|cell| decrypt_into(&mut cell.borrow_mut(), decrypt_fixture, data))
}

/// [`session_decrypt`] with an AES-256-GCM-SIV session.
pub(crate) fn session_decrypt_aes(data: &[u8]) -> bool {
    DECRYPT_AES.with(|cell| decrypt_into(&mut cell.borrow_mut(), decrypt_fixture_aes, data))
}

fn decrypt_into(
    slot: &mut Option<DecryptFixture>,
    make: fn() -> DecryptFixture,
    data: &[u8],
) -> bool {
    {
        let fx = slot.get_or_insert_with(make);
        let Some(input) = select(data, &fx.genuine) else {
            return false;
        };
        match fx.receiver.decrypt(proof(&fx.receiver), &input, NOW) {
            Ok(msg) => {
                let g = fx
                    .genuine
                    .iter()
                    .find(|g| g.envelope == input)
                    .expect("only a genuine envelope decrypts");
                assert!(g.valid_now, "an expired message was shown");
                assert_eq!(msg.body.expose(), &g.body[..]);
                assert_eq!(msg.info.id, g.id);
                let after = fx.receiver.state_digest();
                assert!(
                    fx.receiver
                        .decrypt(proof(&fx.receiver), &input, NOW)
                        .is_err(),
                    "replay accepted"
                );
                assert_eq!(fx.receiver.state_digest(), after, "a replay changed state");
                // The session moved on: start the next input from the fixture.
                *slot = None;
                true
            }
            Err(_) => {
                assert_eq!(
                    fx.receiver.state_digest(),
                    fx.digest,
                    "a rejected envelope changed the session"
                );
                false
            }
        }
    }
}

/// A responder with prekeys, and prekey messages really sent to it.
pub(crate) struct AcceptFixture {
    bob: IdentityKeyPair,
    store: PreKeyStore,
    published: Vec<u8>,
    pub(crate) genuine: Vec<Genuine>,
}

pub(crate) fn accept_fixture() -> AcceptFixture {
    let mut rng = rng(0xAC);
    let bob = identity(0xB0);
    let mut store = PreKeyStore::new(&mut rng, &bob);
    store.generate_one_time_prekeys(&mut rng, 3).unwrap();
    store
        .generate_kem_one_time_prekeys(&mut rng, &bob, 2)
        .unwrap();
    // Signed prekey 1 is rotated out below; 2 is still kept (with 3, 4).
    let stale = store.bundle().with_one_time_prekey(None).unwrap();
    store.rotate_signed_prekey(&mut rng, &bob);
    let old = store.bundle().with_one_time_prekey(None).unwrap();
    store.rotate_signed_prekey(&mut rng, &bob);
    store.rotate_signed_prekey(&mut rng, &bob);
    let full = store.bundle();
    let vb = trusted("bob", bob.public());
    let mut genuine = Vec::new();
    // KEM prekey ids: 1 is signed prekey 1's last-resort key, 2 and 3
    // one-time, 4 to 6 the later signed prekeys' last-resort keys.
    let no_kem_one_time = |b: PreKeyBundle| b.with_kem_one_time_prekey(None).unwrap();
    for (tag, bundle, one_time, kem_one_time) in [
        (
            0xA1,
            no_kem_one_time(full.with_one_time_prekey(Some(2)).unwrap()),
            true,
            false,
        ),
        (
            0xC0,
            no_kem_one_time(full.with_one_time_prekey(None).unwrap()),
            false,
            false,
        ),
        (0xD0, no_kem_one_time(old), false, false),
        (
            0xF0,
            full.with_one_time_prekey(Some(3))
                .unwrap()
                .with_kem_one_time_prekey(Some(3))
                .unwrap(),
            true,
            true,
        ),
    ] {
        let mut s = Session::initiate(&mut rng, &identity(tag), &vb, &bundle).unwrap();
        for body in [&b"can you review bed 7"[..], b"second, before any reply"] {
            // The initiator's second message is a prekey message too.
            let mut g = send(&mut s, &mut rng, body, None, one_time);
            g.uses_kem_one_time_prekey = kem_one_time;
            genuine.push(g);
        }
    }
    let mut s = Session::initiate(&mut rng, &identity(0xE0), &vb, &stale).unwrap();
    let mut too_late = send(&mut s, &mut rng, b"too late", None, false);
    too_late.valid_now = false;
    genuine.push(too_late);
    // A classical (X3DH) first message, made from the bundle with its KEM
    // part stripped: refused, since the responder requires PQXDH.
    let full_bytes = full.with_one_time_prekey(None).unwrap().to_bytes();
    let mut stripped = full_bytes[..1 + IDENTITY_KEY_LEN + 100 + 2].to_vec();
    stripped[0] = 1;
    let classical = PreKeyBundle::from_bytes(&stripped).unwrap();
    let mut s = Session::initiate_with_policy(
        &mut rng,
        &identity(0xE1),
        &vb,
        &classical,
        HandshakePolicy::AllowClassical,
    )
    .unwrap();
    let mut refused = send(&mut s, &mut rng, b"classical", None, false);
    refused.valid_now = false;
    genuine.push(refused);
    // The responder also accepts AES-256-GCM-SIV (its bundle is then
    // version 3); one initiator prefers it.
    store
        .set_cipher_suites(
            &bob,
            &[CipherSuite::XChaCha20Poly1305, CipherSuite::Aes256GcmSiv],
        )
        .unwrap();
    let aes_bundle = store
        .bundle()
        .with_one_time_prekey(Some(1))
        .unwrap()
        .with_kem_one_time_prekey(None)
        .unwrap();
    let mut s = Session::initiate_with_suites(
        &mut rng,
        &identity(0xA5),
        &vb,
        &aes_bundle,
        HandshakePolicy::RequirePostQuantum,
        &[CipherSuite::Aes256GcmSiv],
    )
    .unwrap();
    genuine.push(send(&mut s, &mut rng, b"aes: bed 2 review", None, true));
    let published = store.bundle().to_bytes();
    AcceptFixture {
        bob,
        store,
        published,
        genuine,
    }
}

/// Arbitrary bytes (or a genuine prekey message under an XOR mask) given
/// to `Session::accept` with a fixed responder: no panic; on error the
/// prekey store is unchanged (same one-time prekey counts of both kinds,
/// same bundle); only a genuine message is accepted, consuming exactly its
/// one-time prekeys. `data[0]` bit 6 presents a trust proof for someone else, which
/// must be refused.
pub(crate) fn handshake_accept(data: &[u8]) -> bool {
    ACCEPT.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fx = slot.get_or_insert_with(accept_fixture);
        let Some(input) = select(data, &fx.genuine) else {
            return false;
        };
        // Bit 7: parse knowing the identity that the genuine message picked
        // by bits 1..=4 carries (the masked bytes may no longer be it).
        let known = (data[0] & 0x80 != 0)
            .then(|| &fx.genuine[usize::from((data[0] >> 1) & 0x0F) % fx.genuine.len()])
            .and_then(|g| {
                Envelope::parse(&g.envelope)
                    .ok()?
                    .initiator_identity()
                    .cloned()
            });
        if let Some(k) = &known {
            parse_known_agrees(&input, k);
        }
        let Ok(env) = Envelope::parse_known(&input, known.as_ref()) else {
            return false;
        };
        let wrong_peer = data[0] & 0x40 != 0;
        let verified = match env.initiator_identity() {
            Some(claimed) if !wrong_peer => trusted("initiator", claimed),
            _ => trusted("someone else", identity(0x99).public()),
        };
        let before = fx.store.one_time_prekey_count();
        let kem_before = fx.store.kem_one_time_prekey_count();
        match Session::accept(&fx.bob, &mut fx.store, &verified, &env, NOW) {
            Ok((mut session, msg)) => {
                assert!(!wrong_peer, "accepted for the wrong identity");
                let g = fx
                    .genuine
                    .iter()
                    .find(|g| g.envelope == input)
                    .expect("only a genuine prekey message is accepted");
                assert!(g.valid_now);
                assert_eq!(msg.body.expose(), &g.body[..]);
                assert_eq!(msg.info.id, g.id);
                let expected = before - usize::from(g.uses_one_time_prekey);
                assert_eq!(fx.store.one_time_prekey_count(), expected);
                let expected = kem_before - usize::from(g.uses_kem_one_time_prekey);
                assert_eq!(fx.store.kem_one_time_prekey_count(), expected);
                // The new session can answer.
                let mut r = rng(0x01);
                session
                    .encrypt(
                        &mut r,
                        proof(&session),
                        OutgoingMessage::new(b"on my way", NOW),
                    )
                    .unwrap();
                *slot = None;
                true
            }
            Err(_) => {
                assert_eq!(fx.store.one_time_prekey_count(), before);
                assert_eq!(fx.store.kem_one_time_prekey_count(), kem_before);
                assert_eq!(fx.store.bundle().to_bytes(), fx.published);
                false
            }
        }
    })
}

/// Who holds which session in [`conversation`]: alice talks to bob and to
/// carol; channel `c` is sent by `SENDER[c]` and received by `RECEIVER[c]`
/// (indexes into the four sessions `[alice→bob, bob, alice→carol, carol]`).
const SENDER: [usize; 4] = [0, 1, 2, 3];
const RECEIVER: [usize; 4] = [1, 0, 3, 2];

/// Most operations and sends per input, far inside every limit in
/// `bleep::limits` so that each genuine message stays decryptable.
const MAX_OPS: usize = 128;
const MAX_SENDS: usize = 64;

struct Sent {
    channel: usize,
    genuine: Genuine,
    delivered: bool,
}

/// Reads bytes from the fuzz input, then zeros.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn byte(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }
}

thread_local! {
    /// Alice, bob and carol, derived once per thread.
    static PEOPLE: [IdentityKeyPair; 3] = [identity(0xA1), identity(0xB0), identity(0xC0)];
}

fn sessions_for_conversation(rng: &mut ChaCha20Rng) -> [Session; 4] {
    PEOPLE.with(|[alice, bob, carol]| {
        let mut pair = |peer: &IdentityKeyPair, name: &str| {
            let mut store = PreKeyStore::new(rng, peer);
            store.generate_one_time_prekeys(rng, 1).unwrap();
            let bundle = store.bundle();
            let mut a =
                Session::initiate(rng, alice, &trusted(name, peer.public()), &bundle).unwrap();
            let hello = send(&mut a, rng, b"hello", None, true);
            let env = Envelope::parse(&hello.envelope).unwrap();
            let (p, msg) = Session::accept(
                peer,
                &mut store,
                &trusted("alice", alice.public()),
                &env,
                NOW,
            )
            .unwrap();
            assert_eq!(msg.body.expose(), b"hello");
            (a, p)
        };
        let (ab, b) = pair(bob, "bob");
        let (ac, c) = pair(carol, "carol");
        [ab, b, ac, c]
    })
}

/// Delivers `envelope` to session `to`, expecting rejection with the
/// session unchanged.
fn expect_rejected(sessions: &mut [Session; 4], to: usize, envelope: &[u8], what: &str) {
    let before = sessions[to].state_digest();
    assert!(
        sessions[to]
            .decrypt(proof(&sessions[to]), envelope, NOW)
            .is_err(),
        "{what} accepted"
    );
    assert_eq!(sessions[to].state_digest(), before, "{what} changed state");
}

/// A three-party, many-step conversation driven by the input: each step
/// sends on one of four channels, delivers, duplicates, drops, bit-flips,
/// truncates or misdelivers a pending envelope. Every genuine message
/// decrypts to what was sent exactly once (at its first delivery, or in a
/// final sweep that delivers everything still outstanding, in reverse
/// order); every duplicate, tampered or misdelivered envelope is rejected
/// with the receiving session unchanged.
/// Returns whether any message beyond the set-up was sent.
pub(crate) fn conversation(data: &[u8]) -> bool {
    let mut input = Bytes(data);
    let mut rng = rng(0xC5);
    let mut sessions = sessions_for_conversation(&mut rng);
    let mut sent: Vec<Sent> = Vec::new();
    // The transport: indexes into `sent`, possibly repeated.
    let mut pending: Vec<usize> = Vec::new();

    for _ in 0..MAX_OPS {
        let Some(op) = input.next() else { break };
        let pick = |p: &[usize], b: u8| p.get(usize::from(b) % p.len().max(1)).copied();
        match op % 7 {
            0 if sent.len() < MAX_SENDS => {
                let channel = usize::from(input.byte() % 4);
                let len = usize::from(input.byte()) * 7;
                let mut body = format!("#{} on {channel}: ", sent.len()).into_bytes();
                body.extend((0..len).map(|i| b'a' + (i % 26) as u8));
                let g = send(&mut sessions[SENDER[channel]], &mut rng, &body, None, false);
                pending.push(sent.len());
                sent.push(Sent {
                    channel,
                    genuine: g,
                    delivered: false,
                });
            }
            1 | 0 => {
                // Deliver (and remove from the transport).
                let b = input.byte();
                if pending.is_empty() {
                    continue;
                }
                let i = usize::from(b) % pending.len();
                let s = &mut sent[pending.remove(i)];
                let to = RECEIVER[s.channel];
                if s.delivered {
                    expect_rejected(&mut sessions, to, &s.genuine.envelope, "a duplicate");
                } else {
                    let msg = sessions[to]
                        .decrypt(proof(&sessions[to]), &s.genuine.envelope, NOW)
                        .expect("a genuine message decrypts");
                    assert_eq!(msg.body.expose(), &s.genuine.body[..]);
                    assert_eq!(msg.info.id, s.genuine.id);
                    s.delivered = true;
                }
            }
            2 => {
                // Duplicate in the transport.
                if let Some(i) = pick(&pending, input.byte()) {
                    pending.push(i);
                }
            }
            3 => {
                // Drop from the transport.
                let b = input.byte();
                if !pending.is_empty() {
                    pending.remove(usize::from(b) % pending.len());
                }
            }
            4 => {
                // Deliver a copy with one bit flipped.
                let Some(i) = pick(&pending, input.byte()) else {
                    continue;
                };
                let (hi, lo, bit) = (input.byte(), input.byte(), input.byte() % 8);
                let s = &sent[i];
                let mut env = s.genuine.envelope.clone();
                let at = usize::from(u16::from_be_bytes([hi, lo])) % env.len();
                env[at] ^= 1 << bit;
                expect_rejected(&mut sessions, RECEIVER[s.channel], &env, "a flipped bit");
            }
            5 => {
                // Deliver a truncated or extended copy.
                let Some(i) = pick(&pending, input.byte()) else {
                    continue;
                };
                let cut = usize::from(input.byte());
                let s = &sent[i];
                let mut env = s.genuine.envelope.clone();
                if cut % 2 == 0 {
                    env.truncate(env.len().saturating_sub(1 + cut / 2));
                } else {
                    env.extend(std::iter::repeat_n(0, 1 + cut / 2));
                }
                expect_rejected(
                    &mut sessions,
                    RECEIVER[s.channel],
                    &env,
                    "a resized envelope",
                );
            }
            _ => {
                // Deliver to a session it was not meant for.
                let Some(i) = pick(&pending, input.byte()) else {
                    continue;
                };
                let s = &sent[i];
                let to = (RECEIVER[s.channel] + 1 + usize::from(input.byte() % 3)) % 4;
                expect_rejected(&mut sessions, to, &s.genuine.envelope, "a misdelivery");
            }
        }
    }

    // Everything still outstanding, newest first (the hardest order).
    for s in sent.iter_mut().rev().filter(|s| !s.delivered) {
        let msg = sessions[RECEIVER[s.channel]]
            .decrypt(
                proof(&sessions[RECEIVER[s.channel]]),
                &s.genuine.envelope,
                NOW,
            )
            .expect("an outstanding genuine message decrypts");
        assert_eq!(msg.body.expose(), &s.genuine.body[..]);
        s.delivered = true;
    }
    // And nothing decrypts twice.
    for s in &sent {
        expect_rejected(
            &mut sessions,
            RECEIVER[s.channel],
            &s.genuine.envelope,
            "a second delivery",
        );
    }
    !sent.is_empty()
}

/// One seed file: target, file name, bytes. Names starting `genuine-` are
/// inputs the target must accept.
pub(crate) type Seed = (&'static str, String, Vec<u8>);

/// The seed corpus, drawn from real envelopes, bundles and identities made
/// by the fixtures above (so it is the same on every run).
pub(crate) fn seed_corpus() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::new();
    let d = decrypt_fixture();
    let a = accept_fixture();

    for tag in [0xA1, 0xB0, 0xC0] {
        let key = identity(tag).public().to_bytes().to_vec();
        seeds.push(("identity_key", format!("genuine-{tag:02x}"), key));
    }
    seeds.push((
        "identity_key",
        "unknown-version".into(),
        masked(&identity(0xA1).public().to_bytes(), &[0x03], false),
    ));

    seeds.push(("bundle", "genuine-published".into(), a.published.clone()));
    let mut rng = rng(0xB7);
    let mut store = PreKeyStore::new(&mut rng, &identity(0xB0));
    seeds.push(("bundle", "genuine-empty".into(), store.bundle().to_bytes()));
    store.generate_one_time_prekeys(&mut rng, 5).unwrap();
    let five = store.bundle().to_bytes();
    seeds.push(("bundle", "genuine-five".into(), five.clone()));
    let mut flipped = five;
    // The last byte of the fifth one-time prekey, before the KEM part.
    let last = 1 + IDENTITY_KEY_LEN + 100 + 2 + 5 * 36 - 1;
    flipped[last] ^= 0x40;
    // A one-time prekey is not signed: a changed one still parses.
    seeds.push(("bundle", "genuine-changed-one-time-key".into(), flipped));
    store
        .generate_kem_one_time_prekeys(&mut rng, &identity(0xB0), 2)
        .unwrap();
    let with_kem = store.bundle();
    seeds.push(("bundle", "genuine-kem-two".into(), with_kem.to_bytes()));
    let classical = {
        let bytes = with_kem.to_bytes();
        let mut v1 = bytes[..1 + IDENTITY_KEY_LEN + 100 + 2 + 5 * 36].to_vec();
        v1[0] = 1;
        v1
    };
    seeds.push(("bundle", "genuine-classical-v1".into(), classical));

    for (i, g) in d.genuine.iter().chain(&a.genuine).enumerate() {
        seeds.push(("envelope", format!("genuine-{i}"), g.envelope.clone()));
    }

    let d_aes = decrypt_fixture_aes();
    for (i, g) in d_aes.genuine.iter().enumerate() {
        seeds.push(("envelope", format!("genuine-aes-{i}"), g.envelope.clone()));
    }
    let mut aes_store = PreKeyStore::new(&mut rng, &identity(0xB0));
    aes_store
        .set_cipher_suites(&identity(0xB0), &[CipherSuite::Aes256GcmSiv])
        .unwrap();
    seeds.push((
        "bundle",
        "genuine-aes".into(),
        aes_store.bundle().to_bytes(),
    ));
    aes_store.generate_one_time_prekeys(&mut rng, 2).unwrap();
    aes_store
        .generate_kem_one_time_prekeys(&mut rng, &identity(0xB0), 2)
        .unwrap();
    seeds.push((
        "bundle",
        "genuine-aes-one-time".into(),
        aes_store.bundle().to_bytes(),
    ));

    for (target, genuine) in [
        ("session_decrypt", &d.genuine),
        ("session_decrypt_aes", &d_aes.genuine),
        ("handshake_accept", &a.genuine),
    ] {
        for (i, g) in genuine.iter().enumerate() {
            let i8 = u8::try_from(i).unwrap();
            let state = if g.valid_now { "genuine" } else { "rejected" };
            let mut raw = vec![0u8];
            raw.extend_from_slice(&g.envelope);
            seeds.push((target, format!("{state}-raw-{i}"), raw));
            seeds.push((target, format!("{state}-mask-{i}"), vec![1 | (i8 << 1)]));
            let mut flip = vec![1 | (i8 << 1)];
            flip.extend(std::iter::repeat_n(0, g.envelope.len() / 2));
            flip.push(0x10);
            seeds.push((target, format!("flip-{i}"), flip));
            seeds.push((
                target,
                format!("truncated-{i}"),
                vec![1 | (i8 << 1) | 0x20, 0, 0, 0],
            ));
        }
    }
    seeds.push(("handshake_accept", "wrong-peer-0".into(), vec![0x41]));

    // Conversation scripts: op, then its argument bytes (see `conversation`).
    let scripts: [(&str, &[u8]); 4] = [
        // Send on each channel, deliver everything in order.
        (
            "in-order",
            &[0, 0, 3, 0, 1, 9, 0, 2, 1, 0, 3, 30, 1, 0, 1, 0, 1, 0, 1, 0],
        ),
        // Send several, duplicate, drop, deliver out of order.
        (
            "reorder",
            &[0, 1, 0, 0, 1, 2, 0, 0, 1, 2, 0, 3, 1, 1, 2, 1, 1, 0, 1, 0],
        ),
        // Tamper: flip, resize, misdeliver, then the real thing.
        (
            "tamper",
            &[0, 0, 5, 4, 0, 0, 50, 3, 5, 0, 4, 6, 0, 1, 1, 0, 1, 0],
        ),
        // A long back and forth with a lost message on each side.
        (
            "ping-pong",
            &[
                0, 0, 1, 0, 0, 1, 3, 0, 1, 0, 0, 1, 2, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 2, 3, 0, 3,
                0, 0, 3, 2, 1, 0, 1, 0,
            ],
        ),
    ];
    for (name, script) in scripts {
        seeds.push(("conversation", format!("genuine-{name}"), script.to_vec()));
    }
    seeds
}
