//! A major-incident group: an incident lead, four clinicians, sender keys
//! carried over verified 1:1 sessions, and one removal at shift change.
//!
//! Run with `cargo run --example major_incident_group`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use bleep::*;
use std::collections::HashMap;

const NAMES: [&str; 5] = [
    "incident lead",
    "ED consultant",
    "trauma nurse",
    "anaesthetist",
    "radiographer",
];

/// Every clinician's pairwise sessions, keyed by (from, to), and each
/// clinician's trust store.
struct Pairwise {
    sessions: HashMap<(usize, usize), Session>,
    trust: Vec<TrustStore>,
}

impl Pairwise {
    /// Sets up a verified session between every pair (in the app, each
    /// identity was verified by QR code or an organisation attestation).
    fn new(ids: &[IdentityKeyPair]) -> Result<Self> {
        let mut rng = rand::rng();
        let mut sessions = HashMap::new();
        let mut trust: Vec<_> = ids
            .iter()
            .map(|_| TrustStore::new(TrustPolicy::RequireVerified))
            .collect();
        for a in 0..ids.len() {
            for b in a + 1..ids.len() {
                let mut store = PreKeyStore::new(&mut rng, &ids[b]);
                store.generate_one_time_prekeys(&mut rng, 1)?;
                let bundle = PreKeyBundle::from_bytes(&store.bundle().to_bytes())?;
                let peer_b = PeerId::new(NAMES[b])?;
                trust[a].mark_verified(
                    &peer_b,
                    bundle.identity(),
                    VerificationMethod::QrCode,
                    0,
                )?;
                let mut ab = Session::initiate(
                    &mut rng,
                    &ids[a],
                    &trust[a].check(&peer_b, bundle.identity())?,
                    &bundle,
                )?;
                let proof = trust[a].check(&peer_b, bundle.identity())?;
                let hello = ab.encrypt(&mut rng, proof, OutgoingMessage::new(b"hello", 0))?;
                let env = Envelope::parse(&hello.envelope)?;
                let peer_a = PeerId::new(NAMES[a])?;
                trust[b].mark_verified(&peer_a, ids[a].public(), VerificationMethod::QrCode, 0)?;
                let (ba, _) = Session::accept(
                    &ids[b],
                    &mut store,
                    &trust[b].check(&peer_a, ids[a].public())?,
                    &env,
                    0,
                )?;
                sessions.insert((a, b), ab);
                sessions.insert((b, a), ba);
            }
        }
        Ok(Pairwise { sessions, trust })
    }

    /// Sends `body` from `from` to `to` over their session and returns what
    /// `to` decrypted, with `to`'s trust store's proof for the session's
    /// peer (checked on every message, so a revoked colleague stops here).
    fn send(
        &mut self,
        from: usize,
        to: usize,
        body: &[u8],
        now: u64,
    ) -> Result<(VerifiedIdentity, Plaintext)> {
        // Every send and every receive asks the trust store first.
        let tx = self.sessions.get_mut(&(from, to)).unwrap();
        let proof = self.trust[from].check_at(&PeerId::new(NAMES[to])?, tx.peer_identity(), now)?;
        let envelope = tx
            .encrypt(&mut rand::rng(), proof, OutgoingMessage::new(body, now))?
            .envelope;
        let rx = self.sessions.get_mut(&(to, from)).unwrap();
        let from_id = PeerId::new(NAMES[from])?;
        let proof = self.trust[to].check_at(&from_id, rx.peer_identity(), now)?;
        let msg = rx.decrypt(proof, &envelope, now)?;
        let peer = self.trust[to].check_at(&from_id, rx.peer_identity(), now)?;
        Ok((peer, msg.body))
    }
}

fn index(ids: &[IdentityKeyPair], key: &IdentityKey) -> usize {
    ids.iter().position(|k| k.public() == key).unwrap()
}

/// Delivers `plan` from member `from` over the pairwise sessions.
fn distribute(
    pairwise: &mut Pairwise,
    ids: &[IdentityKeyPair],
    groups: &mut [Option<GroupSession>],
    from: usize,
    plan: &DistributionPlan,
    now: u64,
) -> Result<()> {
    for recipient in &plan.recipients {
        let to = index(ids, recipient);
        let (peer, bytes) = pairwise.send(from, to, plan.message.as_bytes(), now)?;
        groups[to]
            .as_mut()
            .unwrap()
            .process_distribution(&peer, bytes.expose())?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut rng = rand::rng();
    let ids: Vec<_> = NAMES
        .iter()
        .map(|_| IdentityKeyPair::generate(&mut rng))
        .collect();
    let mut pairwise = Pairwise::new(&ids)?;
    let lead = 0;

    // The lead declares the incident group and sends the signed roster to
    // each clinician over their verified session.
    let members: Vec<_> = ids[1..].iter().map(|k| k.public().clone()).collect();
    let roster = Roster::create(&ids[lead], GroupId::random(&mut rng), &members)?;
    println!(
        "group safety number v{}: {}",
        roster.version(),
        roster.safety_number()
    );

    let mut groups: Vec<Option<GroupSession>> = Vec::new();
    let mut plans = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (session, plan) = if i == lead {
            GroupSession::join_as_coordinator(&mut rng, id, roster.clone())?
        } else {
            // The roster arrives over the session with the lead, whose
            // identity this clinician's trust policy has accepted.
            let (coordinator, roster_bytes) = pairwise.send(lead, i, &roster.to_bytes(), 10)?;
            let received = Roster::from_bytes(roster_bytes.expose())?;
            // Everyone compares the same number.
            assert_eq!(received.safety_number(), roster.safety_number());
            GroupSession::join(&mut rng, id, received, &coordinator)?
        };
        groups.push(Some(session));
        plans.push(plan);
    }
    for (i, plan) in plans.iter().enumerate() {
        distribute(&mut pairwise, &ids, &mut groups, i, plan, 11)?;
    }

    // Traffic: one encryption per message, whatever the group size.
    let update = groups[lead].as_mut().unwrap().encrypt(
        &mut rng,
        OutgoingMessage::new(b"Major incident declared. ED on divert.", 20),
    )?;
    let reply = groups[2].as_mut().unwrap().encrypt(
        &mut rng,
        OutgoingMessage::new(b"Resus 2 ready for the first patient.", 21),
    )?;
    for i in 0..ids.len() {
        for (from, m) in [(lead, &update), (2, &reply)] {
            if i != from {
                let got = groups[i].as_mut().unwrap().decrypt(&m.bytes, 22)?;
                println!(
                    "{:>14} reads {:>14}: {}",
                    NAMES[i],
                    NAMES[index(&ids, &got.sender)],
                    got.message.body.expose_str().unwrap_or("")
                );
            }
        }
    }

    // Shift change: the radiographer leaves. The lead signs the next
    // roster; every remaining member applies it, rotates, and distributes.
    let leaving = 4;
    let next = roster.next(&ids[lead], &[], &[ids[leaving].public().clone()])?;
    println!(
        "radiographer removed: safety number v{} is now {}",
        next.version(),
        next.safety_number()
    );
    let mut old = groups[leaving].take().unwrap();
    let mut updates = Vec::new();
    for (i, g) in groups.iter_mut().enumerate() {
        if let Some(g) = g.as_mut() {
            let u = g.apply_roster(&mut rng, next.clone())?;
            assert!(u.rotated && u.removed == vec![ids[leaving].public().clone()]);
            updates.push((i, u));
        }
    }
    for (i, u) in &updates {
        distribute(
            &mut pairwise,
            &ids,
            &mut groups,
            *i,
            u.distribution.as_ref().unwrap(),
            30,
        )?;
    }
    let after = groups[1].as_mut().unwrap().encrypt(
        &mut rng,
        OutgoingMessage::new(b"Second wave expected at 14:00.", 31),
    )?;
    println!(
        "{:>14} reads the next update: {}",
        NAMES[3],
        groups[3]
            .as_mut()
            .unwrap()
            .decrypt(&after.bytes, 32)?
            .message
            .body
            .expose_str()
            .unwrap_or("")
    );
    match old.decrypt(&after.bytes, 32) {
        Ok(_) => unreachable!("a removed member must not read later messages"),
        Err(e) => println!("{:>14} cannot read it: {e}", NAMES[leaving]),
    }
    Ok(())
}
