//! Wait sites: the waiting threads grouped by where they wait — the first function past the
//! scheduler's frames (with symbols), the first frame past the blocking frames found by
//! counting (without), the continuation of a parked thread, or, with none of those, the kind
//! of its `waitInfo`.

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{Spindump, StackFrame, Thread};
use serde::Serialize;

use super::blocking::first_waiting_frame;
use super::images::Namer;
use super::wait_info::wait_kind;
use super::{
    all_threads, categories, has_state, kernel_stack, SymThreads, ThreadState, WaitCategory,
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
    /// The site label of each waiting thread, by `(pid, tid)`.
    labels: HashMap<(i64, u64), String>,
}

impl WaitSites {
    pub fn label(&self, pid: i64, tid: u64) -> Option<String> {
        self.labels.get(&(pid, tid)).cloned()
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
    procs: BTreeMap<String, usize>,
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
            procs: BTreeMap::new(),
        }
    }
}

pub(super) fn group(
    sd: &Spindump,
    sym_threads: &SymThreads,
    blocking: &[StackFrame],
    namer: &Namer,
) -> WaitSites {
    let mut sites: BTreeMap<SiteKey, Site> = BTreeMap::new();
    let mut thread_site: HashMap<(i64, u64), SiteKey> = HashMap::new();
    for (p, t) in all_threads(sd) {
        if !has_state(t, ThreadState::Wait) {
            continue;
        }
        let st = sym_threads.get(&(p.pid, t.id)).copied();
        let (k, s) = site_of(t, st, &kernel_stack(sd, t), blocking, namer);
        let e = sites.entry(k.clone()).or_insert(s);
        e.threads += 1;
        if has_state(t, ThreadState::Unint) {
            e.unint += 1;
        }
        *e.procs
            .entry(format!("{} ({})", p.name, p.pid))
            .or_default() += 1;
        thread_site.entry((p.pid, t.id)).or_insert(k);
    }
    let site_labels: HashMap<&SiteKey, String> =
        sites.iter().map(|(k, s)| (k, label(k, s, namer))).collect();
    let mut list: Vec<WaitSite> = sites
        .iter()
        .map(|(k, s)| {
            let mut procs: Vec<(&String, &usize)> = s.procs.iter().collect();
            procs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            WaitSite {
                site: site_labels[k].clone(),
                source: s.source,
                frame: s.frame,
                image: s.image.clone(),
                function: s.function.clone(),
                category: s.category,
                threads: s.threads,
                uninterruptible: s.unint,
                processes: procs
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
    let labels = thread_site
        .into_iter()
        .map(|(id, k)| (id, site_labels[&k].clone()))
        .collect();
    WaitSites {
        list,
        other,
        labels,
    }
}

/// The key and site of waiting thread `t`, whose kernel stack is `frames`.
fn site_of(
    t: &Thread,
    st: Option<&ThreadFrames>,
    frames: &[StackFrame],
    blocking: &[StackFrame],
    namer: &Namer,
) -> (SiteKey, Site) {
    // a) symbolicated kernel frames: first non-blocking function.
    if let Some(fr) = st.and_then(first_waiting_frame) {
        let name = fr.function().unwrap_or("?").to_string();
        return named(SiteSource::KernelFrame, name, fr.frame, fr.image.clone());
    }
    // b) raw kernel frames: first frame after the blocking prefix.
    if let Some(last) = frames.last() {
        let f = frames
            .iter()
            .find(|f| !blocking.contains(f))
            .unwrap_or(last);
        return (
            SiteKey::Frame(f.image, f.offset.get()),
            Site {
                frame: Some([f.image, f.offset.get()]),
                image: Some(namer.image(f.image)),
                ..Site::new(SiteSource::KernelFrame, wait_info_category(t))
            },
        );
    }
    // c) continuation.
    if let Some(c) = t.continuation {
        let frame = Some([c.image, c.offset.get()]);
        let named_cont = st.and_then(|st| st.continuation.as_ref());
        return match named_cont.and_then(|f| f.function().map(str::to_string)) {
            Some(name) => named(
                SiteSource::Continuation,
                name,
                frame,
                named_cont.and_then(|f| f.image.clone()),
            ),
            None => (
                SiteKey::Continuation(c.image, c.offset.get()),
                Site {
                    frame,
                    image: Some(namer.image(c.image)),
                    ..Site::new(SiteSource::Continuation, wait_info_category(t))
                },
            ),
        };
    }
    // d) wait info only.
    match &t.wait_info {
        Some(w) => {
            let kind = wait_kind(w);
            let category = categories::of_wait_kind(&kind);
            (
                SiteKey::Wait(kind),
                Site::new(SiteSource::WaitInfo, category),
            )
        }
        None => (
            SiteKey::None,
            Site::new(SiteSource::Nothing, WaitCategory::Other),
        ),
    }
}

/// A site named by the function a thread waits in (the same function from a kernel frame and
/// from a continuation is one site).
fn named(
    source: SiteSource,
    name: String,
    frame: Option<[u64; 2]>,
    image: Option<String>,
) -> (SiteKey, Site) {
    let site = Site {
        frame,
        image,
        function: Some(name.clone()),
        ..Site::new(source, categories::of_function(&name))
    };
    (SiteKey::Function(name), site)
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
