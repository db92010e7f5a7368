//! The busiest processes: CPU time (user + system) of each process of the stackshot.

use kpanic_report::Spindump;
use serde::Serialize;

use super::{cpu_seconds, has_state, round_ms, ThreadState};

/// A process by CPU time (for `busiest_processes`).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ProcessCpu {
    /// Process id.
    pub pid: i64,
    /// Process name.
    pub name: String,
    /// User + system CPU time, in seconds (kernel_task: its non-idle threads only).
    pub cpu_seconds: f64,
    /// Number of its threads.
    pub threads: usize,
    /// Resident memory, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_bytes: Option<u64>,
}

/// The ten processes with the most CPU time, most first.
pub(super) fn processes(sd: &Spindump) -> Vec<ProcessCpu> {
    let mut busiest: Vec<ProcessCpu> = sd
        .processes
        .iter()
        .map(|p| {
            let own = cpu_seconds(p.user_time, p.system_time);
            let threads_of = |include_idle: bool| -> f64 {
                p.threads
                    .iter()
                    .filter(|t| include_idle || !has_state(t, ThreadState::Idle))
                    .map(|t| cpu_seconds(t.user_time, t.system_time))
                    .sum()
            };
            // kernel_task's task times include the idle threads: count its busy threads only.
            let t = if p.pid == 0 {
                threads_of(false)
            } else if own > 0.0 {
                own
            } else {
                threads_of(true)
            };
            ProcessCpu {
                pid: p.pid,
                name: p.name.clone(),
                cpu_seconds: round_ms(t),
                threads: p.threads.len(),
                resident_bytes: p.resident_memory_bytes,
            }
        })
        .collect();
    busiest.sort_by(|a, b| {
        b.cpu_seconds
            .partial_cmp(&a.cpu_seconds)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.pid.cmp(&b.pid))
    });
    busiest.truncate(10);
    busiest
}
