//! The trust check: does the panicked thread run through the panic path?

use serde::Serialize;

use crate::frame::Frame;

/// Does the panicked thread run through the panic path? When it does, the kernel symbols and
/// the mapping agree with what the log says happened: the symbolication can be trusted.
#[derive(Clone, Debug, Serialize)]
pub struct PanicPathCheck {
    /// `passed`, `failed` (resolved frames, none on the panic path: suspect the mapping or the
    /// symbols), or `not_checked` (no resolved kernel frame).
    pub result: String,
    /// The panic-path functions found, innermost first.
    pub matched: Vec<String>,
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

pub(super) fn check_panic_path(frames: &[&Frame]) -> PanicPathCheck {
    let mut matched = Vec::new();
    let mut any_resolved = false;
    for f in frames {
        for s in &f.symbols {
            any_resolved = true;
            if let Some(func) = &s.function {
                if on_panic_path(func) && !matched.contains(func) {
                    matched.push(func.clone());
                }
            }
        }
    }
    let result = if !matched.is_empty() {
        "passed"
    } else if any_resolved {
        "failed"
    } else {
        "not_checked"
    };
    PanicPathCheck {
        result: result.into(),
        matched,
    }
}
