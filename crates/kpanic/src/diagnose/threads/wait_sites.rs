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
use super::{all_threads, categories, has_state, kernel_stack, SymThreads};
use crate::symbolicate::ThreadFrames;

#[derive(Clone, Debug, Serialize)]
pub struct WaitSite {
    /// `vm_page_wait`, `kernel+0x50b6b4`, `com.apple.x+0x1c (continuation)`, a waitInfo kind…
    pub site: String,
    /// `kernel_frame`, `continuation`, `wait_info` or `none`.
    pub source: String,
    /// `[image, offset]` (without symbols).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<[u64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// `vm`, `filesystem`, `lock`, `ipc`, `io`, `other`.
    pub category: String,
    pub threads: usize,
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

/// A site while threads are counted into it. Its key says how it was found: `fn:<function>`,
/// `frame:<image>:<offset>`, `cont:<image>:<offset>`, `wait:<kind>` or `none`.
#[derive(Default)]
struct Site {
    source: &'static str,
    frame: Option<[u64; 2]>,
    image: Option<String>,
    function: Option<String>,
    category: &'static str,
    threads: usize,
    unint: usize,
    procs: BTreeMap<String, usize>,
}

pub(super) fn group(
    sd: &Spindump,
    sym_threads: &SymThreads,
    blocking: &[StackFrame],
    namer: &Namer,
) -> WaitSites {
    let mut sites: BTreeMap<String, Site> = BTreeMap::new();
    let mut thread_site: HashMap<(i64, u64), String> = HashMap::new();
    for (p, t) in all_threads(sd) {
        if !has_state(t, "TH_WAIT") {
            continue;
        }
        let st = sym_threads.get(&(p.pid, t.id)).copied();
        let (k, s) = site_of(t, st, &kernel_stack(sd, t), blocking, namer);
        let e = sites.entry(k.clone()).or_insert(s);
        e.threads += 1;
        if has_state(t, "TH_UNINT") {
            e.unint += 1;
        }
        *e.procs
            .entry(format!("{} ({})", p.name, p.pid))
            .or_default() += 1;
        thread_site.entry((p.pid, t.id)).or_insert(k);
    }
    let site_labels: HashMap<&str, String> = sites
        .iter()
        .map(|(k, s)| (k.as_str(), label(k, s, namer)))
        .collect();
    let mut list: Vec<WaitSite> = sites
        .iter()
        .map(|(k, s)| {
            let mut procs: Vec<(&String, &usize)> = s.procs.iter().collect();
            procs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            WaitSite {
                site: site_labels[k.as_str()].clone(),
                source: s.source.to_string(),
                frame: s.frame,
                image: s.image.clone(),
                function: s.function.clone(),
                category: s.category.to_string(),
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
        .map(|(id, k)| (id, site_labels[k.as_str()].clone()))
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
) -> (String, Site) {
    // a) symbolicated kernel frames: first non-blocking function.
    if let Some(fr) = st.and_then(first_waiting_frame) {
        let name = fr.function().unwrap_or("?").to_string();
        return named("kernel_frame", name, fr.frame, fr.image.clone());
    }
    // b) raw kernel frames: first frame after the blocking prefix.
    if let Some(last) = frames.last() {
        let f = frames
            .iter()
            .find(|f| !blocking.contains(f))
            .unwrap_or(last);
        return (
            format!("frame:{}:{}", f.image, f.offset.get()),
            Site {
                source: "kernel_frame",
                frame: Some([f.image, f.offset.get()]),
                image: Some(namer.image(f.image)),
                category: wait_info_category(t),
                ..Site::default()
            },
        );
    }
    // c) continuation.
    if let Some(c) = t.continuation {
        let frame = Some([c.image, c.offset.get()]);
        let named_cont = st.and_then(|st| st.continuation.as_ref());
        return match named_cont.and_then(|f| f.function().map(str::to_string)) {
            Some(name) => named(
                "continuation",
                name,
                frame,
                named_cont.and_then(|f| f.image.clone()),
            ),
            None => (
                format!("cont:{}:{}", c.image, c.offset.get()),
                Site {
                    source: "continuation",
                    frame,
                    image: Some(namer.image(c.image)),
                    category: wait_info_category(t),
                    ..Site::default()
                },
            ),
        };
    }
    // d) wait info only.
    match &t.wait_info {
        Some(w) => {
            let kind = wait_kind(w);
            (
                format!("wait:{kind}"),
                Site {
                    source: "wait_info",
                    category: categories::of_wait_kind(&kind),
                    ..Site::default()
                },
            )
        }
        None => (
            "none".into(),
            Site {
                source: "none",
                category: "other",
                ..Site::default()
            },
        ),
    }
}

/// A site named by the function a thread waits in (the same function from a kernel frame and
/// from a continuation is one site).
fn named(
    source: &'static str,
    name: String,
    frame: Option<[u64; 2]>,
    image: Option<String>,
) -> (String, Site) {
    (
        format!("fn:{name}"),
        Site {
            source,
            frame,
            image,
            category: categories::of_function(&name),
            function: Some(name),
            ..Site::default()
        },
    )
}

/// The category of a thread's `waitInfo` (`other` without one).
fn wait_info_category(t: &Thread) -> &'static str {
    t.wait_info
        .as_deref()
        .map(|w| categories::of_wait_kind(&wait_kind(w)))
        .unwrap_or("other")
}

/// The label of a site: its function, `image+offset`, `(continuation)`, the wait kind.
fn label(key: &str, s: &Site, namer: &Namer) -> String {
    match (key.split(':').next(), &s.function) {
        (Some("fn"), Some(f)) if s.source == "continuation" => format!("{f} (continuation)"),
        (Some("fn"), Some(f)) => f.clone(),
        (Some("frame"), _) => s
            .frame
            .map(|[i, o]| format!("{}+{o:#x}", namer.image(i)))
            .unwrap_or_default(),
        (Some("cont"), _) => s
            .frame
            .map(|[i, o]| format!("{}+{o:#x} (continuation)", namer.image(i)))
            .unwrap_or_default(),
        (Some("wait"), _) => key.trim_start_matches("wait:").to_string(),
        _ => "no kernel frames, continuation or wait info".to_string(),
    }
}
