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

/// `(name, version)` of every package a `Cargo.lock` lists.
fn locked_packages(lock: &str) -> Vec<(String, String)> {
    let mut packages = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(value) = line.strip_prefix("name = ") {
            name = Some(value.trim_matches('"').to_string());
        } else if let Some(value) = line.strip_prefix("version = ")
            && let Some(name) = name.take()
        {
            packages.push((name, value.trim_matches('"').to_string()));
        }
    }
    packages
}

/// The fuzz workspace has its own lock file. Where it names a package the
/// main lock also names, the versions must agree: otherwise the fuzzers
/// exercise primitives other than the ones the library ships with.
#[test]
fn fuzz_lock_matches_the_main_lock() {
    let root = env!("CARGO_MANIFEST_DIR");
    let main = locked_packages(&std::fs::read_to_string(format!("{root}/Cargo.lock")).unwrap());
    let fuzz =
        locked_packages(&std::fs::read_to_string(format!("{root}/fuzz/Cargo.lock")).unwrap());
    assert!(
        fuzz.iter().any(|(name, _)| name == "bleep"),
        "fuzz/Cargo.lock does not name bleep"
    );
    let mut differing = Vec::new();
    for (name, version) in &fuzz {
        let main_versions: Vec<&String> = main
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v)
            .collect();
        if !main_versions.is_empty() && !main_versions.contains(&version) {
            differing.push(format!("{name} {version} (main: {main_versions:?})"));
        }
    }
    assert!(
        differing.is_empty(),
        "fuzz/Cargo.lock differs from Cargo.lock: {differing:?}; copy Cargo.lock into fuzz/ and run `cargo tree` there"
    );
}

#[test]
fn a_lock_file_is_read_as_name_and_version_pairs() {
    let lock = "version = 4\n\n[[package]]\nname = \"aes\"\nversion = \"0.9.2\"\n\n[[package]]\nname = \"sha2\"\nversion = \"0.11.0\"\n";
    assert_eq!(
        locked_packages(lock),
        vec![
            ("aes".to_string(), "0.9.2".to_string()),
            ("sha2".to_string(), "0.11.0".to_string())
        ]
    );
}
