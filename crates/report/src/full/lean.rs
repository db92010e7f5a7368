//! The lean reading of a stackshot ([`crate::ParseOptions::keep_every_stackshot_field`] off):
//! per process and thread, only the fields that diagnosis and symbolication read; the others
//! are skipped in the text (not built: no strings, no lists) and left at their defaults.
//!
//! Triage reads thousands of full panics and keeps only their diagnosis: the scheduler's
//! priorities, QoS classes and flags of every thread are a third of a full panic's allocations
//! and are never looked at. `user_frames` stay: they cost little, and the report's warning
//! about frames past the image table counts them.
//!
//! A field added here must be one a diagnosis or symbolication reads; the triage tests check
//! that a lean parse gives the same diagnosis and signature as a full one on every full panic
//! of the corpus.

use super::stream::lean_threads;
use crate::model::{Process, StackFrame, Thread};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub(crate) struct LeanProcess {
    #[serde(default)]
    pid: i64,
    #[serde(default, rename = "procname")]
    name: String,
    #[serde(default, rename = "threadById", deserialize_with = "lean_threads")]
    threads: Vec<Thread>,
    #[serde(default, rename = "waitInfo")]
    wait_info: Vec<String>,
    #[serde(default, rename = "residentMemoryBytes")]
    resident_memory_bytes: Option<u64>,
    #[serde(default, rename = "pageIns")]
    page_ins: Option<u64>,
    #[serde(default, rename = "pageFaults")]
    page_faults: Option<u64>,
    #[serde(default, rename = "userTimeTask")]
    user_time: Option<f64>,
    #[serde(default, rename = "systemTimeTask")]
    system_time: Option<f64>,
}

#[derive(Deserialize)]
pub(crate) struct LeanThread {
    #[serde(default)]
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    state: Vec<String>,
    #[serde(default, rename = "kernelFrames")]
    kernel_frames: Vec<StackFrame>,
    #[serde(default, rename = "userFrames")]
    user_frames: Vec<StackFrame>,
    #[serde(default)]
    continuation: Option<StackFrame>,
    #[serde(default, rename = "waitEvent")]
    wait_event: Option<StackFrame>,
    #[serde(default)]
    dispatch_queue_label: Option<String>,
    #[serde(default, rename = "userTime")]
    user_time: Option<f64>,
    #[serde(default, rename = "systemTime")]
    system_time: Option<f64>,
    #[serde(default, rename = "lastRunTime")]
    last_run_time: Option<f64>,
}

impl From<LeanProcess> for Process {
    fn from(p: LeanProcess) -> Self {
        Process {
            pid: p.pid,
            name: p.name,
            threads: p.threads,
            wait_info: p.wait_info,
            turnstile_info: Vec::new(),
            flags: Vec::new(),
            raw_flags: None,
            resident_memory_bytes: p.resident_memory_bytes,
            page_ins: p.page_ins,
            page_faults: p.page_faults,
            copy_on_write_faults: None,
            times_throttled: None,
            times_did_throttle: None,
            user_time: p.user_time,
            system_time: p.system_time,
            cs_flags: None,
            cs_trust_level: None,
            code_signing_auxiliary_info: None,
            jetsam_coalition: None,
            user_id: None,
            group_id: None,
            suspend_count: None,
            donating_pids: Vec::new(),
            other: BTreeMap::new(),
        }
    }
}

impl From<LeanThread> for Thread {
    fn from(t: LeanThread) -> Self {
        Thread {
            id: t.id,
            name: t.name,
            state: t.state,
            wait_info: None,
            kernel_frames: t.kernel_frames,
            user_frames: t.user_frames,
            continuation: t.continuation,
            wait_event: t.wait_event,
            sched_flags: Vec::new(),
            snapshot_flags: Vec::new(),
            base_priority: None,
            sched_priority: None,
            qos_effective: None,
            qos_requested: None,
            qos_override: None,
            dispatch_queue_label: t.dispatch_queue_label,
            user_time: t.user_time,
            system_time: t.system_time,
            user_usec: None,
            system_usec: None,
            last_run_time: t.last_run_time,
            last_made_runnable_time: None,
            notice: None,
            exclave_scid: None,
            other: BTreeMap::new(),
        }
    }
}
