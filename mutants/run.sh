#!/usr/bin/env bash
# Mutation testing of the cryptographic core, as configured in
# .cargo/mutants.toml (which files, which tests, the exclusions and why).
#
#   bash mutants/run.sh            # every mutant (hours on 2 cores)
#   bash mutants/run.sh 1/8        # one shard of eight
#   bash mutants/run.sh 1/8 --file src/ratchet/skipped.rs   # extra args go to cargo-mutants
#
# Jobs default to 1 (the machine is shared); set MUTANTS_JOBS to change it.
# Results land in mutants.out/ (outcomes.json, caught.txt, missed.txt,
# timeout.txt, unviable.txt); the last line printed is the score.
set -euo pipefail
cd "$(dirname "$0")/.."

shard=""
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+/[0-9]+$ ]]; then
    shard="$1"
    shift
fi

if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install cargo-mutants --locked
fi

args=(--jobs "${MUTANTS_JOBS:-1}" --no-shuffle)
if [ -n "$shard" ]; then
    args+=(--shard "$shard")
fi

status=0
cargo mutants "${args[@]}" "$@" || status=$?
# 0: all caught; 2: some missed; 3: some timed out. Anything else is a failure
# of the run itself (the unmutated tree did not pass, a bad argument).
case "$status" in
0 | 2 | 3) ;;
*) exit "$status" ;;
esac

out=mutants.out
if [ ! -f "$out/outcomes.json" ]; then
    exit "$status" # nothing was tested (for example `--list`)
fi
count() {
    if [ -f "$1" ]; then
        grep -c . "$1" || true
    else
        echo 0
    fi
}
caught=$(count "$out/caught.txt")
missed=$(count "$out/missed.txt")
timeout=$(count "$out/timeout.txt")
unviable=$(count "$out/unviable.txt")
viable=$((caught + missed + timeout))
if [ "$viable" -gt 0 ]; then
    pct=$((100 * (caught + timeout) / viable))
else
    pct=100
fi
if [ "$missed" -gt 0 ]; then
    echo "missed:"
    sed 's/^/  /' "$out/missed.txt"
fi
echo "score${shard:+ (shard $shard)}: caught $caught + timeout $timeout of $viable viable (${pct}%), $missed missed, $unviable unviable"
exit "$status"
