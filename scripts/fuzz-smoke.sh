#!/usr/bin/env bash
# CI smoke run of the fuzz targets in fuzz/: installs cargo-fuzz when missing, builds every
# target optimized with debug assertions and overflow checks (and AddressSanitizer, cargo-fuzz's
# default), seeds each corpus from testdata/ and runs each target for FUZZ_SECONDS (default 25,
# 5 targets: 125 s of fuzzing). Fails on any crash, overflow, timeout (> 10 s for one input) or
# out-of-memory (> 2 GB); the input that failed is left in fuzz/artifacts/<target>/. A fixed
# -seed keeps the run repeatable: CI should not fail by chance on what a longer run would find.
#
# cargo-fuzz passes -Z flags to rustc: on the stable toolchain that needs RUSTC_BOOTSTRAP=1,
# set here (harmless on nightly). Needs a C++ compiler for libFuzzer (as `cc` builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-25}
targets=(parse diagnose symbolicate macho index)

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi

cd fuzz
./seed.sh
cargo fuzz build -O -a

status=0
for t in "${targets[@]}"; do
    dict=dict/panic.dict
    [ "$t" = macho ] && dict=dict/macho.dict
    [ "$t" = index ] && dict=dict/index.dict
    echo "== fuzz $t for ${seconds}s"
    # One process (no -jobs/-workers): CI machines are shared.
    if ! cargo fuzz run -O -a "$t" "corpus/$t" -- \
        -dict="$dict" -max_total_time="$seconds" -max_len=262144 \
        -rss_limit_mb=2048 -timeout=10 -seed=1 -print_final_stats=1; then
        echo "fuzz-smoke: $t failed; the input is in fuzz/artifacts/$t/" >&2
        status=1
    fi
done
exit $status
