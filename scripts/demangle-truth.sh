#!/usr/bin/env bash
# scripts/demangle-truth.sh [NAMES] [OUT]
#
# The truth crates/symbols/tests/demangle_parity.rs holds kpanic's demangler to: LLVM's
# demangler (llvm-cxxfilt: the one llvm-symbolizer, lldb and Apple's atos use) on every mangled
# name of NAMES (one a line; default testdata/demangle/names.txt), written to OUT as
# `mangled<TAB>demangled` lines (default testdata/demangle/llvm-cxxfilt.tsv).
#
# NAMES is a sample of hard cases: C++ names from the benchmark dSYM (scripts/bench/build-big.sh:
# DuckDB against libc++), from libLLVM and libstdc++, that cpp_demangle 0.5.1 printed otherwise
# than LLVM, one or a few of each kind of difference, plus hand-written ones for each fix in
# vendor/cpp_demangle/PATCHES.md. Rerun after editing NAMES; the test needs no LLVM.
# env: LLVM_VERSION (default 22): the llvm-cxxfilt of Debian's llvm-$LLVM_VERSION package.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAMES=${1:-$ROOT/testdata/demangle/names.txt}
OUT=${2:-$ROOT/testdata/demangle/llvm-cxxfilt.tsv}
V=${LLVM_VERSION:-22}
CXXFILT=/usr/lib/llvm-$V/bin/llvm-cxxfilt
if [[ ! -x $CXXFILT ]]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "llvm-$V"
fi
# One name per line in, one per line out; names are never split, and llvm-cxxfilt prints a
# name it cannot demangle unchanged.
"$CXXFILT" --no-strip-underscore < "$NAMES" | paste "$NAMES" - > "$OUT.tmp"
if [[ $(wc -l < "$OUT.tmp") != $(wc -l < "$NAMES") ]]; then
  echo "llvm-cxxfilt answered a different number of lines" >&2; exit 1
fi
mv "$OUT.tmp" "$OUT"
echo "$(wc -l < "$OUT") names -> $OUT ($("$CXXFILT" --version | grep -i 'llvm version' | xargs))"
