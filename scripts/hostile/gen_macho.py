#!/usr/bin/env python3
"""gen_macho.py fileset N M OUT | fat N M OUT: hostile Mach-O shapes (N fileset entries on one
image of M segments; N fat slices of one image with M load commands)."""
import struct, sys
ARM64=0x0100000c
def hdr(filetype, ncmds, sizeofcmds):
    return struct.pack('<IIIIIIII', 0xfeedfacf, ARM64, 2, filetype, ncmds, sizeofcmds, 0, 0)
def seg(name, vmaddr, vmsize, fileoff=0, filesize=0, prot=5):
    return struct.pack('<II16sQQQQIIII', 0x19, 72, name.encode(), vmaddr, vmsize, fileoff, filesize, prot, prot, 0, 0)
def fileset_entry(vmaddr, fileoff, ident):
    s = ident.encode() + b'\0'
    s += b'\0' * ((-len(s)) % 8)
    return struct.pack('<IIQQII', 0x80000035, 32 + len(s), vmaddr, fileoff, 32, 0) + s

def fileset(n_entries, m_segs):
    # one inner MH_EXECUTE image with m_segs segments; n_entries fileset entries all pointing at it
    inner_cmds = b''.join(seg('__TEXT', 0xfffffe0007004000 + i * 0x1000, 0x1000) for i in range(m_segs))
    inner = hdr(2, m_segs, len(inner_cmds)) + inner_cmds
    ents = [fileset_entry(0xfffffe0007004000, 0, 'com.x.e%d' % i) for i in range(n_entries)]
    cmds_len = sum(len(e) for e in ents)
    inner_off = 32 + cmds_len
    inner_off += (-inner_off) % 16
    ents = [fileset_entry(0xfffffe0007004000, inner_off, 'com.x.e%d' % i) for i in range(n_entries)]
    cmds = b''.join(ents)
    out = hdr(0xc, n_entries, len(cmds)) + cmds
    out += b'\0' * (inner_off - len(out))
    return out + inner

def fat(n_slices, m_cmds):
    # thin image with m_cmds 8-byte unknown load commands, then a UUID-less end; n fat archs -> same image
    cmds = struct.pack('<II', 0x7fff, 8) * m_cmds
    thin = hdr(2, m_cmds, len(cmds)) + cmds
    table = 8 + 20 * n_slices
    off = table + ((-table) % 4096)
    out = struct.pack('>II', 0xcafebabe, n_slices)
    for i in range(n_slices):
        out += struct.pack('>IIIII', ARM64, 2, off, len(thin), 12)
    out += b'\0' * (off - len(out))
    return out + thin

kind, a, b, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = fileset(a, b) if kind == 'fileset' else fat(a, b)
open(path, 'wb').write(data)
print(path, len(data))
