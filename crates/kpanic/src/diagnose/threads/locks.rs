//! Lock owners: the threads other threads wait for (`… owned by thread T` in `waitInfo`).

use std::collections::BTreeMap;

use kpanic_report::Spindump;
use serde::Serialize;

use super::wait_info::wait_kind;
use super::{all_threads, find_thread, ThreadState};

/// A thread others wait for (`… owned by thread T` in `waitInfo`).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LockOwner {
    /// Thread id of the owner.
    pub owner_tid: u64,
    /// The owner's process name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_process: Option<String>,
    /// The owner's pid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_pid: Option<i64>,
    /// The owner's thread states (`TH_WAIT`, `TH_UNINT`…): a waiting owner makes a lock chain.
    pub owner_state: Vec<String>,
    /// `krwlock`, `kernel mutex`, `unfair lock`…
    pub lock_kind: String,
    /// A kernel lock (mutex, rwlock, `lck_`), not a user-space one (not in the JSON).
    #[serde(skip)]
    pub kernel_lock: bool,
    /// Number of threads waiting for it.
    pub waiters: usize,
    /// `name (pid) tid` of the first waiters.
    pub waiter_threads: Vec<String>,
}

impl LockOwner {
    /// The owner is itself waiting (a lock chain).
    pub fn owner_waiting(&self) -> bool {
        ThreadState::Wait.is_in(&self.owner_state)
    }
}

/// Owners by the number of threads waiting for them, most first.
pub(super) fn owners(sd: &Spindump) -> Vec<LockOwner> {
    let mut owners: BTreeMap<u64, (String, Vec<String>)> = BTreeMap::new();
    for (p, t) in all_threads(sd) {
        let Some(w) = &t.wait_info else { continue };
        let Some(owner) = owner_tid(w) else { continue };
        let e = owners
            .entry(owner)
            .or_insert_with(|| (wait_kind(w), Vec::new()));
        e.1.push(format!("{} ({}) thread {}", p.name, p.pid, t.id));
    }
    let mut lock_owners: Vec<LockOwner> = owners
        .into_iter()
        .map(|(tid, (kind, waiters))| {
            let o = find_thread(sd, tid);
            LockOwner {
                owner_tid: tid,
                owner_process: o.map(|(p, _)| p.name.clone()),
                owner_pid: o.map(|(p, _)| p.pid),
                owner_state: o.map(|(_, t)| t.state.clone()).unwrap_or_default(),
                kernel_lock: is_kernel_lock(&kind),
                lock_kind: kind,
                waiters: waiters.len(),
                waiter_threads: waiters.into_iter().take(5).collect(),
            }
        })
        .collect();
    lock_owners.sort_by(|a, b| {
        b.waiters
            .cmp(&a.waiters)
            .then(a.owner_tid.cmp(&b.owner_tid))
    });
    lock_owners
}

/// A kernel mutex or rwlock, by its `waitInfo` kind; user-space locks (unfair lock, pthread)
/// are the process's own business.
fn is_kernel_lock(kind: &str) -> bool {
    let k = kind.to_ascii_lowercase();
    k.contains("kernel mutex") || k.contains("krwlock") || k.contains("lck")
}

/// `T` of `… owned by thread T`.
fn owner_tid(wait_info: &str) -> Option<u64> {
    let rest = wait_info.split("owned by thread ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap_or("")
        .parse()
        .ok()
}
