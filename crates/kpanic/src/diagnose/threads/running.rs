//! Threads by reference (process, state, CPU time, where they are): the runnable threads,
//! busiest first, and the panicked thread.

use kpanic_report::{Process, Spindump, StackFrame, Thread};
use serde::Serialize;

use super::blocking::first_waiting_frame;
use super::images::Namer;
use super::wait_sites::WaitSites;
use super::{
    all_threads, cpu_seconds, find_thread, has_state, is_terminator, round_ms, SymThreads,
    ThreadState,
};

/// One thread of the stackshot, as listed in the report.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ThreadRef {
    /// Process id.
    pub pid: i64,
    /// Process name.
    pub process: String,
    /// Thread id.
    pub tid: u64,
    /// Thread name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Thread states (`TH_WAIT`, `TH_RUN`…).
    pub state: Vec<String>,
    /// The thread's `waitInfo` text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_info: Option<String>,
    /// User + system CPU time, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// Where it is (wait site label or the top kernel frame).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

impl ThreadRef {
    /// `thread 123 of launchd (pid 1) "name"`.
    pub fn describe(&self) -> String {
        format!(
            "thread {} of {} (pid {}){}",
            self.tid,
            self.process,
            self.pid,
            self.name
                .as_ref()
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default()
        )
    }
}

/// What a [`ThreadRef`] is made from.
pub(super) struct Refs<'a> {
    pub sd: &'a Spindump,
    pub sym_threads: &'a SymThreads<'a>,
    pub blocking: &'a [StackFrame],
    pub sites: &'a WaitSites,
    pub namer: &'a Namer<'a>,
}

impl Refs<'_> {
    /// The thread `tid`, when the stackshot has it.
    pub fn thread(&self, tid: u64) -> Option<ThreadRef> {
        find_thread(self.sd, tid).map(|(p, t)| self.thread_ref(p, t))
    }

    /// Up to 20 runnable (TH_RUN, not idle) threads, busiest first.
    pub fn running(&self) -> Vec<ThreadRef> {
        let mut running: Vec<ThreadRef> = all_threads(self.sd)
            .filter(|(_, t)| has_state(t, ThreadState::Run) && !has_state(t, ThreadState::Idle))
            .map(|(p, t)| self.thread_ref(p, t))
            .collect();
        running.sort_by(|a, b| {
            b.cpu_seconds
                .unwrap_or(0.0)
                .partial_cmp(&a.cpu_seconds.unwrap_or(0.0))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.tid.cmp(&b.tid))
        });
        running.truncate(20);
        running
    }

    /// Its site is the wait site, else the first named non-blocking function, else the first
    /// kernel frame past the blocking ones.
    fn thread_ref(&self, p: &Process, t: &Thread) -> ThreadRef {
        let cpu = cpu_seconds(t.user_time, t.system_time);
        let top = t
            .kernel_frames
            .iter()
            .find(|f| !is_terminator(self.sd, f) && !self.blocking.contains(f));
        let named_top = self
            .sym_threads
            .get(&(p.pid, t.id))
            .and_then(|st| first_waiting_frame(st))
            .and_then(|f| f.function().map(str::to_string));
        ThreadRef {
            pid: p.pid,
            process: p.name.clone(),
            tid: t.id,
            name: t.name.clone().filter(|n| !n.is_empty()),
            state: t.state.clone(),
            wait_info: t.wait_info.clone(),
            cpu_seconds: (cpu > 0.0).then(|| round_ms(cpu)),
            site: self
                .sites
                .label(p.pid, t.id)
                .or(named_top)
                .or_else(|| top.map(|f| self.namer.frame(f))),
        }
    }
}
