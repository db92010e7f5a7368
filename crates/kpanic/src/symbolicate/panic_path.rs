//! The trust check: does the panicked thread run through the panic path?

use serde::Serialize;

use crate::frame::Frame;

/// Does the panicked thread run through the panic path? When it does, the kernel symbols and
/// the mapping agree with what the log says happened: the symbolication can be trusted.
#[derive(Clone, Debug)]
pub struct PanicPathCheck {
    /// The outcome.
    pub result: PanicPathResult,
    /// The panic-path functions found, innermost first.
    pub matched: Vec<String>,
    /// False when the kernel has no symbols (none given, or of another build): then the
    /// check cannot be made, whatever else resolved.
    pub kernel_has_symbols: bool,
}

/// The outcome of the panic-path check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PanicPathResult {
    /// The panicked thread runs through the panic path.
    Passed,
    /// Resolved frames, none on the panic path: suspect the mapping or the symbols.
    Failed,
    /// Nothing to check (see [`PanicPathCheck::kernel_has_symbols`]).
    NotChecked,
}

impl PanicPathResult {
    /// The JSON name: `passed`, `failed`, `not_checked`.
    pub fn as_str(self) -> &'static str {
        match self {
            PanicPathResult::Passed => "passed",
            PanicPathResult::Failed => "failed",
            PanicPathResult::NotChecked => "not_checked",
        }
    }
}

/// Functions whose presence in the panicked thread shows it ran through the panic path.
const PANIC_PATH: &[&str] = &[
    "panic_trap_to_debugger",
    "panic_with_options",
    "panic_with_options_and_initiator",
    "panic",
    "panic_with_thread_context",
    "handle_debugger_trap",
    "DebuggerTrapWithState",
    "Debugger",
    "Assert",
    "kernel_trap",
    "trap_from_kernel",
    "panic_trap",
];

fn on_panic_path(function: &str) -> bool {
    let f = function.trim_start_matches('_');
    PANIC_PATH.contains(&f) || f.starts_with("sleh_") || f.starts_with("panic_")
}

pub(super) fn check_panic_path(frames: &[&Frame], kernel_has_symbols: bool) -> PanicPathCheck {
    let mut matched = Vec::new();
    let mut any_resolved = false;
    for f in frames {
        for s in f.symbol_frames() {
            any_resolved = true;
            if let Some(func) = &s.function {
                if on_panic_path(func) && !matched.contains(func) {
                    matched.push(func.clone());
                }
            }
        }
    }
    let result = if !matched.is_empty() {
        PanicPathResult::Passed
    } else if any_resolved && kernel_has_symbols {
        PanicPathResult::Failed
    } else {
        PanicPathResult::NotChecked
    };
    PanicPathCheck {
        result,
        matched,
        kernel_has_symbols,
    }
}
