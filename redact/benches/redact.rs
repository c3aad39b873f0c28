//! Throughput of the redaction scanner on mixed clinical text.
#![allow(missing_docs)] // criterion_group! generates an undocumented fn
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use bleep_redact::{Action, PseudonymKey};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod support;
use support::{chatter, mixed_text, typical};

fn bench(c: &mut Criterion) {
    let (scanner, text) = mixed_text();
    let key = PseudonymKey::from_bytes([7; 32]);
    let mut g = c.benchmark_group("redact");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("scan_64k", |b| {
        b.iter(|| black_box(scanner.scan(black_box(&text))))
    });
    g.bench_function("redact_mask_64k", |b| {
        b.iter(|| black_box(scanner.redact(black_box(&text), &Action::Mask)))
    });
    g.bench_function("redact_pseudonymise_64k", |b| {
        b.iter(|| {
            black_box(scanner.redact(
                black_box(&text),
                &Action::Pseudonymise {
                    key: &key,
                    conversation: b"bench",
                },
            ))
        })
    });
    let plain = chatter(&text);
    let typical = typical(&text, &plain);
    g.throughput(Throughput::Bytes(typical.len() as u64));
    g.bench_function("scan_typical_64k", |b| {
        b.iter(|| black_box(scanner.scan(black_box(&typical))))
    });
    g.bench_function("redact_mask_typical_64k", |b| {
        b.iter(|| black_box(scanner.redact(black_box(&typical), &Action::Mask)))
    });
    g.throughput(Throughput::Bytes(plain.len() as u64));
    g.bench_function("scan_chatter_only", |b| {
        b.iter(|| black_box(scanner.scan(black_box(&plain))))
    });
    g.finish();
    // The floor under the same machine load: one pass over the text that
    // decodes every char and tests it for a letter, the least a scan must do.
    let mut g = c.benchmark_group("redact_floor");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("chars_alphabetic_64k", |b| {
        b.iter(|| {
            black_box(
                black_box(&text)
                    .chars()
                    .filter(|c| c.is_alphabetic())
                    .count(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
