#!/usr/bin/env bash
# Copy seed inputs from the repository into fuzz/corpus/<target>/ (gitignored; libFuzzer adds
# what it finds there). Panic targets get the panic corpus, the example panic, the fixtures'
# report and the hostile panics; `macho` gets every Mach-O of the fixtures and the example KDK
# and the hostile Mach-O files; `index` gets flag-and-patch seeds. Re-running adds missing seeds
# and keeps the rest.
set -euo pipefail
cd "$(dirname "$0")"
root=..

panics() {
    find "$root/testdata/corpus" -type f ! -name README.md ! -name SOURCES.tsv
    find "$root/testdata/hostile" -type f ! -name '*.macho' ! -name README.md ! -name '*.py'
    echo "$root/examples/fxdriver-panic.txt"
    echo "$root/testdata/fixtures/report.txt"
}

machos() {
    find "$root/testdata/fixtures" "$root/examples" "$root/testdata/hostile" -type f \
        ! -name '*.c' ! -name '*.h' ! -name '*.cpp' ! -name '*.md' ! -name '*.txt' \
        ! -name '*.yml' ! -name '*.plist' ! -name '*.json' ! -name '*.nm' ! -name '*.callsites' \
        ! -name '*.ips' ! -name '*.py'
}

copy() {
    local target=$1
    mkdir -p "corpus/$target"
    while read -r f; do
        # Named by content: the same file reached twice is one seed.
        cp -n "$f" "corpus/$target/$(sha1sum "$f" | cut -c1-40)"
    done
    echo "corpus/$target: $(find "corpus/$target" -type f | wc -l) files"
}

for t in parse diagnose symbolicate; do
    panics | copy "$t"
done
machos | copy macho
# `index` patches an index it builds itself: seeds are flag bytes and a few patches (see its
# header comment): unchanged, resealed, resealed with data, cut in the header and in the tables.
mkdir -p corpus/index
printf '\x00' > corpus/index/unchanged
printf '\x01' > corpus/index/resealed
printf '\x03' > corpus/index/resealed-data
printf '\x05\x40\x00\x00\x00' > corpus/index/cut-header
printf '\x07\x00\x02\x00\x00' > corpus/index/cut-tables
printf '\x03\x60\x00\x00\x00\x08\xff\xff\xff\xff\xff\xff\xff\xff' > corpus/index/directory-offset
echo "corpus/index: $(find corpus/index -type f | wc -l) files"
