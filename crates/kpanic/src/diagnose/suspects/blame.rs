//! What the panicked thread is to the cause, class by class: the one that went wrong, one that
//! found damage done earlier, or one that only reported. The rules go by class family, so a
//! class added to a family falls in its bucket without a change here.

use super::super::{ClassFamily, Ctx, PanicClass};

/// What the panicked thread (its kexts, its process) is to the cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadBlame {
    /// It went wrong itself: a fault in its code, a failed assertion, a lock misused. The kexts
    /// on it are implicated, Apple's included (as the subsystem), and a user process that
    /// called into the kernel triggered it.
    Culprit,
    /// It found damage done earlier by someone else (a freed element modified, a corrupt list,
    /// a lock held too long by another thread). Third-party kexts on it still deserve a look;
    /// Apple's code and the process are victims.
    Witness,
    /// It only reported: a watchdog, a forced reset, sleep/wake, a coprocessor, a hardware
    /// error. Its kexts and its process are bystanders; the kext that called panic() is named
    /// as the reporter.
    Messenger,
}

/// Words of panic messages that report damage found after the fact (xnu's "element modified
/// after free", "Bad tailq elm", "Invalid waitq", "trying to interlock destroyed mutex", AMFI's
/// "inconsistency between …").
static DAMAGE_WORDS: &[&str] = &[
    "corrupt",
    "modified after free",
    "was modified",
    "invalid",
    "bad tailq",
    "bad link",
    "linkage",
    "destroyed",
    "inconsisten",
    "smashed",
];

/// Words of GPU panics that report the hardware or its firmware (AppleMuxControl's "GPU Panic:",
/// NVRM "Read Error", hangs and restarts), not a broken invariant of the driver's own code.
static GPU_HARDWARE_WORDS: &[&str] = &[
    "gpu panic",
    "read error",
    "hang",
    "restart",
    "not responding",
    "timed out",
    "timeout",
    "firmware",
];

/// What the panicked thread is to the cause of a `class` panic.
pub fn thread_blame(ctx: &Ctx, class: PanicClass) -> ThreadBlame {
    let msg = ctx.message_lc();
    let damage = DAMAGE_WORDS.iter().any(|w| msg.contains(w));
    match class.family() {
        ClassFamily::Watchdog | ClassFamily::Coprocessor => ThreadBlame::Messenger,
        ClassFamily::Hardware if class == PanicClass::GpuPanic && gpu_driver_assertion(ctx) => {
            ThreadBlame::Culprit
        }
        ClassFamily::Hardware => ThreadBlame::Messenger,
        ClassFamily::Zone => ThreadBlame::Witness,
        ClassFamily::Lock if class == PanicClass::SpinlockTimeout || damage => ThreadBlame::Witness,
        ClassFamily::Fault | ClassFamily::Intel | ClassFamily::Lock => ThreadBlame::Culprit,
        // A corrupt wait queue, message or list is found by whoever walks it next.
        ClassFamily::DataStructure => ThreadBlame::Witness,
        // Memory ran out for everyone: the thread that asked last only reports it. And the
        // VM's sanity checks (a page in the wrong state, a pmap or compressor inconsistency)
        // catch state another path left wrong.
        ClassFamily::Vm
            if matches!(
                class,
                PanicClass::OutOfMemory
                    | PanicClass::KmemAllocFailure
                    | PanicClass::VmPageStatePanic
                    | PanicClass::PmapPanic
                    | PanicClass::CompressorCorruption
            ) =>
        {
            ThreadBlame::Witness
        }
        ClassFamily::Other | ClassFamily::Vm if damage => ThreadBlame::Witness,
        ClassFamily::Other | ClassFamily::Vm => ThreadBlame::Culprit,
    }
}

/// A GPU panic raised by the driver's own check (a message with a source location that does
/// not report the hardware): the driver is the subsystem to suspect, not only the reporter.
fn gpu_driver_assertion(ctx: &Ctx) -> bool {
    let msg = ctx.message_lc();
    let located = ctx
        .report
        .panic
        .as_ref()
        .is_some_and(|p| p.location.is_some());
    located && !GPU_HARDWARE_WORDS.iter().any(|w| msg.contains(w))
}

/// The stacks of other threads matter: the system stopped making progress, and the threads
/// it waited on are the cause.
pub fn threads_implicate(class: PanicClass) -> bool {
    class.family() == ClassFamily::Watchdog
}

/// An ordinary user process (not a test program, not a dext) is a suspect where its own call
/// reached the code that went wrong: the panicked thread came from user space (a system call,
/// an IOKit call; `from_user`) and went wrong itself. Never in watchdog, reset, hardware,
/// coprocessor, GPU or sleep/wake panics, nor where the thread only found damage done earlier:
/// there the process is a bystander (`kernel_task`, `WindowServer`, `launchd`…). Without
/// evidence of the user-space entry (an Intel backtrace without symbols) the process is not
/// named: a name that only says whose thread it was would be blamed alone.
pub fn process_triggers(class: PanicClass, blame: ThreadBlame, from_user: bool) -> bool {
    blame == ThreadBlame::Culprit && class.family() != ClassFamily::Hardware && from_user
}
