//! The KDK-like fixture really has KDK 15.4 kernel.release.t8112's segment distances, read from
//! its load commands, and the slide arithmetic of the README example holds on it.

mod common;
use common::*;
use kpanic_symbols::slide::{load_address_from_text_exec, runtime_to_symbol, slide_for, Anchor};
use kpanic_symbols::{AddrKind, Symbolizer, SymbolizerOptions};

#[test]
fn text_exec_anchor_on_kdk_layout() {
    let sym = Symbolizer::open(
        &fixtures().join("kdk-t8112/kernel.release.t8112"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    let s = sym.slice();
    let (text, exec) = (s.text_vmaddr().unwrap(), s.text_exec_vmaddr().unwrap());
    assert_eq!((text, exec), (0xfffffe0007004000, 0xfffffe00072b8000));
    assert_eq!(
        load_address_from_text_exec(0xfffffe001cd8c000, text, exec),
        0xFFFFFE001CAD8000
    );
    let slide = slide_for(
        Anchor::TextExecAddress(0xfffffe001cd8c000),
        Some(text),
        Some(exec),
    )
    .unwrap();
    assert_eq!(
        slide_for(
            Anchor::LoadAddress(0xFFFFFE001CAD8000),
            Some(text),
            Some(exec)
        )
        .unwrap(),
        slide
    );
    for (addr, want) in truth("kdk-t8112-kernel.release.t8112") {
        let runtime = addr + slide;
        let l = sym.lookup(
            runtime_to_symbol(runtime, slide, 0xFFFFFE001CAD8000),
            AddrKind::Exact,
        );
        let names: Vec<_> = l
            .frames
            .iter()
            .map(|f| f.function.clone().unwrap())
            .collect();
        let want: Vec<_> = want.iter().map(|f| f.function.clone()).collect();
        assert_eq!(names, want, "{addr:#x}");
    }
}
