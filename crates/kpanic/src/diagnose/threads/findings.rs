//! What the stackshot says about the panic: stalls in the VM or filesystems, lock chains,
//! Endpoint Security clients, and where the threads were; and, for text panics without a
//! stackshot, what the backtrace alone allows.

use super::{EsClient, LockOwner, ThreadReport, WaitCategory};
use crate::diagnose::ids::ThreadsId;
use crate::diagnose::{Confidence, Ctx, Evidence, Finding, PanicClass};

/// A stackshot rule: one finding or none, or one for each of the first kernel lock owners.
enum Rule {
    One(fn(&ThreadReport, PanicClass) -> Option<Finding>),
    EachLockOwner(fn(&LockOwner, PanicClass) -> Option<Finding>),
}

/// The stackshot rules, in the order their findings are emitted.
static RULES: &[Rule] = &[
    Rule::One(stall),
    Rule::EachLockOwner(lock_owner),
    Rule::One(endpoint_security_clients),
    Rule::One(summary),
];

/// Lock owners looked at: the first ones with the most waiters.
const MAX_LOCK_OWNERS: usize = 3;

/// Findings from the stackshot.
pub fn findings(t: &ThreadReport, class: PanicClass) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in RULES {
        match rule {
            Rule::One(rule) => out.extend(rule(t, class)),
            Rule::EachLockOwner(rule) => out.extend(
                t.lock_owners
                    .iter()
                    .filter(|o| o.kernel_lock)
                    .take(MAX_LOCK_OWNERS)
                    .filter_map(|o| rule(o, class)),
            ),
        }
    }
    out
}

/// Many threads blocked in the VM or in filesystems.
fn stall(t: &ThreadReport, class: PanicClass) -> Option<Finding> {
    let stall_class = class.is_stall();
    let in_sites = |category: WaitCategory| -> usize {
        t.wait_sites
            .iter()
            .filter(|s| s.category == category)
            .map(|s| s.threads)
            .sum()
    };
    let vm_kind: usize = t
        .wait_kinds
        .iter()
        .filter(|k| k.category == WaitCategory::Vm)
        .map(|k| k.threads)
        .sum();
    let vm = in_sites(WaitCategory::Vm).max(vm_kind);
    let fs = in_sites(WaitCategory::Filesystem);
    let big = |n: usize| n >= 10 || (t.waiting > 0 && n * 20 >= t.waiting && n >= 3);
    if !big(vm) && !big(fs) {
        return None;
    }
    let (what, n) = if vm >= fs {
        ("the VM", vm)
    } else {
        ("filesystems", fs)
    };
    let mut f = Finding::new(
        if stall_class {
            ThreadsId::SystemStall
        } else if vm >= fs {
            ThreadsId::VmStall
        } else {
            ThreadsId::FilesystemStall
        },
        if stall_class {
            Confidence::High
        } else {
            Confidence::Medium
        },
        if stall_class { 950 } else { 500 },
        format!(
            "{n} threads were blocked in {what}{}",
            if stall_class {
                ": the system stalled, and the stall — not the backtrace — is the cause to chase"
            } else {
                ""
            }
        ),
        format!(
            "Many threads waited in {what} at the time of the panic. {}",
            if vm >= fs {
                "Threads waiting for free pages or for the compressor mean memory could not be reclaimed fast enough (low memory, a full compressor, slow swap I/O)."
            } else {
                "Threads waiting in filesystem code mean I/O did not complete: a slow or failing disk, a hung network volume, or a filesystem/security kext holding a lock."
            }
        ),
    );
    for s in t
        .wait_sites
        .iter()
        .filter(|s| matches!(s.category, WaitCategory::Vm | WaitCategory::Filesystem))
        .take(5)
    {
        f.evidence.push(Evidence::fact(format!(
            "{} threads blocked in {} ({})",
            s.threads,
            s.site,
            s.processes.join(", ")
        )));
    }
    f.next_steps
        .push("Look at the memory section and at disk health/free space.".into());
    f.next_steps.push(
        "Find the thread the others wait for (lock owners below) and what it waits on.".into(),
    );
    Some(f)
}

/// A kernel lock many threads wait for, or whose owner is itself blocked.
fn lock_owner(o: &LockOwner, class: PanicClass) -> Option<Finding> {
    let stall_class = class.is_stall();
    let owner_blocked = o.owner_waiting();
    if o.waiters < 5 && !(owner_blocked && stall_class) {
        return None;
    }
    let owner = format!(
        "thread {} of {}",
        o.owner_tid,
        match (&o.owner_process, o.owner_pid) {
            (Some(n), Some(p)) => format!("{n} (pid {p})"),
            _ => "an unknown process".into(),
        }
    );
    let mut f = Finding::new(
        if owner_blocked {
            ThreadsId::BlockedLockOwner
        } else {
            ThreadsId::LockContention
        },
        if owner_blocked && stall_class {
            Confidence::High
        } else {
            Confidence::Medium
        },
        if stall_class { 920 } else { 480 } + (o.waiters as u32).min(50),
        format!(
            "{} thread(s) wait on {} held by {owner}{}",
            o.waiters,
            article(&o.lock_kind),
            if owner_blocked {
                format!(", itself blocked ({})", o.owner_state.join("|"))
            } else {
                String::new()
            }
        ),
        if owner_blocked {
            "The lock owner is itself waiting, so everything queued behind the lock is stuck with it: a \
             lock chain. Whatever the owner waits for (I/O, memory, another lock) is the root of the stall."
        } else {
            "Many threads queue on one lock held by one thread: the owner's progress gates them all."
        },
    );
    for w in &o.waiter_threads {
        f.evidence.push(Evidence::fact(format!("waiter: {w}")));
    }
    f.next_steps.push(format!(
        "Look at thread {}'s kernel stack (kpanic symbolicate --all-threads with --kdk) to see what it waits for.",
        o.owner_tid
    ));
    Some(f)
}

/// Third-party Endpoint Security clients.
fn endpoint_security_clients(t: &ThreadReport, class: PanicClass) -> Option<Finding> {
    let stall_class = class.is_stall();
    let third: Vec<&EsClient> = t
        .endpoint_security_clients
        .iter()
        .filter(|c| c.third_party)
        .collect();
    if third.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        ThreadsId::EndpointSecurityClients,
        Confidence::Medium,
        if stall_class { 760 } else { 350 },
        format!(
            "Third-party Endpoint Security clients were running: {}",
            third
                .iter()
                .map(|c| c.known_as.as_deref().unwrap_or(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "Endpoint Security clients must answer AUTH events (exec, open, mount…) before the kernel lets the \
         operation go on. A slow or stuck client blocks every process that touches those operations — a \
         known cause of system-wide stalls and watchdog panics.",
    );
    for c in &third {
        f.evidence
            .push(Evidence::fact(format!("{} (pid {})", c.name, c.pid)));
    }
    f.next_steps
        .push("Update the security product, or test with it disabled/uninstalled.".into());
    Some(f)
}

/// Where threads wait: always useful in a full panic.
fn summary(t: &ThreadReport, class: PanicClass) -> Option<Finding> {
    let stall_class = class.is_stall();
    let top = t.wait_sites.first()?;
    let mut f = Finding::new(
        ThreadsId::ThreadSummary,
        Confidence::High,
        if stall_class { 700 } else { 100 },
        format!(
            "{} threads in {} processes: {} waiting ({} uninterruptible), {} runnable; most wait in {} ({})",
            t.threads, t.processes, t.waiting, t.uninterruptible, t.runnable, top.site, top.threads
        ),
        "Where the threads of the stackshot were. Parked threads (continuations) are normal idle \
         workers; many threads in one uninterruptible wait are not.",
    );
    for s in t.wait_sites.iter().take(5) {
        f.evidence.push(Evidence::fact(format!(
            "{} threads in {}{}",
            s.threads,
            s.site,
            if s.uninterruptible > 0 {
                format!(" ({} uninterruptible)", s.uninterruptible)
            } else {
                String::new()
            }
        )));
    }
    if let Some(p) = &t.panicked {
        f.evidence.push(Evidence::fact(format!(
            "panicked {}: {}",
            p.describe(),
            p.state.join("|")
        )));
    }
    if let Some(b) = t.busiest_processes.first() {
        f.evidence.push(Evidence::fact(format!(
            "busiest process: {} (pid {}) {:.1} s CPU",
            b.name, b.pid, b.cpu_seconds
        )));
    }
    Some(f)
}

/// A rule for text panics (no stackshot): one finding or none.
type TextRule = fn(&Ctx, PanicClass) -> Option<Finding>;

/// The text-panic rules, in the order their findings are emitted.
static TEXT_RULES: &[TextRule] = &[endpoint_security_in_backtrace, stackshot_missing];

/// Thread-related findings that text panics allow (no stackshot).
pub fn text_findings(ctx: &Ctx, class: PanicClass) -> Vec<Finding> {
    TEXT_RULES
        .iter()
        .filter_map(|rule| rule(ctx, class))
        .collect()
}

/// EndpointSecurity.kext in the panicked backtrace.
fn endpoint_security_in_backtrace(ctx: &Ctx, _class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    let k = r
        .kexts_in_backtrace
        .iter()
        .find(|k| k.kext.bundle_id == "com.apple.iokit.EndpointSecurity")?;
    let proc_ = r
        .panicked_task
        .as_ref()
        .and_then(|t| t.name.clone())
        .unwrap_or_else(|| "?".into());
    Some(
        Finding::new(
            ThreadsId::EndpointSecurityInBacktrace,
            Confidence::Medium,
            650,
            format!("The panic went through Endpoint Security (in {proc_})"),
            "EndpointSecurity.kext was delivering an event to the Endpoint Security clients (security / EDR \
             / monitoring software, or Apple's own) when the kernel crashed. Third-party ES clients are the \
             usual trigger of crashes and stalls in this path.",
        )
        .evidence(ctx.quote(k.kext.line, "com.apple.iokit.EndpointSecurity"))
        .step("List the ES clients on the machine (`systemextensionsctl list`, security/EDR/monitoring tools) and test without them.")
        .step("Report to Apple with the panic if it happens with Apple's clients only."),
    )
}

/// Text watchdog panics: the stackshot that would show the stall is not in this file.
fn stackshot_missing(ctx: &Ctx, class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    if class != PanicClass::WatchdogdTimeout || r.spindump.is_some() {
        return None;
    }
    let mut f = Finding::new(
        ThreadsId::StackshotMissing,
        Confidence::High,
        650,
        "The thread stacks that would show the stall are not in this log",
        "A watchdog panic is diagnosed from the stackshot (every thread's state), which text panic logs \
         do not include. macOS writes it in the full panic report.",
    );
    if let Some(s) = &r.stackshot {
        f.evidence.push(Evidence::fact(s.raw.trim().to_string()));
    }
    f.next_steps.push(
        "Run `kpanic diagnose` on the full report: /Library/Logs/DiagnosticReports/panic-full-*.panic (or the .panic/.ips with processByPid).".into(),
    );
    Some(f)
}

/// `a krwlock`, `an unfair lock`.
fn article(kind: &str) -> String {
    let vowel = kind
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {kind}", if vowel { "an" } else { "a" })
}
