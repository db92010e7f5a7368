//! Makes the stall scenarios of this folder from a real full panic of the corpus (README.md
//! says what changes). `crates/kpanic/tests/stall.rs` includes this file, checks that the
//! committed scenarios are what it makes, and rewrites them with `KPANIC_UPDATE_SCENARIOS=1`.
//!
//! The base file has one process per line under `processByPid`; only the lines that change
//! are re-serialized (with sorted keys), every other line is kept byte for byte.

use serde_json::{json, Value};

/// The real full panic the scenarios are made from (testdata/corpus).
pub const BASE: &str = "ios-ips-full-sepkeystore-01.ips";

/// The third-party filesystem kext added to the stackshot.
pub const KEXT_BUNDLE_ID: &str = "com.example.filesystems.cloudfs";
/// Its version.
pub const KEXT_VERSION: &str = "2.3.1";
/// Its UUID, as `binaryImages` writes UUIDs.
pub const KEXT_UUID: &str = "5c0f3e1a-7d42-3b9e-a6c1-2f8e9b4d0a17";
/// Its unslid `__TEXT_EXEC` base: above every T image of the base file.
pub const KEXT_BASE: u64 = 0xffff_fff0_0a7b_8a60;
/// The size its line in "Kernel Extensions in backtrace" gives it.
pub const KEXT_TEXT_SIZE: u64 = 0x8000;

/// The watchdog timeout of the new panic message.
pub const TIMEOUT_SECONDS: u64 = 120;
/// User threads reading files of the kext's volume, waiting on a busy page (3 pages).
pub const READERS: usize = 150;
/// User threads writing to the volume, waiting for a free page in the kext's allocation path.
pub const ALLOCATORS: usize = 60;
/// User threads waiting for a free page after a page fault, no kext on the stack; watchdogd's
/// check-in thread is one of them.
pub const FAULTERS: usize = 20;
/// kernel_task threads of the kext, asleep on its request queue.
pub const WORKERS: usize = 20;
/// Readers per busy page.
pub const READERS_PER_PAGE: [usize; 3] = [90, 40, 20];
/// Free pages left, and the VM's free target of the base (free 1620 + pagesWanted 380).
pub const FREE_PAGES: u64 = 61;
const FREE_TARGET: u64 = 2000;
/// The process made the memory hog, and its resident size.
pub const HOG_PID: i64 = 832;
/// Resident bytes of the hog.
pub const HOG_RESIDENT: u64 = 1_811_939_328;

/// The two scenarios: the kext named by the log, or known by its UUID and range only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The kext's bundle id is in "Kernel Extensions in backtrace" (with its UUID), the
    /// loaded-kext list and the last-started-kext line: a thread of the kext was on the CPU
    /// the watchdog interrupted.
    Named,
    /// No bundle id anywhere: the panicked thread is the idle thread of that CPU.
    UuidOnly,
}

impl Variant {
    /// Both scenarios.
    pub const ALL: [Variant; 2] = [Variant::Named, Variant::UuidOnly];

    /// The scenario's file in testdata/scenarios.
    pub fn file_name(self) -> &'static str {
        match self {
            Variant::Named => "ios-ips-full-watchdog-vmstall-kext-named.ips",
            Variant::UuidOnly => "ios-ips-full-watchdog-vmstall-kext-uuid-only.ips",
        }
    }
}

/// binaryImages indices of the base: the kernel's T image and the absolute image.
const KERNEL: u64 = 1;
const ABSOLUTE: u64 = 2;
/// The base's scheduler frames (thread_invoke, thread_block_reason: the two frames every
/// blocked stack of the base starts with) and its exception-entry frame.
const BLOCKING: [u64; 2] = [509_652, 503_780];
const ENTRY: u64 = 14_656;
/// The base's kernel text exec slide (`KernelCache slide`).
const SLIDE: u64 = 0x0d3a_4000;
/// Kernel offsets standing for the VM and VFS functions named beside them: chosen inside the
/// kernel's text for the scenario, not looked up in symbols.
const VM_PAGE_SLEEP: u64 = 0x2c_1e64;
const VM_PAGE_WAIT: u64 = 0x2b_8f40;
const VM_FAULT_PAGE: u64 = 0x2c_9a30;
const VM_FAULT_INTERNAL: u64 = 0x2c_f514;
const CLUSTER_IO: u64 = 0x3f_21c8;
const KMEM_ALLOC: u64 = 0x2a_4d18;
const VNOP_READ: u64 = 0x4a_6d10;
const VNOP_WRITE: u64 = 0x4a_6e28;
const READ_NOCANCEL: u64 = 0x5e_3a94;
const WRITE_NOCANCEL: u64 = 0x5e_3d50;
const UNIX_SYSCALL: u64 = 0x6f_0e20;
const USER_FAULT: u64 = 0x7a_1c2c;
const MSLEEP: u64 = 0x4f_7e18;
const THREAD_START: u64 = 0x1b_2b98;
/// `&vm_page_free_count`, what vm_page_wait() sleeps on: a kernel global past the text.
const FREE_COUNT_EVENT: u64 = 0x9b_3a10;
/// Kext offsets: read path, allocation path, worker loop, the loop the panicked thread ran.
const X_CACHE_FILL: u64 = 0x24e8;
const X_VNOP_READ: u64 = 0x1b3c;
const X_BUF_ALLOC: u64 = 0x0e94;
const X_VNOP_WRITE: u64 = 0x1d60;
const X_WORKER_WAIT: u64 = 0x3218;
const X_WORKER_LOOP: u64 = 0x3490;
const X_RECLAIM: u64 = 0x2a10;
/// Permuted kernel addresses (how stackshots write heap events): three busy pages and the
/// kext's request queue.
const PAGES: [u64; 3] = [
    0x6a1e_3c7b_9d02_f458,
    0x2f94_d0e1_6b3a_8c70,
    0x51c7_a29e_04fd_3b18,
];
const QUEUE_EVENT: u64 = 0x3d8e_5a1b_7c46_f092;

/// The scenario `v` made from the base file's text.
pub fn generate(base: &str, v: Variant) -> String {
    let mut lines: Vec<String> = base.split('\n').map(str::to_string).collect();
    let kext_index = edit_binary_images(&mut lines);
    let plan = Plan::new(&lines, v);
    for line in lines.iter_mut() {
        if let Some(pid) = process_line_pid(line) {
            if let Some(new) = plan.edit_process(line, pid, kext_index) {
                *line = new;
            }
        }
    }
    edit_member(&mut lines, "memoryStatus", edit_memory);
    edit_member(&mut lines, "panicString", |s| {
        let text = s.as_str().expect("panicString is a string");
        Value::String(panic_text(text, v, &plan, kext_index))
    });
    lines.join("\n")
}

/// Which threads change, chosen from the base.
struct Plan {
    readers: Vec<(i64, u64)>,
    allocators: Vec<(i64, u64)>,
    faulters: Vec<(i64, u64)>,
    workers: Vec<u64>,
    /// The panicked thread (kernel_task): a kext thread on the CPU, or the idle thread.
    panicked: u64,
    /// kernel_task's thread count, for the Panicked task line.
    kernel_threads: usize,
}

/// watchdogd and its check-in thread ("watchdogd service monitoring thread") in the base.
const WATCHDOGD: (i64, u64) = (62, 1530);
/// The proof-of-concept process the base panicked in: left as it is.
const TEST_PID: i64 = 956;
/// The idle thread of CPU 4 ("idle #4"), the CPU that panicked.
const IDLE_CPU4: u64 = 455;

impl Plan {
    fn new(lines: &[String], v: Variant) -> Plan {
        let mut parked_user: Vec<(i64, u64)> = Vec::new();
        let mut kernel_parked: Vec<u64> = Vec::new();
        let mut kernel_threads = 0;
        for line in lines {
            let Some(pid) = process_line_pid(line) else {
                continue;
            };
            let p = member_value(line);
            let threads = p["threadById"].as_object().expect("threadById");
            let mut tids: Vec<&Value> = threads.values().collect();
            tids.sort_by_key(|t| t["id"].as_u64());
            if pid == 0 {
                kernel_threads = tids.len();
                kernel_parked.extend(
                    tids.iter()
                        .filter(|t| {
                            t["state"] == json!(["TH_WAIT", "TH_UNINT"])
                                && t.get("continuation").is_some()
                                && t.get("name").is_none()
                        })
                        .filter_map(|t| t["id"].as_u64()),
                );
            } else if pid != TEST_PID && pid != WATCHDOGD.0 {
                if let Some(t) = tids
                    .iter()
                    .find(|t| t["state"] == json!(["TH_WAIT"]) && t.get("continuation").is_some())
                {
                    parked_user.push((pid, t["id"].as_u64().expect("id")));
                }
            }
        }
        parked_user.sort();
        let mut it = parked_user.into_iter();
        let readers: Vec<_> = it.by_ref().take(READERS).collect();
        let allocators: Vec<_> = it.by_ref().take(ALLOCATORS).collect();
        let mut faulters: Vec<_> = it.by_ref().take(FAULTERS - 1).collect();
        faulters.push(WATCHDOGD);
        assert_eq!(
            readers.len() + allocators.len() + faulters.len(),
            READERS + ALLOCATORS + FAULTERS,
            "the base has too few processes"
        );
        assert!(kernel_parked.len() > WORKERS, "too few kernel threads");
        Plan {
            readers,
            allocators,
            faulters,
            workers: kernel_parked[..WORKERS].to_vec(),
            panicked: match v {
                Variant::Named => kernel_parked[WORKERS],
                Variant::UuidOnly => IDLE_CPU4,
            },
            kernel_threads,
        }
    }

    /// The process line `line` of `pid` with its threads changed, or `None` when none changes.
    fn edit_process(&self, line: &str, pid: i64, kext: u64) -> Option<String> {
        let mut p = member_value(line);
        let mut changed = false;
        let role = |tid: u64| -> Option<Role> {
            let find = |v: &[(i64, u64)]| v.iter().position(|x| *x == (pid, tid));
            if let Some(i) = find(&self.readers) {
                Some(Role::Reader(i))
            } else if let Some(i) = find(&self.allocators) {
                Some(Role::Allocator(i))
            } else if let Some(i) = find(&self.faulters) {
                Some(Role::Faulter(i))
            } else if pid == 0 {
                if let Some(i) = self.workers.iter().position(|w| *w == tid) {
                    Some(Role::Worker(i))
                } else if tid == self.panicked && tid != IDLE_CPU4 {
                    Some(Role::Panicked)
                } else {
                    None
                }
            } else {
                None
            }
        };
        let threads = p["threadById"].as_object_mut().expect("threadById");
        let mut wait_info: Vec<(u64, Option<String>)> = Vec::new();
        for t in threads.values_mut() {
            let tid = t["id"].as_u64().expect("id");
            let Some(role) = role(tid) else { continue };
            changed = true;
            wait_info.push((tid, role.apply(t, kext)));
        }
        if pid == HOG_PID {
            changed = true;
            p["residentMemoryBytes"] = json!(HOG_RESIDENT);
            p["pageIns"] = json!(612_398);
            p["pageFaults"] = json!(4_812_331);
        }
        if !changed {
            return None;
        }
        if !wait_info.is_empty() {
            let mut lines: Vec<Value> = p
                .get("waitInfo")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|w| {
                    !wait_info.iter().any(|(tid, _)| {
                        w.as_str()
                            .is_some_and(|s| s.starts_with(&format!("thread {tid}:")))
                    })
                })
                .collect();
            for (tid, text) in &wait_info {
                if let Some(text) = text {
                    lines.push(json!(format!("thread {tid}: {text}")));
                }
            }
            let obj = p.as_object_mut().expect("process");
            if lines.is_empty() {
                obj.remove("waitInfo");
            } else {
                obj.insert("waitInfo".into(), Value::Array(lines));
            }
            // A turnstile line of a changed thread described its old wait.
            if let Some(Value::Array(ts)) = obj.get_mut("turnstileInfo") {
                ts.retain(|w| {
                    !wait_info.iter().any(|(tid, _)| {
                        w.as_str()
                            .is_some_and(|s| s.starts_with(&format!("thread {tid}:")))
                    })
                });
            }
        }
        let (prefix, comma) = split_member(line);
        Some(format!(
            "{prefix}{}{comma}",
            serde_json::to_string(&p).expect("serializes")
        ))
    }

    /// The panicked thread's kernel frames (named variant: the kext thread's).
    fn panicked_frames(&self, v: Variant, kext: u64) -> Vec<[u64; 2]> {
        match v {
            Variant::Named => panicked_stack(kext),
            // The idle thread's continuation: the idle loop.
            Variant::UuidOnly => vec![[KERNEL, 528_772]],
        }
    }
}

/// What a changed thread becomes.
#[derive(Clone, Copy)]
enum Role {
    Reader(usize),
    Allocator(usize),
    Faulter(usize),
    Worker(usize),
    Panicked,
}

impl Role {
    /// Makes `t` this role; the `waitInfo` text it gets, if any.
    fn apply(self, t: &mut Value, kext: u64) -> Option<String> {
        let m = self.made(kext);
        let obj = t.as_object_mut().expect("thread");
        obj.remove("continuation");
        obj.insert("state".into(), json!(m.state));
        let mut kframes: Vec<Value> = m.frames.iter().map(|f| json!(f)).collect();
        kframes.push(json!([ABSOLUTE, 0]));
        obj.insert("kernelFrames".into(), Value::Array(kframes));
        match m.event {
            Some(e) => obj.insert("waitEvent".into(), json!(e)),
            None => obj.remove("waitEvent"),
        };
        obj.insert("lastRunTime".into(), json!(m.seconds));
        m.wait_info
    }

    /// The thread this role makes (`kext`: the kext's image index).
    fn made(self, kext: u64) -> Made {
        const BLOCKED: &[&str] = &["TH_WAIT", "TH_UNINT"];
        match self {
            Role::Reader(i) => {
                let page = PAGES[page_of(i)];
                Made {
                    state: BLOCKED,
                    frames: reader_stack(kext),
                    event: Some([ABSOLUTE, page]),
                    seconds: spread(i, 38.0, 131.0),
                    // kThreadWaitPageBusy (0x16): context is the page, owner unknown
                    // (kdp_vm_page_sleep_find_owner); the on-device formatter of the base
                    // prints types past 0x10 as "unknown type".
                    wait_info: Some(format!("unknown type 22 (owner 0, context {page:#x})")),
                }
            }
            Role::Allocator(i) => Made {
                state: BLOCKED,
                frames: allocator_stack(kext),
                event: Some([KERNEL, FREE_COUNT_EVENT]),
                seconds: spread(i, 55.0, 131.0),
                // vm_page_wait() sets no block hint: no waitInfo.
                wait_info: None,
            },
            Role::Faulter(i) => Made {
                state: BLOCKED,
                frames: faulter_stack(),
                event: Some([KERNEL, FREE_COUNT_EVENT]),
                seconds: spread(i, 90.0, 131.0),
                wait_info: None,
            },
            Role::Worker(i) => Made {
                state: BLOCKED,
                frames: worker_stack(kext),
                event: Some([ABSOLUTE, QUEUE_EVENT]),
                seconds: spread(i, 126.0, 131.0),
                wait_info: None,
            },
            // Running: it last ran as the stackshot was taken (the base's running threads show
            // about 5 ms).
            Role::Panicked => Made {
                state: &["TH_RUN"],
                frames: panicked_stack(kext),
                event: None,
                seconds: 0.004_912,
                wait_info: None,
            },
        }
    }
}

/// A changed thread's new fields.
struct Made {
    state: &'static [&'static str],
    /// Kernel frames, innermost first, without the terminator.
    frames: Vec<[u64; 2]>,
    event: Option<[u64; 2]>,
    /// `lastRunTime`: seconds since it last ran.
    seconds: f64,
    wait_info: Option<String>,
}

fn page_of(reader: usize) -> usize {
    let mut end = 0;
    for (p, n) in READERS_PER_PAGE.iter().enumerate() {
        end += n;
        if reader < end {
            return p;
        }
    }
    READERS_PER_PAGE.len() - 1
}

/// Seconds since a thread last ran, spread over `[lo, hi)` by its index (deterministic).
fn spread(i: usize, lo: f64, hi: f64) -> f64 {
    let span_ms = ((hi - lo) * 1000.0) as usize;
    let ms = (i * 7919 + 421) % span_ms;
    // Nine decimals, like the stackshot's values.
    ((lo + ms as f64 / 1000.0 + (i % 997) as f64 * 1e-9) * 1e9).round() / 1e9
}

fn k(off: u64) -> [u64; 2] {
    [KERNEL, off]
}

fn blocked(rest: &[[u64; 2]]) -> Vec<[u64; 2]> {
    let mut v = vec![k(BLOCKING[0]), k(BLOCKING[1])];
    v.extend_from_slice(rest);
    v
}

/// read() on the kext's volume: the kext's read path waits for a page being paged in.
fn reader_stack(x: u64) -> Vec<[u64; 2]> {
    blocked(&[
        k(VM_PAGE_SLEEP),
        k(VM_FAULT_PAGE),
        k(CLUSTER_IO),
        [x, X_CACHE_FILL],
        [x, X_VNOP_READ],
        k(VNOP_READ),
        k(READ_NOCANCEL),
        k(UNIX_SYSCALL),
        k(ENTRY),
    ])
}

/// write() on the kext's volume: the kext allocates a buffer and waits for a free page.
fn allocator_stack(x: u64) -> Vec<[u64; 2]> {
    blocked(&[
        k(VM_PAGE_WAIT),
        k(KMEM_ALLOC),
        [x, X_BUF_ALLOC],
        [x, X_VNOP_WRITE],
        k(VNOP_WRITE),
        k(WRITE_NOCANCEL),
        k(UNIX_SYSCALL),
        k(ENTRY),
    ])
}

/// A user page fault waiting for a free page.
fn faulter_stack() -> Vec<[u64; 2]> {
    blocked(&[
        k(VM_PAGE_WAIT),
        k(VM_FAULT_PAGE),
        k(VM_FAULT_INTERNAL),
        k(USER_FAULT),
        k(ENTRY),
    ])
}

/// The kext's worker, asleep until its request queue has work.
fn worker_stack(x: u64) -> Vec<[u64; 2]> {
    blocked(&[
        k(MSLEEP),
        [x, X_WORKER_WAIT],
        [x, X_WORKER_LOOP],
        k(THREAD_START),
    ])
}

/// The kext thread the watchdog interrupted, looping in the kext.
fn panicked_stack(x: u64) -> Vec<[u64; 2]> {
    vec![[x, X_RECLAIM], [x, X_WORKER_LOOP], k(THREAD_START)]
}

/// Adds the kext to `binaryImages`; its index.
fn edit_binary_images(lines: &mut [String]) -> u64 {
    let mut index = 0;
    edit_member(lines, "binaryImages", |v| {
        let mut images = v.as_array().expect("binaryImages").clone();
        index = images.len() as u64;
        images.push(json!([KEXT_UUID, KEXT_BASE, "T"]));
        Value::Array(images)
    });
    index
}

/// The pages the memory status accounts for: the page queues plus the compressor.
fn memory_total(v: &Value) -> u64 {
    [
        "active",
        "inactive",
        "wired",
        "free",
        "speculative",
        "throttled",
    ]
    .iter()
    .map(|k| v["memoryPages"][*k].as_u64().expect("page count"))
    .sum::<u64>()
        + v["compressorSize"].as_u64().expect("compressorSize")
}

fn edit_memory(v: &Value) -> Value {
    let mut m = v.clone();
    let pages = &mut m["memoryPages"];
    let total_before = memory_total(v);
    pages["free"] = json!(FREE_PAGES);
    pages["speculative"] = json!(212);
    pages["inactive"] = json!(24_187);
    pages["active"] = json!(101_243);
    pages["fileBacked"] = json!(38_710);
    pages["purgeable"] = json!(118);
    m["compressorSize"] = json!(51_267);
    let total_after = memory_total(&m);
    assert_eq!(total_before, total_after, "the memory size stays the same");
    m["compressions"] = json!(2_958_114);
    m["decompressions"] = json!(1_404_417);
    m["busyBufferCount"] = json!(37);
    m["memoryPressure"] = json!(true);
    m["memoryPressureDetails"] = json!({
        "pagesWanted": FREE_TARGET - FREE_PAGES,
        "pagesReclaimed": 412,
    });
    m
}

/// The panic text with the watchdog's message, the compressor line, the panicked task, thread
/// and backtrace, and (named) the kext in the kext lines.
fn panic_text(text: &str, v: Variant, plan: &Plan, kext: u64) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut lines = text.split('\n').peekable();
    let first = lines.next().expect("a panic line");
    let caller = first
        .split_once("): ")
        .map(|(head, _)| head)
        .expect("panic(cpu N caller 0x…)");
    out.push(format!(
        "{caller}): watchdog timeout: no checkins from watchdogd in {TIMEOUT_SECONDS} seconds \
         (2417 total checkins since monitoring last enabled)"
    ));
    // The zone panic's detail line goes with its message.
    while lines
        .peek()
        .is_some_and(|l| !l.starts_with("Debugger message:"))
    {
        lines.next();
    }
    let mut kept_lr = 0;
    let mut in_backtrace = false;
    while let Some(l) = lines.next() {
        if l.starts_with("Compressor Info:") {
            out.push(
                "Compressor Info: 94% of compressed pages limit (BAD) and 52% of segments limit \
                 (OK) with 2 swapfiles and OK swap space"
                    .into(),
            );
        } else if l.starts_with("Panicked task ") {
            let task = l.split(':').next().expect("Panicked task 0x…");
            out.push(format!(
                "{task}: 0 pages, {} threads: pid 0: kernel_task",
                plan.kernel_threads
            ));
        } else if l.starts_with("Panicked thread: ") {
            let head = l.rsplit_once("tid: ").map(|(h, _)| h).expect("tid");
            out.push(format!("{head}tid: {}", plan.panicked));
            in_backtrace = true;
        } else if in_backtrace && l.starts_with("\t\t  lr: ") {
            // The panic path's first frames stay; the rest were the zone panic's.
            if kept_lr < 5 {
                out.push(l.to_string());
                kept_lr += 1;
            }
        } else if in_backtrace {
            // End of the backtrace: the panicked thread's own frames, then the kexts in it.
            in_backtrace = false;
            let frames = plan.panicked_frames(v, kext);
            let base_fp = 0xffff_ffdc_6989_3450u64;
            for (i, f) in frames.iter().enumerate() {
                let fp = if i + 1 == frames.len() {
                    0
                } else {
                    base_fp + 0x70 * (i as u64 + 1)
                };
                out.push(format!(
                    "\t\t  lr: {:#018x}  fp: {fp:#018x}",
                    runtime(f, kext)
                ));
            }
            if v == Variant::Named {
                out.push("      Kernel Extensions in backtrace:".into());
                let start = KEXT_BASE + SLIDE;
                out.push(format!(
                    "         {KEXT_BUNDLE_ID}({KEXT_VERSION})[{}]@{start:#018x}->{:#018x}",
                    KEXT_UUID.to_ascii_uppercase(),
                    start + KEXT_TEXT_SIZE - 1
                ));
            }
            // Skip the old "Kernel Extensions in backtrace" block up to its blank lines.
            let mut l = l;
            loop {
                if l.is_empty() {
                    out.push(String::new());
                    break;
                }
                match lines.next() {
                    Some(next) => l = next,
                    None => break,
                }
            }
        } else if l.starts_with("last started kext at ") && v == Variant::Named {
            // 3000 s before the panic's mach_absolute_time (0x17284407bf, 24 MHz).
            out.push(format!(
                "last started kext at {}: {KEXT_BUNDLE_ID}\t{KEXT_VERSION} (addr {:#018x}, size {})",
                0x17_2844_07bfu64 - 3000 * 24_000_000,
                KEXT_BASE + SLIDE,
                KEXT_TEXT_SIZE
            ));
        } else if l == "loaded kexts:" && v == Variant::Named {
            out.push(l.to_string());
            out.push(format!("{KEXT_BUNDLE_ID}\t{KEXT_VERSION}"));
        } else {
            out.push(l.to_string());
        }
    }
    out.join("\n")
}

/// Runtime address of a kernel-side frame: base + offset + the kernelcache slide.
fn runtime(f: &[u64; 2], kext: u64) -> u64 {
    let base = if f[0] == kext {
        KEXT_BASE
    } else {
        assert_eq!(f[0], KERNEL, "only kernel and kext frames are made");
        0xffff_fff0_07fa_4000
    };
    base + f[1] + SLIDE
}

/// `    "PID" : {…},` → PID.
fn process_line_pid(line: &str) -> Option<i64> {
    let rest = line.strip_prefix("    \"")?;
    let (pid, rest) = rest.split_once('"')?;
    if !rest.starts_with(" : {") {
        return None;
    }
    pid.parse().ok()
}

/// `  "key" : value,` → (`  "key" : `, `,`).
fn split_member(line: &str) -> (&str, &str) {
    let at = line.find(" : ").expect("a member line") + 3;
    let comma = if line.ends_with(',') { "," } else { "" };
    (&line[..at], comma)
}

fn member_value(line: &str) -> Value {
    let (prefix, comma) = split_member(line);
    let json = &line[prefix.len()..line.len() - comma.len()];
    serde_json::from_str(json).expect("a member value")
}

/// Rewrites the top-level member `key` (one line in the base) with `f`.
fn edit_member(lines: &mut [String], key: &str, f: impl FnOnce(&Value) -> Value) {
    let start = format!("  \"{key}\" : ");
    let line = lines
        .iter_mut()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no {key} line"));
    let (prefix, comma) = split_member(line);
    let new = f(&member_value(line));
    *line = format!(
        "{prefix}{}{comma}",
        serde_json::to_string(&new).expect("serializes")
    );
}
