//! Full panics: every thread's state, where the waiting ones wait, who holds the locks they wait
//! for, which processes were busy, which kexts were on the stacks, and Endpoint Security
//! clients.
//!
//! Where a thread waits = the first kernel frame after the scheduler's blocking frames. With
//! symbols, those are skipped by name ([`BLOCKING_FUNCTIONS`]); without, the frames shared by
//! most waiting threads at the top of their stacks (thread_invoke, thread_block_reason) are
//! found by counting and skipped, and the site is the `[image, offset]` of the next frame.
//! Parked threads have no frames, only a continuation: their site is the continuation.
//!
//! - `states`: thread counts by state.
//! - `blocking`: the scheduler's blocking frames, by name and by counting.
//! - `wait_sites`: waiting threads grouped by where they wait.
//! - `wait_info`: the kinds of wait the `waitInfo` texts name.
//! - `wait_types`: xnu's wait types (`block_hint_t`), decoded from those texts.
//! - `stall`: threads blocked uninterruptibly with their stack, their shared wait events, how
//!   long they waited and the kexts on their stacks.
//! - `chain`: the finding that ties a stall to its kext and to memory.
//! - `locks`: the threads other threads wait for.
//! - `categories`: what a wait is about (VM, filesystem, lock, IPC…).
//! - `running`: runnable threads and the panicked thread.
//! - `busiest`: processes by CPU time.
//! - `images`: image names and the kexts on the stacks.
//! - `endpoint_security`: Endpoint Security clients.
//! - `findings`: what all this says about the panic.

mod blocking;
mod busiest;
mod categories;
mod chain;
mod endpoint_security;
mod findings;
mod images;
mod locks;
mod running;
mod stall;
mod states;
mod wait_info;
mod wait_sites;
mod wait_types;

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{ImageKind, Process, Spindump, StackFrame, Thread};
use serde::Serialize;

use super::Ctx;
use crate::symbolicate::ThreadFrames;

pub use blocking::BLOCKING_FUNCTIONS;
pub use busiest::ProcessCpu;
pub use categories::WaitCategory;
pub use chain::stall_chain;
pub use endpoint_security::EsClient;
pub use findings::{findings, text_findings};
pub use images::{KextImage, NameSource};
pub use locks::LockOwner;
pub use running::ThreadRef;
pub use stall::{
    CommonFrame, SharedEvent, StallKext, StallReport, WaitTypeCount, MIN_STALL_SECONDS,
    MIN_STALL_THREADS,
};
pub use states::ThreadState;
pub use wait_info::{wait_kind, WaitKind};
pub use wait_sites::SiteSource;
pub use wait_sites::WaitSite;
pub use wait_types::WaitType;

/// What a full panic's stackshot says about its threads.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct ThreadReport {
    /// Number of processes in the stackshot.
    pub processes: usize,
    /// Number of threads in the stackshot.
    pub threads: usize,
    /// Thread counts by state set (`TH_WAIT|TH_UNINT`, `TH_RUN`, `TH_RUN|TH_IDLE`…).
    pub by_state: BTreeMap<String, usize>,
    /// Threads with TH_WAIT.
    pub waiting: usize,
    /// Threads with TH_UNINT (uninterruptible waits).
    pub uninterruptible: usize,
    /// Threads with TH_RUN but not TH_IDLE: on a core or runnable.
    pub runnable: usize,
    /// Idle threads (TH_IDLE).
    pub idle: usize,
    /// Threads that have `kernelFrames`.
    pub with_kernel_frames: usize,
    /// Threads that have a `continuation`.
    pub with_continuation: usize,
    /// The panicked thread (by the text's `tid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panicked: Option<ThreadRef>,
    /// Up to 20 runnable (TH_RUN, not idle) threads, busiest first.
    pub running: Vec<ThreadRef>,
    /// Where waiting threads wait, most threads first (up to 30).
    pub wait_sites: Vec<WaitSite>,
    /// Waiting threads not counted in `wait_sites` (beyond the first 30 sites).
    pub wait_sites_other: usize,
    /// `waitInfo` texts with addresses and numbers removed, by count.
    pub wait_kinds: Vec<WaitKind>,
    /// Threads that other threads wait for (`owned by thread T`), most waiters first.
    pub lock_owners: Vec<LockOwner>,
    /// Processes by CPU time (user + system), top 10.
    pub busiest_processes: Vec<ProcessCpu>,
    /// Kernel-side images other than the kernel, with the threads whose stacks use them.
    pub kext_images: Vec<KextImage>,
    /// Threads blocked uninterruptibly with their kernel stack, beyond the baseline of idle
    /// kernel daemons: what they wait on, for how long, and the kexts on their stacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stall: Option<StallReport>,
    /// Processes taken for Endpoint Security clients.
    pub endpoint_security_clients: Vec<EsClient>,
    /// Without symbols: the `[image, offset]` frames treated as the scheduler's blocking frames.
    pub blocking_frames: Vec<[u64; 2]>,
}

/// The symbolicated frames of each thread, by `(pid, tid)`.
type SymThreads<'a> = HashMap<(i64, u64), &'a ThreadFrames>;

/// Analyses the stackshot of a full panic.
pub fn analyse(ctx: &Ctx) -> Option<ThreadReport> {
    let r = ctx.report;
    let sd = r.spindump.as_ref()?;
    if sd.processes.is_empty() {
        return None;
    }
    let namer = images::Namer::new(ctx);
    let sym_threads: SymThreads = ctx
        .sym
        .map(|s| s.threads.iter().map(|t| ((t.pid, t.tid), t)).collect())
        .unwrap_or_default();
    let panicked_tid = r.panicked_thread.as_ref().and_then(|t| t.tid);

    let blocking = blocking::blocking_frames(sd);
    let sites = wait_sites::group(sd, &sym_threads, &blocking, &namer);
    let kext_images = images::kext_images(sd, &sym_threads, &namer);
    let stall = stall::find(&stall::Input {
        sd,
        sym_threads: &sym_threads,
        blocking: &blocking,
        kext_images: &kext_images,
        namer: &namer,
        timeout_seconds: stall::timeout_seconds(&ctx.message_lc()),
    });
    let refs = running::Refs {
        sd,
        sym_threads: &sym_threads,
        blocking: &blocking,
        sites: &sites,
        namer: &namer,
    };

    Some(ThreadReport {
        panicked: panicked_tid.and_then(|tid| refs.thread(tid)),
        running: refs.running(),
        wait_sites_other: sites.other,
        wait_sites: sites.list,
        wait_kinds: wait_info::kinds(sd),
        lock_owners: locks::owners(sd),
        busiest_processes: busiest::processes(sd),
        kext_images,
        stall,
        endpoint_security_clients: endpoint_security::clients(sd),
        blocking_frames: blocking.iter().map(|f| [f.image, f.offset.get()]).collect(),
        ..states::count(sd)
    })
}

/// Every thread of the stackshot with its process.
fn all_threads(sd: &Spindump) -> impl Iterator<Item = (&Process, &Thread)> {
    sd.processes
        .iter()
        .flat_map(|p| p.threads.iter().map(move |t| (p, t)))
}

/// The thread `tid` and its process.
fn find_thread(sd: &Spindump, tid: u64) -> Option<(&Process, &Thread)> {
    all_threads(sd).find(|(_, t)| t.id == tid)
}

fn has_state(t: &Thread, s: ThreadState) -> bool {
    s.is_in(&t.state)
}

/// The end of a stack walk (offset 0, or an absolute address): not a place a thread waits.
fn is_terminator(sd: &Spindump, f: &StackFrame) -> bool {
    f.offset.get() == 0 || sd.image(f).is_some_and(|i| i.kind == ImageKind::Absolute)
}

/// The kernel frames of `t`, without the terminators.
fn kernel_stack(sd: &Spindump, t: &Thread) -> Vec<StackFrame> {
    t.kernel_frames
        .iter()
        .copied()
        .filter(|f| !is_terminator(sd, f))
        .collect()
}

/// User + system time.
fn cpu_seconds(user: Option<f64>, system: Option<f64>) -> f64 {
    user.unwrap_or(0.0) + system.unwrap_or(0.0)
}

/// Seconds rounded to the millisecond.
fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}
