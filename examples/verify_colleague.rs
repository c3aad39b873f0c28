//! Verifying a colleague before talking to them, two ways:
//!
//! 1. in person, by scanning the QR code on their phone (or reading the
//!    safety number aloud), and
//! 2. at a distance, by an attestation their NHS trust signed,
//!
//! then messaging them. Also shows what happens when a colleague
//! reinstalls the app and their key changes.
//!
//! Run with `cargo run --example verify_colleague`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bleep::*;

fn main() -> Result<()> {
    let mut rng = rand::rng();
    let now = 1_750_000_000;

    // Three clinicians, each with an identity and published prekeys.
    let me = IdentityKeyPair::generate(&mut rng);
    let my_id = PeerId::new("dr.patel@rrk.nhs.uk")?;
    let mut my_trust = TrustStore::new(TrustPolicy::RequireVerified);

    let colleague = IdentityKeyPair::generate(&mut rng);
    let colleague_id = PeerId::new("sister.lee@rrk.nhs.uk")?;
    let mut colleague_prekeys = PreKeyStore::new(&mut rng, &colleague);
    colleague_prekeys.generate_one_time_prekeys(&mut rng, 10)?;

    let registrar = IdentityKeyPair::generate(&mut rng);
    let registrar_id = PeerId::new("dr.mensah@rqm.nhs.uk")?;
    let mut registrar_prekeys = PreKeyStore::new(&mut rng, &registrar);
    registrar_prekeys.generate_one_time_prekeys(&mut rng, 10)?;

    // --- 1. In person, by QR code -----------------------------------------
    // Both phones compute the same safety number; the colleague's phone
    // shows a QR code and mine scans it.
    let on_my_phone = SafetyNumber::new(&my_id, me.public(), &colleague_id, colleague.public());
    let on_their_phone = SafetyNumber::new(&colleague_id, colleague.public(), &my_id, me.public());
    println!("Safety number: {on_my_phone}");
    assert_eq!(on_my_phone.to_string(), on_their_phone.to_string());

    let scanned = on_their_phone.qr_payload().to_bytes();
    my_trust.verify_by_qr(&on_my_phone, &scanned, now)?;

    // Now the trust store hands out the proof a session needs.
    let bundle = PreKeyBundle::from_bytes(&colleague_prekeys.bundle().to_bytes())?;
    let verified = my_trust.check_at(&colleague_id, bundle.identity(), now)?;
    let mut session = Session::initiate(&mut rng, &me, &verified, &bundle)?;
    let method = verified.method();
    // Every send takes a fresh proof; this one is used up here.
    let msg = session.encrypt(
        &mut rng,
        verified,
        OutgoingMessage::new(b"Can you review bed 4?", now),
    )?;
    println!(
        "Sent {} bytes to {} (verified by {:?})",
        msg.envelope.len(),
        colleague_id.as_str(),
        method
    );

    // --- 2. At a distance, by attestation -----------------------------------
    // The registrar's trust signs an attestation of their identity key (this
    // happens on the organisation's side, once, at enrolment).
    let trust_key = OrganisationKey::generate(&mut rng);
    let details = ClinicianDetails::new(
        "Dr Kofi Mensah",
        "Registrar, Emergency Medicine",
        Registration::new(RegulatoryBody::Gmc, "7123456")?,
        "RQM",
    )?;
    let attestation_bytes = trust_key
        .attest(
            240_001,
            &registrar_id,
            registrar.public(),
            &details,
            now - 86_400,
            now + 365 * 86_400,
        )?
        .to_bytes();

    // My app is configured to trust that organisation's key.
    my_trust.trust_organisation(trust_key.public_key())?;

    // Without verification, strict mode refuses.
    let bundle = PreKeyBundle::from_bytes(&registrar_prekeys.bundle().to_bytes())?;
    assert_eq!(
        my_trust.check_at(&registrar_id, bundle.identity(), now),
        Err(Error::Trust(TrustError::Unverified))
    );
    // The attestation arrives with the registrar's bundle.
    let attestation = Attestation::from_bytes(&attestation_bytes)?;
    println!(
        "{} ({}), {:?} {}, {}",
        attestation.display_name(),
        attestation.role(),
        attestation.registration().body(),
        attestation.registration().number(),
        attestation.ods_code()
    );
    let verified =
        my_trust.verify_by_attestation(&registrar_id, bundle.identity(), &attestation, now)?;
    let mut session = Session::initiate(&mut rng, &me, &verified, &bundle)?;
    let msg = session.encrypt(
        &mut rng,
        verified,
        OutgoingMessage::new(b"Resus 2 please", now),
    )?;
    println!(
        "Sent {} bytes to {}",
        msg.envelope.len(),
        registrar_id.as_str()
    );

    // If the organisation later revokes the attestation, my app stops
    // accepting the key as soon as it receives the signed list.
    let list = trust_key.revocation_list(1, now + 10, &[240_001])?;
    my_trust.add_revocation_list(RevocationList::from_bytes(&list.to_bytes())?)?;
    assert_eq!(
        my_trust.check_at(&registrar_id, session.peer_identity(), now + 20),
        Err(Error::Trust(TrustError::AttestationRevoked))
    );
    // With no proof to give, the existing session cannot send either.
    println!("Attestation revoked: the session with the registrar stops sending and receiving");

    // --- 3. A colleague reinstalls: their key changes ------------------------
    let reinstalled = IdentityKeyPair::generate(&mut rng);
    let new_prekeys = PreKeyStore::new(&mut rng, &reinstalled);
    let new_bundle = PreKeyBundle::from_bytes(&new_prekeys.bundle().to_bytes())?;
    let refused = my_trust.check_at(&colleague_id, new_bundle.identity(), now + 30);
    assert_eq!(refused, Err(Error::Trust(TrustError::KeyChanged)));
    let change = my_trust.key_change(&colleague_id).expect("reported");
    println!(
        "Security code for {} changed (was verified by {:?}); verify again before messaging",
        change.peer().as_str(),
        change.previous_verification().map(|v| v.method())
    );
    // Strict mode will not let me wave it through...
    assert_eq!(
        my_trust.acknowledge_key_change(&colleague_id, now + 31),
        Err(Error::Trust(TrustError::ReverificationRequired))
    );
    // ...so we scan each other's new codes, and carry on.
    let mine = SafetyNumber::new(&my_id, me.public(), &colleague_id, reinstalled.public());
    let theirs = SafetyNumber::new(&colleague_id, reinstalled.public(), &my_id, me.public());
    my_trust.verify_by_qr(&mine, &theirs.qr_payload().to_bytes(), now + 40)?;
    let verified = my_trust.check_at(&colleague_id, new_bundle.identity(), now + 41)?;
    let _session = Session::initiate(&mut rng, &me, &verified, &new_bundle)?;
    println!(
        "Verified again by {:?}; messaging resumed",
        verified.method()
    );

    // The trust store is saved sealed at rest, and restored only from there.
    let saved = my_trust.to_bytes();
    let storage_key = StorageKey::generate(&mut rng);
    let sealed = storage_key.seal(&mut rng, &my_trust);
    assert_eq!(storage_key.unseal::<TrustStore>(&sealed)?, my_trust);
    println!("Trust store: {} bytes, sealed at rest", saved.len());
    Ok(())
}
