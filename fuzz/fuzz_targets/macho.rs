//! Mach-O reading on arbitrary bytes: `MachOFile` (thin, universal, fileset), every slice and
//! fileset entry, `Symbolizer::open` on the same bytes written to a file, lookups at the edges
//! of every segment (and at 0 and `u64::MAX`), and, when there is DWARF with a UUID, the
//! symbol index built from it, whose answers must equal DWARF's.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kpanic_symbols::{
    AddrKind, DsymChoice, IndexMode, IndexOptions, MachOFile, MachOSlice, SliceSelector,
    SymbolAddr, Symbolizer, SymbolizerOptions,
};
use libfuzzer_sys::fuzz_target;

/// At most this many segments (and fileset entries) are probed, so one input stays cheap.
const MAX_PROBED: usize = 8;

fn scratch() -> &'static (PathBuf, PathBuf) {
    static DIR: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kpanic-fuzz-macho-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        (dir.join("image"), dir.join("cache"))
    })
}

fn probes(slice: &MachOSlice) -> Vec<u64> {
    let mut a = vec![0, 1, u64::MAX, u64::MAX - 1];
    for s in slice.segments().iter().take(MAX_PROBED) {
        a.extend([
            s.vmaddr,
            s.vmaddr.wrapping_add(s.vmsize / 2),
            s.end().wrapping_sub(1),
            s.end(),
        ]);
    }
    for s in slice.sections().iter().take(MAX_PROBED) {
        a.push(s.addr);
    }
    a
}

fn touch(slice: &MachOSlice) {
    let _ = (
        slice.arch(),
        slice.uuid(),
        slice.is_dsym(),
        slice.is_fileset(),
    );
    let _ = (
        slice.text_vmaddr(),
        slice.text_exec_vmaddr(),
        slice.vm_range(),
    );
    for a in probes(slice) {
        let _ = slice.segment_containing(a);
        let _ = slice.entry_containing(a);
    }
    for e in slice.fileset_entries().iter().take(MAX_PROBED) {
        let _ = (e.uuid(), e.contains(e.vmaddr), slice.fileset_entry(&e.id));
        let _ = (e.image.vm_range(), e.image.text_exec_vmaddr());
        for a in probes(&e.image) {
            let _ = e.image.segment_containing(a);
        }
    }
}

fn lookups(sym: &Symbolizer) -> Vec<(u64, Vec<kpanic_symbols::SymFrame>)> {
    let mut out = Vec::new();
    for a in probes(sym.slice()) {
        for kind in [AddrKind::Exact, AddrKind::ReturnAddress] {
            let l = sym.lookup(SymbolAddr(a), kind);
            let style = kpanic_symbols::atos::AtosStyle {
                inlines: true,
                full_path: true,
            };
            let _ = kpanic_symbols::atos::atos_lines("0x0", sym.image_name(), &l, style);
            let _ = kpanic_symbols::atos::json_frame("0x0", None, Some(a), &l);
            out.push((a, l.frames));
        }
    }
    out
}

fn symbolize(path: &Path, cache: &Path, selector: SliceSelector) {
    let opts = SymbolizerOptions {
        selector,
        dsym: DsymChoice::Ignore,
        index: IndexOptions::off(),
    };
    let Ok(sym) = Symbolizer::open(path, &opts) else {
        return;
    };
    let from_dwarf = lookups(&sym);
    if !sym.has_dwarf() || sym.uuid().is_none() {
        return;
    }
    let opts = SymbolizerOptions {
        index: IndexOptions {
            mode: IndexMode::Rebuild,
            cache_dir: Some(cache.to_path_buf()),
            progress: None,
        },
        ..opts
    };
    let Ok(sym) = Symbolizer::open(path, &opts) else {
        return;
    };
    if sym.index().is_some() {
        let from_index = lookups(&sym);
        assert_eq!(from_dwarf, from_index, "the index answers as DWARF does");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(file) = MachOFile::from_vec(Path::new("fuzz"), data.to_vec()) else {
        return;
    };
    let _ = (file.is_fat(), file.slices().len());
    for i in file.distinct_slices() {
        if let Ok(slice) = file.slice(i) {
            touch(&slice);
        }
    }
    let (image, cache) = scratch();
    std::fs::write(image, data).expect("scratch file");
    // A universal file needs a choice: its first slice's architecture.
    let selector = match file.slices() {
        [_, ..] if file.is_fat() => SliceSelector::arch(file.slices()[0].arch),
        _ => SliceSelector::default(),
    };
    symbolize(image, cache, selector);
});
