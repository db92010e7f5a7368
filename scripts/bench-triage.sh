#!/usr/bin/env bash
# Throughput of `kpanic triage`, on 1 and 2 threads, as files per second and per CPU-second.
#
# 1. Without symbols, on a generated fleet: N panics made from the corpus (each another slide,
#    time, machine and boot; crates/triage/tests/variant/mod.rs). Prints the whole fleet and its
#    two halves: the full panics (multi-MB .ips with a stackshot) and the rest. The JSON of 1 and
#    2 threads must be byte-identical; with BEFORE=/path/to/another/kpanic, that binary's JSON of
#    the fleet must be too (an optimisation must not change the output).
# 2. With warm symbol indexes: N variants of the bundled example (examples/: a panic and its
#    KDK), indexed once with `kpanic index` into a fresh cache, then triaged with `--kdk`.
# 3. When BIGDIR holds the big kernel-shaped dSYM (scripts/bench/build-big.sh; never in CI): N
#    panics of that kernel, each with 12 random call sites (scripts/bench/gen_big_panics.py),
#    triaged with its index warm, and once cold (no index) for comparison.
#
#   scripts/bench-triage.sh [N=10000]          env: BEFORE, BIGDIR, CARGO_TARGET_DIR
set -euo pipefail
N=${1:-10000}
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
# Two builds: with a target selection (`--example`) cargo builds nothing else of the packages.
cargo build --release --locked -q -p kpanic
cargo build --release --locked -q -p kpanic-triage --example gen_fleet
BIN=$CARGO_TARGET_DIR/release
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
command -v /usr/bin/time >/dev/null || { apt-get update -q && apt-get install -y -q time; }

# run SET_DIR LABEL THREADS OUT [kpanic args…]: one timed triage, one line of figures.
run() {
  local dir=$1 label=$2 t=$3 out=$4
  shift 4
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" env RAYON_NUM_THREADS="$t" \
    "$BIN/kpanic" triage "$dir" --format json -o "$out" "$@"
  python3 - "$label" "$(ls "$dir" | wc -l)" "$t" "$WORK/time" "$out" <<'PY'
import json, sys
s, n, t, timef, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
wall, user, sys_, rss = (float(x) for x in open(timef).read().split())
summary = json.load(open(out))["summary"]
cpu = user + sys_
print(f"{s:9} {n:6} files  {t} thread(s)  wall {wall:6.2f} s {n / wall:7.0f} files/s  "
      f"cpu {cpu:6.2f} s {n / cpu:7.0f} files/cpu-s  {rss / 1024:5.0f} MiB  "
      f"({summary['panics']} panics in {summary['buckets']} buckets, "
      f"{summary['symbolicated']} symbolicated)")
PY
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

echo "== 1. without symbols"
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
for set in fleet rest full; do
  for t in 1 2; do
    run "$WORK/$set" "$set" "$t" "$WORK/$set.$t.json"
  done
  cmp -s "$WORK/$set.1.json" "$WORK/$set.2.json" || { echo "$set: 1 and 2 threads differ"; exit 1; }
done
if [[ -n ${BEFORE:-} ]]; then
  RAYON_NUM_THREADS=2 "$BEFORE" triage "$WORK/fleet" --format json -o "$WORK/before.json"
  if cmp -s "$WORK/before.json" "$WORK/fleet.1.json"; then
    echo "the fleet's JSON is byte-identical to $BEFORE's"
  else
    echo "the fleet's JSON differs from $BEFORE's"
    exit 1
  fi
fi

echo "== 2. warm symbol indexes: the bundled example's panic and KDK"
KDK=$ROOT/examples/KDK_15.4_24E248.kdk
mkdir -p "$WORK/example-corpus"
cp examples/fxdriver-panic.txt "$WORK/example-corpus/"
"$BIN/examples/gen_fleet" "$N" "$WORK/example" "$WORK/example-corpus" 2>/dev/null
cat "$WORK"/example/* > /dev/null
export KPANIC_CACHE=$WORK/cache
"$BIN/kpanic" index --kdk "$KDK" | tail -1
for t in 1 2; do
  run "$WORK/example" example "$t" "$WORK/example.$t.json" --kdk "$KDK"
done

BIGDIR=${BIGDIR:-}
if [[ -n $BIGDIR && -d $BIGDIR/kernel.big.dSYM && -f $BIGDIR/bench/kernel.big.addresses.txt ]]; then
  echo "== 3. warm symbol indexes: the big kernel-shaped dSYM ($BIGDIR)"
  BIGKDK=$WORK/big.kdk/System/Library/Kernels
  mkdir -p "$BIGKDK"
  ln -s "$(cd "$BIGDIR" && pwd)/kernel.big" "$BIGKDK/kernel.release.t8112"
  ln -s "$(cd "$BIGDIR" && pwd)/kernel.big.dSYM" "$BIGKDK/kernel.release.t8112.dSYM"
  python3 scripts/bench/gen_big_panics.py "$N" examples/fxdriver-panic.txt "$BIGDIR" "$WORK/big"
  cat "$WORK"/big/* > /dev/null
  "$BIN/kpanic" index --kdk "$WORK/big.kdk" | tail -1
  for t in 1 2; do
    run "$WORK/big" big "$t" "$WORK/big.$t.json" --kdk "$WORK/big.kdk"
  done
  KPANIC_CACHE=$WORK/no-cache run "$WORK/big" big-cold 1 "$WORK/big.cold.json" --kdk "$WORK/big.kdk"
  cmp -s "$WORK/big.1.json" "$WORK/big.cold.json" || { echo "big: warm and cold differ"; exit 1; }
fi
