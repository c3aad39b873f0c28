//! Costs of identity verification: computing a safety number (two sides of
//! 5200 SHA-512 iterations), checking a scanned QR code, parsing an
//! attestation (one strict Ed25519 verification) and the trust check a
//! session start pays.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use bleep::*;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let a = IdentityKeyPair::from_seed_bytes([1; 32]);
    let b = IdentityKeyPair::from_seed_bytes([2; 32]);
    let (ai, bi) = (PeerId::new("alice").unwrap(), PeerId::new("bob").unwrap());
    c.bench_function("safety_number_new", |x| {
        x.iter(|| SafetyNumber::new(&ai, a.public(), &bi, black_box(b.public())))
    });
    let mine = SafetyNumber::new(&ai, a.public(), &bi, b.public());
    let shown = SafetyNumber::new(&bi, b.public(), &ai, a.public())
        .qr_payload()
        .to_bytes();
    c.bench_function("qr_check_scanned", |x| {
        x.iter(|| mine.check_scanned(black_box(&shown)).unwrap())
    });

    let org = OrganisationKey::from_seed_bytes([3; 32]);
    let details = ClinicianDetails::new(
        "Dr Ada Okafor",
        "Consultant",
        Registration::new(RegulatoryBody::Gmc, "7654321").unwrap(),
        "RRK",
    )
    .unwrap();
    let att = org
        .attest(
            1,
            &PeerId::new("ada.okafor").unwrap(),
            b.public(),
            &details,
            0,
            u64::MAX,
        )
        .unwrap();
    let bytes = att.to_bytes();
    c.bench_function("attestation_from_bytes", |x| {
        x.iter(|| Attestation::from_bytes(black_box(&bytes)).unwrap())
    });
    let serials: Vec<u64> = (1000..11_000).collect();
    let list = org.revocation_list(1, 0, &serials).unwrap().to_bytes();
    c.bench_function("revocation_list_10k_from_bytes", |x| {
        x.iter(|| RevocationList::from_bytes(black_box(&list)).unwrap())
    });

    let mut trust = TrustStore::new(TrustPolicy::RequireVerified);
    trust.trust_organisation(org.public_key()).unwrap();
    trust
        .add_revocation_list(RevocationList::from_bytes(&list).unwrap())
        .unwrap();
    trust
        .verify_by_attestation(&bi, b.public(), &att, 100)
        .unwrap();
    c.bench_function("trust_check_at", |x| {
        x.iter(|| trust.check_at(&bi, black_box(b.public()), 200).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
