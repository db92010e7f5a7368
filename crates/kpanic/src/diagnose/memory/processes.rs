//! Who used the memory: the stackshot's per-process counters (`residentMemoryBytes`,
//! `pageIns`, `pageFaults`, `copyOnWriteFaults`), which xnu's `kcdata.py` fills from the task
//! snapshot's `ts_task_size`, `ts_pageins`, `ts_faults` and `ts_cow_faults`. The counts are
//! since each process started, not rates.

use kpanic_report::{Process, Spindump};
use serde::Serialize;

use crate::diagnose::human_bytes;

/// How many processes each list keeps.
pub const TOP_PROCESSES: usize = 5;

/// One process's memory counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ProcessMemory {
    /// Process id.
    pub pid: i64,
    /// Process name.
    pub name: String,
    /// `residentMemoryBytes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_bytes: Option<u64>,
    /// `pageIns`: pages read in from disk (files and swap), since the process started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_ins: Option<u64>,
    /// `pageFaults`, since the process started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_faults: Option<u64>,
}

impl ProcessMemory {
    fn of(p: &Process) -> Self {
        ProcessMemory {
            pid: p.pid,
            name: p.name.clone(),
            resident_bytes: p.resident_memory_bytes,
            page_ins: p.page_ins,
            page_faults: p.page_faults,
        }
    }
}

/// The processes with the most of a counter, most first (pid breaks ties); those without it
/// or at zero are left out.
pub(super) fn top_by(sd: &Spindump, counter: fn(&Process) -> Option<u64>) -> Vec<ProcessMemory> {
    let mut with: Vec<(&Process, u64)> = sd
        .processes
        .iter()
        .filter_map(|p| counter(p).filter(|v| *v > 0).map(|v| (p, v)))
        .collect();
    with.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.pid.cmp(&b.0.pid)));
    with.into_iter()
        .take(TOP_PROCESSES)
        .map(|(p, _)| ProcessMemory::of(p))
        .collect()
}

/// `Instagram (17213) 342 MiB, backboardd (76) 291 MiB`.
pub(super) fn resident_line(ps: &[ProcessMemory]) -> String {
    ps.iter()
        .map(|p| {
            format!(
                "{} ({}) {}",
                p.name,
                p.pid,
                human_bytes(p.resident_bytes.unwrap_or(0))
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `aned (287) 3554687, searchd (276) 2352837`.
pub(super) fn count_line(ps: &[ProcessMemory], count: fn(&ProcessMemory) -> Option<u64>) -> String {
    ps.iter()
        .map(|p| format!("{} ({}) {}", p.name, p.pid, count(p).unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}
