//! `--kernelcache`: addresses are mapped through the MH_FILESET kernelcache, entry by entry and
//! segment by segment, into each entry's own symbol file.

mod support;

use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};
use kpanic_symbols::{MachOFile, SliceSelector};
use support::*;

const SLIDE: u64 = 0x1000_0000;

struct Cache {
    text: String,
    /// runtime address, kind-is-return-address, truth
    frames: Vec<(u64, Vec<TruthSym>)>,
    ppl_pc: (u64, Vec<TruthSym>),
}

/// A text panic of a machine whose kernelcache is the fileset fixture: the kernel at its own
/// vmaddrs, the fxdriver kext slid to 0xfffffe0007020000. The kext is NOT in "Kernel Extensions
/// in backtrace": only the kernelcache can say whose its frames are.
fn cache_panic() -> Cache {
    let kc_path = fixtures().join("fileset/kernelcache.fixture");
    let kc = MachOFile::open(&kc_path)
        .unwrap()
        .select(&SliceSelector::default())
        .unwrap();
    let kc_uuid = kc.uuid().unwrap().to_string().replace('-', "");
    let kext_entry = kc
        .fileset_entries()
        .iter()
        .find(|e| e.id != "com.apple.kernel")
        .expect("a kext entry");
    let kext_exec_in_cache = kext_entry.image.text_exec_vmaddr().unwrap();
    let kernel = layout(&fixtures().join("arm64e/kernel.fixture"));
    let kext = layout(&fixtures().join("arm64e/fxdriver.kext"));
    let ktruth = Truth::load("arm64e-kernel.fixture");
    let xtruth = Truth::load("arm64e-fxdriver.kext");

    let mut frames: Vec<(u64, Vec<TruthSym>)> = ktruth
        .return_addresses(true)
        .into_iter()
        .map(|(ra, t)| (ra + SLIDE, t))
        .collect();
    let kext_frames: Vec<_> = xtruth
        .return_addresses(true)
        .into_iter()
        .map(|(ra, t)| {
            (
                kext_exec_in_cache + (ra - kext.text_exec.unwrap()) + SLIDE,
                t,
            )
        })
        .collect();
    frames.splice(1..1, kext_frames);
    let ppl_site = *ktruth.callsites.last().unwrap();
    let ppl_pc = (ppl_site + SLIDE, ktruth.by_callsite[&ppl_site].clone());

    let mut text = format!(
        "panic(cpu 0 caller {:#018x}): fxdriver: state out of range\n\
         Debugger message: panic\n\
         OS version: 24E248\n\
         Kernel version: Darwin Kernel Version 24.4.0; root:xnu-11417.101.15~117/RELEASE_ARM64_T8112\n\
         Fileset Kernelcache UUID: {kc_uuid}\n\
         Kernel UUID: {}\n\
         Paniclog version: 14\n\
         KernelCache slide: {SLIDE:#018x}\n\
         KernelCache base:  {:#018x}\n\
         Kernel slide:      {SLIDE:#018x}\n\
         Kernel text base:  {:#018x}\n\
         Kernel text exec slide: {SLIDE:#018x}\n\
         Kernel text exec base:  {:#018x}\n\
         CORE 1: PC={:#018x}, LR={:#018x}, FP=0xfffffe8a3e0f3e90\n\
         CORE 0 is the one that panicked. Check the full backtrace for details.\n\
         Panicked thread: 0xfffffe1b39a0c4d8, backtrace: 0xfffffe8a3f5e7640, tid: 1204\n",
        frames[1].0,
        kernel.uuid,
        0xfffffe0007000000u64 + SLIDE,
        kernel.text + SLIDE,
        kernel.text_exec.unwrap() + SLIDE,
        ppl_pc.0,
        frames[0].0,
    );
    for (lr, _) in &frames {
        text.push_str(&format!("\t\t  lr: {lr:#018x}  fp: 0xfffffe8a3f5e7900\n"));
    }
    Cache {
        text,
        frames,
        ppl_pc,
    }
}

#[test]
fn kernelcache_maps_kernel_and_kexts_exactly() {
    let c = cache_panic();
    let report = kpanic_report::parse(c.text.as_bytes()).unwrap();
    let lib = SymbolLibrary::new(&SymbolOptions {
        symbols: vec![fixtures().join("arm64e")],
        kernelcache: Some(fixtures().join("fileset/kernelcache.fixture")),
        ..Default::default()
    });
    let sym = symbolicate(&report, &lib);
    assert!(sym.warnings.is_empty(), "{:?}", sym.warnings);
    assert_eq!(sym.backtrace.len(), c.frames.len());
    for (f, (_, t)) in sym.backtrace.iter().zip(&c.frames) {
        assert_frame(f, t, "through the kernelcache");
        assert_eq!(f.placement.map(|p| p.anchor.name()), Some("kernelcache"));
    }
    assert_eq!(
        sym.backtrace[1].image.as_deref(),
        Some("com.kpanic.fixture.fxdriver")
    );
    // __PPLTEXT: exact through the kernelcache, so no caveat.
    let pc = &sym.cores[0].pc;
    assert_frame(pc, &c.ppl_pc.1, "PPL pc");
    assert_eq!(pc.caveat, None);
}

#[test]
fn without_a_kernelcache_ppltext_is_flagged_uncertain() {
    let c = cache_panic();
    let report = kpanic_report::parse(c.text.as_bytes()).unwrap();
    let lib = SymbolLibrary::new(&SymbolOptions {
        symbols: vec![fixtures().join("arm64e")],
        ..Default::default()
    });
    let sym = symbolicate(&report, &lib);
    let pc = &sym.cores[0].pc;
    assert_frame(pc, &c.ppl_pc.1, "PPL pc by text exec base");
    assert!(
        pc.caveat
            .as_ref()
            .unwrap()
            .to_string()
            .contains("__PPLTEXT"),
        "{:?}",
        pc.caveat
    );
    // The kext is not in the backtrace's kext list: without the kernelcache nothing says whose
    // those frames are, and they must not be passed off as kernel code.
    let kext_frame = &sym.backtrace[1];
    assert!(kext_frame.symbol_frames().is_empty(), "{kext_frame:?}");
}

#[test]
fn kernelcache_symbol_table_names_kexts_without_symbols() {
    let c = cache_panic();
    let report = kpanic_report::parse(c.text.as_bytes()).unwrap();
    let lib = SymbolLibrary::new(&SymbolOptions {
        symbols: vec![fixtures().join("arm64e/kernel.fixture")],
        kernelcache: Some(fixtures().join("fileset/kernelcache.fixture")),
        ..Default::default()
    });
    let sym = symbolicate(&report, &lib);
    let kext_frames: Vec<_> = sym
        .backtrace
        .iter()
        .zip(&c.frames)
        .filter(|(f, _)| f.image.as_deref() == Some("com.kpanic.fixture.fxdriver"))
        .collect();
    assert_eq!(kext_frames.len(), 3);
    for (f, (_, t)) in kext_frames {
        assert_eq!(f.symbol_frames().len(), 1);
        assert_eq!(
            f.symbol_frames()[0].function.as_deref(),
            Some(t.last().unwrap().function.as_str())
        );
        assert!(f.symbol_frames()[0].symbol_offset.is_some());
    }
}

#[test]
fn a_kernelcache_of_another_build_is_not_used() {
    let c = cache_panic();
    let text = replace_line(
        &c.text,
        "Fileset Kernelcache UUID:",
        "Fileset Kernelcache UUID: 8631036BCCCF5DE9E3270CDB30F5633F",
    );
    let report = kpanic_report::parse(text.as_bytes()).unwrap();
    let lib = SymbolLibrary::new(&SymbolOptions {
        symbols: vec![fixtures().join("arm64e")],
        kernelcache: Some(fixtures().join("fileset/kernelcache.fixture")),
        ..Default::default()
    });
    let sym = symbolicate(&report, &lib);
    assert!(
        sym.warnings.iter().any(|w| w.contains("not used")),
        "{:?}",
        sym.warnings
    );
    assert_ne!(
        sym.backtrace[0].placement.map(|p| p.anchor.name()),
        Some("kernelcache")
    );
}
