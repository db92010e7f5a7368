//! Locks and preemption: blocking with a spinlock held, spinlock timeouts, interrupts or
//! preemption disabled too long, and locks used wrongly.

use super::text::first_number_after;
use super::ClassInfo;
use crate::diagnose::suspects::Suspect;
use crate::diagnose::Finding;
use crate::diagnose::PanicClass;

pub(super) const BLOCKING_WITH_SPINLOCK: ClassInfo = ClassInfo {
    id: PanicClass::BlockingWithSpinlock,
    name: "blocking while holding a spinlock",
    explanation: "A thread tried to block (sleep, take a mutex, wait) while preemption was disabled — holding a \
        spinlock or running in interrupt context. The code that blocked is in the backtrace above the scheduler \
        frames; when a third-party kext is there, it is the prime suspect.",
    next_steps: &[
        "Find the frame that called into the scheduler (thread_block / lck_mtx_lock / IOLockLock) and the spinlock it held.",
        "Without a third-party kext in the backtrace, symbolicate it (--kdk) to find the blocking call and its caller.",
    ],
};

pub(super) const SPINLOCK_TIMEOUT: ClassInfo = ClassInfo {
    id: PanicClass::SpinlockTimeout,
    name: "spinlock timeout",
    explanation: "A CPU spun on a spinlock for too long: the owner never released it (it is stuck, or the lock is \
        corrupt). The message usually names the lock and its owner thread/CPU; the owner's CPU state shows where \
        it was stuck.",
    next_steps: &[
        "Find the owner CPU in the CORE lines and symbolicate its PC.",
        "A lock value that is not a thread pointer means the lock memory was corrupted or freed.",
    ],
};

pub(super) const INTERRUPTS_DISABLED_TOO_LONG: ClassInfo = ClassInfo {
    id: PanicClass::InterruptsDisabledTooLong,
    name: "interrupts or preemption disabled too long",
    explanation:
        "A CPU ran too long with interrupts or preemption disabled (an interrupt handler or a \
        spinlock-protected loop that did not end), and the kernel's timeout check panicked.",
    next_steps: &["Symbolicate the backtrace: the long-running handler or loop is the cause."],
};

pub(super) const LOCK_MISUSE: ClassInfo = ClassInfo {
    id: PanicClass::LockMisuse,
    name: "lock misuse",
    explanation: "A lock was used incorrectly (unlocked by a non-owner, destroyed while held, corrupted lock \
        word): a bug in the code that owns the lock, or the lock's memory was freed.",
    next_steps: &["Symbolicate the backtrace: the caller of the lock operation is the bug."],
};

pub(super) fn blocking_with_spinlock(f: &mut Finding, msg: &str, top_suspect: Option<&Suspect>) {
    let lvl = first_number_after(msg, "preemption_level");
    f.title = match (lvl, top_suspect) {
        (_, Some(s)) => format!(
            "Blocked while holding a spinlock{} — third-party {} is in the backtrace",
            lvl.map(|l| format!(" (preemption level {l})"))
                .unwrap_or_default(),
            s.bundle_id
        ),
        (Some(l), None) => {
            format!("Blocked while holding a spinlock (preemption level {l})")
        }
        (None, None) => "Blocked while holding a spinlock".into(),
    };
}
