#!/usr/bin/env python3
"""kpanic's C++ names against LLVM's demangler on the benchmark dSYM (scripts/demangle-parity.sh).

usage: demangle_parity.py BIGDIR LLVM_BIN_DIR DEMANGLE KPANIC N

1. Every mangled string of the dSYM's __debug_str (the DWARF linkage names), demangled by
   llvm-cxxfilt and by DEMANGLE (crates/symbols/examples/demangle.rs: kpanic's demangler).
2. Every mangled name of the binary's symbol table (`__Z…`, `.cold.N` parts included), as
   llvm-symbolizer prints them (llvm-cxxfilt without the Mach-O underscore) and as kpanic does
   (`demangle --symbol`).
3. The benchmark's N return addresses (as scripts/bench/run.py picks them): every function name
   of every frame of `kpanic atos -i` against llvm-symbolizer's (`--functions=linkage
   --demangle`), counting the addresses where a C++ name differs.
Each count is given exactly and with spaces set aside (`> >` vs `>>`).
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

BIG, LLVM, DEMANGLE, KPANIC, N = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
BIN = os.path.join(BIG, "kernel.big")
DSYM = BIN + ".dSYM"
DW = os.path.join(DSYM, "Contents/Resources/DWARF/kernel.big")
WORK = tempfile.mkdtemp(prefix="kpanic-demangle-")


def lines_of(cmd, stdin=None):
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout
    return out.split("\n")[:-1]


def cxxfilt(names):
    if not names:
        return []
    out = lines_of([os.path.join(LLVM, "llvm-cxxfilt"), "--no-strip-underscore"], "\n".join(names) + "\n")
    assert len(out) == len(names)
    return out


def ours(names, symbol=False):
    if not names:
        return []
    out = lines_of([DEMANGLE] + (["--symbol"] if symbol else []), "\n".join(names) + "\n")
    assert len(out) == len(names)
    return out


def nospace(s):
    return s.replace(" ", "")


def report(what, names, want, got):
    diff = [(m, w, g) for m, w, g in zip(names, want, got) if w != g]
    beyond = [d for d in diff if nospace(d[1]) != nospace(d[2])]
    unparsed = [d for d in beyond if d[2].lstrip("_").startswith("Z")]
    print(f"{what}: {len(names)} names; differ: {len(diff)}; beyond spaces: {len(beyond)}"
          f" (left mangled by kpanic: {len(unparsed)}, by LLVM: "
          f"{sum(1 for d in beyond if d[1].lstrip('_').startswith('Z'))})")
    return beyond


def gnu(names):
    """libiberty's c++filt (binutils), the third opinion."""
    if not names:
        return []
    out = lines_of(["c++filt"], "\n".join(names) + "\n")
    assert len(out) == len(names)
    return out


def llvm_spelling(s):
    """libiberty's output in LLVM's spelling where the two differ by convention only, without
    spaces and parentheses: good enough to tell who agrees with whom, not to print."""
    s = re.sub(r"\{lambda\((.*?)\)#(\d+)\}",
               lambda m: "'lambda%s'(%s)" % ("" if m.group(2) == "1" else int(m.group(2)) - 2, m.group(1)), s)
    s = re.sub(r"\{unnamed type#(\d+)\}",
               lambda m: "'unnamed%s'" % ("" if m.group(1) == "1" else int(m.group(1)) - 2), s)
    s = re.sub(r"\{parm#(\d+)\}", lambda m: "fp%s" % ("" if m.group(1) == "1" else int(m.group(1)) - 2), s)
    s = re.sub(r"auto:\d+", "auto", s)
    s = re.sub(r" \[clone (\.[^]]*)\]", r" (\1)", s)
    return bare(s)


def bare(s):
    return s.replace(" ", "").replace("(", "").replace(")", "")


def voidless(s):
    """Without `void`: libiberty prints no return type for a function nested in a name (a
    lambda's), LLVM and kpanic do, and most such functions return void."""
    return s.replace("void", "")


def kinds(beyond):
    """Who libiberty's c++filt agrees with on each remaining difference (parentheses and spaces
    aside), and which kinds of names they are (see vendor/cpp_demangle/PATCHES.md)."""
    third = gnu([m[1:] if m.startswith("__Z") else m for m, _, _ in beyond])
    c = collections.Counter()
    examples = collections.defaultdict(list)
    for (m, w, g), t in zip(beyond, third):
        if w.lstrip("_").startswith("Z"):
            k = "LLVM leaves it mangled"
        elif g.lstrip("_").startswith("Z"):
            k = "kpanic leaves it mangled"
        elif re.search(r"CI[0-9]", m):
            k = "inheriting constructor: LLVM numbers substitutions otherwise"
        elif "TpTn" in m or "TpTy" in m:
            k = "pack declared with Tp: LLVM does not expand it"
        elif llvm_spelling(t) == bare(g):
            k = "c++filt agrees with kpanic"
        elif voidless(llvm_spelling(t)) == voidless(bare(g)):
            k = "c++filt agrees with kpanic (but for inner functions' return types)"
        elif llvm_spelling(t) == bare(w):
            k = "c++filt agrees with LLVM"
        elif "Z" in m.lstrip("_")[1:]:
            # Most of these are a template parameter reached through a substitution first seen
            # in a function nested in the name, which LLVM binds where it first appeared; c++filt
            # cannot tell (it cannot demangle the name, or omits the nested function's return
            # type).
            k = "local entity in the name, c++filt agrees with neither"
        else:
            k = "all three differ"
        c[k] += 1
        examples[k].append((m, w, g))
    for k, n in c.most_common():
        print(f"    {n:6}  {k}")
    for k in ("c++filt agrees with LLVM", "all three differ", "kpanic leaves it mangled"):
        for m, w, g in examples[k][:2]:
            print(f"    e.g. ({k}) {m[:150]}\n      llvm: {w[:260]}\n      ours: {g[:260]}")


# ---------------------------------------------------------------- 1. DWARF linkage names
strs = lines_of([os.path.join(LLVM, "llvm-dwarfdump"), "--debug-str", DW])
dwarf = sorted({l.split('"', 1)[1].rsplit('"', 1)[0] for l in strs if '"_Z' in l})
print("== the demangler on every C++ name of the dSYM's __debug_str")
kinds(report("DWARF linkage names", dwarf, cxxfilt(dwarf), ours(dwarf)))

# ---------------------------------------------------------------- 2. symbol table
syms = sorted({s for s in lines_of([os.path.join(LLVM, "llvm-nm"), "--defined-only", "-j", BIN])
               if s.startswith("__Z")})
print("== the symbol-table path on every C++ symbol of the binary")
kinds(report("symbol-table names", syms, cxxfilt([s[1:] for s in syms]), ours(syms, symbol=True)))
suffixed = [s for s in syms if "." in s]
print(f"  of which with a suffix (.cold.N, .llvm.N, ...): {len(suffixed)}; differ: "
      f"{sum(1 for w, g in zip(cxxfilt([s[1:] for s in suffixed]), ours(suffixed, symbol=True)) if w != g)}")

# ---------------------------------------------------------------- 3. call sites
calls = open(os.path.join(BIG, "bench", "kernel.big.addresses.txt")).read().split()
step = max(1, len(calls) // N)
picked = [int(a, 16) for a in calls[::step][:N]]
rets = "".join(f"{a + 4:#x}\n" for a in picked)
minus1 = "".join(f"{a + 3:#x}\n" for a in picked)
symbolizer = [os.path.join(LLVM, "llvm-symbolizer"), "--obj=" + DW, "--inlining", "--functions=linkage",
              "--output-style=JSON"]
want = [json.loads(l)["Symbol"] for l in lines_of(symbolizer + ["--demangle"], minus1)]
raw = [json.loads(l)["Symbol"] for l in lines_of(symbolizer + ["--no-demangle"], minus1)]
env = dict(os.environ, KPANIC_CACHE=os.path.join(WORK, "cache"))
got = json.loads(subprocess.run([KPANIC, "atos", "-o", DSYM, "--return-addresses", "-i", "--json"],
                                input=rets, capture_output=True, text=True, check=True, env=env).stdout)
exact = spaced = other = 0
names = {}
for w, r, g in zip(want, raw, got):
    g = g["symbols"]
    if len(w) != len(g):
        other += 1
        continue
    pairs = [(ws["FunctionName"], gs.get("function") or "", rs["FunctionName"])
             for ws, gs, rs in zip(w, g, r)]
    if any(a != b and not m.startswith("_Z") for a, b, m in pairs):
        other += 1
    if any(a != b for a, b, m in pairs if m.startswith("_Z")):
        exact += 1
    if any(nospace(a) != nospace(b) for a, b, m in pairs if m.startswith("_Z")):
        spaced += 1
    names.update({m: (a, b) for a, b, m in pairs if m.startswith("_Z") and nospace(a) != nospace(b)})
print(f"== kpanic atos -i vs llvm-symbolizer on {len(picked)} return addresses"
      f" ({sum(len(w) for w in want)} frames)")
print(f"addresses with a C++ name spelled otherwise: {exact}; beyond spaces: {spaced};"
      f" addresses with other differences: {other}")
print(f"  {len(names)} distinct names differ, of these kinds:")
kinds([(m, a, b) for m, (a, b) in sorted(names.items())])
