//! The fuzz corpus replayed under `cargo test`, without cargo-fuzz: every
//! committed seed in `fuzz/seeds/<target>/` runs through the same checks
//! as the fuzz target (`fuzz/harness.rs` is compiled into both).
//!
//! To regenerate the committed seeds after a format change:
//! `BLEEP_WRITE_FUZZ_SEEDS=1 cargo test --test fuzz_seeds`.
//! Envelope, bundle and identity hex found in `tests/vectors/*.json` is
//! added to the corpus as well.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::path::{Path, PathBuf};

fn seeds_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target)
}

fn run(target: &str) -> harness::Target {
    harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .unwrap()
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() < 2 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Hex strings under keys naming an envelope, bundle or identity, anywhere
/// in the JSON, as `(target, bytes)`.
fn collect_hex(key: &str, v: &serde_json::Value, out: &mut Vec<(&'static str, Vec<u8>)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                collect_hex(k, v, out);
            }
        }
        serde_json::Value::Array(a) => {
            for v in a {
                collect_hex(key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            let k = key.to_ascii_lowercase();
            let target = if k.contains("envelope") {
                "envelope"
            } else if k.contains("bundle") {
                "bundle"
            } else if k.contains("identity") {
                "identity_key"
            } else {
                return;
            };
            if let Some(bytes) = hex(s) {
                out.push((target, bytes));
            }
        }
        _ => {}
    }
}

/// Seeds from the test vectors, if `tests/vectors/` exists.
fn vector_seeds() -> Vec<harness::Seed> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut seeds = Vec::new();
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut found = Vec::new();
        collect_hex("", &json, &mut found);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        for (i, (target, bytes)) in found.into_iter().enumerate() {
            seeds.push((target, format!("vector-{stem}-{i}"), bytes));
        }
    }
    seeds
}

/// Writes the corpus when `BLEEP_WRITE_FUZZ_SEEDS=1` (before the replay
/// below reads it, so one run both writes and checks).
fn write_seeds_when_asked() {
    if std::env::var_os("BLEEP_WRITE_FUZZ_SEEDS").is_none_or(|v| v != "1") {
        return;
    }
    for (target, name, bytes) in harness::seed_corpus().into_iter().chain(vector_seeds()) {
        let dir = seeds_dir(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn committed_seeds_replay_without_panic() {
    write_seeds_when_asked();
    for (target, f) in harness::TARGETS {
        let dir = seeds_dir(target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no seeds for {target}");
        let mut accepted = 0;
        for file in &files {
            let bytes = fs::read(file).unwrap();
            let name = file.file_name().unwrap().to_string_lossy();
            let ok = f(&bytes);
            // The committed genuine seeds must still take the accepting
            // path, or the corpus has gone stale (regenerate it).
            if name.starts_with("genuine-") {
                assert!(ok, "{target}/{name} was rejected: regenerate the seeds");
            }
            accepted += usize::from(ok);
        }
        assert!(accepted > 0, "{target}: no seed reaches the accepting path");
    }
}

#[test]
fn generated_seeds_take_the_expected_path() {
    let mut count = 0;
    for (target, name, bytes) in harness::seed_corpus() {
        let ok = run(target)(&bytes);
        let expect = name.starts_with("genuine-");
        assert_eq!(ok, expect, "{target}/{name}");
        count += 1;
    }
    assert!(count > 50);
}

#[test]
fn vector_seeds_replay_without_panic() {
    for (target, _, bytes) in vector_seeds() {
        run(target)(&bytes);
    }
}

#[test]
fn short_and_degenerate_inputs() {
    for (_, f) in harness::TARGETS {
        f(&[]);
        for b in 0..=255u8 {
            f(&[b]);
            f(&[b, b]);
        }
        f(&[0xFF; 600]);
        f(&[0x01; 600]);
    }
}
