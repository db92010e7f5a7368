#!/usr/bin/env python3
"""N text panics for the symbolicated-triage benchmark on the big kernel-shaped dSYM.

Each is the bundled example (examples/fxdriver-panic.txt) made a panic of the big kernel: its
UUID and segment bases, and a backtrace of 12 return addresses drawn at random from the big
kernel's call sites (scripts/bench/build-big.sh writes them), at another slide each. So every
panic is another bug (the buckets are many) and every frame resolves through the kernel's
symbols: what a fleet with warm symbol indexes costs per panic.

    gen_big_panics.py N EXAMPLE BIG_DIR OUT_DIR

BIG_DIR is build-big.sh's output folder (kernel.big, bench/kernel.big.addresses.txt).
"""
import os
import random
import re
import struct
import sys
import uuid as uuidlib

LC_SEGMENT_64, LC_UUID = 0x19, 0x1B


def macho_facts(path):
    """The UUID and the __TEXT and __TEXT_EXEC vmaddrs of a thin 64-bit Mach-O."""
    data = open(path, "rb").read(1 << 16)
    magic, _, _, _, ncmds, _, _, _ = struct.unpack_from("<IiiIIIII", data, 0)
    assert magic == 0xFEEDFACF, "not a thin 64-bit Mach-O"
    off, found = 32, {}
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        if cmd == LC_UUID:
            found["uuid"] = str(uuidlib.UUID(bytes=data[off + 8:off + 24])).upper()
        elif cmd == LC_SEGMENT_64:
            name = data[off + 8:off + 24].rstrip(b"\0").decode()
            found[name] = struct.unpack_from("<Q", data, off + 24)[0]
        off += size
    return found["uuid"], found["__TEXT"], found["__TEXT_EXEC"]


def main():
    n, example, big, out = sys.argv[1:5]
    n = int(n)
    uuid, text, text_exec = macho_facts(os.path.join(big, "kernel.big"))
    addrs_file = os.path.join(big, "bench", "kernel.big.addresses.txt")
    addrs = [int(line, 16) for line in open(addrs_file) if line.strip()]
    template = open(example).read()
    template = re.sub(r"Kernel UUID: \S+", "Kernel UUID: " + uuid, template)
    # The example's kext is not in the big kernel's KDK: its lines go.
    template = "\n".join(
        line
        for line in template.split("\n")
        if "Kernel Extensions in backtrace" not in line and "dependency:" not in line
        and not line.strip().startswith("com.example.driver.FxDriver(")
    )
    head, rest = template.split("backtrace: ", 1)
    first_line, rest = rest.split("\n", 1)
    tail = rest[rest.index("\nlast started kext"):]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(1)
    for i in range(n):
        slide = 0x15C00000 + rng.randrange(0, 0x1000) * 0x4000
        h = re.sub(r"Kernel slide:\s+0x[0-9a-f]+", "Kernel slide:      0x%016x" % slide, head)
        h = re.sub(r"Kernel text base:\s+0x[0-9a-f]+", "Kernel text base:  0x%x" % (text + slide), h)
        h = re.sub(r"Kernel text exec slide:\s+0x[0-9a-f]+",
                   "Kernel text exec slide: 0x%016x" % slide, h)
        h = re.sub(r"Kernel text exec base:\s+0x[0-9a-f]+",
                   "Kernel text exec base:  0x%x" % (text_exec + slide), h)
        h = re.sub(r"Boot session UUID: [0-9A-F]{8}", "Boot session UUID: %08X" % rng.getrandbits(32), h)
        frames = [rng.choice(addrs) + 4 + slide for _ in range(12)]
        h = re.sub(r"caller 0x[0-9a-f]+", "caller 0x%x" % frames[0], h, count=1)
        bt = "".join("\t\t  lr: 0x%x  fp: 0xfffffe8a3f5e%04x\n" % (f, 0x7900 + 0x40 * k)
                     for k, f in enumerate(frames))
        with open(os.path.join(out, "%06d-big.txt" % i), "w") as f:
            f.write(h + "backtrace: " + first_line + "\n" + bt + tail)


if __name__ == "__main__":
    main()
