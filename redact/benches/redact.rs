//! Throughput of the redaction scanner on mixed clinical text.
#![allow(missing_docs)] // criterion_group! generates an undocumented fn
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use bleep_redact::{Action, PseudonymKey, Scanner};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CORPUS: &str = include_str!("../tests/data/redact_corpus.txt");

/// The corpus messages without their label markers, padded with plain
/// clinical chatter so identifiers are not the whole text, repeated to 64 KiB.
fn mixed_text() -> (Scanner, String) {
    let mut b = Scanner::builder();
    let mut msgs = Vec::new();
    for line in CORPUS.lines() {
        if let Some(p) = line.strip_prefix("#! patient: ") {
            b = b.patient_name(p);
        } else if let Some(s) = line.strip_prefix("#! staff: ") {
            b = b.staff_name(s);
        } else if !line.starts_with('#') {
            let mut t = String::new();
            let mut rest = line;
            while let Some(i) = rest.find("{{") {
                t.push_str(&rest[..i]);
                let colon = rest[i..].find(':').unwrap() + i;
                rest = &rest[colon + 1..];
                let end = rest.find("}}").unwrap();
                t.push_str(&rest[..end]);
                rest = &rest[end + 2..];
            }
            t.push_str(rest);
            msgs.push(t.replace("<<", "").replace(">>", ""));
        }
    }
    let chatter = [
        "Thanks, will review after the ward round 👍 Obs stable, eating and drinking, mobilising with frame.",
        "Can someone chase the CT report? Radiology say it's been vetted, slot after 15:00 — café closes at 4 ☕",
        "Physio happy for home with package of care; OT assessment tomorrow. Pharmacy doing TTOs now 🙏",
        "Reminder: hand hygiene audit this week, and please document fluid balance on every bed ✅",
    ];
    let mut text = String::new();
    let mut k = 0;
    while text.len() < 64 * 1024 {
        text.push_str(&msgs[k % msgs.len()]);
        text.push('\n');
        text.push_str(chatter[k % chatter.len()]);
        text.push('\n');
        k += 1;
    }
    (b.build(), text)
}

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
    let plain: String = text
        .lines()
        .filter(|l| {
            l.starts_with("Thanks")
                || l.starts_with("Can")
                || l.starts_with("Physio")
                || l.starts_with("Reminder")
        })
        .collect::<Vec<_>>()
        .join("\n");
    // One corpus message per four lines of chatter: closer to a ward's
    // message stream than the dense mix above.
    let dense: Vec<&str> = text.lines().step_by(2).collect();
    let chat: Vec<&str> = plain.lines().collect();
    let mut typical = String::new();
    let mut k = 0;
    while typical.len() < 64 * 1024 {
        typical.push_str(dense[k % dense.len()]);
        typical.push('\n');
        for j in 0..4 {
            typical.push_str(chat[(k * 4 + j) % chat.len()]);
            typical.push('\n');
        }
        k += 1;
    }
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
