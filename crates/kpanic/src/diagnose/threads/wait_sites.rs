//! Wait sites: the waiting threads grouped by where they wait — the first function past the
//! scheduler's frames (with symbols), the first frame past the blocking frames found by
//! counting (without), the continuation of a parked thread, or, with none of those, the kind
//! of its `waitInfo`.

use std::collections::HashMap;

use kpanic_report::{Spindump, StackFrame, Thread};
use serde::Serialize;

use super::blocking::first_waiting_frame;
use super::images::Namer;
use super::wait_info::wait_kind;
use super::{
    all_threads, categories, has_state, is_terminator, SymThreads, ThreadState, WaitCategory,
};
use crate::symbolicate::ThreadFrames;

string_enum! {
    /// How a wait site was found.
    pub enum SiteSource {
        /// A kernel frame of the thread: the first past the scheduler's.
        KernelFrame = "kernel_frame",
        /// The continuation of a parked thread.
        Continuation = "continuation",
        /// The kind of the thread's `waitInfo`.
        WaitInfo = "wait_info",
        /// The thread has none of those.
        Nothing = "none",
    }
}

/// Where waiting threads wait, and how many.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WaitSite {
    /// `vm_page_wait`, `kernel+0x50b6b4`, `com.apple.x+0x1c (continuation)`, a waitInfo kind…
    pub site: String,
    /// How the site was found.
    pub source: SiteSource,
    /// `[image, offset]` (without symbols).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<[u64; 2]>,
    /// The image of the frame, when named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The function, with symbols.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// What the wait is about.
    pub category: WaitCategory,
    /// Number of threads waiting here.
    pub threads: usize,
    /// How many of them are uninterruptible (`TH_UNINT`).
    pub uninterruptible: usize,
    /// Processes with most threads here: `name (pid): count`.
    pub processes: Vec<String>,
}

/// The waiting threads by site.
pub(super) struct WaitSites {
    /// Most threads first, at most [`MAX_SITES`].
    pub list: Vec<WaitSite>,
    /// Waiting threads of the sites beyond the first [`MAX_SITES`].
    pub other: usize,
    /// The site of each waiting thread, by `(pid, tid)`: an index into `site_labels`. Only a
    /// few threads are ever asked about (the panicked and the running ones): a label each
    /// would be thousands of strings for nothing.
    labels: HashMap<(i64, u64), usize>,
    site_labels: Vec<String>,
}

impl WaitSites {
    pub fn label(&self, pid: i64, tid: u64) -> Option<String> {
        let i = *self.labels.get(&(pid, tid))?;
        self.site_labels.get(i).cloned()
    }
}

const MAX_SITES: usize = 30;

/// What makes two waiting threads wait in the same site. The variants are declared in the
/// order of the names they had as text keys (`cont:`, `fn:`, `frame:`, `none`, `wait:`), which
/// orders sites of equal threads and label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum SiteKey {
    /// A parked thread's unnamed continuation: `[image, offset]`.
    Continuation(u64, u64),
    /// A named function, from a kernel frame or a continuation.
    Function(String),
    /// An unnamed kernel frame: `[image, offset]`.
    Frame(u64, u64),
    /// Nothing to go by.
    None,
    /// A `waitInfo` kind.
    Wait(String),
}

/// A site while threads are counted into it.
struct Site {
    source: SiteSource,
    frame: Option<[u64; 2]>,
    image: Option<String>,
    function: Option<String>,
    category: WaitCategory,
    threads: usize,
    unint: usize,
}

impl Site {
    fn new(source: SiteSource, category: WaitCategory) -> Self {
        Site {
            source,
            frame: None,
            image: None,
            function: None,
            category,
            threads: 0,
            unint: 0,
        }
    }
}

pub(super) fn group(
    sd: &Spindump,
    sym_threads: &SymThreads,
    blocking: &[StackFrame],
    namer: &Namer,
) -> WaitSites {
    // A site is made (its image named, its category found) for the first thread that waits
    // in it; the others only find it and count.
    let mut index: HashMap<SiteKey, usize> = HashMap::new();
    let mut sites: Vec<(SiteKey, Site)> = Vec::new();
    // Threads by process (`(name, pid)`), by site.
    let mut procs: Vec<HashMap<(&str, i64), usize>> = Vec::new();
    let mut thread_site: HashMap<(i64, u64), usize> = HashMap::new();
    for (p, t) in all_threads(sd) {
        if !has_state(t, ThreadState::Wait) {
            continue;
        }
        let st = sym_threads.get(&(p.pid, t.id)).copied();
        let (k, how) = key_of(sd, t, st, blocking);
        let i = match index.get(&k) {
            Some(&i) => i,
            None => {
                let site = site_of(&k, how, t, st, namer);
                index.insert(k.clone(), sites.len());
                sites.push((k, site));
                procs.push(HashMap::new());
                sites.len() - 1
            }
        };
        let e = &mut sites[i].1;
        e.threads += 1;
        if has_state(t, ThreadState::Unint) {
            e.unint += 1;
        }
        *procs[i].entry((p.name.as_str(), p.pid)).or_default() += 1;
        thread_site.entry((p.pid, t.id)).or_insert(i);
    }
    let site_labels: Vec<String> = sites.iter().map(|(k, s)| label(k, s, namer)).collect();
    // Sites in key order, then most threads first: sites of equal threads and label stay in
    // key order.
    let mut order: Vec<usize> = (0..sites.len()).collect();
    order.sort_by(|&a, &b| sites[a].0.cmp(&sites[b].0));
    let mut list: Vec<WaitSite> = order
        .into_iter()
        .map(|i| {
            let s = &sites[i].1;
            let mut by_proc: Vec<(String, usize)> = procs[i]
                .iter()
                .map(|((name, pid), c)| (format!("{name} ({pid})"), *c))
                .collect();
            by_proc.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            WaitSite {
                site: site_labels[i].clone(),
                source: s.source,
                frame: s.frame,
                image: s.image.clone(),
                function: s.function.clone(),
                category: s.category,
                threads: s.threads,
                uninterruptible: s.unint,
                processes: by_proc
                    .into_iter()
                    .take(5)
                    .map(|(n, c)| format!("{n}: {c}"))
                    .collect(),
            }
        })
        .collect();
    list.sort_by(|a, b| b.threads.cmp(&a.threads).then(a.site.cmp(&b.site)));
    let other: usize = list.iter().skip(MAX_SITES).map(|s| s.threads).sum();
    list.truncate(MAX_SITES);
    WaitSites {
        list,
        other,
        labels: thread_site,
        site_labels,
    }
}

/// Which of the ways of [`key_of`] found a thread's site.
#[derive(Clone, Copy)]
enum Found {
    /// A symbolicated kernel frame (its function is the key).
    SymbolFrame,
    /// A raw kernel frame.
    Frame,
    /// This continuation (named or not).
    Continuation(StackFrame),
    /// The `waitInfo` kind, or nothing.
    WaitInfo,
}

/// The site key of waiting thread `t`, and how it was found.
fn key_of(
    sd: &Spindump,
    t: &Thread,
    st: Option<&ThreadFrames>,
    blocking: &[StackFrame],
) -> (SiteKey, Found) {
    // a) symbolicated kernel frames: first non-blocking function.
    if let Some(fr) = st.and_then(first_waiting_frame) {
        let name = fr.function().unwrap_or("?").to_string();
        return (SiteKey::Function(name), Found::SymbolFrame);
    }
    // b) raw kernel frames: first frame after the blocking prefix.
    let mut stack = t.kernel_frames.iter().filter(|f| !is_terminator(sd, f));
    if let Some(f) = stack
        .clone()
        .find(|f| !blocking.contains(f))
        .or_else(|| stack.next_back())
    {
        return (SiteKey::Frame(f.image, f.offset.get()), Found::Frame);
    }
    // c) continuation.
    if let Some(c) = t.continuation {
        let named_cont = st.and_then(|st| st.continuation.as_ref());
        let key = match named_cont.and_then(|f| f.function()) {
            Some(name) => SiteKey::Function(name.to_string()),
            None => SiteKey::Continuation(c.image, c.offset.get()),
        };
        return (key, Found::Continuation(c));
    }
    // d) wait info only.
    match &t.wait_info {
        Some(w) => (SiteKey::Wait(wait_kind(w)), Found::WaitInfo),
        None => (SiteKey::None, Found::WaitInfo),
    }
}

/// The site of key `k`, made from the first thread `t` found waiting there.
fn site_of(k: &SiteKey, how: Found, t: &Thread, st: Option<&ThreadFrames>, namer: &Namer) -> Site {
    match (how, k) {
        (Found::SymbolFrame, SiteKey::Function(name)) => {
            let fr = st.and_then(first_waiting_frame);
            let frame = fr.and_then(|fr| fr.frame);
            let image = fr.and_then(|fr| fr.image.clone());
            named(SiteSource::KernelFrame, name, frame, image)
        }
        (Found::Frame, &SiteKey::Frame(image, offset)) => Site {
            frame: Some([image, offset]),
            image: Some(namer.image(image)),
            ..Site::new(SiteSource::KernelFrame, wait_info_category(t))
        },
        (Found::Continuation(c), k) => {
            let frame = Some([c.image, c.offset.get()]);
            match k {
                SiteKey::Function(name) => {
                    let named_cont = st.and_then(|st| st.continuation.as_ref());
                    let image = named_cont.and_then(|f| f.image.clone());
                    named(SiteSource::Continuation, name, frame, image)
                }
                _ => Site {
                    frame,
                    image: Some(namer.image(c.image)),
                    ..Site::new(SiteSource::Continuation, wait_info_category(t))
                },
            }
        }
        (_, SiteKey::Wait(kind)) => Site::new(SiteSource::WaitInfo, categories::of_wait_kind(kind)),
        _ => Site::new(SiteSource::Nothing, WaitCategory::Other),
    }
}

/// A site named by the function a thread waits in (the same function from a kernel frame and
/// from a continuation is one site).
fn named(source: SiteSource, name: &str, frame: Option<[u64; 2]>, image: Option<String>) -> Site {
    Site {
        frame,
        image,
        function: Some(name.to_string()),
        ..Site::new(source, categories::of_function(name))
    }
}

/// The category of a thread's `waitInfo` (`other` without one).
fn wait_info_category(t: &Thread) -> WaitCategory {
    t.wait_info
        .as_deref()
        .map(|w| categories::of_wait_kind(&wait_kind(w)))
        .unwrap_or(WaitCategory::Other)
}

/// The label of a site: its function, `image+offset`, `(continuation)`, the wait kind.
fn label(key: &SiteKey, s: &Site, namer: &Namer) -> String {
    match key {
        SiteKey::Function(f) if s.source == SiteSource::Continuation => {
            format!("{f} (continuation)")
        }
        SiteKey::Function(f) => f.clone(),
        SiteKey::Frame(i, o) => format!("{}+{o:#x}", namer.image(*i)),
        SiteKey::Continuation(i, o) => format!("{}+{o:#x} (continuation)", namer.image(*i)),
        SiteKey::Wait(kind) => kind.clone(),
        SiteKey::None => "no kernel frames, continuation or wait info".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_keys_order_as_their_former_text_keys() {
        // Sites with equal threads and labels keep the order of their keys, which were text:
        // `cont:…` < `fn:…` < `frame:…` < `none` < `wait:…`.
        let keys = [
            SiteKey::Continuation(1, 2),
            SiteKey::Function("f".into()),
            SiteKey::Frame(1, 2),
            SiteKey::None,
            SiteKey::Wait("w".into()),
        ];
        for w in keys.windows(2) {
            assert!(w[0] < w[1], "{w:?}");
        }
    }
}
