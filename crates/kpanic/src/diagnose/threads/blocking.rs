//! The scheduler's blocking frames: skipped to find where a waiting thread really waits.
//! With symbols they are known by name; without, by counting the frames most waiting threads
//! share at the top of their stacks.

use std::collections::HashMap;

use kpanic_report::{Spindump, StackFrame};

use super::{has_state, kernel_stack, ThreadState};
use crate::symbolicate::ThreadFrames;
use crate::Frame;

/// Scheduler and generic wait primitives: skipped to find where a thread really waits.
pub static BLOCKING_FUNCTIONS: &[&str] = &[
    "machine_switch_context",
    "Switch_context",
    "thread_invoke",
    "thread_block_reason",
    "thread_block",
    "thread_block_parameter",
    "thread_continue",
    "thread_dispatch",
    "csw_check",
    "assert_wait",
    "assert_wait_deadline",
    "assert_wait_timeout",
    "waitq_assert_wait64",
    "waitq_assert_wait64_locked",
    "waitq_sleep_with_inheritor",
    "_waitq_sleep_with_inheritor",
    "waitq_sleep_with_inheritor_and_turnstile",
    "lck_mtx_sleep",
    "lck_mtx_sleep_deadline",
    "lck_rw_sleep",
    "lck_rw_sleep_deadline",
    "lck_spin_sleep",
    "lck_spin_sleep_deadline",
    "lck_mtx_lock_wait",
    "lck_mtx_lock_contended",
    "lck_mtx_lock_slow",
    "lck_mtx_lock",
    "lck_rw_lock_exclusive_gen",
    "lck_rw_lock_shared_gen",
    "lck_rw_lock_exclusive",
    "lck_rw_lock_shared",
    "lck_ticket_lock",
    "turnstile_block",
    "_sleep",
    "msleep",
    "msleep0",
    "tsleep",
    "tsleep0",
    "IOLockSleep",
    "IOLockSleepDeadline",
    "IOLockLock",
    "IORecursiveLockSleep",
    "IOLockWakeup",
    "semaphore_wait_internal",
    "semaphore_wait_continue",
    "mach_msg_receive_results",
    "ipc_mqueue_receive",
    "ipc_mqueue_receive_on_thread_and_unlock",
];

fn is_blocking(name: &str) -> bool {
    let n = name.trim_start_matches('_');
    BLOCKING_FUNCTIONS
        .iter()
        .any(|b| n == b.trim_start_matches('_'))
}

/// The first symbolicated kernel frame of `st` that is not a blocking function.
pub(super) fn first_waiting_frame(st: &ThreadFrames) -> Option<&Frame> {
    st.kernel_frames
        .iter()
        .find(|f| f.function().is_some_and(|n| !is_blocking(n)))
}

/// The frames at the top of most waiting threads' stacks (at most two: thread_invoke and
/// thread_block_reason), found by counting.
pub(super) fn blocking_frames(sd: &Spindump) -> Vec<StackFrame> {
    let mut blocking: Vec<StackFrame> = Vec::new();
    let stacks: Vec<Vec<StackFrame>> = sd
        .processes
        .iter()
        .flat_map(|p| &p.threads)
        .filter(|t| has_state(t, ThreadState::Wait))
        .map(|t| kernel_stack(sd, t))
        .filter(|v| v.len() >= 2)
        .collect();
    for pos in 0..2 {
        let mut counts: HashMap<(u64, u64), usize> = HashMap::new();
        let mut n = 0;
        for s in &stacks {
            if let Some(f) = s.get(pos) {
                *counts.entry((f.image, f.offset.get())).or_default() += 1;
                n += 1;
            }
        }
        let Some(((img, off), c)) = counts
            .into_iter()
            .max_by_key(|((img, off), c)| (*c, std::cmp::Reverse((*img, *off))))
        else {
            break;
        };
        let f = StackFrame::from((img, off));
        if c >= 3 && c * 2 >= n {
            blocking.push(f);
        } else {
            break;
        }
    }
    blocking
}
