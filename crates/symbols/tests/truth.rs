//! Every call site of every fixture, against llvm-symbolizer's answer (truth/*.json): same
//! function, file, line, column and inline chain, through the dSYM and through the binary with
//! its dSYM beside it; every return address looked up as such gives its call site's answer.

mod common;
use common::*;
use kpanic_symbols::{
    AddrKind, Arch, DsymStatus, Lookup, SliceSelector, SymbolAddr, Symbolizer, SymbolizerOptions,
};
use std::path::Path;

fn check(sym: &Symbolizer, name: &str, what: &str) -> usize {
    let truth = truth(name);
    assert!(!truth.is_empty(), "{name}: empty truth");
    let mut n = 0;
    for (addr, want) in &truth {
        let got = sym.lookup(SymbolAddr(*addr), AddrKind::Exact);
        compare(&got, want, &format!("{what} {name} {addr:#x}"));
        n += 1;
    }
    // Return addresses: the instruction after each call. Every call in the fixtures is 4 bytes
    // (arm64 bl/blr) or 5 (x86_64 direct call). truth/*.retaddrs lists "the next instruction in
    // llvm-objdump's listing", which agrees except after a noreturn call that ends a section or
    // is followed by padding; check that agreement, then look up call + length for every call.
    let calls = addrs(name, "callsites");
    let len = if name.starts_with("x86_64") { 5 } else { 4 };
    let rets: Vec<(u64, u64)> = calls.iter().map(|&c| (c + len, c)).collect();
    let listed = addrs(name, "retaddrs");
    let agree = listed
        .iter()
        .filter(|r| rets.iter().any(|(x, _)| x == *r))
        .count();
    assert!(
        agree + 2 >= listed.len() && listed.len() + 1 >= calls.len(),
        "{name}"
    );
    for (ret, call) in rets {
        let want = &truth.iter().find(|(a, _)| *a == call).unwrap().1;
        let got = sym.lookup(SymbolAddr(ret), AddrKind::ReturnAddress);
        compare(
            &got,
            want,
            &format!("{what} {name} return address {ret:#x}"),
        );
        assert_eq!(got.addr, SymbolAddr(ret), "the original address is kept");
        n += 1;
    }
    n
}

fn compare(got: &Lookup, want: &[TruthFrame], ctx: &str) {
    let got: Vec<TruthFrame> = got
        .frames
        .iter()
        .map(|f| TruthFrame {
            function: f.function.clone().unwrap_or_default(),
            file: f.file.clone().unwrap_or_default(),
            line: f.line.unwrap_or(0),
            column: f.column.unwrap_or(0),
        })
        .collect();
    assert_eq!(got, want, "{ctx}");
}

// CASES: every fixture with truth (shared with the index tests in src/index/tests.rs).
include!("common/cases.rs");

#[test]
fn every_call_site_matches_llvm_symbolizer() {
    let mut total = 0;
    for &(name, dir, bin, arch) in CASES {
        let sel = SliceSelector { arch, uuid: None };
        let binary = fixtures().join(dir).join(bin);
        let dsym = fixtures().join(dir).join(format!("{bin}.dSYM"));

        let via_binary =
            Symbolizer::open(&binary, &SymbolizerOptions::with_selector(sel.clone())).unwrap();
        assert_eq!(
            via_binary.dsym_status(),
            &DsymStatus::Found { path: dsym.clone() },
            "{name}"
        );
        assert_eq!(via_binary.image_name(), bin);
        total += check(&via_binary, name, "binary+dSYM");

        let via_dsym =
            Symbolizer::open(&dsym, &SymbolizerOptions::with_selector(sel.clone())).unwrap();
        assert!(matches!(via_dsym.dsym_status(), DsymStatus::IsDsym { .. }));
        assert_eq!(via_dsym.uuid(), via_binary.uuid(), "{name}");
        total += check(&via_dsym, name, "dSYM");

        let dwarf_file = dsym.join("Contents/Resources/DWARF").join(bin);
        total += check(
            &Symbolizer::open(&dwarf_file, &SymbolizerOptions::with_selector(sel.clone())).unwrap(),
            name,
            "DWARF file",
        );
    }
    eprintln!("{total} lookups matched llvm-symbolizer");
    assert!(total > 600, "{total}");
}

/// The plain binary without its dSYM: the symbol table answers `func + off`, as llvm-nm sees it.
#[test]
fn symbol_table_fallback_matches_llvm_nm() {
    let opts = |arch| kpanic_symbols::SymbolizerOptions {
        selector: SliceSelector { arch, uuid: None },
        dsym: kpanic_symbols::DsymChoice::Ignore,
        ..Default::default()
    };
    let mut n = 0;
    for &(name, dir, bin, arch) in CASES {
        let nm_name = format!(
            "{}-{bin}",
            if dir == "universal" {
                name.split('-').next().unwrap()
            } else {
                dir
            }
        );
        let syms = nm(&nm_name);
        let sym = Symbolizer::open(&fixtures().join(dir).join(bin), &opts(arch)).unwrap();
        assert!(!sym.has_dwarf());
        assert_eq!(sym.dsym_status(), &DsymStatus::Missing);
        for (addr, want) in truth(name) {
            let (sym_addr, sym_name) = syms.iter().rev().find(|(a, _)| *a <= addr).unwrap();
            let got = sym.lookup(SymbolAddr(addr), AddrKind::Exact);
            assert_eq!(got.frames.len(), 1, "{name} {addr:#x}");
            let f = &got.frames[0];
            assert_eq!(
                f.function.as_deref(),
                Some(sym_name.as_str()),
                "{name} {addr:#x}"
            );
            assert_eq!(f.symbol_offset, Some(addr - sym_addr), "{name} {addr:#x}");
            assert_eq!(f.file, None);
            // And the symbol is the function DWARF says owns the address.
            assert_eq!(&want.last().unwrap().function, sym_name, "{name} {addr:#x}");
            n += 1;
        }
    }
    assert!(n > 150, "{n}");
}

#[test]
fn pac_signed_addresses_are_stripped() {
    let k = fixtures().join("arm64e/kernel.fixture");
    let sym = Symbolizer::open(&k, &SymbolizerOptions::default()).unwrap();
    let (addr, want) = &truth("arm64e-kernel.fixture")[2];
    let signed = 0x72f8_0000_0000_0000 | (addr & ((1 << 41) - 1));
    let got = sym.lookup(SymbolAddr(signed), AddrKind::Exact);
    assert_eq!(got.addr, SymbolAddr(*addr));
    assert_eq!(got.frames.len(), want.len());
    assert_eq!(
        got.frames[0].function.as_deref(),
        Some(want[0].function.as_str())
    );
}

#[test]
fn segments_and_anchors_come_from_the_binary() {
    let k = Symbolizer::open(
        &fixtures().join("arm64e/kernel.fixture"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    let s = k.slice();
    assert_eq!(s.text_vmaddr(), Some(0xfffffe0007004000));
    assert_eq!(s.text_exec_vmaddr(), Some(0xfffffe000700c000));
    let names: Vec<&str> = s.segments().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "__TEXT",
            "__DATA_CONST",
            "__TEXT_EXEC",
            "__KLD",
            "__PPLTEXT",
            "__DATA",
            "__LINKEDIT"
        ]
    );
    assert_eq!(
        s.segment_containing(0xfffffe0007014010).unwrap().name,
        "__PPLTEXT"
    );
    assert_eq!(k.arch(), Arch::Arm64e);
    assert_eq!(
        k.uuid().unwrap().to_string(),
        "4C4C4462-5555-3144-A1D5-B37636005C7C"
    );
    let kext = Symbolizer::open(
        &fixtures().join("arm64e/fxdriver.kext"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    assert_eq!(kext.slice().text_exec_vmaddr(), Some(0x4000));
    assert_eq!(kext.slice().filetype(), 0xb);
    let x = Symbolizer::open(
        &fixtures().join("x86_64/kernel.fixture"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    assert_eq!(x.slice().text_vmaddr(), Some(0xffffff8000200000));
    assert_eq!(x.slice().text_exec_vmaddr(), None);
}

#[test]
fn unresolved_addresses_say_why() {
    let k = Symbolizer::open(
        &fixtures().join("arm64e/kernel.fixture"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    let out = k.lookup(SymbolAddr(0xfffffe0100000000), AddrKind::Exact);
    assert!(!out.is_resolved());
    assert!(out
        .unresolved_reason
        .unwrap()
        .contains("outside every segment"));
    // In a segment but before any symbol of its section (the Mach-O header area of __TEXT has
    // __mh_execute_header; __DATA_CONST's first vtable is data): a data address still resolves
    // to its symbol, a __LINKEDIT one does not.
    let out = k.lookup(SymbolAddr(0xfffffe000701c010), AddrKind::Exact);
    assert!(!out.is_resolved(), "{out:?}");
    assert!(out.unresolved_reason.is_some());
    let out = k.lookup(SymbolAddr(0), AddrKind::ReturnAddress);
    assert!(!out.is_resolved());
}

#[test]
fn fat_slice_selection() {
    let fat = kpanic_symbols::MachOFile::open(&fixtures().join("universal/fxexec")).unwrap();
    assert!(fat.is_fat());
    let archs: Vec<Arch> = fat.slices().iter().map(|s| s.arch).collect();
    assert_eq!(archs, [Arch::X86_64, Arch::Arm64, Arch::Arm64e]);
    let e = fat
        .select(&SliceSelector::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("choose one with --arch") && e.contains("arm64e"),
        "{e}"
    );
    // By UUID.
    let thin = Symbolizer::open(
        &fixtures().join("arm64/fxexec"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    let by_uuid = fat
        .select(&SliceSelector::uuid(thin.uuid().unwrap()))
        .unwrap();
    assert_eq!(by_uuid.arch(), Arch::Arm64);
    assert_eq!(by_uuid.cpusubtype() & 0xff_ffff, 0);
    let e64 = fat.select(&SliceSelector::arch(Arch::Arm64e)).unwrap();
    assert_eq!(e64.cpusubtype(), 0x8000_0002);
    // A kext without arm64 picks arm64e for --arch arm64 (same family), but not x86_64h->arm.
    let kext =
        kpanic_symbols::MachOFile::open(&fixtures().join("universal/fxdriver.kext")).unwrap();
    assert_eq!(
        kext.select(&SliceSelector::arch(Arch::Arm64))
            .unwrap()
            .arch(),
        Arch::Arm64e
    );
    let thin_x86 = kpanic_symbols::MachOFile::open(&fixtures().join("x86_64/fxexec")).unwrap();
    let e = thin_x86
        .select(&SliceSelector::arch(Arch::Arm64e))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no arm64e slice") && e.contains("x86_64"), "{e}");
    let e = kext
        .select(&SliceSelector::uuid(thin.uuid().unwrap()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no slice with UUID 4C4C4498-5555-3144-A1A1-9D7A37DEB956"),
        "{e}"
    );
    let _ = Path::new("");
}
