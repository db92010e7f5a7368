#!/usr/bin/env python3
"""Builds examples/: a KDK-shaped folder made of the project's fixtures, and an arm64 panic
whose frames are real return addresses of that code (truth: testdata/fixtures/truth).

The panic follows the layout of a real macOS 15.4 Apple Silicon panic (see testdata/corpus),
with the slides the README's atos example uses: Kernel text exec base 0xfffffe001cd8c000. The kernel and
kext are the arm64e fixtures; the kext is presented as the third-party
com.example.driver.FxDriver, loaded at a @start that is not page aligned.

    python3 scripts/make-example.py        # rewrites examples/ (deterministic)
"""
import os, shutil, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FX = os.path.join(ROOT, "testdata", "fixtures")
OUT = os.path.join(ROOT, "examples")
KDK = os.path.join(OUT, "KDK_15.4_24E248.kdk")
EXEC_BASE = 0xfffffe001cd8c000
EXEC_SLIDE = EXEC_BASE - 0xfffffe0007004000  # base - slide = the unslid link address
KC_SLIDE = 0x15c4c000
K_SLIDE = KC_SLIDE + 0x8000
KEXT_START = 0xfffffe001e6a8d60


def macho(path):
    """(segments {name: vmaddr} in order, UUID string) of a thin 64-bit Mach-O."""
    b = open(path, "rb").read()
    magic, cputype, sub, ftype, ncmds, sizeofcmds, flags, _ = struct.unpack_from("<IiiIIIII", b, 0)
    assert magic == 0xFEEDFACF, path
    off, segs, uuid = 32, [], None
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", b, off)
        if cmd == 0x19:
            name = b[off + 8:off + 24].rstrip(b"\0").decode()
            vmaddr, = struct.unpack_from("<Q", b, off + 24)
            segs.append((name, vmaddr))
        elif cmd == 0x1B:
            u = b[off + 8:off + 24].hex().upper()
            uuid = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
        off += size
    return segs, uuid


def first(segs, name):
    return next(v for n, v in segs if n == name)


def retaddrs(name):
    """Return addresses whose call site (ra - 4) is in the truth, in file order."""
    d = os.path.join(FX, "truth")
    calls = {int(x, 16) for x in open(os.path.join(d, name + ".callsites")).read().split()}
    return [ra for ra in (int(x, 16) for x in open(os.path.join(d, name + ".retaddrs")).read().split())
            if ra - 4 in calls]


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    kernels = os.path.join(KDK, "System/Library/Kernels")
    ext = os.path.join(KDK, "System/Library/Extensions")
    os.makedirs(kernels)
    shutil.copy(os.path.join(FX, "kdk-t8112/kernel.release.t8112"), os.path.join(kernels, "kernel.release.t8112"))
    shutil.copytree(os.path.join(FX, "kdk-t8112/kernel.release.t8112.dSYM"),
                    os.path.join(kernels, "kernel.release.t8112.dSYM"))
    bundle = os.path.join(ext, "FxDriver.kext/Contents")
    os.makedirs(os.path.join(bundle, "MacOS"))
    shutil.copy(os.path.join(FX, "arm64e/fxdriver.kext"), os.path.join(bundle, "MacOS/FxDriver"))
    shutil.copytree(os.path.join(FX, "arm64e/fxdriver.kext.dSYM"), os.path.join(ext, "FxDriver.kext.dSYM"))
    with open(os.path.join(bundle, "Info.plist"), "w") as f:
        f.write("""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleExecutable</key>
	<string>FxDriver</string>
	<key>CFBundleIdentifier</key>
	<string>com.example.driver.FxDriver</string>
	<key>CFBundleVersion</key>
	<string>1.0</string>
</dict>
</plist>
""")

    ksegs, kuuid = macho(os.path.join(FX, "kdk-t8112/kernel.release.t8112"))
    xsegs, xuuid = macho(os.path.join(FX, "arm64e/fxdriver.kext"))
    kexec, xexec = first(ksegs, "__TEXT_EXEC"), first(xsegs, "__TEXT_EXEC")
    k = [EXEC_BASE + ra - kexec for ra in retaddrs("kdk-t8112-kernel.release.t8112")]
    x = [KEXT_START + ra - xexec for ra in retaddrs("arm64e-fxdriver.kext")]
    # innermost first: panic's call into panic_trap_to_debugger, the kext's inlined check that
    # panics, the kext's start routine, then the kernel's dispatch and bootstrap frames
    by_name = dict(zip(retaddrs("kdk-t8112-kernel.release.t8112"), k))
    pick = lambda ra_suffix: next(v for r, v in by_name.items() if (r & 0xfff) == ra_suffix)
    frames = [pick(0x448), x[0], x[1], pick(0x0f8), pick(0x128), pick(0x0e0), pick(0x118), pick(0x028), pick(0x098)]
    pac = lambda a: (a & 0x0000FFFFFFFFFFFF) | 0xA3D4000000000000
    bt = "\n".join(f"\t\t  lr: 0x{(pac(a) if i in (2, 5) else a):016x}  fp: 0x{0xfffffe8a3f5e7900 + 0x40 * i:016x}"
                   for i, a in enumerate(frames))
    text = f"""panic(cpu 4 caller 0x{x[0]:016x}): fxdriver: state out of range @kext.c:7
Debugger message: panic
Memory ID: 0x6
OS release type: User
OS version: 24E248
Kernel version: Darwin Kernel Version 24.4.0: Fri Apr 11 18:34:14 PDT 2025; root:xnu-11417.101.15~117/RELEASE_ARM64_T8112
Fileset Kernelcache UUID: 2A8D15C9E0B63F1E8E2F46D1C7A1B0F3
Kernel UUID: {kuuid}
Boot session UUID: 5D1C33A8-7E0B-4C52-9E45-0B2A7F3D8C11
iBoot version: iBoot-11881.101.1
iBoot Stage 2 version: iBoot-11881.101.1
secure boot?: YES
roots installed: 0
Paniclog version: 14
KernelCache slide: 0x{KC_SLIDE:016x}
KernelCache base:  0x{0xfffffe0007004000 + KC_SLIDE:016x}
Kernel slide:      0x{K_SLIDE:016x}
Kernel text base:  0x{0xfffffe0007004000 + K_SLIDE:016x}
Kernel text exec slide: 0x{EXEC_SLIDE:016x}
Kernel text exec base:  0x{EXEC_BASE:016x}
mach_absolute_time: 0x3b8f2d1c40
Epoch Time:        sec       usec
  Boot    : 0x68224a10 0x0004d1b2
  Sleep   : 0x00000000 0x00000000
  Wake    : 0x00000000 0x00000000
  Calendar: 0x68225f3e 0x000a11c3

Zone info:
  Zone map: 0xfffffe1003b94000 - 0xfffffe3003b94000
  . VM    : 0xfffffe1003b94000 - 0xfffffe14d085c000
  . RO    : 0xfffffe14d085c000 - 0xfffffe166a1f8000
  . GEN0  : 0xfffffe166a1f8000 - 0xfffffe1b36ec0000
  . GEN1  : 0xfffffe1b36ec0000 - 0xfffffe2003b88000
  . GEN2  : 0xfffffe2003b88000 - 0xfffffe24d0850000
  . GEN3  : 0xfffffe24d0850000 - 0xfffffe299d518000
  . DATA  : 0xfffffe299d518000 - 0xfffffe3003b94000
  Metadata: 0xfffffe3ce9c44000 - 0xfffffe3cf1c44000
  Bitmaps : 0xfffffe3cf1c44000 - 0xfffffe3cfd940000
  Extra   : 0 - 0

TPIDRx_ELy = {{1: 0xfffffe1b39a0c4d8  0: 0x0000000000000004  0ro: 0x0000000000000000 }}
CORE 0: PC=0x{EXEC_BASE + 0x2c4:016x}, LR=0x{EXEC_BASE + 0x2d4:016x}, FP=0xfffffe8a3e0f3e90
CORE 1: PC=0x000000018c2f1a34, LR=0x000000018c2f19f0, FP=0x000000016b3fe6a0
CORE 2: PC=0x{EXEC_BASE + 0x0dc:016x}, LR=0x{EXEC_BASE + 0x0f8:016x}, FP=0xfffffe8a3e19bef0
CORE 3: PC=0x{EXEC_BASE + 0x0dc:016x}, LR=0x{EXEC_BASE + 0x0f8:016x}, FP=0xfffffe8a3e1a3ef0
CORE 4 is the one that panicked. Check the full backtrace for details.
CORE 5: PC=0x{EXEC_BASE + 0x0dc:016x}, LR=0x{EXEC_BASE + 0x0f8:016x}, FP=0xfffffe8a3e1b3ef0
CORE 6: PC=0x{EXEC_BASE + 0x0dc:016x}, LR=0x{EXEC_BASE + 0x0f8:016x}, FP=0xfffffe8a3e1bbef0
CORE 7: PC=0x{EXEC_BASE + 0x0dc:016x}, LR=0x{EXEC_BASE + 0x0f8:016x}, FP=0xfffffe8a3e1c3ef0
Compressor Info: 3% of compressed pages limit (OK) and 2% of segments limit (OK) with 0 swapfiles and OK swap space

Panicked task 0xfffffe24d0d5c6a8: 0 pages, 612 threads: pid 0: kernel_task
Panicked thread: 0xfffffe1b39a0c4d8, backtrace: 0xfffffe8a3f5e7640, tid: 1204
{bt}
      Kernel Extensions in backtrace:
         com.example.driver.FxDriver(1.0)[{xuuid}]@0x{KEXT_START:016x}->0x{KEXT_START + 0x3fff:016x}
            dependency: com.apple.iokit.IOPCIFamily(2.9)[8E4E7E2C-3B4F-3C53-A4D8-9C1D5E0B6F21]@0xfffffe001e0c1a40->0xfffffe001e10fb3f

last started kext at 1873250013: com.example.driver.FxDriver\t1.0 (addr 0xfffffe001e6a4000, size 16384)
loaded kexts:
com.example.driver.FxDriver\t1.0
com.apple.filesystems.autofs\t3.0
com.apple.iokit.IOPCIFamily\t2.9
com.apple.kec.corecrypto\t14.0


** Stackshot Succeeded ** Bytes Traced 412160 (Uncompressed 1030848) **
"""
    with open(os.path.join(OUT, "fxdriver-panic.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("""# The bundled example

`fxdriver-panic.txt` is an Apple Silicon panic (macOS 15.4, `RELEASE_ARM64_T8112`) laid out like
the real ones in `testdata/corpus`, with the slides of the README's atos example (Kernel text exec base
0xfffffe001cd8c000). `KDK_15.4_24E248.kdk` is a Kernel Debug Kit-shaped folder made of the
project's fixtures: `kernel.release.t8112` is the arm64e kernel fixture laid out like KDK 15.4's
(`__TEXT` at 0xfffffe0007004000, `__TEXT_EXEC` at 0xfffffe00072b8000), and
`com.example.driver.FxDriver` the fxdriver kext fixture, each with its dSYM. Every `lr` is a real
return address of that code, so `kpanic symbolicate` can be checked against llvm-symbolizer's
answers in `testdata/fixtures/truth` (the `example` test does).

Regenerate with `python3 scripts/make-example.py`.
""")


if __name__ == "__main__":
    main()
