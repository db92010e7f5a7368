#!/usr/bin/env python3
"""Side-by-side benchmark: kpanic (cold and warm index) vs llvm-symbolizer vs gimli's addr2line
on the big kernel-shaped dSYM, plus report parsing on the 2 MB full panic.

usage: run.py KPANIC LLVM_SYMBOLIZER ADDR2LINE BIGDIR [N]
Every tool gets the same N return addresses (call site + 4; llvm-symbolizer and addr2line, which
have no return-address mode, get address - 1, which is what kpanic looks up). Each timing is the
median of RUNS whole-process runs with a warm page cache; peak memory is /usr/bin/time's max RSS.
Answers are compared frame by frame (function, file, line of every inlined frame).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

KPANIC, LLVM, A2L, BIG = sys.argv[1:5]
N = int(sys.argv[5]) if len(sys.argv) > 5 else 10000
RUNS = int(os.environ.get("RUNS", "5"))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DSYM = os.path.join(BIG, "kernel.big.dSYM")
DW = os.path.join(DSYM, "Contents/Resources/DWARF/kernel.big")
WORK = tempfile.mkdtemp(prefix="kpanic-bench-")


def run(cmd, stdin=None, env=None, out=None):
    """(wall seconds, max RSS MiB) of one whole-process run."""
    rss_file = os.path.join(WORK, "rss")
    full = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fout = open(out, "wb") if out else subprocess.DEVNULL
    e = dict(os.environ)
    e.update(env or {})
    t0 = time.perf_counter()
    p = subprocess.run(full, stdin=fin, stdout=fout, stderr=subprocess.PIPE, env=e)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode()[-2000:]}")
    with open(rss_file) as f:
        rss = int(f.read().split()[-1]) / 1024
    return dt, rss


def bench(name, cmd, stdin=None, env=None, out=None, runs=RUNS):
    run(cmd, stdin, env, out)  # warm the page cache (and write `out`)
    times, rsss = [], []
    for _ in range(runs):
        dt, rss = run(cmd, stdin, env)
        times.append(dt)
        rsss.append(rss)
    t, m = statistics.median(times), max(rsss)
    print(f"  {name:<44} {t * 1000:9.1f} ms  {m:8.1f} MiB", flush=True)
    return t, m


# ---------------------------------------------------------------- inputs
calls = [l.strip() for l in open(os.path.join(BIG, "bench/kernel.big.addresses.txt")) if l.strip()]
step = max(1, len(calls) // N)
picked = [int(a, 16) for a in calls[::step][:N]]
rets = os.path.join(WORK, "rets.txt")
minus1 = os.path.join(WORK, "rets-minus-1.txt")
with open(rets, "w") as f:
    f.writelines(f"{a + 4:#x}\n" for a in picked)
with open(minus1, "w") as f:
    f.writelines(f"{a + 3:#x}\n" for a in picked)
print(f"{len(picked)} return addresses (of {len(calls)} call sites), {RUNS} runs each, median")
size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(DSYM) for f in fs)
print(f"dSYM: {DSYM} ({size / 1e6:.0f} MB)")

cold_cache = os.path.join(WORK, "cache-empty")
warm_cache = os.path.join(WORK, "cache")
os.makedirs(cold_cache)
llvm_out = os.path.join(WORK, "llvm.json")
a2l_out = os.path.join(WORK, "addr2line.txt")
kp_json = os.path.join(WORK, "kpanic.json")
kp_warm_json = os.path.join(WORK, "kpanic-warm.json")
atos = [KPANIC, "atos", "-o", DSYM, "--return-addresses", "-i"]

print("\nsymbolication, every inlined frame (whole process):")
r = {}
r["llvm"] = bench("llvm-symbolizer --inlining", [LLVM, "--obj=" + DW, "--inlining", "--functions=linkage",
                  "--demangle", "--output-style=JSON"], stdin=minus1, out=llvm_out)
r["a2l"] = bench("addr2line (gimli) -f -i -C", [A2L, "-e", DW, "-a", "-f", "-i", "-C"],
                 stdin=minus1, out=a2l_out)
r["cold"] = bench("kpanic atos -i, no index (cold)", atos, stdin=rets, env={"KPANIC_CACHE": cold_cache})
bench("kpanic atos -i --json, no index", atos + ["--json"], stdin=rets,
      env={"KPANIC_CACHE": cold_cache}, out=kp_json, runs=1)
t0 = time.perf_counter()
dt, rss = run([KPANIC, "index", "--symbols", DSYM], env={"KPANIC_CACHE": warm_cache})
r["build"] = (dt, rss)
ix_size = sum(os.path.getsize(os.path.join(warm_cache, "index", f))
              for f in os.listdir(os.path.join(warm_cache, "index")))
print(f"  {'kpanic index (one-time build)':<44} {dt * 1000:9.1f} ms  {rss:8.1f} MiB"
      f"  -> {ix_size / 1e6:.1f} MB index")
r["warm"] = bench("kpanic atos -i, index present (warm)", atos, stdin=rets, env={"KPANIC_CACHE": warm_cache})
bench("kpanic atos -i --json, index present", atos + ["--json"], stdin=rets,
      env={"KPANIC_CACHE": warm_cache}, out=kp_warm_json, runs=1)

# ---------------------------------------------------------------- agreement
# llvm-symbolizer again, untimed, without demangling: tells a C++ demangling difference (same
# mangled name, cpp_demangle vs LLVM's demangler spelling it differently) from a wrong function.
llvm_raw = os.path.join(WORK, "llvm-mangled.json")
run([LLVM, "--obj=" + DW, "--inlining", "--functions=linkage", "--no-demangle",
     "--output-style=JSON"], stdin=minus1, out=llvm_raw)


def norm_file(f):
    return "" if f in (None, "", "??") else f


def llvm_answers(path):
    out = []
    for line in open(path):
        d = json.loads(line)
        out.append([(s["FunctionName"] if s["FunctionName"] != "??" else "",
                     norm_file(s["FileName"]), s["Line"]) for s in d["Symbol"]])
    return out


def kpanic_answers(path):
    out = []
    for fr in json.load(open(path)):
        out.append([(s.get("function") or "", norm_file(s.get("file")), s.get("line") or 0)
                    for s in fr["symbols"]])
    return out


def a2l_answers():
    out, cur, lines = [], None, open(a2l_out).read().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("0x"):
            cur = []
            out.append(cur)
            i += 1
            continue
        func, loc = lines[i], lines[i + 1]
        file, _, ln = loc.rpartition(":")
        ln = ln.split(" ")[0]
        cur.append(("" if func == "??" else func, norm_file(file), int(ln) if ln.isdigit() else 0))
        i += 2
    return out


def compare(ans, truth, mangled):
    """(addresses whose frames, files or lines differ, addresses whose function names differ
    other than by C++ demangling, addresses that differ only by C++ demangling), examples."""
    wrong, names, style, examples = 0, 0, 0, []
    for i, (got, want) in enumerate(zip(ans, truth)):
        if got == want:
            continue
        if [(f, l) for _, f, l in got] != [(f, l) for _, f, l in want]:
            wrong += 1
            examples.append(i)
            continue
        only_style = all(g[0] == w[0] or m[0].startswith("_Z")
                         for g, w, m in zip(got, want, mangled[i]))
        if only_style:
            style += 1
        else:
            names += 1
            examples.append(i)
    wrong += abs(len(ans) - len(truth))
    return wrong, names, style, examples


truth = llvm_answers(llvm_out)
mangled = llvm_answers(llvm_raw)
frames = sum(len(t) for t in truth)
print(f"\nanswers: {len(truth)} addresses, {frames} frames ({frames - len(truth)} inlined)")
print("  (differences: frames/files/lines | function names | C++ names spelled otherwise by"
      " cpp_demangle than by LLVM's demangler, same mangled name)")
agree = {}
for name, ans in [("kpanic (no index)", kpanic_answers(kp_json)),
                  ("kpanic (index)", kpanic_answers(kp_warm_json)),
                  ("addr2line (gimli)", a2l_answers())]:
    wrong, names, style, ex = compare(ans, truth, mangled)
    agree[name] = wrong + names
    print(f"  {name:<20} vs llvm-symbolizer: {wrong} | {names} | {style} addresses")
    for i in ex[:2]:
        print(f"    {picked[i] + 3:#x}:\n      got  {ans[i]}\n      want {truth[i]}")
same = kpanic_answers(kp_json) == kpanic_answers(kp_warm_json)
print(f"  kpanic with and without the index: {'identical' if same else 'DIFFERENT'}")

# ---------------------------------------------------------------- report parsing
ips = os.path.join(ROOT, "testdata/corpus/ios-ips-full-mte-keystore-01.ips")
print(f"\nthe 2 MB, 3,152-thread full panic ({os.path.basename(ips)}), whole process:")
pr = {}
subs = ["parse", "symbolicate"]
if subprocess.run([KPANIC, "diagnose", "--help"], capture_output=True).returncode == 0:
    subs.append("diagnose")
for sub in subs:
    pr[sub] = bench(f"kpanic {sub}", [KPANIC, sub, ips], runs=max(RUNS, 10))

# ---------------------------------------------------------------- summary
llvm_t, llvm_m = r["llvm"]
print("\nsummary (targets from issue 6):")
def line(what, ok, detail):
    print(f"  [{'met' if ok else 'NOT met'}] {what}: {detail}")
line("warm >= 30x faster than llvm-symbolizer", llvm_t / r["warm"][0] >= 30,
     f"{llvm_t / r['warm'][0]:.1f}x ({r['warm'][0] * 1000:.0f} ms vs {llvm_t * 1000:.0f} ms)")
line("cold >= 3x faster than llvm-symbolizer", llvm_t / r["cold"][0] >= 3,
     f"{llvm_t / r['cold'][0]:.2f}x ({r['cold'][0] * 1000:.0f} ms; addr2line {r['a2l'][0] * 1000:.0f} ms,"
     f" {llvm_t / r['a2l'][0]:.2f}x)")
line("peak memory <= 0.3x llvm-symbolizer's, cold", r["cold"][1] <= 0.3 * llvm_m,
     f"{r['cold'][1] / llvm_m:.2f}x ({r['cold'][1]:.0f} MiB vs {llvm_m:.0f} MiB; addr2line {r['a2l'][1]:.0f} MiB)")
line("peak memory <= 0.3x llvm-symbolizer's, warm", r["warm"][1] <= 0.3 * llvm_m,
     f"{r['warm'][1] / llvm_m:.3f}x ({r['warm'][1]:.0f} MiB)")
line("0 disagreements with llvm-symbolizer (frames, files, lines, functions modulo C++ demangler"
     " spelling)", agree["kpanic (no index)"] == 0 and agree["kpanic (index)"] == 0 and same,
     f"{agree['kpanic (no index)']} without index, {agree['kpanic (index)']} with")
for sub, (t, _) in pr.items():
    line(f"kpanic {sub} of the full panic < 50 ms", t < 0.05, f"{t * 1000:.1f} ms")
