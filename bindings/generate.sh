#!/usr/bin/env bash
# Regenerates the checked-in Kotlin and Swift sources (and the C header
# inside the Swift package) from the binding crate, with the pinned
# uniffi-bindgen (which reads bindings/bleep-ffi/uniffi.toml). `--check` regenerates into a scratch directory and fails
# if the checked-in copy differs (run by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-write}"
cargo build --quiet -p bleep-ffi -p uniffi-bindgen
LIB=target/debug/libbleep_ffi.so
OUT=target/bindings-gen
rm -rf "$OUT" && mkdir -p "$OUT"
BINDGEN=target/debug/uniffi-bindgen
"$BINDGEN" generate --library "$LIB" --language kotlin --no-format \
    --out-dir "$OUT/kotlin" >/dev/null
"$BINDGEN" generate --library "$LIB" --language swift --no-format \
    --out-dir "$OUT/swift" >/dev/null

# Where each generated file lives in the repository.
declare -A DEST=(
    ["$OUT/kotlin/uk/nhs/bleep/bleep_ffi.kt"]=bindings/kotlin/bleep/src/main/kotlin/uk/nhs/bleep/bleep_ffi.kt
    ["$OUT/swift/Bleep.swift"]=bindings/swift/Sources/Bleep/Bleep.swift
    ["$OUT/swift/BleepFFI.h"]=bindings/swift/Sources/BleepFFI/include/BleepFFI.h
    ["$OUT/swift/BleepFFI.modulemap"]=bindings/swift/Sources/BleepFFI/include/module.modulemap
)
stale=0
for src in "${!DEST[@]}"; do
    dst="${DEST[$src]}"
    if [ ! -f "$src" ]; then
        echo "generate.sh: uniffi-bindgen did not write $src" >&2
        exit 1
    fi
    if [ "$MODE" = "--check" ]; then
        if ! cmp -s "$src" "$dst"; then
            echo "stale: $dst (run bindings/generate.sh and commit)" >&2
            stale=1
        fi
    else
        mkdir -p "$(dirname "$dst")"
        cp "$src" "$dst"
    fi
done
exit $stale
