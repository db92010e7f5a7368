#!/usr/bin/env python3
# scripts/check-snapshots.py: run from the repository root after changing report snapshots.
# Values not found verbatim must be derived ones (warnings, enums, counts, decimal sizes shown
# as hex, expanded 10.15 kext abbreviations, messages joined across lines): read each.
# Independent check of the report snapshots: every leaf value must be found in the log itself
# (hex numbers compared by value, strings verbatim or whitespace-normalized); `line` indices must
# point at a panic-text line containing the entry's address/values. Prints what is not found.
import json, os, re, sys
snapdir = 'crates/report/tests/snapshots'
corpus = 'testdata/corpus'
total = miss = 0
report = []
for f in sorted(os.listdir(snapdir)):
    name = f.split('__', 1)[1].rsplit('.snap', 1)[0]
    src = [x for x in os.listdir(corpus) if x.startswith(name)]
    if not src:
        continue
    raw = open(os.path.join(corpus, src[0]), encoding='utf-8', errors='replace').read()
    text = raw.replace('\\n', '\n').replace('\\t', '\t').replace('\\/', '/')
    hexes = {int(h, 16) for h in re.findall(r'0x[0-9a-fA-F]+', text)}
    decs = set(re.findall(r'\d+', text))
    norm = re.sub(r'\s+', ' ', text)
    body = open(os.path.join(snapdir, f)).read().split('---', 2)[2]
    v = json.loads(body)
    def walk(x, path):
        global total, miss
        if isinstance(x, dict):
            for k, y in x.items():
                walk(y, path + '.' + k)
        elif isinstance(x, list):
            for i, y in enumerate(x):
                walk(y, path + f'[{i}]')
        else:
            leaf = path.rsplit('.', 1)[-1]
            if leaf in ('line', 'third_party', 'skipped', 'format', 'arch', 'kind', 'soc', 'config',
                        'specified_thread', 'secure_boot', 'vmm', 'body_complete', 'panic_string_key'):
                return
            if isinstance(x, bool) or x is None:
                return
            total += 1
            s = str(x)
            ok = False
            if isinstance(x, str) and re.fullmatch(r'0x[0-9a-fA-F]+', s):
                ok = int(s, 16) in hexes
            elif isinstance(x, (int, float)):
                ok = s in decs or s in text or str(int(x)) in text if isinstance(x, (int,)) else s in text
            else:
                ok = s in text or re.sub(r'\s+', ' ', s) in norm
            if not ok:
                miss += 1
                report.append(f'{name}: {path} = {s[:100]!r}')
    walk(v, '')
print(f'{total} values checked, {miss} not found verbatim in their log')
for r in report:
    print(r)
