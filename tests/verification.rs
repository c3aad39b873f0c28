//! Identity verification through the public API: safety numbers, QR codes,
//! organisation attestations, revocation, the trust policies and the
//! key-change flow end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::*;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const NOW: u64 = 1_750_000_000;
const YEAR: u64 = 365 * 24 * 3600;

/// One clinician's phone: identity, prekeys and trust store.
struct Phone {
    id: PeerId,
    identity: IdentityKeyPair,
    prekeys: PreKeyStore,
    trust: TrustStore,
}

impl Phone {
    fn install(rng: &mut ChaCha20Rng, name: &str, policy: TrustPolicy) -> Phone {
        let identity = IdentityKeyPair::generate(rng);
        let mut prekeys = PreKeyStore::new(rng, &identity);
        prekeys.generate_one_time_prekeys(rng, 3).unwrap();
        Phone {
            id: PeerId::new(name).unwrap(),
            identity,
            prekeys,
            trust: TrustStore::new(policy),
        }
    }

    /// The bundle as the server hands it out.
    fn bundle(&self) -> PreKeyBundle {
        PreKeyBundle::from_bytes(&self.prekeys.bundle().to_bytes()).unwrap()
    }

    fn safety_number_with(&self, other: &Phone) -> SafetyNumber {
        SafetyNumber::new(
            &self.id,
            self.identity.public(),
            &other.id,
            other.identity.public(),
        )
    }
}

/// `scanner` scans the QR code on `shower`'s phone.
fn scan(scanner: &mut Phone, shower: &Phone, now: u64) -> Result<VerifiedIdentity> {
    let shown = shower.safety_number_with(scanner).qr_payload().to_bytes();
    let mine = scanner.safety_number_with(shower);
    scanner.trust.verify_by_qr(&mine, &shown, now)
}

/// Alice starts a session with Bob and Bob accepts through his trust store.
fn talk(rng: &mut ChaCha20Rng, alice: &mut Phone, bob: &mut Phone, now: u64) -> Result<()> {
    let bundle = bob.bundle();
    let verified_bob = alice.trust.check_at(&bob.id, bundle.identity(), now)?;
    let mut a = Session::initiate(rng, &alice.identity, &verified_bob, &bundle)?;
    let first = a.encrypt(
        rng,
        verified_bob,
        OutgoingMessage::new(b"Bed 7 obs are dropping", now),
    )?;
    let env = Envelope::parse(&first.envelope)?;
    let verified_alice = bob
        .trust
        .check_at(&alice.id, env.initiator_identity().unwrap(), now)?;
    let (mut b, msg) =
        Session::accept(&bob.identity, &mut bob.prekeys, &verified_alice, &env, now)?;
    assert_eq!(msg.body.expose(), b"Bed 7 obs are dropping");
    let reply = b.encrypt(
        rng,
        verified_alice,
        OutgoingMessage::new(b"Coming now", now),
    )?;
    assert_eq!(
        a.decrypt(
            alice.trust.check_at(&bob.id, a.peer_identity(), now)?,
            &reply.envelope,
            now
        )?
        .body
        .expose(),
        b"Coming now"
    );
    Ok(())
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

#[test]
fn qr_verification_then_messaging() {
    let mut rng = rng(1);
    let mut alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    let mut bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    // Strict: neither side can start before verifying.
    assert_eq!(
        talk(&mut rng, &mut alice, &mut bob, NOW).unwrap_err(),
        Error::Trust(TrustError::Unverified)
    );
    scan(&mut alice, &bob, NOW).unwrap();
    // Bob's strict store refuses to read from a new, unverified sender.
    assert_eq!(
        talk(&mut rng, &mut alice, &mut bob, NOW).unwrap_err(),
        Error::Trust(TrustError::Unverified)
    );
    scan(&mut bob, &alice, NOW).unwrap();
    talk(&mut rng, &mut alice, &mut bob, NOW + 1).unwrap();
    assert_eq!(
        alice.trust.verification(&bob.id).unwrap().method(),
        VerificationMethod::QrCode
    );
    assert_eq!(
        alice.trust.verification(&bob.id).unwrap().verified_at(),
        NOW
    );
}

#[test]
fn safety_numbers_match_on_both_phones() {
    let mut rng = rng(2);
    let alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    let bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    let mut carol = Phone::install(&mut rng, "carol", TrustPolicy::RequireVerified);
    let on_alice = alice.safety_number_with(&bob);
    let on_bob = bob.safety_number_with(&alice);
    assert_eq!(on_alice.to_string(), on_bob.to_string());
    let text = on_alice.to_string();
    assert_eq!(text.len(), 60 + 11);
    assert!(
        text.split(' ')
            .all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit()))
    );
    // A different pair shows a different number, and its QR code fails.
    assert_ne!(carol.safety_number_with(&bob), on_alice);
    let before = carol.trust.clone();
    let wrong = SafetyNumber::new(
        &carol.id,
        carol.identity.public(),
        &bob.id,
        bob.identity.public(),
    );
    assert_eq!(
        carol
            .trust
            .verify_by_qr(&wrong, &on_bob.qr_payload().to_bytes(), NOW)
            .unwrap_err(),
        Error::Trust(TrustError::SafetyNumberMismatch)
    );
    assert_eq!(carol.trust, before);
    // Reading the numbers aloud and confirming also verifies.
    let v = carol
        .trust
        .confirm_safety_number(&carol.safety_number_with(&bob), NOW)
        .unwrap();
    assert_eq!(v.method(), VerificationMethod::SafetyNumber);
}

fn qr_case(seed: u64) -> (Phone, SafetyNumber, [u8; QR_PAYLOAD_LEN]) {
    let mut rng = rng(seed);
    let alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    let bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    let mine = alice.safety_number_with(&bob);
    let shown = bob.safety_number_with(&alice).qr_payload().to_bytes();
    (alice, mine, shown)
}

#[test]
fn qr_garbage_is_a_decode_error() {
    let (mut alice, mine, shown) = qr_case(30);
    assert_eq!(
        alice
            .trust
            .verify_by_qr(&mine, &shown[..10], NOW)
            .unwrap_err(),
        Error::Decode(DecodeError::Truncated)
    );
    assert_eq!(
        alice
            .trust
            .verify_by_qr(&mine, b"https://example.com/not-a-safety-code", NOW)
            .unwrap_err(),
        Error::Decode(DecodeError::UnknownVersion)
    );
    assert!(alice.trust.is_empty());
}

#[test]
fn qr_of_another_version_is_rejected() {
    let (mut alice, mine, mut shown) = qr_case(31);
    shown[0] = QR_PAYLOAD_VERSION + 1;
    assert_eq!(
        alice.trust.verify_by_qr(&mine, &shown, NOW).unwrap_err(),
        Error::Decode(DecodeError::UnknownVersion)
    );
    assert!(alice.trust.is_empty());
}

#[test]
fn qr_of_the_wrong_pair_is_rejected() {
    let (mut alice, mine, _) = qr_case(32);
    // Alice scans her own code by mistake.
    let own = mine.qr_payload().to_bytes();
    assert_eq!(
        alice.trust.verify_by_qr(&mine, &own, NOW).unwrap_err(),
        Error::Trust(TrustError::SafetyNumberMismatch)
    );
    // Or the code of someone else's pair.
    let (_, _, other) = qr_case(33);
    assert_eq!(
        alice.trust.verify_by_qr(&mine, &other, NOW).unwrap_err(),
        Error::Trust(TrustError::SafetyNumberMismatch)
    );
    assert!(alice.trust.is_empty());
}

#[test]
fn key_change_end_to_end_strict() {
    let mut rng = rng(4);
    let mut alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    let mut bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    scan(&mut alice, &bob, NOW).unwrap();
    scan(&mut bob, &alice, NOW).unwrap();
    talk(&mut rng, &mut alice, &mut bob, NOW).unwrap();
    let old_verified = alice
        .trust
        .check_at(&bob.id, bob.identity.public(), NOW)
        .unwrap();
    let old_key = bob.identity.public().clone();

    // Bob reinstalls: new identity, new prekeys, empty trust store.
    let mut bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    let new_bundle = bob.bundle();

    // Alice's app is told, with enough to show the user.
    assert_eq!(
        alice
            .trust
            .check_at(&bob.id, new_bundle.identity(), NOW + 60)
            .unwrap_err(),
        Error::Trust(TrustError::KeyChanged)
    );
    let change = alice.trust.key_change(&bob.id).unwrap();
    assert_eq!(change.peer(), &bob.id);
    assert_eq!(change.old_key(), &old_key);
    assert_eq!(change.new_key(), new_bundle.identity());
    assert_eq!(change.detected_at(), NOW + 60);
    let previous = change.previous_verification().unwrap();
    assert_eq!(previous.method(), VerificationMethod::QrCode);
    assert_eq!(previous.verified_at(), NOW);

    // Strict mode blocks sending: no proof for the new key, acknowledging is
    // refused, and the old proof does not fit the new bundle.
    assert_eq!(
        alice
            .trust
            .acknowledge_key_change(&bob.id, NOW + 61)
            .unwrap_err(),
        Error::Trust(TrustError::ReverificationRequired)
    );
    assert_eq!(
        talk(&mut rng, &mut alice, &mut bob, NOW + 62).unwrap_err(),
        Error::Trust(TrustError::KeyChanged)
    );
    assert_eq!(
        Session::initiate(&mut rng, &alice.identity, &old_verified, &new_bundle).unwrap_err(),
        Error::Trust(TrustError::IdentityMismatch)
    );
    // The state survives a restart with the change still pending.
    let restored = restore(&alice.trust).unwrap();
    assert_eq!(restored.key_change(&bob.id), Some(change));

    // They meet again and scan each other's new codes; messaging works.
    scan(&mut alice, &bob, NOW + 3600).unwrap();
    scan(&mut bob, &alice, NOW + 3600).unwrap();
    assert!(alice.trust.key_change(&bob.id).is_none());
    talk(&mut rng, &mut alice, &mut bob, NOW + 3601).unwrap();
}

fn org_setup() -> (OrganisationKey, ClinicianDetails) {
    let org = OrganisationKey::from_seed_bytes([0x42; 32]);
    let details = ClinicianDetails::new(
        "Dr Bob Mensah",
        "Registrar, Emergency Medicine",
        Registration::new(RegulatoryBody::Gmc, "7123456").unwrap(),
        "RQM",
    )
    .unwrap();
    (org, details)
}

#[test]
fn key_change_reverified_by_attestation() {
    let mut rng = rng(5);
    let (org, details) = org_setup();
    let mut alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    alice.trust.trust_organisation(org.public_key()).unwrap();
    let bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    scan(&mut alice, &bob, NOW).unwrap();

    let mut bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    scan(&mut bob, &alice, NOW).unwrap();
    assert!(
        alice
            .trust
            .check_at(&bob.id, bob.identity.public(), NOW)
            .is_err()
    );
    // Bob's trust issues his new key an attestation; he sends it to Alice.
    let att = org
        .attest(
            1001,
            &bob.id,
            bob.identity.public(),
            &details,
            NOW - 10,
            NOW + YEAR,
        )
        .unwrap();
    let received = Attestation::from_bytes(&att.to_bytes()).unwrap();
    assert_eq!(received.display_name(), "Dr Bob Mensah");
    let v = alice
        .trust
        .verify_by_attestation(&bob.id, bob.identity.public(), &received, NOW + 5)
        .unwrap();
    assert_eq!(v.method(), VerificationMethod::Attestation);
    // The app can show who vouched for whom.
    let shown = alice.trust.verification(&bob.id).unwrap();
    let att = shown.attestation().unwrap();
    assert_eq!(
        (
            att.display_name(),
            att.ods_code(),
            att.registration().number()
        ),
        ("Dr Bob Mensah", "RQM", "7123456")
    );
    assert_eq!(shown.verified_at(), NOW + 5);
    talk(&mut rng, &mut alice, &mut bob, NOW + 6).unwrap();
}

/// Alice (strict, trusting `org`) and Bob, with an attestation of Bob's key
/// valid for a year from `NOW`.
struct AttestationCase {
    org: OrganisationKey,
    alice: Phone,
    bob: Phone,
    att: Attestation,
}

fn attestation_case(seed: u64) -> AttestationCase {
    let mut rng = rng(seed);
    let (org, details) = org_setup();
    let mut alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    alice.trust.trust_organisation(org.public_key()).unwrap();
    let bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    let att = org
        .attest(7, &bob.id, bob.identity.public(), &details, NOW, NOW + YEAR)
        .unwrap();
    AttestationCase {
        org,
        alice,
        bob,
        att,
    }
}

impl AttestationCase {
    /// Alice checks the attestation at `now`; on error her store must be
    /// unchanged and hold nothing about Bob.
    fn verify_at(&mut self, now: u64) -> Result<VerifiedIdentity> {
        let before = self.alice.trust.clone();
        let r = self.alice.trust.verify_by_attestation(
            &self.bob.id,
            self.bob.identity.public(),
            &self.att,
            now,
        );
        if r.is_err() {
            assert_eq!(self.alice.trust, before);
            assert!(self.alice.trust.identity(&self.bob.id).is_none());
        }
        r
    }
}

#[test]
fn valid_attestation_verifies_at_both_ends_of_its_period() {
    let mut c = attestation_case(60);
    assert_eq!(
        c.verify_at(NOW).unwrap().method(),
        VerificationMethod::Attestation
    );
    c.verify_at(NOW + YEAR).unwrap();
}

#[test]
fn attestation_from_untrusted_organisation_is_rejected() {
    let mut c = attestation_case(61);
    c.alice.trust.distrust_organisation(&c.org.public_key());
    let other = OrganisationKey::from_seed_bytes([0x43; 32]);
    c.alice
        .trust
        .trust_organisation(other.public_key())
        .unwrap();
    assert_eq!(
        c.verify_at(NOW + 1).unwrap_err(),
        Error::Trust(TrustError::UnknownOrganisation)
    );
}

#[test]
fn attestation_not_yet_valid_is_rejected() {
    let mut c = attestation_case(62);
    assert_eq!(
        c.verify_at(NOW - 1).unwrap_err(),
        Error::Trust(TrustError::AttestationNotYetValid)
    );
}

#[test]
fn expired_attestation_is_rejected() {
    let mut c = attestation_case(63);
    assert_eq!(
        c.verify_at(NOW + YEAR + 1).unwrap_err(),
        Error::Trust(TrustError::AttestationExpired)
    );
}

#[test]
fn revoked_attestation_is_rejected() {
    let mut c = attestation_case(64);
    // The list travels as bytes too.
    let list = c.org.revocation_list(1, NOW, &[3, 7]).unwrap();
    let list = RevocationList::from_bytes(&list.to_bytes()).unwrap();
    c.alice.trust.add_revocation_list(list).unwrap();
    assert_eq!(
        c.verify_at(NOW + 1).unwrap_err(),
        Error::Trust(TrustError::AttestationRevoked)
    );
}

#[test]
fn forged_attestation_is_rejected() {
    let c = attestation_case(65);
    // Another role written into the signed bytes.
    let bytes = c.att.to_bytes();
    let at = bytes.windows(9).position(|w| w == b"Registrar").unwrap();
    let mut forged = bytes.clone();
    forged[at..at + 9].copy_from_slice(b"Consultnt");
    assert_eq!(
        Attestation::from_bytes(&forged).unwrap_err(),
        Error::Crypto(CryptoError::BadSignature)
    );
    // Signed by another key but naming the trusted organisation as issuer.
    let (_, details) = org_setup();
    let mallory = OrganisationKey::from_seed_bytes([0x66; 32]);
    let by_mallory = mallory
        .attest(
            7,
            &c.bob.id,
            c.bob.identity.public(),
            &details,
            NOW,
            NOW + YEAR,
        )
        .unwrap();
    let mut claimed = by_mallory.to_bytes();
    claimed[9..41].copy_from_slice(&c.org.public_key().to_bytes());
    assert_eq!(
        Attestation::from_bytes(&claimed).unwrap_err(),
        Error::Crypto(CryptoError::BadSignature)
    );
}

#[test]
fn attestation_of_another_key_is_rejected() {
    let mut c = attestation_case(66);
    let alice_key = c.alice.identity.public().clone();
    assert_eq!(
        c.alice
            .trust
            .verify_by_attestation(&c.bob.id, &alice_key, &c.att, NOW + 1)
            .unwrap_err(),
        Error::Trust(TrustError::IdentityMismatch)
    );
}

#[test]
fn malformed_attestation_is_a_decode_error() {
    let c = attestation_case(67);
    let bytes = c.att.to_bytes();
    let mut v2 = bytes.clone();
    v2[0] = ATTESTATION_VERSION + 1;
    assert_eq!(
        Attestation::from_bytes(&v2).unwrap_err(),
        Error::Decode(DecodeError::UnknownVersion)
    );
    assert_eq!(
        Attestation::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err(),
        Error::Decode(DecodeError::Truncated)
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        Attestation::from_bytes(&long).unwrap_err(),
        Error::Decode(DecodeError::TrailingBytes)
    );
}

#[test]
fn revoked_after_verification_blocks_sending() {
    let mut rng = rng(7);
    let (org, details) = org_setup();
    let mut alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    let mut bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    alice.trust.trust_organisation(org.public_key()).unwrap();
    bob.trust.trust_organisation(org.public_key()).unwrap();
    let att = org
        .attest(9, &bob.id, bob.identity.public(), &details, NOW, NOW + YEAR)
        .unwrap();
    alice
        .trust
        .verify_by_attestation(&bob.id, bob.identity.public(), &att, NOW)
        .unwrap();
    scan(&mut bob, &alice, NOW).unwrap();
    talk(&mut rng, &mut alice, &mut bob, NOW + 1).unwrap();
    let stale = org.revocation_list(5, NOW + 9, &[]).unwrap();
    alice.trust.add_revocation_list(stale.clone()).unwrap();
    alice
        .trust
        .add_revocation_list(org.revocation_list(6, NOW + 10, &[9]).unwrap())
        .unwrap();
    assert_eq!(
        alice.trust.add_revocation_list(stale).unwrap_err(),
        Error::Trust(TrustError::StaleRevocationList)
    );
    assert_eq!(
        talk(&mut rng, &mut alice, &mut bob, NOW + 11).unwrap_err(),
        Error::Trust(TrustError::AttestationRevoked)
    );
    // Expiry is enforced on use too.
    let mut carol = Phone::install(&mut rng, "carol", TrustPolicy::RequireVerified);
    carol.trust.trust_organisation(org.public_key()).unwrap();
    let att = org
        .attest(10, &bob.id, bob.identity.public(), &details, NOW, NOW + 100)
        .unwrap();
    carol
        .trust
        .verify_by_attestation(&bob.id, bob.identity.public(), &att, NOW)
        .unwrap();
    assert!(
        carol
            .trust
            .check_at(&bob.id, bob.identity.public(), NOW + 100)
            .is_ok()
    );
    assert_eq!(
        carol
            .trust
            .check_at(&bob.id, bob.identity.public(), NOW + 101)
            .unwrap_err(),
        Error::Trust(TrustError::AttestationExpired)
    );
}

#[test]
fn trust_on_first_use_flow() {
    let mut rng = rng(8);
    let mut alice = Phone::install(&mut rng, "alice", TrustPolicy::TrustOnFirstUse);
    let mut bob = Phone::install(&mut rng, "bob", TrustPolicy::TrustOnFirstUse);
    talk(&mut rng, &mut alice, &mut bob, NOW).unwrap();
    assert_eq!(
        alice.trust.verification(&bob.id).unwrap().method(),
        VerificationMethod::FirstUse
    );
    // Bob reinstalls: still reported, never silently accepted.
    let mut bob = Phone::install(&mut rng, "bob", TrustPolicy::TrustOnFirstUse);
    assert_eq!(
        talk(&mut rng, &mut alice, &mut bob, NOW + 1).unwrap_err(),
        Error::Trust(TrustError::KeyChanged)
    );
    assert_eq!(
        alice.trust.key_change(&bob.id).unwrap().new_key(),
        bob.identity.public()
    );
    // The user acknowledges the change; or could verify by QR instead.
    alice
        .trust
        .acknowledge_key_change(&bob.id, NOW + 2)
        .unwrap();
    talk(&mut rng, &mut alice, &mut bob, NOW + 3).unwrap();
    // Verifying upgrades a first-use record.
    scan(&mut alice, &bob, NOW + 4).unwrap();
    assert_eq!(
        alice
            .trust
            .check_at(&bob.id, bob.identity.public(), NOW + 5)
            .unwrap()
            .method(),
        VerificationMethod::QrCode
    );
}

#[test]
fn trust_store_persists_and_rejects_altered_bytes() {
    let mut rng = rng(9);
    let (org, details) = org_setup();
    let mut alice = Phone::install(&mut rng, "alice", TrustPolicy::RequireVerified);
    let bob = Phone::install(&mut rng, "bob", TrustPolicy::RequireVerified);
    let carol = Phone::install(&mut rng, "carol", TrustPolicy::RequireVerified);
    alice.trust.trust_organisation(org.public_key()).unwrap();
    alice
        .trust
        .add_revocation_list(org.revocation_list(1, NOW, &[1]).unwrap())
        .unwrap();
    scan(&mut alice, &bob, NOW).unwrap();
    let att = org
        .attest(
            2,
            &carol.id,
            carol.identity.public(),
            &details,
            NOW,
            NOW + YEAR,
        )
        .unwrap();
    alice
        .trust
        .verify_by_attestation(&carol.id, carol.identity.public(), &att, NOW)
        .unwrap();
    let bytes = alice.trust.to_bytes();
    assert_eq!(bytes[0], TRUST_STORE_VERSION);
    let mut restored = restore(&alice.trust).unwrap();
    assert_eq!(restored, alice.trust);
    assert_eq!(restored.len(), 2);
    assert!(
        restored
            .check_at(&carol.id, carol.identity.public(), NOW + 1)
            .is_ok()
    );
    assert!(
        restored
            .check_at(&bob.id, bob.identity.public(), NOW + 1)
            .is_ok()
    );
    // Trust is restored only from sealed state: the plain encoding has no
    // public decoder, and a sealed store opens only under its key.
    let key = StorageKey::from_bytes([0x51; 32]);
    let sealed = key.seal(&mut rand::rng(), &alice.trust);
    assert_eq!(
        StorageKey::from_bytes([0x52; 32])
            .unseal::<TrustStore>(&sealed)
            .unwrap_err(),
        Error::State(StateError::Unseal)
    );
}

/// A restart: the trust store sealed at rest and opened again.
fn restore(trust: &TrustStore) -> Result<TrustStore> {
    let key = StorageKey::from_bytes([0x51; 32]);
    key.unseal(&key.seal(&mut rand::rng(), trust))
}

#[test]
fn error_texts_are_fixed() {
    let texts = [
        (
            TrustError::AttestationExpired,
            "trust error: attestation has expired",
        ),
        (
            TrustError::AttestationNotYetValid,
            "trust error: attestation is not yet valid",
        ),
        (
            TrustError::AttestationRevoked,
            "trust error: attestation has been revoked",
        ),
        (
            TrustError::UnknownOrganisation,
            "trust error: signed by an organisation that is not trusted",
        ),
        (
            TrustError::SafetyNumberMismatch,
            "trust error: safety number does not match",
        ),
        (
            TrustError::ReverificationRequired,
            "trust error: changed identity key must be verified again",
        ),
        (
            TrustError::StaleRevocationList,
            "trust error: revocation list is not newer than the one held",
        ),
    ];
    for (e, text) in texts {
        assert_eq!(Error::from(e).to_string(), text);
    }
    assert_eq!(
        format!("{:?}", OrganisationKey::from_seed_bytes([1; 32])),
        "OrganisationKey(<redacted>)"
    );
}

fn peer_strategy() -> impl Strategy<Value = String> {
    "[a-z0-9.@]{1,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn safety_number_is_symmetric_and_binds_every_input(
        seed_a in any::<[u8; 32]>(),
        seed_b in any::<[u8; 32]>(),
        seed_c in any::<[u8; 32]>(),
        id_a in peer_strategy(),
        id_b in peer_strategy(),
        id_c in peer_strategy(),
    ) {
        prop_assume!(seed_a != seed_b && seed_c != seed_a && seed_c != seed_b);
        prop_assume!(id_c != id_a && id_c != id_b);
        let (ka, kb, kc) = (
            IdentityKeyPair::from_seed_bytes(seed_a),
            IdentityKeyPair::from_seed_bytes(seed_b),
            IdentityKeyPair::from_seed_bytes(seed_c),
        );
        let (pa, pb, pc) = (PeerId::new(id_a).unwrap(), PeerId::new(id_b).unwrap(), PeerId::new(id_c).unwrap());
        let ab = SafetyNumber::new(&pa, ka.public(), &pb, kb.public());
        let ba = SafetyNumber::new(&pb, kb.public(), &pa, ka.public());
        prop_assert_eq!(ab.to_string(), ba.to_string());
        ab.check_scanned(&ba.qr_payload().to_bytes()).unwrap();
        ba.check_scanned(&ab.qr_payload().to_bytes()).unwrap();
        // Changing either key or either id changes the number.
        for other in [
            SafetyNumber::new(&pa, kc.public(), &pb, kb.public()),
            SafetyNumber::new(&pa, ka.public(), &pb, kc.public()),
            SafetyNumber::new(&pc, ka.public(), &pb, kb.public()),
            SafetyNumber::new(&pa, ka.public(), &pc, kb.public()),
        ] {
            prop_assert_ne!(other.digits(), ab.digits());
            prop_assert!(ab.check_scanned(&other.qr_payload().to_bytes()).is_err());
        }
    }

    #[test]
    fn attestation_round_trips(
        seed in any::<[u8; 32]>(),
        serial in any::<u64>(),
        not_before in any::<u64>(),
        span in any::<u64>(),
        name in "[A-Za-z .'\\-]{1,60}",
        role in "[A-Za-z ,]{1,40}",
        number in "[A-Z0-9]{1,16}",
        ods in "[A-Z0-9]{3,10}",
        body in 0usize..6,
    ) {
        let org = OrganisationKey::from_seed_bytes(seed);
        let key = IdentityKeyPair::from_seed_bytes([7; 32]);
        let body = [
            RegulatoryBody::Gmc, RegulatoryBody::Nmc, RegulatoryBody::Hcpc,
            RegulatoryBody::Gphc, RegulatoryBody::Gdc, RegulatoryBody::Goc,
        ][body];
        let details = ClinicianDetails::new(&name, &role, Registration::new(body, &number).unwrap(), &ods).unwrap();
        let not_after = not_before.saturating_add(span);
        let att = org.attest(serial, &PeerId::new("p").unwrap(), key.public(), &details, not_before, not_after).unwrap();
        let bytes = att.to_bytes();
        let back = Attestation::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &att);
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back.display_name(), name.as_str());
        prop_assert_eq!(back.registration().number(), number.as_str());
        prop_assert_eq!(back.ods_code(), ods.as_str());
        prop_assert!(back.is_for(key.public()));
    }

    #[test]
    fn revocation_list_round_trips(serials in proptest::collection::vec(any::<u64>(), 0..50), v in any::<u64>(), t in any::<u64>()) {
        let org = OrganisationKey::from_seed_bytes([3; 32]);
        let list = org.revocation_list(v, t, &serials).unwrap();
        let back = RevocationList::from_bytes(&list.to_bytes()).unwrap();
        prop_assert_eq!(&back, &list);
        for s in &serials {
            prop_assert!(back.is_revoked(*s));
        }
    }
}
