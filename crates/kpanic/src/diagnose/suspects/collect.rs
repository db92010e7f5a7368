//! The suspects of a panic: every kext, dext and process the log ties to it, the role of each
//! (its strongest tie, read with what the panicked thread is to the cause) and the ranking.

use std::collections::BTreeMap;

use kpanic_report::{Arch, KextEventKind};

use super::blame::{process_triggers, thread_blame, threads_implicate, ThreadBlame};
use super::known::in_backtraces_by_design;
use super::names::{deliberate_trigger, is_dext_name};
use super::{is_third_party, ties, SeenIn, Suspect, SuspectCategory, SuspectKind, SuspectRole};
use crate::diagnose::threads::ThreadReport;
use crate::diagnose::{Ctx, PanicClass};

/// Seconds since boot of the panic and of a kext event, for "recent" checks.
fn event_age_seconds(ctx: &Ctx, at: u64) -> Option<f64> {
    let r = ctx.report;
    if r.arch == Some(Arch::X86_64) {
        // Intel: mach_absolute_time is nanoseconds; the log gives the uptime.
        let now = r.system.uptime_ns?;
        (now >= at).then(|| (now - at) as f64 / 1e9)
    } else {
        // Apple silicon and iOS: a 24 MHz timebase.
        let now = r.system.mach_absolute_time?.get();
        (now >= at).then(|| (now - at) as f64 / 24e6)
    }
}

/// A kext event this many seconds before the panic is "recent".
pub const RECENT_SECONDS: f64 = 120.0;

/// Ties no [`SeenIn`] records: the innermost kext frame, and a process the class makes a
/// trigger or a deliberate trigger.
struct Draft {
    s: Suspect,
    top_frame: bool,
    trigger: bool,
    deliberate: bool,
}

/// Every kext, dext and process worth suspecting in a `class` panic, most suspicious first.
pub fn collect(ctx: &Ctx, threads: Option<&ThreadReport>, class: PanicClass) -> Vec<Suspect> {
    let r = ctx.report;
    let blame = thread_blame(ctx, class);
    let mut map: BTreeMap<String, Draft> = BTreeMap::new();
    fn entry<'m>(
        map: &'m mut BTreeMap<String, Draft>,
        id: &str,
        kind: SuspectKind,
    ) -> &'m mut Draft {
        map.entry(id.to_string()).or_insert_with(|| Draft {
            s: Suspect::new(id, kind),
            top_frame: false,
            trigger: false,
            deliberate: false,
        })
    }
    fn sus(d: &mut Draft) -> &mut Suspect {
        &mut d.s
    }

    // Kernel Extensions in backtrace: kexts with frames in the panicked thread, and their deps.
    for k in &r.kexts_in_backtrace {
        let s = sus(entry(&mut map, &k.kext.bundle_id, SuspectKind::Kext));
        s.version = s.version.take().or(k.kext.version.clone());
        s.uuid = s.uuid.take().or(k.kext.uuid);
        s.in_panicked_backtrace = true;
        s.seen(SeenIn::KextsInBacktrace);
        for d in k
            .dependencies
            .iter()
            .filter(|d| is_third_party(&d.bundle_id))
        {
            let s = sus(entry(&mut map, &d.bundle_id, SuspectKind::Kext));
            s.version = s.version.take().or(d.version.clone());
            s.uuid = s.uuid.take().or(d.uuid);
            s.seen(SeenIn::Dependency);
        }
    }
    // Frames of the panicked backtrace per kext; the first one is the innermost kext frame.
    let mut innermost = true;
    for name in ties::backtrace_kexts(ctx).into_iter().flatten() {
        let d = entry(&mut map, &name, SuspectKind::Kext);
        d.top_frame |= std::mem::take(&mut innermost);
        let s = sus(d);
        s.backtrace_frames += 1;
        s.in_panicked_backtrace = true;
        s.seen(SeenIn::Backtrace);
    }
    for name in ties::faulting_code(ctx) {
        sus(entry(&mut map, &name, SuspectKind::Kext)).seen(SeenIn::FaultingCode);
    }
    if let Some(name) = ties::panic_caller(ctx) {
        sus(entry(&mut map, &name, SuspectKind::Kext)).seen(SeenIn::PanicCaller);
    }
    for n in ties::named_in_message(ctx) {
        let s = sus(entry(&mut map, &n.name, n.kind));
        if n.apple {
            s.third_party = false;
        }
        s.seen(SeenIn::PanicMessage);
    }
    // Full panics: kexts in other threads' stacks.
    for img in threads
        .map(|t| t.kext_images.as_slice())
        .unwrap_or_default()
    {
        if let Some(name) = &img.bundle_id {
            let s = sus(entry(&mut map, name, SuspectKind::Kext));
            s.threads = img.threads;
            s.uuid = s.uuid.take().or(img.uuid);
            s.seen(SeenIn::ThreadStacks);
        }
    }
    // A stall's common kext that the log never names (no bundle id for its UUID): it is still
    // a suspect, by its label (index, UUID, address). Unnamed images are counted where they
    // hold up a stall only: a full panic lists every kext of the kernelcache by UUID alone,
    // and those are not all suspects. Whose it is cannot be read; it is treated as third-party
    // so that the user identifies it.
    if threads_implicate(class) {
        let stall = threads
            .and_then(|t| t.stall.as_ref())
            .filter(|s| s.significant);
        for k in stall.map(|s| s.kexts.as_slice()).unwrap_or_default() {
            let common = k.threads * 3 >= stall.map_or(usize::MAX, |s| s.threads);
            if k.bundle_id.is_some() || !common {
                continue;
            }
            let s = sus(entry(&mut map, &k.label, SuspectKind::Kext));
            s.third_party = k.third_party.unwrap_or(true);
            s.threads = s.threads.max(k.threads);
            s.known_as = Some("an image the log names by UUID only".into());
            s.seen(SeenIn::ThreadStacks);
        }
    }
    // Last started / loaded / unloaded.
    for e in &r.kext_events {
        let age = e.at.and_then(|at| event_age_seconds(ctx, at));
        let recent = age.is_some_and(|a| a <= RECENT_SECONDS);
        if !(recent || is_third_party(&e.bundle_id) && map.contains_key(&e.bundle_id)) {
            continue;
        }
        let s = sus(entry(&mut map, &e.bundle_id, SuspectKind::Kext));
        s.version = s.version.take().or(e.version.clone());
        s.seen(match e.kind {
            KextEventKind::Started => SeenIn::LastStarted,
            KextEventKind::Loaded => SeenIn::LastLoaded,
            KextEventKind::Unloaded => SeenIn::LastUnloaded,
        });
        if recent {
            s.event_seconds_before_panic = age;
        }
    }
    // Loaded third-party kexts.
    if let Some(l) = &r.loaded_kexts {
        for k in l.third_party() {
            let s = sus(entry(&mut map, &k.bundle_id, SuspectKind::Kext));
            s.version = s.version.take().or(Some(k.version.clone()));
            s.seen(SeenIn::LoadedKexts);
        }
    }
    // The panicked process, where the class makes it a suspect.
    if let Some((name, pid)) = ties::panicked_process(ctx) {
        let dext = is_dext_name(&name);
        let deliberate = deliberate_trigger(&name).is_some();
        let trigger = blame != ThreadBlame::Messenger && (dext || deliberate)
            || process_triggers(class, blame, ties::from_user_space(ctx));
        if trigger || dext {
            let kind = if dext {
                SuspectKind::Dext
            } else {
                SuspectKind::Process
            };
            let d = entry(&mut map, &name, kind);
            d.trigger = trigger;
            d.deliberate = deliberate;
            let s = sus(d);
            s.kind = kind;
            s.pid = pid;
            s.seen(SeenIn::PanickedProcess);
        }
    }

    let mut out: Vec<Suspect> = map
        .into_values()
        .filter_map(|d| {
            let by_design = in_backtraces_by_design(&d.s.bundle_id, r);
            let mut s = d.s.clone();
            s.role = role(&s, &d, blame, class, by_design);
            keep(&s, blame).then(|| {
                s.score = score(&s, &d);
                s
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.bundle_id.cmp(&b.bundle_id)));
    out
}

/// The strongest tie of a suspect. The faulting code, the panic() call and the message
/// implicate whatever the class; frames on the panicked thread only where that thread went
/// wrong or found the damage, and never a Hackintosh hook whose frames are there by design;
/// other threads' stacks only where the system stalled.
fn role(
    s: &Suspect,
    d: &Draft,
    blame: ThreadBlame,
    class: PanicClass,
    by_design: bool,
) -> SuspectRole {
    let on_thread = s.in_panicked_backtrace || d.top_frame;
    if s.was_seen_in(SeenIn::FaultingCode) {
        SuspectRole::Faulted
    } else if s.was_seen_in(SeenIn::PanicCaller) {
        SuspectRole::CalledPanic
    } else if s.was_seen_in(SeenIn::PanicMessage) {
        SuspectRole::Named
    } else if on_thread && blame != ThreadBlame::Messenger && !by_design {
        if d.top_frame {
            SuspectRole::TopFrame
        } else {
            SuspectRole::InBacktrace
        }
    } else if s.threads > usize::from(on_thread) && threads_implicate(class) {
        // The panicked thread is in the stackshot too: it does not count as a stalled one.
        SuspectRole::StalledThreads
    } else if d.trigger {
        SuspectRole::Trigger
    } else if s.event_seconds_before_panic.is_some() {
        SuspectRole::RecentEvent
    } else if near_the_panic(s, d) || s.category == SuspectCategory::Hackintosh {
        // Hackintosh infrastructure merely loaded is context too: it is loaded on every
        // panic of the machine.
        SuspectRole::Context
    } else {
        SuspectRole::Loaded
    }
}

/// On the panicked thread, on other threads' stacks, a dependency of a kext in the backtrace,
/// or the panicked process: somewhere near the panic, implicated or not.
fn near_the_panic(s: &Suspect, d: &Draft) -> bool {
    s.in_panicked_backtrace
        || d.top_frame
        || s.threads > 0
        || s.was_seen_in(SeenIn::Dependency)
        || s.was_seen_in(SeenIn::PanickedProcess)
}

/// Third-party code and triggers stay on the list whatever their tie. Apple's kexts stay
/// where they are the subsystem of a panic whose thread went wrong, where the message names
/// them, or where they changed just before; on the thread of a watchdog, hardware or corruption
/// panic they are messengers and victims, named by the findings, not suspects.
fn keep(s: &Suspect, blame: ThreadBlame) -> bool {
    if s.third_party || s.kind == SuspectKind::Process {
        return true;
    }
    s.event_seconds_before_panic.is_some()
        || match s.role {
            SuspectRole::Named => true,
            SuspectRole::Faulted
            | SuspectRole::CalledPanic
            | SuspectRole::TopFrame
            | SuspectRole::InBacktrace => blame == ThreadBlame::Culprit,
            _ => false,
        }
}

/// The ranking: implicated third-party code, then Apple's implicated subsystem, then the
/// process that triggered the path, then third-party code that changed just before, then
/// third-party kexts there as context, then the ones merely loaded (hot-path categories
/// first, Hackintosh infrastructure last), then Apple kexts that changed just before. Within a
/// tier, the stronger tie and the more frames or threads first.
fn score(s: &Suspect, d: &Draft) -> u32 {
    let detail = (s.backtrace_frames as u32).min(20) + (s.threads as u32).min(50) / 5;
    let hot = if s.category.in_hot_paths() { 5 } else { 0 };
    let recent = if s.event_seconds_before_panic.is_some() {
        3
    } else {
        0
    };
    let unloaded = s.was_seen_in(SeenIn::LastUnloaded);
    match s.role {
        r if r.implicates() && s.third_party => 1000 + r.weight() + detail + hot + recent,
        r if r.implicates() => 600 + r.weight() + detail + recent,
        SuspectRole::Trigger => {
            500 + if d.deliberate { 30 } else { 0 }
                + if s.kind == SuspectKind::Dext { 20 } else { 0 }
        }
        SuspectRole::RecentEvent if s.third_party => 400 + if unloaded { 20 } else { 0 },
        SuspectRole::Context if s.third_party && near_the_panic(s, d) => 300 + detail,
        SuspectRole::Loaded | SuspectRole::Context if s.category == SuspectCategory::Hackintosh => {
            150
        }
        SuspectRole::Loaded if s.third_party => 200 + hot * 6,
        SuspectRole::RecentEvent => 50 + if unloaded { 10 } else { 0 },
        _ => 10,
    }
}
