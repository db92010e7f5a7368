//! Thread counts by state.

use kpanic_report::{Spindump, Thread};

use super::{all_threads, has_state, ThreadReport};

string_enum! {
    /// A thread state flag of the stackshot (a thread's state is a set of them).
    pub enum ThreadState {
        /// Waiting (blocked).
        Wait = "TH_WAIT",
        /// An uninterruptible wait.
        Unint = "TH_UNINT",
        /// On a core or runnable.
        Run = "TH_RUN",
        /// An idle thread (also TH_RUN).
        Idle = "TH_IDLE",
        /// Suspended.
        Susp = "TH_SUSP",
    }
}

impl ThreadState {
    /// Whether the state flags `states` (as logged) include this one.
    pub fn is_in(self, states: &[String]) -> bool {
        states.iter().any(|s| s == self.as_str())
    }
}

/// A report with the counts filled in, and nothing else.
pub(super) fn count(sd: &Spindump) -> ThreadReport {
    let mut c = ThreadReport {
        processes: sd.processes.len(),
        ..ThreadReport::default()
    };
    // One key buffer: thousands of threads share a handful of state sets.
    let mut key = String::new();
    for (_, t) in all_threads(sd) {
        c.threads += 1;
        state_key(t, &mut key);
        match c.by_state.get_mut(key.as_str()) {
            Some(n) => *n += 1,
            None => {
                c.by_state.insert(key.clone(), 1);
            }
        }
        if has_state(t, ThreadState::Wait) {
            c.waiting += 1;
        }
        if has_state(t, ThreadState::Unint) {
            c.uninterruptible += 1;
        }
        // An idle thread is TH_RUN too: it counts as idle only.
        if has_state(t, ThreadState::Idle) {
            c.idle += 1;
        } else if has_state(t, ThreadState::Run) {
            c.runnable += 1;
        }
        if !t.kernel_frames.is_empty() {
            c.with_kernel_frames += 1;
        }
        if t.continuation.is_some() {
            c.with_continuation += 1;
        }
    }
    c
}

/// `TH_WAIT|TH_UNINT`, or `none` for a thread without state, into `key`.
fn state_key(t: &Thread, key: &mut String) {
    key.clear();
    if t.state.is_empty() {
        key.push_str("none");
    }
    for (i, s) in t.state.iter().enumerate() {
        if i > 0 {
            key.push('|');
        }
        key.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_found_by_their_logged_names() {
        let states = vec!["TH_WAIT".to_string(), "TH_UNINT".to_string()];
        assert!(ThreadState::Wait.is_in(&states));
        assert!(ThreadState::Unint.is_in(&states));
        assert!(!ThreadState::Run.is_in(&states));
        assert!(!ThreadState::Idle.is_in(&[]));
    }
}
