//! The primitives wipe their key material on drop only when their `zeroize`
//! features are on, and nothing in the compiled code shows whether they are:
//! a dependency update that drops one (chacha20poly1305 0.11 turns on
//! chacha20's but not poly1305's) would go unnoticed. This test reads the
//! resolved feature set with `cargo tree` and fails if any is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

/// Every crate holding key material, with the features it must have.
const REQUIRED: &[(&str, &[&str])] = &[
    ("chacha20", &["zeroize"]),
    ("chacha20poly1305", &["zeroize"]),
    ("poly1305", &["zeroize"]),
    ("curve25519-dalek", &["zeroize"]),
    ("x25519-dalek", &["zeroize", "static_secrets"]),
    ("ed25519-dalek", &["zeroize"]),
    // ML-KEM decapsulation keys (and the hybrid-array buffers they hold)
    // are wiped on drop only with these.
    ("ml-kem", &["zeroize"]),
    ("module-lattice", &["zeroize"]),
    ("hybrid-array", &["zeroize"]),
    // The AES-256-GCM-SIV suite: AES key schedules and the POLYVAL key.
    ("aes-gcm-siv", &["zeroize"]),
    ("aes", &["zeroize"]),
    ("polyval", &["zeroize"]),
];

/// `cargo tree` over bleep's normal (non-dev) dependencies, with `extra`.
fn cargo_tree(extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--package",
            "bleep",
            "--edges",
            "normal",
        ])
        .args(extra)
        .args([
            "--manifest-path",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ])
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn resolved_features() -> Vec<(String, Vec<String>)> {
    cargo_tree(&["--prefix", "none", "--format", "{p}|{f}"])
        .lines()
        .filter_map(|line| {
            let (package, features) = line.split_once('|')?;
            let name = package.split_whitespace().next()?.to_string();
            let features = features
                .trim_end_matches(" (*)")
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect();
            Some((name, features))
        })
        .collect()
}

#[test]
fn key_holding_primitives_zeroize_on_drop() {
    let resolved = resolved_features();
    for (name, required) in REQUIRED {
        let found: Vec<_> = resolved.iter().filter(|(n, _)| n == name).collect();
        assert!(!found.is_empty(), "{name} is no longer a dependency");
        for (_, features) in found {
            for feature in *required {
                assert!(
                    features.iter().any(|f| f == feature),
                    "{name} is built without feature `{feature}` (has {features:?})"
                );
            }
        }
    }
}

#[test]
fn no_crate_is_built_twice() {
    let dupes = cargo_tree(&["--duplicates"]);
    assert!(dupes.trim().is_empty(), "crates in two versions:\n{dupes}");
}
