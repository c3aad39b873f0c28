#!/usr/bin/env bash
# Fuzz smoke run: every [[bin]] in fuzz/Cargo.toml, SECONDS each (default 30),
# starting from its committed seeds in fuzz/seeds/<target>/ (copied to a
# scratch corpus, so the committed seeds never change). Fails if any target
# crashes, and prints one summary line per target: executions, coverage.
#
#   bash fuzz/run.sh 30
#
# Crash inputs land in fuzz/artifacts/<target>/; reproduce one with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`.
set -euo pipefail

per_target="${1:-30}"
case "$per_target" in
'' | *[!0-9]*)
    echo "usage: $0 SECONDS" >&2
    exit 2
    ;;
esac
cd "$(dirname "$0")/.."

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Every [[bin]] name in fuzz/Cargo.toml, in file order.
targets=$(awk '
    /^\[\[bin\]\]/ { in_bin = 1; next }
    /^\[/ { in_bin = 0 }
    in_bin && $1 == "name" { gsub(/^[^"]*"|".*$/, ""); print }
' fuzz/Cargo.toml)
if [ -z "$targets" ]; then
    echo "no [[bin]] targets in fuzz/Cargo.toml" >&2
    exit 1
fi

# Build every target once; each `cargo fuzz run` below then only links
# nothing new (same flags, same profile).
cargo +nightly fuzz build

scratch=$(mktemp -d "${TMPDIR:-/tmp}/bleep-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

failed=()
summary=()
for t in $targets; do
    corpus="$scratch/corpus/$t"
    mkdir -p "$corpus"
    if [ -d "fuzz/seeds/$t" ]; then
        cp -R "fuzz/seeds/$t/." "$corpus/"
    fi
    log="$scratch/$t.log"
    echo "== fuzzing $t for ${per_target}s"
    status=ok
    if ! cargo +nightly fuzz run "$t" "$corpus" -- \
        -max_total_time="$per_target" -timeout=20 -print_final_stats=1 \
        >"$log" 2>&1; then
        status=CRASH
        failed+=("$t")
        tail -n 60 "$log" >&2
    fi
    # libFuzzer's final stats, else its last status line.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ -z "$execs" ]; then
        execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    fi
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
    seeds=$( (find "fuzz/seeds/$t" -type f 2>/dev/null || true) | wc -l)
    summary+=("$(printf '%-18s %-5s execs=%-10s cov=%-6s ft=%-6s corpus=%-12s seeds=%s' \
        "$t" "$status" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$seeds")")
done

echo
echo "fuzz summary (${per_target}s per target):"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
