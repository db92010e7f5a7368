//! Locks and preemption: blocking with a spinlock held, spinlock timeouts, interrupts or
//! preemption disabled too long, destroyed mutexes, and locks used wrongly.

use super::text::{first_number_after, number_after, pointer_after, source_at, value_after};
use super::ClassInfo;
use crate::diagnose::suspects::Suspect;
use crate::diagnose::PanicClass;
use crate::diagnose::{shorten, Ctx, Evidence, Finding};

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
    explanation: "A lock assertion failed: a mutex, rw-lock or spinlock was unlocked by a thread that does \
        not own it, found owned when it must not be (or not owned when it must), taken the wrong way, or its \
        lock word holds garbage. A bug in the code that owns the lock, or the memory holding the lock was \
        corrupted or freed.",
    next_steps: &[
        "Symbolicate the backtrace: the caller of the lock operation is the bug.",
        "An owner value that is not a thread pointer means the lock's memory was overwritten: treat it as memory corruption.",
    ],
};

pub(super) const DESTROYED_MUTEX: ClassInfo = ClassInfo {
    id: PanicClass::DestroyedMutex,
    name: "mutex used after it was destroyed",
    explanation: "Code took or released a lck_mtx whose lock word carries the 'destroyed' tag: lck_mtx_destroy() \
        had already run on it, which happens when the object that embeds the lock is torn down or freed. The \
        thread that used it holds a stale pointer to that object: a lifetime (use-after-free) bug.",
    next_steps: &[
        "Symbolicate the backtrace: the function taking the lock, and the object it belongs to, point to the stale reference.",
        "If the same Mac logs other memory-corruption panics, test its RAM (Apple Diagnostics).",
    ],
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

/// `Spinlock[0x…] timeout after 12345 ticks; current owner: 0x… (on cpu 3), …` (xnu 8792+)
/// or `Spinlock acquisition timed out: lock=0x…, lock owner thread=0x…, current_thread: 0x…,
/// lock owner active on CPU 0x3, …` (before).
pub(super) fn spinlock_timeout(f: &mut Finding, msg: &str) {
    // "waitq(0x…) lock timeout after …": the lock of a wait queue.
    let waitq = msg
        .strip_prefix("waitq(")
        .and_then(|r| r.split(')').next())
        .map(|a| ("Wait queue lock".to_string(), a.to_string()));
    let lock = waitq.or_else(|| {
        msg.split_once('[')
            .and_then(|(kind, rest)| {
                let addr = rest.split(']').next()?;
                Some((kind.trim().to_string(), addr.to_string()))
            })
            .filter(|(_, a)| a.starts_with("0x"))
            .or_else(|| value_after(msg, "lock=").map(|a| ("Spinlock".to_string(), a.to_string())))
    });
    let owner = pointer_after(msg, "current owner:")
        .or_else(|| pointer_after(msg, "lock owner thread="))
        .or_else(|| pointer_after(msg, "spinlock owner:"));
    let cpu = number_after(msg, "on cpu ")
        .or_else(|| number_after(msg, "on CPU "))
        .or_else(|| number_after(msg, "active on CPU "));
    if let Some(t) = number_after(msg, "timeout after ") {
        f.evidence
            .push(Evidence::fact(format!("spun for {t} timebase ticks")));
    }
    if let Some(o) = &owner {
        f.evidence.push(Evidence::fact(format!(
            "owner {o}{}: that thread held the lock and never released it (find it in the CORE lines / threads)",
            cpu.map(|c| format!(" on CPU {c}")).unwrap_or_default()
        )));
    }
    f.title = match lock {
        Some((kind, addr)) => format!(
            "{} {addr} was held too long{}",
            if kind.is_empty() {
                "Spinlock"
            } else {
                kind.as_str()
            },
            owner
                .map(|o| format!(
                    " (owner {o}{})",
                    cpu.map(|c| format!(" on CPU {c}")).unwrap_or_default()
                ))
                .unwrap_or_default()
        ),
        None => format!("Spinlock timeout: {}", shorten(msg.trim(), 100)),
    };
}

/// `Interrupts held disabled for 123456789 nanoseconds`, `Processing of an interrupt (type =
/// 1, handler address = 0x…, vector = 0x…) took 123 nanoseconds …`, `preemption disable
/// timeout exceeded: …`, `Interrupt watchdog, cpu: 2 interrupt: 0x… …`.
pub(super) fn interrupts_disabled(f: &mut Finding, msg: &str) {
    let ns = number_after(msg, "disabled for ").or_else(|| number_after(msg, " took "));
    if let Some(h) = value_after(msg, "handler address = ") {
        f.evidence.push(Evidence::fact(format!(
            "interrupt handler {h}: symbolicate it, it is the code that ran too long"
        )));
    }
    f.title = match ns {
        Some(n) => format!(
            "{} for {:.1} ms",
            if msg.contains("Processing of an interrupt") {
                "An interrupt handler ran"
            } else if msg.contains("Stackshot") {
                "A stackshot kept interrupts disabled"
            } else {
                "Interrupts were held disabled"
            },
            n as f64 / 1e6
        ),
        None => format!(
            "Interrupts or preemption disabled too long: {}",
            shorten(msg.trim(), 100)
        ),
    };
}

/// `Mutex 0x… is unexpectedly owned by thread 0x…`, `trying to interlock destroyed mutex
/// (0x…)`, `Invalid/destroyed mutex 0x…: <…>`, `lck_mtx_unlock(): Attempt to release lock not
/// owned by thread (0x…)`.
pub(super) fn lock_misuse(ctx: &Ctx, f: &mut Finding, id: PanicClass, msg: &str) {
    let m = msg.trim().trim_matches('"');
    let lock = pointer_after(m, "mutex (")
        .or_else(|| pointer_after(m, "Mutex "))
        .or_else(|| pointer_after(m, "mutex "))
        .or_else(|| pointer_after(m, "lock "))
        .or_else(|| pointer_after(m, "("));
    let owner = pointer_after(m, "by thread ");
    let location = source_at(ctx.report);
    if let Some(l) = &location {
        f.evidence.push(Evidence::fact(format!("checked in {l}")));
    }
    if id == PanicClass::DestroyedMutex {
        f.evidence.push(Evidence::fact(
            "the lock word carries the destroyed tag (LCK_MTX_TAG_DESTROYED): lck_mtx_destroy() had run on this mutex",
        ));
        f.title = format!(
            "Mutex {}used after it was destroyed: the object holding it was freed or torn down",
            lock.map(|l| format!("{l} ")).unwrap_or_default()
        );
        return;
    }
    if let (Some(l), Some(o)) = (&lock, &owner) {
        let unexpected = if m.contains("not owned") {
            "is unexpectedly not owned by"
        } else {
            "is unexpectedly owned by"
        };
        f.title = format!(
            "Lock misuse: mutex {l} {unexpected} thread {o}{}",
            location.map(|l| format!(" ({l})")).unwrap_or_default()
        );
        return;
    }
    f.title = format!("Lock misuse: {}", shorten(m, 100));
}
