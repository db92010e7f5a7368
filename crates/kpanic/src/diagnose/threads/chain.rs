//! The stall chain: in a watchdog or forced-reset panic, one finding that ties the blocked
//! threads to what they have in common (a kext on their stacks) and to the memory state —
//! "220 threads blocked in the VM → common frames in com.acme.fs → free memory exhausted".
//! Each link is said only when the stackshot shows it.

use super::stall::{StallKext, StallReport};
use super::ThreadReport;
use crate::diagnose::ids::ThreadsId;
use crate::diagnose::memory::{MemoryFlag, MemoryState, PageKind};
use crate::diagnose::{human_bytes, Confidence, Evidence, Finding, PanicClass};

/// Right after the panic class: in a stall panic the chain is the explanation.
const SCORE: u32 = 990;

/// The chain finding, in a stall panic whose stackshot shows a stall.
pub fn stall_chain(
    t: &ThreadReport,
    memory: Option<&MemoryState>,
    class: PanicClass,
) -> Option<Finding> {
    if !class.is_stall() {
        return None;
    }
    let s = t.stall.as_ref().filter(|s| s.significant)?;
    let mut links = vec![blocked_link(s)];
    let kext = common_kext(s);
    if let Some(k) = kext {
        links.push(format!(
            "common frames in {} ({} of them)",
            k.label, k.threads
        ));
    }
    let short = memory.and_then(memory_link);
    if let Some(m) = &short {
        links.push(m.clone());
    }
    let mut f = Finding::new(
        ThreadsId::StallChain,
        if links.len() >= 2 {
            Confidence::High
        } else {
            Confidence::Medium
        },
        SCORE,
        links.join(" → "),
        explanation(s, kext, short.is_some()),
    );
    f.evidence = evidence(s, kext, memory);
    f.next_steps = next_steps(kext, short.is_some());
    Some(f)
}

/// `240 threads blocked in the VM for up to 131 s (watchdog timeout 120 s)`.
fn blocked_link(s: &StallReport) -> String {
    let mut l = format!("{} threads blocked", s.threads);
    if s.in_vm * 2 >= s.threads {
        l.push_str(" in the VM");
    } else if s.in_vm > 0 {
        l.push_str(&format!(" ({} in the VM)", s.in_vm));
    }
    if let Some(w) = s.longest_wait_seconds {
        l.push_str(&format!(" for up to {w:.0} s"));
    }
    if let Some(t) = s.timeout_seconds {
        l.push_str(&format!(" (watchdog timeout {t} s)"));
    }
    l
}

/// The kext on the most stall stacks, when it is on a third of them at least: what they have
/// in common.
fn common_kext(s: &StallReport) -> Option<&StallKext> {
    s.kexts
        .first()
        .filter(|k| k.threads >= 3 && k.threads * 3 >= s.threads)
}

/// The memory link: free memory exhausted, the compressor full, or pressure.
fn memory_link(m: &MemoryState) -> Option<String> {
    if m.has(MemoryFlag::LowFreeMemory) {
        Some(format!(
            "free memory exhausted ({} pages free, under the {}-page reserve)",
            m.pages_of(PageKind::Free),
            m.free_reserve_pages.unwrap_or(0)
        ))
    } else if m.has(MemoryFlag::CompressorNearLimit) {
        Some("the VM compressor near its limit".into())
    } else if m.has(MemoryFlag::MemoryPressure) {
        Some("memory under pressure".into())
    } else {
        None
    }
}

fn explanation(s: &StallReport, kext: Option<&StallKext>, short: bool) -> String {
    let mut e = format!(
        "{} threads in {} processes were blocked uninterruptibly in the middle of kernel code \
         (TH_WAIT|TH_UNINT with their kernel stack, not parked idle): nothing can wake them but \
         the event they wait for, and while they wait, whatever they hold stays held. That is \
         the stall the watchdog saw; the panicked backtrace is only the watchdog's messenger.",
        s.threads, s.processes
    );
    if let Some(k) = kext {
        e.push_str(&format!(
            " {} of them run through {}: what they were doing there is where the stall comes \
             from{}.",
            k.threads,
            k.label,
            match k.third_party {
                Some(true) => ", and it is third-party code",
                Some(false) => "",
                None => " (nothing in this log names the image: identify it by its UUID)",
            }
        ));
    }
    if short {
        e.push_str(
            " Memory was short at the same time: threads that need a page wait for the pageout \
             daemon, which itself may wait for the blocked threads (a file system's pageout or \
             pagein path).",
        );
    }
    e
}

fn evidence(s: &StallReport, kext: Option<&StallKext>, m: Option<&MemoryState>) -> Vec<Evidence> {
    let mut ev = vec![Evidence::fact(format!(
        "{} of the {} uninterruptible threads with a kernel stack are in the stall, from {} \
         processes: {}",
        s.threads,
        s.uninterruptible_with_stack,
        s.processes,
        s.top_processes.join(", ")
    ))];
    if !s.wait_types.is_empty() {
        let mut types: Vec<String> = s
            .wait_types
            .iter()
            .map(|w| format!("{} ({}) {}", w.wait_type.describe(), w.wait_type, w.threads))
            .collect();
        if s.without_wait_type > 0 {
            types.push(format!("no wait type recorded {}", s.without_wait_type));
        }
        ev.push(Evidence::fact(format!("wait types: {}", types.join(", "))));
    }
    for e in s.shared_events.iter().take(3) {
        ev.push(Evidence::fact(format!(
            "{} threads wait on the same event {}{} ({})",
            e.threads,
            e.label,
            e.wait_type
                .map(|w| format!(" [{}]", w.describe()))
                .unwrap_or_default(),
            e.processes.join(", ")
        )));
    }
    if let Some(longest) = s.longest_wait_seconds {
        let mut l = format!(
            "not run for up to {longest:.1} s (median {:.1} s; the stackshot's lastRunTime)",
            s.median_wait_seconds.unwrap_or(longest)
        );
        if let (Some(t), Some(n)) = (s.timeout_seconds, s.waited_past_timeout) {
            l.push_str(&format!(
                "; {n} of them for at least the {t} s watchdog timeout"
            ));
        }
        ev.push(Evidence::fact(l));
    }
    for k in s.kexts.iter().take(3) {
        let frames: Vec<String> = k
            .common_frames
            .iter()
            .map(|c| format!("{} on {}", c.label, c.threads))
            .collect();
        ev.push(Evidence::fact(format!(
            "{} on {} stall stacks{}; common frames {}",
            k.label,
            k.threads,
            match k.third_party {
                Some(true) => " (third-party)",
                Some(false) => " (Apple)",
                None => " (not named in this log)",
            },
            frames.join(", ")
        )));
    }
    if kext.is_none() && !s.kexts.is_empty() {
        ev.push(Evidence::fact(
            "no kext is on a third of the stall stacks: the blocked threads have no kext in common",
        ));
    }
    if let Some(m) = m {
        if let Some(free) = m.pages.get(&PageKind::Free) {
            ev.push(Evidence::fact(format!(
                "free {free} pages ({}), VM reserve {} pages{}",
                human_bytes(m.bytes.get(&PageKind::Free).copied().unwrap_or(0)),
                m.free_reserve_pages.unwrap_or(0),
                m.free_target_pages
                    .map(|t| format!(", free target {t} pages"))
                    .unwrap_or_default()
            )));
        }
        // Who held the memory, in one line: the memory findings give the rest.
        ev.extend(m.users_evidence().into_iter().take(1));
    }
    ev
}

fn next_steps(kext: Option<&StallKext>, short: bool) -> Vec<String> {
    let mut steps = Vec::new();
    if let Some(k) = kext {
        match (&k.bundle_id, k.third_party) {
            (Some(b), Some(true)) => steps.push(format!(
                "Update or remove {b}, and send this report to its vendor with its frames \
                 symbolicated (kpanic symbolicate --all-threads --symbols <its dSYM>)."
            )),
            (Some(b), _) => steps.push(format!(
                "Symbolicate the stall threads (kpanic symbolicate --all-threads --kdk …) to see \
                 what {b} waits for."
            )),
            (None, _) => steps.push(format!(
                "Identify {}: match its UUID against the kexts of the machine (`kmutil \
                 showloaded`, a KDK, or the vendor kexts' dSYMs with --symbols); if it is a \
                 third party's, update or remove it.",
                k.label
            )),
        }
    }
    if short {
        steps.push(
            "Find what took the memory (the largest resident processes above) and whether the \
             blocked threads hold what the pageout path needs."
                .into(),
        );
    }
    steps.push(
        "Find the thread the others wait for: the owners of the shared events (lock owners) and \
         what they themselves wait on."
            .into(),
    );
    steps
}
