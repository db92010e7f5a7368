#!/usr/bin/env python3
"""gen_full_unknown.py IN OUT [MB]: a real full panic (.ips header line + body) with an unknown key
of MB megabytes (default 4) of tiny objects added to its first process. A reader that buffers
processes as generic JSON trees grows ~100x its input."""
import json
import sys

src, out = sys.argv[1], sys.argv[2]
mb = float(sys.argv[3]) if len(sys.argv) > 3 else 4
header, body = open(src, encoding="utf-8").read().split("\n", 1)
doc = json.loads(body)
procs = doc["processByPid"]
first = next(iter(procs))
n = int(mb * 1024 * 1024 / 7)
procs[first]["futureKey"] = "@@FUTURE@@"
text = json.dumps(doc)
text = text.replace('"@@FUTURE@@"', "[" + ",".join(['{"":0}'] * n) + "]", 1)
with open(out, "w", encoding="utf-8") as f:
    f.write(header + "\n" + text)
