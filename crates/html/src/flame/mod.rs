//! The picture of where every thread was: a full panic's stackshot kernel stacks merged into a
//! tree (an icicle: the outermost frame on top), each box as wide as the threads under it and
//! coloured by their state.
//!
//! Bounded whatever the stackshot: identical stacks merge; stacks are cut at [`MAX_DEPTH`]
//! frames (the cut is said); when drawn, boxes narrower than [`MIN_BOX_PX`] are left out with
//! their subtree, and at most [`MAX_BOXES`] are drawn, breadth first (the outer frames before
//! the deep ones).

pub(crate) mod svg;

use std::collections::HashMap;

use kpanic::symbolicate::Symbolication;
use kpanic::Frame;
use kpanic_report::{ImageKind, PanicReport};

use crate::labels::{frame_label, short_label};
use crate::states::StateKind;

/// Frames kept from the outermost end of each stack; deeper frames are merged into their
/// ancestor (kernel stacks are rarely deeper than 40).
pub const MAX_DEPTH: usize = 48;
/// The narrowest box drawn, in SVG pixels (the drawing is 1200 wide).
pub const MIN_BOX_PX: f64 = 1.0;
/// The most boxes drawn; the rest are counted in a note.
pub const MAX_BOXES: usize = 2500;

/// One box: the frames shared by `count` threads from the outermost frame down to this one.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// What identifies the frame (boxes merge by it).
    pub label: String,
    /// What the box shows.
    pub short: String,
    /// The full description of the frame (with file:line, or why it is unresolved).
    pub detail: String,
    pub count: u64,
    pub by_state: [u64; StateKind::ALL.len()],
    pub children: Vec<Node>,
    index: HashMap<String, usize>,
}

impl Node {
    /// The state most threads under this box are in (ties go to the earlier, more telling
    /// kind of [`StateKind::ALL`]).
    pub fn dominant(&self) -> StateKind {
        let mut best = StateKind::Other;
        let mut most = 0;
        for k in StateKind::ALL {
            if self.by_state[k.index()] > most {
                most = self.by_state[k.index()];
                best = k;
            }
        }
        best
    }

    fn add(&mut self, state: StateKind) {
        self.count += 1;
        self.by_state[state.index()] += 1;
    }

    fn child(&mut self, label: String, text: impl FnOnce() -> (String, String)) -> &mut Node {
        let i = match self.index.get(&label) {
            Some(&i) => i,
            None => {
                let (short, detail) = text();
                self.children.push(Node {
                    label: label.clone(),
                    short,
                    detail,
                    ..Node::default()
                });
                self.index.insert(label, self.children.len() - 1);
                self.children.len() - 1
            }
        };
        &mut self.children[i]
    }

    /// Children widest first, then by name, all the way down.
    fn sort(&mut self) {
        self.index.clear();
        self.children
            .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        for c in &mut self.children {
            c.sort();
        }
    }
}

/// The merged stacks of a stackshot.
#[derive(Debug)]
pub(crate) struct Flame {
    /// The root: every thread with a kernel stack.
    pub root: Node,
    /// Threads by state, all of them (with a stack or not).
    pub by_state: [u64; StateKind::ALL.len()],
    /// Threads without any kernel frame or continuation: not in the picture.
    pub without_stack: u64,
    /// Threads whose stack was cut at [`MAX_DEPTH`].
    pub cut: u64,
    /// Whether any frame was named by symbols.
    pub symbolicated: bool,
}

/// The flame graph of `report`'s stackshot, or `None` when it has none.
pub(crate) fn build(report: &PanicReport, sym: &Symbolication) -> Option<Flame> {
    let sd = report.spindump.as_ref()?;
    if sd.processes.is_empty() {
        return None;
    }
    let states: HashMap<(i64, u64), StateKind> = sd
        .processes
        .iter()
        .flat_map(|p| {
            p.threads
                .iter()
                .map(move |t| ((p.pid, t.id), StateKind::of(&t.state)))
        })
        .collect();
    // A frame at offset 0 or in an absolute image ends a stack walk: not a place to draw.
    let terminator = |f: &Frame| match f.frame {
        Some([i, o]) => {
            o == 0
                || sd
                    .binary_images
                    .get(i as usize)
                    .is_some_and(|img| img.kind == ImageKind::Absolute)
        }
        None => false,
    };
    let mut flame = Flame {
        root: Node {
            label: "all threads".into(),
            short: "all threads".into(),
            detail: "every thread with a kernel stack".into(),
            ..Node::default()
        },
        by_state: [0; StateKind::ALL.len()],
        without_stack: 0,
        cut: 0,
        symbolicated: false,
    };
    for s in states.values() {
        flame.by_state[s.index()] += 1;
    }
    for t in &sym.threads {
        let state = states
            .get(&(t.pid, t.tid))
            .copied()
            .unwrap_or(StateKind::Other);
        // Innermost first in the log; the icicle draws from the outermost frame down.
        let mut stack: Vec<(&Frame, bool)> = t
            .kernel_frames
            .iter()
            .filter(|f| !terminator(f))
            .rev()
            .map(|f| (f, false))
            .collect();
        if stack.is_empty() {
            // A parked thread has no frames, only where it resumes.
            match &t.continuation {
                Some(c) => stack.push((c, true)),
                None => continue,
            }
        }
        if stack.len() > MAX_DEPTH {
            stack.truncate(MAX_DEPTH);
            flame.cut += 1;
        }
        flame.root.add(state);
        let mut node = &mut flame.root;
        for (f, continuation) in stack {
            flame.symbolicated |= f.is_resolved();
            let suffix = if continuation { " (continuation)" } else { "" };
            let label = format!("{}{suffix}", frame_label(f));
            node = node.child(label, || {
                let lead = if continuation { "continuation: " } else { "" };
                (
                    format!("{}{suffix}", short_label(f)),
                    format!("{lead}{}", f.describe()),
                )
            });
            node.add(state);
        }
    }
    flame.without_stack = (states.len() as u64).saturating_sub(flame.root.count);
    flame.root.sort();
    Some(flame)
}
