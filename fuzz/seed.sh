#!/usr/bin/env bash
# Copy seed inputs from the repository into fuzz/corpus/<target>/ (gitignored; libFuzzer adds
# what it finds there). Panic targets get the panic corpus, the example panic, the fixtures'
# report and the hostile panics; `macho` gets every Mach-O of the fixtures and the example KDK
# and the hostile Mach-O files. Re-running adds missing seeds and keeps the rest.
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
