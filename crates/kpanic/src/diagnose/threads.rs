//! Full panics: every thread's state, where the waiting ones wait, who holds the locks they wait
//! for, which processes were busy, which kexts were on the stacks, and Endpoint Security
//! clients.
//!
//! Where a thread waits = the first kernel frame after the scheduler's blocking frames. With
//! symbols, those are skipped by name ([`BLOCKING_FUNCTIONS`]); without, the frames shared by
//! most waiting threads at the top of their stacks (thread_invoke, thread_block_reason) are
//! found by counting and skipped, and the site is the `[image, offset]` of the next frame.
//! Parked threads have no frames, only a continuation: their site is the continuation.

use std::collections::{BTreeMap, HashMap};

use kpanic_report::{ImageKind, StackFrame, Thread};
use serde::Serialize;

use super::suspects::is_third_party;
use super::{Confidence, Ctx, Evidence, Finding, FindingKind};
use crate::symbolicate::ThreadFrames;

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

#[derive(Clone, Debug, Serialize)]
pub struct ThreadReport {
    pub processes: usize,
    pub threads: usize,
    /// Thread counts by state set (`TH_WAIT|TH_UNINT`, `TH_RUN`, `TH_RUN|TH_IDLE`…).
    pub by_state: BTreeMap<String, usize>,
    /// Threads with TH_WAIT.
    pub waiting: usize,
    /// Threads with TH_UNINT (uninterruptible waits).
    pub uninterruptible: usize,
    /// Threads with TH_RUN but not TH_IDLE: on a core or runnable.
    pub runnable: usize,
    /// Idle threads (TH_IDLE).
    pub idle: usize,
    pub with_kernel_frames: usize,
    pub with_continuation: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panicked: Option<ThreadRef>,
    /// Up to 20 runnable (TH_RUN, not idle) threads, busiest first.
    pub running: Vec<ThreadRef>,
    /// Where waiting threads wait, most threads first (up to 30).
    pub wait_sites: Vec<WaitSite>,
    /// Waiting threads not counted in `wait_sites` (beyond the first 30 sites).
    pub wait_sites_other: usize,
    /// `waitInfo` texts with addresses and numbers removed, by count.
    pub wait_kinds: Vec<WaitKind>,
    /// Threads that other threads wait for (`owned by thread T`), most waiters first.
    pub lock_owners: Vec<LockOwner>,
    /// Processes by CPU time (user + system), top 10.
    pub busiest_processes: Vec<ProcessCpu>,
    /// Kernel-side images other than the kernel, with the threads whose stacks use them.
    pub kext_images: Vec<KextImage>,
    pub endpoint_security_clients: Vec<EsClient>,
    /// Without symbols: the `[image, offset]` frames treated as the scheduler's blocking frames.
    pub blocking_frames: Vec<[u64; 2]>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThreadRef {
    pub pid: i64,
    pub process: String,
    pub tid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub state: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// Where it is (wait site label or the top kernel frame).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

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

#[derive(Clone, Debug, Serialize)]
pub struct WaitKind {
    pub kind: String,
    pub threads: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct LockOwner {
    pub owner_tid: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_process: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_pid: Option<i64>,
    pub owner_state: Vec<String>,
    /// `krwlock`, `kernel mutex`, `unfair lock`…
    pub lock_kind: String,
    pub waiters: usize,
    /// `name (pid) tid` of the first waiters.
    pub waiter_threads: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProcessCpu {
    pub pid: i64,
    pub name: String,
    pub cpu_seconds: f64,
    pub threads: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_bytes: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KextImage {
    /// Index in `binaryImages`.
    pub index: u64,
    pub uuid: String,
    /// Bundle id, when the UUID matches a kext of the log (or the symbols named it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// Threads with a frame or continuation in it.
    pub threads: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct EsClient {
    pub pid: i64,
    pub name: String,
    pub third_party: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_as: Option<String>,
}

/// Known Endpoint Security client processes: name (lower case, prefix), Apple?, product.
static ES_CLIENTS: &[(&str, bool, &str)] = &[
    ("endpointsecurityd", true, "Apple Endpoint Security daemon"),
    ("xprotect", true, "Apple XProtect"),
    ("falcond", false, "CrowdStrike Falcon"),
    ("com.crowdstrike", false, "CrowdStrike Falcon"),
    ("sentinelagent", false, "SentinelOne"),
    ("sentineld", false, "SentinelOne"),
    ("com.sentinelone", false, "SentinelOne"),
    ("jamfprotect", false, "Jamf Protect"),
    ("com.jamf.protect", false, "Jamf Protect"),
    ("wdavdaemon", false, "Microsoft Defender"),
    ("com.microsoft.wdav", false, "Microsoft Defender"),
    ("sophos", false, "Sophos"),
    ("com.sophos", false, "Sophos"),
    ("cbosxsensorservice", false, "Carbon Black"),
    ("com.vmware.carbonblack", false, "Carbon Black"),
    ("esets", false, "ESET"),
    ("com.eset", false, "ESET"),
    ("kav", false, "Kaspersky"),
    ("bdldaemon", false, "Bitdefender"),
    ("com.bitdefender", false, "Bitdefender"),
    ("rtprotectiondaemon", false, "Malwarebytes"),
    ("com.malwarebytes", false, "Malwarebytes"),
    ("santad", false, "Santa"),
    ("com.google.santa", false, "Santa"),
    ("osqueryd", false, "osquery"),
    ("elastic-endpoint", false, "Elastic Endpoint"),
    ("co.elastic", false, "Elastic Endpoint"),
    (
        "com.objective-see",
        false,
        "Objective-See (LuLu/BlockBlock)",
    ),
    ("lulu", false, "LuLu"),
    ("blockblock", false, "BlockBlock"),
    ("com.trendmicro", false, "Trend Micro"),
    ("com.cisco.amp", false, "Cisco AMP"),
    ("com.mcafee", false, "McAfee"),
    ("com.symantec", false, "Symantec"),
];

fn es_client(name: &str) -> Option<(bool, &'static str)> {
    let n = name.to_ascii_lowercase();
    ES_CLIENTS
        .iter()
        .find(|(p, _, _)| n.starts_with(p))
        .map(|(_, apple, k)| (*apple, *k))
}

fn state_key(t: &Thread) -> String {
    if t.state.is_empty() {
        "none".into()
    } else {
        t.state.join("|")
    }
}

fn has_state(t: &Thread, s: &str) -> bool {
    t.state.iter().any(|x| x == s)
}

/// `mach_msg receive on port set 0x…` → `mach_msg receive on port set`; numbers and
/// addresses go, the wait type number of `unknown type N` stays.
pub fn wait_kind(text: &str) -> String {
    let text = text
        .split(" owned by")
        .next()
        .unwrap_or(text)
        .split(" [turnstile")
        .next()
        .unwrap_or(text);
    let mut out: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        let bare = w.trim_start_matches('(').trim_end_matches([',', ')']);
        let numeric = bare.starts_with("0x")
            || (!bare.is_empty() && bare.chars().all(|c| c.is_ascii_digit()));
        if !numeric || out.last().is_some_and(|l| l == "type") {
            out.push(w.to_string());
            continue;
        }
        // Drop the number, keep its closing punctuation on the previous word.
        let tail = &w[w.trim_end_matches([',', ')']).len()..];
        if let Some(last) = out.last_mut() {
            last.push_str(tail);
        }
    }
    out.join(" ")
}

fn category_of_function(f: &str) -> &'static str {
    let l = f.to_ascii_lowercase();
    if l.starts_with("vm_")
        || l.contains("vm_page")
        || l.contains("compressor")
        || l.contains("c_seg")
        || l.contains("memory_object")
        || l.starts_with("upl_")
        || l.contains("pageout")
        || l.contains("pmap")
        || l.contains("kmem_")
    {
        "vm"
    } else if l.contains("apfs")
        || l.starts_with("hfs")
        || l.starts_with("vnode")
        || l.starts_with("vn_")
        || l.starts_with("buf_")
        || l.starts_with("cluster_")
        || l.starts_with("ubc_")
        || l.contains("nfs")
        || l.contains("smbfs")
        || l.contains("fuse")
        || l.starts_with("vnop")
        || l.contains("namei")
        || l.contains("throttle_lowpri_io")
        || l.contains("spec_strategy")
        || l.contains("vfs_")
    {
        "filesystem"
    } else if l.contains("lck_")
        || l.contains("mutex")
        || l.contains("rwlock")
        || l.contains("turnstile")
    {
        "lock"
    } else if l.contains("mach_msg")
        || l.contains("ipc_")
        || l.contains("mqueue")
        || l.contains("workq")
        || l.contains("kevent")
        || l.contains("semaphore")
    {
        "ipc"
    } else if l.contains("iostorage")
        || l.contains("nvme")
        || l.contains("ioblockstorage")
        || l.contains("iocommand")
    {
        "io"
    } else if l.contains("tcp") || l.contains("soo_") || l.contains("sbwait") || l.contains("sock")
    {
        "network"
    } else {
        "other"
    }
}

fn category_of_wait_kind(k: &str) -> &'static str {
    let l = k.to_ascii_lowercase();
    if l.contains("compressor")
        || l.contains("busy page")
        || l.contains("vm ")
        || l.contains("pager")
        || l.contains("page")
    {
        return "vm";
    }
    // Unknown wait types 0x16..0x1d (22..29) are VM page/pager waits, 0x20..0x22 VM entry waits.
    if let Some(n) = l
        .strip_prefix("unknown type ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse::<u32>().ok())
    {
        if (22..=29).contains(&n) || (32..=34).contains(&n) {
            return "vm";
        }
    }
    if l.contains("mutex") || l.contains("krwlock") || l.contains("lock") {
        return "lock";
    }
    if l.contains("mach_msg")
        || l.contains("semaphore")
        || l.contains("workloop")
        || l.contains("port")
    {
        return "ipc";
    }
    "other"
}

struct Namer<'a> {
    ctx: &'a Ctx<'a>,
    kernel_uuid: Option<String>,
    by_uuid: HashMap<String, String>,
}

impl<'a> Namer<'a> {
    fn new(ctx: &'a Ctx<'a>) -> Self {
        let r = ctx.report;
        let mut by_uuid = HashMap::new();
        for k in &r.kexts_in_backtrace {
            for k in std::iter::once(&k.kext).chain(&k.dependencies) {
                if let Some(u) = &k.uuid {
                    by_uuid.insert(u.to_ascii_lowercase(), k.bundle_id.clone());
                }
            }
        }
        Namer {
            ctx,
            kernel_uuid: r
                .system
                .kernel_uuid
                .as_ref()
                .map(|u| u.to_ascii_lowercase()),
            by_uuid,
        }
    }

    /// `kernel`, a bundle id, or `image #N (uuid…)`.
    fn image(&self, idx: u64) -> String {
        let Some(sd) = self.ctx.report.spindump.as_ref() else {
            return format!("image #{idx}");
        };
        let Some(img) = sd.binary_images.get(idx as usize) else {
            return format!("image #{idx}");
        };
        let u = img.uuid.to_ascii_lowercase();
        if Some(&u) == self.kernel_uuid.as_ref() {
            return "kernel".into();
        }
        if let Some(b) = self.by_uuid.get(&u) {
            return b.clone();
        }
        if img.kind == ImageKind::Kernelcache {
            return "kernelcache".into();
        }
        format!("image #{idx} ({})", u.get(..8).unwrap_or(&u))
    }

    fn frame(&self, f: &StackFrame) -> String {
        format!("{}+{:#x}", self.image(f.image), f.offset.get())
    }
}

fn is_terminator(sd: &kpanic_report::Spindump, f: &StackFrame) -> bool {
    f.offset.get() == 0 || sd.image(f).is_some_and(|i| i.kind == ImageKind::Absolute)
}

/// Analyses the stackshot of a full panic.
pub fn analyse(ctx: &Ctx) -> Option<ThreadReport> {
    let r = ctx.report;
    let sd = r.spindump.as_ref()?;
    if sd.processes.is_empty() {
        return None;
    }
    let namer = Namer::new(ctx);
    let sym_threads: HashMap<(i64, u64), &ThreadFrames> = ctx
        .sym
        .map(|s| s.threads.iter().map(|t| ((t.pid, t.tid), t)).collect())
        .unwrap_or_default();
    let panicked_tid = r.panicked_thread.as_ref().and_then(|t| t.tid);

    // 1. Counts.
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    let (mut waiting, mut unint, mut runnable, mut idle, mut with_frames, mut with_cont) =
        (0, 0, 0, 0, 0, 0);
    let mut threads_total = 0;
    for p in &sd.processes {
        for t in &p.threads {
            threads_total += 1;
            *by_state.entry(state_key(t)).or_default() += 1;
            if has_state(t, "TH_WAIT") {
                waiting += 1;
            }
            if has_state(t, "TH_UNINT") {
                unint += 1;
            }
            if has_state(t, "TH_IDLE") {
                idle += 1;
            } else if has_state(t, "TH_RUN") {
                runnable += 1;
            }
            if !t.kernel_frames.is_empty() {
                with_frames += 1;
            }
            if t.continuation.is_some() {
                with_cont += 1;
            }
        }
    }

    // 2. The scheduler's blocking frames, by counting (used where symbols do not name frames).
    let mut blocking: Vec<StackFrame> = Vec::new();
    {
        let stacks: Vec<Vec<StackFrame>> = sd
            .processes
            .iter()
            .flat_map(|p| &p.threads)
            .filter(|t| has_state(t, "TH_WAIT"))
            .map(|t| {
                t.kernel_frames
                    .iter()
                    .copied()
                    .filter(|f| !is_terminator(sd, f))
                    .collect::<Vec<_>>()
            })
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
    }

    // 3. Wait sites.
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
    let mut sites: BTreeMap<String, Site> = BTreeMap::new();
    let mut thread_site: HashMap<(i64, u64), String> = HashMap::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for p in &sd.processes {
        for t in &p.threads {
            if let Some(w) = &t.wait_info {
                *kinds.entry(wait_kind(w)).or_default() += 1;
            }
            if !has_state(t, "TH_WAIT") {
                continue;
            }
            let st = sym_threads.get(&(p.pid, t.id));
            let frames: Vec<StackFrame> = t
                .kernel_frames
                .iter()
                .copied()
                .filter(|f| !is_terminator(sd, f))
                .collect();
            let mut key: Option<(String, Site)> = None;
            // a) symbolicated kernel frames: first non-blocking function.
            if let Some(st) = st {
                if !st.kernel_frames.is_empty() {
                    if let Some(fr) = st
                        .kernel_frames
                        .iter()
                        .find(|f| f.function().is_some_and(|n| !is_blocking(n)))
                    {
                        let name = fr.function().unwrap_or("?").to_string();
                        key = Some((
                            format!("fn:{name}"),
                            Site {
                                source: "kernel_frame",
                                frame: fr.frame,
                                image: fr.image.clone(),
                                function: Some(name.clone()),
                                category: category_of_function(&name),
                                threads: 0,
                                unint: 0,
                                procs: BTreeMap::new(),
                            },
                        ));
                    }
                }
            }
            // b) raw kernel frames: first frame after the blocking prefix.
            if key.is_none() && !frames.is_empty() {
                let f = frames
                    .iter()
                    .find(|f| !blocking.contains(f))
                    .or(frames.last())
                    .copied()
                    .expect("not empty");
                key = Some((
                    format!("frame:{}:{}", f.image, f.offset.get()),
                    Site {
                        source: "kernel_frame",
                        frame: Some([f.image, f.offset.get()]),
                        image: Some(namer.image(f.image)),
                        function: None,
                        category: t
                            .wait_info
                            .as_deref()
                            .map(|w| category_of_wait_kind(&wait_kind(w)))
                            .unwrap_or("other"),
                        threads: 0,
                        unint: 0,
                        procs: BTreeMap::new(),
                    },
                ));
            }
            // c) continuation.
            if key.is_none() {
                if let Some(c) = t.continuation {
                    let named = st
                        .and_then(|st| st.continuation.as_ref())
                        .and_then(|f| f.function().map(str::to_string));
                    key = Some(match named {
                        Some(name) => (
                            format!("fn:{name}"),
                            Site {
                                source: "continuation",
                                frame: Some([c.image, c.offset.get()]),
                                image: st
                                    .and_then(|st| st.continuation.as_ref())
                                    .and_then(|f| f.image.clone()),
                                function: Some(name.clone()),
                                category: category_of_function(&name),
                                threads: 0,
                                unint: 0,
                                procs: BTreeMap::new(),
                            },
                        ),
                        None => (
                            format!("cont:{}:{}", c.image, c.offset.get()),
                            Site {
                                source: "continuation",
                                frame: Some([c.image, c.offset.get()]),
                                image: Some(namer.image(c.image)),
                                function: None,
                                category: t
                                    .wait_info
                                    .as_deref()
                                    .map(|w| category_of_wait_kind(&wait_kind(w)))
                                    .unwrap_or("other"),
                                threads: 0,
                                unint: 0,
                                procs: BTreeMap::new(),
                            },
                        ),
                    });
                }
            }
            // d) wait info only.
            let (k, s) = key.unwrap_or_else(|| match &t.wait_info {
                Some(w) => {
                    let kind = wait_kind(w);
                    (
                        format!("wait:{kind}"),
                        Site {
                            source: "wait_info",
                            frame: None,
                            image: None,
                            function: None,
                            category: category_of_wait_kind(&kind),
                            threads: 0,
                            unint: 0,
                            procs: BTreeMap::new(),
                        },
                    )
                }
                None => (
                    "none".into(),
                    Site {
                        source: "none",
                        frame: None,
                        image: None,
                        function: None,
                        category: "other",
                        threads: 0,
                        unint: 0,
                        procs: BTreeMap::new(),
                    },
                ),
            });
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
    }
    let label_of = |k: &str, s: &Site| -> String {
        match (k.split(':').next(), &s.function) {
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
            (Some("wait"), _) => k.trim_start_matches("wait:").to_string(),
            _ => "no kernel frames, continuation or wait info".to_string(),
        }
    };
    let mut site_list: Vec<WaitSite> = sites
        .iter()
        .map(|(k, s)| {
            let mut procs: Vec<(&String, &usize)> = s.procs.iter().collect();
            procs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            WaitSite {
                site: label_of(k, s),
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
    site_list.sort_by(|a, b| b.threads.cmp(&a.threads).then(a.site.cmp(&b.site)));
    let other: usize = site_list.iter().skip(30).map(|s| s.threads).sum();
    site_list.truncate(30);
    // Thread → site label for ThreadRefs.
    let site_label = |pid: i64, tid: u64| -> Option<String> {
        let k = thread_site.get(&(pid, tid))?;
        if let Some(s) = sites.get(k) {
            Some(label_of(k, s))
        } else {
            Some(k.clone())
        }
    };

    let mut wait_kinds: Vec<WaitKind> = kinds
        .into_iter()
        .map(|(kind, threads)| WaitKind { kind, threads })
        .collect();
    wait_kinds.sort_by(|a, b| b.threads.cmp(&a.threads).then(a.kind.cmp(&b.kind)));

    // 4. Lock owners.
    let mut owners: BTreeMap<u64, (String, Vec<String>)> = BTreeMap::new();
    for p in &sd.processes {
        for t in &p.threads {
            let Some(w) = &t.wait_info else { continue };
            let Some(rest) = w.split("owned by thread ").nth(1) else {
                continue;
            };
            let Ok(owner) = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("")
                .parse::<u64>()
            else {
                continue;
            };
            let kind = wait_kind(w);
            let e = owners.entry(owner).or_insert_with(|| (kind, Vec::new()));
            e.1.push(format!("{} ({}) thread {}", p.name, p.pid, t.id));
        }
    }
    let find_thread = |tid: u64| {
        sd.processes
            .iter()
            .find_map(|p| p.threads.iter().find(|t| t.id == tid).map(|t| (p, t)))
    };
    let mut lock_owners: Vec<LockOwner> = owners
        .into_iter()
        .map(|(tid, (kind, waiters))| {
            let o = find_thread(tid);
            LockOwner {
                owner_tid: tid,
                owner_process: o.map(|(p, _)| p.name.clone()),
                owner_pid: o.map(|(p, _)| p.pid),
                owner_state: o.map(|(_, t)| t.state.clone()).unwrap_or_default(),
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

    // 5. Busy processes and runnable threads.
    let mut busiest: Vec<ProcessCpu> = sd
        .processes
        .iter()
        .map(|p| {
            let t = p.user_time.unwrap_or(0.0) + p.system_time.unwrap_or(0.0);
            // kernel_task's task times include the idle threads: count its busy threads only.
            let t = if p.pid == 0 {
                p.threads
                    .iter()
                    .filter(|t| !has_state(t, "TH_IDLE"))
                    .map(|t| t.user_time.unwrap_or(0.0) + t.system_time.unwrap_or(0.0))
                    .sum()
            } else if t > 0.0 {
                t
            } else {
                p.threads
                    .iter()
                    .map(|t| t.user_time.unwrap_or(0.0) + t.system_time.unwrap_or(0.0))
                    .sum()
            };
            ProcessCpu {
                pid: p.pid,
                name: p.name.clone(),
                cpu_seconds: (t * 1000.0).round() / 1000.0,
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

    let tref = |p: &kpanic_report::Process, t: &Thread| -> ThreadRef {
        let cpu = t.user_time.unwrap_or(0.0) + t.system_time.unwrap_or(0.0);
        let top = t
            .kernel_frames
            .iter()
            .find(|f| !is_terminator(sd, f) && !blocking.contains(f));
        let named_top = sym_threads.get(&(p.pid, t.id)).and_then(|st| {
            st.kernel_frames
                .iter()
                .find(|f| f.function().is_some_and(|n| !is_blocking(n)))
                .and_then(|f| f.function().map(str::to_string))
        });
        ThreadRef {
            pid: p.pid,
            process: p.name.clone(),
            tid: t.id,
            name: t.name.clone().filter(|n| !n.is_empty()),
            state: t.state.clone(),
            wait_info: t.wait_info.clone(),
            cpu_seconds: (cpu > 0.0).then(|| (cpu * 1000.0).round() / 1000.0),
            site: site_label(p.pid, t.id)
                .or(named_top)
                .or_else(|| top.map(|f| namer.frame(f))),
        }
    };
    let mut running: Vec<ThreadRef> = sd
        .processes
        .iter()
        .flat_map(|p| p.threads.iter().map(move |t| (p, t)))
        .filter(|(_, t)| has_state(t, "TH_RUN") && !has_state(t, "TH_IDLE"))
        .map(|(p, t)| tref(p, t))
        .collect();
    running.sort_by(|a, b| {
        b.cpu_seconds
            .unwrap_or(0.0)
            .partial_cmp(&a.cpu_seconds.unwrap_or(0.0))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.tid.cmp(&b.tid))
    });
    running.truncate(20);

    let panicked = panicked_tid.and_then(|tid| find_thread(tid).map(|(p, t)| tref(p, t)));

    // 6. Kext images on the stacks.
    let mut img_threads: BTreeMap<u64, usize> = BTreeMap::new();
    let mut img_names: HashMap<u64, String> = HashMap::new();
    for p in &sd.processes {
        for t in &p.threads {
            let mut seen: Vec<u64> = t
                .kernel_frames
                .iter()
                .chain(t.continuation.iter())
                .map(|f| f.image)
                .collect();
            seen.sort_unstable();
            seen.dedup();
            for i in seen {
                *img_threads.entry(i).or_default() += 1;
            }
            if let Some(st) = sym_threads.get(&(p.pid, t.id)) {
                for f in st.kernel_frames.iter().chain(st.continuation.iter()) {
                    if let (Some([i, _]), Some(img)) = (f.frame, &f.image) {
                        img_names.entry(i).or_insert_with(|| img.clone());
                    }
                }
            }
        }
    }
    let kext_images: Vec<KextImage> = img_threads
        .into_iter()
        .filter_map(|(idx, n)| {
            let img = sd.binary_images.get(idx as usize)?;
            if !img.kind.is_kernel() {
                return None;
            }
            let name = namer.image(idx);
            if name == "kernel" || name == "kernelcache" {
                return None;
            }
            let bundle = namer
                .by_uuid
                .get(&img.uuid.to_ascii_lowercase())
                .cloned()
                .or_else(|| {
                    img_names
                        .get(&idx)
                        .filter(|n| n.contains('.') && !n.starts_with("kernel"))
                        .cloned()
                });
            Some(KextImage {
                index: idx,
                uuid: img.uuid.clone(),
                bundle_id: bundle,
                threads: n,
            })
        })
        .collect();

    // 7. Endpoint Security clients.
    let mut es: Vec<EsClient> = Vec::new();
    for p in &sd.processes {
        let by_name = es_client(&p.name);
        let by_queue = p.threads.iter().any(|t| {
            t.dispatch_queue_label
                .as_deref()
                .is_some_and(|l| l.to_ascii_lowercase().contains("endpointsecurity"))
        });
        if by_name.is_some() || by_queue {
            let (apple, known) = by_name.unwrap_or((false, "Endpoint Security client"));
            es.push(EsClient {
                pid: p.pid,
                name: p.name.clone(),
                third_party: !apple && is_third_party(&p.name),
                known_as: Some(known.to_string()),
            });
        }
    }

    Some(ThreadReport {
        processes: sd.processes.len(),
        threads: threads_total,
        by_state,
        waiting,
        uninterruptible: unint,
        runnable,
        idle,
        with_kernel_frames: with_frames,
        with_continuation: with_cont,
        panicked,
        running,
        wait_sites: site_list,
        wait_sites_other: other,
        wait_kinds,
        lock_owners,
        busiest_processes: busiest,
        kext_images,
        endpoint_security_clients: es,
        blocking_frames: blocking.iter().map(|f| [f.image, f.offset.get()]).collect(),
    })
}

/// Findings from the stackshot.
pub fn findings(ctx: &Ctx, t: &ThreadReport, class: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let stall_class = matches!(
        class,
        "watchdogd_timeout"
            | "userspace_watchdog_timeout"
            | "forced_reset"
            | "hardware_watchdog_timeout"
    );
    // VM / filesystem stall.
    let vm: usize = t
        .wait_sites
        .iter()
        .filter(|s| s.category == "vm")
        .map(|s| s.threads)
        .sum();
    let fs: usize = t
        .wait_sites
        .iter()
        .filter(|s| s.category == "filesystem")
        .map(|s| s.threads)
        .sum();
    let vm_kind: usize = t
        .wait_kinds
        .iter()
        .filter(|k| category_of_wait_kind(&k.kind) == "vm")
        .map(|k| k.threads)
        .sum();
    let vm = vm.max(vm_kind);
    let big = |n: usize| n >= 10 || (t.waiting > 0 && n * 20 >= t.waiting && n >= 3);
    if big(vm) || big(fs) {
        let (what, n) = if vm >= fs {
            ("the VM", vm)
        } else {
            ("filesystems", fs)
        };
        let mut f = Finding::new(
            if stall_class {
                "system_stall"
            } else if vm >= fs {
                "vm_stall"
            } else {
                "filesystem_stall"
            },
            FindingKind::Threads,
            if stall_class {
                Confidence::High
            } else {
                Confidence::Medium
            },
            if stall_class { 950 } else { 500 },
            format!(
                "{n} threads were blocked in {what}{}",
                if stall_class {
                    ": the system stalled, and the stall — not the backtrace — is the cause to chase"
                } else {
                    ""
                }
            ),
            format!(
                "Many threads waited in {what} at the time of the panic. {}",
                if vm >= fs {
                    "Threads waiting for free pages or for the compressor mean memory could not be reclaimed fast enough (low memory, a full compressor, slow swap I/O)."
                } else {
                    "Threads waiting in filesystem code mean I/O did not complete: a slow or failing disk, a hung network volume, or a filesystem/security kext holding a lock."
                }
            ),
        );
        for s in t
            .wait_sites
            .iter()
            .filter(|s| s.category == "vm" || s.category == "filesystem")
            .take(5)
        {
            f.evidence.push(Evidence::fact(format!(
                "{} threads blocked in {} ({})",
                s.threads,
                s.site,
                s.processes.join(", ")
            )));
        }
        f.next_steps
            .push("Look at the memory section and at disk health/free space.".into());
        f.next_steps.push(
            "Find the thread the others wait for (lock owners below) and what it waits on.".into(),
        );
        out.push(f);
    }
    // Lock owners: a thread many others wait for, or an owner that is itself blocked.
    // Kernel locks only: user-space locks (unfair lock, pthread) are the process's own business.
    for o in t
        .lock_owners
        .iter()
        .filter(|o| {
            let k = o.lock_kind.to_ascii_lowercase();
            k.contains("kernel mutex") || k.contains("krwlock") || k.contains("lck")
        })
        .take(3)
    {
        let owner_blocked = o.owner_state.iter().any(|s| s == "TH_WAIT");
        if o.waiters < 5 && !(owner_blocked && stall_class) {
            continue;
        }
        let owner = format!(
            "thread {} of {}",
            o.owner_tid,
            match (&o.owner_process, o.owner_pid) {
                (Some(n), Some(p)) => format!("{n} (pid {p})"),
                _ => "an unknown process".into(),
            }
        );
        let mut f = Finding::new(
            if owner_blocked {
                "blocked_lock_owner"
            } else {
                "lock_contention"
            },
            FindingKind::Threads,
            if owner_blocked && stall_class {
                Confidence::High
            } else {
                Confidence::Medium
            },
            if stall_class { 920 } else { 480 } + (o.waiters as u32).min(50),
            format!(
                "{} thread(s) wait on {} held by {owner}{}",
                o.waiters,
                article(&o.lock_kind),
                if owner_blocked {
                    format!(", itself blocked ({})", o.owner_state.join("|"))
                } else {
                    String::new()
                }
            ),
            if owner_blocked {
                "The lock owner is itself waiting, so everything queued behind the lock is stuck with it: a \
                 lock chain. Whatever the owner waits for (I/O, memory, another lock) is the root of the stall."
            } else {
                "Many threads queue on one lock held by one thread: the owner's progress gates them all."
            },
        );
        for w in &o.waiter_threads {
            f.evidence.push(Evidence::fact(format!("waiter: {w}")));
        }
        f.next_steps.push(format!(
            "Look at thread {}'s kernel stack (kpanic symbolicate --all-threads with --kdk) to see what it waits for.",
            o.owner_tid
        ));
        out.push(f);
    }
    // Endpoint Security clients.
    let third: Vec<&EsClient> = t
        .endpoint_security_clients
        .iter()
        .filter(|c| c.third_party)
        .collect();
    if !third.is_empty() {
        let mut f = Finding::new(
            "endpoint_security_clients",
            FindingKind::Threads,
            Confidence::Medium,
            if stall_class { 760 } else { 350 },
            format!(
                "Third-party Endpoint Security clients were running: {}",
                third
                    .iter()
                    .map(|c| c.known_as.as_deref().unwrap_or(&c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "Endpoint Security clients must answer AUTH events (exec, open, mount…) before the kernel lets the \
             operation go on. A slow or stuck client blocks every process that touches those operations — a \
             known cause of system-wide stalls and watchdog panics.",
        );
        for c in &third {
            f.evidence
                .push(Evidence::fact(format!("{} (pid {})", c.name, c.pid)));
        }
        f.next_steps
            .push("Update the security product, or test with it disabled/uninstalled.".into());
        out.push(f);
    }
    // Summary of where threads wait, always useful in a full panic.
    if let Some(top) = t.wait_sites.first() {
        let mut f = Finding::new(
            "thread_summary",
            FindingKind::Threads,
            Confidence::High,
            if stall_class { 700 } else { 100 },
            format!(
                "{} threads in {} processes: {} waiting ({} uninterruptible), {} runnable; most wait in {} ({})",
                t.threads, t.processes, t.waiting, t.uninterruptible, t.runnable, top.site, top.threads
            ),
            "Where the threads of the stackshot were. Parked threads (continuations) are normal idle \
             workers; many threads in one uninterruptible wait are not.",
        );
        for s in t.wait_sites.iter().take(5) {
            f.evidence.push(Evidence::fact(format!(
                "{} threads in {}{}",
                s.threads,
                s.site,
                if s.uninterruptible > 0 {
                    format!(" ({} uninterruptible)", s.uninterruptible)
                } else {
                    String::new()
                }
            )));
        }
        if let Some(p) = &t.panicked {
            f.evidence.push(Evidence::fact(format!(
                "panicked thread {} of {} (pid {}){}: {}",
                p.tid,
                p.process,
                p.pid,
                p.name
                    .as_ref()
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default(),
                p.state.join("|")
            )));
        }
        if let Some(b) = t.busiest_processes.first() {
            f.evidence.push(Evidence::fact(format!(
                "busiest process: {} (pid {}) {:.1} s CPU",
                b.name, b.pid, b.cpu_seconds
            )));
        }
        out.push(f);
    }
    let _ = ctx;
    out
}

/// Thread-related findings that text panics allow (no stackshot).
pub fn text_findings(ctx: &Ctx, class: &str) -> Vec<Finding> {
    let r = ctx.report;
    let mut out = Vec::new();
    if let Some(k) = r
        .kexts_in_backtrace
        .iter()
        .find(|k| k.kext.bundle_id == "com.apple.iokit.EndpointSecurity")
    {
        let proc_ = r
            .panicked_task
            .as_ref()
            .and_then(|t| t.name.clone())
            .unwrap_or_else(|| "?".into());
        out.push(
            Finding::new(
                "endpoint_security_in_backtrace",
                FindingKind::Threads,
                Confidence::Medium,
                650,
                format!("The panic went through Endpoint Security (in {proc_})"),
                "EndpointSecurity.kext was delivering an event to the Endpoint Security clients (security / EDR \
                 / monitoring software, or Apple's own) when the kernel crashed. Third-party ES clients are the \
                 usual trigger of crashes and stalls in this path.",
            )
            .evidence(ctx.quote(k.kext.line, "com.apple.iokit.EndpointSecurity"))
            .step("List the ES clients on the machine (`systemextensionsctl list`, security/EDR/monitoring tools) and test without them.")
            .step("Report to Apple with the panic if it happens with Apple's clients only."),
        );
    }
    // Text watchdog panics: the stackshot that would show the stall is not in this file.
    if class == "watchdogd_timeout" && r.spindump.is_none() {
        let mut f = Finding::new(
            "stackshot_missing",
            FindingKind::Threads,
            Confidence::High,
            650,
            "The thread stacks that would show the stall are not in this log",
            "A watchdog panic is diagnosed from the stackshot (every thread's state), which text panic logs \
             do not include. macOS writes it in the full panic report.",
        );
        if let Some(s) = &r.stackshot {
            f.evidence.push(Evidence::fact(s.raw.trim().to_string()));
        }
        f.next_steps.push(
            "Run `kpanic diagnose` on the full report: /Library/Logs/DiagnosticReports/panic-full-*.panic (or the .panic/.ips with processByPid).".into(),
        );
        out.push(f);
    }
    out
}

/// `a krwlock`, `an unfair lock`.
fn article(kind: &str) -> String {
    let vowel = kind
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {kind}", if vowel { "an" } else { "a" })
}
