//! Two clinicians on a ward: verify, handshake, and exchange messages that
//! arrive out of order. Runs on embedded defaults (the OS random generator
//! and the system clock).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bleep::*;
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn main() -> Result<()> {
    let mut rng = rand::rng();

    // Each clinician's phone creates a long-term identity once.
    let registrar = IdentityKeyPair::generate(&mut rng);
    let nurse = IdentityKeyPair::generate(&mut rng);

    // The nurse's phone publishes a prekey bundle.
    let mut nurse_prekeys = PreKeyStore::new(&mut rng, &nurse);
    nurse_prekeys.generate_one_time_prekeys(&mut rng, 10)?;
    let published = nurse_prekeys.bundle().to_bytes();
    println!("nurse publishes a {}-byte prekey bundle", published.len());

    // The registrar fetches it; parsing checks every signature.
    let bundle = PreKeyBundle::from_bytes(&published)?;

    // Verify before talking: they compared safety numbers on the ward.
    let nurse_id = PeerId::new("nurse.adeyemi@trust.example")?;
    let mut registrar_trust = TrustStore::new(TrustPolicy::RequireVerified);
    registrar_trust.mark_verified(
        &nurse_id,
        bundle.identity(),
        VerificationMethod::SafetyNumber,
        now(),
    )?;
    let verified_nurse = registrar_trust.check(&nurse_id, bundle.identity())?;

    let mut registrar_session = Session::initiate(&mut rng, &registrar, &verified_nurse, &bundle)?;
    let first = registrar_session.encrypt(
        &mut rng,
        verified_nurse, // the proof is used up: every message asks again
        OutgoingMessage::new(
            b"Bay 2 bed 4: please repeat obs at 14:30, call me if NEWS2 >= 5",
            now(),
        ),
    )?;
    println!(
        "registrar sends a {}-byte prekey message (id {})",
        first.envelope.len(),
        first.id
    );

    // The nurse's phone sees a prekey message, asks its trust store, accepts.
    let envelope = Envelope::parse(&first.envelope)?;
    let registrar_key = envelope
        .initiator_identity()
        .expect("a prekey message names its sender");
    let registrar_id = PeerId::new("dr.okafor@trust.example")?;
    let mut nurse_trust = TrustStore::new(TrustPolicy::RequireVerified);
    nurse_trust.mark_verified(
        &registrar_id,
        registrar_key,
        VerificationMethod::SafetyNumber,
        now(),
    )?;
    let verified_registrar = nurse_trust.check(&registrar_id, registrar_key)?;
    let (mut nurse_session, msg) = Session::accept(
        &nurse,
        &mut nurse_prekeys,
        &verified_registrar,
        &envelope,
        now(),
    )?;
    println!(
        "nurse reads: {}",
        msg.body.expose_str().unwrap_or("<binary>")
    );
    println!(
        "one-time prekeys left: {}",
        nurse_prekeys.one_time_prekey_count()
    );

    // Every later send and receive asks the trust store again, so a
    // revoked or changed identity stops the very next message.
    let r1 = nurse_session.encrypt(
        &mut rng,
        verified_registrar,
        OutgoingMessage::new(b"Will do.", now()),
    )?;
    let r2 = nurse_session.encrypt(
        &mut rng,
        nurse_trust.check(&registrar_id, nurse_session.peer_identity())?,
        OutgoingMessage::new(b"14:30 obs: RR 22, HR 104, NEWS2 5.", now()),
    )?;
    for sent in [&r2, &r1] {
        let proof = registrar_trust.check(&nurse_id, registrar_session.peer_identity())?;
        let m = registrar_session.decrypt(proof, &sent.envelope, now())?;
        println!(
            "registrar reads: {}",
            m.body.expose_str().unwrap_or("<binary>")
        );
    }
    let proof = registrar_trust.check(&nurse_id, registrar_session.peer_identity())?;
    match registrar_session.decrypt(proof, &r2.envelope, now()) {
        Err(e) => println!("a replayed message is refused: {e}"),
        Ok(_) => unreachable!("replays are rejected"),
    }
    // Decrypted text lives in a zeroizing buffer that never prints.
    println!("Debug of a plaintext: {:?}", msg.body);
    Ok(())
}
