#!/usr/bin/env bash
# Fuzz run: every [[bin]] in fuzz/Cargo.toml, SECONDS each (default 30),
# starting from its committed seeds (fuzz/seeds/<target>/) and minimised
# corpus (fuzz/corpus/<target>/), copied to a scratch corpus so nothing
# committed changes. Fails if any target crashes, and prints one summary
# line per target: executions, coverage.
#
#   bash fuzz/run.sh 30                 # the CI smoke run
#   bash fuzz/run.sh 1200 merge         # a campaign, then minimise the corpus
#   FUZZ_TARGETS="envelope session_ops" bash fuzz/run.sh 120 merge
#
# With `merge`, after each target's run the scratch corpus and the
# committed one are merged with libFuzzer's `-merge=1` (the set of inputs
# that keeps every feature reached, smallest first) into a fresh
# fuzz/corpus/<target>/, replacing the old one; inputs over MAX_LEN bytes
# (default 4096) are left out so the committed corpus stays small.
# `cargo test --test fuzz_corpus` replays it. Review the diff and commit.
# FUZZ_TARGETS restricts the run to the named targets.
#
# Crash inputs land in fuzz/artifacts/<target>/; reproduce one with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`.
set -euo pipefail

per_target="${1:-30}"
mode="${2:-run}"
case "$per_target" in
'' | *[!0-9]*)
    echo "usage: $0 SECONDS [merge]" >&2
    exit 2
    ;;
esac
case "$mode" in
run | merge) ;;
*)
    echo "usage: $0 SECONDS [merge]" >&2
    exit 2
    ;;
esac
max_len="${MAX_LEN:-4096}"
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
if [ -n "${FUZZ_TARGETS:-}" ]; then
    for t in $FUZZ_TARGETS; do
        if ! grep -qx "$t" <<<"$targets"; then
            echo "unknown fuzz target: $t" >&2
            exit 2
        fi
    done
    targets="$FUZZ_TARGETS"
fi
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
    for d in "fuzz/seeds/$t" "fuzz/corpus/$t"; do
        if [ -d "$d" ]; then
            cp -R "$d/." "$corpus/"
        fi
    done
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
    kept=""
    if [ "$mode" = merge ] && [ "$status" = ok ]; then
        # Minimise: the committed corpus first, then what this run found,
        # so an input already committed is kept over an equivalent new one.
        merged="$scratch/merged/$t"
        mkdir -p "$merged" "fuzz/corpus/$t"
        if cargo +nightly fuzz run "$t" "$merged" "fuzz/corpus/$t" "$corpus" -- \
            -merge=1 -max_len="$max_len" -timeout=20 >"$scratch/$t.merge.log" 2>&1; then
            rm -rf "fuzz/corpus/$t"
            mkdir -p "fuzz/corpus/$t"
            cp -R "$merged/." "fuzz/corpus/$t/"
            kept=" kept=$(find "fuzz/corpus/$t" -type f | wc -l)"
        else
            failed+=("$t(merge)")
            tail -n 20 "$scratch/$t.merge.log" >&2
        fi
    fi
    summary+=("$(printf '%-18s %-5s execs=%-10s cov=%-6s ft=%-6s corpus=%-12s seeds=%s%s' \
        "$t" "$status" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$seeds" "$kept")")
done

echo
echo "fuzz summary (${per_target}s per target):"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
