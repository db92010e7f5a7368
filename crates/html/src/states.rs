//! The thread states the flame graph colours by: a closed set, folded from the stackshot's
//! state flags (`TH_WAIT`, `TH_UNINT`, `TH_RUN`, `TH_IDLE`, `TH_SUSP`, …).

use kpanic::diagnose::threads::ThreadState;

/// What a stackshot thread was doing, as the picture shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateKind {
    /// On a core or runnable (`TH_RUN`, not idle).
    Running,
    /// Blocked and cannot be woken early (`TH_WAIT|TH_UNINT`): where stalls show.
    Uninterruptible,
    /// Blocked (`TH_WAIT`).
    Waiting,
    /// Suspended (`TH_SUSP`).
    Suspended,
    /// A core's idle thread (`TH_IDLE`).
    Idle,
    /// No state, or flags not listed above.
    Other,
}

impl StateKind {
    /// Every kind, in legend order.
    pub const ALL: [StateKind; 6] = [
        StateKind::Running,
        StateKind::Uninterruptible,
        StateKind::Waiting,
        StateKind::Suspended,
        StateKind::Idle,
        StateKind::Other,
    ];

    /// The kind of a thread with these state flags (as logged). Idle threads are `TH_RUN` too;
    /// a suspended thread may also wait: the more specific flag wins.
    pub fn of(flags: &[String]) -> StateKind {
        let has = |f: ThreadState| f.is_in(flags);
        if has(ThreadState::Idle) {
            StateKind::Idle
        } else if has(ThreadState::Susp) {
            StateKind::Suspended
        } else if has(ThreadState::Wait) && has(ThreadState::Unint) {
            StateKind::Uninterruptible
        } else if has(ThreadState::Wait) {
            StateKind::Waiting
        } else if has(ThreadState::Run) {
            StateKind::Running
        } else {
            StateKind::Other
        }
    }

    /// The word the legend and tooltips use.
    pub fn label(self) -> &'static str {
        match self {
            StateKind::Running => "runnable",
            StateKind::Uninterruptible => "uninterruptible",
            StateKind::Waiting => "waiting",
            StateKind::Suspended => "suspended",
            StateKind::Idle => "idle",
            StateKind::Other => "other",
        }
    }

    /// The CSS class that colours it.
    pub(crate) fn class(self) -> &'static str {
        match self {
            StateKind::Running => "s-running",
            StateKind::Uninterruptible => "s-uninterruptible",
            StateKind::Waiting => "s-waiting",
            StateKind::Suspended => "s-suspended",
            StateKind::Idle => "s-idle",
            StateKind::Other => "s-other",
        }
    }

    /// The colour of that class (`assets/style.css`), as RGB: the browser test finds the flame
    /// graph in a screenshot by these.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            StateKind::Running => [0xe4, 0x57, 0x2e],
            StateKind::Uninterruptible => [0x7b, 0x2c, 0xbf],
            StateKind::Waiting => [0x4a, 0x90, 0xd9],
            StateKind::Suspended => [0xf2, 0xb1, 0x34],
            StateKind::Idle => [0xb8, 0xc4, 0xce],
            StateKind::Other => [0x8d, 0x99, 0xae],
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(f: &[&str]) -> Vec<String> {
        f.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_specific_flag_wins() {
        assert_eq!(
            StateKind::of(&flags(&["TH_RUN", "TH_IDLE"])),
            StateKind::Idle
        );
        assert_eq!(
            StateKind::of(&flags(&["TH_WAIT", "TH_UNINT"])),
            StateKind::Uninterruptible
        );
        assert_eq!(StateKind::of(&flags(&["TH_WAIT"])), StateKind::Waiting);
        assert_eq!(
            StateKind::of(&flags(&["TH_WAIT", "TH_SUSP"])),
            StateKind::Suspended
        );
        assert_eq!(StateKind::of(&flags(&["TH_RUN"])), StateKind::Running);
        assert_eq!(StateKind::of(&[]), StateKind::Other);
    }

    #[test]
    fn the_colours_are_the_stylesheets() {
        let css = include_str!("../assets/style.css");
        for k in StateKind::ALL {
            let [r, g, b] = k.rgb();
            let rule = format!(".{} {{ fill: #{r:02x}{g:02x}{b:02x};", k.class());
            assert!(css.contains(&rule), "{rule}");
        }
    }
}
