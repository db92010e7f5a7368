#!/usr/bin/env bash
# scripts/bench.sh [BIGDIR]
#
# kpanic vs llvm-symbolizer vs gimli's addr2line on a ~275 MB-DWARF kernel-shaped dSYM
# (≈184k functions, 1.4M inlined calls), cold (no index) and warm (index present), with answers
# compared frame by frame; plus parsing the 2 MB full panic. Prints times, peak memory, ratios.
#
# BIGDIR (or $BIGDIR) holds kernel.big.dSYM and bench/kernel.big.addresses.txt from
# scripts/bench/build-big.sh; when they are missing they are built there (≈20-40 min on
# 2 cores, apt + crates.io + PyPI). Default BIGDIR: scripts/bench/out/big.
# env: N (addresses, default 10000), RUNS (runs per timing, default 5),
#      CARGO_TARGET_DIR (kpanic's build), KPANIC_BENCH_TOOLS (where addr2line is installed).
# Never run in CI: it needs the big build.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIG=${1:-${BIGDIR:-$HERE/bench/out/big}}
N=${N:-10000}
V=${LLVM_VERSION:-22}

if [[ ! -f $BIG/bench/kernel.big.addresses.txt || ! -d $BIG/kernel.big.dSYM ]]; then
  echo "== building the big dSYM into $BIG (scripts/bench/build-big.sh)"
  bash "$HERE/bench/build-big.sh" "$BIG"
fi
command -v /usr/bin/time >/dev/null || { apt-get update -q && apt-get install -y -q time; }

LLVM_SYMBOLIZER=/usr/lib/llvm-$V/bin/llvm-symbolizer
[[ -x $LLVM_SYMBOLIZER ]] || LLVM_SYMBOLIZER=$(command -v llvm-symbolizer)

# gimli's addr2line (not binutils'): the same library kpanic uses, as a CLI.
TOOLS=${KPANIC_BENCH_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/kpanic-bench/tools}
A2L=$TOOLS/bin/addr2line
if [[ ! -x $A2L ]]; then
  echo "== cargo install addr2line --features bin (into $TOOLS)"
  cargo install addr2line --version ^0.27 --features bin --locked --root "$TOOLS" -q
fi

echo "== cargo build --release -p kpanic"
(cd "$ROOT" && cargo build --release -q -p kpanic)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET = /* ]] || TARGET=$ROOT/$TARGET
KPANIC=$TARGET/release/kpanic

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
     "$("$LLVM_SYMBOLIZER" --version | grep -i 'llvm version' | xargs); addr2line $("$A2L" --version 2>/dev/null | head -1)"
python3 "$HERE/bench/run.py" "$KPANIC" "$LLVM_SYMBOLIZER" "$A2L" "$BIG" "$N"
