//! The README's first command runs on `examples/`: it must stay right. Every backtrace frame of
//! the bundled panic is checked against llvm-symbolizer's truth for the same code.

mod support;

use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};
use support::*;

#[test]
fn bundled_example_symbolicates_every_frame_right() {
    let ex = root().join("examples");
    let report = kpanic_report::parse_file(&ex.join("fxdriver-panic.txt")).unwrap();
    let lib = SymbolLibrary::new(&SymbolOptions {
        kdks: vec![ex.join("KDK_15.4_24E248.kdk")],
        ..Default::default()
    });
    let sym = symbolicate(&report, &lib);

    let kernel = layout(&fixtures().join("kdk-t8112/kernel.release.t8112"));
    let kext = layout(&fixtures().join("arm64e/fxdriver.kext"));
    let ktruth = Truth::load("kdk-t8112-kernel.release.t8112");
    let xtruth = Truth::load("arm64e-fxdriver.kext");
    let exec_base = report.slides.kernel_text_exec_base.unwrap().get();
    let kext_start = report.kexts_in_backtrace[0].kext.start.unwrap().get();
    assert_eq!(
        exec_base, 0xfffffe001cd8c000,
        "the example's text exec base (atos -l 0xfffffe001cad8000 in the README)"
    );

    let frames = &report.backtrace.as_ref().unwrap().frames;
    assert_eq!(sym.backtrace.len(), frames.len());
    assert!(frames.len() >= 9);
    for (f, out) in frames.iter().zip(&sym.backtrace) {
        // strip the PAC bits the example puts on two lrs
        let lr = f.address.get() | 0xffff_0000_0000_0000;
        let (truth, ra) = if (kext_start..kext_start + 0x4000).contains(&lr) {
            (&xtruth, lr - kext_start + kext.text_exec.unwrap())
        } else {
            (&ktruth, lr - exec_base + kernel.text_exec.unwrap())
        };
        assert_frame(out, &truth.by_callsite[&(ra - 4)], "example backtrace");
    }
    assert_eq!(sym.summary.panic_path.result.as_str(), "passed");
    assert!(
        sym.images.iter().all(|i| i.status().as_str() == "ok"),
        "{:?}",
        sym.images
    );
    // caller = the kext frame that called panic()
    assert_eq!(
        sym.caller.as_ref().unwrap().function(),
        Some("fxdriver_handle_interrupt")
    );
}
