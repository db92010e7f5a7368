#!/usr/bin/env bash
# The cost bound on hostile input, at test size: every input finishes in under 2 s of CPU per
# 50 MB (at least 0.5 s is allowed, for start-up) and peaks under 10x its size plus 100 MB.
# Inputs are the hostile shapes of testdata/hostile/README.md, generated here (a few MB each),
# run through the release binary. CPU time (user + system), not wall time: CI machines are
# shared. A quadratic or amplifying reader blows these bounds by 10x or more (BENCHMARKS.md,
# "Hostile inputs" and "A long paste" have the full-size figures).
#
#   scripts/bound-check.sh            # builds the release binary first
#   KPANIC=path/to/kpanic scripts/bound-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KPANIC:-}" ]; then
    cargo build --release --locked --bin kpanic >&2
    KPANIC=target/release/kpanic
fi
command -v python3 >/dev/null || { echo "bound-check: python3 is needed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bound-check: /usr/bin/time is needed (Debian: apt-get install time)" >&2; exit 2; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 scripts/hostile/gen_ips_amplify.py "$T/amplify.ips" 5
python3 scripts/hostile/gen_full_unknown.py testdata/corpus/ios-ips-forcereset-full-01.ips "$T/full-unknown.ips" 4
python3 scripts/hostile/gen_macho.py fileset 3200 3200 "$T/fileset.macho" >/dev/null
python3 scripts/hostile/gen_macho.py fat 20000 200000 "$T/fat.macho" >/dev/null
# A long paste: one real text panic repeated to 10 MB (its backtraces and kext lists add up to
# tens of thousands of frames and ranges; a frames × ranges lookup took 30 s at 50 MB).
src=testdata/corpus/x86-text-gpu-amd-displaymodechange-01.txt
while [ "$(stat -c %s "$T/long-paste.txt" 2>/dev/null || echo 0)" -lt 10000000 ]; do
    cat "$src" >> "$T/long-paste.txt"
done
PANIC=testdata/corpus/arm64-text-amcc-01.txt
BIG=testdata/corpus/ios-ips-full-mte-keystore-01.ips

fail=0
# check INPUT-FILE-FOR-SIZE ARGS...: runs kpanic ARGS, compares its cost with the bound.
check() {
    local input=$1
    shift
    local size
    size=$(stat -c %s "$input")
    /usr/bin/time -f "%U %S %M" -o "$T/time" "$KPANIC" "$@" >/dev/null 2>"$T/err" || true
    local usr sys kb
    read -r usr sys kb < <(tail -1 "$T/time")
    awk -v u="$usr" -v s="$sys" -v kb="$kb" -v size="$size" -v what="$*" 'BEGIN {
        cpu = u + s
        limit_s = 2.0 * size / 50e6; if (limit_s < 0.5) limit_s = 0.5
        limit_kb = (10 * size + 100e6) / 1024
        ok = (cpu <= limit_s && kb <= limit_kb)
        printf "%-4s %6.2f s CPU (limit %.2f)  %7.1f MiB (limit %.0f)  %.1f MB  kpanic %s\n",
            ok ? "ok" : "FAIL", cpu, limit_s, kb / 1024, limit_kb / 1024, size / 1e6, what
        exit ok ? 0 : 1
    }' || fail=1
}

for f in "$T/amplify.ips" "$T/full-unknown.ips" "$T/long-paste.txt" "$BIG"; do
    check "$f" parse "$f"
    check "$f" diagnose "$f"
    check "$f" diagnose --json "$f"
    check "$f" symbolicate "$f"
    # JSON is 6-7x the input (every frame of thousands of backtraces): written with its keys
    # sorted in one pass (kpanic::output::sorted_json), it is held once, never parsed back.
    check "$f" parse --json "$f"
    check "$f" symbolicate --json "$f"
done
check "$T/fileset.macho" atos -o "$T/fileset.macho" 0xfffffe0007004000
check "$T/fileset.macho" symbolicate "$PANIC" --kernelcache "$T/fileset.macho"
check "$T/fat.macho" atos -o "$T/fat.macho" --uuid 00000000-0000-0000-0000-000000000001 0x0

if [ "$fail" != 0 ]; then
    echo "bound-check: an input broke the cost bound" >&2
    exit 1
fi
echo "bound-check: every input within the bound"
