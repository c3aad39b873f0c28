#!/usr/bin/env bash
# Compiles bindings/c/example.c with gcc against the generated header and
# libbleep_ffi, and runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet -p bleep-ffi
OUT=target/c-example
mkdir -p "$OUT"
# The header marks pointers with clang's _Nullable/_Nonnull; gcc needs them
# defined away.
gcc -std=c11 -Wall -Wextra -Werror -O1 -D_Nullable= -D_Nonnull= \
    -I bindings/swift/Sources/BleepFFI/include \
    bindings/c/example.c -o "$OUT/example" \
    -L target/debug -lbleep_ffi -Wl,-rpath,"$PWD/target/debug"
"$OUT/example"
