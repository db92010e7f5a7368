//! MH_FILESET kernelcaches, on the synthetic testdata/fixtures/fileset/kernelcache.fixture
//! (scripts/make-fileset.py: the arm64e kernel fixture at its own vmaddrs + the arm64e kext slid
//! to 0xfffffe0007020000, each at its own file offset).

mod common;
use common::*;
use kpanic_symbols::{
    AddrKind, Arch, MachOFile, SliceSelector, SymbolAddr, Symbolizer, SymbolizerOptions,
};

const KEXT_BASE: u64 = 0xfffffe0007020000;
const KEXT_ID: &str = "com.kpanic.fixture.fxdriver";

fn cache() -> std::path::PathBuf {
    fixtures().join("fileset/kernelcache.fixture")
}

#[test]
fn entries_ids_uuids_segments() {
    let f = MachOFile::open(&cache()).unwrap();
    let s = f.select(&SliceSelector::default()).unwrap();
    assert!(s.is_fileset());
    assert_eq!(s.arch(), Arch::Arm64e);
    let entries = s.fileset_entries();
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["com.apple.kernel", KEXT_ID]);

    let kernel = Symbolizer::open(
        &fixtures().join("arm64e/kernel.fixture"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    let kext = Symbolizer::open(
        &fixtures().join("arm64e/fxdriver.kext"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    assert_eq!(entries[0].uuid(), kernel.uuid());
    assert_eq!(entries[1].uuid(), kext.uuid());
    assert_eq!(entries[0].vmaddr, 0xfffffe0007004000);
    assert_eq!(entries[0].fileoff, 0x4000);
    assert_eq!(entries[1].vmaddr, KEXT_BASE);
    assert_eq!(
        entries[0].image.text_exec_vmaddr(),
        Some(0xfffffe000700c000)
    );
    assert_eq!(
        entries[1].image.text_exec_vmaddr(),
        Some(KEXT_BASE + 0x4000)
    );
    assert_eq!(entries[1].image.filetype(), 0xb);
    // Same segment names and sizes as the standalone files; file offsets moved into the cache.
    for (entry, alone) in [(&entries[0], kernel.slice()), (&entries[1], kext.slice())] {
        assert_eq!(entry.segments().len(), alone.segments().len());
        for (a, b) in entry.segments().iter().zip(alone.segments()) {
            assert_eq!(
                (&a.name, a.vmsize, a.filesize),
                (&b.name, b.vmsize, b.filesize)
            );
            assert_eq!(a.fileoff, b.fileoff + entry.fileoff);
        }
    }

    assert_eq!(
        s.entry_containing(0xfffffe000700c014).unwrap().id,
        "com.apple.kernel"
    );
    assert_eq!(
        s.entry_containing(0xfffffe0007014000).unwrap().id,
        "com.apple.kernel"
    ); // __PPLTEXT
    assert_eq!(s.entry_containing(KEXT_BASE + 0x405c).unwrap().id, KEXT_ID);
    assert!(
        s.entry_containing(0xfffffe0007000010).is_none(),
        "the fileset header is no entry"
    );
    assert!(
        s.entry_containing(0xfffffe000701c010).is_none(),
        "__LINKEDIT does not count"
    );
    assert!(s.entry_containing(0xfffffe0100000000).is_none());
    assert!(s.fileset_entry(KEXT_ID).is_some());
}

/// Symbol-table lookups through the cache: every kernel and kext call site gives the
/// function and offset llvm-nm shows, tagged with its entry.
#[test]
fn symbol_lookups_through_the_cache() {
    let sym = Symbolizer::open(&cache(), &SymbolizerOptions::default()).unwrap();
    assert!(!sym.has_dwarf());
    let mut n = 0;
    for (name, nm_name, entry, delta) in [
        (
            "arm64e-kernel.fixture",
            "arm64e-kernel.fixture",
            "com.apple.kernel",
            0u64,
        ),
        (
            "arm64e-fxdriver.kext",
            "fileset-fxdriver.kext",
            KEXT_ID,
            KEXT_BASE,
        ),
    ] {
        let syms = nm(nm_name);
        for (addr, want) in truth(name) {
            let addr = addr + delta;
            let (sa, sname) = syms.iter().rev().find(|(a, _)| *a <= addr).unwrap();
            for kind in [AddrKind::Exact, AddrKind::ReturnAddress] {
                let probe = if kind == AddrKind::Exact {
                    addr
                } else {
                    addr + 4
                };
                let l = sym.lookup(SymbolAddr(probe), kind);
                assert_eq!(l.fileset_entry.as_deref(), Some(entry), "{probe:#x}");
                assert_eq!(l.frames.len(), 1, "{probe:#x} {l:?}");
                assert_eq!(
                    l.frames[0].function.as_deref(),
                    Some(sname.as_str()),
                    "{probe:#x}"
                );
                assert_eq!(&want.last().unwrap().function, sname);
                assert_eq!(l.frames[0].symbol_offset, Some(probe - sa), "{probe:#x}");
                n += 1;
            }
        }
    }
    assert_eq!(n, 2 * (20 + 3));
    let l = sym.lookup(SymbolAddr(0xfffffe0007000010), AddrKind::Exact);
    assert!(l
        .unresolved_reason
        .unwrap()
        .contains("outside every fileset entry"));
}

#[test]
fn bad_entry_offset_is_an_error() {
    let mut b = std::fs::read(cache()).unwrap();
    // The first LC_FILESET_ENTRY's fileoff (cmd 0x80000035, then cmdsize, vmaddr, fileoff).
    let at = b
        .windows(4)
        .position(|w| w == 0x8000_0035u32.to_le_bytes())
        .unwrap();
    b[at + 16..at + 24].copy_from_slice(&0x7fff_ffffu64.to_le_bytes());
    let e = MachOFile::from_vec(std::path::Path::new("/corrupt/kc"), b.clone())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("fileset entry com.apple.kernel") && e.contains("past the end"),
        "{e}"
    );
    // entry_id offset outside the command.
    b[at + 16..at + 24].copy_from_slice(&0x4000u64.to_le_bytes());
    b[at + 24..at + 28].copy_from_slice(&0x1000u32.to_le_bytes());
    let e = MachOFile::from_vec(std::path::Path::new("/corrupt/kc"), b)
        .unwrap_err()
        .to_string();
    assert!(e.contains("entry_id offset"), "{e}");
}
