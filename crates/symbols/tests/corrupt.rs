//! Bad input gives a clear error or an unresolved answer with a reason — never a panic. The
//! corrupt files are made here from fixture bytes.

mod common;
use common::*;
use kpanic_symbols::{
    AddrKind, DsymChoice, DsymStatus, Error, MachOFile, SliceSelector, SymbolAddr, Symbolizer,
    SymbolizerOptions,
};
use std::path::{Path, PathBuf};

fn kernel_bytes() -> Vec<u8> {
    std::fs::read(fixtures().join("arm64e/kernel.fixture")).unwrap()
}

fn parse(bytes: Vec<u8>) -> Result<kpanic_symbols::MachOSlice, Error> {
    MachOFile::from_vec(Path::new("/corrupt/kernel"), bytes)?.select(&SliceSelector::default())
}

fn err(bytes: Vec<u8>) -> String {
    let e = parse(bytes).expect_err("corrupt input must be an error");
    let text = e.to_string();
    assert!(
        text.starts_with("/corrupt/kernel: "),
        "names the file: {text}"
    );
    text
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

/// File offset of the first load command `cmd`.
fn find_cmd(b: &[u8], cmd: u32) -> usize {
    let mut off = 32;
    for _ in 0..get32(b, 16) {
        if get32(b, off) == cmd {
            return off;
        }
        off += get32(b, off + 4) as usize;
    }
    panic!("no cmd {cmd:#x}");
}

#[test]
fn not_macho_and_truncated() {
    assert!(err(b"# README\nhello".to_vec()).contains("not a Mach-O file (magic 0x4552202"));
    assert!(err(Vec::new()).contains("not a Mach-O file (0 bytes"));
    let k = kernel_bytes();
    assert!(err(k[..20].to_vec()).contains("truncated"));
    assert!(err(k[..100].to_vec()).contains("load commands (sizeofcmds"));
    let half = err(k[..k.len() / 2].to_vec());
    assert!(half.contains("runs past the end of the file"), "{half}");
    assert!(err(k[..k.len() - 1].to_vec()).contains("past the end of the file"));
    let mut be = k.clone();
    be[..4].copy_from_slice(&0xfeedfacfu32.to_be_bytes());
    assert!(err(be).contains("big-endian"));
    let mut m32 = k;
    put32(&mut m32, 0, 0xfeedface);
    assert!(err(m32).contains("32-bit"));
}

#[test]
fn lying_load_commands() {
    let k = kernel_bytes();
    let mut zero = k.clone();
    put32(&mut zero, 32 + 4, 0);
    assert!(err(zero).contains("has cmdsize 0x0"));

    let mut past = k.clone();
    put32(&mut past, 32 + 4, 0x7fff_0000);
    assert!(err(past).contains("cmdsize 0x7fff0000"));

    let mut sizeofcmds = k.clone();
    put32(&mut sizeofcmds, 20, 0xffff_fff0);
    assert!(err(sizeofcmds).contains("sizeofcmds"));

    let mut ncmds = k.clone();
    put32(&mut ncmds, 16, 0xffff_ffff);
    assert!(err(ncmds).contains("cannot fit"));

    let mut nsects = k.clone();
    let seg = find_cmd(&k, 0x19);
    put32(&mut nsects, seg + 64, 0x1000_0000);
    assert!(err(nsects).contains("sections need"));

    let mut nsyms = k.clone();
    let st = find_cmd(&k, 0x2);
    put32(&mut nsyms, st + 12, 0xffff_ffff);
    let e = err(nsyms);
    assert!(
        e.contains("LC_SYMTAB") && e.contains("4294967295 symbols"),
        "{e}"
    );

    let mut strsize = k.clone();
    put32(&mut strsize, st + 20, 0xffff_0000);
    assert!(err(strsize).contains("string table"));

    let mut uuid = k;
    let u = find_cmd(&uuid, 0x1b);
    put32(&mut uuid, u + 4, 8);
    assert!(err(uuid).contains("LC_UUID"));
}

#[test]
fn bad_fat_headers() {
    let fat = std::fs::read(fixtures().join("universal/fxexec")).unwrap();
    let open = |b: Vec<u8>| {
        MachOFile::from_vec(Path::new("/corrupt/fat"), b)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let mut many = fat.clone();
    many[4..8].copy_from_slice(&0x0100_0000u32.to_be_bytes());
    assert!(open(many).contains("more than the file"));
    let mut none = fat.clone();
    none[4..8].copy_from_slice(&0u32.to_be_bytes());
    assert!(open(none).contains("no architectures"));
    let mut past = fat.clone();
    past[8 + 12..8 + 16].copy_from_slice(&0x7fff_ffffu32.to_be_bytes()); // slice #0 size
    assert!(open(past).contains("slice #0 (x86_64)"));
    // A slice that is not a Mach-O: found when selected.
    let mut inner = fat;
    let off = u32::from_be_bytes(inner[16..20].try_into().unwrap()) as usize;
    inner[off..off + 4].copy_from_slice(b"junk");
    let f = MachOFile::from_vec(Path::new("/corrupt/fat"), inner).unwrap();
    assert!(f
        .select(&SliceSelector::arch(kpanic_symbols::Arch::X86_64))
        .is_err());
}

/// Every byte of the header and load commands, set to 0xff and to 0x00 in turn: a result, never
/// a panic; and when it parses, lookups answer or say why.
#[test]
fn byte_flips_never_panic() {
    let k = kernel_bytes();
    let cmds_end = 32 + get32(&k, 20) as usize;
    let mut parsed = 0;
    for off in 0..cmds_end {
        for v in [0xffu8, 0x00] {
            let mut b = k.clone();
            b[off] = v;
            if let Ok(s) = parse(b) {
                parsed += 1;
                let _ = (
                    s.text_vmaddr(),
                    s.text_exec_vmaddr(),
                    s.segment_containing(0xfffffe000700c014),
                );
            }
        }
    }
    assert!(parsed > 0);
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kpanic-corrupt-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

#[test]
fn dsym_with_another_uuid_is_not_used() {
    let d = temp_dir("uuid");
    let bin = d.join("kernel.fixture");
    std::fs::copy(fixtures().join("arm64e/kernel.fixture"), &bin).unwrap();
    // The DWARF5 build's dSYM: same names, same layout, another UUID.
    copy_dir(
        &fixtures().join("dwarf5/kernel.fixture.dSYM"),
        &d.join("kernel.fixture.dSYM"),
    );
    let sym = Symbolizer::open(&bin, &SymbolizerOptions::default()).unwrap();
    let DsymStatus::UuidMismatch { binary, dsym, .. } = sym.dsym_status() else {
        panic!("{:?}", sym.dsym_status())
    };
    assert_eq!(
        binary.unwrap().to_string(),
        "4C4C4462-5555-3144-A1D5-B37636005C7C"
    );
    assert_eq!(dsym.len(), 1);
    assert_ne!(Some(dsym[0]), *binary);
    assert!(!sym.has_dwarf());
    // Falls back to the symbol table.
    let l = sym.lookup(SymbolAddr(0xfffffe000700c014), AddrKind::Exact);
    assert_eq!(l.frames[0].function.as_deref(), Some("kernel_bootstrap"));
    assert_eq!(l.frames[0].symbol_offset, Some(0x14));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn corrupt_dwarf_never_panics() {
    let d = temp_dir("dwarf");
    let dsym = d.join("kernel.fixture.dSYM");
    copy_dir(&fixtures().join("arm64e/kernel.fixture.dSYM"), &dsym);
    let dwarf = dsym.join("Contents/Resources/DWARF/kernel.fixture");
    let orig = std::fs::read(&dwarf).unwrap();
    let slice = MachOFile::from_vec(&dwarf, orig.clone())
        .unwrap()
        .select(&SliceSelector::default())
        .unwrap();
    let calls = addrs("arm64e-kernel.fixture", "callsites");
    let mut outcomes = 0;
    for name in [
        "__debug_info",
        "__debug_line",
        "__debug_abbrev",
        "__debug_str",
        "__debug_aranges",
    ] {
        let Some(sect) = slice.sections().iter().find(|s| s.sectname == name) else {
            continue;
        };
        let (start, size) = (sect.offset as usize, sect.size as usize);
        for step in [1usize, 7, 13] {
            let mut b = orig.clone();
            for i in (start..start + size).step_by(step) {
                b[i] ^= 0x5a;
            }
            std::fs::write(&dwarf, &b).unwrap();
            match Symbolizer::open(&dsym, &SymbolizerOptions::default()) {
                Ok(sym) => {
                    for &c in &calls {
                        let l = sym.lookup(SymbolAddr(c), AddrKind::ReturnAddress);
                        assert!(l.is_resolved() || l.unresolved_reason.is_some());
                    }
                }
                Err(e) => assert!(e.to_string().contains("kernel.fixture"), "{e}"),
            }
            outcomes += 1;
        }
    }
    assert!(outcomes >= 12);
    // A dSYM section pointing past the end of the file.
    let mut b = orig.clone();
    let sect = slice
        .sections()
        .iter()
        .find(|s| s.sectname == "__debug_line")
        .unwrap();
    let hdr = b
        .windows(16)
        .position(|w| w.starts_with(b"__debug_line\0"))
        .unwrap();
    // section_64: size at +40, offset at +48
    b[hdr + 48..hdr + 52].copy_from_slice(&(orig.len() as u32 - 4).to_le_bytes());
    assert!(sect.size > 4);
    std::fs::write(&dwarf, &b).unwrap();
    let e = Symbolizer::open(&dsym, &SymbolizerOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("__debug_line") && e.contains("kernel.fixture"),
        "{e}"
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn arch_the_file_lacks() {
    let opts = SymbolizerOptions {
        selector: SliceSelector::arch(kpanic_symbols::Arch::X86_64),
        dsym: DsymChoice::Auto,
        ..Default::default()
    };
    let e = Symbolizer::open(&fixtures().join("arm64e/fxexec"), &opts).unwrap_err();
    assert!(matches!(e, Error::ArchNotFound { .. }), "{e}");
    let e =
        Symbolizer::open(&fixtures().join("arm64e"), &SymbolizerOptions::default()).unwrap_err();
    assert!(e.to_string().contains("arm64e"), "{e}");
}
