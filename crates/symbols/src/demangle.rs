//! Symbol names as people read them.
//!
//! llvm-symbolizer `--functions=linkage --demangle` prints the DWARF linkage name demangled;
//! we do the same with `cpp_demangle` for Itanium (`_Z…`) names, spelled as LLVM's demangler
//! (the one atos and lldb use) spells them: `A<B<int>>`, `'lambda'(int)`, `8u`,
//! `f() (.cold.1)`. The fixes and the LLVM spelling option this needs are carried as a patched
//! copy of cpp_demangle (vendor/cpp_demangle/PATCHES.md). Mach-O symbol tables prefix every
//! C-level name with `_`, so symbol-table names lose one underscore first. Names that are not
//! mangled (C functions, Swift, anything we cannot parse) are returned unchanged.

use std::borrow::Cow;

/// Demangle a DWARF name (no Mach-O underscore).
pub fn demangle(name: &str) -> Cow<'_, str> {
    if name.starts_with("_Z") {
        if let Some(d) = demangle_itanium(name) {
            return Cow::Owned(d);
        }
    }
    Cow::Borrowed(name)
}

/// Demangle a Mach-O symbol-table name: strip the leading `_` the C compiler added, then
/// demangle.
pub fn demangle_symbol(name: &str) -> Cow<'_, str> {
    match name.strip_prefix('_') {
        Some(rest) => demangle(rest),
        None => Cow::Borrowed(name),
    }
}

fn demangle_itanium(name: &str) -> Option<String> {
    let sym = cpp_demangle::Symbol::new(name).ok()?;
    sym.demangle_with_options(&cpp_demangle::DemangleOptions::new().llvm_style())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itanium_and_plain() {
        // Expected strings are llvm-symbolizer's (truth/*.json).
        assert_eq!(
            demangle("_ZN2fx2io16IOFixtureService6handleEl"),
            "fx::io::IOFixtureService::handle(long)"
        );
        assert_eq!(
            demangle("_ZN2fx2io16IOFixtureService4frobIlEET_S3_"),
            "long fx::io::IOFixtureService::frob<long>(long)"
        );
        assert_eq!(
            demangle("_ZZN2fx2io16IOFixtureService6handleElENK3$_0clEl"),
            "fx::io::IOFixtureService::handle(long)::$_0::operator()(long) const"
        );
        assert_eq!(demangle("kernel_bootstrap"), "kernel_bootstrap");
        assert_eq!(demangle("_Zgarbage"), "_Zgarbage");
        assert_eq!(demangle_symbol("__ZL8fx_innerl"), "fx_inner(long)");
        assert_eq!(demangle_symbol("_panic"), "panic");
        assert_eq!(
            demangle_symbol("__ZN2fx2io3runEv.cold.1"),
            "fx::io::run() (.cold.1)"
        );
        assert_eq!(demangle_symbol("ltmp0"), "ltmp0");
    }
}
