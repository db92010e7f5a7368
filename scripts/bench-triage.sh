#!/usr/bin/env bash
# Throughput of `kpanic triage` without symbols on a generated fleet: N panics made from the
# corpus (each another slide, time, machine and boot; crates/triage/tests/variant/mod.rs), on
# 1 and 2 threads. Prints files/s for the whole fleet and for its two halves: the full panics
# (multi-MB .ips with a stackshot) and the rest.
#
#   scripts/bench-triage.sh [N=10000]
set -euo pipefail
N=${1:-10000}
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release --locked -q -p kpanic -p kpanic-triage --example gen_fleet
BIN=$CARGO_TARGET_DIR/release
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN/examples/gen_fleet" "$N" "$WORK/fleet" 2>/dev/null
mkdir -p "$WORK/full" "$WORK/rest"
for f in "$WORK"/fleet/*; do
  # Full panics are the .ips files with a stackshot (`processByPid`).
  if grep -q '"processByPid"' "$f"; then ln -s "$f" "$WORK/full/"; else ln -s "$f" "$WORK/rest/"; fi
done
echo "fleet: $N files, $(du -sh "$WORK/fleet" | cut -f1) ($(ls "$WORK/full" | wc -l) full panics)"
# Warm the page cache: the figures are kpanic's, not the disk's.
cat "$WORK"/fleet/* > /dev/null
for set in fleet rest full; do
  n=$(ls "$WORK/$set" | wc -l)
  for t in 1 2; do
    start=$(date +%s.%N)
    RAYON_NUM_THREADS=$t "$BIN/kpanic" triage "$WORK/$set" --format json -o "$WORK/out.json"
    end=$(date +%s.%N)
    python3 - "$set" "$n" "$t" "$start" "$end" "$WORK/out.json" <<'PY'
import json, sys
s, n, t, a, b, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
summary = json.load(open(out))["summary"]
secs = b - a
print(f"{s:5} {n:6} files  {t} thread(s)  {secs:6.2f} s  {n / secs:7.0f} files/s  "
      f"({summary['panics']} panics in {summary['buckets']} buckets)")
PY
  done
done
