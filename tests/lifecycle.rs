//! State at rest and the message lifecycle, through the public API only:
//! sealing every stateful type, crashes at every step of send and receive,
//! rollback to an older saved state, payload metadata and expiry, the
//! message vault, and the version-1 fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::path::PathBuf;

const FIXTURE_KEY: [u8; 32] = [0x42; 32];
const FIXTURE_BODY: &[u8] = b"fixture: bed 12 obs due 14:00";

struct Pair {
    alice: Session,
    bob: Session,
    alice_id: IdentityKeyPair,
    bob_prekeys: PreKeyStore,
    rng: ChaCha20Rng,
}

/// Alice starts a session with Bob; Bob replies so both send normal
/// messages from then on.
fn pair(seed: u64) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut bob_prekeys = PreKeyStore::new(&mut rng, &bob_id);
    bob_prekeys.generate_one_time_prekeys(&mut rng, 3).unwrap();
    let bundle = PreKeyBundle::from_bytes(&bob_prekeys.bundle().to_bytes()).unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bundle.identity())
        .unwrap();
    let mut alice = Session::initiate(&mut rng, &alice_id, &vb, &bundle).unwrap();
    let first = alice
        .encrypt(&mut rng, proof(&alice), OutgoingMessage::new(b"hello", 1))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let va = trust
        .check(
            &PeerId::new("alice").unwrap(),
            env.initiator_identity().unwrap(),
        )
        .unwrap();
    let (mut bob, m) = Session::accept(&bob_id, &mut bob_prekeys, &va, &env, 1).unwrap();
    assert_eq!(m.body.expose(), b"hello");
    let reply = bob
        .encrypt(&mut rng, proof(&bob), OutgoingMessage::new(b"hi", 2))
        .unwrap();
    alice.decrypt(proof(&alice), &reply.envelope, 2).unwrap();
    Pair {
        alice,
        bob,
        alice_id,
        bob_prekeys,
        rng,
    }
}

fn key(rng: &mut ChaCha20Rng) -> StorageKey {
    StorageKey::generate(rng)
}

// ---------------------------------------------------------------- sealing

#[test]
fn every_type_seals_and_unseals() {
    let mut p = pair(1);
    let k = key(&mut p.rng);
    let id: IdentityKeyPair = k.unseal(&k.seal(&mut p.rng, &p.alice_id)).unwrap();
    assert_eq!(id.public(), p.alice_id.public());
    let store: PreKeyStore = k.unseal(&k.seal(&mut p.rng, &p.bob_prekeys)).unwrap();
    assert_eq!(store.bundle(), p.bob_prekeys.bundle());
    assert_eq!(store.one_time_prekey_count(), 2);
    let s: Session = k.unseal(&k.seal(&mut p.rng, &p.bob)).unwrap();
    assert_eq!(s.state_digest(), p.bob.state_digest());
    let mut vault = MessageVault::new();
    let m = p
        .alice
        .encrypt(&mut p.rng, proof(&p.alice), OutgoingMessage::new(b"obs", 3))
        .unwrap();
    vault
        .insert(p.bob.decrypt(proof(&p.bob), &m.envelope, 3).unwrap(), 3)
        .unwrap();
    let v: MessageVault = k.unseal(&k.seal(&mut p.rng, &vault)).unwrap();
    assert_eq!(
        v.message(&MessageRef::new(p.bob.peer_identity(), m.id), 4)
            .unwrap()
            .1
            .expose(),
        b"obs"
    );
    assert_eq!(v.awaiting_filing(4), vault.awaiting_filing(4));
    let mut trust = TrustStore::new(TrustPolicy::RequireVerified);
    let peer = PeerId::new("bob").unwrap();
    trust
        .mark_verified(&peer, p.alice_id.public(), VerificationMethod::QrCode, 5)
        .unwrap();
    let t: TrustStore = k.unseal(&k.seal(&mut p.rng, &trust)).unwrap();
    assert_eq!(t.to_bytes().as_slice(), trust.to_bytes().as_slice());
    assert!(k.unseal::<Session>(&k.seal(&mut p.rng, &trust)).is_err());
}

#[test]
fn wrong_key_tampered_truncated_wrong_type_unknown_version() {
    let mut p = pair(2);
    let k = key(&mut p.rng);
    let sealed = k.seal(&mut p.rng, &p.alice);
    let before = p.alice.state_digest();
    let other = key(&mut p.rng);
    assert_eq!(
        other.unseal::<Session>(&sealed).unwrap_err(),
        Error::State(StateError::Unseal)
    );
    let mut t = sealed.clone();
    let mid = t.len() / 2;
    t[mid] ^= 0x20;
    assert_eq!(
        k.unseal::<Session>(&t).unwrap_err(),
        Error::State(StateError::Unseal)
    );
    assert_eq!(
        k.unseal::<Session>(&sealed[..sealed.len() - 1])
            .unwrap_err(),
        Error::State(StateError::Unseal)
    );
    assert_eq!(
        k.unseal::<Session>(&sealed[..20]).unwrap_err(),
        Error::Decode(DecodeError::Truncated)
    );
    assert_eq!(
        k.unseal::<PreKeyStore>(&sealed).unwrap_err(),
        Error::State(StateError::WrongType)
    );
    assert_eq!(
        k.unseal::<MessageVault>(&sealed).unwrap_err(),
        Error::State(StateError::WrongType)
    );
    let mut v = sealed.clone();
    v[0] = SEALED_STATE_VERSION_SLOT + 1;
    assert_eq!(
        k.unseal::<Session>(&v).unwrap_err(),
        Error::Decode(DecodeError::UnknownVersion)
    );
    assert_eq!(sealed[1], StateType::Session.tag());
    // Sealing changed nothing, and the state survives.
    assert_eq!(p.alice.state_digest(), before);
    assert_eq!(k.unseal::<Session>(&sealed).unwrap().state_digest(), before);
}

// ------------------------------------------------------- crash on sending

/// The sender's device: live state, and what is durably on disk.
struct Sender {
    live: Session,
    disk: Vec<u8>,
}

impl Sender {
    fn crash(&mut self, k: &StorageKey) {
        self.live = k.unseal(&self.disk).unwrap();
    }
}

#[derive(Clone, Copy, Debug)]
enum SendCrash {
    /// After encrypting, before the sealed state was saved: the envelope
    /// was never released.
    BeforeSave,
    /// After saving, before the transport took the envelope (it is lost).
    AfterSaveLost,
    /// After saving, with the envelope kept in a durable outbox and sent
    /// after restart.
    AfterSaveOutbox,
    /// After saving and after the transport took the envelope.
    AfterDelivery,
}

#[test]
fn crash_at_every_step_of_send_loses_nothing() {
    for (i, crash) in [
        SendCrash::BeforeSave,
        SendCrash::AfterSaveLost,
        SendCrash::AfterSaveOutbox,
        SendCrash::AfterDelivery,
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = pair(100 + i as u64);
        let k = key(&mut p.rng);
        let mut alice = Sender {
            disk: k.seal(&mut p.rng, &p.alice),
            live: p.alice,
        };
        let mut bob = p.bob;
        let mut shown: Vec<Vec<u8>> = Vec::new();
        let mut vault = MessageVault::new();
        let mut deliver = |bob: &mut Session, env: &[u8], shown: &mut Vec<Vec<u8>>| {
            let m = bob.decrypt(proof(bob), env, 10).unwrap();
            let body = m.body.expose().to_vec();
            if vault.insert(m, 10).unwrap() == Stored::New {
                shown.push(body);
            }
        };

        let pending = alice
            .live
            .encrypt_and_seal(
                &mut p.rng,
                &k,
                proof(&alice.live),
                OutgoingMessage::new(b"first", 5),
            )
            .unwrap();
        let mut outbox = None;
        match crash {
            SendCrash::BeforeSave => {
                // Neither saved nor sent: the app still has the draft.
                drop(pending);
                alice.crash(&k);
                let again = alice
                    .live
                    .encrypt_and_seal(
                        &mut p.rng,
                        &k,
                        proof(&alice.live),
                        OutgoingMessage::new(b"first", 5),
                    )
                    .unwrap();
                alice.disk = again.sealed_state().to_vec();
                deliver(&mut bob, &again.state_saved().envelope, &mut shown);
            }
            SendCrash::AfterSaveLost => {
                alice.disk = pending.sealed_state().to_vec();
                let _lost = pending.state_saved();
                alice.crash(&k);
                // The app re-sends the draft as a new message.
                let again = alice
                    .live
                    .encrypt_and_seal(
                        &mut p.rng,
                        &k,
                        proof(&alice.live),
                        OutgoingMessage::new(b"first", 5),
                    )
                    .unwrap();
                alice.disk = again.sealed_state().to_vec();
                deliver(&mut bob, &again.state_saved().envelope, &mut shown);
            }
            SendCrash::AfterSaveOutbox => {
                alice.disk = pending.sealed_state().to_vec();
                outbox = Some(pending.state_saved().envelope);
                alice.crash(&k);
            }
            SendCrash::AfterDelivery => {
                alice.disk = pending.sealed_state().to_vec();
                deliver(&mut bob, &pending.state_saved().envelope, &mut shown);
                alice.crash(&k);
            }
        }
        // After the restart the conversation goes on both ways.
        let next = alice
            .live
            .encrypt_and_seal(
                &mut p.rng,
                &k,
                proof(&alice.live),
                OutgoingMessage::new(b"second", 6),
            )
            .unwrap();
        alice.disk = next.sealed_state().to_vec();
        deliver(&mut bob, &next.state_saved().envelope, &mut shown);
        if let Some(env) = outbox {
            // The outbox copy arrives late, out of order: still decrypts.
            deliver(&mut bob, &env, &mut shown);
        }
        let reply = bob
            .encrypt(&mut p.rng, proof(&bob), OutgoingMessage::new(b"ack", 7))
            .unwrap();
        assert_eq!(
            alice
                .live
                .decrypt(proof(&alice.live), &reply.envelope, 7)
                .unwrap()
                .body
                .expose(),
            b"ack",
            "{crash:?}"
        );
        shown.sort();
        assert_eq!(
            shown,
            vec![b"first".to_vec(), b"second".to_vec()],
            "{crash:?}"
        );
    }
}

#[test]
fn released_envelope_always_matches_saved_state() {
    // The sealed state returned with the envelope already includes the
    // advance: restoring it and sending again never re-uses the counter.
    let mut p = pair(3);
    let k = key(&mut p.rng);
    let pending = p
        .alice
        .encrypt_and_seal(
            &mut p.rng,
            &k,
            proof(&p.alice),
            OutgoingMessage::new(b"one", 1),
        )
        .unwrap();
    let id = pending.id();
    assert!(format!("{pending:?}").contains("sealed_state_len"));
    let mut restored: Session = k.unseal(pending.sealed_state()).unwrap();
    assert_eq!(restored.state_digest(), p.alice.state_digest());
    let first = pending.state_saved();
    assert_eq!(first.id, id);
    let second = restored
        .encrypt(
            &mut p.rng,
            proof(&restored),
            OutgoingMessage::new(b"two", 2),
        )
        .unwrap();
    assert_eq!(
        p.bob
            .decrypt(proof(&p.bob), &first.envelope, 3)
            .unwrap()
            .body
            .expose(),
        b"one"
    );
    assert_eq!(
        p.bob
            .decrypt(proof(&p.bob), &second.envelope, 3)
            .unwrap()
            .body
            .expose(),
        b"two"
    );
}

// ----------------------------------------------------- crash on receiving

/// The receiver's device: live state and disk, in the documented order.
struct Receiver {
    session: Session,
    vault: MessageVault,
    disk_session: Vec<u8>,
    disk_vault: Vec<u8>,
    shown: Vec<MessageId>,
}

impl Receiver {
    fn crash(&mut self, k: &StorageKey) {
        self.session = k.unseal(&self.disk_session).unwrap();
        self.vault = k.unseal(&self.disk_vault).unwrap();
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum RecvCrash {
    AfterDecrypt,
    AfterVaultSave,
    AfterSessionSave,
    AfterAck,
    None,
}

/// Receives `env`, crashing at `crash`. Returns whether the transport
/// was acknowledged (so it will not deliver again).
fn receive(
    r: &mut Receiver,
    k: &StorageKey,
    rng: &mut ChaCha20Rng,
    env: &[u8],
    crash: RecvCrash,
) -> bool {
    let (msg, sealed_session) = match r
        .session
        .decrypt_and_seal(rng, k, proof(&r.session), env, 20)
    {
        Ok(v) => v,
        // Already fully processed: acknowledge, show nothing.
        Err(Error::Protocol(ProtocolError::DuplicateMessage)) => return true,
        Err(e) => panic!("{e}"),
    };
    let id = msg.info.id;
    let stored = r.vault.insert(msg, 20).unwrap();
    if crash == RecvCrash::AfterDecrypt {
        r.crash(k);
        return false;
    }
    r.disk_vault = k.seal(rng, &r.vault);
    // Show (notify) only what the saved vault holds for the first time.
    if stored == Stored::New {
        r.shown.push(id);
    }
    if crash == RecvCrash::AfterVaultSave {
        r.crash(k);
        return false;
    }
    r.disk_session = sealed_session;
    if crash == RecvCrash::AfterSessionSave {
        r.crash(k);
        return false;
    }
    if crash == RecvCrash::AfterAck {
        r.crash(k);
    }
    true
}

#[test]
fn crash_at_every_step_of_receive_shows_each_message_once() {
    for (i, crash) in [
        RecvCrash::AfterDecrypt,
        RecvCrash::AfterVaultSave,
        RecvCrash::AfterSessionSave,
        RecvCrash::AfterAck,
        RecvCrash::None,
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = pair(200 + i as u64);
        let k = key(&mut p.rng);
        let mut bob = Receiver {
            disk_session: k.seal(&mut p.rng, &p.bob),
            disk_vault: k.seal(&mut p.rng, &MessageVault::new()),
            session: p.bob,
            vault: MessageVault::new(),
            shown: Vec::new(),
        };
        let m1 = p
            .alice
            .encrypt(
                &mut p.rng,
                proof(&p.alice),
                OutgoingMessage::new(b"BP 80/50", 10),
            )
            .unwrap();
        let m2 = p
            .alice
            .encrypt(
                &mut p.rng,
                proof(&p.alice),
                OutgoingMessage::new(b"fluids up", 11),
            )
            .unwrap();
        // The transport delivers m1 until acknowledged (the first try
        // crashes at `crash`), then m2.
        let mut tries = 0;
        let mut acked = receive(&mut bob, &k, &mut p.rng, &m1.envelope, crash);
        while !acked {
            tries += 1;
            acked = receive(&mut bob, &k, &mut p.rng, &m1.envelope, RecvCrash::None);
        }
        assert!(tries <= 1, "{crash:?}");
        assert!(receive(
            &mut bob,
            &k,
            &mut p.rng,
            &m2.envelope,
            RecvCrash::None
        ));
        // Shown once each, held once each, and the saved state agrees.
        let shown_m1 = bob.shown.iter().filter(|id| **id == m1.id).count();
        assert_eq!(shown_m1, 1, "{crash:?}");
        assert_eq!(bob.shown.iter().filter(|id| **id == m2.id).count(), 1);
        bob.crash(&k);
        assert_eq!(bob.vault.len(), 2, "{crash:?}");
        assert_eq!(
            bob.vault
                .message(&MessageRef::new(p.alice_id.public(), m1.id), 21)
                .unwrap()
                .1
                .expose(),
            b"BP 80/50"
        );
        // A late duplicate from the transport is refused by the session.
        assert_eq!(
            bob.session
                .decrypt(proof(&bob.session), &m1.envelope, 22)
                .unwrap_err(),
            Error::Protocol(ProtocolError::DuplicateMessage)
        );
    }
}

#[test]
fn saving_the_session_before_the_vault_would_lose_the_message() {
    // Why the documented order is vault first: the opposite order, with a
    // crash between the saves, leaves a message no saved state can decrypt.
    let mut p = pair(4);
    let k = key(&mut p.rng);
    let m = p
        .alice
        .encrypt(
            &mut p.rng,
            proof(&p.alice),
            OutgoingMessage::new(b"call me", 1),
        )
        .unwrap();
    let (_msg, sealed) = p
        .bob
        .decrypt_and_seal(&mut p.rng, &k, proof(&p.bob), &m.envelope, 2)
        .unwrap();
    let mut restored: Session = k.unseal(&sealed).unwrap();
    assert_eq!(
        restored
            .decrypt(proof(&restored), &m.envelope, 3)
            .unwrap_err(),
        Error::Protocol(ProtocolError::DuplicateMessage)
    );
}

#[test]
fn failed_decrypt_seals_nothing_and_changes_nothing() {
    let mut p = pair(5);
    let k = key(&mut p.rng);
    let m = p
        .alice
        .encrypt(&mut p.rng, proof(&p.alice), OutgoingMessage::new(b"x", 1))
        .unwrap();
    let before = p.bob.state_digest();
    let mut bad = m.envelope.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        p.bob
            .decrypt_and_seal(&mut p.rng, &k, proof(&p.bob), &bad, 2)
            .unwrap_err(),
        Error::Crypto(CryptoError::DecryptFailed)
    );
    assert_eq!(p.bob.state_digest(), before);
}

// ---------------------------------------------------------------- rollback

/// `normal: 0x01 | 0x02 | header (40) | nonce (24) | ciphertext | tag (16)`
fn split_envelope(env: &[u8]) -> (&[u8], &[u8], &[u8]) {
    assert_eq!(&env[..2], &[ENVELOPE_VERSION, 0x02]);
    let header = &env[2..42];
    let nonce = &env[42..66];
    let ct = &env[66..env.len() - 16];
    (header, nonce, ct)
}

/// The padded payload as `docs/PROTOCOL.md` §6 lays it out.
fn payload(info: &MessageInfo, body: &[u8], len: usize) -> Vec<u8> {
    let mut p = vec![1u8, u8::from(info.contains_patient_data)];
    p.extend_from_slice(&info.id.0);
    p.extend_from_slice(&info.sent_at.to_be_bytes());
    p.extend_from_slice(&0u64.to_be_bytes());
    p.extend_from_slice(&(body.len() as u32).to_be_bytes());
    p.extend_from_slice(body);
    p.resize(len, 0);
    p
}

#[test]
fn restoring_an_old_state_never_reuses_a_keystream() {
    let mut p = pair(6);
    let k = key(&mut p.rng);
    // One message first, so the saved state holds a sending chain and the
    // rolled-back sender derives the very same message key again (right
    // after a reply it would start a new chain with a fresh ratchet key).
    let warm = p
        .alice
        .encrypt(
            &mut p.rng,
            proof(&p.alice),
            OutgoingMessage::new(b"warm", 29),
        )
        .unwrap();
    p.bob.decrypt(proof(&p.bob), &warm.envelope, 29).unwrap();
    let saved = k.seal(&mut p.rng, &p.alice);
    let bob_saved = k.seal(&mut p.rng, &p.bob);
    let (b1, b2) = (
        b"Patient in bay 4 is stable".as_slice(),
        b"Patient in bay 9 is septic".as_slice(),
    );
    let m1 = p
        .alice
        .encrypt(&mut p.rng, proof(&p.alice), OutgoingMessage::new(b1, 30))
        .unwrap();
    let mut rolled_back: Session = k.unseal(&saved).unwrap();
    let m2 = rolled_back
        .encrypt(
            &mut p.rng,
            proof(&rolled_back),
            OutgoingMessage::new(b2, 30),
        )
        .unwrap();
    let (h1, n1, c1) = split_envelope(&m1.envelope);
    let (h2, n2, c2) = split_envelope(&m2.envelope);
    // Same ratchet key and counter: the same message key was derived twice.
    assert_eq!(h1, h2);
    assert_eq!(c1.len(), c2.len());
    assert_ne!(n1, n2, "a fresh nonce per message");
    // Each decrypts from the receiver's saved state.
    let mut saved_bob: Session = k.unseal(&bob_saved).unwrap();
    let r1 = saved_bob
        .decrypt(proof(&saved_bob), &m1.envelope, 31)
        .unwrap();
    let mut saved_bob: Session = k.unseal(&bob_saved).unwrap();
    let r2 = saved_bob
        .decrypt(proof(&saved_bob), &m2.envelope, 31)
        .unwrap();
    assert_eq!(r1.body.expose(), b1);
    assert_eq!(r2.body.expose(), b2);
    let p1 = payload(&r1.info, b1, c1.len());
    let p2 = payload(&r2.info, b2, c2.len());
    // The layout is right: XOR with the plaintext gives a keystream that
    // differs between the two, so XOR of ciphertexts is not XOR of
    // plaintexts anywhere in a 16-byte window.
    let ks1: Vec<u8> = c1.iter().zip(&p1).map(|(c, p)| c ^ p).collect();
    let ks2: Vec<u8> = c2.iter().zip(&p2).map(|(c, p)| c ^ p).collect();
    assert_ne!(ks1, ks2);
    let xc: Vec<u8> = c1.iter().zip(c2).map(|(a, b)| a ^ b).collect();
    let xp: Vec<u8> = p1.iter().zip(&p2).map(|(a, b)| a ^ b).collect();
    assert_ne!(xc, xp);
    for (a, b) in xc.chunks(16).zip(xp.chunks(16)) {
        assert_ne!(a, b, "no shared keystream block");
    }
    // An up-to-date receiver refuses the re-used counter with a typed
    // error: nothing is shown twice or mis-decrypted.
    p.bob.decrypt(proof(&p.bob), &m1.envelope, 31).unwrap();
    assert_eq!(
        p.bob.decrypt(proof(&p.bob), &m2.envelope, 31).unwrap_err(),
        Error::Protocol(ProtocolError::DuplicateMessage)
    );
}

// ------------------------------------------------------ payload metadata

#[test]
fn metadata_travels_inside_the_encryption() {
    let mut p = pair(7);
    let m = p
        .alice
        .encrypt(
            &mut p.rng,
            proof(&p.alice),
            OutgoingMessage::new(b"NHS 943 476 5919 bloods", 1_700_000_000)
                .expires_at(1_700_086_400)
                .contains_patient_data(true),
        )
        .unwrap();
    let r = p
        .bob
        .decrypt(proof(&p.bob), &m.envelope, 1_700_000_010)
        .unwrap();
    assert_eq!(r.info.id, m.id);
    assert_eq!(r.info.sent_at, 1_700_000_000);
    assert_eq!(r.info.expires_at, Some(1_700_086_400));
    assert!(r.info.contains_patient_data);
    // None of it is visible in the envelope.
    let w = |n: u64| n.to_be_bytes();
    for needle in [
        w(1_700_000_000).to_vec(),
        w(1_700_086_400).to_vec(),
        m.id.0.to_vec(),
    ] {
        assert!(!m.envelope.windows(needle.len()).any(|x| x == needle));
    }
    let plain = p
        .alice
        .encrypt(
            &mut p.rng,
            proof(&p.alice),
            OutgoingMessage::new(b"coffee?", 5),
        )
        .unwrap();
    let r = p.bob.decrypt(proof(&p.bob), &plain.envelope, 6).unwrap();
    assert_eq!(r.info.expires_at, None);
    assert!(!r.info.contains_patient_data);
}

#[test]
fn expired_message_is_refused_and_changes_nothing() {
    let mut p = pair(8);
    let m = p
        .alice
        .encrypt(
            &mut p.rng,
            proof(&p.alice),
            OutgoingMessage::new(b"theatre 3 free", 100).expires_at(200),
        )
        .unwrap();
    let before = p.bob.state_digest();
    for now in [200, 201, u64::MAX] {
        assert_eq!(
            p.bob.decrypt(proof(&p.bob), &m.envelope, now).unwrap_err(),
            Error::Protocol(ProtocolError::Expired)
        );
        assert_eq!(p.bob.state_digest(), before);
    }
    assert_eq!(
        p.bob
            .decrypt(proof(&p.bob), &m.envelope, 199)
            .unwrap()
            .body
            .expose(),
        b"theatre 3 free"
    );
    // An unexpired message can still expire while it waits in the vault.
    let m = p
        .alice
        .encrypt(
            &mut p.rng,
            proof(&p.alice),
            OutgoingMessage::new(b"x", 100).expires_at(300),
        )
        .unwrap();
    let r = p.bob.decrypt(proof(&p.bob), &m.envelope, 250).unwrap();
    let mut vault = MessageVault::new();
    assert_eq!(
        vault.insert(r, 300).unwrap_err(),
        Error::Protocol(ProtocolError::Expired)
    );
    assert!(vault.is_empty());
}

// ------------------------------------------------------------------ vault

#[test]
fn vault_files_purges_and_reports() {
    let mut p = pair(9);
    let mut vault = MessageVault::new();
    let mut ids = Vec::new();
    for (i, (body, exp, pd)) in [
        (b"K+ 6.2".as_slice(), None, true),
        (b"rota swap?".as_slice(), Some(1_000), false),
        (b"CT booked".as_slice(), None, false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut out = OutgoingMessage::new(body, 100).contains_patient_data(pd);
        if let Some(e) = exp {
            out = out.expires_at(e);
        }
        let m = p.alice.encrypt(&mut p.rng, proof(&p.alice), out).unwrap();
        let r = p.bob.decrypt(proof(&p.bob), &m.envelope, 100).unwrap();
        assert_eq!(
            r.message_ref(),
            MessageRef::new(p.bob.peer_identity(), m.id)
        );
        ids.push(r.message_ref());
        assert_eq!(vault.insert(r, 100 + i as u64).unwrap(), Stored::New);
    }
    let report = vault.awaiting_filing(500);
    assert_eq!(
        report.iter().map(|a| a.message).collect::<Vec<_>>(),
        ids,
        "oldest first"
    );
    assert_eq!(report[0].age_secs, 400);
    assert!(report[0].contains_patient_data);
    assert!(!format!("{report:?}").contains("6.2"));

    let mut record: Vec<Vec<u8>> = Vec::new();
    let failed: Result<(), FileError<&str>> =
        vault.file_to_record(&ids[0], |_, _| Err("EPR unavailable"));
    assert_eq!(failed, Err(FileError::Record("EPR unavailable")));
    assert_eq!(vault.len(), 3);
    vault
        .file_to_record(&ids[0], |info, body| {
            assert!(info.contains_patient_data);
            record.push(body.expose().to_vec());
            Ok::<_, ()>(())
        })
        .unwrap();
    assert_eq!(record, vec![b"K+ 6.2".to_vec()]);
    assert!(!vault.contains(&ids[0]));
    assert_eq!(vault.purge_expired(999), Vec::<MessageRef>::new());
    assert_eq!(vault.purge_expired(1_000), vec![ids[1]]);
    let left = vault.awaiting_filing(2_000);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].message, ids[2]);
    // A filed message delivered again (after restoring an old session) is
    // recognised, not shown again.
    let k = key(&mut p.rng);
    let sealed = k.seal(&mut p.rng, &vault);
    let mut vault: MessageVault = k.unseal(&sealed).unwrap();
    let m = p
        .alice
        .encrypt(
            &mut p.rng,
            proof(&p.alice),
            OutgoingMessage::new(b"again", 3_000),
        )
        .unwrap();
    let bob_before = k.seal(&mut p.rng, &p.bob);
    let r = p.bob.decrypt(proof(&p.bob), &m.envelope, 3_000).unwrap();
    vault.insert(r, 3_000).unwrap();
    assert!(vault.erase(&MessageRef::new(p.bob.peer_identity(), m.id)));
    let mut old_bob: Session = k.unseal(&bob_before).unwrap();
    let again = old_bob
        .decrypt(proof(&old_bob), &m.envelope, 3_001)
        .unwrap();
    assert_eq!(vault.insert(again, 3_001).unwrap(), Stored::Duplicate);
    assert_eq!(
        format!("{vault:?}"),
        "MessageVault { messages: 1, handled_ids: 3 }"
    );
}

// --------------------------------------------------------------- fixtures

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

const FIXTURES: [&str; 5] = [
    "state_v1_identity.bin",
    "state_v1_prekeys.bin",
    "state_v1_session.bin",
    "state_v1_vault.bin",
    "state_v1_envelope.bin",
];

/// The fixtures of the current formats (prekey store and session state
/// version 2, envelope version 2 from a PQXDH session).
const FIXTURES_V2: [&str; 5] = [
    "state_v2_identity.bin",
    "state_v2_prekeys.bin",
    "state_v2_session.bin",
    "state_v2_vault.bin",
    "state_v2_envelope.bin",
];

/// Writes the current fixtures (deterministically) when
/// `BLEEP_REGENERATE_FIXTURES=1`; otherwise does nothing. Only regenerate
/// for a *new* format version, under new names, keeping the old files.
#[test]
fn regenerate_fixtures() {
    if std::env::var("BLEEP_REGENERATE_FIXTURES").as_deref() != Ok("1") {
        return;
    }
    let mut rng = ChaCha20Rng::seed_from_u64(0x000b_1ee9);
    let k = StorageKey::from_bytes(FIXTURE_KEY);
    let alice = IdentityKeyPair::from_seed_bytes([1; 32]);
    let bob = IdentityKeyPair::from_seed_bytes([2; 32]);
    let mut prekeys = PreKeyStore::new(&mut rng, &bob);
    prekeys.generate_one_time_prekeys(&mut rng, 3).unwrap();
    prekeys
        .generate_kem_one_time_prekeys(&mut rng, &bob, 2)
        .unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice.public())
        .unwrap();
    let mut a = Session::initiate(&mut rng, &alice, &vb, &prekeys.bundle()).unwrap();
    let first = a
        .encrypt(&mut rng, proof(&a), OutgoingMessage::new(b"hello", 1))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let (b, m) = Session::accept(&bob, &mut prekeys, &va, &env, 1).unwrap();
    let mut vault = MessageVault::new();
    vault.insert(m, 1).unwrap();
    let fixture = a
        .encrypt(
            &mut rng,
            proof(&a),
            OutgoingMessage::new(FIXTURE_BODY, 2)
                .expires_at(4_000_000_000)
                .contains_patient_data(true),
        )
        .unwrap();
    let files: [Vec<u8>; 5] = [
        k.seal(&mut rng, &bob),
        k.seal(&mut rng, &prekeys),
        k.seal(&mut rng, &b),
        k.seal(&mut rng, &vault),
        fixture.envelope,
    ];
    std::fs::create_dir_all(fixture_dir()).unwrap();
    for (name, bytes) in FIXTURES_V2.iter().zip(files) {
        std::fs::write(fixture_dir().join(name), bytes).unwrap();
    }
}

#[test]
fn version_1_fixtures_still_load() {
    let read = |name: &str| std::fs::read(fixture_dir().join(name)).unwrap();
    let k = StorageKey::from_bytes(FIXTURE_KEY);
    let bob = IdentityKeyPair::from_seed_bytes([2; 32]);
    let alice = IdentityKeyPair::from_seed_bytes([1; 32]);

    let id_bytes = read(FIXTURES[0]);
    assert_eq!(&id_bytes[..2], &[1, 1]);
    let id: IdentityKeyPair = k.unseal(&id_bytes).unwrap();
    assert_eq!(id.public(), bob.public());

    let mut prekeys: PreKeyStore = k.unseal(&read(FIXTURES[1])).unwrap();
    assert_eq!(prekeys.bundle().identity(), bob.public());
    // Three were generated; the handshake consumed one.
    assert_eq!(prekeys.one_time_prekey_count(), 2);
    // A version-1 store has no ML-KEM prekeys: its bundle is classical
    // (version 1), which current initiators refuse, until the next
    // rotation adds a last-resort ML-KEM prekey.
    let bundle = prekeys.bundle();
    assert!(!bundle.has_post_quantum_prekeys());
    assert_eq!(bundle.to_bytes()[0], 1);
    let mut rng = ChaCha20Rng::seed_from_u64(0x0f1);
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob.public())
        .unwrap();
    assert_eq!(
        Session::initiate(&mut rng, &alice, &vb, &bundle).unwrap_err(),
        Error::Protocol(ProtocolError::PostQuantumRequired)
    );
    prekeys.rotate_signed_prekey(&mut rng, &bob);
    assert!(prekeys.bundle().has_post_quantum_prekeys());
    let a = Session::initiate(&mut rng, &alice, &vb, &prekeys.bundle()).unwrap();
    assert_eq!(a.handshake_kind(), HandshakeKind::PostQuantum);

    // A version-1 session loads as classical and keeps working in
    // version-1 envelopes.
    let mut session: Session = k.unseal(&read(FIXTURES[2])).unwrap();
    assert_eq!(session.peer_identity(), alice.public());
    assert_eq!(session.handshake_kind(), HandshakeKind::Classical);
    assert_eq!(read(FIXTURES[4])[0], 1);
    let m = session
        .decrypt(proof(&session), &read(FIXTURES[4]), 3)
        .unwrap();
    assert_eq!(m.body.expose(), FIXTURE_BODY);
    assert_eq!(m.info.sent_at, 2);
    assert_eq!(m.info.expires_at, Some(4_000_000_000));
    assert!(m.info.contains_patient_data);

    // A version-1 vault recorded no senders, so it cannot de-duplicate on
    // (sender, id): it is refused, with a typed error, not misread.
    assert_eq!(
        k.unseal::<MessageVault>(&read(FIXTURES[3])).unwrap_err(),
        Error::Decode(DecodeError::UnknownVersion)
    );
}

#[test]
fn version_2_fixtures_still_load() {
    let read = |name: &str| std::fs::read(fixture_dir().join(name)).unwrap();
    let k = StorageKey::from_bytes(FIXTURE_KEY);
    let bob = IdentityKeyPair::from_seed_bytes([2; 32]);
    let alice = IdentityKeyPair::from_seed_bytes([1; 32]);
    let id: IdentityKeyPair = k.unseal(&read(FIXTURES_V2[0])).unwrap();
    assert_eq!(id.public(), bob.public());
    let prekeys: PreKeyStore = k.unseal(&read(FIXTURES_V2[1])).unwrap();
    assert!(prekeys.bundle().has_post_quantum_prekeys());
    // The handshake used one one-time prekey of each kind.
    assert_eq!(prekeys.one_time_prekey_count(), 2);
    assert_eq!(prekeys.kem_one_time_prekey_count(), 1);
    let mut session: Session = k.unseal(&read(FIXTURES_V2[2])).unwrap();
    assert_eq!(session.peer_identity(), alice.public());
    assert_eq!(session.handshake_kind(), HandshakeKind::PostQuantum);
    let envelope = read(FIXTURES_V2[4]);
    assert_eq!(envelope[0], ENVELOPE_VERSION);
    let m = session.decrypt(proof(&session), &envelope, 3).unwrap();
    assert_eq!(m.body.expose(), FIXTURE_BODY);
    let vault: MessageVault = k.unseal(&read(FIXTURES_V2[3])).unwrap();
    assert_eq!(vault.awaiting_filing(10).len(), 1);
}

// --------------------------------------------------------------- proptest

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A vault holding the given messages (bodies, expiry, patient flag),
    /// received one second apart.
    fn vault_of(msgs: &[(Vec<u8>, Option<u64>, bool)], seed: u64) -> MessageVault {
        let mut p = pair(seed);
        let mut vault = MessageVault::new();
        for (i, (body, exp, pd)) in msgs.iter().enumerate() {
            let mut out = OutgoingMessage::new(body, 1).contains_patient_data(*pd);
            if let Some(e) = exp {
                out = out.expires_at(1_000 + e);
            }
            let m = p.alice.encrypt(&mut p.rng, proof(&p.alice), out).unwrap();
            let r = p.bob.decrypt(proof(&p.bob), &m.envelope, 2).unwrap();
            vault.insert(r, 2 + i as u64).unwrap();
        }
        vault
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Sealing preserves every held message and its metadata, and any
        /// single altered byte or truncation is a typed error.
        #[test]
        fn sealed_vault_round_trips_and_detects_damage(
            msgs in proptest::collection::vec(
                (proptest::collection::vec(any::<u8>(), 0..200), proptest::option::of(0u64..1_000), any::<bool>()),
                0..6,
            ),
            at in any::<proptest::sample::Index>(),
            flip in 1u8..=255,
            cut in any::<proptest::sample::Index>(),
        ) {
            let vault = vault_of(&msgs, 300);
            let mut rng = ChaCha20Rng::seed_from_u64(301);
            let k = key(&mut rng);
            let sealed = k.seal(&mut rng, &vault);
            let back: MessageVault = k.unseal(&sealed).unwrap();
            prop_assert_eq!(back.awaiting_filing(5), vault.awaiting_filing(5));
            for a in vault.awaiting_filing(5) {
                prop_assert!(back.message(&a.message, 5).unwrap().1 == vault.message(&a.message, 5).unwrap().1);
            }
            let mut bad = sealed.clone();
            bad[at.index(sealed.len())] ^= flip;
            prop_assert!(k.unseal::<MessageVault>(&bad).is_err());
            prop_assert!(k.unseal::<MessageVault>(&sealed[..cut.index(sealed.len())]).is_err());
        }

        /// Arbitrary bytes never unseal, for any type, and never panic.
        #[test]
        fn arbitrary_bytes_never_unseal(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let k = StorageKey::from_bytes(FIXTURE_KEY);
            prop_assert!(k.unseal::<IdentityKeyPair>(&bytes).is_err());
            prop_assert!(k.unseal::<PreKeyStore>(&bytes).is_err());
            prop_assert!(k.unseal::<Session>(&bytes).is_err());
            prop_assert!(k.unseal::<MessageVault>(&bytes).is_err());
            for ty in 0..4 {
                let _ = bleep::fuzz_decode_state(ty, &bytes);
            }
        }
    }
}

/// A fresh proof for the session's peer from a trust-on-first-use store,
/// for tests of something other than the trust decision.
fn proof(s: &Session) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}
