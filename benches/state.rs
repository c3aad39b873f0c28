//! Sealing and unsealing a session that holds the most skipped message
//! keys allowed (`MAX_SKIPPED_TOTAL` = 2,000, over two chains since one
//! message may skip at most `MAX_SKIP_PER_CHAIN` = 1,000).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use bleep::limits::{MAX_SKIP_PER_CHAIN, MAX_SKIPPED_TOTAL};
use bleep::*;
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Bob's session after Alice sent 1,001 messages on each of two chains and
/// only the last of each arrived.
fn session_with_full_skipped_keys(rng: &mut ChaCha20Rng) -> Session {
    let alice_id = IdentityKeyPair::generate(rng);
    let bob_id = IdentityKeyPair::generate(rng);
    let mut prekeys = PreKeyStore::new(rng, &bob_id);
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let vb = trust
        .check(&PeerId::new("bob").unwrap(), bob_id.public())
        .unwrap();
    let va = trust
        .check(&PeerId::new("alice").unwrap(), alice_id.public())
        .unwrap();
    let mut alice = Session::initiate(rng, &alice_id, &vb, &prekeys.bundle()).unwrap();
    let first = alice
        .encrypt(rng, proof(&alice), OutgoingMessage::new(b"hi", 0))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let (mut bob, _) = Session::accept(&bob_id, &mut prekeys, &va, &env, 0).unwrap();
    for round in 0..2 {
        let mut last = None;
        for _ in 0..=MAX_SKIP_PER_CHAIN {
            last = Some(
                alice
                    .encrypt(rng, proof(&alice), OutgoingMessage::new(b"obs", 0))
                    .unwrap(),
            );
        }
        bob.decrypt(proof(&bob), &last.unwrap().envelope, 0)
            .unwrap();
        if round == 0 {
            // A reply makes Alice start a new chain.
            let reply = bob
                .encrypt(rng, proof(&bob), OutgoingMessage::new(b"ok", 0))
                .unwrap();
            alice.decrypt(proof(&alice), &reply.envelope, 0).unwrap();
        }
    }
    assert_eq!(bob.skipped_key_count(), MAX_SKIPPED_TOTAL);
    bob
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let session = session_with_full_skipped_keys(&mut rng);
    let key = StorageKey::generate(&mut rng);
    let sealed = key.seal(&mut rng, &session);
    let mut g = c.benchmark_group("state");
    g.bench_function("seal session, 2000 skipped keys", |b| {
        b.iter(|| key.seal(&mut rng, &session))
    });
    g.bench_function("unseal session, 2000 skipped keys", |b| {
        b.iter(|| key.unseal::<Session>(&sealed).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

/// A fresh proof for the session's peer from a trust-on-first-use store,
/// for tests of something other than the trust decision.
fn proof(s: &Session) -> VerifiedIdentity {
    TrustStore::new(TrustPolicy::TrustOnFirstUse)
        .check_at(&PeerId::new("peer").unwrap(), s.peer_identity(), 0)
        .unwrap()
}
