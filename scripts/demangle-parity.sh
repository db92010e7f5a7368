#!/usr/bin/env bash
# scripts/demangle-parity.sh [BIGDIR]
#
# kpanic's C++ names against LLVM's demangler (llvm-cxxfilt / llvm-symbolizer 22, what atos
# and lldb print) on the benchmark dSYM of scripts/bench/build-big.sh: every DWARF linkage name,
# every C++ symbol of the symbol table, and every function name of the benchmark's 10,000
# return addresses. Prints the counts of names that differ, exactly and with spaces set aside,
# and the kinds of the remaining differences. Never run in CI: it needs the big build.
# env: BIGDIR, N (addresses, 10000), LLVM_VERSION (22), CARGO_TARGET_DIR,
#      DEMANGLE / KPANIC (another build's `demangle` example and `kpanic` binary, to measure it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BIG=${1:-${BIGDIR:-$HERE/bench/out/big}}
V=${LLVM_VERSION:-22}
if [[ ! -d $BIG/kernel.big.dSYM ]]; then
  echo "no $BIG/kernel.big.dSYM: build it with scripts/bench/build-big.sh $BIG" >&2; exit 2
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $TARGET = /* ]] || TARGET=$ROOT/$TARGET
if [[ -z ${DEMANGLE:-} || -z ${KPANIC:-} ]]; then
  (cd "$ROOT" && cargo build --release -q -p kpanic && cargo build --release -q -p kpanic-symbols --example demangle)
fi
python3 "$HERE/bench/demangle_parity.py" "$BIG" "/usr/lib/llvm-$V/bin" \
  "${DEMANGLE:-$TARGET/release/examples/demangle}" "${KPANIC:-$TARGET/release/kpanic}" "${N:-10000}"
