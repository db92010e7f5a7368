//! The rest of the kernel: code signing, stack overflows, filesystems, the clock, assertions,
//! and panics kpanic does not recognise.

use super::text::{base_name, clean_message, number_after, panic_source, source_at, value_after};
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

pub(super) const KERNEL_STACK_OVERFLOW: ClassInfo = ClassInfo {
    id: PanicClass::KernelStackOverflow,
    name: "kernel stack overflow",
    explanation: "A kernel thread overflowed its stack (deep recursion, big locals, deep filter chains), or \
        its stack pointer or stack memory was corrupted (the stack protector found its canary overwritten).",
    next_steps: &[
        "Look for repeating frames in the backtrace; filesystem and network filter kexts stack up deeply.",
        "A smashed canary (stack memory corruption) is a buffer overflow on the stack: the function in the backtrace that copies into a local buffer is the bug.",
    ],
};

pub(super) const FILESYSTEM_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::FilesystemPanic,
    name: "filesystem / VFS panic",
    explanation: "A filesystem (APFS, HFS+, NFS, SMB, FAT, or a third-party one: NTFS, FUSE) or the VFS layer \
        (vnodes, mounts, the buffer and name caches) found its state inconsistent: on-disk corruption the \
        filesystem refuses to go on with, or in-memory vnode/buffer bookkeeping broken by a filesystem kext \
        or by memory corruption.",
    next_steps: &[
        "Note which filesystem and volume: run First Aid (Disk Utility / fsck) on it; back up if it is the system disk.",
        "Third-party filesystems (NTFS drivers, macFUSE, network filesystems) mounted at the time are the first suspects for vnode-level panics.",
    ],
};

pub(super) const NON_MONOTONIC_TIME: ClassInfo = ClassInfo {
    id: PanicClass::NonMonotonicTime,
    name: "clock went backwards (non-monotonic time)",
    explanation: "The scheduler read mach_absolute_time and found it earlier than a time it had recorded before: \
        the timebase went backwards. On real Macs this points to a CPU/firmware timer problem; in virtual \
        machines and on Hackintoshes it comes from unsynchronised TSCs across cores, a hypervisor that does not \
        expose a stable invariant TSC, or CPU power-management patches.",
    next_steps: &[
        "In a VM: give it an invariant TSC (hypervisor setting), fewer vCPUs, and no host sleep while it runs.",
        "On a Hackintosh: fix TSC synchronisation (a TSC sync kext or firmware quirk) and CPU power-management settings.",
        "On a real Mac: update macOS and run Apple Diagnostics.",
    ],
};

pub(super) const INIT_PROCESS_EXITED: ClassInfo = ClassInfo {
    id: PanicClass::InitProcessExited,
    name: "launchd (or a critical process) exited",
    explanation: "launchd, the init process (pid 1), exited or could not start, or another process the system \
        cannot run without exited, and the kernel panicked on purpose: a system without it cannot go on. \
        The cause is in user space, not in the kernel: the exit reason's namespace and description say who \
        ended it (a crash signal, code signing, a failed exec of /sbin/launchd, a userspace reboot or panic \
        requested on purpose).",
    next_steps: &[
        "Read the exit reason: a signal is a launchd crash (look for its crash report), CODESIGNING or EXEC is a damaged or modified system volume, LIBXPC/launchd descriptions are usually a requested reboot or userspace panic.",
        "\"exec of /sbin/launchd failed\" at boot: the system volume is damaged or incomplete: reinstall macOS (or repair the Hackintosh's boot configuration).",
        "If it repeats after an update, boot into Safe Mode or Recovery and reinstall the OS.",
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

pub(super) fn kernel_assertion(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let m = clean_message(msg);
    let m = m.as_str();
    let file = assert_location(m).or_else(|| source_at(ctx.report));
    // A third-party kext that called panic() itself is the headline's first fact.
    let raiser = ctx
        .caller_kext()
        .filter(|k| k.third_party)
        .map(|k| format!(" raised by third-party kext {}", k.bundle_id));
    f.title = format!(
        "Kernel assertion{}{}: {}",
        raiser.unwrap_or_default(),
        file.map(|f| format!(" in {f}")).unwrap_or_default(),
        shorten(m, 100)
    );
}

/// The file:line of xnu's assert wordings: `vm_map.c:123 Assertion failed: …` (assert.h) or
/// `assertion failed: …, file: /…/classq_fq_codel.c, line: 1130` (bsd).
fn assert_location(m: &str) -> Option<String> {
    if let (Some(file), Some(line)) = (value_after(m, "file: "), number_after(m, "line: ")) {
        return Some(format!("{}:{line}", base_name(file.trim_end_matches(','))));
    }
    let (head, _) = m.split_once(" Assertion failed")?;
    let loc = head.rsplit(' ').next()?;
    loc.contains(':').then(|| base_name(loc).to_string())
}

pub(super) fn unrecognised(f: &mut Finding, msg: &str) {
    f.title = if msg.is_empty() {
        "No panic message in this log (fragment or cut log)".into()
    } else {
        format!("Unrecognised panic: {}", shorten(msg.trim(), 100))
    };
}

pub(super) fn stack_overflow(ctx: &Ctx, f: &mut Finding, msg: &str, proc_: Option<&str>) {
    let m = msg.trim().trim_matches('"');
    let corruption = m.contains("corruption");
    f.title = format!(
        "Kernel stack {}{}: {}",
        if corruption { "corruption" } else { "overflow" },
        proc_.map(|p| format!(" in {p}")).unwrap_or_default(),
        shorten(m.split(" at pc").next().unwrap_or(m), 90)
    );
    // x86: "kernel stack overflow; stack base: 0x…, stack top: 0x…, stack depth: 0x…, depth limit: 0x…".
    if let (Some(depth), Some(limit)) = (
        number_after(m, "stack depth: "),
        number_after(m, "depth limit: "),
    ) {
        f.evidence.push(Evidence::fact(format!(
            "stack depth {depth:#x} reached the limit {limit:#x}"
        )));
    }
    if let Some(sp) = ctx.report.register("sp") {
        f.evidence
            .push(Evidence::fact(format!("sp {sp:#018x} at the exception")));
    }
}

/// The filesystem a panic names: its kext or source file, else the VFS layer.
fn filesystem_name(ctx: &Ctx, lc: &str) -> &'static str {
    let loc = panic_source(ctx.report)
        .map(|(f, _)| f.to_ascii_lowercase())
        .unwrap_or_default();
    const NAMES: &[(&str, &str)] = &[
        ("apfs", "APFS"),
        ("hfs", "HFS+"),
        ("nfs", "NFS"),
        ("smbfs", "SMB"),
        ("msdosfs", "FAT (msdosfs)"),
        ("exfat", "exFAT"),
        ("ntfs", "NTFS"),
        ("fuse", "FUSE"),
    ];
    NAMES
        .iter()
        .find(|(k, _)| lc.contains(k) || loc.contains(k))
        .map(|(_, n)| *n)
        .unwrap_or("VFS")
}

pub(super) fn filesystem(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let m = clean_message(msg);
    let m = m.as_str();
    let fs = filesystem_name(ctx, &m.to_ascii_lowercase());
    if let Some(at) = source_at(ctx.report) {
        f.evidence.push(Evidence::fact(format!("raised in {at}")));
    }
    f.title = format!("Filesystem panic ({fs}): {}", shorten(m, 100));
}

/// `Non-monotonic time: invoke at 0x…, runnable at 0x…` (sched_prim.c, macOS 11+) or
/// `mach_absolute_time returning non-monotonically increasing value 0x… (old value 0x…)`
/// (i386 rtclock, earlier).
pub(super) fn non_monotonic(f: &mut Finding, msg: &str) {
    let m = msg.trim().trim_matches('"');
    let pair = [
        ("invoke at ", "runnable at "),
        ("dispatch at ", "runnable at "),
        ("last_dispatch at ", "ctime "),
        ("value ", "old value "),
    ]
    .iter()
    .find_map(|(now, before)| Some((number_after(m, now)?, number_after(m, before)?)));
    if let Some((now, before)) = pair.filter(|(now, before)| now < before) {
        f.evidence.push(Evidence::fact(format!(
            "the clock read {now:#x}, {} ticks before a time it had already recorded ({before:#x})",
            before - now
        )));
    }
    f.title = format!("The clock went backwards: {}", shorten(m, 100));
}

/// xnu's exit-reason namespaces (bsd/sys/reason.h, `OS_REASON_*`).
const REASON_NAMESPACES: &[(u32, &str)] = &[
    (1, "JETSAM"),
    (2, "SIGNAL"),
    (3, "CODESIGNING"),
    (4, "HANGTRACER"),
    (5, "TEST"),
    (6, "DYLD"),
    (7, "LIBXPC"),
    (8, "OBJC"),
    (9, "EXEC"),
    (10, "SPRINGBOARD"),
    (11, "TCC"),
    (12, "REPORTCRASH"),
    (13, "COREANIMATION"),
    (14, "AGGREGATED"),
    (15, "RUNNINGBOARD"),
    (16, "SKYWALK"),
    (17, "SETTINGS"),
    (18, "LIBSYSTEM"),
    (19, "FOUNDATION"),
    (20, "WATCHDOG"),
    (21, "METAL"),
    (22, "WATCHKIT"),
    (23, "GUARD"),
    (24, "ANALYTICS"),
    (25, "SANDBOX"),
    (26, "SECURITY"),
    (27, "ENDPOINTSECURITY"),
    (28, "PAC_EXCEPTION"),
    (29, "BLUETOOTH_CHIP"),
    (30, "PORT_SPACE"),
    (31, "WEBKIT"),
    (32, "BACKLIGHTSERVICES"),
    (33, "MEDIA"),
    (34, "ROSETTA"),
    (35, "LIBIGNITION"),
    (36, "BOOTMOUNT"),
];

/// `initproc exited -- exit reason namespace 7 subcode 0x1 description: …`,
/// `initproc failed to start -- …`, `launchd[1] exited -- no exit reason available -- (signal 6,
/// exit status 0 )` (bsd/kern/kern_exit.c) and `Process 1 exec of /sbin/launchd failed, errno 2`
/// (bsd/kern/kern_exec.c).
pub(super) fn init_process(f: &mut Finding, msg: &str) {
    let m = msg.trim().trim_matches('"');
    let lc = m.to_ascii_lowercase();
    let who = if lc.contains("exec of") {
        "launchd could not be started"
    } else if lc.contains("failed to start") {
        "launchd failed to start"
    } else if lc.contains("initproc") || lc.contains("launchd") {
        "launchd (pid 1) exited"
    } else {
        "a critical process exited"
    };
    let namespace = number_after(m, "namespace ").and_then(|n| u32::try_from(n).ok());
    let description = m
        .find("description: ")
        .map(|i| m[i + "description: ".len()..].trim())
        .filter(|d| !d.is_empty());
    let mut why = Vec::new();
    if let Some(n) = namespace {
        let name = REASON_NAMESPACES
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| *v)
            .unwrap_or("unknown");
        why.push(format!("exit reason namespace {n} (OS_REASON_{name})"));
        f.evidence.push(Evidence::fact(format!(
            "exit reason namespace {n} = OS_REASON_{name} (bsd/sys/reason.h): {}",
            match name {
                "SIGNAL" => "it was killed by a signal (a crash)",
                "CODESIGNING" => "code signing killed it (a damaged or modified system)",
                "EXEC" | "DYLD" => "it could not be loaded (a damaged or incomplete system volume)",
                "LIBXPC" => "launchd ended itself (a requested reboot/userspace panic, or an internal launchd failure)",
                "JETSAM" => "memory pressure killed it",
                "WATCHDOG" => "a watchdog killed it",
                _ => "the subsystem that ended it",
            }
        )));
    }
    if let Some(d) = description {
        why.push(shorten(d, 80));
    }
    if let Some(sig) = number_after(m, "(signal ") {
        why.push(format!("signal {sig}"));
    }
    if let Some(errno) = number_after(m, "errno ") {
        why.push(format!("errno {errno}"));
    }
    f.title = if why.is_empty() {
        format!("The kernel panicked because {who}")
    } else {
        format!("The kernel panicked because {who}: {}", why.join("; "))
    };
}
