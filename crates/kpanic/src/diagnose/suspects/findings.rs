//! The findings about the suspects: implicated third-party code (update or remove it), kexts
//! the message names, kexts on stalled threads, kexts in the backtrace only as context, Apple's
//! subsystem or reporter (named, never to remove), the process that triggered the path, known
//! kernel software loaded, recent kext events.

use super::blame::{thread_blame, ThreadBlame};
use super::{in_backtraces_by_design, SeenIn, Suspect, SuspectCategory, SuspectKind, SuspectRole};
use crate::diagnose::ids::SuspectId;
use crate::diagnose::{ClassFamily, Confidence, Ctx, Evidence, Finding, PanicClass};

/// A suspect rule: a finding for each suspect it applies to, or one about them all.
enum Rule {
    Each(fn(&Ctx, &Suspect, PanicClass) -> Option<Finding>),
    All(fn(&Ctx, &[Suspect], PanicClass) -> Option<Finding>),
}

/// The suspect rules, in the order their findings are emitted.
static RULES: &[Rule] = &[
    Rule::Each(implicated),
    Rule::Each(named),
    Rule::Each(in_threads),
    Rule::Each(context_in_backtrace),
    Rule::All(apple_kext),
    Rule::Each(panicked_process),
    Rule::All(known_loaded),
    Rule::Each(recent_event),
];

/// Findings about the suspects.
pub fn findings(ctx: &Ctx, suspects: &[Suspect], class: PanicClass) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in RULES {
        match rule {
            Rule::Each(rule) => out.extend(suspects.iter().filter_map(|s| rule(ctx, s, class))),
            Rule::All(rule) => out.extend(rule(ctx, suspects, class)),
        }
    }
    out
}

/// `Third-party kext` or `DriverKit extension`, to start a title.
fn what(s: &Suspect) -> &'static str {
    match s.kind {
        SuspectKind::Dext => "DriverKit extension",
        _ => "Third-party kext",
    }
}

/// The last part of a bundle id (`IOGPUFamily` of `com.apple.iokit.IOGPUFamily`).
fn short_name(bundle_id: &str) -> &str {
    bundle_id.rsplit('.').next().unwrap_or(bundle_id)
}

/// The log's "Kernel Extensions in backtrace" line of a kext.
fn backtrace_line(ctx: &Ctx, s: &Suspect) -> Option<Evidence> {
    ctx.report
        .kexts_in_backtrace
        .iter()
        .find(|k| k.kext.bundle_id == s.bundle_id)
        .map(|k| ctx.quote(k.kext.line, &s.bundle_id))
}

/// What the log shows of a suspect's code on the panicked thread, as facts.
fn ties_evidence(s: &Suspect) -> Vec<Evidence> {
    let mut ev = Vec::new();
    if s.was_seen_in(SeenIn::FaultingCode) {
        ev.push(Evidence::fact(
            "the faulting instruction (trap address / exception pc, or the frame the trap returned into) is in its code",
        ));
    }
    if s.was_seen_in(SeenIn::PanicCaller) {
        ev.push(Evidence::fact("the panic caller address is in its code"));
    }
    if s.was_seen_in(SeenIn::PanicMessage) {
        ev.push(Evidence::fact("the panic message names it"));
    }
    if s.backtrace_frames > 0 {
        ev.push(Evidence::fact(format!(
            "{} frame(s) of the panicked backtrace are inside it",
            s.backtrace_frames
        )));
    }
    if s.threads > 0 {
        ev.push(Evidence::fact(format!(
            "also in the stacks of {} thread(s)",
            s.threads
        )));
    }
    ev
}

/// Third-party code that faulted, called panic() or ran on the panicked thread.
fn implicated(ctx: &Ctx, s: &Suspect, _class: PanicClass) -> Option<Finding> {
    use SuspectRole::*;
    if !(s.is_third_party_culprit()
        && matches!(s.role, Faulted | CalledPanic | TopFrame | InBacktrace))
    {
        return None;
    }
    let (title, score) = match s.role {
        Faulted => (
            format!("{} faulted in its own code: {}", what(s), s.describe()),
            920,
        ),
        CalledPanic => (format!("{} called panic(): {}", what(s), s.describe()), 910),
        _ => (
            format!("{} in the panicked backtrace: {}", what(s), s.describe()),
            900,
        ),
    };
    let mut f = Finding::new(
        SuspectId::ThirdPartyKextInBacktrace,
        Confidence::High,
        score,
        title,
        format!(
            "Code of {} ran on the panicked thread. {}",
            s.bundle_id,
            s.category.note()
        ),
    );
    f.evidence.extend(backtrace_line(ctx, s));
    f.evidence.extend(ties_evidence(s));
    f.next_steps.push(format!(
        "Update {} to a version built for this macOS release, or remove it, and see whether the panic returns.",
        s.bundle_id
    ));
    f.next_steps.push(
        "Symbolicate its frames with the vendor's dSYM (kpanic symbolicate --symbols …) and send the result to the vendor.".into(),
    );
    Some(f)
}

/// Third-party code the panic message names.
fn named(ctx: &Ctx, s: &Suspect, _class: PanicClass) -> Option<Finding> {
    if !(s.is_third_party_culprit() && s.role == SuspectRole::Named) {
        return None;
    }
    let mut f = Finding::new(
        SuspectId::KextNamedInPanic,
        Confidence::High,
        880,
        format!("The panic message names {}: {}", what(s).to_ascii_lowercase(), s.describe()),
        format!(
            "The kernel put {} in the panic message: the failure was found in, or blamed on, its code. {}",
            s.bundle_id,
            s.category.note()
        ),
    );
    if let Some(p) = &ctx.report.panic {
        f.evidence.push(ctx.quote(p.line, &p.message));
    }
    f.evidence.extend(ties_evidence(s));
    f.next_steps.push(format!(
        "Update {} to a version built for this macOS release, or remove it, and see whether the panic returns.",
        s.bundle_id
    ));
    Some(f)
}

/// Full panics: a third-party kext on other threads' stacks. Where the system stalled those
/// threads are the cause; elsewhere they are context.
fn in_threads(_ctx: &Ctx, s: &Suspect, _class: PanicClass) -> Option<Finding> {
    let stalled = s.role == SuspectRole::StalledThreads;
    let context = s.role == SuspectRole::Context && !s.in_panicked_backtrace;
    if !(s.third_party && s.threads > 0 && (stalled || context)) {
        return None;
    }
    let f = Finding::new(
        SuspectId::ThirdPartyKextInThreads,
        if stalled {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        if stalled { 700 } else { 450 },
        format!(
            "Third-party kext in {} thread stack(s): {}",
            s.threads,
            s.describe()
        ),
        format!(
            "{} was on the kernel stack of {} thread(s) at the panic: it was busy or blocked. {}",
            s.bundle_id,
            s.threads,
            s.category.note()
        ),
    );
    Some(if stalled {
        f.step(format!(
            "Update or remove {} and see whether the stalls and the panic return.",
            s.bundle_id
        ))
    } else {
        f.step(format!(
            "Check that {} is current for this macOS release; it was not on the panicked thread.",
            s.bundle_id
        ))
    })
}

/// A third-party kext in the panicked backtrace that the backtrace does not implicate: a
/// Hackintosh hook there by design, or a bystander on the thread of a panic that only
/// reported.
fn context_in_backtrace(ctx: &Ctx, s: &Suspect, class: PanicClass) -> Option<Finding> {
    if !(s.third_party && s.role == SuspectRole::Context && s.in_panicked_backtrace) {
        return None;
    }
    let by_design = in_backtraces_by_design(&s.bundle_id, ctx.report);
    let (title, explanation) = if by_design {
        (
            format!("In the panicked backtrace by design, not as the fault: {}", s.describe()),
            format!(
                "{} patches or emulates Apple code (Lilu and its plugins hook kernel and kext functions, \
                 VirtualSMC/FakeSMC emulate the SMC), so its frames sit in backtraces whatever went wrong. \
                 The fault is not in its own code here: it is context, not the cause.",
                s.bundle_id
            ),
        )
    } else {
        (
            format!("On the thread that reported the panic, as a bystander: {}", s.describe()),
            format!(
                "In a panic of this kind ({}) the panicked thread only noticed the failure (a watchdog, \
                 a reset, hardware or firmware); {} being on it does not make it the cause.",
                crate::diagnose::catalogue::info(class).name,
                s.bundle_id
            ),
        )
    };
    let mut f = Finding::new(
        SuspectId::ContextKextInBacktrace,
        Confidence::Low,
        300,
        title,
        explanation,
    );
    f.evidence.extend(backtrace_line(ctx, s));
    f.evidence.extend(ties_evidence(s));
    Some(f)
}

/// Apple's kext where the panic happened: the subsystem whose code went wrong (first Apple
/// suspect), or, where the panicked thread only reported, the driver that called panic().
/// Named as such, never as something to remove.
fn apple_kext(ctx: &Ctx, suspects: &[Suspect], class: PanicClass) -> Option<Finding> {
    if let Some(s) = suspects
        .iter()
        .find(|s| !s.third_party && s.kind == SuspectKind::Kext && s.implicated())
    {
        let short = short_name(&s.bundle_id);
        let mut f = Finding::new(
            SuspectId::AppleKextInPanic,
            Confidence::Medium,
            390,
            if short == s.bundle_id {
                format!("In Apple's {short}: it {}", s.tie_phrase())
            } else {
                format!("In Apple's {short} ({}): it {}", s.bundle_id, s.tie_phrase())
            },
            format!(
                "The code that went wrong is in Apple's {short}, part of macOS: an Apple bug, or the \
                 hardware this Apple driver runs misbehaving. Apple's kexts ship with macOS; the fix comes \
                 from a macOS update or from Apple."
            ),
        );
        f.evidence.extend(backtrace_line(ctx, s));
        f.evidence.extend(ties_evidence(s));
        f.next_steps.push(
            "Keep macOS up to date; if the panic repeats on the latest release, report it to Apple (Feedback Assistant) with this log.".into(),
        );
        return Some(f);
    }
    let blame = thread_blame(ctx, class);
    if blame == ThreadBlame::Culprit {
        return None;
    }
    let k = ctx.caller_kext().filter(|k| !k.third_party)?;
    let mut f = Finding::new(
        SuspectId::AppleKextInPanic,
        Confidence::Medium,
        320,
        format!(
            "Reported by {}: the Apple code that called panic(), {}",
            k.bundle_id,
            if blame == ThreadBlame::Messenger {
                "the messenger, not the cause"
            } else {
                "where the damage was found, not where it was done"
            }
        ),
        if blame == ThreadBlame::Messenger {
            format!(
                "The panic was reported by {} (Apple's {}): it called panic() to report what it saw \
                 (hardware, firmware, a timeout, a button held); in a panic of this kind ({}) the \
                 code that reports is not the code that failed.",
                k.bundle_id,
                short_name(&k.bundle_id),
                crate::diagnose::catalogue::info(class).name
            )
        } else {
            format!(
                "The panic was reported by {} (Apple's {}): it called panic() when it found state that \
                 other code had damaged earlier; it is the witness of this panic ({}), not the culprit.",
                k.bundle_id,
                short_name(&k.bundle_id),
                crate::diagnose::catalogue::info(class).name
            )
        },
    );
    f.evidence.push(ctx.quote(k.line, &k.bundle_id));
    Some(f)
}

/// The process or dext whose call into the kernel went wrong: the trigger. Deliberate
/// triggers (test programs, exploits) have their own system finding.
fn panicked_process(_ctx: &Ctx, s: &Suspect, _class: PanicClass) -> Option<Finding> {
    if !s.was_seen_in(SeenIn::PanickedProcess)
        || s.kind == SuspectKind::Kext
        || super::deliberate_trigger(&s.bundle_id).is_some()
    {
        return None;
    }
    let dext = s.kind == SuspectKind::Dext;
    let (title, explanation) = if dext {
        (
            format!(
                "{} {} was the panicked process",
                if s.third_party {
                    "Third-party DriverKit extension"
                } else {
                    "Apple DriverKit extension"
                },
                s.describe()
            ),
            "A DriverKit extension is a user-space driver; the kernel code that failed ran on its thread, \
             serving a call it made (IOKit, networking, USB). It triggered the path; the failing code is the \
             kernel's or an Apple family's, unless the panic names the extension itself.",
        )
    } else {
        (
            format!("{} made the call into the kernel that went wrong", s.describe()),
            "The kernel code that failed ran on this process's thread, serving a system call or an IOKit \
             call it made. The process triggered the panic; the bug is in the kernel or driver code it \
             called, not in the process alone.",
        )
    };
    let confidence = if s.role == SuspectRole::Trigger {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    let mut f = Finding::new(
        SuspectId::PanickedProcess,
        confidence,
        360,
        title,
        explanation,
    )
    .evidence(Evidence::fact(format!(
        "panicked process: {}",
        s.describe()
    )));
    if dext && s.third_party {
        f.next_steps.push(format!(
            "Update {} or ask its vendor; note what it was doing (a driver upgrade, a capture on its interface) as the reproducer.",
            s.bundle_id
        ));
    } else if !dext {
        f.next_steps.push(
            "Note what the process was doing: it is the reproducer for whoever fixes the kernel or driver code."
                .into(),
        );
    }
    Some(f)
}

/// At most this many third-party kexts loaded are "few": each is then worth naming.
const FEW_LOADED: usize = 3;

/// Third-party kernel software loaded, not implicated: the known families (hypervisors,
/// filesystems, security, GPU…), and any kext when few are loaded or the system hung (a text
/// panic of a hang does not show what stalled, and the only third-party code loaded is the
/// first thing to try without). Hackintosh infrastructure is the Hackintosh finding's.
fn known_loaded(_ctx: &Ctx, suspects: &[Suspect], class: PanicClass) -> Option<Finding> {
    let loaded: Vec<&Suspect> = suspects
        .iter()
        .filter(|s| {
            s.third_party
                && s.role == SuspectRole::Loaded
                && s.category != SuspectCategory::Hackintosh
        })
        .collect();
    let any = loaded.len() <= FEW_LOADED || class.family() == ClassFamily::Watchdog;
    let shown: Vec<&Suspect> = loaded
        .into_iter()
        .filter(|s| any || s.known_as.is_some())
        .collect();
    if shown.is_empty() {
        return None;
    }
    let names: std::collections::BTreeSet<&str> = shown
        .iter()
        .map(|s| s.known_as.as_deref().unwrap_or(&s.bundle_id))
        .collect();
    let all_known = shown.iter().all(|s| s.known_as.is_some());
    let mut f = Finding::new(
        SuspectId::KnownKextsLoaded,
        Confidence::Low,
        250,
        format!(
            "{} loaded: {}",
            if all_known {
                "Known third-party kernel software"
            } else {
                "Third-party kernel software"
            },
            names.into_iter().collect::<Vec<_>>().join(", ")
        ),
        "Not implicated by this log (not in the panicked backtrace, not named), but third-party kernel code \
         is where panics and stalls most often come from; keep these in mind if the panic repeats.",
    );
    for s in &shown {
        f.evidence
            .push(Evidence::fact(format!("{} [{}]", s.describe(), s.category)));
    }
    f.next_steps.push(
        "Check that each is current for this macOS release; try without them if the panic repeats."
            .into(),
    );
    Some(f)
}

/// A kext started, loaded or unloaded within 120 s of the panic.
fn recent_event(ctx: &Ctx, s: &Suspect, _class: PanicClass) -> Option<Finding> {
    let age = s.event_seconds_before_panic?;
    let unloaded = s.was_seen_in(SeenIn::LastUnloaded);
    let verb = if unloaded {
        "unloaded"
    } else if s.was_seen_in(SeenIn::LastLoaded) {
        "loaded"
    } else {
        "started"
    };
    let mut f = Finding::new(
        SuspectId::RecentKextEvent,
        if s.third_party {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        if s.third_party { 600 } else { 200 },
        format!("{} was {verb} {age:.0} s before the panic", s.bundle_id),
        if unloaded {
            "A kext unloaded shortly before a panic can leave callbacks, timers or notifications pointing \
             into freed code."
        } else {
            "A kext that started shortly before the panic may be what changed; often harmless (autofs, \
             filesystems and USB drivers load on demand)."
        },
    );
    if let Some(e) = ctx
        .report
        .kext_events
        .iter()
        .find(|e| e.bundle_id == s.bundle_id)
    {
        f.evidence.push(ctx.quote(e.line, &s.bundle_id));
    }
    Some(f)
}
