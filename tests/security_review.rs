//! The security review's findings on trust, vault and sealed state, each
//! stated as the behaviour that closes it, through the public API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: u64 = 1_750_000_000;
const YEAR: u64 = 365 * 24 * 3600;

fn details(name: &str) -> ClinicianDetails {
    ClinicianDetails::new(
        name,
        "Consultant",
        Registration::new(RegulatoryBody::Gmc, "7654321").unwrap(),
        "RRK",
    )
    .unwrap()
}

/// Alice (a strict trust store that trusts `org`) and Bob, attested by `org`
/// for his directory id, with a session each way.
struct Ward {
    rng: ChaCha20Rng,
    org: OrganisationKey,
    alice_id: PeerId,
    bob_id: PeerId,
    bob: IdentityKeyPair,
    alice_trust: TrustStore,
    bob_trust: TrustStore,
    a: Session,
    b: Session,
}

fn ward(seed: u64) -> Ward {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let org = OrganisationKey::from_seed_bytes([0x0A; 32]);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let (alice_id, bob_id) = (
        PeerId::new("alice@rrk.nhs.uk").unwrap(),
        PeerId::new("dr.okafor@rrk.nhs.uk").unwrap(),
    );
    let mut alice_trust = TrustStore::new(TrustPolicy::RequireVerified);
    alice_trust.trust_organisation(org.public_key()).unwrap();
    let att = org
        .attest(
            1,
            &bob_id,
            bob.public(),
            &details("Dr Okafor"),
            NOW,
            NOW + YEAR,
        )
        .unwrap();
    let verified_bob = alice_trust
        .verify_by_attestation(&bob_id, bob.public(), &att, NOW)
        .unwrap();
    let mut bob_prekeys = PreKeyStore::new(&mut rng, &bob);
    let bundle = PreKeyBundle::from_bytes(&bob_prekeys.bundle().to_bytes()).unwrap();
    let mut a = Session::initiate(&mut rng, &alice, &verified_bob, &bundle).unwrap();
    let first = a
        .encrypt(&mut rng, verified_bob, OutgoingMessage::new(b"hi", NOW))
        .unwrap();
    let mut bob_trust = TrustStore::new(TrustPolicy::RequireVerified);
    let verified_alice = bob_trust
        .mark_verified(&alice_id, alice.public(), VerificationMethod::QrCode, NOW)
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let (b, _) = Session::accept(&bob, &mut bob_prekeys, &verified_alice, &env, NOW).unwrap();
    Ward {
        rng,
        org,
        alice_id,
        bob_id,
        bob,
        alice_trust,
        bob_trust,
        a,
        b,
    }
}

impl Ward {
    /// A fresh organisation attestation of Bob's key for his directory id.
    fn attest_bob(&self, serial: u64) -> Attestation {
        self.org
            .attest(
                serial,
                &self.bob_id,
                self.bob.public(),
                &details("Dr Okafor"),
                NOW,
                NOW + YEAR,
            )
            .unwrap()
    }

    /// Bob sends; Alice receives with a proof from her trust store at `now`.
    fn bob_to_alice(&mut self, now: u64) -> Result<ReceivedMessage> {
        let proof = self
            .bob_trust
            .check_at(&self.alice_id, self.b.peer_identity(), now)?;
        let sent = self
            .b
            .encrypt(&mut self.rng, proof, OutgoingMessage::new(b"obs", now))?;
        let proof = self
            .alice_trust
            .check_at(&self.bob_id, self.a.peer_identity(), now)?;
        self.a.decrypt(proof, &sent.envelope, now)
    }

    /// Alice sends with a proof from her trust store at `now`.
    fn alice_sends(&mut self, now: u64) -> Result<EncryptedMessage> {
        let proof = self
            .alice_trust
            .check_at(&self.bob_id, self.a.peer_identity(), now)?;
        self.a
            .encrypt(&mut self.rng, proof, OutgoingMessage::new(b"ok", now))
    }
}

/// Item 2: the signed attestation names the directory id; it verifies that
/// peer and no other.
#[test]
fn attestation_is_bound_to_its_peer() {
    let mut w = ward(1);
    let impostor = PeerId::new("dr.someone-else@rrk.nhs.uk").unwrap();
    let att = w.attest_bob(2);
    let before = w.alice_trust.clone();
    assert_eq!(
        w.alice_trust
            .verify_by_attestation(&impostor, w.bob.public(), &att, NOW)
            .unwrap_err(),
        Error::Trust(TrustError::AttestationPeerMismatch)
    );
    assert_eq!(w.alice_trust, before);
    assert!(w.alice_trust.verification(&impostor).is_none());
    let parsed = Attestation::from_bytes(&att.to_bytes()).unwrap();
    assert_eq!(parsed.peer(), &w.bob_id);
}

/// Item 2: `not_before` is checked again on every use (a clock set back
/// before the validity period refuses the key).
#[test]
fn attestation_validity_start_is_rechecked() {
    let mut w = ward(2);
    assert!(
        w.alice_trust
            .check_at(&w.bob_id, w.bob.public(), NOW)
            .is_ok()
    );
    assert_eq!(
        w.alice_trust
            .check_at(&w.bob_id, w.bob.public(), NOW - 1)
            .unwrap_err(),
        Error::Trust(TrustError::AttestationNotYetValid)
    );
}

/// Item 3: a revocation stops the next send and the next receive on an
/// existing session; verifying again resumes both.
#[test]
fn revocation_stops_an_established_session_both_ways() {
    let mut w = ward(3);
    w.bob_to_alice(NOW + 1).unwrap();
    w.alice_sends(NOW + 1).unwrap();
    let list = w.org.revocation_list(1, NOW + 2, &[1]).unwrap();
    w.alice_trust.add_revocation_list(list).unwrap();
    let a_before = w.a.state_digest();
    assert_eq!(
        w.alice_sends(NOW + 3).unwrap_err(),
        Error::Trust(TrustError::AttestationRevoked)
    );
    assert_eq!(
        w.bob_to_alice(NOW + 3).unwrap_err(),
        Error::Trust(TrustError::AttestationRevoked)
    );
    assert_eq!(w.a.state_digest(), a_before);
    // The organisation issues a new attestation; Alice verifies it again.
    let att = w.attest_bob(2);
    w.alice_trust
        .verify_by_attestation(&w.bob_id, w.bob.public(), &att, NOW + 4)
        .unwrap();
    w.alice_sends(NOW + 5).unwrap();
    // Bob's message sent while Alice was refusing is still readable.
    assert_eq!(w.bob_to_alice(NOW + 5).unwrap().body.expose(), b"obs");
}

/// Item 3: a proof for someone else is refused and changes nothing.
#[test]
fn a_proof_for_another_identity_is_refused() {
    let mut w = ward(4);
    let mut rng = ChaCha20Rng::seed_from_u64(40);
    let carol = IdentityKeyPair::generate(&mut rng);
    let carol_id = PeerId::new("carol").unwrap();
    let proof = w
        .alice_trust
        .mark_verified(&carol_id, carol.public(), VerificationMethod::QrCode, NOW)
        .unwrap();
    let before = w.a.state_digest();
    assert_eq!(
        w.a.encrypt(&mut rng, proof, OutgoingMessage::new(b"x", NOW))
            .unwrap_err(),
        Error::Trust(TrustError::IdentityMismatch)
    );
    assert_eq!(w.a.state_digest(), before);
}

/// Item 5: the vault keys messages by (sender, id); a colliding id from
/// another sender does not hide the genuine message.
#[test]
fn vault_deduplicates_per_sender() {
    let mut w = ward(5);
    let mut vault = MessageVault::new();
    let genuine = w.bob_to_alice(NOW + 1).unwrap();
    let genuine_ref = genuine.message_ref();
    assert!(genuine_ref.is_from(w.bob.public()));
    assert_eq!(&genuine.sender, w.bob.public());
    // Mallory, another verified peer, reuses the id in her own session.
    let mut m = ward(6);
    let mut forged = m.bob_to_alice(NOW + 1).unwrap();
    forged.info.id = genuine.info.id;
    assert_eq!(vault.insert(forged, NOW + 1).unwrap(), Stored::New);
    assert_eq!(vault.insert(genuine, NOW + 2).unwrap(), Stored::New);
    assert_eq!(vault.len(), 2);
    assert_eq!(vault.sender(&genuine_ref), Some(w.bob.public()));
    assert_eq!(
        vault.message(&genuine_ref, NOW + 3).unwrap().1.expose(),
        b"obs"
    );
}

/// Item 6: under the strict policy a first-use record is not a
/// verification, wherever it came from.
#[test]
fn strict_policy_refuses_first_use_records() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let k = IdentityKeyPair::generate(&mut rng);
    let p = PeerId::new("p").unwrap();
    let mut strict = TrustStore::new(TrustPolicy::RequireVerified);
    strict
        .mark_verified(&p, k.public(), VerificationMethod::FirstUse, NOW)
        .unwrap();
    assert_eq!(
        strict.check_at(&p, k.public(), NOW).unwrap_err(),
        Error::Trust(TrustError::Unverified)
    );
    let mut tofu = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    assert!(tofu.check_at(&p, k.public(), NOW).is_ok());
}

/// Item 7: attestation trust cannot be recorded without an attestation, and
/// `mark_verified` reports what it did.
#[test]
fn attestation_trust_needs_an_attestation() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let k = IdentityKeyPair::generate(&mut rng);
    let p = PeerId::new("p").unwrap();
    let mut t = TrustStore::new(TrustPolicy::RequireVerified);
    assert_eq!(
        t.mark_verified(&p, k.public(), VerificationMethod::Attestation, NOW)
            .unwrap_err(),
        Error::Trust(TrustError::AttestationRequired)
    );
    assert!(t.is_empty());
    let v = t
        .mark_verified(&p, k.public(), VerificationMethod::SafetyNumber, NOW)
        .unwrap();
    assert_eq!(v.method(), VerificationMethod::SafetyNumber);
}

/// Item 11: state sealed for a slot opens only in that slot.
#[test]
fn sealed_state_is_bound_to_its_slot() {
    let mut w = ward(9);
    let key = StorageKey::from_bytes([0x11; 32]);
    let for_bob = key.seal_for(&mut w.rng, b"session/dr.okafor/phone", &w.a);
    assert_eq!(for_bob[0], SEALED_STATE_VERSION_SLOT);
    let back: Session = key
        .unseal_for(b"session/dr.okafor/phone", &for_bob)
        .unwrap();
    assert_eq!(back.state_digest(), w.a.state_digest());
    // Swapped into another peer's slot: refused.
    assert_eq!(
        key.unseal_for::<Session>(b"session/carol/phone", &for_bob)
            .unwrap_err(),
        Error::State(StateError::Unseal)
    );
    // Opened without a slot, or unslotted bytes opened for a slot: refused.
    assert_eq!(
        key.unseal::<Session>(&for_bob).unwrap_err(),
        Error::State(StateError::WrongSlot)
    );
    let unslotted = key.seal(&mut w.rng, &w.a);
    assert_eq!(
        key.unseal_for::<Session>(b"session/dr.okafor/phone", &unslotted)
            .unwrap_err(),
        Error::State(StateError::WrongSlot)
    );
}
