//! A second, independent trust check for Intel panics: with `keepsyms=1` the kernel printed its
//! own symbol for each backtrace frame (`mach_kernel : _panic + 0x63`). When kpanic resolves the
//! same frame, both must name the same function; a disagreement means wrong symbols or a wrong
//! mapping, whatever the panic-path check says.

use kpanic_common::RuntimeAddr;
use kpanic_report::KeepsymsSymbol;

use crate::frame::Frame;

/// The outcome of comparing kpanic's answers with the log's own `keepsyms` symbols.
#[derive(Clone, Debug)]
pub struct KeepsymsCheck {
    /// Frames that carry a `keepsyms` symbol and that kpanic resolved.
    pub compared: usize,
    /// Of those, the ones naming the same function.
    pub agreed: usize,
    /// The others.
    pub disagreed: Vec<KeepsymsDisagreement>,
}

/// A frame where kpanic and the kernel name different functions.
#[derive(Clone, Debug)]
pub struct KeepsymsDisagreement {
    /// The frame's address.
    pub address: Option<RuntimeAddr>,
    /// As the log prints it (`_panic`, `__ZN…`).
    pub log: String,
    /// The function kpanic found (the outermost, owning function).
    pub kpanic: String,
}

/// Compares each resolved backtrace frame with its `keepsyms` symbol; `None` when no frame has
/// one (every arm64 log, and Intel logs without `keepsyms=1`).
pub(super) fn check_keepsyms(
    frames: &[Frame],
    log: &[Option<&KeepsymsSymbol>],
) -> Option<KeepsymsCheck> {
    let mut check = KeepsymsCheck {
        compared: 0,
        agreed: 0,
        disagreed: Vec::new(),
    };
    let mut any = false;
    for (f, sym) in frames.iter().zip(log) {
        let Some(sym) = sym else { continue };
        any = true;
        let Some(ours) = f.function() else { continue };
        check.compared += 1;
        if same_function(&sym.symbol, ours) {
            check.agreed += 1;
        } else {
            check.disagreed.push(KeepsymsDisagreement {
                address: f.address,
                log: sym.symbol.clone(),
                kpanic: ours.to_string(),
            });
        }
    }
    any.then_some(check)
}

/// The log prints Mach-O symbol-table names (a leading `_`, C++ mangled, compiler suffixes such as
/// `.cold.1`); kpanic prints demangled names with parameters. Compare what both say for sure: the
/// qualified name before the parameter list.
fn same_function(log: &str, ours: &str) -> bool {
    let log = log.split('.').next().unwrap_or(log);
    let log = kpanic_symbols::demangle_symbol(log);
    base(&log) == base(ours)
}

fn base(name: &str) -> &str {
    name.split('(').next().unwrap_or(name).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_across_mangling_and_suffixes() {
        assert!(same_function("_panic", "panic"));
        assert!(same_function(
            "__ZN18IOTimerEventSource15timeoutSignaledEPvS0_",
            "IOTimerEventSource::timeoutSignaled(void*, void*)"
        ));
        assert!(same_function(
            "__ZN16IONVMeController14CommandTimeoutEP16AppleNVMeRequest.cold.1",
            "IONVMeController::CommandTimeout(AppleNVMeRequest*)"
        ));
        assert!(!same_function("_panic", "panic_trap_to_debugger"));
        assert!(!same_function("_vm_fault", "vm_fault_enter"));
    }
}
