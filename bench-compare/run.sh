#!/usr/bin/env bash
# bleep beside vodozemac (Olm, Megolm), run by hand (not in CI):
#   bash bench-compare/run.sh [ROUNDS]
# Runs the comparison ROUNDS times (default 3) in one process each, prints
# the load average before each round, and the median of each benchmark
# over the rounds (criterion's point estimate per round).
set -euo pipefail
cd "$(dirname "$0")"
rounds="${1:-3}"
out="$(mktemp -d)"
cargo bench --bench compare --no-run
for r in $(seq 1 "$rounds"); do
  echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  cargo bench --bench compare -- --noplot >"$out/round$r.txt" 2>&1
  find target/criterion -name estimates.json -path '*new*' | while read -r f; do
    name="${f#target/criterion/}"; name="${name%/new/estimates.json}"
    est="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' "$f")"
    echo "$name	$est"
  done >>"$out/all.tsv"
done
echo "median over $rounds rounds (µs per iteration; the group benches iterate 100 messages):"
python3 - "$out/all.tsv" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, est = line.rstrip("\n").split("\t")
    runs.setdefault(name, []).append(float(est) / 1000)
for name in sorted(runs):
    print(f"{name:<60} {statistics.median(runs[name]):10.2f}  ({len(runs[name])} rounds)")
PY
