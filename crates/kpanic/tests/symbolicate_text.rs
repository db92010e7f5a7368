//! Real text panics rewritten onto the fixtures: every frame must equal llvm-symbolizer's
//! answer for the same code.

mod support;

use kpanic::{symbolicate, SymbolLibrary, SymbolOptions, Symbolication};
use support::*;

const KEXT_ID: &str = "com.example.driver.FxDriver";

/// The arm64 panic of `arm64-text-endpointsecurity-01.txt` (macOS 13.5, T6000, a data abort
/// with a PAC-signed lr and EndpointSecurity in the backtrace), rewritten so that its kernel is
/// the arm64e kernel fixture and its kext in backtrace the fxdriver fixture. The log's own
/// slides are kept: "Kernel text exec base: 0xfffffe0012d44000" and a kext @start that is not
/// page aligned.
struct Arm64Panic {
    text: String,
    /// (runtime lr as printed, truth)
    frames: Vec<(u64, Vec<TruthSym>)>,
    caller_truth: Vec<TruthSym>,
    pc_truth: Vec<TruthSym>,
}

const EXEC_BASE: u64 = 0xfffffe0012d44000;
const KEXT_START: u64 = 0xfffffe00148b6d60;

fn arm64_panic(kernel_rel: &str) -> Arm64Panic {
    let kernel = layout(&fixtures().join(kernel_rel));
    let kext = layout(&fixtures().join("arm64e/fxdriver.kext"));
    let ktruth = Truth::load("arm64e-kernel.fixture");
    let xtruth = Truth::load("arm64e-fxdriver.kext");
    let k_exec = kernel.text_exec.expect("kernel __TEXT_EXEC");
    let x_exec = kext.text_exec.expect("kext __TEXT_EXEC");

    let mut frames = Vec::new();
    for (i, (ra, t)) in ktruth.return_addresses(true).into_iter().enumerate() {
        let rt = EXEC_BASE + (ra - k_exec);
        // every third lr PAC-signed, as arm64e panics print some of them
        frames.push((if i % 3 == 1 { pac_sign(rt) } else { rt }, t));
    }
    let kext_frames: Vec<(u64, Vec<TruthSym>)> = xtruth
        .return_addresses(true)
        .into_iter()
        .map(|(ra, t)| (KEXT_START + (ra - x_exec), t))
        .collect();
    let (caller, caller_truth) = kext_frames[0].clone();
    frames.splice(1..1, kext_frames);

    let mut text = corpus("arm64-text-endpointsecurity-01.txt");
    // The log's own addresses, replaced wherever they appear (headline, register dump).
    let pc_site = ktruth.callsites[0];
    let pc = EXEC_BASE + (pc_site - k_exec);
    let signed_lr = pac_sign(caller);
    text = text
        .replace("0xfffffe00135220bc", &format!("{caller:#018x}"))
        .replace("0xfffffe001327947c", &format!("{pc:#018x}"))
        .replace("0xfdc0fe00148e2af8", &format!("{signed_lr:#018x}"));
    text = replace_line(
        &text,
        "Kernel UUID:",
        &format!("Kernel UUID: {}", kernel.uuid),
    );
    text = replace_line(
        &text,
        "com.apple.iokit.EndpointSecurity(",
        &format!(
            "         {KEXT_ID}(1.0)[{}]@{KEXT_START:#018x}->{:#018x}",
            kext.uuid,
            KEXT_START + 0x3fff
        ),
    );
    let bt: Vec<String> = frames
        .iter()
        .enumerate()
        .map(|(i, (lr, _))| {
            format!(
                "\t\t  lr: {lr:#018x}  fp: {:#018x}",
                0xfffffe8820216610u64 + 0x20 * i as u64
            )
        })
        .collect();
    Arm64Panic {
        text: replace_frames(&text, is_lr_line, bt),
        frames,
        caller_truth,
        pc_truth: ktruth.by_callsite[&pc_site].clone(),
    }
}

fn run(text: &str, opts: &SymbolOptions) -> (kpanic_report::PanicReport, Symbolication) {
    let report = kpanic_report::parse(text.as_bytes()).expect("rewritten panic parses");
    let lib = SymbolLibrary::new(opts);
    let sym = symbolicate(&report, &lib);
    (report, sym)
}

/// Symbolicates `text` against a KDK made for the test from `spec`.
fn run_with_kdk(text: &str, spec: &KdkSpec) -> Symbolication {
    let dir = tempfile::tempdir().unwrap();
    let kdk = make_kdk(dir.path(), spec);
    run(
        text,
        &SymbolOptions {
            kdks: vec![kdk],
            ..Default::default()
        },
    )
    .1
}

fn check_arm64(p: &Arm64Panic, sym: &Symbolication) {
    assert_eq!(sym.backtrace.len(), p.frames.len());
    for (f, (lr, t)) in sym.backtrace.iter().zip(&p.frames) {
        assert_eq!(
            f.address.map(|a| a.to_string()),
            Some(format!("{lr:#018x}")),
            "every frame keeps its address"
        );
        assert_frame(f, t, "backtrace");
    }
    assert_frame(sym.caller.as_ref().unwrap(), &p.caller_truth, "caller");
    let pc = sym
        .registers
        .iter()
        .find(|r| r.name.as_str() == "pc")
        .expect("pc register");
    assert_frame(&pc.frame, &p.pc_truth, "pc");
    let lr = sym
        .registers
        .iter()
        .find(|r| r.name.as_str() == "lr")
        .unwrap();
    assert_frame(&lr.frame, &p.caller_truth, "PAC-signed lr register");
    assert_eq!(lr.frame.image.as_deref(), Some(KEXT_ID));
    assert_eq!(
        sym.summary.panic_path.result.as_str(),
        "passed",
        "{:?}",
        sym.summary
    );
    assert!(sym
        .summary
        .panic_path
        .matched
        .contains(&"panic".to_string()));
}

#[test]
fn arm64_text_panic_with_kdk() {
    let p = arm64_panic("arm64e/kernel.fixture");
    let sym = run_with_kdk(
        &p.text,
        &KdkSpec {
            arch_dir: "arm64e",
            kernel_name: "kernel.release.t6000",
            kernel_from: "arm64e/kernel.fixture",
            kernel_dsym: true,
            kext_dsym: true,
        },
    );
    check_arm64(&p, &sym);
    // CORE lines of the real log point far past the tiny fixture kernel: they must come out
    // unresolved with a reason, never as a wrong frame.
    let core2 = sym.cores.iter().find(|c| c.core == 2).unwrap();
    assert!(core2.pc.symbol_frames().is_empty());
    assert!(
        core2
            .pc
            .unresolved()
            .map(|u| u.to_string())
            .as_deref()
            .unwrap()
            .contains("outside"),
        "{:?}",
        core2.pc.unresolved().map(|u| u.to_string())
    );
    let core1 = sym.cores.iter().find(|c| c.core == 1).unwrap();
    assert!(core1
        .pc
        .unresolved()
        .map(|u| u.to_string())
        .as_deref()
        .unwrap()
        .contains("user-space"));
    let images: Vec<(&str, &str)> = sym
        .images
        .iter()
        .map(|i| (i.image.as_str(), i.status().as_str()))
        .collect();
    assert!(
        images.contains(&("kernel.release.t6000", "ok")),
        "{images:?}"
    );
    assert!(images.contains(&(KEXT_ID, "ok")), "{images:?}");
}

#[test]
fn arm64_text_panic_with_symbols_folder() {
    // --symbols: the fixture folder itself, matched by UUID (no KDK layout involved).
    let p = arm64_panic("arm64e/kernel.fixture");
    let (_, sym) = run(
        &p.text,
        &SymbolOptions {
            symbols: vec![fixtures().join("arm64e")],
            ..Default::default()
        },
    );
    check_arm64(&p, &sym);
}

#[test]
fn dwarf5_kernel_symbolicates_the_same() {
    let p = arm64_panic("dwarf5/kernel.fixture");
    let (_, sym) = run(
        &p.text,
        &SymbolOptions {
            // the panic's kext is arm64e's; both folders are indexed by UUID
            symbols: vec![fixtures().join("dwarf5"), fixtures().join("arm64e")],
            ..Default::default()
        },
    );
    // The DWARF 5 kernel is the same code as the DWARF 4 one: llvm-symbolizer's answers agree.
    for (f, (_, t)) in sym.backtrace.iter().zip(&p.frames) {
        assert_frame(f, t, "dwarf5 backtrace");
    }
}

#[test]
fn kernel_uuid_mismatch_is_refused_loudly() {
    let p = arm64_panic("arm64e/kernel.fixture");
    // The DWARF 5 kernel has another UUID: same code, but it must not be used.
    let sym = run_with_kdk(
        &p.text,
        &KdkSpec {
            arch_dir: "arm64e",
            kernel_name: "kernel.release.t6000",
            kernel_from: "dwarf5/kernel.fixture",
            kernel_dsym: true,
            kext_dsym: true,
        },
    );
    let mut kernel_frames = 0;
    for f in &sym.backtrace {
        if f.image.as_deref() == Some(KEXT_ID) {
            assert!(f.is_resolved(), "kext frames still resolve");
            continue;
        }
        kernel_frames += 1;
        assert!(
            f.symbol_frames().is_empty(),
            "no frame from a mismatched kernel"
        );
        assert!(
            f.unresolved()
                .map(|u| u.to_string())
                .as_deref()
                .unwrap()
                .contains("UUID mismatch"),
            "{:?}",
            f.unresolved().map(|u| u.to_string())
        );
    }
    assert!(kernel_frames > 10);
    let k = sym
        .images
        .iter()
        .find(|i| i.image == "kernel.release.t6000")
        .unwrap();
    assert_eq!(k.status().as_str(), "uuid_mismatch");
    // Each frame says so briefly; the image says why, once, with both UUIDs.
    let reason = k.symbols.as_ref().unwrap_err().to_string();
    assert!(reason.contains("UUID mismatch"), "{reason}");
    assert_eq!(
        sym.backtrace
            .iter()
            .find(|f| !f.is_resolved())
            .and_then(|f| f.unresolved())
            .map(|u| u.to_string())
            .as_deref(),
        Some("no symbols: UUID mismatch")
    );
    // The kext resolved, the kernel did not: the panic path cannot be checked, which is not a
    // failure of the mapping.
    assert_eq!(
        sym.summary.panic_path.result,
        kpanic::symbolicate::PanicPathResult::NotChecked
    );
    assert!(!sym.summary.panic_path.kernel_has_symbols);
}

#[test]
fn kext_without_dsym_gets_symbol_table_names() {
    let p = arm64_panic("arm64e/kernel.fixture");
    let sym = run_with_kdk(
        &p.text,
        &KdkSpec {
            arch_dir: "arm64e",
            kernel_name: "kernel.release.t6000",
            kernel_from: "arm64e/kernel.fixture",
            kernel_dsym: true,
            kext_dsym: false,
        },
    );
    let kext_frames: Vec<_> = sym
        .backtrace
        .iter()
        .zip(&p.frames)
        .filter(|(f, _)| f.image.as_deref() == Some(KEXT_ID))
        .collect();
    assert_eq!(kext_frames.len(), 3);
    for (f, (_, t)) in kext_frames {
        assert_eq!(f.symbol_frames().len(), 1, "symbol table: no inlines");
        let s = &f.symbol_frames()[0];
        // The symbol table names the function that owns the code: the outermost frame.
        assert_eq!(
            s.function.as_deref(),
            Some(t.last().unwrap().function.as_str())
        );
        assert!(s.file.is_none());
        assert!(s.symbol_offset.is_some());
    }
    let m = sym.images.iter().find(|i| i.image == KEXT_ID).unwrap();
    assert!(
        m.symbols
            .as_ref()
            .ok()
            .and_then(|f| f.note.as_ref())
            .is_some_and(|n| n.to_string().contains("symbol table only")),
        "{m:?}"
    );
}

#[test]
fn no_symbols_keeps_every_frame_with_a_reason() {
    let p = arm64_panic("arm64e/kernel.fixture");
    let (_, sym) = run(&p.text, &SymbolOptions::default());
    assert_eq!(sym.backtrace.len(), p.frames.len());
    for (f, (lr, _)) in sym.backtrace.iter().zip(&p.frames) {
        assert_eq!(
            f.address.map(|a| a.to_string()),
            Some(format!("{lr:#018x}"))
        );
        assert!(f.symbol_frames().is_empty());
        assert!(f.unresolved().map(|u| u.to_string()).is_some());
        assert!(f.image.is_some(), "the image is still named");
    }
    assert_eq!(sym.summary.resolved, 0);
    assert_eq!(sym.summary.panic_path.result.as_str(), "not_checked");
}

/// `x86-text-nvme-bigsur-01.txt` (macOS 11.2, keepsyms backtrace, IONVMeFamily in backtrace),
/// rewritten onto the x86_64 kernel fixture (code in `__TEXT`) and kext; its slide is kept
/// (Kernel slide 0x15a10000, which differs from its KernelCache slide 0x15a00000). `keepsyms`
/// gives each frame's printed symbol (`None`: the frame is printed unsymbolicated, with the
/// trailing space such frames have).
fn intel_panic(
    keepsyms: impl Fn(usize, &[TruthSym]) -> Option<String>,
) -> (String, Vec<(u64, Vec<TruthSym>)>) {
    let kernel = layout(&fixtures().join("x86_64/kernel.fixture"));
    let kext = layout(&fixtures().join("x86_64/fxdriver.kext"));
    let ktruth = Truth::load("x86_64-kernel.fixture");
    let xtruth = Truth::load("x86_64-fxdriver.kext");
    const SLIDE: u64 = 0x15a10000;
    const START: u64 = 0xffffff8018364000;
    let mut frames: Vec<(u64, Vec<TruthSym>)> = ktruth
        .return_addresses(false)
        .into_iter()
        .map(|(ra, t)| (ra + SLIDE, t))
        .collect();
    let kext_frames: Vec<_> = xtruth
        .return_addresses(false)
        .into_iter()
        .map(|(ra, t)| (START + (ra - kext.text), t))
        .collect();
    assert!(!kext_frames.is_empty());
    frames.splice(2..2, kext_frames);

    let text = corpus("x86-text-nvme-bigsur-01.txt");
    let text = replace_line(
        &text,
        "Kernel UUID:",
        &format!("Kernel UUID: {}", kernel.uuid),
    );
    let text = replace_line(
        &text,
        "com.apple.iokit.IONVMeFamily(",
        &format!(
            "         {KEXT_ID}(1.0)[{}]@{START:#018x}->{:#018x}",
            kext.uuid,
            START + 0xfff
        ),
    );
    let lines = frames
        .iter()
        .enumerate()
        .map(|(i, (ra, t))| {
            let fp = 0xffffffa0f1a8b960u64 + 0x40 * i as u64;
            match keepsyms(i, t) {
                Some(sym) => format!("{fp:#018x} : {ra:#018x} mach_kernel : {sym} + 0x10"),
                None => format!("{fp:#018x} : {ra:#018x} "),
            }
        })
        .collect();
    (
        replace_frames(&text, |l| l.starts_with("0xffffffa0"), lines),
        frames,
    )
}

fn intel_symbols() -> SymbolOptions {
    SymbolOptions {
        symbols: vec![fixtures().join("x86_64")],
        ..Default::default()
    }
}

#[test]
fn intel_text_panic() {
    let (text, frames) = intel_panic(|_, _| None);
    let (_, sym) = run(&text, &intel_symbols());
    assert_eq!(sym.backtrace.len(), frames.len());
    for (f, (_, t)) in sym.backtrace.iter().zip(&frames) {
        assert_frame(f, t, "intel backtrace");
    }
    assert_eq!(sym.summary.panic_path.result.as_str(), "passed");
    assert!(
        sym.summary.keepsyms.is_none(),
        "no keepsyms symbols in this log"
    );
}

/// With `keepsyms=1` the kernel printed its own symbol per frame: kpanic's answer must name the
/// same function, and a frame where it does not is reported.
#[test]
fn intel_keepsyms_symbols_cross_check_the_answers() {
    // The C functions' Mach-O names, as keepsyms prints them (`_vm_fault`); one frame lies.
    let c_name = |t: &[TruthSym]| {
        let f = &t.last().unwrap().function;
        (!f.contains('(')).then(|| format!("_{f}"))
    };
    let (text, frames) = intel_panic(|_, t| c_name(t));
    let (_, sym) = run(&text, &intel_symbols());
    let named = frames.iter().filter(|(_, t)| c_name(t).is_some()).count();
    let k = sym.summary.keepsyms.as_ref().expect("keepsyms check");
    assert!(named >= 10, "{named}");
    assert_eq!((k.compared, k.agreed), (named, named), "{k:?}");
    assert!(k.disagreed.is_empty());

    let (text, _) = intel_panic(|i, t| {
        if i == 0 {
            Some("_bsd_init".into())
        } else {
            c_name(t)
        }
    });
    let (_, sym) = run(&text, &intel_symbols());
    let k = sym.summary.keepsyms.as_ref().unwrap();
    assert_eq!(k.disagreed.len(), 1, "{k:?}");
    assert_eq!(k.disagreed[0].log, "_bsd_init");
    assert_eq!(k.agreed, named - 1);
}

/// A kext whose `__TEXT_EXEC` is not at 0x4000: the offset from @start must be added to the
/// kext's own `__TEXT_EXEC`, read from its load commands. The kernel fixture stands in for such
/// a kext (its __TEXT_EXEC is at __TEXT + 0x8000).
#[test]
fn kext_text_exec_comes_from_the_binary() {
    let kernel = layout(&fixtures().join("arm64e/kernel.fixture"));
    let k_exec = kernel.text_exec.unwrap();
    assert_ne!(k_exec - kernel.text, 0x4000);
    let truth = Truth::load("arm64e-kernel.fixture");
    let start = 0xfffffe0015000d60u64;
    let frames: Vec<(u64, Vec<TruthSym>)> = truth
        .return_addresses(true)
        .into_iter()
        .map(|(ra, t)| (start + (ra - k_exec), t))
        .collect();
    let mut text = String::from("panic(cpu 0 caller 0xfffffe0015000d60): test\n");
    text.push_str(
        "Kernel version: Darwin Kernel Version 22.6.0; root:xnu-8796.141.3~6/RELEASE_ARM64_T6000\n",
    );
    text.push_str("Kernel UUID: 00000000-1111-2222-3333-444444444444\n");
    text.push_str("Kernel text exec base:  0xfffffe0012d44000\n");
    text.push_str("Panicked thread: 0xfffffe2cec6ab010, backtrace: 0xfffffe8820216590, tid: 1\n");
    for (lr, _) in &frames {
        text.push_str(&format!("\t\t  lr: {lr:#018x}  fp: 0xfffffe8820216610\n"));
    }
    text.push_str("      Kernel Extensions in backtrace:\n");
    text.push_str(&format!(
        "         com.example.odd(1.0)[{}]@{start:#018x}->{:#018x}\n",
        kernel.uuid,
        start + 0xffff
    ));
    let (_, sym) = run(
        &text,
        &SymbolOptions {
            symbols: vec![fixtures().join("arm64e/kernel.fixture")],
            ..Default::default()
        },
    );
    for (f, (_, t)) in sym.backtrace.iter().zip(&frames) {
        assert_eq!(f.image.as_deref(), Some("com.example.odd"));
        assert_frame(f, t, "odd kext");
    }
}

/// Symbols for the wrong architecture never answer, even when the UUID says they are the ones.
#[test]
fn symbols_of_the_wrong_architecture_are_refused() {
    let x86 = layout(&fixtures().join("x86_64/kernel.fixture"));
    let p = arm64_panic("arm64e/kernel.fixture");
    let arm_uuid = layout(&fixtures().join("arm64e/kernel.fixture")).uuid;
    let text = p.text.replace(&arm_uuid, &x86.uuid);
    let (_, sym) = run(
        &text,
        &SymbolOptions {
            symbols: vec![fixtures().join("x86_64/kernel.fixture")],
            ..Default::default()
        },
    );
    let kernel_frames: Vec<_> = sym
        .backtrace
        .iter()
        .filter(|f| f.image.as_deref() != Some(KEXT_ID))
        .collect();
    assert!(!kernel_frames.is_empty());
    for f in kernel_frames {
        assert!(f.symbol_frames().is_empty(), "{f:?}");
        assert!(f
            .unresolved()
            .map(|u| u.to_string())
            .as_deref()
            .unwrap()
            .contains("wrong architecture"));
    }
}

/// KDK kexts are often universal (x86_64 + arm64e): the panic's UUID must be found in any slice,
/// and that slice used (with the universal dSYM's matching slice).
#[test]
fn universal_kext_in_a_kdk() {
    let p = arm64_panic("arm64e/kernel.fixture");
    let sym = run_with_kdk(
        &p.text,
        &KdkSpec {
            arch_dir: "universal",
            kernel_name: "kernel.release.t6000",
            kernel_from: "arm64e/kernel.fixture",
            kernel_dsym: true,
            kext_dsym: true,
        },
    );
    check_arm64(&p, &sym);
}
