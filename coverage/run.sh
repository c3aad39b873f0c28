#!/usr/bin/env bash
# Line, region and (with `branch`) branch coverage of the core and the device
# layer under the test suite, per source file. See docs/TESTING.md §3.
#
#   bash coverage/run.sh            # stable: lines and regions
#   bash coverage/run.sh branch     # nightly: lines, regions and branches
#
# `stable` instruments only this crate (src/lib.rs and the integration
# tests, through a rustc wrapper) and builds in target/coverage, so nothing
# instrumented lands in target/debug; `llvm-cov` from rustup's llvm-tools
# reports. A rustc wrapper changes cargo's fingerprints, so the first run
# builds every dependency once more (uninstrumented) in target/coverage. `branch` uses cargo-llvm-cov with nightly's
# `-Z coverage-options=branch`, which rebuilds every dependency with the
# nightly compiler in target/llvm-cov-target (slow on a small machine).
# Either installs what it needs if missing. The report excludes the test
# files themselves, the redaction crate and the vector generator.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-stable}"

# The test targets of the mutation config (.cargo/mutants.toml) plus the
# corpus replay: the suite whose coverage is reported.
tests=(--lib --test session --test session_boundaries --test lifecycle --test group
    --test group_vectors --test verification --test verification_vectors
    --test security_review --test fuzz_seeds --test fuzz_corpus --test zeroize
    --test pqxdh --test cipher_suite --test device --test device_batch
    --test device_group --test device_schedules --test restore --test key_change
    --test late_duplicate --test prekey_refused --test error_texts)
ignore='(\.cargo|rustc|/tests/|/fuzz/|src/redact/|src/vectors.rs|redact/|bindings/)'

case "$mode" in
branch)
    if ! rustup toolchain list | grep -q '^nightly'; then
        rustup toolchain install nightly --profile minimal
    fi
    rustup component add llvm-tools-preview --toolchain nightly
    if ! cargo llvm-cov --version >/dev/null 2>&1; then
        cargo install cargo-llvm-cov --locked
    fi
    cargo +nightly llvm-cov --branch -p bleep "${tests[@]}" \
        --ignore-filename-regex "$ignore"
    ;;
stable)
    rustup component add llvm-tools-preview >/dev/null 2>&1 || true
    bin="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
    out="$PWD/target/coverage"
    mkdir -p "$out"
    rm -f "$out"/*.profraw "$out/all.profdata"
    wrapper="$out/rustc-wrapper.sh"
    cat >"$wrapper" <<'SH'
#!/bin/sh
# Instrument this crate and its tests; pass every dependency through as is.
rustc="$1"; shift
for a in "$@"; do
    case "$a" in src/lib.rs | tests/*.rs) exec "$rustc" "$@" -C instrument-coverage ;; esac
done
exec "$rustc" "$@"
SH
    chmod +x "$wrapper"
    export RUSTC_WRAPPER="$wrapper" CARGO_TARGET_DIR="$PWD/target/coverage/build"
    execs=$(cargo test -p bleep --no-run --message-format=json "${tests[@]}" 2>/dev/null |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
    LLVM_PROFILE_FILE="$out/%p-%m.profraw" cargo test -p bleep --no-fail-fast "${tests[@]}" -q
    "$bin/llvm-profdata" merge -sparse "$out"/*.profraw -o "$out/all.profdata"
    objects=()
    for e in $execs; do objects+=(-object "$e"); done
    "$bin/llvm-cov" report "${objects[@]}" -instr-profile="$out/all.profdata" \
        -ignore-filename-regex="$ignore"
    ;;
*)
    echo "usage: $0 [stable|branch]" >&2
    exit 2
    ;;
esac
