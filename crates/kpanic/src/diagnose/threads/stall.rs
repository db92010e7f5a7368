//! The stall, without symbols: threads blocked uninterruptibly (TH_WAIT|TH_UNINT) that kept
//! their kernel stack — not parked on a continuation, as idle workers are — grouped by the
//! event they wait on, with their wait types, how long they have not run, and the kexts on
//! their stacks.
//!
//! Every full panic has a few dozen such threads: kernel_task's own daemons and worker pools,
//! asleep on their events until there is work, some for hours. A kernel thread counts in the
//! stall only when it waits for something held — in the VM (a busy page, the compressor, a
//! pager) or on a kernel lock — as an idle pool never does. Threads of other processes always
//! count: a process's thread blocked uninterruptibly inside the kernel waits for I/O, memory or
//! a lock, not for work (idle user threads wait interruptibly, or parked).
//!
//! How long: a stackshot thread's `lastRunTime` is the seconds since it last ran, counted back
//! from the stackshot — in the corpus's full panics the runnable threads have about 0.04 s and
//! the largest values equal the panic's `mach_absolute_time` in seconds (threads that never ran
//! since boot).

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{ImageKind, Spindump, StackFrame, Thread};
use serde::Serialize;

use super::blocking::first_waiting_frame;
use super::categories::{self, WaitCategory};
use super::images::{KextImage, Namer};
use super::wait_types::WaitType;
use super::{all_threads, has_state, kernel_stack, SymThreads, ThreadState};

/// A stall is worth a finding from this many threads on.
pub const MIN_STALL_THREADS: usize = 10;
/// A thread that ran less than this long ago is busy, not stalled (lock contention between
/// threads that keep running is not a stall).
pub const MIN_STALL_SECONDS: f64 = 1.0;
/// Shared wait events and kexts listed, most threads first.
const MAX_LISTED: usize = 10;
/// Common frames listed per kext.
const MAX_COMMON_FRAMES: usize = 3;

/// The threads taken for the stall, and what they have in common.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct StallReport {
    /// Threads in TH_WAIT|TH_UNINT with a kernel stack and no continuation, baseline included.
    pub uninterruptible_with_stack: usize,
    /// Of those, the stall: every one outside kernel_task, and kernel_task's that wait in the
    /// VM or on a kernel lock.
    pub threads: usize,
    /// Processes with a thread in the stall.
    pub processes: usize,
    /// `name (pid): count`, most threads first (up to 10).
    pub top_processes: Vec<String>,
    /// Stall threads blocked in the VM: by their wait type, or (with symbols) the function
    /// they wait in.
    pub in_vm: usize,
    /// Stall threads by wait type, most first; threads whose `waitInfo` names none are not
    /// counted here.
    pub wait_types: Vec<WaitTypeCount>,
    /// Stall threads without a wait type (no `waitInfo`, or one naming no type).
    pub without_wait_type: usize,
    /// Wait events shared by two or more stall threads, most threads first (up to 10).
    pub shared_events: Vec<SharedEvent>,
    /// The longest time a stall thread had not run, in seconds (`lastRunTime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_wait_seconds: Option<f64>,
    /// The median of the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_wait_seconds: Option<f64>,
    /// The watchdog's timeout, from the panic message (`… in N seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Stall threads that had not run for at least the timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waited_past_timeout: Option<usize>,
    /// Kexts (any kernel-side image but the kernel) on the stall threads' stacks, most threads
    /// first (up to 10).
    pub kexts: Vec<StallKext>,
    /// At least [`MIN_STALL_THREADS`] threads that had not run for [`MIN_STALL_SECONDS`] (or
    /// whose stackshot does not say).
    pub significant: bool,
}

/// Threads of one wait type.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WaitTypeCount {
    /// The wait type.
    pub wait_type: WaitType,
    /// Number of stall threads.
    pub threads: usize,
}

/// A wait event several stall threads sleep on.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SharedEvent {
    /// `[image, offset]` as the stackshot writes it.
    pub event: [u64; 2],
    /// `kernel+0x…` (a kernel global), or the address (`A` images: heap objects).
    pub label: String,
    /// Number of stall threads on it.
    pub threads: usize,
    /// The commonest wait type of those threads, when they have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_type: Option<WaitType>,
    /// `name (pid): count`, most threads first (up to 5).
    pub processes: Vec<String>,
}

/// A kext on the stall threads' stacks.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct StallKext {
    /// Index in `binaryImages` (its identity is in `kext_images`).
    pub index: u64,
    /// The bundle id, else `image #N [UUID] at 0x…`.
    pub label: String,
    /// Bundle id, when something names the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// Not an Apple kext; absent when nothing names the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party: Option<bool>,
    /// Stall threads with a frame in it.
    pub threads: usize,
    /// Its frames shared by most of those threads, most first (up to 3).
    pub common_frames: Vec<CommonFrame>,
}

/// A frame many stall threads have.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct CommonFrame {
    /// `[image, offset]`.
    pub frame: [u64; 2],
    /// Offset in the image, in hex.
    pub label: String,
    /// Stall threads with this frame.
    pub threads: usize,
}

/// What the stall is found from.
pub(super) struct Input<'a> {
    pub sd: &'a Spindump,
    pub sym_threads: &'a SymThreads<'a>,
    pub blocking: &'a [StackFrame],
    pub kext_images: &'a [KextImage],
    pub namer: &'a Namer<'a>,
    pub timeout_seconds: Option<u64>,
}

/// One blocked thread, as the stall needs it.
struct Blocked<'a> {
    pid: i64,
    process: &'a str,
    event: Option<StackFrame>,
    wait_type: Option<WaitType>,
    in_vm: bool,
    last_run: Option<f64>,
    stack: Vec<StackFrame>,
}

/// The stall, when there are blocked threads outside the baseline.
pub(super) fn find(input: &Input) -> Option<StallReport> {
    let sd = input.sd;
    let blocked: Vec<Blocked> = all_threads(sd)
        .filter(|(_, t)| is_blocked(sd, t))
        .map(|(p, t)| {
            let wait_type = t.wait_info.as_deref().and_then(WaitType::from_wait_info);
            let function = input
                .sym_threads
                .get(&(p.pid, t.id))
                .and_then(|st| first_waiting_frame(st))
                .and_then(|f| f.function());
            let in_vm = wait_type.is_some_and(|w| w.category() == WaitCategory::Vm)
                || function.is_some_and(|f| categories::of_function(f) == WaitCategory::Vm);
            Blocked {
                pid: p.pid,
                process: &p.name,
                event: t.wait_event,
                wait_type,
                in_vm,
                last_run: t.last_run_time.filter(|s| s.is_finite() && *s >= 0.0),
                stack: kernel_stack(sd, t),
            }
        })
        .collect();
    let stall: Vec<&Blocked> = blocked
        .iter()
        .filter(|b| b.pid != 0 || b.in_vm || b.wait_type.is_some_and(is_kernel_lock))
        .collect();
    if stall.is_empty() {
        return None;
    }

    let waits: Vec<f64> = stall.iter().filter_map(|b| b.last_run).collect();
    Some(StallReport {
        uninterruptible_with_stack: blocked.len(),
        threads: stall.len(),
        processes: count_by(stall.iter().map(|b| (b.process, b.pid))).len(),
        top_processes: by_process(stall.iter().copied(), MAX_LISTED),
        in_vm: stall.iter().filter(|b| b.in_vm).count(),
        wait_types: wait_types(&stall),
        without_wait_type: stall.iter().filter(|b| b.wait_type.is_none()).count(),
        shared_events: shared_events(input, &stall),
        longest_wait_seconds: waits.iter().copied().reduce(f64::max).map(round_s),
        median_wait_seconds: median(&waits).map(round_s),
        timeout_seconds: input.timeout_seconds,
        waited_past_timeout: input
            .timeout_seconds
            .map(|t| waits.iter().filter(|w| **w >= t as f64).count()),
        kexts: kexts(input, &stall),
        significant: stall
            .iter()
            .filter(|b| b.last_run.is_none_or(|s| s >= MIN_STALL_SECONDS))
            .count()
            >= MIN_STALL_THREADS,
    })
}

/// Uninterruptible, with a kernel stack and no continuation: blocked in the middle of kernel
/// code, not parked.
fn is_blocked(sd: &Spindump, t: &Thread) -> bool {
    has_state(t, ThreadState::Wait)
        && has_state(t, ThreadState::Unint)
        && t.continuation.is_none()
        && !kernel_stack(sd, t).is_empty()
}

/// A kernel mutex or rwlock: held by a thread, never an idle wait.
fn is_kernel_lock(w: WaitType) -> bool {
    matches!(
        w,
        WaitType::KernelMutex
            | WaitType::KernelRwLockRead
            | WaitType::KernelRwLockWrite
            | WaitType::KernelRwLockUpgrade
    )
}

fn key(f: &StackFrame) -> (u64, u64) {
    (f.image, f.offset.get())
}

/// Threads per `(name, pid)`.
fn count_by<'a>(it: impl Iterator<Item = (&'a str, i64)>) -> BTreeMap<(&'a str, i64), usize> {
    let mut m = BTreeMap::new();
    for k in it {
        *m.entry(k).or_default() += 1;
    }
    m
}

/// `name (pid): count`, most first.
fn by_process<'a>(threads: impl Iterator<Item = &'a Blocked<'a>>, max: usize) -> Vec<String> {
    let mut v: Vec<((&str, i64), usize)> = count_by(threads.map(|b| (b.process, b.pid)))
        .into_iter()
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0 .1.cmp(&b.0 .1)));
    v.into_iter()
        .take(max)
        .map(|((n, pid), c)| format!("{n} ({pid}): {c}"))
        .collect()
}

fn wait_types(stall: &[&Blocked]) -> Vec<WaitTypeCount> {
    let mut m: BTreeMap<WaitType, usize> = BTreeMap::new();
    for w in stall.iter().filter_map(|b| b.wait_type) {
        *m.entry(w).or_default() += 1;
    }
    let mut v: Vec<WaitTypeCount> = m
        .into_iter()
        .map(|(wait_type, threads)| WaitTypeCount { wait_type, threads })
        .collect();
    v.sort_by(|a, b| {
        b.threads
            .cmp(&a.threads)
            .then(a.wait_type.cmp(&b.wait_type))
    });
    v
}

fn shared_events(input: &Input, stall: &[&Blocked]) -> Vec<SharedEvent> {
    let mut groups: BTreeMap<(u64, u64), Vec<&Blocked>> = BTreeMap::new();
    for b in stall {
        if let Some(e) = b.event {
            groups.entry(key(&e)).or_default().push(b);
        }
    }
    let mut v: Vec<SharedEvent> = groups
        .into_iter()
        .filter(|(_, g)| g.len() >= 2)
        .map(|((image, offset), g)| {
            let frame = StackFrame::from((image, offset));
            let absolute = input
                .sd
                .image(&frame)
                .is_none_or(|i| i.kind == ImageKind::Absolute);
            let mut types: BTreeMap<WaitType, usize> = BTreeMap::new();
            for w in g.iter().filter_map(|b| b.wait_type) {
                *types.entry(w).or_default() += 1;
            }
            SharedEvent {
                event: [image, offset],
                label: if absolute {
                    format!("{offset:#x}")
                } else {
                    input.namer.frame(&frame)
                },
                threads: g.len(),
                wait_type: types
                    .into_iter()
                    .max_by_key(|(w, n)| (*n, std::cmp::Reverse(*w)))
                    .map(|(w, _)| w),
                processes: by_process(g.iter().copied(), 5),
            }
        })
        .collect();
    v.sort_by(|a, b| b.threads.cmp(&a.threads).then(a.event.cmp(&b.event)));
    v.truncate(MAX_LISTED);
    v
}

fn kexts(input: &Input, stall: &[&Blocked]) -> Vec<StallKext> {
    let by_index: HashMap<u64, &KextImage> =
        input.kext_images.iter().map(|k| (k.index, k)).collect();
    let mut threads: BTreeMap<u64, usize> = BTreeMap::new();
    let mut frames: HashMap<u64, BTreeMap<u64, usize>> = HashMap::new();
    for b in stall {
        let mut seen_images: Vec<u64> = Vec::new();
        let mut seen_frames: Vec<(u64, u64)> = Vec::new();
        for f in b
            .stack
            .iter()
            .filter(|f| by_index.contains_key(&f.image) && !input.blocking.contains(f))
        {
            seen_images.push(f.image);
            seen_frames.push(key(f));
        }
        seen_images.sort_unstable();
        seen_images.dedup();
        seen_frames.sort_unstable();
        seen_frames.dedup();
        for i in seen_images {
            *threads.entry(i).or_default() += 1;
        }
        for (i, o) in seen_frames {
            *frames.entry(i).or_default().entry(o).or_default() += 1;
        }
    }
    let mut v: Vec<StallKext> = threads
        .into_iter()
        .map(|(index, n)| {
            let k = by_index[&index];
            let mut common: Vec<(u64, usize)> = frames
                .remove(&index)
                .unwrap_or_default()
                .into_iter()
                .collect();
            common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            StallKext {
                index,
                label: k.label.clone(),
                bundle_id: k.bundle_id.clone(),
                third_party: k.third_party,
                threads: n,
                common_frames: common
                    .into_iter()
                    .take(MAX_COMMON_FRAMES)
                    .map(|(offset, threads)| CommonFrame {
                        frame: [index, offset],
                        label: format!("+{offset:#x}"),
                        threads,
                    })
                    .collect(),
            }
        })
        .collect();
    v.sort_by(|a, b| b.threads.cmp(&a.threads).then(a.index.cmp(&b.index)));
    v.truncate(MAX_LISTED);
    v
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Seconds to the tenth.
fn round_s(s: f64) -> f64 {
    (s * 10.0).round() / 10.0
}

/// `N` of `… in N seconds` in a watchdog message (watchdogd's and the userspace watchdog's).
pub(super) fn timeout_seconds(message_lc: &str) -> Option<u64> {
    if !message_lc.contains("watchdog") {
        return None;
    }
    let mut words = message_lc.split_whitespace().peekable();
    while let Some(w) = words.next() {
        if w == "in" {
            if let Some(n) = words.peek().and_then(|n| n.parse::<u64>().ok()) {
                words.next();
                if words.peek().is_some_and(|u| u.starts_with("second")) {
                    return Some(n);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_of_the_watchdog_messages() {
        // arm64-text-watchdog-macos26-exclaves-01.txt, arm64-text-watchdog-01.txt,
        // x86-text-userspace-watchdog-sequoia-ABRIDGED-01.txt.
        assert_eq!(
            timeout_seconds(
                "watchdog timeout: no checkins from watchdogd in 94 seconds (1536 total checkins since monitoring last enabled)"
            ),
            Some(94)
        );
        assert_eq!(
            timeout_seconds(
                "watchdog timeout: no checkins from watchdogd in 305 seconds (511 totalcheckins since monitoring last enabled), shutdown in progress"
            ),
            Some(305)
        );
        assert_eq!(
            timeout_seconds(
                "userspace watchdog timeout: no successful checkins from windowserver (2 induced crashes) in 120 seconds"
            ),
            Some(120)
        );
        assert_eq!(timeout_seconds("btn_rst"), None);
        assert_eq!(timeout_seconds("watchdog fired in 3 places"), None);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
