#!/usr/bin/env python3
"""Build a small synthetic MH_FILESET kernelcache from fixture Mach-Os.

  make-fileset.py OUT KERNEL KEXT KEXT_BASE

KERNEL (an arm64e MH_EXECUTE, __TEXT at its final vmaddr) and KEXT (an arm64e MH_KEXT_BUNDLE,
already slid to KEXT_BASE with `machofix.py slide`) are placed at page-aligned file offsets
behind a fileset header, and every file offset in their load commands is moved by that amount,
as in a real kernelcache, where an entry's offsets count from the start of the whole file.

The header carries:
  LC_SEGMENT_64 __TEXT (the header page, vmaddr = kernel __TEXT - 0x4000),
  one LC_SEGMENT_64 per entry segment (same ranges: the cache is one address space),
  LC_UUID (derived from the entries' UUIDs) and
  LC_FILESET_ENTRY (0x80000035) com.apple.kernel and com.kpanic.fixture.fxdriver.
Deterministic: the same inputs give the same bytes. DWARF is not involved (kernelcaches carry
none); the fixture exercises entry walking and symbol-table lookups.
"""
import hashlib
import struct
import sys

PAGE = 0x4000
LC_SEGMENT_64, LC_SYMTAB, LC_DYSYMTAB, LC_UUID = 0x19, 0x2, 0xB, 0x1B
LC_DYLD_INFO, LC_DYLD_INFO_ONLY = 0x22, 0x80000022
LC_FILESET_ENTRY = 0x80000035
LINKEDIT_DATA = {0x1D, 0x1E, 0x26, 0x29, 0x2B, 0x2E, 0x80000033, 0x80000034}


def commands(d):
    ncmds, = struct.unpack_from("<I", d, 16)
    off = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", d, off)
        yield cmd, off, size
        off += size


def add32(d, at, delta):
    v, = struct.unpack_from("<I", d, at)
    if v:
        struct.pack_into("<I", d, at, v + delta)


def relocate(d, delta):
    """Move every file offset of a thin Mach-O by delta; return its segments and UUID."""
    segs, uuid = [], None
    for cmd, off, size in commands(d):
        if cmd == LC_SEGMENT_64:
            name = d[off + 8:off + 24]
            vmaddr, vmsize, fileoff, filesize = struct.unpack_from("<QQQQ", d, off + 24)
            maxprot, initprot, nsects = struct.unpack_from("<iiI", d, off + 56)
            struct.pack_into("<Q", d, off + 40, fileoff + delta)
            segs.append((name, vmaddr, vmsize, fileoff + delta, filesize, maxprot, initprot))
            for k in range(nsects):
                add32(d, off + 72 + 80 * k + 48, delta)   # section offset (0 = zerofill)
                add32(d, off + 72 + 80 * k + 56, delta)   # reloff
        elif cmd == LC_SYMTAB:
            add32(d, off + 8, delta)
            add32(d, off + 16, delta)
        elif cmd == LC_DYSYMTAB:
            for field in (32, 40, 48, 56, 64, 72):   # tocoff modtaboff extrefsymoff indirectsymoff extreloff locreloff
                add32(d, off + field, delta)
        elif cmd in (LC_DYLD_INFO, LC_DYLD_INFO_ONLY):
            for field in (8, 16, 24, 32, 40):
                add32(d, off + field, delta)
        elif cmd in LINKEDIT_DATA:
            add32(d, off + 8, delta)
        elif cmd == LC_UUID:
            uuid = bytes(d[off + 8:off + 24])
    return segs, uuid


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    out, kernel_path, kext_path, kext_base = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4], 0)
    kernel = bytearray(open(kernel_path, "rb").read())
    kext = bytearray(open(kext_path, "rb").read())
    cputype, cpusubtype = struct.unpack_from("<II", kernel, 4)

    def align(x):
        return (x + PAGE - 1) // PAGE * PAGE

    kernel_off = PAGE
    kext_off = align(kernel_off + len(kernel))
    ksegs, kuuid = relocate(kernel, kernel_off)
    xsegs, xuuid = relocate(kext, kext_off)
    text_vm = [s[1] for s in ksegs if s[0].rstrip(b"\0") == b"__TEXT"][0]
    if not (kext_base > text_vm):
        sys.exit("KEXT_BASE must lie above the kernel")

    cmds = []

    def segment(name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot):
        return struct.pack("<II16sQQQQiiII", LC_SEGMENT_64, 72, name.ljust(16, b"\0"),
                           vmaddr, vmsize, fileoff, filesize, maxprot, initprot, 0, 0)

    cmds.append(segment(b"__TEXT", text_vm - PAGE, PAGE, 0, PAGE, 5, 5))
    for s in ksegs + xsegs:
        cmds.append(segment(*s))
    uuid = hashlib.sha256(kuuid + xuuid).digest()[:16]
    cmds.append(struct.pack("<II16s", LC_UUID, 24, uuid))
    for entry_id, vmaddr, fileoff in ((b"com.apple.kernel", text_vm, kernel_off),
                                      (b"com.kpanic.fixture.fxdriver", kext_base, kext_off)):
        name = entry_id + b"\0"
        size = (32 + len(name) + 7) // 8 * 8
        cmds.append(struct.pack("<IIQQII", LC_FILESET_ENTRY, size, vmaddr, fileoff, 32, 0)
                    + name.ljust(size - 32, b"\0"))
    body = b"".join(cmds)
    MH_FILESET = 0xC
    header = struct.pack("<IIIIIIII", 0xFEEDFACF, cputype, cpusubtype, MH_FILESET,
                         len(cmds), len(body), 0, 0)
    if len(header) + len(body) > PAGE:
        sys.exit("fileset header larger than a page")
    data = bytearray(kext_off + len(kext))
    data[0:len(header) + len(body)] = header + body
    data[kernel_off:kernel_off + len(kernel)] = kernel
    data[kext_off:kext_off + len(kext)] = kext
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
