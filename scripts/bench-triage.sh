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
# Wall time, and CPU time (user + sys): on a shared machine the second is the fairer measure of
# what one core does; wall time on 2 threads shows the scaling when the cores are free.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for set in fleet rest full; do
  n=$(ls "$WORK/$set" | wc -l)
  for t in 1 2; do
    /usr/bin/time -f "%e %U %S" -o "$WORK/time" env RAYON_NUM_THREADS=$t \
      "$BIN/kpanic" triage "$WORK/$set" --format json -o "$WORK/out.json"
    python3 - "$set" "$n" "$t" "$WORK/time" "$WORK/out.json" <<'PY'
import json, sys
s, n, t, timef, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
wall, user, sys_ = (float(x) for x in open(timef).read().split())
summary = json.load(open(out))["summary"]
cpu = user + sys_
print(f"{s:5} {n:6} files  {t} thread(s)  wall {wall:6.2f} s {n / wall:7.0f} files/s  "
      f"cpu {cpu:6.2f} s {n / cpu:7.0f} files/cpu-s  "
      f"({summary['panics']} panics in {summary['buckets']} buckets)")
PY
  done
done
