//! The minimised fuzz corpus replayed under `cargo test`, without
//! cargo-fuzz: every file in `fuzz/corpus/<target>/` runs through the same
//! checks as its fuzz target. The corpus is what `bash fuzz/run.sh SECONDS
//! merge` keeps after a campaign (inputs that each add coverage), so a
//! change that breaks an invariant on a path the fuzzer once reached fails
//! here. The hand-written seeds of `fuzz/seeds/` are replayed by
//! `tests/fuzz_seeds.rs`.
//!
//! Every target's checks live in a file shared with the fuzz target
//! (`fuzz/harness.rs`, `fuzz/decoders.rs`, `fuzz/session_ops.rs`,
//! `fuzz/device_ops.rs`, `fuzz/device_group.rs`, `fuzz/fuzz_targets/group_common.rs`), so replay runs the same code; the
//! two group targets are restated below on a fresh live group per input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../fuzz/harness.rs"]
mod harness;

#[path = "../fuzz/decoders.rs"]
mod decoders;

#[path = "../fuzz/session_ops.rs"]
mod session_ops;

#[path = "../fuzz/device_ops.rs"]
mod device_ops;

#[allow(unreachable_pub, dead_code)]
#[path = "../fuzz/fuzz_targets/group_common.rs"]
mod group_common;

#[path = "../fuzz/device_group.rs"]
mod device_group;

use bleep::GroupSession;
use std::fs;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

/// `fuzz/fuzz_targets/group_message.rs`, on a fresh live group per input
/// (the fuzz target keeps one across inputs; replay needs no history).
fn group_message(data: &[u8]) {
    let mut live = group_common::live();
    let bytes = group_common::input(data, &live.valid_message);
    let _ = GroupSession::group_id_of(&bytes);
    let before = live.receiver.state_digest();
    match live.receiver.decrypt(&bytes, 0) {
        Ok(_) => assert_eq!(
            bytes, live.valid_message,
            "only the genuine message decrypts"
        ),
        Err(_) => assert_eq!(before, live.receiver.state_digest()),
    }
    let before = live.sender.state_digest();
    assert!(live.sender.decrypt(&bytes, 0).is_err());
    assert_eq!(before, live.sender.state_digest());
}

/// `fuzz/fuzz_targets/distribution.rs`, on a fresh live group per input.
fn distribution(data: &[u8]) {
    let mut live = group_common::live();
    let bytes = group_common::input(data, &live.valid_distribution);
    let before = live.receiver.state_digest();
    if live
        .receiver
        .process_distribution(&live.sender_verified, &bytes)
        .is_err()
    {
        assert_eq!(before, live.receiver.state_digest());
    }
}

/// Runs one corpus input through a target's checks.
type Replay = Box<dyn Fn(&[u8])>;

/// The replay for a corpus directory, by fuzz target name.
fn replay(target: &str) -> Option<Replay> {
    if let Some((_, f)) = harness::TARGETS.iter().find(|(name, _)| *name == target) {
        let f = *f;
        return Some(Box::new(move |d| {
            f(d);
        }));
    }
    if let Some((_, f)) = decoders::DECODERS.iter().find(|(name, _)| *name == target) {
        return Some(Box::new(*f));
    }
    let f: fn(&[u8]) = match target {
        "session_ops" => |d| {
            session_ops::session_ops(d);
        },
        "device_ops" => |d| {
            device_ops::device_ops(d);
        },
        "group_message" => group_message,
        "distribution" => distribution,
        "device_group" => |d| {
            device_group::device_group(d);
        },
        // `fuzz/fuzz_targets/device_rows.rs`: the first byte picks the row.
        "device_rows" => |d| {
            if let Some((ty, rest)) = d.split_first() {
                let _ = bleep::fuzz_decode_device_row(*ty, rest);
            }
        },
        _ => return None,
    };
    Some(Box::new(f))
}

#[test]
fn device_group_corpus_keeps_the_genuine_message() {
    // The empty mask is the genuine message: it must still be shown.
    assert!(device_group::device_group(&[]));
    assert!(!device_group::device_group(&[0, 0, 1]));
}

#[test]
fn committed_corpus_replays_without_panic() {
    let mut dirs: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 6, "the corpus is missing");
    for dir in dirs {
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        let f = replay(&target).unwrap_or_else(|| {
            panic!("fuzz/corpus/{target} has no replay: add it to tests/fuzz_corpus.rs")
        });
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "fuzz/corpus/{target} is empty");
        for file in files {
            f(&fs::read(&file).unwrap());
        }
    }
}

#[test]
fn session_ops_programs_reach_every_operation() {
    let programs = session_ops::seed_programs();
    for (name, bytes) in &programs {
        assert!(session_ops::session_ops(bytes), "{name} decrypted nothing");
    }
    // Written into the corpus on request, as a starting point for a campaign:
    // `BLEEP_WRITE_FUZZ_CORPUS=1 cargo test --test fuzz_corpus`.
    if std::env::var_os("BLEEP_WRITE_FUZZ_CORPUS").is_some_and(|v| v == "1") {
        let dir = corpus_dir().join("session_ops");
        fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in programs {
            fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
}

#[test]
fn session_ops_survives_degenerate_programs() {
    session_ops::session_ops(&[]);
    for tag in 0..=255u8 {
        session_ops::session_ops(&[tag; 64]);
    }
}

#[test]
fn device_ops_programs_show_messages() {
    let programs = device_ops::seed_programs();
    for (name, bytes) in &programs {
        assert!(device_ops::device_ops(bytes) > 0, "{name} showed nothing");
    }
    // Written into the corpus on request, as a starting point for a campaign:
    // `BLEEP_WRITE_FUZZ_CORPUS=1 cargo test --test fuzz_corpus`.
    if std::env::var_os("BLEEP_WRITE_FUZZ_CORPUS").is_some_and(|v| v == "1") {
        let dir = corpus_dir().join("device_ops");
        fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in programs {
            fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
}

#[test]
fn device_ops_batch_shows_what_arrived_whole() {
    // Three texts to each of Dr Patel's two devices, one batch per device;
    // the second batch's middle envelope is damaged: 3 + 2 shown.
    let (_, bytes) = device_ops::seed_programs()
        .into_iter()
        .find(|(name, _)| *name == "batch-catch-up")
        .unwrap();
    assert_eq!(device_ops::device_ops(&bytes), 5);
}

#[test]
fn device_ops_survives_degenerate_programs() {
    device_ops::device_ops(&[]);
    for tag in 0..14u8 {
        device_ops::device_ops(&[tag; 4 * device_ops::MAX_OPS]);
    }
}
