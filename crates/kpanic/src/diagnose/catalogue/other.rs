//! The rest of the kernel: code signing, the VM and pmap layers, stack overflows, the
//! compressor, assertions, and panics kpanic does not recognise.

use super::ClassInfo;
use crate::diagnose::PanicClass;
use crate::diagnose::{shorten, Ctx, Evidence, Finding};

pub(super) const CODESIGNING_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::CodesigningPanic,
    name: "code signing / AMFI panic",
    explanation: "AppleMobileFileIntegrity (code signing, entitlements, trust cache) found an inconsistency it \
        treats as fatal. Patched AMFI, sideloading tools, jailbreaks and research VMs are the usual trigger.",
    next_steps: &[
        "Check for kernel or AMFI patches, sideloaded apps, or modified boot (research VM, jailbreak).",
        "On a stock system, report to Apple with the app that was launching.",
    ],
};

pub(super) const VM_MAP_FAILURE: ClassInfo = ClassInfo {
    id: PanicClass::VmMapFailure,
    name: "VM map failure",
    explanation: "The virtual-memory system found a map operation failing where it must not (vm_map_delete, \
        vm_map_enter…): a corrupted map entry, or a task manipulating its own mappings in a way the kernel \
        did not expect (debuggers, instrumentation like Frida, JIT).",
    next_steps: &[
        "Look at the panicked process and what it does with memory (instrumentation, remapping, code injection).",
        "The return code in the message (2 = KERN_INVALID_ADDRESS…) says what failed.",
    ],
};

pub(super) const PMAP_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::PmapPanic,
    name: "pmap / page-table panic",
    explanation: "The physical map layer (pmap, PPL/SPTM on Apple silicon) found an inconsistent page table or \
        mapping: memory corruption or a hardware error.",
    next_steps: &[
        "Read the message for the physical page and the mapping; repeated on different pages means hardware.",
    ],
};

pub(super) const KERNEL_STACK_OVERFLOW: ClassInfo = ClassInfo {
    id: PanicClass::KernelStackOverflow,
    name: "kernel stack overflow",
    explanation: "A kernel thread overflowed its stack (deep recursion, big locals, deep filter chains).",
    next_steps: &[
        "Look for repeating frames in the backtrace; filesystem and network filter kexts stack up deeply.",
    ],
};

pub(super) const COMPRESSOR_EXHAUSTED: ClassInfo = ClassInfo {
    id: PanicClass::CompressorExhausted,
    name: "VM compressor / swap exhausted",
    explanation: "The VM compressor or swap ran out of room: the system was out of memory with no way to page \
        out.",
    next_steps: &[
        "Find the process that used the memory (memory footprint, leaks); free disk space for swap.",
    ],
};

pub(super) const KERNEL_ASSERTION: ClassInfo = ClassInfo {
    id: PanicClass::KernelAssertion,
    name: "kernel assertion",
    explanation: "Kernel or driver code found an invariant broken and called panic() on purpose; the message and \
        the source file:line say which check failed. The code that broke the invariant is usually a caller in \
        the backtrace.",
    next_steps: &[
        "Read the assertion message and file:line; symbolicate the backtrace to see who called with the bad state.",
        "If the path comes from user space (IOKit user client, system call), the calling process triggered it: note it for a reproducer.",
    ],
};

pub(super) const UNKNOWN: ClassInfo = ClassInfo {
    id: PanicClass::Unknown,
    name: "unrecognised panic",
    explanation: "kpanic does not know this panic message. The evidence below is what the log says; the rest of \
        the diagnosis (suspects, memory, threads) still applies.",
    next_steps: &[
        "Symbolicate the backtrace (kpanic symbolicate --kdk …) and read the panic message in the xnu/driver source.",
    ],
};

/// ` in WeChat (pid 123)`, or nothing when the log names no process.
fn in_process(proc_: Option<&str>) -> String {
    proc_.map(|p| format!(" in {p}")).unwrap_or_default()
}

pub(super) fn codesigning(f: &mut Finding, msg: &str, proc_: Option<&str>) {
    f.title = format!(
        "Code-signing (AMFI) panic{}: {}",
        in_process(proc_),
        shorten(msg.trim_matches('"'), 90)
    );
}

pub(super) fn vm_map(f: &mut Finding, msg: &str, proc_: Option<&str>) {
    f.title = format!(
        "VM map failure{}: {}",
        in_process(proc_),
        shorten(msg.trim(), 100)
    );
    if let Some(code) = msg
        .rsplit("failed unexpected with ")
        .next()
        .filter(|_| msg.contains("failed unexpected with"))
        .and_then(|s| s.split_whitespace().next())
    {
        let name = match code {
            "1" => "KERN_INVALID_ADDRESS (1)",
            "2" => "KERN_PROTECTION_FAILURE (2)",
            "3" => "KERN_NO_SPACE (3)",
            "4" => "KERN_INVALID_ARGUMENT (4)",
            _ => code,
        };
        f.evidence
            .push(Evidence::fact(format!("return code {name}")));
    }
}

pub(super) fn kernel_assertion(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let file = ctx
        .report
        .panic
        .as_ref()
        .and_then(|p| p.location.as_ref())
        .map(|l| {
            let base = l.file.rsplit('/').next().unwrap_or(&l.file).to_string();
            match l.line {
                Some(n) => format!("{base}:{n}"),
                None => base,
            }
        });
    f.title = format!(
        "Kernel assertion{}: {}",
        file.map(|f| format!(" in {f}")).unwrap_or_default(),
        shorten(msg.trim().trim_matches('"'), 100)
    );
}

pub(super) fn unrecognised(f: &mut Finding, msg: &str) {
    f.title = if msg.is_empty() {
        "No panic message in this log (fragment or cut log)".into()
    } else {
        format!("Unrecognised panic: {}", shorten(msg.trim(), 100))
    };
}
